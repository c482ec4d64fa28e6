/* fuzz_events: libFuzzer target for the event readers. Arbitrary bytes go through
 * ev_reader_open_mem and ev_reader_next until the end, once plainly and once with the
 * read-only fast path; every event and the reader are freed, so leaks show up under ASan.
 * Oracles: counters add up, and the fast path only moves events to "skipped read-only":
 * exactly the events the full parse reads as read-only, with the same warnings (a record the
 * full parse repairs is not skipped unparsed), and of them exactly those whose event time
 * is outside a window counted apart (a raw-byte decision that disagreed with the full parse
 * would change one of these).
 * Build: clang -fsanitize=fuzzer,address,undefined -I. -Isrc src/util.c src/input.c src/text.c
 *        src/event.c src/event_aws.c src/event_gcp.c src/event_reader.c tests/fuzz/fuzz_events.c
 *        $(pkg-config --cflags --libs json-c zlib libcrypto) */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
sink(void *ctx, const char *msg)
{
	size_t *n = ctx;

	*n += strlen(msg) > 0;
}

struct result {
	int opened, rc;
	uint64_t events, skipped, malformed, ro, ro_outside;
	uint64_t ro_events, ro_events_outside;  /* read-only events handed out */
	size_t warned;
};

/* The window both runs count against: 2024-05-27T10:00:00Z .. 10:30:00Z. */
#define WIN_SINCE INT64_C(1716804000000)
#define WIN_UNTIL INT64_C(1716805800000)

static void
drain(const uint8_t *data, size_t size, int skip_ro, struct result *res)
{
	struct ev_reader *r;
	struct event ev;
	char *err = NULL;
	size_t warned = 0;
	int rc;

	memset(res, 0, sizeof *res);
	r = ev_reader_open_mem("fuzz", (const char *)data, size, &err);
	if (r == NULL) {
		if (err == NULL)
			abort();        /* a failed open must say why */
		free(err);
		return;
	}
	ev_reader_set_warn(r, sink, &warned);
	ev_reader_set_skip_read_only(r, skip_ro);
	ev_reader_set_window(r, WIN_SINCE, WIN_UNTIL);
	while ((rc = ev_reader_next(r, &ev, &err)) == 1) {
		/* Touch what consumers read. */
		if (ev.origin == NULL || ev.raw == NULL || ev.record == NULL)
			abort();
		if (ev.read_only == 1) {
			res->ro_events++;
			if (ev.time_ms != 0 && (ev.time_ms < WIN_SINCE || ev.time_ms > WIN_UNTIL))
				res->ro_events_outside++;
		}
		(void)tf_via_name(ev.actor.via);
		event_free(&ev);
	}
	if (rc < 0) {
		if (err == NULL)
			abort();
		free(err);
	}
	{
		const struct ev_counters *c = ev_reader_counters(r);

		if (c->events + c->skipped + c->malformed + ev_reader_skipped_read_only(r) != c->records)
			abort();
		res->opened = 1;
		res->rc = rc;
		res->events = c->events;
		res->skipped = c->skipped;
		res->malformed = c->malformed;
		res->ro = ev_reader_skipped_read_only(r);
		res->ro_outside = ev_reader_skipped_read_only_outside(r);
		res->warned = warned;
	}
	ev_reader_close(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct result plain, fast;

	drain(data, size, 0, &plain);
	drain(data, size, 1, &fast);
	if (plain.opened != fast.opened || plain.rc != fast.rc || plain.ro != 0 ||
	    plain.skipped != fast.skipped || plain.malformed != fast.malformed ||
	    plain.events != fast.events + fast.ro || fast.ro_events != 0 ||
	    plain.ro_events != fast.ro || plain.ro_events_outside != fast.ro_outside ||
	    plain.ro_outside != 0 || plain.warned != fast.warned)
		abort();
	return 0;
}
