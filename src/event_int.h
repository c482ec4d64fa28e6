/* event_int: what event.c (one record) and event_reader.c (streams of them) share; no other
 * module includes it. */
#ifndef TFDRIFT_EVENT_INT_H
#define TFDRIFT_EVENT_INT_H

#include <stddef.h>
#include <json-c/json.h>
#include "event.h"

#define TOK_DEPTH 256              /* json-c nesting limit for records */

/* What one JSON value is: an event (REC_OK, *ev filled), not an audit event (REC_SKIP), or
 * not even a record (REC_MALFORMED); *why says which. event_from_json without the
 * distinction the readers count. */
enum rec_rc { REC_OK = 0, REC_SKIP = -1, REC_MALFORMED = -2 };
int event_sniff_record(json_object *obj, struct event *ev, const char **why);

/*
 * Decide from the raw bytes of one JSON value, without json-c, whether it is a CloudTrail
 * record whose TOP-LEVEL "readOnly" is true. The bytes are validated as strict JSON with a
 * depth-aware state machine that honours strings and escapes, so a nested "readOnly": true
 * (ECS mountPoints, for instance) never counts. Returns 1 only when certain: one JSON object,
 * top-level eventName and eventSource (non-empty strings), every top-level readOnly literally
 * true, no escaped top-level keys and none of the keys that make it another shape. Anything
 * else returns 0 and goes through the full parse.
 */
int event_raw_read_only(const char *s, size_t n);

#endif
