/* rules: YAML drift rules (the files in rules/ and user directories) that give findings their
 * severity, remediation and runbook. Loaded and compiled once (globs, paths, operators, literal
 * types); evaluation allocates only when a rule matches. See doc/rules.md for the format.
 *
 * A loaded set is immutable once rules_finish() ran, and reference counted, so the detector
 * threads of scan, watch and the dashboard share one. */
#ifndef TFDRIFT_RULES_H
#define TFDRIFT_RULES_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "conf.h"
#include "event.h"
#include "finding.h"
#include "tfstate.h"

struct rules;

struct rules *rules_new(void);
/* Load one rule file (or buffer) into r. Every mistake is appended to *errs as
 * "file:line:column: what"; returns -1 when this file added any. Duplicate ids across files
 * are errors too. */
int rules_load_file(struct rules *r, const char *path, char ***errs, size_t *nerrs);
int rules_load_mem(struct rules *r, const char *name, const char *buf, size_t len,
    char ***errs, size_t *nerrs);
/* A directory (its *.yaml and *.yml, sorted, not its subdirectories: rules/events holds the
 * event maps) or a single file. */
int rules_load_path(struct rules *r, const char *path, char ***errs, size_t *nerrs);
/* Turn off the rules whose id matches the glob; returns how many. Before rules_finish. */
size_t rules_disable(struct rules *r, const char *glob);
/* Build the index by resource type; after this the set is read-only. */
void rules_finish(struct rules *r);
/* The set is immutable: a reference only keeps it alive (atomic count, any thread). */
struct rules *rules_ref(const struct rules *r);
void rules_unref(struct rules *r);         /* frees on the last reference; NULL is fine */
size_t rules_count(const struct rules *r);         /* enabled rules */
size_t rules_test_count(const struct rules *r);

/* 1 when a YAML buffer is a rule file (a top-level `rules:` key), 0 otherwise (an event map,
 * or something that does not parse: the event-map checker reports that). */
int rules_sniff(const char *buf, size_t len);

/* The rules of the configuration: `rules_dirs` (default <datadir>/rules) minus
 * `rules_disabled`. 0, or -1 with the errors in *errs (and *out NULL). */
int rules_load_configured(const struct conf *c, struct rules **out, char ***errs,
    size_t *nerrs);

/* The same, for commands: errors are printed to fp ("file:line:column: what" lines and a
 * count); returns the set, or NULL. */
struct rules *rules_load_configured_report(const struct conf *c, FILE *fp);

/* Evaluate every candidate rule against a finding just made: matched rules are appended to
 * f->rules (with remediation and runbook) and f->severity becomes the highest of their
 * severities; with no match it stays. `in` is the managed instance (NULL for unmanaged), `ev`
 * the event (NULL when there is none). Returns how many matched. */
size_t rules_apply(const struct rules *r, struct finding *f, const struct tf_instance *in,
    const struct event *ev);

/* Does any rule read this top-level state attribute of this type (a `state:` condition or
 * an `attribute:` one that falls back to state)? For tfstate_keep filters. */
int rules_wants_state_attr(const struct rules *r, const char *type, const char *attr);
/* A tfstate_keep filter (src/tfstate.h) for states: keep what the event maps compare and
 * what the rules read. ctx is a struct rules_keep (rules may be NULL). */
struct em_attrset;
struct rules_keep {
	struct em_attrset *set;
	const struct rules *rules;
};
int rules_keep_attr(void *ctx, const char *type, const char *attr);

/* Run the tests embedded in the rule files (`tests:`), printing one line per test to fp.
 * Returns the number of failures; *npass gets the passes. */
size_t rules_run_tests(const struct rules *r, FILE *fp, size_t *npass);

#endif
