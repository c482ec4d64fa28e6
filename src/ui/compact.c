/* compact: interned strings and compact findings for the dashboard's model (compact.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "compact.h"
#include "util.h"

#define CHUNK (256 * 1024)

/* ---- the string pool ---- */

void
strpool_free(struct strpool *p)
{
	size_t i;

	for (i = 0; i < p->nchunks; i++)
		free(p->chunks[i]);
	free(p->chunks);
	free(p->slot);
	free(p->byid);
	free(p->rules);
	memset(p, 0, sizeof *p);
}

/* n bytes from the current chunk (a new one when it is short; a string too long for a
 * chunk gets one of its own). */
static char *
pool_take(struct strpool *p, size_t n)
{
	char *c;

	n = (n + 7) & ~(size_t)7;       /* everything taken stays 8-aligned */
	if (n > p->left) {
		size_t sz = n > CHUNK / 4 ? n : CHUNK;

		c = xmalloc(sz);
		p->chunks = xreallocarray(p->chunks, p->nchunks + 1, sizeof *p->chunks);
		p->chunks[p->nchunks++] = c;
		p->bytes += sz;
		if (sz != CHUNK)
			return c;
		p->cur = c;
		p->left = sz;
	}
	c = p->cur;
	p->cur += n;
	p->left -= n;
	return c;
}

static void
pool_grow(struct strpool *p)
{
	size_t cap = p->cap ? p->cap * 2 : 1024, i, j;
	const char **slot = xcalloc(cap, sizeof *slot);

	for (i = 0; i < p->cap; i++) {
		if (p->slot[i] == NULL)
			continue;
		for (j = (size_t)tf_hash_str(p->slot[i]) & (cap - 1); slot[j] != NULL; j = (j + 1) & (cap - 1))
			;
		slot[j] = p->slot[i];
	}
	free(p->slot);
	p->slot = slot;
	p->cap = cap;
}

const char *
strpool_intern(struct strpool *p, const char *s)
{
	size_t j, len;
	uint32_t id;
	char *c;

	if (s == NULL)
		return NULL;
	if (2 * (p->n + 1) > p->cap)
		pool_grow(p);
	for (j = (size_t)tf_hash_str(s) & (p->cap - 1); p->slot[j] != NULL; j = (j + 1) & (p->cap - 1))
		if (strcmp(p->slot[j], s) == 0)
			return p->slot[j];
	len = strlen(s);
	c = pool_take(p, sizeof id + len + 1);
	id = (uint32_t)p->n;
	memcpy(c, &id, sizeof id);      /* (strpool_id reads it) */
	memcpy(c + sizeof id, s, len + 1);
	if (p->n == p->byid_cap) {
		p->byid_cap = p->byid_cap ? p->byid_cap * 2 : 256;
		p->byid = xreallocarray(p->byid, p->byid_cap, sizeof *p->byid);
	}
	p->byid[p->n++] = c + sizeof id;
	p->slot[j] = c + sizeof id;
	return c + sizeof id;
}

/* ---- compact findings ---- */

/* The one allocation: this header, the changes, the rules, the rules' remediation pointers,
 * then the finding's own strings and the values' JSON text. */
struct slim {
	struct finding f;
	uint32_t venc : 31;             /* where [tags, old0, new0, ...] is (from s), 0 none */
	uint32_t loaded : 1;
};

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

/* The rules of a finding, kept once per distinct content in the pool (they repeat: the
 * same rules match the same kinds of change). */
static struct finding_rule *
pool_rules(struct strpool *p, const struct finding_rule *r, size_t n)
{
	struct strbuf key;
	struct finding_rule *c;
	const char *k;
	uint32_t id;
	size_t i, j;

	if (n == 0)
		return NULL;
	sb_init(&key);
	sb_adds(&key, "\x1erules");
	for (i = 0; i < n; i++) {
		sb_addf(&key, "\x1e%s\x1f%s\x1f%d\x1f%s", r[i].id ? r[i].id : "\x1d",
		    r[i].name ? r[i].name : "\x1d", (int)r[i].severity,
		    r[i].runbook ? r[i].runbook : "\x1d");
		for (j = 0; j < r[i].nremediation; j++)
			sb_addf(&key, "\x1f%s", r[i].remediation[j] ? r[i].remediation[j] : "\x1d");
	}
	k = strpool_intern(p, key.buf);
	sb_free(&key);
	id = strpool_id(k);
	if (id >= p->rules_cap) {
		size_t cap = (size_t)id * 2 + 64;

		p->rules = xreallocarray(p->rules, cap, sizeof *p->rules);
		memset(p->rules + p->rules_cap, 0, (cap - p->rules_cap) * sizeof *p->rules);
		p->rules_cap = cap;
	}
	if (p->rules[id] != NULL)
		return p->rules[id];
	c = (struct finding_rule *)(void *)pool_take(p, n * sizeof *c);
	for (i = 0; i < n; i++) {
		c[i] = r[i];
		c[i].id = (char *)strpool_intern(p, r[i].id);
		c[i].name = (char *)strpool_intern(p, r[i].name);
		c[i].runbook = (char *)strpool_intern(p, r[i].runbook);
		c[i].remediation = NULL;
		if (r[i].nremediation > 0) {
			c[i].remediation = (char **)(void *)pool_take(p,
			    r[i].nremediation * sizeof *c[i].remediation);
			for (j = 0; j < r[i].nremediation; j++)
				c[i].remediation[j] = (char *)strpool_intern(p, r[i].remediation[j]);
		}
	}
	p->rules[id] = c;
	return c;
}

/* Copy s to *at (NULL stays NULL). */
static char *
put_str(char **at, const char *s)
{
	char *r;
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	r = memcpy(*at, s, n);
	*at += n;
	return r;
}

static size_t
len0(const char *s)
{
	return s != NULL ? strlen(s) + 1 : 0;
}

struct finding *
compact_make(struct strpool *p, struct finding *f)
{
	json_object *arr = NULL;
	const char *enc = NULL;
	size_t sz, i, strs;
	struct slim *s;
	struct finding *c;
	char *at;

	if (f->nchanges > 0 || f->tags != NULL) {
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_get(f->tags));
		for (i = 0; i < f->nchanges; i++) {
			const struct change *ch = &f->changes[i];
			const char *a = strpool_intern(p, ch->attribute);

			json_object_array_add(arr, a != NULL ?
			    json_object_new_int64((int64_t)strpool_id(a)) : NULL);
			json_object_array_add(arr, json_object_new_int((int)ch->change));
			json_object_array_add(arr, json_object_new_int(ch->sensitive));
			json_object_array_add(arr, json_object_new_int(ch->unknown_new));
			json_object_array_add(arr, json_object_get(ch->old_val));
			json_object_array_add(arr, json_object_get(ch->new_val));
		}
		enc = json_object_to_json_string_ext(arr, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	strs = len0(f->address) + len0(f->resource_id) + len0(f->summary) + len0(f->event_id) +
	    len0(enc);
	sz = ALIGN8(sizeof *s) + strs;
	if (sz > INT32_MAX)
		tf_fatal("a finding of %zu bytes", sz);
	s = xmalloc(sz);
	c = &s->f;
	*c = *f;                        /* the scalars, and the members kept as they are */
	at = (char *)s + ALIGN8(sizeof *s);
	c->changes = NULL;              /* (nchanges kept: compact_load makes them) */
	c->rules = pool_rules(p, f->rules, f->nrules);
	c->address = put_str(&at, f->address);
	c->resource_id = put_str(&at, f->resource_id);
	c->summary = put_str(&at, f->summary);
	c->event_id = put_str(&at, f->event_id);
	s->venc = enc != NULL ? (uint32_t)(at - (char *)s) : 0;
	(void)put_str(&at, enc);
	s->loaded = 0;
	json_object_put(arr);
	c->tags = NULL;
#define POOL(field) c->field = (char *)strpool_intern(p, f->field)
	POOL(type);
	POOL(module);
	POOL(state_source);
	POOL(state_lineage);
	POOL(actor.principal);
	POOL(actor.name);
	POOL(actor.type);
	POOL(actor.role);
	POOL(actor.session);
	POOL(actor.account);
	POOL(actor.invoked_by);
	POOL(actor.delegation);
	POOL(user_agent);
	POOL(source_ip);
	POOL(event_name);
	POOL(event_source);
	POOL(region);
	POOL(account);
	POOL(event_origin);
#undef POOL
	/* The heap members now belong to the copy. */
	f->resolution = NULL;
	f->triage = NULL;
	f->freeze_name = NULL;
	f->blast = NULL;
	f->history = NULL;
	f->nhistory = 0;
	f->fix = NULL;
	finding_free(f);
	return c;
}

int
compact_loaded(const struct finding *f)
{
	return ((const struct slim *)(const void *)f)->loaded;
}

/* One number of the encoding: the change's members, the attribute's strpool number. */
static int64_t
num_at(json_object *arr, size_t i)
{
	return json_object_get_int64(json_object_array_get_idx(arr, i));
}

int
compact_load(const struct strpool *p, struct finding *f)
{
	struct slim *s = (struct slim *)(void *)f;
	json_object *arr;
	size_t i, k;

	if (s->loaded || s->venc == 0)
		return 0;
	arr = json_tokener_parse((const char *)s + s->venc);
	if (arr == NULL || !json_object_is_type(arr, json_type_array) ||
	    json_object_array_length(arr) != 1 + 6 * f->nchanges) {
		json_object_put(arr);
		return -1;
	}
	f->tags = json_object_get(json_object_array_get_idx(arr, 0));
	if (f->nchanges > 0)
		f->changes = xcalloc(f->nchanges, sizeof *f->changes);
	for (i = 0; i < f->nchanges; i++) {
		struct change *ch = &f->changes[i];
		int64_t a;

		k = 1 + 6 * i;
		a = json_object_array_get_idx(arr, k) != NULL ? num_at(arr, k) : -1;
		ch->attribute = a >= 0 && (size_t)a < p->n ? (char *)p->byid[a] : NULL;
		ch->change = (enum change_kind)num_at(arr, k + 1);
		ch->sensitive = (int)num_at(arr, k + 2);
		ch->unknown_new = (int)num_at(arr, k + 3);
		ch->old_val = json_object_get(json_object_array_get_idx(arr, k + 4));
		ch->new_val = json_object_get(json_object_array_get_idx(arr, k + 5));
	}
	json_object_put(arr);
	s->loaded = 1;
	return 0;
}

void
compact_unload(struct finding *f)
{
	struct slim *s = (struct slim *)(void *)f;
	size_t i;

	if (!s->loaded)
		return;
	json_object_put(f->tags);
	f->tags = NULL;
	for (i = 0; i < f->nchanges && f->changes != NULL; i++) {
		json_object_put(f->changes[i].old_val);
		json_object_put(f->changes[i].new_val);
	}
	free(f->changes);
	f->changes = NULL;
	s->loaded = 0;
}

void
compact_free(struct finding *f)
{
	if (f == NULL)
		return;
	compact_unload(f);
	finding_resolution_free(f->resolution);
	if (f->triage != NULL) {
		free(f->triage->by);
		free(f->triage->note);
		free(f->triage);
	}
	free(f->freeze_name);
	finding_blast_free(f->blast);
	finding_history_clear(f);
	free(f->fix);
	free(f);
}
