/* Unit tests for the one retry loop (http_call, http.c) and the one signed AWS call with the
 * expired-token refresh (aws_call, aws_call.c), on the fuzzing build's canned transport
 * (http_fuzz_transport: each request takes the next scripted answer, and the test sees the
 * request) and its credential_process hook (aws_fuzz_process: a new key pair each time the
 * chain resolves). Covered: retries on 5xx, throttles and transport failures, with the
 * counters and the backoff through the sleep hook; a stop from the sleep hook or prepare;
 * the last answer handed over or "exhausted"; a body over the cap and a redirect or web page
 * not retried; the judge's REFRESH once, then its error; aws_call's keys per attempt, one
 * refresh (not an attempt, counted as a retry) with new keys, the "refreshed once" hint,
 * "no AWS credentials", throttles, and keys never left behind in the request. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws_creds.h"
#include "http.h"
#include "tap.h"
#include "util.h"

/* ---- the scripted transport ---- */

#define MAX_SCRIPT 16
static struct {
	const char *answers[MAX_SCRIPT];   /* NULL: a transport failure */
	size_t n, next;
	char keys[MAX_SCRIPT][64];         /* the access key id each request was signed with */
	int signed_with_token[MAX_SCRIPT];
} tr;

static void
script(const char *const *answers, size_t n)
{
	memset(&tr, 0, sizeof tr);
	memcpy(tr.answers, answers, n * sizeof *answers);
	tr.n = n;
}

static int
transport(const struct http_req *rq, const char **resp, size_t *len)
{
	size_t i = tr.next++;

	if (i >= tr.n || i >= MAX_SCRIPT)
		return -1;
	if (rq->aws != NULL) {
		snprintf(tr.keys[i], sizeof tr.keys[i], "%s", rq->aws->access_key_id);
		tr.signed_with_token[i] = rq->aws->session_token != NULL;
	}
	if (tr.answers[i] == NULL)
		return -1;
	*resp = tr.answers[i];
	*len = strlen(tr.answers[i]);
	return 0;
}

/* ---- the credential_process hook: key pair N on the Nth run ---- */

static int process_runs, process_fails;

static int
process(char *const *argv, struct strbuf *out, struct strbuf *errout)
{
	(void)argv;
	if (process_fails) {
		sb_adds(errout, "the helper is broken");
		return 1;
	}
	process_runs++;
	sb_addf(out, "{\"Version\": 1, \"AccessKeyId\": \"AKIATEST%d\", \"SecretAccessKey\": "
	    "\"secret%d\", \"SessionToken\": \"token%d\"}", process_runs, process_runs,
	    process_runs);
	return 0;
}

/* ---- hooks ---- */

static struct {
	int sleeps, stop_after, prepares, prepare_rc, refreshes;
	int64_t slept_ms;
	unsigned last_retry_attempt;
} hk;

static int
h_sleep(void *ctx, int64_t ms)
{
	(void)ctx;
	hk.sleeps++;
	hk.slept_ms += ms;
	return hk.stop_after > 0 && hk.sleeps >= hk.stop_after;
}

static int
h_prepare(void *ctx, struct http_req *rq, char **err)
{
	(void)ctx;
	(void)rq;
	hk.prepares++;
	if (hk.prepare_rc == -1)
		tf_err(err, "no token today");
	return hk.prepare_rc;
}

static void
h_on_retry(void *ctx, const char *why, unsigned attempt)
{
	(void)ctx;
	(void)why;
	hk.last_retry_attempt = attempt;
}

/* 401 once: a refresh; then whatever is not retryable is refused. */
static enum http_verdict
h_judge(void *ctx, struct http_resp *rs, int refreshed, char **why)
{
	(void)ctx;
	if (rs->status == 401 && !refreshed) {
		hk.refreshes++;
		return HTTP_REFRESH;
	}
	if (http_retryable(rs))
		return HTTP_RETRY;
	if (rs->status >= 400) {
		*why = xasprintf("refused with %ld", rs->status);
		return HTTP_FAIL;
	}
	return HTTP_DONE;
}

static uint64_t requests, retries;

static void
policy(struct http_retry *rp, unsigned attempts)
{
	memset(rp, 0, sizeof *rp);
	memset(&hk, 0, sizeof hk);
	requests = retries = 0;
	rp->attempts = attempts;
	rp->base_ms = 10;
	rp->cap_ms = 100;
	rp->sleep = h_sleep;
	rp->on_retry = h_on_retry;
	rp->requests = &requests;
	rp->retries = &retries;
}

#define OK200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"ok\": true}"
#define E500 "HTTP/1.1 500 Internal Server Error\r\n\r\n{}"
#define E503 "HTTP/1.1 503 Service Unavailable\r\n\r\n{}"
#define E401 "HTTP/1.1 401 Unauthorized\r\n\r\n{}"
#define E403 "HTTP/1.1 403 Forbidden\r\n\r\n{}"
#define THROTTLE "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n\r\n" \
	"{\"__type\": \"ThrottlingException\", \"message\": \"Rate exceeded\"}"
#define EXPIRED "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\n\r\n" \
	"{\"__type\": \"ExpiredTokenException\", \"message\": \"The security token included in " \
	"the request is expired\"}"
#define REDIRECT "HTTP/1.1 302 Found\r\nLocation: https://portal.example/login?token=abc\r\n\r\n"
#define BARE301 "HTTP/1.1 301 Moved Permanently\r\nContent-Type: application/xml\r\n\r\n" \
	"<Error><Code>PermanentRedirect</Code></Error>"
#define HTML "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>Sign in</body></html>"

static void
test_http_call(struct http *h)
{
	struct http_req rq;
	struct http_resp rs;
	struct http_retry rp;
	char *err = NULL;
	int rc;

	memset(&rq, 0, sizeof rq);
	rq.url = "https://api.example/x";

	{
		const char *s[] = { E500, NULL, E503, OK200 };

		script(s, 4);
		policy(&rp, 5);
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == 0 && rs.status == 200, "5xx, a transport failure, 503, then 200: the 200");
		is_int(requests, 4, "four requests counted");
		is_int(retries, 3, "three retries counted");
		is_int(rp.attempt, 4, "in four attempts");
		is_int(hk.sleeps, 3, "a backoff (through the sleep hook) before each retry");
		ok(hk.slept_ms >= 3 && hk.slept_ms <= 10 + 20 + 40, "backoff within the jitter bounds "
		    "(%lld ms)", (long long)hk.slept_ms);
		is_int(hk.last_retry_attempt, 3, "on_retry told which attempt failed");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { E503, E503, E503, OK200 };

		script(s, 4);
		policy(&rp, 3);
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_EXHAUSTED, "503 on every attempt: exhausted");
		is_str(err, "HTTP 503", "... saying the last reason");
		is_int(requests, 3, "... after exactly the attempts allowed");
		is_int(rs.status, 0, "... and nothing left in the response");
		free(err);
		err = NULL;

		script(s, 4);
		policy(&rp, 3);
		rp.hand_over_last = 1;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == 0 && rs.status == 503, "hand_over_last: the last 503 goes to the caller");
		is_int(retries, 2, "... after two retries");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { NULL, NULL };

		script(s, 2);
		policy(&rp, 2);
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_EXHAUSTED && err != NULL &&
		    strstr(err, "no answer") != NULL, "transport failures: exhausted with "
		    "http_do's message (%s)", err ? err : "");
		free(err);
		err = NULL;
	}
	{
		const char *s[] = { E500, E500, OK200 };

		script(s, 3);
		policy(&rp, 5);
		hk.stop_after = 2;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -2 && rp.end == HTTP_END_STOPPED, "a stop from the sleep hook: -2");
		is_int(requests, 2, "... and no request after it");
		ok(err == NULL, "... with no error");
	}
	{
		const char *s[] = { REDIRECT, OK200 };

		script(s, 2);
		policy(&rp, 5);
		rp.want = "JSON";
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_NOT_API, "a redirect: not the API");
		ok(err != NULL && strstr(err, "HTTP 302 redirect to https://portal.example/login") &&
		    strstr(err, "abc") == NULL, "... named with its target, secrets left out (%s)",
		    err ? err : "");
		is_int(requests, 1, "... and not retried");
		free(err);
		err = NULL;

		rp.want = NULL;
		script(s, 2);
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == 0 && rs.status == 302, "without `want` the redirect is the caller's");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { HTML };

		script(s, 1);
		policy(&rp, 5);
		rp.want = "JSON";
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_NOT_API && err != NULL &&
		    strstr(err, "HTTP 200 with HTML, not JSON") != NULL, "a web page: not the API");
		free(err);
		err = NULL;
	}
	{
		const char *s[] = { BARE301 };

		script(s, 1);
		policy(&rp, 5);
		rp.want = "JSON";
		rp.bare_redirect_ok = 1;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == 0 && rs.status == 301, "bare_redirect_ok: a 301 without a Location is "
		    "handed over (S3's wrong region)");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n"
		    "{\"a\": \"0123456789012345678901234567890123456789\"}", OK200 };

		script(s, 2);
		policy(&rp, 5);
		rq.max_body = 16;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_TRANSPORT, "a body over the cap: a transport "
		    "failure no retry helps");
		is_int(requests, 1, "... tried once");
		free(err);
		err = NULL;
		rq.max_body = 0;
	}
	{
		const char *s[] = { E401, OK200 };

		script(s, 2);
		policy(&rp, 1);
		rp.judge = h_judge;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == 0 && rs.status == 200, "REFRESH on a 401, then 200, with one attempt allowed");
		is_int(hk.refreshes, 1, "... one refresh");
		is_int(retries, 0, "... which is not a retry");
		is_int(hk.sleeps, 0, "... and has no backoff");
		is_int(rp.attempt, 1, "... and is not an attempt");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { E401, E401, OK200 };

		script(s, 3);
		policy(&rp, 3);
		rp.judge = h_judge;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_REFUSED, "a 401 after the refresh: refused");
		is_str(err, "refused with 401", "... with the judge's message");
		is_int(requests, 2, "... after two requests");
		free(err);
		err = NULL;

		script(s, 3);
		policy(&rp, 3);
		rp.judge = h_judge;
		rp.want = "JSON";
		rp.judged_status = 401;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_REFUSED, "judged_status: the judge sees the 401");
		free(err);
		err = NULL;
	}
	{
		const char *s[] = { E403 };

		script(s, 1);
		policy(&rp, 3);
		rp.judge = h_judge;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_REFUSED && retries == 0, "a 403: refused at once");
		free(err);
		err = NULL;
	}
	{
		const char *s[] = { OK200 };

		script(s, 1);
		policy(&rp, 3);
		rp.prepare = h_prepare;
		hk.prepare_rc = -1;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -1 && rp.end == HTTP_END_PREPARE, "prepare fails: HTTP_END_PREPARE");
		is_str(err, "no token today", "... with its message");
		is_int(requests, 0, "... and no request");
		free(err);
		err = NULL;

		policy(&rp, 3);
		rp.prepare = h_prepare;
		hk.prepare_rc = -2;
		rc = http_call(h, &rq, &rs, &rp, &err);
		ok(rc == -2 && rp.end == HTTP_END_STOPPED && err == NULL, "prepare stops: -2");
	}
}

/* aws_call's judge for the tests: throttles retried, other errors refused. */
static enum http_verdict
aws_judge(void *ctx, struct http_resp *rs, int refreshed, char **why)
{
	(void)ctx;
	(void)refreshed;
	if (http_retryable(rs))
		return HTTP_RETRY;
	if (rs->status != 200) {
		*why = xasprintf("HTTP %ld %s", rs->status, rs->body.buf);
		return HTTP_FAIL;
	}
	return HTTP_DONE;
}

static void
aws_policy(struct aws_call *ac, struct aws_creds *creds, unsigned attempts)
{
	memset(ac, 0, sizeof *ac);
	ac->creds = creds;
	ac->region = "eu-west-1";
	ac->service = "cloudtrail";
	policy(&ac->retry, attempts);
}

static void
test_aws_call(struct http *h, struct aws_creds *creds)
{
	struct aws_call ac;
	struct http_req rq;
	struct http_resp rs;
	char *err = NULL;
	int rc;

	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = "https://cloudtrail.eu-west-1.amazonaws.com/";
	rq.body = "{}";
	rq.body_len = 2;
	{
		const char *s[] = { OK200 };

		script(s, 1);
		aws_policy(&ac, creds, 3);
		rc = aws_call(h, &ac, &rq, &rs, &err);
		ok(rc == 0 && rs.status == 200, "aws_call: a signed request");
		is_str(tr.keys[0], "AKIATEST1", "... signed with the chain's keys");
		ok(tr.signed_with_token[0], "... and its session token");
		is_str(ac.access_key_id, "AKIATEST1", "... whose key id the caller may name");
		ok(rq.aws == NULL, "... and no keys are left in the request");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { EXPIRED, OK200 };

		script(s, 2);
		aws_policy(&ac, creds, 1);
		rc = aws_call(h, &ac, &rq, &rs, &err);
		ok(rc == 0 && rs.status == 200, "ExpiredTokenException: refreshed, then 200, with "
		    "one attempt allowed");
		is_str(tr.keys[0], "AKIATEST1", "... the first request with the old keys");
		is_str(tr.keys[1], "AKIATEST2", "... the second with new ones");
		ok(ac.refreshed, "... the call says it refreshed");
		is_int(retries, 1, "... counted as a retry");
		is_int(hk.sleeps, 0, "... without a backoff");
		is_int(ac.retry.attempt, 1, "... not as an attempt");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { EXPIRED, EXPIRED, OK200 };

		script(s, 3);
		aws_policy(&ac, creds, 3);
		ac.retry.judge = aws_judge;
		rc = aws_call(h, &ac, &rq, &rs, &err);
		ok(rc == -1 && ac.retry.end == HTTP_END_REFUSED, "expired again after the refresh: "
		    "refused");
		ok(err != NULL && tf_str_has_suffix(err, " (refreshed once; the new keys are expired "
		    "too)"), "... with the hint (%s)", err ? err : "");
		is_int(tr.next, 2, "... after one refresh only");
		ok(err != NULL && strstr(err, "secret") == NULL && strstr(err, "token3") == NULL,
		    "... and no secret in the message");
		free(err);
		err = NULL;

		script(s, 3);
		aws_policy(&ac, creds, 3);
		rc = aws_call(h, &ac, &rq, &rs, &err);
		ok(rc == 0 && rs.status == 400, "without a judge the second expired answer is the "
		    "caller's");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { THROTTLE, THROTTLE, OK200 };

		script(s, 3);
		aws_policy(&ac, creds, 6);
		ac.retry.judge = aws_judge;
		rc = aws_call(h, &ac, &rq, &rs, &err);
		ok(rc == 0 && rs.status == 200, "ThrottlingException: retried until it passes");
		is_int(retries, 2, "... two retries");
		is_int(hk.sleeps, 2, "... each after a backoff");
		ok(!ac.refreshed, "... and no refresh");
		http_resp_free(&rs);
	}
	{
		const char *s[] = { OK200 };

		script(s, 1);
		aws_creds_invalidate(creds);
		process_fails = 1;
		aws_policy(&ac, creds, 3);
		rc = aws_call(h, &ac, &rq, &rs, &err);
		ok(rc == -1 && ac.retry.end == HTTP_END_PREPARE, "no keys: HTTP_END_PREPARE");
		ok(err != NULL && tf_str_has_prefix(err, "no AWS credentials"), "... saying "
		    "\"no AWS credentials\" (%s)", err ? err : "");
		ok(err != NULL && strstr(err, "no AWS credentials: no AWS credentials") == NULL,
		    "... once");
		is_int(tr.next, 0, "... and nothing sent");
		free(err);
		err = NULL;
		process_fails = 0;
	}
}

int
main(void)
{
	char dir[] = "/tmp/tfdrift-test-retry-XXXXXX", *cfg;
	struct aws_creds_opts co = { "retrytest", "eu-west-1" };
	struct aws_creds *creds;
	struct http *h;
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 99;
	cfg = xasprintf("%s/config", dir);
	if ((f = fopen(cfg, "w")) == NULL)
		return 99;
	fputs("[profile retrytest]\ncredential_process = played-by-the-test\n", f);
	fclose(f);
	setenv("AWS_CONFIG_FILE", cfg, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	unsetenv("TFDRIFT_HTTP_MAX_BODY");
	http_global_init();
	http_fuzz_transport = transport;
	aws_fuzz_process = process;
	h = http_new();
	creds = aws_creds_new(&co);
	test_http_call(h);
	test_aws_call(h, creds);
	aws_creds_free(creds);
	http_free(h);
	unlink(cfg);
	rmdir(dir);
	free(cfg);
	return done_testing();
}
