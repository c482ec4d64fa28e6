/* notify_webhook: generic webhooks: the finding object of the findings schema as it is, with
 * X-Tfdrift-Event and X-Tfdrift-Finding headers and, with hmac_secret, an HMAC-SHA256
 * signature (X-Tfdrift-Signature: sha256=HEX) of the body. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "notify_int.h"
#include "util.h"

void
notify_hmac_hex(const char *secret, const void *body, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, md, &mdlen) == NULL)
		mdlen = 0;
	for (i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = '\0';
}

static void
webhook_summary(json_object *p, const char *text, const char *output, uint64_t n,
    int per_minute, const char *hostname)
{
	(void)hostname;
	json_object_object_add(p, "type", json_object_new_string("rate_limit_summary"));
	json_object_object_add(p, "output", json_object_new_string(output));
	json_object_object_add(p, "not_sent", json_object_new_int64((int64_t)n));
	json_object_object_add(p, "rate_limit_per_minute", json_object_new_int(per_minute));
	json_object_object_add(p, "message", json_object_new_string(text));
}

/* A POST with the event, the finding id and the signature in headers. */
static int
webhook_send(struct output *o, const char *body, size_t len, const char *event, const char *id,
    char **retry_after, int *retry, char **err)
{
	const char *hdrs[4];
	char *tmp[3] = { NULL, NULL, NULL };
	size_t i, k = 0;
	int rc;

	tmp[0] = xasprintf("X-Tfdrift-Event: %s", event);
	hdrs[k++] = tmp[0];
	if (id != NULL) {
		tmp[1] = xasprintf("X-Tfdrift-Finding: %s", id);
		hdrs[k++] = tmp[1];
	}
	if (o->hmac != NULL) {
		char hex[65];

		notify_hmac_hex(o->hmac, body, len, hex);
		tmp[2] = xasprintf("X-Tfdrift-Signature: sha256=%s", hex);
		hdrs[k++] = tmp[2];
	}
	hdrs[k] = NULL;
	rc = notify_post(o, body, len, hdrs, retry_after, retry, err);
	for (i = 0; i < TF_ARRLEN(tmp); i++)
		free(tmp[i]);
	return rc;
}

/* payload NULL: the finding object is the body. */
const struct notify_ops notify_webhook_ops = {
	.type = COUT_WEBHOOK,
	.summary = webhook_summary,
	.send = webhook_send,
};
