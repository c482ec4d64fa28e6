/* tfstate_fast: the v4 fast path.
 * For a big state json-c spends most of its time allocating hash tables for objects that
 * are only looked through (resources, instances, sensitive path steps).  This path walks
 * that skeleton itself and hands every value it keeps or must check to json_tokener
 * (strict, over the exact span), so the only trees built are the ones kept.  It never
 * accepts what the whole-document path rejects: on anything unexpected, and on every
 * error, it gives up and the whole-document path runs and words the message. */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tfstate_int.h"
#include "util.h"

#define SUB_DEPTH	(JSON_MAX_DEPTH - 8)	/* sub-values sit at most 6 levels down */

struct scan {
	const char *b;
	size_t n, i;
	json_tokener *tok;
};

static int
sc_isws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
sc_ws(struct scan *s)
{
	while (s->i < s->n && sc_isws(s->b[s->i]))
		s->i++;
}

/* The end of the string whose opening quote is at i, just past its closing quote; 0 when it
 * is unterminated or holds a NUL (json_tokener stops there). */
static size_t
sc_string_end(const char *b, size_t n, size_t i)
{
	const char *q;
	size_t j, bs;

	for (i++;;) {
		q = memchr(b + i, '"', n - i);
		if (q == NULL)
			return 0;
		j = (size_t)(q - b);
		if (memchr(b + i, '\0', j - i) != NULL)
			return 0;
		for (bs = 0; j - bs > i && b[j - bs - 1] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			return j + 1;
		i = j + 1;	/* an escaped quote */
	}
}

/* The span of the value at s->i: strings and nesting are followed, nothing is checked. */
static int
sc_skip(struct scan *s, size_t *a, size_t *e)
{
	const char *b = s->b;
	size_t i = s->i, n = s->n, depth = 0;
	unsigned char c;

	if (i >= n)
		return -1;
	*a = i;
	c = (unsigned char)b[i];
	if (c == '"') {
		if ((i = sc_string_end(b, n, i)) == 0)
			return -1;
	} else if (c == '{' || c == '[') {
		for (; i < n; i++) {
			c = (unsigned char)b[i];
			if (c > ']' && c != '{' && c != '}')	/* most bytes: letters, digits */
				continue;
			if (c == '"') {
				if ((i = sc_string_end(b, n, i)) == 0)
					return -1;
				i--;
			} else if (c == '{' || c == '[')
				depth++;
			else if (c == '}' || c == ']') {
				if (--depth == 0) {
					i++;
					break;
				}
			} else if (c == '\0')
				return -1;
		}
		if (depth > 0)
			return -1;
	} else {
		while (i < n && b[i] != ',' && b[i] != '}' && b[i] != ']' && !sc_isws(b[i]) &&
		    b[i] != '\0')
			i++;
		if (i == *a)
			return -1;
	}
	*e = i;
	s->i = i;
	return 0;
}

/* json_tokener over exactly [a, e); *out is NULL for a JSON null. */
static int
sc_parse(struct scan *s, size_t a, size_t e, json_object **out)
{
	json_object *o;
	enum json_tokener_error jerr;

	*out = NULL;
	if (e - a > INT_MAX)
		return -1;
	json_tokener_reset(s->tok);
	o = json_tokener_parse_ex(s->tok, s->b + a, (int)(e - a));
	jerr = json_tokener_get_error(s->tok);
	if (jerr == json_tokener_continue) {
		o = json_tokener_parse_ex(s->tok, "", 1);
		jerr = json_tokener_get_error(s->tok);
	} else if (jerr == json_tokener_success && json_tokener_get_parse_end(s->tok) != e - a)
		jerr = json_tokener_error_parse_unexpected;
	if (jerr != json_tokener_success) {
		json_object_put(o);
		return -1;
	}
	*out = o;
	return 0;
}

/* Kinds of scalar read without json_tokener (each call to it costs a locale switch). */
enum simple { SIMPLE_NO, SIMPLE_STR, SIMPLE_INT, SIMPLE_TRUE, SIMPLE_FALSE, SIMPLE_NULL };

/* A string without escapes, an int64 written plainly, or a literal: json_tokener reads all of
 * these exactly so (raw control and non-UTF-8 bytes included); anything else goes to it. */
static enum simple
sc_simple(const char *v, size_t n)
{
	size_t i, d;

	if (n >= 2 && v[0] == '"') {
		for (i = 1; i < n - 1; i++)
			if (v[i] == '\\' || v[i] == '"' || v[i] == '\0')
				return SIMPLE_NO;
		return v[n - 1] == '"' ? SIMPLE_STR : SIMPLE_NO;
	}
	if (n == 4 && memcmp(v, "true", 4) == 0)
		return SIMPLE_TRUE;
	if (n == 5 && memcmp(v, "false", 5) == 0)
		return SIMPLE_FALSE;
	if (n == 4 && memcmp(v, "null", 4) == 0)
		return SIMPLE_NULL;
	i = v[0] == '-' ? 1 : 0;
	d = n - i;
	if (d == 0 || d > 18 || (v[i] == '0' && (d > 1 || i == 1)))
		return SIMPLE_NO;
	for (; i < n; i++)
		if (v[i] < '0' || v[i] > '9')
			return SIMPLE_NO;
	return SIMPLE_INT;
}

/* Takes the value at s->i and returns it as json-c (NULL for null). */
static int
sc_value(struct scan *s, json_object **out)
{
	size_t a, e;
	const char *v;

	*out = NULL;
	if (sc_skip(s, &a, &e) != 0)
		return -1;
	v = s->b + a;
	switch (e - a > INT_MAX ? SIMPLE_NO : sc_simple(v, e - a)) {
	case SIMPLE_STR:
		*out = json_object_new_string_len(v + 1, (int)(e - a - 2));
		return 0;
	case SIMPLE_INT: {
		/* At most 18 digits: no overflow.  (The buffer need not end in a NUL.) */
		int64_t x = 0;
		size_t i;

		for (i = v[0] == '-'; i < e - a; i++)
			x = x * 10 + (v[i] - '0');
		*out = json_object_new_int64(v[0] == '-' ? -x : x);
		return 0;
	}
	case SIMPLE_TRUE:
	case SIMPLE_FALSE:
		*out = json_object_new_boolean(v[0] == 't');
		return 0;
	case SIMPLE_NULL:
		return 0;
	default:
		return sc_parse(s, a, e, out);
	}
}

/* Takes the value at s->i, only to check it. */
static int
sc_check(struct scan *s)
{
	size_t a, e;
	json_object *o;

	if (sc_skip(s, &a, &e) != 0)
		return -1;
	if (sc_simple(s->b + a, e - a) != SIMPLE_NO)
		return 0;
	if (sc_parse(s, a, e, &o) != 0)
		return -1;
	json_object_put(o);
	return 0;
}

/* Each callback takes (consumes) the value at s->i. */
typedef int (*sc_field_fn)(struct scan *, const char *, void *);
typedef int (*sc_elem_fn)(struct scan *, size_t, void *);

static int
sc_peek(struct scan *s, char c)
{
	return s->i < s->n && s->b[s->i] == c;
}

/* Calls fn(key) for each member of the object at s->i. */
static int
sc_object(struct scan *s, sc_field_fn fn, void *arg)
{
	size_t ka, ke, j;
	json_object *ko;
	const char *k;
	char *kc, kbuf[64];	/* longer keys go to the heap */
	int r;

	sc_ws(s);
	if (!sc_peek(s, '{'))
		return -1;
	s->i++;
	sc_ws(s);
	if (sc_peek(s, '}')) {
		s->i++;
		return 0;
	}
	for (;;) {
		sc_ws(s);
		if (!sc_peek(s, '"') || sc_skip(s, &ka, &ke) != 0)
			return -1;
		ko = NULL;
		kc = NULL;
		for (j = ka + 1; j < ke - 1; j++)
			if (s->b[j] == '\\' || (unsigned char)s->b[j] < 0x20)
				break;
		if (j == ke - 1 && ke - ka - 2 < sizeof kbuf) {
			memcpy(kbuf, s->b + ka + 1, ke - ka - 2);
			kbuf[ke - ka - 2] = '\0';
			k = kbuf;
		} else if (j == ke - 1) {
			k = kc = xstrndup(s->b + ka + 1, ke - ka - 2);
		} else {
			if (sc_parse(s, ka, ke, &ko) != 0 || !json_object_is_type(ko, json_type_string)) {
				json_object_put(ko);
				return -1;
			}
			k = json_object_get_string(ko);
		}
		sc_ws(s);
		r = -1;
		if (sc_peek(s, ':')) {
			s->i++;
			sc_ws(s);
			r = fn(s, k, arg);
		}
		free(kc);
		json_object_put(ko);
		if (r != 0)
			return -1;
		sc_ws(s);
		if (sc_peek(s, ',')) {
			s->i++;
			continue;
		}
		if (sc_peek(s, '}')) {
			s->i++;
			return 0;
		}
		return -1;
	}
}

/* Calls fn(index) for each element of the array at s->i. */
static int
sc_array(struct scan *s, sc_elem_fn fn, void *arg)
{
	size_t idx = 0;

	sc_ws(s);
	if (!sc_peek(s, '['))
		return -1;
	s->i++;
	sc_ws(s);
	if (sc_peek(s, ']')) {
		s->i++;
		return 0;
	}
	for (;;) {
		sc_ws(s);
		if (fn(s, idx++, arg) != 0)
			return -1;
		sc_ws(s);
		if (sc_peek(s, ',')) {
			s->i++;
			continue;
		}
		if (sc_peek(s, ']')) {
			s->i++;
			return 0;
		}
		return -1;
	}
}

/* Stores a wanted member's value (a repeated member gives up: only the last would count). */
static int
sc_keep(struct scan *s, json_object **slot, int *seen)
{
	if (*seen)
		return -1;
	*seen = 1;
	return sc_value(s, slot);
}

static int
sc_is_null(struct scan *s)
{
	return s->n - s->i >= 4 && memcmp(s->b + s->i, "null", 4) == 0;
}

struct fast_inst {
	struct pctx *p;
	size_t ri;
	const char *module, *type, *name;
	struct v4inst f;
	int seen[8];
};

static int
fast_inst_field(struct scan *s, const char *k, void *arg)
{
	static const char *const keys[] = {
		"index_key", "status", "deposed", "attributes", "attributes_flat",
		"sensitive_attributes", "dependencies", "depends_on",
	};
	struct fast_inst *fi = arg;
	struct v4inst *f = &fi->f;
	json_object **slot[] = {
		&f->index_key, &f->status, &f->deposed, &f->attributes, &f->attributes_flat,
		&f->sensitive, &f->dependencies, &f->depends_on,
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(keys); i++) {
		if (strcmp(k, keys[i]) != 0)
			continue;
		if (i == 6)
			f->has_dependencies = 1;
		return sc_keep(s, slot[i], &fi->seen[i]);
	}
	return sc_check(s);
}

static int
fast_inst(struct scan *s, size_t ii, void *arg)
{
	struct fast_inst *fi = arg;
	struct v4inst *f = &fi->f;
	int r;

	memset(f, 0, sizeof *f);
	memset(fi->seen, 0, sizeof fi->seen);
	r = sc_object(s, fast_inst_field, fi);
	if (r == 0)
		r = tfs_v4_instance(fi->p, fi->ri, ii, f, fi->module, fi->type, fi->name, NULL);
	json_object_put(f->index_key);
	json_object_put(f->status);
	json_object_put(f->deposed);
	json_object_put(f->attributes);
	json_object_put(f->attributes_flat);
	json_object_put(f->sensitive);
	json_object_put(f->dependencies);
	json_object_put(f->depends_on);
	return r;
}

struct fast_res {
	json_object *type, *name, *module, *mode;
	size_t ia, ie;
	int seen[5];
};

static int
fast_res_field(struct scan *s, const char *k, void *arg)
{
	struct fast_res *fr = arg;

	if (strcmp(k, "type") == 0)
		return sc_keep(s, &fr->type, &fr->seen[0]);
	if (strcmp(k, "name") == 0)
		return sc_keep(s, &fr->name, &fr->seen[1]);
	if (strcmp(k, "module") == 0)
		return sc_keep(s, &fr->module, &fr->seen[2]);
	if (strcmp(k, "mode") == 0)
		return sc_keep(s, &fr->mode, &fr->seen[3]);
	if (strcmp(k, "instances") == 0) {
		/* Walked once type and name are known: usually the last member. */
		if (fr->seen[4])
			return -1;
		fr->seen[4] = 1;
		return sc_skip(s, &fr->ia, &fr->ie);
	}
	return sc_check(s);
}

static int
fast_res(struct scan *s, size_t ri, void *arg)
{
	struct pctx *p = arg;
	struct fast_res fr;
	struct fast_inst fi;
	struct scan sub;
	json_object *insts = NULL;
	const char *type, *name, *module, *mode;
	int r = -1;

	memset(&fr, 0, sizeof fr);
	if (sc_object(s, fast_res_field, &fr) != 0)
		goto out;
	type = tfs_str_or_null(fr.type);
	name = tfs_str_or_null(fr.name);
	if (type == NULL || *type == '\0' || name == NULL || *name == '\0')
		goto out;
	module = tfs_str_or_null(fr.module);
	mode = tfs_str_or_null(fr.mode);
	sub = *s;
	sub.i = fr.ia;
	sub.n = fr.ie;
	if (!fr.seen[4] || (fr.ie - fr.ia == 4 && sc_is_null(&sub))) {
		r = 0;
		goto out;
	}
	if (!sc_peek(&sub, '['))
		goto out;
	if (mode != NULL && strcmp(mode, "data") == 0) {
		if (sc_parse(s, fr.ia, fr.ie, &insts) == 0) {
			p->st->ndata += json_object_array_length(insts);
			r = 0;
		}
		goto out;
	}
	if (mode != NULL && strcmp(mode, "managed") != 0)
		goto out;
	fi.p = p;
	fi.ri = ri;
	fi.module = module ? module : "";
	fi.type = type;
	fi.name = name;
	r = sc_array(&sub, fast_inst, &fi) == 0 && sub.i == fr.ie ? 0 : -1;
out:
	json_object_put(insts);
	json_object_put(fr.type);
	json_object_put(fr.name);
	json_object_put(fr.module);
	json_object_put(fr.mode);
	return r;
}

struct fast_root {
	struct pctx *p;
	int seen[5];		/* version, terraform_version, serial, lineage, resources */
	int v4;			/* "version": 4 seen */
	int deferred;		/* resources met before version: walked afterwards */
	size_t ra, re;
};

static int
fast_root_field(struct scan *s, const char *k, void *arg)
{
	static const char *const keys[] = {
		"version", "terraform_version", "serial", "lineage", "resources",
	};
	struct fast_root *fr = arg;
	struct tf_state *st = fr->p->st;
	json_object *v = NULL;
	size_t i;
	int r;

	if (strcmp(k, "encryption_version") == 0 || strcmp(k, "encrypted_data") == 0)
		return -1;
	for (i = 0; i < TF_ARRLEN(keys); i++)
		if (strcmp(k, keys[i]) == 0)
			break;
	if (i == TF_ARRLEN(keys))
		return sc_check(s);
	if (fr->seen[i])
		return -1;
	fr->seen[i] = 1;
	if (i == 4) {
		if (!fr->v4) {
			fr->deferred = 1;
			return sc_skip(s, &fr->ra, &fr->re);
		}
		if (sc_is_null(s))
			return sc_check(s);
		return sc_array(s, fast_res, fr->p);
	}
	if (sc_value(s, &v) != 0)
		return -1;
	r = 0;
	switch (i) {
	case 0:
		if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) == 4)
			fr->v4 = 1;
		else
			r = -1;		/* not v4: the whole-document path */
		break;
	case 1:
		st->tf_version = xstrdup(tfs_str_or_null(v));
		break;
	case 2:
		if (json_object_is_type(v, json_type_int))
			st->serial = json_object_get_int64(v) < 0 ? 0 : json_object_get_uint64(v);
		break;
	default:
		st->lineage = xstrdup(tfs_str_or_null(v));
	}
	json_object_put(v);
	return r;
}

/* The v4 fast path: 0 with *out set, or -1 to fall back to the whole-document path. */
int
tfs_fast_v4(const char *buf, size_t len, const char *source, const struct tfstate_keep *keep,
    struct tf_state **out)
{
	struct scan s, sub;
	struct fast_root fr;
	struct pctx p;
	int r = -1;

	memset(&s, 0, sizeof s);
	memset(&fr, 0, sizeof fr);
	memset(&p, 0, sizeof p);
	p.keep = keep;
	s.b = buf;
	s.n = len;
	if ((s.tok = json_tokener_new_ex(SUB_DEPTH)) == NULL)
		return -1;
	json_tokener_set_flags(s.tok, JSON_TOKENER_STRICT);
	p.source = source;
	p.st = tfs_state_new(source, 4);
	fr.p = &p;
	if (sc_object(&s, fast_root_field, &fr) != 0 || !fr.v4)
		goto out;
	sc_ws(&s);
	if (s.i != len)
		goto out;
	if (fr.deferred) {		/* resources came before version */
		sub = s;
		sub.i = fr.ra;
		sub.n = fr.re;
		if (sc_is_null(&sub) ? sc_check(&sub) != 0 :
		    sc_array(&sub, fast_res, &p) != 0 || sub.i != fr.re)
			goto out;
	}
	*out = tfs_pctx_finish(&p);
	p.st = NULL;
	r = 0;
out:
	if (p.st != NULL)
		tfs_pctx_discard(&p);
	json_tokener_free(s.tok);
	return r;
}
