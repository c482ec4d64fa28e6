/* enrich: tags, blast radius, history and fix on a finding.
 *
 * The blast radius comes from a reverse-dependency graph over every managed instance of
 * the index's states, built once per index on first use (state_index_derived) and then
 * read-only, so the detector thread and the UI may share it. Terraform records
 * `dependencies` as resource addresses, usually without instance keys
 * (`module.net.aws_subnet.private` stands for every private["a"], ["b"], ...) and without
 * module instance keys; a dependency is matched against each instance's full address, its
 * resource address (no instance key) and its configuration address (no keys at all). When a
 * key-less dependency matches instances in several module instances, those in the
 * dependent's own module instance are taken if there are any. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "text.h"
#include "util.h"
#include "value.h"

/* One lookup name of a node: "<state index>\x1f<address form>". */
struct eg_key {
	char *key;
	uint32_t node;
};

struct enrich_graph {
	const struct tf_instance **inst;        /* node -> instance */
	uint32_t *state;                        /* node -> state index */
	size_t n;
	struct eg_key *keys;                    /* sorted by key, then node */
	size_t nkeys;
	uint32_t *rstart;                       /* node -> its dependents in rdeps[rstart..rstart+1) */
	uint32_t *rdeps;                        /* sorted by the dependents' addresses */
};

static int
key_cmp(const void *a, const void *b)
{
	const struct eg_key *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c != 0 ? c : x->node < y->node ? -1 : x->node > y->node;
}

/* addr without any [...] key (quoted keys may hold brackets); heap. */
static char *
strip_keys(const char *addr)
{
	struct strbuf sb;
	const char *p = addr;

	sb_init(&sb);
	while (*p != '\0') {
		if (*p != '[') {
			sb_add(&sb, p++, 1);
			continue;
		}
		for (p++; *p != '\0' && *p != ']'; p++) {
			if (*p != '"')
				continue;
			for (p++; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\0')
				break;
		}
		if (*p == ']')
			p++;
	}
	return sb_detach(&sb);
}

static void
add_key(struct eg_key **v, size_t *n, size_t *cap, size_t state, const char *form, uint32_t node)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[*n].key = xasprintf("%zu\x1f%s", state, form);
	(*v)[*n].node = node;
	(*n)++;
}

/* The first key equal to `key`, or nkeys. */
static size_t
key_lower(const struct enrich_graph *g, const char *key)
{
	size_t lo = 0, hi = g->nkeys;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(g->keys[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct edge {
	uint32_t to, from;      /* `from` depends on `to` */
	const char *addr;       /* from's address (dependents list in address order) */
};

static int
edge_cmp_addr(const void *a, const void *b)
{
	const struct edge *x = a, *y = b;
	int c;

	if (x->to != y->to)
		return x->to < y->to ? -1 : 1;
	if (x->from == y->from)
		return 0;
	c = strcmp(x->addr, y->addr);
	return c != 0 ? c : x->from < y->from ? -1 : 1;
}

static void
graph_free(void *p)
{
	struct enrich_graph *g = p;
	size_t i;

	if (g == NULL)
		return;
	for (i = 0; i < g->nkeys; i++)
		free(g->keys[i].key);
	free(g->keys);
	free(g->inst);
	free(g->state);
	free(g->rstart);
	free(g->rdeps);
	free(g);
}

static void *
graph_build(const struct state_index *ix)
{
	struct enrich_graph *g = xcalloc(1, sizeof *g);
	struct edge *e = NULL;
	size_t ne = 0, cape = 0, capk = 0, s, i, j, k, ns = state_index_nstates(ix), total = 0;

	for (s = 0; s < ns; s++)
		total += state_index_state(ix, s)->ninst;
	g->inst = xcalloc(total + 1, sizeof *g->inst);
	g->state = xcalloc(total + 1, sizeof *g->state);
	for (s = 0; s < ns; s++) {
		const struct tf_state *st = state_index_state(ix, s);

		for (i = 0; i < st->ninst; i++) {
			const struct tf_instance *in = &st->inst[i];
			char *res, *cfg;
			uint32_t node;

			if (in->deposed != NULL || in->address == NULL)
				continue;       /* a deposed object is on its way out */
			node = (uint32_t)g->n++;
			g->inst[node] = in;
			g->state[node] = (uint32_t)s;
			add_key(&g->keys, &g->nkeys, &capk, s, in->address, node);
			res = in->index_key != NULL &&
			    strlen(in->address) > strlen(in->index_key) + 2 ?
			    xasprintf("%.*s", (int)(strlen(in->address) - strlen(in->index_key) - 2),
			    in->address) : xstrdup(in->address);
			if (strcmp(res, in->address) != 0)
				add_key(&g->keys, &g->nkeys, &capk, s, res, node);
			cfg = strip_keys(res);
			if (strcmp(cfg, res) != 0)
				add_key(&g->keys, &g->nkeys, &capk, s, cfg, node);
			free(cfg);
			free(res);
		}
	}
	if (g->nkeys > 1)
		qsort(g->keys, g->nkeys, sizeof *g->keys, key_cmp);

	/* Edges: each dependency of each node, to the nodes it names. */
	for (i = 0; i < g->n; i++) {
		const struct tf_instance *in = g->inst[i];

		for (j = 0; j < in->ndeps; j++) {
			char *key = xasprintf("%u\x1f%s", g->state[i], in->deps[j]);
			size_t lo = key_lower(g, key), hi, same = 0;

			for (hi = lo; hi < g->nkeys && strcmp(g->keys[hi].key, key) == 0; hi++)
				if (strcmp(g->inst[g->keys[hi].node]->module ? g->inst[g->keys[hi].node]->module : "",
				    in->module ? in->module : "") == 0)
					same++;
			for (k = lo; k < hi; k++) {
				uint32_t to = g->keys[k].node;

				if (to == i)
					continue;
				if (same > 0 && strcmp(g->inst[to]->module ? g->inst[to]->module : "",
				    in->module ? in->module : "") != 0)
					continue;
				if (ne == cape) {
					cape = cape ? cape * 2 : 256;
					e = xreallocarray(e, cape, sizeof *e);
				}
				e[ne].to = to;
				e[ne].addr = in->address;
				e[ne++].from = (uint32_t)i;
			}
			free(key);
		}
	}
	if (ne > 1)
		qsort(e, ne, sizeof *e, edge_cmp_addr);
	/* Compressed rows, duplicates dropped. */
	g->rstart = xcalloc(g->n + 1, sizeof *g->rstart);
	g->rdeps = xcalloc(ne + 1, sizeof *g->rdeps);
	for (i = 0, k = 0; i < ne; i++) {
		if (i > 0 && e[i].to == e[i - 1].to && e[i].from == e[i - 1].from)
			continue;
		g->rdeps[k++] = e[i].from;
		g->rstart[e[i].to + 1]++;
	}
	for (i = 0; i < g->n; i++)
		g->rstart[i + 1] += g->rstart[i];
	free(e);
	return g;
}

const struct enrich_graph *
enrich_graph_get(const struct state_index *ix)
{
	return state_index_derived(ix, graph_build, graph_free);
}

/* Blast radius of one node: breadth first over dependents, each counted once (cycles end). */
static void
radius(const struct enrich_graph *g, uint32_t node, struct blast_radius *b)
{
	unsigned char *seen = xcalloc(g->n + 1, 1);
	uint32_t *queue = xcalloc(g->n + 1, sizeof *queue);
	size_t head = 0, tail = 0, i;

	memset(b, 0, sizeof *b);
	seen[node] = 1;
	queue[tail++] = node;
	b->top = xcalloc(ENRICH_TOP, sizeof *b->top);
	while (head < tail) {
		uint32_t x = queue[head++];

		for (i = g->rstart[x]; i < g->rstart[x + 1]; i++) {
			uint32_t y = g->rdeps[i];

			if (seen[y])
				continue;
			seen[y] = 1;
			queue[tail++] = y;
			if (x == node)
				b->direct++;
			b->total++;
			if (b->ntop < ENRICH_TOP)
				b->top[b->ntop++] = xstrdup(g->inst[y]->address);
		}
	}
	free(queue);
	free(seen);
}

static long
find_node(const struct enrich_graph *g, size_t state, const char *address)
{
	char *key = xasprintf("%zu\x1f%s", state, address);
	size_t k = key_lower(g, key);
	long node = -1;

	/* The full address is the instance's own key; a resource or configuration address
	 * equal to it would be the same instance. */
	for (; k < g->nkeys && strcmp(g->keys[k].key, key) == 0; k++)
		if (strcmp(g->inst[g->keys[k].node]->address, address) == 0) {
			node = (long)g->keys[k].node;
			break;
		}
	free(key);
	return node;
}

int
enrich_graph_radius(const struct enrich_graph *g, size_t state, const char *address,
    struct blast_radius *out)
{
	long node = find_node(g, state, address);

	memset(out, 0, sizeof *out);
	if (node < 0)
		return -1;
	radius(g, (uint32_t)node, out);
	return 0;
}

char *
enrich_fix(const struct finding *f)
{
	struct strbuf sb;

	sb_init(&sb);
	if (f->address != NULL) {
		/* Applying the configuration puts back what was changed or deleted. */
		sb_adds(&sb, "terraform apply -target=");
		text_shell_word(&sb, f->address, 0);
	} else if (f->kind == FK_UNMANAGED && f->resource_id != NULL) {
		char *imp = finding_import_id(f);

		sb_adds(&sb, "terraform import ");
		sb_adds(&sb, f->type != NULL ? f->type : "TYPE");
		sb_adds(&sb, ".NAME ");
		text_shell_word(&sb, imp, 0);
		free(imp);
	} else {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

/* The instance's tags (AWS tags_all, else tags) or labels (GCP), as an object of strings
 * with sensitive values masked; NULL when it has none. */
static json_object *
instance_tags(const struct tf_instance *in)
{
	static const char *const aws[] = { "tags_all", "tags", "labels" };
	static const char *const gcp[] = { "labels", "tags_all", "tags" };
	const char *const *names = in->provider != NULL && strcmp(in->provider, "gcp") == 0 ? gcp : aws;
	json_object *src = NULL, *out;
	const char *attr = NULL;
	size_t i;

	for (i = 0; i < 3; i++) {
		json_object *v = tfstate_attr(in, names[i]);

		if (v != NULL && json_object_is_type(v, json_type_object) &&
		    json_object_object_length(v) > 0) {
			src = v;
			attr = names[i];
			break;
		}
	}
	if (src == NULL)
		return NULL;
	out = json_object_new_object();
	json_object_object_foreach(src, key, val) {
		char *path = xasprintf("%s.%s", attr, key);

		if (tfstate_is_sensitive(in, path))
			json_object_object_add(out, key, json_object_new_string("(sensitive)"));
		else if (json_object_is_type(val, json_type_string))
			json_object_object_add(out, key, json_object_new_string(json_object_get_string(val)));
		else if (val == NULL)
			json_object_object_add(out, key, json_object_new_string(""));
		else {
			char *s = val_to_string(val);

			json_object_object_add(out, key, json_object_new_string(s));
			free(s);
		}
		free(path);
	}
	return out;
}

void
enrich_finding_from_state(const struct state_index *ix, struct finding *f)
{
	const struct enrich_graph *g;
	size_t s, ns;
	long node = -1;

	json_object_put(f->tags);
	f->tags = NULL;
	finding_blast_free(f->blast);
	f->blast = NULL;
	free(f->fix);
	f->fix = enrich_fix(f);
	if (ix == NULL || f->address == NULL)
		return;
	g = enrich_graph_get(ix);
	ns = state_index_nstates(ix);
	/* The state the finding names; without one (or not found), the first that has it. */
	for (s = 0; s < ns && node < 0; s++) {
		const char *src = state_index_state(ix, s)->source;

		if (f->state_source != NULL && (src == NULL || strcmp(src, f->state_source) != 0))
			continue;
		node = find_node(g, s, f->address);
	}
	for (s = 0; s < ns && node < 0; s++)
		node = find_node(g, s, f->address);
	if (node < 0)
		return;
	f->tags = instance_tags(g->inst[node]);
	f->blast = xcalloc(1, sizeof *f->blast);
	radius(g, (uint32_t)node, f->blast);
}

int
enrich_history(struct store *st, struct finding *f, int64_t now_ms, char **err)
{
	char *key = store_resource_key(f);
	int64_t until = f->event_time_ms != 0 ? f->event_time_ms : now_ms;
	int rc;

	finding_history_clear(f);
	if (key == NULL)
		return 0;
	rc = store_history(st, key, until - ENRICH_HISTORY_MS, until, f->id, ENRICH_HISTORY_MAX,
	    &f->history, &f->nhistory, err);
	free(key);
	return rc;
}
