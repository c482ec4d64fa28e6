/* bench_scan: scan throughput and memory against a bare json-c parse of the same bytes.
 * Each measurement runs in its own child process so peak RSS figures do not mix.
 * scan_rules is the same scan with every default rule loaded (<datadir>/rules).
 * usage: bench_scan STATE EVENTS.ndjson [MAPDIR [ONLY]] (ONLY: one measurement's label, run alone) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <zlib.h>

#include "conf.h"
#include "detect.h"
#include "event.h"
#include "eventmap.h"
#include "rules.h"
#include "state_index.h"
#include "tfstate.h"
#include "util.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process (user + system), seconds. */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The baseline: read the same file line by line and parse every line with json-c. */
static int
bare_parse(const char *path)
{
	gzFile gz = gzopen(path, "rb");
	struct strbuf line;
	char buf[1 << 16];
	json_tokener *tok = json_tokener_new();
	unsigned long n = 0, bad = 0;
	double t0 = now_s(), dt;

	if (gz == NULL)
		return 1;
	sb_init(&line);
	for (;;) {
		char *p = gzgets(gz, buf, sizeof buf);
		size_t len;

		if (p == NULL && line.len == 0)
			break;
		if (p != NULL) {
			len = strlen(buf);
			sb_add(&line, buf, len);
			if (len > 0 && buf[len - 1] != '\n' && !gzeof(gz))
				continue;
		}
		if (line.len > 1) {
			json_object *o;

			json_tokener_reset(tok);
			o = json_tokener_parse_ex(tok, line.buf, (int)line.len);
			if (o != NULL)
				n++;
			else
				bad++;
			json_object_put(o);
		}
		sb_reset(&line);
		if (p == NULL)
			break;
	}
	dt = now_s() - t0;
	printf("bare_parse_events=%lu\nbare_parse_seconds=%.3f\nbare_parse_events_per_s=%.0f\n",
	    n, dt, n / dt);
	sb_free(&line);
	json_tokener_free(tok);
	gzclose(gz);
	return bad != 0;
}

/* States keep what the maps compare and what the rules read (as cmd_scan does). */
struct keep_both {
	struct em_attrset *set;
	const struct rules *rules;
};

static int
keep_both(void *ctx, const char *type, const char *attr)
{
	const struct keep_both *k = ctx;

	return eventmap_keep_attr(k->set, type, attr) || rules_wants_state_attr(k->rules, type, attr);
}

static int lifecycle_off;      /* scan_nolifecycle: the detector's lifecycle off */

static int
scan(const char *state_path, const char *events_path, const char *mapdir, int skip,
    int with_rules, const char *label)
{
	struct rules *rules = NULL;
	struct keep_both kb;
	struct conf conf;
	struct eventmap *map = NULL;
	char **errs = NULL, *err = NULL;
	size_t nerrs = 0, nspecs;
	const struct index_key_spec *specs;
	struct tf_state *st;
	struct state_index *ix;
	struct em_attrset *keepset;
	struct tfstate_keep keep;
	struct detector *det;
	struct ev_reader *r;
	struct event ev;
	struct finding_list found = { 0 };
	double t0, t1, t2, c1, c2;
	unsigned long n = 0, nruled = 0;
	int got;

	conf_init(&conf);
	if (eventmap_load_dir(mapdir ? mapdir : conf_event_maps_dir(&conf), &map, &errs, &nerrs) != 0) {
		fprintf(stderr, "event maps: %s\n", nerrs ? errs[0] : "?");
		return 1;
	}
	if (with_rules && rules_load_configured(&conf, &rules, &errs, &nerrs) != 0) {
		fprintf(stderr, "rules: %s\n", nerrs ? errs[0] : "?");
		return 1;
	}
	keepset = eventmap_attrset_new(map);
	kb.set = keepset;
	kb.rules = rules;
	keep.fn = keep_both;
	keep.ctx = &kb;
	t0 = now_s();
	if (tfstate_load_file_keep(state_path, &keep, &st, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	specs = eventmap_index_specs(map, &nspecs);
	ix = state_index_build(&st, 1, specs, nspecs);
	t1 = now_s();
	if (skip && !with_rules)
		printf("state_resources=%zu\nstate_load_and_index_seconds=%.3f\n",
		    state_index_count(ix), t1 - t0);

	det = detector_new(map, ix, &conf);
	detector_set_rules(det, rules);
	detector_set_lifecycle(det, !lifecycle_off);
	if (with_rules)
		printf("%s_rules_loaded=%zu\n", label, rules_count(rules));
	r = ev_reader_open(events_path, &err);
	if (r == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ev_reader_set_skip_read_only(r, skip);
	if (skip && !with_rules) {
		/* scan and scan_nolifecycle: open drift on 1,000 managed resources all along, so
		 * every write event pays the lifecycle's lookups (the worst case: with nothing
		 * open they are skipped). Without the lifecycle tracking is a no-op. */
		for (size_t i = 0; i < 1000 && i < state_index_count(ix); i++) {
			const struct tf_state *s0 = state_index_state(ix, 0);
			struct finding *f;

			if (i >= s0->ninst)
				break;
			f = xcalloc(1, sizeof *f);
			f->kind = FK_MODIFIED;
			f->address = xstrdup(s0->inst[i * (s0->ninst / 1000)].address);
			f->type = xstrdup(s0->inst[i * (s0->ninst / 1000)].type);
			f->event_id = xasprintf("open-%zu", i);
			finding_add_change(f, "id", json_object_new_string("old"),
			    json_object_new_string("new"), CH_MODIFIED, 0);
			finding_set_id(f);
			detector_track(det, f);
			finding_free(f);
		}
	}
	t1 = now_s();
	c1 = cpu_s();
	while ((got = ev_reader_next(r, &ev, &err)) == 1) {
		detect_event(det, &ev, &found);
		event_free(&ev);
		n++;
		/* Findings go out as they are found in watch mode; do not let them pile up here. */
		if (found.n > 4096) {
			for (size_t i = 0; i < found.n; i++)
				nruled += found.v[i]->nrules > 0;
			finding_list_clear(&found);
		}
	}
	detector_flush(det, &found);
	t2 = now_s();
	c2 = cpu_s();
	for (size_t i = 0; i < found.n; i++)
		nruled += found.v[i]->nrules > 0;
	n += ev_reader_skipped_read_only(r);
	printf("%s_events=%lu\n%s_skipped_read_only=%llu\n%s_seconds=%.3f\n%s_events_per_s=%.0f\n",
	    label, n, label, (unsigned long long)ev_reader_skipped_read_only(r), label, t2 - t1,
	    label, n / (t2 - t1));
	printf("%s_findings_with_rules=%lu\n", label, nruled);
	printf("%s_cpu_seconds=%.3f\n%s_open_tracked=%zu\n", label, c2 - c1, label,
	    detector_open_count(det));
	printf("%s_findings_resolved=%llu\n", label, (unsigned long long)(
	    detector_stats(det)->resolved[RR_REVERTED_BY_TERRAFORM] +
	    detector_stats(det)->resolved[RR_REVERTED_BY_HAND] +
	    detector_stats(det)->resolved[RR_RESOURCE_GONE]));
	printf("%s_findings_total=%llu\n", label, (unsigned long long)(detector_stats(det)->findings[FK_MODIFIED] +
	    detector_stats(det)->findings[FK_UNMANAGED] + detector_stats(det)->findings[FK_DELETED]));
	finding_list_clear(&found);
	ev_reader_close(r);
	detector_free(det);
	state_index_unref(ix);
	eventmap_attrset_free(keepset);
	eventmap_free(map);
	rules_unref(rules);
	conf_free(&conf);
	return got < 0;
}

/* Run fn in a child; print the child's peak RSS under `label`. */
static int
in_child(const char *label, int (*fn)(void *), void *arg)
{
	struct rusage ru;
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		{ int rc = fn(arg); fflush(stdout); _exit(rc); }
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
		return 1;
	printf("%s_peak_rss_mb=%.1f\n", label, ru.ru_maxrss / 1024.0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static char **gargv;

static int
run_bare(void *arg)
{
	(void)arg;
	return bare_parse(gargv[2]);
}

static int
run_scan(void *arg)
{
	(void)arg;
	return scan(gargv[1], gargv[2], gargv[3], 1, 0, "scan");
}

static int
run_scan_rules(void *arg)
{
	(void)arg;
	return scan(gargv[1], gargv[2], gargv[3], 1, 1, "scan_rules");
}

static int
run_scan_nolifecycle(void *arg)
{
	(void)arg;
	lifecycle_off = 1;
	return scan(gargv[1], gargv[2], gargv[3], 1, 0, "scan_nolifecycle");
}

/* Re-evaluating open findings against a newer state: one modified finding on each of the
 * state's first 100,000 instances, decided against serial 0 of its lineage; half of them
 * hold the state's value (accepted_in_state), half do not. Times detector_reevaluate. */
static int
run_reevaluate(void *arg)
{
	struct conf conf;
	struct eventmap *map = NULL;
	char **errs = NULL, *err = NULL;
	size_t nerrs = 0, nspecs, i, n = 0, got;
	const struct index_key_spec *specs;
	struct tf_state *st;
	struct state_index *ix;
	struct detector *det;
	struct finding_list l = { 0 };
	double t0, t1, c0, c1;

	(void)arg;
	conf_init(&conf);
	if (eventmap_load_dir(gargv[3] ? gargv[3] : conf_event_maps_dir(&conf), &map, &errs,
	    &nerrs) != 0 || tfstate_load_file(gargv[1], &st, &err) != 0) {
		fprintf(stderr, "reevaluate: %s\n", err ? err : nerrs ? errs[0] : "?");
		return 1;
	}
	for (i = 0; i < st->ninst && n < 100000; i++, n++) {
		const struct tf_instance *in = &st->inst[i];
		struct finding *f = xcalloc(1, sizeof *f);

		f->kind = FK_MODIFIED;
		f->provider = strncmp(in->type, "google_", 7) == 0 ? PROV_GCP : PROV_AWS;
		f->address = xstrdup(in->address);
		f->type = xstrdup(in->type);
		f->resource_id = xstrdup(in->id);
		f->state_lineage = xstrdup(st->lineage);
		f->state_serial = st->serial - 1;
		f->event_name = xstrdup("ModifyInstanceAttribute");
		f->event_source = xstrdup("ec2.amazonaws.com");
		f->event_id = xasprintf("bench-%zu", i);
		finding_add_change(f, "id", json_object_new_string("old"),
		    json_object_new_string(i % 2 ? "new" : in->id), CH_MODIFIED, 0);
		finding_set_id(f);
		finding_list_push(&l, f);
	}
	specs = eventmap_index_specs(map, &nspecs);
	ix = state_index_build(&st, 1, specs, nspecs);
	det = detector_new(map, ix, &conf);
	t0 = now_s();
	c0 = cpu_s();
	got = detector_reevaluate(det, ix, l.v, l.n, 0);
	c1 = cpu_s();
	t1 = now_s();
	/* CPU time too: on a shared machine the wall clock says more about the neighbours. */
	printf("reevaluate_findings=%zu\nreevaluate_resolved=%zu\nreevaluate_state_resources=%zu\n"
	    "reevaluate_seconds=%.3f\nreevaluate_cpu_seconds=%.3f\n", l.n, got, state_index_count(ix),
	    t1 - t0, c1 - c0);
	finding_list_clear(&l);
	detector_free(det);
	state_index_unref(ix);
	eventmap_free(map);
	conf_free(&conf);
	return 0;
}

static int
run_scan_full(void *arg)
{
	(void)arg;
	return scan(gargv[1], gargv[2], gargv[3], 0, 0, "scan_full_parse");
}

int
main(int argc, char **argv)
{
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_scan STATE EVENTS.ndjson [MAPDIR]\n");
		return 2;
	}
	gargv = argv;
	/* A fifth argument runs one measurement alone (for a profiler): its label. */
	if (argc > 4) {
		static const struct { const char *label; int (*fn)(void *); } one[] = {
			{ "bare_parse", run_bare }, { "scan", run_scan },
			{ "scan_full_parse", run_scan_full }, { "scan_rules", run_scan_rules },
			{ "scan_nolifecycle", run_scan_nolifecycle }, { "reevaluate", run_reevaluate },
		};
		for (size_t i = 0; i < sizeof one / sizeof one[0]; i++)
			if (strcmp(argv[4], one[i].label) == 0)
				return one[i].fn(NULL);
		fprintf(stderr, "bench_scan: no measurement %s\n", argv[4]);
		return 2;
	}
	rc |= in_child("bare_parse", run_bare, NULL);
	rc |= in_child("scan", run_scan, NULL);
	rc |= in_child("scan_full_parse", run_scan_full, NULL);
	rc |= in_child("scan_rules", run_scan_rules, NULL);
	rc |= in_child("scan_nolifecycle", run_scan_nolifecycle, NULL);
	rc |= in_child("reevaluate", run_reevaluate, NULL);
	return rc;
}
