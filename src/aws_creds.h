/* aws_creds: AWS credentials the way the SDKs find them, refreshed before they expire, and
 * the endpoints of AWS services with their overrides.
 *
 * Chain (botocore's order, wire-formats.md §3): environment (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); the profile (AWS_PROFILE or the one given, else
 * "default") in the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, ~/.aws/credentials)
 * and config file (AWS_CONFIG_FILE, ~/.aws/config, sections "[profile x]"): static keys,
 * credential_process, role_arn with source_profile or credential_source through STS
 * AssumeRole, web_identity_token_file; web identity from the environment
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
	const char *profile;            /* NULL: AWS_PROFILE, else "default" */
	const char *region;             /* for STS calls; NULL: AWS_REGION / the profile's / us-east-1 */
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
/* Where the keys came from: "environment", "profile prod", "assume-role arn:...", ... */
const char *aws_creds_source(struct aws_creds *c);

/* The base URL of a service: `configured` when given, else AWS_ENDPOINT_URL_<ID> (ID like
 * CLOUDTRAIL, S3, SQS, STS), else AWS_ENDPOINT_URL, else https://<host>.<region>.amazonaws.com
 * (us-east-1 STS and global endpoints as AWS names them). No trailing slash. Heap string. */
char *aws_endpoint(const char *env_id, const char *host_prefix, const char *region,
    const char *configured);

#endif
