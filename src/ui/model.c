/* model: findings in arrival order, the visible rows (filtered, sorted) and the selection.
 * A private index keeps every finding's sort key in time order; a rebuild merges the new
 * arrivals into it and then makes the rows in one pass (bucketing by severity when asked),
 * so the live case costs O(n) with no sort of the whole list and no pointer chasing in
 * comparisons. */
#define _GNU_SOURCE     /* memmem */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "compat.h"
#include "filter.h"
#include "model.h"
#include "util.h"

static void index_free(struct model_index *ix);

/* Ask for the parts of a finding a filter reads (enums, actor, type, event, account,
 * region: its first five cache lines) ahead of reading them: a new query asks about every
 * finding, each a few hundred bytes away from the next, and waiting on memory one finding
 * after the other costs most of the time of it. */
#define PREFETCH_AHEAD 16
static inline void
prefetch_finding(const struct finding *f)
{
	const char *p = (const char *)f;

	__builtin_prefetch(p);
	__builtin_prefetch(p + 64);
	__builtin_prefetch(p + 128);
	__builtin_prefetch(p + 192);
	__builtin_prefetch(p + 256);
}

void
model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
}

void
model_free(struct model *m)
{
	size_t i;

	free(m->loaded);
	for (i = 0; i < m->all.n; i++)
		compact_free(m->all.v[i]);
	free(m->all.v);
	strpool_free(&m->pool);
	free(m->rows);
	index_free(m->ix);
	memset(m, 0, sizeof *m);
}

static struct model_index *index_of(struct model *m);
static const char *hay_of(struct model *m, struct model_index *ix, size_t idx, size_t *len);
static size_t find_id(const struct model *m, struct model_index *ix, const char *id);

static struct finding *adopt(struct model *m, struct finding *f, size_t idx);

void
model_add(struct model *m, struct finding *f)
{
	/* A resolution updates the finding it resolves, in place (detect.h's contract). */
	if (f->status == ST_RESOLVED && m->all.n > 0) {
		size_t at = find_id(m, index_of(m), f->id);

		if (at != (size_t)-1) {
			model_replace(m, at, f);
			return;
		}
	}
	finding_list_push(&m->all, adopt(m, f, m->all.n));
	/* The search text now, a microsecond a finding, so that a new free-text query never
	 * pays for all of them at once. */
	if (m->keep_hay) {
		size_t len;

		(void)hay_of(m, index_of(m), m->all.n - 1, &len);
	}
}

/* The sort key of one finding, copied out of it so that sorting and merging do not chase
 * pointers. `f` is kept to notice a finding replaced in place. */
struct model_key {
	int64_t time;
	uint64_t idpfx;                 /* the id's first 8 bytes, big-endian: orders as strcmp */
	const struct finding *f;
	uint32_t idx;                   /* in all.v */
	unsigned char sev;              /* as of the last model_add or model_restatus */
	unsigned char status;           /* (32 bytes a key: a rebuild streams them) */
	unsigned char kind;             /* FK__COUNT and up: 255 */
	unsigned char via_prov;         /* via | provider << 4 (15: out of range, "unknown") */
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
	/* Where each finding is in the rows (by all.v index; NO_SEL when hidden), as of the
	 * last rebuild: finding a row by id costs a map lookup, not a scan of the rows. */
	size_t *rowpos;
	size_t rowpos_cap, rowpos_n;    /* valid for all.v indexes below rowpos_n */
	/* SORT_CUSTOM: every finding in the comparator's order (ties: the time order), kept
	 * like ord (arrivals merged in) while cord_gen == m->cmp_gen. */
	struct model_key *cord;
	size_t cn, ccap;
	unsigned cord_gen;
	int cord_valid;
	/* Finding id -> all.v index (open addressing, idx + 1, 0 empty): selections by id are
	 * found without comparing every finding's id. */
	uint32_t *ids;
	size_t ids_cap, ids_n, ids_upto;
	/* The filter's verdict per all.v index (0 not asked yet, 1 keep, 2 drop), valid while
	 * verdict_gen == m->filter_gen: arrivals are asked once, not every rebuild. */
	unsigned char *verdict;
	size_t verdict_cap;
	unsigned verdict_gen;
	/* Each finding's search text (filter_haystack_own: the fields of its own; the shared
	 * ones are looked up per distinct value, sbits), by all.v index; made on first use
	 * (model_replace forgets the text of the finding it replaces). The texts
	 * sit one after another in one arena (offset and length per finding), so a new query
	 * reads memory in order rather than chasing a pointer per finding. */
	char *arena;
	size_t arena_len, arena_cap;
	uint32_t *hay_e;                /* its entry in a_off (UINT32_MAX: not made yet) */
	size_t hay_cap;
	/* The arena's texts in the order they were put there (offset, whose), to map a match's
	 * position back to its finding; a text made again leaves a stale entry. */
	size_t *a_off;
	uint32_t *a_idx;
	size_t a_n, a_cap;
	/* Which of m->words each interned string holds (by strpool number), for the shared
	 * fields, valid below sbits_upto while words_gen == m->filter_gen; and the bytes the
	 * findings' ids are made of (lower case), so that only a word of those is looked for
	 * in the ids. */
	uint32_t *sbits;
	size_t sbits_cap, sbits_upto;
	unsigned char idchars[256];
	/* The distinct combinations of shared-field values (FILTER_NSHARED strpool numbers
	 * each, NO_STR for none), each finding's in cmb_of, so that a new query reads one
	 * number per finding in order, not six fields far apart; cbits: which words each
	 * combination holds (valid below cbits_upto with sbits). */
	uint32_t *cmb;
	size_t cmb_n, cmb_cap;
	uint32_t *cmb_slot;             /* open addressing: combination + 1, 0 empty */
	size_t cmb_scap;
	uint32_t *cbits;
	size_t cbits_cap, cbits_upto;
	uint32_t *cmb_of;               /* each finding's combination, by all.v index */
	size_t cmb_of_cap;
	/* Which of m->words each finding's text holds (bit i: words[i]), valid for findings
	 * below words_upto while words_gen == m->filter_gen. */
	uint32_t *found;
	size_t found_cap, words_upto;
	unsigned words_gen;
	int words_valid;
};

#define NO_STR UINT32_MAX

static uint64_t
cmb_hash(const uint32_t *v)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	size_t i;

	for (i = 0; i < FILTER_NSHARED; i++)
		h = (h ^ v[i]) * 0x100000001b3ULL;
	return h ^ h >> 29;
}

/* A compact finding of the model for all.v[idx], its shared fields' combination noted. */
static struct finding *
adopt(struct model *m, struct finding *f, size_t idx)
{
	struct model_index *ix = index_of(m);
	struct finding *c = compact_make(&m->pool, f);
	const char *v[FILTER_NSHARED];
	uint32_t id[FILTER_NSHARED];
	size_t i, j, mask;

	filter_text_shared(c, v);
	for (i = 0; i < FILTER_NSHARED; i++)
		id[i] = v[i] != NULL ? strpool_id(v[i]) : NO_STR;
	if (2 * (ix->cmb_n + 1) > ix->cmb_scap) {
		size_t cap = ix->cmb_scap ? ix->cmb_scap * 2 : 1024;

		free(ix->cmb_slot);
		ix->cmb_slot = xcalloc(cap, sizeof *ix->cmb_slot);
		ix->cmb_scap = cap;
		for (i = 0; i < ix->cmb_n; i++) {
			for (j = cmb_hash(ix->cmb + i * FILTER_NSHARED) & (cap - 1); ix->cmb_slot[j] != 0;
			    j = (j + 1) & (cap - 1))
				;
			ix->cmb_slot[j] = (uint32_t)(i + 1);
		}
	}
	mask = ix->cmb_scap - 1;
	for (j = cmb_hash(id) & mask; ix->cmb_slot[j] != 0; j = (j + 1) & mask)
		if (memcmp(ix->cmb + (size_t)(ix->cmb_slot[j] - 1) * FILTER_NSHARED, id, sizeof id) == 0)
			break;
	if (ix->cmb_slot[j] == 0) {
		if (ix->cmb_n == ix->cmb_cap) {
			ix->cmb_cap = ix->cmb_cap ? ix->cmb_cap * 2 : 256;
			ix->cmb = xreallocarray(ix->cmb, ix->cmb_cap, sizeof id);
		}
		memcpy(ix->cmb + ix->cmb_n * FILTER_NSHARED, id, sizeof id);
		ix->cmb_slot[j] = (uint32_t)++ix->cmb_n;
	}
	if (idx >= ix->cmb_of_cap) {
		ix->cmb_of_cap = idx + idx / 2 + 1024;
		ix->cmb_of = xreallocarray(ix->cmb_of, ix->cmb_of_cap, sizeof *ix->cmb_of);
	}
	ix->cmb_of[idx] = ix->cmb_slot[j] - 1;
	return c;
}

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
	k->sev = (unsigned char)f->severity;
	k->status = (unsigned char)f->status;
	k->kind = (unsigned)f->kind < FK__COUNT ? (unsigned char)f->kind : 255;
	k->via_prov = (unsigned char)(((unsigned)f->actor.via < 15 ? (unsigned)f->actor.via : 15) |
	    ((unsigned)f->provider < 15 ? (unsigned)f->provider : 15) << 4);
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
	free(ix->rowpos);
	free(ix->cord);
	free(ix->add);
	free(ix->tmp);
	free(ix->rows2);
	free(ix->vsev);
	free(ix->verdict);
	free(ix->ids);
	free(ix->a_off);
	free(ix->a_idx);
	free(ix->sbits);
	free(ix->cmb);
	free(ix->cmb_slot);
	free(ix->cbits);
	free(ix->found);
	free(ix->arena);
	free(ix->hay_e);
	free(ix->cmb_of);
	free(ix);
}

void
model_invalidate(struct model *m)
{
	if (m->ix != NULL) {
		m->ix->n = 0;
		m->ix->cord_valid = 0;
		m->ix->ids_upto = m->ix->ids_n = 0;     /* ids may have changed in place */
		if (m->ix->ids != NULL)
			memset(m->ix->ids, 0, m->ix->ids_cap * sizeof *m->ix->ids);
	}
	m->filter_gen++;
}

/* The length of the arena's text e (the texts sit one after another, NUL after each). */
static size_t
text_len(const struct model_index *ix, size_t e)
{
	return (e + 1 < ix->a_n ? ix->a_off[e + 1] : ix->arena_len) - ix->a_off[e] - 1;
}

/* The search text of all.v[idx] and its length, made on first use and kept. The pointer is
 * good until the next text is made (the arena may move). */
static const char *
hay_of(struct model *m, struct model_index *ix, size_t idx, size_t *len)
{
	if (ix->hay_cap < m->all.n) {
		size_t cap = m->all.n + m->all.n / 2 + 64;

		ix->hay_e = xreallocarray(ix->hay_e, cap, sizeof *ix->hay_e);
		memset(ix->hay_e + ix->hay_cap, 0xff, (cap - ix->hay_cap) * sizeof *ix->hay_e);
		ix->hay_cap = cap;
	}
	if (ix->hay_e[idx] == UINT32_MAX) {
		char *h = filter_haystack_own(m->all.v[idx]);
		size_t n = strlen(h);
		const unsigned char *c;

		for (c = (const unsigned char *)m->all.v[idx]->id; *c != '\0'; c++)
			ix->idchars[tolower(*c)] = 1;
		if (ix->arena_len + n + 1 > ix->arena_cap) {
			ix->arena_cap = (ix->arena_len + n + 1) * 3 / 2 + 65536;
			ix->arena = xreallocarray(ix->arena, ix->arena_cap, 1);
		}
		memcpy(ix->arena + ix->arena_len, h, n + 1);
		if (ix->a_n == ix->a_cap) {
			ix->a_cap = ix->a_cap ? ix->a_cap * 2 : 1024;
			ix->a_off = xreallocarray(ix->a_off, ix->a_cap, sizeof *ix->a_off);
			ix->a_idx = xreallocarray(ix->a_idx, ix->a_cap, sizeof *ix->a_idx);
		}
		ix->a_off[ix->a_n] = ix->arena_len;
		ix->a_idx[ix->a_n++] = (uint32_t)idx;
		ix->hay_e[idx] = (uint32_t)(ix->a_n - 1);
		ix->arena_len += n + 1;
		free(h);
	}
	*len = text_len(ix, ix->hay_e[idx]);
	return ix->arena + ix->a_off[ix->hay_e[idx]];
}

/* The arena entry holding byte `off`: the last one starting at or before it. */
static size_t
entry_at(const struct model_index *ix, size_t off)
{
	size_t lo = 0, hi = ix->a_n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->a_off[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The first place the word (k bytes) is in s[0..n), or NULL. With SSE2: 16 places at a
 * time whose first and last bytes are the word's, then a compare of those (Mula's
 * "SIMD-friendly" search); glibc's memmem costs several times more on these texts. */
static const char *
scan_word(const char *s, size_t n, const char *w, size_t k)
{
	if (k == 0)
		return s;
	if (k == 1)
		return memchr(s, (unsigned char)w[0], n);
#ifdef __SSE2__
	if (n >= k + 15) {
		const __m128i first = _mm_set1_epi8(w[0]), last = _mm_set1_epi8(w[k - 1]);
		size_t i;

		for (i = 0; i + k + 15 <= n; i += 16) {
			__m128i bf = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			__m128i bl = _mm_loadu_si128((const __m128i *)(const void *)(s + i + k - 1));
			unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(
			    _mm_cmpeq_epi8(bf, first), _mm_cmpeq_epi8(bl, last)));

			while (mask != 0) {
				unsigned bit = (unsigned)__builtin_ctz(mask);

				if (memcmp(s + i + bit + 1, w + 1, k - 2) == 0)
					return s + i + bit;
				mask &= mask - 1;
			}
		}
		return memmem(s + i, n - i, w, k);
	}
#endif
	return memmem(s, n, w, k);
}

/* The words in the shared fields and the ids of findings start.. (find_words): each word
 * looked for once in each distinct value of the shared fields (the interned strings),
 * then a finding takes the bits of its values; in the ids only a word made of bytes some
 * id has. */
static void
find_shared(struct model *m, struct model_index *ix, size_t start)
{
	uint32_t idmask = 0;
	size_t i, k, w;

	if (start == 0)
		ix->sbits_upto = 0;
	if (ix->sbits_cap < m->pool.n) {
		ix->sbits_cap = m->pool.n + m->pool.n / 2 + 64;
		ix->sbits = xreallocarray(ix->sbits, ix->sbits_cap, sizeof *ix->sbits);
	}
	for (k = ix->sbits_upto; k < m->pool.n; k++) {
		ix->sbits[k] = 0;
		for (w = 0; w < m->nwords && w < 32; w++)
			if (filter_icontains(m->pool.byid[k], m->words[w]))
				ix->sbits[k] |= 1u << w;
	}
	if (start == 0 || ix->sbits_upto < m->pool.n)
		ix->cbits_upto = 0;     /* (new strings: only new combinations hold them, but simply) */
	ix->sbits_upto = m->pool.n;
	if (ix->cbits_cap < ix->cmb_n) {
		ix->cbits_cap = ix->cmb_n + ix->cmb_n / 2 + 64;
		ix->cbits = xreallocarray(ix->cbits, ix->cbits_cap, sizeof *ix->cbits);
	}
	for (k = ix->cbits_upto; k < ix->cmb_n; k++) {
		const uint32_t *id = ix->cmb + k * FILTER_NSHARED;
		uint32_t b = 0;

		for (w = 0; w < FILTER_NSHARED; w++)
			if (id[w] != NO_STR)
				b |= ix->sbits[id[w]];
		ix->cbits[k] = b;
	}
	ix->cbits_upto = ix->cmb_n;
	for (w = 0; w < m->nwords && w < 32; w++) {
		const unsigned char *c = (const unsigned char *)m->words[w];

		while (*c != '\0' && ix->idchars[*c])
			c++;
		if (*c == '\0')
			idmask |= 1u << w;
	}
	for (i = start; i < m->all.n; i++) {
		const struct finding *f = m->all.v[i];
		uint32_t b = ix->found[i];

		if (idmask != 0 && i + PREFETCH_AHEAD < m->all.n)
			__builtin_prefetch(m->all.v[i + PREFETCH_AHEAD]);
		b |= ix->cbits[ix->cmb_of[i]];
		for (w = 0; idmask & ~b && w < 32; w++)
			if ((idmask & ~b) >> w & 1u && filter_icontains(f->id, m->words[w]))
				b |= 1u << w;
		ix->found[i] = b;
	}
}

/* Find m->words in every finding's text: one pass over the arena per word (a call per
 * finding that has it, one long scan for the rest), far cheaper than a search per finding;
 * arrivals since are searched one by one. */
static void
find_words(struct model *m, struct model_index *ix)
{
	size_t i, w, len, start;

	if (ix->found_cap < m->all.n) {
		size_t cap = m->all.n + m->all.n / 2 + 64;

		ix->found = xreallocarray(ix->found, cap, sizeof *ix->found);
		ix->found_cap = cap;
	}
	if (ix->words_gen != m->filter_gen || !ix->words_valid) {
		ix->words_gen = m->filter_gen;
		ix->words_valid = 1;
		ix->words_upto = 0;
	}
	if (ix->words_upto >= m->all.n)
		return;
	start = ix->words_upto;
	for (i = start; i < m->all.n; i++)
		(void)hay_of(m, ix, i, &len);   /* every finding has its text (the arena is stable now) */
	memset(ix->found + start, 0, (m->all.n - start) * sizeof *ix->found);
	for (w = 0; w < m->nwords && w < 32; w++) {
		const char *word = m->words[w];
		size_t wl = strlen(word);

		if (wl == 0) {
			for (i = start; i < m->all.n; i++)
				ix->found[i] |= 1u << w;
			continue;
		}
		if (start == 0) {
			const char *p;
			size_t pos = 0;

			while (pos < ix->arena_len &&
			    (p = scan_word(ix->arena + pos, ix->arena_len - pos, word, wl)) != NULL) {
				size_t e = entry_at(ix, (size_t)(p - ix->arena)), idx = ix->a_idx[e];

				if (idx < m->all.n && ix->hay_e[idx] == e)
					ix->found[idx] |= 1u << w;
				/* on to the next text */
				pos = e + 1 < ix->a_n ? ix->a_off[e + 1] : ix->arena_len;
			}
		} else
			for (i = start; i < m->all.n; i++)
				if (scan_word(ix->arena + ix->a_off[ix->hay_e[i]], text_len(ix, ix->hay_e[i]),
				    word, wl) != NULL)
					ix->found[i] |= 1u << w;
	}
	find_shared(m, ix, start);
	ix->words_upto = m->all.n;
}

/* The filter's verdicts: kept per finding for the current filter generation. */
static void
verdicts_ready(struct model *m, struct model_index *ix)
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
}

/* The verdict on the key's finding from its enums alone (filter_enums), when they decide
 * it: 1 keep, 2 drop, 0 not decided. */
static unsigned char
enum_verdict(struct model *m, struct model_index *ix, const struct model_key *k)
{
	struct filter_enums e;
	int r;

	if (m->filter_enums == NULL)
		return 0;
	e.time_ms = k->time;
	e.sev = k->sev < SEV__COUNT ? k->sev : 255;
	e.status = k->status < ST__COUNT ? k->status : 255;
	e.kind = k->kind;
	e.via = k->via_prov & 15;
	e.provider = k->via_prov >> 4;
	r = m->filter_enums(m->filter_ctx, &e, m->nwords > 0 ? ix->found[k->idx] : 0);
	return r < 0 ? 0 : r > 0 ? 1 : 2;
}

/* Decide what can be decided of a finding the filter will be asked about soon, and ask
 * memory for the finding when the filter has to read it. */
static void
verdict_ahead(struct model *m, struct model_index *ix, const struct model_key *k)
{
	if (ix->verdict[k->idx] != 0)
		return;
	if ((ix->verdict[k->idx] = enum_verdict(m, ix, k)) == 0)
		prefetch_finding(k->f);
}

/* Does the filter keep all.v[idx]? Asked once per finding and filter generation
 * (verdicts_ready first). */
static int
filter_keeps(struct model *m, struct model_index *ix, const struct model_key *k,
    const struct finding *f)
{
	size_t idx = k->idx;

	if (ix->verdict[idx] == 0 && (ix->verdict[idx] = enum_verdict(m, ix, k)) == 0)
		ix->verdict[idx] = m->filter(m->filter_ctx, f, m->nwords > 0 ? ix->found[idx] : 0) ?
		    1 : 2;
	return ix->verdict[idx] == 1;
}

static int key_cmp_custom(const struct model *m, const struct model_key *x,
    const struct model_key *y);

/* Merge the sorted arrivals add[0..nadd) into v[0..n) (room for n + nadd), from the back:
 * each arrival's place is found by a binary search and the keys after it move as one block,
 * so the cost is a move of the array and nadd log n comparisons (not n: a comparator may
 * read the findings, which are far apart in memory). */
static void
merge_in(const struct model *m, struct model_key *v, size_t n, const struct model_key *add,
    size_t nadd, int custom)
{
	size_t end = n, j = nadd;

	while (j > 0) {
		const struct model_key *a = &add[--j];
		size_t lo = 0, hi = end;

		/* The first place in v[0..end) whose key sorts after a. */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			int c = custom ? key_cmp_custom(m, &v[mid], a) : key_cmp_time(&v[mid], a);

			if (c > 0)
				hi = mid;
			else
				lo = mid + 1;
		}
		memmove(&v[lo + j + 1], &v[lo], (end - lo) * sizeof *v);
		v[lo + j] = *a;
		end = lo;
	}
}

/* Bring ix->ord up to date with all.v: sort the arrivals alone and merge them in from the
 * back (newest arrivals usually land at the front, so this moves the array once: O(n)). */
static void
index_update(struct model *m, struct model_index *ix)
{
	size_t i, nadd;

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
	merge_in(m, ix->ord, ix->n, ix->add, nadd, 0);
	ix->n += nadd;
}

/* Bring the id map up to date with all.v (new arrivals), growing it at half full. */
static void
ids_update(const struct model *m, struct model_index *ix)
{
	size_t i, j, mask;

	if (ix->ids_upto > m->all.n)
		ix->ids_upto = ix->ids_n = 0, memset(ix->ids, 0, ix->ids_cap * sizeof *ix->ids);
	if ((m->all.n + 1) * 2 > ix->ids_cap) {
		size_t cap = 1024;

		while (cap < (m->all.n + 1) * 4)
			cap *= 2;
		free(ix->ids);
		ix->ids = xcalloc(cap, sizeof *ix->ids);
		ix->ids_cap = cap;
		ix->ids_n = ix->ids_upto = 0;
	}
	mask = ix->ids_cap - 1;
	for (i = ix->ids_upto; i < m->all.n; i++) {
		for (j = tf_hash_str(m->all.v[i]->id) & mask; ix->ids[j] != 0; j = (j + 1) & mask)
			;
		ix->ids[j] = (uint32_t)(i + 1);
		ix->ids_n++;
	}
	ix->ids_upto = m->all.n;
}

/* The all.v index of the finding with this id, or NO_SEL. Several findings may share an
 * id: then the one shown earliest in the rows (rowpos must be current), else the first. */
static size_t
find_id(const struct model *m, struct model_index *ix, const char *id)
{
	size_t j, mask, best = NO_SEL, best_row = NO_SEL;

	if (id == NULL || id[0] == '\0')
		return NO_SEL;
	ids_update(m, ix);
	mask = ix->ids_cap - 1;
	for (j = tf_hash_str(id) & mask; ix->ids[j] != 0; j = (j + 1) & mask) {
		size_t i = ix->ids[j] - 1, row;

		if (i >= m->all.n || strcmp(m->all.v[i]->id, id) != 0)
			continue;
		row = i < ix->rowpos_n ? ix->rowpos[i] : NO_SEL;
		if (row != NO_SEL ? best_row == NO_SEL || row < best_row :
		    best_row == NO_SEL && (best == NO_SEL || i < best)) {
			best = i;
			best_row = row;
		}
	}
	return best;
}

size_t
model_find(struct model *m, const char *id)
{
	size_t i = find_id(m, index_of(m), id);

	return i == NO_SEL ? (size_t)-1 : i;
}

void
model_replace(struct model *m, size_t idx, struct finding *f)
{
	struct finding *old;

	if (idx >= m->all.n || f == m->all.v[idx])
		return;
	old = m->all.v[idx];
	model_unload_all(m);
	m->all.v[idx] = adopt(m, f, idx);
	compact_free(old);
	if (m->ix != NULL && idx < m->ix->hay_cap)
		m->ix->hay_e[idx] = UINT32_MAX;         /* its text is made again */
	m->replaced++;
	/* Its status may have changed: the filter's verdicts and the keys are asked again
	 * (the keys notice the new pointer). */
	m->filter_gen++;
}

/* Is f one of all.v (not just a finding with one of their ids)? */
static int
owns(struct model *m, const struct finding *f)
{
	struct model_index *ix = index_of(m);
	size_t j, mask;

	if (m->all.n == 0)
		return 0;
	ids_update(m, ix);
	mask = ix->ids_cap - 1;
	for (j = tf_hash_str(f->id) & mask; ix->ids[j] != 0; j = (j + 1) & mask)
		if (ix->ids[j] - 1 < m->all.n && m->all.v[ix->ids[j] - 1] == f)
			return 1;
	return 0;
}

void
model_load(struct model *m, const struct finding *f)
{
	struct finding *w = (struct finding *)(uintptr_t)f;     /* the model's own */

	if (f == NULL || !owns(m, f) || compact_loaded(f))
		return;
	if (compact_load(&m->pool, w) != 0)
		return;
	if (m->nloaded == m->loaded_cap) {
		m->loaded_cap = m->loaded_cap ? m->loaded_cap * 2 : 16;
		m->loaded = xreallocarray(m->loaded, m->loaded_cap, sizeof *m->loaded);
	}
	m->loaded[m->nloaded++] = w;
}

void
model_unload_all(struct model *m)
{
	size_t i;

	for (i = 0; i < m->nloaded; i++)
		compact_unload(m->loaded[i]);
	m->nloaded = 0;
}

/* Where sel_id is in all.v: the cached place when it still holds that id, else the map. */
static size_t
find_sel(const struct model *m, struct model_index *ix)
{
	if (m->sel_id[0] == '\0')
		return NO_SEL;
	if (ix->sel_idx < m->all.n && strcmp(m->all.v[ix->sel_idx]->id, m->sel_id) == 0)
		return ix->sel_idx;
	return find_id(m, ix, m->sel_id);
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

/* The visible rows in the order given (ord or cord), counting every finding on the way; *odd is set when a
 * severity is outside the enum. Returns -1 when a key no longer matches its finding. */
static long
collect(struct model *m, struct model_index *ix, const struct model_key *order, size_t norder,
    int *odd)
{
	/* (No keys yet: order may be NULL, and NULL + 0 is undefined behaviour.) */
	const struct model_key *k = order, *end = order != NULL ? order + norder : order;
	size_t n = 0;

	*odd = 0;
	memset(m->count, 0, sizeof m->count);
	if (m->filter != NULL)
		verdicts_ready(m, ix);
	for (; k < end; k++) {
		const struct finding *f = m->all.v[k->idx];

		if (m->filter != NULL && end - k > PREFETCH_AHEAD)
			verdict_ahead(m, ix, &k[PREFETCH_AHEAD]);
		if (f != k->f)
			return -1;      /* replaced in place: its key may be stale */
		/* The key's copies of status and severity: the finding itself (far away in memory)
		 * is read only when the filter is asked about it. */
		m->count[k->status < ST__COUNT ? k->status : 0][k->sev < SEV__COUNT ? k->sev : 0]++;
		if (k->status == ST_SUPPRESSED && !m->show_suppressed)
			continue;
		if (k->status == ST_RESOLVED && !m->show_resolved)
			continue;
		if (m->filter != NULL && !filter_keeps(m, ix, k, f))
			continue;
		if (k->sev >= SEV__COUNT)
			*odd = 1;
		ix->vsev[n] = k->sev < SEV__COUNT ? k->sev : 0;
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

/* The comparator's order on keys, ties by the time order: a total order, so merging the
 * arrivals in gives exactly what a full sort gives. */
static int
key_cmp_custom(const struct model *m, const struct model_key *x, const struct model_key *y)
{
	int c = m->cmp(m->cmp_ctx, x->f, y->f);

	return c != 0 ? c : key_cmp_time(x, y);
}

/* A merge sort of keys with the comparator; tmp holds n / 2 + 1 keys. */
static void
sort_keys_custom(const struct model *m, struct model_key *v, size_t n, struct model_key *tmp)
{
	size_t h = n / 2, i, j, k;

	if (n < 2)
		return;
	sort_keys_custom(m, v, h, tmp);
	sort_keys_custom(m, v + h, n - h, tmp);
	if (key_cmp_custom(m, &v[h - 1], &v[h]) <= 0)
		return;
	memcpy(tmp, v, h * sizeof *v);
	for (i = 0, j = h, k = 0; i < h && j < n; k++)
		v[k] = key_cmp_custom(m, &v[j], &tmp[i]) < 0 ? v[j++] : tmp[i++];
	while (i < h)
		v[k++] = tmp[i++];
}

/* Bring cord up to date: a full sort when the comparator changed, else the arrivals sorted
 * and merged in from the back, as index_update does for the time order. */
static void
cord_update(struct model *m, struct model_index *ix)
{
	size_t i, nadd, from;

	if (!ix->cord_valid || ix->cord_gen != m->cmp_gen || ix->cn > m->all.n) {
		ix->cn = 0;
		ix->cord_valid = 1;
		ix->cord_gen = m->cmp_gen;
	}
	if (ix->ccap < m->all.n) {
		ix->ccap = m->all.n + m->all.n / 2 + 64;
		ix->cord = xreallocarray(ix->cord, ix->ccap, sizeof *ix->cord);
	}
	nadd = m->all.n - ix->cn;
	if (nadd == 0)
		return;
	if (ix->tmp_cap < nadd / 2 + 1) {
		ix->tmp_cap = nadd / 2 + 64;
		ix->tmp = xreallocarray(ix->tmp, ix->tmp_cap, sizeof *ix->tmp);
	}
	from = ix->cn;
	if (from == 0) {
		for (i = 0; i < nadd; i++)
			key_of(&ix->cord[i], m->all.v[i], i);
		sort_keys_custom(m, ix->cord, nadd, ix->tmp);
		ix->cn = nadd;
		return;
	}
	if (ix->add_cap < nadd) {
		ix->add_cap = nadd + 64;
		ix->add = xreallocarray(ix->add, ix->add_cap, sizeof *ix->add);
	}
	for (i = 0; i < nadd; i++)
		key_of(&ix->add[i], m->all.v[from + i], from + i);
	sort_keys_custom(m, ix->add, nadd, ix->tmp);
	merge_in(m, ix->cord, ix->cn, ix->add, nadd, 1);
	ix->cn += nadd;
}

void
model_rebuild(struct model *m)
{
	struct model_index *ix = index_of(m);
	size_t i, n, sel_idx;
	long got;
	int odd, custom;

	if (m->rows_cap < m->all.n) {
		m->rows_cap = m->all.n + m->all.n / 2 + 64;
		m->rows = xreallocarray(m->rows, m->rows_cap, sizeof *m->rows);
	}
	grow_scratch(m, ix);
	index_update(m, ix);
	if (m->filter != NULL && m->nwords > 0)
		find_words(m, ix);
	custom = m->sort == SORT_CUSTOM && m->cmp != NULL;
	if (custom)
		cord_update(m, ix);
	if ((got = custom ? collect(m, ix, ix->cord, ix->cn, &odd) :
	    collect(m, ix, ix->ord, ix->n, &odd)) < 0) {
		model_invalidate(m);
		index_update(m, ix);
		if (custom)
			cord_update(m, ix);
		got = custom ? collect(m, ix, ix->cord, ix->cn, &odd) :
		    collect(m, ix, ix->ord, ix->n, &odd);
	}
	n = m->nrows = (size_t)got;
	if (m->sort == SORT_SEVERITY && n > 1)
		by_severity(m, ix, odd);
	if (m->reverse)
		for (i = 0; i < n / 2; i++) {
			size_t t = m->rows[i];

			m->rows[i] = m->rows[n - 1 - i];
			m->rows[n - 1 - i] = t;
		}

	/* Where each finding is in the rows now. */
	if (ix->rowpos_cap < m->all.n) {
		ix->rowpos_cap = m->all.n + m->all.n / 2 + 64;
		ix->rowpos = xreallocarray(ix->rowpos, ix->rowpos_cap, sizeof *ix->rowpos);
	}
	if (m->all.n > 0)       /* rowpos is still NULL before the first finding */
		memset(ix->rowpos, 0xff, m->all.n * sizeof *ix->rowpos);
	for (i = 0; i < n; i++)
		ix->rowpos[m->rows[i]] = i;
	ix->rowpos_n = m->all.n;
	/* Keep the selection on the same finding; if it is gone, stay at the same row. */
	sel_idx = find_sel(m, ix);
	if (sel_idx != NO_SEL && ix->rowpos[sel_idx] == NO_SEL)
		sel_idx = find_id(m, ix, m->sel_id);    /* another finding with its id may show */
	if (sel_idx != NO_SEL && ix->rowpos[sel_idx] != NO_SEL) {
		m->sel = ix->rowpos[sel_idx];
		ix->sel_idx = sel_idx;
		return;
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

void
model_worst_in(struct model *m, int64_t from_ms, int64_t bucket_ms, size_t n,
    signed char *worst)
{
	struct model_index *ix = index_of(m);
	int64_t to = from_ms + bucket_ms * (int64_t)n;
	size_t lo = 0, hi, i;

	memset(worst, -1, n);
	index_update(m, ix);
	/* ord is newest first: the first key older than the window's end, by bisection; then
	 * down to its start. Only the keys in the window are read. */
	hi = ix->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ix->ord[mid].time >= to)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < ix->n && ix->ord[i].time >= from_ms; i++) {
		const struct model_key *k = &ix->ord[i];
		size_t c = (size_t)((k->time - from_ms) / bucket_ms);

		if (c >= n || k->status == ST_SUPPRESSED)
			continue;
		if (k->status == ST_RESOLVED) {
			if (worst[c] == -1)
				worst[c] = MODEL_RESOLVED_ONLY;
		} else if ((int)k->sev > worst[c])
			worst[c] = (signed char)k->sev;
	}
}

void
model_restatus(struct model *m)
{
	struct model_index *ix = m->ix;
	size_t i;

	if (ix == NULL)
		return;
	for (i = 0; i < ix->n; i++) {
		ix->ord[i].status = (unsigned char)ix->ord[i].f->status;
		ix->ord[i].sev = (unsigned char)ix->ord[i].f->severity;
	}
	for (i = 0; ix->cord_valid && i < ix->cn; i++) {
		ix->cord[i].status = (unsigned char)ix->cord[i].f->status;
		ix->cord[i].sev = (unsigned char)ix->cord[i].f->severity;
	}
	m->filter_gen++;        /* status: terms may answer differently now */
}

size_t
model_row_of(const struct model *m, const char *id)
{
	struct model_index *ix = m->ix;
	size_t idx;

	if (ix == NULL || id == NULL)
		return NO_SEL;
	if (ix->sel_idx < ix->rowpos_n && ix->rowpos[ix->sel_idx] != NO_SEL &&
	    strcmp(m->all.v[ix->sel_idx]->id, id) == 0)
		idx = ix->sel_idx;
	else
		idx = find_id(m, ix, id);
	if (idx == NO_SEL || idx >= ix->rowpos_n || ix->rowpos[idx] >= m->nrows)
		return NO_SEL;
	return ix->rowpos[idx];
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
