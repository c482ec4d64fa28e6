/* state_index: an immutable lookup index over parsed states.
 *
 * Two hash tables (open addressing, linear probing) map keys to lists of instances:
 * "<provider>:<normalized value>" for id, arn, self_link and the configured (type, attr)
 * specs, and "<type>" for state_index_match().  Keys live in an arena owned by the index.
 * Once built nothing is written (lookups do not allocate on the heap for short values and
 * never touch json-c's per-object string caches), so any number of threads may read it
 * while they hold a reference. */
#include "config.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "state_index.h"
#include "util.h"

#define ARENA_MIN	(64 * 1024)
#define MAX_DUP_NOTES	100	/* duplicates described; the rest only counted */
#define ARENA_MAX	(4 * 1024 * 1024)

struct arena_block {
	struct arena_block *next;
	size_t used, cap;
	char data[];
};

/* One key and its instances. */
struct ix_ent {
	const char *key;	/* in the arena, NUL-terminated */
	size_t klen;
	size_t n, cap;
	const struct tf_instance *one;		/* the first instance (most keys have one) */
	const struct tf_instance **more;	/* the rest */
};

/* Open addressing over small slots (hash bits + entry number) so probing stays in cache. */
struct ix_slot {
	uint32_t hash;		/* low 32 bits of the key hash */
	uint32_t ent;		/* entry index + 1; 0 = empty */
};

struct ix_table {
	struct ix_slot *slot;
	size_t cap;		/* a power of two */
	struct ix_ent *ent;
	size_t nent, entcap;
};

struct state_index {
	atomic_int refs;
	struct tf_state **states;
	size_t nstates;
	size_t ninst;		/* instances indexed: duplicates left out */
	char **dups;		/* what was left out and why, for warnings (at most MAX_DUP_NOTES) */
	size_t ndups, nnotes;	/* kept, and made */
	size_t nduplicates;	/* instances left out */
	struct ix_table keys;	/* provider:value */
	struct ix_table types;	/* type */
	struct arena_block *arena;
	/* One structure derived from the index on first use (enrich.c's dependency graph):
	 * set once by compare-and-swap, freed with the index. */
	_Atomic(void *) derived;
	void (*derived_free)(void *);
	/* While building: the key specs, for templates that tell objects with one bare id apart. */
	const struct index_key_spec *specs;
	size_t nspecs;
};

/* A key given in two pieces, "a:b" (or just "b" when a is NULL), so lookups need no copy. */
struct kpieces {
	const char *a, *b;
	size_t alen, blen;
};

static char *
arena_alloc(struct state_index *ix, size_t n)
{
	struct arena_block *b = ix->arena;
	size_t cap;

	if (b == NULL || b->cap - b->used < n) {
		cap = b == NULL ? ARENA_MIN : b->cap < ARENA_MAX ? b->cap * 2 : ARENA_MAX;
		if (cap < n)
			cap = n;
		b = xmalloc(sizeof *b + cap);
		b->cap = cap;
		b->used = 0;
		b->next = ix->arena;
		ix->arena = b;
	}
	b->used += n;
	return b->data + b->used - n;
}

static uint64_t
fnv_add(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	while (n-- > 0) {
		h ^= *s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static uint32_t
kp_hash(const struct kpieces *k)
{
	uint64_t h = 1469598103934665603ULL;

	if (k->a != NULL) {
		h = fnv_add(h, k->a, k->alen);
		h = fnv_add(h, ":", 1);
	}
	h = fnv_add(h, k->b, k->blen);
	return (uint32_t)(h ^ (h >> 32));
}

static int
kp_eq(const struct ix_ent *e, const struct kpieces *k)
{
	if (k->a == NULL)
		return e->klen == k->blen && memcmp(e->key, k->b, k->blen) == 0;
	return e->klen == k->alen + 1 + k->blen && memcmp(e->key, k->a, k->alen) == 0 &&
	    e->key[k->alen] == ':' && memcmp(e->key + k->alen + 1, k->b, k->blen) == 0;
}

/* The slot holding k, or the empty slot where it would go. */
static struct ix_slot *
table_slot(const struct ix_table *t, const struct kpieces *k, uint32_t h)
{
	size_t i;

	for (i = h & (t->cap - 1); t->slot[i].ent != 0; i = (i + 1) & (t->cap - 1))
		if (t->slot[i].hash == h && kp_eq(&t->ent[t->slot[i].ent - 1], k))
			break;
	return &t->slot[i];
}

static const struct ix_ent *
table_find(const struct ix_table *t, const struct kpieces *k)
{
	const struct ix_slot *sl;

	if (t->cap == 0)
		return NULL;
	sl = table_slot(t, k, kp_hash(k));
	return sl->ent ? &t->ent[sl->ent - 1] : NULL;
}

static void
table_init(struct ix_table *t, size_t expect)
{
	t->cap = 256;
	while (t->cap < expect * 2)
		t->cap *= 2;
	t->slot = xcalloc(t->cap, sizeof *t->slot);
}

static void
table_grow(struct ix_table *t)
{
	struct ix_slot *old = t->slot;
	size_t oldcap = t->cap, i, j;

	t->cap *= 2;
	t->slot = xcalloc(t->cap, sizeof *t->slot);
	for (i = 0; i < oldcap; i++) {
		if (old[i].ent == 0)
			continue;
		for (j = old[i].hash & (t->cap - 1); t->slot[j].ent != 0; j = (j + 1) & (t->cap - 1))
			;
		t->slot[j] = old[i];
	}
	free(old);
}

/* Adds `in` under key k (once: the same instance twice in a row is dropped). */
static void
table_add(struct state_index *ix, struct ix_table *t, const struct kpieces *k,
    const struct tf_instance *in)
{
	uint32_t h = kp_hash(k);
	struct ix_slot *sl;
	struct ix_ent *e;
	char *key;

	if ((t->nent + 1) * 2 > t->cap)
		table_grow(t);
	sl = table_slot(t, k, h);
	if (sl->ent == 0) {
		if (t->nent >= UINT32_MAX - 1)
			tf_fatal("state index: too many keys");
		if (t->nent == t->entcap) {
			t->entcap = t->entcap ? t->entcap * 2 : 256;
			t->ent = xreallocarray(t->ent, t->entcap, sizeof *t->ent);
		}
		e = &t->ent[t->nent++];
		memset(e, 0, sizeof *e);
		e->klen = k->a ? k->alen + 1 + k->blen : k->blen;
		key = arena_alloc(ix, e->klen + 1);
		if (k->a != NULL) {
			memcpy(key, k->a, k->alen);
			key[k->alen] = ':';
			memcpy(key + k->alen + 1, k->b, k->blen);
		} else
			memcpy(key, k->b, k->blen);
		key[e->klen] = '\0';
		e->key = key;
		e->one = in;
		e->n = 1;
		sl->hash = h;
		sl->ent = (uint32_t)t->nent;
		return;
	}
	e = &t->ent[sl->ent - 1];
	if ((e->n == 1 ? e->one : e->more[e->n - 2]) == in)
		return;
	if (e->n - 1 == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 4;
		e->more = xreallocarray(e->more, e->cap, sizeof *e->more);
	}
	e->more[e->n - 1] = in;
	e->n++;
}

static const struct tf_instance *
ent_get(const struct ix_ent *e, size_t i)
{
	return i == 0 ? e->one : e->more[i - 1];
}

static void
table_free(struct ix_table *t)
{
	size_t i;

	for (i = 0; i < t->nent; i++)
		free(t->ent[i].more);
	free(t->ent);
	free(t->slot);
}

/* ---- normalization ---- */

static int
has_suffix_n(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);

	return n >= l && memcmp(s + n - l, suf, l) == 0;
}

/* The normalized value as a span of the input (normalization only ever cuts). GCP URLs
 * (https://www.googleapis.com/compute/v1/projects/..., https://compute.googleapis.com/compute/
 * beta/projects/..., //compute.googleapis.com/projects/...) become "projects/..."; storage
 * links (https://www.googleapis.com/storage/v1/b/NAME, projects/_/buckets/NAME) become NAME,
 * the id Terraform gives google_storage_bucket. */
static void
norm_span(const char *provider, const char *v, const char **out, size_t *outlen)
{
	const char *s = v, *e, *host, *hend, *path, *q;
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	*out = s;
	*outlen = (size_t)(e - s);
	if (provider == NULL || strcmp(provider, "gcp") != 0)
		return;
	n = (size_t)(e - s);
	if (n > 8 && memcmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (n > 7 && memcmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (n > 2 && memcmp(s, "//", 2) == 0)
		host = s + 2;
	else
		host = NULL;
	if (host != NULL) {
		hend = memchr(host, '/', (size_t)(e - host));
		if (hend == NULL || !has_suffix_n(host, (size_t)(hend - host), "googleapis.com"))
			return;
		path = hend + 1;
		/* Drop a query or fragment, and a trailing slash. */
		for (q = path; q < e; q++)
			if (*q == '?' || *q == '#')
				break;
		e = q;
		while (e > path && e[-1] == '/')
			e--;
		n = (size_t)(e - path);
		if (n >= 9 && memcmp(path, "projects/", 9) == 0) {
			s = path;
		} else {
			for (q = path; q + 10 <= e; q++)
				if (memcmp(q, "/projects/", 10) == 0)
					break;
			if (q + 10 <= e)
				s = q + 1;
			else if (n > 13 && memcmp(path, "storage/v1/b/", 13) == 0 &&
			    memchr(path + 13, '/', n - 13) == NULL)
				s = path + 13;
			else
				return;		/* some other API: keep it whole */
		}
		*out = s;
		*outlen = (size_t)(e - s);
	}
	s = *out;
	n = *outlen;
	if (n > 19 && memcmp(s, "projects/_/buckets/", 19) == 0 &&
	    memchr(s + 19, '/', n - 19) == NULL) {
		*out = s + 19;
		*outlen = n - 19;
	} else if (n > 2 && memcmp(s, "b/", 2) == 0 && memchr(s + 2, '/', n - 2) == NULL) {
		/* google_storage_bucket_iam_* store their bucket as "b/NAME". */
		*out = s + 2;
		*outlen = n - 2;
	}
}

char *
state_index_norm_value(const char *provider, const char *value)
{
	const char *s;
	size_t n;

	if (value == NULL)
		return NULL;
	norm_span(provider, value, &s, &n);
	return xstrndup(s, n);
}

/* ---- key templates ---- */

int
state_index_is_template(const char *key)
{
	return key != NULL && strchr(key, '{') != NULL;
}

/* The placeholder starting at *p ('{'): its name span, *p moved past the '}'. 0 when bad. */
static int
tpl_next(const char **p, const char **name, size_t *len)
{
	const char *s = *p + 1, *e = strchr(s, '}');

	if (e == NULL || e == s || memchr(s, '{', (size_t)(e - s)) != NULL)
		return 0;
	*name = s;
	*len = (size_t)(e - s);
	*p = e + 1;
	return 1;
}

char *
state_index_template_check(const char *tpl)
{
	const char *p = tpl, *name;
	size_t len, n = 0, i;

	while ((p = strpbrk(p, "{}")) != NULL) {
		if (*p == '}')
			return xasprintf("\"}\" without \"{\" in key template \"%s\"", tpl);
		if (!tpl_next(&p, &name, &len))
			return xasprintf("unclosed or empty {...} in key template \"%s\"", tpl);
		for (i = 0; i < len; i++)
			if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '.')
				return xasprintf("\"{%.*s}\" in key template \"%s\" is not an attribute "
				    "name", (int)len, name, tpl);
		n++;
	}
	if (n == 0)
		return xasprintf("key template \"%s\" names no {attribute}", tpl);
	return NULL;
}

char *
state_index_template_attr(const char *tpl, size_t i)
{
	const char *p = tpl, *name;
	size_t len, n = 0;

	while ((p = strchr(p, '{')) != NULL) {
		if (!tpl_next(&p, &name, &len))
			return NULL;
		if (n++ == i)
			return xstrndup(name, len);
	}
	return NULL;
}

char *
state_index_template_expand(const struct tf_instance *in, const char *tpl)
{
	struct strbuf sb;
	const char *p = tpl, *b, *name;
	size_t len;

	sb_init(&sb);
	while ((b = strchr(p, '{')) != NULL) {
		char *attr;
		json_object *v;
		const char *s;

		sb_add(&sb, p, (size_t)(b - p));
		p = b;
		if (!tpl_next(&p, &name, &len))
			goto fail;
		attr = xstrndup(name, len);
		v = tfstate_attr(in, attr);
		free(attr);
		if (v == NULL || (!json_object_is_type(v, json_type_string) &&
		    !json_object_is_type(v, json_type_int)))
			goto fail;
		s = json_object_get_string(v);
		if (s == NULL || *s == '\0')
			goto fail;
		sb_adds(&sb, s);
	}
	sb_adds(&sb, p);
	return sb_detach(&sb);
fail:
	sb_free(&sb);
	return NULL;
}

/* ---- build ---- */

static void
index_str(struct state_index *ix, const struct tf_instance *in, const char *v)
{
	struct kpieces k;

	if (v == NULL)
		return;
	norm_span(in->provider, v, &k.b, &k.blen);
	if (k.blen == 0)
		return;
	k.a = in->provider;
	k.alen = strlen(in->provider);
	table_add(ix, &ix->keys, &k, in);
}



/* ---- duplicates ---- */

/* `n` instances left out, and why. */
static void
note_dup(struct state_index *ix, size_t n, char *msg)
{
	ix->nduplicates += n;
	ix->nnotes++;
	if (ix->ndups < MAX_DUP_NOTES) {
		ix->dups = xreallocarray(ix->dups, ix->ndups + 1, sizeof *ix->dups);
		ix->dups[ix->ndups++] = msg;
	} else
		free(msg);
}

/* The current object of the same type with the same id (normalized), indexed already: one
 * cloud object under two addresses (imported twice, or the same state given twice). */
/* Two instances of one type with one id that a key template tells apart: a Terraform id that
 * leaves out the parent (two log groups' metric filters "errors") is not one object. */
static int
told_apart(const struct state_index *ix, const struct tf_instance *a, const struct tf_instance *b)
{
	size_t s;
	int apart = 0;

	for (s = 0; s < ix->nspecs && !apart; s++) {
		char *ka, *kb;

		if (ix->specs[s].type == NULL || ix->specs[s].attr == NULL ||
		    strcmp(ix->specs[s].type, a->type) != 0 ||
		    !state_index_is_template(ix->specs[s].attr))
			continue;
		ka = state_index_template_expand(a, ix->specs[s].attr);
		kb = state_index_template_expand(b, ix->specs[s].attr);
		apart = ka != NULL && kb != NULL && strcmp(ka, kb) != 0;
		free(ka);
		free(kb);
	}
	return apart;
}

static const struct tf_instance *
same_object(const struct state_index *ix, const struct tf_instance *in)
{
	const struct ix_ent *e;
	struct kpieces k;
	const char *a, *b;
	size_t an, bn, i;

	if (in->id == NULL || in->deposed != NULL)
		return NULL;
	norm_span(in->provider, in->id, &k.b, &k.blen);
	if (k.blen == 0)
		return NULL;
	k.a = in->provider;
	k.alen = strlen(in->provider);
	if ((e = table_find(&ix->keys, &k)) == NULL)
		return NULL;
	for (i = 0; i < e->n; i++) {
		const struct tf_instance *o = ent_get(e, i);

		if (o->deposed != NULL || o->id == NULL || strcmp(o->type, in->type) != 0)
			continue;
		norm_span(o->provider, o->id, &a, &an);
		norm_span(in->provider, in->id, &b, &bn);
		if (an == bn && memcmp(a, b, an) == 0 && !told_apart(ix, o, in))
			return o;
	}
	return NULL;
}

/* The current object at the same address earlier in the same state (a hand-merged state).
 * `addrs` holds the hashes of the state's addresses so far: only a hit is checked in full. */
static const struct tf_instance *
same_address(const struct tf_state *st, size_t j, struct tf_hset *addrs)
{
	const struct tf_instance *in = &st->inst[j];
	size_t k;

	if (in->deposed != NULL || !tf_hset_test_and_add(addrs, tf_hash_str(in->address)))
		return NULL;
	for (k = 0; k < j; k++)
		if (st->inst[k].deposed == NULL && strcmp(st->inst[k].address, in->address) == 0)
			return &st->inst[k];
	return NULL;
}

/*
 * Should `in` stay out of the index as a duplicate? One address twice in a state, or one
 * cloud object (aws/gcp: what events name) under two addresses or in two states, would
 * each make its own finding for one change, the same finding id twice for one address.
 * The first is kept and counted; the others are left out and described.
 */
static int
duplicate(struct state_index *ix, const struct tf_state *st, size_t j, struct tf_hset *addrs)
{
	const struct tf_instance *in = &st->inst[j], *o;

	if (strcmp(in->provider, "aws") != 0 && strcmp(in->provider, "gcp") != 0)
		return 0;
	if ((o = same_address(st, j, addrs)) != NULL) {
		note_dup(ix, 1, xasprintf("%s: %s is in the state twice; counted once", st->source,
		    in->address));
		return 1;
	}
	if ((o = same_object(ix, in)) == NULL)
		return 0;
	if (o->state == st)
		note_dup(ix, 1, xasprintf("%s: %s and %s are the same %s (%s); counted once, as %s",
		    st->source, o->address, in->address, in->type, in->id, o->address));
	else
		note_dup(ix, 1, xasprintf("%s %s is in two states, as %s in %s and as %s in %s; counted "
		    "once, as %s in %s", in->type, in->id, o->address, o->state->source, in->address,
		    st->source, o->address, o->state->source));
	return 1;
}

struct state_index *
state_index_build(struct tf_state **states, size_t nstates,
    const struct index_key_spec *specs, size_t nspecs)
{
	struct state_index *ix = xcalloc(1, sizeof *ix);
	static const char *const always[] = { "arn", "self_link" };
	size_t i, j, s, m, nmatch = 0, *match, nnames = 0;
	const char *mtype = NULL;	/* the type `match` lists the specs of */
	const char **names;		/* always[], then the attributes of match[] */
	struct strbuf *vals;		/* their string values, if found[] */
	struct kpieces tk;
	int *found;

	atomic_init(&ix->refs, 1);
	ix->specs = specs;
	ix->nspecs = nspecs;
	ix->states = xreallocarray(NULL, nstates ? nstates : 1, sizeof *ix->states);
	for (i = 0; i < nstates; i++)
		if (states[i] != NULL) {
			ix->states[ix->nstates++] = states[i];
			ix->ninst += states[i]->ninst;
		}
	/* Most instances have an id and an arn or self link. */
	table_init(&ix->keys, ix->ninst * 2);
	table_init(&ix->types, 64);
	match = xreallocarray(NULL, nspecs ? nspecs : 1, sizeof *match);
	names = xreallocarray(NULL, TF_ARRLEN(always) + nspecs, sizeof *names);
	vals = xcalloc(TF_ARRLEN(always) + nspecs, sizeof *vals);
	found = xreallocarray(NULL, TF_ARRLEN(always) + nspecs, sizeof *found);
	for (i = 0; i < ix->nstates; i++) {
		const struct tf_state *st = ix->states[i];
		struct tf_hset addrs = { 0 };

		for (j = 0; j < i && strcmp(ix->states[j]->source, st->source) != 0; j++)
			;
		if (j < i) {
			/* The same state named twice: every resource would be a duplicate. */
			note_dup(ix, st->ninst, xasprintf("%s is given twice; read once", st->source));
			ix->ninst -= st->ninst;
			continue;
		}
		for (j = 0; j < st->ninst; j++) {
			const struct tf_instance *in = &st->inst[j];

			if (duplicate(ix, st, j, &addrs)) {
				ix->ninst--;
				continue;
			}
			tk.a = NULL;
			tk.b = in->type;
			tk.blen = strlen(in->type);
			table_add(ix, &ix->types, &tk, in);
			index_str(ix, in, in->id);
			/* The specs for this type (instances of one resource come together). */
			if (mtype == NULL || strcmp(mtype, in->type) != 0) {
				mtype = in->type;
				nmatch = 0;
				for (s = 0; s < nspecs; s++)
					if (specs[s].type != NULL && specs[s].attr != NULL &&
					    (strcmp(specs[s].type, "*") == 0 ||
					    strcmp(specs[s].type, in->type) == 0))
						match[nmatch++] = s;
				for (nnames = 0; nnames < TF_ARRLEN(always); nnames++)
					names[nnames] = always[nnames];
				for (m = 0; m < nmatch; m++)
					names[nnames++] = state_index_is_template(specs[match[m]].attr) ?
					    NULL : specs[match[m]].attr;
			}
			/* The string attributes, in one pass over the text (no tree is built). */
			tfstate_attr_strs(in, names, nnames, vals, found);
			for (s = 0; s < TF_ARRLEN(always); s++)
				if (found[s])
					index_str(ix, in, vals[s].buf);
			for (m = 0; m < nmatch; m++) {
				s = match[m];
				if (names[TF_ARRLEN(always) + m] == NULL) {
					char *k = state_index_template_expand(in, specs[s].attr);

					index_str(ix, in, k);
					free(k);
				} else if (found[TF_ARRLEN(always) + m])
					index_str(ix, in, vals[TF_ARRLEN(always) + m].buf);
			}
			/* Indexing read every instance's attributes: let them go back to text. */
			tfstate_attrs_drop((struct tf_instance *)(uintptr_t)in);
		}
		tf_hset_free(&addrs);
	}
	free(match);
	free(names);
	for (s = 0; s < TF_ARRLEN(always) + nspecs; s++)
		sb_free(&vals[s]);
	free(vals);
	free(found);
	ix->specs = NULL;	/* borrowed for the build only */
	ix->nspecs = 0;
	return ix;
}

void
state_index_ref(struct state_index *ix)
{
	if (ix != NULL)
		atomic_fetch_add_explicit(&ix->refs, 1, memory_order_relaxed);
}

void
state_index_unref(struct state_index *ix)
{
	struct arena_block *b, *nb;
	size_t i;

	if (ix == NULL || atomic_fetch_sub_explicit(&ix->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (atomic_load(&ix->derived) != NULL)
		ix->derived_free(atomic_load(&ix->derived));
	table_free(&ix->keys);
	table_free(&ix->types);
	for (i = 0; i < ix->ndups; i++)
		free(ix->dups[i]);
	free(ix->dups);
	for (b = ix->arena; b != NULL; b = nb) {
		nb = b->next;
		free(b);
	}
	for (i = 0; i < ix->nstates; i++)
		tfstate_free(ix->states[i]);
	free(ix->states);
	free(ix);
}

void *
state_index_derived(const struct state_index *cix, void *(*build)(const struct state_index *),
    void (*free_fn)(void *))
{
	struct state_index *ix = (struct state_index *)cix;   /* the slot is the one mutable part */
	void *cur = atomic_load(&ix->derived), *mine, *expect = NULL;

	if (cur != NULL)
		return cur;
	mine = build(cix);
	if (atomic_compare_exchange_strong(&ix->derived, &expect, mine)) {
		ix->derived_free = free_fn;     /* read only by the last unref */
		return mine;
	}
	free_fn(mine);                  /* another thread won the race: use its copy */
	return expect;
}

/* ---- queries ---- */

/* Copies e's instances of `type` (any when NULL): current objects first, then deposed. */
static size_t
collect(const struct ix_ent *e, const char *type, const struct tf_instance **out, size_t max)
{
	size_t i, n = 0;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < e->n; i++) {
			const struct tf_instance *in = ent_get(e, i);

			if ((in->deposed != NULL) != pass)
				continue;
			if (type != NULL && strcmp(in->type, type) != 0)
				continue;
			if (n < max && out != NULL)
				out[n] = in;
			n++;
		}
	}
	return n;
}

size_t
state_index_find(const struct state_index *ix, const char *provider, const char *value,
    const char *type, const struct tf_instance **out, size_t max)
{
	struct kpieces k;
	const struct ix_ent *e;

	if (ix == NULL || provider == NULL || value == NULL)
		return 0;
	norm_span(provider, value, &k.b, &k.blen);
	if (k.blen == 0)
		return 0;
	k.a = provider;
	k.alen = strlen(provider);
	if ((e = table_find(&ix->keys, &k)) == NULL)
		return 0;
	return collect(e, type, out, max);
}

static int
full_number(const char *s, size_t n, double *d)
{
	char buf[64], *end;

	if (n == 0 || n >= sizeof buf)	/* longer is not a number we compare numerically */
		return 0;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (isspace((unsigned char)buf[0]))
		return 0;
	*d = strtod(buf, &end);
	return *end == '\0';
}

static int
span_eq(const char *a, size_t an, const char *b, size_t bn)
{
	double x, y;

	if (an == bn && memcmp(a, b, an) == 0)
		return 1;
	return full_number(a, an, &x) && full_number(b, bn, &y) && x == y;
}

/* State scalar v equals the wanted string (NULL wants absent or null). Numbers and bools
 * compare as their text, so 1 == "1" and true == "true". */
static int
scalar_eq(const char *provider, json_object *v, const char *want)
{
	char num[64];
	const char *ws, *vs;
	size_t wn, vn;

	if (v == NULL || json_object_is_type(v, json_type_null))
		return want == NULL;
	if (want == NULL)
		return 0;
	norm_span(provider, want, &ws, &wn);
	switch (json_object_get_type(v)) {
	case json_type_string:
		norm_span(provider, json_object_get_string(v), &vs, &vn);
		return span_eq(vs, vn, ws, wn);
	case json_type_boolean:
		vs = json_object_get_boolean(v) ? "true" : "false";
		return span_eq(vs, strlen(vs), ws, wn);
	case json_type_int:
		snprintf(num, sizeof num, "%lld", (long long)json_object_get_int64(v));
		return span_eq(num, strlen(num), ws, wn);
	case json_type_double:
		snprintf(num, sizeof num, "%.17g", json_object_get_double(v));
		return span_eq(num, strlen(num), ws, wn);
	default:
		return 0;	/* objects and lists are not scalars */
	}
}

/* Strings equal as DNS names: case-insensitive, a final dot ignored; NULL, absent and ""
 * are one. */
static int
fold_eq(json_object *v, const char *want)
{
	const char *vs;
	size_t vn, wn;

	if (v != NULL && !json_object_is_type(v, json_type_null) &&
	    !json_object_is_type(v, json_type_string))
		return scalar_eq(NULL, v, want);
	vs = v != NULL && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	if (want == NULL)
		want = "";
	vn = strlen(vs);
	wn = strlen(want);
	if (vn > 0 && vs[vn - 1] == '.')
		vn--;
	if (wn > 0 && want[wn - 1] == '.')
		wn--;
	return vn == wn && strncasecmp(vs, want, vn) == 0;
}

static size_t
match_impl(const struct state_index *ix, const char *type, const char *const *attrs,
    const char *const *values, size_t npairs, const struct tf_instance **out, size_t max,
    int fold);

size_t
state_index_match_fold(const struct state_index *ix, const char *type,
    const char *const *attrs, const char *const *values, size_t npairs,
    const struct tf_instance **out, size_t max)
{
	return match_impl(ix, type, attrs, values, npairs, out, max, 1);
}

size_t
state_index_match(const struct state_index *ix, const char *type,
    const char *const *attrs, const char *const *values, size_t npairs,
    const struct tf_instance **out, size_t max)
{
	return match_impl(ix, type, attrs, values, npairs, out, max, 0);
}

static size_t
match_impl(const struct state_index *ix, const char *type, const char *const *attrs,
    const char *const *values, size_t npairs, const struct tf_instance **out, size_t max,
    int fold)
{
	struct kpieces k;
	const struct ix_ent *e;
	size_t i, p, n = 0;
	int pass;

	if (ix == NULL || type == NULL || (npairs > 0 && (attrs == NULL || values == NULL)))
		return 0;
	k.a = NULL;
	k.b = type;
	k.blen = strlen(type);
	if ((e = table_find(&ix->types, &k)) == NULL)
		return 0;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < e->n; i++) {
			const struct tf_instance *in = ent_get(e, i);

			if ((in->deposed != NULL) != pass)
				continue;
			for (p = 0; p < npairs; p++)
				if (fold ? !fold_eq(tfstate_attr(in, attrs[p]), values[p]) :
				    !scalar_eq(in->provider, tfstate_attr(in, attrs[p]), values[p]))
					break;
			if (p < npairs)
				continue;
			if (n < max && out != NULL)
				out[n] = in;
			n++;
		}
	}
	return n;
}

size_t
state_index_count(const struct state_index *ix)
{
	return ix ? ix->ninst : 0;
}

size_t
state_index_duplicates(const struct state_index *ix, const char *const **notes, size_t *nnotes)
{
	if (notes != NULL)
		*notes = ix != NULL ? (const char *const *)ix->dups : NULL;
	if (nnotes != NULL)
		*nnotes = ix != NULL ? ix->ndups : 0;
	return ix != NULL ? ix->nduplicates : 0;
}

void
state_index_warn_duplicates(const struct state_index *ix, FILE *fp, size_t max)
{
	const char *const *notes;
	size_t n, i;

	state_index_duplicates(ix, &notes, &n);
	for (i = 0; i < n && i < max; i++)
		fprintf(fp, "tfdrift: warning: %s\n", notes[i]);
	if (ix != NULL && ix->nnotes > i)
		fprintf(fp, "tfdrift: warning: %zu more duplicate resource%s not shown\n",
		    ix->nnotes - i, ix->nnotes - i == 1 ? "" : "s");
}

size_t
state_index_nstates(const struct state_index *ix)
{
	return ix ? ix->nstates : 0;
}

const struct tf_state *
state_index_state(const struct state_index *ix, size_t i)
{
	return ix != NULL && i < ix->nstates ? ix->states[i] : NULL;
}
