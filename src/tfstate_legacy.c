/* tfstate_legacy: state formats v1, v2 and v3 (Terraform < 0.12), read the way Terraform's
 * statefile/version3_upgrade.go upgrades them (see tfstate.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tfstate_int.h"
#include "util.h"

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
	const char *id = tfs_jstr(obj, "id"), *aid;

	json_object_object_get_ex(obj, "attributes", &attrs);
	in->attrs = tfs_flat_expand(attrs);
	aid = tfs_jstr(in->attrs, "id");
	if (id != NULL && *id != '\0' && (aid == NULL || *aid == '\0'))
		json_object_object_add(in->attrs, "id", json_object_new_string(id));
	if (json_object_object_get_ex(obj, "tainted", &t) && json_object_get_boolean(t))
		in->tainted = 1;
	tfs_set_deps(in, deps);
	v3_fix_deps(in);
	tfs_finish_inst(p, in);
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
	type = tfs_jstr(b, "type");
	json_object_object_get_ex(b, "config", &cfg);
	/* Only locations, never the rest of the config: it can hold credentials. */
	if (type != NULL && strcmp(type, "local") == 0 && tfs_jstr(cfg, "path") != NULL)
		where = xasprintf(" (%s)", tfs_jstr(cfg, "path"));
	else if (type != NULL && strcmp(type, "s3") == 0 && tfs_jstr(cfg, "bucket") && tfs_jstr(cfg, "key"))
		where = xasprintf(" (s3://%s/%s)", tfs_jstr(cfg, "bucket"), tfs_jstr(cfg, "key"));
	else if (type != NULL && strcmp(type, "gcs") == 0 && tfs_jstr(cfg, "bucket"))
		where = xasprintf(" (gs://%s/%s)", tfs_jstr(cfg, "bucket"),
		    tfs_jstr(cfg, "prefix") ? tfs_jstr(cfg, "prefix") : "");
	r = tfs_perr(p, err, "this is a Terraform backend configuration file "
	    "(.terraform/terraform.tfstate, backend \"%s\"), not a state: point tfdrift at the "
	    "real state%s", type ? type : "?", where ? where : "");
	free(where);
	return r;
}

int
tfs_parse_v3(struct pctx *p, json_object *root, char **err)
{
	json_object *mods, *mo, *path, *res, *prim, *dep, *deps;
	size_t mi, nm, i, np, nd;
	struct strbuf mod;
	int rc = 0;

	if (!json_object_object_get_ex(root, "modules", &mods))
		mods = NULL;
	if (mods != NULL && !json_object_is_type(mods, json_type_array))
		return tfs_perr(p, err, "\"modules\" is not an array");
	if ((json_object_object_get_ex(root, "backend", NULL) ||
	    json_object_object_get_ex(root, "remote", NULL)) && v3_count_resources(mods) == 0)
		return backend_pointer_err(p, root, err);
	nm = mods ? json_object_array_length(mods) : 0;
	sb_init(&mod);
	for (mi = 0; mi < nm && rc == 0; mi++) {
		mo = json_object_array_get_idx(mods, mi);
		if (!json_object_is_type(mo, json_type_object)) {
			rc = tfs_perr(p, err, "modules[%zu] is not an object", mi);
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
				rc = tfs_perr(p, err, "modules[%zu]: module path does not start with "
				    "\"root\"", mi);
				break;
			}
			for (i = 1; i < np; i++) {
				json_object *s = json_object_array_get_idx(path, i);

				if (!json_object_is_type(s, json_type_string) ||
				    json_object_get_string_len(s) == 0) {
					rc = tfs_perr(p, err, "modules[%zu]: invalid module path", mi);
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
			rc = tfs_perr(p, err, "modules[%zu]: \"resources\" is not an object", mi);
			break;
		}
		json_object_object_foreach(res, key, ro) {
			int data;
			char *type, *name;
			enum keykind kk;
			long long ki;
			struct pinst *pi;

			if (v3_key(key, &data, &type, &name, &kk, &ki) != 0) {
				rc = tfs_perr(p, err, "modules[%zu]: invalid resource key \"%s\"", mi, key);
				break;
			}
			if (!json_object_is_type(ro, json_type_object)) {
				rc = tfs_perr(p, err, "modules[%zu]: resource \"%s\" is not an object",
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
				pi = tfs_new_pinst(p, mi, mod.buf, type, name, kk, ki, NULL);
				v3_object(p, pi, prim, deps);
			}
			for (i = 0; i < nd; i++) {
				json_object *d = json_object_array_get_idx(dep, i);

				if (!json_object_is_type(d, json_type_object))
					continue;
				pi = tfs_new_pinst(p, mi, mod.buf, type, name, kk, ki, NULL);
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
