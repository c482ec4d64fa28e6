/* cmd_common: what the commands share: the configuration, the store, the time options,
 * the findings written out (cmd.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "cmdtab.h"
#include "conf.h"
#include "output.h"
#include "store.h"
#include "util.h"

/* The global `-c FILE` given before the command (main thread only). */
const char *cli_global_config;

void
cli_print_errs(char **errs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fprintf(stderr, "tfdrift: %s\n", errs[i]);
}

/* Load config (explicit -c, ./tfdrift.yaml, XDG) over the defaults; 0 ok. */
int
cli_load_conf(struct conf *c, const char *path)
{
	conf_init(c);
	if (conf_load_report(c, path != NULL ? path : cli_global_config, stderr) != 0) {
		conf_free(c);
		return -1;
	}
	return 0;
}

/* Who a decision is made as: the config's `user:`, else $USER (heap); NULL after a message
 * when the config does not load. */
char *
cli_decider(void)
{
	struct conf c;
	char *by;

	if (cli_load_conf(&c, NULL) != 0)
		return NULL;
	by = xstrdup(conf_user(&c));
	conf_free(&c);
	return by;
}

/* A time option (tf_parse_when; dir < 0 for --since/--until over recorded events, > 0 for
 * an end in the future), with the one wording every command uses. 0, or -1 after a message. */
int
cli_time_opt(const char *cmd, const char *opt, const char *s, int dir, int64_t *ms)
{
	if (tf_parse_when(s, tf_now_ms(), dir, ms) == 0)
		return 0;
	cli_usage_error(cmd, "--%s %s: expected %s", opt, s, tf_when_forms(dir));
	return -1;
}

/* HH:MM bounds are each the most recent such time, so "--since 17:30 --until 09:00" can turn
 * out backwards: say so with the times it meant, rather than match nothing. */
int
cli_check_window(const char *cmd, int64_t since, int64_t until)
{
	char a[32], b[32];

	if (since == INT64_MIN || until == INT64_MAX || until > since)
		return 0;
	tf_format_time(since, a);
	tf_format_time(until, b);
	cli_usage_error(cmd, "--until (%s) must be after --since (%s)", b, a);
	return -1;
}

/* Standard output, or a file written atomically (output_write_file). */
int
cli_write_output(const char *path, const struct finding_list *l, const struct out_opts *o)
{
	char *err = NULL;

	if (path == NULL || strcmp(path, "-") == 0) {
		if (output_findings(stdout, l, o) != 0) {
			fprintf(stderr, "tfdrift: writing to standard output: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (output_write_file(path, l, o, &err) != 0) {
		fprintf(stderr, "tfdrift: writing %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

/* Open the store named by --store, else the configured one. NULL after a message. */
struct store *
cli_open_store(const char *cmd, const char *path, int flags)
{
	struct conf conf;
	struct store *st = NULL;
	char *err = NULL;

	if (path == NULL) {
		if (cli_load_conf(&conf, NULL) != 0)
			return NULL;
		if (store_open(conf.store, flags, &st, &err) != 0)
			st = NULL;
		conf_free(&conf);
	} else if (store_open(path, flags, &st, &err) != 0)
		st = NULL;
	if (st == NULL) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
	}
	return st;
}
