/* cmd_blame: tfdrift blame, who caused the drift a plan found (blame_run, src/blame.c, does the
 * explaining). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blame.h"
#include "cmd.h"
#include "conf.h"
#include "util.h"

/* The options of tfdrift blame; blame_run (src/blame.c) does the rest. */
static int
blame_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ "store", required_argument, NULL, 'D' },
		{ "events", required_argument, NULL, 'e' },
		{ "state", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "config", required_argument, NULL, 'c' },
		{ "event-maps", required_argument, NULL, 'm' },
		{ "max-events", required_argument, NULL, 'M' },
		{ "until", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct blame_opts o;
	const char *format = NULL;
	size_t i;
	int ch, rc = 0;

	memset(&o, 0, sizeof o);
	o.config = cli_global_config;
	o.max_events = BLAME_DEFAULT_MAX_EVENTS;
	o.until_ms = -1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "p:e:s:f:o:qc:m:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'p': o.plan = optarg; break;
		case 'D': o.store = optarg; break;
		case 'e': strlist_push(&o.events, optarg); break;
		case 's': strlist_push(&o.states, optarg); break;
		case 'f': format = optarg; break;
		case 'o': o.output = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'c': o.config = optarg; break;
		case 'm': o.event_maps = optarg; break;
		case 'M': {
			char *end = NULL;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' || optarg[0] == '-' ||
			    v > 1000000000ULL) {
				rc = cli_usage_error("blame", "--max-events %s: expected a number of "
				    "events (0: all)", optarg);
				goto out;
			}
			o.max_events = (size_t)v;
			break;
		}
		case 'U':
			if (cli_time_opt("blame", "until", optarg, -1, &o.until_ms) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case 'h':
			cli_help(stdout, "blame");
			goto out;
		default:
			rc = cli_opt_error("blame", argv);
			goto out;
		}
	}
	for (i = (size_t)optind; i < (size_t)argc; i++)
		strlist_push(&o.events, argv[i]);
	if (o.plan == NULL) {
		rc = cli_usage_error("blame", "--plan PLAN.json is required (terraform show -json "
		    "of a plan)");
		goto out;
	}
	if (o.store == NULL && o.events.n == 0) {
		rc = cli_usage_error("blame", "say where the events are: --store STORE (the events "
		    "watch and scan --store saw) or --events FILE...");
		goto out;
	}
	if (format == NULL)
		o.json = !(isatty(STDOUT_FILENO) && o.output == NULL);
	else if (strcmp(format, "json") == 0 || strcmp(format, "text") == 0)
		o.json = strcmp(format, "json") == 0;
	else {
		fprintf(stderr, "tfdrift: --format %s: expected json or text\n", format);
		rc = 1;
		goto out;
	}
	rc = blame_run(&o);
out:
	strlist_clear(&o.events);
	strlist_clear(&o.states);
	return rc;
}

const struct cli_cmd cli_cmd_blame = {
	.name = "blame",
	.args = "--plan PLAN.json (--store STORE | --events FILE...) [FILE...] [OPTIONS]",
	.summary = "Who caused the drift a refresh-only plan found.\n"
	    "For each changed attribute, the\n"
	    "audit events that explain it, newest first, or that no recorded event does. Make\n"
	    "the plan with terraform plan -refresh-only -out=plan.tfplan and\n"
	    "terraform show -json plan.tfplan > plan.json.",
	.opts = cli_opts_blame,
	.more = "An event explains a change when it set the attribute to the plan's new value\n"
	    "(match \"value\"), or, weaker, changed it without the log carrying the value\n"
	    "(\"attribute\") or changed the resource without the log naming the attribute\n"
	    "(\"resource\"); a deleted resource is explained by the call that deleted it\n"
	    "(\"delete\"). Failed calls explain nothing. Sensitive values print as (sensitive).\n"
	    "\n"
	    "exit status: 0 every drift explained (or no drift), 2 some unexplained, 1 error\n",
	.exec = blame_exec,
};
