/* tfstate: parse Terraform state files into managed resource instances.
 *
 * Format v4 (Terraform >= 0.12) is read directly; v1, v2 and v3 share one legacy path that
 * does what Terraform's own upgrade (statefile/version3_upgrade.go) does: "modules" with
 * "path" become module addresses, "type.name.N" keys become count indexes, "data.*" keys are
 * data sources, "primary" is the current object and "deposed" entries get the sequential
 * deposed keys 00000001, 00000002, ...  Flatmap attributes (v3 "attributes" and v4
 * "attributes_flat") are expanded into nested json-c objects and arrays, so callers see both
 * formats alike.  Instances come out in Terraform's order within a resource (index key, then
 * the current object before its deposed ones).  Big v4 states take a fast path that builds
 * json-c trees only for what it keeps (see fast_v4).  Everything here is per call: no global
 * mutable state. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tfstate.h"
#include "util.h"

#define JSON_MAX_DEPTH	512		/* json_tokener nesting limit */
#define JSON_CHUNK	(1 << 30)	/* json_tokener takes an int length */
#define FLAT_MAX_DEPTH	64		/* deeper flatmap keys stay literal */

/*
 * Attribute names that hold secrets whatever sensitive_attributes says: old providers,
 * v3 states and many resources store these in plaintext without marking them.
 *   password, master_password      aws_db_instance, aws_rds_cluster, google_sql_user, ...
 *   secret, encrypted_secret        aws_iam_access_key
 *   secret_string                   aws_secretsmanager_secret_version
 *   private_key, private_key_pem    tls_private_key, google_service_account_key, ...
 *   access_token, token             google_client_config, github_*, ...
 *   ses_smtp_password_v4            aws_iam_access_key
 *   secret_access_key               generic AWS credentials
 *   key_material                    aws_kms_external_key
 * The match is on a whole attribute (or map key) name at any depth.
 */
static const struct {
	const char *s;
	size_t n;
} secret_names[] = {
#define SN(x) { x, sizeof(x) - 1 }
	SN("password"), SN("master_password"), SN("secret"), SN("secret_string"),
	SN("private_key"), SN("private_key_pem"), SN("access_token"), SN("token"),
	SN("ses_smtp_password_v4"), SN("secret_access_key"), SN("encrypted_secret"),
	SN("key_material"),
#undef SN
};

enum keykind { KEY_NONE, KEY_INT, KEY_STR };

/* An instance being built, with what it sorts by. */
struct pinst {
	struct tf_instance in;
	size_t group;		/* v4: resource ordinal; v3: module ordinal */
	enum keykind kk;
	long long ki;
	char *ks;		/* raw string key, for sorting */
	size_t seq;		/* order seen, the last tie-breaker */
};

struct pctx {
	const char *source;
	const struct tfstate_keep *keep;  /* attribute filter, or NULL */
	struct tf_state *st;
	struct pinst *v;
	size_t n, cap;
};

struct flatent {
	const char *key;
	json_object *val;
};

/* Called for every attribute name in every state: cheap rejects first. */
static int
is_secret_name(const char *s, size_t n)
{
	size_t i;

	if (n < 5 || n > 20 || memchr("aekmpst", s[0], 7) == NULL)
		return 0;
	for (i = 0; i < TF_ARRLEN(secret_names); i++)
		if (secret_names[i].n == n && memcmp(secret_names[i].s, s, n) == 0)
			return 1;
	return 0;
}

/* Provider short name from a resource type: aws_* -> aws, google_* -> gcp, else the prefix. */
static char *
provider_of(const char *type)
{
	const char *u;

	if (strncmp(type, "aws_", 4) == 0)
		return xstrdup("aws");
	if (strncmp(type, "google_", 7) == 0)
		return xstrdup("gcp");
	u = strchr(type, '_');
	return u ? xstrndup(type, (size_t)(u - type)) : xstrdup(type);
}

/* Decode one UTF-8 sequence at s (n bytes left); returns its length, or 0 when invalid. */
static size_t
utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
	size_t len, i;
	unsigned long c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Approximates Go's !unicode.IsPrint for the code points that show up in keys. */
static int
cp_unprintable(unsigned long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xa0 || c == 0xad ||
	    c == 0x1680 || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
	    (c >= 0x205f && c <= 0x2064) || c == 0x3000 || c == 0xfeff ||
	    (c >= 0xfff9 && c <= 0xfffb);
}

/* A for_each key as Terraform prints it (addrs toHCLQuotedString): "a\"b", "$${x}". */
static void
quote_key(struct strbuf *sb, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, l;
	unsigned long c;

	sb_addc(sb, '"');
	while (i < n) {
		l = utf8_decode(p + i, n - i, &c);
		if (l == 0) {
			sb_adds(sb, "\xef\xbf\xbd");	/* Go yields U+FFFD for a bad byte */
			i++;
			continue;
		}
		switch (c) {
		case '\n':
			sb_adds(sb, "\\n");
			break;
		case '\r':
			sb_adds(sb, "\\r");
			break;
		case '\t':
			sb_adds(sb, "\\t");
			break;
		case '"':
			sb_adds(sb, "\\\"");
			break;
		case '\\':
			sb_adds(sb, "\\\\");
			break;
		case '$':
		case '%':
			sb_addc(sb, (char)c);
			if (i + 1 < n && p[i + 1] == '{')
				sb_addc(sb, (char)c);
			break;
		default:
			if (cp_unprintable(c))
				sb_addf(sb, "\\u%04lx", c);
			else
				sb_add(sb, p + i, l);
		}
		i += l;
	}
	sb_addc(sb, '"');
}

static int
perr(struct pctx *p, char **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
perr(struct pctx *p, char **err, const char *fmt, ...)
{
	va_list ap;
	char *m;

	va_start(ap, fmt);
	m = xvasprintf(fmt, ap);
	va_end(ap);
	tf_err(err, "%s: %s", p->source, m);
	free(m);
	return -1;
}

/* ---- flatmap expansion ---- */

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

static size_t
seg_len(const char *s)
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

/* Entries e[0..n), keys from offset off, as an object keyed by their first segment. */
static json_object *
flat_object(struct flatent *e, size_t n, size_t off, int depth)
{
	json_object *o = json_object_new_object();
	size_t i = 0, j, sl;
	const char *seg;

	while (i < n) {
		seg = e[i].key + off;
		sl = seg_len(seg);
		for (j = i + 1; j < n; j++) {
			const char *s2 = e[j].key + off;

			if (strncmp(s2, seg, sl) != 0 || (s2[sl] != '\0' && s2[sl] != '.'))
				break;
		}
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
		sl = seg_len(seg);
		for (j = i + 1; j < n; j++) {
			const char *s2 = e[j].key + off;

			if (strncmp(s2, seg, sl) != 0 || (s2[sl] != '\0' && s2[sl] != '.'))
				break;
		}
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
		sl = seg_len(e[g[k].start].key + off);
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
		else if (!tf_all_digits(k, seg_len(k)))
			digits = 0;
	}
	if (depth + 1 >= FLAT_MAX_DEPTH || pct || (hash && !digits))
		return flat_map(c, nc, coff);
	if (hash)
		return flat_list(c, nc, coff, depth + 1);
	return flat_object(c, nc, coff, depth + 1);
}

/* Expand a flatmap object ({"tags.%":"1","tags.Name":"x"}) into nested json-c values. */
static json_object *
flat_expand(json_object *flat)
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

/* ---- sensitive paths ---- */

static void
add_sensitive(struct tf_instance *in, char *path)
{
	size_t i, l;

	for (i = 0; i < in->nsensitive; i++) {
		l = strlen(in->sensitive[i]);
		if (strncmp(in->sensitive[i], path, l) == 0 &&
		    (l == 0 || path[l] == '\0' || path[l] == '.')) {
			free(path);	/* already covered */
			return;
		}
	}
	in->sensitive = xreallocarray(in->sensitive, in->nsensitive + 1, sizeof *in->sensitive);
	in->sensitive[in->nsensitive++] = path;
}

static void
path_add_num(struct strbuf *sb, json_object *v)
{
	if (json_object_is_type(v, json_type_int))
		sb_addf(sb, "%lld", (long long)json_object_get_int64(v));
	else
		sb_addf(sb, "%.0f", json_object_get_double(v));
}

/* One sensitive_attributes entry (a cty path: get_attr / index steps) as a dotted path.
 * An unknown step ends the path there, which marks the whole prefix (the safe side). */
static char *
sens_path(json_object *steps)
{
	struct strbuf sb;
	size_t i, n;

	sb_init(&sb);
	sb_adds(&sb, "");
	if (!json_object_is_type(steps, json_type_array))
		return sb_detach(&sb);
	n = json_object_array_length(steps);
	for (i = 0; i < n; i++) {
		json_object *st = json_object_array_get_idx(steps, i), *t, *v, *iv;
		const char *ts;
		size_t mark = sb.len;

		if (!json_object_object_get_ex(st, "type", &t) ||
		    !json_object_object_get_ex(st, "value", &v))
			break;
		ts = json_object_get_string(t);
		if (i > 0)
			sb_addc(&sb, '.');
		if (ts && strcmp(ts, "get_attr") == 0 && json_object_is_type(v, json_type_string)) {
			sb_adds(&sb, json_object_get_string(v));
			continue;
		}
		if (ts && strcmp(ts, "index") == 0) {
			iv = v;
			if (json_object_is_type(v, json_type_object))
				json_object_object_get_ex(v, "value", &iv);
			if (json_object_is_type(iv, json_type_string)) {
				sb_adds(&sb, json_object_get_string(iv));
				continue;
			}
			if (json_object_is_type(iv, json_type_int) ||
			    json_object_is_type(iv, json_type_double)) {
				path_add_num(&sb, iv);
				continue;
			}
		}
		sb.len = mark;
		sb.buf[mark] = '\0';
		break;
	}
	return sb_detach(&sb);
}

/* Marks every attribute under `o` whose name is a well-known secret. */
/* Marks every attribute under `o` whose name is a well-known secret. */
static void
scan_secrets(struct tf_instance *in, json_object *o, struct strbuf *path)
{
	size_t mark = path->len, i, n;
	int secret, container;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			size_t kl = strlen(k);

			secret = is_secret_name(k, kl);
			container = json_object_is_type(v, json_type_object) ||
			    json_object_is_type(v, json_type_array);
			if (!secret && !container)
				continue;
			if (mark > 0)
				sb_addc(path, '.');
			sb_add(path, k, kl);
			if (secret)
				add_sensitive(in, xstrdup(path->buf));
			else
				scan_secrets(in, v, path);
			path->len = mark;
			path->buf[mark] = '\0';
		}
	} else if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			json_object *v = json_object_array_get_idx(o, i);

			if (!json_object_is_type(v, json_type_object) &&
			    !json_object_is_type(v, json_type_array))
				continue;
			if (mark > 0)
				sb_addc(path, '.');
			sb_addf(path, "%zu", i);
			scan_secrets(in, v, path);
			path->len = mark;
			path->buf[mark] = '\0';
		}
	}
}

static int
path_covers(const char *a, const char *b)	/* a is b or an ancestor of b */
{
	size_t l = strlen(a);

	return l == 0 || (strncmp(a, b, l) == 0 && (b[l] == '\0' || b[l] == '.'));
}

int
tfstate_is_sensitive(const struct tf_instance *in, const char *path)
{
	const char *s, *d;
	size_t i;

	if (path == NULL)
		path = "";
	for (i = 0; i < in->nsensitive; i++)
		if (path_covers(in->sensitive[i], path) || path_covers(path, in->sensitive[i]))
			return 1;
	/* A secret name anywhere in the path, even for an attribute the state lacks. */
	for (s = path; *s != '\0'; s = d + 1) {
		d = strchr(s, '.');
		if (is_secret_name(s, d ? (size_t)(d - s) : strlen(s)))
			return 1;
		if (d == NULL)
			break;
	}
	return 0;
}

/* ---- attribute lookup ---- */

static json_object *
attr_lookup(json_object *o, const char *path)
{
	size_t l;
	json_object *r;

	if (json_object_is_type(o, json_type_object)) {
		if (strchr(path, '.') == NULL)
			return json_object_object_get_ex(o, path, &r) ? r : NULL;
		/* Keys may contain dots ("kubernetes.io/role"): try every key that fits. */
		json_object_object_foreach(o, k, v) {
			l = strlen(k);
			if (strncmp(k, path, l) != 0)
				continue;
			if (path[l] == '\0')
				return v;
			if (path[l] == '.' && (r = attr_lookup(v, path + l + 1)) != NULL)
				return r;
		}
		return NULL;
	}
	if (json_object_is_type(o, json_type_array)) {
		char *end;
		unsigned long long idx;

		l = seg_len(path);
		if (!tf_all_digits(path, l))
			return NULL;
		idx = strtoull(path, &end, 10);
		if (idx >= json_object_array_length(o))
			return NULL;
		r = json_object_array_get_idx(o, (size_t)idx);
		if (path[l] == '\0')
			return r;
		return attr_lookup(r, path + l + 1);
	}
	return NULL;
}

/*
 * Attributes are kept as compact JSON text and parsed on first use: a large state is mostly
 * attributes of resources no event ever touches. The parsed tree is cached in the instance
 * with a compare-and-swap, so concurrent readers of a shared index agree on one tree.
 */
json_object *
tfstate_attrs(const struct tf_instance *in)
{
	struct tf_instance *w = (struct tf_instance *)(uintptr_t)in;  /* the cache only */
	json_object *cur, *tree, *expected = NULL;

	if (in == NULL)
		return NULL;
	cur = __atomic_load_n(&w->attrs, __ATOMIC_ACQUIRE);
	if (cur != NULL || in->attrs_text == NULL)
		return cur;
	tree = json_tokener_parse(in->attrs_text);
	if (tree == NULL)
		tree = json_object_new_object();
	if (!__atomic_compare_exchange_n(&w->attrs, &expected, tree, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE)) {
		json_object_put(tree);
		return expected;
	}
	return tree;
}

void
tfstate_attrs_drop(struct tf_instance *in)
{
	if (in != NULL && in->attrs_text != NULL && in->attrs != NULL) {
		json_object_put(in->attrs);
		in->attrs = NULL;
	}
}

/* Store the (pruned) tree as text and free it. */
static void
attrs_to_text(struct tf_instance *in)
{
	const char *t;

	if (in->attrs == NULL)
		return;
	t = json_object_to_json_string_ext(in->attrs, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	in->attrs_text = xstrdup(t != NULL ? t : "{}");
	json_object_put(in->attrs);
	in->attrs = NULL;
}

json_object *
tfstate_attr(const struct tf_instance *in, const char *path)
{
	json_object *a = tfstate_attrs(in);

	if (a == NULL)
		return NULL;
	if (path == NULL || *path == '\0')
		return a;
	return attr_lookup(a, path);
}

/* ---- instances ---- */

static struct pinst *
new_pinst(struct pctx *p, size_t group, const char *module, const char *type,
    const char *name, enum keykind kk, long long ki, const char *ks)
{
	struct pinst *pi;
	struct tf_instance *in;
	struct strbuf sb;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 64;
		p->v = xreallocarray(p->v, p->cap, sizeof *p->v);
	}
	pi = &p->v[p->n];
	memset(pi, 0, sizeof *pi);
	pi->group = group;
	pi->kk = kk;
	pi->ki = ki;
	pi->ks = kk == KEY_STR ? xstrdup(ks) : NULL;
	pi->seq = p->n;
	p->n++;

	in = &pi->in;
	in->module = xstrdup(module);
	in->type = xstrdup(type);
	in->name = xstrdup(name);
	in->provider = provider_of(type);
	sb_init(&sb);
	if (kk == KEY_INT) {
		sb_addf(&sb, "%lld", ki);
		in->index_key = sb_detach(&sb);
	} else if (kk == KEY_STR) {
		quote_key(&sb, ks);
		in->index_key = sb_detach(&sb);
	}
	/* [module.]type.name[[key]], without printf: this runs for every instance. */
	sb_grow(&sb, strlen(module) + strlen(type) + strlen(name) +
	    (in->index_key ? strlen(in->index_key) : 0) + 4);
	if (*module != '\0') {
		sb_adds(&sb, module);
		sb_addc(&sb, '.');
	}
	sb_adds(&sb, type);
	sb_addc(&sb, '.');
	sb_adds(&sb, name);
	if (in->index_key != NULL) {
		sb_addc(&sb, '[');
		sb_adds(&sb, in->index_key);
		sb_addc(&sb, ']');
	}
	in->address = sb_detach(&sb);
	return pi;
}

static void
inst_free(struct tf_instance *in)
{
	size_t i;

	free(in->address);
	free(in->module);
	free(in->type);
	free(in->name);
	free(in->index_key);
	free(in->provider);
	free(in->id);
	json_object_put(in->attrs);
	free(in->attrs_text);
	for (i = 0; i < in->nsensitive; i++)
		free(in->sensitive[i]);
	free(in->sensitive);
	for (i = 0; i < in->ndeps; i++)
		free(in->deps[i]);
	free(in->deps);
	free(in->deposed);
}

static void
set_deps(struct tf_instance *in, json_object *deps)
{
	size_t i, n;

	if (!json_object_is_type(deps, json_type_array))
		return;
	n = json_object_array_length(deps);
	for (i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(deps, i);

		if (!json_object_is_type(d, json_type_string))
			continue;
		in->deps = xreallocarray(in->deps, in->ndeps + 1, sizeof *in->deps);
		in->deps[in->ndeps++] = xstrdup(json_object_get_string(d));
	}
}

/* Drop the attributes nobody will compare, once secrets and the id have been read. */
static void
prune_attrs(const struct tfstate_keep *k, struct tf_instance *in)
{
	struct json_object_iterator it, end;
	const char *drop[64];
	size_t nd, i;

	if (k == NULL || k->fn == NULL || !json_object_is_type(in->attrs, json_type_object))
		return;
	do {
		nd = 0;
		it = json_object_iter_begin(in->attrs);
		end = json_object_iter_end(in->attrs);
		for (; !json_object_iter_equal(&it, &end) && nd < TF_ARRLEN(drop);
		    json_object_iter_next(&it)) {
			const char *a = json_object_iter_peek_name(&it);

			if (strcmp(a, "id") == 0 || strcmp(a, "arn") == 0 || strcmp(a, "self_link") == 0)
				continue;
			if (!k->fn(k->ctx, in->type, a))
				drop[nd++] = a;
		}
		for (i = 0; i < nd; i++)
			json_object_object_del(in->attrs, drop[i]);
	} while (nd == TF_ARRLEN(drop));
}

/* id from attributes.id, then the common work for both formats. */
static void
finish_inst(struct pctx *p, struct tf_instance *in)
{
	json_object *id;
	struct strbuf sb;

	if (json_object_object_get_ex(in->attrs, "id", &id)) {
		if (json_object_is_type(id, json_type_string))
			in->id = xstrdup(json_object_get_string(id));
		else if (json_object_is_type(id, json_type_int))
			in->id = xasprintf("%lld", (long long)json_object_get_int64(id));
	}
	sb_init(&sb);
	sb_adds(&sb, "");
	scan_secrets(in, in->attrs, &sb);
	sb_free(&sb);
	prune_attrs(p->keep, in);
	attrs_to_text(in);
}

static int
pinst_cmp(const void *a, const void *b)
{
	const struct pinst *x = a, *y = b;
	int c;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if ((c = strcmp(x->in.type, y->in.type)) != 0)
		return c;
	if ((c = strcmp(x->in.name, y->in.name)) != 0)
		return c;
	if (x->kk != y->kk)
		return x->kk < y->kk ? -1 : 1;
	if (x->kk == KEY_INT && x->ki != y->ki)
		return x->ki < y->ki ? -1 : 1;
	if (x->kk == KEY_STR && (c = strcmp(x->ks, y->ks)) != 0)
		return c;
	if ((x->in.deposed == NULL) != (y->in.deposed == NULL))
		return x->in.deposed == NULL ? -1 : 1;
	if (x->in.deposed && (c = strcmp(x->in.deposed, y->in.deposed)) != 0)
		return c;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static const char *
jstr(json_object *o, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* ---- v4 ---- */

/* The fields of one v4 instance object that matter (borrowed; NULL when absent). */
struct v4inst {
	json_object *index_key, *status, *deposed, *attributes, *attributes_flat;
	json_object *sensitive, *dependencies, *depends_on;
	int has_dependencies;
};

static const char *
str_or_null(json_object *o)
{
	return json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

static int
v4_instance(struct pctx *p, size_t ri, size_t ii, const struct v4inst *f, const char *module,
    const char *type, const char *name, char **err)
{
	json_object *k = f->index_key;
	enum keykind kk = KEY_NONE;
	long long ki = 0;
	const char *ks = NULL, *s;
	struct pinst *pi;
	struct tf_instance *in;
	size_t i, n;
	double d;

	if (k != NULL) {
		if (json_object_is_type(k, json_type_int)) {
			kk = KEY_INT;
			ki = (long long)json_object_get_int64(k);
		} else if (json_object_is_type(k, json_type_double) &&
		    (d = json_object_get_double(k)) > -9e18 && d < 9e18 &&
		    d == (double)(long long)d) {
			kk = KEY_INT;
			ki = (long long)d;
		} else if (json_object_is_type(k, json_type_string)) {
			kk = KEY_STR;
			ks = json_object_get_string(k);
		} else
			return perr(p, err, "resources[%zu].instances[%zu] (%s.%s): index_key is "
			    "neither a number nor a string", ri, ii, type, name);
	}
	pi = new_pinst(p, ri, module, type, name, kk, ki, ks);
	in = &pi->in;
	if ((s = str_or_null(f->status)) != NULL && strcmp(s, "tainted") == 0)
		in->tainted = 1;
	if ((s = str_or_null(f->deposed)) != NULL && *s != '\0')
		in->deposed = xstrdup(s);
	if (json_object_is_type(f->attributes, json_type_object))
		in->attrs = json_object_get(f->attributes);
	else if (json_object_is_type(f->attributes_flat, json_type_object))
		in->attrs = flat_expand(f->attributes_flat);
	else
		in->attrs = json_object_new_object();
	if (json_object_is_type(f->sensitive, json_type_array)) {
		n = json_object_array_length(f->sensitive);
		for (i = 0; i < n; i++)
			add_sensitive(in, sens_path(json_object_array_get_idx(f->sensitive, i)));
	}
	if (f->has_dependencies)
		set_deps(in, f->dependencies);
	else
		set_deps(in, f->depends_on);	/* early 0.12 */
	finish_inst(p, in);
	return 0;
}

static int
v4_instance_tree(struct pctx *p, size_t ri, size_t ii, json_object *io, const char *module,
    const char *type, const char *name, char **err)
{
	struct v4inst f;

	if (!json_object_is_type(io, json_type_object))
		return perr(p, err, "resources[%zu].instances[%zu] (%s.%s) is not an object",
		    ri, ii, type, name);
	memset(&f, 0, sizeof f);
	json_object_object_get_ex(io, "index_key", &f.index_key);
	json_object_object_get_ex(io, "status", &f.status);
	json_object_object_get_ex(io, "deposed", &f.deposed);
	json_object_object_get_ex(io, "attributes", &f.attributes);
	json_object_object_get_ex(io, "attributes_flat", &f.attributes_flat);
	json_object_object_get_ex(io, "sensitive_attributes", &f.sensitive);
	f.has_dependencies = json_object_object_get_ex(io, "dependencies", &f.dependencies);
	json_object_object_get_ex(io, "depends_on", &f.depends_on);
	return v4_instance(p, ri, ii, &f, module, type, name, err);
}

static int
parse_v4(struct pctx *p, json_object *root, char **err)
{
	json_object *res, *ro, *insts;
	size_t ri, nr, ii, ni;
	const char *mode, *type, *name, *module;

	if (!json_object_object_get_ex(root, "resources", &res) || res == NULL)
		return 0;
	if (!json_object_is_type(res, json_type_array))
		return perr(p, err, "\"resources\" is not an array");
	nr = json_object_array_length(res);
	for (ri = 0; ri < nr; ri++) {
		ro = json_object_array_get_idx(res, ri);
		if (!json_object_is_type(ro, json_type_object))
			return perr(p, err, "resources[%zu] is not an object", ri);
		type = jstr(ro, "type");
		name = jstr(ro, "name");
		if (type == NULL || *type == '\0' || name == NULL || *name == '\0')
			return perr(p, err, "resources[%zu]: missing \"type\" or \"name\"", ri);
		module = jstr(ro, "module");
		if (module == NULL)
			module = "";
		mode = jstr(ro, "mode");
		if (!json_object_object_get_ex(ro, "instances", &insts) || insts == NULL)
			continue;
		if (!json_object_is_type(insts, json_type_array))
			return perr(p, err, "resources[%zu] (%s.%s): \"instances\" is not an array",
			    ri, type, name);
		ni = json_object_array_length(insts);
		if (mode != NULL && strcmp(mode, "data") == 0) {
			p->st->ndata += ni;
			continue;
		}
		if (mode != NULL && strcmp(mode, "managed") != 0)
			return perr(p, err, "resources[%zu] (%s.%s): unknown mode \"%s\"", ri, type,
			    name, mode);
		for (ii = 0; ii < ni; ii++)
			if (v4_instance_tree(p, ri, ii, json_object_array_get_idx(insts, ii), module,
			    type, name, err) != 0)
				return -1;
	}
	return 0;
}

/* ---- v1..v3 ---- */

/* Parses a legacy resource key "[data.]type.name[.N]" like Terraform's upgrade does. */
static int
v3_key(const char *key, int *data, char **type, char **name, enum keykind *kk, long long *ki)
{
	const char *part[4];
	size_t plen[4], np = 0, i;
	const char *s = key, *d;
	char *end, *num;

	for (;;) {
		if (np == 4)
			return -1;
		d = strchr(s, '.');
		part[np] = s;
		plen[np] = d ? (size_t)(d - s) : strlen(s);
		np++;
		if (d == NULL)
			break;
		s = d + 1;
	}
	if (np < 2)
		return -1;
	*data = 0;
	i = 0;
	if (np > 2 && plen[0] == 4 && memcmp(part[0], "data", 4) == 0) {
		*data = 1;
		i = 1;
	}
	if (np - i > 3 || np - i < 2 || plen[i] == 0 || plen[i + 1] == 0)
		return -1;
	*kk = KEY_NONE;
	*ki = 0;
	if (np - i == 3) {
		if (plen[i + 2] == 0)
			return -1;
		num = xstrndup(part[i + 2], plen[i + 2]);
		*ki = strtoll(num, &end, 10);
		if (*end != '\0') {
			free(num);
			return -1;
		}
		free(num);
		*kk = KEY_INT;
	}
	*type = xstrndup(part[i], plen[i]);
	*name = xstrndup(part[i + 1], plen[i + 1]);
	return 0;
}

/* v3 depends_on as v4 writes it: "a.b.*" -> "a.b", "a.b.1" -> "a.b[1]". */
static void
v3_fix_deps(struct tf_instance *in)
{
	size_t i, l;
	char *d, *dot;

	for (i = 0; i < in->ndeps; i++) {
		d = in->deps[i];
		l = strlen(d);
		if (l > 2 && strcmp(d + l - 2, ".*") == 0) {
			d[l - 2] = '\0';
			continue;
		}
		dot = strrchr(d, '.');
		if (dot != NULL && dot != d && memchr(d, '.', (size_t)(dot - d)) != NULL &&
		    tf_all_digits(dot + 1, strlen(dot + 1))) {
			in->deps[i] = xasprintf("%.*s[%s]", (int)(dot - d), d, dot + 1);
			free(d);
		}
	}
}

static void
v3_object(struct pctx *p, struct pinst *pi, json_object *obj, json_object *deps)
{
	struct tf_instance *in = &pi->in;
	json_object *attrs = NULL, *t;
	const char *id = jstr(obj, "id"), *aid;

	json_object_object_get_ex(obj, "attributes", &attrs);
	in->attrs = flat_expand(attrs);
	aid = jstr(in->attrs, "id");
	if (id != NULL && *id != '\0' && (aid == NULL || *aid == '\0'))
		json_object_object_add(in->attrs, "id", json_object_new_string(id));
	if (json_object_object_get_ex(obj, "tainted", &t) && json_object_get_boolean(t))
		in->tainted = 1;
	set_deps(in, deps);
	v3_fix_deps(in);
	finish_inst(p, in);
}

static size_t
v3_count_resources(json_object *mods)
{
	size_t i, n, total = 0;
	json_object *r;

	if (!json_object_is_type(mods, json_type_array))
		return 0;
	n = json_object_array_length(mods);
	for (i = 0; i < n; i++)
		if (json_object_object_get_ex(json_object_array_get_idx(mods, i), "resources", &r) &&
		    json_object_is_type(r, json_type_object))
			total += (size_t)json_object_object_length(r);
	return total;
}

/* A .terraform/terraform.tfstate: says where the state is, holds none. */
static int
backend_pointer_err(struct pctx *p, json_object *root, char **err)
{
	json_object *b = NULL, *cfg = NULL;
	const char *type;
	char *where = NULL;
	int r;

	if (!json_object_object_get_ex(root, "backend", &b) || b == NULL)
		json_object_object_get_ex(root, "remote", &b);
	type = jstr(b, "type");
	json_object_object_get_ex(b, "config", &cfg);
	/* Only locations, never the rest of the config: it can hold credentials. */
	if (type != NULL && strcmp(type, "local") == 0 && jstr(cfg, "path") != NULL)
		where = xasprintf(" (%s)", jstr(cfg, "path"));
	else if (type != NULL && strcmp(type, "s3") == 0 && jstr(cfg, "bucket") && jstr(cfg, "key"))
		where = xasprintf(" (s3://%s/%s)", jstr(cfg, "bucket"), jstr(cfg, "key"));
	else if (type != NULL && strcmp(type, "gcs") == 0 && jstr(cfg, "bucket"))
		where = xasprintf(" (gs://%s/%s)", jstr(cfg, "bucket"),
		    jstr(cfg, "prefix") ? jstr(cfg, "prefix") : "");
	r = perr(p, err, "this is a Terraform backend configuration file "
	    "(.terraform/terraform.tfstate, backend \"%s\"), not a state: point tfdrift at the "
	    "real state%s", type ? type : "?", where ? where : "");
	free(where);
	return r;
}

static int
parse_v3(struct pctx *p, json_object *root, char **err)
{
	json_object *mods, *mo, *path, *res, *prim, *dep, *deps;
	size_t mi, nm, i, np, nd;
	struct strbuf mod;
	int rc = 0;

	if (!json_object_object_get_ex(root, "modules", &mods))
		mods = NULL;
	if (mods != NULL && !json_object_is_type(mods, json_type_array))
		return perr(p, err, "\"modules\" is not an array");
	if ((json_object_object_get_ex(root, "backend", NULL) ||
	    json_object_object_get_ex(root, "remote", NULL)) && v3_count_resources(mods) == 0)
		return backend_pointer_err(p, root, err);
	nm = mods ? json_object_array_length(mods) : 0;
	sb_init(&mod);
	for (mi = 0; mi < nm && rc == 0; mi++) {
		mo = json_object_array_get_idx(mods, mi);
		if (!json_object_is_type(mo, json_type_object)) {
			rc = perr(p, err, "modules[%zu] is not an object", mi);
			break;
		}
		sb_reset(&mod);
		sb_adds(&mod, "");
		if (json_object_object_get_ex(mo, "path", &path) && path != NULL) {
			np = json_object_is_type(path, json_type_array) ?
			    json_object_array_length(path) : 0;
			if (np > 0 && (!json_object_is_type(json_object_array_get_idx(path, 0),
			    json_type_string) || strcmp(json_object_get_string(
			    json_object_array_get_idx(path, 0)), "root") != 0)) {
				rc = perr(p, err, "modules[%zu]: module path does not start with "
				    "\"root\"", mi);
				break;
			}
			for (i = 1; i < np; i++) {
				json_object *s = json_object_array_get_idx(path, i);

				if (!json_object_is_type(s, json_type_string) ||
				    json_object_get_string_len(s) == 0) {
					rc = perr(p, err, "modules[%zu]: invalid module path", mi);
					break;
				}
				sb_addf(&mod, "%smodule.%s", i > 1 ? "." : "",
				    json_object_get_string(s));
			}
			if (rc != 0)
				break;
		}
		if (!json_object_object_get_ex(mo, "resources", &res) || res == NULL)
			continue;
		if (!json_object_is_type(res, json_type_object)) {
			rc = perr(p, err, "modules[%zu]: \"resources\" is not an object", mi);
			break;
		}
		json_object_object_foreach(res, key, ro) {
			int data;
			char *type, *name;
			enum keykind kk;
			long long ki;
			struct pinst *pi;

			if (v3_key(key, &data, &type, &name, &kk, &ki) != 0) {
				rc = perr(p, err, "modules[%zu]: invalid resource key \"%s\"", mi, key);
				break;
			}
			if (!json_object_is_type(ro, json_type_object)) {
				rc = perr(p, err, "modules[%zu]: resource \"%s\" is not an object",
				    mi, key);
				free(type);
				free(name);
				break;
			}
			if (!json_object_object_get_ex(ro, "depends_on", &deps))
				deps = NULL;
			prim = NULL;
			json_object_object_get_ex(ro, "primary", &prim);
			if (!json_object_object_get_ex(ro, "deposed", &dep) ||
			    !json_object_is_type(dep, json_type_array))
				dep = NULL;
			nd = dep ? json_object_array_length(dep) : 0;
			if (data) {
				p->st->ndata += json_object_is_type(prim, json_type_object) ? 1 : 0;
				free(type);
				free(name);
				continue;
			}
			if (json_object_is_type(prim, json_type_object)) {
				pi = new_pinst(p, mi, mod.buf, type, name, kk, ki, NULL);
				v3_object(p, pi, prim, deps);
			}
			for (i = 0; i < nd; i++) {
				json_object *d = json_object_array_get_idx(dep, i);

				if (!json_object_is_type(d, json_type_object))
					continue;
				pi = new_pinst(p, mi, mod.buf, type, name, kk, ki, NULL);
				/* Terraform's upgrade numbers deposed objects from 1, in hex. */
				pi->in.deposed = xasprintf("%08zx", i + 1);
				v3_object(p, pi, d, deps);
			}
			free(type);
			free(name);
		}
	}
	sb_free(&mod);
	return rc;
}

/* ---- entry points ---- */

static void
pos_of(const char *buf, size_t off, size_t *line, size_t *col)
{
	size_t i, l = 1, c = 1;

	for (i = 0; i < off; i++) {
		if (buf[i] == '\n') {
			l++;
			c = 1;
		} else
			c++;
	}
	*line = l;
	*col = c;
}

json_object *
tfstate_parse_json(const char *buf, size_t len, const char *source, char **err)
{
	json_tokener *tok;
	json_object *obj = NULL;
	enum json_tokener_error jerr = json_tokener_continue;
	size_t off = 0, chunk, end = len, line, col;

	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (tok == NULL)
		tf_fatal("out of memory (json_tokener)");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	while (off < len) {
		chunk = len - off > JSON_CHUNK ? JSON_CHUNK : len - off;
		obj = json_tokener_parse_ex(tok, buf + off, (int)chunk);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_continue) {
			end = off + json_tokener_get_parse_end(tok);
			break;
		}
		off += chunk;
	}
	if (jerr == json_tokener_continue) {
		/* A NUL tells json_tokener the input is over (finishes a bare number). */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (obj != NULL) {
		/* json_tokener stops at a NUL; anything but space after the document is an error. */
		while (end < len && isspace((unsigned char)buf[end]))
			end++;
		if (end < len) {
			json_object_put(obj);
			obj = NULL;
			pos_of(buf, end, &line, &col);
			tf_err_at(err, source, line, col, "invalid JSON: %s", buf[end] == '\0' ? "NUL byte in the document" :
			    "unexpected data after the document");
		}
	} else {
		pos_of(buf, end, &line, &col);
		tf_err_at(err, source, line, col, "invalid JSON: %s", jerr == json_tokener_success ? "null document" : json_tokener_error_desc(jerr));
	}
	json_tokener_free(tok);
	return obj;
}

static const char *
json_type_word(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
	case json_type_int:
		return "a number";
	case json_type_string:
		return "a string";
	case json_type_array:
		return "an array";
	default:
		return "an object";
	}
}

/* Frees what a failed parse built. */
static void
pctx_discard(struct pctx *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		inst_free(&p->v[i].in);
		free(p->v[i].ks);
	}
	free(p->v);
	tfstate_free(p->st);
	memset(p, 0, sizeof *p);
}

/* Sorts the instances (Terraform's order: index key, then current before deposed) into st. */
static struct tf_state *
pctx_finish(struct pctx *p)
{
	struct tf_state *st = p->st;
	size_t i;

	if (p->n > 1)
		qsort(p->v, p->n, sizeof *p->v, pinst_cmp);
	st->inst = xreallocarray(NULL, p->n ? p->n : 1, sizeof *st->inst);
	st->ninst = p->n;
	for (i = 0; i < p->n; i++) {
		st->inst[i] = p->v[i].in;
		st->inst[i].state = st;
		free(p->v[i].ks);
	}
	free(p->v);
	return st;
}

static struct tf_state *
state_new(const char *source, int version)
{
	struct tf_state *st = xcalloc(1, sizeof *st);

	st->source = xstrdup(source);
	st->version = version;
	return st;
}

/* ---- v4 fast path ----
 * For a big state json-c spends most of its time allocating hash tables for objects that
 * are only looked through (resources, instances, sensitive path steps).  This path walks
 * that skeleton itself and hands every value it keeps or must check to json_tokener
 * (strict, over the exact span), so the only trees built are the ones kept.  It never
 * accepts what the whole-document path rejects: on anything unexpected, and on every
 * error, it gives up and the whole-document path runs and words the message. */

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
		r = v4_instance(fi->p, fi->ri, ii, f, fi->module, fi->type, fi->name, NULL);
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
	type = str_or_null(fr.type);
	name = str_or_null(fr.name);
	if (type == NULL || *type == '\0' || name == NULL || *name == '\0')
		goto out;
	module = str_or_null(fr.module);
	mode = str_or_null(fr.mode);
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
		st->tf_version = xstrdup(str_or_null(v));
		break;
	case 2:
		if (json_object_is_type(v, json_type_int))
			st->serial = json_object_get_int64(v) < 0 ? 0 : json_object_get_uint64(v);
		break;
	default:
		st->lineage = xstrdup(str_or_null(v));
	}
	json_object_put(v);
	return r;
}

/* The v4 fast path: 0 with *out set, or -1 to fall back to the whole-document path. */
static int
fast_v4(const char *buf, size_t len, const char *source, const struct tfstate_keep *keep,
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
	p.st = state_new(source, 4);
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
	*out = pctx_finish(&p);
	p.st = NULL;
	r = 0;
out:
	if (p.st != NULL)
		pctx_discard(&p);
	json_tokener_free(s.tok);
	return r;
}

/* ---- whole-document path ---- */

static int
parse_tree(const char *buf, size_t len, const char *source, const struct tfstate_keep *keep,
    struct tf_state **out, char **err)
{
	struct pctx p;
	json_object *root, *v;
	int64_t version;
	int rc;

	if ((root = tfstate_parse_json(buf, len, source, err)) == NULL)
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		tf_err(err, "%s: not a Terraform state: the document is %s, not an object", source,
		    json_type_word(root));
		json_object_put(root);
		return -1;
	}
	if (json_object_object_get_ex(root, "encryption_version", NULL) ||
	    json_object_object_get_ex(root, "encrypted_data", NULL)) {
		json_object_put(root);
		return tf_err(err, "%s: encrypted OpenTofu state: run `tofu state pull` with the key "
		    "configured and scan the output", source);
	}
	if (!json_object_object_get_ex(root, "version", &v) || v == NULL) {
		json_object_put(root);
		return tf_err(err, "%s: not a Terraform state: no \"version\" field", source);
	}
	if (!json_object_is_type(v, json_type_int)) {
		json_object_put(root);
		return tf_err(err, "%s: not a Terraform state: \"version\" is not an integer", source);
	}
	version = json_object_get_int64(v);
	if (version > 4) {
		json_object_put(root);
		return tf_err(err, "%s: state format version %lld is newer than this tfdrift "
		    "understands (max 4)", source, (long long)version);
	}
	if (version == 0) {
		json_object_put(root);
		return tf_err(err, "%s: state format v0 (Terraform < 0.7) is not supported", source);
	}
	if (version < 0) {
		json_object_put(root);
		return tf_err(err, "%s: invalid state format version %lld", source,
		    (long long)version);
	}
	memset(&p, 0, sizeof p);
	p.keep = keep;
	p.source = source;
	p.st = state_new(source, (int)version);
	p.st->tf_version = xstrdup(jstr(root, "terraform_version"));
	p.st->lineage = xstrdup(jstr(root, "lineage"));
	if (json_object_object_get_ex(root, "serial", &v) && json_object_is_type(v, json_type_int))
		p.st->serial = json_object_get_int64(v) < 0 ? 0 : json_object_get_uint64(v);
	rc = version == 4 ? parse_v4(&p, root, err) : parse_v3(&p, root, err);
	json_object_put(root);
	if (rc != 0) {
		pctx_discard(&p);
		return -1;
	}
	*out = pctx_finish(&p);
	return 0;
}

/* Checks shared by both paths; 1 when *err is set. */
static int
precheck(const char **buf, size_t *len, const char *source, char **err)
{
	size_t i;

	if (*len >= 3 && memcmp(*buf, "\xef\xbb\xbf", 3) == 0) {	/* tolerate a BOM */
		*buf += 3;
		*len -= 3;
	}
	for (i = 0; i < *len && isspace((unsigned char)(*buf)[i]); i++)
		;
	if (i == *len) {
		tf_err(err, "%s: empty file: not a Terraform state", source);
		return 1;
	}
	if (*len >= 7 && memcmp(*buf, "tfstate", 7) == 0) {
		tf_err(err, "%s: state format v0 (Terraform < 0.7) is not supported", source);
		return 1;
	}
	return 0;
}

int
tfstate_parse_keep(const char *buf, size_t len, const char *source,
    const struct tfstate_keep *keep, struct tf_state **out, char **err)
{
	*out = NULL;
	if (source == NULL)
		source = "(state)";
	if (precheck(&buf, &len, source, err))
		return -1;
	if (fast_v4(buf, len, source, keep, out) == 0)
		return 0;
	return parse_tree(buf, len, source, keep, out, err);
}

int
tfstate_parse(const char *buf, size_t len, const char *source, struct tf_state **out,
    char **err)
{
	return tfstate_parse_keep(buf, len, source, NULL, out, err);
}

int
tfstate_parse_tree(const char *buf, size_t len, const char *source, struct tf_state **out,
    char **err)
{
	*out = NULL;
	if (source == NULL)
		source = "(state)";
	if (precheck(&buf, &len, source, err))
		return -1;
	return parse_tree(buf, len, source, NULL, out, err);
}

int
tfstate_load_file(const char *path, struct tf_state **out, char **err)
{
	return tfstate_load_file_keep(path, NULL, out, err);
}

int
tfstate_load_file_keep(const char *path, const struct tfstate_keep *keep,
    struct tf_state **out, char **err)
{
	const char *prev;
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if (tf_read_file(path, TF_FILE_STATE, &buf, &len, err) != 0)
		return -1;
	prev = tf_reading_set(path);    /* out of memory while parsing names the state */
	rc = tfstate_parse_keep(buf, len, path, keep, out, err);
	tf_reading_set(prev);
	free(buf);
	return rc;
}

void
tfstate_free(struct tf_state *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->ninst; i++)
		inst_free(&st->inst[i]);
	free(st->inst);
	free(st->source);
	free(st->tf_version);
	free(st->lineage);
	free(st);
}
