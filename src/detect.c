/* detect: one audit event against the state index → zero or more findings, or the reason it is
 * not drift. Owned by one thread (the engine); the state index is shared read-only. */
#include "config.h"

#include <stdlib.h>
#include <sys/types.h>
#include <string.h>

#include "detect.h"
#include "freeze.h"
#include "rules.h"
#include "util.h"

#define MAX_IDS 256          /* resource ids one event may name (RunInstances batches) */
#define MAX_MATCH 8          /* states that may manage the same resource */
#define MAX_ENTRIES 16       /* alternative map entries for one event */

struct detector;
static const struct freeze_window *freeze_at(const struct detector *d, size_t i);

struct detector {
	const struct eventmap *map;
	struct state_index *ix;
	const struct conf *conf;
	struct tf_hset seen_events;
	struct tf_hset seen_ops;
	struct tf_hset unmanaged;       /* resources already reported as unmanaged */
	struct pend *pending;           /* GCP operations' last entries waiting for their first */
	size_t npending, cappending;
	uint64_t pend_seq;              /* arrival order of held entries */
	size_t last_held;               /* findings of held entries the last detect_event decided */
	unsigned input;                 /* detector_set_input: where the next events come from */
	int64_t hold_ms;                /* how long (event time) a last entry waits */
	struct detect_stats stats;
	enum severity sev_default[FK__COUNT];
	/* Change-freeze windows: the config's (borrowed) and detector_set_freezes' (owned).
	 * nfreezes 0 is the fast path; [freeze_lo, freeze_hi) spans them all. */
	const struct freeze_window *cfg_freezes;
	size_t ncfg_freezes;
	struct freeze_window *extra_freezes;
	size_t nextra_freezes;
	size_t nfreezes;
	int64_t freeze_lo, freeze_hi;
	void (*enrich)(const struct state_index *, struct finding *);   /* or NULL */
	struct rules *rules;         /* a reference, or NULL: severities by kind only */
};

/* A GCP operation's last entry held for its first (see detect_event). */
struct pend {
	struct event ev;
	unsigned input;                 /* the input it came from (detector_set_input) */
	uint64_t seq;                   /* arrival order, for deciding in a stable order */
	int counted;                    /* counted as ND_DEFERRED (not restored from a store) */
};

/* What the event map and state made of an event, for freeze windows. */
struct resolved {
	const struct em_entry *ents[MAX_ENTRIES];
	size_t nent;
	const struct tf_instance *in;   /* the first managed instance it names, or NULL */
	char *id;                       /* the first resource id it names (heap), or NULL */
	const char *type;               /* the unmanaged resource's type, when no instance */
};

static const char *nd_names[ND__COUNT] = {
	"drift", "read_only", "failed", "terraform", "service", "not_covered", "equal_value",
	"not_managed", "duplicate", "no_resource_id", "deferred",
};

const char *
nodrift_name(enum nodrift n)
{
	return (unsigned)n < ND__COUNT ? nd_names[n] : "unknown";
}

/* Recount the windows and the time span they cover (events outside it skip them at once). */
static void
freeze_span(struct detector *d)
{
	size_t i;

	d->nfreezes = d->ncfg_freezes + d->nextra_freezes;
	d->freeze_lo = INT64_MAX;
	d->freeze_hi = INT64_MIN;
	for (i = 0; i < d->nfreezes; i++) {
		const struct freeze_window *w = freeze_at(d, i);

		if (w->start_ms < d->freeze_lo)
			d->freeze_lo = w->start_ms;
		if (w->end_ms > d->freeze_hi)
			d->freeze_hi = w->end_ms;
	}
}

static enum severity
sev_from_conf(const char *s, enum severity def)
{
	enum severity v;

	return severity_parse(s, &v) == 0 ? v : def;
}

struct detector *
detector_new(const struct eventmap *map, struct state_index *ix, const struct conf *conf)
{
	struct detector *d = xcalloc(1, sizeof *d);

	d->map = map;
	d->conf = conf;
	if (ix != NULL) {
		state_index_ref(ix);
		d->ix = ix;
	}
	d->sev_default[FK_MODIFIED] = sev_from_conf(conf ? conf->severity_modified : NULL, SEV_MEDIUM);
	d->sev_default[FK_UNMANAGED] = sev_from_conf(conf ? conf->severity_unmanaged : NULL, SEV_LOW);
	d->sev_default[FK_DELETED] = sev_from_conf(conf ? conf->severity_deleted : NULL, SEV_HIGH);
	d->sev_default[FK_FREEZE_VIOLATION] = sev_from_conf(conf ? conf->severity_freeze : NULL, SEV_HIGH);
	d->hold_ms = conf != NULL && conf->gcp_operation_hold_ms > 0 ? conf->gcp_operation_hold_ms :
	    DETECT_HOLD_MS;
	if (conf != NULL) {
		d->cfg_freezes = conf->freezes;
		d->ncfg_freezes = conf->nfreezes;
	}
	freeze_span(d);
	return d;
}

void
detector_set_freezes(struct detector *d, const struct freeze_window *w, size_t n)
{
	freeze_windows_free(d->extra_freezes, d->nextra_freezes);
	d->extra_freezes = freeze_windows_dup(w, n);
	d->nextra_freezes = n;
	freeze_span(d);
}

/* The i-th window of all the detector knows: the config's first, then the others. */
static const struct freeze_window *
freeze_at(const struct detector *d, size_t i)
{
	return i < d->ncfg_freezes ? &d->cfg_freezes[i] : &d->extra_freezes[i - d->ncfg_freezes];
}

void
detector_set_index(struct detector *d, struct state_index *ix)
{
	if (ix != NULL)
		state_index_ref(ix);
	if (d->ix != NULL)
		state_index_unref(d->ix);
	d->ix = ix;
}

void
detector_free(struct detector *d)
{
	if (d == NULL)
		return;
	if (d->ix != NULL)
		state_index_unref(d->ix);
	tf_hset_free(&d->seen_events);
	tf_hset_free(&d->seen_ops);
	tf_hset_free(&d->unmanaged);
	for (size_t i = 0; i < d->npending; i++)
		event_free(&d->pending[i].ev);
	free(d->pending);
	freeze_windows_free(d->extra_freezes, d->nextra_freezes);
	rules_unref(d->rules);
	free(d);
}

void
detector_set_rules(struct detector *d, const struct rules *r)
{
	struct rules *nr = rules_ref(r);

	rules_unref(d->rules);
	d->rules = nr;
}

void
detector_set_enrich(struct detector *d, void (*fn)(const struct state_index *ix,
    struct finding *f))
{
	d->enrich = fn;
}

const struct detect_stats *
detector_stats(const struct detector *d)
{
	return &d->stats;
}

static int
match_any_substr(const struct strlist *l, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->v[i][0] != '\0' && strstr(s, l->v[i]) != NULL)
			return 1;
	return 0;
}

static int
match_any_glob(const struct strlist *l, const char *s)
{
	size_t i;

	if (s == NULL)
		return 0;
	for (i = 0; i < l->n; i++)
		if (tf_glob(l->v[i], s))
			return 1;
	return 0;
}

/* The Terraform pipeline: its user agents, or principals configured as the pipeline. */
static int
is_pipeline(const struct detector *d, const struct event *ev)
{
	if (d->conf == NULL)
		return ev->actor.via == VIA_TERRAFORM;
	return match_any_substr(&d->conf->terraform_user_agents, ev->user_agent) ||
	    match_any_glob(&d->conf->pipeline_principals, ev->actor.principal) ||
	    match_any_glob(&d->conf->pipeline_principals, ev->actor.name);
}

/* Cloud services acting on their own (Auto Scaling, service-linked roles, GCP agents). */
static int
is_service(const struct detector *d, const struct event *ev)
{
	if (ev->actor.type != NULL && strcmp(ev->actor.type, "AWSService") == 0)
		return 1;
	/* A person in a console is never the cloud acting on its own, whatever invokedBy says
	 * (IAM console calls carry invokedBy signin.amazonaws.com). */
	if (ev->actor.via == VIA_CONSOLE)
		return 0;
	/* GCP's system_event log: Google's own actions (preemption, live migration...). */
	if (ev->provider == PROV_GCP && ev->event_type != NULL &&
	    strcmp(ev->event_type, "system_event") == 0)
		return 1;
	if (d->conf == NULL)
		return ev->actor.via == VIA_SERVICE;
	return match_any_glob(&d->conf->service_principals, ev->actor.principal) ||
	    match_any_glob(&d->conf->service_principals, ev->actor.name) ||
	    match_any_glob(&d->conf->service_principals, ev->actor.invoked_by);
}

static char *
id_transform(const struct em_entry *e, const char *prov, json_object *v)
{
	const char *s;
	char *norm;

	if (v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int))
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL || *s == '\0')
		return NULL;
	norm = state_index_norm_value(prov, s);
	if (e->id_transform == EMID_BASENAME) {
		const char *slash = strrchr(norm, '/');

		if (slash != NULL && slash[1] != '\0') {
			char *b = xstrdup(slash + 1);

			free(norm);
			return b;
		}
	}
	return norm;
}

/* Resource ids named by an entry, in order, without duplicates. */
static size_t
entry_ids(const struct em_entry *e, const struct event *ev, const char *prov, char **ids, size_t max)
{
	json_object *vals[MAX_IDS];
	size_t n = 0, i, j, k, cnt;

	for (i = 0; i < e->nid_paths && n < max; i++) {
		cnt = jpath_all(e->id_paths[i], ev->record, vals, MAX_IDS);
		if (cnt > MAX_IDS)
			cnt = MAX_IDS;
		for (j = 0; j < cnt && n < max; j++) {
			char *id = id_transform(e, prov, vals[j]);

			if (id == NULL)
				continue;
			for (k = 0; k < n; k++)
				if (strcmp(ids[k], id) == 0)
					break;
			if (k < n) {
				free(id);
				continue;
			}
			ids[n++] = id;
		}
		if (n > 0)
			break;  /* paths are fallbacks: the first that names something wins */
	}
	return n;
}

static struct finding *
finding_new(const struct detector *d, const struct event *ev, const struct em_entry *e,
    enum finding_kind kind, const struct tf_instance *in, const char *id, const char *type)
{
	struct finding *f = xcalloc(1, sizeof *f);
	enum severity s;

	f->kind = kind;
	f->severity = d->sev_default[kind];
	if (e != NULL && e->severity != NULL && severity_parse(e->severity, &s) == 0)
		f->severity = s;
	f->status = ST_OPEN;
	f->provider = ev->provider;
	if (in != NULL) {
		f->address = xstrdup(in->address);
		f->type = xstrdup(in->type);
		f->resource_id = xstrdup(in->id != NULL ? in->id : id);
		f->module = in->module != NULL && in->module[0] != '\0' ? xstrdup(in->module) : NULL;
		f->state_source = in->state != NULL ? xstrdup(in->state->source) : NULL;
	} else {
		f->type = type != NULL && strcmp(type, "*") != 0 ? xstrdup(type) : NULL;
		f->resource_id = xstrdup(id);
	}
	actor_copy(&f->actor, &ev->actor);
	f->source_ip = xstrdup(ev->source_ip);
	f->user_agent = xstrdup(ev->user_agent);
	f->event_id = xstrdup(ev->id);
	f->event_name = xstrdup(ev->name);
	f->event_source = xstrdup(ev->source);
	f->region = xstrdup(ev->region);
	f->account = xstrdup(ev->account);
	f->event_origin = xstrdup(ev->origin);
	f->event_time_ms = ev->time_ms;
	return f;
}

/* A finding is complete: rules (with the event and the state instance at hand), summary, id. */
static void
finding_done(struct detector *d, const struct event *ev, const struct tf_instance *in,
    struct finding *f, struct finding_list *out)
{
	if (d->rules != NULL)
		rules_apply(d->rules, f, in, ev);
	finding_summarize(f);
	finding_set_id(f);
	if (d->enrich != NULL)
		d->enrich(d->ix, f);
	d->stats.findings[f->kind]++;
	finding_list_push(out, f);
}

static json_object *
attr_event_value(const struct em_attr *a, const struct event *ev, int *present)
{
	size_t i;

	*present = 0;
	if (a->value != NULL) {
		*present = 1;
		return val_from_event(a->transform, a->value);
	}
	for (i = 0; i < a->npaths; i++) {
		json_object *v = jpath_get(a->paths[i], ev->record);

		if (v != NULL) {
			*present = 1;
			return val_from_event(a->transform, v);
		}
	}
	return NULL;
}

/* Is the member (given by the event) held by a separate managed resource (covered_by)? */
static const struct tf_instance *
covering_instance(const struct detector *d, const struct em_entry *e, const struct event *ev)
{
	const char *attrs[8], *vals[8];
	const struct tf_instance *hit = NULL;
	size_t i, n = 0;

	if (e->cover_resource == NULL || e->ncover == 0 || d->ix == NULL)
		return NULL;
	for (i = 0; i < e->ncover && n < TF_ARRLEN(attrs); i++) {
		json_object *v = jpath_get(e->cover[i].path, ev->record);

		if (v == NULL)
			return NULL;
		attrs[n] = e->cover[i].attr;
		vals[n] = json_object_get_string(v);
		n++;
	}
	if (state_index_match(d->ix, e->cover_resource, attrs, vals, n, &hit, 1) == 0)
		return NULL;
	return hit;
}

/* Members of the event's set/map that the state holds (what a removal really removes). */
static json_object *
set_intersect(json_object *ev_v, json_object *st_v)
{
	json_object *missing, *out;
	size_t i, j;

	if (ev_v == NULL || st_v == NULL)
		return NULL;
	if (json_object_is_type(ev_v, json_type_object) && json_object_is_type(st_v, json_type_object)) {
		out = json_object_new_object();
		json_object_object_foreach(ev_v, k, v) {
			json_object *sv;
			const char *want;

			if (!json_object_object_get_ex(st_v, k, &sv))
				continue;
			/* EC2 DeleteTags with a value deletes the tag only when the value matches;
			 * without one (or empty) it deletes whatever is there. */
			want = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
			if (want != NULL && *want != '\0' && !val_equal(v, sv))
				continue;
			json_object_object_add(out, k, json_object_get(sv));
		}
		return out;
	}
	missing = val_set_minus(ev_v, st_v);
	out = json_object_new_array();
	if (json_object_is_type(ev_v, json_type_array)) {
		for (i = 0; i < json_object_array_length(ev_v); i++) {
			json_object *m = json_object_array_get_idx(ev_v, i);
			int gone = 0;

			for (j = 0; missing != NULL && j < json_object_array_length(missing); j++)
				if (val_equal(m, json_object_array_get_idx(missing, j)))
					gone = 1;
			if (!gone)
				json_object_array_add(out, json_object_get(m));
		}
	}
	json_object_put(missing);
	return out;
}

static int
sort_str_cmp(const void *a, const void *b)
{
	const char *x = json_object_get_string(*(json_object *const *)a);
	const char *y = json_object_get_string(*(json_object *const *)b);

	return strcmp(x ? x : "", y ? y : "");
}

static int
json_empty(json_object *v)
{
	if (v == NULL)
		return 1;
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) == 0;
	if (json_object_is_type(v, json_type_object))
		return json_object_object_length(v) == 0;
	return 0;
}

/* Security group rules naming the group itself are Terraform's `self = true`. */
static json_object *
sg_self(json_object *rules, const char *own_id)
{
	json_object *out;
	size_t i, n, idl;

	if (rules == NULL || own_id == NULL || !json_object_is_type(rules, json_type_array))
		return rules;
	idl = strlen(own_id);
	n = json_object_array_length(rules);
	out = json_object_new_array();
	for (i = 0; i < n; i++) {
		json_object *r = json_object_array_get_idx(rules, i);
		const char *t = json_object_get_string(r);
		size_t tl = t != NULL ? strlen(t) : 0;

		if (tl > idl + 1 && t[tl - idl - 1] == ' ' && strcmp(t + tl - idl, own_id) == 0) {
			char *x = xasprintf("%.*sself", (int)(tl - idl), t);

			json_object_array_add(out, json_object_new_string(x));
			free(x);
		} else
			json_object_array_add(out, json_object_get(r));
	}
	json_object_put(rules);
	/* Canonical sets are sorted: sort again after the rewrite. */
	json_object_array_sort(out, sort_str_cmp);
	return out;
}

/* Compare the entry's attributes for a managed instance; returns the finding or NULL (equal). */
static struct finding *
diff_managed(struct detector *d, const struct event *ev, const struct em_entry *e,
    const struct tf_instance *in, const char *id, int *touched_only)
{
	struct finding *f = finding_new(d, ev, e, FK_MODIFIED, in, id, e->resource);
	size_t i, present_n = 0;

	*touched_only = 0;
	for (i = 0; i < e->nattrs; i++) {
		const struct em_attr *a = &e->attrs[i];
		int present, sens;
		json_object *nv = attr_event_value(a, ev, &present), *ov, *delta;

		if (!present) {
			json_object_put(nv);
			continue;
		}
		present_n++;
		if (a->transform == VT_SG_RULES)
			nv = sg_self(nv, in->id);
		ov = val_from_state(a->state_transform, tfstate_attr(in, a->name));
		sens = a->sensitive || tfstate_is_sensitive(in, a->name);
		if (a->transform == VT_REDACTED) {
			json_object_put(nv);
			finding_add_change(f, a->name, sens ? NULL : ov, NULL, CH_MODIFIED, sens);
			if (sens)
				json_object_put(ov);
			f->changes[f->nchanges - 1].unknown_new = 1;
			continue;
		}
		switch (e->action) {
		case EM_SET_ADD:
			delta = nv != NULL ? val_set_minus(nv, ov) : NULL;
			json_object_put(nv);
			json_object_put(ov);
			if (json_empty(delta)) {
				json_object_put(delta);
				break;
			}
			finding_add_change(f, a->name, NULL, delta, CH_ADDED, sens);
			break;
		case EM_SET_REMOVE:
			delta = set_intersect(nv, ov);
			json_object_put(nv);
			json_object_put(ov);
			if (json_empty(delta)) {
				json_object_put(delta);
				break;
			}
			finding_add_change(f, a->name, delta, NULL, CH_REMOVED, sens);
			break;
		default:
			if (val_equal(ov, nv)) {
				json_object_put(nv);
				json_object_put(ov);
				break;
			}
			finding_add_change(f, a->name, ov, nv, ov == NULL ? CH_ADDED : CH_MODIFIED, sens);
			break;
		}
	}
	if (f->nchanges > 0)
		return f;
	if (present_n == 0 && (e->action == EM_MODIFY || e->action == EM_SET_ADD)) {
		/* The map knows this call changes the resource but not which attribute it logged. */
		*touched_only = 1;
		return f;
	}
	finding_free(f);
	return NULL;
}

/* One resource id, resolved against state with entry e: appends findings; returns the reason. */
static enum nodrift
handle_managed(struct detector *d, const struct event *ev, const struct em_entry *e,
    const struct tf_instance **ins, size_t nins, const char *id, struct finding_list *out)
{
	enum nodrift why = ND_EQUAL;
	size_t i;

	for (i = 0; i < nins; i++) {
		const struct tf_instance *in = ins[i];
		const struct tf_instance *cov;
		struct finding *f;
		int touched;

		switch (e->action) {
		case EM_DELETE:
			finding_done(d, ev, in, finding_new(d, ev, e, FK_DELETED, in, id, e->resource), out);
			why = ND_DRIFT;
			break;
		case EM_SET_ADD:
			if (covering_instance(d, e, ev) != NULL)
				break;  /* a separate managed resource already holds it */
			/* FALLTHROUGH */
		case EM_CREATE:
		case EM_MODIFY:
			f = diff_managed(d, ev, e, in, id, &touched);
			if (f != NULL) {
				finding_done(d, ev, in, f, out);
				why = ND_DRIFT;
			}
			break;
		case EM_SET_REMOVE:
			cov = covering_instance(d, e, ev);
			if (cov != NULL) {
				/* The member lived in its own resource: that resource is gone. */
				finding_done(d, ev, cov, finding_new(d, ev, e, FK_DELETED, cov, NULL, cov->type), out);
				why = ND_DRIFT;
				break;
			}
			f = diff_managed(d, ev, e, in, id, &touched);
			if (f != NULL) {
				finding_done(d, ev, in, f, out);
				why = ND_DRIFT;
			}
			break;
		}
	}
	return why;
}

static enum nodrift
handle_unmanaged(struct detector *d, const struct event *ev, const struct em_entry *e,
    const char *id, struct finding_list *out)
{
	struct finding *f;
	size_t i;

	struct strbuf key;
	int seen;

	if (e->action == EM_DELETE)
		return ND_NOT_MANAGED;
	if (e->action == EM_SET_REMOVE)
		return ND_NOT_MANAGED;
	/* One unmanaged finding per resource: its creation (or the first change seen); later
	 * changes to a resource already reported as outside Terraform add nothing. */
	sb_init(&key);
	sb_addf(&key, "%d\n%s\n%s", (int)ev->provider, e->resource, id);
	seen = tf_hset_test_and_add(&d->unmanaged, tf_hash(key.buf, key.len));
	/* Also remember the id alone, so an entry for "any type" (tags) sees it too. */
	sb_reset(&key);
	sb_addf(&key, "%d\n*\n%s", (int)ev->provider, id);
	if (tf_hset_test_and_add(&d->unmanaged, tf_hash(key.buf, key.len)) &&
	    strcmp(e->resource, "*") == 0)
		seen = 1;
	sb_free(&key);
	if (seen)
		return ND_NOT_MANAGED;
	f = finding_new(d, ev, e, FK_UNMANAGED, NULL, id, e->resource);
	/* Show what the event set, so a reviewer sees the new resource's shape. */
	for (i = 0; i < e->nattrs; i++) {
		int present;
		json_object *nv = attr_event_value(&e->attrs[i], ev, &present);

		if (!present) {
			json_object_put(nv);
			continue;
		}
		if (e->attrs[i].transform == VT_REDACTED || e->attrs[i].sensitive) {
			json_object_put(nv);
			finding_add_change(f, e->attrs[i].name, NULL, NULL, CH_ADDED, 1);
			continue;
		}
		finding_add_change(f, e->attrs[i].name, NULL, nv,
		    e->action == EM_MODIFY ? CH_MODIFIED : CH_ADDED, 0);
	}
	finding_done(d, ev, NULL, f, out);
	return ND_DRIFT;
}

/* The event map and state: findings for one event. `res` (may be NULL) learns what the
 * event names, for freeze windows. */
static enum nodrift
resolve_map(struct detector *d, const struct event *ev, struct finding_list *out,
    struct resolved *res)
{
	const struct em_entry *ents[MAX_ENTRIES];
	char *ids[MAX_IDS];
	const struct em_entry *first = NULL;	/* the entry `ids` came from */
	size_t nent, nids = 0, i, j, k;
	const char *prov = tf_provider_name(ev->provider);
	enum nodrift why = ND__COUNT;

	nent = eventmap_lookup(d->map, ev->provider, ev->source, ev->name, ents, MAX_ENTRIES);
	if (nent > MAX_ENTRIES)
		nent = MAX_ENTRIES;
	if (res != NULL) {
		memcpy(res->ents, ents, nent * sizeof *ents);
		res->nent = nent;
	}
	if (nent == 0) {
		why = ND_NOT_COVERED;
		goto done;
	}

	/*
	 * Entries are alternatives in order: the first entry that finds any of the resources it
	 * names in state handles the event (its ids not in state are unmanaged). When none
	 * does, the first entry that names a resource reports it as unmanaged.
	 */
	for (i = 0; i < nent; i++) {
		char *eids[MAX_IDS];
		const struct tf_instance *ins[MAX_IDS][MAX_MATCH];
		size_t nins[MAX_IDS], ne, nres = 0;
		const char *type = strcmp(ents[i]->resource, "*") == 0 ? NULL : ents[i]->resource;

		ne = entry_ids(ents[i], ev, prov, eids, MAX_IDS);
		for (j = 0; j < ne; j++) {
			nins[j] = d->ix != NULL ?
			    state_index_find(d->ix, prov, eids[j], type, ins[j], MAX_MATCH) : 0;
			if (nins[j] > MAX_MATCH)
				nins[j] = MAX_MATCH;
			if (nins[j] > 0)
				nres++;
		}
		if (nres > 0) {
			for (j = 0; res != NULL && res->in == NULL && j < ne; j++) {
				if (nins[j] > 0) {
					res->in = ins[j][0];
					res->id = xstrdup(eids[j]);
				}
			}
			for (j = 0; j < ne; j++) {
				enum nodrift r = nins[j] > 0 ?
				    handle_managed(d, ev, ents[i], ins[j], nins[j], eids[j], out) :
				    handle_unmanaged(d, ev, ents[i], eids[j], out);

				if (why == ND__COUNT || r == ND_DRIFT)
					why = r;
				free(eids[j]);
			}
			for (k = 0; k < nids; k++)
				free(ids[k]);
			goto done;
		}
		if (nids == 0 && ne > 0) {
			for (j = 0; j < ne; j++)
				ids[j] = eids[j];
			nids = ne;
			first = ents[i];
		} else {
			for (j = 0; j < ne; j++)
				free(eids[j]);
		}
	}
	if (nids == 0) {
		why = ND_NO_ID;
		goto done;
	}
	if (res != NULL) {
		res->id = xstrdup(ids[0]);
		res->type = strcmp(first->resource, "*") != 0 ? first->resource : NULL;
	}
	for (k = 0; k < nids; k++) {
		enum nodrift r = handle_unmanaged(d, ev, first, ids[k], out);

		if (why == ND__COUNT || r == ND_DRIFT)
			why = r;
		free(ids[k]);
	}
done:
	if (why == ND__COUNT)
		why = ND_EQUAL;
	return why;
}

static char *resource_key(struct detector *d, const struct event *ev, int any_type);

char *
detector_resource_key(struct detector *d, const struct event *ev)
{
	return resource_key(d, ev, 0);
}

char *
detector_seen_key(struct detector *d, const struct event *ev)
{
	return resource_key(d, ev, 1);
}

static char *
resource_key(struct detector *d, const struct event *ev, int any_type)
{
	const struct em_entry *ents[MAX_ENTRIES];
	const struct tf_instance *ins[MAX_MATCH];
	char *ids[MAX_IDS], *key = NULL, *fallback = NULL;
	const char *prov = tf_provider_name(ev->provider);
	size_t nent, ne, i, j;

	nent = eventmap_lookup(d->map, ev->provider, ev->source, ev->name, ents, MAX_ENTRIES);
	if (nent > MAX_ENTRIES)
		nent = MAX_ENTRIES;
	/* As resolve_map decides: the first entry whose resource is in state, else the first
	 * that names one (then TYPE:ID, as store_resource_key has it for unmanaged ones). */
	for (i = 0; i < nent && key == NULL; i++) {
		const char *type = strcmp(ents[i]->resource, "*") == 0 ? NULL : ents[i]->resource;

		ne = entry_ids(ents[i], ev, prov, ids, MAX_IDS);
		for (j = 0; j < ne; j++) {
			if (key == NULL && d->ix != NULL &&
			    state_index_find(d->ix, prov, ids[j], type, ins, MAX_MATCH) > 0)
				key = xstrdup(ins[0]->address);
			if (fallback == NULL && (type != NULL || any_type))
				fallback = xasprintf("%s:%s", type != NULL ? type : "", ids[j]);
			free(ids[j]);
		}
	}
	if (key != NULL) {
		free(fallback);
		return key;
	}
	return fallback;
}

size_t
detector_each_instance(struct detector *d, const struct event *ev,
    void (*fn)(void *ctx, const struct em_entry *e, enum em_action action,
    const struct tf_instance *in), void *ctx)
{
	const struct em_entry *ents[MAX_ENTRIES];
	const char *prov = tf_provider_name(ev->provider);
	size_t nent, i, j, k, calls = 0;
	int found = 0;

	if (d->ix == NULL)
		return 0;
	nent = eventmap_lookup(d->map, ev->provider, ev->source, ev->name, ents, MAX_ENTRIES);
	if (nent > MAX_ENTRIES)
		nent = MAX_ENTRIES;
	/* As resolve_map decides: the first entry that finds any of its resources in state. */
	for (i = 0; i < nent && !found; i++) {
		const char *type = strcmp(ents[i]->resource, "*") == 0 ? NULL : ents[i]->resource;
		char *ids[MAX_IDS];
		size_t ne = entry_ids(ents[i], ev, prov, ids, MAX_IDS);

		for (j = 0; j < ne; j++) {
			const struct tf_instance *ins[MAX_MATCH], *cov;
			size_t nins = state_index_find(d->ix, prov, ids[j], type, ins, MAX_MATCH);

			if (nins > MAX_MATCH)
				nins = MAX_MATCH;
			found |= nins > 0;
			for (k = 0; k < nins; k++) {
				if (ents[i]->action == EM_SET_ADD && covering_instance(d, ents[i], ev) != NULL)
					continue;   /* a separate managed resource holds the member */
				if (ents[i]->action == EM_SET_REMOVE &&
				    (cov = covering_instance(d, ents[i], ev)) != NULL) {
					fn(ctx, ents[i], EM_DELETE, cov);   /* that resource is gone */
					calls++;
					continue;
				}
				fn(ctx, ents[i], ents[i]->action, ins[k]);
				calls++;
			}
			free(ids[j]);
		}
	}
	return calls;
}

json_object *
detect_attr_new_value(const struct em_attr *a, const struct event *ev,
    const struct tf_instance *in, int *present)
{
	json_object *v = attr_event_value(a, ev, present);

	if (v != NULL && a->transform == VT_SG_RULES && in != NULL)
		v = sg_self(v, in->id);
	return v;
}

/* Console sign-ins are not writes to anything, whatever CloudTrail's readOnly says. */
static int
is_signin(const struct event *ev)
{
	return ev->event_type != NULL && strcmp(ev->event_type, "AwsConsoleSignIn") == 0;
}

/* Does window w take in the event, given what the map made of it? A managed instance's type
 * decides; else any type the event's map entries name; an unmapped event (or one of "any
 * type" only) matches a window without a type scope. */
static int
freeze_takes(const struct freeze_window *w, const struct event *ev, const struct resolved *res)
{
	size_t i;
	int typed = 0;

	if (!freeze_window_contains(w, ev->time_ms) || !freeze_window_scope_match(w, ev))
		return 0;
	if (res->in != NULL)
		return freeze_window_type_match(w, res->in->type);
	if (res->type != NULL && freeze_window_type_match(w, res->type))
		return 1;
	for (i = 0; i < res->nent; i++) {
		if (strcmp(res->ents[i]->resource, "*") == 0)
			continue;
		typed = 1;
		if (freeze_window_type_match(w, res->ents[i]->resource))
			return 1;
	}
	return !typed && res->type == NULL && freeze_window_type_match(w, NULL);
}

static void
finding_set_freeze(struct finding *f, const struct freeze_window *w)
{
	free(f->freeze_name);
	f->freeze_name = xstrdup(w->name);
	f->freeze_start_ms = w->start_ms;
	f->freeze_end_ms = w->end_ms;
}

/*
 * An event inside the span of the freeze windows: the usual findings, each raised one
 * severity step when a window takes in its resource, then ONE freeze_violation for the
 * event (the first window that takes it in), whatever the map and state made of it.
 */
static enum nodrift
resolve_frozen(struct detector *d, const struct event *ev, struct finding_list *out)
{
	struct resolved res;
	const struct freeze_window *hit = NULL;
	size_t before = out->n, i, k;
	enum nodrift why;

	memset(&res, 0, sizeof res);
	why = resolve_map(d, ev, out, &res);
	for (k = before; k < out->n; k++) {
		struct finding *f = out->v[k];

		for (i = 0; i < d->nfreezes; i++) {
			const struct freeze_window *w = freeze_at(d, i);

			if (freeze_window_match(w, ev, f->type)) {
				if (f->severity < SEV_CRITICAL)
					f->severity++;
				finding_set_freeze(f, w);
				break;
			}
		}
	}
	for (i = 0; hit == NULL && i < d->nfreezes; i++)
		if (freeze_takes(freeze_at(d, i), ev, &res))
			hit = freeze_at(d, i);
	if (hit != NULL) {
		struct finding *f = finding_new(d, ev, NULL, FK_FREEZE_VIOLATION, res.in, res.id,
		    res.in != NULL ? res.in->type : res.type);

		finding_set_freeze(f, hit);
		finding_done(d, ev, res.in, f, out);
		why = ND_DRIFT;
	}
	free(res.id);
	return why;
}

/* Everything after the per-record checks: actor, freeze windows, event map, state. */
static enum nodrift
detect_resolve(struct detector *d, const struct event *ev, struct finding_list *out)
{
	if (is_pipeline(d, ev))
		return ND_TERRAFORM;
	if (is_service(d, ev))
		return ND_SERVICE;
	if (d->nfreezes > 0 && ev->time_ms >= d->freeze_lo && ev->time_ms < d->freeze_hi &&
	    ev->time_ms != 0 && !is_signin(ev))
		return resolve_frozen(d, ev, out);
	return resolve_map(d, ev, out, NULL);
}

static ssize_t
pending_find(const struct detector *d, const char *op)
{
	size_t i;

	for (i = 0; i < d->npending; i++)
		if (strcmp(d->pending[i].ev.operation_id, op) == 0)
			return (ssize_t)i;
	return -1;
}

/* A held entry leaves the deferred count for `why` (a restored one was not counted yet). */
static void
pending_recount(struct detector *d, const struct pend *p, enum nodrift why)
{
	if (p->counted)
		d->stats.by_reason[ND_DEFERRED]--;
	else
		d->stats.events++;
	d->stats.by_reason[why]++;
}

static void
pending_drop(struct detector *d, size_t i)
{
	event_free(&d->pending[i].ev);
	d->pending[i] = d->pending[--d->npending];
}

/* Hold a copy of ev (its JSON shared: this thread only). */
static struct pend *
pending_add(struct detector *d, const struct event *ev, unsigned input)
{
	struct pend *p;

	if (d->npending == d->cappending) {
		d->cappending = d->cappending ? d->cappending * 2 : 8;
		d->pending = xreallocarray(d->pending, d->cappending, sizeof *d->pending);
	}
	p = &d->pending[d->npending++];
	memset(p, 0, sizeof *p);
	event_clone(&p->ev, ev);
	p->input = input;
	p->seq = d->pend_seq++;
	return p;
}

/* Is held entry p due: from `input` (or any, when all), and its hold over at upto_ms? */
static int
pending_due(const struct detector *d, const struct pend *p, int all, unsigned input,
    int64_t upto_ms)
{
	if (!all && p->input != input)
		return 0;
	return upto_ms == INT64_MAX || p->ev.time_ms <= upto_ms - d->hold_ms;
}

/*
 * Decide the held entries that are due, alone, oldest first (event time, then arrival), so
 * that every path decides the same ones in the same order whether an input's end, its
 * watermark or a later event of it makes them due. Returns how many.
 */
static size_t
decide_held(struct detector *d, int all, unsigned input, int64_t upto_ms, struct finding_list *out)
{
	size_t n = 0;

	for (;;) {
		ssize_t best = -1;
		size_t i;
		struct pend *p;
		enum nodrift why;

		for (i = 0; i < d->npending; i++) {
			p = &d->pending[i];
			if (!pending_due(d, p, all, input, upto_ms))
				continue;
			if (best < 0 || p->ev.time_ms < d->pending[best].ev.time_ms ||
			    (p->ev.time_ms == d->pending[best].ev.time_ms &&
			    p->seq < d->pending[best].seq))
				best = (ssize_t)i;
		}
		if (best < 0)
			break;
		p = &d->pending[best];
		tf_hset_test_and_add(&d->seen_ops, tf_hash_str(p->ev.operation_id));
		why = detect_resolve(d, &p->ev, out);
		pending_recount(d, p, why);
		pending_drop(d, (size_t)best);
		n++;
	}
	return n;
}

void
detector_set_input(struct detector *d, unsigned input)
{
	d->input = input;
}

size_t
detector_last_held(const struct detector *d)
{
	return d->last_held;
}

int64_t
detector_hold_ms(const struct detector *d)
{
	return d->hold_ms;
}

enum nodrift
detect_event(struct detector *d, const struct event *ev, struct finding_list *out)
{
	enum nodrift why;
	ssize_t pi;

	d->stats.events++;
	d->last_held = 0;
	if (ev->read_only == 1) {
		why = ND_READ_ONLY;
		goto done;
	}
	if (ev->id != NULL && tf_hset_test_and_add(&d->seen_events, tf_hash_str(ev->id) ^ ev->provider)) {
		why = ND_DUPLICATE;
		goto done;
	}
	/*
	 * The input moved on: a GCP write event of the same input logged `hold` after a held
	 * last entry means its first entry is not coming (an ascending log would have brought
	 * it already, allowing for late ingestion), so that entry is decided alone first.
	 * Read-only events and duplicates do not count: some paths drop them before detection.
	 */
	if (d->npending > 0 && ev->provider == PROV_GCP && ev->time_ms != 0) {
		size_t before = out->n;

		decide_held(d, 0, d->input, ev->time_ms, out);
		d->last_held = out->n - before;
	}
	if (ev->error_code != NULL) {
		why = ND_FAILED;
		goto done;
	}
	/*
	 * GCP long-running operations log a first and a last entry: one change, one finding, from
	 * the first entry, which carries the request. Logs read newest first (gcloud logging
	 * read, entries.list with timestamp desc) bring the last entry first: hold it until its
	 * first entry arrives, its input moved `hold` past it (above, detector_advance), or its
	 * input ends (detector_advance with INT64_MAX, detector_flush).
	 */
	if (ev->operation_id != NULL) {
		uint64_t h = tf_hash_str(ev->operation_id);

		if (ev->op_last && !ev->op_first) {
			if (tf_hset_has(&d->seen_ops, h) || pending_find(d, ev->operation_id) >= 0) {
				why = ND_DUPLICATE;
				goto done;
			}
			pending_add(d, ev, d->input)->counted = 1;
			why = ND_DEFERRED;
			goto done;
		}
		if (tf_hset_test_and_add(&d->seen_ops, h)) {
			why = ND_DUPLICATE;
			goto done;
		}
		if ((pi = pending_find(d, ev->operation_id)) >= 0) {
			/* Its last entry repeats this change: counted as a duplicate. */
			pending_recount(d, &d->pending[pi], ND_DUPLICATE);
			pending_drop(d, (size_t)pi);
		}
	}
	why = detect_resolve(d, ev, out);
done:
	d->stats.by_reason[why]++;
	return why;
}

size_t
detector_advance(struct detector *d, unsigned input, int64_t upto_ms, struct finding_list *out)
{
	return d->npending > 0 ? decide_held(d, 0, input, upto_ms, out) : 0;
}

size_t
detector_flush(struct detector *d, struct finding_list *out)
{
	return d->npending > 0 ? decide_held(d, 1, 0, INT64_MAX, out) : 0;
}

size_t
detector_held_count(const struct detector *d, unsigned input)
{
	size_t i, n = 0;

	for (i = 0; i < d->npending; i++)
		n += d->pending[i].input == input;
	return n;
}

char *
detector_held_save(const struct detector *d, unsigned input)
{
	json_object *doc, *arr;
	size_t i, j, n = 0;
	const struct pend **v;
	char *out;

	v = xcalloc(d->npending + 1, sizeof *v);
	for (i = 0; i < d->npending; i++)
		if (d->pending[i].input == input)
			v[n++] = &d->pending[i];
	if (n == 0) {
		free(v);
		return NULL;
	}
	/* In arrival order, so a restore holds them as they came. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1]->seq > v[j]->seq; j--) {
			const struct pend *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	doc = json_object_new_object();
	arr = json_object_new_array();
	json_object_object_add(doc, "v", json_object_new_int(1));
	for (i = 0; i < n; i++) {
		const struct event *ev = &v[i]->ev;
		json_object *o = json_object_new_object();

		/* The entry as logged, and what a collector may have changed on the event. */
		json_object_object_add(o, "entry", json_object_get(ev->raw));
		json_object_object_add(o, "id", ev->id ? json_object_new_string(ev->id) : NULL);
		json_object_object_add(o, "operation", json_object_new_string(ev->operation_id));
		json_object_object_add(o, "time_ms", json_object_new_int64(ev->time_ms));
		if (ev->origin != NULL)
			json_object_object_add(o, "origin", json_object_new_string(ev->origin));
		json_object_array_add(arr, o);
	}
	json_object_object_add(doc, "held", arr);
	out = xstrdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	free(v);
	return out;
}

int
detector_held_restore(struct detector *d, unsigned input, const char *text, char **err)
{
	json_object *doc = json_tokener_parse(text), *arr, *o, *v;
	size_t i, n;
	int got = 0;

	if (doc == NULL || !json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "held", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		json_object_put(doc);
		return tf_err(err, "held GCP operations: not a saved list (%.60s)", text);
	}
	n = json_object_array_length(arr);
	for (i = 0; i < n; i++) {
		struct event ev;
		const char *why = NULL, *s;

		memset(&ev, 0, sizeof ev);
		o = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(o, "entry", &v) || event_from_json(v, &ev, &why) != 0) {
			event_free(&ev);
			json_object_put(doc);
			return tf_err(err, "held GCP operation %zu: %s", i + 1,
			    why != NULL ? why : "no entry");
		}
		if (json_object_object_get_ex(o, "id", &v) && (s = json_object_get_string(v)) != NULL) {
			free(ev.id);
			ev.id = xstrdup(s);
		}
		if (json_object_object_get_ex(o, "operation", &v) &&
		    (s = json_object_get_string(v)) != NULL) {
			free(ev.operation_id);
			ev.operation_id = xstrdup(s);
		}
		if (json_object_object_get_ex(o, "time_ms", &v))
			ev.time_ms = json_object_get_int64(v);
		if (json_object_object_get_ex(o, "origin", &v) &&
		    (s = json_object_get_string(v)) != NULL) {
			free(ev.origin);
			ev.origin = xstrdup(s);
		}
		if (ev.operation_id == NULL || !ev.op_last || ev.op_first) {
			event_free(&ev);
			json_object_put(doc);
			return tf_err(err, "held GCP operation %zu: not an operation's last entry", i + 1);
		}
		/* Already decided or held in this run: the store's copy adds nothing. */
		if (!tf_hset_has(&d->seen_ops, tf_hash_str(ev.operation_id)) &&
		    pending_find(d, ev.operation_id) < 0) {
			pending_add(d, &ev, input);
			if (ev.id != NULL)
				tf_hset_test_and_add(&d->seen_events, tf_hash_str(ev.id) ^ ev.provider);
			got++;
		}
		event_free(&ev);
	}
	json_object_put(doc);
	return got;
}
