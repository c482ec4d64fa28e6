/* view_findings: the findings list: status, severity, time, kind, address (or type and id),
 * summary, actor; coloured by severity. */
#include "config.h"

#include <string.h>
#include <curses.h>

#include "finding.h"
#include "ui_int.h"

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
	return s == ST_ACKNOWLEDGED ? "A" : s == ST_SUPPRESSED ? "S" : " ";
}

/* Column widths for a screen width: address, summary, actor share what the fixed ones leave. */
static void
widths(int w, int *aw, int *sw, int *cw)
{
	int rest = w - 23;

	if (rest < 12)
		rest = 12;
	*aw = rest * 45 / 100;
	*cw = rest * 20 / 100;
	*sw = rest - *aw - *cw - 2;
	if (*sw < 1)
		*sw = 1;
}

static void
draw_row(const struct finding *f, int y, int x, int w, int selected)
{
	int aw, sw, cw, cx = x, base, sev;
	char tbuf[16];
	char *what;

	widths(w, &aw, &sw, &cw);
	base = selected ? theme_attr(TS_SELECTION) : theme_attr(TS_NORMAL);
	sev = selected ? base | (int)A_BOLD : theme_attr(theme_severity_slot(f->severity));
	ui_fill(y, x, w, base);
	cx += ui_put(y, cx, 2, status_mark(f->status), base | A_BOLD) + 1;
	cx = x + 2;
	ui_put(y, cx, 4, sev_label(f->severity), sev);
	cx += 5;
	ui_time_short(f->event_time_ms, tbuf);
	ui_put(y, cx, 8, tbuf, base);
	cx += 9;
	ui_put(y, cx, 6, kind_label(f->kind), base);
	cx += 7;
	if (f->address != NULL)
		ui_put(y, cx, aw, f->address, base);    /* the common case: no copy */
	else {
		what = xasprintf("%s %s", f->type ? f->type : "?", f->resource_id ? f->resource_id : "?");
		ui_put(y, cx, aw, what, base);
		free(what);
	}
	cx += aw + 1;
	ui_put(y, cx, sw, f->summary ? f->summary : "", base);
	cx += sw + 1;
	if (cx < x + w)
		ui_put(y, cx, x + w - cx, f->actor.name ? f->actor.name :
		    f->actor.principal ? f->actor.principal : "?", base);
}

static void
findings_draw(struct ui *u, int y, int x, int h, int w)
{
	struct model *m = &u->model;
	int aw, sw, cw, i;

	if (h < 2)
		return;
	widths(w, &aw, &sw, &cw);
	ui_fill(y, x, w, theme_attr(TS_HEADER));
	ui_put(y, x + 2, 4, "SEV", theme_attr(TS_HEADER));
	ui_put(y, x + 7, 8, "TIME", theme_attr(TS_HEADER));
	ui_put(y, x + 16, 6, "KIND", theme_attr(TS_HEADER));
	ui_put(y, x + 23, aw, "RESOURCE", theme_attr(TS_HEADER));
	ui_put(y, x + 24 + aw, sw, "CHANGE", theme_attr(TS_HEADER));
	if (x + 25 + aw + sw < x + w)
		ui_put(y, x + 25 + aw + sw, w - (25 + aw + sw), "ACTOR", theme_attr(TS_HEADER));
	y++;
	h--;
	u->list_h = h;
	if (m->nrows == 0) {
		ui_put(y, x + 2, w - 2, m->all.n == 0 ? "No findings yet: waiting for events..." :
		    "No findings to show (S shows suppressed ones).", theme_attr(TS_DIM));
		return;
	}
	model_scroll_into_view(m, (size_t)h);
	for (i = 0; i < h && m->top + (size_t)i < m->nrows; i++) {
		size_t r = m->top + (size_t)i;

		draw_row(m->all.v[m->rows[r]], y + i, x, w, r == m->sel && !u->focus_detail ? 1 :
		    r == m->sel ? 2 : 0);
	}
}

static int
findings_key(struct ui *u, int action)
{
	(void)u;
	(void)action;
	return 0;
}

const struct ui_view view_findings = { "findings", findings_draw, findings_key };
