/* gcp_auth: Application Default Credentials → cached OAuth access tokens (see gcp_auth.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "gcp_auth.h"
#include "http.h"
#include "util.h"

#define JWT_LIFETIME_S 3600             /* the maximum Google accepts */
#define DEFAULT_EARLY_S 300             /* replace a token 5 minutes before it expires */
#define MAX_TOKEN_LIFE_S 86400          /* an expires_in longer than a day counts as a day */
#define METADATA_HOST "metadata.google.internal"
#define METADATA_PATH "/computeMetadata/v1/instance/service-accounts/default/token"

struct gcp_auth {
	pthread_mutex_t mu;             /* guards every field below once gcp_auth_new returned */
	enum gcp_cred_kind kind;
	char *what;                     /* gcp_auth_describe */
	char *path;                     /* the credentials file, NULL for metadata */
	char *scopes;
	/* service_account */
	char *client_email, *key_id, *project;
	EVP_PKEY *key;
	/* authorized_user (secrets: wiped on free, never printed) */
	char *client_id, *client_secret, *refresh_token, *quota_project;
	char *token_uri;                /* or the metadata URL */
	long timeout_ms;
	/* cache */
	char *token;
	int64_t refresh_at_mono;        /* replace the token from this monotonic ms on */
	int64_t expiry_mono, expiry_wall;
	uint64_t requests;
	struct http *http;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
free_secret(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

char *
gcp_b64url(const void *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *b = p;
	char *out = xmalloc(n / 3 * 4 + 5), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = tab[b[i] >> 2];
		*o++ = tab[((b[i] & 3) << 4) | (b[i + 1] >> 4)];
		*o++ = tab[((b[i + 1] & 15) << 2) | (b[i + 2] >> 6)];
		*o++ = tab[b[i + 2] & 63];
	}
	if (n - i == 1) {
		*o++ = tab[b[i] >> 2];
		*o++ = tab[(b[i] & 3) << 4];
	} else if (n - i == 2) {
		*o++ = tab[b[i] >> 2];
		*o++ = tab[((b[i] & 3) << 4) | (b[i + 1] >> 4)];
		*o++ = tab[(b[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

/* OpenSSL's reason for the last failure (no key material in it). */
static const char *
ssl_reason(void)
{
	unsigned long e = ERR_get_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r != NULL ? r : "unknown OpenSSL error";
}

char *
gcp_jwt_assertion(EVP_PKEY *key, const char *kid, const char *iss, const char *scope,
    const char *aud, int64_t iat, char **err)
{
	json_object *hdr = json_object_new_object(), *cl = json_object_new_object();
	char *h64, *c64, *s64, *input, *jwt = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	const char *hs, *cs;
	EVP_MD_CTX *md;

	json_object_object_add(hdr, "alg", json_object_new_string("RS256"));
	json_object_object_add(hdr, "typ", json_object_new_string("JWT"));
	if (kid != NULL)
		json_object_object_add(hdr, "kid", json_object_new_string(kid));
	json_object_object_add(cl, "iss", json_object_new_string(iss));
	json_object_object_add(cl, "scope", json_object_new_string(scope));
	json_object_object_add(cl, "aud", json_object_new_string(aud));
	json_object_object_add(cl, "iat", json_object_new_int64(iat));
	json_object_object_add(cl, "exp", json_object_new_int64(iat + JWT_LIFETIME_S));
	hs = json_object_to_json_string_ext(hdr, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	cs = json_object_to_json_string_ext(cl, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	h64 = gcp_b64url(hs, strlen(hs));
	c64 = gcp_b64url(cs, strlen(cs));
	input = xasprintf("%s.%s", h64, c64);
	json_object_put(hdr);
	json_object_put(cl);
	free(h64);
	free(c64);

	/* RSASSA-PKCS1-v1_5 with SHA-256: RS256. */
	md = EVP_MD_CTX_new();
	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSignUpdate(md, input, strlen(input)) != 1 ||
	    EVP_DigestSignFinal(md, NULL, &siglen) != 1) {
		tf_err(err, "cannot sign the JWT assertion: %s", ssl_reason());
		goto out;
	}
	sig = xmalloc(siglen);
	if (EVP_DigestSignFinal(md, sig, &siglen) != 1) {
		tf_err(err, "cannot sign the JWT assertion: %s", ssl_reason());
		goto out;
	}
	s64 = gcp_b64url(sig, siglen);
	jwt = xasprintf("%s.%s", input, s64);
	free(s64);
out:
	EVP_MD_CTX_free(md);
	free(sig);
	free(input);
	return jwt;
}

/* A string field of the credentials file; NULL when absent or not a string. */
static const char *
jstr(json_object *o, const char *k)
{
	json_object *v;

	if (!json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int
need_field(json_object *o, const char *path, const char *k, const char *fix, const char **out,
    char **err)
{
	const char *v = jstr(o, k);

	if (v == NULL || *v == '\0')
		return tf_err(err, "%s: field \"%s\" is missing, empty or not a string; %s", path, k, fix);
	*out = v;
	return 0;
}

#define SA_FIX "download a new JSON key for the service account (IAM > Service accounts > Keys)"
#define AU_FIX "run `gcloud auth application-default login` again"

static int
load_service_account(struct gcp_auth *a, json_object *o, char **err)
{
	const char *email = NULL, *kid = NULL, *pem = NULL, *uri;
	BIO *bio;

	if (need_field(o, a->path, "client_email", SA_FIX, &email, err) != 0 ||
	    need_field(o, a->path, "private_key_id", SA_FIX, &kid, err) != 0 ||
	    need_field(o, a->path, "private_key", SA_FIX, &pem, err) != 0)
		return -1;
	uri = jstr(o, "token_uri");
	if (uri != NULL && !tf_str_has_prefix(uri, "https://") && !tf_str_has_prefix(uri, "http://"))
		return tf_err(err, "%s: field \"token_uri\" is not an http(s) URL; %s", a->path, SA_FIX);
	bio = BIO_new_mem_buf(pem, -1);
	a->key = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (a->key == NULL)
		return tf_err(err, "%s: field \"private_key\" is not a PEM private key (%s); %s",
		    a->path, ssl_reason(), SA_FIX);
	if (EVP_PKEY_base_id(a->key) != EVP_PKEY_RSA)
		return tf_err(err, "%s: field \"private_key\" is not an RSA key (RS256 needs one); %s",
		    a->path, SA_FIX);
	a->client_email = xstrdup(email);
	a->key_id = xstrdup(kid);
	a->project = xstrdup(jstr(o, "project_id"));
	a->token_uri = xstrdup(uri != NULL ? uri : GCP_DEFAULT_TOKEN_URI);
	a->what = xasprintf("service_account %s (%s)", a->path, a->client_email);
	return 0;
}

static int
load_authorized_user(struct gcp_auth *a, json_object *o, char **err)
{
	const char *id = NULL, *secret = NULL, *refresh = NULL, *uri;

	if (need_field(o, a->path, "client_id", AU_FIX, &id, err) != 0 ||
	    need_field(o, a->path, "client_secret", AU_FIX, &secret, err) != 0 ||
	    need_field(o, a->path, "refresh_token", AU_FIX, &refresh, err) != 0)
		return -1;
	uri = jstr(o, "token_uri");
	if (uri != NULL && !tf_str_has_prefix(uri, "https://") && !tf_str_has_prefix(uri, "http://"))
		return tf_err(err, "%s: field \"token_uri\" is not an http(s) URL; %s", a->path, AU_FIX);
	a->client_id = xstrdup(id);
	a->client_secret = xstrdup(secret);
	a->refresh_token = xstrdup(refresh);
	a->quota_project = xstrdup(jstr(o, "quota_project_id"));
	a->token_uri = xstrdup(uri != NULL ? uri : GCP_DEFAULT_TOKEN_URI);
	a->what = xasprintf("authorized_user %s", a->path);
	return 0;
}

static int
load_file(struct gcp_auth *a, const char *path, const char *why, char **err)
{
	enum json_tokener_error je;
	json_object *o;
	const char *type;
	char *buf = NULL, *e2 = NULL;
	size_t len = 0;
	int rc;

	a->path = xstrdup(path);
	if (tf_read_file(path, TF_FILE_CREDENTIALS, &buf, &len, &e2) != 0) {
		tf_err(err, "%s (%s): %s; point it at a readable key file or unset it", path, why,
		    e2 != NULL ? e2 : "cannot read");
		free(e2);
		return -1;
	}
	o = json_tokener_parse_verbose(buf, &je);
	OPENSSL_cleanse(buf, len);
	free(buf);
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return tf_err(err, "%s (%s): not a JSON object (%s); expected a service account key "
		    "or an authorized_user file", path, why, o == NULL ?
		    json_tokener_error_desc(je) : "another JSON type");
	}
	type = jstr(o, "type");
	if (type == NULL)
		rc = tf_err(err, "%s: field \"type\" is missing; expected \"service_account\" or "
		    "\"authorized_user\"", path);
	else if (strcmp(type, "service_account") == 0) {
		a->kind = GCP_CRED_SERVICE_ACCOUNT;
		rc = load_service_account(a, o, err);
	} else if (strcmp(type, "authorized_user") == 0) {
		a->kind = GCP_CRED_AUTHORIZED_USER;
		rc = load_authorized_user(a, o, err);
	} else
		rc = tf_err(err, "%s: field \"type\" is \"%.40s\", which tfdrift does not support; "
		    "use a service_account key or `gcloud auth application-default login`",
		    path, type);
	json_object_put(o);
	return rc;
}

static void
use_metadata(struct gcp_auth *a)
{
	const char *host = getenv("GCE_METADATA_HOST");

	if (host == NULL || *host == '\0')
		host = getenv("GCE_METADATA_ROOT");
	if (host == NULL || *host == '\0')
		host = METADATA_HOST;
	a->kind = GCP_CRED_METADATA;
	a->token_uri = xasprintf("%s%s%s", strstr(host, "://") ? "" : "http://", host, METADATA_PATH);
	a->what = xasprintf("metadata server %s", a->token_uri);
}

struct gcp_auth *
gcp_auth_new(const struct gcp_auth_opts *o, char **err)
{
	struct gcp_auth *a = xcalloc(1, sizeof *a);
	const char *env = getenv("GOOGLE_APPLICATION_CREDENTIALS"), *dir, *home;
	char *wk = NULL;
	int rc = 0;

	pthread_mutex_init(&a->mu, NULL);
	a->scopes = xstrdup(o != NULL && o->scopes != NULL ? o->scopes : GCP_DEFAULT_SCOPES);
	a->timeout_ms = o != NULL ? o->timeout_ms : 0;
	if (o != NULL && o->credentials_file != NULL)
		rc = load_file(a, o->credentials_file, "credentials", err);
	else if (env != NULL && *env != '\0')
		rc = load_file(a, env, "GOOGLE_APPLICATION_CREDENTIALS", err);
	else {
		if ((dir = getenv("CLOUDSDK_CONFIG")) != NULL && *dir != '\0')
			wk = xasprintf("%s/application_default_credentials.json", dir);
		else if ((home = getenv("HOME")) != NULL && *home != '\0')
			wk = xasprintf("%s/.config/gcloud/application_default_credentials.json", home);
		if (wk != NULL && access(wk, F_OK) == 0)
			rc = load_file(a, wk, "gcloud application default credentials", err);
		else
			use_metadata(a);
		free(wk);
	}
	if (rc != 0) {
		gcp_auth_free(a);
		return NULL;
	}
	return a;
}

void
gcp_auth_free(struct gcp_auth *a)
{
	if (a == NULL)
		return;
	free(a->what);
	free(a->path);
	free(a->scopes);
	free(a->client_email);
	free(a->key_id);
	free(a->project);
	EVP_PKEY_free(a->key);
	free(a->client_id);
	free_secret(a->client_secret);
	free_secret(a->refresh_token);
	free(a->quota_project);
	free(a->token_uri);
	free_secret(a->token);
	http_free(a->http);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static int64_t
early_ms(void)
{
	const char *s = getenv("TFDRIFT_GCP_TOKEN_EARLY_S");
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return DEFAULT_EARLY_S * 1000LL;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > 3600)
		return DEFAULT_EARLY_S * 1000LL;
	return (int64_t)v * 1000;
}

/* The endpoint without its query, for messages. */
static char *
url_for_msg(const char *u)
{
	return xstrndup(u, strcspn(u, "?#"));
}

/* A form value, RFC 3986 encoded. */
static void
form_add(struct strbuf *sb, const char *k, const char *v)
{
	char *e = http_encode(v, 0);

	sb_addf(sb, "%s%s=%s", sb->len ? "&" : "", k, e);
	OPENSSL_cleanse(e, strlen(e));
	free(e);
}

/* Ask for a new token (a->mu held). */
static int
fetch_token(struct gcp_auth *a, char **err)
{
	static const char *form_hdr[] = { "Content-Type: application/x-www-form-urlencoded",
	    "Accept: application/json", NULL };
	static const char *md_hdr[] = { "Metadata-Flavor: Google", NULL };
	struct http_req rq;
	struct http_resp rs;
	struct strbuf body;
	json_object *o = NULL, *v;
	const char *tok, *e, *ed;
	char *u = url_for_msg(a->token_uri), *assertion = NULL, *terr = NULL, *nw;
	int64_t life, early, now;
	int rc = -1;

	memset(&rq, 0, sizeof rq);
	sb_init(&body);
	rq.url = a->token_uri;
	rq.timeout_ms = a->timeout_ms;
	rq.max_body = TF_MAX_CREDENTIALS;
	if (a->kind == GCP_CRED_METADATA) {
		rq.method = "GET";
		rq.headers = md_hdr;
		rq.connect_timeout_ms = 3000;   /* off GCE the name does not resolve or hangs */
	} else {
		rq.method = "POST";
		rq.headers = form_hdr;
		if (a->kind == GCP_CRED_SERVICE_ACCOUNT) {
			assertion = gcp_jwt_assertion(a->key, a->key_id, a->client_email, a->scopes,
			    a->token_uri, (int64_t)time(NULL), err);
			if (assertion == NULL)
				goto out;
			form_add(&body, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
			form_add(&body, "assertion", assertion);
		} else {
			form_add(&body, "grant_type", "refresh_token");
			form_add(&body, "client_id", a->client_id);
			form_add(&body, "client_secret", a->client_secret);
			form_add(&body, "refresh_token", a->refresh_token);
		}
		rq.body = body.buf;
		rq.body_len = body.len;
	}
	if (a->http == NULL)
		a->http = http_new();
	a->requests++;
	if (http_do(a->http, &rq, &rs, &terr) != 0) {
		if (a->kind == GCP_CRED_METADATA)
			tf_err(err, "no GCP credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, there "
			    "is no gcloud ADC file, and the metadata server did not answer (%s); set "
			    "GOOGLE_APPLICATION_CREDENTIALS to a key file or run `gcloud auth "
			    "application-default login`", terr);
		else
			tf_err(err, "GCP token request (%s) failed: %s; credentials from %s", u, terr,
			    a->what);
		free(terr);
		http_resp_free(&rs);
		goto out;
	}
	if ((nw = http_not_api(&rs, "JSON")) != NULL) {
		/* Something between us and the token endpoint (a proxy, a captive portal): its
		 * page or redirect, not the key, is the news. */
		tf_err(err, "GCP token endpoint %s: %s; credentials from %s", u, nw, a->what);
		free(nw);
		http_resp_free(&rs);
		goto out;
	}
	o = json_tokener_parse(rs.body.buf != NULL ? rs.body.buf : "");
	if (rs.status != 200) {
		e = o != NULL ? jstr(o, "error") : NULL;
		ed = o != NULL ? jstr(o, "error_description") : NULL;
		if (e == NULL && o != NULL && json_object_object_get_ex(o, "error", &v))
			e = jstr(v, "status");      /* the {"error":{...}} shape */
		tf_err(err, "GCP token endpoint %s answered %ld%s%s%s%.200s for %s; %s", u, rs.status,
		    e ? " " : "", e ? e : "", ed ? ": " : "", ed ? ed : "", a->what,
		    a->kind == GCP_CRED_SERVICE_ACCOUNT ? "check that the key is current (not "
		    "deleted or disabled) and the clock is right, or " SA_FIX :
		    a->kind == GCP_CRED_AUTHORIZED_USER ? AU_FIX :
		    "check the instance's service account and scopes");
		http_resp_free(&rs);
		goto out;
	}
	tok = o != NULL ? jstr(o, "access_token") : NULL;
	if (tok == NULL || *tok == '\0' || !json_object_object_get_ex(o, "expires_in", &v) ||
	    (life = json_object_get_int64(v)) <= 0) {
		tf_err(err, "GCP token endpoint %s answered 200 without an access_token and a positive "
		    "expires_in (%zu bytes); credentials from %s", u, rs.body.len, a->what);
		OPENSSL_cleanse(rs.body.buf, rs.body.len);
		http_resp_free(&rs);
		goto out;
	}
	free_secret(a->token);
	a->token = xstrdup(tok);
	/* Google's tokens live an hour; a longer promise is used for a day at most (and a huge
	 * one must not overflow the clock arithmetic below). */
	if (life > MAX_TOKEN_LIFE_S)
		life = MAX_TOKEN_LIFE_S;
	life *= 1000;
	now = mono_ms();
	early = early_ms();
	if (early * 2 > life)
		early = life / 2;
	a->expiry_mono = now + life;
	a->refresh_at_mono = now + life - early;
	a->expiry_wall = (int64_t)time(NULL) * 1000 + life;
	OPENSSL_cleanse(rs.body.buf, rs.body.len);
	http_resp_free(&rs);
	rc = 0;
out:
	json_object_put(o);
	if (assertion != NULL)
		free_secret(assertion);
	OPENSSL_cleanse(body.buf != NULL ? body.buf : "", body.len);
	sb_free(&body);
	free(u);
	return rc;
}

int
gcp_auth_token(struct gcp_auth *a, char **token, char **err)
{
	int rc = 0;

	pthread_mutex_lock(&a->mu);
	if (a->token == NULL || mono_ms() >= a->refresh_at_mono)
		rc = fetch_token(a, err);
	if (rc == 0)
		*token = xstrdup(a->token);
	pthread_mutex_unlock(&a->mu);
	return rc;
}

void
gcp_auth_invalidate(void *ctx, const char *token)
{
	struct gcp_auth *a = ctx;

	pthread_mutex_lock(&a->mu);
	if (a->token != NULL && token != NULL && strcmp(a->token, token) == 0) {
		free_secret(a->token);
		a->token = NULL;
		a->expiry_wall = 0;
	}
	pthread_mutex_unlock(&a->mu);
}

static int
ts_get(void *ctx, char **token, char **err)
{
	return gcp_auth_token(ctx, token, err);
}

struct token_source
gcp_auth_token_source(struct gcp_auth *a)
{
	struct token_source ts = { ts_get, a };

	return ts;
}

const char *
gcp_auth_describe(const struct gcp_auth *a)
{
	return a->what;
}

enum gcp_cred_kind
gcp_auth_kind(const struct gcp_auth *a)
{
	return a->kind;
}

const char *
gcp_auth_project(const struct gcp_auth *a)
{
	return a->project != NULL ? a->project : a->quota_project;
}

const char *
gcp_auth_quota_project(const struct gcp_auth *a)
{
	return a->quota_project;
}

int64_t
gcp_auth_expiry_ms(struct gcp_auth *a)
{
	int64_t v;

	pthread_mutex_lock(&a->mu);
	v = a->token != NULL ? a->expiry_wall : 0;
	pthread_mutex_unlock(&a->mu);
	return v;
}

uint64_t
gcp_auth_token_requests(struct gcp_auth *a)
{
	uint64_t v;

	pthread_mutex_lock(&a->mu);
	v = a->requests;
	pthread_mutex_unlock(&a->mu);
	return v;
}
