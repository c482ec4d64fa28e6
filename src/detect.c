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
struct lifecycle;
static const struct freeze_window *freeze_at(const struct detector *d, size_t i);
static void lifecycle_event(struct detector *d, const struct event *ev, struct finding_list *out);
static void lifecycle_free(struct lifecycle *lc);
static int lifecycle_was_resolved(const struct detector *d, const char *id);
static int lifecycle_all_resolved(const struct detector *d, const char *type, const char *id);

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
	struct lifecycle *lc;        /* open findings by resource (the drift lifecycle), or NULL */
	int no_lifecycle;            /* detector_set_lifecycle(d, 0) */
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
	lifecycle_free(d->lc);
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
		if (in->state != NULL) {
			f->state_lineage = xstrdup(in->state->lineage);
			f->state_serial = in->state->serial;
		}
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

struct dres;
struct dfind;
static struct dfind *track_finding(struct detector *d, const struct finding *f,
    const struct em_entry *e, struct dres **rp);
static void lifecycle_settle(struct detector *d, struct dres *r, struct dfind *df,
    struct finding_list *out);

/* A finding is complete: rules (with the event and the state instance at hand), summary, id;
 * then tracked for its lifecycle (e: the map entry that made it, NULL for none). */
static void
finding_done(struct detector *d, const struct event *ev, const struct tf_instance *in,
    struct finding *f, const struct em_entry *e, struct finding_list *out)
{
	struct dres *r = NULL;
	struct dfind *df;

	if (d->rules != NULL)
		rules_apply(d->rules, f, in, ev);
	finding_summarize(f);
	finding_set_id(f);
	if (d->enrich != NULL)
		d->enrich(d->ix, f);
	if (lifecycle_was_resolved(d, f->id)) {
		/* Made again from an event read again (a backfill, the store's findings): it was
		 * handed out and resolved already, and stays so. */
		finding_free(f);
		return;
	}
	d->stats.findings[f->kind]++;
	df = track_finding(d, f, e, &r);
	finding_list_push(out, f);
	if (df != NULL)
		lifecycle_settle(d, r, df, out);
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

/* The attribute's value as the event logs it (a new reference), untransformed; NULL when
 * the event does not carry it. */
static json_object *
attr_event_raw(const struct em_attr *a, const struct event *ev)
{
	size_t i;

	if (a->value != NULL)
		return json_object_get(a->value);
	for (i = 0; i < a->npaths; i++) {
		json_object *v = jpath_get(a->paths[i], ev->record);

		if (v != NULL)
			return json_object_get(v);
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

/* Members of a set (array) or map (object); 0 for anything else. */
static size_t
json_count(json_object *v)
{
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v);
	if (json_object_is_type(v, json_type_object))
		return (size_t)json_object_object_length(v);
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
		json_object *nv, *ov, *delta;

		nv = attr_event_value(a, ev, &present);
		if (a->computed) {
			/* A side effect of the call, never drift; logged, so the call is known. */
			json_object_put(nv);
			present_n += present;
			continue;
		}
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
			if (val_empty(delta)) {
				json_object_put(delta);
				break;
			}
			finding_add_change(f, a->name, NULL, delta, CH_ADDED, sens);
			break;
		case EM_SET_REMOVE:
			delta = set_intersect(nv, ov);
			json_object_put(nv);
			json_object_put(ov);
			if (val_empty(delta)) {
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
			finding_done(d, ev, in, finding_new(d, ev, e, FK_DELETED, in, id, e->resource), e, out);
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
				finding_done(d, ev, in, f, e, out);
				why = ND_DRIFT;
			}
			break;
		case EM_SET_REMOVE:
			cov = covering_instance(d, e, ev);
			if (cov != NULL) {
				/* The member lived in its own resource: that resource is gone. */
				finding_done(d, ev, cov, finding_new(d, ev, e, FK_DELETED, cov, NULL, cov->type), e, out);
				why = ND_DRIFT;
				break;
			}
			f = diff_managed(d, ev, e, in, id, &touched);
			if (f != NULL) {
				finding_done(d, ev, in, f, e, out);
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
	/* Reported before, but that drift is gone (deleted again, say): made again, it is new
	 * drift, reported again. */
	if (seen && !lifecycle_all_resolved(d, e->resource, id))
		return ND_NOT_MANAGED;
	f = finding_new(d, ev, e, FK_UNMANAGED, NULL, id, e->resource);
	/* Show what the event set, so a reviewer sees the new resource's shape. */
	for (i = 0; i < e->nattrs; i++) {
		int present;
		json_object *nv;

		if (e->attrs[i].computed)
			continue;
		nv = attr_event_value(&e->attrs[i], ev, &present);
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
	finding_done(d, ev, NULL, f, e, out);
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
		finding_done(d, ev, res.in, f, NULL, out);
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
		lifecycle_event(d, &p->ev, out);
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
	/* A successful write: first what it puts back (resolutions), then what it drifts. */
	lifecycle_event(d, ev, out);
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

/* ---- drift lifecycle: which open findings hold which attribute, and what closes them ---- */

/* What must happen to one drifted attribute for its finding to resolve. */
enum da_kind {
	DA_VALUE = 0,           /* set back to `want`, the state's value (NULL: absent) */
	DA_SET_ADDED,           /* the members in `want` removed again */
	DA_SET_REMOVED,         /* the members in `want` added again */
	DA_UNKNOWN,             /* the log never says the value (redacted, masked): never back */
};

struct dattr {
	char *name;
	enum da_kind kind;
	json_object *want;      /* owned */
	int back;               /* a later event put it back */
};

struct dres;

/* An open finding the detector tracks. */
struct dfind {
	struct finding *copy;   /* handed out again, resolved, when it resolves */
	struct dattr *a;
	size_t na;
	int skip;               /* lifecycle_apply: older than the event at hand */
};

/* A successful write remembered for findings made later from older events (a log read
 * newest first): who and when, for the resolution. */
struct revt {
	int refs;               /* shared by every write it is the newest of */
	char *id, *name;
	int64_t time_ms;
	struct actor actor;
	int pipeline;
};

/* The newest value an event set on one attribute of a resource. */
struct lastw {
	char *attr;
	const struct em_attr *a;        /* the map's attribute that set it (the map outlives us) */
	json_object *raw;       /* the value as logged (a reference): transformed only if used */
	char *self_id;          /* VT_SG_RULES: the group's own id, for `self` rules */
	struct revt *ev;        /* a reference */
};

/* One resource (store_resource_key: the address, else TYPE:ID) that was written to. */
struct dres {
	char *key;
	struct dfind **v;       /* open findings, oldest first */
	size_t n, cap;
	struct lastw *lw;       /* the newest write of each attribute */
	size_t nlw;
	struct revt *del;       /* the newest successful delete (a reference), or NULL */
};

struct lifecycle {
	struct tf_hmap by_key;  /* key -> struct dres (the key is the dres's own) */
	struct tf_hset resolved;        /* ids of the findings resolved (never handed out open
	                                 * again: a backfill may read their events again) */
	struct dres **all;      /* every dres, for freeing and for state refreshes */
	size_t nall, capall;
	size_t nopen;           /* open findings tracked, over every resource */
};

/* Was the finding with this id resolved (by this detector, or given resolved)? */
static int
lifecycle_was_resolved(const struct detector *d, const char *id)
{
	return d->lc != NULL && d->lc->resolved.n > 0 &&
	    tf_hset_has(&d->lc->resolved, tf_hash_str(id));
}

/* Did the resource TYPE:ID have findings, all of them resolved since? */
static int
lifecycle_all_resolved(const struct detector *d, const char *type, const char *id)
{
	const struct dres *r;
	char *key;

	if (d->lc == NULL || strcmp(type, "*") == 0)
		return 0;
	key = xasprintf("%s:%s", type, id);
	r = tf_hmap_get(&d->lc->by_key, key);
	free(key);
	return r != NULL && r->n == 0;
}

static struct lifecycle *
lc_get(struct detector *d)
{
	if (d->lc == NULL)
		d->lc = xcalloc(1, sizeof *d->lc);
	return d->lc;
}

static void
dfind_free(struct dfind *df)
{
	size_t i;

	if (df == NULL)
		return;
	for (i = 0; i < df->na; i++) {
		free(df->a[i].name);
		json_object_put(df->a[i].want);
	}
	free(df->a);
	finding_free(df->copy);
	free(df);
}

static void
revt_unref(struct revt *e)
{
	if (e == NULL || --e->refs > 0)
		return;
	free(e->id);
	free(e->name);
	actor_clear(&e->actor);
	free(e);
}

static struct revt *
revt_new(const struct event *ev, int pipeline)
{
	struct revt *e = xcalloc(1, sizeof *e);

	e->refs = 1;
	e->id = xstrdup(ev->id);
	e->name = xstrdup(ev->name);
	e->time_ms = ev->time_ms;
	actor_copy(&e->actor, &ev->actor);
	e->pipeline = pipeline;
	return e;
}

/* A reference to the event being handled, made on first use (one per event, however many
 * resources and attributes remember it). */
static struct revt *
revt_of(struct revt **cur, const struct event *ev, int pipeline)
{
	if (*cur == NULL)
		*cur = revt_new(ev, pipeline);
	(*cur)->refs++;
	return *cur;
}

/* The event a revt remembers, for finding_resolve (borrows its strings). */
static struct event
revt_event(const struct revt *e)
{
	struct event ev;

	memset(&ev, 0, sizeof ev);
	ev.id = e->id;
	ev.name = e->name;
	ev.time_ms = e->time_ms;
	ev.actor = e->actor;
	return ev;
}

static void
lifecycle_free(struct lifecycle *lc)
{
	size_t i, j;

	if (lc == NULL)
		return;
	for (i = 0; i < lc->nall; i++) {
		struct dres *r = lc->all[i];

		for (j = 0; j < r->n; j++)
			dfind_free(r->v[j]);
		for (j = 0; j < r->nlw; j++) {
			free(r->lw[j].attr);
			json_object_put(r->lw[j].raw);
			free(r->lw[j].self_id);
			revt_unref(r->lw[j].ev);
		}
		free(r->lw);
		revt_unref(r->del);
		free(r->v);
		free(r->key);
		free(r);
	}
	free(lc->all);
	tf_hmap_free(&lc->by_key);
	tf_hset_free(&lc->resolved);
	free(lc);
}

/* The resource key of a finding, as store_resource_key makes it (heap; NULL for none). */
static char *
finding_key(const struct finding *f)
{
	if (f->address != NULL)
		return xstrdup(f->address);
	if (f->resource_id != NULL)
		return xasprintf("%s:%s", f->type != NULL ? f->type : "", f->resource_id);
	return NULL;
}

/* The map entry that made a finding read back from the store: by its event and type. */
static const struct em_entry *
entry_of(const struct detector *d, const struct finding *f)
{
	const struct em_entry *ents[MAX_ENTRIES];
	size_t n, i;

	if (d->map == NULL || f->event_name == NULL)
		return NULL;
	n = eventmap_lookup(d->map, f->provider, f->event_source, f->event_name, ents, MAX_ENTRIES);
	if (n > MAX_ENTRIES)
		n = MAX_ENTRIES;
	for (i = 0; i < n; i++)
		if (f->type != NULL && strcmp(ents[i]->resource, f->type) == 0)
			return ents[i];
	for (i = 0; i < n; i++)
		if (strcmp(ents[i]->resource, "*") == 0)
			return ents[i];
	return NULL;
}

static const struct em_attr *
entry_attr(const struct em_entry *e, const char *name)
{
	size_t i;

	for (i = 0; e != NULL && i < e->nattrs; i++)
		if (strcmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

/* A change whose values the log or the store does not give (redacted, masked): unknowable. */
static int
change_unknown(const struct change *c)
{
	return c->unknown_new || (c->sensitive && c->old_val == NULL && c->new_val == NULL);
}

/* The resource entry for key, made when missing. */
static struct dres *
dres_get(struct lifecycle *lc, const char *key)
{
	struct dres *r = tf_hmap_get(&lc->by_key, key);

	if (r != NULL)
		return r;
	r = xcalloc(1, sizeof *r);
	r->key = xstrdup(key);
	tf_hmap_put(&lc->by_key, r->key, r);
	if (lc->nall == lc->capall) {
		lc->capall = lc->capall ? lc->capall * 2 : 64;
		lc->all = xreallocarray(lc->all, lc->capall, sizeof *lc->all);
	}
	lc->all[lc->nall++] = r;
	return r;
}

/* Start tracking f (a copy): its drifted attributes and what puts each back. Modified findings
 * are tracked per attribute; unmanaged ones made by adding to a set by the members added;
 * every other unmanaged or deleted finding by its resource alone (a delete, a re-create).
 * Freeze violations are events, not state: never tracked. */
static struct dfind *
track_finding(struct detector *d, const struct finding *f, const struct em_entry *e,
    struct dres **rp)
{
	struct lifecycle *lc;
	struct dres *r;
	struct dfind *df;
	char *key;
	size_t i;

	if (d->no_lifecycle || f->kind == FK_FREEZE_VIOLATION || f->status == ST_RESOLVED)
		return NULL;
	if ((key = finding_key(f)) == NULL)
		return NULL;
	lc = lc_get(d);
	r = dres_get(lc, key);
	free(key);
	for (i = 0; i < r->n; i++)
		if (strcmp(r->v[i]->copy->id, f->id) == 0)
			return NULL;    /* already tracked (the store and this run both have it) */
	df = xcalloc(1, sizeof *df);
	if ((df->copy = finding_dup(f)) == NULL) {
		free(df);       /* cannot be handed out again: not tracked, stays open */
		return NULL;
	}
	if (e == NULL)
		e = entry_of(d, f);
	if (f->kind == FK_MODIFIED || (f->kind == FK_UNMANAGED && e != NULL &&
	    e->action == EM_SET_ADD)) {
		df->a = xcalloc(f->nchanges + 1, sizeof *df->a);
		for (i = 0; i < f->nchanges; i++) {
			const struct change *c = &f->changes[i];
			struct dattr *a = &df->a[df->na++];
			const struct em_attr *ea = entry_attr(e, c->attribute);

			a->name = xstrdup(c->attribute);
			if (change_unknown(c) || (ea != NULL && ea->transform == VT_REDACTED))
				a->kind = DA_UNKNOWN;
			else if (e != NULL && e->action == EM_SET_ADD) {
				a->kind = DA_SET_ADDED;
				a->want = json_object_get(c->new_val);
			} else if (e != NULL && e->action == EM_SET_REMOVE) {
				a->kind = DA_SET_REMOVED;
				a->want = json_object_get(c->old_val);
			} else {
				a->kind = DA_VALUE;
				a->want = json_object_get(c->old_val);
			}
		}
	}
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 4;
		r->v = xreallocarray(r->v, r->cap, sizeof *r->v);
	}
	r->v[r->n++] = df;
	lc->nopen++;
	if (rp != NULL)
		*rp = r;
	return df;
}

void
detector_set_lifecycle(struct detector *d, int on)
{
	d->no_lifecycle = !on;
}

void
detector_track(struct detector *d, const struct finding *f)
{
	if (f->status == ST_RESOLVED) {
		if (!d->no_lifecycle)
			tf_hset_test_and_add(&lc_get(d)->resolved, tf_hash_str(f->id));
		return;
	}
	track_finding(d, f, NULL, NULL);
}

size_t
detector_open_count(const struct detector *d)
{
	return d->lc != NULL ? d->lc->nopen : 0;
}

/* Resolve r's i-th open finding: its copy goes to out (ownership passes), it is untracked. */
static void
resolve_at(struct detector *d, struct dres *r, size_t i, enum resolution_reason why,
    const struct event *ev, int64_t at_ms, struct finding_list *out)
{
	struct dfind *df = r->v[i];

	tf_hset_test_and_add(&d->lc->resolved, tf_hash_str(df->copy->id));
	finding_resolve(df->copy, why, ev, at_ms);
	finding_list_push(out, df->copy);
	df->copy = NULL;
	dfind_free(df);
	memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof *r->v);
	r->n--;
	d->lc->nopen--;
	d->stats.resolved[why]++;
}

/* Members of `want` that `gone` (a set or map the event removed) does not take away. */
static json_object *
members_left(json_object *want, json_object *gone)
{
	json_object *out;

	if (want == NULL)
		return NULL;
	if (gone == NULL)
		return json_object_get(want);
	if (json_object_is_type(want, json_type_object)) {
		out = json_object_new_object();
		json_object_object_foreach(want, k, v) {
			json_object *g;
			const char *gs;

			if (json_object_is_type(gone, json_type_object) &&
			    json_object_object_get_ex(gone, k, &g)) {
				/* A removal naming a value removes the member only with that value. */
				gs = json_object_is_type(g, json_type_string) ? json_object_get_string(g) : NULL;
				if (gs == NULL || *gs == '\0' || val_equal(g, v))
					continue;
			}
			json_object_object_add(out, k, json_object_get(v));
		}
		return out;
	}
	return val_set_minus(want, gone);
}

/* Remember what a successful write did to r (the newest write of each attribute, the newest
 * delete), for findings made afterwards from older events (lifecycle_settle). Creates and
 * modifications only: a set's members added or removed say nothing of the whole value. */
static void
lifecycle_record(struct dres *r, const struct event *ev, const struct em_entry *e,
    const struct tf_instance *in, int pipeline, struct revt **cur)
{
	size_t k, j;

	if (ev->time_ms == 0)
		return;
	if (e->action == EM_DELETE) {
		if (r->del == NULL || ev->time_ms >= r->del->time_ms) {
			revt_unref(r->del);
			r->del = revt_of(cur, ev, pipeline);
		}
		return;
	}
	if (e->action != EM_CREATE && e->action != EM_MODIFY)
		return;
	for (k = 0; k < e->nattrs; k++) {
		const struct em_attr *a = &e->attrs[k];
		json_object *raw;

		if (a->computed || a->transform == VT_REDACTED)
			continue;
		if ((raw = attr_event_raw(a, ev)) == NULL)
			continue;
		for (j = 0; j < r->nlw && strcmp(r->lw[j].attr, a->name) != 0; j++)
			;
		if (j == r->nlw) {
			r->lw = xreallocarray(r->lw, r->nlw + 1, sizeof *r->lw);
			memset(&r->lw[j], 0, sizeof r->lw[j]);
			r->lw[j].attr = xstrdup(a->name);
			r->nlw++;
		}
		if (r->lw[j].ev == NULL || ev->time_ms >= r->lw[j].ev->time_ms) {
			json_object_put(r->lw[j].raw);
			r->lw[j].raw = raw;
			r->lw[j].a = a;
			free(r->lw[j].self_id);
			r->lw[j].self_id = a->transform == VT_SG_RULES && in != NULL ?
			    xstrdup(in->id) : NULL;
			revt_unref(r->lw[j].ev);
			r->lw[j].ev = revt_of(cur, ev, pipeline);
		} else
			json_object_put(raw);
	}
}

/*
 * A finding just made from an event older than writes already seen on its resource (a log
 * read newest first): resolved at once when those later writes put it back (every attribute
 * it drifted, newest write equal to state's value), or a later delete closes it as
 * lifecycle_apply would have. The resolution names that later event.
 */
static void
lifecycle_settle(struct detector *d, struct dres *r, struct dfind *df, struct finding_list *out)
{
	int64_t t = df->copy->event_time_ms;
	const struct revt *by = NULL;
	struct event ev;
	size_t i, j;
	int all;

	if (t == 0 || r == NULL)
		return;
	for (i = 0; i < r->n && r->v[i] != df; i++)
		;
	if (i == r->n)
		return;
	if (r->del != NULL && r->del->time_ms > t &&
	    (r->del->pipeline || df->copy->kind == FK_UNMANAGED)) {
		ev = revt_event(r->del);
		resolve_at(d, r, i, r->del->pipeline ? RR_RESOURCE_GONE : RR_REVERTED_BY_HAND, &ev,
		    r->del->time_ms, out);
		return;
	}
	all = df->na > 0;
	for (j = 0; j < df->na && all; j++) {
		const struct dattr *da = &df->a[j];
		size_t k;

		all = 0;
		if (da->kind != DA_VALUE)
			break;
		for (k = 0; k < r->nlw; k++) {
			const struct lastw *lw = &r->lw[k];

			json_object *nv;

			if (lw->ev == NULL || strcmp(lw->attr, da->name) != 0 || lw->ev->time_ms <= t)
				continue;
			nv = val_from_event(lw->a->transform, lw->raw);
			if (lw->self_id != NULL)
				nv = sg_self(nv, lw->self_id);
			if (val_equal(nv, da->want)) {
				all = 1;
				if (by == NULL || lw->ev->time_ms > by->time_ms)
					by = lw->ev;
			}
			json_object_put(nv);
		}
	}
	if (!all || by == NULL)
		return;
	ev = revt_event(by);
	resolve_at(d, r, i, by->pipeline ? RR_REVERTED_BY_TERRAFORM : RR_REVERTED_BY_HAND, &ev,
	    by->time_ms, out);
}

/* One successful write event on a tracked resource: which of its findings it puts back. */
static void
lifecycle_apply(struct detector *d, const struct event *ev, const struct em_entry *e,
    const char *key, const struct tf_instance *in, int pipeline, struct revt **cur,
    struct finding_list *out)
{
	struct lifecycle *lc = lc_get(d);
	struct dres *r;
	enum resolution_reason by = pipeline ? RR_REVERTED_BY_TERRAFORM : RR_REVERTED_BY_HAND;
	size_t i, j, k;

	/* Every write is remembered (cheaply: the logged value and one shared reference to the
	 * event), whether or not anything is open: a log read newest first brings the revert
	 * before the drift it reverts. */
	r = dres_get(lc, key);
	lifecycle_record(r, ev, e, in, pipeline, cur);
	if (r->n == 0)
		return;
	/* A call logged before a finding's own event cannot put it back (a log read newest
	 * first brings it earlier): those findings are not touched. */
	for (i = 0; i < r->n; i++)
		r->v[i]->skip = ev->time_ms != 0 && r->v[i]->copy->event_time_ms > ev->time_ms;
	if (e->action == EM_DELETE) {
		/* Terraform destroying it closes everything; anyone else deleting a resource that
		 * was made out of band reverts that (a managed one's deletion is drift itself). */
		for (i = 0; i < r->n;) {
			if (r->v[i]->skip)
				i++;
			else if (pipeline)
				resolve_at(d, r, i, RR_RESOURCE_GONE, ev, ev->time_ms, out);
			else if (r->v[i]->copy->kind == FK_UNMANAGED)
				resolve_at(d, r, i, RR_REVERTED_BY_HAND, ev, ev->time_ms, out);
			else
				i++;
		}
		return;
	}
	if (e->action == EM_CREATE)
		for (i = 0; i < r->n;) {
			if (!r->v[i]->skip && r->v[i]->copy->kind == FK_DELETED)
				resolve_at(d, r, i, by, ev, ev->time_ms, out);
			else
				i++;
		}
	for (k = 0; k < e->nattrs; k++) {
		const struct em_attr *a = &e->attrs[k];
		json_object *nv;
		int present;

		if (a->computed || a->transform == VT_REDACTED)
			continue;
		nv = attr_event_value(a, ev, &present);
		if (!present) {
			json_object_put(nv);
			continue;
		}
		if (a->transform == VT_SG_RULES && in != NULL)
			nv = sg_self(nv, in->id);
		for (i = 0; i < r->n; i++) {
			struct dfind *df = r->v[i];

			for (j = 0; j < df->na && !df->skip; j++) {
				struct dattr *da = &df->a[j];
				json_object *left;

				if (strcmp(da->name, a->name) != 0)
					continue;
				switch (da->kind) {
				case DA_VALUE:
					if (e->action == EM_CREATE || e->action == EM_MODIFY)
						da->back = val_equal(nv, da->want);
					break;
				case DA_SET_ADDED:
				case DA_SET_REMOVED:
					if (e->action != (da->kind == DA_SET_ADDED ? EM_SET_REMOVE :
					    EM_SET_ADD))
						break;
					left = members_left(da->want, nv);
					json_object_put(da->want);
					da->want = left;
					da->back = val_empty(left);
					break;
				case DA_UNKNOWN:
					break;
				}
			}
		}
		json_object_put(nv);
	}
	/* A finding resolves when every attribute it drifted is back; partly is still open.
	 * Oldest first, so resolutions come out in the order the findings did. */
	for (i = 0; i < r->n;) {
		struct dfind *df = r->v[i];
		int all = df->na > 0 && !df->skip;

		for (j = 0; j < df->na && all; j++)
			all = df->a[j].back;
		if (all)
			resolve_at(d, r, i, by, ev, ev->time_ms, out);
		else
			i++;
	}
}

/* A successful write event: the tracked findings of the resources it names, as resolve_map
 * picks them (the first entry that finds any in state; else the first that names one). */
static void
lifecycle_event(struct detector *d, const struct event *ev, struct finding_list *out)
{
	const struct em_entry *ents[MAX_ENTRIES], *first = NULL;
	const struct tf_instance *ins[MAX_MATCH];
	char *ids[MAX_IDS], *fids[MAX_IDS], *key;
	const char *prov = tf_provider_name(ev->provider);
	size_t nent, ne, nf = 0, i, j, k, n;
	int pipeline, handled = 0;
	struct revt *cur = NULL;

	if (d->no_lifecycle || d->map == NULL)
		return;
	nent = eventmap_lookup(d->map, ev->provider, ev->source, ev->name, ents, MAX_ENTRIES);
	if (nent > MAX_ENTRIES)
		nent = MAX_ENTRIES;
	if (nent == 0)
		return;
	pipeline = is_pipeline(d, ev);
	for (i = 0; i < nent && !handled; i++) {
		const char *type = strcmp(ents[i]->resource, "*") == 0 ? NULL : ents[i]->resource;

		ne = entry_ids(ents[i], ev, prov, ids, MAX_IDS);
		for (j = 0; j < ne && d->ix != NULL && !handled; j++)
			handled = state_index_find(d->ix, prov, ids[j], type, ins, MAX_MATCH) > 0;
		if (handled) {
			for (j = 0; j < ne; j++) {
				n = d->ix != NULL ? state_index_find(d->ix, prov, ids[j], type, ins,
				    MAX_MATCH) : 0;
				if (n > MAX_MATCH)
					n = MAX_MATCH;
				for (k = 0; k < n; k++)
					lifecycle_apply(d, ev, ents[i], ins[k]->address, ins[k], pipeline,
					    &cur, out);
				if (n == 0 && type != NULL) {
					key = xasprintf("%s:%s", type, ids[j]);
					lifecycle_apply(d, ev, ents[i], key, NULL, pipeline, &cur, out);
					free(key);
				}
			}
		} else if (first == NULL && ne > 0 && type != NULL) {
			first = ents[i];
			for (j = 0; j < ne; j++)
				fids[j] = xstrdup(ids[j]);
			nf = ne;
		}
		for (j = 0; j < ne; j++)
			free(ids[j]);
	}
	for (j = 0; j < nf; j++) {
		if (!handled) {
			key = xasprintf("%s:%s", first->resource, fids[j]);
			lifecycle_apply(d, ev, first, key, NULL, pipeline, &cur, out);
			free(key);
		}
		free(fids[j]);
	}
	revt_unref(cur);
}

/* The states of ix by lineage, each with an address -> instance map built on first use. */
struct newer_states {
	const struct state_index *ix;
	struct tf_hmap *addr;   /* per state of ix, built lazily */
	size_t n;
};

static const struct tf_state *
newer_state(struct newer_states *ns, const char *lineage, uint64_t serial, size_t *which)
{
	const struct tf_state *best = NULL;
	size_t i;

	for (i = 0; i < ns->n; i++) {
		const struct tf_state *st = state_index_state(ns->ix, i);

		if (st->lineage == NULL || strcmp(st->lineage, lineage) != 0 || st->serial <= serial)
			continue;
		if (best == NULL || st->serial > best->serial) {
			best = st;
			*which = i;
		}
	}
	return best;
}

static const struct tf_instance *
state_instance(struct newer_states *ns, size_t which, const char *address)
{
	struct tf_hmap *m = &ns->addr[which];

	if (m->cap == 0) {
		const struct tf_state *st = state_index_state(ns->ix, which);
		size_t i;

		for (i = 0; i < st->ninst; i++)
			if (st->inst[i].deposed == NULL)
				tf_hmap_put(m, st->inst[i].address, &st->inst[i]);
		if (m->cap == 0)
			tf_hmap_put(m, "", NULL);     /* built, empty */
	}
	return tf_hmap_get(m, address);
}

/* Does the newer state hold every change of f (the new value, the members added, not the
 * members removed)? Unknowable values (redacted, masked) never do. */
static int
state_holds(const struct detector *d, const struct finding *f, const struct tf_instance *in)
{
	const struct em_entry *e = entry_of(d, f);
	size_t i;

	if (f->nchanges == 0)
		return 0;       /* only "touched": nothing to compare */
	for (i = 0; i < f->nchanges; i++) {
		const struct change *c = &f->changes[i];
		const struct em_attr *a = entry_attr(e, c->attribute);
		enum val_transform t = a != NULL ? a->state_transform : VT_JSON;
		json_object *sv, *rest;
		int ok;

		if (change_unknown(c) || t == VT_REDACTED)
			return 0;
		sv = val_from_state(t, tfstate_attr(in, c->attribute));
		if (t == VT_SG_RULES)
			sv = sg_self(sv, in->id);
		if (e != NULL && e->action == EM_SET_ADD) {
			rest = val_set_minus(c->new_val, sv);
			ok = val_empty(rest);
			json_object_put(rest);
		} else if (e != NULL && e->action == EM_SET_REMOVE) {
			/* None of the members removed is back in state. */
			rest = val_set_minus(c->old_val, sv);
			ok = json_count(rest) == json_count(c->old_val);
			json_object_put(rest);
		} else
			ok = val_equal(c->new_val, sv);
		json_object_put(sv);
		if (!ok)
			return 0;
	}
	return 1;
}

/* Decide f against ns: 1, *why and *by (the state that decided it) when a newer state
 * accepted it or lost its resource. */
static int
evaluate(const struct detector *d, struct newer_states *ns, const struct finding *f,
    enum resolution_reason *why, const struct tf_state **by)
{
	const struct tf_instance *ins[1], *in;
	const struct tf_state *st;
	size_t which = 0;

	if (f->status == ST_RESOLVED || f->kind == FK_FREEZE_VIOLATION)
		return 0;
	if (f->kind == FK_UNMANAGED) {
		/* Imported, or created by Terraform since: a state manages it now. */
		if (f->resource_id == NULL || f->type == NULL)
			return 0;
		if (state_index_find(ns->ix, tf_provider_name(f->provider), f->resource_id, f->type,
		    ins, 1) == 0)
			return 0;
		*why = RR_ACCEPTED_IN_STATE;
		*by = ins[0]->state;
		return 1;
	}
	if (f->state_lineage == NULL || f->address == NULL ||
	    (st = newer_state(ns, f->state_lineage, f->state_serial, &which)) == NULL)
		return 0;
	*by = st;
	if ((in = state_instance(ns, which, f->address)) == NULL) {
		*why = RR_RESOURCE_GONE;
		return 1;
	}
	if (f->kind == FK_MODIFIED && state_holds(d, f, in)) {
		*why = RR_ACCEPTED_IN_STATE;
		return 1;
	}
	return 0;
}

/* A resolution by a state names it: where it was read and its serial. */
static void
resolved_by_state(struct finding *f, const struct tf_state *st)
{
	if (f->resolution == NULL || st == NULL || st->source == NULL)
		return;
	free(f->resolution->state_path);
	f->resolution->state_path = xstrdup(st->source);
	f->resolution->state_serial = st->serial;
}

static void
newer_states_init(struct newer_states *ns, const struct state_index *ix)
{
	ns->ix = ix;
	ns->n = state_index_nstates(ix);
	ns->addr = xcalloc(ns->n + 1, sizeof *ns->addr);
}

static void
newer_states_free(struct newer_states *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		tf_hmap_free(&ns->addr[i]);
	free(ns->addr);
}

size_t
detector_reevaluate(const struct detector *d, const struct state_index *ix, struct finding **fv,
    size_t n, int64_t at_ms)
{
	struct newer_states ns;
	enum resolution_reason why;
	const struct tf_state *by = NULL;
	size_t i, got = 0;

	if (ix == NULL || n == 0)
		return 0;
	newer_states_init(&ns, ix);
	for (i = 0; i < n; i++)
		if (evaluate(d, &ns, fv[i], &why, &by)) {
			finding_resolve(fv[i], why, NULL, at_ms);
			resolved_by_state(fv[i], by);
			got++;
		}
	newer_states_free(&ns);
	return got;
}

size_t
detector_refresh(struct detector *d, struct state_index *ix, int64_t at_ms,
    struct finding_list *out)
{
	struct newer_states ns;
	enum resolution_reason why;
	const struct tf_state *by = NULL;
	size_t i, j, before = out->n;

	detector_set_index(d, ix);
	if (ix == NULL || d->lc == NULL || d->lc->nopen == 0)
		return 0;
	newer_states_init(&ns, ix);
	for (i = 0; i < d->lc->nall; i++) {
		struct dres *r = d->lc->all[i];

		for (j = 0; j < r->n;) {
			if (evaluate(d, &ns, r->v[j]->copy, &why, &by)) {
				resolve_at(d, r, j, why, NULL, at_ms, out);
				resolved_by_state(out->v[out->n - 1], by);
			} else
				j++;
		}
	}
	newer_states_free(&ns);
	return out->n - before;
}
