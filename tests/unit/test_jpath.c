/* test_jpath: compiling paths (syntax and errors), evaluating them (first match, every match,
 * [] over objects, [N], quoted keys, JSON null as absent), and json_get_path/json_get_str.
 * Record shapes are copied from the shared samples, cited next to each. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jpath.h"
#include "tap.h"
#include "util.h"

/* invictus_218007301253_CloudTrail_us-east-1_20230710T1215Z_*.json: RunInstances (trimmed) */
static const char *run_instances =
    "{\"eventName\":\"RunInstances\",\"eventSource\":\"ec2.amazonaws.com\","
    "\"requestParameters\":{\"instanceType\":\"t3.micro\",\"disableApiTermination\":false,"
    "\"instancesSet\":{\"items\":[{\"imageId\":\"ami-0a\",\"minCount\":1,\"maxCount\":1}]}},"
    "\"responseElements\":{\"instancesSet\":{\"items\":["
    "{\"instanceId\":\"i-0a1\",\"placement\":{\"availabilityZone\":\"us-east-1a\"}},"
    "{\"instanceId\":\"i-0a2\",\"placement\":{\"availabilityZone\":\"us-east-1b\"}},"
    "{\"instanceId\":null}]}},"
    "\"additionalEventData\":null,"
    "\"odd.key\":{\"x\\\"y\":7},"
    "\"resources\":{\"ARN\":\"arn:aws:ec2:us-east-1:1:instance/i-0a1\"}}";

static json_object *
parse(const char *s)
{
	json_object *o = json_tokener_parse(s);

	if (o == NULL) {
		diag("cannot parse test JSON");
		exit(1);
	}
	return o;
}

static void
test_compile_errors(void)
{
	static const struct {
		const char *expr, *err;
	} bad[] = {
		{ "", "empty path" },
		{ "a..b", "bad path \"a..b\": empty key at offset 2" },
		{ "a.", "bad path \"a.\": trailing . at offset 1" },
		{ ".a", "bad path \".a\": empty key at offset 0" },
		{ "a[", "bad path \"a[\": expected a number or ] after [ at offset 2" },
		{ "a[x]", "bad path \"a[x]\": expected a number or ] after [ at offset 2" },
		{ "a[1", "bad path \"a[1\": missing ] at offset 3" },
		{ "a[-1]", "bad path \"a[-1]\": expected a number or ] after [ at offset 2" },
		{ "a[99999999999]", "bad path \"a[99999999999]\": index too large at offset 1" },
		{ "a[0]b", "bad path \"a[0]b\": expected . or [ at offset 4" },
		{ "a.\"b", "bad path \"a.\"b\": unterminated quoted key at offset 2" },
		{ "a]", "bad path \"a]\": unexpected ] at offset 1" },
		{ "a.[0]", "bad path \"a.[0]\": empty key at offset 2" },
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(bad); i++) {
		char *err = NULL;
		struct jpath *p = jpath_compile(bad[i].expr, &err);

		ok(p == NULL, "compile fails: '%s'", bad[i].expr);
		is_str(err, bad[i].err, "error message for '%s'", bad[i].expr);
		free(err);
		jpath_free(p);
	}
	ok(jpath_compile(NULL, NULL) == NULL, "NULL expr fails without an err pointer");
}

static void
test_compile_ok(void)
{
	static const struct {
		const char *expr;
		int multi;
	} good[] = {
		{ "a", 0 }, { "a.b.c", 0 }, { "a.b.items[].c", 1 }, { "a[0].b", 0 },
		{ "a[0][1]", 0 }, { "[]", 1 }, { "[0].x", 0 }, { "\"odd.key\".b", 0 },
		{ "a.\"x\\\"y\"", 0 }, { "@type", 0 }, { "a[][]", 1 },
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(good); i++) {
		char *err = NULL;
		struct jpath *p = jpath_compile(good[i].expr, &err);

		ok(p != NULL && err == NULL, "compiles: '%s'", good[i].expr);
		if (p != NULL) {
			is_str(jpath_expr(p), good[i].expr, "expr kept");
			is_int(jpath_is_multi(p), good[i].multi, "multi flag of '%s'", good[i].expr);
		}
		free(err);
		jpath_free(p);
	}
}

/* First match as a string (json-c text for non-strings), or NULL. */
static const char *
get_s(json_object *root, const char *expr)
{
	struct jpath *p = jpath_compile(expr, NULL);
	json_object *v = jpath_get(p, root);

	jpath_free(p);
	return v != NULL ? json_object_get_string(v) : NULL;
}

static void
test_get(void)
{
	json_object *r = parse(run_instances);

	is_str(get_s(r, "eventName"), "RunInstances", "top-level key");
	is_str(get_s(r, "requestParameters.instanceType"), "t3.micro", "nested key");
	is_str(get_s(r, "requestParameters.disableApiTermination"), "false", "false is present");
	is_str(get_s(r, "responseElements.instancesSet.items[].instanceId"), "i-0a1",
	    "[] gives the first element's value");
	is_str(get_s(r, "responseElements.instancesSet.items[1].instanceId"), "i-0a2", "[1]");
	ok(get_s(r, "responseElements.instancesSet.items[2].instanceId") == NULL,
	    "JSON null is absent");
	ok(get_s(r, "responseElements.instancesSet.items[3].instanceId") == NULL,
	    "index past the end is absent");
	ok(get_s(r, "additionalEventData") == NULL, "top-level null is absent");
	ok(get_s(r, "additionalEventData.x") == NULL, "walking through null is absent");
	ok(get_s(r, "eventName.x") == NULL, "key on a string is absent");
	ok(get_s(r, "eventName[1]") == NULL, "[1] on a string is absent");
	is_str(get_s(r, "eventName[0]"), "RunInstances", "[0] on a non-array is the value itself");
	is_str(get_s(r, "resources[].ARN"), "arn:aws:ec2:us-east-1:1:instance/i-0a1",
	    "[] on an object treats it as one element");
	is_str(get_s(r, "\"odd.key\".\"x\\\"y\""), "7", "quoted keys with a dot and a quote");
	ok(get_s(r, "odd.key") == NULL, "unquoted dotted key does not match");
	ok(jpath_get(NULL, r) == NULL, "NULL path gives NULL");
	{
		struct jpath *p = jpath_compile("eventName", NULL);

		ok(jpath_get(p, NULL) == NULL, "NULL root gives NULL");
		jpath_free(p);
	}
	json_object_put(r);
}

static void
test_all(void)
{
	json_object *r = parse(run_instances), *out[4];
	json_object *nested = parse("{\"a\":[{\"b\":[1,2]},{\"b\":3},{\"c\":4},{\"b\":[null,5]}]}");
	struct jpath *p = jpath_compile("responseElements.instancesSet.items[].instanceId", NULL);
	struct jpath *q = jpath_compile("a[].b[]", NULL);
	struct jpath *one = jpath_compile("eventName", NULL);
	struct jpath *arr = jpath_compile("a", NULL);
	size_t n;

	n = jpath_all(p, r, out, 4);
	is_int(n, 2, "two instance ids (the null one is absent)");
	is_str(json_object_get_string(out[0]), "i-0a1", "first id");
	is_str(json_object_get_string(out[1]), "i-0a2", "second id");
	n = jpath_all(p, r, out, 1);
	is_int(n, 2, "count exceeds max");
	is_str(json_object_get_string(out[0]), "i-0a1", "first stored when max is 1");
	is_int(jpath_all(p, r, NULL, 0), 2, "counting only");

	n = jpath_all(q, nested, out, 4);
	is_int(n, 4, "nested [] in document order, null skipped, scalar as one element");
	if (n == 4) {
		is_int(json_object_get_int(out[0]), 1, "1st");
		is_int(json_object_get_int(out[1]), 2, "2nd");
		is_int(json_object_get_int(out[2]), 3, "3rd (object's b is a scalar)");
		is_int(json_object_get_int(out[3]), 5, "4th");
	}
	is_int(jpath_all(one, r, out, 4), 1, "single path: one match");
	is_int(jpath_all(arr, nested, out, 4), 1, "path ending at an array matches it once");
	ok(json_object_is_type(out[0], json_type_array), "the array itself");
	jpath_free(p);
	jpath_free(q);
	jpath_free(one);
	jpath_free(arr);
	json_object_put(nested);
	json_object_put(r);
}

static void
test_get_path(void)
{
	/* panther_gcp_audit_rule_tests.jsonl: firewalls.insert (trimmed) */
	json_object *r = parse("{\"protoPayload\":{\"serviceName\":\"compute.googleapis.com\","
	    "\"request\":{\"priority\":\"1000\",\"disabled\":false,\"n\":1000,\"d\":1.5,"
	    "\"alloweds\":[{\"IPProtocol\":\"tcp\"}]},\"x\":null}}");
	char longkey[300];

	is_str(json_get_str(r, "protoPayload.serviceName"), "compute.googleapis.com", "string");
	is_str(json_get_str(r, "protoPayload.request.priority"), "1000", "numeric string");
	is_str(json_get_str(r, "protoPayload.request.n"), "1000", "int as text");
	is_str(json_get_str(r, "protoPayload.request.d"), "1.5", "double as text");
	is_str(json_get_str(r, "protoPayload.request.disabled"), "false", "bool as text");
	ok(json_get_str(r, "protoPayload.request") == NULL, "object is not a string");
	ok(json_get_str(r, "protoPayload.x") == NULL, "null is absent");
	ok(json_get_str(r, "protoPayload.nope") == NULL, "missing key");
	ok(json_get_str(r, "protoPayload.serviceName.x") == NULL, "key below a string");
	is_str(json_get_str(r, "protoPayload.request.alloweds.0.IPProtocol"), "tcp",
	    "numeric segment indexes an array");
	ok(json_get_str(r, "protoPayload.request.alloweds.1.IPProtocol") == NULL,
	    "index past the end");
	ok(json_get_path(r, "") == r, "empty path is the root");
	ok(json_get_path(NULL, "a") == NULL, "NULL root");
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	ok(json_get_path(r, longkey) == NULL, "a key longer than the stack buffer");
	json_object_object_add(r, longkey, json_object_new_string("long"));
	is_str(json_get_str(r, longkey), "long", "a long key is found");
	json_object_put(r);
}

/* jpath_copy: the same path selects the same values in the copy, and nothing else is there. */
static void
test_copy(void)
{
	json_object *rec = parse(run_instances), *out = NULL, *v[4];
	struct jpath *ids = jpath_compile("responseElements.instancesSet.items[].instanceId", NULL);
	struct jpath *az = jpath_compile("responseElements.instancesSet.items[1].placement.availabilityZone", NULL);
	struct jpath *type = jpath_compile("requestParameters.instanceType", NULL);
	struct jpath *whole = jpath_compile("requestParameters", NULL);
	struct jpath *single = jpath_compile("resources[0].ARN", NULL);
	struct jpath *none = jpath_compile("requestParameters.nope", NULL);
	const char *s;

	out = jpath_copy(ids, rec, out, 0);
	out = jpath_copy(az, rec, out, 0);
	out = jpath_copy(type, rec, out, 0);
	out = jpath_copy(single, rec, out, 0);
	out = jpath_copy(none, rec, out, 0);
	s = json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	is_str(s, "{\"responseElements\":{\"instancesSet\":{\"items\":[{\"instanceId\":\"i-0a1\"},"
	    "{\"instanceId\":\"i-0a2\",\"placement\":{\"availabilityZone\":\"us-east-1b\"}},null]}},"
	    "\"requestParameters\":{\"instanceType\":\"t3.micro\"},"
	    "\"resources\":{\"ARN\":\"arn:aws:ec2:us-east-1:1:instance/i-0a1\"}}",
	    "only the selected values, arrays keeping their length, paths merged");
	is_int(jpath_all(ids, out, v, 4), 2, "[] selects the same ids in the copy");
	is_str(json_object_get_string(jpath_get(single, out)), "arn:aws:ec2:us-east-1:1:instance/i-0a1",
	    "a single object read as a one-element list is copied as it was");
	out = jpath_copy(type, rec, out, 1);
	is_str(json_object_get_string(jpath_get(type, out)), "(sensitive)", "mask replaces the value");
	is_str(json_object_get_string(jpath_get(type, rec)), "t3.micro", "the source is not changed");
	out = jpath_copy(whole, rec, out, 0);
	ok(json_object_object_get_ex(json_object_object_get(out, "requestParameters"),
	    "disableApiTermination", NULL), "a path to a whole object copies it whole");
	json_object_put(out);
	ok(jpath_copy(none, rec, NULL, 0) == NULL, "nothing selected, nothing made");
	json_object_put(rec);
	jpath_free(ids);
	jpath_free(az);
	jpath_free(type);
	jpath_free(whole);
	jpath_free(single);
	jpath_free(none);
}

/* jpath_narrow: the list holding one element, the rest shared, the original untouched. */
static void
test_narrow(void)
{
	json_object *root = json_tokener_parse("{\"k\": 1, \"a\": [{\"b\": [10, 20, 30]}, "
	    "{\"b\": [40]}], \"c\": {\"d\": [{\"x\": 1}, {\"x\": 2}], \"e\": \"s\"}}");
	struct jpath *ok1 = jpath_compile("a[0].b[]", NULL), *ok2 = jpath_compile("c.d[]", NULL);
	struct jpath *no1 = jpath_compile("a[].b[]", NULL), *no2 = jpath_compile("c.d", NULL);
	struct jpath *no3 = jpath_compile("a[].b", NULL), *x = jpath_compile("c.d[].x", NULL);
	json_object *elems[4], *one;
	char *t;

	ok(jpath_is_each(ok1) && jpath_is_each(ok2), "each paths end in their only []");
	ok(!jpath_is_each(no1) && !jpath_is_each(no2) && !jpath_is_each(no3) &&
	    !jpath_is_each(NULL), "not each paths");
	is_int(jpath_all(ok1, root, elems, 4), 3, "three elements");
	one = jpath_narrow(ok1, root, elems[1]);
	t = xstrdup(json_object_to_json_string_ext(one, JSON_C_TO_STRING_PLAIN));
	is_str(t, "{\"k\":1,\"a\":[{\"b\":[20]},{\"b\":[40]}],\"c\":{\"d\":[{\"x\":1},{\"x\":2}],"
	    "\"e\":\"s\"}}", "through an index: that list alone narrowed");
	free(t);
	json_object_put(one);
	jpath_all(ok2, root, elems, 4);
	one = jpath_narrow(ok2, root, elems[1]);
	is_int(json_object_get_int(jpath_get(x, one)), 2, "every path through the list reads the element");
	ok(json_object_object_length(json_get_path(one, "c")) == 2, "siblings kept");
	json_object_put(one);
	is_int(json_object_get_int(jpath_get(x, root)), 1, "the original is untouched");
	one = jpath_narrow(no2, root, elems[0]);
	ok(one == root, "not an each path: the root itself");
	json_object_put(one);
	jpath_free(ok1);
	jpath_free(ok2);
	jpath_free(no1);
	jpath_free(no2);
	jpath_free(no3);
	jpath_free(x);
	json_object_put(root);
}

int
main(void)
{
	test_compile_errors();
	test_compile_ok();
	test_get();
	test_all();
	test_get_path();
	test_copy();
	test_narrow();
	return done_testing();
}
