/* fuzz_gcp_auth: libFuzzer target for what GCP Application Default Credentials read
 * (src/gcp_auth.c): service-account key files and authorized_user files, and the answers of
 * the token endpoint and the metadata server. The first byte picks the family; the rest is
 * split into chunks (fuzz_common.h):
 *
 *   f  chunk 0 is the file named by gcp_auth_opts.credentials_file, the others answer token
 *      requests
 *   a  the same file found as gcloud's application_default_credentials.json
 *   m  no file: every chunk answers the metadata server's token GET
 *   x  chunk 0 is the file (an external_account), chunk 1 is written to the file "@SUBJECT@"
 *      names (a subject token), the others answer requests (subject URL, STS,
 *      generateAccessToken, the source's token endpoint)
 *
 * "@KEY@" in a file is replaced by a private key made at start-up (PEM, JSON-escaped), so
 * seeds reach the token request without a key in the repository; "@SUBJECT@" by the path of
 * the subject token file. Then gcp_auth_token runs twice (the second after
 * gcp_auth_invalidate). Oracles: a failure says why; a token is never empty; no message
 * carries the private key, the refresh token or the client secret (of the file or of its
 * source_credentials), the subject token, or an access token an answer gave. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "fuzz_common.h"
#include "gcp_auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The key as a JSON string body (without the quotes), and a piece of its base64 that only
 * the key holds. */
static char *key_json;
static char key_probe[33];
static char *subject_path;

static void
make_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(1024);        /* small: signing runs every execution */
	BIO *b = BIO_new(BIO_s_mem());
	json_object *s;
	char *pem;
	long n;

	if (k == NULL || b == NULL || !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
		abort();
	n = BIO_get_mem_data(b, &pem);
	if (n < 200)
		abort();
	memcpy(key_probe, pem + 100, 32);
	s = json_object_new_string_len(pem, (int)n);
	key_json = xstrdup(json_object_to_json_string_ext(s, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	/* Drop the quotes: the file supplies them. */
	memmove(key_json, key_json + 1, strlen(key_json));
	key_json[strlen(key_json) - 1] = '\0';
	json_object_put(s);
	BIO_free(b);
	EVP_PKEY_free(k);
}

/* chunk with every @KEY@ replaced. */
static struct strbuf
with_key(const char *p, size_t n)
{
	struct strbuf sb;
	const char *e = p + n;

	sb_init(&sb);
	sb_grow(&sb, 0);
	while (p < e) {
		if ((size_t)(e - p) >= 5 && memcmp(p, "@KEY@", 5) == 0) {
			sb_adds(&sb, key_json);
			p += 5;
		} else if ((size_t)(e - p) >= 9 && memcmp(p, "@SUBJECT@", 9) == 0) {
			sb_adds(&sb, subject_path);
			p += 9;
		} else
			sb_addc(&sb, *p++);
	}
	return sb;
}

/* The whole input with the key in place, and how many times s occurs in it. */
static struct strbuf whole;

static size_t
occurrences(const char *s)
{
	size_t n = 0, l = strlen(s), i;

	for (i = 0; l > 0 && i + l <= whole.len; i++)
		if (memcmp(whole.buf + i, s, l) == 0)
			n++;
	return n;
}

/* A secret s must not be in msg. Short values can occur by chance in any text; a real
 * secret cannot. Plain ones only, so the input holds them as they are; a value the input
 * also puts somewhere else (an answer's error_description, the type) may be shown from
 * there. */
static void
check_value(const char *what, const char *s, const char *msg)
{
	if (strlen(s) >= 16 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789./_-") == strlen(s) && strstr(msg, s) != NULL && occurrences(s) <= 1) {
		fprintf(stderr, "fuzz: a message holds the %s\n", what);
		abort();
	}
}

/* The string values of keys (any depth) in a JSON text. */
static void
check_json(const char *text, const char *const *keys, size_t nkeys, const char *msg)
{
	json_object *o = json_tokener_parse(text), *v, *nested;
	size_t i;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return;
	}
	for (nested = o; nested != NULL; ) {
		for (i = 0; i < nkeys; i++)
			if (json_object_object_get_ex(nested, keys[i], &v) &&
			    json_object_is_type(v, json_type_string))
				check_value(keys[i], json_object_get_string(v), msg);
		if (nested != o || !json_object_object_get_ex(o, "source_credentials", &nested) ||
		    !json_object_is_type(nested, json_type_object))
			nested = NULL;
	}
	json_object_put(o);
}

/* Is the key made at start-up the private_key of the file (or of its source_credentials)?
 * "@KEY@" elsewhere (a path, the audience) is not a key file's secret. */
static int
key_is_private_key(const char *file)
{
	json_object *o = json_tokener_parse(file), *v, *sc;
	int r = 0;

	if (o != NULL && json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "private_key", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strstr(json_object_get_string(v), key_probe) != NULL)
			r = 1;
		if (json_object_object_get_ex(o, "source_credentials", &sc) &&
		    json_object_object_get_ex(sc, "private_key", &v) &&
		    json_object_is_type(v, json_type_string) &&
		    strstr(json_object_get_string(v), key_probe) != NULL)
			r = 1;
	}
	json_object_put(o);
	return r;
}

/* Values that must never appear in a message: the file's refresh_token and client_secret
 * (its own and its source_credentials'), the private key, the subject token (family x:
 * chunk 1 as text, or its JSON string values), access tokens of the answers. */
static void
check_secrets(const struct fz_chunks *ch, int family, const char *file, const char *msg)
{
	static const char *const file_keys[] = { "refresh_token", "client_secret" };
	static const char *const answer_keys[] = { "access_token", "accessToken" };
	static const char *const subject_keys[] = { "id_token", "access_token", "token",
	    "subject_token" };
	size_t i, first = 1;
	char *t;

	if (msg == NULL)
		return;
	check_json(file, file_keys, TF_ARRLEN(file_keys), msg);
	if (strstr(msg, key_probe) != NULL && occurrences(key_probe) <= 1 &&
	    key_is_private_key(file)) {
		fprintf(stderr, "fuzz: a message holds the private key\n");
		abort();
	}
	if (family == 'x' && ch->n > 1) {
		t = xstrndup(ch->p[1], ch->len[1]);
		check_value("subject token", t, msg);
		check_json(t, subject_keys, TF_ARRLEN(subject_keys), msg);
		free(t);
		first = 2;
	}
	for (i = family == 'm' ? 0 : first; i < ch->n; i++) {
		const char *b = ch->p[i], *e = b + ch->len[i];
		const char *body = NULL;

		/* The body after the header block of a raw response, else the chunk. */
		if (ch->len[i] >= 5 && memcmp(b, "HTTP/", 5) == 0) {
			for (; b + 3 < e; b++)
				if (memcmp(b, "\r\n\r\n", 4) == 0 || memcmp(b, "\n\n", 2) == 0) {
					body = b + (b[0] == '\r' ? 4 : 2);
					break;
				}
		} else
			body = b;
		if (body != NULL) {
			t = xstrndup(body, (size_t)(e - body));
			check_json(t, answer_keys, TF_ARRLEN(answer_keys), msg);
			free(t);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *file_path, *adc_dir, *adc_path, *empty_dir;
	struct gcp_auth_opts o;
	struct gcp_auth *a;
	struct fz_chunks ch;
	struct strbuf file;
	char *err = NULL, *tok = NULL;
	int round;

	if (size < 1)
		return 0;
	if (key_json == NULL) {
		make_key();
		file_path = fz_path("key.json");
		adc_dir = fz_path("gcloud");
		adc_path = fz_path("gcloud/application_default_credentials.json");
		empty_dir = fz_path("empty");
		subject_path = fz_path("subject");
		if ((mkdir(adc_dir, 0700) != 0 && errno != EEXIST) ||
		    (mkdir(empty_dir, 0700) != 0 && errno != EEXIST))
			abort();
		setenv("HOME", fz_dir(), 1);
		setenv("GCE_METADATA_HOST", "127.0.0.1:1", 1);
	}
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	unsetenv("GCE_METADATA_ROOT");
	unlink(adc_path);
	unlink(subject_path);
	fz_split(data + 1, size - 1, &ch);
	file = with_key(ch.p[0], ch.len[0]);
	whole = with_key((const char *)data, size);
	memset(&o, 0, sizeof o);
	switch (data[0]) {
	case 'a':
		fz_write(adc_path, file.buf, file.len);
		setenv("CLOUDSDK_CONFIG", adc_dir, 1);
		fz_http_answer(&ch, 1);
		break;
	case 'm':
		setenv("CLOUDSDK_CONFIG", empty_dir, 1);
		fz_http_answer(&ch, 0);
		break;
	case 'x':
		fz_write(file_path, file.buf, file.len);
		if (ch.n > 1)
			fz_write(subject_path, ch.p[1], ch.len[1]);
		o.credentials_file = file_path;
		fz_http_answer(&ch, 2);
		break;
	default:
		fz_write(file_path, file.buf, file.len);
		o.credentials_file = file_path;
		fz_http_answer(&ch, 1);
		break;
	}
	a = gcp_auth_new(&o, &err);
	if (a == NULL) {
		if (err == NULL)
			abort();        /* refused without saying why */
		check_secrets(&ch, data[0], file.buf, err);
		free(err);
		goto out;
	}
	if (gcp_auth_describe(a) == NULL)
		abort();
	check_secrets(&ch, data[0], file.buf, gcp_auth_describe(a));
	(void)gcp_auth_project(a);
	(void)gcp_auth_quota_project(a);
	for (round = 0; round < 2; round++) {
		if (gcp_auth_token(a, &tok, &err) != 0) {
			if (err == NULL)
				abort();
			check_secrets(&ch, data[0], file.buf, err);
			free(err);
			err = NULL;
			continue;
		}
		if (tok == NULL || *tok == '\0' || gcp_auth_expiry_ms(a) <= 0)
			abort();
		gcp_auth_invalidate(a, tok);
		free(tok);
		tok = NULL;
	}
	gcp_auth_free(a);
out:
	sb_free(&file);
	sb_free(&whole);
	http_fuzz_transport = NULL;
	return 0;
}
