/* eventmap: which audit event touches which Terraform resource type and attribute.
 * Data, not code: YAML files under rules/events/ (one per service), loaded and compiled once.
 *
 * File format (see doc/event-maps.md):
 *   provider: aws | gcp
 *   service: ec2.amazonaws.com          # eventSource / serviceName for every entry in the file
 *   events:
 *     - event: ModifyInstanceAttribute  # eventName; GCP method names without v1./beta./alpha.
 *       aliases: [...]                  # other names for the same call (Lambda's versioned names)
 *       resource: aws_instance          # Terraform type; "*" = any type found by the id (tags)
 *       action: modify                  # create | modify | delete | set_add | set_remove
 *       id: [requestParameters.instanceId, responseElements.x]   # tried in order; [] = many
 *       # an element may join several paths: {join: [requestParameters.roleName,
 *       #   requestParameters.policyName], sep: ":"} -> "role:policy" (composite ids)
 *       id_transform: string            # string | basename | gcp_path
 *       state_keys: [identifier]        # state attributes the id may equal (id, arn, self_link
 *                                       # are always indexed); or a template over attributes,
 *                                       # "{log_group_name}:{name}" (ids without the parent)
 *       severity: high                  # default severity of findings from this entry
 *       attributes:
 *         - name: instance_type         # Terraform attribute (dotted for nested: tags.Name)
 *           path: requestParameters.instanceType.value   # or paths: [a, b]
 *           transform: string           # see value.h
 *           state_transform: ...        # optional, when the state side differs
 *           sensitive: false            # never show values (user data, env vars)
 *           computed: false             # a side effect the cloud sets (Lambda last_modified,
 *                                       # version, an etag): never drift, never compared
 *         - name: is_enabled            # a constant the call implies (DisableKey -> false):
 *           value: false                # `value:` instead of path/paths (YAML scalar, typed
 *                                       # by the transform)
 *       when: {path: requestParameters.setAsDefault, equals: true}   # applies only then
 *                                       # (equals may list values: [CREATE, UPSERT])
 *       unless: {path: a.changes[].type, equals: SOA}   # ... and not when this holds
 *       id_via: {resource: aws_kms_alias, attribute: target_key_id}  # an alias stands for
 *                                       # the id its state resource names
 *       each: a.changes[]               # the entry applies to every element of this list alone
 *       id_match: {zone_id: a.zoneId, fqdn: a.changes[].name}   # composite ids: the instance
 *                                       # whose attributes equal these (DNS-folded), shown as
 *       id_format: "{zone_id}_{fqdn}"   # this id (a placeholder without a value drops itself
 *                                       # and the text before it)
 *       covered_by:                     # set_add/set_remove: a separate resource holding the member
 *         resource: aws_iam_role_policy_attachment
 *         match: {role: requestParameters.roleName, policy_arn: requestParameters.policyArn}
 *       deltas: serviceData.policyDelta.bindingDeltas   # GCP IAM: [{action ADD|REMOVE, role,
 *                                       # member}], each a set change (see doc/event-maps.md)
 *       id_prefix: "b/"                 # prepended to the id (the provider's IAM parent id)
 *       id_glob: "folders/?*"           # the entry names only ids of this shape (before
 *                                       # id_transform; fnmatch, * within one segment)
 *       sg_rule:                        # set_add/set_remove: security-group rules as resources
 *         group: requestParameters.groupId      # the group the rules belong to
 *         direction: ingress                    # ingress | egress
 *         rules: [responseElements.securityGroupRuleSet.items, requestParameters.ipPermissions.items]
 * Several entries may name the same event: they are alternatives tried in file order (e.g.
 * aws_s3_bucket.policy and aws_s3_bucket_policy.policy); the first whose resource is in state wins.
 */
#ifndef TFDRIFT_EVENTMAP_H
#define TFDRIFT_EVENTMAP_H

#include <stddef.h>
#include <stdio.h>
#include "event.h"
#include "jpath.h"
#include "value.h"
#include "state_index.h"

enum em_action { EM_CREATE = 0, EM_MODIFY, EM_DELETE, EM_SET_ADD, EM_SET_REMOVE };
const char *em_action_name(enum em_action a);

enum em_id_transform { EMID_STRING = 0, EMID_BASENAME, EMID_GCP_PATH };

struct em_attr {
	char *name;                 /* Terraform attribute path */
	struct jpath **paths;       /* first present wins */
	size_t npaths;
	enum val_transform transform;
	enum val_transform state_transform;   /* = transform unless given */
	int sensitive;
	int computed;               /* a side effect of the call: never drift (detect skips it) */
	int alone;                  /* compared only when no other attribute of the entry is in
	                             * the record (a field logged on every call, as {}) */
	json_object *value;         /* constant new value (`value:`), or NULL; owned */
	int if_in_state;            /* compared only when state holds a value (an optional
	                             * argument the configuration may leave to the cloud) */
	/* `keys: {set: [paths], removed: [paths]}`: the log names the keys of a map it set or
	 * removed but not their values (GCP metadataDelta): each key a change NAME.KEY */
	struct jpath **keys_set, **keys_removed;
	size_t nkeys_set, nkeys_removed;
};

/* A composite id: the values at several paths, each reduced by the entry's id_transform,
 * joined by `sep` ("role:policy"). Every part must name a value. */
struct em_join {
	struct jpath **parts;
	size_t nparts;
	char *sep;
};

struct em_match {
	char *attr;                 /* state attribute of the covering resource */
	struct jpath *path;         /* event path giving the value it must equal */
};

#define EM_MAX_ID_MATCH 8           /* id_match attributes of one entry */

/* sg_rule: the entry applies when the group's rules are resources of their own in state. */
struct em_sgrule {
	struct jpath *group;        /* the security group id */
	int egress;                 /* direction: 0 ingress, 1 egress */
	struct jpath **rules;       /* the rules (sg_rules transform); first present wins */
	size_t nrules;
};

struct em_entry {
	enum tf_provider provider;
	char *service;              /* event source; NULL = any */
	char **names;               /* names[0] = event, then aliases */
	size_t nnames;
	char *resource;             /* Terraform type, or "*" */
	enum em_action action;
	struct jpath **id_paths;
	size_t nid_paths;
	struct em_join *id_joins;   /* per id path: nparts > 0 when it is a join (id_paths[i]
	                             * is then its first part), else empty; NULL = no joins */
	enum em_id_transform id_transform;
	char **state_keys;
	size_t nstate_keys;
	char *severity;             /* NULL = default for the kind */
	struct em_attr *attrs;
	size_t nattrs;
	struct jpath **when_paths;  /* `when`: the entry applies only when one of these is in the
	                             * record (NULL: always) ... */
	size_t nwhen;
	char **when_equals;         /* ... with one of these values (as text), when given */
	size_t nwhen_equals;
	struct jpath **unless_paths;        /* `unless`: the entry does not apply when this holds */
	size_t nunless;
	char **unless_equals;
	size_t nunless_equals;
	char *via_resource;         /* `id_via`: an id naming one of these in state (a KMS alias) */
	char *via_attr;             /* stands for the value of this attribute (target_key_id) */
	char *cover_resource;       /* covered_by.resource, or NULL */
	struct em_match *cover;
	size_t ncover;
	struct jpath *deltas;       /* GCP IAM binding deltas (`deltas:`), or NULL */
	char *id_prefix;            /* prepended to every id after id_transform, or NULL */
	char *id_glob;              /* ids (before id_transform) must match it, or NULL */
	struct em_sgrule *sgr;      /* sg_rule, or NULL */
	char *file;                 /* where it was defined, for messages */
	int line;
	/* Batches of changes (doc/event-maps.md, "Batches of changes"). */
	struct jpath *each;         /* the entry applies to each element of this list alone */
	struct em_match *idm;       /* id_match: the instance of `resource` whose attributes equal
	                             * these values (compared as DNS names: case and a final dot
	                             * ignored; absent = null = "") */
	size_t nidm;
	char *id_format;            /* the id id_match entries report: "{zone_id}_{fqdn}_{type}" */
};

struct eventmap;

/* Load every *.yaml in `dir` (sorted by name). On errors returns -1 and appends messages
 * "file:line:column: what" to *errs (heap array of heap strings, *nerrs entries); all errors in
 * all files are collected before returning. */
int eventmap_load_dir(const char *dir, struct eventmap **out, char ***errs, size_t *nerrs);
/* Load one file (or a memory buffer) into an existing map; same error convention. */
struct eventmap *eventmap_new(void);
int eventmap_load_file(struct eventmap *m, const char *path, char ***errs, size_t *nerrs);
int eventmap_load_mem(struct eventmap *m, const char *name, const char *buf, size_t len,
    char ***errs, size_t *nerrs);
/* eventmap_load_dir that prints every error on fp (with the way out: `tfdrift rules
 * check DIR`); NULL after errors. */
struct eventmap *eventmap_load_report(const char *dir, FILE *fp);
void eventmap_free(struct eventmap *m);

/* Normalize an event name for lookup: GCP's "v1."/"beta."/"alpha."/"v2." prefixes stripped. */
const char *eventmap_norm_name(enum tf_provider p, const char *name);
/* Does the entry apply to this record (its `when` holds, or it has none, and its `unless`
 * does not)? */
int eventmap_entry_applies(const struct em_entry *e, json_object *record);
/* Entries for (provider, service, name): fills up to max, returns the count. Does not allocate. */
size_t eventmap_lookup(const struct eventmap *m, enum tf_provider p, const char *service,
    const char *name, const struct em_entry **out, size_t max);
/* The id an id_match entry reports for the record (its id_format filled), heap; NULL when no
 * placeholder has a value. */
char *eventmap_match_id(const struct em_entry *e, json_object *record);
/* The value id_match pair i of e gives for the record (borrowed), NULL when absent. */
const char *eventmap_match_value(const struct em_entry *e, size_t i, json_object *record);
size_t eventmap_count(const struct eventmap *m);
const struct em_entry *eventmap_entry(const struct eventmap *m, size_t i);
/* The security-group rule resource types an sg_rule entry matches against (NULL-terminated),
 * and the attributes of theirs it reads. */
extern const char *const em_sgrule_types[];
extern const char *const em_sgrule_attrs[];
/* What an sg_rule entry compares of each rule, as the v5 rule resources name it
 * (NULL-terminated): the coverage tables list these for it. */
extern const char *const em_sgrule_compared[];

/* The (type, attr) pairs the state index must index so every entry's state_keys resolve.
 * Borrowed; valid as long as the map. */
const struct index_key_spec *eventmap_index_specs(const struct eventmap *m, size_t *n);

/* The (type, top-level attribute) pairs the maps compare or look up; for
 * tfstate_load_file_keep() (fn = eventmap_keep_attr, ctx = the set) so states keep only what
 * detection reads, plus name/tags/labels and location attributes for display. */
struct em_attrset;
struct em_attrset *eventmap_attrset_new(const struct eventmap *m);
int eventmap_attrset_has(const struct em_attrset *s, const char *type, const char *attr);
int eventmap_keep_attr(void *ctx, const char *type, const char *attr);
void eventmap_attrset_free(struct em_attrset *s);

/*
 * The record of an event as the store keeps it (store_put_events): everything but the call's
 * own data (AWS requestParameters, responseElements, additionalEventData,
 * serviceEventDetails; GCP request, response, metadata, serviceData), of which only what the
 * maps' entries for the event read is kept (ids, attributes, covered_by), with the values of
 * attributes marked sensitive or redacted replaced by "(sensitive)". Secrets a log carries
 * elsewhere in the call's data are never stored, and event_from_json reads the result as the
 * same event, which the same maps resolve the same way. An AWS record is kept alone (an
 * EventBridge envelope is dropped); a GCP LogEntry keeps its envelope. A new object, or NULL
 * when the event has no record. Any thread (the map is read only).
 */
json_object *eventmap_seen_record(const struct eventmap *m, const struct event *ev);

#endif
