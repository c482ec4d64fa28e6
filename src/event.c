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

enum { ST_VALUE, ST_VALUE_OR_END, ST_KEY, ST_KEY_OR_END, ST_COLON, ST_AFTER, ST_END };
enum { K_OTHER, K_READONLY, K_NAME, K_SOURCE, K_TIME, K_VETO };

/* Index just past a JSON string starting at s[i] == '"', or 0 when it is not valid strict
 * JSON (bad escape, control character, unterminated) or when the full parse would repair it
 * (event_int.h, repair_text: bytes that are not UTF-8, \u0000, a surrogate escape), so that
 * such a record goes through the full parse and its warning is the same. *esc is set when it
 * has escapes. */
static size_t
scan_string(const char *s, size_t n, size_t i, int *esc)
{
	size_t b = i + 1;
	int high = 0;

	*esc = 0;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		unsigned u;

		if (c == '"')
			return high && !text_utf8_ok(s + b, i - b) ? 0 : i + 1;
		if (c < 0x20)
			return 0;
		high |= c >= 0x80;
		if (c == '\\') {
			*esc = 1;
			if (++i >= n)
				return 0;
			switch (s[i]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				break;
			case 'u':
				if (i + 4 >= n || tf_hexval(s[i + 1]) < 0 || tf_hexval(s[i + 2]) < 0 ||
				    tf_hexval(s[i + 3]) < 0 || tf_hexval(s[i + 4]) < 0)
					return 0;
				u = (unsigned)(tf_hexval(s[i + 1]) << 12 | tf_hexval(s[i + 2]) << 8 |
				    tf_hexval(s[i + 3]) << 4 | tf_hexval(s[i + 4]));
				if (u == 0 || (u >= 0xd800 && u <= 0xdfff))
					return 0;
				i += 4;
				break;
			default:
				return 0;
			}
		}
	}
	return 0;
}

/* Index just past a strict JSON number at s[i], or 0. */
static size_t
scan_number(const char *s, size_t n, size_t i)
{
	size_t d;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !isdigit((unsigned char)s[i]))
		return 0;
	if (s[i] == '0')
		i++;
	else
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i;
}

static int
key_kind(const char *k, size_t n)
{
	static const struct { const char *k; int kind; } keys[] = {
		{ "readOnly", K_READONLY }, { "eventName", K_NAME }, { "eventSource", K_SOURCE },
		{ "eventTime", K_TIME },
		/* shapes that event_from_json would read differently */
		{ "detail-type", K_VETO }, { "CloudTrailEvent", K_VETO }, { "protoPayload", K_VETO },
		{ "logName", K_VETO }, { "insertId", K_VETO }, { "Records", K_VETO },
		{ "Events", K_VETO }, { "entries", K_VETO },
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(keys); i++)
		if (strlen(keys[i].k) == n && memcmp(keys[i].k, k, n) == 0)
			return keys[i].kind;
	return K_OTHER;
}

/* The event time of a record event_raw_read_only decided on, as event_from_cloudtrail reads
 * it: the last top-level eventTime (json-c keeps the last of a repeated key) when it is a
 * string tf_parse_time reads, else 0. t is its span, quotes included, or NULL. */
static int64_t
raw_event_time(const char *t, size_t tn)
{
	char buf[RAW_TIME_MAX + 1];
	int64_t ms;

	if (t == NULL)
		return 0;
	memcpy(buf, t + 1, tn - 2);
	buf[tn - 2] = '\0';
	return tf_parse_time(buf, &ms) == 0 ? ms : 0;
}

/* The read-only fast path of the readers (event_int.h says what it promises). */
enum raw_rc
event_raw_read_only(const char *s, size_t n, int64_t *time_ms)
{
	uint64_t stk[(FAST_MAX_DEPTH + 63) / 64];   /* 1 bit per level: 1 object, 0 array */
	size_t i = 0, j, vb, tn = 0;
	const char *t = NULL;
	int depth = 0, st = ST_VALUE, esc = 0, kind = K_OTHER;
	int ro_true = 0, ro_other = 0, have_name = 0, have_src = 0;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
			i++;
		if (i >= n)
			break;
		switch (st) {
		case ST_VALUE_OR_END:
			if (s[i] == ']') {
				i++;
				depth--;
				st = depth == 0 ? ST_END : ST_AFTER;
				break;
			}
			st = ST_VALUE;
			/* FALLTHROUGH */
		case ST_VALUE:
			vb = i;
			if (s[i] == '{' || s[i] == '[') {
				if (depth == 0 && s[i] != '{')
					return 0;
				if (depth >= FAST_MAX_DEPTH)
					return 0;
				if (depth == 1 && kind != K_OTHER) {
					if (kind == K_READONLY)
						ro_other++;
					else if (kind == K_TIME)
						t = NULL;       /* not a string: no time */
					else if (kind != K_VETO)
						return 0;
				}
				if (s[i] == '{')
					stk[depth / 64] |= (uint64_t)1 << (depth % 64);
				else
					stk[depth / 64] &= ~((uint64_t)1 << (depth % 64));
				st = s[i] == '{' ? ST_KEY_OR_END : ST_VALUE_OR_END;
				depth++;
				i++;
				break;
			}
			if (depth == 0)
				return 0;
			if (s[i] == '"') {
				if ((j = scan_string(s, n, i, &esc)) == 0)
					return 0;
			} else if (n - i >= 4 && memcmp(s + i, "true", 4) == 0)
				j = i + 4;
			else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0)
				j = i + 5;
			else if (n - i >= 4 && memcmp(s + i, "null", 4) == 0)
				j = i + 4;
			else if ((j = scan_number(s, n, i)) == 0)
				return 0;
			if (depth == 1) {
				if (kind == K_READONLY) {
					if (j - vb == 4 && memcmp(s + vb, "true", 4) == 0)
						ro_true++;
					else
						ro_other++;
				} else if (kind == K_NAME || kind == K_SOURCE) {
					/* event_from_cloudtrail wants non-empty strings */
					if (s[vb] != '"' || j - vb <= 2)
						return 0;
					if (kind == K_NAME)
						have_name = 1;
					else
						have_src = 1;
				} else if (kind == K_TIME) {
					/* an escaped time is left to the full parse */
					if (s[vb] == '"' && esc)
						return 0;
					t = s[vb] == '"' ? s + vb : NULL;
					tn = j - vb;
				}
			}
			i = j;
			st = ST_AFTER;
			break;
		case ST_KEY_OR_END:
			if (s[i] == '}') {
				i++;
				depth--;
				st = depth == 0 ? ST_END : ST_AFTER;
				break;
			}
			/* FALLTHROUGH */
		case ST_KEY:
			if (s[i] != '"' || (j = scan_string(s, n, i, &esc)) == 0)
				return 0;
			if (depth == 1) {
				if (esc)
					return 0;
				kind = key_kind(s + i + 1, j - i - 2);
				if (kind == K_VETO)
					return 0;
			}
			i = j;
			st = ST_COLON;
			break;
		case ST_COLON:
			if (s[i] != ':')
				return 0;
			i++;
			st = ST_VALUE;
			break;
		case ST_AFTER: {
			int obj = (stk[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;

			if (s[i] == ',') {
				i++;
				st = obj ? ST_KEY : ST_VALUE;
			} else if ((s[i] == '}' && obj) || (s[i] == ']' && !obj)) {
				i++;
				depth--;
				st = depth == 0 ? ST_END : ST_AFTER;
			} else
				return 0;
			break;
		}
		case ST_END:
		default:
			return 0;
		}
	}
	if (st != ST_END)
		return RAW_UNDECIDED;
	/* Strict JSON, every string and key valid UTF-8 without NUL (scan_string). */
	if (ro_true == 0 || ro_other != 0 || !have_name || !have_src ||
	    (t != NULL && tn - 2 > RAW_TIME_MAX))
		return RAW_PLAIN;
	if (time_ms != NULL)
		*time_ms = raw_event_time(t, tn);
	return RAW_READ_ONLY;
}
