/* recparse: the per-record parse of a scan behind one small interface, so that candidate
 * parsers are measured doing the same job (bench_parse.c, doc/json-parsing.md): classify one
 * CloudTrail record (one JSON line, its bytes followed by at least RP_PADDING readable bytes)
 * as read-only (skipped: what scan counts and never detects) or kept, and for a kept record
 * fill the fields struct event needs. One file per implementation:
 *   recparse_jsonc.c       json-c alone ("jsonc"), and json-c after event.c's raw read-only
 *                          pre-scanner ("jsonc_prescan"): what tfdrift does
 *   recparse_simdjson.cpp  simdjson On-Demand (when configure found it): the classification
 *                          and the event's fields ("simdjson"), and its classification with a
 *                          json-c tree for the records kept ("simdjson_jsonc"), which the event
 *                          maps' paths (jpath.c on json_object) need */
#ifndef TFDRIFT_RECPARSE_H
#define TFDRIFT_RECPARSE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "event.h"

#define RP_PADDING 64           /* simdjson reads up to this past a value */

enum rp_rc { RP_KEPT = 0, RP_READ_ONLY = 1, RP_BAD = -1 };

struct rp_impl {
	const char *name;
	void *(*open)(void);
	/* One record: RP_READ_ONLY, RP_KEPT with *ev filled (freed with event_free), RP_BAD. */
	int (*record)(void *ctx, const char *s, size_t n, struct event *ev);
	void (*close)(void *ctx);
};

extern const struct rp_impl rp_jsonc, rp_jsonc_prescan;
extern const struct rp_impl rp_simdjson, rp_simdjson_jsonc;     /* HAVE_SIMDJSON only */

/* Shared by the implementations (recparse_jsonc.c): the json-c path for one record. */
int rp_jsonc_record(void *ctx, const char *s, size_t n, struct event *ev);

#ifdef __cplusplus
}
#endif

#endif
