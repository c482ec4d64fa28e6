/* cmd_config: tfdrift config check. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "cmdtab.h"
#include "conf.h"
#include "ui/theme.h"
#include "util.h"
#include "yamlutil.h"

static int
cmd_config(int argc, char **argv)
{
	struct conf conf;
	struct theme th;
	const char *path = NULL;
	char **errs = NULL;
	size_t nerrs = 0, j;
	int i;

	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "config");
		return 0;
	}
	if (argc < 2)
		return cli_usage_error("config", "expected check");
	if (strcmp(argv[1], "check") != 0)
		return cli_usage_error("config", "unknown subcommand '%s'", argv[1]);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			cli_help(stdout, "config check");
			return 0;
		}
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0)
			return cli_usage_error("config check", "option %s needs an argument (FILE)",
			    argv[i]);
		else
			return cli_usage_error("config check", argv[i][0] == '-' ?
			    "unknown option %s" : "unexpected argument '%s'", argv[i]);
	}
	if (cli_load_conf(&conf, path) != 0)
		return 1;
	/* The configured theme must load too, or the dashboard would refuse to start. */
	if (theme_load(conf.theme, &th, &errs, &nerrs) != 0) {
		for (j = 0; j < nerrs; j++)
			fprintf(stderr, "tfdrift: %s\n", errs[j]);
		yerrs_free(errs, nerrs);
		theme_free(&th);
		conf_free(&conf);
		return 1;
	}
	theme_free(&th);
	conf_dump(&conf, stdout);
	conf_free(&conf);
	return 0;
}
const struct cli_cmd cli_cmd_config = {
	.name = "config",
	.args = "check [-c FILE]",
	.summary = "Configuration files: tfdrift config check.",
	.opts = cli_opts_help_only,
	.exec = cmd_config,
};

const struct cli_cmd cli_cmd_config_check = {
	.name = "config check",
	.args = "[-c FILE]",
	.summary = "Validates a config file (and its theme) and prints the resolved configuration.",
	.opts = cli_opts_config_check,
	.exec = NULL,          /* run by its parent (config) */
};
