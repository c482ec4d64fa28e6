/* fuzz_tfplan: libFuzzer target for plans (src/tfplan.c) and what `tfdrift blame` makes of
 * them (src/blame.c). Any bytes must parse or fail with a message naming the source, never
 * crash or leak; a plan that parses is blamed on the CloudTrail records of
 * tests/data/blame/events.json with the shipped event maps (rules/events), and its answer is
 * written as JSON and as text.
 *
 * Oracles: every change of an updated object has a path and a before that differs from its
 * after (val_equal); in the JSON answer a change marked sensitive shows "(sensitive)" for
 * both values, a change is unexplained exactly when it lists no event, events_total is at
 * least what is listed, and the summary counts the changes listed. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blame.h"
#include "eventmap.h"
#include "tfplan.h"
#include "util.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 64

static struct eventmap *map;
static struct event events[MAX_EVENTS];
static size_t nevents;
static FILE *devnull;

static void
setup(void)
{
	char *dir = xasprintf("%s/rules/events", ABS_TOP_SRCDIR);
	char *path = xasprintf("%s/tests/data/blame/events.json", ABS_TOP_SRCDIR), *err = NULL;
	struct ev_reader *r;

	map = eventmap_load_report(dir, stderr);
	if (map == NULL)
		map = eventmap_new();
	if ((r = ev_reader_open(path, &err)) != NULL) {
		while (nevents < MAX_EVENTS && ev_reader_next(r, &events[nevents], &err) == 1)
			nevents++;
		ev_reader_close(r);
	}
	free(err);
	devnull = fopen("/dev/null", "w");
	free(dir);
	free(path);
}

static int
is_masked(json_object *o, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(o, k, &v) && json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "(sensitive)") == 0;
}

static void
check_answer(json_object *doc, size_t want_changes)
{
	json_object *res, *sum, *v;
	size_t i, k, n = 0;

	if (!json_object_object_get_ex(doc, "resources", &res) ||
	    !json_object_object_get_ex(doc, "summary", &sum))
		__builtin_trap();
	for (i = 0; i < json_object_array_length(res); i++) {
		json_object *chs, *r = json_object_array_get_idx(res, i);

		if (!json_object_object_get_ex(r, "changes", &chs))
			__builtin_trap();
		for (k = 0; k < json_object_array_length(chs); k++) {
			json_object *c = json_object_array_get_idx(chs, k), *evs, *un;

			n++;
			if (json_object_object_get_ex(c, "sensitive", &v) &&
			    (!is_masked(c, "before") || !is_masked(c, "after")))
				__builtin_trap();
			if (!json_object_object_get_ex(c, "events", &evs) ||
			    !json_object_object_get_ex(c, "unexplained", &un) ||
			    json_object_get_boolean(un) != (json_object_array_length(evs) == 0) ||
			    !json_object_object_get_ex(c, "events_total", &v) ||
			    json_object_get_int64(v) < (int64_t)json_object_array_length(evs))
				__builtin_trap();
		}
	}
	if (n != want_changes || !json_object_object_get_ex(sum, "changes", &v) ||
	    (size_t)json_object_get_int64(v) != n)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tf_plan *p = NULL;
	struct blame *b;
	json_object *doc;
	char *err = NULL;
	size_t i, k, nch = 0;

	if (map == NULL)
		setup();
	if (tfplan_parse((const char *)data, size, "fuzz.json", &p, &err) != 0) {
		if (err == NULL || strncmp(err, "fuzz.json:", 10) != 0 ||
		    (err[10] != ' ' && (err[10] < '1' || err[10] > '9')))
			__builtin_trap();       /* names its source: FILE: or FILE:LINE:COL: */
		free(err);
		return 0;
	}
	for (i = 0; i < p->nres; i++) {
		const struct tfplan_resource *r = &p->res[i];

		nch += r->nchanges;
		for (k = 0; r->action == TPA_UPDATE && r->before != NULL && r->after != NULL &&
		    k < r->nchanges; k++)
			if (r->changes[k].path == NULL ||
			    val_equal(r->changes[k].before, r->changes[k].after))
				__builtin_trap();
	}
	b = blame_new(p, NULL, 0, map, NULL);
	for (i = 0; i < nevents; i++)
		blame_add_event(b, &events[i]);
	doc = blame_to_json(b);
	check_answer(doc, nch);
	json_object_put(doc);
	if (devnull != NULL)
		blame_print_text(b, devnull);
	blame_free(b);
	return 0;
}
