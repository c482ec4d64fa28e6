/* gcplogging: Cloud Logging entries:list poller (see gcplogging.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <json-c/json.h>

#include "collectors/gcplogging.h"
#include "event.h"
#include "gcp_auth.h"
#include "http.h"
#include "idset.h"
#include "paging.h"
#include "sources.h"
#include "util.h"

#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define LOG_ACTIVITY "cloudaudit.googleapis.com%2Factivity"
#define LOG_DATA_ACCESS "cloudaudit.googleapis.com%2Fdata_access"
#define MAX_BACKFILL_FAILURES 5

struct gl_poller {
	struct gl_opts o;               /* strings below are owned copies */
	char *name, *project, *endpoint, *url, *quota_hdr, *cursor_name;
	struct source_sink sink;
	struct http *http;
	char *token;
	/* position */
	int64_t pos_ns;                 /* P: newest timestamp handed over / window end listed */
	int64_t floor_ns;               /* no window starts before this (since, restored "from") */
	int64_t backfill_from_ns;       /* for the progress figure */
	int64_t saved_pos_ns;           /* last checkpointed P, -1 none */
	int dirty;                      /* something to checkpoint */
	struct tf_idset *seen;          /* dedup: insertIds (hashed) at their timestamps (ns) */
	/* limiter */
	int64_t last_req_mono;
	/* health */
	struct gl_stats st;
	int64_t last_poll_wall, newest_event_ms;
	char *last_error;
	struct source_rate rate;        /* events per second over the last minute */
};

static int64_t
mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t
mono_ms(void)
{
	return mono_us() / 1000;
}

/* ---- timestamps ---- */

static int
digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

int
gl_parse_ts(const char *s, int64_t *ns)
{
	int y, mo, d, h, mi, se, n = 0, oh, om;
	int64_t frac = 0, days, secs;
	const char *p;

	if (s == NULL || strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || digits(s + 11, 2, &h) ||
	    s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return -1;
	p = s + 19;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 9)
				frac = frac * 10 + (*p - '0');
		if (n == 0)
			return -1;
		for (; n < 9; n++)
			frac *= 10;
	}
	/* Days from civil (Howard Hinnant's algorithm): no timegm, no TZ. */
	{
		int yy = y - (mo <= 2);
		int era = (yy >= 0 ? yy : yy - 399) / 400;
		unsigned yoe = (unsigned)(yy - era * 400);
		unsigned doy = (unsigned)((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1);
		unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

		days = (int64_t)era * 146097 + (int64_t)doe - 719468;
	}
	/* Nanoseconds in 64 bits reach the years 1677 to 2262; a timestamp outside them (with a
	 * day to spare for the offset) is refused rather than overflowed. */
	secs = days * 86400 + h * 3600 + mi * 60 + se;
	if (secs < INT64_MIN / NS_PER_S + 86400 || secs > INT64_MAX / NS_PER_S - 86400)
		return -1;
	*ns = secs * NS_PER_S + frac;
	if (*p == 'Z' || *p == 'z')
		return p[1] == '\0' ? 0 : -1;
	if ((*p == '+' || *p == '-') && digits(p + 1, 2, &oh) == 0 && p[3] == ':' &&
	    digits(p + 4, 2, &om) == 0 && p[6] == '\0') {
		int64_t off = ((int64_t)oh * 3600 + om * 60) * NS_PER_S;

		*ns += *p == '+' ? -off : off;
		return 0;
	}
	return -1;
}

void
gl_format_ts(int64_t ns, char *out)
{
	time_t secs = (time_t)(ns >= 0 ? ns / NS_PER_S : (ns - NS_PER_S + 1) / NS_PER_S);
	int frac = (int)(ns - (int64_t)secs * NS_PER_S);
	char buf[128];
	struct tm tm;

	gmtime_r(&secs, &tm);
	if (frac == 0)
		snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
	snprintf(out, 40, "%.39s", buf);
}

char *
gl_filter(int data_access, int64_t from_ns, int64_t to_ns)
{
	char a[40], b[40];

	gl_format_ts(from_ns, a);
	gl_format_ts(to_ns, b);
	if (data_access)
		return xasprintf("(logName:\"%s\" OR logName:\"%s\") AND timestamp>=\"%s\" "
		    "AND timestamp<\"%s\"", LOG_ACTIVITY, LOG_DATA_ACCESS, a, b);
	return xasprintf("logName:\"%s\" AND timestamp>=\"%s\" AND timestamp<\"%s\"",
	    LOG_ACTIVITY, a, b);
}

/* ---- dedup set: insertIds with their timestamps, oldest first (idset.h) ---- */

static int
seen_find(struct gl_poller *p, const char *id)
{
	return tf_idset_has(p->seen, tf_hash_str(id));
}

static void
seen_add(struct gl_poller *p, const char *id, int64_t ts)
{
	tf_idset_add(p->seen, tf_hash_str(id), ts);
}

/* Forget ids older than the overlap: they can no longer come back in a window. */
static void
seen_expire(struct gl_poller *p, int64_t before_ns)
{
	tf_idset_expire(p->seen, before_ns);
}

static int64_t
overlap_ns(const struct gl_poller *p)
{
	return p->o.overlap_ms * NS_PER_MS;
}

/* ---- cursor ---- */

struct seen {
	uint64_t h;
	int64_t ts;
};

static int
cmp_ts_desc(const void *a, const void *b)
{
	const struct seen *x = a, *y = b;

	return x->ts < y->ts ? 1 : x->ts > y->ts ? -1 : x->h < y->h ? -1 : x->h > y->h;
}

static char *
cursor_encode(struct gl_poller *p)
{
	json_object *o = json_object_new_object(), *ids = json_object_new_array(),
	    *recent = json_object_new_array(), *pair;
	int64_t lo = p->pos_ns - overlap_ns(p), from = lo;
	struct seen *v;
	size_t n = 0, i, keep, count = tf_idset_count(p->seen);
	char t[40], hex[17], *out;

	v = xcalloc(count + 1, sizeof *v);
	for (i = 0; i < count; i++) {
		tf_idset_get(p->seen, i, &v[n].h, &v[n].ts);
		if (v[n].ts >= lo && v[n].ts <= p->pos_ns)
			n++;
	}
	qsort(v, n, sizeof *v, cmp_ts_desc);
	keep = n > GL_CURSOR_IDS ? GL_CURSOR_IDS : n;
	if (keep < n)
		from = v[keep].ts + 1;      /* the ids cut from the cursor are not listed again */
	if (from < p->floor_ns)
		from = p->floor_ns;
	for (i = 0; i < keep; i++) {
		tf_idset_hex(v[i].h, hex);
		if (v[i].ts == p->pos_ns)
			json_object_array_add(ids, json_object_new_string(hex));
		else {
			pair = json_object_new_array();
			gl_format_ts(v[i].ts, t);
			json_object_array_add(pair, json_object_new_string(hex));
			json_object_array_add(pair, json_object_new_string(t));
			json_object_array_add(recent, pair);
		}
	}
	free(v);
	json_object_object_add(o, "v", json_object_new_int(2));
	gl_format_ts(p->pos_ns, t);
	json_object_object_add(o, "ts", json_object_new_string(t));
	json_object_object_add(o, "ids", ids);
	json_object_object_add(o, "recent", recent);
	gl_format_ts(from, t);
	json_object_object_add(o, "from", json_object_new_string(t));
	out = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

/* A cursor's id: v1 kept the insertId itself, v2 its hash (idset.h). */
static void
cursor_id(struct gl_poller *p, int version, json_object *e, int64_t ts)
{
	uint64_t h;

	if (!json_object_is_type(e, json_type_string))
		return;
	if (version == 1)
		seen_add(p, json_object_get_string(e), ts);
	else if (tf_idset_parse_hex(json_object_get_string(e), &h) == 0)
		tf_idset_add(p->seen, h, ts);
}

/* Restore P, the dedup set and the floor from a stored cursor. 0, or -1 with *err. */
static int
cursor_decode(struct gl_poller *p, const char *s, char **err)
{
	json_object *o = json_tokener_parse(s), *v, *e;
	int64_t pos, from, ts;
	size_t i, n;
	int version;

	if (o == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "ts", &v) || gl_parse_ts(json_object_get_string(v), &pos) ||
	    !json_object_object_get_ex(o, "from", &v) || gl_parse_ts(json_object_get_string(v), &from)) {
		json_object_put(o);
		return tf_err(err, "cursor %s is not a gcplogging cursor (%.60s…)", p->cursor_name, s);
	}
	p->pos_ns = pos;
	p->floor_ns = from;
	version = json_object_object_get_ex(o, "v", &v) && json_object_get_int(v) == 2 ? 2 : 1;
	if (json_object_object_get_ex(o, "ids", &v) && json_object_is_type(v, json_type_array))
		for (i = 0, n = json_object_array_length(v); i < n; i++)
			cursor_id(p, version, json_object_array_get_idx(v, i), pos);
	if (json_object_object_get_ex(o, "recent", &v) && json_object_is_type(v, json_type_array))
		for (i = 0, n = json_object_array_length(v); i < n; i++) {
			e = json_object_array_get_idx(v, i);
			if (json_object_is_type(e, json_type_array) && json_object_array_length(e) == 2 &&
			    gl_parse_ts(json_object_get_string(json_object_array_get_idx(e, 1)), &ts) == 0)
				cursor_id(p, version, json_object_array_get_idx(e, 0), ts);
		}
	json_object_put(o);
	return 0;
}

static void
set_error(struct gl_poller *p, const char *msg)
{
	free(p->last_error);
	p->last_error = xstrdup(msg);
}

static void
report(struct gl_poller *p)
{
	struct source_status st;
	int64_t now = tf_now_ms();

	memset(&st, 0, sizeof st);
	st.name = p->name;
	st.last_poll_ms = p->last_poll_wall;
	st.lag_ms = p->newest_event_ms ? now - p->newest_event_ms : -1;
	st.events_per_s = source_rate_per_s(&p->rate, now);
	st.events = p->st.events;
	st.requests = p->st.requests;
	st.errors = p->st.errors;
	st.retries = p->st.retries;
	st.last_error = p->last_error;
	st.backfill = -1;
	if (p->o.until_ms > 0) {
		int64_t to = p->o.until_ms * NS_PER_MS, from = p->backfill_from_ns;

		st.backfill = to > from ? (double)(p->pos_ns - from) / (double)(to - from) : 1;
		if (st.backfill < 0)
			st.backfill = 0;
		if (st.backfill > 1)
			st.backfill = 1;
	}
	if (p->sink.status != NULL)
		p->sink.status(p->sink.ctx, &st);
}

/* Checkpoint P and the ids around it (after their events were handed over). */
static void
checkpoint(struct gl_poller *p)
{
	char *v, *err = NULL;

	if (!p->dirty || p->sink.cursor_set == NULL)
		return;
	seen_expire(p, p->pos_ns - overlap_ns(p));
	v = cursor_encode(p);
	if (p->sink.cursor_set(p->sink.ctx, p->cursor_name, v, &err) != 0) {
		char *m = xasprintf("%s: cannot save the cursor: %s", p->name,
		    err != NULL ? err : "unknown error");

		set_error(p, m);
		p->st.errors++;
		free(m);
	} else {
		p->dirty = 0;
		p->saved_pos_ns = p->pos_ns;
	}
	free(err);
	free(v);
}

struct gl_poller *
gl_poller_new(const struct gl_opts *o, const struct source_sink *sink, char **err)
{
	struct gl_poller *p;
	const char *ep;
	char *cur, *e2 = NULL;
	size_t n;

	if (o->project == NULL || *o->project == '\0' || strchr(o->project, '/') != NULL) {
		tf_err(err, "gcplogging: a project id is required (like my-project-123), got \"%s\"",
		    o->project ? o->project : "");
		return NULL;
	}
	if (o->tokens.get == NULL) {
		tf_err(err, "gcplogging %s: no token source", o->project);
		return NULL;
	}
	ep = o->endpoint != NULL && *o->endpoint ? o->endpoint : GL_DEFAULT_ENDPOINT;
	if (!tf_str_has_prefix(ep, "https://") && !tf_str_has_prefix(ep, "http://")) {
		tf_err(err, "gcplogging %s: endpoint \"%s\" is not an http(s) URL", o->project, ep);
		return NULL;
	}
	if (o->page_size < 0 || o->page_size > 1000) {
		tf_err(err, "gcplogging %s: page size %d is out of range (1..1000)", o->project,
		    o->page_size);
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->o = *o;
	p->sink = *sink;
	p->project = xstrdup(o->project);
	p->name = o->name != NULL ? xstrdup(o->name) : xasprintf("gcp %s", o->project);
	n = strlen(ep);
	while (n > 0 && ep[n - 1] == '/')
		n--;
	p->endpoint = xstrndup(ep, n);
	p->url = xasprintf("%s/v2/entries:list", p->endpoint);
	if (o->quota_project != NULL && *o->quota_project)
		p->quota_hdr = xasprintf("x-goog-user-project: %s", o->quota_project);
	p->seen = tf_idset_new(tf_idset_cap_for(GL_DEDUP_MAX));
	p->cursor_name = xasprintf("gcplogging:%s%s", o->project, o->data_access ? ":+data_access" : "");
	p->o.name = p->name;
	p->o.project = p->project;
	p->o.endpoint = p->endpoint;
	p->o.quota_project = NULL;
	if (p->o.poll_interval_ms <= 0)
		p->o.poll_interval_ms = 30000;
	if (p->o.lookback_ms <= 0)
		p->o.lookback_ms = 15 * 60 * 1000;
	if (p->o.overlap_ms == 0)
		p->o.overlap_ms = GL_DEFAULT_OVERLAP_MS;
	else if (p->o.overlap_ms < 0)
		p->o.overlap_ms = 0;
	if (p->o.page_size == 0)
		p->o.page_size = 1000;
	if (p->o.min_interval_ms == 0)
		p->o.min_interval_ms = 1000;
	else if (p->o.min_interval_ms < 0)
		p->o.min_interval_ms = 0;
	if (p->o.max_attempts == 0)
		p->o.max_attempts = 8;
	if (p->o.backoff_base_ms <= 0)
		p->o.backoff_base_ms = 1000;
	if (p->o.backoff_cap_ms <= 0)
		p->o.backoff_cap_ms = 60000;
	if (p->o.timeout_ms <= 0)
		p->o.timeout_ms = 60000;
	p->saved_pos_ns = -1;
	p->last_req_mono = -1;

	/* Where to start: the stored cursor, unless it is older than `since`. */
	cur = sink->cursor_get != NULL ? sink->cursor_get(sink->ctx, p->cursor_name) : NULL;
	if (cur != NULL && cursor_decode(p, cur, &e2) == 0 &&
	    (o->since_ms <= 0 || p->pos_ns >= o->since_ms * NS_PER_MS)) {
		p->saved_pos_ns = p->pos_ns;
	} else {
		if (e2 != NULL) {
			set_error(p, e2);       /* a broken cursor: say so, start from since/lookback */
			p->st.errors++;
		}
		tf_idset_clear(p->seen);
		p->pos_ns = (o->since_ms > 0 ? o->since_ms : tf_now_ms() - p->o.lookback_ms) * NS_PER_MS;
		p->floor_ns = p->pos_ns;
	}
	free(e2);
	free(cur);
	p->backfill_from_ns = o->since_ms > 0 ? o->since_ms * NS_PER_MS : p->pos_ns;
	p->http = http_new();
	return p;
}

void
gl_poller_free(struct gl_poller *p)
{
	if (p == NULL)
		return;
	tf_idset_free(p->seen);
	http_free(p->http);
	if (p->token != NULL) {
		memset(p->token, 0, strlen(p->token));
		free(p->token);
	}
	free(p->name);
	free(p->project);
	free(p->endpoint);
	free(p->url);
	free(p->quota_hdr);
	free(p->cursor_name);
	free(p->last_error);
	free(p);
}

const struct gl_stats *
gl_poller_stats(const struct gl_poller *p)
{
	return &p->st;
}

int64_t
gl_poller_position_ns(const struct gl_poller *p)
{
	return p->pos_ns;
}

static void
drop_token(struct gl_poller *p)
{
	if (p->token != NULL) {
		memset(p->token, 0, strlen(p->token));
		free(p->token);
		p->token = NULL;
	}
}

/* Wait for the limiter; 1 when a stop was asked. */
static int
limit(struct gl_poller *p)
{
	int64_t wait;

	if (p->last_req_mono >= 0 && p->o.min_interval_ms > 0) {
		wait = p->last_req_mono + p->o.min_interval_ms - mono_ms();
		if (wait > 0 && p->sink.sleep(p->sink.ctx, wait))
			return 1;
	}
	p->last_req_mono = mono_ms();
	return 0;
}

/* The Google error's status and message from a response body, for messages. */
static char *
google_error(const struct http_resp *rs)
{
	json_object *o = json_tokener_parse(rs->body.buf != NULL ? rs->body.buf : ""), *e, *v;
	const char *status = NULL, *msg = NULL;
	char *out;

	if (o != NULL && json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_object)) {
		if (json_object_object_get_ex(e, "status", &v))
			status = json_object_get_string(v);
		if (json_object_object_get_ex(e, "message", &v))
			msg = json_object_get_string(v);
	}
	out = xasprintf("%ld%s%s%s%.300s", rs->status, status ? " " : "", status ? status : "",
	    msg ? ": " : "", msg ? msg : "");
	json_object_put(o);
	return out;
}

/* What fetch_page's hooks share. */
struct page_ctx {
	struct gl_poller *p;
	json_object *page;
	int refreshed;
};

static int
page_sleep(void *ctx, int64_t ms)
{
	struct page_ctx *x = ctx;

	return x->p->sink.sleep(x->p->sink.ctx, ms);
}

/* Before every attempt: a token (the source caches it, and replaces one before it
 * expires), then the rate limit. */
static int
page_prepare(void *ctx, struct http_req *rq, char **err)
{
	struct gl_poller *p = ((struct page_ctx *)ctx)->p;
	char *terr = NULL;

	drop_token(p);
	if (p->o.tokens.get(p->o.tokens.ctx, &p->token, &terr) != 0) {
		tf_err(err, "%s: no access token for %s: %s", p->name, p->url, terr);
		free(terr);
		return -1;
	}
	if (limit(p))
		return -2;
	rq->bearer = p->token;
	return 0;
}

/* An entries.list answer: a page (done), a 401 (one fresh token), a throttle or 5xx
 * (retry), else an error with what to check. A truncated or invalid 200 is counted as
 * malformed, then retried. */
static enum http_verdict
page_judge(void *ctx, struct http_resp *rs, int refreshed, char **why)
{
	struct page_ctx *x = ctx;
	struct gl_poller *p = x->p;
	char *ge;

	if (rs->status == 200) {
		enum json_tokener_error je;
		json_tokener *tok = json_tokener_new();
		json_object *o = json_tokener_parse_ex(tok, rs->body.buf, (int)rs->body.len), *v;

		je = json_tokener_get_error(tok);
		if (o != NULL && je == json_tokener_success &&
		    json_tokener_get_parse_end(tok) == rs->body.len &&
		    json_object_is_type(o, json_type_object) &&
		    (!json_object_object_get_ex(o, "entries", &v) ||
		    json_object_is_type(v, json_type_array))) {
			json_tokener_free(tok);
			x->page = o;
			return HTTP_DONE;
		}
		json_object_put(o);
		json_tokener_free(tok);
		p->st.malformed++;
		*why = xasprintf("POST %s: truncated or invalid JSON in a 200 response (%zu bytes: %s)",
		    p->url, rs->body.len, je != json_tokener_success ? json_tokener_error_desc(je) :
		    o == NULL ? "incomplete" : "not an entries.list response");
		return HTTP_RETRY;
	}
	if (rs->status == 401 && !refreshed) {
		/* The token expired or was revoked early: one fresh token, then again. */
		p->st.unauthorized++;
		p->st.token_refreshes++;
		if (p->o.token_invalidate != NULL)
			p->o.token_invalidate(p->o.tokens.ctx, p->token);
		drop_token(p);
		x->refreshed = 1;
		return HTTP_REFRESH;
	}
	ge = google_error(rs);
	if (!http_retryable(rs)) {
		p->st.unauthorized += rs->status == 401;
		*why = xasprintf("POST %s: %s%s", p->url, ge,
		    rs->status == 401 ? "; a fresh token was refused too: check the credentials" :
		    rs->status == 403 ? "; the credentials need logging.logEntries.list on the "
		    "project (roles/logging.viewer; data_access also roles/logging.privateLogViewer)" :
		    rs->status == 404 ? "; check the project id and the endpoint" : "");
		free(ge);
		return HTTP_FAIL;
	}
	*why = xasprintf("POST %s: %s", p->url, ge);
	free(ge);
	return HTTP_RETRY;
}

/* A retry: the status shows the error until a request succeeds. */
static void
page_on_retry(void *ctx, const char *why, unsigned attempt)
{
	struct gl_poller *p = ((struct page_ctx *)ctx)->p;
	char *m = xasprintf("%s: %s; retry %u", p->name, why, attempt);

	set_error(p, m);
	free(m);
	report(p);
}

/* Fetch one page, with retries. 0 and *page (a parsed JSON object), 1 stop, -1 *err. */
static int
fetch_page(struct gl_poller *p, const char *body, json_object **page, char **err)
{
	const char *hdrs[4] = { "Content-Type: application/json", "Accept: application/json",
	    p->quota_hdr, NULL };
	struct page_ctx x = { p, NULL, 0 };
	struct http_retry rp;
	struct http_req rq;
	struct http_resp rs;
	char *why = NULL;
	int rc;

	*page = NULL;
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = p->url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.timeout_ms = p->o.timeout_ms;
	memset(&rp, 0, sizeof rp);
	rp.attempts = p->o.max_attempts;
	rp.base_ms = p->o.backoff_base_ms;
	rp.cap_ms = p->o.backoff_cap_ms;
	rp.want = "JSON";
	rp.judged_status = 401;         /* a 401 gets a fresh token first */
	rp.ctx = &x;
	rp.sleep = page_sleep;
	rp.prepare = page_prepare;
	rp.judge = page_judge;
	rp.on_retry = page_on_retry;
	rp.requests = &p->st.requests;
	rp.retries = &p->st.retries;
	rc = http_call(p->http, &rq, &rs, &rp, &why);
	if (rc == 0) {
		http_resp_free(&rs);
		*page = x.page;
		if (rp.attempt > 1 || x.refreshed) {
			/* Recovered: the status stops showing the retried error. */
			free(p->last_error);
			p->last_error = NULL;
		}
		return 0;
	}
	if (rc == -2) {
		free(why);
		return 1;
	}
	if (rp.end == HTTP_END_EXHAUSTED)
		tf_err(err, "%s: giving up after %u attempts: %s", p->name, rp.attempt, why);
	else if (rp.end == HTTP_END_NOT_API)
		/* A redirect or a web page: something between us and Google; no retry helps. */
		tf_err(err, "%s: POST %s: %s", p->name, p->url, why);
	else if (rp.end == HTTP_END_PREPARE)
		tf_err(err, "%s", why);
	else
		tf_err(err, "%s: %s", p->name, why);
	free(why);
	return -1;
}

/* Hand one entry over. 0, 1 stop. */
static int
handle_entry(struct gl_poller *p, json_object *e)
{
	json_object *v;
	const char *id = NULL, *ts = NULL, *why = NULL;
	struct event *ev;
	int64_t ns;
	char *m;

	p->st.entries++;
	if (json_object_object_get_ex(e, "insertId", &v))
		id = json_object_get_string(v);
	if (json_object_object_get_ex(e, "timestamp", &v))
		ts = json_object_get_string(v);
	if (!json_object_is_type(e, json_type_object) || id == NULL || *id == '\0' ||
	    gl_parse_ts(ts, &ns) != 0) {
		p->st.malformed++;
		m = xasprintf("%s: an entry without a usable insertId/timestamp (%.40s, %.40s) was "
		    "not handed over", p->name, id ? id : "no insertId", ts ? ts : "no timestamp");
		set_error(p, m);
		free(m);
		return 0;
	}
	if (seen_find(p, id)) {
		p->st.duplicates++;
		return 0;
	}
	ev = xcalloc(1, sizeof *ev);
	if (event_from_logentry(e, ev, &why) != 0) {
		/* Not an audit entry: counted; the logName filter should have kept it out. */
		p->st.skipped++;
		event_free(ev);
		free(ev);
	} else {
		int64_t t = ev->time_ms;

		if (p->sink.event(p->sink.ctx, ev) != 0)
			return 1;
		p->st.events++;
		source_rate_count(&p->rate, tf_now_ms());
		if (t > p->newest_event_ms)
			p->newest_event_ms = t;
	}
	seen_add(p, id, ns);
	if (ns > p->pos_ns)
		p->pos_ns = ns;
	p->dirty = 1;
	return 0;
}

int
gl_poll_once(struct gl_poller *p, char **err)
{
	int64_t from, to, now = tf_now_ms() * NS_PER_MS, t0;
	json_object *rq = json_object_new_object(), *names, *page = NULL, *v;
	char *filter, *token = NULL;
	struct paging pg;
	enum paging_verdict pv = PAGING_GO;
	size_t i, n;
	int rc = 0;

	to = now;
	if (p->o.until_ms > 0 && p->o.until_ms * NS_PER_MS < to)
		to = p->o.until_ms * NS_PER_MS;
	from = p->pos_ns - overlap_ns(p);
	if (from < p->floor_ns)
		from = p->floor_ns;
	if (to <= from) {
		json_object_put(rq);
		report(p);
		return 0;
	}
	filter = gl_filter(p->o.data_access, from, to);
	names = json_object_new_array();
	{
		char *rn = xasprintf("projects/%s", p->project);

		json_object_array_add(names, json_object_new_string(rn));
		free(rn);
	}
	json_object_object_add(rq, "resourceNames", names);
	json_object_object_add(rq, "filter", json_object_new_string(filter));
	json_object_object_add(rq, "orderBy", json_object_new_string("timestamp asc"));
	json_object_object_add(rq, "pageSize", json_object_new_int(p->o.page_size));
	free(filter);

	paging_init(&pg, p->o.max_pages);
	for (;;) {
		const char *body = json_object_to_json_string_ext(rq, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);

		rc = fetch_page(p, body, &page, err);
		if (rc != 0)
			break;
		t0 = mono_us();
		p->st.pages++;
		n = json_object_object_get_ex(page, "entries", &v) ? json_object_array_length(v) : 0;
		if (n == 0)
			p->st.empty_pages++;
		for (i = 0; i < n && rc == 0; i++)
			rc = handle_entry(p, json_object_array_get_idx(v, i));
		if (n > 0 && rc == 0) {
			int64_t d = mono_us() - t0;

			p->st.handover_us_sum += d;
			p->st.handover_pages++;
			if (d > p->st.handover_us_max)
				p->st.handover_us_max = d;
		}
		/* Handed over: now the cursor may move past them. */
		checkpoint(p);
		if (rc != 0)
			break;
		free(token);
		token = NULL;
		if (json_object_object_get_ex(page, "nextPageToken", &v) &&
		    json_object_is_type(v, json_type_string) && *json_object_get_string(v) != '\0')
			token = xstrdup(json_object_get_string(v));
		json_object_put(page);
		page = NULL;
		if (token == NULL)
			break;
		if ((pv = paging_next(&pg, token)) != PAGING_GO) {
			/* The position stays at the newest entry handed over (pages come oldest
			 * first), so the next poll lists the rest of the window again. */
			char *why = paging_why(&pg, pv, "nextPageToken");

			tf_err(err, "%s: %s (entries so far are kept; the next poll lists the rest "
			    "of the window again)", p->name, why);
			free(why);
			rc = pv == PAGING_CAP ? 2 : -1;
			break;
		}
		/* An empty page with a token is the API's search timing out: keep paging. */
		json_object_object_add(rq, "pageToken", json_object_new_string(token));
		report(p);
	}
	paging_free(&pg);
	json_object_put(page);
	json_object_put(rq);
	free(token);
	if (rc == 2) {
		/* Page cap: a long window is read on by the next poll; not a failure (and no
		 * watermark: the window was not listed to its end). */
		set_error(p, err != NULL && *err != NULL ? *err : "page cap reached");
		p->last_poll_wall = tf_now_ms();
	} else if (rc == 0) {
		/* The whole window was listed: the position moves to its end, and every entry
		 * before its end (before now - overlap, which allows for late ingestion) has been
		 * handed over: the engine may decide the operations held that long (detect.h),
		 * and does so before the checkpoint saves what is still held. */
		int64_t upto = now - overlap_ns(p);

		if (to < upto)
			upto = to;
		if (p->sink.watermark != NULL)
			p->sink.watermark(p->sink.ctx, upto / NS_PER_MS);
		if (to > p->pos_ns) {
			p->pos_ns = to;
			p->dirty = 1;
		}
		checkpoint(p);
		p->last_poll_wall = tf_now_ms();
		if (p->last_error != NULL && p->dirty == 0) {
			free(p->last_error);
			p->last_error = NULL;
		}
	} else if (rc < 0) {
		p->st.errors++;
		set_error(p, err != NULL && *err != NULL ? *err : "poll failed");
		drop_token(p);
	}
	report(p);
	return rc;
}

int
gl_poller_run(struct gl_poller *p, char **err)
{
	int rc, failures = 0;
	char *e = NULL;

	for (;;) {
		rc = gl_poll_once(p, &e);
		if (rc == 1)
			break;
		if (p->o.until_ms > 0 && p->pos_ns >= p->o.until_ms * NS_PER_MS) {
			/* The backfill is done: its input ended. */
			if (p->sink.flush != NULL)
				p->sink.flush(p->sink.ctx);
			break;
		}
		if (rc == 2) {
			/* The page cap ended the poll: read on at the request rate, not the interval. */
			free(e);
			e = NULL;
			failures = 0;
			continue;
		}
		if (rc < 0) {
			failures++;
			if (p->o.until_ms > 0 && failures >= MAX_BACKFILL_FAILURES) {
				tf_err(err, "%s", e);
				free(e);
				return -1;
			}
			free(e);
			e = NULL;
			if (p->sink.sleep(p->sink.ctx, http_backoff_ms((unsigned)failures,
			    p->o.backoff_base_ms, p->o.poll_interval_ms, NULL) + p->o.backoff_base_ms))
				break;
			continue;
		}
		failures = 0;
		/* A backfill that is not done yet (until in the future) waits like a live poll. */
		if (p->sink.sleep(p->sink.ctx, p->o.poll_interval_ms))
			break;
	}
	free(e);
	return 0;
}

/* ---- the collector (collector.h): a sources.gcp entry's project ---- */

/* Application Default Credentials and a Logging poller. The poller is made on first use,
 * with the engine's sink (its context outlives the poller). */
struct gl_col {
	struct gcp_auth *auth;
	struct gl_opts o;
	char *name, *project, *endpoint;
	struct gl_poller *p;
};

static struct gl_poller *
gl_col_poller(struct gl_col *gc, const struct source_sink *sink)
{
	char *err = NULL;

	if (gc->p == NULL && (gc->p = gl_poller_new(&gc->o, sink, &err)) == NULL) {
		struct source_status st;

		memset(&st, 0, sizeof st);
		st.name = gc->name;
		st.lag_ms = -1;
		st.backfill = -1;
		st.errors = 1;
		st.last_error = err;
		sink->status(sink->ctx, &st);
		free(err);
	}
	return gc->p;
}

static int
gl_col_run(void *impl, const struct source_sink *sink)
{
	struct gl_col *gc = impl;
	char *err = NULL;

	if (gl_col_poller(gc, sink) == NULL)
		return -1;
	gl_poller_run(gc->p, &err);
	free(err);
	return 0;
}

static int
gl_col_once(void *impl, const struct source_sink *sink)
{
	struct gl_col *gc = impl;
	char *err = NULL;
	int rc;

	if (gl_col_poller(gc, sink) == NULL)
		return -1;
	/* 1: stopped; 2: max_pages reached (the status says so): not done either way. */
	rc = gl_poll_once(gc->p, &err);
	free(err);
	return rc != 0 ? -1 : 0;
}

/* The poller is made again, reading its cursor, on its next run. */
static void
gl_col_reset(void *impl)
{
	struct gl_col *gc = impl;

	gl_poller_free(gc->p);
	gc->p = NULL;
}

static void
gl_col_free(void *impl)
{
	struct gl_col *gc = impl;

	gl_poller_free(gc->p);
	gcp_auth_free(gc->auth);
	free(gc->name);
	free(gc->project);
	free(gc->endpoint);
	free(gc);
}

static int
gl_col_add(struct engine *e, struct sources_ctx *x, size_t entry, char **err)
{
	const struct conf_gcp_source *g = &x->conf->sources.gcp[entry];
	const struct sources_opts *bo = x->opts;
	char *win;
	struct gcp_auth_opts ao;
	struct gl_col *gc;

	if (g->pubsub_subscription != NULL)
		return 0;       /* the entry reads its Logging sink's subscription (pubsub.c) */
	gc = xcalloc(1, sizeof *gc);
	memset(&ao, 0, sizeof ao);
	if ((gc->auth = gcp_auth_new(&ao, err)) == NULL) {
		char *why = *err;

		*err = xasprintf("sources.gcp %s: %s", g->name, why);
		free(why);
		free(gc);
		return -1;
	}
	win = sources_window_suffix(bo);
	gc->name = xasprintf("gcp %s %s%s", g->name, g->project, win);
	free(win);
	if (bo != NULL) {
		gc->o.since_ms = bo->since_ms;
		gc->o.until_ms = bo->until_ms;
	}
	gc->project = xstrdup(g->project);
	gc->endpoint = xstrdup(g->endpoint);
	gc->o.name = gc->name;
	gc->o.project = gc->project;
	gc->o.endpoint = gc->endpoint;
	gc->o.tokens = gcp_auth_token_source(gc->auth);
	gc->o.token_invalidate = gcp_auth_invalidate;
	gc->o.quota_project = gcp_auth_quota_project(gc->auth);
	gc->o.data_access = g->data_access;
	gc->o.poll_interval_ms = g->poll_interval_ms;
	gc->o.lookback_ms = g->lookback_ms;
	gc->o.max_pages = g->max_pages;
	engine_add(e, collector_new(&gcplogging_collector_ops, gc->name, gc));
	return 1;
}

const struct collector_ops gcplogging_collector_ops = {
	.kind = "gcp",
	.section = "sources.gcp",
	.add = gl_col_add,
	.run = gl_col_run,
	.poll_once = gl_col_once,
	.free = gl_col_free,
	.leased = 1,            /* one worker at a time polls it (engine_set_lease) */
	.reset = gl_col_reset,
};
