/* evlog: the write events the dashboard has seen (the Events, Actors, Resource and Timeline
 * views), newest kept, oldest dropped past a cap, with counts by outcome. Raw records are
 * kept within a byte budget (the oldest give theirs up first). Main thread only. */
#ifndef TFDRIFT_UI_EVLOG_H
#define TFDRIFT_UI_EVLOG_H

#include <stddef.h>
#include <stdint.h>
#include "replay.h"

struct evlog {
	struct ui_event *v;     /* ring of cap entries; the oldest at head */
	size_t cap, n, head;
	uint64_t total;         /* events ever added (the next one's seq) */
	uint64_t dropped;       /* the oldest, dropped past the cap */
	uint64_t by_why[ND__COUNT];
	uint64_t gen;           /* bumped on every change (views cache by it) */
	size_t raw_bytes, raw_budget;
	uint64_t raw_from;      /* seq of the oldest event that may still hold its raw record */
};

void evlog_init(struct evlog *l, size_t cap);
void evlog_free(struct evlog *l);
/* Take ownership of e's contents; sets its seq. */
void evlog_add(struct evlog *l, struct ui_event *e);
/* The i-th event, 0 the oldest kept. */
const struct ui_event *evlog_at(const struct evlog *l, size_t i);
/* The i-th newest (0 = the newest). */
const struct ui_event *evlog_newest(const struct evlog *l, size_t i);
/* The event numbered seq, or NULL when it was dropped (or never was). */
const struct ui_event *evlog_seq(const struct evlog *l, uint64_t seq);
/* The seq of the oldest event kept (total when empty). */
uint64_t evlog_first_seq(const struct evlog *l);
/* "drift: 2 findings", "terraform pipeline", "failed: AccessDenied", "equal to state;
 * resolved 1" (a revert), ... into out. */
void evlog_outcome(const struct ui_event *e, char *out, size_t len);

#endif
