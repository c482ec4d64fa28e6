/* watch_metrics: what `watch --metrics ADDR` exposes (doc/metrics.md lists every metric):
 * tfdrift's metric families on a registry (src/metrics.c), the numbers copied from where
 * they are kept at each scrape (the engine's per-source statuses and outcome counts, the
 * notifier's per-output counters, the states' rows, the queues), the findings counted as
 * watch hands them on, and the health and readiness /healthz and /readyz report
 * (src/metrics_http.c serves them).
 *
 * Label cardinality is bounded: sources, states, outputs, outcomes, kinds, severities and
 * resolution reasons come from the config and fixed enums; the service (from the event
 * source: ec2, compute, ...) is bounded by the event maps and capped at 200 series; the actor
 * label is capped at WATCH_METRICS_ACTORS series (the first actors seen), the rest counted
 * under actor="_other".
 *
 * Threads: the attach and ready calls come from watch's main thread, finding from the
 * engine thread, the scrape from libmicrohttpd's thread; a mutex guards the attached
 * pointers and the open set. */
#ifndef TFDRIFT_WATCH_METRICS_H
#define TFDRIFT_WATCH_METRICS_H

#include "engine.h"
#include "finding.h"
#include "notify.h"
#include "states.h"

#define WATCH_METRICS_ACTORS 50

struct watch_metrics;

/* Serve on addr (--metrics, `metrics: {listen:}`); NULL with *err. Says where on stderr. */
struct watch_metrics *watch_metrics_start(const char *addr, char **err);
/* What it reads at each scrape (any of them NULL until there is one). */
void watch_metrics_attach(struct watch_metrics *wm, struct engine *e, struct notifier *n,
    struct states *st);
/* Detach everything (before they are freed) and stop serving. NULL is a no-op. */
void watch_metrics_stop(struct watch_metrics *wm);
/* /readyz: ready (1) from now on, or not with why. */
void watch_metrics_ready(struct watch_metrics *wm, int ready, const char *why);
/* A finding watch handed on (engine thread): a new one is counted (kind, severity, service,
 * actor) and open; a resolved one counted by reason and no longer open; count 0: only
 * tracked as open (the store's, at start). NULL wm: nothing. */
void watch_metrics_finding(struct watch_metrics *wm, const struct finding *f, int count);

/* The store: failing (a copy: "unreachable since ...: N findings pending", reported as the
 * source "store" on /healthz) or healthy (NULL). NULL wm: nothing. */
void watch_metrics_store(struct watch_metrics *wm, const char *failing);

/* The service of an event source: "ec2.amazonaws.com" -> "ec2", "compute.googleapis.com"
 * -> "compute"; NULL or empty: "unknown". Heap. */
char *watch_metrics_service(const char *event_source);

#endif
