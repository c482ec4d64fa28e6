/* fuzz_gcplogging: libFuzzer target for the Cloud Logging poller
 * (src/collectors/gcplogging.c): entries:list pages (entries[], nextPageToken, each LogEntry
 * through event_from_logentry), Google error bodies, and the poller's stored cursor. The
 * input is split into chunks (fuzz_common.h); when the first byte is 'c', chunk 0 is the
 * stored cursor and the others answer the requests, else every chunk answers one.
 * gl_poll_once runs twice, then a second poller starts from the cursor the first one saved.
 * Oracles: the sink's; a poll that fails says why; a saved cursor reads back (a poller made
 * from it counts no error). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/gcplogging.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
token(void *ctx, char **tok, char **err)
{
	(void)ctx;
	(void)err;
	*tok = xstrdup("ya29.fuzz-logging-token");
	return 0;
}

static struct gl_poller *
poller(const struct source_sink *sink)
{
	struct gl_opts o;
	struct gl_poller *p;
	char *err = NULL;

	memset(&o, 0, sizeof o);
	o.project = "tfdrift-lab";
	o.endpoint = "http://127.0.0.1:1/";
	o.tokens.get = token;
	o.page_size = 1000;
	o.min_interval_ms = -1;
	o.max_attempts = 2;
	if ((p = gl_poller_new(&o, sink, &err)) == NULL) {
		fprintf(stderr, "fuzz: %s\n", err ? err : "?");
		abort();
	}
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_chunks ch;
	struct fz_sink k;
	struct source_sink sink;
	struct gl_poller *p;
	char *cursor = NULL, *err = NULL;
	int i;

	if (size < 1)
		return 0;
	setenv("TFDRIFT_NOW", "2024-05-27T10:00:00Z", 1);
	memset(&k, 0, sizeof k);
	fz_split(data + 1, size - 1, &ch);
	if (data[0] == 'c') {
		cursor = fz_str(&ch, 0);
		k.cursor_in = cursor;
		fz_http_answer(&ch, 1);
	} else
		fz_http_answer(&ch, 0);
	sink = fz_sink_make(&k);
	p = poller(&sink);
	for (i = 0; i < 2; i++) {
		if (gl_poll_once(p, &err) < 0 && err == NULL)
			abort();        /* failed without saying why */
		free(err);
		err = NULL;
	}
	(void)gl_poller_stats(p);
	gl_poller_free(p);
	/* A restart from the saved cursor: it must read back. */
	if (k.cursor_out != NULL) {
		free(cursor);
		cursor = k.cursor_out;
		k.cursor_out = NULL;
		k.cursor_in = cursor;
		p = poller(&sink);
		/* A cursor that does not decode is counted as an error at once. */
		if (gl_poller_stats(p)->errors != 0) {
			fprintf(stderr, "fuzz: the poller saved a cursor it cannot read: %s\n", cursor);
			abort();
		}
		(void)gl_poll_once(p, &err);
		free(err);
		gl_poller_free(p);
	}
	fz_sink_clear(&k);
	free(cursor);
	http_fuzz_transport = NULL;
	return 0;
}
