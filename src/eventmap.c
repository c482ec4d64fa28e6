/* eventmap: loads and validates the event maps (rules/events/NAME.yaml, format in eventmap.h),
 * compiles their paths, and answers (provider, service, event name) -> entries through a hash
 * table built at load time, so lookups do not allocate. Every problem in every file is
 * reported as "file:line:column: message"; a file with any error contributes no entries. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eventmap.h"
#include "util.h"
#include "yamlutil.h"

struct em_slot {
	const char *name;           /* borrowed from an entry; NULL = empty slot */
	enum tf_provider prov;
	uint64_t hash;
	size_t first, count;        /* range in eventmap.ix */
};

struct eventmap {
	struct em_entry **e;
	size_t n, cap;
	struct em_slot *slots;      /* open addressing, power-of-two size */
	size_t nslots;
	size_t *ix;                 /* entry indices, grouped by slot, in load order */
	struct index_key_spec *specs;
	size_t nspecs;
};

static const char *const action_names[] = {
	[EM_CREATE] = "create",
	[EM_MODIFY] = "modify",
	[EM_DELETE] = "delete",
	[EM_SET_ADD] = "set_add",
	[EM_SET_REMOVE] = "set_remove",
};
static const char *const idt_names[] = {
	[EMID_STRING] = "string",
	[EMID_BASENAME] = "basename",
	[EMID_GCP_PATH] = "gcp_path",
};
static const char *const severity_names[] = { "critical", "high", "medium", "low", "info" };
static const char *const provider_names[] = { "aws", "gcp" };
static const char *const gcp_prefixes[] = { "v1.", "v2.", "beta.", "alpha." };

static const char *const top_keys[] = { "provider", "service", "events" };
static const char *const entry_keys[] = { "event", "aliases", "resource", "action", "id",
    "id_transform", "state_keys", "severity", "attributes", "covered_by", "when", "id_via",
    "unless", "each", "id_match", "id_format", "deltas", "id_prefix", "id_glob", "sg_rule" };
static const char *const attr_keys[] = { "name", "path", "paths", "value", "transform",
    "state_transform", "sensitive", "computed", "keys", "alone", "if_in_state" };
static const char *const when_keys[] = { "path", "paths", "equals" };
static const char *const via_keys[] = { "resource", "attribute" };
static const char *const akeys_keys[] = { "set", "removed" };
static const char *const cover_keys[] = { "resource", "match" };
static const char *const join_keys[] = { "join", "sep" };
static const char *const sgrule_keys[] = { "group", "direction", "rules" };
static const char *const sgrule_dirs[] = { "ingress", "egress" };

/* Terraform's security-group rule resources (provider v5's per-direction ones, the legacy
 * aws_security_group_rule) and their attributes, as the AWS provider documents them. */
const char *const em_sgrule_types[] = { "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule", "aws_security_group_rule", NULL };
const char *const em_sgrule_attrs[] = { "security_group_id", "security_group_rule_id", "type",
    "ip_protocol", "protocol", "from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "prefix_list_id",
    "referenced_security_group_id", "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids",
    "source_security_group_id", "self", "description", NULL };
const char *const em_sgrule_compared[] = { "security_group_id", "ip_protocol", "from_port",
    "to_port", "cidr_ipv4", "cidr_ipv6", "prefix_list_id", "referenced_security_group_id", NULL };

const char *
em_action_name(enum em_action a)
{
	if ((int)a < 0 || (size_t)a >= TF_ARRLEN(action_names))
		return "unknown";
	return action_names[a];
}

const char *
eventmap_norm_name(enum tf_provider p, const char *name)
{
	size_t i;

	if (name == NULL || p != PROV_GCP)
		return name;
	for (i = 0; i < TF_ARRLEN(gcp_prefixes); i++)
		if (strncmp(name, gcp_prefixes[i], strlen(gcp_prefixes[i])) == 0)
			return name + strlen(gcp_prefixes[i]);
	return name;
}

/* ---- messages ---- */

struct ctx {
	struct ydoc *d;
	char ***errs;
	size_t *nerrs;
	enum tf_provider prov;
	const char *service;
};

#define ERR(c, node, ...) yerr_add((c)->errs, (c)->nerrs, (c)->d, (node), __VA_ARGS__)

/* Report keys of a mapping that are not plain strings, unknown or repeated. */
static void
check_keys(struct ctx *c, yaml_node_t *map, const char *const *known, size_t n, const char *where)
{
	char *what = xasprintf("key in %s", where);

	ycheck_keys(c->errs, c->nerrs, c->d, map, what, known, n);
	free(what);
}

/* A required or optional string value. Returns NULL (with an error when present but wrong). */
static const char *
get_str(struct ctx *c, yaml_node_t *v, const char *key)
{
	const char *s;

	if (v == NULL)
		return NULL;
	if ((s = ynode_str(v)) == NULL) {
		yerr_type(c->errs, c->nerrs, c->d, v, key, "a string");
		return NULL;
	}
	if (*s == '\0') {
		ERR(c, v, "\"%s\" must not be empty", key);
		return NULL;
	}
	return s;
}

/* An enum value from a fixed word list; -1 (with an error) when unknown. */
static int
get_enum(struct ctx *c, yaml_node_t *v, const char *key, const char *what,
    const char *const *words, size_t n)
{
	const char *s = get_str(c, v, key);
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (strcmp(s, words[i]) == 0)
			return (int)i;
	yerr_unknown(c->errs, c->nerrs, c->d, v, what, s, words, n);
	return -1;
}

/* A string or a list of strings; heap array of heap strings, *ok = 0 on errors. */
static char **
get_str_list(struct ctx *c, yaml_node_t *v, const char *key, size_t *n, int *ok)
{
	char **out = NULL;
	size_t i, len;

	*n = 0;
	if (v == NULL)
		return NULL;
	if (ynode_is_scalar(v)) {
		const char *s = get_str(c, v, key);

		if (s == NULL) {
			*ok = 0;
			return NULL;
		}
		out = xcalloc(1, sizeof *out);
		out[(*n)++] = xstrdup(s);
		return out;
	}
	if (!ynode_is_seq(v)) {
		ERR(c, v, "\"%s\" must be a string or a list of strings", key);
		*ok = 0;
		return NULL;
	}
	len = yseq_len(v);
	out = xcalloc(len + 1, sizeof *out);
	for (i = 0; i < len; i++) {
		yaml_node_t *it = yseq_get(c->d, v, i);
		const char *s;

		if (!ynode_is_scalar(it)) {
			ERR(c, it, "\"%s\" must be a list of strings", key);
			*ok = 0;
			continue;
		}
		if ((s = get_str(c, it, key)) == NULL) {
			*ok = 0;
			continue;
		}
		out[(*n)++] = xstrdup(s);
	}
	return out;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Compile each string of a list (or one string) into paths. */
static struct jpath **
get_paths(struct ctx *c, yaml_node_t *v, const char *key, size_t *n, int *ok)
{
	struct jpath **out;
	size_t i, len;

	*n = 0;
	len = ynode_is_seq(v) ? yseq_len(v) : 1;
	if (!ynode_is_seq(v) && !ynode_is_scalar(v)) {
		ERR(c, v, "\"%s\" must be a path or a list of paths", key);
		*ok = 0;
		return NULL;
	}
	if (ynode_is_seq(v) && len == 0) {
		ERR(c, v, "\"%s\" must not be empty", key);
		*ok = 0;
		return NULL;
	}
	out = xcalloc(len + 1, sizeof *out);
	for (i = 0; i < len; i++) {
		yaml_node_t *it = ynode_is_seq(v) ? yseq_get(c->d, v, i) : v;
		const char *s;
		char *err = NULL;
		struct jpath *p;

		if (!ynode_is_scalar(it)) {
			ERR(c, it, "\"%s\" must be a path or a list of paths", key);
			*ok = 0;
			continue;
		}
		if ((s = get_str(c, it, key)) == NULL) {
			*ok = 0;
			continue;
		}
		if ((p = jpath_compile(s, &err)) == NULL) {
			ERR(c, it, "%s", err);
			free(err);
			*ok = 0;
			continue;
		}
		out[(*n)++] = p;
	}
	return out;
}

static void paths_free(struct jpath **p, size_t n);

/* One `id` element that is a mapping {join: [paths], sep: text}: fills *j and returns a
 * compiled copy of its first part (for code that reads one path per element), or NULL. */
static struct jpath *
get_join(struct ctx *c, yaml_node_t *map, struct em_join *j)
{
	yaml_node_t *parts = ymap_get(c->d, map, "join"), *sep = ymap_get(c->d, map, "sep");
	const char *s;
	char *err = NULL;
	struct jpath *first;
	int ok = 1;

	check_keys(c, map, join_keys, TF_ARRLEN(join_keys), "an id join");
	if (parts == NULL || sep == NULL) {
		ERR(c, map, "an id join needs \"join\" (the paths of its parts) and \"sep\"");
		return NULL;
	}
	if (!ynode_is_seq(parts) || yseq_len(parts) < 2) {
		ERR(c, parts, "\"join\" must be a list of at least two paths");
		return NULL;
	}
	if ((s = ynode_str(sep)) == NULL || *s == '\0') {
		ERR(c, sep, "\"sep\" must be a non-empty string (what joins the parts: \":\", \"/\")");
		return NULL;
	}
	j->parts = get_paths(c, parts, "join", &j->nparts, &ok);
	if (!ok || j->nparts < 2) {
		paths_free(j->parts, j->nparts);
		memset(j, 0, sizeof *j);
		return NULL;
	}
	j->sep = xstrdup(s);
	first = jpath_compile(ynode_str(yseq_get(c->d, parts, 0)), &err);
	free(err);
	return first;
}

/* `id`: a path, or a list of paths and joins. */
static struct jpath **
get_ids(struct ctx *c, yaml_node_t *v, struct em_entry *e, int *ok)
{
	struct jpath **out;
	size_t i, len, nj = 0;

	if (!ynode_is_seq(v))
		return get_paths(c, v, "id", &e->nid_paths, ok);
	len = yseq_len(v);
	for (i = 0; i < len; i++)
		nj += ynode_is_map(yseq_get(c->d, v, i));
	if (nj == 0)
		return get_paths(c, v, "id", &e->nid_paths, ok);
	out = xcalloc(len + 1, sizeof *out);
	e->id_joins = xcalloc(len + 1, sizeof *e->id_joins);
	for (i = 0; i < len; i++) {
		yaml_node_t *it = yseq_get(c->d, v, i);
		struct jpath *p;

		if (ynode_is_map(it)) {
			if ((p = get_join(c, it, &e->id_joins[e->nid_paths])) == NULL) {
				*ok = 0;
				continue;
			}
			out[e->nid_paths++] = p;
			continue;
		}
		{
			size_t n1 = 0;
			struct jpath **one = get_paths(c, it, "id", &n1, ok);

			if (n1 == 1)
				out[e->nid_paths++] = one[0];
			free(one);
		}
	}
	return out;
}

static void
paths_free(struct jpath **p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		jpath_free(p[i]);
	free(p);
}

/* An event or alias name: non-empty, and without GCP's version prefixes. */
static const char *
check_name(struct ctx *c, yaml_node_t *v, const char *key)
{
	const char *s = get_str(c, v, key);
	size_t i;

	if (s == NULL)
		return NULL;
	if (c->prov == PROV_GCP) {
		for (i = 0; i < TF_ARRLEN(gcp_prefixes); i++) {
			if (strncmp(s, gcp_prefixes[i], strlen(gcp_prefixes[i])) == 0) {
				ERR(c, v, "GCP method \"%s\": write it without the \"%s\" prefix "
				    "(version prefixes are stripped before lookup)", s, gcp_prefixes[i]);
				return NULL;
			}
		}
	}
	return s;
}

/* A Terraform resource type of this file's provider, or "*". */
static const char *
check_resource(struct ctx *c, yaml_node_t *v, const char *key, int star_ok)
{
	const char *s = get_str(c, v, key), *want;
	size_t i;

	if (s == NULL)
		return NULL;
	if (star_ok && strcmp(s, "*") == 0)
		return s;
	for (i = 0; s[i] != '\0'; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')) {
			ERR(c, v, "\"%s\" is not a Terraform resource type%s", s,
			    star_ok ? " (or \"*\")" : "");
			return NULL;
		}
	}
	want = c->prov == PROV_AWS ? "aws_" : c->prov == PROV_GCP ? "google_" : NULL;
	if (want != NULL && strncmp(s, want, strlen(want)) != 0) {
		ERR(c, v, "resource \"%s\" does not belong to provider %s (expected %s...)", s,
		    c->prov == PROV_AWS ? "aws" : "gcp", want);
		return NULL;
	}
	return s;
}

/* ---- entries ---- */

static void
entry_free(struct em_entry *e)
{
	size_t i;

	if (e == NULL)
		return;
	free(e->service);
	strv_free(e->names, e->nnames);
	free(e->resource);
	for (i = 0; e->id_joins != NULL && i < e->nid_paths; i++) {
		paths_free(e->id_joins[i].parts, e->id_joins[i].nparts);
		free(e->id_joins[i].sep);
	}
	free(e->id_joins);
	paths_free(e->id_paths, e->nid_paths);
	strv_free(e->state_keys, e->nstate_keys);
	free(e->severity);
	for (i = 0; i < e->nattrs; i++) {
		free(e->attrs[i].name);
		paths_free(e->attrs[i].paths, e->attrs[i].npaths);
		paths_free(e->attrs[i].keys_set, e->attrs[i].nkeys_set);
		paths_free(e->attrs[i].keys_removed, e->attrs[i].nkeys_removed);
		json_object_put(e->attrs[i].value);
	}
	free(e->attrs);
	paths_free(e->when_paths, e->nwhen);
	strv_free(e->when_equals, e->nwhen_equals);
	free(e->via_resource);
	free(e->via_attr);
	free(e->cover_resource);
	for (i = 0; i < e->ncover; i++) {
		free(e->cover[i].attr);
		jpath_free(e->cover[i].path);
	}
	free(e->cover);
	jpath_free(e->deltas);
	free(e->id_prefix);
	free(e->id_glob);
	if (e->sgr != NULL) {
		jpath_free(e->sgr->group);
		paths_free(e->sgr->rules, e->sgr->nrules);
		free(e->sgr);
	}
	free(e->file);
	jpath_free(e->each);
	paths_free(e->unless_paths, e->nunless);
	strv_free(e->unless_equals, e->nunless_equals);
	for (i = 0; i < e->nidm; i++) {
		free(e->idm[i].attr);
		jpath_free(e->idm[i].path);
	}
	free(e->idm);
	free(e->id_format);
	free(e);
}

/* A YAML scalar as JSON: quoted text is a string; plain true/false, integers, decimals and
 * null are typed as YAML 1.2 core reads them. */
static json_object *
scalar_json(const yaml_node_t *n)
{
	const char *s = ynode_str(n);
	char *end;
	long long ll;
	double d;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return json_object_new_string_len(s, (int)n->data.scalar.length);
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
		return json_object_new_boolean(1);
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
		return json_object_new_boolean(0);
	if (*s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0)
		return NULL;
	errno = 0;
	ll = strtoll(s, &end, 10);
	if (*end == '\0' && errno == 0)
		return json_object_new_int64(ll);
	errno = 0;
	d = strtod(s, &end);
	if (*end == '\0' && errno == 0 && (s[0] == '-' || s[0] == '+' || s[0] == '.' ||
	    (s[0] >= '0' && s[0] <= '9')))
		return json_object_new_double(d);
	return json_object_new_string(s);
}

/* `value:`: a constant new value, which the attribute's transform must accept. */
static int
parse_const(struct ctx *c, yaml_node_t *v, struct em_attr *a)
{
	json_object *j, *canon;

	if (!ynode_is_scalar(v)) {
		ERR(c, v, "\"value\" must be a single value (a string, number or true/false)");
		return -1;
	}
	if ((j = scalar_json(v)) == NULL) {
		ERR(c, v, "\"value\" must not be empty");
		return -1;
	}
	canon = val_from_event(a->transform, j);
	/* "" is "none" (a policy, a list of rules, a map: what state holds once the call deleted
	 * it): a valid constant for every transform. */
	if (canon == NULL && !(json_object_is_type(j, json_type_string) &&
	    json_object_get_string_len(j) == 0)) {
		ERR(c, v, "value \"%s\" is not a valid %s", ynode_str(v),
		    val_transform_name(a->transform));
		json_object_put(j);
		return -1;
	}
	json_object_put(canon);
	a->value = j;
	return 0;
}

/* An attribute's `keys: {set: paths, removed: paths}`. */
static int
parse_akeys(struct ctx *c, yaml_node_t *v, struct em_attr *a)
{
	yaml_node_t *set, *rem;
	int ok = 1;

	if (!ynode_is_map(v)) {
		ERR(c, v, "\"keys\" must be a mapping with set and/or removed (paths of key lists)");
		return -1;
	}
	check_keys(c, v, akeys_keys, TF_ARRLEN(akeys_keys), "keys");
	set = ymap_get(c->d, v, "set");
	rem = ymap_get(c->d, v, "removed");
	if (set == NULL && rem == NULL) {
		ERR(c, v, "\"keys\" needs \"set\" or \"removed\"");
		return -1;
	}
	if (set != NULL)
		a->keys_set = get_paths(c, set, "set", &a->nkeys_set, &ok);
	if (rem != NULL)
		a->keys_removed = get_paths(c, rem, "removed", &a->nkeys_removed, &ok);
	return ok ? 0 : -1;
}

static int
parse_attr(struct ctx *c, yaml_node_t *map, struct em_attr *a)
{
	yaml_node_t *v, *path, *paths, *cval;
	const char *s, *vt[VT__COUNT];
	int ok = 1, t, sv;

	memset(a, 0, sizeof *a);
	for (t = 0; t < VT__COUNT; t++)
		vt[t] = val_transform_name((enum val_transform)t);
	if (!ynode_is_map(map)) {
		ERR(c, map, "each attribute must be a mapping with name, path and transform");
		return -1;
	}
	check_keys(c, map, attr_keys, TF_ARRLEN(attr_keys), "attribute");
	if ((v = ymap_get(c->d, map, "name")) == NULL) {
		ERR(c, map, "attribute is missing \"name\"");
		ok = 0;
	} else if ((s = get_str(c, v, "name")) == NULL)
		ok = 0;
	else
		a->name = xstrdup(s);
	path = ymap_get(c->d, map, "path");
	paths = ymap_get(c->d, map, "paths");
	cval = ymap_get(c->d, map, "value");
	if (path != NULL && paths != NULL) {
		ERR(c, paths, "use either \"path\" or \"paths\", not both");
		ok = 0;
	} else if (cval != NULL && (path != NULL || paths != NULL)) {
		ERR(c, cval, "use either \"value\" or \"%s\", not both", path ? "path" : "paths");
		ok = 0;
	} else if (cval != NULL) {
		/* checked below, once the transform is known */
	} else if ((v = ymap_get(c->d, map, "keys")) != NULL) {
		if (path != NULL || paths != NULL) {
			ERR(c, v, "use either \"keys\" or \"%s\", not both", path ? "path" : "paths");
			ok = 0;
		} else if (parse_akeys(c, v, a) != 0)
			ok = 0;
	} else if (path == NULL && paths == NULL) {
		ERR(c, map, "attribute needs \"path\", \"paths\" or \"value\"");
		ok = 0;
	} else if (path != NULL && !ynode_is_scalar(path)) {
		ERR(c, path, "\"path\" must be a string (use \"paths\" for a list)");
		ok = 0;
	} else
		a->paths = get_paths(c, path != NULL ? path : paths, path != NULL ? "path" : "paths",
		    &a->npaths, &ok);
	a->transform = VT_STRING;
	if ((v = ymap_get(c->d, map, "transform")) != NULL) {
		t = get_enum(c, v, "transform", "transform", vt, VT__COUNT);
		if (t < 0)
			ok = 0;
		else
			a->transform = (enum val_transform)t;
	}
	a->state_transform = a->transform;
	if ((v = ymap_get(c->d, map, "state_transform")) != NULL) {
		t = get_enum(c, v, "state_transform", "transform", vt, VT__COUNT);
		if (t < 0)
			ok = 0;
		else
			a->state_transform = (enum val_transform)t;
	}
	if ((v = ymap_get(c->d, map, "sensitive")) != NULL) {
		if (yscalar_bool(ynode_str(v), &sv) != 0) {
			ERR(c, v, "\"sensitive\" must be true or false");
			ok = 0;
		} else
			a->sensitive = sv;
	}
	if ((v = ymap_get(c->d, map, "computed")) != NULL) {
		if (yscalar_bool(ynode_str(v), &sv) != 0) {
			ERR(c, v, "\"computed\" must be true or false");
			ok = 0;
		} else
			a->computed = sv;
	}
	if ((v = ymap_get(c->d, map, "if_in_state")) != NULL) {
		if (yscalar_bool(ynode_str(v), &sv) != 0) {
			ERR(c, v, "\"if_in_state\" must be true or false");
			ok = 0;
		} else
			a->if_in_state = sv;
	}
	if ((v = ymap_get(c->d, map, "alone")) != NULL) {
		if (yscalar_bool(ynode_str(v), &sv) != 0) {
			ERR(c, v, "\"alone\" must be true or false");
			ok = 0;
		} else
			a->alone = sv;
	}
	if (cval != NULL && path == NULL && paths == NULL && parse_const(c, cval, a) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

static int parse_match(struct ctx *c, yaml_node_t *v, const char *key, struct em_match **out,
    size_t *nout);

static int
parse_cover(struct ctx *c, yaml_node_t *map, struct em_entry *e)
{
	yaml_node_t *v;
	const char *s;
	int ok = 1;

	if (!ynode_is_map(map)) {
		ERR(c, map, "\"covered_by\" must be a mapping with resource and match");
		return -1;
	}
	check_keys(c, map, cover_keys, TF_ARRLEN(cover_keys), "covered_by");
	if ((v = ymap_get(c->d, map, "resource")) == NULL) {
		ERR(c, map, "\"covered_by\" is missing \"resource\"");
		ok = 0;
	} else if ((s = check_resource(c, v, "resource", 0)) == NULL)
		ok = 0;
	else
		e->cover_resource = xstrdup(s);
	if ((v = ymap_get(c->d, map, "match")) == NULL) {
		if (e->deltas != NULL)
			return ok ? 0 : -1;     /* found by its id, RESOURCE/ROLE/MEMBER */
		ERR(c, map, "\"covered_by\" is missing \"match\"");
		return -1;
	}
	if (parse_match(c, v, "match", &e->cover, &e->ncover) != 0)
		ok = 0;
	return ok ? 0 : -1;
}

/* A mapping of attribute: path (covered_by's match, id_match) into *out. */
static int
parse_match(struct ctx *c, yaml_node_t *v, const char *key, struct em_match **out, size_t *nout)
{
	yaml_node_t *k, *pv;
	size_t i, n;
	int ok = 1;

	if (!ynode_is_map(v)) {
		ERR(c, v, "\"%s\" must be a mapping of attribute: path", key);
		return -1;
	}
	n = v->data.mapping.pairs.top - v->data.mapping.pairs.start;
	if (n == 0) {
		ERR(c, v, "\"%s\" must not be empty", key);
		return -1;
	}
	*out = xcalloc(n, sizeof **out);
	for (i = 0; ymap_pair(c->d, v, i, &k, &pv); i++) {
		const char *attr = ynode_str(k), *ps;
		struct jpath *p;
		char *err = NULL;
		size_t j;

		if (attr == NULL || *attr == '\0') {
			ERR(c, k, "\"%s\" keys must be attribute names", key);
			ok = 0;
			continue;
		}
		for (j = 0; j < *nout; j++)
			if (strcmp((*out)[j].attr, attr) == 0)
				break;
		if (j < *nout) {
			ERR(c, k, "duplicate key \"%s\"", attr);
			ok = 0;
			continue;
		}
		if ((ps = get_str(c, pv, attr)) == NULL) {
			ok = 0;
			continue;
		}
		if ((p = jpath_compile(ps, &err)) == NULL) {
			ERR(c, pv, "%s", err);
			free(err);
			ok = 0;
			continue;
		}
		(*out)[*nout].attr = xstrdup(attr);
		(*out)[*nout].path = p;
		(*nout)++;
	}
	return ok ? 0 : -1;
}

/* `deltas:` a path to GCP IAM binding deltas. A set_add entry (the binding, ROLE's members)
 * names the member resource in covered_by; a modify entry (the whole policy) compares one
 * attribute, the policy. */
static int
parse_deltas(struct ctx *c, yaml_node_t *map, yaml_node_t *v, struct em_entry *e)
{
	const char *s;
	char *err = NULL;

	if ((s = get_str(c, v, "deltas")) == NULL)
		return -1;
	if ((e->deltas = jpath_compile(s, &err)) == NULL) {
		ERR(c, v, "%s", err);
		free(err);
		return -1;
	}
	if (e->provider != PROV_GCP) {
		ERR(c, v, "\"deltas\" are GCP IAM policy deltas (provider: gcp)");
		return -1;
	}
	if (e->action == EM_SET_ADD && ymap_get(c->d, map, "covered_by") == NULL) {
		ERR(c, v, "a set_add entry with \"deltas\" needs \"covered_by\" (the member resource)");
		return -1;
	}
	if (e->action != EM_SET_ADD && e->action != EM_MODIFY) {
		ERR(c, v, "\"deltas\" go with set_add (the role's binding) or modify (the policy)");
		return -1;
	}
	return 0;
}

/* id_format: literal text and {attr} placeholders, each an id_match key. */
static int
check_id_format(struct ctx *c, yaml_node_t *v, const struct em_entry *e, const char *f)
{
	const char *p = f, *end;
	size_t i, nph = 0;

	while ((p = strchr(p, '{')) != NULL) {
		if ((end = strchr(p, '}')) == NULL || end == p + 1) {
			ERR(c, v, "\"id_format\" \"%s\": a placeholder is {attribute}", f);
			return -1;
		}
		for (i = 0; i < e->nidm; i++)
			if (strlen(e->idm[i].attr) == (size_t)(end - p - 1) &&
			    strncmp(e->idm[i].attr, p + 1, (size_t)(end - p - 1)) == 0)
				break;
		if (i == e->nidm) {
			ERR(c, v, "\"id_format\" \"%s\": {%.*s} is not an id_match key", f,
			    (int)(end - p - 1), p + 1);
			return -1;
		}
		nph++;
		p = end + 1;
	}
	if (nph == 0) {
		ERR(c, v, "\"id_format\" \"%s\" has no {attribute} placeholder", f);
		return -1;
	}
	return 0;
}

static int parse_cond(struct ctx *c, yaml_node_t *v, const char *key, struct jpath ***paths_out,
    size_t *npaths, char ***equals, size_t *nequals);

/* each, unless, id_match, id_format (batches of changes, composite record ids). */
static int
parse_batch(struct ctx *c, yaml_node_t *map, struct em_entry *e)
{
	yaml_node_t *v, *fv;
	const char *s;
	char *err = NULL;
	int ok = 1;

	if ((v = ymap_get(c->d, map, "each")) != NULL) {
		if ((s = get_str(c, v, "each")) == NULL)
			ok = 0;
		else if ((e->each = jpath_compile(s, &err)) == NULL) {
			ERR(c, v, "%s", err);
			free(err);
			ok = 0;
		} else if (!jpath_is_each(e->each)) {
			ERR(c, v, "\"each\" \"%s\" must end in its only [] (the list whose elements "
			    "are taken one at a time)", s);
			ok = 0;
		}
	}
	if ((v = ymap_get(c->d, map, "unless")) != NULL &&
	    parse_cond(c, v, "unless", &e->unless_paths, &e->nunless, &e->unless_equals,
	    &e->nunless_equals) != 0)
		ok = 0;
	fv = ymap_get(c->d, map, "id_format");
	if ((v = ymap_get(c->d, map, "id_match")) != NULL) {
		if (parse_match(c, v, "id_match", &e->idm, &e->nidm) != 0)
			ok = 0;
		else if (e->nidm > EM_MAX_ID_MATCH) {
			ERR(c, v, "\"id_match\" takes at most %d attributes", EM_MAX_ID_MATCH);
			ok = 0;
		}
		else if (fv == NULL) {
			ERR(c, v, "\"id_match\" needs \"id_format\" (the id it reports, "
			    "\"{zone_id}_{fqdn}_{type}\")");
			ok = 0;
		}
	} else if (fv != NULL) {
		ERR(c, fv, "\"id_format\" goes with \"id_match\"");
		ok = 0;
	}
	if (fv != NULL && e->nidm > 0) {
		if ((s = get_str(c, fv, "id_format")) == NULL || check_id_format(c, fv, e, s) != 0)
			ok = 0;
		else
			e->id_format = xstrdup(s);
	}
	return ok ? 0 : -1;
}

/* `when` / `unless: {path | paths, equals}`: the condition holds when a path is in the
 * record (and its value, as text, is `equals`, or one of them when it is a list). */
static int
parse_cond(struct ctx *c, yaml_node_t *v, const char *key, struct jpath ***paths_out,
    size_t *npaths, char ***equals, size_t *nequals)
{
	yaml_node_t *path, *paths, *eq;
	int ok = 1;

	if (!ynode_is_map(v)) {
		ERR(c, v, "\"%s\" must be a mapping with path (or paths) and optionally equals", key);
		return -1;
	}
	check_keys(c, v, when_keys, TF_ARRLEN(when_keys), key);
	path = ymap_get(c->d, v, "path");
	paths = ymap_get(c->d, v, "paths");
	if ((path == NULL) == (paths == NULL)) {
		ERR(c, v, "\"%s\" needs one of \"path\" or \"paths\"", key);
		return -1;
	}
	*paths_out = get_paths(c, path != NULL ? path : paths, path != NULL ? "path" : "paths",
	    npaths, &ok);
	if ((eq = ymap_get(c->d, v, "equals")) != NULL) {
		if (!ynode_is_scalar(eq) && !ynode_is_seq(eq)) {
			ERR(c, eq, "\"equals\" must be a value (a string, number or true/false) or a "
			    "list of values");
			ok = 0;
		} else {
			*equals = get_str_list(c, eq, "equals", nequals, &ok);
			if (ok && *nequals == 0) {
				ERR(c, eq, "\"equals\" must not be empty");
				ok = 0;
			}
		}
	}
	return ok ? 0 : -1;
}

/* `id_via: {resource, attribute}`. */
static int
parse_via(struct ctx *c, yaml_node_t *v, struct em_entry *e)
{
	yaml_node_t *r, *a;
	const char *s;

	if (!ynode_is_map(v)) {
		ERR(c, v, "\"id_via\" must be a mapping with resource and attribute");
		return -1;
	}
	check_keys(c, v, via_keys, TF_ARRLEN(via_keys), "id_via");
	r = ymap_get(c->d, v, "resource");
	a = ymap_get(c->d, v, "attribute");
	if (r == NULL || a == NULL) {
		ERR(c, v, "\"id_via\" needs \"resource\" and \"attribute\"");
		return -1;
	}
	if ((s = check_resource(c, r, "resource", 0)) == NULL)
		return -1;
	e->via_resource = xstrdup(s);
	if ((s = get_str(c, a, "attribute")) == NULL)
		return -1;
	e->via_attr = xstrdup(s);
	return 0;
}

/* A `when`/`unless` condition: one of the paths is in the record (the first present decides)
 * and, when values are given, its value as text is one of them. */
static int
cond_holds(struct jpath *const *paths, size_t npaths, char *const *equals, size_t nequals,
    json_object *record)
{
	size_t i, k;

	for (i = 0; i < npaths; i++) {
		json_object *v = jpath_get(paths[i], record);
		const char *s;

		if (v == NULL)
			continue;
		if (nequals == 0)
			return 1;
		if ((s = json_object_get_string(v)) == NULL)
			return 0;
		for (k = 0; k < nequals; k++)
			if (strcmp(s, equals[k]) == 0)
				return 1;
		return 0;
	}
	return 0;
}

int
eventmap_entry_applies(const struct em_entry *e, json_object *record)
{
	if (e == NULL)
		return 1;
	if (e->nwhen > 0 && !cond_holds(e->when_paths, e->nwhen, e->when_equals, e->nwhen_equals,
	    record))
		return 0;
	return e->nunless == 0 || !cond_holds(e->unless_paths, e->nunless, e->unless_equals,
	    e->nunless_equals, record);
}

static int
parse_sgrule(struct ctx *c, yaml_node_t *map, struct em_entry *e)
{
	yaml_node_t *v;
	const char *ps;
	char *err = NULL;
	int ok = 1, t;

	if (!ynode_is_map(map)) {
		ERR(c, map, "\"sg_rule\" must be a mapping with group, direction and rules");
		return -1;
	}
	check_keys(c, map, sgrule_keys, TF_ARRLEN(sgrule_keys), "sg_rule");
	if (e->action != EM_SET_ADD && e->action != EM_SET_REMOVE) {
		ERR(c, map, "\"sg_rule\" needs action set_add or set_remove");
		ok = 0;
	}
	e->sgr = xcalloc(1, sizeof *e->sgr);
	if ((v = ymap_get(c->d, map, "group")) == NULL) {
		ERR(c, map, "\"sg_rule\" is missing \"group\"");
		ok = 0;
	} else if ((ps = get_str(c, v, "group")) == NULL)
		ok = 0;
	else if ((e->sgr->group = jpath_compile(ps, &err)) == NULL) {
		ERR(c, v, "%s", err);
		free(err);
		ok = 0;
	}
	if ((v = ymap_get(c->d, map, "direction")) == NULL) {
		ERR(c, map, "\"sg_rule\" is missing \"direction\"");
		ok = 0;
	} else if ((t = get_enum(c, v, "direction", "direction", sgrule_dirs,
	    TF_ARRLEN(sgrule_dirs))) < 0)
		ok = 0;
	else
		e->sgr->egress = t;
	if ((v = ymap_get(c->d, map, "rules")) == NULL) {
		ERR(c, map, "\"sg_rule\" is missing \"rules\"");
		ok = 0;
	} else
		e->sgr->rules = get_paths(c, v, "rules", &e->sgr->nrules, &ok);
	return ok ? 0 : -1;
}

static struct em_entry *
parse_entry(struct ctx *c, yaml_node_t *map)
{
	struct em_entry *e;
	yaml_node_t *v;
	const char *s;
	size_t i, j, naliases;
	int ok = 1, t, action_ok = 0;

	if (!ynode_is_map(map)) {
		ERR(c, map, "each event entry must be a mapping (event, resource, action, id, ...)");
		return NULL;
	}
	check_keys(c, map, entry_keys, TF_ARRLEN(entry_keys), "event entry");
	e = xcalloc(1, sizeof *e);
	e->provider = c->prov;
	e->service = xstrdup(c->service);
	e->file = xstrdup(c->d->name);
	e->line = ynode_line(map);

	/* event + aliases -> names */
	if ((v = ymap_get(c->d, map, "event")) == NULL) {
		ERR(c, map, "event entry is missing \"event\"");
		ok = 0;
	} else if (!ynode_is_scalar(v)) {
		ERR(c, v, "\"event\" must be a string (use \"aliases\" for other names)");
		ok = 0;
	} else if ((s = check_name(c, v, "event")) == NULL)
		ok = 0;
	else {
		e->names = xcalloc(1, sizeof *e->names);
		e->names[e->nnames++] = xstrdup(s);
	}
	if ((v = ymap_get(c->d, map, "aliases")) != NULL) {
		naliases = ynode_is_seq(v) ? yseq_len(v) : 1;
		if (!ynode_is_seq(v) && !ynode_is_scalar(v)) {
			ERR(c, v, "\"aliases\" must be a string or a list of strings");
			ok = 0;
			naliases = 0;
		}
		for (i = 0; i < naliases; i++) {
			yaml_node_t *an = ynode_is_seq(v) ? yseq_get(c->d, v, i) : v;

			if (!ynode_is_scalar(an)) {
				ERR(c, an, "\"aliases\" must be a list of strings");
				ok = 0;
				continue;
			}
			if ((s = check_name(c, an, "aliases")) == NULL) {
				ok = 0;
				continue;
			}
			for (j = 0; j < e->nnames; j++)
				if (strcmp(e->names[j], s) == 0)
					break;
			if (j < e->nnames)
				continue;       /* repeated name: harmless */
			e->names = xreallocarray(e->names, e->nnames + 1, sizeof *e->names);
			e->names[e->nnames++] = xstrdup(s);
		}
	}

	if ((v = ymap_get(c->d, map, "resource")) == NULL) {
		ERR(c, map, "event entry is missing \"resource\"");
		ok = 0;
	} else if ((s = check_resource(c, v, "resource", 1)) == NULL)
		ok = 0;
	else
		e->resource = xstrdup(s);

	if ((v = ymap_get(c->d, map, "action")) == NULL) {
		ERR(c, map, "event entry is missing \"action\"");
		ok = 0;
	} else if ((t = get_enum(c, v, "action", "action", action_names,
	    TF_ARRLEN(action_names))) < 0)
		ok = 0;
	else {
		e->action = (enum em_action)t;
		action_ok = 1;
	}

	if ((v = ymap_get(c->d, map, "id")) == NULL) {
		if (ymap_get(c->d, map, "id_match") == NULL) {
			ERR(c, map, "event entry is missing \"id\" (or \"id_match\")");
			ok = 0;
		}
	} else if (ymap_get(c->d, map, "id_match") != NULL) {
		ERR(c, v, "use either \"id\" or \"id_match\", not both");
		ok = 0;
	} else
		e->id_paths = get_ids(c, v, e, &ok);
	if (parse_batch(c, map, e) != 0)
		ok = 0;

	e->id_transform = EMID_STRING;
	if ((v = ymap_get(c->d, map, "id_transform")) != NULL) {
		if ((t = get_enum(c, v, "id_transform", "id_transform", idt_names,
		    TF_ARRLEN(idt_names))) < 0)
			ok = 0;
		else
			e->id_transform = (enum em_id_transform)t;
	}

	if ((v = ymap_get(c->d, map, "state_keys")) != NULL) {
		e->state_keys = get_str_list(c, v, "state_keys", &e->nstate_keys, &ok);
		if (ynode_is_seq(v) && yseq_len(v) == 0) {
			ERR(c, v, "\"state_keys\" must not be empty (leave it out for [id])");
			ok = 0;
		}
		for (i = 0; i < e->nstate_keys; i++) {
			char *msg;

			if (!state_index_is_template(e->state_keys[i]) &&
			    strchr(e->state_keys[i], '}') == NULL)
				continue;
			if ((msg = state_index_template_check(e->state_keys[i])) != NULL) {
				ERR(c, ynode_is_seq(v) && yseq_len(v) == e->nstate_keys ?
				    yseq_get(c->d, v, i) : v, "%s", msg);
				free(msg);
				ok = 0;
			}
		}
	} else {
		e->state_keys = xcalloc(1, sizeof *e->state_keys);
		e->state_keys[e->nstate_keys++] = xstrdup("id");
	}

	if ((v = ymap_get(c->d, map, "when")) != NULL && parse_cond(c, v, "when", &e->when_paths,
	    &e->nwhen, &e->when_equals, &e->nwhen_equals) != 0)
		ok = 0;
	if ((v = ymap_get(c->d, map, "id_via")) != NULL && parse_via(c, v, e) != 0)
		ok = 0;

	if ((v = ymap_get(c->d, map, "severity")) != NULL) {
		if ((t = get_enum(c, v, "severity", "severity", severity_names,
		    TF_ARRLEN(severity_names))) < 0)
			ok = 0;
		else
			e->severity = xstrdup(severity_names[t]);
	}

	if ((v = ymap_get(c->d, map, "attributes")) != NULL) {
		size_t n = yseq_len(v);

		if (!ynode_is_seq(v)) {
			ERR(c, v, "\"attributes\" must be a list");
			ok = 0;
		} else {
			e->attrs = xcalloc(n + 1, sizeof *e->attrs);
			for (i = 0; i < n; i++) {
				struct em_attr *a = &e->attrs[e->nattrs];

				if (parse_attr(c, yseq_get(c->d, v, i), a) != 0) {
					ok = 0;
					free(a->name);
					paths_free(a->paths, a->npaths);
					paths_free(a->keys_set, a->nkeys_set);
					paths_free(a->keys_removed, a->nkeys_removed);
					json_object_put(a->value);
					memset(a, 0, sizeof *a);
					continue;
				}
				/* One name twice only as a value and its `alone` stand-in. */
				for (j = 0; j < e->nattrs; j++)
					if (strcmp(e->attrs[j].name, a->name) == 0 &&
					    e->attrs[j].alone == a->alone)
						break;
				if (j < e->nattrs) {
					ERR(c, yseq_get(c->d, v, i), "duplicate attribute \"%s\"",
					    a->name);
					ok = 0;
					free(a->name);
					paths_free(a->paths, a->npaths);
					json_object_put(a->value);
					memset(a, 0, sizeof *a);
					continue;
				}
				e->nattrs++;
			}
		}
	}
	/* A set change names the set attribute, or at least the separate resource that holds
	 * the member (covered_by: user policy attachments have no set on the user). */
	if (action_ok && (e->action == EM_SET_ADD || e->action == EM_SET_REMOVE)) {
		v = ymap_get(c->d, map, "attributes");
		if (v == NULL && (ymap_get(c->d, map, "covered_by") != NULL ||
		    ymap_get(c->d, map, "sg_rule") != NULL))
			;	/* the covering resource, or the rule resource, is the member */
		else if (v == NULL && ymap_get(c->d, map, "deltas") != NULL)
			;	/* IAM deltas: parse_deltas says what they need */
		else if (v == NULL) {
			ERR(c, map, "%s entry needs \"attributes\" (the set attribute it changes) "
			    "or \"covered_by\"", em_action_name(e->action));
			ok = 0;
		} else if (ynode_is_seq(v) && yseq_len(v) == 0) {
			ERR(c, v, "%s entry needs at least one attribute", em_action_name(e->action));
			ok = 0;
		}
	}

	if ((v = ymap_get(c->d, map, "id_prefix")) != NULL) {
		if ((s = get_str(c, v, "id_prefix")) == NULL)
			ok = 0;
		else if (*s != '\0')
			e->id_prefix = xstrdup(s);
	}
	if ((v = ymap_get(c->d, map, "id_glob")) != NULL) {
		if ((s = get_str(c, v, "id_glob")) == NULL)
			ok = 0;
		else if (*s != '\0')
			e->id_glob = xstrdup(s);
	}
	if ((v = ymap_get(c->d, map, "deltas")) != NULL && action_ok &&
	    parse_deltas(c, map, v, e) != 0)
		ok = 0;

	if ((v = ymap_get(c->d, map, "covered_by")) != NULL && parse_cover(c, v, e) != 0)
		ok = 0;
	if ((v = ymap_get(c->d, map, "sg_rule")) != NULL && action_ok && parse_sgrule(c, v, e) != 0)
		ok = 0;

	if (!ok) {
		entry_free(e);
		return NULL;
	}
	return e;
}

/* ---- the map ---- */

struct eventmap *
eventmap_new(void)
{
	return xcalloc(1, sizeof(struct eventmap));
}

void
eventmap_free(struct eventmap *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++)
		entry_free(m->e[i]);
	free(m->e);
	free(m->slots);
	free(m->ix);
	free(m->specs);
	free(m);
}

size_t
eventmap_count(const struct eventmap *m)
{
	return m != NULL ? m->n : 0;
}

const struct em_entry *
eventmap_entry(const struct eventmap *m, size_t i)
{
	return m != NULL && i < m->n ? m->e[i] : NULL;
}

const struct index_key_spec *
eventmap_index_specs(const struct eventmap *m, size_t *n)
{
	*n = m != NULL ? m->nspecs : 0;
	return m != NULL ? m->specs : NULL;
}

static uint64_t
slot_hash(enum tf_provider p, const char *name)
{
	uint64_t h = tf_hash_str(name);

	h ^= (uint64_t)p * 0x9e3779b97f4a7c15ULL;
	h *= 1099511628211ULL;
	return h;
}

struct name_ref {
	enum tf_provider prov;
	const char *name;
	size_t entry;
};

static int
cmp_name_ref(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c;

	if (x->prov != y->prov)
		return x->prov < y->prov ? -1 : 1;
	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->entry < y->entry ? -1 : x->entry > y->entry;
}

static void
spec_add(struct eventmap *m, size_t *cap, const char *type, const char *attr)
{
	size_t i;

	if (strcmp(attr, "id") == 0 || strcmp(attr, "arn") == 0 || strcmp(attr, "self_link") == 0)
		return;
	for (i = 0; i < m->nspecs; i++)
		if (strcmp(m->specs[i].type, type) == 0 && strcmp(m->specs[i].attr, attr) == 0)
			return;
	if (m->nspecs == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		m->specs = xreallocarray(m->specs, *cap, sizeof *m->specs);
	}
	m->specs[m->nspecs].type = type;
	m->specs[m->nspecs].attr = attr;
	m->nspecs++;
}

/* Rebuild the name hash table and the index key specs after entries were added. */
static void
rebuild(struct eventmap *m)
{
	struct name_ref *refs;
	size_t nrefs = 0, total = 0, i, j, k, groups = 0, cap = 0;

	free(m->slots);
	free(m->ix);
	free(m->specs);
	m->slots = NULL;
	m->ix = NULL;
	m->nslots = 0;
	m->specs = NULL;
	m->nspecs = 0;

	for (i = 0; i < m->n; i++)
		total += m->e[i]->nnames;
	refs = xcalloc(total + 1, sizeof *refs);
	for (i = 0; i < m->n; i++)
		for (j = 0; j < m->e[i]->nnames; j++) {
			refs[nrefs].prov = m->e[i]->provider;
			refs[nrefs].name = m->e[i]->names[j];
			refs[nrefs].entry = i;
			nrefs++;
		}
	qsort(refs, nrefs, sizeof *refs, cmp_name_ref);
	m->ix = xcalloc(nrefs + 1, sizeof *m->ix);
	for (i = 0; i < nrefs; i++)
		if (i == 0 || cmp_name_ref(&(struct name_ref){ refs[i].prov, refs[i].name, 0 },
		    &(struct name_ref){ refs[i - 1].prov, refs[i - 1].name, 0 }) != 0)
			groups++;
	for (m->nslots = 16; m->nslots < groups * 2; m->nslots *= 2)
		;
	m->slots = xcalloc(m->nslots, sizeof *m->slots);
	for (i = 0, k = 0; i < nrefs; i = j) {
		struct em_slot *s;
		uint64_t h = slot_hash(refs[i].prov, refs[i].name);
		size_t pos = (size_t)h & (m->nslots - 1), first = k;

		for (j = i; j < nrefs && refs[j].prov == refs[i].prov &&
		    strcmp(refs[j].name, refs[i].name) == 0; j++) {
			if (k > first && m->ix[k - 1] == refs[j].entry)
				continue;
			m->ix[k++] = refs[j].entry;
		}
		while (m->slots[pos].name != NULL)
			pos = (pos + 1) & (m->nslots - 1);
		s = &m->slots[pos];
		s->name = refs[i].name;
		s->prov = refs[i].prov;
		s->hash = h;
		s->first = first;
		s->count = k - first;
	}
	free(refs);

	for (i = 0; i < m->n; i++) {
		const struct em_entry *e = m->e[i];

		for (j = 0; j < e->nstate_keys; j++)
			spec_add(m, &cap, e->resource, e->state_keys[j]);
		for (j = 0; e->cover_resource != NULL && j < e->ncover; j++)
			spec_add(m, &cap, e->cover_resource, e->cover[j].attr);
	}
}

size_t
eventmap_lookup(const struct eventmap *m, enum tf_provider p, const char *service,
    const char *name, const struct em_entry **out, size_t max)
{
	const struct em_slot *s;
	uint64_t h;
	size_t pos, i, n = 0;

	if (m == NULL || m->nslots == 0 || name == NULL)
		return 0;
	name = eventmap_norm_name(p, name);
	h = slot_hash(p, name);
	for (pos = (size_t)h & (m->nslots - 1); m->slots[pos].name != NULL;
	    pos = (pos + 1) & (m->nslots - 1)) {
		s = &m->slots[pos];
		if (s->hash != h || s->prov != p || strcmp(s->name, name) != 0)
			continue;
		for (i = 0; i < s->count; i++) {
			const struct em_entry *e = m->e[m->ix[s->first + i]];

			if (e->service != NULL && (service == NULL || strcmp(e->service, service) != 0))
				continue;
			if (n < max)
				out[n] = e;
			n++;
		}
		break;
	}
	return n < max ? n : max;
}

/* ---- batches of changes: each, when, unless, id_match ---- */

const char *
eventmap_match_value(const struct em_entry *e, size_t i, json_object *record)
{
	json_object *v;
	const char *s;

	if (i >= e->nidm || (v = jpath_get(e->idm[i].path, record)) == NULL ||
	    json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return NULL;
	s = json_object_get_string(v);
	return s != NULL && *s != '\0' ? s : NULL;
}

char *
eventmap_match_id(const struct em_entry *e, json_object *record)
{
	struct strbuf sb;
	const char *p, *lit, *end, *val;
	size_t i;
	int any = 0;

	if (e->id_format == NULL)
		return NULL;
	sb_init(&sb);
	for (lit = p = e->id_format; (p = strchr(p, '{')) != NULL; lit = p = end + 1) {
		end = strchr(p, '}');
		for (i = 0; i < e->nidm; i++)
			if (strlen(e->idm[i].attr) == (size_t)(end - p - 1) &&
			    strncmp(e->idm[i].attr, p + 1, (size_t)(end - p - 1)) == 0)
				break;
		/* A placeholder without a value drops itself and the text before it. */
		if ((val = eventmap_match_value(e, i, record)) == NULL)
			continue;
		sb_add(&sb, lit, (size_t)(p - lit));
		/* Names lose the final dot of a fully qualified name, as providers write ids. */
		sb_add(&sb, val, strlen(val) > 1 && val[strlen(val) - 1] == '.' ?
		    strlen(val) - 1 : strlen(val));
		any = 1;
	}
	sb_adds(&sb, lit);
	if (!any) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

/* Duplicate detection while loading: (provider, service, name, resource) -> first entry. */
struct dup_slot {
	const struct em_entry *e;
	const char *name;
	uint64_t hash;
};

struct dup_table {
	struct dup_slot *slots;
	size_t size, used;
};

static int
same_service(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Do two entries take the same parts of a call (the whole, or the same `each` list)? */
static int
same_each(const struct em_entry *a, const struct em_entry *b)
{
	if (a->each == NULL || b->each == NULL)
		return a->each == b->each;
	return strcmp(jpath_expr(a->each), jpath_expr(b->each)) == 0;
}

static uint64_t
dup_hash(const struct em_entry *e, const char *name)
{
	uint64_t h = slot_hash(e->provider, name);

	h = (h ^ tf_hash_str(e->resource)) * 1099511628211ULL;
	if (e->service != NULL)
		h = (h ^ tf_hash_str(e->service)) * 1099511628211ULL;
	return h;
}

static void
dup_grow(struct dup_table *t)
{
	struct dup_slot *old = t->slots;
	size_t oldsize = t->size, i;

	t->size = t->size ? t->size * 2 : 64;
	t->slots = xcalloc(t->size, sizeof *t->slots);
	for (i = 0; i < oldsize; i++) {
		size_t pos;

		if (old[i].e == NULL)
			continue;
		for (pos = (size_t)old[i].hash & (t->size - 1); t->slots[pos].e != NULL;
		    pos = (pos + 1) & (t->size - 1))
			;
		t->slots[pos] = old[i];
	}
	free(old);
}

/* The entry already holding one of e's names for the same provider, service and resource
 * (setting *which to the name); otherwise e's names are added and NULL is returned. */
static const struct em_entry *
dup_check_add(struct dup_table *t, const struct em_entry *e, const char **which)
{
	size_t j, pos;

	/* Entries with conditions apply to some calls only: several may share a name. */
	if (e->nwhen > 0 || e->nunless > 0)
		return NULL;
	for (j = 0; j < e->nnames; j++) {
		uint64_t h = dup_hash(e, e->names[j]);

		for (pos = t->size ? (size_t)h & (t->size - 1) : 0; t->size && t->slots[pos].e != NULL;
		    pos = (pos + 1) & (t->size - 1)) {
			const struct dup_slot *s = &t->slots[pos];

			if (s->hash == h && s->e->provider == e->provider &&
			    strcmp(s->name, e->names[j]) == 0 &&
			    strcmp(s->e->resource, e->resource) == 0 &&
			    same_service(s->e->service, e->service) && same_each(s->e, e)) {
				*which = e->names[j];
				return s->e;
			}
		}
	}
	for (j = 0; j < e->nnames; j++) {
		uint64_t h = dup_hash(e, e->names[j]);

		if ((t->used + 1) * 2 > t->size)
			dup_grow(t);
		for (pos = (size_t)h & (t->size - 1); t->slots[pos].e != NULL;
		    pos = (pos + 1) & (t->size - 1))
			;
		t->slots[pos].e = e;
		t->slots[pos].name = e->names[j];
		t->slots[pos].hash = h;
		t->used++;
	}
	return NULL;
}

static void
errs_add(char ***errs, size_t *nerrs, char *msg)
{
	*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
	(*errs)[(*nerrs)++] = msg;
}

/* Position of "name:line:col: ..." as a sortable pair; messages without one sort first. */
static void
err_pos(const char *msg, size_t namelen, long *line, long *col)
{
	char *end;

	*line = *col = 0;
	if (strlen(msg) <= namelen || msg[namelen] != ':')
		return;
	*line = strtol(msg + namelen + 1, &end, 10);
	if (*end == ':')
		*col = strtol(end + 1, NULL, 10);
}

/* Sort one file's messages by position (insertion sort: stable, and lists are short). */
static void
sort_errs(char **v, size_t n, size_t namelen)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		char *x = v[i];
		long xl, xc, yl, yc;

		err_pos(x, namelen, &xl, &xc);
		for (j = i; j > 0; j--) {
			err_pos(v[j - 1], namelen, &yl, &yc);
			if (yl < xl || (yl == xl && yc <= xc))
				break;
			v[j] = v[j - 1];
		}
		v[j] = x;
	}
}

int
eventmap_load_mem(struct eventmap *m, const char *name, const char *buf, size_t len,
    char ***errs, size_t *nerrs)
{
	struct ydoc d;
	struct ctx c;
	struct em_entry **pend = NULL;
	struct dup_table dups = { NULL, 0, 0 };
	const char *which = NULL;
	yaml_node_t *root, *v, *events;
	size_t npend = 0, i, n, nerr0 = *nerrs;
	char *err = NULL;
	int t;

	if (ydoc_load_mem(&d, name, buf, len, &err) != 0) {
		if (strstr(err, "flow sequence") != NULL) {
			/* The usual cause in event maps: id: [a.items[].b] */
			char *e2 = xasprintf("%s (quote paths that contain [ ] inside a [...] list, "
			    "e.g. id: [\"a.items[].b\"])", err);

			free(err);
			err = e2;
		}
		errs_add(errs, nerrs, err);
		ydoc_free(&d);
		return -1;
	}
	memset(&c, 0, sizeof c);
	c.d = &d;
	c.errs = errs;
	c.nerrs = nerrs;
	c.prov = PROV_UNKNOWN;
	root = ydoc_root(&d);
	if (root == NULL || (ynode_is_scalar(root) && *ynode_str(root) == '\0')) {
		ERR(&c, NULL, "empty event map (expected provider, service and events)");
		goto out;
	}
	if (!ynode_is_map(root)) {
		ERR(&c, root, "an event map must be a mapping with provider, service and events");
		goto out;
	}
	check_keys(&c, root, top_keys, TF_ARRLEN(top_keys), "an event map");
	if ((v = ymap_get(&d, root, "provider")) == NULL)
		ERR(&c, root, "event map is missing \"provider\" (aws or gcp)");
	else if ((t = get_enum(&c, v, "provider", "provider", provider_names,
	    TF_ARRLEN(provider_names))) >= 0)
		c.prov = t == 0 ? PROV_AWS : PROV_GCP;
	if ((v = ymap_get(&d, root, "service")) != NULL)
		c.service = get_str(&c, v, "service");
	if ((events = ymap_get(&d, root, "events")) == NULL) {
		ERR(&c, root, "event map is missing \"events\"");
		goto out;
	}
	if (!ynode_is_seq(events)) {
		ERR(&c, events, "\"events\" must be a list of event entries");
		goto out;
	}
	n = yseq_len(events);
	pend = xcalloc(n + 1, sizeof *pend);
	for (i = 0; i < m->n; i++)
		dup_check_add(&dups, m->e[i], &which);
	for (i = 0; i < n; i++) {
		yaml_node_t *en = yseq_get(&d, events, i);
		struct em_entry *e = parse_entry(&c, en);
		const struct em_entry *dup;

		if (e == NULL)
			continue;
		if ((dup = dup_check_add(&dups, e, &which)) != NULL) {
			ERR(&c, en, "duplicate entry: \"%s\" -> %s is already mapped at %s:%d",
			    which, e->resource, dup->file, dup->line);
			entry_free(e);
			continue;
		}
		pend[npend++] = e;
	}
out:
	if (*nerrs > nerr0)
		sort_errs(*errs + nerr0, *nerrs - nerr0, strlen(name));
	if (*nerrs == nerr0 && npend > 0) {
		m->e = xreallocarray(m->e, m->n + npend, sizeof *m->e);
		memcpy(m->e + m->n, pend, npend * sizeof *pend);
		m->n += npend;
		rebuild(m);
	} else {
		for (i = 0; i < npend; i++)
			entry_free(pend[i]);
	}
	free(pend);
	free(dups.slots);
	ydoc_free(&d);
	return *nerrs == nerr0 ? 0 : -1;
}

int
eventmap_load_file(struct eventmap *m, const char *path, char ***errs, size_t *nerrs)
{
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	int rc;

	if (tf_read_file(path, TF_FILE_DEFINITION, &buf, &len, &err) != 0) {
		errs_add(errs, nerrs, err);
		return -1;
	}
	rc = eventmap_load_mem(m, path, buf, len, errs, nerrs);
	free(buf);
	return rc;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
eventmap_load_dir(const char *dir, struct eventmap **out, char ***errs, size_t *nerrs)
{
	struct eventmap *m;
	struct dirent *de;
	DIR *dp;
	char **names = NULL;
	size_t n = 0, i, nerr0 = *nerrs;

	*out = NULL;
	if ((dp = opendir(dir)) == NULL) {
		errs_add(errs, nerrs, xasprintf("%s: cannot open event map directory: %s", dir,
		    strerror(errno)));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.' || !tf_str_has_suffix(de->d_name, ".yaml"))
			continue;
		names = xreallocarray(names, n + 1, sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_names);
	m = eventmap_new();
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);

		eventmap_load_file(m, path, errs, nerrs);
		free(path);
		free(names[i]);
	}
	free(names);
	if (*nerrs != nerr0) {
		eventmap_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

/* The set of (resource type, top-level attribute) pairs the maps compare or look up, so a
 * state loader can drop every other attribute. 64-bit hashes: a collision only keeps an
 * attribute that could have been dropped. */
struct em_attrset {
	uint64_t *v;
	size_t cap;
};

static uint64_t
attrset_hash(const char *type, const char *attr, size_t alen)
{
	uint64_t h = tf_hash_str(type);

	h ^= 0x9e3779b97f4a7c15ULL;
	h *= 1099511628211ULL;
	h ^= tf_hash(attr, alen);
	return h ? h : 1;
}

static void
attrset_add(struct em_attrset *s, const char *type, const char *attr)
{
	size_t alen = strcspn(attr, ".");
	uint64_t h = attrset_hash(type, attr, alen);
	size_t i;

	for (i = h & (s->cap - 1); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == h)
			return;
	s->v[i] = h;
}

struct em_attrset *
eventmap_attrset_new(const struct eventmap *m)
{
	struct em_attrset *s = xcalloc(1, sizeof *s);
	size_t i, j, n = eventmap_count(m), want = 64;

	for (i = 0; i < n; i++) {
		const struct em_entry *e = eventmap_entry(m, i);

		want += e->nattrs + e->nstate_keys + e->ncover + e->nidm + 1;
		if (e->sgr != NULL)
			want += 64;     /* em_sgrule_types x em_sgrule_attrs */
	}
	for (s->cap = 128; s->cap < want * 2; s->cap *= 2)
		;
	s->v = xcalloc(s->cap, sizeof *s->v);
	for (i = 0; i < n; i++) {
		const struct em_entry *e = eventmap_entry(m, i);

		for (j = 0; j < e->nattrs; j++)
			attrset_add(s, e->resource, e->attrs[j].name);
		for (j = 0; j < e->nstate_keys; j++) {
			char *a;
			size_t k;

			if (!state_index_is_template(e->state_keys[j])) {
				attrset_add(s, e->resource, e->state_keys[j]);
				continue;
			}
			for (k = 0; (a = state_index_template_attr(e->state_keys[j], k)) != NULL; k++) {
				attrset_add(s, e->resource, a);
				free(a);
			}
		}
		if (e->deltas != NULL && e->action == EM_SET_ADD)
			attrset_add(s, e->resource, "members");    /* the binding's set */
		for (j = 0; e->cover_resource != NULL && j < e->ncover; j++)
			attrset_add(s, e->cover_resource, e->cover[j].attr);
		for (j = 0; j < e->nidm; j++)
			attrset_add(s, e->resource, e->idm[j].attr);
		if (e->via_resource != NULL)
			attrset_add(s, e->via_resource, e->via_attr);
		for (j = 0; e->sgr != NULL && em_sgrule_types[j] != NULL; j++) {
			size_t k;

			for (k = 0; em_sgrule_attrs[k] != NULL; k++)
				attrset_add(s, em_sgrule_types[j], em_sgrule_attrs[k]);
		}
	}
	return s;
}

int
eventmap_attrset_has(const struct em_attrset *s, const char *type, const char *attr)
{
	static const char *always[] = { "name", "tags", "tags_all", "labels", "terraform_labels",
	    "effective_labels", "project", "region", "zone", "location" };
	size_t alen = strlen(attr), i, k;
	uint64_t h[2];

	for (i = 0; i < TF_ARRLEN(always); i++)
		if (strcmp(attr, always[i]) == 0)
			return 1;
	h[0] = attrset_hash(type, attr, alen);
	h[1] = attrset_hash("*", attr, alen);
	for (k = 0; k < 2; k++)
		for (i = h[k] & (s->cap - 1); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
			if (s->v[i] == h[k])
				return 1;
	return 0;
}

void
eventmap_attrset_free(struct em_attrset *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s);
}

int
eventmap_keep_attr(void *ctx, const char *type, const char *attr)
{
	return eventmap_attrset_has(ctx, type, attr);
}

struct eventmap *
eventmap_load_report(const char *dir, FILE *fp)
{
	struct eventmap *m = NULL;
	char **errs = NULL;
	size_t nerrs = 0, i;
	char *builtin = xasprintf("%s/rules/events", tf_datadir());
	char *missing = strcmp(dir, builtin) == 0 ? tf_datadir_missing("rules/events") : NULL;

	free(builtin);
	if (missing != NULL) {
		/* The default maps: say where they were looked for and how to point elsewhere. */
		fprintf(fp, "tfdrift: %s\n", missing);
		free(missing);
		return NULL;
	}
	if (eventmap_load_dir(dir, &m, &errs, &nerrs) != 0) {
		for (i = 0; i < nerrs; i++)
			fprintf(fp, "tfdrift: %s\n", errs[i]);
		fprintf(fp, "tfdrift: the event maps in %s have errors; run `tfdrift rules check %s`\n",
		    dir, dir);
		yerrs_free(errs, nerrs);
		eventmap_free(m);
		return NULL;
	}
	yerrs_free(errs, nerrs);
	return m;
}

/* ---- the record as the store keeps it ---- */

/* Where the provider's records hold the call's own data (parameters, results, details): only
 * what the maps read of these is kept. */
static int
payload_key(enum tf_provider p, const char *k)
{
	static const char *const aws[] = { "requestParameters", "responseElements",
	    "additionalEventData", "serviceEventDetails" };
	static const char *const gcp[] = { "request", "response", "metadata", "serviceData" };
	const char *const *v = p == PROV_GCP ? gcp : aws;
	size_t i, n = p == PROV_GCP ? TF_ARRLEN(gcp) : TF_ARRLEN(aws);

	for (i = 0; i < n; i++)
		if (strcmp(k, v[i]) == 0)
			return 1;
	return 0;
}

/* A deep copy of o without the key `skip` (NULL: none). */
static json_object *
copy_without(json_object *o, const char *skip, enum tf_provider prov, int payload)
{
	json_object *out = json_object_new_object(), *c = NULL;

	json_object_object_foreach(o, k, v) {
		if ((skip != NULL && strcmp(k, skip) == 0) || (payload && payload_key(prov, k)))
			continue;
		c = NULL;
		if (v != NULL && json_object_deep_copy(v, &c, NULL) != 0)
			tf_fatal("out of memory (json_object_deep_copy)");
		json_object_object_add(out, k, c);
	}
	return out;
}

json_object *
eventmap_seen_record(const struct eventmap *m, const struct event *ev)
{
	const struct em_entry *ents[16];
	json_object *rec, *out, *wrap;
	size_t nent, i, j, k;
	int pass;

	if (ev->record == NULL || !json_object_is_type(ev->record, json_type_object))
		return NULL;
	nent = eventmap_lookup(m, ev->provider, ev->source, ev->name, ents, TF_ARRLEN(ents));
	if (nent > TF_ARRLEN(ents))
		nent = TF_ARRLEN(ents);
	rec = ev->record;
	out = copy_without(rec, NULL, ev->provider, 1);
	/* First every path the maps read, then the sensitive ones masked over them. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < nent; i++) {
			const struct em_entry *e = ents[i];

			for (j = 0; pass == 0 && j < e->nid_paths; j++) {
				out = jpath_copy(e->id_paths[j], rec, out, 0);
				for (k = 0; e->id_joins != NULL && k < e->id_joins[j].nparts; k++)
					out = jpath_copy(e->id_joins[j].parts[k], rec, out, 0);
			}
			for (j = 0; pass == 0 && j < e->ncover; j++)
				out = jpath_copy(e->cover[j].path, rec, out, 0);
			for (j = 0; pass == 0 && j < e->nidm; j++)
				out = jpath_copy(e->idm[j].path, rec, out, 0);
			for (j = 0; pass == 0 && j < e->nwhen; j++)
				out = jpath_copy(e->when_paths[j], rec, out, 0);
			for (j = 0; pass == 0 && j < e->nunless; j++)
				out = jpath_copy(e->unless_paths[j], rec, out, 0);
			if (pass == 0 && e->deltas != NULL)
				out = jpath_copy(e->deltas, rec, out, 0);
			if (pass == 0 && e->sgr != NULL) {
				out = jpath_copy(e->sgr->group, rec, out, 0);
				for (j = 0; j < e->sgr->nrules; j++)
					out = jpath_copy(e->sgr->rules[j], rec, out, 0);
			}
			for (j = 0; j < e->nattrs; j++) {
				const struct em_attr *a = &e->attrs[j];
				int secret = a->sensitive || a->transform == VT_REDACTED;

				if (pass == 1 && !secret)
					continue;
				for (k = 0; k < a->npaths; k++)
					out = jpath_copy(a->paths[k], rec, out, pass == 1);
				for (k = 0; pass == 0 && k < a->nkeys_set; k++)
					out = jpath_copy(a->keys_set[k], rec, out, 0);
				for (k = 0; pass == 0 && k < a->nkeys_removed; k++)
					out = jpath_copy(a->keys_removed[k], rec, out, 0);
			}
		}
	if (ev->raw == NULL || ev->raw == rec || ev->provider != PROV_GCP)
		return out;     /* an AWS record (an envelope's detail is kept alone) */
	/* A LogEntry: the entry around its reduced protoPayload. */
	wrap = copy_without(ev->raw, "protoPayload", ev->provider, 0);
	json_object_object_add(wrap, "protoPayload", out);
	return wrap;
}

