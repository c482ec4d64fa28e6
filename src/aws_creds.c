/* aws_creds: the credential chain and service endpoints. (First cut: fixed keys and the
 * environment; the rest of the chain is being added behind the same API.) */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "util.h"

struct aws_creds {
	pthread_mutex_t mu;
	int fixed;                      /* aws_creds_static */
	struct aws_keys_buf cur;        /* guarded by mu */
	char *source;
	char *profile, *region;
};

static void
wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

void
aws_keys_buf_clear(struct aws_keys_buf *b)
{
	wipe_free(b->access_key_id);
	wipe_free(b->secret_access_key);
	wipe_free(b->session_token);
	memset(b, 0, sizeof *b);
}

static void
buf_copy(struct aws_keys_buf *dst, const struct aws_keys_buf *src)
{
	memset(dst, 0, sizeof *dst);
	dst->access_key_id = xstrdup(src->access_key_id);
	dst->secret_access_key = xstrdup(src->secret_access_key);
	dst->session_token = xstrdup(src->session_token);
	dst->expires_ms = src->expires_ms;
	dst->keys.access_key_id = dst->access_key_id;
	dst->keys.secret_access_key = dst->secret_access_key;
	dst->keys.session_token = dst->session_token;
}

struct aws_creds *
aws_creds_new(const struct aws_creds_opts *o)
{
	struct aws_creds *c = xcalloc(1, sizeof *c);

	pthread_mutex_init(&c->mu, NULL);
	c->profile = xstrdup(o != NULL ? o->profile : NULL);
	c->region = xstrdup(o != NULL ? o->region : NULL);
	return c;
}

struct aws_creds *
aws_creds_static(const char *akid, const char *secret, const char *token)
{
	struct aws_creds *c = aws_creds_new(NULL);

	c->fixed = 1;
	c->cur.access_key_id = xstrdup(akid);
	c->cur.secret_access_key = xstrdup(secret);
	c->cur.session_token = xstrdup(token);
	c->source = xstrdup("static keys");
	return c;
}

void
aws_creds_free(struct aws_creds *c)
{
	if (c == NULL)
		return;
	aws_keys_buf_clear(&c->cur);
	free(c->source);
	free(c->profile);
	free(c->region);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

/* The environment's keys, or 0 when it has none. */
static int
from_env(struct aws_creds *c)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

	if (id == NULL || *id == '\0' || secret == NULL || *secret == '\0')
		return 0;
	if (token == NULL || *token == '\0')
		token = getenv("AWS_SECURITY_TOKEN");
	aws_keys_buf_clear(&c->cur);
	c->cur.access_key_id = xstrdup(id);
	c->cur.secret_access_key = xstrdup(secret);
	c->cur.session_token = token != NULL && *token != '\0' ? xstrdup(token) : NULL;
	free(c->source);
	c->source = xstrdup("environment");
	return 1;
}

int
aws_creds_get(struct aws_creds *c, struct aws_keys_buf *out, char **err)
{
	int rc = 0;

	pthread_mutex_lock(&c->mu);
	if (!c->fixed && c->cur.access_key_id == NULL && !from_env(c))
		rc = tf_err(err, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
	if (rc == 0)
		buf_copy(out, &c->cur);
	pthread_mutex_unlock(&c->mu);
	return rc;
}

void
aws_creds_invalidate(struct aws_creds *c)
{
	pthread_mutex_lock(&c->mu);
	if (!c->fixed)
		aws_keys_buf_clear(&c->cur);
	pthread_mutex_unlock(&c->mu);
}

const char *
aws_creds_source(struct aws_creds *c)
{
	return c->source != NULL ? c->source : "(not resolved yet)";
}

char *
aws_endpoint(const char *env_id, const char *host_prefix, const char *region,
    const char *configured)
{
	char *name, *v;
	const char *e;
	size_t n;

	if (configured != NULL && *configured != '\0')
		v = xstrdup(configured);
	else {
		name = xasprintf("AWS_ENDPOINT_URL_%s", env_id);
		e = getenv(name);
		free(name);
		if (e == NULL || *e == '\0')
			e = getenv("AWS_ENDPOINT_URL");
		if (e != NULL && *e != '\0')
			v = xstrdup(e);
		else
			v = xasprintf("https://%s.%s.amazonaws.com", host_prefix,
			    region != NULL ? region : "us-east-1");
	}
	n = strlen(v);
	while (n > 0 && v[n - 1] == '/')
		v[--n] = '\0';
	return v;
}
