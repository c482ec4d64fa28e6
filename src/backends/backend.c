/* backend: Terraform state from local files, S3, GCS, the HTTP backend and HCP Terraform,
 * downloaded only when it changed. See backend.h for the spec forms and the ownership rule.
 * This file is the dispatcher (the backend table, the bookkeeping state_src_describe reports)
 * and what the backends share (backend_int.h); each backend is in its own file behind a
 * const struct backend_ops (backend_local.c, backend_s3.c, backend_gcs.c, backend_http.c,
 * backend_hcp.c). */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend_int.h"
#include "http.h"
#include "jscan.h"
#include "util.h"

#define DEFAULT_RETRIES 2

/* The backends, in the order their schemes are tried. */
static const struct backend_ops *const backend_table[] = {
	&backend_local_ops,
	&backend_s3_ops,
	&backend_gcs_ops,
	&backend_http_ops,
	&backend_hcp_ops,
};

/* ---- small helpers ---- */

void
backend_set_str(char **slot, const char *v)
{
	char *n = xstrdup(v);

	free(*slot);
	*slot = n;
}

void
backend_wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* Percent-decode n bytes of s (a query value); NULL on a bad escape. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int a, b;

			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			a = tf_hexval((unsigned char)s[i + 1]);
			b = tf_hexval((unsigned char)s[i + 2]);
			if (a < 0 || b < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(a * 16 + b);
			i += 2;
		} else
			*o++ = s[i] == '+' ? ' ' : s[i];
	}
	*o = '\0';
	return out;
}

int
backend_parse_opts(const char *spec, const char *q, struct specopt *opts, size_t nopts,
    char **err)
{
	const char *p = q, *amp, *eq;
	size_t i;

	while (p != NULL && *p != '\0') {
		amp = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			return tf_err(err, "%s: option '%.*s' needs a value (name=value)", spec,
			    (int)(amp - p), p);
		for (i = 0; i < nopts; i++)
			if (strlen(opts[i].name) == (size_t)(eq - p) &&
			    strncmp(opts[i].name, p, (size_t)(eq - p)) == 0)
				break;
		if (i == nopts) {
			struct strbuf known;
			size_t j;

			sb_init(&known);
			for (j = 0; j < nopts; j++)
				sb_addf(&known, "%s%s", j ? ", " : "", opts[j].name);
			tf_err(err, "%s: unknown option '%.*s' (known: %s)", spec, (int)(eq - p), p,
			    known.buf);
			sb_free(&known);
			return -1;
		}
		free(opts[i].value);
		opts[i].value = pct_decode(eq + 1, (size_t)(amp - eq - 1));
		if (opts[i].value == NULL)
			return tf_err(err, "%s: option %s: bad %%-escape", spec, opts[i].name);
		p = *amp ? amp + 1 : amp;
	}
	return 0;
}

void
backend_free_opts(struct specopt *opts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(opts[i].value);
}

const char *
backend_pick(const char *a, const char *b, const char *c)
{
	if (a != NULL && *a != '\0')
		return a;
	if (b != NULL && *b != '\0')
		return b;
	return c;
}

int
backend_valid_workspace(const char *ws)
{
	return ws != NULL && *ws != '\0' && strchr(ws, '/') == NULL && strcmp(ws, ".") != 0 &&
	    strcmp(ws, "..") != 0;
}



/* Stops the walk once both are known (a big state need not be read to its end). */
#define PEEK_DONE 1

struct peek {
	uint64_t *serial;
	char **lineage;
	int got_serial;
};

static int
peek_member(struct jscan *s, const char *k, size_t kl, void *arg)
{
	struct peek *pk = arg;
	struct jscan_str v;

	if (strcmp(k, "serial") == 0 && kl == 6) {
		if (jscan_uint64(s, pk->serial) != 0)
			return -1;
		pk->got_serial = 1;
	} else if (strcmp(k, "lineage") == 0 && kl == 7 && jscan_peek(s) == JSCAN_STRING) {
		if (jscan_string(s, &v) != 0)
			return -1;
		free(*pk->lineage);
		*pk->lineage = jscan_strdup(&v, NULL);
	} else if (jscan_skip(s, NULL, NULL) != 0)
		return -1;
	return pk->got_serial && *pk->lineage != NULL ? PEEK_DONE : 0;
}

int
state_peek(const char *buf, size_t len, uint64_t *serial, char **lineage)
{
	struct jscan s;
	struct peek pk = { serial, lineage, 0 };

	*serial = 0;
	*lineage = NULL;
	jscan_init(&s, buf, len);
	jscan_object(&s, peek_member, &pk);
	return pk.got_serial && *lineage != NULL ? 0 : -1;
}

void
backend_note_bytes(struct state_src *s, size_t n)
{
	pthread_mutex_lock(&s->mu);
	s->bytes += n;
	pthread_mutex_unlock(&s->mu);
}

void
backend_note_ok(struct state_src *s, int changed, const char *version, const char *buf,
    size_t len, int64_t changed_ms)
{
	uint64_t serial = 0;
	char *lineage = NULL;

	if (changed)
		state_peek(buf, len, &serial, &lineage);
	pthread_mutex_lock(&s->mu);
	s->fetches++;
	s->last_fetch_ms = tf_now_ms();
	free(s->last_error);
	s->last_error = NULL;
	if (version != NULL)
		backend_set_str(&s->version, version);
	if (changed) {
		s->downloads++;
		/* Never after the fetch that saw it: a clock ahead of ours would say "in 5m". */
		s->last_change_ms = changed_ms > 0 && changed_ms < s->last_fetch_ms ? changed_ms :
		    s->last_fetch_ms;
		s->serial = serial;
		free(s->lineage);
		s->lineage = lineage;
	} else
		s->unchanged++;
	pthread_mutex_unlock(&s->mu);
}

static int
note_err(struct state_src *s, char **err)
{
	pthread_mutex_lock(&s->mu);
	s->fetches++;
	s->errors++;
	s->last_fetch_ms = tf_now_ms();
	backend_set_str(&s->last_error, err != NULL && *err != NULL ? *err : "failed");
	pthread_mutex_unlock(&s->mu);
	return -1;
}

void
state_src_reject(struct state_src *s, const char *why)
{
	/* Forget every change key: the next fetch downloads the whole state again. */
	s->ops->forget(s);
	pthread_mutex_lock(&s->mu);
	backend_set_str(&s->last_error, why != NULL ? why : "the state was rejected");
	s->errors++;
	pthread_mutex_unlock(&s->mu);
}

void
state_src_describe(struct state_src *s, struct state_src_info *out)
{
	memset(out, 0, sizeof *out);
	out->kind = s->ops->name;
	pthread_mutex_lock(&s->mu);
	out->location = xstrdup(s->location);
	out->version = xstrdup(s->version);
	out->serial = s->serial;
	out->lineage = xstrdup(s->lineage);
	out->last_fetch_ms = s->last_fetch_ms;
	out->last_change_ms = s->last_change_ms;
	out->last_error = xstrdup(s->last_error);
	out->fetches = s->fetches;
	out->downloads = s->downloads;
	out->unchanged = s->unchanged;
	out->errors = s->errors;
	out->bytes = s->bytes;
	pthread_mutex_unlock(&s->mu);
}

void
state_src_info_clear(struct state_src_info *in)
{
	free(in->location);
	free(in->version);
	free(in->lineage);
	free(in->last_error);
	memset(in, 0, sizeof *in);
}

/* ---- transport ---- */

static void
req_after(void *ctx, struct http_req *rq, const struct http_resp *rs)
{
	(void)rq;
	backend_note_bytes(ctx, rs->body.len);
}

void
backend_retry(struct state_src *s, struct http_retry *rp)
{
	memset(rp, 0, sizeof *rp);
	rp->attempts = s->retries + 1;
	rp->base_ms = 100;
	rp->cap_ms = 2000;
	rp->hand_over_last = 1;
	rp->want = "JSON";
	rp->bare_redirect_ok = 1;
	rp->ctx = s;
	rp->after = req_after;
	if (s->h == NULL)
		s->h = http_new();
}

/* http.c names the URL (for GCS and HCP an API path); a reader knows the state by its own
 * name. */
static int
req_end(struct state_src *s, int rc, char *e, char **err)
{
	if (rc != 0)
		tf_err(err, "%s: %s", s->location, e != NULL ? e : "stopped");
	free(e);
	return rc != 0 ? -1 : 0;
}

int
backend_do_req(struct state_src *s, struct http_req *rq, struct http_resp *rs, char **err)
{
	struct http_retry rp;
	char *e = NULL;
	int rc;

	backend_retry(s, &rp);
	rq->timeout_ms = s->timeout_ms;
	rc = http_call(s->h, rq, rs, &rp, &e);
	return req_end(s, rc, e, err);
}

int
backend_aws_req(struct state_src *s, struct aws_call *ac, struct http_req *rq,
    struct http_resp *rs, char **err)
{
	char *e = NULL;
	int rc;

	backend_retry(s, &ac->retry);
	rq->timeout_ms = s->timeout_ms;
	rc = aws_call(s->h, ac, rq, rs, &e);
	return req_end(s, rc, e, err);
}

void
backend_take_body(struct http_resp *rs, char **buf, size_t *len)
{
	*len = rs->body.len;
	*buf = sb_detach(&rs->body);
	if (*buf == NULL)
		*buf = xstrdup("");
}

char *
backend_clean_msg(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t i;

	if (n > BACKEND_MSG_MAX)
		n = BACKEND_MSG_MAX;
	for (i = 0; i < n; i++)
		o[i] = isprint((unsigned char)s[i]) ? s[i] : ' ';
	o[n] = '\0';
	return o;
}


/* ---- the dispatcher ---- */

/* The backend whose scheme starts spec; the local one for a spec without "://"; NULL for an
 * unknown scheme. */
static const struct backend_ops *
backend_for(const char *spec)
{
	const char *const *sc;
	size_t i;

	for (i = 0; i < TF_ARRLEN(backend_table); i++)
		for (sc = backend_table[i]->schemes; sc != NULL && *sc != NULL; sc++)
			if (tf_str_has_prefix(spec, *sc))
				return backend_table[i];
	return strstr(spec, "://") != NULL ? NULL : &backend_local_ops;
}

struct state_src *
state_src_new(const char *spec, const struct state_src_opts *o, char **err)
{
	const struct backend_ops *ops;
	struct state_src *s;

	if (spec == NULL || *spec == '\0') {
		tf_err(err, "empty state source");
		return NULL;
	}
	if ((ops = backend_for(spec)) == NULL) {
		tf_err(err, "%.*s: unknown state source (use a path, s3://, gs://, http(s)://, "
		    "tfc:// or tfe://)", (int)(strstr(spec, "://") - spec + 3), spec);
		return NULL;
	}
	s = xcalloc(1, sizeof *s);
	s->ops = ops;
	s->priv = xcalloc(1, ops->priv_size);
	pthread_mutex_init(&s->mu, NULL);
	s->timeout_ms = o != NULL ? o->timeout_ms : 0;
	s->retries = o != NULL && o->retries ? o->retries : DEFAULT_RETRIES;
	if (ops->open(s, spec, o, err) != 0) {
		state_src_free(s);
		return NULL;
	}
	return s;
}

void
state_src_free(struct state_src *s)
{
	if (s == NULL)
		return;
	s->ops->free(s);
	free(s->priv);
	http_free(s->h);
	free(s->location);
	free(s->version);
	free(s->lineage);
	free(s->last_error);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

enum state_kind
state_src_kind(const struct state_src *s)
{
	return s->ops->kind;
}

int
state_src_fetch(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	int rc;

	*buf = NULL;
	*len = 0;
	*unchanged = 0;
	rc = s->ops->fetch(s, buf, len, unchanged, err);
	if (rc != 0) {
		*buf = NULL;
		*len = 0;
		*unchanged = 0;
		return note_err(s, err);
	}
	return 0;
}
