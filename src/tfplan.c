/* tfplan: the resource_drift of `terraform show -json PLAN` (JSON output format 1.x, as
 * Terraform documents it under "JSON Output Format": format_version, resource_drift[] with
 * address, module_address, mode, type, name, index, deposed, provider_name and change
 * {actions, before, after, before_sensitive, after_sensitive}). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "tfplan.h"
#include "util.h"
#include "value.h"

#define DIFF_MAX_DEPTH 32       /* deeper values are compared whole */
#define SENS_MAX_DEPTH 64       /* sensitivity markers nested deeper mark their parent */

static const char *action_names[] = { "update", "delete", "create", "other" };

const char *
tfplan_action_name(enum tfplan_action a)
{
	return (unsigned)a < TF_ARRLEN(action_names) ? action_names[a] : "other";
}

static const char *
str_member(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *
member(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* ---- sensitivity markers -> the state's sensitive_attributes (cty paths) ---- */

static void
sens_collect(json_object *marker, json_object *steps, json_object *out, int depth)
{
	size_t i, n;

	if (marker == NULL)
		return;
	if (json_object_is_type(marker, json_type_boolean)) {
		if (json_object_get_boolean(marker))
			json_object_array_add(out, json_object_get(steps));
		return;
	}
	if (depth >= SENS_MAX_DEPTH) {
		/* Too deep to name: the parent is marked instead (the safe side). */
		json_object_array_add(out, json_object_get(steps));
		return;
	}
	if (json_object_is_type(marker, json_type_object)) {
		json_object_object_foreach(marker, k, v) {
			json_object *s = json_object_new_array(), *st = json_object_new_object();

			for (i = 0; i < json_object_array_length(steps); i++)
				json_object_array_add(s, json_object_get(json_object_array_get_idx(steps, i)));
			json_object_object_add(st, "type", json_object_new_string("get_attr"));
			json_object_object_add(st, "value", json_object_new_string(k));
			json_object_array_add(s, st);
			sens_collect(v, s, out, depth + 1);
			json_object_put(s);
		}
	} else if (json_object_is_type(marker, json_type_array)) {
		n = json_object_array_length(marker);
		for (i = 0; i < n; i++) {
			json_object *s = json_object_new_array(), *st = json_object_new_object();
			size_t j;

			for (j = 0; j < json_object_array_length(steps); j++)
				json_object_array_add(s, json_object_get(json_object_array_get_idx(steps, j)));
			json_object_object_add(st, "type", json_object_new_string("index"));
			json_object_object_add(st, "value", json_object_new_int64((int64_t)i));
			json_object_array_add(s, st);
			sens_collect(json_object_array_get_idx(marker, i), s, out, depth + 1);
			json_object_put(s);
		}
	}
}

/* ---- the changed attributes ---- */

static void
change_add(struct tfplan_resource *r, const char *path, json_object *b, json_object *a)
{
	struct tfplan_change *c;

	r->changes = xreallocarray(r->changes, r->nchanges + 1, sizeof *r->changes);
	c = &r->changes[r->nchanges++];
	memset(c, 0, sizeof *c);
	c->path = path != NULL ? xstrdup(path) : NULL;
	c->before = json_object_is_type(b, json_type_null) ? NULL : json_object_get(b);
	c->after = json_object_is_type(a, json_type_null) ? NULL : json_object_get(a);
}

static int
all_objects(json_object *arr)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(arr, i), json_type_object))
			return 0;
	return 1;
}

static int
cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * Walk before and after together, the way event maps name attributes: objects (maps and
 * nested blocks) by key, lists of blocks of the same length by index (metadata_options.0.
 * http_tokens); anything else (scalars, lists of scalars, lists that grew or shrank) is one
 * change at its path, compared as val_equal compares values.
 */
static void
diff(struct tfplan_resource *r, struct strbuf *path, json_object *b, json_object *a, int depth)
{
	size_t mark = path->len, i, n, nk = 0;

	if (val_equal(json_object_is_type(b, json_type_null) ? NULL : b,
	    json_object_is_type(a, json_type_null) ? NULL : a))
		return;
	if (depth < DIFF_MAX_DEPTH && json_object_is_type(b, json_type_object) &&
	    json_object_is_type(a, json_type_object)) {
		const char **keys = xcalloc((size_t)json_object_object_length(b) +
		    (size_t)json_object_object_length(a) + 1, sizeof *keys);

		json_object_object_foreach(b, kb, vb) {
			(void)vb;
			keys[nk++] = kb;
		}
		json_object_object_foreach(a, ka, va) {
			(void)va;
			if (!json_object_object_get_ex(b, ka, NULL))
				keys[nk++] = ka;
		}
		qsort(keys, nk, sizeof *keys, cmp_cstr);
		for (i = 0; i < nk; i++) {
			if (mark > 0)
				sb_addc(path, '.');
			sb_adds(path, keys[i]);
			diff(r, path, member(b, keys[i]), member(a, keys[i]), depth + 1);
			path->len = mark;
			path->buf[mark] = '\0';
		}
		free(keys);
		return;
	}
	if (depth < DIFF_MAX_DEPTH && depth > 0 && json_object_is_type(b, json_type_array) &&
	    json_object_is_type(a, json_type_array) &&
	    (n = json_object_array_length(b)) == json_object_array_length(a) && n > 0 &&
	    all_objects(b) && all_objects(a)) {
		for (i = 0; i < n; i++) {
			sb_addf(path, ".%zu", i);
			diff(r, path, json_object_array_get_idx(b, i), json_object_array_get_idx(a, i),
			    depth + 1);
			path->len = mark;
			path->buf[mark] = '\0';
		}
		return;
	}
	/* Below the top an attribute has a path, even one named "" (fuzz_tfplan: regress-empty-key);
	 * no path means the whole resource. */
	change_add(r, depth > 0 ? path->buf : NULL, b, a);
}

/* ---- parsing ---- */

static void
resource_clear(struct tfplan_resource *r)
{
	size_t i;

	free(r->address);
	free(r->type);
	free(r->name);
	free(r->provider_name);
	free(r->deposed);
	json_object_put(r->before);
	json_object_put(r->after);
	for (i = 0; i < r->nchanges; i++) {
		free(r->changes[i].path);
		json_object_put(r->changes[i].before);
		json_object_put(r->changes[i].after);
	}
	free(r->changes);
}

void
tfplan_free(struct tf_plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nres; i++)
		resource_clear(&p->res[i]);
	free(p->res);
	free(p->source);
	free(p->format_version);
	free(p->terraform_version);
	tfstate_free(p->before_state);
	tfstate_free(p->after_state);
	free(p);
}

struct tf_state *
tfplan_take_before_state(struct tf_plan *p)
{
	struct tf_state *st = p->before_state;

	p->before_state = NULL;
	return st;
}

static enum tfplan_action
actions_of(json_object *acts)
{
	size_t i, n = json_object_array_length(acts);
	int del = 0, cre = 0, upd = 0;

	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(acts, i));

		if (strcmp(s, "delete") == 0)
			del = 1;
		else if (strcmp(s, "create") == 0)
			cre = 1;
		else if (strcmp(s, "update") == 0)
			upd = 1;
	}
	if (del && !cre)
		return TPA_DELETE;
	if (cre && !del)
		return TPA_CREATE;
	if (upd)
		return TPA_UPDATE;
	return TPA_OTHER;
}

/* The state resource block (one instance) of an entry's object `obj`, or NULL. */
static json_object *
state_block(json_object *e, json_object *ch, json_object *obj)
{
	json_object *blk, *inst, *insts, *sens, *steps, *v;
	const char *s;
	char *prov;

	if (!json_object_is_type(obj, json_type_object))
		return NULL;
	blk = json_object_new_object();
	if ((s = str_member(e, "module_address")) != NULL && *s != '\0')
		json_object_object_add(blk, "module", json_object_new_string(s));
	json_object_object_add(blk, "mode", json_object_new_string("managed"));
	json_object_object_add(blk, "type", json_object_new_string(str_member(e, "type")));
	json_object_object_add(blk, "name", json_object_new_string(str_member(e, "name")));
	s = str_member(e, "provider_name");
	prov = xasprintf("provider[\"%s\"]", s != NULL ? s : "unknown");
	json_object_object_add(blk, "provider", json_object_new_string(prov));
	free(prov);
	inst = json_object_new_object();
	if ((v = member(e, "index")) != NULL && !json_object_is_type(v, json_type_null))
		json_object_object_add(inst, "index_key", json_object_get(v));
	if ((s = str_member(e, "deposed")) != NULL)
		json_object_object_add(inst, "deposed", json_object_new_string(s));
	json_object_object_add(inst, "schema_version", json_object_new_int(0));
	json_object_object_add(inst, "attributes", json_object_get(obj));
	sens = json_object_new_array();
	steps = json_object_new_array();
	sens_collect(member(ch, "before_sensitive"), steps, sens, 0);
	sens_collect(member(ch, "after_sensitive"), steps, sens, 0);
	json_object_put(steps);
	json_object_object_add(inst, "sensitive_attributes", sens);
	insts = json_object_new_array();
	json_object_array_add(insts, inst);
	json_object_object_add(blk, "instances", insts);
	return blk;
}

static int
is_ident(const char *s)
{
	return s != NULL && *s != '\0' && strpbrk(s, "[]\"\n") == NULL;
}

/* Check one resource_drift entry; -1 with *err naming it. */
static int
check_entry(const char *src, size_t i, json_object *e, char **err)
{
	json_object *ch, *acts, *v;
	size_t j;

	if (!json_object_is_type(e, json_type_object))
		return tf_err(err, "%s: resource_drift[%zu]: expected an object", src, i);
	if (str_member(e, "address") == NULL)
		return tf_err(err, "%s: resource_drift[%zu]: no \"address\" string", src, i);
	if (!is_ident(str_member(e, "type")) || !is_ident(str_member(e, "name")))
		return tf_err(err, "%s: resource_drift[%zu] (%s): no \"type\" or \"name\"", src, i,
		    str_member(e, "address"));
	if ((v = member(e, "index")) != NULL && !json_object_is_type(v, json_type_null) &&
	    !json_object_is_type(v, json_type_int) && !json_object_is_type(v, json_type_string))
		return tf_err(err, "%s: resource_drift[%zu].index: expected a number or a string", src,
		    i);
	if ((v = member(e, "module_address")) != NULL && !json_object_is_type(v, json_type_null) &&
	    !json_object_is_type(v, json_type_string))
		return tf_err(err, "%s: resource_drift[%zu].module_address: expected a string", src, i);
	if (!json_object_object_get_ex(e, "change", &ch) || !json_object_is_type(ch, json_type_object))
		return tf_err(err, "%s: resource_drift[%zu] (%s): no \"change\" object", src, i,
		    str_member(e, "address"));
	if (!json_object_object_get_ex(ch, "actions", &acts) ||
	    !json_object_is_type(acts, json_type_array))
		return tf_err(err, "%s: resource_drift[%zu].change.actions: expected an array", src, i);
	for (j = 0; j < json_object_array_length(acts); j++)
		if (!json_object_is_type(json_object_array_get_idx(acts, j), json_type_string))
			return tf_err(err, "%s: resource_drift[%zu].change.actions[%zu]: expected a "
			    "string", src, i, j);
	for (j = 0; j < 2; j++) {
		const char *k = j == 0 ? "before" : "after";

		if ((v = member(ch, k)) != NULL && !json_object_is_type(v, json_type_null) &&
		    !json_object_is_type(v, json_type_object))
			return tf_err(err, "%s: resource_drift[%zu].change.%s: expected an object or "
			    "null", src, i, k);
	}
	return 0;
}

/* Is this document something else than a plan? A message saying what it is, or NULL. */
static char *
not_a_plan(const char *src, json_object *root)
{
	const char *fv;

	if (!json_object_is_type(root, json_type_object))
		return xasprintf("%s: expected a JSON object (terraform show -json PLANFILE)", src);
	if (member(root, "version") != NULL && member(root, "resources") != NULL &&
	    member(root, "format_version") == NULL)
		return xasprintf("%s: a Terraform state file, not a plan: run terraform plan "
		    "-refresh-only -out=plan.tfplan, then terraform show -json plan.tfplan", src);
	if ((fv = str_member(root, "format_version")) == NULL)
		return xasprintf("%s: no format_version: not the output of terraform show -json "
		    "PLANFILE", src);
	if (strncmp(fv, "1.", 2) != 0 && strcmp(fv, "1") != 0)
		return xasprintf("%s: format_version %.20s is not supported (this tfdrift reads "
		    "Terraform's JSON output format 1.x)", src, fv);
	if (member(root, "values") != NULL && member(root, "planned_values") == NULL &&
	    member(root, "resource_changes") == NULL && member(root, "resource_drift") == NULL)
		return xasprintf("%s: terraform show -json of a state, not of a plan: run terraform "
		    "plan -refresh-only -out=plan.tfplan, then terraform show -json plan.tfplan", src);
	return NULL;
}

/* Parse the synthesized state document; instances then found by address. */
static int
make_state(const char *src, const char *what, json_object *resources, struct tf_state **out,
    char **err)
{
	json_object *doc = json_object_new_object();
	char *name = xasprintf("%s (%s)", src, what), *why = NULL;
	const char *text;
	int rc;

	json_object_object_add(doc, "version", json_object_new_int(4));
	json_object_object_add(doc, "serial", json_object_new_int(0));
	json_object_object_add(doc, "lineage", json_object_new_string(""));
	json_object_object_add(doc, "resources", json_object_get(resources));
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	rc = tfstate_parse(text, strlen(text), name, out, &why);
	if (rc == 0) {
		free((*out)->source);
		(*out)->source = xstrdup(src);
	} else {
		tf_err(err, "%s: resource_drift: %s", src, why);
	}
	free(why);
	free(name);
	json_object_put(doc);
	return rc;
}

static const struct tf_instance *
find_inst(const struct tf_state *st, const struct tfplan_resource *r)
{
	size_t i;

	for (i = 0; st != NULL && i < st->ninst; i++) {
		const struct tf_instance *in = &st->inst[i];

		if (strcmp(in->address, r->address) == 0 &&
		    (in->deposed == NULL) == (r->deposed == NULL) &&
		    (in->deposed == NULL || strcmp(in->deposed, r->deposed) == 0))
			return in;
	}
	return NULL;
}

int
tfplan_parse(const char *buf, size_t len, const char *source, struct tf_plan **out, char **err)
{
	json_object *root, *drift, *bres = NULL, *ares = NULL;
	struct tf_plan *p;
	char *why;
	size_t i, n;

	*out = NULL;
	if (len == 0)
		return tf_err(err, "%s: empty file: expected the output of terraform show -json "
		    "PLANFILE", source);
	if ((root = tfstate_parse_json(buf, len, source, err)) == NULL)
		return -1;
	if ((why = not_a_plan(source, root)) != NULL) {
		json_object_put(root);
		tf_err(err, "%s", why);
		free(why);
		return -1;
	}
	drift = member(root, "resource_drift");
	if (drift != NULL && !json_object_is_type(drift, json_type_null) &&
	    !json_object_is_type(drift, json_type_array)) {
		json_object_put(root);
		return tf_err(err, "%s: resource_drift: expected an array", source);
	}
	n = json_object_is_type(drift, json_type_array) ? json_object_array_length(drift) : 0;
	for (i = 0; i < n; i++)
		if (check_entry(source, i, json_object_array_get_idx(drift, i), err) != 0) {
			json_object_put(root);
			return -1;
		}
	p = xcalloc(1, sizeof *p);
	p->source = text_utf8_dup(source);
	p->format_version = xstrdup(str_member(root, "format_version"));
	p->terraform_version = xstrdup(str_member(root, "terraform_version"));
	if (str_member(root, "timestamp") == NULL ||
	    tf_parse_time(str_member(root, "timestamp"), &p->timestamp_ms) != 0)
		p->timestamp_ms = 0;
	p->has_drift = json_object_is_type(drift, json_type_array);
	p->res = xcalloc(n + 1, sizeof *p->res);
	bres = json_object_new_array();
	ares = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(drift, i), *ch = member(e, "change"), *blk;
		struct tfplan_resource *r;
		const char *mode = str_member(e, "mode");
		struct strbuf path;

		if (mode != NULL && strcmp(mode, "managed") != 0) {
			p->nskipped++;
			continue;
		}
		r = &p->res[p->nres++];
		r->address = text_utf8_dup(str_member(e, "address"));
		r->type = xstrdup(str_member(e, "type"));
		r->name = xstrdup(str_member(e, "name"));
		r->provider_name = text_utf8_dup(str_member(e, "provider_name"));
		r->deposed = xstrdup(str_member(e, "deposed"));
		r->action = actions_of(member(ch, "actions"));
		r->before = json_object_get(member(ch, "before"));
		r->after = json_object_get(member(ch, "after"));
		if (json_object_is_type(r->before, json_type_null)) {
			json_object_put(r->before);
			r->before = NULL;
		}
		if (json_object_is_type(r->after, json_type_null)) {
			json_object_put(r->after);
			r->after = NULL;
		}
		if ((blk = state_block(e, ch, r->before != NULL ? r->before : r->after)) != NULL)
			json_object_array_add(bres, blk);
		if ((blk = state_block(e, ch, r->after)) != NULL)
			json_object_array_add(ares, blk);
		if (r->action == TPA_DELETE || r->action == TPA_CREATE || r->before == NULL ||
		    r->after == NULL) {
			/* The whole object came or went: its id stands for it. */
			change_add(r, NULL, member(r->before, "id"), member(r->after, "id"));
			continue;
		}
		sb_init(&path);
		diff(r, &path, r->before, r->after, 0);
		sb_free(&path);
		if (r->nchanges == 0) {
			/* Only what Terraform does not show as a change (sensitivity, unknowns). */
			resource_clear(r);
			memset(r, 0, sizeof *r);
			p->nres--;
			p->nunchanged++;
		}
	}
	json_object_put(root);
	if (make_state(source, "before", bres, &p->before_state, err) != 0 ||
	    make_state(source, "after", ares, &p->after_state, err) != 0) {
		json_object_put(bres);
		json_object_put(ares);
		tfplan_free(p);
		return -1;
	}
	json_object_put(bres);
	json_object_put(ares);
	for (i = 0; i < p->nres; i++) {
		struct tfplan_resource *r = &p->res[i];
		size_t k;

		r->before_inst = find_inst(p->before_state, r);
		r->after_inst = find_inst(p->after_state, r);
		for (k = 0; k < r->nchanges; k++) {
			struct tfplan_change *c = &r->changes[k];

			const char *at = c->path != NULL ? c->path : "id";

			c->sensitive = (r->before_inst != NULL &&
			    tfstate_is_sensitive(r->before_inst, at)) ||
			    (r->after_inst != NULL && tfstate_is_sensitive(r->after_inst, at));
		}
	}
	*out = p;
	return 0;
}

int
tfplan_load_file(const char *path, struct tf_plan **out, char **err)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if (tf_read_file(path, TF_FILE_STATE, &buf, &len, err) != 0)
		return -1;
	rc = tfplan_parse(buf, len, path, out, err);
	free(buf);
	return rc;
}
