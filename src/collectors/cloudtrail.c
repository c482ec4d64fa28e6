/* cloudtrail: LookupEvents polling with overlapping windows, event-id dedup, a durable
 * cursor, a shared per-account-region rate limit, and retries (see cloudtrail.h). */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "collectors/cloudtrail.h"
#include "http.h"
#include "idset.h"
#include "paging.h"
#include "sources.h"
#include "util.h"

#define TARGET "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 20000
#define RATE_SLOTS 64

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
ct_limiter_init(struct ct_limiter *l, double rate)
{
	pthread_mutex_init(&l->mu, NULL);
	l->rate = rate > 0 ? rate : 2.0;
	l->next_ms = 0;
}

void
ct_limiter_destroy(struct ct_limiter *l)
{
	pthread_mutex_destroy(&l->mu);
}

int64_t
ct_limiter_reserve(struct ct_limiter *l)
{
	/* 1000/rate apart, plus 5 ms: AWS measures arrivals, and network jitter must not
	 * squeeze two of our requests into less than the interval on its side. */
	int64_t gap = (int64_t)ceil(1000.0 / l->rate) + 5, now = mono_ms(), slot;

	pthread_mutex_lock(&l->mu);
	slot = l->next_ms > now ? l->next_ms : now;
	l->next_ms = slot + gap;
	pthread_mutex_unlock(&l->mu);
	return slot - now;
}

/* The pending window: [start, low] still to query (pages come newest first). */
struct window {
	int active;
	int64_t start_s, end_s, low_s;
};

struct ct_poller {
	struct ct_options o;
	char *name, *region, *endpoint, *url;
	struct ct_limiter own_limiter;
	struct http *http;
	char *ca;                       /* aws_ca_bundle of the profile, or NULL */
	char *setup_err;                /* why the endpoint or CA cannot be used, or NULL */
	int loaded;                     /* cursor read */
	int64_t done_end_s;             /* EndTime of the last complete window; 0 none */
	int64_t newest_ms;              /* newest event time handed over */
	struct window w;
	struct tf_idset *seen;          /* event ids (hashed) at their times (s): the dedup set */
	int finished;                   /* backfill to until_ms done */
	/* status */
	uint64_t events, requests, errors, retries, dups;
	int64_t last_poll_ms;
	char *last_error;
	struct { int64_t t; uint64_t n; } rate[RATE_SLOTS];
	unsigned rate_i;
};

struct ct_poller *
ct_poller_new(const struct ct_options *o)
{
	struct ct_poller *p = xcalloc(1, sizeof *p);

	p->o = *o;
	p->name = xstrdup(o->name != NULL ? o->name : "cloudtrail");
	p->region = xstrdup(o->region != NULL ? o->region : "us-east-1");
	/* A bad endpoint or CA setting fails every poll, saying why (lookup). */
	p->endpoint = aws_endpoint(aws_creds_profile(o->creds), "CLOUDTRAIL", "cloudtrail",
	    p->region, o->endpoint, &p->setup_err);
	if (p->endpoint != NULL)
		p->url = xasprintf("%s/", p->endpoint);
	if (p->setup_err == NULL)
		aws_ca_bundle(aws_creds_profile(o->creds), &p->ca, &p->setup_err);
	p->o.name = p->name;
	p->o.region = p->region;
	if (p->o.interval_ms <= 0)
		p->o.interval_ms = CT_DEFAULT_INTERVAL_MS;
	if (p->o.lookback_ms <= 0)
		p->o.lookback_ms = CT_DEFAULT_LOOKBACK_MS;
	if (p->o.overlap_ms == 0)
		p->o.overlap_ms = CT_DEFAULT_OVERLAP_MS;
	else if (p->o.overlap_ms < 0)
		p->o.overlap_ms = 0;
	if (p->o.max_results <= 0 || p->o.max_results > CT_MAX_RESULTS)
		p->o.max_results = CT_MAX_RESULTS;
	if (p->o.max_attempts <= 0)
		p->o.max_attempts = 6;
	if (p->o.limiter == NULL) {
		ct_limiter_init(&p->own_limiter, 2.0);
		p->o.limiter = &p->own_limiter;
	}
	p->http = http_new();
	p->seen = tf_idset_new(tf_idset_cap_for(TF_IDSET_DEFAULT_CAP));
	return p;
}

void
ct_poller_reset(struct ct_poller *p)
{
	p->loaded = 0;
	p->done_end_s = 0;
	p->newest_ms = 0;
	p->finished = 0;
	memset(&p->w, 0, sizeof p->w);
	tf_idset_clear(p->seen);
}

void
ct_poller_free(struct ct_poller *p)
{
	if (p == NULL)
		return;
	if (p->o.limiter == &p->own_limiter)
		ct_limiter_destroy(&p->own_limiter);
	http_free(p->http);
	tf_idset_free(p->seen);
	free(p->name);
	free(p->region);
	free(p->endpoint);
	free(p->url);
	free(p->ca);
	free(p->setup_err);
	free(p->last_error);
	free(p);
}

char *
ct_request_body(int64_t start_s, int64_t end_s, int max_results, const char *next_token)
{
	json_object *o = json_object_new_object(), *la = json_object_new_array(),
	    *a = json_object_new_object();
	char *s;

	json_object_object_add(a, "AttributeKey", json_object_new_string("ReadOnly"));
	json_object_object_add(a, "AttributeValue", json_object_new_string("false"));
	json_object_array_add(la, a);
	json_object_object_add(o, "LookupAttributes", la);
	json_object_object_add(o, "StartTime", json_object_new_int64(start_s));
	json_object_object_add(o, "EndTime", json_object_new_int64(end_s));
	json_object_object_add(o, "MaxResults", json_object_new_int(max_results));
	if (next_token != NULL && *next_token != '\0')
		json_object_object_add(o, "NextToken", json_object_new_string(next_token));
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

void
ct_parse_error(const char *body, const char *header_type, char **code, char **message)
{
	json_object *o = NULL, *v;
	const char *t = header_type, *h;
	size_t n;

	*code = *message = NULL;
	if (body != NULL && *body != '\0')
		o = json_tokener_parse(body);
	if (o != NULL && json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "__type", &v) && json_object_is_type(v, json_type_string))
			t = json_object_get_string(v);
		if ((json_object_object_get_ex(o, "message", &v) ||
		    json_object_object_get_ex(o, "Message", &v)) && json_object_is_type(v, json_type_string))
			*message = xstrdup(json_object_get_string(v));
	}
	if (t != NULL) {
		/* botocore: strip up to the last '#', and from the first ':'. */
		if ((h = strrchr(t, '#')) != NULL)
			t = h + 1;
		n = strcspn(t, ":");
		if (n > 0)
			*code = xstrndup(t, n);
	}
	json_object_put(o);
}

static void
set_error(struct ct_poller *p, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(struct ct_poller *p, char **err, const char *fmt, ...)
{
	va_list ap;

	free(p->last_error);
	va_start(ap, fmt);
	p->last_error = xvasprintf(fmt, ap);
	va_end(ap);
	if (err != NULL) {
		free(*err);
		*err = xstrdup(p->last_error);
	}
}

static void
report(struct ct_poller *p, const struct source_sink *sink, double backfill)
{
	struct source_status st;
	int64_t now = tf_now_ms(), t0 = 0;
	uint64_t n0 = 0;
	unsigned i, k;

	/* events/s over the last minute, from the oldest sample inside it */
	p->rate[p->rate_i % RATE_SLOTS].t = now;
	p->rate[p->rate_i % RATE_SLOTS].n = p->events;
	p->rate_i++;
	for (i = 0; i < RATE_SLOTS && i < p->rate_i; i++) {
		k = (p->rate_i - 1 - i) % RATE_SLOTS;
		if (now - p->rate[k].t > 60000)
			break;
		t0 = p->rate[k].t;
		n0 = p->rate[k].n;
	}
	memset(&st, 0, sizeof st);
	st.name = p->name;
	st.last_poll_ms = p->last_poll_ms;
	st.lag_ms = p->newest_ms > 0 ? now - p->newest_ms : -1;
	st.events_per_s = now > t0 && t0 > 0 ? (double)(p->events - n0) * 1000.0 / (double)(now - t0) : 0;
	st.events = p->events;
	st.requests = p->requests;
	st.errors = p->errors;
	st.retries = p->retries;
	st.last_error = p->last_error;
	st.backfill = backfill;
	if (sink->status != NULL)
		sink->status(sink->ctx, &st);
}

static double
progress(const struct ct_poller *p)
{
	if (!p->w.active || p->w.end_s <= p->w.start_s)
		return -1;
	return (double)(p->w.end_s - p->w.low_s) / (double)(p->w.end_s - p->w.start_s);
}

/* ---- cursor ---- */

struct idt {
	uint64_t h;
	int64_t t;
};

static int
idt_cmp(const void *a, const void *b)
{
	const struct idt *x = a, *y = b;

	return x->t < y->t ? 1 : x->t > y->t ? -1 : x->h < y->h ? -1 : x->h > y->h;
}

static char *
cursor_build(struct ct_poller *p)
{
	json_object *o = json_object_new_object(), *ids = json_object_new_array(), *w, *pair;
	struct idt *v;
	size_t n = tf_idset_count(p->seen), i;
	char *s, hex[17];

	json_object_object_add(o, "v", json_object_new_int(2));
	json_object_object_add(o, "end", json_object_new_int64(p->done_end_s));
	json_object_object_add(o, "newest", json_object_new_int64(p->newest_ms));
	if (p->w.active) {
		w = json_object_new_object();
		json_object_object_add(w, "start", json_object_new_int64(p->w.start_s));
		json_object_object_add(w, "end", json_object_new_int64(p->w.end_s));
		json_object_object_add(w, "low", json_object_new_int64(p->w.low_s));
		json_object_object_add(o, "pend", w);
	}
	v = xcalloc(n + 1, sizeof *v);
	for (i = 0; i < n; i++) {
		tf_idset_get(p->seen, i, &v[i].h, &v[i].t);
		/* The low mark's ids matter most (a resumed window returns them again). */
		if (p->w.active && v[i].t == p->w.low_s)
			v[i].t = INT64_MAX;
	}
	qsort(v, n, sizeof *v, idt_cmp);
	for (i = 0; i < n && i < CT_CURSOR_MAX_IDS; i++) {
		pair = json_object_new_array();
		tf_idset_hex(v[i].h, hex);
		json_object_array_add(pair, json_object_new_string(hex));
		json_object_array_add(pair, json_object_new_int64(v[i].t == INT64_MAX ? p->w.low_s : v[i].t));
		json_object_array_add(ids, pair);
	}
	free(v);
	json_object_object_add(o, "ids", ids);
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int64_t
jint(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

/* A time in seconds a cursor or a page can hold: 0 up to the end of the year 9999 (the
 * window arithmetic multiplies by 1000 and must not overflow). */
static int
time_s_ok(int64_t s)
{
	return s >= 0 && s <= CT_MAX_TIME_S;
}

/* 0, or -1 when the text is not a cursor of ours (the caller starts from the lookback). */
static int
cursor_load(struct ct_poller *p, const char *s)
{
	json_object *o = json_tokener_parse(s), *w = NULL, *ids, *pair, *id;
	int64_t end, newest, ws = 0, we = 0, wl = 0, version;
	size_t i, n;
	uint64_t h;

	/* v1 kept the ids themselves, v2 their hashes (idset.h). */
	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    ((version = jint(o, "v")) != 1 && version != 2)) {
		json_object_put(o);
		return -1;
	}
	end = jint(o, "end");
	newest = jint(o, "newest");
	if (json_object_object_get_ex(o, "pend", &w) && json_object_is_type(w, json_type_object)) {
		ws = jint(w, "start");
		we = jint(w, "end");
		wl = jint(w, "low");
	} else
		w = NULL;
	/* A window this poller could not have written (damaged, or edited by hand) would make
	 * its arithmetic overflow: the whole cursor is unreadable then. */
	if (!time_s_ok(end) || newest < 0 || newest / 1000 > CT_MAX_TIME_S ||
	    (w != NULL && (!time_s_ok(ws) || !time_s_ok(we) || !time_s_ok(wl) || ws > we ||
	    wl < ws || wl > we))) {
		json_object_put(o);
		return -1;
	}
	p->done_end_s = end;
	p->newest_ms = newest;
	if (w != NULL) {
		p->w.active = 1;
		p->w.start_s = ws;
		p->w.end_s = we;
		p->w.low_s = wl;
	}
	if (json_object_object_get_ex(o, "ids", &ids) && json_object_is_type(ids, json_type_array)) {
		n = json_object_array_length(ids);
		for (i = 0; i < n; i++) {
			pair = json_object_array_get_idx(ids, i);
			if (!json_object_is_type(pair, json_type_array) ||
			    json_object_array_length(pair) != 2 ||
			    !json_object_is_type(id = json_object_array_get_idx(pair, 0), json_type_string))
				continue;
			if (version == 1)
				h = tf_hash_str(json_object_get_string(id));
			else if (tf_idset_parse_hex(json_object_get_string(id), &h) != 0)
				continue;
			tf_idset_add(p->seen, h,
			    json_object_get_int64(json_object_array_get_idx(pair, 1)));
		}
	}
	json_object_put(o);
	return 0;
}

/* Keep only the ids a later query can return again: at or below the low mark of the
 * window in progress (the previous overlap, the low second), and inside the overlap before
 * the window's end (the next window). Bounded by the events of two overlaps. */
static int
seen_keep(void *ctx, uint64_t h, int64_t t)
{
	const struct ct_poller *p = ctx;
	int64_t end = p->w.active ? p->w.end_s : p->done_end_s;

	(void)h;
	return t >= end - p->o.overlap_ms / 1000 ||
	    (p->w.active && t <= p->w.low_s && t >= p->w.start_s);
}

static void
prune_seen(struct ct_poller *p)
{
	tf_idset_filter(p->seen, seen_keep, p);
}

static int
checkpoint(struct ct_poller *p, const struct source_sink *sink)
{
	char *c, *err = NULL;
	int rc = 0;

	prune_seen(p);
	if (sink->cursor_set == NULL)
		return 0;
	c = cursor_build(p);
	if (sink->cursor_set(sink->ctx, p->name, c, &err) != 0) {
		p->errors++;
		set_error(p, NULL, "%s: cannot save the cursor: %s (polling goes on; a restart may "
		    "repeat events)", p->name, err ? err : "unknown error");
		rc = -1;
	}
	free(err);
	free(c);
	return rc;
}

/* ---- one request, with retries ---- */

/* What lookup's hooks share. */
struct lookup_ctx {
	struct ct_poller *p;
	const struct source_sink *sink;
	json_object *doc;
};

static int
lookup_sleep(void *ctx, int64_t ms)
{
	struct lookup_ctx *x = ctx;

	return x->sink->sleep(x->sink->ctx, ms);
}

/* Before every attempt: the account-region's shared rate limit. */
static int
lookup_prepare(void *ctx, struct http_req *rq, char **err)
{
	struct lookup_ctx *x = ctx;
	int64_t wait;

	(void)rq;
	(void)err;
	if ((wait = ct_limiter_reserve(x->p->o.limiter)) > 0 && x->sink->sleep(x->sink->ctx, wait))
		return -2;
	return 0;
}

/* A LookupEvents answer: a JSON object (done), a throttle or 5xx (retry), else an error with
 * what to check. A truncated or invalid 200 is counted as an error, then retried. */
static enum http_verdict
lookup_judge(void *ctx, struct http_resp *rs, int refreshed, char **why)
{
	struct lookup_ctx *x = ctx;
	struct ct_poller *p = x->p;
	char *code = NULL, *msg = NULL;
	const char *hint = "";
	enum http_verdict v;

	(void)refreshed;
	if (rs->status == 200) {
		json_tokener *tok = json_tokener_new();
		enum json_tokener_error jerr;

		x->doc = json_tokener_parse_ex(tok, rs->body.buf, (int)rs->body.len);
		jerr = json_tokener_get_error(tok);
		if (x->doc != NULL && jerr == json_tokener_success &&
		    json_object_is_type(x->doc, json_type_object)) {
			json_tokener_free(tok);
			return HTTP_DONE;
		}
		json_object_put(x->doc);
		x->doc = NULL;
		p->errors++;
		*why = xasprintf("POST %s: invalid JSON in the LookupEvents response (%zu bytes: %s)",
		    p->url, rs->body.len, jerr == json_tokener_continue ? "truncated" :
		    json_tokener_error_desc(jerr));
		json_tokener_free(tok);
		return HTTP_RETRY;
	}
	ct_parse_error(rs->body.buf, rs->amz_error, &code, &msg);
	if (http_retryable(rs)) {
		*why = xasprintf("HTTP %ld %s%s%s", rs->status, code ? code : "error",
		    msg ? ": " : "", msg ? msg : "");
		v = HTTP_RETRY;
	} else {
		/* An expired token after the refresh: aws_call adds that hint. */
		if (code != NULL && (strstr(code, "AccessDenied") != NULL ||
		    strcmp(code, "UnauthorizedOperation") == 0))
			hint = " (the credentials need cloudtrail:LookupEvents)";
		else if (code != NULL && (strcmp(code, "SignatureDoesNotMatch") == 0 ||
		    strcmp(code, "InvalidSignatureException") == 0))
			hint = " (check the secret access key and the clock)";
		else if (code != NULL && (strcmp(code, "UnrecognizedClientException") == 0 ||
		    strcmp(code, "InvalidClientTokenId") == 0))
			hint = " (unknown access key id or session token)";
		*why = xasprintf("POST %s: HTTP %ld %s%s%s%s", p->url, rs->status,
		    code ? code : "error", msg ? ": " : "", msg ? msg : "", hint);
		v = HTTP_FAIL;
	}
	free(code);
	free(msg);
	return v;
}

/* 0 with *doc (the parsed response), -1 with the error set, -2 stopping. */
static int
lookup(struct ct_poller *p, const struct source_sink *sink, const char *body, json_object **doc,
    char **err)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-amz-json-1.1",
		"X-Amz-Target: " TARGET,
		NULL
	};
	struct lookup_ctx x = { p, sink, NULL };
	struct aws_call ac;
	struct http_req rq;
	struct http_resp rs;
	char *why = NULL;
	int rc;

	*doc = NULL;
	if (p->setup_err != NULL) {
		p->errors++;
		set_error(p, err, "%s: %s", p->name, p->setup_err);
		return -1;
	}
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = p->url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.timeout_ms = p->o.timeout_ms;
	memset(&ac, 0, sizeof ac);
	ac.creds = p->o.creds;
	ac.region = p->region;
	ac.service = "cloudtrail";
	ac.ca_file = p->ca;
	ac.retry.attempts = (unsigned)p->o.max_attempts;
	ac.retry.base_ms = BACKOFF_BASE_MS;
	ac.retry.cap_ms = BACKOFF_CAP_MS;
	ac.retry.want = "JSON";
	ac.retry.ctx = &x;
	ac.retry.sleep = lookup_sleep;
	ac.retry.prepare = lookup_prepare;
	ac.retry.judge = lookup_judge;
	ac.retry.requests = &p->requests;
	ac.retry.retries = &p->retries;
	rc = aws_call(p->http, &ac, &rq, &rs, &why);
	if (rc == 0) {
		http_resp_free(&rs);
		*doc = x.doc;
		return 0;
	}
	if (rc == -1) {
		p->errors++;
		if (ac.retry.end == HTTP_END_EXHAUSTED)
			set_error(p, err, "%s: LookupEvents failed after %d attempts: %s", p->name,
			    p->o.max_attempts, why);
		else if (ac.retry.end == HTTP_END_NOT_API)
			/* A redirect or a web page: something between us and AWS; no retry helps. */
			set_error(p, err, "%s: POST %s: %s", p->name, p->url, why);
		else
			set_error(p, err, "%s: %s", p->name, why);
	}
	free(why);
	return rc;
}

/* ---- one poll ---- */

static void
start_window(struct ct_poller *p, int64_t now_ms)
{
	int64_t start_ms, end_ms = now_ms, oldest = now_ms - CT_RETENTION_MS + 60000;

	if (p->o.until_ms > 0 && p->o.until_ms < end_ms)
		end_ms = p->o.until_ms;
	if (p->done_end_s > 0)
		start_ms = p->done_end_s * 1000 - p->o.overlap_ms;
	else if (p->o.since_ms > 0)
		start_ms = p->o.since_ms;
	else
		start_ms = now_ms - p->o.lookback_ms;
	if (start_ms < oldest)
		start_ms = oldest;
	if (start_ms > end_ms)
		start_ms = end_ms;
	p->w.active = 1;
	p->w.start_s = start_ms / 1000;
	p->w.end_s = end_ms / 1000;
	p->w.low_s = p->w.end_s;
}

/* Hand over one page; the oldest event time (s) on it in *oldest. -2 when stopping. */
static int
hand_page(struct ct_poller *p, const struct source_sink *sink, json_object *events,
    int64_t *oldest)
{
	size_t i, n = json_object_array_length(events);
	json_object *e, *v, *rec;
	const char *s, *why, *eid;
	struct event ev;
	int64_t t;

	for (i = 0; i < n; i++) {
		double d;

		e = json_object_array_get_idx(events, i);
		eid = json_object_object_get_ex(e, "EventId", &v) ? json_object_get_string(v) : NULL;
		if (eid == NULL)
			eid = "?";      /* "EventId": null too */
		/* Epoch seconds; anything else (a string, NaN, 1e300) is no time. */
		d = json_object_object_get_ex(e, "EventTime", &v) ? json_object_get_double(v) : 0;
		t = d >= 0 && d <= (double)CT_MAX_TIME_S ? (int64_t)floor(d) : 0;
		if (t > 0 && t < *oldest)
			*oldest = t;
		if (tf_idset_has(p->seen, tf_hash_str(eid))) {
			p->dups++;
			continue;
		}
		if (!json_object_object_get_ex(e, "CloudTrailEvent", &v) ||
		    (s = json_object_get_string(v)) == NULL || (rec = json_tokener_parse(s)) == NULL) {
			p->errors++;
			set_error(p, NULL, "%s: event %s: CloudTrailEvent is missing or not valid JSON "
			    "(skipped)", p->name, eid);
			continue;
		}
		memset(&ev, 0, sizeof ev);
		if (event_from_cloudtrail(rec, &ev, &why) != 0) {
			json_object_put(rec);
			event_free(&ev);
			p->errors++;
			set_error(p, NULL, "%s: event %s: not a CloudTrail record: %s (skipped)",
			    p->name, eid, why);
			continue;
		}
		json_object_put(rec);
		if (ev.id == NULL)
			ev.id = xstrdup(eid);
		if (ev.time_ms <= 0)
			ev.time_ms = t * 1000;
		if (t <= 0) {
			t = ev.time_ms / 1000;
			if (t < *oldest)
				*oldest = t;
		}
		if (ev.origin == NULL)
			ev.origin = xasprintf("%s#%s", p->name, eid);
		tf_idset_add(p->seen, tf_hash_str(eid), t);
		if (ev.time_ms > p->newest_ms)
			p->newest_ms = ev.time_ms;
		{
			struct event *out = xmalloc(sizeof *out);

			*out = ev;
			p->events++;
			if (sink->event(sink->ctx, out) != 0)
				return -2;
		}
	}
	return 0;
}

int
ct_poll_once(struct ct_poller *p, const struct source_sink *sink, char **err)
{
	json_object *doc, *events, *v;
	char *body, *token = NULL, *c, *why;
	struct paging pg;
	enum paging_verdict pv;
	int64_t oldest, qend;
	int rc;

	if (!p->loaded) {
		p->loaded = 1;
		if (sink->cursor_get != NULL && (c = sink->cursor_get(sink->ctx, p->name)) != NULL) {
			if (cursor_load(p, c) != 0) {
				p->errors++;
				set_error(p, NULL, "%s: the saved cursor is not readable; starting from "
				    "the lookback (events may repeat)", p->name);
			}
			free(c);
		}
	}
	if (p->o.until_ms > 0 && !p->w.active && p->done_end_s >= p->o.until_ms / 1000) {
		p->finished = 1;
		return 0;
	}
	if (!p->w.active)
		start_window(p, tf_now_ms());
	/* NextToken needs every other parameter unchanged: the query ends at the low mark as
	 * it was when the pagination started. */
	qend = p->w.low_s;
	paging_init(&pg, (unsigned)p->o.max_pages);
	for (;;) {
		body = ct_request_body(p->w.start_s, qend, p->o.max_results, token);
		rc = lookup(p, sink, body, &doc, err);
		free(body);
		if (rc != 0) {
			free(token);
			paging_free(&pg);
			report(p, sink, progress(p));
			return rc;
		}
		oldest = p->w.low_s;
		if (json_object_object_get_ex(doc, "Events", &events) &&
		    json_object_is_type(events, json_type_array) &&
		    hand_page(p, sink, events, &oldest) != 0) {
			json_object_put(doc);
			free(token);
			paging_free(&pg);
			return -2;
		}
		free(token);
		token = NULL;
		if (json_object_object_get_ex(doc, "NextToken", &v) &&
		    json_object_is_type(v, json_type_string) && *json_object_get_string(v) != '\0')
			token = xstrdup(json_object_get_string(v));
		json_object_put(doc);
		if (token == NULL) {
			/* Window complete. */
			paging_free(&pg);
			p->done_end_s = p->w.end_s;
			p->w.active = 0;
			p->last_poll_ms = tf_now_ms();
			free(p->last_error);
			p->last_error = NULL;
			checkpoint(p, sink);
			report(p, sink, -1);
			if (p->o.until_ms > 0 && p->done_end_s >= p->o.until_ms / 1000)
				p->finished = 1;
			return 0;
		}
		/* Everything newer than the page's oldest second was handed over. */
		if (oldest < p->w.low_s)
			p->w.low_s = oldest;
		checkpoint(p, sink);
		if ((pv = paging_next(&pg, token)) != PAGING_GO) {
			/* The window stays pending from its low mark: the next poll asks for the rest
			 * again (from the top, with a new NextToken chain), so a server that loops
			 * loses nothing and a long window is read on. */
			why = paging_why(&pg, pv, "NextToken");
			free(token);
			paging_free(&pg);
			p->last_poll_ms = tf_now_ms();
			if (pv == PAGING_CAP) {
				set_error(p, NULL, "%s: %s; the rest of the window is read by the next "
				    "poll (events so far are kept)", p->name, why);
				free(why);
				report(p, sink, progress(p));
				return 1;
			}
			p->errors++;
			set_error(p, err, "%s: %s (events so far are kept; the next poll reads the "
			    "rest of the window again)", p->name, why);
			free(why);
			report(p, sink, progress(p));
			return -1;
		}
	}
}

int
ct_poller_run(struct ct_poller *p, const struct source_sink *sink)
{
	int rc;

	for (;;) {
		rc = ct_poll_once(p, sink, NULL);
		if (rc == -2 || p->finished)
			return 0;
		/* More pages waiting: go on at the rate limit, not the interval. */
		if (sink->sleep(sink->ctx, rc == 1 ? 0 : p->o.interval_ms))
			return 0;
	}
}

/* ---- the collector (collector.h): a poller per region of a sources.aws entry ---- */

/* IAM, STS and the other global services log in us-east-1 only (cn-north-1 in China,
 * us-gov-west-1 in GovCloud: aws_partition): the implicit poller of that region, for a source
 * that does not list it, passes just these. */
static int
global_source(const char *src)
{
	static const char *const g[] = { "iam.amazonaws.com", "sts.amazonaws.com",
		"organizations.amazonaws.com", "cloudfront.amazonaws.com", "route53.amazonaws.com",
		"route53domains.amazonaws.com", "waf.amazonaws.com", "globalaccelerator.amazonaws.com",
		"shield.amazonaws.com", "account.amazonaws.com", "sso.amazonaws.com",
		"signin.amazonaws.com" };
	size_t i;

	for (i = 0; src != NULL && i < sizeof g / sizeof g[0]; i++)
		if (strcmp(src, g[i]) == 0)
			return 1;
	return 0;
}

/* One poller: AWS's 2 requests/s is per account and region, so each region's poller has a
 * limiter of its own, and the entry's credentials are shared (sources.h). */
struct ct_col {
	struct ct_poller *p;
	struct aws_shared *sh;
	struct ct_limiter limiter;
	int global_only;
	const struct source_sink *inner;        /* during run/poll: the engine's sink */
};

/* The sink of a global-only poller: drops regional events (its region's own pollers, if
 * any, are configured elsewhere). */
static int
global_event(void *ctx, struct event *ev)
{
	struct ct_col *cc = ctx;

	if (!global_source(ev->source)) {
		event_free(ev);
		free(ev);
		return 0;
	}
	return cc->inner->event(cc->inner->ctx, ev);
}

static char *
pass_cursor_get(void *ctx, const char *name)
{
	struct ct_col *cc = ctx;

	return cc->inner->cursor_get(cc->inner->ctx, name);
}

static int
pass_cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	struct ct_col *cc = ctx;

	return cc->inner->cursor_set(cc->inner->ctx, name, value, err);
}

static void
pass_status(void *ctx, const struct source_status *st)
{
	struct ct_col *cc = ctx;

	cc->inner->status(cc->inner->ctx, st);
}

static int
pass_sleep(void *ctx, int64_t ms)
{
	struct ct_col *cc = ctx;

	return cc->inner->sleep(cc->inner->ctx, ms);
}

static int
pass_flush(void *ctx)
{
	struct ct_col *cc = ctx;

	return cc->inner->flush(cc->inner->ctx);
}

static int
pass_watermark(void *ctx, int64_t upto_ms)
{
	struct ct_col *cc = ctx;

	return cc->inner->watermark(cc->inner->ctx, upto_ms);
}

static void
wrap(struct ct_col *cc, const struct source_sink *in, struct source_sink *out)
{
	cc->inner = in;
	if (!cc->global_only) {
		*out = *in;
		return;
	}
	out->event = global_event;
	out->cursor_get = pass_cursor_get;
	out->cursor_set = pass_cursor_set;
	out->status = pass_status;
	out->sleep = pass_sleep;
	out->flush = pass_flush;
	out->watermark = in->watermark != NULL ? pass_watermark : NULL;
	out->ctx = cc;
}

static int
ct_col_run(void *impl, const struct source_sink *sink)
{
	struct ct_col *cc = impl;
	struct source_sink k;

	wrap(cc, sink, &k);
	return ct_poller_run(cc->p, &k);
}

static int
ct_col_once(void *impl, const struct source_sink *sink)
{
	struct ct_col *cc = impl;
	struct source_sink k;
	int rc;

	wrap(cc, sink, &k);
	/* One poll: max_pages pages at most (1: the window is not done, the status says so). */
	rc = ct_poll_once(cc->p, &k, NULL);
	return rc != 0 ? -1 : 0;
}

static void
ct_col_reset(void *impl)
{
	ct_poller_reset(((struct ct_col *)impl)->p);
}

static void
ct_col_free(void *impl)
{
	struct ct_col *cc = impl;

	ct_poller_free(cc->p);
	ct_limiter_destroy(&cc->limiter);
	aws_shared_unref(cc->sh);
	free(cc);
}

/* The pollers of one sources.aws entry: one per region, plus one in the global services'
 * region of the (first) region's partition (us-east-1) for global events when the list
 * lacks it. */
static int
ct_col_add(struct engine *e, struct sources_ctx *x, size_t entry, char **err)
{
	const struct conf_aws_source *a = &x->conf->sources.aws[entry];
	const struct sources_opts *bo = x->opts;
	size_t i, nreg = a->regions.n, has_east = 0;
	const char *east = aws_partition(a->regions.n > 0 ? a->regions.v[0] : NULL)->global_region;

	(void)err;
	for (i = 0; i < a->regions.n; i++)
		if (strcmp(a->regions.v[i], east) == 0)
			has_east = 1;
	if (nreg > 0 && !has_east)
		nreg++;
	for (i = 0; i < nreg; i++) {
		const char *region = i < a->regions.n ? a->regions.v[i] : east;
		struct ct_options o;
		struct ct_col *cc = xcalloc(1, sizeof *cc);
		char *win = sources_window_suffix(bo);
		char *name = xasprintf("cloudtrail %s %s%s%s", a->name, region,
		    i < a->regions.n ? "" : " (global)", win);

		free(win);
		cc->sh = sources_aws(x, entry);
		ct_limiter_init(&cc->limiter, 2.0);
		memset(&o, 0, sizeof o);
		o.name = name;
		o.region = region;
		o.endpoint = a->endpoint;
		o.creds = cc->sh->creds;
		o.limiter = &cc->limiter;
		o.interval_ms = a->poll_interval_ms;
		o.lookback_ms = a->lookback_ms;
		o.max_pages = (int)a->max_pages;
		if (bo != NULL) {
			o.since_ms = bo->since_ms;
			o.until_ms = bo->until_ms;
		}
		cc->p = ct_poller_new(&o);
		cc->global_only = i >= a->regions.n;
		engine_add(e, collector_new(&cloudtrail_collector_ops, name, cc));
		free(name);
	}
	return (int)nreg;
}

const struct collector_ops cloudtrail_collector_ops = {
	.kind = "cloudtrail",
	.section = "sources.aws",
	.add = ct_col_add,
	.run = ct_col_run,
	.poll_once = ct_col_once,
	.free = ct_col_free,
	.leased = 1,            /* one worker at a time polls it (engine_set_lease) */
	.reset = ct_col_reset,
};
