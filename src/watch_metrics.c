/* watch_metrics: tfdrift's metrics, health and readiness for `watch --metrics` (see
 * watch_metrics.h; doc/metrics.md lists the metrics). */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "metrics.h"
#include "metrics_http.h"
#include "util.h"
#include "watch_metrics.h"

/* An open finding: its id's hash and the severity it was counted under. */
struct open_one {
	uint64_t h;
	enum severity sev;
};

struct watch_metrics {
	struct metrics *m;
	struct metrics_http *http;
	pthread_mutex_t mu;             /* the attached pointers, ready and why */
	struct engine *eng;
	struct notifier *notify;
	struct states *st;
	int ready;
	char *why;
	char *store_err;                /* watch_metrics_store's */

	pthread_mutex_t open_mu;        /* the open set (sorted by h) */
	struct open_one *open;
	size_t nopen;

	/* Counted as findings come. */
	struct metric_family *findings, *by_actor, *resolutions, *open_sev;
	/* Copied at each scrape. */
	struct metric_family *events, *polls, *errors, *retries, *throttles;
	struct metric_family *src_up, *lag, *cursor_age, *poll_age;
	struct metric_family *st_up, *st_serial, *st_res, *st_age;
	struct metric_family *n_sent, *n_failed, *n_dead, *n_dropped, *n_retries, *n_limited,
	    *n_deduped, *n_queue;
	struct metric_family *q_depth, *q_cap, *ready_g;
};

static const char *const L_SOURCE[] = { "source", NULL };
static const char *const L_STATE[] = { "state", NULL };
static const char *const L_OUTPUT[] = { "output", "type", NULL };

char *
watch_metrics_service(const char *src)
{
	const char *dot;

	if (src == NULL || *src == '\0')
		return xstrdup("unknown");
	dot = strchr(src, '.');
	return dot != NULL && dot > src ? xstrndup(src, (size_t)(dot - src)) : xstrdup(src);
}

static struct metric_family *
counter(struct metrics *m, const char *name, const char *help, const char *const *labels)
{
	return metrics_family(m, name, help, METRIC_COUNTER, labels);
}

static struct metric_family *
gauge(struct metrics *m, const char *name, const char *help, const char *const *labels)
{
	return metrics_family(m, name, help, METRIC_GAUGE, labels);
}

static void
families(struct watch_metrics *wm)
{
	static const char *const l_outcome[] = { "source", "outcome", NULL };
	static const char *const l_finding[] = { "kind", "severity", "service", NULL };
	static const char *const l_actor[] = { "actor", NULL };
	static const char *const l_reason[] = { "reason", NULL };
	static const char *const l_sev[] = { "severity", NULL };
	static const char *const l_version[] = { "version", NULL };
	static const char *const l_out1[] = { "output", NULL };
	struct metrics *m = wm->m;
	size_t i;

	wm->events = counter(m, "tfdrift_events_total", "Events read, by source and by what the "
	    "detector made of them (outcome: drift, read_only, failed, terraform, service, "
	    "not_covered, equal_value, not_managed, duplicate, no_resource_id, deferred).",
	    l_outcome);
	wm->polls = counter(m, "tfdrift_source_polls_total", "Requests a source made to its "
	    "log API (LookupEvents, entries.list, ReceiveMessage pages).", L_SOURCE);
	wm->errors = counter(m, "tfdrift_source_errors_total", "Polls of a source that failed.",
	    L_SOURCE);
	wm->retries = counter(m, "tfdrift_source_retries_total", "Requests of a source retried "
	    "(transport errors, 5xx, throttling).", L_SOURCE);
	wm->throttles = counter(m, "tfdrift_source_throttles_total", "Responses to a source "
	    "that throttled it (HTTP 429, Throttling, RequestLimitExceeded).", L_SOURCE);
	wm->src_up = gauge(m, "tfdrift_source_up", "1 when the source's last poll worked, "
	    "else 0.", L_SOURCE);
	wm->lag = gauge(m, "tfdrift_source_lag_seconds", "Now minus the time of the newest "
	    "event the source has seen (absent until it has seen one).", L_SOURCE);
	wm->cursor_age = gauge(m, "tfdrift_source_cursor_age_seconds", "Seconds since the "
	    "source's cursor was last saved to the store (absent before the first save).",
	    L_SOURCE);
	wm->poll_age = gauge(m, "tfdrift_source_last_poll_age_seconds", "Seconds since the "
	    "source's last successful poll (absent before the first).", L_SOURCE);
	wm->findings = counter(m, "tfdrift_findings_total", "Findings made, by kind, severity "
	    "and service (the event source's first label: ec2, iam, compute).", l_finding);
	metrics_family_max(wm->findings, 200);
	wm->by_actor = counter(m, "tfdrift_findings_by_actor_total", "Findings made, by the "
	    "actor who made the change; at most 50 actors, the rest under actor=\"_other\".",
	    l_actor);
	metrics_family_max(wm->by_actor, WATCH_METRICS_ACTORS);
	wm->resolutions = counter(m, "tfdrift_resolutions_total", "Findings resolved, by "
	    "reason.", l_reason);
	wm->open_sev = gauge(m, "tfdrift_findings_open", "Findings open now (not resolved, "
	    "not suppressed), by severity.", l_sev);
	for (i = 0; i < SEV__COUNT; i++)
		(void)metrics_get(wm->open_sev, severity_name((enum severity)i));
	wm->st_up = gauge(m, "tfdrift_state_up", "1 when the state's last fetch worked, else 0.",
	    L_STATE);
	wm->st_serial = gauge(m, "tfdrift_state_serial", "The serial of the state last read.",
	    L_STATE);
	wm->st_res = gauge(m, "tfdrift_state_resources", "Managed resource instances in the "
	    "state last read.", L_STATE);
	wm->st_age = gauge(m, "tfdrift_state_age_seconds", "Seconds since the state last "
	    "changed (as its backend tells it).", L_STATE);
	wm->n_sent = counter(m, "tfdrift_notifications_sent_total", "Findings delivered to a "
	    "notification output.", L_OUTPUT);
	wm->n_failed = counter(m, "tfdrift_notifications_failed_total", "Findings whose last "
	    "delivery attempt to an output failed.", L_OUTPUT);
	wm->n_dead = counter(m, "tfdrift_notifications_dead_lettered_total", "Findings written "
	    "to an output's dead-letter file.", L_OUTPUT);
	wm->n_dropped = counter(m, "tfdrift_notifications_dropped_total", "Findings dropped "
	    "(the output's queue was full).", L_OUTPUT);
	wm->n_retries = counter(m, "tfdrift_notifications_retries_total", "Extra delivery "
	    "attempts to an output.", L_OUTPUT);
	wm->n_limited = counter(m, "tfdrift_notifications_rate_limited_total", "Findings not "
	    "sent to an output: over its rate_limit.", L_OUTPUT);
	wm->n_deduped = counter(m, "tfdrift_notifications_deduped_total", "Findings not sent "
	    "to an output: sent before.", L_OUTPUT);
	wm->n_queue = gauge(m, "tfdrift_notify_queue_depth", "Findings waiting in an output's "
	    "queue.", l_out1);
	wm->q_depth = gauge(m, "tfdrift_engine_queue_depth", "Events and markers waiting for "
	    "the detector.", NULL);
	wm->q_cap = gauge(m, "tfdrift_engine_queue_capacity", "The detector queue's capacity.",
	    NULL);
	wm->ready_g = gauge(m, "tfdrift_ready", "1 once the states are loaded and the sources "
	    "started (as /readyz).", NULL);
	metric_set(metrics_get(gauge(m, "tfdrift_build_info", "tfdrift's version (always 1).",
	    l_version), PACKAGE_VERSION), 1);
	metric_set(metrics_get(gauge(m, "tfdrift_start_time_seconds", "When this watch "
	    "started, in seconds since the epoch.", NULL)), (double)tf_now_ms() / 1000.0);
}

static double
secs_since(int64_t now, int64_t then)
{
	return then > 0 && now > then ? (double)(now - then) / 1000.0 : 0;
}

/* At each scrape: copy what the engine, the notifier and the states keep. */
static void
collect(struct metrics *m, void *ctx)
{
	struct watch_metrics *wm = ctx;
	int64_t now = tf_now_ms();
	size_t i, n;
	unsigned k;

	(void)m;
	pthread_mutex_lock(&wm->mu);
	metric_set(metrics_get(wm->ready_g), wm->ready);
	if (wm->eng != NULL) {
		struct engine_status *es;
		struct engine_counts ec;

		engine_statuses(wm->eng, &es, &n);
		for (i = 0; i < n; i++) {
			const char *src = es[i].name;

			for (k = 0; k < ND__COUNT; k++)
				metric_set_count(metrics_get(wm->events, src, nodrift_name(k)),
				    es[i].outcomes[k]);
			metric_set_count(metrics_get(wm->polls, src), es[i].st.requests);
			metric_set_count(metrics_get(wm->errors, src), es[i].st.errors);
			metric_set_count(metrics_get(wm->retries, src), es[i].st.retries);
			metric_set_count(metrics_get(wm->throttles, src), es[i].throttles);
			metric_set(metrics_get(wm->src_up, src), es[i].last_error == NULL);
			if (es[i].st.lag_ms >= 0 && es[i].st.last_poll_ms > 0)
				metric_set(metrics_get(wm->lag, src), (double)es[i].st.lag_ms / 1000.0);
			if (es[i].cursor_ms > 0)
				metric_set(metrics_get(wm->cursor_age, src), secs_since(now,
				    es[i].cursor_ms));
			if (es[i].st.last_poll_ms > 0)
				metric_set(metrics_get(wm->poll_age, src), secs_since(now,
				    es[i].st.last_poll_ms));
		}
		engine_statuses_free(es, n);
		engine_counts(wm->eng, &ec);
		metric_set(metrics_get(wm->q_depth), (double)ec.queued);
		metric_set(metrics_get(wm->q_cap), (double)ec.queue_cap);
	}
	if (wm->notify != NULL) {
		struct notify_stat *ns;

		notify_stats(wm->notify, &ns, &n);
		for (i = 0; i < n; i++) {
			const char *o = ns[i].name, *t = ns[i].type;

			metric_set_count(metrics_get(wm->n_sent, o, t), ns[i].sent);
			metric_set_count(metrics_get(wm->n_failed, o, t), ns[i].failed);
			metric_set_count(metrics_get(wm->n_dead, o, t), ns[i].dead_lettered);
			metric_set_count(metrics_get(wm->n_dropped, o, t), ns[i].dropped);
			metric_set_count(metrics_get(wm->n_retries, o, t), ns[i].retried);
			metric_set_count(metrics_get(wm->n_limited, o, t), ns[i].rate_limited);
			metric_set_count(metrics_get(wm->n_deduped, o, t), ns[i].deduped);
			metric_set(metrics_get(wm->n_queue, o), (double)ns[i].backlog);
		}
		notify_stats_free(ns, n);
	}
	if (wm->st != NULL) {
		struct states_row *rows;

		states_describe(wm->st, &rows, &n);
		for (i = 0; i < n; i++) {
			const char *s = rows[i].info.location;

			metric_set(metrics_get(wm->st_up, s), rows[i].info.last_error == NULL &&
			    rows[i].info.last_fetch_ms > 0);
			metric_set(metrics_get(wm->st_serial, s), (double)rows[i].info.serial);
			metric_set(metrics_get(wm->st_res, s), (double)rows[i].resources);
			if (rows[i].info.last_change_ms > 0)
				metric_set(metrics_get(wm->st_age, s), secs_since(now,
				    rows[i].info.last_change_ms));
		}
		states_describe_free(rows, n);
	}
	pthread_mutex_unlock(&wm->mu);
}

/* /healthz: every source whose last poll failed, every state whose last fetch failed (and
 * a refresh error no state row carries). */
static void
health(void *ctx, json_object *sources, json_object *states)
{
	struct watch_metrics *wm = ctx;
	size_t i, n;
	int any = 0;

	pthread_mutex_lock(&wm->mu);
	if (wm->store_err != NULL)
		json_object_object_add(sources, "store", json_object_new_string(wm->store_err));
	if (wm->eng != NULL) {
		struct engine_status *es;
		char *serr;

		engine_statuses(wm->eng, &es, &n);
		for (i = 0; i < n; i++)
			if (es[i].last_error != NULL)
				json_object_object_add(sources, es[i].name,
				    json_object_new_string(es[i].last_error));
		engine_statuses_free(es, n);
		if ((serr = engine_state_error(wm->eng, NULL)) != NULL) {
			if (wm->st != NULL) {
				struct states_row *rows;

				states_describe(wm->st, &rows, &n);
				for (i = 0; i < n; i++)
					if (rows[i].info.last_error != NULL) {
						json_object_object_add(states, rows[i].info.location,
						    json_object_new_string(rows[i].info.last_error));
						any = 1;
					}
				states_describe_free(rows, n);
			}
			if (!any)
				json_object_object_add(states, "refresh", json_object_new_string(serr));
			free(serr);
		}
	}
	pthread_mutex_unlock(&wm->mu);
}

static int
ready(void *ctx, char **why)
{
	struct watch_metrics *wm = ctx;
	int r;

	pthread_mutex_lock(&wm->mu);
	r = wm->ready;
	if (!r)
		*why = xstrdup(wm->why != NULL ? wm->why : "starting");
	pthread_mutex_unlock(&wm->mu);
	return r;
}

struct watch_metrics *
watch_metrics_start(const char *addr, char **err)
{
	struct watch_metrics *wm = xcalloc(1, sizeof *wm);
	struct metrics_http_cb cb;

	wm->m = metrics_new();
	pthread_mutex_init(&wm->mu, NULL);
	pthread_mutex_init(&wm->open_mu, NULL);
	wm->why = xstrdup("loading the states");
	families(wm);
	metrics_on_collect(wm->m, collect, wm);
	cb.m = wm->m;
	cb.health = health;
	cb.ready = ready;
	cb.ctx = wm;
	if ((wm->http = metrics_http_start(addr, &cb, err)) == NULL) {
		watch_metrics_stop(wm);
		return NULL;
	}
	{
		char *host = NULL;
		unsigned port;

		(void)metrics_addr_parse(addr, &host, &port, NULL);
		fprintf(stderr, "tfdrift: metrics on http://%s%s%s:%u/metrics (and /healthz, "
		    "/readyz)\n", host != NULL && strchr(host, ':') ? "[" : "",
		    host != NULL ? host : "0.0.0.0", host != NULL && strchr(host, ':') ? "]" : "",
		    metrics_http_port(wm->http));
		free(host);
	}
	return wm;
}

void
watch_metrics_attach(struct watch_metrics *wm, struct engine *e, struct notifier *n,
    struct states *st)
{
	if (wm == NULL)
		return;
	pthread_mutex_lock(&wm->mu);
	wm->eng = e;
	wm->notify = n;
	wm->st = st;
	pthread_mutex_unlock(&wm->mu);
}

void
watch_metrics_ready(struct watch_metrics *wm, int r, const char *why)
{
	if (wm == NULL)
		return;
	pthread_mutex_lock(&wm->mu);
	wm->ready = r;
	free(wm->why);
	wm->why = xstrdup(why);
	pthread_mutex_unlock(&wm->mu);
}

void
watch_metrics_stop(struct watch_metrics *wm)
{
	if (wm == NULL)
		return;
	metrics_http_stop(wm->http);    /* joins its thread: no scrape after this */
	metrics_free(wm->m);
	pthread_mutex_destroy(&wm->mu);
	pthread_mutex_destroy(&wm->open_mu);
	free(wm->why);
	free(wm->store_err);
	free(wm->open);
	free(wm);
}

void
watch_metrics_store(struct watch_metrics *wm, const char *failing)
{
	if (wm == NULL)
		return;
	pthread_mutex_lock(&wm->mu);
	free(wm->store_err);
	wm->store_err = failing != NULL ? xstrdup(failing) : NULL;
	pthread_mutex_unlock(&wm->mu);
}

/* The open set: index of h, or where it goes (*found 0). */
static size_t
open_find(const struct watch_metrics *wm, uint64_t h, int *found)
{
	size_t lo = 0, hi = wm->nopen;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (wm->open[mid].h < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < wm->nopen && wm->open[lo].h == h;
	return lo;
}

void
watch_metrics_finding(struct watch_metrics *wm, const struct finding *f, int count)
{
	uint64_t h;
	size_t i;
	int found, open = f->status == ST_OPEN || f->status == ST_ACKNOWLEDGED;

	if (wm == NULL)
		return;
	h = tf_hash_str(f->id);
	pthread_mutex_lock(&wm->open_mu);
	i = open_find(wm, h, &found);
	if (open && !found) {
		wm->open = xreallocarray(wm->open, wm->nopen + 1, sizeof *wm->open);
		memmove(&wm->open[i + 1], &wm->open[i], (wm->nopen - i) * sizeof *wm->open);
		wm->open[i].h = h;
		wm->open[i].sev = f->severity;
		wm->nopen++;
		metric_gauge_add(metrics_get(wm->open_sev, severity_name(f->severity)), 1);
	} else if (!open && found) {
		metric_gauge_add(metrics_get(wm->open_sev, severity_name(wm->open[i].sev)), -1);
		memmove(&wm->open[i], &wm->open[i + 1], (wm->nopen - i - 1) * sizeof *wm->open);
		wm->nopen--;
	}
	pthread_mutex_unlock(&wm->open_mu);
	if (!count)
		return;
	if (f->status == ST_RESOLVED) {
		if (f->resolution != NULL)
			metric_inc(metrics_get(wm->resolutions,
			    resolution_reason_name(f->resolution->reason)));
	} else if (!found) {
		char *svc = watch_metrics_service(f->event_source);

		metric_inc(metrics_get(wm->findings, finding_kind_name(f->kind),
		    severity_name(f->severity), svc));
		metric_inc(metrics_get(wm->by_actor, f->actor.name != NULL && *f->actor.name ?
		    f->actor.name : "unknown"));
		free(svc);
	}
}
