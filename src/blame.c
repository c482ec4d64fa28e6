/* blame: `tfdrift blame --plan`, from a refresh-only plan's resource_drift to the audit events
 * that explain each changed attribute (see blame.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blame.h"
#include "detect.h"
#include "state_index.h"
#include "store.h"
#include "text.h"
#include "util.h"
#include "value.h"

#define TEXT_VALUE_MAX 80       /* a value longer than this is cut in the text output */

enum bm_kind { BM_NONE = 0, BM_RESOURCE, BM_ATTRIBUTE, BM_VALUE, BM_DELETE };
static const char *bm_names[] = { "none", "resource", "attribute", "value", "delete" };

/* An event that explains something (copies of what the output shows). */
struct bev {
	enum tf_provider provider;
	char *id, *name, *source, *region, *account, *source_ip, *user_agent;
	char *operation;        /* GCP operation id, or NULL */
	int op_first;           /* the operation's first entry (it carries the request) */
	int64_t time_ms;
	struct actor actor;
};

struct bmatch {
	size_t ev;              /* index into blame.evs */
	enum bm_kind kind;
	/* The event's sort keys, copied in when sorting (qsort has no context argument). */
	int64_t time_ms;
	const char *id;
	int provider;
};

struct bchange {
	struct bmatch *m;
	size_t n, cap;
	int sensitive;          /* the plan's flag, or --state's, or an event map's */
	/* The newest event that set the attribute to another value than the plan's (0: none):
	 * what came before it was overwritten and explains nothing now. */
	int64_t other_ms;
};

struct bres {
	struct tfplan_resource *r;
	struct bchange *ch;     /* one per r->changes */
};

struct addr_ent {
	const char *address;
	size_t res;
};

/* An --state instance by address. */
struct sinst {
	const char *address;
	const struct tf_instance *in;
};

static int
sinst_cmp(const void *x, const void *y)
{
	return strcmp(((const struct sinst *)x)->address, ((const struct sinst *)y)->address);
}

struct blame {
	struct tf_plan *plan;
	struct tf_state **states;       /* --state (owned by the index; the array is ours) */
	size_t nstates;
	const struct eventmap *map;
	const struct conf *conf;
	struct state_index *ix;
	struct detector *det;
	struct bres *res;
	size_t nres;
	struct addr_ent *byaddr;        /* sorted by address */
	struct sinst *sinst;            /* the --state instances, sorted by address */
	size_t nsinst;
	struct bev *evs;
	size_t nev, capev;
	struct tf_hset seen;
	uint64_t nevents, nfailed, nread_only, nduplicate, nlater;
	int sorted;
	size_t max_events;      /* listed per change; 0: all */
	int64_t until_ms;       /* events after it are left out; 0: none */
};

/* ---- attribute paths ---- */

enum rel { REL_NONE = 0, REL_SAME, REL_ANCESTOR, REL_DESCENDANT };

/* How an event map's attribute `a` relates to a change's path `p`; for REL_ANCESTOR, *rest
 * is what p adds below a ("Name" for tags / tags.Name). */
static enum rel
relate1(const char *a, const char *p, const char **rest)
{
	size_t la = strlen(a), lp = strlen(p);

	if (strcmp(a, p) == 0)
		return REL_SAME;
	if (la < lp && strncmp(a, p, la) == 0 && p[la] == '.') {
		*rest = p + la + 1;
		return REL_ANCESTOR;
	}
	if (lp < la && strncmp(a, p, lp) == 0 && a[lp] == '.')
		return REL_DESCENDANT;
	return REL_NONE;
}

/* The AWS provider's tags_all is tags plus the provider's default_tags: a change to it is a
 * change to tags as far as the log goes. *alias (heap) is the tags path it stands for. */
static enum rel
relate(const char *a, const char *p, const char **rest, char **alias)
{
	enum rel r;

	*alias = NULL;
	if (p == NULL)
		return REL_NONE;
	if ((r = relate1(a, p, rest)) != REL_NONE)
		return r;
	if (strncmp(p, "tags_all", 8) == 0 && (p[8] == '\0' || p[8] == '.')) {
		*alias = xasprintf("tags%s", p + 8);
		if ((r = relate1(a, *alias, rest)) != REL_NONE)
			return r;
		free(*alias);
		*alias = NULL;
	}
	return REL_NONE;
}

/* ---- set-up ---- */

static int
addr_cmp(const void *x, const void *y)
{
	const struct addr_ent *a = x, *b = y;

	return strcmp(a->address, b->address);
}

static struct bres *
res_by_address(struct blame *b, const char *address)
{
	struct addr_ent key = { address, 0 }, *hit;

	hit = bsearch(&key, b->byaddr, b->nres, sizeof *b->byaddr, addr_cmp);
	return hit != NULL ? &b->res[hit->res] : NULL;
}

/* Sensitive by an event map (sensitive: true on an attribute that covers or is covered by
 * the change) or by an --state instance of the same address. */
static int
extra_sensitive(const struct blame *b, const struct tfplan_resource *r, const char *path)
{
	size_t i, j;
	const char *at = path != NULL ? path : "id", *rest;
	char *alias;

	for (i = 0; i < eventmap_count(b->map); i++) {
		const struct em_entry *e = eventmap_entry(b->map, i);

		if (strcmp(e->resource, r->type) != 0 && strcmp(e->resource, "*") != 0)
			continue;
		for (j = 0; j < e->nattrs; j++) {
			enum rel rl;

			if (!e->attrs[j].sensitive)
				continue;
			rl = relate(e->attrs[j].name, at, &rest, &alias);
			free(alias);
			if (rl != REL_NONE)
				return 1;
		}
	}
	/* The --state instances of the same address (sorted by address: neighbours). */
	{
		struct sinst key = { r->address, NULL }, *hit;

		hit = bsearch(&key, b->sinst, b->nsinst, sizeof *b->sinst, sinst_cmp);
		while (hit != NULL && hit > b->sinst && strcmp(hit[-1].address, r->address) == 0)
			hit--;
		for (; hit != NULL && hit < b->sinst + b->nsinst &&
		    strcmp(hit->address, r->address) == 0; hit++)
			if (tfstate_is_sensitive(hit->in, at))
				return 1;
	}
	return 0;
}

struct blame *
blame_new(struct tf_plan *plan, struct tf_state **states, size_t nstates,
    const struct eventmap *map, const struct conf *conf)
{
	struct blame *b = xcalloc(1, sizeof *b);
	struct tf_state **all = xcalloc(nstates + 1, sizeof *all);
	const struct index_key_spec *specs;
	size_t nspecs, i, k, n = 0;

	b->plan = plan;
	b->max_events = BLAME_DEFAULT_MAX_EVENTS;
	b->until_ms = plan->timestamp_ms;
	b->map = map;
	b->conf = conf;
	b->states = states;
	b->nstates = nstates;
	for (i = 0; i < nstates; i++)
		b->nsinst += states[i]->ninst;
	b->sinst = xcalloc(b->nsinst + 1, sizeof *b->sinst);
	for (i = 0, n = 0; i < nstates; i++)
		for (k = 0; k < states[i]->ninst; k++) {
			b->sinst[n].address = states[i]->inst[k].address;
			b->sinst[n++].in = &states[i]->inst[k];
		}
	qsort(b->sinst, b->nsinst, sizeof *b->sinst, sinst_cmp);
	n = 0;
	/* The plan's objects first: where --state holds the same object, the plan's wins. */
	all[n++] = tfplan_take_before_state(plan);
	for (i = 0; i < nstates; i++)
		all[n++] = states[i];
	specs = eventmap_index_specs(map, &nspecs);
	b->ix = state_index_build(all, n, specs, nspecs);
	free(all);
	b->det = detector_new(map, b->ix, conf);
	b->nres = plan->nres;
	b->res = xcalloc(b->nres + 1, sizeof *b->res);
	b->byaddr = xcalloc(b->nres + 1, sizeof *b->byaddr);
	for (i = 0; i < b->nres; i++) {
		struct tfplan_resource *r = &plan->res[i];

		b->res[i].r = r;
		b->res[i].ch = xcalloc(r->nchanges + 1, sizeof *b->res[i].ch);
		for (k = 0; k < r->nchanges; k++)
			b->res[i].ch[k].sensitive = r->changes[k].sensitive ||
			    extra_sensitive(b, r, r->changes[k].path);
		b->byaddr[i].address = r->address;
		b->byaddr[i].res = i;
	}
	qsort(b->byaddr, b->nres, sizeof *b->byaddr, addr_cmp);
	return b;
}

void
blame_set_max_events(struct blame *b, size_t n)
{
	b->max_events = n;
}

void
blame_set_until(struct blame *b, int64_t until_ms)
{
	b->until_ms = until_ms;
}

/* How many of a change's events are listed. */
static size_t
listed(const struct blame *b, const struct bchange *bc)
{
	return b->max_events != 0 && bc->n > b->max_events ? b->max_events : bc->n;
}

void
blame_free(struct blame *b)
{
	size_t i, k;

	if (b == NULL)
		return;
	for (i = 0; i < b->nres; i++) {
		for (k = 0; k < b->res[i].r->nchanges; k++)
			free(b->res[i].ch[k].m);
		free(b->res[i].ch);
	}
	free(b->res);
	free(b->byaddr);
	free(b->sinst);
	for (i = 0; i < b->nev; i++) {
		struct bev *e = &b->evs[i];

		free(e->id);
		free(e->name);
		free(e->source);
		free(e->region);
		free(e->account);
		free(e->source_ip);
		free(e->user_agent);
		free(e->operation);
		actor_clear(&e->actor);
	}
	free(b->evs);
	tf_hset_free(&b->seen);
	detector_free(b->det);
	if (b->ix != NULL)
		state_index_unref(b->ix);
	free(b->states);
	tfplan_free(b->plan);
	free(b);
}

/* ---- matching ---- */

struct ev_ctx {
	struct blame *b;
	const struct event *ev;
	size_t idx;             /* its index in b->evs once it explains something, else SIZE_MAX */
};

static size_t
ev_index(struct ev_ctx *c)
{
	struct blame *b = c->b;
	const struct event *ev = c->ev;
	struct bev *e;

	if (c->idx != SIZE_MAX)
		return c->idx;
	if (b->nev == b->capev) {
		b->capev = b->capev ? b->capev * 2 : 16;
		b->evs = xreallocarray(b->evs, b->capev, sizeof *b->evs);
	}
	e = &b->evs[b->nev];
	memset(e, 0, sizeof *e);
	e->provider = ev->provider;
	e->id = xstrdup(ev->id);
	e->name = xstrdup(ev->name);
	e->source = xstrdup(ev->source);
	e->region = xstrdup(ev->region);
	e->account = xstrdup(ev->account);
	e->source_ip = xstrdup(ev->source_ip);
	e->user_agent = xstrdup(ev->user_agent);
	e->operation = xstrdup(ev->operation_id);
	e->op_first = ev->op_first;
	e->time_ms = ev->time_ms;
	actor_copy(&e->actor, &ev->actor);
	c->idx = b->nev++;
	b->sorted = 0;
	return c->idx;
}

static int
same_operation(const struct bev *a, const struct bev *b)
{
	return a->operation != NULL && b->operation != NULL && a->provider == b->provider &&
	    strcmp(a->operation, b->operation) == 0;
}

/* Record that the event explains change ch (the stronger kind when it already does). The
 * entries of one GCP operation are one change: listed once, as its first entry when that
 * explains as much. */
static void
add_match(struct ev_ctx *c, struct bchange *ch, enum bm_kind kind)
{
	size_t ev = ev_index(c), i;
	struct blame *b = c->b;

	/* An event's matches are added while it is handled, so only an operation's other
	 * entries need a search (a change touched 10,000 times stays linear). */
	i = ch->n > 0 && b->evs[ev].operation == NULL ? ch->n - 1 : 0;
	for (; i < ch->n; i++) {
		struct bmatch *m = &ch->m[i];

		if (m->ev == ev) {
			if (kind > m->kind)
				m->kind = kind;
			return;
		}
		if (same_operation(&b->evs[m->ev], &b->evs[ev])) {
			if (kind > m->kind || (kind == m->kind && b->evs[ev].op_first &&
			    !b->evs[m->ev].op_first)) {
				m->ev = ev;
				m->kind = kind;
			}
			return;
		}
	}
	if (ch->n == ch->cap) {
		ch->cap = ch->cap ? ch->cap * 2 : 4;
		ch->m = xreallocarray(ch->m, ch->cap, sizeof *ch->m);
	}
	ch->m[ch->n].ev = ev;
	ch->m[ch->n].kind = kind;
	ch->n++;
}

static size_t
json_size(json_object *v)
{
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v);
	if (json_object_is_type(v, json_type_object))
		return (size_t)json_object_object_length(v);
	return v != NULL;
}

static json_object *
member_at(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL)
		return NULL;
	if (json_object_is_type(o, json_type_object) && json_object_object_get_ex(o, key, &v))
		return v;
	return json_get_path(o, key);
}

/*
 * Does new value nv (canonical, from the event) of attribute a, written with `action`, leave
 * the change at the plan's after value? The after side is the plan's object read at a's path
 * and made canonical the same way (state_transform). 1 yes; 0 it set another value; -1 it
 * did not touch this part (another key of a map; set members the plan does not settle).
 */
static int
sets_after(const struct em_attr *a, enum em_action action, json_object *nv, enum rel rl,
    const char *rest, int alias, const struct tfplan_resource *r)
{
	json_object *av = NULL, *minus;
	int ok = 0;

	/* For tags_all, its own after value: a default tag is not in tags. */
	if (r->after_inst != NULL)
		av = val_from_state(a->state_transform, tfstate_attr(r->after_inst,
		    alias ? "tags_all" : a->name));
	if (rl == REL_ANCESTOR && json_object_is_type(nv, json_type_object)) {
		/* A map (tags, labels, metadata): the event names the key or it did not touch it. */
		json_object *nk = member_at(nv, rest), *ak = member_at(av, rest);

		if (nk != NULL || json_object_object_get_ex(nv, rest, NULL))
			ok = action == EM_SET_REMOVE ? ak == NULL : val_equal(nk, ak);
		else
			ok = -1;
	} else if (action == EM_SET_ADD) {
		minus = val_set_minus(nv, av);
		ok = !val_empty(nv) && val_empty(minus) ? 1 : -1;
		json_object_put(minus);
	} else if (action == EM_SET_REMOVE) {
		minus = val_set_minus(nv, av);
		ok = !val_empty(nv) && json_size(minus) == json_size(nv) ? 1 : -1;
		json_object_put(minus);
	} else
		ok = val_equal(nv, av);
	json_object_put(av);
	return ok;
}

/* detector_each_instance's callback: what this (entry, instance) explains. */
static void
on_instance(void *ctx, const struct event *part, const struct em_entry *e,
    enum em_action action, const struct tf_instance *in)
{
	struct ev_ctx *c = ctx;
	struct bres *br = res_by_address(c->b, in->address);
	const struct tfplan_resource *r;
	json_object **nv;
	int *present, any = 0;
	size_t i, k;

	if (br == NULL)
		return;
	r = br->r;
	if (action == EM_DELETE) {
		if (r->action == TPA_DELETE && r->nchanges > 0)
			add_match(c, &br->ch[0], BM_DELETE);
		return;
	}
	if (r->action == TPA_DELETE)
		return;         /* a change to what is gone explains nothing about its going */
	/* A GCP operation's last entry repeats its first without the request: it says nothing
	 * about which attribute changed (its first entry does). */
	if (c->ev->operation_id != NULL && c->ev->op_last && !c->ev->op_first)
		return;
	nv = xcalloc(e->nattrs + 1, sizeof *nv);
	present = xcalloc(e->nattrs + 1, sizeof *present);
	for (i = 0; i < e->nattrs; i++) {
		nv[i] = detect_attr_new_value(&e->attrs[i], part, in, &present[i]);
		any |= present[i];
	}
	for (k = 0; k < r->nchanges; k++) {
		enum bm_kind best = BM_NONE;

		for (i = 0; i < e->nattrs && best != BM_VALUE; i++) {
			const struct em_attr *a = &e->attrs[i];
			const char *rest = NULL;
			char *alias = NULL;
			enum rel rl = relate(a->name, r->changes[k].path, &rest, &alias);

			if (rl != REL_NONE && present[i]) {
				/* A secret's value is never compared: the store does not keep
				 * it (eventmap_seen_record), and files must say the same. */
				int set = a->transform == VT_REDACTED || a->sensitive ? -2 :
				    sets_after(a, action, nv[i], rl, rest, alias != NULL, r);

				if (set == -2)
					best = BM_ATTRIBUTE;
				else if (set == 1)
					best = BM_VALUE;
				else if (set == 0 && c->ev->time_ms > br->ch[k].other_ms)
					br->ch[k].other_ms = c->ev->time_ms;
			}
			free(alias);
		}
		/* The map knows the call changes the resource, not which attribute it logged (as
		 * detection's "touched" findings). */
		if (best == BM_NONE && !any && (action == EM_MODIFY || action == EM_SET_ADD))
			best = BM_RESOURCE;
		if (best != BM_NONE)
			add_match(c, &br->ch[k], best);
	}
	for (i = 0; i < e->nattrs; i++)
		json_object_put(nv[i]);
	free(nv);
	free(present);
}

void
blame_add_event(struct blame *b, const struct event *ev)
{
	struct ev_ctx c = { b, ev, SIZE_MAX };

	if (ev->read_only == 1) {
		b->nread_only++;
		return;
	}
	if (b->until_ms != 0 && ev->time_ms > b->until_ms) {
		b->nlater++;        /* after the plan: it cannot explain what the plan saw */
		return;
	}
	if (ev->id != NULL && tf_hset_test_and_add(&b->seen, tf_hash_str(ev->id) ^ ev->provider)) {
		b->nduplicate++;
		return;
	}
	b->nevents++;
	if (ev->error_code != NULL) {
		b->nfailed++;       /* a failed call changed nothing */
		return;
	}
	detector_each_instance(b->det, ev, on_instance, &c);
}

/* ---- the answer ---- */

/* Newest first; then by id, so the order never depends on the input's. */
static int
match_cmp(const void *x, const void *y)
{
	const struct bmatch *a = x, *b = y;
	int c;

	if (a->time_ms != b->time_ms)
		return a->time_ms > b->time_ms ? -1 : 1;
	c = strcmp(a->id != NULL ? a->id : "", b->id != NULL ? b->id : "");
	if (c != 0)
		return c;
	return a->provider - b->provider;
}

/* Newest first, without what a later write of another value overwrote. */
static void
sort_matches(struct blame *b)
{
	size_t i, k, j, n;

	if (b->sorted)
		return;
	for (i = 0; i < b->nres; i++)
		for (k = 0; k < b->res[i].r->nchanges; k++) {
			struct bchange *bc = &b->res[i].ch[k];

			for (j = n = 0; j < bc->n; j++) {
				const struct bev *e = &b->evs[bc->m[j].ev];

				if (bc->other_ms != 0 && e->time_ms < bc->other_ms)
					continue;
				bc->m[n] = bc->m[j];
				bc->m[n].time_ms = e->time_ms;
				bc->m[n].id = e->id;
				bc->m[n].provider = (int)e->provider;
				n++;
			}
			bc->n = n;
			if (bc->n > 1)
				qsort(bc->m, bc->n, sizeof *bc->m, match_cmp);
		}
	b->sorted = 1;
}

/* Explained by an event that set the value (or deleted the resource), not only weakly. */
static int
strongly(const struct bchange *bc)
{
	size_t j;

	for (j = 0; j < bc->n; j++)
		if (bc->m[j].kind == BM_VALUE || bc->m[j].kind == BM_DELETE)
			return 1;
	return 0;
}

static int
res_unexplained(const struct bres *br)
{
	size_t k;

	for (k = 0; k < br->r->nchanges; k++)
		if (br->ch[k].n == 0)
			return 1;
	return 0;
}

size_t
blame_unexplained(struct blame *b)
{
	size_t i, k, n = 0;

	sort_matches(b);
	for (i = 0; i < b->nres; i++)
		for (k = 0; k < b->res[i].r->nchanges; k++)
			n += b->res[i].ch[k].n == 0;
	return n;
}

static json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
jtime(int64_t ms)
{
	char buf[32];

	if (ms == 0)
		return NULL;
	tf_format_time(ms, buf);
	return json_object_new_string(buf);
}

static json_object *
jvalue(json_object *v, int sensitive)
{
	if (sensitive)
		return json_object_new_string("(sensitive)");
	return json_object_get(v);
}

static const char *
res_id(const struct tfplan_resource *r)
{
	if (r->before_inst != NULL && r->before_inst->id != NULL)
		return r->before_inst->id;
	if (r->after_inst != NULL && r->after_inst->id != NULL)
		return r->after_inst->id;
	return NULL;
}

static json_object *
event_json(const struct bev *e, enum bm_kind kind)
{
	json_object *o = json_object_new_object(), *act = actor_to_json(&e->actor);

	json_object_object_add(o, "id", jstr(e->id));
	json_object_object_add(o, "name", jstr(e->name));
	json_object_object_add(o, "time", jtime(e->time_ms));
	json_object_object_add(o, "provider", json_object_new_string(tf_provider_name(e->provider)));
	json_object_object_add(o, "source", jstr(e->source));
	json_object_object_add(o, "region", jstr(e->region));
	json_object_object_add(o, "account", jstr(e->account));
	json_object_object_add(o, "match", json_object_new_string(bm_names[kind]));
	json_object_object_add(act, "source_ip", jstr(e->source_ip));
	json_object_object_add(act, "user_agent", jstr(e->user_agent));
	json_object_object_add(o, "actor", act);
	return o;
}

json_object *
blame_to_json(struct blame *b)
{
	json_object *doc = json_object_new_object(), *arr = json_object_new_array(), *sum;
	size_t i, k, j, nch = 0, nunexp = 0, nweak = 0, nunres = 0;

	sort_matches(b);
	json_object_object_add(doc, "schema", json_object_new_string("tfdrift.blame/v1"));
	json_object_object_add(doc, "generated_at", jtime(tf_now_ms()));
	json_object_object_add(doc, "plan", jstr(b->plan->source));
	json_object_object_add(doc, "until", jtime(b->until_ms));
	for (i = 0; i < b->nres; i++) {
		const struct bres *br = &b->res[i];
		const struct tfplan_resource *r = br->r;
		json_object *ro = json_object_new_object(), *chs = json_object_new_array();
		int unexp = res_unexplained(br);

		json_object_object_add(ro, "address", jstr(r->address));
		json_object_object_add(ro, "type", jstr(r->type));
		json_object_object_add(ro, "provider", jstr(r->provider_name));
		json_object_object_add(ro, "id", jstr(res_id(r)));
		json_object_object_add(ro, "action", json_object_new_string(tfplan_action_name(r->action)));
		if (r->deposed != NULL)
			json_object_object_add(ro, "deposed", json_object_new_string(r->deposed));
		for (k = 0; k < r->nchanges; k++) {
			const struct tfplan_change *c = &r->changes[k];
			const struct bchange *bc = &br->ch[k];
			json_object *co = json_object_new_object(), *evs = json_object_new_array();

			json_object_object_add(co, "attribute", jstr(c->path));
			json_object_object_add(co, "before", jvalue(c->before, bc->sensitive));
			json_object_object_add(co, "after", jvalue(c->after, bc->sensitive));
			if (bc->sensitive)
				json_object_object_add(co, "sensitive", json_object_new_boolean(1));
			for (j = 0; j < listed(b, bc); j++)
				json_object_array_add(evs, event_json(&b->evs[bc->m[j].ev], bc->m[j].kind));
			json_object_object_add(co, "events", evs);
			json_object_object_add(co, "events_total", json_object_new_int64((int64_t)bc->n));
			json_object_object_add(co, "unexplained", json_object_new_boolean(bc->n == 0));
			json_object_array_add(chs, co);
			nch++;
			nunexp += bc->n == 0;
			nweak += bc->n > 0 && !strongly(bc);
		}
		json_object_object_add(ro, "changes", chs);
		json_object_object_add(ro, "unexplained", json_object_new_boolean(unexp));
		json_object_array_add(arr, ro);
		nunres += unexp;
	}
	json_object_object_add(doc, "resources", arr);
	sum = json_object_new_object();
	json_object_object_add(sum, "resources", json_object_new_int64((int64_t)b->nres));
	json_object_object_add(sum, "unexplained_resources", json_object_new_int64((int64_t)nunres));
	json_object_object_add(sum, "changes", json_object_new_int64((int64_t)nch));
	json_object_object_add(sum, "explained", json_object_new_int64((int64_t)(nch - nunexp)));
	json_object_object_add(sum, "weakly_explained", json_object_new_int64((int64_t)nweak));
	json_object_object_add(sum, "unexplained", json_object_new_int64((int64_t)nunexp));
	json_object_object_add(doc, "summary", sum);
	return doc;
}

/* A value for a line of text: JSON form, cut to TEXT_VALUE_MAX, escaped. */
static void
text_value(FILE *fp, json_object *v, int sensitive)
{
	char *s;
	size_t k;

	if (sensitive) {
		fputs("(sensitive)", fp);
		return;
	}
	if (v == NULL) {
		fputs("(none)", fp);
		return;
	}
	s = val_to_string(v);
	if (strlen(s) > TEXT_VALUE_MAX) {
		k = TEXT_VALUE_MAX - 3;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;        /* never inside a character */
		strcpy(s + k, "...");
	}
	text_fputs(fp, s);
	free(s);
}

static void
text_actor(FILE *fp, const struct actor *a)
{
	text_fputs(fp, a->name != NULL ? a->name : a->principal != NULL ? a->principal : "?");
	if (a->role != NULL || a->session != NULL) {
		fputs(" (", fp);
		if (a->role != NULL) {
			fputs("role ", fp);
			text_fputs(fp, a->role);
		}
		if (a->session != NULL) {
			fputs(a->role != NULL ? ", session " : "session ", fp);
			text_fputs(fp, a->session);
		}
		fputc(')', fp);
	}
	fprintf(fp, " via %s", tf_via_name(a->via));
}

static const char *
kind_note(enum bm_kind k)
{
	switch (k) {
	case BM_ATTRIBUTE:
		return "  [changed it; the value is not in the log]";
	case BM_RESOURCE:
		return "  [changed the resource; the log does not say which attribute]";
	default:
		return "";
	}
}

void
blame_print_text(struct blame *b, FILE *fp)
{
	size_t i, k, j, nch = 0, nunexp = 0, nunres = 0, nweak = 0;

	sort_matches(b);
	for (i = 0; i < b->nres; i++) {
		const struct bres *br = &b->res[i];
		const struct tfplan_resource *r = br->r;

		text_fputs(fp, r->address);
		fputs("  (", fp);
		text_fputs(fp, r->type);
		if (res_id(r) != NULL) {
			fputc(' ', fp);
			text_fputs(fp, res_id(r));
		}
		fprintf(fp, ")%s  %s\n", r->deposed != NULL ? " deposed" : "",
		    r->action == TPA_DELETE ? "deleted" :
		    r->action == TPA_UPDATE ? "changed" : tfplan_action_name(r->action));
		for (k = 0; k < r->nchanges; k++) {
			const struct tfplan_change *c = &r->changes[k];
			const struct bchange *bc = &br->ch[k];

			fputs("  ", fp);
			if (c->path == NULL) {
				fputs("(the whole resource) ", fp);
				text_value(fp, c->before != NULL ? c->before : c->after, bc->sensitive);
			} else {
				text_fputs(fp, c->path);
				fputs(": ", fp);
				text_value(fp, c->before, bc->sensitive);
				fputs(" \u2192 ", fp);
				text_value(fp, c->after, bc->sensitive);
			}
			fputc('\n', fp);
			for (j = 0; j < listed(b, bc); j++) {
				const struct bev *e = &b->evs[bc->m[j].ev];
				char tbuf[32];

				if (e->time_ms != 0)
					tf_format_time(e->time_ms, tbuf);
				else
					strcpy(tbuf, "(time unknown)");
				fprintf(fp, "    %s  ", tbuf);
				text_fputs(fp, e->name);
				fputs(" by ", fp);
				text_actor(fp, &e->actor);
				fputs("  event ", fp);
				text_fputs(fp, e->id != NULL ? e->id : "(no id)");
				fprintf(fp, "%s\n", kind_note(bc->m[j].kind));
			}
			if (listed(b, bc) < bc->n)
				fprintf(fp, "    ... and %zu older event%s (--max-events)\n",
				    bc->n - listed(b, bc), bc->n - listed(b, bc) == 1 ? "" : "s");
			if (bc->n == 0)
				fprintf(fp, "    unexplained: no recorded event %s\n",
				    r->action == TPA_DELETE ? "deleted it" : "made this change");
			nch++;
			nunexp += bc->n == 0;
			nweak += bc->n > 0 && !strongly(bc);
		}
		nunres += res_unexplained(br);
	}
	fprintf(fp, "%s%zu drifted resource%s, %zu change%s: %zu explained", b->nres > 0 ? "\n" : "",
	    b->nres, b->nres == 1 ? "" : "s", nch, nch == 1 ? "" : "s", nch - nunexp);
	if (nweak > 0)
		fprintf(fp, " (%zu only weakly)", nweak);
	fprintf(fp, ", %zu unexplained (%zu resource%s)\n", nunexp, nunres, nunres == 1 ? "" : "s");
}

/* ---- the command ---- */

static int
from_store(void *ctx, const struct event *ev)
{
	blame_add_event(ctx, ev);
	return 0;
}

/* Write the answer to path (NULL or "-": standard output). 0, or -1 after a message. */
static int
write_answer(struct blame *b, const char *path, int json)
{
	FILE *fp = stdout;
	int bad;

	if (path != NULL && strcmp(path, "-") != 0 && (fp = fopen(path, "w")) == NULL) {
		fprintf(stderr, "tfdrift: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (json) {
		json_object *doc = blame_to_json(b);
		char *s = text_json_string(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		    JSON_C_TO_STRING_NOSLASHESCAPE);

		fputs(s, fp);
		fputc('\n', fp);
		free(s);
		json_object_put(doc);
	} else
		blame_print_text(b, fp);
	bad = fflush(fp) != 0 || ferror(fp);
	if (fp != stdout)
		bad |= fclose(fp) != 0;
	if (bad) {
		fprintf(stderr, "tfdrift: writing %s: %s\n", fp == stdout ? "standard output" :
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

int
blame_run(const struct blame_opts *o)
{
	size_t max_events = o->max_events;
	int64_t until = o->until_ms;
	const char *planpath = o->plan, *storepath = o->store, *outpath = o->output;
	const char *cfgpath = o->config, *mapdir = o->event_maps;
	const struct strlist *events = &o->events, *states = &o->states;
	struct tf_plan *plan = NULL;
	struct tf_state **sts = NULL;
	struct eventmap *map = NULL;
	struct store *store = NULL;
	struct blame *b = NULL;
	struct conf conf;
	int rc = 0, quiet = o->quiet, json = o->json, conf_ok = 0, errors = 0;
	size_t i, nsts = 0;
	char *err = NULL;

	if (tfplan_load_file(planpath, &plan, &err) != 0) {
		fputs("tfdrift: ", stderr);
		text_fputs(stderr, err);
		fputc('\n', stderr);
		rc = 1;
		goto out;
	}
	conf_init(&conf);
	conf_ok = 1;
	if (conf_load_report(&conf, cfgpath, stderr) != 0) {
		rc = 1;
		goto out;
	}
	if ((map = eventmap_load_report(mapdir != NULL ? mapdir : conf_event_maps_dir(&conf),
	    stderr)) == NULL) {
		rc = 1;
		goto out;
	}
	sts = xcalloc(states->n + 1, sizeof *sts);
	for (i = 0; i < states->n; i++) {
		if (strstr(states->v[i], "://") != NULL) {
			fprintf(stderr, "tfdrift: %s: remote state backends are read by the live "
			    "sources; save it first (terraform state pull > state.tfstate)\n",
			    states->v[i]);
			errors++;
			continue;
		}
		if (tfstate_load_file(states->v[i], &sts[nsts], &err) != 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			err = NULL;
			errors++;
			continue;
		}
		nsts++;
	}
	if (errors > 0) {
		for (i = 0; i < nsts; i++)
			tfstate_free(sts[i]);
		free(sts);
		sts = NULL;
		rc = 1;
		goto out;
	}
	if (storepath != NULL && store_open(storepath, STORE_RDONLY, &store, &err) != 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		rc = 1;
		goto out;
	}
	if (!plan->has_drift || plan->nres == 0) {
		if (!quiet)
			fprintf(stderr, "tfdrift: %s: the plan records no drift (%s): nothing to "
			    "explain\n", planpath, plan->has_drift ? "resource_drift is empty" :
			    "no resource_drift; was it made with terraform plan -refresh-only?");
	}
	b = blame_new(plan, sts, nsts, map, &conf);
	blame_set_max_events(b, max_events);
	if (until >= 0)
		blame_set_until(b, until);
	plan = NULL;
	sts = NULL;
	if (store != NULL) {
		int n = store_each_event(store, from_store, b, &err);

		if (n < 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			rc = 1;
			goto out;
		}
		if (n > 0 && !quiet)
			fprintf(stderr, "tfdrift: warning: %s (%d event%s)\n", err, n, n == 1 ? "" : "s");
		free(err);
		err = NULL;
	}
	for (i = 0; i < events->n; i++) {
		struct ev_warn_stderr wc = { 0, quiet };
		struct ev_reader *r = ev_reader_open(events->v[i], &err);
		struct event ev;
		int got;

		if (r == NULL) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			err = NULL;
			errors++;
			continue;
		}
		ev_reader_set_warn(r, ev_warn_stderr, &wc);
		ev_reader_set_skip_read_only(r, 1);
		while ((got = ev_reader_next(r, &ev, &err)) == 1) {
			blame_add_event(b, &ev);
			event_free(&ev);
		}
		if (got < 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			err = NULL;
			errors++;
		}
		ev_warn_stderr_done(&wc, events->v[i]);
		ev_reader_close(r);
	}
	if (errors > 0) {
		rc = 1;
		goto out;
	}
	if (write_answer(b, outpath, json) != 0) {
		rc = 1;
		goto out;
	}
	if (!quiet)
		fprintf(stderr, "tfdrift: %llu write event%s (%llu failed; %llu after the plan "
		    "left out), %zu drifted resource%s: %zu change%s unexplained\n",
		    (unsigned long long)b->nevents, b->nevents == 1 ? "" : "s",
		    (unsigned long long)b->nfailed, (unsigned long long)b->nlater, b->nres,
		    b->nres == 1 ? "" : "s", blame_unexplained(b),
		    blame_unexplained(b) == 1 ? "" : "s");
	rc = blame_unexplained(b) > 0 ? 2 : 0;
out:
	free(err);
	blame_free(b);
	tfplan_free(plan);
	if (sts != NULL) {
		for (i = 0; i < nsts; i++)
			tfstate_free(sts[i]);
		free(sts);
	}
	store_close(store);
	eventmap_free(map);
	if (conf_ok)
		conf_free(&conf);
	return rc;
}
