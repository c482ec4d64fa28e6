/* Unit tests for src/backends: spec parsing (every form and its errors), S3 workspace keys
 * and their encoding, GCS object names, the cheap serial/lineage peek, TF_TOKEN_ names, and
 * local-file change detection (mtime + size, then lineage + serial) and change time (mtime). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "backends/backend.h"
#include "tap.h"
#include "util.h"

/* Parse spec; return the described location (heap) or "ERR: message". */
static char *
loc(const char *spec, const struct state_src_opts *o)
{
	struct state_src *s;
	struct state_src_info in;
	char *err = NULL, *r;

	if ((s = state_src_new(spec, o, &err)) == NULL) {
		r = xasprintf("ERR: %s", err);
		free(err);
		return r;
	}
	state_src_describe(s, &in);
	r = xasprintf("%s %s", in.kind, in.location);
	state_src_info_clear(&in);
	state_src_free(s);
	return r;
}

#define LOC(spec, o, want, name) do { \
	char *_l = loc(spec, o); \
	is_str(_l, want, name); \
	free(_l); \
} while (0)

#define LOC_ERR(spec, o, pat, name) do { \
	char *_l = loc(spec, o); \
	ok(strncmp(_l, "ERR: ", 5) == 0 && strstr(_l, pat) != NULL, "%s", name); \
	if (strstr(_l, pat) == NULL) diag("got: %s", _l); \
	free(_l); \
} while (0)

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

/* The file's modification time, to the second (utimes, as `touch -d` would). */
static void
set_mtime(const char *path, time_t t)
{
	struct timeval tv[2] = { { t, 0 }, { t, 0 } };

	if (utimes(path, tv) != 0)
		diag("utimes %s failed", path);
}

static void
changed_ms(struct state_src *src, int64_t *change, int64_t *fetch)
{
	struct state_src_info in;

	state_src_describe(src, &in);
	*change = in.last_change_ms;
	*fetch = in.last_fetch_ms;
	state_src_info_clear(&in);
}

int
main(void)
{
	struct aws_creds *aws = aws_creds_static("AKIDTEST", "not-a-real-secret", NULL);
	struct state_src_opts o;
	char *s, *lin = NULL, *err = NULL, dir[] = "/tmp/tfdrift-backend-XXXXXX", path[256];
	uint64_t serial;
	struct state_src *src;
	char *buf;
	size_t len;
	int unch;
	time_t yesterday;
	int64_t change, fetch;

	memset(&o, 0, sizeof o);
	o.aws = aws;
	unsetenv("TFDRIFT_NOW");        /* change times are compared with the real clock */
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_S3");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");

	/* S3 keys: Terraform's workspace layout. */
	s = state_s3_key("prod/terraform.tfstate", NULL, NULL);
	is_str(s, "prod/terraform.tfstate", "default workspace: the key itself");
	free(s);
	s = state_s3_key("prod/terraform.tfstate", "default", "env:");
	is_str(s, "prod/terraform.tfstate", "workspace \"default\": the key itself");
	free(s);
	s = state_s3_key("prod/terraform.tfstate", "staging", NULL);
	is_str(s, "env:/staging/prod/terraform.tfstate", "other workspace: env:/WS/KEY");
	free(s);
	s = state_s3_key("k.tfstate", "staging", "");
	is_str(s, "staging/k.tfstate", "empty workspace_key_prefix: WS/KEY");
	free(s);
	s = state_s3_key("k.tfstate", "qa", "workspaces");
	is_str(s, "workspaces/qa/k.tfstate", "custom workspace_key_prefix");
	free(s);

	/* S3 URLs: the key percent-encoded (curl 7.88 signs the path verbatim). */
	s = state_s3_url("b", "env:/staging/a b/t.tfstate", "http://127.0.0.1:9000/", 0);
	is_str(s, "http://127.0.0.1:9000/b/env%3A/staging/a%20b/t.tfstate",
	    "endpoint override: path-style, env: encoded as env%%3A");
	free(s);
	s = state_s3_url("my-state", "prod/terraform.tfstate",
	    "https://s3.eu-west-1.amazonaws.com", 1);
	is_str(s, "https://my-state.s3.eu-west-1.amazonaws.com/prod/terraform.tfstate",
	    "AWS: virtual-hosted");
	free(s);
	s = state_s3_url("my.state", "k", "https://s3.us-west-2.amazonaws.com", 1);
	is_str(s, "https://s3.us-west-2.amazonaws.com/my.state/k", "dotted bucket: path-style");
	free(s);
	s = state_s3_url("b", "k+~x", "https://s3-fips.cn-north-1.amazonaws.com.cn/", 1);
	is_str(s, "https://b.s3-fips.cn-north-1.amazonaws.com.cn/k%2B~x",
	    "virtual-hosted on any base; + encoded");
	free(s);

	/* GCS object names. */
	s = state_gcs_object("envs/prod", NULL);
	is_str(s, "envs/prod/default.tfstate", "gcs: PREFIX/default.tfstate");
	free(s);
	s = state_gcs_object("/envs/prod/", "staging");
	is_str(s, "envs/prod/staging.tfstate", "gcs: leading/trailing / dropped");
	free(s);
	s = state_gcs_object("", "default");
	is_str(s, "default.tfstate", "gcs: empty prefix");
	free(s);

	/* HCP token variable names. */
	s = state_hcp_token_env("app.terraform.io");
	is_str(s, "TF_TOKEN_app_terraform_io", "TF_TOKEN_ for app.terraform.io");
	free(s);
	s = state_hcp_token_env("tfe.my-corp.example");
	is_str(s, "TF_TOKEN_tfe_my__corp_example", "hyphens become __");
	free(s);

	/* Spec forms. */
	LOC("./terraform.tfstate", &o, "local ./terraform.tfstate", "local relative path");
	LOC("/srv/x.tfstate", NULL, "local /srv/x.tfstate", "local absolute path");
	LOC("file:///srv/x.tfstate", NULL, "local /srv/x.tfstate", "file:// URL");
	LOC("s3://bkt/prod/terraform.tfstate", &o, "s3 s3://bkt/prod/terraform.tfstate", "s3 key");
	LOC("s3://bkt/prod/terraform.tfstate?workspace=staging&region=eu-west-1", &o,
	    "s3 s3://bkt/env:/staging/prod/terraform.tfstate", "s3 ?workspace= gives env:/WS/KEY");
	LOC("s3://bkt/k.tfstate?workspace=qa&workspace_key_prefix=ws", &o,
	    "s3 s3://bkt/ws/qa/k.tfstate", "s3 ?workspace_key_prefix=");
	LOC("s3://bkt/k.tfstate?endpoint=http%3A%2F%2F127.0.0.1%3A9000&profile=prod", NULL,
	    "s3 s3://bkt/k.tfstate", "s3 ?endpoint= (encoded) and ?profile=");
	o.workspace = "opt";
	LOC("s3://bkt/k.tfstate?workspace=spec", &o, "s3 s3://bkt/env:/opt/k.tfstate",
	    "options win over the spec's query");
	o.workspace = NULL;
	LOC("gs://bkt/envs/prod", &o, "gcs gs://bkt/envs/prod/default.tfstate", "gs:// prefix");
	LOC("gs://bkt/envs/prod?workspace=staging", &o, "gcs gs://bkt/envs/prod/staging.tfstate",
	    "gs:// ?workspace=");
	LOC("gs://bkt", &o, "gcs gs://bkt/default.tfstate", "gs:// bucket only");
	LOC("https://state.example/tf/prod?x=1&token=abc", &o,
	    "http https://state.example/tf/prod?x=1&token=REDACTED",
	    "http backend; a token in the query is not shown");
	LOC("tfc://acme/prod-net", &o, "hcp tfc://acme/prod-net", "tfc://ORG/WS");
	LOC("tfe://tfe.corp.example/acme/prod", &o, "hcp tfe://tfe.corp.example/acme/prod",
	    "tfe://HOST/ORG/WS");

	/* Errors. */
	LOC_ERR("", &o, "empty state source", "empty spec");
	LOC_ERR("s3://", &o, "no bucket", "s3 without a bucket");
	LOC_ERR("s3://bkt", &o, "no key", "s3 without a key");
	LOC_ERR("s3://bkt/", &o, "no key", "s3 with an empty key");
	LOC_ERR("s3://bkt/?region=x", &o, "no key", "s3 with only a query");
	LOC_ERR("s3://b*t/k", &o, "bad character", "s3 bad bucket name");
	LOC_ERR("s3://bkt/k?regoin=eu-west-1", &o, "unknown option 'regoin' (known: region",
	    "s3 unknown option, known ones listed");
	LOC_ERR("s3://bkt/k?region", &o, "needs a value", "s3 option without =");
	LOC_ERR("s3://bkt/k?endpoint=%zz", &o, "bad %-escape", "s3 bad escape");
	LOC_ERR("s3://bkt/k?workspace=a/b", &o, "bad workspace", "s3 workspace with /");
	LOC_ERR("s3://bkt/k?endpoint=127.0.0.1:9000", &o, "not an http(s):// URL",
	    "s3 endpoint without a scheme");
	LOC_ERR("gs://", &o, "no bucket", "gs without a bucket");
	LOC_ERR("gs://bkt/envs/prod/default.tfstate", &o, "names the backend's prefix",
	    "gs with an object name instead of a prefix");
	LOC_ERR("gs://bkt/p?workspace=", &o, "bad workspace", "gs empty workspace");
	LOC_ERR("https://user:pw@state.example/x", &o, "TF_HTTP_USERNAME",
	    "http: credentials in the URL refused");
	{
		char *l = loc("https://user:hunter2@state.example/x", &o);

		ok(strstr(l, "hunter2") == NULL, "the refused URL's password is not repeated");
		free(l);
	}
	LOC_ERR("http:///x", &o, "no host", "http without a host");
	LOC_ERR("tfc://acme", &o, "tfc://ORGANIZATION/WORKSPACE", "tfc with one part");
	LOC_ERR("tfc://acme/ws/extra", &o, "tfc://ORGANIZATION/WORKSPACE", "tfc with three parts");
	LOC_ERR("tfc://acme/", &o, "workspace", "tfc empty workspace");
	LOC_ERR("tfe://host/acme", &o, "tfe://HOST/ORGANIZATION/WORKSPACE", "tfe with two parts");
	LOC_ERR("ftp://x/y", &o, "unknown state source", "unknown scheme");
	LOC_ERR("file://relative", &o, "absolute path", "file:// needs an absolute path");

	/* Peek at serial and lineage. */
	ok(state_peek("{\"version\":4,\"terraform_version\":\"1.5.0\",\"serial\":12,"
	    "\"lineage\":\"abc-1\",\"resources\":[]}", 80, &serial, &lin) == 0 && serial == 12 &&
	    lin != NULL && strcmp(lin, "abc-1") == 0, "peek: serial and lineage");
	free(lin);
	s = "{ \"outputs\": {\"serial\": 99, \"x\": \"\\\"lineage\\\"\"},\n \"resources\": "
	    "[{\"serial\": 1}], \"lineage\" : \"L\", \"serial\" : 7 }";
	ok(state_peek(s, strlen(s), &serial, &lin) == 0 && serial == 7 &&
	    strcmp(lin, "L") == 0, "peek: only top-level keys count, after nested ones");
	free(lin);
	ok(state_peek("{\"serial\":3", 11, &serial, &lin) == -1, "peek: no lineage: -1");
	free(lin);
	ok(state_peek("[1]", 3, &serial, &lin) == -1 && lin == NULL, "peek: not an object: -1");

	/* Local files: mtime + size, then (lineage, serial). */
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/terraform.tfstate", dir);
	src = state_src_new(path, NULL, &err);
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == -1 && strstr(err, "no state at") &&
	    strstr(err, "no such file"), "local: missing file is a clear error");
	write_file(path, "{\"version\":4,\"serial\":1,\"lineage\":\"L1\",\"resources\":[]}");
	/* Written yesterday: "changed" is then, not when tfdrift read it. */
	yesterday = time(NULL) - 86400;
	set_mtime(path, yesterday);
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == 0 && !unch && buf != NULL &&
	    len > 10, "local: first fetch hands the state over");
	free(buf);
	changed_ms(src, &change, &fetch);
	is_int(change, (int64_t)yesterday * 1000, "local: changed is the file's mtime (yesterday)");
	ok(fetch - change >= 86400000, "local: a day before the fetch");
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == 0 && unch && buf == NULL,
	    "local: same mtime+size: unchanged");
	{
		/* Same content, new mtime: the peek finds the same (lineage, serial). */
		struct timespec ts[2] = { { 0, UTIME_NOW }, { 1000000, 0 } };

		utimensat(AT_FDCWD, path, ts, 0);
	}
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == 0 && unch && buf == NULL,
	    "local: touched but same lineage+serial: unchanged");
	changed_ms(src, &change, &fetch);
	is_int(change, (int64_t)yesterday * 1000, "local: touching it is not a change");
	write_file(path, "{\"version\":4,\"serial\":2,\"lineage\":\"L1\",\"resources\":[]}");
	set_mtime(path, yesterday + 3600);
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == 0 && !unch && buf != NULL,
	    "local: serial bumped: changed");
	free(buf);
	changed_ms(src, &change, &fetch);
	is_int(change, (int64_t)(yesterday + 3600) * 1000, "local: changed is the new mtime");
	state_src_reject(src, "parse error: test");
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == 0 && !unch && buf != NULL,
	    "local: after reject the next fetch hands the state over again");
	free(buf);
	{
		struct state_src_info in;

		state_src_describe(src, &in);
		ok(in.fetches == 6 && in.downloads == 3 && in.unchanged == 2 && in.serial == 2 &&
		    in.lineage && strcmp(in.lineage, "L1") == 0 && in.last_error == NULL,
		    "local: describe counts fetches, downloads, unchanged; serial, lineage");
		state_src_info_clear(&in);
	}
	write_file(path, "{\"version\":4,\"serial\":3,\"lineage\":\"L1\",\"resources\":[]}");
	set_mtime(path, time(NULL) + 86400);
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == 0 && !unch, "local: serial 3");
	free(buf);
	changed_ms(src, &change, &fetch);
	is_int(change, fetch, "local: an mtime in the future counts as the fetch that saw it");
	write_file(path, "");
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == -1 && strstr(err, "empty file"),
	    "local: empty file: no state");
	state_src_free(src);
	unlink(path);
	rmdir(dir);

	/* gs:// without a token source is an error at fetch, not a crash. */
	src = state_src_new("gs://b/p", NULL, &err);
	ok(state_src_fetch(src, &buf, &len, &unch, &err) == -1 && strstr(err, "no GCS credentials"),
	    "gcs without a token source: clear error");
	state_src_free(src);

	free(err);
	aws_creds_free(aws);
	return done_testing();
}
