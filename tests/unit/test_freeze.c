/* freeze: windows (boundaries, scope, parsing, banner helpers, JSON) and what the detector
 * makes of events inside them: one freeze_violation per write, exemptions, severity bumps. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "detect.h"
#include "freeze.h"
#include "util.h"
#include "yamlutil.h"
#include "tap.h"

#define T10 1716804000000LL      /* 2024-05-27T10:00:00Z */
#define HOUR 3600000LL

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
    "  - event: CreateUser\n"
    "    resource: aws_iam_user\n"
    "    action: create\n"
    "    id: [requestParameters.userName]\n";

static const char STATE[] =
    "{\"version\":4,\"terraform_version\":\"1.5.7\",\"serial\":3,\"lineage\":\"l\",\"resources\":["
    "{\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"web\",\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\","
    " \"instances\":[{\"attributes\":{\"id\":\"i-1\",\"instance_type\":\"t3.micro\"}}]}"
    "]}";

static struct eventmap *map;
static struct state_index *ix;

/* A CloudTrail record: id, time, name, user agent, extra top-level members, parameters. */
#define REC(id, time, name, ua, extra, params) \
	"{\"eventVersion\":\"1.08\",\"eventID\":\"" id "\",\"eventTime\":\"" time "\"," \
	"\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"" name "\",\"awsRegion\":\"eu-west-1\"," \
	"\"userAgent\":\"" ua "\",\"readOnly\":false,\"sourceIPAddress\":\"203.0.113.1\"," extra \
	"\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"alice\",\"arn\":\"arn:aws:iam::1:user/alice\",\"accountId\":\"1\"}," \
	"\"requestParameters\":" params "}"
#define CLI "aws-cli/2"
#define CHANGE "{\"instanceId\":\"i-1\",\"instanceType\":{\"value\":\"t3.large\"}}"
#define SAME "{\"instanceId\":\"i-1\",\"instanceType\":{\"value\":\"t3.micro\"}}"

static int
to_event(const char *json, struct event *ev)
{
	json_object *o = json_tokener_parse(json);
	const char *why = NULL;
	int rc;

	memset(ev, 0, sizeof *ev);
	rc = o != NULL ? event_from_json(o, ev, &why) : -1;
	if (rc != 0)
		diag("bad test record: %s", why ? why : "unparseable");
	json_object_put(o);
	return rc;
}

static enum nodrift
run(struct detector *d, const char *json, struct finding_list *out)
{
	struct event ev;
	enum nodrift r;

	if (to_event(json, &ev) != 0)
		return ND__COUNT;
	r = detect_event(d, &ev, out);
	event_free(&ev);
	return r;
}

static void
win(struct freeze_window *w, const char *name, int64_t start, int64_t end)
{
	memset(w, 0, sizeof *w);
	w->name = xstrdup(name);
	w->start_ms = start;
	w->end_ms = end;
}

static size_t
count_kind(const struct finding_list *l, enum finding_kind k)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		n += l->v[i]->kind == k;
	return n;
}

static struct finding *
find_kind(const struct finding_list *l, enum finding_kind k)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i]->kind == k)
			return l->v[i];
	return NULL;
}

static void
test_window(void)
{
	struct freeze_window w, p;
	struct event aws, gcp;
	char *err = NULL, *js, buf[32];
	int64_t t;

	win(&w, "cab", T10, T10 + 2 * HOUR);
	ok(freeze_window_check(&w, &err) == 0, "a good window checks");
	ok(freeze_window_contains(&w, T10), "start is inclusive");
	ok(!freeze_window_contains(&w, T10 - 1), "a ms before start is outside");
	ok(freeze_window_contains(&w, T10 + 2 * HOUR - 1), "a ms before end is inside");
	ok(!freeze_window_contains(&w, T10 + 2 * HOUR), "end is exclusive");

	memset(&aws, 0, sizeof aws);
	aws.provider = PROV_AWS;
	aws.account = "111122223333";
	aws.region = "eu-west-1";
	aws.time_ms = T10;
	memset(&gcp, 0, sizeof gcp);
	gcp.provider = PROV_GCP;
	gcp.account = "corp-prod-4411";
	gcp.region = "europe-west1";
	gcp.time_ms = T10;
	ok(freeze_window_match(&w, &aws, NULL) && freeze_window_match(&w, &gcp, "google_compute_instance"),
	    "an unscoped window takes in any event, mapped or not");
	strlist_push(&w.accounts, "1111*");
	ok(freeze_window_match(&w, &aws, "aws_instance"), "account glob matches");
	ok(!freeze_window_match(&w, &gcp, NULL), "a window scoped to AWS accounts does not take GCP events");
	strlist_push(&w.projects, "corp-prod-*");
	ok(freeze_window_match(&w, &gcp, NULL), "projects scope GCP events");
	aws.account = "999";
	ok(!freeze_window_match(&w, &aws, NULL), "another account is outside");
	aws.account = "111122223333";
	strlist_push(&w.regions, "eu-*");
	ok(freeze_window_match(&w, &aws, NULL) && !freeze_window_match(&w, &gcp, NULL), "region glob");
	strlist_push(&w.regions, "europe-west1");
	strlist_push(&w.resource_types, "aws_iam_*");
	ok(freeze_window_match(&w, &aws, "aws_iam_role"), "type glob matches");
	ok(!freeze_window_match(&w, &aws, "aws_instance"), "another type is outside");
	ok(!freeze_window_match(&w, &aws, NULL), "an unmapped event is outside a typed window");
	aws.time_ms = 0;
	ok(!freeze_window_match(&w, &aws, "aws_iam_role"), "an event without a time is never inside");

	js = freeze_scope_to_json(&w);
	is_str(js, "{\"accounts\":[\"1111*\"],\"projects\":[\"corp-prod-*\"],\"regions\":[\"eu-*\","
	    "\"europe-west1\"],\"resource_types\":[\"aws_iam_*\"]}", "scope as JSON");
	memset(&p, 0, sizeof p);
	ok(freeze_scope_from_json(js, &p, &err) == 0 && p.regions.n == 2 && p.resource_types.n == 1 &&
	    strcmp(p.projects.v[0], "corp-prod-*") == 0, "scope JSON reads back");
	free(js);
	ok(freeze_scope_from_json("{\"colour\":[\"x\"]}", &p, &err) == -1, "unknown scope member refused");
	free(err);
	err = NULL;
	freeze_window_clear(&p);

	ok(freeze_parse_spec("cab=2024-05-27T08:00:00Z..2024-05-27T12:00:00Z", &p, &err) == 0 &&
	    strcmp(p.name, "cab") == 0 && p.start_ms == T10 - 2 * HOUR && p.end_ms == T10 + 2 * HOUR &&
	    p.origin == FO_CLI, "--freeze NAME=START..END");
	freeze_window_clear(&p);
	ok(freeze_parse_spec("cab=2024-05-27T12:00:00Z..2024-05-27T08:00:00Z", &p, &err) == -1 &&
	    strstr(err, "not after") != NULL, "end before start refused: %s", err);
	free(err);
	err = NULL;
	ok(freeze_parse_spec("=2024-05-27T08:00:00Z..2024-05-27T12:00:00Z", &p, &err) == -1, "no name refused");
	free(err);
	err = NULL;
	ok(freeze_parse_spec("cab=yesterday..today", &p, &err) == -1, "bad times refused");
	free(err);
	err = NULL;

	ok(freeze_parse_time("2h", T10, &t) == 0 && t == T10 + 2 * HOUR, "a duration is from now");
	ok(freeze_parse_time("+90m", T10, &t) == 0 && t == T10 + 90 * 60000, "+duration too");
	ok(freeze_parse_time("12:30", T10, &t) == 0 && t == T10 + 2 * HOUR + 30 * 60000, "HH:MM later today");
	ok(freeze_parse_time("09:00", T10, &t) == 0 && t == T10 + 23 * HOUR, "HH:MM already past is tomorrow");
	ok(freeze_parse_time("2024-05-27T11:00:00Z", T10, &t) == 0 && t == T10 + HOUR, "RFC 3339");
	ok(freeze_parse_time("25:00", T10, &t) == -1 && freeze_parse_time("soon", T10, &t) == -1,
	    "nonsense refused");

	freeze_format_left(2 * HOUR + 5 * 60000, buf);
	is_str(buf, "2h05m", "time left, hours");
	freeze_format_left(45 * 60000 + 30000, buf);
	is_str(buf, "45m", "time left, minutes");
	freeze_format_left(1, buf);
	is_str(buf, "1s", "never 0s while it holds");
	freeze_format_left(3 * 24 * HOUR + 4 * HOUR, buf);
	is_str(buf, "3d4h", "days");
	/* Found by fuzz_freeze: rounding up overflowed near INT64_MAX (a damaged store's end). */
	freeze_format_left(INT64_MAX, buf);
	is_str(buf, "106751991167d7h", "the longest time left still rounds up, not over");
	freeze_window_clear(&w);

	{
		struct freeze_window v[3];

		win(&v[0], "a", T10, T10 + HOUR);
		win(&v[1], "b", T10 - HOUR, T10 + 3 * HOUR);
		win(&v[2], "c", T10 + 5 * HOUR, T10 + 6 * HOUR);
		ok(freeze_current(v, 3, T10 + 1) == &v[1], "current: the active window that ends last");
		ok(freeze_current(v, 3, T10 + 4 * HOUR) == NULL, "none active between windows");
		ok(freeze_next(v, 3, T10) == &v[2], "next: the one that starts next");
		ok(freeze_next(v, 3, T10 + 6 * HOUR) == NULL, "none after the last");
		freeze_window_clear(&v[0]);
		freeze_window_clear(&v[1]);
		freeze_window_clear(&v[2]);
	}
}

static void
test_detect(void)
{
	struct conf conf;
	struct detector *d, *d2;
	struct finding_list out = { 0 }, out2 = { 0 };
	struct freeze_window w[2];
	struct finding *f, *v;
	enum nodrift r;

	conf_init(&conf);
	strlist_push(&conf.pipeline_principals, "arn:aws:iam::1:user/deployer");
	conf.freezes = xcalloc(1, sizeof *conf.freezes);
	win(&conf.freezes[0], "cab", T10, T10 + 2 * HOUR);
	conf.nfreezes = 1;
	d = detector_new(map, ix, &conf);

	r = run(d, REC("o1", "2024-05-27T09:59:59.999Z", "ModifyThing", CLI, "", CHANGE), &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->kind == FK_MODIFIED && out.v[0]->severity == SEV_MEDIUM &&
	    out.v[0]->freeze_name == NULL, "a ms before the window: plain drift, no freeze");
	finding_list_clear(&out);

	r = run(d, REC("i1", "2024-05-27T10:00:00Z", "ModifyThing", CLI, "", CHANGE), &out);
	is_int(r, ND_DRIFT, "at the start of the window: drift");
	is_int(out.n, 2, "a modified finding and one violation");
	f = find_kind(&out, FK_MODIFIED);
	v = find_kind(&out, FK_FREEZE_VIOLATION);
	ok(f != NULL && f->severity == SEV_HIGH, "drift in the window ranks one higher (medium -> high)");
	ok(f != NULL && f->freeze_name != NULL && strcmp(f->freeze_name, "cab") == 0 &&
	    f->freeze_start_ms == T10 && f->freeze_end_ms == T10 + 2 * HOUR, "and names the window");
	ok(v != NULL && v->severity == SEV_HIGH, "violation severity defaults to high");
	is_str(v ? v->summary : NULL, "ModifyThing during change freeze cab", "violation summary");
	is_str(v ? v->address : NULL, "aws_instance.web", "violation names the managed resource");
	is_str(v ? v->type : NULL, "aws_instance", "and its type");
	ok(v != NULL && f != NULL && strcmp(v->id, f->id) != 0, "its own id");
	if (v != NULL) {
		json_object *o = finding_to_json(v), *fz;
		struct finding *back;
		char *e = NULL;

		ok(json_object_object_get_ex(o, "freeze", &fz) &&
		    strcmp(json_object_get_string(json_object_object_get(fz, "name")), "cab") == 0 &&
		    strcmp(json_object_get_string(json_object_object_get(fz, "start")), "2024-05-27T10:00:00Z") == 0,
		    "JSON carries freeze {name, start, end}");
		back = finding_from_json(o, &e);
		ok(back != NULL && back->freeze_name != NULL && strcmp(back->freeze_name, "cab") == 0 &&
		    back->freeze_end_ms == T10 + 2 * HOUR, "and reads back %s", e ? e : "");
		finding_free(back);
		json_object_put(o);
	}
	/* Stable id: another detector, same event and window, same id. */
	d2 = detector_new(map, ix, &conf);
	run(d2, REC("i1", "2024-05-27T10:00:00Z", "ModifyThing", CLI, "", CHANGE), &out2);
	ok(v != NULL && find_kind(&out2, FK_FREEZE_VIOLATION) != NULL &&
	    strcmp(find_kind(&out2, FK_FREEZE_VIOLATION)->id, v->id) == 0, "the violation id is stable");
	finding_list_clear(&out2);
	detector_free(d2);
	finding_list_clear(&out);

	r = run(d, REC("i2", "2024-05-27T12:00:00Z", "ModifyThing", CLI, "", CHANGE), &out);
	ok(out.n == 1 && count_kind(&out, FK_FREEZE_VIOLATION) == 0 && out.v[0]->severity == SEV_MEDIUM,
	    "at the end of the window: outside (end exclusive)");
	finding_list_clear(&out);
	r = run(d, REC("i3", "2024-05-27T11:59:59Z", "ModifyThing", CLI, "", SAME), &out);
	ok(r == ND_DRIFT && count_kind(&out, FK_FREEZE_VIOLATION) == 1,
	    "a write of the value state has is still a violation");
	/* ... and it puts o1's and i1's change back (the lifecycle): those findings come again,
	 * resolved; i2's is newer than this call and stays open. */
	ok(out.n == 3 && out.v[0]->status == ST_RESOLVED && strcmp(out.v[0]->event_id, "o1") == 0 &&
	    out.v[1]->status == ST_RESOLVED && strcmp(out.v[1]->event_id, "i1") == 0,
	    "it resolves the drift it put back (o1, i1), not the later one (i2)");
	finding_list_clear(&out);
	r = run(d, REC("i4", "2024-05-27T10:30:00Z", "NoSuchCall", CLI, "", "{}"), &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->kind == FK_FREEZE_VIOLATION && out.v[0]->type == NULL &&
	    out.v[0]->address == NULL, "an unmapped write is a violation, with no resource");
	finding_list_clear(&out);
	is_int(run(d, REC("i5", "2024-05-27T10:30:00Z", "ModifyThing", "Terraform/1.5.7 terraform-provider-aws/5.0", "", CHANGE), &out),
	    ND_TERRAFORM, "the Terraform pipeline is exempt");
	{
		const char *dep = "{\"eventVersion\":\"1.08\",\"eventID\":\"i6\",\"eventTime\":\"2024-05-27T10:30:00Z\","
		    "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"ModifyThing\",\"awsRegion\":\"eu-west-1\","
		    "\"userAgent\":\"aws-cli/2\",\"readOnly\":false,"
		    "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"deployer\",\"arn\":\"arn:aws:iam::1:user/deployer\",\"accountId\":\"1\"},"
		    "\"requestParameters\":" CHANGE "}";
		const char *svc = "{\"eventVersion\":\"1.08\",\"eventID\":\"i7\",\"eventTime\":\"2024-05-27T10:30:00Z\","
		    "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"ModifyThing\",\"awsRegion\":\"eu-west-1\","
		    "\"userAgent\":\"autoscaling.amazonaws.com\",\"readOnly\":false,"
		    "\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":\"autoscaling.amazonaws.com\"},"
		    "\"requestParameters\":" CHANGE "}";
		const char *signin = "{\"eventVersion\":\"1.08\",\"eventID\":\"i7b\",\"eventTime\":\"2024-05-27T10:30:00Z\","
		    "\"eventSource\":\"signin.amazonaws.com\",\"eventName\":\"ConsoleLogin\",\"awsRegion\":\"eu-west-1\","
		    "\"eventType\":\"AwsConsoleSignIn\",\"readOnly\":false,"
		    "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"alice\",\"arn\":\"arn:aws:iam::1:user/alice\",\"accountId\":\"1\"}}";

		is_int(run(d, dep, &out), ND_TERRAFORM, "a configured pipeline principal is exempt");
		is_int(run(d, svc, &out), ND_SERVICE, "a cloud service principal is exempt");
		is_int(run(d, signin, &out), ND_NOT_COVERED, "a console sign-in is not a write");
	}
	is_int(run(d, REC("i8", "2024-05-27T10:30:00Z", "ModifyThing", CLI, "\"errorCode\":\"AccessDenied\",", CHANGE), &out),
	    ND_FAILED, "a failed call is exempt");
	{
		const char *ro = "{\"eventVersion\":\"1.08\",\"eventID\":\"i9\",\"eventTime\":\"2024-05-27T10:30:00Z\","
		    "\"eventSource\":\"ec2.amazonaws.com\",\"eventName\":\"ModifyThing\",\"readOnly\":true,"
		    "\"userIdentity\":{\"type\":\"IAMUser\",\"userName\":\"a\"},\"requestParameters\":" CHANGE "}";

		is_int(run(d, ro, &out), ND_READ_ONLY, "a read-only call is exempt");
	}
	is_int(out.n, 0, "none of the exempt calls made a finding");
	r = run(d, REC("i10", "2024-05-27T10:40:00Z", "TouchThing", CLI, "", "{\"instanceId\":\"i-1\"}"), &out);
	f = find_kind(&out, FK_MODIFIED);
	ok(f != NULL && f->severity == SEV_CRITICAL && f->freeze_name != NULL, "a critical finding stays critical (capped)");
	finding_list_clear(&out);
	r = run(d, REC("i11", "2024-05-27T10:41:00Z", "CreateUser", CLI, "", "{\"userName\":\"bot\"}"), &out);
	f = find_kind(&out, FK_UNMANAGED);
	ok(f != NULL && f->severity == SEV_MEDIUM, "unmanaged in the window: low -> medium");
	v = find_kind(&out, FK_FREEZE_VIOLATION);
	ok(v != NULL && v->type != NULL && strcmp(v->type, "aws_iam_user") == 0 && v->address == NULL &&
	    v->resource_id != NULL && strcmp(v->resource_id, "bot") == 0, "violation names the unmanaged resource");
	finding_list_clear(&out);
	r = run(d, REC("i12", "2024-05-27T10:42:00Z", "CreateUser", CLI, "", "{\"userName\":\"bot\"}"), &out);
	ok(r == ND_DRIFT && out.n == 1 && out.v[0]->kind == FK_FREEZE_VIOLATION,
	    "a second change to an already-reported unmanaged resource is still a violation");
	finding_list_clear(&out);
	is_int(detector_stats(d)->findings[FK_FREEZE_VIOLATION], 6, "stats count violations");

	/* Scope: set windows beside the config's; the config's cab is replaced for this part by
	 * a detector without config windows. */
	detector_free(d);
	freeze_windows_free(conf.freezes, conf.nfreezes);
	conf.freezes = NULL;
	conf.nfreezes = 0;
	free(conf.severity_freeze);
	conf.severity_freeze = xstrdup("critical");
	d = detector_new(map, ix, &conf);
	win(&w[0], "other-account", T10, T10 + HOUR);
	strlist_push(&w[0].accounts, "2222");
	win(&w[1], "iam", T10, T10 + HOUR);
	strlist_push(&w[1].regions, "eu-*");
	strlist_push(&w[1].resource_types, "aws_iam_*");
	detector_set_freezes(d, w, 2);
	freeze_window_clear(&w[0]);
	freeze_window_clear(&w[1]);   /* the detector keeps copies */
	r = run(d, REC("s1", "2024-05-27T10:10:00Z", "ModifyThing", CLI, "", CHANGE), &out);
	ok(out.n == 1 && out.v[0]->kind == FK_MODIFIED && out.v[0]->severity == SEV_MEDIUM &&
	    out.v[0]->freeze_name == NULL, "an instance is outside a window of other accounts and IAM types");
	finding_list_clear(&out);
	r = run(d, REC("s2", "2024-05-27T10:10:00Z", "NoSuchCall", CLI, "", "{}"), &out);
	ok(r == ND_NOT_COVERED && out.n == 0, "an unmapped write is outside a typed window");
	r = run(d, REC("s3", "2024-05-27T10:10:00Z", "CreateUser", CLI, "", "{\"userName\":\"u2\"}"), &out);
	v = find_kind(&out, FK_FREEZE_VIOLATION);
	ok(v != NULL && strcmp(v->freeze_name, "iam") == 0, "an IAM user in eu-west-1 is inside the iam window");
	ok(v != NULL && v->severity == SEV_CRITICAL, "violation severity from severity_freeze_violation");
	finding_list_clear(&out);
	detector_set_freezes(d, NULL, 0);
	r = run(d, REC("s4", "2024-05-27T10:11:00Z", "CreateUser", CLI, "", "{\"userName\":\"u3\"}"), &out);
	ok(out.n == 1 && out.v[0]->kind == FK_UNMANAGED && out.v[0]->severity == SEV_LOW,
	    "detector_set_freezes(d, NULL, 0) clears them");
	finding_list_clear(&out);
	detector_free(d);
	conf_free(&conf);
}

int
main(void)
{
	char **errs = NULL, *err = NULL;
	size_t nerrs = 0, nspecs;
	struct tf_state *st = NULL;
	const struct index_key_spec *specs;

	map = eventmap_new();
	ok(eventmap_load_mem(map, "test-map.yaml", MAP, sizeof MAP - 1, &errs, &nerrs) == 0, "test map loads");
	yerrs_free(errs, nerrs);
	ok(tfstate_parse(STATE, sizeof STATE - 1, "test.tfstate", &st, &err) == 0, "test state parses");
	specs = eventmap_index_specs(map, &nspecs);
	ix = state_index_build(&st, 1, specs, nspecs);
	test_window();
	test_detect();
	state_index_unref(ix);
	eventmap_free(map);
	return done_testing();
}
