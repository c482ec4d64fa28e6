/* fuzz_pubsub: libFuzzer target for the Pub/Sub pull response decoder
 * (src/collectors/pubsub.c: ps_decode_pull, ps_b64decode): a pull response body
 * (receivedMessages[], each message's base64 data holding a LogEntry for
 * event_from_logentry). Oracles: a body that decodes gives every message an ackId and
 * either an event or a reason; the base64 decoder's output re-encodes to its input (padding
 * and alphabet aside) and is never longer than 3/4 of it. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/pubsub.h"
#include "event.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The input's base64 without padding, in the standard alphabet: what decode must match. */
static void
check_b64(const char *s)
{
	size_t n, i, o = 0, slen = strlen(s);
	char *raw = ps_b64decode(s, &n), *enc;

	if (raw == NULL)
		return;
	if (n > slen / 4 * 3 + 2) {
		fprintf(stderr, "fuzz: %zu bytes from %zu base64 characters\n", n, slen);
		abort();
	}
	enc = xmalloc(n / 3 * 4 + 5);
	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = ((unsigned char)raw[i] << 16) | ((unsigned char)raw[i + 1] << 8) |
		    (unsigned char)raw[i + 2];

		enc[o++] = b64[v >> 18];
		enc[o++] = b64[(v >> 12) & 63];
		enc[o++] = b64[(v >> 6) & 63];
		enc[o++] = b64[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned char)raw[i] << 16;

		enc[o++] = b64[v >> 18];
		enc[o++] = b64[(v >> 12) & 63];
	} else if (n - i == 2) {
		unsigned v = ((unsigned char)raw[i] << 16) | ((unsigned char)raw[i + 1] << 8);

		enc[o++] = b64[v >> 18];
		enc[o++] = b64[(v >> 12) & 63];
		enc[o++] = b64[(v >> 6) & 63];
	}
	enc[o] = '\0';
	/* Compare with the input in the standard alphabet, padding dropped; trailing bits that
	 * do not make a byte may differ (a lenient decoder ignores them). */
	for (i = 0; i < o; i++) {
		char want = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];

		if (i + 1 == o && want != enc[i])
			break;
		if (enc[i] != want) {
			fprintf(stderr, "fuzz: base64 %s decodes to bytes that encode as %s\n", s, enc);
			abort();
		}
	}
	free(enc);
	free(raw);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_message *m = NULL;
	size_t n = 0, i;
	char *err = NULL, *s;

	if (ps_decode_pull((const char *)data, size, &m, &n, &err) == 0) {
		for (i = 0; i < n; i++) {
			if (m[i].ack_id == NULL || *m[i].ack_id == '\0' || m[i].message_id == NULL) {
				fprintf(stderr, "fuzz: message %zu without an ackId\n", i);
				abort();
			}
			if (m[i].ok == (m[i].why != NULL)) {
				fprintf(stderr, "fuzz: message %zu: ok %d, why %s\n", i, m[i].ok,
				    m[i].why ? m[i].why : "NULL");
				abort();
			}
		}
		ps_messages_free(m, n);
	} else {
		if (err == NULL || m != NULL || n != 0) {
			fprintf(stderr, "fuzz: a refused body without a reason\n");
			abort();
		}
		free(err);
	}
	/* The bytes as one base64 string too. */
	s = xstrndup((const char *)data, size);
	check_b64(s);
	free(s);
	return 0;
}
