/* fuzz_falco: libFuzzer target for Falco alerts (src/collectors/falco.c), line by line and as
 * the collector reads a file: many lines, delivered in two writes split at a place the first
 * two bytes choose (so a line, a UTF-8 sequence or a JSON string can be cut between reads),
 * with a stored cursor read back. Each line must give an event, nothing, or a message naming
 * the line, never crash or leak.
 *
 * Oracle: the collector hands over exactly the events that falco_line gives for the complete
 * lines of the input (newline-terminated: a file being written may end mid-line, and the tail
 * waits for its newline), however the bytes were split between reads. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/falco.h"
#include "engine.h"
#include "event.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Events falco_line gives for the complete lines of [p, end). */
static uint64_t
count_lines(const char *p, const char *end)
{
	struct falco_counters c;
	uint64_t events = 0;

	memset(&c, 0, sizeof c);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct event ev;
		char *msg = NULL;
		int rc;

		if (nl == NULL)
			break;
		memset(&ev, 0, sizeof ev);
		rc = falco_line(p, (size_t)(nl - p), "fuzz.jsonl:1", &ev, &c, &msg);
		if (rc == 1) {
			if (ev.record == NULL)
				abort();
			events++;
			event_free(&ev);
		} else if (rc < 0) {
			if (msg == NULL || strncmp(msg, "fuzz.jsonl:1: ", 14) != 0)
				abort();        /* malformed without a message naming the line */
		}
		free(msg);
		p = nl + 1;
	}
	return events;
}

static void
append(const char *path, const char *p, size_t n, int truncate)
{
	FILE *fp = fopen(path, truncate ? "wb" : "ab");

	if (fp == NULL || (n > 0 && fwrite(p, 1, n, fp) != n) || fclose(fp) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	const char *p, *end;
	struct collector *c;
	struct fz_sink k;
	struct source_sink sink;
	uint64_t want;
	size_t split;

	if (size < 2)
		return 0;
	if (path == NULL)
		path = fz_path("alerts.jsonl");
	p = (const char *)data + 2;
	end = (const char *)data + size;
	split = ((size_t)data[0] << 8 | data[1]) % (size - 1);
	want = count_lines(p, end);

	/* The collector over the same bytes, written in two goes with a poll after each. */
	memset(&k, 0, sizeof k);
	sink = fz_sink_make(&k);
	append(path, p, split, 1);
	c = falco_collector_new("fuzz", path);
	(void)c->ops->poll_once(c->impl, &sink);
	append(path, p + split, size - 2 - split, 0);
	(void)c->ops->poll_once(c->impl, &sink);
	c->ops->free(c->impl);
	free(c->name);
	free(c);
	if (k.events != want) {
		fprintf(stderr, "fuzz: the collector handed over %llu events, the lines give %llu "
		    "(split at %zu)\n", (unsigned long long)k.events, (unsigned long long)want, split);
		abort();
	}
	/* A restart from the cursor it saved: nothing handed over again. */
	if (k.cursor_out != NULL) {
		char *cur = k.cursor_out;

		k.cursor_out = NULL;
		k.cursor_in = cur;
		k.events = 0;
		c = falco_collector_new("fuzz", path);
		(void)c->ops->poll_once(c->impl, &sink);
		c->ops->free(c->impl);
		free(c->name);
		free(c);
		if (k.events != 0) {
			fprintf(stderr, "fuzz: %llu events again after a restart from cursor %s\n",
			    (unsigned long long)k.events, cur);
			abort();
		}
		free(cur);
	}
	fz_sink_clear(&k);
	return 0;
}
