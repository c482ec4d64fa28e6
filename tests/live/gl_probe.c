/* gl_probe: drives gcp_auth and the Cloud Logging poller end to end for the shell tests.
 *
 *   gl_probe token [--count N]
 *       resolve ADC, get a token N times (default 1), print its source, its expiry and the
 *       number of token requests; never the token
 *   gl_probe poll --project P --endpoint URL --cursors FILE [--once] [--since T] [--until T]
 *       [--page-size N] [--min-interval-ms N] [--overlap-ms N] [--lookback-ms N]
 *       [--poll-interval-ms N] [--timeout-ms N] [--data-access] [--max-polls N] [--stop-after N]
 *       run the poller; events are printed as JSON lines on stdout, the status on stderr,
 *       cursors kept in FILE (one "name<TAB>value" per line, replaced atomically);
 *       the sink's watermark and flush calls on stderr as "watermark: MS" and "flush";
 *       final counters on stderr as "stats: k=v ..."
 * Exit 0, 1 on errors. SIGTERM/SIGINT stop the run loop. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/gcplogging.h"
#include "event.h"
#include "gcp_auth.h"
#include "http.h"
#include "util.h"

static volatile sig_atomic_t stopping;
static const char *cursor_path;
static long max_events = -1, handed;
static int polls_left = -1;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static int
sink_event(void *ctx, struct event *ev)
{
	char t[32];

	(void)ctx;
	if (stopping) {
		event_free(ev);
		free(ev);
		return -1;
	}
	tf_format_time(ev->time_ms, t);
	printf("{\"id\":\"%s\",\"time\":\"%s\",\"name\":\"%s\",\"account\":\"%s\",\"type\":\"%s\"}\n",
	    ev->id ? ev->id : "", t, ev->name ? ev->name : "", ev->account ? ev->account : "",
	    ev->event_type ? ev->event_type : "");
	fflush(stdout);
	event_free(ev);
	free(ev);
	if (max_events > 0 && ++handed >= max_events) {
		/* Simulate a crash right after a hand-over, before any checkpoint. */
		_exit(9);
	}
	return 0;
}

static char *
cursor_get(void *ctx, const char *name)
{
	char *buf = NULL, *line, *save = NULL, *tab, *out = NULL;
	size_t len;

	(void)ctx;
	if (tf_read_file(cursor_path, TF_FILE_CONFIG, &buf, &len, NULL) != 0)
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save))
		if ((tab = strchr(line, '\t')) != NULL && (size_t)(tab - line) == strlen(name) &&
		    strncmp(line, name, strlen(name)) == 0) {
			free(out);
			out = xstrdup(tab + 1);
		}
	free(buf);
	return out;
}

static int
cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	char *tmp = xasprintf("%s.tmp", cursor_path);
	FILE *fp = fopen(tmp, "w");

	(void)ctx;
	if (fp == NULL) {
		free(tmp);
		return tf_err(err, "%s: %s", cursor_path, strerror(errno));
	}
	fprintf(fp, "%s\t%s\n", name, value);
	fflush(fp);
	fsync(fileno(fp));
	fclose(fp);
	if (rename(tmp, cursor_path) != 0) {
		free(tmp);
		return tf_err(err, "%s: %s", cursor_path, strerror(errno));
	}
	free(tmp);
	return 0;
}

static void
sink_status(void *ctx, const struct source_status *st)
{
	(void)ctx;
	fprintf(stderr, "status: %s requests=%llu events=%llu errors=%llu retries=%llu backfill=%.3f%s%s\n",
	    st->name, (unsigned long long)st->requests, (unsigned long long)st->events,
	    (unsigned long long)st->errors, (unsigned long long)st->retries, st->backfill,
	    st->last_error ? " error: " : "", st->last_error ? st->last_error : "");
}

static int
sink_sleep(void *ctx, int64_t ms)
{
	struct timespec ts;

	(void)ctx;
	if (ms > 1000 && polls_left == 0)
		return 1;
	while (ms > 0 && !stopping) {
		int64_t step = ms > 50 ? 50 : ms;

		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return stopping ? 1 : 0;
}

static int
sink_flush(void *ctx)
{
	(void)ctx;
	fprintf(stderr, "flush\n");
	return 0;
}

static int
sink_watermark(void *ctx, int64_t upto_ms)
{
	(void)ctx;
	fprintf(stderr, "watermark: %lld\n", (long long)upto_ms);
	return 0;
}

static int
parse_time_arg(const char *s, int64_t *ms)
{
	int64_t ago;

	if (s[0] == '-' && tf_parse_duration(s + 1, &ago) == 0) {
		*ms = tf_now_ms() - ago;
		return 0;
	}
	return tf_parse_time(s, ms);
}

static int
cmd_token(int argc, char **argv)
{
	struct gcp_auth *a;
	char *err = NULL, *tok = NULL, t[32];
	int i, count = 1;

	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = atoi(argv[++i]);
	if ((a = gcp_auth_new(NULL, &err)) == NULL) {
		fprintf(stderr, "gl_probe: %s\n", err);
		free(err);
		return 1;
	}
	for (i = 0; i < count; i++) {
		free(tok);
		tok = NULL;
		if (gcp_auth_token(a, &tok, &err) != 0) {
			fprintf(stderr, "gl_probe: %s\n", err);
			free(err);
			gcp_auth_free(a);
			return 1;
		}
	}
	tf_format_time(gcp_auth_expiry_ms(a), t);
	printf("source: %s\nexpires: %s\ntoken requests: %llu\ntoken length: %zu\n",
	    gcp_auth_describe(a), t, (unsigned long long)gcp_auth_token_requests(a), strlen(tok));
	free(tok);
	gcp_auth_free(a);
	return 0;
}

static int
cmd_poll(int argc, char **argv)
{
	struct source_sink sink = { sink_event, cursor_get, cursor_set, sink_status, sink_sleep,
	    sink_flush, sink_watermark, NULL };
	struct gl_opts o;
	struct gcp_auth *a;
	struct gl_poller *p;
	const struct gl_stats *s;
	char *err = NULL;
	int i, once = 0, rc;

	memset(&o, 0, sizeof o);
	for (i = 0; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(k, "--once") == 0)
			once = 1;
		else if (strcmp(k, "--data-access") == 0)
			o.data_access = 1;
		else if (v == NULL) {
			fprintf(stderr, "gl_probe: %s needs a value\n", k);
			return 1;
		} else if (strcmp(k, "--project") == 0)
			o.project = argv[++i];
		else if (strcmp(k, "--endpoint") == 0)
			o.endpoint = argv[++i];
		else if (strcmp(k, "--cursors") == 0)
			cursor_path = argv[++i];
		else if (strcmp(k, "--since") == 0 || strcmp(k, "--until") == 0) {
			if (parse_time_arg(v, strcmp(k, "--since") == 0 ? &o.since_ms : &o.until_ms) != 0) {
				fprintf(stderr, "gl_probe: bad time %s\n", v);
				return 1;
			}
			i++;
		} else if (strcmp(k, "--page-size") == 0)
			o.page_size = atoi(argv[++i]);
		else if (strcmp(k, "--min-interval-ms") == 0)
			o.min_interval_ms = atoll(argv[++i]);
		else if (strcmp(k, "--overlap-ms") == 0)
			o.overlap_ms = atoll(argv[++i]);
		else if (strcmp(k, "--lookback-ms") == 0)
			o.lookback_ms = atoll(argv[++i]);
		else if (strcmp(k, "--poll-interval-ms") == 0)
			o.poll_interval_ms = atoll(argv[++i]);
		else if (strcmp(k, "--timeout-ms") == 0)
			o.timeout_ms = atol(argv[++i]);
		else if (strcmp(k, "--backoff-ms") == 0)
			o.backoff_base_ms = atoll(argv[++i]);
		else if (strcmp(k, "--max-polls") == 0)
			polls_left = atoi(argv[++i]);
		else if (strcmp(k, "--crash-after") == 0)
			max_events = atol(argv[++i]);
		else {
			fprintf(stderr, "gl_probe: unknown option %s\n", k);
			return 1;
		}
	}
	if (cursor_path == NULL) {
		fprintf(stderr, "gl_probe: --cursors FILE is required\n");
		return 1;
	}
	if ((a = gcp_auth_new(NULL, &err)) == NULL) {
		fprintf(stderr, "gl_probe: %s\n", err);
		free(err);
		return 1;
	}
	o.tokens = gcp_auth_token_source(a);
	o.token_invalidate = gcp_auth_invalidate;
	o.quota_project = gcp_auth_quota_project(a);
	if ((p = gl_poller_new(&o, &sink, &err)) == NULL) {
		fprintf(stderr, "gl_probe: %s\n", err);
		free(err);
		gcp_auth_free(a);
		return 1;
	}
	if (once || polls_left > 0) {
		int n = once ? 1 : polls_left;

		rc = 0;
		while (n-- > 0 && rc == 0) {
			rc = gl_poll_once(p, &err);
			if (n > 0 && rc == 0 && sink_sleep(NULL, o.poll_interval_ms ? o.poll_interval_ms : 1000))
				break;
		}
	} else
		rc = gl_poller_run(p, &err);
	s = gl_poller_stats(p);
	fprintf(stderr, "stats: requests=%llu pages=%llu empty_pages=%llu entries=%llu events=%llu "
	    "duplicates=%llu skipped=%llu retries=%llu errors=%llu malformed=%llu unauthorized=%llu "
	    "token_refreshes=%llu token_requests=%llu handover_us_max=%lld handover_us_avg=%lld\n",
	    (unsigned long long)s->requests, (unsigned long long)s->pages,
	    (unsigned long long)s->empty_pages, (unsigned long long)s->entries,
	    (unsigned long long)s->events, (unsigned long long)s->duplicates,
	    (unsigned long long)s->skipped, (unsigned long long)s->retries,
	    (unsigned long long)s->errors, (unsigned long long)s->malformed,
	    (unsigned long long)s->unauthorized, (unsigned long long)s->token_refreshes,
	    (unsigned long long)gcp_auth_token_requests(a), (long long)s->handover_us_max,
	    (long long)(s->handover_pages ? s->handover_us_sum / (int64_t)s->handover_pages : 0));
	if (rc < 0)
		fprintf(stderr, "gl_probe: %s\n", err);
	free(err);
	gl_poller_free(p);
	gcp_auth_free(a);
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	http_global_init();
	if (argc >= 2 && strcmp(argv[1], "token") == 0)
		return cmd_token(argc - 2, argv + 2);
	if (argc >= 2 && strcmp(argv[1], "poll") == 0)
		return cmd_poll(argc - 2, argv + 2);
	fprintf(stderr, "usage: gl_probe token [--count N] | poll --project P --endpoint URL "
	    "--cursors FILE [options]\n");
	return 1;
}
