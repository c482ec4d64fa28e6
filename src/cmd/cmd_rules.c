/* cmd_rules: tfdrift rules check, test and coverage: rule files and event maps. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd.h"
#include "cmdtab.h"
#include "conf.h"
#include "coverage.h"
#include "eventmap.h"
#include "rules.h"
#include "util.h"
#include "yamlutil.h"

/* Collect *.yaml under a directory, or the file itself. */
static void
collect_yaml(const char *path, struct strlist *files, int *bad)
{
	struct stat st;
	struct dirent **ents;
	int n, i;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "tfdrift: %s: %s\n", path, strerror(errno));
		(*bad)++;
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		strlist_push(files, path);
		return;
	}
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "tfdrift: %s: %s\n", path, strerror(errno));
		(*bad)++;
		return;
	}
	for (i = 0; i < n; i++) {
		if (tf_str_has_suffix(ents[i]->d_name, ".yaml") || tf_str_has_suffix(ents[i]->d_name, ".yml")) {
			char *p = xasprintf("%s/%s", path, ents[i]->d_name);

			strlist_push(files, p);
			free(p);
		}
		free(ents[i]);
	}
	free(ents);
}

/* Is a file a rule file (top-level rules:) rather than an event map? Unreadable files go to
 * the event-map checker, which reports them. */
static int
is_rule_file(const char *path)
{
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	int yes;

	if (tf_read_file(path, TF_FILE_DEFINITION, &buf, &len, &err) != 0) {
		free(err);
		return 0;
	}
	yes = rules_sniff(buf, len);
	free(buf);
	return yes;
}

/* tfdrift rules coverage: the event maps (not rule files) of PATH..., or the configured ones. */
static int
cmd_rules_coverage(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "service", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct strlist files = { 0 };
	struct eventmap *m;
	struct conf conf;
	enum cov_format fmt = COV_TEXT;
	const char *only = NULL;
	char **errs = NULL;
	size_t nerrs = 0, i;
	int c, bad = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "f:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cov_format_parse(optarg, &fmt) != 0)
				return cli_usage_error("rules coverage", "--format %s: expected text, "
				    "json or tsv", optarg);
			break;
		case 's': only = optarg; break;
		case 'h': cli_help(stdout, "rules coverage"); return 0;
		default: return cli_opt_error("rules coverage", argv);
		}
	}
	if (cli_load_conf(&conf, NULL) != 0)
		return 1;
	if (optind >= argc)
		collect_yaml(conf_event_maps_dir(&conf), &files, &bad);
	for (; optind < argc; optind++)
		collect_yaml(argv[optind], &files, &bad);
	m = eventmap_new();
	for (i = 0; i < files.n; i++)
		if (!is_rule_file(files.v[i]))
			eventmap_load_file(m, files.v[i], &errs, &nerrs);
	cli_print_errs(errs, nerrs);
	if (nerrs == 0 && bad == 0) {
		size_t k;

		for (k = 0; only != NULL && k < eventmap_count(m); k++)
			if (cov_service_match(eventmap_entry(m, k)->service, only))
				break;
		if (only != NULL && k == eventmap_count(m)) {
			fprintf(stderr, "tfdrift: no event map for service %s\n", only);
			bad++;
		}
		if (bad == 0)
			eventmap_coverage_write(m, only, fmt, stdout);
	} else
		fprintf(stderr, "tfdrift: %zu error%s; see tfdrift rules check\n", nerrs + (size_t)bad,
		    nerrs + (size_t)bad == 1 ? "" : "s");
	yerrs_free(errs, nerrs);
	eventmap_free(m);
	strlist_clear(&files);
	conf_free(&conf);
	return nerrs == 0 && bad == 0 ? 0 : 1;
}

static int
cmd_rules(int argc, char **argv)
{
	struct strlist files = { 0 }, rfiles = { 0 }, mfiles = { 0 };
	struct eventmap *m = NULL;
	struct rules *r = NULL;
	struct conf conf;
	char **errs = NULL;
	size_t nerrs = 0, i, npass = 0, nfail = 0;
	int bad = 0, a0, test;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "rules");
		return 0;
	}
	if (argc >= 2 && strcmp(argv[1], "coverage") == 0)
		return cmd_rules_coverage(argc - 1, argv + 1);
	if (argc < 2)
		return cli_usage_error("rules", "expected check, test or coverage");
	if (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "test") != 0)
		return cli_usage_error("rules", "unknown subcommand '%s'", argv[1]);
	test = strcmp(argv[1], "test") == 0;
	/* No options but --help: a PATH that looks like one is a mistake. */
	for (a0 = 2; a0 < argc; a0++) {
		if (strcmp(argv[a0], "-h") == 0 || strcmp(argv[a0], "--help") == 0) {
			cli_help(stdout, test ? "rules test" : "rules check");
			return 0;
		}
		if (argv[a0][0] == '-' && argv[a0][1] != '\0')
			return cli_usage_error(test ? "rules test" : "rules check",
			    "unknown option %s", argv[a0]);
	}
	if (cli_load_conf(&conf, NULL) != 0)
		return 1;
	if (argc <= 2) {
		if (!test)
			collect_yaml(conf_event_maps_dir(&conf), &mfiles, &bad);
		if (conf.rules_dirs.n == 0) {
			char *dir = xasprintf("%s/rules", tf_datadir());

			collect_yaml(dir, &files, &bad);
			free(dir);
		}
		for (i = 0; i < conf.rules_dirs.n; i++)
			collect_yaml(conf.rules_dirs.v[i], &files, &bad);
	}
	for (a0 = 2; a0 < argc; a0++)
		collect_yaml(argv[a0], &files, &bad);
	for (i = 0; i < files.n; i++)
		strlist_push(is_rule_file(files.v[i]) ? &rfiles : &mfiles, files.v[i]);
	r = rules_new();
	for (i = 0; i < rfiles.n; i++)
		rules_load_file(r, rfiles.v[i], &errs, &nerrs);
	rules_finish(r);
	if (!test) {
		m = eventmap_new();
		for (i = 0; i < mfiles.n; i++)
			eventmap_load_file(m, mfiles.v[i], &errs, &nerrs);
	} else if (mfiles.n > 0 && argc > 2) {
		for (i = 0; i < mfiles.n; i++)
			fprintf(stderr, "tfdrift: %s: not a rule file (no top-level rules:)\n",
			    mfiles.v[i]);
		bad += (int)mfiles.n;
	}
	cli_print_errs(errs, nerrs);
	if (test && nerrs == 0 && bad == 0) {
		nfail = rules_run_tests(r, stdout, &npass);
		printf("%s: %zu test%s passed, %zu failed, in %zu rule%s\n", nfail ? "FAIL" : "ok",
		    npass, npass == 1 ? "" : "s", nfail, rules_count(r), rules_count(r) == 1 ? "" : "s");
	} else if (nerrs == 0 && bad == 0) {
		if (mfiles.n > 0 || rfiles.n == 0)
			printf("ok: %zu event map entr%s in %zu file%s\n", eventmap_count(m),
			    eventmap_count(m) == 1 ? "y" : "ies", mfiles.n, mfiles.n == 1 ? "" : "s");
		if (rfiles.n > 0)
			printf("ok: %zu rule%s (%zu test%s) in %zu file%s\n", rules_count(r),
			    rules_count(r) == 1 ? "" : "s", rules_test_count(r),
			    rules_test_count(r) == 1 ? "" : "s", rfiles.n, rfiles.n == 1 ? "" : "s");
	} else
		fprintf(stderr, "tfdrift: %zu error%s\n", nerrs + (size_t)bad,
		    nerrs + (size_t)bad == 1 ? "" : "s");
	yerrs_free(errs, nerrs);
	eventmap_free(m);
	rules_unref(r);
	strlist_clear(&files);
	strlist_clear(&rfiles);
	strlist_clear(&mfiles);
	conf_free(&conf);
	return nerrs == 0 && bad == 0 && nfail == 0 ? 0 : 1;
}
const struct cli_cmd cli_cmd_rules = {
	.name = "rules",
	.args = "check|test|coverage ...",
	.summary = "Rule files and event maps: tfdrift rules check, test, coverage.",
	.opts = cli_opts_help_only,
	.exec = cmd_rules,
};

const struct cli_cmd cli_cmd_rules_check = {
	.name = "rules check",
	.args = "[PATH...]",
	.summary = "Validates rule files and event maps.\n"
	    "Rule files have a top-level rules: list; every error comes with file:line:column.\n"
	    "Default: the configured rules_dirs and event_maps.",
	.opts = cli_opts_help_only,
	.exec = NULL,          /* run by its parent (rules) */
};

const struct cli_cmd cli_cmd_rules_test = {
	.name = "rules test",
	.args = "[PATH...]",
	.summary = "Runs the tests embedded in rule files (tests:).\n"
	    "One line per test; exit 1 on a failure.\n"
	    "Default: the configured rules_dirs.",
	.opts = cli_opts_help_only,
	.exec = NULL,          /* run by its parent (rules) */
};

const struct cli_cmd cli_cmd_rules_coverage = {
	.name = "rules coverage",
	.args = "[OPTIONS] [PATH...]",
	.summary = "What the event maps watch, per service.\n"
	    "The events, the resource types they touch and the attributes compared.\n"
	    "Default: the configured event_maps.",
	.opts = cli_opts_coverage,
	.exec = NULL,          /* run by its parent (rules) */
};
