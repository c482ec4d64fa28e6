/* detect: the decision logic on an in-memory event map and state, independent of the
 * shipped maps: reasons, alternatives, covered_by, "*" resources, tag maps, config. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "detect.h"
#include "util.h"
#include "yamlutil.h"
#include "tap.h"

static const char MAP[] =
    "provider: aws\n"
    "service: ec2.amazonaws.com\n"
    "events:\n"
    "  - event: ModifyThing\n"
    "    resource: aws_instance\n"
    "    action: modify\n"
    "    id: [requestParameters.instanceId]\n"
    "    attributes:\n"
    "      - name: instance_type\n"
    "        path: requestParameters.instanceType.value\n"
    "  - event: TouchThing\n"
    "    resource: aws_instance\n"
    "    action: modify\n"
    "    id: [requestParameters.instanceId]\n"
    "    severity: critical\n"
    "  - event: CreateTags\n"
    "    resource: \"*\"\n"
    "    action: set_add\n"
    "    id: [\"requestParameters.resourcesSet.items[].resourceId\"]\n"
    "    attributes:\n"
    "      - name: tags\n"
    "        path: requestParameters.tagSet\n"
    "        transform: tags\n"
    "  - event: DeleteTags\n"
    "    resource: \"*\"\n"
    "    action: set_remove\n"
    "    id: [\"requestParameters.resourcesSet.items[].resourceId\"]\n"
    "    attributes:\n"
    "      - name: tags\n"
    "        path: requestParameters.tagSet\n"
    "        transform: tags\n"
    "  - event: PutPolicy\n"
    "    resource: aws_s3_bucket\n"
    "    action: modify\n"
    "    id: [requestParameters.bucketName]\n"
    "    state_keys: [bucket]\n"
    "    attributes:\n"
    "      - name: policy\n"
    "        path: requestParameters.bucketPolicy\n"
    "        transform: policy\n"
    "  - event: PutPolicy\n"
    "    resource: aws_s3_bucket_policy\n"
    "    action: modify\n"
    "    id: [requestParameters.bucketName]\n"
    "    state_keys: [bucket]\n"
    "    attributes:\n"
    "      - name: policy\n"
    "        path: requestParameters.bucketPolicy\n"
    "        transform: policy\n"
    "  - event: AttachPolicy\n"
    "    resource: aws_iam_role\n"
    "    action: set_add\n"
    "    id: [requestParameters.roleName]\n"
    "    state_keys: [name]\n"
    "    attributes:\n"
    "      - name: managed_policy_arns\n"
    "        path: requestParameters.policyArn\n"
    "        transform: string_set\n"
    "    covered_by:\n"
    "      resource: aws_iam_role_policy_attachment\n"
    "      match: {role: requestParameters.roleName, policy_arn: requestParameters.policyArn}\n";

static const char STATE[] =
    "{\"version\":4,\"terraform_version\":\"1.5.7\",\"serial\":3,\"lineage\":\"l\",\"resources\":["
    "{\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"web\",\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\","
    " \"instances\":[{\"attributes\":{\"id\":\"i-1\",\"instance_type\":\"t3.micro\",\"tags\":{\"Name\":\"web\",\"team\":\"sre\"}}}]},"
    "{\"mode\":\"managed\",\"type\":\"aws_s3_bucket_policy\",\"name\":\"p\",\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\","
    " \"instances\":[{\"attributes\":{\"id\":\"logs\",\"bucket\":\"logs\",\"policy\":\"{\\\"Version\\\":\\\"2012-10-17\\\",\\\"Statement\\\":[]}\"}}]},"
    "{\"mode\":\"managed\",\"type\":\"aws_iam_role\",\"name\":\"r\",\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\","
    " \"instances\":[{\"attributes\":{\"id\":\"app\",\"name\":\"app\",\"managed_policy_arns\":[\"arn:p/A\"]}}]},"
    "{\"mode\":\"managed\",\"type\":\"aws_iam_role_policy_attachment\",\"name\":\"b\",\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\","
    " \"instances\":[{\"attributes\":{\"id\":\"app-2024\",\"role\":\"app\",\"policy_arn\":\"arn:p/B\"}}]}"
    "]}";

static struct detector *det;

/* The resource key the dashboard files an event under (detector_resource_key). */
static char *
key_of(const char *json)
{
	json_object *o = json_tokener_parse(json);
	struct event ev;
	const char *why = NULL;
	char *k;

	memset(&ev, 0, sizeof ev);
	if (o == NULL || event_from_cloudtrail(o, &ev, &why) != 0) {
		json_object_put(o);
		return xstrdup("(bad record)");
	}
	json_object_put(o);
	k = detector_resource_key(det, &ev);
	event_free(&ev);
	return k;
}

/* Build an event from a CloudTrail record given as JSON text. */
static enum nodrift
run(const char *json, struct finding_list *out)
{
	json_object *o = json_tokener_parse(json);
	struct event ev;
	const char *why = NULL;
	enum nodrift r;

	memset(&ev, 0, sizeof ev);
	if (o == NULL || event_from_cloudtrail(o, &ev, &why) != 0) {
		diag("bad test record: %s", why ? why : "unparseable");
		json_object_put(o);
		return ND__COUNT;
	}
	json_object_put(o);
	r = detect_event(det, &ev, out);
	event_free(&ev);
	return r;
}

#define REC(id, name, ua, params) \
	"{\"eventVersion\":\"1.08\",\"eventID\":\"" id "\",\"eventTime\":\"2024-05-27T10:00:00Z\"," \
	"\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"" name "\",\"awsRegion\":\"eu-west-1\"," \
	"\"userAgent\":\"" ua "\",\"readOnly\":false,\"sourceIPAddress\":\"203.0.113.1\"," \
	"\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"alice\",\"arn\":\"arn:aws:iam::1:user/alice\",\"accountId\":\"1\"}," \
	"\"requestParameters\":" params "}"

int
main(void)
{
	struct eventmap *m = eventmap_new();
	char **errs = NULL, *err = NULL;
	size_t nerrs = 0, nspecs;
	struct tf_state *st = NULL;
	struct state_index *ix;
	const struct index_key_spec *specs;
	struct conf conf;
	struct finding_list out = { 0 };
	enum nodrift r;

	if (eventmap_load_mem(m, "test-map.yaml", MAP, sizeof MAP - 1, &errs, &nerrs) != 0) {
		size_t i;

		for (i = 0; i < nerrs; i++)
			diag("%s", errs[i]);
	}
	ok(nerrs == 0, "test map loads");
	yerrs_free(errs, nerrs);
	ok(tfstate_parse(STATE, sizeof STATE - 1, "test.tfstate", &st, &err) == 0, "test state parses %s", err ? err : "");
	specs = eventmap_index_specs(m, &nspecs);
	ix = state_index_build(&st, 1, specs, nspecs);
	conf_init(&conf);
	strlist_push(&conf.pipeline_principals, "arn:aws:iam::1:user/deployer");
	det = detector_new(m, ix, &conf);
	state_index_unref(ix);  /* the detector holds its own reference */

	{
		char *k;

		k = key_of(REC("k1", "ModifyThing", "Terraform/1.5.7", "{\"instanceId\":\"i-1\"}"));
		is_str(k, "aws_instance.web", "a Terraform apply's resource: the managed address");
		free(k);
		k = key_of(REC("k2", "PutPolicy", "aws-cli/2", "{\"bucketName\":\"nope\"}"));
		is_str(k, "aws_s3_bucket:nope", "a resource no state manages: TYPE:ID");
		free(k);
		k = key_of(REC("k3", "NoSuchCall", "aws-cli/2", "{}"));
		ok(k == NULL, "an event no map covers names none");
		free(k);
	}
	r = run(REC("e1", "ModifyThing", "aws-cli/2", "{\"instanceId\":\"i-1\",\"instanceType\":{\"value\":\"t3.large\"}}"), &out);
	is_int(r, ND_DRIFT, "changed attribute is drift");
	ok(out.n == 1 && out.v[0]->nchanges == 1 && strcmp(out.v[0]->changes[0].attribute, "instance_type") == 0,
	    "one change on instance_type");
	ok(out.n == 1 && out.v[0]->severity == SEV_MEDIUM, "default severity for modified is medium");
	finding_list_clear(&out);

	is_int(run(REC("e1", "ModifyThing", "aws-cli/2", "{\"instanceId\":\"i-1\",\"instanceType\":{\"value\":\"t3.large\"}}"), &out),
	    ND_DUPLICATE, "same event id again is a duplicate");
	is_int(run(REC("e2", "ModifyThing", "aws-cli/2", "{\"instanceId\":\"i-1\",\"instanceType\":{\"value\":\"t3.micro\"}}"), &out),
	    ND_EQUAL, "value equal to state");
	is_int(run(REC("e3", "ModifyThing", "Terraform/1.5.7 terraform-provider-aws/5.0", "{\"instanceId\":\"i-1\",\"instanceType\":{\"value\":\"x\"}}"), &out),
	    ND_TERRAFORM, "terraform user agent");
	is_int(run(REC("e4", "NoSuchCall", "aws-cli/2", "{}"), &out), ND_NOT_COVERED, "no map entry");
	is_int(run(REC("e5", "ModifyThing", "aws-cli/2", "{\"other\":1}"), &out), ND_NO_ID, "no resource id in the record");
	is_int(out.n, 0, "none of those made findings");

	r = run(REC("e6", "TouchThing", "aws-cli/2", "{\"instanceId\":\"i-1\"}"), &out);
	is_int(r, ND_DRIFT, "a call known to change the resource, with no attribute logged, is drift");
	ok(out.n == 1 && out.v[0]->nchanges == 0 && out.v[0]->severity == SEV_CRITICAL,
	    "no per-attribute change, severity from the entry");
	finding_list_clear(&out);

	r = run(REC("e7", "CreateTags", "aws-cli/2",
	    "{\"resourcesSet\":{\"items\":[{\"resourceId\":\"i-1\"}]},\"tagSet\":{\"items\":[{\"key\":\"team\",\"value\":\"sre\"},{\"key\":\"owner\",\"value\":\"bob\"}]}}"), &out);
	is_int(r, ND_DRIFT, "new tag on a managed instance (resource \"*\")");
	ok(out.n == 1 && out.v[0]->nchanges == 1 && out.v[0]->changes[0].change == CH_ADDED, "tag added");
	if (out.n == 1 && out.v[0]->nchanges == 1) {
		char *s = val_to_string(out.v[0]->changes[0].new_val);

		is_str(s, "{\"owner\":\"bob\"}", "only the new tag is reported, not the one state has");
		free(s);
		is_str(out.v[0]->address, "aws_instance.web", "address of the tagged instance");
	}
	finding_list_clear(&out);
	is_int(run(REC("e8", "DeleteTags", "aws-cli/2",
	    "{\"resourcesSet\":{\"items\":[{\"resourceId\":\"i-1\"}]},\"tagSet\":{\"items\":[{\"key\":\"nope\"}]}}"), &out),
	    ND_EQUAL, "removing a tag state does not have is not drift");
	r = run(REC("e9", "DeleteTags", "aws-cli/2",
	    "{\"resourcesSet\":{\"items\":[{\"resourceId\":\"i-1\"}]},\"tagSet\":{\"items\":[{\"key\":\"team\"}]}}"), &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->changes[0].change == CH_REMOVED, "removing a managed tag");
	finding_list_clear(&out);

	r = run(REC("e10", "PutPolicy", "aws-cli/2",
	    "{\"bucketName\":\"logs\",\"bucketPolicy\":{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}}"), &out);
	ok(r == ND_DRIFT && out.n == 1 && strcmp(out.v[0]->address, "aws_s3_bucket_policy.p") == 0,
	    "alternative entries: the one whose resource is in state wins");
	finding_list_clear(&out);
	is_int(run(REC("e11", "PutPolicy", "aws-cli/2",
	    "{\"bucketName\":\"logs\",\"bucketPolicy\":{\"Statement\":[],\"Version\":\"2012-10-17\"}}"), &out),
	    ND_EQUAL, "same policy, other key order");
	r = run(REC("e12", "PutPolicy", "aws-cli/2", "{\"bucketName\":\"other\",\"bucketPolicy\":{}}"), &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->kind == FK_UNMANAGED && strcmp(out.v[0]->type, "aws_s3_bucket") == 0,
	    "no alternative in state: unmanaged, typed by the first entry");
	finding_list_clear(&out);

	is_int(run(REC("e12b", "PutPolicy", "aws-cli/2", "{\"bucketName\":\"other\",\"bucketPolicy\":{\"a\":1}}"), &out),
	    ND_NOT_MANAGED, "a second change to a resource already reported as unmanaged adds nothing");
	is_int(out.n, 0, "so no second finding");
	is_int(run(REC("e13", "AttachPolicy", "aws-cli/2", "{\"roleName\":\"app\",\"policyArn\":\"arn:p/B\"}"), &out),
	    ND_EQUAL, "covered_by: an attachment resource already holds it");
	is_int(run(REC("e14", "AttachPolicy", "aws-cli/2", "{\"roleName\":\"app\",\"policyArn\":\"arn:p/A\"}"), &out),
	    ND_EQUAL, "already in the role's set");
	r = run(REC("e15", "AttachPolicy", "aws-cli/2", "{\"roleName\":\"app\",\"policyArn\":\"arn:p/C\"}"), &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->changes[0].change == CH_ADDED, "a new managed policy is drift");
	finding_list_clear(&out);

	{
		const char *deployer =
		    "{\"eventVersion\":\"1.08\",\"eventID\":\"e16\",\"eventTime\":\"2024-05-27T10:00:00Z\","
		    "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"ModifyThing\",\"awsRegion\":\"eu-west-1\","
		    "\"userAgent\":\"aws-cli/2\",\"readOnly\":false,"
		    "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"deployer\",\"arn\":\"arn:aws:iam::1:user/deployer\",\"accountId\":\"1\"},"
		    "\"requestParameters\":{\"instanceId\":\"i-1\",\"instanceType\":{\"value\":\"t3.2xlarge\"}}}";
		is_int(run(deployer, &out), ND_TERRAFORM, "configured pipeline principal is the pipeline");
	}
	{
		const char *svc =
		    "{\"eventVersion\":\"1.08\",\"eventID\":\"e17\",\"eventTime\":\"2024-05-27T10:00:00Z\","
		    "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"ModifyThing\",\"awsRegion\":\"eu-west-1\","
		    "\"userAgent\":\"autoscaling.amazonaws.com\",\"readOnly\":false,\"sourceIPAddress\":\"autoscaling.amazonaws.com\","
		    "\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"autoscaling.amazonaws.com\"},"
		    "\"requestParameters\":{\"instanceId\":\"i-1\",\"instanceType\":{\"value\":\"t3.2xlarge\"}}}";
		is_int(run(svc, &out), ND_SERVICE, "AWS service principal is not drift");
	}
	{
		const char *ro =
		    "{\"eventVersion\":\"1.08\",\"eventID\":\"e18\",\"eventTime\":\"2024-05-27T10:00:00Z\","
		    "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"ModifyThing\",\"readOnly\":true,"
		    "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"},\"requestParameters\":{\"instanceId\":\"i-1\"}}";
		is_int(run(ro, &out), ND_READ_ONLY, "read-only flag wins");
	}
	{
		/* A GCP operation's last entry alone: held back, then decided at the end. */
		const char *last =
		    "{\"insertId\":\"g1\",\"timestamp\":\"2024-05-27T10:00:00Z\","
		    "\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%2Factivity\","
		    "\"operation\":{\"id\":\"op-9\",\"last\":true},"
		    "\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
		    "\"serviceName\":\"compute.googleapis.com\",\"methodName\":\"v1.compute.instances.stop\","
		    "\"resourceName\":\"projects/p/zones/z/instances/vm\","
		    "\"authenticationInfo\":{\"principalEmail\":\"bob@corp.example\"}}}";
		json_object *o = json_tokener_parse(last);
		struct event ev;
		const char *why = NULL;

		memset(&ev, 0, sizeof ev);
		ok(o != NULL && event_from_logentry(o, &ev, &why) == 0, "GCP last entry parses");
		json_object_put(o);
		is_int(detect_event(det, &ev, &out), ND_DEFERRED, "a last entry without its first waits");
		is_int(detect_event(det, &ev, &out), ND_DUPLICATE, "the same last entry again is a duplicate");
		event_free(&ev);
		is_int(detector_flush(det, &out), 1, "flush decides the held entry");
		is_int(detector_flush(det, &out), 0, "and only once");
		is_int(detector_stats(det)->by_reason[ND_DEFERRED], 0, "no event stays counted as deferred");
	}
	{
		const struct detect_stats *s = detector_stats(det);

		ok(s->by_reason[ND_EQUAL] >= 4 && s->findings[FK_MODIFIED] >= 4, "stats count reasons and findings");
	}
	detector_free(det);
	eventmap_free(m);
	conf_free(&conf);
	return done_testing();
}
