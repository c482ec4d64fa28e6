/* state_index: an immutable lookup index over one or more states: provider-scoped keys
 * (aws:<id>, aws:<arn>, aws:<name-like attribute>, gcp:<full path>) -> resource instances.
 * Built once, then shared read-only between threads with a reference count. */
#ifndef TFDRIFT_STATE_INDEX_H
#define TFDRIFT_STATE_INDEX_H

#include <stddef.h>
#include <stdio.h>
#include "tfstate.h"

struct state_index;

/* Which attributes (besides id/arn/self_link) are indexed, per resource type: from the event
 * maps. `type` may be "*" for every type. */
struct index_key_spec {
	const char *type;
	const char *attr;
};

/*
 * A spec's attr may be a template over the instance's attributes: literal text with {attr}
 * placeholders, "{log_group_name}:{name}" or
 * "projects/{project}/locations/{location}/clusters/{cluster}/nodePools/{name}", for resources
 * whose Terraform id leaves out the parent or is spelled unlike the API's name. The expanded
 * text is indexed; an instance with any placeholder empty or absent gets no key from it.
 */
int state_index_is_template(const char *key);
/* NULL when `tpl` is a valid template, else a heap message saying what is wrong. */
char *state_index_template_check(const char *tpl);
/* The attribute name of placeholder i (heap), or NULL past the last. */
char *state_index_template_attr(const char *tpl, size_t i);
/* The template filled from the instance (heap), or NULL when a value is missing or empty
 * (strings and numbers fill a placeholder; anything else does not). */
char *state_index_template_expand(const struct tf_instance *in, const char *tpl);

/* Build an index over `states` (ownership of the states passes to the index). */
struct state_index *state_index_build(struct tf_state **states, size_t nstates,
    const struct index_key_spec *specs, size_t nspecs);
void state_index_ref(struct state_index *ix);
void state_index_unref(struct state_index *ix);

/* Normalize a lookup value: GCP self links and URLs are reduced to the relative
 * "projects/..." path; leading/trailing space trimmed. Returns a heap string. */
char *state_index_norm_value(const char *provider, const char *value);

/* Find instances by provider ("aws"/"gcp") and identifier value; filtered to `type` when it is
 * non-NULL. Fills up to `max` pointers, returns the number found (may exceed max: count). */
size_t state_index_find(const struct state_index *ix, const char *provider, const char *value,
    const char *type, const struct tf_instance **out, size_t max);
/* Find instances of `type` whose attributes equal every (attr, value) pair given (string compare
 * after normalization), e.g. aws_iam_role_policy_attachment {role=r, policy_arn=arn}. */
size_t state_index_match(const struct state_index *ix, const char *type,
    const char *const *attrs, const char *const *values, size_t npairs,
    const struct tf_instance **out, size_t max);
/* state_index_match comparing as DNS names do (id_match in the event maps): letters in any
 * case, a final dot ignored, and a wanted NULL also matches "". */
size_t state_index_match_fold(const struct state_index *ix, const char *type,
    const char *const *attrs, const char *const *values, size_t npairs,
    const struct tf_instance **out, size_t max);

/* A structure derived from the index, built by build(ix) on the first call from any thread
 * and shared read-only from then on; free_fn frees it with the index. One slot per index
 * (enrich.c's reverse-dependency graph uses it). */
void *state_index_derived(const struct state_index *ix,
    void *(*build)(const struct state_index *), void (*free_fn)(void *));

size_t state_index_count(const struct state_index *ix);        /* managed instances */
/* Instances left out as duplicates: one address twice in a state, or one AWS/GCP object (type
 * and id) under two addresses or in two states; the first of each is indexed and counted.
 * Returns how many; *notes (borrowed, up to 100) says which, one line each: "prod.tfstate:
 * aws_instance.a and aws_instance.b are the same aws_instance (i-1); counted once, as
 * aws_instance.a". Callers show them as warnings. */
size_t state_index_duplicates(const struct state_index *ix, const char *const **notes,
    size_t *nnotes);
/* Those notes as "tfdrift: warning: ..." lines on fp, at most max, then how many more. */
void state_index_warn_duplicates(const struct state_index *ix, FILE *fp, size_t max);
size_t state_index_nstates(const struct state_index *ix);
const struct tf_state *state_index_state(const struct state_index *ix, size_t i);

#endif
