/* cmd_triage: tfdrift ack, suppress and undo, decisions kept in the store. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdtab.h"
#include "store.h"
#include "text.h"
#include "util.h"

/* The three triage commands share their options: --store, --note, --scope, --value,
 * --for, --until. `what` is "ack", "suppress" or "undo". */
static int
cmd_triage(const char *what, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 'D' },
		{ "note", required_argument, NULL, 'n' },
		{ "scope", required_argument, NULL, 's' },
		{ "value", required_argument, NULL, 'v' },
		{ "for", required_argument, NULL, 'F' },
		{ "until", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *storepath = NULL, *note = NULL, *scope_s = NULL, *value = NULL;
	const char *for_s = NULL, *until_s = NULL, *by;
	char *decider = NULL;
	int64_t now = tf_now_ms(), until = 0, d, id = 0;
	enum store_scope scope = SCOPE_FINDING;
	int is_ack = strcmp(what, "ack") == 0, is_undo = strcmp(what, "undo") == 0;
	struct store *st;
	char *err = NULL, *fid = NULL, *end;
	int ch, rc;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': storepath = optarg; break;
		case 'n': note = optarg; break;
		case 's': scope_s = optarg; break;
		case 'v': value = optarg; break;
		case 'F': for_s = optarg; break;
		case 'U': until_s = optarg; break;
		case 'h':
			cli_help(stdout, what);
			return 0;
		default:
			return cli_opt_error(what, argv);
		}
	}
	if (is_ack || is_undo) {
		if (scope_s || value || for_s || until_s || (is_undo && note))
			return cli_usage_error(what, "--%s is not an option of %s", scope_s ? "scope" :
			    value ? "value" : for_s ? "for" : until_s ? "until" : "note", what);
		if (optind + 1 != argc)
			return cli_usage_error(what, optind == argc ? "expected %s" :
			    "expected one %s, not more", is_ack ? "finding ID" : "DECISION_ID");
	} else {
		if (optind != argc)
			return cli_usage_error(what, "unexpected argument '%s'", argv[optind]);
		if (scope_s == NULL || value == NULL)
			return cli_usage_error(what, "--scope and --value are required");
		if (for_s && until_s)
			return cli_usage_error(what, "--for and --until do not go together");
		if (store_scope_parse(scope_s, &scope) != 0)
			return cli_usage_error(what, "--scope %s: expected finding, resource, rule, "
			    "actor or event", scope_s);
		/* Before the store is opened (or made): a value that can match nothing is a
		 * mistake, not a decision. A key without a type waits for the store to tell. */
		if (store_scope_check(scope, value, &err) == -1) {
			/* The value as typed, its control characters shown (text.h). */
			fprintf(stderr, "tfdrift: --scope %s --value '", store_scope_name(scope));
			text_fputs(stderr, value);
			fprintf(stderr, "' %s\n", err);
			free(err);
			return 1;
		}
		free(err);
		err = NULL;
		if (for_s != NULL) {
			if (tf_parse_duration(for_s, &d) != 0 || d <= 0) {
				return cli_usage_error(what, "--for %s: expected a duration (1h, 1d, 7d, "
				    "90m)", for_s);
			}
			until = now + d;
		} else if (until_s != NULL) {
			if (cli_time_opt("suppress", "until", until_s, 1, &until) != 0)
				return CLI_EXIT_USAGE;
			if (until <= now) {
				fprintf(stderr, "tfdrift: --until %s is not in the future\n", until_s);
				return 1;
			}
		}
	}
	if (is_undo) {
		errno = 0;
		id = strtoll(argv[optind], &end, 10);
		if (errno != 0 || end == argv[optind] || *end != '\0' || id <= 0) {
			return cli_usage_error(what, "%s: expected a decision id (the number "
			    "`tfdrift ack` or `tfdrift suppress` printed)", argv[optind]);
		}
	}
	if ((decider = cli_decider()) == NULL)
		return 1;
	by = decider;
	if ((st = cli_open_store(what, storepath, is_ack || is_undo ? STORE_NOCREATE : 0)) == NULL) {
		free(decider);
		return 1;
	}
	if (is_ack || (scope == SCOPE_FINDING && !is_undo)) {
		/* A finding is named by its id or a unique prefix of it. */
		if (store_find_finding(st, is_ack ? argv[optind] : value, &fid, &err) != 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			store_close(st);
			free(decider);
			return 1;
		}
	}
	if (is_ack)
		rc = store_ack(st, fid, by, note, now, &id, &err);
	else if (is_undo)
		rc = store_undo(st, id, by, now, &id, &err);
	else
		rc = store_suppress(st, scope, fid != NULL ? fid : value, until, by, note, now, &id, &err);
	if (rc != 0) {
		fprintf(stderr, "tfdrift: not saved: %s\n", err);
		free(err);
	} else {
		/* Committed and synced: only now say it is done. */
		printf("%lld\n", (long long)id);
		fflush(stdout);
		if (is_ack)
			fprintf(stderr, "tfdrift: acknowledged %s (decision %lld)\n", fid, (long long)id);
		else if (is_undo)
			fprintf(stderr, "tfdrift: undid decision %s (decision %lld)\n", argv[optind],
			    (long long)id);
		else {
			char ts[32];

			if (until != 0)
				tf_format_time(until, ts);
			fprintf(stderr, "tfdrift: suppressed %s ", store_scope_name(scope));
			text_fputs(stderr, fid != NULL ? fid : value);
			fprintf(stderr, " %s%s (decision %lld)\n", until != 0 ? "until " : "for good",
			    until != 0 ? ts : "", (long long)id);
		}
	}
	free(fid);
	free(decider);
	store_close(st);
	return rc != 0 ? 1 : 0;
}
static int
triage_exec(int argc, char **argv)
{
	return cmd_triage(argv[0], argc, argv);
}

const struct cli_cmd cli_cmd_ack = {
	.name = "ack",
	.args = "[--store STORE] ID [--note TEXT]",
	.summary = "Acknowledges a finding (ID or a unique prefix of it); prints the decision id.",
	.opts = cli_opts_ack,
	.exec = triage_exec,
};

const struct cli_cmd cli_cmd_suppress = {
	.name = "suppress",
	.args = "--scope SCOPE --value V [--for DURATION | --until T] [OPTIONS]",
	.summary = "Suppresses matching findings, for a while or for good; prints the decision id.",
	.opts = cli_opts_suppress,
	.exec = triage_exec,
};

const struct cli_cmd cli_cmd_undo = {
	.name = "undo",
	.args = "[--store STORE] DECISION_ID",
	.summary = "Cancels an ack or a suppression.",
	.opts = cli_opts_undo,
	.exec = triage_exec,
};
