/* cmd_ui: tfdrift ui and tfdrift demo, the dashboard (ui_dashboard, src/ui/app.c, runs it). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "ui/ui.h"
#include "util.h"

/* The options of tfdrift ui and demo; ui_dashboard (src/ui/app.c) does the rest. */
static int
dashboard_exec(int argc, char **argv, int demo)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'e' },
		{ "store", required_argument, NULL, 'D' },
		{ "readonly", no_argument, NULL, 'R' },
		{ "config", required_argument, NULL, 'c' },
		{ "event-maps", required_argument, NULL, 'm' },
		{ "theme", required_argument, NULL, 'T' },
		{ "max-iterations", required_argument, NULL, 'I' },
		{ "pace", required_argument, NULL, 'P' },
		{ "passes", required_argument, NULL, 'N' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "export-dir", required_argument, NULL, 'X' },
		{ "findings", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ui_opts o;
	const char *env;
	char *end;
	int ch, rc = 1;
	int64_t since = INT64_MIN, until = INT64_MAX;

	memset(&o, 0, sizeof o);
	o.demo = demo;
	o.config = cli_global_config;
	/* The demo is paced and loops forever; a replay of files goes once, as fast as it can. */
	o.pace_ms = demo ? 60000 : 0;
	o.passes = demo ? 0 : 1;
	if ((env = getenv("TFDRIFT_UI_ITERATIONS")) != NULL && *env != '\0')
		o.max_iterations = strtoul(env, NULL, 10);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "s:e:c:m:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': strlist_push(&o.states, optarg); break;
		case 'e': strlist_push(&o.events, optarg); break;
		case 'D': o.store = optarg; break;
		case 'R': o.readonly = 1; break;
		case 'c': o.config = optarg; break;
		case 'm': o.event_maps = optarg; break;
		case 'T': o.theme = optarg; break;
		case 'I':
			errno = 0;
			o.max_iterations = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg) {
				rc = cli_usage_error(demo ? "demo" : "ui", "--max-iterations %s: expected a number", optarg);
				goto out;
			}
			break;
		case 'P':
			if (tf_parse_duration(optarg, &o.pace_ms) != 0) {
				rc = cli_usage_error(demo ? "demo" : "ui", "--pace %s: expected a duration (60s, 2m)", optarg);
				goto out;
			}
			break;
		case 'N':
			o.passes = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || end == optarg) {
				rc = cli_usage_error(demo ? "demo" : "ui", "--passes %s: expected a number (0 = forever)",
				    optarg);
				goto out;
			}
			break;
		case 'S':
		case 'U':
			if (cli_time_opt(demo ? "demo" : "ui", ch == 'S' ? "since" : "until", optarg,
			    -1, ch == 'S' ? &since : &until) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case 'F': strlist_push(&o.findings, optarg); break;
		case 'X':
			o.export_dir = optarg;
			break;
		case 'h':
			cli_help(stdout, demo ? "demo" : "ui");
			rc = 0;
			goto out;
		default:
			rc = cli_opt_error(demo ? "demo" : "ui", argv);
			goto out;
		}
	}
	if (cli_check_window(demo ? "demo" : "ui", since, until) != 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	o.since_ms = since != INT64_MIN ? since : 0;   /* 0: not given (replay.h) */
	o.until_ms = until != INT64_MAX ? until : 0;
	if (optind < argc) {
		rc = cli_usage_error(demo ? "demo" : "ui", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	rc = ui_dashboard(&o);
out:
	strlist_clear(&o.states);
	strlist_clear(&o.events);
	strlist_clear(&o.findings);
	return rc;
}

static int
demo_exec(int argc, char **argv)
{
	return dashboard_exec(argc, argv, 1);
}

static int
ui_exec(int argc, char **argv)
{
	return dashboard_exec(argc, argv, 0);
}

const struct cli_cmd cli_cmd_demo = {
	.name = "demo",
	.args = "[OPTIONS]",
	.summary = "The dashboard on a built-in example estate, replayed live.\n"
	    "An AWS and GCP estate and a morning of its audit events, replayed at a pace with\n"
	    "their times moved to now, forever.",
	.opts = cli_opts_demo,
	.exec = demo_exec,
};

const struct cli_cmd cli_cmd_ui = {
	.name = "ui",
	.args = "--state SRC... --events FILE... [OPTIONS]",
	.summary = "The dashboard on recorded events (also: tfdrift --state ...).\n"
	    "The files are read while you look; without files, the configured live sources;\n"
	    "--store STORE without events: the store's findings as other processes save them,\n"
	    "and decisions made anywhere, with who made them, within a second.",
	.opts = cli_opts_ui,
	.exec = ui_exec,
};
