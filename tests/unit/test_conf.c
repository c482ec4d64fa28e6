/* test_conf: the option table, defaults, YAML loading with positioned errors, ${VAR}
 * expansion, the conf_dump round trip and the conf_find lookup order. */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "freeze.h"
#include "util.h"
#include "yamlutil.h"
#include "tap.h"

static char srcdir[PATH_MAX];

static char *
fixture(const char *name)
{
	return xasprintf("%s/tests/data/conf/%s", srcdir, name);
}

/* Load buf as "t.yaml" over the defaults; returns the error count, errors joined by \n. */
static size_t
load_str(struct conf *c, const char *buf, char **joined)
{
	char **errs = NULL;
	size_t n = 0, i;
	struct strbuf sb;
	int rc;

	conf_init(c);
	rc = conf_load_mem(c, "t.yaml", buf, strlen(buf), &errs, &n);
	if ((rc != 0) != (n != 0))
		diag("return code %d disagrees with %zu errors", rc, n);
	sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (i)
			sb_addc(&sb, '\n');
		sb_adds(&sb, errs[i]);
	}
	yerrs_free(errs, n);
	*joined = sb_detach(&sb);
	return n;
}

/* One bad document: exactly one error, with this exact text. */
static void
one_error(const char *buf, const char *want, const char *name)
{
	struct conf c;
	char *got;
	size_t n = load_str(&c, buf, &got);

	is_int(n, 1, "%s: one error", name);
	is_str(got, want, "%s: message and position", name);
	free(got);
	conf_free(&c);
}

static int
list_is(const struct strlist *l, const char *const *want, size_t n)
{
	size_t i;

	if (l->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(l->v[i], want[i]) != 0)
			return 0;
	return 1;
}

/* Compare every option of two confs through the table. */
static int
conf_equal(const struct conf *a, const struct conf *b)
{
	const struct conf_option *o;
	size_t n, i, j;

	o = conf_options(&n);
	for (i = 0; i < n; i++) {
		const char *fa = (const char *)a + o[i].offset, *fb = (const char *)b + o[i].offset;

		switch (o[i].type) {
		case CT_STRING_LIST: {
			const struct strlist *la = (const void *)fa, *lb = (const void *)fb;

			if (la->n != lb->n) {
				diag("%s: %zu vs %zu items", o[i].name, la->n, lb->n);
				return 0;
			}
			for (j = 0; j < la->n; j++)
				if (strcmp(la->v[j], lb->v[j]) != 0) {
					diag("%s[%zu]: '%s' vs '%s'", o[i].name, j, la->v[j], lb->v[j]);
					return 0;
				}
			break;
		}
		case CT_DURATION:
			if (*(const int64_t *)fa != *(const int64_t *)fb) {
				diag("%s differs", o[i].name);
				return 0;
			}
			break;
		case CT_FREEZE_WINDOWS:
			if (a->nfreezes != b->nfreezes) {
				diag("%s: %zu vs %zu windows", o[i].name, a->nfreezes, b->nfreezes);
				return 0;
			}
			for (j = 0; j < a->nfreezes; j++) {
				char *da = freeze_window_describe(&a->freezes[j]);
				char *db = freeze_window_describe(&b->freezes[j]);
				int same = strcmp(da, db) == 0;

				if (!same)
					diag("%s[%zu]: '%s' vs '%s'", o[i].name, j, da, db);
				free(da);
				free(db);
				if (!same)
					return 0;
			}
			break;
		default:
			if (strcmp(*(char *const *)fa, *(char *const *)fb) != 0) {
				diag("%s: '%s' vs '%s'", o[i].name, *(char *const *)fa,
				    *(char *const *)fb);
				return 0;
			}
		}
	}
	return strcmp(conf_event_maps_dir(a), conf_event_maps_dir(b)) == 0;
}

static char *
dump_str(const struct conf *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	conf_dump(c, fp);
	fclose(fp);
	return buf;
}

/* Dump c, load the dump, and check the result equals c (and dumps the same). */
static void
round_trip(const struct conf *c, const char *name)
{
	struct conf back;
	char *text = dump_str(c), *text2, **errs = NULL;
	size_t n = 0, i;
	int rc;

	conf_init(&back);
	rc = conf_load_mem(&back, "dump.yaml", text, strlen(text), &errs, &n);
	is_int(rc, 0, "%s: the dump loads", name);
	for (i = 0; i < n; i++)
		diag("%s", errs[i]);
	yerrs_free(errs, n);
	ok(conf_equal(c, &back), "%s: the reloaded conf is the same", name);
	/* The header line names the source; compare from the first option on. */
	text2 = dump_str(&back);
	is_str(strchr(text2, '\n'), strchr(text, '\n'), "%s: dumping again gives the same text", name);
	if (rc != 0 || !conf_equal(c, &back))
		diag("dump was:\n%s", text);
	free(text);
	free(text2);
	conf_free(&back);
}

static void
test_table(void)
{
	const struct conf_option *o;
	size_t n, i, j;
	int help_ok = 1, unique = 1;

	o = conf_options(&n);
	is_int(n, 23, "twenty-three options: every field of struct conf but path (and sources, outputs)");
	for (i = 0; i < n; i++) {
		if (o[i].help == NULL || strlen(o[i].help) < 20 || o[i].def == NULL)
			help_ok = 0;
		for (j = 0; j < i; j++)
			if (strcmp(o[i].name, o[j].name) == 0 || o[i].offset == o[j].offset)
				unique = 0;
	}
	ok(help_ok, "every option has help text and a default");
	ok(unique, "names and fields are unique");
	for (i = 0; i < n && strcmp(o[i].name, "state_refresh") != 0; i++)
		;
	ok(i < n && o[i].offset == offsetof(struct conf, state_refresh_ms) &&
	    o[i].type == CT_DURATION, "state_refresh is a duration stored in state_refresh_ms");
	for (i = 0; i < n && strcmp(o[i].name, "gcp_operation_hold") != 0; i++)
		;
	ok(i < n && o[i].offset == offsetof(struct conf, gcp_operation_hold_ms) &&
	    o[i].type == CT_DURATION && strcmp(o[i].def, "10m") == 0,
	    "gcp_operation_hold is a duration, 10m by default");
	for (i = 0; i < n && strcmp(o[i].name, "session_gap") != 0; i++)
		;
	ok(i < n && o[i].offset == offsetof(struct conf, session_gap_ms) &&
	    o[i].type == CT_DURATION && strcmp(o[i].def, "15m") == 0,
	    "session_gap is a duration, 15m by default");
}

static void
test_defaults(void)
{
	static const char *const ua[] = { "Terraform/", "terraform-provider-", "OpenTofu/",
	    "opentofu" };
	struct conf c;
	char *maps;
	size_t i;
	int has_sp = 0, has_gsa = 0;

	setenv("XDG_STATE_HOME", "/tmp/xdg-state", 1);
	setenv("TFDRIFT_DATADIR", "/opt/tfdrift-data", 1);
	conf_init(&c);
	ok(c.path == NULL, "defaults: no path");
	is_int(c.states.n, 0, "defaults: no states");
	is_int(c.events.n, 0, "defaults: no events");
	ok(list_is(&c.terraform_user_agents, ua, 4), "defaults: terraform_user_agents");
	is_int(c.pipeline_principals.n, 0, "defaults: no pipeline principals");
	for (i = 0; i < c.service_principals.n; i++) {
		if (strcmp(c.service_principals.v[i], "*.amazonaws.com") == 0)
			has_sp = 1;
		if (tf_glob(c.service_principals.v[i],
		    "service-123456789@gcp-sa-cloudscheduler.iam.gserviceaccount.com"))
			has_gsa = 1;
	}
	ok(has_sp, "defaults: AWS service principals");
	ok(has_gsa, "defaults: a GCP service agent matches");
	is_str(c.severity_modified, "medium", "defaults: severity_modified");
	is_str(c.severity_unmanaged, "low", "defaults: severity_unmanaged");
	is_str(c.severity_deleted, "high", "defaults: severity_deleted");
	is_str(c.event_maps, "", "defaults: event_maps empty");
	is_str(conf_event_maps_dir(&c), "/opt/tfdrift-data/rules/events",
	    "defaults: event maps from the data directory");
	is_str(c.store, "/tmp/xdg-state/tfdrift/tfdrift.db", "defaults: store under XDG_STATE_HOME");
	is_str(c.theme, "default", "defaults: theme");
	is_int(c.state_refresh_ms, 5 * 60 * 1000, "defaults: state_refresh 5m");
	is_int(c.session_gap_ms, 15 * 60 * 1000, "defaults: session_gap 15m");
	conf_free(&c);

	unsetenv("XDG_STATE_HOME");
	setenv("HOME", "/home/tester", 1);
	conf_init(&c);
	is_str(c.store, "/home/tester/.local/state/tfdrift/tfdrift.db",
	    "defaults: store under ~/.local/state when XDG_STATE_HOME is unset");
	conf_free(&c);
	setenv("XDG_STATE_HOME", "relative/dir", 1);
	conf_init(&c);
	is_str(c.store, "/home/tester/.local/state/tfdrift/tfdrift.db",
	    "defaults: a relative XDG_STATE_HOME is ignored");
	maps = xstrdup(conf_event_maps_dir(&c));
	conf_free(&c);
	ok(c.store == NULL && c.states.n == 0, "conf_free clears the struct");
	free(maps);
	unsetenv("XDG_STATE_HOME");
}

static void
test_full(void)
{
	static const char *const states[] = { "./prod.tfstate",
	    "s3://tf-state/prod/terraform.tfstate", "gs://tf-state/network" };
	static const char *const events[] = { "events/cloudtrail.json.gz", "-" };
	static const char *const ua[] = { "Terraform/", "terraform-provider-" };
	static const char *const pp[] = { "arn:aws:sts::*:assumed-role/ci-deploy/*",
	    "terraform@*.iam.gserviceaccount.com" };
	static const char *const sp[] = { "autoscaling.amazonaws.com" };
	struct conf c;
	char *path = fixture("full.yaml"), **errs = NULL;
	size_t n = 0, i;

	setenv("HOME", "/home/tester", 1);
	conf_init(&c);
	is_int(conf_load(&c, path, &errs, &n), 0, "full.yaml loads");
	is_int(n, 0, "full.yaml: no errors");
	for (i = 0; i < n; i++)
		diag("%s", errs[i]);
	yerrs_free(errs, n);
	is_str(c.path, path, "full: path recorded");
	ok(list_is(&c.states, states, 3), "full: states");
	ok(list_is(&c.events, events, 2), "full: events (flow list)");
	ok(list_is(&c.terraform_user_agents, ua, 2), "full: user agents replace the default");
	ok(list_is(&c.pipeline_principals, pp, 2), "full: pipeline principals");
	ok(list_is(&c.service_principals, sp, 1), "full: service principals");
	is_str(c.event_maps, "/opt/tfdrift/events", "full: event_maps");
	is_str(conf_event_maps_dir(&c), "/opt/tfdrift/events", "full: event maps dir");
	is_str(c.severity_modified, "high", "full: severity_modified");
	is_str(c.severity_unmanaged, "info", "full: severity_unmanaged");
	is_str(c.severity_deleted, "critical", "full: severity_deleted");
	is_str(c.store, "/home/tester/drift/tfdrift.db", "full: ~/ expands in paths");
	is_str(c.theme, "monochrome", "full: theme");
	is_int(c.state_refresh_ms, 90 * 60 * 1000, "full: state_refresh 1h30m");
	round_trip(&c, "full");
	conf_free(&c);
	free(path);

	path = fixture("empty.yaml");
	conf_init(&c);
	errs = NULL;
	n = 0;
	is_int(conf_load(&c, path, &errs, &n), 0, "empty.yaml: comments only load");
	is_str(c.severity_deleted, "high", "empty.yaml: defaults kept");
	yerrs_free(errs, n);
	round_trip(&c, "defaults");
	conf_free(&c);
	free(path);

	/* null values: an empty list, an empty event_maps (the default) */
	{
		char *e;

		is_int(load_str(&c, "states:\nevent_maps: ~\nservice_principals: []\n", &e), 0,
		    "null list and path values are accepted");
		free(e);
		is_int(c.states.n + c.service_principals.n, 0, "null and [] empty a list");
		is_str(c.event_maps, "", "null event_maps keeps the built-in maps");
		conf_free(&c);
	}
}

static void
test_errors(void)
{
	struct conf c;
	char **errs = NULL, *path;
	size_t n = 0;

	unsetenv("TFDRIFT_CONF_TEST_UNSET");
	one_error("severity_modifed: high\n",
	    "t.yaml:1:1: unknown option 'severity_modifed' (did you mean 'severity_modified'?)",
	    "unknown key, near miss");
	one_error("theme: dark\ncolour: red\n", "t.yaml:2:1: unknown option 'colour'",
	    "unknown key, no suggestion");
	one_error("event-maps: /x\n",
	    "t.yaml:1:1: unknown option 'event-maps' (did you mean 'event_maps'?)",
	    "unknown key with a dash");
	one_error("theme: [a, b]\n", "t.yaml:1:8: theme must be a single value, not a list",
	    "list where a string is expected");
	one_error("store:\n  path: /x\n", "t.yaml:2:3: store must be a single value, not a mapping",
	    "mapping where a string is expected");
	one_error("states: prod.tfstate\n",
	    "t.yaml:1:9: states must be a list of strings, not a single value (write [a, b] or one "
	    "'- item' per line)", "string where a list is expected");
	one_error("events: {a: b}\n",
	    "t.yaml:1:9: events must be a list of strings, not a mapping (write [a, b] or one "
	    "'- item' per line)", "mapping where a list is expected");
	one_error("states:\n  - a\n  - [b]\n",
	    "t.yaml:3:5: states: item 2 must be a string, not a list", "list item not a string");
	one_error("session_gap: soon\n",
	    "t.yaml:1:14: bad duration 'soon' for session_gap (a number with a unit: "
	    "90s, 5m, 1h30m, 1d)", "bad session_gap");
	one_error("state_refresh: 5 minutes\n",
	    "t.yaml:1:16: bad duration '5 minutes' for state_refresh (a number with a unit: "
	    "90s, 5m, 1h30m, 1d)", "bad duration");
	one_error("state_refresh: 300\n",
	    "t.yaml:1:16: bad duration '300' for state_refresh (a number with a unit: 90s, 5m, "
	    "1h30m, 1d)", "duration without a unit");
	one_error("state_refresh: 0s\n", "t.yaml:1:16: state_refresh must be longer than 0",
	    "zero duration");
	one_error("\n\nseverity_deleted: HIGH\n",
	    "t.yaml:3:19: bad severity 'HIGH' for severity_deleted (one of: critical, high, "
	    "medium, low, info)", "bad severity");
	one_error("theme: \"\"\n", "t.yaml:1:8: theme must not be empty", "empty theme");
	one_error("store: ${TFDRIFT_CONF_TEST_UNSET}/x.db\n",
	    "t.yaml:1:8: environment variable TFDRIFT_CONF_TEST_UNSET is not set (in "
	    "'${TFDRIFT_CONF_TEST_UNSET}/x.db'; use ${TFDRIFT_CONF_TEST_UNSET:-default} for a "
	    "fallback)", "unset variable");
	one_error("theme: ${oops\n",
	    "t.yaml:1:8: unterminated ${ in '${oops' (write $${ for a literal ${)",
	    "unterminated ${");
	one_error("theme: ${a-b}\n",
	    "t.yaml:1:8: bad variable reference '${a-b}' (use ${NAME} or ${NAME:-default}; NAME "
	    "is letters, digits and _)", "bad variable name");
	one_error("sources: [aws]\n",
	    "t.yaml:1:10: sources must be a mapping (aws:, gcp:, files:), not a list",
	    "sources not a mapping");
	one_error("sources:\n  aws: []\n  gpc: {}\n",
	    "t.yaml:3:3: unknown key under sources 'gpc' (did you mean 'gcp'?)",
	    "unknown sources key");
	one_error("sourcse:\n  aws: {}\n",
	    "t.yaml:1:1: unknown option 'sourcse' (did you mean 'sources'?)",
	    "misspelt sources");
	one_error("theme: a\ntheme: b\n",
	    "t.yaml:2:1: duplicate option 'theme' (first at line 1)", "duplicate key");
	one_error("- a\n- b\n",
	    "t.yaml:1:1: the configuration must be a mapping of 'option: value' lines, not a list",
	    "document not a mapping");
	{
		char *got;

		n = load_str(&c, "theme: a\n  bad: [\n", &got);
		is_int(n, 1, "syntax error: one error");
		ok(strncmp(got, "t.yaml:2:", 9) == 0 && strstr(got, "YAML syntax error") != NULL,
		    "syntax error has file:line");
		diag("%s", got);
		free(got);
		conf_free(&c);
	}

	/* A file with several mistakes: all of them, in order, with positions. */
	path = fixture("errors.yaml");
	conf_init(&c);
	n = 0;
	is_int(conf_load(&c, path, &errs, &n), -1, "errors.yaml fails");
	is_int(n, 9, "errors.yaml: nine errors");
	if (n == 9) {
		static const char *const want[] = {
			"2:1: unknown option 'state' (did you mean 'states'?)",
			"4:9: events must be a list of strings, not a single value (write [a, b] or one "
			    "'- item' per line)",
			"5:20: bad severity 'urgent' for severity_modified (one of: critical, high, "
			    "medium, low, info)",
			"8:3: theme must be a single value, not a list",
			"9:16: bad duration '5 minutes' for state_refresh (a number with a unit: "
			    "90s, 5m, 1h30m, 1d)",
			"10:8: environment variable TFDRIFT_CONF_TEST_UNSET is not set (in "
			    "'${TFDRIFT_CONF_TEST_UNSET}/x.db'; use "
			    "${TFDRIFT_CONF_TEST_UNSET:-default} for a fallback)",
			"11:29: pipeline_principals: item 2 must be a string, not a mapping",
			"14:3: unknown key under sources 'gpc' (did you mean 'gcp'?)",
			"15:1: duplicate option 'severity_deleted' (first at line 6)",
		};
		size_t i;

		for (i = 0; i < n; i++) {
			char *w = xasprintf("%s:%s", path, want[i]);

			is_str(errs[i], w, "errors.yaml error %zu", i + 1);
			free(w);
		}
	} else {
		size_t i;

		for (i = 0; i < n; i++)
			diag("%s", errs[i]);
	}
	is_str(c.severity_deleted, "high", "errors.yaml: valid values still apply");
	is_str(c.severity_modified, "medium", "errors.yaml: invalid values leave the default");
	is_int(c.pipeline_principals.n, 0, "errors.yaml: a list with a bad item is not applied");
	yerrs_free(errs, n);
	conf_free(&c);
	free(path);

	conf_init(&c);
	errs = NULL;
	n = 0;
	is_int(conf_load(&c, "/nonexistent/tfdrift.yaml", &errs, &n), -1, "missing file fails");
	ok(n == 1 && strncmp(errs[0], "/nonexistent/tfdrift.yaml: ", 27) == 0,
	    "missing file: the message names it");
	yerrs_free(errs, n);
	conf_free(&c);
}

static void
test_env(void)
{
	struct conf c;
	char *e;

	setenv("TFDRIFT_T_BUCKET", "my-bucket", 1);
	setenv("TFDRIFT_T_EMPTY", "", 1);
	unsetenv("TFDRIFT_T_UNSET");
	is_int(load_str(&c,
	    "states:\n  - s3://${TFDRIFT_T_BUCKET}/prod.tfstate\n"
	    "  - \"${TFDRIFT_T_UNSET:-fallback}.tfstate\"\n"
	    "  - a${TFDRIFT_T_EMPTY}b\n"
	    "  - ${TFDRIFT_T_EMPTY:-dflt}\n"
	    "  - cost $5 $${NOT_EXPANDED}\n"
	    "theme: ${TFDRIFT_T_BUCKET}\n", &e), 0, "env: loads");
	if (*e)
		diag("%s", e);
	free(e);
	is_int(c.states.n, 5, "env: five states");
	if (c.states.n == 5) {
		is_str(c.states.v[0], "s3://my-bucket/prod.tfstate", "env: ${VAR} in a list item");
		is_str(c.states.v[1], "fallback.tfstate", "env: ${VAR:-default} when unset");
		is_str(c.states.v[2], "ab", "env: a set, empty variable expands to nothing");
		is_str(c.states.v[3], "dflt", "env: ${VAR:-default} when empty");
		is_str(c.states.v[4], "cost $5 ${NOT_EXPANDED}", "env: lone $ kept, $${ is literal");
	}
	is_str(c.theme, "my-bucket", "env: ${VAR} in a scalar option");
	/* Values holding a literal ${ and YAML specials survive the dump. */
	strlist_push(&c.pipeline_principals, "quote\" back\\slash ${x} # not a comment: yes");
	strlist_push(&c.pipeline_principals, "tab\tnewline\nbell\a é");
	strlist_push(&c.pipeline_principals, "nel\xc2\x85 ls\xe2\x80\xa8 bom\xef\xbb\xbf c1\xc2\x9f");
	strlist_push(&c.pipeline_principals, "  spaces  ");
	free(c.theme);
	c.theme = xstrdup("- [not, a, list]");
	round_trip(&c, "odd strings");
	conf_free(&c);
	unsetenv("TFDRIFT_T_BUCKET");
	unsetenv("TFDRIFT_T_EMPTY");
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
}

static void
test_find(void)
{
	char tmpl[] = "/tmp/test_conf.XXXXXX", cwd[PATH_MAX], *dir, *p, *xdgfile, *homefile;

	if (getcwd(cwd, sizeof cwd) == NULL || (dir = mkdtemp(tmpl)) == NULL) {
		ok(0, "conf_find: temp dir");
		return;
	}
	ok(chdir(dir) == 0, "conf_find: chdir to a temp dir");
	mkdir("xdg", 0700);
	mkdir("xdg/tfdrift", 0700);
	mkdir("home", 0700);
	mkdir("home/.config", 0700);
	mkdir("home/.config/tfdrift", 0700);
	xdgfile = xasprintf("%s/xdg/tfdrift/config.yaml", dir);
	homefile = xasprintf("%s/home/.config/tfdrift/config.yaml", dir);
	p = xasprintf("%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", p, 1);
	free(p);
	p = xasprintf("%s/home", dir);
	setenv("HOME", p, 1);
	free(p);

	p = conf_find(NULL);
	ok(p == NULL, "conf_find: no file anywhere gives NULL (defaults)");
	free(p);
	p = conf_find("explicit.yaml");
	is_str(p, "explicit.yaml", "conf_find: -c is used as given, even if missing");
	free(p);

	write_file(homefile, "theme: home\n");
	p = conf_find(NULL);
	ok(p == NULL, "conf_find: ~/.config is not used while XDG_CONFIG_HOME is set");
	free(p);
	unsetenv("XDG_CONFIG_HOME");
	p = conf_find(NULL);
	is_str(p, homefile, "conf_find: ~/.config/tfdrift/config.yaml without XDG_CONFIG_HOME");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative", 1);
	p = conf_find(NULL);
	is_str(p, homefile, "conf_find: a relative XDG_CONFIG_HOME is ignored");
	free(p);

	p = xasprintf("%s/xdg", dir);
	setenv("XDG_CONFIG_HOME", p, 1);
	free(p);
	write_file(xdgfile, "theme: xdg\n");
	p = conf_find(NULL);
	is_str(p, xdgfile, "conf_find: $XDG_CONFIG_HOME/tfdrift/config.yaml");
	free(p);

	mkdir("tfdrift.yaml.d", 0700);
	write_file("tfdrift.yaml", "theme: cwd\n");
	p = conf_find(NULL);
	is_str(p, "tfdrift.yaml", "conf_find: ./tfdrift.yaml comes before XDG");
	free(p);
	p = conf_find("other.yaml");
	is_str(p, "other.yaml", "conf_find: -c comes first");
	free(p);

	unlink("tfdrift.yaml");
	mkdir("tfdrift.yaml", 0700);
	p = conf_find(NULL);
	is_str(p, xdgfile, "conf_find: a directory named tfdrift.yaml is skipped");
	free(p);

	rmdir("tfdrift.yaml");
	rmdir("tfdrift.yaml.d");
	unlink(xdgfile);
	unlink(homefile);
	rmdir("xdg/tfdrift");
	rmdir("xdg");
	rmdir("home/.config/tfdrift");
	rmdir("home/.config");
	rmdir("home");
	ok(chdir(cwd) == 0, "conf_find: back to the start directory");
	ok(rmdir(dir) == 0, "conf_find: temp dir cleaned up");
	unsetenv("XDG_CONFIG_HOME");
	free(xdgfile);
	free(homefile);
}

/* freeze_windows: the list of mappings, its dump, and errors with line:column. */
static void
test_freeze(void)
{
	struct conf c;
	char *e;

	is_int(load_str(&c,
	    "severity_freeze_violation: critical\n"
	    "freeze_windows:\n"
	    "  - name: cab\n"
	    "    start: 2024-05-27T08:00:00Z\n"
	    "    end: \"2024-05-27T12:00:00+02:00\"\n"
	    "  - name: ${TFDRIFT_T_FZ:-iam}\n"
	    "    start: 2024-06-01T00:00:00Z\n"
	    "    end: 2024-06-08T00:00:00Z\n"
	    "    accounts: [\"111122223333\", \"4444*\"]\n"
	    "    projects: [corp-prod-*]\n"
	    "    regions:\n"
	    "      - eu-west-1\n"
	    "    resource_types: [aws_iam_*]\n", &e), 0, "freeze: two windows load");
	if (*e)
		diag("%s", e);
	free(e);
	is_str(c.severity_freeze, "critical", "freeze: severity_freeze_violation");
	is_int(c.nfreezes, 2, "freeze: two windows");
	if (c.nfreezes == 2) {
		is_str(c.freezes[0].name, "cab", "freeze: name");
		is_int(c.freezes[0].start_ms, 1716796800000LL, "freeze: start");
		is_int(c.freezes[0].end_ms, 1716804000000LL, "freeze: end with an offset, in UTC");
		ok(c.freezes[0].accounts.n + c.freezes[0].regions.n + c.freezes[0].resource_types.n == 0,
		    "freeze: no scope is any");
		is_str(c.freezes[1].name, "iam", "freeze: ${VAR:-default} in a name");
		ok(c.freezes[1].accounts.n == 2 && c.freezes[1].projects.n == 1 &&
		    c.freezes[1].regions.n == 1 && strcmp(c.freezes[1].resource_types.v[0], "aws_iam_*") == 0,
		    "freeze: scope lists");
		ok(c.freezes[1].origin == FO_CONFIG, "freeze: origin config");
	}
	round_trip(&c, "freeze");
	conf_free(&c);
	is_int(load_str(&c, "freeze_windows: []\n", &e), 0, "freeze: [] is none");
	ok(c.nfreezes == 0, "freeze: none");
	free(e);
	conf_free(&c);

	one_error("freeze_windows: cab\n",
	    "t.yaml:1:17: freeze_windows must be a list of mappings (- name: ..., start: ..., end: "
	    "...), not a single value", "freeze: not a list");
	one_error("freeze_windows:\n  - cab\n",
	    "t.yaml:2:5: freeze_windows item 1 must be a mapping (name:, start:, end:, and optional "
	    "accounts:, projects:, regions:, resource_types:), not a single value", "freeze: item not a mapping");
	one_error("freeze_windows:\n  - name: a\n    start: 2024-05-27T08:00:00Z\n    ends: 2024-05-27T09:00:00Z\n",
	    "t.yaml:4:5: unknown key in freeze_windows item 1 'ends' (did you mean 'end'?)", "freeze: unknown key");
	one_error("freeze_windows:\n  - start: 2024-05-27T08:00:00Z\n    end: 2024-05-27T09:00:00Z\n",
	    "t.yaml:2:5: freeze_windows item 1 has no name (name: is required)", "freeze: no name");
	one_error("freeze_windows:\n  - name: a\n    start: 2024-05-27T08:00:00Z\n    end: 2024-05-27T08:00:00Z\n",
	    "t.yaml:4:10: freeze_windows item 1 (a): the end is not after the start", "freeze: end not after start");
	one_error("freeze_windows:\n  - name: a\n    start: tomorrow\n    end: 2024-05-27T08:00:00Z\n",
	    "t.yaml:3:12: freeze_windows item 1: bad start time 'tomorrow' (RFC 3339, e.g. "
	    "2024-05-27T08:00:00Z)", "freeze: bad time");
	one_error("freeze_windows:\n  - name: a\n    start: 2024-05-27T08:00:00Z\n    end: 2024-05-27T09:00:00Z\n"
	    "    regions: eu-west-1\n",
	    "t.yaml:5:14: freeze_windows item 1: regions must be a list of strings, not a single value "
	    "(write [a, b] or one '- item' per line)", "freeze: scope not a list");
	one_error("freeze_windows:\n  - name: a\n    start: 2024-05-27T08:00:00Z\n    end: 2024-05-27T09:00:00Z\n"
	    "    accounts: [[1]]\n",
	    "t.yaml:5:16: freeze_windows item 1: accounts: item 1 must be a string, not a list",
	    "freeze: scope item not a string");
	one_error("freeze_windows:\n  - name: [a]\n    start: 2024-05-27T08:00:00Z\n    end: 2024-05-27T09:00:00Z\n",
	    "t.yaml:2:11: freeze_windows item 1: name must be a single value, not a list", "freeze: name not a scalar");
	one_error("freeze_windows:\n  - name: a\n    start: 2024-05-27T08:00:00Z\n    end: 2024-05-27T09:00:00Z\n"
	    "  - name: a\n    start: 2024-05-28T08:00:00Z\n    end: 2024-05-28T09:00:00Z\n",
	    "t.yaml:5:11: freeze_windows item 2: duplicate window name 'a' (names must be unique: give "
	    "each its own, e.g. a-2)", "freeze: duplicate name");
	one_error("freeze_windows:\n  - name: a\n    name: b\n    start: 2024-05-27T08:00:00Z\n    end: 2024-05-27T09:00:00Z\n",
	    "t.yaml:3:5: duplicate key in freeze_windows item 1 'name' (first at line 2)", "freeze: duplicate key");
	/* Every bad item is reported, and the good ones are not half-applied. */
	is_int(load_str(&c, "freeze_windows:\n  - name: ok\n    start: 2024-05-27T08:00:00Z\n"
	    "    end: 2024-05-27T09:00:00Z\n  - name: x\n  - name: y\n    colour: red\n", &e), 3,
	    "freeze: all the errors at once (%s)", e);
	is_int(c.nfreezes, 0, "freeze: a list with errors applies nothing");
	free(e);
	conf_free(&c);
}

/* sources: live collectors. */
static void
test_sources(void)
{
	struct conf c;
	char *got;
	size_t n;

	n = load_str(&c,
	    "sources:\n"
	    "  aws:\n"
	    "    - name: prod\n"
	    "      profile: prod\n"
	    "      regions: [eu-west-1, us-east-1]\n"
	    "      poll_interval: 90s\n"
	    "      lookback: 1h\n"
	    "      max_pages: 20\n"
	    "      endpoint: http://127.0.0.1:4570\n"
	    "    - name: org\n"
	    "      sqs_queue: https://sqs.eu-west-1.amazonaws.com/111122223333/cloudtrail-events\n"
	    "  gcp:\n"
	    "    - name: corp\n"
	    "      project: corp-prod-4411\n"
	    "      endpoint: http://127.0.0.1:4571\n"
	    "      data_access: yes\n"
	    "  files: [recorded/*.json.gz]\n", &got);
	is_int(n, 0, "sources: the issue's example loads");
	if (n)
		diag("%s", got);
	free(got);
	is_int((int)c.sources.naws, 2, "two AWS sources");
	is_int((int)c.sources.ngcp, 1, "one GCP source");
	if (c.sources.naws == 2 && c.sources.ngcp == 1) {
		const struct conf_aws_source *a = &c.sources.aws[0], *q = &c.sources.aws[1];
		const char *regions[] = { "eu-west-1", "us-east-1" };

		is_str(a->name, "prod", "name");
		is_str(a->profile, "prod", "profile");
		ok(list_is(&a->regions, regions, 2), "regions");
		ok(a->poll_interval_ms == 90000 && a->lookback_ms == 3600000, "poll_interval, lookback");
		is_str(a->endpoint, "http://127.0.0.1:4570", "endpoint");
		ok(q->poll_interval_ms == 60000 && q->lookback_ms == 900000, "defaults: 60s, 15m");
		ok(a->max_pages == 20 && q->max_pages == 1000, "max_pages: 20, default 1000");
		ok(c.sources.gcp[0].max_pages == 1000, "GCP max_pages default 1000");
		is_str(q->sqs_region, "eu-west-1", "the queue's region comes from its URL");
		is_str(c.sources.gcp[0].project, "corp-prod-4411", "GCP project");
		ok(c.sources.gcp[0].data_access == 1, "data_access: yes");
		ok(c.sources.gcp[0].poll_interval_ms == 30000, "GCP default poll interval 30s");
		is_int((int)c.sources.files.n, 1, "files");
		round_trip(&c, "sources");
	}
	conf_free(&c);
	/* FIPS and China queue URLs name their region too. */
	n = load_str(&c, "sources:\n  aws:\n    - name: gov\n      sqs_queue: "
	    "https://sqs-fips.us-gov-west-1.amazonaws.com/111122223333/q\n    - name: cn\n"
	    "      sqs_queue: https://sqs.cn-north-1.amazonaws.com.cn/111122223333/q\n", &got);
	is_int(n, 0, "sources: FIPS and China queue URLs load");
	free(got);
	if (n == 0 && c.sources.naws == 2) {
		is_str(c.sources.aws[0].sqs_region, "us-gov-west-1", "sqs-fips.REGION: the region");
		is_str(c.sources.aws[1].sqs_region, "cn-north-1", "sqs.REGION.amazonaws.com.cn");
	}
	conf_free(&c);

	one_error("sources:\n  aws:\n    - name: p\n      regoins: [eu-west-1]\n",
	    "t.yaml:4:7: unknown key in sources.aws item 1 'regoins' (did you mean 'regions'?)",
	    "sources: a misspelt key");
	one_error("sources:\n  aws:\n    - name: p\n      regions: [x]\n      poll_interval: 100ms\n",
	    "t.yaml:5:22: sources.aws item 1: poll_interval 100ms is too short (at least 1s)",
	    "sources: a poll interval below the API's rate");
	one_error("sources:\n  aws:\n    - name: p\n      regions: [x]\n      endpoint: ftp://h\n",
	    "t.yaml:5:17: sources.aws item 1: endpoint 'ftp://h' is not an http:// or https:// URL",
	    "sources: a bad endpoint URL");
	one_error("sources:\n  aws:\n    - name: p\n",
	    "t.yaml:3:7: sources.aws item 1 (p): give regions: [eu-west-1, us-east-1] to poll "
	    "CloudTrail, or sqs_queue: URL to read a queue", "sources: nothing to read");
	one_error("sources:\n  aws:\n    - regions: [x]\n",
	    "t.yaml:3:7: sources.aws item 1 has no name (name: prod; it labels the source in the "
	    "dashboard and in findings)", "sources: no name");
	one_error("sources:\n  gcp:\n    - name: g\n",
	    "t.yaml:3:7: sources.gcp item 1 (g) has no project (project: my-project-id), or "
	    "pubsub_subscription: projects/P/subscriptions/S to pull a Logging sink's subscription",
	    "sources: GCP without a project or a subscription");
	one_error("sources:\n  gcp:\n    - name: g\n      pubsub_subscription: corp/sub\n",
	    "t.yaml:3:7: sources.gcp item 1 (g): pubsub_subscription must read "
	    "projects/PROJECT/subscriptions/NAME, got \"corp/sub\"", "sources: a bad subscription");
	one_error("sources:\n  aws:\n    - name: x\n      regions: [r]\n  gcp:\n    - name: x\n"
	    "      project: p\n", "t.yaml:6:7: duplicate source name 'x' (each source needs its own: "
	    "it keys the cursor in the store)", "sources: duplicate names");
	one_error("sources:\n  azure: []\n", "t.yaml:2:3: unknown key under sources 'azure' (expected aws, gcp, files or falco)",
	    "sources: an unknown provider");
	one_error("sources: [aws]\n", "t.yaml:1:10: sources must be a mapping (aws:, gcp:, files:), "
	    "not a list", "sources: not a mapping");
	one_error("sources:\n  gcp:\n    - name: g\n      project: p\n      max_pages: 0\n",
	    "t.yaml:5:18: sources.gcp item 1: max_pages '0' is not a whole number from 1 to 1000000",
	    "sources: max_pages 0");
	one_error("sources:\n  aws:\n    - name: p\n      regions: [x]\n      max_pages: 10k\n",
	    "t.yaml:5:18: sources.aws item 1: max_pages '10k' is not a whole number from 1 to 1000000",
	    "sources: max_pages not a number");
	one_error("sources:\n  gcp:\n    - name: g\n      project: p\n      data_access: maybe\n",
	    "t.yaml:5:20: sources.gcp item 1: data_access must be true or false, not 'maybe'",
	    "sources: a bad boolean");
}

/* user: who decisions are made as; else $USER. */
static void
test_user(void)
{
	struct conf c;
	char *errs;

	setenv("USER", "zed", 1);
	is_int((int)load_str(&c, "theme: default\n", &errs), 0, "no user: loads");
	is_str(conf_user(&c), "zed", "user: absent: $USER");
	conf_free(&c);
	free(errs);
	is_int((int)load_str(&c, "user: \"\"\n", &errs), 0, "user: empty loads");
	is_str(conf_user(&c), "zed", "user: empty: $USER");
	conf_free(&c);
	free(errs);
	is_int((int)load_str(&c, "user: oncall-alice\n", &errs), 0, "user: a name loads");
	is_str(conf_user(&c), "oncall-alice", "user: the name given, not $USER");
	conf_free(&c);
	free(errs);
	is_int((int)load_str(&c, "user: \"bob\\tx\"\n", &errs), 1, "user: a tab inside is refused");
	ok(strstr(errs, "user must be a name without control characters") != NULL, "saying why: %s",
	    errs);
	conf_free(&c);
	free(errs);
}

int
main(void)
{
	const char *top = getenv("TOP_SRCDIR");

	if (realpath(top != NULL && *top ? top : ABS_TOP_SRCDIR, srcdir) == NULL) {
		printf("Bail out! cannot resolve TOP_SRCDIR\n");
		return 1;
	}
	test_table();
	test_user();
	test_defaults();
	test_full();
	test_errors();
	test_freeze();
	test_sources();
	test_env();
	test_find();
	return done_testing();
}
