/* cmd: the commands, one file each under src/cmd/ (tmux's cmd_entry): each defines its
 * `const struct cli_cmd` (name, synopsis, help, options, exec function), and cmdtab.c lists
 * them in the one table that drives dispatch (cli.c), --help, tfdrift help, the completions
 * and the man page check. This header: the entries, and what the commands share
 * (src/cmd/cmd_common.c). */
#ifndef TFDRIFT_CMD_H
#define TFDRIFT_CMD_H

#include <stdint.h>

#include "cmdtab.h"

struct conf;
struct finding_list;
struct out_opts;

/* The entries, in cmdtab.c's table. */
extern const struct cli_cmd cli_cmd_demo, cli_cmd_ui, cli_cmd_watch, cli_cmd_scan,
    cli_cmd_export, cli_cmd_blame, cli_cmd_ack, cli_cmd_suppress, cli_cmd_undo,
    cli_cmd_freeze, cli_cmd_freeze_add, cli_cmd_freeze_list, cli_cmd_freeze_end,
    cli_cmd_rules, cli_cmd_rules_check, cli_cmd_rules_test, cli_cmd_rules_coverage,
    cli_cmd_config, cli_cmd_config_check, cli_cmd_keys, cli_cmd_version, cli_cmd_help,
    cli_cmd_completion;

/* The global `-c FILE` given before the command, or NULL (main thread only). */
extern const char *cli_global_config;

/* Each message of errs on a line of stderr. */
void cli_print_errs(char **errs, size_t n);

/* Load the config (path, else the global -c, ./tfdrift.yaml, XDG) over the defaults, its
 * errors on stderr; 0 ok (c is then to be conf_free'd), -1. */
int cli_load_conf(struct conf *c, const char *path);
/* Who decisions are made as: `user:` from the config, else $USER (heap); NULL after a
 * message when the config does not load. */
char *cli_decider(void);

/* A time option of command cmd (--since, --until, --from: tf_parse_when; dir < 0 for the
 * bounds of recorded events, > 0 for an end in the future), with the one wording every
 * command uses for a bad one. 0, or -1 after the usage error. */
int cli_time_opt(const char *cmd, const char *opt, const char *s, int dir, int64_t *ms);

/* --since and --until given (INT64_MIN / INT64_MAX: not) must make a window: 0, or -1 after
 * the usage error. */
int cli_check_window(const char *cmd, int64_t since, int64_t until);

/* Findings to standard output (path NULL or "-") or to a file written atomically; 0, or -1
 * after a message. */
int cli_write_output(const char *path, const struct finding_list *l, const struct out_opts *o);

/* The store named by --store (path), else the configured one (store_open's flags); NULL
 * after a message "tfdrift CMD: ...". */
struct store *cli_open_store(const char *cmd, const char *path, int flags);

/* The commands' exec functions that other files call. */
int cmd_help(int argc, char **argv);
int cmd_completion(int argc, char **argv);

#endif
