/* test_enrich: tags (AWS tags_all/tags, GCP labels, sensitive masked), blast radius (direct,
 * transitive, cycles, key-less and module-level dependencies), fix strings, history from the
 * store, and the JSON round trip of the new finding members. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "enrich.h"
#include "state_index.h"
#include "store.h"
#include "tfstate.h"
#include "util.h"

/* One v4 resource with instances; deps a JSON array text or NULL. */
static void
res(struct strbuf *sb, const char *module, const char *type, const char *name,
    const char *keys, const char *attrs, const char *deps)
{
	int first = 1;

	if (sb->len > 0)
		sb_adds(sb, ",");
	sb_addf(sb, "{\"mode\":\"managed\",%s%s%s\"type\":\"%s\",\"name\":\"%s\","
	    "\"provider\":\"provider[\\\"registry.terraform.io/hashicorp/%s\\\"]\",\"instances\":[",
	    module ? "\"module\":\"" : "", module ? module : "", module ? "\"," : "", type, name,
	    strncmp(type, "google_", 7) == 0 ? "google" : "aws");
	if (keys == NULL) {
		sb_addf(sb, "{\"schema_version\":0,\"attributes\":%s%s%s}", attrs,
		    deps ? ",\"dependencies\":" : "", deps ? deps : "");
	} else {
		/* keys: comma-separated index keys, numbers or quoted strings as JSON */
		char *k = xstrdup(keys), *save = NULL, *t;

		for (t = strtok_r(k, ",", &save); t != NULL; t = strtok_r(NULL, ",", &save)) {
			sb_addf(sb, "%s{\"index_key\":%s,\"schema_version\":0,\"attributes\":%s%s%s}",
			    first ? "" : ",", t, attrs, deps ? ",\"dependencies\":" : "", deps ? deps : "");
			first = 0;
		}
		free(k);
	}
	sb_adds(sb, "]}");
}

static void
blast_clear(struct blast_radius *b)
{
	size_t i;

	for (i = 0; i < b->ntop; i++)
		free(b->top[i]);
	free(b->top);
	memset(b, 0, sizeof *b);
}

static struct state_index *
index_of(const char *resources, const char *source)
{
	char *doc = xasprintf("{\"version\":4,\"terraform_version\":\"1.7.5\",\"serial\":1,"
	    "\"lineage\":\"l\",\"outputs\":{},\"resources\":[%s]}", resources);
	struct tf_state *st = NULL, **v;
	char *err = NULL;

	if (tfstate_parse(doc, strlen(doc), source, &st, &err) != 0) {
		diag("parse: %s", err);
		free(err);
		free(doc);
		return NULL;
	}
	free(doc);
	v = xcalloc(1, sizeof *v);
	v[0] = st;
	{
		struct state_index *ix = state_index_build(v, 1, NULL, 0);

		free(v);
		return ix;
	}
}

static struct finding *
managed(const char *address, const char *type, const char *source)
{
	struct finding *f = xcalloc(1, sizeof *f);

	f->kind = FK_MODIFIED;
	f->provider = strncmp(type, "google_", 7) == 0 ? PROV_GCP : PROV_AWS;
	f->address = xstrdup(address);
	f->type = xstrdup(type);
	f->state_source = source ? xstrdup(source) : NULL;
	f->event_id = xstrdup("ev-1");
	finding_set_id(f);
	return f;
}

static void
test_graph(void)
{
	struct strbuf sb;
	struct state_index *ix;
	const struct enrich_graph *g;
	struct blast_radius b;
	struct finding *f;

	sb_init(&sb);
	/* vpc <- subnet["a","b"] (key-less dep) <- instance[0,1] <- attachment (module-level)
	 * a <-> b: a cycle; lonely: nothing depends on it */
	res(&sb, "module.net", "aws_vpc", "main", NULL,
	    "{\"id\":\"vpc-1\",\"tags\":{\"Name\":\"v\"},\"tags_all\":{\"Name\":\"v\",\"Env\":\"prod\"}}", NULL);
	res(&sb, "module.net", "aws_subnet", "private", "\"a\",\"b\"", "{\"id\":\"subnet-x\"}",
	    "[\"module.net.aws_vpc.main\"]");
	res(&sb, "module.app", "aws_instance", "web", "0,1", "{\"id\":\"i-1\",\"tags\":{\"Role\":\"web\"}}",
	    "[\"module.net.aws_subnet.private\",\"data.aws_ami.x\"]");
	res(&sb, "module.app", "aws_lb_target_group_attachment", "web", "0",
	    "{\"id\":\"att\"}", "[\"module.app.aws_instance.web\"]");
	res(&sb, NULL, "aws_iam_role", "a", NULL, "{\"id\":\"a\"}", "[\"aws_iam_role.b\"]");
	res(&sb, NULL, "aws_iam_role", "b", NULL, "{\"id\":\"b\"}", "[\"aws_iam_role.a\"]");
	res(&sb, NULL, "aws_iam_role", "lonely", NULL, "{\"id\":\"c\",\"tags\":{}}", NULL);
	/* a dependency naming one instance with its key */
	res(&sb, NULL, "aws_eip", "one", NULL, "{\"id\":\"e\"}",
	    "[\"module.app.aws_instance.web[1]\"]");
	ix = index_of(sb.buf, "t.tfstate");
	sb_free(&sb);
	ok(ix != NULL, "state indexed");
	if (ix == NULL)
		return;
	g = enrich_graph_get(ix);
	ok(g != NULL && enrich_graph_get(ix) == g, "the graph is built once per index");

	ok(enrich_graph_radius(g, 0, "module.net.aws_vpc.main", &b) == 0, "vpc found");
	is_int(b.direct, 2, "vpc: both subnets depend on it directly (key-less dependency)");
	is_int(b.total, 6, "vpc: subnets, instances, the attachment and the eip in all");
	is_str(b.ntop > 0 ? b.top[0] : NULL, "module.net.aws_subnet.private[\"a\"]", "direct first, by address");
	blast_clear(&b);

	ok(enrich_graph_radius(g, 0, "module.app.aws_instance.web[1]", &b) == 0, "web[1] found");
	is_int(b.direct, 2, "web[1]: the attachment (module-level dep) and the eip (keyed dep)");
	is_int(b.total, 2, "web[1]: nothing further");
	blast_clear(&b);
	ok(enrich_graph_radius(g, 0, "module.app.aws_instance.web[0]", &b) == 0 && b.direct == 1,
	    "web[0]: only the attachment (the eip names web[1])");
	blast_clear(&b);

	ok(enrich_graph_radius(g, 0, "aws_iam_role.a", &b) == 0, "role a found");
	is_int(b.direct, 1, "cycle: b depends on a");
	is_int(b.total, 1, "cycle: counted once, a itself not");
	blast_clear(&b);
	ok(enrich_graph_radius(g, 0, "aws_iam_role.lonely", &b) == 0 && b.direct == 0 &&
	    b.total == 0 && b.ntop == 0, "nothing depends on lonely");
	blast_clear(&b);
	ok(enrich_graph_radius(g, 0, "aws_iam_role.nope", &b) == -1, "unknown address: -1");
	ok(enrich_graph_radius(g, 0, "module.net.aws_subnet.private", &b) == -1,
	    "a resource address is not an instance");

	/* Tags: tags_all wins for AWS; the finding gets tags, blast radius and fix. */
	f = managed("module.net.aws_vpc.main", "aws_vpc", "t.tfstate");
	enrich_finding_from_state(ix, f);
	ok(f->tags != NULL && json_object_object_length(f->tags) == 2, "AWS: tags_all (2 tags)");
	{
		json_object *v;

		ok(f->tags != NULL && json_object_object_get_ex(f->tags, "Env", &v) &&
		    strcmp(json_object_get_string(v), "prod") == 0, "provider default tag Env=prod");
	}
	ok(f->blast != NULL && f->blast->direct == 2 && f->blast->total == 6, "blast radius on the finding");
	is_str(f->fix, "terraform apply -target=module.net.aws_vpc.main", "fix: apply -target");
	enrich_finding_from_state(ix, f);      /* again: replaces, no leak */
	ok(f->blast != NULL && f->blast->total == 6, "enriching twice gives the same");
	finding_free(f);

	f = managed("module.app.aws_instance.web[1]", "aws_instance", NULL);
	enrich_finding_from_state(ix, f);
	ok(f->tags != NULL && json_object_object_length(f->tags) == 1, "AWS: tags when no tags_all");
	ok(f->blast != NULL && f->blast->direct == 2, "no state source: found by address");
	is_str(f->fix, "terraform apply -target='module.app.aws_instance.web[1]'",
	    "fix: an address with [ ] is quoted");
	finding_free(f);

	f = managed("aws_iam_role.lonely", "aws_iam_role", "other.tfstate");
	enrich_finding_from_state(ix, f);
	ok(f->tags == NULL, "empty tags: none");
	ok(f->blast != NULL && f->blast->total == 0, "another state source named: falls back to the index");
	finding_free(f);

	f = managed("aws_s3_bucket.gone", "aws_s3_bucket", "t.tfstate");
	enrich_finding_from_state(ix, f);
	ok(f->tags == NULL && f->blast == NULL && f->fix != NULL, "not in state: fix only");
	finding_free(f);
	state_index_unref(ix);
}

static void
test_gcp_and_sensitive(void)
{
	struct strbuf sb;
	struct state_index *ix;
	struct finding *f;
	json_object *v;
	const char *gcp_state;

	sb_init(&sb);
	res(&sb, NULL, "google_compute_network", "main", NULL, "{\"id\":\"projects/p/global/networks/main\"}", NULL);
	res(&sb, NULL, "google_compute_instance", "app", "0",
	    "{\"id\":\"projects/p/zones/z/instances/app-0\",\"labels\":{\"env\":\"prod\",\"role\":\"app\"},"
	    "\"tags\":[\"ssh\"]}", "[\"google_compute_network.main\"]");
	gcp_state = sb.buf;
	ix = index_of(gcp_state, "gcp.tfstate");
	sb_free(&sb);
	f = managed("google_compute_instance.app[0]", "google_compute_instance", "gcp.tfstate");
	enrich_finding_from_state(ix, f);
	ok(f->tags != NULL && json_object_object_length(f->tags) == 2 &&
	    json_object_object_get_ex(f->tags, "role", &v) && strcmp(json_object_get_string(v), "app") == 0,
	    "GCP: labels (network tags list ignored)");
	finding_free(f);
	f = managed("google_compute_network.main", "google_compute_network", "gcp.tfstate");
	enrich_finding_from_state(ix, f);
	ok(f->blast != NULL && f->blast->direct == 1 && f->blast->ntop == 1 &&
	    strcmp(f->blast->top[0], "google_compute_instance.app[0]") == 0, "GCP: network's dependent");
	finding_free(f);
	state_index_unref(ix);

	/* A tag marked sensitive in state is masked. */
	{
		const char *doc = "{\"version\":4,\"serial\":1,\"lineage\":\"l\",\"resources\":[{\"mode\":"
		    "\"managed\",\"type\":\"aws_instance\",\"name\":\"s\",\"provider\":\"provider[\\\"x/aws\\\"]\","
		    "\"instances\":[{\"schema_version\":0,\"attributes\":{\"id\":\"i-9\",\"tags\":{\"Name\":\"n\","
		    "\"api_key\":\"SECRETVALUE123\"}},\"sensitive_attributes\":[[{\"type\":\"get_attr\",\"value\":"
		    "\"tags\"},{\"type\":\"index\",\"value\":{\"value\":\"api_key\",\"type\":\"string\"}}]]}]}]}";
		struct tf_state *st = NULL, **vv = xcalloc(1, sizeof *vv);
		char *err = NULL;
		const char *js;

		ok(tfstate_parse(doc, strlen(doc), "s.tfstate", &st, &err) == 0, "sensitive state parses");
		vv[0] = st;
		ix = state_index_build(vv, 1, NULL, 0);
		free(vv);
		f = managed("aws_instance.s", "aws_instance", "s.tfstate");
		enrich_finding_from_state(ix, f);
		js = f->tags ? json_object_to_json_string(f->tags) : "";
		ok(strstr(js, "SECRETVALUE123") == NULL && strstr(js, "(sensitive)") != NULL,
		    "sensitive tag value masked: %s", js);
		finding_free(f);
		state_index_unref(ix);
	}
}

static void
test_fix_and_json(void)
{
	struct finding *f = xcalloc(1, sizeof *f), *g;
	json_object *o, *o2;
	char *err = NULL, *a, *b;

	f->kind = FK_UNMANAGED;
	f->provider = PROV_AWS;
	f->type = xstrdup("aws_s3_bucket");
	f->resource_id = xstrdup("corp-exports");
	finding_set_id(f);
	f->fix = enrich_fix(f);
	is_str(f->fix, "terraform import aws_s3_bucket.NAME corp-exports", "fix: import for unmanaged");
	free(f->resource_id);
	f->resource_id = xstrdup("it's odd");
	free(f->fix);
	f->fix = enrich_fix(f);
	is_str(f->fix, "terraform import aws_s3_bucket.NAME 'it'\\''s odd'", "fix: quotes are shell-safe");
	free(f->resource_id);
	f->resource_id = NULL;
	f->kind = FK_FREEZE_VIOLATION;
	ok(enrich_fix(f) == NULL, "no resource: no fix");

	/* Round trip of every new member. */
	f->kind = FK_MODIFIED;
	f->address = xstrdup("aws_vpc.main");
	f->tags = json_object_new_object();
	json_object_object_add(f->tags, "Env", json_object_new_string("prod"));
	f->blast = xcalloc(1, sizeof *f->blast);
	f->blast->direct = 2;
	f->blast->total = 7;
	f->blast->top = xcalloc(2, sizeof *f->blast->top);
	f->blast->top[f->blast->ntop++] = xstrdup("aws_subnet.a[\"x\"]");
	f->blast->top[f->blast->ntop++] = xstrdup("aws_instance.b[0]");
	f->history = xcalloc(2, sizeof *f->history);
	f->history[0].time_ms = 1716800000000LL;
	f->history[0].kind = FK_DELETED;
	f->history[0].event = xstrdup("DeleteVpc");
	f->history[0].actor = xstrdup("alice");
	f->history[0].finding_id = xstrdup("abcd");
	f->history[1].time_ms = 1716700000000LL;
	f->history[1].kind = FK_MODIFIED;
	f->nhistory = 2;
	free(f->fix);
	f->fix = xstrdup("terraform apply -target=aws_vpc.main");
	o = finding_to_json(f);
	g = finding_from_json(o, &err);
	ok(g != NULL, "from_json reads the context back%s%s", err ? ": " : "", err ? err : "");
	o2 = g ? finding_to_json(g) : NULL;
	a = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	b = xstrdup(o2 ? json_object_to_json_string_ext(o2, JSON_C_TO_STRING_PLAIN) : "");
	is_str(b, a, "round trip is byte-identical");
	ok(g != NULL && g->nhistory == 2 && g->history[0].kind == FK_DELETED && g->blast->total == 7,
	    "fields come back");
	free(a);
	free(b);
	json_object_put(o2);
	finding_free(g);
	json_object_put(o);
	/* Bad members are errors naming them. */
	o = json_tokener_parse("{\"id\":\"x\",\"kind\":\"modified\",\"severity\":\"low\",\"status\":\"open\","
	    "\"provider\":\"aws\",\"blast_radius\":{\"direct\":-1,\"total\":0,\"top\":[]}}");
	ok(finding_from_json(o, &err) == NULL && err != NULL && strstr(err, "blast_radius") != NULL,
	    "negative count rejected: %s", err ? err : "");
	free(err);
	err = NULL;
	json_object_put(o);
	o = json_tokener_parse("{\"id\":\"x\",\"kind\":\"modified\",\"severity\":\"low\",\"status\":\"open\","
	    "\"provider\":\"aws\",\"tags\":{\"a\":1}}");
	ok(finding_from_json(o, &err) == NULL && err != NULL && strstr(err, "tags.a") != NULL,
	    "non-string tag rejected: %s", err ? err : "");
	free(err);
	json_object_put(o);
	finding_free(f);
}

static void
test_history(void)
{
	char tmpl[] = "/tmp/test_enrich.XXXXXX", *path, *err = NULL;
	struct store *st = NULL;
	struct finding_list l = { 0 };
	struct finding *f;
	const int64_t day = 24LL * 3600 * 1000, t0 = 1716800000000LL;
	int i;

	ok(mkdtemp(tmpl) != NULL, "temp dir");
	path = xasprintf("%s/s.db", tmpl);
	ok(store_open(path, 0, &st, &err) == 0, "store opens");
	is_int(store_schema_version(st), STORE_SCHEMA_VERSION, "schema has the history index");
	/* Earlier findings on aws_vpc.main: 10 days ago (too old), 3 days, 1 day ago; one on
	 * another resource; one unmanaged. */
	for (i = 0; i < 5; i++) {
		f = managed(i == 3 ? "aws_vpc.other" : "aws_vpc.main", "aws_vpc", "t.tfstate");
		free(f->event_id);
		f->event_id = xasprintf("ev-%d", i);
		f->event_name = xstrdup(i == 1 ? "ModifyVpcAttribute" : "CreateTags");
		f->actor.name = xstrdup(i == 2 ? "bob" : "alice");
		f->event_time_ms = i == 0 ? t0 - 10 * day : i == 1 ? t0 - 3 * day : i == 2 ? t0 - day :
		    i == 3 ? t0 - day : t0 + day;
		finding_set_id(f);
		finding_list_push(&l, f);
	}
	ok(store_put_findings(st, &l, &err) == 0, "findings stored");
	f = managed("aws_vpc.main", "aws_vpc", "t.tfstate");
	free(f->event_id);
	f->event_id = xstrdup("ev-now");
	finding_set_id(f);
	f->event_time_ms = t0;
	ok(enrich_history(st, f, t0 + 5 * day, &err) == 0, "history read");
	is_int(f->nhistory, 2, "two in the 7 days before (not older, not later, not other resources)");
	ok(f->nhistory == 2 && f->history[0].time_ms == t0 - day &&
	    strcmp(f->history[0].actor, "bob") == 0 && f->history[1].time_ms == t0 - 3 * day &&
	    strcmp(f->history[1].event, "ModifyVpcAttribute") == 0, "newest first, with event and actor");
	ok(f->nhistory == 2 && strcmp(f->history[0].finding_id, l.v[2]->id) == 0, "finding ids");
	finding_free(f);
	/* The stored finding itself is not its own history. */
	f = managed("aws_vpc.main", "aws_vpc", "t.tfstate");
	free(f->event_id);
	f->event_id = xstrdup("ev-2");
	f->event_time_ms = t0 - day;
	finding_set_id(f);
	ok(enrich_history(st, f, t0, &err) == 0 && f->nhistory == 1, "a finding does not list itself");
	finding_free(f);
	/* Unmanaged: by TYPE:ID. */
	finding_list_clear(&l);
	f = xcalloc(1, sizeof *f);
	f->kind = FK_UNMANAGED;
	f->type = xstrdup("aws_s3_bucket");
	f->resource_id = xstrdup("b1");
	f->event_id = xstrdup("u1");
	f->event_time_ms = t0 - day;
	finding_set_id(f);
	finding_list_push(&l, f);
	ok(store_put_findings(st, &l, &err) == 0, "unmanaged stored");
	f = xcalloc(1, sizeof *f);
	f->kind = FK_UNMANAGED;
	f->type = xstrdup("aws_s3_bucket");
	f->resource_id = xstrdup("b1");
	f->event_id = xstrdup("u2");
	f->event_time_ms = t0;
	finding_set_id(f);
	ok(enrich_history(st, f, t0, &err) == 0 && f->nhistory == 1 &&
	    f->history[0].kind == FK_UNMANAGED, "unmanaged history by type and id");
	finding_free(f);
	finding_list_clear(&l);
	store_close(st);
	unlink(path);
	{
		char *w = xasprintf("%s-wal", path), *sh = xasprintf("%s-shm", path);

		unlink(w);
		unlink(sh);
		free(w);
		free(sh);
	}
	rmdir(tmpl);
	free(path);
}

int
main(void)
{
	test_graph();
	test_gcp_and_sensitive();
	test_fix_and_json();
	test_history();
	return done_testing();
}
