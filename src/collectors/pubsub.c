/* pubsub: a Pub/Sub pull subscription fed by a Cloud Logging sink (see pubsub.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "collectors/pubsub.h"
#include "event.h"
#include "gcp_auth.h"
#include "http.h"
#include "idset.h"
#include "sources.h"
#include "util.h"

#define PS_RECENT_IDS 1000         /* entry ids kept in the cursor against redelivery */
#define PS_WATERMARK_LAG_MS 120000 /* a sink's delivery delay allowed for (gcplogging's) */

struct ps_consumer {
	struct ps_opts o;               /* strings below are owned copies */
	char *name, *subscription, *endpoint, *quota_hdr, *cursor_name;
	char *url_pull, *url_ack, *url_modify;
	struct http *http;
	char *token;
	struct ps_stats st;
	int64_t last_poll_wall, newest_event_ms;
	char *last_error;
	struct source_rate rate;        /* events per second over the last minute */
	/* The ids of the last entries stored (the shared bounded set, idset.h: the oldest go
	 * first), kept in the cursor: a batch stored but not acknowledged before a crash comes
	 * again, and is acknowledged without being handed over twice. */
	struct tf_idset *recent;
	int64_t nadded;                 /* the insertion count: each id's time in the set */
	int restored;
};

/* ---- decoding ---- */

static int
b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+' || ch == '-')
		return 62;
	if (ch == '/' || ch == '_')
		return 63;
	return -1;
}

char *
ps_b64decode(const char *s, size_t *len)
{
	size_t n = strlen(s), i, o = 0, pad = 0;
	unsigned acc = 0;
	int bits = 0;
	char *out;

	while (n > 0 && s[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad > 0 && (n + pad) % 4 != 0)
		return NULL;
	if (n % 4 == 1)
		return NULL;            /* 6 bits cannot end a byte */
	out = xmalloc(n / 4 * 3 + 3);
	for (i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);

		if (v < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*len = o;
	return out;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* A whole JSON value of len bytes, or NULL. */
static json_object *
parse_whole(const char *s, size_t len)
{
	json_tokener *tok;
	json_object *o;

	if (len > INT32_MAX)
		return NULL;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (o != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* One message's data -> m->ev, or m->why. */
static void
decode_data(const char *data, struct ps_message *m)
{
	size_t n;
	char *raw;
	json_object *e;

	if (data == NULL) {
		m->why = "no data";
		return;
	}
	if ((raw = ps_b64decode(data, &n)) == NULL) {
		m->why = "data is not base64";
		return;
	}
	e = parse_whole(raw, n);
	free(raw);
	if (e == NULL || !json_object_is_type(e, json_type_object)) {
		json_object_put(e);
		m->why = "data is not a JSON object (a Logging sink publishes one LogEntry a message)";
		return;
	}
	if (event_from_logentry(e, &m->ev, &m->why) == 0)
		m->ok = 1;
	else
		event_free(&m->ev);
	json_object_put(e);
}

int
ps_decode_pull(const char *body, size_t len, struct ps_message **out, size_t *n, char **err)
{
	json_object *o = parse_whole(body, len), *rm;
	size_t i, k;

	*out = NULL;
	*n = 0;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return tf_err(err, "not a JSON object (%zu bytes)", len);
	}
	if (!json_object_object_get_ex(o, "receivedMessages", &rm)) {
		json_object_put(o);
		return 0;               /* {}: nothing to deliver */
	}
	if (!json_object_is_type(rm, json_type_array)) {
		json_object_put(o);
		return tf_err(err, "receivedMessages is not an array");
	}
	k = json_object_array_length(rm);
	*out = xcalloc(k + 1, sizeof **out);
	for (i = 0; i < k; i++) {
		json_object *r = json_object_array_get_idx(rm, i), *msg = NULL;
		const char *ack = jstr(r, "ackId");
		struct ps_message *m = &(*out)[*n];

		if (ack == NULL || *ack == '\0') {
			ps_messages_free(*out, *n);
			*out = NULL;
			*n = 0;
			json_object_put(o);
			return tf_err(err, "received message %zu has no ackId", i + 1);
		}
		if (json_object_is_type(r, json_type_object))
			json_object_object_get_ex(r, "message", &msg);
		m->ack_id = xstrdup(ack);
		m->message_id = xstrdup(jstr(msg, "messageId") != NULL ? jstr(msg, "messageId") : "");
		if (msg == NULL || !json_object_is_type(msg, json_type_object))
			m->why = "no message";
		else
			decode_data(jstr(msg, "data"), m);
		(*n)++;
	}
	json_object_put(o);
	return 0;
}

void
ps_messages_free(struct ps_message *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(m[i].ack_id);
		free(m[i].message_id);
		event_free(&m[i].ev);
	}
	free(m);
}

/* ---- the consumer ---- */

static void
set_error(struct ps_consumer *c, const char *msg)
{
	free(c->last_error);
	c->last_error = msg != NULL ? xstrdup(msg) : NULL;
}

static void
report(struct ps_consumer *c, const struct source_sink *k)
{
	struct source_status st;
	int64_t now = tf_now_ms();

	memset(&st, 0, sizeof st);
	st.name = c->name;
	st.last_poll_ms = c->last_poll_wall;
	st.lag_ms = c->newest_event_ms ? now - c->newest_event_ms : -1;
	st.events_per_s = source_rate_per_s(&c->rate, now);
	st.events = c->st.events;
	st.requests = c->st.requests;
	st.errors = c->st.errors;
	st.retries = c->st.retries;
	st.last_error = c->last_error;
	st.backfill = -1;
	k->status(k->ctx, &st);
}

int
ps_subscription_valid(const char *s)
{
	const char *p;

	/* projects/P/subscriptions/S: P and S non-empty, no more slashes. */
	return s != NULL && tf_str_has_prefix(s, "projects/") && (p = strchr(s + 9, '/')) != NULL &&
	    p != s + 9 && tf_str_has_prefix(p, "/subscriptions/") && p[15] != '\0' &&
	    strchr(p + 15, '/') == NULL;
}

struct ps_consumer *
ps_consumer_new(const struct ps_opts *o, char **err)
{
	struct ps_consumer *c;
	const char *ep, *s = o->subscription;
	size_t n;

	if (!ps_subscription_valid(s)) {
		tf_err(err, "pubsub: the subscription must read projects/PROJECT/subscriptions/NAME, "
		    "got \"%s\"", s != NULL ? s : "");
		return NULL;
	}
	if (o->tokens.get == NULL) {
		tf_err(err, "pubsub %s: no token source", s);
		return NULL;
	}
	ep = o->endpoint != NULL && *o->endpoint ? o->endpoint : PS_DEFAULT_ENDPOINT;
	if (!tf_str_has_prefix(ep, "https://") && !tf_str_has_prefix(ep, "http://")) {
		tf_err(err, "pubsub %s: endpoint \"%s\" is not an http(s) URL", s, ep);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->recent = tf_idset_new(PS_RECENT_IDS);
	c->o = *o;
	c->subscription = xstrdup(s);
	c->name = o->name != NULL ? xstrdup(o->name) : xasprintf("pubsub %s", s);
	n = strlen(ep);
	while (n > 0 && ep[n - 1] == '/')
		n--;
	c->endpoint = xstrndup(ep, n);
	c->url_pull = xasprintf("%s/v1/%s:pull", c->endpoint, s);
	c->url_ack = xasprintf("%s/v1/%s:acknowledge", c->endpoint, s);
	c->url_modify = xasprintf("%s/v1/%s:modifyAckDeadline", c->endpoint, s);
	if (o->quota_project != NULL && *o->quota_project)
		c->quota_hdr = xasprintf("x-goog-user-project: %s", o->quota_project);
	c->cursor_name = xasprintf("pubsub:%s", s);
	c->o.name = c->name;
	c->o.subscription = c->subscription;
	c->o.endpoint = c->endpoint;
	c->o.quota_project = NULL;
	if (c->o.max_messages <= 0)
		c->o.max_messages = 100;
	if (c->o.max_messages > 1000)
		c->o.max_messages = 1000;
	if (c->o.ack_deadline_ms <= 0)
		c->o.ack_deadline_ms = 60000;
	if (c->o.ack_deadline_ms < 10000)
		c->o.ack_deadline_ms = 10000;
	if (c->o.ack_deadline_ms > 600000)
		c->o.ack_deadline_ms = 600000;
	if (c->o.idle_ms <= 0)
		c->o.idle_ms = 1000;
	if (c->o.max_attempts == 0)
		c->o.max_attempts = 8;
	if (c->o.backoff_base_ms <= 0)
		c->o.backoff_base_ms = 1000;
	if (c->o.backoff_cap_ms <= 0)
		c->o.backoff_cap_ms = 60000;
	if (c->o.timeout_ms <= 0)
		c->o.timeout_ms = 90000;
	c->http = http_new();
	return c;
}

static void
drop_token(struct ps_consumer *c)
{
	if (c->token != NULL) {
		memset(c->token, 0, strlen(c->token));
		free(c->token);
		c->token = NULL;
	}
}

void
ps_consumer_free(struct ps_consumer *c)
{
	if (c == NULL)
		return;
	http_free(c->http);
	drop_token(c);
	tf_idset_free(c->recent);
	free(c->name);
	free(c->subscription);
	free(c->endpoint);
	free(c->quota_hdr);
	free(c->cursor_name);
	free(c->url_pull);
	free(c->url_ack);
	free(c->url_modify);
	free(c->last_error);
	free(c);
}

const struct ps_stats *
ps_consumer_stats(const struct ps_consumer *c)
{
	return &c->st;
}

/* The Google error's status and message from a response body, for messages. */
static char *
google_error(const struct http_resp *rs)
{
	json_object *o = parse_whole(rs->body.buf != NULL ? rs->body.buf : "", rs->body.len), *e;
	const char *status = NULL, *msg = NULL;
	char *out;

	if (o != NULL && json_object_object_get_ex(o, "error", &e)) {
		status = jstr(e, "status");
		msg = jstr(e, "message");
	}
	out = xasprintf("%ld%s%s%s%.300s", rs->status, status ? " " : "", status ? status : "",
	    msg ? ": " : "", msg ? msg : "");
	json_object_put(o);
	return out;
}

/* One POST under http_call (http.h): its hooks. */
struct post_ctx {
	struct ps_consumer *c;
	const struct source_sink *k;
	const char *url;
};

static int
post_sleep(void *ctx, int64_t ms)
{
	struct post_ctx *x = ctx;

	return x->k->sleep(x->k->ctx, ms);
}

/* Before every attempt: a token (the source caches it and replaces one before it expires). */
static int
post_prepare(void *ctx, struct http_req *rq, char **err)
{
	struct post_ctx *x = ctx;
	struct ps_consumer *c = x->c;
	char *terr = NULL;

	drop_token(c);
	if (c->o.tokens.get(c->o.tokens.ctx, &c->token, &terr) != 0) {
		tf_err(err, "%s: no access token for %s: %s", c->name, x->url, terr);
		free(terr);
		return -1;
	}
	rq->bearer = c->token;
	return 0;
}

/* A Pub/Sub answer: 200 (done), a 401 (one fresh token), a throttle or 5xx (retry), else an
 * error with what to check. */
static enum http_verdict
post_judge(void *ctx, struct http_resp *rs, int refreshed, char **why)
{
	struct post_ctx *x = ctx;
	struct ps_consumer *c = x->c;
	char *ge;

	if (rs->status == 200)
		return HTTP_DONE;
	if (rs->status == 401 && !refreshed) {
		/* The token expired or was revoked early: one fresh token, then again. */
		c->st.token_refreshes++;
		if (c->o.token_invalidate != NULL)
			c->o.token_invalidate(c->o.tokens.ctx, c->token);
		drop_token(c);
		return HTTP_REFRESH;
	}
	ge = google_error(rs);
	if (!http_retryable(rs)) {
		*why = xasprintf("POST %s: %s%s", x->url, ge,
		    rs->status == 401 ? "; a fresh token was refused too: check the credentials" :
		    rs->status == 403 ? "; the credentials need pubsub.subscriptions.consume on "
		    "the subscription (roles/pubsub.subscriber)" :
		    rs->status == 404 ? "; check the subscription and the endpoint" : "");
		free(ge);
		return HTTP_FAIL;
	}
	*why = xasprintf("POST %s: %s", x->url, ge);
	free(ge);
	return HTTP_RETRY;
}

/* A retry: the status shows the error until a batch goes through. */
static void
post_on_retry(void *ctx, const char *why, unsigned attempt)
{
	struct post_ctx *x = ctx;
	char *m = xasprintf("%s: %s; retry %u", x->c->name, why, attempt);

	set_error(x->c, m);
	free(m);
	report(x->c, x->k);
}

/* POST body to url with a bearer token, retrying what is worth it (http_call). 0 with *resp
 * (the 200 body, heap), 1 stop, -1 with *err. */
static int
post(struct ps_consumer *c, const struct source_sink *k, const char *url, const char *body,
    char **resp, char **err)
{
	const char *hdrs[4] = { "Content-Type: application/json", "Accept: application/json",
	    c->quota_hdr, NULL };
	struct post_ctx x = { c, k, url };
	struct http_retry rp;
	struct http_req rq;
	struct http_resp rs;
	char *why = NULL;
	int rc;

	*resp = NULL;
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.timeout_ms = c->o.timeout_ms;
	memset(&rp, 0, sizeof rp);
	rp.attempts = c->o.max_attempts;
	rp.base_ms = c->o.backoff_base_ms;
	rp.cap_ms = c->o.backoff_cap_ms;
	rp.want = "JSON";
	rp.judged_status = 401;         /* a 401 gets a fresh token first */
	rp.ctx = &x;
	rp.sleep = post_sleep;
	rp.prepare = post_prepare;
	rp.judge = post_judge;
	rp.on_retry = post_on_retry;
	rp.requests = &c->st.requests;
	rp.retries = &c->st.retries;
	rc = http_call(c->http, &rq, &rs, &rp, &why);
	if (rc == 0) {
		*resp = xstrndup(rs.body.buf != NULL ? rs.body.buf : "", rs.body.len);
		http_resp_free(&rs);
		return 0;
	}
	if (rc == -2) {
		free(why);
		return 1;
	}
	if (rp.end == HTTP_END_EXHAUSTED)
		tf_err(err, "%s: giving up after %u attempts: %s", c->name, rp.attempt, why);
	else if (rp.end == HTTP_END_NOT_API)
		/* A redirect or a web page: something between us and Google; no retry helps. */
		tf_err(err, "%s: POST %s: %s", c->name, url, why);
	else if (rp.end == HTTP_END_PREPARE)
		tf_err(err, "%s", why);
	else
		tf_err(err, "%s: %s", c->name, why);
	free(why);
	return -1;
}

/* {"ackIds":[...]} (+ "ackDeadlineSeconds") for messages [0, n). Heap. */
static char *
ack_body(const struct ps_message *m, size_t n, int deadline_s)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i;
	char *s;

	for (i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_string(m[i].ack_id));
	json_object_object_add(o, "ackIds", a);
	if (deadline_s >= 0)
		json_object_object_add(o, "ackDeadlineSeconds", json_object_new_int(deadline_s));
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* Acknowledge (deadline -1) or extend the messages. 0, 1 stop, -1 *err. */
static int
ack_or_extend(struct ps_consumer *c, const struct source_sink *k, const struct ps_message *m,
    size_t n, int deadline_s, char **err)
{
	char *body, *resp = NULL;
	int rc;

	if (n == 0)
		return 0;
	body = ack_body(m, n, deadline_s);
	rc = post(c, k, deadline_s < 0 ? c->url_ack : c->url_modify, body, &resp, err);
	free(body);
	free(resp);
	if (rc == 0) {
		if (deadline_s < 0)
			c->st.acked += n;
		else
			c->st.extended += n;
	}
	return rc;
}

static int
recent_has(const struct ps_consumer *c, const char *id)
{
	return tf_idset_has(c->recent, tf_hash_str(id));
}

static void
recent_add_hash(struct ps_consumer *c, uint64_t h)
{
	tf_idset_add(c->recent, h, c->nadded++);
}

/* The cursor: {"v":2,"acked":N,"ids":[oldest..newest]}, each id as its hash in hex
 * (tf_idset_hex; v1 kept the ids themselves). Heap. */
static char *
cursor_encode(const struct ps_consumer *c, uint64_t acked)
{
	json_object *o = json_object_new_object(), *a = json_object_new_array();
	size_t i, n = tf_idset_count(c->recent);
	char *s, hex[17];
	uint64_t h;
	int64_t t;

	for (i = 0; i < n; i++) {
		tf_idset_get(c->recent, i, &h, &t);
		tf_idset_hex(h, hex);
		json_object_array_add(a, json_object_new_string(hex));
	}
	json_object_object_add(o, "v", json_object_new_int(2));
	json_object_object_add(o, "acked", json_object_new_int64((int64_t)acked));
	json_object_object_add(o, "ids", a);
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return s;
}

/* Once, before the first batch: the ids the last run stored. */
static void
cursor_restore(struct ps_consumer *c, const struct source_sink *k)
{
	char *v;
	json_object *o, *a, *ver;
	size_t i, n;
	uint64_t h;
	int v1;

	c->restored = 1;
	if (k->cursor_get == NULL || (v = k->cursor_get(k->ctx, c->cursor_name)) == NULL)
		return;
	o = parse_whole(v, strlen(v));
	/* v1 (and a cursor without "v") kept the ids themselves, v2 their hashes. */
	v1 = o == NULL || !json_object_object_get_ex(o, "v", &ver) || json_object_get_int(ver) < 2;
	if (o != NULL && json_object_object_get_ex(o, "ids", &a) &&
	    json_object_is_type(a, json_type_array))
		for (i = 0, n = json_object_array_length(a); i < n; i++) {
			const char *id = json_object_get_string(json_object_array_get_idx(a, i));

			if (id == NULL || !json_object_is_type(json_object_array_get_idx(a, i),
			    json_type_string))
				continue;
			if (v1)
				recent_add_hash(c, tf_hash_str(id));
			else if (tf_idset_parse_hex(id, &h) == 0)
				recent_add_hash(c, h);
		}
	json_object_put(o);
	free(v);
}

/* Extend the batch's deadline when half of it has passed since *since (monotonic ms). */
static int
keep_batch(struct ps_consumer *c, const struct source_sink *k, const struct ps_message *m,
    size_t n, int64_t *since, char **err)
{
	int rc;

	if (tf_mono_ms() - *since < c->o.ack_deadline_ms / 2)
		return 0;
	rc = ack_or_extend(c, k, m, n, (int)(c->o.ack_deadline_ms / 1000), err);
	if (rc == 0)
		*since = tf_mono_ms();
	return rc;
}

static void
fail(struct ps_consumer *c, const struct source_sink *k, const char *msg)
{
	c->st.errors++;
	set_error(c, msg);
	report(c, k);
}

int
ps_poll_once(struct ps_consumer *c, const struct source_sink *k, int immediate, char **err)
{
	char *body, *resp = NULL, *e = NULL, *cur;
	struct ps_message *m = NULL;
	struct strbuf badlist;
	size_t n = 0, i, bad = 0;
	int64_t pulled, newest = 0;
	int rc;

	if (!c->restored)
		cursor_restore(c, k);
	body = xasprintf("{\"maxMessages\":%d%s}", c->o.max_messages,
	    immediate ? ",\"returnImmediately\":true" : "");
	rc = post(c, k, c->url_pull, body, &resp, &e);
	free(body);
	if (rc == 1)
		return 2;
	if (rc < 0) {
		fail(c, k, e);
		tf_err(err, "%s", e);
		free(e);
		return -1;
	}
	pulled = tf_mono_ms();
	c->st.pulls++;
	if (ps_decode_pull(resp, strlen(resp), &m, &n, &e) != 0) {
		/* Nothing can be acknowledged without ackIds: the messages come back later. */
		char *msg = xasprintf("%s: POST %s: not a pull response: %s", c->name, c->url_pull, e);

		free(e);
		free(resp);
		fail(c, k, msg);
		tf_err(err, "%s", msg);
		free(msg);
		return -1;
	}
	free(resp);
	c->last_poll_wall = tf_now_ms();
	if (n == 0) {
		report(c, k);
		return 0;
	}
	c->st.messages += n;
	sb_init(&badlist);
	for (i = 0; i < n; i++) {
		if (!m[i].ok) {
			/* Named in the status with its messageId; acknowledged with the batch. */
			c->st.malformed++;
			if (bad++ < 10)
				sb_addf(&badlist, "%s%s (%s)", badlist.len ? ", " : "",
				    *m[i].message_id ? m[i].message_id : "without a messageId", m[i].why);
			continue;
		}
		if (m[i].ev.id != NULL && recent_has(c, m[i].ev.id)) {
			/* Stored before a crash kept it from being acknowledged. */
			c->st.duplicates++;
			continue;
		}
		{
			struct event *ev = xmalloc(sizeof *ev);
			int64_t t = m[i].ev.time_ms;

			if (m[i].ev.id != NULL)
				recent_add_hash(c, tf_hash_str(m[i].ev.id));
			*ev = m[i].ev;
			memset(&m[i].ev, 0, sizeof m[i].ev);
			if (k->event(k->ctx, ev) != 0) {
				sb_free(&badlist);
				ps_messages_free(m, n);
				return 2;       /* stopping: not acknowledged, redelivered */
			}
			c->st.events++;
			source_rate_count(&c->rate, tf_now_ms());
			if (t > newest)
				newest = t;
		}
		if (keep_batch(c, k, m, n, &pulled, &e) < 0) {
			fail(c, k, e);
			free(e);
			e = NULL;
		}
	}
	if (newest > c->newest_event_ms)
		c->newest_event_ms = newest;
	if (bad > 0) {
		char *msg = xasprintf("%s: %zu message%s not a Cloud Audit Logs entry, acknowledged "
		    "and dropped (%llu malformed in all): message %s%s", c->name, bad,
		    bad == 1 ? " is" : "s are", (unsigned long long)c->st.malformed, badlist.buf,
		    bad > 10 ? ", ..." : "");

		set_error(c, msg);
		free(msg);
		report(c, k);
	}
	sb_free(&badlist);
	/* Everything handed over is decided and stored once the cursor is: then acknowledge. */
	if (keep_batch(c, k, m, n, &pulled, &e) < 0) {
		fail(c, k, e);
		free(e);
		e = NULL;
	}
	cur = cursor_encode(c, c->st.acked + n);
	if (k->cursor_set(k->ctx, c->cursor_name, cur, &e) != 0) {
		char *msg = xasprintf("%s: cannot save the batch (%zu messages, left for Pub/Sub to "
		    "redeliver): %s", c->name, n, e != NULL ? e : "unknown error");

		free(e);
		free(cur);
		ps_messages_free(m, n);
		fail(c, k, msg);
		tf_err(err, "%s", msg);
		free(msg);
		return -1;
	}
	free(cur);
	/* A pull that did not fill up drained the backlog: what a sink publishes within two
	 * minutes has come, so GCP operations held for a first entry older than that are due
	 * (detect.h). A fuller backlog (after downtime) comes in no time order: no watermark. */
	if (k->watermark != NULL && n < (size_t)c->o.max_messages)
		k->watermark(k->ctx, tf_now_ms() - PS_WATERMARK_LAG_MS);
	rc = ack_or_extend(c, k, m, n, -1, &e);
	ps_messages_free(m, n);
	if (rc == 1)
		return 2;
	if (rc < 0) {
		fail(c, k, e);
		tf_err(err, "%s", e);
		free(e);
		return -1;
	}
	if (bad == 0)
		set_error(c, NULL);     /* a clean batch: the last error is over */
	report(c, k);
	return 1;
}

int
ps_consumer_run(struct ps_consumer *c, const struct source_sink *k)
{
	unsigned failures = 0;
	int rc;

	for (;;) {
		char *e = NULL;

		rc = ps_poll_once(c, k, 0, &e);
		free(e);
		if (rc == 2)
			break;
		if (rc < 0) {
			failures++;
			if (k->sleep(k->ctx, http_backoff_ms(failures, c->o.backoff_base_ms,
			    c->o.backoff_cap_ms, NULL) + c->o.backoff_base_ms))
				break;
			continue;
		}
		failures = 0;
		/* A server that answers an empty pull at once (returnImmediately, an emulator)
		 * is not asked again in a tight loop. */
		if (rc == 0 && k->sleep(k->ctx, c->o.idle_ms))
			break;
	}
	return 0;
}

/* ---- the collector (collector.h): a sources.gcp entry's subscription ---- */

struct ps_col {
	struct gcp_auth *auth;
	struct ps_consumer *c;
};

static int
ps_col_run(void *impl, const struct source_sink *sink)
{
	return ps_consumer_run(((struct ps_col *)impl)->c, sink);
}

static int
ps_col_once(void *impl, const struct source_sink *sink)
{
	struct ps_col *pc = impl;
	uint64_t errors = pc->c->st.errors;
	int rc;
	char *e = NULL;

	/* Until the subscription has nothing left for this worker. */
	while ((rc = ps_poll_once(pc->c, sink, 1, &e)) == 1)
		;
	free(e);
	return rc < 0 || pc->c->st.errors > errors ? -1 : 0;
}

static void
ps_col_free(void *impl)
{
	struct ps_col *pc = impl;

	ps_consumer_free(pc->c);
	gcp_auth_free(pc->auth);
	free(pc);
}

static int
ps_col_add(struct engine *e, struct sources_ctx *x, size_t entry, char **err)
{
	const struct conf_gcp_source *g = &x->conf->sources.gcp[entry];
	struct gcp_auth_opts ao;
	struct ps_opts o;
	struct ps_col *pc;
	char *name, *why = NULL;

	if (g->pubsub_subscription == NULL)
		return 0;
	pc = xcalloc(1, sizeof *pc);
	memset(&ao, 0, sizeof ao);
	ao.scopes = PS_SCOPE;
	if ((pc->auth = gcp_auth_new(&ao, &why)) == NULL) {
		tf_err(err, "sources.gcp %s: %s", g->name, why);
		free(why);
		free(pc);
		return -1;
	}
	name = xasprintf("pubsub %s %s", g->name, g->pubsub_subscription);
	memset(&o, 0, sizeof o);
	o.name = name;
	o.subscription = g->pubsub_subscription;
	o.endpoint = g->pubsub_endpoint;
	o.tokens = gcp_auth_token_source(pc->auth);
	o.token_invalidate = gcp_auth_invalidate;
	o.quota_project = gcp_auth_quota_project(pc->auth);
	o.max_messages = (int)g->pubsub_max_messages;
	o.ack_deadline_ms = g->pubsub_ack_deadline_ms;
	if ((pc->c = ps_consumer_new(&o, &why)) == NULL) {
		tf_err(err, "sources.gcp %s: %s", g->name, why);
		free(why);
		free(name);
		gcp_auth_free(pc->auth);
		free(pc);
		return -1;
	}
	engine_add(e, collector_new(&pubsub_collector_ops, name, pc));
	free(name);
	return 1;
}

const struct collector_ops pubsub_collector_ops = {
	.kind = "pubsub",
	.section = "sources.gcp",
	.add = ps_col_add,
	.run = ps_col_run,
	.poll_once = ps_col_once,
	.free = ps_col_free,
};
