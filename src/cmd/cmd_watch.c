/* cmd_watch: tfdrift watch, the headless live mode (watch_run, src/watch.c, does the watching). */
#include "config.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "conf.h"
#include "metrics.h"
#include "output.h"
#include "util.h"
#include "watch.h"

/* The options of tfdrift watch; watch_run (src/watch.c) does the rest. */
static int
watch_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "format", required_argument, NULL, 'f' },
		{ "once", no_argument, NULL, '1' },
		{ "store", required_argument, NULL, 'D' },
		{ "state", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'e' },
		{ "event-maps", required_argument, NULL, 'm' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "once-timeout", required_argument, NULL, 'T' },
		{ "lease-ttl", required_argument, NULL, 'L' },
		{ "metrics", required_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch_opts o;
	int64_t since = INT64_MIN, until = INT64_MAX;
	int ch, rc = 1;

	memset(&o, 0, sizeof o);
	o.config = cli_global_config;
	o.format = OUT_JSONL;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:f:s:e:m:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.config = optarg; break;
		case 'f':
			if (out_format_parse(optarg, &o.format) != 0 ||
			    (o.format != OUT_JSONL && o.format != OUT_TEXT)) {
				rc = cli_usage_error("watch", "--format %s: expected jsonl or text", optarg);
				goto out;
			}
			break;
		case '1': o.once = 1; break;
		case 'D': o.store = optarg; break;
		case 's': strlist_push(&o.states, optarg); break;
		case 'e': strlist_push(&o.events, optarg); break;
		case 'm': o.event_maps = optarg; break;
		case 'S':
		case 'U':
			/* A backfill is of the past: both bounds look back from now. */
			if (cli_time_opt("watch", ch == 'S' ? "since" : "until", optarg, -1,
			    ch == 'S' ? &since : &until) != 0) {
				rc = CLI_EXIT_USAGE;
				goto out;
			}
			break;
		case 'T':
			if (tf_parse_duration(optarg, &o.once_timeout_ms) != 0 || o.once_timeout_ms <= 0) {
				rc = cli_usage_error("watch", "--once-timeout %s: expected a duration "
				    "(30s, 2m, 1h)", optarg);
				goto out;
			}
			break;
		case 'L':
			/* Workers: the heartbeat is half of it, so at least 2 ms. */
			if (tf_parse_duration(optarg, &o.lease_ttl_ms) != 0 || o.lease_ttl_ms < 2) {
				rc = cli_usage_error("watch", "--lease-ttl %s: expected a duration "
				    "(30s, 2m, 500ms)", optarg);
				goto out;
			}
			break;
		case 'M': {
			char *host = NULL, *err = NULL;
			unsigned port;

			if (metrics_addr_parse(optarg, &host, &port, &err) != 0) {
				rc = cli_usage_error("watch", "--metrics %s", err);
				free(err);
				goto out;
			}
			free(host);
			o.metrics = optarg;
			break;
		}
		case 'h': cli_help(stdout, "watch"); rc = 0; goto out;
		default: rc = cli_opt_error("watch", argv); goto out;
		}
	}
	if (optind < argc) {
		rc = cli_usage_error("watch", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (cli_check_window("watch", since, until) != 0) {
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (o.once_timeout_ms > 0 && !o.once) {
		rc = cli_usage_error("watch", "--once-timeout goes with --once");
		goto out;
	}
	o.since_ms = since != INT64_MIN ? since : 0;   /* 0: not given (sources.h) */
	o.until_ms = until != INT64_MAX ? until : 0;
	rc = watch_run(&o);
out:
	strlist_clear(&o.states);
	strlist_clear(&o.events);
	return rc;
}


const struct cli_cmd cli_cmd_watch = {
	.name = "watch",
	.args = "[OPTIONS]",
	.summary = "The configured live sources, findings as they appear.\n"
	    "Runs the configured sources (sources: in the config; --events adds files) against\n"
	    "the states (states:; --state adds) and prints findings as they appear, one JSON\n"
	    "object per line. Findings and cursors go to the store. SIGTERM / SIGINT stop\n"
	    "cleanly after checkpointing; SIGHUP reloads the config and the states (the\n"
	    "sources keep their cursors). Under systemd: doc/tfdrift-watch.service.",
	.opts = cli_opts_watch,
	.more = "exit status (--once): 0 no drift, 2 drift found, 1 error\n",
	.exec = watch_exec,
};
