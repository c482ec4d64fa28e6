/* cmd_watch: tfdrift watch, the headless live mode (watch_main, src/watch.c). */
#include "config.h"


#include "cmd.h"
#include "watch.h"

static int
watch_exec(int argc, char **argv)
{
	return watch_main(argc, argv, cli_global_config);
}

const struct cli_cmd cli_cmd_watch = {
	.name = "watch",
	.args = "[OPTIONS]",
	.summary = "The configured live sources, findings as they appear.\n"
	    "Runs the configured sources (sources: in the config; --events adds files) against\n"
	    "the states (states:; --state adds) and prints findings as they appear, one JSON\n"
	    "object per line. Findings and cursors go to the store. SIGTERM / SIGINT stop\n"
	    "cleanly after checkpointing.",
	.opts = cli_opts_watch,
	.more = "exit status (--once): 0 no drift, 2 drift found, 1 error\n",
	.exec = watch_exec,
};
