/* resdrift: drift per resource and findings per actor session, over the dashboard's
 * findings (no curses; unit-tested). A resource's drift is the net of its findings that are
 * still drifted (open or acknowledged) against state: A→B then B→C is A→C, A→B then B→A is
 * nothing. A session is one actor's run of findings (same person, same role session), each
 * within a gap of the one before. Main thread only; the findings are borrowed. */
#ifndef TFDRIFT_UI_RESDRIFT_H
#define TFDRIFT_UI_RESDRIFT_H

#include <stddef.h>
#include <stdint.h>
#include "finding.h"

/* 1 when the finding is drift still there: open or acknowledged (not suppressed, not
 * resolved). */
int resdrift_is_open(const struct finding *f);

/* The net diff of findings on one resource, given oldest first (only the ones that are
 * still drifted count): "attr A → C; tags.env +x; password changed (sensitive)", with
 * "deleted" or "unmanaged" first for those kinds; "" when the changes cancel out. Sensitive
 * values never appear. Heap. */
char *resdrift_net_diff(const struct finding *const *v, size_t n);

/* One resource with drift. */
struct resdrift {
	char *key;                      /* store_resource_key: the address, else TYPE:ID (heap) */
	const struct finding *newest;   /* its newest finding (type, id, address) */
	size_t nopen, nfindings;        /* findings still drifted, all findings */
	int64_t since_ms;               /* the oldest open finding's event time */
	int64_t last_ms;                /* the newest finding's event time (events: the caller) */
	int worst;                      /* worst severity of the open ones */
	char *actors;                   /* of the open findings, distinct, newest first, ", " (heap) */
	char *diff;                     /* resdrift_net_diff of the open ones (heap) */
};

/* Every resource with at least one finding still drifted, from n findings (any order), in
 * key order. Returns how many; *out is heap (resdrift_free). */
size_t resdrift_build(const struct finding *const *all, size_t n, struct resdrift **out);
/* The same over findings whose change values are parsed on demand (the model's compact
 * ones, compact.h): load(ctx, f) before a resource's net diff reads f's values, returning
 * 1 when it parsed them, and unload(ctx, f) after for those, so that no more than one
 * resource's values are parsed at a time. */
struct resdrift_loader {
	int (*load)(void *ctx, const struct finding *f);
	void (*unload)(void *ctx, const struct finding *f);
	void *ctx;
};
size_t resdrift_build_lazy(const struct finding *const *all, size_t n, struct resdrift **out,
    const struct resdrift_loader *ld);
void resdrift_free(struct resdrift *v, size_t n);

/* The actor of a finding as lists show it (name, else principal, else "?"). */
const char *resdrift_actor(const struct finding *f);

/* Sessions over rows of findings in list order (newest first or oldest first): a group is
 * a run of at least two consecutive rows with the same actor session (name or principal,
 * role, session), each within gap_ms of the row before. */
struct resdrift_session {
	size_t first, n;                /* rows [first, first + n) */
	size_t nresources;              /* distinct resources among them */
	int64_t from_ms, to_ms;         /* the oldest and newest event time */
};
/* The groups among rows (v[rows[i]]), in row order; *out heap. Returns how many. */
size_t resdrift_sessions(const struct finding *const *v, const size_t *rows, size_t nrows,
    int64_t gap_ms, struct resdrift_session **out);
/* "alice@corp.example: 7 changes on 4 resources in 3 min" (heap). */
char *resdrift_session_label(const struct finding *any, const struct resdrift_session *s);

#endif
