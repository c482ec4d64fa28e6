/* list: the selection and scrolling shared by the dashboard's lists, and the scrolling
 * text pane (detail, sources). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "ui_int.h"

void
ui_list_fit(struct ui_list *l, size_t n, int h)
{
	size_t height = h > 0 ? (size_t)h : 1;

	if (n == 0) {
		l->sel = l->top = 0;
		return;
	}
	if (l->sel >= n)
		l->sel = n - 1;
	if (l->sel < l->top)
		l->top = l->sel;
	else if (l->sel >= l->top + height)
		l->top = l->sel - height + 1;
	if (n <= height)
		l->top = 0;
	else if (l->top > n - height)
		l->top = n - height;
}

int
ui_list_key(struct ui_list *l, size_t n, int h, int action)
{
	size_t page = h > 1 ? (size_t)h - 1 : 1;

	switch (action) {
	case ACT_DOWN: if (l->sel + 1 < n) l->sel++; break;
	case ACT_UP: if (l->sel > 0) l->sel--; break;
	case ACT_PAGE_DOWN: l->sel = l->sel + page < n ? l->sel + page : (n ? n - 1 : 0); break;
	case ACT_PAGE_UP: l->sel = l->sel > page ? l->sel - page : 0; break;
	case ACT_TOP: l->sel = 0; break;
	case ACT_BOTTOM: l->sel = n ? n - 1 : 0; break;
	default: return 0;
	}
	ui_list_fit(l, n, h);
	return 1;
}

void
ui_text_add(struct ui_text *t, enum theme_slot slot, char *text)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = xreallocarray(t->v, t->cap, sizeof *t->v);
	}
	t->v[t->n].slot = slot;
	t->v[t->n].text = text;
	t->n++;
}

void
ui_text_draw(const struct ui_text *t, int *scroll, int y, int x, int h, int w)
{
	size_t i;
	int row;

	if (*scroll > (int)t->n - h)
		*scroll = (int)t->n - h;
	if (*scroll < 0)
		*scroll = 0;
	for (i = (size_t)*scroll, row = 0; i < t->n && row < h; i++, row++)
		ui_put(y + row, x + 1, w - 1, t->v[i].text, theme_attr(t->v[i].slot));
}

void
ui_text_free(struct ui_text *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	memset(t, 0, sizeof *t);
}

int
ui_text_key(int *scroll, int lines, int h, int action)
{
	int page = h > 1 ? h - 1 : 1;

	switch (action) {
	case ACT_DOWN: (*scroll)++; return 1;
	case ACT_UP: (*scroll)--; return 1;
	case ACT_PAGE_DOWN: *scroll += page; return 1;
	case ACT_PAGE_UP: *scroll -= page; return 1;
	case ACT_TOP: *scroll = 0; return 1;
	case ACT_BOTTOM: *scroll = lines; return 1;     /* the draw clamps it */
	default: return 0;
	}
}
