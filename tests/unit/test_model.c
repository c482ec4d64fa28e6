/* Unit tests for the dashboard's model (order, selection kept by id, suppressed hidden) and
 * its replay thread (every pass gets fresh event ids, so looping finds the drift again). */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "detect.h"
#include "eventmap.h"
#include "finding.h"
#include "state_index.h"
#include "tap.h"
#include "tfstate.h"
#include "ui/model.h"
#include "ui/replay.h"
#include "util.h"

static struct finding *
mk(const char *id, int64_t t, enum severity sev, enum finding_status st)
{
	struct finding *f = xcalloc(1, sizeof *f);

	snprintf(f->id, sizeof f->id, "%s", id);
	f->event_time_ms = t;
	f->severity = sev;
	f->status = st;
	return f;
}

static const char *
row_id(const struct model *m, size_t r)
{
	return m->all.v[m->rows[r]]->id;
}

static void
test_model(void)
{
	struct model m;

	model_init(&m);
	model_rebuild(&m);
	ok(model_selected(&m) == NULL, "empty model: nothing selected");
	model_add(&m, mk("a", 1000, SEV_LOW, ST_OPEN));
	model_rebuild(&m);
	is_str(model_selected(&m)->id, "a", "the first finding is selected");
	model_add(&m, mk("b", 3000, SEV_HIGH, ST_OPEN));
	model_add(&m, mk("c", 2000, SEV_CRITICAL, ST_SUPPRESSED));
	model_rebuild(&m);
	is_int((int)m.nrows, 2, "suppressed findings are hidden");
	is_str(row_id(&m, 0), "b", "newest first");
	is_str(model_selected(&m)->id, "a", "the selection stays on the same finding");
	is_int((int)m.sel, 1, "which moved down a row");
	is_int((int)m.count[ST_OPEN][SEV_HIGH], 1, "open high counted");
	is_int((int)m.count[ST_SUPPRESSED][SEV_CRITICAL], 1, "suppressed critical counted");
	m.show_suppressed = 1;
	model_rebuild(&m);
	is_int((int)m.nrows, 3, "S shows them");
	is_str(row_id(&m, 1), "c", "in time order");
	m.sort = SORT_SEVERITY;
	model_rebuild(&m);
	is_str(row_id(&m, 0), "c", "by severity: critical first");
	is_str(row_id(&m, 2), "a", "low last");
	is_str(model_selected(&m)->id, "a", "selection still kept");
	model_move(&m, -5);
	is_str(model_selected(&m)->id, "c", "moving up stops at the top");
	model_move(&m, 99);
	is_str(model_selected(&m)->id, "a", "and down at the bottom");
	m.show_suppressed = 0;
	m.sort = SORT_TIME;
	model_rebuild(&m);
	model_select_row(&m, 0);
	is_str(model_selected(&m)->id, "b", "select row 0");
	m.all.v[1]->status = ST_SUPPRESSED;      /* b suppressed while selected */
	model_rebuild(&m);
	is_str(model_selected(&m)->id, "a", "a hidden selection falls to the row in its place");
	m.top = 0;
	m.sel = 0;
	model_scroll_into_view(&m, 1);
	is_int((int)m.top, 0, "scroll: selection in view");
	model_free(&m);
}

static void
test_replay(void)
{
	const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : ".";
	char *states[2], *events[2], *err = NULL, **errs = NULL, *dir;
	struct tf_state *sts[2];
	struct eventmap *map = NULL;
	struct state_index *ix;
	struct detector *det;
	struct replay *r;
	struct replay_opts ro = { 0, 2 };
	struct replay_progress p;
	struct finding_list got = { 0 };
	struct conf conf;
	const struct index_key_spec *specs;
	size_t nerrs = 0, nspecs, i, j, dup = 0, again = 0, first_changed = 0;
	struct pollfd pfd;
	int loops = 0;

	conf_init(&conf);
	dir = xasprintf("%s/rules/events", top);
	if (eventmap_load_dir(dir, &map, &errs, &nerrs) != 0) {
		ok(0, "event maps load from %s", dir);
		free(dir);
		conf_free(&conf);
		return;
	}
	free(dir);
	states[0] = xasprintf("%s/doc/examples/prod.tfstate", top);
	states[1] = xasprintf("%s/doc/examples/gcp.tfstate", top);
	events[0] = xasprintf("%s/doc/examples/cloudtrail.json", top);
	events[1] = xasprintf("%s/doc/examples/gcp-audit.json", top);
	for (i = 0; i < 2; i++)
		if (tfstate_load_file(states[i], &sts[i], &err) != 0)
			tf_fatal("%s", err);
	specs = eventmap_index_specs(map, &nspecs);
	ix = state_index_build(sts, 2, specs, nspecs);
	det = detector_new(map, ix, &conf);
	r = replay_new(events, 2, det, &ro, &err);
	ok(r != NULL, "replay reads the example events");
	if (r == NULL) {
		diag("%s", err);
		free(err);
		goto out;
	}
	is_int(replay_start(r, &err), 0, "the replay thread starts");
	pfd.fd = replay_wake_fd(r);
	pfd.events = POLLIN;
	do {
		if (poll(&pfd, 1, 20000) < 0)
			break;
		replay_take(r, &got);
		replay_progress(r, &p, NULL);
	} while (!p.finished && ++loops < 10000);
	replay_take(r, &got);
	ok(p.finished, "two passes finish");
	is_int((int)p.pass, 1, "the last pass is the second");
	ok(p.total > 50, "the examples have events (%llu)", (unsigned long long)p.total);
	ok(got.n > 0, "findings (%zu)", got.n);
	for (i = 0; i < got.n; i++) {
		for (j = i + 1; j < got.n; j++)
			if (strcmp(got.v[i]->id, got.v[j]->id) == 0)
				dup++;
		if (got.v[i]->event_id != NULL && strstr(got.v[i]->event_id, "~1") != NULL)
			again++;
		else if (got.v[i]->kind != FK_UNMANAGED)
			first_changed++;
	}
	is_int((int)dup, 0, "finding ids are unique across passes");
	/* The detector reports an unmanaged resource once; changes and deletions every time. */
	is_int((int)again, (int)first_changed, "the second pass finds the changes again, with fresh event ids");
	ok(first_changed >= 10, "the examples have changes (%zu)", first_changed);
	replay_free(r);
out:
	finding_list_clear(&got);
	detector_free(det);
	state_index_unref(ix);
	eventmap_free(map);
	conf_free(&conf);
	for (i = 0; i < 2; i++) {
		free(states[i]);
		free(events[i]);
	}
}

int
main(void)
{
	test_model();
	test_replay();
	return done_testing();
}
