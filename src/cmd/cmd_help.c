/* cmd_help: tfdrift help, completion and version (help and completions are made from
 * the table by cmdtab.c). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"

static int
version_exec(int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "version");
		return 0;
	}
	if (argc > 1)
		return cli_usage_error("version", "unexpected argument '%s'", argv[1]);
	printf("tfdrift %s\n", PACKAGE_VERSION);
	return 0;
}

const struct cli_cmd cli_cmd_version = {
	.name = "version",
	.args = "",
	.summary = "Prints the version.",
	.opts = cli_opts_help_only,
	.exec = version_exec,
};

const struct cli_cmd cli_cmd_help = {
	.name = "help",
	.args = "[COMMAND]",
	.summary = "The help of a command, or the overview.",
	.opts = cli_opts_help_only,
	.exec = cmd_help,
};

const struct cli_cmd cli_cmd_completion = {
	.name = "completion",
	.args = "bash|zsh|fish | ids findings|decisions [--store STORE]",
	.summary = "Prints a completion script for the shell.\n"
	    "E.g. source <(tfdrift completion bash).",
	.opts = cli_opts_completion,
	.more = "completion ids lists what the scripts complete ack's and suppress --value's finding\n"
	    "ids (findings: the open ones) and undo's decision ids (decisions: the acks and\n"
	    "suppressions not undone) with, one per line, newest first, from --store or the\n"
	    "configured store; a store it cannot read prints nothing and exits 1.\n",
	.exec = cmd_completion,
};
