/* aws_call: one signed AWS request with retries and one refresh of expired keys (see
 * aws_creds.h), on http_call (http.c). The keys live for one attempt: fetched by the prepare
 * hook, wiped by the after hook. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "http.h"
#include "util.h"

#define REFRESH_HINT " (refreshed once; the new keys are expired too)"

/* The hooks' context: the call and the caller's own hooks. */
struct call_ctx {
	struct aws_call *c;
	const struct http_retry *user;
	struct aws_keys_buf kb;
};

int
aws_expired_token(const struct http_resp *rs)
{
	const char *b = rs->body.buf != NULL ? rs->body.buf : "", *a = rs->amz_error;

	if (rs->status < 400)
		return 0;
	return strstr(b, "ExpiredToken") != NULL || strstr(b, "TokenRefreshRequired") != NULL ||
	    (a != NULL && (strstr(a, "ExpiredToken") != NULL ||
	    strstr(a, "TokenRefreshRequired") != NULL));
}

static int
call_sleep(void *ctx, int64_t ms)
{
	struct call_ctx *x = ctx;

	return x->user->sleep(x->user->ctx, ms);
}

static int
call_prepare(void *ctx, struct http_req *rq, char **err)
{
	struct call_ctx *x = ctx;
	char *e = NULL;
	int rc;

	if (x->user->prepare != NULL && (rc = x->user->prepare(x->user->ctx, rq, err)) != 0)
		return rc;
	aws_keys_buf_clear(&x->kb);
	memset(&x->kb, 0, sizeof x->kb);
	if (aws_creds_get(x->c->creds, &x->kb, &e) != 0) {
		/* The chain's own "no AWS credentials: tried ..." is not said twice. */
		tf_err(err, "%s%s", strncmp(e, "no AWS credentials", 18) == 0 ? "" :
		    "no AWS credentials: ", e);
		free(e);
		return -1;
	}
	snprintf(x->c->access_key_id, sizeof x->c->access_key_id, "%s",
	    x->kb.access_key_id != NULL ? x->kb.access_key_id : "?");
	rq->aws = &x->kb.keys;
	rq->aws_region = x->c->region;
	rq->aws_service = x->c->service;
	rq->ca_file = x->c->ca_file;
	return 0;
}

static void
call_after(void *ctx, struct http_req *rq, const struct http_resp *rs)
{
	struct call_ctx *x = ctx;

	aws_keys_buf_clear(&x->kb);
	memset(&x->kb, 0, sizeof x->kb);
	rq->aws = NULL;
	if (x->user->after != NULL)
		x->user->after(x->user->ctx, rq, rs);
}

static enum http_verdict
call_judge(void *ctx, struct http_resp *rs, int refreshed, char **why)
{
	struct call_ctx *x = ctx;
	enum http_verdict v;
	int expired = aws_expired_token(rs);

	if (expired && !refreshed) {
		/* Temporary keys ran out: resolve them again, once. */
		aws_creds_invalidate(x->c->creds);
		x->c->refreshed = 1;
		if (x->user->retries != NULL)
			(*x->user->retries)++;
		return HTTP_REFRESH;
	}
	if (x->user->judge != NULL)
		v = x->user->judge(x->user->ctx, rs, refreshed, why);
	else
		v = http_retryable(rs) ? HTTP_RETRY : HTTP_DONE;
	if (v == HTTP_FAIL && expired && *why != NULL && strstr(*why, REFRESH_HINT) == NULL) {
		char *w = xasprintf("%s" REFRESH_HINT, *why);

		free(*why);
		*why = w;
	}
	return v;
}

static void
call_on_retry(void *ctx, const char *why, unsigned attempt)
{
	struct call_ctx *x = ctx;

	x->user->on_retry(x->user->ctx, why, attempt);
}

int
aws_call(struct http *h, struct aws_call *c, struct http_req *rq, struct http_resp *rs,
    char **err)
{
	struct call_ctx x;
	struct http_retry rp = c->retry;
	int rc;

	memset(&x, 0, sizeof x);
	x.c = c;
	x.user = &c->retry;
	c->access_key_id[0] = '\0';
	c->refreshed = 0;
	rp.ctx = &x;
	rp.sleep = c->retry.sleep != NULL ? call_sleep : NULL;
	rp.prepare = call_prepare;
	rp.after = call_after;
	rp.judge = call_judge;
	rp.on_retry = c->retry.on_retry != NULL ? call_on_retry : NULL;
	rc = http_call(h, rq, rs, &rp, err);
	aws_keys_buf_clear(&x.kb);
	rq->aws = NULL;
	c->retry.end = rp.end;
	c->retry.attempt = rp.attempt;
	return rc;
}
