/* freeze: change-freeze windows: matching an event, the active window for the banner, the
 * times people type, and the JSON forms the store and findings use. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "freeze.h"
#include "util.h"

static const char *origin_names[] = { "config", "cli", "store", "adhoc" };

const char *
freeze_origin_name(enum freeze_origin o)
{
	return (unsigned)o < TF_ARRLEN(origin_names) ? origin_names[o] : "unknown";
}

void
freeze_window_clear(struct freeze_window *w)
{
	free(w->name);
	free(w->created_by);
	strlist_clear(&w->accounts);
	strlist_clear(&w->projects);
	strlist_clear(&w->regions);
	strlist_clear(&w->resource_types);
	memset(w, 0, sizeof *w);
}

static void
strlist_copy(struct strlist *dst, const struct strlist *src)
{
	size_t i;

	memset(dst, 0, sizeof *dst);
	for (i = 0; i < src->n; i++)
		strlist_push(dst, src->v[i]);
}

void
freeze_window_copy(struct freeze_window *dst, const struct freeze_window *src)
{
	memset(dst, 0, sizeof *dst);
	dst->name = xstrdup(src->name);
	dst->start_ms = src->start_ms;
	dst->end_ms = src->end_ms;
	strlist_copy(&dst->accounts, &src->accounts);
	strlist_copy(&dst->projects, &src->projects);
	strlist_copy(&dst->regions, &src->regions);
	strlist_copy(&dst->resource_types, &src->resource_types);
	dst->origin = src->origin;
	dst->id = src->id;
	dst->created_by = xstrdup(src->created_by);
	dst->created_ms = src->created_ms;
}

void
freeze_windows_free(struct freeze_window *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		freeze_window_clear(&v[i]);
	free(v);
}

struct freeze_window *
freeze_windows_dup(const struct freeze_window *v, size_t n)
{
	struct freeze_window *r;
	size_t i;

	if (n == 0)
		return NULL;
	r = xcalloc(n, sizeof *r);
	for (i = 0; i < n; i++)
		freeze_window_copy(&r[i], &v[i]);
	return r;
}

void
freeze_windows_push(struct freeze_window **v, size_t *n, const struct freeze_window *w)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	freeze_window_copy(&(*v)[*n], w);
	(*n)++;
}

int
freeze_window_check(const struct freeze_window *w, char **err)
{
	if (w->name == NULL || *w->name == '\0')
		return tf_err(err, "a freeze window needs a name");
	if (w->start_ms == 0 || w->end_ms == 0)
		return tf_err(err, "freeze window %s needs a start and an end", w->name);
	if (w->end_ms <= w->start_ms)
		return tf_err(err, "freeze window %s: the end is not after the start", w->name);
	return 0;
}

int
freeze_window_contains(const struct freeze_window *w, int64_t t_ms)
{
	return t_ms >= w->start_ms && t_ms < w->end_ms;
}

static int
any_glob(const struct strlist *l, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (tf_glob(l->v[i], s))
			return 1;
	return 0;
}

int
freeze_window_scope_match(const struct freeze_window *w, const struct event *ev)
{
	if (w->accounts.n > 0 || w->projects.n > 0) {
		const struct strlist *l = ev->provider == PROV_GCP ? &w->projects : &w->accounts;

		if (!any_glob(l, ev->account))
			return 0;
	}
	if (w->regions.n > 0 && !any_glob(&w->regions, ev->region))
		return 0;
	return 1;
}

int
freeze_window_type_match(const struct freeze_window *w, const char *resource_type)
{
	if (w->resource_types.n == 0)
		return 1;
	return any_glob(&w->resource_types, resource_type);
}

int
freeze_window_match(const struct freeze_window *w, const struct event *ev,
    const char *resource_type)
{
	return ev->time_ms != 0 && freeze_window_contains(w, ev->time_ms) &&
	    freeze_window_scope_match(w, ev) && freeze_window_type_match(w, resource_type);
}

const struct freeze_window *
freeze_current(const struct freeze_window *v, size_t n, int64_t now_ms)
{
	const struct freeze_window *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (freeze_window_contains(&v[i], now_ms) && (best == NULL || v[i].end_ms > best->end_ms))
			best = &v[i];
	return best;
}

const struct freeze_window *
freeze_next(const struct freeze_window *v, size_t n, int64_t now_ms)
{
	const struct freeze_window *best = NULL;
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i].start_ms > now_ms && (best == NULL || v[i].start_ms < best->start_ms))
			best = &v[i];
	return best;
}

void
freeze_format_left(int64_t ms, char out[32])
{
	/* Round up: never "0s" while it holds (without ms + 999, which overflows near INT64_MAX:
	 * a damaged store's window can end there). */
	int64_t s = ms > 0 ? ms / 1000 + (ms % 1000 != 0) : 0;

	if (s >= 86400)
		snprintf(out, 32, "%lldd%lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, 32, "%lldh%02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, 32, "%lldm", (long long)(s / 60));
	else
		snprintf(out, 32, "%llds", (long long)s);
}

int
freeze_parse_time(const char *s, int64_t now_ms, int64_t *out)
{
	return tf_parse_when(s, now_ms, 1, out);
}

int
freeze_parse_spec(const char *spec, struct freeze_window *w, char **err)
{
	const char *eq = strchr(spec, '='), *dots;
	char *a = NULL, *b = NULL;
	int rc = 0;

	memset(w, 0, sizeof *w);
	if (eq == NULL || eq == spec || (dots = strstr(eq + 1, "..")) == NULL)
		return tf_err(err, "--freeze %s: expected NAME=START..END "
		    "(cab=2024-05-27T08:00:00Z..2024-05-27T12:00:00Z)", spec);
	a = xstrndup(eq + 1, (size_t)(dots - eq - 1));
	b = xstrdup(dots + 2);
	w->name = xstrndup(spec, (size_t)(eq - spec));
	w->origin = FO_CLI;
	if (tf_parse_time(a, &w->start_ms) != 0 || tf_parse_time(b, &w->end_ms) != 0)
		rc = tf_err(err, "--freeze %s: START and END must be RFC 3339 times "
		    "(2024-05-27T08:00:00Z) or epoch seconds", spec);
	else if (freeze_window_check(w, err) != 0)
		rc = -1;
	free(a);
	free(b);
	if (rc != 0)
		freeze_window_clear(w);
	return rc;
}

static const struct {
	const char *key;
	size_t off;
} scope_keys[] = {
	{ "accounts", offsetof(struct freeze_window, accounts) },
	{ "projects", offsetof(struct freeze_window, projects) },
	{ "regions", offsetof(struct freeze_window, regions) },
	{ "resource_types", offsetof(struct freeze_window, resource_types) },
};

static struct strlist *
scope_list(struct freeze_window *w, size_t i)
{
	return (struct strlist *)((char *)w + scope_keys[i].off);
}

static const struct strlist *
scope_list_c(const struct freeze_window *w, size_t i)
{
	return (const struct strlist *)((const char *)w + scope_keys[i].off);
}

char *
freeze_scope_to_json(const struct freeze_window *w)
{
	json_object *o = json_object_new_object();
	size_t i, j;
	char *r;

	for (i = 0; i < TF_ARRLEN(scope_keys); i++) {
		const struct strlist *l = scope_list_c(w, i);
		json_object *a;

		if (l->n == 0)
			continue;
		a = json_object_new_array();
		for (j = 0; j < l->n; j++)
			json_object_array_add(a, json_object_new_string(l->v[j]));
		json_object_object_add(o, scope_keys[i].key, a);
	}
	r = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return r;
}

int
freeze_scope_from_json(const char *json, struct freeze_window *w, char **err)
{
	json_object *o = json != NULL ? json_tokener_parse(json) : NULL;
	size_t i, j;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return tf_err(err, "freeze scope: not a JSON object");
	}
	for (i = 0; i < TF_ARRLEN(scope_keys); i++)
		strlist_clear(scope_list(w, i));
	json_object_object_foreach(o, k, v) {
		for (i = 0; i < TF_ARRLEN(scope_keys); i++)
			if (strcmp(k, scope_keys[i].key) == 0)
				break;
		/* The message first: k lives in o. */
		if (i == TF_ARRLEN(scope_keys) || !json_object_is_type(v, json_type_array)) {
			tf_err(err, "freeze scope: unknown member or not a list: %s", k);
			json_object_put(o);
			return -1;
		}
		for (j = 0; j < json_object_array_length(v); j++) {
			json_object *s = json_object_array_get_idx(v, j);

			if (!json_object_is_type(s, json_type_string)) {
				tf_err(err, "freeze scope: %s[%zu] is not a string", k, j);
				json_object_put(o);
				return -1;
			}
			strlist_push(scope_list(w, i), json_object_get_string(s));
		}
	}
	json_object_put(o);
	return 0;
}

json_object *
freeze_window_to_json(const struct freeze_window *w)
{
	json_object *o = json_object_new_object();
	char buf[32];

	json_object_object_add(o, "name", json_object_new_string(w->name ? w->name : ""));
	tf_format_time(w->start_ms, buf);
	json_object_object_add(o, "start", json_object_new_string(buf));
	tf_format_time(w->end_ms, buf);
	json_object_object_add(o, "end", json_object_new_string(buf));
	return o;
}

char *
freeze_window_describe(const struct freeze_window *w)
{
	struct strbuf sb;
	char a[32], b[32];
	size_t i, j;

	sb_init(&sb);
	tf_format_time(w->start_ms, a);
	tf_format_time(w->end_ms, b);
	sb_addf(&sb, "%s %s..%s", w->name ? w->name : "?", a, b);
	for (i = 0; i < TF_ARRLEN(scope_keys); i++) {
		const struct strlist *l = scope_list_c(w, i);

		if (l->n == 0)
			continue;
		sb_addf(&sb, " %s=", scope_keys[i].key);
		for (j = 0; j < l->n; j++)
			sb_addf(&sb, "%s%s", j ? "," : "", l->v[j]);
	}
	return sb_detach(&sb);
}
