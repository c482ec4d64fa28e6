/* tfstate_int: what the tfstate files share (tfstate.c: entry points and instances;
 * tfstate_flatmap.c: flatmap expansion; tfstate_legacy.c: formats v1..v3; tfstate_fast.c:
 * the v4 fast path); no other module includes it. */
#ifndef TFDRIFT_TFSTATE_INT_H
#define TFDRIFT_TFSTATE_INT_H

#include <stddef.h>
#include <json-c/json.h>
#include "tfstate.h"

#define JSON_MAX_DEPTH	512		/* json_tokener nesting limit */

enum keykind { KEY_NONE, KEY_INT, KEY_STR };

/* An instance being built, with what it sorts by. */
struct pinst {
	struct tf_instance in;
	size_t group;		/* v4: resource ordinal; v3: module ordinal */
	enum keykind kk;
	long long ki;
	char *ks;		/* raw string key, for sorting */
	size_t seq;		/* order seen, the last tie-breaker */
};

struct pctx {
	const char *source;
	const struct tfstate_keep *keep;  /* attribute filter, or NULL */
	struct tf_state *st;
	struct pinst *v;
	size_t n, cap;
};

/* An instance's attributes as the fast path reads them off the text, without a tree: what
 * tfs_finish_inst would have made of them (heap). */
struct tfs_rawattrs {
	char *id;		/* attributes.id, as tfs_finish_inst words it, or NULL */
	char **secrets;		/* paths of secret-named attributes, in tree order */
	size_t nsecrets;
	char *text;		/* the attributes kept, as JSON text */
};

/* The fields of one v4 instance object that matter (borrowed; NULL when absent). */
struct v4inst {
	json_object *index_key, *status, *deposed, *attributes, *attributes_flat;
	json_object *sensitive, *dependencies, *depends_on;
	int has_dependencies;
	struct tfs_rawattrs *raw;	/* attributes read without a tree (then attributes is NULL) */
};

/* ---- tfstate.c ---- */

/* tf_err(err, "SOURCE: what"); returns -1. */
int tfs_perr(struct pctx *p, char **err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A new instance in p (address, provider, index key as Terraform prints them). */
struct pinst *tfs_new_pinst(struct pctx *p, size_t group, const char *module, const char *type,
    const char *name, enum keykind kk, long long ki, const char *ks);
/* Moves an instance made before its resource's "module" was read into that module. */
void tfs_pinst_set_module(struct pinst *pi, const char *module);
/* Appends the string elements of a dependencies array. */
void tfs_set_deps(struct tf_instance *in, json_object *deps);
/* id, secrets and pruning once in->attrs is set; leaves the attributes as text. */
void tfs_finish_inst(struct pctx *p, struct tf_instance *in);
/* The same from attributes read without a tree (r's contents are taken over). */
void tfs_finish_raw(struct tf_instance *in, struct tfs_rawattrs *r);
/* An attribute (or map key) name that holds a secret whatever sensitive_attributes says. */
int tfs_is_secret_name(const char *s, size_t n);
/* Records a sensitive path (taken over) unless one already recorded covers it. */
void tfs_add_sensitive(struct tf_instance *in, char *path);
/* Appends v in decimal ("%lld" without printf: it runs for every instance). */
struct strbuf;
void tfs_add_int(struct strbuf *sb, long long v);
/* A string member, or NULL; a string value, or NULL. */
const char *tfs_jstr(json_object *o, const char *key);
const char *tfs_str_or_null(json_object *o);
/* One v4 instance from its fields (err may be NULL: the fast path words no message). */
int tfs_v4_instance(struct pctx *p, size_t ri, size_t ii, const struct v4inst *f,
    const char *module, const char *type, const char *name, char **err);
struct tf_state *tfs_state_new(const char *source, int version);
/* Sorts the instances into p->st and returns it; p's own memory is freed. */
struct tf_state *tfs_pctx_finish(struct pctx *p);
/* Frees what a failed parse built. */
void tfs_pctx_discard(struct pctx *p);

/* ---- tfstate_flatmap.c ---- */

/* Length of the first dotted segment of s. */
size_t tfs_seg_len(const char *s);
/* Expand a flatmap object ({"tags.%":"1","tags.Name":"x"}) into nested json-c values (an
 * empty object for anything but an object). */
json_object *tfs_flat_expand(json_object *flat);

/* ---- tfstate_legacy.c ---- */

/* Formats v1..v3 (root is the whole document). */
int tfs_parse_v3(struct pctx *p, json_object *root, char **err);

/* ---- tfstate_fast.c ---- */

/* The v4 fast path: 0 with *out set, or -1 to fall back to the whole-document path. */
int tfs_fast_v4(const char *buf, size_t len, const char *source, const struct tfstate_keep *keep,
    struct tf_state **out);

#endif
