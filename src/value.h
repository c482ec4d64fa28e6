/* value: value transforms and normalization so an event's new value and the state's value
 * compare the way Terraform would see them (types, JSON policies, sets, GCP URLs, tags). */
#ifndef TFDRIFT_VALUE_H
#define TFDRIFT_VALUE_H

#include <json-c/json.h>

enum val_transform {
	VT_STRING = 0,   /* scalar as string */
	VT_BOOL,         /* true/false, "true"/"false", {"value":true}; S3's Enabled/Suspended/Disabled */
	VT_INT,          /* 256, "256" */
	VT_NUMBER,
	VT_JSON,         /* any JSON value, compared structurally (object key order ignored) */
	VT_POLICY,       /* JSON policy document, possibly a (URL-encoded) string: semantic compare
	                    (key order, whitespace, single statement/action vs list) */
	VT_STRING_SET,   /* list of scalars compared as a set */
	VT_TAGS,         /* AWS [{key,value}] / {Key,Value} lists / maps -> {"k":"v"} */
	VT_LABELS,       /* GCP labels map (-> {"k":"v"}) */
	VT_BASENAME,     /* "zones/z/machineTypes/e2-standard-8" or full URL -> "e2-standard-8" */
	VT_GCP_PATH,     /* a GCP URL / self link -> relative "projects/..." path */
	VT_SG_RULES,     /* EC2 ipPermissions (event) / Terraform ingress|egress blocks (state)
	                    -> set of canonical rule strings "tcp 22-22 0.0.0.0/0" */
	VT_GCP_FW_RULES, /* GCP allowed/denied [{IPProtocol|ip_protocol, ports}] -> set of "tcp:22" */
	VT_GCP_METADATA, /* {items:[{key,value}]} (event) / metadata map (state) -> {"k":"v"} */
	VT_REDACTED,     /* the log never carries the value (user data): always "changed" */
	VT_DNS_NAME,     /* a DNS name: "Www.Example.com." -> "www.example.com" (case and a final
	                    dot ignored, as Route 53 and the aws provider store names) */
	VT_NAME_VALUES,  /* [{name|parameterName|displayName|id, value|parameterValue|cidrBlock|
	                    domainName, ...}] (DB parameters, Cloud SQL flags and authorized
	                    networks, GKE master authorized networks, CloudFront origins) -> set
	                    of "name=value" */
	VT__COUNT
};
const char *val_transform_name(enum val_transform t);
int val_transform_parse(const char *name, enum val_transform *out);   /* 0 ok */
int val_transform_is_set(enum val_transform t);   /* compared as sets (add/remove members) */

/* Canonical form of a value from an event / from state (new reference, or NULL when the value
 * is absent or cannot be converted). */
json_object *val_from_event(enum val_transform t, json_object *v);
json_object *val_from_state(enum val_transform t, json_object *v);
/* Deep structural equality of two canonical values (NULL == NULL only). */
int val_equal(json_object *a, json_object *b);
/* No value, or a set (array) or map (object) without members. */
int val_empty(json_object *v);
/* For sets (canonical arrays): members of a not in b, appended to out (new array refs). */
json_object *val_set_minus(json_object *a, json_object *b);
/* Canonical text for display and hashing: compact JSON with sorted keys. Heap string. */
char *val_to_string(json_object *v);
/* Pretty-printed, sorted-key JSON (for line diffs of policies). Heap string. */
char *val_to_pretty(json_object *v);

#endif
