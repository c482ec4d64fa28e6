/* source: what every live collector (CloudTrail, SQS, Cloud Logging, files) and state backend
 * shares with the engine: where events go, where cursors are kept, how health is reported,
 * and how a stop is asked for. A collector runs on its own thread and talks to the engine
 * only through a struct source_sink; the sink's functions are thread-safe.
 *
 * At-least-once: a collector hands events over first and checkpoints its cursor after
 * (sink->cursor_set returns once the cursor is durable, and the engine saves it only after it
 * has decided everything handed over before it, with what the detector holds back from that
 * collector: see engine.h), so a restart resumes without a gap;
 * duplicates from overlapping windows are dropped by event id downstream (the detector) and
 * should be dropped by the collector too when it can (LookupEvents windows overlap). */
#ifndef TFDRIFT_SOURCE_H
#define TFDRIFT_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Health of one source, as the Sources view and `watch` show it. Strings are borrowed for
 * the duration of the call. */
struct source_status {
	const char *name;               /* "cloudtrail prod eu-west-1", "gcp corp", "s3://b/k" */
	int64_t last_poll_ms;           /* wall clock of the last successful poll, 0 never */
	int64_t lag_ms;                 /* now - the newest event time seen, -1 unknown */
	double events_per_s;            /* over the last minute */
	uint64_t events, requests, errors, retries;
	const char *last_error;         /* NULL when the last poll succeeded */
	double backfill;                /* 0..1 through --since/--until or the lookback; -1 none */
};

struct source_sink {
	/* Hand over one heap-allocated event (xmalloc'd struct): ownership of the struct and
	 * its contents passes, whatever the return (the sink frees both). Blocks while the
	 * engine's queue is full (backpressure). -1 when the engine is stopping: return soon. */
	int (*event)(void *ctx, struct event *ev);
	/* A cursor: get returns a heap string or NULL (none yet); set returns 0 once it is
	 * durable, -1 with *err (the collector keeps polling and says so in its status). */
	char *(*cursor_get)(void *ctx, const char *name);
	int (*cursor_set)(void *ctx, const char *name, const char *value, char **err);
	void (*status)(void *ctx, const struct source_status *st);
	/* Sleep until `ms` of monotonic time from now have passed or a stop is asked for;
	 * returns 1 when stopping. Collectors sleep only through this, so a stop is quick. */
	int (*sleep)(void *ctx, int64_t ms);
	/* The input handed over so far is complete (a replay's pass or its end): the engine
	 * decides what the detector holds back (a GCP operation whose last entry came without
	 * its first) once it reaches this point of the queue. Blocks like event; -1 when the
	 * engine is stopping (its drain decides them anyway). */
	int (*flush)(void *ctx);
	/* Every event with an event time before upto_ms has been handed over (a poller that
	 * listed a window completely, allowing for the log's ingestion delay): the engine
	 * decides the held entries that are due by then (detect.h). Like flush; may be NULL. */
	int (*watermark)(void *ctx, int64_t upto_ms);
	void *ctx;
};

/* A bearer token provider (GCP access tokens, HCP Terraform API tokens): fills *token (heap)
 * valid for at least a minute; 0, or -1 with *err. Thread-safe. */
struct token_source {
	int (*get)(void *ctx, char **token, char **err);
	void *ctx;
};

/* Events per second over the last minute, in one-second buckets (a source's status). Zeroed
 * (memset) is empty; one collector thread counts, reading is on the same thread. */
struct source_rate {
	uint64_t n[60];
	int64_t sec[60];
};

static inline void
source_rate_count(struct source_rate *r, int64_t now_ms)
{
	int64_t sec = now_ms / 1000;
	size_t i = (size_t)(sec % 60);

	if (r->sec[i] != sec) {
		r->sec[i] = sec;
		r->n[i] = 0;
	}
	r->n[i]++;
}

static inline double
source_rate_per_s(const struct source_rate *r, int64_t now_ms)
{
	int64_t sec = now_ms / 1000;
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < 60; i++)
		if (r->sec[i] > sec - 60)
			n += r->n[i];
	return (double)n / 60.0;
}

#endif
