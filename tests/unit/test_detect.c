/* detect: the decision logic on an in-memory event map and state, independent of the
 * shipped maps: reasons, alternatives, covered_by, "*" resources, tag maps, config. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "detect.h"
#include "freeze.h"
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

/* ---- composite ids, key templates, when, id_via, keys, alone, none, provider-wide tags ---- */

static const char ID_MAP[] =
    "provider: aws\n"
    "service: ec2.amazonaws.com\n"
    "events:\n"
    "  - event: PutInline\n"
    "    resource: aws_iam_role_policy\n"
    "    action: modify\n"
    "    id: [{join: [requestParameters.roleName, requestParameters.policyName], sep: \":\"}]\n"
    "    attributes:\n"
    "      - {name: policy, path: requestParameters.doc}\n"
    "  - event: PutFilter\n"
    "    resource: aws_cloudwatch_log_metric_filter\n"
    "    action: modify\n"
    "    id: [{join: [requestParameters.group, requestParameters.name], sep: \":\"}]\n"
    "    state_keys: [\"{log_group_name}:{name}\"]\n"
    "    attributes:\n"
    "      - {name: pattern, path: requestParameters.pattern}\n"
    "  - event: NewVersion\n"
    "    resource: aws_iam_policy\n"
    "    action: modify\n"
    "    id: [requestParameters.arn]\n"
    "    when: {path: requestParameters.setAsDefault, equals: true}\n"
    "    attributes:\n"
    "      - {name: policy, path: requestParameters.doc}\n"
    "  - event: Disable\n"
    "    resource: aws_kms_key\n"
    "    action: modify\n"
    "    id: [requestParameters.keyId]\n"
    "    id_via: {resource: aws_kms_alias, attribute: target_key_id}\n"
    "    attributes:\n"
    "      - {name: is_enabled, value: false, transform: bool}\n"
    "  - event: SetMeta\n"
    "    resource: aws_instance\n"
    "    action: modify\n"
    "    id: [requestParameters.instanceId]\n"
    "    attributes:\n"
    "      - name: metadata\n"
    "        keys: {set: [requestParameters.added], removed: [requestParameters.deleted]}\n"
    "  - event: Configure\n"
    "    resource: aws_instance\n"
    "    action: modify\n"
    "    id: [requestParameters.instanceId]\n"
    "    attributes:\n"
    "      - {name: instance_type, path: requestParameters.type}\n"
    "      - {name: user_data, path: requestParameters.env, transform: redacted, alone: true}\n"
    "  - event: DropRules\n"
    "    resource: aws_instance\n"
    "    action: modify\n"
    "    id: [requestParameters.instanceId]\n"
    "    attributes:\n"
    "      - {name: rules, value: \"\", transform: json}\n"
    "  - event: TagIt\n"
    "    resource: aws_instance\n"
    "    action: set_add\n"
    "    id: [requestParameters.instanceId]\n"
    "    attributes:\n"
    "      - {name: tags, path: requestParameters.tags, transform: tags}\n";

#define AWSP "\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\""
#define RESX(type, name, attrs) "{\"mode\":\"managed\",\"type\":\"" type "\",\"name\":\"" name \
	"\"," AWSP ",\"instances\":[{\"attributes\":" attrs "}]}"

static const char ID_STATE[] =
    "{\"version\":4,\"serial\":1,\"lineage\":\"ids\",\"resources\":["
    RESX("aws_iam_role_policy", "a", "{\"id\":\"a:inline\",\"name\":\"inline\",\"role\":\"a\",\"policy\":\"x\"}") ","
    RESX("aws_iam_role_policy", "b", "{\"id\":\"b:inline\",\"name\":\"inline\",\"role\":\"b\",\"policy\":\"x\"}") ","
    RESX("aws_cloudwatch_log_metric_filter", "api", "{\"id\":\"errors\",\"name\":\"errors\",\"log_group_name\":\"/api\",\"pattern\":\"ERROR\"}") ","
    RESX("aws_cloudwatch_log_metric_filter", "worker", "{\"id\":\"errors\",\"name\":\"errors\",\"log_group_name\":\"/worker\",\"pattern\":\"ERROR\"}") ","
    RESX("aws_iam_policy", "p", "{\"id\":\"arn:p\",\"arn\":\"arn:p\",\"policy\":\"old\"}") ","
    RESX("aws_kms_key", "k", "{\"id\":\"key-1\",\"is_enabled\":true}") ","
    RESX("aws_kms_alias", "k", "{\"id\":\"alias/data\",\"name\":\"alias/data\",\"target_key_id\":\"key-1\"}") ","
    RESX("aws_instance", "vm", "{\"id\":\"i-9\",\"instance_type\":\"t3.micro\",\"metadata\":{\"ssh\":\"k1\",\"gone\":\"v\"},"
        "\"rules\":[],\"tags\":{\"Name\":\"vm\"},\"tags_all\":{\"Name\":\"vm\",\"Team\":\"sre\"}}")
    "]}";

/* The only finding of one event (NULL unless exactly one), kept in *out. */
static const struct finding *
only(enum nodrift r, enum nodrift want, struct finding_list *out, const char *what)
{
	is_int(r, want, "%s: %s", what, nodrift_name(want));
	return out->n == 1 ? out->v[0] : NULL;
}

static void
test_ids(void)
{
	struct eventmap *m = eventmap_new();
	struct detector *saved = det;
	char **errs = NULL, *err = NULL;
	size_t nerrs = 0, nspecs;
	struct tf_state *st = NULL;
	struct state_index *ix;
	const struct index_key_spec *specs;
	struct conf conf;
	struct finding_list out = { 0 };
	const struct finding *f;
	char *k;

	ok(eventmap_load_mem(m, "ids.yaml", ID_MAP, sizeof ID_MAP - 1, &errs, &nerrs) == 0,
	    "id map loads");
	yerrs_free(errs, nerrs);
	ok(tfstate_parse(ID_STATE, sizeof ID_STATE - 1, "ids.tfstate", &st, &err) == 0,
	    "id state parses %s", err ? err : "");
	free(err);
	specs = eventmap_index_specs(m, &nspecs);
	ix = state_index_build(&st, 1, specs, nspecs);
	conf_init(&conf);
	det = detector_new(m, ix, &conf);
	state_index_unref(ix);

	/* Joins: role:name, never the name alone. */
	k = key_of(REC("i1", "PutInline", "aws-cli/2", "{\"roleName\":\"b\",\"policyName\":\"inline\",\"doc\":\"y\"}"));
	is_str(k, "aws_iam_role_policy.b", "a join names b's inline policy, not a's");
	free(k);
	f = only(run(REC("i2", "PutInline", "aws-cli/2", "{\"roleName\":\"b\",\"policyName\":\"inline\",\"doc\":\"y\"}"), &out),
	    ND_DRIFT, &out, "join");
	ok(f != NULL && strcmp(f->address, "aws_iam_role_policy.b") == 0, "the finding is on b");
	finding_list_clear(&out);
	k = key_of(REC("i3", "PutInline", "aws-cli/2", "{\"policyName\":\"inline\",\"doc\":\"y\"}"));
	ok(k == NULL, "a join with a part missing names nothing");
	free(k);

	/* Key templates: two filters of one bare id are two objects. */
	f = only(run(REC("i4", "PutFilter", "aws-cli/2", "{\"group\":\"/worker\",\"name\":\"errors\",\"pattern\":\"WARN\"}"), &out),
	    ND_DRIFT, &out, "template");
	ok(f != NULL && strcmp(f->address, "aws_cloudwatch_log_metric_filter.worker") == 0,
	    "found by {log_group_name}:{name}");
	finding_list_clear(&out);

	/* when */
	is_int(run(REC("i5", "NewVersion", "aws-cli/2", "{\"arn\":\"arn:p\",\"doc\":\"new\",\"setAsDefault\":false}"), &out),
	    ND_EQUAL, "when does not hold: the call changes nothing state holds");
	is_int(run(REC("i6", "NewVersion", "aws-cli/2", "{\"arn\":\"arn:p\",\"doc\":\"new\"}"), &out),
	    ND_EQUAL, "when's path absent: the same");
	is_int(out.n, 0, "no findings");
	is_int(run(REC("i7", "NewVersion", "aws-cli/2", "{\"arn\":\"arn:p\",\"doc\":\"new\",\"setAsDefault\":true}"), &out),
	    ND_DRIFT, "when holds: compared");
	finding_list_clear(&out);

	/* id_via */
	f = only(run(REC("i8", "Disable", "aws-cli/2", "{\"keyId\":\"alias/data\"}"), &out), ND_DRIFT, &out, "id_via");
	ok(f != NULL && strcmp(f->address, "aws_kms_key.k") == 0, "an alias stands for its key");
	finding_list_clear(&out);

	/* keys: values not logged */
	f = only(run(REC("i9", "SetMeta", "aws-cli/2", "{\"instanceId\":\"i-9\",\"added\":[\"ssh\"],\"deleted\":[\"gone\",\"never\"]}"), &out),
	    ND_DRIFT, &out, "keys");
	ok(f != NULL && f->nchanges == 2 && strcmp(f->changes[0].attribute, "metadata.ssh") == 0 &&
	    f->changes[0].unknown_new && strcmp(f->changes[1].attribute, "metadata.gone") == 0 &&
	    f->changes[1].change == CH_REMOVED, "a key set (value unknown) and a key removed; a key state never had: nothing");
	ok(f != NULL && strstr(f->summary, "metadata.ssh changed (value not logged)") != NULL,
	    "the summary says the value is not logged: %s", f ? f->summary : "");
	finding_list_clear(&out);

	/* alone */
	f = only(run(REC("i10", "Configure", "aws-cli/2", "{\"instanceId\":\"i-9\",\"type\":\"t3.large\",\"env\":{}}"), &out),
	    ND_DRIFT, &out, "alone with another value");
	ok(f != NULL && f->nchanges == 1 && strcmp(f->changes[0].attribute, "instance_type") == 0,
	    "the alone attribute says nothing when another is logged");
	finding_list_clear(&out);
	f = only(run(REC("i11", "Configure", "aws-cli/2", "{\"instanceId\":\"i-9\",\"env\":{}}"), &out),
	    ND_DRIFT, &out, "alone");
	ok(f != NULL && f->nchanges == 1 && strcmp(f->changes[0].attribute, "user_data") == 0 &&
	    f->changes[0].unknown_new, "alone: a change whose value is not logged");
	finding_list_clear(&out);

	/* value "" = none */
	is_int(run(REC("i12", "DropRules", "aws-cli/2", "{\"instanceId\":\"i-9\"}"), &out), ND_EQUAL,
	    "none against an empty list: not drift");
	finding_list_clear(&out);

	/* Provider-wide tags */
	is_int(run(REC("i13", "TagIt", "aws-cli/2", "{\"instanceId\":\"i-9\",\"tags\":{\"Team\":\"sre\"}}"), &out),
	    ND_EQUAL, "a default tag's own value: not drift");
	f = only(run(REC("i14", "TagIt", "aws-cli/2", "{\"instanceId\":\"i-9\",\"tags\":{\"Team\":\"web\"}}"), &out),
	    ND_DRIFT, &out, "default tag");
	ok(f != NULL && f->nchanges == 1 && strcmp(f->changes[0].attribute, "tags_all.Team") == 0,
	    "a default tag changed: tags_all.Team");
	finding_list_clear(&out);

	detector_free(det);
	eventmap_free(m);
	conf_free(&conf);
	det = saved;
}

/* ---- GCP operations held for their first entry ---- */

static const char GCP_MAP[] =
    "provider: gcp\n"
    "service: compute.googleapis.com\n"
    "events:\n"
    "  - event: compute.instances.stop\n"
    "    resource: google_compute_instance\n"
    "    action: modify\n"
    "    id: [resourceName]\n";

/* One entry of operation `op` (edge "first" or "last") on instance vm (an unmanaged
 * resource: every decision is one finding, whose event id says which entry decided). */
static void
gcp_entry(struct event *ev, const char *id, const char *op, const char *edge, const char *ts,
    const char *vm, int read_only)
{
	char *json = xasprintf("{\"insertId\":\"%s\",\"timestamp\":\"%s\","
	    "\"logName\":\"projects/p/logs/cloudaudit.googleapis.com%%2F%s\","
	    "\"operation\":{\"id\":\"%s\",\"%s\":true},"
	    "\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
	    "\"serviceName\":\"compute.googleapis.com\",\"methodName\":\"v1.compute.instances.%s\","
	    "\"resourceName\":\"projects/p/zones/z/instances/%s\","
	    "\"authenticationInfo\":{\"principalEmail\":\"bob@corp.example\"}}}",
	    id, ts, read_only ? "data_access" : "activity", op, edge, read_only ? "get" : "stop", vm);
	json_object *o = json_tokener_parse(json);
	const char *why = NULL;

	memset(ev, 0, sizeof *ev);
	if (o == NULL || event_from_logentry(o, ev, &why) != 0)
		tf_fatal("bad test entry %s: %s", json, why ? why : "unparseable");
	json_object_put(o);
	free(json);
}

/* Feed one entry on input `in`; the event ids of the findings that came, space-separated. */
static enum nodrift
gcp_feed(struct detector *d, unsigned in, const char *id, const char *op, const char *edge,
    const char *ts, const char *vm, char *got, size_t gotsz)
{
	struct finding_list out = { 0 };
	struct event ev;
	enum nodrift why;
	size_t i;

	gcp_entry(&ev, id, op, edge, ts, vm, 0);
	detector_set_input(d, in);
	why = detect_event(d, &ev, &out);
	event_free(&ev);
	for (i = 0; i < out.n; i++)
		snprintf(got + strlen(got), gotsz - strlen(got), "%s%s", *got ? " " : "",
		    out.v[i]->event_id);
	finding_list_clear(&out);
	free(out.v);
	return why;
}

static void
ids_of(struct finding_list *l, char *got, size_t gotsz)
{
	size_t i;

	*got = '\0';
	for (i = 0; i < l->n; i++)
		snprintf(got + strlen(got), gotsz - strlen(got), "%s%s", *got ? " " : "",
		    l->v[i]->event_id);
	finding_list_clear(l);
}

static void
test_held(void)
{
	struct eventmap *m = eventmap_new();
	char **errs = NULL, *err = NULL, *saved;
	size_t nerrs = 0;
	struct conf conf;
	struct detector *d, *d2;
	struct finding_list out = { 0 };
	struct event ev;
	char got[512];

	if (eventmap_load_mem(m, "gcp-map.yaml", GCP_MAP, sizeof GCP_MAP - 1, &errs, &nerrs) != 0)
		tf_fatal("the GCP test map does not load: %s", nerrs ? errs[0] : "?");
	conf_init(&conf);
	d = detector_new(m, NULL, &conf);
	is_int((int)detector_hold_ms(d), 10 * 60 * 1000, "the hold is 10 minutes by default");

	/* Within the hold, the first entry decides; the last counts as its duplicate. */
	*got = '\0';
	is_int(gcp_feed(d, 1, "a-last", "op-a", "last", "2024-05-27T10:00:05Z", "vm-a", got,
	    sizeof got), ND_DEFERRED, "a last entry first is held");
	is_int(gcp_feed(d, 1, "x-1", "op-x", "first", "2024-05-27T10:09:00Z", "vm-x", got,
	    sizeof got), ND_DRIFT, "an event of the same input inside the hold");
	is_str(got, "x-1", "does not decide the held entry");
	is_int(gcp_feed(d, 1, "a-first", "op-a", "first", "2024-05-27T10:00:00Z", "vm-a", got,
	    sizeof got), ND_DRIFT, "its first entry comes");
	is_str(got, "x-1 a-first", "and makes the finding");
	is_int((int)detector_stats(d)->by_reason[ND_DEFERRED], 0, "nothing counted as deferred");
	is_int((int)detector_stats(d)->by_reason[ND_DUPLICATE], 1, "the last entry counts as a duplicate");

	/* The input moved past the hold: decided alone, before the event, oldest first. */
	*got = '\0';
	gcp_feed(d, 1, "c-last", "op-c", "last", "2024-05-27T11:00:30Z", "vm-c", got, sizeof got);
	gcp_feed(d, 1, "b-last", "op-b", "last", "2024-05-27T11:00:10Z", "vm-b", got, sizeof got);
	gcp_feed(d, 2, "d-last", "op-d", "last", "2024-05-27T11:00:00Z", "vm-d", got, sizeof got);
	gcp_entry(&ev, "r-1", "op-r", "first", "2024-05-27T12:00:00Z", "vm-r", 1);
	detector_set_input(d, 1);
	is_int(detect_event(d, &ev, &out), ND_READ_ONLY, "a read-only event");
	event_free(&ev);
	is_int((int)out.n, 0, "does not move the hold (some paths drop them before detection)");
	is_int(gcp_feed(d, 1, "y-1", "op-y", "first", "2024-05-27T11:10:20Z", "vm-y", got,
	    sizeof got), ND_DRIFT, "an event 10 minutes after one held entry");
	is_str(got, "b-last y-1", "decides that one alone, first");
	is_int((int)detector_last_held(d), 1, "and says how many of the findings were held ones");
	*got = '\0';
	is_int(gcp_feed(d, 2, "z-1", "op-z", "first", "2024-05-27T13:00:00Z", "vm-z", got,
	    sizeof got), ND_DRIFT, "another input's event");
	is_str(got, "d-last z-1", "decides only that input's held entries");
	is_int((int)detector_held_count(d, 1), 1, "input 1 still holds one");
	/* 11:10:30Z is c-last's time + 10 minutes. */
	is_int((int)detector_advance(d, 1, 1716808229999LL, &out), 0,
	    "a watermark before its time + hold decides nothing");
	is_int((int)detector_advance(d, 1, 1716808230000LL, &out), 1,
	    "a watermark at its time + hold decides it");
	ids_of(&out, got, sizeof got);
	is_str(got, "c-last", "alone");
	is_int((int)detector_stats(d)->by_reason[ND_DEFERRED], 0, "no event stays counted as deferred");

	/* The end of the input decides the rest oldest first, whatever order they came in. */
	*got = '\0';
	gcp_feed(d, 1, "f-last", "op-f", "last", "2024-05-27T14:00:02Z", "vm-f", got, sizeof got);
	gcp_feed(d, 1, "e-last", "op-e", "last", "2024-05-27T14:00:01Z", "vm-e", got, sizeof got);
	gcp_feed(d, 3, "g-last", "op-g", "last", "2024-05-27T14:00:00Z", "vm-g", got, sizeof got);
	is_int((int)detector_advance(d, 1, INT64_MAX, &out), 2, "an input's end decides its own");
	ids_of(&out, got, sizeof got);
	is_str(got, "e-last f-last", "oldest first");

	/* Saved with a cursor, restored by the next run: decided there as it would have been. */
	saved = detector_held_save(d, 3);
	ok(saved != NULL && strstr(saved, "\"g-last\"") != NULL, "input 3's held entry saved: %s",
	    saved ? saved : "(none)");
	ok(detector_held_save(d, 1) == NULL, "input 1 holds nothing to save");
	d2 = detector_new(m, NULL, &conf);
	is_int(detector_held_restore(d2, 5, saved, &err), 1, "restored for input 5");
	*got = '\0';
	is_int(gcp_feed(d2, 5, "g-last", "op-g", "last", "2024-05-27T14:00:00Z", "vm-g", got,
	    sizeof got), ND_DUPLICATE, "the same entry listed again is a duplicate");
	is_int((int)detector_flush(d2, &out), 1, "the restored entry is decided at the end");
	ids_of(&out, got, sizeof got);
	is_str(got, "g-last", "by its last entry");
	is_int((int)detector_stats(d2)->events, 2, "and counted as an event of this run");
	is_int(detector_held_restore(d2, 5, saved, &err), 0, "an operation decided already is not held again");
	is_int(detector_held_restore(d2, 5, "{\"held\":[{\"entry\":{}}]}", &err), -1,
	    "a saved entry that is not an entry is refused");
	ok(err != NULL && strstr(err, "held GCP operation 1") != NULL, "saying which: %s", err ? err : "");
	free(err);
	err = NULL;
	is_int(detector_held_restore(d2, 5, "[1]", &err), -1, "so is text that is not a saved list");
	free(err);
	detector_free(d2);
	d2 = detector_new(m, NULL, &conf);
	detector_held_restore(d2, 5, saved, NULL);
	*got = '\0';
	gcp_feed(d2, 5, "g-first", "op-g", "first", "2024-05-27T13:59:58Z", "vm-g", got, sizeof got);
	is_str(got, "g-first", "a restored entry's first entry still makes the finding");
	is_int((int)detector_flush(d2, &out), 0, "and nothing is left to decide");
	detector_free(d2);
	free(saved);

	/* The configured hold. */
	conf.gcp_operation_hold_ms = 60000;
	d2 = detector_new(m, NULL, &conf);
	*got = '\0';
	gcp_feed(d2, 0, "h-last", "op-h", "last", "2024-05-27T10:00:00Z", "vm-h", got, sizeof got);
	gcp_feed(d2, 0, "i-1", "op-i", "first", "2024-05-27T10:01:00Z", "vm-i", got, sizeof got);
	is_str(got, "h-last i-1", "gcp_operation_hold 1m: one minute later decides it");
	detector_free(d2);

	free(out.v);
	detector_free(d);
	eventmap_free(m);
	conf_free(&conf);
}

/* ---- the drift lifecycle ---- */

static const char LC_MAP[] =
    "provider: aws\n"
    "service: ec2.amazonaws.com\n"
    "events:\n"
    "  - event: SetThing\n"
    "    resource: aws_instance\n"
    "    action: modify\n"
    "    id: [requestParameters.id]\n"
    "    attributes:\n"
    "      - {name: size, path: requestParameters.size, transform: int}\n"
    "      - {name: mode, path: requestParameters.mode}\n"
    "      - {name: secret, path: requestParameters.secret, transform: redacted}\n"
    "      - {name: stamp, path: responseElements.stamp, computed: true}\n"
    "  - event: AddMember\n"
    "    resource: aws_instance\n"
    "    action: set_add\n"
    "    id: [requestParameters.id]\n"
    "    attributes:\n"
    "      - {name: members, path: requestParameters.member, transform: string_set}\n"
    "  - event: RemoveMember\n"
    "    resource: aws_instance\n"
    "    action: set_remove\n"
    "    id: [requestParameters.id]\n"
    "    attributes:\n"
    "      - {name: members, path: requestParameters.member, transform: string_set}\n"
    "  - event: CreateThing\n"
    "    resource: aws_instance\n"
    "    action: create\n"
    "    id: [requestParameters.id]\n"
    "    attributes:\n"
    "      - {name: size, path: requestParameters.size, transform: int}\n"
    "  - event: DeleteThing\n"
    "    resource: aws_instance\n"
    "    action: delete\n"
    "    id: [requestParameters.id]\n";

/* State serial `serial` of lineage `lineage`: aws_instance.a (when with_a) and .b. */
static struct state_index *
lc_state(const struct eventmap *m, const char *lineage, int serial, int size_a, int with_a)
{
	char *a = xasprintf("{\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"a\","
	    "\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\","
	    "\"instances\":[{\"attributes\":{\"id\":\"i-a\",\"size\":%d,\"mode\":\"x\","
	    "\"secret\":\"s\",\"stamp\":\"s0\",\"members\":[\"m0\"]}}]},", size_a);
	char *js = xasprintf("{\"version\":4,\"terraform_version\":\"1.5.7\",\"serial\":%d,"
	    "\"lineage\":\"%s\",\"resources\":[%s"
	    "{\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"b\","
	    "\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\","
	    "\"instances\":[{\"attributes\":{\"id\":\"i-b\",\"size\":1,\"mode\":\"x\"}}]}]}",
	    serial, lineage, with_a ? a : "");
	struct tf_state *st = NULL;
	size_t nspecs;
	const struct index_key_spec *specs = eventmap_index_specs(m, &nspecs);
	char *err = NULL;

	if (tfstate_parse(js, strlen(js), "lc.tfstate", &st, &err) != 0)
		tf_fatal("lifecycle state: %s", err);
	free(js);
	free(a);
	return state_index_build(&st, 1, specs, nspecs);
}

#define LREC(id, name, ua, params, extra) \
	"{\"eventVersion\":\"1.08\",\"eventID\":\"" id "\",\"eventTime\":\"2024-05-27T11:00:00Z\"," \
	"\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"" name "\",\"awsRegion\":\"eu-west-1\"," \
	"\"userAgent\":\"" ua "\",\"readOnly\":false,\"sourceIPAddress\":\"203.0.113.1\"," \
	"\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"carol\",\"arn\":\"arn:aws:iam::1:user/carol\",\"accountId\":\"1\"}," \
	"\"requestParameters\":" params extra "}"
#define TF_UA "Terraform/1.5.7 terraform-provider-aws/5.0"
/* The same at another time (a log read newest first). */
#define LRECT(id, time, name, ua, params) \
	"{\"eventVersion\":\"1.08\",\"eventID\":\"" id "\",\"eventTime\":\"" time "\"," \
	"\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"" name "\",\"awsRegion\":\"eu-west-1\"," \
	"\"userAgent\":\"" ua "\",\"readOnly\":false,\"sourceIPAddress\":\"203.0.113.1\"," \
	"\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"carol\",\"arn\":\"arn:aws:iam::1:user/carol\",\"accountId\":\"1\"}," \
	"\"requestParameters\":" params "}"

/* The resolutions in l (status resolved), as "EVENT:reason:RESOLVING_EVENT" words. */
static void
lc_res(const struct finding_list *l, char *got, size_t gotsz)
{
	size_t i;

	*got = '\0';
	for (i = 0; i < l->n; i++) {
		const struct finding *f = l->v[i];

		if (f->status != ST_RESOLVED)
			continue;
		snprintf(got + strlen(got), gotsz - strlen(got), "%s%s:%s:%s", *got ? " " : "",
		    f->event_id, f->resolution ? resolution_reason_name(f->resolution->reason) : "?",
		    f->resolution && f->resolution->event_id ? f->resolution->event_id : "-");
	}
}

static size_t
lc_new(const struct finding_list *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->v[i]->status != ST_RESOLVED;
	return n;
}

static void
test_lifecycle(void)
{
	struct eventmap *m = eventmap_new();
	char **errs = NULL, *err = NULL, got[512];
	size_t nerrs = 0;
	struct state_index *ix;
	struct conf conf;
	struct finding_list out = { 0 };
	enum nodrift r;
	struct detector *save = det;

	if (eventmap_load_mem(m, "lc-map.yaml", LC_MAP, sizeof LC_MAP - 1, &errs, &nerrs) != 0) {
		size_t i;

		for (i = 0; i < nerrs; i++)
			diag("%s", errs[i]);
	}
	ok(nerrs == 0, "lifecycle map loads (computed: true)");
	yerrs_free(errs, nerrs);
	conf_init(&conf);
	strlist_push(&conf.terraform_user_agents, "Terraform/");
	ix = lc_state(m, "lin-1", 3, 1, 1);
	det = detector_new(m, ix, &conf);
	state_index_unref(ix);

	/* A->B, B->C: both open, the second against state (net A->C). */
	r = run(LREC("e1", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":2}", ""), &out);
	r = run(LREC("e2", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":3}", ""), &out);
	ok(r == ND_DRIFT && out.n == 2 && lc_new(&out) == 2, "A->B->C: two findings, both open");
	ok(out.n == 2 && json_object_get_int(out.v[1]->changes[0].old_val) == 1 &&
	    json_object_get_int(out.v[1]->changes[0].new_val) == 3, "the second is state's A -> C");
	is_int((int)detector_open_count(det), 2, "two open findings tracked");
	finding_list_clear(&out);
	/* C->A: both resolve; the revert is no finding. */
	r = run(LREC("e3", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":1}", ""), &out);
	lc_res(&out, got, sizeof got);
	is_int(r, ND_EQUAL, "C->A is equal to state");
	is_str(got, "e1:reverted_by_hand:e3 e2:reverted_by_hand:e3", "... and resolves both, oldest first");
	is_int((int)lc_new(&out), 0, "the revert makes no finding");
	ok(out.n > 0 && out.v[0]->resolution->has_actor &&
	    strcmp(out.v[0]->resolution->actor.name, "carol") == 0 &&
	    out.v[0]->resolution->at_ms == out.v[0]->event_time_ms, "who and when: the revert's");
	is_int((int)detector_open_count(det), 0, "nothing tracked any more");
	is_int((int)detector_stats(det)->resolved[RR_REVERTED_BY_HAND], 2, "stats count resolutions");
	finding_list_clear(&out);

	/* Computed side effects never drift and never keep a finding open. */
	r = run(LREC("e4", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":5}",
	    ",\"responseElements\":{\"stamp\":\"s1\"}"), &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->nchanges == 1 &&
	    strcmp(out.v[0]->changes[0].attribute, "size") == 0, "a computed attribute is no change");
	finding_list_clear(&out);
	r = run(LREC("e5", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":1}",
	    ",\"responseElements\":{\"stamp\":\"s2\"}"), &out);
	lc_res(&out, got, sizeof got);
	ok(r == ND_EQUAL && strcmp(got, "e4:reverted_by_hand:e5") == 0 && out.n == 1,
	    "the revert resolves it although the stamp moved on: %s", got);
	finding_list_clear(&out);
	r = run(LREC("e5b", "SetThing", "aws-cli/2", "{\"id\":\"i-a\"}",
	    ",\"responseElements\":{\"stamp\":\"s3\"}"), &out);
	ok(r == ND_EQUAL && out.n == 0, "a call that only moves a computed attribute is no finding");

	/* Partly back: still open; all back: resolved. */
	run(LREC("e6", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":7,\"mode\":\"y\"}", ""), &out);
	finding_list_clear(&out);
	run(LREC("e7", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":1}", ""), &out);
	ok(out.n == 0, "one of two attributes back: still open");
	run(LREC("e8", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"mode\":\"x\"}", ""), &out);
	lc_res(&out, got, sizeof got);
	is_str(got, "e6:reverted_by_hand:e8", "both back: resolved");
	finding_list_clear(&out);

	/* A failed revert resolves nothing; the pipeline's revert does. */
	run(LREC("e9", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":9}", ""), &out);
	finding_list_clear(&out);
	r = run(LREC("e10", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":1}",
	    ",\"errorCode\":\"AccessDenied\""), &out);
	ok(r == ND_FAILED && out.n == 0, "a failed revert resolves nothing");
	r = run(LREC("e11", "SetThing", TF_UA, "{\"id\":\"i-a\",\"size\":1}", ""), &out);
	lc_res(&out, got, sizeof got);
	ok(r == ND_TERRAFORM && strcmp(got, "e9:reverted_by_terraform:e11") == 0,
	    "terraform puts it back: reverted_by_terraform (%s)", got);
	finding_list_clear(&out);

	/* Sets: members added, then removed. */
	run(LREC("e12", "AddMember", "aws-cli/2", "{\"id\":\"i-a\",\"member\":[\"m1\",\"m2\"]}", ""), &out);
	ok(out.n == 1 && out.v[0]->changes[0].change == CH_ADDED, "members added");
	finding_list_clear(&out);
	run(LREC("e13", "RemoveMember", "aws-cli/2", "{\"id\":\"i-a\",\"member\":[\"m1\"]}", ""), &out);
	ok(out.n == 0, "one of them removed: still open");
	run(LREC("e14", "RemoveMember", "aws-cli/2", "{\"id\":\"i-a\",\"member\":[\"m2\"]}", ""), &out);
	lc_res(&out, got, sizeof got);
	is_str(got, "e12:reverted_by_hand:e14", "both removed: resolved");
	finding_list_clear(&out);

	/* A value the log never gives stays open, until Terraform destroys the resource. */
	run(LREC("e15", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"secret\":\"t\"}", ""), &out);
	ok(out.n == 1 && out.v[0]->changes[0].unknown_new, "a redacted change");
	finding_list_clear(&out);
	run(LREC("e16", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"secret\":\"s\"}", ""), &out);
	ok(lc_new(&out) == 1 && out.n == 1, "a redacted value cannot be seen going back: open (and a new one)");
	finding_list_clear(&out);
	r = run(LREC("e17", "DeleteThing", TF_UA, "{\"id\":\"i-a\"}", ""), &out);
	lc_res(&out, got, sizeof got);
	ok(r == ND_TERRAFORM && strcmp(got, "e15:resource_gone:e17 e16:resource_gone:e17") == 0,
	    "a pipeline delete: resource_gone (%s)", got);
	finding_list_clear(&out);

	/* Unmanaged: made by hand, deleted by hand. */
	run(LREC("e18", "CreateThing", "aws-cli/2", "{\"id\":\"i-new\",\"size\":4}", ""), &out);
	ok(out.n == 1 && out.v[0]->kind == FK_UNMANAGED, "an unmanaged resource");
	finding_list_clear(&out);
	r = run(LREC("e19", "DeleteThing", "aws-cli/2", "{\"id\":\"i-new\"}", ""), &out);
	lc_res(&out, got, sizeof got);
	ok(r == ND_NOT_MANAGED && strcmp(got, "e18:reverted_by_hand:e19") == 0,
	    "deleted again by hand: reverted_by_hand (%s)", got);
	finding_list_clear(&out);
	r = run(LREC("e20", "CreateThing", "aws-cli/2", "{\"id\":\"i-new\",\"size\":4}", ""), &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->kind == FK_UNMANAGED && out.v[0]->status == ST_OPEN,
	    "made again after its finding resolved: reported again");
	finding_list_clear(&out);
	r = run(LREC("e21", "SetThing", "aws-cli/2", "{\"id\":\"i-new\",\"size\":5}", ""), &out);
	ok(r == ND_NOT_MANAGED && out.n == 0, "while that one is open, later changes add nothing");
	detector_free(det);

	/* Newest first: the revert comes before the drift it reverts. */
	ix = lc_state(m, "lin-1", 3, 1, 1);
	det = detector_new(m, ix, &conf);
	state_index_unref(ix);
	r = run(LRECT("d2", "2024-05-27T12:00:00Z", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":1}"), &out);
	ok(r == ND_EQUAL && out.n == 0, "newest first: the revert alone is nothing");
	r = run(LRECT("d1", "2024-05-27T11:30:00Z", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":6}"), &out);
	lc_res(&out, got, sizeof got);
	ok(r == ND_DRIFT && out.n == 2 && out.v[0]->status == ST_OPEN &&
	    strcmp(got, "d1:reverted_by_hand:d2") == 0,
	    "the older drift comes out, then resolved by the later revert seen before (%s)", got);
	finding_list_clear(&out);
	r = run(LRECT("d4", "2024-05-27T13:00:00Z", "DeleteThing", TF_UA, "{\"id\":\"i-b\"}"), &out);
	r = run(LRECT("d3", "2024-05-27T12:30:00Z", "SetThing", "aws-cli/2", "{\"id\":\"i-b\",\"mode\":\"z\"}"), &out);
	lc_res(&out, got, sizeof got);
	is_str(got, "d3:resource_gone:d4", "a later pipeline delete seen before: resource_gone");
	r = run(LRECT("d5", "2024-05-27T12:45:00Z", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":7}"), &out);
	lc_res(&out, got, sizeof got);
	ok(out.n == 3 && lc_new(&out) == 2 && strcmp(got, "d3:resource_gone:d4") == 0,
	    "a drift after the newest revert stays open");
	finding_list_clear(&out);
	detector_free(det);

	/* Newer states: accepted_in_state, resource_gone; never another lineage or serial. */
	ix = lc_state(m, "lin-1", 3, 1, 1);
	det = detector_new(m, ix, &conf);
	state_index_unref(ix);
	run(LREC("n1", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":20}", ""), &out);
	run(LREC("n2", "SetThing", "aws-cli/2", "{\"id\":\"i-b\",\"mode\":\"z\"}", ""), &out);
	run(LREC("n3", "CreateThing", "aws-cli/2", "{\"id\":\"i-c\",\"size\":4}", ""), &out);
	ok(out.n == 3 && out.v[0]->state_serial == 3 && out.v[0]->state_lineage != NULL &&
	    strcmp(out.v[0]->state_lineage, "lin-1") == 0, "findings know their state's lineage and serial");
	finding_list_clear(&out);
	ix = lc_state(m, "lin-2", 9, 20, 1);
	is_int((int)detector_refresh(det, ix, 1700000000000LL, &out), 0, "another lineage decides nothing");
	state_index_unref(ix);
	ix = lc_state(m, "lin-1", 3, 20, 1);
	is_int((int)detector_refresh(det, ix, 1700000000000LL, &out), 0, "the same serial decides nothing");
	state_index_unref(ix);
	ix = lc_state(m, "lin-1", 4, 20, 1);
	is_int((int)detector_refresh(det, ix, 1700000000000LL, &out), 1, "serial 4 holds size 20");
	state_index_unref(ix);
	lc_res(&out, got, sizeof got);
	ok(strcmp(got, "n1:accepted_in_state:-") == 0 && out.n == 1 &&
	    out.v[0]->resolution->at_ms == 1700000000000LL && !out.v[0]->resolution->has_actor,
	    "accepted_in_state, at the time the state was read, no event or actor: %s", got);
	ok(out.n == 1 && out.v[0]->resolution->state_path != NULL &&
	    strcmp(out.v[0]->resolution->state_path, "lc.tfstate") == 0 &&
	    out.v[0]->resolution->state_serial == 4, "the resolution names the state: its path and serial 4");
	finding_list_clear(&out);
	{
		/* The unmanaged one, as the store would give it to scan --store. */
		struct finding *f = NULL;
		struct finding_list l = { 0 };

		run(LREC("n4", "CreateThing", "aws-cli/2", "{\"id\":\"i-d\",\"size\":4}", ""), &l);
		if (l.n == 1)
			f = l.v[0];
		ix = lc_state(m, "lin-1", 4, 20, 1);
		ok(f != NULL && detector_reevaluate(det, ix, l.v, l.n, 5) == 0, "not managed yet: open");
		ok(f != NULL && f->resolution == NULL, "... and no resolution");
		state_index_unref(ix);
		finding_list_clear(&l);
	}
	ix = lc_state(m, "lin-1", 5, 20, 0);
	detector_refresh(det, ix, 1700000001000LL, &out);
	state_index_unref(ix);
	lc_res(&out, got, sizeof got);
	is_str(got, "", "aws_instance.a gone from serial 5, but nothing open on it");
	finding_list_clear(&out);
	detector_free(det);

	ix = lc_state(m, "lin-1", 3, 1, 1);
	det = detector_new(m, ix, &conf);
	state_index_unref(ix);
	run(LREC("g1", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":8}", ""), &out);
	finding_list_clear(&out);
	ix = lc_state(m, "lin-1", 5, 1, 0);
	is_int((int)detector_refresh(det, ix, 1700000002000LL, &out), 1, "a newer state without it...");
	state_index_unref(ix);
	lc_res(&out, got, sizeof got);
	is_str(got, "g1:resource_gone:-", "... resource_gone");
	ok(out.n == 1 && out.v[0]->resolution->state_path != NULL &&
	    out.v[0]->resolution->state_serial == 5, "... by serial 5, named");
	finding_list_clear(&out);
	detector_free(det);

	/* The detector remembers its last lookups by id (FIND_MEMO): a new index forgets them.
	 * The same id, looked up again, is the new state's instance (size 9 there: no drift),
	 * not the old one's (size 1, and freed with its index). */
	ix = lc_state(m, "lin-1", 3, 1, 1);
	det = detector_new(m, ix, &conf);
	state_index_unref(ix);
	r = run(LREC("h1", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":9}", ""), &out);
	ok(r == ND_DRIFT && out.n == 1 && strcmp(out.v[0]->address, "aws_instance.a") == 0,
	    "i-a is aws_instance.a: size 1 -> 9");
	finding_list_clear(&out);
	ix = lc_state(m, "lin-2", 1, 9, 1);
	detector_set_index(det, ix);
	state_index_unref(ix);
	r = run(LREC("h2", "SetThing", "aws-cli/2", "{\"id\":\"i-a\",\"size\":9}", ""), &out);
	ok(r == ND_EQUAL && lc_new(&out) == 0, "after a new index, i-a is its instance (size 9): "
	    "equal, no finding (got %d, %zu)", (int)r, out.n);
	finding_list_clear(&out);
	free(out.v);
	detector_free(det);
	det = save;
	eventmap_free(m);
	conf_free(&conf);
	free(err);
}

/* ---- sg_rule: security-group rules as resources of their own ---- */

/* A map of made-up calls (the language, not ec2.yaml): rules granted and withdrawn on group
 * requestParameters.g, egress. */
static const char SG_MAP[] =
    "provider: aws\n"
    "service: ec2.amazonaws.com\n"
    "events:\n"
    "  - event: GrantRule\n"
    "    resource: aws_vpc_security_group_egress_rule\n"
    "    action: set_add\n"
    "    id: [\"responseElements.rules[].securityGroupRuleId\"]\n"
    "    sg_rule: {group: requestParameters.g, direction: egress, rules: [responseElements.rules, requestParameters.perms]}\n"
    "  - event: GrantRule\n"
    "    resource: aws_security_group\n"
    "    action: set_add\n"
    "    id: [requestParameters.g]\n"
    "    attributes:\n"
    "      - {name: egress, path: requestParameters.perms, transform: sg_rules}\n"
    "  - event: WithdrawRule\n"
    "    resource: aws_vpc_security_group_egress_rule\n"
    "    action: set_remove\n"
    "    id: [\"requestParameters.ids[]\"]\n"
    "    sg_rule: {group: requestParameters.g, direction: egress, rules: [requestParameters.perms]}\n";

#define SG_INST(type, name, attrs) \
	"{\"mode\":\"managed\",\"type\":\"" type "\",\"name\":\"" name "\"," \
	"\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\"," \
	"\"instances\":[{\"attributes\":" attrs "}]}"

/* Group sg-1 with an egress rule resource (and an ingress one, which egress calls never
 * touch); group sg-2 with in-line rules only. */
static const char SG_STATE[] =
    "{\"version\":4,\"terraform_version\":\"1.5.7\",\"serial\":1,\"lineage\":\"s\",\"resources\":["
    SG_INST("aws_security_group", "a", "{\"id\":\"sg-1\",\"egress\":[],\"ingress\":[]}") ","
    SG_INST("aws_security_group", "b", "{\"id\":\"sg-2\",\"egress\":[],\"ingress\":[]}") ","
    SG_INST("aws_vpc_security_group_egress_rule", "https",
        "{\"id\":\"sgr-1\",\"security_group_id\":\"sg-1\",\"ip_protocol\":\"tcp\",\"from_port\":443,"
        "\"to_port\":443,\"cidr_ipv4\":\"10.0.0.0/8\"}") ","
    SG_INST("aws_vpc_security_group_ingress_rule", "in",
        "{\"id\":\"sgr-2\",\"security_group_id\":\"sg-1\",\"ip_protocol\":\"tcp\",\"from_port\":443,"
        "\"to_port\":443,\"cidr_ipv4\":\"10.9.0.0/16\"}")
    "]}";

#define SG_REC(id, name, params, resp) \
	"{\"eventVersion\":\"1.08\",\"eventID\":\"" id "\",\"eventTime\":\"2024-05-27T10:00:00Z\"," \
	"\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"" name "\",\"awsRegion\":\"eu-west-1\"," \
	"\"userAgent\":\"aws-cli/2\",\"readOnly\":false,\"sourceIPAddress\":\"203.0.113.1\"," \
	"\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"alice\",\"arn\":\"arn:aws:iam::1:user/alice\",\"accountId\":\"1\"}," \
	"\"requestParameters\":" params ",\"responseElements\":" resp "}"

#define SG_PERM(proto, from, to, cidr) \
	"{\"ipProtocol\":\"" proto "\",\"fromPort\":" #from ",\"toPort\":" #to ",\"ipRanges\":{\"items\":[{\"cidrIp\":\"" cidr "\"}]}}"

static struct event
sg_event(const char *json)
{
	json_object *o = json_tokener_parse(json);
	struct event ev;
	const char *why = NULL;

	memset(&ev, 0, sizeof ev);
	if (o == NULL || event_from_cloudtrail(o, &ev, &why) != 0)
		tf_fatal("bad test record %s: %s", json, why ? why : "unparseable");
	json_object_put(o);
	return ev;
}

struct sg_seen {
	char got[256];
};

static void
sg_on_instance(void *ctx, const struct event *part, const struct em_entry *e,
    enum em_action action, const struct tf_instance *in)
{
	struct sg_seen *s = ctx;

	snprintf(s->got + strlen(s->got), sizeof s->got - strlen(s->got), "%s%s %s",
	    *s->got ? ", " : "", em_action_name(action), in->address);
}

static void
test_sgrule(void)
{
	struct eventmap *m = eventmap_new();
	char **errs = NULL, *err = NULL, *k;
	size_t nerrs = 0, nspecs;
	struct tf_state *st = NULL;
	struct state_index *ix;
	const struct index_key_spec *specs;
	struct conf conf;
	struct detector *d;
	struct finding_list out = { 0 };
	struct event ev;
	struct sg_seen seen;

	ok(eventmap_load_mem(m, "sg-map.yaml", SG_MAP, sizeof SG_MAP - 1, &errs, &nerrs) == 0,
	    "sg_rule map loads");
	yerrs_free(errs, nerrs);
	ok(tfstate_parse(SG_STATE, sizeof SG_STATE - 1, "sg.tfstate", &st, &err) == 0, "sg state parses");
	free(err);
	specs = eventmap_index_specs(m, &nspecs);
	ix = state_index_build(&st, 1, specs, nspecs);
	conf_init(&conf);
	d = detector_new(m, ix, &conf);
	state_index_unref(ix);

	/* An added rule on sg-1 (rules as resources): unmanaged rule, named by the response. */
	ev = sg_event(SG_REC("g1", "GrantRule", "{\"g\":\"sg-1\",\"perms\":[" SG_PERM("tcp", 22, 22, "0.0.0.0/0") "]}",
	    "{\"rules\":[{\"securityGroupRuleId\":\"sgr-9\",\"ipProtocol\":\"tcp\",\"fromPort\":22,\"toPort\":22,\"cidrIpv4\":\"0.0.0.0/0\"}]}"));
	k = detector_resource_key(d, &ev);
	is_str(k, "aws_vpc_security_group_egress_rule:sgr-9", "resource key: the new rule, TYPE:ID");
	free(k);
	is_int(detect_event(d, &ev, &out), ND_DRIFT, "a rule no rule resource holds is drift");
	ok(out.n == 1 && out.v[0]->kind == FK_UNMANAGED && out.v[0]->address == NULL &&
	    strcmp(out.v[0]->type, "aws_vpc_security_group_egress_rule") == 0 &&
	    strcmp(out.v[0]->resource_id, "sgr-9") == 0, "one unmanaged egress rule sgr-9");
	ok(out.n == 1 && out.v[0]->nchanges == 5 && strcmp(out.v[0]->changes[4].attribute, "cidr_ipv4") == 0,
	    "with its group, protocol, ports and CIDR");
	finding_list_clear(&out);
	event_free(&ev);

	/* The rule sg-1's egress rule resource holds (the ingress one is not a match). */
	ev = sg_event(SG_REC("g2", "GrantRule", "{\"g\":\"sg-1\",\"perms\":[" SG_PERM("tcp", 443, 443, "10.0.0.0/8") "]}", "{}"));
	k = detector_resource_key(d, &ev);
	is_str(k, "aws_vpc_security_group_egress_rule.https", "resource key: the rule resource holding it");
	free(k);
	is_int(detect_event(d, &ev, &out), ND_EQUAL, "a rule a rule resource holds is not drift");
	event_free(&ev);
	ev = sg_event(SG_REC("g3", "GrantRule", "{\"g\":\"sg-1\",\"perms\":[" SG_PERM("tcp", 443, 443, "10.9.0.0/16") "]}", "{}"));
	is_int(detect_event(d, &ev, &out), ND_DRIFT, "the ingress rule's permissions in egress are new");
	ok(out.n == 1 && out.v[0]->kind == FK_UNMANAGED &&
	    strcmp(out.v[0]->resource_id, "sg-1_egress_tcp_443_443_10.9.0.0/16") == 0,
	    "no rule id in the record: named by the legacy import id");
	finding_list_clear(&out);
	event_free(&ev);

	/* sg-2 has no rule resources: the group's in-line rules decide, as before. */
	ev = sg_event(SG_REC("g4", "GrantRule", "{\"g\":\"sg-2\",\"perms\":[" SG_PERM("tcp", 22, 22, "0.0.0.0/0") "]}", "{}"));
	is_int(detect_event(d, &ev, &out), ND_DRIFT, "in-line rules: drift on the group");
	ok(out.n == 1 && out.v[0]->kind == FK_MODIFIED && strcmp(out.v[0]->address, "aws_security_group.b") == 0,
	    "a change of aws_security_group.b");
	finding_list_clear(&out);
	event_free(&ev);

	/* Withdrawn by id and by rule: blame's view and the finding. */
	ev = sg_event(SG_REC("w1", "WithdrawRule", "{\"g\":\"sg-1\",\"ids\":[\"sgr-1\"]}", "{}"));
	memset(&seen, 0, sizeof seen);
	is_int(detector_each_instance(d, &ev, sg_on_instance, &seen), 1, "each_instance: one call");
	is_str(seen.got, "delete aws_vpc_security_group_egress_rule.https", "... deleting the rule resource");
	is_int(detect_event(d, &ev, &out), ND_DRIFT, "withdrawn by id: drift");
	ok(out.n == 1 && out.v[0]->kind == FK_DELETED &&
	    strcmp(out.v[0]->address, "aws_vpc_security_group_egress_rule.https") == 0, "deleted on the rule resource");
	finding_list_clear(&out);
	event_free(&ev);
	ev = sg_event(SG_REC("w2", "WithdrawRule", "{\"g\":\"sg-1\",\"ids\":[\"sgr-2\"]}", "{}"));
	is_int(detect_event(d, &ev, &out), ND_NOT_MANAGED, "an ingress rule's id in an egress call names nothing");
	event_free(&ev);
	ev = sg_event(SG_REC("w3", "WithdrawRule", "{\"g\":\"sg-1\",\"perms\":[" SG_PERM("tcp", 22, 22, "0.0.0.0/0") "]}", "{}"));
	is_int(detect_event(d, &ev, &out), ND_NOT_MANAGED, "withdrawing the unmanaged rule is not drift ...");
	ok(out.n == 1 && out.v[0]->status == ST_RESOLVED && strcmp(out.v[0]->resource_id, "sgr-9") == 0 &&
	    out.v[0]->resolution != NULL && out.v[0]->resolution->reason == RR_REVERTED_BY_HAND,
	    "... and resolves it (by the id its finding had)");
	finding_list_clear(&out);
	event_free(&ev);
	free(out.v);

	detector_free(d);
	eventmap_free(m);
	conf_free(&conf);
}

/* ---- GCP IAM binding deltas, through the shipped maps (rules/events) ---- */

static const char IAM_STATE[] =
    "{\"version\":4,\"serial\":1,\"lineage\":\"iam\",\"resources\":["
    "{\"mode\":\"managed\",\"type\":\"google_project_iam_member\",\"name\":\"oncall\","
    " \"provider\":\"provider[\\\"registry.terraform.io/hashicorp/google\\\"]\",\"instances\":[{\"attributes\":"
    "  {\"id\":\"corp-prod/roles/viewer/group:oncall@corp.example\",\"project\":\"corp-prod\","
    "   \"role\":\"roles/viewer\",\"member\":\"group:oncall@corp.example\"}}]},"
    "{\"mode\":\"managed\",\"type\":\"google_project_iam_binding\",\"name\":\"owners\","
    " \"provider\":\"provider[\\\"registry.terraform.io/hashicorp/google\\\"]\",\"instances\":[{\"attributes\":"
    "  {\"id\":\"corp-prod/roles/owner\",\"project\":\"corp-prod\",\"role\":\"roles/owner\","
    "   \"members\":[\"user:alice@corp.example\"]}}]}"
    "]}";

/* An IAM entry with these deltas: 0, or -1 (reported). */
static int
iam_event(struct event *ev, const char *id, const char *deltas)
{
	char *s = xasprintf("{\"insertId\":\"%s\",\"logName\":\"projects/corp-prod/logs/"
	    "cloudaudit.googleapis.com%%2Factivity\",\"timestamp\":\"2024-05-27T10:00:00Z\","
	    "\"resource\":{\"type\":\"project\",\"labels\":{\"project_id\":\"corp-prod\"}},"
	    "\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
	    "\"serviceName\":\"cloudresourcemanager.googleapis.com\",\"methodName\":\"SetIamPolicy\","
	    "\"resourceName\":\"projects/corp-prod\",\"authenticationInfo\":{\"principalEmail\":"
	    "\"bob@corp.example\"},\"requestMetadata\":{\"callerSuppliedUserAgent\":\"gcloud/470.0.0\"},"
	    "\"serviceData\":{\"policyDelta\":{\"bindingDeltas\":%s}}}}", id, deltas);
	json_object *o = json_tokener_parse(s);
	const char *why = NULL;
	int rc = 0;

	memset(ev, 0, sizeof *ev);
	if (o == NULL || event_from_logentry(o, ev, &why) != 0) {
		diag("bad test entry %s: %s", id, why != NULL ? why : "unparseable");
		rc = -1;
	}
	json_object_put(o);
	free(s);
	return rc;
}

static enum nodrift
iam_run(struct detector *d, const char *id, const char *deltas, struct finding_list *out)
{
	struct event ev;
	enum nodrift r = ND__COUNT;

	if (iam_event(&ev, id, deltas) == 0)
		r = detect_event(d, &ev, out);
	event_free(&ev);
	return r;
}

static void
count_each(void *ctx, const struct event *part, const struct em_entry *e, enum em_action action,
    const struct tf_instance *in)
{
	char *buf = ctx;
	size_t len = strlen(buf);

	(void)part;
	(void)e;
	snprintf(buf + len, 256 - len, "%s%s:%s", len > 0 ? " " : "", em_action_name(action),
	    in->address);
}

static void
iam_keys(struct detector *d, const char *deltas, const char *want_key, const char *want_each,
    const char *what)
{
	struct event ev;
	char each[256] = "", *k;

	if (iam_event(&ev, "k", deltas) != 0)
		return;
	k = detector_resource_key(d, &ev);
	is_str(k, want_key, "%s: the resource key", what);
	free(k);
	detector_each_instance(d, &ev, count_each, each);
	is_str(each, want_each, "%s: the instances it touches", what);
	event_free(&ev);
}

static void
test_iam_deltas(void)
{
	char *dir = xasprintf("%s/rules/events", getenv("TOP_SRCDIR") != NULL ?
	    getenv("TOP_SRCDIR") : ".");
	struct eventmap *m = NULL;
	char **errs = NULL, *err = NULL, *big;
	size_t nerrs = 0, nspecs;
	struct tf_state *st = NULL;
	struct state_index *ix;
	const struct index_key_spec *specs;
	struct conf conf;
	struct detector *d;
	struct finding_list out = { 0 };
	enum nodrift r;

	ok(eventmap_load_dir(dir, &m, &errs, &nerrs) == 0, "the shipped maps load");
	yerrs_free(errs, nerrs);
	free(dir);
	if (m == NULL)
		return;
	ok(tfstate_parse(IAM_STATE, sizeof IAM_STATE - 1, "iam.tfstate", &st, &err) == 0,
	    "IAM state parses %s", err != NULL ? err : "");
	free(err);
	specs = eventmap_index_specs(m, &nspecs);
	ix = state_index_build(&st, 1, specs, nspecs);
	conf_init(&conf);
	d = detector_new(m, ix, &conf);
	state_index_unref(ix);

	/* Deltas that are not deltas: never a crash, never silent. Without a list of deltas the
	 * older alternatives decide (the project's policy, unmanaged: what no state holds). */
	r = iam_run(d, "h1", "\"not a list\"", &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->kind == FK_UNMANAGED &&
	    strcmp(out.v[0]->type, "google_project_iam_policy") == 0,
	    "deltas that are not a list: the entries without deltas decide (%s)", nodrift_name(r));
	finding_list_clear(&out);
	r = iam_run(d, "h2", "[]", &out);
	ok(r == ND_NOT_MANAGED && out.n == 0, "no deltas: likewise, reported once (%s)",
	    nodrift_name(r));
	r = iam_run(d, "h3", "[1, null, \"x\", [], {}, {\"action\":\"ADD\"},"
	    "{\"action\":\"UPDATE\",\"role\":\"roles/owner\",\"member\":\"user:x@y\"},"
	    "{\"action\":\"ADD\",\"role\":\"\",\"member\":\"user:x@y\"},"
	    "{\"action\":\"ADD\",\"role\":7,\"member\":\"user:x@y\"}]", &out);
	is_int(out.n, 0, "deltas none of which reads as one: as without deltas (reported once)");
	is_str(nodrift_name(r), "not_managed", "... and the call is accounted for");
	finding_list_clear(&out);
	big = xmalloc(20001);
	memset(big, 'a', 20000);
	big[20000] = '\0';
	{
		char *dl = xasprintf("[{\"action\":\"ADD\",\"role\":\"roles/x\",\"member\":\"user:%s\"},"
		    "{\"action\":\"REMOVE\",\"role\":\"roles/viewer\",\"member\":\"group:oncall@corp.example\"}]",
		    big);

		r = iam_run(d, "h4", dl, &out);
		free(dl);
	}
	free(big);
	is_int(out.n, 2, "a huge member next to a real removal: both decided");
	if (out.n == 2) {
		ok(out.v[0]->kind == FK_UNMANAGED && strncmp(out.v[0]->resource_id,
		    "corp-prod/roles/x/user:aaaa", 27) == 0, "the huge one is an unmanaged member");
		ok(out.v[1]->kind == FK_DELETED && strcmp(out.v[1]->address,
		    "google_project_iam_member.oncall") == 0, "the removal deletes the managed member");
	}
	finding_list_clear(&out);
	r = iam_run(d, "h5", "[{\"action\":\"ADD\",\"role\":\"roles/owner\",\"member\":\"user:alice@corp.example\"}]",
	    &out);
	ok(r == ND_EQUAL && out.n == 0, "an ADD the binding already holds is equal (%s)", nodrift_name(r));
	r = iam_run(d, "h6", "[{\"action\":\"ADD\",\"role\":\"roles/owner\",\"member\":\"user:bob@corp.example\"},"
	    "{\"action\":\"REMOVE\",\"role\":\"roles/owner\",\"member\":\"user:bob@corp.example\"}]", &out);
	ok(r == ND_EQUAL && out.n == 0, "an ADD and a REMOVE of one member in one call cancel (%s)",
	    nodrift_name(r));
	finding_list_clear(&out);

	/* A change freeze on members: an IAM call during it violates it even when Terraform
	 * already holds the member it grants. */
	{
		struct freeze_window w;

		memset(&w, 0, sizeof w);
		w.name = xstrdup("iam-freeze");
		ok(tf_parse_time("2024-05-27T09:00:00Z", &w.start_ms) == 0 &&
		    tf_parse_time("2024-05-27T11:00:00Z", &w.end_ms) == 0, "freeze window times");
		strlist_push(&w.resource_types, "google_project_iam_member");
		detector_set_freezes(d, &w, 1);
		r = iam_run(d, "f1", "[{\"action\":\"ADD\",\"role\":\"roles/viewer\","
		    "\"member\":\"group:oncall@corp.example\"}]", &out);
		/* The member deleted above is made again: that finding resolves too. */
		ok(out.n == 2 && out.v[0]->kind == FK_DELETED && out.v[0]->status == ST_RESOLVED,
		    "the ADD resolves the member's deletion (%zu findings)", out.n);
		ok(out.n == 2 && out.v[1]->kind == FK_FREEZE_VIOLATION && out.v[1]->type != NULL &&
		    strcmp(out.v[1]->type, "google_project_iam_member") == 0,
		    "a member freeze takes an IAM call on members (%s)", nodrift_name(r));
		finding_list_clear(&out);
		detector_set_freezes(d, NULL, 0);
		freeze_window_clear(&w);
	}

	/* What the dashboard files the call under, and what blame asks about. */
	iam_keys(d, "[{\"action\":\"REMOVE\",\"role\":\"roles/viewer\",\"member\":\"group:oncall@corp.example\"}]",
	    "google_project_iam_member.oncall", "delete:google_project_iam_member.oncall",
	    "a managed member removed");
	iam_keys(d, "[{\"action\":\"ADD\",\"role\":\"roles/owner\",\"member\":\"user:x@corp.example\"},"
	    "{\"action\":\"REMOVE\",\"role\":\"roles/owner\",\"member\":\"user:alice@corp.example\"}]",
	    "google_project_iam_binding.owners", "modify:google_project_iam_binding.owners",
	    "two deltas on a managed binding (touched once)");
	iam_keys(d, "[{\"action\":\"ADD\",\"role\":\"roles/editor\",\"member\":\"user:x@corp.example\"}]",
	    "google_project_iam_member:corp-prod/roles/editor/user:x@corp.example", "",
	    "a member nothing manages");
	detector_free(d);
	conf_free(&conf);
	eventmap_free(m);
}

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
	/* ... and it puts e1's change back: e1 is handed out again, resolved by hand. */
	ok(out.n == 1 && out.v[0]->status == ST_RESOLVED && strcmp(out.v[0]->event_id, "e1") == 0 &&
	    out.v[0]->resolution != NULL && out.v[0]->resolution->reason == RR_REVERTED_BY_HAND &&
	    strcmp(out.v[0]->resolution->event_id, "e2") == 0, "the revert resolves e1 (reverted_by_hand)");
	finding_list_clear(&out);
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
	ok(out.n == 1 && out.v[0]->status == ST_RESOLVED && strcmp(out.v[0]->event_id, "e10") == 0,
	    "the policy back as state has it resolves e10");
	finding_list_clear(&out);
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
	test_held();
	test_lifecycle();
	test_ids();
	test_sgrule();
	test_iam_deltas();
	return done_testing();
}
