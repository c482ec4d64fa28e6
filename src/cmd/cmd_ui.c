/* cmd_ui: tfdrift ui and tfdrift demo, the dashboard (its options are read by ui_main,
 * src/ui/app.c). */
#include "config.h"


#include "cmd.h"
#include "ui/ui.h"

static int
demo_exec(int argc, char **argv)
{
	return ui_main(argc, argv, 1, cli_global_config);
}

static int
ui_exec(int argc, char **argv)
{
	return ui_main(argc, argv, 0, cli_global_config);
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
	    "The files are read while you look; without files, the configured live sources.",
	.opts = cli_opts_ui,
	.exec = ui_exec,
};
