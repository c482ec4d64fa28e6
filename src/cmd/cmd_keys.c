/* cmd_keys: tfdrift keys, the dashboard's keys and : commands (the man page's KEYS). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "ui/keys.h"
#include "ui/ui.h"
#include "util.h"

/* The dashboard's keys and commands, from the key table (the man page's KEYS). */
static int
keys_exec(int argc, char **argv)
{
	struct cmd_doc cmds[64];
	size_t n = ui_command_docs(cmds, TF_ARRLEN(cmds));

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "keys");
		return 0;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--man") != 0))
		return cli_usage_error("keys", "unexpected argument '%s'", argv[argc - 1]);
	keys_print(stdout, argc == 2, cmds, n);
	return 0;
}

const struct cli_cmd cli_cmd_keys = {
	.name = "keys",
	.args = "[--man]",
	.summary = "The dashboard's keys and : commands.",
	.opts = cli_opts_keys,
	.exec = keys_exec,
};
