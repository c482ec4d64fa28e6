/* tfstate_fast: the v4 fast path.
 * For a big state json-c spends most of its time allocating hash tables for objects that
 * are only looked through (resources, instances, sensitive path steps).  This path walks
 * that skeleton itself and hands every value it keeps or must check to json_tokener
 * (strict, over the exact span), so the only trees built are the ones kept.  It never
 * accepts what the whole-document path rejects: on anything unexpected, and on every
 * error, it gives up and the whole-document path runs and words the message.  The walk is
 * jscan's (strict: what it rejects, json-c may still take, so that too means "give up"). */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "tfstate_int.h"
#include "util.h"

#define SUB_DEPTH	(JSON_MAX_DEPTH - 8)	/* sub-values sit at most 6 levels down */

/* The cursor (first, so a struct jscan * the walkers hand back is the struct scan) and the
 * tokenizer for the values kept. */
struct scan {
	struct jscan js;
	json_tokener *tok;
};

static struct scan *
sc_of(struct jscan *js)
{
	return (struct scan *)(void *)js;
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
	o = json_tokener_parse_ex(s->tok, s->js.b + a, (int)(e - a));
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
	if (jscan_skip(&s->js, &a, &e) != 0)
		return -1;
	v = s->js.b + a;
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
sc_is_null(struct jscan *js)
{
	return jscan_peek(js) == JSCAN_NULL;
}

/* A key json-c would read differently: with a NUL (\u0000), it cuts the key there. */
static int
key_has_nul(const char *k, size_t kl)
{
	return strlen(k) != kl;
}

struct fast_inst {
	struct pctx *p;
	size_t ri;
	const char *module, *type, *name;
	struct v4inst f;
	int seen[8];
};

static int
fast_inst_field(struct jscan *js, const char *k, size_t kl, void *arg)
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

	if (key_has_nul(k, kl))
		return -1;
	for (i = 0; i < TF_ARRLEN(keys); i++) {
		if (strcmp(k, keys[i]) != 0)
			continue;
		if (i == 6)
			f->has_dependencies = 1;
		return sc_keep(sc_of(js), slot[i], &fi->seen[i]);
	}
	return jscan_skip(js, NULL, NULL);
}

static int
fast_inst(struct jscan *js, size_t ii, void *arg)
{
	struct fast_inst *fi = arg;
	struct v4inst *f = &fi->f;
	int r;

	memset(f, 0, sizeof *f);
	memset(fi->seen, 0, sizeof fi->seen);
	r = jscan_object(js, fast_inst_field, fi);
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
fast_res_field(struct jscan *js, const char *k, size_t kl, void *arg)
{
	struct fast_res *fr = arg;
	struct scan *s = sc_of(js);

	if (key_has_nul(k, kl))
		return -1;
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
		return jscan_skip(js, &fr->ia, &fr->ie);
	}
	return jscan_skip(js, NULL, NULL);
}

static int
fast_res(struct jscan *js, size_t ri, void *arg)
{
	struct pctx *p = arg;
	struct scan *s = sc_of(js), sub;
	struct fast_res fr;
	struct fast_inst fi;
	json_object *insts = NULL;
	const char *type, *name, *module, *mode;
	int r = -1, d = js->depth + 1;	/* the depth of the members' values */

	memset(&fr, 0, sizeof fr);
	if (jscan_object(js, fast_res_field, &fr) != 0)
		goto out;
	type = tfs_str_or_null(fr.type);
	name = tfs_str_or_null(fr.name);
	if (type == NULL || *type == '\0' || name == NULL || *name == '\0')
		goto out;
	module = tfs_str_or_null(fr.module);
	mode = tfs_str_or_null(fr.mode);
	if (!fr.seen[4]) {
		r = 0;
		goto out;
	}
	sub.tok = s->tok;
	jscan_sub(&sub.js, js, fr.ia, fr.ie, d);
	if (sc_is_null(&sub.js)) {
		r = 0;
		goto out;
	}
	if (jscan_peek(&sub.js) != JSCAN_ARRAY)
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
	r = jscan_array(&sub.js, fast_inst, &fi) == 0 && jscan_at_end(&sub.js) ? 0 : -1;
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
fast_root_field(struct jscan *js, const char *k, size_t kl, void *arg)
{
	static const char *const keys[] = {
		"version", "terraform_version", "serial", "lineage", "resources",
	};
	struct fast_root *fr = arg;
	struct tf_state *st = fr->p->st;
	json_object *v = NULL;
	size_t i;
	int r;

	if (key_has_nul(k, kl))
		return -1;
	if (strcmp(k, "encryption_version") == 0 || strcmp(k, "encrypted_data") == 0)
		return -1;
	for (i = 0; i < TF_ARRLEN(keys); i++)
		if (strcmp(k, keys[i]) == 0)
			break;
	if (i == TF_ARRLEN(keys))
		return jscan_skip(js, NULL, NULL);
	if (fr->seen[i])
		return -1;
	fr->seen[i] = 1;
	if (i == 4) {
		if (!fr->v4) {
			fr->deferred = 1;
			return jscan_skip(js, &fr->ra, &fr->re);
		}
		if (sc_is_null(js))
			return jscan_skip(js, NULL, NULL);
		return jscan_array(js, fast_res, fr->p);
	}
	if (sc_value(sc_of(js), &v) != 0)
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

int
tfs_fast_v4(const char *buf, size_t len, const char *source, const struct tfstate_keep *keep,
    struct tf_state **out)
{
	struct scan s, sub;
	struct fast_root fr;
	struct pctx p;
	int r = -1;

	memset(&fr, 0, sizeof fr);
	memset(&p, 0, sizeof p);
	p.keep = keep;
	jscan_init(&s.js, buf, len);
	s.js.max_depth = SUB_DEPTH;
	if ((s.tok = json_tokener_new_ex(SUB_DEPTH)) == NULL)
		return -1;
	json_tokener_set_flags(s.tok, JSON_TOKENER_STRICT);
	p.source = source;
	p.st = tfs_state_new(source, 4);
	fr.p = &p;
	if (jscan_object(&s.js, fast_root_field, &fr) != 0 || !fr.v4)
		goto out;
	if (!jscan_at_end(&s.js))
		goto out;
	if (fr.deferred) {		/* resources came before version */
		sub.tok = s.tok;
		jscan_sub(&sub.js, &s.js, fr.ra, fr.re, 1);
		if (sc_is_null(&sub.js) ? jscan_skip(&sub.js, NULL, NULL) != 0 :
		    jscan_array(&sub.js, fast_res, &p) != 0 || !jscan_at_end(&sub.js))
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
