/* tfplan: resource_drift read from `terraform show -json` of a plan: the changed attributes,
 * named as findings name them, sensitivity, the objects as state instances, and the
 * messages for what is not a plan. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tfplan.h"
#include "util.h"
#include "tap.h"

static int
contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

/* A plan document with one drift entry of aws_instance.x (before, after, markers as JSON). */
static char *
one(const char *actions, const char *before, const char *after, const char *bs, const char *as)
{
	return xasprintf("{\"format_version\":\"1.2\",\"terraform_version\":\"1.5.7\","
	    "\"resource_drift\":[{\"address\":\"aws_instance.x\",\"mode\":\"managed\","
	    "\"type\":\"aws_instance\",\"name\":\"x\",\"provider_name\":"
	    "\"registry.terraform.io/hashicorp/aws\",\"change\":{\"actions\":%s,\"before\":%s,"
	    "\"after\":%s,\"before_sensitive\":%s,\"after_sensitive\":%s}}]}",
	    actions, before, after, bs, as);
}

static struct tf_plan *
parse(const char *text, char **err)
{
	struct tf_plan *p = NULL;

	free(*err);
	*err = NULL;
	if (tfplan_parse(text, strlen(text), "p.json", &p, err) != 0)
		return NULL;
	return p;
}

/* The changed paths, comma separated ("-" for the whole object). */
static char *
paths(const struct tf_plan *p)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	sb_adds(&sb, "");
	for (i = 0; p != NULL && p->nres > 0 && i < p->res[0].nchanges; i++)
		sb_addf(&sb, "%s%s", i ? "," : "", p->res[0].changes[i].path ? p->res[0].changes[i].path : "-");
	return sb_detach(&sb);
}

static void
test_changes(void)
{
	char *err = NULL, *t, *s;
	struct tf_plan *p;

	t = one("[\"update\"]",
	    "{\"id\":\"i-1\",\"instance_type\":\"t3.micro\",\"count\":1,\"tags\":{\"Name\":\"a\",\"Old\":\"x\"},"
	    "\"metadata_options\":[{\"http_tokens\":\"required\",\"hop\":1}],\"sg\":[\"sg-1\"],"
	    "\"ingress\":[{\"port\":22}],\"weird.key\":{\"a.b\":\"1\"}}",
	    "{\"id\":\"i-1\",\"instance_type\":\"t3.large\",\"count\":1.0,\"tags\":{\"Name\":\"b\",\"New\":\"y\"},"
	    "\"metadata_options\":[{\"http_tokens\":\"optional\",\"hop\":1}],\"sg\":[\"sg-1\",\"sg-2\"],"
	    "\"ingress\":[{\"port\":22},{\"port\":443}],\"weird.key\":{\"a.b\":\"2\"}}", "{}", "{}");
	p = parse(t, &err);
	ok(p != NULL, "a plan parses: %s", err ? err : "");
	s = paths(p);
	is_str(s, "ingress,instance_type,metadata_options.0.http_tokens,sg,tags.Name,tags.New,tags.Old,"
	    "weird.key.a.b", "changed paths: maps by key, blocks by index, lists whole, 1 == 1.0");
	free(s);
	if (p != NULL && p->nres == 1 && p->res[0].nchanges >= 7) {
		const struct tfplan_change *c = &p->res[0].changes[1];

		is_str(json_object_get_string(c->before), "t3.micro", "before value");
		is_str(json_object_get_string(c->after), "t3.large", "after value");
		ok(p->res[0].changes[5].before == NULL && p->res[0].changes[6].after == NULL,
		    "an added key has no before, a removed one no after");
		is_int(p->res[0].action, TPA_UPDATE, "action update");
		ok(p->res[0].before_inst != NULL && strcmp(p->res[0].before_inst->id, "i-1") == 0,
		    "the before object is a state instance with its id");
		ok(p->res[0].after_inst != NULL &&
		    strcmp(json_object_get_string(tfstate_attr(p->res[0].after_inst, "tags.Name")), "b") == 0,
		    "the after object is one too, read by dotted path");
		ok(!p->res[0].changes[1].sensitive, "nothing marked, nothing sensitive");
	}
	tfplan_free(p);
	free(t);

	/* A deleted resource: one change for the whole object. */
	t = one("[\"delete\"]", "{\"id\":\"i-9\",\"instance_type\":\"t3.micro\"}", "null", "{}", "false");
	p = parse(t, &err);
	ok(p != NULL && p->nres == 1 && p->res[0].action == TPA_DELETE && p->res[0].nchanges == 1 &&
	    p->res[0].changes[0].path == NULL &&
	    strcmp(json_object_get_string(p->res[0].changes[0].before), "i-9") == 0 &&
	    p->res[0].changes[0].after == NULL, "delete: one change, the id going away: %s",
	    err ? err : "");
	ok(p != NULL && p->nres == 1 && p->res[0].before_inst != NULL && p->res[0].after_inst == NULL,
	    "the deleted object is still indexed (from before)");
	tfplan_free(p);
	free(t);
}

static void
test_sensitive(void)
{
	char *err = NULL, *t;
	struct tf_plan *p;
	size_t i;
	int want[] = { 0, 1, 1, 1, 1 };

	/* engine (plain), password (before_sensitive), tags.k (after_sensitive only), token
	 * (a secret's name, unmarked), users.0.pw (a marked list element) */
	t = one("[\"update\"]",
	    "{\"engine\":\"a\",\"password\":\"p1\",\"tags\":{\"k\":\"s1\"},\"token\":\"t1\",\"users\":[{\"pw\":\"u1\"}]}",
	    "{\"engine\":\"b\",\"password\":\"p2\",\"tags\":{\"k\":\"s2\"},\"token\":\"t2\",\"users\":[{\"pw\":\"u2\"}]}",
	    "{\"password\":true}", "{\"password\":true,\"tags\":{\"k\":true},\"users\":[{\"pw\":true}]}");
	p = parse(t, &err);
	ok(p != NULL && p->nres == 1 && p->res[0].nchanges == 5, "five changes: %s", err ? err : "");
	for (i = 0; p != NULL && p->nres == 1 && i < p->res[0].nchanges && i < 5; i++)
		is_int(p->res[0].changes[i].sensitive, want[i], "%s %s", p->res[0].changes[i].path,
		    want[i] ? "is sensitive" : "is not");
	tfplan_free(p);
	free(t);
	/* A whole object marked. */
	t = one("[\"update\"]", "{\"a\":\"1\"}", "{\"a\":\"2\"}", "true", "true");
	p = parse(t, &err);
	ok(p != NULL && p->nres == 1 && p->res[0].nchanges == 1 && p->res[0].changes[0].sensitive,
	    "before_sensitive true marks everything");
	tfplan_free(p);
	free(t);
	free(err);
}

static void
test_addresses(void)
{
	const char *t = "{\"format_version\":\"1.0\",\"resource_drift\":["
	    "{\"address\":\"module.app.aws_instance.w[0]\",\"module_address\":\"module.app\","
	    "\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"w\",\"index\":0,"
	    "\"change\":{\"actions\":[\"update\"],\"before\":{\"id\":\"i-0\",\"a\":1},\"after\":{\"id\":\"i-0\",\"a\":2}}},"
	    "{\"address\":\"module.app.aws_instance.w[1]\",\"module_address\":\"module.app\","
	    "\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"w\",\"index\":1,"
	    "\"change\":{\"actions\":[\"update\"],\"before\":{\"id\":\"i-1\",\"a\":1},\"after\":{\"id\":\"i-1\",\"a\":3}}},"
	    "{\"address\":\"aws_s3_bucket.b[\\\"x\\\"]\",\"mode\":\"managed\",\"type\":\"aws_s3_bucket\","
	    "\"name\":\"b\",\"index\":\"x\",\"change\":{\"actions\":[\"update\"],\"before\":{\"id\":\"b\"},"
	    "\"after\":{\"id\":\"b\",\"acl\":\"public-read\"}}},"
	    "{\"address\":\"data.aws_ami.a\",\"mode\":\"data\",\"type\":\"aws_ami\",\"name\":\"a\","
	    "\"change\":{\"actions\":[\"update\"],\"before\":{},\"after\":{}}}]}";
	char *err = NULL;
	struct tf_plan *p = parse(t, &err);
	struct tf_state *st;

	ok(p != NULL && p->nres == 3 && p->nskipped == 1, "managed entries kept, the data source "
	    "skipped: %s", err ? err : "");
	ok(p != NULL && p->nres == 3 && p->res[0].before_inst != NULL && p->res[1].before_inst != NULL &&
	    p->res[2].before_inst != NULL && strcmp(p->res[1].before_inst->id, "i-1") == 0 &&
	    strcmp(p->res[2].before_inst->address, "aws_s3_bucket.b[\"x\"]") == 0,
	    "module, count and for_each addresses find their instances");
	if (p != NULL) {
		st = tfplan_take_before_state(p);
		ok(st != NULL && st->ninst == 3 && strcmp(st->source, "p.json") == 0 &&
		    tfplan_take_before_state(p) == NULL, "the before state is taken once, named "
		    "after the plan");
		tfplan_free(p);
		tfstate_free(st);
	}
	free(err);
}

static void
test_errors(void)
{
	static const struct {
		const char *text, *want, *what;
	} cases[] = {
		{ "{\"format_version\":\"1.2\",\"resource_drift\":[", "p.json:1:43: invalid JSON: unexpected end of data", "truncated" },
		{ "{\"format_version\":\"1.2\",\n \"resource_drift\": [}]}", "p.json:2:21: invalid JSON", "a syntax error, line and column" },
		{ "{\"format_version\":\"2.0\",\"resource_drift\":[]}", "p.json: format_version 2.0 is not supported", "another major version" },
		{ "{\"format_version\":10,\"resource_drift\":[]}", "p.json: no format_version", "a number for the version" },
		{ "{\"resource_drift\":[]}", "p.json: no format_version", "no version" },
		{ "{\"version\":4,\"serial\":1,\"resources\":[]}", "p.json: a Terraform state file, not a plan", "a state file" },
		{ "{\"format_version\":\"1.0\",\"values\":{\"root_module\":{}}}", "p.json: terraform show -json of a state", "show -json of a state" },
		{ "[1,2]", "p.json: expected a JSON object", "an array" },
		{ "{\"format_version\":\"1.2\",\"resource_drift\":{}}", "p.json: resource_drift: expected an array", "resource_drift an object" },
		{ "{\"format_version\":\"1.2\",\"resource_drift\":[7]}", "p.json: resource_drift[0]: expected an object", "an entry not an object" },
		{ "{\"format_version\":\"1.2\",\"resource_drift\":[{\"type\":\"t\",\"name\":\"n\"}]}", "resource_drift[0]: no \"address\"", "no address" },
		{ "{\"format_version\":\"1.2\",\"resource_drift\":[{\"address\":\"a.b\",\"type\":\"a\",\"name\":\"b]\",\"change\":{\"actions\":[]}}]}", "no \"type\" or \"name\"", "a name Terraform would not write" },
		{ "{\"format_version\":\"1.2\",\"resource_drift\":[{\"address\":\"a.b\",\"type\":\"a\",\"name\":\"b\"}]}", "no \"change\" object", "no change" },
		{ "{\"format_version\":\"1.2\",\"resource_drift\":[{\"address\":\"a.b\",\"type\":\"a\",\"name\":\"b\",\"change\":{\"actions\":[1]}}]}", "change.actions[0]: expected a string", "an action not a string" },
		{ "{\"format_version\":\"1.2\",\"resource_drift\":[{\"address\":\"a.b\",\"type\":\"a\",\"name\":\"b\",\"change\":{\"actions\":[\"update\"],\"before\":[]}}]}", "change.before: expected an object or null", "before an array" },
		{ "{\"format_version\":\"1.2\",\"resource_drift\":[{\"address\":\"a.b\",\"type\":\"a\",\"name\":\"b\",\"index\":[],\"change\":{\"actions\":[]}}]}", "resource_drift[0].index: expected a number or a string", "an index of the wrong type" },
		{ "", "p.json: empty file", "empty" },
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(cases); i++) {
		struct tf_plan *p = NULL;
		char *err = NULL;
		int rc = tfplan_parse(cases[i].text, strlen(cases[i].text), "p.json", &p, &err);

		ok(rc == -1 && p == NULL && contains(err, cases[i].want), "%s: %s", cases[i].what,
		    err ? err : "(no error)");
		free(err);
	}
}

static void
test_no_drift(void)
{
	char *err = NULL;
	struct tf_plan *p = parse("{\"format_version\":\"1.2\",\"planned_values\":{}}", &err);

	ok(p != NULL && !p->has_drift && p->nres == 0, "no resource_drift is not an error");
	tfplan_free(p);
	p = parse("{\"format_version\":\"1.2\",\"resource_drift\":[]}", &err);
	ok(p != NULL && p->has_drift && p->nres == 0, "an empty resource_drift neither");
	tfplan_free(p);
	p = parse("{\"format_version\":\"1.2\",\"resource_drift\":null,\"timestamp\":\"soon\"}", &err);
	ok(p != NULL && !p->has_drift, "nor a null one");
	ok(p != NULL && p->timestamp_ms == 0, "a timestamp that is not a time is unknown");
	tfplan_free(p);
	p = parse("{\"format_version\":\"1.2\",\"resource_drift\":[{\"address\":\"aws_instance.x\","
	    "\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"x\",\"change\":{\"actions\":"
	    "[\"update\"],\"before\":{\"id\":\"i-1\",\"n\":1},\"after\":{\"id\":\"i-1\",\"n\":1.0},"
	    "\"before_sensitive\":{},\"after_sensitive\":{\"n\":true}}},{\"address\":\"aws_instance.y\","
	    "\"mode\":\"managed\",\"type\":\"aws_instance\",\"name\":\"y\",\"deposed\":\"00000001\","
	    "\"change\":{\"actions\":[\"delete\"],\"before\":{\"id\":\"i-2\"},\"after\":null}}]}", &err);
	ok(p != NULL && p->nres == 1 && p->nunchanged == 1 && strcmp(p->res[0].address, "aws_instance.y") == 0,
	    "an update whose values are equal (only a marker changed) is left out: %s", err ? err : "");
	ok(p != NULL && p->nres == 1 && p->res[0].deposed != NULL && p->res[0].before_inst != NULL &&
	    p->res[0].before_inst->deposed != NULL, "a deposed object finds its deposed instance");
	tfplan_free(p);
	free(err);
	err = NULL;
	ok(tfplan_load_file(ABS_TOP_SRCDIR "/tests/data/blame/plan-explained.json", &p, &err) == 0 &&
	    p->nres == 3, "the test plan loads from a file: %s", err ? err : "");
	ok(p != NULL && p->timestamp_ms == 1716807600000LL, "its timestamp is read (when it was made)");
	tfplan_free(p);
	ok(tfplan_load_file(ABS_TOP_SRCDIR "/tests/data/blame/nope.json", &p, &err) == -1 &&
	    contains(err, "nope.json"), "a missing file is named: %s", err ? err : "");
	free(err);
}

int
main(void)
{
	test_changes();
	test_sensitive();
	test_addresses();
	test_errors();
	test_no_drift();
	return done_testing();
}
