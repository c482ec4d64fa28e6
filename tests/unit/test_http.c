/* Unit tests for the http glue: RFC 3986 encoding, the sorted SigV4 query, backoff bounds,
 * retry classification, a trace that keeps secrets out, and, against a loopback server of
 * its own, why a request failed (a body over the cap, with and without Content-Length, is
 * not worth a retry), the thread's abort check, and http_call's wait on a Retry-After. */
#include "config.h"

#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http.h"
#include "tap.h"
#include "util.h"

/* The loopback server: answers each connection the way `mode` says, counts them. */
enum srv_mode { SRV_BIG_LENGTH, SRV_BIG_CHUNKED, SRV_SILENT, SRV_OK, SRV_THROTTLE_ONCE };
static struct {
	int fd, port;
	enum srv_mode mode;
	int conns;
	pthread_mutex_t mu;
} srv = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

static void *
srv_main(void *arg)
{
	char req[4096], chunk[4096];
	int c;

	(void)arg;
	memset(chunk, 'x', sizeof chunk);
	while ((c = accept(srv.fd, NULL, NULL)) >= 0) {
		enum srv_mode m;
		size_t got = 0;
		ssize_t r;
		int i;

		pthread_mutex_lock(&srv.mu);
		srv.conns++;
		m = srv.mode;
		pthread_mutex_unlock(&srv.mu);
		while (got < sizeof req - 1 && (r = read(c, req + got, sizeof req - 1 - got)) > 0) {
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		if (m == SRV_BIG_LENGTH) {
			const char *h = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Content-Length: 1000000\r\nConnection: close\r\n\r\n";

			write_all(c, h, strlen(h));
			for (i = 0; i < 244; i++)
				write_all(c, chunk, sizeof chunk);
		} else if (m == SRV_BIG_CHUNKED) {
			const char *h = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

			write_all(c, h, strlen(h));
			for (i = 0; i < 244; i++) {
				write_all(c, "1000\r\n", 6);
				write_all(c, chunk, sizeof chunk);
				write_all(c, "\r\n", 2);
			}
			write_all(c, "0\r\n\r\n", 5);
		} else if (m == SRV_THROTTLE_ONCE) {
			/* 429 with Retry-After, then (the next connection) 200. */
			const char *h = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 2\r\n"
			    "Content-Length: 2\r\nConnection: close\r\n\r\n{}";

			write_all(c, h, strlen(h));
			pthread_mutex_lock(&srv.mu);
			srv.mode = SRV_OK;
			pthread_mutex_unlock(&srv.mu);
		} else if (m == SRV_OK) {
			const char *h = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close"
			    "\r\n\r\n{}";

			write_all(c, h, strlen(h));
		} else
			while (read(c, req, sizeof req) > 0)
				;       /* SRV_SILENT: no answer until the client hangs up */
		close(c);
	}
	return NULL;
}

static void
srv_start(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	pthread_t th;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((srv.fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(srv.fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(srv.fd, 8) != 0 ||
	    getsockname(srv.fd, (struct sockaddr *)&a, &len) != 0)
		tf_fatal("test server: cannot listen on 127.0.0.1");
	srv.port = ntohs(a.sin_port);
	pthread_create(&th, NULL, srv_main, NULL);
	pthread_detach(th);
}

static int
srv_conns(enum srv_mode next)
{
	int n;

	pthread_mutex_lock(&srv.mu);
	n = srv.conns;
	srv.conns = 0;
	srv.mode = next;
	pthread_mutex_unlock(&srv.mu);
	return n;
}

/* A thread abort check: stop once the monotonic clock passes *(int64_t *)ctx. */
static int
past(void *ctx)
{
	return tf_mono_ms() >= *(int64_t *)ctx;
}

/* One GET of the loopback server: http_do's result, the failure kind and the error. */
static int
get(struct http *h, uint64_t max_body, struct http_resp *rs, char **err)
{
	struct http_req rq;
	char url[64];

	snprintf(url, sizeof url, "http://127.0.0.1:%d/big", srv.port);
	memset(&rq, 0, sizeof rq);
	rq.url = url;
	rq.timeout_ms = 10000;
	rq.max_body = max_body;
	free(*err);
	*err = NULL;
	return http_do(h, &rq, rs, err);
}

static void
failure_kinds(void)
{
	struct http *h = http_new();
	struct http_resp rs;
	char *err = NULL;
	int64_t t0, at;

	signal(SIGPIPE, SIG_IGN);       /* the server writes on after curl gave up */
	srv_start();
	srv_conns(SRV_BIG_LENGTH);
	is_int(get(h, 100000, &rs, &err), -1, "a Content-Length over the cap fails");
	is_int((int)rs.fail, HTTP_FAIL_TOO_BIG, "as too big");
	ok(rs.body.len <= 100000, "without reading more than the cap (%zu bytes)", rs.body.len);
	ok(err != NULL && strstr(err, "larger than 100000 bytes") != NULL, "saying so: %s",
	    err ? err : "");
	ok(!http_retryable(&rs), "and is not worth a retry (the same body would come again)");
	http_resp_free(&rs);
	is_int(srv_conns(SRV_BIG_CHUNKED), 1, "one request made");
	is_int(get(h, 100000, &rs, &err), -1, "a chunked body over the cap fails");
	is_int((int)rs.fail, HTTP_FAIL_TOO_BIG, "as too big");
	ok(rs.body.len <= 100000, "having kept at most the cap (%zu bytes)", rs.body.len);
	ok(!http_retryable(&rs), "not retried either");
	http_resp_free(&rs);
	srv_conns(SRV_BIG_CHUNKED);
	is_int(get(h, 0, &rs, &err), 0, "under the default cap the same body arrives");
	is_int((int)rs.body.len, 244 * 4096, "all of it");
	is_int((int)rs.fail, HTTP_FAIL_NONE, "no failure");
	http_resp_free(&rs);
	setenv("TFDRIFT_HTTP_MAX_BODY", "5000", 1);
	is_int(get(h, 0, &rs, &err), -1, "TFDRIFT_HTTP_MAX_BODY lowers the cap");
	ok(err != NULL && strstr(err, "larger than 5000 bytes") != NULL, "to its value: %s",
	    err ? err : "");
	http_resp_free(&rs);
	is_int(get(h, 1000, &rs, &err), -1, "but never raises a request's own");
	ok(err != NULL && strstr(err, "larger than 1000 bytes") != NULL, "%s", err ? err : "");
	http_resp_free(&rs);
	unsetenv("TFDRIFT_HTTP_MAX_BODY");

	/* The thread's abort check: a server that never answers is left within about a second
	 * of the check turning true, and once it is true no connection is even made. */
	srv_conns(SRV_SILENT);
	at = tf_mono_ms() + 300;
	tf_thread_stop_set(past, &at);
	t0 = tf_mono_ms();
	is_int(get(h, 0, &rs, &err), -1, "a request the thread's check aborts fails");
	is_int((int)rs.fail, HTTP_FAIL_ABORTED, "as aborted");
	ok(tf_mono_ms() - t0 < 2500, "soon after the check turned true (%lld ms)",
	    (long long)(tf_mono_ms() - t0));
	ok(!http_retryable(&rs), "an abort is not retried");
	http_resp_free(&rs);
	srv_conns(SRV_OK);
	is_int(get(h, 0, &rs, &err), -1, "with the check true a request fails at once");
	is_int((int)rs.fail, HTTP_FAIL_ABORTED, "aborted");
	http_resp_free(&rs);
	is_int(srv_conns(SRV_OK), 0, "without connecting");
	tf_thread_stop_set(NULL, NULL);
	is_int(get(h, 0, &rs, &err), 0, "cleared, requests go through again");
	is_int((int)rs.status, 200, "200");
	http_resp_free(&rs);
	free(err);
	http_free(h);
}

/* http_call's sleep hook for retry_after: what it was asked to wait; no waiting. */
static int64_t asked_ms;
static int
note_sleep(void *ctx, int64_t ms)
{
	(void)ctx;
	asked_ms += ms;
	return 0;
}

/* http_call against the loopback server: a 429's Retry-After wins over a shorter backoff. */
static void
retry_after(void)
{
	struct http *h = http_new();
	struct http_retry rp;
	struct http_req rq;
	struct http_resp rs;
	char url[64], *err = NULL;
	uint64_t requests = 0, retries = 0;

	snprintf(url, sizeof url, "http://127.0.0.1:%d/throttled", srv.port);
	memset(&rq, 0, sizeof rq);
	rq.url = url;
	rq.timeout_ms = 10000;
	memset(&rp, 0, sizeof rp);
	rp.attempts = 3;
	rp.base_ms = 10;
	rp.cap_ms = 100;
	rp.want = "JSON";
	rp.sleep = note_sleep;
	rp.requests = &requests;
	rp.retries = &retries;
	srv_conns(SRV_THROTTLE_ONCE);
	is_int(http_call(h, &rq, &rs, &rp, &err), 0, "http_call: a 429, then 200");
	is_int(rs.status, 200, "200 in the end");
	is_int(requests, 2, "two requests");
	is_int(retries, 1, "one retry");
	is_int(asked_ms, 2000, "after waiting what Retry-After said, not the 10-100 ms backoff");
	http_resp_free(&rs);
	free(err);
	http_free(h);
}

/* Our SigV4 (libcurl < 7.86, or TFDRIFT_TEST_OWN_SIGV4) against fixed vectors: AWS's
 * get-vanilla test-suite case, and two made with botocore 1.29 (python3-botocore): a JSON API
 * POST on a port with a session token and a path encoded twice, and S3 on :443 (no port in
 * the host) with its payload hash. */
static void
test_own_sigv4(void)
{
	static const struct aws_keys k = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		NULL };
	static const struct aws_keys kt = { "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"TOK" };
	static const char empty[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
	const char *ct[] = { "Content-Type: application/x-amz-json-1.1",
		"X-Amz-Target:   CloudTrail_20131101.LookupEvents  ",
		"X-Amz-Security-Token: TOKEN/with+stuff==" };
	const char *s3[] = { "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"X-Amz-Security-Token: TOK" };
	struct http_req rq;
	char *a, hex[65];

	memset(&rq, 0, sizeof rq);
	rq.url = "https://example.amazonaws.com/";
	rq.aws = &k;
	rq.aws_region = "us-east-1";
	rq.aws_service = "service";
	a = http_sigv4_authorization(&rq, "GET", NULL, 0, "20150830T123600Z", empty);
	is_str(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
	    "SignedHeaders=host;x-amz-date, "
	    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
	    "own SigV4: AWS's get-vanilla");
	free(a);

	rq.url = "http://127.0.0.1:8443/a%20b/?Action=List&b=2";
	rq.aws_region = "eu-west-1";
	rq.aws_service = "cloudtrail";
	tf_sha256_hex("{\"x\":1}", 7, hex, 64);
	a = http_sigv4_authorization(&rq, "POST", ct, 3, "20150830T123600Z", hex);
	is_str(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/eu-west-1/cloudtrail/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
	    "Signature=50b4e3f1d474b7f129062b045ac19a1c4cd9b04b3e3bcf7943ffce51cdee310c",
	    "own SigV4: every header signed, the port in host, the path encoded again (botocore)");
	free(a);

	rq.url = "https://bkt.s3.eu-west-1.amazonaws.com:443/env%3A/prod.tfstate?list-type=2&prefix=a";
	rq.aws = &kt;
	rq.aws_service = "s3";
	a = http_sigv4_authorization(&rq, "GET", s3, 2, "20240527T101500Z", empty);
	is_str(a, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240527/eu-west-1/s3/aws4_request, "
	    "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
	    "Signature=1424ff6948f51e12f8b4e925aca51819eab1b7002b8dd4936086315e021c6c64",
	    "own SigV4: S3 path as sent, the default port left out (botocore)");
	free(a);

	rq.url = "not a url";
	ok(http_sigv4_authorization(&rq, "GET", NULL, 0, "20240527T101500Z", empty) == NULL,
	    "own SigV4: a URL that does not parse is refused");
}

int
main(void)
{
	const char *pairs[] = { "prefix", "env:/prod", "list-type", "2", "a", NULL, "b", "x y" };
	struct http_resp rs;
	struct http *h;
	struct http_req rq;
	char *s, *err = NULL, path[] = "/tmp/tfdrift-http-trace-XXXXXX", buf[4096];
	int64_t d, lo = 1 << 30, hi = 0;
	unsigned i;
	FILE *fp;
	int fd;
	size_t n;

	test_own_sigv4();
	s = http_encode("env:/prod/net work.tfstate", 1);
	is_str(s, "env%3A/prod/net%20work.tfstate", "S3 keys: everything but unreserved and / encoded");
	free(s);
	s = http_encode("a/b~c_d.e-f", 0);
	is_str(s, "a%2Fb~c_d.e-f", "query values: / encoded, unreserved kept");
	free(s);
	s = http_encode("\xc3\xa9", 0);
	is_str(s, "%C3%A9", "UTF-8 bytes in upper-case hex");
	free(s);
	s = http_query(pairs, 4);
	is_str(s, "a=&b=x%20y&list-type=2&prefix=env%3A%2Fprod", "query sorted by name, every name has =");
	free(s);
	s = http_query(NULL, 0);
	is_str(s, "", "an empty query");
	free(s);

	for (i = 0; i < 200; i++) {
		d = http_backoff_ms(3, 100, 5000, NULL);
		if (d < lo)
			lo = d;
		if (d > hi)
			hi = d;
	}
	ok(lo >= 1 && hi < 400, "attempt 3 waits within [1, 400) ms (%lld..%lld)", (long long)lo,
	    (long long)hi);
	ok(hi > 100, "with jitter spread over the range (max %lld)", (long long)hi);
	d = http_backoff_ms(30, 100, 5000, NULL);
	ok(d < 5000, "capped (%lld < 5000)", (long long)d);
	d = http_backoff_ms(1, 100, 5000, "7");
	is_int((int)d, 7000, "Retry-After: 7 waits 7 s");

	memset(&rs, 0, sizeof rs);
	rs.status = 503;
	ok(http_retryable(&rs), "503 is retried");
	rs.status = 0;
	ok(http_retryable(&rs), "a transport failure is retried");
	rs.fail = HTTP_FAIL_TLS;
	ok(!http_retryable(&rs), "a refused certificate is not (the same CA refuses it again)");
	rs.fail = HTTP_FAIL_NONE;
	rs.status = 403;
	ok(!http_retryable(&rs), "403 is not");
	rs.status = 400;
	sb_init(&rs.body);
	sb_adds(&rs.body, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}");
	ok(http_retryable(&rs), "400 ThrottlingException is retried");
	sb_reset(&rs.body);
	sb_adds(&rs.body, "{\"__type\":\"InvalidLookupAttributesException\"}");
	ok(!http_retryable(&rs), "400 with another error is not");
	sb_free(&rs.body);
	memset(&rs, 0, sizeof rs);
	rs.fail = HTTP_FAIL_TRANSPORT;
	ok(http_retryable(&rs), "a transport failure (reset, timeout) is retried");
	rs.fail = HTTP_FAIL_TOO_BIG;
	ok(!http_retryable(&rs), "a body over the cap is not");
	rs.fail = HTTP_FAIL_ABORTED;
	ok(!http_retryable(&rs), "an abort is not");

	/* How URLs are shown: userinfo left out, secret query values and any fragment REDACTED. */
	{
		static const char *const cases[][2] = {
			{ "https://h.example/a?b=1", "https://h.example/a?b=1" },
			{ "https://u:p@h.example/a", "https://h.example/a" },
			{ "https://h.example/a?X-Amz-Signature=s&b=1&", "https://h.example/a?X-Amz-Signature=REDACTED&b=1&" },
			{ "https://h.example/a#access_token=t", "https://h.example/a#REDACTED" },
			{ "https://h.example/a?b=1#access_token=t", "https://h.example/a?b=1#REDACTED" },
			{ "https://h.example/a?x#y&X-Amz-Signature=s", "https://h.example/a?x#REDACTED" },
			{ "https://h.example/a?&&sig=s", "https://h.example/a?&&sig=REDACTED" },
			{ "relative/path?token=t", "relative/path?token=REDACTED" },
		};

		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			s = http_redact_url(cases[i][0]);
			is_str(s, cases[i][1], "shown as %s", cases[i][1]);
			free(s);
		}
	}

	/* Answers that are not the API's: a redirect is named with its target, a page is HTML. */
	memset(&rs, 0, sizeof rs);
	rs.status = 302;
	rs.location = xstrdup("https://u:p@portal.example/login?X-Amz-Signature=abc&next=%2F");
	s = http_not_api(&rs, "JSON");
	is_str(s, "HTTP 302 redirect to https://portal.example/login?X-Amz-Signature=REDACTED&next=%2F "
	    "(tfdrift does not follow redirects: a proxy, a captive portal or a wrong endpoint?)",
	    "a redirect names its target, credentials and signatures left out");
	free(s);
	http_resp_free(&rs);
	rs.status = 301;
	s = http_not_api(&rs, "JSON");
	ok(s != NULL && strstr(s, "HTTP 301 redirect without a Location") != NULL, "a redirect "
	    "without a Location says so: %s", s);
	free(s);
	rs.status = 200;
	sb_adds(&rs.body, "\n  <!DOCTYPE html><html><body>Sign in</body></html>");
	s = http_not_api(&rs, "JSON");
	is_str(s, "HTTP 200 with HTML, not JSON (a proxy or captive portal?)", "a page by its body");
	free(s);
	http_resp_free(&rs);
	rs.status = 403;
	rs.content_type = xstrdup("Text/HTML; charset=utf-8");
	sb_adds(&rs.body, "Forbidden");
	s = http_not_api(&rs, "XML");
	is_str(s, "HTTP 403 with HTML, not XML (a proxy or captive portal?)", "a page by its type");
	free(s);
	http_resp_free(&rs);
	rs.status = 200;
	rs.content_type = xstrdup("application/json");
	sb_adds(&rs.body, "{\"Events\":[]}");
	ok(http_not_api(&rs, "JSON") == NULL, "JSON is the API's");
	http_resp_free(&rs);
	rs.status = 403;
	sb_adds(&rs.body, "<?xml version=\"1.0\"?><Error><Code>AccessDenied</Code></Error>");
	ok(http_not_api(&rs, "XML") == NULL, "an S3 error is the API's");
	http_resp_free(&rs);

	/* A failed request to a closed port: a clear error and a trace line without secrets. */
	fd = mkstemp(path);
	close(fd);
	setenv("TFDRIFT_TRACE", path, 1);
	http_global_init();
	h = http_new();
	memset(&rq, 0, sizeof rq);
	rq.url = "http://user:hunter2@127.0.0.1:1/state?X-Amz-Signature=abcdef&part=1&access_token=zzz";
	rq.timeout_ms = 2000;
	rq.bearer = "ya29.secret-token";
	is_int(http_do(h, &rq, &rs, &err), -1, "a closed port is a transport error");
	ok(err != NULL && strstr(err, "127.0.0.1:1") != NULL, "the error names the address: %s",
	    err ? err : "");
	ok(err != NULL && strstr(err, "hunter2") == NULL && strstr(err, "abcdef") == NULL,
	    "and holds no secret");
	is_int((int)rs.status, 0, "no status");
	http_resp_free(&rs);
	http_free(h);
	free(err);
	fp = fopen(path, "r");
	n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
	buf[n] = '\0';
	if (fp)
		fclose(fp);
	unlink(path);
	ok(strstr(buf, "GET http://127.0.0.1:1/state?X-Amz-Signature=REDACTED&part=1&access_token=REDACTED") != NULL,
	    "the trace has the request, secrets redacted: %s", buf);
	ok(strstr(buf, "hunter2") == NULL && strstr(buf, "ya29") == NULL && strstr(buf, "abcdef") == NULL,
	    "no password, token or signature in the trace");
	unsetenv("TFDRIFT_TRACE");
	http_trace_reopen();
	failure_kinds();
	retry_after();
	return done_testing();
}
