/* ct_probe: drive the CloudTrail poller or the SQS consumer end to end for the shell tests.
 * Each event goes to stdout as one JSON line {id,name,time[,t_ms]}; cursors live in a small
 * file (the store's stand-in, written atomically); status lines go to stderr. Secrets come
 * from the environment (PROBE_SECRET, PROBE_TOKEN), never argv.
 *
 *   ct_probe cloudtrail|sqs --endpoint URL [--s3-endpoint URL] [--queue-url Q] --region R
 *     --akid AKID [--name N] [--cursor-file F] [--max-events N] [--max-seconds S] [--once]
 *     [--lookback DUR] [--since T] [--until T] [--interval-ms N] [--overlap-ms N]
 *     [--page-size N] [--max-pages N] [--rate R] [--timeout-ms N] [--attempts N]
 *     [--wait S] [--visibility S] [--latency] */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include "aws_creds.h"
#include "collectors/cloudtrail.h"
#include "collectors/sqs.h"
#include "http.h"
#include "util.h"

static volatile sig_atomic_t stop;
static const char *cursor_file;
static long max_events = -1, nevents;
static int64_t deadline_ms;
static int latency;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
p_event(void *ctx, struct event *ev)
{
	char t[32];

	(void)ctx;
	tf_format_time(ev->time_ms, t);
	if (latency)
		printf("{\"id\":\"%s\",\"name\":\"%s\",\"time\":\"%s\",\"t_ms\":%lld}\n", ev->id,
		    ev->name ? ev->name : "", t, (long long)wall_ms());
	else
		printf("{\"id\":\"%s\",\"name\":\"%s\",\"time\":\"%s\"}\n", ev->id,
		    ev->name ? ev->name : "", t);
	fflush(stdout);
	event_free(ev);
	free(ev);
	nevents++;
	if (max_events >= 0 && nevents >= max_events)
		stop = 1;
	return 0;
}

/* The file: "name\tvalue\n" lines. */
static char *
p_cursor_get(void *ctx, const char *name)
{
	FILE *f;
	char *line = NULL, *res = NULL;
	size_t cap = 0, nl = strlen(name);
	ssize_t n;

	(void)ctx;
	if (cursor_file == NULL || (f = fopen(cursor_file, "r")) == NULL)
		return NULL;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		if (strncmp(line, name, nl) == 0 && line[nl] == '\t') {
			free(res);
			res = xstrdup(line + nl + 1);
		}
	}
	free(line);
	fclose(f);
	return res;
}

static int
p_cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	char *tmp;
	FILE *f;

	(void)ctx;
	if (cursor_file == NULL)
		return 0;
	/* one source per probe: the file holds one line */
	tmp = xasprintf("%s.tmp", cursor_file);
	if ((f = fopen(tmp, "w")) == NULL) {
		tf_err(err, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	fprintf(f, "%s\t%s\n", name, value);
	fflush(f);
	fsync(fileno(f));
	fclose(f);
	if (rename(tmp, cursor_file) != 0) {
		tf_err(err, "%s: %s", cursor_file, strerror(errno));
		free(tmp);
		return -1;
	}
	free(tmp);
	return 0;
}

static void
p_status(void *ctx, const struct source_status *st)
{
	(void)ctx;
	fprintf(stderr, "status: %s events=%llu requests=%llu errors=%llu retries=%llu backfill=%.2f "
	    "lag_ms=%lld%s%s\n", st->name, (unsigned long long)st->events,
	    (unsigned long long)st->requests, (unsigned long long)st->errors,
	    (unsigned long long)st->retries, st->backfill, (long long)st->lag_ms,
	    st->last_error ? " error: " : "", st->last_error ? st->last_error : "");
}

static int
p_sleep(void *ctx, int64_t ms)
{
	struct timespec ts;
	int64_t end = wall_ms() + ms, left;

	(void)ctx;
	for (;;) {
		if (stop || (deadline_ms > 0 && wall_ms() >= deadline_ms))
			return 1;
		left = end - wall_ms();
		if (left <= 0)
			return 0;
		if (left > 50)
			left = 50;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000L;
		nanosleep(&ts, NULL);
	}
}

static int64_t
dur(const char *s)
{
	int64_t ms;

	if (tf_parse_duration(s, &ms) != 0)
		tf_fatal("bad duration %s", s);
	return ms;
}

static int64_t
when(const char *s)
{
	int64_t ms;

	if (tf_parse_time(s, &ms) != 0)
		tf_fatal("bad time %s", s);
	return ms;
}

int
main(int argc, char **argv)
{
	struct ct_options co;
	struct sqs_options so;
	struct source_sink sink = { p_event, p_cursor_get, p_cursor_set, p_status, p_sleep, NULL, NULL, NULL };
	struct ct_limiter lim;
	struct aws_creds *creds;
	struct rusage ru;
	const char *mode, *akid = NULL, *secret = getenv("PROBE_SECRET"), *token = getenv("PROBE_TOKEN");
	double rate = 2.0, cpu;
	int once = 0, i, rc = 0;
	int64_t t0;
	char *err = NULL;

	if (argc < 2)
		tf_fatal("usage: ct_probe cloudtrail|sqs [options] (see the source)");
	mode = argv[1];
	memset(&co, 0, sizeof co);
	memset(&so, 0, sizeof so);
	co.name = "cloudtrail probe";
	so.name = "sqs probe";
	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--once") == 0) { once = 1; continue; }
		if (strcmp(a, "--latency") == 0) { latency = 1; continue; }
		if (v == NULL)
			tf_fatal("%s needs a value", a);
		i++;
		if (strcmp(a, "--endpoint") == 0) co.endpoint = so.endpoint = v;
		else if (strcmp(a, "--s3-endpoint") == 0) so.s3_endpoint = v;
		else if (strcmp(a, "--queue-url") == 0) so.queue_url = v;
		else if (strcmp(a, "--region") == 0) co.region = so.region = v;
		else if (strcmp(a, "--akid") == 0) akid = v;
		else if (strcmp(a, "--name") == 0) co.name = so.name = v;
		else if (strcmp(a, "--cursor-file") == 0) cursor_file = v;
		else if (strcmp(a, "--max-events") == 0) max_events = atol(v);
		else if (strcmp(a, "--max-seconds") == 0) deadline_ms = wall_ms() + (int64_t)(atof(v) * 1000);
		else if (strcmp(a, "--lookback") == 0) co.lookback_ms = dur(v);
		else if (strcmp(a, "--since") == 0) co.since_ms = when(v);
		else if (strcmp(a, "--until") == 0) co.until_ms = when(v);
		else if (strcmp(a, "--interval-ms") == 0) co.interval_ms = atol(v);
		else if (strcmp(a, "--overlap-ms") == 0) co.overlap_ms = atol(v);
		else if (strcmp(a, "--page-size") == 0) co.max_results = atoi(v);
		else if (strcmp(a, "--max-pages") == 0) co.max_pages = atoi(v);
		else if (strcmp(a, "--rate") == 0) rate = atof(v);
		else if (strcmp(a, "--timeout-ms") == 0) co.timeout_ms = so.timeout_ms = atol(v);
		else if (strcmp(a, "--attempts") == 0) co.max_attempts = so.max_attempts = atoi(v);
		else if (strcmp(a, "--wait") == 0) so.wait_seconds = atoi(v);
		else if (strcmp(a, "--visibility") == 0) so.visibility_timeout = atoi(v);
		else tf_fatal("unknown option %s", a);
	}
	if (akid == NULL || secret == NULL)
		tf_fatal("--akid and PROBE_SECRET are needed");
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	http_global_init();
	creds = aws_creds_static(akid, secret, token);
	co.creds = so.creds = creds;
	t0 = wall_ms();
	if (strcmp(mode, "cloudtrail") == 0) {
		struct ct_poller *p;

		ct_limiter_init(&lim, rate);
		co.limiter = &lim;
		p = ct_poller_new(&co);
		if (once) {
			rc = ct_poll_once(p, &sink, &err);
			/* --once: the whole window, page after page */
			while (rc == 1)
				rc = ct_poll_once(p, &sink, &err);
		} else
			ct_poller_run(p, &sink);
		ct_poller_free(p);
		ct_limiter_destroy(&lim);
	} else if (strcmp(mode, "sqs") == 0) {
		struct sqs_consumer *c;

		if (so.queue_url == NULL)
			tf_fatal("--queue-url is needed");
		c = sqs_consumer_new(&so);
		if (once)
			rc = sqs_poll_once(c, &sink, &err) < 0 ? -1 : 0;
		else
			sqs_consumer_run(c, &sink);
		sqs_consumer_free(c);
	} else
		tf_fatal("unknown mode %s", mode);
	if (latency) {
		getrusage(RUSAGE_SELF, &ru);
		cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		fprintf(stderr, "figures: events=%ld wall_s=%.2f cpu_s=%.3f cpu_pct=%.1f\n", nevents,
		    (wall_ms() - t0) / 1000.0, cpu, 100.0 * cpu * 1000.0 / (double)(wall_ms() - t0 + 1));
	}
	aws_creds_free(creds);
	if (rc < 0) {
		fprintf(stderr, "ct_probe: %s\n", err ? err : "failed");
		free(err);
		return 1;
	}
	free(err);
	return 0;
}
