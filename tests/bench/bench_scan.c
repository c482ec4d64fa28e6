/* bench_scan: scan throughput and memory against a bare json-c parse of the same bytes.
 * Each measurement runs in its own child process so peak RSS figures do not mix.
 * scan_rules is the same scan with every default rule loaded (<datadir>/rules); lifecycle
 * compares scans without and with the drift lifecycle; reevaluate times a store's open
 * findings re-evaluated against a newer state.
 * usage: bench_scan STATE EVENTS.ndjson [MAPDIR [ONLY]] (ONLY: one measurement's label, run alone) */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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
#include "scan_par.h"
#include "state_index.h"
#include "store.h"
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

static double median(double *v, size_t n);

/* How many times the baselines run (their median is the figure): BENCH_PAR_RUNS, 3. */
static int
bare_runs(void)
{
	const char *e = getenv("BENCH_PAR_RUNS");
	int n = e != NULL ? atoi(e) : 3;

	return n >= 1 && n <= 16 ? n : 3;
}

/* The baseline: read the same file line by line and parse every line with json-c (one pass:
 * its seconds, or a negative number when the file cannot be read or a line does not parse). */
static double
bare_pass(const char *path, unsigned long *nout)
{
	gzFile gz = gzopen(path, "rb");
	struct strbuf line;
	char buf[1 << 16];
	json_tokener *tok;
	unsigned long n = 0, bad = 0;
	double t0 = now_s(), dt;

	if (gz == NULL)
		return -1;
	tok = json_tokener_new();
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
	sb_free(&line);
	json_tokener_free(tok);
	gzclose(gz);
	*nout = n;
	return bad != 0 ? -1 : dt;
}

static int
bare_parse(const char *path)
{
	double t[16], dt;
	unsigned long n = 0;
	int runs = bare_runs(), r;

	for (r = 0; r < runs; r++)
		if ((t[r] = bare_pass(path, &n)) < 0)
			return 1;
	dt = median(t, (size_t)runs);
	printf("bare_parse_events=%lu\nbare_parse_runs=%d\nbare_parse_seconds_min=%.3f\n"
	    "bare_parse_seconds=%.3f\nbare_parse_events_per_s=%.0f\n", n, runs, t[0], dt, n / dt);
	return 0;
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

/* What every scan measurement loads once: maps, rules, the state and its index. */
struct setup {
	struct conf conf;
	struct eventmap *map;
	struct rules *rules;
	struct em_attrset *keepset;
	struct state_index *ix;
	double load_seconds;    /* state load + index */
	double load_cpu_seconds;        /* the same in CPU time (the machine may be busy) */
};

static int
setup_load(struct setup *su, const char *state_path, const char *mapdir, int with_rules)
{
	struct keep_both kb;
	char **errs = NULL, *err = NULL;
	size_t nerrs = 0, nspecs;
	const struct index_key_spec *specs;
	struct tf_state *st;
	struct tfstate_keep keep;
	double t0, c0;

	memset(su, 0, sizeof *su);
	conf_init(&su->conf);
	if (eventmap_load_dir(mapdir ? mapdir : conf_event_maps_dir(&su->conf), &su->map, &errs,
	    &nerrs) != 0) {
		fprintf(stderr, "event maps: %s\n", nerrs ? errs[0] : "?");
		return 1;
	}
	if (with_rules && rules_load_configured(&su->conf, &su->rules, &errs, &nerrs) != 0) {
		fprintf(stderr, "rules: %s\n", nerrs ? errs[0] : "?");
		return 1;
	}
	su->keepset = eventmap_attrset_new(su->map);
	kb.set = su->keepset;
	kb.rules = su->rules;
	keep.fn = keep_both;
	keep.ctx = &kb;
	t0 = now_s();
	c0 = cpu_s();
	if (tfstate_load_file_keep(state_path, &keep, &st, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	specs = eventmap_index_specs(su->map, &nspecs);
	su->ix = state_index_build(&st, 1, specs, nspecs);
	su->load_seconds = now_s() - t0;
	su->load_cpu_seconds = cpu_s() - c0;
	return 0;
}

static void
setup_free(struct setup *su)
{
	state_index_unref(su->ix);
	eventmap_attrset_free(su->keepset);
	eventmap_free(su->map);
	rules_unref(su->rules);
	conf_free(&su->conf);
}

/* A detector as cmd_scan makes one (lifecycle on or off). With open findings: drift on 1,000
 * managed resources open all along, so every write event pays the lifecycle's lookups (the
 * worst case: with nothing open they are skipped); without the lifecycle tracking is a no-op. */
static struct detector *
bench_detector(const struct setup *su, int lifecycle, int open_findings)
{
	struct detector *det = detector_new(su->map, su->ix, &su->conf);
	const struct tf_state *s0 = state_index_state(su->ix, 0);

	detector_set_rules(det, su->rules);
	detector_set_lifecycle(det, lifecycle);
	for (size_t i = 0; open_findings && i < 1000 && i < s0->ninst; i++) {
		const struct tf_instance *in = &s0->inst[i * (s0->ninst / 1000)];
		struct finding *f = xcalloc(1, sizeof *f);

		f->kind = FK_MODIFIED;
		f->address = xstrdup(in->address);
		f->type = xstrdup(in->type);
		f->event_id = xasprintf("open-%zu", i);
		finding_add_change(f, "id", json_object_new_string("old"),
		    json_object_new_string("new"), CH_MODIFIED, 0);
		finding_set_id(f);
		detector_track(det, f);
		finding_free(f);
	}
	return det;
}

static unsigned long long
findings_made(const struct detector *det)
{
	const struct detect_stats *s = detector_stats(det);

	return s->findings[FK_MODIFIED] + s->findings[FK_UNMANAGED] + s->findings[FK_DELETED];
}

static unsigned long long
findings_resolved(const struct detector *det)
{
	const struct detect_stats *s = detector_stats(det);
	unsigned long long n = 0;

	for (int i = 0; i < RR__COUNT; i++)
		n += s->resolved[i];
	return n;
}

/* One scan's figures. */
struct scan_fig {
	unsigned long events, nruled;
	unsigned long long skipped_read_only, made, resolved;
	size_t open_tracked;
	double seconds, cpu;
};

/* Findings go out as they are found in watch mode; do not let them pile up here. */
static void
drain(struct finding_list *found, size_t above, unsigned long *nruled)
{
	if (found->n <= above)
		return;
	for (size_t i = 0; i < found->n; i++)
		*nruled += found->v[i]->nrules > 0;
	finding_list_clear(found);
}

/* Read every event of events_path and detect it: the scan loop, timed. */
static int
scan_loop(const struct setup *su, const char *events_path, int skip, int lifecycle,
    struct scan_fig *fig)
{
	struct detector *det = bench_detector(su, lifecycle, skip && su->rules == NULL);
	struct finding_list found = { 0 };
	struct ev_reader *r;
	struct event ev;
	char *err = NULL;
	double t1, c1;
	int got;

	memset(fig, 0, sizeof *fig);
	r = ev_reader_open(events_path, &err);
	if (r == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ev_reader_set_skip_read_only(r, skip);
	t1 = now_s();
	c1 = cpu_s();
	while ((got = ev_reader_next(r, &ev, &err)) == 1) {
		detect_event(det, &ev, &found);
		event_free(&ev);
		fig->events++;
		drain(&found, 4096, &fig->nruled);
	}
	detector_flush(det, &found);
	fig->seconds = now_s() - t1;
	fig->cpu = cpu_s() - c1;
	drain(&found, 0, &fig->nruled);
	fig->skipped_read_only = ev_reader_skipped_read_only(r);
	fig->events += fig->skipped_read_only;
	fig->open_tracked = detector_open_count(det);
	fig->made = findings_made(det);
	fig->resolved = findings_resolved(det);
	free(found.v);
	ev_reader_close(r);
	detector_free(det);
	return got < 0;
}

static int
scan(const char *state_path, const char *events_path, const char *mapdir, int skip,
    int with_rules, const char *label)
{
	struct setup su;
	struct scan_fig fig;
	int rc;

	if (setup_load(&su, state_path, mapdir, with_rules) != 0)
		return 1;
	if (skip && !with_rules)
		printf("state_resources=%zu\nstate_load_and_index_seconds=%.3f\n"
		    "state_load_and_index_cpu_seconds=%.3f\n",
		    state_index_count(su.ix), su.load_seconds, su.load_cpu_seconds);
	if (with_rules)
		printf("%s_rules_loaded=%zu\n", label, rules_count(su.rules));
	rc = scan_loop(&su, events_path, skip, 1, &fig);
	printf("%s_events=%lu\n%s_skipped_read_only=%llu\n%s_seconds=%.3f\n%s_events_per_s=%.0f\n",
	    label, fig.events, label, fig.skipped_read_only, label, fig.seconds,
	    label, fig.events / fig.seconds);
	printf("%s_findings_with_rules=%lu\n", label, fig.nruled);
	printf("%s_cpu_seconds=%.3f\n%s_open_tracked=%zu\n", label, fig.cpu, label, fig.open_tracked);
	printf("%s_findings_resolved=%llu\n%s_findings_total=%llu\n", label, fig.resolved, label,
	    fig.made);
	setup_free(&su);
	return rc;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median of v[0..n) (sorts v). */
static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The drift lifecycle's cost, two ways, on the same input and state (loaded once):
 *  - interleaved runs: LIFECYCLE_RUNS pairs of whole scans (each in its own process, forked
 *    after the load so none carries the other's heap), without and with the lifecycle,
 *    alternating which goes first; events/s by the wall clock and by CPU time, min and median,
 *    and the median of each pair's CPU ratio (neighbours slow both of a pair alike);
 *  - lockstep: one reader, each event given to a detector without and one with the lifecycle
 *    (which one first alternates), each call timed: the same machine state for both, so the
 *    difference is the lifecycle's alone. Its share of a scan: extra detect time over
 *    (read + detect without).
 */
#define LIFECYCLE_RUNS 6         /* pairs; BENCH_LIFECYCLE_PAIRS=0 runs only the lockstep */

static int
lifecycle_run(const struct setup *su, const char *events_path, int lifecycle,
    struct scan_fig *fig)
{
	int fd[2], status;
	pid_t pid;
	ssize_t got;

	if (pipe(fd) != 0)
		return 1;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		int rc;

		close(fd[0]);
		rc = scan_loop(su, events_path, 1, lifecycle, fig);
		if (write(fd[1], fig, sizeof *fig) != (ssize_t)sizeof *fig)
			rc = 1;
		_exit(rc);
	}
	close(fd[1]);
	got = pid > 0 ? read(fd[0], fig, sizeof *fig) : -1;
	close(fd[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof *fig)
		return 1;
	return 0;
}

static int
lifecycle_lockstep(const struct setup *su, const char *events_path, int skip, const char *label)
{
	struct detector *det[2] = { bench_detector(su, 0, 1), bench_detector(su, 1, 1) };
	struct finding_list found[2] = { { 0 }, { 0 } };
	double t[2] = { 0, 0 }, tread = 0, t0, t1;
	unsigned long n = 0, nruled = 0, ndetect = 0;
	struct ev_reader *r;
	struct event ev;
	char *err = NULL;
	int got;

	if ((r = ev_reader_open(events_path, &err)) == NULL) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	ev_reader_set_skip_read_only(r, skip);
	for (;;) {
		t0 = now_s();
		got = ev_reader_next(r, &ev, &err);
		tread += now_s() - t0;
		if (got != 1)
			break;
		for (int k = 0; k < 2; k++) {
			int which = (int)(ndetect & 1) ^ k;

			t0 = now_s();
			detect_event(det[which], &ev, &found[which]);
			t1 = now_s();
			t[which] += t1 - t0;
			drain(&found[which], 4096, &nruled);
		}
		ndetect++;
		t0 = now_s();
		event_free(&ev);
		tread += now_s() - t0;
		n++;
	}
	for (int k = 0; k < 2; k++) {
		t0 = now_s();
		detector_flush(det[k], &found[k]);
		t[k] += now_s() - t0;
		drain(&found[k], 0, &nruled);
		free(found[k].v);
	}
	n += ev_reader_skipped_read_only(r);
	printf("%s_events=%lu\n%s_read_seconds=%.3f\n%s_detect_off_seconds=%.3f\n"
	    "%s_detect_on_seconds=%.3f\n%s_off_events_per_s=%.0f\n%s_on_events_per_s=%.0f\n"
	    "%s_cost_percent=%.2f\n", label, n, label, tread, label, t[0], label, t[1], label,
	    n / (tread + t[0]), label, n / (tread + t[1]), label,
	    (t[1] - t[0]) / (tread + t[0]) * 100);
	if (skip)
		printf("lifecycle_findings_off=%llu\nlifecycle_findings_on=%llu\n"
		    "lifecycle_resolved_on=%llu\nlifecycle_open_tracked_on=%zu\n",
		    findings_made(det[0]), findings_made(det[1]), findings_resolved(det[1]),
		    detector_open_count(det[1]));
	ev_reader_close(r);
	detector_free(det[0]);
	detector_free(det[1]);
	return got < 0;
}

static int
run_lifecycle(const char *state_path, const char *events_path, const char *mapdir)
{
	struct setup su;
	double wall[2][LIFECYCLE_RUNS], cpu[2][LIFECYCLE_RUNS], ratio[LIFECYCLE_RUNS];
	static const char *name[2] = { "off", "on" };
	const char *pairs = getenv("BENCH_LIFECYCLE_PAIRS");
	int rc = 0, npairs = pairs != NULL && atoi(pairs) >= 0 && atoi(pairs) < LIFECYCLE_RUNS ?
	    atoi(pairs) : LIFECYCLE_RUNS;

	if (setup_load(&su, state_path, mapdir, 0) != 0)
		return 1;
	for (int i = 0; i < npairs && rc == 0; i++) {
		struct scan_fig fig[2];

		for (int k = 0; k < 2 && rc == 0; k++) {
			int on = (i & 1) ^ k;           /* off, on; on, off; ... */

			rc = lifecycle_run(&su, events_path, on, &fig[on]);
			wall[on][i] = fig[on].events / fig[on].seconds;
			cpu[on][i] = fig[on].events / fig[on].cpu;
		}
		if (rc == 0) {
			ratio[i] = fig[0].cpu / fig[1].cpu;
			printf("# lifecycle pair %d: off %.0f events/s (%.3f s CPU), on %.0f events/s "
			    "(%.3f s CPU)\n", i + 1, wall[0][i], fig[0].cpu, wall[1][i], fig[1].cpu);
		}
	}
	if (rc != 0) {
		fprintf(stderr, "lifecycle: a run failed\n");
		setup_free(&su);
		return 1;
	}
	printf("lifecycle_runs=%d\n", npairs);
	for (int k = 0; k < 2 && npairs > 0; k++) {
		double mw, mc;

		mw = median(wall[k], (size_t)npairs);
		mc = median(cpu[k], (size_t)npairs);
		printf("lifecycle_%s_events_per_s_min=%.0f\nlifecycle_%s_events_per_s_median=%.0f\n"
		    "lifecycle_%s_events_per_cpu_s_min=%.0f\nlifecycle_%s_events_per_cpu_s_median=%.0f\n",
		    name[k], wall[k][0], name[k], mw, name[k], cpu[k][0], name[k], mc);
	}
	if (npairs > 0)
		printf("lifecycle_pair_throughput_ratio_median=%.4f\n", median(ratio, (size_t)npairs));
	/* With the read-only fast path (the scan figures above), and without it (every record
	 * parsed, as cmd_scan reads them today). */
	rc = lifecycle_lockstep(&su, events_path, 1, "lifecycle_lockstep");
	if (rc == 0)
		rc = lifecycle_lockstep(&su, events_path, 0, "lifecycle_lockstep_full_parse");
	setup_free(&su);
	return rc;
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
run_lifecycle_ab(void *arg)
{
	(void)arg;
	return run_lifecycle(gargv[1], gargv[2], gargv[3]);
}

/*
 * Re-evaluating open findings against a newer state, as `scan --store` does it: one modified
 * finding on each of the state's first 100,000 instances, decided against serial 0 of its
 * lineage (half of them hold the state's value: accepted_in_state; half do not), saved open in
 * a store. Each of REEVAL_RUNS runs takes a fresh copy of that store and times its phases:
 * reading what re-evaluation needs of the open findings (store_load_reevaluable: columns, no
 * JSON), detector_reevaluate, saving the resolutions (store_put_resolutions: status and
 * resolution columns), and the count by status scan then makes (store_count_status). The state's load and index is timed by
 * `scan` (state_load_and_index_seconds): a scan pays it with or without a store.
 */
#define REEVAL_RUNS 5

static int
copy_file(const char *from, const char *to)
{
	char buf[1 << 16];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;
	int rc = in != NULL && out != NULL ? 0 : 1;

	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = 1;
	if (in != NULL && ferror(in))
		rc = 1;
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		rc = 1;
	return rc;
}

static void
store_files_rm(const char *path)
{
	static const char *const side[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s%s", path, side[i]);

		unlink(p);
		free(p);
	}
}

/* The phases of one run, seconds. */
enum { PH_READ, PH_EVAL, PH_SAVE, PH_COUNT, PH_TOTAL, PH__N };
static const char *const ph_name[PH__N] = { "read", "evaluate", "save", "count", "total" };

static int
reevaluate_once(const struct setup *su, const char *db, double ph[PH__N], double pc[PH__N],
    double *cpu, size_t *nread, size_t *nresolved)
{
	struct detector *det = detector_new(su->map, su->ix, &su->conf);
	struct finding_list prior = { 0 }, res = { 0 };
	size_t counts[ST__COUNT];
	struct store *store = NULL;
	char *err = NULL;
	double t0, t, c0, tc;
	size_t i;
	int rc = 1;

	if (store_open(db, STORE_NOCREATE, &store, &err) != 0)
		goto out;
	t0 = t = now_s();
	c0 = tc = cpu_s();
	if (store_load_reevaluable(store, &prior, &err) != 0)
		goto out;
	ph[PH_READ] = now_s() - t;
	pc[PH_READ] = cpu_s() - tc;
	t = now_s();
	tc = cpu_s();
	*nresolved = detector_reevaluate(det, su->ix, prior.v, prior.n, tf_now_ms());
	ph[PH_EVAL] = now_s() - t;
	pc[PH_EVAL] = cpu_s() - tc;
	for (i = 0; i < prior.n; i++)
		if (prior.v[i]->status == ST_RESOLVED)
			finding_list_push(&res, prior.v[i]);
	t = now_s();
	tc = cpu_s();
	if (store_put_resolutions(store, &res, &err) != 0)
		goto out;
	ph[PH_SAVE] = now_s() - t;
	pc[PH_SAVE] = cpu_s() - tc;
	t = now_s();
	tc = cpu_s();
	if (store_count_status(store, tf_now_ms(), counts, &err) != 0)
		goto out;
	ph[PH_COUNT] = now_s() - t;
	pc[PH_COUNT] = cpu_s() - tc;
	if (counts[ST_RESOLVED] != *nresolved || counts[ST_OPEN] != prior.n - *nresolved) {
		fprintf(stderr, "reevaluate: counted %zu open, %zu resolved\n", counts[ST_OPEN],
		    counts[ST_RESOLVED]);
		goto out;
	}
	ph[PH_TOTAL] = now_s() - t0;
	*cpu = cpu_s() - c0;
	*nread = prior.n;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "reevaluate: %s\n", err ? err : "?");
	free(err);
	free(res.v);
	finding_list_clear(&prior);
	free(prior.v);
	store_close(store);
	detector_free(det);
	return rc;
}

static int
run_reevaluate(void *arg)
{
	struct setup su;
	const struct tf_state *st;
	struct finding_list l = { 0 };
	struct store *store = NULL;
	char *err = NULL, *db, *run_db;
	const char *pg;
	int runs = REEVAL_RUNS;     /* BENCH_REEVAL_RUNS: fewer (PostgreSQL's take minutes) */
	double ph[PH__N][REEVAL_RUNS], pcpu[PH__N][REEVAL_RUNS], cpu[REEVAL_RUNS], t0;
	size_t i, n = 0, nread = 0, nres = 0;
	int rc = 0;

	(void)arg;
	if (setup_load(&su, gargv[1], gargv[3], 0) != 0)
		return 1;
	st = state_index_state(su.ix, 0);
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
		f->event_time_ms = 1700000000000 + (int64_t)i;
		finding_add_change(f, "id", json_object_new_string("old"),
		    json_object_new_string(i % 2 ? "new" : in->id), CH_MODIFIED, 0);
		finding_summarize(f);
		finding_set_id(f);
		finding_list_push(&l, f);
	}
	/* The store of open findings, made once (beside the events file), or, on PostgreSQL
	 * (BENCH_REEVAL_PG_URIS: one empty database per run, space-separated URIs), made in
	 * each run's database before that run (a database cannot be copied as a file).
	 * BENCH_REEVAL_REUSE=1 keeps an SQLite store made before (to profile the runs alone). */
	pg = getenv("BENCH_REEVAL_PG_URIS");
	if (getenv("BENCH_REEVAL_RUNS") != NULL) {
		runs = atoi(getenv("BENCH_REEVAL_RUNS"));
		if (runs < 1 || runs > REEVAL_RUNS)
			runs = REEVAL_RUNS;
	}
	db = xasprintf("%s.reevaluate.db", gargv[2]);
	run_db = xasprintf("%s.reevaluate-run.db", gargv[2]);
	if (pg == NULL && !(getenv("BENCH_REEVAL_REUSE") != NULL && access(db, R_OK) == 0)) {
		store_files_rm(db);
		t0 = now_s();
		if (store_open(db, 0, &store, &err) != 0 || store_put_findings(store, &l, &err) != 0) {
			fprintf(stderr, "reevaluate: %s\n", err ? err : "?");
			return 1;
		}
		store_close(store);
		store = NULL;
		printf("reevaluate_store_write_open_seconds=%.3f\n", now_s() - t0);
	}
	if (pg == NULL) {
		struct stat sb;

		if (stat(db, &sb) == 0)     /* closed: the WAL is checkpointed into it */
			printf("reevaluate_store_mb=%.1f\n", (double)sb.st_size / 1e6);
	}
	for (int r = 0; r < runs && rc == 0; r++) {
		double p[PH__N] = { 0 }, c[PH__N] = { 0 };
		char *uri = NULL;

		if (pg != NULL) {
			size_t len;

			pg += strspn(pg, " ");
			len = strcspn(pg, " ");
			if (len == 0) {
				fprintf(stderr, "reevaluate: BENCH_REEVAL_PG_URIS: %d URIs needed\n",
				    runs);
				rc = 1;
				break;
			}
			uri = xstrndup(pg, len);
			pg += len;
			t0 = now_s();
			if (store_open(uri, 0, &store, &err) != 0 ||
			    store_put_findings(store, &l, &err) != 0) {
				fprintf(stderr, "reevaluate: %s\n", err ? err : "?");
				free(uri);
				return 1;
			}
			store_close(store);
			store = NULL;
			printf("# reevaluate run %d: store written in %.3f s\n", r + 1, now_s() - t0);
		} else {
			store_files_rm(run_db);
			if (copy_file(db, run_db) != 0) {
				fprintf(stderr, "reevaluate: cannot copy %s\n", db);
				rc = 1;
				break;
			}
		}
		rc = reevaluate_once(&su, uri != NULL ? uri : run_db, p, c, &cpu[r], &nread, &nres);
		free(uri);
		for (int k = 0; k < PH__N; k++) {
			ph[k][r] = p[k];
			pcpu[k][r] = c[k];
		}
		printf("# reevaluate run %d: read %.3f s (%.3f CPU), evaluate %.3f s (%.3f), save %.3f s "
		    "(%.3f), count %.3f s (%.3f): %.3f s (%.3f s CPU)\n", r + 1, p[PH_READ], c[PH_READ],
		    p[PH_EVAL], c[PH_EVAL], p[PH_SAVE], c[PH_SAVE], p[PH_COUNT], c[PH_COUNT],
		    p[PH_TOTAL], cpu[r]);
	}
	finding_list_clear(&l);
	free(l.v);
	store_files_rm(run_db);
	if (rc == 0) {
		printf("reevaluate_findings=%zu\nreevaluate_resolved=%zu\n"
		    "reevaluate_state_resources=%zu\nreevaluate_runs=%d\n", nread, nres,
		    state_index_count(su.ix), runs);
		for (int k = 0; k < PH__N; k++) {
			double m = median(ph[k], (size_t)runs);

			printf("reevaluate_%s_seconds_min=%.3f\nreevaluate_%s_seconds_median=%.3f\n",
			    ph_name[k], ph[k][0], ph_name[k], m);
			if (k != PH_TOTAL) {
				m = median(pcpu[k], (size_t)runs);
				printf("reevaluate_%s_cpu_seconds_min=%.3f\n"
				    "reevaluate_%s_cpu_seconds_median=%.3f\n", ph_name[k], pcpu[k][0],
				    ph_name[k], m);
			}
		}
		printf("reevaluate_total_cpu_seconds_median=%.3f\n", median(cpu, (size_t)runs));
	}
	free(db);
	free(run_db);
	setup_free(&su);
	return rc;
}

static int
run_scan_full(void *arg)
{
	(void)arg;
	return scan(gargv[1], gargv[2], gargv[3], 0, 0, "scan_full_parse");
}

/*
 * scan as users run it (scan_par.c: the reader thread, the workers, the ordered merge into
 * the detector, default rules on) against a bare single-threaded json-c parse of the same
 * bytes, on the JSON lines file and on the same records as gzipped S3 log files (a list of
 * paths, one a line: gen.py s3). BENCH_PAR_RUNS runs of each (min and median); labels
 * par_{lines,s3}_{jN|jdefault}_{rules|norules}_{full|skip}.
 */
struct par_ctx {
	struct detector *det;
	struct finding_list found;
	unsigned long nruled, events;
};

static void
par_event(void *ctx, size_t input, struct event *ev)
{
	struct par_ctx *pc = ctx;

	(void)input;
	detect_event(pc->det, ev, &pc->found);
	pc->events++;
	drain(&pc->found, 4096, &pc->nruled);
}

static void
par_end(void *ctx, size_t input, const struct ev_counters *c, uint64_t ro, uint64_t ro_out)
{
	(void)input;
	(void)ro_out;
	(void)c;
	((struct par_ctx *)ctx)->events += ro;
}

static void
par_quiet(void *ctx, size_t input, const char *msg)
{
	(void)ctx;
	(void)input;
	(void)msg;
}

static char **
read_list(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	char line[4096], **v = NULL;

	*n = 0;
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (*line == '\0')
			continue;
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrdup(line);
	}
	if (f != NULL)
		fclose(f);
	return v;
}

/* The bare baseline for S3 files: gunzip each and parse it with json-c, one thread (one pass:
 * its seconds; the records in *nrec). */
static double
bare_s3_pass(char **paths, size_t n, size_t *nrec)
{
	double t0 = now_s();
	size_t i, records = 0;

	for (i = 0; i < n; i++) {
		gzFile gz = gzopen(paths[i], "rb");
		struct strbuf sb;
		char buf[1 << 16];
		int k;
		json_object *o, *recs;

		sb_init(&sb);
		while (gz != NULL && (k = gzread(gz, buf, sizeof buf)) > 0)
			sb_add(&sb, buf, (size_t)k);
		if (gz != NULL)
			gzclose(gz);
		o = json_tokener_parse(sb.buf != NULL ? sb.buf : "");
		if (json_object_object_get_ex(o, "Records", &recs))
			records += json_object_array_length(recs);
		json_object_put(o);
		sb_free(&sb);
	}
	*nrec = records;
	return now_s() - t0;
}

static int
bare_s3(const char *list)
{
	size_t n, i, records = 0;
	char **paths = read_list(list, &n);
	double wall[16], cpu[16], dt;
	int runs = bare_runs(), r;

	for (r = 0; r < runs; r++) {
		double c0 = cpu_s();

		wall[r] = bare_s3_pass(paths, n, &records);
		cpu[r] = cpu_s() - c0;
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	dt = median(wall, (size_t)runs);
	printf("bare_s3_events=%zu\nbare_s3_runs=%d\nbare_s3_seconds_min=%.3f\nbare_s3_seconds=%.3f\n"
	    "bare_s3_cpu_seconds=%.3f\nbare_s3_events_per_s=%.0f\n", records, runs, wall[0], dt,
	    median(cpu, (size_t)runs), records / dt);
	return records == 0;
}

struct par_run {
	const char *label;
	const char *what;       /* "lines" or "s3" */
	unsigned jobs;          /* 0: the default */
	int rules, skip;
	int paired;             /* each run right after a bare parse of the same input: ratios */
};

/* One bare pass ("lines" or "s3") in a new process (bench_scan ... bare-one WHAT): seconds. */
static double
bare_spawn(const char *what)
{
	char *cmd;
	FILE *p;
	double t = -1;
	int i;

	for (i = 0; i < 6; i++)
		if (strchr(gargv[i], '\'') != NULL)
			return -1;
	cmd = xasprintf("'%s' '%s' '%s' '%s' bare-one %s '%s'", gargv[0], gargv[1], gargv[2],
	    gargv[3], what, gargv[5]);
	fflush(stdout);
	if ((p = popen(cmd, "r")) != NULL) {
		if (fscanf(p, "%lf", &t) != 1)
			t = -1;
		if (pclose(p) != 0)
			t = -1;
	}
	free(cmd);
	return t;
}

static int
par_scan(const struct par_run *pr)
{
	struct setup su;
	struct scan_par_opts o = { 0 };
	struct scan_par_cb cb = { 0 };
	struct par_ctx pc;
	char **paths, *one[1];
	size_t n, i;
	int runs = bare_runs(), r;
	double wall[16], cpu[16], bare[16], ratio[16];

	if (setup_load(&su, gargv[1], gargv[3], pr->rules) != 0)
		return 1;
	if (strcmp(pr->what, "s3") == 0)
		paths = read_list(gargv[5], &n);
	else {
		one[0] = gargv[2];
		paths = one;
		n = 1;
	}
	o.jobs = pr->jobs != 0 ? pr->jobs : scan_par_default_jobs();
	o.skip_read_only = pr->skip;
	cb.ctx = &pc;
	cb.event = par_event;
	cb.warn = par_quiet;
	cb.error = par_quiet;
	cb.end = par_end;
	for (r = 0; r < runs; r++) {
		double t0, c0;

		/* The baseline just before, on the same machine state (a neighbour that slows one
		 * slows both), in a fresh process as the standalone baseline runs (this one's heap,
		 * with the state loaded, makes json-c's allocations slower): the pair's ratio. */
		if (pr->paired && (bare[r] = bare_spawn(pr->what)) <= 0)
			return 1;
		memset(&pc, 0, sizeof pc);
		pc.det = bench_detector(&su, 1, 0);
		t0 = now_s();
		c0 = cpu_s();
		scan_par_run((const char *const *)paths, n, &o, &cb);
		detector_flush(pc.det, &pc.found);
		wall[r] = now_s() - t0;
		cpu[r] = cpu_s() - c0;
		drain(&pc.found, 0, &pc.nruled);
		free(pc.found.v);
		detector_free(pc.det);
		if (pr->paired) {
			ratio[r] = bare[r] / wall[r];
			printf("# %s pair %d: bare %.3f s, scan %.3f s: %.2fx\n", pr->label, r + 1,
			    bare[r], wall[r], ratio[r]);
		}
	}
	if (pr->paired) {
		double rmed = median(ratio, (size_t)runs);

		printf("%s_pairs=%d\n%s_ratio_min=%.3f\n%s_ratio_median=%.3f\n"
		    "%s_bare_seconds_median=%.3f\n", pr->label, runs, pr->label, ratio[0],
		    pr->label, rmed, pr->label, median(bare, (size_t)runs));
	}
	printf("%s_jobs=%u\n%s_events=%lu\n", pr->label, o.jobs, pr->label, pc.events);
	printf("%s_seconds_min=%.3f\n%s_seconds_median=%.3f\n", pr->label,
	    (qsort(wall, (size_t)runs, sizeof *wall, cmp_double), wall[0]), pr->label,
	    median(wall, (size_t)runs));
	printf("%s_cpu_seconds_min=%.3f\n%s_cpu_seconds_median=%.3f\n", pr->label,
	    (qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double), cpu[0]), pr->label,
	    median(cpu, (size_t)runs));
	printf("%s_events_per_s=%.0f\n", pr->label, pc.events / median(wall, (size_t)runs));
	if (paths != one) {
		for (i = 0; i < n; i++)
			free(paths[i]);
		free(paths);
	}
	setup_free(&su);
	return 0;
}

static int
run_par_one(void *arg)
{
	return par_scan(arg);
}

static int
run_bare_s3(void *arg)
{
	(void)arg;
	return bare_s3(gargv[5]);
}

/* bench_scan STATE EVENTS MAPDIR par S3LIST [LABEL...]: the scan_par figures. */
static int
run_par(int argc, char **argv)
{
	static const struct par_run runs[] = {
		{ "par_lines_jdefault_rules_full", "lines", 0, 1, 0, 0 },
		{ "par_lines_jdefault_norules_full", "lines", 0, 0, 0, 0 },
		{ "par_lines_j1_rules_full", "lines", 1, 1, 0, 0 },
		{ "par_lines_j2_rules_full", "lines", 2, 1, 0, 0 },
		{ "par_lines_jdefault_rules_skip", "lines", 0, 1, 1, 0 },
		{ "par_lines_j1_rules_skip", "lines", 1, 1, 1, 0 },
		{ "par_s3_jdefault_rules_full", "s3", 0, 1, 0, 0 },
		{ "par_s3_jdefault_norules_full", "s3", 0, 0, 0, 0 },
		{ "par_s3_j1_rules_full", "s3", 1, 1, 0, 0 },
		{ "par_s3_jdefault_rules_skip", "s3", 0, 1, 1, 0 },
		{ "pair_lines_jdefault_rules_skip", "lines", 0, 1, 1, 1 },
		{ "pair_s3_jdefault_rules_skip", "s3", 0, 1, 1, 1 },
	};
	int rc = 0, k;
	size_t i;

	if (argc < 6) {
		fprintf(stderr, "usage: bench_scan STATE EVENTS MAPDIR par S3LIST [LABEL...]\n");
		return 2;
	}
	if (argc == 6 || getenv("BENCH_PAR_BARE") != NULL) {
		rc |= in_child("bare_parse", run_bare, NULL);
		rc |= in_child("bare_s3", run_bare_s3, NULL);
	}
	for (i = 0; i < TF_ARRLEN(runs); i++) {
		int want = argc == 6;

		for (k = 6; k < argc; k++)
			want |= strcmp(argv[k], runs[i].label) == 0;
		if (want)
			rc |= in_child(runs[i].label, run_par_one, (void *)&runs[i]);
	}
	return rc;
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
	if (argc > 5 && strcmp(argv[4], "par") == 0)
		return run_par(argc, argv);
	if (argc > 6 && strcmp(argv[4], "bare-one") == 0) {
		/* One bare pass for par's pairs: its seconds on stdout. */
		unsigned long nl = 0;
		size_t nrec = 0, n, i;
		double t;

		if (strcmp(argv[5], "s3") == 0) {
			char **paths = read_list(argv[6], &n);

			t = bare_s3_pass(paths, n, &nrec);
			for (i = 0; i < n; i++)
				free(paths[i]);
			free(paths);
		} else
			t = bare_pass(argv[2], &nl);
		printf("%.6f\n", t);
		return t < 0;
	}
	/* A fifth argument runs one measurement alone (for a profiler): its label. */
	if (argc > 4) {
		static const struct { const char *label; int (*fn)(void *); } one[] = {
			{ "bare_parse", run_bare }, { "scan", run_scan },
			{ "scan_full_parse", run_scan_full }, { "scan_rules", run_scan_rules },
			{ "lifecycle", run_lifecycle_ab }, { "reevaluate", run_reevaluate },
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
	rc |= in_child("lifecycle", run_lifecycle_ab, NULL);
	rc |= in_child("reevaluate", run_reevaluate, NULL);
	return rc;
}
