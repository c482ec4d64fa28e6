/* metrics_http: the HTTP side of `watch --metrics ADDR`, served by libmicrohttpd on its own
 * thread: GET /metrics (the registry in the Prometheus text format 0.0.4), /healthz (200, or
 * 503 with a JSON body naming every failing source and state and why) and /readyz (200 once
 * the states are loaded and the sources started, else 503 saying what it waits for). Any
 * other path is 404, any other method 405. */
#ifndef TFDRIFT_METRICS_HTTP_H
#define TFDRIFT_METRICS_HTTP_H

#include <json-c/json.h>

#include "metrics.h"

struct metrics_http_cb {
	struct metrics *m;
	/* Add "name": "reason" to sources and states for each failing one. Any thread. */
	void (*health)(void *ctx, json_object *sources, json_object *states);
	/* 1 ready; else 0 with *why (heap). Any thread. */
	int (*ready)(void *ctx, char **why);
	void *ctx;
};

struct metrics_http;
/* Listen on addr and serve. NULL with *err ("cannot listen on 127.0.0.1:9464: Address already
 * in use"). The callbacks' ctx must outlive the server. */
struct metrics_http *metrics_http_start(const char *addr, const struct metrics_http_cb *cb,
    char **err);
/* The port listened on (the one chosen for port 0). */
unsigned metrics_http_port(const struct metrics_http *h);
void metrics_http_stop(struct metrics_http *h);

#endif
