/* blame: `tfdrift blame --plan PLAN.json`: for each resource a refresh-only plan found
 * drifted (its resource_drift) and each changed attribute, the audit events that explain the
 * change, newest first, or that nothing recorded does. Events come from files (the readers
 * scan uses) or from the store (the events `scan --store` and `watch` saved); the same
 * events give the same answer either way.
 *
 * An event explains a change when the detector's event maps and state lookups (detect.h,
 * with the plan's `before` objects as the state) find that it wrote to the resource and:
 *   value      it set the attribute to the plan's `after` value;
 *   attribute  it changed the attribute, but the log does not carry the value (user data,
 *              passwords), or the map marks it sensitive (its value is never compared): weaker;
 *   resource   it changed the resource, but the log does not say which attribute: weaker;
 *   delete     it deleted the resource (a deleted resource's one change).
 * Failed calls and read-only events never explain anything. Values the plan marks sensitive
 * (before_sensitive, after_sensitive), that --state marks sensitive, that an event map marks
 * sensitive or that have a secret's name are printed as "(sensitive)".
 *
 * One struct blame per run, on one thread. */
#ifndef TFDRIFT_BLAME_H
#define TFDRIFT_BLAME_H

#include <stdio.h>
#include <json-c/json.h>

#include "conf.h"
#include "event.h"
#include "eventmap.h"
#include "tfplan.h"

struct blame;

/* Takes the plan (freed with the blame) and the extra states (their array too; their
 * instances mark sensitive values and are looked up after the plan's); borrows map and conf. */
struct blame *blame_new(struct tf_plan *plan, struct tf_state **states, size_t nstates,
    const struct eventmap *map, const struct conf *conf);
void blame_free(struct blame *b);
/* List at most n events per change, the newest (0: all; the default is
 * BLAME_DEFAULT_MAX_EVENTS); the JSON's events_total still counts them all. */
#define BLAME_DEFAULT_MAX_EVENTS 20
void blame_set_max_events(struct blame *b, size_t n);
/* Leave out events after until_ms (0: none): what happened after the plan was made explains
 * nothing it saw. blame_new sets it to the plan's timestamp. */
void blame_set_until(struct blame *b, int64_t until_ms);
/* Consider one event (any order; duplicates by provider and id count once). */
void blame_add_event(struct blame *b, const struct event *ev);
/* The answer: {"schema": "tfdrift.blame/v1", "generated_at", "plan", "resources": [...],
 * "summary"} (doc/blame.md, doc/blame.schema.json). A new object. */
json_object *blame_to_json(struct blame *b);
/* The answer for a terminal, every logged string escaped (text.h). */
void blame_print_text(struct blame *b, FILE *fp);
/* Changes no event explains (0: everything explained). */
size_t blame_unexplained(struct blame *b);

/* What `tfdrift blame` was asked (src/cmd/cmd_blame.c reads its options). */
struct blame_opts {
	const char *plan;               /* --plan: terraform show -json of a plan */
	const char *store;              /* --store: the events watch and scan --store saved */
	const char *output;             /* -o, or NULL: standard output */
	const char *config;             /* -c FILE, or NULL: the usual places */
	const char *event_maps;         /* --event-maps, or NULL: the configured ones */
	struct strlist events, states;  /* --events, --state */
	size_t max_events;              /* blame_set_max_events */
	int64_t until_ms;               /* --until, -1: the plan's timestamp */
	int json, quiet;                /* JSON, not text; no summary or warnings */
};

/* Runs it; returns the exit status: 0 every drift explained (or none), 2 some not, 1 error. */
int blame_run(const struct blame_opts *o);

#endif
