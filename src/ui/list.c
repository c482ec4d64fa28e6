/* list: the selection and scrolling shared by the dashboard's lists. */
#include "config.h"

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
