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
struct rawwalk;

struct scan {
	struct jscan js;
	json_tokener *tok;
	struct rawwalk *raw;	/* buffers reused by every instance's raw_attrs */
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
enum simple {
	SIMPLE_NO, SIMPLE_STR, SIMPLE_INT, SIMPLE_TRUE, SIMPLE_FALSE, SIMPLE_NULL,
	SIMPLE_ARRAY, SIMPLE_OBJECT,	/* empty */
};

/* A string without escapes, an int64 written plainly, a literal, or an empty array or object
 * ("sensitive_attributes": [] in every instance): json_tokener reads all of these exactly so
 * (raw control and non-UTF-8 bytes included); anything else goes to it. */
static enum simple
sc_simple(const char *v, size_t n)
{
	size_t i, d;

	if (n >= 2 && (v[0] == '[' || v[0] == '{') && v[n - 1] == (v[0] == '[' ? ']' : '}')) {
		for (i = 1; i < n - 1; i++)
			if (v[i] != ' ' && v[i] != '\t' && v[i] != '\n' && v[i] != '\r')
				return SIMPLE_NO;
		return v[0] == '[' ? SIMPLE_ARRAY : SIMPLE_OBJECT;
	}

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
	case SIMPLE_ARRAY:
		*out = json_object_new_array();
		return 0;
	case SIMPLE_OBJECT:
		*out = json_object_new_object();
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

/* ---- attributes without a tree ----
 * An instance's "attributes" object is read off the text: the id, the paths of secret-named
 * attributes at any depth (what scan_secrets finds in the tree, in the same order) and the
 * members the keep filter wants, copied as text.  What json-c would read differently makes
 * the walk give up (the attributes then go through json-c and tfs_finish_inst): a key with a
 * NUL (json-c cuts it), and a key given twice in one object where one of the values is an
 * object or an array (json-c keeps the last value in the first place: the secrets found, and
 * their order, could differ).  Duplicates of scalars are harmless: the text keeps them all
 * and json-c, reading it back, keeps the same last one. */

/* What the keep filter said about an attribute name of kc_type. */
struct keepc {
	uint64_t h;
	char *name;
	int keep;
};

struct rawwalk {
	const char *type;
	const struct tfstate_keep *keep;
	char *kc_type;		/* the type kc[] is about (the filter is asked once per name) */
	struct keepc *kc;
	size_t nkc, capkc;
	struct strbuf path;	/* the dotted path being walked (scan_secrets's) */
	struct strbuf text;	/* the members kept */
	struct tfs_rawattrs out;
	size_t nsec_cap;
};

/* A key seen in the current object, for the duplicate check. */
struct rawkey {
	uint64_t h;
	struct jscan_str k;
	int container;
};

static uint64_t
key_hash(const char *k, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*k++;
		h *= 1099511628211ULL;
	}
	return h;
}

/* Is the raw key r the decoded key k[0..n)? */
static int
rawkey_is(const struct jscan_str *r, const char *k, size_t n)
{
	char buf[128], *d = NULL;
	size_t l;
	int eq;

	if (!r->esc)
		return r->n == n && memcmp(r->p, k, n) == 0;
	if (r->n < sizeof buf) {
		l = jscan_unescape(r->p, r->n, buf);
		return l == n && memcmp(buf, k, n) == 0;
	}
	d = jscan_strdup(r, &l);
	eq = l == n && memcmp(d, k, n) == 0;
	free(d);
	return eq;
}

static int raw_value(struct jscan *js, struct rawwalk *w);

static void
raw_secret(struct rawwalk *w)
{
	if (w->out.nsecrets == w->nsec_cap) {
		w->nsec_cap = w->nsec_cap ? w->nsec_cap * 2 : 4;
		w->out.secrets = xreallocarray(w->out.secrets, w->nsec_cap, sizeof *w->out.secrets);
	}
	w->out.secrets[w->out.nsecrets++] = xstrdup(w->path.buf);
}

/* attributes.id as tfs_finish_inst words it: a string, or an integer json-c reads as one. */
static int
raw_id(struct jscan *js, struct rawwalk *w, size_t a, size_t e)
{
	json_object *o;
	struct jscan_str s;
	struct jscan sub;

	free(w->out.id);
	w->out.id = NULL;
	if (js->b[a] == '"') {
		jscan_sub(&sub, js, a, e, js->depth);
		if (jscan_string(&sub, &s) != 0)
			return -1;
		w->out.id = jscan_strdup(&s, NULL);
	} else if (js->b[a] == '-' || (js->b[a] >= '0' && js->b[a] <= '9')) {
		char *num = xstrndup(js->b + a, e - a);

		o = json_tokener_parse(num);
		free(num);
		if (json_object_is_type(o, json_type_int))
			w->out.id = xasprintf("%lld", (long long)json_object_get_int64(o));
		json_object_put(o);
	}
	return 0;
}

static void
keepc_clear(struct rawwalk *w)
{
	size_t i;

	for (i = 0; i < w->nkc; i++)
		free(w->kc[i].name);
	w->nkc = 0;
	free(w->kc_type);
	w->kc_type = NULL;
}

/* Does the filter keep top-level attribute key (hash h)? */
static int
raw_keep(struct rawwalk *w, const char *key, size_t kl, uint64_t h)
{
	size_t i;
	int r;

	if (w->keep == NULL || w->keep->fn == NULL || (kl == 2 && memcmp(key, "id", 2) == 0) ||
	    (kl == 3 && memcmp(key, "arn", 3) == 0) || (kl == 9 && memcmp(key, "self_link", 9) == 0))
		return 1;
	if (w->kc_type == NULL || strcmp(w->kc_type, w->type) != 0) {
		keepc_clear(w);
		w->kc_type = xstrdup(w->type);
	}
	for (i = 0; i < w->nkc; i++)
		if (w->kc[i].h == h && strcmp(w->kc[i].name, key) == 0)
			return w->kc[i].keep;
	r = w->keep->fn(w->keep->ctx, w->type, key);
	if (w->nkc == w->capkc) {
		if (w->capkc >= 256)
			return r;
		w->capkc = w->capkc ? w->capkc * 2 : 16;
		w->kc = xreallocarray(w->kc, w->capkc, sizeof *w->kc);
	}
	w->kc[w->nkc].h = h;
	w->kc[w->nkc].name = xstrndup(key, kl);
	w->kc[w->nkc].keep = r;
	w->nkc++;
	return r;
}

/* The members of the object at the cursor; top: the attributes object itself. */
static int
raw_object(struct jscan *js, struct rawwalk *w, int top)
{
	struct rawkey stk[32], *seen = stk;
	size_t nseen = 0, capseen = TF_ARRLEN(stk), mark = w->path.len, a, e, kl, i;
	struct jscan_it it;
	struct jscan_str k;
	char kbuf[128], *heap = NULL;
	const char *key;
	enum jscan_type t;
	uint64_t h;
	int r, secret, container;

	if (jscan_object_begin(js, &it) != 0)
		return -1;
	while ((r = jscan_object_next(js, &it, &k)) == 1) {
		free(heap);
		key = jscan_key(&k, kbuf, sizeof kbuf, &kl, &heap);
		if (memchr(key, '\0', kl) != NULL)
			goto fail;
		secret = tfs_is_secret_name(key, kl);
		t = jscan_peek(js);
		container = t == JSCAN_OBJECT || t == JSCAN_ARRAY;
		h = secret && !top ? 0 : key_hash(key, kl);
		if (!secret) {
			for (i = 0; i < nseen; i++)
				if (seen[i].h == h && (seen[i].container || container) &&
				    rawkey_is(&seen[i].k, key, kl))
					goto fail;
			if (nseen == capseen) {
				capseen *= 2;
				if (seen == stk) {
					seen = xreallocarray(NULL, capseen, sizeof *seen);
					memcpy(seen, stk, sizeof stk);
				} else
					seen = xreallocarray(seen, capseen, sizeof *seen);
			}
			seen[nseen].h = h;
			seen[nseen].k = k;
			seen[nseen].container = container;
			nseen++;
		}
		a = js->i;
		if (secret || container) {
			if (mark > 0)
				sb_addc(&w->path, '.');
			sb_add(&w->path, key, kl);
		}
		if (secret) {
			raw_secret(w);
			r = jscan_skip(js, NULL, NULL);
		} else if (container)
			r = raw_value(js, w);
		else
			r = jscan_skip(js, NULL, NULL);
		w->path.len = mark;
		w->path.buf[mark] = '\0';
		if (r != 0)
			goto fail;
		e = js->i;
		if (!top)
			continue;
		if (kl == 2 && memcmp(key, "id", 2) == 0 && raw_id(js, w, a, e) != 0)
			goto fail;
		if (raw_keep(w, key, kl, h)) {
			sb_addc(&w->text, w->text.len > 0 ? ',' : '{');
			sb_add(&w->text, k.p - 1, k.n + 2);
			sb_addc(&w->text, ':');
			sb_add(&w->text, js->b + a, e - a);
		}
	}
	free(heap);
	if (seen != stk)
		free(seen);
	return r;
fail:
	free(heap);
	if (seen != stk)
		free(seen);
	return -1;
}

/* The value at the cursor, for secrets below it. */
static int
raw_value(struct jscan *js, struct rawwalk *w)
{
	struct jscan_it it;
	size_t mark = w->path.len, idx;
	enum jscan_type t;
	int r;

	t = jscan_peek(js);
	if (t == JSCAN_OBJECT)
		return raw_object(js, w, 0);
	if (t != JSCAN_ARRAY)
		return jscan_skip(js, NULL, NULL);
	if (jscan_array_begin(js, &it) != 0)
		return -1;
	while ((r = jscan_array_next(js, &it)) == 1) {
		idx = it.n - 1;
		t = jscan_peek(js);
		if (t != JSCAN_OBJECT && t != JSCAN_ARRAY) {
			if (jscan_skip(js, NULL, NULL) != 0)
				return -1;
			continue;
		}
		if (mark > 0)
			sb_addc(&w->path, '.');
		tfs_add_int(&w->path, (long long)idx);
		r = raw_value(js, w);
		w->path.len = mark;
		w->path.buf[mark] = '\0';
		if (r != 0)
			return -1;
	}
	return r;
}

static void
rawattrs_free(struct tfs_rawattrs *r)
{
	size_t i;

	free(r->id);
	for (i = 0; i < r->nsecrets; i++)
		free(r->secrets[i]);
	free(r->secrets);
	free(r->text);
	memset(r, 0, sizeof *r);
}

/* Reads the attributes object at the cursor into *out: 0, or -1 with the cursor unmoved
 * when json-c must read it (or it is not valid JSON: json-c then says so). */
static int
raw_attrs(struct jscan *js, const char *type, const struct tfstate_keep *keep,
    struct tfs_rawattrs *out)
{
	struct rawwalk *w = sc_of(js)->raw;
	size_t at = js->i;
	int depth = js->depth;

	w->type = type;
	w->keep = keep;
	sb_reset(&w->path);
	sb_adds(&w->path, "");
	sb_reset(&w->text);
	memset(&w->out, 0, sizeof w->out);
	w->nsec_cap = 0;
	if (raw_object(js, w, 1) != 0) {
		js->i = at;
		js->depth = depth;
		js->err = NULL;
		rawattrs_free(&w->out);
		return -1;
	}
	sb_adds(&w->text, w->text.len > 0 ? "}" : "{}");
	w->out.text = xstrndup(w->text.buf, w->text.len);
	*out = w->out;
	memset(&w->out, 0, sizeof w->out);
	return 0;
}

struct fast_inst {
	struct pctx *p;
	size_t ri;
	const char *module, *type, *name;
	struct v4inst f;
	struct tfs_rawattrs raw;
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
		if (k[0] != keys[i][0] || strcmp(k, keys[i]) != 0)
			continue;
		if (i == 6)
			f->has_dependencies = 1;
		if (i == 3 && !fi->seen[3] && jscan_peek(js) == JSCAN_OBJECT &&
		    raw_attrs(js, fi->type, fi->p->keep, &fi->raw) == 0) {
			fi->seen[3] = 1;
			f->raw = &fi->raw;
			return 0;
		}
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
	rawattrs_free(&fi->raw);	/* what tfs_v4_instance did not take over */
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
	struct pctx *p;
	size_t ri;
	json_object *type, *name, *module, *mode;
	size_t ia, ie;
	int seen[5];
	int walked;		/* the instances were walked as they came */
	size_t first;		/* and p->v[first..] are theirs */
};

/* Terraform writes mode, type and name before the instances: then they are walked as they
 * come, not skipped and walked again.  A module after them moves the instances made into
 * it (tfs_pinst_set_module); type, name or mode again gives up, as a repeated member does. */
static int
walk_now(struct jscan *js, const struct fast_res *fr)
{
	const char *type = tfs_str_or_null(fr->type), *name = tfs_str_or_null(fr->name);
	const char *mode = tfs_str_or_null(fr->mode);

	return type != NULL && *type != '\0' && name != NULL && *name != '\0' && mode != NULL &&
	    strcmp(mode, "managed") == 0 && jscan_peek(js) == JSCAN_ARRAY;
}

static int
fast_res_field(struct jscan *js, const char *k, size_t kl, void *arg)
{
	struct fast_res *fr = arg;
	struct scan *s = sc_of(js);

	if (key_has_nul(k, kl))
		return -1;
	if (strcmp(k, "module") == 0 && fr->walked) {
		const char *m;
		size_t i;

		if (sc_keep(s, &fr->module, &fr->seen[2]) != 0)
			return -1;
		if ((m = tfs_str_or_null(fr->module)) != NULL)
			for (i = fr->first; i < fr->p->n; i++)
				tfs_pinst_set_module(&fr->p->v[i], m);
		return 0;
	}
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
		if (walk_now(js, fr)) {
			struct fast_inst fi;

			fr->walked = 1;
			fr->first = fr->p->n;
			memset(&fi, 0, sizeof fi);
			fi.p = fr->p;
			fi.ri = fr->ri;
			fi.module = tfs_str_or_null(fr->module) ? tfs_str_or_null(fr->module) : "";
			fi.type = tfs_str_or_null(fr->type);
			fi.name = tfs_str_or_null(fr->name);
			return jscan_array(js, fast_inst, &fi) == 0 ? 0 : -1;
		}
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
	fr.p = p;
	fr.ri = ri;
	if (jscan_object(js, fast_res_field, &fr) != 0)
		goto out;
	type = tfs_str_or_null(fr.type);
	name = tfs_str_or_null(fr.name);
	if (type == NULL || *type == '\0' || name == NULL || *name == '\0')
		goto out;
	module = tfs_str_or_null(fr.module);
	mode = tfs_str_or_null(fr.mode);
	if (!fr.seen[4] || fr.walked) {
		r = 0;
		goto out;
	}
	sub.tok = s->tok;
	sub.raw = s->raw;
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
	memset(&fi, 0, sizeof fi);
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
	struct rawwalk raw;
	struct pctx p;
	int r = -1;

	memset(&fr, 0, sizeof fr);
	memset(&p, 0, sizeof p);
	memset(&raw, 0, sizeof raw);
	sb_init(&raw.path);
	sb_init(&raw.text);
	s.raw = &raw;
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
		sub.raw = s.raw;
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
	sb_free(&raw.path);
	sb_free(&raw.text);
	keepc_clear(&raw);
	free(raw.kc);
	return r;
}
