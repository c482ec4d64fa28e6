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
#include "ui/filter.h"
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
	model_restatus(&m);
	model_rebuild(&m);
	is_str(model_selected(&m)->id, "a", "a hidden selection falls to the row in its place");
	m.top = 0;
	m.sel = 0;
	model_scroll_into_view(&m, 1);
	is_int((int)m.top, 0, "scroll: selection in view");
	model_free(&m);
}

/* ---- the incremental index: merging arrivals gives what a full sort gives ---- */

static uint64_t seed = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)(seed % n);
}

/* A finding with few distinct times (ties) and ids sharing long prefixes (the strcmp path). */
static struct finding *
mk_random(unsigned serial)
{
	static const char *pfx[] = { "", "aaaaaaaa", "aaaaaaaab", "0123456789abcdef" };
	char id[33];
	unsigned r = rnd(100);

	static const char *who[] = { "Alice@Corp", "bob", NULL, "ci-bot" };
	static const char *type[] = { "aws_s3_bucket", "google_compute_instance", NULL };
	static const char *region[] = { "us-WEST-2", "eu-west-1", NULL };
	struct finding *f;

	snprintf(id, sizeof id, "%s%x", pfx[rnd(4)], rnd(4) == 0 ? rnd(50) : serial);
	f = mk(id, 1000 + (int64_t)rnd(40) * 1000, (enum severity)rnd(SEV__COUNT),
	    r < 70 ? ST_OPEN : r < 85 ? ST_ACKNOWLEDGED : ST_SUPPRESSED);
	/* Shared fields (interned by the model, looked up once per value) and own ones. */
	f->kind = (enum finding_kind)rnd(FK__COUNT);
	f->provider = (enum tf_provider)rnd(3);
	f->actor.via = (enum tf_via)rnd(6);
	f->actor.name = xstrdup(who[rnd(4)]);         /* (NULL stays NULL) */
	f->type = xstrdup(type[rnd(3)]);
	f->region = xstrdup(region[rnd(3)]);
	if (rnd(2))
		f->address = xasprintf("module.Net.thing_%u", rnd(30));
	return f;
}

/* A custom order for SORT_CUSTOM: by id, descending on its last character. */
static int
by_id_tail(void *ctx, const struct finding *a, const struct finding *b)
{
	size_t la = strlen(a->id), lb = strlen(b->id);
	int c = (la ? a->id[la - 1] : 0) - (lb ? b->id[lb - 1] : 0);

	(void)ctx;
	return c != 0 ? -c : strcmp(a->id, b->id);
}

/* The documented order, the slow way: the comparator over finding pointers. */
static const struct model *ref_m;

static int
ref_cmp(const void *a, const void *b)
{
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	const struct finding *x = ref_m->all.v[i], *y = ref_m->all.v[j];
	int c;

	if (ref_m->sort == SORT_SEVERITY && x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (ref_m->sort == SORT_CUSTOM && (c = by_id_tail(NULL, x, y)) != 0)
		return c;
	if (x->event_time_ms != y->event_time_ms)
		return x->event_time_ms > y->event_time_ms ? -1 : 1;
	if ((c = strcmp(x->id, y->id)) != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* The dashboard's hook: a compiled query, its free words looked up by the model. */
static int
keep_query(void *ctx, const struct finding *f, uint32_t found)
{
	return filter_match_words(ctx, f, found);
}

/* The same with what the enums decide taken from the model's keys (filter_match_enums). */
static int
keep_query_enums(void *ctx, const struct filter_enums *e, uint32_t found)
{
	return filter_match_enums(ctx, e, found);
}

static int
keep_odd_time(void *ctx, const struct finding *f, uint32_t found)
{
	(void)ctx;
	(void)found;
	return (f->event_time_ms / 1000) % 2 == 1;
}

/* 1 when the rows are exactly the reference order of the visible findings, and the
 * counts are right. */
static int
rows_match(const struct model *m)
{
	size_t *want = xcalloc(m->all.n + 1, sizeof *want), n = 0, i;
	size_t cnt[3][SEV__COUNT];
	int good = 1;

	memset(cnt, 0, sizeof cnt);
	for (i = 0; i < m->all.n; i++) {
		const struct finding *f = m->all.v[i];

		cnt[f->status][f->severity]++;
		if (f->status == ST_SUPPRESSED && !m->show_suppressed)
			continue;
		/* The reference for a query: its terms field by field, no word masks. */
		if (m->filter == keep_query ? !filter_match(m->filter_ctx, f) :
		    m->filter != NULL && !m->filter(m->filter_ctx, f, 0))
			continue;
		want[n++] = i;
	}
	ref_m = m;
	qsort(want, n, sizeof *want, ref_cmp);
	if (n != m->nrows || memcmp(cnt, m->count, sizeof cnt) != 0)
		good = 0;
	for (i = 0; good && i < n; i++)
		if (want[i] != m->rows[i]) {
			diag("row %zu: %zu, expected %zu", i, m->rows[i], want[i]);
			good = 0;
		}
	free(want);
	return good;
}

static void
test_incremental(void)
{
	struct model m;
	unsigned serial = 0, round, k, batch;
	int all_good = 1, sel_kept = 1, sev_good = 1, filt_good = 1, words_good = 1, custom_good = 1;
	char sel[33];

	model_init(&m);
	for (round = 0; round < 60; round++) {
		batch = round == 0 ? 500 : 1 + rnd(round % 5 == 0 ? 300 : 20);
		if (m.nrows > 0)
			model_select_row(&m, rnd((unsigned)m.nrows));
		memcpy(sel, m.sel_id, sizeof sel);
		for (k = 0; k < batch; k++)
			model_add(&m, mk_random(serial++));
		/* Triage changes some statuses between rebuilds, as retriage does. */
		for (k = 0; k < 5; k++)
			m.all.v[rnd((unsigned)m.all.n)]->status = (enum finding_status)rnd(3);
		model_restatus(&m);
		m.sort = round % 3 == 2 ? SORT_SEVERITY : SORT_TIME;
		m.show_suppressed = round % 4 == 3;
		model_rebuild(&m);
		if (!rows_match(&m)) {
			all_good = 0;
			diag("round %u: %zu findings, sort %d", round, m.all.n, (int)m.sort);
		}
		/* Selection kept by id whenever its finding is still visible. */
		if (sel[0] != '\0' && model_selected(&m) != NULL) {
			const struct finding *want = NULL;
			size_t i;

			for (i = 0; i < m.nrows; i++)
				if (strcmp(m.all.v[m.rows[i]]->id, sel) == 0) {
					want = m.all.v[m.rows[i]];
					break;
				}
			if (want != NULL && strcmp(model_selected(&m)->id, sel) != 0)
				sel_kept = 0;
		}
		/* Switching the sort key without arrivals: the other order, right away. */
		m.sort = m.sort == SORT_TIME ? SORT_SEVERITY : SORT_TIME;
		model_rebuild(&m);
		if (!rows_match(&m))
			sev_good = 0;
		/* A filter (the text filter's hook) over the same index. */
		m.filter = keep_odd_time;
		model_rebuild(&m);
		if (!rows_match(&m))
			filt_good = 0;
		/* A query with free words (found by the model's scan of the texts), and the
		 * custom order kept with arrivals merged in. */
		{
			static const char *const qs[] = { "aaaa", "-aaaaaaaab 1", "0123 -f",
			    "a b c", "status:open 9", "sev>=high -kind:deleted 1",
			    "-via:cli provider:aws sev:low,critical", "status:open,suppressed -sev:info ab",
			    "ali", "WEST -bob", "aws_s3 -net.thing_1", "kind:modified,deleted corp" };
			struct filter *q = filter_compile(qs[round % 12], NULL);

			m.filter = keep_query;
			m.filter_enums = (round / 12) % 2 == 0 ? keep_query_enums : NULL;
			m.filter_ctx = q;
			m.words = filter_texts(q);
			m.nwords = filter_ntexts(q);
			m.filter_gen++;
			model_rebuild(&m);
			if (!rows_match(&m)) {
				words_good = 0;
				diag("round %u: query '%s'", round, qs[round % 12]);
			}
			m.filter = NULL;
			m.filter_enums = NULL;
			m.filter_ctx = NULL;
			m.words = NULL;
			m.nwords = 0;
			filter_free(q);
		}
		m.sort = SORT_CUSTOM;
		m.cmp = by_id_tail;
		model_rebuild(&m);
		if (!rows_match(&m)) {
			custom_good = 0;
			diag("round %u: custom order", round);
		}
		m.sort = SORT_TIME;
	}
	ok(words_good, "free words found by the model's scan filter as the query does field by field");
	ok(custom_good, "a custom order kept with arrivals merged in equals a full sort");
	ok(all_good, "60 rounds of random arrivals merged: rows equal a full sort (%zu findings)",
	    m.all.n);
	ok(sev_good, "switching between time and severity order gives the full-sort order");
	ok(filt_good, "a filter applies over the merged order");
	ok(sel_kept, "the selection stays on its finding (by id) through every merge");

	/* Changes in place: a new severity shows, a finding replaced in all.v is noticed; a
	 * time changed in place needs model_invalidate. */
	m.sort = SORT_TIME;
	m.show_suppressed = 1;
	model_rebuild(&m);
	m.all.v[7]->severity = m.all.v[7]->severity == SEV_CRITICAL ? SEV_INFO : SEV_CRITICAL;
	m.sort = SORT_SEVERITY;
	model_restatus(&m);
	model_rebuild(&m);
	ok(rows_match(&m), "a severity changed in place shows after model_restatus");
	model_replace(&m, 3, mk("replaced", 999999, SEV_HIGH, ST_OPEN));
	model_rebuild(&m);
	ok(rows_match(&m), "a finding replaced (model_replace: a new id and time) is noticed");
	m.all.v[11]->event_time_ms = 5000000;
	model_invalidate(&m);
	model_rebuild(&m);
	ok(rows_match(&m), "model_invalidate: a time changed in place is sorted again");
	m.sort = SORT_TIME;
	model_rebuild(&m);
	is_str(row_id(&m, 0), m.all.v[11]->id, "and it is the newest");

	/* The selection set by id from outside (a jump from another view). */
	memcpy(m.sel_id, m.all.v[42]->id, sizeof m.sel_id);
	model_rebuild(&m);
	is_str(model_selected(&m)->id, m.all.v[42]->id, "a selection set by id is found");

	/* Fewer findings than the index knows (someone emptied the list): starts again. */
	{
		size_t i;

		for (i = 0; i < m.all.n; i++)
			compact_free(m.all.v[i]);
		m.all.n = 0;
	}
	model_rebuild(&m);
	is_int((int)m.nrows, 0, "an emptied list has no rows");
	ok(model_selected(&m) == NULL, "and no selection");
	model_add(&m, mk("x", 1, SEV_LOW, ST_OPEN));
	model_add(&m, mk("y", 2, SEV_LOW, ST_OPEN));
	model_rebuild(&m);
	ok(m.nrows == 2 && strcmp(row_id(&m, 0), "y") == 0, "and fills again");
	model_free(&m);

	/* Out-of-enum severities (not made by tfdrift) still sort worst first. */
	model_init(&m);
	model_add(&m, mk("p", 1, SEV_LOW, ST_OPEN));
	model_add(&m, mk("q", 2, (enum severity)7, ST_OPEN));
	model_add(&m, mk("r", 3, SEV_HIGH, ST_OPEN));
	m.sort = SORT_SEVERITY;
	model_rebuild(&m);
	ok(m.nrows == 3 && strcmp(row_id(&m, 0), "q") == 0 && strcmp(row_id(&m, 1), "r") == 0,
	    "an out-of-range severity sorts by its value");
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
	struct replay_opts ro = { .pace_ms = 0, .passes = 2 };
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
		replay_take(r, &got, NULL);
		replay_progress(r, &p, NULL);
	} while (!p.finished && ++loops < 10000);
	replay_take(r, &got, NULL);
	ok(p.finished, "two passes finish");
	is_int((int)p.pass, 1, "the last pass is the second");
	ok(p.total > 50, "the examples have events (%llu)", (unsigned long long)p.total);
	ok(got.n > 0, "findings (%zu)", got.n);
	for (i = 0; i < got.n; i++) {
		/* A resolution comes again with its finding's id (detect.h): not a new finding. */
		for (j = i + 1; j < got.n; j++)
			if (strcmp(got.v[i]->id, got.v[j]->id) == 0 &&
			    got.v[i]->status != ST_RESOLVED && got.v[j]->status != ST_RESOLVED)
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

/* Resolved findings: hidden unless asked for, counted either way, replaced in place when
 * they arrive again resolved, and their own colour on the timeline. */
static void
test_resolved(void)
{
	struct model m;
	struct finding *r;
	signed char worst[4];

	model_init(&m);
	model_add(&m, mk("a", 1000, SEV_HIGH, ST_OPEN));
	model_add(&m, mk("b", 2000, SEV_CRITICAL, ST_RESOLVED));
	model_add(&m, mk("c", 12000, SEV_LOW, ST_OPEN));
	model_rebuild(&m);
	is_int((int)m.nrows, 2, "a resolved finding is hidden");
	is_int((int)m.count[ST_RESOLVED][SEV_CRITICAL], 1, "and counted");
	m.show_resolved = 1;
	model_rebuild(&m);
	is_int((int)m.nrows, 3, "show_resolved shows it");
	is_str(row_id(&m, 1), "b", "in its place");
	model_worst_in(&m, 0, 10000, 4, worst);
	is_int(worst[0], SEV_HIGH, "a bucket with open drift: its worst open severity");
	is_int(worst[1], SEV_LOW, "the next: c's low");
	is_int(worst[2], -1, "a bucket without findings: none");
	model_worst_in(&m, 0, 1500, 4, worst);
	is_int(worst[1], MODEL_RESOLVED_ONLY, "a bucket whose drift all resolved: marked so");
	is_int(worst[0], SEV_HIGH, "the open one beside it keeps its severity");

	is_int((int)model_find(&m, "c"), 2, "model_find: by id");
	ok(model_find(&m, "zz") == (size_t)-1, "model_find: not there");
	model_select_row(&m, 0);
	is_str(model_selected(&m)->id, "c", "c selected");
	r = mk("c", 12000, SEV_LOW, ST_RESOLVED);
	model_replace(&m, model_find(&m, "c"), r);
	m.show_resolved = 0;
	model_rebuild(&m);
	is_int((int)m.nrows, 1, "c resolved since: hidden now");
	is_int((int)m.count[ST_RESOLVED][SEV_LOW], 1, "counted as resolved");
	is_int((int)m.count[ST_OPEN][SEV_LOW], 0, "no longer open");
	ok(strcmp(m.all.v[2]->id, "c") == 0 && m.all.v[2]->status == ST_RESOLVED,
	    "the new version took its place (the model keeps a compact copy of it)");
	is_int((int)m.all.n, 3, "nothing added");
	model_free(&m);
}

/* A resolution replaces the finding it resolves (same id): no second row. */
static void
test_resolution(void)
{
	struct model m;
	struct finding *r;

	model_init(&m);
	m.show_resolved = 1;            /* (hidden by default: test_resolved) */
	model_add(&m, mk("a", 1000, SEV_LOW, ST_OPEN));
	model_add(&m, mk("b", 2000, SEV_HIGH, ST_OPEN));
	model_rebuild(&m);
	m.sel = model_row_of(&m, "a");
	snprintf(m.sel_id, sizeof m.sel_id, "a");
	r = mk("a", 1000, SEV_LOW, ST_RESOLVED);
	r->resolution = xcalloc(1, sizeof *r->resolution);
	model_add(&m, r);
	model_rebuild(&m);
	is_int((int)m.all.n, 2, "a resolution replaces its finding: still two");
	is_int((int)m.nrows, 2, "two rows");
	ok(strcmp(m.all.v[0]->id, "a") == 0 && m.all.v[0]->status == ST_RESOLVED,
	    "in its place, resolved");
	is_int((int)m.count[ST_RESOLVED][SEV_LOW], 1, "counted resolved");
	is_int((int)m.count[ST_OPEN][SEV_LOW], 0, "and no longer open");
	ok(model_selected(&m) == m.all.v[0], "the selection stays on it");
	model_add(&m, mk("c", 3000, SEV_LOW, ST_RESOLVED));
	model_rebuild(&m);
	is_int((int)m.all.n, 3, "a resolved finding the model does not have is added");
	model_free(&m);
}

static char *
json_of(const struct finding *f)
{
	json_object *o = finding_to_json(f);
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));

	json_object_put(o);
	return s;
}

/* The model keeps a compact copy (compact.h): the same finding once its values are loaded;
 * none of them until then; strings shared between findings kept once. */
/* A finding with every kind of member (values of every JSON type, tags, rules, triage). */
static struct finding *
mk_rich(const char *id)
{
	struct finding *f = mk(id, 1717200000000LL, SEV_HIGH, ST_ACKNOWLEDGED);

	f->kind = FK_MODIFIED;
	f->provider = PROV_AWS;
	f->address = xstrdup("module.App.aws_security_group.web[\"eu\"]");
	f->type = xstrdup("aws_security_group");
	f->resource_id = xstrdup("sg-0123");
	f->module = xstrdup("module.App");
	f->state_source = xstrdup("s3://b/k.tfstate");
	f->state_lineage = xstrdup("lin-1");
	f->actor.name = xstrdup("alice");
	f->actor.principal = xstrdup("arn:aws:sts::1:assumed-role/Admin/alice");
	f->actor.type = xstrdup("AssumedRole");
	f->actor.via = VIA_CONSOLE;
	f->source_ip = xstrdup("203.0.113.9");
	f->user_agent = xstrdup("console.amazonaws.com");
	f->event_id = xstrdup("ev-1");
	f->event_name = xstrdup("AuthorizeSecurityGroupIngress");
	f->event_source = xstrdup("ec2.amazonaws.com");
	f->region = xstrdup("eu-west-1");
	f->account = xstrdup("123456789012");
	finding_add_change(f, "ingress", json_tokener_parse("[{\"cidr\":\"10.0.0.0/8\",\"port\":22}]"),
	    json_tokener_parse("[{\"cidr\":\"0.0.0.0/0\",\"port\":22}]"), CH_MODIFIED, 0);
	finding_add_change(f, "description", NULL, json_object_new_string("a/b \u00e9 \"q\""),
	    CH_ADDED, 0);
	finding_add_change(f, "ratio", json_object_new_double(0.1), json_object_new_double(1e300),
	    CH_MODIFIED, 0);
	finding_add_change(f, "password", NULL, NULL, CH_MODIFIED, 1);
	finding_add_change(f, "enabled", json_object_new_boolean(1), json_object_new_int64(-7),
	    CH_MODIFIED, 0);
	f->changes[4].unknown_new = 1;
	finding_summarize(f);
	f->rules = xcalloc(1, sizeof *f->rules);
	f->nrules = 1;
	f->rules[0].id = xstrdup("TFD-001");
	f->rules[0].name = xstrdup("Open ingress");
	f->rules[0].severity = SEV_HIGH;
	f->rules[0].runbook = xstrdup("https://example.org/rb");
	f->rules[0].remediation = xcalloc(2, sizeof(char *));
	f->rules[0].remediation[0] = xstrdup("close it");
	f->rules[0].remediation[1] = xstrdup("tell the owner");
	f->rules[0].nremediation = 2;
	f->triage = xcalloc(1, sizeof *f->triage);
	f->triage->by = xstrdup("bob");
	f->triage->note = xstrdup("known");
	f->triage->at_ms = 1717200060000LL;
	f->tags = json_tokener_parse("{\"team\":\"net\",\"cost\":12}");
	f->fix = xstrdup("terraform apply");
	return f;
}

static void
test_compact(void)
{
	struct model m;
	struct finding *f = mk_rich("c0ffee"), *g = mk_rich("beef"), *c;
	char *want, *got, *want_g;

	want = json_of(f);
	want_g = json_of(g);

	model_init(&m);
	model_add(&m, f);
	model_add(&m, g);
	c = m.all.v[0];
	ok(c->tags == NULL && c->changes == NULL && c->nchanges == 5,
	    "compact: no changes or tags in memory until loaded");
	is_str(c->summary, m.all.v[1]->summary, "its own strings kept");
	model_load(&m, c);
	model_load(&m, m.all.v[1]);
	ok(c->actor.principal == m.all.v[1]->actor.principal && c->rules == m.all.v[1]->rules &&
	    c->changes[0].attribute == m.all.v[1]->changes[0].attribute,
	    "shared strings and equal rules kept once for both findings");
	got = json_of(c);
	is_str(got, want, "loaded: the same finding as JSON as the one added");
	free(got);
	model_unload_all(&m);
	ok(c->tags == NULL && c->changes == NULL, "unloaded: the changes dropped again");
	model_load(&m, m.all.v[1]);
	model_load(&m, c);
	got = json_of(m.all.v[1]);
	is_str(got, want_g, "the other one too");
	free(got);
	got = json_of(c);
	is_str(got, want, "and the first again");
	free(got);
	/* A finding that is not the model's (another with its id) is left alone. */
	{
		struct finding *x = mk_rich("c0ffee");

		model_unload_all(&m);
		model_load(&m, x);
		is_int((int)m.nloaded, 0, "model_load: not one of the model's: nothing done");
		finding_free(x);
	}
	/* Replaced (a resolution): the new one compact too, the old one freed. */
	{
		struct finding *r = mk_rich("beef");

		r->status = ST_RESOLVED;
		r->resolution = xcalloc(1, sizeof *r->resolution);
		r->resolution->reason = RR_REVERTED_BY_HAND;
		model_add(&m, r);
		ok(m.all.n == 2 && m.all.v[1]->status == ST_RESOLVED && m.all.v[1]->resolution != NULL,
		    "a resolution replaces its finding with a compact copy");
	}
	free(want);
	free(want_g);
	model_free(&m);
}

int
main(void)
{
	test_model();
	test_resolved();
	test_resolution();
	test_incremental();
	test_replay();
	test_compact();
	return done_testing();
}
