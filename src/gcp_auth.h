/* gcp_auth: Google Application Default Credentials as a bearer token source, for the Cloud
 * Logging poller and the GCS state backend (wire-formats.md §4.4, §6.2).
 *
 * Order (google-auth's _default.py):
 *   1. GOOGLE_APPLICATION_CREDENTIALS names a JSON file (an error when it cannot be used:
 *      no silent fall-through to other credentials);
 *   2. the gcloud ADC file, $CLOUDSDK_CONFIG/application_default_credentials.json or
 *      ~/.config/gcloud/application_default_credentials.json;
 *   3. the metadata server (GCE_METADATA_HOST, legacy GCE_METADATA_ROOT, overrides
 *      metadata.google.internal; always asked with `Metadata-Flavor: Google`).
 * File types (the "type" field):
 *   service_account     a JWT assertion signed RS256 by OpenSSL, exchanged at the file's
 *                       `token_uri`;
 *   authorized_user     refresh_token grant at the file's `token_uri` when present, else
 *                       https://oauth2.googleapis.com/token (google-auth reads the same key);
 *   impersonated_service_account   (`gcloud auth application-default login
 *                       --impersonate-service-account`) a token of `source_credentials` (an
 *                       authorized_user or service_account object; a service account asks for
 *                       the https://www.googleapis.com/auth/iam scope, as google-auth does) is
 *                       the bearer of a POST to `service_account_impersonation_url`
 *                       (.../projects/-/serviceAccounts/EMAIL:generateAccessToken) with
 *                       {"scope":[...],"lifetime":"3600s","delegates":[...]}; the answer's
 *                       accessToken is used until its expireTime (RFC 3339);
 *   external_account    workload/workforce identity federation: a subject token read from
 *                       `credential_source.file` or fetched (GET, with
 *                       `credential_source.headers`) from `credential_source.url`, as text
 *                       (trailing white space dropped) or as the string field
 *                       `format.subject_token_field_name` of a JSON document, is exchanged at
 *                       `token_url` (default https://sts.googleapis.com/v1/token; RFC 8693
 *                       form: grant_type token-exchange, requested_token_type access_token,
 *                       audience, scope, subject_token_type, subject_token, and
 *                       options={"userProject":P} for a workforce pool's
 *                       `workforce_pool_user_project` unless `client_id` is set; `client_id`
 *                       and `client_secret` are sent as HTTP Basic auth). With
 *                       `service_account_impersonation_url` the STS token (scope
 *                       cloud-platform) is then the bearer of a generateAccessToken call as
 *                       above, lifetime `service_account_impersonation.token_lifetime_seconds`
 *                       (default 3600). Executable (`credential_source.executable`), AWS
 *                       (`environment_id`) and X.509 (`certificate`) sources are refused with
 *                       an error naming the field.
 * Test hooks: `token_uri`, `token_url`, `service_account_impersonation_url` and
 * `credential_source.url` point the requests at loopback mocks; GCE_METADATA_HOST points at a
 * mock metadata server; TFDRIFT_GCP_TOKEN_EARLY_S (seconds, default 300) is how long before
 * expiry a cached token is replaced.
 *
 * Tokens are cached and replaced `early` seconds before they expire (when a token lives
 * less than twice that, at half its life); an impersonated token's source token is cached
 * the same way, by its own struct. Errors name the file, the field and what to do; they never
 * carry the private key, the assertion, a token (access, STS or subject), the client secret,
 * the refresh token or a credential_source header value.
 *
 * Threads: every function is thread-safe; one mutex (gcp_auth.mu) guards the cache, the
 * counters and the HTTP handle used for token requests (token requests are serialised, so
 * many threads asking at once cause one request). An impersonating struct holds its mutex
 * while it asks its source struct (lock order: outer, then source; never the reverse). */
#ifndef TFDRIFT_GCP_AUTH_H
#define TFDRIFT_GCP_AUTH_H

#include <stdint.h>
#include <openssl/evp.h>

#include "source.h"

/* Read-only Logging plus read-only GCS: what the poller and the GCS backend need. */
#define GCP_DEFAULT_SCOPES "https://www.googleapis.com/auth/logging.read " \
	"https://www.googleapis.com/auth/devstorage.read_only"
#define GCP_DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define GCP_DEFAULT_STS_URL "https://sts.googleapis.com/v1/token"
#define GCP_CLOUD_PLATFORM_SCOPE "https://www.googleapis.com/auth/cloud-platform"
#define GCP_IAM_SCOPE "https://www.googleapis.com/auth/iam"

struct gcp_auth_opts {
	const char *scopes;             /* space-separated; NULL: GCP_DEFAULT_SCOPES */
	const char *credentials_file;   /* a key/ADC file; NULL: the ADC order above */
	long timeout_ms;                /* per token request; 0: 30 s (metadata connect: 3 s) */
};

enum gcp_cred_kind { GCP_CRED_SERVICE_ACCOUNT, GCP_CRED_AUTHORIZED_USER, GCP_CRED_METADATA,
	GCP_CRED_IMPERSONATED, GCP_CRED_EXTERNAL_ACCOUNT };

struct gcp_auth;

/* Resolve credentials (reads and checks the file, loads the private key; does not ask for a
 * token yet). NULL with *err ("FILE: field X ...: what to do"). */
struct gcp_auth *gcp_auth_new(const struct gcp_auth_opts *o, char **err);
void gcp_auth_free(struct gcp_auth *a);

/* A cached token (heap copy), fetched or refreshed when needed. 0, or -1 with *err. */
int gcp_auth_token(struct gcp_auth *a, char **token, char **err);
/* An API refused `token` (401): forget it if it is still the cached one, so the next
 * gcp_auth_token asks for a new one. ctx is the struct gcp_auth. */
void gcp_auth_invalidate(void *ctx, const char *token);
/* As a struct token_source (ctx = a). */
struct token_source gcp_auth_token_source(struct gcp_auth *a);

/* Where the credentials come from: "service_account FILE (client_email)",
 * "authorized_user FILE", "metadata server URL", "impersonated_service_account FILE (EMAIL
 * via authorized_user)", "external_account FILE (subject token from file PATH, STS URL[,
 * impersonating EMAIL])". Borrowed. */
const char *gcp_auth_describe(const struct gcp_auth *a);
enum gcp_cred_kind gcp_auth_kind(const struct gcp_auth *a);
/* project_id (service account) or quota_project_id (the other file types) from the file, or
 * NULL.
 * Callers send x-goog-user-project: gcp_auth_quota_project() when it is non-NULL. */
const char *gcp_auth_project(const struct gcp_auth *a);
const char *gcp_auth_quota_project(const struct gcp_auth *a);
/* Wall-clock expiry (ms) of the cached token, 0 when none; HTTP requests made for tokens so
 * far (every hop: subject token URL, STS, source token, generateAccessToken). */
int64_t gcp_auth_expiry_ms(struct gcp_auth *a);
uint64_t gcp_auth_token_requests(struct gcp_auth *a);

/* Pure parts, exposed for tests. */
char *gcp_b64url(const void *p, size_t n);      /* base64url without padding; heap */
/* The signed JWT bearer assertion: header {"alg":"RS256","typ":"JWT","kid":kid}, claims
 * iss, scope, aud, iat, exp = iat + 3600. Heap string, or NULL with *err. */
char *gcp_jwt_assertion(EVP_PKEY *key, const char *kid, const char *iss, const char *scope,
    const char *aud, int64_t iat, char **err);

#endif
