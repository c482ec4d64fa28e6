/* test_event: normalized events, actor/via resolution, format sniffing, streaming readers,
 * the read-only fast path, and every shared CloudTrail / Cloud Audit Logs sample. */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "text.h"
#include "util.h"
#include "tap.h"

static const char *top;
static char *shared;
static int have_shared;

struct warns {
	int n;
	char *first;
	char *last;
};

static void
collect_warn(void *ctx, const char *msg)
{
	struct warns *w = ctx;

	w->n++;
	if (w->first == NULL)
		w->first = xstrdup(msg);
	free(w->last);
	w->last = xstrdup(msg);
}

static void
warns_free(struct warns *w)
{
	free(w->first);
	free(w->last);
	memset(w, 0, sizeof *w);
}

static char *
fixture(const char *name)
{
	return xasprintf("%s/tests/data/events/%s", top, name);
}

/* All events of one input, kept for inspection. */
struct evlist {
	struct event *v;
	size_t n;
	struct ev_counters cnt;
	uint64_t ro;
	enum ev_format fmt;
	int rc;            /* last ev_reader_next result, or -2 when the open failed */
	char *err;
	struct warns w;
};

static void
evlist_free(struct evlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		event_free(&l->v[i]);
	free(l->v);
	free(l->err);
	warns_free(&l->w);
	memset(l, 0, sizeof *l);
}

static void
drain_reader(struct ev_reader *r, struct evlist *l, int keep)
{
	struct event ev;

	ev_reader_set_warn(r, collect_warn, &l->w);
	while ((l->rc = ev_reader_next(r, &ev, &l->err)) == 1) {
		if (!keep) {
			event_free(&ev);
			continue;
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n++] = ev;
	}
	l->cnt = *ev_reader_counters(r);
	l->ro = ev_reader_skipped_read_only(r);
	l->fmt = ev_reader_format(r);
	ev_reader_close(r);
}

static void
read_path(const char *path, int skip_ro, int keep, struct evlist *l)
{
	struct ev_reader *r;

	memset(l, 0, sizeof *l);
	if ((r = ev_reader_open(path, &l->err)) == NULL) {
		l->rc = -2;
		return;
	}
	ev_reader_set_skip_read_only(r, skip_ro);
	drain_reader(r, l, keep);
}

static void
read_mem_n(const char *text, size_t len, int skip_ro, struct evlist *l)
{
	struct ev_reader *r;

	memset(l, 0, sizeof *l);
	if ((r = ev_reader_open_mem("mem", text, len, &l->err)) == NULL) {
		l->rc = -2;
		return;
	}
	ev_reader_set_skip_read_only(r, skip_ro);
	drain_reader(r, l, 1);
}

static void
read_mem(const char *text, int skip_ro, struct evlist *l)
{
	struct ev_reader *r;

	memset(l, 0, sizeof *l);
	if ((r = ev_reader_open_mem("mem", text, strlen(text), &l->err)) == NULL) {
		l->rc = -2;
		return;
	}
	ev_reader_set_skip_read_only(r, skip_ro);
	drain_reader(r, l, 1);
}

static struct event *
find_id(struct evlist *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].id != NULL && strcmp(l->v[i].id, id) == 0)
			return &l->v[i];
	return NULL;
}

static int64_t
ms(const char *t)
{
	int64_t v = -1;

	tf_parse_time(t, &v);
	return v;
}

static void
skip(const char *why)
{
	printf("ok %d # SKIP %s\n", ++tap_n, why);
}

/* ---- user agents: real strings from the shared samples ---- */

static void
test_via_table(void)
{
	static const struct {
		enum tf_provider p;
		const char *ua;
		enum tf_via want;
	} t[] = {
		/* invictus CloudTrail */
		{ PROV_AWS, "APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/3.76.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.157 (go1.19.3; linux; amd64) HashiCorp-terraform-exec/0.17.3", VIA_TERRAFORM },
		{ PROV_AWS, "[APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/4.67.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.261 (go1.19.8; linux; amd64) stratus-red-team_39f95f43-cd2f-4beb-b69e-be60b6fe1f57 HashiCorp-terraform-exec/0.17.3]", VIA_TERRAFORM },
		{ PROV_AWS, "stratus-red-team_39f95f43-cd2f-4beb-b69e-be60b6fe1f57", VIA_SDK },
		{ PROV_AWS, "AWS Internal", VIA_SERVICE },
		{ PROV_AWS, "secretsmanager.amazonaws.com", VIA_SERVICE },
		{ PROV_AWS, "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10.184-153.731.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.372-b08 java/1.8.0_372 vendor/Oracle_Corporation cfg/retry-mode/standard]", VIA_CONSOLE },
		{ PROV_AWS, "RDS Console, aws-internal/3 aws-sdk-java/1.11.975 Linux/5.10.184-153.731.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.242-b08 java/1.8.0_242 vendor/Oracle_Corporation cfg/retry-mode/legacy", VIA_CONSOLE },
		{ PROV_AWS, "[AWSCloudTrail, aws-internal/3 aws-sdk-java/1.12.433 Linux/5.4.247-169.350.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.362-b10 java/1.8.0_362 vendor/Oracle_Corporation cfg/retry-mode/standard]", VIA_SERVICE },
		{ PROV_AWS, "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:102.0) Gecko/20100101 Firefox/102.0", VIA_CONSOLE },
		{ PROV_AWS, "[Boto3/1.26.165 Python/3.10.6 Linux/5.19.0-46-generic Botocore/1.29.165]", VIA_SDK },
		{ PROV_AWS, "aws-sdk-go/1.41.4 (go1.18.3; linux; amd64) amazon-ssm-agent/", VIA_SDK },
		{ PROV_AWS, "aws-sdk-go-v2/1.17.0 os/linux lang/go/1.18.10 md/GOOS/linux md/GOARCH/amd64 api/sts/1.16.19", VIA_SDK },
		/* OTRF / Panther / plaso CloudTrail */
		{ PROV_AWS, "console.ec2.amazonaws.com", VIA_CONSOLE },
		{ PROV_AWS, "console.amazonaws.com", VIA_CONSOLE },
		{ PROV_AWS, "signin.amazonaws.com", VIA_CONSOLE },
		{ PROV_AWS, "EC2ConsoleFrontend, aws-internal/3 aws-sdk-java/1.11.848 Linux/4.9.217-0.1.ac.205.84.332.metal1.x86_64 OpenJDK_64-Bit_Server_VM/25.262-b10 java/1.8.0_262 vendor/Oracle_Corporation", VIA_CONSOLE },
		{ PROV_AWS, "aws-cli/2.13.5 Python/3.11.4 Linux/4.14.255-314-253.539.amzn2.x86_64 exec-env/CloudShell exe/x86_64.amzn.2 prompt/off command/ec2.stop-instances", VIA_CLI },
		{ PROV_AWS, "[aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59]", VIA_CLI },
		{ PROV_AWS, "aws-sdk-go/1.29.7 (go1.13.7; darwin; amd64) APN/1.0 HashiCorp/1.0 Terraform/0.12.24 (+https://www.terraform.io)", VIA_TERRAFORM },
		{ PROV_AWS, "cloudformation.amazonaws.com", VIA_SERVICE },
		{ PROV_AWS, "python-requests/2.28.0", VIA_SDK },
		{ PROV_AWS, "", VIA_UNKNOWN },
		{ PROV_AWS, NULL, VIA_UNKNOWN },
		/* GCP */
		{ PROV_GCP, "google-api-go-client/0.5 Terraform/1.5.7 (+https://www.terraform.io) Terraform-Plugin-SDK/2.36.0 terraform-provider-google/6.38.0,gzip(gfe)", VIA_TERRAFORM },
		{ PROV_GCP, "Terraform/0.13.2 terraform-provider-google/3.90.1", VIA_TERRAFORM },
		{ PROV_GCP, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/113.0.0.0 Safari/537.36,gzip(gfe),gzip(gfe)", VIA_CONSOLE },
		{ PROV_GCP, "google-cloud-sdk gcloud/431.0.0 command/gcloud.iam.service-accounts.create invocation-id/b2ea5dab8c9b4bff8bc15ab299dff79e environment/devshell environment-version/None client-os/LINUX client-os-ver/5.15.107 client-pltf-arch/x86_64 interactive/True from-script/False python/3.9.2 term/screen (Linux 5.15.107+),gzip(gfe)", VIA_CLI },
		{ PROV_GCP, "apitools Python/3.9.11 gsutil/5.11 (darwin) analytics/enabled interactive/True command/notification google-cloud-sdk/394.0.0,gzip(gfe)", VIA_CLI },
		{ PROV_GCP, "fake-user-agent-string command/gcloud.compute.instances.insert invocation-id/a1b2c3d4e5f6 environment/GCE", VIA_CLI },
		{ PROV_GCP, "google-api-go-client/0.5 GoogleContainerEngine/v1", VIA_SDK },
		{ PROV_GCP, "gcloud-golang-storage/20240401,gzip(gfe)", VIA_SDK },
		{ PROV_GCP, "(gzip),gzip(gfe),gzip(gfe)", VIA_UNKNOWN },
		{ PROV_GCP, "(none supplied)", VIA_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(t); i++)
		is_str(tf_via_name(via_from_user_agent(t[i].p, t[i].ua)), tf_via_name(t[i].want),
		    "via %s %.60s", tf_provider_name(t[i].p), t[i].ua ? t[i].ua : "(null)");
	is_str(tf_via_name(VIA_UNKNOWN), "unknown", "tf_via_name unknown");
	is_str(tf_provider_name(PROV_GCP), "gcp", "tf_provider_name gcp");
	is_str(ev_format_name(EVF_LOOKUP), "lookup-events", "ev_format_name");
}

/* ---- single records ---- */

static json_object *
parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	if (o == NULL)
		diag("bad test JSON: %s", s);
	return o;
}

static void
test_cloudtrail_record(void)
{
	static const struct {
		const char *name;
		const char *ro;      /* readOnly member text, or NULL when absent */
		int want;
	} t[] = {
		{ "DescribeInstances", NULL, 1 }, { "GetObject", NULL, 1 }, { "ListBuckets", NULL, 1 },
		{ "HeadObject", NULL, 1 }, { "LookupEvents", NULL, 1 }, { "BatchGetItem", NULL, 1 },
		{ "Decrypt", NULL, 1 }, { "TestEventPattern", NULL, 1 }, { "Getaway", NULL, 0 },
		{ "RunInstances", NULL, 0 }, { "PutBucketPolicy", NULL, 0 }, { "DeleteBucket", NULL, 0 },
		{ "DescribeInstances", "false", 0 }, { "RunInstances", "true", 1 },
		{ "RunInstances", "\"true\"", 1 }, { "GetObject", "\"false\"", 0 },
	};
	size_t i;
	struct event ev;
	const char *why;
	json_object *o;

	for (i = 0; i < TF_ARRLEN(t); i++) {
		char *s = xasprintf("{\"eventName\":\"%s\",\"eventSource\":\"x.amazonaws.com\"%s%s}",
		    t[i].name, t[i].ro ? ",\"readOnly\":" : "", t[i].ro ? t[i].ro : "");

		o = parse(s);
		ok(event_from_cloudtrail(o, &ev, &why) == 0, "record %s", s);
		is_int(ev.read_only, t[i].want, "read_only of %s readOnly=%s", t[i].name,
		    t[i].ro ? t[i].ro : "(absent)");
		event_free(&ev);
		json_object_put(o);
		free(s);
	}

	o = parse("{\"eventVersion\":\"1.08\",\"eventSource\":\"ec2.amazonaws.com\"}");
	is_int(event_from_cloudtrail(o, &ev, &why), -1, "no eventName is rejected");
	is_str(why, "not a CloudTrail record: no eventName", "why: no eventName");
	ok(ev.raw == NULL && ev.id == NULL, "rejected event is empty");
	json_object_put(o);
	o = parse("{\"eventName\":\"DeleteTrail\",\"evt\":{\"name\":\"DeleteTrail\"}}");
	is_int(event_from_cloudtrail(o, &ev, &why), -1, "no eventSource is rejected");
	is_str(why, "not a CloudTrail record: no eventSource", "why: no eventSource");
	json_object_put(o);
	o = parse("[1,2]");
	is_int(event_from_json(o, &ev, &why), -1, "an array is not a record");
	json_object_put(o);

	/* Fields, and the reference on the record. */
	o = parse("{\"eventID\":\"e1\",\"eventTime\":\"2023-07-10T11:54:47Z\",\"eventSource\":"
	    "\"ec2.amazonaws.com\",\"eventName\":\"RunInstances\",\"awsRegion\":\"us-east-1\","
	    "\"userIdentity\":{\"type\":\"IAMUser\",\"accountId\":\"222\",\"userName\":\"u\"},"
	    "\"sourceIPAddress\":\"192.0.2.1\",\"userAgent\":\"aws-cli/2.13.0\",\"errorCode\":"
	    "\"Client.InvalidParameterValue\",\"errorMessage\":\"bad\",\"eventType\":\"AwsApiCall\"}");
	ok(event_from_cloudtrail(o, &ev, &why) == 0, "full record");
	json_object_put(o);   /* the event keeps its own reference */
	is_str(ev.id, "e1", "id");
	is_int(ev.time_ms, ms("2023-07-10T11:54:47Z"), "time");
	is_str(ev.account, "222", "account falls back to userIdentity.accountId");
	is_str(ev.source_ip, "192.0.2.1", "source_ip");
	is_str(ev.error_code, "Client.InvalidParameterValue", "error_code");
	is_str(ev.error_message, "bad", "error_message");
	is_str(ev.event_type, "AwsApiCall", "event_type");
	is_int(ev.actor.via, VIA_CLI, "via cli");
	ok(ev.record == ev.raw && json_object_is_type(ev.record, json_type_object), "record is raw");
	is_str(json_object_get_string(json_object_object_get(ev.record, "eventName")), "RunInstances",
	    "record still alive after the caller's put");
	is_int(ev.provider, PROV_AWS, "provider aws");
	event_free(&ev);

	/* Datadog-reshaped records keep the UA and IP under http / network. */
	o = parse("{\"eventName\":\"DeleteTrail\",\"eventSource\":\"cloudtrail.amazonaws.com\","
	    "\"http\":{\"useragent\":\"stratus-red-team_40d78cfa\"},\"network\":{\"client\":{\"ip\":"
	    "\"62.167.105.104\"}},\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":"
	    "\"arn:aws:sts::677301038893:assumed-role/account-admin/christophe\"}}");
	ok(event_from_json(o, &ev, &why) == 0, "Datadog-reshaped record with eventName/eventSource");
	is_str(ev.user_agent, "stratus-red-team_40d78cfa", "reshaped: user agent from http.useragent");
	is_str(ev.source_ip, "62.167.105.104", "reshaped: ip from network.client.ip");
	is_str(ev.actor.name, "christophe", "reshaped: session name");
	event_free(&ev);
	json_object_put(o);
}

static void
test_logentry_record(void)
{
	struct event ev;
	const char *why;
	json_object *o;

	o = parse("{\"textPayload\":\"hello\",\"insertId\":\"t\",\"logName\":\"projects/p/logs/x\"}");
	is_int(event_from_logentry(o, &ev, &why), -1, "textPayload is not audit");
	is_str(why, "not an audit log entry (textPayload)", "why textPayload");
	is_int(event_from_json(o, &ev, &why), -1, "sniffed textPayload is not audit");
	json_object_put(o);
	o = parse("{\"jsonPayload\":{\"a\":1},\"insertId\":\"j\",\"resource\":{}}");
	is_int(event_from_json(o, &ev, &why), -1, "jsonPayload is not audit");
	is_str(why, "not an audit log entry (jsonPayload)", "why jsonPayload");
	json_object_put(o);
	o = parse("{\"protoPayload\":{\"@type\":\"type.googleapis.com/google.appengine.logging.v1."
	    "RequestLog\"},\"logName\":\"projects/p/logs/appengine.googleapis.com%2Frequest_log\"}");
	is_int(event_from_json(o, &ev, &why), -1, "RequestLog protoPayload is not audit");
	json_object_put(o);
	/* Panther renames @type to at_sign_type: serviceName+methodName suffice. */
	o = parse("{\"protoPayload\":{\"at_sign_type\":\"type.googleapis.com/google.cloud.audit."
	    "AuditLog\",\"serviceName\":\"iam.googleapis.com\",\"methodName\":\"SetIamPolicy\","
	    "\"resourceName\":\"projects/acme-prod\"},\"timestamp\":\"2021-09-22 22:55:45.582\"}");
	ok(event_from_json(o, &ev, &why) == 0, "at_sign_type entry is accepted");
	is_str(ev.account, "acme-prod", "project from resourceName");
	is_int(ev.time_ms, ms("2021-09-22T22:55:45.582Z"), "space-separated timestamp");
	is_int(ev.provider, PROV_GCP, "provider gcp");
	is_int(ev.read_only, 0, "SetIamPolicy writes");
	event_free(&ev);
	json_object_put(o);
	o = parse("{\"protoPayload\":{\"at_sign_type\":\"x\",\"methodName\":\"m\"}}");
	is_int(event_from_json(o, &ev, &why), -1, "no @type and no serviceName: not audit");
	json_object_put(o);

	/* Method names decide when authorizationInfo has no permission types. */
	o = parse("{\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
	    "\"serviceName\":\"iam.googleapis.com\",\"methodName\":\"google.iam.admin.v1.GetServiceAccount\"},"
	    "\"logName\":\"organizations/123/logs/cloudaudit.googleapis.com%2Fpolicy\"}");
	ok(event_from_logentry(o, &ev, &why) == 0, "org-level entry");
	is_int(ev.read_only, 1, "GetServiceAccount reads");
	is_str(ev.event_type, "policy", "event_type policy");
	ok(ev.account == NULL, "no project for an organization log");
	event_free(&ev);
	json_object_put(o);
	o = parse("{\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
	    "\"serviceName\":\"compute.googleapis.com\",\"methodName\":\"v1.compute.instances.aggregatedList\","
	    "\"authorizationInfo\":[{\"permission\":\"compute.instances.list\"}],\"status\":{\"code\":\"0\"}},"
	    "\"resource\":{\"labels\":{\"location\":\"us-central1-c\",\"project_id\":\"p\"}}}");
	ok(event_from_logentry(o, &ev, &why) == 0, "aggregatedList entry");
	is_int(ev.read_only, 1, "aggregatedList reads");
	ok(ev.error_code == NULL, "status code 0 is success");
	is_str(ev.region, "us-central1-c", "location label kept as is");
	event_free(&ev);
	json_object_put(o);
}

/* Copies for another thread share no JSON; a reader's events outlive the reader. */
static void
test_clone(void)
{
	static const char doc[] = "{\"entries\":[{\"insertId\":\"c1\",\"timestamp\":"
	    "\"2024-05-27T10:00:00Z\",\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud."
	    "audit.AuditLog\",\"serviceName\":\"compute.googleapis.com\",\"methodName\":"
	    "\"v1.compute.instances.stop\",\"resourceName\":\"projects/p/zones/z/instances/vm\"}}]}";
	struct ev_reader *rd;
	struct event ev, a, b;
	char *err = NULL;

	rd = ev_reader_open_mem("mem.json", doc, sizeof doc - 1, &err);
	ok(rd != NULL && ev_reader_next(rd, &ev, &err) == 1, "an entries.list document reads");
	ev_reader_close(rd);
	is_str(json_object_get_string(json_object_object_get(ev.record, "methodName")),
	    "v1.compute.instances.stop", "its event outlives the reader");
	event_clone(&a, &ev);
	ok(a.raw == ev.raw && a.record == ev.record, "event_clone shares the JSON");
	event_clone_deep(&b, &ev);
	ok(b.raw != ev.raw && b.record != ev.record && b.record != NULL, "event_clone_deep copies it");
	is_str(json_object_get_string(json_object_object_get(b.record, "resourceName")),
	    "projects/p/zones/z/instances/vm", "its record is the copy's protoPayload");
	is_str(b.id, "c1", "and the fields are copied");
	is_int(b.time_ms, ev.time_ms, "time copied");
	event_free(&ev);
	event_free(&a);
	is_str(b.name, "v1.compute.instances.stop", "the deep copy stands alone");
	event_free(&b);
}

static void
test_sniff_wrappers(void)
{
	struct event ev;
	const char *why;
	json_object *o;

	o = parse("{\"version\":\"0\",\"detail-type\":\"EC2 Instance State-change Notification\","
	    "\"detail\":{\"state\":\"running\"}}");
	is_int(event_from_json(o, &ev, &why), -1, "non-CloudTrail EventBridge event");
	ok(why != NULL && strstr(why, "EventBridge") != NULL, "why names EventBridge: %s", why);
	json_object_put(o);
	o = parse("{\"detail-type\":\"AWS API Call via CloudTrail\",\"detail\":{\"eventName\":"
	    "\"CreateBucket\",\"eventSource\":\"s3.amazonaws.com\",\"readOnly\":false}}");
	ok(event_from_json(o, &ev, &why) == 0, "EventBridge API call unwraps detail");
	is_str(ev.name, "CreateBucket", "detail eventName");
	ok(json_object_object_get_ex(ev.record, "eventSource", NULL) &&
	    !json_object_object_get_ex(ev.record, "detail-type", NULL), "record is the detail");
	json_object_put(o);
	is_str(json_object_get_string(json_object_object_get(ev.record, "eventName")), "CreateBucket",
	    "detail outlives the envelope");
	event_free(&ev);
	o = parse("{\"EventId\":\"x1\",\"EventName\":\"DescribeVpcs\",\"ReadOnly\":\"true\","
	    "\"CloudTrailEvent\":\"{\\\"eventName\\\":\\\"DescribeVpcs\\\",\\\"eventSource\\\":"
	    "\\\"ec2.amazonaws.com\\\",\\\"eventVersion\\\":\\\"1.08\\\"}\"}");
	ok(event_from_json(o, &ev, &why) == 0, "LookupEvents event object");
	is_str(ev.id, "x1", "EventId used when the record has no eventID");
	is_int(ev.read_only, 1, "ReadOnly string");
	is_str(ev.source, "ec2.amazonaws.com", "source from the parsed CloudTrailEvent");
	event_free(&ev);
	json_object_put(o);
	o = parse("{\"EventId\":\"x2\",\"CloudTrailEvent\":\"{\\\"eventName\\\":\"}");
	is_int(event_from_json(o, &ev, &why), -1, "CloudTrailEvent that is not JSON");
	is_str(why, "CloudTrailEvent is not valid JSON", "why: CloudTrailEvent");
	json_object_put(o);
	o = parse("{\"Records\":[]}");
	is_int(event_from_json(o, &ev, &why), -1, "a Records container is not a record");
	json_object_put(o);
}

/* ---- actors ---- */

static void
actor_free(struct actor *a)
{
	free(a->principal);
	free(a->name);
	free(a->type);
	free(a->role);
	free(a->session);
	free(a->account);
	free(a->invoked_by);
	free(a->delegation);
	memset(a, 0, sizeof *a);
}

static void
test_actor_direct(void)
{
	struct actor a;
	json_object *ui, *rec;

	ui = parse("{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::1111:assumed-role/AdminRole/bob@corp.example\","
	    "\"accountId\":\"1111\"}");
	rec = parse("{\"userAgent\":\"aws-cli/2.15.0\"}");
	actor_resolve_aws(ui, rec, &a);
	is_str(a.name, "bob@corp.example", "assumed role: session is the person");
	is_str(a.role, "AdminRole", "assumed role: role from the ARN");
	is_str(a.session, "bob@corp.example", "assumed role: session");
	is_str(a.account, "1111", "assumed role: account");
	is_int(a.via, VIA_CLI, "assumed role via cli");
	actor_free(&a);
	json_object_put(ui);
	json_object_put(rec);

	ui = parse("{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u\",\"userName\":\"u\","
	    "\"invokedBy\":\"cloudformation.amazonaws.com\"}");
	rec = parse("{\"userAgent\":\"cloudformation.amazonaws.com\",\"sessionCredentialFromConsole\":\"true\"}");
	actor_resolve_aws(ui, rec, &a);
	is_str(a.invoked_by, "cloudformation.amazonaws.com", "invokedBy kept");
	is_int(a.via, VIA_SERVICE, "a service acting with a console user's credentials is service");
	actor_free(&a);
	json_object_put(ui);
	json_object_put(rec);

	ui = parse("{\"type\":\"IAMUser\",\"userName\":\"benjamin\",\"invokedBy\":\"AWS Internal\"}");
	rec = parse("{\"userAgent\":\"AWS Internal\",\"sourceIPAddress\":\"AWS Internal\"}");
	actor_resolve_aws(ui, rec, &a);
	is_int(a.via, VIA_SERVICE, "AWS Internal without a console session is service");
	actor_free(&a);
	json_object_put(rec);
	rec = parse("{\"userAgent\":\"AWS Internal\",\"sessionCredentialFromConsole\":\"true\"}");
	actor_resolve_aws(ui, rec, &a);
	is_int(a.via, VIA_CONSOLE, "AWS Internal with a console session is console");
	actor_free(&a);
	json_object_put(ui);
	json_object_put(rec);

	ui = parse("{\"type\":\"IAMUser\",\"userName\":\"u\"}");
	rec = parse("{\"eventType\":\"AwsConsoleAction\"}");
	actor_resolve_aws(ui, rec, &a);
	is_int(a.via, VIA_CONSOLE, "AwsConsoleAction is console");
	actor_free(&a);
	json_object_put(rec);
	rec = parse("{\"userAgent\":\"Go-http-client/1.1\",\"sourceIPAddress\":\"ec2.amazonaws.com\"}");
	actor_resolve_aws(ui, rec, &a);
	is_int(a.via, VIA_SERVICE, "sourceIPAddress of a service is service");
	actor_free(&a);
	json_object_put(rec);
	rec = parse("{}");
	actor_resolve_aws(ui, rec, &a);
	is_int(a.via, VIA_UNKNOWN, "no user agent: unknown");
	actor_free(&a);
	json_object_put(rec);
	json_object_put(ui);

	/* GCP */
	ui = parse("{\"principalSubject\":\"user:eve@corp.example\"}");
	actor_resolve_gcp(ui, "Mozilla/5.0", &a);
	is_str(a.principal, "user:eve@corp.example", "subject when the email is missing");
	is_str(a.name, "eve@corp.example", "name without the user: prefix");
	is_str(a.type, "User", "type User");
	is_int(a.via, VIA_CONSOLE, "Mozilla is console on GCP");
	actor_free(&a);
	json_object_put(ui);
	ui = parse("{\"principalEmail\":\"\",\"principalSubject\":\"serviceAccount:ci@p1.iam.gserviceaccount.com\"}");
	actor_resolve_gcp(ui, NULL, &a);
	is_str(a.type, "ServiceAccount", "service account from the subject");
	is_str(a.account, "p1", "service account project");
	actor_free(&a);
	json_object_put(ui);
	ui = parse("{\"principalEmail\":\"deployer@p2.iam.gserviceaccount.com\",\"serviceAccountDelegationInfo\":["
	    "{\"firstPartyPrincipal\":{\"principalEmail\":\"alice@corp.example\"}},"
	    "{\"firstPartyPrincipal\":{\"principalEmail\":\"hop@p2.iam.gserviceaccount.com\"}},{}]}");
	actor_resolve_gcp(ui, "google-cloud-sdk gcloud/460.0.0", &a);
	is_str(a.principal, "deployer@p2.iam.gserviceaccount.com", "impersonated SA stays principal");
	is_str(a.delegation, "alice@corp.example -> hop@p2.iam.gserviceaccount.com -> "
	    "deployer@p2.iam.gserviceaccount.com", "delegation chain starts with the human");
	is_int(a.via, VIA_CLI, "gcloud is cli");
	actor_free(&a);
	json_object_put(ui);
	ui = parse("{\"principalEmail\":\"service-1234@compute-system.iam.gserviceaccount.com\"}");
	actor_resolve_gcp(ui, NULL, &a);
	is_str(a.type, "ServiceAgent", "compute-system is a service agent");
	is_int(a.via, VIA_SERVICE, "service agents are service");
	actor_free(&a);
	json_object_put(ui);
	ui = parse("{\"principalEmail\":\"ops@billing-system.iam.gserviceaccount.com\"}");
	actor_resolve_gcp(ui, NULL, &a);
	is_str(a.type, "ServiceAccount", "a user project named *-system is not a service agent");
	actor_free(&a);
	json_object_put(ui);
	ui = parse("{\"principalEmail\":\"123@cloudservices.gserviceaccount.com\"}");
	actor_resolve_gcp(ui, NULL, &a);
	is_str(a.type, "ServiceAgent", "cloudservices is a service agent");
	actor_free(&a);
	json_object_put(ui);
	actor_resolve_gcp(NULL, NULL, &a);
	ok(a.principal == NULL && a.type == NULL && a.via == VIA_UNKNOWN, "no authenticationInfo");
	actor_free(&a);
}

/* ---- hand-made fixtures ---- */

static void
test_fixture_aws_identities(void)
{
	struct evlist l;
	struct event *e;
	char *p = fixture("aws_identities.jsonl");

	read_path(p, 0, 1, &l);
	is_int(l.rc, 0, "aws_identities.jsonl read to the end");
	is_int(l.fmt, EVF_JSON_LINES, "format json-lines");
	is_int(l.cnt.records, 16, "16 records (17 lines, one blank)");
	is_int(l.cnt.events, 15, "15 events");
	is_int(l.cnt.malformed, 1, "1 malformed line");
	is_int(l.cnt.skipped, 0, "none skipped");
	is_int(l.w.n, 1, "one warning");
	ok(l.w.first != NULL && strstr(l.w.first, "aws_identities.jsonl:13:") != NULL &&
	    strstr(l.w.first, "malformed") != NULL, "warning names file:13:col: %s", l.w.first);

	e = find_id(&l, "id-sso");
	ok(e != NULL, "SSO record");
	if (e != NULL) {
		is_str(e->actor.name, "alice@corp.example", "SSO: name is the user");
		is_str(e->actor.role, "AdministratorAccess", "SSO: role is the permission set");
		is_str(e->actor.session, "alice@corp.example", "SSO: session");
		is_str(e->actor.type, "AssumedRole", "SSO: type");
		is_str(e->origin, l.v[0].origin, "first event");
		ok(e->origin != NULL && tf_str_has_suffix(e->origin, "aws_identities.jsonl:1"),
		    "origin file:LINE %s", e->origin);
		is_int(e->time_ms, ms("2024-05-27T10:00:00Z"), "time");
		is_str(e->region, "eu-west-1", "region");
	}
	e = find_id(&l, "id-assumed");
	ok(e != NULL && e->actor.name && strcmp(e->actor.name, "bob@corp.example") == 0 &&
	    strcmp(e->actor.role, "AdminRole") == 0 && e->actor.via == VIA_CONSOLE,
	    "assumed role bob@corp.example / AdminRole via console session");
	e = find_id(&l, "id-root");
	ok(e != NULL, "root record");
	if (e != NULL) {
		is_str(e->actor.name, "root", "root: name");
		is_str(e->actor.type, "Root", "root: type");
		is_str(e->actor.principal, "arn:aws:iam::111122223333:root", "root: principal");
		is_int(e->actor.via, VIA_CONSOLE, "root via S3 console");
	}
	e = find_id(&l, "id-fed");
	ok(e != NULL && e->actor.name && strcmp(e->actor.name, "carol") == 0 &&
	    strcmp(e->actor.type, "FederatedUser") == 0 && e->actor.role == NULL &&
	    e->actor.via == VIA_SDK, "federated user carol via sdk (Boto3)");
	e = find_id(&l, "id-idc");
	ok(e != NULL && e->actor.name &&
	    strcmp(e->actor.name, "544894e8-80c1-707f-60e3-3ba6510dfac1") == 0 &&
	    strcmp(e->actor.type, "IdentityCenterUser") == 0, "Identity Center user: onBehalfOf.userId");
	e = find_id(&l, "id-saml");
	ok(e != NULL && e->actor.name && strcmp(e->actor.name, "dave@corp.example") == 0,
	    "SAML user: userName");
	e = find_id(&l, "id-webid");
	ok(e != NULL && e->actor.name && strcmp(e->actor.name, "1234") == 0 &&
	    strcmp(e->actor.type, "WebIdentityUser") == 0, "web identity user: userName");
	e = find_id(&l, "id-account");
	ok(e != NULL && e->actor.name && strcmp(e->actor.name, "444455556666") == 0 &&
	    strcmp(e->actor.principal, "AIDAOTHERACCOUNT") == 0 &&
	    strcmp(e->account, "111122223333") == 0, "AWSAccount: name is the calling account");
	e = find_id(&l, "id-service");
	ok(e != NULL && e->actor.name && strcmp(e->actor.name, "autoscaling.amazonaws.com") == 0 &&
	    strcmp(e->actor.type, "AWSService") == 0 && e->actor.via == VIA_SERVICE,
	    "AWSService: invokedBy, via service");
	e = find_id(&l, "id-failed");
	ok(e != NULL && e->error_code && strcmp(e->error_code, "Client.UnauthorizedOperation") == 0 &&
	    e->error_message != NULL, "failed call keeps errorCode and errorMessage");
	e = find_id(&l, "id-ecs");
	ok(e != NULL && e->read_only == 0, "ECS task definition with nested readOnly true is a write");
	e = find_id(&l, "id-list");
	ok(e != NULL && e->read_only == 1, "ListBuckets without readOnly is read-only");
	e = find_id(&l, "id-delete");
	ok(e != NULL && e->read_only == 0, "DeleteBucket without readOnly is a write");
	evlist_free(&l);

	/* The fast path skips exactly the top-level readOnly:true line and the inferred read. */
	read_path(p, 1, 1, &l);
	is_int(l.cnt.records, 16, "skip_ro: 16 records");
	is_int(l.ro, 2, "skip_ro: 2 read-only skipped (DescribeInstances, ListBuckets)");
	is_int(l.cnt.events, 13, "skip_ro: 13 events");
	ok(find_id(&l, "id-ecs") != NULL, "skip_ro: nested readOnly does not skip the ECS record");
	ok(find_id(&l, "id-string") != NULL, "skip_ro: readOnly inside a string does not count");
	ok(find_id(&l, "id-describe") == NULL, "skip_ro: top-level readOnly true skipped");
	evlist_free(&l);
	free(p);
}

/* Raw lines around the fast path: each must end up exactly as the full parse says. */
static void
test_fast_path_lines(void)
{
	static const struct {
		const char *line;
		int events, ro, malformed, skipped;
		const char *what;
	} t[] = {
		{ "{\"eventName\":\"DescribeVpcs\",\"eventSource\":\"ec2.amazonaws.com\",\"readOnly\":true}",
		    0, 1, 0, 0, "top-level readOnly true" },
		{ "{\"eventName\":\"\",\"eventSource\":\"s\",\"readOnly\":true}",
		    0, 0, 0, 1, "empty eventName: not a CloudTrail record, not read-only" },
		{ "{\"eventName\":\"GetX\",\"eventSource\":\"s\",\"readOnly\":true,\"protoPayload\":{}}",
		    0, 0, 0, 1, "protoPayload makes it a LogEntry (not audit)" },
		{ "  {\"readOnly\" : true , \"eventSource\":\"s\",\"eventName\":\"RunInstances\"}\r",
		    0, 1, 0, 0, "spaces and CR" },
		{ "{\"eventName\":\"RegisterTaskDefinition\",\"eventSource\":\"ecs.amazonaws.com\","
		    "\"requestParameters\":{\"containerDefinitions\":[{\"mountPoints\":[{\"readOnly\":true}]}]},"
		    "\"readOnly\":false}", 1, 0, 0, 0, "nested readOnly true, top-level false" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"requestParameters\":{\"readOnly\":true}}",
		    1, 0, 0, 0, "nested readOnly true, top-level absent" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"k\":\"\\\",\\\"readOnly\\\":true,\\\"\","
		    "\"readOnly\":false}", 1, 0, 0, 0, "escaped quotes in a string" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"readOnly\":true,\"readOnly\":false}",
		    1, 0, 0, 0, "duplicate key: the last one wins" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"readOnly\":true,\"read\\u004fnly\":false}",
		    1, 0, 0, 0, "escaped duplicate key" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"readOnly\":\"true\"}",
		    0, 1, 0, 0, "readOnly as a string (full parse)" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"readOnly\":true,\"x\":tru}",
		    0, 0, 1, 0, "invalid JSON after readOnly true is malformed, not skipped" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"readOnly\":true,\"x\":[1}",
		    0, 0, 1, 0, "mismatched brackets are malformed" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"readOnly\":true} {}",
		    0, 0, 1, 0, "two values on one line are malformed" },
		{ "{\"eventName\":\"PutX\",\"eventSource\":\"s\",\"readOnly\":truex}",
		    0, 0, 1, 0, "truex is malformed" },
		{ "{\"detail-type\":\"AWS API Call via CloudTrail\",\"eventName\":\"x\",\"eventSource\":\"s\","
		    "\"readOnly\":true,\"detail\":{\"eventName\":\"CreateBucket\",\"eventSource\":\"s3\","
		    "\"readOnly\":false}}", 1, 0, 0, 0, "an envelope is read by its detail" },
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(t); i++) {
		struct evlist l;
		char *text = xasprintf("%s\n{\"eventName\":\"CreateVpc\",\"eventSource\":\"ec2\"}\n",
		    t[i].line);

		read_mem(text, 1, &l);
		ok(l.rc == 0 && (int)l.cnt.events == t[i].events + 1 && (int)l.ro == t[i].ro &&
		    (int)l.cnt.malformed == t[i].malformed && (int)l.cnt.skipped == t[i].skipped,
		    "fast path: %s (events %d ro %d malformed %d skipped %d)", t[i].what,
		    (int)l.cnt.events - 1, (int)l.ro, (int)l.cnt.malformed, (int)l.cnt.skipped);
		evlist_free(&l);
		free(text);
	}
}

/* Read-only records the full parse would repair are parsed (and their warning said) before
 * they are skipped; the window counts skipped records outside it, by the record's time. */
static void
test_fast_path_repair_window(void)
{
	static const char text[] =
	    /* 10:00 in the window; 09:00 and 11:00 outside; no time; a time that does not read */
	    "{\"eventName\":\"GetA\",\"eventSource\":\"s\",\"readOnly\":true,\"eventTime\":\"2024-05-27T10:00:00Z\"}\n"
	    "{\"eventName\":\"GetB\",\"eventSource\":\"s\",\"readOnly\":true,\"eventTime\":\"2024-05-27T09:00:00Z\"}\n"
	    "{\"eventName\":\"GetC\",\"eventSource\":\"s\",\"readOnly\":true,\"eventTime\":\"2024-05-27T11:00:00Z\"}\n"
	    "{\"eventName\":\"GetD\",\"eventSource\":\"s\",\"readOnly\":true}\n"
	    "{\"eventName\":\"GetE\",\"eventSource\":\"s\",\"readOnly\":true,\"eventTime\":\"soon\"}\n"
	    /* the last of a repeated eventTime counts, as in json-c */
	    "{\"eventName\":\"GetF\",\"eventSource\":\"s\",\"readOnly\":true,\"eventTime\":\"2024-05-27T10:00:00Z\",\"eventTime\":\"2024-05-27T12:00:00Z\"}\n"
	    /* an escaped time: parsed in full, outside too */
	    "{\"eventName\":\"GetG\",\"eventSource\":\"s\",\"readOnly\":true,\"eventTime\":\"2024-05-27T12:00:00\\u005a\"}\n"
	    /* left to the full parse: a byte that is not UTF-8, \u0000 (repaired), a lone
	     * surrogate */
	    "{\"eventName\":\"GetH\",\"eventSource\":\"s\",\"readOnly\":true,\"userAgent\":\"a\xff\"}\n"
	    "{\"eventName\":\"GetI\",\"eventSource\":\"s\",\"readOnly\":true,\"userAgent\":\"a\\u0000\"}\n"
	    "{\"eventName\":\"GetJ\",\"eventSource\":\"s\",\"readOnly\":true,\"userAgent\":\"a\\udc00\"}\n"
	    /* valid UTF-8 is skipped unparsed */
	    "{\"eventName\":\"GetK\",\"eventSource\":\"s\",\"readOnly\":true,\"userAgent\":\"caf\xc3\xa9\"}\n"
	    "{\"eventName\":\"CreateVpc\",\"eventSource\":\"ec2\"}\n";
	struct ev_reader *r;
	struct evlist l;

	memset(&l, 0, sizeof l);
	r = ev_reader_open_mem("mem", text, sizeof text - 1, &l.err);
	if (r == NULL) {
		ok(0, "fast path window: open (%s)", l.err);
		free(l.err);
		return;
	}
	ev_reader_set_skip_read_only(r, 1);
	ev_reader_set_window(r, INT64_C(1716804000000), INT64_C(1716805800000));
	ev_reader_set_warn(r, collect_warn, &l.w);
	is_int(ev_reader_skipped_read_only_outside(r), 0, "fast path window: nothing yet");
	{
		struct event ev;

		while ((l.rc = ev_reader_next(r, &ev, &l.err)) == 1) {
			l.n++;
			event_free(&ev);
		}
	}
	is_int(l.rc, 0, "fast path window: read to the end");
	is_int(l.n, 1, "fast path window: only the write handed out");
	is_int(ev_reader_skipped_read_only(r), 11, "fast path window: 11 read-only skipped");
	is_int(ev_reader_skipped_read_only_outside(r), 4,
	    "fast path window: 09:00, 11:00, the last of a repeated time, the escaped one outside");
	/* (json-c itself writes U+FFFD for a lone surrogate: left to it, not repaired.) */
	is_int(ev_reader_counters(r)->repaired, 2, "fast path: the 2 repaired read-only records counted");
	is_int(l.w.n, 2, "fast path: and each warned about");
	ok(l.w.first != NULL && strstr(l.w.first, "U+FFFD") != NULL, "fast path: the warning says what was repaired");
	ev_reader_close(r);
	evlist_free(&l);
}

static void
test_fixture_eventbridge(void)
{
	struct evlist l;
	char *p;

	p = fixture("eventbridge_envelope.json");
	read_path(p, 0, 1, &l);
	is_int(l.fmt, EVF_SINGLE, "envelope: single object");
	is_int(l.cnt.events, 1, "envelope: one event");
	if (l.n == 1) {
		is_str(l.v[0].id, "eb-sg-ingress-1", "envelope: detail eventID");
		is_str(l.v[0].name, "AuthorizeSecurityGroupIngress", "envelope: name");
		is_int(l.v[0].actor.via, VIA_CONSOLE, "envelope: console session");
		is_str(l.v[0].origin, p, "envelope: origin is the file");
	}
	evlist_free(&l);
	free(p);

	p = fixture("eventbridge.jsonl");
	read_path(p, 0, 1, &l);
	is_int(l.fmt, EVF_JSON_LINES, "envelopes: json-lines");
	is_int(l.cnt.records, 4, "envelopes: 4 records");
	is_int(l.cnt.events, 3, "envelopes: 3 CloudTrail events");
	is_int(l.cnt.skipped, 1, "envelopes: state-change notification skipped");
	ok(l.w.first != NULL && strstr(l.w.first, "eventbridge.jsonl:3: skipped") != NULL,
	    "skip warning names line 3: %s", l.w.first);
	ok(find_id(&l, "eb-console-action") != NULL &&
	    find_id(&l, "eb-console-action")->actor.via == VIA_CONSOLE, "console action via console");
	ok(find_id(&l, "eb-service-event") != NULL &&
	    find_id(&l, "eb-service-event")->actor.via == VIA_SERVICE &&
	    strcmp(find_id(&l, "eb-service-event")->actor.type, "AWSService") == 0,
	    "service event: AWSService via service");
	evlist_free(&l);
	free(p);
}

static void
test_fixture_lookup_and_gz(void)
{
	struct evlist l;
	struct event *e;
	char *p;

	p = fixture("lookup_events.json");
	read_path(p, 0, 1, &l);
	is_int(l.fmt, EVF_LOOKUP, "LookupEvents response");
	is_int(l.cnt.records, 3, "lookup: 3 records");
	is_int(l.cnt.events, 2, "lookup: 2 events");
	is_int(l.cnt.malformed, 1, "lookup: bad CloudTrailEvent is malformed");
	ok(l.w.first != NULL && strstr(l.w.first, "lookup_events.json:29:3: malformed record: "
	    "CloudTrailEvent is not valid JSON (") != NULL &&
	    tf_str_has_suffix(l.w.first, "lookup_events.json#2)"),
	    "warning names where #2 starts, and #2: %s", l.w.first);
	e = find_id(&l, "lk-run-1");
	ok(e != NULL && e->read_only == 0 && e->actor.via == VIA_TERRAFORM,
	    "RunInstances from Terraform");
	e = find_id(&l, "lk-describe-2");
	ok(e != NULL && e->read_only == 1, "ReadOnly \"true\" when the record lacks readOnly");
	ok(e != NULL && e->origin != NULL && tf_str_has_suffix(e->origin, "lookup_events.json#1"),
	    "origin file#INDEX");
	evlist_free(&l);
	free(p);

	p = fixture("records.json.gz");
	read_path(p, 0, 1, &l);
	is_int(l.fmt, EVF_CT_RECORDS, "gz: Records");
	is_int(l.cnt.events, 2, "gz: 2 events");
	ok(l.n == 2 && strcmp(l.v[0].id, "gz-create-vpc") == 0 && strcmp(l.v[1].id, "gz-describe-vpcs") == 0,
	    "gz: ids in order");
	evlist_free(&l);
	free(p);

	/* stdin */
	{
		int saved = dup(STDIN_FILENO), fd;

		p = fixture("records.json.gz");
		fd = open(p, O_RDONLY);
		dup2(fd, STDIN_FILENO);
		close(fd);
		read_path("-", 0, 1, &l);
		dup2(saved, STDIN_FILENO);
		close(saved);
		is_int(l.cnt.events, 2, "stdin: 2 events");
		ok(l.n > 0 && strcmp(l.v[0].origin, "<stdin>#0") == 0, "stdin origin %s",
		    l.n > 0 ? l.v[0].origin : "-");
		evlist_free(&l);
		free(p);
	}
}

static void
test_fixture_gcp(void)
{
	struct evlist l;
	struct event *e;
	json_object *pp;
	char *p = fixture("gcp_entries_array.json");

	read_path(p, 0, 1, &l);
	is_int(l.fmt, EVF_JSON_ARRAY, "GCP: JSON array");
	is_int(l.cnt.records, 9, "GCP: 9 entries");
	is_int(l.cnt.events, 8, "GCP: 8 audit events");
	is_int(l.cnt.skipped, 1, "GCP: textPayload skipped");
	ok(l.w.first != NULL && strstr(l.w.first, "gcp_entries_array.json:158:3: skipped: not an "
	    "audit log entry (textPayload) (") != NULL &&
	    tf_str_has_suffix(l.w.first, "gcp_entries_array.json#4)"), "skip warning: %s",
	    l.w.first);

	e = find_id(&l, "op-first");
	ok(e != NULL, "operation first");
	if (e != NULL) {
		is_str(e->operation_id, "operation-1716804000000-61966d1c2a7a1-0c4c9d5e-1b2a3c4d", "operation id");
		ok(e->op_first == 1 && e->op_last == 0, "first, not last");
		is_int(e->time_ms, ms("2024-05-27T10:00:00.123Z"), "nanosecond timestamp");
		is_str(e->region, "us-central1", "zone us-central1-a → region");
		is_str(e->account, "prod-proj", "project");
		is_str(e->source, "compute.googleapis.com", "serviceName");
		is_str(e->name, "v1.compute.instances.insert", "methodName");
		is_str(e->resource_name, "projects/prod-proj/zones/us-central1-a/instances/web-1", "resourceName");
		is_str(e->event_type, "activity", "log id");
		is_str(e->source_ip, "203.0.113.9", "callerIp");
		is_int(e->actor.via, VIA_CLI, "gcloud");
		ok(json_object_object_get_ex(e->raw, "protoPayload", &pp) && pp == e->record,
		    "record is protoPayload");
		is_int(e->read_only, 0, "ADMIN_WRITE");
	}
	e = find_id(&l, "op-last");
	ok(e != NULL && e->op_first == 0 && e->op_last == 1 && e->operation_id != NULL,
	    "operation last");
	e = find_id(&l, "deleg-1");
	ok(e != NULL, "delegation entry");
	if (e != NULL) {
		is_str(e->actor.principal, "terraform@prod-proj.iam.gserviceaccount.com", "SA principal");
		is_str(e->actor.type, "ServiceAccount", "SA type");
		is_str(e->actor.account, "prod-proj", "SA project");
		is_str(e->actor.delegation, "alice@corp.example -> terraform@prod-proj.iam.gserviceaccount.com",
		    "human first in the chain");
		is_int(e->actor.via, VIA_TERRAFORM, "Terraform UA");
		is_str(e->region, "global", "global resource");
	}
	e = find_id(&l, "failed-1");
	ok(e != NULL && e->error_code && strcmp(e->error_code, "7") == 0 && e->error_message &&
	    strncmp(e->error_message, "Required", 8) == 0 && e->actor.via == VIA_CONSOLE,
	    "failed call: code 7, message, console");
	e = find_id(&l, "read-1");
	ok(e != NULL && e->read_only == 1 && strcmp(e->event_type, "data_access") == 0 &&
	    strcmp(e->region, "us") == 0 && e->actor.via == VIA_SDK, "DATA_READ in data_access, region us");
	e = find_id(&l, "panther-1");
	ok(e != NULL && strcmp(e->region, "europe-west1") == 0 && strcmp(e->account, "prod-proj") == 0 &&
	    e->event_type == NULL, "at_sign_type entry without logName/resource");
	e = find_id(&l, "sys-1");
	ok(e != NULL && e->actor.principal == NULL && e->actor.via == VIA_SERVICE &&
	    strcmp(e->event_type, "system_event") == 0 && strcmp(e->region, "europe-west4") == 0,
	    "system event without a principal is service");
	e = find_id(&l, "agent-1");
	ok(e != NULL && strcmp(e->actor.type, "ServiceAgent") == 0 && e->actor.via == VIA_SERVICE,
	    "gcp-sa service agent");
	evlist_free(&l);
	free(p);
}

static void
test_fatal_inputs(void)
{
	struct evlist l;
	char *p;

	/* Documents are streamed: the records before the cut are read, then the error. */
	p = fixture("truncated.json");
	read_path(p, 0, 0, &l);
	is_int(l.rc, -1, "truncated document: reading fails at the cut");
	is_int(l.cnt.events, 1, "... after the complete record before it");
	ok(l.err != NULL && strstr(l.err, "truncated.json:46:") != NULL &&
	    strstr(l.err, "truncated") != NULL, "message has file:line and cause: %s", l.err);
	evlist_free(&l);
	free(p);

	p = fixture("truncated.json.gz");
	read_path(p, 0, 0, &l);
	is_int(l.rc, -1, "truncated gzip: reading fails");
	ok(l.err != NULL && strstr(l.err, "truncated.json.gz:1:") != NULL &&
	    strstr(l.err, "<fd:") == NULL, "gzip message: %s", l.err);
	evlist_free(&l);
	free(p);

	read_path("/nonexistent/x.json", 0, 0, &l);
	ok(l.rc == -2 && l.err && strstr(l.err, "/nonexistent/x.json") != NULL, "missing file: %s", l.err);
	evlist_free(&l);

	read_mem("{\"Records\":[{\"eventName\":\"A\",\"eventSource\":\"s\"}\n{\"eventName\":\"B\"}]}\n", 0, &l);
	ok(l.rc == -1 && l.err && strstr(l.err, "mem:2:1:") != NULL &&
	    strstr(l.err, "end of line 1") != NULL, "missing comma: %s", l.err);
	is_int(l.cnt.events, 1, "... after the record before it");
	evlist_free(&l);
	read_mem("[{\"eventName\":\"A\",\"eventSource\":\"s\"}]\n\n[1]", 0, &l);
	ok(l.rc == 0 && l.fmt == EVF_JSON_LINES && l.cnt.events == 1 && l.cnt.malformed == 1,
	    "two arrays on lines: json-lines, a number element is malformed");
	evlist_free(&l);
	read_mem("{\n\"a\": 1\n}\n{\n\"b\": 2\n}\n", 0, &l);
	ok(l.rc == -2 && l.err && strstr(l.err, "mem:4:1:") != NULL && strstr(l.err, "jq -c") != NULL,
	    "several pretty documents: %s", l.err);
	evlist_free(&l);
	read_mem("42", 0, &l);
	ok(l.rc == -2 && l.err && strstr(l.err, "not an object") != NULL, "a number: %s", l.err);
	evlist_free(&l);
	read_mem("", 0, &l);
	ok(l.rc == 0 && l.cnt.records == 0, "empty input: nothing, no error");
	evlist_free(&l);
	read_mem("\xef\xbb\xbf{\"eventName\":\"A\",\"eventSource\":\"s\"}", 0, &l);
	ok(l.rc == 0 && l.fmt == EVF_SINGLE && l.cnt.events == 1, "UTF-8 BOM is ignored");
	evlist_free(&l);
	read_mem("not json\n{\"eventName\":\"A\",\"eventSource\":\"s\"}\n{\"eventName\":\"B\",\"eventSource\":\"s\"}",
	    0, &l);
	ok(l.rc == 0 && l.fmt == EVF_JSON_LINES && l.cnt.malformed == 1 && l.cnt.events == 2 &&
	    l.w.first && strstr(l.w.first, "mem:1:") != NULL, "bad first line, then JSON lines: %s",
	    l.w.first);
	evlist_free(&l);
	read_mem("{\"Records\":[{\"eventName\":\"A\",\"eventSource\":\"s\"},\"x\"]}\n"
	    "{\"eventName\":\"B\",\"eventSource\":\"s\"}\n", 0, &l);
	/* Line 1's records stream out before line 2 says it is JSON lines: their origin is
	 * the first value's (mem#0), as for a one-line document. */
	ok(l.rc == 0 && l.cnt.events == 2 && l.cnt.malformed == 1 && l.n == 2 &&
	    strcmp(l.v[0].origin, "mem#0") == 0 && strcmp(l.v[1].origin, "mem:2") == 0,
	    "a Records line inside JSON lines is expanded (%s, %s)", l.n > 0 ? l.v[0].origin : "-",
	    l.n > 1 ? l.v[1].origin : "-");
	evlist_free(&l);
	read_mem("{\"eventName\":\"A\",\"eventSource\":\"s\"}\n{\"Records\":[{\"eventName\":\"B\","
	    "\"eventSource\":\"s\"}]}\n", 0, &l);
	ok(l.rc == 0 && l.n == 2 && strcmp(l.v[0].origin, "mem:1") == 0 &&
	    strcmp(l.v[1].origin, "mem:2#0") == 0, "a Records line after line 1: mem:2#0");
	evlist_free(&l);
}

/* Text that is not UTF-8 is repaired when read (U+FFFD), counted and reported; a raw NUL
 * byte is reported as one, not as a truncated file. */
static void
test_hostile_text(void)
{
	static const char ct[] = "{\"eventName\":\"CreateTags\",\"eventSource\":\"ec2.amazonaws.com\","
	    "\"eventID\":\"e\xff" "1\",\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"bob\xc3(\"},"
	    "\"requestParameters\":{\"tagSet\":{\"items\":[{\"key\":\"k\xe2\x82\",\"value\":\"a\\u0000b\"}]},"
	    "\"bad\xf0\x9f\x98key\":1}}\n";
	static const char gcp[] = "{\"insertId\":\"g1\",\"logName\":\"projects/p/logs/x\","
	    "\"protoPayload\":{\"@type\":\"type.googleapis.com/google.cloud.audit.AuditLog\","
	    "\"serviceName\":\"compute.googleapis.com\",\"methodName\":\"v1.compute.instances.insert\","
	    "\"authenticationInfo\":{\"principalEmail\":\"eve\xed\xa0\x80@corp.example\"}}}\n";
	static const char nul_doc[] = "{\"Records\":[\n{\"eventName\":\"A\",\"eventSource\":\"s\","
	    "\"x\":\"a\0b\"}]}\n";
	static const char nul_bin[] = "{\"Records\":[\n{\"eventName\":\"A\",\0\"eventSource\":\"s\"}]}\n";
	static const char nul_lines[] = "{\"eventName\":\"A\",\"eventSource\":\"s\",\"x\":\"a\0b\"}\n"
	    "{\"eventName\":\"B\",\"eventSource\":\"s\"}\n";
	struct evlist l;
	const char *raw;
	json_object *tag;

	read_mem_n(ct, sizeof ct - 1, 0, &l);
	ok(l.rc == 0 && l.n == 1, "a record with bad text is read");
	if (l.n == 1) {
		struct event *e = &l.v[0];

		is_str(e->actor.name, "bob" TEXT_REPLACEMENT "(", "the user name has U+FFFD for the bad byte");
		is_str(e->id, "e" TEXT_REPLACEMENT "1", "so has the event id");
		is_int(e->repaired, 5, "five strings and keys repaired");
		raw = json_object_to_json_string_ext(e->raw, JSON_C_TO_STRING_PLAIN);
		ok(text_utf8_ok(raw, strlen(raw)), "the raw record is valid UTF-8: %s", raw);
		tag = json_object_array_get_idx(json_object_object_get(json_object_object_get(
		    json_object_object_get(e->record, "requestParameters"), "tagSet"), "items"), 0);
		is_str(json_object_get_string(json_object_object_get(tag, "key")), "k" TEXT_REPLACEMENT,
		    "a truncated character in a tag key is one U+FFFD");
		is_str(json_object_get_string(json_object_object_get(tag, "value")),
		    "a" TEXT_REPLACEMENT "b", "an escaped NUL is U+FFFD, not the end of the value");
		ok(json_object_object_get_ex(json_object_object_get(e->record, "requestParameters"),
		    "bad" TEXT_REPLACEMENT "key", NULL), "a bad key is repaired");
	}
	is_int(l.cnt.repaired, 1, "counted once per event");
	ok(l.w.n == 1 && l.w.first != NULL && strstr(l.w.first, "mem: 5 strings not valid UTF-8 or "
	    "holding a NUL character: shown with U+FFFD") != NULL, "and reported: %s", l.w.first);
	evlist_free(&l);

	read_mem_n(gcp, sizeof gcp - 1, 0, &l);
	ok(l.rc == 0 && l.n == 1 && l.v[0].repaired == 1 && l.v[0].actor.name != NULL &&
	    strcmp(l.v[0].actor.name, "eve" TEXT_REPLACEMENT TEXT_REPLACEMENT TEXT_REPLACEMENT
	    "@corp.example") == 0, "a LogEntry is repaired too: a surrogate is three U+FFFD (%s)",
	    l.n == 1 ? l.v[0].actor.name : "-");
	evlist_free(&l);

	read_mem_n(nul_doc, sizeof nul_doc - 1, 0, &l);
	ok(l.rc < 0 && l.err != NULL && strstr(l.err, "mem:2:42: invalid JSON: a NUL byte inside a "
	    "string") != NULL && strstr(l.err, "truncated") == NULL,
	    "a NUL byte in a string of a document is one, not a truncated file: %s", l.err);
	evlist_free(&l);
	read_mem_n(nul_bin, sizeof nul_bin - 1, 0, &l);
	ok(l.rc < 0 && l.err != NULL && strstr(l.err, "mem:2:18: invalid JSON: a NUL byte (binary "
	    "data") != NULL, "a NUL byte between values is binary data: %s", l.err);
	evlist_free(&l);
	read_mem_n(nul_lines, sizeof nul_lines - 1, 0, &l);
	ok(l.rc == 0 && l.cnt.malformed == 1 && l.cnt.events == 1 && l.w.first != NULL &&
	    strstr(l.w.first, "mem:1:42: malformed JSON line: a NUL byte inside a string") != NULL,
	    "a NUL byte in a JSON line: that line is malformed, and says why: %s", l.w.first);
	evlist_free(&l);
}

/* ---- the shared samples ---- */

struct expect {
	const char *file;
	enum ev_format fmt;
	unsigned records, events, skipped, malformed;
};

/*
 * Counts computed once with jq (commands in comments) and cross-checked against the rules:
 * CloudTrail needs eventName+eventSource; a LogEntry needs a protoPayload that is an AuditLog
 * (or has serviceName+methodName when @type is missing).
 */
static const struct expect expected[] = {
	/* jq '.Records|length' */
	{ "cloudtrail/invictus_218007301253_CloudTrail_us-east-1_20230710T1200Z_iLj9fb7yyUG9X4Bf.json",
	    EVF_CT_RECORDS, 394, 394, 0, 0 },
	/* jq 'length' */
	{ "cloudtrail/stratus_aws.credential-access.ec2-steal-instance-credentials.json",
	    EVF_JSON_ARRAY, 45, 45, 0, 0 },
	/* wc -l; every line has eventName and eventSource */
	{ "cloudtrail/otrf_ec2_proxy_s3_exfiltration_2020-09-14011940.jsonl", EVF_JSON_LINES, 103, 103, 0, 0 },
	/* jq -c '[has("eventName"),has("eventSource")]' | sort | uniq -c: 451 both, 8 neither, 2 no source */
	{ "cloudtrail/panther_aws_cloudtrail_rule_tests.jsonl", EVF_JSON_LINES, 461, 451, 10, 0 },
	{ "cloudtrail/plaso_aws_cloudtrail.jsonl", EVF_JSON_LINES, 6, 6, 0, 0 },
	/* Datadog-reshaped but with eventName+eventSource: read (see the report) */
	{ "cloudtrail/zmallen-c2s_aws.credential-access.secretsmanager-retrieve-secrets.json",
	    EVF_CT_RECORDS, 10, 10, 0, 0 },
	/* jq '.entries|length', jq '[.entries[]|select(.protoPayload)]|length' */
	{ "gcpaudit/gcpdiag_gce5_logging-entries-1.json", EVF_GCP_ENTRIES, 169, 169, 0, 0 },
	{ "gcpaudit/gcpdiag_gcf2_logging-entries-1.json", EVF_GCP_ENTRIES, 50, 8, 42, 0 },
	{ "gcpaudit/gcpdiag_gcf1_logging-entries-1.json", EVF_GCP_ENTRIES, 8, 4, 4, 0 },
	/* jq -c '[(.protoPayload|type), .protoPayload["@type"], has serviceName, has methodName]':
	 * 12 without protoPayload (lower-cased Panther keys), 16 with neither @type nor
	 * serviceName+methodName, 115 audit */
	{ "gcpaudit/panther_gcp_audit_rule_tests.jsonl", EVF_JSON_LINES, 143, 115, 28, 0 },
	/* 9 AuditLog, 1 jsonPayload, 1 textPayload */
	{ "gcpaudit/plaso_gcp_logging.jsonl", EVF_JSON_LINES, 11, 9, 2, 0 },
};

static int
sample_file_wanted(const char *name)
{
	return name[0] != '.' && !tf_str_has_suffix(name, ".meta.jsonl") &&
	    (tf_str_has_suffix(name, ".json") || tf_str_has_suffix(name, ".jsonl") ||
	    tf_str_has_suffix(name, ".ndjson") || tf_str_has_suffix(name, ".gz"));
}

static void
test_all_samples(void)
{
	static const char *dirs[] = { "cloudtrail", "gcpaudit" };
	uint64_t invictus = 0, stratus = 0;
	unsigned nfiles = 0, nfail = 0, inconsistent = 0;
	size_t d, i;

	for (d = 0; d < TF_ARRLEN(dirs); d++) {
		char *dir = xasprintf("%s/%s", shared, dirs[d]);
		struct dirent **names;
		int n = scandir(dir, &names, NULL, alphasort), k;

		ok(n > 0, "%s lists files", dirs[d]);
		for (k = 0; k < n; k++) {
			char *path;
			struct evlist l;

			if (!sample_file_wanted(names[k]->d_name)) {
				free(names[k]);
				continue;
			}
			path = xasprintf("%s/%s", dir, names[k]->d_name);
			read_path(path, 0, 0, &l);
			nfiles++;
			if (l.rc != 0) {
				nfail++;
				if (strcmp(names[k]->d_name, "zmallen-c2s_aws.execution.ec2-user-data.json") == 0) {
					ok(l.err != NULL && strstr(l.err, "ec2-user-data.json:112:1:") != NULL &&
					    strstr(l.err, "line 111") != NULL,
					    "zmallen ec2-user-data fails naming line 111: %s", l.err);
				} else
					ok(0, "%s failed: %s", names[k]->d_name, l.err ? l.err : "?");
			}
			if (l.cnt.records != l.cnt.events + l.cnt.skipped + l.cnt.malformed)
				inconsistent++;
			if (strncmp(names[k]->d_name, "invictus_", 9) == 0)
				invictus += l.cnt.events;
			if (strncmp(names[k]->d_name, "stratus_", 8) == 0)
				stratus += l.cnt.events;
			for (i = 0; i < TF_ARRLEN(expected); i++) {
				const struct expect *x = &expected[i];
				char *want = xasprintf("%s/%s", shared, x->file);

				if (strcmp(want, path) == 0)
					ok(l.rc == 0 && l.fmt == x->fmt && l.cnt.records == x->records &&
					    l.cnt.events == x->events && l.cnt.skipped == x->skipped &&
					    l.cnt.malformed == x->malformed,
					    "%s: %s records %llu events %llu skipped %llu malformed %llu",
					    x->file, ev_format_name(l.fmt), (unsigned long long)l.cnt.records,
					    (unsigned long long)l.cnt.events, (unsigned long long)l.cnt.skipped,
					    (unsigned long long)l.cnt.malformed);
				free(want);
			}
			evlist_free(&l);
			free(path);
			free(names[k]);
		}
		free(names);
		free(dir);
	}
	ok(nfiles >= 110, "read %u sample files without a crash", nfiles);
	is_int(nfail, 1, "exactly one sample is invalid");
	is_int(inconsistent, 0, "records = events + skipped + malformed for every file");
	is_int(invictus, 2900, "invictus files yield 2,900 events");
	is_int(stratus, 310, "stratus files yield 310 events");
}

static void
test_sample_records(void)
{
	struct evlist l;
	struct event *e;
	char *p;

	/* plaso: LookupEvents objects, one per line, CloudTrailEvent parsed */
	p = xasprintf("%s/cloudtrail/plaso_aws_cloudtrail.jsonl", shared);
	read_path(p, 0, 1, &l);
	is_int(l.n, 6, "plaso: 6 events");
	e = find_id(&l, "0828c0d2-3589-4390-b954-c78b4a7df44b");
	ok(e != NULL && strcmp(e->name, "DescribeInstances") == 0 && e->read_only == 1 &&
	    strcmp(e->region, "ap-southeast-2") == 0 && strcmp(e->actor.name, "fakeusername") == 0 &&
	    e->actor.via == VIA_CONSOLE && json_object_is_type(e->record, json_type_object) &&
	    json_object_object_get_ex(e->record, "userIdentity", NULL),
	    "plaso: DescribeInstances parsed from CloudTrailEvent");
	e = find_id(&l, "ec783cd8-fad8-41a8-abac-569a78c42e33");
	ok(e != NULL && strcmp(e->actor.type, "AWSService") == 0 &&
	    strcmp(e->actor.name, "ec2.amazonaws.com") == 0 && e->actor.via == VIA_SERVICE,
	    "plaso: SharedSnapshotVolumeCreated by ec2.amazonaws.com");
	evlist_free(&l);
	free(p);

	/* invictus (all records, JSON lines) */
	p = xasprintf("%s/cloudtrail/DERIVED_invictus_all_records_sorted.ndjson", shared);
	read_path(p, 0, 1, &l);
	is_int(l.n, 2900, "invictus ndjson: 2900 events");
	e = find_id(&l, "00d955a7-4797-46c4-ba50-ed0c81867020");
	ok(e != NULL, "stratus-red-team session record");
	if (e != NULL) {
		is_str(e->actor.name, "aws-go-sdk-1688990082523310002", "stratus: session name");
		is_str(e->actor.role, "stratus-red-team-ec2-get-password-data-role", "stratus: role");
		is_str(e->actor.type, "AssumedRole", "stratus: type");
		is_str(e->actor.account, "123837392027", "stratus: account");
		is_int(e->actor.via, VIA_SDK, "stratus-red-team_<uuid> is an SDK");
		is_str(e->name, "GetPasswordData", "stratus: name");
	}
	e = find_id(&l, "6c1eed73-00ee-4810-8009-c9ce5990c100");
	ok(e != NULL && strcmp(e->name, "PutRolePolicy") == 0 && e->actor.via == VIA_TERRAFORM &&
	    strcmp(e->actor.name, "bert-jan") == 0 && strcmp(e->actor.type, "IAMUser") == 0 &&
	    e->read_only == 0, "Terraform UA: PutRolePolicy by bert-jan via terraform");
	e = find_id(&l, "99b46479-d5c7-4384-b342-006ece8c36a0");
	ok(e != NULL && strcmp(e->name, "SendCommand") == 0 && e->actor.via == VIA_SDK,
	    "stratus out-of-band SendCommand via sdk");
	e = find_id(&l, "14ff525a-1809-4b51-ba87-ff07973db7ba");
	ok(e != NULL && strcmp(e->actor.invoked_by, "AWS Internal") == 0 &&
	    e->actor.via == VIA_SERVICE, "AWS Internal on behalf of benjamin via service");
	e = find_id(&l, "8b0a92b6-4868-4090-a6aa-d8f4d618c9d4");
	ok(e != NULL && e->actor.via == VIA_CONSOLE, "Firefox in the console");
	e = find_id(&l, "55e25aa9-7165-446e-aef6-815c7a79a961");
	ok(e != NULL && strcmp(e->actor.type, "AWSService") == 0 && e->actor.via == VIA_SERVICE,
	    "AssumeRole by ec2.amazonaws.com");
	e = find_id(&l, "4a131b73-a4cd-44ce-8757-e3ad55c22e43");
	ok(e != NULL && e->error_code && strcmp(e->error_code, "Client.InvalidParameterValue") == 0,
	    "failed RunInstances keeps its errorCode");
	evlist_free(&l);

	/* the same file through the fast path: jq 'select(.readOnly==true)' | wc -l = 2326 */
	read_path(p, 1, 0, &l);
	is_int(l.ro, 2326, "fast path: 2326 read-only records skipped");
	is_int(l.cnt.events, 574, "fast path: 574 writes left");
	evlist_free(&l);
	free(p);

	/* GCP: a service account with a delegation chain, and a failed call */
	p = xasprintf("%s/gcpaudit/plaso_gcp_logging.jsonl", shared);
	read_path(p, 0, 1, &l);
	e = find_id(&l, "1awjxggeaxqgz");
	ok(e != NULL, "plaso GCP CreateServiceAccount by a service account");
	if (e != NULL) {
		is_str(e->actor.principal, "dvwa-service-account@ketchup.iam.gserviceaccount.com", "SA principal");
		is_str(e->actor.type, "ServiceAccount", "SA type");
		is_str(e->actor.account, "ketchup", "SA project");
		is_str(e->actor.delegation, "service-1234567890@compute-system.iam.gserviceaccount.com -> "
		    "dvwa-service-account@ketchup.iam.gserviceaccount.com", "delegation from the VM agent");
		is_str(e->error_code, "7", "PERMISSION_DENIED");
	}
	evlist_free(&l);
	free(p);
	p = xasprintf("%s/gcpaudit/gcpdiag_gke3_logging-entries-1.json", shared);
	read_path(p, 0, 1, &l);
	ok(l.n == 4 && l.v[1].actor.type && strcmp(l.v[1].actor.type, "ServiceAgent") == 0 &&
	    l.v[1].actor.via == VIA_SERVICE && strcmp(l.v[1].region, "us-central1") == 0,
	    "gke3: instances.insert by the cloudservices agent");
	evlist_free(&l);
	free(p);
	p = xasprintf("%s/gcpaudit/gcpdiag_lb3_logging-entries-1.json", shared);
	read_path(p, 0, 1, &l);
	ok(l.n == 2 && l.v[0].actor.via == VIA_TERRAFORM && strcmp(l.v[0].region, "global") == 0 &&
	    strcmp(l.v[0].account, "gcpdiag-lb3-aaaa") == 0,
	    "lb3: targetHttpsProxies.insert via terraform");
	evlist_free(&l);
	free(p);
}

/* ---- GCP names as Terraform's ids (event_gcp.c) ---- */

static char *
fake_project(void *ctx, const char *number)
{
	(void)ctx;
	return strcmp(number, "123456789012") == 0 ? xstrdup("corp-prod") : NULL;
}

static char *
fake_sa(void *ctx, const char *key)
{
	int *calls = ctx;

	(*calls)++;
	if (strcmp(key, "105537103139416651075") == 0 ||
	    strcmp(key, "deployer@corp-prod.iam.gserviceaccount.com") == 0)
		return xstrdup("projects/corp-prod/serviceAccounts/deployer@corp-prod.iam.gserviceaccount.com");
	return NULL;
}

/* An event from a LogEntry whose resource.labels are `labels` (a JSON object text). */
static void
gcp_event(struct event *ev, const char *labels)
{
	char *s = xasprintf("{\"logName\":\"projects/x/logs/cloudaudit.googleapis.com%%2Factivity\","
	    "\"resource\":{\"type\":\"project\",\"labels\":%s},\"protoPayload\":{\"@type\":"
	    "\"type.googleapis.com/google.cloud.audit.AuditLog\",\"serviceName\":\"x.googleapis.com\","
	    "\"methodName\":\"SetIamPolicy\",\"resourceName\":\"projects/1\"}}", labels);
	json_object *o = json_tokener_parse(s);
	const char *why = NULL;

	if (o == NULL || event_from_logentry(o, ev, &why) != 0)
		tf_fatal("test entry: %s", why != NULL ? why : "not JSON");
	json_object_put(o);
	free(s);
}

static void
norm_is(const struct event *ev, const char *name, const struct gcp_names *r, const char *want,
    const char *what)
{
	char *got = gcp_name_normalize(ev, name, r);

	is_str(got, want, "%s", what);
	free(got);
}

static void
test_gcp_names(void)
{
	struct event labelled, numeric, bare, sa;
	int calls = 0;
	const struct gcp_names state = { fake_project, fake_sa, &calls };
	const char *email = "projects/corp-prod/serviceAccounts/deployer@corp-prod.iam.gserviceaccount.com";
	char *m;
	size_t i;
	static const char *const members[][2] = {
		{ "user:Alice@Corp.Example", "user:alice@corp.example" },
		{ "group:Ops@Corp.Example", "group:ops@corp.example" },
		{ "serviceAccount:CI@P.iam.gserviceaccount.com", "serviceAccount:ci@p.iam.gserviceaccount.com" },
		{ "domain:Corp.Example", "domain:corp.example" },
		{ "deleted:user:Bob@Corp.Example?uid=123", "deleted:user:bob@corp.example?uid=123" },
		{ "allUsers", "allUsers" },
		{ "projectEditor:Corp-Prod", "projectEditor:Corp-Prod" },
		{ "principal://iam.googleapis.com/locations/global/workforcePools/P/subject/ABC",
		  "principal://iam.googleapis.com/locations/global/workforcePools/P/subject/ABC" },
	};

	gcp_event(&labelled, "{\"project_id\":\"corp-prod\"}");
	gcp_event(&numeric, "{\"project_id\":\"123456789012\"}");
	gcp_event(&bare, "{}");
	gcp_event(&sa, "{\"project_id\":\"corp-prod\",\"unique_id\":\"105537103139416651075\","
	    "\"email_id\":\"deployer@corp-prod.iam.gserviceaccount.com\"}");

	norm_is(&labelled, "projects/123456789012/secrets/db", NULL, "projects/corp-prod/secrets/db",
	    "projects/NUMBER: the entry's project_id label");
	norm_is(&labelled, "projects/123456789012", NULL, "projects/corp-prod",
	    "... also for the project itself");
	norm_is(&numeric, "projects/123456789012", &state, "projects/corp-prod",
	    "a label that is a number too says nothing: the state's google_project.number does");
	norm_is(&bare, "projects/123456789012/topics/t", &state, "projects/corp-prod/topics/t",
	    "no label: the state");
	norm_is(&bare, "projects/999/topics/t", &state, NULL, "a number nobody knows stays");
	norm_is(&bare, "projects/123456789012/topics/t", NULL, NULL, "... as without a state");
	norm_is(&labelled, "projects/corp-prod/secrets/db", &state, NULL, "a project id: nothing to do");
	norm_is(&labelled, "organizations/888", &state, NULL, "not a project's name");
	norm_is(&labelled, NULL, &state, NULL, "no name");
	norm_is(&labelled, "projects/", &state, NULL, "an empty project segment");

	norm_is(&bare, "projects/-/serviceAccounts/105537103139416651075/keys/abc", &state,
	    "projects/corp-prod/serviceAccounts/deployer@corp-prod.iam.gserviceaccount.com/keys/abc",
	    "a service account by unique id: google_service_account's id, the key's rest kept");
	ok(calls == 1, "the state was asked once (%d)", calls);
	norm_is(&bare, "projects/-/serviceAccounts/deployer@corp-prod.iam.gserviceaccount.com",
	    NULL, email, "by email without a state: the email's project");
	norm_is(&bare, "projects/-/serviceAccounts/app@corp-prod.iam.gserviceaccount.com/keys/k1",
	    &state, "projects/corp-prod/serviceAccounts/app@corp-prod.iam.gserviceaccount.com/keys/k1",
	    "an email the state does not know: the email's project");
	norm_is(&sa, "projects/-/serviceAccounts/105537103139416651075", NULL, email,
	    "by unique id without a state: the entry's email_id label (its unique_id agrees)");
	norm_is(&sa, "projects/-/serviceAccounts/999", NULL, NULL,
	    "a unique id the labels do not name stays");
	norm_is(&bare, "projects/-/serviceAccounts/123456789012-compute@developer.gserviceaccount.com",
	    NULL, NULL, "the default compute account's email names no project: it stays");
	norm_is(&labelled, "projects/123456789012/serviceAccounts/nobody@elsewhere.example",
	    NULL, "projects/corp-prod/serviceAccounts/nobody@elsewhere.example",
	    "the project number of an account's name still becomes the id");

	for (i = 0; i < TF_ARRLEN(members); i++) {
		m = gcp_iam_member_normalize(members[i][0]);
		is_str(m, members[i][1], "member %s as the provider keeps it", members[i][0]);
		free(m);
	}
	ok(gcp_iam_member_normalize(NULL) == NULL, "no member");
	event_free(&labelled);
	event_free(&numeric);
	event_free(&bare);
	event_free(&sa);
}

/* The real entry of a service account's IAM change (panther's GCP audit rule tests): the
 * name by unique id resolves through its own labels. */
static void
test_gcp_names_sample(void)
{
	char *path = xasprintf("%s/gcpaudit/panther_gcp_audit_rule_tests.jsonl", shared);
	FILE *fp = fopen(path, "r");
	char line[65536];
	int found = 0;

	if (fp == NULL) {
		skip("no panther GCP audit samples");
		free(path);
		return;
	}
	while (fgets(line, sizeof line, fp) != NULL) {
		json_object *o = json_tokener_parse(line);
		struct event ev;
		const char *why;
		char *n;

		if (o == NULL)
			continue;
		if (event_from_logentry(o, &ev, &why) == 0 && ev.resource_name != NULL &&
		    strcmp(ev.resource_name, "projects/-/serviceAccounts/105537103139416651075") == 0) {
			n = gcp_name_normalize(&ev, ev.resource_name, NULL);
			is_str(n, "projects/gcp-project1/serviceAccounts/test-account3@gcp-project1.iam.gserviceaccount.com",
			    "panther sample: projects/-/serviceAccounts/UNIQUE_ID by its email_id label");
			free(n);
			found++;
		}
		if (o != NULL)
			event_free(&ev);
		json_object_put(o);
	}
	fclose(fp);
	ok(found > 0, "the sample has the entry (%d)", found);
	free(path);
}

int
main(void)
{
	struct stat st;

	top = getenv("TOP_SRCDIR");
	if (top == NULL || *top == '\0')
		top = ".";
	shared = getenv("SHARED_DATA") != NULL && *getenv("SHARED_DATA") != '\0' ?
	    xstrdup(getenv("SHARED_DATA")) : xasprintf("%s/../shared/data", top);
	have_shared = stat(shared, &st) == 0 && S_ISDIR(st.st_mode);

	test_via_table();
	test_cloudtrail_record();
	test_logentry_record();
	test_clone();
	test_sniff_wrappers();
	test_actor_direct();
	test_fixture_aws_identities();
	test_fast_path_lines();
	test_fast_path_repair_window();
	test_fixture_eventbridge();
	test_fixture_lookup_and_gz();
	test_fixture_gcp();
	test_fatal_inputs();
	test_hostile_text();
	test_gcp_names();
	if (have_shared) {
		test_all_samples();
		test_sample_records();
		test_gcp_names_sample();
	} else
		skip("no shared data");
	free(shared);
	return done_testing();
}
