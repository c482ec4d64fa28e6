/* fuzz_backends: libFuzzer target for what the remote state backends read
 * (src/backends/backend*.c): S3 GetObject answers and XML errors, GCS object metadata and
 * media answers and Google JSON errors, Terraform's HTTP backend, HCP Terraform's JSON:API
 * workspace and current-state-version documents and the state download, and the CLI
 * configuration that holds the HCP token (credentials.tfrc.json, or the HCL form). The first
 * byte picks the backend; the rest is split into chunks (fuzz_common.h) answering the
 * requests in order:
 *
 *   s  s3://bucket/key                 g  gs://bucket/prefix
 *   h  http://.../state (basic auth)   p  state_peek on chunk 0 (the "unchanged?" shortcut)
 *   t  tfc://org/ws: chunk 0 is ~/.terraform.d/credentials.tfrc.json
 *   j  tfe://host/org/ws: chunk 0 is TF_CLI_CONFIG_FILE (JSON)
 *   c  tfc://org/ws: chunk 0 is TF_CLI_CONFIG_FILE (HCL: credentials "host" { token = ".." })
 *
 * Each source is fetched three times (the change detection: ETag, generation, MD5, state
 * version id), with a state_src_reject after a body that does not peek. Oracles: a failure
 * says why and hands nothing over; a body is NUL-terminated at its length; "unchanged"
 * hands nothing over; no message or description carries the HCP token. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HCP_TOKEN "fuzzHCPtoken.atlasv1.0123456789abcdefghij"
#define GCS_TOKEN "ya29.fuzz-gcs-token-0123456789"

static int
gcs_token(void *ctx, char **token, char **err)
{
	(void)ctx;
	(void)err;
	*token = xstrdup(GCS_TOKEN);
	return 0;
}

/* The HCP token may come back in an answer (a state version id, a URL): then showing it
 * is showing what the server said. Only a token the CLI configuration holds, once in the
 * whole input, is checked. Likewise the GCS token is checked only when no answer holds it
 * (an S3 or GCS error message that quotes it is the server's text, not a leak). */
static int hcp_token_once, gcs_token_absent;

static int
count(const uint8_t *data, size_t size, const char *s)
{
	size_t l = strlen(s), i;
	int n = 0;

	for (i = 0; i + l <= size; i++)
		n += memcmp(data + i, s, l) == 0;
	return n;
}

static void
no_token(const char *what, const char *s)
{
	if (s != NULL && ((hcp_token_once && strstr(s, HCP_TOKEN) != NULL) ||
	    (gcs_token_absent && strstr(s, GCS_TOKEN) != NULL))) {
		fprintf(stderr, "fuzz: %s holds a token\n", what);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *tfrc_dir, *tfrc_path, *cli_json, *cli_hcl;
	static struct aws_creds *aws;
	struct state_src_opts o;
	struct state_src *s;
	struct state_src_info info;
	struct fz_chunks ch;
	const char *spec;
	char *err = NULL;
	size_t first = 0;
	int round;

	if (size < 1)
		return 0;
	if (tfrc_dir == NULL) {
		setenv("HOME", fz_dir(), 1);
		tfrc_dir = fz_path(".terraform.d");
		fz_aws_env_clear();
		tfrc_path = fz_path(".terraform.d/credentials.tfrc.json");
		cli_json = fz_path("cli.json");
		cli_hcl = fz_path("cli.tfrc");
		if (mkdir(tfrc_dir, 0700) != 0 && errno != EEXIST)
			abort();
		aws = aws_creds_static("AKIAFUZZ000000000000", "fuzz/secret/key/not/real/000000", NULL);
	}
	unsetenv("TF_CLI_CONFIG_FILE");
	unsetenv("TF_HTTP_USERNAME");
	unsetenv("TF_HTTP_PASSWORD");
	unsetenv("TF_TOKEN_app_terraform_io");
	unlink(tfrc_path);
	fz_split(data + 1, size - 1, &ch);
	hcp_token_once = data[0] != 0 && strchr("tjc", data[0]) != NULL &&
	    count(data, size, HCP_TOKEN) == 1 &&
	    count((const uint8_t *)ch.p[0], ch.len[0], HCP_TOKEN) == 1;
	gcs_token_absent = count(data, size, GCS_TOKEN) == 0;
	memset(&o, 0, sizeof o);
	o.aws = aws;
	o.retries = 1;
	o.gcs_token.get = gcs_token;
	o.gcs_base_url = "http://127.0.0.1:1";
	o.hcp_base_url = "http://127.0.0.1:1/";
	switch (data[0]) {
	case 'p': {
		char *lineage = NULL;
		uint64_t serial;

		if (state_peek(ch.p[0], ch.len[0], &serial, &lineage) == 0 && lineage == NULL)
			abort();        /* "found both" without the lineage */
		free(lineage);
		return 0;
	}
	case 'g':
		spec = "gs://tfdrift-state/env/prod?workspace=blue";
		break;
	case 'h':
		spec = "http://127.0.0.1:1/state/prod";
		setenv("TF_HTTP_USERNAME", "drift", 1);
		setenv("TF_HTTP_PASSWORD", "fuzz-http-password", 1);
		break;
	case 't':
		spec = "tfc://acme/prod-network";
		fz_write(tfrc_path, ch.p[0], ch.len[0]);
		first = 1;
		break;
	case 'j':
		spec = "tfe://tfe.example.com/acme/prod-network";
		fz_write(cli_json, ch.p[0], ch.len[0]);
		setenv("TF_CLI_CONFIG_FILE", cli_json, 1);
		first = 1;
		break;
	case 'c':
		spec = "tfc://acme/prod-network";
		fz_write(cli_hcl, ch.p[0], ch.len[0]);
		setenv("TF_CLI_CONFIG_FILE", cli_hcl, 1);
		first = 1;
		break;
	default:
		spec = "s3://tfdrift-state/network/terraform.tfstate?region=eu-west-1&workspace=blue";
		break;
	}
	if ((s = state_src_new(spec, &o, &err)) == NULL) {
		fprintf(stderr, "fuzz: %s: %s\n", spec, err ? err : "?");
		abort();        /* the specs above are valid */
	}
	fz_http_answer(&ch, first);
	for (round = 0; round < 3; round++) {
		char *buf = NULL, *lineage = NULL;
		size_t len = 0;
		uint64_t serial;
		int unchanged = 0;

		if (state_src_fetch(s, &buf, &len, &unchanged, &err) != 0) {
			if (err == NULL || buf != NULL)
				abort();
			no_token("an error", err);
			free(err);
			err = NULL;
			continue;
		}
		if (unchanged) {
			if (buf != NULL)
				abort();
			continue;
		}
		if (buf == NULL || buf[len] != '\0')
			abort();
		if (state_peek(buf, len, &serial, &lineage) != 0)
			state_src_reject(s, "fuzz: no serial and lineage");
		free(lineage);
		free(buf);
	}
	state_src_describe(s, &info);
	if (info.location == NULL)
		abort();
	no_token("the description", info.location);
	no_token("the description", info.last_error);
	state_src_info_clear(&info);
	state_src_free(s);
	http_fuzz_transport = NULL;
	return 0;
}
