/* Unit tests for notify: the payload builders (Slack Block Kit, Falco JSON, the rate-limit
 * summary), HMAC-SHA256, the filters, the token bucket, and a notifier end to end on a
 * Falco file output (dedup) and an unreachable webhook (dead letter); resolutions (issue 15):
 * their words for every reason in Slack and Falco, outputs' on: (parsing with positions,
 * routing) and their dedup apart from the open alert, across a restart with a store. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "finding.h"
#include "notify.h"
#include "tap.h"
#include "text.h"
#include "util.h"
#include "yamlutil.h"

static struct finding *
mk_finding(enum tf_provider prov, enum severity sev)
{
	struct finding *f = xcalloc(1, sizeof *f);

	f->kind = FK_MODIFIED;
	f->severity = sev;
	f->provider = prov;
	f->address = xstrdup("aws_db_instance.main");
	f->type = xstrdup("aws_db_instance");
	f->resource_id = xstrdup("db-7KXQ2M4RZB5TNPLWJ3HVYCDE6A");
	f->state_source = xstrdup("prod.tfstate");
	f->actor.name = xstrdup("bob");
	f->actor.principal = xstrdup(prov == PROV_GCP ? "bob@corp.example" :
	    "arn:aws:iam::111122223333:user/bob");
	f->actor.type = xstrdup("IAMUser");
	f->actor.account = xstrdup("111122223333");
	f->actor.via = VIA_CLI;
	f->source_ip = xstrdup("198.51.100.23");
	f->user_agent = xstrdup("aws-cli/2.15.30");
	f->event_id = xstrdup("a3ec2ecd-3d6d-409c-b118-2dd4fd569cc9");
	f->event_name = xstrdup("ModifyDBInstance");
	f->event_source = xstrdup("rds.amazonaws.com");
	f->region = xstrdup("eu-west-1");
	f->account = xstrdup("111122223333");
	tf_parse_time("2024-05-27T09:52:33Z", &f->event_time_ms);
	finding_add_change(f, "publicly_accessible", json_object_new_boolean(0),
	    json_object_new_boolean(1), CH_MODIFIED, 0);
	finding_add_change(f, "password", json_object_new_string("pR0d-db!Zq8t1LrvE2pX7mWc"),
	    json_object_new_string("n3w-S3cret-pw"), CH_MODIFIED, 1);
	finding_summarize(f);
	finding_set_id(f);
	return f;
}

static json_object *
jpath(json_object *o, const char *a, const char *b)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(v, b, &v))
		return NULL;
	return v;
}

static const char *
jstr(json_object *o, const char *a, const char *b)
{
	json_object *v = jpath(o, a, b);

	return v != NULL ? json_object_get_string(v) : NULL;
}

static void
test_hmac(void)
{
	char hex[65];

	/* RFC 4231 test case 2. */
	notify_hmac_hex("Jefe", "what do ya want for nothing?", 28, hex);
	is_str(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "HMAC-SHA256 matches RFC 4231 test case 2");
	notify_hmac_hex("key", "", 0, hex);
	is_str(hex, "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0",
	    "HMAC of an empty body");
}

static void
test_slack(void)
{
	struct finding *f = mk_finding(PROV_AWS, SEV_HIGH);
	json_object *fj = finding_to_json(f), *p, *blocks, *rules, *r;
	char *s;
	const char *t;

	s = notify_slack_payload(fj);
	p = json_tokener_parse(s);
	ok(p != NULL, "the Slack payload is JSON");
	blocks = jpath(p, "blocks", NULL);
	ok(blocks != NULL && json_object_array_length(blocks) >= 4, "it has blocks");
	is_str(jstr(json_object_array_get_idx(blocks, 0), "type", NULL), "header",
	    "the first block is a header");
	t = jstr(json_object_array_get_idx(blocks, 0), "text", "text");
	ok(t != NULL && strstr(t, "HIGH modified aws_db_instance.main") != NULL,
	    "header: severity, kind and address (%s)", t ? t : "null");
	is_str(jstr(json_object_array_get_idx(blocks, 0), "text", "type"), "plain_text",
	    "header text is plain_text");
	t = jstr(json_object_array_get_idx(blocks, 1), "text", "text");
	ok(t != NULL && strstr(t, "`publicly_accessible`: `false` → `true`") != NULL,
	    "the diff shows old → new");
	ok(t != NULL && strstr(t, "`password`: `(sensitive)` → `(sensitive)`") != NULL,
	    "sensitive values are masked");
	ok(strstr(s, "pR0d-db") == NULL && strstr(s, "n3w-S3cret") == NULL,
	    "no sensitive value anywhere in the payload");
	ok(strstr(s, "*Actor*\\nbob via cli\\nfrom 198.51.100.23") != NULL,
	    "actor: who, via, from");
	ok(strstr(s, "*Account*\\n111122223333") != NULL && strstr(s, "*Region*\\neu-west-1") &&
	    strstr(s, "*Time*\\n2024-05-27T09:52:33Z"), "account, region, time");
	t = jstr(p, "text", NULL);
	ok(t != NULL && strncmp(t, "[HIGH] modified drift on aws_db_instance.main", 45) == 0,
	    "a plain text fallback (%s)", t ? t : "null");
	ok(strstr(s, "Runbook") == NULL, "no runbook link without rules");
	json_object_put(p);
	free(s);

	/* A matched rule with a runbook becomes a link; markup in values is escaped. */
	rules = jpath(fj, "rules", NULL);
	r = json_object_new_object();
	json_object_object_add(r, "id", json_object_new_string("aws-010"));
	json_object_object_add(r, "name", json_object_new_string("RDS <made> public"));
	json_object_object_add(r, "severity", json_object_new_string("critical"));
	json_object_object_add(r, "runbook", json_object_new_string("https://wiki.example.com/rb/rds"));
	json_object_array_add(rules, r);
	s = notify_slack_payload(fj);
	ok(strstr(s, "<https://wiki.example.com/rb/rds|Runbook>") != NULL, "runbook link");
	ok(strstr(s, "RDS &lt;made&gt; public") != NULL, "mrkdwn escaped");
	free(s);
	json_object_put(fj);
	finding_free(f);
}

static void
test_falco(void)
{
	struct finding *f = mk_finding(PROV_AWS, SEV_CRITICAL);
	json_object *fj = finding_to_json(f), *p, *of, *rules, *r;
	char *s;
	const char *t;

	s = notify_falco_payload(fj, "host1");
	p = json_tokener_parse(s);
	ok(p != NULL, "the Falco payload is JSON");
	is_str(jstr(p, "priority", NULL), "Critical", "critical → Critical");
	is_str(jstr(p, "rule", NULL), "tfdrift modified", "rule: tfdrift <kind> without rules");
	is_str(jstr(p, "time", NULL), "2024-05-27T09:52:33.000000000Z", "time: RFC 3339, ns");
	is_str(jstr(p, "source", NULL), "tfdrift", "source");
	is_str(jstr(p, "hostname", NULL), "host1", "hostname");
	t = jstr(p, "output", NULL);
	ok(t != NULL && strchr(t, '\n') == NULL && strstr(t, "aws_db_instance.main") &&
	    strstr(t, "user=bob"), "output: one line with address and user (%s)", t ? t : "");
	of = jpath(p, "output_fields", NULL);
	is_str(jstr(of, "tfdrift.address", NULL), "aws_db_instance.main", "tfdrift.address");
	is_str(jstr(of, "tfdrift.kind", NULL), "modified", "tfdrift.kind");
	is_str(jstr(of, "tfdrift.id", NULL), f->id, "tfdrift.id");
	is_str(jstr(of, "ct.user", NULL), "bob", "ct.user");
	is_str(jstr(of, "ct.name", NULL), "ModifyDBInstance", "ct.name");
	is_str(jstr(of, "ct.srcip", NULL), "198.51.100.23", "ct.srcip");
	ok(jpath(p, "tags", NULL) != NULL &&
	    json_object_array_length(jpath(p, "tags", NULL)) >= 3, "tags");
	ok(strstr(s, "pR0d-db") == NULL, "no sensitive value");
	json_object_put(p);
	free(s);

	rules = jpath(fj, "rules", NULL);
	r = json_object_new_object();
	json_object_object_add(r, "id", json_object_new_string("aws-001"));
	json_object_object_add(r, "name", json_object_new_string("low one"));
	json_object_object_add(r, "severity", json_object_new_string("low"));
	json_object_array_add(rules, r);
	r = json_object_new_object();
	json_object_object_add(r, "id", json_object_new_string("aws-010"));
	json_object_object_add(r, "name", json_object_new_string("RDS made public"));
	json_object_object_add(r, "severity", json_object_new_string("critical"));
	json_object_array_add(rules, r);
	s = notify_falco_payload(fj, NULL);
	p = json_tokener_parse(s);
	is_str(jstr(p, "rule", NULL), "RDS made public", "rule: the highest matched rule's name");
	is_str(jstr(jpath(p, "output_fields", NULL), "tfdrift.rule.id", NULL), "aws-010",
	    "its id in output_fields");
	ok(jpath(p, "hostname", NULL) == NULL, "no hostname when unknown");
	json_object_put(p);
	free(s);
	json_object_put(fj);
	finding_free(f);

	f = mk_finding(PROV_GCP, SEV_LOW);
	fj = finding_to_json(f);
	s = notify_falco_payload(fj, "h");
	p = json_tokener_parse(s);
	is_str(jstr(p, "priority", NULL), "Notice", "low → Notice");
	is_str(jstr(jpath(p, "output_fields", NULL), "gcp.user", NULL), "bob@corp.example",
	    "GCP: gcp.user");
	ok(jpath(jpath(p, "output_fields", NULL), "ct.user", NULL) == NULL, "GCP: no ct.*");
	json_object_put(p);
	free(s);
	json_object_put(fj);
	finding_free(f);

	is_str(notify_falco_priority("high"), "Error", "high → Error");
	is_str(notify_falco_priority("medium"), "Warning", "medium → Warning");
	is_str(notify_falco_priority("info"), "Informational", "info → Informational");

	s = notify_summary_payload(COUT_SLACK, "sre", 3, 2, NULL);
	ok(strstr(s, "3 more findings not sent (rate limit") != NULL, "summary text: %s", s);
	free(s);
	s = notify_summary_payload(COUT_FALCO, "sre", 1, 2, "h");
	p = json_tokener_parse(s);
	is_str(jstr(p, "rule", NULL), "tfdrift rate limit", "Falco summary rule");
	ok(jstr(p, "output", NULL) && strstr(jstr(p, "output", NULL), "1 more finding not sent"),
	    "Falco summary output, singular");
	json_object_put(p);
	free(s);
}

static void
test_filter(void)
{
	struct conf_output o;
	struct finding *f = mk_finding(PROV_AWS, SEV_MEDIUM);

	memset(&o, 0, sizeof o);
	ok(notify_filter(&o, f), "no filter: passes");
	o.min_severity = "high";
	ok(!notify_filter(&o, f), "medium < min_severity high: filtered");
	o.min_severity = "medium";
	ok(notify_filter(&o, f), "medium >= medium: passes");
	strlist_push(&o.kinds, "deleted");
	ok(!notify_filter(&o, f), "kinds [deleted]: a modified finding is filtered");
	strlist_push(&o.kinds, "modified");
	ok(notify_filter(&o, f), "kinds [deleted, modified]: passes");
	strlist_push(&o.rules, "aws-0*");
	ok(!notify_filter(&o, f), "rules set: a finding without rules is filtered");
	f->rules = xcalloc(1, sizeof *f->rules);
	f->rules[0].id = xstrdup("gcp-003");
	f->nrules = 1;
	ok(!notify_filter(&o, f), "rules [aws-0*]: gcp-003 filtered");
	free(f->rules[0].id);
	f->rules[0].id = xstrdup("aws-007");
	ok(notify_filter(&o, f), "rules [aws-0*]: aws-007 passes");
	strlist_clear(&o.kinds);
	strlist_clear(&o.rules);
	finding_free(f);
}

static void
test_bucket(void)
{
	struct notify_bucket b;
	int i, n = 0;

	notify_bucket_init(&b, 2, 1000);
	for (i = 0; i < 5; i++)
		n += notify_bucket_take(&b, 1000);
	is_int(n, 2, "2/minute: 2 of 5 at once");
	is_int(notify_bucket_take(&b, 1000 + 29000), 0, "29 s later: not yet a token");
	is_int(notify_bucket_take(&b, 1000 + 30000), 1, "30 s later: one token");
	is_int(notify_bucket_take(&b, 1000 + 30001), 0, "and only one");
	n = 0;
	for (i = 0; i < 10; i++)
		n += notify_bucket_take(&b, 1000 + 30000 + 3600000);
	is_int(n, 2, "an hour later: the bucket holds at most 2");
	notify_bucket_init(&b, 0, 0);
	n = 0;
	for (i = 0; i < 1000; i++)
		n += notify_bucket_take(&b, 0);
	is_int(n, 1000, "0: no limit");
}

static char *
slurp(const char *path)
{
	char *buf = NULL, *err = NULL;
	size_t len;

	if (tf_read_file(path, TF_FILE_DEFINITION, &buf, &len, &err) != 0) {
		free(err);
		return xstrdup("");
	}
	return buf;
}

static size_t
lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* A notifier end to end: a falco file output with dedup, and a webhook nobody answers. */
static void
test_notifier(void)
{
	char dir[] = "/tmp/tfdrift-notify-XXXXXX", *p, *s, *err = NULL;
	struct conf c;
	struct notifier *n;
	struct notify_stat *st;
	struct finding *f = mk_finding(PROV_AWS, SEV_HIGH), *low = mk_finding(PROV_AWS, SEV_LOW);
	size_t ns, left;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	conf_init(&c);
	c.outputs = xcalloc(2, sizeof *c.outputs);
	c.noutputs = 2;
	c.outputs[0].name = xstrdup("falco-file");
	c.outputs[0].type = COUT_FALCO;
	c.outputs[0].file = xasprintf("%s/falco.jsonl", dir);
	c.outputs[0].min_severity = xstrdup("medium");
	c.outputs[0].timeout_ms = 1000;
	c.outputs[0].dead_letter = xasprintf("%s/dl-falco.jsonl", dir);
	c.outputs[1].name = xstrdup("nobody");
	c.outputs[1].type = COUT_WEBHOOK;
	c.outputs[1].url = xstrdup("http://127.0.0.1:1/hook/T000/B000/secretpath");
	c.outputs[1].timeout_ms = 1000;
	c.outputs[1].retries = 0;
	c.outputs[1].dead_letter = xasprintf("%s/sub/dl-hook.jsonl", dir);
	n = notify_new_store(&c, NULL, &err);
	ok(n != NULL && notify_noutputs(n) == 2, "a notifier with two outputs");
	notify_finding(n, f);
	notify_finding(n, f);
	notify_finding(n, low);
	left = notify_drain(n, 5000, 10000);
	notify_stats(n, &st, &ns);
	is_int(ns, 2, "stats for each output");
	is_int(st[0].sent, 1, "falco file: the finding sent once");
	is_int(st[0].deduped, 1, "and deduped once");
	is_int(st[0].filtered, 1, "the low one filtered by min_severity");
	p = xasprintf("%s/falco.jsonl", dir);
	s = slurp(p);
	is_int(lines(s), 1, "one JSON line in the file");
	ok(strstr(s, "\"priority\":\"Error\"") != NULL, "a Falco line");
	free(s);
	free(p);
	is_int(st[1].sent, 0, "the unreachable webhook sent nothing");
	is_int(st[1].failed, 3, "three failed (no filter; the same finding twice is not deduped "
	    "when it was never sent)");
	is_int(st[1].dead_lettered, 3, "all in the dead-letter file");
	ok(st[1].last_error != NULL && strstr(st[1].last_error, "127.0.0.1:1/REDACTED") &&
	    strstr(st[1].last_error, "secretpath") == NULL,
	    "the error names the host, not the secret path: %s", st[1].last_error);
	is_int(left, 3, "notify_drain counts what was not delivered");
	p = xasprintf("%s/sub/dl-hook.jsonl", dir);
	s = slurp(p);
	is_int(lines(s), 3, "dead-letter lines");
	ok(strstr(s, "\"output\":\"nobody\"") && strstr(s, "\"error\":") &&
	    strstr(s, f->id) && strstr(s, "secretpath") == NULL,
	    "a dead letter: output, error, the finding, no secret");
	free(s);
	free(p);
	notify_stats_free(st, ns);
	notify_free(n);
	conf_free(&c);
	finding_free(f);
	finding_free(low);
	p = xasprintf("rm -rf '%s'", dir);
	if (system(p) != 0)
		diag("could not remove %s", dir);
	free(p);
}

/* Payloads are valid UTF-8 with every control escaped, whatever the finding's JSON holds
 * (one read back from an old store may hold anything), and a value cut at 200 bytes is
 * never cut inside a character. */
static void
test_hostile_payloads(void)
{
	struct finding *f = mk_finding(PROV_AWS, SEV_HIGH);
	json_object *fj = finding_to_json(f), *ch;
	struct strbuf v;
	char *s[2];
	int i, j;

	json_object_object_add(json_object_object_get(fj, "actor"), "name",
	    json_object_new_string("bob\xff\xc2\x9b" "2J\x1b[31m\xe2\x80\xae\x7f"));
	sb_init(&v);
	for (i = 0; i < 199; i++)
		sb_addc(&v, 'x');
	sb_adds(&v, "\xc3\xa9\xc3\xa9");       /* é straddles byte 200 */
	ch = json_object_array_get_idx(json_object_object_get(fj, "changes"), 0);
	json_object_object_add(ch, "new", json_object_new_string(v.buf));
	sb_free(&v);
	s[0] = notify_slack_payload(fj);
	s[1] = notify_falco_payload(fj, "h\x9b");
	for (j = 0; j < 2; j++) {
		const unsigned char *p = (const unsigned char *)s[j];
		int ctl = 0;

		ok(text_utf8_ok(s[j], strlen(s[j])), "%s payload: valid UTF-8", j ? "falco" : "slack");
		for (i = 0; p[i] != '\0'; i++)
			if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 && p[i + 1] >= 0x80 &&
			    p[i + 1] <= 0x9f) || (p[i] == 0xe2 && p[i + 1] == 0x80 && p[i + 2] == 0xae))
				ctl++;
		is_int(ctl, 0, "%s payload: no control character", j ? "falco" : "slack");
		free(s[j]);
	}
	s[0] = notify_slack_payload(fj);
	ok(strstr(s[0], "xxx\xc3\xa9\xe2\x80\xa6") != NULL, "slack: a value cut at 200 bytes "
	    "keeps its last character whole");
	free(s[0]);
	json_object_put(fj);
	finding_free(f);
}


/* ---- resolutions ---- */

/* The event that resolves: who, what, when (RFC 3339). */
static void
mk_event(struct event *ev, const char *id, const char *name, const char *who,
    const char *principal, const char *when)
{
	memset(ev, 0, sizeof *ev);
	ev->provider = PROV_AWS;
	ev->id = xstrdup(id);
	ev->name = xstrdup(name);
	ev->actor.name = xstrdup(who);
	ev->actor.principal = xstrdup(principal);
	ev->actor.type = xstrdup("AssumedRole");
	ev->actor.account = xstrdup("111122223333");
	ev->actor.via = VIA_CONSOLE;
	tf_parse_time(when, &ev->time_ms);
}

static void
clear_event(struct event *ev)
{
	free(ev->id);
	free(ev->name);
	free(ev->actor.name);
	free(ev->actor.principal);
	free(ev->actor.type);
	free(ev->actor.account);
}

/* f resolved for reason why: by an event (ev) or by a newer state read at `when`. */
static struct finding *
mk_resolved(enum resolution_reason why, const struct event *ev, const char *when)
{
	struct finding *f = mk_finding(PROV_AWS, SEV_HIGH);
	int64_t at = 0;

	if (when != NULL)
		tf_parse_time(when, &at);
	finding_resolve(f, why, ev, at);
	return f;
}

static char *
line_of(const struct finding *f)
{
	json_object *fj = finding_to_json(f);
	char *l = notify_resolution_line(fj);

	json_object_put(fj);
	return l;
}

static size_t
utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Every reason in words: what resolved it, who, through which event, when. */
static void
test_resolution_words(void)
{
	struct event hand, tf, del;
	struct finding *f;
	json_object *fj;
	char *l;

	mk_event(&hand, "5b1c0d9e-aaaa-4bbb-8ccc-000000000001", "ModifyDBInstance",
	    "alice@corp.example", "arn:aws:sts::111122223333:assumed-role/SSO/alice@corp.example",
	    "2024-05-27T10:14:02Z");
	mk_event(&tf, "5b1c0d9e-aaaa-4bbb-8ccc-000000000002", "ModifyDBInstance", "terraform-ci",
	    "arn:aws:sts::111122223333:assumed-role/terraform-ci/gha-run-1234",
	    "2024-05-27T10:31:40Z");
	mk_event(&del, "5b1c0d9e-aaaa-4bbb-8ccc-000000000003", "DeleteDBInstance", "terraform-ci",
	    "arn:aws:sts::111122223333:assumed-role/terraform-ci/gha-run-1234",
	    "2024-05-28T07:02:00Z");

	f = mk_finding(PROV_AWS, SEV_HIGH);
	fj = finding_to_json(f);
	ok(!notify_is_resolution(fj), "an open finding is no resolution");
	json_object_put(fj);
	finding_free(f);

	f = mk_resolved(RR_REVERTED_BY_HAND, &hand, NULL);
	fj = finding_to_json(f);
	ok(notify_is_resolution(fj), "a resolved finding is a resolution");
	json_object_put(fj);
	l = line_of(f);
	is_str(l, "Resolved: aws_db_instance.main publicly_accessible, password — reverted by hand "
	    "by alice@corp.example (ModifyDBInstance, 10:14 UTC)", "reverted_by_hand: who, event, time");
	free(l);
	finding_free(f);

	f = mk_resolved(RR_REVERTED_BY_TERRAFORM, &tf, NULL);
	l = line_of(f);
	is_str(l, "Resolved: aws_db_instance.main publicly_accessible, password — reverted by "
	    "Terraform as terraform-ci (ModifyDBInstance, 10:31 UTC)",
	    "reverted_by_terraform: the pipeline's actor");
	free(l);
	finding_free(f);

	f = mk_resolved(RR_ACCEPTED_IN_STATE, NULL, "2024-05-27T11:00:00Z");
	l = line_of(f);
	is_str(l, "Resolved: aws_db_instance.main publicly_accessible, password — accepted in "
	    "state (newer state, 11:00 UTC)", "accepted_in_state: no actor, the state's time");
	free(l);
	finding_free(f);

	f = mk_resolved(RR_RESOURCE_GONE, &del, NULL);
	l = line_of(f);
	is_str(l, "Resolved: aws_db_instance.main publicly_accessible, password — resource gone "
	    "(deleted by terraform-ci, DeleteDBInstance, 2024-05-28 07:02 UTC)",
	    "resource_gone by an event: who deleted it; another day shows the date");
	free(l);
	finding_free(f);

	f = mk_resolved(RR_RESOURCE_GONE, NULL, "2024-05-27T12:00:00Z");
	l = line_of(f);
	is_str(l, "Resolved: aws_db_instance.main publicly_accessible, password — resource gone "
	    "(not in the newer state, 12:00 UTC)", "resource_gone by a state");
	free(l);
	finding_free(f);

	/* An unmanaged resource: type and id; more than three attributes: "+N more". */
	f = mk_resolved(RR_REVERTED_BY_HAND, &hand, NULL);
	free(f->address);
	f->address = NULL;
	finding_add_change(f, "a", NULL, json_object_new_int(1), CH_ADDED, 0);
	finding_add_change(f, "b", NULL, json_object_new_int(2), CH_ADDED, 0);
	l = line_of(f);
	is_str(l, "Resolved: aws_db_instance db-7KXQ2M4RZB5TNPLWJ3HVYCDE6A publicly_accessible, "
	    "password, a +1 more — reverted by hand by alice@corp.example (ModifyDBInstance, "
	    "10:14 UTC)", "unmanaged: type and id; +N more attributes");
	free(l);
	finding_free(f);

	clear_event(&hand);
	clear_event(&tf);
	clear_event(&del);
}

/* The Slack and Falco messages of a resolution. */
static void
test_resolution_payloads(void)
{
	static const enum resolution_reason reasons[] = { RR_REVERTED_BY_TERRAFORM,
		RR_REVERTED_BY_HAND, RR_ACCEPTED_IN_STATE, RR_RESOURCE_GONE };
	struct event hand;
	struct finding *f;
	json_object *fj, *p, *blocks, *of;
	const char *t;
	char *s, *l;
	size_t i;

	mk_event(&hand, "5b1c0d9e-aaaa-4bbb-8ccc-000000000001", "ModifyDBInstance",
	    "alice@corp.example", "arn:aws:sts::111122223333:assumed-role/SSO/alice@corp.example",
	    "2024-05-27T10:14:02Z");
	f = mk_resolved(RR_REVERTED_BY_HAND, &hand, NULL);
	fj = finding_to_json(f);
	s = notify_slack_payload(fj);
	p = json_tokener_parse(s);
	ok(p != NULL, "Slack resolution: JSON");
	blocks = jpath(p, "blocks", NULL);
	ok(blocks != NULL && json_object_array_length(blocks) == 5, "header, resolution, drift, "
	    "fields, context");
	t = jstr(json_object_array_get_idx(blocks, 0), "text", "text");
	is_str(t, ":white_check_mark: RESOLVED HIGH modified aws_db_instance.main",
	    "header: RESOLVED, severity, kind, address");
	t = jstr(json_object_array_get_idx(blocks, 1), "text", "text");
	is_str(t, "*Resolved:* reverted by hand by *alice@corp.example* (ModifyDBInstance, "
	    "10:14 UTC)", "what resolved it and who (mrkdwn)");
	t = jstr(json_object_array_get_idx(blocks, 2), "text", "text");
	ok(t != NULL && strstr(t, "*Drift that was*") &&
	    strstr(t, "`publicly_accessible`: `false` → `true`") &&
	    strstr(t, "`password`: `(sensitive)` → `(sensitive)`"), "the drift that was, masked");
	ok(strstr(s, "pR0d-db") == NULL && strstr(s, "n3w-S3cret") == NULL,
	    "no sensitive value anywhere in the resolution");
	ok(strstr(s, "*Reason*\\nreverted_by_hand") && strstr(s, "*Resolved by*\\n"
	    "alice@corp.example via console\\n`arn:aws:sts::111122223333:assumed-role/SSO/"
	    "alice@corp.example`") && strstr(s, "*Resolved through*\\nModifyDBInstance\\n"
	    "`5b1c0d9e-aaaa-4bbb-8ccc-000000000001`") &&
	    strstr(s, "*Resolved at*\\n2024-05-27T10:14:02Z") &&
	    strstr(s, "*Drift by*\\nbob via cli\\nModifyDBInstance") &&
	    strstr(s, "*Drifted at*\\n2024-05-27T09:52:33Z"), "fields: reason, resolver, event, "
	    "times, the drift's actor");
	l = notify_resolution_line(fj);
	is_str(jstr(p, "text", NULL), l, "the plain fallback is the one line");
	free(l);
	ok(strstr(s, "tfdrift finding `") && strstr(s, "` resolved"), "context: the finding id");
	json_object_put(p);
	free(s);

	s = notify_falco_payload(fj, "host1");
	p = json_tokener_parse(s);
	of = jpath(p, "output_fields", NULL);
	is_str(jstr(p, "rule", NULL), "tfdrift drift resolved", "Falco: a rule of its own");
	is_str(jstr(p, "priority", NULL), "Error", "Falco: the finding's priority (high → Error)");
	is_str(jstr(p, "time", NULL), "2024-05-27T10:14:02.000000000Z", "Falco: the resolution's time");
	t = jstr(p, "output", NULL);
	ok(t != NULL && strncmp(t, "Resolved: aws_db_instance.main", 30) == 0 &&
	    strstr(t, "reason=reverted_by_hand") && strchr(t, '\n') == NULL,
	    "Falco output: the line, one line (%s)", t ? t : "");
	is_str(jstr(of, "tfdrift.status", NULL), "resolved", "tfdrift.status");
	is_str(jstr(of, "tfdrift.resolution.reason", NULL), "reverted_by_hand", "reason field");
	is_str(jstr(of, "tfdrift.resolution.actor", NULL), "alice@corp.example", "actor field");
	is_str(jstr(of, "tfdrift.resolution.event.name", NULL), "ModifyDBInstance", "event field");
	is_str(jstr(of, "ct.name", NULL), "ModifyDBInstance", "ct.name: the resolving event");
	is_str(jstr(of, "ct.user", NULL), "alice@corp.example", "ct.user: who resolved it");
	is_str(jstr(of, "tfdrift.drift.actor", NULL), "bob", "the drift's actor kept apart");
	is_str(json_object_to_json_string(jpath(p, "tags", NULL)),
	    "[ \"tfdrift\", \"resolved\", \"reverted_by_hand\", \"modified\", \"aws\" ]", "tags");
	ok(strstr(s, "pR0d-db") == NULL, "Falco: no sensitive value");
	json_object_put(p);
	free(s);
	json_object_put(fj);
	finding_free(f);

	/* A hostile resolver name (a log may hold anything): valid UTF-8, no control left. */
	f = mk_resolved(RR_REVERTED_BY_HAND, &hand, NULL);
	fj = finding_to_json(f);
	json_object_object_add(json_object_object_get(json_object_object_get(fj, "resolution"),
	    "actor"), "name", json_object_new_string("eve\xff\xc2\x9b" "2J\x1b[31m\n\xe2\x80\xae"));
	for (i = 0; i < 3; i++) {
		const unsigned char *u;
		int ctl = 0;

		s = i == 0 ? notify_slack_payload(fj) : i == 1 ? notify_falco_payload(fj, "h") :
		    notify_resolution_line(fj);
		ok(text_utf8_ok(s, strlen(s)), "hostile resolver, %s: valid UTF-8",
		    i == 0 ? "slack" : i == 1 ? "falco" : "line");
		for (u = (const unsigned char *)s; i < 2 && *u; u++)
			if (*u < 0x20 || *u == 0x7f || (u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f) ||
			    (u[0] == 0xe2 && u[1] == 0x80 && u[2] == 0xae))
				ctl++;
		is_int(ctl, 0, "hostile resolver, %s: no control character",
		    i == 0 ? "slack" : i == 1 ? "falco" : "line");
		free(s);
	}
	json_object_put(fj);
	finding_free(f);

	/* Slack's header holds 150 characters, whatever the address. */
	f = mk_resolved(RR_REVERTED_BY_HAND, &hand, NULL);
	f->kind = FK_FREEZE_VIOLATION;
	f->severity = SEV_CRITICAL;
	free(f->address);
	f->address = xstrdup("module.a_very_long_module_name.module.another_long_module_name."
	    "aws_security_group_rule.allow_everything_from_everywhere[\"ingress-443-tcp\"]");
	fj = finding_to_json(f);
	s = notify_slack_payload(fj);
	p = json_tokener_parse(s);
	t = jstr(json_object_array_get_idx(jpath(p, "blocks", NULL), 0), "text", "text");
	ok(t != NULL && text_utf8_ok(t, strlen(t)) && utf8_chars(t) <= 150,
	    "a long address: the header stays within 150 characters (%zu)", t ? utf8_chars(t) : 0);
	json_object_put(p);
	free(s);
	json_object_put(fj);
	finding_free(f);

	/* Every reason makes a Slack message that says it, and a Falco line with it. */
	for (i = 0; i < TF_ARRLEN(reasons); i++) {
		static const char *const words[] = { "reverted by Terraform as *alice@corp.example*",
			"reverted by hand by *alice@corp.example*", "accepted in state (newer state, ",
			"resource gone (not in the newer state, " };
		int by_event = reasons[i] == RR_REVERTED_BY_TERRAFORM ||
		    reasons[i] == RR_REVERTED_BY_HAND;

		f = mk_resolved(reasons[i], by_event ? &hand : NULL, "2024-05-27T11:00:00Z");
		fj = finding_to_json(f);
		s = notify_slack_payload(fj);
		p = json_tokener_parse(s);
		t = jstr(json_object_array_get_idx(jpath(p, "blocks", NULL), 1), "text", "text");
		ok(t != NULL && strstr(t, words[i]) != NULL, "Slack, %s: '%s' in %s",
		    resolution_reason_name(reasons[i]), words[i], t ? t : "null");
		ok(by_event || strstr(s, "- (a newer state)") != NULL,
		    "Slack, %s: resolved by a state, no actor", resolution_reason_name(reasons[i]));
		json_object_put(p);
		free(s);
		s = notify_falco_payload(fj, NULL);
		p = json_tokener_parse(s);
		is_str(jstr(jpath(p, "output_fields", NULL), "tfdrift.resolution.reason", NULL),
		    resolution_reason_name(reasons[i]), "Falco, %s: the reason",
		    resolution_reason_name(reasons[i]));
		ok(by_event == (jpath(jpath(p, "output_fields", NULL), "ct.name", NULL) != NULL),
		    "Falco, %s: ct.* only for an event", resolution_reason_name(reasons[i]));
		json_object_put(p);
		free(s);
		json_object_put(fj);
		finding_free(f);
	}
	/* A state that accepted it is named: Slack says which, Falco has its path. */
	f = mk_resolved(RR_ACCEPTED_IN_STATE, NULL, "2024-05-27T11:00:00Z");
	f->resolution->state_path = xstrdup("s3://corp-tf/prod.tfstate");
	f->resolution->state_serial = 43;
	fj = finding_to_json(f);
	s = notify_slack_payload(fj);
	ok(strstr(s, "the state `s3://corp-tf/prod.tfstate` serial 43") != NULL,
	    "Slack: resolved through the state, path and serial");
	free(s);
	s = notify_falco_payload(fj, NULL);
	p = json_tokener_parse(s);
	is_str(jstr(jpath(p, "output_fields", NULL), "tfdrift.resolution.state", NULL),
	    "s3://corp-tf/prod.tfstate", "Falco: tfdrift.resolution.state");
	json_object_put(p);
	free(s);
	json_object_put(fj);
	finding_free(f);
	clear_event(&hand);
}

/* outputs[].on: parsed, printed back, and wrong ones refused with their positions. */
static void
test_on_config(void)
{
	static const struct {
		const char *yaml, *want, *what;
	} bad[] = {
		{ "outputs:\n  - name: a\n    type: falco\n    file: x\n    on: [open, reslved]\n",
		  "t.yaml:5:16: outputs item 1: on: unknown value 'reslved' (did you mean "
		  "'resolved'?)", "an unknown word, near miss" },
		{ "outputs:\n  - name: a\n    type: falco\n    file: x\n    on: []\n",
		  "t.yaml:5:9: outputs item 1: on is empty: list what the output is sent, [open], "
		  "[resolved] or [open, resolved] (leave on: out for [open])", "an empty list" },
		{ "outputs:\n  - name: a\n    type: falco\n    file: x\n    on:\n",
		  "t.yaml:5:8: outputs item 1: on is empty: list what the output is sent, [open], "
		  "[resolved] or [open, resolved] (leave on: out for [open])", "no value" },
		{ "outputs:\n  - name: a\n    type: falco\n    file: x\n    on: resolved\n",
		  "t.yaml:5:9: outputs item 1: on must be a list of strings, not a single value (write "
		  "[a, b] or one '- item' per line)", "a scalar" },
		{ "outputs:\n  - name: a\n    type: falco\n    file: x\n  - name: b\n"
		  "    type: falco\n    file: y\n    on:\n      - open\n      - [resolved]\n",
		  "t.yaml:10:9: outputs item 2: on: item 2 must be a string, not a list",
		  "the second output, a nested list" },
	};
	struct conf c;
	char **errs = NULL, *dump = NULL;
	size_t nerrs = 0, i, len = 0;
	FILE *fp;
	const char *good = "outputs:\n  - name: a\n    type: falco\n    file: x\n"
	    "  - name: b\n    type: falco\n    file: y\n    on: [resolved, open, resolved]\n"
	    "  - name: c\n    type: falco\n    file: z\n    on:\n      - resolved\n";

	conf_init(&c);
	is_int(conf_load_mem(&c, "t.yaml", good, strlen(good), &errs, &nerrs), 0, "on: loads");
	is_int(nerrs, 0, "no errors");
	ok(c.noutputs == 3 && c.outputs[0].on == CONF_ON_OPEN &&
	    c.outputs[1].on == (CONF_ON_OPEN | CONF_ON_RESOLVED) &&
	    c.outputs[2].on == CONF_ON_RESOLVED, "default [open]; both; resolved only");
	fp = open_memstream(&dump, &len);
	conf_dump(&c, fp);
	fclose(fp);
	ok(strstr(dump, "    file: \"") != NULL, "dump has the outputs");
	ok(strstr(dump, "  - name: \"a\"\n    type: falco\n") && strstr(dump, "    on: [open]\n") &&
	    strstr(dump, "    on: [open, resolved]\n") && strstr(dump, "    on: [resolved]\n"),
	    "config check prints on: back, in one order");
	free(dump);
	conf_free(&c);
	yerrs_free(errs, nerrs);

	for (i = 0; i < TF_ARRLEN(bad); i++) {
		errs = NULL;
		nerrs = 0;
		conf_init(&c);
		is_int(conf_load_mem(&c, "t.yaml", bad[i].yaml, strlen(bad[i].yaml), &errs, &nerrs),
		    -1, "refused: %s", bad[i].what);
		is_int(nerrs, 1, "%s: one error", bad[i].what);
		is_str(nerrs > 0 ? errs[0] : NULL, bad[i].want, "%s: file:line:col and what",
		    bad[i].what);
		is_int(c.noutputs, 0, "%s: no output configured", bad[i].what);
		yerrs_free(errs, nerrs);
		conf_free(&c);
	}
}

/* Routing by on: and dedup of resolutions apart from alerts, across a restart (store). */
static void
test_resolution_notifier(void)
{
	char dir[] = "/tmp/tfdrift-notify-res-XXXXXX", *p, *s, *db, *err = NULL;
	static const unsigned on[] = { CONF_ON_OPEN, CONF_ON_OPEN | CONF_ON_RESOLVED,
		CONF_ON_RESOLVED, CONF_ON_OPEN | CONF_ON_RESOLVED, CONF_ON_OPEN | CONF_ON_RESOLVED };
	static const char *const names[] = { "open-only", "both", "resolved-only", "critical",
		"limited" };
	struct event hand;
	struct conf c;
	struct notifier *n;
	struct notify_stat *st;
	struct finding *f, *r;
	size_t ns, i, run;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	mk_event(&hand, "5b1c0d9e-aaaa-4bbb-8ccc-000000000001", "ModifyDBInstance",
	    "alice@corp.example", "arn:aws:sts::111122223333:assumed-role/SSO/alice@corp.example",
	    "2024-05-27T10:14:02Z");
	f = mk_finding(PROV_AWS, SEV_HIGH);
	r = mk_resolved(RR_REVERTED_BY_HAND, &hand, NULL);
	ok(strcmp(f->id, r->id) == 0, "the resolution has the finding's id");
	conf_init(&c);
	c.outputs = xcalloc(TF_ARRLEN(names), sizeof *c.outputs);
	c.noutputs = TF_ARRLEN(names);
	for (i = 0; i < TF_ARRLEN(names); i++) {
		c.outputs[i].name = xstrdup(names[i]);
		c.outputs[i].type = COUT_FALCO;
		c.outputs[i].file = xasprintf("%s/%s.jsonl", dir, names[i]);
		c.outputs[i].on = on[i];
		c.outputs[i].timeout_ms = 1000;
		c.outputs[i].dead_letter = xasprintf("%s/dl-%s.jsonl", dir, names[i]);
	}
	c.outputs[3].min_severity = xstrdup("critical");
	c.outputs[4].rate_limit = 1;
	db = xasprintf("%s/store.db", dir);
	/* Run 1: the alert, its resolution, the resolution again. Run 2 (a restart on the same
	 * store): all of it again, nothing sent. */
	for (run = 0; run < 2; run++) {
		n = notify_new_store(&c, db, &err);
		ok(n != NULL, "run %zu: a notifier", run + 1);
		notify_finding(n, f);
		notify_finding(n, r);
		notify_finding(n, r);
		is_int(notify_drain(n, 5000, 10000), 0, "run %zu: nothing undelivered", run + 1);
		notify_stats(n, &st, &ns);
		if (run == 0) {
			is_int(st[0].sent, 1, "on [open]: the alert only");
			is_int(st[0].filtered, 2, "on [open]: the resolutions are not for it");
			is_int(st[1].sent, 2, "on [open, resolved]: the alert and the resolution");
			is_int(st[1].sent_resolutions, 1, "one of them a resolution (counted apart)");
			is_int(st[0].sent_resolutions, 0, "on [open]: no resolution");
			is_int(st[1].deduped, 1, "on [open, resolved]: the resolution seen twice, sent once");
			is_int(st[2].sent, 1, "on [resolved]: the resolution only");
			is_int(st[2].deduped, 1, "on [resolved]: sent once");
			is_int(st[3].sent, 0, "min_severity critical: a high resolution is filtered too");
			is_int(st[3].filtered, 3, "all three filtered");
			is_int(st[4].sent, 1, "rate_limit 1/minute: the alert sent");
			is_int(st[4].rate_limited, 2, "and the resolution over the limit (twice)");
			is_int(st[4].summaries, 1, "one summary for it");
		} else {
			is_int(st[0].sent + st[1].sent + st[2].sent, 0, "after a restart: nothing sent again");
			is_int(st[1].deduped, 3, "the store remembers the alert and the resolution apart");
			is_int(st[2].deduped, 2, "and the resolution alone");
			is_int(st[4].sent, 1, "a resolution the rate limit held back is sent later "
			    "(as an alert would be)");
			is_int(st[4].deduped, 2, "once: the alert and the second one deduped");
		}
		ok(st[1].last_error == NULL, "no error (%s)", st[1].last_error ? st[1].last_error : "");
		notify_stats_free(st, ns);
		notify_free(n);
	}
	p = xasprintf("%s/both.jsonl", dir);
	s = slurp(p);
	is_int(lines(s), 2, "both: two lines");
	ok(strstr(s, "\"rule\":\"tfdrift modified\"") != NULL &&
	    strstr(s, "\"rule\":\"tfdrift drift resolved\"") != NULL &&
	    strstr(s, "tfdrift modified") < strstr(s, "tfdrift drift resolved"),
	    "the alert, then its resolution");
	free(s);
	free(p);
	p = xasprintf("%s/resolved-only.jsonl", dir);
	s = slurp(p);
	ok(lines(s) == 1 && strstr(s, "reverted by hand by alice@corp.example"),
	    "resolved-only: one line, the resolution");
	free(s);
	free(p);
	conf_free(&c);
	finding_free(f);
	finding_free(r);
	clear_event(&hand);
	free(db);
	p = xasprintf("rm -rf '%s'", dir);
	if (system(p) != 0)
		diag("could not remove %s", dir);
	free(p);
}

int
main(void)
{
	test_hmac();
	test_hostile_payloads();
	test_slack();
	test_falco();
	test_filter();
	test_bucket();
	test_notifier();
	test_resolution_words();
	test_resolution_payloads();
	test_on_config();
	test_resolution_notifier();
	return done_testing();
}
