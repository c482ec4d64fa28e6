/* cmdtab: the command table (the commands themselves are in src/cmd/), the option table, and
 * what is made from them: --help, tfdrift help, the
 * one-line usage errors and the shell completions. tests/scan/help.sh checks the man page
 * against it (tfdrift help --table). */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmdtab.h"
#include "util.h"

/* Options several commands share, worded once. */
#define O_HELP   { 'h', "help", NULL, NULL, "this help" }
#define O_STORE  { 0, "store", "STORE", NULL, "the store: a path or a postgresql:// URI\n" \
	"(default: the configured one)" }
#define O_STATE  { 's', "state", "SRC", NULL, "a Terraform state (- is standard input); repeatable" }
#define O_EVENTS { 'e', "events", "FILE", NULL, "an audit log: CloudTrail (.json, .json.gz, JSON lines,\n" \
	"LookupEvents, EventBridge) or GCP (entries.list, LogEntry\n" \
	"lines); - is standard input; repeatable" }
#define O_CONFIG { 'c', "config", "FILE", NULL, "configuration file" }
#define O_MAPS   { 'm', "event-maps", "DIR", NULL, "event maps to use instead of the configured ones" }
#define O_QUIET  { 'q', "quiet", NULL, NULL, "no summary or warnings" }
#define O_SINCE  { 0, "since", "T", NULL, "only events at or after T: RFC 3339 (2024-05-27T10:00:00Z),\n" \
	"a date (midnight UTC), epoch seconds, HH:MM[:SS] UTC (the\n" \
	"last time the clock showed it) or a duration meaning that\n" \
	"long ago (90m, 2h, 7d)" }
#define O_UNTIL  { 0, "until", "T", NULL, "only events before T (as --since)" }
#define O_OUTPUT { 'o', "output", "FILE", NULL, "write there (atomically) instead of standard output" }
/* sarif: where a result with no state file of its own (an unmanaged resource) is placed. */
#define O_SARIF_LOCATION(dflt) { 0, "sarif-location", "FILE", NULL, "sarif: the file a finding with no state file is\n" \
	"shown on (code scanning needs a file); default: " dflt }
#define O_NOTE   { 0, "note", "TEXT", NULL, "why, kept with the decision" }
#define O_UI_COMMON \
	{ 0, "readonly", NULL, NULL, "open the store without ever writing it" }, \
	{ 0, "theme", "NAME", "default light monochrome high-contrast", \
	  "default, light, monochrome, high-contrast, or a .yaml file\n(themes.md; NO_COLOR forces monochrome)" }, \
	{ 0, "export-dir", "DIR", NULL, "where e writes findings files (default:\n$XDG_DATA_HOME/tfdrift/exports)" }, \
	{ 0, "max-iterations", "N", NULL, "leave after N passes of the main loop (tests; also\nTFDRIFT_UI_ITERATIONS)" }
#define O_END    { 0, NULL, NULL, NULL, NULL }

const struct cli_opt cli_opts_demo[] = {
	{ 0, "store", "STORE", NULL, "keep findings and decisions there, a path or a\n"
	  "postgresql:// URI (default: a private store of this run,\n"
	  "removed when it ends)" },
	{ 0, "pace", "DURATION", NULL, "how long one pass of the morning lasts (default 60s)" },
	{ 0, "passes", "N", NULL, "stop after N passes (default 0: forever)" },
	O_UI_COMMON, O_CONFIG, O_HELP, O_END
};

const struct cli_opt cli_opts_ui[] = {
	{ 's', "state", "SRC", NULL, "a Terraform state: a path, s3://, gs://, https://, tfc://;\n"
	  "repeatable" },
	{ 'e', "events", "FILE", NULL, "CloudTrail, Cloud Logging or EventBridge records (.gz\n"
	  "too; - is standard input); repeatable" }, O_SINCE, O_UNTIL, O_STORE,
	{ 0, "findings", "FILE", NULL, "findings to show as well: an export or scan's JSON (a\n"
	  "document, an array or JSON lines); repeatable" },
	O_UI_COMMON, O_CONFIG, O_MAPS, O_HELP, O_END
};

const struct cli_opt cli_opts_watch[] = {
	{ 'f', "format", "FMT", "jsonl text", "jsonl (default) or text" },
	{ 0, "once", NULL, NULL, "poll every source and state once, print, exit 0 clean,\n"
	  "2 drift, 1 error (the sources in parallel)" },
	{ 0, "once-timeout", "DURATION", NULL, "--once's time limit in all (once_timeout, default 2m):\n"
	  "what is not done by then is stopped and named (exit 1)" },
	O_STORE,
	{ 's', "state", "SRC", NULL, "a Terraform state besides the configured ones; repeatable" },
	{ 'e', "events", "FILE", NULL, "an audit log file besides the configured sources; repeatable" },
	{ 0, "since", "T", NULL, "backfill from T from the polled sources (its own cursors:\n"
	  "a restart resumes it; the live cursors do not move); T as for scan" },
	{ 0, "until", "T", NULL, "the backfill's end" },
	{ 0, "lease-ttl", "DURATION", NULL, "workers sharing the store: a poller's lease lasts\n"
	  "this long (default 30s), renewed every half of it; another\n"
	  "worker takes over a dead one's within that" },
	{ 0, "metrics", "ADDR", NULL, "serve Prometheus /metrics, /healthz and /readyz on\n"
	  "HOST:PORT (127.0.0.1:9464; metrics.listen in the config)" },
	O_CONFIG, O_MAPS, O_HELP, O_END
};

const struct cli_opt cli_opts_scan[] = {
	{ 's', "state", "SRC", NULL, "a Terraform state file (v4, or v3 and older); repeatable" },
	O_EVENTS,
	{ 'f', "format", "FMT", "json jsonl text csv sarif markdown", "json (findings document), jsonl, text,\n"
	  "csv, sarif (the open findings, for code scanning) or\n"
	  "markdown (a pull-request comment); default text on a\n"
	  "terminal, json otherwise" },
	{ 'o', "output", "FILE", NULL, "write the findings there (atomically)" },
	O_SARIF_LOCATION("the\nfirst --state file"),
	O_SINCE, O_UNTIL,
	{ 0, "store", "STORE", NULL, "save the findings (STORE: a path or a postgresql://\n"
	  "URI) and apply the store's triage and freeze windows; its\n"
	  "open findings are re-evaluated against this run; the exit\n"
	  "status counts every open finding in the store" },
	{ 0, "freeze", "NAME=START..END", NULL, "a change-freeze window (RFC 3339 times) besides the\n"
	  "configured ones; repeatable" },
	{ 0, "notify", NULL, NULL, "send the open findings through the configured outputs\n"
	  "and wait for them (the exit status does not change)" },
	{ 'x', "explain", NULL, NULL, "print why each event was or was not drift (stderr)" },
	{ 'j', "jobs", "N", NULL, "read the events with N threads (default: the online\n"
	  "processors, at most 64); the output is the same for any N" },
	O_QUIET, O_CONFIG, O_MAPS, O_HELP, O_END
};

const struct cli_opt cli_opts_export[] = {
	O_STORE, O_SINCE, O_UNTIL,
	{ 0, "status", "STATUS", "open acknowledged suppressed resolved all",
	  "open, acknowledged, suppressed, resolved or all (default:\nevery one not resolved)" },
	{ 0, "format", "FMT", "json jsonl csv sarif markdown", "json (default), jsonl, csv, sarif (the\n"
	  "open ones) or markdown" },
	O_SARIF_LOCATION("none"),
	O_OUTPUT, O_QUIET, O_HELP, O_END
};

const struct cli_opt cli_opts_blame[] = {
	{ 'p', "plan", "FILE", NULL, "terraform show -json output of a plan (- is standard input)" },
	{ 0, "store", "STORE", NULL, "the events seen by tfdrift watch and scan --store (a path\n"
	  "or a postgresql:// URI)" },
	{ 'e', "events", "FILE", NULL, "an audit log, any format scan reads; repeatable" },
	{ 's', "state", "SRC", NULL, "a state file whose sensitive attributes stay masked too;\n"
	  "its resources are looked up after the plan's; repeatable" },
	{ 'f', "format", "FMT", "json text", "json or text; default text on a terminal, json otherwise" },
	{ 'o', "output", "FILE", NULL, "write the answer there instead of standard output" },
	{ 0, "max-events", "N", NULL, "list at most N events per change, the newest (default 20;\n"
	  "0: all); events_total counts them all" },
	{ 0, "until", "T", NULL, "leave out events after T (default: the plan's timestamp)" },
	{ 'q', "quiet", NULL, NULL, "no summary or warnings on standard error" },
	{ 'c', "config", "FILE", NULL, "configuration file (event maps, the pipeline's identities)" },
	O_MAPS, O_HELP, O_END
};

const struct cli_opt cli_opts_ack[] = { O_STORE, O_NOTE, O_HELP, O_END };

const struct cli_opt cli_opts_suppress[] = {
	O_STORE,
	{ 0, "scope", "SCOPE", "finding resource rule actor event",
	  "what to match: finding, resource, rule, actor or event" },
	{ 0, "value", "V", NULL, "the finding id, address, rule id, actor or event name" },
	{ 0, "for", "DURATION", NULL, "for this long (1h, 1d, 7d)" },
	{ 0, "until", "T", NULL, "until T (default, without --for: for good)" },
	O_NOTE, O_HELP, O_END
};

const struct cli_opt cli_opts_undo[] = { O_STORE, O_HELP, O_END };

#define O_FREEZE_STORE { 0, "store", "STORE", NULL, "the store holding the freezes: a path or a\n" \
	"postgresql:// URI" }
const struct cli_opt cli_opts_freeze_add[] = {
	{ 0, "until", "T", NULL, "when it ends: 2h, 18:00 (UTC), 2024-05-27T18:00:00Z" },
	{ 0, "from", "T", NULL, "when it starts (default: now)" },
	{ 0, "account", "A", NULL, "only this AWS account; repeatable" },
	{ 0, "project", "P", NULL, "only this GCP project; repeatable" },
	{ 0, "region", "R", NULL, "only this region; repeatable" },
	{ 0, "type", "T", NULL, "only this Terraform resource type; repeatable" },
	O_FREEZE_STORE, O_HELP, O_END
};
const struct cli_opt cli_opts_freeze_list[] = {
	{ 0, "all", NULL, NULL, "also the past ones" }, O_FREEZE_STORE, O_HELP, O_END
};
const struct cli_opt cli_opts_freeze_end[] = { O_FREEZE_STORE, O_HELP, O_END };

const struct cli_opt cli_opts_coverage[] = {
	{ 'f', "format", "FMT", "text json tsv", "text (default), json, or tsv: one line per entry" },
	{ 's', "service", "NAME", NULL, "keep one service: ec2 (or ec2.amazonaws.com)" },
	O_HELP, O_END
};

const struct cli_opt cli_opts_config_check[] = { O_CONFIG, O_HELP, O_END };
const struct cli_opt cli_opts_keys[] = {
	{ 0, "man", NULL, NULL, "as roff, for the man page's KEYS" }, O_HELP, O_END
};
const struct cli_opt cli_opts_help_only[] = { O_HELP, O_END };
const struct cli_opt cli_opts_completion[] = {
	{ 0, "store", "STORE", NULL, "with ids: the store to read, a path or a postgresql:// URI\n"
	  "(default: the configured one)" },
	{ 'c', "config", "FILE", NULL, "with ids: the configuration naming the store" },
	O_HELP, O_END
};

const struct cli_cmd *const cli_cmds[] = {
	&cli_cmd_demo,
	&cli_cmd_ui,
	&cli_cmd_watch,
	&cli_cmd_scan,
	&cli_cmd_export,
	&cli_cmd_blame,
	&cli_cmd_ack,
	&cli_cmd_suppress,
	&cli_cmd_undo,
	&cli_cmd_freeze,
	&cli_cmd_freeze_add,
	&cli_cmd_freeze_list,
	&cli_cmd_freeze_end,
	&cli_cmd_rules,
	&cli_cmd_rules_check,
	&cli_cmd_rules_test,
	&cli_cmd_rules_coverage,
	&cli_cmd_config,
	&cli_cmd_config_check,
	&cli_cmd_keys,
	&cli_cmd_version,
	&cli_cmd_help,
	&cli_cmd_completion,
	NULL
};

/* Where the command is in the table, or NULL. */
static const struct cli_cmd *const *
cmd_slot(const char *name)
{
	const struct cli_cmd *const *cp;

	for (cp = cli_cmds; *cp != NULL; cp++)
		if (strcmp((*cp)->name, name) == 0)
			return cp;
	return NULL;
}

const struct cli_cmd *
cli_cmd_find(const char *name)
{
	const struct cli_cmd *const *cp = cmd_slot(name);

	return cp != NULL ? *cp : NULL;
}

/* Is s (NULL: no) a subcommand of parent ("rules check" of "rules")? */
static int
is_sub(const struct cli_cmd *s, const struct cli_cmd *parent)
{
	size_t n = strlen(parent->name);

	return s != NULL && strncmp(s->name, parent->name, n) == 0 && s->name[n] == ' ';
}

/* Text with embedded newlines, each line indented. */
static void
put_indented(FILE *fp, const char *s, int indent)
{
	const char *nl;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		fprintf(fp, "%*s%.*s\n", indent, "", nl != NULL ? (int)(nl - s) : (int)strlen(s), s);
		if (nl == NULL)
			break;
		s = nl + 1;
	}
}

static void
opt_label(char *buf, size_t n, const struct cli_opt *o)
{
	if (o->sname != 0)
		snprintf(buf, n, "-%c, --%s%s%s", o->sname, o->lname, o->arg ? " " : "",
		    o->arg ? o->arg : "");
	else
		snprintf(buf, n, "    --%s%s%s", o->lname, o->arg ? " " : "", o->arg ? o->arg : "");
}

static void
help_overview(FILE *fp)
{
	const struct cli_cmd *const *cp, *c;

	fputs("usage: tfdrift [-c FILE] COMMAND [ARGS]\n\ncommands:\n", fp);
	for (cp = cli_cmds; (c = *cp) != NULL; cp++) {
		const char *nl = strchr(c->summary, '\n');

		/* A parent (freeze, rules, config) is listed by its subcommands. */
		if (is_sub(cp[1], c))
			continue;
		fprintf(fp, "  %s%s%s\n      %.*s\n", c->name, *c->args ? " " : "", c->args,
		    nl != NULL ? (int)(nl - c->summary) : (int)strlen(c->summary), c->summary);
	}
	fputs("\n'tfdrift help COMMAND' or 'tfdrift COMMAND --help' for its options;\n"
	    "tfdrift(1) for the details.\n", fp);
}

void
cli_help(FILE *fp, const char *name)
{
	const struct cli_cmd *const *cp = name != NULL ? cmd_slot(name) : NULL, *c, *const *sp;
	const struct cli_opt *o;
	char label[64];

	if (cp == NULL) {
		help_overview(fp);
		return;
	}
	c = *cp;
	fprintf(fp, "usage: tfdrift %s%s%s\n", c->name, *c->args ? " " : "", c->args);
	/* A parent lists its subcommands' usage lines too. */
	for (sp = cp + 1; is_sub(*sp, c); sp++)
		fprintf(fp, "       tfdrift %s %s\n", (*sp)->name, (*sp)->args);
	fputc('\n', fp);
	put_indented(fp, c->summary, 2);
	fputs("\noptions:\n", fp);
	for (o = c->opts; o->lname != NULL; o++) {
		const char *nl = strchr(o->desc, '\n');

		opt_label(label, sizeof label, o);
		if (strlen(label) > 22)
			fprintf(fp, "  %s\n%25s", label, "");
		else
			fprintf(fp, "  %-22s ", label);
		fprintf(fp, "%.*s\n", nl != NULL ? (int)(nl - o->desc) : (int)strlen(o->desc), o->desc);
		if (nl != NULL)
			put_indented(fp, nl + 1, 25);
	}
	if (c->more != NULL) {
		fputc('\n', fp);
		fputs(c->more, fp);
	}
}

int
cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("tfdrift: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nsee 'tfdrift%s%s --help'\n", cmd != NULL ? " " : "", cmd != NULL ? cmd : "");
	return CLI_EXIT_USAGE;
}

int
cli_opt_error(const char *cmd, char **argv)
{
	const struct cli_cmd *c = cli_cmd_find(cmd);
	const char *w = optind > 0 ? argv[optind - 1] : "";
	const struct cli_opt *o, *hit = NULL;
	size_t n;
	int nhit = 0;

	if (strncmp(w, "--", 2) == 0) {
		n = strcspn(w + 2, "=");
		for (o = c != NULL ? c->opts : NULL; o != NULL && o->lname != NULL; o++) {
			if (strlen(o->lname) == n && strncmp(o->lname, w + 2, n) == 0) {
				hit = o;
				nhit = 1;
				break;
			}
			if (strncmp(o->lname, w + 2, n) == 0) {
				hit = o;
				nhit++;
			}
		}
		if (nhit > 1)
			return cli_usage_error(cmd, "option --%.*s is ambiguous", (int)n, w + 2);
		if (hit == NULL)
			return cli_usage_error(cmd, "unknown option --%.*s", (int)n, w + 2);
		if (hit->arg == NULL)
			return cli_usage_error(cmd, "option --%s takes no argument", hit->lname);
		return cli_usage_error(cmd, "option --%s needs an argument (%s)", hit->lname, hit->arg);
	}
	for (o = c != NULL ? c->opts : NULL; o != NULL && o->lname != NULL && optopt != 0; o++)
		if (o->sname == optopt && o->arg != NULL)
			return cli_usage_error(cmd, "option -%c needs an argument (%s)", optopt, o->arg);
	if (optopt != 0)
		return cli_usage_error(cmd, "unknown option -%c", optopt);
	return cli_usage_error(cmd, "bad option %s", w);
}

/* The name of the command given by the words of argv (1 or 2: "rules check"), or NULL. */
static const struct cli_cmd *
find_words(int argc, char **argv)
{
	const struct cli_cmd *c = NULL;
	char *two;

	if (argc >= 2) {
		two = xasprintf("%s %s", argv[0], argv[1]);
		c = cli_cmd_find(two);
		free(two);
	}
	return c != NULL ? c : argc >= 1 ? cli_cmd_find(argv[0]) : NULL;
}

/* The table as data, for tests: a line per command ("command NAME"), then one per option
 * ("option NAME SHORT LONG ARG", - for none). */
static void
dump_table(FILE *fp)
{
	const struct cli_cmd *const *cp, *c;
	const struct cli_opt *o;

	for (cp = cli_cmds; (c = *cp) != NULL; cp++) {
		fprintf(fp, "command\t%s\n", c->name);
		for (o = c->opts; o->lname != NULL; o++)
			fprintf(fp, "option\t%s\t%c\t%s\t%s\n", c->name, o->sname ? o->sname : '-',
			    o->lname, o->arg ? o->arg : "-");
	}
}

int
cmd_help(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc == 2 && strcmp(argv[1], "--table") == 0) {
		dump_table(stdout);
		return 0;
	}
	if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		cli_help(stdout, "help");
		return 0;
	}
	if (argc < 2) {
		cli_help(stdout, NULL);
		return 0;
	}
	if (argv[1][0] == '-')
		return cli_usage_error("help", "unknown option %s", argv[1]);
	if (argc > 3 || (c = find_words(argc - 1, argv + 1)) == NULL ||
	    (argc == 3 && strchr(c->name, ' ') == NULL))
		return cli_usage_error("help", "no such command: %s%s%s", argv[1],
		    argc > 2 ? " " : "", argc > 2 ? argv[2] : "");
	cli_help(stdout, c->name);
	return 0;
}

/* Words: the top-level commands, or a parent's subcommands. */
static void
put_cmd_words(FILE *fp, const char *parent)
{
	const struct cli_cmd *const *cp, *c;
	size_t n = parent != NULL ? strlen(parent) : 0;
	int first = 1;

	for (cp = cli_cmds; (c = *cp) != NULL; cp++) {
		if (parent == NULL && strchr(c->name, ' ') != NULL)
			continue;
		if (parent != NULL && !(strncmp(c->name, parent, n) == 0 && c->name[n] == ' '))
			continue;
		fprintf(fp, "%s%s", first ? "" : " ", parent != NULL ? c->name + n + 1 : c->name);
		first = 0;
	}
}

static void
put_opt_words(FILE *fp, const struct cli_cmd *c)
{
	const struct cli_opt *o;
	int first = 1;

	for (o = c->opts; o->lname != NULL; o++) {
		fprintf(fp, "%s--%s", first ? "" : " ", o->lname);
		first = 0;
		if (o->sname != 0)
			fprintf(fp, " -%c", o->sname);
	}
}

/* The arguments completed with ids from the store (tfdrift completion ids WHAT): a
 * command's operand (opt NULL) or an option's argument. */
static const struct {
	const char *cmd, *opt, *what;
} id_args[] = {
	{ "ack", NULL, "findings" },
	{ "undo", NULL, "decisions" },
	{ "suppress", "value", "findings" },
};

/* What id_args completes cmd's operand (opt NULL) or its option opt with, or NULL. */
static const char *
id_arg(const char *cmd, const char *opt)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(id_args); i++)
		if (strcmp(id_args[i].cmd, cmd) == 0 && (opt == NULL ? id_args[i].opt == NULL :
		    id_args[i].opt != NULL && strcmp(id_args[i].opt, opt) == 0))
			return id_args[i].what;
	return NULL;
}

/* Bash: a case over the command (one or two words), then the previous word (an option's
 * argument: its values, or files), else options or subcommands. Ids come from the binary
 * on the command line (tfdrift completion ids), with the line's --store and -c. */
static void
completion_bash(FILE *fp)
{
	const struct cli_cmd *const *cp, *c;
	const struct cli_opt *o;
	const char *what;

	fputs("# bash completion for tfdrift, made by `tfdrift completion bash`\n"
	    "_tfdrift_ids()\n{\n"
	    "\tlocal i w b a store= conf= scope= exe=${COMP_WORDS[0]}\n"
	    "\tlocal -a ws\n"
	    "\t# The words as typed, less the one at the cursor: bash's COMP_WORDS splits\n"
	    "\t# postgresql://u@h:5432/db at each : and --store=PATH at the = (COMP_WORDBREAKS);\n"
	    "\t# its line split at blanks does not (zsh's COMP_WORDS splits at blanks only).\n"
	    "\tif [[ -n ${BASH_VERSION-} && -n ${COMP_LINE-} ]]; then\n"
	    "\t\tb=${COMP_LINE:0:COMP_POINT} a=${COMP_LINE:COMP_POINT}\n"
	    "\t\tb=${b%\"${b##*[[:space:]]}\"} a=${a#\"${a%%[[:space:]]*}\"}\n"
	    "\t\tread -ra ws <<< \"$b $a\"\n"
	    "\telse\n"
	    "\t\tws=(\"${COMP_WORDS[@]:0:$COMP_CWORD}\" \"${COMP_WORDS[@]:$((COMP_CWORD + 1))}\")\n"
	    "\tfi\n"
	    "\tfor ((i = 1; i < ${#ws[@]}; i++)); do\n"
	    "\t\tw=${ws[i+1]-}\n"
	    "\t\t# COMP_WORDS without a line: --store=PATH split at the =\n"
	    "\t\t[[ $w == = ]] && w=${ws[i+2]-}\n"
	    "\t\tcase ${ws[i]} in\n"
	    "\t\t--store) store=$w ;;\n"
	    "\t\t--store=*) store=${ws[i]#*=} ;;\n"
	    "\t\t-c|--config) conf=$w ;;\n"
	    "\t\t--scope) scope=$w ;;\n"
	    "\t\tesac\n"
	    "\tdone\n"
	    "\t# suppress --value is a finding id only with --scope finding\n"
	    "\t[[ $1 == findings && -n $scope && $scope != finding ]] && return\n"
	    "\tstore=${store/#\\~/$HOME} conf=${conf/#\\~/$HOME} exe=${exe/#\\~/$HOME}\n"
	    "\tCOMPREPLY=($(compgen -W \"$(\"$exe\" completion ids \"$1\" ${store:+--store \"$store\"} \\\n"
	    "\t    ${conf:+--config \"$conf\"} 2>/dev/null)\" -- \"$cur\"))\n"
	    "}\n"
	    "_tfdrift()\n{\n"
	    "\tlocal cur prev cmd words_ i\n"
	    "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
	    "\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
	    "\tCOMPREPLY=()\n"
	    "\t# the command: the first word that is not an option (nor -c's file)\n"
	    "\tcmd=\n"
	    "\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	    "\t\tcase ${COMP_WORDS[i]} in\n"
	    "\t\t-c|--config) [[ -z $cmd ]] && ((i++)) ;;\n"
	    "\t\t-*) ;;\n"
	    "\t\t*) if [[ -z $cmd ]]; then cmd=${COMP_WORDS[i]}\n"
	    "\t\t   elif [[ $cmd != *' '* ]]; then\n"
	    "\t\t\tcase \"$cmd ${COMP_WORDS[i]}\" in\n", fp);
	for (cp = cli_cmds; (c = *cp) != NULL; cp++)
		if (strchr(c->name, ' ') != NULL)
			fprintf(fp, "\t\t\t'%s') cmd=\"$cmd ${COMP_WORDS[i]}\" ;;\n", c->name);
	fputs("\t\t\tesac\n\t\t   fi ;;\n\t\tesac\n\tdone\n"
	    "\tif [[ -z $cmd ]]; then\n"
	    "\t\tif [[ $cur == -* ]]; then words_='-c --config -h --help -V --version'\n"
	    "\t\telif [[ $prev == -c || $prev == --config ]]; then\n"
	    "\t\t\tCOMPREPLY=($(compgen -f -- \"$cur\")); return\n"
	    "\t\telse words_='", fp);
	put_cmd_words(fp, NULL);
	fputs("'\n\t\tfi\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$words_\" -- \"$cur\")); return\n\tfi\n"
	    "\t# an option's argument\n"
	    "\tcase \"$cmd $prev\" in\n", fp);
	for (cp = cli_cmds; (c = *cp) != NULL; cp++)
		for (o = c->opts; o->lname != NULL; o++) {
			if (o->arg == NULL)
				continue;
			fprintf(fp, "\t'%s --%s'", c->name, o->lname);
			if (o->sname != 0)
				fprintf(fp, "|'%s -%c'", c->name, o->sname);
			if ((what = id_arg(c->name, o->lname)) != NULL)
				fprintf(fp, ") _tfdrift_ids %s; return ;;\n", what);
			else if (o->values != NULL)
				fprintf(fp, ") COMPREPLY=($(compgen -W '%s' -- \"$cur\")); return ;;\n",
				    o->values);
			else
				fputs(") COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n", fp);
		}
	fputs("\tesac\n"
	    "\tcase $cmd in\n", fp);
	for (cp = cli_cmds; (c = *cp) != NULL; cp++) {
		int parent = is_sub(cp[1], c);

		fprintf(fp, "\t'%s') ", c->name);
		if (parent) {
			fputs("if [[ $cur == -* ]]; then words_='", fp);
			put_opt_words(fp, c);
			fputs("'; else words_='", fp);
			put_cmd_words(fp, c->name);
			fputs("'; fi ;;\n", fp);
		} else {
			fputs("if [[ $cur == -* ]]; then words_='", fp);
			put_opt_words(fp, c);
			if ((what = id_arg(c->name, NULL)) != NULL)
				fprintf(fp, "'; else _tfdrift_ids %s; return; fi ;;\n", what);
			else
				fputs("'; else COMPREPLY=($(compgen -f -- \"$cur\")); return; fi ;;\n", fp);
		}
	}
	fputs("\t*) return ;;\n\tesac\n"
	    "\tCOMPREPLY=($(compgen -W \"$words_\" -- \"$cur\"))\n}\n"
	    "complete -F _tfdrift tfdrift\n", fp);
}

/* Zsh: bash's script through bashcompinit. */
static void
completion_zsh(FILE *fp)
{
	fputs("#compdef tfdrift\n"
	    "# zsh completion for tfdrift, made by `tfdrift completion zsh` (bash's, through\n"
	    "# bashcompinit)\n"
	    "autoload -U +X bashcompinit && bashcompinit\n", fp);
	completion_bash(fp);
}

/* s as one fish single-quoted word: its first line (oneline), or all of it on one line. */
static void
put_fish_quoted(FILE *fp, const char *s, int oneline)
{
	fputc('\'', fp);
	for (; *s != '\0' && !(oneline && *s == '\n'); s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', fp);
		fputc(*s == '\n' ? ' ' : *s, fp);
	}
	fputc('\'', fp);
}

/* Fish: __tfdrift_cmd finds the command on the line (as bash's script does), and each
 * command's options, values and subcommands are `complete` lines under that condition. */
static void
completion_fish(FILE *fp)
{
	const struct cli_cmd *const *cp, *c;
	const struct cli_opt *o;
	const char *what;

	fputs("# fish completion for tfdrift, made by `tfdrift completion fish`\n"
	    "function __tfdrift_cmd --description 'the tfdrift command on the line: one or two words'\n"
	    "\tset -l words (commandline -opc)\n"
	    "\tset -e words[1]\n"
	    "\tset -l cmd ''\n"
	    "\tset -l skip 0\n"
	    "\tfor w in $words\n"
	    "\t\tif test $skip = 1\n"
	    "\t\t\tset skip 0\n"
	    "\t\t\tcontinue\n"
	    "\t\tend\n"
	    "\t\tswitch $w\n"
	    "\t\tcase -c --config\n"
	    "\t\t\ttest -z \"$cmd\"; and set skip 1\n"
	    "\t\tcase '-*'\n"
	    "\t\tcase '*'\n"
	    "\t\t\tif test -z \"$cmd\"\n"
	    "\t\t\t\tset cmd $w\n"
	    "\t\t\telse if not string match -q '* *' -- $cmd; and contains -- \"$cmd $w\"", fp);
	for (cp = cli_cmds; (c = *cp) != NULL; cp++)
		if (strchr(c->name, ' ') != NULL) {
			fputc(' ', fp);
			put_fish_quoted(fp, c->name, 1);
		}
	fputs("\n"
	    "\t\t\t\tset cmd \"$cmd $w\"\n"
	    "\t\t\tend\n"
	    "\t\tend\n"
	    "\tend\n"
	    "\techo $cmd\n"
	    "end\n"
	    "function __tfdrift_is --description 'is the command on the line this one'\n"
	    "\tset -l c (__tfdrift_cmd)\n"
	    "\ttest \"$c\" = \"$argv[1]\"\n"
	    "end\n"
	    "# ids from the store: the binary on the line, with the line's --store and -c\n"
	    "function __tfdrift_ids --description 'finding or decision ids from the store'\n"
	    "\tset -l words (commandline -opc)\n"
	    "\tset -l exe (string replace -r '^~' -- $HOME $words[1])\n"
	    "\tset -l args\n"
	    "\tset -l scope\n"
	    "\tfor i in (seq 2 (count $words))\n"
	    "\t\tset -l next (math $i + 1)\n"
	    "\t\tswitch $words[$i]\n"
	    "\t\tcase --store -c --config\n"
	    "\t\t\tset -q words[$next]; and set args $args $words[$i] (string replace -r '^~' -- $HOME $words[$next])\n"
	    "\t\tcase '--store=*'\n"
	    "\t\t\tset args $args (string replace -r '^--store=~' -- --store=$HOME $words[$i])\n"
	    "\t\tcase --scope\n"
	    "\t\t\tset -q words[$next]; and set scope $words[$next]\n"
	    "\t\tend\n"
	    "\tend\n"
	    "\t# suppress --value is a finding id only with --scope finding\n"
	    "\tif test \"$argv[1]\" = findings -a -n \"$scope\" -a \"$scope\" != finding\n"
	    "\t\treturn\n"
	    "\tend\n"
	    "\t$exe completion ids $argv[1] $args 2>/dev/null\n"
	    "end\n"
	    "complete -c tfdrift -e\n"
	    "complete -c tfdrift -n \"__tfdrift_is ''\" -s c -l config -r -F -d 'configuration file'\n"
	    "complete -c tfdrift -n \"__tfdrift_is ''\" -s h -l help -d 'the commands'\n"
	    "complete -c tfdrift -n \"__tfdrift_is ''\" -s V -l version -d 'the version'\n", fp);
	for (cp = cli_cmds; (c = *cp) != NULL; cp++) {
		const char *sp = strchr(c->name, ' ');

		/* The command (or subcommand) itself, offered where its parent is complete. */
		fputs("complete -c tfdrift -n ", fp);
		if (sp == NULL)
			fputs("\"__tfdrift_is ''\"", fp);
		else
			fprintf(fp, "\"__tfdrift_is '%.*s'\"", (int)(sp - c->name), c->name);
		fputs(" -f -a ", fp);
		put_fish_quoted(fp, sp != NULL ? sp + 1 : c->name, 1);
		fputs(" -d ", fp);
		put_fish_quoted(fp, c->summary, 1);
		fputc('\n', fp);
		if ((what = id_arg(c->name, NULL)) != NULL)
			fprintf(fp, "complete -c tfdrift -n \"__tfdrift_is '%s'\" -f -a '(__tfdrift_ids %s)'\n",
			    c->name, what);
		for (o = c->opts; o->lname != NULL; o++) {
			fprintf(fp, "complete -c tfdrift -n \"__tfdrift_is '%s'\"", c->name);
			if (o->sname != 0)
				fprintf(fp, " -s %c", o->sname);
			fprintf(fp, " -l %s", o->lname);
			if (o->arg != NULL && (what = id_arg(c->name, o->lname)) != NULL)
				fprintf(fp, " -x -a '(__tfdrift_ids %s)'", what);
			else if (o->arg != NULL && o->values != NULL) {
				fputs(" -x -a ", fp);
				put_fish_quoted(fp, o->values, 1);
			} else if (o->arg != NULL)
				fputs(" -r -F", fp);
			fputs(" -d ", fp);
			put_fish_quoted(fp, o->desc, 0);
			fputc('\n', fp);
		}
	}
}

/* tfdrift completion bash|zsh|fish, or ids findings|decisions [--store STORE] [-c FILE]. */
int
cmd_completion(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "store", required_argument, NULL, 'D' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *store = NULL, *config = NULL, *what;
	int ch;

	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'D': store = optarg; break;
		case 'c': config = optarg; break;
		case 'h': cli_help(stdout, "completion"); return 0;
		default: return cli_opt_error("completion", argv);
		}
	}
	if (optind < argc && strcmp(argv[optind], "ids") == 0) {
		what = optind + 1 < argc ? argv[optind + 1] : "";
		if (optind + 2 != argc || (strcmp(what, "findings") != 0 &&
		    strcmp(what, "decisions") != 0))
			return cli_usage_error("completion", "ids: expected findings or decisions");
		return completion_ids(stdout, what, store, config);
	}
	if (optind != argc - 1)
		return cli_usage_error("completion", "expected one shell: bash, zsh or fish");
	if (store != NULL || config != NULL)
		return cli_usage_error("completion", "--store and --config go with ids only");
	if (strcmp(argv[optind], "bash") == 0)
		completion_bash(stdout);
	else if (strcmp(argv[optind], "zsh") == 0)
		completion_zsh(stdout);
	else if (strcmp(argv[optind], "fish") == 0)
		completion_fish(stdout);
	else
		return cli_usage_error("completion", "%s: expected bash, zsh, fish or ids", argv[optind]);
	return 0;
}
