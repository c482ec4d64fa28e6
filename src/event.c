/* event: the one normalized audit event both clouds share (struct event and its actor: copies,
 * JSON, freeing), how a change was made ("via", from a user agent), what one JSON value is
 * (event_sniff_record: CloudTrail record, EventBridge envelope, LookupEvents event, LogEntry,
 * container) and the raw read-only test the readers use as a fast path. One cloud's record
 * becomes an event in event_aws.c (CloudTrail) or event_gcp.c (Cloud Audit Logs); the readers
 * are event_reader.c; event_int.h is what they share.
 *
 * Nothing here keeps global mutable state. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_int.h"
#include "jscan.h"
#include "util.h"

#define FAST_MAX_DEPTH 192         /* the raw scanner gives up (undecided) below json-c's limit */
#define RAW_TIME_MAX 63            /* a longer eventTime is left to the full parse */

const char *
tf_provider_name(enum tf_provider p)
{
	switch (p) {
	case PROV_AWS: return "aws";
	case PROV_GCP: return "gcp";
	default: return "unknown";
	}
}

const char *
tf_via_name(enum tf_via v)
{
	switch (v) {
	case VIA_CONSOLE: return "console";
	case VIA_CLI: return "cli";
	case VIA_SDK: return "sdk";
	case VIA_TERRAFORM: return "terraform";
	case VIA_SERVICE: return "service";
	default: return "unknown";
	}
}

const char *
ev_format_name(enum ev_format f)
{
	switch (f) {
	case EVF_CT_RECORDS: return "cloudtrail-records";
	case EVF_LOOKUP: return "lookup-events";
	case EVF_GCP_ENTRIES: return "gcp-entries";
	case EVF_JSON_ARRAY: return "json-array";
	case EVF_JSON_LINES: return "json-lines";
	case EVF_SINGLE: return "single";
	default: return "unknown";
	}
}

void
actor_copy(struct actor *dst, const struct actor *src)
{
	dst->principal = xstrdup(src->principal);
	dst->name = xstrdup(src->name);
	dst->type = xstrdup(src->type);
	dst->role = xstrdup(src->role);
	dst->session = xstrdup(src->session);
	dst->account = xstrdup(src->account);
	dst->invoked_by = xstrdup(src->invoked_by);
	dst->delegation = xstrdup(src->delegation);
	dst->via = src->via;
}

static json_object *
jstr_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

json_object *
actor_to_json(const struct actor *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "principal", jstr_or_null(a->principal));
	json_object_object_add(o, "name", jstr_or_null(a->name));
	json_object_object_add(o, "type", jstr_or_null(a->type));
	json_object_object_add(o, "account", jstr_or_null(a->account));
	json_object_object_add(o, "role", jstr_or_null(a->role));
	json_object_object_add(o, "session", jstr_or_null(a->session));
	json_object_object_add(o, "via", json_object_new_string(tf_via_name(a->via)));
	if (a->invoked_by != NULL)
		json_object_object_add(o, "invoked_by", json_object_new_string(a->invoked_by));
	if (a->delegation != NULL)
		json_object_object_add(o, "delegation", json_object_new_string(a->delegation));
	return o;
}

void
actor_clear(struct actor *a)
{
	free(a->principal);
	free(a->name);
	free(a->type);
	free(a->role);
	free(a->session);
	free(a->account);
	free(a->invoked_by);
	free(a->delegation);
	memset(a, 0, sizeof *a);
}

void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	free(ev->id);
	free(ev->source);
	free(ev->name);
	free(ev->region);
	free(ev->account);
	actor_clear(&ev->actor);
	free(ev->source_ip);
	free(ev->user_agent);
	free(ev->error_code);
	free(ev->error_message);
	free(ev->resource_name);
	free(ev->operation_id);
	free(ev->event_type);
	json_object_put(ev->raw);
	free(ev->origin);
	memset(ev, 0, sizeof *ev);
}

/* Everything but the JSON. */
static void
copy_fields(struct event *dst, const struct event *src)
{
	memset(dst, 0, sizeof *dst);
	dst->provider = src->provider;
	dst->id = xstrdup(src->id);
	dst->time_ms = src->time_ms;
	dst->source = xstrdup(src->source);
	dst->name = xstrdup(src->name);
	dst->region = xstrdup(src->region);
	dst->account = xstrdup(src->account);
	actor_copy(&dst->actor, &src->actor);
	dst->source_ip = xstrdup(src->source_ip);
	dst->user_agent = xstrdup(src->user_agent);
	dst->read_only = src->read_only;
	dst->error_code = xstrdup(src->error_code);
	dst->error_message = xstrdup(src->error_message);
	dst->resource_name = xstrdup(src->resource_name);
	dst->operation_id = xstrdup(src->operation_id);
	dst->op_first = src->op_first;
	dst->op_last = src->op_last;
	dst->event_type = xstrdup(src->event_type);
	dst->origin = xstrdup(src->origin);
	dst->repaired = src->repaired;
}

void
event_clone(struct event *dst, const struct event *src)
{
	copy_fields(dst, src);
	dst->raw = json_object_get(src->raw);
	dst->record = src->record;   /* inside raw, which we now hold */
}

void
event_clone_deep(struct event *dst, const struct event *src)
{
	copy_fields(dst, src);
	if (src->raw == NULL)
		return;
	if (json_object_deep_copy(src->raw, &dst->raw, NULL) != 0)
		tf_fatal("out of memory copying an event");
	if (src->record == src->raw) {
		dst->record = dst->raw;
		return;
	}
	/* The record is a member of raw (a LogEntry's protoPayload): the same member of the copy. */
	json_object_object_foreach(src->raw, key, val) {
		if (val == src->record) {
			json_object_object_get_ex(dst->raw, key, &dst->record);
			break;
		}
	}
}

/* ---- via: how a change was made ---- */

/* The user agent without S3's [brackets] and Google's ",gzip(gfe)" transport suffixes. */
static char *
ua_normalize(const char *ua)
{
	size_t len;
	char *s;

	while (isspace((unsigned char)*ua))
		ua++;
	if (*ua == '[')
		ua++;
	s = xstrdup(ua);
	len = strlen(s);
	for (;;) {
		while (len > 0 && (isspace((unsigned char)s[len - 1]) || s[len - 1] == ']' ||
		    s[len - 1] == ','))
			len--;
		s[len] = '\0';
		if (tf_str_has_suffix(s, "gzip(gfe)"))
			len -= strlen("gzip(gfe)");
		else if (tf_str_has_suffix(s, "(gzip)"))
			len -= strlen("(gzip)");
		else
			break;
	}
	return s;
}

static int
ua_is_terraform(const char *ua)
{
	return strstr(ua, "Terraform/") != NULL || strstr(ua, "terraform-provider-") != NULL ||
	    strstr(ua, "OpenTofu") != NULL;
}

/* AWS console front ends: console.amazonaws.com, console.ec2.amazonaws.com, signin.amazonaws.com,
 * "S3Console/0.4, aws-internal/3 ...", "RDS Console, aws-internal/3", "EC2ConsoleFrontend, ...",
 * and browsers calling AWS APIs directly from the console. */
static int
ua_is_aws_console(const char *ua)
{
	if (has_prefix(ua, "console.") && has_suffix(ua, ".amazonaws.com"))
		return 1;
	if (strcmp(ua, "signin.amazonaws.com") == 0 || has_prefix(ua, "Mozilla"))
		return 1;
	return strstr(ua, "Console") != NULL && strstr(ua, "aws-cli") == NULL;
}

/*
 * Classify a user agent alone (records add more signals in actor_resolve_*):
 *   terraform  "Terraform/", "terraform-provider-", "OpenTofu"
 *   console    AWS console front ends (see ua_is_aws_console); GCP "Mozilla/..." browsers
 *   cli        "aws-cli/"; "google-cloud-sdk", "gcloud/", "command/gcloud.", "gsutil/"
 *   service    AWS: "AWS Internal", "aws-internal/3 ...", "<svc>.amazonaws.com"
 *   sdk        any other agent (aws-sdk-*, Boto3, botocore, google-api-*, Go-http-client ...)
 *   unknown    none, empty, or "(none supplied)"
 */
enum tf_via
via_from_user_agent(enum tf_provider p, const char *ua)
{
	enum tf_via v;
	char *s;

	if (ua == NULL)
		return VIA_UNKNOWN;
	s = ua_normalize(ua);
	if (*s == '\0' || strcmp(s, "(none supplied)") == 0)
		v = VIA_UNKNOWN;
	else if (ua_is_terraform(s))
		v = VIA_TERRAFORM;
	else if (p == PROV_GCP) {
		if (has_prefix(s, "Mozilla/"))
			v = VIA_CONSOLE;
		else if (strstr(s, "google-cloud-sdk") != NULL || strstr(s, "gcloud/") != NULL ||
		    strstr(s, "command/gcloud.") != NULL || strstr(s, "gsutil/") != NULL)
			v = VIA_CLI;
		else
			v = VIA_SDK;
	} else {
		if (ua_is_aws_console(s))
			v = VIA_CONSOLE;
		else if (has_prefix(s, "aws-cli/"))
			v = VIA_CLI;
		else if (strcmp(s, "AWS Internal") == 0 || strstr(s, "aws-internal/") != NULL ||
		    has_suffix(s, ".amazonaws.com"))
			v = VIA_SERVICE;
		else
			v = VIA_SDK;
	}
	free(s);
	return v;
}

/* ---- sniffing one value ---- */

static int
is_array_member(json_object *o, const char *key)
{
	return json_object_is_type(jget(o, key), json_type_array);
}

/* A container of records rather than a record: {"Records":[...]}, {"Events":[...]},
 * {"entries":[...]}. Returns the array or NULL. */
static json_object *
container_array(json_object *o, enum ev_format *fmt)
{
	if (jget(o, "eventName") != NULL || jget(o, "protoPayload") != NULL)
		return NULL;
	if (is_array_member(o, "Records")) {
		*fmt = EVF_CT_RECORDS;
		return jget(o, "Records");
	}
	if (is_array_member(o, "Events")) {
		*fmt = EVF_LOOKUP;
		return jget(o, "Events");
	}
	if (is_array_member(o, "entries")) {
		*fmt = EVF_GCP_ENTRIES;
		return jget(o, "entries");
	}
	return NULL;
}

/* A LookupEvents event: the record is the JSON string CloudTrailEvent; ReadOnly is a string. */
static int
from_lookup(json_object *obj, struct event *ev, const char **why)
{
	json_object *cte = jget(obj, "CloudTrailEvent"), *inner;
	const char *s;
	int rc, ro;

	if (json_object_is_type(cte, json_type_object))
		inner = json_object_get(cte);
	else if (json_object_is_type(cte, json_type_string)) {
		json_tokener *tok = json_tokener_new_ex(TOK_DEPTH);
		size_t len = (size_t)json_object_get_string_len(cte);

		s = json_object_get_string(cte);
		inner = len < INT_MAX ? json_tokener_parse_ex(tok, s, (int)len + 1) : NULL;
		if (inner != NULL && json_tokener_get_parse_end(tok) < len) {
			size_t i;

			for (i = json_tokener_get_parse_end(tok); i < len; i++)
				if (!isspace((unsigned char)s[i]))
					break;
			if (i < len) {
				json_object_put(inner);
				inner = NULL;
			}
		}
		json_tokener_free(tok);
		if (inner == NULL) {
			set_why(why, "CloudTrailEvent is not valid JSON");
			return REC_MALFORMED;
		}
	} else {
		set_why(why, "CloudTrailEvent is not a JSON string");
		return REC_MALFORMED;
	}
	rc = event_from_cloudtrail(inner, ev, why);
	if (rc == 0) {
		if (jbool(inner, "readOnly") < 0 && (ro = jbool(obj, "ReadOnly")) >= 0)
			ev->read_only = ro;
		if (ev->id == NULL)
			ev->id = jdup(obj, "EventId");
	}
	json_object_put(inner);
	return rc == 0 ? REC_OK : REC_SKIP;
}

static int
is_cloudtrail_detail_type(const char *dt)
{
	return strcmp(dt, "AWS API Call via CloudTrail") == 0 ||
	    strcmp(dt, "AWS Console Action via CloudTrail") == 0 ||
	    strcmp(dt, "AWS Service Event via CloudTrail") == 0;
}

static int
sniff(json_object *obj, struct event *ev, const char **why, int text_ok)
{
	const char *dt;
	enum ev_format f;

	memset(ev, 0, sizeof *ev);
	if (!json_object_is_type(obj, json_type_object)) {
		set_why(why, "record is not a JSON object");
		return REC_MALFORMED;
	}
	if ((dt = jstr(obj, "detail-type")) != NULL && jget(obj, "detail") != NULL) {
		if (!is_cloudtrail_detail_type(dt)) {
			set_why(why, "EventBridge event is not a CloudTrail API call, console action or service event");
			return REC_SKIP;
		}
		if (!json_object_is_type(jget(obj, "detail"), json_type_object)) {
			set_why(why, "EventBridge detail is not a JSON object");
			return REC_MALFORMED;
		}
		return event_from_cloudtrail(jget(obj, "detail"), ev, why) == 0 ? REC_OK : REC_SKIP;
	}
	if (jget(obj, "CloudTrailEvent") != NULL)
		return from_lookup(obj, ev, why);
	if (jget(obj, "protoPayload") != NULL || jget(obj, "logName") != NULL ||
	    (jget(obj, "insertId") != NULL && (jget(obj, "textPayload") != NULL ||
	    jget(obj, "jsonPayload") != NULL || jget(obj, "resource") != NULL)))
		return event_from_logentry(obj, ev, why) == 0 ? REC_OK : REC_SKIP;
	if (jget(obj, "eventName") != NULL || jget(obj, "eventSource") != NULL ||
	    jget(obj, "eventVersion") != NULL || jget(obj, "userIdentity") != NULL)
		return event_from_cloudtrail_text(obj, ev, why, text_ok) == 0 ? REC_OK : REC_SKIP;
	if (container_array(obj, &f) != NULL) {
		set_why(why, "a container of records, not a record (read it with ev_reader)");
		return REC_SKIP;
	}
	set_why(why, "neither a CloudTrail record nor a Cloud Logging entry");
	return REC_SKIP;
}

int
event_sniff_record(json_object *obj, struct event *ev, const char **why)
{
	return sniff(obj, ev, why, 0);
}

int
event_sniff_record_text_ok(json_object *obj, struct event *ev, const char **why)
{
	return sniff(obj, ev, why, 1);
}

int
event_from_json(json_object *obj, struct event *ev, const char **why)
{
	return event_sniff_record(obj, ev, why) == REC_OK ? 0 : -1;
}

/* ---- fast read-only test on raw JSON lines ---- */

enum { K_OTHER, K_READONLY, K_NAME, K_SOURCE, K_TIME, K_VETO };

/* Every top-level key of every record is looked up: lengths first, no strlen. */
#define KEY(k, kind) { k, sizeof k - 1, kind }

static int
key_kind(const char *k, size_t n)
{
	static const struct { const char *k; size_t n; int kind; } keys[] = {
		KEY("readOnly", K_READONLY), KEY("eventName", K_NAME), KEY("eventSource", K_SOURCE),
		KEY("eventTime", K_TIME),
		/* shapes that event_from_json would read differently */
		KEY("detail-type", K_VETO), KEY("CloudTrailEvent", K_VETO), KEY("protoPayload", K_VETO),
		KEY("logName", K_VETO), KEY("insertId", K_VETO), KEY("Records", K_VETO),
		KEY("Events", K_VETO), KEY("entries", K_VETO),
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(keys); i++)
		if (keys[i].n == n && memcmp(keys[i].k, k, n) == 0)
			return keys[i].kind;
	return K_OTHER;
}

#undef KEY

/* The event time of a record event_raw_read_only decided on, as event_from_cloudtrail reads
 * it: the last top-level eventTime (json-c keeps the last of a repeated key) when it is a
 * string tf_parse_time reads, else 0. t is its raw text (no escapes), or NULL. */
static int64_t
raw_event_time(const struct jscan_str *t)
{
	char buf[RAW_TIME_MAX + 1];
	int64_t ms;

	if (t == NULL)
		return 0;
	memcpy(buf, t->p, t->n);
	buf[t->n] = '\0';
	return tf_parse_time(buf, &ms) == 0 ? ms : 0;
}

/*
 * The read-only fast path of the readers (event_int.h says what it promises), on jscan: the
 * top-level members are read one by one, every nested value skipped (and checked) whole, and
 * every string and key must be plain text (jscan's plain_text), so a record decided on is one
 * json-c reads the same way and whose text needs no repair.
 */
enum raw_rc
event_raw_read_only(const char *b, size_t n, int64_t *time_ms)
{
	struct jscan s;
	struct jscan_it it;
	struct jscan_str k, v, t;
	enum jscan_type ty;
	int r, ro_true = 0, ro_other = 0, have_name = 0, have_src = 0, have_t = 0;

	jscan_init(&s, b, n);
	s.max_depth = FAST_MAX_DEPTH;
	s.plain_text = 1;
	if (jscan_peek(&s) != JSCAN_OBJECT || jscan_object_begin(&s, &it) != 0)
		return RAW_UNDECIDED;
	while ((r = jscan_object_next(&s, &it, &k)) == 1) {
		int kind;

		if (k.esc)
			return RAW_UNDECIDED;
		kind = key_kind(k.p, k.n);
		ty = jscan_peek(&s);
		switch (kind) {
		case K_VETO:
			return RAW_UNDECIDED;
		case K_READONLY:
			if (ty == JSCAN_TRUE)
				ro_true++;
			else
				ro_other++;
			break;
		case K_NAME:
		case K_SOURCE:
			/* event_from_cloudtrail wants non-empty strings */
			if (ty != JSCAN_STRING || jscan_string(&s, &v) != 0 || v.n == 0)
				return RAW_UNDECIDED;
			if (kind == K_NAME)
				have_name = 1;
			else
				have_src = 1;
			continue;
		case K_TIME:
			have_t = 0;             /* not a string: no time */
			if (ty != JSCAN_STRING)
				break;
			/* an escaped time is left to the full parse */
			if (jscan_string(&s, &t) != 0 || t.esc)
				return RAW_UNDECIDED;
			have_t = 1;
			continue;
		default:
			break;
		}
		if (jscan_skip(&s, NULL, NULL) != 0)
			return RAW_UNDECIDED;
	}
	if (r != 0 || !jscan_at_end(&s))
		return RAW_UNDECIDED;
	/* Strict JSON, every string and key plain text. */
	if (ro_true == 0 || ro_other != 0 || !have_name || !have_src ||
	    (have_t && t.n > RAW_TIME_MAX))
		return RAW_PLAIN;
	if (time_ms != NULL)
		*time_ms = raw_event_time(have_t ? &t : NULL);
	return RAW_READ_ONLY;
}
