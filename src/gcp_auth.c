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
	char *token_uri;                /* or the metadata URL, or the STS URL */
	long timeout_ms;
	/* impersonation hop (impersonated_service_account, external_account with
	 * service_account_impersonation_url): src's token is the bearer of a generateAccessToken
	 * POST to imp_url for target */
	struct gcp_auth *src;
	char *imp_url, *target;
	char **delegates;               /* NULL-terminated, or NULL */
	long lifetime_s;
	/* external_account's STS exchange (client_id and client_secret above: optional Basic
	 * auth) */
	char *audience, *subject_token_type, *user_project;
	char *cs_file, *cs_url;         /* one of them */
	char *cs_field;                 /* format json: the field; NULL: text */
	char **cs_headers;              /* "Name: value", NULL-terminated; values may be secret */
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

#define IMP_FIX "run `gcloud auth application-default login --impersonate-service-account=EMAIL` again"
#define EXT_FIX "generate it again (`gcloud iam workload-identity-pools create-cred-config` or " \
	"`gcloud iam workforce-pools create-cred-config`)"
#define STS_FIX "check the file's audience and subject_token_type against the identity pool " \
	"provider, and that the subject token is current"

static int load_object(struct gcp_auth *a, json_object *o, int nested, char **err);

static struct gcp_auth *
auth_alloc(const char *scopes, long timeout_ms)
{
	struct gcp_auth *a = xcalloc(1, sizeof *a);

	pthread_mutex_init(&a->mu, NULL);
	a->scopes = xstrdup(scopes);
	a->timeout_ms = timeout_ms;
	return a;
}

static int
is_http_url(const char *u)
{
	return tf_str_has_prefix(u, "https://") || tf_str_has_prefix(u, "http://");
}

/* The endpoint without its query, for messages. */
static char *
url_for_msg(const char *u)
{
	return xstrndup(u, strcspn(u, "?#"));
}

/* An optional list of strings (NULL-terminated heap copy in *out); absent or null: NULL. */
static int
str_list(json_object *o, const char *path, const char *k, const char *fix, char ***out,
    char **err)
{
	json_object *d, *v;
	size_t i, n;

	if (!json_object_object_get_ex(o, k, &d) || json_object_is_type(d, json_type_null))
		return 0;
	if (!json_object_is_type(d, json_type_array))
		return tf_err(err, "%s: field \"%s\" is not a list; %s", path, k, fix);
	n = json_object_array_length(d);
	*out = xcalloc(n + 1, sizeof **out);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(d, i);
		if (!json_object_is_type(v, json_type_string) || json_object_get_string_len(v) == 0)
			return tf_err(err, "%s: field \"%s\" item %zu is not a non-empty string; %s",
			    path, k, i + 1, fix);
		(*out)[i] = xstrdup(json_object_get_string(v));
	}
	return 0;
}

/* service_account_impersonation_url (…/serviceAccounts/EMAIL:generateAccessToken, the target
 * taken from it as google-auth does) and delegates. */
static int
load_impersonation(struct gcp_auth *a, json_object *o, const char *fix, char **err)
{
	const char *url = NULL, *slash, *colon;

	if (need_field(o, a->path, "service_account_impersonation_url", fix, &url, err) != 0)
		return -1;
	if (!is_http_url(url))
		return tf_err(err, "%s: field \"service_account_impersonation_url\" is not an http(s) "
		    "URL; %s", a->path, fix);
	slash = strrchr(url, '/');
	colon = strstr(url, ":generateAccessToken");
	if (slash == NULL || colon == NULL || colon <= slash + 1)
		return tf_err(err, "%s: field \"service_account_impersonation_url\" does not end in "
		    "/serviceAccounts/EMAIL:generateAccessToken; %s", a->path, fix);
	a->imp_url = xstrdup(url);
	a->target = xstrndup(slash + 1, (size_t)(colon - slash - 1));
	a->lifetime_s = 3600;
	return str_list(o, a->path, "delegates", fix, &a->delegates, err);
}

static int
load_impersonated(struct gcp_auth *a, json_object *o, char **err)
{
	json_object *sc;

	if (load_impersonation(a, o, IMP_FIX, err) != 0)
		return -1;
	if (!json_object_object_get_ex(o, "source_credentials", &sc) ||
	    !json_object_is_type(sc, json_type_object))
		return tf_err(err, "%s: field \"source_credentials\" is missing or not an object; %s",
		    a->path, IMP_FIX);
	/* A service account source asks for the IAM scope (google-auth's iam._IAM_SCOPE); a
	 * refresh token keeps the scopes it was granted with. */
	a->src = auth_alloc(GCP_IAM_SCOPE, a->timeout_ms);
	a->src->path = xasprintf("%s (source_credentials)", a->path);
	if (load_object(a->src, sc, 1, err) != 0)
		return -1;
	a->quota_project = xstrdup(jstr(o, "quota_project_id"));
	if (a->src->kind == GCP_CRED_SERVICE_ACCOUNT)
		a->what = xasprintf("impersonated_service_account %s (%s via service_account %s)",
		    a->path, a->target, a->src->client_email);
	else
		a->what = xasprintf("impersonated_service_account %s (%s via authorized_user)",
		    a->path, a->target);
	return 0;
}

/* //iam.googleapis.com/locations/L/workforcePools/... (google-auth's is_workforce_pool). */
static int
is_workforce_audience(const char *aud)
{
	const char *p = "//iam.googleapis.com/locations/";

	if (!tf_str_has_prefix(aud, p))
		return 0;
	aud += strlen(p);
	aud += strcspn(aud, "/");
	return aud[-1] != '/' && tf_str_has_prefix(aud, "/workforcePools/");
}

/* credential_source of an external_account file into t (the struct that does the STS
 * exchange). */
static int
load_credential_source(struct gcp_auth *t, json_object *o, const char *path, char **err)
{
	static const struct { const char *k, *what; } unsupported[] = {
		{ "executable", "an executable-sourced (pluggable) credential" },
		{ "environment_id", "AWS workload identity federation" },
		{ "certificate", "X.509 workload identity federation" },
	};
	json_object *cs, *f = NULL, *u = NULL, *h, *fmt, *v;
	const char *ty;
	size_t i, n;

	if (!json_object_object_get_ex(o, "credential_source", &cs) ||
	    !json_object_is_type(cs, json_type_object))
		return tf_err(err, "%s: field \"credential_source\" is missing or not an object; %s",
		    path, EXT_FIX);
	for (i = 0; i < TF_ARRLEN(unsupported); i++)
		if (json_object_object_get_ex(cs, unsupported[i].k, NULL))
			return tf_err(err, "%s: field \"credential_source.%s\" (%s) is not supported by "
			    "tfdrift; use a credential_source with \"file\" or \"url\" (for example a "
			    "file the workload's token is written to)", path, unsupported[i].k,
			    unsupported[i].what);
	json_object_object_get_ex(cs, "file", &f);
	json_object_object_get_ex(cs, "url", &u);
	if (f != NULL && u != NULL)
		return tf_err(err, "%s: credential_source has both \"file\" and \"url\" (they are "
		    "mutually exclusive); %s", path, EXT_FIX);
	if (f == NULL && u == NULL)
		return tf_err(err, "%s: credential_source has neither \"file\" nor \"url\"; %s", path,
		    EXT_FIX);
	v = f != NULL ? f : u;
	if (!json_object_is_type(v, json_type_string) ||
	    json_object_get_string_len(v) == 0)
		return tf_err(err, "%s: field \"credential_source.%s\" is not a non-empty string; %s",
		    path, f != NULL ? "file" : "url", EXT_FIX);
	if (f != NULL)
		t->cs_file = xstrdup(json_object_get_string(f));
	else if (!is_http_url(json_object_get_string(u)))
		return tf_err(err, "%s: field \"credential_source.url\" is not an http(s) URL; %s",
		    path, EXT_FIX);
	else
		t->cs_url = xstrdup(json_object_get_string(u));
	if (json_object_object_get_ex(cs, "headers", &h) && !json_object_is_type(h, json_type_null)) {
		if (!json_object_is_type(h, json_type_object))
			return tf_err(err, "%s: field \"credential_source.headers\" is not an object; %s",
			    path, EXT_FIX);
		t->cs_headers = xcalloc((size_t)json_object_object_length(h) + 1, sizeof *t->cs_headers);
		n = 0;
		json_object_object_foreach(h, hk, hv) {
			if (!json_object_is_type(hv, json_type_string) || *hk == '\0' ||
			    strpbrk(hk, ": \t\r\n") != NULL ||
			    strpbrk(json_object_get_string(hv), "\r\n") != NULL)
				return tf_err(err, "%s: field \"credential_source.headers\" entry \"%.60s\" "
				    "is not a header name with a one-line string value; %s", path, hk,
				    EXT_FIX);
			t->cs_headers[n++] = xasprintf("%s: %s", hk, json_object_get_string(hv));
		}
	}
	if (json_object_object_get_ex(cs, "format", &fmt) && !json_object_is_type(fmt, json_type_null)) {
		if (!json_object_is_type(fmt, json_type_object))
			return tf_err(err, "%s: field \"credential_source.format\" is not an object; %s",
			    path, EXT_FIX);
		ty = jstr(fmt, "type");
		if (json_object_object_get_ex(fmt, "type", &v) && ty == NULL)
			return tf_err(err, "%s: field \"credential_source.format.type\" is not a string; "
			    "%s", path, EXT_FIX);
		if (ty != NULL && strcmp(ty, "json") == 0) {
			ty = jstr(fmt, "subject_token_field_name");
			if (ty == NULL || *ty == '\0')
				return tf_err(err, "%s: field \"credential_source.format."
				    "subject_token_field_name\" is missing, empty or not a string (format "
				    "json needs it); %s", path, EXT_FIX);
			t->cs_field = xstrdup(ty);
		} else if (ty != NULL && *ty != '\0' && strcmp(ty, "text") != 0)
			return tf_err(err, "%s: field \"credential_source.format.type\" is \"%.40s\"; "
			    "expected \"text\" or \"json\"", path, ty);
	}
	return 0;
}

static int
load_external(struct gcp_auth *a, json_object *o, char **err)
{
	const char *aud = NULL, *stt = NULL, *uri, *wpu, *cid, *csec;
	struct gcp_auth *t = a;
	json_object *imp, *v;
	int64_t life;
	char *src_msg, *sts_msg;

	if (need_field(o, a->path, "audience", EXT_FIX, &aud, err) != 0 ||
	    need_field(o, a->path, "subject_token_type", EXT_FIX, &stt, err) != 0)
		return -1;
	uri = jstr(o, "token_url");
	if (uri != NULL && !is_http_url(uri))
		return tf_err(err, "%s: field \"token_url\" is not an http(s) URL; %s", a->path, EXT_FIX);
	wpu = jstr(o, "workforce_pool_user_project");
	if (wpu != NULL && *wpu != '\0' && !is_workforce_audience(aud))
		return tf_err(err, "%s: field \"workforce_pool_user_project\" is set but the audience "
		    "is not a workforce pool (//iam.googleapis.com/locations/L/workforcePools/...); "
		    "remove it or %s", a->path, EXT_FIX);
	cid = jstr(o, "client_id");
	csec = jstr(o, "client_secret");
	if (json_object_object_get_ex(o, "service_account_impersonation_url", &v) &&
	    !json_object_is_type(v, json_type_null)) {
		if (load_impersonation(a, o, EXT_FIX, err) != 0)
			return -1;
		if (json_object_object_get_ex(o, "service_account_impersonation", &imp) &&
		    json_object_object_get_ex(imp, "token_lifetime_seconds", &v)) {
			life = json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
			if (life < 600 || life > 43200)
				return tf_err(err, "%s: field \"service_account_impersonation."
				    "token_lifetime_seconds\" is not a whole number from 600 to 43200; %s",
				    a->path, EXT_FIX);
			a->lifetime_s = (long)life;
		}
		/* The STS token only has to be good for generateAccessToken. */
		t = a->src = auth_alloc(GCP_CLOUD_PLATFORM_SCOPE, a->timeout_ms);
		t->path = xstrdup(a->path);
		t->kind = GCP_CRED_EXTERNAL_ACCOUNT;
	}
	if (load_credential_source(t, o, a->path, err) != 0)
		return -1;
	t->audience = xstrdup(aud);
	t->subject_token_type = xstrdup(stt);
	t->token_uri = xstrdup(uri != NULL ? uri : GCP_DEFAULT_STS_URL);
	if (wpu != NULL && *wpu != '\0')
		t->user_project = xstrdup(wpu);
	if (cid != NULL && *cid != '\0') {
		t->client_id = xstrdup(cid);
		t->client_secret = xstrdup(csec != NULL ? csec : "");
	}
	a->quota_project = xstrdup(jstr(o, "quota_project_id"));
	if (t->cs_file != NULL)
		src_msg = xasprintf("file %s", t->cs_file);
	else {
		char *r = http_redact_url(t->cs_url);

		src_msg = xasprintf("URL %s", r);
		free(r);
	}
	sts_msg = url_for_msg(t->token_uri);
	if (t != a) {
		t->what = xasprintf("external_account %s (subject token from %s, STS %s)", a->path,
		    src_msg, sts_msg);
		a->what = xasprintf("external_account %s (subject token from %s, STS %s, "
		    "impersonating %s)", a->path, src_msg, sts_msg, a->target);
	} else
		a->what = xasprintf("external_account %s (subject token from %s, STS %s)", a->path,
		    src_msg, sts_msg);
	free(src_msg);
	free(sts_msg);
	return 0;
}

/* A parsed credentials object; nested: it is an impersonated file's source_credentials. */
static int
load_object(struct gcp_auth *a, json_object *o, int nested, char **err)
{
	const char *type = jstr(o, "type");

	if (type == NULL)
		return tf_err(err, "%s: field \"type\" is missing; expected \"service_account\" or "
		    "\"authorized_user\"%s", a->path, nested ? "" : " (or \"impersonated_service_"
		    "account\", \"external_account\")");
	if (strcmp(type, "service_account") == 0) {
		a->kind = GCP_CRED_SERVICE_ACCOUNT;
		return load_service_account(a, o, err);
	}
	if (strcmp(type, "authorized_user") == 0) {
		a->kind = GCP_CRED_AUTHORIZED_USER;
		return load_authorized_user(a, o, err);
	}
	if (!nested && strcmp(type, "impersonated_service_account") == 0) {
		a->kind = GCP_CRED_IMPERSONATED;
		return load_impersonated(a, o, err);
	}
	if (!nested && strcmp(type, "external_account") == 0) {
		a->kind = GCP_CRED_EXTERNAL_ACCOUNT;
		return load_external(a, o, err);
	}
	if (nested)
		return tf_err(err, "%s: field \"type\" is \"%.40s\", which tfdrift does not support as "
		    "the source of an impersonation; use an authorized_user or service_account source "
		    "(%s)", a->path, type, IMP_FIX);
	return tf_err(err, "%s: field \"type\" is \"%.40s\", which tfdrift does not support; "
	    "use a service_account key, `gcloud auth application-default login`, an "
	    "impersonated_service_account or an external_account file", a->path, type);
}

static int
load_file(struct gcp_auth *a, const char *path, const char *why, char **err)
{
	enum json_tokener_error je;
	json_object *o;
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
		return tf_err(err, "%s (%s): not a JSON object (%s); expected a Google credentials "
		    "file (service_account, authorized_user, impersonated_service_account or "
		    "external_account)", path, why, o == NULL ?
		    json_tokener_error_desc(je) : "another JSON type");
	}
	rc = load_object(a, o, 0, err);
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
	struct gcp_auth *a = auth_alloc(o != NULL && o->scopes != NULL ? o->scopes :
	    GCP_DEFAULT_SCOPES, o != NULL ? o->timeout_ms : 0);
	const char *env = getenv("GOOGLE_APPLICATION_CREDENTIALS"), *dir, *home;
	char *wk = NULL;
	int rc = 0;

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

static void
free_list(char **l, int secret)
{
	size_t i;

	for (i = 0; l != NULL && l[i] != NULL; i++) {
		if (secret)
			free_secret(l[i]);
		else
			free(l[i]);
	}
	free(l);
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
	gcp_auth_free(a->src);
	free(a->imp_url);
	free(a->target);
	free_list(a->delegates, 0);
	free(a->audience);
	free(a->subject_token_type);
	free(a->user_project);
	free(a->cs_file);
	free(a->cs_url);
	free(a->cs_field);
	free_list(a->cs_headers, 1);
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

/* A form value, RFC 3986 encoded. */
static void
form_add(struct strbuf *sb, const char *k, const char *v)
{
	char *e = http_encode(v, 0);

	sb_addf(sb, "%s%s=%s", sb->len ? "&" : "", k, e);
	OPENSSL_cleanse(e, strlen(e));
	free(e);
}

/* Send one token request (a->mu held). On a 200 answer, 0 with *out its JSON (NULL when it
 * is not JSON) and *len its size; else -1 with *err ("EP endpoint URL answered STATUS ERROR:
 * DESCRIPTION for WHAT; FIX"). *status: the HTTP status, 0 without an answer. */
static int
token_call(struct gcp_auth *a, const struct http_req *rq, const char *ep, const char *fix,
    json_object **out, size_t *len, long *status, char **err)
{
	struct http_resp rs;
	json_object *o, *v;
	const char *e, *ed;
	char *u = url_for_msg(rq->url), *terr = NULL, *nw;
	int rc = -1;

	*out = NULL;
	*len = 0;
	*status = 0;
	if (a->http == NULL)
		a->http = http_new();
	a->requests++;
	if (http_do(a->http, rq, &rs, &terr) != 0) {
		if (a->kind == GCP_CRED_METADATA)
			tf_err(err, "no GCP credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, there "
			    "is no gcloud ADC file, and the metadata server did not answer (%s); set "
			    "GOOGLE_APPLICATION_CREDENTIALS to a key file or run `gcloud auth "
			    "application-default login`", terr);
		else
			tf_err(err, "%s request (%s) failed: %s; credentials from %s", ep, u, terr,
			    a->what);
		free(terr);
		http_resp_free(&rs);
		free(u);
		return -1;
	}
	*status = rs.status;
	if ((nw = http_not_api(&rs, "JSON")) != NULL) {
		/* Something between us and the token endpoint (a proxy, a captive portal): its
		 * page or redirect, not the key, is the news. */
		tf_err(err, "%s endpoint %s: %s; credentials from %s", ep, u, nw, a->what);
		free(nw);
		goto done;
	}
	o = json_tokener_parse(rs.body.buf != NULL ? rs.body.buf : "");
	if (rs.status != 200) {
		e = o != NULL ? jstr(o, "error") : NULL;
		ed = o != NULL ? jstr(o, "error_description") : NULL;
		if (e == NULL && o != NULL && json_object_object_get_ex(o, "error", &v)) {
			e = jstr(v, "status");      /* the {"error":{...}} shape */
			ed = jstr(v, "message");
		}
		tf_err(err, "%s endpoint %s answered %ld%s%s%s%.200s for %s; %s", ep, u, rs.status,
		    e ? " " : "", e ? e : "", ed ? ": " : "", ed ? ed : "", a->what, fix);
		json_object_put(o);
		goto done;
	}
	*out = o;
	*len = rs.body.len;
	rc = 0;
done:
	if (rs.body.buf != NULL)
		OPENSSL_cleanse(rs.body.buf, rs.body.len);
	http_resp_free(&rs);
	free(u);
	return rc;
}

/* Cache tok for life_ms (a->mu held). */
static void
set_token(struct gcp_auth *a, const char *tok, int64_t life_ms)
{
	int64_t early = early_ms(), now = mono_ms();

	free_secret(a->token);
	a->token = xstrdup(tok);
	/* Google's tokens live an hour (impersonated ones up to 12); a longer promise is used
	 * for a day at most (and a huge one must not overflow the clock arithmetic below). */
	if (life_ms > MAX_TOKEN_LIFE_S * 1000LL)
		life_ms = MAX_TOKEN_LIFE_S * 1000LL;
	if (early * 2 > life_ms)
		early = life_ms / 2;
	a->expiry_mono = now + life_ms;
	a->refresh_at_mono = now + life_ms - early;
	a->expiry_wall = (int64_t)time(NULL) * 1000 + life_ms;
}

/* The external_account subject token from credential_source (heap, secret), or NULL with
 * *err. Text is trimmed of surrounding white space (a file written with a final newline). */
static char *
subject_token(struct gcp_auth *a, char **err)
{
	char *buf = NULL, *e2 = NULL, *where, *tok = NULL, *r;
	const char *s, *f;
	size_t len = 0, n;
	json_object *o = NULL;

	if (a->cs_file != NULL) {
		where = xasprintf("the subject token file (credential_source.file)");
#ifdef TFDRIFT_FUZZING
		{
			/* The path comes from fuzzed input: read nothing outside the fuzzer's
			 * directory (a FIFO or a terminal would hang it). */
			const char *dir = getenv("TFDRIFT_FUZZ_DIR");

			if (dir == NULL || strncmp(a->cs_file, dir, strlen(dir)) != 0 ||
			    strstr(a->cs_file, "..") != NULL) {
				tf_err(err, "%s: %s is outside TFDRIFT_FUZZ_DIR", a->path, where);
				goto out;
			}
		}
#endif
		if (tf_read_file(a->cs_file, TF_FILE_CREDENTIALS, &buf, &len, &e2) != 0) {
			tf_err(err, "%s: %s cannot be read: %s; check that the workload's token is "
			    "written there, or fix credential_source.file", a->path, where,
			    e2 != NULL ? e2 : "unknown error");
			free(e2);
			goto out;
		}
	} else {
		static const char *const no_headers[] = { NULL };
		struct http_req rq;
		struct http_resp rs;
		char *nw;

		r = http_redact_url(a->cs_url);
		where = xasprintf("the subject token URL %s (credential_source.url)", r);
		free(r);
		memset(&rq, 0, sizeof rq);
		rq.method = "GET";
		rq.url = a->cs_url;
		rq.headers = a->cs_headers != NULL ? (const char *const *)a->cs_headers : no_headers;
		rq.timeout_ms = a->timeout_ms;
		rq.max_body = TF_MAX_CREDENTIALS;
		if (a->http == NULL)
			a->http = http_new();
		a->requests++;
		if (http_do(a->http, &rq, &rs, &e2) != 0) {
			tf_err(err, "%s: %s did not answer: %s", a->path, where, e2);
			free(e2);
			http_resp_free(&rs);
			goto out;
		}
		if (rs.status != 200 || (nw = http_not_api(&rs, "a token")) != NULL) {
			if (rs.status != 200)
				tf_err(err, "%s: %s answered HTTP %ld; check credential_source.url and "
				    "credential_source.headers", a->path, where, rs.status);
			else {
				tf_err(err, "%s: %s: %s", a->path, where, nw);
				free(nw);
			}
			if (rs.body.buf != NULL)
				OPENSSL_cleanse(rs.body.buf, rs.body.len);
			http_resp_free(&rs);
			goto out;
		}
		/* All of it, NUL bytes too (they are refused below; xstrndup would stop at
		 * one and leave len larger than the copy). */
		len = rs.body.len;
		buf = xmalloc(len + 1);
		if (len > 0)
			memcpy(buf, rs.body.buf, len);
		buf[len] = '\0';
		if (rs.body.buf != NULL)
			OPENSSL_cleanse(rs.body.buf, rs.body.len);
		http_resp_free(&rs);
	}
	if (strlen(buf) != len) {
		tf_err(err, "%s: %s holds a NUL byte; it is not a token", a->path, where);
		goto out;
	}
	if (a->cs_field != NULL) {
		f = a->cs_field;
		o = json_tokener_parse(buf);
		s = o != NULL && json_object_is_type(o, json_type_object) ? jstr(o, f) : NULL;
		if (s == NULL) {
			tf_err(err, "%s: %s is not a JSON object with a string field \"%.60s\" "
			    "(credential_source.format.subject_token_field_name); check the format "
			    "or the field name", a->path, where, f);
			goto out;
		}
	} else
		s = buf;
	s += strspn(s, " \t\r\n");
	n = strlen(s);
	while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
		n--;
	if (n == 0) {
		tf_err(err, "%s: %s holds an empty subject token; check that the workload's token "
		    "is there", a->path, where);
		goto out;
	}
	tok = xstrndup(s, n);
out:
	if (o != NULL) {
		/* json-c's copies of the strings are freed with the object; the token is wiped
		 * from its field first. */
		s = jstr(o, a->cs_field);
		if (s != NULL)
			OPENSSL_cleanse((char *)s, strlen(s));
		json_object_put(o);
	}
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	free(where);
	return tok;
}

/* An OAuth grant at a->token_uri (service_account, authorized_user, metadata) or an STS
 * token exchange (external_account) (a->mu held). */
static int
grant(struct gcp_auth *a, char **err)
{
	static const char *form_hdr[] = { "Content-Type: application/x-www-form-urlencoded",
	    "Accept: application/json", NULL };
	static const char *md_hdr[] = { "Metadata-Flavor: Google", NULL };
	struct http_req rq;
	struct strbuf body;
	json_object *o = NULL, *v;
	const char *tok, *ep = "GCP token", *fix;
	char *u = url_for_msg(a->token_uri), *secret = NULL, *opt;
	int64_t life;
	size_t len;
	long status;
	int rc = -1;

	memset(&rq, 0, sizeof rq);
	sb_init(&body);
	rq.url = a->token_uri;
	rq.timeout_ms = a->timeout_ms;
	rq.max_body = TF_MAX_CREDENTIALS;
	fix = a->kind == GCP_CRED_SERVICE_ACCOUNT ? "check that the key is current (not deleted "
	    "or disabled) and the clock is right, or " SA_FIX :
	    a->kind == GCP_CRED_AUTHORIZED_USER ? AU_FIX :
	    a->kind == GCP_CRED_EXTERNAL_ACCOUNT ? STS_FIX :
	    "check the instance's service account and scopes";
	if (a->kind == GCP_CRED_METADATA) {
		rq.method = "GET";
		rq.headers = md_hdr;
		rq.connect_timeout_ms = 3000;   /* off GCE the name does not resolve or hangs */
	} else {
		rq.method = "POST";
		rq.headers = form_hdr;
		if (a->kind == GCP_CRED_SERVICE_ACCOUNT) {
			secret = gcp_jwt_assertion(a->key, a->key_id, a->client_email, a->scopes,
			    a->token_uri, (int64_t)time(NULL), err);
			if (secret == NULL)
				goto out;
			form_add(&body, "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer");
			form_add(&body, "assertion", secret);
		} else if (a->kind == GCP_CRED_EXTERNAL_ACCOUNT) {
			/* RFC 8693 as Google's STS takes it (google-auth's sts.py). */
			ep = "GCP STS";
			if ((secret = subject_token(a, err)) == NULL)
				goto out;
			form_add(&body, "grant_type", "urn:ietf:params:oauth:grant-type:token-exchange");
			form_add(&body, "audience", a->audience);
			form_add(&body, "scope", a->scopes);
			form_add(&body, "requested_token_type",
			    "urn:ietf:params:oauth:token-type:access_token");
			form_add(&body, "subject_token", secret);
			form_add(&body, "subject_token_type", a->subject_token_type);
			/* With client authentication the client identifies the project. */
			if (a->user_project != NULL && a->client_id == NULL) {
				json_object *op = json_object_new_object();

				json_object_object_add(op, "userProject",
				    json_object_new_string(a->user_project));
				opt = xstrdup(json_object_to_json_string_ext(op, JSON_C_TO_STRING_PLAIN));
				form_add(&body, "options", opt);
				free(opt);
				json_object_put(op);
			}
			if (a->client_id != NULL) {
				rq.basic_user = a->client_id;
				rq.basic_pass = a->client_secret;
			}
		} else {
			form_add(&body, "grant_type", "refresh_token");
			form_add(&body, "client_id", a->client_id);
			form_add(&body, "client_secret", a->client_secret);
			form_add(&body, "refresh_token", a->refresh_token);
		}
		rq.body = body.buf;
		rq.body_len = body.len;
	}
	if (token_call(a, &rq, ep, fix, &o, &len, &status, err) != 0)
		goto out;
	/* expires_in: a number, or (some STS-like services) a numeric string: json-c reads
	 * both. */
	tok = o != NULL ? jstr(o, "access_token") : NULL;
	if (tok == NULL || *tok == '\0' || !json_object_object_get_ex(o, "expires_in", &v) ||
	    (life = json_object_get_int64(v)) <= 0) {
		tf_err(err, "%s endpoint %s answered 200 without an access_token and a positive "
		    "expires_in (%zu bytes); credentials from %s", ep, u, len, a->what);
		goto out;
	}
	if (life > MAX_TOKEN_LIFE_S)
		life = MAX_TOKEN_LIFE_S;
	set_token(a, tok, life * 1000);
	rc = 0;
out:
	if (o != NULL && (tok = jstr(o, "access_token")) != NULL)
		OPENSSL_cleanse((char *)tok, strlen(tok));
	json_object_put(o);
	if (secret != NULL)
		free_secret(secret);
	OPENSSL_cleanse(body.buf != NULL ? body.buf : "", body.len);
	sb_free(&body);
	free(u);
	return rc;
}

/* IAM Credentials generateAccessToken for a->target with a->src's token (a->mu held). */
static int
impersonate(struct gcp_auth *a, char **err)
{
	static const char *json_hdr[] = { "Content-Type: application/json",
	    "Accept: application/json", NULL };
	struct http_req rq;
	json_object *req = json_object_new_object(), *sc, *dl, *o = NULL;
	const char *tok, *exp, *p;
	char *src_tok = NULL, *e2 = NULL, *fix, *lt, *u = url_for_msg(a->imp_url);
	int64_t exp_ms, life;
	size_t len, i, n;
	long status;
	int rc = -1;

	fix = xasprintf("the source credentials (%s) need roles/iam.serviceAccountTokenCreator on "
	    "%s (`gcloud iam service-accounts add-iam-policy-binding %s --member=PRINCIPAL "
	    "--role=roles/iam.serviceAccountTokenCreator`), and the project needs the IAM Service "
	    "Account Credentials API (iamcredentials.googleapis.com) enabled",
	    a->src->what, a->target, a->target);
	if (gcp_auth_token(a->src, &src_tok, &e2) != 0) {
		tf_err(err, "%s (the source of %s)", e2, a->what);
		free(e2);
		goto out;
	}
	sc = json_object_new_array();
	for (p = a->scopes; *p != '\0'; p += n) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > 0)
			json_object_array_add(sc, json_object_new_string_len(p, (int)n));
	}
	json_object_object_add(req, "scope", sc);
	lt = xasprintf("%lds", a->lifetime_s);
	json_object_object_add(req, "lifetime", json_object_new_string(lt));
	free(lt);
	dl = json_object_new_array();
	for (i = 0; a->delegates != NULL && a->delegates[i] != NULL; i++)
		json_object_array_add(dl, json_object_new_string(a->delegates[i]));
	json_object_object_add(req, "delegates", dl);
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = a->imp_url;
	rq.headers = json_hdr;
	rq.body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	rq.body_len = strlen(rq.body);
	rq.bearer = src_tok;
	rq.timeout_ms = a->timeout_ms;
	rq.max_body = TF_MAX_CREDENTIALS;
	if (token_call(a, &rq, "IAM Credentials generateAccessToken", fix, &o, &len, &status,
	    err) != 0) {
		/* The source token itself was refused: the next attempt gets a new one. */
		if (status == 401)
			gcp_auth_invalidate(a->src, src_tok);
		goto out;
	}
	tok = o != NULL ? jstr(o, "accessToken") : NULL;
	exp = o != NULL ? jstr(o, "expireTime") : NULL;
	if (tok == NULL || *tok == '\0' || exp == NULL || tf_parse_time(exp, &exp_ms) != 0 ||
	    (life = exp_ms - (int64_t)time(NULL) * 1000) <= 0) {
		tf_err(err, "IAM Credentials generateAccessToken endpoint %s answered 200 without an "
		    "accessToken and a future RFC 3339 expireTime (%zu bytes); credentials from %s",
		    u, len, a->what);
		goto out;
	}
	set_token(a, tok, life);
	rc = 0;
out:
	if (o != NULL && (tok = jstr(o, "accessToken")) != NULL)
		OPENSSL_cleanse((char *)tok, strlen(tok));
	json_object_put(o);
	json_object_put(req);
	free_secret(src_tok);
	free(fix);
	free(u);
	return rc;
}

/* Ask for a new token (a->mu held). */
static int
fetch_token(struct gcp_auth *a, char **err)
{
	return a->imp_url != NULL ? impersonate(a, err) : grant(a, err);
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
	return v + (a->src != NULL ? gcp_auth_token_requests(a->src) : 0);
}
