/* yamlutil: load a YAML document with libyaml's document API and read it with positions,
 * so config and event-map errors can say file:line:column. */
#ifndef TFDRIFT_YAMLUTIL_H
#define TFDRIFT_YAMLUTIL_H

#include <stddef.h>
#include <yaml.h>

struct ydoc {
	yaml_document_t doc;
	char *name;          /* file name for messages */
	int loaded;
};

/* 0 on success; -1 with *err "file:line:column: syntax error: ..." */
int ydoc_load_mem(struct ydoc *d, const char *name, const char *buf, size_t len, char **err);
void ydoc_free(struct ydoc *d);
yaml_node_t *ydoc_root(struct ydoc *d);          /* NULL for an empty document */

static inline int ynode_is_map(const yaml_node_t *n) { return n && n->type == YAML_MAPPING_NODE; }
static inline int ynode_is_seq(const yaml_node_t *n) { return n && n->type == YAML_SEQUENCE_NODE; }
static inline int ynode_is_scalar(const yaml_node_t *n) { return n && n->type == YAML_SCALAR_NODE; }
/* Scalar text (NUL-terminated by libyaml), or NULL if not a scalar. */
const char *ynode_str(const yaml_node_t *n);
int ynode_line(const yaml_node_t *n);            /* 1-based */
int ynode_col(const yaml_node_t *n);             /* 1-based */
/* Mapping iteration: i from 0 while ymap_pair(...) returns 1. */
int ymap_pair(struct ydoc *d, yaml_node_t *map, size_t i, yaml_node_t **key, yaml_node_t **val);
yaml_node_t *ymap_get(struct ydoc *d, yaml_node_t *map, const char *key);
size_t yseq_len(const yaml_node_t *seq);
yaml_node_t *yseq_get(struct ydoc *d, yaml_node_t *seq, size_t i);
/* Parse booleans the YAML 1.1 / 1.2 way (true/false/yes/no/on/off). 0 ok. */
int yscalar_bool(const char *s, int *out);
/* Append "name:line:col: msg" to a heap array of messages. */
void yerr_add(char ***errs, size_t *nerrs, const struct ydoc *d, const yaml_node_t *n,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The same at a line and column of d's file (tf_locf). */
void yerr_add_at(char ***errs, size_t *nerrs, const struct ydoc *d, int line, int col,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
void yerrs_free(char **errs, size_t nerrs);

#endif
