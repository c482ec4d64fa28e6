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

void
yerrs_free(char **errs, size_t nerrs)
{
	size_t i;

	for (i = 0; i < nerrs; i++)
		free(errs[i]);
	free(errs);
}
