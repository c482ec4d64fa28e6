/* notify_int: what the dispatcher (notify.c: queues, threads, filters, dedup, rate limit,
 * retries, dead letters) shares with the outputs, one file each behind a const struct
 * notify_ops (notify_slack.c, notify_webhook.c, notify_falco.c, listed in notify.c's table),
 * and the text helpers the outputs share (notify_fmt.c). Adding an output type touches its
 * own file, the table and conf.c. */
#ifndef TFDRIFT_NOTIFY_INT_H
#define TFDRIFT_NOTIFY_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

#include "notify.h"
#include "util.h"

#define NOTIFY_JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

struct item;
struct output;

/* One kind of output. */
struct notify_ops {
	enum conf_output_type type;
	/* The body for a finding object (finding_to_json): heap JSON text, NULL on failure.
	 * NULL: the finding object itself is the body. */
	char *(*payload)(const struct output *o, json_object *fj);
	/* Fill p, the message saying n findings were not sent (text says it in words). */
	void (*summary)(json_object *p, const char *text, const char *output, uint64_t n,
	    int per_minute, const char *hostname);
	/* One attempt at delivering body (event: finding, resolution, rate_limit_summary; id:
	 * the finding's, or NULL). 0 delivered; -1 with *err, and *retry when another attempt
	 * is worth it (*retry_after: the receiver's Retry-After, heap, or NULL). */
	int (*send)(struct output *o, const char *body, size_t len, const char *event,
	    const char *id, char **retry_after, int *retry, char **err);
	/* At the end of the output's thread: release what send opened. NULL: nothing. */
	void (*close)(struct output *o);
};

extern const struct notify_ops notify_slack_ops;
extern const struct notify_ops notify_webhook_ops;
extern const struct notify_ops notify_falco_ops;

/* The memory half of dedup: an open-addressing set of finding ids (worker thread only). */
struct idset {
	char (*v)[33];
	size_t cap, n;
};

struct output {
	struct notifier *n;
	const struct notify_ops *ops;       /* its kind (slack, webhook, falco) */
	/* Configuration (a copy: the conf may go before the notifier). */
	char *name;
	enum conf_output_type type;
	char *url, *file, *hmac, *dead_letter;
	struct conf_output filt;        /* own copies of min_severity, kinds, rules */
	struct strlist headers;
	unsigned on;                    /* CONF_ON_*: open findings, resolutions */
	int rate_limit, retries;
	int64_t timeout_ms;

	pthread_t thread;
	int started;
	/* mu guards the queue, stopping and the counters. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *q[NOTIFY_QUEUE_CAP];
	size_t qhead, qlen;
	int stopping;
	int64_t drain_idle_ms, hard_at; /* set with stopping */
	_Atomic int64_t abort_at;       /* monotonic ms; 0 none: give up what is under way */
	struct notify_stat st;

	/* Worker thread only. */
	struct http *http;
	struct store *store;
	struct idset sent;              /* open findings sent */
	struct idset sent_res;          /* resolutions sent */
	struct notify_bucket bucket;
	uint64_t summary_pending;
	int64_t summary_due;
	FILE *fp;                       /* falco file output */
};

struct notifier {
	struct output *o;
	size_t n;
	char *store_path;
	char *holder;                   /* this worker, in its notification claims */
	char hostname[256];
	int drained;
	size_t undelivered;
};

/* notify.c: POST body to o->url (Content-Type, then extra, a NULL-terminated list or NULL,
 * then the configured headers), with o's timeout, abortable at the drain deadline; the
 * URL is a secret (errors show scheme://host). A send as notify_ops has it, with no extra. */
int notify_post(struct output *o, const char *body, size_t len, const char *const *extra,
    char **retry_after, int *retry, char **err);
int notify_send_post(struct output *o, const char *body, size_t len, const char *event,
    const char *id, char **retry_after, int *retry, char **err);

/* notify_fmt.c: a string at o.a (or o.a.b), or NULL; an object at o.a, or NULL. */
const char *notify_jstr(json_object *o, const char *a, const char *b);
json_object *notify_jobj(json_object *o, const char *a);
const char *notify_or_dash(const char *s);          /* s, or "-" when NULL or empty */
/* Slack mrkdwn (&, <, > escaped; backticks, line breaks replaced), at most max bytes, then
 * "…" (never splitting a character). */
void notify_sb_mrkdwn(struct strbuf *sb, const char *s, size_t max);
/* The same as plain text when md is 0 (line breaks as spaces). */
void notify_sb_text(struct strbuf *sb, const char *s, size_t max, int md);
void notify_sb_line(struct strbuf *sb, const char *s);   /* line breaks as spaces */
/* A resolution object's resolver (its actor's name, else principal), or NULL. */
const char *notify_resolver(json_object *res);
/* The resolution in words ("reverted by hand by alice (ModifyInstanceAttribute, 10:14
 * UTC)"), and what it resolved ("ADDRESS attr, attr"); md: Slack mrkdwn. */
void notify_sb_resolution(struct strbuf *sb, json_object *fj, int md);
void notify_sb_what_resolved(struct strbuf *sb, json_object *fj, int md);

#endif
