/* states: the configured Terraform states as one refreshable index. Each spec is a
 * state_src (src/backends/backend.h: local, s3://, gs://, http(s)://, tfc://); a refresh
 * fetches every source (cheaply: ETag, generation, MD5, version id) and builds a new index
 * only when one changed. A refresh where any source fails builds nothing: the caller keeps
 * its last good index, and the error says which source and why.
 *
 * Threads: one thread drives a struct states (states_refresh); states_describe may be
 * called from any thread. */
#ifndef TFDRIFT_STATES_H
#define TFDRIFT_STATES_H

#include <stddef.h>

#include "backends/backend.h"
#include "eventmap.h"
#include "state_index.h"
#include "tfstate.h"

struct states;

/* The index keeps only the attributes keep says (NULL: all; e.g. rules_keep_attr: what the
 * event maps and the rules use); keep is borrowed and must outlive the states. */
struct states *states_new(char **specs, size_t n, const struct state_src_opts *o,
    struct eventmap *map, const struct tfstate_keep *keep, char **err);
void states_free(struct states *s);
/* 0 with a new index in *ix (the caller owns the reference); 1 when nothing changed (*ix
 * NULL); -1 with *err. The first call always builds an index (or fails). */
int states_refresh(struct states *s, struct state_index **ix, char **err);
/* A loader for engine_set_state_loader (ctx = the struct states): "unchanged" is not an
 * error and builds nothing. */
int states_loader(void *ctx, struct state_index **ix, char **err);

/* One row per source for the Sources view (free with states_describe_free). */
struct states_row {
	struct state_src_info info;
	size_t resources;               /* managed instances in the last good parse */
	char *tf_version;
};
void states_describe(struct states *s, struct states_row **out, size_t *n);
void states_describe_free(struct states_row *v, size_t n);

#endif
