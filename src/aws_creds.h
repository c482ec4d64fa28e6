/* aws_creds: AWS credentials the way the SDKs find them, refreshed before they expire, and
 * the endpoints of AWS services with their overrides.
 *
 * Chain (botocore's order, wire-formats.md §3): environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); the profile (AWS_PROFILE or the one given, else
 * "default") in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials)
 * and config file (AWS_CONFIG_FILE, ~/.aws/config, sections "[profile x]"): static keys,
 * credential_process, role_arn with source_profile or credential_source through STS
 * AssumeRole, web_identity_token_file, IAM Identity Center (SSO: sso_session with an
 * [sso-session NAME] section, or the legacy sso_start_url; the AWS CLI's token cache
 * ~/.aws/sso/cache, refreshed through SSO OIDC; GetRoleCredentials on the portal,
 * AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC override the endpoints; botocore's place:
 * after web identity, before the credentials file's keys); web identity from the environment
 * (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+ AWS_ROLE_SESSION_NAME]); container
 * credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]); EC2 instance metadata (IMDSv2 token first;
 * AWS_EC2_METADATA_SERVICE_ENDPOINT overrides the address, AWS_EC2_METADATA_DISABLED=true
 * skips it).
 *
 * Threads: a struct aws_creds may be shared; aws_creds_get locks it. Secrets are never
 * logged: errors name the source and the file, not the values. */
#ifndef TFDRIFT_AWS_CREDS_H
#define TFDRIFT_AWS_CREDS_H

#include <stdint.h>

#include "http.h"

/* Keys handed to a caller (owned copies); keys points into them for http_req.aws. */
struct aws_keys_buf {
	char *access_key_id, *secret_access_key, *session_token;
	int64_t expires_ms;             /* 0: does not expire */
	struct aws_keys keys;
};
void aws_keys_buf_clear(struct aws_keys_buf *b);     /* frees (and wipes) the strings */

struct aws_creds;

struct aws_creds_opts {
	const char *profile;            /* NULL: AWS_PROFILE, AWS_DEFAULT_PROFILE, else "default".
	                                 * Given explicitly, it also skips the environment keys
	                                 * (botocore does the same). */
	const char *region;             /* for STS calls; NULL: aws_region_default() / us-east-1 */
};

/* The chain. Resolution happens on the first aws_creds_get (so a missing source is reported
 * when it is needed, with the whole list of what was tried). */
struct aws_creds *aws_creds_new(const struct aws_creds_opts *o);
/* Fixed keys (tests; an explicit configuration). */
struct aws_creds *aws_creds_static(const char *akid, const char *secret, const char *token);
void aws_creds_free(struct aws_creds *c);
/* Current keys, refreshed when they expire within 5 minutes. 0, or -1 with *err (which says
 * what was tried and what to do). */
int aws_creds_get(struct aws_creds *c, struct aws_keys_buf *out, char **err);
/* Drop cached keys (after a 403 ExpiredToken): the next get resolves again. */
void aws_creds_invalidate(struct aws_creds *c);
/* Where the keys came from: "environment", "profile prod in FILE", "assume-role ARN (profile
 * x)", "web identity ARN", "container URL", "EC2 instance metadata role R". Valid until the next
 * aws_creds_get that changes the source, or aws_creds_free. */
const char *aws_creds_source(struct aws_creds *c);

/* ---- aws_call: one signed AWS request, with retries and the expired-token refresh ----
 * http_call (http.h) with the keys of creds fetched before every attempt and wiped after it,
 * SigV4 for region and service. A response that says the session token expired
 * (ExpiredToken, ExpiredTokenException, TokenRefreshRequired, in the body or the error
 * header) drops the cached keys (aws_creds_invalidate) and sends the request again at once
 * with new ones: once per call, counted in retry.retries, not an attempt. When the new keys
 * are expired too, the response goes to the caller's judge; if that refuses it, its message
 * gets " (refreshed once; the new keys are expired too)". The caller's retry policy, hooks
 * (its prepare runs before the keys are fetched: a rate limit) and counters are in `retry`;
 * a judge of NULL hands over every response that is not retryable. Keys that cannot be had
 * end the call HTTP_END_PREPARE with "no AWS credentials: ..." (the chain's own message
 * when it says that already). Secrets are never in a message. */
struct aws_call {
	struct aws_creds *creds;
	const char *region, *service;   /* SigV4 scope */
	const char *ca_file;            /* aws_ca_bundle's, or NULL */
	struct http_retry retry;        /* policy, hooks, counters; out: end, attempt */
	/* out */
	char access_key_id[128];        /* the last attempt's (not a secret; "" before one) */
	int refreshed;                  /* the keys were refreshed during the call */
};
/* http_call's return: 0 with *rs, -1 with *err, -2 stopping. */
int aws_call(struct http *h, struct aws_call *c, struct http_req *rq, struct http_resp *rs,
    char **err);
/* Does this response say the session token expired? */
int aws_expired_token(const struct http_resp *rs);

/* The region a caller should use when its configuration names none: AWS_REGION, then
 * AWS_DEFAULT_REGION, then the profile's `region` in the config file (profile NULL: the
 * selected one, see aws_creds_opts), else NULL. Heap string. */
char *aws_region_default(const char *profile);

/* The base URL of a service, resolved the way the AWS SDKs do ("Service-specific endpoints"
 * in the AWS SDKs and Tools Reference Guide): `configured` (tfdrift's own setting) when
 * given, else AWS_ENDPOINT_URL_<ID> (ID as the SDKs spell it: CLOUDTRAIL, S3, SQS, STS, SSO,
 * SSO_OIDC), else AWS_ENDPOINT_URL, else in the config file (AWS_CONFIG_FILE, ~/.aws/config)
 * the profile's `services = NAME` section [services NAME] with "<id in lower case> =" and an
 * indented "endpoint_url = URL", else the profile's `endpoint_url`; none of these three
 * levels when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or the profile's
 * ignore_configured_endpoint_urls is true. Else https://<host>[-fips].<region>.<dns suffix>
 * of the region's partition, -fips when AWS_USE_FIPS_ENDPOINT or the profile's
 * use_fips_endpoint is true (GovCloud's CloudTrail, SQS and STS hosts are FIPS already).
 * Always regional (us-east-1 STS and S3 too, as AWS_STS_REGIONAL_ENDPOINTS=regional).
 * profile NULL: the selected one (aws_creds_opts). No trailing slash. Heap string, or NULL
 * with *err (a setting that is not true/false; FIPS where the partition has none). */
char *aws_endpoint(const char *profile, const char *env_id, const char *host_prefix,
    const char *region, const char *configured, char **err);

/* A partition: regions starting with prefix (cn-, us-gov-, us-iso-, ...), their DNS suffix,
 * the partition's name in ARNs (arn:aws-cn:...) and the region where CloudTrail logs its
 * global services (IAM, STS, ...): us-east-1, cn-north-1, us-gov-west-1. */
struct aws_partition {
	const char *name, *prefix, *dns_suffix, *global_region;
};
/* The region's partition ("aws" for NULL and every region of no other). */
const struct aws_partition *aws_partition(const char *region);

/* The CA bundle every AWS request of a profile trusts: AWS_CA_BUNDLE, else the profile's
 * ca_bundle in the config file (profile NULL: the selected one). 0 with *path (NULL: the
 * system's CAs); -1 with *err naming the file and the setting when it cannot be read or
 * holds no PEM certificate. */
int aws_ca_bundle(const char *profile, char **path, char **err);
/* The profile a chain was made for (NULL: the selected one). */
const char *aws_creds_profile(const struct aws_creds *c);

/* Test hooks (environment variables, for tests):
 *   TFDRIFT_AWS_REFRESH_WINDOW_MS     refresh temporary keys this long before they expire
 *                                     (default 300000: 5 minutes)
 *   TFDRIFT_AWS_PROCESS_TIMEOUT_MS    credential_process time limit (default 60000)
 * Temporary keys still valid when a refresh fails are kept until they really expire.
 *
 * Locks: mu guards the cached keys and the source name (held briefly, never over I/O);
 * refresh_mu serialises refreshes (held over the network calls), so one thread refreshes while
 * the others keep using keys that have not expired yet, or wait when they have. */

/* The pure parts, exported for the unit tests. */
/* The value of `key` (case-insensitive) in section `[section]` of an ini text (the exact
 * section name, e.g. "default", "profile prod", "prod"); lines indented under a key are that
 * key's nested sub-section and are skipped. *found (may be NULL) is set to 1 when the section
 * exists. Heap string or NULL. */
char *aws_ini_get(const char *text, const char *section, const char *key, int *found);
/* The value of `sub` in the nested sub-section under `key` of [section]
 * ("cloudtrail =\n  endpoint_url = URL"). Heap string or NULL. */
char *aws_ini_get_sub(const char *text, const char *section, const char *key, const char *sub);
/* Split a command line the way botocore does (Python shlex.split, POSIX mode): whitespace
 * separates, '...' is literal, "..." knows \" and \\, a backslash outside quotes escapes
 * the next character. 0 with a NULL-terminated heap argv (free with aws_argv_free), or -1
 * with *err. */
int aws_split_command(const char *line, char ***argv, char **err);
void aws_argv_free(char **argv);
/* The text of the first <name>...</name> in xml (entities decoded), or NULL. */
char *aws_xml_text(const char *xml, const char *name);
/* An STS response (AssumeRole, AssumeRoleWithWebIdentity): the Credentials into out, 0; or -1
 * with *err ("STS SignatureDoesNotMatch: message" for an <Error>). */
int aws_sts_parse(const char *xml, struct aws_keys_buf *out, char **err);
/* An Expiration value (ISO 8601 / RFC 3339, with or without fraction, Z or an offset). */
int aws_parse_expiration(const char *s, int64_t *ms);
/* The IAM Identity Center token cache file the AWS CLI writes for an sso-session name (or,
 * for a legacy profile, its sso_start_url): HOME/.aws/sso/cache/<sha1 hex>.json. Heap. */
char *aws_sso_cache_path(const char *home, const char *session_or_url);
/* The container credentials URL from the environment (RELATIVE: http://169.254.170.2<uri>;
 * FULL: checked to be https, loopback or an allowed host). Heap string; NULL with *err
 * (NULL too, *err unset, when neither variable is set). */
char *aws_container_url(char **err);

#ifdef TFDRIFT_FUZZING
/* Fuzzing builds only (tests/fuzz): credential_process never starts the command a fuzzed
 * profile names; this hook plays it instead, writing its standard output and error into
 * out and errout and returning its exit status (-1: it cannot be started; a NULL hook is
 * the same). Token files (web identity, container authorization) are read only under
 * $TFDRIFT_FUZZ_DIR. */
extern int (*aws_fuzz_process)(char *const *argv, struct strbuf *out, struct strbuf *errout);
#endif

#endif
