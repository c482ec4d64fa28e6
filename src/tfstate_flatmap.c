/* tfstate_flatmap: expands flatmap attributes (v3 "attributes", v4 "attributes_flat":
 * {"tags.%":"1","tags.Name":"x","ingress.#":"1","ingress.0.port":"22"}) into nested json-c
 * objects and arrays, the way Terraform's own upgrade reads them. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tfstate_int.h"
#include "util.h"

#define FLAT_MAX_DEPTH	64		/* deeper flatmap keys stay literal */

struct flatent {
	const char *key;
	json_object *val;
};

/* Orders keys so that all keys sharing a first segment are adjacent: '.' sorts first. */
static int
flat_cmp(const void *a, const void *b)
{
	const unsigned char *x = (const unsigned char *)((const struct flatent *)a)->key;
	const unsigned char *y = (const unsigned char *)((const struct flatent *)b)->key;
	int cx, cy;

	for (;; x++, y++) {
		cx = *x == '.' ? 1 : *x;
		cy = *y == '.' ? 1 : *y;
		if (cx != cy || cx == 0)
			return cx - cy;
	}
}

static json_object *flat_value(struct flatent *e, size_t n, size_t off, size_t seglen,
    int depth);

size_t
tfs_seg_len(const char *s)
{
	const char *d = strchr(s, '.');

	return d ? (size_t)(d - s) : strlen(s);
}

static json_object *
flat_scalar(json_object *v)
{
	return v ? json_object_get(v) : NULL;
}

/* Adds key s[0..n) to obj. */
static void
obj_add_n(json_object *obj, const char *s, size_t n, json_object *v)
{
	char *k = xstrndup(s, n);

	json_object_object_add(obj, k, v);
	free(k);
}

static int
is_marker(const char *k)
{
	return (k[0] == '#' || k[0] == '%') && k[1] == '\0';
}

/* The end of the run of entries from e[i] whose key (from off) starts with the segment
 * seg of length sl. */
static size_t
group_end(const struct flatent *e, size_t i, size_t n, size_t off, const char *seg, size_t sl)
{
	size_t j;

	for (j = i + 1; j < n; j++) {
		const char *s2 = e[j].key + off;

		if (strncmp(s2, seg, sl) != 0 || (s2[sl] != '\0' && s2[sl] != '.'))
			break;
	}
	return j;
}

/* Entries e[0..n), keys from offset off, as an object keyed by their first segment. */
static json_object *
flat_object(struct flatent *e, size_t n, size_t off, int depth)
{
	json_object *o = json_object_new_object();
	size_t i = 0, j, sl;
	const char *seg;

	while (i < n) {
		seg = e[i].key + off;
		sl = tfs_seg_len(seg);
		j = group_end(e, i, n, off, seg, sl);
		obj_add_n(o, seg, sl, flat_value(e + i, j - i, off, sl, depth));
		i = j;
	}
	return o;
}

/* Map entries: the rest of each key is one literal map key (count markers skipped). */
static json_object *
flat_map(struct flatent *e, size_t n, size_t off)
{
	json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_marker(e[i].key + off))
			json_object_object_add(o, e[i].key + off, flat_scalar(e[i].val));
	return o;
}

struct flatgrp {
	size_t start, n, seglen;
	const char *seg;
};

static int
grp_cmp(const void *a, const void *b)
{
	const struct flatgrp *x = a, *y = b;

	if (x->seglen != y->seglen)	/* all digits: shorter is smaller */
		return x->seglen < y->seglen ? -1 : 1;
	if (memcmp(x->seg, y->seg, x->seglen) != 0)
		return memcmp(x->seg, y->seg, x->seglen);
	return x->start < y->start ? -1 : x->start > y->start;
}

/* List (or set) elements keyed by index or set hash, in numeric order. */
static json_object *
flat_list(struct flatent *e, size_t n, size_t off, int depth)
{
	json_object *a = json_object_new_array();
	struct flatgrp *g;
	size_t ng = 0, i = 0, j, k, sl;
	const char *seg;

	g = xreallocarray(NULL, n ? n : 1, sizeof *g);
	while (i < n) {
		seg = e[i].key + off;
		sl = tfs_seg_len(seg);
		j = group_end(e, i, n, off, seg, sl);
		if (j - i == 1 && is_marker(seg)) {
			i = j;
			continue;
		}
		/* Leading zeros would break the length order; skip them for sorting. */
		k = 0;
		while (k + 1 < sl && seg[k] == '0')
			k++;
		g[ng].start = i;
		g[ng].n = j - i;
		g[ng].seg = seg + k;
		g[ng].seglen = sl - k;
		ng++;
		i = j;
	}
	qsort(g, ng, sizeof *g, grp_cmp);
	for (k = 0; k < ng; k++) {
		sl = tfs_seg_len(e[g[k].start].key + off);
		json_object_array_add(a, flat_value(e + g[k].start, g[k].n, off, sl, depth));
	}
	free(g);
	return a;
}

/* The value of one group (all keys starting with the same segment of length seglen):
 * X.% marks a map, X.# a list or set (or, in v1 states, a map when its keys are not
 * numbers), and dotted keys without a marker a nested object. */
static json_object *
flat_value(struct flatent *e, size_t n, size_t off, size_t seglen, int depth)
{
	size_t coff = off + seglen + 1, i, nc;
	struct flatent *c;
	int has_exact = e[0].key[off + seglen] == '\0';
	int pct = 0, hash = 0, digits = 1;

	if (has_exact && n == 1)
		return flat_scalar(e[0].val);
	/* A key that is also a container prefix ("a" and "a.#") is malformed: keep the container. */
	c = has_exact ? e + 1 : e;
	nc = has_exact ? n - 1 : n;
	for (i = 0; i < nc; i++) {
		const char *k = c[i].key + coff;

		if (strcmp(k, "%") == 0)
			pct = 1;
		else if (strcmp(k, "#") == 0)
			hash = 1;
		else if (!tf_all_digits(k, tfs_seg_len(k)))
			digits = 0;
	}
	if (depth + 1 >= FLAT_MAX_DEPTH || pct || (hash && !digits))
		return flat_map(c, nc, coff);
	if (hash)
		return flat_list(c, nc, coff, depth + 1);
	return flat_object(c, nc, coff, depth + 1);
}

/* Expand a flatmap object ({"tags.%":"1","tags.Name":"x"}) into nested json-c values. */
json_object *
tfs_flat_expand(json_object *flat)
{
	struct flatent *e;
	size_t n = 0, cap;
	json_object *r;

	if (flat == NULL || !json_object_is_type(flat, json_type_object))
		return json_object_new_object();
	cap = (size_t)json_object_object_length(flat);
	e = xreallocarray(NULL, cap ? cap : 1, sizeof *e);
	json_object_object_foreach(flat, k, v) {
		if (n < cap) {
			e[n].key = k;
			e[n].val = v;
			n++;
		}
	}
	qsort(e, n, sizeof *e, flat_cmp);
	r = flat_object(e, n, 0, 0);
	free(e);
	return r;
}
