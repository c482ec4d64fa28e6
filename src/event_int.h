/* event_int: what the event files share (event.c: the event and what one JSON value is;
 * event_aws.c: CloudTrail; event_gcp.c: Cloud Audit Logs; event_reader.c: streams of records);
 * no other module includes it. */
#ifndef TFDRIFT_EVENT_INT_H
#define TFDRIFT_EVENT_INT_H

#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <json-c/json.h>
#include "event.h"
#include "text.h"
#include "util.h"

#define TOK_DEPTH 256              /* json-c nesting limit for records */

/* What one JSON value is: an event (REC_OK, *ev filled), not an audit event (REC_SKIP), or
 * not even a record (REC_MALFORMED); *why says which. event_from_json without the
 * distinction the readers count. */
enum rec_rc { REC_OK = 0, REC_SKIP = -1, REC_MALFORMED = -2 };
int event_sniff_record(json_object *obj, struct event *ev, const char **why);
/* The same for a value whose text is known to need no repair (event_raw_read_only said
 * RAW_PLAIN of its bytes): the walk over every string that repair_text makes is left out. */
int event_sniff_record_text_ok(json_object *obj, struct event *ev, const char **why);
/* event_from_cloudtrail, with text_ok as above. */
int event_from_cloudtrail_text(json_object *obj, struct event *ev, const char **why, int text_ok);

/*
 * Decide from the raw bytes of one JSON value, without json-c, whether it is a CloudTrail
 * record whose TOP-LEVEL "readOnly" is true. The bytes are walked as strict JSON by jscan
 * (its top-level members one by one, every nested value skipped whole), so a nested
 * "readOnly": true (ECS mountPoints, for instance) never counts.
 *   RAW_READ_ONLY  certain: one JSON object, top-level eventName and eventSource (non-empty
 *                  strings), every top-level readOnly literally true, no escaped top-level
 *                  keys, none of the keys that make it another shape, and every string and
 *                  key plain text (jscan's plain_text: a record the full parse would repair,
 *                  and warn about, is never skipped unparsed). *time_ms (when not NULL) is
 *                  its event time as event_from_cloudtrail reads it (0 when none), for the
 *                  readers' --since/--until window.
 *   RAW_PLAIN      not read-only, but read whole as strict JSON of plain text: json-c's tree
 *                  of it needs no repair (event_sniff_record_text_ok).
 *   RAW_UNDECIDED  anything else: the full parse decides.
 */
enum raw_rc { RAW_UNDECIDED = 0, RAW_READ_ONLY = 1, RAW_PLAIN = 2 };
enum raw_rc event_raw_read_only(const char *s, size_t n, int64_t *time_ms);

/* ---- small json-c helpers (static inline: each event file uses some) ---- */

static inline json_object *
jget(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* A string member, or NULL when absent or not a string. */
static inline const char *
jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A non-empty string member, copied, or NULL. */
static inline char *
jdup(json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* 1 / 0 for a boolean or a "true"/"false" string member; -1 otherwise. */
static inline int
jbool(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	const char *s;

	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? 1 : 0;
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strcasecmp(s, "true") == 0)
			return 1;
		if (strcasecmp(s, "false") == 0)
			return 0;
	}
	return -1;
}

static inline void
set_why(const char **why, const char *s)
{
	if (why != NULL)
		*why = s;
}

static inline int
has_prefix(const char *s, const char *p)
{
	return s != NULL && strncmp(s, p, strlen(p)) == 0;
}

static inline int
has_suffix(const char *s, const char *p)
{
	return s != NULL && tf_str_has_suffix(s, p);
}

/*
 * Text is made valid here, when a record becomes an event, rather than at each output:
 * every consumer (the detector and its findings, rules, the store, notifications, the
 * dashboard, export) then sees valid UTF-8 without a NUL, and a new output cannot forget
 * it. Both cloud's records enter through event_from_cloudtrail (event_aws.c) and
 * event_from_logentry (event_gcp.c), whatever read them (files, LookupEvents, SQS, Cloud
 * Logging, Falco). The raw record is repaired too: it is kept as
 * JSON text (the dashboard's raw view and Y copy it, re-serialized by json-c, never byte for
 * byte), and JSON text cannot carry bytes that are not UTF-8 (RFC 8259, section 8.1). What
 * was repaired is counted in ev->repaired, and the readers report it, so the U+FFFD in a
 * value is never a mystery. The outputs still check their text (text_json_safe and
 * friends), for strings that never were an event's: states, the command line, old stores.
 */
static inline unsigned
repair_text(json_object *obj)
{
	size_t n = text_json_fix(obj);

	return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

#endif
