/* cmd_blame: tfdrift blame, who caused the drift a plan found (blame_main, src/blame.c). */
#include "config.h"


#include "cmd.h"
#include "blame.h"

static int
blame_exec(int argc, char **argv)
{
	return blame_main(argc, argv, cli_global_config);
}

const struct cli_cmd cli_cmd_blame = {
	.name = "blame",
	.args = "--plan PLAN.json (--store PATH | --events FILE...) [FILE...] [OPTIONS]",
	.summary = "Who caused the drift a refresh-only plan found.\n"
	    "For each changed attribute, the\n"
	    "audit events that explain it, newest first, or that no recorded event does. Make\n"
	    "the plan with terraform plan -refresh-only -out=plan.tfplan and\n"
	    "terraform show -json plan.tfplan > plan.json.",
	.opts = cli_opts_blame,
	.more = "An event explains a change when it set the attribute to the plan's new value\n"
	    "(match \"value\"), or, weaker, changed it without the log carrying the value\n"
	    "(\"attribute\") or changed the resource without the log naming the attribute\n"
	    "(\"resource\"); a deleted resource is explained by the call that deleted it\n"
	    "(\"delete\"). Failed calls explain nothing. Sensitive values print as (sensitive).\n"
	    "\n"
	    "exit status: 0 every drift explained (or no drift), 2 some unexplained, 1 error\n",
	.exec = blame_exec,
};
