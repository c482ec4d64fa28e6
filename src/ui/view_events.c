/* view_events: every write event seen, newest first, drift or not, and why it was not drift
 * (the Terraform pipeline, a cloud service, a failed call, a value equal to state, no event
 * map...), with the selected event in full below. Enter shows its findings; y copies its id,
 * Y its raw record; | opens it in the pager. The rows are kept by the events' numbers and
 * grow incrementally while the filter and sort stay the same. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "keys.h"
#include "ui_int.h"

enum { C_TIME = 0, C_EVENT, C_ACTOR, C_VIA, C_ACCOUNT, C_REGION, C_RESOURCE, C_OUTCOME,
	C_SOURCE, C_ID, C__N };

static const struct ui_col cols[C__N] = {
	[C_TIME] = { "TIME", 8, 12, 0, 0, UI_COL_DESC },
	[C_EVENT] = { "EVENT", 10, 0, 1, 30, 0 },
	[C_ACTOR] = { "ACTOR", 8, 0, 1, 30, 0 },
	[C_VIA] = { "VIA", 3, 9, 0, 0, 0 },
	[C_ACCOUNT] = { "ACCOUNT", 7, 0, 0, 20, 0 },
	[C_REGION] = { "REGION", 6, 0, 0, 0, UI_COL_HIDDEN },
	[C_RESOURCE] = { "RESOURCE", 8, 0, 1, 35, UI_COL_HIDDEN },
	/* Short of room, the outcome's tail ("; resolved 2") gives way before the event's
	 * name and the actor, down to "terraform pipeline" whole. */
	[C_OUTCOME] = { "OUTCOME", 18, 0, 2, 0, 0 },
	[C_SOURCE] = { "SOURCE", 6, 0, 0, 0, UI_COL_HIDDEN },
	[C_ID] = { "ID", 6, 0, 0, 0, UI_COL_HIDDEN },
};

enum { EF_ACTOR = 0, EF_EVENT, EF_VIA, EF_OUTCOME, EF_ACCOUNT, EF_REGION, EF_SOURCE,
	EF_RESOURCE, EF_ID, EF_PROVIDER };
static const struct filter_field fields[] = {
	{ "actor", EF_ACTOR, FT_TEXT }, { "who", EF_ACTOR, FT_TEXT }, { "event", EF_EVENT, FT_TEXT },
	{ "via", EF_VIA, FT_TEXT }, { "outcome", EF_OUTCOME, FT_TEXT },
	{ "account", EF_ACCOUNT, FT_TEXT }, { "project", EF_ACCOUNT, FT_TEXT },
	{ "region", EF_REGION, FT_TEXT }, { "source", EF_SOURCE, FT_TEXT },
	{ "resource", EF_RESOURCE, FT_TEXT }, { "id", EF_ID, FT_TEXT },
	{ "provider", EF_PROVIDER, FT_TEXT },
};
static const struct filter_schema schema = {
	fields, TF_ARRLEN(fields),
	"actor event via outcome account region source resource id provider since until",
};

static const struct key_hint hints[] = {
	{ ACT_SHOW, ACT_NONE }, { ACT_FILTER, ACT_NONE }, { ACT_COPY, ACT_NONE },
	{ ACT_COMMAND, ACT_NONE }, { ACT_TAB_FINDINGS, ACT_TAB_RESOURCES }, { ACT_SORT, ACT_NONE },
	{ ACT_PAGER, ACT_NONE }, { ACT_PAUSE, ACT_NONE }, { ACT_BACK, ACT_NONE },
	{ ACT_NONE, ACT_NONE },
};

struct epriv {
	size_t *rows;                   /* event numbers (seq), in the order shown */
	size_t n, cap;
	uint64_t built_total;           /* evlog total when the rows were made */
	uint64_t built_key;             /* filter and sort they were made with */
	uint64_t measured;              /* events measured for the widths (by seq) */
	int w[C__N];
	int dated;
	struct ui_pane pane;            /* the selected event in full */
};

static const struct ui_event *
at(struct ui *u, struct ui_vstate *vs, size_t row)
{
	struct epriv *p = vs->priv;

	return row < p->n ? evlog_seq(&u->events, p->rows[row]) : NULL;
}

static size_t
values(const void *item, int field, const char **out, size_t max, char *scratch)
{
	const struct ui_event *e = item;
	size_t n = 0;

	if (max < 12)
		return 0;
	if (field == FILTER_ANY || field == EF_OUTCOME) {
		evlog_outcome(e, scratch, FILTER_SCRATCH);
		out[n++] = scratch;
	}
	if (field == FILTER_ANY || field == EF_ACTOR) {
		out[n++] = e->actor;
		out[n++] = e->principal;
	}
	if (field == FILTER_ANY || field == EF_EVENT)
		out[n++] = e->name;
	if (field == EF_VIA)
		out[n++] = tf_via_name(e->via);
	if (field == FILTER_ANY || field == EF_ACCOUNT)
		out[n++] = e->account;
	if (field == FILTER_ANY || field == EF_REGION)
		out[n++] = e->region;
	if (field == FILTER_ANY || field == EF_SOURCE)
		out[n++] = e->source;
	if (field == FILTER_ANY || field == EF_RESOURCE)
		out[n++] = e->resource;
	if (field == FILTER_ANY || field == EF_ID)
		out[n++] = e->id;
	if (field == EF_PROVIDER)
		out[n++] = tf_provider_name(e->provider);
	return n;
}

static const char *
text_of(const struct ui_event *e, int col, char *buf, size_t len)
{
	char t[20];

	switch (col) {
	case C_TIME:
		ui_time_list(e->time_ms, t);
		snprintf(buf, len, "%s", t);
		return buf;
	case C_EVENT: return e->name ? e->name : "?";
	case C_ACTOR: return e->actor ? e->actor : "?";
	case C_VIA: return tf_via_name(e->via);
	case C_ACCOUNT: return e->account ? e->account : "-";
	case C_REGION: return e->region ? e->region : "-";
	case C_RESOURCE: return e->resource ? e->resource : "";
	case C_OUTCOME: evlog_outcome(e, buf, len); return buf;
	case C_SOURCE: return e->source ? e->source : "";
	case C_ID: return e->id ? e->id : "";
	default: return "";
	}
}

struct sortctx {
	struct ui *u;
	int col, desc;
};

static int
cmp_rows(const void *ctx, size_t a, size_t b)
{
	const struct sortctx *c = ctx;
	const struct ui_event *x = evlog_seq(&c->u->events, a), *y = evlog_seq(&c->u->events, b);
	char bx[128], by[128];
	int r;

	if (c->col == C_TIME)
		r = x->time_ms < y->time_ms ? -1 : x->time_ms > y->time_ms;
	else
		r = strcasecmp(text_of(x, c->col, bx, sizeof bx), text_of(y, c->col, by, sizeof by));
	if (r == 0)
		r = a < b ? 1 : a > b ? -1 : 0;         /* ties: newest first */
	else if (c->desc)
		r = -r;
	return r;
}

static void
grow(struct epriv *p, size_t n)
{
	if (p->cap < n) {
		p->cap = n + n / 2 + 64;
		p->rows = xreallocarray(p->rows, p->cap, sizeof *p->rows);
	}
}

static int
keep(struct ui_vstate *vs, const struct ui_event *e)
{
	return filter_match_item(vs->filter, e, values, e->time_ms);
}

static void
e_rebuild(struct ui *u, struct ui_vstate *vs)
{
	struct epriv *p = vs->priv;
	struct evlog *l = &u->events;
	uint64_t key = vs->gen, first = evlog_first_seq(l), s;
	size_t i, k;
	int newest_first = vs->list.sort_col == C_TIME && vs->list.sort_desc;

	if (key == p->built_key && newest_first && p->built_total <= l->total &&
	    p->built_total >= first) {
		/* Only new events: put the matching ones on top, drop the ones the log dropped. */
		size_t add = 0;

		for (s = p->built_total; s < l->total; s++)
			if (keep(vs, evlog_seq(l, s)))
				add++;
		while (p->n > 0 && p->rows[p->n - 1] < first)
			p->n--;
		if (add > 0) {
			grow(p, p->n + add);
			memmove(p->rows + add, p->rows, p->n * sizeof *p->rows);
			for (s = l->total, k = 0; s-- > p->built_total;)
				if (keep(vs, evlog_seq(l, s)))
					p->rows[k++] = (size_t)s;
			p->n += add;
		}
	} else {
		grow(p, l->n);
		p->n = 0;
		for (i = 0; i < l->n; i++) {
			const struct ui_event *e = evlog_newest(l, i);

			if (keep(vs, e))
				p->rows[p->n++] = (size_t)e->seq;
		}
		if (!newest_first) {
			struct sortctx c = { u, vs->list.sort_col, vs->list.sort_desc };

			ui_sort_rows(p->rows, p->n, cmp_rows, &c);
		}
	}
	p->built_key = key;
	p->built_total = l->total;
	ui_list_rebuilt(u, vs);
}

static size_t
e_count(struct ui *u, struct ui_vstate *vs)
{
	(void)u;
	return ((struct epriv *)vs->priv)->n;
}

static const char *
e_cell(struct ui *u, struct ui_vstate *vs, size_t row, int col, char *buf, size_t len)
{
	const struct ui_event *e = at(u, vs, row);

	return e != NULL ? text_of(e, col, buf, len) : "";
}

static int
e_cell_attr(struct ui *u, struct ui_vstate *vs, size_t row, int col)
{
	const struct ui_event *e = at(u, vs, row);

	if (e == NULL || col != C_OUTCOME)
		return 0;
	if (e->why == ND_DRIFT && e->worst >= 0)
		return theme_attr(theme_severity_slot(e->worst));
	if (e->why == ND_TERRAFORM || e->why == ND_SERVICE || e->why == ND_FAILED ||
	    e->why == ND_EQUAL)
		return theme_attr(TS_DIM);
	return 0;
}

static const char *
e_row_id(struct ui *u, struct ui_vstate *vs, size_t row, char *buf, size_t len)
{
	const struct ui_event *e = at(u, vs, row);

	if (e == NULL)
		return NULL;
	if (e->id != NULL)
		return e->id;
	snprintf(buf, len, "#%llu", (unsigned long long)e->seq);
	return buf;
}

static int
e_content_width(struct ui *u, struct ui_vstate *vs, int col)
{
	struct epriv *p = vs->priv;
	uint64_t s, first = evlog_first_seq(&u->events);
	int64_t day = tf_now_ms() / 86400000;
	char buf[128];
	int c, w;

	for (s = p->measured > first ? p->measured : first; s < u->events.total; s++) {
		const struct ui_event *e = evlog_seq(&u->events, s);

		for (c = C_EVENT; c < C__N; c++) {
			w = ui_width(text_of(e, c, buf, sizeof buf));
			if (w > p->w[c])
				p->w[c] = w;
		}
		if (e->time_ms / 86400000 != day)
			p->dated = 1;
	}
	p->measured = u->events.total;
	return col == C_TIME ? (p->dated ? 12 : 8) : p->w[col];
}

static int
e_search(struct ui *u, struct ui_vstate *vs, size_t row, const struct filter *f)
{
	const struct ui_event *e = at(u, vs, row);

	return e != NULL && filter_search_item(f, e, values);
}

/* The selected event in full. */
static void
describe(const struct ui_event *e, struct ui_text *d, int raw)
{
	char t[32], out[96];

	evlog_outcome(e, out, sizeof out);
	tf_format_time(e->time_ms, t);
	ui_text_add(d, TS_HEADER, xasprintf("%s  %s", e->name ? e->name : "?", out));
	ui_text_add(d, TS_NORMAL, xasprintf("  time: %s  source: %s  provider: %s", t,
	    e->source ? e->source : "?", tf_provider_name(e->provider)));
	ui_text_add(d, TS_NORMAL, xasprintf("  who: %s%s%s%s  via %s from %s", e->actor ? e->actor : "?",
	    e->actor_type ? " (" : "", e->actor_type ? e->actor_type : "",
	    e->actor_type ? ")" : "", tf_via_name(e->via), e->source_ip ? e->source_ip : "?"));
	if (e->principal != NULL)
		ui_text_add(d, TS_NORMAL, xasprintf("  principal: %s", e->principal));
	ui_text_add(d, TS_NORMAL, xasprintf("  account: %s  region: %s", e->account ? e->account : "?",
	    e->region ? e->region : "?"));
	if (e->resource != NULL)
		ui_text_link(d, TS_NORMAL, xasprintf("  resource: %s", e->resource), LINK_RESOURCE,
		    e->resource);
	if (e->user_agent != NULL)
		ui_text_add(d, TS_NORMAL, xasprintf("  user agent: %s", e->user_agent));
	ui_text_add(d, TS_DIM, xasprintf("  event id: %s", e->id ? e->id : "?"));
	if (e->origin != NULL)
		ui_text_add(d, TS_DIM, xasprintf("  from: %s", e->origin));
	if (raw) {
		ui_text_add(d, TS_HEADER, xstrdup("Record"));
		if (e->raw != NULL) {
			json_object *o = json_tokener_parse(e->raw);
			const char *pretty = o != NULL ? json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
			    JSON_C_TO_STRING_NOSLASHESCAPE) : e->raw;
			char *copy = xstrdup(pretty), *line, *save = NULL;

			for (line = strtok_r(copy, "\n", &save); line != NULL;
			    line = strtok_r(NULL, "\n", &save))
				ui_text_add(d, TS_NORMAL, xstrdup(line));
			free(copy);
			json_object_put(o);
		} else
			ui_text_add(d, TS_DIM, xstrdup("  (no longer kept: the Events view keeps the newest "
			    "records' text; `from:` says where it is)"));
	}
}

static void
e_draw(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	struct epriv *p = vs->priv;
	struct evlog *l = &u->events;
	int list_h;
	char sum[256];

	if (h < 3)
		return;
	/* The detail gets 40% (at least 11 lines); short screens get the list only. */
	list_h = h >= 20 ? h - (h * 40 / 100 > 11 ? h * 40 / 100 : 11) : h;
	ui_list_draw(u, vs, y, x, list_h, w);
	if (p->n == 0)
		ui_put(y + 1, x + 2, w - 2, l->n == 0 ? "No write events yet." :
		    "No events match (Esc clears the filter).", theme_attr(TS_DIM));
	if (h >= 20) {
		const struct ui_event *e = at(u, vs, vs->list.sel);

		snprintf(sum, sizeof sum, " %llu write events: drift %llu, terraform %llu, service %llu, "
		    "failed %llu, equal %llu, no event map %llu%s ",
		    (unsigned long long)l->total, (unsigned long long)l->by_why[ND_DRIFT],
		    (unsigned long long)l->by_why[ND_TERRAFORM], (unsigned long long)l->by_why[ND_SERVICE],
		    (unsigned long long)l->by_why[ND_FAILED], (unsigned long long)l->by_why[ND_EQUAL],
		    (unsigned long long)l->by_why[ND_NOT_COVERED], l->dropped ? " (oldest dropped)" : "");
		ui_rule(u, y + list_h, x, w, sum, theme_attr(TS_DIM));
		if (e != NULL) {
			struct ui_text d = { 0 };

			describe(e, &d, 0);
			p->pane.cursor = -1;
			ui_pane_draw(&p->pane, &d, y + list_h + 1, x, h - list_h - 1, w, vs->filter);
			ui_text_free(&d);
		}
	}
}

static int
e_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	if (ui_list_key(u, vs, a)) {
		((struct epriv *)vs->priv)->pane.scroll = 0;
		return 1;
	}
	if (a == ACT_CANCEL && vs->filter != NULL) {
		ui_set_filter(u, V_EVENTS, "", 0);
		return 1;
	}
	return 0;
}

/* How many findings the event with this id resolved; *one is one of them. */
static size_t
resolved_by(const struct ui *u, const char *id, const char **one)
{
	size_t i, n = 0;

	for (i = 0; i < u->model.all.n; i++) {
		const struct finding *f = u->model.all.v[i];

		if (f->status == ST_RESOLVED && f->resolution != NULL &&
		    f->resolution->event_id != NULL && strcmp(f->resolution->event_id, id) == 0) {
			*one = f->id;
			n++;
		}
	}
	return n;
}

/* Did the event with this id make a finding that has resolved since? */
static int
made_resolved(const struct ui *u, const char *id)
{
	size_t i;

	for (i = 0; i < u->model.all.n; i++) {
		const struct finding *f = u->model.all.v[i];

		if (f->status == ST_RESOLVED && f->event_id != NULL && strcmp(f->event_id, id) == 0)
			return 1;
	}
	return 0;
}

static int
e_open(struct ui *u, struct ui_vstate *vs)
{
	const struct ui_event *e = at(u, vs, vs->list.sel);
	const char *one = NULL;
	char out[96], *q;
	size_t nres;

	if (e == NULL)
		return 0;
	if (e->nfindings > 0 && e->id != NULL) {
		q = xasprintf("eventid:%s", e->id);
		ui_drill(u, V_FINDINGS, q);
		free(q);
		/* Its findings may have resolved since: shown all the same. */
		if (!u->model.show_resolved && made_resolved(u, e->id)) {
			u->model.show_resolved = 1;
			ui_mark_dirty(u, V_FINDINGS);
			ui_msg(u, 0, "showing resolved findings: what this event made has resolved since");
		}
		return 1;
	}
	/* A revert made none but resolved some: those (shown though resolved are hidden). */
	if (e->id != NULL && (nres = resolved_by(u, e->id, &one)) > 0) {
		if (nres == 1)
			ui_open_finding(u, one);
		else {
			q = xasprintf("resolvedby:%s", e->id);
			ui_drill(u, V_FINDINGS, q);
			free(q);
		}
		ui_msg(u, 0, "%s this event resolved (it made none)", nres == 1 ? "the finding" :
		    "the findings");
		return 1;
	}
	evlog_outcome(e, out, sizeof out);
	if (e->resource != NULL) {
		/* What else happened to what it touched. */
		ui_open_resource(u, e->resource);
		ui_msg(u, 0, "this event made no finding (%s): the history of what it touched", out);
	} else
		ui_msg(u, 0, "this event made no finding: %s", out);
	return 1;
}

static char *
e_copy(struct ui *u, struct ui_vstate *vs, int all, const char **what)
{
	const struct ui_event *e = at(u, vs, vs->list.sel);

	if (e == NULL) {
		*what = "no event selected";
		return NULL;
	}
	if (all) {
		if (e->raw == NULL) {
			*what = "the raw record is no longer kept for this event";
			return NULL;
		}
		*what = "the raw record";
		return xstrdup(e->raw);
	}
	if (e->id == NULL) {
		*what = "this event has no id";
		return NULL;
	}
	*what = "the event id";
	return xstrdup(e->id);
}

static char *
e_text(struct ui *u, struct ui_vstate *vs)
{
	const struct ui_event *e = at(u, vs, vs->list.sel);
	struct ui_text d = { 0 };
	char *s;

	if (e == NULL)
		return NULL;
	describe(e, &d, 1);
	s = ui_text_plain(&d);
	ui_text_free(&d);
	return s;
}

static int
e_mouse(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel)
{
	struct epriv *p = vs->priv;

	if (y >= vs->list.y - 1 && y < vs->list.y + vs->list.h)
		return ui_list_mouse(u, vs, y, x, wheel);
	if (wheel != 0)
		p->pane.scroll += 3 * wheel;
	return 1;
}

static void
e_init(struct ui *u, struct ui_vstate *vs)
{
	struct epriv *p = xcalloc(1, sizeof *p);

	(void)u;
	p->built_key = (uint64_t)-1;
	p->pane.cursor = -1;
	vs->priv = p;
}

static void
e_free(struct ui_vstate *vs)
{
	struct epriv *p = vs->priv;

	if (p == NULL)
		return;
	free(p->rows);
	ui_pane_free(&p->pane);
	free(p);
	vs->priv = NULL;
}

/* Drill-downs select an event by id (the detail's event id line). */
void
ui_open_event(struct ui *u, const char *event_id)
{
	struct ui_vstate *vs = &u->vs[V_EVENTS];

	ui_drill(u, V_EVENTS, "");
	ui_list_jump(&vs->list, event_id);
	vs->dirty = 1;
}

const struct ui_view view_events = {
	.name = "events", .title = "Events", .item = "event", .items = "events",
	.hints = hints,
	.cols = cols, .ncols = C__N, .schema = &schema,
	.init = e_init, .free = e_free, .rebuild = e_rebuild, .draw = e_draw, .key = e_key,
	.mouse = e_mouse, .copy = e_copy, .text = e_text, .open = e_open,
	.count = e_count, .cell = e_cell, .cell_attr = e_cell_attr, .row_id = e_row_id,
	.content_width = e_content_width, .search = e_search,
};
