/* cli: the command line: the global options, then the command, run from the table
 * (cmdtab.c; the commands are in src/cmd/). */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd/cmd.h"
#include "cmdtab.h"

static void
usage(FILE *fp)
{
	cli_help(fp, NULL);
}

/* Options of the dashboard that may open the command line (`tfdrift --state ...`). */
static int
is_ui_option(const char *a)
{
	static const char *opts[] = { "--state", "--events", "-s", "-e", "--store", "--theme",
		"--since", "--until", "--export-dir", "--event-maps", "-m", "--max-iterations" };
	size_t i, n;

	for (i = 0; i < sizeof opts / sizeof opts[0]; i++) {
		n = strlen(opts[i]);
		if (strncmp(a, opts[i], n) == 0 && (a[n] == '\0' || (a[n] == '=' && a[1] == '-')))
			return 1;
	}
	return 0;
}

int
cli_main(int argc, char **argv)
{
	const struct cli_cmd *c;
	int i = 1;

	/* Global options before the command: -c FILE. */
	while (i < argc && argv[i][0] == '-') {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && i + 1 < argc) {
			cli_global_config = argv[i + 1];
			i += 2;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (is_ui_option(argv[i])) {
			/* `tfdrift --state ... --events ...` is `tfdrift ui ...`. */
			return cli_cmd_ui.exec(argc - i + 1, argv + i - 1);
		} else if (strcmp(argv[i], "-V") == 0 || strcmp(argv[i], "--version") == 0) {
			printf("tfdrift %s\n", PACKAGE_VERSION);
			return 0;
		} else if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			return cli_usage_error(NULL, "option %s needs an argument (FILE)", argv[i]);
		} else {
			return cli_usage_error(NULL, "unknown option %s", argv[i]);
		}
	}
	if (i >= argc) {
		/* Bare `tfdrift` on a terminal is the dashboard on the configured sources. */
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
			return cli_cmd_ui.exec(1, argv + argc - 1);
		usage(stderr);
		return 1;
	}
	/* The table (cmdtab.c, src/cmd/) says what runs it; a subcommand is run by its parent. */
	c = cli_cmd_find(argv[i]);
	if (c == NULL || c->exec == NULL)
		return cli_usage_error(NULL, "unknown command '%s'", argv[i]);
	return c->exec(argc - i, argv + i);
}
