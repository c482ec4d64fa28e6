/* ps_probe: drives the Pub/Sub pull consumer (collectors/pubsub.c) with Application Default
 * Credentials for tests/live/pubsub.sh.
 *
 *   ps_probe --subscription S --endpoint URL [--once] [--max-messages N]
 *            [--ack-deadline-ms N] [--delay-ms N] [--run-ms N] [--cursor VALUE]
 *
 * Every event handed over is printed as {"id":"..."} on stdout (after --delay-ms, a slow
 * engine); the status on stderr, each cursor saved as "cursor: NAME VALUE" (--cursor: the one
 * the consumer restores); final counters on stderr as "stats: k=v ...". --once pulls
 * with returnImmediately until the subscription has nothing left; otherwise it pulls until
 * --run-ms have passed (default 5000) or SIGTERM. Exit 0, 1 on errors. */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/pubsub.h"
#include "event.h"
#include "gcp_auth.h"
#include "http.h"
#include "util.h"

static volatile sig_atomic_t stopping;
static const char *cursor_in;
static int64_t delay_ms, end_mono;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
nap(int64_t ms)
{
	struct timespec ts;

	while (ms > 0 && !stopping) {
		int64_t step = ms > 50 ? 50 : ms;

		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static int
sink_event(void *ctx, struct event *ev)
{
	(void)ctx;
	nap(delay_ms);
	printf("{\"id\":\"%s\"}\n", ev->id ? ev->id : "");
	fflush(stdout);
	event_free(ev);
	free(ev);
	return 0;
}

static char *
cursor_get(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return cursor_in != NULL ? xstrdup(cursor_in) : NULL;
}

static int
cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	(void)ctx;
	(void)err;
	fprintf(stderr, "cursor: %s %s\n", name, value);
	return 0;
}

static void
sink_status(void *ctx, const struct source_status *st)
{
	(void)ctx;
	fprintf(stderr, "status: %s requests=%llu events=%llu errors=%llu retries=%llu%s%s\n",
	    st->name, (unsigned long long)st->requests, (unsigned long long)st->events,
	    (unsigned long long)st->errors, (unsigned long long)st->retries,
	    st->last_error ? " error: " : "", st->last_error ? st->last_error : "");
}

static int
sink_sleep(void *ctx, int64_t ms)
{
	(void)ctx;
	if (end_mono > 0 && tf_mono_ms() + ms > end_mono)
		ms = end_mono - tf_mono_ms();
	nap(ms);
	return stopping || (end_mono > 0 && tf_mono_ms() >= end_mono) ? 1 : 0;
}

static int
sink_flush(void *ctx)
{
	(void)ctx;
	return 0;
}

/* The run loop's requests also end when the time is up (tf_thread_stop_set). */
static int
time_up(void *ctx)
{
	(void)ctx;
	return stopping || (end_mono > 0 && tf_mono_ms() >= end_mono);
}

int
main(int argc, char **argv)
{
	struct source_sink k = { sink_event, cursor_get, cursor_set, sink_status, sink_sleep,
		sink_flush, NULL, NULL };
	struct gcp_auth_opts ao;
	struct ps_opts o;
	struct gcp_auth *a;
	struct ps_consumer *c;
	const struct ps_stats *st;
	struct sigaction sa;
	char *err = NULL;
	int i, once = 0, rc = 0;
	int64_t run_ms = 5000;

	memset(&o, 0, sizeof o);
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (i + 1 < argc && strcmp(argv[i], "--subscription") == 0)
			o.subscription = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--endpoint") == 0)
			o.endpoint = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--max-messages") == 0)
			o.max_messages = atoi(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--ack-deadline-ms") == 0)
			o.ack_deadline_ms = atoll(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--delay-ms") == 0)
			delay_ms = atoll(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--run-ms") == 0)
			run_ms = atoll(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--cursor") == 0)
			cursor_in = argv[++i];
		else {
			fprintf(stderr, "ps_probe: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	http_global_init();
	memset(&ao, 0, sizeof ao);
	ao.scopes = PS_SCOPE;
	if ((a = gcp_auth_new(&ao, &err)) == NULL) {
		fprintf(stderr, "ps_probe: %s\n", err);
		free(err);
		return 1;
	}
	o.tokens = gcp_auth_token_source(a);
	o.token_invalidate = gcp_auth_invalidate;
	o.backoff_base_ms = 50;
	o.backoff_cap_ms = 500;
	if ((c = ps_consumer_new(&o, &err)) == NULL) {
		fprintf(stderr, "ps_probe: %s\n", err);
		free(err);
		gcp_auth_free(a);
		return 1;
	}
	if (once) {
		while ((rc = ps_poll_once(c, &k, 1, &err)) == 1)
			;
		if (rc < 0)
			fprintf(stderr, "ps_probe: %s\n", err);
		rc = rc < 0;
		free(err);
	} else {
		end_mono = tf_mono_ms() + run_ms;
		tf_thread_stop_set(time_up, NULL);
		ps_consumer_run(c, &k);
		tf_thread_stop_set(NULL, NULL);
	}
	st = ps_consumer_stats(c);
	fprintf(stderr, "stats: pulls=%llu messages=%llu events=%llu malformed=%llu acked=%llu "
	    "extended=%llu retries=%llu errors=%llu token_refreshes=%llu duplicates=%llu\n",
	    (unsigned long long)st->pulls, (unsigned long long)st->messages,
	    (unsigned long long)st->events, (unsigned long long)st->malformed,
	    (unsigned long long)st->acked, (unsigned long long)st->extended,
	    (unsigned long long)st->retries, (unsigned long long)st->errors,
	    (unsigned long long)st->token_refreshes, (unsigned long long)st->duplicates);
	ps_consumer_free(c);
	gcp_auth_free(a);
	return rc;
}
