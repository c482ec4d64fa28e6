/* test_tfstate: state parsing (v4, v3/v1 flatmap), addresses, sensitivity, errors, and the
 * public samples under $SHARED_DATA/tfstate (driftctl goldens, Terraform roundtrips). */
#include "config.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "tap.h"
#include "tfstate.h"
#include "util.h"

static char *
top_path(const char *rel)
{
	const char *top = getenv("TOP_SRCDIR");

	return xasprintf("%s/%s", top ? top : ".", rel);
}

/* $SHARED_DATA/tfstate, or NULL when the samples are not there. */
static char *
shared_tfstate_dir(void)
{
	const char *sd = getenv("SHARED_DATA");
	char *base, *dir;
	struct stat sb;

	base = sd ? xstrdup(sd) : top_path("../shared/data");
	dir = xasprintf("%s/tfstate", base);
	free(base);
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static void
skip(const char *why)
{
	ok(1, "# SKIP %s", why);
}

static struct tf_state *
load(const char *path)
{
	struct tf_state *st = NULL;
	char *err = NULL;

	if (tfstate_load_file(path, &st, &err) != 0) {
		diag("load %s: %s", path, err);
		free(err);
		return NULL;
	}
	return st;
}

static struct tf_state *
parse_str(const char *s, const char *source, char **err)
{
	struct tf_state *st = NULL;

	free(*err);
	*err = NULL;
	if (tfstate_parse(s, strlen(s), source, &st, err) != 0)
		return NULL;
	return st;
}

static const struct tf_instance *
find(const struct tf_state *st, const char *address, const char *deposed)
{
	size_t i;

	if (st == NULL)
		return NULL;
	for (i = 0; i < st->ninst; i++) {
		const struct tf_instance *in = &st->inst[i];

		if (strcmp(in->address, address) != 0)
			continue;
		if ((deposed == NULL && in->deposed == NULL) ||
		    (deposed && in->deposed && strcmp(deposed, in->deposed) == 0))
			return in;
	}
	return NULL;
}

static size_t
index_of(const struct tf_state *st, const struct tf_instance *in)
{
	return in ? (size_t)(in - st->inst) : (size_t)-1;
}

static const char *
attr_str(const struct tf_instance *in, const char *path)
{
	json_object *v = in ? tfstate_attr(in, path) : NULL;

	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int
has_prefix(const char *s, const char *p)
{
	return s != NULL && strncmp(s, p, strlen(p)) == 0;
}

static void
test_v4_complex(void)
{
	char *path = top_path("tests/data/tfstate/v4_complex.tfstate");
	struct tf_state *st = load(path);
	const struct tf_instance *in, *cur, *dep;
	json_object *v;

	ok(st != NULL, "v4_complex parses");
	free(path);
	if (st == NULL)
		return;
	is_int(st->version, 4, "v4: version");
	is_str(st->tf_version, "1.9.5", "v4: terraform_version");
	is_int(st->serial, 42, "v4: serial");
	is_str(st->lineage, "0c7c7a2e-1111-2222-3333-444455556666", "v4: lineage");
	is_int(st->ninst, 19, "v4: managed instances (data sources skipped)");
	is_int(st->ndata, 3, "v4: data source instances counted");
	ok(find(st, "data.aws_ami.ubuntu", NULL) == NULL, "v4: data source not listed");

	in = find(st, "aws_instance.web", NULL);
	ok(in != NULL, "v4: root resource address");
	if (in != NULL) {
		is_str(in->module, "", "v4: root module is empty");
		is_str(in->type, "aws_instance", "v4: type");
		is_str(in->name, "web", "v4: name");
		ok(in->index_key == NULL, "v4: no index key");
		is_str(in->id, "i-0aaaaaaaaaaaaaaa1", "v4: id");
		is_str(in->provider, "aws", "v4: provider aws");
		is_int(in->tainted, 1, "v4: tainted");
		ok(in->deposed == NULL, "v4: current object");
		is_int(in->ndeps, 2, "v4: dependencies");
		if (in->ndeps == 2)
			is_str(in->deps[1], "module.net.aws_security_group.web", "v4: dependency text");
		ok(in->state == st, "v4: back pointer");
		is_str(attr_str(in, "tags.Name"), "web", "v4: tags.Name");
		is_str(attr_str(in, "tags.kubernetes.io/role"), "node", "v4: map key with dots");
		is_str(attr_str(in, "ebs_block_device.0.device_name"), "/dev/sdb", "v4: list path");
		v = tfstate_attr(in, "cpu_core_count");
		ok(v && json_object_is_type(v, json_type_int) && json_object_get_int(v) == 2,
		    "v4: numbers stay numbers");
		ok(tfstate_attr(in, "tags.nope") == NULL, "v4: absent attribute is NULL");
		ok(tfstate_attr(in, "ebs_block_device.7.device_name") == NULL, "v4: index out of range");
		ok(tfstate_attr(in, "") == tfstate_attrs(in), "v4: empty path is the whole object");
		/* sensitive: equal, inside, containing */
		is_int(in->nsensitive, 3, "v4: sensitive_attributes read");
		if (in->nsensitive == 3) {
			is_str(in->sensitive[0], "tags.secret", "v4: index step with string key");
			is_str(in->sensitive[1], "ebs_block_device.0.kms_key_id", "v4: index step with number");
			is_str(in->sensitive[2], "user_data", "v4: get_attr step");
		}
		ok(tfstate_is_sensitive(in, "tags.secret"), "sensitive: exact path");
		ok(tfstate_is_sensitive(in, "tags"), "sensitive: tags whole contains tags.secret");
		ok(tfstate_is_sensitive(in, ""), "sensitive: whole object contains one");
		ok(!tfstate_is_sensitive(in, "tags.Name"), "sensitive: sibling tags.Name is not");
		ok(!tfstate_is_sensitive(in, "tags.secretive"), "sensitive: prefix at segment boundary only");
		ok(tfstate_is_sensitive(in, "ebs_block_device.0.kms_key_id"), "sensitive: nested list path");
		ok(tfstate_is_sensitive(in, "ebs_block_device"), "sensitive: list contains one");
		ok(!tfstate_is_sensitive(in, "ebs_block_device.0.device_name"), "sensitive: sibling in list");
		ok(tfstate_is_sensitive(in, "user_data.x"), "sensitive: inside a sensitive path");
		ok(!tfstate_is_sensitive(in, "instance_type"), "sensitive: ordinary attribute");
		ok(tfstate_is_sensitive(in, "master_password"), "sensitive: well-known name even when absent");
		ok(tfstate_is_sensitive(in, "foo.0.private_key_pem"), "sensitive: well-known name nested");
	}

	cur = find(st, "aws_instance.batch[1]", NULL);
	dep = find(st, "aws_instance.batch[1]", "abcd1234");
	in = find(st, "aws_instance.batch[0]", NULL);
	ok(cur && dep && in, "v4: count instances and the deposed one");
	if (cur && dep && in) {
		is_str(cur->index_key, "1", "v4: int index_key text");
		is_str(cur->id, "i-0bbbbbbbbbbbbbbb1", "v4: current id");
		is_str(dep->id, "i-0bbbbbbbbbbbbbbb0", "v4: deposed id");
		is_str(dep->deposed, "abcd1234", "v4: deposed key");
		is_int(dep->tainted, 0, "v4: deposed is not tainted");
		ok(index_of(st, in) < index_of(st, cur), "v4: [0] before [1]");
		ok(index_of(st, dep) == index_of(st, cur) + 1, "v4: deposed right after its current object");
	}

	in = find(st, "aws_subnet.s[\"a\"]", NULL);
	ok(in != NULL, "v4: for_each string key");
	if (in != NULL)
		is_str(in->index_key, "\"a\"", "v4: string index_key is quoted");
	in = find(st, "aws_subnet.s[\"we\\\"ird\\\\key\"]", NULL);
	ok(in != NULL && strcmp(in->id, "subnet-0b") == 0, "v4: quote and backslash escaped in key");
	ok(find(st, "aws_subnet.s[\"$${x}\"]", NULL) != NULL, "v4: ${ escaped as $${");

	in = find(st, "module.net.aws_security_group.web", NULL);
	ok(in != NULL, "v4: module address");
	if (in != NULL) {
		is_str(in->module, "module.net", "v4: module");
		v = tfstate_attr(in, "ingress.0.self");
		ok(v && json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v),
		    "v4: nested bool");
	}
	in = find(st, "module.a[\"k\"].module.b[0].aws_vpc.y", NULL);
	ok(in != NULL, "v4: nested keyed modules");
	if (in != NULL)
		is_str(in->module, "module.a[\"k\"].module.b[0]", "v4: nested module text");

	in = find(st, "aws_db_instance.main", NULL);
	ok(in != NULL && tfstate_is_sensitive(in, "password"), "v4: unmarked password is sensitive");
	ok(in != NULL && !tfstate_is_sensitive(in, "identifier"), "v4: identifier is not");
	in = find(st, "aws_lambda_function.fn", NULL);
	ok(in != NULL && tfstate_is_sensitive(in, "environment.0.variables.token"),
	    "v4: secret name inside a map is marked");
	ok(in != NULL && tfstate_is_sensitive(in, "environment"), "v4: and its container is refused whole");
	ok(in != NULL && !tfstate_is_sensitive(in, "environment.0.variables.API_TOKEN"),
	    "v4: names match whole, case-sensitively");

	in = find(st, "aws_instance.legacy", NULL);
	ok(in != NULL, "v4: attributes_flat instance");
	if (in != NULL) {
		is_str(attr_str(in, "tags.Name"), "legacy-box", "v4: attributes_flat map expanded");
		v = tfstate_attr(in, "vpc_security_group_ids");
		ok(v && json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2,
		    "v4: attributes_flat set expanded");
	}
	in = find(st, "google_compute_firewall.fw", NULL);
	ok(in != NULL && strcmp(in->provider, "gcp") == 0, "v4: google-beta resource is gcp");
	tfstate_free(st);
}

static void
test_v3_modules(void)
{
	char *path = top_path("tests/data/tfstate/v3_modules.tfstate");
	struct tf_state *st = load(path);
	const struct tf_instance *in, *d1, *d2;
	json_object *v;
	static const char *const order[] = {
		"aws_db_instance.db", "aws_instance.web[0]", "aws_instance.web[0]",
		"aws_instance.web[0]", "aws_instance.web[1]", "aws_instance.web[10]",
		"module.net.aws_security_group.web", "module.net.module.inner.aws_vpc.main",
	};
	size_t i;

	ok(st != NULL, "v3_modules parses");
	free(path);
	if (st == NULL)
		return;
	is_int(st->version, 3, "v3: version");
	is_int(st->serial, 17, "v3: serial");
	is_int(st->ninst, 8, "v3: managed instances incl. deposed");
	is_int(st->ndata, 2, "v3: data sources counted (root and module, with count)");
	for (i = 0; i < TF_ARRLEN(order) && i < st->ninst; i++)
		is_str(st->inst[i].address, order[i], "v3: order %zu", i);

	in = find(st, "aws_instance.web[0]", NULL);
	d1 = find(st, "aws_instance.web[0]", "00000001");
	d2 = find(st, "aws_instance.web[0]", "00000002");
	ok(in && d1 && d2, "v3: count key .0 and deposed objects");
	if (in && d1 && d2) {
		is_int(in->tainted, 1, "v3: primary.tainted");
		is_str(in->id, "i-web0", "v3: id");
		is_str(d1->id, "i-old-a", "v3: deposed 1 id");
		is_str(d2->id, "i-old-b", "v3: deposed id from primary-style id field");
		ok(index_of(st, d1) == index_of(st, in) + 1 && index_of(st, d2) == index_of(st, in) + 2,
		    "v3: deposed objects after the current one");
		is_str(attr_str(in, "tags.Name"), "web-0", "v3: tags.Name from flatmap");
		is_str(attr_str(in, "tags.kubernetes.io/cluster/prod"), "owned",
		    "v3: map key with dots and slashes kept whole");
		v = tfstate_attr(in, "tags");
		ok(v && json_object_object_length(v) == 2, "v3: tags has 2 entries (count marker dropped)");
		is_str(attr_str(in, "ebs_block_device.0.volume_size"), "100", "v3: set of blocks");
		is_str(attr_str(in, "ebs_block_device.0.encrypted"), "true", "v3: bools stay strings");
		is_str(attr_str(in, "root_block_device.0.volume_type"), "gp2", "v3: list of blocks");
		is_str(attr_str(in, "vpc_security_group_ids.0"), "sg-a", "v3: set ordered by hash");
		is_str(attr_str(in, "vpc_security_group_ids.1"), "sg-b", "v3: set second element");
		is_int(in->ndeps, 1, "v3: depends_on");
		if (in->ndeps == 1)
			is_str(in->deps[0], "aws_security_group.web", "v3: .* dropped from depends_on");
		is_str(in->provider, "aws", "v3: provider");
	}
	in = find(st, "aws_instance.web[10]", NULL);
	ok(in != NULL, "v3: count key .10");
	if (in != NULL) {
		v = tfstate_attr(in, "tags");
		ok(v && json_object_is_type(v, json_type_object) && json_object_object_length(v) == 0,
		    "v3: tags.%% = 0 is an empty map");
	}
	in = find(st, "aws_db_instance.db", NULL);
	ok(in != NULL, "v3: root resource");
	if (in != NULL) {
		is_str(attr_str(in, "lists.0.1"), "b", "v3: list of lists");
		v = tfstate_attr(in, "lists.1");
		ok(v && json_object_is_type(v, json_type_array) && json_object_array_length(v) == 0,
		    "v3: empty inner list");
		ok(tfstate_is_sensitive(in, "password"), "v3: password sensitive by name");
		ok(!tfstate_is_sensitive(in, "identifier"), "v3: identifier not sensitive");
	}
	in = find(st, "module.net.aws_security_group.web", NULL);
	ok(in != NULL, "v3: module path [root net]");
	if (in != NULL) {
		is_str(in->module, "module.net", "v3: module text");
		is_str(in->id, "sg-v3web", "v3: id from primary.id when attributes lack it");
		is_str(attr_str(in, "id"), "sg-v3web", "v3: ... and copied into attributes");
		is_str(attr_str(in, "ingress.0.cidr_blocks.0"), "0.0.0.0/0", "v3: nested set/list");
	}
	in = find(st, "module.net.module.inner.aws_vpc.main", NULL);
	ok(in != NULL && strcmp(in->module, "module.net.module.inner") == 0, "v3: nested module path");
	tfstate_free(st);
}

struct errcase {
	const char *name;
	const char *text;
	const char *want;	/* substring of the message after "<name>: " */
};

static void
test_errors(void)
{
	static const struct errcase cases[] = {
		{ "empty.tfstate", "", "empty file: not a Terraform state" },
		{ "blank.tfstate", " \n\t\n", "empty file: not a Terraform state" },
		{ "old.tfstate", "tfstate\x01\x02\x03", "state format v0 (Terraform < 0.7) is not supported" },
		{ "bad.tfstate", "{\n  \"version\": 4,\n  x\n}", "bad.tfstate:3:3: invalid JSON: " },
		{ "comma.tfstate", "{\"version\": 4,\n \"resources\": [],}", "comma.tfstate:2:18: invalid JSON: " },
		{ "cut.tfstate", "{\"version\": 4, \"resources\": [", "cut.tfstate:1:30: invalid JSON: unexpected end of data" },
		{ "trail.tfstate", "{\"version\": 4}\n}", "trail.tfstate:2:1: invalid JSON" },
		{ "nul.tfstate", "{\"version\": 4}", NULL },	/* (sanity: parses) */
		{ "arr.tfstate", "[1, 2]", "not a Terraform state: the document is an array" },
		{ "str.tfstate", "\"hello\"", "not a Terraform state: the document is a string" },
		{ "nover.tfstate", "{\"serial\": 1}", "not a Terraform state: no \"version\" field" },
		{ "strver.tfstate", "{\"version\": \"4\"}", "\"version\" is not an integer" },
		{ "fltver.tfstate", "{\"version\": 4.5}", "\"version\" is not an integer" },
		{ "v5.tfstate", "{\"version\": 5, \"resources\": []}",
		    "state format version 5 is newer than this tfdrift understands (max 4)" },
		{ "v0.tfstate", "{\"version\": 0}", "state format v0 (Terraform < 0.7) is not supported" },
		{ "neg.tfstate", "{\"version\": -3}", "invalid state format version -3" },
		{ "enc.tfstate", "{\"encryption_version\":\"v0\",\"meta\":{},\"encrypted_data\":\"eA==\"}",
		    "encrypted OpenTofu state: run `tofu state pull` with the key configured and scan the output" },
		{ "backend.tfstate", "{\"version\":3,\"serial\":0,\"backend\":{\"type\":\"s3\",\"config\":{"
		    "\"bucket\":\"b\",\"key\":\"k/terraform.tfstate\",\"secret_key\":\"SUPERSECRET\"},"
		    "\"hash\":1},\"modules\":[{\"path\":[\"root\"],\"resources\":{}}]}",
		    "backend configuration file (.terraform/terraform.tfstate, backend \"s3\"), not a state: "
		    "point tfdrift at the real state (s3://b/k/terraform.tfstate)" },
		{ "res.tfstate", "{\"version\": 4, \"resources\": {}}", "\"resources\" is not an array" },
		{ "inst.tfstate", "{\"version\": 4, \"resources\": [{\"mode\":\"managed\",\"type\":\"a_b\","
		    "\"name\":\"c\",\"instances\":[{\"index_key\":true}]}]}",
		    "resources[0].instances[0] (a_b.c): index_key is neither a number nor a string" },
		{ "mode.tfstate", "{\"version\": 4, \"resources\": [{\"mode\":\"weird\",\"type\":\"a_b\","
		    "\"name\":\"c\",\"instances\":[]}]}", "unknown mode \"weird\"" },
		{ "notype.tfstate", "{\"version\": 4, \"resources\": [{\"name\":\"c\"}]}",
		    "resources[0]: missing \"type\" or \"name\"" },
		{ "v3key.tfstate", "{\"version\": 3, \"modules\": [{\"path\":[\"root\"],\"resources\":"
		    "{\"aws_instance\":{\"primary\":{\"id\":\"i\"}}}}]}",
		    "modules[0]: invalid resource key \"aws_instance\"" },
		{ "v3idx.tfstate", "{\"version\": 3, \"modules\": [{\"path\":[\"root\"],\"resources\":"
		    "{\"aws_instance.a.x\":{\"primary\":{\"id\":\"i\"}}}}]}",
		    "invalid resource key \"aws_instance.a.x\"" },
		{ "v3path.tfstate", "{\"version\": 3, \"modules\": [{\"path\":[\"child\"]}]}",
		    "module path does not start with \"root\"" },
	};
	size_t i;
	char *err = NULL;
	struct tf_state *st;

	for (i = 0; i < TF_ARRLEN(cases); i++) {
		st = parse_str(cases[i].text, cases[i].name, &err);
		if (cases[i].want == NULL) {
			ok(st != NULL, "%s parses", cases[i].name);
			tfstate_free(st);
			continue;
		}
		ok(st == NULL && err != NULL, "%s is rejected", cases[i].name);
		tfstate_free(st);
		if (err == NULL)
			continue;
		ok(has_prefix(err, cases[i].name) && err[strlen(cases[i].name)] == ':',
		    "%s: message starts with the source", cases[i].name);
		ok(strstr(err, cases[i].want) != NULL, "%s: reason", cases[i].name);
		if (strstr(err, cases[i].want) == NULL)
			diag("got: %s", err);
		ok(strstr(err, "SUPERSECRET") == NULL, "%s: no backend secrets echoed", cases[i].name);
	}
	/* A NUL inside the buffer is an error, not the end of the input. */
	{
		static const char buf[] = "{\"version\": 4}\0garbage";

		st = NULL;
		ok(tfstate_parse(buf, sizeof buf - 1, "nul.tfstate", &st, &err) != 0 &&
		    err && strstr(err, "nul.tfstate:1:15: invalid JSON") != NULL,
		    "embedded NUL is reported with its position");
		tfstate_free(st);
	}
	/* Buffers are not NUL-terminated: nothing may read past len (ASan checks). */
	{
		static const char *const cut[] = {
			"{\"serial\":12", "{\"version\":4,\"lineage\":0", "{\"version\":4,\"x\":\"ab",
			"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"c\",\"instances\":[{\"index_key\":7",
			"tfstat", "{\"version\":4,\"resources\":[]}",
		};
		size_t j, l;
		char *exact;
		int good = 1;

		for (j = 0; j < TF_ARRLEN(cut); j++) {
			l = strlen(cut[j]);
			exact = xmalloc(l);
			memcpy(exact, cut[j], l);
			st = NULL;
			if ((tfstate_parse(exact, l, "cut.tfstate", &st, &err) == 0) != (j == 5))
				good = 0;
			tfstate_free(st);
			free(exact);
		}
		ok(good, "unterminated buffers: truncated documents fail, whole ones parse");
	}
	ok(tfstate_load_file("/nonexistent/dir/x.tfstate", &st, &err) != 0 && st == NULL &&
	    has_prefix(err, "/nonexistent/dir/x.tfstate"), "missing file: message names it");
	free(err);
}

/* Terraform's for_each key quoting (addrs.toHCLQuotedString). */
static void
test_key_quoting(void)
{
	static const struct { const char *json, *want; } keys[] = {
		{ "a", "[\"a\"]" },
		{ "line\\nbreak\\ttab\\r", "[\"line\\nbreak\\ttab\\r\"]" },
		{ "%{if}", "[\"%%{if}\"]" },
		{ "50% off $5", "[\"50% off $5\"]" },
		{ "caf\\u00e9", "[\"caf\xc3\xa9\"]" },
		{ "nb\\u00a0sp", "[\"nb\\u00a0sp\"]" },
		{ "bell\\u0007", "[\"bell\\u0007\"]" },
		{ "", "[\"\"]" },
		{ "us-west2/gke-demo-subnet", "[\"us-west2/gke-demo-subnet\"]" },
	};
	size_t i;
	char *err = NULL, *doc, *want;
	struct tf_state *st;

	for (i = 0; i < TF_ARRLEN(keys); i++) {
		doc = xasprintf("{\"version\":4,\"resources\":[{\"mode\":\"managed\",\"type\":\"x_y\","
		    "\"name\":\"z\",\"instances\":[{\"index_key\":\"%s\",\"attributes\":{}}]}]}",
		    keys[i].json);
		want = xasprintf("x_y.z%s", keys[i].want);
		st = parse_str(doc, "keys.tfstate", &err);
		ok(st != NULL && st->ninst == 1 && strcmp(st->inst[0].address, want) == 0,
		    "key quoting %zu: %s", i, want);
		if (st && st->ninst == 1 && strcmp(st->inst[0].address, want) != 0)
			diag("got %s", st->inst[0].address);
		tfstate_free(st);
		free(doc);
		free(want);
	}
	free(err);
}

static void
test_gzip(void)
{
	char tmpl[] = "/tmp/test_tfstate_XXXXXX";
	const char *doc = "{\"version\":4,\"serial\":3,\"resources\":[{\"mode\":\"managed\","
	    "\"type\":\"aws_vpc\",\"name\":\"v\",\"instances\":[{\"attributes\":{\"id\":\"vpc-gz\"}}]}]}";
	int fd = mkstemp(tmpl);
	gzFile gz;
	struct tf_state *st;

	ok(fd >= 0, "gzip: temp file");
	if (fd < 0)
		return;
	gz = gzdopen(fd, "wb");
	gzwrite(gz, doc, (unsigned)strlen(doc));
	gzclose(gz);
	st = load(tmpl);
	ok(st && st->ninst == 1 && strcmp(st->inst[0].id, "vpc-gz") == 0, "gzip: .gz state read");
	tfstate_free(st);
	unlink(tmpl);
}

static int
streq_null(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* 1 when the two parses agree on everything a caller can see. */
static int
same_state(const struct tf_state *a, const struct tf_state *b, const char *what)
{
	size_t i, j;

	if (a->version != b->version || a->serial != b->serial || a->ninst != b->ninst ||
	    a->ndata != b->ndata || !streq_null(a->tf_version, b->tf_version) ||
	    !streq_null(a->lineage, b->lineage) || !streq_null(a->source, b->source)) {
		diag("%s: state headers differ", what);
		return 0;
	}
	for (i = 0; i < a->ninst; i++) {
		const struct tf_instance *x = &a->inst[i], *y = &b->inst[i];
		int same = streq_null(x->address, y->address) && streq_null(x->module, y->module) &&
		    streq_null(x->type, y->type) && streq_null(x->name, y->name) &&
		    streq_null(x->index_key, y->index_key) && streq_null(x->provider, y->provider) &&
		    streq_null(x->id, y->id) && streq_null(x->deposed, y->deposed) &&
		    x->tainted == y->tainted && x->nsensitive == y->nsensitive &&
		    x->ndeps == y->ndeps && json_object_equal(tfstate_attrs(x), tfstate_attrs(y)) &&
		    x->state == a && y->state == b;

		for (j = 0; same && j < x->nsensitive; j++)
			same = strcmp(x->sensitive[j], y->sensitive[j]) == 0;
		for (j = 0; same && j < x->ndeps; j++)
			same = strcmp(x->deps[j], y->deps[j]) == 0;
		if (!same) {
			diag("%s: instance %zu differs (%s / %s)", what, i, x->address, y->address);
			return 0;
		}
	}
	return 1;
}

/* tfstate_parse (v4 fast path) and tfstate_parse_tree give the same result or message. */
static int
same_both_ways(const char *buf, size_t len, const char *source)
{
	struct tf_state *a = NULL, *b = NULL;
	char *ea = NULL, *eb = NULL;
	int ra, rb, same;

	ra = tfstate_parse(buf, len, source, &a, &ea);
	rb = tfstate_parse_tree(buf, len, source, &b, &eb);
	if (ra != rb)
		same = 0;
	else if (ra != 0)
		same = streq_null(ea, eb);
	else
		same = same_state(a, b, source);
	if (!same)
		diag("%s: fast path %s, tree %s", source, ea ? ea : "ok", eb ? eb : "ok");
	tfstate_free(a);
	tfstate_free(b);
	free(ea);
	free(eb);
	return same;
}

static int
same_both_ways_file(const char *path)
{
	char *buf, *err = NULL;
	size_t len;
	int r;

	if (tf_read_file(path, TF_FILE_STATE, &buf, &len, &err) != 0) {
		diag("%s", err);
		free(err);
		return 0;
	}
	r = same_both_ways(buf, len, path);
	free(buf);
	return r;
}

/* Documents that take the v4 fast path off its usual road. */
static void
test_fast_path(void)
{
	static const char *const docs[] = {
		/* resources before version; keys with escapes; null and empty members */
		"{\"resources\":[{\"type\":\"aws_vpc\",\"name\":\"a\",\"mode\":\"managed\","
		    "\"instances\":[{\"attributes\":{\"id\":\"vpc-1\"}}]}],\"version\":4,\"serial\":2}",
		"{\"version\":4,\"resources\":null}",
		"{\"version\":4,\"resources\":[]}",
		"{\"ver\\u0073ion\":4,\"resources\":[{\"ty\\u0070e\":\"aws_vpc\",\"name\":\"b\\n\","
		    "\"instances\":[{\"index_key\":\"k\\\"\\u00e9\",\"attributes\":{\"id\":\"x\\/y\"}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"aws_vpc\",\"name\":\"c\",\"instances\":null}]}",
		"{\"version\":4,\"resources\":[{\"instances\":[{\"attributes\":{\"id\":\"late\"},"
		    "\"index_key\":3,\"status\":\"tainted\",\"deposed\":\"\"}],\"type\":\"aws_vpc\","
		    "\"name\":\"d\",\"module\":\"module.m\"}]}",
		/* duplicates (the last wins in json-c): the fast path hands over */
		"{\"version\":4,\"version\":4,\"resources\":[]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"name\":\"y\","
		    "\"instances\":[{\"attributes\":{}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"id\":\"1\"},\"attributes\":{\"id\":\"2\"}}]}]}",
		/* scalars json-c reads but the fast path leaves to it */
		"{\"version\":4,\"serial\":18446744073709551615,\"lineage\":\"l\",\"resources\":["
		    "{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{\"index_key\":1.0,"
		    "\"schema_version\":-0,\"x\":1e5,\"y\":-12345678901234567890,\"attributes\":{}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"index_key\":1.5,\"attributes\":{}}]}]}",
		"{\"version\":4.0,\"resources\":[]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"private\":\"\\u00\",\"attributes\":{}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"schema_version\":01,\"attributes\":{}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"a\":[1,2,]}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"a\":[1,2}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"mode\":\"data\","
		    "\"instances\":[1,2,3]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[7]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":{}}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":nullx}]}",
		"{\"version\":4,\"resources\":nullx}",
		"{\"resources\":nullx,\"version\":4}",
		"{\"version\":4,\"resources\":{}}",
		"{\"version\":4,\"resources\":[]} ",
		"{\"version\":4,\"resources\":[]}}",
		"{\"version\":4,\"resources\":[],}",
		"{\"version\":4 \"resources\":[]}",
		"{\"version\":4,\"encrypted_data\":\"x\"}",
		"{\"version\":3,\"modules\":[]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"password\":\"p\",\"nested\":[{\"token\":\"t\"}]},"
		    "\"sensitive_attributes\":[[{\"type\":\"get_attr\",\"value\":\"nested\"}]],"
		    "\"dependencies\":[\"a.b\",7,\"c.d\"],\"depends_on\":[\"ignored\"]}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes_flat\":{\"tags.%\":\"1\",\"tags.Name\":\"n\"},\"depends_on\":[\"z\"]}]}]}",
		"\t\r\n {\"version\" : 4 , \"resources\" : [ { \"type\" : \"a_b\" , \"name\" : \"x\" , "
		    "\"instances\" : [ { \"attributes\" : { } } ] } ] } \n",
	};
	size_t i;
	int all = 1;

	for (i = 0; i < TF_ARRLEN(docs); i++)
		if (!same_both_ways(docs[i], strlen(docs[i]), "fast.tfstate")) {
			all = 0;
			diag("doc %zu", i);
		}
	ok(all, "fast path: %zu edge documents agree with the whole-document path",
	    TF_ARRLEN(docs));
	{
		char *p4 = top_path("tests/data/tfstate/v4_complex.tfstate");
		char *p3 = top_path("tests/data/tfstate/v3_modules.tfstate");

		ok(same_both_ways_file(p4), "fast path: v4_complex agrees");
		ok(same_both_ways_file(p3), "fast path: v3_modules agrees");
		free(p4);
		free(p3);
	}
}

/* Attributes the v4 fast path reads off the text (no tree): what json-c would read otherwise
 * makes it hand them to json-c, and either way the result is the tree path's. */
static void
test_raw_attributes(void)
{
	static const char *const docs[] = {
		/* secrets at every depth, in arrays, under sensitive_attributes, in tree order */
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"z\":{\"token\":1},\"a\":[{\"b\":[{\"password\":\"p\"}]},3,"
		    "[{\"secret\":{}}]],\"private_key\":{\"x\":1},\"m\":{\"password\":\"q\"}},"
		    "\"sensitive_attributes\":[[{\"type\":\"get_attr\",\"value\":\"m\"}]]}]}]}",
		/* a scalar key twice: kept as text, json-c keeps the last */
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"id\":\"1\",\"k\":1,\"id\":\"2\",\"k\":\"two\",\"token\":1,"
		    "\"token\":{\"x\":2}}}]}]}",
		/* a container key twice, or a scalar then a container: json-c decides */
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"a\":{\"password\":1},\"b\":{\"token\":1},\"a\":{\"secret\":1}}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"a\":1,\"b\":{\"token\":1},\"a\":{\"secret\":1}}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"n\":{\"a\":[{\"token\":1}],\"a\":2}}}]}]}",
		/* keys with escapes and with a NUL (json-c cuts those) */
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"i\\u0064\":\"e\\u00e9\",\"pass\\u0077ord\":\"p\","
		    "\"t\\\"q\":{\"tok\\u0065n\":1}}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"id\\u0000x\":\"cut\",\"a\":1}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"id\":\"a\\u0000b\"}}]}]}",
		/* empty keys: no dot before the first segment */
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"\":{\"\":{\"token\":1}}}}]}]}",
		/* ids: numbers json-c reads as integers, or not; the last id counts */
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":["
		    "{\"index_key\":0,\"attributes\":{\"id\":42}},"
		    "{\"index_key\":1,\"attributes\":{\"id\":-0}},"
		    "{\"index_key\":2,\"attributes\":{\"id\":99999999999999999999}},"
		    "{\"index_key\":3,\"attributes\":{\"id\":-99999999999999999999}},"
		    "{\"index_key\":4,\"attributes\":{\"id\":1.5}},"
		    "{\"index_key\":5,\"attributes\":{\"id\":\"s\",\"id\":null}},"
		    "{\"index_key\":6,\"attributes\":{\"id\":true}},"
		    "{\"index_key\":7,\"attributes\":{\"id\":[\"x\"]}}]}]}",
		/* attributes that are not an object, with attributes_flat */
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":null,\"attributes_flat\":{\"id\":\"f\",\"password\":\"p\"}}]}]}",
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":[1],\"attributes_flat\":{\"id\":\"f\"}}]}]}",
		/* instances walked as they come, then a module (or a repeated member) after them */
		"{\"version\":4,\"resources\":[{\"mode\":\"managed\",\"type\":\"a_b\",\"name\":\"x\","
		    "\"instances\":[{\"index_key\":1,\"attributes\":{\"id\":\"1\"}},{\"index_key\":0,"
		    "\"attributes\":{\"id\":\"0\"}}],\"module\":\"module.m[\\\"k\\\"]\"},"
		    "{\"mode\":\"managed\",\"type\":\"a_b\",\"name\":\"y\",\"instances\":[{"
		    "\"attributes\":{}}],\"module\":null}]}",
		"{\"version\":4,\"resources\":[{\"mode\":\"managed\",\"type\":\"a_b\",\"name\":\"x\","
		    "\"instances\":[{\"attributes\":{\"id\":\"1\"}}],\"type\":\"c_d\"}]}",
		"{\"version\":4,\"resources\":[{\"mode\":\"managed\",\"module\":\"module.a\",\"type\":"
		    "\"a_b\",\"name\":\"x\",\"instances\":[{\"attributes\":{}}],\"module\":\"module.b\"}]}",
		"{\"version\":4,\"resources\":[{\"mode\":\"managed\",\"type\":\"a_b\",\"name\":\"x\","
		    "\"instances\":[{\"attributes\":{}}],\"mode\":\"data\"}]}",
		/* deep: under jscan's limit here, and past the 31 levels tfstate_attrs reads back */
		"{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
		    "\"attributes\":{\"id\":\"d\",\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{\"token\":1}"
		    "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}]}]}",
	};
	size_t i;
	int all = 1;

	for (i = 0; i < TF_ARRLEN(docs); i++)
		if (!same_both_ways(docs[i], strlen(docs[i]), "raw.tfstate")) {
			all = 0;
			diag("doc %zu", i);
		}
	ok(all, "raw attributes: %zu documents agree with the whole-document path",
	    TF_ARRLEN(docs));
}

static int
keep_some(void *ctx, const char *type, const char *attr)
{
	(void)ctx;
	return strcmp(type, "a_b") == 0 && strcmp(attr, "name") == 0;
}

/* The keep filter on the raw path: kept members as text, secrets of dropped ones recorded. */
static void
test_raw_keep(void)
{
	static const char doc[] =
	    "{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
	    "\"attributes\":{\"name\":\"n\\u00e9\",\"id\":\"i\",\"big\":{\"password\":\"p\"},"
	    "\"arn\":\"arn:x\",\"self_link\":\"s\",\"name\":\"n2\",\"other\":[1,2]}}]}]}";
	struct tfstate_keep k = { keep_some, NULL };
	struct tf_state *st = NULL;
	struct strbuf v[4];
	const char *names[] = { "name", "big", "arn", NULL };
	int found[4];
	char *err = NULL;
	json_object *want;
	size_t i;

	ok(tfstate_parse_keep(doc, sizeof doc - 1, "k.tfstate", &k, &st, &err) == 0 &&
	    st->ninst == 1, "keep: parsed");
	if (st == NULL || st->ninst != 1)
		return;
	want = json_tokener_parse("{\"name\":\"n2\",\"id\":\"i\",\"arn\":\"arn:x\","
	    "\"self_link\":\"s\"}");
	ok(json_object_equal(tfstate_attrs(&st->inst[0]), want),
	    "keep: the kept members and id, arn, self_link; the last of a name twice");
	json_object_put(want);
	ok(st->inst[0].nsensitive == 1 && strcmp(st->inst[0].sensitive[0], "big.password") == 0,
	    "keep: a secret under a dropped attribute is still recorded");
	is_str(st->inst[0].id, "i", "keep: id");
	tfstate_attrs_drop(&st->inst[0]);
	for (i = 0; i < 4; i++)
		sb_init(&v[i]);
	tfstate_attr_strs(&st->inst[0], names, 4, v, found);
	ok(found[0] && strcmp(v[0].buf, "n2") == 0 && !found[1] && found[2] &&
	    strcmp(v[2].buf, "arn:x") == 0 && !found[3] && st->inst[0].attrs == NULL,
	    "attr_strs: strings off the text, dropped and NULL names not found, no tree cached");
	for (i = 0; i < 4; i++)
		sb_free(&v[i]);
	tfstate_free(st);
}

/* tfstate_attr_str agrees with tfstate_attr on every top-level name of the samples. */
static void
test_attr_str(void)
{
	static const char doc[] =
	    "{\"version\":4,\"resources\":[{\"type\":\"a_b\",\"name\":\"x\",\"instances\":[{"
	    "\"attributes\":{\"s\":\"a\\\"b\\u00e9\\ud83d\\ude00\",\"n\":1,\"d\":\"x\",\"d\":2,"
	    "\"e\":2,\"e\":\"y\",\"z\":\"a\\u0000b\",\"o\":{\"k.l\":\"v\"},\"k.l\":\"top\"}}]}]}";
	const char *paths[] = { "s", "n", "d", "e", "z", "o.k.l", "k.l", "o", "missing", "" };
	struct tf_state *st = NULL;
	struct strbuf sb;
	char *err = NULL;
	size_t i;
	int all = 1, r;
	json_object *v;

	if (tfstate_parse(doc, sizeof doc - 1, "s.tfstate", &st, &err) != 0) {
		ok(0, "attr_str: parsed (%s)", err);
		free(err);
		return;
	}
	sb_init(&sb);
	for (i = 0; i < TF_ARRLEN(paths); i++) {
		tfstate_attrs_drop(&st->inst[0]);
		r = tfstate_attr_str(&st->inst[0], paths[i], &sb);
		v = tfstate_attr(&st->inst[0], paths[i]);
		if (r != json_object_is_type(v, json_type_string) || (r &&
		    (sb.len != (size_t)json_object_get_string_len(v) ||
		    memcmp(sb.buf, json_object_get_string(v), sb.len) != 0))) {
			diag("path %s: %d '%s'", paths[i], r, r ? sb.buf : "");
			all = 0;
		}
	}
	ok(all, "attr_str: as tfstate_attr reads it (escapes, last of a name twice, NUL, dots)");
	sb_free(&sb);
	tfstate_free(st);
}

/* Files under $SHARED_DATA/tfstate that must be rejected, and why. */
static const struct {
	const char *name;	/* path relative to the tfstate dir; trailing '*' = prefix */
	const char *reason;
} broken[] = {
	{ "terraform_command__testdata__show-json-state__empty__terraform.tfstate",
	    "empty file: not a Terraform state" },
	{ "terraform_command__testdata__show-corrupt-statefile__terraform.tfstate",
	    ":1:1: invalid JSON: " },
	{ "driftctl_testdata__v4__invalid.tfstate", ":16:7: invalid JSON: " },
	{ "opentofu_command__testdata__init-encryption-with-state__terraform.tfstate",
	    "encrypted OpenTofu state" },
	{ "terraform_command__testdata__backend-new-legacy__.terraform__terraform.tfstate",
	    "backend configuration file" },
	{ "terraform_command__testdata__backend-unchanged-with-legacy__.terraform__terraform.tfstate",
	    "backend configuration file" },
	{ "terraform_command__testdata__state-push-bad-lineage__.terraform__terraform.tfstate",
	    "backend configuration file" },
	/* driftctl's expected parse results are JSON arrays, not states. */
	{ "driftctl_expected/*", "not a Terraform state: the document is an array" },
};

static const char *
broken_reason(const char *rel)
{
	size_t i, l;

	for (i = 0; i < TF_ARRLEN(broken); i++) {
		l = strlen(broken[i].name);
		if (broken[i].name[l - 1] == '*' ? strncmp(rel, broken[i].name, l - 1) == 0 :
		    strcmp(rel, broken[i].name) == 0)
			return broken[i].reason;
	}
	return NULL;
}

struct sweep {
	const char *root;
	size_t parsed, rejected, bad, differ;
	int seen[TF_ARRLEN(broken)];
};

static void
sweep_dir(struct sweep *sw, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat sb;
	char *path;
	const char *rel, *why;
	struct tf_state *st;
	char *err;
	size_t i;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &sb) != 0) {
			free(path);
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			sweep_dir(sw, path);
			free(path);
			continue;
		}
		rel = path + strlen(sw->root) + 1;
		why = broken_reason(rel);
		for (i = 0; i < TF_ARRLEN(broken); i++)
			if (why == broken[i].reason)
				sw->seen[i] = 1;
		st = NULL;
		err = NULL;
		if (tfstate_load_file(path, &st, &err) == 0) {
			sw->parsed++;
			if (why != NULL) {
				sw->bad++;
				diag("%s parsed but should fail: %s", rel, why);
			}
		} else {
			sw->rejected++;
			if (!has_prefix(err, path) || err[strlen(path)] != ':') {
				sw->bad++;
				diag("%s: message does not start with the file name: %s", rel, err);
			} else if (why == NULL) {
				sw->bad++;
				diag("%s failed: %s", rel, err);
			} else if (strstr(err, why) == NULL) {
				sw->bad++;
				diag("%s: wrong reason: %s (want %s)", rel, err, why);
			}
		}
		tfstate_free(st);
		free(err);
		if (!same_both_ways_file(path))
			sw->differ++;
		free(path);
	}
	closedir(d);
}

static void
test_shared_sweep(const char *dir)
{
	struct sweep sw;
	size_t i;

	memset(&sw, 0, sizeof sw);
	sw.root = dir;
	sweep_dir(&sw, dir);
	diag("shared tfstate files: %zu parsed, %zu rejected", sw.parsed, sw.rejected);
	is_int(sw.bad, 0, "shared: every file parses or fails for its listed reason");
	is_int(sw.differ, 0, "shared: fast path and whole-document path agree on every file");
	/* 389 files: 143 driftctl goldens and 7 broken states are rejected. */
	is_int(sw.parsed, 239, "shared: states parsed");
	is_int(sw.rejected, 150, "shared: files rejected");
	for (i = 0; i < TF_ARRLEN(broken); i++)
		ok(sw.seen[i], "shared: expected-broken file exists: %s", broken[i].name);
}

static const struct tf_instance *
load_find(const char *dir, const char *file, const char *addr, struct tf_state **stp)
{
	char *path = xasprintf("%s/%s", dir, file);

	*stp = load(path);
	free(path);
	return find(*stp, addr, NULL);
}

static void
test_shared_sensitive(const char *dir)
{
	struct tf_state *st;
	const struct tf_instance *in;

	in = load_find(dir, "terraform_command__testdata__show-json-state__sensitive-variables__"
	    "terraform.tfstate", "test_instance.test", &st);
	ok(in != NULL, "sensitive-variables: instance found");
	ok(in && tfstate_is_sensitive(in, "ami"), "sensitive-variables: ami marked sensitive");
	ok(in && !tfstate_is_sensitive(in, "id"), "sensitive-variables: id is not");
	ok(in && tfstate_is_sensitive(in, ""), "sensitive-variables: the whole object is refused");
	tfstate_free(st);

	in = load_find(dir, "opentofu_command__testdata__show-json__conditions__for-refresh.tfstate",
	    "test_instance.bar", &st);
	ok(in != NULL && in->nsensitive == 1, "opentofu for-refresh: one sensitive path");
	ok(in && tfstate_is_sensitive(in, "password"), "opentofu for-refresh: password");
	ok(in && !tfstate_is_sensitive(in, "ami"), "opentofu for-refresh: ami is not");
	tfstate_free(st);

	in = load_find(dir, "go-tfe_test-fixtures__state-version__terraform.tfstate",
	    "module.media_bucket.aws_s3_bucket_public_access_block.this[0]", &st);
	ok(in != NULL, "go-tfe: module + count address");
	ok(in && in->nsensitive == 0 && !tfstate_is_sensitive(in, "bucket"),
	    "go-tfe: empty sensitive_attributes, bucket visible");
	ok(in && in->id && strcmp(in->id, "1234-edited-videos") == 0, "go-tfe: id");
	tfstate_free(st);

	in = load_find(dir, "driftctl_test__aws_db_instance__terraform.tfstate",
	    "aws_db_instance.default", &st);
	ok(in && tfstate_is_sensitive(in, "password"), "driftctl db: unmarked password is sensitive");
	tfstate_free(st);

	in = load_find(dir, "terraform-gke_terraform.tfstate", "module.gke_network.module.subnets."
	    "google_compute_subnetwork.subnetwork[\"us-west2/gke-demo-subnet\"]", &st);
	ok(in && strcmp(in->provider, "gcp") == 0, "gke: for_each key with a slash, gcp provider");
	tfstate_free(st);
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted "address id" lines, and the instance for each line. */
static char **
addr_id_list(const struct tf_state *st)
{
	char **v = xreallocarray(NULL, st->ninst + 1, sizeof *v);
	size_t i;

	for (i = 0; i < st->ninst; i++)
		v[i] = xasprintf("%s %s%s%s", st->inst[i].address,
		    st->inst[i].id ? st->inst[i].id : "(null)",
		    st->inst[i].deposed ? " deposed " : "", st->inst[i].deposed ? st->inst[i].deposed : "");
	qsort(v, st->ninst, sizeof *v, strp_cmp);
	v[st->ninst] = NULL;
	return v;
}

static void
free_list(char **v)
{
	size_t i;

	for (i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void
test_roundtrip(const char *dir)
{
	static const char *const pairs[] = {
		"v1-simple", "v3-bigint", "v3-builtin", "v3-grabbag", "v3-invalid-depends", "v3-simple",
		"v4-legacy-foreach", "v4-legacy-modules", "v4-legacy-simple",
	};
	size_t i, j;
	struct tf_state *a, *b;
	char *pa, *pb, **la, **lb;

	for (i = 0; i < TF_ARRLEN(pairs); i++) {
		pa = xasprintf("%s/terraform_states__statefile__testdata__roundtrip__%s.in.tfstate",
		    dir, pairs[i]);
		pb = xasprintf("%s/terraform_states__statefile__testdata__roundtrip__%s.out.tfstate",
		    dir, pairs[i]);
		a = load(pa);
		b = load(pb);
		ok(a && b, "roundtrip %s: both parse", pairs[i]);
		if (a && b) {
			int same = a->ninst == b->ninst, attrs_same = 1;

			la = addr_id_list(a);
			lb = addr_id_list(b);
			for (j = 0; same && j < a->ninst; j++)
				if (strcmp(la[j], lb[j]) != 0) {
					same = 0;
					diag("%s: %s vs %s", pairs[i], la[j], lb[j]);
				}
			ok(same, "roundtrip %s: same addresses and ids (%zu)", pairs[i], a->ninst);
			is_int(a->ndata, b->ndata, "roundtrip %s: same data source count", pairs[i]);
			for (j = 0; same && j < a->ninst; j++) {
				const struct tf_instance *x = &a->inst[j];
				const struct tf_instance *y = find(b, x->address, x->deposed);

				if (y == NULL || !json_object_equal(tfstate_attrs(x), tfstate_attrs(y))) {
					attrs_same = 0;
					diag("%s: attributes differ for %s", pairs[i], x->address);
				}
			}
			ok(attrs_same, "roundtrip %s: same expanded attributes", pairs[i]);
			free_list(la);
			free_list(lb);
		}
		tfstate_free(a);
		tfstate_free(b);
		free(pa);
		free(pb);
	}
	pa = xasprintf("%s/terraform_states__statefile__testdata__roundtrip__v4-future.in.tfstate", dir);
	a = load(pa);
	ok(a && a->version == 4 && a->ninst == 3 && strcmp(a->tf_version, "999.0.0") == 0,
	    "roundtrip v4-future: format 4 from terraform 999.0.0 parses");
	ok(a && find(a, "null_resource.foo[1]", NULL) != NULL, "roundtrip v4-future: count address");
	tfstate_free(a);
	free(pa);
}

/* driftctl goldens that legitimately differ from the raw state, with the reason. */
static const struct {
	const char *type, *why;
} golden_exceptions[] = {
	{ "aws_lb_listener", "driftctl's test drops aws_lb_target_group, which it did not support" },
	{ "aws_network_acl_rule", "driftctl recomputes nacl-<hash> ids from the rule attributes" },
	{ "aws_vpc_security_group_rule", "driftctl recomputes one sgrule-<hash> id from its attributes" },
	{ "unsupported_provider", "driftctl drops resources of providers it does not support (random)" },
};

static void
test_driftctl_golden(const char *dir)
{
	char *gdir = xasprintf("%s/driftctl_expected", dir);
	DIR *d = opendir(gdir);
	struct dirent *de;
	size_t checked = 0, exc_seen = 0, i, j, n;
	static const char pre[] = "driftctl_test__", suf[] = "__results.golden.json";

	ok(d != NULL, "driftctl goldens: directory");
	if (d == NULL) {
		free(gdir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *type, *gpath, *spath, **ls, **lg;
		json_object *gold;
		struct tf_state *st;
		const char *exc = NULL;
		int same;

		if (l <= sizeof pre + sizeof suf || strncmp(de->d_name, pre, sizeof pre - 1) != 0 ||
		    strcmp(de->d_name + l - (sizeof suf - 1), suf) != 0)
			continue;
		type = xstrndup(de->d_name + sizeof pre - 1, l - (sizeof pre - 1) - (sizeof suf - 1));
		gpath = xasprintf("%s/%s", gdir, de->d_name);
		spath = xasprintf("%s/driftctl_test__%s__terraform.tfstate", dir, type);
		for (i = 0; i < TF_ARRLEN(golden_exceptions); i++)
			if (strcmp(type, golden_exceptions[i].type) == 0)
				exc = golden_exceptions[i].why;
		gold = json_object_from_file(gpath);
		st = access(spath, R_OK) == 0 ? load(spath) : NULL;
		if (gold == NULL || st == NULL) {
			ok(0, "golden %s: state and golden load", type);
			goto next;
		}
		n = json_object_array_length(gold);
		lg = xreallocarray(NULL, n + 1, sizeof *lg);
		for (i = 0; i < n; i++) {
			json_object *r = json_object_array_get_idx(gold, i), *t, *id;

			json_object_object_get_ex(r, "Type", &t);
			json_object_object_get_ex(r, "Id", &id);
			lg[i] = xasprintf("%s %s", json_object_get_string(t), json_object_get_string(id));
		}
		lg[n] = NULL;
		qsort(lg, n, sizeof *lg, strp_cmp);
		ls = xreallocarray(NULL, st->ninst + 1, sizeof *ls);
		for (i = j = 0; i < st->ninst; i++)
			if (st->inst[i].deposed == NULL)
				ls[j++] = xasprintf("%s %s", st->inst[i].type,
				    st->inst[i].id ? st->inst[i].id : "(null)");
		ls[j] = NULL;
		qsort(ls, j, sizeof *ls, strp_cmp);
		same = j == n;
		for (i = 0; same && i < n; i++)
			same = strcmp(ls[i], lg[i]) == 0;
		if (exc != NULL) {
			exc_seen++;
			ok(!same, "golden %s differs as expected: %s", type, exc);
		} else {
			if (!same)
				for (i = 0; i < n || i < j; i++)
					diag("%s: state %s | golden %s", type, i < j ? ls[i] : "-",
					    i < n ? lg[i] : "-");
			checked += same;
			if (!same)
				ok(0, "golden %s: (Type, Id) multiset", type);
		}
		free_list(ls);
		free_list(lg);
next:
		json_object_put(gold);
		tfstate_free(st);
		free(type);
		free(gpath);
		free(spath);
	}
	closedir(d);
	free(gdir);
	diag("driftctl goldens matched: %zu", checked);
	is_int(checked, 139, "driftctl goldens: 139 (Type, Id) multisets equal");
	is_int(exc_seen, TF_ARRLEN(golden_exceptions), "driftctl goldens: every listed exception seen");
}

int
main(void)
{
	char *dir;

	test_v4_complex();
	test_v3_modules();
	test_errors();
	test_key_quoting();
	test_gzip();
	test_fast_path();
	test_raw_attributes();
	test_raw_keep();
	test_attr_str();
	dir = shared_tfstate_dir();
	if (dir == NULL) {
		skip("no shared data");
	} else {
		test_shared_sweep(dir);
		test_shared_sensitive(dir);
		test_roundtrip(dir);
		test_driftctl_golden(dir);
		free(dir);
	}
	return done_testing();
}
