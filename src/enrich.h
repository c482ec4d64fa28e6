/* enrich: the context of a finding: the resource's tags or labels from state, its blast
 * radius (what depends on it, from the state's `dependencies`), earlier findings on it from
 * the store, and the command that reverts or imports it. */
#ifndef TFDRIFT_ENRICH_H
#define TFDRIFT_ENRICH_H

#include <stdint.h>

#include "finding.h"
#include "state_index.h"
#include "store.h"

#define ENRICH_TOP 5                    /* dependent addresses listed in blast_radius.top */
#define ENRICH_HISTORY_MAX 10           /* earlier findings listed in history */
#define ENRICH_HISTORY_MS (7LL * 24 * 3600 * 1000)     /* how far back history looks */

/* Tags, blast radius and fix from the state index (any thread holding a reference on ix;
 * the reverse-dependency graph is built once per index, on first use, and shared). The
 * finding's resource is found by its state source and address; an unmanaged finding gets
 * only its fix. Replaces what an earlier call set. ix may be NULL (fix only). */
void enrich_finding_from_state(const struct state_index *ix, struct finding *f);

/* f->history: the findings stored on the same resource (store_resource_key) whose event
 * came in the ENRICH_HISTORY_MS before this one's (before now_ms when its time is unknown),
 * newest first, at most ENRICH_HISTORY_MAX. On the store's thread. 0, or -1 with *err
 * (f->history then stays empty). */
int enrich_history(struct store *st, struct finding *f, int64_t now_ms, char **err);

/* The command for f (heap), or NULL when there is none (a freeze violation that names no
 * resource): `terraform apply -target=ADDRESS` for managed resources, `terraform import
 * TYPE.NAME ID` for unmanaged ones; arguments shell-quoted when needed. */
char *enrich_fix(const struct finding *f);

/* The reverse-dependency graph (tests): the number of managed instances that depend on
 * `address` in state `state` (index into the index's states), directly and in all; -1 when
 * the address is not in that state. */
struct enrich_graph;
const struct enrich_graph *enrich_graph_get(const struct state_index *ix);
int enrich_graph_radius(const struct enrich_graph *g, size_t state, const char *address,
    struct blast_radius *out);

#endif
