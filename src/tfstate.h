/* tfstate: parse Terraform state (format v4; v3 and v1/v2 through the v3 path) into
 * resource instances with Terraform-style addresses. */
#ifndef TFDRIFT_TFSTATE_H
#define TFDRIFT_TFSTATE_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct tf_instance {
	char *address;      /* module.net.aws_security_group.web, aws_instance.batch[1], aws_subnet.s["a"] */
	char *module;       /* "module.net" / "module.a[\"k\"].module.b[0]"; "" at the root */
	char *type;         /* aws_instance */
	char *name;         /* web */
	char *index_key;    /* "1" / "\"a\"" as printed inside [], or NULL */
	char *provider;     /* "aws" for aws_*, "gcp" for google_* / google-beta, else the type prefix (azurerm, github) */
	char *id;           /* attributes.id (or primary.id for v3); may be NULL */
	/* Nested attributes (v3 flatmap is expanded into this form), kept as compact JSON text
	 * and parsed on first use: read them with tfstate_attrs()/tfstate_attr(), never here. */
	char *attrs_text;
	json_object *attrs; /* the parsed tree once used (owned cache), or NULL */
	/* Sensitive paths: each a dotted path of attribute names / map keys / list indexes
	 * ("password", "tags.secret", "ebs_block_device.0.kms_key_id"). Never print values there. */
	char **sensitive;
	size_t nsensitive;
	char **deps;        /* dependencies (addresses of other resources) */
	size_t ndeps;
	int tainted;        /* status == "tainted" */
	char *deposed;      /* deposed key, or NULL for the current object */
	const struct tf_state *state; /* back pointer */
};

struct tf_state {
	char *source;       /* the path or URL it was read from */
	int version;        /* format version as read: 1..4 */
	char *tf_version;   /* terraform_version */
	uint64_t serial;
	char *lineage;
	struct tf_instance *inst;   /* managed resource instances only (data sources are skipped) */
	size_t ninst;
	size_t ndata;               /* data source instances seen (not managed) */
};

/* Parse a state from memory. `source` names it in messages. On error returns -1 with
 * *err like "prod.tfstate:3:7: invalid JSON: unexpected character" or
 * "x.tfstate: encrypted OpenTofu state: run `tofu state pull` with the key configured and scan
 * the output". A zero-length buffer is an error ("empty file"). The buffer need not end in a
 * NUL. *err is freed first if set, so initialize it to NULL. */
int tfstate_parse(const char *buf, size_t len, const char *source, struct tf_state **out, char **err);
int tfstate_load_file(const char *path, struct tf_state **out, char **err);
/* The JSON reader the state parser uses (strict, nesting limit, any size), for other
 * Terraform documents (tfplan.c): the tree, or NULL with *err "SOURCE:LINE:COL: invalid JSON:
 * what" (tf_locf). */
json_object *tfstate_parse_json(const char *buf, size_t len, const char *source, char **err);

/* Which attributes to keep in memory (a 100,000-resource state is mostly attributes nothing
 * compares): fn(ctx, type, top-level attribute name) returns 1 to keep it. id, arn and
 * self_link are always kept, and sensitive paths are recorded before anything is dropped.
 * A NULL filter keeps everything. fn must answer the same for the same (type, attr): it may
 * be asked once per pair. */
struct tfstate_keep {
	int (*fn)(void *ctx, const char *type, const char *attr);
	void *ctx;
};
int tfstate_parse_keep(const char *buf, size_t len, const char *source,
    const struct tfstate_keep *keep, struct tf_state **out, char **err);
int tfstate_load_file_keep(const char *path, const struct tfstate_keep *keep,
    struct tf_state **out, char **err);
/* Test hook: tfstate_parse without its v4 fast path (one json-c tree for the whole document).
 * Both give the same result for every input; tests and the fuzzer compare them. */
int tfstate_parse_tree(const char *buf, size_t len, const char *source, struct tf_state **out,
    char **err);
void tfstate_free(struct tf_state *st);

/* 1 if the dotted attribute path (or any prefix / descendant of it) is sensitive, or a segment
 * of it is a well-known secret name (password, token, private_key, ...: list in tfstate.c).
 * Attributes with those names are also listed in `sensitive` when the state has them. */
int tfstate_is_sensitive(const struct tf_instance *in, const char *path);
/* Attribute value by dotted path ("tags.Name", "ingress"); borrowed; NULL if absent.
 * Thread-safe: the first call parses and caches the instance's attributes. */
json_object *tfstate_attr(const struct tf_instance *in, const char *path);
/* All attributes (borrowed, cached as above). */
json_object *tfstate_attrs(const struct tf_instance *in);
/* The string at an attribute path, as tfstate_attr reads it, into *out (NUL-terminated;
 * out->len counts a \u0000 too): 1, or 0 when it is absent or not a string. Without a
 * cached tree a top-level name is read off the text and nothing is cached (an index build
 * reads a few names of every instance). */
struct strbuf;
int tfstate_attr_str(const struct tf_instance *in, const char *path, struct strbuf *out);
/* The same for n paths at once (one pass over the text): found[i] says whether out[i] holds
 * the string at paths[i]; a NULL path is left out. */
void tfstate_attr_strs(const struct tf_instance *in, const char *const *paths, size_t n,
    struct strbuf *out, int *found);
/* Drop the cached tree again (only while no other thread can read the instance, e.g. while
 * building an index); the text stays, so the next read parses it anew. */
void tfstate_attrs_drop(struct tf_instance *in);

#endif
