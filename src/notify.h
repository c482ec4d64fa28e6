/* notify: delivers findings to the configured outputs (conf `outputs:`): Slack incoming
 * webhooks (a Block Kit message), generic webhooks (the finding object of the findings
 * schema, optionally signed with HMAC-SHA256) and Falco-compatible JSON (falcosidekick's
 * HTTP endpoint, a file of JSON lines, or stdout). Per output: what it is sent (`on:` open
 * findings and/or resolutions: a finding handed over with status resolved is a resolution),
 * filters (min_severity, kinds, rule ids; resolutions too), dedup (a finding id is sent once
 * per output as open and once as resolved; with a store, across restarts and workers too: it
 * is claimed in the store before it is sent, store_notify_claim, and only the worker whose
 * claim was written sends it; the cursors "notify/<output>/<id>[/resolved]" of older
 * versions are honoured, and kept when a claim cannot be written), a token-bucket
 * rate limit with one summary message per window, retries with backoff on transport errors,
 * timeouts, 408, 429 and 5xx, and a dead-letter file of JSON lines for what finally fails.
 *
 * Threads: every output has its own thread and bounded queue, so a receiver that hangs
 * holds up only its own deliveries, never detection nor the other outputs.
 * notify_finding is called from the detection side (the engine thread): it serialises the
 * finding once and pushes it onto each matching queue under that queue's mutex (held for a
 * push, never across I/O); a full queue drops the finding and counts it. Each output's
 * counters are guarded by its mutex; notify_stats copies them from any thread.
 *
 * URLs are secrets (Slack's carries its token in the path): requests are marked
 * secret_url so errors, the trace and the dead-letter file show only scheme://host. */
#ifndef TFDRIFT_NOTIFY_H
#define TFDRIFT_NOTIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "conf.h"
#include "finding.h"

#define NOTIFY_QUEUE_CAP 1024           /* findings waiting per output */
#define NOTIFY_DRAIN_IDLE_MS 3000       /* at exit: give up this long after the last success */
#define NOTIFY_DRAIN_MAX_MS 60000       /* and never wait longer than this in all */
#define NOTIFY_BACKOFF_BASE_MS 500
#define NOTIFY_BACKOFF_CAP_MS 30000

struct notifier;

/* Start one thread per configured output. Dedup across restarts uses the store at
 * store_path (its own connection, on each output's thread); NULL keeps it in memory.
 * notify_new uses c->store. Never NULL: with no outputs every call is a no-op.
 * (err is kept for failures to start a thread; *err is then set and NULL returned.) */
struct notifier *notify_new(const struct conf *c, char **err);
struct notifier *notify_new_store(const struct conf *c, const char *store_path, char **err);
size_t notify_noutputs(const struct notifier *n);

/* Hand a finding over (it is copied as finding_to_json, whose sensitive values are
 * masked): open, acknowledged (or suppressed, if the caller wants it sent) as an alert to
 * the outputs with on: open; resolved (with its resolution) as a resolution to the outputs
 * with on: resolved. Returns at once; never waits for a receiver. */
void notify_finding(struct notifier *n, const struct finding *f);
/* The same for batch callers (scan --notify): waits for room in a full queue. */
void notify_finding_wait(struct notifier *n, const struct finding *f);

/* Stop taking findings and deliver what is queued: each output gives up idle_ms after its
 * last success and at max_ms in all (an in-flight request is aborted); what is left goes to
 * its dead-letter file. Joins the threads. Returns the number of findings not delivered
 * since the start (dead-lettered or lost). Idempotent. */
size_t notify_drain(struct notifier *n, int64_t idle_ms, int64_t max_ms);
/* notify_drain(n, NOTIFY_DRAIN_IDLE_MS, NOTIFY_DRAIN_MAX_MS) unless drained, then free. */
void notify_free(struct notifier *n);

/* Per-output counters (copies), for the Sources view. */
struct notify_stat {
	char *name;
	const char *type;               /* slack webhook falco */
	uint64_t sent;                  /* findings delivered */
	uint64_t sent_resolutions;      /* of which resolutions (on: resolved) */
	uint64_t failed;                /* findings that failed their last attempt */
	uint64_t retried;               /* extra attempts made */
	uint64_t deduped;               /* not sent: already sent before */
	uint64_t filtered;              /* not for this output (on, severity, kind, rules) */
	uint64_t rate_limited;          /* not sent: over rate_limit */
	uint64_t summaries;             /* rate-limit summary messages sent */
	uint64_t dead_lettered;         /* written to the dead-letter file */
	uint64_t dropped;               /* queue full or after stop */
	size_t backlog;                 /* waiting in its queue */
	int64_t last_ok_ms;             /* wall clock of the last delivery; 0 none */
	char *last_error;               /* NULL when the last delivery worked */
};
void notify_stats(struct notifier *n, struct notify_stat **out, size_t *nout);
void notify_stats_free(struct notify_stat *s, size_t n);
/* One line per output on fp ("tfdrift: notify NAME: 3 sent, ..."): watch prints it at exit. */
void notify_report(struct notifier *n, FILE *fp);

/* ---- the pieces, exposed for the unit tests ---- */

/* Does finding f pass output o's filters (min_severity, kinds, rule id globs)? */
int notify_filter(const struct conf_output *o, const struct finding *f);

/* Token bucket of per_minute tokens, refilled continuously. */
struct notify_bucket {
	double tokens;
	int64_t last_ms;
	int per_minute;                 /* 0: unlimited */
};
void notify_bucket_init(struct notify_bucket *b, int per_minute, int64_t now_ms);
int notify_bucket_take(struct notify_bucket *b, int64_t now_ms);   /* 1 ok, 0 over the limit */

/* Payloads from a finding object (finding_to_json). Heap JSON text. A resolved finding
 * (status resolved, with its resolution) makes a resolution message: Slack says what resolved
 * it and who; Falco has its own rule ("tfdrift drift resolved") and tags. */
char *notify_slack_payload(json_object *fj);
char *notify_falco_payload(json_object *fj, const char *hostname);
/* Is this finding object a resolution (status resolved, a resolution object)? */
int notify_is_resolution(json_object *fj);
/* A resolution in one line of plain text: "Resolved: ADDRESS ATTRIBUTES — reverted by hand by
 * alice@corp.example (ModifyInstanceAttribute, 10:14 UTC)". Heap string. */
char *notify_resolution_line(json_object *fj);
/* The rate-limit summary ("N more findings not sent (rate limit)") in an output's format. */
char *notify_summary_payload(enum conf_output_type type, const char *output, uint64_t n,
    int per_minute, const char *hostname);
/* Falco priority of a severity name: Critical Error Warning Notice Informational. */
const char *notify_falco_priority(const char *severity);
/* Lower-case hex HMAC-SHA256 of body under secret (65 bytes with the NUL). */
void notify_hmac_hex(const char *secret, const void *body, size_t len, char out[65]);

#endif
