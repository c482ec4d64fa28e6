/* view_findings: the Findings view: the timeline band, the findings list (status, severity,
 * time, kind, address or type and id, change, actor; sortable by any column) and the
 * selected finding's detail below (full screen with +). Its keys: triage (a s u S), resolved
 * findings shown or not (R), the detail pane's focus and links, the timeline (h l [ ] z t),
 * Esc, and = grouping the findings of one actor session into one row (Enter or Right expands
 * it, Left collapses it). The list's rows are the model's (src/ui/model.h), which keeps a
 * million findings fast; grouped, the view lays its own rows over them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "finding.h"
#include "resdrift.h"
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

/* A row when grouped by session: a finding (the model's row) or a session's own row. */
struct grow {
	size_t row;                     /* a finding: its model row; a session: its first */
	long ses;                       /* the session (index into ses), -1 a finding alone */
	int head;                       /* the session's own row (else one of its findings) */
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
	/* = : grouped by actor session. */
	int group;
	struct resdrift_session *ses;   /* over the model's rows */
	size_t nses;
	char **ses_id;                  /* each session's id: "s:" + its oldest finding's id */
	char **ses_label;               /* "alice: 7 changes on 4 resources in 3 min" */
	char **ses_change;              /* its findings' changes, oldest first, "; " between */
	int label_w, change_w;          /* the widest of each */
	struct grow *g;                 /* the rows shown */
	size_t ng, gcap;
	struct strlist open;            /* the sessions expanded, by id */
	struct ui_text gdetail;         /* the selected session's detail */
	long gdetail_of;
};

static void
group_clear(struct fpriv *p)
{
	size_t i;

	for (i = 0; i < p->nses; i++) {
		free(p->ses_id[i]);
		free(p->ses_label[i]);
		free(p->ses_change[i]);
	}
	free(p->ses);
	free(p->ses_id);
	free(p->ses_label);
	free(p->ses_change);
	p->ses = NULL;
	p->ses_id = p->ses_label = p->ses_change = NULL;
	p->nses = 0;
	p->ng = 0;
	p->label_w = p->change_w = 0;
	ui_text_free(&p->gdetail);
	p->gdetail_of = -1;
}

static int
is_open_group(const struct fpriv *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->open.n; i++)
		if (strcmp(p->open.v[i], id) == 0)
			return 1;
	return 0;
}

static void
set_open_group(struct fpriv *p, const char *id, int on)
{
	size_t i;

	for (i = 0; i < p->open.n; i++)
		if (strcmp(p->open.v[i], id) == 0)
			break;
	if (on && i == p->open.n)
		strlist_push(&p->open, id);
	else if (!on && i < p->open.n) {
		free(p->open.v[i]);
		p->open.v[i] = p->open.v[--p->open.n];
	}
}

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

/* The grouped row shown at `row`, or NULL when not grouped (or past the end). */
static const struct grow *
grow_at(struct ui *u, size_t row)
{
	const struct fpriv *p = u->vs[V_FINDINGS].priv;

	return p != NULL && p->group && row < p->ng ? &p->g[row] : NULL;
}

/* The finding shown at a row; NULL on a session's own row. */
static struct finding *
at(struct ui *u, size_t row)
{
	const struct fpriv *p = u->vs[V_FINDINGS].priv;
	const struct grow *g;

	if (p != NULL && p->group) {
		if ((g = grow_at(u, row)) == NULL || g->head || g->row >= u->model.nrows)
			return NULL;
		return u->model.all.v[u->model.rows[g->row]];
	}
	return row < u->model.nrows ? u->model.all.v[u->model.rows[row]] : NULL;
}

static size_t
f_count(struct ui *u, struct ui_vstate *vs)
{
	const struct fpriv *p = vs->priv;

	return p->group ? p->ng : u->model.nrows;
}

/* A session's own row: its worst severity. */
static int
ses_worst(struct ui *u, const struct resdrift_session *s)
{
	size_t i;
	int w = -1;

	for (i = s->first; i < s->first + s->n && i < u->model.nrows; i++) {
		const struct finding *f = u->model.all.v[u->model.rows[i]];

		if ((int)f->severity > w && f->severity < SEV__COUNT)
			w = (int)f->severity;
	}
	return w;
}

static const char *
head_cell(struct ui *u, const struct fpriv *p, const struct grow *g, int col, char *buf,
    size_t len)
{
	const struct resdrift_session *s = &p->ses[g->ses];
	const struct finding *any = u->model.all.v[u->model.rows[s->first]];
	char t[20];
	int w;

	switch (col) {
	case C_ST: return is_open_group(p, p->ses_id[g->ses]) ? "-" : "+";
	case C_SEV: return (w = ses_worst(u, s)) >= 0 ? sev_label((enum severity)w) : "";
	case C_TIME:
		ui_time_list(s->to_ms, t);
		snprintf(buf, len, "%s", t);
		return buf;
	case C_KIND: return "sess";
	case C_RES: return p->ses_label[g->ses];
	case C_CHANGE: return p->ses_change[g->ses];
	case C_ACTOR: return actor_of(any);
	case C_ACCOUNT: return any->account ? any->account : "";
	default: return "";
	}
}

static const char *
f_cell(struct ui *u, struct ui_vstate *vs, size_t row, int col, char *buf, size_t len)
{
	const struct finding *f = at(u, row);
	char t[20];

	if (f == NULL) {
		const struct grow *g = grow_at(u, row);

		return g != NULL && g->head ? head_cell(u, vs->priv, g, col, buf, len) : "";
	}
	if (col == C_TIME) {
		ui_time_list(f->event_time_ms, t);
		snprintf(buf, len, "%s", t);
		return buf;
	}
	if (col == C_RES && grow_at(u, row) != NULL && grow_at(u, row)->ses >= 0) {
		char r[256];

		/* A session's finding, under its row. */
		snprintf(buf, len, "  %s", res_of(f, r, sizeof r));
		return buf;
	}
	return text_of(f, col, buf, len);
}

static int
f_cell_attr(struct ui *u, struct ui_vstate *vs, size_t row, int col)
{
	const struct finding *f = at(u, row);

	if (f == NULL) {
		const struct grow *g = grow_at(u, row);
		const struct fpriv *p = vs->priv;
		int w;

		if (g == NULL || !g->head)
			return 0;
		if (col == C_SEV && (w = ses_worst(u, &p->ses[g->ses])) >= 0)
			return theme_attr(theme_severity_slot(w));
		return 0;
	}
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
	const struct grow *g;

	(void)buf;
	(void)len;
	if (f == NULL && (g = grow_at(u, row)) != NULL && g->head)
		return ((struct fpriv *)vs->priv)->ses_id[g->ses];
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
	case C_RES: return p->group && p->label_w > p->w[col] ? p->label_w : p->w[col];
	case C_CHANGE: return p->group && p->change_w > p->w[col] ? p->change_w : p->w[col];
	default: return p->w[col];
	}
}

static int
f_search(struct ui *u, struct ui_vstate *vs, size_t row, const struct filter *f)
{
	const struct finding *fd = at(u, row);

	(void)vs;
	return fd != NULL && filter_search_match(f, fd);
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

/* What the finding's enums and time decide of keep (the model reads no finding for it). */
static int
keep_enums(void *ctx, const struct filter_enums *e, uint32_t words_found)
{
	const struct ui *u = ctx;

	if (u->tl.bucket_to > 0 && (e->time_ms < u->tl.bucket_from ||
	    e->time_ms >= u->tl.bucket_to))
		return 0;
	return filter_match_enums(u->vs[V_FINDINGS].filter, e, words_found);
}

static void
f_init(struct ui *u, struct ui_vstate *vs)
{
	struct fpriv *p = xcalloc(1, sizeof(struct fpriv));

	p->gdetail_of = -1;
	vs->priv = p;
	vs->list.sort_col = C_TIME;
	vs->list.sort_desc = 1;
	u->model.filter = keep;
	u->model.filter_enums = keep_enums;
	u->model.filter_ctx = u;
	u->model.keep_hay = 1;
}

static void
f_free(struct ui_vstate *vs)
{
	struct fpriv *p = vs->priv;

	if (p != NULL) {
		ui_text_free(&p->detail);
		group_clear(p);
		free(p->g);
		strlist_clear(&p->open);
	}
	free(p);
	vs->priv = NULL;
}

static void
grow_push(struct fpriv *p, size_t row, long ses, int head)
{
	if (p->ng == p->gcap)
		p->g = xreallocarray(p->g, p->gcap = p->gcap ? p->gcap * 2 : 256, sizeof *p->g);
	p->g[p->ng].row = row;
	p->g[p->ng].ses = ses;
	p->g[p->ng++].head = head;
}

/* Grouped: the sessions over the model's rows, and the rows shown (a session's own row, then
 * its findings when it is expanded). The selection stays on its finding, or on the session
 * that now holds it collapsed; a drill-down to a finding expands its session. */
static void
group_rebuild(struct ui *u, struct ui_vstate *vs, unsigned shape)
{
	struct model *m = &u->model;
	struct fpriv *p = vs->priv;
	size_t i, r, k, at = (size_t)-1, sel_row = (size_t)-1;
	const char *sel = vs->list.sel_id;

	group_clear(p);
	p->nses = resdrift_sessions((const struct finding *const *)m->all.v, m->rows, m->nrows,
	    u->conf.session_gap_ms, &p->ses);
	p->ses_id = xcalloc(p->nses + 1, sizeof *p->ses_id);
	p->ses_label = xcalloc(p->nses + 1, sizeof *p->ses_label);
	p->ses_change = xcalloc(p->nses + 1, sizeof *p->ses_change);
	for (i = 0; i < p->nses; i++) {
		const struct resdrift_session *s = &p->ses[i];
		const struct finding *old = NULL;
		struct strbuf sb;
		int w;

		sb_init(&sb);
		for (k = s->first; k < s->first + s->n; k++) {
			const struct finding *f = m->all.v[m->rows[k]];

			if (old == NULL || f->event_time_ms < old->event_time_ms ||
			    (f->event_time_ms == old->event_time_ms && strcmp(f->id, old->id) < 0))
				old = f;
			/* The list is as wide as a screen: a few changes say enough. */
			if (sb.len < 512)
				sb_addf(&sb, "%s%s", sb.len ? "; " : "", f->summary ? f->summary : "");
		}
		p->ses_id[i] = xasprintf("s:%s", old->id);
		p->ses_label[i] = resdrift_session_label(old, s);
		p->ses_change[i] = sb_detach(&sb);
		if ((w = ui_width(p->ses_label[i])) > p->label_w)
			p->label_w = w;
		if ((w = ui_width(p->ses_change[i])) > p->change_w)
			p->change_w = w;
	}
	/* A finding selected (or jumped to) inside a session: open it when jumped to, else
	 * the selection moves to the session's row while it is collapsed. */
	if (sel != NULL && strncmp(sel, "s:", 2) != 0 && !vs->list.follow)
		sel_row = model_row_of(m, sel);
	for (i = 0; i < p->nses && sel_row != (size_t)-1; i++)
		if (sel_row >= p->ses[i].first && sel_row < p->ses[i].first + p->ses[i].n) {
			if (vs->list.jump)
				set_open_group(p, p->ses_id[i], 1);
			else if (!is_open_group(p, p->ses_id[i])) {
				free(vs->list.sel_id);
				vs->list.sel_id = xstrdup(p->ses_id[i]);
				sel = vs->list.sel_id;
			}
			break;
		}
	p->ng = 0;
	for (r = 0, i = 0; r < m->nrows;) {
		if (i < p->nses && p->ses[i].first == r) {
			int open = is_open_group(p, p->ses_id[i]);

			grow_push(p, r, (long)i, 1);
			for (k = r; open && k < r + p->ses[i].n; k++)
				grow_push(p, k, (long)i, 0);
			r += p->ses[i].n;
			i++;
		} else
			grow_push(p, r++, -1, 0);
	}
	/* Where the selection is now (a scan: grouping is for reading, not a million rows). */
	for (i = 0; sel != NULL && !vs->list.follow && i < p->ng; i++) {
		const struct grow *g = &p->g[i];
		const char *id = g->head ? p->ses_id[g->ses] : m->all.v[m->rows[g->row]]->id;

		if (strcmp(id, sel) == 0) {
			at = i;
			break;
		}
	}
	ui_list_settle(&vs->list, p->ng, at, shape);
	if (p->ng > 0) {
		const struct grow *g = &p->g[vs->list.sel < p->ng ? vs->list.sel : 0];

		free(vs->list.sel_id);
		vs->list.sel_id = xstrdup(g->head ? p->ses_id[g->ses] :
		    m->all.v[m->rows[g->row]]->id);
	}
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
	if (p->group) {
		group_rebuild(u, vs, vs->gen * 131u + m->filter_gen * 2u + (m->show_suppressed != 0) +
		    (m->show_resolved != 0) * 4u + 8u);
		return;
	}
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
		model_load(&u->model, f);       /* its change values and tags (compact.h) */
		ui_detail_build(u, f, &p->detail);
		model_unload_all(&u->model);
		p->detail_of = f;
		p->detail_status = (int)f->status;
		p->detail_triage = f->triage;
		p->detail_resolution = f->resolution;
		p->detail_utf8 = u->utf8;
	}
	return &p->detail;
}

/* A session's detail: what its row says, then its findings, oldest first. */
static const struct ui_text *
session_detail(struct ui *u, struct fpriv *p, long ses)
{
	const struct resdrift_session *s = &p->ses[ses];
	size_t k;
	char t[20];

	if (p->gdetail_of == ses && p->gdetail.n > 0)
		return &p->gdetail;
	ui_text_free(&p->gdetail);
	p->gdetail_of = ses;
	ui_text_add(&p->gdetail, TS_HEADER, xstrdup(p->ses_label[ses]));
	ui_text_add(&p->gdetail, TS_DIM, xstrdup(is_open_group(p, p->ses_id[ses]) ?
	    "  Left collapses the session" : "  Enter or Right shows its findings"));
	for (k = s->first + s->n; k-- > s->first;) {
		const struct finding *f = u->model.all.v[u->model.rows[k]];
		char buf[64];

		ui_time_list(f->event_time_ms, t);
		ui_text_add(&p->gdetail, f->status == ST_RESOLVED ? TS_DIM :
		    theme_severity_slot(f->severity), xasprintf("  %s %s %s  %s", t,
		    sev_label(f->severity), res_of(f, buf, sizeof buf), f->summary ? f->summary : ""));
	}
	return &p->gdetail;
}

static void
draw_detail(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	struct finding *f = ui_selected_finding(u);
	const struct grow *g = grow_at(u, vs->list.sel);

	if (h <= 0)
		return;
	if (f == NULL && g != NULL && g->head) {
		u->detail.cursor = -1;
		ui_pane_draw(&u->detail, session_detail(u, vs->priv, g->ses), y, x, h, w, NULL);
		return;
	}
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
	case LINK_EVENT: {
		size_t i;

		/* The event that resolved a finding may be from before this session. */
		for (i = 0; i < u->events.n; i++) {
			const struct ui_event *e = evlog_at(&u->events, i);

			if (e->id != NULL && strcmp(e->id, ln->target) == 0)
				break;
		}
		if (i == u->events.n)
			ui_msg(u, 0, "event %s is not among this session's events", ln->target);
		else
			ui_open_event(u, ln->target);
		return 1;
	}
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

/* Grouped: Enter or Right on a session's row expands it, Left on it or on one of its
 * findings collapses it; = groups and ungroups. 1 when the key was used. */
static int
group_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	struct fpriv *p = vs->priv;
	const struct grow *g = grow_at(u, vs->list.sel);
	const char *id;

	if (a == ACT_GROUP) {
		p->group = !p->group;
		vs->dirty = 1;
		u->detail.scroll = 0;
		ui_save_toggle(u, "group_sessions", p->group);
		ui_msg(u, 0, p->group ? "grouped by actor session (gap %lld min; Enter or Right "
		    "expands, Left collapses)" : "one row per finding", (long long)
		    (u->conf.session_gap_ms / 60000));
		return 1;
	}
	if (!p->group || g == NULL || g->ses < 0)
		return 0;
	id = p->ses_id[g->ses];
	if (g->head && (a == ACT_SHOW || a == ACT_RIGHT)) {
		set_open_group(p, id, !is_open_group(p, id) || a == ACT_RIGHT);
		p->gdetail_of = -1;
		vs->dirty = 1;
		return 1;
	}
	if (a == ACT_LEFT && is_open_group(p, id)) {
		set_open_group(p, id, 0);
		p->gdetail_of = -1;
		ui_list_jump(&vs->list, id);    /* onto the session's row */
		vs->dirty = 1;
		return 1;
	}
	if (g->head && (a == ACT_ACK || a == ACT_SUPPRESS)) {
		ui_msg(u, 0, "a session: Enter shows its findings, to decide on each");
		return 1;
	}
	return 0;
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
	if (!u->focus_detail && !u->full_detail && group_key(u, vs, a))
		return 1;
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
		json_object *o;

		model_load(&u->model, f);
		o = finding_to_json(f);
		model_unload_all(&u->model);

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
	const struct grow *g = grow_at(u, vs->list.sel);

	if (f == NULL && g != NULL && g->head)
		return ui_text_plain(session_detail(u, vs->priv, g->ses));
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

void
ui_findings_group(struct ui *u, int on)
{
	struct fpriv *p = u->vs[V_FINDINGS].priv;

	p->group = on != 0;
	u->vs[V_FINDINGS].dirty = 1;
}

struct finding *
ui_selected_finding(struct ui *u)
{
	struct ui_vstate *vs = &u->vs[V_FINDINGS];

	if (u->model.nrows == 0 || vs->list.sel >= f_count(u, vs))
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
