/* list: the widgets every view shares. The list: columns sized to their content (never wider
 * than the widest value, the rest of the width to the flexible ones), cells cut with an
 * ellipsis, the filter's words highlighted, sort by any column, columns hidden and ordered,
 * a position indicator, the selection kept by id with the rows staying put on screen while
 * new ones arrive above ("▲ N new"). The text pane: lines wrapped to the width, scrolled,
 * with a cursor line whose link Enter opens. Main thread only. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include <curses.h>

#include "keys.h"
#include "ui_int.h"

/* ---- the list ---- */

static void
lower_ascii(char *s)
{
	for (; s != NULL && *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

void
ui_list_init(struct ui_list *l, const struct ui_view *v)
{
	int i;

	memset(l, 0, sizeof *l);
	l->follow = 1;
	l->sort_col = 0;
	l->sort_desc = v->ncols > 0 && (v->cols[0].flags & UI_COL_DESC) != 0;
	for (i = 0; i < v->ncols && i < UI_MAXCOLS; i++)
		if (!(v->cols[i].flags & UI_COL_HIDDEN))
			l->order[l->norder++] = i;
}

void
ui_list_free(struct ui_list *l)
{
	free(l->sel_id);
	l->sel_id = NULL;
}

static const char *
id_at(struct ui *u, struct ui_vstate *vs, size_t row, char *buf, size_t len)
{
	return vs->v->row_id != NULL ? vs->v->row_id(u, vs, row, buf, len) : NULL;
}

static void
remember(struct ui *u, struct ui_vstate *vs)
{
	char buf[128];
	const char *id;
	size_t n = vs->v->count(u, vs);

	free(vs->list.sel_id);
	vs->list.sel_id = NULL;
	if (n > 0 && vs->list.sel < n && (id = id_at(u, vs, vs->list.sel, buf, sizeof buf)) != NULL)
		vs->list.sel_id = xstrdup(id);
}

size_t
ui_list_find(struct ui *u, struct ui_vstate *vs)
{
	char buf[128];
	const char *id;
	size_t n = vs->v->count(u, vs), i;

	if (vs->list.sel_id == NULL)
		return (size_t)-1;
	/* Most often it is where it was, or a few rows further down. */
	for (i = vs->list.sel; i < n && i < vs->list.sel + 64; i++)
		if ((id = id_at(u, vs, i, buf, sizeof buf)) != NULL && strcmp(id, vs->list.sel_id) == 0)
			return i;
	for (i = 0; i < n; i++)
		if ((id = id_at(u, vs, i, buf, sizeof buf)) != NULL && strcmp(id, vs->list.sel_id) == 0)
			return i;
	return (size_t)-1;
}

static void
fit(struct ui_list *l, size_t n)
{
	size_t h = l->h > 0 ? (size_t)l->h : 1;

	if (n == 0) {
		l->sel = l->top = 0;
		return;
	}
	if (l->sel >= n)
		l->sel = n - 1;
	if (l->sel < l->top)
		l->top = l->sel;
	else if (l->sel >= l->top + h)
		l->top = l->sel - h + 1;
	if (n <= h)
		l->top = 0;
	else if (l->top > n - h)
		l->top = n - h;
	if (l->top == 0)
		l->nnew = 0;            /* everything above has been seen */
}

void
ui_list_settle(struct ui_list *l, size_t n, size_t at, unsigned shape)
{
	int reshaped = shape != l->shape, jumped = l->jump;

	l->shape = shape;
	l->jump = 0;
	if (reshaped || jumped)
		l->nnew = 0;
	if (n == 0) {
		l->sel = l->top = 0;
		l->nnew = 0;
		return;
	}
	if (l->follow) {
		l->sel = 0;
		l->top = 0;
		l->nnew = 0;
	} else if (at != (size_t)-1 && jumped) {
		l->sel = at;            /* another item: shown where it is (fit scrolls to it) */
	} else if (at != (size_t)-1) {
		/* The same item: the rows that came above it push the view down with it. */
		long delta = (long)at - (long)l->sel;
		long top = (long)l->top + delta;

		if (delta > 0 && top > 0 && !reshaped)
			l->nnew += (size_t)delta;
		l->sel = at;
		l->top = top > 0 ? (size_t)top : 0;
	}
	fit(l, n);
}

void
ui_list_jump(struct ui_list *l, const char *id)
{
	free(l->sel_id);
	l->sel_id = xstrdup(id);
	l->follow = id == NULL;
	l->jump = id != NULL;
}

void
ui_list_rebuilt(struct ui *u, struct ui_vstate *vs)
{
	size_t n = vs->v->count(u, vs);
	size_t at = vs->list.follow ? 0 : ui_list_find(u, vs);

	ui_list_settle(&vs->list, n, at, vs->gen);
	remember(u, vs);
}

void
ui_list_position(const struct ui_list *l, size_t n, char *out, size_t len)
{
	if (n == 0)
		snprintf(out, len, "0/0");
	else if (l->nnew > 0)
		snprintf(out, len, "%s %zu new  %zu/%zu", ui_glyph(G_UP), l->nnew, l->sel + 1, n);
	else
		snprintf(out, len, "%zu/%zu", l->sel + 1, n);
}

/* The sort column when it is not on screen (hidden by :columns, or cut off by the width), as
 * :sort takes it with its direction ("account▼"), so the header can still say what orders the
 * list; 0 (and out untouched) when its own header shows the mark. */
int
ui_list_sort_offscreen(const struct ui_vstate *vs, char *out, size_t len)
{
	const struct ui_list *l = &vs->list;
	int i;

	if (vs->v->ncols == 0)
		return 0;
	for (i = 0; i < l->norder; i++)
		if (l->order[i] == l->sort_col && l->colw[l->sort_col] > 0)
			return 0;
	snprintf(out, len, "%s", vs->v->cols[l->sort_col].name);
	lower_ascii(out);
	snprintf(out + strlen(out), len - strlen(out), "%s", ui_glyph(l->sort_desc ? G_DOWN : G_UP));
	return 1;
}

void
ui_list_select(struct ui *u, struct ui_vstate *vs, size_t row)
{
	size_t n = vs->v->count(u, vs);

	if (n == 0)
		return;
	vs->list.sel = row < n ? row : n - 1;
	vs->list.follow = 0;
	fit(&vs->list, n);
	remember(u, vs);
}

int
ui_list_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	struct ui_list *l = &vs->list;
	size_t n = vs->v->count(u, vs), page = l->h > 1 ? (size_t)l->h - 1 : 1;

	switch (a) {
	case ACT_DOWN: ui_list_select(u, vs, l->sel + 1 < n ? l->sel + 1 : l->sel); break;
	case ACT_UP: ui_list_select(u, vs, l->sel > 0 ? l->sel - 1 : 0); break;
	case ACT_PAGE_DOWN:
		ui_list_select(u, vs, l->sel + page < n ? l->sel + page : (n ? n - 1 : 0));
		break;
	case ACT_PAGE_UP: ui_list_select(u, vs, l->sel > page ? l->sel - page : 0); break;
	case ACT_TOP:
		ui_list_select(u, vs, 0);
		l->follow = 1;          /* back at the newest: follow it again */
		l->nnew = 0;
		break;
	case ACT_BOTTOM: ui_list_select(u, vs, n ? n - 1 : 0); break;
	default: return 0;
	}
	return 1;
}

/* Column widths for the width w: each shown column gets its content's width (within min and
 * max), then the flexible ones share what is left, and when it does not fit the flexible
 * ones give way first. */
static void
layout(struct ui *u, struct ui_vstate *vs, int w)
{
	const struct ui_view *v = vs->v;
	struct ui_list *l = &vs->list;
	int want[UI_MAXCOLS], total = 0, flexsum = 0, i, c, x, spare;

	for (i = 0; i < UI_MAXCOLS; i++)
		l->colw[i] = -1;
	for (i = 0; i < l->norder; i++) {
		c = l->order[i];
		if ((v->cols[c].flags & UI_COL_WIDE) && w < UI_WIDE_COLS) {
			want[i] = 0;    /* left out: see below */
			continue;
		}
		want[i] = v->content_width != NULL ? v->content_width(u, vs, c) : v->cols[c].min;
		if (want[i] < ui_width(v->cols[c].name) + 1)
			want[i] = ui_width(v->cols[c].name) + 1;   /* room for the sort mark */
		if (want[i] < v->cols[c].min)
			want[i] = v->cols[c].min;
		if (v->cols[c].max > 0 && want[i] > v->cols[c].max)
			want[i] = v->cols[c].max;
		if (v->cols[c].share > 0 && want[i] > w * v->cols[c].share / 100)
			want[i] = w * v->cols[c].share / 100 > v->cols[c].min ?
			    w * v->cols[c].share / 100 : v->cols[c].min;
		total += want[i] + (total > 0);
		flexsum += v->cols[c].flex;
	}
	spare = w - 1 - total;          /* one column of margin on the left */
	if (spare > 0 && flexsum > 0) {
		/* Room to spare goes to the flexible columns that are cut, then to the last. */
		for (i = 0; i < l->norder && spare > 0; i++) {
			c = l->order[i];
			if (v->cols[c].flex > 0 && v->content_width != NULL && want[i] > 0) {
				int full = v->content_width(u, vs, c), extra;

				if (full > want[i]) {
					extra = full - want[i] < spare ? full - want[i] : spare;
					want[i] += extra;
					spare -= extra;
				}
			}
		}
	} else if (spare < 0) {
		/* Too wide: the flexible columns give way, always the one widest for its flex
		 * (width x flex), so the widest shrink first and then shrink together, each down to
		 * its minimum. */
		int need = -spare, f;

		while (need > 0) {
			int best = -1;
			long bw = 0;

			for (i = 0; i < l->norder; i++) {
				c = l->order[i];
				if (v->cols[c].flex > 0 && want[i] > v->cols[c].min &&
				    (long)want[i] * v->cols[c].flex > bw) {
					bw = (long)want[i] * v->cols[c].flex;
					best = i;
				}
			}
			if (best < 0)
				break;
			want[best]--;
			need--;
		}
		/* Then the others to their minimum, from the right; then anything to 3. */
		for (f = 0; f < 2; f++)
			for (i = l->norder - 1; i >= 0 && need > 0; i--) {
				int give = want[i] == 0 ? 0 :
				    want[i] - (f == 0 ? v->cols[l->order[i]].min : 3);

				if (give > need)
					give = need;
				if (give > 0) {
					want[i] -= give;
					need -= give;
				}
			}
	}
	x = 1;
	for (i = 0; i < l->norder; i++) {
		c = l->order[i];
		if (x >= w || want[i] == 0) {
			l->colw[c] = -1;
			continue;
		}
		l->colx[c] = x;
		l->colw[c] = want[i] < w - x ? want[i] : w - x;
		x += l->colw[c] + 1;
	}
}

static void
put_cell(int y, int x, int w, const char *s, int attr, int right, const struct filter *hl)
{
	int sw;

	if (w <= 0 || s == NULL)
		return;
	if (right && (sw = ui_width(s)) < w)
		x += w - sw;
	ui_put_hl(y, x, w, s, attr, hl);
}

void
ui_list_draw(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	const struct ui_view *v = vs->v;
	struct ui_list *l = &vs->list;
	size_t n, i;
	int hdr = theme_attr(TS_HEADER), c, k;
	char buf[256];

	if (h < 2 || w < 4)
		return;
	n = v->count(u, vs);
	l->h = h - 1;
	l->y = y + 1;
	l->x = x;
	fit(l, n);
	layout(u, vs, w);
	/* The header: column names, the sort column marked, and where we are. */
	ui_fill(y, x, w, hdr);
	for (k = 0; k < l->norder; k++) {
		c = l->order[k];
		if (l->colw[c] <= 0)
			continue;
		snprintf(buf, sizeof buf, "%s%s", v->cols[c].name, c != l->sort_col ? "" :
		    ui_glyph(l->sort_desc ? G_DOWN : G_UP));
		put_cell(y, x + l->colx[c], l->colw[c], buf, hdr | (c == l->sort_col ? A_BOLD : 0),
		    (v->cols[c].flags & UI_COL_RIGHT) != 0, NULL);
	}
	for (i = 0; i < (size_t)l->h && l->top + i < n; i++) {
		size_t r = l->top + i;
		int sel = r == l->sel, base;

		base = theme_attr(sel ? TS_SELECTION : TS_NORMAL);
		ui_fill(y + 1 + (int)i, x, w, base);
		for (k = 0; k < l->norder; k++) {
			const char *s;
			int attr = base, a2;

			c = l->order[k];
			if (l->colw[c] <= 0)
				continue;
			s = v->cell(u, vs, r, c, buf, sizeof buf);
			/* A cell's own colour (severity) shows on the selected row too. */
			if (v->cell_attr != NULL && (a2 = v->cell_attr(u, vs, r, c)) != 0)
				attr = sel ? (int)(a2 | A_REVERSE) : a2;
			put_cell(y + 1 + (int)i, x + l->colx[c], l->colw[c], s, attr,
			    (v->cols[c].flags & UI_COL_RIGHT) != 0, vs->filter);
		}
	}
}

int
ui_list_mouse(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel)
{
	struct ui_list *l = &vs->list;
	size_t n = vs->v->count(u, vs);

	(void)x;
	if (wheel != 0) {
		size_t r = wheel < 0 ? (l->sel > 3 ? l->sel - 3 : 0) : l->sel + 3;

		ui_list_select(u, vs, r < n ? r : (n ? n - 1 : 0));
		return 1;
	}
	if (y < l->y || y >= l->y + l->h)
		return 0;
	if (l->top + (size_t)(y - l->y) < n)
		ui_list_select(u, vs, l->top + (size_t)(y - l->y));
	return 1;
}

int
ui_list_column(const struct ui_view *v, const char *name)
{
	int i, found = -1;
	size_t len = strlen(name);

	for (i = 0; i < v->ncols; i++)
		if (strcasecmp(v->cols[i].name, name) == 0)
			return i;
	for (i = 0; i < v->ncols; i++)
		if (len > 0 && strncasecmp(v->cols[i].name, name, len) == 0) {
			if (found >= 0)
				return -1;
			found = i;
		}
	return found;
}

/* One wording for a column name that is not there (:sort, :columns): with the names. */
static int
no_column(const struct ui_view *v, const char *name, char **err)
{
	struct strbuf sb;
	size_t len = strlen(name);
	int i, several = 0;

	sb_init(&sb);
	for (i = 0; i < v->ncols; i++) {
		sb_addf(&sb, "%s%s", i ? " " : "", v->cols[i].name);
		several += len > 0 && strncasecmp(v->cols[i].name, name, len) == 0;
	}
	lower_ascii(sb.buf);
	tf_err(err, "%s column '%s' in %s (columns: %s)", several > 1 ? "more than one" : "no",
	    name, v->name, sb.buf);
	sb_free(&sb);
	return -1;
}

static void
resort(struct ui *u, struct ui_vstate *vs)
{
	const struct ui_view *v = vs->v;

	vs->dirty = 1;
	vs->gen++;
	ui_msg(u, 0, "sorted by %s, %s", v->cols[vs->list.sort_col].name,
	    vs->list.sort_desc ? "descending" : "ascending");
}

int
ui_list_sort_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	struct ui_list *l = &vs->list;
	int k, at = 0;

	if (vs->v->ncols == 0 || l->norder == 0)
		return 0;
	for (k = 0; k < l->norder; k++)
		if (l->order[k] == l->sort_col)
			at = k;
	switch (a) {
	case ACT_SORT:
		/* o: the next column; on the last column, back to the first. Reversing is :sort
		 * COL desc|asc, or o on the same column through < >. */
		at = (at + 1) % l->norder;
		l->sort_col = l->order[at];
		l->sort_desc = (vs->v->cols[l->sort_col].flags & UI_COL_DESC) != 0;
		break;
	case ACT_SORT_PREV:
	case ACT_SORT_NEXT:
		at = a == ACT_SORT_PREV ? (at + l->norder - 1) % l->norder : (at + 1) % l->norder;
		l->sort_col = l->order[at];
		l->sort_desc = (vs->v->cols[l->sort_col].flags & UI_COL_DESC) != 0;
		break;
	default:
		return 0;
	}
	resort(u, vs);
	return 1;
}

int
ui_list_sort_by(struct ui *u, struct ui_vstate *vs, const char *name, int desc, char **err)
{
	int c;

	if (vs->v->ncols == 0)
		return tf_err(err, "the %s view has no columns to sort", vs->v->name);
	if ((c = ui_list_column(vs->v, name)) < 0)
		return no_column(vs->v, name, err);
	vs->list.sort_col = c;
	vs->list.sort_desc = desc < 0 ? (vs->v->cols[c].flags & UI_COL_DESC) != 0 : desc;
	resort(u, vs);
	return 0;
}

int
ui_list_set_columns(struct ui *u, struct ui_vstate *vs, const char *spec, char **err)
{
	const struct ui_view *v = vs->v;
	struct ui_list *l = &vs->list;
	int order[UI_MAXCOLS], n = 0, i, c, plain = 0, delta = 0;
	char *copy = xstrdup(spec), *tok, *save = NULL;

	(void)u;
	if (v->ncols == 0) {
		free(copy);
		return tf_err(err, "the %s view has no columns", v->name);
	}
	memcpy(order, l->order, sizeof order);
	n = l->norder;
	for (tok = strtok_r(copy, " ,", &save); tok != NULL; tok = strtok_r(NULL, " ,", &save)) {
		int op = *tok == '-' ? -1 : *tok == '+' ? 1 : 0;
		const char *name = op ? tok + 1 : tok;

		if (strcmp(name, "default") == 0 && op == 0) {
			struct ui_list fresh;

			ui_list_init(&fresh, v);
			memcpy(order, fresh.order, sizeof order);
			n = fresh.norder;
			continue;
		}
		if ((c = ui_list_column(v, name)) < 0) {
			no_column(v, name, err);
			free(copy);
			return -1;
		}
		if (op == 0 && !plain) {
			plain = 1;
			n = 0;          /* a plain list: exactly these, in this order */
		}
		if (op != 0)
			delta = 1;
		for (i = 0; i < n; i++)
			if (order[i] == c)
				break;
		if (op < 0) {
			if (i < n) {
				memmove(order + i, order + i + 1, (size_t)(n - i - 1) * sizeof *order);
				n--;
			}
		} else if (i == n && n < UI_MAXCOLS)
			order[n++] = c;
	}
	free(copy);
	(void)delta;
	if (n == 0)
		return tf_err(err, "at least one column must stay");
	memcpy(l->order, order, sizeof order);
	l->norder = n;
	for (i = 0; i < n; i++)
		if (order[i] == l->sort_col)
			break;
	if (i == n) {
		l->sort_col = order[0];
		l->sort_desc = (v->cols[order[0]].flags & UI_COL_DESC) != 0;
		vs->dirty = 1;
		vs->gen++;
	}
	return 0;
}

char *
ui_list_columns_spec(const struct ui_vstate *vs)
{
	struct strbuf sb;
	int i;

	sb_init(&sb);
	for (i = 0; i < vs->list.norder; i++)
		sb_addf(&sb, "%s%s", i ? "," : "", vs->v->cols[vs->list.order[i]].name);
	lower_ascii(sb.buf);
	return sb_detach(&sb);
}

void
ui_sort_rows(size_t *rows, size_t n, int (*cmp)(const void *ctx, size_t a, size_t b),
    const void *ctx)
{
	size_t *tmp, width, i, *a = rows, *b, *t;

	if (n < 2)
		return;
	tmp = xreallocarray(NULL, n, sizeof *tmp);
	b = tmp;
	for (width = 1; width < n; width *= 2) {
		for (i = 0; i < n; i += 2 * width) {
			size_t mid = i + width < n ? i + width : n;
			size_t hi = i + 2 * width < n ? i + 2 * width : n, p = i, q = mid, k = i;

			while (p < mid && q < hi)
				b[k++] = cmp(ctx, a[q], a[p]) < 0 ? a[q++] : a[p++];
			while (p < mid)
				b[k++] = a[p++];
			while (q < hi)
				b[k++] = a[q++];
		}
		t = a;
		a = b;
		b = t;
	}
	if (a != rows)
		memcpy(rows, a, n * sizeof *rows);
	free(tmp);
}

/* ---- the text pane ---- */

void
ui_text_link(struct ui_text *t, enum theme_slot slot, char *text, enum ui_link link,
    const char *target)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = xreallocarray(t->v, t->cap, sizeof *t->v);
	}
	t->v[t->n].slot = slot;
	t->v[t->n].text = text;
	t->v[t->n].indent = -1;
	t->v[t->n].link = link;
	t->v[t->n].target = link != LINK_NONE ? xstrdup(target) : NULL;
	t->n++;
}

void
ui_text_add(struct ui_text *t, enum theme_slot slot, char *text)
{
	ui_text_link(t, slot, text, LINK_NONE, NULL);
}

void
ui_text_free(struct ui_text *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].text);
		free(t->v[i].target);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

char *
ui_text_plain(const struct ui_text *t)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; i < t->n; i++)
		sb_addf(&sb, "%s\n", t->v[i].text);
	return sb_detach(&sb);
}

/* Where a line wraps: byte offsets of each row's start in s, for width w; continuation rows
 * are drawn `indent` columns in. Breaks at a blank when one is in the second half of the
 * row, else anywhere. Returns the number of rows (at least 1). */
static size_t
wrap(const char *s, int w, int indent, size_t *starts, size_t max)
{
	size_t nrows = 0, off = 0, len = strlen(s);
	mbstate_t st;

	if (w < 2)
		w = 2;
	if (indent > w / 2)
		indent = w / 2;
	while (nrows < max) {
		int room = nrows == 0 ? w : w - indent, used = 0;
		size_t p = off, last_blank = 0;

		starts[nrows++] = off;
		memset(&st, 0, sizeof st);
		while (p < len) {
			wchar_t wc;
			int cw;
			size_t k = ui_char(s + p, &st, &wc, &cw);

			if (used + cw > room)
				break;
			if (wc == L' ' && p > off)
				last_blank = p;
			used += cw;
			p += k;
		}
		if (p >= len)
			break;
		/* Break after a blank in the row's second half, so words stay whole. */
		if (last_blank > off && (int)(last_blank - off) > room / 2)
			p = last_blank + 1;
		off = p;
	}
	return nrows;
}

/* An automatic hanging indent: under the value of "  key: value" lines. The key is a label
 * of words ("user agent", "event id"); anything else (a sentence, a time) gets lead + 2. */
static int
auto_indent(const char *s)
{
	int lead = (int)strspn(s, " ");
	const char *colon = strstr(s + lead, ": ");

	if (colon != NULL && colon > s + lead && colon - s < 28 &&
	    strspn(s + lead, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-") >=
	    (size_t)(colon - s - lead))
		return (int)(colon - s) + 2;
	return lead + 2;
}

#define MAX_WRAP 64

void
ui_pane_draw(struct ui_pane *p, const struct ui_text *t, int y, int x, int h, int w,
    const struct filter *words)
{
	size_t i, starts[MAX_WRAP], nr, k;
	int row = 0, total = 0, cw = w - 1;

	p->h = h;
	p->y = y;
	if (h <= 0 || w <= 2)
		return;
	/* Count the wrapped rows first: the scroll is clamped to them, and the cursor kept in
	 * view. */
	for (i = 0; i < t->n; i++) {
		int ind = t->v[i].indent >= 0 ? t->v[i].indent : auto_indent(t->v[i].text);

		total += (int)wrap(t->v[i].text, cw, ind, starts, MAX_WRAP);
	}
	if ((size_t)total > p->row_cap) {
		p->row_cap = (size_t)total + 64;
		p->row_line = xreallocarray(p->row_line, p->row_cap, sizeof *p->row_line);
	}
	total = 0;
	for (i = 0; i < t->n; i++) {
		int ind = t->v[i].indent >= 0 ? t->v[i].indent : auto_indent(t->v[i].text);

		nr = wrap(t->v[i].text, cw, ind, starts, MAX_WRAP);
		for (k = 0; k < nr; k++)
			p->row_line[total++] = (int)i;
	}
	p->rows = total;
	if (p->cursor >= (int)t->n)
		p->cursor = (int)t->n - 1;
	if (p->cursor >= 0) {
		int first = -1, last = -1;

		for (row = 0; row < total; row++)
			if (p->row_line[row] == p->cursor) {
				if (first < 0)
					first = row;
				last = row;
			}
		if (first >= 0 && first < p->scroll)
			p->scroll = first;
		else if (last >= p->scroll + h)
			p->scroll = last - h + 1;
	}
	if (p->scroll > total - h)
		p->scroll = total - h;
	if (p->scroll < 0)
		p->scroll = 0;
	row = 0;
	for (i = 0; i < t->n && row < p->scroll + h; i++) {
		const struct ui_text_line *ln = &t->v[i];
		int ind = ln->indent >= 0 ? ln->indent : auto_indent(ln->text);
		int attr = theme_attr(ln->slot);

		nr = wrap(ln->text, cw, ind, starts, MAX_WRAP);
		if ((int)i == p->cursor)
			attr = theme_attr(TS_SELECTION);
		else if (ln->link != LINK_NONE)
			attr |= A_UNDERLINE;
		for (k = 0; k < nr; k++, row++) {
			size_t end = k + 1 < nr ? starts[k + 1] : strlen(ln->text);
			char *piece;
			int cx = x + 1 + (k > 0 ? (ind > cw / 2 ? cw / 2 : ind) : 0);

			if (row < p->scroll || row >= p->scroll + h)
				continue;
			piece = xstrndup(ln->text + starts[k], end - starts[k]);
			if ((int)i == p->cursor)
				ui_fill(y + row - p->scroll, x, w, attr);
			ui_put_hl(y + row - p->scroll, cx, x + w - cx, piece, attr, words);
			free(piece);
		}
	}
	/* More below: say so in the last column. */
	if (p->scroll + h < total)
		ui_put(y + h - 1, x + w - 1, 1, ui_glyph(G_DOWN), theme_attr(TS_DIM) | A_BOLD);
	if (p->scroll > 0)
		ui_put(y, x + w - 1, 1, ui_glyph(G_UP), theme_attr(TS_DIM) | A_BOLD);
}

int
ui_pane_key(struct ui_pane *p, const struct ui_text *t, enum ui_action a)
{
	int page = p->h > 1 ? p->h - 1 : 1, n = (int)t->n;

	if (p->cursor >= 0) {
		/* A cursor line: j/k move it (the draw scrolls to it); pages move it too. */
		switch (a) {
		case ACT_DOWN: if (p->cursor + 1 < n) p->cursor++; return 1;
		case ACT_UP: if (p->cursor > 0) p->cursor--; return 1;
		case ACT_PAGE_DOWN:
			p->cursor = p->cursor + page < n ? p->cursor + page : n - 1;
			p->scroll += page;
			return 1;
		case ACT_PAGE_UP:
			p->cursor = p->cursor > page ? p->cursor - page : 0;
			p->scroll -= page;
			return 1;
		case ACT_TOP: p->cursor = 0; p->scroll = 0; return 1;
		case ACT_BOTTOM: p->cursor = n > 0 ? n - 1 : 0; p->scroll = p->rows; return 1;
		default: return 0;
		}
	}
	switch (a) {
	case ACT_DOWN: p->scroll++; return 1;
	case ACT_UP: p->scroll--; return 1;
	case ACT_PAGE_DOWN: p->scroll += page; return 1;
	case ACT_PAGE_UP: p->scroll -= page; return 1;
	case ACT_TOP: p->scroll = 0; return 1;
	/* The draw clamps it: before the pane's first draw its rows are not known yet. */
	case ACT_BOTTOM: p->scroll = INT_MAX / 2; return 1;
	default: return 0;
	}
}

void
ui_pane_free(struct ui_pane *p)
{
	free(p->row_line);
	memset(p, 0, sizeof *p);
	p->cursor = -1;
}
