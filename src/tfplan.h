/* tfplan: read `terraform show -json` output of a plan (format 1.x) for its resource_drift:
 * which managed resources changed outside Terraform, and which attributes, named the way
 * findings name them (dotted paths: instance_type, tags.Name, metadata_options.0.http_tokens).
 * The drifted objects' `before` values become a Terraform state (tfstate.h), so the detector's
 * state index can find them by id, ARN or self link like any managed resource.
 *
 * Pure parsing, no shared state: any thread. */
#ifndef TFDRIFT_TFPLAN_H
#define TFDRIFT_TFPLAN_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "tfstate.h"

/* What Terraform saw happen to a drifted object. */
enum tfplan_action { TPA_UPDATE = 0, TPA_DELETE, TPA_CREATE, TPA_OTHER };
const char *tfplan_action_name(enum tfplan_action a);   /* update delete create other */

/* One changed attribute. Values are the plan's, unmasked: print them only through
 * `sensitive`. */
struct tfplan_change {
	char *path;             /* dotted attribute path; NULL: the whole object (deleted) */
	json_object *before;    /* owned reference; NULL when null or absent */
	json_object *after;
	int sensitive;          /* before_sensitive / after_sensitive, or a secret's name */
};

struct tfplan_resource {
	char *address;          /* module.net.aws_vpc.main["a"] */
	char *type, *name, *provider_name;
	char *deposed;          /* deposed object key, or NULL */
	enum tfplan_action action;
	json_object *before, *after;    /* owned references (NULL: null) */
	struct tfplan_change *changes;
	size_t nchanges;
	/* The object as a state instance: `before` (after for a create) with the sensitive
	 * paths of before_sensitive and after_sensitive, in tfplan.before_state; and `after`
	 * likewise in after_state. NULL when the entry has no such object. */
	const struct tf_instance *before_inst, *after_inst;
};

struct tf_plan {
	char *source;
	char *format_version;
	char *terraform_version;
	int64_t timestamp_ms;   /* when the plan was made (format 1.2's timestamp), 0: unknown */
	int has_drift;          /* the document has a resource_drift member */
	struct tfplan_resource *res;    /* resource_drift entries of managed resources, in order */
	size_t nres;
	size_t nskipped;        /* entries that are not managed resources (data sources) */
	size_t nunchanged;      /* updates whose before and after values are equal: left out */
	/* Owned until taken (tfplan_take_before_state); their instances stay where they are. */
	struct tf_state *before_state;
	struct tf_state *after_state;
};

/*
 * Parse a plan from memory. `source` names it in messages. On error -1 with *err saying
 * where and what: "p.json:3:7: invalid JSON: unexpected end of data",
 * "p.json: format_version 2.0 is not supported (this tfdrift reads 1.x)", "p.json: a state,
 * not a plan: ...". A plan without resource_drift is not an error (has_drift 0).
 */
int tfplan_parse(const char *buf, size_t len, const char *source, struct tf_plan **out,
    char **err);
int tfplan_load_file(const char *path, struct tf_plan **out, char **err);
/* The before state, for state_index_build (which owns it from then on); the instances the
 * resources point to live as long as that index. */
struct tf_state *tfplan_take_before_state(struct tf_plan *p);
void tfplan_free(struct tf_plan *p);

#endif
