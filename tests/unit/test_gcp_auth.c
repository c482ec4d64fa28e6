/* Unit tests for gcp_auth's pure parts (base64url, the RS256 JWT assertion checked with
 * OpenSSL and the public key, key-file errors, the ADC order) and the Logging filter and
 * timestamps of gcplogging. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "collectors/gcplogging.h"
#include "gcp_auth.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/tfdrift-gcpauth-XXXXXX";

/* base64url decode (test only). */
static size_t
unb64url(const char *s, size_t n, unsigned char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned v = 0, bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		const char *c = strchr(tab, s[i]);

		if (c == NULL || s[i] == '\0')
			return (size_t)-1;
		v = (v << 6) | (unsigned)(c - tab);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
			v &= (1u << bits) - 1;
		}
	}
	return o;
}

static char *
write_file(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
	return path;
}

static char *
pem_of(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &p);
	out = xstrndup(p, (size_t)n);
	BIO_free(b);
	return out;
}

/* JSON string escaping of a PEM (newlines). */
static char *
jesc(const char *s)
{
	json_object *o = json_object_new_string(s);
	char *r = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return r;
}

static void
load_err(const char *name, const char *text, const char *want, const char *secret, const char *what)
{
	struct gcp_auth_opts o = { 0 };
	char *path = write_file(name, text), *err = NULL;
	struct gcp_auth *a;

	o.credentials_file = path;
	a = gcp_auth_new(&o, &err);
	ok(a == NULL && err != NULL && strstr(err, path) != NULL && strstr(err, want) != NULL,
	    "%s: error names the file and says \"%s\" (%s)", what, want, err ? err : "no error");
	if (secret != NULL)
		ok(err == NULL || strstr(err, secret) == NULL, "%s: the secret is not in the message", what);
	gcp_auth_free(a);
	free(err);
	free(path);
}

int
main(void)
{
	EVP_PKEY *key = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
	unsigned char buf[4096];
	const unsigned char ff[] = { 0xfb, 0xff };
	char *s, *err = NULL, *jwt, *dot1, *dot2, *pem, *epem, *text, *path;
	json_object *hdr, *cl, *v;
	EVP_MD_CTX *md;
	size_t n;
	int64_t ns;
	struct gcp_auth_opts o = { 0 };
	struct gcp_auth *a;
	char t[40];

	if (mkdtemp(dir) == NULL)
		return 1;
	s = gcp_b64url("", 0); is_str(s, "", "b64url of nothing"); free(s);
	s = gcp_b64url("f", 1); is_str(s, "Zg", "b64url, 1 byte, no padding"); free(s);
	s = gcp_b64url("fo", 2); is_str(s, "Zm8", "b64url, 2 bytes, no padding"); free(s);
	s = gcp_b64url("foob", 4); is_str(s, "Zm9vYg", "b64url, 4 bytes"); free(s);
	s = gcp_b64url(ff, 2); is_str(s, "-_8", "b64url uses - and _"); free(s);

	/* The assertion: three parts, the header and claims Google wants, a valid RS256. */
	jwt = gcp_jwt_assertion(key, "kid123", "sa@p.iam.gserviceaccount.com", GCP_DEFAULT_SCOPES,
	    "http://127.0.0.1:1/token", 1700000000, &err);
	ok(jwt != NULL, "assertion built");
	dot1 = strchr(jwt, '.');
	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	ok(dot1 && dot2 && strchr(dot2 + 1, '.') == NULL && strchr(jwt, '=') == NULL,
	    "three base64url parts, no padding");
	n = unb64url(jwt, (size_t)(dot1 - jwt), buf);
	buf[n] = 0;
	hdr = json_tokener_parse((char *)buf);
	is_str(json_object_get_string(json_object_object_get(hdr, "alg")), "RS256", "header alg RS256");
	is_str(json_object_get_string(json_object_object_get(hdr, "typ")), "JWT", "header typ JWT");
	is_str(json_object_get_string(json_object_object_get(hdr, "kid")), "kid123", "header kid = private_key_id");
	n = unb64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), buf);
	buf[n] = 0;
	cl = json_tokener_parse((char *)buf);
	is_str(json_object_get_string(json_object_object_get(cl, "iss")), "sa@p.iam.gserviceaccount.com", "iss = client_email");
	is_str(json_object_get_string(json_object_object_get(cl, "aud")), "http://127.0.0.1:1/token", "aud = token_uri");
	is_str(json_object_get_string(json_object_object_get(cl, "scope")),
	    "https://www.googleapis.com/auth/logging.read https://www.googleapis.com/auth/devstorage.read_only",
	    "scope: logging.read and devstorage.read_only, space-separated");
	v = json_object_object_get(cl, "iat");
	is_int(json_object_get_int64(v), 1700000000, "iat");
	is_int(json_object_get_int64(json_object_object_get(cl, "exp")), 1700003600, "exp = iat + 3600");
	ok(json_object_object_get(cl, "sub") == NULL, "no sub (no domain-wide delegation)");
	n = unb64url(dot2 + 1, strlen(dot2 + 1), buf);
	md = EVP_MD_CTX_new();
	ok(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerify(md, buf, n, (unsigned char *)jwt, (size_t)(dot2 - jwt)) == 1,
	    "the RS256 signature verifies with the public key");
	EVP_MD_CTX_free(md);
	md = EVP_MD_CTX_new();
	ok(EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, other) == 1 &&
	    EVP_DigestVerify(md, buf, n, (unsigned char *)jwt, (size_t)(dot2 - jwt)) != 1,
	    "and not with another key");
	EVP_MD_CTX_free(md);
	json_object_put(hdr);
	json_object_put(cl);
	free(jwt);

	/* Key files. */
	pem = pem_of(key);
	epem = jesc(pem);
	text = xasprintf("{\"type\":\"service_account\",\"project_id\":\"proj-1\",\"private_key_id\":\"k1\","
	    "\"private_key\":%s,\"client_email\":\"sa@proj-1.iam.gserviceaccount.com\","
	    "\"token_uri\":\"http://127.0.0.1:9/token\"}", epem);
	path = write_file("sa.json", text);
	o.credentials_file = path;
	a = gcp_auth_new(&o, &err);
	ok(a != NULL, "a service account key loads (%s)", err ? err : "");
	if (a != NULL) {
		ok(gcp_auth_kind(a) == GCP_CRED_SERVICE_ACCOUNT, "kind service_account");
		ok(strstr(gcp_auth_describe(a), "sa@proj-1.iam.gserviceaccount.com") != NULL,
		    "described by file and client_email");
		is_str(gcp_auth_project(a), "proj-1", "project_id from the key");
		is_int(gcp_auth_expiry_ms(a), 0, "no token before one is asked for");
	}
	gcp_auth_free(a);
	free(text);
	free(path);

	load_err("notjson.json", "{\"type\": \"service_account\", ", "not a JSON object", NULL, "truncated JSON");
	load_err("array.json", "[1]", "not a JSON object", NULL, "a JSON array");
	text = xasprintf("{\"type\":\"service_account\",\"private_key_id\":\"k1\",\"private_key\":%s}", epem);
	load_err("noemail.json", text, "field \"client_email\" is missing", "PRIVATE KEY", "no client_email");
	free(text);
	load_err("badkey.json", "{\"type\":\"service_account\",\"private_key_id\":\"k1\","
	    "\"client_email\":\"a@b\",\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nMIIsecretstuff\\n-----END PRIVATE KEY-----\\n\"}",
	    "field \"private_key\" is not a PEM private key", "MIIsecretstuff", "a broken private_key");
	load_err("eau.json", "{\"type\":\"external_account_authorized_user\"}",
	    "field \"type\" is \"external_account_authorized_user\", which tfdrift does not support", NULL,
	    "an unsupported type");
	load_err("notype.json", "{\"client_email\":\"x\"}", "field \"type\" is missing", NULL, "no type");
	load_err("au.json", "{\"type\":\"authorized_user\",\"client_id\":\"cid\",\"client_secret\":\"s3cr3t-value\"}",
	    "field \"refresh_token\" is missing", "s3cr3t-value", "authorized_user without refresh_token");

	/* impersonated_service_account and external_account files: what is wrong is named. */
#define EXT_HEAD "{\"type\":\"external_account\",\"audience\":\"//iam.googleapis.com/projects/1/" \
	"locations/global/workloadIdentityPools/p/providers/x\",\"subject_token_type\":" \
	"\"urn:ietf:params:oauth:token-type:jwt\","
#define IMP_URL "\"service_account_impersonation_url\":\"https://iamcredentials.googleapis.com/v1/" \
	"projects/-/serviceAccounts/t@p.iam.gserviceaccount.com:generateAccessToken\""
#define AU_SRC "{\"type\":\"authorized_user\",\"client_id\":\"c\",\"client_secret\":\"s\"," \
	"\"refresh_token\":\"rt-secret-value\"}"
	load_err("ext0.json", "{\"type\":\"external_account\"}", "field \"audience\" is missing", NULL,
	    "external_account without audience");
	load_err("ext1.json", EXT_HEAD "\"credential_source\":{\"executable\":{\"command\":\"x\"}}}",
	    "field \"credential_source.executable\" (an executable-sourced (pluggable) credential) is "
	    "not supported", NULL, "executable source");
	load_err("ext2.json", EXT_HEAD "\"credential_source\":{\"environment_id\":\"aws1\","
	    "\"regional_cred_verification_url\":\"u\"}}",
	    "field \"credential_source.environment_id\" (AWS workload identity federation) is not "
	    "supported", NULL, "AWS source");
	load_err("ext3.json", EXT_HEAD "\"credential_source\":{\"certificate\":{}}}",
	    "\"credential_source.certificate\" (X.509", NULL, "certificate source");
	load_err("ext4.json", EXT_HEAD "\"credential_source\":{\"file\":\"a\",\"url\":\"http://b\"}}",
	    "has both \"file\" and \"url\"", NULL, "file and url");
	load_err("ext5.json", EXT_HEAD "\"credential_source\":{}}", "has neither \"file\" nor \"url\"",
	    NULL, "no file, no url");
	load_err("ext6.json", EXT_HEAD "\"credential_source\":{\"file\":\"a\",\"format\":{\"type\":\"xml\"}}}",
	    "field \"credential_source.format.type\" is \"xml\"; expected \"text\" or \"json\"", NULL,
	    "unknown format");
	load_err("ext7.json", EXT_HEAD "\"credential_source\":{\"file\":\"a\",\"format\":{\"type\":\"json\"}}}",
	    "\"credential_source.format.subject_token_field_name\" is missing", NULL,
	    "json format without the field name");
	load_err("ext8.json", EXT_HEAD "\"workforce_pool_user_project\":\"p\",\"credential_source\":"
	    "{\"file\":\"a\"}}", "\"workforce_pool_user_project\" is set but the audience is not a "
	    "workforce pool", NULL, "userProject outside a workforce pool");
	load_err("ext9.json", EXT_HEAD "\"credential_source\":{\"url\":\"http://x\",\"headers\":"
	    "{\"X-A\":\"hv-secret-value\\r\\nEvil: 1\"}}}", "entry \"X-A\" is not a header name with a "
	    "one-line string value", "hv-secret-value", "a header value with a line break");
	load_err("ext10.json", EXT_HEAD IMP_URL ",\"service_account_impersonation\":{"
	    "\"token_lifetime_seconds\":99999},\"credential_source\":{\"file\":\"a\"}}",
	    "\"service_account_impersonation.token_lifetime_seconds\" is not a whole number from 600 "
	    "to 43200", NULL, "lifetime out of range");
	load_err("ext11.json", EXT_HEAD "\"token_url\":\"ftp://x\",\"credential_source\":{\"file\":\"a\"}}",
	    "field \"token_url\" is not an http(s) URL", NULL, "token_url not http");
	load_err("imp0.json", "{\"type\":\"impersonated_service_account\"," IMP_URL "}",
	    "field \"source_credentials\" is missing or not an object", NULL, "no source");
	load_err("imp1.json", "{\"type\":\"impersonated_service_account\",\"service_account_"
	    "impersonation_url\":\"https://iamcredentials.googleapis.com/v1/x\",\"source_credentials\":"
	    AU_SRC "}", "does not end in /serviceAccounts/EMAIL:generateAccessToken", "rt-secret-value",
	    "impersonation URL without the target");
	load_err("imp2.json", "{\"type\":\"impersonated_service_account\"," IMP_URL ",\"delegates\":\"x\","
	    "\"source_credentials\":" AU_SRC "}", "field \"delegates\" is not a list", NULL,
	    "delegates not a list");
	load_err("imp3.json", "{\"type\":\"impersonated_service_account\"," IMP_URL ",\"source_credentials\":"
	    "{\"type\":\"external_account\"}}", "(source_credentials): field \"type\" is \"external_account\", "
	    "which tfdrift does not support as the source", NULL, "an external_account source");
	load_err("imp4.json", "{\"type\":\"impersonated_service_account\"," IMP_URL ",\"source_credentials\":"
	    "{\"type\":\"authorized_user\",\"client_id\":\"c\",\"refresh_token\":\"rt-secret-value\"}}",
	    "(source_credentials): field \"client_secret\" is missing", "rt-secret-value",
	    "a source without client_secret");
	path = write_file("imp-ok.json", "{\"type\":\"impersonated_service_account\"," IMP_URL
	    ",\"quota_project_id\":\"qp2\",\"source_credentials\":" AU_SRC "}");
	o.credentials_file = path;
	a = gcp_auth_new(&o, &err);
	ok(a != NULL && gcp_auth_kind(a) == GCP_CRED_IMPERSONATED, "impersonated_service_account loads");
	ok(a != NULL && strstr(gcp_auth_describe(a), "(t@p.iam.gserviceaccount.com via authorized_user)"),
	    "target from the URL (%s)", a ? gcp_auth_describe(a) : err);
	is_str(a ? gcp_auth_quota_project(a) : NULL, "qp2", "its quota_project_id");
	gcp_auth_free(a);
	free(path);
	path = write_file("ext-ok.json", EXT_HEAD "\"workforce_pool_user_project\":\"p\","
	    "\"audience\":\"//iam.googleapis.com/locations/global/workforcePools/w/providers/o\","
	    "\"credential_source\":{\"url\":\"http://169.254.169.254/token?sig=abc\"}}");
	o.credentials_file = path;
	a = gcp_auth_new(&o, &err);
	ok(a != NULL && gcp_auth_kind(a) == GCP_CRED_EXTERNAL_ACCOUNT, "external_account loads (%s)",
	    a ? gcp_auth_describe(a) : err);
	ok(a != NULL && strstr(gcp_auth_describe(a), "STS https://sts.googleapis.com/v1/token)") != NULL,
	    "the default STS URL");
	ok(a != NULL && strstr(gcp_auth_describe(a), "sig=abc") == NULL,
	    "a secret-looking query of the subject URL is not shown");
	gcp_auth_free(a);
	free(path);
	o.credentials_file = "/nonexistent/key.json";
	a = gcp_auth_new(&o, &err);
	ok(a == NULL && err && strstr(err, "/nonexistent/key.json"), "a missing file is named (%s)", err);
	free(err);
	err = NULL;

	/* ADC order: GOOGLE_APPLICATION_CREDENTIALS, then $CLOUDSDK_CONFIG, then metadata. */
	o.credentials_file = NULL;
	path = write_file("application_default_credentials.json", "{\"type\":\"authorized_user\","
	    "\"client_id\":\"cid\",\"client_secret\":\"cs\",\"refresh_token\":\"rt\",\"quota_project_id\":\"qp\"}");
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	setenv("CLOUDSDK_CONFIG", dir, 1);
	a = gcp_auth_new(&o, &err);
	ok(a != NULL && gcp_auth_kind(a) == GCP_CRED_AUTHORIZED_USER, "gcloud ADC file under CLOUDSDK_CONFIG");
	is_str(a ? gcp_auth_quota_project(a) : NULL, "qp", "quota_project_id kept for x-goog-user-project");
	gcp_auth_free(a);
	setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/k.json", 1);
	a = gcp_auth_new(&o, &err);
	ok(a == NULL && err && strstr(err, "GOOGLE_APPLICATION_CREDENTIALS"),
	    "a broken GOOGLE_APPLICATION_CREDENTIALS is an error, not a fall-through");
	free(err);
	err = NULL;
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	unlink(path);
	free(path);
	setenv("GCE_METADATA_HOST", "127.0.0.1:8999", 1);
	a = gcp_auth_new(&o, &err);
	ok(a != NULL && gcp_auth_kind(a) == GCP_CRED_METADATA, "no file: the metadata server");
	ok(a && strstr(gcp_auth_describe(a), "http://127.0.0.1:8999/computeMetadata/v1/instance/"
	    "service-accounts/default/token") != NULL, "GCE_METADATA_HOST honoured");
	gcp_auth_free(a);

	/* Logging filter and timestamps. */
	ok(gl_parse_ts("2024-05-27T10:00:00Z", &ns) == 0 && ns == 1716804000LL * 1000000000LL, "RFC 3339, no fraction");
	ok(gl_parse_ts("2024-05-27T10:00:00.123456789Z", &ns) == 0 && ns % 1000000000LL == 123456789, "9 fractional digits kept");
	ok(gl_parse_ts("2024-05-27T10:00:00.5Z", &ns) == 0 && ns % 1000000000LL == 500000000, "1 fractional digit");
	ok(gl_parse_ts("2024-05-27T12:00:00+02:00", &ns) == 0 && ns == 1716804000LL * 1000000000LL, "offsets");
	ok(gl_parse_ts("2024-05-27 junk", &ns) != 0 && gl_parse_ts(NULL, &ns) != 0, "junk refused");
	/* 64-bit nanoseconds end in 2262: later (or before 1677) is refused, not overflowed
	 * (found by fuzz_gcplogging: UBSan signed overflow). */
	ok(gl_parse_ts("7587-05-27T10:00:00Z", &ns) != 0, "a year past 2262 refused");
	ok(gl_parse_ts("1000-01-01T00:00:00Z", &ns) != 0, "a year before 1677 refused");
	ok(gl_parse_ts("2262-01-01T00:00:00.999999999-23:59", &ns) == 0 && ns > 0,
	    "2262 still read");
	gl_format_ts(1716804000LL * 1000000000LL, t);
	is_str(t, "2024-05-27T10:00:00Z", "format without fraction");
	gl_format_ts(1716804000LL * 1000000000LL + 1230, t);
	is_str(t, "2024-05-27T10:00:00.000001230Z", "format with ns");
	s = gl_filter(0, 1716804000LL * 1000000000LL, 1716804300LL * 1000000000LL);
	is_str(s, "logName:\"cloudaudit.googleapis.com%2Factivity\" AND timestamp>=\"2024-05-27T10:00:00Z\" "
	    "AND timestamp<\"2024-05-27T10:05:00Z\"", "admin activity filter, half-open window");
	free(s);
	s = gl_filter(1, 1716804000LL * 1000000000LL, 1716804300LL * 1000000000LL + 5);
	is_str(s, "(logName:\"cloudaudit.googleapis.com%2Factivity\" OR logName:\"cloudaudit.googleapis.com%2Fdata_access\") "
	    "AND timestamp>=\"2024-05-27T10:00:00Z\" AND timestamp<\"2024-05-27T10:05:00.000000005Z\"",
	    "with data_access");
	free(s);

	free(pem);
	free(epem);
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
	rmdir(dir);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);

		if (system(cmd) != 0)
			ok(0, "cleanup");
		free(cmd);
	}
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
