/* coverage: what the event maps watch, per service (see coverage.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "coverage.h"
#include "util.h"

int
cov_format_parse(const char *s, enum cov_format *f)
{
	if (strcmp(s, "text") == 0)
		*f = COV_TEXT;
	else if (strcmp(s, "json") == 0)
		*f = COV_JSON;
	else if (strcmp(s, "tsv") == 0)
		*f = COV_TSV;
	else
		return -1;
	return 0;
}

static const char *
str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

static json_object *
arr_of(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* The member of array a whose `key` is val, or NULL. */
static json_object *
find_by(json_object *a, const char *key, const char *val)
{
	size_t i, n = json_object_array_length(a);

	for (i = 0; i < n; i++) {
		json_object *o = json_object_array_get_idx(a, i);

		if (strcmp(str_of(o, key), val) == 0)
			return o;
	}
	return NULL;
}

static int
has_string(json_object *a, const char *s)
{
	size_t i, n = json_object_array_length(a);

	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s) == 0)
			return 1;
	return 0;
}

static json_object *
service_of(json_object *svcs, const struct em_entry *e)
{
	const char *prov = tf_provider_name(e->provider), *name = e->service ? e->service : "*";
	size_t i, n = json_object_array_length(svcs);
	json_object *s;

	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(svcs, i);
		if (strcmp(str_of(s, "provider"), prov) == 0 && strcmp(str_of(s, "service"), name) == 0)
			return s;
	}
	s = json_object_new_object();
	json_object_object_add(s, "provider", json_object_new_string(prov));
	json_object_object_add(s, "service", json_object_new_string(name));
	json_object_object_add(s, "files", json_object_new_array());
	json_object_object_add(s, "events", json_object_new_int(0));
	json_object_object_add(s, "resources", json_object_new_array());
	json_object_object_add(s, "names", json_object_new_array());   /* dropped at the end */
	json_object_array_add(svcs, s);
	return s;
}

static json_object *
resource_of(json_object *svc, const char *type)
{
	json_object *rs = arr_of(svc, "resources"), *r = find_by(rs, "type", type);

	if (r == NULL) {
		r = json_object_new_object();
		json_object_object_add(r, "type", json_object_new_string(type));
		json_object_object_add(r, "events", json_object_new_array());
		json_object_object_add(r, "attributes", json_object_new_array());
		json_object_array_add(rs, r);
	}
	return r;
}

static void
add_event(json_object *res, const struct em_entry *e, const char *action, int covered)
{
	json_object *evs = arr_of(res, "events"), *o, *al;
	size_t i, n = json_object_array_length(evs);

	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(evs, i);
		if (strcmp(str_of(o, "event"), e->names[0]) == 0 &&
		    strcmp(str_of(o, "action"), action) == 0)
			return;     /* alternatives of one event for the same type */
	}
	o = json_object_new_object();
	al = json_object_new_array();
	for (i = 1; i < e->nnames; i++)
		json_object_array_add(al, json_object_new_string(e->names[i]));
	json_object_object_add(o, "event", json_object_new_string(e->names[0]));
	json_object_object_add(o, "aliases", al);
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "covered_by", json_object_new_boolean(covered));
	json_object_array_add(evs, o);
}

static void
add_attr(json_object *res, const struct em_attr *a)
{
	json_object *as = arr_of(res, "attributes"), *o = find_by(as, "name", a->name), *v;

	if (o == NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(a->name));
		json_object_object_add(o, "sensitive", json_object_new_boolean(a->sensitive));
		json_object_object_add(o, "computed", json_object_new_boolean(a->computed));
		json_object_array_add(as, o);
		return;
	}
	/* Sensitive once is sensitive; compared once is compared. */
	if (a->sensitive)
		json_object_object_add(o, "sensitive", json_object_new_boolean(1));
	if (!a->computed && json_object_object_get_ex(o, "computed", &v) && json_object_get_boolean(v))
		json_object_object_add(o, "computed", json_object_new_boolean(0));
}

static int
cmp_service(const void *a, const void *b)
{
	json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
	int c = strcmp(str_of(x, "provider"), str_of(y, "provider"));

	return c != 0 ? c : strcmp(str_of(x, "service"), str_of(y, "service"));
}

int
cov_service_match(const char *service, const char *only)
{
	size_t n;

	if (only == NULL)
		return 1;
	if (service == NULL)
		return 0;
	n = strlen(only);
	return strncmp(service, only, n) == 0 && (service[n] == '\0' || service[n] == '.');
}

static int
wanted(const struct em_entry *e, const char *only)
{
	return cov_service_match(e->service, only);
}

static size_t
n_computed(json_object *attrs)
{
	size_t i, k = 0, n = json_object_array_length(attrs);

	for (i = 0; i < n; i++) {
		json_object *c;

		if (json_object_object_get_ex(json_object_array_get_idx(attrs, i), "computed", &c) &&
		    json_object_get_boolean(c))
			k++;
	}
	return k;
}

json_object *
eventmap_coverage(const struct eventmap *m, const char *only)
{
	json_object *svcs = json_object_new_array(), *out = json_object_new_object(), *tot, *sorted;
	json_object *allnames = json_object_new_array(), *alltypes = json_object_new_array();
	size_t i, j, n = eventmap_count(m), nent = 0, nattrs = 0;

	for (i = 0; i < n; i++) {
		const struct em_entry *e = eventmap_entry(m, i);
		const char *base = strrchr(e->file, '/');
		json_object *svc, *res, *names;
		char *key;

		if (!wanted(e, only))
			continue;
		nent++;
		svc = service_of(svcs, e);
		base = base != NULL ? base + 1 : e->file;
		if (!has_string(arr_of(svc, "files"), base))
			json_object_array_add(arr_of(svc, "files"), json_object_new_string(base));
		names = arr_of(svc, "names");
		for (j = 0; j < e->nnames; j++) {
			if (!has_string(names, e->names[j]))
				json_object_array_add(names, json_object_new_string(e->names[j]));
			key = xasprintf("%s %s %s", tf_provider_name(e->provider),
			    e->service ? e->service : "*", e->names[j]);
			if (!has_string(allnames, key))
				json_object_array_add(allnames, json_object_new_string(key));
			free(key);
		}
		res = resource_of(svc, e->resource);
		add_event(res, e, em_action_name(e->action), 0);
		for (j = 0; j < e->nattrs; j++)
			add_attr(res, &e->attrs[j]);
		for (j = 0; e->sgr != NULL && e->nattrs == 0 && em_sgrule_compared[j] != NULL; j++) {
			struct em_attr ra;

			memset(&ra, 0, sizeof ra);
			ra.name = (char *)em_sgrule_compared[j];     /* read only */
			add_attr(res, &ra);
		}
		if (e->cover_resource != NULL)
			add_event(resource_of(svc, e->cover_resource), e,
			    e->action == EM_SET_REMOVE ? "delete" : "create", 1);
	}
	n = json_object_array_length(svcs);
	sorted = json_object_new_array();
	{
		json_object **v = xcalloc(n ? n : 1, sizeof *v);

		for (i = 0; i < n; i++)
			v[i] = json_object_get(json_object_array_get_idx(svcs, i));
		qsort(v, n, sizeof *v, cmp_service);
		for (i = 0; i < n; i++) {
			json_object *rs = arr_of(v[i], "resources");
			size_t k, nr = json_object_array_length(rs);

			json_object_object_add(v[i], "events", json_object_new_int((int)
			    json_object_array_length(arr_of(v[i], "names"))));
			json_object_object_del(v[i], "names");
			for (k = 0; k < nr; k++) {
				json_object *r = json_object_array_get_idx(rs, k);
				char *key = xasprintf("%s %s", str_of(v[i], "provider"), str_of(r, "type"));

				if (strcmp(str_of(r, "type"), "*") != 0 && !has_string(alltypes, key))
					json_object_array_add(alltypes, json_object_new_string(key));
				free(key);
				nattrs += json_object_array_length(arr_of(r, "attributes")) -
				    n_computed(arr_of(r, "attributes"));
			}
			json_object_array_add(sorted, v[i]);
		}
		free(v);
	}
	json_object_put(svcs);
	tot = json_object_new_object();
	json_object_object_add(tot, "entries", json_object_new_int64((int64_t)nent));
	json_object_object_add(tot, "event_names", json_object_new_int64(
	    (int64_t)json_object_array_length(allnames)));
	json_object_object_add(tot, "services", json_object_new_int64((int64_t)n));
	json_object_object_add(tot, "resource_types", json_object_new_int64(
	    (int64_t)json_object_array_length(alltypes)));
	json_object_object_add(tot, "attributes", json_object_new_int64((int64_t)nattrs));
	json_object_put(allnames);
	json_object_put(alltypes);
	json_object_object_add(out, "services", sorted);
	json_object_object_add(out, "totals", tot);
	return out;
}

/* "a, b (sensitive)" of the attributes with computed == want_computed; 0 when none. */
static int
write_attrs(FILE *fp, json_object *attrs, int want_computed)
{
	size_t i, n = json_object_array_length(attrs);
	int k = 0;

	for (i = 0; i < n; i++) {
		json_object *a = json_object_array_get_idx(attrs, i), *c, *s;

		json_object_object_get_ex(a, "computed", &c);
		json_object_object_get_ex(a, "sensitive", &s);
		if (json_object_get_boolean(c) != want_computed)
			continue;
		fprintf(fp, "%s%s%s", k++ ? ", " : "", str_of(a, "name"),
		    json_object_get_boolean(s) ? " (sensitive)" : "");
	}
	return k;
}

static void
write_text(json_object *cov, FILE *fp)
{
	json_object *svcs = arr_of(cov, "services"), *tot = arr_of(cov, "totals");
	size_t i, j, k, n = json_object_array_length(svcs);

	for (i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(svcs, i), *rs = arr_of(s, "resources");
		json_object *files = arr_of(s, "files");
		size_t nr = json_object_array_length(rs);

		fprintf(fp, "%s%s %s (", i ? "\n" : "", str_of(s, "provider"), str_of(s, "service"));
		for (j = 0; j < json_object_array_length(files); j++)
			fprintf(fp, "%s%s", j ? ", " : "",
			    json_object_get_string(json_object_array_get_idx(files, j)));
		fprintf(fp, "): %s event%s, %zu resource type%s\n", str_of(s, "events"),
		    strcmp(str_of(s, "events"), "1") == 0 ? "" : "s", nr, nr == 1 ? "" : "s");
		for (j = 0; j < nr; j++) {
			json_object *r = json_object_array_get_idx(rs, j), *evs = arr_of(r, "events");
			const char *type = str_of(r, "type");

			fprintf(fp, "  %s:", strcmp(type, "*") == 0 ? "any type, by id (*)" : type);
			for (k = 0; k < json_object_array_length(evs); k++) {
				json_object *ev = json_object_array_get_idx(evs, k), *al = arr_of(ev, "aliases"), *cb;
				size_t a;

				json_object_object_get_ex(ev, "covered_by", &cb);
				fprintf(fp, "%s %s", k ? "," : "", str_of(ev, "event"));
				for (a = 0; a < json_object_array_length(al); a++)
					fprintf(fp, "%s%s", a ? "/" : " (also ",
					    json_object_get_string(json_object_array_get_idx(al, a)));
				if (json_object_array_length(al) > 0)
					fputc(')', fp);
				fprintf(fp, " [%s%s]", str_of(ev, "action"),
				    json_object_get_boolean(cb) ? ", covered_by" : "");
			}
			fputs("\n    compares: ", fp);
			if (!write_attrs(fp, arr_of(r, "attributes"), 0))
				fputs("-", fp);
			fputc('\n', fp);
			if (n_computed(arr_of(r, "attributes")) > 0) {
				fputs("    computed (listed, never compared): ", fp);
				write_attrs(fp, arr_of(r, "attributes"), 1);
				fputc('\n', fp);
			}
		}
	}
	fprintf(fp, "%s%s entries: %s event names in %s service%s, %s resource type%s, %s attributes "
	    "compared\n", n ? "\n" : "", str_of(tot, "entries"), str_of(tot, "event_names"),
	    str_of(tot, "services"), n == 1 ? "" : "s", str_of(tot, "resource_types"),
	    strcmp(str_of(tot, "resource_types"), "1") == 0 ? "" : "s", str_of(tot, "attributes"));
}

static void
write_tsv(const struct eventmap *m, const char *only, FILE *fp)
{
	size_t i, j, n = eventmap_count(m);

	for (i = 0; i < n; i++) {
		const struct em_entry *e = eventmap_entry(m, i);
		size_t k, n_out = 0;

		if (!wanted(e, only))
			continue;

		fprintf(fp, "%s\t%s\t%s\t", tf_provider_name(e->provider), e->names[0], e->resource);
		for (j = 0; j < e->nattrs; j++) {
			for (k = 0; k < j && strcmp(e->attrs[k].name, e->attrs[j].name) != 0; k++)
				;
			if (k == j)     /* a name given twice is listed once */
				fprintf(fp, "%s%s", n_out++ ? "," : "", e->attrs[j].name);
		}
		for (j = 0; e->sgr != NULL && e->nattrs == 0 && em_sgrule_compared[j] != NULL; j++)
			fprintf(fp, "%s%s", n_out++ ? "," : "", em_sgrule_compared[j]);
		fprintf(fp, "%s\n", n_out ? "" : "-");
	}
}

void
eventmap_coverage_write(const struct eventmap *m, const char *only, enum cov_format f, FILE *fp)
{
	json_object *cov;

	if (f == COV_TSV) {
		write_tsv(m, only, fp);
		return;
	}
	cov = eventmap_coverage(m, only);
	if (f == COV_JSON)
		fprintf(fp, "%s\n", json_object_to_json_string_ext(cov,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		write_text(cov, fp);
	json_object_put(cov);
}
