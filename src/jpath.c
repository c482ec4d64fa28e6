/* jpath: compiles dotted paths ("a.b.items[].c", "a[0].b", "a.\"odd.key\"") once and walks
 * json-c trees with them without allocating. JSON null counts as absent everywhere; "[]" and
 * "[0]" on a value that is not an array treat the value as a one-element list, because
 * CloudTrail sometimes logs a single object where a list is usual. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jpath.h"
#include "util.h"

enum jseg_kind { SEG_KEY, SEG_INDEX, SEG_ALL };

struct jseg {
	enum jseg_kind kind;
	char *key;          /* SEG_KEY */
	size_t index;       /* SEG_INDEX */
};

struct jpath {
	char *expr;
	struct jseg *segs;
	size_t nsegs;
	int multi;
};

/* Largest index accepted in "[N]": anything larger is a typo. */
#define JPATH_MAX_INDEX 1000000

static void
seg_push(struct jpath *p, size_t *cap, enum jseg_kind kind, char *key, size_t index)
{
	if (p->nsegs == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		p->segs = xreallocarray(p->segs, *cap, sizeof *p->segs);
	}
	p->segs[p->nsegs].kind = kind;
	p->segs[p->nsegs].key = key;
	p->segs[p->nsegs].index = index;
	p->nsegs++;
}

/* Parse "[...]" at expr[*i] (which is '['). */
static int
parse_bracket(struct jpath *p, size_t *cap, const char *expr, size_t *i, char **err)
{
	size_t j = *i + 1, idx = 0;

	if (expr[j] == ']') {
		seg_push(p, cap, SEG_ALL, NULL, 0);
		p->multi = 1;
		*i = j + 1;
		return 0;
	}
	if (expr[j] < '0' || expr[j] > '9')
		return tf_err(err, "bad path \"%s\": expected a number or ] after [ at offset %zu",
		    expr, j);
	while (expr[j] >= '0' && expr[j] <= '9') {
		idx = idx * 10 + (size_t)(expr[j] - '0');
		if (idx > JPATH_MAX_INDEX)
			return tf_err(err, "bad path \"%s\": index too large at offset %zu", expr, *i);
		j++;
	}
	if (expr[j] != ']')
		return tf_err(err, "bad path \"%s\": missing ] at offset %zu", expr, j);
	seg_push(p, cap, SEG_INDEX, NULL, idx);
	*i = j + 1;
	return 0;
}

/* Parse a quoted key at expr[*i] (which is '"'); \" and \\ are escapes. */
static int
parse_quoted(struct jpath *p, size_t *cap, const char *expr, size_t *i, char **err)
{
	struct strbuf sb;
	size_t j = *i + 1;

	sb_init(&sb);
	for (;;) {
		if (expr[j] == '\0') {
			sb_free(&sb);
			return tf_err(err, "bad path \"%s\": unterminated quoted key at offset %zu",
			    expr, *i);
		}
		if (expr[j] == '"')
			break;
		if (expr[j] == '\\' && (expr[j + 1] == '"' || expr[j + 1] == '\\'))
			j++;
		sb_addc(&sb, expr[j]);
		j++;
	}
	seg_push(p, cap, SEG_KEY, sb_detach(&sb), 0);
	*i = j + 1;
	return 0;
}

struct jpath *
jpath_compile(const char *expr, char **err)
{
	struct jpath *p;
	size_t cap = 0, i = 0;

	if (expr == NULL || *expr == '\0') {
		tf_err(err, "empty path");
		return NULL;
	}
	p = xcalloc(1, sizeof *p);
	p->expr = xstrdup(expr);
	for (;;) {
		/* One key (or a bracket at the very start). */
		if (expr[i] == '"') {
			if (parse_quoted(p, &cap, expr, &i, err) != 0)
				goto fail;
		} else if (expr[i] == '[' && i == 0) {
			/* A leading "[...]" applies to the root. */
		} else {
			size_t start = i;

			while (expr[i] != '\0' && expr[i] != '.' && expr[i] != '[' &&
			    expr[i] != ']' && expr[i] != '"')
				i++;
			if (i == start) {
				tf_err(err, "bad path \"%s\": empty key at offset %zu", expr, i);
				goto fail;
			}
			if (expr[i] == ']' || expr[i] == '"') {
				tf_err(err, "bad path \"%s\": unexpected %c at offset %zu", expr,
				    expr[i], i);
				goto fail;
			}
			seg_push(p, &cap, SEG_KEY, xstrndup(expr + start, i - start), 0);
		}
		while (expr[i] == '[') {
			if (parse_bracket(p, &cap, expr, &i, err) != 0)
				goto fail;
		}
		if (expr[i] == '\0')
			break;
		if (expr[i] != '.') {
			tf_err(err, "bad path \"%s\": expected . or [ at offset %zu", expr, i);
			goto fail;
		}
		i++;
		if (expr[i] == '\0') {
			tf_err(err, "bad path \"%s\": trailing . at offset %zu", expr, i - 1);
			goto fail;
		}
	}
	return p;
fail:
	jpath_free(p);
	return NULL;
}

void
jpath_free(struct jpath *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nsegs; i++)
		free(p->segs[i].key);
	free(p->segs);
	free(p->expr);
	free(p);
}

const char *
jpath_expr(const struct jpath *p)
{
	return p->expr;
}

int
jpath_is_multi(const struct jpath *p)
{
	return p->multi;
}

typedef int (*jpath_cb)(json_object *v, void *ctx);   /* non-zero stops the walk */

/* Recursive walk: depth is the number of segments, fixed at compile time. */
static int
walk(const struct jpath *p, size_t s, json_object *v, jpath_cb cb, void *ctx)
{
	const struct jseg *g;
	json_object *next;
	size_t i, n;

	if (v == NULL)
		return 0;
	if (s == p->nsegs)
		return cb(v, ctx);
	g = &p->segs[s];
	switch (g->kind) {
	case SEG_KEY:
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, g->key, &next))
			return 0;
		return walk(p, s + 1, next, cb, ctx);
	case SEG_INDEX:
		if (!json_object_is_type(v, json_type_array))
			return g->index == 0 ? walk(p, s + 1, v, cb, ctx) : 0;
		if (g->index >= json_object_array_length(v))
			return 0;
		return walk(p, s + 1, json_object_array_get_idx(v, g->index), cb, ctx);
	case SEG_ALL:
		if (!json_object_is_type(v, json_type_array))
			return walk(p, s + 1, v, cb, ctx);
		n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			if (walk(p, s + 1, json_object_array_get_idx(v, i), cb, ctx))
				return 1;
		return 0;
	}
	return 0;
}

static int
first_cb(json_object *v, void *ctx)
{
	*(json_object **)ctx = v;
	return 1;
}

json_object *
jpath_get(const struct jpath *p, json_object *root)
{
	json_object *hit = NULL;

	if (p == NULL)
		return NULL;
	walk(p, 0, root, first_cb, &hit);
	return hit;
}

struct all_ctx {
	json_object **out;
	size_t max, n;
};

static int
all_cb(json_object *v, void *ctx)
{
	struct all_ctx *a = ctx;

	if (a->n < a->max)
		a->out[a->n] = v;
	a->n++;
	return 0;
}

size_t
jpath_all(const struct jpath *p, json_object *root, json_object **out, size_t max)
{
	struct all_ctx a = { out, max, 0 };

	if (p == NULL)
		return 0;
	walk(p, 0, root, all_cb, &a);
	return a.n;
}

/* Look up a key given as (pointer, length) without allocating for ordinary key lengths. */
static json_object *
object_get_n(json_object *o, const char *k, size_t n)
{
	char small[128];
	char *key = small;
	json_object *v = NULL;

	if (n >= sizeof small)
		key = xstrndup(k, n);
	else {
		memcpy(small, k, n);
		small[n] = '\0';
	}
	if (!json_object_object_get_ex(o, key, &v))
		v = NULL;
	if (key != small)
		free(key);
	return v;
}

json_object *
json_get_path(json_object *root, const char *dotted)
{
	json_object *v = root;
	const char *s = dotted, *dot;

	if (root == NULL || dotted == NULL)
		return NULL;
	if (*dotted == '\0')
		return root;
	for (;;) {
		size_t n;

		dot = strchr(s, '.');
		n = dot != NULL ? (size_t)(dot - s) : strlen(s);
		if (json_object_is_type(v, json_type_object)) {
			v = object_get_n(v, s, n);
		} else if (json_object_is_type(v, json_type_array) && n > 0 &&
		    strspn(s, "0123456789") == n && n < 10) {
			size_t idx = (size_t)strtoul(s, NULL, 10);

			v = idx < json_object_array_length(v) ?
			    json_object_array_get_idx(v, idx) : NULL;
		} else
			return NULL;
		if (v == NULL)
			return NULL;
		if (dot == NULL)
			return v;
		s = dot + 1;
	}
}

const char *
json_get_str(json_object *root, const char *dotted)
{
	json_object *v = json_get_path(root, dotted);

	if (v == NULL)
		return NULL;
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		/* json-c caches the text form of numbers inside the object. */
		return json_object_get_string(v);
	default:
		return NULL;
	}
}

/* ---- one element of a list at a time ---- */

int
jpath_is_each(const struct jpath *p)
{
	size_t i;

	if (p == NULL || p->nsegs < 2 || p->segs[p->nsegs - 1].kind != SEG_ALL)
		return 0;
	for (i = 0; i + 1 < p->nsegs; i++)
		if (p->segs[i].kind == SEG_ALL)
			return 0;
	return 1;
}

static json_object *
narrow_at(const struct jpath *p, size_t s, json_object *v, json_object *elem)
{
	const struct jseg *g = &p->segs[s];
	json_object *out, *next;
	size_t i, n;

	if (s + 1 == p->nsegs) {
		if (!json_object_is_type(v, json_type_array))
			return json_object_get(v);
		out = json_object_new_array();
		json_object_array_add(out, json_object_get(elem));
		return out;
	}
	if (g->kind == SEG_KEY) {
		if (!json_object_is_type(v, json_type_object) ||
		    !json_object_object_get_ex(v, g->key, &next) || next == NULL)
			return json_object_get(v);
		out = json_object_new_object();
		json_object_object_foreach(v, k, val)
			json_object_object_add(out, k, strcmp(k, g->key) == 0 ?
			    narrow_at(p, s + 1, val, elem) : json_object_get(val));
		return out;
	}
	/* SEG_INDEX (the only other kind before the last segment) */
	if (!json_object_is_type(v, json_type_array))
		return g->index == 0 ? narrow_at(p, s + 1, v, elem) : json_object_get(v);
	n = json_object_array_length(v);
	if (g->index >= n)
		return json_object_get(v);
	out = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(v, i);

		json_object_array_add(out, i == g->index ? narrow_at(p, s + 1, e, elem) :
		    json_object_get(e));
	}
	return out;
}

json_object *
jpath_narrow(const struct jpath *p, json_object *root, json_object *elem)
{
	if (!jpath_is_each(p) || root == NULL)
		return json_object_get(root);
	return narrow_at(p, 0, root, elem);
}

/* ---- copying what a path selects ---- */

/* An array of n JSON nulls. */
static json_object *
null_array(size_t n)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_object_array_add(a, NULL);
	return a;
}

/* dst (owned, may be NULL) with what segments s.. select in src merged in; returns the new
 * owned value for dst's place. */
static json_object *
copy_at(const struct jpath *p, size_t s, json_object *src, json_object *dst, int mask)
{
	const struct jseg *g;
	json_object *next, *child, *out = NULL;
	size_t i, n;

	if (src == NULL || json_object_is_type(src, json_type_null))
		return dst;
	if (s == p->nsegs) {
		json_object_put(dst);
		if (mask)
			return json_object_new_string("(sensitive)");
		if (json_object_deep_copy(src, &out, NULL) != 0)
			tf_fatal("out of memory (json_object_deep_copy)");
		return out;
	}
	g = &p->segs[s];
	switch (g->kind) {
	case SEG_KEY:
		if (!json_object_is_type(src, json_type_object) ||
		    !json_object_object_get_ex(src, g->key, &next) || next == NULL)
			return dst;
		child = NULL;
		if (json_object_is_type(dst, json_type_object) &&
		    json_object_object_get_ex(dst, g->key, &child))
			json_object_get(child);
		if ((out = copy_at(p, s + 1, next, child, mask)) == NULL)
			return dst;     /* nothing selected below: nothing made */
		if (dst == NULL || !json_object_is_type(dst, json_type_object)) {
			json_object_put(dst);
			dst = json_object_new_object();
		}
		json_object_object_add(dst, g->key, out);
		return dst;
	case SEG_INDEX:
	case SEG_ALL:
		/* A single value where a list is usual counts as a one-element list (walk). */
		if (!json_object_is_type(src, json_type_array))
			return g->kind == SEG_ALL || g->index == 0 ? copy_at(p, s + 1, src, dst, mask) : dst;
		n = json_object_array_length(src);
		for (i = 0; i < n; i++) {
			int same = json_object_is_type(dst, json_type_array) &&
			    json_object_array_length(dst) == n;

			if (g->kind == SEG_INDEX && i != g->index)
				continue;
			child = same ? json_object_get(json_object_array_get_idx(dst, i)) : NULL;
			if ((out = copy_at(p, s + 1, json_object_array_get_idx(src, i), child, mask)) == NULL)
				continue;
			if (!same) {
				json_object_put(dst);
				dst = null_array(n);
			}
			json_object_array_put_idx(dst, i, out);
		}
		return dst;
	}
	return dst;
}

json_object *
jpath_copy(const struct jpath *p, json_object *src, json_object *dst, int mask)
{
	if (p == NULL)
		return dst;
	return copy_at(p, 0, src, dst, mask);
}

