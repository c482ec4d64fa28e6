/* evlog: the write events the dashboard has seen (the Events, Actors and Timeline views),
 * newest kept, oldest dropped past a cap, with counts by outcome. Main thread only. */
#ifndef TFDRIFT_UI_EVLOG_H
#define TFDRIFT_UI_EVLOG_H

#include <stddef.h>
#include <stdint.h>
#include "replay.h"

struct evlog {
	struct ui_event *v;     /* ring of cap entries; the oldest at head */
	size_t cap, n, head;
	uint64_t total;         /* events ever added */
	uint64_t dropped;       /* the oldest, dropped past the cap */
	uint64_t by_why[ND__COUNT];
	uint64_t gen;           /* bumped on every change (views cache by it) */
};

void evlog_init(struct evlog *l, size_t cap);
void evlog_free(struct evlog *l);
/* Take ownership of e's contents. */
void evlog_add(struct evlog *l, struct ui_event *e);
/* The i-th event, 0 the oldest kept. */
const struct ui_event *evlog_at(const struct evlog *l, size_t i);
/* The i-th newest (0 = the newest). */
const struct ui_event *evlog_newest(const struct evlog *l, size_t i);
/* "drift (2)", "terraform", "read-only", "failed: AccessDenied", ... into out. */
void evlog_outcome(const struct ui_event *e, char *out, size_t len);

#endif
