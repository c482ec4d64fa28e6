/* sqs: SQS long polling, EventBridge envelopes and S3-notified CloudTrail log files,
 * delete-after-hand-over (see sqs.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <json-c/json.h>

#include "collectors/sqs.h"
#include "http.h"
#include "sources.h"
#include "util.h"

#define BACKOFF_BASE_MS 200
#define BACKOFF_CAP_MS 20000
#define RECENT_IDS 8192         /* ids remembered to drop redeliveries seen by this process */

struct sqs_consumer {
	struct sqs_options o;
	char *name, *region, *endpoint, *url, *s3;
	char *ca;                       /* aws_ca_bundle of the profile, or NULL */
	char *setup_err;                /* why the endpoints or CA cannot be used, or NULL */
	struct http *http;
	/* recent event ids: a ring plus a hash for lookups */
	json_object *recent;
	char *ring[RECENT_IDS];
	unsigned ring_i;
	uint64_t events, requests, errors, retries, messages, deleted, skipped, dups;
	int64_t last_poll_ms, newest_ms;
	char *last_error;
};

struct sqs_consumer *
sqs_consumer_new(const struct sqs_options *o)
{
	struct sqs_consumer *c = xcalloc(1, sizeof *c);

	c->o = *o;
	c->name = xstrdup(o->name != NULL ? o->name : "sqs");
	c->region = xstrdup(o->region != NULL ? o->region : "us-east-1");
	/* A bad endpoint or CA setting fails every poll, saying why (sqs_poll_once). */
	c->endpoint = aws_endpoint(aws_creds_profile(o->creds), "SQS", "sqs", c->region,
	    o->endpoint, &c->setup_err);
	if (c->endpoint != NULL)
		c->url = xasprintf("%s/", c->endpoint);
	if (c->setup_err == NULL)
		c->s3 = aws_endpoint(aws_creds_profile(o->creds), "S3", "s3", c->region,
		    o->s3_endpoint, &c->setup_err);
	if (c->setup_err == NULL)
		aws_ca_bundle(aws_creds_profile(o->creds), &c->ca, &c->setup_err);
	if (c->o.wait_seconds == 0 || c->o.wait_seconds > 20)
		c->o.wait_seconds = 20;
	else if (c->o.wait_seconds < 0)
		c->o.wait_seconds = 0;
	if (c->o.visibility_timeout <= 0)
		c->o.visibility_timeout = 300;
	if (c->o.max_messages <= 0 || c->o.max_messages > 10)
		c->o.max_messages = 10;
	if (c->o.max_attempts <= 0)
		c->o.max_attempts = 6;
	if (c->o.error_sleep_ms <= 0)
		c->o.error_sleep_ms = 5000;
	c->http = http_new();
	c->recent = json_object_new_object();
	return c;
}

void
sqs_consumer_free(struct sqs_consumer *c)
{
	unsigned i;

	if (c == NULL)
		return;
	for (i = 0; i < RECENT_IDS; i++)
		free(c->ring[i]);
	json_object_put(c->recent);
	http_free(c->http);
	free(c->name);
	free(c->region);
	free(c->endpoint);
	free(c->url);
	free(c->s3);
	free(c->ca);
	free(c->setup_err);
	free(c->last_error);
	free(c);
}

char *
sqs_url_decode(const char *s)
{
	struct strbuf sb;
	int hi, lo;

	sb_init(&sb);
	sb_grow(&sb, 0);
	for (; *s; s++) {
		if (*s == '+')
			sb_addc(&sb, ' ');
		else if (*s == '%' && s[1] && s[2] &&
		    (hi = (s[1] >= '0' && s[1] <= '9') ? s[1] - '0' : (s[1] | 32) >= 'a' && (s[1] | 32) <= 'f' ? (s[1] | 32) - 'a' + 10 : -1) >= 0 &&
		    (lo = (s[2] >= '0' && s[2] <= '9') ? s[2] - '0' : (s[2] | 32) >= 'a' && (s[2] | 32) <= 'f' ? (s[2] | 32) - 'a' + 10 : -1) >= 0) {
			sb_addc(&sb, (char)(hi * 16 + lo));
			s += 2;
		} else
			sb_addc(&sb, *s);
	}
	return sb_detach(&sb);
}

int
sqs_gunzip(const char *buf, size_t len, char **out, size_t *outlen, char **err)
{
	struct strbuf sb;
	z_stream zs;
	char chunk[65536];
	int zr;

	memset(&zs, 0, sizeof zs);
	/* 16 + MAX_WBITS: a gzip header, not zlib's */
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
		return tf_err(err, "cannot start zlib");
	zs.next_in = (Bytef *)(uintptr_t)buf;
	zs.avail_in = (uInt)len;
	sb_init(&sb);
	sb_grow(&sb, len * 4);
	do {
		zs.next_out = (Bytef *)chunk;
		zs.avail_out = sizeof chunk;
		zr = inflate(&zs, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END) {
			inflateEnd(&zs);
			sb_free(&sb);
			return tf_err(err, "not valid gzip data (%s)%s", zs.msg ? zs.msg : "inflate error",
			    zr == Z_BUF_ERROR ? ": truncated" : "");
		}
		sb_add(&sb, chunk, sizeof chunk - zs.avail_out);
		if (sb.len > TF_MAX_LOG_OBJECT) {
			char lim[32];

			inflateEnd(&zs);
			sb_free(&sb);
			tf_size_str(TF_MAX_LOG_OBJECT, lim);
			return tf_err(err, "larger than %s decompressed, the limit for a CloudTrail "
			    "log file; is it one?", lim);
		}
		if (zr != Z_STREAM_END && zs.avail_in == 0 && zs.avail_out != 0) {
			inflateEnd(&zs);
			sb_free(&sb);
			return tf_err(err, "not valid gzip data: truncated");
		}
	} while (zr != Z_STREAM_END);
	inflateEnd(&zs);
	*outlen = sb.len;
	*out = sb_detach(&sb);
	return 0;
}

static void
set_error(struct sqs_consumer *c, char **err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_error(struct sqs_consumer *c, char **err, const char *fmt, ...)
{
	va_list ap;

	c->errors++;
	free(c->last_error);
	va_start(ap, fmt);
	c->last_error = xvasprintf(fmt, ap);
	va_end(ap);
	if (err != NULL) {
		free(*err);
		*err = xstrdup(c->last_error);
	}
}

static void
report(struct sqs_consumer *c, const struct source_sink *sink)
{
	struct source_status st;

	memset(&st, 0, sizeof st);
	st.name = c->name;
	st.last_poll_ms = c->last_poll_ms;
	st.lag_ms = c->newest_ms > 0 ? tf_now_ms() - c->newest_ms : -1;
	st.events = c->events;
	st.requests = c->requests;
	st.errors = c->errors;
	st.retries = c->retries;
	st.last_error = c->last_error;
	st.backfill = -1;
	if (sink->status != NULL)
		sink->status(sink->ctx, &st);
}

/* A signed request with retries on transport errors, 5xx and throttling, and one refresh of
 * expired keys (aws_call). 0 with *rs (any final status), -1 with *err, -2 stopping. */
static int
sqs_call(struct sqs_consumer *c, const struct source_sink *sink, struct http_req *rq,
    const char *service, struct http_resp *rs, char **err)
{
	struct aws_call ac;
	char *why = NULL;
	int rc;

	memset(&ac, 0, sizeof ac);
	ac.creds = c->o.creds;
	ac.region = c->region;
	ac.service = service;
	ac.ca_file = c->ca;
	ac.retry.attempts = (unsigned)c->o.max_attempts;
	ac.retry.base_ms = BACKOFF_BASE_MS;
	ac.retry.cap_ms = BACKOFF_CAP_MS;
	ac.retry.hand_over_last = 1;
	ac.retry.ctx = sink->ctx;
	ac.retry.sleep = sink->sleep;
	ac.retry.requests = &c->requests;
	ac.retry.retries = &c->retries;
	rc = aws_call(c->http, &ac, rq, rs, &why);
	if (rc == -1 && ac.retry.end == HTTP_END_EXHAUSTED)
		tf_err(err, "failed after %d attempts: %s", c->o.max_attempts, why);
	else if (rc == -1)
		tf_err(err, "%s", why);
	free(why);
	return rc;
}

/* "HTTP 403 SignatureDoesNotMatch: message" from an error response (JSON or S3's XML). */
static char *
describe(const struct http_resp *rs)
{
	const char *b = rs->body.buf != NULL ? rs->body.buf : "", *p, *q;
	json_object *o, *v;
	char *code = NULL, *msg = NULL, *s;

	/* A redirect or a web page: something between us and AWS, said so. */
	if ((s = http_not_api(rs, "JSON")) != NULL)
		return s;
	o = json_tokener_parse(b);
	if (o != NULL && json_object_is_type(o, json_type_object)) {
		/* "__type": null has no text (json_object_get_string gives NULL). */
		if (json_object_object_get_ex(o, "__type", &v) && json_object_get_string(v) != NULL) {
			const char *t = json_object_get_string(v), *h = strrchr(t, '#');

			code = xstrndup(h ? h + 1 : t, strcspn(h ? h + 1 : t, ":"));
		}
		if (json_object_object_get_ex(o, "message", &v) || json_object_object_get_ex(o, "Message", &v))
			msg = xstrdup(json_object_get_string(v));
	} else if ((p = strstr(b, "<Code>")) != NULL && (q = strstr(p, "</Code>")) != NULL) {
		code = xstrndup(p + 6, (size_t)(q - p - 6));
		if ((p = strstr(b, "<Message>")) != NULL && (q = strstr(p, "</Message>")) != NULL)
			msg = xstrndup(p + 9, (size_t)(q - p - 9));
	}
	json_object_put(o);
	s = xasprintf("HTTP %ld %s%s%s", rs->status, code ? code : rs->amz_error ? rs->amz_error :
	    "error", msg ? ": " : "", msg ? msg : "");
	free(code);
	free(msg);
	return s;
}

static int
seen_recently(struct sqs_consumer *c, const char *id)
{
	unsigned k;

	if (json_object_object_get_ex(c->recent, id, NULL))
		return 1;
	k = c->ring_i++ % RECENT_IDS;
	if (c->ring[k] != NULL) {
		json_object_object_del(c->recent, c->ring[k]);
		free(c->ring[k]);
	}
	c->ring[k] = xstrdup(id);
	json_object_object_add(c->recent, id, NULL);
	return 0;
}

/* 0 handed over, -2 stopping. Takes ev. */
static int
hand(struct sqs_consumer *c, const struct source_sink *sink, struct event *ev)
{
	struct event *out;

	if (ev->id != NULL && seen_recently(c, ev->id)) {
		c->dups++;
		event_free(ev);
		return 0;
	}
	if (ev->time_ms > c->newest_ms)
		c->newest_ms = ev->time_ms;
	out = xmalloc(sizeof *out);
	*out = *ev;
	c->events++;
	return sink->event(sink->ctx, out) != 0 ? -2 : 0;
}

/* Fetch s3://bucket/key and hand its events over. 0, -1 with *err, -2 stopping. */
static int
read_log(struct sqs_consumer *c, const struct source_sink *sink, const char *bucket,
    const char *key, char **err)
{
	struct http_req rq;
	struct http_resp rs;
	struct ev_reader *r;
	struct event ev;
	char *ekey, *url, *plain = NULL, *name, *why = NULL;
	const char *data;
	size_t len;
	int rc;

	if (strstr(key, "/CloudTrail-Digest/") != NULL || strncmp(key, "CloudTrail-Digest/", 18) == 0)
		return 0;       /* integrity digests, not events */
	ekey = http_encode(key, 1);
	url = xasprintf("%s/%s/%s", c->s3, bucket, ekey);
	free(ekey);
	memset(&rq, 0, sizeof rq);
	rq.method = "GET";
	rq.url = url;
	rq.timeout_ms = c->o.timeout_ms ? c->o.timeout_ms : 120000;
	rq.max_body = TF_MAX_LOG_OBJECT;
	rc = sqs_call(c, sink, &rq, "s3", &rs, &why);
	if (rc != 0) {
		if (rc == -1)
			tf_err(err, "GET %s: %s", url, why);
		free(why);
		free(url);
		return rc;
	}
	if (rs.status != 200 || (why = http_not_api(&rs, "a CloudTrail log file")) != NULL) {
		if (why == NULL)
			why = describe(&rs);
		tf_err(err, "GET %s: %s", url, why);
		free(why);
		http_resp_free(&rs);
		free(url);
		return -1;
	}
	data = rs.body.buf;
	len = rs.body.len;
	/* CloudTrail writes gzip; curl already undid a Content-Encoding: gzip. */
	if (len >= 2 && (unsigned char)data[0] == 0x1f && (unsigned char)data[1] == 0x8b) {
		if (sqs_gunzip(data, len, &plain, &len, &why) != 0) {
			tf_err(err, "s3://%s/%s: %s", bucket, key, why);
			free(why);
			http_resp_free(&rs);
			free(url);
			return -1;
		}
		data = plain;
	}
	name = xasprintf("s3://%s/%s", bucket, key);
	r = ev_reader_open_mem(name, data, len, &why);
	free(plain);
	http_resp_free(&rs);
	free(url);
	if (r == NULL) {
		tf_err(err, "%s", why);
		free(why);
		free(name);
		return -1;
	}
	while ((rc = ev_reader_next(r, &ev, &why)) == 1) {
		if (hand(c, sink, &ev) != 0) {
			ev_reader_close(r);
			free(name);
			return -2;
		}
	}
	if (rc < 0) {
		tf_err(err, "%s", why);
		free(why);
	} else if (ev_reader_counters(r)->malformed > 0 && ev_reader_counters(r)->events == 0) {
		/* Nothing readable (an HTML error page, a truncated or foreign file): deleting
		 * the message would lose the log file's events for good. */
		tf_err(err, "%s: not a CloudTrail log file (%llu malformed records, no event)", name,
		    (unsigned long long)ev_reader_counters(r)->malformed);
		rc = -1;
	} else if (ev_reader_counters(r)->malformed > 0) {
		/* Handed over what was readable; the file is still counted as bad. */
		set_error(c, NULL, "%s: %llu malformed records", name,
		    (unsigned long long)ev_reader_counters(r)->malformed);
	}
	ev_reader_close(r);
	free(name);
	return rc < 0 ? -1 : 0;
}

static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Process one message body. 0 done (delete it), -1 not understood (*err; keep it), -2 stop. */
static int
process(struct sqs_consumer *c, const struct source_sink *sink, const char *body, char **err)
{
	json_object *o = json_tokener_parse(body), *inner = NULL, *v, *recs, *s3;
	const char *why, *m, *dt, *bucket, *key;
	struct event ev;
	char *dkey;
	size_t i, n;
	int rc = -1;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		tf_err(err, "the body is not a JSON object");
		goto out;
	}
	/* SNS envelope around the real message */
	if ((m = jstr(o, "Message")) != NULL && jstr(o, "TopicArn") != NULL) {
		if ((inner = json_tokener_parse(m)) == NULL || !json_object_is_type(inner, json_type_object)) {
			tf_err(err, "the SNS Message is not a JSON object");
			goto out;
		}
		json_object_put(o);
		o = inner;
		inner = NULL;
	}
	if ((dt = jstr(o, "detail-type")) != NULL) {
		if (strstr(dt, "via CloudTrail") == NULL) {
			c->skipped++;   /* another EventBridge event on the bus: nothing for us */
			rc = 0;
			goto out;
		}
		memset(&ev, 0, sizeof ev);
		if (event_from_json(o, &ev, &why) != 0) {
			event_free(&ev);
			tf_err(err, "EventBridge %s event: %s", dt, why);
			goto out;
		}
		rc = hand(c, sink, &ev);
		goto out;
	}
	if (jstr(o, "Event") != NULL && strcmp(jstr(o, "Event"), "s3:TestEvent") == 0) {
		c->skipped++;
		rc = 0;
		goto out;
	}
	if (json_object_object_get_ex(o, "Records", &recs) && json_object_is_type(recs, json_type_array)) {
		n = json_object_array_length(recs);
		for (i = 0; i < n; i++) {
			json_object *r = json_object_array_get_idx(recs, i), *b, *ob;

			if (!json_object_object_get_ex(r, "s3", &s3) ||
			    !json_object_object_get_ex(s3, "bucket", &b) ||
			    !json_object_object_get_ex(s3, "object", &ob) ||
			    (bucket = jstr(b, "name")) == NULL || (key = jstr(ob, "key")) == NULL) {
				tf_err(err, "Records[%zu] is not an S3 event notification (no s3.bucket.name "
				    "/ s3.object.key)", i);
				goto out;
			}
			if ((m = jstr(r, "eventName")) != NULL && strncmp(m, "ObjectCreated", 13) != 0)
				continue;
			dkey = sqs_url_decode(key);
			rc = read_log(c, sink, bucket, dkey, err);
			free(dkey);
			if (rc != 0)
				goto out;
		}
		rc = 0;
		goto out;
	}
	if ((bucket = jstr(o, "s3Bucket")) != NULL &&
	    json_object_object_get_ex(o, "s3ObjectKey", &v) && json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			key = json_object_get_string(json_object_array_get_idx(v, i));
			if (key == NULL)
				continue;
			if ((rc = read_log(c, sink, bucket, key, err)) != 0)
				goto out;
		}
		rc = 0;
		goto out;
	}
	tf_err(err, "neither an EventBridge CloudTrail event nor an S3 / CloudTrail log file "
	    "notification");
out:
	json_object_put(inner);
	json_object_put(o);
	return rc;
}

/* DeleteMessageBatch for the handles; failures counted. -2 stopping. */
static int
delete_batch(struct sqs_consumer *c, const struct source_sink *sink, char **handles, char **ids,
    size_t n)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-amz-json-1.0",
		"X-Amz-Target: AmazonSQS.DeleteMessageBatch",
		NULL
	};
	json_object *o, *ents, *e, *f;
	struct http_req rq;
	struct http_resp rs;
	char *body, *why = NULL, idbuf[24];
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	o = json_object_new_object();
	ents = json_object_new_array();
	json_object_object_add(o, "QueueUrl", json_object_new_string(c->o.queue_url));
	for (i = 0; i < n; i++) {
		e = json_object_new_object();
		snprintf(idbuf, sizeof idbuf, "m%zu", i);
		json_object_object_add(e, "Id", json_object_new_string(idbuf));
		json_object_object_add(e, "ReceiptHandle", json_object_new_string(handles[i]));
		json_object_array_add(ents, e);
	}
	json_object_object_add(o, "Entries", ents);
	body = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = c->url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = strlen(body);
	rq.timeout_ms = c->o.timeout_ms;
	rc = sqs_call(c, sink, &rq, "sqs", &rs, &why);
	free(body);
	if (rc != 0) {
		if (rc == -1)
			set_error(c, NULL, "%s: DeleteMessageBatch: %s (the messages come back after the "
			    "visibility timeout)", c->name, why);
		free(why);
		return rc;
	}
	if (rs.status != 200) {
		why = describe(&rs);
		set_error(c, NULL, "%s: POST %s DeleteMessageBatch: %s", c->name, c->url, why);
		free(why);
		http_resp_free(&rs);
		return 0;
	}
	o = json_tokener_parse(rs.body.buf);
	if (o != NULL && json_object_object_get_ex(o, "Failed", &f) &&
	    json_object_is_type(f, json_type_array) && json_object_array_length(f) > 0) {
		const char *fid = jstr(json_object_array_get_idx(f, 0), "Id");
		size_t k = fid != NULL && fid[0] == 'm' ? strtoul(fid + 1, NULL, 10) : 0;

		set_error(c, NULL, "%s: %zu of %zu messages not deleted (first: %s: %s)", c->name,
		    json_object_array_length(f), n, k < n ? ids[k] : "?",
		    jstr(json_object_array_get_idx(f, 0), "Code") ? jstr(json_object_array_get_idx(f, 0), "Code") : "?");
		c->deleted += n - json_object_array_length(f);
	} else
		c->deleted += n;
	json_object_put(o);
	http_resp_free(&rs);
	return 0;
}

int
sqs_poll_once(struct sqs_consumer *c, const struct source_sink *sink, char **err)
{
	static const char *const hdrs[] = {
		"Content-Type: application/x-amz-json-1.0",
		"X-Amz-Target: AmazonSQS.ReceiveMessage",
		NULL
	};
	json_object *o, *doc, *msgs, *m;
	struct http_req rq;
	struct http_resp rs;
	char *body, *why = NULL, **handles, **ids;
	size_t i, n, nd = 0;
	int rc, prc, failed = 0;

	if (c->setup_err != NULL) {
		c->errors++;
		set_error(c, err, "%s: %s", c->name, c->setup_err);
		report(c, sink);
		return -1;
	}
	o = json_object_new_object();
	json_object_object_add(o, "QueueUrl", json_object_new_string(c->o.queue_url));
	json_object_object_add(o, "MaxNumberOfMessages", json_object_new_int(c->o.max_messages));
	json_object_object_add(o, "WaitTimeSeconds", json_object_new_int(c->o.wait_seconds));
	json_object_object_add(o, "VisibilityTimeout", json_object_new_int(c->o.visibility_timeout));
	body = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = c->url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = strlen(body);
	/* The long poll holds the request open: the timeout must be longer. */
	rq.timeout_ms = (long)c->o.wait_seconds * 1000 + (c->o.timeout_ms ? c->o.timeout_ms : 10000);
	rc = sqs_call(c, sink, &rq, "sqs", &rs, &why);
	free(body);
	if (rc != 0) {
		if (rc == -1)
			set_error(c, err, "%s: POST %s ReceiveMessage: %s", c->name, c->url, why);
		free(why);
		report(c, sink);
		return rc;
	}
	if (rs.status != 200 || (why = http_not_api(&rs, "JSON")) != NULL) {
		if (why == NULL)
			why = describe(&rs);
		set_error(c, err, "%s: POST %s ReceiveMessage: %s", c->name, c->url, why);
		free(why);
		http_resp_free(&rs);
		report(c, sink);
		return -1;
	}
	doc = json_tokener_parse(rs.body.buf);
	http_resp_free(&rs);
	if (doc == NULL || !json_object_is_type(doc, json_type_object)) {
		json_object_put(doc);
		set_error(c, err, "%s: POST %s ReceiveMessage: the response is not valid JSON "
		    "(retried at the next receive)", c->name, c->url);
		report(c, sink);
		return -1;
	}
	c->last_poll_ms = tf_now_ms();
	if (!json_object_object_get_ex(doc, "Messages", &msgs) || !json_object_is_type(msgs, json_type_array)) {
		json_object_put(doc);
		report(c, sink);
		return 0;
	}
	n = json_object_array_length(msgs);
	handles = xcalloc(n + 1, sizeof *handles);
	ids = xcalloc(n + 1, sizeof *ids);
	for (i = 0; i < n; i++) {
		const char *mid, *rh, *b;

		m = json_object_array_get_idx(msgs, i);
		mid = jstr(m, "MessageId") ? jstr(m, "MessageId") : "?";
		rh = jstr(m, "ReceiptHandle");
		b = jstr(m, "Body");
		c->messages++;
		if (b == NULL) {
			set_error(c, NULL, "%s: message %s has no Body (not deleted)", c->name, mid);
			failed++;
			continue;
		}
		prc = process(c, sink, b, &why);
		if (prc == -2) {
			free(why);
			json_object_put(doc);
			free(handles);
			free(ids);
			return -2;
		}
		if (prc != 0) {
			set_error(c, NULL, "%s: message %s: %s (not deleted: it returns after the "
			    "visibility timeout, then goes to the dead-letter queue)", c->name, mid, why);
			free(why);
			why = NULL;
			failed++;
			continue;
		}
		if (rh != NULL) {
			handles[nd] = (char *)rh;
			ids[nd++] = (char *)mid;
		}
	}
	/* Every event of these messages was handed over: now they may go. */
	rc = delete_batch(c, sink, handles, ids, nd);
	free(handles);
	free(ids);
	json_object_put(doc);
	if (failed == 0 && rc == 0) {
		free(c->last_error);
		c->last_error = NULL;
	}
	report(c, sink);
	return rc == -2 ? -2 : (int)n;
}

void
sqs_consumer_set_wait(struct sqs_consumer *c, int seconds)
{
	c->o.wait_seconds = seconds < 0 ? 0 : seconds > 20 ? 20 : seconds;
}

uint64_t
sqs_consumer_errors(const struct sqs_consumer *c)
{
	return c->errors;
}

int
sqs_consumer_run(struct sqs_consumer *c, const struct source_sink *sink)
{
	int rc;

	for (;;) {
		rc = sqs_poll_once(c, sink, NULL);
		if (rc == -2)
			return 0;
		if (sink->sleep(sink->ctx, rc < 0 ? c->o.error_sleep_ms : 0))
			return 0;
	}
}

/* ---- the collector (collector.h): the queue of a sources.aws entry ---- */

struct sqs_col {
	struct sqs_consumer *c;
	struct aws_shared *sh;
};

static int
sqs_col_run(void *impl, const struct source_sink *sink)
{
	return sqs_consumer_run(((struct sqs_col *)impl)->c, sink);
}

static int
sqs_col_once(void *impl, const struct source_sink *sink)
{
	struct sqs_col *sc = impl;
	uint64_t errors = sqs_consumer_errors(sc->c);
	int rc;

	/* Until the queue has nothing visible left, which a short long poll tells. A message
	 * that could not be processed (it stays in the queue) fails the poll. */
	sqs_consumer_set_wait(sc->c, 1);
	while ((rc = sqs_poll_once(sc->c, sink, NULL)) > 0)
		;
	return rc < 0 || sqs_consumer_errors(sc->c) > errors ? -1 : 0;
}

static void
sqs_col_free(void *impl)
{
	struct sqs_col *sc = impl;

	sqs_consumer_free(sc->c);
	aws_shared_unref(sc->sh);
	free(sc);
}

static int
sqs_col_add(struct engine *e, struct sources_ctx *x, size_t entry, char **err)
{
	const struct conf_aws_source *a = &x->conf->sources.aws[entry];
	struct sqs_options o;
	struct sqs_col *sc;
	char *name;

	(void)err;
	if (a->sqs_queue == NULL)
		return 0;
	sc = xcalloc(1, sizeof *sc);
	name = xasprintf("sqs %s", a->name);
	sc->sh = sources_aws(x, entry);
	memset(&o, 0, sizeof o);
	o.name = name;
	o.region = a->sqs_region;
	o.queue_url = a->sqs_queue;
	o.endpoint = a->sqs_endpoint;
	o.s3_endpoint = a->s3_endpoint;
	o.creds = sc->sh->creds;
	sc->c = sqs_consumer_new(&o);
	engine_add(e, collector_new(&sqs_collector_ops, name, sc));
	free(name);
	return 1;
}

const struct collector_ops sqs_collector_ops = {
	.kind = "sqs",
	.section = "sources.aws",
	.add = sqs_col_add,
	.run = sqs_col_run,
	.poll_once = sqs_col_once,
	.free = sqs_col_free,
};
