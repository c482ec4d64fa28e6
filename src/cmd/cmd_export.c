/* cmd_export: tfdrift export, the stored findings with their triage. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd.h"
#include "cmdtab.h"
#include "output.h"
#include "store.h"
#include "util.h"

static int
cmd_export(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 'D' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "status", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'f' },
		{ "sarif-location", required_argument, NULL, 'L' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *storepath = NULL, *outpath = NULL;
	int64_t since = INT64_MIN, until = INT64_MAX;
	unsigned mask = STORE_STATUS_UNRESOLVED;   /* drifted now, whatever the triage */
	struct out_opts oo = { OUT_JSON, 0, NULL };
	struct finding_list l = { 0 };
	size_t nstatus[ST__COUNT] = { 0 }, i;
	struct store *st;
	char *err = NULL;
	int ch, quiet = 0, nbad, rc = 0;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': storepath = optarg; break;
		case 'L': oo.sarif_artifact = optarg; break;
		case 'o': outpath = optarg; break;
		case 'q': quiet = 1; break;
		case 'S':
		case 'U':
			if (cli_time_opt("export", ch == 'S' ? "since" : "until", optarg, -1,
			    ch == 'S' ? &since : &until) != 0)
				rc = CLI_EXIT_USAGE;
			break;
		case 't':
			if (store_status_parse(optarg, &mask) != 0) {
				rc = cli_usage_error("export", "--status %s: expected open, acknowledged, "
				    "suppressed, resolved or all (or a comma list)", optarg);
			}
			break;
		case 'f':
			if (out_format_parse(optarg, &oo.format) != 0 || oo.format == OUT_TEXT) {
				rc = cli_usage_error("export", "--format %s: expected json, jsonl, csv, "
				    "sarif or markdown", optarg);
			}
			break;
		case 'h':
			cli_help(stdout, "export");
			return 0;
		default:
			return cli_opt_error("export", argv);
		}
	}
	if (rc == 0 && optind < argc)
		rc = cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
	if (rc == 0 && cli_check_window("export", since, until) != 0)
		rc = CLI_EXIT_USAGE;
	if (rc != 0)
		return rc;
	if ((st = cli_open_store("export", storepath, STORE_NOCREATE)) == NULL)
		return 1;
	/* Read-only for a reason (a full disk, a read-only copy): the export is whole, and the
	 * reason is worth knowing. */
	if (!quiet && store_readonly_reason(st) != NULL)
		fprintf(stderr, "tfdrift: note: %s\n", store_readonly_reason(st));
	nbad = store_load_findings(st, since, until, mask, &l, &err);
	if (nbad < 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		store_close(st);
		return 1;
	}
	if (nbad > 0) {
		/* Rows that do not read back are reported, and fail the export. */
		fprintf(stderr, "tfdrift: %s (%d row%s could not be read)\n", err, nbad,
		    nbad == 1 ? "" : "s");
		free(err);
		rc = 1;
	}
	if (cli_write_output(outpath, &l, &oo) != 0)
		rc = 1;
	for (i = 0; i < l.n; i++)
		nstatus[l.v[i]->status]++;
	if (!quiet)
		fprintf(stderr, "tfdrift: exported %zu finding%s from %s (%zu open, %zu acknowledged, "
		    "%zu suppressed, %zu resolved)\n", l.n, l.n == 1 ? "" : "s", store_path(st),
		    nstatus[ST_OPEN], nstatus[ST_ACKNOWLEDGED], nstatus[ST_SUPPRESSED],
		    nstatus[ST_RESOLVED]);
	finding_list_clear(&l);
	store_close(st);
	return rc;
}
const struct cli_cmd cli_cmd_export = {
	.name = "export",
	.args = "[OPTIONS]",
	.summary = "Writes the stored findings, with their triage.\n"
	    "Default: every one not resolved (open = drifted now and untriaged).",
	.opts = cli_opts_export,
	.exec = cmd_export,
};
