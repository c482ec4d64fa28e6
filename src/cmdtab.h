/* cmdtab: the command and option table. One place lists every command (each defined in its
 * file under src/cmd/, cmd.h), its arguments and options with a line each; cli_main runs
 * the command it names; `--help`, `tfdrift help`, the shell completions and the man page
 * check (tests/scan/help.sh) are all made from it. */
#ifndef TFDRIFT_CMDTAB_H
#define TFDRIFT_CMDTAB_H

#include <stdio.h>

/* A usage error (unknown option, missing or bad argument) exits with this, as every other
 * error does: 2 is kept for "drift found" (scan, watch --once, blame). */
#define CLI_EXIT_USAGE 1

struct cli_opt {
	char sname;             /* short option, 0 for none */
	const char *lname;      /* long option without the dashes */
	const char *arg;        /* argument name, NULL for a flag */
	const char *values;     /* space-separated words to complete the argument with, NULL: files */
	const char *desc;       /* one line (may continue on more lines with \n) */
};

struct cli_cmd {
	const char *name;       /* "scan", "rules check" */
	const char *args;       /* the synopsis after the name */
	const char *summary;    /* what it does, one or a few lines */
	const struct cli_opt *opts;     /* terminated by an entry with lname NULL */
	const char *more;       /* printed after the options, or NULL */
	/* Runs it: argv[0] is the name, the exit status. NULL: a subcommand ("rules check"),
	 * run by its parent's, which reads argv[1]. */
	int (*exec)(int argc, char **argv);
};

/* The table, terminated by NULL; a parent is followed by its subcommands. */
extern const struct cli_cmd *const cli_cmds[];

/* The option table: each command's options (its entry points to them). */
extern const struct cli_opt cli_opts_demo[], cli_opts_ui[], cli_opts_watch[], cli_opts_scan[],
    cli_opts_export[], cli_opts_blame[], cli_opts_ack[], cli_opts_suppress[], cli_opts_undo[],
    cli_opts_freeze_add[], cli_opts_freeze_list[], cli_opts_freeze_end[], cli_opts_coverage[],
    cli_opts_config_check[], cli_opts_keys[], cli_opts_help_only[];
extern const struct cli_opt cli_opts_completion[];

const struct cli_cmd *cli_cmd_find(const char *name);

/* The help of a command ("scan", "rules check"), NULL: the overview. */
void cli_help(FILE *fp, const char *name);

/* "tfdrift CMD: message" and "see 'tfdrift CMD --help'" on stderr; CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* After getopt_long (opterr 0) returned '?': what was wrong with argv[optind - 1], as a
 * usage error; CLI_EXIT_USAGE. */
int cli_opt_error(const char *cmd, char **argv);

/* tfdrift completion ids WHAT (findings: the open finding ids; decisions: those undo can
 * cancel), from store_path, else the store config (a file, NULL: the usual places) names;
 * one per line on fp. 0, or 1 quietly when the store cannot be read (completion_ids.c). */
int completion_ids(FILE *fp, const char *what, const char *store_path, const char *config);

#endif
