/* bench_parse: the per-record parse candidates of recparse.h on the same records, in memory
 * (no I/O): CPU seconds per pass (min and median of BENCH_PARSE_RUNS, default 3), events/s,
 * and the ratio to a bare json-c parse of the same bytes. Before timing, every candidate's
 * verdicts are checked against json-c's on every record (read-only or kept, and a kept
 * record's event fields): a faster parser that disagrees is not a candidate.
 * usage: bench_parse EVENTS.ndjson [CANDIDATE...]  (doc/json-parsing.md has the figures) */
#include "config.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "recparse.h"
#include "util.h"

struct recs {
	char *buf;                  /* the file, then RP_PADDING bytes */
	size_t *off, *len, n;
	size_t *ro, nro;            /* the read-only ones (json-c's verdict), by index */
};

static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
load(const char *path, struct recs *r)
{
	FILE *fp = fopen(path, "rb");
	size_t cap = 0, got, i, start = 0, size = 0;

	if (fp == NULL)
		return -1;
	memset(r, 0, sizeof *r);
	for (;;) {
		if (cap - size < (1 << 20)) {
			cap = cap * 2 + (1 << 24);
			r->buf = xreallocarray(r->buf, cap + RP_PADDING, 1);
		}
		if ((got = fread(r->buf + size, 1, cap - size, fp)) == 0)
			break;
		size += got;
	}
	fclose(fp);
	memset(r->buf + size, ' ', RP_PADDING);
	for (i = 0; i <= size; i++) {
		if (i < size && r->buf[i] != '\n')
			continue;
		if (i > start) {
			if ((r->n & (r->n - 1)) == 0) {
				r->off = xreallocarray(r->off, r->n * 2 + 1, sizeof *r->off);
				r->len = xreallocarray(r->len, r->n * 2 + 1, sizeof *r->len);
			}
			r->off[r->n] = start;
			r->len[r->n++] = i - start;
		}
		start = i + 1;
	}
	return 0;
}

static int
same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The fields every candidate fills, against json-c's event (the reference). */
static int
same_event(const struct event *a, const struct event *b)
{
	return same_str(a->id, b->id) && a->time_ms == b->time_ms && same_str(a->source, b->source) &&
	    same_str(a->name, b->name) && same_str(a->region, b->region) &&
	    same_str(a->account, b->account) && same_str(a->source_ip, b->source_ip) &&
	    same_str(a->user_agent, b->user_agent) && a->read_only == b->read_only &&
	    same_str(a->error_code, b->error_code) && same_str(a->error_message, b->error_message) &&
	    same_str(a->event_type, b->event_type) && same_str(a->actor.type, b->actor.type) &&
	    same_str(a->actor.account, b->actor.account) &&
	    same_str(a->actor.invoked_by, b->actor.invoked_by);
}

/* 0 when the candidate decides every record as json-c does. */
static int
verify(const struct rp_impl *im, struct recs *r)
{
	void *ref = rp_jsonc.open(), *c = im->open();
	size_t i, bad = 0;

	for (i = 0; i < r->n; i++) {
		struct event a, b;
		int ra = rp_jsonc.record(ref, r->buf + r->off[i], r->len[i], &a);
		int rb = im->record(c, r->buf + r->off[i], r->len[i], &b);

		if (ra == RP_READ_ONLY && r->nro < r->n && im == &rp_jsonc_prescan)
			r->ro[r->nro++] = i;
		if (ra != rb || (ra == RP_KEPT && !same_event(&a, &b))) {
			if (bad++ < 3)
				fprintf(stderr, "bench_parse: %s: record %zu: %d, json-c %d%s\n", im->name,
				    i + 1, rb, ra, ra == rb ? " (fields differ)" : "");
		}
		if (ra == RP_KEPT)
			event_free(&a);
		if (rb == RP_KEPT)
			event_free(&b);
	}
	rp_jsonc.close(ref);
	im->close(c);
	if (bad > 0)
		fprintf(stderr, "bench_parse: %s disagrees with json-c on %zu of %zu records\n",
		    im->name, bad, r->n);
	return bad > 0;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One candidate (NULL: the bare json-c parse), runs passes over every record (or, with
 * ro_only, over the read-only ones: the cost of skipping one): its figures printed; returns
 * its least CPU time. */
static double
timed(const char *name, const struct rp_impl *im, const struct recs *r, int runs, double bare,
    int ro_only)
{
	double cpu[16], wall[16];
	size_t j, i, ro = 0, kept = 0, bad = 0, n = ro_only ? r->nro : r->n;
	int k;

	for (k = 0; k < runs; k++) {
		void *c = im != NULL ? im->open() : json_tokener_new();
		double c0 = cpu_s(), w0 = wall_s();

		ro = kept = bad = 0;
		for (j = 0; j < n; j++) {
			struct event ev;
			int rc;

			i = ro_only ? r->ro[j] : j;
			if (im == NULL) {
				json_object *o;

				json_tokener_reset(c);
				o = json_tokener_parse_ex(c, r->buf + r->off[i], (int)r->len[i]);
				rc = o != NULL ? RP_KEPT : RP_BAD;
				json_object_put(o);
			} else if ((rc = im->record(c, r->buf + r->off[i], r->len[i], &ev)) == RP_KEPT)
				event_free(&ev);
			ro += rc == RP_READ_ONLY;
			kept += rc == RP_KEPT;
			bad += rc == RP_BAD;
		}
		cpu[k] = cpu_s() - c0;
		wall[k] = wall_s() - w0;
		if (im != NULL)
			im->close(c);
		else
			json_tokener_free(c);
	}
	qsort(cpu, (size_t)runs, sizeof *cpu, dcmp);
	qsort(wall, (size_t)runs, sizeof *wall, dcmp);
	if (ro_only) {
		printf("parse_%s_ro_only_cpu_seconds_min=%.3f\n", name, cpu[0]);
		printf("parse_%s_ro_only_us_per_record=%.3f\n", name, cpu[0] * 1e6 / (double)n);
		return cpu[0];
	}
	printf("parse_%s_records=%zu\nparse_%s_read_only=%zu\nparse_%s_kept=%zu\nparse_%s_bad=%zu\n",
	    name, r->n, name, ro, name, kept, name, bad);
	printf("parse_%s_cpu_seconds_min=%.3f\nparse_%s_cpu_seconds_median=%.3f\n", name, cpu[0],
	    name, cpu[runs / 2]);
	printf("parse_%s_wall_seconds_min=%.3f\n", name, wall[0]);
	printf("parse_%s_events_per_cpu_s=%.0f\n", name, (double)r->n / cpu[0]);
	printf("parse_%s_us_per_record=%.3f\n", name, cpu[0] * 1e6 / (double)r->n);
	if (bare > 0)
		printf("parse_%s_vs_bare_jsonc=%.2f\n", name, bare / cpu[0]);
	fflush(stdout);
	return cpu[0];
}

int
main(int argc, char **argv)
{
	static const struct rp_impl *const all[] = {
		&rp_jsonc, &rp_jsonc_prescan,
#ifdef HAVE_SIMDJSON
		&rp_simdjson, &rp_simdjson_jsonc,
#endif
	};
	const char *e = getenv("BENCH_PARSE_RUNS");
	int runs = e != NULL && atoi(e) > 0 && atoi(e) <= 16 ? atoi(e) : 3, rc = 0, i, j;
	double bare;
	struct recs r;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_parse EVENTS.ndjson [CANDIDATE...]\n");
		return 2;
	}
	if (load(argv[1], &r) != 0) {
		perror(argv[1]);
		return 1;
	}
	/* The bare parse's best pass: what the candidates are compared with. */
	bare = timed("bare_jsonc", NULL, &r, runs, 0, 0);
	/* json-c's verdicts: which records are read-only (the skip's cost is timed on them). */
	r.ro = xcalloc(r.n, sizeof *r.ro);
	if (verify(&rp_jsonc_prescan, &r) != 0)
		rc = 1;
	for (i = 0; i < (int)TF_ARRLEN(all); i++) {
		int want = argc == 2;

		for (j = 2; j < argc; j++)
			want |= strcmp(argv[j], all[i]->name) == 0;
		if (!want)
			continue;
		if (all[i] != &rp_jsonc_prescan && verify(all[i], &r) != 0) {
			rc = 1;
			continue;
		}
		timed(all[i]->name, all[i], &r, runs, bare, 0);
		timed(all[i]->name, all[i], &r, runs, bare, 1);
	}
	free(r.buf);
	free(r.off);
	free(r.len);
	free(r.ro);
	return rc;
}
