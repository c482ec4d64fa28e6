/* gcplogging: the Cloud Logging entries:list poller, one per project (wire-formats.md §4).
 *
 * Each poll lists the audit entries of one window [from, to) with
 *   resourceNames ["projects/P"], orderBy "timestamp asc", pageSize (≤ 1000), pageToken,
 *   filter  logName:"cloudaudit.googleapis.com%2Factivity" AND timestamp>="…" AND timestamp<"…"
 * (with data_access: (logName:"…%2Factivity" OR logName:"…%2Fdata_access") AND …), and keeps
 * paging while nextPageToken is present, also through pages whose `entries` is empty (the
 * API returns those when its search times out partway). Every entry goes through
 * event_from_logentry and is handed to the sink; then the cursor is checkpointed. A window
 * listed in full ends with sink->watermark(min(to, now - overlap)): nothing older can still
 * appear, so GCP operations held for a first entry that old are decided (detect.h). A backfill
 * that reached `until` ends with sink->flush.
 *
 * Position and overlap: the cursor P is the newest entry timestamp handed over (or the end of
 * the last fully listed window). The next window starts at P - overlap, because an entry can
 * become listable after entries with later timestamps (ingestion delay: receiveTimestamp -
 * timestamp is up to 2.8 s in the gcpdiag samples, and the index is eventually consistent);
 * default overlap 120 s, so anything listable within two minutes of its timestamp is caught.
 * Entries seen in the overlap are dropped by insertId: the dedup set holds the ids with
 * timestamps ≥ P - overlap (bounded: GL_DEDUP_MAX in memory, GL_CURSOR_IDS in the cursor).
 *
 * Cursor (sink->cursor_set, name "gcplogging:<project>" or "gcplogging:<project>:+data_access"):
 *   {"v":2,"ts":"<P, RFC 3339 ns>","ids":[insertIds at exactly P],
 *    "recent":[[insertId,"<ts>"],…],"from":"<ts>"}
 * (each insertId as its 64-bit hash in 16 hex digits, idset.h; a v1 cursor, which kept the
 * insertIds themselves, still reads)
 * "recent" are the other ids in [P - overlap, P); "from" is where the restarted poll
 * begins (P - overlap, later when "recent" had to be cut), so a restart (even kill -9 in the
 * middle of a backfill) neither skips nor repeats an entry. A stored cursor wins over
 * since/lookback unless it is older than `since`.
 *
 * Pagination that never ends: a nextPageToken the server already returned in this poll (the
 * same as the last, or a cycle) ends the poll with an error, and max_pages pages end it too
 * (the next poll lists on); either way the position stays at the newest entry handed over.
 *
 * Faults: 429 RESOURCE_EXHAUSTED, 5xx, transport errors and a truncated or invalid JSON body
 * are counted, reported in the status and retried with http_backoff_ms (the same page token);
 * 401 asks the token source for a new token once (token_invalidate) and retries; other
 * errors end the poll (nothing is skipped: the next poll starts from the cursor again).
 * Requests are spaced by min_interval_ms (default 1000: entries.list allows 60/min per
 * project).
 *
 * Threads: a poller belongs to the thread that runs it; it calls only its sink and token
 * source (both thread-safe). */
#ifndef TFDRIFT_GCPLOGGING_H
#define TFDRIFT_GCPLOGGING_H

#include <stdint.h>

#include "source.h"

#define GL_DEFAULT_ENDPOINT "https://logging.googleapis.com"
#define GL_DEFAULT_OVERLAP_MS (120 * 1000)
#define GL_DEDUP_MAX 200000
#define GL_CURSOR_IDS 2000

struct gl_opts {
	const char *name;               /* label in the status; NULL: "gcp <project>" */
	const char *project;            /* required */
	const char *endpoint;           /* Logging base URL (config `endpoint:`); NULL: default */
	struct token_source tokens;     /* bearer tokens (gcp_auth_token_source) */
	/* Called with a token the API refused (401) before asking for a new one; may be NULL.
	 * gcp_auth_invalidate fits (ctx = tokens.ctx). */
	void (*token_invalidate)(void *ctx, const char *token);
	const char *quota_project;      /* x-goog-user-project header, or NULL */
	int data_access;                /* also list cloudaudit.googleapis.com%2Fdata_access */
	int64_t poll_interval_ms;       /* 0: 30 s */
	int64_t lookback_ms;            /* the first poll without a cursor; 0: 15 min */
	int64_t overlap_ms;             /* 0: GL_DEFAULT_OVERLAP_MS; -1: none */
	int64_t since_ms, until_ms;     /* backfill [since, until); 0: unset. With until, the run
	                                   loop returns once the cursor reaches it. */
	int page_size;                  /* 0: 1000 (the API's maximum) */
	unsigned max_pages;             /* pages per poll; 0: PAGING_DEFAULT_MAX_PAGES */
	int64_t min_interval_ms;        /* between entries:list requests; 0: 1000; -1: none */
	unsigned max_attempts;          /* per page; 0: 8 */
	int64_t backoff_base_ms, backoff_cap_ms;   /* 0: 1 s, 60 s */
	long timeout_ms;                /* per request; 0: 60 s */
};

/* Counters (the poller's thread reads and writes them; read them from that thread or after
 * gl_poller_run returned). */
struct gl_stats {
	uint64_t requests, pages, empty_pages, entries, events, duplicates, skipped;
	uint64_t retries, errors, malformed, unauthorized, token_refreshes;
	int64_t handover_us_max;        /* response received → its last entry handed over */
	int64_t handover_us_sum;
	uint64_t handover_pages;
};

struct gl_poller;

struct gl_poller *gl_poller_new(const struct gl_opts *o, const struct source_sink *sink,
    char **err);
void gl_poller_free(struct gl_poller *p);
/* One poll: list the window from the cursor to now (or until) through every page.
 * 0 done, 1 stop asked (sink), 2 max_pages reached with more to list (*err and the status
 * say so; the next poll lists on), -1 with *err (the status says it too), among them a
 * nextPageToken the server had already returned in this poll (paging.h). */
int gl_poll_once(struct gl_poller *p, char **err);
/* Poll every poll_interval until a stop is asked, or until the backfill reached until_ms.
 * 0, or -1 with *err when a backfill could not finish. Errors in live mode are reported in
 * the status and the loop goes on. */
int gl_poller_run(struct gl_poller *p, char **err);
const struct gl_stats *gl_poller_stats(const struct gl_poller *p);
/* The cursor position (ns since the epoch), for tests and `watch --once`. */
int64_t gl_poller_position_ns(const struct gl_poller *p);

/* Pure parts, exposed for tests. */
/* The filter for [from_ns, to_ns). Heap string. */
char *gl_filter(int data_access, int64_t from_ns, int64_t to_ns);
/* RFC 3339 with 0-9 fractional digits ("…Z" or "+hh:mm") → ns since the epoch; 0 or -1. */
int gl_parse_ts(const char *s, int64_t *ns);
/* ns → "2024-05-27T10:00:00Z" or "2024-05-27T10:00:00.123456789Z" (out ≥ 40 bytes). */
void gl_format_ts(int64_t ns, char *out);

#endif
