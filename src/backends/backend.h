/* backend: read Terraform state from wherever it lives (a local file, S3, GCS, Terraform's
 * HTTP backend, HCP Terraform / Terraform Enterprise) with one API, downloading only when the
 * state changed (wire-formats.md §5, §6).
 *
 * Specs (state_src_new):
 *   ./terraform.tfstate, /abs/path, file:///abs/path        a local file
 *   s3://BUCKET/KEY[?region=R&workspace=WS&workspace_key_prefix=P&endpoint=URL&profile=NAME]
 *       the default workspace reads KEY; another reads P/WS/KEY (P defaults to Terraform's
 *       "env:", so env:/staging/KEY); endpoint (percent-encoded in the spec) switches to
 *       path-style URLs ENDPOINT/BUCKET/KEY
 *   gs://BUCKET[/PREFIX][?workspace=WS]                      reads PREFIX/WS.tfstate (WS "default")
 *   http://... https://...                                   Terraform's HTTP backend; basic auth
 *       from TF_HTTP_USERNAME / TF_HTTP_PASSWORD only (a user:password@ in the spec is refused)
 *   tfc://ORG/WORKSPACE                                      HCP Terraform (app.terraform.io)
 *   tfe://HOST/ORG/WORKSPACE                                 Terraform Enterprise
 * The options struct wins over the spec's query options.
 *
 * Change detection (state_src_fetch sets *unchanged and hands over nothing when the last
 * fetched state is still current): local: mtime + size, then (lineage, serial); S3: the
 * ETag sent back in If-None-Match (304); GCS: the object metadata's generation, compared
 * before the ?alt=media download; HTTP backend: If-None-Match when the server sent an ETag,
 * else the body's MD5; HCP: the current state version's id, compared before the download.
 *
 * Ownership: a fetch hands a NEW heap buffer to the caller or nothing. The API never frees,
 * replaces or looks at a buffer it handed over before, so on any failure (transport, auth, a
 * missing object, a truncated body the caller fails to parse) the caller keeps its last good
 * copy. A caller that rejects a body (tfstate_parse failed) calls state_src_reject() so the
 * next fetch downloads again instead of reporting "unchanged".
 *
 * Threads: a struct state_src is driven by one thread (state_src_fetch, state_src_reject,
 * state_src_free); state_src_describe may be called from any thread: the fields it reports
 * are guarded by the source's own mutex. Secrets (AWS secret keys, bearer tokens, basic-auth
 * passwords) are never put in errors, descriptions or traces.
 *
 * Layout: backend.c dispatches through a table of const struct backend_ops (backend_int.h),
 * one file per backend: backend_local.c, backend_s3.c, backend_gcs.c, backend_http.c,
 * backend_hcp.c. A new backend is its own file, one line in backend.c's table and its
 * state_kind here. */
#ifndef TFDRIFT_BACKEND_H
#define TFDRIFT_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "aws_creds.h"
#include "source.h"

enum state_kind {
	STATE_LOCAL,
	STATE_S3,
	STATE_GCS,
	STATE_HTTP,
	STATE_HCP,
};

struct state_src_opts {
	/* S3 */
	struct aws_creds *aws;          /* borrowed; NULL: aws_creds_new() with the profile */
	const char *region;             /* NULL: ?region=, AWS_REGION, AWS_DEFAULT_REGION, us-east-1 */
	const char *endpoint;           /* S3 endpoint override (path-style); NULL: ?endpoint=,
	                                 * else aws_endpoint("S3", "s3", region, NULL), virtual-hosted */
	const char *profile;            /* NULL: ?profile= (only used when aws is NULL) */
	const char *workspace;          /* S3, GCS: NULL: ?workspace=, else "default" */
	const char *workspace_key_prefix; /* S3: NULL: ?workspace_key_prefix=, else "env:" */
	/* GCS */
	struct token_source gcs_token;  /* required for gs:// (get == NULL: an error at fetch) */
	const char *gcs_base_url;       /* NULL: https://storage.googleapis.com */
	/* HCP Terraform / TFE */
	const char *hcp_base_url;       /* NULL: https://HOST (tests point it at a mock) */
	/* all remote kinds */
	long timeout_ms;                /* per request; 0: http.c's default (30 s) */
	unsigned retries;               /* extra attempts on 5xx/429/transport errors; 0: 2 */
};

struct state_src;

/* Parse spec and prepare a source (no I/O yet). NULL with *err on a bad spec. */
struct state_src *state_src_new(const char *spec, const struct state_src_opts *o, char **err);
void state_src_free(struct state_src *s);

/* Fetch the state if it changed. 0 on success: either *unchanged = 1 (nothing handed over,
 * *buf = NULL) or *unchanged = 0 with *buf a heap buffer of *len bytes (NUL-terminated; the
 * caller frees it). -1 with *err otherwise ("no state at s3://b/k (NoSuchKey)", ...). */
int state_src_fetch(struct state_src *s, char **buf, size_t *len, int *unchanged, char **err);
/* The caller could not use the last body handed over (it did not parse): forget its version
 * key so the next fetch downloads again, and record why for state_src_describe. */
void state_src_reject(struct state_src *s, const char *why);

/* What the Sources view shows. Strings are heap copies: free with state_src_info_clear. */
struct state_src_info {
	const char *kind;               /* "local", "s3", "gcs", "http", "hcp" (static) */
	char *location;                 /* path, s3://b/key, gs://b/object, URL (no credentials), tfc://org/ws */
	char *version;                  /* ETag, generation, MD5, state-version id; NULL before a fetch */
	uint64_t serial;                /* of the last state handed over (0 unknown) */
	char *lineage;                  /* NULL unknown */
	int64_t last_fetch_ms;          /* wall clock, 0 never */
	/* When the state last changed, as its backend tells it: a local file's mtime, S3's and
	 * the HTTP backend's Last-Modified, GCS `updated`, HCP's state version `created-at`;
	 * else (or if that is later) the fetch that saw the change. 0 before one. */
	int64_t last_change_ms;
	char *last_error;               /* NULL when the last fetch succeeded */
	uint64_t fetches, downloads, unchanged, errors, bytes;  /* bytes: bodies received */
};
void state_src_describe(struct state_src *s, struct state_src_info *out);
void state_src_info_clear(struct state_src_info *in);
enum state_kind state_src_kind(const struct state_src *s);

/* Pure helpers, exported for the unit tests. */
/* The S3 object key Terraform uses for a workspace ("default" or NULL: key itself). Heap. */
char *state_s3_key(const char *key, const char *workspace, const char *prefix);
/* The URL of an S3 object under base (aws_endpoint's, e.g. https://s3.eu-west-1.amazonaws.com):
 * vhost: https://BUCKET.s3.eu-west-1.amazonaws.com/ENCKEY (AWS's own hosts), else and for a
 * dotted bucket (the TLS wildcard) path-style BASE/BUCKET/ENCKEY. Heap. */
char *state_s3_url(const char *bucket, const char *key, const char *base, int vhost);
/* The GCS object name for a prefix and workspace: "a/b/ws.tfstate", "ws.tfstate". Heap. */
char *state_gcs_object(const char *prefix, const char *workspace);
/* Top-level "serial" and "lineage" of a state without parsing all of it (lineage: heap or
 * NULL). 0 when both were found, -1 otherwise. */
int state_peek(const char *buf, size_t len, uint64_t *serial, char **lineage);
/* The TF_TOKEN_ variable name for a host: dots become _, hyphens __. Heap. */
char *state_hcp_token_env(const char *host);

#endif
