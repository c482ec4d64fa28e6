/* fuzz_aws_creds: libFuzzer target for what the AWS credential chain reads (src/aws_creds.c):
 * the shared config and credentials files, credential_process output, container-credentials
 * and IMDS JSON, and STS XML (AssumeRole, AssumeRoleWithWebIdentity). The first byte picks
 * the family (one of "cpkis", readable in seeds; any other byte picks one by its value); the
 * rest is split into chunks (fuzz_common.h) that are files, process output or HTTP answers,
 * and the real chain (aws_creds_get) runs over them, twice (the second get after an
 * invalidate). Nothing runs and nothing goes on the network: credential_process is played by
 * aws_fuzz_process (the next chunk is its output) and HTTP by http_fuzz_transport.
 *
 *   c profiles   chunk 0 the config file, 1 the credentials file, then answers (STS, IMDS,
 *                process output); profile "default" ('c') or one the byte's value picks
 *   p process    chunk 0 is credential_process's standard output (exit 0; a chunk that
 *                starts with '!' exits 1 with the rest on standard error)
 *   k container  answers to the container-credentials GET (with an authorization token file)
 *   i IMDS       answers to the token PUT, the role-name GET and the credentials GET
 *   s STS        chunk 0 through aws_sts_parse and aws_xml_text, then the chain's
 *                AssumeRoleWithWebIdentity (web identity from the environment) answered with it
 *   o SSO        chunk 0 is the IAM Identity Center token cache file of an sso_session
 *                profile ("default", session "fz"; odd lengths: the legacy form, keyed by the
 *                start URL); then answers to SSO OIDC CreateToken and GetRoleCredentials
 *
 * Oracles: a failure says why; a success has both keys; the source description never holds
 * the secret key. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "aws_creds.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What a profile file or process may name, so inputs can reach each of them. */
static const char *const profiles[] = { "default", "dev", "prod", "a b", "x" };

static int
fake_process(char *const *argv, struct strbuf *out, struct strbuf *errout)
{
	const char *resp;
	size_t len;
	struct http_req rq;

	if (argv == NULL || argv[0] == NULL)
		abort();
	/* The process's output is the next answer, as if it were one more request. */
	memset(&rq, 0, sizeof rq);
	rq.url = "http://process.invalid/";
	if (fz_transport(&rq, &resp, &len) != 0)
		return -1;
	if (len > 0 && resp[0] == '!') {
		sb_add(errout, resp + 1, len - 1);
		return 1;
	}
	sb_add(out, resp, len);
	return 0;
}

static void
clear_env(void)
{
	static const char *const vars[] = {
		"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
		"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION",
		"AWS_DEFAULT_REGION", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
		"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
		"AWS_EC2_METADATA_DISABLED", "AWS_EC2_METADATA_SERVICE_ENDPOINT",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_EC2_METADATA_V1_DISABLED",
		"AWS_METADATA_SERVICE_TIMEOUT", "AWS_METADATA_SERVICE_NUM_ATTEMPTS",
		"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_SSO",
		"AWS_ENDPOINT_URL_SSO_OIDC", "AWS_ENDPOINT_URL_CLOUDTRAIL", "AWS_CA_BUNDLE",
		"AWS_USE_FIPS_ENDPOINT", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(vars); i++)
		unsetenv(vars[i]);
}

/* Run the chain: two gets, each checked. */
static void
chain(const char *profile)
{
	struct aws_creds_opts o;
	struct aws_creds *c;
	struct aws_keys_buf kb;
	char *err = NULL;
	int round;

	memset(&o, 0, sizeof o);
	o.profile = profile;
	c = aws_creds_new(&o);
	for (round = 0; round < 2; round++) {
		memset(&kb, 0, sizeof kb);
		if (aws_creds_get(c, &kb, &err) != 0) {
			if (err == NULL)
				abort();        /* failed without saying why */
			free(err);
			err = NULL;
			continue;
		}
		if (kb.access_key_id == NULL || *kb.access_key_id == '\0' ||
		    kb.secret_access_key == NULL || *kb.secret_access_key == '\0' ||
		    kb.keys.access_key_id != kb.access_key_id ||
		    kb.keys.secret_access_key != kb.secret_access_key)
			abort();
		{
			const char *src = aws_creds_source(c);

			if (src == NULL)
				abort();
			/* Short secrets can occur by chance in any text; a real one cannot. */
			if (strlen(kb.secret_access_key) >= 12 &&
			    strstr(src, kb.secret_access_key) != NULL) {
				fprintf(stderr, "fuzz: the source description holds the secret key\n");
				abort();
			}
		}
		aws_keys_buf_clear(&kb);
		if (round == 0)
			aws_creds_invalidate(c);
	}
	aws_creds_free(c);
}

/* The profile's endpoints (config file: services sections, endpoint_url, use_fips_endpoint,
 * ignore_configured_endpoint_urls) and CA bundle: a URL without a trailing slash, or why not. */
static void
endpoints(const char *profile)
{
	static const char *const svc[][3] = { { "CLOUDTRAIL", "cloudtrail", "cn-north-1" },
		{ "S3", "s3", "cn-northwest-1" }, { "STS", "sts", "us-gov-west-1" },
		{ "SSO_OIDC", "oidc", NULL } };
	char *err = NULL, *u;
	size_t i, n;

	for (i = 0; i < TF_ARRLEN(svc); i++) {
		u = aws_endpoint(profile, svc[i][0], svc[i][1], svc[i][2], NULL, &err);
		if ((u == NULL) == (err == NULL))
			abort();        /* a URL and an error, or neither */
		if (u != NULL && ((n = strlen(u)) == 0 || u[n - 1] == '/'))
			abort();
		free(u);
		free(err);
		err = NULL;
	}
	u = NULL;
	if (aws_ca_bundle(profile, &u, &err) != 0 ? err == NULL || u != NULL : err != NULL)
		abort();
	free(u);
	free(err);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char modes[] = "cpkiso";
	static char *conf_path, *cred_path, *tok_path, *sso_path, *sso_legacy_path;
	struct fz_chunks ch;
	const char *profile = NULL;
	int mode;

	if (size < 1)
		return 0;
	if (conf_path == NULL) {
		conf_path = fz_path("config");
		cred_path = fz_path("credentials");
		tok_path = fz_path("token");
		/* ~/.aws must never be the real one. */
		setenv("HOME", fz_dir(), 1);
		aws_fuzz_process = fake_process;
	}
	clear_env();
	unlink(conf_path);
	unlink(cred_path);
	if (sso_path == NULL) {
		char *d = fz_path(".aws");

		mkdir(d, 0700);
		free(d);
		d = fz_path(".aws/sso");
		mkdir(d, 0700);
		free(d);
		d = fz_path(".aws/sso/cache");
		mkdir(d, 0700);
		free(d);
		sso_path = aws_sso_cache_path(fz_dir(), "fz");
		sso_legacy_path = aws_sso_cache_path(fz_dir(), "https://fz.awsapps.com/start");
	}
	/* A cache file left by an earlier input must not change what a profile does. */
	unlink(sso_path);
	unlink(sso_legacy_path);
	fz_write(tok_path, "fuzz-token", 10);
	setenv("AWS_CONFIG_FILE", conf_path, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", cred_path, 1);
	setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1", 1);
	if (data[0] != '\0' && strchr(modes, data[0]) != NULL)
		mode = (int)(strchr(modes, data[0]) - modes);
	else {
		mode = data[0] % 6;
		profile = profiles[data[0] / 5 % TF_ARRLEN(profiles)];
	}
	fz_split(data + 1, size - 1, &ch);
	switch (mode) {
	case 0: {
		char *region;

		fz_write(conf_path, ch.p[0], ch.len[0]);
		if (ch.n > 1)
			fz_write(cred_path, ch.p[1], ch.len[1]);
		fz_http_answer(&ch, 2);
		region = aws_region_default(profile);
		free(region);
		endpoints(profile);
		chain(profile);
		break;
	}
	case 1: {
		static const char conf[] = "[default]\ncredential_process = /nonexistent/fuzz-helper "
		    "--profile 'a b' \"c\\\"d\"\n";

		fz_write(conf_path, conf, sizeof conf - 1);
		fz_http_answer(&ch, 0);
		setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
		chain(NULL);
		break;
	}
	case 2:
		setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://localhost:8080/creds", 1);
		setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tok_path, 1);
		setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
		fz_http_answer(&ch, 0);
		chain(NULL);
		break;
	case 3:
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1338/", 1);
		fz_http_answer(&ch, 0);
		chain(NULL);
		break;
	case 4: {
		char *xml = fz_str(&ch, 0), *err = NULL, *t;
		struct aws_keys_buf kb;

		if (aws_sts_parse(xml, &kb, &err) == 0) {
			if (kb.access_key_id == NULL || kb.secret_access_key == NULL)
				abort();
			aws_keys_buf_clear(&kb);
		} else if (err == NULL)
			abort();
		free(err);
		t = aws_xml_text(xml, "Message");
		free(t);
		free(xml);
		setenv("AWS_WEB_IDENTITY_TOKEN_FILE", tok_path, 1);
		setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/fuzz", 1);
		setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
		fz_http_answer(&ch, 0);
		chain(NULL);
		break;
	}
	case 5: {
		static const char conf[] = "[default]\nsso_session = fz\n"
		    "sso_account_id = 111122223333\nsso_role_name = ReadOnly\n"
		    "[sso-session fz]\nsso_start_url = https://fz.awsapps.com/start\n"
		    "sso_region = us-east-1\n";
		static const char legacy[] = "[default]\n"
		    "sso_start_url = https://fz.awsapps.com/start\nsso_region = us-east-1\n"
		    "sso_account_id = 111122223333\nsso_role_name = ReadOnly\n";
		int is_legacy = ch.n > 0 && ch.len[0] % 2 == 1;

		if (is_legacy)
			fz_write(conf_path, legacy, sizeof legacy - 1);
		else
			fz_write(conf_path, conf, sizeof conf - 1);
		if (ch.n > 0)
			fz_write(is_legacy ? sso_legacy_path : sso_path, ch.p[0], ch.len[0]);
		setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
		fz_http_answer(&ch, 1);
		chain(NULL);
		break;
	}
	}
	http_fuzz_transport = NULL;
	return 0;
}
