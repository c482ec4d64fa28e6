/* rules: load, compile and evaluate drift rules (doc/rules.md). Everything a condition needs
 * is decided at load: the operator, the subject (a change's attribute, a state attribute, a
 * finding field, a path into the raw record), the path split into segments, the literals'
 * types. Evaluation walks those without allocating; only a match allocates (f->rules). */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "jpath.h"
#include "eventmap.h"
#include "rules.h"
#include "util.h"
#include "yamlutil.h"

#define MAX_RECORD_VALS 64   /* record: path matches looked at per condition */

enum rop {
	OP_CHANGED = 0, OP_ADDED, OP_REMOVED, OP_EQUALS, OP_NOT_EQUALS, OP_CONTAINS, OP_MATCHES,
	OP_IN, OP_CIDR_OPEN, OP__COUNT
};
static const char *const op_names[OP__COUNT] = {
	"changed", "added", "removed", "equals", "not_equals", "contains", "matches", "in",
	"cidr_open",
};

enum rsubj { SUBJ_ATTR = 0, SUBJ_STATE, SUBJ_FIELD, SUBJ_RECORD };

enum rfield {
	F_KIND = 0, F_EVENT, F_EVENT_SOURCE, F_PROVIDER, F_ACCOUNT, F_PROJECT, F_REGION,
	F_RESOURCE_TYPE, F_ADDRESS, F_RESOURCE_ID, F_SOURCE_IP, F_USER_AGENT, F_ACTOR_TYPE,
	F_ACTOR_NAME, F_ACTOR_PRINCIPAL, F_ACTOR_PRINCIPAL_ID, F_ACTOR_EMAIL, F_ACTOR_VIA,
	F_ACTOR_ROLE, F_ACTOR_SESSION, F_ACTOR_ACCOUNT, F_ACTOR_INVOKED_BY, F__COUNT
};
static const char *const field_names[F__COUNT] = {
	"kind", "event", "event_source", "provider", "account", "project", "region",
	"resource_type", "address", "resource_id", "source_ip", "user_agent", "actor.type",
	"actor.name", "actor.principal", "actor.principal_id", "actor.email", "actor.via",
	"actor.role", "actor.session", "actor.account", "actor.invoked_by",
};

/* A literal from the file, typed once. */
struct rval {
	char *s;
	int is_null;
	int has_bool, b;
	int has_num;
	double num;
};

struct rcond {
	enum rsubj subj;
	enum rop op;
	char *path;              /* attribute / state path as written */
	char **seg;              /* path split at dots */
	size_t nseg;
	int path_glob;           /* attribute pattern with * or ? */
	enum rfield field;
	struct jpath *jp;        /* record: */
	struct rval *vals;       /* value: one, or the list of `in` */
	size_t nvals;
	struct rval from, to;
	int has_from, has_to, has_value;
};

struct rfilter {
	struct rcond *conds;
	size_t nconds;
	int skip;
	enum severity sev;
};

struct rtest {
	char *name;
	char *file;
	int line;
	struct finding *f;       /* the finding-like input */
	json_object *state;      /* state attributes, or NULL */
	json_object *record;     /* raw record, or NULL */
	char *principal_id;
	int want_match;
	int has_sev;
	enum severity want_sev;
};

struct rule {
	char *id, *name, *description, *runbook, *file;
	int line, col;
	char **types;
	size_t ntypes;
	int type_glob;           /* some type is a glob: checked per finding */
	struct rcond *conds;
	size_t nconds;
	enum severity sev;
	struct rfilter *filters;
	size_t nfilters;
	char **remediation;
	size_t nremediation;
	struct rtest *tests;
	size_t ntests;
	int disabled;
};

/* Exact resource type -> rule indexes (ascending). */
struct tbucket {
	char *type;
	size_t *idx;
	size_t n;
};

/* A state attribute some rule reads (for the state loader's keep filter). */
struct swant {
	size_t rule;
	char *attr;              /* top-level name */
};

struct rules {
	atomic_int refs;
	struct rule *v;
	size_t n, cap;
	struct tbucket *tab;     /* open addressing, tabcap a power of two */
	size_t tabcap;
	size_t *any;             /* rules with no types or a glob type */
	size_t nany;
	struct swant *wants;     /* top-level state attributes rules read */
	size_t nwants;
	int finished;
};

/* What a rule looks at. */
struct subject {
	const struct finding *f;
	const struct tf_instance *in;
	json_object *state;       /* when in is NULL (tests) */
	json_object *record;
	const char *principal_id;
};

/* ------------------------------------------------------------------------------------------ */
/* Loading */

static const char *const rule_keys[] = {
	"id", "name", "description", "resource_types", "conditions", "severity", "filters",
	"actions", "remediation", "runbook", "tests", "enabled",
};
static const char *const cond_keys[] = {
	"attribute", "state", "field", "record", "operator", "value", "from", "to",
};
static const char *const filter_keys[] = { "user_identity", "conditions", "action", "severity" };
static const char *const uid_keys[] = {
	"type", "name", "principal", "principal_id", "arn", "email", "via", "role", "session",
	"account", "invoked_by",
};
static const char *const test_keys[] = {
	"name", "kind", "resource_type", "address", "resource_id", "event", "event_source",
	"provider", "account", "project", "region", "source_ip", "user_agent", "actor", "changes",
	"state", "record", "expect",
};
static const char *const actor_keys[] = {
	"type", "name", "principal", "principal_id", "email", "via", "role", "session", "account",
	"invoked_by",
};
static const char *const change_keys[] = { "attribute", "old", "new", "change" };
static const char *const expect_keys[] = { "match", "severity" };

static int
name_index(const char *s, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static int
is_plain(const yaml_node_t *n)
{
	return ynode_is_scalar(n) && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* Absent, or YAML's null. */
static int
is_null_node(const yaml_node_t *n)
{
	return n == NULL || ynode_is_null(n);
}

/* A non-empty string scalar, or an error. */
static char *
get_string(struct ydoc *d, yaml_node_t *v, const char *what, char ***errs, size_t *nerrs)
{
	if (!ynode_is_scalar(v) || is_null_node(v)) {
		yerr_add(errs, nerrs, d, v, "%s must be a string, not %s", what,
		    is_null_node(v) ? "empty" : ynode_kind(v));
		return NULL;
	}
	return xstrdup(ynode_str(v));
}

static int
parse_bool_text(const char *s, int *b)
{
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0 ||
	    strcmp(s, "yes") == 0) {
		*b = 1;
		return 0;
	}
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0 ||
	    strcmp(s, "no") == 0) {
		*b = 0;
		return 0;
	}
	return -1;
}

static int
parse_num_text(const char *s, double *out)
{
	char *end;

	if (*s == '\0' || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	*out = strtod(s, &end);
	return *end == '\0' && errno == 0 ? 0 : -1;
}

/* A literal: scalar only. */
static int
rval_load(struct ydoc *d, yaml_node_t *n, const char *what, struct rval *v, char ***errs,
    size_t *nerrs)
{
	const char *s;

	memset(v, 0, sizeof *v);
	if (!ynode_is_scalar(n)) {
		yerr_add(errs, nerrs, d, n, "%s must be a scalar (string, number, true/false or "
		    "null), not %s", what, ynode_kind(n));
		return -1;
	}
	s = ynode_str(n);
	v->s = xstrdup(s);
	if (is_null_node(n))
		v->is_null = 1;
	else if (is_plain(n)) {
		v->has_bool = parse_bool_text(s, &v->b) == 0;
		v->has_num = parse_num_text(s, &v->num) == 0;
	}
	return 0;
}

static void
rval_clear(struct rval *v)
{
	free(v->s);
	v->s = NULL;
}

/* YAML -> JSON for test inputs: plain scalars are typed (null, bool, int, float). */
static json_object *
yaml_to_json(struct ydoc *d, yaml_node_t *n)
{
	json_object *o;
	yaml_node_t *k, *v;
	size_t i;
	const char *s;
	double num;
	int b;

	if (n == NULL || is_null_node(n))
		return NULL;
	if (ynode_is_seq(n)) {
		o = json_object_new_array();
		for (i = 0; i < yseq_len(n); i++)
			json_object_array_add(o, yaml_to_json(d, yseq_get(d, n, i)));
		return o;
	}
	if (ynode_is_map(n)) {
		o = json_object_new_object();
		for (i = 0; ymap_pair(d, n, i, &k, &v); i++)
			if (ynode_str(k) != NULL)
				json_object_object_add(o, ynode_str(k), yaml_to_json(d, v));
		return o;
	}
	s = ynode_str(n);
	if (is_plain(n)) {
		if (parse_bool_text(s, &b) == 0)
			return json_object_new_boolean(b);
		if (parse_num_text(s, &num) == 0) {
			char *end;
			long long ll = strtoll(s, &end, 10);

			if (*end == '\0')
				return json_object_new_int64(ll);
			return json_object_new_double(num);
		}
	}
	return json_object_new_string(s);
}

static void
split_path(struct rcond *c)
{
	const char *p = c->path, *dot;

	c->nseg = 0;
	for (;;) {
		dot = strchr(p, '.');
		c->seg = xreallocarray(c->seg, c->nseg + 1, sizeof *c->seg);
		c->seg[c->nseg++] = dot != NULL ? xstrndup(p, (size_t)(dot - p)) : xstrdup(p);
		if (dot == NULL)
			break;
		p = dot + 1;
	}
}

static void
cond_clear(struct rcond *c)
{
	size_t i;

	free(c->path);
	for (i = 0; i < c->nseg; i++)
		free(c->seg[i]);
	free(c->seg);
	jpath_free(c->jp);
	for (i = 0; i < c->nvals; i++)
		rval_clear(&c->vals[i]);
	free(c->vals);
	rval_clear(&c->from);
	rval_clear(&c->to);
	memset(c, 0, sizeof *c);
}

/* One condition map. 0, or -1 (errors added). */
static int
cond_load(struct ydoc *d, yaml_node_t *n, struct rcond *c, char ***errs, size_t *nerrs)
{
	size_t before = *nerrs, i;
	yaml_node_t *k, *v, *subj = NULL, *opn, *val;
	const char *s;
	int nsubj = 0, op;
	char *err = NULL;

	memset(c, 0, sizeof *c);
	if (!ynode_is_map(n)) {
		yerr_add(errs, nerrs, d, n, "a condition must be a mapping such as {attribute: x, "
		    "operator: changed}, not %s", ynode_kind(n));
		return -1;
	}
	ycheck_keys(errs, nerrs, d, n, "condition key", cond_keys, TF_ARRLEN(cond_keys));
	for (i = 0; ymap_pair(d, n, i, &k, &v); i++) {
		s = ynode_str(k);
		if (s == NULL || name_index(s, cond_keys, 4) < 0)
			continue;
		nsubj++;
		subj = v;
		c->subj = (enum rsubj)name_index(s, cond_keys, 4);
	}
	if (nsubj != 1) {
		yerr_add(errs, nerrs, d, n, "a condition needs exactly one of attribute, state, "
		    "field or record (it has %d)", nsubj);
		return -1;
	}
	if ((c->path = get_string(d, subj, cond_keys[c->subj], errs, nerrs)) == NULL)
		return -1;
	switch (c->subj) {
	case SUBJ_ATTR:
	case SUBJ_STATE:
		split_path(c);
		for (i = 0; i < c->nseg; i++)
			if (c->seg[i][0] == '\0')
				yerr_add(errs, nerrs, d, subj, "empty segment in path '%s'", c->path);
		c->path_glob = strpbrk(c->path, "*?[") != NULL;
		if (c->subj == SUBJ_STATE && c->path_glob)
			yerr_add(errs, nerrs, d, subj, "state paths cannot be globs ('%s')", c->path);
		break;
	case SUBJ_FIELD:
		if (name_index(c->path, field_names, F__COUNT) < 0) {
			yerr_unknown(errs, nerrs, d, subj, "field", c->path, field_names, F__COUNT);
			return -1;
		}
		c->field = (enum rfield)name_index(c->path, field_names, F__COUNT);
		break;
	case SUBJ_RECORD:
		if ((c->jp = jpath_compile(c->path, &err)) == NULL) {
			yerr_add(errs, nerrs, d, subj, "bad record path '%s': %s", c->path, err);
			free(err);
			return -1;
		}
		break;
	}
	if ((opn = ymap_get(d, n, "operator")) == NULL) {
		yerr_add(errs, nerrs, d, n, "condition on '%s' has no operator (one of: changed, "
		    "added, removed, equals, not_equals, contains, matches, in, cidr_open)", c->path);
		return -1;
	}
	s = ynode_str(opn);
	if (s == NULL || (op = name_index(s, op_names, OP__COUNT)) < 0) {
		if (s == NULL)
			yerr_add(errs, nerrs, d, opn, "operator must be a string, not %s",
			    ynode_kind(opn));
		else
			yerr_unknown(errs, nerrs, d, opn, "operator", s, op_names, OP__COUNT);
		return -1;
	}
	c->op = (enum rop)op;
	if ((c->op == OP_CHANGED || c->op == OP_ADDED || c->op == OP_REMOVED ||
	    c->op == OP_CIDR_OPEN) && c->subj != SUBJ_ATTR &&
	    !(c->subj == SUBJ_RECORD && c->op == OP_CIDR_OPEN)) {
		yerr_add(errs, nerrs, d, opn, "operator %s looks at what the event changed: use it "
		    "with attribute:, not %s:", op_names[c->op], cond_keys[c->subj]);
	}
	val = ymap_get(d, n, "value");
	if ((k = ymap_get(d, n, "from")) != NULL) {
		if (c->op != OP_CHANGED)
			yerr_add(errs, nerrs, d, k, "from: only goes with operator changed");
		else if (rval_load(d, k, "from", &c->from, errs, nerrs) == 0)
			c->has_from = 1;
	}
	if ((k = ymap_get(d, n, "to")) != NULL) {
		if (c->op != OP_CHANGED)
			yerr_add(errs, nerrs, d, k, "to: only goes with operator changed");
		else if (rval_load(d, k, "to", &c->to, errs, nerrs) == 0)
			c->has_to = 1;
	}
	switch (c->op) {
	case OP_CHANGED:
	case OP_CIDR_OPEN:
		if (val != NULL)
			yerr_add(errs, nerrs, d, val, "operator %s takes no value:%s", op_names[c->op],
			    c->op == OP_CHANGED ? " (use from: and to:)" : "");
		break;
	case OP_ADDED:
	case OP_REMOVED:
	case OP_EQUALS:
	case OP_NOT_EQUALS:
	case OP_CONTAINS:
	case OP_MATCHES:
		if (val == NULL) {
			if (c->op == OP_ADDED || c->op == OP_REMOVED)
				break;
			yerr_add(errs, nerrs, d, n, "operator %s needs a value:", op_names[c->op]);
			break;
		}
		if (ynode_is_seq(val) && c->op == OP_EQUALS) {
			/* a list literal: the value as a set */
		} else if (ynode_is_seq(val) || ynode_is_map(val)) {
			yerr_add(errs, nerrs, d, val, "value of %s must be a scalar, not %s%s",
			    op_names[c->op], ynode_kind(val),
			    ynode_is_seq(val) ? " (use operator in for a list)" : "");
			break;
		}
		/* FALLTHROUGH */
	case OP_IN:
		if (val == NULL) {
			yerr_add(errs, nerrs, d, n, "operator in needs a value: list");
			break;
		}
		if (c->op == OP_IN && !ynode_is_seq(val)) {
			yerr_add(errs, nerrs, d, val, "operator in needs a list value ([a, b]), not %s",
			    ynode_kind(val));
			break;
		}
		c->has_value = 1;
		if (ynode_is_seq(val)) {
			c->vals = xcalloc(yseq_len(val) + 1, sizeof *c->vals);
			for (i = 0; i < yseq_len(val); i++)
				if (rval_load(d, yseq_get(d, val, i), "a value list item",
				    &c->vals[c->nvals], errs, nerrs) == 0)
					c->nvals++;
		} else {
			c->vals = xcalloc(1, sizeof *c->vals);
			if (rval_load(d, val, "value", &c->vals[0], errs, nerrs) == 0)
				c->nvals = 1;
		}
		break;
	case OP__COUNT:
		break;
	}
	return *nerrs > before ? -1 : 0;
}

static int
conds_load(struct ydoc *d, yaml_node_t *n, struct rcond **out, size_t *nout, char ***errs,
    size_t *nerrs)
{
	size_t i, before = *nerrs;

	*out = NULL;
	*nout = 0;
	if (is_null_node(n))
		return 0;
	if (!ynode_is_seq(n)) {
		yerr_add(errs, nerrs, d, n, "conditions must be a list, not %s", ynode_kind(n));
		return -1;
	}
	*out = xcalloc(yseq_len(n) + 1, sizeof **out);
	for (i = 0; i < yseq_len(n); i++) {
		if (cond_load(d, yseq_get(d, n, i), &(*out)[*nout], errs, nerrs) == 0)
			(*nout)++;
		else
			cond_clear(&(*out)[*nout]);
	}
	return *nerrs > before ? -1 : 0;
}

static int
severity_load(struct ydoc *d, yaml_node_t *n, enum severity *out, char ***errs, size_t *nerrs)
{
	const char *s = ynode_str(n);

	if (s == NULL || severity_parse(s, out) != 0) {
		yerr_add(errs, nerrs, d, n, "bad severity '%s' (one of: critical, high, medium, "
		    "low, info)", s != NULL ? s : ynode_kind(n));
		return -1;
	}
	return 0;
}

/* user_identity: {type: X, principal_id: "AIDA*"} -> glob conditions on actor fields. */
static void
uid_load(struct ydoc *d, yaml_node_t *n, struct rfilter *fl, char ***errs, size_t *nerrs)
{
	static const enum rfield map[] = {
		F_ACTOR_TYPE, F_ACTOR_NAME, F_ACTOR_PRINCIPAL, F_ACTOR_PRINCIPAL_ID,
		F_ACTOR_PRINCIPAL, F_ACTOR_EMAIL, F_ACTOR_VIA, F_ACTOR_ROLE, F_ACTOR_SESSION,
		F_ACTOR_ACCOUNT, F_ACTOR_INVOKED_BY,
	};
	yaml_node_t *k, *v;
	size_t i;

	if (!ynode_is_map(n)) {
		yerr_add(errs, nerrs, d, n, "user_identity must be a mapping such as {type: "
		    "AssumedRole, principal_id: \"AROA*\"}, not %s", ynode_kind(n));
		return;
	}
	ycheck_keys(errs, nerrs, d, n, "user_identity key", uid_keys, TF_ARRLEN(uid_keys));
	for (i = 0; ymap_pair(d, n, i, &k, &v); i++) {
		int ix = name_index(ynode_str(k), uid_keys, TF_ARRLEN(uid_keys));
		struct rcond *c;

		if (ix < 0)
			continue;
		fl->conds = xreallocarray(fl->conds, fl->nconds + 1, sizeof *fl->conds);
		c = &fl->conds[fl->nconds];
		memset(c, 0, sizeof *c);
		c->subj = SUBJ_FIELD;
		c->field = map[ix];
		c->path = xstrdup(field_names[c->field]);
		c->op = OP_MATCHES;
		c->vals = xcalloc(1, sizeof *c->vals);
		if (rval_load(d, v, ynode_str(k), &c->vals[0], errs, nerrs) != 0) {
			cond_clear(c);
			continue;
		}
		c->nvals = 1;
		c->has_value = 1;
		fl->nconds++;
	}
}

static void
filter_load(struct ydoc *d, yaml_node_t *n, struct rfilter *fl, enum severity rule_sev,
    char ***errs, size_t *nerrs)
{
	yaml_node_t *a, *sv, *u, *cs;
	struct rcond *more = NULL;
	size_t nmore = 0, i;
	const char *s;

	memset(fl, 0, sizeof *fl);
	fl->sev = rule_sev;
	if (!ynode_is_map(n)) {
		yerr_add(errs, nerrs, d, n, "a filter must be a mapping with user_identity or "
		    "conditions and an action, not %s", ynode_kind(n));
		return;
	}
	ycheck_keys(errs, nerrs, d, n, "filter key", filter_keys, TF_ARRLEN(filter_keys));
	if ((u = ymap_get(d, n, "user_identity")) != NULL)
		uid_load(d, u, fl, errs, nerrs);
	if ((cs = ymap_get(d, n, "conditions")) != NULL &&
	    conds_load(d, cs, &more, &nmore, errs, nerrs) == 0) {
		fl->conds = xreallocarray(fl->conds, fl->nconds + nmore + 1, sizeof *fl->conds);
		for (i = 0; i < nmore; i++)
			fl->conds[fl->nconds++] = more[i];
		free(more);
		more = NULL;
	}
	if (more != NULL) {
		for (i = 0; i < nmore; i++)
			cond_clear(&more[i]);
		free(more);
	}
	if (u == NULL && cs == NULL)
		yerr_add(errs, nerrs, d, n, "a filter needs user_identity: or conditions: (what "
		    "it applies to)");
	a = ymap_get(d, n, "action");
	sv = ymap_get(d, n, "severity");
	s = ynode_str(a);
	if (a != NULL && s != NULL && strcmp(s, "skip") == 0) {
		fl->skip = 1;
		if (sv != NULL)
			yerr_add(errs, nerrs, d, sv, "a skip filter takes no severity");
	} else if (a != NULL && (s == NULL || strcmp(s, "set_severity") != 0)) {
		static const char *const acts[] = { "skip", "set_severity" };

		if (s == NULL)
			yerr_add(errs, nerrs, d, a, "action must be skip or set_severity, not %s",
			    ynode_kind(a));
		else
			yerr_unknown(errs, nerrs, d, a, "filter action", s, acts, 2);
	} else if (sv == NULL)
		yerr_add(errs, nerrs, d, n, "a filter needs action: skip or a severity: to set");
	else
		severity_load(d, sv, &fl->sev, errs, nerrs);
}

static void
filter_clear(struct rfilter *fl)
{
	size_t i;

	for (i = 0; i < fl->nconds; i++)
		cond_clear(&fl->conds[i]);
	free(fl->conds);
}

static const char *
str_or(const char *s, const char *def)
{
	return s != NULL ? s : def;
}

static char *
opt_str(struct ydoc *d, yaml_node_t *m, const char *key, char ***errs, size_t *nerrs)
{
	yaml_node_t *v = ymap_get(d, m, key);

	if (v == NULL || is_null_node(v))
		return NULL;
	if (!ynode_is_scalar(v)) {
		yerr_add(errs, nerrs, d, v, "%s must be a string, not %s", key, ynode_kind(v));
		return NULL;
	}
	return xstrdup(ynode_str(v));
}

static void
test_free(struct rtest *t)
{
	free(t->name);
	free(t->file);
	if (t->f != NULL)
		finding_free(t->f);
	json_object_put(t->state);
	json_object_put(t->record);
	free(t->principal_id);
}

static void
test_load(struct ydoc *d, yaml_node_t *n, const struct rule *r, struct rtest *t, char ***errs,
    size_t *nerrs)
{
	struct finding *f;
	yaml_node_t *v, *k, *e;
	const char *s;
	size_t i;
	int ix;

	memset(t, 0, sizeof *t);
	t->file = xstrdup(d->name);
	t->line = ynode_line(n);
	if (!ynode_is_map(n)) {
		yerr_add(errs, nerrs, d, n, "a test must be a mapping (a finding-like input and "
		    "expect:), not %s", ynode_kind(n));
		return;
	}
	ycheck_keys(errs, nerrs, d, n, "test key", test_keys, TF_ARRLEN(test_keys));
	t->f = f = xcalloc(1, sizeof *f);
	t->name = opt_str(d, n, "name", errs, nerrs);
	if (t->name == NULL)
		t->name = xasprintf("test at line %d", t->line);
	f->kind = FK_MODIFIED;
	if ((v = ymap_get(d, n, "kind")) != NULL) {
		s = ynode_str(v);
		for (ix = 0; ix < FK__COUNT; ix++)
			if (s != NULL && strcmp(s, finding_kind_name((enum finding_kind)ix)) == 0)
				break;
		if (ix == FK__COUNT) {
			static const char *const kinds[] = { "modified", "unmanaged", "deleted",
			    "freeze_violation" };

			yerr_unknown(errs, nerrs, d, v, "kind", str_or(s, "?"), kinds, 4);
		} else
			f->kind = (enum finding_kind)ix;
	}
	f->type = opt_str(d, n, "resource_type", errs, nerrs);
	for (i = 0; f->type == NULL && i < r->ntypes; i++)
		if (strpbrk(r->types[i], "*?[") == NULL)
			f->type = xstrdup(r->types[i]);
	f->address = opt_str(d, n, "address", errs, nerrs);
	if (f->address == NULL && f->kind != FK_UNMANAGED && f->type != NULL)
		f->address = xasprintf("%s.test", f->type);
	f->resource_id = opt_str(d, n, "resource_id", errs, nerrs);
	f->event_name = opt_str(d, n, "event", errs, nerrs);
	f->event_source = opt_str(d, n, "event_source", errs, nerrs);
	f->account = opt_str(d, n, "account", errs, nerrs);
	if (f->account == NULL)
		f->account = opt_str(d, n, "project", errs, nerrs);
	f->region = opt_str(d, n, "region", errs, nerrs);
	f->source_ip = opt_str(d, n, "source_ip", errs, nerrs);
	f->user_agent = opt_str(d, n, "user_agent", errs, nerrs);
	f->provider = f->type != NULL && strncmp(f->type, "google", 6) == 0 ? PROV_GCP : PROV_AWS;
	if ((v = ymap_get(d, n, "provider")) != NULL) {
		s = ynode_str(v);
		if (s != NULL && strcmp(s, "aws") == 0)
			f->provider = PROV_AWS;
		else if (s != NULL && strcmp(s, "gcp") == 0)
			f->provider = PROV_GCP;
		else
			yerr_add(errs, nerrs, d, v, "provider must be aws or gcp");
	}
	if ((v = ymap_get(d, n, "actor")) != NULL) {
		if (!ynode_is_map(v))
			yerr_add(errs, nerrs, d, v, "actor must be a mapping, not %s", ynode_kind(v));
		ycheck_keys(errs, nerrs, d, v, "actor key", actor_keys, TF_ARRLEN(actor_keys));
		f->actor.type = opt_str(d, v, "type", errs, nerrs);
		f->actor.name = opt_str(d, v, "name", errs, nerrs);
		f->actor.principal = opt_str(d, v, "principal", errs, nerrs);
		f->actor.role = opt_str(d, v, "role", errs, nerrs);
		f->actor.session = opt_str(d, v, "session", errs, nerrs);
		f->actor.account = opt_str(d, v, "account", errs, nerrs);
		f->actor.invoked_by = opt_str(d, v, "invoked_by", errs, nerrs);
		t->principal_id = opt_str(d, v, "principal_id", errs, nerrs);
		if ((e = ymap_get(d, v, "email")) != NULL && ynode_str(e) != NULL) {
			if (f->actor.principal == NULL)
				f->actor.principal = xstrdup(ynode_str(e));
			else if (f->actor.name == NULL)
				f->actor.name = xstrdup(ynode_str(e));
		}
		if ((e = ymap_get(d, v, "via")) != NULL) {
			s = ynode_str(e);
			for (ix = VIA_UNKNOWN; ix <= VIA_SERVICE; ix++)
				if (s != NULL && strcmp(s, tf_via_name((enum tf_via)ix)) == 0)
					break;
			if (ix > VIA_SERVICE) {
				static const char *const vias[] = { "console", "cli", "sdk",
				    "terraform", "service", "unknown" };

				yerr_unknown(errs, nerrs, d, e, "via", str_or(s, "?"), vias, 6);
			} else
				f->actor.via = (enum tf_via)ix;
		}
	}
	if ((v = ymap_get(d, n, "changes")) != NULL) {
		if (!ynode_is_seq(v))
			yerr_add(errs, nerrs, d, v, "changes must be a list, not %s", ynode_kind(v));
		for (i = 0; i < yseq_len(v); i++) {
			yaml_node_t *c = yseq_get(d, v, i), *a;
			json_object *ov, *nv;
			enum change_kind ck;

			if (!ynode_is_map(c)) {
				yerr_add(errs, nerrs, d, c, "a change must be a mapping {attribute, old, "
				    "new}, not %s", ynode_kind(c));
				continue;
			}
			ycheck_keys(errs, nerrs, d, c, "change key", change_keys, TF_ARRLEN(change_keys));
			if ((a = ymap_get(d, c, "attribute")) == NULL || ynode_str(a) == NULL) {
				yerr_add(errs, nerrs, d, c, "a change needs attribute:");
				continue;
			}
			ov = yaml_to_json(d, ymap_get(d, c, "old"));
			nv = yaml_to_json(d, ymap_get(d, c, "new"));
			ck = ov == NULL && nv != NULL ? CH_ADDED : nv == NULL && ov != NULL ?
			    CH_REMOVED : CH_MODIFIED;
			if ((k = ymap_get(d, c, "change")) != NULL) {
				static const char *const cks[] = { "modified", "added", "removed" };

				ix = name_index(ynode_str(k), cks, 3);
				if (ix < 0)
					yerr_unknown(errs, nerrs, d, k, "change", str_or(ynode_str(k), "?"),
					    cks, 3);
				else
					ck = (enum change_kind)ix;
			}
			finding_add_change(f, ynode_str(a), ov, nv, ck, 0);
		}
	}
	if ((v = ymap_get(d, n, "state")) != NULL) {
		if (!ynode_is_map(v))
			yerr_add(errs, nerrs, d, v, "state must be a mapping of attributes, not %s",
			    ynode_kind(v));
		t->state = yaml_to_json(d, v);
	}
	if ((v = ymap_get(d, n, "record")) != NULL) {
		if (!ynode_is_map(v))
			yerr_add(errs, nerrs, d, v, "record must be a mapping, not %s", ynode_kind(v));
		t->record = yaml_to_json(d, v);
	}
	if ((v = ymap_get(d, n, "expect")) == NULL) {
		yerr_add(errs, nerrs, d, n, "a test needs expect: {match: true|false, severity: S}");
		return;
	}
	if (!ynode_is_map(v)) {
		yerr_add(errs, nerrs, d, v, "expect must be a mapping {match, severity}, not %s",
		    ynode_kind(v));
		return;
	}
	ycheck_keys(errs, nerrs, d, v, "expect key", expect_keys, TF_ARRLEN(expect_keys));
	if ((e = ymap_get(d, v, "match")) == NULL || parse_bool_text(str_or(ynode_str(e), ""),
	    &t->want_match) != 0)
		yerr_add(errs, nerrs, d, e != NULL ? e : v, "expect needs match: true or false");
	if ((e = ymap_get(d, v, "severity")) != NULL) {
		if (severity_load(d, e, &t->want_sev, errs, nerrs) == 0)
			t->has_sev = 1;
		if (!t->want_match)
			yerr_add(errs, nerrs, d, e, "severity: is only expected of a match");
	}
}

static void
strs_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
rule_clear(struct rule *r)
{
	size_t i;

	free(r->id);
	free(r->name);
	free(r->description);
	free(r->runbook);
	free(r->file);
	strs_free(r->types, r->ntypes);
	for (i = 0; i < r->nconds; i++)
		cond_clear(&r->conds[i]);
	free(r->conds);
	for (i = 0; i < r->nfilters; i++)
		filter_clear(&r->filters[i]);
	free(r->filters);
	strs_free(r->remediation, r->nremediation);
	for (i = 0; i < r->ntests; i++)
		test_free(&r->tests[i]);
	free(r->tests);
}

/* A list of strings (a single string is a list of one). */
static void
strlist_load(struct ydoc *d, yaml_node_t *n, const char *what, char ***out, size_t *nout,
    char ***errs, size_t *nerrs)
{
	size_t i;

	if (is_null_node(n))
		return;
	if (ynode_is_scalar(n)) {
		*out = xcalloc(1, sizeof **out);
		(*out)[(*nout)++] = xstrdup(ynode_str(n));
		return;
	}
	if (!ynode_is_seq(n)) {
		yerr_add(errs, nerrs, d, n, "%s must be a list of strings, not %s", what,
		    ynode_kind(n));
		return;
	}
	*out = xcalloc(yseq_len(n) + 1, sizeof **out);
	for (i = 0; i < yseq_len(n); i++) {
		yaml_node_t *it = yseq_get(d, n, i);

		if (!ynode_is_scalar(it) || is_null_node(it))
			yerr_add(errs, nerrs, d, it, "%s: item %zu must be a string, not %s", what,
			    i + 1, is_null_node(it) ? "empty" : ynode_kind(it));
		else
			(*out)[(*nout)++] = xstrdup(ynode_str(it));
	}
}

static void
actions_check(struct ydoc *d, yaml_node_t *n, char ***errs, size_t *nerrs)
{
	size_t i;

	if (is_null_node(n))
		return;
	if (!ynode_is_seq(n)) {
		yerr_add(errs, nerrs, d, n, "actions must be a list such as [{type: alert, "
		    "channels: [slack]}], not %s", ynode_kind(n));
		return;
	}
	for (i = 0; i < yseq_len(n); i++) {
		yaml_node_t *a = yseq_get(d, n, i), *t;

		if (!ynode_is_map(a) || (t = ymap_get(d, a, "type")) == NULL ||
		    ynode_str(t) == NULL)
			yerr_add(errs, nerrs, d, a, "an action must be a mapping with a type:");
	}
}

static struct rule *
rule_find(struct rules *rs, const char *id)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (strcmp(rs->v[i].id, id) == 0)
			return &rs->v[i];
	return NULL;
}

static void
rule_load(struct rules *rs, struct ydoc *d, yaml_node_t *n, char ***errs, size_t *nerrs)
{
	struct rule r;
	yaml_node_t *v;
	size_t before = *nerrs, i;
	int b;

	memset(&r, 0, sizeof r);
	if (!ynode_is_map(n)) {
		yerr_add(errs, nerrs, d, n, "a rule must be a mapping (id, name, resource_types, "
		    "conditions, severity, ...), not %s", ynode_kind(n));
		return;
	}
	r.file = xstrdup(d->name);
	r.line = ynode_line(n);
	r.col = ynode_col(n);
	ycheck_keys(errs, nerrs, d, n, "rule key", rule_keys, TF_ARRLEN(rule_keys));
	if ((v = ymap_get(d, n, "id")) == NULL)
		yerr_add(errs, nerrs, d, n, "a rule needs an id:");
	else if ((r.id = get_string(d, v, "id", errs, nerrs)) != NULL) {
		struct rule *o = rule_find(rs, r.id);

		if (o != NULL)
			yerr_add(errs, nerrs, d, v, "duplicate rule id '%s' (first defined at "
			    "%s:%d:%d)", r.id, o->file, o->line, o->col);
	}
	r.name = opt_str(d, n, "name", errs, nerrs);
	r.description = opt_str(d, n, "description", errs, nerrs);
	r.runbook = opt_str(d, n, "runbook", errs, nerrs);
	if (r.runbook != NULL && *r.runbook == '\0') {
		free(r.runbook);
		r.runbook = NULL;
	}
	if ((v = ymap_get(d, n, "resource_types")) != NULL)
		strlist_load(d, v, "resource_types", &r.types, &r.ntypes, errs, nerrs);
	for (i = 0; i < r.ntypes; i++)
		if (strpbrk(r.types[i], "*?[") != NULL)
			r.type_glob = 1;
	if ((v = ymap_get(d, n, "severity")) == NULL)
		yerr_add(errs, nerrs, d, n, "rule %s needs a severity: (critical, high, medium, "
		    "low or info)", str_or(r.id, "?"));
	else
		severity_load(d, v, &r.sev, errs, nerrs);
	if ((v = ymap_get(d, n, "conditions")) != NULL)
		conds_load(d, v, &r.conds, &r.nconds, errs, nerrs);
	if ((v = ymap_get(d, n, "filters")) != NULL && !is_null_node(v)) {
		if (!ynode_is_seq(v))
			yerr_add(errs, nerrs, d, v, "filters must be a list, not %s", ynode_kind(v));
		r.filters = xcalloc(yseq_len(v) + 1, sizeof *r.filters);
		for (i = 0; i < yseq_len(v); i++)
			filter_load(d, yseq_get(d, v, i), &r.filters[r.nfilters++], r.sev, errs,
			    nerrs);
	}
	if ((v = ymap_get(d, n, "actions")) != NULL)
		actions_check(d, v, errs, nerrs);
	if ((v = ymap_get(d, n, "remediation")) != NULL)
		strlist_load(d, v, "remediation", &r.remediation, &r.nremediation, errs, nerrs);
	if ((v = ymap_get(d, n, "enabled")) != NULL) {
		if (yscalar_bool(ynode_str(v), &b) != 0)
			yerr_add(errs, nerrs, d, v, "enabled must be true or false");
		else
			r.disabled = !b;
	}
	if ((v = ymap_get(d, n, "tests")) != NULL && !is_null_node(v)) {
		if (!ynode_is_seq(v))
			yerr_add(errs, nerrs, d, v, "tests must be a list, not %s", ynode_kind(v));
		r.tests = xcalloc(yseq_len(v) + 1, sizeof *r.tests);
		for (i = 0; i < yseq_len(v); i++)
			test_load(d, yseq_get(d, v, i), &r, &r.tests[r.ntests++], errs, nerrs);
	}
	if (*nerrs > before || r.id == NULL) {
		rule_clear(&r);
		return;
	}
	if (r.name == NULL)
		r.name = xstrdup(r.id);
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? rs->cap * 2 : 16;
		rs->v = xreallocarray(rs->v, rs->cap, sizeof *rs->v);
	}
	rs->v[rs->n++] = r;
}

struct rules *
rules_new(void)
{
	struct rules *r = xcalloc(1, sizeof *r);

	atomic_init(&r->refs, 1);
	return r;
}

int
rules_load_mem(struct rules *r, const char *name, const char *buf, size_t len, char ***errs,
    size_t *nerrs)
{
	struct ydoc d;
	yaml_node_t *root, *list, *k, *v;
	char *err = NULL;
	size_t before = *nerrs, i;

	if (ydoc_load_mem(&d, name, buf, len, &err) != 0) {
		*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
		(*errs)[(*nerrs)++] = err;
		ydoc_free(&d);
		return -1;
	}
	root = ydoc_root(&d);
	if (root == NULL || !ynode_is_map(root)) {
		yerr_add(errs, nerrs, &d, root, "a rule file is a mapping with a rules: list");
		ydoc_free(&d);
		return -1;
	}
	for (i = 0; ymap_pair(&d, root, i, &k, &v); i++) {
		const char *s = ynode_str(k);
		static const char *const top[] = { "rules" };

		if (s == NULL || strcmp(s, "rules") != 0)
			yerr_unknown(errs, nerrs, &d, k, "top-level key", str_or(s, "?"), top, 1);
	}
	list = ymap_get(&d, root, "rules");
	if (list == NULL)
		yerr_add(errs, nerrs, &d, root, "a rule file needs a top-level rules: list");
	else if (!is_null_node(list) && !ynode_is_seq(list))
		yerr_add(errs, nerrs, &d, list, "rules must be a list, not %s", ynode_kind(list));
	else
		for (i = 0; i < yseq_len(list); i++)
			rule_load(r, &d, yseq_get(&d, list, i), errs, nerrs);
	ydoc_free(&d);
	return *nerrs > before ? -1 : 0;
}

int
rules_load_file(struct rules *r, const char *path, char ***errs, size_t *nerrs)
{
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	int rc;

	if (tf_read_file(path, TF_FILE_DEFINITION, &buf, &len, &err) != 0) {
		*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
		(*errs)[(*nerrs)++] = err;
		return -1;
	}
	rc = rules_load_mem(r, path, buf, len, errs, nerrs);
	free(buf);
	return rc;
}

static int
yaml_name(const char *n)
{
	return tf_str_has_suffix(n, ".yaml") || tf_str_has_suffix(n, ".yml");
}

int
rules_load_path(struct rules *r, const char *path, char ***errs, size_t *nerrs)
{
	struct stat st;
	struct dirent **ents;
	int n, i, rc = 0;

	if (stat(path, &st) != 0) {
		*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
		(*errs)[(*nerrs)++] = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return rules_load_file(r, path, errs, nerrs);
	if ((n = scandir(path, &ents, NULL, alphasort)) < 0) {
		*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
		(*errs)[(*nerrs)++] = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (yaml_name(ents[i]->d_name)) {
			char *p = xasprintf("%s/%s", path, ents[i]->d_name);
			struct stat fst;

			if (stat(p, &fst) == 0 && S_ISREG(fst.st_mode) &&
			    rules_load_file(r, p, errs, nerrs) != 0)
				rc = -1;
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

size_t
rules_disable(struct rules *r, const char *glob)
{
	size_t i, n = 0;

	for (i = 0; i < r->n; i++) {
		if (tf_glob(glob, r->v[i].id)) {
			r->v[i].disabled = 1;
			n++;
		}
	}
	return n;
}

static struct tbucket *
tab_slot(const struct rules *r, const char *type)
{
	size_t i;

	if (r->tabcap == 0)
		return NULL;
	for (i = tf_hash_str(type) & (r->tabcap - 1); r->tab[i].type != NULL;
	    i = (i + 1) & (r->tabcap - 1))
		if (strcmp(r->tab[i].type, type) == 0)
			return &r->tab[i];
	return &r->tab[i];
}

static int type_match(const struct rule *ru, const char *type);

/* Conditions that read state: state: ones, and attribute: value tests (they fall back to the
 * state's value when the event did not change the attribute). */
static void
add_wants(struct rules *r, size_t ri, const struct rcond *c, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!(c[i].subj == SUBJ_STATE || (c[i].subj == SUBJ_ATTR && !c[i].path_glob &&
		    c[i].op > OP_REMOVED && c[i].op != OP_CIDR_OPEN)))
			continue;
		for (j = 0; j < r->nwants; j++)
			if (r->wants[j].rule == ri && strcmp(r->wants[j].attr, c[i].seg[0]) == 0)
				break;
		if (j < r->nwants)
			continue;
		r->wants = xreallocarray(r->wants, r->nwants + 1, sizeof *r->wants);
		r->wants[r->nwants].rule = ri;
		r->wants[r->nwants++].attr = xstrdup(c[i].seg[0]);
	}
}

void
rules_finish(struct rules *r)
{
	size_t i, j, k, ntypes = 0;

	if (r->finished)
		return;
	r->finished = 1;
	for (i = 0; i < r->n; i++)
		ntypes += r->v[i].ntypes;
	for (r->tabcap = 16; r->tabcap < ntypes * 2; r->tabcap *= 2)
		;
	r->tab = xcalloc(r->tabcap, sizeof *r->tab);
	for (i = 0; i < r->n; i++) {
		const struct rule *ru = &r->v[i];

		if (ru->disabled)
			continue;
		add_wants(r, i, ru->conds, ru->nconds);
		for (j = 0; j < ru->nfilters; j++)
			add_wants(r, i, ru->filters[j].conds, ru->filters[j].nconds);
		if (ru->ntypes == 0 || ru->type_glob) {
			r->any = xreallocarray(r->any, r->nany + 1, sizeof *r->any);
			r->any[r->nany++] = i;
			continue;
		}
		for (j = 0; j < ru->ntypes; j++) {
			struct tbucket *b = tab_slot(r, ru->types[j]);

			if (b->type == NULL)
				b->type = xstrdup(ru->types[j]);
			for (k = 0; k < b->n; k++)
				if (b->idx[k] == i)
					break;
			if (k < b->n)
				continue;
			b->idx = xreallocarray(b->idx, b->n + 1, sizeof *b->idx);
			b->idx[b->n++] = i;
		}
	}
}

struct rules *
rules_ref(const struct rules *r)
{
	struct rules *m = (struct rules *)r;   /* only the count changes */

	if (m != NULL)
		atomic_fetch_add(&m->refs, 1);
	return m;
}

void
rules_unref(struct rules *r)
{
	size_t i;

	if (r == NULL || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	for (i = 0; i < r->n; i++)
		rule_clear(&r->v[i]);
	free(r->v);
	for (i = 0; i < r->tabcap; i++) {
		free(r->tab[i].type);
		free(r->tab[i].idx);
	}
	free(r->tab);
	free(r->any);
	for (i = 0; i < r->nwants; i++)
		free(r->wants[i].attr);
	free(r->wants);
	free(r);
}

size_t
rules_count(const struct rules *r)
{
	size_t i, n = 0;

	for (i = 0; r != NULL && i < r->n; i++)
		n += !r->v[i].disabled;
	return n;
}

size_t
rules_test_count(const struct rules *r)
{
	size_t i, n = 0;

	for (i = 0; r != NULL && i < r->n; i++)
		n += r->v[i].ntests;
	return n;
}

int
rules_sniff(const char *buf, size_t len)
{
	struct ydoc d;
	char *err = NULL;
	int yes;

	if (ydoc_load_mem(&d, "-", buf, len, &err) != 0) {
		free(err);
		ydoc_free(&d);
		return 0;
	}
	yes = ynode_is_map(ydoc_root(&d)) && ymap_get(&d, ydoc_root(&d), "rules") != NULL;
	ydoc_free(&d);
	return yes;
}

int
rules_load_configured(const struct conf *c, struct rules **out, char ***errs, size_t *nerrs)
{
	struct rules *r = rules_new();
	size_t before = *nerrs, i;

	if (c->rules_dirs.n == 0) {
		char *dir = xasprintf("%s/rules", tf_datadir());
		char *missing = tf_datadir_missing("rules");

		if (missing != NULL) {
			*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
			(*errs)[(*nerrs)++] = missing;
		} else
			rules_load_path(r, dir, errs, nerrs);
		free(dir);
	}
	for (i = 0; i < c->rules_dirs.n; i++)
		rules_load_path(r, c->rules_dirs.v[i], errs, nerrs);
	for (i = 0; i < c->rules_disabled.n; i++) {
		if (rules_disable(r, c->rules_disabled.v[i]) == 0) {
			*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
			(*errs)[(*nerrs)++] = xasprintf("%s: rules_disabled: '%s' matches no rule id",
			    str_or(c->path, "config"), c->rules_disabled.v[i]);
		}
	}
	if (*nerrs > before) {
		rules_unref(r);
		*out = NULL;
		return -1;
	}
	rules_finish(r);
	*out = r;
	return 0;
}

struct rules *
rules_load_configured_report(const struct conf *c, FILE *fp)
{
	struct rules *r = NULL;
	char **errs = NULL;
	size_t nerrs = 0, i;

	if (rules_load_configured(c, &r, &errs, &nerrs) != 0) {
		for (i = 0; i < nerrs; i++)
			fprintf(fp, "tfdrift: %s\n", errs[i]);
		fprintf(fp, "tfdrift: %zu error%s in the rules; run `tfdrift rules check`\n",
		    nerrs, nerrs == 1 ? "" : "s");
	}
	yerrs_free(errs, nerrs);
	return r;
}

/* ------------------------------------------------------------------------------------------ */
/* Evaluation: no allocation until a rule matches. */

/* A value under test: a string (fields, JSON strings) or another JSON value. */
struct vref {
	const char *s;
	json_object *j;      /* non-string JSON, when s is NULL */
	int present;
};

static struct vref
vref_of(json_object *j)
{
	struct vref v = { NULL, NULL, 0 };

	if (j == NULL || json_object_is_type(j, json_type_null))
		return v;
	v.present = 1;
	if (json_object_is_type(j, json_type_string))
		v.s = json_object_get_string(j);
	else
		v.j = j;
	return v;
}

static struct vref
vref_str(const char *s)
{
	struct vref v = { s, NULL, s != NULL };

	return v;
}

/* Scalar equality with a typed literal. */
static int
scalar_eq(struct vref x, const struct rval *l)
{
	if (!x.present)
		return l->is_null;
	if (l->is_null)
		return 0;
	if (x.s != NULL)
		return strcmp(x.s, l->s) == 0;
	switch (json_object_get_type(x.j)) {
	case json_type_boolean:
		return l->has_bool && (json_object_get_boolean(x.j) != 0) == (l->b != 0);
	case json_type_int:
	case json_type_double:
		return l->has_num && json_object_get_double(x.j) == l->num;
	default:
		return 0;
	}
}

static int
val_equals(struct vref x, const struct rcond *c)
{
	size_t i, j, n;

	if (c->nvals == 0)
		return 0;
	if (x.j != NULL && json_object_is_type(x.j, json_type_array)) {
		n = json_object_array_length(x.j);
		if (c->nvals == 1 && !(c->vals[0].is_null))
			return n == 1 && scalar_eq(vref_of(json_object_array_get_idx(x.j, 0)),
			    &c->vals[0]);
		/* a list literal: the same members */
		for (i = 0; i < n; i++) {
			for (j = 0; j < c->nvals; j++)
				if (scalar_eq(vref_of(json_object_array_get_idx(x.j, i)), &c->vals[j]))
					break;
			if (j == c->nvals)
				return 0;
		}
		for (j = 0; j < c->nvals; j++) {
			for (i = 0; i < n; i++)
				if (scalar_eq(vref_of(json_object_array_get_idx(x.j, i)), &c->vals[j]))
					break;
			if (i == n)
				return 0;
		}
		return 1;
	}
	return scalar_eq(x, &c->vals[0]);
}

/* Text of a scalar for globs (numbers and booleans into buf). */
static const char *
scalar_text(struct vref x, char *buf, size_t len)
{
	if (x.s != NULL)
		return x.s;
	if (x.j == NULL)
		return NULL;
	switch (json_object_get_type(x.j)) {
	case json_type_boolean:
		return json_object_get_boolean(x.j) ? "true" : "false";
	case json_type_int:
		snprintf(buf, len, "%lld", (long long)json_object_get_int64(x.j));
		return buf;
	case json_type_double:
		snprintf(buf, len, "%.17g", json_object_get_double(x.j));
		return buf;
	default:
		return NULL;
	}
}

/* Deep: any string leaf (or key) of a container equals the literal. */
static int
deep_contains(json_object *j, const struct rval *l, int depth)
{
	size_t i, n;

	if (j == NULL || depth > 32)
		return 0;
	if (json_object_is_type(j, json_type_array)) {
		n = json_object_array_length(j);
		for (i = 0; i < n; i++)
			if (deep_contains(json_object_array_get_idx(j, i), l, depth + 1))
				return 1;
		return 0;
	}
	if (json_object_is_type(j, json_type_object)) {
		json_object_object_foreach(j, k, v) {
			if (strcmp(k, l->s) == 0 || deep_contains(v, l, depth + 1))
				return 1;
		}
		return 0;
	}
	return scalar_eq(vref_of(j), l);
}

static int
val_contains(struct vref x, const struct rval *l)
{
	if (!x.present)
		return 0;
	if (x.s != NULL)
		return strstr(x.s, l->s) != NULL;
	return deep_contains(x.j, l, 0);
}

static int
val_matches(struct vref x, const struct rval *l)
{
	char buf[64];
	const char *s;
	size_t i, n;

	if (!x.present)
		return 0;
	if (x.j != NULL && json_object_is_type(x.j, json_type_array)) {
		n = json_object_array_length(x.j);
		for (i = 0; i < n; i++)
			if (val_matches(vref_of(json_object_array_get_idx(x.j, i)), l))
				return 1;
		return 0;
	}
	s = scalar_text(x, buf, sizeof buf);
	return s != NULL && tf_glob(l->s, s);
}

static int
val_in(struct vref x, const struct rcond *c)
{
	size_t i, j, n;

	if (!x.present)
		return 0;
	if (x.j != NULL && json_object_is_type(x.j, json_type_array)) {
		n = json_object_array_length(x.j);
		for (i = 0; i < n; i++)
			for (j = 0; j < c->nvals; j++)
				if (scalar_eq(vref_of(json_object_array_get_idx(x.j, i)), &c->vals[j]))
					return 1;
		return 0;
	}
	for (j = 0; j < c->nvals; j++)
		if (scalar_eq(x, &c->vals[j]))
			return 1;
	return 0;
}

/* Does a range or rule string open to everyone: its last word is <address>/0 (0.0.0.0/0,
 * ::/0), as in "tcp 22-22 0.0.0.0/0" (sg_rules) or a GCP source range. */
static int
str_cidr_open(const char *s)
{
	const char *w = strrchr(s, ' '), *slash;
	char addr[64];
	unsigned char bin[16];
	size_t n;

	w = w != NULL ? w + 1 : s;
	if ((slash = strchr(w, '/')) == NULL || strcmp(slash, "/0") != 0)
		return 0;
	n = (size_t)(slash - w);
	if (n == 0 || n >= sizeof addr)
		return 0;
	memcpy(addr, w, n);
	addr[n] = '\0';
	return inet_pton(AF_INET, addr, bin) == 1 || inet_pton(AF_INET6, addr, bin) == 1;
}

static int
json_has_str(json_object *arr, const char *s)
{
	size_t i, n;

	if (arr == NULL)
		return 0;
	if (json_object_is_type(arr, json_type_string))
		return strcmp(json_object_get_string(arr), s) == 0;
	if (!json_object_is_type(arr, json_type_array))
		return 0;
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(arr, i);

		if (json_object_is_type(e, json_type_string) &&
		    strcmp(json_object_get_string(e), s) == 0)
			return 1;
	}
	return 0;
}

/* The new value opens a range the old one did not have. */
static int
opens(json_object *old, json_object *nw)
{
	size_t i, n;

	if (nw == NULL)
		return 0;
	if (json_object_is_type(nw, json_type_string)) {
		const char *s = json_object_get_string(nw);

		return str_cidr_open(s) && !json_has_str(old, s);
	}
	if (!json_object_is_type(nw, json_type_array))
		return 0;
	n = json_object_array_length(nw);
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(nw, i);

		if (json_object_is_type(e, json_type_string) &&
		    str_cidr_open(json_object_get_string(e)) &&
		    !json_has_str(old, json_object_get_string(e)))
			return 1;
	}
	return 0;
}

/* Walk segments [from, nseg) into a JSON tree (object keys, array indexes). */
static json_object *
walk(json_object *j, char *const *seg, size_t from, size_t nseg)
{
	size_t i;

	for (i = from; j != NULL && i < nseg; i++) {
		if (json_object_is_type(j, json_type_object)) {
			if (!json_object_object_get_ex(j, seg[i], &j))
				return NULL;
		} else if (json_object_is_type(j, json_type_array)) {
			char *end;
			unsigned long ix = strtoul(seg[i], &end, 10);

			if (*end != '\0' || seg[i][0] == '\0' || ix >= json_object_array_length(j))
				return NULL;
			j = json_object_array_get_idx(j, ix);
		} else
			return NULL;
	}
	return j;
}

static json_object *
state_value(const struct subject *sj, const struct rcond *c)
{
	json_object *root = sj->in != NULL ? tfstate_attrs(sj->in) : sj->state;

	return walk(root, c->seg, 0, c->nseg);
}

/* How a change relates to the condition's path: 1 the same attribute or an ancestor (the
 * values are dug into: *skip segments consumed), 2 a descendant changed, 0 unrelated. */
static int
change_rel(const struct rcond *c, const char *attr, size_t *skip)
{
	size_t al = strlen(attr), pl = strlen(c->path), i, dots = 0;

	if (c->path_glob)
		return tf_glob(c->path, attr) ? (*skip = c->nseg, 1) : 0;
	if (al == pl && memcmp(attr, c->path, al) == 0) {
		*skip = c->nseg;
		return 1;
	}
	if (al < pl && memcmp(attr, c->path, al) == 0 && c->path[al] == '.') {
		for (i = 0; i < al; i++)
			dots += attr[i] == '.';
		*skip = dots + 1;
		return 1;
	}
	if (pl < al && memcmp(attr, c->path, pl) == 0 && attr[pl] == '.')
		return 2;
	return 0;
}

/* Members of a not in b (arrays), or a itself when it is present and b is not. */
static int
gained(json_object *a, json_object *b, const struct rcond *c)
{
	size_t i, j, n, m;

	if (a == NULL || json_object_is_type(a, json_type_null))
		return 0;
	if (json_object_is_type(a, json_type_array)) {
		n = json_object_array_length(a);
		m = b != NULL && json_object_is_type(b, json_type_array) ?
		    json_object_array_length(b) : 0;
		for (i = 0; i < n; i++) {
			json_object *e = json_object_array_get_idx(a, i);
			int held = 0;

			for (j = 0; j < m && !held; j++) {
				json_object *o = json_object_array_get_idx(b, j);

				if (json_object_is_type(e, json_type_string) &&
				    json_object_is_type(o, json_type_string)) {
					held = strcmp(json_object_get_string(e),
					    json_object_get_string(o)) == 0;
				} else if (json_object_equal(e, o))
					held = 1;
			}
			if (held)
				continue;
			if (!c->has_value)
				return 1;
			if (val_matches(vref_of(e), &c->vals[0]) || scalar_eq(vref_of(e), &c->vals[0]))
				return 1;
		}
		return 0;
	}
	if (b != NULL && !json_object_is_type(b, json_type_null))
		return 0;
	return !c->has_value || scalar_eq(vref_of(a), &c->vals[0]) ||
	    val_matches(vref_of(a), &c->vals[0]);
}

static int
cond_attr(const struct subject *sj, const struct rcond *c)
{
	const struct finding *f = sj->f;
	size_t i, skip;
	int seen = 0;

	for (i = 0; i < f->nchanges; i++) {
		const struct change *ch = &f->changes[i];
		json_object *ov, *nv;
		int rel = change_rel(c, ch->attribute, &skip);

		if (rel == 0)
			continue;
		if (rel == 2) {
			/* a part of the attribute changed: enough for changed without from/to */
			if (c->op == OP_CHANGED && !c->has_from && !c->has_to)
				return 1;
			continue;
		}
		seen = 1;
		ov = walk(ch->old_val, c->seg, skip, c->nseg);
		nv = walk(ch->new_val, c->seg, skip, c->nseg);
		switch (c->op) {
		case OP_CHANGED:
			if (skip < c->nseg && ch->old_val != NULL && ch->new_val != NULL &&
			    ov != NULL && nv != NULL && json_object_equal(ov, nv))
				break;   /* the map changed, not this key */
			if (skip < c->nseg && ov == NULL && nv == NULL)
				break;
			if (ch->unknown_new && c->has_to)
				break;
			if ((!c->has_from || scalar_eq(vref_of(ov), &c->from)) &&
			    (!c->has_to || scalar_eq(vref_of(nv), &c->to)))
				return 1;
			break;
		case OP_ADDED:
			if (gained(nv, ch->change == CH_ADDED && skip == c->nseg ? NULL : ov, c))
				return 1;
			break;
		case OP_REMOVED:
			if (gained(ov, ch->change == CH_REMOVED && skip == c->nseg ? NULL : nv, c))
				return 1;
			break;
		case OP_CIDR_OPEN:
			if (opens(ch->change == CH_ADDED ? NULL : ov, nv))
				return 1;
			break;
		case OP_EQUALS:
			return val_equals(vref_of(nv), c);
		case OP_NOT_EQUALS:
			return !val_equals(vref_of(nv), c);
		case OP_CONTAINS:
			return val_contains(vref_of(nv), &c->vals[0]);
		case OP_MATCHES:
			return val_matches(vref_of(nv), &c->vals[0]);
		case OP_IN:
			return val_in(vref_of(nv), c);
		case OP__COUNT:
			break;
		}
	}
	if (seen || c->op <= OP_REMOVED || c->op == OP_CIDR_OPEN)
		return 0;
	/* Not changed by this event: the value it keeps, from state. */
	{
		struct vref x = vref_of(c->path_glob ? NULL : state_value(sj, c));

		switch (c->op) {
		case OP_EQUALS: return val_equals(x, c);
		case OP_NOT_EQUALS: return !val_equals(x, c);
		case OP_CONTAINS: return val_contains(x, &c->vals[0]);
		case OP_MATCHES: return val_matches(x, &c->vals[0]);
		case OP_IN: return val_in(x, c);
		default: return 0;
		}
	}
}

static const char *
actor_email(const struct actor *a)
{
	if (a->principal != NULL && strchr(a->principal, '@') != NULL)
		return a->principal;
	if (a->name != NULL && strchr(a->name, '@') != NULL)
		return a->name;
	return NULL;
}

static const char *
principal_id(const struct subject *sj)
{
	json_object *ui, *v;

	if (sj->principal_id != NULL)
		return sj->principal_id;
	if (sj->record != NULL && json_object_object_get_ex(sj->record, "userIdentity", &ui) &&
	    json_object_object_get_ex(ui, "principalId", &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return sj->f->actor.principal;
}

static const char *
field_value(const struct subject *sj, enum rfield fl)
{
	const struct finding *f = sj->f;

	switch (fl) {
	case F_KIND: return finding_kind_name(f->kind);
	case F_EVENT: return f->event_name;
	case F_EVENT_SOURCE: return f->event_source;
	case F_PROVIDER: return tf_provider_name(f->provider);
	case F_ACCOUNT: case F_PROJECT: return f->account;
	case F_REGION: return f->region;
	case F_RESOURCE_TYPE: return f->type;
	case F_ADDRESS: return f->address;
	case F_RESOURCE_ID: return f->resource_id;
	case F_SOURCE_IP: return f->source_ip;
	case F_USER_AGENT: return f->user_agent;
	case F_ACTOR_TYPE: return f->actor.type;
	case F_ACTOR_NAME: return f->actor.name;
	case F_ACTOR_PRINCIPAL: return f->actor.principal;
	case F_ACTOR_PRINCIPAL_ID: return principal_id(sj);
	case F_ACTOR_EMAIL: return actor_email(&f->actor);
	case F_ACTOR_VIA: return tf_via_name(f->actor.via);
	case F_ACTOR_ROLE: return f->actor.role;
	case F_ACTOR_SESSION: return f->actor.session;
	case F_ACTOR_ACCOUNT: return f->actor.account;
	case F_ACTOR_INVOKED_BY: return f->actor.invoked_by;
	case F__COUNT: break;
	}
	return NULL;
}

static int
cond_value(struct vref x, const struct rcond *c)
{
	switch (c->op) {
	case OP_EQUALS: return val_equals(x, c);
	case OP_NOT_EQUALS: return !val_equals(x, c);
	case OP_CONTAINS: return val_contains(x, &c->vals[0]);
	case OP_MATCHES: return val_matches(x, &c->vals[0]);
	case OP_IN: return val_in(x, c);
	case OP_CIDR_OPEN:
		if (x.s != NULL)
			return str_cidr_open(x.s);
		return x.j != NULL && opens(NULL, x.j);
	default: return 0;
	}
}

static int
cond_eval(const struct subject *sj, const struct rcond *c)
{
	json_object *vals[MAX_RECORD_VALS];
	size_t n, i;

	switch (c->subj) {
	case SUBJ_ATTR:
		return cond_attr(sj, c);
	case SUBJ_STATE:
		return cond_value(vref_of(state_value(sj, c)), c);
	case SUBJ_FIELD:
		return cond_value(vref_str(field_value(sj, c->field)), c);
	case SUBJ_RECORD:
		if (sj->record == NULL)
			return c->op == OP_NOT_EQUALS;
		if (!jpath_is_multi(c->jp))
			return cond_value(vref_of(jpath_get(c->jp, sj->record)), c);
		n = jpath_all(c->jp, sj->record, vals, MAX_RECORD_VALS);
		if (n > MAX_RECORD_VALS)
			n = MAX_RECORD_VALS;
		if (c->op == OP_NOT_EQUALS) {
			for (i = 0; i < n; i++)
				if (!cond_value(vref_of(vals[i]), c))
					return 0;
			return 1;
		}
		for (i = 0; i < n; i++)
			if (cond_value(vref_of(vals[i]), c))
				return 1;
		return 0;
	}
	return 0;
}

static int
conds_all(const struct subject *sj, const struct rcond *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cond_eval(sj, &c[i]))
			return 0;
	return 1;
}

static int
type_match(const struct rule *ru, const char *type)
{
	size_t i;

	if (ru->ntypes == 0)
		return 1;
	if (type == NULL)
		return 0;
	for (i = 0; i < ru->ntypes; i++)
		if (tf_glob(ru->types[i], type))
			return 1;
	return 0;
}

/* One rule against a subject: 1 with *sev when it matches (after its filters). */
static int
rule_eval(const struct rule *ru, const struct subject *sj, enum severity *sev)
{
	size_t i;

	if (!type_match(ru, sj->f->type) || !conds_all(sj, ru->conds, ru->nconds))
		return 0;
	*sev = ru->sev;
	for (i = 0; i < ru->nfilters; i++) {
		const struct rfilter *fl = &ru->filters[i];

		if (!conds_all(sj, fl->conds, fl->nconds))
			continue;
		if (fl->skip)
			return 0;
		*sev = fl->sev;
		break;
	}
	return 1;
}

static void
add_match(struct finding *f, const struct rule *ru, enum severity sev)
{
	struct finding_rule *fr;
	size_t i;

	f->rules = xreallocarray(f->rules, f->nrules + 1, sizeof *f->rules);
	fr = &f->rules[f->nrules++];
	memset(fr, 0, sizeof *fr);
	fr->id = xstrdup(ru->id);
	fr->name = xstrdup(ru->name);
	fr->severity = sev;
	fr->runbook = xstrdup(ru->runbook);
	if (ru->nremediation > 0) {
		fr->remediation = xcalloc(ru->nremediation, sizeof *fr->remediation);
		for (i = 0; i < ru->nremediation; i++)
			fr->remediation[i] = xstrdup(ru->remediation[i]);
		fr->nremediation = ru->nremediation;
	}
}

size_t
rules_apply(const struct rules *r, struct finding *f, const struct tf_instance *in,
    const struct event *ev)
{
	const struct tbucket *b = NULL;
	struct subject sj;
	size_t i = 0, j = 0, nmatch = 0;
	enum severity best = SEV_INFO, sev;

	if (r == NULL || r->n == 0)
		return 0;
	if (f->type != NULL && r->tabcap > 0) {
		b = tab_slot(r, f->type);
		if (b->type == NULL)
			b = NULL;
	}
	if (b == NULL && r->nany == 0)
		return 0;
	sj.f = f;
	sj.in = in;
	sj.state = NULL;
	sj.record = ev != NULL ? ev->record : NULL;
	sj.principal_id = NULL;
	/* The type's rules and the any-type rules, merged in file order. */
	while ((b != NULL && i < b->n) || j < r->nany) {
		size_t k;

		if (b != NULL && i < b->n && (j >= r->nany || b->idx[i] < r->any[j]))
			k = b->idx[i++];
		else
			k = r->any[j++];
		if (!rule_eval(&r->v[k], &sj, &sev))
			continue;
		add_match(f, &r->v[k], sev);
		if (nmatch == 0 || sev > best)
			best = sev;
		nmatch++;
	}
	if (nmatch > 0)
		f->severity = best;
	return nmatch;
}

int
rules_wants_state_attr(const struct rules *r, const char *type, const char *attr)
{
	size_t i;

	for (i = 0; r != NULL && i < r->nwants; i++)
		if (strcmp(r->wants[i].attr, attr) == 0 && type_match(&r->v[r->wants[i].rule], type))
			return 1;
	return 0;
}

size_t
rules_run_tests(const struct rules *r, FILE *fp, size_t *npass)
{
	size_t i, j, nfail = 0;

	*npass = 0;
	for (i = 0; r != NULL && i < r->n; i++) {
		const struct rule *ru = &r->v[i];

		for (j = 0; j < ru->ntests; j++) {
			const struct rtest *t = &ru->tests[j];
			struct subject sj;
			enum severity sev = ru->sev;
			int m, ok;

			sj.f = t->f;
			sj.in = NULL;
			sj.state = t->state;
			sj.record = t->record;
			sj.principal_id = t->principal_id;
			m = rule_eval(ru, &sj, &sev);
			ok = m == t->want_match && (!m || !t->has_sev || sev == t->want_sev);
			if (ok) {
				(*npass)++;
				fprintf(fp, "ok   %s: %s\n", ru->id, t->name);
				continue;
			}
			nfail++;
			fprintf(fp, "FAIL %s: %s (%s:%d): expected %s%s%s, got %s%s%s\n", ru->id,
			    t->name, t->file, t->line, t->want_match ? "a match" : "no match",
			    t->want_match && t->has_sev ? " at " : "",
			    t->want_match && t->has_sev ? severity_name(t->want_sev) : "",
			    m ? "a match at " : "no match", m ? severity_name(sev) : "", "");
		}
	}
	return nfail;
}

int
rules_keep_attr(void *ctx, const char *type, const char *attr)
{
	const struct rules_keep *k = ctx;

	return eventmap_keep_attr(k->set, type, attr) ||
	    (k->rules != NULL && rules_wants_state_attr(k->rules, type, attr));
}
