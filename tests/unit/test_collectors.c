/* Pure parts of the live collectors (the LookupEvents request body, AWS JSON error codes, S3
 * notification key decoding, gunzip, the shared rate limiter), and the files collector's
 * replay mode through a fake sink (on this thread) and through the engine (its threads). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "collectors/cloudtrail.h"
#include "collectors/files.h"
#include "collectors/pubsub.h"
#include "collectors/sqs.h"
#include "eventmap.h"
#include "store.h"
#include "state_index.h"
#include "tfstate.h"
#include "conf.h"
#include "util.h"
#include "tap.h"

static void
test_pure(void)
{
	struct ct_limiter l;
	char *s, *code, *msg, *out, *err = NULL;
	size_t n;
	unsigned char gz[256];
	uLongf gzlen;
	z_stream zs;
	const char *plain = "{\"Records\":[]}";

	s = ct_request_body(1716800000, 1716803600, 50, NULL);
	is_str(s, "{\"LookupAttributes\":[{\"AttributeKey\":\"ReadOnly\",\"AttributeValue\":\"false\"}],"
	    "\"StartTime\":1716800000,\"EndTime\":1716803600,\"MaxResults\":50}", "request body");
	free(s);
	s = ct_request_body(1, 2, 10, "tok");
	ok(strstr(s, "\"NextToken\":\"tok\"") != NULL, "NextToken sent");
	free(s);

	ct_parse_error("{\"__type\":\"com.amazon#ThrottlingException:x\",\"Message\":\"Rate exceeded\"}",
	    NULL, &code, &msg);
	is_str(code, "ThrottlingException", "error code stripped of namespace and suffix");
	is_str(msg, "Rate exceeded", "Message (capital M)");
	free(code);
	free(msg);
	ct_parse_error("<html>", "AccessDeniedException", &code, &msg);
	is_str(code, "AccessDeniedException", "code from x-amzn-ErrorType when the body is not JSON");
	ok(msg == NULL, "no message");
	free(code);

	s = sqs_url_decode("AWSLogs/1/a+b%2Bc%3A.json.gz");
	is_str(s, "AWSLogs/1/a b+c:.json.gz", "S3 notification key decoded");
	free(s);

	memset(&zs, 0, sizeof zs);
	deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	zs.next_in = (Bytef *)(uintptr_t)plain;
	zs.avail_in = (uInt)strlen(plain);
	zs.next_out = gz;
	zs.avail_out = sizeof gz;
	deflate(&zs, Z_FINISH);
	gzlen = sizeof gz - zs.avail_out;
	deflateEnd(&zs);
	ok(sqs_gunzip((char *)gz, gzlen, &out, &n, &err) == 0 && n == strlen(plain) &&
	    memcmp(out, plain, n) == 0, "gunzip");
	free(out);
	ok(sqs_gunzip((char *)gz, gzlen / 2, &out, &n, &err) == -1 && strstr(err, "truncated"),
	    "truncated gzip is an error: %s", err ? err : "");
	free(err);

	ct_limiter_init(&l, 2);
	ok(ct_limiter_reserve(&l) == 0, "first request goes now");
	n = (size_t)ct_limiter_reserve(&l);
	ok(n >= 500 && n <= 510, "second waits ~500 ms (%zu)", n);
	n = (size_t)ct_limiter_reserve(&l);
	ok(n >= 1000 && n <= 1015, "third ~1000 ms: shared slots, no burst (%zu)", n);
	ct_limiter_destroy(&l);
}

/* ---- the files collector's replay mode ---- */

static char tmpdir[] = "/tmp/tfdrift-collectors-XXXXXX";

/* A write (or read-only) CloudTrail record on one line. */
static void
rec(FILE *fp, const char *id, const char *time, int read_only)
{
	fprintf(fp, "{\"eventVersion\":\"1.08\",\"eventID\":\"%s\",\"eventTime\":\"%s\","
	    "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"%s\",\"awsRegion\":\"eu-west-1\","
	    "\"readOnly\":%s,\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"alice\","
	    "\"arn\":\"arn:aws:iam::1:user/alice\",\"accountId\":\"1\"},\"requestParameters\":{}}\n",
	    id, time, read_only ? "DescribeThings" : "ModifyThing", read_only ? "true" : "false");
}

static char *
tmpfile_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

/* A sink on the collector's own thread: keeps what it is handed, never sleeps. */
struct fake {
	struct event *ev;
	size_t n, cap;
	size_t flush_at[8];             /* events handed over before each flush */
	int nflush;
	int64_t sleeps[32];             /* the sleeps asked for, in order */
	int nsleeps;
	struct files_replay *fr;        /* to read the statistics while it runs */
	double progress_seen;           /* of input 0, when the first event came */
	int stop_on_sleep;              /* a sleep asks the collector to stop */
};

static int
fake_event(void *ctx, struct event *ev)
{
	struct fake *f = ctx;

	if (f->n == 0 && f->fr != NULL) {
		struct files_source *src;
		size_t n;

		files_replay_sources(f->fr, &src, &n);
		f->progress_seen = src[0].progress;
		files_replay_sources_free(src, n);
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->ev = xreallocarray(f->ev, f->cap, sizeof *f->ev);
	}
	f->ev[f->n++] = *ev;
	free(ev);
	return 0;
}

static char *
fake_cursor_get(void *ctx, const char *name)
{
	return NULL;
}

static int
fake_cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	return 0;
}

static void
fake_status(void *ctx, const struct source_status *st)
{
}

static int
fake_sleep(void *ctx, int64_t ms)
{
	struct fake *f = ctx;

	if (f->nsleeps < 32)
		f->sleeps[f->nsleeps] = ms;
	f->nsleeps++;
	return f->stop_on_sleep;
}

static int
fake_flush(void *ctx)
{
	struct fake *f = ctx;

	if (f->nflush < 8)
		f->flush_at[f->nflush] = f->n;
	f->nflush++;
	return 0;
}

/* Run a replay over paths on this thread through a fake sink. */
static struct collector *
run_fake(char **paths, size_t n, const struct files_replay_opts *o, struct fake *f,
    struct files_replay **fr)
{
	struct source_sink k = { fake_event, fake_cursor_get, fake_cursor_set, fake_status,
	    fake_sleep, fake_flush, NULL, f };
	struct collector *c;
	char *err = NULL;

	memset(f, 0, sizeof *f);
	if ((c = files_replay_new("replay", paths, n, o, fr, &err)) == NULL) {
		diag("%s", err);
		free(err);
		return NULL;
	}
	f->fr = *fr;
	c->ops->run(c->impl, &k);
	return c;
}

static void
fake_free(struct fake *f, struct collector *c)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		event_free(&f->ev[i]);
	free(f->ev);
	if (c != NULL) {
		c->ops->free(c->impl);
		free(c->name);
		free(c);
	}
}

static int64_t
t(const char *s)
{
	int64_t ms = 0;

	tf_parse_time(s, &ms);
	return ms;
}

/* Streaming: file order, the window and duplicates counted per file and not handed over. */
static void
test_replay_stream(void)
{
	char *paths[2] = { tmpfile_path("a.jsonl"), tmpfile_path("b.jsonl") };
	struct files_replay_opts o = { .passes = 1 };
	struct files_replay *fr;
	struct files_progress p;
	struct files_source *src;
	struct collector *c;
	struct fake f;
	size_t n;
	FILE *fp;

	fp = fopen(paths[0], "w");
	rec(fp, "e1", "2024-05-27T10:00:00Z", 0);
	rec(fp, "e3", "2024-05-27T10:20:00Z", 0);
	rec(fp, "r1", "2024-05-27T10:21:00Z", 1);
	rec(fp, "e3", "2024-05-27T10:20:00Z", 0);          /* repeated in the same file */
	fclose(fp);
	fp = fopen(paths[1], "w");
	rec(fp, "e2", "2024-05-27T10:10:00Z", 0);
	rec(fp, "e1", "2024-05-27T10:00:00Z", 0);          /* already in a.jsonl */
	rec(fp, "e4", "2024-05-27T09:00:00Z", 0);          /* before --since */
	rec(fp, "e5", "2024-05-27T10:30:00Z", 0);          /* at --until: outside */
	fclose(fp);
	o.since_ms = t("2024-05-27T09:30:00Z");
	o.until_ms = t("2024-05-27T10:30:00Z");
	c = run_fake(paths, 2, &o, &f, &fr);
	ok(c != NULL, "a replay over two files");
	if (c == NULL)
		return;
	is_int(f.n, 3, "three events handed over");
	ok(f.n == 3 && strcmp(f.ev[0].id, "e1") == 0 && strcmp(f.ev[1].id, "e3") == 0 &&
	    strcmp(f.ev[2].id, "e2") == 0, "streaming keeps the files' order");
	ok(f.n == 3 && f.ev[0].time_ms == t("2024-05-27T10:00:00Z"), "and the recorded times");
	is_int(f.nflush, 1, "one flush marker, at the end");
	is_int(f.flush_at[0], 3, "after every event");
	files_replay_progress(fr, &p);
	ok(p.phase == FILES_DONE && p.flushes == 1 && p.done == 3 && p.total == 3,
	    "progress: done, 3 of 3, one flush");
	ok(p.error == NULL, "no error");
	files_replay_sources(fr, &src, &n);
	is_int(n, 2, "two sources");
	is_int(src[0].duplicates, 1, "a.jsonl: its own repeat is a duplicate");
	is_int(src[0].read_only, 1, "a.jsonl: one read-only record skipped");
	is_int(src[0].events, 3, "a.jsonl: three events read");
	is_int(src[1].duplicates, 1, "b.jsonl: an id a.jsonl had is a duplicate");
	is_int(src[1].out_of_window, 2, "b.jsonl: two outside --since/--until");
	ok(src[1].first_ms == t("2024-05-27T09:00:00Z") && src[1].last_ms == t("2024-05-27T10:30:00Z"),
	    "b.jsonl: the time range of what it holds");
	ok(src[0].state == FILE_DONE && src[1].state == FILE_DONE && src[1].progress == 1,
	    "both done");
	is_str(src[0].format, "json-lines", "the format is named");
	/* Three events handed over within a second or two of each other. */
	ok(src[0].rate >= 1 && src[0].rate <= 2 && src[1].rate >= 0.5 && src[1].rate <= 1,
	    "rate: events handed over per second, last minute (%.2f, %.2f)", src[0].rate, src[1].rate);
	files_replay_sources_free(src, n);
	fake_free(&f, c);
	unlink(paths[0]);
	unlink(paths[1]);
	free(paths[0]);
	free(paths[1]);
}

/* Paced: sorted by time, proportional gaps capped at 1/20 of the pass, fresh ids per pass,
 * a flush after each, the pause between passes; shift to now under TFDRIFT_NOW. */
static void
test_replay_paced(void)
{
	char *paths[2] = { tmpfile_path("c.jsonl"), tmpfile_path("d.jsonl") };
	struct files_replay_opts o = { .pace_ms = 60000, .passes = 2 };
	static const char *order[] = { "p1", "p2", "p3", "p4", "p5" };
	/* Gaps of 10 s, 10 s, 40 s and 19 min over a 20-minute span: 500, 500, 2000 ms, and
	 * 57 s capped at 3 s. */
	static const int64_t at[] = { 0, 500, 1000, 3000, 6000 };
	int64_t now = t("2024-05-27T12:00:00Z"), span = t("2024-05-27T10:20:00Z") - t("2024-05-27T10:00:00Z");
	struct files_replay *fr;
	struct files_progress p;
	struct collector *c;
	struct fake f;
	size_t i;
	int good;
	FILE *fp;

	fp = fopen(paths[0], "w");
	rec(fp, "p5", "2024-05-27T10:20:00Z", 0);
	rec(fp, "p2", "2024-05-27T10:00:10Z", 0);
	rec(fp, "p3", "2024-05-27T10:00:20Z", 0);
	fclose(fp);
	fp = fopen(paths[1], "w");
	rec(fp, "p4", "2024-05-27T10:01:00Z", 0);
	rec(fp, "p1", "2024-05-27T10:00:00Z", 0);
	fclose(fp);

	c = run_fake(paths, 2, &o, &f, &fr);
	ok(c != NULL && f.n == 10, "two passes of five events (%zu)", f.n);
	if (c == NULL || f.n != 10)
		goto out;
	for (good = 1, i = 0; i < 5; i++)
		good &= strcmp(f.ev[i].id, order[i]) == 0 && f.ev[i].time_ms == t("2024-05-27T10:00:00Z") +
		    (i == 0 ? 0 : i == 1 ? 10000 : i == 2 ? 20000 : i == 3 ? 60000 : 1200000);
	ok(good, "pass 1: every file's events by time, with their recorded ids and times");
	for (good = 1, i = 0; i < 5; i++) {
		char *want = xasprintf("%s~1", order[i]);

		good &= strcmp(f.ev[5 + i].id, want) == 0 &&
		    f.ev[5 + i].time_ms == f.ev[i].time_ms + span + 60000;
		free(want);
	}
	ok(good, "pass 2: fresh ids (id~1), times a span and a minute later");
	ok(f.nflush == 2 && f.flush_at[0] == 5 && f.flush_at[1] == 10, "a flush marker after each pass");
	/* The fake sleeps return at once, so each wait is for the event's place in the pass. */
	for (good = f.nsleeps == 11, i = 0; good && i < 5; i++)
		good &= f.sleeps[i] <= at[i] && f.sleeps[i] >= at[i] - 50 &&
		    f.sleeps[6 + i] <= at[i] && f.sleeps[6 + i] >= at[i] - 50;
	ok(good, "paced: each event waits for its place in the pass (%lld %lld %lld %lld %lld)",
	    (long long)f.sleeps[0], (long long)f.sleeps[1], (long long)f.sleeps[2],
	    (long long)f.sleeps[3], (long long)f.sleeps[4]);
	is_int(f.sleeps[5], 3000, "a 3 s pause between passes");
	files_replay_progress(fr, &p);
	ok(p.phase == FILES_DONE && p.pass == 1 && p.done == 5 && p.total == 5 && p.flushes == 2,
	    "progress: pass 2 of 2 done, 5 of 5");
	fake_free(&f, c);

	/* Shift to now: the pass's start (the fake clock) plus each event's place in it. */
	setenv("TFDRIFT_NOW", "2024-05-27T12:00:00Z", 1);
	o.shift_to_now = 1;
	c = run_fake(paths, 2, &o, &f, &fr);
	ok(c != NULL && f.n == 10, "shifted: two passes");
	if (c == NULL || f.n != 10)
		goto out;
	for (good = 1, i = 0; i < 5; i++)
		good &= f.ev[i].time_ms == now + at[i];
	ok(good, "shifted pass 1: TFDRIFT_NOW + 0, 0.5, 1, 3, 6 s (%lld %lld %lld %lld %lld)",
	    (long long)(f.ev[0].time_ms - now), (long long)(f.ev[1].time_ms - now),
	    (long long)(f.ev[2].time_ms - now), (long long)(f.ev[3].time_ms - now),
	    (long long)(f.ev[4].time_ms - now));
	for (good = 1, i = 0; i < 5; i++)
		good &= f.ev[5 + i].time_ms == now + at[4] + 1 + at[i];
	ok(good, "shifted pass 2: after pass 1 although the clock stands still");
	ok(strcmp(f.ev[5].id, "p1~1") == 0, "shifted pass 2: fresh ids too");
	fake_free(&f, c);

out:
	unsetenv("TFDRIFT_NOW");
	unlink(paths[0]);
	unlink(paths[1]);
	free(paths[0]);
	free(paths[1]);
}

/* The live files collector: a flush marker after each pass (the files read are complete, so
 * the operations held from them are decided as at the end of a scan of the same files). */
static void
test_files_live(void)
{
	char *path = tmpfile_path("live.jsonl"), *globs[1];
	struct collector *c;
	struct fake f;
	struct source_sink k = { fake_event, fake_cursor_get, fake_cursor_set, fake_status,
	    fake_sleep, fake_flush, NULL, &f };
	size_t i;
	FILE *fp;

	fp = fopen(path, "w");
	rec(fp, "l1", "2024-05-27T10:00:00Z", 0);
	rec(fp, "l2", "2024-05-27T10:00:01Z", 0);
	fclose(fp);
	globs[0] = path;
	c = files_collector_new("files", globs, 1, 60000);
	memset(&f, 0, sizeof f);
	f.stop_on_sleep = 1;
	c->ops->run(c->impl, &k);
	ok(f.n == 2 && f.nflush == 1 && f.flush_at[0] == 2,
	    "a pass: both events, then one flush marker (%zu events, %d flushes)", f.n, f.nflush);
	is_int((int)f.nsleeps, 1, "then the wait for the next pass");
	for (i = 0; i < f.n; i++)
		event_free(&f.ev[i]);
	free(f.ev);
	c->ops->free(c->impl);
	free(c->name);
	free(c);
	unlink(path);
	free(path);
}

/* A GCP operation's entries on lines: op-a's last entry before its first, op-b's last only. */
static void
gcp_op(FILE *fp, const char *id, const char *op, const char *edge, const char *time,
    const char *name)
{
	fprintf(fp, "{\"insertId\":\"%s\",\"timestamp\":\"%s\",\"logName\":\"projects/corp-prod/logs/"
	    "cloudaudit.googleapis.com%%2Factivity\",\"operation\":{\"id\":\"%s\",\"producer\":"
	    "\"compute.googleapis.com\",\"%s\":true},\"protoPayload\":{\"@type\":\"type.googleapis.com/"
	    "google.cloud.audit.AuditLog\",\"serviceName\":\"compute.googleapis.com\",\"methodName\":"
	    "\"v1.compute.instances.insert\",\"resourceName\":\"projects/corp-prod/zones/europe-west1-b/"
	    "instances/%s\",\"authenticationInfo\":{\"principalEmail\":\"alice@corp.example\"},"
	    "\"requestMetadata\":{\"callerIp\":\"198.51.100.7\",\"callerSuppliedUserAgent\":"
	    "\"google-cloud-sdk gcloud/470.0.0\"}},\"resource\":{\"type\":\"gce_instance\",\"labels\":"
	    "{\"project_id\":\"corp-prod\",\"zone\":\"europe-west1-b\"}}}\n", id, time, op, edge, name);
}

/* What the engine hands a consumer, in order: d(eferred), e(vent), f(event with findings),
 * F<n> (findings), | (a collector's flush reached). */
struct seen {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char log[128];
	int flushed;
	struct finding_list got;
};

static void
seen_log(struct seen *s, const char *what)
{
	if (strlen(s->log) + strlen(what) < sizeof s->log)
		strcat(s->log, what);
}

static void
on_findings(void *ctx, struct finding_list *l)
{
	struct seen *s = ctx;
	char buf[32];
	size_t i;

	pthread_mutex_lock(&s->mu);
	snprintf(buf, sizeof buf, "F%zu", l->n);
	seen_log(s, buf);
	for (i = 0; i < l->n; i++)
		finding_list_push(&s->got, l->v[i]);
	pthread_mutex_unlock(&s->mu);
	free(l->v);
}

static void
on_event(void *ctx, const struct event *ev, enum nodrift why, struct finding **fv, size_t nf)
{
	struct seen *s = ctx;

	pthread_mutex_lock(&s->mu);
	seen_log(s, why == ND_DEFERRED ? "d" : nf > 0 ? "f" : "e");
	pthread_mutex_unlock(&s->mu);
}

static void
on_flushed(void *ctx, const char *collector)
{
	struct seen *s = ctx;

	pthread_mutex_lock(&s->mu);
	seen_log(s, "|");
	s->flushed++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static struct detector *
gcp_detector(struct eventmap **map, struct conf *conf)
{
	const char *top = getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : ".";
	char *dir = xasprintf("%s/rules/events", top), *path, **errs = NULL, *err = NULL;
	const struct index_key_spec *specs;
	struct tf_state *st;
	struct state_index *ix;
	struct detector *det;
	size_t nerrs = 0, nspecs;

	if (eventmap_load_dir(dir, map, &errs, &nerrs) != 0)
		tf_fatal("event maps in %s do not load", dir);
	free(dir);
	path = xasprintf("%s/doc/examples/gcp.tfstate", top);
	if (tfstate_load_file(path, &st, &err) != 0)
		tf_fatal("%s", err);
	free(path);
	specs = eventmap_index_specs(*map, &nspecs);
	ix = state_index_build(&st, 1, specs, nspecs);
	det = detector_new(*map, ix, conf);
	state_index_unref(ix);
	return det;
}

/* The flush marker: through the queue (engine_start, and run_once's threads), the operation
 * held back is decided where the collector's input ends, before the consumer hears of the
 * flush. */
static void
test_replay_flush(void)
{
	char *path = tmpfile_path("gcp.jsonl"), *err = NULL;
	struct files_replay_opts o = { .passes = 1 };
	struct engine_consumer cons;
	struct files_replay *fr;
	struct collector *c;
	struct eventmap *map = NULL;
	struct conf conf;
	struct detector *det;
	struct engine *e;
	struct seen s;
	struct timespec ts;
	int round;
	FILE *fp;

	fp = fopen(path, "w");
	gcp_op(fp, "ga-last", "op-a", "last", "2024-05-27T10:00:05Z", "extra-a");
	gcp_op(fp, "ga-first", "op-a", "first", "2024-05-27T10:00:00Z", "extra-a");
	gcp_op(fp, "gb-last", "op-b", "last", "2024-05-27T10:01:05Z", "extra-b");
	fclose(fp);
	conf_init(&conf);
	for (round = 0; round < 2; round++) {
		memset(&s, 0, sizeof s);
		pthread_mutex_init(&s.mu, NULL);
		pthread_cond_init(&s.cv, NULL);
		det = gcp_detector(&map, &conf);
		cons.findings = on_findings;
		cons.event = on_event;
		cons.flushed = on_flushed;
		cons.ctx = &s;
		e = engine_new(det, NULL, 2, &cons);
		c = files_replay_new("replay", &path, 1, &o, &fr, &err);
		engine_add(e, c);
		if (round == 0) {
			ok(engine_start(e, &err) == 0, "the engine starts with a replay collector");
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 20;
			pthread_mutex_lock(&s.mu);
			while (s.flushed == 0)
				if (pthread_cond_timedwait(&s.cv, &s.mu, &ts) != 0)
					break;
			pthread_mutex_unlock(&s.mu);
			/* Read before engine_free: the statistics live as long as the collector. */
			{
				struct files_progress p;

				files_replay_progress(fr, &p);
				ok(p.phase == FILES_DONE && p.flushes == 1, "the collector is done, one flush");
			}
			engine_free(e);
			is_str(s.log, "dfF1dF1|", "queued: op-a decided by its first entry, op-b at the "
			    "flush marker, then the consumer hears of it");
		} else {
			is_int(engine_run_once(e, 0, NULL), 0, "run_once polls the replay collector");
			engine_free(e);
			is_str(s.log, "dfF1dF1|", "run_once: the same, through the queue too");
		}
		ok(s.got.n == 2 && strstr(s.got.v[1]->resource_id, "extra-b") != NULL &&
		    strcmp(s.got.v[1]->event_id, "gb-last") == 0, "op-b's finding comes from its last entry");
		finding_list_clear(&s.got);
		free(s.got.v);
		pthread_mutex_destroy(&s.mu);
		pthread_cond_destroy(&s.cv);
		detector_free(det);
		eventmap_free(map);
	}
	conf_free(&conf);
	unlink(path);
	free(path);
}

/* ---- the engine's checkpoints cover the operations the detector holds back ---- */

/* A collector that hands over `lines` (GCP entries, one per line), then saves a cursor and
 * says what that returned; run() then idles until stopped. */
struct heldcol {
	const char *lines;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int saved, rc;
};

static int
heldcol_once(void *impl, const struct source_sink *k)
{
	struct heldcol *h = impl;
	const char *p = h->lines, *nl;
	char *err = NULL;
	int rc;

	while (p != NULL && *p != '\0') {
		char *line;
		json_object *o;
		struct event *ev = xcalloc(1, sizeof *ev);
		const char *why = NULL;

		nl = strchr(p, '\n');
		line = xstrndup(p, nl != NULL ? (size_t)(nl - p) : strlen(p));
		o = json_tokener_parse(line);
		if (o == NULL || event_from_logentry(o, ev, &why) != 0)
			tf_fatal("bad test line %s", line);
		json_object_put(o);
		free(line);
		k->event(k->ctx, ev);
		p = nl != NULL ? nl + 1 : NULL;
	}
	rc = k->cursor_set(k->ctx, "pos", "after", &err);
	free(err);
	pthread_mutex_lock(&h->mu);
	h->saved = 1;
	h->rc = rc;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

static int
heldcol_run(void *impl, const struct source_sink *k)
{
	heldcol_once(impl, k);
	while (!k->sleep(k->ctx, 1000))
		;
	return 0;
}

static const struct collector_ops heldcol_ops = {
	.kind = "test", .run = heldcol_run, .poll_once = heldcol_once,
};

static struct collector *
heldcol_new(struct heldcol *h, const char *lines)
{
	memset(h, 0, sizeof *h);
	h->lines = lines;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	return collector_new(&heldcol_ops, "gcp test", h);
}

/* A stored cursor (a second connection, as another process would read it). */
static char *
stored(const char *db, const char *name)
{
	struct store *st;
	char *v = NULL, *err = NULL;

	if (store_open(db, STORE_NOCREATE, &st, &err) != 0)
		tf_fatal("%s", err);
	if (store_cursor_get(st, name, &v, &err) < 0)
		tf_fatal("%s", err);
	store_close(st);
	return v;
}

static void
test_engine_held(void)
{
	char *db = tmpfile_path("held.db"), *lines, *v, *err = NULL;
	struct eventmap *map = NULL;
	struct engine_consumer cons;
	struct heldcol h;
	struct conf conf;
	struct detector *det;
	struct store *st;
	struct engine *e;
	struct seen s;
	size_t len;
	FILE *fp;

	fp = open_memstream(&lines, &len);
	gcp_op(fp, "ga-first", "op-a", "first", "2024-05-27T10:00:00Z", "extra-a");
	gcp_op(fp, "gb-last", "op-b", "last", "2024-05-27T10:01:05Z", "extra-b");
	fclose(fp);
	conf_init(&conf);
	if (store_open(db, 0, &st, &err) != 0)
		tf_fatal("%s", err);

	/* A continuous run: the cursor is saved after the events before it were decided, with
	 * the entry still held; a stop keeps it held, in the store. */
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&s.mu, NULL);
	pthread_cond_init(&s.cv, NULL);
	det = gcp_detector(&map, &conf);
	cons.findings = on_findings;
	cons.event = on_event;
	cons.flushed = on_flushed;
	cons.ctx = &s;
	e = engine_new(det, st, 1, &cons);
	engine_add(e, heldcol_new(&h, lines));
	ok(engine_start(e, &err) == 0, "the engine starts with a store");
	pthread_mutex_lock(&h.mu);
	while (!h.saved)
		pthread_cond_wait(&h.cv, &h.mu);
	pthread_mutex_unlock(&h.mu);
	is_int(h.rc, 0, "cursor_set returns once the cursor is saved");
	pthread_mutex_lock(&s.mu);
	is_str(s.log, "fF1d", "by then every event before it was decided (a queue of one)");
	pthread_mutex_unlock(&s.mu);
	v = stored(db, "detector:held/gcp test");
	ok(v != NULL && strstr(v, "\"gb-last\"") != NULL && strstr(v, "ga-first") == NULL,
	    "the entry still held is saved with it: %s", v ? v : "(none)");
	free(v);
	v = stored(db, "gcp test/pos");
	is_str(v, "after", "and the cursor");
	free(v);
	engine_free(e);
	is_str(s.log, "fF1d", "a stop decides nothing the store keeps");
	finding_list_clear(&s.got);
	detector_free(det);
	eventmap_free(map);

	/* The restart (after a stop or a kill -9): held again, decided when the input ends. */
	pthread_mutex_destroy(&s.mu);
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&s.mu, NULL);
	det = gcp_detector(&map, &conf);
	cons.ctx = &s;
	e = engine_new(det, st, 16, &cons);
	engine_add(e, heldcol_new(&h, ""));
	is_int(engine_run_once(e, 0, NULL), 0, "watch --once after it");
	is_str(s.log, "F1", "the held entry is decided at the end");
	ok(s.got.n == 1 && strcmp(s.got.v[0]->event_id, "gb-last") == 0, "alone, by its last entry");
	engine_free(e);
	v = stored(db, "detector:held/gcp test");
	is_str(v, "{\"v\":1,\"held\":[]}", "and the store holds nothing any more");
	free(v);
	finding_list_clear(&s.got);
	free(s.got.v);
	detector_free(det);
	eventmap_free(map);

	/* No store: nothing can keep it, so a stop decides it. */
	pthread_mutex_destroy(&s.mu);
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&s.mu, NULL);
	det = gcp_detector(&map, &conf);
	cons.ctx = &s;
	e = engine_new(det, NULL, 16, &cons);
	engine_add(e, heldcol_new(&h, lines));
	ok(engine_start(e, &err) == 0, "the engine starts without a store");
	pthread_mutex_lock(&h.mu);
	while (!h.saved)
		pthread_cond_wait(&h.cv, &h.mu);
	pthread_mutex_unlock(&h.mu);
	engine_free(e);
	is_str(s.log, "fF1dF1", "a stop without a store decides what is held");
	finding_list_clear(&s.got);
	free(s.got.v);
	pthread_mutex_destroy(&s.mu);
	pthread_cond_destroy(&s.cv);
	detector_free(det);
	eventmap_free(map);

	store_close(st);
	conf_free(&conf);
	free(lines);
	unlink(db);
	{
		char *w = xasprintf("%s-wal", db), *m = xasprintf("%s-shm", db);

		unlink(w);
		unlink(m);
		free(w);
		free(m);
	}
	free(db);
}

/* A collector for run_once: hands over `before` events, sleeps `ms` through the sink (a
 * stop cuts it short), then hands over `after` more. */
struct napper {
	int before, after;
	int64_t ms;
	int stopped;                    /* the sleep was cut short */
};

static int
nap_once(void *impl, const struct source_sink *k)
{
	struct napper *n = impl;
	int i;

	for (i = 0; i < n->before + n->after; i++) {
		struct event *ev;

		if (i == n->before && k->sleep(k->ctx, n->ms)) {
			n->stopped = 1;
			return -1;
		}
		ev = xcalloc(1, sizeof *ev);
		ev->id = xasprintf("nap-%p-%d", (void *)n, i);
		ev->provider = PROV_AWS;
		if (k->event(k->ctx, ev) != 0)
			return -1;
	}
	return 0;
}

static void
count_event(void *ctx, const struct event *ev, enum nodrift why, struct finding **fv, size_t nf)
{
	struct seen *s = ctx;

	(void)ev;
	(void)why;
	(void)fv;
	(void)nf;
	pthread_mutex_lock(&s->mu);
	s->flushed++;           /* here: events decided */
	pthread_mutex_unlock(&s->mu);
}

static const struct collector_ops napper_ops = { .kind = "test", .poll_once = nap_once };

static struct collector *
napper_new(const char *name, struct napper *n)
{
	return collector_new(&napper_ops, name, n);
}

/* run_once polls the collectors in parallel, and its deadline stops a slow one (naming it)
 * while what it handed over is still decided. */
static void
test_run_once(void)
{
	struct engine_consumer cons;
	struct eventmap *map = NULL;
	struct engine_status *st;
	struct napper a = { 2, 1, 1200, 0 }, b = { 2, 1, 1200, 0 }, slow = { 3, 5, 60000, 0 };
	struct conf conf;
	struct detector *det;
	struct engine *e;
	struct seen s;
	int64_t t0;
	size_t n;

	conf_init(&conf);
	memset(&s, 0, sizeof s);
	pthread_mutex_init(&s.mu, NULL);
	det = gcp_detector(&map, &conf);
	cons.findings = on_findings;
	cons.event = count_event;
	cons.flushed = NULL;
	cons.ctx = &s;
	e = engine_new(det, NULL, 4, &cons);
	engine_add(e, napper_new("a", &a));
	engine_add(e, napper_new("b", &b));
	t0 = tf_mono_ms();
	is_int(engine_run_once(e, 0, NULL), 0, "run_once: two collectors, both done");
	ok(tf_mono_ms() - t0 < 2200, "in parallel: two 1.2 s naps took %lld ms, not 2.4 s",
	    (long long)(tf_mono_ms() - t0));
	is_int(s.flushed, 6, "every event decided");
	engine_free(e);

	s.flushed = 0;
	e = engine_new(det, NULL, 4, &cons);
	engine_add(e, napper_new("quick", &a));
	engine_add(e, napper_new("slow", &slow));
	a.stopped = 0;
	t0 = tf_mono_ms();
	is_int(engine_run_once(e, tf_mono_ms() + 1500, "1500ms"), 1,
	    "run_once with a deadline: the slow one did not finish");
	ok(tf_mono_ms() - t0 < 2500, "the deadline held (%lld ms for 1.5 s)",
	    (long long)(tf_mono_ms() - t0));
	ok(slow.stopped && !a.stopped, "the slow one's sleep was cut short, the quick one's not");
	is_int(s.flushed, 3 + 3, "what both handed over was decided (the quick one's 3, the "
	    "slow one's first 3)");
	engine_statuses(e, &st, &n);
	ok(n == 2 && !st[0].late && st[1].late, "the status says which did not finish");
	ok(n == 2 && st[1].last_error != NULL && strstr(st[1].last_error,
	    "did not finish within the --once time limit (1500ms)") != NULL, "and why: %s",
	    n == 2 && st[1].last_error ? st[1].last_error : "(none)");
	engine_statuses_free(st, n);
	engine_free(e);
	detector_free(det);
	eventmap_free(map);
	pthread_mutex_destroy(&s.mu);
	finding_list_clear(&s.got);
	free(s.got.v);
	conf_free(&conf);
}

/* A collector blocked where no stop reaches it (a read nobody answers). */
static int stuck_fd = -1;

static int
stuck_once(void *impl, const struct source_sink *k)
{
	char c;

	(void)impl;
	(void)k;
	return read(stuck_fd, &c, 1) == 1 ? 0 : -1;
}

/* run_once with a collector that ignores the stop: after the grace period it is left behind
 * (the engine abandoned, not freed under it) and run_once returns. In a child process: the
 * abandoned engine is a deliberate leak, and the child ends with _exit. */
static void
test_run_once_stuck(void)
{
	int fds[2], status = -1, done = 0;
	int64_t t0 = tf_mono_ms();
	pid_t pid;

	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct engine_consumer cons = { on_findings, NULL, NULL, NULL };
		static const struct collector_ops stuck_ops = { .kind = "test", .poll_once = stuck_once };
		struct collector *c = collector_new(&stuck_ops, "stuck", NULL);
		struct engine_status *st;
		struct eventmap *map = NULL;
		struct conf conf;
		struct seen s;
		struct engine *e;
		size_t n;
		int bad = 0;

		memset(&s, 0, sizeof s);
		cons.ctx = &s;
		conf_init(&conf);
		close(fds[1]);          /* the parent holds the write end: the read blocks */
		stuck_fd = fds[0];
		e = engine_new(gcp_detector(&map, &conf), NULL, 4, &cons);
		engine_add(e, c);
		if (engine_run_once(e, tf_mono_ms() + 200, "200ms") != 1)
			bad |= 1;
		engine_statuses(e, &st, &n);
		if (n != 1 || !st[0].late)
			bad |= 2;
		engine_free(e);         /* abandoned: frees nothing, joins nothing */
		_exit(bad);
	}
	close(fds[0]);
	/* Were the collector joined instead of left behind, the child would wait for ever:
	 * after 9 s the write end closes, the read returns, and the time check fails. */
	while (pid > 0 && !done && tf_mono_ms() - t0 < 9000) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			done = 1;
		else
			usleep(50000);
	}
	close(fds[1]);
	if (pid > 0 && !done)
		waitpid(pid, &status, 0);
	ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "run_once leaves a collector blocked outside its reach behind and says it did not "
	    "finish (status %d)", status);
	ok(tf_mono_ms() - t0 < 8000, "after the deadline and the grace period (%lld ms)",
	    (long long)(tf_mono_ms() - t0));
}

/* "-" is standard input: read like a file, its progress unknown while it streams. */
static void
test_replay_stdin(void)
{
	char *paths[1] = { "-" }, *bad[1] = { "/nonexistent/x.json" }, *err = NULL;
	struct files_replay_opts o = { .passes = 1 };
	struct files_replay *fr;
	struct files_source *src;
	struct collector *c;
	struct fake f;
	int fds[2], saved;
	size_t n;
	FILE *fp;

	if (pipe(fds) != 0) {
		ok(0, "pipe");
		return;
	}
	fp = fdopen(fds[1], "w");
	rec(fp, "s1", "2024-05-27T10:00:00Z", 0);
	rec(fp, "s2", "2024-05-27T10:00:01Z", 0);
	fclose(fp);
	saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	c = run_fake(paths, 1, &o, &f, &fr);
	dup2(saved, 0);
	close(saved);
	ok(c != NULL && f.n == 2 && strcmp(f.ev[1].id, "s2") == 0, "events from standard input");
	ok(f.progress_seen == -1, "its progress is unknown while it is read (%g)", f.progress_seen);
	if (c != NULL) {
		files_replay_sources(fr, &src, &n);
		ok(n == 1 && strcmp(src[0].path, "-") == 0 && src[0].state == FILE_DONE, "and it is done");
		files_replay_sources_free(src, n);
	}
	fake_free(&f, c);
	ok(files_replay_new("replay", bad, 1, &o, &fr, &err) == NULL && err != NULL &&
	    strstr(err, "/nonexistent/x.json: No such file") != NULL,
	    "a path that cannot be read fails up front: %s", err ? err : "");
	free(err);
}

/* Pub/Sub: the pull response decoder and its base64 (collectors/pubsub.c). */
static void
test_pubsub_decode(void)
{
	/* One LogEntry of doc/examples/gcp-audit.json's shape, base64 as the REST API sends it. */
	static const char entry[] = "{\"insertId\":\"ps-1\",\"logName\":\"projects/corp-prod-4411/"
	    "logs/cloudaudit.googleapis.com%2Factivity\",\"timestamp\":\"2024-05-27T10:00:00Z\","
	    "\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
	    "\"serviceName\":\"compute.googleapis.com\",\"methodName\":\"v1.compute.firewalls.patch\","
	    "\"resourceName\":\"projects/corp-prod-4411/global/firewalls/allow-ssh\","
	    "\"authenticationInfo\":{\"principalEmail\":\"carol@corp.example\"}},"
	    "\"resource\":{\"type\":\"gce_firewall_rule\",\"labels\":{\"project_id\":\"corp-prod-4411\"}}}";
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct strbuf body, enc;
	struct ps_message *m;
	size_t n, i, len;
	char *err = NULL, *raw;

	sb_init(&enc);
	for (i = 0; i < sizeof entry - 1; i += 3) {
		unsigned v = (unsigned char)entry[i] << 16;
		size_t k = sizeof entry - 1 - i;

		if (k > 1)
			v |= (unsigned char)entry[i + 1] << 8;
		if (k > 2)
			v |= (unsigned char)entry[i + 2];
		sb_addf(&enc, "%c%c%c%c", b64[v >> 18], b64[(v >> 12) & 63],
		    k > 1 ? b64[(v >> 6) & 63] : '=', k > 2 ? b64[v & 63] : '=');
	}
	raw = ps_b64decode(enc.buf, &len);
	ok(raw != NULL && len == sizeof entry - 1 && memcmp(raw, entry, len) == 0,
	    "base64 with padding decodes");
	free(raw);
	raw = ps_b64decode("eyJhIjoxfQ", &len);
	ok(raw != NULL && strcmp(raw, "{\"a\":1}") == 0, "unpadded, as protobuf's JSON allows");
	free(raw);
	raw = ps_b64decode("eyJh-_", &len);
	ok(raw != NULL && len == 4, "the URL-safe alphabet too");
	free(raw);
	ok(ps_b64decode("eyJ hIjoxfQ==", &len) == NULL, "a space is refused");
	ok(ps_b64decode("a", &len) == NULL, "6 bits cannot end a byte");
	ok(ps_b64decode("ab=c", &len) == NULL, "padding in the middle is refused");

	sb_init(&body);
	sb_addf(&body, "{\"receivedMessages\":[{\"ackId\":\"A1\",\"message\":{\"data\":\"%s\","
	    "\"messageId\":\"11\",\"attributes\":{\"logging.googleapis.com/timestamp\":"
	    "\"2024-05-27T10:00:00Z\"}}},"
	    "{\"ackId\":\"A2\",\"message\":{\"data\":\"%%%%\",\"messageId\":\"12\"}},"
	    "{\"ackId\":\"A3\",\"message\":{\"data\":\"bm90IGpzb24=\",\"messageId\":\"13\"}},"
	    "{\"ackId\":\"A4\",\"message\":{\"data\":\"e30=\",\"messageId\":\"14\"}},"
	    "{\"ackId\":\"A5\"}]}", enc.buf);
	is_int(ps_decode_pull(body.buf, body.len, &m, &n, &err), 0, "a pull response decodes");
	is_int((long)n, 5, "five messages");
	ok(n == 5 && m[0].ok && strcmp(m[0].ev.id, "ps-1") == 0 &&
	    strcmp(m[0].ev.name, "v1.compute.firewalls.patch") == 0,
	    "the first is the LogEntry's event (its insertId the event id)");
	ok(n == 5 && strcmp(m[0].ack_id, "A1") == 0 && strcmp(m[0].message_id, "11") == 0,
	    "with its ackId and messageId");
	is_str(n == 5 ? m[1].why : NULL, "data is not base64", "bad base64 says so");
	ok(n == 5 && !m[2].ok && strstr(m[2].why, "not a JSON object") != NULL, "not JSON says so");
	ok(n == 5 && !m[3].ok && m[3].why != NULL, "an object that is no audit entry: %s",
	    n == 5 && m[3].why ? m[3].why : "?");
	is_str(n == 5 ? m[4].why : NULL, "no message", "a received message without message");
	ps_messages_free(m, n);
	is_int(ps_decode_pull("{}", 2, &m, &n, &err), 0, "{}: nothing to deliver");
	is_int((long)n, 0, "no messages");
	ps_messages_free(m, n);
	is_int(ps_decode_pull("{\"receivedMessages\":[{\"message\":{}}]}", 37, &m, &n, &err), -1,
	    "a message without ackId cannot be acknowledged: the body is refused");
	is_str(err, "received message 1 has no ackId", "saying which");
	free(err);
	err = NULL;
	is_int(ps_decode_pull("{\"receivedMessages\":", 20, &m, &n, &err), -1, "a cut body is refused");
	free(err);
	ok(!ps_subscription_valid("projects/p/topics/t") && !ps_subscription_valid("projects//subscriptions/s") &&
	    !ps_subscription_valid("projects/p/subscriptions/") &&
	    !ps_subscription_valid("projects/p/subscriptions/s/x") &&
	    ps_subscription_valid("projects/corp-logs/subscriptions/tfdrift"),
	    "a subscription reads projects/P/subscriptions/S");
	sb_free(&body);
	sb_free(&enc);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		tf_fatal("mkdtemp");
	test_pure();
	test_replay_stream();
	test_replay_paced();
	test_replay_flush();
	test_files_live();
	test_engine_held();
	test_run_once();
	test_run_once_stuck();
	test_replay_stdin();
	test_pubsub_decode();
	rmdir(tmpdir);
	return done_testing();
}
