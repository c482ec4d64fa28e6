/* http: libcurl glue for the cloud APIs and state backends: one reusable handle per thread,
 * AWS SigV4 signing by libcurl (CURLOPT_AWS_SIGV4, with the curl 7.88 workarounds), bearer and
 * basic auth, timeouts, a request trace with secrets left out, and retry timing.
 *
 * Threads: a struct http belongs to one thread (libcurl easy handles are not shared); call
 * http_global_init() once from main before any thread starts.
 *
 * With libcurl < 7.86 (7.81 is the floor) http.c signs instead (http_sigv4_own): those sign
 * only content-type, host without its port and x-amz-date.
 *
 * curl 7.88 SigV4 rules this module keeps for its callers (wire-formats.md §2): the region
 * and service are always passed; a session token goes in X-Amz-Security-Token; the date is
 * curl's; no "Name:" header removals on signed requests; S3 requests get
 * x-amz-content-sha256 (the empty-body hash for GET/HEAD, else the body's). Callers must
 * build URLs whose query is sorted by key and RFC 3986 encoded (http_query) and whose S3 key
 * path is percent-encoded (http_encode_path). */
#ifndef TFDRIFT_HTTP_H
#define TFDRIFT_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* AWS credentials for signing (the secret never leaves this struct except to libcurl). */
struct aws_keys {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;      /* NULL for long-term keys */
};

struct http_req {
	const char *method;             /* "GET" (default), "POST", "PUT", "HEAD", "DELETE" */
	const char *url;
	const char *const *headers;     /* "Name: value" strings, NULL-terminated; may be NULL */
	const char *body;               /* request body (POST/PUT), or NULL */
	size_t body_len;
	/* One of these authentications (or none): */
	const struct aws_keys *aws;     /* SigV4 with aws_region and aws_service */
	const char *aws_region, *aws_service;
	const char *bearer;             /* Authorization: Bearer <token> */
	const char *basic_user, *basic_pass;
	const char *ca_file;            /* PEM CA bundle to trust (CURLOPT_CAINFO); NULL: the
	                                 * system's (AWS: aws_ca_bundle) */
	long timeout_ms;                /* whole request; 0: 30 s */
	long connect_timeout_ms;        /* 0: 10 s */
	uint64_t max_body;              /* refuse larger responses; 0: TF_MAX_HTTP_BODY */
	/* The URL itself is a secret (a Slack or other webhook URL carries its token in the
	 * path): errors and the trace show only scheme://host/REDACTED. */
	int secret_url;
	/* Called by libcurl's progress callback (about once a second even while nothing moves);
	 * nonzero aborts the transfer (http_do fails: "aborted"). NULL: never. */
	int (*abort_check)(void *ctx);
	void *abort_ctx;
};

/* Why http_do failed, so retry loops can tell a fault worth another attempt from one the same
 * request would only repeat. */
enum http_fail {
	HTTP_FAIL_NONE = 0,             /* a response arrived */
	HTTP_FAIL_TRANSPORT,            /* DNS, connect, TLS, timeout, reset, short body: retry */
	HTTP_FAIL_TOO_BIG,              /* the body is over max_body: a retry downloads it again */
	HTTP_FAIL_ABORTED,              /* abort_check or the thread's stop check asked: stopping */
	HTTP_FAIL_TLS,                  /* the server's certificate was refused, or the CA file
	                                 * cannot be used: a retry fails the same way */
};

struct http_resp {
	long status;                    /* HTTP status; 0 when no response */
	enum http_fail fail;            /* set when http_do returned -1 */
	struct strbuf body;
	char *etag;                     /* ETag header, or NULL */
	char *content_type;
	char *retry_after;              /* Retry-After header, or NULL */
	char *amz_error;                /* x-amzn-ErrorType / x-amz-error-code header, or NULL */
	char *location;                 /* Location header (redirects are not followed), or NULL */
	int64_t last_modified_ms;       /* Last-Modified header (ms since the epoch), or 0 */
	double total_ms;
};

struct http;

/* Once, from main, before threads. */
void http_global_init(void);
struct http *http_new(void);
void http_free(struct http *h);

/* Perform a request. 0 when a response arrived (any status: look at rs->status); -1 with
 * *err on a transport failure (DNS, connection refused, timeout, TLS, too large). rs is
 * initialised by the call; free it with http_resp_free. */
int http_do(struct http *h, const struct http_req *rq, struct http_resp *rs, char **err);
void http_resp_free(struct http_resp *rs);

/* A request also aborts (HTTP_FAIL_ABORTED) when its thread's stop check asks
 * (tf_thread_stop_set in util.h): checked before it starts and about once a second while it
 * runs; with rq->abort_check, either one aborts. */

/* Is this worth retrying: a transport failure (status 0; not a body over the size cap, not
 * an abort, not a certificate refused), 408, 429, 5xx, or an AWS throttling error (ThrottlingException,
 * RequestLimitExceeded, ...) in rs. Retry loops ask this after failures too. */
int http_retryable(const struct http_resp *rs);
/* Did the server throttle the request (429, AWS Throttling, RequestLimitExceeded)? */
int http_throttled(const struct http_resp *rs);
/* Count the calling thread's throttled responses (http_throttled) on *counter from now on
 * (NULL: stop). The engine sets one per collector thread, for `watch --metrics`. */
void http_count_throttles(_Atomic uint64_t *counter);
/* When a response is not the API's answer at all, why, for messages (heap; NULL when it may
 * be): a redirect, named with its target (query secrets redacted) -- "HTTP 302 redirect to
 * https://portal.example/login (tfdrift does not follow redirects: a proxy, a captive portal
 * or a wrong endpoint?)" -- or an HTML page, "HTTP 200 with HTML, not JSON (a proxy or
 * captive portal?)". `want` names what the API sends ("JSON", "XML"). Neither is worth a
 * retry. */
char *http_not_api(const struct http_resp *rs, const char *want);
/* Backoff before attempt n (1-based) with "full jitter": a random delay in
 * [0, min(cap, base * 2^(n-1))), at least 1 ms. Retry-After (seconds) wins when larger. */
int64_t http_backoff_ms(unsigned attempt, int64_t base_ms, int64_t cap_ms, const char *retry_after);

/* ---- one request with retries: http_call ----
 * The loop every API client shares (the state backends, Cloud Logging; aws_call in
 * aws_creds.h adds SigV4 keys and the expired-token refresh on top): an attempt, then on a
 * transport failure worth it or a response the judge calls RETRY, a backoff
 * (http_backoff_ms: full jitter, Retry-After when larger) and another, up to `attempts` in
 * all. A transport failure no retry helps (a body over the cap, a certificate refused) and a
 * redirect or web page (http_not_api) end it at once; a stop (the sleep hook, or the thread's
 * stop check aborting http_do) ends it with -2. A REFRESH verdict (credentials that ran
 * out) sends the request again at once, once per call: not an attempt, no backoff, and not
 * in *retries (the judge counts it where its caller does). */
enum http_verdict {
	HTTP_DONE,                      /* hand this response to the caller */
	HTTP_RETRY,                     /* worth another attempt (*why says why) */
	HTTP_REFRESH,                   /* renew the credentials and send again (once) */
	HTTP_FAIL,                      /* *why is the error; no retry helps */
};

/* How an http_call ended (http_retry.end). */
enum http_end {
	HTTP_END_OK = 0,                /* 0: a response, in *rs */
	HTTP_END_PREPARE,               /* the prepare hook failed: *err is its message */
	HTTP_END_TRANSPORT,             /* a transport failure no retry helps: http_do's message */
	HTTP_END_NOT_API,               /* a redirect or a web page: http_not_api's message */
	HTTP_END_REFUSED,               /* the judge said HTTP_FAIL: its message */
	HTTP_END_EXHAUSTED,             /* every attempt failed: *err is the last reason */
	HTTP_END_STOPPED,               /* -2: stopping */
};

struct http_retry {
	/* policy */
	unsigned attempts;              /* in all; 0: 1 */
	int64_t base_ms, cap_ms;        /* backoff (http_backoff_ms) */
	int hand_over_last;             /* the last attempt's retryable response is handed over
	                                 * (0) instead of ending HTTP_END_EXHAUSTED */
	const char *want;               /* what the API sends ("JSON"): a non-retryable response
	                                 * that is a redirect or a web page ends HTTP_END_NOT_API;
	                                 * NULL: no such check */
	int bare_redirect_ok;           /* ... except a 3xx without a Location (S3's wrong region:
	                                 * the caller's to explain) */
	long judged_status;             /* ... and except this status (a 401 the judge refreshes) */
	/* hooks, each may be NULL; ctx is passed to them all */
	void *ctx;
	/* Wait ms before a retry; nonzero: stop. NULL: sleep (not interruptible). */
	int (*sleep)(void *ctx, int64_t ms);
	/* Before every attempt: set up rq (credentials, a token, a rate limit). 0 go; -1 with
	 * *err (HTTP_END_PREPARE); -2 stop. */
	int (*prepare)(void *ctx, struct http_req *rq, char **err);
	/* After every http_do, whatever it gave (clear keys, count bytes). */
	void (*after)(void *ctx, struct http_req *rq, const struct http_resp *rs);
	/* A response arrived (a transport failure never gets here): what to do. refreshed: a
	 * REFRESH was done already. *why (heap) for RETRY and FAIL; a RETRY without one is
	 * "HTTP <status>". NULL: HTTP_RETRY when http_retryable, else HTTP_DONE. */
	enum http_verdict (*judge)(void *ctx, struct http_resp *rs, int refreshed, char **why);
	/* A retry is about to wait (after attempt `attempt` failed because of why). */
	void (*on_retry)(void *ctx, const char *why, unsigned attempt);
	uint64_t *requests;             /* += 1 per http_do, when not NULL */
	uint64_t *retries;              /* += 1 per retry, when not NULL */
	/* out */
	enum http_end end;
	unsigned attempt;               /* attempts made */
};

/* Perform rq under rp. 0 with *rs (free it with http_resp_free); -1 with *err (rp->end says
 * which kind; *rs needs no freeing); -2 stopping (rp->end HTTP_END_STOPPED; *err set only
 * when http_do was aborted: its message). */
int http_call(struct http *h, struct http_req *rq, struct http_resp *rs, struct http_retry *rp,
    char **err);

/* RFC 3986 encoding (unreserved A-Za-z0-9-._~ kept, upper-case hex) of s; with keep_slash,
 * '/' is kept too (S3 key paths). Heap string. */
char *http_encode(const char *s, int keep_slash);
/* A query string from name/value pairs (values may be NULL: "name="), sorted by name then
 * value and encoded, as SigV4 on curl 7.88 needs it: "a=1&b=x%2Fy". Heap string ("" for none). */
char *http_query(const char *const *pairs, size_t npairs);

/* The URL as messages may show it: userinfo dropped, secret-looking query values (sig,
 * token, secret, password, credential, key) replaced by REDACTED. Heap string. */
char *http_redact_url(const char *url);
/* A secret URL as messages may show it: scheme://host[:port]/REDACTED (userinfo, path,
 * query and fragment dropped). Heap string. */
char *http_redact_secret_url(const char *url);

/* Test hook: TFDRIFT_HTTP_MAX_BODY (bytes) lowers every request's max_body, so tests of
 * oversized bodies need not send hundreds of megabytes. */

/* Trace: when TFDRIFT_TRACE names a file, every request is appended as one line: time,
 * method, URL (its query kept but secret-looking values redacted, userinfo dropped; only
 * scheme://host for a secret_url), status, bytes, ms. Headers, bodies and
 * credentials are never written. */
void http_trace_reopen(void);

#ifdef TFDRIFT_FUZZING
/* Fuzzing builds only (tests/fuzz/build.sh defines TFDRIFT_FUZZING): when set, http_do sends
 * nothing and asks this for the response: 0 with *resp, *len a raw HTTP response (a status
 * line, header lines, a blank line, the body; bytes that do not start with "HTTP/" are the
 * body of a 200), valid until the next call; -1 for a transport failure. The bytes go through
 * the header and body callbacks libcurl's would (with the max_body cap), and retry delays
 * (http_backoff_ms) shrink to 1 ms. */
extern int (*http_fuzz_transport)(const struct http_req *rq, const char **resp, size_t *len);
#endif

/* SigV4 by tfdrift instead of libcurl: 1 when libcurl is older than 7.86 (its signing leaves
 * headers out; see http.c) or TFDRIFT_TEST_OWN_SIGV4 is set (tests). */
int http_sigv4_own(void);
/* The Authorization value for rq (url, aws keys, aws_region, aws_service) sent as method
 * with these "Name: value" headers (all signed, with host from the URL and x-amz-date), at
 * amz_date ("20150830T123600Z"), the body's SHA-256 being payload_hex. NULL: bad URL. */
char *http_sigv4_authorization(const struct http_req *rq, const char *method,
    const char *const *headers, size_t nheaders, const char *amz_date,
    const char *payload_hex);

#endif
