/* map_probe: what each event-map entry reads in real records, for tests/maps/records.sh.
 *
 *   map_probe MAPS_DIR FILE...
 *
 * Reads every audit event of the files with the reader scan uses, and for every entry of the
 * maps that names the event (alternatives included) prints one JSON line:
 *   {"entry":"ec2.yaml:12","event":"RunInstances","resource":"aws_instance",
 *    "origin":"file.json#3","failed":false,"read_only":0,"ids":["i-0abc"],
 *    "attrs":{"instance_type":"present","user_data":"absent","tags":"empty","x":"constant"},
 *    "cover":{"role":"present"}}
 * ids are what detection looks up (detector_entry_ids); attributes and covered_by paths are
 * reported as present, empty ("", [] or {}), absent or constant, never with their values (a
 * record may carry secrets). Files the reader rejects are reported on stderr and skipped.
 * Exit: 0, 1 when the maps do not load, 2 on a bad command line. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "detect.h"
#include "event.h"
#include "eventmap.h"
#include "jpath.h"
#include "util.h"
#include "value.h"

#define MAX_ENTRIES 32
#define MAX_IDS 256

static const char *
presence(json_object *v)
{
	if (v == NULL)
		return "absent";
	if (val_empty(v) || (json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) == 0))
		return "empty";
	return "present";
}

static void
probe(const struct eventmap *m, const struct event *ev)
{
	const struct em_entry *ents[MAX_ENTRIES];
	size_t n, i, j;

	if (ev->record == NULL)
		return;
	n = eventmap_lookup(m, ev->provider, ev->source, ev->name, ents, MAX_ENTRIES);
	for (i = 0; i < n && i < MAX_ENTRIES; i++) {
		const struct em_entry *e = ents[i];
		json_object *o = json_object_new_object(), *ids = json_object_new_array();
		json_object *attrs = json_object_new_object(), *cover = json_object_new_object();
		const char *base = strrchr(e->file, '/');
		char *idv[MAX_IDS], *where = xasprintf("%s:%d", base ? base + 1 : e->file, e->line);
		size_t nid = detector_entry_ids(e, ev, idv, MAX_IDS);

		for (j = 0; j < nid; j++) {
			json_object_array_add(ids, json_object_new_string(idv[j]));
			free(idv[j]);
		}
		for (j = 0; j < e->nattrs; j++) {
			json_object *v = detector_attr_event(&e->attrs[j], ev);

			json_object_object_add(attrs, e->attrs[j].name, json_object_new_string(
			    e->attrs[j].value != NULL ? "constant" : presence(v)));
			json_object_put(v);
		}
		for (j = 0; j < e->ncover; j++)
			json_object_object_add(cover, e->cover[j].attr, json_object_new_string(
			    presence(jpath_get(e->cover[j].path, ev->record))));
		json_object_object_add(o, "entry", json_object_new_string(where));
		json_object_object_add(o, "event", json_object_new_string(ev->name));
		json_object_object_add(o, "resource", json_object_new_string(e->resource));
		json_object_object_add(o, "origin", json_object_new_string(ev->origin ? ev->origin : ""));
		json_object_object_add(o, "failed", json_object_new_boolean(ev->error_code != NULL));
		json_object_object_add(o, "read_only", json_object_new_int(ev->read_only));
		json_object_object_add(o, "ids", ids);
		json_object_object_add(o, "attrs", attrs);
		json_object_object_add(o, "cover", cover);
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		free(where);
	}
}

int
main(int argc, char **argv)
{
	struct eventmap *m;
	int i;

	if (argc < 2) {
		fprintf(stderr, "usage: map_probe MAPS_DIR FILE...\n");
		return 2;
	}
	if ((m = eventmap_load_report(argv[1], stderr)) == NULL)
		return 1;
	for (i = 2; i < argc; i++) {
		struct ev_reader *r;
		struct event ev;
		char *err = NULL;
		int rc;

		if ((r = ev_reader_open(argv[i], &err)) == NULL) {
			fprintf(stderr, "map_probe: %s\n", err);
			free(err);
			continue;
		}
		memset(&ev, 0, sizeof ev);
		while ((rc = ev_reader_next(r, &ev, &err)) == 1) {
			probe(m, &ev);
			event_free(&ev);
			memset(&ev, 0, sizeof ev);
		}
		if (rc < 0) {
			fprintf(stderr, "map_probe: %s\n", err);
			free(err);
		}
		ev_reader_close(r);
	}
	eventmap_free(m);
	return 0;
}
