/* backend: Terraform state from local files, S3, GCS, the HTTP backend and HCP Terraform,
 * downloaded only when it changed. See backend.h for the spec forms and the ownership rule. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/evp.h>

#include "backends/backend.h"
#include "backends/tfrc.h"
#include "compat.h"
#include "http.h"
#include "util.h"

#define GCS_BASE "https://storage.googleapis.com"
#define HCP_HOST "app.terraform.io"
#define DEFAULT_RETRIES 2
#define MSG_MAX 300     /* server-provided message text kept in an error */

struct state_src {
	enum state_kind kind;
	char *location;                 /* what messages and the Sources view name */
	/* local */
	char *path;
	/* S3 / GCS */
	char *bucket, *key;             /* key: the resolved object key / GCS object name */
	char *region, *endpoint;        /* endpoint: the S3 base URL (aws_endpoint) */
	char *ca;                       /* S3: aws_ca_bundle of the profile, or NULL */
	struct aws_creds *aws;
	int own_aws;
	struct token_source gcs_token;
	char *gcs_base;
	/* HTTP backend */
	char *url;
	/* HCP */
	char *host, *org, *ws, *hcp_base, *ws_id;
	long timeout_ms;
	unsigned retries;
	struct http *h;
	/* change keys (fetching thread only) */
	char *etag;                     /* S3, HTTP */
	char *gen;                      /* GCS generation */
	char md5[33];                   /* HTTP body */
	char *sv_id;                    /* HCP state version */
	int have_stat;
	struct timespec mtime;
	off_t size;
	int have_peek;
	uint64_t peek_serial;
	char *peek_lineage;
	/* what state_src_describe reports: guarded by mu */
	pthread_mutex_t mu;
	char *version, *lineage, *last_error;
	uint64_t serial;
	int64_t last_fetch_ms, last_change_ms;
	uint64_t fetches, downloads, unchanged, errors, bytes;
};

/* ---- small helpers ---- */

static void
set_str(char **slot, const char *v)
{
	char *n = xstrdup(v);

	free(*slot);
	*slot = n;
}

static void
wipe_free(char *s)
{
	if (s != NULL) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

/* Percent-decode n bytes of s (a query value); NULL on a bad escape. */
static char *
pct_decode(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int a, b;

			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			a = tf_hexval((unsigned char)s[i + 1]);
			b = tf_hexval((unsigned char)s[i + 2]);
			if (a < 0 || b < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(a * 16 + b);
			i += 2;
		} else
			*o++ = s[i] == '+' ? ' ' : s[i];
	}
	*o = '\0';
	return out;
}

/* The spec's ?a=1&b=2 options. */
struct specopt {
	const char *name;
	char *value;
};

static int
parse_opts(const char *spec, const char *q, struct specopt *opts, size_t nopts, char **err)
{
	const char *p = q, *amp, *eq;
	size_t i;

	while (p != NULL && *p != '\0') {
		amp = p + strcspn(p, "&");
		eq = memchr(p, '=', (size_t)(amp - p));
		if (eq == NULL)
			return tf_err(err, "%s: option '%.*s' needs a value (name=value)", spec,
			    (int)(amp - p), p);
		for (i = 0; i < nopts; i++)
			if (strlen(opts[i].name) == (size_t)(eq - p) &&
			    strncmp(opts[i].name, p, (size_t)(eq - p)) == 0)
				break;
		if (i == nopts) {
			struct strbuf known;
			size_t j;

			sb_init(&known);
			for (j = 0; j < nopts; j++)
				sb_addf(&known, "%s%s", j ? ", " : "", opts[j].name);
			tf_err(err, "%s: unknown option '%.*s' (known: %s)", spec, (int)(eq - p), p,
			    known.buf);
			sb_free(&known);
			return -1;
		}
		free(opts[i].value);
		opts[i].value = pct_decode(eq + 1, (size_t)(amp - eq - 1));
		if (opts[i].value == NULL)
			return tf_err(err, "%s: option %s: bad %%-escape", spec, opts[i].name);
		p = *amp ? amp + 1 : amp;
	}
	return 0;
}

static void
free_opts(struct specopt *opts, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(opts[i].value);
}

static const char *
pick(const char *a, const char *b, const char *c)
{
	if (a != NULL && *a != '\0')
		return a;
	if (b != NULL && *b != '\0')
		return b;
	return c;
}

static int
valid_workspace(const char *ws)
{
	return ws != NULL && *ws != '\0' && strchr(ws, '/') == NULL && strcmp(ws, ".") != 0 &&
	    strcmp(ws, "..") != 0;
}

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

char *
state_gcs_object(const char *prefix, const char *workspace)
{
	size_t n;

	if (workspace == NULL || *workspace == '\0')
		workspace = "default";
	if (prefix == NULL)
		prefix = "";
	while (*prefix == '/')
		prefix++;
	n = strlen(prefix);
	while (n > 0 && prefix[n - 1] == '/')
		n--;
	if (n == 0)
		return xasprintf("%s.tfstate", workspace);
	return xasprintf("%.*s/%s.tfstate", (int)n, prefix, workspace);
}

char *
state_hcp_token_env(const char *host)
{
	struct strbuf sb;
	const char *p;

	sb_init(&sb);
	sb_adds(&sb, "TF_TOKEN_");
	for (p = host; *p; p++) {
		if (*p == '.')
			sb_addc(&sb, '_');
		else if (*p == '-')
			sb_adds(&sb, "__");
		else
			sb_addc(&sb, *p);
	}
	return sb_detach(&sb);
}

/* JSON scanning for state_peek: skip one string starting at p (at the quote). */
static const char *
skip_string(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Skip one JSON value (balanced, strings aware). */
static const char *
skip_value(const char *p, const char *e)
{
	int depth = 0;

	p = skip_ws(p, e);
	if (p >= e)
		return NULL;
	if (*p == '"')
		return skip_string(p, e);
	if (*p != '{' && *p != '[') {
		while (p < e && *p != ',' && *p != '}' && *p != ']' && !isspace((unsigned char)*p))
			p++;
		return p;
	}
	for (; p < e; p++) {
		if (*p == '"') {
			p = skip_string(p, e);
			if (p == NULL)
				return NULL;
			p--;
		} else if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

int
state_peek(const char *buf, size_t len, uint64_t *serial, char **lineage)
{
	const char *p = buf, *e = buf + len, *k, *ke, *v;
	int got_serial = 0;

	*serial = 0;
	*lineage = NULL;
	p = skip_ws(p, e);
	if (p >= e || *p != '{')
		return -1;
	p++;
	for (;;) {
		p = skip_ws(p, e);
		if (p >= e || *p != '"')
			break;
		k = p + 1;
		if ((ke = skip_string(p, e)) == NULL)
			break;
		p = skip_ws(ke, e);
		if (p >= e || *p != ':')
			break;
		v = skip_ws(p + 1, e);
		if ((size_t)(ke - 1 - k) == 6 && strncmp(k, "serial", 6) == 0) {
			uint64_t n = 0;
			const char *d = v;

			while (d < e && *d >= '0' && *d <= '9')
				n = n * 10 + (uint64_t)(*d++ - '0');
			if (d == v)
				break;
			*serial = n;
			got_serial = 1;
		} else if ((size_t)(ke - 1 - k) == 7 && strncmp(k, "lineage", 7) == 0 && v < e &&
		    *v == '"') {
			const char *q = skip_string(v, e);

			if (q == NULL)
				break;
			free(*lineage);
			*lineage = xstrndup(v + 1, (size_t)(q - v - 2));
		}
		if (got_serial && *lineage != NULL)
			return 0;
		if ((p = skip_value(v, e)) == NULL)
			break;
		p = skip_ws(p, e);
		if (p >= e || *p != ',')
			break;
		p++;
	}
	return got_serial && *lineage != NULL ? 0 : -1;
}

/* ---- construction ---- */

static struct state_src *
src_alloc(enum state_kind kind, const struct state_src_opts *o)
{
	struct state_src *s = xcalloc(1, sizeof *s);

	s->kind = kind;
	pthread_mutex_init(&s->mu, NULL);
	s->timeout_ms = o != NULL ? o->timeout_ms : 0;
	s->retries = o != NULL && o->retries ? o->retries : DEFAULT_RETRIES;
	return s;
}

static int
new_local(struct state_src *s, const char *spec, char **err)
{
	const char *p = spec;

	if (tf_str_has_prefix(spec, "file://")) {
		p = spec + 7;
		if (*p != '/')
			return tf_err(err, "%s: a file:// spec needs an absolute path (file:///path)", spec);
	}
	if (*p == '\0')
		return tf_err(err, "empty state path");
	s->path = xstrdup(p);
	s->location = xstrdup(p);
	return 0;
}

static int
new_s3(struct state_src *s, const char *spec, const struct state_src_opts *o, char **err)
{
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
	if (parse_opts(spec, q ? q + 1 : NULL, opts, TF_ARRLEN(opts), err) != 0)
		goto out;
	s->bucket = xstrndup(b, (size_t)(slash - b));
	key = q ? xstrndup(slash + 1, (size_t)(q - slash - 1)) : xstrdup(slash + 1);
	ws = o != NULL && o->workspace != NULL ? o->workspace :
	    opts[1].value != NULL ? opts[1].value : "default";
	if (!valid_workspace(ws)) {
		tf_err(err, "%s: bad workspace name '%s'", spec, ws);
		goto out;
	}
	prefix = o != NULL && o->workspace_key_prefix != NULL ? o->workspace_key_prefix :
	    opts[2].value != NULL ? opts[2].value : "env:";
	s->key = state_s3_key(key, ws, prefix);
	s->region = xstrdup(pick(o ? o->region : NULL, opts[0].value,
	    pick(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), "us-east-1")));
	c = pick(o ? o->endpoint : NULL, opts[3].value, NULL);
	profile = pick(o ? o->profile : NULL, opts[4].value,
	    o != NULL && o->aws != NULL ? aws_creds_profile(o->aws) : NULL);
	if ((s->endpoint = aws_endpoint(profile, "S3", "s3", s->region, c, &e)) == NULL ||
	    aws_ca_bundle(profile, &s->ca, &e) != 0) {
		tf_err(err, "%s: %s", spec, e);
		free(e);
		goto out;
	}
	if (!tf_str_has_prefix(s->endpoint, "http://") &&
	    !tf_str_has_prefix(s->endpoint, "https://")) {
		tf_err(err, "%s: endpoint '%s' is not an http(s):// URL", spec, s->endpoint);
		goto out;
	}
	/* AWS's own hosts are virtual-hosted; a custom endpoint (the setting, AWS_ENDPOINT_URL,
	 * the config file: unless it names AWS's host) is path-style. */
	pt = aws_partition(s->region);
	def = xasprintf("https://s3.%s.%s", s->region, pt->dns_suffix);
	fips = xasprintf("https://s3-fips.%s.%s", s->region, pt->dns_suffix);
	vhost = c == NULL && (strcmp(s->endpoint, def) == 0 || strcmp(s->endpoint, fips) == 0);
	free(def);
	free(fips);
	if (o != NULL && o->aws != NULL)
		s->aws = o->aws;
	else {
		struct aws_creds_opts co = { profile, s->region };

		s->aws = aws_creds_new(&co);
		s->own_aws = 1;
	}
	s->url = state_s3_url(s->bucket, s->key, s->endpoint, vhost);
	s->location = xasprintf("s3://%s/%s", s->bucket, s->key);
	rc = 0;
out:
	free(key);
	free_opts(opts, TF_ARRLEN(opts));
	return rc;
}

static int
new_gcs(struct state_src *s, const char *spec, const struct state_src_opts *o, char **err)
{
	struct specopt opts[] = { { "workspace", NULL } };
	const char *b = spec + 5, *slash, *q, *ws, *c;
	char *prefix = NULL;
	int rc = -1;

	slash = b + strcspn(b, "/?");
	q = strchr(b, '?');
	if (slash == b)
		return tf_err(err, "%s: no bucket (expected gs://BUCKET/PREFIX)", spec);
	for (c = b; c < slash; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '-' && *c != '_')
			return tf_err(err, "%s: bad character '%c' in the bucket name", spec, *c);
	if (parse_opts(spec, q ? q + 1 : NULL, opts, TF_ARRLEN(opts), err) != 0)
		goto out;
	ws = o != NULL && o->workspace != NULL ? o->workspace :
	    opts[0].value != NULL ? opts[0].value : "default";
	if (!valid_workspace(ws)) {
		tf_err(err, "%s: bad workspace name '%s'", spec, ws);
		goto out;
	}
	s->bucket = xstrndup(b, (size_t)(slash - b));
	if (*slash == '/')
		prefix = q ? xstrndup(slash + 1, (size_t)(q - slash - 1)) : xstrdup(slash + 1);
	s->key = state_gcs_object(prefix, ws);
	if (tf_str_has_suffix(prefix ? prefix : "", ".tfstate")) {
		tf_err(err, "%s: a gs:// spec names the backend's prefix, not the object "
		    "(gs://BUCKET/PREFIX reads PREFIX/WORKSPACE.tfstate)", spec);
		goto out;
	}
	if (o != NULL)
		s->gcs_token = o->gcs_token;
	s->gcs_base = xstrdup(pick(o ? o->gcs_base_url : NULL, NULL, GCS_BASE));
	s->location = xasprintf("gs://%s/%s", s->bucket, s->key);
	rc = 0;
out:
	free(prefix);
	free_opts(opts, TF_ARRLEN(opts));
	return rc;
}

static int
new_http(struct state_src *s, const char *spec, char **err)
{
	const char *h = strstr(spec, "://") + 3;
	size_t n = strcspn(h, "/?#");

	if (n == 0)
		return tf_err(err, "%s: no host in the HTTP backend address", spec);
	if (memchr(h, '@', n) != NULL)
		return tf_err(err, "HTTP backend address: credentials in the URL are not accepted; "
		    "set TF_HTTP_USERNAME and TF_HTTP_PASSWORD instead");
	s->url = xstrdup(spec);
	s->location = http_redact_url(spec);
	return 0;
}

static int
seg_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
			return 0;
	return 1;
}

static int
new_hcp(struct state_src *s, const char *spec, const struct state_src_opts *o, int tfe,
    char **err)
{
	const char *p = spec + 6, *seg[3];
	size_t len[3], want = tfe ? 3 : 2, i = 0;

	while (i < 3) {
		seg[i] = p;
		len[i] = strcspn(p, "/");
		i++;
		p += len[i - 1];
		if (*p != '/')
			break;
		p++;
	}
	if (i != want || *p != '\0')
		return tf_err(err, "%s: expected %s", spec, tfe ? "tfe://HOST/ORGANIZATION/WORKSPACE" :
		    "tfc://ORGANIZATION/WORKSPACE");
	for (i = 0; i < want; i++)
		if (!seg_ok(seg[i], len[i]))
			return tf_err(err, "%s: empty or bad %s name", spec,
			    i == want - 1 ? "workspace" : i == want - 2 ? "organization" : "host");
	s->host = tfe ? xstrndup(seg[0], len[0]) : xstrdup(HCP_HOST);
	s->org = xstrndup(seg[want - 2], len[want - 2]);
	s->ws = xstrndup(seg[want - 1], len[want - 1]);
	if (o != NULL && o->hcp_base_url != NULL && *o->hcp_base_url != '\0')
		s->hcp_base = xstrdup(o->hcp_base_url);
	else
		s->hcp_base = xasprintf("https://%s", s->host);
	{
		size_t n = strlen(s->hcp_base);

		while (n > 0 && s->hcp_base[n - 1] == '/')
			s->hcp_base[--n] = '\0';
	}
	s->location = tfe ? xasprintf("tfe://%s/%s/%s", s->host, s->org, s->ws) :
	    xasprintf("tfc://%s/%s", s->org, s->ws);
	return 0;
}

struct state_src *
state_src_new(const char *spec, const struct state_src_opts *o, char **err)
{
	struct state_src *s;
	int rc;

	if (spec == NULL || *spec == '\0') {
		tf_err(err, "empty state source");
		return NULL;
	}
	if (tf_str_has_prefix(spec, "s3://")) {
		s = src_alloc(STATE_S3, o);
		rc = new_s3(s, spec, o, err);
	} else if (tf_str_has_prefix(spec, "gs://")) {
		s = src_alloc(STATE_GCS, o);
		rc = new_gcs(s, spec, o, err);
	} else if (tf_str_has_prefix(spec, "http://") || tf_str_has_prefix(spec, "https://")) {
		s = src_alloc(STATE_HTTP, o);
		rc = new_http(s, spec, err);
	} else if (tf_str_has_prefix(spec, "tfc://") || tf_str_has_prefix(spec, "tfe://")) {
		s = src_alloc(STATE_HCP, o);
		rc = new_hcp(s, spec, o, spec[2] == 'e', err);
	} else if (strstr(spec, "://") != NULL && !tf_str_has_prefix(spec, "file://")) {
		tf_err(err, "%.*s: unknown state source (use a path, s3://, gs://, http(s)://, "
		    "tfc:// or tfe://)", (int)(strstr(spec, "://") - spec + 3), spec);
		return NULL;
	} else {
		s = src_alloc(STATE_LOCAL, o);
		rc = new_local(s, spec, err);
	}
	if (rc != 0) {
		state_src_free(s);
		return NULL;
	}
	return s;
}

void
state_src_free(struct state_src *s)
{
	if (s == NULL)
		return;
	if (s->own_aws)
		aws_creds_free(s->aws);
	http_free(s->h);
	free(s->location);
	free(s->path);
	free(s->bucket);
	free(s->key);
	free(s->region);
	free(s->endpoint);
	free(s->ca);
	free(s->gcs_base);
	free(s->url);
	free(s->host);
	free(s->org);
	free(s->ws);
	free(s->hcp_base);
	free(s->ws_id);
	free(s->etag);
	free(s->gen);
	free(s->sv_id);
	free(s->peek_lineage);
	free(s->version);
	free(s->lineage);
	free(s->last_error);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

enum state_kind
state_src_kind(const struct state_src *s)
{
	return s->kind;
}

/* ---- bookkeeping for describe ---- */

static const char *
kind_name(enum state_kind k)
{
	switch (k) {
	case STATE_LOCAL: return "local";
	case STATE_S3: return "s3";
	case STATE_GCS: return "gcs";
	case STATE_HTTP: return "http";
	case STATE_HCP: return "hcp";
	}
	return "?";
}

static void
note_bytes(struct state_src *s, size_t n)
{
	pthread_mutex_lock(&s->mu);
	s->bytes += n;
	pthread_mutex_unlock(&s->mu);
}

/* After a successful fetch: version is the new change key (NULL: keep). changed_ms is when
 * the state itself last changed, as the backend tells it (a file's mtime, Last-Modified, GCS
 * `updated`, HCP `created-at`); 0 when it does not, and then the fetch that saw the change
 * stands in. */
static void
note_ok(struct state_src *s, int changed, const char *version, const char *buf, size_t len,
    int64_t changed_ms)
{
	uint64_t serial = 0;
	char *lineage = NULL;

	if (changed)
		state_peek(buf, len, &serial, &lineage);
	pthread_mutex_lock(&s->mu);
	s->fetches++;
	s->last_fetch_ms = tf_now_ms();
	free(s->last_error);
	s->last_error = NULL;
	if (version != NULL)
		set_str(&s->version, version);
	if (changed) {
		s->downloads++;
		/* Never after the fetch that saw it: a clock ahead of ours would say "in 5m". */
		s->last_change_ms = changed_ms > 0 && changed_ms < s->last_fetch_ms ? changed_ms :
		    s->last_fetch_ms;
		s->serial = serial;
		free(s->lineage);
		s->lineage = lineage;
	} else
		s->unchanged++;
	pthread_mutex_unlock(&s->mu);
}

static int
note_err(struct state_src *s, char **err)
{
	pthread_mutex_lock(&s->mu);
	s->fetches++;
	s->errors++;
	s->last_fetch_ms = tf_now_ms();
	set_str(&s->last_error, err != NULL && *err != NULL ? *err : "failed");
	pthread_mutex_unlock(&s->mu);
	return -1;
}

void
state_src_reject(struct state_src *s, const char *why)
{
	/* Forget every change key: the next fetch downloads the whole state again. */
	free(s->etag);
	free(s->gen);
	free(s->sv_id);
	s->etag = s->gen = s->sv_id = NULL;
	s->md5[0] = '\0';
	s->have_stat = 0;
	s->have_peek = 0;
	pthread_mutex_lock(&s->mu);
	set_str(&s->last_error, why != NULL ? why : "the state was rejected");
	s->errors++;
	pthread_mutex_unlock(&s->mu);
}

void
state_src_describe(struct state_src *s, struct state_src_info *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind_name(s->kind);
	pthread_mutex_lock(&s->mu);
	out->location = xstrdup(s->location);
	out->version = xstrdup(s->version);
	out->serial = s->serial;
	out->lineage = xstrdup(s->lineage);
	out->last_fetch_ms = s->last_fetch_ms;
	out->last_change_ms = s->last_change_ms;
	out->last_error = xstrdup(s->last_error);
	out->fetches = s->fetches;
	out->downloads = s->downloads;
	out->unchanged = s->unchanged;
	out->errors = s->errors;
	out->bytes = s->bytes;
	pthread_mutex_unlock(&s->mu);
}

void
state_src_info_clear(struct state_src_info *in)
{
	free(in->location);
	free(in->version);
	free(in->lineage);
	free(in->last_error);
	memset(in, 0, sizeof *in);
}

/* ---- transport ---- */

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* http_do with a few quick retries on transport errors, 429 and 5xx (not on a body over the
 * size cap or an abort: http_retryable). A redirect that names its target, or a web page, is
 * an error that says so (S3's 301 without a Location, the wrong region, is its caller's). */
static int
do_req(struct state_src *s, struct http_req *rq, struct http_resp *rs, char **err)
{
	unsigned attempt;
	char *nw;
	int rc;

	if (s->h == NULL)
		s->h = http_new();
	rq->timeout_ms = s->timeout_ms;
	for (attempt = 1;; attempt++) {
		rc = http_do(s->h, rq, rs, err);
		note_bytes(s, rs->body.len);
		if (attempt > s->retries || !http_retryable(rs))
			break;
		sleep_ms(http_backoff_ms(attempt, 100, 2000, rs->retry_after));
		http_resp_free(rs);
	}
	if (rc != 0 && err != NULL && *err != NULL) {
		/* http.c names the URL (for GCS and HCP an API path); a reader knows the state by
		 * its own name. */
		char *e = *err;

		*err = xasprintf("%s: %s", s->location, e);
		free(e);
	}
	if (rc == 0 && !http_retryable(rs) && (rs->location != NULL || rs->status < 300 ||
	    rs->status >= 400) && (nw = http_not_api(rs, "JSON")) != NULL) {
		tf_err(err, "%s: %s", s->location, nw);
		free(nw);
		return -1;
	}
	return rc;
}

/* Hand a response body over to the caller without copying it. */
static void
take_body(struct http_resp *rs, char **buf, size_t *len)
{
	*len = rs->body.len;
	*buf = sb_detach(&rs->body);
	if (*buf == NULL)
		*buf = xstrdup("");
}

/* A short, printable copy of a server-provided message. */
static char *
clean_msg(const char *s, size_t n)
{
	char *o = xmalloc(n + 1);
	size_t i;

	if (n > MSG_MAX)
		n = MSG_MAX;
	for (i = 0; i < n; i++)
		o[i] = isprint((unsigned char)s[i]) ? s[i] : ' ';
	o[n] = '\0';
	return o;
}

/* The text of <tag>...</tag> in an XML body, or NULL. */
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
	return clean_msg(a, (size_t)(b - a));
}

/* ---- local files ---- */

static int
fetch_local(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	struct stat st;
	struct timespec mt;
	uint64_t serial;
	char *lineage = NULL, *b = NULL;
	size_t n;

	if (stat(s->path, &st) != 0) {
		if (errno == ENOENT)
			return tf_err(err, "no state at %s (no such file): check the path, or run "
			    "terraform in that directory first", s->path);
		return tf_err(err, "%s: %s", s->path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode))
		return tf_err(err, "%s: not a regular file", s->path);
	mt = compat_stat_mtime(&st);
	if (s->have_stat && st.st_size == s->size && mt.tv_sec == s->mtime.tv_sec &&
	    mt.tv_nsec == s->mtime.tv_nsec) {
		*unchanged = 1;
		note_ok(s, 0, NULL, NULL, 0, 0);
		return 0;
	}
	if (tf_read_file(s->path, TF_FILE_STATE, &b, &n, err) != 0)
		return -1;
	note_bytes(s, n);
	if (n == 0) {
		free(b);
		return tf_err(err, "no state at %s (empty file)", s->path);
	}
	s->have_stat = 1;
	s->size = st.st_size;
	s->mtime = mt;
	/* Rewritten with the same (lineage, serial): the same state, as Terraform sees it. */
	if (state_peek(b, n, &serial, &lineage) == 0) {
		if (s->have_peek && serial == s->peek_serial && s->peek_lineage != NULL &&
		    strcmp(lineage, s->peek_lineage) == 0) {
			free(lineage);
			free(b);
			*unchanged = 1;
			note_ok(s, 0, NULL, NULL, 0, 0);
			return 0;
		}
		s->have_peek = 1;
		s->peek_serial = serial;
		free(s->peek_lineage);
		s->peek_lineage = lineage;
	} else
		s->have_peek = 0;
	{
		char v[64];

		snprintf(v, sizeof v, "mtime %lld size %lld", (long long)mt.tv_sec,
		    (long long)st.st_size);
		note_ok(s, 1, v, b, n, (int64_t)mt.tv_sec * 1000 + mt.tv_nsec / 1000000);
	}
	*buf = b;
	*len = n;
	return 0;
}

/* ---- S3 ---- */

static int
s3_error(struct state_src *s, const struct http_resp *rs, const char *akid, char **err)
{
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
		    s->bucket, s->location);
	else if (strcmp(c, "AccessDenied") == 0)
		tf_err(err, "access denied reading %s (AccessDenied): access key %s needs "
		    "s3:GetObject on it (and kms:Decrypt for SSE-KMS)", s->location, akid);
	else if (strcmp(c, "SignatureDoesNotMatch") == 0)
		tf_err(err, "%s: S3 refused the request signature (SignatureDoesNotMatch): check the "
		    "secret access key for access key %s (from %s) and the system clock",
		    s->location, akid, aws_creds_source(s->aws));
	else if (strcmp(c, "InvalidAccessKeyId") == 0)
		tf_err(err, "%s: S3 does not know access key %s (InvalidAccessKeyId, from %s)",
		    s->location, akid, aws_creds_source(s->aws));
	else if (strcmp(c, "ExpiredToken") == 0 || strcmp(c, "TokenRefreshRequired") == 0) {
		aws_creds_invalidate(s->aws);
		tf_err(err, "%s: the session token expired (%s); new credentials are fetched on the "
		    "next poll", s->location, c);
	} else if (strcmp(c, "AuthorizationHeaderMalformed") == 0 ||
	    strcmp(c, "PermanentRedirect") == 0 || rs->status == 301)
		tf_err(err, "%s: the bucket is not in region %s (%s)%s%s%s", s->location, s->region,
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
	struct aws_keys_buf kb;
	struct http_req rq;
	struct http_resp rs;
	const char *hdrs[2] = { NULL, NULL };
	char *inm = NULL, *why = NULL;
	int rc = -1;

	memset(&kb, 0, sizeof kb);
	if (aws_creds_get(s->aws, &kb, &why) != 0) {
		tf_err(err, "%s: %s", s->location, why);
		free(why);
		return -1;
	}
	memset(&rq, 0, sizeof rq);
	rq.url = s->url;
	rq.max_body = TF_MAX_STATE;
	rq.aws = &kb.keys;
	rq.aws_region = s->region;
	rq.aws_service = "s3";
	rq.ca_file = s->ca;
	if (s->etag != NULL) {
		inm = xasprintf("If-None-Match: %s", s->etag);
		hdrs[0] = inm;
		rq.headers = hdrs;
	}
	if (do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status == 304 && s->etag != NULL) {
		*unchanged = 1;
		note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
	} else if (rs.status == 200 && s->etag != NULL && rs.etag != NULL &&
	    strcmp(rs.etag, s->etag) == 0) {
		/* A proxy or S3-alike that ignores If-None-Match: the ETag still says "same". */
		*unchanged = 1;
		note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
	} else if (rs.status == 200) {
		if (rs.body.len == 0) {
			tf_err(err, "no state at %s (the object is empty)", s->location);
			goto out;
		}
		set_str(&s->etag, rs.etag);
		take_body(&rs, buf, len);
		note_ok(s, 1, s->etag, *buf, *len, rs.last_modified_ms);
		rc = 0;
	} else
		s3_error(s, &rs, kb.access_key_id ? kb.access_key_id : "?", err);
out:
	http_resp_free(&rs);
	aws_keys_buf_clear(&kb);
	free(inm);
	return rc;
}

/* ---- GCS ---- */

/* "error": {"code": 403, "message": "..."} of a Google API error body, or NULL. */
static char *
google_msg(const struct http_resp *rs)
{
	json_object *j, *e, *m;
	char *out = NULL;

	if (rs->body.len == 0 || (j = json_tokener_parse(rs->body.buf)) == NULL)
		return NULL;
	/* "message": null has no text (json_object_get_string gives NULL). */
	if (json_object_object_get_ex(j, "error", &e) && json_object_object_get_ex(e, "message", &m) &&
	    json_object_get_string(m) != NULL)
		out = clean_msg(json_object_get_string(m), strlen(json_object_get_string(m)));
	json_object_put(j);
	return out;
}

static int
gcs_error(struct state_src *s, const struct http_resp *rs, char **err)
{
	char *m = google_msg(rs);

	if (rs->status == 404)
		tf_err(err, "no state at %s (404): no such bucket or object; check the bucket, prefix "
		    "and workspace", s->location);
	else if (rs->status == 401 || rs->status == 403)
		tf_err(err, "%s: GCS refused the token (%ld)%s%s: it needs storage.objects.get "
		    "(scope devstorage.read_only)", s->location, rs->status, m ? ": " : "",
		    m ? m : "");
	else
		tf_err(err, "%s: HTTP %ld%s%s", s->location, rs->status, m ? ": " : "", m ? m : "");
	free(m);
	return -1;
}

static int
fetch_gcs(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	struct http_req rq;
	struct http_resp rs;
	json_object *j = NULL, *g, *up;
	char *tok = NULL, *why = NULL, *eo, *meta, *media = NULL, *gen = NULL, *q;
	const char *qp[4];
	int64_t updated = 0;
	int rc = -1;

	if (s->gcs_token.get == NULL)
		return tf_err(err, "%s: no GCS credentials configured", s->location);
	if (s->gcs_token.get(s->gcs_token.ctx, &tok, &why) != 0) {
		tf_err(err, "%s: no GCS token: %s", s->location, why ? why : "unknown error");
		free(why);
		return -1;
	}
	eo = http_encode(s->key, 0);
	meta = xasprintf("%s/storage/v1/b/%s/o/%s", s->gcs_base, s->bucket, eo);
	memset(&rq, 0, sizeof rq);
	rq.url = meta;
	rq.bearer = tok;
	if (do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status != 200) {
		gcs_error(s, &rs, err);
		goto out;
	}
	/* GCS writes the generation as a string; null or a container is no generation (a NULL
	 * key would be compared with the last one). */
	if ((j = json_tokener_parse(rs.body.buf)) == NULL ||
	    !json_object_object_get_ex(j, "generation", &g) ||
	    !(json_object_is_type(g, json_type_string) || json_object_is_type(g, json_type_int))) {
		tf_err(err, "%s: object metadata without a generation", s->location);
		goto out;
	}
	gen = xstrdup(json_object_get_string(g));
	/* When this generation was written: the state's change time. */
	if (!json_object_object_get_ex(j, "updated", &up) ||
	    tf_parse_time(json_object_get_string(up), &updated) != 0)
		updated = 0;
	http_resp_free(&rs);
	if (s->gen != NULL && strcmp(gen, s->gen) == 0) {
		*unchanged = 1;
		note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
		goto out;
	}
	/* Download exactly the generation just seen, so the key matches the body. */
	qp[0] = "alt";
	qp[1] = "media";
	qp[2] = "generation";
	qp[3] = gen;
	q = http_query(qp, 2);
	media = xasprintf("%s?%s", meta, q);
	free(q);
	rq.url = media;
	rq.max_body = TF_MAX_STATE;
	if (do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status == 404) {
		tf_err(err, "%s: generation %s was replaced during the download; the next poll "
		    "reads the new one", s->location, gen);
		goto out;
	}
	if (rs.status != 200) {
		gcs_error(s, &rs, err);
		goto out;
	}
	if (rs.body.len == 0) {
		tf_err(err, "no state at %s (the object is empty)", s->location);
		goto out;
	}
	set_str(&s->gen, gen);
	take_body(&rs, buf, len);
	note_ok(s, 1, gen, *buf, *len, updated);
	rc = 0;
out:
	if (j != NULL)
		json_object_put(j);
	http_resp_free(&rs);
	wipe_free(tok);
	free(eo);
	free(meta);
	free(media);
	free(gen);
	return rc;
}

/* ---- Terraform's HTTP backend ---- */

static void
md5_hex(const char *p, size_t n, char out[33])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dn = 0, i;

	EVP_Digest(p, n, d, &dn, EVP_md5(), NULL);
	for (i = 0; i < dn && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
	out[32] = '\0';
}

static int
fetch_http(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	const char *user = getenv("TF_HTTP_USERNAME"), *pass = getenv("TF_HTTP_PASSWORD");
	const char *hdrs[2] = { NULL, NULL };
	struct http_req rq;
	struct http_resp rs;
	char *inm = NULL, md5[33];
	int rc = -1;

	memset(&rq, 0, sizeof rq);
	rq.url = s->url;
	rq.max_body = TF_MAX_STATE;
	if (user != NULL && *user != '\0') {
		rq.basic_user = user;
		rq.basic_pass = pass != NULL ? pass : "";
	}
	if (s->etag != NULL) {
		inm = xasprintf("If-None-Match: %s", s->etag);
		hdrs[0] = inm;
		rq.headers = hdrs;
	}
	if (do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status == 304 && s->etag != NULL) {
		*unchanged = 1;
		note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
	} else if (rs.status == 200 && rs.body.len > 0) {
		md5_hex(rs.body.buf, rs.body.len, md5);
		set_str(&s->etag, rs.etag);
		if (s->md5[0] != '\0' && strcmp(md5, s->md5) == 0) {
			*unchanged = 1;
			note_ok(s, 0, NULL, NULL, 0, 0);
		} else {
			memcpy(s->md5, md5, sizeof md5);
			take_body(&rs, buf, len);
			note_ok(s, 1, rs.etag ? rs.etag : md5, *buf, *len, rs.last_modified_ms);
		}
		rc = 0;
	} else if (rs.status == 200 || rs.status == 204 || rs.status == 404)
		tf_err(err, "no state at %s (%ld%s)", s->location, rs.status,
		    rs.status == 200 ? ", empty body" : "");
	else if (rs.status == 401 || rs.status == 403)
		tf_err(err, "%s: the HTTP backend refused %s (%ld): %s", s->location,
		    rq.basic_user ? "the credentials" : "an anonymous request", rs.status,
		    rq.basic_user ? "check TF_HTTP_USERNAME and TF_HTTP_PASSWORD" :
		    "set TF_HTTP_USERNAME and TF_HTTP_PASSWORD");
	else
		tf_err(err, "%s: HTTP %ld from the HTTP backend", s->location, rs.status);
out:
	http_resp_free(&rs);
	free(inm);
	return rc;
}

/* ---- HCP Terraform / Terraform Enterprise ---- */

/* credentials.<host>.token from a JSON CLI config; 0 found, 1 not there, -1 bad file. */
static int
token_from_json(const char *path, const char *host, char **tok, char **err)
{
	json_object *j, *c, *h, *t;
	char *buf = NULL;
	size_t n;
	int rc = 1;

	if (tf_read_file(path, TF_FILE_CREDENTIALS, &buf, &n, err) != 0)
		return -1;
	j = json_tokener_parse(buf);
	free(buf);
	if (j == NULL)
		return tf_err(err, "%s: not valid JSON (expected {\"credentials\": {\"%s\": "
		    "{\"token\": ...}}})", path, host);
	if (json_object_object_get_ex(j, "credentials", &c) &&
	    json_object_object_get_ex(c, host, &h) && json_object_object_get_ex(h, "token", &t) &&
	    json_object_is_type(t, json_type_string) && json_object_get_string_len(t) > 0) {
		*tok = xstrdup(json_object_get_string(t));
		rc = 0;
	}
	json_object_put(j);
	return rc;
}

/* `credentials "host" { token = "..." }` from an HCL CLI config (tfrc.c: comments, quoting,
 * other blocks; a malformed file is an error with its line and column). */
static int
token_from_hcl(const char *path, const char *host, char **tok, char **err)
{
	char *buf = NULL;
	size_t n;
	int rc;

	if (tf_read_file(path, TF_FILE_CREDENTIALS, &buf, &n, err) != 0)
		return -1;
	rc = tfrc_token(path, buf, n, host, tok, err);
	memset(buf, 0, n);
	free(buf);
	return rc;
}

/* The API token for host, Terraform's order: TF_TOKEN_<host>, the CLI config file
 * (TF_CLI_CONFIG_FILE, else ~/.terraformrc when it exists),
 * ~/.terraform.d/credentials.tfrc.json. *from names the source. */
static int
hcp_token(const char *host, char **tok, char **from, char **err)
{
	char *var = state_hcp_token_env(host), *path, *rcfile = NULL;
	const char *v = getenv(var), *cfg = getenv("TF_CLI_CONFIG_FILE"), *home = getenv("HOME");
	int rc;

	if (v != NULL && *v != '\0') {
		*tok = xstrdup(v);
		*from = var;
		return 0;
	}
	if ((cfg == NULL || *cfg == '\0') && home != NULL && *home != '\0') {
		rcfile = xasprintf("%s/.terraformrc", home);
		cfg = access(rcfile, F_OK) == 0 ? rcfile : NULL;
	}
	if (cfg != NULL && *cfg != '\0') {
		rc = tf_str_has_suffix(cfg, ".json") ? token_from_json(cfg, host, tok, err) :
		    token_from_hcl(cfg, host, tok, err);
		if (rc <= 0) {
			*from = rc == 0 ? xstrdup(cfg) : NULL;
			free(rcfile);
			free(var);
			return rc;
		}
	}
	free(rcfile);
	if (home != NULL && *home != '\0') {
		path = xasprintf("%s/.terraform.d/credentials.tfrc.json", home);
		rc = access(path, R_OK) == 0 ? token_from_json(path, host, tok, err) : 1;
		if (rc <= 0) {
			*from = rc == 0 ? path : NULL;
			if (rc != 0)
				free(path);
			free(var);
			return rc;
		}
		free(path);
	}
	tf_err(err, "no API token for %s: set %s or run `terraform login %s` "
	    "(~/.terraform.d/credentials.tfrc.json)", host, var, host);
	free(var);
	return -1;
}

static int
hcp_error(struct state_src *s, const struct http_resp *rs, const char *what, const char *from,
    char **err)
{
	if (rs->status == 401)
		return tf_err(err, "%s: %s refused the API token from %s (401): it is invalid or "
		    "expired; run `terraform login %s` or set a new one", s->location, s->host, from,
		    s->host);
	if (rs->status == 404)
		return tf_err(err, "%s: %s was not found (404): check the names, and that the token "
		    "from %s can read this workspace", s->location, what, from);
	if (rs->status == 403)
		return tf_err(err, "%s: the token from %s may not read %s (403)", s->location, from,
		    what);
	return tf_err(err, "%s: HTTP %ld reading %s", s->location, rs->status, what);
}

/* The origin (scheme://host[:port]) length of a URL. */
static size_t
origin_len(const char *u)
{
	const char *p = strstr(u, "://");

	if (p == NULL)
		return 0;
	p += 3;
	return (size_t)(p - u) + strcspn(p, "/?#");
}

static int
fetch_hcp(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	const char *hdrs[] = { "Accept: application/vnd.api+json", NULL };
	const char *dl_hdrs[] = { "Accept: application/json", NULL };
	struct http_req rq;
	struct http_resp rs;
	json_object *j = NULL, *d, *id, *a, *u, *ca;
	char *tok = NULL, *from = NULL, *url = NULL, *eorg = NULL, *ews = NULL, *sv = NULL;
	char *dl = NULL;
	int64_t created = 0;
	int rc = -1;

	memset(&rs, 0, sizeof rs);
	if (hcp_token(s->host, &tok, &from, err) != 0)
		return -1;
	memset(&rq, 0, sizeof rq);
	rq.bearer = tok;
	rq.headers = hdrs;
	if (s->ws_id == NULL) {
		eorg = http_encode(s->org, 0);
		ews = http_encode(s->ws, 0);
		url = xasprintf("%s/api/v2/organizations/%s/workspaces/%s", s->hcp_base, eorg, ews);
		rq.url = url;
		if (do_req(s, &rq, &rs, err) != 0)
			goto out;
		if (rs.status != 200) {
			hcp_error(s, &rs, "the workspace", from, err);
			goto out;
		}
		if ((j = json_tokener_parse(rs.body.buf)) == NULL ||
		    !json_object_object_get_ex(j, "data", &d) ||
		    !json_object_object_get_ex(d, "id", &id) || !json_object_is_type(id, json_type_string)) {
			tf_err(err, "%s: the workspace response has no data.id", s->location);
			goto out;
		}
		s->ws_id = xstrdup(json_object_get_string(id));
		json_object_put(j);
		j = NULL;
		http_resp_free(&rs);
		free(url);
	}
	url = xasprintf("%s/api/v2/workspaces/%s/current-state-version", s->hcp_base, s->ws_id);
	rq.url = url;
	if (do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status == 404) {
		/* The workspace may have been deleted and re-created: look it up again next time. */
		free(s->ws_id);
		s->ws_id = NULL;
		tf_err(err, "no state at %s (no current state version; or the token from %s cannot "
		    "read state versions)", s->location, from);
		goto out;
	}
	if (rs.status != 200) {
		hcp_error(s, &rs, "the current state version", from, err);
		goto out;
	}
	if ((j = json_tokener_parse(rs.body.buf)) == NULL ||
	    !json_object_object_get_ex(j, "data", &d) || !json_object_object_get_ex(d, "id", &id) ||
	    !json_object_is_type(id, json_type_string) ||
	    !json_object_object_get_ex(d, "attributes", &a)) {
		tf_err(err, "%s: the current-state-version response has no data.id/attributes",
		    s->location);
		goto out;
	}
	sv = xstrdup(json_object_get_string(id));
	/* A state version is made once: when it was made is when the state changed. */
	if (!json_object_object_get_ex(a, "created-at", &ca) ||
	    tf_parse_time(json_object_get_string(ca), &created) != 0)
		created = 0;
	if (s->sv_id != NULL && strcmp(sv, s->sv_id) == 0) {
		*unchanged = 1;
		note_ok(s, 0, NULL, NULL, 0, 0);
		rc = 0;
		goto out;
	}
	if (!json_object_object_get_ex(a, "hosted-state-download-url", &u) ||
	    !json_object_is_type(u, json_type_string)) {
		tf_err(err, "%s: state version %s has no hosted-state-download-url (still "
		    "uploading?)", s->location, sv);
		goto out;
	}
	dl = json_object_get_string(u)[0] == '/' ?
	    xasprintf("%s%s", s->hcp_base, json_object_get_string(u)) :
	    xstrdup(json_object_get_string(u));
	http_resp_free(&rs);
	memset(&rq, 0, sizeof rq);
	rq.url = dl;
	rq.max_body = TF_MAX_STATE;
	rq.headers = dl_hdrs;
	/* The token goes only to the API's own origin, never to another host. */
	if (origin_len(dl) == origin_len(s->hcp_base) &&
	    strncasecmp(dl, s->hcp_base, origin_len(dl)) == 0)
		rq.bearer = tok;
	if (do_req(s, &rq, &rs, err) != 0)
		goto out;
	if (rs.status != 200 || rs.body.len == 0) {
		char *shown = http_redact_url(dl);

		tf_err(err, "%s: downloading state version %s from %s: HTTP %ld%s", s->location, sv,
		    shown, rs.status, rs.status == 200 ? " (empty body)" : "");
		free(shown);
		goto out;
	}
	set_str(&s->sv_id, sv);
	take_body(&rs, buf, len);
	note_ok(s, 1, sv, *buf, *len, created);
	rc = 0;
out:
	if (j != NULL)
		json_object_put(j);
	http_resp_free(&rs);
	wipe_free(tok);
	free(from);
	free(url);
	free(eorg);
	free(ews);
	free(sv);
	free(dl);
	return rc;
}

int
state_src_fetch(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err)
{
	int rc = -1;

	*buf = NULL;
	*len = 0;
	*unchanged = 0;
	switch (s->kind) {
	case STATE_LOCAL: rc = fetch_local(s, buf, len, unchanged, err); break;
	case STATE_S3: rc = fetch_s3(s, buf, len, unchanged, err); break;
	case STATE_GCS: rc = fetch_gcs(s, buf, len, unchanged, err); break;
	case STATE_HTTP: rc = fetch_http(s, buf, len, unchanged, err); break;
	case STATE_HCP: rc = fetch_hcp(s, buf, len, unchanged, err); break;
	}
	if (rc != 0) {
		*buf = NULL;
		*len = 0;
		*unchanged = 0;
		return note_err(s, err);
	}
	return 0;
}
