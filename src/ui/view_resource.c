/* view_resource: one resource, reached by drilling down (Enter on a finding's resource line, a
 * dependent in its blast radius, an event's resource, a row of the Resources view): what it
 * is, then its history oldest first, read down like tig's blame: every finding on it (with
 * its status now, a resolved one with what resolved it) and every other write event that
 * touched it (Terraform applies, reverts, failed calls, changes equal to state, drift on
 * another resource that named it too), with what each set: the old value the one the
 * history set last (a finding's new value, an earlier event's), else the state's. o sorts
 * it another way. Enter on a finding opens it in Findings, on an event in Events; Backspace
 * goes back. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "keys.h"
#include "store.h"
#include "ui_int.h"

enum { C_TIME = 0, C_WHAT, C_ACTOR, C_VIA, C_OUTCOME, C_CHANGE, C__N };

static const struct ui_col cols[C__N] = {
	/* Narrow, what it changed gives way last (a bigger flex gives way sooner). */
	[C_TIME] = { "TIME", 8, 12, 0, 0, UI_COL_DESC },
	[C_WHAT] = { "EVENT", 10, 0, 2, 35, 0 },
	[C_ACTOR] = { "ACTOR", 8, 0, 2, 30, 0 },
	[C_VIA] = { "VIA", 3, 9, 0, 0, 0 },
	[C_OUTCOME] = { "OUTCOME", 12, 0, 2, 45, 0 },
	[C_CHANGE] = { "CHANGE", 16, 0, 1, 0, 0 },
};

enum { RF_ACTOR = 0, RF_EVENT, RF_OUTCOME };
static const struct filter_field fields[] = {
	{ "actor", RF_ACTOR, FT_TEXT }, { "who", RF_ACTOR, FT_TEXT }, { "event", RF_EVENT, FT_TEXT },
	{ "outcome", RF_OUTCOME, FT_TEXT },
};
static const struct filter_schema schema = {
	fields, TF_ARRLEN(fields), "actor event outcome since until",
};

static const struct key_hint hints[] = {
	{ ACT_SHOW, ACT_NONE }, { ACT_BACK, ACT_NONE }, { ACT_FILTER, ACT_NONE },
	{ ACT_COMMAND, ACT_NONE }, { ACT_TAB_FINDINGS, ACT_TAB_RESOURCES }, { ACT_SORT, ACT_NONE },
	{ ACT_NONE, ACT_NONE },
};

/* A row: a finding (f) or an event that made none on this resource (e). */
struct row {
	const struct finding *f;
	const struct ui_event *e;
	int64_t t;
	char *outcome;          /* heap */
	char *change;           /* an event's: what it set here (heap) */
};

struct rpriv {
	struct row *all;        /* every entry (owned) */
	size_t nall;
	size_t *idx;            /* the ones shown, in order: indexes into all */
	size_t n;
	const struct finding *first;    /* a finding on it: type, id, state, module */
	size_t nfindings, nopen, nevents;
};

static const char *
text_of(const struct row *r, int col, char *buf, size_t len)
{
	char t[20];

	switch (col) {
	case C_TIME:
		ui_time_list(r->t, t);
		snprintf(buf, len, "%s", t);
		return buf;
	case C_WHAT:
		return r->f != NULL ? (r->f->event_name ? r->f->event_name : "?") :
		    r->e->name ? r->e->name : "?";
	case C_ACTOR:
		if (r->f != NULL)
			return r->f->actor.name ? r->f->actor.name : r->f->actor.principal ?
			    r->f->actor.principal : "?";
		return r->e->actor ? r->e->actor : "?";
	case C_VIA: return tf_via_name(r->f != NULL ? r->f->actor.via : r->e->via);
	case C_OUTCOME: return r->outcome;
	case C_CHANGE: return r->f != NULL ? (r->f->summary ? r->f->summary : "") :
		    r->change ? r->change : "";
	default: return "";
	}
}

static size_t
values(const void *item, int field, const char **out, size_t max, char *scratch)
{
	const struct row *r = item;
	size_t n = 0;

	if (max < 4)
		return 0;
	/* Neither needs the scratch (both are the row's own strings). */
	if (field == FILTER_ANY || field == RF_ACTOR)
		out[n++] = text_of(r, C_ACTOR, scratch, FILTER_SCRATCH);
	if (field == FILTER_ANY || field == RF_EVENT)
		out[n++] = text_of(r, C_WHAT, scratch, FILTER_SCRATCH);
	if (field == FILTER_ANY || field == RF_OUTCOME)
		out[n++] = r->outcome;
	if (field == FILTER_ANY)
		out[n++] = r->f != NULL ? r->f->summary : r->change;
	return n;
}

/* Does a finding or event concern the resource `key`? */
static int
finding_on(const struct finding *f, const char *key)
{
	char *k = store_resource_key(f);
	int r = k != NULL && strcmp(k, key) == 0;

	free(k);
	return r;
}

/* Did one of the findings rows[0..n) come from event id? */
static int
made_here(const struct row *rows, size_t n, const char *id)
{
	size_t i;

	for (i = 0; id != NULL && i < n; i++)
		if (rows[i].f != NULL && rows[i].f->event_id != NULL &&
		    strcmp(rows[i].f->event_id, id) == 0)
			return 1;
	return 0;
}

/* The values the history has set so far, by attribute (NULL: not known, a set's members
 * added or removed), read down the rows oldest first. */
struct cur {
	char *attr, *text;
};

static struct cur *
cur_at(struct cur **v, size_t *n, const char *attr)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].attr, attr) == 0)
			return &(*v)[i];
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[*n].attr = xstrdup(attr);
	(*v)[*n].text = NULL;
	return &(*v)[(*n)++];
}

/* What event e set on resource key, its old value the one the history set last (else
 * state's): "attr old → new", "attr = v" (what it had), "attr +members", "deleted";
 * "" when the log does not say. Updates cur. Heap. */
static char *
event_change(const struct ui *u, const struct ui_event *e, const char *key, struct cur **cur,
    size_t *ncur)
{
	struct strbuf sb;
	size_t i, shown = 0, more = 0;

	sb_init(&sb);
	for (i = 0; i < e->nchanges; i++) {
		const struct ui_evchange *c = &e->changes[i];
		struct cur *k;
		const char *old;

		if (strcmp(c->key, key) != 0)
			continue;
		if (shown == 3) {
			more++;
			continue;
		}
		if (sb.len > 0)
			sb_adds(&sb, "; ");
		shown++;
		if (c->attr == NULL) {
			sb_adds(&sb, "deleted");
			continue;
		}
		k = cur_at(cur, ncur, c->attr);
		sb_adds(&sb, c->attr);
		if (c->sensitive)
			sb_adds(&sb, " changed (sensitive)");
		else if (c->kind != CH_MODIFIED)
			sb_addf(&sb, " %s%s", c->kind == CH_ADDED ? "+" : "-", c->value);
		else {
			old = k->text != NULL ? k->text : c->state;
			if (old != NULL && strcmp(old, c->value) == 0)
				sb_addf(&sb, " = %s", c->value);
			else
				sb_addf(&sb, " %s %s %s", old != NULL ? old : "?", ui_arrow(u), c->value);
		}
		free(k->text);
		k->text = c->kind == CH_MODIFIED && !c->sensitive ? xstrdup(c->value) : NULL;
	}
	if (more > 0)
		sb_addf(&sb, "; +%zu more", more);
	return sb_detach(&sb);
}

/* Read the history down, oldest first: each event's change against what came before it. */
static void
changes_down(const struct ui *u, struct row *all, size_t n, const char *key)
{
	size_t *ord = xcalloc(n + 1, sizeof *ord), i, j, ncur = 0;
	struct cur *cur = NULL;

	for (i = 0; i < n; i++)
		ord[i] = i;
	/* Stable by time (an insertion sort: a resource's history is short). */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && all[ord[j - 1]].t > all[ord[j]].t; j--) {
			size_t x = ord[j];

			ord[j] = ord[j - 1];
			ord[j - 1] = x;
		}
	for (i = 0; i < n; i++) {
		struct row *r = &all[ord[i]];

		if (r->e != NULL) {
			r->change = event_change(u, r->e, key, &cur, &ncur);
			continue;
		}
		for (j = 0; j < r->f->nchanges; j++) {
			const struct change *c = &r->f->changes[j];
			struct cur *k = cur_at(&cur, &ncur, c->attribute);

			free(k->text);
			/* Added: a value where state had none, or a set's members (its whole value
			 * not known then; an event adding or removing members says which). */
			k->text = c->change != CH_REMOVED && !c->sensitive && !c->unknown_new ?
			    finding_value_text(c->new_val, 0) : NULL;
		}
	}
	for (i = 0; i < ncur; i++) {
		free(cur[i].attr);
		free(cur[i].text);
	}
	free(cur);
	free(ord);
}

struct sortctx {
	const struct rpriv *p;
	int col, desc;
};

static int
cmp_rows(const void *ctx, size_t a, size_t b)
{
	const struct sortctx *c = ctx;
	const struct row *x = &c->p->all[a], *y = &c->p->all[b];
	char bx[128], by[128];
	int r;

	if (c->col == C_TIME)
		r = x->t < y->t ? -1 : x->t > y->t;
	else
		r = strcasecmp(text_of(x, c->col, bx, sizeof bx), text_of(y, c->col, by, sizeof by));
	return c->desc ? -r : r;
}

static void
r_rebuild(struct ui *u, struct ui_vstate *vs)
{
	struct rpriv *p = vs->priv;
	size_t i, n = 0, nf, cap = 64;
	struct row *all;
	struct sortctx c;

	for (i = 0; i < p->nall; i++) {
		free(p->all[i].outcome);
		free(p->all[i].change);
	}
	free(p->all);
	free(p->idx);
	p->all = NULL;
	p->idx = NULL;
	p->nall = p->n = 0;
	p->first = NULL;
	p->nfindings = p->nopen = p->nevents = 0;
	if (u->resource == NULL) {
		ui_list_settle(&vs->list, 0, (size_t)-1, vs->gen);
		return;
	}
	all = xcalloc(cap, sizeof *all);
	for (i = 0; i < u->model.all.n; i++) {
		const struct finding *f = u->model.all.v[i];

		if (!finding_on(f, u->resource))
			continue;
		if (p->first == NULL || f->event_time_ms > p->first->event_time_ms)
			p->first = f;
		p->nfindings++;
		p->nopen += f->status == ST_OPEN;
		if (n == cap)
			all = xreallocarray(all, cap *= 2, sizeof *all);
		memset(&all[n], 0, sizeof all[n]);
		all[n].f = f;
		all[n].t = f->event_time_ms;
		{
			/* Its status now first: what a narrow screen keeps. */
			char *why = ui_resolution_text(f);

			all[n].outcome = xasprintf("%s, %s %s", why, severity_name(f->severity),
			    finding_kind_name(f->kind));
			free(why);
		}
		n++;
	}
	nf = n;
	for (i = 0; i < u->events.n; i++) {
		const struct ui_event *e = evlog_at(&u->events, i);

		/* Every event that touched it: one that made findings here is their rows; any
		 * other (a Terraform apply, a revert, a failed call, a value equal to state, or
		 * drift on another resource that resolved this one's) is a row of its own. */
		if (!ui_event_touches(e, u->resource) || made_here(all, nf, e->id))
			continue;
		p->nevents++;
		if (n == cap)
			all = xreallocarray(all, cap *= 2, sizeof *all);
		memset(&all[n], 0, sizeof all[n]);
		all[n].e = e;
		all[n].t = e->time_ms;
		{
			char o[128];

			evlog_outcome(e, o, sizeof o);
			all[n].outcome = xstrdup(o);
		}
		n++;
	}
	/* The findings' changes (the model's are compact: made on demand), for the rows'. */
	for (i = 0; i < nf; i++)
		model_load(&u->model, all[i].f);
	changes_down(u, all, n, u->resource);
	model_unload_all(&u->model);
	/* Filter, then sort (an index sort). */
	p->all = all;
	p->nall = n;
	p->idx = xcalloc(n + 1, sizeof *p->idx);
	for (i = 0; i < n; i++)
		if (filter_match_item(vs->filter, &all[i], values, all[i].t))
			p->idx[p->n++] = i;
	c.p = p;
	c.col = vs->list.sort_col;
	c.desc = vs->list.sort_desc;
	ui_sort_rows(p->idx, p->n, cmp_rows, &c);
	ui_list_rebuilt(u, vs);
}

static const struct row *
at(struct ui_vstate *vs, size_t row)
{
	struct rpriv *p = vs->priv;

	return row < p->n ? &p->all[p->idx[row]] : NULL;
}

static size_t
r_count(struct ui *u, struct ui_vstate *vs)
{
	(void)u;
	return ((struct rpriv *)vs->priv)->n;
}

static const char *
r_cell(struct ui *u, struct ui_vstate *vs, size_t row, int col, char *buf, size_t len)
{
	const struct row *r = at(vs, row);

	(void)u;
	return r != NULL ? text_of(r, col, buf, len) : "";
}

static int
r_cell_attr(struct ui *u, struct ui_vstate *vs, size_t row, int col)
{
	const struct row *r = at(vs, row);

	(void)u;
	if (r == NULL || col != C_OUTCOME)
		return 0;
	if (r->f != NULL)
		return r->f->status == ST_OPEN ? theme_attr(theme_severity_slot(r->f->severity)) :
		    theme_attr(TS_DIM);
	return theme_attr(TS_DIM);
}

static const char *
r_row_id(struct ui *u, struct ui_vstate *vs, size_t row, char *buf, size_t len)
{
	const struct row *r = at(vs, row);

	(void)u;
	if (r == NULL)
		return NULL;
	if (r->f != NULL)
		return r->f->id;
	snprintf(buf, len, "#%llu", (unsigned long long)r->e->seq);
	return buf;
}

static int
r_content_width(struct ui *u, struct ui_vstate *vs, int col)
{
	struct rpriv *p = vs->priv;
	size_t i;
	int w = 0, k;
	char buf[128];

	(void)u;
	if (col == C_TIME) {
		int64_t day = tf_now_ms() / 86400000;

		for (i = 0; i < p->n; i++)
			if (p->all[p->idx[i]].t / 86400000 != day)
				return 12;
		return 8;
	}
	for (i = 0; i < p->n; i++)
		if ((k = ui_width(text_of(&p->all[p->idx[i]], col, buf, sizeof buf))) > w)
			w = k;
	return w;
}

static int
r_search(struct ui *u, struct ui_vstate *vs, size_t row, const struct filter *f)
{
	const struct row *r = at(vs, row);

	(void)u;
	return r != NULL && filter_search_item(f, r, values);
}

static void
r_draw(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	struct rpriv *p = vs->priv;
	const struct finding *f = p->first;
	char a[48], b[48], line[256];

	if (h < 4)
		return;
	ui_put(y, x + 1, w - 1, u->resource != NULL ? u->resource : "(no resource)",
	    theme_attr(TS_HEADER) | A_BOLD);
	if (f != NULL) {
		snprintf(line, sizeof line, "%s %s%s%s", f->type ? f->type : "?",
		    f->resource_id ? f->resource_id : "?", f->state_source ? "  state " : "",
		    f->state_source ? f->state_source : "");
		ui_put(y + 1, x + 3, w - 3, line, theme_attr(TS_NORMAL));
	} else
		ui_put(y + 1, x + 3, w - 3, "no finding on it in this session", theme_attr(TS_DIM));
	snprintf(line, sizeof line, "%s (%zu open); %s that made no finding",
	    ui_plural(p->nfindings, "finding", "findings", a, sizeof a), p->nopen,
	    ui_plural(p->nevents, "other event", "other events", b, sizeof b));
	ui_put(y + 2, x + 3, w - 3, line, theme_attr(TS_DIM));
	ui_list_draw(u, vs, y + 3, x, h - 3, w);
	if (p->n == 0)
		ui_put(y + 4, x + 2, w - 2, "Nothing recorded on this resource in this session.",
		    theme_attr(TS_DIM));
}

static int
r_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	return ui_list_key(u, vs, a);
}

static int
r_open(struct ui *u, struct ui_vstate *vs)
{
	const struct row *r = at(vs, vs->list.sel);

	if (r == NULL)
		return 0;
	if (r->f != NULL)
		ui_open_finding(u, r->f->id);
	else if (r->e->id != NULL)
		ui_open_event(u, r->e->id);
	return 1;
}

static int
r_mouse(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel)
{
	return ui_list_mouse(u, vs, y, x, wheel);
}

static char *
r_copy(struct ui *u, struct ui_vstate *vs, int all, const char **what)
{
	(void)vs;
	(void)all;
	if (u->resource == NULL) {
		*what = "no resource";
		return NULL;
	}
	*what = "the resource's address";
	return xstrdup(u->resource);
}

static void
r_init(struct ui *u, struct ui_vstate *vs)
{
	(void)u;
	vs->priv = xcalloc(1, sizeof(struct rpriv));
	vs->list.sort_col = C_TIME;
	vs->list.sort_desc = 0;         /* oldest first: a history reads down */
}

static void
r_free(struct ui_vstate *vs)
{
	struct rpriv *p = vs->priv;
	size_t i;

	if (p != NULL) {
		for (i = 0; i < p->nall; i++) {
			free(p->all[i].outcome);
			free(p->all[i].change);
		}
		free(p->all);
		free(p->idx);
	}
	free(p);
	vs->priv = NULL;
}

const struct ui_view view_resource = {
	.name = "resource", .title = "Resource", .item = "entry", .items = "entries",
	.hints = hints,
	.cols = cols, .ncols = C__N, .schema = &schema,
	.init = r_init, .free = r_free, .rebuild = r_rebuild, .draw = r_draw, .key = r_key,
	.mouse = r_mouse, .copy = r_copy, .open = r_open,
	.count = r_count, .cell = r_cell, .cell_attr = r_cell_attr, .row_id = r_row_id,
	.content_width = r_content_width, .search = r_search,
};
