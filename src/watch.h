/* watch: `tfdrift watch`, the headless live mode (see watch.c). */
#ifndef TFDRIFT_WATCH_H
#define TFDRIFT_WATCH_H

#include <stdint.h>

#include "conf.h"
#include "engine.h"
#include "output.h"

/* What `tfdrift watch` was asked (src/cmd/cmd_watch.c reads its options). */
struct watch_opts {
	const char *config;             /* -c FILE, or NULL: the usual places */
	const char *store;              /* --store, or NULL: the configured one */
	const char *event_maps;         /* --event-maps, or NULL: the configured ones */
	enum out_format format;         /* OUT_JSONL or OUT_TEXT */
	int once;                       /* --once */
	int64_t once_timeout_ms;        /* --once's limit, 0: the configured once_timeout */
	int64_t since_ms, until_ms;     /* the backfill of the polled sources, 0: none */
	struct strlist states, events;  /* besides the configured ones */
	int64_t lease_ttl_ms;           /* --lease-ttl, 0: WATCH_LEASE_TTL_MS */
	const char *metrics;            /* --metrics ADDR, or NULL: the configured metrics.listen */
};

/* Workers on one store (engine_set_lease): a poller's lease lasts this long unless renewed,
 * and is renewed every half of it (the heartbeat), so another worker takes over within two
 * heartbeats of a worker's death. */
#define WATCH_LEASE_TTL_MS ENGINE_LEASE_TTL_MS

/* Runs the watch; returns the exit status (--once: 0 clean, 2 drift, 1 error). */
int watch_run(const struct watch_opts *o);

#endif
