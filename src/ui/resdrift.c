/* resdrift: drift per resource (the net of its open findings against state) and findings per
 * actor session. No curses: the Resources view and the Findings view's grouping draw them. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resdrift.h"
#include "store.h"
#include "util.h"
#include "value.h"

#define MAX_ACTORS 5            /* names in a resource's actors, then "…" */
#define SHORT_VALUE 48          /* bytes of a value in a one-line diff, then "…" */

int
resdrift_is_open(const struct finding *f)
{
	return f->status == ST_OPEN || f->status == ST_ACKNOWLEDGED;
}

const char *
resdrift_actor(const struct finding *f)
{
	return f->actor.name ? f->actor.name : f->actor.principal ? f->actor.principal : "?";
}

static int
strcmp0(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "");
}

/* A value for a one-line diff: strings bare, the rest as compact JSON; long ones cut at a
 * character boundary with an ellipsis. */
static void
add_value(struct strbuf *sb, json_object *v)
{
	char *s;
	size_t k;

	if (v == NULL) {
		sb_adds(sb, "(none)");
		return;
	}
	if (json_object_is_type(v, json_type_string) && json_object_get_string_len(v) == 0) {
		sb_adds(sb, "\"\"");
		return;
	}
	s = json_object_is_type(v, json_type_string) ? xstrdup(json_object_get_string(v)) :
	    val_to_string(v);
	if (strlen(s) > SHORT_VALUE) {
		k = SHORT_VALUE - 3;
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		sb_add(sb, s, k);
		sb_adds(sb, "\u2026");
	} else
		sb_adds(sb, s);
	free(s);
}

/* One attribute (member NULL) or one set member of the net diff. */
struct ent {
	const char *attr;
	char *member;           /* set changes: the member's text (heap); NULL: a value change */
	json_object *from, *to; /* value changes: state's value and the newest (borrowed) */
	int net;                /* set changes: +1 per add, -1 per removal */
	int sensitive, unknown;
	int seen;               /* value changes: from is set */
};

static struct ent *
ent_find(struct ent **v, size_t *n, size_t *cap, const char *attr, const char *member)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (((*v)[i].member == NULL) == (member == NULL) && strcmp((*v)[i].attr, attr) == 0 &&
		    strcmp0((*v)[i].member, member) == 0)
			return &(*v)[i];
	if (*n == *cap)
		*v = xreallocarray(*v, *cap = *cap ? *cap * 2 : 8, sizeof **v);
	memset(&(*v)[*n], 0, sizeof **v);
	(*v)[*n].attr = attr;
	(*v)[*n].member = member != NULL ? xstrdup(member) : NULL;
	return &(*v)[(*n)++];
}

char *
resdrift_net_diff(const struct finding *const *v, size_t n)
{
	struct strbuf sb;
	struct ent *e = NULL;
	size_t ne = 0, cap = 0, i, j;
	int deleted = 0, unmanaged = 0;
	const char *freeze = NULL;

	for (i = 0; i < n; i++) {
		const struct finding *f = v[i];

		if (!resdrift_is_open(f))
			continue;
		deleted |= f->kind == FK_DELETED;
		unmanaged |= f->kind == FK_UNMANAGED;
		if (f->kind == FK_FREEZE_VIOLATION && f->nchanges == 0 && freeze == NULL)
			freeze = f->freeze_name != NULL ? f->freeze_name : "";
		for (j = 0; j < f->nchanges; j++) {
			const struct change *c = &f->changes[j];
			struct ent *x;
			char *m;

			if (c->attribute == NULL)
				continue;
			if (c->change == CH_MODIFIED) {
				x = ent_find(&e, &ne, &cap, c->attribute, NULL);
				if (!x->seen)
					x->from = c->old_val;   /* the first finding holds state's value */
				x->seen = 1;
				x->to = c->new_val;
				x->sensitive |= c->sensitive;
				x->unknown = c->unknown_new;
				continue;
			}
			/* A set member: its text pairs an add with a later removal. A masked one
			 * cannot be paired and stays as it is. */
			m = c->sensitive ? xasprintf("(sensitive)#%zu.%zu", i, j) :
			    val_to_string(c->change == CH_ADDED ? c->new_val : c->old_val);
			x = ent_find(&e, &ne, &cap, c->attribute, m);
			free(m);
			x->net += c->change == CH_ADDED ? 1 : -1;
			x->sensitive |= c->sensitive;
			if (x->from == NULL)
				x->from = c->change == CH_ADDED ? c->new_val : c->old_val;
		}
	}
	sb_init(&sb);
	if (deleted)
		sb_adds(&sb, "deleted");
	if (unmanaged)
		sb_addf(&sb, "%sunmanaged", sb.len ? "; " : "");
	if (freeze != NULL)
		sb_addf(&sb, "%schanged during freeze%s%s", sb.len ? "; " : "", *freeze ? " " : "",
		    freeze);
	for (i = 0; i < ne; i++) {
		struct ent *x = &e[i];

		if (x->member != NULL) {
			if (x->net == 0)
				continue;
			sb_addf(&sb, "%s%s %s", sb.len ? "; " : "", x->attr, x->net > 0 ? "+" : "-");
			if (x->sensitive)
				sb_adds(&sb, "(sensitive)");
			else
				add_value(&sb, x->from);
			continue;
		}
		if (x->sensitive) {
			sb_addf(&sb, "%s%s changed (sensitive)", sb.len ? "; " : "", x->attr);
			continue;
		}
		if (x->unknown) {
			sb_addf(&sb, "%s%s changed", sb.len ? "; " : "", x->attr);
			continue;
		}
		if (val_equal(x->from, x->to))
			continue;       /* set back: no net change */
		sb_addf(&sb, "%s%s ", sb.len ? "; " : "", x->attr);
		add_value(&sb, x->from);
		sb_adds(&sb, " \u2192 ");
		add_value(&sb, x->to);
	}
	for (i = 0; i < ne; i++)
		free(e[i].member);
	free(e);
	return sb_detach(&sb);
}

static int
res_cmp(const void *a, const void *b)
{
	return strcmp(((const struct resdrift *)a)->key, ((const struct resdrift *)b)->key);
}

/* The actors of open findings g[0..n) (oldest first): distinct, newest first. */
static char *
actors_of(const struct finding *const *g, size_t n)
{
	const char *names[MAX_ACTORS];
	size_t nn = 0, i, k;
	int more = 0;
	struct strbuf sb;

	for (i = n; i-- > 0;) {
		const char *a;

		if (!resdrift_is_open(g[i]))
			continue;
		a = resdrift_actor(g[i]);
		for (k = 0; k < nn && strcmp(names[k], a) != 0; k++)
			;
		if (k < nn)
			continue;
		if (nn == MAX_ACTORS) {
			more = 1;
			break;
		}
		names[nn++] = a;
	}
	sb_init(&sb);
	for (k = 0; k < nn; k++)
		sb_addf(&sb, "%s%s", k ? ", " : "", names[k]);
	if (more)
		sb_adds(&sb, ", \u2026");
	return sb_detach(&sb);
}

/* Findings are grouped by key in a hash table (no sort of them all: a million findings take
 * a few hundred milliseconds, not seconds); each drifted resource's findings are then put in
 * time order, and the resources in key order. */
size_t
resdrift_build(const struct finding *const *all, size_t n, struct resdrift **out)
{
	return resdrift_build_lazy(all, n, out, NULL);
}

size_t
resdrift_build_lazy(const struct finding *const *all, size_t n, struct resdrift **out,
    const struct resdrift_loader *ld)
{
	int *took;
	const char **key = xreallocarray(NULL, n + 1, sizeof *key);
	char **owned = xreallocarray(NULL, n + 1, sizeof *owned);
	size_t *next = xreallocarray(NULL, n + 1, sizeof *next);    /* the group's next finding */
	size_t *head = NULL, *count = NULL, *nopen = NULL, *slot, cap, mask, ng = 0, i, j, k;
	const struct finding **g = NULL;
	struct resdrift *r = NULL;
	size_t nr = 0, rcap = 0, gcap = 0, maxg = 0;

	for (cap = 64; cap < (n + 1) * 2; cap *= 2)
		;
	mask = cap - 1;
	slot = xcalloc(cap, sizeof *slot);      /* group index + 1, 0 empty */
	for (i = 0; i < n; i++) {
		const struct finding *f = all[i];

		owned[i] = NULL;
		next[i] = (size_t)-1;
		if (f->address != NULL)
			key[i] = f->address;
		else if (f->resource_id != NULL)
			key[i] = owned[i] = store_resource_key(f);
		else {
			key[i] = NULL;  /* a freeze violation on nothing in particular */
			continue;
		}
		for (j = (size_t)tf_hash_str(key[i]) & mask; slot[j] != 0; j = (j + 1) & mask)
			if (strcmp(key[head[slot[j] - 1]], key[i]) == 0)
				break;
		if (slot[j] == 0) {
			if (ng == gcap) {
				gcap = gcap ? gcap * 2 : 64;
				head = xreallocarray(head, gcap, sizeof *head);
				count = xreallocarray(count, gcap, sizeof *count);
				nopen = xreallocarray(nopen, gcap, sizeof *nopen);
			}
			head[ng] = i;
			count[ng] = 0;
			nopen[ng] = 0;
			slot[j] = ++ng;
		} else {
			k = slot[j] - 1;
			next[i] = head[k];      /* newest arrival first; sorted below */
			head[k] = i;
		}
		k = slot[j] - 1;
		count[k]++;
		nopen[k] += resdrift_is_open(f);
		if (count[k] > maxg)
			maxg = count[k];
	}
	g = xreallocarray(NULL, maxg + 1, sizeof *g);
	took = ld != NULL ? xreallocarray(NULL, maxg + 1, sizeof *took) : NULL;
	for (k = 0; k < ng; k++) {
		struct resdrift *x;
		size_t m = 0;

		if (nopen[k] == 0)
			continue;
		for (i = head[k]; i != (size_t)-1; i = next[i])
			g[m++] = all[i];
		qsort(g, m, sizeof *g, finding_time_cmp);   /* the order they net in */
		if (nr == rcap)
			r = xreallocarray(r, rcap = rcap ? rcap * 2 : 16, sizeof *r);
		x = &r[nr++];
		memset(x, 0, sizeof *x);
		x->key = xstrdup(key[head[k]]);
		x->nfindings = m;
		x->nopen = nopen[k];
		x->worst = -1;
		for (i = 0; i < m; i++)
			if (resdrift_is_open(g[i])) {
				if (x->since_ms == 0 || g[i]->event_time_ms < x->since_ms)
					x->since_ms = g[i]->event_time_ms;
				if ((int)g[i]->severity > x->worst)
					x->worst = (int)g[i]->severity;
			}
		x->newest = g[m - 1];
		x->last_ms = x->newest->event_time_ms;
		x->actors = actors_of(g, m);
		if (ld != NULL)
			for (i = 0; i < m; i++)
				took[i] = resdrift_is_open(g[i]) && ld->load(ld->ctx, g[i]);
		x->diff = resdrift_net_diff(g, m);
		if (ld != NULL)
			for (i = 0; i < m; i++)
				if (took[i])
					ld->unload(ld->ctx, g[i]);
	}
	if (nr > 1)
		qsort(r, nr, sizeof *r, res_cmp);
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(owned);
	free(key);
	free(next);
	free(slot);
	free(head);
	free(count);
	free(nopen);
	free(g);
	free(took);
	*out = r;
	return nr;
}

void
resdrift_free(struct resdrift *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].actors);
		free(v[i].diff);
	}
	free(v);
}

/* Same actor session: the same identity (principal, else name), role and role session. */
static int
same_session(const struct finding *a, const struct finding *b)
{
	const char *ia = a->actor.principal ? a->actor.principal : a->actor.name;
	const char *ib = b->actor.principal ? b->actor.principal : b->actor.name;

	if (ia == NULL || ib == NULL)
		return 0;       /* nobody known: never one session */
	return strcmp(ia, ib) == 0 && strcmp0(a->actor.role, b->actor.role) == 0 &&
	    strcmp0(a->actor.session, b->actor.session) == 0;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t
count_resources(const struct finding *const *v, const size_t *rows, size_t n)
{
	char **keys = xreallocarray(NULL, n + 1, sizeof *keys);
	size_t nk = 0, i, d = 0;

	for (i = 0; i < n; i++)
		if ((keys[nk] = store_resource_key(v[rows[i]])) != NULL)
			nk++;
	if (nk > 1)
		qsort(keys, nk, sizeof *keys, str_cmp);
	for (i = 0; i < nk; i++)
		d += i == 0 || strcmp(keys[i], keys[i - 1]) != 0;
	for (i = 0; i < nk; i++)
		free(keys[i]);
	free(keys);
	return d;
}

size_t
resdrift_sessions(const struct finding *const *v, const size_t *rows, size_t nrows,
    int64_t gap_ms, struct resdrift_session **out)
{
	struct resdrift_session *s = NULL;
	size_t ns = 0, cap = 0, i, j, m;

	for (i = 0; i < nrows; i = j) {
		const struct finding *f = v[rows[i]];

		for (j = i + 1; j < nrows; j++) {
			const struct finding *p = v[rows[j - 1]], *q = v[rows[j]];
			int64_t d = q->event_time_ms - p->event_time_ms;

			if (!same_session(f, q) || d > gap_ms || -d > gap_ms)
				break;
		}
		if (j - i < 2)
			continue;
		if (ns == cap)
			s = xreallocarray(s, cap = cap ? cap * 2 : 16, sizeof *s);
		s[ns].first = i;
		s[ns].n = j - i;
		s[ns].from_ms = s[ns].to_ms = f->event_time_ms;
		for (m = i; m < j; m++) {
			int64_t t = v[rows[m]]->event_time_ms;

			if (t < s[ns].from_ms)
				s[ns].from_ms = t;
			if (t > s[ns].to_ms)
				s[ns].to_ms = t;
		}
		s[ns].nresources = count_resources(v, rows + i, j - i);
		ns++;
	}
	*out = s;
	return ns;
}

char *
resdrift_session_label(const struct finding *any, const struct resdrift_session *s)
{
	int64_t d = s->to_ms - s->from_ms;
	char span[48];

	if (d < 1000)
		snprintf(span, sizeof span, "within a second");
	else if (d < 60000)
		snprintf(span, sizeof span, "in %lld s", (long long)(d / 1000));
	else if (d < 3600000)
		snprintf(span, sizeof span, "in %lld min", (long long)((d + 30000) / 60000));
	else
		snprintf(span, sizeof span, "in %lld h %lld min", (long long)(d / 3600000),
		    (long long)(d % 3600000 / 60000));
	return xasprintf("%s: %zu change%s on %zu resource%s %s", resdrift_actor(any), s->n,
	    s->n == 1 ? "" : "s", s->nresources, s->nresources == 1 ? "" : "s", span);
}
