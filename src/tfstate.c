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
 * json-c trees only for what it keeps (see tfs_fast_v4).  Everything here is per call: no global
 * mutable state.
 *
 * The files (what they share is in tfstate_int.h; the public API is tfstate.h):
 *   tfstate.c          entry points, instances, sensitive paths, attribute lookup, the v4
 *                      whole-document path
 *   tfstate_flatmap.c  flatmap expansion (v3 "attributes", v4 "attributes_flat")
 *   tfstate_legacy.c   formats v1..v3
 *   tfstate_fast.c     the v4 fast path */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "tfstate.h"
#include "tfstate_int.h"
#include "util.h"

#define JSON_CHUNK	(1 << 30)	/* json_tokener takes an int length */

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

int
tfs_is_secret_name(const char *s, size_t n)
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

int
tfs_perr(struct pctx *p, char **err, const char *fmt, ...)
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

/* ---- sensitive paths ---- */

void
tfs_add_sensitive(struct tf_instance *in, char *path)
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
static void
scan_secrets(struct tf_instance *in, json_object *o, struct strbuf *path)
{
	size_t mark = path->len, i, n;
	int secret, container;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v) {
			size_t kl = strlen(k);

			secret = tfs_is_secret_name(k, kl);
			container = json_object_is_type(v, json_type_object) ||
			    json_object_is_type(v, json_type_array);
			if (!secret && !container)
				continue;
			if (mark > 0)
				sb_addc(path, '.');
			sb_add(path, k, kl);
			if (secret)
				tfs_add_sensitive(in, xstrdup(path->buf));
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
		if (tfs_is_secret_name(s, d ? (size_t)(d - s) : strlen(s)))
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

		l = tfs_seg_len(path);
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

/* json_tokener_parse (tfstate_attrs) takes 31 levels: text nested deeper goes its way. */
#define TEXT_DEPTH 30

struct attr_str {
	const char *const *names;
	size_t n;
	struct strbuf *out;
	int *found;
};

/* A top-level name read off the text (the others go through the tree). */
static int
attr_str_simple(const char *path)
{
	return *path != '\0' && strchr(path, '.') == NULL;
}

static void
set_str(struct strbuf *sb, const char *p, size_t n)
{
	sb_reset(sb);
	sb_grow(sb, n + 1);
	memcpy(sb->buf, p, n);
	sb->buf[n] = '\0';
	sb->len = n;
}

static int
attr_str_member(struct jscan *s, const char *k, size_t kl, void *arg)
{
	struct attr_str *w = arg;
	struct jscan_str v = { NULL, 0, 0 };
	size_t i, l;
	int str = -1;

	for (i = 0; i < w->n; i++) {
		/* As json-c keys, which end at a NUL; the last one counts, as in its tree. */
		if (w->names[i] == NULL || k[0] != w->names[i][0] || strcmp(k, w->names[i]) != 0 ||
		    !attr_str_simple(w->names[i]))
			continue;
		if (str == -1) {
			str = jscan_peek(s) == JSCAN_STRING;
			if (!str ? jscan_skip(s, NULL, NULL) != 0 : jscan_string(s, &v) != 0)
				return -1;
		}
		w->found[i] = str;
		if (!str)
			continue;
		if (!v.esc) {
			set_str(&w->out[i], v.p, v.n);
			continue;
		}
		sb_reset(&w->out[i]);
		sb_grow(&w->out[i], v.n + 1);
		l = jscan_unescape(v.p, v.n, w->out[i].buf);
		w->out[i].buf[l] = '\0';
		w->out[i].len = l;
	}
	return str == -1 ? jscan_skip(s, NULL, NULL) : 0;
}

void
tfstate_attr_strs(const struct tf_instance *in, const char *const *paths, size_t n,
    struct strbuf *out, int *found)
{
	struct tf_instance *w = (struct tf_instance *)(uintptr_t)in;
	struct attr_str as;
	struct jscan s;
	json_object *v;
	size_t i;
	int text = 0;

	memset(found, 0, n * sizeof *found);
	if (in == NULL)
		return;
	if (__atomic_load_n(&w->attrs, __ATOMIC_ACQUIRE) == NULL && in->attrs_text != NULL) {
		jscan_init(&s, in->attrs_text, strlen(in->attrs_text));
		s.max_depth = TEXT_DEPTH;
		as.names = paths;
		as.n = n;
		as.out = out;
		as.found = found;
		text = jscan_object(&s, attr_str_member, &as) == 0 && jscan_at_end(&s);
		if (!text)
			memset(found, 0, n * sizeof *found);
	}
	for (i = 0; i < n; i++) {
		if (paths[i] == NULL || (text && attr_str_simple(paths[i])))
			continue;
		v = tfstate_attr(in, paths[i]);
		if (!json_object_is_type(v, json_type_string))
			continue;
		set_str(&out[i], json_object_get_string(v), (size_t)json_object_get_string_len(v));
		found[i] = 1;
	}
}

int
tfstate_attr_str(const struct tf_instance *in, const char *path, struct strbuf *out)
{
	int found;

	tfstate_attr_strs(in, &path, 1, out, &found);
	return found;
}

/* ---- instances ---- */

void
tfs_add_int(struct strbuf *sb, long long v)
{
	char buf[24], *e = buf + sizeof buf, *p = e;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	sb_add(sb, p, (size_t)(e - p));
}

/* [module.]type.name[[key]], without printf: this runs for every instance. */
static char *
inst_address(const struct tf_instance *in)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_grow(&sb, strlen(in->module) + strlen(in->type) + strlen(in->name) +
	    (in->index_key ? strlen(in->index_key) : 0) + 4);
	if (*in->module != '\0') {
		sb_adds(&sb, in->module);
		sb_addc(&sb, '.');
	}
	sb_adds(&sb, in->type);
	sb_addc(&sb, '.');
	sb_adds(&sb, in->name);
	if (in->index_key != NULL) {
		sb_addc(&sb, '[');
		sb_adds(&sb, in->index_key);
		sb_addc(&sb, ']');
	}
	return sb_detach(&sb);
}

struct pinst *
tfs_new_pinst(struct pctx *p, size_t group, const char *module, const char *type,
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
		tfs_add_int(&sb, ki);
		in->index_key = sb_detach(&sb);
	} else if (kk == KEY_STR) {
		quote_key(&sb, ks);
		in->index_key = sb_detach(&sb);
	}
	in->address = inst_address(in);
	return pi;
}

void
tfs_pinst_set_module(struct pinst *pi, const char *module)
{
	free(pi->in.module);
	free(pi->in.address);
	pi->in.module = xstrdup(module);
	pi->in.address = inst_address(&pi->in);
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

void
tfs_set_deps(struct tf_instance *in, json_object *deps)
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
void
tfs_finish_inst(struct pctx *p, struct tf_instance *in)
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

/* What tfs_finish_inst does, from what the fast path read off the text (taken over). */
void
tfs_finish_raw(struct tf_instance *in, struct tfs_rawattrs *r)
{
	size_t i;

	in->id = r->id;
	for (i = 0; i < r->nsecrets; i++)
		tfs_add_sensitive(in, r->secrets[i]);
	free(r->secrets);
	in->attrs_text = r->text;
	memset(r, 0, sizeof *r);
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

const char *
tfs_jstr(json_object *o, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* ---- v4 ---- */

const char *
tfs_str_or_null(json_object *o)
{
	return json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

int
tfs_v4_instance(struct pctx *p, size_t ri, size_t ii, const struct v4inst *f, const char *module,
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
			return tfs_perr(p, err, "resources[%zu].instances[%zu] (%s.%s): index_key is "
			    "neither a number nor a string", ri, ii, type, name);
	}
	pi = tfs_new_pinst(p, ri, module, type, name, kk, ki, ks);
	in = &pi->in;
	if ((s = tfs_str_or_null(f->status)) != NULL && strcmp(s, "tainted") == 0)
		in->tainted = 1;
	if ((s = tfs_str_or_null(f->deposed)) != NULL && *s != '\0')
		in->deposed = xstrdup(s);
	if (f->raw != NULL)
		;	/* the fast path read them already: tfs_finish_raw below */
	else if (json_object_is_type(f->attributes, json_type_object))
		in->attrs = json_object_get(f->attributes);
	else if (json_object_is_type(f->attributes_flat, json_type_object))
		in->attrs = tfs_flat_expand(f->attributes_flat);
	else
		in->attrs = json_object_new_object();
	if (json_object_is_type(f->sensitive, json_type_array)) {
		n = json_object_array_length(f->sensitive);
		for (i = 0; i < n; i++)
			tfs_add_sensitive(in, sens_path(json_object_array_get_idx(f->sensitive, i)));
	}
	if (f->has_dependencies)
		tfs_set_deps(in, f->dependencies);
	else
		tfs_set_deps(in, f->depends_on);	/* early 0.12 */
	if (f->raw != NULL)
		tfs_finish_raw(in, f->raw);
	else
		tfs_finish_inst(p, in);
	return 0;
}

static int
v4_instance_tree(struct pctx *p, size_t ri, size_t ii, json_object *io, const char *module,
    const char *type, const char *name, char **err)
{
	struct v4inst f;

	if (!json_object_is_type(io, json_type_object))
		return tfs_perr(p, err, "resources[%zu].instances[%zu] (%s.%s) is not an object",
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
	return tfs_v4_instance(p, ri, ii, &f, module, type, name, err);
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
		return tfs_perr(p, err, "\"resources\" is not an array");
	nr = json_object_array_length(res);
	for (ri = 0; ri < nr; ri++) {
		ro = json_object_array_get_idx(res, ri);
		if (!json_object_is_type(ro, json_type_object))
			return tfs_perr(p, err, "resources[%zu] is not an object", ri);
		type = tfs_jstr(ro, "type");
		name = tfs_jstr(ro, "name");
		if (type == NULL || *type == '\0' || name == NULL || *name == '\0')
			return tfs_perr(p, err, "resources[%zu]: missing \"type\" or \"name\"", ri);
		module = tfs_jstr(ro, "module");
		if (module == NULL)
			module = "";
		mode = tfs_jstr(ro, "mode");
		if (!json_object_object_get_ex(ro, "instances", &insts) || insts == NULL)
			continue;
		if (!json_object_is_type(insts, json_type_array))
			return tfs_perr(p, err, "resources[%zu] (%s.%s): \"instances\" is not an array",
			    ri, type, name);
		ni = json_object_array_length(insts);
		if (mode != NULL && strcmp(mode, "data") == 0) {
			p->st->ndata += ni;
			continue;
		}
		if (mode != NULL && strcmp(mode, "managed") != 0)
			return tfs_perr(p, err, "resources[%zu] (%s.%s): unknown mode \"%s\"", ri, type,
			    name, mode);
		for (ii = 0; ii < ni; ii++)
			if (v4_instance_tree(p, ri, ii, json_object_array_get_idx(insts, ii), module,
			    type, name, err) != 0)
				return -1;
	}
	return 0;
}

/* ---- entry points ---- */

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
			jscan_pos(buf, end, &line, &col);
			tf_err_at(err, source, line, col, "invalid JSON: %s", buf[end] == '\0' ? "NUL byte in the document" :
			    "unexpected data after the document");
		}
	} else {
		jscan_pos(buf, end, &line, &col);
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
void
tfs_pctx_discard(struct pctx *p)
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
struct tf_state *
tfs_pctx_finish(struct pctx *p)
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

struct tf_state *
tfs_state_new(const char *source, int version)
{
	struct tf_state *st = xcalloc(1, sizeof *st);

	st->source = xstrdup(source);
	st->version = version;
	return st;
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
	p.st = tfs_state_new(source, (int)version);
	p.st->tf_version = xstrdup(tfs_jstr(root, "terraform_version"));
	p.st->lineage = xstrdup(tfs_jstr(root, "lineage"));
	if (json_object_object_get_ex(root, "serial", &v) && json_object_is_type(v, json_type_int))
		p.st->serial = json_object_get_int64(v) < 0 ? 0 : json_object_get_uint64(v);
	rc = version == 4 ? parse_v4(&p, root, err) : tfs_parse_v3(&p, root, err);
	json_object_put(root);
	if (rc != 0) {
		tfs_pctx_discard(&p);
		return -1;
	}
	*out = tfs_pctx_finish(&p);
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
	if (tfs_fast_v4(buf, len, source, keep, out) == 0)
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
