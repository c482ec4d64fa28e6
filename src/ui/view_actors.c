/* view_actors: who changed what: one row per person, role or service with their write
 * events, findings (open ones), how they work (console, cli, sdk, terraform) and when they
 * were last seen; inside the filter's since:/until: window when it has one. Enter shows the
 * selected actor's findings. The selection is kept by the actor's name. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "keys.h"
#include "ui_int.h"

enum { C_ACTOR = 0, C_TYPE, C_VIA, C_EVENTS, C_FINDINGS, C_OPEN, C_LAST, C__N };

static const struct ui_col cols[C__N] = {
	[C_ACTOR] = { "ACTOR", 10, 0, 3, 0, 0 },
	[C_TYPE] = { "TYPE", 4, 24, 0, 0, 0 },
	[C_VIA] = { "VIA", 3, 30, 0, 0, 0 },
	[C_EVENTS] = { "EVENTS", 6, 9, 0, 0, UI_COL_RIGHT | UI_COL_DESC },
	[C_FINDINGS] = { "FINDINGS", 8, 9, 0, 0, UI_COL_RIGHT | UI_COL_DESC },
	[C_OPEN] = { "OPEN", 4, 9, 0, 0, UI_COL_RIGHT | UI_COL_DESC },
	[C_LAST] = { "LAST", 8, 12, 0, 0, UI_COL_DESC },
};

enum { AF_ACTOR = 0, AF_TYPE, AF_VIA };
static const struct filter_field fields[] = {
	{ "actor", AF_ACTOR, FT_TEXT }, { "who", AF_ACTOR, FT_TEXT }, { "type", AF_TYPE, FT_TEXT },
	{ "via", AF_VIA, FT_TEXT },
};
static const struct filter_schema schema = {
	fields, TF_ARRLEN(fields), "actor type via since until",
};

static const struct key_hint hints[] = {
	{ ACT_SHOW, ACT_NONE }, { ACT_FILTER, ACT_NONE }, { ACT_COMMAND, ACT_NONE },
	{ ACT_TAB_FINDINGS, ACT_TAB_RESOURCES }, { ACT_SORT, ACT_NONE }, { ACT_PAUSE, ACT_NONE },
	{ ACT_BACK, ACT_NONE }, { ACT_NONE, ACT_NONE },
};

struct apriv {
	size_t *rows;                   /* indexes into u->actors, in the order shown */
	size_t n;
};

struct ref {
	const char *name;
	const char *type;
	enum tf_via via;
	int64_t t;
	int is_finding;
	int open;
	int sev;
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;

	return strcmp(x->name, y->name);
}

/* Rebuild u->actors from the events and findings inside [since, until) (0: unbounded),
 * when any of them changed. */
void
ui_actors_rebuild(struct ui *u, int64_t since_ms, int64_t until_ms)
{
	uint64_t key = u->events.gen * 1000003u + u->model.all.n * 31u + (uint64_t)since_ms * 7u +
	    (uint64_t)until_ms * 13u + u->model.replaced * 17u;
	struct ref *refs;
	size_t n = 0, i, j, s;
	struct ui_actor *a;

	for (s = 0; s < ST__COUNT; s++)  /* statuses change on triage */
		for (i = 0; i < SEV__COUNT; i++)
			key = key * 3u + u->model.count[s][i];
	if (u->actors != NULL && key == u->actors_key)
		return;
	u->actors_key = key;
	free(u->actors);
	u->actors = NULL;
	u->nactors = 0;
	refs = xreallocarray(NULL, u->events.n + u->model.all.n + 1, sizeof *refs);
	for (i = 0; i < u->events.n; i++) {
		const struct ui_event *e = evlog_at(&u->events, i);

		if ((since_ms != 0 && e->time_ms < since_ms) || (until_ms != 0 && e->time_ms >= until_ms))
			continue;
		refs[n].name = e->actor != NULL ? e->actor : "?";
		refs[n].type = e->actor_type;
		refs[n].via = e->via;
		refs[n].t = e->time_ms;
		refs[n].is_finding = 0;
		refs[n].open = 0;
		refs[n].sev = -1;
		n++;
	}
	for (i = 0; i < u->model.all.n; i++) {
		const struct finding *f = u->model.all.v[i];

		if ((since_ms != 0 && f->event_time_ms < since_ms) ||
		    (until_ms != 0 && f->event_time_ms >= until_ms))
			continue;
		refs[n].name = f->actor.name != NULL ? f->actor.name :
		    f->actor.principal != NULL ? f->actor.principal : "?";
		refs[n].type = f->actor.type;
		refs[n].via = f->actor.via;
		refs[n].t = f->event_time_ms;
		refs[n].is_finding = 1;
		refs[n].open = f->status == ST_OPEN;
		refs[n].sev = (int)f->severity;
		n++;
	}
	if (n > 1)
		qsort(refs, n, sizeof *refs, ref_cmp);
	u->actors = xcalloc(n + 1, sizeof *u->actors);
	for (i = 0; i < n; i = j) {
		a = &u->actors[u->nactors++];
		a->name = (char *)refs[i].name;
		a->worst = -1;
		for (j = i; j < n && strcmp(refs[j].name, refs[i].name) == 0; j++) {
			if (a->type == NULL)
				a->type = refs[j].type;
			a->via_mask |= 1u << refs[j].via;
			if (refs[j].t > a->last_ms)
				a->last_ms = refs[j].t;
			if (refs[j].is_finding) {
				a->findings++;
				a->open += refs[j].open;
				if (refs[j].sev > a->worst)
					a->worst = refs[j].sev;
			} else
				a->events++;
		}
	}
	free(refs);
}

static void
via_list(unsigned mask, char *out, size_t len)
{
	size_t used = 0;
	int v;

	out[0] = '\0';
	for (v = VIA_UNKNOWN; v <= VIA_SERVICE; v++)
		if (mask & (1u << v))
			used += (size_t)snprintf(out + used, used < len ? len - used : 0, "%s%s",
			    used ? "," : "", tf_via_name((enum tf_via)v));
}

static const char *
text_of(const struct ui_actor *a, int col, char *buf, size_t len)
{
	char t[20];

	switch (col) {
	case C_ACTOR: return a->name;
	case C_TYPE: return a->type ? a->type : "-";
	case C_VIA: via_list(a->via_mask, buf, len); return buf;
	case C_EVENTS: snprintf(buf, len, "%llu", (unsigned long long)a->events); return buf;
	case C_FINDINGS: snprintf(buf, len, "%llu", (unsigned long long)a->findings); return buf;
	case C_OPEN: snprintf(buf, len, "%llu", (unsigned long long)a->open); return buf;
	case C_LAST:
		ui_time_list(a->last_ms, t);
		snprintf(buf, len, "%s", t);
		return buf;
	default: return "";
	}
}

static size_t
values(const void *item, int field, const char **out, size_t max, char *scratch)
{
	const struct ui_actor *a = item;
	size_t n = 0;
	int v;

	if (max < 8)
		return 0;
	if (field == FILTER_ANY || field == AF_ACTOR)
		out[n++] = a->name;
	if (field == FILTER_ANY || field == AF_TYPE)
		out[n++] = a->type;
	if (field == AF_VIA)
		for (v = VIA_UNKNOWN; v <= VIA_SERVICE && n < max; v++)
			if (a->via_mask & (1u << v))
				out[n++] = tf_via_name((enum tf_via)v);
	return n;
}

struct sortctx {
	const struct ui *u;
	int col, desc;
};

static int
cmp_rows(const void *ctx, size_t x, size_t y)
{
	const struct sortctx *c = ctx;
	const struct ui_actor *a = &c->u->actors[x], *b = &c->u->actors[y];
	int r = 0;
	char ba[64], bb[64];

	switch (c->col) {
	case C_EVENTS: r = a->events < b->events ? -1 : a->events > b->events; break;
	case C_FINDINGS: r = a->findings < b->findings ? -1 : a->findings > b->findings; break;
	case C_OPEN: r = a->open < b->open ? -1 : a->open > b->open; break;
	case C_LAST: r = a->last_ms < b->last_ms ? -1 : a->last_ms > b->last_ms; break;
	default:
		r = strcasecmp(text_of(a, c->col, ba, sizeof ba), text_of(b, c->col, bb, sizeof bb));
	}
	if (c->desc)
		r = -r;
	if (r == 0)
		r = strcmp(a->name, b->name);
	return r;
}

static void
a_rebuild(struct ui *u, struct ui_vstate *vs)
{
	struct apriv *p = vs->priv;
	struct sortctx c = { u, vs->list.sort_col, vs->list.sort_desc };
	size_t i;

	ui_actors_rebuild(u, filter_since(vs->filter), filter_until(vs->filter));
	free(p->rows);
	p->rows = xcalloc(u->nactors + 1, sizeof *p->rows);
	p->n = 0;
	for (i = 0; i < u->nactors; i++)
		if (filter_match_item(vs->filter, &u->actors[i], values, 0))
			p->rows[p->n++] = i;
	ui_sort_rows(p->rows, p->n, cmp_rows, &c);
	ui_list_rebuilt(u, vs);
}

static const struct ui_actor *
at(struct ui *u, struct ui_vstate *vs, size_t row)
{
	struct apriv *p = vs->priv;

	return row < p->n ? &u->actors[p->rows[row]] : NULL;
}

static size_t
a_count(struct ui *u, struct ui_vstate *vs)
{
	(void)u;
	return ((struct apriv *)vs->priv)->n;
}

static const char *
a_cell(struct ui *u, struct ui_vstate *vs, size_t row, int col, char *buf, size_t len)
{
	const struct ui_actor *a = at(u, vs, row);

	return a != NULL ? text_of(a, col, buf, len) : "";
}

static int
a_cell_attr(struct ui *u, struct ui_vstate *vs, size_t row, int col)
{
	const struct ui_actor *a = at(u, vs, row);

	if (a != NULL && col == C_OPEN && a->open > 0 && a->worst >= 0)
		return theme_attr(theme_severity_slot(a->worst));
	return 0;
}

static const char *
a_row_id(struct ui *u, struct ui_vstate *vs, size_t row, char *buf, size_t len)
{
	const struct ui_actor *a = at(u, vs, row);

	(void)buf;
	(void)len;
	return a != NULL ? a->name : NULL;
}

static int
a_content_width(struct ui *u, struct ui_vstate *vs, int col)
{
	struct apriv *p = vs->priv;
	size_t i;
	int w = 0, k;
	char buf[128];

	if (col == C_LAST) {
		int64_t day = tf_now_ms() / 86400000;

		for (i = 0; i < p->n; i++)
			if (u->actors[p->rows[i]].last_ms / 86400000 != day)
				return 12;
		return 8;
	}
	for (i = 0; i < p->n; i++)
		if ((k = ui_width(text_of(&u->actors[p->rows[i]], col, buf, sizeof buf))) > w)
			w = k;
	return w;
}

static int
a_search(struct ui *u, struct ui_vstate *vs, size_t row, const struct filter *f)
{
	const struct ui_actor *a = at(u, vs, row);

	return a != NULL && filter_search_item(f, a, values);
}

static void
a_draw(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	ui_list_draw(u, vs, y, x, h, w);
	if (((struct apriv *)vs->priv)->n == 0)
		ui_put(y + 1, x + 2, w - 2, u->nactors == 0 ? "No actors yet." :
		    "No actors match (Esc clears the filter).", theme_attr(TS_DIM));
}

static int
a_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	if (ui_list_key(u, vs, a))
		return 1;
	if (a == ACT_CANCEL && vs->filter != NULL) {
		ui_set_filter(u, V_ACTORS, "", 0);
		return 1;
	}
	return 0;
}

/* Enter: the actor's findings. Names with blanks are quoted; a quote cannot be, so such a
 * name is matched by what comes before it. */
static int
a_open(struct ui *u, struct ui_vstate *vs)
{
	const struct ui_actor *a = at(u, vs, vs->list.sel);
	char *q, *name;

	if (a == NULL)
		return 0;
	name = xstrndup(a->name, strcspn(a->name, "\""));
	q = strpbrk(name, " \t") != NULL ? xasprintf("actor:\"%s\"", name) :
	    xasprintf("actor:%s", name);
	ui_drill(u, V_FINDINGS, q);
	free(q);
	free(name);
	return 1;
}

static int
a_mouse(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel)
{
	return ui_list_mouse(u, vs, y, x, wheel);
}

static char *
a_copy(struct ui *u, struct ui_vstate *vs, int all, const char **what)
{
	const struct ui_actor *a = at(u, vs, vs->list.sel);

	(void)all;
	if (a == NULL) {
		*what = "no actor selected";
		return NULL;
	}
	*what = "the actor's name";
	return xstrdup(a->name);
}

static void
a_init(struct ui *u, struct ui_vstate *vs)
{
	(void)u;
	vs->priv = xcalloc(1, sizeof(struct apriv));
	vs->list.sort_col = C_OPEN;
	vs->list.sort_desc = 1;
}

static void
a_free(struct ui_vstate *vs)
{
	struct apriv *p = vs->priv;

	if (p != NULL)
		free(p->rows);
	free(p);
	vs->priv = NULL;
}

const struct ui_view view_actors = {
	.name = "actors", .title = "Actors", .item = "actor", .items = "actors",
	.hints = hints,
	.cols = cols, .ncols = C__N, .schema = &schema,
	.init = a_init, .free = a_free, .rebuild = a_rebuild, .draw = a_draw, .key = a_key,
	.mouse = a_mouse, .copy = a_copy, .open = a_open,
	.count = a_count, .cell = a_cell, .cell_attr = a_cell_attr, .row_id = a_row_id,
	.content_width = a_content_width, .search = a_search,
};
