/* cloudtrail: a LookupEvents poller for one account-region (wire-formats.md §1.1-1.5).
 *
 * Each poll asks for write events (LookupAttributes ReadOnly=false) in a window
 * [StartTime, EndTime] (epoch seconds, inclusive), follows NextToken (newest first, MaxResults
 * 50), parses each CloudTrailEvent string with event_from_cloudtrail and hands the events to
 * a struct source_sink. The next window starts CT_DEFAULT_OVERLAP_MS before the end of the
 * last one, because CloudTrail delivers events late (about 5 minutes on average, not
 * guaranteed: §1.4); events seen twice because of the overlap are dropped by event id.
 *
 * Cursor (sink->cursor_get / cursor_set under the poller's name), written AFTER the events
 * of each page were handed over, a JSON object:
 *   {"v":2,"end":S,"newest":MS,"pend":{"start":S,"end":S,"low":S},"ids":[[H,S],...]}
 * end: the EndTime of the last complete window (seconds); newest: the newest event time
 * handed over (ms, for lag); pend: a window in progress (a restart resumes it from `low`
 * down, since pages come newest first: every event newer than `low` was handed over);
 * ids: the dedup set (events that a resumed or overlapping query can return again: H is
 * the event id's 64-bit hash in 16 hex digits, idset.h), capped at CT_CURSOR_MAX_IDS; a
 * v1 cursor (the ids themselves) still reads. A restart therefore resumes without a gap and without duplicates;
 * only the page being handed over when the process died (at most one page) can be handed
 * over again, which the engine drops by event id (source.h: at-least-once).
 *
 * Threads: a struct ct_poller belongs to the thread that runs it. A struct ct_limiter is
 * shared by every poller of one account-region (several configurations, the us-east-1
 * poller for IAM/STS/CloudFront events, which is just another region to the caller); its
 * own mutex guards it. */
#ifndef TFDRIFT_COLLECTORS_CLOUDTRAIL_H
#define TFDRIFT_COLLECTORS_CLOUDTRAIL_H

#include <pthread.h>
#include <stdint.h>

#include "aws_creds.h"
#include "source.h"

/* 10 minutes: CloudTrail's delivery latency is ~5 min on average with no guarantee
 * (wire-formats.md §1.4 suggests 10-15 min); a late event older than the overlap is missed by
 * LookupEvents polling (use the SQS/S3 path where that matters). */
#define CT_DEFAULT_OVERLAP_MS (10 * 60 * 1000LL)
#define CT_DEFAULT_INTERVAL_MS (60 * 1000LL)
#define CT_DEFAULT_LOOKBACK_MS (60 * 60 * 1000LL)
#define CT_MAX_RESULTS 50
#define CT_CURSOR_MAX_IDS 5000
/* The latest time (epoch seconds, the end of the year 9999) a cursor or a page may carry. */
#define CT_MAX_TIME_S 253402300799LL
/* LookupEvents keeps 90 days; asking for more is InvalidTimeRangeException. */
#define CT_RETENTION_MS (90LL * 24 * 3600 * 1000)

/* A token bucket without burst (capacity 1): callers reserve the next slot under the mutex
 * and sleep until it (through the sink, so a stop is quick). AWS's limit is 2 requests/s
 * per account and region, hard (§1.4). */
struct ct_limiter {
	pthread_mutex_t mu;
	double rate;                    /* requests per second */
	int64_t next_ms;                /* monotonic time of the next free slot; guarded by mu */
};
void ct_limiter_init(struct ct_limiter *l, double rate);     /* rate <= 0: 2/s */
void ct_limiter_destroy(struct ct_limiter *l);
/* Milliseconds the caller must wait before its request (0: go now); the slot is taken. */
int64_t ct_limiter_reserve(struct ct_limiter *l);

struct ct_options {
	const char *name;               /* label and cursor name: "cloudtrail prod eu-west-1" */
	const char *region;             /* signing region and default endpoint */
	const char *endpoint;           /* NULL: aws_endpoint("CLOUDTRAIL", "cloudtrail", region, NULL) */
	struct aws_creds *creds;        /* borrowed; shared and thread-safe */
	struct ct_limiter *limiter;     /* borrowed; shared per account-region; NULL: a private 2/s one */
	int64_t interval_ms;            /* between polls; 0: CT_DEFAULT_INTERVAL_MS */
	int64_t lookback_ms;            /* first window without a cursor; 0: CT_DEFAULT_LOOKBACK_MS */
	int64_t overlap_ms;             /* 0: CT_DEFAULT_OVERLAP_MS; < 0: none */
	int64_t since_ms, until_ms;     /* backfill window (0: unset); with until, run returns when done */
	int max_pages;                  /* pages per poll; 0: PAGING_DEFAULT_MAX_PAGES (a longer
	                                 * window resumes the next poll) */
	int max_results;                /* page size 1..50; 0: 50 (tests use less) */
	long timeout_ms;                /* per request; 0: 30 s */
	int max_attempts;               /* per request, retries included; 0: 6 */
};

struct ct_poller;

struct ct_poller *ct_poller_new(const struct ct_options *o);
void ct_poller_free(struct ct_poller *p);
/* Forget where it was (the window, the ids seen, the cursor read): its next poll reads its
 * cursor again (a worker that takes its lease back after another worker polled it). */
void ct_poller_reset(struct ct_poller *p);
/* One poll: reads the cursor on first use, queries the window, every page. 0 when the
 * window was completed, 1 when events remain (max_pages reached, said in the status), -1 on
 * an error (already reported through sink->status; *err gets a copy when err is non-NULL),
 * among them a NextToken the server had already returned in this poll (paging.h), -2 when
 * the sink is stopping. After 1 and after a repeated token the window stays pending from the
 * oldest second handed over, so the next poll reads on without a gap. */
int ct_poll_once(struct ct_poller *p, const struct source_sink *sink, char **err);
/* Poll every interval until sink->sleep says stop (or, with until_ms, the backfill is
 * done). Returns 0. */
int ct_poller_run(struct ct_poller *p, const struct source_sink *sink);

/* Pure parts, exposed for unit tests. */
/* The LookupEvents request body. Heap string. */
char *ct_request_body(int64_t start_s, int64_t end_s, int max_results, const char *next_token);
/* An AWS JSON error body's code ("ns#ThrottlingException:x" -> "ThrottlingException") and
 * message; heap strings or NULL. */
void ct_parse_error(const char *body, const char *header_type, char **code, char **message);

#endif
