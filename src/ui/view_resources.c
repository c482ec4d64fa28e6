/* view_resources: the Resources view (5): one row per resource drifted now (a finding on it
 * still open or acknowledged): its address (TYPE:ID when no state manages it), type, open
 * findings, drifted since (the oldest open finding), last change (its newest finding or write
 * event), who (distinct, newest first) and the net diff against state (resdrift.h). Enter
 * opens the resource's history (view_resource). The selection is kept by resource key. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "keys.h"
#include "resdrift.h"
#include "ui_int.h"

enum { C_RES = 0, C_TYPE, C_OPEN, C_SINCE, C_LAST, C_ACTORS, C_DIFF, C__N };

static const struct ui_col cols[C__N] = {
	/* Where the width runs short the diff gives way last (a bigger flex gives way sooner):
	 * one long address or actor list does not take the room of every row's diff. */
	[C_RES] = { "RESOURCE", 34, 0, 2, 35, 0 },   /* the name comes first */
	[C_TYPE] = { "TYPE", 5, 0, 4, 15, UI_COL_WIDE },      /* the address begins with it */
	[C_OPEN] = { "OPEN", 4, 6, 0, 0, UI_COL_RIGHT | UI_COL_DESC },
	[C_SINCE] = { "SINCE", 8, 12, 0, 0, UI_COL_DESC | UI_COL_WIDE },   /* LAST says most */
	[C_LAST] = { "LAST", 8, 12, 0, 0, UI_COL_DESC },
	[C_ACTORS] = { "ACTORS", 7, 0, 2, 25, 0 },
	[C_DIFF] = { "DIFF", 16, 0, 1, 0, 0 },
};

enum { RF_RESOURCE = 0, RF_TYPE, RF_ACTOR, RF_DIFF };
static const struct filter_field fields[] = {
	{ "resource", RF_RESOURCE, FT_TEXT }, { "address", RF_RESOURCE, FT_TEXT },
	{ "type", RF_TYPE, FT_TEXT }, { "actor", RF_ACTOR, FT_TEXT }, { "who", RF_ACTOR, FT_TEXT },
	{ "diff", RF_DIFF, FT_TEXT }, { "attribute", RF_DIFF, FT_TEXT },
};
static const struct filter_schema schema = {
	fields, TF_ARRLEN(fields), "resource type actor diff since until",
};

static const struct key_hint hints[] = {
	{ ACT_SHOW, ACT_NONE }, { ACT_FILTER, ACT_NONE }, { ACT_COMMAND, ACT_NONE },
	{ ACT_TAB_FINDINGS, ACT_TAB_RESOURCES }, { ACT_SORT, ACT_NONE }, { ACT_COPY, ACT_NONE },
	{ ACT_PAUSE, ACT_NONE }, { ACT_BACK, ACT_NONE }, { ACT_NONE, ACT_NONE },
};

struct rspriv {
	struct resdrift *res;           /* every resource drifted now, by key */
	size_t nres;
	uint64_t key;                   /* what res was made from */
	int64_t built_ms, cost_ms;      /* when it was made (monotonic) and what it took */
	unsigned replaced;              /* u->model.replaced then: res borrows the findings */
	size_t *rows;                   /* indexes into res, in the order shown */
	size_t n;
};

static const char *
text_of(const struct resdrift *r, int col, char *buf, size_t len)
{
	char t[20];

	switch (col) {
	case C_RES: return r->key;
	case C_TYPE: return r->newest->type ? r->newest->type : "?";
	case C_OPEN: snprintf(buf, len, "%zu", r->nopen); return buf;
	case C_SINCE:
	case C_LAST:
		ui_time_list(col == C_SINCE ? r->since_ms : r->last_ms, t);
		snprintf(buf, len, "%s", t);
		return buf;
	case C_ACTORS: return r->actors;
	case C_DIFF: return r->diff[0] ? r->diff : "(no net change)";
	default: return "";
	}
}

static size_t
values(const void *item, int field, const char **out, size_t max, char *scratch)
{
	const struct resdrift *r = item;
	size_t n = 0;

	(void)scratch;
	if (max < 4)
		return 0;
	if (field == FILTER_ANY || field == RF_RESOURCE)
		out[n++] = r->key;
	if (field == FILTER_ANY || field == RF_TYPE)
		out[n++] = r->newest->type;
	if (field == FILTER_ANY || field == RF_ACTOR)
		out[n++] = r->actors;
	if (field == FILTER_ANY || field == RF_DIFF)
		out[n++] = r->diff;
	return n;
}

static int
key_cmp(const void *k, const void *e)
{
	return strcmp(k, ((const struct resdrift *)e)->key);
}

/* The model's findings keep their changes as text (compact.h): a resource's are made for
 * its net diff, and dropped after. */
static int
load_values(void *ctx, const struct finding *f)
{
	const struct ui *u = ctx;

	return !compact_loaded(f) && compact_load(&u->model.pool, (struct finding *)(uintptr_t)f) == 0;
}

static void
unload_values(void *ctx, const struct finding *f)
{
	(void)ctx;
	compact_unload((struct finding *)(uintptr_t)f);
}

/* The rows from the model's findings and the events, when either changed. A costly build
 * (a million findings: most of a second) is put off while findings stream in, so that it
 * takes at most a fifth of the time: the rows catch up when the timer fires. */
static void
aggregate(struct ui *u, struct rspriv *p)
{
	uint64_t key = u->events.gen * 1000003u + u->model.all.n * 31u + u->model.replaced * 7u + 1;
	struct resdrift_loader loader;
	size_t i, s;
	int64_t start = tf_mono_ms();

	for (s = 0; s < ST__COUNT; s++)  /* statuses change on triage and resolution */
		for (i = 0; i < SEV__COUNT; i++)
			key = key * 3u + u->model.count[s][i];
	if (p->res != NULL && key == p->key)
		return;
	/* Put off (never when a finding it borrows from was replaced: freed). */
	if (p->res != NULL && p->cost_ms > 50 && start < p->built_ms + 4 * p->cost_ms &&
	    p->replaced == u->model.replaced) {
		ui_wake_at(u, p->built_ms + 4 * p->cost_ms);
		return;
	}
	p->key = key;
	p->replaced = u->model.replaced;
	resdrift_free(p->res, p->nres);
	loader.load = load_values;
	loader.unload = unload_values;
	loader.ctx = u;
	p->nres = resdrift_build_lazy((const struct finding *const *)u->model.all.v,
	    u->model.all.n, &p->res, &loader);
	if (p->res == NULL)
		p->res = xcalloc(1, sizeof *p->res);    /* built, with no rows */
	/* A write that made no finding (a failed call, the pipeline's apply) is a change too. */
	for (i = 0; i < u->events.n && p->nres > 0; i++) {
		const struct ui_event *e = evlog_at(&u->events, i);
		struct resdrift *r;
		size_t k;

		for (k = 0; k < e->nkeys; k++) {
			r = bsearch(e->keys[k], p->res, p->nres, sizeof *p->res, key_cmp);
			if (r != NULL && e->time_ms > r->last_ms)
				r->last_ms = e->time_ms;
		}
	}
	p->built_ms = tf_mono_ms();
	p->cost_ms = p->built_ms - start;
}

struct sortctx {
	const struct rspriv *p;
	int col, desc;
};

static int
cmp_rows(const void *ctx, size_t x, size_t y)
{
	const struct sortctx *c = ctx;
	const struct resdrift *a = &c->p->res[x], *b = &c->p->res[y];
	char ba[64], bb[64];
	int r;

	switch (c->col) {
	case C_OPEN: r = a->nopen < b->nopen ? -1 : a->nopen > b->nopen; break;
	case C_SINCE: r = a->since_ms < b->since_ms ? -1 : a->since_ms > b->since_ms; break;
	case C_LAST: r = a->last_ms < b->last_ms ? -1 : a->last_ms > b->last_ms; break;
	default:
		r = strcasecmp(text_of(a, c->col, ba, sizeof ba), text_of(b, c->col, bb, sizeof bb));
	}
	if (c->desc)
		r = -r;
	return r != 0 ? r : strcmp(a->key, b->key);
}

static void
rs_rebuild(struct ui *u, struct ui_vstate *vs)
{
	struct rspriv *p = vs->priv;
	struct sortctx c = { p, vs->list.sort_col, vs->list.sort_desc };
	size_t i;

	aggregate(u, p);
	free(p->rows);
	p->rows = xcalloc(p->nres + 1, sizeof *p->rows);
	p->n = 0;
	for (i = 0; i < p->nres; i++)
		if (filter_match_item(vs->filter, &p->res[i], values, p->res[i].last_ms))
			p->rows[p->n++] = i;
	ui_sort_rows(p->rows, p->n, cmp_rows, &c);
	ui_list_rebuilt(u, vs);
}

static const struct resdrift *
at(struct ui_vstate *vs, size_t row)
{
	struct rspriv *p = vs->priv;

	return row < p->n ? &p->res[p->rows[row]] : NULL;
}

static size_t
rs_count(struct ui *u, struct ui_vstate *vs)
{
	(void)u;
	return ((struct rspriv *)vs->priv)->n;
}

static const char *
rs_cell(struct ui *u, struct ui_vstate *vs, size_t row, int col, char *buf, size_t len)
{
	const struct resdrift *r = at(vs, row);
	int cw = vs->list.colw[C_RES];
	size_t n, head, i;

	(void)u;
	if (r == NULL)
		return "";
	/* An address cut in the middle: web[0] and web[1] stay apart (ASCII only; anything
	 * else is cut at the end as usual). */
	if (col == C_RES && cw > 8 && (n = strlen(r->key)) > (size_t)cw && len > (size_t)cw + 4) {
		for (i = 0; i < n && (unsigned char)r->key[i] < 0x80; i++)
			;
		if (i == n) {
			head = (size_t)(cw - 1) / 3;
			snprintf(buf, len, "%.*s%s%s", (int)head, r->key, ui_glyph(G_ELLIPSIS),
			    r->key + n - ((size_t)cw - 1 - head));
			return buf;
		}
	}
	return text_of(r, col, buf, len);
}

static int
rs_cell_attr(struct ui *u, struct ui_vstate *vs, size_t row, int col)
{
	const struct resdrift *r = at(vs, row);

	(void)u;
	if (r != NULL && col == C_OPEN && r->worst >= 0)
		return theme_attr(theme_severity_slot(r->worst));
	if (r != NULL && col == C_DIFF && r->diff[0] == '\0')
		return theme_attr(TS_DIM);
	return 0;
}

static const char *
rs_row_id(struct ui *u, struct ui_vstate *vs, size_t row, char *buf, size_t len)
{
	const struct resdrift *r = at(vs, row);

	(void)u;
	(void)buf;
	(void)len;
	return r != NULL ? r->key : NULL;
}

static int
rs_content_width(struct ui *u, struct ui_vstate *vs, int col)
{
	struct rspriv *p = vs->priv;
	size_t i;
	int w = 0, k;
	char buf[128];

	(void)u;
	if (col == C_SINCE || col == C_LAST) {
		int64_t day = tf_now_ms() / 86400000;

		for (i = 0; i < p->n; i++)
			if ((col == C_SINCE ? p->res[p->rows[i]].since_ms :
			    p->res[p->rows[i]].last_ms) / 86400000 != day)
				return 12;
		return 8;
	}
	for (i = 0; i < p->n; i++)
		if ((k = ui_width(text_of(&p->res[p->rows[i]], col, buf, sizeof buf))) > w)
			w = k;
	return w;
}

static int
rs_search(struct ui *u, struct ui_vstate *vs, size_t row, const struct filter *f)
{
	const struct resdrift *r = at(vs, row);

	(void)u;
	return r != NULL && filter_search_item(f, r, values);
}

static void
rs_draw(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	struct rspriv *p = vs->priv;

	ui_list_draw(u, vs, y, x, h, w);
	if (p->n == 0)
		ui_put(y + 1, x + 2, w - 2, p->nres == 0 ?
		    "No resource is drifted now (resolved and suppressed findings are not drift)." :
		    "No resources match (Esc clears the filter).", theme_attr(TS_DIM));
}

static int
rs_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	if (ui_list_key(u, vs, a))
		return 1;
	if (a == ACT_CANCEL && vs->filter != NULL) {
		ui_set_filter(u, V_RESOURCES, "", 0);
		return 1;
	}
	return 0;
}

/* Enter: the resource's history. */
static int
rs_open(struct ui *u, struct ui_vstate *vs)
{
	const struct resdrift *r = at(vs, vs->list.sel);

	if (r == NULL)
		return 0;
	ui_open_resource(u, r->key);
	return 1;
}

static int
rs_mouse(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel)
{
	return ui_list_mouse(u, vs, y, x, wheel);
}

static char *
rs_copy(struct ui *u, struct ui_vstate *vs, int all, const char **what)
{
	const struct resdrift *r = at(vs, vs->list.sel);

	(void)u;
	if (r == NULL) {
		*what = "no resource selected";
		return NULL;
	}
	if (all) {
		*what = "the resource and its net diff";
		return xasprintf("%s: %s", r->key, r->diff);
	}
	*what = "the resource's address";
	return xstrdup(r->key);
}

static char *
rs_text(struct ui *u, struct ui_vstate *vs)
{
	const struct resdrift *r = at(vs, vs->list.sel);
	char s[20], l[20];

	(void)u;
	if (r == NULL)
		return NULL;
	ui_time_list(r->since_ms, s);
	ui_time_list(r->last_ms, l);
	return xasprintf("%s\ntype: %s\nopen findings: %zu of %zu\ndrifted since: %s\n"
	    "last change: %s\nactors: %s\nnet diff: %s\n", r->key,
	    r->newest->type ? r->newest->type : "?", r->nopen, r->nfindings, s, l, r->actors,
	    r->diff[0] ? r->diff : "(no net change)");
}

static void
rs_init(struct ui *u, struct ui_vstate *vs)
{
	(void)u;
	vs->priv = xcalloc(1, sizeof(struct rspriv));
	vs->list.sort_col = C_LAST;
	vs->list.sort_desc = 1;
}

static void
rs_free(struct ui_vstate *vs)
{
	struct rspriv *p = vs->priv;

	if (p != NULL) {
		resdrift_free(p->res, p->nres);
		free(p->rows);
	}
	free(p);
	vs->priv = NULL;
}

const struct ui_view view_resources = {
	.name = "resources", .title = "Resources", .item = "resource", .items = "resources",
	.hints = hints,
	.cols = cols, .ncols = C__N, .schema = &schema,
	.init = rs_init, .free = rs_free, .rebuild = rs_rebuild, .draw = rs_draw, .key = rs_key,
	.mouse = rs_mouse, .copy = rs_copy, .text = rs_text, .open = rs_open,
	.count = rs_count, .cell = rs_cell, .cell_attr = rs_cell_attr, .row_id = rs_row_id,
	.content_width = rs_content_width, .search = rs_search,
};
