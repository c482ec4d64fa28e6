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

/*
 * Checks shared by every YAML reader (config, rules, themes, event maps), each mistake with one
 * wording, added at the node with yerr_add:
 *   "WHAT names must be plain strings, not KIND"      a key that is a mapping or a list
 *   "unknown WHAT 'X' (did you mean 'Y'?)"            or "(expected A, B or C)" for a few names
 *   "duplicate WHAT 'X' (first at line N)"            a key given twice
 *   "WHAT must be WANT, not KIND"                     the wrong type of node
 */
/* What a node is, for "not KIND": "a mapping", "a list", "empty" (YAML's null) or "a single
 * value"; "nothing" for NULL. */
const char *ynode_kind(const yaml_node_t *n);
/* A plain empty, ~ or null scalar: YAML's null (0 for NULL). */
int ynode_is_null(const yaml_node_t *n);
/* "unknown WHAT 'KEY' ..." at n, naming the nearest of names when it looks like a typo. */
void yerr_unknown(char ***errs, size_t *nerrs, const struct ydoc *d, const yaml_node_t *n,
    const char *what, const char *key, const char *const *names, size_t nnames);
/* "WHAT must be WANT, not KIND" at n. */
void yerr_type(char ***errs, size_t *nerrs, const struct ydoc *d, const yaml_node_t *n,
    const char *what, const char *want);
/* A mapping's key k, for a loop that reads each: its index in names, or -1 after an error
 * (not a plain string, unknown, or given before). first[] has nnames entries, zeroed before
 * the loop; it keeps the first key of each name, so repeats cost no search. */
int ykey_index(char ***errs, size_t *nerrs, const struct ydoc *d, yaml_node_t *k,
    const char *what, const char *const *names, size_t nnames, yaml_node_t **first);
/* Every key of map: plain strings, among names and each once.
 * Returns the number of errors added. */
size_t ycheck_keys(char ***errs, size_t *nerrs, struct ydoc *d, yaml_node_t *map,
    const char *what, const char *const *names, size_t nnames);

#endif
