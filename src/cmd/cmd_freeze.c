/* cmd_freeze: tfdrift freeze add, list and end: change-freeze windows kept in the store. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmdtab.h"
#include "conf.h"
#include "freeze.h"
#include "store.h"
#include "util.h"

/* One line of `freeze list`: status, name, times, time left, origin, scope. */
static void
freeze_print(FILE *fp, const struct freeze_window *w, int64_t now)
{
	char *desc = freeze_window_describe(w), left[32], status[48];

	if (freeze_window_contains(w, now)) {
		freeze_format_left(w->end_ms - now, left);
		snprintf(status, sizeof status, "active (%s left)", left);
	} else if (w->start_ms > now) {
		freeze_format_left(w->start_ms - now, left);
		snprintf(status, sizeof status, "planned (in %s)", left);
	} else
		snprintf(status, sizeof status, "ended");
	fprintf(fp, "%-22s %s  [%s%s%s]\n", status, desc, freeze_origin_name(w->origin),
	    w->created_by != NULL ? " by " : "", w->created_by != NULL ? w->created_by : "");
	free(desc);
}

/* tfdrift freeze add|list|end: change-freeze windows kept in the store. */
static int
cmd_freeze(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 'D' },
		{ "from", required_argument, NULL, 'f' },
		{ "until", required_argument, NULL, 'U' },
		{ "account", required_argument, NULL, 'a' },
		{ "project", required_argument, NULL, 'p' },
		{ "region", required_argument, NULL, 'r' },
		{ "type", required_argument, NULL, 't' },
		{ "all", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sub, *storepath = NULL, *from_s = NULL, *until_s = NULL;
	char *cmdname = NULL, *by = NULL;
	struct freeze_window w, *ws = NULL;
	struct store *st = NULL;
	struct conf conf;
	int64_t now = tf_now_ms(), id = 0;
	size_t nws = 0, i;
	char *err = NULL;
	int ch, all = 0, rc = 0, cancelled = 0;

	memset(&w, 0, sizeof w);
	if (argc < 2)
		return cli_usage_error("freeze", "expected add, list or end");
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		cli_help(stdout, "freeze");
		return 0;
	}
	sub = argv[1];
	if (strcmp(sub, "add") != 0 && strcmp(sub, "list") != 0 && strcmp(sub, "end") != 0)
		return cli_usage_error("freeze", "unknown subcommand '%s'", sub);
	cmdname = xasprintf("freeze %s", sub);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': storepath = optarg; break;
		case 'f': from_s = optarg; break;
		case 'U': until_s = optarg; break;
		case 'a': strlist_push(&w.accounts, optarg); break;
		case 'p': strlist_push(&w.projects, optarg); break;
		case 'r': strlist_push(&w.regions, optarg); break;
		case 't': strlist_push(&w.resource_types, optarg); break;
		case 'A': all = 1; break;
		case 'h':
			cli_help(stdout, cmdname);
			goto done;
		default:
			rc = cli_opt_error(cmdname, argv + 1);
			goto done;
		}
	}
	argc--;
	argv++;
	if (strcmp(sub, "list") == 0) {
		if (optind != argc || from_s || until_s || w.accounts.n || w.projects.n ||
		    w.regions.n || w.resource_types.n) {
			rc = cli_usage_error(cmdname, optind != argc ? "unexpected argument '%s'" :
			    "only --all and --store go with list%s", optind != argc ? argv[optind] : "");
			goto done;
		}
		if (cli_load_conf(&conf, NULL) != 0) {
			rc = 1;
			goto done;
		}
		for (i = 0; i < conf.nfreezes; i++)
			if (all || conf.freezes[i].end_ms > now)
				freeze_print(stdout, &conf.freezes[i], now);
		/* No store yet is no stored windows, not an error (a PostgreSQL store is asked). */
		if (store_is_uri(storepath != NULL ? storepath : conf.store) ||
		    access(storepath != NULL ? storepath : conf.store, F_OK) == 0) {
			if ((st = cli_open_store("freeze list", storepath, STORE_NOCREATE)) == NULL ||
			    store_freeze_list(st, all, now, &ws, &nws, &err) != 0) {
				if (err != NULL)
					fprintf(stderr, "tfdrift: %s\n", err);
				rc = 1;
			}
			for (i = 0; i < nws; i++)
				freeze_print(stdout, &ws[i], now);
		}
		conf_free(&conf);
		goto done;
	}
	if (optind + 1 != argc) {
		rc = cli_usage_error(cmdname, optind == argc ? "expected a NAME" :
		    "expected one NAME, not more");
		goto done;
	}
	if (strcmp(sub, "end") == 0) {
		if (from_s || until_s || all || w.accounts.n || w.projects.n || w.regions.n ||
		    w.resource_types.n) {
			rc = cli_usage_error(cmdname, "only --store goes with end");
			goto done;
		}
		if ((st = cli_open_store("freeze end", storepath, STORE_NOCREATE)) == NULL) {
			rc = 1;
			goto done;
		}
		if ((by = cli_decider()) == NULL) {
			rc = 1;
			goto done;
		}
		if (store_freeze_end(st, argv[optind], by, now, &cancelled, &err) != 0) {
			fprintf(stderr, "tfdrift: not saved: %s\n", err);
			rc = 1;
		} else
			fprintf(stderr, "tfdrift: freeze %s %s\n", argv[optind],
			    cancelled ? "cancelled (it had not started)" : "ended");
		goto done;
	}
	/* add */
	w.name = xstrdup(argv[optind]);
	w.origin = FO_STORE;
	if (until_s == NULL || all) {
		rc = cli_usage_error(cmdname, all ? "--all goes with list, not add" :
		    "--until T is required (2h, 18:00, 2024-05-27T18:00:00Z)");
		goto done;
	}
	w.start_ms = now;
	if ((from_s != NULL && cli_time_opt(cmdname, "from", from_s, 1, &w.start_ms) != 0) ||
	    cli_time_opt(cmdname, "until", until_s, 1, &w.end_ms) != 0) {
		rc = CLI_EXIT_USAGE;
		goto done;
	}
	if ((by = cli_decider()) == NULL || (st = cli_open_store("freeze add", storepath, 0)) == NULL) {
		rc = 1;
		goto done;
	}
	if (store_freeze_add(st, &w, by, now, &id, &err) != 0) {
		fprintf(stderr, "tfdrift: not saved: %s\n", err);
		rc = 1;
	} else {
		/* Committed and synced: only now say it is done. */
		printf("%lld\n", (long long)id);
		fflush(stdout);
		fputs("tfdrift: saved: ", stderr);
		freeze_print(stderr, &w, now);
	}
done:
	free(cmdname);
	free(by);
	free(err);
	freeze_windows_free(ws, nws);
	freeze_window_clear(&w);
	store_close(st);
	return rc;
}
const struct cli_cmd cli_cmd_freeze = {
	.name = "freeze",
	.args = "add|list|end ...",
	.summary = "Change freezes kept in the store: tfdrift freeze add, list, end.",
	.opts = cli_opts_help_only,
	.exec = cmd_freeze,
};

const struct cli_cmd cli_cmd_freeze_add = {
	.name = "freeze add",
	.args = "NAME --until T [OPTIONS]",
	.summary = "Starts (or plans) a change freeze, kept in the store.\n"
	    "Every write in it by anyone but the pipeline is a freeze_violation. Prints its id.",
	.opts = cli_opts_freeze_add,
	.more = "T is an RFC 3339 time, a date, epoch seconds, a duration from now (2h, 90m) or\n"
	    "HH:MM[:SS] (UTC, the next time the clock shows it). --account, --project, --region\n"
	    "and --type take globs (aws_iam_*). Windows are kept in the store; the configured\n"
	    "ones (freeze_windows:) are listed too.\n",
	.exec = NULL,          /* run by its parent (freeze) */
};

const struct cli_cmd cli_cmd_freeze_list = {
	.name = "freeze list",
	.args = "[--all] [--store STORE]",
	.summary = "The freeze windows on now or planned, configured and stored.",
	.opts = cli_opts_freeze_list,
	.exec = NULL,          /* run by its parent (freeze) */
};

const struct cli_cmd cli_cmd_freeze_end = {
	.name = "freeze end",
	.args = "NAME [--store STORE]",
	.summary = "Ends a freeze now (one not started yet is cancelled).",
	.opts = cli_opts_freeze_end,
	.exec = NULL,          /* run by its parent (freeze) */
};
