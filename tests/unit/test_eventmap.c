/* test_eventmap: loading the hand-made maps under tests/data/eventmaps/valid (every parsed
 * field), lookups with aliases and GCP version prefixes, index key specs, the exact error lists
 * of the broken maps under tests/data/eventmaps/broken, and the valid map applied to real
 * CloudTrail records from $SHARED_DATA. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "eventmap.h"
#include "tap.h"
#include "util.h"
#include "yamlutil.h"

static char *
top_path(const char *rel)
{
	const char *top = getenv("TOP_SRCDIR");

	return xasprintf("%s/%s", top != NULL && *top ? top : ".", rel);
}

static char *
read_rel(const char *rel, size_t *len)
{
	char *path = top_path(rel), *buf = NULL, *err = NULL;

	if (tf_read_file(path, TF_FILE_DEFINITION, &buf, len, &err) != 0) {
		diag("%s", err);
		free(err);
		buf = NULL;
	}
	free(path);
	return buf;
}

/* ---- the valid map ---- */

static void
check_aws_entries(const struct eventmap *m)
{
	const struct em_entry *e;

	/* valid/aws-ec2.yaml */
	e = eventmap_entry(m, 0);
	ok(e != NULL, "entry 0");
	if (e == NULL)
		return;
	is_int(e->provider, PROV_AWS, "RunInstances: provider");
	is_str(e->service, "ec2.amazonaws.com", "RunInstances: service");
	is_int(e->nnames, 1, "RunInstances: one name");
	is_str(e->names[0], "RunInstances", "RunInstances: name");
	is_str(e->resource, "aws_instance", "RunInstances: resource");
	is_int(e->action, EM_CREATE, "RunInstances: action");
	is_int(e->nid_paths, 1, "RunInstances: one id path");
	is_str(jpath_expr(e->id_paths[0]), "responseElements.instancesSet.items[].instanceId",
	    "RunInstances: id path (quoted in a flow list)");
	ok(jpath_is_multi(e->id_paths[0]), "RunInstances: id path is multi");
	is_int(e->id_transform, EMID_STRING, "RunInstances: default id_transform");
	is_int(e->nstate_keys, 1, "RunInstances: default state_keys");
	is_str(e->state_keys[0], "id", "RunInstances: default state key id");
	is_str(e->severity, "high", "RunInstances: severity");
	is_int(e->nattrs, 1, "RunInstances: attributes");
	is_str(e->attrs[0].name, "instance_type", "RunInstances: attr name");
	is_int(e->attrs[0].npaths, 1, "RunInstances: attr path count");
	is_str(jpath_expr(e->attrs[0].paths[0]), "requestParameters.instanceType", "attr path");
	is_int(e->attrs[0].transform, VT_STRING, "default transform string");
	is_int(e->attrs[0].state_transform, VT_STRING, "default state_transform = transform");
	is_int(e->attrs[0].sensitive, 0, "not sensitive by default");
	ok(e->cover_resource == NULL && e->ncover == 0, "no covered_by");
	ok(e->file != NULL && tf_str_has_suffix(e->file, "valid/aws-ec2.yaml"), "file recorded");
	is_int(e->line, 5, "line recorded");

	e = eventmap_entry(m, 1);
	is_str(e->names[0], "ModifyInstanceAttribute", "entry 1 name");
	is_int(e->action, EM_MODIFY, "modify");
	is_int(e->nid_paths, 1, "scalar id is one path");
	is_str(jpath_expr(e->id_paths[0]), "requestParameters.instanceId", "scalar id path");
	ok(e->severity == NULL, "no severity: NULL");
	is_int(e->nattrs, 3, "three attributes");
	is_int(e->attrs[1].npaths, 2, "paths: two");
	is_str(jpath_expr(e->attrs[1].paths[1]), "requestParameters.disableApiTermination",
	    "second path");
	is_int(e->attrs[1].transform, VT_BOOL, "bool");
	is_int(e->attrs[1].state_transform, VT_BOOL, "state_transform follows transform");
	is_int(e->attrs[2].transform, VT_REDACTED, "redacted");
	is_int(e->attrs[2].sensitive, 1, "sensitive: true");

	e = eventmap_entry(m, 2);
	is_str(e->names[0], "AuthorizeSecurityGroupIngress", "entry 2 name");
	is_int(e->action, EM_SET_ADD, "set_add");
	is_int(e->nstate_keys, 2, "state_keys given");
	is_str(e->state_keys[1], "name", "state key name");
	is_str(e->severity, "critical", "critical");
	is_int(e->attrs[0].transform, VT_SG_RULES, "sg_rules");
	is_str(e->cover_resource, "aws_security_group_rule", "covered_by resource");
	is_int(e->ncover, 2, "two match pairs");
	is_str(e->cover[0].attr, "security_group_id", "match attr 0");
	is_str(jpath_expr(e->cover[0].path), "requestParameters.groupId", "match path 0");
	is_str(e->cover[1].attr, "type", "match attr 1 (file order)");

	e = eventmap_entry(m, 3);
	is_str(e->resource, "*", "CreateTags: any resource");
	is_str(jpath_expr(e->id_paths[0]), "requestParameters.resourcesSet.items[].resourceId",
	    "block-list id path with []");
	is_int(e->attrs[0].transform, VT_TAGS, "tags");
	is_int(e->attrs[0].state_transform, VT_TAGS, "explicit state_transform");

	/* valid/aws-lambda.yaml */
	e = eventmap_entry(m, 4);
	is_str(e->service, "lambda.amazonaws.com", "lambda service");
	is_int(e->nnames, 3, "event + 2 aliases");
	is_str(e->names[1], "UpdateFunctionConfiguration20150331v2", "alias 1");
	is_str(e->names[2], "UpdateFunctionConfiguration20150331", "alias 2");
	is_int(e->nid_paths, 2, "two id paths");
	is_str(jpath_expr(e->id_paths[1]), "responseElements.functionName", "fallback id path");
	is_int(e->id_transform, EMID_BASENAME, "id_transform basename");
	is_str(e->state_keys[0], "function_name", "state key");
	is_str(e->severity, "medium", "medium");
	is_int(e->attrs[0].transform, VT_JSON, "json");
	is_int(e->attrs[0].sensitive, 1, "sensitive: yes");
	is_int(e->attrs[1].transform, VT_INT, "int");
}

static void
check_gcp_entries(const struct eventmap *m)
{
	const struct em_entry *e;

	/* valid/gcp-compute.yaml */
	e = eventmap_entry(m, 5);
	is_int(e->provider, PROV_GCP, "gcp provider");
	is_str(e->service, "compute.googleapis.com", "gcp service");
	is_str(e->names[0], "compute.instances.insert", "gcp name without prefix");
	is_str(e->resource, "google_compute_instance", "gcp resource");
	is_int(e->id_transform, EMID_GCP_PATH, "id_transform gcp_path");
	is_int(e->attrs[0].transform, VT_BASENAME, "basename");
	is_int(e->attrs[1].transform, VT_LABELS, "labels");
	e = eventmap_entry(m, 6);
	is_str(e->state_keys[0], "self_link", "state key self_link");
	is_int(e->attrs[0].transform, VT_GCP_METADATA, "gcp_metadata");
	e = eventmap_entry(m, 7);
	is_str(e->severity, "low", "low");
	is_int(e->attrs[0].transform, VT_GCP_FW_RULES, "gcp_fw_rules");
	is_int(e->attrs[0].npaths, 2, "fw paths");
	e = eventmap_entry(m, 8);
	is_int(e->action, EM_DELETE, "delete");
	is_str(e->severity, "info", "info");
	is_int(e->nattrs, 0, "delete without attributes");
	/* valid/gcp-iam.yaml */
	e = eventmap_entry(m, 9);
	is_str(e->names[0], "google.iam.admin.v1.CreateServiceAccount", "inner v1. is kept");
	e = eventmap_entry(m, 10);
	is_int(e->action, EM_SET_REMOVE, "set_remove");
	is_str(jpath_expr(e->attrs[0].paths[0]), "request.policy.bindings[].members[]",
	    "flow-mapping attribute");
	is_int(e->attrs[0].transform, VT_STRING_SET, "string_set");
	is_int(e->ncover, 2, "block match");
	is_str(e->cover[1].attr, "role", "quoted match key");
}

/* valid/kms.yaml: constants given with `value:` */
static void
check_const_entries(const struct eventmap *m)
{
	static const struct {
		const char *name, *json;
		enum val_transform t;
	} want[] = {
		{ "is_enabled", "false", VT_BOOL },
		{ "description", "\"disabled by hand\"", VT_STRING },
		{ "deletion_window_in_days", "30", VT_INT },
		{ "key_usage", "\"true\"", VT_STRING },
		{ "multi_region", "2.5", VT_NUMBER },
	};
	const struct em_entry *e = eventmap_entry(m, 11);
	size_t i;

	ok(e != NULL && e->nattrs == TF_ARRLEN(want), "DisableKey: %zu constant attributes",
	    TF_ARRLEN(want));
	if (e == NULL || e->nattrs != TF_ARRLEN(want))
		return;
	for (i = 0; i < TF_ARRLEN(want); i++) {
		const struct em_attr *a = &e->attrs[i];
		char *s = a->value != NULL ? val_to_string(a->value) : NULL;

		is_str(a->name, want[i].name, "constant %zu name", i);
		is_int(a->npaths, 0, "%s: no paths", a->name);
		is_str(s, want[i].json, "%s: value typed from YAML (quoted stays a string)", a->name);
		is_int(a->transform, want[i].t, "%s: transform", a->name);
		free(s);
	}
	ok(eventmap_entry(m, 12) == NULL, "no entry 12");
}

static size_t
lookup_n(const struct eventmap *m, enum tf_provider p, const char *svc, const char *name)
{
	const struct em_entry *out[8];

	return eventmap_lookup(m, p, svc, name, out, 8);
}

static void
check_lookup(const struct eventmap *m)
{
	const struct em_entry *out[4];
	size_t n;

	n = eventmap_lookup(m, PROV_AWS, "ec2.amazonaws.com", "RunInstances", out, 4);
	is_int(n, 1, "RunInstances found");
	ok(n == 1 && out[0] == eventmap_entry(m, 0), "the RunInstances entry");
	is_int(lookup_n(m, PROV_AWS, "s3.amazonaws.com", "RunInstances"), 0, "service must match");
	is_int(lookup_n(m, PROV_AWS, NULL, "RunInstances"), 0, "no service: no match");
	is_int(lookup_n(m, PROV_GCP, "ec2.amazonaws.com", "RunInstances"), 0, "provider must match");
	is_int(lookup_n(m, PROV_AWS, "ec2.amazonaws.com", "runinstances"), 0, "names are exact");
	is_int(lookup_n(m, PROV_AWS, "ec2.amazonaws.com", "Nope"), 0, "unknown name");
	is_int(lookup_n(m, PROV_AWS, "ec2.amazonaws.com", NULL), 0, "NULL name");
	n = eventmap_lookup(m, PROV_AWS, "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2",
	    out, 4);
	ok(n == 1 && out[0] == eventmap_entry(m, 4), "Lambda alias finds the entry");
	n = eventmap_lookup(m, PROV_AWS, "lambda.amazonaws.com", "UpdateFunctionConfiguration", out, 4);
	ok(n == 1 && out[0] == eventmap_entry(m, 4), "Lambda event name finds the same entry");
	n = eventmap_lookup(m, PROV_GCP, "compute.googleapis.com", "v1.compute.instances.insert", out, 4);
	ok(n == 1 && out[0] == eventmap_entry(m, 5), "v1. prefix");
	n = eventmap_lookup(m, PROV_GCP, "compute.googleapis.com", "beta.compute.instances.insert",
	    out, 4);
	ok(n == 1 && out[0] == eventmap_entry(m, 5), "beta. prefix");
	n = eventmap_lookup(m, PROV_GCP, "compute.googleapis.com", "compute.instances.insert", out, 4);
	ok(n == 1 && out[0] == eventmap_entry(m, 5), "no prefix");
	is_int(lookup_n(m, PROV_GCP, "compute.googleapis.com", "alpha.compute.instances.delete"), 1,
	    "alpha. prefix");
	is_int(lookup_n(m, PROV_GCP, "compute.googleapis.com", "v2.compute.firewalls.patch"), 1,
	    "v2. prefix");
	is_int(lookup_n(m, PROV_GCP, "compute.googleapis.com", "v1.v1.compute.instances.insert"), 0,
	    "only one prefix is stripped");
	is_int(lookup_n(m, PROV_GCP, "compute.googleapis.com", "compute.instances.insert "), 0,
	    "trailing space is not the name");
	n = eventmap_lookup(m, PROV_GCP, "iam.googleapis.com", "google.iam.admin.v1.CreateServiceAccount",
	    out, 4);
	ok(n == 1 && out[0] == eventmap_entry(m, 9), "google.iam.admin.v1.CreateServiceAccount");
	is_int(lookup_n(m, PROV_GCP, "iam.googleapis.com", "CreateServiceAccount"), 0,
	    "no suffix matching");
	is_int(lookup_n(m, PROV_GCP, "cloudresourcemanager.googleapis.com", "SetIamPolicy"), 0,
	    "GCP serviceName matched exactly");
	is_int(lookup_n(m, PROV_GCP, "iam.googleapis.com", "SetIamPolicy"), 1, "SetIamPolicy for iam");
}

static void
check_specs(const struct eventmap *m)
{
	static const struct index_key_spec want[] = {
		{ "aws_security_group", "name" },
		{ "aws_security_group_rule", "security_group_id" },
		{ "aws_security_group_rule", "type" },
		{ "aws_lambda_function", "function_name" },
		{ "google_service_account_iam_member", "service_account_id" },
		{ "google_service_account_iam_member", "role" },
		{ "aws_kms_key", "key_id" },
	};
	const struct index_key_spec *s;
	size_t n, i;

	s = eventmap_index_specs(m, &n);
	is_int(n, TF_ARRLEN(want), "index specs: unique pairs without id/arn/self_link");
	for (i = 0; i < n && i < TF_ARRLEN(want); i++) {
		is_str(s[i].type, want[i].type, "spec %zu type", i);
		is_str(s[i].attr, want[i].attr, "spec %zu attr", i);
	}
}

static void
test_valid(void)
{
	struct eventmap *m = NULL;
	char **errs = NULL, *dir = top_path("tests/data/eventmaps/valid");
	size_t nerrs = 0, i;
	int rc;

	rc = eventmap_load_dir(dir, &m, &errs, &nerrs);
	is_int(rc, 0, "valid maps load");
	is_int(nerrs, 0, "no errors");
	for (i = 0; i < nerrs; i++)
		diag("%s", errs[i]);
	yerrs_free(errs, nerrs);
	free(dir);
	ok(m != NULL, "map returned");
	if (m == NULL)
		return;
	is_int(eventmap_count(m), 12, "12 entries (files in name order)");
	check_aws_entries(m);
	check_gcp_entries(m);
	check_const_entries(m);
	check_lookup(m);
	check_specs(m);
	eventmap_free(m);
}

/* ---- in-memory maps ---- */

static const char alternatives[] =
    "provider: aws\n"
    "events:\n"
    "  - event: PutBucketPolicy\n"
    "    resource: aws_s3_bucket\n"
    "    action: modify\n"
    "    id: requestParameters.bucketName\n"
    "    state_keys: [bucket]\n"
    "    attributes: [{name: policy, path: requestParameters.bucketPolicy, transform: policy}]\n"
    "  - event: PutBucketPolicy\n"
    "    resource: aws_s3_bucket_policy\n"
    "    action: modify\n"
    "    id: requestParameters.bucketName\n"
    "    state_keys: [bucket]\n"
    "    attributes: [{name: policy, path: requestParameters.bucketPolicy, transform: policy}]\n";

static void
test_mem(void)
{
	struct eventmap *m = eventmap_new();
	const struct em_entry *out[4];
	char **errs = NULL;
	size_t nerrs = 0, n;
	const struct index_key_spec *s;

	is_int(eventmap_lookup(m, PROV_AWS, "x", "y", out, 4), 0, "empty map: no entries");
	s = eventmap_index_specs(m, &n);
	ok(s == NULL && n == 0, "empty map: no specs");
	is_int(eventmap_load_mem(m, "alt.yaml", alternatives, strlen(alternatives), &errs, &nerrs), 0,
	    "alternatives load");
	is_int(nerrs, 0, "no errors");
	ok(eventmap_entry(m, 0)->service == NULL, "no service: NULL");
	n = eventmap_lookup(m, PROV_AWS, "s3.amazonaws.com", "PutBucketPolicy", out, 4);
	is_int(n, 2, "two alternatives");
	ok(n == 2 && strcmp(out[0]->resource, "aws_s3_bucket") == 0 &&
	    strcmp(out[1]->resource, "aws_s3_bucket_policy") == 0, "in file order");
	n = eventmap_lookup(m, PROV_AWS, NULL, "PutBucketPolicy", out, 1);
	is_int(n, 1, "max 1 (and any service matches an entry without one)");
	ok(strcmp(out[0]->resource, "aws_s3_bucket") == 0, "the first alternative");
	s = eventmap_index_specs(m, &n);
	is_int(n, 2, "same attr on two types: two specs");
	/* Loading the same file again: every entry is a duplicate, and nothing is added. */
	is_int(eventmap_load_mem(m, "again.yaml", alternatives, strlen(alternatives), &errs, &nerrs),
	    -1, "same entries again fail");
	is_int(nerrs, 2, "two duplicates");
	if (nerrs == 2) {
		is_str(errs[0], "again.yaml:3:5: duplicate entry: \"PutBucketPolicy\" -> aws_s3_bucket "
		    "is already mapped at alt.yaml:3", "duplicate across files 1");
		is_str(errs[1], "again.yaml:9:5: duplicate entry: \"PutBucketPolicy\" -> "
		    "aws_s3_bucket_policy is already mapped at alt.yaml:9", "duplicate across files 2");
	}
	is_int(eventmap_count(m), 2, "a file with errors adds nothing");
	yerrs_free(errs, nerrs);
	errs = NULL;
	nerrs = 0;
	is_int(eventmap_load_file(m, "/nonexistent/x.yaml", &errs, &nerrs), -1, "missing file");
	is_int(nerrs, 1, "one error");
	if (nerrs == 1)
		ok(strncmp(errs[0], "/nonexistent/x.yaml: ", 21) == 0, "names the file: %s", errs[0]);
	yerrs_free(errs, nerrs);
	eventmap_free(m);
	eventmap_free(NULL);

	is_str(eventmap_norm_name(PROV_GCP, "v1.compute.instances.insert"),
	    "compute.instances.insert", "norm v1.");
	is_str(eventmap_norm_name(PROV_GCP, "beta.compute.x"), "compute.x", "norm beta.");
	is_str(eventmap_norm_name(PROV_GCP, "alpha.compute.x"), "compute.x", "norm alpha.");
	is_str(eventmap_norm_name(PROV_GCP, "v2.deploymentmanager.deployments.insert"),
	    "deploymentmanager.deployments.insert", "norm v2.");
	is_str(eventmap_norm_name(PROV_GCP, "google.iam.admin.v1.CreateServiceAccount"),
	    "google.iam.admin.v1.CreateServiceAccount", "inner v1. kept");
	is_str(eventmap_norm_name(PROV_GCP, "v1beta1.x"), "v1beta1.x", "other versions kept");
	is_str(eventmap_norm_name(PROV_AWS, "v1.x"), "v1.x", "AWS names are not changed");
	ok(eventmap_norm_name(PROV_GCP, NULL) == NULL, "NULL name");
	is_str(em_action_name(EM_SET_REMOVE), "set_remove", "action name");
	is_str(em_action_name((enum em_action)99), "unknown", "bad action name");
}

/* ---- composite ids: joins and state key templates ---- */

static const char joins[] =
    "provider: aws\n"
    "service: iam.amazonaws.com\n"
    "events:\n"
    "  - event: PutRolePolicy\n"
    "    resource: aws_iam_role_policy\n"
    "    action: modify\n"
    "    id:\n"
    "      - {join: [requestParameters.roleName, requestParameters.policyName], sep: \":\"}\n"
    "      - requestParameters.policyArn\n"
    "    attributes:\n"
    "      - {name: policy, path: requestParameters.policyDocument, transform: policy}\n"
    "  - event: PutMetricFilter\n"
    "    resource: aws_cloudwatch_log_metric_filter\n"
    "    action: modify\n"
    "    id: [{join: [requestParameters.logGroupName, requestParameters.filterName], sep: \":\"}]\n"
    "    state_keys: [\"{log_group_name}:{name}\"]\n";

static void
test_joins(void)
{
	struct eventmap *m = eventmap_new();
	const struct em_entry *e;
	const struct index_key_spec *s;
	struct em_attrset *as;
	char **errs = NULL;
	size_t nerrs = 0, n, i, tpl = 0;
	const char *why = NULL;
	struct event ev;
	json_object *rec, *kept;

	is_int(eventmap_load_mem(m, "joins.yaml", joins, strlen(joins), &errs, &nerrs), 0,
	    "joins load");
	for (i = 0; i < nerrs; i++)
		diag("%s", errs[i]);
	yerrs_free(errs, nerrs);
	e = eventmap_entry(m, 0);
	ok(e != NULL && e->nid_paths == 2 && e->id_joins != NULL, "two id elements, a join");
	if (e == NULL || e->nid_paths != 2 || e->id_joins == NULL)
		goto out;
	is_int(e->id_joins[0].nparts, 2, "the join has two parts");
	is_str(e->id_joins[0].sep, ":", "joined by \":\"");
	is_int(e->id_joins[1].nparts, 0, "the second element is a plain path");
	ok(e->id_paths[0] != NULL && e->id_paths[1] != NULL, "a path per element (a join's first part)");
	e = eventmap_entry(m, 1);
	ok(e != NULL && e->nstate_keys == 1 && strcmp(e->state_keys[0], "{log_group_name}:{name}") == 0,
	    "a state key template");
	s = eventmap_index_specs(m, &n);
	for (i = 0; i < n; i++)
		tpl += strcmp(s[i].type, "aws_cloudwatch_log_metric_filter") == 0 &&
		    strcmp(s[i].attr, "{log_group_name}:{name}") == 0;
	is_int(tpl, 1, "the template is an index spec");
	as = eventmap_attrset_new(m);
	ok(eventmap_attrset_has(as, "aws_cloudwatch_log_metric_filter", "log_group_name") &&
	    !eventmap_attrset_has(as, "aws_cloudwatch_log_metric_filter", "{log_group_name}:{name}"),
	    "states keep the template's attributes");
	eventmap_attrset_free(as);
	/* The stored record keeps every part of a join (and drops what no map reads). */
	rec = json_tokener_parse("{\"eventVersion\":\"1.08\",\"eventSource\":\"iam.amazonaws.com\","
	    "\"eventName\":\"PutRolePolicy\",\"eventTime\":\"2024-05-27T10:00:00Z\","
	    "\"awsRegion\":\"us-east-1\",\"eventID\":\"e1\",\"userIdentity\":{\"type\":\"IAMUser\"},"
	    "\"requestParameters\":{\"roleName\":\"ci\",\"policyName\":\"inline\",\"other\":1}}");
	memset(&ev, 0, sizeof ev);
	ok(rec != NULL && event_from_json(rec, &ev, &why) == 0, "record parsed");
	if (ev.record != NULL) {
		json_object *rp;

		kept = eventmap_seen_record(m, &ev);
		ok(kept != NULL && json_object_object_get_ex(kept, "requestParameters", &rp) &&
		    json_object_object_get_ex(rp, "roleName", NULL) &&
		    json_object_object_get_ex(rp, "policyName", NULL) &&
		    !json_object_object_get_ex(rp, "other", NULL), "both parts kept, the rest dropped");
		json_object_put(kept);
		event_free(&ev);
	}
	json_object_put(rec);
out:
	eventmap_free(m);
}

/* ---- broken maps: exact error lists ---- */

struct broken {
	const char *file;
	const char *const *errs;
};

static const char *const e_dup[] = {
	"broken/dup.yaml:12:5: duplicate entry: \"PutBucketPolicy\" -> aws_s3_bucket is already "
	"mapped at broken/dup.yaml:4",
	"broken/dup.yaml:16:5: duplicate entry: \"PutBucketPolicy\" -> aws_s3_bucket_policy is "
	"already mapped at broken/dup.yaml:8",
	"broken/dup.yaml:25:5: duplicate key in event entry 'id' (first at line 24)",
	NULL
};
static const char *const e_empty[] = {
	"broken/empty.yaml: empty event map (expected provider, service and events)",
	NULL
};
static const char *const e_eventsmap[] = {
	"broken/eventsmap.yaml:2:9: \"events\" must be a list of event entries",
	NULL
};
static const char *const e_gcp[] = {
	"broken/gcp.yaml:4:12: GCP method \"v1.compute.instances.insert\": write it without the "
	"\"v1.\" prefix (version prefixes are stripped before lookup)",
	"broken/gcp.yaml:5:15: GCP method \"beta.compute.instances.insert\": write it without the "
	"\"beta.\" prefix (version prefixes are stripped before lookup)",
	"broken/gcp.yaml:5:73: GCP method \"alpha.x\": write it without the \"alpha.\" prefix "
	"(version prefixes are stripped before lookup)",
	"broken/gcp.yaml:10:15: resource \"aws_instance\" does not belong to provider gcp "
	"(expected google_...)",
	"broken/gcp.yaml:14:17: \"*\" is not a Terraform resource type",
	"broken/gcp.yaml:15:21: bad path \"resourceName[\": expected a number or ] after [ at "
	"offset 13",
	"broken/gcp.yaml:20:15: \"aliases\" must be a list of strings",
	"broken/gcp.yaml:20:23: GCP method \"v1.compute.instances.stop\": write it without the "
	"\"v1.\" prefix (version prefixes are stripped before lookup)",
	"broken/gcp.yaml:20:50: \"aliases\" must not be empty",
	"broken/gcp.yaml:25:14: \"aliases\" must be a string or a list of strings",
	NULL
};
static const char *const e_keys[] = {
	"broken/keys.yaml:4:1: unknown key in an event map 'servce' (did you mean 'service'?)",
	"broken/keys.yaml:7:5: unknown key in event entry 'resouce' (did you mean 'resource'?)",
	"broken/keys.yaml:14:9: unknown key in attribute 'transfrom' (did you mean 'transform'?)",
	"broken/keys.yaml:15:9: unknown key in attribute 'sensitiv' (did you mean 'sensitive'?)",
	"broken/keys.yaml:18:7: unknown key in covered_by 'mtch' (did you mean 'match'?)",
	"broken/keys.yaml:20:5: unknown key in event entry 'Severity' (did you mean 'severity'?)",
	"broken/keys.yaml:21:5: unknown key in event entry 'flavour' (expected event, aliases, "
	"resource, action, id, id_transform, state_keys, severity, attributes, covered_by, when, "
	"id_via, unless, each, id_match, id_format, deltas, id_prefix, id_glob or sg_rule)",
	"broken/keys.yaml:22:5: duplicate key in event entry 'action' (first at line 9)",
	NULL
};
static const char *const e_list[] = {
	"broken/list.yaml:1:1: an event map must be a mapping with provider, service and events",
	NULL
};
static const char *const e_noevents[] = {
	"broken/noevents.yaml:1:1: event map is missing \"events\"",
	"broken/noevents.yaml:2:11: unknown provider 'gpc' (did you mean 'gcp'?)",
	NULL
};
static const char *const e_provider[] = {
	"broken/provider.yaml:1:11: unknown provider 'azurerm' (expected aws or gcp)",
	"broken/provider.yaml:2:10: \"service\" must not be empty",
	NULL
};
static const char *const e_syntax[] = {
	"broken/syntax.yaml:4:13: YAML syntax error: did not find expected ',' or ']' while "
	"parsing a flow sequence (quote paths that contain [ ] inside a [...] list, e.g. "
	"id: [\"a.items[].b\"])",
	NULL
};
#define TRANSFORMS "string, bool, int, number, json, policy, string_set, tags, labels, " \
	"basename, gcp_path, sg_rules, gcp_fw_rules, gcp_metadata, redacted, dns_name or name_value_set"
static const char *const e_types[] = {
	"broken/types.yaml:3:10: service must be a string, not a list",
	"broken/types.yaml:5:12: \"event\" must be a string (use \"aliases\" for other names)",
	"broken/types.yaml:7:13: unknown action 'creat' (did you mean 'create'?)",
	"broken/types.yaml:8:9: \"id\" must be a path or a list of paths",
	"broken/types.yaml:9:19: unknown id_transform 'base' (expected string, basename or gcp_path)",
	"broken/types.yaml:10:15: unknown severity 'urgent' (expected critical, high, medium, low "
	"or info)",
	"broken/types.yaml:11:22: \"state_keys\" must be a list of strings",
	"broken/types.yaml:12:17: \"attributes\" must be a list",
	"broken/types.yaml:13:12: \"event\" must not be empty",
	"broken/types.yaml:14:15: resource \"google_compute_instance\" does not belong to provider "
	"aws (expected aws_...)",
	"broken/types.yaml:16:10: bad path \"a..b\": empty key at offset 2",
	"broken/types.yaml:19:15: \"path\" must be a string (use \"paths\" for a list)",
	"broken/types.yaml:22:16: use either \"path\" or \"paths\", not both",
	"broken/types.yaml:24:15: bad path \"a[\": expected a number or ] after [ at offset 2",
	"broken/types.yaml:25:20: unknown transform 'sg_rule' (did you mean 'sg_rules'?)",
	"broken/types.yaml:26:26: unknown transform 'policies' (expected " TRANSFORMS ")",
	"broken/types.yaml:27:20: \"sensitive\" must be true or false",
	"broken/types.yaml:28:9: each attribute must be a mapping with name, path and transform",
	"broken/types.yaml:29:9: attribute is missing \"name\"",
	"broken/types.yaml:32:9: duplicate attribute \"z2\"",
	"broken/types.yaml:34:5: set_remove entry needs \"attributes\" (the set attribute it changes) or \"covered_by\"",
	"broken/types.yaml:42:17: set_add entry needs at least one attribute",
	"broken/types.yaml:44:7: \"covered_by\" is missing \"match\"",
	"broken/types.yaml:46:15: \"Aws-Thing\" is not a Terraform resource type (or \"*\")",
	"broken/types.yaml:48:9: \"id\" must not be empty",
	"broken/types.yaml:49:17: \"state_keys\" must not be empty (leave it out for [id])",
	"broken/types.yaml:50:17: \"covered_by\" is missing \"resource\"",
	"broken/types.yaml:50:25: \"match\" must not be empty",
	"broken/types.yaml:51:5: each event entry must be a mapping (event, resource, action, id, ...)",
	"broken/types.yaml:57:26: value \"maybe\" is not a valid bool",
	"broken/types.yaml:58:26: \"value\" must be a single value (a string, number or true/false)",
	"broken/types.yaml:59:26: \"value\" must not be empty",
	"broken/types.yaml:60:26: use either \"value\" or \"path\", not both",
	"broken/types.yaml:61:26: value \"1.5\" is not a valid int",
	"broken/types.yaml:62:9: attribute needs \"path\", \"paths\" or \"value\"",
	NULL
};

static const char *const e_ids[] = {
	"broken/ids.yaml:7:17: \"join\" must be a list of at least two paths",
	"broken/ids.yaml:11:10: an id join needs \"join\" (the paths of its parts) and \"sep\"",
	"broken/ids.yaml:15:21: bad path \"b[\": expected a number or ] after [ at offset 2",
	"broken/ids.yaml:15:38: unknown key in an id join 'glue' (expected join or sep)",
	"broken/ids.yaml:19:30: \"sep\" must be a non-empty string (what joins the parts: \":\", "
	"\"/\")",
	"broken/ids.yaml:24:18: unclosed or empty {...} in key template \"{log_group_name:{name}\"",
	"broken/ids.yaml:24:44: unclosed or empty {...} in key template \"{}\"",
	"broken/ids.yaml:24:50: \"}\" without \"{\" in key template \"x}\"",
	"broken/ids.yaml:24:56: \"{a b}\" in key template \"{a b}\" is not an attribute name",
	"broken/ids.yaml:29:11: \"when\" needs one of \"path\" or \"paths\"",
	"broken/ids.yaml:34:11: \"when\" needs one of \"path\" or \"paths\"",
	"broken/ids.yaml:39:24: resource \"google_x\" does not belong to provider aws (expected aws_...)",
	"broken/ids.yaml:44:13: \"id_via\" must be a mapping with resource and attribute",
	"broken/ids.yaml:50:32: \"keys\" needs \"set\" or \"removed\"",
	"broken/ids.yaml:50:33: unknown key in keys 'added' (expected set or removed)",
	"broken/ids.yaml:51:28: use either \"keys\" or \"path\", not both",
	"broken/ids.yaml:52:30: \"keys\" must be a mapping with set and/or removed (paths of key lists)",
	"broken/ids.yaml:53:35: \"alone\" must be true or false",
	NULL
};

static const char *const e_sgrule[] = {
	"broken/sgrule.yaml:9:14: \"sg_rule\" needs action set_add or set_remove",
	"broken/sgrule.yaml:14:14: \"sg_rule\" is missing \"rules\"",
	"broken/sgrule.yaml:14:22: bad path \"requestParameters.groupId[\": expected a number or ] "
	"after [ at offset 26",
	"broken/sgrule.yaml:14:63: unknown direction 'outbound' (expected ingress or egress)",
	"broken/sgrule.yaml:14:73: unknown key in sg_rule 'rule' (did you mean 'rules'?)",
	"broken/sgrule.yaml:19:14: \"sg_rule\" must be a mapping with group, direction and rules",
	NULL
};
static const struct broken broken[] = {
	{ "dup.yaml", e_dup },
	{ "empty.yaml", e_empty },
	{ "eventsmap.yaml", e_eventsmap },
	{ "gcp.yaml", e_gcp },
	{ "ids.yaml", e_ids },
	{ "keys.yaml", e_keys },
	{ "list.yaml", e_list },
	{ "noevents.yaml", e_noevents },
	{ "provider.yaml", e_provider },
	{ "sgrule.yaml", e_sgrule },
	{ "syntax.yaml", e_syntax },
	{ "types.yaml", e_types },
};

static size_t
strv_len(const char *const *v)
{
	size_t n = 0;

	while (v[n] != NULL)
		n++;
	return n;
}

/* The message with every "broken/" file name moved under dir. */
static char *
in_dir(const char *msg, const char *dir)
{
	struct strbuf sb;
	const char *p;

	sb_init(&sb);
	while ((p = strstr(msg, "broken/")) != NULL) {
		sb_add(&sb, msg, (size_t)(p - msg));
		sb_addf(&sb, "%s/", dir);
		msg = p + strlen("broken/");
	}
	sb_adds(&sb, msg);
	return sb_detach(&sb);
}

static void
test_broken(void)
{
	size_t i, j, total = 0, k;
	struct eventmap *m;
	char **errs = NULL, *dir;
	size_t nerrs = 0;

	for (i = 0; i < TF_ARRLEN(broken); i++) {
		char *rel = xasprintf("tests/data/eventmaps/broken/%s", broken[i].file);
		char *name = xasprintf("broken/%s", broken[i].file), *buf;
		size_t len = 0, want = strv_len(broken[i].errs);
		int rc;

		buf = read_rel(rel, &len);
		ok(buf != NULL, "read %s", rel);
		m = eventmap_new();
		errs = NULL;
		nerrs = 0;
		rc = eventmap_load_mem(m, name, buf != NULL ? buf : "", len, &errs, &nerrs);
		is_int(rc, -1, "%s fails", name);
		is_int(nerrs, want, "%s: %zu errors", name, want);
		for (j = 0; j < nerrs || j < want; j++)
			is_str(j < nerrs ? errs[j] : NULL, j < want ? broken[i].errs[j] : NULL,
			    "%s error %zu", name, j + 1);
		is_int(eventmap_count(m), 0, "%s adds no entries", name);
		total += want;
		yerrs_free(errs, nerrs);
		eventmap_free(m);
		free(buf);
		free(rel);
		free(name);
	}

	/* The directory: every file's errors, files in name order. */
	dir = top_path("tests/data/eventmaps/broken");
	m = (struct eventmap *)1;
	errs = NULL;
	nerrs = 0;
	is_int(eventmap_load_dir(dir, &m, &errs, &nerrs), -1, "broken dir fails");
	ok(m == NULL, "no map on errors");
	is_int(nerrs, total, "all errors of all files collected");
	for (i = 0, k = 0; i < TF_ARRLEN(broken) && k < nerrs; i++) {
		for (j = 0; broken[i].errs[j] != NULL && k < nerrs; j++, k++) {
			char *want = in_dir(broken[i].errs[j], dir);

			if (strcmp(errs[k], want) != 0) {
				is_str(errs[k], want, "dir error %zu", k + 1);
				free(want);
				goto done;
			}
			free(want);
		}
	}
	ok(k == total, "dir errors are the per-file errors with the directory path, in order");
done:
	yerrs_free(errs, nerrs);
	free(dir);

	errs = NULL;
	nerrs = 0;
	is_int(eventmap_load_dir("/nonexistent-dir", &m, &errs, &nerrs), -1, "missing directory");
	is_int(nerrs, 1, "one error");
	if (nerrs == 1)
		is_str(errs[0], "/nonexistent-dir: cannot open event map directory: No such file or "
		    "directory", "missing directory message");
	yerrs_free(errs, nerrs);
}

/* ---- the valid map over real records ---- */

/* invictus_218007301253_CloudTrail_us-east-1_20230710T1215Z_YMDRJwtmC82bUwAo.json (trimmed) */
static const char sg_record[] =
    "{\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"AuthorizeSecurityGroupIngress\","
    "\"requestParameters\":{\"groupId\":\"sg-04cfb7a4712d75b00\",\"ipPermissions\":{},"
    "\"ipProtocol\":\"tcp\",\"fromPort\":22,\"toPort\":22,\"cidrIp\":\"0.0.0.0/0\"}}";

static void
test_apply(void)
{
	struct eventmap *m = NULL;
	char **errs = NULL, *dir = top_path("tests/data/eventmaps/valid");
	size_t nerrs = 0, n, i, nrec = 0, hits = 0, ids = 0;
	const struct em_entry *out[4];
	json_object *rec = json_tokener_parse(sg_record), *v, *c, *all;
	const char *sd = getenv("SHARED_DATA");
	char *path, *s;
	struct stat st;

	eventmap_load_dir(dir, &m, &errs, &nerrs);
	yerrs_free(errs, nerrs);
	free(dir);
	if (m == NULL) {
		ok(0, "valid map loads for test_apply");
		json_object_put(rec);
		return;
	}
	n = eventmap_lookup(m, PROV_AWS, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", out, 4);
	is_int(n, 1, "SG entry");
	if (n == 1) {
		v = jpath_get(out[0]->id_paths[0], rec);
		is_str(v != NULL ? json_object_get_string(v) : NULL, "sg-04cfb7a4712d75b00", "id");
		c = val_from_event(out[0]->attrs[0].transform, jpath_get(out[0]->attrs[0].paths[0], rec));
		s = val_to_string(c);
		is_str(s, "[\"tcp 22-22 0.0.0.0/0\"]", "sg rules from the record");
		free(s);
		json_object_put(c);
	}
	json_object_put(rec);

	if (sd != NULL && *sd)
		path = xasprintf("%s/cloudtrail/DERIVED_invictus_all_records_sorted.json", sd);
	else
		path = top_path("../shared/data/cloudtrail/DERIVED_invictus_all_records_sorted.json");
	if (stat(path, &st) != 0) {
		printf("ok %d # SKIP no shared data\n", ++tap_n);
		free(path);
		eventmap_free(m);
		return;
	}
	all = json_object_from_file(path);
	free(path);
	if (json_object_object_get_ex(all, "Records", &v) && json_object_is_type(v, json_type_array)) {
		for (i = 0; i < json_object_array_length(v); i++) {
			json_object *r = json_object_array_get_idx(v, i), *ids_v[8];
			const char *src = json_get_str(r, "eventSource"), *nm = json_get_str(r, "eventName");
			size_t k;

			nrec++;
			n = eventmap_lookup(m, PROV_AWS, src, nm, out, 4);
			if (n == 0 || json_get_str(r, "errorCode") != NULL)
				continue;   /* failed calls name no new resource */
			hits++;
			for (k = 0; k < out[0]->nid_paths; k++)
				if (jpath_all(out[0]->id_paths[k], r, ids_v, 8) > 0) {
					ids++;
					break;
				}
		}
	}
	is_int(nrec, 2900, "all invictus records read");
	is_int(hits, 7, "successful records the small map covers (2 RunInstances, "
	    "2 ModifyInstanceAttribute, 2 AuthorizeSecurityGroupIngress, 1 CreateTags)");
	is_int(ids, hits, "every mapped record names its resource");
	json_object_put(all);
	eventmap_free(m);
}

/* ---- batches of changes: each, when, unless, id_match, id_format, if_in_state ---- */

static const char batch_map[] =
    "provider: aws\n"
    "service: route53.amazonaws.com\n"
    "events:\n"
    "  - event: ChangeResourceRecordSets\n"
    "    resource: aws_route53_record\n"
    "    action: create\n"
    "    each: \"r.changes[]\"\n"
    "    when: {path: \"r.changes[].action\", equals: [CREATE, UPSERT]}\n"
    "    unless: {path: \"r.changes[].rrs.type\", equals: SOA}\n"
    "    id_match: {zone_id: r.zone, fqdn: \"r.changes[].rrs.name\", type: \"r.changes[].rrs.type\",\n"
    "      set_identifier: \"r.changes[].rrs.setIdentifier\"}\n"
    "    id_format: \"{zone_id}_{fqdn}_{type}_{set_identifier}\"\n"
    "    attributes:\n"
    "      - {name: ttl, path: \"r.changes[].rrs.tTL\", transform: int, if_in_state: true}\n"
    "  - event: ChangeResourceRecordSets\n"
    "    resource: aws_route53_record\n"
    "    action: delete\n"
    "    each: \"r.changes[]\"\n"
    "    when: {path: \"r.changes[].action\", equals: DELETE}\n"
    "    id_match: {zone_id: r.zone, fqdn: \"r.changes[].rrs.name\"}\n"
    "    id_format: \"{zone_id}_{fqdn}\"\n";

static const char batch_record[] =
    "{\"r\": {\"zone\": \"Z1\", \"changes\": ["
    "{\"action\": \"UPSERT\", \"rrs\": {\"name\": \"www.example.com.\", \"type\": \"A\", \"tTL\": 60}},"
    "{\"action\": \"DELETE\", \"rrs\": {\"name\": \"old.example.com.\", \"type\": \"A\"}},"
    "{\"action\": \"CREATE\", \"rrs\": {\"name\": \"w.example.com\", \"type\": \"A\", \"setIdentifier\": \"blue\"}},"
    "{\"action\": \"UPSERT\", \"rrs\": {\"name\": \"example.com.\", \"type\": \"SOA\"}}]}, \"other\": 1}";

/* Loads one map from memory; the first error (heap) in *err, or NULL. */
static struct eventmap *
load_one(const char *name, const char *text, char **err)
{
	struct eventmap *m = eventmap_new();
	char **errs = NULL;
	size_t nerrs = 0;

	*err = NULL;
	if (eventmap_load_mem(m, name, text, strlen(text), &errs, &nerrs) != 0 && nerrs > 0)
		*err = xstrdup(errs[0]);
	yerrs_free(errs, nerrs);
	return m;
}

static void
test_batch(void)
{
	struct eventmap *m;
	const struct em_entry *out[4], *up, *del;
	json_object *rec = json_tokener_parse(batch_record), *elems[8], *one, *v, *c;
	char *err, *id;
	size_t n, k, applies_up = 0, applies_del = 0;
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     each: a.b}\n", "bad.yaml:4:12: \"each\" \"a.b\" must end in its only [] (the list "
		  "whose elements are taken one at a time)" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     each: \"a[].b[]\"}\n", "bad.yaml:4:12: \"each\" \"a[].b[]\" must end in its only [] "
		  "(the list whose elements are taken one at a time)" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify,\n"
		  "     id_match: {name: a}}\n", "bad.yaml:4:16: \"id_match\" needs \"id_format\" (the id "
		  "it reports, \"{zone_id}_{fqdn}_{type}\")" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify,\n"
		  "     id_match: {name: a}, id_format: \"{nam}\"}\n", "bad.yaml:4:38: \"id_format\" "
		  "\"{nam}\": {nam} is not an id_match key" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     id_match: {name: a}, id_format: \"{name}\"}\n", "bad.yaml:3:53: use either \"id\" "
		  "or \"id_match\", not both" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify}\n",
		  "bad.yaml:3:5: event entry is missing \"id\" (or \"id_match\")" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     when: {path: a, equals: []}}\n", "bad.yaml:4:30: \"equals\" must not be empty" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     when: {path: a, equals: {x: 1}}}\n", "bad.yaml:4:30: \"equals\" must be a value (a "
		  "string, number or true/false) or a list of values" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     unless: [a]}\n", "bad.yaml:4:14: \"unless\" must be a mapping with path (or paths) "
		  "and optionally equals" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     unless: {equals: x}}\n", "bad.yaml:4:14: \"unless\" needs one of \"path\" or "
		  "\"paths\"" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     id_format: \"{a}\"}\n", "bad.yaml:4:17: \"id_format\" goes with \"id_match\"" },
		{ "provider: aws\nevents:\n  - {event: E, resource: aws_x, action: modify, id: a,\n"
		  "     attributes: [{name: x, path: a, if_in_state: maybe}]}\n",
		  "bad.yaml:4:51: \"if_in_state\" must be true or false" },
	};

	m = load_one("batch.yaml", batch_map, &err);
	ok(err == NULL, "a map with each/when/unless/id_match loads (two entries for one event "
	    "and resource are not duplicates when they have conditions): %s", err ? err : "");
	free(err);
	n = eventmap_lookup(m, PROV_AWS, "route53.amazonaws.com", "ChangeResourceRecordSets", out, 4);
	is_int(n, 2, "both entries");
	if (n != 2 || rec == NULL) {
		eventmap_free(m);
		json_object_put(rec);
		return;
	}
	up = out[0];
	del = out[1];
	ok(up->each != NULL && up->nwhen == 1 && up->nunless == 1 && up->nidm == 4 &&
	    up->attrs[0].if_in_state, "parsed");
	n = jpath_all(up->each, rec, elems, 8);
	is_int(n, 4, "four changes");
	for (k = 0; k < n && k < 8; k++) {
		one = jpath_narrow(up->each, rec, elems[k]);
		applies_up += eventmap_entry_applies(up, one);
		applies_del += eventmap_entry_applies(del, one);
		if (k == 0) {
			id = eventmap_match_id(up, one);
			is_str(id, "Z1_www.example.com_A", "id: the final dot dropped, no set identifier "
			    "(nor the text before it)");
			free(id);
			c = val_from_event(up->attrs[0].transform, jpath_get(up->attrs[0].paths[0], one));
			is_int(c != NULL ? json_object_get_int(c) : -1, 60, "attribute of that change");
			json_object_put(c);
			is_str(eventmap_match_value(up, 0, one), "Z1", "the call's own field");
		}
		if (k == 2) {
			id = eventmap_match_id(up, one);
			is_str(id, "Z1_w.example.com_A_blue", "id with the set identifier");
			free(id);
			v = jpath_get(up->idm[1].path, one);
			is_str(v ? json_object_get_string(v) : NULL, "w.example.com",
			    "a narrowed record reads its element");
		}
		json_object_put(one);
	}
	is_int(applies_up, 2, "the create entry takes the UPSERT and the CREATE, not the SOA");
	is_int(applies_del, 1, "the delete entry takes the DELETE");
	v = jpath_get(up->idm[1].path, rec);
	is_str(v ? json_object_get_string(v) : NULL, "www.example.com.", "the record is unchanged");
	eventmap_free(m);
	json_object_put(rec);

	/* What the store keeps of a batch: the paths of each, when and id_match, not the rest. */
	{
		static const char kmap[] =
		    "provider: aws\nservice: route53.amazonaws.com\nevents:\n"
		    "  - event: ChangeResourceRecordSets\n    resource: aws_route53_record\n"
		    "    action: delete\n    each: \"requestParameters.changes[]\"\n"
		    "    when: {path: \"requestParameters.changes[].action\", equals: DELETE}\n"
		    "    id_match: {zone_id: requestParameters.zone, fqdn: \"requestParameters.changes[].name\"}\n"
		    "    id_format: \"{zone_id}_{fqdn}\"\n";
		struct event ev;
		json_object *seen;
		char *t;

		m = load_one("keep.yaml", kmap, &err);
		ok(err == NULL, "keep map loads: %s", err ? err : "");
		free(err);
		memset(&ev, 0, sizeof ev);
		ev.provider = PROV_AWS;
		ev.source = (char *)"route53.amazonaws.com";
		ev.name = (char *)"ChangeResourceRecordSets";
		ev.record = json_tokener_parse("{\"eventName\": \"ChangeResourceRecordSets\", "
		    "\"requestParameters\": {\"zone\": \"Z1\", \"comment\": \"x\", \"changes\": ["
		    "{\"action\": \"DELETE\", \"name\": \"a.\", \"ttl\": 5}, "
		    "{\"action\": \"CREATE\", \"name\": \"b.\"}]}}");
		seen = eventmap_seen_record(m, &ev);
		t = seen ? xstrdup(json_object_to_json_string_ext(seen, JSON_C_TO_STRING_PLAIN)) : NULL;
		is_str(t, "{\"eventName\":\"ChangeResourceRecordSets\",\"requestParameters\":"
		    "{\"zone\":\"Z1\",\"changes\":[{\"name\":\"a.\",\"action\":\"DELETE\"},"
		    "{\"name\":\"b.\",\"action\":\"CREATE\"}]}}",
		    "kept: the zone, every change's name and action; not the comment or the TTL");
		free(t);
		json_object_put(seen);
		json_object_put(ev.record);
		eventmap_free(m);
	}

	v = json_object_new_string("DualStack.Web.ELB.amazonaws.com.");
	c = val_from_event(VT_DNS_NAME, v);
	is_str(c ? json_object_get_string(c) : NULL, "dualstack.web.elb.amazonaws.com",
	    "dns_name: lower case, no final dot");
	json_object_put(c);
	json_object_put(v);

	for (k = 0; k < TF_ARRLEN(bad); k++) {
		m = load_one("bad.yaml", bad[k].text, &err);
		is_str(err, bad[k].want, "rejected: %s", bad[k].want);
		free(err);
		eventmap_free(m);
	}
}

/* ---- GCP IAM deltas, id_prefix, id_glob ---- */

static const char iam_map[] =
    "provider: gcp\n"
    "service: storage.googleapis.com\n"
    "events:\n"
    "  - event: storage.setIamPermissions\n"
    "    resource: google_storage_bucket_iam_policy\n"
    "    action: modify\n"
    "    id: [resourceName]\n"
    "    id_transform: basename\n"
    "    id_prefix: \"b/\"\n"
    "    deltas: serviceData.policyDelta.bindingDeltas\n"
    "    attributes:\n"
    "      - {name: policy_data, paths: [request.policy], transform: policy}\n"
    "  - event: storage.setIamPermissions\n"
    "    resource: google_storage_bucket_iam_binding\n"
    "    action: set_add\n"
    "    id: [resourceName]\n"
    "    id_glob: \"projects/_/buckets/*\"\n"
    "    id_transform: basename\n"
    "    id_prefix: \"b/\"\n"
    "    deltas: serviceData.policyDelta.bindingDeltas\n"
    "    covered_by: {resource: google_storage_bucket_iam_member}\n";

static void
load_errs(const char *name, const char *yaml, const char *const *want)
{
	struct eventmap *m = eventmap_new();
	char **errs = NULL;
	size_t nerrs = 0, j, n = strv_len(want);

	is_int(eventmap_load_mem(m, name, yaml, strlen(yaml), &errs, &nerrs), -1, "%s fails", name);
	is_int(nerrs, n, "%s: %zu errors", name, n);
	for (j = 0; j < nerrs || j < n; j++)
		is_str(j < nerrs ? errs[j] : NULL, j < n ? want[j] : NULL, "%s error %zu", name, j + 1);
	yerrs_free(errs, nerrs);
	eventmap_free(m);
}

static void
test_deltas(void)
{
	static const char *const e_aws[] = {
		"aws.yaml:8:13: \"deltas\" are GCP IAM policy deltas (provider: gcp)", NULL };
	static const char *const e_nocover[] = {
		"nocover.yaml:8:13: a set_add entry with \"deltas\" needs \"covered_by\" (the member "
		"resource)", NULL };
	static const char *const e_delete[] = {
		"delete.yaml:8:13: \"deltas\" go with set_add (the role's binding) or modify (the policy)",
		NULL };
	static const char *const e_nomatch[] = {
		"nomatch.yaml:10:17: \"covered_by\" is missing \"match\"", NULL };
	struct eventmap *m = eventmap_new();
	const struct em_entry *out[4];
	char **errs = NULL;
	size_t nerrs = 0, n;
	struct event ev;
	json_object *o, *seen, *v;
	const char *why;

	is_int(eventmap_load_mem(m, "iam.yaml", iam_map, strlen(iam_map), &errs, &nerrs), 0,
	    "deltas, id_prefix and id_glob load");
	is_int(nerrs, 0, "no errors");
	n = eventmap_lookup(m, PROV_GCP, "storage.googleapis.com", "storage.setIamPermissions", out, 4);
	is_int(n, 2, "two entries");
	if (n == 2) {
		ok(out[0]->deltas != NULL && out[1]->deltas != NULL, "both have deltas");
		is_str(out[0]->id_prefix, "b/", "id_prefix");
		ok(out[0]->id_glob == NULL, "no id_glob");
		is_str(out[1]->id_glob, "projects/_/buckets/*", "id_glob");
		is_str(out[1]->cover_resource, "google_storage_bucket_iam_member",
		    "covered_by without match (found by its id)");
		is_int(out[1]->ncover, 0, "no match pairs");
	}
	/* The store keeps what the maps read: the deltas too, so a stored event resolves again. */
	o = json_tokener_parse("{\"insertId\":\"x1\",\"logName\":\"projects/p/logs/"
	    "cloudaudit.googleapis.com%2Factivity\",\"resource\":{\"type\":\"gcs_bucket\","
	    "\"labels\":{\"bucket_name\":\"b1\",\"project_id\":\"p\"}},\"protoPayload\":{\"@type\":"
	    "\"type.googleapis.com/google.cloud.audit.AuditLog\",\"serviceName\":"
	    "\"storage.googleapis.com\",\"methodName\":\"storage.setIamPermissions\","
	    "\"resourceName\":\"projects/_/buckets/b1\",\"serviceData\":{\"@type\":\"x\","
	    "\"policyDelta\":{\"bindingDeltas\":[{\"action\":\"ADD\",\"role\":\"roles/x\","
	    "\"member\":\"allUsers\"}]},\"other\":\"dropped\"}}}");
	ok(o != NULL && event_from_logentry(o, &ev, &why) == 0, "an IAM entry");
	seen = eventmap_seen_record(m, &ev);
	v = NULL;
	ok(json_pointer_get(seen, "/protoPayload/serviceData/policyDelta/bindingDeltas/0/member", &v) == 0 &&
	    strcmp(json_object_get_string(v), "allUsers") == 0, "the stored record keeps the deltas");
	ok(json_pointer_get(seen, "/protoPayload/serviceData/other", &v) != 0,
	    "and nothing else of serviceData");
	ok(json_pointer_get(seen, "/resource/labels/project_id", &v) == 0,
	    "the entry's labels (project id, unique id) stay");
	json_object_put(seen);
	event_free(&ev);
	json_object_put(o);
	eventmap_free(m);

	load_errs("aws.yaml",
	    "provider: aws\nservice: s3.amazonaws.com\nevents:\n  - event: X\n    resource: aws_s3_bucket\n"
	    "    action: modify\n    id: [requestParameters.b]\n    deltas: requestParameters.d\n", e_aws);
	load_errs("nocover.yaml",
	    "provider: gcp\nservice: x.googleapis.com\nevents:\n  - event: X\n    resource: google_x_iam_binding\n"
	    "    action: set_add\n    id: [resourceName]\n    deltas: serviceData.policyDelta.bindingDeltas\n",
	    e_nocover);
	load_errs("delete.yaml",
	    "provider: gcp\nservice: x.googleapis.com\nevents:\n  - event: X\n    resource: google_x\n"
	    "    action: delete\n    id: [resourceName]\n    deltas: serviceData.policyDelta.bindingDeltas\n",
	    e_delete);
	load_errs("nomatch.yaml",
	    "provider: gcp\nservice: x.googleapis.com\nevents:\n  - event: X\n    resource: google_x\n"
	    "    action: set_add\n    id: [resourceName]\n    attributes: [{name: m, path: request.m}]\n"
	    "    covered_by:\n                resource: google_y\n", e_nomatch);
}

int
main(void)
{
	test_valid();
	test_mem();
	test_broken();
	test_joins();
	test_apply();
	test_batch();
	test_deltas();
	return done_testing();
}
