/* finding and output: ids, summaries, JSON form, text form, sensitive values. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "output.h"
#include "text.h"
#include "util.h"
#include "tap.h"

static struct finding *
sample(void)
{
	struct finding *f = xcalloc(1, sizeof *f);

	f->kind = FK_MODIFIED;
	f->severity = SEV_HIGH;
	f->provider = PROV_AWS;
	f->address = xstrdup("module.app.aws_instance.web[1]");
	f->type = xstrdup("aws_instance");
	f->resource_id = xstrdup("i-0abc");
	f->module = xstrdup("module.app");
	f->state_source = xstrdup("prod.tfstate");
	f->actor.name = xstrdup("bob@corp.example");
	f->actor.principal = xstrdup("arn:aws:sts::1:assumed-role/Admin/bob@corp.example");
	f->actor.type = xstrdup("AssumedRole");
	f->actor.role = xstrdup("Admin");
	f->actor.via = VIA_CONSOLE;
	f->event_id = xstrdup("e-1");
	f->event_name = xstrdup("ModifyInstanceAttribute");
	f->event_time_ms = 1716804000000LL;
	finding_add_change(f, "instance_type", json_object_new_string("t3.micro"),
	    json_object_new_string("t3.large"), CH_MODIFIED, 0);
	finding_add_change(f, "password", json_object_new_string("hunter2"),
	    json_object_new_string("hunter3"), CH_MODIFIED, 1);
	finding_summarize(f);
	finding_set_id(f);
	return f;
}

/* A finding whose every string is hostile: not UTF-8, NUL-free C strings with controls,
 * escape sequences, C1 controls, bidi overrides, formulas, quotes and line breaks. */
#define EVIL(w) w "\xff\xfe\x1b]0;pwn\x07\x1b[31m\xc2\x9b" "2J\xe2\x80\xae\x7f\r\n\",'\x01"
static struct finding *
hostile(void)
{
	struct finding *f = xcalloc(1, sizeof *f);

	f->kind = FK_UNMANAGED;
	f->severity = SEV_HIGH;
	f->provider = PROV_AWS;
	f->address = xstrdup(EVIL("=addr"));
	f->type = xstrdup(EVIL("+type"));
	f->resource_id = xstrdup(EVIL("-id; rm -rf ~ '"));
	f->module = xstrdup(EVIL("module"));
	f->state_source = xstrdup(EVIL("state"));
	f->account = xstrdup(EVIL("@acct"));
	f->region = xstrdup(EVIL("\tregion"));
	f->actor.name = xstrdup(EVIL("=HYPERLINK(\"http://x\")"));
	f->actor.principal = xstrdup(EVIL("arn"));
	f->actor.type = xstrdup(EVIL("type"));
	f->actor.role = xstrdup(EVIL("role"));
	f->source_ip = xstrdup(EVIL("ip"));
	f->user_agent = xstrdup(EVIL("ua"));
	f->event_id = xstrdup(EVIL("eid"));
	f->event_name = xstrdup(EVIL("@SUM(1)"));
	f->event_source = xstrdup(EVIL("src"));
	f->event_time_ms = 1716804000000LL;
	finding_add_change(f, EVIL("tags.k"), json_object_new_string(EVIL("old")),
	    json_object_new_string(EVIL("new")), CH_MODIFIED, 0);
	finding_add_change(f, EVIL("obj"), NULL, json_object_new_string_len("a\0b", 3), CH_ADDED, 0);
	finding_summarize(f);
	finding_set_id(f);
	return f;
}

static char *
render(const struct finding_list *l, enum out_format fmt)
{
	struct out_opts oo = { fmt, 0, NULL };
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ok(output_findings(fp, l, &oo) == 0, "hostile: format %d written", (int)fmt);
	fclose(fp);
	return buf;
}

/* The first control byte or character (C0 but newline, DEL, C1, bidi) in s, or -1. */
static long
first_control(const char *s, int allow_cr)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; p[i] != '\0'; i++) {
		if ((p[i] < 0x20 && p[i] != '\n' && !(allow_cr && p[i] == '\r')) || p[i] == 0x7f)
			return (long)i;
		if (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			return (long)i;
		if (p[i] == 0xe2 && p[i + 1] == 0x80 && p[i + 2] >= 0xa8 && p[i + 2] <= 0xae)
			return (long)i;
	}
	return -1;
}

static void
test_hostile(void)
{
	struct finding *f = hostile();
	struct finding_list l = { 0 };
	json_object *o, *shared = f->changes[0].old_val;
	char *s;

	{
		/* A long value is cut for the summary, never inside a character. */
		struct finding *g = xcalloc(1, sizeof *g);

		g->kind = FK_MODIFIED;
		finding_add_change(g, "description", json_object_new_string("old"), json_object_new_string(
		    "0123456789012345678901234567890123456789abcd\xc3\xa9\xe2\x82\xac more text"), CH_MODIFIED, 0);
		finding_summarize(g);
		ok(text_utf8_ok(g->summary, strlen(g->summary)) && strstr(g->summary, "abcd...") != NULL,
		    "a summary cut before a character, not inside it: %s", g->summary);
		finding_free(g);
	}
	o = finding_to_json(f);
	ok(text_json_ok(o), "finding_to_json: every string is valid UTF-8");
	is_str(json_object_get_string(shared), EVIL("old"), "the finding's own values are not written into");
	json_object_put(o);

	finding_list_push(&l, f);
	s = render(&l, OUT_JSON);
	ok(text_utf8_ok(s, strlen(s)), "json: valid UTF-8");
	is_int(first_control(s, 0), -1, "json: no control character but newlines");
	o = json_tokener_parse(s);
	ok(o != NULL, "json: parses");
	is_str(json_object_get_string(json_object_object_get(json_object_object_get(json_object_array_get_idx(
	    json_object_object_get(o, "findings"), 0), "actor"), "name")),
	    "=HYPERLINK(\"http://x\")" TEXT_REPLACEMENT TEXT_REPLACEMENT "\x1b]0;pwn\x07\x1b[31m\xc2\x9b"
	    "2J\xe2\x80\xae\x7f\r\n\",'\x01", "json: the same text, with U+FFFD for what was not UTF-8");
	json_object_put(o);
	free(s);
	s = render(&l, OUT_JSONL);
	ok(text_utf8_ok(s, strlen(s)), "jsonl: valid UTF-8");
	is_int(first_control(s, 0), -1, "jsonl: no control character but the newline");
	ok(strchr(s, '\n') == s + strlen(s) - 1, "jsonl: one line");
	free(s);

	s = render(&l, OUT_TEXT);
	is_int(first_control(s, 0), -1, "text: no control character but newlines");
	ok(text_utf8_ok(s, strlen(s)), "text: valid UTF-8 (bytes that are not are shown as \\xNN)");
	ok(strstr(s, "by =HYPERLINK(\"http://x\")\\xff\\xfe\\x1b]0;pwn\\x07\\x1b[31m\\u009b2J\\u202e\\x7f\\r\\n\",'\\x01 (") != NULL,
	    "text: the actor's controls are shown as escapes");
	ok(strstr(s, "    ~ tags.k\\xff") != NULL && strstr(s, ": \"old\\xff\\xfe\\x1b]0;pwn") != NULL,
	    "text: so are an attribute's and a value's");
	ok(strstr(s, "\"a\\x00b\"") != NULL, "text: a NUL inside a value is shown, not the end of it");
	ok(strstr(s, "fix: import it (terraform import +type\\xff\\xfe\\x1b]0;pwn\\x07\\x1b[31m\\u009b2J\\u202e\\x7f\\r\\n\",'\\x01.<name> "
	    "'-id; rm -rf ~ '\\''\\xff\\xfe\\x1b]0;pwn\\x07\\x1b[31m\\u009b2J\\u202e\\x7f\\r\\n\",'\\''\\x01') or delete it\n") != NULL,
	    "text: the fix line quotes the logged id as one shell word: %s", strstr(s, "fix:"));
	free(s);

	s = render(&l, OUT_CSV);
	ok(text_utf8_ok(s, strlen(s)), "csv: valid UTF-8");
	ok(strstr(s, ",\"'=addr" TEXT_REPLACEMENT TEXT_REPLACEMENT "\x1b]0;pwn") != NULL &&
	    strstr(s, ",\"'+type") != NULL && strstr(s, ",\"'-id; rm -rf ~ '") != NULL &&
	    strstr(s, ",\"'@acct") != NULL && strstr(s, ",\"'\tregion") != NULL &&
	    strstr(s, ",\"'=HYPERLINK(\"\"http://x\"\")") != NULL && strstr(s, ",\"'@SUM(1)") != NULL,
	    "csv: cells starting with = + - @ or a tab get a ' inside quotes");
	ok(strstr(s, "\r\n\"\",'\x01\",") != NULL, "csv: quotes doubled, line breaks kept inside quotes");
	free(s);
	f->kind = FK_DELETED;
	s = render(&l, OUT_TEXT);
	ok(strstr(s, "fix: terraform apply -target='=addr\\xff\\xfe\\x1b]0;pwn\\x07\\x1b[31m\\u009b2J\\u202e\\x7f\\r\\n\",'\\''\\x01' to recreate it") != NULL,
	    "text: the target address is one quoted shell word too");
	free(s);
	finding_list_clear(&l);
}

/* A resolved finding: its resolution in JSON, read back the same, and refused half-made. */
static void
test_resolution(void)
{
	struct finding *f = sample(), *g;
	struct event ev;
	json_object *o, *r, *v;
	char *a, *b, *err = NULL;
	enum finding_status st;
	enum resolution_reason rr;

	memset(&ev, 0, sizeof ev);
	ev.id = xstrdup("e-2");
	ev.name = xstrdup("ModifyInstanceAttribute");
	ev.time_ms = 1716804600000LL;
	ev.actor.name = xstrdup("terraform-ci");
	ev.actor.principal = xstrdup("arn:aws:sts::1:assumed-role/tf-ci/run-42");
	ev.actor.type = xstrdup("AssumedRole");
	ev.actor.role = xstrdup("tf-ci");
	ev.actor.session = xstrdup("run-42");
	ev.actor.via = VIA_SDK;
	o = finding_to_json(f);
	ok(!json_object_object_get_ex(o, "resolution", NULL), "an open finding has no resolution");
	json_object_put(o);
	finding_resolve(f, RR_REVERTED_BY_TERRAFORM, &ev, 1);
	is_int(f->status, ST_RESOLVED, "finding_resolve sets the status");
	o = finding_to_json(f);
	is_str(json_object_get_string(json_object_object_get(o, "status")), "resolved", "status resolved");
	ok(json_object_object_get_ex(o, "resolution", &r), "with a resolution");
	is_str(json_object_get_string(json_object_object_get(r, "reason")), "reverted_by_terraform",
	    "its reason");
	is_str(json_object_get_string(json_object_object_get(r, "at")), "2024-05-27T10:10:00Z",
	    "at: the resolving event's time");
	v = json_object_object_get(r, "event");
	is_str(json_object_get_string(json_object_object_get(v, "id")), "e-2", "the event's id");
	v = json_object_object_get(r, "actor");
	is_str(json_object_get_string(json_object_object_get(v, "session")), "run-42",
	    "the actor with its session");
	a = xstrdup(json_object_to_json_string(o));
	g = finding_from_json(o, &err);
	ok(g != NULL, "read back: %s", err ? err : "ok");
	json_object_put(o);
	if (g != NULL) {
		o = finding_to_json(g);
		b = xstrdup(json_object_to_json_string(o));
		is_str(b, a, "byte for byte");
		free(b);
		json_object_put(o);
		finding_free(g);
	}
	free(a);

	/* By a state: no event, no actor; at is the state's time. */
	finding_resolve(f, RR_ACCEPTED_IN_STATE, NULL, 1716805200000LL);
	o = finding_to_json(f);
	r = json_object_object_get(o, "resolution");
	ok(json_object_object_get_ex(r, "event", &v) && v == NULL, "a state's resolution: event null");
	ok(json_object_object_get_ex(r, "actor", &v) && v == NULL, "and actor null");
	is_str(json_object_get_string(json_object_object_get(r, "at")), "2024-05-27T10:20:00Z",
	    "at: when the state was read");
	ok(!json_object_object_get_ex(r, "state", NULL), "no state named: no state member");
	json_object_put(o);
	/* The state that accepted it: its path and serial, read back the same. */
	f->resolution->state_path = xstrdup("s3://corp-tf/prod.tfstate");
	f->resolution->state_serial = 42;
	o = finding_to_json(f);
	r = json_object_object_get(o, "resolution");
	is_str(json_object_to_json_string_ext(json_object_object_get(r, "state"), JSON_C_TO_STRING_PLAIN),
	    "{\"path\":\"s3:\\/\\/corp-tf\\/prod.tfstate\",\"serial\":42}", "resolution.state: path and serial");
	g = finding_from_json(o, &err);
	ok(g != NULL && g->resolution->state_path != NULL &&
	    strcmp(g->resolution->state_path, "s3://corp-tf/prod.tfstate") == 0 &&
	    g->resolution->state_serial == 42, "read back");
	finding_free(g);
	json_object_object_add(json_object_object_get(r, "state"), "serial", json_object_new_string("x"));
	g = finding_from_json(o, &err);
	ok(g == NULL && err != NULL && strstr(err, "finding.resolution.state") != NULL,
	    "a serial that is not a number is refused: %s", err ? err : "accepted");
	free(err);
	err = NULL;
	json_object_object_del(r, "state");
	json_object_object_add(o, "status", json_object_new_string("open"));
	g = finding_from_json(o, &err);
	ok(g == NULL && err != NULL && strstr(err, "finding.resolution") != NULL,
	    "a resolution on an open finding is refused: %s", err ? err : "accepted");
	free(err);
	err = NULL;
	json_object_object_add(o, "status", json_object_new_string("resolved"));
	json_object_object_del(o, "resolution");
	g = finding_from_json(o, &err);
	ok(g == NULL && err != NULL, "a resolved finding without one too: %s", err ? err : "accepted");
	free(err);
	json_object_put(o);

	ok(finding_status_parse("resolved", &st) == 0 && st == ST_RESOLVED, "status names parse");
	ok(finding_status_parse("closed", &st) != 0, "and others do not");
	ok(resolution_reason_parse("resource_gone", &rr) == 0 && rr == RR_RESOURCE_GONE,
	    "reason names parse");
	event_free(&ev);
	finding_free(f);
}

/* The id terraform import takes: the Google provider's IAM members and bindings import as
 * "RESOURCE ROLE [MEMBER]" (space-separated), not by their ids. */
static void
test_import_id(void)
{
	static const char *const cases[][3] = {
		{ "google_project_iam_member", "corp-prod/roles/viewer/user:a@corp.example",
		  "corp-prod roles/viewer user:a@corp.example" },
		{ "google_storage_bucket_iam_member", "b/corp-a/roles/storage.objectViewer/allUsers",
		  "b/corp-a roles/storage.objectViewer allUsers" },
		{ "google_project_iam_binding", "corp-prod/roles/owner", "corp-prod roles/owner" },
		{ "google_service_account_iam_member",
		  "projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com/roles/iam.serviceAccountUser/user:b@x.example",
		  "projects/p/serviceAccounts/sa@p.iam.gserviceaccount.com roles/iam.serviceAccountUser user:b@x.example" },
		{ "google_project_iam_member", "corp-prod/projects/corp-prod/roles/deployer/group:ops@x.example",
		  "corp-prod projects/corp-prod/roles/deployer group:ops@x.example" },
		{ "google_organization_iam_binding", "888/organizations/888/roles/auditor",
		  "888 organizations/888/roles/auditor" },
		{ "google_cloud_run_service_iam_member",
		  "v1/projects/p/locations/l/services/s/roles/run.invoker/allUsers",
		  "v1/projects/p/locations/l/services/s roles/run.invoker allUsers" },
		{ "google_project_iam_member", "corp-prod/roles/x/principal://iam.googleapis.com/a/b",
		  "corp-prod roles/x principal://iam.googleapis.com/a/b" },
		/* Not of the shape: as they are. */
		{ "google_project_iam_member", "corp-prod/roles/viewer", "corp-prod/roles/viewer" },
		{ "google_project_iam_member", "roles/viewer/user:a@x", "roles/viewer/user:a@x" },
		{ "google_project_iam_binding", "corp-prod/roles/owner/extra", "corp-prod/roles/owner/extra" },
		{ "aws_iam_role", "corp-prod/roles/viewer/x", "corp-prod/roles/viewer/x" },
		{ "google_project_iam_policy", "corp-prod", "corp-prod" },
	};
	struct finding f;
	size_t i;
	char *s;

	memset(&f, 0, sizeof f);
	for (i = 0; i < TF_ARRLEN(cases); i++) {
		f.type = (char *)cases[i][0];
		f.resource_id = (char *)cases[i][1];
		s = finding_import_id(&f);
		is_str(s, cases[i][2], "import id of %s %s", cases[i][0], cases[i][1]);
		free(s);
	}
	f.resource_id = NULL;
	ok(finding_import_id(&f) == NULL, "no id, no import id");
}

/* finding_resolution_same: equal only when every member the JSON holds is. */
static void
test_resolution_same(void)
{
	struct resolution a, b;
	char p1[] = "s3://b/prod.tfstate", p2[] = "s3://b/prod.tfstate", bob[] = "bob",
	    bob2[] = "bob", eve[] = "eve", e1[] = "e-1";

	memset(&a, 0, sizeof a);
	a.reason = RR_ACCEPTED_IN_STATE;
	a.at_ms = 1000;
	a.state_path = p1;
	a.state_serial = 8;
	b = a;
	b.state_path = p2;      /* equal text, another copy */
	ok(finding_resolution_same(&a, &b), "the same state's resolutions are the same");
	b.state_serial = 9;
	ok(!finding_resolution_same(&a, &b), "another serial differs");
	b.state_serial = 8;
	b.at_ms = 1001;
	ok(!finding_resolution_same(&a, &b), "another time differs");
	b.at_ms = 1000;
	b.reason = RR_RESOURCE_GONE;
	ok(!finding_resolution_same(&a, &b), "another reason differs");
	b.reason = a.reason;
	b.state_path = NULL;
	ok(!finding_resolution_same(&a, &b), "a state against none differs");
	b.state_path = p2;
	b.event_id = e1;
	ok(!finding_resolution_same(&a, &b), "an event against none differs");
	b.event_id = NULL;
	a.has_actor = b.has_actor = 1;
	a.actor.name = bob;
	b.actor.name = bob2;
	ok(finding_resolution_same(&a, &b), "the same actor");
	b.actor.name = eve;
	ok(!finding_resolution_same(&a, &b), "another actor's name differs");
	b.actor.name = bob2;
	b.actor.via = a.actor.via + 1;
	ok(!finding_resolution_same(&a, &b), "another via differs");
}

/* finding_dup as the JSON round trip it stands for (the direct copy of what a detector makes
 * must read back the same, through the JSON where it cannot). */
static void
dup_agrees(struct finding *f, const char *what)
{
	json_object *o = finding_to_json(f), *p;
	struct finding *via = finding_from_json(o, NULL), *d = finding_dup(f);
	char *a, *b;

	json_object_put(o);
	ok(via != NULL && d != NULL, "%s: copied", what);
	if (via == NULL || d == NULL) {
		finding_free(via);
		finding_free(d);
		return;
	}
	o = finding_to_json(d);
	p = finding_to_json(via);
	a = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	b = xstrdup(json_object_to_json_string_ext(p, JSON_C_TO_STRING_PLAIN));
	is_str(a, b, "%s: the copy is the JSON round trip's", what);
	ok(d->event_time_ms == f->event_time_ms && d->nchanges == f->nchanges &&
	    (f->nchanges == 0 || (d->changes[0].unknown_new == f->changes[0].unknown_new &&
	    d->changes[f->nchanges - 1].sensitive == f->changes[f->nchanges - 1].sensitive)) &&
	    (f->state_lineage == NULL) == (d->state_lineage == NULL) &&
	    d->state_serial == f->state_serial && (f->event_origin == NULL) ==
	    (d->event_origin == NULL), "%s: with what the JSON does not carry", what);
	ok(d->nchanges < 2 || d->changes[1].old_val == NULL || !d->changes[1].sensitive,
	    "%s: a masked value stays masked", what);
	free(a);
	free(b);
	json_object_put(o);
	json_object_put(p);
	finding_free(via);
	finding_free(d);
}

static void
test_dup(void)
{
	struct finding *f = sample();

	dup_agrees(f, "dup");
	f->changes[0].unknown_new = 1;
	f->event_time_ms += 123;        /* ms kept */
	f->freeze_name = xstrdup("cab");
	f->freeze_start_ms = 1716800000000LL;
	f->freeze_end_ms = 1716900000000LL;
	f->state_lineage = xstrdup("lin");
	f->state_serial = 7;
	f->event_origin = xstrdup("cloudtrail.json:3");
	finding_add_change(f, "tags", NULL, json_object_new_double_s(1.50, "1.50"), CH_ADDED, 0);
	dup_agrees(f, "dup with a freeze, ms, state and a number as logged");
	finding_resolve(f, RR_REVERTED_BY_HAND, NULL, 1716900000000LL);
	dup_agrees(f, "dup of a resolved one (through the JSON)");
	finding_free(f);
	f = hostile();
	dup_agrees(f, "dup of hostile text (through the JSON, which repairs it)");
	finding_free(f);
}

int
main(void)
{
	struct finding *f = sample(), *g = sample();
	json_object *o, *ch;
	const char *js;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;
	struct finding_list l = { 0 };
	struct out_opts oo = { OUT_TEXT, 0, NULL };
	enum severity sv;
	enum out_format of;

	test_resolution();
	test_resolution_same();
	test_dup();
	test_import_id();

	is_int(strlen(f->id), 32, "finding id is 32 hex digits");
	is_str(f->id, g->id, "same event + resource + kind gives the same id");
	g->kind = FK_DELETED;
	finding_set_id(g);
	ok(strcmp(f->id, g->id) != 0, "another kind gives another id");

	ok(strstr(f->summary, "instance_type t3.micro") != NULL, "summary names the change: %s", f->summary);
	ok(strstr(f->summary, "hunter") == NULL, "summary never shows a sensitive value");

	o = finding_to_json(f);
	js = json_object_to_json_string(o);
	ok(strstr(js, "hunter") == NULL, "JSON never carries a sensitive value");
	is_str(json_object_get_string(json_object_object_get(o, "kind")), "modified", "kind");
	is_str(json_object_get_string(json_object_object_get(o, "severity")), "high", "severity");
	is_str(json_object_get_string(json_object_object_get(o, "status")), "open", "status open");
	is_str(json_object_get_string(json_object_object_get(json_object_object_get(o, "resource"), "address")),
	    "module.app.aws_instance.web[1]", "resource.address");
	is_str(json_object_get_string(json_object_object_get(json_object_object_get(o, "actor"), "via")),
	    "console", "actor.via");
	is_str(json_object_get_string(json_object_object_get(json_object_object_get(o, "event"), "time")),
	    "2024-05-27T10:00:00Z", "event.time is RFC 3339 UTC");
	ch = json_object_array_get_idx(json_object_object_get(o, "changes"), 1);
	is_str(json_object_get_string(json_object_object_get(ch, "new")), "(sensitive)", "sensitive new value masked");
	ok(json_object_get_boolean(json_object_object_get(ch, "sensitive")), "sensitive flag set");
	ok(json_object_object_get(o, "triage") == NULL, "no triage before a decision");
	json_object_put(o);

	finding_list_push(&l, f);
	fp = open_memstream(&buf, &len);
	ok(output_findings(fp, &l, &oo) == 0, "text output written");
	fclose(fp);
	ok(strstr(buf, "~ instance_type: \"t3.micro\"") != NULL, "text shows old -> new");
	ok(strstr(buf, "hunter") == NULL, "text never shows a sensitive value");
	ok(strstr(buf, "\033[") == NULL, "no colour codes when colour is off");
	ok(strstr(buf, "terraform apply -target='module.app.aws_instance.web[1]'") != NULL, "suggests a fix");
	free(buf);

	buf = NULL;
	oo.format = OUT_JSONL;
	fp = open_memstream(&buf, &len);
	output_findings(fp, &l, &oo);
	fclose(fp);
	ok(strchr(buf, '\n') == buf + strlen(buf) - 1, "jsonl: one line per finding");
	o = json_tokener_parse(buf);
	ok(o != NULL && json_object_is_type(o, json_type_object), "jsonl line parses");
	json_object_put(o);
	free(buf);

	o = findings_document(&l, 1716804000000LL);
	is_str(json_object_get_string(json_object_object_get(o, "schema")), "tfdrift.findings/v1", "document schema tag");
	is_int(json_object_array_length(json_object_object_get(o, "findings")), 1, "document holds the findings");
	json_object_put(o);

	/* The document is written finding by finding (never whole in memory), byte for byte
	 * what json-c prints for findings_document: none, one, and two findings. */
	setenv("TFDRIFT_NOW", "2024-05-27T10:00:00Z", 1);
	finding_add_change(g, "policy", json_tokener_parse("{\"Statement\":[{\"Action\":[\"s3:*\"],"
	    "\"Empty\":[],\"Obj\":{},\"Text\":\"a\\nb \\\"q\\\" /x\"}],\"N\":1.5}"),
	    json_object_new_array(), CH_MODIFIED, 0);
	{
		struct finding *two[2] = { f, g };
		struct finding_list part;
		size_t k;

		for (k = 0; k <= 2; k++) {
			char *want;

			memset(&part, 0, sizeof part);
			part.v = two;
			part.n = k;
			o = findings_document(&part, tf_now_ms());
			want = xasprintf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
			    JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(o);
			buf = NULL;
			oo.format = OUT_JSON;
			fp = open_memstream(&buf, &len);
			output_findings(fp, &part, &oo);
			fclose(fp);
			is_str(buf, want, "the streamed document with %zu finding(s) is json-c's", k);
			free(buf);
			free(want);
		}
	}
	unsetenv("TFDRIFT_NOW");

	ok(severity_parse("critical", &sv) == 0 && sv == SEV_CRITICAL, "severity_parse");
	ok(severity_parse("urgent", &sv) != 0, "severity_parse rejects unknown words");
	ok(out_format_parse("jsonl", &of) == 0 && of == OUT_JSONL, "format jsonl");
	ok(out_format_parse("xml", &of) != 0, "unknown format rejected");

	finding_list_clear(&l);
	finding_free(g);
	test_hostile();
	return done_testing();
}
