/* backend_int: what the state backends share (backend.c: the dispatcher, the bookkeeping
 * state_src_describe reports, spec options, the HTTP transport; backend_local.c,
 * backend_s3.c, backend_gcs.c, backend_http.c, backend_hcp.c: one backend each behind a
 * const struct backend_ops); no other module includes it.
 *
 * Threads: as backend.h says. A backend's own data (s->priv, its change keys) is touched by
 * the fetching thread only; the fields state_src_describe reports are guarded by s->mu and
 * written through backend_note_ok / backend_note_err / backend_note_bytes. */
#ifndef TFDRIFT_BACKEND_INT_H
#define TFDRIFT_BACKEND_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "aws_creds.h"
#include "backends/backend.h"
#include "http.h"

#define BACKEND_MSG_MAX 300             /* server-provided message text kept in an error */

struct state_src;

/* One kind of backend (tmux's cmd_entry, tig's view_ops). */
struct backend_ops {
	const char *name;               /* state_src_info.kind: "local", "s3", ... */
	enum state_kind kind;
	/* Spec prefixes that pick this backend ("s3://"); NULL-terminated. The local backend
	 * is also the one for a spec with no "://" at all. */
	const char *const *schemes;
	size_t priv_size;               /* bytes of s->priv, zeroed by the dispatcher */
	/* Parse the spec (no I/O). s->location must be set on success. */
	int (*open)(struct state_src *s, const char *spec, const struct state_src_opts *o,
	    char **err);
	/* state_src_fetch's contract; the dispatcher has zeroed the outputs and counts a
	 * failure (backend_note_err) itself. */
	int (*fetch)(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err);
	/* Forget every change key: the next fetch downloads the whole state again. */
	void (*forget)(struct state_src *s);
	/* Free what s->priv holds (not s->priv itself); called after a failed open too. */
	void (*free)(struct state_src *s);
};

extern const struct backend_ops backend_local_ops;
extern const struct backend_ops backend_s3_ops;
extern const struct backend_ops backend_gcs_ops;
extern const struct backend_ops backend_http_ops;
extern const struct backend_ops backend_hcp_ops;

struct state_src {
	const struct backend_ops *ops;
	void *priv;                     /* the backend's own struct (ops->priv_size) */
	char *location;                 /* what messages and the Sources view name */
	long timeout_ms;
	unsigned retries;
	struct http *h;                 /* backend_do_req's handle, made on first use */
	/* what state_src_describe reports: guarded by mu */
	pthread_mutex_t mu;
	char *version, *lineage, *last_error;
	uint64_t serial;
	int64_t last_fetch_ms, last_change_ms;
	uint64_t fetches, downloads, unchanged, errors, bytes;
};

/* ---- small helpers ---- */
void backend_set_str(char **slot, const char *v);
/* Zero a secret's bytes, then free it. */
void backend_wipe_free(char *s);
/* The first of a, b that is set (non-empty), else c. */
const char *backend_pick(const char *a, const char *b, const char *c);
int backend_valid_workspace(const char *ws);
/* A short (BACKEND_MSG_MAX), printable copy of a server-provided message. Heap. */
char *backend_clean_msg(const char *s, size_t n);

/* The spec's ?a=1&b=2 options: fill opts[i].value (heap, percent-decoded) by name; an
 * unknown name, one without a value or a bad escape is an error naming the known ones. */
struct specopt {
	const char *name;
	char *value;
};
int backend_parse_opts(const char *spec, const char *q, struct specopt *opts, size_t nopts,
    char **err);
void backend_free_opts(struct specopt *opts, size_t n);

/* ---- bookkeeping for describe ---- */
void backend_note_bytes(struct state_src *s, size_t n);
/* After a successful fetch: version is the new change key (NULL: keep). changed_ms is when
 * the state itself last changed, as the backend tells it (a file's mtime, Last-Modified, GCS
 * `updated`, HCP `created-at`); 0 when it does not, and then the fetch that saw the change
 * stands in. */
void backend_note_ok(struct state_src *s, int changed, const char *version, const char *buf,
    size_t len, int64_t changed_ms);

/* ---- transport ---- */
/* The retry policy of every backend request (http_call): s->retries extra attempts on
 * transport errors, 429 and 5xx (not on a body over the size cap or an abort:
 * http_retryable), 100 ms to 2 s apart, the last answer handed over; a redirect that names
 * its target, or a web page, is an error that says so (S3's 301 without a Location, the
 * wrong region, is its caller's); bytes received counted. Makes s->h on first use. */
void backend_retry(struct state_src *s, struct http_retry *rp);
/* rq under backend_retry; an error names s->location. */
int backend_do_req(struct state_src *s, struct http_req *rq, struct http_resp *rs, char **err);
/* The same signed (aws_call: ac's creds, region, service and CA; its retry is set here),
 * with one refresh of expired keys. */
int backend_aws_req(struct state_src *s, struct aws_call *ac, struct http_req *rq,
    struct http_resp *rs, char **err);
/* Hand a response body over to the caller without copying it. */
void backend_take_body(struct http_resp *rs, char **buf, size_t *len);

#endif
