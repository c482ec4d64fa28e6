/* model: findings in arrival order, the visible rows (filtered, sorted) and the selection. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util.h"

void
model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
}

void
model_free(struct model *m)
{
	finding_list_clear(&m->all);
	free(m->all.v);
	free(m->rows);
	memset(m, 0, sizeof *m);
}

void
model_add(struct model *m, struct finding *f)
{
	finding_list_push(&m->all, f);
}

/* Newest first by time; by severity: worst first, then newest; ties by id for stability. */
static int
row_cmp(const struct finding *x, const struct finding *y, enum model_sort sort)
{
	if (sort == SORT_SEVERITY && x->severity != y->severity)
		return x->severity > y->severity ? -1 : 1;
	if (x->event_time_ms != y->event_time_ms)
		return x->event_time_ms > y->event_time_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* qsort has no context argument: sort a small struct that carries it. */
struct sort_item {
	const struct finding *f;
	size_t idx;
	enum model_sort sort;
};

static int
item_cmp(const void *a, const void *b)
{
	const struct sort_item *x = a, *y = b;

	return row_cmp(x->f, y->f, x->sort);
}

void
model_rebuild(struct model *m)
{
	struct sort_item *items;
	size_t i, n = 0;

	memset(m->count, 0, sizeof m->count);
	if (m->rows_cap < m->all.n) {
		m->rows_cap = m->all.n;
		m->rows = xreallocarray(m->rows, m->rows_cap, sizeof *m->rows);
	}
	items = xreallocarray(NULL, m->all.n + 1, sizeof *items);
	for (i = 0; i < m->all.n; i++) {
		struct finding *f = m->all.v[i];

		m->count[f->status <= ST_SUPPRESSED ? f->status : 0][f->severity < SEV__COUNT ?
		    f->severity : 0]++;
		if (f->status == ST_SUPPRESSED && !m->show_suppressed)
			continue;
		if (m->filter != NULL && !m->filter(m->filter_ctx, f))
			continue;
		items[n].f = f;
		items[n].idx = i;
		items[n].sort = m->sort;
		n++;
	}
	if (n > 1)
		qsort(items, n, sizeof *items, item_cmp);
	m->nrows = n;
	for (i = 0; i < n; i++)
		m->rows[i] = items[i].idx;
	free(items);

	/* Keep the selection on the same finding; if it is gone, stay at the same row. */
	if (m->sel_id[0] != '\0') {
		for (i = 0; i < n; i++)
			if (strcmp(m->all.v[m->rows[i]]->id, m->sel_id) == 0) {
				m->sel = i;
				return;
			}
	}
	if (n == 0) {
		m->sel = 0;
		m->sel_id[0] = '\0';
		return;
	}
	if (m->sel >= n)
		m->sel = n - 1;
	memcpy(m->sel_id, m->all.v[m->rows[m->sel]]->id, sizeof m->sel_id);
}

struct finding *
model_selected(const struct model *m)
{
	if (m->nrows == 0 || m->sel >= m->nrows)
		return NULL;
	return m->all.v[m->rows[m->sel]];
}

void
model_select_row(struct model *m, size_t row)
{
	if (m->nrows == 0)
		return;
	m->sel = row >= m->nrows ? m->nrows - 1 : row;
	memcpy(m->sel_id, m->all.v[m->rows[m->sel]]->id, sizeof m->sel_id);
}

void
model_move(struct model *m, long delta)
{
	long r;

	if (m->nrows == 0)
		return;
	r = (long)m->sel + delta;
	if (r < 0)
		r = 0;
	model_select_row(m, (size_t)r);
}

void
model_scroll_into_view(struct model *m, size_t height)
{
	if (height == 0)
		return;
	if (m->sel < m->top)
		m->top = m->sel;
	else if (m->sel >= m->top + height)
		m->top = m->sel - height + 1;
	if (m->nrows <= height)
		m->top = 0;
	else if (m->top > m->nrows - height)
		m->top = m->nrows - height;
}
