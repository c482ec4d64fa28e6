/* yamlutil: thin glue over libyaml's document API with positions for messages. */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"
#include "yamlutil.h"

int
ydoc_load_mem(struct ydoc *d, const char *name, const char *buf, size_t len, char **err)
{
	yaml_parser_t p;

	memset(d, 0, sizeof *d);
	d->name = xstrdup(name);
	/* libyaml fails these for want of memory too: that is fatal, as in xmalloc, never a
	 * "syntax error" blamed on the file. libyaml 0.2.5 does not always say so: some failed
	 * allocations in its composer return failure with no error set (tests/torture), and a
	 * real syntax error always sets one. */
	if (!yaml_parser_initialize(&p))
		tf_fatal("out of memory (starting the YAML parser for %s)", name);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &d->doc)) {
		if (p.error == YAML_MEMORY_ERROR || p.error == YAML_NO_ERROR)
			tf_fatal("out of memory (reading %s)", name);
		tf_err_at(err, name, (unsigned long long)p.problem_mark.line + 1,
		    (unsigned long long)p.problem_mark.column + 1, "YAML syntax error: %s%s%s",
		    p.problem ? p.problem : "unknown problem",
		    p.context ? " " : "", p.context ? p.context : "");
		yaml_parser_delete(&p);
		return -1;
	}
	d->loaded = 1;
	yaml_parser_delete(&p);
	return 0;
}

void
ydoc_free(struct ydoc *d)
{
	if (d->loaded)
		yaml_document_delete(&d->doc);
	free(d->name);
	memset(d, 0, sizeof *d);
}

yaml_node_t *
ydoc_root(struct ydoc *d)
{
	return d->loaded ? yaml_document_get_root_node(&d->doc) : NULL;
}

const char *
ynode_str(const yaml_node_t *n)
{
	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return NULL;
	return (const char *)n->data.scalar.value;
}

int
ynode_line(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

int
ynode_col(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.column + 1 : 0;
}

int
ymap_pair(struct ydoc *d, yaml_node_t *map, size_t i, yaml_node_t **key, yaml_node_t **val)
{
	yaml_node_pair_t *pr;

	if (!ynode_is_map(map))
		return 0;
	pr = map->data.mapping.pairs.start + i;
	if (pr >= map->data.mapping.pairs.top)
		return 0;
	*key = yaml_document_get_node(&d->doc, pr->key);
	*val = yaml_document_get_node(&d->doc, pr->value);
	return 1;
}

yaml_node_t *
ymap_get(struct ydoc *d, yaml_node_t *map, const char *key)
{
	yaml_node_t *k, *v;
	size_t i;

	for (i = 0; ymap_pair(d, map, i, &k, &v); i++) {
		const char *s = ynode_str(k);

		if (s != NULL && strcmp(s, key) == 0)
			return v;
	}
	return NULL;
}

size_t
yseq_len(const yaml_node_t *seq)
{
	if (!ynode_is_seq(seq))
		return 0;
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *
yseq_get(struct ydoc *d, yaml_node_t *seq, size_t i)
{
	if (i >= yseq_len(seq))
		return NULL;
	return yaml_document_get_node(&d->doc, seq->data.sequence.items.start[i]);
}

int
yscalar_bool(const char *s, int *out)
{
	static const char *t[] = { "true", "yes", "on", "y" };
	static const char *f[] = { "false", "no", "off", "n" };
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < TF_ARRLEN(t); i++) {
		if (strcasecmp(s, t[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, f[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

void
yerr_add(char ***errs, size_t *nerrs, const struct ydoc *d, const yaml_node_t *n,
    const char *fmt, ...)
{
	va_list ap;

	*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
	va_start(ap, fmt);
	(*errs)[(*nerrs)++] = tf_vlocf(d->name, (unsigned long long)ynode_line(n),
	    (unsigned long long)ynode_col(n), fmt, ap);
	va_end(ap);
}

void
yerr_add_at(char ***errs, size_t *nerrs, const struct ydoc *d, int line, int col,
    const char *fmt, ...)
{
	va_list ap;

	*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
	va_start(ap, fmt);
	(*errs)[(*nerrs)++] = tf_vlocf(d->name, line > 0 ? (unsigned long long)line : 0,
	    col > 0 ? (unsigned long long)col : 0, fmt, ap);
	va_end(ap);
}

const char *
ynode_kind(const yaml_node_t *n)
{
	if (n == NULL)
		return "nothing";
	if (ynode_is_map(n))
		return "a mapping";
	if (ynode_is_seq(n))
		return "a list";
	if (ynode_is_null(n))
		return "empty";
	return "a single value";
}

int
ynode_is_null(const yaml_node_t *n)
{
	const char *s = ynode_str(n);

	if (s == NULL || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* "a, b, c or d" (heap). */
static char *
yword_list(const char *const *w, size_t n)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (i > 0)
			sb_adds(&sb, i + 1 == n ? " or " : ", ");
		sb_adds(&sb, w[i]);
	}
	return sb_detach(&sb);
}

/* Up to this many names are listed after an unknown one with no near miss. */
#define YNAMES_LISTED 20

void
yerr_unknown(char ***errs, size_t *nerrs, const struct ydoc *d, const yaml_node_t *n,
    const char *what, const char *key, const char *const *names, size_t nnames)
{
	const char *m = tf_near_miss(key, names, nnames);
	char *all;

	if (m != NULL)
		yerr_add(errs, nerrs, d, n, "unknown %s '%s' (did you mean '%s'?)", what, key, m);
	else if (nnames > 0 && nnames <= YNAMES_LISTED) {
		all = yword_list(names, nnames);
		yerr_add(errs, nerrs, d, n, "unknown %s '%s' (expected %s)", what, key, all);
		free(all);
	} else
		yerr_add(errs, nerrs, d, n, "unknown %s '%s'", what, key);
}

void
yerr_type(char ***errs, size_t *nerrs, const struct ydoc *d, const yaml_node_t *n,
    const char *what, const char *want)
{
	yerr_add(errs, nerrs, d, n, "%s must be %s, not %s", what, want, ynode_kind(n));
}

/* A mapping key: its text, or NULL after "WHAT names must be plain strings, not KIND". */
static const char *
ykey_str(char ***errs, size_t *nerrs, const struct ydoc *d, const yaml_node_t *k,
    const char *what)
{
	const char *s = ynode_str(k);

	if (s == NULL)
		yerr_add(errs, nerrs, d, k, "%s names must be plain strings, not %s", what,
		    ynode_kind(k));
	return s;
}

static void
err_repeated(char ***errs, size_t *nerrs, const struct ydoc *d, const yaml_node_t *k,
    const yaml_node_t *first, const char *what)
{
	yerr_add(errs, nerrs, d, k, "duplicate %s '%s' (first at line %d)", what, ynode_str(k),
	    ynode_line(first));
}

int
ykey_index(char ***errs, size_t *nerrs, const struct ydoc *d, yaml_node_t *k,
    const char *what, const char *const *names, size_t nnames, yaml_node_t **first)
{
	const char *s;
	size_t j;

	if ((s = ykey_str(errs, nerrs, d, k, what)) == NULL)
		return -1;
	for (j = 0; j < nnames; j++)
		if (strcmp(s, names[j]) == 0)
			break;
	if (j == nnames) {
		yerr_unknown(errs, nerrs, d, k, what, s, names, nnames);
		return -1;
	}
	if (first[j] != NULL) {
		err_repeated(errs, nerrs, d, k, first[j], what);
		return -1;
	}
	first[j] = k;
	return (int)j;
}

size_t
ycheck_keys(char ***errs, size_t *nerrs, struct ydoc *d, yaml_node_t *map, const char *what,
    const char *const *names, size_t nnames)
{
	yaml_node_t *k, *v, **first;
	size_t i, before = *nerrs;

	/* The first key of each name: a repeat is found without comparing every pair of keys
	 * (a 4 MiB file can hold a mapping of 100,000). */
	first = xcalloc(nnames + 1, sizeof *first);
	for (i = 0; ymap_pair(d, map, i, &k, &v); i++)
		ykey_index(errs, nerrs, d, k, what, names, nnames, first);
	free(first);
	return *nerrs - before;
}

void
yerrs_free(char **errs, size_t nerrs)
{
	size_t i;

	for (i = 0; i < nerrs; i++)
		free(errs[i]);
	free(errs);
}
