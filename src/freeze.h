/* freeze: change-freeze windows and the one rule that says whether an event falls in one.
 *
 * A window comes from the config (`freeze_windows:`), from `scan --freeze NAME=START..END`,
 * from the store (`tfdrift freeze add`, the dashboard's F key) or is made ad hoc by the UI.
 * Detect and the dashboard share this module, so "is this event in the freeze" and "is a
 * freeze on now" have one answer everywhere.
 *
 * Times are ms since the epoch, UTC. A window is [start, end): start inclusive, end
 * exclusive. Scope lists are globs (* and ?; e.g. aws_iam_*); an empty list is "any".
 * `accounts` scopes AWS events (their account id), `projects` scopes GCP events (their
 * project id): a window with either list set matches only events of a provider whose list
 * matches (a window with accounts only is an AWS-only window). `regions` is the event's
 * region (GCP: its location, e.g. europe-west1 or global). `resource_types` is the Terraform
 * type the event map resolves; an event no map covers has no type and matches only windows
 * without a resource_types scope.
 *
 * Threads: the functions are pure; a window is plain data owned by whoever made it (copy it
 * with freeze_window_copy to hand it to another thread, e.g. detector_set_freezes). */
#ifndef TFDRIFT_FREEZE_H
#define TFDRIFT_FREEZE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "conf.h"
#include "event.h"

enum freeze_origin { FO_CONFIG = 0, FO_CLI, FO_STORE, FO_ADHOC };
const char *freeze_origin_name(enum freeze_origin o);   /* config cli store adhoc */

struct freeze_window {
	char *name;                        /* required, non-empty */
	int64_t start_ms, end_ms;          /* [start, end) */
	struct strlist accounts;           /* AWS account id globs */
	struct strlist projects;           /* GCP project id globs */
	struct strlist regions;            /* region / location globs */
	struct strlist resource_types;     /* Terraform type globs */
	enum freeze_origin origin;
	int64_t id;                        /* store row id; 0 when not from the store */
	char *created_by;                  /* store: who added it; else NULL */
	int64_t created_ms;                /* store: when; else 0 */
};

void freeze_window_clear(struct freeze_window *w);      /* frees contents, zeroes */
void freeze_window_copy(struct freeze_window *dst, const struct freeze_window *src);
void freeze_windows_free(struct freeze_window *v, size_t n);   /* clears each, frees v */
/* A deep copy of n windows (NULL when n is 0). */
struct freeze_window *freeze_windows_dup(const struct freeze_window *v, size_t n);
/* Append a deep copy of w to *v (*n grows by one). */
void freeze_windows_push(struct freeze_window **v, size_t *n, const struct freeze_window *w);

/* 0, or -1 with *err: no name, no start or end, end not after start. */
int freeze_window_check(const struct freeze_window *w, char **err);

/* Is t inside [start, end)? */
int freeze_window_contains(const struct freeze_window *w, int64_t t_ms);
/* Account/project and region scope only (no time, no type). */
int freeze_window_scope_match(const struct freeze_window *w, const struct event *ev);
/* Type scope only: a NULL type (event not covered by a map) matches only an unscoped window. */
int freeze_window_type_match(const struct freeze_window *w, const char *resource_type);
/* Does the event fall in the window: time (ev->time_ms; an event with no time is never in a
 * window), account or project, region and, when resource_type is given, type. This is the
 * rule detect uses; it says nothing about who made the change (detect exempts the pipeline,
 * cloud services, read-only and failed calls before asking). */
int freeze_window_match(const struct freeze_window *w, const struct event *ev,
    const char *resource_type);

/* For the banner. The active window at now (start <= now < end) that ends last (the freeze
 * holds until then; the first of equals), or NULL. */
const struct freeze_window *freeze_current(const struct freeze_window *v, size_t n, int64_t now_ms);
/* The window that starts next after now, or NULL. */
const struct freeze_window *freeze_next(const struct freeze_window *v, size_t n, int64_t now_ms);
/* Time left as the banner shows it: "2h05m", "45m", "59s", "3d4h"; 0 or less is "0s". */
void freeze_format_left(int64_t ms, char out[32]);

/* The end (or start) a person types, for `freeze add --until` and the F key: tf_parse_when
 * looking forward (a duration is from now, HH:MM the next time the clock shows it). 0, or -1
 * when it is none of its forms. */
int freeze_parse_time(const char *s, int64_t now_ms, int64_t *out);
/* `scan --freeze NAME=START..END` (RFC 3339 or epoch seconds): a window with no scope,
 * origin FO_CLI. 0, or -1 with *err. */
int freeze_parse_spec(const char *spec, struct freeze_window *w, char **err);

/* The scope as JSON {"accounts":[...],"projects":[...],"regions":[...],"resource_types":[...]}
 * (empty lists left out): what the store keeps. Heap string. */
char *freeze_scope_to_json(const struct freeze_window *w);
/* The inverse (replaces w's scope lists); 0, or -1 with *err. */
int freeze_scope_from_json(const char *json, struct freeze_window *w, char **err);
/* {"name","start","end"}: what a finding carries. */
json_object *freeze_window_to_json(const struct freeze_window *w);
/* One line for lists: "cab 2024-05-27T08:00:00Z..2024-05-27T12:00:00Z accounts=1,2
 * regions=eu-*" (scope parts only when set). Heap string. */
char *freeze_window_describe(const struct freeze_window *w);

#endif
