/* view_findings: the Findings view: the timeline band, the findings list (status, severity,
 * time, kind, address or type and id, change, actor; sortable by any column) and the
 * selected finding's detail below (full screen with +). Its keys: triage (a s u S), the
 * detail pane's focus and links, the timeline (h l [ ] z t), Esc. The list's rows are the
 * model's (src/ui/model.h), which keeps a million findings fast. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "finding.h"
#include "store.h"
#include "ui_int.h"

enum { C_ST = 0, C_SEV, C_TIME, C_KIND, C_RES, C_CHANGE, C_ACTOR, C_ACCOUNT, C_REGION,
	C_EVENT, C_VIA, C__N };

static const struct ui_col cols[C__N] = {
	[C_ST] = { "ST", 2, 2, 0, 0, 0 },
	[C_SEV] = { "SEV", 4, 4, 0, 0, UI_COL_DESC },
	[C_TIME] = { "TIME", 8, 12, 0, 0, UI_COL_DESC },
	[C_KIND] = { "KIND", 5, 6, 0, 0, 0 },
	[C_RES] = { "RESOURCE", 12, 0, 1, 35, 0 },
	[C_CHANGE] = { "CHANGE", 12, 0, 2, 0, 0 },
	[C_ACTOR] = { "ACTOR", 8, 0, 2, 20, 0 },
	[C_ACCOUNT] = { "ACCOUNT", 7, 0, 0, 0, UI_COL_HIDDEN },
	[C_REGION] = { "REGION", 6, 0, 0, 0, UI_COL_HIDDEN },
	[C_EVENT] = { "EVENT", 6, 0, 0, 0, UI_COL_HIDDEN },
	[C_VIA] = { "VIA", 3, 9, 0, 0, UI_COL_HIDDEN },
};

static const struct key_hint hints_list[] = {
	{ ACT_SHOW, ACT_NONE }, { ACT_FILTER, ACT_NONE }, { ACT_ACK, ACT_NONE },
	{ ACT_SUPPRESS, ACT_NONE }, { ACT_UNDO, ACT_NONE }, { ACT_COPY, ACT_NONE },
	{ ACT_COMMAND, ACT_NONE }, { ACT_TAB_FINDINGS, ACT_TAB_RESOURCES },
	{ ACT_LEFT, ACT_RIGHT }, { ACT_SORT, ACT_NONE }, { ACT_TOGGLE_RESOLVED, ACT_NONE },
	{ ACT_GROUP, ACT_NONE }, { ACT_TOGGLE_SUPPRESSED, ACT_NONE },
	{ ACT_FULLSCREEN, ACT_NONE }, { ACT_PAGER, ACT_NONE }, { ACT_EXPORT, ACT_NONE },
	{ ACT_PAUSE, ACT_NONE }, { ACT_BACK, ACT_NONE }, { ACT_NONE, ACT_NONE },
};
static const struct key_hint hints_detail[] = {
	{ ACT_DOWN, ACT_UP }, { ACT_SHOW, ACT_NONE }, { ACT_FOCUS, ACT_NONE },
	{ ACT_ACK, ACT_NONE }, { ACT_SUPPRESS, ACT_NONE }, { ACT_COPY, ACT_NONE },
	{ ACT_FULLSCREEN, ACT_NONE }, { ACT_PAGER, ACT_NONE }, { ACT_BACK, ACT_NONE },
	{ ACT_NONE, ACT_NONE },
};

/* The view's own state. */
struct fpriv {
	size_t measured;                /* findings measured for the content widths */
	int w[C__N];                    /* their widest values */
	int dated;                      /* a finding not from today: TIME shows the date */
	int64_t day;                    /* the UTC day "today" was measured against */
	struct ui_text detail;          /* the selected finding's, built once per change */
	const struct finding *detail_of;
	int detail_status;
	const void *detail_triage;
	const void *detail_resolution;
	uint64_t detail_gen;
	int detail_utf8;
	int sort_col;                   /* the comparator's column */
};

static const char *
sev_label(enum severity s)
{
	static const char *l[SEV__COUNT] = { "INFO", "LOW", "MED", "HIGH", "CRIT" };

	return s < SEV__COUNT ? l[s] : "?";
}

static const char *
kind_label(enum finding_kind k)
{
	static const char *l[FK__COUNT] = { "mod", "unmgd", "del", "freeze" };

	return k < FK__COUNT ? l[k] : "?";
}

static const char *
status_mark(enum finding_status s)
{
	return s == ST_ACKNOWLEDGED ? "A" : s == ST_SUPPRESSED ? "S" : s == ST_RESOLVED ? "R" : "";
}

static const char *
actor_of(const struct finding *f)
{
	return f->actor.name ? f->actor.name : f->actor.principal ? f->actor.principal : "?";
}

/* RESOURCE: the address, else "type id" (into buf). */
static const char *
res_of(const struct finding *f, char *buf, size_t len)
{
	if (f->address != NULL)
		return f->address;
	snprintf(buf, len, "%s %s", f->type ? f->type : "?", f->resource_id ? f->resource_id : "?");
	return buf;
}

static const char *
text_of(const struct finding *f, int col, char *buf, size_t len)
{
	switch (col) {
	case C_ST: return status_mark(f->status);
	case C_SEV: return sev_label(f->severity);
	case C_KIND: return kind_label(f->kind);
	case C_RES: return res_of(f, buf, len);
	case C_CHANGE:
		if (f->status == ST_RESOLVED) {
			/* What resolved it first: the change is in the detail. */
			char *why = ui_resolution_text(f);

			snprintf(buf, len, "%s; %s", why, f->summary ? f->summary : "");
			free(why);
			return buf;
		}
		return f->summary ? f->summary : "";
	case C_ACTOR: return actor_of(f);
	case C_ACCOUNT: return f->account ? f->account : "";
	case C_REGION: return f->region ? f->region : "";
	case C_EVENT: return f->event_name ? f->event_name : "";
	case C_VIA: return tf_via_name(f->actor.via);
	default: return "";
	}
}

static struct finding *
at(struct ui *u, size_t row)
{
	return row < u->model.nrows ? u->model.all.v[u->model.rows[row]] : NULL;
}

static size_t
f_count(struct ui *u, struct ui_vstate *vs)
{
	(void)vs;
	return u->model.nrows;
}

static const char *
f_cell(struct ui *u, struct ui_vstate *vs, size_t row, int col, char *buf, size_t len)
{
	const struct finding *f = at(u, row);
	char t[20];

	(void)vs;
	if (f == NULL)
		return "";
	if (col == C_TIME) {
		ui_time_list(f->event_time_ms, t);
		snprintf(buf, len, "%s", t);
		return buf;
	}
	return text_of(f, col, buf, len);
}

static int
f_cell_attr(struct ui *u, struct ui_vstate *vs, size_t row, int col)
{
	const struct finding *f = at(u, row);

	(void)vs;
	if (f == NULL)
		return 0;
	if (f->status == ST_RESOLVED)
		return theme_attr(TS_DIM);      /* the whole row: drift that is gone */
	if (col == C_SEV)
		return theme_attr(theme_severity_slot(f->severity));
	if (col == C_ST && f->status != ST_OPEN)
		return theme_attr(TS_NORMAL) | A_BOLD;
	return 0;
}

static const char *
f_row_id(struct ui *u, struct ui_vstate *vs, size_t row, char *buf, size_t len)
{
	const struct finding *f = at(u, row);

	(void)vs;
	(void)buf;
	(void)len;
	return f != NULL ? f->id : NULL;
}

/* The widest values, measured once per finding as they arrive. */
static void
measure(struct ui *u, struct fpriv *p)
{
	int64_t day = tf_now_ms() / 86400000;
	size_t i;
	char buf[256];
	int c, w;

	if (day != p->day) {
		p->day = day;
		p->measured = 0;
		p->dated = 0;
	}
	if (p->measured > u->model.all.n)
		p->measured = 0;
	for (i = p->measured; i < u->model.all.n; i++) {
		const struct finding *f = u->model.all.v[i];

		for (c = C_RES; c < C__N; c++) {
			w = ui_width(text_of(f, c, buf, sizeof buf));
			if (w > p->w[c])
				p->w[c] = w;
		}
		if (f->event_time_ms / 86400000 != day)
			p->dated = 1;
	}
	p->measured = u->model.all.n;
}

static int
f_content_width(struct ui *u, struct ui_vstate *vs, int col)
{
	struct fpriv *p = vs->priv;

	measure(u, p);
	switch (col) {
	case C_ST: return 2;
	case C_SEV: return 4;
	case C_TIME: return p->dated ? 12 : 8;
	case C_KIND: return 6;
	default: return p->w[col];
	}
}

static int
f_search(struct ui *u, struct ui_vstate *vs, size_t row, const struct filter *f)
{
	(void)vs;
	return filter_search_match(f, at(u, row));
}

static int
strcmp0(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* Sorting by a column the model has no fast order for: by what the column shows, compared
 * without formatting it (the model sorts every finding with this once per column). */
static int
cmp_col(void *ctx, const struct finding *a, const struct finding *b)
{
	int col = *(const int *)ctx, c;

	switch (col) {
	case C_ST: return (int)a->status - (int)b->status;
	case C_KIND: return (int)a->kind - (int)b->kind;
	case C_VIA: return (int)a->actor.via - (int)b->actor.via;
	case C_RES:
		/* Addresses first; unmanaged ones ("type id") by type, then id. */
		if (a->address != NULL && b->address != NULL)
			return strcmp(a->address, b->address);
		if ((a->address == NULL) != (b->address == NULL))
			return a->address != NULL ? -1 : 1;
		return (c = strcmp0(a->type, b->type)) != 0 ? c : strcmp0(a->resource_id, b->resource_id);
	case C_CHANGE: return strcmp0(a->summary, b->summary);
	case C_ACTOR: return strcasecmp(actor_of(a), actor_of(b));
	case C_ACCOUNT: return strcmp0(a->account, b->account);
	case C_REGION: return strcmp0(a->region, b->region);
	case C_EVENT: return strcmp0(a->event_name, b->event_name);
	default: return 0;
	}
}

/* The model's filter: the view's query and the timeline bucket. */
static int
keep(void *ctx, const struct finding *f, uint32_t words_found)
{
	const struct ui *u = ctx;

	if (u->tl.bucket_to > 0 && (f->event_time_ms < u->tl.bucket_from ||
	    f->event_time_ms >= u->tl.bucket_to))
		return 0;
	return filter_match_words(u->vs[V_FINDINGS].filter, f, words_found);
}

static void
f_init(struct ui *u, struct ui_vstate *vs)
{
	vs->priv = xcalloc(1, sizeof(struct fpriv));
	vs->list.sort_col = C_TIME;
	vs->list.sort_desc = 1;
	u->model.filter = keep;
	u->model.filter_ctx = u;
	u->model.keep_hay = 1;
}

static void
f_free(struct ui_vstate *vs)
{
	struct fpriv *p = vs->priv;

	if (p != NULL)
		ui_text_free(&p->detail);
	free(p);
	vs->priv = NULL;
}

static void
f_rebuild(struct ui *u, struct ui_vstate *vs)
{
	struct model *m = &u->model;
	struct fpriv *p = vs->priv;
	size_t row = (size_t)-1;

	/* The sort: time and severity have the model's fast orders; the rest a comparator. */
	m->reverse = 0;
	if (vs->list.sort_col == C_TIME) {
		m->sort = SORT_TIME;
		m->reverse = !vs->list.sort_desc;
	} else if (vs->list.sort_col == C_SEV) {
		m->sort = SORT_SEVERITY;
		m->reverse = !vs->list.sort_desc;
	} else {
		if (p->sort_col != vs->list.sort_col || m->sort != SORT_CUSTOM)
			m->cmp_gen++;   /* another order: the model sorts again */
		p->sort_col = vs->list.sort_col;
		m->sort = SORT_CUSTOM;
		m->cmp = cmp_col;
		m->cmp_ctx = &p->sort_col;
		m->reverse = vs->list.sort_desc;
	}
	m->words = filter_texts(vs->filter);
	m->nwords = filter_ntexts(vs->filter);
	if (vs->filter != NULL && filter_wants_suppressed(vs->filter))
		m->show_suppressed = 1;
	if (vs->filter != NULL && filter_wants_resolved(vs->filter))
		m->show_resolved = 1;
	model_rebuild(m);
	if (!vs->list.follow && vs->list.sel_id != NULL)
		row = model_row_of(m, vs->list.sel_id);
	/* A new query, sort, bucket or triage shows other rows: only arrivals are "new". */
	ui_list_settle(&vs->list, m->nrows, row, vs->gen * 131u + m->filter_gen * 2u +
	    (m->show_suppressed != 0) + (m->show_resolved != 0) * 4u);
	if (m->nrows > 0) {
		model_select_row(m, vs->list.sel);
		free(vs->list.sel_id);
		vs->list.sel_id = xstrdup(m->sel_id);
	}
}

/* ---- the detail pane ---- */

static const struct ui_text *
detail_of(struct ui *u, struct fpriv *p, const struct finding *f)
{
	if (f != p->detail_of || (int)f->status != p->detail_status ||
	    (const void *)f->triage != p->detail_triage ||
	    (const void *)f->resolution != p->detail_resolution || p->detail_utf8 != u->utf8) {
		ui_text_free(&p->detail);
		ui_detail_build(u, f, &p->detail);
		p->detail_of = f;
		p->detail_status = (int)f->status;
		p->detail_triage = f->triage;
		p->detail_resolution = f->resolution;
		p->detail_utf8 = u->utf8;
	}
	return &p->detail;
}

static void
draw_detail(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	struct finding *f = ui_selected_finding(u);

	if (h <= 0)
		return;
	if (f == NULL) {
		ui_put(y, x + 1, w - 1, u->model.all.n == 0 ? "" :
		    "Select a finding to see its changes and who made them.", theme_attr(TS_DIM));
		return;
	}
	u->detail.cursor = u->focus_detail ? (u->detail.cursor < 0 ? 0 : u->detail.cursor) : -1;
	ui_pane_draw(&u->detail, detail_of(u, vs->priv, f), y, x, h, w, vs->filter);
}

/* The empty list says why it is empty. */
static void
draw_empty(struct ui *u, struct ui_vstate *vs, int y, int x, int w)
{
	struct replay_progress p;
	char *err = NULL;
	const char *why;

	replay_progress(u->replay, &p, &err);
	if (u->model.all.n > 0)
		why = vs->filter != NULL || u->tl.bucket_to > 0 ?
		    "No findings match (Esc clears the bucket, then the filter; S shows suppressed, "
		    "R resolved)." : "No findings to show (S shows suppressed ones, R resolved ones).";
	else if (err != NULL && p.finished)
		why = "No findings: the events could not be read (4 Sources says why).";
	else if (err != NULL)
		why = "No findings yet: a file could not be read (4 Sources says why); waiting for "
		    "the others...";
	else if (p.finished)
		why = "No drift: every write event matches the state (2 Events says why each was not drift).";
	else
		why = "No findings yet: waiting for events...";
	ui_put(y, x + 2, w - 2, why, theme_attr(err != NULL && u->model.all.n == 0 ?
	    TS_STATUS_ERROR : TS_DIM));
	free(err);
}

static void
f_draw(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	int band = 0, list_h;

	if (u->full_detail) {
		ui_rule(u, y, x, w, " detail (+ back to the list) ", theme_attr(TS_HEADER));
		draw_detail(u, vs, y + 1, x, h - 1, w);
		vs->list.h = 0;
		return;
	}
	if (!u->tl.hidden && h >= 18) {
		band = 5;
		ui_timeline_draw(u, y, x, band, w);
	} else
		u->tl.h = 0;
	y += band;
	h -= band;
	if (h < 14) {
		/* Small screens: the list, or the detail when it has the focus. */
		if (u->focus_detail) {
			draw_detail(u, vs, y, x, h, w);
			vs->list.h = 0;
		} else {
			ui_list_draw(u, vs, y, x, h, w);
			if (u->model.nrows == 0)
				draw_empty(u, vs, y + 1, x, w);
		}
		return;
	}
	list_h = h * 45 / 100;
	if (list_h < 5)
		list_h = 5;
	ui_list_draw(u, vs, y, x, list_h, w);
	if (u->model.nrows == 0)
		draw_empty(u, vs, y + 1, x, w);
	y += list_h;
	ui_rule(u, y, x, w, u->focus_detail ? " detail: j/k move, Enter opens, Tab back " :
	    " detail ", theme_attr(u->focus_detail ? TS_HEADER : TS_DIM));
	draw_detail(u, vs, y + 1, x, h - list_h - 1, w);
}

/* ---- keys ---- */

static void
focus(struct ui *u, int on)
{
	u->focus_detail = on;
	u->detail.cursor = on ? 0 : -1;
}

/* Enter on a detail line: open what it names. */
static int
open_link(struct ui *u, struct ui_vstate *vs)
{
	struct fpriv *p = vs->priv;
	const struct ui_text_line *ln;

	if (u->detail.cursor < 0 || (size_t)u->detail.cursor >= p->detail.n)
		return 0;
	ln = &p->detail.v[u->detail.cursor];
	switch (ln->link) {
	case LINK_RESOURCE:
		ui_open_resource(u, ln->target);
		return 1;
	case LINK_EVENT:
		ui_open_event(u, ln->target);
		return 1;
	case LINK_FINDING:
		if (!ui_open_finding(u, ln->target))
			ui_msg(u, 0, "finding %.8s is not in this session (tfdrift export --status all "
			    "lists the stored ones)", ln->target);
		return 1;
	default:
		ui_msg(u, 0, "nothing to open on this line (resource, dependents and earlier "
		    "findings open)");
		return 1;
	}
}

static int
f_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	struct model *m = &u->model;
	struct finding *f = ui_selected_finding(u);

	if (u->focus_detail || u->full_detail) {
		struct fpriv *p = vs->priv;

		if (f != NULL && ui_pane_key(&u->detail, detail_of(u, p, f), a))
			return 1;
		switch (a) {
		case ACT_SHOW:
			if (u->full_detail && !u->focus_detail) {
				focus(u, 1);
				return 1;
			}
			return open_link(u, vs);
		case ACT_FOCUS:
		case ACT_CANCEL:
			if (u->full_detail && a == ACT_CANCEL && !u->focus_detail)
				u->full_detail = 0;
			focus(u, 0);
			return 1;
		default:
			break;
		}
	}
	if (!u->tl.hidden && !u->full_detail && ui_timeline_key(u, a)) {
		m->filter_gen++;
		vs->dirty = 1;
		return 1;
	}
	if (ui_list_key(u, vs, a)) {
		u->detail.scroll = 0;
		return 1;
	}
	switch (a) {
	case ACT_SHOW:
	case ACT_FOCUS:
		if (f != NULL)
			focus(u, 1);
		return 1;
	case ACT_FULLSCREEN:
		u->full_detail = !u->full_detail;
		if (!u->full_detail)
			focus(u, 0);
		return 1;
	case ACT_CANCEL:
		if (u->tl.bucket_to > 0) {
			u->tl.bucket_to = 0;
			m->filter_gen++;
			vs->dirty = 1;
		} else if (vs->filter != NULL)
			ui_set_filter(u, V_FINDINGS, "", 0);
		return 1;
	case ACT_TIMELINE:
		u->tl.hidden = !u->tl.hidden;
		if (u->tl.hidden && u->tl.bucket_to > 0) {
			u->tl.bucket_to = 0;
			m->filter_gen++;
			vs->dirty = 1;
		}
		return 1;
	case ACT_ACK:
		if (f == NULL)
			ui_msg(u, 0, "no finding selected");
		else
			ui_start_ack(u, f);
		return 1;
	case ACT_SUPPRESS:
		if (f == NULL)
			ui_msg(u, 0, "no finding selected");
		else
			ui_start_suppress(u, f);
		return 1;
	case ACT_UNDO:
		ui_do_undo(u);
		return 1;
	case ACT_TOGGLE_SUPPRESSED:
		m->show_suppressed = !m->show_suppressed;
		vs->dirty = 1;
		ui_msg(u, 0, m->show_suppressed ? "showing suppressed findings" :
		    "hiding suppressed findings");
		return 1;
	case ACT_TOGGLE_RESOLVED:
		m->show_resolved = !m->show_resolved;
		vs->dirty = 1;
		ui_save_toggle(u, "show_resolved", m->show_resolved);
		ui_msg(u, 0, m->show_resolved ? "showing resolved findings (dimmed)" :
		    "hiding resolved findings");
		return 1;
	default:
		return 0;
	}
}

static int
f_mouse(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel)
{
	if (!u->tl.hidden && u->tl.h > 0 && y >= u->tl.y0 && y < u->tl.y0 + u->tl.h) {
		if (wheel == 0 && ui_timeline_click(u, y, x)) {
			u->model.filter_gen++;
			vs->dirty = 1;
		}
		return 1;
	}
	if (vs->list.h > 0 && y >= vs->list.y - 1 && y < vs->list.y + vs->list.h) {
		if (ui_list_mouse(u, vs, y, x, wheel))
			focus(u, 0);
		return 1;
	}
	/* The detail pane: the wheel scrolls it. */
	if (wheel != 0) {
		u->detail.scroll += wheel * 3;
		return 1;
	}
	if (ui_selected_finding(u) != NULL) {
		focus(u, 1);
		if (y >= u->detail.y && y - u->detail.y + u->detail.scroll < u->detail.rows)
			u->detail.cursor = u->detail.row_line[y - u->detail.y + u->detail.scroll];
	}
	return 1;
}

static char *
f_copy(struct ui *u, struct ui_vstate *vs, int all, const char **what)
{
	struct finding *f = ui_selected_finding(u);
	char *s;

	(void)vs;
	if (f == NULL) {
		*what = "no finding selected";
		return NULL;
	}
	if (all) {
		json_object *o = finding_to_json(f);

		s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		*what = "the finding as JSON";
		return s;
	}
	if ((s = ui_finding_fix(f)) == NULL) {
		*what = "this finding has no fix command";
		return NULL;
	}
	*what = "the fix command";
	return s;
}

static char *
f_text(struct ui *u, struct ui_vstate *vs)
{
	struct finding *f = ui_selected_finding(u);

	if (f == NULL)
		return NULL;
	return ui_text_plain(detail_of(u, vs->priv, f));
}

static int
f_open(struct ui *u, struct ui_vstate *vs)
{
	(void)vs;
	if (ui_selected_finding(u) == NULL)
		return 0;
	focus(u, 1);
	return 1;
}

/* The key bar follows the focus. */
static const struct key_hint *
f_hints(const struct ui *u)
{
	return u->focus_detail || u->full_detail ? hints_detail : hints_list;
}

struct finding *
ui_selected_finding(struct ui *u)
{
	struct ui_vstate *vs = &u->vs[V_FINDINGS];

	if (u->model.nrows == 0 || vs->list.sel >= u->model.nrows)
		return NULL;
	return at(u, vs->list.sel);
}

const struct ui_view view_findings = {
	.name = "findings", .title = "Findings", .item = "finding", .items = "findings",
	.hints = hints_list,
	.cols = cols, .ncols = C__N, .schema = &filter_findings,
	.hints_now = f_hints,
	.init = f_init, .free = f_free, .rebuild = f_rebuild, .draw = f_draw, .key = f_key,
	.mouse = f_mouse, .copy = f_copy, .text = f_text, .open = f_open,
	.count = f_count, .cell = f_cell, .cell_attr = f_cell_attr, .row_id = f_row_id,
	.content_width = f_content_width, .search = f_search,
};
