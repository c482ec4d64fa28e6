/* bench_ui: the dashboard with 100,000 findings in its model: rebuild times (sort by time,
 * by severity, the live case of 100 arrivals), one frame drawn into a real curses screen on
 * a pseudo-terminal (200x50, xterm-256color), and the memory the findings take. New queries
 * (free text, fields) and frames are timed on the wall clock and in CPU time (the machine
 * is shared: CPU time says more), min / median / p95. run.sh runs it at 1,000,000 too.
 * Prints a table (lines starting with '#') and key=value lines for run.sh.
 * usage: bench_ui [NFINDINGS] */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <malloc.h>
#include <pthread.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <curses.h>

#include <json-c/json.h>

#include "finding.h"
#include "ui/filter.h"
#include "ui/model.h"
#include "ui/theme.h"
#include "ui/keys.h"
#include "ui/ui_int.h"
#include "util.h"

#define SCREEN_W 200
#define SCREEN_H 50
#define T_BASE 1717200000000LL          /* 2024-06-01T00:00:00Z */
#define T_SPAN (30LL * 86400 * 1000)    /* findings spread over 30 days */
#define BATCH 100                       /* the live case: findings per arrival batch */

/* ---- deterministic data ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static unsigned
pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static const char *people[] = {
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
	"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter",
	"ci-deployer", "oncall-bot", "break-glass",
};
static const char *regions[] = { "us-east-1", "us-west-2", "eu-west-1", "eu-central-1",
	"ap-southeast-2", "europe-west1", "us-central1" };
static const char *modules[] = { "", "module.net.", "module.app.", "module.app.module.db.",
	"module.edge[\"eu\"].", "module.shared.module.iam." };
static const char *names[] = { "main", "web", "this", "api", "worker", "logs", "primary" };
static const char *uas[] = {
	"console.amazonaws.com", "aws-cli/2.15.30 Python/3.11.8 Linux/6.1 exe/x86_64.ubuntu.22",
	"Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1 lang/python#3.11.8",
	"aws-sdk-go-v2/1.25.2 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64",
	"google-cloud-sdk gcloud/468.0.0 command/gcloud.compute.instances.set-machine-type",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0",
};

struct rtype {
	enum tf_provider prov;
	const char *type, *src, *ev_mod, *ev_del, *ev_new;
};
static const struct rtype rtypes[] = {
	{ PROV_AWS, "aws_instance", "ec2.amazonaws.com", "ModifyInstanceAttribute",
	  "TerminateInstances", "RunInstances" },
	{ PROV_AWS, "aws_security_group", "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress",
	  "DeleteSecurityGroup", "CreateSecurityGroup" },
	{ PROV_AWS, "aws_s3_bucket", "s3.amazonaws.com", "PutBucketPolicy", "DeleteBucket",
	  "CreateBucket" },
	{ PROV_AWS, "aws_iam_role", "iam.amazonaws.com", "UpdateAssumeRolePolicy", "DeleteRole",
	  "CreateRole" },
	{ PROV_AWS, "aws_lambda_function", "lambda.amazonaws.com",
	  "UpdateFunctionConfiguration20150331v2", "DeleteFunction20150331", "CreateFunction20150331" },
	{ PROV_AWS, "aws_db_instance", "rds.amazonaws.com", "ModifyDBInstance", "DeleteDBInstance",
	  "CreateDBInstance" },
	{ PROV_GCP, "google_compute_instance", "compute.googleapis.com",
	  "v1.compute.instances.setMachineType", "v1.compute.instances.delete",
	  "v1.compute.instances.insert" },
	{ PROV_GCP, "google_compute_firewall", "compute.googleapis.com", "v1.compute.firewalls.patch",
	  "v1.compute.firewalls.delete", "v1.compute.firewalls.insert" },
	{ PROV_GCP, "google_storage_bucket", "storage.googleapis.com", "storage.buckets.update",
	  "storage.buckets.delete", "storage.buckets.create" },
};
#define NTYPES (sizeof rtypes / sizeof rtypes[0])
#define N(a) (sizeof(a) / sizeof((a)[0]))

static json_object *
cidrs(unsigned n)
{
	json_object *a = json_object_new_array();
	unsigned i;

	for (i = 0; i < n; i++) {
		char *s = xasprintf("10.%u.%u.0/24", pick(256), pick(256));

		json_object_array_add(a, json_object_new_string(s));
		free(s);
	}
	return a;
}

static json_object *
tags(void)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "team", json_object_new_string(people[pick(N(people))]));
	json_object_object_add(o, "env", json_object_new_string(pick(2) ? "prod" : "staging"));
	if (pick(2))
		json_object_object_add(o, "cost-center", json_object_new_int((int)pick(9000) + 1000));
	return o;
}

/* One attribute change of a plausible shape for the resource type. */
static void
add_change(struct finding *f, unsigned k)
{
	static const char *itypes[] = { "t3.micro", "t3.large", "m5.xlarge", "c6i.2xlarge",
		"e2-standard-4", "n2-highmem-8" };
	json_object *o, *n;
	char *attr;

	switch ((pick(6) + k) % 6) {
	case 0:
		finding_add_change(f, "instance_type", json_object_new_string(itypes[pick(N(itypes))]),
		    json_object_new_string(itypes[pick(N(itypes))]), CH_MODIFIED, 0);
		return;
	case 1:
		o = cidrs(1 + pick(4));
		n = cidrs(1 + pick(4));
		finding_add_change(f, "ingress.cidr_blocks", o, n, CH_MODIFIED, 0);
		return;
	case 2:
		finding_add_change(f, "tags", tags(), tags(), CH_MODIFIED, 0);
		return;
	case 3:
		attr = xasprintf("tags.%s", people[pick(N(people))]);
		finding_add_change(f, attr, NULL, json_object_new_string("yes"), CH_ADDED, 0);
		free(attr);
		return;
	case 4:
		finding_add_change(f, "deletion_protection", json_object_new_boolean(1),
		    json_object_new_boolean(0), CH_MODIFIED, 0);
		return;
	default:
		finding_add_change(f, pick(3) ? "timeout" : "password", json_object_new_int(30),
		    json_object_new_int((int)pick(900)), CH_MODIFIED, pick(3) == 0);
		return;
	}
}

/* A finding like the detector makes: varied kind, severity, provider, resource address
 * (modules, count and for_each keys), changes, actor, time; some triaged. `t` is its time. */
static struct finding *
gen_finding(uint64_t serial, int64_t t)
{
	struct finding *f = xcalloc(1, sizeof *f);
	const struct rtype *rt = &rtypes[pick(NTYPES)];
	unsigned r = pick(100), i, nch;
	const char *who = people[pick(N(people))], *mod = modules[pick(N(modules))];
	const char *nm = names[pick(N(names))];
	char *idx;

	f->kind = r < 70 ? FK_MODIFIED : r < 85 ? FK_UNMANAGED : r < 95 ? FK_DELETED :
	    FK_FREEZE_VIOLATION;
	r = pick(100);
	f->severity = r < 5 ? SEV_CRITICAL : r < 20 ? SEV_HIGH : r < 55 ? SEV_MEDIUM : r < 85 ?
	    SEV_LOW : SEV_INFO;
	f->provider = rt->prov;
	f->type = xstrdup(rt->type);
	if (rt->prov == PROV_AWS)
		f->resource_id = xasprintf("%s-%012llx", rt->type + 4, (unsigned long long)(rnd() >> 16));
	else
		f->resource_id = xasprintf("projects/prod-%u/zones/europe-west1-b/instances/%s-%u",
		    pick(20), nm, pick(5000));
	if (f->kind != FK_UNMANAGED) {
		r = pick(3);
		idx = r == 0 ? xstrdup("") : r == 1 ? xasprintf("[%u]", pick(64)) :
		    xasprintf("[\"%s-%u\"]", regions[pick(N(regions))], pick(100));
		f->address = xasprintf("%s%s.%s%s", mod, rt->type, nm, idx);
		free(idx);
		if (*mod != '\0')
			f->module = xstrndup(mod, strlen(mod) - 1);
		f->state_source = xstrdup(rt->prov == PROV_AWS ? "s3://tfstate-prod/net/terraform.tfstate" :
		    "gs://tfstate-prod/gcp/default.tfstate");
	}
	r = pick(100);
	nch = f->kind == FK_DELETED ? 0 : r < 60 ? 1 : r < 90 ? 2 + pick(2) : 4 + pick(5);
	for (i = 0; i < nch; i++)
		add_change(f, i);
	f->actor.name = xasprintf("%s@corp.example", who);
	if (rt->prov == PROV_AWS) {
		f->actor.principal = xasprintf("arn:aws:sts::123456789012:assumed-role/Admin/%s", who);
		f->actor.type = xstrdup("AssumedRole");
		f->actor.role = xstrdup("Admin");
		f->actor.session = xstrdup(who);
		f->account = xstrdup("123456789012");
	} else {
		f->actor.principal = xasprintf("%s@corp.example", who);
		f->actor.type = xstrdup("User");
		f->account = xasprintf("prod-%u", pick(20));
	}
	f->actor.via = (enum tf_via)(1 + pick(3));
	f->source_ip = xasprintf("203.0.113.%u", pick(255));
	f->user_agent = xstrdup(uas[pick(N(uas))]);
	f->event_id = xasprintf("%08llx-%04x-4%03x-%04x-%012llx", (unsigned long long)serial,
	    pick(65536), pick(4096), pick(65536), (unsigned long long)(rnd() >> 16));
	f->event_name = xstrdup(f->kind == FK_DELETED ? rt->ev_del : f->kind == FK_UNMANAGED ?
	    rt->ev_new : rt->ev_mod);
	f->event_source = xstrdup(rt->src);
	f->region = xstrdup(regions[pick(N(regions))]);
	f->event_time_ms = t;
	f->rules = xcalloc(1, sizeof *f->rules);
	f->rules[0].id = xasprintf("TFD-%03u", pick(40));
	f->rules[0].name = xstrdup("Change made outside Terraform");
	f->rules[0].severity = f->severity;
	f->nrules = 1;
	r = pick(100);
	if (r < 15) {
		f->status = r < 10 ? ST_ACKNOWLEDGED : ST_SUPPRESSED;
		f->triage = xcalloc(1, sizeof *f->triage);
		f->triage->by = xstrdup(people[pick(N(people))]);
		f->triage->note = r < 5 ? xstrdup("known: migration ticket OPS-1234") : NULL;
		f->triage->at_ms = t + 60000;
		f->triage->until_ms = f->status == ST_SUPPRESSED ? t + 86400000 : 0;
	}
	finding_summarize(f);
	finding_set_id(f);
	return f;
}

/* n findings in arrival order: times mostly rising, a fifth sharing the previous one's time
 * (one event, several resources), some late. */
static int64_t gen_time = T_BASE;

static struct finding *
next_finding(uint64_t serial, int64_t step)
{
	unsigned r = pick(100);

	if (r >= 20)
		gen_time += 1 + (int64_t)(rnd() % (uint64_t)(2 * step));
	if (r < 5)      /* late arrival (a delayed log file) */
		return gen_finding(serial, gen_time - (int64_t)(rnd() % 3600000));
	return gen_finding(serial, gen_time);
}

/* ---- measuring ---- */

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct stat_ms {
	double min, med, p95, max;
};

static struct stat_ms
stats(double *v, size_t n)
{
	struct stat_ms s;
	size_t k = (n * 95 + 99) / 100;

	qsort(v, n, sizeof *v, dcmp);
	s.min = v[0];
	s.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	s.p95 = v[k > 0 ? k - 1 : 0];
	s.max = v[n - 1];
	return s;
}

static void
report(const char *key, const char *what, double *v, size_t n)
{
	struct stat_ms s = stats(v, n);

	printf("# %-46s %9.3f %9.3f %9.3f %5zu\n", what, s.med, s.p95, s.max, n);
	printf("ui_%s_ms_median=%.3f\nui_%s_ms_p95=%.3f\nui_%s_ms_min=%.3f\n", key, s.med, key,
	    s.p95, key, s.min);
}

/* The same in CPU time (key_cpu_ms_...). */
static void
report_cpu(const char *key, double *c, size_t n)
{
	struct stat_ms s = stats(c, n);

	printf("# %-46s %9.3f %9.3f %9.3f %5zu\n", "    (CPU time)", s.med, s.p95, s.max, n);
	printf("ui_%s_cpu_ms_median=%.3f\nui_%s_cpu_ms_p95=%.3f\nui_%s_cpu_ms_min=%.3f\n", key,
	    s.med, key, s.p95, key, s.min);
}

static long
rss_bytes(void)
{
	long size = 0, res = 0;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (fp == NULL)
		return 0;
	if (fscanf(fp, "%ld %ld", &size, &res) != 2)
		res = 0;
	fclose(fp);
	return res * sysconf(_SC_PAGESIZE);
}

static size_t
heap_bytes(void)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#else
	return 0;
#endif
}

/* The findings view rebuilt as the dashboard does it (sort, filter, selection by id). */
static void
rebuild(struct ui *u)
{
	view_findings.rebuild(u, &u->vs[V_FINDINGS]);
	u->vs[V_FINDINGS].dirty = 0;
}

/* Sort the findings list by a column, as o < > and :sort do. */
static void
sort_by(struct ui *u, const char *col)
{
	ui_list_sort_by(u, &u->vs[V_FINDINGS], col, -1, NULL);
}

/* ---- the screen ---- */

static int pty_master = -1;
static unsigned long long pty_bytes;

/* Read and discard what curses writes, so the terminal never blocks it. */
static void *
drain_pty(void *arg)
{
	char buf[1 << 16];
	ssize_t k;

	(void)arg;
	for (;;) {
		k = read(pty_master, buf, sizeof buf);
		if (k > 0) {
			__atomic_add_fetch(&pty_bytes, (unsigned long long)k, __ATOMIC_RELAXED);
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		break;          /* EIO once the slave side is closed */
	}
	return NULL;
}

/* Bytes written to the terminal since `since` (a previous return), per frame; waits for the
 * reader to catch up first. */
static double
frame_bytes(double since, size_t frames)
{
	unsigned long long a, b = __atomic_load_n(&pty_bytes, __ATOMIC_RELAXED);

	do {
		a = b;
		usleep(20000);
		b = __atomic_load_n(&pty_bytes, __ATOMIC_RELAXED);
	} while (a != b);
	return frames == 0 ? (double)b : ((double)b - since) / (double)frames;
}

/* One frame, the dashboard's own: top line, timeline, list, detail, status, key bar. A key
 * that moves the selection draws without a rebuild; arrivals mark the view (arrived()). */
static void
frame(struct ui *u)
{
	ui_draw(u);
}

static void
arrived(struct ui *u)
{
	u->vs[V_FINDINGS].dirty = 1;
}

int
main(int argc, char **argv)
{
	static struct ui u;
	struct model *m = &u.model;
	static const char *const words[] = { "alice", "bob", "carol", "dave", "erin", "frank",
		"grace", "heidi", "ivan", "judy" };
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000, i, reps, k;
	struct winsize ws = { SCREEN_H, SCREEN_W, 0, 0 };
	long rss0, rss1, rss2;
	size_t heap0, heap1, heap2;
	double *v, *c, t0, c0, gen_s, step, b0, load_ms = 0, load_cpu = 0, t1;
	struct finding **live;
	uint64_t serial = 0;
	int slave;
	pthread_t drain_th;
	FILE *out, *in;
	SCREEN *scr;
	struct theme th;
	char **terrs = NULL;
	size_t nterrs = 0;

	if (n < 1000) {
		fprintf(stderr, "usage: bench_ui [NFINDINGS >= 1000]\n");
		return 2;
	}
	v = xcalloc(1000, sizeof *v);
	c = xcalloc(1000, sizeof *c);
	/* The estate's findings arrive over 30 days. */
	step = (double)T_SPAN / (double)n;

	/* The dashboard's state with no inputs: its views, its model, its filter hook. */
	u.title = "bench";
	u.user = "bench";
	evlog_init(&u.events, 1000);
	ui_views_init(&u);
	ui_set_glyphs(1);

	/* (e) memory: the findings and the model's rows (and search text), from empty. */
	rss0 = rss_bytes();
	heap0 = heap_bytes();
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		struct finding *f = next_finding(serial++, (int64_t)step);

		/* The load: what the model does with each finding (made compact), not the
		 * making of it. */
		t1 = now_ms();
		c0 = cpu_ms();
		model_add(m, f);
		load_cpu += cpu_ms() - c0;
		load_ms += now_ms() - t1;
	}
	gen_s = (now_ms() - t0) / 1e3;
	rss1 = rss_bytes();
	heap1 = heap_bytes();
	t1 = now_ms();
	c0 = cpu_ms();
	model_rebuild(m);
	load_cpu += cpu_ms() - c0;
	load_ms += now_ms() - t1;
	rss2 = rss_bytes();
	heap2 = heap_bytes();

	printf("# bench_ui: %zu findings (generated and added in %.2f s); times in ms\n", n, gen_s);
	printf("# load: model_add of each + the first rebuild: %.2f s (%.2f s CPU)\n",
	    load_ms / 1e3, load_cpu / 1e3);
	printf("ui_load_seconds=%.3f\nui_load_cpu_seconds=%.3f\n", load_ms / 1e3, load_cpu / 1e3);
	if (getenv("BENCH_UI_PROFILE_FRAME") != NULL)
		goto screen;    /* a profiler wants the frames alone */
	printf("# %-46s %9s %9s %9s %5s\n", "", "median", "p95", "max", "runs");

	/* (a) full rebuild, sort by time: switching the sort key forces a full sort. */
	reps = 30;
	for (i = 0; i < reps; i++) {
		sort_by(&u, "sev");
		rebuild(&u);
		sort_by(&u, "time");
		t0 = now_ms();
		rebuild(&u);
		v[i] = now_ms() - t0;
	}
	report("rebuild_sort_time", "(a) rebuild, sort by time (key switched)", v, reps);
	/* (b) by severity. */
	for (i = 0; i < reps; i++) {
		sort_by(&u, "time");
		rebuild(&u);
		sort_by(&u, "sev");
		t0 = now_ms();
		rebuild(&u);
		v[i] = now_ms() - t0;
	}
	report("rebuild_sort_severity", "(b) rebuild, sort by severity (key switched)", v, reps);
	/* (b2) by a column without a fast order: a comparator sort. */
	for (i = 0; i < 5; i++) {
		sort_by(&u, "time");
		rebuild(&u);
		sort_by(&u, "resource");
		t0 = now_ms();
		rebuild(&u);
		v[i] = now_ms() - t0;
	}
	report("rebuild_sort_resource", "(b2) rebuild, sort by resource (comparator)", v, 5);
	sort_by(&u, "time");
	/* (a0) the cold case: every finding sorted again (start-up, model_invalidate). */
	for (i = 0; i < reps; i++) {
		model_invalidate(m);
		t0 = now_ms();
		rebuild(&u);
		v[i] = now_ms() - t0;
	}
	report("rebuild_cold", "(a0) rebuild from scratch (full sort)", v, reps);
	/* (a2) a rebuild with nothing new: what a triage decision or S costs. */
	rebuild(&u);
	for (i = 0; i < reps; i++) {
		m->all.v[pick((unsigned)m->all.n)]->status = ST_ACKNOWLEDGED;
		t0 = now_ms();
		model_restatus(m);
		rebuild(&u);
		v[i] = now_ms() - t0;
	}
	report("rebuild_restatus", "(a2) rebuild after a status change", v, reps);

	/* (f) a new `/` query, as typed: a free word over every text field (a different word
	 * each time, so no answer is cached), then field terms. */
	for (i = 0; i < reps; i++) {
		t0 = now_ms();
		c0 = cpu_ms();
		ui_set_filter(&u, V_FINDINGS, words[i % N(words)], 1);
		rebuild(&u);
		c[i] = cpu_ms() - c0;
		v[i] = now_ms() - t0;
	}
	report("rebuild_filter_text", "(f) new free-text `/` query + rebuild", v, reps);
	report_cpu("rebuild_filter_text", c, reps);
	if (getenv("BENCH_UI_PROFILE_FILTER") != NULL) {
		/* For a profiler: nothing but new free-text queries (or field ones). */
		int fields = strcmp(getenv("BENCH_UI_PROFILE_FILTER"), "fields") == 0;

		for (i = 0; i < 300; i++) {
			ui_set_filter(&u, V_FINDINGS, fields ? (i % 2 ?
			    "sev>=high kind:modified,deleted -via:terraform" :
			    "sev>=medium kind:modified -via:cli") : words[i % N(words)], 1);
			rebuild(&u);
		}
		return 0;
	}
	printf("# %-46s %9zu rows\n", "    matching", m->nrows);
	for (i = 0; i < reps; i++) {
		t0 = now_ms();
		rebuild(&u);    /* the live case: answers are kept per finding */
		v[i] = now_ms() - t0;
	}
	report("rebuild_filter_text_live", "(f1) rebuild with it set", v, reps);
	for (i = 0; i < reps; i++) {
		t0 = now_ms();
		c0 = cpu_ms();
		ui_set_filter(&u, V_FINDINGS, i % 2 ? "sev>=high kind:modified,deleted -via:terraform" :
		    "sev>=medium kind:modified -via:cli", 1);
		rebuild(&u);
		c[i] = cpu_ms() - c0;
		v[i] = now_ms() - t0;
	}
	report("rebuild_filter_fields", "(f2) new `/sev>=high kind:modified,deleted`", v, reps);
	report_cpu("rebuild_filter_fields", c, reps);
	printf("# %-46s %9zu rows\n", "    matching", m->nrows);
	/* (f3) a field of text (the actor: interned values) and a region, as typed. */
	for (i = 0; i < reps; i++) {
		char *q = xasprintf("actor:%s region:%s", words[i % N(words)], i % 2 ? "eu-" : "us-");

		t0 = now_ms();
		c0 = cpu_ms();
		ui_set_filter(&u, V_FINDINGS, q, 1);
		rebuild(&u);
		c[i] = cpu_ms() - c0;
		v[i] = now_ms() - t0;
		free(q);
	}
	report("rebuild_filter_actor", "(f3) new `/actor:NAME region:R`", v, reps);
	report_cpu("rebuild_filter_actor", c, reps);
	printf("# %-46s %9zu rows\n", "    matching", m->nrows);
	ui_set_filter(&u, V_FINDINGS, "", 1);
	rebuild(&u);

	/* (c) the live case: 100 new findings arrive (mostly newest, a few late), the user on
	 * a row below the top. The batches are made up front so only arrival and rebuild are
	 * timed. */
	reps = 50;
	live = xcalloc(reps * BATCH, sizeof *live);
	for (i = 0; i < reps * BATCH; i++)
		live[i] = next_finding(serial++, (int64_t)step);
	ui_list_select(&u, &u.vs[V_FINDINGS], 5);
	for (i = 0; i < reps; i++) {
		char *sel = xstrdup(u.vs[V_FINDINGS].list.sel_id);

		t0 = now_ms();
		for (k = 0; k < BATCH; k++)
			model_add(m, live[i * BATCH + k]);
		rebuild(&u);
		v[i] = now_ms() - t0;
		if (strcmp(ui_selected_finding(&u)->id, sel) != 0) {
			fprintf(stderr, "bench_ui: the selection moved off its finding\n");
			return 1;
		}
		free(sel);
	}
	report("rebuild_live_time", "(c) 100 arrivals + rebuild, sort by time", v, reps);
	sort_by(&u, "sev");
	rebuild(&u);
	for (i = 0; i < reps * BATCH; i++)
		live[i] = next_finding(serial++, (int64_t)step);
	for (i = 0; i < reps; i++) {
		t0 = now_ms();
		for (k = 0; k < BATCH; k++)
			model_add(m, live[i * BATCH + k]);
		rebuild(&u);
		v[i] = now_ms() - t0;
	}
	report("rebuild_live_severity", "(c2) 100 arrivals + rebuild, sort by severity", v, reps);
	sort_by(&u, "resource");
	rebuild(&u);
	for (i = 0; i < reps * BATCH; i++)
		live[i] = next_finding(serial++, (int64_t)step);
	for (i = 0; i < reps; i++) {
		t0 = now_ms();
		for (k = 0; k < BATCH; k++)
			model_add(m, live[i * BATCH + k]);
		rebuild(&u);
		v[i] = now_ms() - t0;
	}
	report("rebuild_live_resource", "(c3) 100 arrivals + rebuild, sort by resource", v, reps);
	sort_by(&u, "time");
	rebuild(&u);
	free(live);

screen:
	/* (d) frames into a real curses screen on a pseudo-terminal. */
	if (openpty(&pty_master, &slave, NULL, NULL, &ws) != 0) {
		fprintf(stderr, "bench_ui: openpty: %s\n", strerror(errno));
		return 1;
	}
	if (pthread_create(&drain_th, NULL, drain_pty, NULL) != 0)
		return 1;
	setenv("TERM", "xterm-256color", 1);
	unsetenv("LINES");
	unsetenv("COLUMNS");
	unsetenv("NO_COLOR");
	if (setlocale(LC_ALL, "C.UTF-8") == NULL)
		setlocale(LC_ALL, "");
	u.utf8 = 1;
	out = fdopen(slave, "w");
	in = fdopen(dup(slave), "r");
	scr = newterm("xterm-256color", out, in);
	if (scr == NULL) {
		fprintf(stderr, "bench_ui: newterm failed\n");
		return 1;
	}
	set_term(scr);
	cbreak();
	noecho();
	curs_set(0);
	if (theme_load(NULL, &th, &terrs, &nterrs) != 0) {
		fprintf(stderr, "bench_ui: the default theme does not load: %s\n",
		    nterrs > 0 ? terrs[0] : "?");
		return 1;
	}
	u.theme = theme_init(&th);
	if (LINES != SCREEN_H || COLS != SCREEN_W) {
		fprintf(stderr, "bench_ui: screen is %dx%d, not %dx%d\n", COLS, LINES, SCREEN_W,
		    SCREEN_H);
		return 1;
	}
	ui_list_select(&u, &u.vs[V_FINDINGS], 0);
	frame(&u);
	if (getenv("BENCH_UI_PROFILE_FRAME") != NULL) {
		/* For a profiler: nothing but frames, then arrivals and frames. */
		for (i = 0; i < 200; i++) {
			ui_list_key(&u, &u.vs[V_FINDINGS], ACT_DOWN);
			frame(&u);
		}
		for (i = 0; i < 50; i++) {
			for (k = 0; k < BATCH; k++)
				model_add(m, next_finding(serial++, (int64_t)step));
			arrived(&u);
			frame(&u);
		}
		endwin();
		return 0;
	}
	/* (d) a key press: the selection moves a row (list highlight, scrolling, detail). */
	reps = 300;
	b0 = frame_bytes(0, 0);
	for (i = 0; i < reps; i++) {
		ui_list_key(&u, &u.vs[V_FINDINGS], ACT_DOWN);
		t0 = now_ms();
		c0 = cpu_ms();
		frame(&u);
		c[i] = cpu_ms() - c0;
		v[i] = now_ms() - t0;
	}
	report("frame_draw", "(d) frame: list + detail, selection moved", v, reps);
	report_cpu("frame_draw", c, reps);
	printf("# %-46s %9.0f bytes\n", "    terminal output per frame", frame_bytes(b0, reps));
	/* (d2) the worst frame: everything repainted (resize, ^L). */
	b0 = frame_bytes(0, 0);
	for (i = 0; i < reps; i++) {
		ui_list_key(&u, &u.vs[V_FINDINGS], ACT_DOWN);
		clearok(curscr, TRUE);
		t0 = now_ms();
		frame(&u);
		v[i] = now_ms() - t0;
	}
	report("frame_full_repaint", "(d2) frame: full repaint", v, reps);
	printf("# %-46s %9.0f bytes\n", "    terminal output per frame", frame_bytes(b0, reps));
	/* The target: rebuild + draw of one frame, live, 100 arrivals at a time. */
	reps = 50;
	for (i = 0; i < reps; i++) {
		struct finding *batch[BATCH];

		for (k = 0; k < BATCH; k++)
			batch[k] = next_finding(serial++, (int64_t)step);
		t0 = now_ms();
		c0 = cpu_ms();
		for (k = 0; k < BATCH; k++)
			model_add(m, batch[k]);
		arrived(&u);
		frame(&u);
		c[i] = cpu_ms() - c0;
		v[i] = now_ms() - t0;
	}
	report("live_rebuild_and_frame", "(c+d) 100 arrivals + rebuild + frame", v, reps);
	report_cpu("live_rebuild_and_frame", c, reps);
	/* And after the sort key changes (< >): a full sort and a frame. */
	for (i = 0; i < reps; i++) {
		sort_by(&u, i % 2 ? "time" : "sev");
		t0 = now_ms();
		arrived(&u);
		frame(&u);
		v[i] = now_ms() - t0;
	}
	report("sort_switch_and_frame", "(a/b+d) sort key switched + rebuild + frame", v, reps);
	endwin();
	delscreen(scr);
	theme_free(&th);
	fclose(out);
	fclose(in);
	pthread_join(drain_th, NULL);
	close(pty_master);

	printf("# (e) memory for %zu findings: RSS +%.1f MB (%.0f bytes/finding), heap +%.1f MB "
	    "(%.0f bytes/finding); model rows/index +%.1f MB\n", n, (rss1 - rss0) / 1048576.0,
	    (double)(rss1 - rss0) / (double)n, (double)(heap1 - heap0) / 1048576.0,
	    (double)(heap1 - heap0) / (double)n, (double)(heap2 - heap1) / 1048576.0);
	printf("# terminal output: %.1f MB over all frames\n", pty_bytes / 1048576.0);
	printf("ui_findings=%zu\nui_rss_growth_mb=%.1f\nui_rss_bytes_per_finding=%.0f\n"
	    "ui_heap_bytes_per_finding=%.0f\nui_model_index_mb=%.1f\n", n,
	    (rss1 - rss0) / 1048576.0, (double)(rss1 - rss0) / (double)n,
	    (double)(heap1 - heap0) / (double)n, (double)(heap2 - heap1) / 1048576.0);
	(void)rss2;
	ui_views_free(&u);
	evlog_free(&u.events);
	model_free(m);
	free(v);
	free(c);
	return 0;
}
