/* http: libcurl easy handles, SigV4 by libcurl, a secret-free trace, retry timing. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <openssl/hmac.h>

#include "compat.h"
#include "http.h"
#include "util.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_CONNECT_MS 10000L
/* SHA-256 of the empty string: the payload hash of a GET (curl 7.88 does not add it). */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct http {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
};

/* The trace file (TFDRIFT_TRACE), shared by every thread under trace_mu. */
static pthread_mutex_t trace_mu = PTHREAD_MUTEX_INITIALIZER;
static FILE *trace_fp;
static int trace_checked;

void
http_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct http *
http_new(void)
{
	struct http *h = xcalloc(1, sizeof *h);

	if ((h->curl = curl_easy_init()) == NULL)
		tf_fatal("cannot start libcurl");
	return h;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

void
http_resp_free(struct http_resp *rs)
{
	sb_free(&rs->body);
	free(rs->etag);
	free(rs->content_type);
	free(rs->retry_after);
	free(rs->amz_error);
	free(rs->location);
	memset(rs, 0, sizeof *rs);
}

struct sink {
	struct http_resp *rs;
	uint64_t max;
	int too_big;
};

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct sink *k = arg;
	size_t len = sz * n;

	if (k->rs->body.len + len > k->max) {
		k->too_big = 1;
		return 0;       /* curl stops with CURLE_WRITE_ERROR */
	}
	sb_add(&k->rs->body, p, len);
	return len;
}

/* "Name: value\r\n" -> the value of name (case-insensitive), or NULL. */
static char *
header_value(const char *line, size_t len, const char *name)
{
	size_t nl = strlen(name);
	const char *v, *e;

	if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return NULL;
	v = line + nl + 1;
	e = line + len;
	while (v < e && (*v == ' ' || *v == '\t'))
		v++;
	while (e > v && (e[-1] == '\r' || e[-1] == '\n' || e[-1] == ' '))
		e--;
	return xstrndup(v, (size_t)(e - v));
}

static void
keep(char **slot, char *v)
{
	if (v == NULL)
		return;
	free(*slot);
	*slot = v;
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct http_resp *rs = arg;
	size_t len = sz * n;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* A new response (after a redirect or 100 Continue): forget the last one's. */
		free(rs->etag);
		free(rs->content_type);
		free(rs->retry_after);
		free(rs->amz_error);
		free(rs->location);
		rs->etag = rs->content_type = rs->retry_after = rs->amz_error = rs->location = NULL;
		return len;
	}
	keep(&rs->location, header_value(p, len, "Location"));
	keep(&rs->etag, header_value(p, len, "ETag"));
	keep(&rs->content_type, header_value(p, len, "Content-Type"));
	keep(&rs->retry_after, header_value(p, len, "Retry-After"));
	keep(&rs->amz_error, header_value(p, len, "x-amzn-ErrorType"));
	keep(&rs->amz_error, header_value(p, len, "x-amz-error-code"));
	return len;
}

/* Is this query parameter's value a secret (a presigned URL's signature, a token)? */
static int
secret_param(const char *name, size_t len)
{
	static const char *words[] = { "sig", "token", "secret", "password", "credential", "key" };
	char buf[64];
	size_t i;

	if (len >= sizeof buf)
		len = sizeof buf - 1;
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[len] = '\0';
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strstr(buf, words[i]) != NULL)
			return 1;
	return 0;
}

/* The URL as the trace shows it: no userinfo, secret-looking query values replaced, and a
 * fragment (never sent, but where implicit-grant tokens travel) shown as #REDACTED. */
static char *
trace_url(const char *url)
{
	struct strbuf sb;
	const char *p = url, *at, *slash, *q, *amp, *eq, *frag;

	sb_init(&sb);
	if ((p = strstr(url, "://")) != NULL) {
		p += 3;
		sb_add(&sb, url, (size_t)(p - url));
		slash = p + strcspn(p, "/?#");
		at = memchr(p, '@', (size_t)(slash - p));
		if (at != NULL)
			p = at + 1;
	} else
		p = url;
	frag = strchr(p, '#');
	if (frag == NULL)
		frag = p + strlen(p);
	q = memchr(p, '?', (size_t)(frag - p));
	if (q == NULL)
		q = frag;
	else
		q++;
	sb_add(&sb, p, (size_t)(q - p));
	for (p = q; p < frag; p = amp < frag ? amp + 1 : amp) {
		amp = memchr(p, '&', (size_t)(frag - p));
		if (amp == NULL)
			amp = frag;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq != NULL && secret_param(p, (size_t)(eq - p))) {
			sb_add(&sb, p, (size_t)(eq - p) + 1);
			sb_adds(&sb, "REDACTED");
		} else
			sb_add(&sb, p, (size_t)(amp - p));
		if (amp < frag)
			sb_adds(&sb, "&");
	}
	if (*frag == '#')
		sb_adds(&sb, "#REDACTED");
	return sb.buf;
}

char *
http_redact_url(const char *url)
{
	return trace_url(url);
}

char *
http_redact_secret_url(const char *url)
{
	const char *p = strstr(url, "://"), *host, *end, *at;

	if (p == NULL)
		return xstrdup("REDACTED");
	host = p + 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at != NULL)
		host = at + 1;
	return xasprintf("%.*s%.*s/REDACTED", (int)(p + 3 - url), url, (int)(end - host), host);
}

/* The URL as errors and the trace show it. */
static char *
shown_url(const struct http_req *rq)
{
	return rq->secret_url ? http_redact_secret_url(rq->url) : trace_url(rq->url);
}

/* Does the request's own check or its thread's ask to stop? */
static int
aborting(const struct http_req *rq)
{
	return (rq->abort_check != NULL && rq->abort_check(rq->abort_ctx)) ||
	    tf_thread_stopping();
}

/* libcurl calls this on the thread running the transfer, so the thread's check applies. */
static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	const struct http_req *rq = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return aborting(rq) ? 1 : 0;
}

/* The body cap of a request: its own (or the default), lowered by TFDRIFT_HTTP_MAX_BODY. */
static uint64_t
body_cap(const struct http_req *rq)
{
	uint64_t max = rq->max_body ? rq->max_body : TF_MAX_HTTP_BODY;
	const char *e = getenv("TFDRIFT_HTTP_MAX_BODY");
	char *end;
	unsigned long long v;

	if (e != NULL && *e != '\0') {
		errno = 0;
		v = strtoull(e, &end, 10);
		if (errno == 0 && *end == '\0' && v > 0 && v < max)
			max = v;
	}
	return max;
}

void
http_trace_reopen(void)
{
	const char *path = getenv("TFDRIFT_TRACE");

	pthread_mutex_lock(&trace_mu);
	if (trace_fp != NULL)
		fclose(trace_fp);
	trace_fp = path != NULL && *path != '\0' ? fopen(path, "a") : NULL;
	trace_checked = 1;
	pthread_mutex_unlock(&trace_mu);
}

static void
trace(const struct http_req *rq, const struct http_resp *rs, const char *err)
{
	char t[32], *u;

	pthread_mutex_lock(&trace_mu);
	if (!trace_checked) {
		const char *path = getenv("TFDRIFT_TRACE");

		trace_fp = path != NULL && *path != '\0' ? fopen(path, "a") : NULL;
		trace_checked = 1;
	}
	if (trace_fp != NULL) {
		u = shown_url(rq);
		tf_format_time(tf_now_ms(), t);
		fprintf(trace_fp, "%s %s %s -> %ld %zu bytes %.0f ms%s%s\n", t,
		    rq->method ? rq->method : "GET", u, rs->status, rs->body.len, rs->total_ms,
		    err ? " error: " : "", err ? err : "");
		fflush(trace_fp);
		free(u);
	}
	pthread_mutex_unlock(&trace_mu);
}

/* The transfer, and what curl knows about the response besides headers and body. */
static CURLcode
perform(struct http *h, struct http_resp *rs)
{
	CURLcode cc = curl_easy_perform(h->curl);
	double secs = 0;
	curl_off_t ft = -1;

	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &rs->status);
	curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME, &secs);
	rs->total_ms = secs * 1000.0;
	if (curl_easy_getinfo(h->curl, CURLINFO_FILETIME_T, &ft) == CURLE_OK && ft > 0)
		rs->last_modified_ms = (int64_t)ft * 1000;
	return cc;
}

#ifdef TFDRIFT_FUZZING
int (*http_fuzz_transport)(const struct http_req *rq, const char **resp, size_t *len);

/* The response comes from http_fuzz_transport: its status line and headers go through
 * on_header and its body through on_body (in two pieces, as a network would split it), so
 * the callers' parsers see what libcurl would hand them. */
static CURLcode
fuzz_perform(struct http *h, const struct http_req *rq, struct sink *sink, struct http_resp *rs)
{
	const char *p, *e, *nl;
	size_t len = 0, half;

	if (http_fuzz_transport(rq, &p, &len) != 0) {
		snprintf(h->errbuf, sizeof h->errbuf, "no answer (fuzzing)");
		return CURLE_COULDNT_CONNECT;
	}
	e = p + len;
	rs->status = 200;
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		const char *sp = memchr(p, ' ', (size_t)(e - p));

		rs->status = 0;
		for (sp = sp != NULL ? sp + 1 : e; sp < e && *sp >= '0' && *sp <= '9' &&
		    rs->status < 1000; sp++)
			rs->status = rs->status * 10 + (*sp - '0');
		for (;;) {
			char *lm;

			nl = memchr(p, '\n', (size_t)(e - p));
			nl = nl != NULL ? nl + 1 : e;
			if (nl - p <= 2 && (nl - p == 0 || *p == '\r' || *p == '\n')) {
				p = nl;
				break;
			}
			on_header((char *)p, 1, (size_t)(nl - p), rs);
			if ((lm = header_value(p, (size_t)(nl - p), "Last-Modified")) != NULL) {
				time_t t = curl_getdate(lm, NULL);

				if (t > 0)
					rs->last_modified_ms = (int64_t)t * 1000;
				free(lm);
			}
			p = nl;
		}
	}
	if (rq->method != NULL && strcmp(rq->method, "HEAD") == 0)
		return CURLE_OK;
	half = (size_t)(e - p) / 2;
	if (on_body((char *)p, 1, half, sink) != half ||
	    on_body((char *)p + half, 1, (size_t)(e - p) - half, sink) != (size_t)(e - p) - half)
		return CURLE_WRITE_ERROR;
	return CURLE_OK;
}
#endif

/* ---- SigV4 by us, for libcurl < 7.86 ----
 * libcurl 7.75 to 7.85 (7.81 is Ubuntu 22.04's) signs only content-type, host and x-amz-date,
 * and its host has no port: an X-Amz-Security-Token or x-amz-content-sha256 goes unsigned
 * (S3 refuses that) and any endpoint on a port fails. 7.86 ("aws_sigv4: fix header
 * computation") signs every header and the Host header as sent; there libcurl signs. */

int
http_sigv4_own(void)
{
	static int own = -1;            /* a benign race: every thread computes the same */
	const char *force;

	if (own < 0) {
		force = getenv("TFDRIFT_TEST_OWN_SIGV4");       /* tests: this path on any curl */
		own = (force != NULL && *force != '\0' && strcmp(force, "0") != 0) ||
		    curl_version_info(CURLVERSION_NOW)->version_num < 0x075600;
	}
	return own;
}

struct canon_hdr {
	char *name, *value;
	size_t seq;
};

static int
canon_hdr_cmp(const void *a, const void *b)
{
	const struct canon_hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* "Name: value" as SigV4 wants it: the name in lower case, the value trimmed with inner
 * runs of blanks made one space. */
static void
canon_hdr_set(struct canon_hdr *c, const char *name, size_t nlen, const char *v, size_t seq)
{
	struct strbuf sb;
	size_t i;

	c->name = xstrndup(name, nlen);
	for (i = 0; i < nlen; i++)
		c->name[i] = (char)tolower((unsigned char)c->name[i]);
	sb_init(&sb);
	sb_grow(&sb, 0);
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			while (v[1] == ' ' || v[1] == '\t')
				v++;
			if (v[1] != '\0')
				sb_addc(&sb, ' ');
		} else if (*v != '\r' && *v != '\n') {
			sb_addc(&sb, *v);
		}
	}
	c->value = sb_detach(&sb);
	if (c->value == NULL)
		c->value = xstrdup("");
	c->seq = seq;
}

/* Key material: zeroed through a volatile pointer, so the store is not dropped. */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

static void
hmac256(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &n);
}

char *
http_sigv4_authorization(const struct http_req *rq, const char *method,
    const char *const *headers, size_t nheaders, const char *amz_date,
    const char *payload_hex)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL, *query = NULL, *cpath, *auth = NULL;
	char *k0, scope_date[9], hex[65], sig[65];
	struct canon_hdr *hv;
	struct strbuf creq, signed_h, sts;
	unsigned char key[32], mac[32];
	size_t i, n = 0;

	if (u == NULL || curl_url_set(u, CURLUPART_URL, rq->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		curl_free(host);
		curl_url_cleanup(u);
		return NULL;
	}
	/* The port as curl's Host header has it: only when not the scheme's default. */
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
		port = NULL;
	if (curl_url_get(u, CURLUPART_QUERY, &query, 0) != CURLUE_OK)
		query = NULL;
	hv = xcalloc(nheaders + 2, sizeof *hv);
	{
		char *hp = port != NULL ? xasprintf("%s:%s", host, port) : xstrdup(host);

		canon_hdr_set(&hv[n], "host", 4, hp, n);
		n++;
		free(hp);
	}
	canon_hdr_set(&hv[n], "x-amz-date", 10, amz_date, n);
	n++;
	for (i = 0; i < nheaders; i++) {
		const char *colon = strchr(headers[i], ':');

		/* "Name:" alone tells curl to send no such header: nothing to sign either. */
		if (colon == NULL || colon == headers[i] || colon[strspn(colon + 1, " \t") + 1] == '\0' ||
		    (colon - headers[i] == 13 && strncasecmp(headers[i], "authorization", 13) == 0))
			continue;
		canon_hdr_set(&hv[n], headers[i], (size_t)(colon - headers[i]), colon + 1, n);
		n++;
	}
	qsort(hv, n, sizeof *hv, canon_hdr_cmp);
	/* S3 signs the path as sent; every other service its encoding once more. */
	cpath = strcmp(rq->aws_service, "s3") == 0 ? xstrdup(path) : http_encode(path, 1);
	sb_init(&creq);
	sb_init(&signed_h);
	sb_addf(&creq, "%s\n%s\n%s\n", method, cpath, query != NULL ? query : "");
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(hv[i].name, hv[i - 1].name) == 0) {
			sb_addf(&creq, ",%s", hv[i].value);      /* a repeated name: one line */
			continue;
		}
		sb_addf(&creq, "%s%s:%s", i > 0 ? "\n" : "", hv[i].name, hv[i].value);
		sb_addf(&signed_h, "%s%s", signed_h.len > 0 ? ";" : "", hv[i].name);
	}
	sb_addf(&creq, "\n\n%s\n%s", signed_h.buf, payload_hex);
	tf_sha256_hex(creq.buf, creq.len, hex, 64);
	memcpy(scope_date, amz_date, 8);
	scope_date[8] = '\0';
	sb_init(&sts);
	sb_addf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz_date, scope_date,
	    rq->aws_region, rq->aws_service, hex);
	k0 = xasprintf("AWS4%s", rq->aws->secret_access_key);
	hmac256(k0, strlen(k0), scope_date, key);
	wipe(k0, strlen(k0));
	free(k0);
	hmac256(key, sizeof key, rq->aws_region, key);
	hmac256(key, sizeof key, rq->aws_service, key);
	hmac256(key, sizeof key, "aws4_request", key);
	hmac256(key, sizeof key, sts.buf, mac);
	wipe(key, sizeof key);
	for (i = 0; i < 32; i++)
		snprintf(sig + 2 * i, 3, "%02x", mac[i]);
	auth = xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
	    "SignedHeaders=%s, Signature=%s", rq->aws->access_key_id, scope_date, rq->aws_region,
	    rq->aws_service, signed_h.buf, sig);
	for (i = 0; i < n; i++) {
		free(hv[i].name);
		free(hv[i].value);
	}
	free(hv);
	free(cpath);
	sb_free(&creq);
	sb_free(&signed_h);
	sb_free(&sts);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return auth;
}

/* Sign the request in hdrs (adds X-Amz-Date and Authorization). -1 if the URL does not parse. */
static int
sigv4_own_sign(const struct http_req *rq, const char *method, const char *payload_hex,
    struct curl_slist **hdrs)
{
	const char **v;
	struct curl_slist *l;
	char date[17], *auth, *tmp;
	struct tm tm;
	time_t now = time(NULL);
	size_t n = 0;

	for (l = *hdrs; l != NULL; l = l->next)
		n++;
	v = xcalloc(n + 1, sizeof *v);
	n = 0;
	for (l = *hdrs; l != NULL; l = l->next)
		v[n++] = l->data;
	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	auth = http_sigv4_authorization(rq, method, v, n, date, payload_hex);
	free(v);
	if (auth == NULL)
		return -1;
	tmp = xasprintf("X-Amz-Date: %s", date);
	*hdrs = curl_slist_append(*hdrs, tmp);
	free(tmp);
	tmp = xasprintf("Authorization: %s", auth);
	*hdrs = curl_slist_append(*hdrs, tmp);
	free(tmp);
	free(auth);
	return 0;
}

/* The calling thread's throttle counter (http_count_throttles). */
static _Thread_local _Atomic uint64_t *thread_throttles;

int
http_do(struct http *h, const struct http_req *rq, struct http_resp *rs, char **err)
{
	const char *method = rq->method != NULL ? rq->method : "GET";
	struct curl_slist *hdrs = NULL;
	struct sink sink;
	char *sig = NULL, *tmp;
	CURLcode cc;
	size_t i;
	int rc = 0;

	memset(rs, 0, sizeof *rs);
	sb_init(&rs->body);
	sb_grow(&rs->body, 0);
	sink.rs = rs;
	sink.max = body_cap(rq);
	sink.too_big = 0;
	if (aborting(rq)) {
		/* Stopping already: not even a connection. */
		char *u = shown_url(rq);

		tf_err(err, "%s %s: aborted", method, u);
		free(u);
		rs->fail = HTTP_FAIL_ABORTED;
		trace(rq, rs, err != NULL ? *err : NULL);
		return -1;
	}
	curl_easy_reset(h->curl);
	h->errbuf[0] = '\0';
	curl_easy_setopt(h->curl, CURLOPT_URL, rq->url);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, rq->timeout_ms ? rq->timeout_ms : DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
	    rq->connect_timeout_ms ? rq->connect_timeout_ms : DEFAULT_CONNECT_MS);
	/* A Content-Length over the cap fails before the body is read (on_body caps the rest). */
	curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)sink.max);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, rs);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "tfdrift/" PACKAGE_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500     /* 7.85; the bit mask is deprecated there */
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(h->curl, CURLOPT_ACCEPT_ENCODING, "");
	/* curl parses Last-Modified for us (CURLINFO_FILETIME_T); over HTTP it costs nothing. */
	curl_easy_setopt(h->curl, CURLOPT_FILETIME, 1L);
	if (rq->ca_file != NULL)
		curl_easy_setopt(h->curl, CURLOPT_CAINFO, rq->ca_file);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
	else if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	if (rq->body != NULL || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		/* In memory, so curl's SigV4 hashes the real payload. */
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, rq->body != NULL ? rq->body : "");
	}
	for (i = 0; rq->headers != NULL && rq->headers[i] != NULL; i++)
		hdrs = curl_slist_append(hdrs, rq->headers[i]);
	if (rq->aws != NULL) {
		char hex[65];

		if (rq->body != NULL && rq->body_len > 0)
			tf_sha256_hex(rq->body, rq->body_len, hex, 64);
		else
			strcpy(hex, EMPTY_SHA256);
		if (rq->aws->session_token != NULL && *rq->aws->session_token != '\0') {
			tmp = xasprintf("X-Amz-Security-Token: %s", rq->aws->session_token);
			hdrs = curl_slist_append(hdrs, tmp);
			free(tmp);
		}
		if (strcmp(rq->aws_service, "s3") == 0) {
			/* curl < 8.0 leaves the payload hash out for S3, which S3 refuses. */
			tmp = xasprintf("x-amz-content-sha256: %s", hex);
			hdrs = curl_slist_append(hdrs, tmp);
			free(tmp);
		}
		if (http_sigv4_own()) {
			if (sigv4_own_sign(rq, method, hex, &hdrs) != 0) {
				char *u = shown_url(rq);

				tf_err(err, "%s %s: cannot sign: the URL does not parse", method, u);
				free(u);
				rs->fail = HTTP_FAIL_TRANSPORT;
				trace(rq, rs, err != NULL ? *err : NULL);
				curl_slist_free_all(hdrs);
				return -1;
			}
		} else {
			/* Every part given: curl would guess region and service from the host. */
			sig = xasprintf("aws:amz:%s:%s", rq->aws_region, rq->aws_service);
			curl_easy_setopt(h->curl, CURLOPT_AWS_SIGV4, sig);
			curl_easy_setopt(h->curl, CURLOPT_USERNAME, rq->aws->access_key_id);
			curl_easy_setopt(h->curl, CURLOPT_PASSWORD, rq->aws->secret_access_key);
		}
	} else if (rq->bearer != NULL) {
		tmp = xasprintf("Authorization: Bearer %s", rq->bearer);
		hdrs = curl_slist_append(hdrs, tmp);
		free(tmp);
	} else if (rq->basic_user != NULL) {
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h->curl, CURLOPT_USERNAME, rq->basic_user);
		curl_easy_setopt(h->curl, CURLOPT_PASSWORD, rq->basic_pass ? rq->basic_pass : "");
	}
	if (hdrs != NULL)
		curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	if (rq->abort_check != NULL || tf_thread_stop_armed()) {
		curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, (void *)rq);
		curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	}
#ifdef TFDRIFT_FUZZING
	if (http_fuzz_transport != NULL)
		cc = fuzz_perform(h, rq, &sink, rs);
	else
#endif
		cc = perform(h, rs);
	if (cc != CURLE_OK) {
		char *u = shown_url(rq);

		if (sink.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
			char lim[32];

			tf_size_str(sink.max, lim);
			tf_err(err, "%s %s: the response is larger than %s, the limit for this "
			    "request", method, u, lim);
			rs->fail = HTTP_FAIL_TOO_BIG;
		} else if (cc == CURLE_ABORTED_BY_CALLBACK) {
			tf_err(err, "%s %s: aborted", method, u);
			rs->fail = HTTP_FAIL_ABORTED;
		} else {
			/* An AWS request through a proxy or private endpoint with its own CA. */
			const char *hint = rq->aws == NULL || cc != CURLE_PEER_FAILED_VERIFICATION ?
			    "" : rq->ca_file != NULL ? " (the CA bundle does not vouch for it)" :
			    " (is its CA in AWS_CA_BUNDLE or the profile's ca_bundle?)";

			tf_err(err, "%s %s: %s%s", method, u, h->errbuf[0] ? h->errbuf :
			    curl_easy_strerror(cc), hint);
			rs->fail = cc == CURLE_PEER_FAILED_VERIFICATION ||
			    cc == CURLE_SSL_CACERT_BADFILE ? HTTP_FAIL_TLS : HTTP_FAIL_TRANSPORT;
		}
		free(u);
		rs->status = 0;
		rc = -1;
	}
	trace(rq, rs, rc != 0 && err != NULL ? *err : NULL);
	if (rc == 0 && thread_throttles != NULL && http_throttled(rs))
		atomic_fetch_add(thread_throttles, 1);
	/* Never leave the secret in the handle between requests. */
	curl_easy_setopt(h->curl, CURLOPT_PASSWORD, NULL);
	curl_slist_free_all(hdrs);
	free(sig);
	return rc;
}

int
http_retryable(const struct http_resp *rs)
{
	/* The same request would download the same oversized body again; a stop is a stop. */
	if (rs->fail == HTTP_FAIL_TOO_BIG || rs->fail == HTTP_FAIL_ABORTED ||
	    rs->fail == HTTP_FAIL_TLS)
		return 0;
	if (rs->status == 0 || rs->status == 408 || rs->status >= 500)
		return 1;
	return http_throttled(rs);
}

int
http_throttled(const struct http_resp *rs)
{
	const char *b = rs->body.buf != NULL ? rs->body.buf : "";

	if (rs->status == 429)
		return 1;
	if (rs->amz_error != NULL && (strstr(rs->amz_error, "Throttl") != NULL ||
	    strstr(rs->amz_error, "RequestLimitExceeded") != NULL ||
	    strstr(rs->amz_error, "TooManyRequests") != NULL))
		return 1;
	if (rs->status == 400 && (strstr(b, "ThrottlingException") != NULL ||
	    strstr(b, "RequestLimitExceeded") != NULL || strstr(b, "Throttling") != NULL))
		return 1;
	return 0;
}

void
http_count_throttles(_Atomic uint64_t *counter)
{
	thread_throttles = counter;
}

int64_t
http_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, const char *retry_after)
{
	int64_t ceiling = base_ms, d;
	uint32_t r = 0;
	unsigned i;

	for (i = 1; i < attempt && ceiling < cap_ms; i++)
		ceiling *= 2;
	if (ceiling > cap_ms)
		ceiling = cap_ms;
	if (ceiling < 1)
		ceiling = 1;
	if (compat_random_bytes(&r, sizeof r) != 0)
		r = (uint32_t)time(NULL) * 2654435761u;
	d = (int64_t)(r % (uint64_t)ceiling);
	if (d < 1)
		d = 1;
	if (retry_after != NULL) {
		char *end;
		long s = strtol(retry_after, &end, 10);

		if (end != retry_after && *end == '\0' && s > 0 && s < 3600 && s * 1000 > d)
			d = s * 1000;
	}
#ifdef TFDRIFT_FUZZING
	if (http_fuzz_transport != NULL)
		d = 1;          /* canned answers: nothing to wait for */
#endif
	return d;
}

char *
http_encode(const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	struct strbuf sb;
	const unsigned char *p;

	sb_init(&sb);
	sb_grow(&sb, 0);
	for (p = (const unsigned char *)(s != NULL ? s : ""); *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' ||
		    (keep_slash && *p == '/'))
			sb_add(&sb, (const char *)p, 1);
		else {
			char e[3] = { '%', hex[*p >> 4], hex[*p & 15] };

			sb_add(&sb, e, 3);
		}
	}
	return sb.buf != NULL ? sb.buf : xstrdup("");
}

struct qp {
	char *k, *v;
};

static int
qp_cmp(const void *a, const void *b)
{
	const struct qp *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c != 0 ? c : strcmp(x->v, y->v);
}

char *
http_query(const char *const *pairs, size_t npairs)
{
	struct qp *v = xcalloc(npairs + 1, sizeof *v);
	struct strbuf sb;
	size_t i;

	/* Sorted by the encoded names, as SigV4's canonical query is. */
	for (i = 0; i < npairs; i++) {
		v[i].k = http_encode(pairs[2 * i], 0);
		v[i].v = http_encode(pairs[2 * i + 1] != NULL ? pairs[2 * i + 1] : "", 0);
	}
	qsort(v, npairs, sizeof *v, qp_cmp);
	sb_init(&sb);
	sb_grow(&sb, 0);
	for (i = 0; i < npairs; i++) {
		sb_addf(&sb, "%s%s=%s", i ? "&" : "", v[i].k, v[i].v);
		free(v[i].k);
		free(v[i].v);
	}
	free(v);
	return sb.buf != NULL ? sb.buf : xstrdup("");
}

/* Does the body look like an HTML page (a login or error page of something in between)? */
static int
html_body(const struct http_resp *rs)
{
	const char *b = rs->body.buf;
	size_t i = 0, n = rs->body.len;

	if (rs->content_type != NULL && strncasecmp(rs->content_type, "text/html", 9) == 0)
		return 1;
	if (b == NULL)
		return 0;
	if (n >= 3 && memcmp(b, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
		i++;
	return (n - i >= 14 && strncasecmp(b + i, "<!doctype html", 14) == 0) ||
	    (n - i >= 5 && strncasecmp(b + i, "<html", 5) == 0);
}

char *
http_not_api(const struct http_resp *rs, const char *want)
{
	char *to, *r;

	if (rs->status >= 300 && rs->status < 400) {
		if (rs->location == NULL || *rs->location == '\0')
			return xasprintf("HTTP %ld redirect without a Location (tfdrift does not follow "
			    "redirects: a proxy, a captive portal or a wrong endpoint?)", rs->status);
		to = http_redact_url(rs->location);
		r = xasprintf("HTTP %ld redirect to %.300s (tfdrift does not follow redirects: a "
		    "proxy, a captive portal or a wrong endpoint?)", rs->status, to);
		free(to);
		return r;
	}
	if (html_body(rs))
		return xasprintf("HTTP %ld with HTML, not %s (a proxy or captive portal?)", rs->status,
		    want);
	return NULL;
}

/* ---- one request with retries ---- */

static int
call_sleep(const struct http_retry *rp, int64_t ms)
{
	struct timespec ts;

	if (rp->sleep != NULL)
		return rp->sleep(rp->ctx, ms);
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	return 0;
}

/* End the call with rs freed (and zeroed: a caller may free it again). */
static int
call_end(struct http_retry *rp, struct http_resp *rs, enum http_end end, char *msg, char **err)
{
	http_resp_free(rs);
	memset(rs, 0, sizeof *rs);
	rp->end = end;
	if (end == HTTP_END_STOPPED && msg == NULL)
		return -2;
	if (err != NULL) {
		free(*err);
		*err = msg != NULL ? msg : xstrdup("failed");
	} else
		free(msg);
	return end == HTTP_END_STOPPED ? -2 : -1;
}

int
http_call(struct http *h, struct http_req *rq, struct http_resp *rs, struct http_retry *rp,
    char **err)
{
	unsigned attempts = rp->attempts ? rp->attempts : 1;
	int refreshed = 0, rc, pr;
	char *why = NULL, *e = NULL;
	enum http_verdict v;

	memset(rs, 0, sizeof *rs);
	rp->end = HTTP_END_OK;
	for (rp->attempt = 1;;) {
		if (rp->prepare != NULL && (pr = rp->prepare(rp->ctx, rq, &e)) != 0) {
			free(why);
			return call_end(rp, rs, pr == -2 ? HTTP_END_STOPPED : HTTP_END_PREPARE, e,
			    err);
		}
		if (rp->requests != NULL)
			(*rp->requests)++;
		free(why);
		why = NULL;
		rc = http_do(h, rq, rs, &e);
		if (rp->after != NULL)
			rp->after(rp->ctx, rq, rs);
		if (rc != 0) {
			if (rs->fail == HTTP_FAIL_ABORTED)      /* the thread is being stopped */
				return call_end(rp, rs, HTTP_END_STOPPED, e, err);
			if (!http_retryable(rs))        /* too big, or TLS: the same again */
				return call_end(rp, rs, HTTP_END_TRANSPORT, e, err);
			why = e;
			e = NULL;
			v = HTTP_RETRY;
		} else if (rp->want != NULL && !http_retryable(rs) &&
		    !(rp->bare_redirect_ok && rs->status >= 300 && rs->status < 400 &&
		    rs->location == NULL) && !(rp->judged_status != 0 &&
		    rs->status == rp->judged_status) && (e = http_not_api(rs, rp->want)) != NULL) {
			/* A redirect or a web page: something between us and the API. */
			return call_end(rp, rs, HTTP_END_NOT_API, e, err);
		} else if (rp->judge != NULL)
			v = rp->judge(rp->ctx, rs, refreshed, &why);
		else
			v = http_retryable(rs) ? HTTP_RETRY : HTTP_DONE;
		if (v == HTTP_REFRESH && refreshed)
			v = HTTP_FAIL;  /* a judge that asks twice: what it said is the error */
		switch (v) {
		case HTTP_DONE:
			free(why);
			return 0;
		case HTTP_FAIL:
			if (why == NULL)
				why = xasprintf("HTTP %ld", rs->status);
			return call_end(rp, rs, HTTP_END_REFUSED, why, err);
		case HTTP_REFRESH:
			/* Not an attempt and no backoff: the same request with new credentials. */
			refreshed = 1;
			http_resp_free(rs);
			continue;
		case HTTP_RETRY:
			break;
		}
		if (why == NULL)
			why = xasprintf("HTTP %ld", rs->status);
		if (rp->attempt >= attempts) {
			if (rp->hand_over_last && rc == 0) {
				free(why);
				return 0;
			}
			return call_end(rp, rs, HTTP_END_EXHAUSTED, why, err);
		}
		if (rp->retries != NULL)
			(*rp->retries)++;
		if (rp->on_retry != NULL)
			rp->on_retry(rp->ctx, why, rp->attempt);
		{
			int64_t d = http_backoff_ms(rp->attempt, rp->base_ms, rp->cap_ms,
			    rc == 0 ? rs->retry_after : NULL);

			http_resp_free(rs);
			memset(rs, 0, sizeof *rs);
			if (call_sleep(rp, d)) {
				free(why);
				return call_end(rp, rs, HTTP_END_STOPPED, NULL, err);
			}
		}
		rp->attempt++;
	}
}
