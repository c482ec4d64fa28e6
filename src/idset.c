/* idset: a bounded set of ids (see idset.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "idset.h"
#include "util.h"

struct ident {
	uint64_t h;
	int64_t t;
};

struct tf_idset {
	size_t cap;                     /* the most ids held */
	struct ident *ring;             /* rsize entries; the ids are [head, head + n) */
	size_t rsize, head, n;
	uint32_t *tab;                  /* ring position + 1, 0 empty; tsize a power of 2 */
	size_t tsize;
	uint64_t evicted;
};

size_t
tf_idset_cap_for(size_t def)
{
	const char *v = getenv("TFDRIFT_DEDUP_IDS");
	char *end;
	unsigned long long n;

	if (v == NULL || *v == '\0')
		return def;
	n = strtoull(v, &end, 10);
	return *end == '\0' && n > 0 && v[0] != '-' ? (size_t)n : def;
}

struct tf_idset *
tf_idset_new(size_t cap)
{
	struct tf_idset *s = xcalloc(1, sizeof *s);

	/* Ring positions are 32-bit in the table. */
	s->cap = cap == 0 ? 1 : cap > ((size_t)1 << 30) ? (size_t)1 << 30 : cap;
	return s;
}

void
tf_idset_free(struct tf_idset *s)
{
	if (s == NULL)
		return;
	free(s->ring);
	free(s->tab);
	free(s);
}

static size_t
ring_pos(const struct tf_idset *s, size_t i)
{
	return (s->head + i) % s->rsize;
}

static void
tab_put(struct tf_idset *s, size_t pos)
{
	size_t mask = s->tsize - 1, i;

	for (i = s->ring[pos].h & mask; s->tab[i] != 0; i = (i + 1) & mask)
		;
	s->tab[i] = (uint32_t)pos + 1;
}

static void
tab_rebuild(struct tf_idset *s)
{
	size_t i;

	memset(s->tab, 0, s->tsize * sizeof *s->tab);
	for (i = 0; i < s->n; i++)
		tab_put(s, ring_pos(s, i));
}

/* Take ring position pos out of the table (backward-shift deletion: no tombstones). */
static void
tab_del(struct tf_idset *s, size_t pos)
{
	size_t mask = s->tsize - 1, i, j, k;

	for (i = s->ring[pos].h & mask; s->tab[i] != (uint32_t)pos + 1; i = (i + 1) & mask)
		;
	for (j = i;;) {
		j = (j + 1) & mask;
		if (s->tab[j] == 0)
			break;
		k = s->ring[s->tab[j] - 1].h & mask;
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		s->tab[i] = s->tab[j];
		i = j;
	}
	s->tab[i] = 0;
}

static void
grow(struct tf_idset *s)
{
	size_t rsize = s->rsize ? s->rsize * 2 : 256, tsize, i;
	struct ident *ring;

	if (rsize > s->cap)
		rsize = s->cap;
	ring = xcalloc(rsize, sizeof *ring);
	for (i = 0; i < s->n; i++)
		ring[i] = s->ring[ring_pos(s, i)];
	free(s->ring);
	s->ring = ring;
	s->rsize = rsize;
	s->head = 0;
	for (tsize = 16; tsize < rsize * 2; tsize *= 2)
		;
	if (tsize != s->tsize) {
		free(s->tab);
		s->tab = xcalloc(tsize, sizeof *s->tab);
		s->tsize = tsize;
	}
	tab_rebuild(s);
}

static void
drop_oldest(struct tf_idset *s)
{
	tab_del(s, s->head);
	s->head = (s->head + 1) % s->rsize;
	s->n--;
}

int
tf_idset_has(const struct tf_idset *s, uint64_t h)
{
	size_t mask, i;

	if (s->n == 0)
		return 0;
	mask = s->tsize - 1;
	for (i = h & mask; s->tab[i] != 0; i = (i + 1) & mask)
		if (s->ring[s->tab[i] - 1].h == h)
			return 1;
	return 0;
}

int
tf_idset_add(struct tf_idset *s, uint64_t h, int64_t t)
{
	size_t pos;

	if (tf_idset_has(s, h))
		return 1;
	if (s->n == s->rsize) {
		if (s->rsize < s->cap)
			grow(s);
		else {
			drop_oldest(s);
			s->evicted++;
		}
	}
	pos = ring_pos(s, s->n);
	s->ring[pos].h = h;
	s->ring[pos].t = t;
	s->n++;
	tab_put(s, pos);
	return 0;
}

size_t
tf_idset_expire(struct tf_idset *s, int64_t before)
{
	size_t gone = 0;

	while (s->n > 0 && s->ring[s->head].t < before) {
		drop_oldest(s);
		gone++;
	}
	return gone;
}

size_t
tf_idset_filter(struct tf_idset *s, int (*keep)(void *ctx, uint64_t h, int64_t t), void *ctx)
{
	size_t i, k = 0, gone;

	/* In place: the write position never passes the read one. */
	for (i = 0; i < s->n; i++) {
		struct ident e = s->ring[ring_pos(s, i)];

		if (keep(ctx, e.h, e.t))
			s->ring[ring_pos(s, k++)] = e;
	}
	gone = s->n - k;
	s->n = k;
	if (gone > 0)
		tab_rebuild(s);
	return gone;
}

void
tf_idset_clear(struct tf_idset *s)
{
	s->n = 0;
	s->head = 0;
	if (s->tab != NULL)
		memset(s->tab, 0, s->tsize * sizeof *s->tab);
}

size_t
tf_idset_count(const struct tf_idset *s)
{
	return s->n;
}

size_t
tf_idset_cap(const struct tf_idset *s)
{
	return s->cap;
}

uint64_t
tf_idset_evicted(const struct tf_idset *s)
{
	return s->evicted;
}

size_t
tf_idset_bytes(const struct tf_idset *s)
{
	return s->rsize * sizeof *s->ring + s->tsize * sizeof *s->tab;
}

void
tf_idset_get(const struct tf_idset *s, size_t i, uint64_t *h, int64_t *t)
{
	const struct ident *e = &s->ring[ring_pos(s, i)];

	*h = e->h;
	*t = e->t;
}

void
tf_idset_hex(uint64_t h, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

int
tf_idset_parse_hex(const char *s, uint64_t *h)
{
	uint64_t v = 0;
	size_t i;

	if (s == NULL || strlen(s) != 16)
		return -1;
	for (i = 0; i < 16; i++) {
		char c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint64_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint64_t)(c - 'a' + 10);
		else
			return -1;
	}
	*h = v;
	return 0;
}
