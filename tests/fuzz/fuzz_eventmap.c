/* fuzz_eventmap: libFuzzer target for the event-map loader. Any bytes must load or fail with
 * messages (never crash, leak or fail silently); a map that loads must find every entry under
 * each of its names, its paths must evaluate against a small record, and its constants
 * (`value:`) must convert with their transform. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eventmap.h"
#include "yamlutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char record[] =
    "{\"requestParameters\":{\"a\":[{\"b\":1},{\"b\":\"x\"}],\"instanceId\":\"i-1\"},"
    "\"resourceName\":\"projects/p/zones/z/instances/i\",\"request\":{\"labels\":{\"k\":\"v\"}}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eventmap *m = eventmap_new();
	const struct em_entry *out[16];
	const struct index_key_spec *specs;
	json_object *rec, *vals[4];
	char **errs = NULL;
	size_t nerrs = 0, i, j, k, n, nspecs;

	if (eventmap_load_mem(m, "fuzz.yaml", (const char *)data, size, &errs, &nerrs) != 0) {
		if (nerrs == 0)
			abort();        /* failed without saying why */
		for (i = 0; i < nerrs; i++)
			if (strncmp(errs[i], "fuzz.yaml:", 10) != 0)
				abort();        /* every message names the file */
		yerrs_free(errs, nerrs);
		eventmap_free(m);
		return 0;
	}
	if (nerrs != 0)
		abort();
	rec = json_tokener_parse(record);
	for (i = 0; i < eventmap_count(m); i++) {
		const struct em_entry *e = eventmap_entry(m, i);

		for (j = 0; j < e->nnames; j++) {
			int found = 0;

			n = eventmap_lookup(m, e->provider, e->service, e->names[j], out, 16);
			for (k = 0; k < n; k++)
				if (out[k] == e)
					found = 1;
			if (!found && n < 16)
				abort();        /* an entry its own name does not find */
		}
		for (j = 0; j < e->nid_paths; j++)
			jpath_all(e->id_paths[j], rec, vals, 4);
		/* Batches: every element alone, its conditions and composite id. */
		n = e->each != NULL ? jpath_all(e->each, rec, vals, 4) : 0;
		for (k = 0; k <= n && k <= 4; k++) {
			json_object *one = k < n && k < 4 ? jpath_narrow(e->each, rec, vals[k]) :
			    json_object_get(rec);
			char *id;

			eventmap_entry_applies(e, one);
			id = eventmap_match_id(e, one);
			if (e->nidm > 0 && e->id_format == NULL)
				abort();        /* id_match without the id it reports */
			free(id);
			json_object_put(one);
		}
		for (j = 0; j < e->nattrs; j++) {
			json_object *cv = val_from_event(e->attrs[j].transform, e->attrs[j].value);

			/* The loader checks constants against the transform ("" is "none" for
			 * any transform, the one constant that may be NULL). */
			if (e->attrs[j].value != NULL && cv == NULL &&
			    !(json_object_is_type(e->attrs[j].value, json_type_string) &&
			    json_object_get_string_len(e->attrs[j].value) == 0))
				abort();
			json_object_put(cv);
			for (k = 0; k < e->attrs[j].npaths; k++) {
				json_object *v = jpath_get(e->attrs[j].paths[k], rec);
				json_object *c = val_from_event(e->attrs[j].transform, v);
				json_object *s = val_from_state(e->attrs[j].state_transform, v);

				val_equal(c, s);
				json_object_put(c);
				json_object_put(s);
			}
		}
	}
	specs = eventmap_index_specs(m, &nspecs);
	for (i = 0; i < nspecs; i++)
		if (specs[i].type == NULL || specs[i].attr == NULL)
			abort();
	json_object_put(rec);
	eventmap_free(m);
	return 0;
}
