/* detect: one audit event against the state index → zero or more findings, or the reason it is
 * not drift. Owned by one thread (the engine); the state index is shared read-only. */
#include "config.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <sys/types.h>
#include <string.h>

#include "detect.h"
#include "idset.h"
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

/* The last state lookups by id (entry_find), a few thousand: writes come back to the same
 * resources (an apply, a script, an incident), and a lookup in a large state's index is a
 * cache and TLB miss each time (a third of the lifecycle's cost on the 100k-resource bench).
 * Cleared whenever the index changes. */
#define FIND_MEMO 2048          /* a power of two */
#define FIND_MEMO_MAX 2         /* instances a remembered answer holds at most */
struct find_memo {
	uint64_t h;
	char *id, *type;        /* NULL id: empty slot */
	const char *prov;       /* tf_provider_name's: compared by address */
	size_t n;
	const struct tf_instance *ins[FIND_MEMO_MAX];
};

struct detector {
	const struct eventmap *map;
	struct state_index *ix;
	struct find_memo *memo;         /* FIND_MEMO slots, made on first use */
	const struct conf *conf;
	/* Bounded (idset.h): a long-running watch forgets the oldest ids first. */
	struct tf_idset *seen_events;
	struct tf_idset *seen_ops;
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
	const struct jpath *part;    /* detect_parts: the `each` list of the part at hand, or NULL */
	size_t part_no;              /* and its number (1, 2, ...; 0 for the whole event) */
	struct tf_hmap sgr_notes;    /* security-group rules no rule resource holds, by group,
	                              * direction and rule -> struct sgr_note */
	struct sgr_note **sgr_nv;    /* the notes (owned) */
	size_t nsgr_nv, capsgr_nv;
	/* detect_event's look-ups of the write at hand, made once for the lifecycle and detection
	 * (look_name NULL: none): the map's entries for its name, and whether the pipeline made it.
	 * Its parts (detect_parts) share its name and source strings. */
	const char *look_name, *look_source;
	enum tf_provider look_prov;
	const struct em_entry *look_all[MAX_ENTRIES];
	size_t look_n;
	int look_pipeline;
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
	d->seen_events = tf_idset_new(tf_idset_cap_for(TF_IDSET_DEFAULT_CAP));
	d->seen_ops = tf_idset_new(tf_idset_cap_for(TF_IDSET_DEFAULT_CAP));
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

static void
memo_clear(struct detector *d)
{
	if (d->memo == NULL)
		return;
	for (size_t i = 0; i < FIND_MEMO; i++) {
		free(d->memo[i].id);
		free(d->memo[i].type);
	}
	free(d->memo);
	d->memo = NULL;
}

void
detector_set_index(struct detector *d, struct state_index *ix)
{
	memo_clear(d);
	if (ix != NULL)
		state_index_ref(ix);
	if (d->ix != NULL)
		state_index_unref(d->ix);
	d->ix = ix;
}

static void sgr_notes_free(struct detector *d);

void
detector_free(struct detector *d)
{
	if (d == NULL)
		return;
	if (d->ix != NULL)
		state_index_unref(d->ix);
	memo_clear(d);
	tf_idset_free(d->seen_events);
	tf_idset_free(d->seen_ops);
	tf_hset_free(&d->unmanaged);
	for (size_t i = 0; i < d->npending; i++)
		event_free(&d->pending[i].ev);
	free(d->pending);
	freeze_windows_free(d->extra_freezes, d->nextra_freezes);
	rules_unref(d->rules);
	lifecycle_free(d->lc);
	sgr_notes_free(d);
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

/* The event at hand (or one of its parts) is detect_event's, whose look-ups are made? */
static int
looked_up(const struct detector *d, const struct event *ev)
{
	return d->look_name != NULL && d->look_name == ev->name && d->look_source == ev->source &&
	    d->look_prov == ev->provider;
}

/* is_pipeline, made once per event. */
static int
event_pipeline(const struct detector *d, const struct event *ev)
{
	return looked_up(d, ev) ? d->look_pipeline : is_pipeline(d, ev);
}

/* The map's entries for the event's name (eventmap_lookup), made once per event. */
static size_t
map_lookup(const struct detector *d, const struct event *ev, const struct em_entry **all)
{
	size_t n;

	if (looked_up(d, ev)) {
		memcpy(all, d->look_all, d->look_n * sizeof *all);
		return d->look_n;
	}
	n = eventmap_lookup(d->map, ev->provider, ev->source, ev->name, all, MAX_ENTRIES);
	return n > MAX_ENTRIES ? MAX_ENTRIES : n;
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

/* gcp_names callbacks: what the state says a project number or a service account is. */
static char *
state_project_id(void *ctx, const char *number)
{
	const struct state_index *ix = ctx;
	const struct tf_instance *in[1];
	json_object *v;

	if (ix == NULL || state_index_find(ix, "gcp", number, "google_project", in, 1) == 0)
		return NULL;
	v = tfstate_attr(in[0], "project_id");
	if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0)
		return xstrdup(json_object_get_string(v));
	return NULL;
}

static char *
state_service_account(void *ctx, const char *key)
{
	const struct state_index *ix = ctx;
	const struct tf_instance *in[1];

	if (ix == NULL ||
	    state_index_find(ix, "gcp", key, "google_service_account", in, 1) == 0 ||
	    in[0]->id == NULL || strncmp(in[0]->id, "projects/", 9) != 0)
		return NULL;
	return xstrdup(in[0]->id);
}

/* One id value as the entry names resources: normalized (GCP names as Terraform's ids, ix
 * the state that knows project numbers and service accounts, or NULL), then the entry's
 * id_glob, id_transform and id_prefix; `part` for a part of a composite id (its transform
 * only). NULL when it names nothing. */
static char *
id_transform(const struct em_entry *e, const char *prov, json_object *v, const struct event *ev,
    const struct state_index *ix, int part)
{
	const struct gcp_names names = { state_project_id, state_service_account, (void *)ix };
	const char *s;
	char *norm, *gn;

	if (v == NULL)
		return NULL;
	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int))
		return NULL;
	s = json_object_get_string(v);
	if (s == NULL || *s == '\0')
		return NULL;
	norm = state_index_norm_value(prov, s);
	/* GCP names by project number and service accounts by unique id, as Terraform's ids. */
	if (ev != NULL && ev->provider == PROV_GCP &&
	    (gn = gcp_name_normalize(ev, norm, &names)) != NULL) {
		free(norm);
		norm = gn;
	}
	if (!part && e->id_glob != NULL && fnmatch(e->id_glob, norm, FNM_PATHNAME) != 0) {
		free(norm);
		return NULL;    /* a name of another shape (a folder's, not a project's) */
	}
	if (e->id_transform == EMID_BASENAME) {
		const char *slash = strrchr(norm, '/');

		if (slash != NULL && slash[1] != '\0') {
			char *b = xstrdup(slash + 1);

			free(norm);
			norm = b;
		}
	}
	if (!part && e->id_prefix != NULL && strncmp(norm, e->id_prefix, strlen(e->id_prefix)) != 0) {
		char *p = xasprintf("%s%s", e->id_prefix, norm);

		free(norm);
		norm = p;
	}
	return norm;
}

/* A composite id: every part's value, each reduced by the entry's id transform, joined by
 * the separator; NULL when a part names nothing. */
static char *
join_id(const struct em_entry *e, const struct em_join *j, const char *prov,
    const struct event *ev, const struct state_index *ix)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; i < j->nparts; i++) {
		char *part = id_transform(e, prov, jpath_get(j->parts[i], ev->record), ev, ix, 1);

		if (part == NULL) {
			sb_free(&sb);
			return NULL;
		}
		if (i > 0)
			sb_adds(&sb, j->sep);
		sb_adds(&sb, part);
		free(part);
	}
	return sb_detach(&sb);
}

/* id_via: an id naming a resource of e->via_resource in state (a KMS alias) stands for that
 * resource's e->via_attr (the key it targets). Takes id; returns the id to use. */
static char *
id_via(const struct em_entry *e, const struct state_index *ix, const char *prov, char *id)
{
	const struct tf_instance *in[2];
	json_object *v;
	const char *s;

	if (e->via_resource == NULL || ix == NULL ||
	    state_index_find(ix, prov, id, e->via_resource, in, 2) != 1)
		return id;
	v = tfstate_attr(in[0], e->via_attr);
	if (v == NULL || !json_object_is_type(v, json_type_string) ||
	    (s = json_object_get_string(v)) == NULL || *s == '\0')
		return id;
	free(id);
	return state_index_norm_value(prov, s);
}

/* Resource ids named by an entry, in order, without duplicates. */
static size_t
entry_ids(const struct em_entry *e, const struct event *ev, const char *prov,
    const struct state_index *ix, char **ids, size_t max)
{
	json_object *vals[MAX_IDS];
	size_t n = 0, i, j, k, cnt;

	if (e->nidm > 0) {
		/* A composite id: found by its parts (entry_find), reported in Terraform's form. */
		if (max > 0 && (ids[0] = eventmap_match_id(e, ev->record)) != NULL)
			n = 1;
		return n;
	}
	for (i = 0; i < e->nid_paths && n < max; i++) {
		if (e->id_joins != NULL && e->id_joins[i].nparts > 0) {
			if ((ids[n] = join_id(e, &e->id_joins[i], prov, ev, ix)) != NULL)
				return n + 1;   /* the first element that names something wins */
			continue;
		}
		cnt = jpath_all(e->id_paths[i], ev->record, vals, MAX_IDS);
		if (cnt > MAX_IDS)
			cnt = MAX_IDS;
		for (j = 0; j < cnt && n < max; j++) {
			char *id = id_transform(e, prov, vals[j], ev, ix, 0);

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

/* state_index_find through the detector's memo (FIND_MEMO). */
static size_t
memo_find(const struct detector *d, const char *prov, const char *id, const char *type,
    const struct tf_instance **ins, size_t max)
{
	struct find_memo *m;
	/* The type and provider by address (map entries' strings, tf_provider_name's): an equal
	 * string elsewhere only misses the memo, the comparison below is by content. */
	uint64_t h = tf_hash_mem(id) ^ ((uint64_t)(uintptr_t)type * 0x9e3779b97f4a7c15ULL) ^
	    (uint64_t)(uintptr_t)prov;
	size_t n, i;

	if (d->memo == NULL)    /* a cache: made on first use, even through a const detector */
		((struct detector *)d)->memo = xcalloc(FIND_MEMO, sizeof *d->memo);
	m = &d->memo[(h ^ (h >> 29)) & (FIND_MEMO - 1)];
	if (m->id != NULL && m->h == h && m->prov == prov && max >= m->n &&
	    strcmp(m->id, id) == 0 &&
	    (type == NULL ? m->type == NULL : m->type != NULL && strcmp(m->type, type) == 0)) {
		for (i = 0; i < m->n; i++)
			ins[i] = m->ins[i];
		return m->n;
	}
	n = state_index_find(d->ix, prov, id, type, ins, max);
	if (n > FIND_MEMO_MAX || n > max)
		return n;       /* many instances (or more than asked for): not remembered */
	free(m->id);
	free(m->type);
	m->h = h;
	m->id = xstrdup(id);
	m->type = type != NULL ? xstrdup(type) : NULL;
	m->prov = prov;
	m->n = n;
	for (i = 0; i < n; i++)
		m->ins[i] = ins[i];
	return n;
}

/* Instances of `type` (any when NULL) that entry e's resource id names: by id and the state keys,
 * or for an id_match entry by every attribute it matches (as DNS names compare). */
static size_t
entry_find(const struct detector *d, const struct em_entry *e, const struct event *ev,
    const char *prov, const char *id, const char *type, const struct tf_instance **ins, size_t max)
{
	const char *attrs[EM_MAX_ID_MATCH], *vals[EM_MAX_ID_MATCH];
	size_t i;

	if (d->ix == NULL)
		return 0;
	if (e->nidm == 0)
		return memo_find(d, prov, id, type, ins, max);
	for (i = 0; i < e->nidm && i < EM_MAX_ID_MATCH; i++) {
		attrs[i] = e->idm[i].attr;
		vals[i] = eventmap_match_value(e, i, ev->record);
	}
	return state_index_match_fold(d->ix, e->resource, attrs, vals, i, ins, max);
}

/* Is the `each` list of an entry the one of the part at hand (both none, or the same path)? */
static int
same_each(const struct jpath *a, const struct jpath *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(jpath_expr(a), jpath_expr(b)) == 0;
}

static size_t lookup_entries(const struct detector *d, const struct event *ev,
    const struct em_entry **ents, size_t *mapped);
static char *part_key(struct detector *d, const struct event *ev, int any_type);

/* One part of an event (detect_parts): the event, or a copy sharing its strings whose record
 * has the list narrowed to one element. */
struct part {
	const struct jpath *list;       /* NULL: the whole event */
	json_object *record;            /* owned when list != NULL */
	int skip;
};

/*
 * The parts of an event that the map decides one by one. Most events are one part. An event
 * whose entries take the elements of a list one at a time (`each`: a batch of record changes)
 * is the whole event for its other entries, then one part per element of each list, seen as the
 * event with the list holding that element alone. A delete and a create of one resource in the
 * same batch replace it: the delete part is skipped (the create compares the result). fn runs
 * on each part with d->part set; returns how many parts ran.
 */
static size_t
detect_parts(struct detector *d, const struct event *ev,
    void (*fn)(struct detector *d, const struct event *ev, void *ctx), void *ctx)
{
	const struct em_entry *all[MAX_ENTRIES], *pe[MAX_ENTRIES];
	const struct jpath *lists[MAX_ENTRIES];
	struct part *parts;
	char **keys;
	size_t n, i, j, k, nl = 0, np = 0, ran = 0;
	int whole = 0, *what;
	const struct jpath *saved = d->part;
	size_t saved_no = d->part_no;

	n = map_lookup(d, ev, all);
	for (i = 0; i < n; i++) {
		if (all[i]->each == NULL) {
			whole = 1;
			continue;
		}
		for (j = 0; j < nl && !same_each(lists[j], all[i]->each); j++)
			;
		if (j == nl)
			lists[nl++] = all[i]->each;
	}
	d->part = NULL;
	d->part_no = 0;
	if (nl == 0 || whole) {
		fn(d, ev, ctx);
		ran++;
	}
	if (nl == 0) {
		d->part = saved;
		d->part_no = saved_no;
		return ran;
	}
	parts = xcalloc(MAX_IDS, sizeof *parts);
	for (i = 0; i < nl && np < MAX_IDS; i++) {
		json_object *elems[MAX_IDS];
		size_t ne = jpath_all(lists[i], ev->record, elems, MAX_IDS);

		for (j = 0; j < ne && j < MAX_IDS && np < MAX_IDS; j++) {
			parts[np].list = lists[i];
			parts[np].record = jpath_narrow(lists[i], ev->record, elems[j]);
			np++;
		}
	}
	/* Deletes replaced by a create of the same resource in the batch: what[k] is 0 for a
	 * part no entry takes, 1 for a delete, 2 for anything else; resource keys are looked up
	 * only when the batch has both. */
	keys = xcalloc(np + 1, sizeof *keys);
	what = xcalloc(np + 1, sizeof *what);
	for (k = 0, i = 0, j = 0; k < np; k++) {
		struct event sub = *ev;

		sub.record = parts[k].record;
		d->part = parts[k].list;
		if (lookup_entries(d, &sub, pe, NULL) == 0)
			continue;
		what[k] = pe[0]->action == EM_DELETE ? 1 : 2;
		i += what[k] == 1;
		j += what[k] == 2;
	}
	for (k = 0; i > 0 && j > 0 && k < np; k++) {
		struct event sub = *ev;

		sub.record = parts[k].record;
		d->part = parts[k].list;
		if (what[k] != 0)
			keys[k] = part_key(d, &sub, 0);
	}
	for (k = 0; k < np; k++)
		for (j = 0; what[k] == 1 && keys[k] != NULL && j < np && !parts[k].skip; j++)
			parts[k].skip = what[j] == 2 && keys[j] != NULL &&
			    strcmp(keys[j], keys[k]) == 0;
	/* Numbered (finding ids) only when the event has several parts: one part alone is the
	 * event, with the event's finding ids. */
	for (k = 0, j = ran; k < np; k++)
		j += !parts[k].skip;
	for (k = 0; k < np; k++) {
		struct event sub = *ev;

		free(keys[k]);
		if (!parts[k].skip) {
			sub.record = parts[k].record;
			d->part = parts[k].list;
			d->part_no = j > 1 ? k + 1 : 0;
			fn(d, &sub, ctx);
			ran++;
		}
		json_object_put(parts[k].record);
	}
	free(keys);
	free(what);
	free(parts);
	d->part = saved;
	d->part_no = saved_no;
	return ran;
}

/* entry_ids, with ids that name an id_via resource replaced by what it stands for. */
static size_t
entry_ids_ix(const struct em_entry *e, const struct event *ev, const char *prov,
    const struct state_index *ix, char **ids, size_t max)
{
	size_t n = entry_ids(e, ev, prov, ix, ids, max), i;

	for (i = 0; i < n; i++)
		ids[i] = id_via(e, ix, prov, ids[i]);
	return n;
}

/* The entries for an event whose `when` (and `unless`) hold and that take the part at hand
 * (detect_parts): the whole event (entries without `each`), or one element of their `each`
 * list; *mapped counts all the map has for it. */
static size_t
lookup_entries(const struct detector *d, const struct event *ev, const struct em_entry **ents,
    size_t *mapped)
{
	const struct em_entry *all[MAX_ENTRIES];
	size_t n = map_lookup(d, ev, all), i, k = 0;
	size_t m;

	for (i = 0, m = 0; i < n; i++) {
		if (!same_each(all[i]->each, d->part))
			continue;
		m++;
		if (eventmap_entry_applies(all[i], ev->record))
			ents[k++] = all[i];
	}
	if (mapped != NULL)
		*mapped = m;
	return k;
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
	if (d->part_no > 0) {
		/* One element of a batch: several may change one resource (tags added one by
		 * one), each its own finding. */
		char *s = xasprintf("%s\npart %zu", f->id, d->part_no);

		tf_sha256_hex(s, strlen(s), f->id, 32);
		free(s);
	}
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

/* One binding delta, read. */
struct iam_d {
	int add;                /* 1 ADD, 0 REMOVE */
	const char *role;       /* borrowed from the record */
	json_object *cond;      /* its condition (borrowed), or NULL */
	char *member;           /* as the provider keeps it */
	char *ckey;             /* the provider's id suffix for the condition, "" for none */
};

static json_object *iam_deltas(const struct em_entry *e, const struct event *ev);
static int iam_delta(json_object *dl, struct iam_d *o);
static void iam_d_free(struct iam_d *o);
static char *iam_cond_key(json_object *cond);

/* The state's IAM policy (a's attribute of in) with the event's binding deltas applied, as a
 * canonical policy: what an authoritative _iam_policy resource now differs by when the log
 * carries only the deltas (storage.setIamPermissions). A delta's binding is the one of its role
 * and condition (none, or the same title, description and expression). NULL, *present 0,
 * without deltas. */
static json_object *
iam_policy_apply(const struct em_entry *e, const struct event *ev,
    const struct tf_instance *in, const struct em_attr *a, int *present)
{
	json_object *dl = iam_deltas(e, ev), *pol, *binds, *out;
	size_t i, j, n;

	*present = 0;
	if (dl == NULL)
		return NULL;
	pol = val_from_state(a->state_transform, tfstate_attr(in, a->name));
	if (!json_object_is_type(pol, json_type_object)) {
		json_object_put(pol);
		pol = json_object_new_object();
	}
	if (!json_object_object_get_ex(pol, "bindings", &binds) ||
	    !json_object_is_type(binds, json_type_array)) {
		binds = json_object_new_array();
		json_object_object_add(pol, "bindings", binds);
	}
	n = json_object_array_length(dl);
	for (i = 0; i < n; i++) {
		struct iam_d dd;
		json_object *b = NULL, *mem = NULL, *r, *c;
		size_t k, nb = json_object_array_length(binds);

		if (iam_delta(json_object_array_get_idx(dl, i), &dd) < 0)
			continue;
		for (j = 0; j < nb && b == NULL; j++) {
			json_object *cand = json_object_array_get_idx(binds, j);
			char *ck;

			if (!json_object_object_get_ex(cand, "role", &r) ||
			    strcmp(json_object_get_string(r), dd.role) != 0)
				continue;
			ck = iam_cond_key(json_object_object_get_ex(cand, "condition", &c) ? c : NULL);
			if (strcmp(ck, dd.ckey) == 0)
				b = cand;
			free(ck);
		}
		if (b == NULL && dd.add) {
			b = json_object_new_object();
			json_object_object_add(b, "role", json_object_new_string(dd.role));
			if (dd.cond != NULL)
				json_object_object_add(b, "condition", json_object_get(dd.cond));
			json_object_array_add(binds, b);
		}
		if (b != NULL && (!json_object_object_get_ex(b, "members", &mem) ||
		    !json_object_is_type(mem, json_type_array))) {
			mem = json_object_new_array();
			json_object_object_add(b, "members", mem);
		}
		for (k = 0; mem != NULL && k < json_object_array_length(mem); k++)
			if (strcmp(json_object_get_string(json_object_array_get_idx(mem, k)),
			    dd.member) == 0)
				break;
		if (dd.add && mem != NULL && k == json_object_array_length(mem))
			json_object_array_add(mem, json_object_new_string(dd.member));
		else if (!dd.add && mem != NULL && k < json_object_array_length(mem))
			json_object_array_del_idx(mem, k, 1);
		iam_d_free(&dd);
	}
	/* A role left without members is no binding. */
	for (j = json_object_array_length(binds); j-- > 0;) {
		json_object *mem;

		if (json_object_object_get_ex(json_object_array_get_idx(binds, j), "members", &mem) &&
		    json_object_is_type(mem, json_type_array) && json_object_array_length(mem) == 0)
			json_object_array_del_idx(binds, j, 1);
	}
	out = val_from_event(a->transform, pol);
	json_object_put(pol);
	*present = 1;
	return out;
}

/* A constant `value: ""`: the call leaves the attribute with no value (DeleteBucketPolicy,
 * DeleteBucketLifecycle: state then holds "", null, [] or {}). */
static int
none_const(const struct em_attr *a)
{
	return a->value != NULL && json_object_is_type(a->value, json_type_string) &&
	    json_object_get_string_len(a->value) == 0;
}

static int
val_none(json_object *v)
{
	return v == NULL || val_empty(v) ||
	    (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0);
}

/* The keys a `keys:` path list names (arrays of strings, or one string), into out (an object
 * used as a set: key -> true). */
static void
keys_named(struct jpath **paths, size_t n, json_object *rec, json_object *out)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		json_object *v = jpath_get(paths[i], rec);

		if (v == NULL)
			continue;
		if (json_object_is_type(v, json_type_string)) {
			json_object_object_add(out, json_object_get_string(v), json_object_new_boolean(1));
			continue;
		}
		if (!json_object_is_type(v, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(v); j++) {
			json_object *k = json_object_array_get_idx(v, j);

			if (json_object_is_type(k, json_type_string) && json_object_get_string_len(k) > 0)
				json_object_object_add(out, json_object_get_string(k),
				    json_object_new_boolean(1));
		}
	}
}

/*
 * An attribute whose log names the keys of a map it set or removed but never their values
 * (`keys:`, GCP metadataDelta): each key set is a change NAME.KEY whose new value is not
 * logged; each key removed that state holds is a change NAME.KEY to nothing. `in` is NULL for
 * an unmanaged resource. Returns how many keys the event named (0: the call did not log it).
 */
static size_t
diff_keys(struct finding *f, const struct em_attr *a, const struct event *ev,
    const struct tf_instance *in)
{
	json_object *set = json_object_new_object(), *gone = json_object_new_object();
	json_object *st = in != NULL ? tfstate_attr(in, a->name) : NULL;
	size_t named;

	keys_named(a->keys_set, a->nkeys_set, ev->record, set);
	keys_named(a->keys_removed, a->nkeys_removed, ev->record, gone);
	named = (size_t)json_object_object_length(set) + (size_t)json_object_object_length(gone);
	{
		json_object_object_foreach(set, k, unused) {
			char *name = xasprintf("%s.%s", a->name, k);
			json_object *old = NULL;
			int sens = a->sensitive || (in != NULL && tfstate_is_sensitive(in, name));

			(void)unused;
			if (st != NULL && json_object_is_type(st, json_type_object))
				json_object_object_get_ex(st, k, &old);
			finding_add_change(f, name, sens ? NULL : json_object_get(old), NULL,
			    CH_MODIFIED, sens);
			f->changes[f->nchanges - 1].unknown_new = 1;
			free(name);
		}
	}
	{
		json_object_object_foreach(gone, k, unused) {
			char *name = xasprintf("%s.%s", a->name, k);
			json_object *old = NULL;
			int sens = a->sensitive || (in != NULL && tfstate_is_sensitive(in, name));

			(void)unused;
			if (st != NULL && json_object_is_type(st, json_type_object) &&
			    json_object_object_get_ex(st, k, &old))
				finding_add_change(f, name, sens ? NULL : json_object_get(old), NULL,
				    CH_REMOVED, sens);
			free(name);
		}
	}
	json_object_put(set);
	json_object_put(gone);
	return named;
}

/*
 * Provider-wide tags and labels. The AWS provider keeps `tags` (the configuration) and
 * `tags_all` (with the provider's default_tags); the Google provider (>= 5) `labels`,
 * `terraform_labels` (with default_labels and goog-terraform-provisioned) and
 * `effective_labels` (everything on the resource). A call is compared with the whole set: a
 * value the provider already manages is not drift. A key that only the provider-wide set holds
 * is reported on that attribute, one change per key (`tags_all.team`); the rest on `tags` /
 * `labels` as before.
 */
static const char *
wide_attr(const struct em_attr *a, const struct tf_instance *in)
{
	json_object *v;

	if (a->transform == VT_TAGS && strcmp(a->name, "tags") == 0)
		v = tfstate_attr(in, "tags_all");
	else if (a->transform == VT_LABELS && strcmp(a->name, "labels") == 0)
		v = tfstate_attr(in, "effective_labels");
	else
		return NULL;
	if (v == NULL || !json_object_is_type(v, json_type_object))
		return NULL;
	return a->transform == VT_TAGS ? "tags_all" : "effective_labels";
}

/* The attribute a provider-wide key is reported on: tags_all.K, terraform_labels.K (a default
 * label) or effective_labels.K. Heap string. */
static char *
wide_key_name(const struct tf_instance *in, const char *wide, const char *key)
{
	json_object *tl = NULL;

	if (strcmp(wide, "effective_labels") == 0 &&
	    (tl = tfstate_attr(in, "terraform_labels")) != NULL &&
	    json_object_is_type(tl, json_type_object) && json_object_object_get_ex(tl, key, NULL))
		wide = "terraform_labels";
	return xasprintf("%s.%s", wide, key);
}

static int
has_key(json_object *o, const char *k)
{
	return o != NULL && json_object_is_type(o, json_type_object) &&
	    json_object_object_get_ex(o, k, NULL);
}

/* Compare nv (the event's tags/labels) with the provider-wide set; consumes nv and ov. */
static void
diff_wide(struct finding *f, const struct em_entry *e, const struct em_attr *a,
    const struct tf_instance *in, const char *wide, json_object *nv, json_object *ov, int sens)
{
	json_object *all = val_from_state(a->state_transform, tfstate_attr(in, wide));
	json_object *cfg_new = json_object_new_object(), *cfg_old = NULL, *delta = NULL;

	if (none_const(a)) {    /* every tag or label deleted (DeleteBucketTagging) */
		json_object_put(nv);
		nv = json_object_new_object();
	}

	if (ov == NULL || !json_object_is_type(ov, json_type_object))
		ov = (json_object_put(ov), json_object_new_object());
	if (all == NULL || !json_object_is_type(all, json_type_object))
		all = (json_object_put(all), json_object_new_object());
	if (nv != NULL && !json_object_is_type(nv, json_type_object))
		nv = (json_object_put(nv), json_object_new_object());
	switch (e->action) {
	case EM_SET_ADD: {
		delta = nv != NULL ? val_set_minus(nv, all) : json_object_new_object();
		json_object_object_foreach(delta, k, v) {
			json_object *old = NULL;

			if (has_key(all, k) && !has_key(ov, k)) {
				char *name = wide_key_name(in, wide, k);

				json_object_object_get_ex(all, k, &old);
				finding_add_change(f, name, json_object_get(old), json_object_get(v),
				    CH_MODIFIED, sens);
				free(name);
			} else
				json_object_object_add(cfg_new, k, json_object_get(v));
		}
		if (!val_empty(cfg_new))
			finding_add_change(f, a->name, NULL, json_object_get(cfg_new), CH_ADDED, sens);
		break;
	}
	case EM_SET_REMOVE: {
		delta = set_intersect(nv, all);
		if (delta == NULL)
			delta = json_object_new_object();
		json_object_object_foreach(delta, k, v) {
			if (!has_key(ov, k)) {
				char *name = wide_key_name(in, wide, k);

				finding_add_change(f, name, json_object_get(v), NULL, CH_REMOVED, sens);
				free(name);
			} else
				json_object_object_add(cfg_new, k, json_object_get(v));
		}
		if (!val_empty(cfg_new))
			finding_add_change(f, a->name, json_object_get(cfg_new), NULL, CH_REMOVED, sens);
		break;
	}
	default: {
		/* The call sets the whole set. */
		if (nv == NULL || val_equal(all, nv))
			break;
		cfg_old = json_object_new_object();
		json_object_object_foreach(all, k, v) {
			json_object *now = NULL;

			if (has_key(ov, k)) {
				json_object_object_add(cfg_old, k, json_object_get(v));
				continue;
			}
			json_object_object_get_ex(nv, k, &now);
			if (now == NULL || !val_equal(now, v)) {
				char *name = wide_key_name(in, wide, k);

				finding_add_change(f, name, json_object_get(v), json_object_get(now),
				    now == NULL ? CH_REMOVED : CH_MODIFIED, sens);
				free(name);
			}
		}
		json_object_object_foreach(nv, k2, v2) {
			if (!has_key(all, k2) || has_key(ov, k2))
				json_object_object_add(cfg_new, k2, json_object_get(v2));
		}
		if (!val_equal(cfg_old, cfg_new))
			finding_add_change(f, a->name, json_object_get(ov), json_object_get(cfg_new),
			    CH_MODIFIED, sens);
		break;
	}
	}
	json_object_put(cfg_old);
	json_object_put(cfg_new);
	json_object_put(delta);
	json_object_put(all);
	json_object_put(nv);
	json_object_put(ov);
}

/* Compare the entry's attributes for a managed instance; returns the finding or NULL (equal). */
static struct finding *
diff_managed(struct detector *d, const struct event *ev, const struct em_entry *e,
    const struct tf_instance *in, const char *id, int *touched_only)
{
	struct finding *f = finding_new(d, ev, e, FK_MODIFIED, in, id, e->resource);
	size_t i, present_n = 0, pass;

	*touched_only = 0;
	/* Pass 0 every attribute but the `alone` ones; pass 1 those, when pass 0 found none. */
	for (pass = 0; pass < 2; pass++)
	for (i = 0; i < e->nattrs; i++) {
		const struct em_attr *a = &e->attrs[i];
		int present, sens;
		json_object *nv, *ov, *delta;
		const char *wide;

		if (a->alone != (int)pass || (pass == 1 && present_n > 0))
			continue;
		nv = attr_event_value(a, ev, &present);
		if (!present && e->deltas != NULL && a->transform == VT_POLICY)
			nv = iam_policy_apply(e, ev, in, a, &present);
		if (a->computed) {
			/* A side effect of the call, never drift; logged, so the call is known. */
			json_object_put(nv);
			present_n += present;
			continue;
		}
		if (a->nkeys_set > 0 || a->nkeys_removed > 0) {
			json_object_put(nv);
			present_n += diff_keys(f, a, ev, in) > 0;
			continue;
		}
		if (!present) {
			json_object_put(nv);
			continue;
		}
		present_n++;
		if (a->if_in_state && tfstate_attr(in, a->name) == NULL) {
			/* Left to the cloud by the configuration: not Terraform's to keep. */
			json_object_put(nv);
			continue;
		}
		if (a->transform == VT_SG_RULES)
			nv = sg_self(nv, in->id);
		ov = val_from_state(a->state_transform, tfstate_attr(in, a->name));
		sens = a->sensitive || tfstate_is_sensitive(in, a->name);
		if ((wide = wide_attr(a, in)) != NULL) {
			diff_wide(f, e, a, in, wide, nv, ov, sens);
			continue;
		}
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
			if (none_const(a) && val_none(nv)) {
				json_object_put(nv);
				nv = NULL;
				if (val_none(ov)) {
					json_object_put(ov);
					break;  /* already none: a revert, not a change */
				}
			}
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

/* Does the record carry an attribute of e other than the computed and `alone` ones? */
static int
others_logged(const struct em_entry *e, const struct event *ev)
{
	size_t i, k;

	for (i = 0; i < e->nattrs; i++) {
		const struct em_attr *a = &e->attrs[i];

		if (a->computed || a->alone)
			continue;
		if (a->value != NULL)
			return 1;
		for (k = 0; k < a->npaths; k++)
			if (jpath_get(a->paths[k], ev->record) != NULL)
				return 1;
	}
	return 0;
}

/* Is this the first sight of an unmanaged resource (type, id), to be reported? One unmanaged
 * finding per resource: its creation (or the first change seen); later changes to a resource
 * already reported as outside Terraform add nothing. */
static int
unmanaged_first(struct detector *d, const struct event *ev, const char *type, const char *id)
{
	struct strbuf key;
	int seen;

	sb_init(&key);
	sb_addf(&key, "%d\n%s\n%s", (int)ev->provider, type, id);
	seen = tf_hset_test_and_add(&d->unmanaged, tf_hash(key.buf, key.len));
	/* Also remember the id alone, so an entry for "any type" (tags) sees it too. */
	sb_reset(&key);
	sb_addf(&key, "%d\n*\n%s", (int)ev->provider, id);
	if (tf_hset_test_and_add(&d->unmanaged, tf_hash(key.buf, key.len)) &&
	    strcmp(type, "*") == 0)
		seen = 1;
	sb_free(&key);
	/* Reported before, but that drift is gone (deleted again, say): made again, it is new
	 * drift, reported again. */
	return !seen || lifecycle_all_resolved(d, type, id);
}

static enum nodrift handle_unmanaged_as(struct detector *d, const struct event *ev,
    const struct em_entry *e, const char *type, const char *id, struct finding_list *out);

static enum nodrift
handle_unmanaged(struct detector *d, const struct event *ev, const struct em_entry *e,
    const char *id, struct finding_list *out)
{
	return handle_unmanaged_as(d, ev, e, e->resource, id, out);
}

/* handle_unmanaged, reporting a resource of `type` (covered_by's, for IAM members). */
static enum nodrift
handle_unmanaged_as(struct detector *d, const struct event *ev, const struct em_entry *e,
    const char *type, const char *id, struct finding_list *out)
{
	struct finding *f;
	size_t i;

	if (e->action == EM_DELETE)
		return ND_NOT_MANAGED;
	if (e->action == EM_SET_REMOVE)
		return ND_NOT_MANAGED;
	if (!unmanaged_first(d, ev, type, id))
		return ND_NOT_MANAGED;
	f = finding_new(d, ev, e, FK_UNMANAGED, NULL, id, type);
	/* Show what the event set, so a reviewer sees the new resource's shape. */
	for (i = 0; i < e->nattrs; i++) {
		int present;
		json_object *nv;

		if (e->attrs[i].computed || (e->attrs[i].alone && others_logged(e, ev)))
			continue;
		if (e->attrs[i].nkeys_set > 0 || e->attrs[i].nkeys_removed > 0) {
			diff_keys(f, &e->attrs[i], ev, NULL);
			continue;
		}
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

/* ---- GCP IAM policy deltas (an entry's `deltas:`, doc/event-maps.md) ---- */

static void
iam_d_free(struct iam_d *o)
{
	free(o->member);
	free(o->ckey);
	memset(o, 0, sizeof *o);
}

/* A condition {title, description, expression} as the provider's ids end with it
 * ("/TITLE/DESCRIPTION/EXPRESSION", conditionKey); "" for none. */
static char *
iam_cond_key(json_object *cond)
{
	static const char *const k[] = { "title", "description", "expression" };
	const char *v[3];
	json_object *x;
	size_t i, any = 0;

	for (i = 0; i < 3; i++) {
		v[i] = json_object_object_get_ex(cond, k[i], &x) &&
		    json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
		any += *v[i] != '\0';
	}
	return any > 0 ? xasprintf("/%s/%s/%s", v[0], v[1], v[2]) : xstrdup("");
}

/* One binding delta {action ADD|REMOVE, role, member[, condition]}: 0 and *o filled (free it
 * with iam_d_free), or -1 when it is not one. */
static int
iam_delta(json_object *dl, struct iam_d *o)
{
	json_object *a, *r, *m, *c;
	const char *act;

	memset(o, 0, sizeof *o);
	if (!json_object_object_get_ex(dl, "action", &a) ||
	    !json_object_object_get_ex(dl, "role", &r) ||
	    !json_object_object_get_ex(dl, "member", &m) ||
	    !json_object_is_type(a, json_type_string) || !json_object_is_type(r, json_type_string) ||
	    !json_object_is_type(m, json_type_string) || json_object_get_string_len(r) == 0 ||
	    json_object_get_string_len(m) == 0)
		return -1;
	act = json_object_get_string(a);
	if (strcmp(act, "ADD") != 0 && strcmp(act, "REMOVE") != 0)
		return -1;
	o->add = strcmp(act, "ADD") == 0;
	o->role = json_object_get_string(r);
	if (json_object_object_get_ex(dl, "condition", &c) && json_object_is_type(c, json_type_object))
		o->cond = c;
	o->ckey = iam_cond_key(o->cond);
	if (*o->ckey == '\0')
		o->cond = NULL;
	o->member = gcp_iam_member_normalize(json_object_get_string(m));
	return 0;
}

/* The event's binding deltas (borrowed), or NULL when it has none of the shape. */
static json_object *
iam_deltas(const struct em_entry *e, const struct event *ev)
{
	json_object *v = e->deltas != NULL ? jpath_get(e->deltas, ev->record) : NULL;

	return json_object_is_type(v, json_type_array) && json_object_array_length(v) > 0 ?
	    v : NULL;
}

static const struct tf_instance *
find_one(const struct detector *d, const char *id, const char *type)
{
	const struct tf_instance *in[1];

	if (d->ix == NULL || state_index_find(d->ix, "gcp", id, type, in, 1) == 0)
		return NULL;
	return in[0];
}

/* Is `m` (a JSON string) in the array? */
static int
str_in(json_object *arr, const char *m, size_t *at)
{
	size_t i, n = json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;

	for (i = 0; i < n; i++) {
		const char *s = json_object_get_string(json_object_array_get_idx(arr, i));

		if (s != NULL && strcmp(s, m) == 0) {
			if (at != NULL)
				*at = i;
			return 1;
		}
	}
	return 0;
}

/*
 * A GCP IAM call by its binding deltas, for a set_add entry with `deltas` (resource: the
 * role's binding, RESOURCE/ROLE; covered_by: the member, RESOURCE/ROLE/MEMBER; RESOURCE is the
 * entry's id). Each delta is a set change of one role's members:
 *   ADD     a managed member: Terraform's already, nothing; a managed binding: its members,
 *           old -> new; neither: an unmanaged member named like the provider's id.
 *   REMOVE  a managed member: deleted; a managed binding holding it: members, old -> new;
 *           neither: nothing Terraform holds.
 * One finding per binding, with every delta of its role applied. *handled is 0 when the
 * event has no deltas, or none that reads as one (the next alternative decides).
 */
static enum nodrift
resolve_iam_deltas(struct detector *d, const struct event *ev, const struct em_entry *e,
    struct finding_list *out, int *handled)
{
	json_object *dl = iam_deltas(e, ev);
	char *ids[1];
	const char *prov = tf_provider_name(ev->provider);
	enum nodrift why = ND__COUNT, r;
	size_t n, i, j, ne;

	*handled = 0;
	if (dl == NULL || (ne = entry_ids_ix(e, ev, prov, d->ix, ids, 1)) == 0)
		return ND_NO_ID;
	n = json_object_array_length(dl);
	for (i = 0; i < n; i++) {
		const struct tf_instance *bind;
		json_object *old = NULL, *now = NULL;
		struct iam_d di;
		char *bid;
		int dup = 0;

		if (iam_delta(json_object_array_get_idx(dl, i), &di) < 0)
			continue;
		*handled = 1;   /* a delta: the deltas decide (none that reads as one: as without) */
		/* Each binding (role and condition) once, at its first delta. */
		for (j = 0; j < i && !dup; j++) {
			struct iam_d dj;

			if (iam_delta(json_object_array_get_idx(dl, j), &dj) == 0)
				dup = strcmp(dj.role, di.role) == 0 && strcmp(dj.ckey, di.ckey) == 0;
			iam_d_free(&dj);
		}
		if (dup) {
			iam_d_free(&di);
			continue;
		}
		bid = xasprintf("%s/%s%s", ids[0], di.role, di.ckey);
		if ((bind = find_one(d, bid, e->resource)) != NULL) {
			old = val_from_state(VT_STRING_SET, tfstate_attr(bind, "members"));
			if (old == NULL)
				old = json_object_new_array();
			if (json_object_deep_copy(old, &now, NULL) != 0)
				tf_fatal("out of memory copying a binding's members");
		}
		for (j = i; j < n; j++) {
			const struct tf_instance *mem;
			struct iam_d dj;
			char *mid;
			size_t at;

			if (iam_delta(json_object_array_get_idx(dl, j), &dj) < 0)
				continue;
			if (strcmp(dj.role, di.role) != 0 || strcmp(dj.ckey, di.ckey) != 0) {
				iam_d_free(&dj);
				continue;
			}
			mid = xasprintf("%s/%s/%s%s", ids[0], dj.role, dj.member, dj.ckey);
			mem = find_one(d, mid, e->cover_resource);
			r = ND_EQUAL;
			if (dj.add && mem == NULL && bind != NULL) {
				if (!str_in(now, dj.member, NULL))
					json_object_array_add(now, json_object_new_string(dj.member));
			} else if (dj.add && mem == NULL) {
				r = handle_unmanaged_as(d, ev, e, e->cover_resource, mid, out);
			} else if (!dj.add && mem != NULL) {
				/* The member lived in its own resource: that resource is gone. */
				finding_done(d, ev, mem, finding_new(d, ev, e, FK_DELETED, mem, mid,
				    mem->type), e, out);
				r = ND_DRIFT;
			} else if (!dj.add && bind != NULL && str_in(now, dj.member, &at)) {
				json_object_array_del_idx(now, at, 1);
			} else if (!dj.add)
				r = ND_NOT_MANAGED;
			if (why == ND__COUNT || r == ND_DRIFT)
				why = r;
			free(mid);
			iam_d_free(&dj);
		}
		if (bind != NULL) {
			json_object *canon = val_from_event(VT_STRING_SET, now);

			if (!val_equal(old, canon)) {
				struct finding *f = finding_new(d, ev, e, FK_MODIFIED, bind, bid,
				    e->resource);

				finding_add_change(f, "members", old, canon, CH_MODIFIED,
				    tfstate_is_sensitive(bind, "members"));
				finding_done(d, ev, bind, f, e, out);
				why = ND_DRIFT;
			} else {
				json_object_put(old);
				json_object_put(canon);
				if (why == ND__COUNT)
					why = ND_EQUAL;
			}
			json_object_put(now);
		}
		free(bid);
		iam_d_free(&di);
	}
	free(ids[0]);
	if (!*handled)
		return ND_NO_ID;
	return why == ND__COUNT ? ND_EQUAL : why;
}

/* ---- security-group rules as resources of their own (map entries with sg_rule) ----
 *
 * When state holds rule resources (aws_vpc_security_group_{ingress,egress}_rule or the legacy
 * aws_security_group_rule) for a group, the group's rules are Terraform's one by one: an
 * added rule is an unmanaged rule (named by the sgr- id the response gives it), a revoked one
 * is the deletion of the rule resource that held it. The group's own ingress/egress in state
 * are of no use then: the provider fills them from the API whichever way the rules are managed.
 * Rules are matched by their canonical form (the sg_rules transform: protocol, ports, one
 * source), since CloudTrail never names a legacy rule's sgrule- id.
 */

/* One rule of the event: its canonical form and, when the record gives it, its sgr- id. */
struct sgr_ev {
	char *rule;
	char *id;                       /* or NULL */
	const struct tf_instance *in;   /* the rule resource holding it, or NULL */
};

/* A rule resource of the group in the entry's direction, and its canonical rules. */
struct sgr_st {
	const struct tf_instance *in;
	json_object *rules;             /* sorted array of strings */
	json_object *gone;              /* set_remove: the rules the event revokes (array) */
	int whole;                      /* set_remove: revoked by its id, whatever it held */
};

struct sgr {
	const char *gid;                /* borrowed from the record */
	struct sgr_ev *ev;              /* the event's rules, each once */
	size_t nev, capev;
	struct sgr_st *st;              /* the group's rule resources in the direction */
	size_t nst;
};

static const struct em_entry sgr_create_entry = { .action = EM_CREATE };
static const struct em_entry sgr_delete_entry = { .action = EM_DELETE };

struct revt;
static void lifecycle_apply(struct detector *d, const struct event *ev, const struct em_entry *e,
    const char *key, const struct tf_instance *in, int pipeline, struct revt **cur,
    struct finding_list *out);

/* The group the entry names, when its rules are resources of their own in state (any rule
 * resource, either direction, whose security_group_id is the group); else NULL. */
static const char *
sgr_group(const struct detector *d, const struct em_entry *e, const struct event *ev)
{
	static const char *const attr[] = { "security_group_id" };
	json_object *v;
	const char *gid;
	size_t i;

	if (e->sgr == NULL || d->ix == NULL)
		return NULL;
	v = jpath_get(e->sgr->group, ev->record);
	if (v == NULL || !json_object_is_type(v, json_type_string) ||
	    *(gid = json_object_get_string(v)) == '\0')
		return NULL;
	for (i = 0; em_sgrule_types[i] != NULL; i++)
		if (state_index_match(d->ix, em_sgrule_types[i], attr, &gid, 1, NULL, 0) > 0)
			return gid;
	return NULL;
}

/* Does the state instance (a rule resource) hold a rule of the entry's direction? */
static int
sgr_same_direction(const struct em_entry *e, const struct tf_instance *in)
{
	const char *want = e->sgr->egress ? "egress" : "ingress";
	json_object *t;

	if (strcmp(in->type, "aws_security_group_rule") != 0)
		return strstr(in->type, want) != NULL;
	t = tfstate_attr(in, "type");
	return t != NULL && json_object_is_type(t, json_type_string) &&
	    strcmp(json_object_get_string(t), want) == 0;
}

static int
sgr_holds(json_object *rules, const char *rule)
{
	size_t i, n = json_object_is_type(rules, json_type_array) ? json_object_array_length(rules) : 0;

	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(rules, i)), rule) == 0)
			return 1;
	return 0;
}

/* Add the canonical rules of one permission (or list of them) to s, with id when the
 * permission is one rule the response named. */
static void
sgr_add_rules(struct sgr *s, json_object *perm, const char *id)
{
	json_object *rules = sg_self(val_from_event(VT_SG_RULES, perm), s->gid);
	size_t i, n = json_object_is_type(rules, json_type_array) ? json_object_array_length(rules) : 0;

	for (i = 0; i < n; i++) {
		const char *r = json_object_get_string(json_object_array_get_idx(rules, i));
		size_t k;

		for (k = 0; k < s->nev && strcmp(s->ev[k].rule, r) != 0; k++)
			;
		if (k < s->nev)
			continue;
		if (s->nev == s->capev) {
			s->capev = s->capev ? s->capev * 2 : 8;
			s->ev = xreallocarray(s->ev, s->capev, sizeof *s->ev);
		}
		s->ev[s->nev].rule = xstrdup(r);
		s->ev[s->nev].id = id != NULL && n == 1 ? xstrdup(id) : NULL;
		s->ev[s->nev].in = NULL;
		s->nev++;
	}
	json_object_put(rules);
}

/* Does a value at one of the `rules` paths carry rules? A list of permissions does; the
 * request object does only in the flat form (ipProtocol beside an empty ipPermissions). */
static int
sgr_has_rules(json_object *v)
{
	json_object *p;

	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) > 0;
	return json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "ipProtocol", &p) && p != NULL;
}

/* The group's rule resource (in the entry's direction) with this sgr- id: a v5 rule's id, or
 * the security_group_rule_id the provider keeps for a legacy rule with a single source. */
static const struct tf_instance *
sgr_find_id(const struct sgr *s, const char *id)
{
	size_t j;

	for (j = 0; id != NULL && j < s->nst; j++) {
		const struct tf_instance *in = s->st[j].in;
		json_object *v = tfstate_attr(in, "security_group_rule_id");

		if ((in->id != NULL && strcmp(in->id, id) == 0) ||
		    (v != NULL && json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), id) == 0))
			return in;
	}
	return NULL;
}

/* The event's rules (s->gid set): the first `rules` path that holds any. A response's rule
 * set names each rule's sgr- id. */
static void
sgr_event_rules(const struct em_entry *e, const struct event *ev, struct sgr *s)
{
	size_t i, j;

	for (i = 0; i < e->sgr->nrules && s->nev == 0; i++) {
		json_object *v = jpath_get(e->sgr->rules[i], ev->record);

		if (v == NULL || !sgr_has_rules(v))
			continue;
		if (!json_object_is_type(v, json_type_array)) {
			sgr_add_rules(s, v, NULL);
			continue;
		}
		for (j = 0; j < json_object_array_length(v); j++) {
			json_object *it = json_object_array_get_idx(v, j), *one, *idv;
			const char *id = NULL;

			if (json_object_object_get_ex(it, "securityGroupRuleId", &idv) &&
			    json_object_is_type(idv, json_type_string))
				id = json_object_get_string(idv);
			one = json_object_new_array();
			json_object_array_add(one, json_object_get(it));
			sgr_add_rules(s, one, id);
			json_object_put(one);
		}
	}

}

/* Everything the entry needs to decide: the event's rules, the group's rule resources in the
 * entry's direction, and which resource holds which rule. 0 when the group's rules are not
 * resources of their own (the entry does not apply). */
static int
sgr_load(struct detector *d, const struct em_entry *e, const struct event *ev, struct sgr *s)
{
	static const char *const attr[] = { "security_group_id" };
	size_t i, j, k;

	memset(s, 0, sizeof *s);
	if ((s->gid = sgr_group(d, e, ev)) == NULL)
		return 0;
	for (i = 0; em_sgrule_types[i] != NULL; i++) {
		size_t n = state_index_match(d->ix, em_sgrule_types[i], attr, &s->gid, 1, NULL, 0);
		const struct tf_instance **ins;

		if (n == 0)
			continue;
		ins = xcalloc(n, sizeof *ins);
		n = state_index_match(d->ix, em_sgrule_types[i], attr, &s->gid, 1, ins, n);
		s->st = xreallocarray(s->st, s->nst + n + 1, sizeof *s->st);
		for (j = 0; j < n; j++) {
			json_object *one;

			if (!sgr_same_direction(e, ins[j]))
				continue;
			one = json_object_new_array();
			json_object_array_add(one, json_object_get(tfstate_attrs(ins[j])));
			s->st[s->nst].in = ins[j];
			s->st[s->nst].rules = sg_self(val_from_state(VT_SG_RULES, one), s->gid);
			s->st[s->nst].gone = NULL;
			s->st[s->nst].whole = 0;
			s->nst++;
			json_object_put(one);
		}
		free(ins);
	}
	sgr_event_rules(e, ev, s);
	/* Which rule resource holds each: by its sgr- id, else by its rule. */
	for (k = 0; k < s->nev; k++) {
		struct sgr_ev *r = &s->ev[k];

		r->in = sgr_find_id(s, r->id);
		for (j = 0; r->in == NULL && j < s->nst; j++)
			if (sgr_holds(s->st[j].rules, r->rule))
				r->in = s->st[j].in;
	}
	return 1;
}

static void
sgr_free(struct sgr *s)
{
	size_t i;

	for (i = 0; i < s->nev; i++) {
		free(s->ev[i].rule);
		free(s->ev[i].id);
	}
	for (i = 0; i < s->nst; i++) {
		json_object_put(s->st[i].rules);
		json_object_put(s->st[i].gone);
	}
	free(s->ev);
	free(s->st);
}

/* A canonical rule taken apart: "tcp 22-22 0.0.0.0/0" -> protocol, ports, source ("" for
 * none). n: how many of the four parts it has. */
struct sgr_parts {
	char proto[32];
	long long from, to;
	char src[256];
	int n;
};

static void
sgr_parse(const char *rule, struct sgr_parts *p)
{
	memset(p, 0, sizeof *p);
	p->n = sscanf(rule, "%31s %lld-%lld %255s", p->proto, &p->from, &p->to, p->src);
}

/* What a rule's source is: a CIDR, an IPv6 CIDR, a prefix list or a security group (self). */
enum sgr_src { SGS_CIDR4 = 0, SGS_CIDR6, SGS_PREFIX_LIST, SGS_GROUP, SGS__COUNT };

/* The v5 rule resources' attribute for each kind of source. */
static const char *const sgr_v5_src[SGS__COUNT] = { "cidr_ipv4", "cidr_ipv6", "prefix_list_id",
    "referenced_security_group_id" };

static enum sgr_src
sgr_src_kind(const char *src)
{
	if (strcmp(src, "self") == 0 || strncmp(src, "sg-", 3) == 0)
		return SGS_GROUP;
	if (strncmp(src, "pl-", 3) == 0)
		return SGS_PREFIX_LIST;
	return strchr(src, ':') != NULL ? SGS_CIDR6 : SGS_CIDR4;
}

/* The id of a rule the record does not name: the legacy aws_security_group_rule import id
 * (sg-1_ingress_tcp_22_22_0.0.0.0/0), the one stable name there is for it. */
static char *
sgr_rule_id(const struct em_entry *e, const char *gid, const struct sgr_ev *r)
{
	const char *dir = e->sgr->egress ? "egress" : "ingress";
	struct sgr_parts p;

	if (r->id != NULL)
		return xstrdup(r->id);
	sgr_parse(r->rule, &p);
	if (p.n < 3)
		return xasprintf("%s_%s_%s", gid, dir, r->rule);
	return xasprintf("%s_%s_%s_%lld_%lld_%s", gid, dir, p.proto, p.from, p.to,
	    strcmp(p.src, "self") == 0 ? gid : p.src);
}

/* What the detector remembers of a rule no rule resource holds (by group, direction and
 * rule): the id its unmanaged finding named, so that a revoke by permissions (which names no
 * id) finds the finding again; and the newest such revoke, for a finding made afterwards from
 * an older event (a log read newest first). */
struct sgr_note {
	char *key;
	char *id;               /* or NULL */
	struct revt *rev;       /* a reference, or NULL */
};

static void revt_unref(struct revt *e);
static void sgr_note_revoked(struct detector *d, struct sgr_note *n, const struct event *ev,
    int pipeline, struct revt **cur);
static void sgr_note_settle(struct detector *d, const struct sgr_note *n, const char *key,
    int64_t t);

static struct sgr_note *
sgr_note(struct detector *d, const struct em_entry *e, const char *gid, const char *rule)
{
	char *key = xasprintf("%s\n%d\n%s", gid, e->sgr->egress, rule);
	struct sgr_note *n = tf_hmap_get(&d->sgr_notes, key);

	if (n != NULL) {
		free(key);
		return n;
	}
	n = xcalloc(1, sizeof *n);
	n->key = key;
	if (d->nsgr_nv == d->capsgr_nv) {
		d->capsgr_nv = d->capsgr_nv ? d->capsgr_nv * 2 : 16;
		d->sgr_nv = xreallocarray(d->sgr_nv, d->capsgr_nv, sizeof *d->sgr_nv);
	}
	d->sgr_nv[d->nsgr_nv++] = n;
	tf_hmap_put(&d->sgr_notes, n->key, n);
	return n;
}

static void
sgr_notes_free(struct detector *d)
{
	size_t i;

	for (i = 0; i < d->nsgr_nv; i++) {
		free(d->sgr_nv[i]->key);
		free(d->sgr_nv[i]->id);
		revt_unref(d->sgr_nv[i]->rev);
		free(d->sgr_nv[i]);
	}
	free(d->sgr_nv);
	tf_hmap_free(&d->sgr_notes);
}

/* An unmanaged rule's finding given back (the store's, at start): its rule from its changes
 * (as sgr_unmanaged wrote them), so that a revoke by permissions finds it in this run too. */
static void
sgr_note_from_finding(struct detector *d, const struct em_entry *e, const struct finding *f)
{
	const char *gid = NULL, *proto = NULL, *src = NULL;
	long long from = 0, to = 0;
	struct sgr_note *note;
	char *rule;
	size_t i, k;

	if (f->resource_id == NULL)
		return;
	for (i = 0; i < f->nchanges; i++) {
		const struct change *c = &f->changes[i];
		json_object *v = c->new_val;

		if (v == NULL)
			continue;
		if (strcmp(c->attribute, "security_group_id") == 0)
			gid = json_object_get_string(v);
		else if (strcmp(c->attribute, "ip_protocol") == 0)
			proto = json_object_get_string(v);
		else if (strcmp(c->attribute, "from_port") == 0)
			from = json_object_get_int64(v);
		else if (strcmp(c->attribute, "to_port") == 0)
			to = json_object_get_int64(v);
		for (k = 0; k < SGS__COUNT; k++)
			if (strcmp(c->attribute, sgr_v5_src[k]) == 0)
				src = json_object_get_string(v);
	}
	if (gid == NULL || proto == NULL)
		return;
	if (src == NULL)
		rule = xasprintf("%s %lld-%lld", proto, from, to);
	else
		rule = xasprintf("%s %lld-%lld %s", proto, from, to, strcmp(src, gid) == 0 ? "self" : src);
	note = sgr_note(d, e, gid, rule);
	if (note->id == NULL)
		note->id = xstrdup(f->resource_id);
	free(rule);
}

/* An added rule no rule resource holds: one unmanaged finding of the rule type, with the
 * rule's attributes as the provider names them. */
static enum nodrift
sgr_unmanaged(struct detector *d, const struct event *ev, const struct em_entry *e,
    const char *gid, const struct sgr_ev *r, struct finding_list *out)
{
	char *id = sgr_rule_id(e, gid, r), *key;
	struct sgr_note *note;
	struct sgr_parts p;
	struct finding *f;

	if (!unmanaged_first(d, ev, e->resource, id)) {
		free(id);
		return ND_NOT_MANAGED;
	}
	note = sgr_note(d, e, gid, r->rule);
	free(note->id);
	note->id = xstrdup(id);
	key = xasprintf("%s:%s", e->resource, id);
	sgr_note_settle(d, note, key, ev->time_ms);
	free(key);
	f = finding_new(d, ev, e, FK_UNMANAGED, NULL, id, e->resource);
	free(id);
	finding_add_change(f, "security_group_id", NULL, json_object_new_string(gid), CH_ADDED, 0);
	sgr_parse(r->rule, &p);
	if (p.n >= 1)
		finding_add_change(f, "ip_protocol", NULL, json_object_new_string(p.proto), CH_ADDED, 0);
	if (p.n >= 3 && strcmp(p.proto, "-1") != 0) {
		finding_add_change(f, "from_port", NULL, json_object_new_int64(p.from), CH_ADDED, 0);
		finding_add_change(f, "to_port", NULL, json_object_new_int64(p.to), CH_ADDED, 0);
	}
	if (p.n == 4)
		finding_add_change(f, sgr_v5_src[sgr_src_kind(p.src)], NULL,
		    json_object_new_string(strcmp(p.src, "self") == 0 ? gid : p.src), CH_ADDED, 0);
	finding_done(d, ev, NULL, f, e, out);
	return ND_DRIFT;
}

/* The legacy rule attribute a revoked source came from (cidr_blocks, ...), or NULL for a
 * source the rule holds alone (a security group, self) or none. */
static const char *
sgr_list_attr(const char *rule)
{
	static const char *const lists[SGS__COUNT] = { "cidr_blocks", "ipv6_cidr_blocks",
	    "prefix_list_ids", NULL };
	struct sgr_parts p;

	sgr_parse(rule, &p);
	return p.n == 4 ? lists[sgr_src_kind(p.src)] : NULL;
}

/* A rule resource that lost rules: deleted when it held nothing else; a legacy rule that
 * keeps other CIDRs or prefix lists is modified (the members gone, per attribute). */
static void
sgr_removed(struct detector *d, const struct event *ev, const struct em_entry *e,
    const struct sgr_st *st, struct finding_list *out)
{
	json_object *left = st->whole ? NULL : val_set_minus(st->rules, st->gone);
	struct finding *f;
	size_t i, n;

	if (st->whole || val_empty(left)) {
		json_object_put(left);
		f = finding_new(d, ev, e, FK_DELETED, st->in, NULL, st->in->type);
		finding_done(d, ev, st->in, f, e, out);
		return;
	}
	json_object_put(left);
	f = finding_new(d, ev, e, FK_MODIFIED, st->in, NULL, st->in->type);
	n = json_object_array_length(st->gone);
	for (i = 0; i < n; i++) {
		const char *rule = json_object_get_string(json_object_array_get_idx(st->gone, i));
		const char *attr = sgr_list_attr(rule);
		json_object *m;
		size_t c;

		if (attr == NULL)
			continue;
		for (c = 0; c < f->nchanges && strcmp(f->changes[c].attribute, attr) != 0; c++)
			;
		if (c == f->nchanges)
			finding_add_change(f, attr, json_object_new_array(), NULL, CH_REMOVED, 0);
		m = f->changes[c].old_val;
		json_object_array_add(m, json_object_new_string(strrchr(rule, ' ') + 1));
	}
	finding_done(d, ev, st->in, f, e, out);
}

/* The entry's resources named by id (a revoke by securityGroupRuleIds) that are in state. */
static size_t
sgr_by_id(const struct em_entry *e, const struct event *ev, const struct sgr *s,
    const struct tf_instance **ins, char **ids, size_t max)
{
	size_t ne = entry_ids(e, ev, tf_provider_name(ev->provider), NULL, ids, max), j;

	for (j = 0; j < ne; j++)
		ins[j] = sgr_find_id(s, ids[j]);
	return ne;
}

/* The rules an sg_rule entry's record names when it names no rule id (a revoke by
 * permissions), as detection names them (sgr_rule_id), whatever the state: for
 * detector_entry_ids. */
static size_t
sgr_entry_ids(const struct em_entry *e, const struct event *ev, char **ids, size_t max)
{
	json_object *g = jpath_get(e->sgr->group, ev->record);
	struct sgr s;
	size_t i, n = 0;

	memset(&s, 0, sizeof s);
	if (g == NULL || !json_object_is_type(g, json_type_string) ||
	    *(s.gid = json_object_get_string(g)) == '\0')
		return 0;
	sgr_event_rules(e, ev, &s);
	for (i = 0; i < s.nev && n < max; i++)
		ids[n++] = sgr_rule_id(e, s.gid, &s.ev[i]);
	sgr_free(&s);
	return n;
}

/* resolve_map for an sg_rule entry whose group's rules are resources (s loaded). */
static enum nodrift
sgr_resolve(struct detector *d, const struct event *ev, const struct em_entry *e,
    struct sgr *s, struct finding_list *out, struct resolved *res)
{
	enum nodrift why = ND__COUNT, r;
	const struct tf_instance *byid[MAX_IDS];
	char *ids[MAX_IDS];
	size_t i, j, nid = 0;

	if (e->action == EM_SET_REMOVE)
		nid = sgr_by_id(e, ev, s, byid, ids, MAX_IDS);
	if (res != NULL) {
		for (i = 0; i < s->nev && res->in == NULL; i++)
			res->in = s->ev[i].in;
		for (i = 0; i < nid && res->in == NULL; i++)
			res->in = byid[i];
		if (res->in != NULL && res->in->id != NULL)
			res->id = xstrdup(res->in->id);
		else if (s->nev > 0)      /* the (first) rule no rule resource holds */
			res->id = sgr_rule_id(e, s->gid, &s->ev[0]);
		else
			res->id = xstrdup(s->gid);
		res->type = e->resource;
	}
	if (e->action == EM_SET_ADD) {
		for (i = 0; i < s->nev; i++) {
			r = s->ev[i].in != NULL ? ND_EQUAL : sgr_unmanaged(d, ev, e, s->gid, &s->ev[i], out);
			if (why == ND__COUNT || r == ND_DRIFT)
				why = r;
		}
		return why == ND__COUNT ? ND_EQUAL : why;
	}
	/* Revoked: by id (the rule resource goes whole), and by rule (a legacy rule may keep
	 * other CIDRs); each rule resource gets one finding. */
	for (i = 0; i < nid; i++) {
		for (j = 0; byid[i] != NULL && j < s->nst; j++)
			if (s->st[j].in == byid[i])
				s->st[j].whole = 1;
		free(ids[i]);
	}
	for (i = 0; i < s->nev; i++) {
		for (j = 0; s->ev[i].in != NULL && j < s->nst; j++) {
			if (s->st[j].in != s->ev[i].in)
				continue;
			if (s->st[j].gone == NULL)
				s->st[j].gone = json_object_new_array();
			json_object_array_add(s->st[j].gone, json_object_new_string(s->ev[i].rule));
		}
	}
	for (j = 0; j < s->nst; j++) {
		if (s->st[j].gone == NULL && !s->st[j].whole)
			continue;
		if (s->st[j].gone != NULL)
			json_object_array_sort(s->st[j].gone, sort_str_cmp);
		sgr_removed(d, ev, e, &s->st[j], out);
		why = ND_DRIFT;
	}
	return why == ND__COUNT ? ND_NOT_MANAGED : why;
}

/* The resource key an sg_rule event touches first (resource_key), or NULL. */
static char *
sgr_key(struct detector *d, const struct em_entry *e, const struct event *ev)
{
	struct sgr s;
	char *key = NULL;
	size_t i;

	if (!sgr_load(d, e, ev, &s))
		return NULL;
	for (i = 0; i < s.nev && key == NULL; i++)
		if (s.ev[i].in != NULL)
			key = xstrdup(s.ev[i].in->address);
	if (key == NULL && s.nev > 0) {
		char *id = sgr_rule_id(e, s.gid, &s.ev[0]);

		key = xasprintf("%s:%s", e->resource, id);
		free(id);
	}
	if (key == NULL)
		key = xasprintf("%s:%s", e->resource, s.gid);
	sgr_free(&s);
	return key;
}

/* detector_each_instance for an sg_rule entry: the rule resources a revoke removes (an added
 * rule that a resource holds changes nothing). -1 when the entry does not apply. */
static long
sgr_each(struct detector *d, const struct em_entry *e, const struct event *ev,
    void (*fn)(void *ctx, const struct event *ev, const struct em_entry *e,
    enum em_action action, const struct tf_instance *in), void *ctx)
{
	const struct tf_instance *byid[MAX_IDS], **done;
	char *ids[MAX_IDS];
	struct sgr s;
	size_t i, j, nid, ndone = 0;

	if (!sgr_load(d, e, ev, &s))
		return -1;
	if (e->action == EM_SET_REMOVE) {
		nid = sgr_by_id(e, ev, &s, byid, ids, MAX_IDS);
		done = xcalloc(nid + s.nev + 1, sizeof *done);
		for (i = 0; i < nid; i++) {
			if (byid[i] != NULL)
				done[ndone++] = byid[i];
			free(ids[i]);
		}
		for (i = 0; i < s.nev; i++)
			if (s.ev[i].in != NULL)
				done[ndone++] = s.ev[i].in;
		for (i = 0; i < ndone; i++) {
			for (j = 0; j < i && done[j] != done[i]; j++)
				;
			if (j == i)
				fn(ctx, ev, e, EM_DELETE, done[i]);
		}
		free(done);
	}
	sgr_free(&s);
	return (long)ndone;
}

/* Rules added back to a legacy rule resource that had some of its CIDRs or prefix lists
 * revoked (a modified finding, members removed): the members added again, as a set_add of
 * its list attributes would give them. */
static void
sgr_readded(struct detector *d, const struct event *ev, const struct sgr_st *st, int pipeline,
    struct revt **cur, struct finding_list *out)
{
	static const char *const lists[] = { "cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids" };
	char names[3][24];
	struct em_attr a[3];
	struct em_entry te;
	size_t i, k, n = 0, len = json_object_array_length(st->gone);

	if (strcmp(st->in->type, "aws_security_group_rule") != 0)
		return;
	memset(a, 0, sizeof a);
	memset(&te, 0, sizeof te);
	for (k = 0; k < TF_ARRLEN(lists); k++) {
		json_object *v = json_object_new_array();

		for (i = 0; i < len; i++) {
			const char *rule = json_object_get_string(json_object_array_get_idx(st->gone, i));
			const char *attr = sgr_list_attr(rule);

			if (attr != NULL && strcmp(attr, lists[k]) == 0)
				json_object_array_add(v, json_object_new_string(strrchr(rule, ' ') + 1));
		}
		if (json_object_array_length(v) == 0) {
			json_object_put(v);
			continue;
		}
		snprintf(names[n], sizeof names[n], "%s", lists[k]);
		a[n].name = names[n];
		a[n].transform = a[n].state_transform = VT_STRING_SET;
		a[n].value = v;
		n++;
	}
	if (n > 0) {
		te.action = EM_SET_ADD;
		te.attrs = a;
		te.nattrs = n;
		lifecycle_apply(d, ev, &te, st->in->address, st->in, pipeline, cur, out);
	}
	for (k = 0; k < n; k++)
		json_object_put(a[k].value);
}

/* lifecycle_event for an sg_rule entry: a rule added again puts back the deletion of the
 * resource holding it; a rule revoked takes away the unmanaged rule added before. 0 when the
 * entry does not apply. */
static int
sgr_lifecycle(struct detector *d, const struct event *ev, const struct em_entry *e,
    int pipeline, struct revt **cur, struct finding_list *out)
{
	const struct em_entry *as = e->action == EM_SET_ADD ? &sgr_create_entry : &sgr_delete_entry;
	const struct tf_instance *byid[MAX_IDS];
	char *ids[MAX_IDS], *key;
	struct sgr s;
	size_t i, j, nid = 0;

	if (!sgr_load(d, e, ev, &s))
		return 0;
	if (e->action == EM_SET_REMOVE)
		nid = sgr_by_id(e, ev, &s, byid, ids, MAX_IDS);
	for (i = 0; i < nid; i++) {
		if (byid[i] != NULL)
			lifecycle_apply(d, ev, as, byid[i]->address, byid[i], pipeline, cur, out);
		else {
			key = xasprintf("%s:%s", e->resource, ids[i]);
			lifecycle_apply(d, ev, as, key, NULL, pipeline, cur, out);
			free(key);
		}
		free(ids[i]);
	}
	for (i = 0; i < s.nev; i++) {
		struct sgr_note *note;
		char *id;

		if (s.ev[i].in != NULL) {
			for (j = 0; j < s.nst; j++) {
				if (s.st[j].in != s.ev[i].in)
					continue;
				if (s.st[j].gone == NULL)
					s.st[j].gone = json_object_new_array();
				json_object_array_add(s.st[j].gone, json_object_new_string(s.ev[i].rule));
			}
			continue;
		}
		if (e->action != EM_SET_REMOVE)
			continue;
		/* An unmanaged rule: by the id the record gives, or the one its finding had; a
		 * finding not made yet (from an older event read later) learns of it then. */
		note = sgr_note(d, e, s.gid, s.ev[i].rule);
		if (s.ev[i].id == NULL && note->id == NULL)
			sgr_note_revoked(d, note, ev, pipeline, cur);
		id = s.ev[i].id != NULL ? xstrdup(s.ev[i].id) : note->id != NULL ?
		    xstrdup(note->id) : sgr_rule_id(e, s.gid, &s.ev[i]);
		key = xasprintf("%s:%s", e->resource, id);
		lifecycle_apply(d, ev, as, key, NULL, pipeline, cur, out);
		free(key);
		free(id);
	}
	/* The rule resources holding the event's rules, each once. A v5 rule is Terraform's by
	 * its id: the same rule added again is a new rule (a new sgr- id) and does not give back
	 * a deleted one; a legacy rule is found by its rule, and comes back with it. */
	for (j = 0; j < s.nst; j++) {
		if (s.st[j].gone == NULL)
			continue;
		if (e->action == EM_SET_ADD &&
		    strcmp(s.st[j].in->type, "aws_security_group_rule") != 0)
			continue;
		lifecycle_apply(d, ev, as, s.st[j].in->address, s.st[j].in, pipeline, cur, out);
		if (e->action == EM_SET_ADD)
			sgr_readded(d, ev, &s.st[j], pipeline, cur, out);
	}
	sgr_free(&s);
	return 1;
}

/* The event map and state: findings for one part of an event (detect_parts). `res` (may be
 * NULL) learns what the event names, for freeze windows. */
static enum nodrift
resolve_entries(struct detector *d, const struct event *ev, struct finding_list *out,
    struct resolved *res)
{
	const struct em_entry *ents[MAX_ENTRIES];
	char *ids[MAX_IDS];
	const struct em_entry *first = NULL;	/* the entry `ids` came from */
	size_t nent, nids = 0, i, j, k, mapped;
	const char *prov = tf_provider_name(ev->provider);
	enum nodrift why = ND__COUNT;

	nent = lookup_entries(d, ev, ents, &mapped);
	if (res != NULL) {
		memcpy(res->ents, ents, nent * sizeof *ents);
		res->nent = nent;
	}
	if (nent == 0) {
		/* Mapped, but no entry's `when` holds: the call changes nothing state holds. */
		why = mapped > 0 ? ND_EQUAL : ND_NOT_COVERED;
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

		if (ents[i]->deltas != NULL && ents[i]->action == EM_SET_ADD) {
			/* IAM members and bindings, by the call's deltas: they decide the event. */
			int handled;
			enum nodrift r = resolve_iam_deltas(d, ev, ents[i], out, &handled);

			if (!handled)
				continue;
			if (res != NULL && res->type == NULL)
				res->type = ents[i]->cover_resource;    /* freeze windows on members */
			why = r;
			for (k = 0; k < nids; k++)
				free(ids[k]);
			goto done;
		}
		if (ents[i]->sgr != NULL) {
			/* Rules as resources: this entry decides, when the group's rules are. */
			struct sgr s;

			if (!sgr_load(d, ents[i], ev, &s))
				continue;
			why = sgr_resolve(d, ev, ents[i], &s, out, res);
			sgr_free(&s);
			for (k = 0; k < nids; k++)
				free(ids[k]);
			goto done;
		}
		ne = entry_ids_ix(ents[i], ev, prov, d->ix, eids, MAX_IDS);
		for (j = 0; j < ne; j++) {
			nins[j] = entry_find(d, ents[i], ev, prov, eids[j], type, ins[j], MAX_MATCH);
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

struct resolve_ctx {
	struct finding_list *out;
	struct resolved *res;
	enum nodrift why;
};

static void
resolve_part(struct detector *d, const struct event *ev, void *ctx)
{
	struct resolve_ctx *c = ctx;
	struct resolved *res = c->res != NULL && c->res->id == NULL && c->res->in == NULL ?
	    c->res : NULL;
	enum nodrift r = resolve_entries(d, ev, c->out, res);

	if (c->why == ND__COUNT || r == ND_DRIFT)
		c->why = r;
}

/* The event map and state: findings for one event, part by part (detect_parts). `res` (may
 * be NULL) learns what the event names (its first part that names something). */
static enum nodrift
resolve_map(struct detector *d, const struct event *ev, struct finding_list *out,
    struct resolved *res)
{
	struct resolve_ctx c = { out, res, ND__COUNT };

	detect_parts(d, ev, resolve_part, &c);
	return c.why == ND__COUNT ? ND_NOT_COVERED : c.why;
}

/*
 * The IAM resources an event's deltas name (an entry with `deltas`), for the dashboard and
 * blame: fn(ctx, in, action) once per managed member a REMOVE takes away (EM_DELETE) and
 * per managed binding a delta changes (EM_MODIFY); *key (when not NULL) the first one's
 * resource key, its address or, for a member no state holds, COVER_TYPE:R/ROLE/MEMBER.
 * Returns how many deltas it read (0: the entry does not decide the event).
 */
static size_t
iam_touched(struct detector *d, const struct event *ev, const struct em_entry *e,
    void (*fn)(void *ctx, const struct tf_instance *in, enum em_action a), void *ctx, char **key)
{
	json_object *dl = iam_deltas(e, ev);
	const struct tf_instance *seen[16];
	char *ids[1];
	size_t i, j, n, nseen = 0, got = 0;

	if (dl == NULL || entry_ids_ix(e, ev, tf_provider_name(ev->provider), d->ix, ids, 1) == 0)
		return 0;
	n = json_object_array_length(dl);
	for (i = 0; i < n; i++) {
		const struct tf_instance *mem, *bind;
		struct iam_d dd;
		char *bid, *mid;

		if (iam_delta(json_object_array_get_idx(dl, i), &dd) < 0)
			continue;
		got++;
		bid = xasprintf("%s/%s%s", ids[0], dd.role, dd.ckey);
		mid = xasprintf("%s/%s/%s%s", ids[0], dd.role, dd.member, dd.ckey);
		mem = find_one(d, mid, e->cover_resource);
		bind = mem == NULL ? find_one(d, bid, e->resource) : NULL;
		if (key != NULL && *key == NULL)
			*key = mem != NULL ? xstrdup(mem->address) : bind != NULL ?
			    xstrdup(bind->address) : xasprintf("%s:%s", e->cover_resource, mid);
		if (fn != NULL && mem != NULL && !dd.add)
			fn(ctx, mem, EM_DELETE);
		if (fn != NULL && bind != NULL) {
			for (j = 0; j < nseen && seen[j] != bind; j++)
				;
			if (j == nseen) {
				if (nseen < TF_ARRLEN(seen))
					seen[nseen++] = bind;
				fn(ctx, bind, EM_MODIFY);
			}
		}
		free(bid);
		free(mid);
		iam_d_free(&dd);
	}
	free(ids[0]);
	return got;
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

struct key_ctx {
	int any_type;
	char *key;
};

static void
key_part(struct detector *d, const struct event *ev, void *ctx)
{
	struct key_ctx *c = ctx;

	if (c->key == NULL)
		c->key = part_key(d, ev, c->any_type);
}

/* The resource an event names: that of its first part that names one. */
static char *
resource_key(struct detector *d, const struct event *ev, int any_type)
{
	struct key_ctx c = { any_type, NULL };

	detect_parts(d, ev, key_part, &c);
	return c.key;
}

static char *
part_key(struct detector *d, const struct event *ev, int any_type)
{
	const struct em_entry *ents[MAX_ENTRIES];
	const struct tf_instance *ins[MAX_MATCH];
	char *ids[MAX_IDS], *key = NULL, *fallback = NULL;
	const char *prov = tf_provider_name(ev->provider);
	size_t nent, ne, i, j;

	nent = lookup_entries(d, ev, ents, NULL);
	/* As resolve_map decides: the first entry whose resource is in state, else the first
	 * that names one (then TYPE:ID, as store_resource_key has it for unmanaged ones). */
	for (i = 0; i < nent && key == NULL; i++) {
		const char *type = strcmp(ents[i]->resource, "*") == 0 ? NULL : ents[i]->resource;

		if (ents[i]->deltas != NULL && ents[i]->action == EM_SET_ADD) {
			char *k = NULL;

			if (iam_touched(d, ev, ents[i], NULL, NULL, &k) > 0 && k != NULL) {
				free(fallback);
				return k;
			}
			free(k);
			continue;
		}
		if (ents[i]->sgr != NULL) {
			if (fallback == NULL)
				key = sgr_key(d, ents[i], ev);
			continue;
		}
		ne = entry_ids_ix(ents[i], ev, prov, d->ix, ids, MAX_IDS);
		for (j = 0; j < ne; j++) {
			if (key == NULL && entry_find(d, ents[i], ev, prov, ids[j], type, ins,
			    MAX_MATCH) > 0)
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

struct inst_ctx {
	void (*fn)(void *ctx, const struct event *ev, const struct em_entry *e,
	    enum em_action action, const struct tf_instance *in);
	void *ctx;
	size_t calls;
};

static void each_instance_part(struct detector *d, const struct event *ev, void *ctx);

/* detector_each_instance over iam_touched. */
struct each_iam {
	void (*fn)(void *ctx, const struct event *ev, const struct em_entry *e,
	    enum em_action action, const struct tf_instance *in);
	void *ctx;
	const struct event *ev;
	const struct em_entry *e;
	size_t calls;
};

static void
each_iam_one(void *ctx, const struct tf_instance *in, enum em_action a)
{
	struct each_iam *w = ctx;

	w->fn(w->ctx, w->ev, w->e, a, in);
	w->calls++;
}

size_t
detector_each_instance(struct detector *d, const struct event *ev,
    void (*fn)(void *ctx, const struct event *ev, const struct em_entry *e,
    enum em_action action, const struct tf_instance *in), void *ctx)
{
	struct inst_ctx c = { fn, ctx, 0 };

	if (d->ix == NULL)
		return 0;
	detect_parts(d, ev, each_instance_part, &c);
	return c.calls;
}

static void
each_instance_part(struct detector *d, const struct event *ev, void *vctx)
{
	struct inst_ctx *c = vctx;
	void (*fn)(void *ctx, const struct event *ev, const struct em_entry *e,
	    enum em_action action, const struct tf_instance *in) = c->fn;
	void *ctx = c->ctx;
	const struct em_entry *ents[MAX_ENTRIES];
	const char *prov = tf_provider_name(ev->provider);
	size_t nent, i, j, k, calls = 0;
	int found = 0;

	nent = lookup_entries(d, ev, ents, NULL);
	/* As resolve_map decides: the first entry that finds any of its resources in state. */
	for (i = 0; i < nent && !found; i++) {
		const char *type = strcmp(ents[i]->resource, "*") == 0 ? NULL : ents[i]->resource;
		char *ids[MAX_IDS];
		size_t ne;
		long sc;

		if (ents[i]->deltas != NULL && ents[i]->action == EM_SET_ADD) {
			struct each_iam w = { fn, ctx, ev, ents[i], 0 };

			found = iam_touched(d, ev, ents[i], each_iam_one, &w, NULL) > 0;
			calls += w.calls;
			continue;
		}
		if (ents[i]->sgr != NULL) {
			if ((sc = sgr_each(d, ents[i], ev, fn, ctx)) >= 0) {
				calls += (size_t)sc;
				found = 1;
			}
			continue;
		}
		ne = entry_ids_ix(ents[i], ev, prov, d->ix, ids, MAX_IDS);

		for (j = 0; j < ne; j++) {
			const struct tf_instance *ins[MAX_MATCH], *cov;
			size_t nins = entry_find(d, ents[i], ev, prov, ids[j], type, ins, MAX_MATCH);

			if (nins > MAX_MATCH)
				nins = MAX_MATCH;
			found |= nins > 0;
			for (k = 0; k < nins; k++) {
				if (ents[i]->action == EM_SET_ADD && covering_instance(d, ents[i], ev) != NULL)
					continue;   /* a separate managed resource holds the member */
				if (ents[i]->action == EM_SET_REMOVE &&
				    (cov = covering_instance(d, ents[i], ev)) != NULL) {
					fn(ctx, ev, ents[i], EM_DELETE, cov);   /* that resource is gone */
					calls++;
					continue;
				}
				fn(ctx, ev, ents[i], ents[i]->action, ins[k]);
				calls++;
			}
			free(ids[j]);
		}
	}
	c->calls += calls;
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
	if (event_pipeline(d, ev))
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
		tf_idset_add(d->seen_ops, tf_hash_str(p->ev.operation_id), p->ev.time_ms);
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
	if (ev->id != NULL &&
	    tf_idset_add(d->seen_events, tf_hash_str(ev->id) ^ ev->provider, ev->time_ms)) {
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
			if (tf_idset_has(d->seen_ops, h) || pending_find(d, ev->operation_id) >= 0) {
				why = ND_DUPLICATE;
				goto done;
			}
			pending_add(d, ev, d->input)->counted = 1;
			why = ND_DEFERRED;
			goto done;
		}
		if (tf_idset_add(d->seen_ops, h, ev->time_ms)) {
			why = ND_DUPLICATE;
			goto done;
		}
		if ((pi = pending_find(d, ev->operation_id)) >= 0) {
			/* Its last entry repeats this change: counted as a duplicate. */
			pending_recount(d, &d->pending[pi], ND_DUPLICATE);
			pending_drop(d, (size_t)pi);
		}
	}
	/* A successful write: first what it puts back (resolutions), then what it drifts; the
	 * map's entries and the pipeline test made once for both (without the lifecycle,
	 * detection alone looks them up, when it gets that far). */
	if (ev->name != NULL && d->map != NULL && !d->no_lifecycle) {
		size_t n = eventmap_lookup(d->map, ev->provider, ev->source, ev->name, d->look_all,
		    MAX_ENTRIES);

		d->look_n = n > MAX_ENTRIES ? MAX_ENTRIES : n;
		d->look_pipeline = is_pipeline(d, ev);
		d->look_prov = ev->provider;
		d->look_source = ev->source;
		d->look_name = ev->name;
	}
	lifecycle_event(d, ev, out);
	why = detect_resolve(d, ev, out);
	d->look_name = NULL;
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
		if (!tf_idset_has(d->seen_ops, tf_hash_str(ev.operation_id)) &&
		    pending_find(d, ev.operation_id) < 0) {
			pending_add(d, &ev, input);
			if (ev.id != NULL)
				tf_idset_add(d->seen_events, tf_hash_str(ev.id) ^ ev.provider,
				    ev.time_ms);
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
	/* Its strings follow it in the same allocation (revt_new). */
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
	struct strbuf key;      /* lifecycle_event's TYPE:ID keys (reused: one per write event) */
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
	if (e != NULL && --e->refs == 0)
		free(e);        /* its strings live in the same block (revt_new) */
}

/* s (n bytes with its NUL) copied to *at, which moves past it; NULL stays NULL. */
static char *
revt_str(char **at, const char *s, size_t n)
{
	char *c;

	if (s == NULL)
		return NULL;
	c = memcpy(*at, s, n);
	*at += n;
	return c;
}

/* One allocation for the event and its strings: one is made for every write event. */
static struct revt *
revt_new(const struct event *ev, int pipeline)
{
	const char *str[] = { ev->id, ev->name, ev->actor.principal, ev->actor.name,
		ev->actor.type, ev->actor.role, ev->actor.session, ev->actor.account,
		ev->actor.invoked_by, ev->actor.delegation };
	size_t len = sizeof(struct revt), n[TF_ARRLEN(str)], i;
	struct revt *e;
	char *at;

	for (i = 0; i < TF_ARRLEN(str); i++) {
		n[i] = str[i] != NULL ? strlen(str[i]) + 1 : 0;
		len += n[i];
	}
	e = xmalloc(len);
	at = (char *)(e + 1);
	e->refs = 1;
	e->id = revt_str(&at, str[0], n[0]);
	e->name = revt_str(&at, str[1], n[1]);
	e->time_ms = ev->time_ms;
	e->actor.principal = revt_str(&at, str[2], n[2]);
	e->actor.name = revt_str(&at, str[3], n[3]);
	e->actor.type = revt_str(&at, str[4], n[4]);
	e->actor.role = revt_str(&at, str[5], n[5]);
	e->actor.session = revt_str(&at, str[6], n[6]);
	e->actor.account = revt_str(&at, str[7], n[7]);
	e->actor.invoked_by = revt_str(&at, str[8], n[8]);
	e->actor.delegation = revt_str(&at, str[9], n[9]);
	e->actor.via = ev->actor.via;
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
	sb_free(&lc->key);
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

/* Could entry e have made finding f? Several entries of one type may name an event (a batch's
 * creates and deletes, tags added and removed): their actions tell them apart. */
static int
entry_fits(const struct em_entry *e, const struct finding *f)
{
	if (f->kind == FK_DELETED)
		return e->action == EM_DELETE || e->action == EM_SET_REMOVE;
	if (f->nchanges == 0)
		return e->action != EM_DELETE;
	switch (f->changes[0].change) {
	case CH_REMOVED:
		return e->action == EM_SET_REMOVE;
	case CH_ADDED:
		return e->action != EM_SET_REMOVE && e->action != EM_DELETE;
	default:
		return e->action == EM_CREATE || e->action == EM_MODIFY;
	}
}

/* The map entry that made a finding read back from the store: by its event, type and what it
 * changed. */
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
		if (f->type != NULL && strcmp(ents[i]->resource, f->type) == 0 &&
		    entry_fits(ents[i], f))
			return ents[i];
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

/* The key of a provider-wide tag or label change ("tags_all.Team" -> "Team"), or NULL. */
static const char *
wide_key(const char *attr)
{
	static const char *const pre[] = { "tags_all.", "terraform_labels.", "effective_labels." };
	size_t i;

	for (i = 0; i < TF_ARRLEN(pre); i++)
		if (strncmp(attr, pre[i], strlen(pre[i])) == 0 && attr[strlen(pre[i])] != '\0')
			return attr + strlen(pre[i]);
	return NULL;
}

/* A later write of tags / labels (nv, canonical map) puts a tracked tags_all.KEY back when the
 * key has the value it had (present again, or gone again when it had none). */
static void
wide_key_back(struct dattr *da, const struct em_attr *a, const struct em_entry *e, json_object *nv)
{
	const char *k = wide_key(da->name);
	json_object *v = NULL;
	int has;

	if (k == NULL || da->kind != DA_VALUE || nv == NULL ||
	    !json_object_is_type(nv, json_type_object) ||
	    !((a->transform == VT_TAGS && strcmp(a->name, "tags") == 0 &&
	    strncmp(da->name, "tags_all.", 9) == 0) ||
	    (a->transform == VT_LABELS && strcmp(a->name, "labels") == 0 &&
	    strncmp(da->name, "tags_all.", 9) != 0)))
		return;
	has = json_object_object_get_ex(nv, k, &v);
	switch (e->action) {
	case EM_SET_ADD:
		if (has)
			da->back = val_equal(v, da->want);
		break;
	case EM_SET_REMOVE:
		if (has)
			da->back = da->want == NULL;
		break;
	default:        /* the whole set */
		da->back = has ? val_equal(v, da->want) : da->want == NULL;
		break;
	}
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
	if (f->kind == FK_UNMANAGED && e != NULL && e->sgr != NULL)
		sgr_note_from_finding(d, e, f);
	if (f->kind == FK_MODIFIED || (f->kind == FK_UNMANAGED && e != NULL &&
	    e->action == EM_SET_ADD && e->sgr == NULL)) {
		df->a = xcalloc(f->nchanges + 1, sizeof *df->a);
		for (i = 0; i < f->nchanges; i++) {
			const struct change *c = &f->changes[i];
			struct dattr *a = &df->a[df->na++];
			const struct em_attr *ea = entry_attr(e, c->attribute);

			a->name = xstrdup(c->attribute);
			if (change_unknown(c) || (ea != NULL && ea->transform == VT_REDACTED))
				a->kind = DA_UNKNOWN;
			else if (wide_key(c->attribute) != NULL) {
				/* tags_all.KEY: back when the key has its old value again (or is gone
				 * again, when it had none). */
				a->kind = DA_VALUE;
				a->want = json_object_get(c->old_val);
			}
			else if (e != NULL && e->action == EM_SET_ADD && e->deltas == NULL) {
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
		for (j = 0; j < r->nlw && strcmp(r->lw[j].attr, a->name) != 0; j++)
			;
		if (j < r->nlw && r->lw[j].ev != NULL && ev->time_ms < r->lw[j].ev->time_ms)
			continue;       /* a newer write is remembered already */
		if ((raw = attr_event_raw(a, ev)) == NULL)
			continue;
		if (j == r->nlw) {
			r->lw = xreallocarray(r->lw, r->nlw + 1, sizeof *r->lw);
			memset(&r->lw[j], 0, sizeof r->lw[j]);
			r->lw[j].attr = xstrdup(a->name);
			r->nlw++;
		}
		json_object_put(r->lw[j].raw);
		r->lw[j].raw = raw;
		r->lw[j].a = a;
		free(r->lw[j].self_id);
		r->lw[j].self_id = a->transform == VT_SG_RULES && in != NULL ? xstrdup(in->id) : NULL;
		revt_unref(r->lw[j].ev);
		r->lw[j].ev = revt_of(cur, ev, pipeline);
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
	 * before the drift it reverts. On a resource no state manages (in is NULL), only its
	 * deletion is: what settles its unmanaged findings later is a delete, and its attribute
	 * writes never do (no state value to go back to: lifecycle_settle reads them only for
	 * the attributes of modified findings, and those are on state's resources). So a write
	 * that is not a delete, on such a resource with nothing tracked, has nothing to do. */
	if (in == NULL && e->action != EM_DELETE) {
		if ((r = tf_hmap_get(&lc->by_key, key)) == NULL)
			return;
	} else {
		r = dres_get(lc, key);
		lifecycle_record(r, ev, e, in, pipeline, cur);
	}
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

				if (strcmp(da->name, a->name) != 0) {
					wide_key_back(da, a, e, nv);
					continue;
				}
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

/*
 * A successful IAM call's binding deltas on the members they name (resolve_iam_deltas): an
 * ADD is the member made again (a deleted member's finding resolves), a REMOVE the member gone
 * (an unmanaged member's finding resolves; Terraform's own closes any). Returns 0 when the
 * event has no deltas or names no resource (the next entry decides).
 */
static int
lifecycle_iam_deltas(struct detector *d, const struct event *ev, const struct em_entry *e,
    int pipeline, struct revt **cur, struct finding_list *out)
{
	static const struct em_entry made = { .action = EM_CREATE }, gone = { .action = EM_DELETE };
	json_object *dl = iam_deltas(e, ev);
	char *ids[1];
	size_t i, n, got = 0;

	if (dl == NULL || entry_ids_ix(e, ev, tf_provider_name(ev->provider), d->ix, ids, 1) == 0)
		return 0;
	n = json_object_array_length(dl);
	for (i = 0; i < n; i++) {
		const struct tf_instance *mem;
		struct iam_d dd;
		char *mid, *key;

		if (iam_delta(json_object_array_get_idx(dl, i), &dd) < 0)
			continue;
		got++;
		mid = xasprintf("%s/%s/%s%s", ids[0], dd.role, dd.member, dd.ckey);
		mem = find_one(d, mid, e->cover_resource);
		key = mem != NULL ? xstrdup(mem->address) : xasprintf("%s:%s", e->cover_resource, mid);
		lifecycle_apply(d, ev, dd.add ? &made : &gone, key, mem, pipeline, cur, out);
		free(key);
		free(mid);
		iam_d_free(&dd);
	}
	free(ids[0]);
	return got > 0;
}

/* sg_rule: remember a revoke by permissions of a rule whose id is not known yet. */
static void
sgr_note_revoked(struct detector *d, struct sgr_note *n, const struct event *ev, int pipeline,
    struct revt **cur)
{
	if (d->no_lifecycle || ev->time_ms == 0)
		return;
	if (n->rev == NULL || ev->time_ms >= n->rev->time_ms) {
		revt_unref(n->rev);
		n->rev = revt_of(cur, ev, pipeline);
	}
}

/* sg_rule: an unmanaged rule's finding is about to be made from an event at t: a revoke of
 * the rule seen already, but logged after t, is its resource's newest delete (so that
 * lifecycle_settle resolves the finding as it would have, read in order). */
static void
sgr_note_settle(struct detector *d, const struct sgr_note *n, const char *key, int64_t t)
{
	struct dres *r;

	if (d->no_lifecycle || n->rev == NULL || t == 0 || n->rev->time_ms <= t)
		return;
	r = dres_get(lc_get(d), key);
	if (r->del == NULL || n->rev->time_ms >= r->del->time_ms) {
		revt_unref(r->del);
		r->del = n->rev;
		n->rev->refs++;
	}
}

/* TYPE:ID, the key of a resource no state manages (store_resource_key), in kb. */
static const char *
type_id_key(struct strbuf *kb, const char *type, const char *id)
{
	sb_reset(kb);
	sb_adds(kb, type);
	sb_addc(kb, ':');
	sb_adds(kb, id);
	return kb->buf;
}

/* A successful write event: the tracked findings of the resources it names, as resolve_map
 * picks them (the first entry that finds any in state; else the first that names one). */

static void lifecycle_part(struct detector *d, const struct event *ev, void *out);

/* A successful write event: the tracked findings of the resources it names, part by part
 * (detect_parts), as resolve_map picks them. */
static void
lifecycle_event(struct detector *d, const struct event *ev, struct finding_list *out)
{
	if (d->no_lifecycle || d->map == NULL)
		return;
	detect_parts(d, ev, lifecycle_part, out);
}

/* One part of a successful write: the tracked findings of the resources it names, as
 * resolve_entries picks them (the first entry that finds any in state; else the first that
 * names one). */
static void
lifecycle_part(struct detector *d, const struct event *ev, void *vout)
{
	struct finding_list *out = vout;
	const struct em_entry *ents[MAX_ENTRIES], *first = NULL;
	const struct tf_instance *ins[MAX_MATCH];
	char *ids[MAX_IDS], *fids[MAX_IDS];
	const char *prov = tf_provider_name(ev->provider);
	size_t nent, ne, nf = 0, i, j, k, n = 0, found_at = 0, nfound = 0;
	int pipeline, handled = 0;
	struct revt *cur = NULL;
	struct strbuf *kb;

	if (d->no_lifecycle || d->map == NULL)
		return;
	nent = lookup_entries(d, ev, ents, NULL);
	if (nent == 0)
		return;
	kb = &lc_get(d)->key;
	pipeline = event_pipeline(d, ev);
	for (i = 0; i < nent && !handled; i++) {
		const char *type = strcmp(ents[i]->resource, "*") == 0 ? NULL : ents[i]->resource;

		if (ents[i]->deltas != NULL && ents[i]->action == EM_SET_ADD) {
			handled = lifecycle_iam_deltas(d, ev, ents[i], pipeline, &cur, out);
			continue;
		}
		if (ents[i]->sgr != NULL) {
			handled = sgr_lifecycle(d, ev, ents[i], pipeline, &cur, out);
			continue;
		}
		ne = entry_ids_ix(ents[i], ev, prov, d->ix, ids, MAX_IDS);
		for (j = 0; j < ne && d->ix != NULL && !handled; j++)
			if ((n = entry_find(d, ents[i], ev, prov, ids[j], type, ins, MAX_MATCH)) > 0) {
				handled = 1;
				found_at = j;
				nfound = n;
			}
		if (handled) {
			/* Ids before found_at matched nothing; found_at's instances are in ins. */
			for (j = 0; j < ne; j++) {
				if (j < found_at)
					n = 0;
				else if (j == found_at)
					n = nfound;
				else
					n = entry_find(d, ents[i], ev, prov, ids[j], type, ins, MAX_MATCH);
				if (n > MAX_MATCH)
					n = MAX_MATCH;
				for (k = 0; k < n; k++)
					lifecycle_apply(d, ev, ents[i], ins[k]->address, ins[k], pipeline,
					    &cur, out);
				if (n == 0 && type != NULL)
					lifecycle_apply(d, ev, ents[i], type_id_key(kb, type, ids[j]), NULL,
					    pipeline, &cur, out);
			}
		} else if (first == NULL && ne > 0 && type != NULL) {
			first = ents[i];
			memcpy(fids, ids, ne * sizeof *ids);    /* kept: freed below */
			nf = ne;
			ne = 0;
		}
		for (j = 0; j < ne; j++)
			free(ids[j]);
	}
	for (j = 0; j < nf; j++) {
		if (!handled)
			lifecycle_apply(d, ev, first, type_id_key(kb, first->resource, fids[j]), NULL,
			    pipeline, &cur, out);
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
		if (e != NULL && e->action == EM_SET_ADD && e->deltas == NULL) {
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

size_t
detector_entry_ids(const struct em_entry *e, const struct event *ev, char **ids, size_t max)
{
	size_t n = entry_ids(e, ev, tf_provider_name(ev->provider), NULL, ids, max);

	return n > 0 || e->sgr == NULL ? n : sgr_entry_ids(e, ev, ids, max);
}

json_object *
detector_attr_event(const struct em_attr *a, const struct event *ev)
{
	return attr_event_raw(a, ev);
}
