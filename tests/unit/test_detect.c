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
	free(out.v);
	detector_free(det);
	det = save;
	eventmap_free(m);
	conf_free(&conf);
	free(err);
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
	return done_testing();
}
