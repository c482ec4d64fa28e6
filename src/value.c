/* value: value transforms that turn an event's value and the state's value into one canonical
 * JSON form each, so equality means "Terraform would see no change": scalar types, JSON policy
 * documents, sets, tags/labels/metadata maps, GCP URLs, security-group and firewall rules.
 *
 * Inputs are borrowed and only read: state objects are shared between threads, so nothing here
 * takes references on them or asks json-c for the cached text of a number (that writes into the
 * object). Outputs are fresh trees owned by the caller. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "value.h"

#define REDACTED_MARK "(not logged)"    /* what the event side of VT_REDACTED gives */

static const char *const vt_names[VT__COUNT] = {
	[VT_STRING] = "string",
	[VT_BOOL] = "bool",
	[VT_INT] = "int",
	[VT_NUMBER] = "number",
	[VT_JSON] = "json",
	[VT_POLICY] = "policy",
	[VT_STRING_SET] = "string_set",
	[VT_TAGS] = "tags",
	[VT_LABELS] = "labels",
	[VT_BASENAME] = "basename",
	[VT_GCP_PATH] = "gcp_path",
	[VT_SG_RULES] = "sg_rules",
	[VT_GCP_FW_RULES] = "gcp_fw_rules",
	[VT_GCP_METADATA] = "gcp_metadata",
	[VT_REDACTED] = "redacted",
	[VT_DNS_NAME] = "dns_name",
	[VT_NAME_VALUES] = "name_value_set",
};

const char *
val_transform_name(enum val_transform t)
{
	if ((int)t < 0 || t >= VT__COUNT)
		return "unknown";
	return vt_names[t];
}

int
val_transform_parse(const char *name, enum val_transform *out)
{
	int i;

	if (name == NULL)
		return -1;
	for (i = 0; i < VT__COUNT; i++) {
		if (strcmp(name, vt_names[i]) == 0) {
			*out = (enum val_transform)i;
			return 0;
		}
	}
	return -1;
}

int
val_transform_is_set(enum val_transform t)
{
	return t == VT_STRING_SET || t == VT_SG_RULES || t == VT_GCP_FW_RULES ||
	    t == VT_NAME_VALUES;
}

/* ---- small helpers ---- */

/* Shortest "%.*g" text that reads back as the same double. */
static void
double_text(double d, char out[40])
{
	int prec;

	if (!isfinite(d)) {
		snprintf(out, 40, "null");
		return;
	}
	if (d == floor(d) && fabs(d) < 9007199254740992.0) {
		snprintf(out, 40, "%.0f", d);
		if (strcmp(out, "-0") == 0)
			snprintf(out, 40, "0");
		return;
	}
	for (prec = 1; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

/* Text of an integer object, including json-c's unsigned range above INT64_MAX. */
static void
int_text(json_object *v, char out[40])
{
	int64_t i = json_object_get_int64(v);

	if (i == INT64_MAX)
		snprintf(out, 40, "%" PRIu64, json_object_get_uint64(v));
	else
		snprintf(out, 40, "%" PRId64, i);
}

/* A scalar's text into buf (numbers, bools) or borrowed from the string; NULL for others. */
static const char *
scalar_text(json_object *v, char buf[40])
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		return json_object_get_string(v);
	case json_type_int:
		int_text(v, buf);
		return buf;
	case json_type_double:
		double_text(json_object_get_double(v), buf);
		return buf;
	case json_type_boolean:
		return json_object_get_boolean(v) ? "true" : "false";
	default:
		return NULL;
	}
}

/* EC2 wraps attribute values as {"value": X}: unwrap an object whose only key is "value". */
static json_object *
unwrap_value(json_object *v)
{
	json_object *in;

	while (json_object_is_type(v, json_type_object) && json_object_object_length(v) == 1 &&
	    json_object_object_get_ex(v, "value", &in))
		v = in;
	return v;
}

/* Case-insensitive key lookup (event shapes vary between ipProtocol and IpProtocol). */
static json_object *
get_ci(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_is_type(o, json_type_object))
		return NULL;
	if (json_object_object_get_ex(o, key, &v))
		return v;
	json_object_object_foreach(o, k, val) {
		if (strcasecmp(k, key) == 0)
			return val;
	}
	return NULL;
}

/* EC2 lists are {"items":[...]}; an empty one is {}. Returns the array, the object itself when
 * it is a lone element, or NULL for nothing. */
static json_object *
ec2_list(json_object *v)
{
	json_object *items;

	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_array))
		return v;
	if (json_object_is_type(v, json_type_object)) {
		if ((items = get_ci(v, "items")) != NULL && json_object_is_type(items, json_type_array))
			return items;
		if (json_object_object_length(v) == 0)
			return NULL;
	}
	return v;
}

/* Iterate a value as a list: arrays by element, anything else as one element. */
static size_t
list_len(json_object *v)
{
	if (v == NULL)
		return 0;
	return json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 1;
}

static json_object *
list_get(json_object *v, size_t i)
{
	return json_object_is_type(v, json_type_array) ? json_object_array_get_idx(v, i) : v;
}

/* Parse text as JSON; NULL unless the whole text is one JSON value. */
static json_object *
parse_json(const char *s, size_t len)
{
	struct json_tokener *tok;
	json_object *o;

	if (len > INT32_MAX)
		return NULL;
	tok = json_tokener_new_ex(64);
	if (tok == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* ---- string lists ---- */

struct svec {
	char **v;
	size_t n, cap;
};

static void
svec_add(struct svec *s, char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	s->v[s->n++] = str;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, unique JSON array of strings; frees the vector. */
static json_object *
svec_to_set(struct svec *s)
{
	json_object *arr = json_object_new_array();
	size_t i;

	if (s->n > 0)
		qsort(s->v, s->n, sizeof *s->v, cmp_str);
	for (i = 0; i < s->n; i++)
		if (i == 0 || strcmp(s->v[i], s->v[i - 1]) != 0)
			json_object_array_add(arr, json_object_new_string(s->v[i]));
	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
	return arr;
}

/* ---- canonical copies and serialization ---- */

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of an object, sorted (heap array of borrowed strings). */
static const char **
sorted_keys(json_object *o, size_t *n)
{
	const char **keys;
	size_t i = 0;

	*n = (size_t)json_object_object_length(o);
	keys = xcalloc(*n + 1, sizeof *keys);
	json_object_object_foreach(o, k, v) {
		(void)v;
		keys[i++] = k;
	}
	*n = i;
	qsort(keys, *n, sizeof *keys, cmp_cstr);
	return keys;
}

static json_object *
new_double(double d)
{
	char buf[40];

	if (!isfinite(d))
		return NULL;
	if (d == floor(d) && fabs(d) < 9007199254740992.0)
		return json_object_new_int64((int64_t)d);
	double_text(d, buf);
	return json_object_new_double_s(d, buf);
}

/* A fresh copy with object keys inserted in sorted order (so json-c prints them sorted). */
static json_object *
canon_copy(json_object *v)
{
	json_object *out;
	const char **keys;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		return NULL;
	case json_type_boolean:
		return json_object_new_boolean(json_object_get_boolean(v));
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX)
			return json_object_new_uint64(json_object_get_uint64(v));
		return json_object_new_int64(json_object_get_int64(v));
	case json_type_double:
		return new_double(json_object_get_double(v));
	case json_type_string:
		return json_object_new_string_len(json_object_get_string(v),
		    json_object_get_string_len(v));
	case json_type_array:
		out = json_object_new_array();
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			json_object_array_add(out, canon_copy(json_object_array_get_idx(v, i)));
		return out;
	case json_type_object:
		out = json_object_new_object();
		keys = sorted_keys(v, &n);
		for (i = 0; i < n; i++) {
			json_object *c = NULL;

			json_object_object_get_ex(v, keys[i], &c);
			json_object_object_add(out, keys[i], canon_copy(c));
		}
		free(keys);
		return out;
	}
	return NULL;
}

static void
sb_json_string(struct strbuf *sb, const char *s, size_t len)
{
	size_t i;

	sb_addc(sb, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		switch (c) {
		case '"': sb_adds(sb, "\\\""); break;
		case '\\': sb_adds(sb, "\\\\"); break;
		case '\n': sb_adds(sb, "\\n"); break;
		case '\r': sb_adds(sb, "\\r"); break;
		case '\t': sb_adds(sb, "\\t"); break;
		case '\b': sb_adds(sb, "\\b"); break;
		case '\f': sb_adds(sb, "\\f"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				sb_addf(sb, "\\u%04x", c);
			else
				sb_addc(sb, (char)c);
		}
	}
	sb_addc(sb, '"');
}

static void
indent(struct strbuf *sb, int pretty, int depth)
{
	int i;

	if (!pretty)
		return;
	sb_addc(sb, '\n');
	for (i = 0; i < depth; i++)
		sb_adds(sb, "  ");
}

/* Sorted-key JSON text; compact or indented by two spaces. */
static void
emit(struct strbuf *sb, json_object *v, int pretty, int depth)
{
	char buf[40];
	const char **keys;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_null:
		sb_adds(sb, "null");
		return;
	case json_type_boolean:
	case json_type_int:
	case json_type_double:
		sb_adds(sb, scalar_text(v, buf));
		return;
	case json_type_string:
		sb_json_string(sb, json_object_get_string(v), json_object_get_string_len(v));
		return;
	case json_type_array:
		n = json_object_array_length(v);
		if (n == 0) {
			sb_adds(sb, "[]");
			return;
		}
		sb_addc(sb, '[');
		for (i = 0; i < n; i++) {
			if (i > 0)
				sb_addc(sb, ',');
			indent(sb, pretty, depth + 1);
			emit(sb, json_object_array_get_idx(v, i), pretty, depth + 1);
		}
		indent(sb, pretty, depth);
		sb_addc(sb, ']');
		return;
	case json_type_object:
		keys = sorted_keys(v, &n);
		if (n == 0) {
			free(keys);
			sb_adds(sb, "{}");
			return;
		}
		sb_addc(sb, '{');
		for (i = 0; i < n; i++) {
			json_object *c = NULL;

			if (i > 0)
				sb_addc(sb, ',');
			indent(sb, pretty, depth + 1);
			sb_json_string(sb, keys[i], strlen(keys[i]));
			sb_adds(sb, pretty ? ": " : ":");
			json_object_object_get_ex(v, keys[i], &c);
			emit(sb, c, pretty, depth + 1);
		}
		free(keys);
		indent(sb, pretty, depth);
		sb_addc(sb, '}');
		return;
	}
}

char *
val_to_string(json_object *v)
{
	struct strbuf sb;

	sb_init(&sb);
	emit(&sb, v, 0, 0);
	return sb_detach(&sb);
}

char *
val_to_pretty(json_object *v)
{
	struct strbuf sb;

	sb_init(&sb);
	emit(&sb, v, 1, 0);
	return sb_detach(&sb);
}

/* ---- equality and set difference ---- */

static int
num_equal(json_object *a, json_object *b)
{
	if (json_object_is_type(a, json_type_int) && json_object_is_type(b, json_type_int)) {
		int64_t x = json_object_get_int64(a), y = json_object_get_int64(b);

		if (x == INT64_MAX && y == INT64_MAX)
			return json_object_get_uint64(a) == json_object_get_uint64(b);
		return x == y;
	}
	return json_object_get_double(a) == json_object_get_double(b);
}

int
val_equal(json_object *a, json_object *b)
{
	enum json_type ta, tb;
	size_t i, n;

	if (a == NULL || b == NULL)
		return a == b;
	ta = json_object_get_type(a);
	tb = json_object_get_type(b);
	if ((ta == json_type_int || ta == json_type_double) &&
	    (tb == json_type_int || tb == json_type_double))
		return num_equal(a, b);
	if (ta != tb)
		return 0;
	switch (ta) {
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		    memcmp(json_object_get_string(a), json_object_get_string(b),
		    (size_t)json_object_get_string_len(a)) == 0;
	case json_type_array:
		n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return 0;
		for (i = 0; i < n; i++)
			if (!val_equal(json_object_array_get_idx(a, i), json_object_array_get_idx(b, i)))
				return 0;
		return 1;
	case json_type_object:
		if (json_object_object_length(a) != json_object_object_length(b))
			return 0;
		json_object_object_foreach(a, k, va) {
			json_object *vb;

			if (!json_object_object_get_ex(b, k, &vb))
				return 0;
			if (!val_equal(va, vb))
				return 0;
		}
		return 1;
	default:
		return 1;
	}
}

json_object *
val_set_minus(json_object *a, json_object *b)
{
	json_object *out;
	size_t i, j, n, nb;

	if (a == NULL)
		return NULL;
	if (json_object_is_type(a, json_type_object)) {
		out = json_object_new_object();
		json_object_object_foreach(a, k, va) {
			json_object *vb = NULL;

			if (json_object_is_type(b, json_type_object) &&
			    json_object_object_get_ex(b, k, &vb) && val_equal(va, vb))
				continue;
			json_object_object_add(out, k, canon_copy(va));
		}
		return out;
	}
	out = json_object_new_array();
	n = list_len(a);
	nb = list_len(b);
	for (i = 0; i < n; i++) {
		json_object *m = list_get(a, i);

		for (j = 0; j < nb; j++)
			if (val_equal(m, list_get(b, j)))
				break;
		if (j == nb)
			json_object_array_add(out, canon_copy(m));
	}
	return out;
}

/* ---- scalar transforms ---- */

static json_object *
to_string(json_object *v)
{
	char buf[40];
	const char *s;

	v = unwrap_value(v);
	if (v == NULL || (s = scalar_text(v, buf)) == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string))
		return json_object_new_string_len(s, json_object_get_string_len(v));
	return json_object_new_string(s);
}

static json_object *
to_bool(json_object *v)
{
	const char *s;

	v = unwrap_value(v);
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return json_object_new_boolean(json_object_get_boolean(v));
	case json_type_string:
		/* S3 logs versioning and MFA delete as Enabled / Suspended / Disabled. */
		s = json_object_get_string(v);
		if (strcasecmp(s, "true") == 0 || strcasecmp(s, "enabled") == 0)
			return json_object_new_boolean(1);
		if (strcasecmp(s, "false") == 0 || strcasecmp(s, "disabled") == 0 ||
		    strcasecmp(s, "suspended") == 0)
			return json_object_new_boolean(0);
		return NULL;
	default:
		return NULL;
	}
}

/* Numbers and numeric strings; integral values become ints. */
static json_object *
to_number(json_object *v, int want_int)
{
	const char *s;
	char *end;
	long long ll;
	double d;

	v = unwrap_value(v);
	switch (json_object_get_type(v)) {
	case json_type_int:
		if (json_object_get_int64(v) == INT64_MAX)
			return json_object_new_uint64(json_object_get_uint64(v));
		return json_object_new_int64(json_object_get_int64(v));
	case json_type_double:
		d = json_object_get_double(v);
		if (want_int && d != floor(d))
			return NULL;
		return new_double(d);
	case json_type_string:
		s = json_object_get_string(v);
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			return NULL;
		errno = 0;
		ll = strtoll(s, &end, 10);
		while (isspace((unsigned char)*end))
			end++;
		if (*end == '\0' && errno == 0)
			return json_object_new_int64(ll);
		errno = 0;
		d = strtod(s, &end);
		while (isspace((unsigned char)*end))
			end++;
		if (*end != '\0' || errno != 0 || !isfinite(d))
			return NULL;
		if (want_int && d != floor(d))
			return NULL;
		return new_double(d);
	default:
		return NULL;
	}
}

static json_object *
to_basename(json_object *v)
{
	char buf[40];
	const char *s;
	size_t len, i;

	v = unwrap_value(v);
	if (v == NULL || (s = scalar_text(v, buf)) == NULL)
		return NULL;
	len = strlen(s);
	while (len > 1 && s[len - 1] == '/')
		len--;
	for (i = len; i > 0 && s[i - 1] != '/'; i--)
		;
	return json_object_new_string_len(s + i, (int)(len - i));
}

/* A DNS name: lower case, without the final dot of a fully qualified name. */
static json_object *
to_dns_name(json_object *v)
{
	char buf[40], *t;
	const char *s;
	size_t len, i;
	json_object *out;

	v = unwrap_value(v);
	if (v == NULL || (s = scalar_text(v, buf)) == NULL)
		return NULL;
	len = strlen(s);
	if (len > 1 && s[len - 1] == '.')
		len--;
	t = xstrndup(s, len);
	for (i = 0; i < len; i++)
		if (t[i] >= 'A' && t[i] <= 'Z')
			t[i] = (char)(t[i] - 'A' + 'a');
	out = json_object_new_string(t);
	free(t);
	return out;
}

/* "https://www.googleapis.com/compute/v1/projects/p/..." -> "projects/p/..."; relative paths
 * and strings without a projects/ segment are returned unchanged. */
static json_object *
to_gcp_path(json_object *v)
{
	char buf[40];
	const char *s, *p;

	v = unwrap_value(v);
	if (v == NULL || (s = scalar_text(v, buf)) == NULL)
		return NULL;
	if (strstr(s, "://") != NULL || strncmp(s, "//", 2) == 0 ||
	    strncmp(s, "www.googleapis.com/", 19) == 0) {
		p = strstr(s, "/projects/");
		if (p != NULL)
			return json_object_new_string(p + 1);
	}
	return json_object_new_string(s);
}

/* ---- JSON and policies ---- */

/* A value that may be JSON text: strings holding an object or array are parsed. */
static json_object *
to_json(json_object *v)
{
	json_object *parsed, *out;
	const char *s;

	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '{' || *s == '[') {
			parsed = parse_json(s, strlen(s));
			if (parsed != NULL) {
				out = canon_copy(parsed);
				json_object_put(parsed);
				return out;
			}
		}
	}
	return canon_copy(v);
}

static char *
url_decode(const char *s, size_t *outlen)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; s[i] != '\0'; i++) {
		int h, l;

		if (s[i] == '%' && (h = tf_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = tf_hexval((unsigned char)s[i + 2])) >= 0) {
			sb_addc(&sb, (char)(h * 16 + l));
			i += 2;
		} else if (s[i] == '+')
			sb_addc(&sb, ' ');
		else
			sb_addc(&sb, s[i]);
	}
	*outlen = sb.len;
	return sb_detach(&sb);
}

/* A string or array of scalars -> sorted unique array of strings; other values are copied. */
static json_object *
str_list_set(json_object *v)
{
	struct svec sv = { NULL, 0, 0 };
	char buf[40];
	size_t i, n;

	if (!json_object_is_type(v, json_type_array) && scalar_text(v, buf) == NULL)
		return canon_copy(v);
	n = list_len(v);
	for (i = 0; i < n; i++) {
		json_object *e = list_get(v, i);
		const char *s = scalar_text(e, buf);

		if (s != NULL)
			svec_add(&sv, xstrdup(s));
		else if (e != NULL)
			svec_add(&sv, val_to_string(e));
	}
	return svec_to_set(&sv);
}

/* An object with sorted keys, each value canonicalised by `each`. */
static json_object *
canon_map(json_object *v, json_object *(*each)(json_object *))
{
	json_object *out;
	const char **keys;
	size_t i, n;

	if (!json_object_is_type(v, json_type_object))
		return canon_copy(v);
	out = json_object_new_object();
	keys = sorted_keys(v, &n);
	for (i = 0; i < n; i++) {
		json_object *c = NULL;

		json_object_object_get_ex(v, keys[i], &c);
		json_object_object_add(out, keys[i], each(c));
	}
	free(keys);
	return out;
}

/* {"k": value|[values]} with every value a set of strings. */
static json_object *
canon_set_map(json_object *v)
{
	return canon_map(v, str_list_set);
}

/* Principal "*" means {"AWS":"*"}; each principal list becomes a sorted set. */
static json_object *
canon_principal(json_object *v)
{
	json_object *out;

	if (json_object_is_type(v, json_type_string)) {
		out = json_object_new_object();
		json_object_object_add(out, "AWS", str_list_set(v));
		return out;
	}
	return canon_set_map(v);
}

/* Condition {"op": {"key": value|[values]}}: values are strings, compared as sets. */
static json_object *
canon_condition(json_object *v)
{
	return canon_map(v, canon_set_map);
}

static json_object *
canon_statement(json_object *st)
{
	json_object *out;
	const char **keys;
	size_t i, n;

	if (!json_object_is_type(st, json_type_object))
		return canon_copy(st);
	out = json_object_new_object();
	keys = sorted_keys(st, &n);
	for (i = 0; i < n; i++) {
		const char *k = keys[i];
		json_object *c = NULL, *cv;

		json_object_object_get_ex(st, k, &c);
		if (strcmp(k, "Action") == 0 || strcmp(k, "NotAction") == 0 ||
		    strcmp(k, "Resource") == 0 || strcmp(k, "NotResource") == 0)
			cv = str_list_set(c);
		else if (strcmp(k, "Principal") == 0 || strcmp(k, "NotPrincipal") == 0)
			cv = canon_principal(c);
		else if (strcmp(k, "Condition") == 0) {
			if (json_object_is_type(c, json_type_object) &&
			    json_object_object_length(c) == 0)
				continue;       /* "Condition": {} is no condition */
			cv = canon_condition(c);
		}
		else
			cv = canon_copy(c);
		json_object_object_add(out, k, cv);
	}
	free(keys);
	return out;
}

struct keyed {
	char *key;
	json_object *v;
};

static int
cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

/* Array of canonical objects sorted by their canonical text (statements, bindings). */
static json_object *
sorted_array(json_object **elems, size_t n)
{
	struct keyed *k = xcalloc(n + 1, sizeof *k);
	json_object *out = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++) {
		k[i].v = elems[i];
		k[i].key = val_to_string(elems[i]);
	}
	qsort(k, n, sizeof *k, cmp_keyed);
	for (i = 0; i < n; i++) {
		json_object_array_add(out, k[i].v);
		free(k[i].key);
	}
	free(k);
	return out;
}

/* Canonical policy document: AWS IAM (Statement...) and GCP IAM (bindings...). */
static json_object *
canon_policy_doc(json_object *doc)
{
	json_object *out, **elems;
	const char **keys;
	size_t i, j, n, m;

	if (!json_object_is_type(doc, json_type_object))
		return canon_copy(doc);
	out = json_object_new_object();
	keys = sorted_keys(doc, &n);
	for (i = 0; i < n; i++) {
		const char *k = keys[i];
		json_object *c = NULL;

		json_object_object_get_ex(doc, k, &c);
		if (strcmp(k, "Statement") == 0) {
			m = list_len(c);
			elems = xcalloc(m + 1, sizeof *elems);
			for (j = 0; j < m; j++)
				elems[j] = canon_statement(list_get(c, j));
			json_object_object_add(out, k, sorted_array(elems, m));
			free(elems);
		} else if (strcmp(k, "bindings") == 0 && json_object_is_type(c, json_type_array)) {
			m = json_object_array_length(c);
			elems = xcalloc(m + 1, sizeof *elems);
			for (j = 0; j < m; j++) {
				json_object *b = json_object_array_get_idx(c, j), *members;

				elems[j] = canon_copy(b);
				if (json_object_is_type(elems[j], json_type_object) &&
				    json_object_object_get_ex(b, "members", &members))
					json_object_object_add(elems[j], "members",
					    str_list_set(members));
			}
			json_object_object_add(out, k, sorted_array(elems, m));
			free(elems);
		} else if (strcmp(k, "etag") == 0 ||
		    (strcmp(k, "version") == 0 && json_object_object_get_ex(doc, "bindings", NULL))) {
			/* GCP's concurrency token differs on every write, and the format version
			 * is not part of what the policy grants. */
			continue;
		} else
			json_object_object_add(out, k, canon_copy(c));
	}
	free(keys);
	return out;
}

static json_object *
to_policy(json_object *v)
{
	json_object *doc = NULL, *out;
	const char *s;
	size_t len;

	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0')
			return NULL;        /* "" = no policy */
		doc = parse_json(s, strlen(s));
		if (doc == NULL && strchr(s, '%') != NULL) {
			char *dec = url_decode(s, &len);

			doc = parse_json(dec, len);
			free(dec);
		}
		if (doc == NULL)
			return json_object_new_string(s);   /* not JSON: compare as text */
		out = canon_policy_doc(doc);
		json_object_put(doc);
		return out;
	}
	return canon_policy_doc(v);
}

/* ---- sets ---- */

static json_object *
to_string_set(json_object *v)
{
	struct svec sv = { NULL, 0, 0 };
	char buf[40];
	size_t i, n;

	if (v == NULL)
		return NULL;
	v = ec2_list(unwrap_value(v));
	n = list_len(v);
	for (i = 0; i < n; i++) {
		json_object *e = unwrap_value(list_get(v, i));
		const char *s;

		if (e == NULL)
			continue;
		if ((s = scalar_text(e, buf)) != NULL)
			svec_add(&sv, xstrdup(s));
		else
			svec_add(&sv, val_to_string(e));
	}
	return svec_to_set(&sv);
}

/* [{name, value}] in any of the spellings APIs and providers use (RDS's parameterName and
 * parameterValue, Cloud SQL's name and value, GKE's displayName and cidrBlock, CloudFront's
 * origin id and domainName) -> set of "name=value"; other keys (apply_method,
 * expiration_time, an origin's settings) are not part of the member. */
static json_object *
to_name_values(json_object *v)
{
	struct svec sv = { NULL, 0, 0 };
	char nb[40], vb[40];
	size_t i, n;

	if (v == NULL)
		return NULL;
	v = ec2_list(unwrap_value(v));
	n = list_len(v);
	for (i = 0; i < n; i++) {
		json_object *e = list_get(v, i), *k, *val;
		const char *ks, *vs;

		if ((k = get_ci(e, "name")) == NULL && (k = get_ci(e, "parameterName")) == NULL &&
		    (k = get_ci(e, "displayName")) == NULL && (k = get_ci(e, "display_name")) == NULL &&
		    (k = get_ci(e, "origin_id")) == NULL)
			k = get_ci(e, "id");
		if ((val = get_ci(e, "value")) == NULL && (val = get_ci(e, "parameterValue")) == NULL &&
		    (val = get_ci(e, "cidrBlock")) == NULL && (val = get_ci(e, "cidr_block")) == NULL &&
		    (val = get_ci(e, "domainName")) == NULL)
			val = get_ci(e, "domain_name");
		ks = k != NULL ? scalar_text(unwrap_value(k), nb) : NULL;
		if (ks == NULL && val == NULL)
			continue;
		if (ks == NULL)
			ks = "";         /* a network without a display name */
		vs = val != NULL ? scalar_text(unwrap_value(val), vb) : NULL;
		svec_add(&sv, xasprintf("%s=%s", ks, vs != NULL ? vs : ""));
	}
	return svec_to_set(&sv);
}

/* ---- tags, labels, metadata maps ---- */

static void
map_put(json_object *out, const char *k, json_object *val)
{
	char buf[40];
	const char *s;

	if (k == NULL)
		return;
	val = unwrap_value(val);
	if (val == NULL)
		s = "";
	else if ((s = scalar_text(val, buf)) == NULL) {
		char *t = val_to_string(val);

		json_object_object_add(out, k, json_object_new_string(t));
		free(t);
		return;
	}
	json_object_object_add(out, k, json_object_new_string(s));
}

/* {"key":K,"value":V} / {"Key":K,"Value":V} (value may be missing in removals). Auto Scaling's
 * tags also name their group and whether instances inherit them (resourceId, resourceType,
 * propagateAtLaunch; propagate_at_launch in state): still a pair. */
static int
is_kv_pair(json_object *o)
{
	static const char *const extra[] = { "resourceId", "resourceType", "propagateAtLaunch",
	    "propagate_at_launch" };
	size_t n = (size_t)json_object_object_length(o), i;

	for (i = 0; i < TF_ARRLEN(extra); i++)
		if (n > 1 && get_ci(o, extra[i]) != NULL)
			n--;
	return get_ci(o, "key") != NULL && (n == 1 || (n == 2 && get_ci(o, "value") != NULL));
}

/* Collect tags from any AWS shape into out. A lone {"key": K} is a pair only inside a list or
 * a wrapper, so a plain map with one tag named "key" stays a map. Depth bounds odd nesting. */
static void
tags_collect(json_object *v, json_object *out, int in_list, int depth)
{
	static const char *const wrap[] = { "tagSet", "items", "Tag", "Tags", "TagSet",
	    "Tagging", "tagSpecificationSet" };
	char buf[40];
	json_object *w;
	size_t i, n;

	if (v == NULL || depth > 8)
		return;
	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			tags_collect(json_object_array_get_idx(v, i), out, 1, depth + 1);
		return;
	}
	/* A key alone in a list (Route 53's removeTagKeys): that tag, whatever its value. */
	if (in_list && json_object_is_type(v, json_type_string)) {
		map_put(out, json_object_get_string(v), NULL);
		return;
	}
	if (!json_object_is_type(v, json_type_object))
		return;
	/* A pair: inside a list, or {"Key":K,"Value":V} on its own (S3 logs a lone Tag so). */
	if (is_kv_pair(v) && (in_list || json_object_object_length(v) == 2)) {
		map_put(out, scalar_text(get_ci(v, "key"), buf), get_ci(v, "value"));
		return;
	}
	n = (size_t)json_object_object_length(v);
	if (n == 1 || (n == 2 && get_ci(v, "xmlns") != NULL)) {
		/* {"tagSet":{"items":[...]}}, {"TagSet":[...]},
		 * {"Tagging":{"xmlns":"...","TagSet":{"Tag":...}}} */
		for (i = 0; i < TF_ARRLEN(wrap); i++) {
			if ((w = get_ci(v, wrap[i])) != NULL &&
			    (json_object_is_type(w, json_type_array) ||
			    json_object_is_type(w, json_type_object))) {
				tags_collect(w, out, 1, depth + 1);
				return;
			}
		}
	}
	if (in_list && (w = get_ci(v, "tags")) != NULL && get_ci(v, "resourceType") != NULL) {
		/* tagSpecificationSet item: {"resourceType":"instance","tags":[...]} */
		tags_collect(w, out, 1, depth + 1);
		return;
	}
	json_object_object_foreach(v, k, val)
		map_put(out, k, val);
}

static json_object *
to_tags(json_object *v)
{
	json_object *out;

	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_string)) {
		json_object *parsed = to_json(v);

		if (!json_object_is_type(parsed, json_type_object) &&
		    !json_object_is_type(parsed, json_type_array)) {
			json_object_put(parsed);
			return NULL;
		}
		out = json_object_new_object();
		tags_collect(parsed, out, 0, 0);
		json_object_put(parsed);
	} else {
		out = json_object_new_object();
		tags_collect(v, out, 0, 0);
	}
	v = canon_copy(out);
	json_object_put(out);
	return v;
}

static json_object *
to_labels(json_object *v)
{
	json_object *out, *sorted;

	if (v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_object))
		return to_tags(v);
	out = json_object_new_object();
	json_object_object_foreach(v, k, val)
		map_put(out, k, val);
	sorted = canon_copy(out);
	json_object_put(out);
	return sorted;
}

/* Event side: {"items":[{key,value}], "fingerprint":...} (or the array itself). */
static json_object *
metadata_from_event(json_object *v)
{
	json_object *items, *out, *sorted;
	char buf[40];
	size_t i, n;

	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_object) && (items = get_ci(v, "metadata")) != NULL &&
	    json_object_is_type(items, json_type_object))
		v = items;
	if (json_object_is_type(v, json_type_object)) {
		if ((items = get_ci(v, "items")) == NULL) {
			if (get_ci(v, "fingerprint") != NULL || get_ci(v, "kind") != NULL)
				return json_object_new_object();   /* all items removed */
			return to_labels(v);
		}
		v = items;
	}
	if (!json_object_is_type(v, json_type_array))
		return NULL;
	out = json_object_new_object();
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		json_object *it = json_object_array_get_idx(v, i);

		if (json_object_is_type(it, json_type_object))
			map_put(out, scalar_text(get_ci(it, "key"), buf), get_ci(it, "value"));
	}
	sorted = canon_copy(out);
	json_object_put(out);
	return sorted;
}

/* ---- security group rules ---- */

/* Canonical protocol: lowercase names; "-1"/"all" -> "-1"; 6/17/1/58 -> names. */
static void
sg_proto(const char *p, struct strbuf *out)
{
	size_t i;

	sb_reset(out);
	if (p == NULL || *p == '\0' || strcmp(p, "-1") == 0 || strcasecmp(p, "all") == 0) {
		sb_adds(out, "-1");
		return;
	}
	if (strcmp(p, "6") == 0)
		p = "tcp";
	else if (strcmp(p, "17") == 0)
		p = "udp";
	else if (strcmp(p, "1") == 0)
		p = "icmp";
	else if (strcmp(p, "58") == 0)
		p = "icmpv6";
	for (i = 0; p[i] != '\0'; i++)
		sb_addc(out, (char)tolower((unsigned char)p[i]));
}

static long long
port_of(json_object *v)
{
	char buf[40];
	const char *s;

	v = unwrap_value(v);
	if (v == NULL)
		return 0;
	if (json_object_is_type(v, json_type_int))
		return (long long)json_object_get_int64(v);
	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);

		return isfinite(d) && fabs(d) < 1e15 ? (long long)d : 0;
	}
	if ((s = scalar_text(v, buf)) != NULL)
		return strtoll(s, NULL, 10);
	return 0;
}

struct sg_rule {
	struct strbuf proto;
	long long from, to;
	struct svec *out;
};

/* Start a rule from protocol and port values; "-1" always has ports 0-0. */
static void
sg_begin(struct sg_rule *r, json_object *proto, json_object *from, json_object *to)
{
	char buf[40];

	sg_proto(scalar_text(unwrap_value(proto), buf), &r->proto);
	r->from = port_of(from);
	r->to = port_of(to);
	if (strcmp(r->proto.buf, "-1") == 0)
		r->from = r->to = 0;
}

static void
sg_emit(struct sg_rule *r, const char *source)
{
	if (source != NULL && *source != '\0')
		svec_add(r->out, xasprintf("%s %lld-%lld %s", r->proto.buf, r->from, r->to, source));
	else
		svec_add(r->out, xasprintf("%s %lld-%lld", r->proto.buf, r->from, r->to));
}

/* Emit one rule per entry of an EC2 sub-list, reading `field` of each entry. */
static size_t
sg_emit_list(struct sg_rule *r, json_object *list, const char *field, const char *alt)
{
	char buf[40];
	size_t i, n, cnt = 0;

	list = ec2_list(list);
	n = list_len(list);
	for (i = 0; i < n; i++) {
		json_object *e = list_get(list, i), *f;
		const char *s;

		if (json_object_is_type(e, json_type_object)) {
			f = get_ci(e, field);
			if (f == NULL && alt != NULL)
				f = get_ci(e, alt);
		} else
			f = e;
		if ((s = scalar_text(f, buf)) != NULL && *s != '\0') {
			sg_emit(r, s);
			cnt++;
		}
	}
	return cnt;
}

/* One EC2 permission (request ipPermissions item, or a securityGroupRuleSet item). */
static void
sg_event_perm(struct sg_rule *r, json_object *perm)
{
	json_object *ref;
	size_t cnt = 0;

	if (!json_object_is_type(perm, json_type_object))
		return;
	sg_begin(r, get_ci(perm, "ipProtocol"), get_ci(perm, "fromPort"), get_ci(perm, "toPort"));
	cnt += sg_emit_list(r, get_ci(perm, "ipRanges"), "cidrIp", NULL);
	cnt += sg_emit_list(r, get_ci(perm, "ipv6Ranges"), "cidrIpv6", NULL);
	cnt += sg_emit_list(r, get_ci(perm, "groups"), "groupId", "groupName");
	cnt += sg_emit_list(r, get_ci(perm, "userIdGroupPairs"), "groupId", "groupName");
	cnt += sg_emit_list(r, get_ci(perm, "prefixListIds"), "prefixListId", NULL);
	/* securityGroupRuleSet item (response) and the flat request form. */
	cnt += sg_emit_list(r, get_ci(perm, "cidrIpv4"), "cidrIpv4", NULL);
	cnt += sg_emit_list(r, get_ci(perm, "cidrIp"), "cidrIp", NULL);
	cnt += sg_emit_list(r, get_ci(perm, "cidrIpv6"), "cidrIpv6", NULL);
	cnt += sg_emit_list(r, get_ci(perm, "prefixListId"), "prefixListId", NULL);
	if ((ref = get_ci(perm, "referencedGroupInfo")) != NULL)
		cnt += sg_emit_list(r, ref, "groupId", NULL);
	if (cnt == 0 && get_ci(perm, "sourceSecurityGroupName") != NULL)
		cnt += sg_emit_list(r, get_ci(perm, "sourceSecurityGroupName"), "groupName", NULL);
	if (cnt == 0)
		sg_emit(r, NULL);   /* a rule without a source: keep it visible */
}

static json_object *
sg_from_event(json_object *v)
{
	struct svec sv = { NULL, 0, 0 };
	struct sg_rule r;
	json_object *perms;
	size_t i, n;

	if (v == NULL)
		return NULL;
	memset(&r, 0, sizeof r);
	sb_init(&r.proto);
	r.out = &sv;
	if (json_object_is_type(v, json_type_object) &&
	    (get_ci(v, "ipPermissions") != NULL || get_ci(v, "securityGroupRuleSet") != NULL)) {
		/* requestParameters: ipPermissions, and/or the flat top-level form. */
		perms = ec2_list(get_ci(v, "ipPermissions"));
		if (perms == NULL)
			perms = ec2_list(get_ci(v, "securityGroupRuleSet"));
		n = list_len(perms);
		for (i = 0; i < n; i++)
			sg_event_perm(&r, list_get(perms, i));
		if (get_ci(v, "ipProtocol") != NULL)
			sg_event_perm(&r, v);
	} else {
		perms = ec2_list(v);
		n = list_len(perms);
		for (i = 0; i < n; i++)
			sg_event_perm(&r, list_get(perms, i));
	}
	sb_free(&r.proto);
	return svec_to_set(&sv);
}

/* One Terraform block: aws_security_group ingress/egress item, aws_security_group_rule, or
 * aws_vpc_security_group_{ingress,egress}_rule. */
static void
sg_state_block(struct sg_rule *r, json_object *b)
{
	json_object *self;
	size_t cnt = 0;

	if (!json_object_is_type(b, json_type_object))
		return;
	if (json_object_object_get_ex(b, "ip_protocol", &self))
		sg_begin(r, self, get_ci(b, "from_port"), get_ci(b, "to_port"));
	else
		sg_begin(r, get_ci(b, "protocol"), get_ci(b, "from_port"), get_ci(b, "to_port"));
	cnt += sg_emit_list(r, get_ci(b, "cidr_blocks"), "", NULL);
	cnt += sg_emit_list(r, get_ci(b, "ipv6_cidr_blocks"), "", NULL);
	cnt += sg_emit_list(r, get_ci(b, "security_groups"), "", NULL);
	cnt += sg_emit_list(r, get_ci(b, "prefix_list_ids"), "", NULL);
	cnt += sg_emit_list(r, get_ci(b, "source_security_group_id"), "", NULL);
	cnt += sg_emit_list(r, get_ci(b, "cidr_ipv4"), "", NULL);
	cnt += sg_emit_list(r, get_ci(b, "cidr_ipv6"), "", NULL);
	cnt += sg_emit_list(r, get_ci(b, "referenced_security_group_id"), "", NULL);
	cnt += sg_emit_list(r, get_ci(b, "prefix_list_id"), "", NULL);
	if ((self = get_ci(b, "self")) != NULL && json_object_is_type(self, json_type_boolean) &&
	    json_object_get_boolean(self)) {
		sg_emit(r, "self");
		cnt++;
	}
	if (cnt == 0)
		sg_emit(r, NULL);
}

static json_object *
sg_from_state(json_object *v)
{
	struct svec sv = { NULL, 0, 0 };
	struct sg_rule r;
	size_t i, n;

	if (v == NULL)
		return NULL;
	memset(&r, 0, sizeof r);
	sb_init(&r.proto);
	r.out = &sv;
	n = list_len(v);
	for (i = 0; i < n; i++)
		sg_state_block(&r, list_get(v, i));
	sb_free(&r.proto);
	return svec_to_set(&sv);
}

/* ---- GCP firewall rules ---- */

static void
fw_rule(struct svec *sv, json_object *rule)
{
	struct strbuf proto;
	json_object *p, *ports;
	char buf[40];
	const char *s;
	size_t i, n;

	if (!json_object_is_type(rule, json_type_object))
		return;
	p = get_ci(rule, "IPProtocol");
	if (p == NULL)
		p = get_ci(rule, "ip_protocol");
	if (p == NULL)
		p = get_ci(rule, "protocol");
	sb_init(&proto);
	s = scalar_text(p, buf);
	if (s == NULL || *s == '\0' || strcasecmp(s, "all") == 0)
		sb_adds(&proto, "all");
	else
		sg_proto(s, &proto);
	ports = get_ci(rule, "ports");
	n = list_len(ports);
	for (i = 0; i < n; i++) {
		const char *pt = scalar_text(list_get(ports, i), buf);

		if (pt != NULL)
			svec_add(sv, xasprintf("%s:%s", proto.buf, pt));
	}
	if (n == 0)
		svec_add(sv, xstrdup(proto.buf));
	sb_free(&proto);
}

static json_object *
fw_rules(json_object *v)
{
	static const char *const keys[] = { "allowed", "alloweds", "allow", "denied", "denieds",
	    "deny" };
	struct svec sv = { NULL, 0, 0 };
	json_object *list;
	size_t i, k, n;

	if (v == NULL)
		return NULL;
	if (json_object_is_type(v, json_type_object) && get_ci(v, "IPProtocol") == NULL &&
	    get_ci(v, "protocol") == NULL && get_ci(v, "ip_protocol") == NULL) {
		/* The whole request: a rule has either allowed or denied, never both. */
		for (k = 0; k < TF_ARRLEN(keys); k++) {
			if ((list = get_ci(v, keys[k])) == NULL)
				continue;
			n = list_len(list);
			for (i = 0; i < n; i++)
				fw_rule(&sv, list_get(list, i));
		}
		return svec_to_set(&sv);
	}
	n = list_len(v);
	for (i = 0; i < n; i++)
		fw_rule(&sv, list_get(v, i));
	return svec_to_set(&sv);
}

/* ---- entry points ---- */

json_object *
val_from_event(enum val_transform t, json_object *v)
{
	if (v == NULL)
		return NULL;
	switch (t) {
	case VT_STRING: return to_string(v);
	case VT_BOOL: return to_bool(v);
	case VT_INT: return to_number(v, 1);
	case VT_NUMBER: return to_number(v, 0);
	case VT_JSON: return to_json(v);
	case VT_POLICY: return to_policy(v);
	case VT_STRING_SET: return to_string_set(v);
	case VT_TAGS: return to_tags(v);
	case VT_LABELS: return to_labels(v);
	case VT_BASENAME: return to_basename(v);
	case VT_GCP_PATH: return to_gcp_path(v);
	case VT_SG_RULES: return sg_from_event(v);
	case VT_GCP_FW_RULES: return fw_rules(v);
	case VT_GCP_METADATA: return metadata_from_event(v);
	case VT_REDACTED: return json_object_new_string(REDACTED_MARK);
	case VT_DNS_NAME: return to_dns_name(v);
	case VT_NAME_VALUES: return to_name_values(v);
	case VT__COUNT: break;
	}
	return NULL;
}

json_object *
val_from_state(enum val_transform t, json_object *v)
{
	if (v == NULL)
		return NULL;
	switch (t) {
	case VT_SG_RULES: return sg_from_state(v);
	case VT_GCP_METADATA: return to_labels(v);
	case VT_TAGS: return to_labels(v);
	case VT_REDACTED:
		/* The state's value as it is (detect shows it as the old value), but never equal to
		 * the event side's marker. */
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), REDACTED_MARK) == 0)
			return json_object_new_string("(state: " REDACTED_MARK ")");
		return canon_copy(v);
	default:
		return val_from_event(t, v);
	}
}

int
val_empty(json_object *v)
{
	if (v == NULL)
		return 1;
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) == 0;
	if (json_object_is_type(v, json_type_object))
		return json_object_object_length(v) == 0;
	return 0;
}
