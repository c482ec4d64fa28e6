/* backend_s3: a state in S3 (s3://BUCKET/KEY[?options], backend.h), signed with the AWS
 * credential chain (aws_creds). Change detection: the ETag sent back in If-None-Match (304). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend_int.h"
#include "util.h"

struct s3_src {
	char *bucket, *key;             /* key: the resolved object key */
	char *region, *endpoint;        /* endpoint: the S3 base URL (aws_endpoint) */
	char *ca;                       /* aws_ca_bundle of the profile, or NULL */
	struct aws_creds *aws;
	int own_aws;
	char *url;
	/* change key */
	char *etag;
};

/* ---- pure helpers (exported for the unit tests) ---- */

char *
state_s3_key(const char *key, const char *workspace, const char *prefix)
{
	if (workspace == NULL || *workspace == '\0' || strcmp(workspace, "default") == 0)
		return xstrdup(key);
	if (prefix == NULL)
		prefix = "env:";
	if (*prefix == '\0')
		return xasprintf("%s/%s", workspace, key);
	return xasprintf("%s/%s/%s", prefix, workspace, key);
}

char *
state_s3_url(const char *bucket, const char *key, const char *base, int vhost)
{
	char *ek = http_encode(key, 1), *u;
	const char *host = strstr(base, "://");
	size_t n = strlen(base);

	while (n > 0 && base[n - 1] == '/')
		n--;
	/* A dotted bucket breaks the TLS wildcard: path-style on the regional host. */
	if (vhost && host != NULL && strchr(bucket, '.') == NULL)
		u = xasprintf("%.*s%s.%.*s/%s", (int)(host + 3 - base), base, bucket,
		    (int)(n - (size_t)(host + 3 - base)), host + 3, ek);
	else
		u = xasprintf("%.*s/%s/%s", (int)n, base, bucket, ek);
	free(ek);
	return u;
}

static int
open_s3(struct state_src *s, const char *spec, const struct state_src_opts *o, char **err)
{
	struct s3_src *pv = s->priv;
	struct specopt opts[] = { { "region", NULL }, { "workspace", NULL },
	    { "workspace_key_prefix", NULL }, { "endpoint", NULL }, { "profile", NULL } };
	const char *b = spec + 5, *slash, *q, *ws, *prefix, *c, *profile;
	const struct aws_partition *pt;
	char *key = NULL, *def, *fips, *e = NULL;
	int rc = -1, vhost;

	slash = b + strcspn(b, "/?");
	q = strchr(b, '?');
	if (slash == b)
		return tf_err(err, "%s: no bucket (expected s3://BUCKET/KEY)", spec);
	for (c = b; c < slash; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
			return tf_err(err, "%s: bad character '%c' in the bucket name", spec, *c);
	if (*slash != '/' || slash + 1 == (q ? q : slash + 1 + strlen(slash + 1)))
		return tf_err(err, "%s: no key (expected s3://BUCKET/KEY, e.g. "
		    "s3://my-state/prod/terraform.tfstate)", spec);
	if (backend_parse_opts(spec, q ? q + 1 : NULL, opts, TF_ARRLEN(opts), err) != 0)
		goto out;
	pv->bucket = xstrndup(b, (size_t)(slash - b));
	key = q ? xstrndup(slash + 1, (size_t)(q - slash - 1)) : xstrdup(slash + 1);
	ws = o != NULL && o->workspace != NULL ? o->workspace :
	    opts[1].value != NULL ? opts[1].value : "default";
	if (!backend_valid_workspace(ws)) {
		tf_err(err, "%s: bad workspace name '%s'", spec, ws);
		goto out;
	}
	prefix = o != NULL && o->workspace_key_prefix != NULL ? o->workspace_key_prefix :
	    opts[2].value != NULL ? opts[2].value : "env:";
	pv->key = state_s3_key(key, ws, prefix);
	pv->region = xstrdup(backend_pick(o ? o->region : NULL, opts[0].value,
	    backend_pick(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), "us-east-1")));
	c = backend_pick(o ? o->endpoint : NULL, opts[3].value, NULL);
	profile = backend_pick(o ? o->profile : NULL, opts[4].value,
	    o != NULL && o->aws != NULL ? aws_creds_profile(o->aws) : NULL);
	if ((pv->endpoint = aws_endpoint(profile, "S3", "s3", pv->region, c, &e)) == NULL ||
	    aws_ca_bundle(profile, &pv->ca, &e) != 0) {
		tf_err(err, "%s: %s", spec, e);
		free(e);
		goto out;
	}
	if (!tf_str_has_prefix(pv->endpoint, "http://") &&
	    !tf_str_has_prefix(pv->endpoint, "https://")) {
		tf_err(err, "%s: endpoint '%s' is not an http(s):// URL", spec, pv->endpoint);
		goto out;
	}
	/* AWS's own hosts are virtual-hosted; a custom endpoint (the setting, AWS_ENDPOINT_URL,
	 * the config file: unless it names AWS's host) is path-style. */
	pt = aws_partition(pv->region);
	def = xasprintf("https://s3.%s.%s", pv->region, pt->dns_suffix);
	fips = xasprintf("https://s3-fips.%s.%s", pv->region, pt->dns_suffix);
	vhost = c == NULL && (strcmp(pv->endpoint, def) == 0 || strcmp(pv->endpoint, fips) == 0);
	free(def);
	free(fips);
	if (o != NULL && o->aws != NULL)
		pv->aws = o->aws;
	else {
		struct aws_creds_opts co = { profile, pv->region };

		pv->aws = aws_creds_new(&co);
		pv->own_aws = 1;
	}
	pv->url = state_s3_url(pv->bucket, pv->key, pv->endpoint, vhost);
	s->location = xasprintf("s3://%s/%s", pv->bucket, pv->key);
	rc = 0;
out:
	free(key);
	backend_free_opts(opts, TF_ARRLEN(opts));
	return rc;
}

static char *
xml_tag(const char *body, const char *tag)
{
	char open[64], close[64];
	const char *a, *b;

	snprintf(open, sizeof open, "<%s>", tag);
	snprintf(close, sizeof close, "</%s>", tag);
	if (body == NULL || (a = strstr(body, open)) == NULL)
		return NULL;
	a += strlen(open);
	if ((b = strstr(a, close)) == NULL)
		return NULL;
	return backend_clean_msg(a, (size_t)(b - a));
}

static int
s3_error(struct state_src *s, const struct http_resp *rs, const char *akid, char **err)
{
	struct s3_src *pv = s->priv;
	char *code = xml_tag(rs->body.buf, "Code"), *msg = xml_tag(rs->body.buf, "Message");
	char *region = xml_tag(rs->body.buf, "Region");
	const char *c = code != NULL ? code : rs->amz_error;

	if (c == NULL && rs->status == 404)
		c = "NoSuchKey";
	if (c == NULL)
		c = "";
	if (strcmp(c, "NoSuchKey") == 0)
		tf_err(err, "no state at %s (NoSuchKey): no object with that key; check the key "
		    "and the workspace", s->location);
	else if (strcmp(c, "NoSuchBucket") == 0)
		tf_err(err, "no bucket s3://%s (NoSuchBucket): check the bucket name (reading %s)",
		    pv->bucket, s->location);
	else if (strcmp(c, "AccessDenied") == 0)
		tf_err(err, "access denied reading %s (AccessDenied): access key %s needs "
		    "s3:GetObject on it (and kms:Decrypt for SSE-KMS)", s->location, akid);
	else if (strcmp(c, "SignatureDoesNotMatch") == 0)
		tf_err(err, "%s: S3 refused the request signature (SignatureDoesNotMatch): check the "
		    "secret access key for access key %s (from %s) and the system clock",
		    s->location, akid, aws_creds_source(pv->aws));
	else if (strcmp(c, "InvalidAccessKeyId") == 0)
		tf_err(err, "%s: S3 does not know access key %s (InvalidAccessKeyId, from %s)",
		    s->location, akid, aws_creds_source(pv->aws));
	else if (strcmp(c, "ExpiredToken") == 0 || strcmp(c, "TokenRefreshRequired") == 0) {
		aws_creds_invalidate(pv->aws);
		tf_err(err, "%s: the session token expired (%s); new credentials are fetched on the "
		    "next poll", s->location, c);
	} else if (strcmp(c, "AuthorizationHeaderMalformed") == 0 ||
	    strcmp(c, "PermanentRedirect") == 0 || rs->status == 301)
		tf_err(err, "%s: the bucket is not in region %s (%s)%s%s%s", s->location, pv->region,
		    *c ? c : "301", region ? ": set ?region=" : "", region ? region : "",
		    region ? " in the spec" : "");
	else
		tf_err(err, "%s: HTTP %ld%s%s%s%s", s->location, rs->status, *c ? " " : "", c,
		    msg ? ": " : "", msg ? msg : "");
	free(code);
	free(msg);
	free(region);
	return -1;
}

static int
fetch_s3(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	struct s3_src *pv = s->priv;
	struct aws_call ac;
	struct http_req rq;
	struct http_resp rs;
	const char *hdrs[2] = { NULL, NULL };
	char *inm = NULL;
	int rc = -1;

	memset(&rq, 0, sizeof rq);
	rq.url = pv->url;
	rq.max_body = TF_MAX_STATE;
	if (pv->etag != NULL) {
		inm = xasprintf("If-None-Match: %s", pv->etag);
		hdrs[0] = inm;
		rq.headers = hdrs;
	}
	memset(&ac, 0, sizeof ac);
	ac.creds = pv->aws;
	ac.region = pv->region;
	ac.service = "s3";
	ac.ca_file = pv->ca;
	if (backend_aws_req(s, &ac, &rq, &rs, err) != 0)
		goto out;
	if (rs.status == 304 && pv->etag != NULL) {
		*unchanged = 1;
		backend_note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
	} else if (rs.status == 200 && pv->etag != NULL && rs.etag != NULL &&
	    strcmp(rs.etag, pv->etag) == 0) {
		/* A proxy or S3-alike that ignores If-None-Match: the ETag still says "same". */
		*unchanged = 1;
		backend_note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
	} else if (rs.status == 200) {
		if (rs.body.len == 0) {
			tf_err(err, "no state at %s (the object is empty)", s->location);
			goto out;
		}
		backend_set_str(&pv->etag, rs.etag);
		backend_take_body(&rs, buf, len);
		backend_note_ok(s, 1, pv->etag, *buf, *len, rs.last_modified_ms);
		rc = 0;
	} else
		s3_error(s, &rs, ac.access_key_id[0] != '\0' ? ac.access_key_id : "?", err);
out:
	http_resp_free(&rs);
	free(inm);
	return rc;
}

static void
forget_s3(struct state_src *s)
{
	struct s3_src *pv = s->priv;

	free(pv->etag);
	pv->etag = NULL;
}

static void
free_s3(struct state_src *s)
{
	struct s3_src *pv = s->priv;

	if (pv->own_aws)
		aws_creds_free(pv->aws);
	free(pv->bucket);
	free(pv->key);
	free(pv->region);
	free(pv->endpoint);
	free(pv->ca);
	free(pv->url);
	free(pv->etag);
}

static const char *const s3_schemes[] = { "s3://", NULL };

const struct backend_ops backend_s3_ops = {
	.name = "s3",
	.kind = STATE_S3,
	.schemes = s3_schemes,
	.priv_size = sizeof(struct s3_src),
	.open = open_s3,
	.fetch = fetch_s3,
	.forget = forget_s3,
	.free = free_s3,
};
