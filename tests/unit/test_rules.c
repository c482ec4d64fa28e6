/* Unit tests for the rule engine: every operator, filters, paths, errors with positions. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "util.h"
#include "yamlutil.h"
#include "tap.h"

static char **errs;
static size_t nerrs;

static struct rules *
load(const char *yaml)
{
	struct rules *r = rules_new();

	yerrs_free(errs, nerrs);
	errs = NULL;
	nerrs = 0;
	rules_load_mem(r, "t.yaml", yaml, strlen(yaml), &errs, &nerrs);
	rules_finish(r);
	return r;
}

/* Is some error exactly this message? */
static int
has_err(const char *want)
{
	size_t i;

	for (i = 0; i < nerrs; i++)
		if (strstr(errs[i], want) != NULL)
			return 1;
	for (i = 0; i < nerrs; i++)
		diag("error: %s", errs[i]);
	return 0;
}

static struct finding *
mk(const char *type, enum finding_kind kind)
{
	struct finding *f = xcalloc(1, sizeof *f);

	f->type = xstrdup(type);
	f->kind = kind;
	f->severity = SEV_MEDIUM;
	f->provider = PROV_AWS;
	return f;
}

static void
chg(struct finding *f, const char *attr, const char *old_json, const char *new_json)
{
	json_object *o = old_json ? json_tokener_parse(old_json) : NULL;
	json_object *n = new_json ? json_tokener_parse(new_json) : NULL;

	finding_add_change(f, attr, o, n, o == NULL ? CH_ADDED : n == NULL ? CH_REMOVED :
	    CH_MODIFIED, 0);
}

/* One rule "r" of type aws_x with one condition; does the finding match? */
static int
match1(const char *cond, struct finding *f)
{
	char *y = xasprintf("rules:\n  - id: r\n    resource_types: [aws_x]\n    severity: high\n"
	    "    conditions:\n      - %s\n", cond);
	struct rules *r = load(y);
	size_t n;

	free(y);
	if (nerrs > 0) {
		diag("%s: %s", cond, errs[0]);
		rules_unref(r);
		return -1;
	}
	n = rules_apply(r, f, NULL, NULL);
	rules_unref(r);
	return (int)n;
}

static void
reset_rules(struct finding *f)
{
	size_t i;

	for (i = 0; i < f->nrules; i++) {
		free(f->rules[i].id);
		free(f->rules[i].name);
		for (size_t j = 0; j < f->rules[i].nremediation; j++)
			free(f->rules[i].remediation[j]);
		free(f->rules[i].remediation);
		free(f->rules[i].runbook);
	}
	free(f->rules);
	f->rules = NULL;
	f->nrules = 0;
	f->severity = SEV_MEDIUM;
}

#define M(cond, f, want, msg) do { reset_rules(f); is_int(match1(cond, f), want, msg); } while (0)

static void
test_operators(void)
{
	struct finding *f = mk("aws_x", FK_MODIFIED);

	chg(f, "disable_api_termination", "true", "false");
	chg(f, "ingress", NULL, "[\"tcp 22-22 0.0.0.0/0\",\"tcp 80-80 10.0.0.0/8\"]");
	chg(f, "tags", "{\"Environment\":\"staging\",\"Team\":\"a\"}",
	    "{\"Environment\":\"production\",\"Team\":\"a\"}");
	chg(f, "source_ranges", "[\"10.0.0.0/8\"]", "[\"10.0.0.0/8\",\"::/0\"]");
	chg(f, "instance_type", "\"t3.micro\"", "\"t3.large\"");
	chg(f, "count", "2", "3");
	chg(f, "policy", NULL, "{\"Statement\":[{\"Principal\":{\"AWS\":\"*\"}}]}");

	M("{attribute: disable_api_termination, operator: changed}", f, 1, "changed");
	M("{attribute: disable_api_termination, operator: changed, from: true, to: false}", f, 1,
	    "changed from/to (booleans)");
	M("{attribute: disable_api_termination, operator: changed, from: false}", f, 0,
	    "changed with the wrong from");
	M("{attribute: missing, operator: changed}", f, 0, "changed: another attribute");
	M("{attribute: tags.Environment, operator: changed, to: production}", f, 1,
	    "changed into a map key (path split)");
	M("{attribute: tags.Team, operator: changed}", f, 0, "an unchanged key of a changed map");
	M("{attribute: tags, operator: changed}", f, 1, "the whole map");
	M("{attribute: count, operator: changed, from: 2, to: 3}", f, 1, "numbers");
	M("{attribute: ingress, operator: added}", f, 1, "added");
	M("{attribute: ingress, operator: added, value: \"tcp 22-22 *\"}", f, 1, "added with a glob");
	M("{attribute: ingress, operator: added, value: \"udp*\"}", f, 0, "added: no such member");
	M("{attribute: source_ranges, operator: added, value: \"::/0\"}", f, 1,
	    "added: a member new in a modified set");
	M("{attribute: source_ranges, operator: removed}", f, 0, "removed: nothing removed");
	M("{attribute: ingress, operator: cidr_open}", f, 1, "cidr_open on sg rule strings");
	M("{attribute: source_ranges, operator: cidr_open}", f, 1, "cidr_open on ::/0");
	M("{attribute: instance_type, operator: equals, value: t3.large}", f, 1, "equals new value");
	M("{attribute: instance_type, operator: equals, value: t3.micro}", f, 0, "equals old value");
	M("{attribute: instance_type, operator: not_equals, value: t3.micro}", f, 1, "not_equals");
	M("{attribute: instance_type, operator: contains, value: large}", f, 1, "contains substring");
	M("{attribute: policy, operator: contains, value: \"*\"}", f, 1, "contains deep in a policy");
	M("{attribute: instance_type, operator: matches, value: \"t3.*\"}", f, 1, "matches glob");
	M("{attribute: instance_type, operator: matches, value: \"m5.*\"}", f, 0, "matches: no");
	M("{attribute: instance_type, operator: in, value: [t3.large, t3.xlarge]}", f, 1, "in");
	M("{attribute: instance_type, operator: in, value: [m5.large]}", f, 0, "in: no");
	M("{attribute: \"disable_*\", operator: changed, to: false}", f, 1, "glob attribute");
	M("{field: kind, operator: equals, value: modified}", f, 1, "field kind");
	M("{field: provider, operator: equals, value: aws}", f, 1, "field provider");
	finding_free(f);

	f = mk("aws_x", FK_MODIFIED);
	chg(f, "ingress", "[\"tcp 22-22 0.0.0.0/0\"]", "[\"tcp 22-22 0.0.0.0/0\",\"tcp 80-80 10.1.0.0/16\"]");
	chg(f, "members", "[\"a\",\"b\"]", "[\"a\"]");
	M("{attribute: ingress, operator: cidr_open}", f, 0, "cidr_open: it was open already");
	M("{attribute: members, operator: removed, value: b}", f, 1, "removed a member");
	finding_free(f);
}

static void
test_subjects(void)
{
	struct finding *f = mk("aws_x", FK_MODIFIED);
	struct tf_state *st = NULL;
	char *err = NULL;
	const char *state = "{\"version\":4,\"serial\":1,\"lineage\":\"l\",\"resources\":[{\"mode\":\"managed\","
	    "\"type\":\"aws_x\",\"name\":\"a\",\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/aws\\\"]\","
	    "\"instances\":[{\"attributes\":{\"id\":\"i-1\",\"tags\":{\"Environment\":\"production\"},"
	    "\"ingress\":[{\"cidr_blocks\":[\"0.0.0.0/0\"]}]}}]}]}";

	f->actor.type = xstrdup("AssumedRole");
	f->actor.name = xstrdup("alice@corp.example");
	f->actor.principal = xstrdup("arn:aws:sts::1:assumed-role/admin/alice@corp.example");
	f->actor.via = VIA_CONSOLE;
	f->account = xstrdup("111122223333");
	f->region = xstrdup("eu-west-1");
	f->event_name = xstrdup("ModifyInstanceAttribute");
	chg(f, "instance_type", "\"a\"", "\"b\"");
	ok(tfstate_parse(state, strlen(state), "s", &st, &err) == 0, "state parses %s", err ? err : "");
	{
		char *y = "rules:\n  - id: r\n    resource_types: [aws_x]\n    severity: low\n"
		    "    conditions:\n      - {attribute: tags.Environment, operator: equals, value: production}\n"
		    "      - {state: ingress.0.cidr_blocks, operator: contains, value: 0.0.0.0/0}\n"
		    "      - {field: actor.type, operator: equals, value: AssumedRole}\n"
		    "      - {field: actor.email, operator: matches, value: \"*@corp.example\"}\n"
		    "      - {field: actor.via, operator: equals, value: console}\n"
		    "      - {field: account, operator: in, value: [\"111122223333\"]}\n"
		    "      - {field: region, operator: matches, value: \"eu-*\"}\n"
		    "      - {field: event, operator: equals, value: ModifyInstanceAttribute}\n";
		struct rules *r = load(y);

		is_int(nerrs, 0, "state/field rule loads");
		is_int(rules_apply(r, f, &st->inst[0], NULL), 1,
		    "attribute falls back to state; state path with index; actor/account/region/event");
		is_int(f->severity, SEV_LOW, "the rule's severity replaces the default (low)");
		ok(rules_wants_state_attr(r, "aws_x", "tags") && rules_wants_state_attr(r, "aws_x", "ingress"),
		    "the rules ask the state loader to keep tags and ingress");
		ok(!rules_wants_state_attr(r, "aws_x", "instance_type") &&
		    !rules_wants_state_attr(r, "aws_y", "tags"), "and nothing else");
		reset_rules(f);
		is_int(rules_apply(r, f, NULL, NULL), 0, "without state the state conditions fail");
		rules_unref(r);
	}
	{
		/* record: paths into the raw event */
		struct event ev;
		const char *rec = "{\"requestParameters\":{\"policyArn\":\"arn:aws:iam::aws:policy/AdministratorAccess\"},"
		    "\"userIdentity\":{\"principalId\":\"AIDAXTERRAFORM\"}}";
		struct rules *r = load("rules:\n  - id: r\n    severity: critical\n    conditions:\n"
		    "      - {record: requestParameters.policyArn, operator: matches, value: \"*/AdministratorAccess\"}\n"
		    "    filters:\n      - user_identity: {principal_id: \"AIDA*TERRAFORM\"}\n        action: skip\n");

		memset(&ev, 0, sizeof ev);
		ev.record = json_tokener_parse(rec);
		is_int(nerrs, 0, "record rule loads");
		reset_rules(f);
		is_int(rules_apply(r, f, NULL, &ev), 0, "skip filter on userIdentity.principalId");
		json_object_object_del(json_object_object_get(ev.record, "userIdentity"), "principalId");
		is_int(rules_apply(r, f, NULL, &ev), 1, "record path matches without the filter");
		is_int(f->severity, SEV_CRITICAL, "at critical");
		json_object_put(ev.record);
		rules_unref(r);
	}
	tfstate_free(st);
	finding_free(f);
}

static void
test_filters_and_index(void)
{
	const char *y =
	    "rules:\n"
	    "  - id: a\n    name: A\n    resource_types: [aws_instance]\n    severity: high\n"
	    "    conditions: [{attribute: x, operator: changed}]\n"
	    "    remediation: [one, two]\n    runbook: https://wiki.example.com/a\n"
	    "    filters:\n"
	    "      - user_identity: {type: AssumedRole, principal_id: \"AIDAI*TERRAFORM\"}\n"
	    "        action: skip\n"
	    "      - conditions: [{field: actor.name, operator: equals, value: bob}]\n"
	    "        severity: low\n"
	    "  - id: b\n    resource_types: [\"aws_*\"]\n    severity: critical\n"
	    "    conditions: [{attribute: y, operator: changed}]\n"
	    "  - id: c\n    resource_types: [aws_instance]\n    severity: info\n"
	    "    conditions: [{attribute: x, operator: changed}]\n"
	    "  - id: d\n    resource_types: [aws_s3_bucket]\n    severity: critical\n"
	    "  - id: e\n    severity: low\n    enabled: false\n";
	struct rules *r = load(y);
	struct finding *f = mk("aws_instance", FK_MODIFIED);
	json_object *j, *j2;
	struct finding *back;
	char *e = NULL;

	is_int(nerrs, 0, "filters and types load");
	is_int(rules_count(r), 4, "a disabled rule is not counted");
	chg(f, "x", "1", "2");
	is_int(rules_apply(r, f, NULL, NULL), 2, "a and c match (d is another type, b needs y)");
	is_str(f->rules[0].id, "a", "in file order: a");
	is_str(f->rules[1].id, "c", "then c");
	is_int(f->severity, SEV_HIGH, "highest severity wins");
	is_int(f->rules[0].nremediation, 2, "remediation copied");
	is_str(f->rules[0].runbook, "https://wiki.example.com/a", "runbook copied");
	is_str(f->rules[1].runbook, NULL, "no runbook: null");
	/* the finding JSON carries them and round-trips */
	memcpy(f->id, "abc", 4);
	j = finding_to_json(f);
	back = finding_from_json(j, &e);
	ok(back != NULL, "round trip %s", e ? e : "");
	j2 = finding_to_json(back);
	is_str(json_object_to_json_string(j2), json_object_to_json_string(j), "byte-identical JSON");
	ok(strstr(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN), "\"remediation\":[\"one\",\"two\"]") != NULL,
	    "remediation in the JSON");
	json_object_put(j);
	json_object_put(j2);
	finding_free(back);

	reset_rules(f);
	f->actor.name = xstrdup("bob");
	is_int(rules_apply(r, f, NULL, NULL), 2, "set-severity filter: still matches");
	is_int(f->rules[0].severity, SEV_LOW, "with the filter's severity");
	is_int(f->severity, SEV_LOW, "so the finding is low (c is info)");
	reset_rules(f);
	f->actor.type = xstrdup("AssumedRole");
	f->actor.principal = xstrdup("AIDAIXYZTERRAFORM");
	is_int(rules_apply(r, f, NULL, NULL), 1, "skip filter: a does not match for that actor");
	is_str(f->rules[0].id, "c", "only c");
	reset_rules(f);
	free(f->type);
	f->type = xstrdup("aws_lambda_function");
	is_int(rules_apply(r, f, NULL, NULL), 0, "no rule for this type");
	is_int(f->severity, SEV_MEDIUM, "no match keeps the default severity");
	chg(f, "y", "1", "2");
	is_int(rules_apply(r, f, NULL, NULL), 1, "glob type rule b");
	free(f->type);
	f->type = NULL;
	reset_rules(f);
	is_int(rules_apply(r, f, NULL, NULL), 0, "no type: typed rules do not apply");
	is_int(rules_disable(r, "x*"), 0, "disable: no such id");
	finding_free(f);
	rules_unref(r);

	/* a rule without types applies to any finding */
	r = load("rules:\n  - id: any\n    severity: info\n    conditions: [{field: kind, operator: equals, value: deleted}]\n");
	f = mk("whatever", FK_DELETED);
	is_int(rules_apply(r, f, NULL, NULL), 1, "untyped rule");
	is_int(f->severity, SEV_INFO, "can lower the severity");
	finding_free(f);
	rules_unref(r);
}

static void
test_errors(void)
{
	struct rules *r;

	r = load("rules:\n"
	    "  - id: x\n"                                          /* 2 */
	    "    severty: high\n"                                  /* 3 */
	    "    conditions:\n"                                    /* 4 */
	    "      - {attribute: a, operator: chaged}\n"           /* 5 */
	    "      - {attribute: a, operator: equals}\n"           /* 6 */
	    "      - {operator: changed}\n"                        /* 7 */
	    "      - {field: actor.nme, operator: equals, value: b}\n"  /* 8 */
	    "      - {attribute: a, operator: in, value: b}\n"     /* 9 */
	    "      - {state: a, operator: changed}\n"              /* 10 */
	    "      - {attribute: a, operator: changed, value: 1}\n"  /* 11 */
	    "  - id: y\n"                                          /* 12 */
	    "    severity: urgent\n"                               /* 13 */
	    "    filters:\n"                                       /* 14 */
	    "      - user_identity: {type: Root}\n"                /* 15 */
	    "        action: skp\n"                                /* 16 */
	    "    tests:\n"                                         /* 17 */
	    "      - changes: [{attribute: a, new: 1}]\n"          /* 18 */
	    "  - id: y\n"                                          /* 19 */
	    "    severity: low\n"
	    "    resource_types: {a: b}\n");                       /* 21 */
	ok(has_err("t.yaml:3:5: unknown rule key 'severty' (did you mean 'severity'?)"), "unknown key with hint");
	ok(has_err("t.yaml:2:5: rule x needs a severity:"), "missing severity");
	ok(has_err("t.yaml:5:34: unknown operator 'chaged' (did you mean 'changed'?)"), "unknown operator");
	ok(has_err("t.yaml:6:9: operator equals needs a value:"), "missing value");
	ok(has_err("t.yaml:7:9: a condition needs exactly one of attribute, state, field or record"),
	    "missing subject");
	ok(has_err("t.yaml:8:17: unknown field 'actor.nme' (did you mean 'actor.name'?)"), "unknown field");
	ok(has_err("t.yaml:9:45: operator in needs a list value"), "in needs a list");
	ok(has_err("t.yaml:10:30: operator changed looks at what the event changed"),
	    "changed needs an attribute");
	ok(has_err("t.yaml:11:50: operator changed takes no value: (use from: and to:)"), "changed value");
	ok(has_err("t.yaml:13:15: bad severity 'urgent'"), "bad severity");
	ok(has_err("t.yaml:16:17: unknown filter action 'skp' (did you mean 'skip'?)"), "bad action");
	ok(has_err("t.yaml:18:9: a test needs expect:"), "test without expect");
	ok(has_err("t.yaml:21:21: resource_types must be a list of strings, not a mapping"), "wrong type");
	is_int(rules_count(r), 0, "no broken rule is loaded");
	rules_unref(r);

	r = load("rules: [\n");
	ok(nerrs == 1 && strncmp(errs[0], "t.yaml:2:1: YAML syntax error", 29) == 0, "syntax error position: %s",
	    nerrs ? errs[0] : "");
	rules_unref(r);
	r = load("provider: aws\nevents: []\n");
	ok(has_err("t.yaml:1:1: unknown top-level key 'provider'"), "an event map is not a rule file");
	rules_unref(r);
	ok(rules_sniff("rules: []\n", 10) && !rules_sniff("provider: aws\n", 14) && !rules_sniff("[", 1),
	    "sniff tells rule files from event maps");

	/* duplicates across files */
	{
		struct rules *rs = rules_new();
		const char *a = "rules:\n  - id: dup\n    severity: low\n";

		yerrs_free(errs, nerrs);
		errs = NULL;
		nerrs = 0;
		is_int(rules_load_mem(rs, "a.yaml", a, strlen(a), &errs, &nerrs), 0, "first file");
		is_int(rules_load_mem(rs, "b.yaml", a, strlen(a), &errs, &nerrs), -1, "second file");
		ok(has_err("b.yaml:2:9: duplicate rule id 'dup' (first defined at a.yaml:2:5)"),
		    "duplicate across files names both places");
		rules_unref(rs);
	}
}

static void
test_embedded(void)
{
	const char *y =
	    "rules:\n  - id: t\n    resource_types: [aws_instance]\n    severity: high\n"
	    "    conditions: [{attribute: x, operator: changed, to: false}]\n"
	    "    tests:\n"
	    "      - name: good\n        changes: [{attribute: x, old: true, new: false}]\n"
	    "        expect: {match: true, severity: high}\n"
	    "      - name: wrong severity\n        changes: [{attribute: x, old: true, new: false}]\n"
	    "        expect: {match: true, severity: low}\n"
	    "      - name: wrong match\n        changes: [{attribute: x, old: false, new: true}]\n"
	    "        expect: {match: true}\n";
	struct rules *r = load(y);
	size_t npass = 0, nfail;
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	is_int(nerrs, 0, "tests load");
	is_int(rules_test_count(r), 3, "three tests");
	nfail = rules_run_tests(r, fp, &npass);
	fclose(fp);
	is_int(npass, 1, "one passes");
	is_int(nfail, 2, "two fail");
	ok(strstr(buf, "FAIL t: wrong severity (t.yaml:10): expected a match at low, got a match at high") != NULL,
	    "failure says what and where");
	free(buf);
	rules_unref(r);
}

int
main(void)
{
	test_operators();
	test_subjects();
	test_filters_and_index();
	test_errors();
	test_embedded();
	yerrs_free(errs, nerrs);
	return done_testing();
}
