/* fuzz_cloudtrail: libFuzzer target for the CloudTrail LookupEvents poller
 * (src/collectors/cloudtrail.c): LookupEvents pages (Events[], NextToken, the embedded
 * CloudTrailEvent string), AWS JSON error bodies, and the poller's stored cursor. The input
 * is split into chunks (fuzz_common.h); when the first byte is 'c', chunk 0 is the stored
 * cursor (what cursor_get returns) and the others answer the requests, else every chunk
 * answers one. ct_poll_once runs twice (a window, then the next one), then a second poller
 * starts from the cursor the first one saved. Oracles: events handed over carry an id and a
 * record; a saved cursor is a JSON object with "v": 2 (the ids' hashes; a v1 cursor, with
 * the ids themselves, is read too) that the next poller reads back. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "aws_creds.h"
#include "collectors/cloudtrail.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ct_poller *
poller(struct aws_creds *creds)
{
	struct ct_options o;

	memset(&o, 0, sizeof o);
	o.name = "cloudtrail fuzz eu-west-1";
	o.region = "eu-west-1";
	o.endpoint = "http://127.0.0.1:1";
	o.creds = creds;
	o.max_attempts = 2;
	o.max_results = 50;
	return ct_poller_new(&o);
}

static void
check_cursor(const char *c)
{
	json_object *o, *v;

	if (c == NULL)
		return;
	if ((o = json_tokener_parse(c)) == NULL || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "v", &v) || json_object_get_int(v) != 2) {
		fprintf(stderr, "fuzz: the poller saved a cursor it cannot read: %s\n", c);
		abort();
	}
	json_object_put(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct aws_creds *creds;
	struct fz_chunks ch;
	struct fz_sink k;
	struct source_sink sink;
	struct ct_poller *p;
	char *cursor = NULL, *err = NULL;
	int i;

	if (size < 1)
		return 0;
	if (creds == NULL) {
		creds = aws_creds_static("AKIAFUZZ000000000000", "fuzz/secret/key/not/real/000000",
		    NULL);
		/* Windows are computed from the clock: keep it still, so inputs replay. */
		setenv("TFDRIFT_NOW", "2024-05-27T10:00:00Z", 1);
		fz_aws_env_clear();
	}
	memset(&k, 0, sizeof k);
	fz_split(data + 1, size - 1, &ch);
	if (data[0] == 'c') {
		cursor = fz_str(&ch, 0);
		k.cursor_in = cursor;
		fz_http_answer(&ch, 1);
	} else
		fz_http_answer(&ch, 0);
	sink = fz_sink_make(&k);
	p = poller(creds);
	for (i = 0; i < 2; i++) {
		if (ct_poll_once(p, &sink, &err) < 0 && err == NULL && k.last_error == NULL)
			abort();        /* failed without saying why */
		free(err);
		err = NULL;
	}
	ct_poller_free(p);
	check_cursor(k.cursor_out);
	/* A restart: the next poller starts from what this one saved. */
	if (k.cursor_out != NULL) {
		free(cursor);
		cursor = k.cursor_out;
		k.cursor_out = NULL;
		k.cursor_in = cursor;
		p = poller(creds);
		(void)ct_poll_once(p, &sink, &err);
		free(err);
		ct_poller_free(p);
		check_cursor(k.cursor_out);
	}
	fz_sink_clear(&k);
	free(cursor);
	http_fuzz_transport = NULL;
	return 0;
}
