/* model: findings in arrival order, the visible rows (filtered, sorted) and the selection.
 * A private index keeps every finding's sort key in time order; a rebuild merges the new
 * arrivals into it and then makes the rows in one pass (bucketing by severity when asked),
 * so the live case costs O(n) with no sort of the whole list and no pointer chasing in
 * comparisons. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "model.h"
#include "util.h"

static void index_free(struct model_index *ix);

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
	index_free(m->ix);
	memset(m, 0, sizeof *m);
}

static struct model_index *index_of(struct model *m);
static const char *hay_of(struct model *m, struct model_index *ix, size_t idx);

void
model_add(struct model *m, struct finding *f)
{
	finding_list_push(&m->all, f);
	/* The search text now, a microsecond a finding, so that a new free-text query never
	 * pays for all of them at once. */
	if (m->keep_hay)
		(void)hay_of(m, index_of(m), m->all.n - 1);
}

/* The sort key of one finding, copied out of it so that sorting and merging do not chase
 * pointers. `f` is kept to notice a finding replaced in place. */
struct model_key {
	int64_t time;
	uint64_t idpfx;                 /* the id's first 8 bytes, big-endian: orders as strcmp */
	const struct finding *f;
	uint32_t idx;                   /* in all.v */
	int sev;
};

#define NO_SEL ((size_t)-1)

struct model_index {
	struct model_key *ord;          /* all.v[0..n) newest first (time desc, id, arrival) */
	struct model_key *add;          /* scratch: the arrivals, sorted, before the merge */
	struct model_key *tmp;          /* scratch for sort_keys */
	size_t n, cap, add_cap, tmp_cap;
	size_t *rows2;                  /* scratch for the severity buckets (rows_cap long) */
	unsigned char *vsev;            /* scratch: severity of each visible row */
	size_t scratch_cap;
	size_t sel_idx;                 /* all.v index of the finding sel_id names, or NO_SEL */
	/* The filter's verdict per all.v index (0 not asked yet, 1 keep, 2 drop), valid while
	 * verdict_gen == m->filter_gen: arrivals are asked once, not every rebuild. */
	unsigned char *verdict;
	size_t verdict_cap;
	unsigned verdict_gen;
	/* Each finding's search text (filter_haystack), by all.v index, and the finding it was
	 * made from (a finding replaced in place gets a new one); made on first use. */
	char **hay;
	const struct finding **hay_of;
	size_t hay_cap;
};

static void
key_of(struct model_key *k, const struct finding *f, size_t idx)
{
	const unsigned char *id = (const unsigned char *)f->id;
	uint64_t p = 0;
	int i, end = 0;

	for (i = 0; i < 8; i++) {
		if (!end && id[i] == '\0')
			end = 1;
		p = p << 8 | (end ? 0 : id[i]);
	}
	k->time = f->event_time_ms;
	k->idpfx = p;
	k->f = f;
	k->idx = (uint32_t)idx;
	k->sev = (int)f->severity;
}

/* Newest first; ties by id, then by arrival, so the order is total and a merge of arrivals
 * gives exactly what a full sort gives. */
static int
key_cmp_time(const struct model_key *x, const struct model_key *y)
{
	int c;

	if (x->time != y->time)
		return x->time > y->time ? -1 : 1;
	if (x->idpfx != y->idpfx)
		return x->idpfx < y->idpfx ? -1 : 1;
	if ((c = strcmp(x->f->id, y->f->id)) != 0)
		return c;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Sort keys in time order: a merge sort with the comparison inlined (qsort calls it through
 * a pointer). `tmp` holds n / 2 keys. */
static void
sort_keys(struct model_key *v, size_t n, struct model_key *tmp)
{
	size_t h = n / 2, i, j, k;

	if (n < 16) {
		for (i = 1; i < n; i++) {
			struct model_key x = v[i];

			for (j = i; j > 0 && key_cmp_time(&v[j - 1], &x) > 0; j--)
				v[j] = v[j - 1];
			v[j] = x;
		}
		return;
	}
	sort_keys(v, h, tmp);
	sort_keys(v + h, n - h, tmp);
	if (key_cmp_time(&v[h - 1], &v[h]) <= 0)
		return;                 /* already in order: findings mostly arrive in time order */
	memcpy(tmp, v, h * sizeof *v);
	for (i = 0, j = h, k = 0; i < h && j < n; k++)
		v[k] = key_cmp_time(&v[j], &tmp[i]) < 0 ? v[j++] : tmp[i++];
	while (i < h)
		v[k++] = tmp[i++];
}

/* Worst first, then the time order (only for severities outside the enum). */
static int
qsort_sev(const void *a, const void *b)
{
	const struct model_key *x = a, *y = b;

	if (x->sev != y->sev)
		return x->sev > y->sev ? -1 : 1;
	return key_cmp_time(x, y);
}

static struct model_index *
index_of(struct model *m)
{
	if (m->ix == NULL) {
		m->ix = xcalloc(1, sizeof *m->ix);
		m->ix->sel_idx = NO_SEL;
	}
	return m->ix;
}

static void
index_free(struct model_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->ord);
	free(ix->add);
	free(ix->tmp);
	free(ix->rows2);
	free(ix->vsev);
	free(ix->verdict);
	for (size_t i = 0; i < ix->hay_cap; i++)
		free(ix->hay[i]);
	free(ix->hay);
	free(ix->hay_of);
	free(ix);
}

void
model_invalidate(struct model *m)
{
	if (m->ix != NULL)
		m->ix->n = 0;
	m->filter_gen++;
}

/* The search text of all.v[idx], made on first use and kept. */
static const char *
hay_of(struct model *m, struct model_index *ix, size_t idx)
{
	if (ix->hay_cap < m->all.n) {
		size_t cap = m->all.n + m->all.n / 2 + 64;

		ix->hay = xreallocarray(ix->hay, cap, sizeof *ix->hay);
		ix->hay_of = xreallocarray(ix->hay_of, cap, sizeof *ix->hay_of);
		memset(ix->hay + ix->hay_cap, 0, (cap - ix->hay_cap) * sizeof *ix->hay);
		memset(ix->hay_of + ix->hay_cap, 0, (cap - ix->hay_cap) * sizeof *ix->hay_of);
		ix->hay_cap = cap;
	}
	if (ix->hay[idx] == NULL || ix->hay_of[idx] != m->all.v[idx]) {
		free(ix->hay[idx]);
		ix->hay[idx] = filter_haystack(m->all.v[idx]);
		ix->hay_of[idx] = m->all.v[idx];
	}
	return ix->hay[idx];
}

/* Does the filter keep all.v[idx]? Asked once per finding and filter generation. */
static int
filter_keeps(struct model *m, struct model_index *ix, size_t idx, const struct finding *f)
{
	if (ix->verdict_gen != m->filter_gen || ix->verdict_cap < m->all.n) {
		if (ix->verdict_cap < m->all.n) {
			size_t cap = m->all.n + m->all.n / 2 + 64;

			ix->verdict = xreallocarray(ix->verdict, cap, 1);
			memset(ix->verdict + ix->verdict_cap, 0, cap - ix->verdict_cap);
			ix->verdict_cap = cap;
		}
		if (ix->verdict_gen != m->filter_gen) {
			memset(ix->verdict, 0, ix->verdict_cap);
			ix->verdict_gen = m->filter_gen;
		}
	}
	if (ix->verdict[idx] == 0)
		ix->verdict[idx] = m->filter(m->filter_ctx, f, m->want_hay ? hay_of(m, ix, idx) : NULL) ?
		    1 : 2;
	return ix->verdict[idx] == 1;
}

/* Bring ix->ord up to date with all.v: sort the arrivals alone and merge them in from the
 * back (newest arrivals usually land at the front, so this moves the array once: O(n)). */
static void
index_update(struct model *m, struct model_index *ix)
{
	size_t i, j, k, nadd;

	if (m->all.n < ix->n)
		ix->n = 0;              /* findings were taken out: start again */
	nadd = m->all.n - ix->n;
	if (nadd == 0)
		return;
	if (ix->cap < m->all.n) {
		ix->cap = m->all.n + m->all.n / 2 + 64;
		ix->ord = xreallocarray(ix->ord, ix->cap, sizeof *ix->ord);
	}
	/* The merge sort's scratch: the larger half of the arrivals. */
	if (ix->tmp_cap < nadd / 2 + 1) {
		ix->tmp_cap = nadd / 2 + 64;
		ix->tmp = xreallocarray(ix->tmp, ix->tmp_cap, sizeof *ix->tmp);
	}
	if (ix->n == 0) {
		/* Newest arrivals first: then most halves are already in order. */
		for (i = 0; i < nadd; i++) {
			if (i + 8 < nadd) {
				__builtin_prefetch(m->all.v[nadd - 9 - i]->id);
				__builtin_prefetch(&m->all.v[nadd - 9 - i]->event_time_ms);
			}
			key_of(&ix->ord[i], m->all.v[nadd - 1 - i], nadd - 1 - i);
		}
		sort_keys(ix->ord, nadd, ix->tmp);
		ix->n = nadd;
		return;
	}
	if (ix->add_cap < nadd) {
		ix->add_cap = nadd + 64;
		ix->add = xreallocarray(ix->add, ix->add_cap, sizeof *ix->add);
	}
	for (i = 0; i < nadd; i++)
		key_of(&ix->add[i], m->all.v[ix->n + nadd - 1 - i], ix->n + nadd - 1 - i);
	sort_keys(ix->add, nadd, ix->tmp);
	i = ix->n;
	j = nadd;
	k = ix->n + nadd;
	while (j > 0) {
		if (i > 0 && key_cmp_time(&ix->ord[i - 1], &ix->add[j - 1]) > 0)
			ix->ord[--k] = ix->ord[--i];
		else
			ix->ord[--k] = ix->add[--j];
	}
	ix->n += nadd;
}

/* Where sel_id is in all.v: the cached place when it still holds that id, else a search. */
static size_t
find_sel(const struct model *m, struct model_index *ix)
{
	size_t i;

	if (m->sel_id[0] == '\0')
		return NO_SEL;
	if (ix->sel_idx < m->all.n && strcmp(m->all.v[ix->sel_idx]->id, m->sel_id) == 0)
		return ix->sel_idx;
	for (i = 0; i < m->all.n; i++)
		if (strcmp(m->all.v[i]->id, m->sel_id) == 0)
			return i;
	return NO_SEL;
}

static void
grow_scratch(struct model *m, struct model_index *ix)
{
	if (ix->scratch_cap >= m->rows_cap)
		return;
	ix->scratch_cap = m->rows_cap;
	ix->rows2 = xreallocarray(ix->rows2, ix->scratch_cap, sizeof *ix->rows2);
	ix->vsev = xreallocarray(ix->vsev, ix->scratch_cap, 1);
}

/* The visible rows in time order, counting every finding on the way; *odd is set when a
 * severity is outside the enum. Returns -1 when a key no longer matches its finding. */
static long
collect(struct model *m, struct model_index *ix, int *odd)
{
	const struct model_key *k = ix->ord, *end = ix->ord + ix->n;
	size_t n = 0;

	*odd = 0;
	memset(m->count, 0, sizeof m->count);
	for (; k < end; k++) {
		const struct finding *f = m->all.v[k->idx];

		/* The findings are far apart in memory: ask for the next ones early. */
		if (k + 8 < end)
			__builtin_prefetch(&k[8].f->severity);
		if (f != k->f)
			return -1;      /* replaced in place: its key may be stale */
		m->count[f->status <= ST_SUPPRESSED ? f->status : 0][f->severity < SEV__COUNT ?
		    f->severity : 0]++;
		if (f->status == ST_SUPPRESSED && !m->show_suppressed)
			continue;
		if (m->filter != NULL && !filter_keeps(m, ix, k->idx, f))
			continue;
		if (f->severity >= SEV__COUNT)
			*odd = 1;
		ix->vsev[n] = (unsigned char)(f->severity < SEV__COUNT ? f->severity : 0);
		m->rows[n++] = k->idx;
	}
	return (long)n;
}

/* Reorder the rows (now in time order) worst severity first, keeping the time order within
 * a severity: a stable bucket pass, O(n). */
static void
by_severity(struct model *m, struct model_index *ix, int odd)
{
	size_t start[SEV__COUNT], pos = 0, i, *t;
	int s;

	if (odd) {
		/* Severities outside the enum (never made by tfdrift itself): sort. */
		struct model_key *keys = xreallocarray(NULL, m->nrows + 1, sizeof *keys);

		for (i = 0; i < m->nrows; i++)
			key_of(&keys[i], m->all.v[m->rows[i]], m->rows[i]);
		qsort(keys, m->nrows, sizeof *keys, qsort_sev);
		for (i = 0; i < m->nrows; i++)
			m->rows[i] = keys[i].idx;
		free(keys);
		return;
	}
	memset(start, 0, sizeof start);
	for (i = 0; i < m->nrows; i++)
		start[ix->vsev[i]]++;
	for (s = SEV__COUNT - 1; s >= 0; s--) {
		size_t c = start[s];

		start[s] = pos;
		pos += c;
	}
	for (i = 0; i < m->nrows; i++)
		ix->rows2[start[ix->vsev[i]]++] = m->rows[i];
	/* Swap the buffers: both are rows_cap long. */
	t = m->rows;
	m->rows = ix->rows2;
	ix->rows2 = t;
}

/* A stable merge sort of the rows (now in time order) with the model's comparator: rows
 * that compare equal keep the time order. */
static void
by_comparator(struct model *m, struct model_index *ix)
{
	size_t n = m->nrows, width, i, *a = m->rows, *b = ix->rows2, *t;

	for (width = 1; width < n; width *= 2) {
		for (i = 0; i < n; i += 2 * width) {
			size_t lo = i, mid = i + width < n ? i + width : n;
			size_t hi = i + 2 * width < n ? i + 2 * width : n, p = lo, q = mid, k = lo;

			while (p < mid && q < hi)
				b[k++] = m->cmp(m->cmp_ctx, m->all.v[a[q]], m->all.v[a[p]]) < 0 ?
				    a[q++] : a[p++];
			while (p < mid)
				b[k++] = a[p++];
			while (q < hi)
				b[k++] = a[q++];
		}
		t = a;
		a = b;
		b = t;
	}
	/* Both buffers are rows_cap long: keep whichever holds the result. */
	m->rows = a;
	ix->rows2 = b;
}

void
model_rebuild(struct model *m)
{
	struct model_index *ix = index_of(m);
	size_t i, n, sel_idx;
	long got;
	int odd;

	if (m->rows_cap < m->all.n) {
		m->rows_cap = m->all.n + m->all.n / 2 + 64;
		m->rows = xreallocarray(m->rows, m->rows_cap, sizeof *m->rows);
	}
	grow_scratch(m, ix);
	index_update(m, ix);
	if ((got = collect(m, ix, &odd)) < 0) {
		model_invalidate(m);
		index_update(m, ix);
		got = collect(m, ix, &odd);
	}
	n = m->nrows = (size_t)got;
	if (m->sort == SORT_SEVERITY && n > 1)
		by_severity(m, ix, odd);
	else if (m->sort == SORT_CUSTOM && m->cmp != NULL && n > 1)
		by_comparator(m, ix);
	if (m->reverse)
		for (i = 0; i < n / 2; i++) {
			size_t t = m->rows[i];

			m->rows[i] = m->rows[n - 1 - i];
			m->rows[n - 1 - i] = t;
		}

	/* Keep the selection on the same finding; if it is gone, stay at the same row. */
	sel_idx = find_sel(m, ix);
	if (sel_idx != NO_SEL) {
		for (i = 0; i < n; i++)
			if (m->rows[i] == sel_idx) {
				m->sel = i;
				ix->sel_idx = sel_idx;
				return;
			}
	}
	if (n == 0) {
		m->sel = 0;
		m->sel_id[0] = '\0';
		ix->sel_idx = NO_SEL;
		return;
	}
	if (m->sel >= n)
		m->sel = n - 1;
	memcpy(m->sel_id, m->all.v[m->rows[m->sel]]->id, sizeof m->sel_id);
	ix->sel_idx = m->rows[m->sel];
}

size_t
model_row_of(const struct model *m, const char *id)
{
	size_t i, idx = NO_SEL;

	if (m->ix != NULL && m->ix->sel_idx < m->all.n &&
	    strcmp(m->all.v[m->ix->sel_idx]->id, id) == 0)
		idx = m->ix->sel_idx;
	for (i = 0; idx == NO_SEL && i < m->all.n; i++)
		if (strcmp(m->all.v[i]->id, id) == 0)
			idx = i;
	if (idx == NO_SEL)
		return NO_SEL;
	for (i = 0; i < m->nrows; i++)
		if (m->rows[i] == idx)
			return i;
	return NO_SEL;
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
	if (m->ix != NULL)
		m->ix->sel_idx = m->rows[m->sel];
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
