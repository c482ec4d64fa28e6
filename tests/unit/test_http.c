/* Unit tests for the http glue's pure parts: RFC 3986 encoding, the sorted SigV4 query,
 * backoff bounds, retry classification, and a trace that keeps secrets out. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "tap.h"
#include "util.h"

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
	return done_testing();
}
