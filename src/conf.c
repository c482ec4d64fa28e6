/* conf: the YAML configuration. The option table below is the only place an option is
 * described; defaults, parsing, validation, `config check` (conf_dump) and help come from it.
 * The keys of a sources.aws/gcp/falco item and of an outputs item are rows of two sub-tables
 * (source_rows, output_rows) in the same way.
 * Errors are collected, never fatal: every problem in a file is reported with
 * file:line:column so a user fixes them all in one pass. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/pubsub.h"
#include "conf.h"
#include "store.h"
#include "freeze.h"
#include "http.h"
#include "metrics.h"
#include "paging.h"
#include "util.h"
#include "yamlutil.h"

#define OPT(field) offsetof(struct conf, field)

static const struct conf_option options[] = {
	{ "states", CT_STRING_LIST, "",
	  "Terraform state sources: local paths, s3://bucket/key, gs://bucket/prefix, "
	  "http(s):// (Terraform's HTTP backend) or tfc://org/workspace (HCP Terraform). "
	  "`scan --state` adds to these.",
	  OPT(states) },
	{ "events", CT_STRING_LIST, "",
	  "Recorded audit event files to replay (CloudTrail S3 logs, JSON arrays, JSON lines, "
	  "LookupEvents or entries.list responses; .gz is read transparently; - is stdin). "
	  "`scan --events` adds to these.",
	  OPT(events) },
	{ "terraform_user_agents", CT_STRING_LIST, "Terraform/,terraform-provider-,OpenTofu/,opentofu",
	  "Substrings of an event's user agent that mark a call made by Terraform or OpenTofu. "
	  "Such calls are the pipeline, not drift. Setting this list replaces the default.",
	  OPT(terraform_user_agents) },
	{ "pipeline_principals", CT_STRING_LIST, "",
	  "Globs (* and ?) on the actor's principal (ARN or e-mail) or name that also count as "
	  "the deployment pipeline, e.g. arn:aws:sts::*:assumed-role/ci-deploy/* or "
	  "terraform@*.iam.gserviceaccount.com. Their writes are not drift, whatever the user "
	  "agent.",
	  OPT(pipeline_principals) },
	{ "service_principals", CT_STRING_LIST,
	  "*.amazonaws.com,"
	  "*.amazonaws.com.cn,"
	  "AWS Internal,"
	  "arn:aws*:iam::*:role/aws-service-role/*,"
	  "arn:aws*:sts::*:assumed-role/AWSServiceRole*,"
	  "*@cloudservices.gserviceaccount.com,"
	  "service-*@compute-system.iam.gserviceaccount.com,"
	  "service-*@container-engine-robot.iam.gserviceaccount.com,"
	  "service-*@gcp-sa-*.iam.gserviceaccount.com,"
	  "*@system.gserviceaccount.com",
	  "Globs on the actor's principal, name or invokedBy that mark a change made by the "
	  "cloud itself, which is not drift. Defaults: *.amazonaws.com is an AWS service acting "
	  "for you (autoscaling.amazonaws.com, ...; .amazonaws.com.cn in China); AWS Internal is "
	  "CloudTrail's invokedBy for AWS's own calls; aws-service-role/* and "
	  "assumed-role/AWSServiceRole* are service-linked roles and their sessions in every "
	  "partition (arn:aws:, arn:aws-cn:, arn:aws-us-gov:); *@cloudservices.gserviceaccount.com is the "
	  "Google APIs service agent (managed instance groups, Deployment Manager); "
	  "compute-system is the Compute Engine system agent (live migration, preemption, host "
	  "maintenance); container-engine-robot is the GKE service agent (node pools, "
	  "autoscaling); service-*@gcp-sa-* are the per-product Google service agents; "
	  "*@system.gserviceaccount.com are Google's internal system accounts. "
	  "Setting this list replaces the default.",
	  OPT(service_principals) },
	{ "event_maps", CT_PATH, "",
	  "Directory of event maps (YAML, one file per service). Empty means the maps that "
	  "ship with tfdrift (<datadir>/rules/events).",
	  OPT(event_maps) },
	{ "severity_modified", CT_SEVERITY, "medium",
	  "Severity of a managed attribute changed outside Terraform, unless a rule says "
	  "otherwise (critical, high, medium, low or info).",
	  OPT(severity_modified) },
	{ "severity_unmanaged", CT_SEVERITY, "low",
	  "Severity of a resource created or changed that no state manages.",
	  OPT(severity_unmanaged) },
	{ "severity_deleted", CT_SEVERITY, "high",
	  "Severity of a managed resource deleted outside Terraform.",
	  OPT(severity_deleted) },
	{ "severity_freeze_violation", CT_SEVERITY, "high",
	  "Severity of a freeze_violation: a write by anyone but the pipeline or the cloud "
	  "inside a change-freeze window. Drift found inside a window also ranks one step "
	  "higher than usual (up to critical).",
	  OPT(severity_freeze) },
	{ "freeze_windows", CT_FREEZE_WINDOWS, "",
	  "Change-freeze windows: a list of {name, start, end} (RFC 3339 times, end after "
	  "start, start inclusive, end exclusive), each with optional scope lists accounts "
	  "(AWS), projects (GCP), regions and resource_types (globs such as aws_iam_*; empty "
	  "or absent means any). Inside a window every write in scope by anyone but the "
	  "pipeline or the cloud is a freeze_violation, even when it changes nothing "
	  "Terraform manages. `scan --freeze` and `tfdrift freeze add` add more.",
	  OPT(freezes) },
	{ "store", CT_PATH, "$XDG_STATE_HOME/tfdrift/tfdrift.db",
	  "SQLite store for events, findings and triage decisions. The default is under "
	  "$XDG_STATE_HOME (~/.local/state when unset). A leading ~/ is your home directory. "
	  "A libpq URI (postgresql://user@host:port/db?sslmode=...) names a shared PostgreSQL "
	  "store instead; keep its password in PGPASSWORD or ~/.pgpass.",
	  OPT(store) },
	{ "theme", CT_STRING, "default",
	  "Colour theme for the dashboard: default, light, monochrome, high-contrast, or the "
	  "name of a theme file. NO_COLOR in the environment forces monochrome.",
	  OPT(theme) },
	{ "user", CT_STRING, "",
	  "Who your decisions are made as: the name acknowledgements, suppressions, undos and "
	  "freeze windows carry in the store (`tfdrift ack`, `suppress`, `undo`, `freeze` and "
	  "the dashboard), which every dashboard on a shared store shows. Empty means $USER "
	  "(else the login name).",
	  OPT(user) },
	{ "state_refresh", CT_DURATION, "5m",
	  "How often state sources are checked for a new version (ETag, generation, serial), "
	  "as a duration such as 90s, 5m or 1h30m.",
	  OPT(state_refresh_ms) },
	{ "gcp_operation_hold", CT_DURATION, "10m",
	  "How long, in the log's own time, a GCP operation's last entry waits for its first "
	  "entry (which carries the request) when it comes first: logs read newest first, or a "
	  "first entry ingested late. Once the log has moved this far past it, or the input "
	  "ends, it is decided on its own. The same in scan, watch and the dashboard; keep it "
	  "longer than Cloud Logging's ingestion delay (the poller allows 2m).",
	  OPT(gcp_operation_hold_ms) },
	{ "once_timeout", CT_DURATION, "2m",
	  "How long `watch --once` may take in all: the states are read and every source is "
	  "polled (in parallel) within it; a source or state not done by then is named, what it "
	  "handed over is kept, its cursor stays where that left it, and the exit status is 1. "
	  "`watch --once-timeout` overrides it.",
	  OPT(once_timeout_ms) },
	{ "session_gap", CT_DURATION, "15m",
	  "The dashboard's group by session (=): one actor's findings (same person, same role "
	  "session) make one session while each follows the one before within this gap.",
	  OPT(session_gap_ms) },
	{ "rules_dirs", CT_STRING_LIST, "",
	  "Rule files, or directories of them (their *.yaml, not subdirectories), that give "
	  "findings severity, remediation steps and runbook links (doc/rules.md). Empty means "
	  "the packs that ship with tfdrift (<datadir>/rules). Setting this list replaces the "
	  "default: list <datadir>/rules too to keep the shipped packs.",
	  OPT(rules_dirs) },
	{ "rules_disabled", CT_STRING_LIST, "",
	  "Rule ids to turn off (globs such as aws-0*); each must match a loaded rule.",
	  OPT(rules_disabled) },
	{ "findings_columns", CT_STRING_LIST, "",
	  "The dashboard's Findings columns, in order (st sev time kind resource change actor "
	  "account region event via). Empty means st, sev, time, kind, resource, change, actor. "
	  "`:columns` in the dashboard changes them and keeps that in the store.",
	  OPT(findings_columns) },
	{ "events_columns", CT_STRING_LIST, "",
	  "The Events view's columns, in order (time event actor via account region resource "
	  "outcome source id). Empty means time, event, actor, via, account, outcome.",
	  OPT(events_columns) },
	{ "actors_columns", CT_STRING_LIST, "",
	  "The Actors view's columns, in order (actor type via events findings open last). "
	  "Empty means all of them.",
	  OPT(actors_columns) },
};

/* Sub-keys of `sources` (live collectors). */
static const char *const source_keys[] = { "aws", "gcp", "files", "falco" };

static const char *const severities[] = { "critical", "high", "medium", "low", "info" };

const struct conf_option *
conf_options(size_t *n)
{
	*n = TF_ARRLEN(options);
	return options;
}

void
strlist_push(struct strlist *l, const char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = xstrdup(s);
}

void
strlist_clear(struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
is_severity(const char *s)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(severities); i++)
		if (strcmp(s, severities[i]) == 0)
			return 1;
	return 0;
}


/* Resolve a path option's value: ~/ is the home directory and the default's
 * $XDG_STATE_HOME prefix follows the XDG rules. Heap string. */
static char *
resolve_path(const char *s)
{
	static const char xdg[] = "$XDG_STATE_HOME";

	if (strcmp(s, "~") == 0)
		return xstrdup(tf_home_dir());
	if (strncmp(s, "~/", 2) == 0)
		return xasprintf("%s%s", tf_home_dir(), s + 1);
	if (strncmp(s, xdg, sizeof xdg - 1) == 0) {
		char *base = tf_xdg_dir("XDG_STATE_HOME", ".local/state"), *r;

		r = xasprintf("%s%s", base, s + sizeof xdg - 1);
		free(base);
		return r;
	}
	return xstrdup(s);
}

static int
env_name_char(char c, int first)
{
	return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

/* Expand ${NAME} and ${NAME:-default} in a scalar; $${ is a literal ${. Returns a heap
 * string, or NULL with *why set (heap) when a variable is unset or the syntax is bad. */
static char *
expand_env(const char *s, char **why)
{
	struct strbuf sb;
	const char *p = s;

	sb_init(&sb);
	while (*p) {
		const char *name, *end, *val, *def = NULL;
		size_t nlen, dlen = 0;
		char *n;

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			sb_adds(&sb, "${");
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			sb_addc(&sb, *p++);
			continue;
		}
		name = p + 2;
		for (end = name; env_name_char(*end, end == name); end++)
			;
		nlen = (size_t)(end - name);
		if (end[0] == ':' && end[1] == '-') {
			const char *close = strchr(end + 2, '}');

			if (close != NULL) {
				def = end + 2;
				dlen = (size_t)(close - def);
				end = close;
			}
		}
		if (*end != '}' || nlen == 0) {
			const char *close = strchr(p, '}');

			if (close == NULL)
				*why = xasprintf("unterminated ${ in '%s' (write $${ for a literal ${)", s);
			else
				*why = xasprintf("bad variable reference '%.*s' (use ${NAME} or "
				    "${NAME:-default}; NAME is letters, digits and _)",
				    (int)(close - p + 1), p);
			sb_free(&sb);
			return NULL;
		}
		n = xstrndup(name, nlen);
		val = getenv(n);
		if (val != NULL && (*val != '\0' || def == NULL))
			sb_adds(&sb, val);
		else if (def != NULL)
			sb_add(&sb, def, dlen);
		else {
			*why = xasprintf("environment variable %s is not set (in '%s'; use "
			    "${%s:-default} for a fallback)", n, s, n);
			free(n);
			sb_free(&sb);
			return NULL;
		}
		free(n);
		p = end + 1;
	}
	return sb_detach(&sb);
}

static void *
field(struct conf *c, const struct conf_option *o)
{
	return (char *)c + o->offset;
}

/* `user:` is shown on every dashboard and stored with each decision: a name, no control
 * characters (a terminal would act on them), no blanks around it. */
static int
user_ok(const char *v)
{
	size_t n = strlen(v), i;

	if (n > 0 && (v[0] == ' ' || v[n - 1] == ' ' || v[0] == '\t' || v[n - 1] == '\t'))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

/* Check and store one scalar value for option o; 0, or -1 with *why (heap). */
static int
set_scalar(struct conf *c, const struct conf_option *o, const char *v, char **why)
{
	char **sp = field(c, o);
	int64_t ms;

	switch (o->type) {
	case CT_SEVERITY:
		if (!is_severity(v)) {
			*why = xasprintf("bad severity '%s' for %s (one of: critical, high, medium, "
			    "low, info)", v, o->name);
			return -1;
		}
		free(*sp);
		*sp = xstrdup(v);
		return 0;
	case CT_DURATION:
		if (tf_parse_duration(v, &ms) != 0) {
			*why = xasprintf("bad duration '%s' for %s (a number with a unit: 90s, 5m, "
			    "1h30m, 1d)", v, o->name);
			return -1;
		}
		if (ms <= 0) {
			*why = xasprintf("%s must be longer than 0", o->name);
			return -1;
		}
		*(int64_t *)field(c, o) = ms;
		return 0;
	case CT_PATH:
		if (*v == '\0' && *o->def != '\0') {
			*why = xasprintf("%s must not be empty", o->name);
			return -1;
		}
		free(*sp);
		*sp = resolve_path(v);
		return 0;
	case CT_STRING:
		if (*v == '\0' && *o->def != '\0') {
			*why = xasprintf("%s must not be empty", o->name);
			return -1;
		}
		if (sp == &c->user && !user_ok(v)) {
			*why = xasprintf("user must be a name without control characters or "
			    "surrounding blanks");
			return -1;
		}
		free(*sp);
		*sp = xstrdup(v);
		return 0;
	case CT_STRING_LIST:
	case CT_FREEZE_WINDOWS:
		break;
	}
	*why = xasprintf("%s: internal error: not a scalar option", o->name);
	return -1;
}

/* A list of strings (null is the empty list) into *out; 0, or -1 (errors added, *out
 * empty). `what` names the option in messages. */
static int
load_strlist(const char *what, struct ydoc *d, yaml_node_t *v, struct strlist *out,
    char ***errs, size_t *nerrs)
{
	char *why = NULL, *s;
	size_t i;
	int bad = 0;

	memset(out, 0, sizeof *out);
	if (ynode_is_null(v))
		return 0;
	if (!ynode_is_seq(v)) {
		yerr_add(errs, nerrs, d, v, "%s must be a list of strings, not %s (write "
		    "[a, b] or one '- item' per line)", what, ynode_kind(v));
		return -1;
	}
	for (i = 0; i < yseq_len(v); i++) {
		yaml_node_t *it = yseq_get(d, v, i);

		if (!ynode_is_scalar(it) || ynode_is_null(it)) {
			yerr_add(errs, nerrs, d, it, "%s: item %zu must be a string, not %s",
			    what, i + 1, ynode_kind(it));
			bad = 1;
			continue;
		}
		if ((s = expand_env(ynode_str(it), &why)) == NULL) {
			yerr_add(errs, nerrs, d, it, "%s", why);
			free(why);
			why = NULL;
			bad = 1;
			continue;
		}
		strlist_push(out, s);
		free(s);
	}
	if (bad) {
		strlist_clear(out);
		return -1;
	}
	return 0;
}

static const char *const freeze_keys[] = { "name", "start", "end", "accounts", "projects",
	"regions", "resource_types" };

/* One scalar of a freeze window (expanded); heap string or NULL after an error. */
static char *
freeze_scalar(struct ydoc *d, yaml_node_t *v, const char *where, const char *key,
    char ***errs, size_t *nerrs)
{
	char *why = NULL, *s;

	if (!ynode_is_scalar(v) || ynode_is_null(v)) {
		yerr_add(errs, nerrs, d, v, "%s: %s must be a single value, not %s", where, key,
		    ynode_kind(v));
		return NULL;
	}
	if ((s = expand_env(ynode_str(v), &why)) == NULL) {
		yerr_add(errs, nerrs, d, v, "%s", why);
		free(why);
	}
	return s;
}

/* Index of key k in names, or -1 (reported: not a plain string, unknown, with a near miss, or
 * given twice; first[] as ykey_index). */
static int
src_key(struct ydoc *d, yaml_node_t *k, const char *where, const char *const *names, size_t n,
    yaml_node_t **first, char ***errs, size_t *nerrs)
{
	char *what = strncmp(where, "key", 3) == 0 ? xstrdup(where) : xasprintf("key in %s", where);
	int x = ykey_index(errs, nerrs, d, k, what, names, n, first);

	free(what);
	return x;
}

/* One item of freeze_windows into *w; 0, or -1 with errors added. */
static int
load_freeze_item(struct ydoc *d, yaml_node_t *it, size_t idx, struct freeze_window *w,
    char ***errs, size_t *nerrs)
{
	yaml_node_t *k, *v, *start_n = NULL, *end_n = NULL;
	yaml_node_t *first[TF_ARRLEN(freeze_keys)] = { 0 };
	char *where = xasprintf("freeze_windows item %zu", idx + 1), *s;
	size_t i;
	int bad = 0;

	memset(w, 0, sizeof *w);
	w->origin = FO_CONFIG;
	if (!ynode_is_map(it)) {
		yerr_add(errs, nerrs, d, it, "%s must be a mapping (name:, start:, end:, and "
		    "optional accounts:, projects:, regions:, resource_types:), not %s", where,
		    ynode_kind(it));
		free(where);
		return -1;
	}
	for (i = 0; ymap_pair(d, it, i, &k, &v); i++) {
		const char *key = ynode_str(k);
		int found = src_key(d, k, where, freeze_keys, TF_ARRLEN(freeze_keys), first, errs,
		    nerrs);

		switch (found) {
		case -1:
			bad = 1;
			break;
		case 0:
			if ((s = freeze_scalar(d, v, where, key, errs, nerrs)) == NULL)
				bad = 1;
			else if (*s == '\0') {
				yerr_add(errs, nerrs, d, v, "%s: name must not be empty", where);
				free(s);
				bad = 1;
			} else
				w->name = s;
			break;
		case 1:
		case 2:
			if ((s = freeze_scalar(d, v, where, key, errs, nerrs)) == NULL) {
				bad = 1;
				break;
			}
			if (tf_parse_time(s, found == 1 ? &w->start_ms : &w->end_ms) != 0) {
				yerr_add(errs, nerrs, d, v, "%s: bad %s time '%s' (RFC 3339, e.g. "
				    "2024-05-27T08:00:00Z)", where, key, s);
				bad = 1;
			} else if (found == 1)
				start_n = v;
			else
				end_n = v;
			free(s);
			break;
		default: {
			struct strlist l;
			char *what = xasprintf("%s: %s", where, key);

			if (load_strlist(what, d, v, &l, errs, nerrs) != 0)
				bad = 1;
			else {
				struct strlist *dst = found == 3 ? &w->accounts : found == 4 ?
				    &w->projects : found == 5 ? &w->regions : &w->resource_types;

				strlist_clear(dst);
				*dst = l;
			}
			free(what);
			break;
		}
		}
	}
	if (!bad) {
		if (w->name == NULL)
			yerr_add(errs, nerrs, d, it, "%s has no name (name: is required)", where);
		if (start_n == NULL)
			yerr_add(errs, nerrs, d, it, "%s has no start (start: 2024-05-27T08:00:00Z)",
			    where);
		if (end_n == NULL)
			yerr_add(errs, nerrs, d, it, "%s has no end (end: 2024-05-27T12:00:00Z)", where);
		if (w->name == NULL || start_n == NULL || end_n == NULL)
			bad = 1;
		else if (w->end_ms <= w->start_ms) {
			yerr_add(errs, nerrs, d, end_n, "%s (%s): the end is not after the start",
			    where, w->name);
			bad = 1;
		}
	}
	free(where);
	if (bad) {
		freeze_window_clear(w);
		return -1;
	}
	return 0;
}

/* CT_FREEZE_WINDOWS: the list replaces c->freezes when every item is good. */
static void
load_freezes(struct conf *c, const struct conf_option *o, struct ydoc *d, yaml_node_t *v,
    char ***errs, size_t *nerrs)
{
	struct freeze_window *ws = NULL;
	size_t n = 0, i, j;
	int bad = 0;

	if (ynode_is_null(v)) {
		freeze_windows_free(c->freezes, c->nfreezes);
		c->freezes = NULL;
		c->nfreezes = 0;
		return;
	}
	if (!ynode_is_seq(v)) {
		yerr_add(errs, nerrs, d, v, "%s must be a list of mappings (- name: ..., start: ..., "
		    "end: ...), not %s", o->name, ynode_kind(v));
		return;
	}
	for (i = 0; i < yseq_len(v); i++) {
		yaml_node_t *it = yseq_get(d, v, i);
		struct freeze_window w;

		if (load_freeze_item(d, it, i, &w, errs, nerrs) != 0) {
			bad = 1;
			continue;
		}
		for (j = 0; j < n; j++)
			if (strcmp(ws[j].name, w.name) == 0)
				break;
		if (j < n) {
			yerr_add(errs, nerrs, d, ymap_get(d, it, "name"), "freeze_windows item %zu: "
			    "duplicate window name '%s' (names must be unique: give each its own, "
			    "e.g. %s-2)", i + 1, w.name, w.name);
			freeze_window_clear(&w);
			bad = 1;
			continue;
		}
		ws = xreallocarray(ws, n + 1, sizeof *ws);
		ws[n++] = w;
	}
	if (bad) {
		freeze_windows_free(ws, n);
		return;
	}
	freeze_windows_free(c->freezes, c->nfreezes);
	c->freezes = ws;
	c->nfreezes = n;
}

/* Parse one option's value node; errors go to errs. */
static void
load_option(struct conf *c, const struct conf_option *o, struct ydoc *d, yaml_node_t *v,
    char ***errs, size_t *nerrs)
{
	char *why = NULL, *s;

	if (o->type == CT_STRING_LIST) {
		struct strlist l = { NULL, 0 };

		if (load_strlist(o->name, d, v, &l, errs, nerrs) != 0)
			return;
		strlist_clear(field(c, o));
		*(struct strlist *)field(c, o) = l;
		return;
	}
	if (o->type == CT_FREEZE_WINDOWS) {
		load_freezes(c, o, d, v, errs, nerrs);
		return;
	}
	if (!ynode_is_scalar(v)) {
		yerr_add(errs, nerrs, d, v, "%s must be a single value, not %s", o->name,
		    ynode_kind(v));
		return;
	}
	if (ynode_is_null(v))
		s = xstrdup("");
	else if ((s = expand_env(ynode_str(v), &why)) == NULL) {
		yerr_add(errs, nerrs, d, v, "%s", why);
		free(why);
		return;
	}
	if (set_scalar(c, o, s, &why) != 0) {
		yerr_add(errs, nerrs, d, v, "%s", why);
		free(why);
	}
	free(s);
}

static void load_sources(struct conf *c, struct ydoc *d, yaml_node_t *v, char ***errs,
    size_t *nerrs);
static void load_outputs(struct conf *c, struct ydoc *d, yaml_node_t *v, char ***errs,
    size_t *nerrs);
static void load_metrics(struct conf *c, struct ydoc *d, yaml_node_t *v, char ***errs,
    size_t *nerrs);

static void
load_root(struct conf *c, struct ydoc *d, char ***errs, size_t *nerrs)
{
	yaml_node_t *root = ydoc_root(d), *k, *v, **first;
	const char **names;
	size_t i;

	if (root == NULL || ynode_is_null(root))
		return;
	if (!ynode_is_map(root)) {
		yerr_add(errs, nerrs, d, root, "the configuration must be a mapping of "
		    "'option: value' lines, not %s", ynode_kind(root));
		return;
	}
	names = xcalloc(TF_ARRLEN(options) + 3, sizeof *names);
	first = xcalloc(TF_ARRLEN(options) + 3, sizeof *first);
	for (i = 0; i < TF_ARRLEN(options); i++)
		names[i] = options[i].name;
	names[i] = "sources";
	names[i + 1] = "outputs";
	names[i + 2] = "metrics";
	for (i = 0; ymap_pair(d, root, i, &k, &v); i++) {
		int x = ykey_index(errs, nerrs, d, k, "option", names, TF_ARRLEN(options) + 3,
		    first);

		if (x < 0)
			continue;
		if ((size_t)x == TF_ARRLEN(options))
			load_sources(c, d, v, errs, nerrs);
		else if ((size_t)x == TF_ARRLEN(options) + 1)
			load_outputs(c, d, v, errs, nerrs);
		else if ((size_t)x == TF_ARRLEN(options) + 2)
			load_metrics(c, d, v, errs, nerrs);
		else
			load_option(c, &options[x], d, v, errs, nerrs);
	}
	free(first);
	free(names);
}

void
conf_init(struct conf *c)
{
	size_t i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < TF_ARRLEN(options); i++) {
		const struct conf_option *o = &options[i];
		char *why = NULL;

		if (o->type == CT_STRING_LIST) {
			const char *p = o->def, *comma;

			while (*p) {
				char *item;

				comma = strchr(p, ',');
				if (comma == NULL)
					comma = p + strlen(p);
				item = xstrndup(p, (size_t)(comma - p));
				strlist_push(field(c, o), item);
				free(item);
				p = *comma ? comma + 1 : comma;
			}
		} else if (o->type == CT_FREEZE_WINDOWS)
			continue;   /* none by default */
		else if (set_scalar(c, o, o->def, &why) != 0)
			tf_fatal("conf: built-in default: %s", why);
	}
	c->event_maps_default = xasprintf("%s/rules/events", tf_datadir());
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(options); i++) {
		const struct conf_option *o = &options[i];

		if (o->type == CT_STRING_LIST)
			strlist_clear(field(c, o));
		else if (o->type == CT_FREEZE_WINDOWS) {
			freeze_windows_free(c->freezes, c->nfreezes);
			c->freezes = NULL;
			c->nfreezes = 0;
		} else if (o->type != CT_DURATION) {
			free(*(char **)field(c, o));
			*(char **)field(c, o) = NULL;
		}
	}
	conf_sources_clear(&c->sources);
	conf_outputs_clear(c->outputs, c->noutputs);
	c->outputs = NULL;
	c->noutputs = 0;
	free(c->metrics_listen);
	c->metrics_listen = NULL;
	free(c->path);
	c->path = NULL;
	free(c->event_maps_default);
	c->event_maps_default = NULL;
}

int
conf_load_mem(struct conf *c, const char *name, const char *buf, size_t len,
    char ***errs, size_t *nerrs)
{
	struct ydoc d;
	char *err = NULL;
	size_t before = *nerrs;

	free(c->path);
	c->path = xstrdup(name);
	if (ydoc_load_mem(&d, name, buf, len, &err) != 0) {
		*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
		(*errs)[(*nerrs)++] = err;
		ydoc_free(&d);
		return -1;
	}
	load_root(c, &d, errs, nerrs);
	ydoc_free(&d);
	return *nerrs > before ? -1 : 0;
}

int
conf_load(struct conf *c, const char *path, char ***errs, size_t *nerrs)
{
	const char *prev;
	char *buf = NULL, *err = NULL;
	size_t len = 0;
	int rc;

	if (tf_read_file(path, TF_FILE_CONFIG, &buf, &len, &err) != 0) {
		*errs = xreallocarray(*errs, *nerrs + 1, sizeof **errs);
		(*errs)[(*nerrs)++] = xasprintf("%s (cannot read the configuration)", err);
		free(err);
		return -1;
	}
	prev = tf_reading_set(path);
	rc = conf_load_mem(c, path, buf, len, errs, nerrs);
	tf_reading_set(prev);
	free(buf);
	return rc;
}

static int
is_file(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int
conf_load_report(struct conf *c, const char *explicit_path, FILE *fp)
{
	char *file = conf_find(explicit_path), **errs = NULL;
	size_t nerrs = 0, i;
	int rc = 0;

	if (file != NULL && conf_load(c, file, &errs, &nerrs) != 0) {
		for (i = 0; i < nerrs; i++)
			fprintf(fp, "tfdrift: %s\n", errs[i]);
		fprintf(fp, "tfdrift: %zu error%s in %s\n", nerrs, nerrs == 1 ? "" : "s", file);
		rc = -1;
	}
	yerrs_free(errs, nerrs);
	free(file);
	return rc;
}

char *
conf_find(const char *explicit_path)
{
	char *base, *p;

	if (explicit_path != NULL)
		return xstrdup(explicit_path);
	if (is_file("tfdrift.yaml"))
		return xstrdup("tfdrift.yaml");
	base = tf_xdg_dir("XDG_CONFIG_HOME", ".config");
	p = xasprintf("%s/tfdrift/config.yaml", base);
	free(base);
	if (is_file(p))
		return p;
	free(p);
	return NULL;
}

const char *
conf_user(const struct conf *c)
{
	if (c->user != NULL && *c->user != '\0')
		return c->user;
	return tf_current_user();
}

const char *
conf_event_maps_dir(const struct conf *c)
{
	if (c->event_maps != NULL && *c->event_maps != '\0')
		return c->event_maps;
	return c->event_maps_default;
}

/* Write text as "# " comment lines wrapped at 78 columns. */
static void
dump_comment(FILE *fp, const char *text)
{
	const char *p = text;

	while (*p) {
		size_t n = strlen(p), cut = n;

		if (n > 76) {
			for (cut = 76; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				for (cut = 76; p[cut] != '\0' && p[cut] != ' '; cut++)
					;
		}
		fprintf(fp, "# %.*s\n", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

/* A state source that is a URL with credentials or secret-looking query values (an S3 or
 * GCS presigned URL's signature and token, a SAS signature) as errors and the trace show it,
 * or NULL when it has none. `config check` output is pasted into tickets and chats, and fed
 * back to `config check`: credentials in the URL show as REDACTED@ (not left out, so the
 * URL still says it needs them), every hidden part reads REDACTED, and a URL that already
 * reads REDACTED gets the same note, so the dump of a dump is the dump. */
static char *
redacted_url(const char *s)
{
	const char *scheme = strstr(s, "://"), *host, *end, *at;
	char *t, *r;

	if (scheme == NULL)
		return NULL;
	host = scheme + 3;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	t = http_redact_url(s);
	if (at != NULL) {
		r = xasprintf("%.*sREDACTED@%s", (int)(host - s), s, t + (host - s));
		free(t);
	} else
		r = t;
	if (strstr(r, "REDACTED") == NULL) {    /* then r is s: nothing was hidden */
		free(r);
		return NULL;
	}
	return r;
}

/* A double-quoted YAML scalar that loads back as s: through ${} expansion, or (raw: s as
 * written in the file, its ${VAR} references kept for the loader to expand) as what s
 * expands to. */
static void
dump_quoted(FILE *fp, const char *s, int raw)
{
	const unsigned char *p;

	fputc('"', fp);
	for (p = (const unsigned char *)(s ? s : ""); *p; p++) {
		unsigned cp = 0;

		/* Characters YAML folds or refuses unescaped: C1 controls (NEL among them),
		 * the Unicode line and paragraph separators, BOM and non-characters. */
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			cp = p[1];
		else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9))
			cp = 0x2000 | (p[2] - 0x80);
		else if (p[0] == 0xef && ((p[1] == 0xbb && p[2] == 0xbf) ||
		    (p[1] == 0xbf && (p[2] == 0xbe || p[2] == 0xbf))))
			cp = 0xf000 | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
		if (cp != 0) {
			fprintf(fp, "\\u%04x", cp);
			p += cp < 0x100 ? 1 : 2;
			continue;
		}
		if (p[0] == '$' && p[1] == '{' && !raw)
			fputs("$$", fp);
		else if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", fp);
		else if (*p == '\t')
			fputs("\\t", fp);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(fp, "\\x%02x", *p);
		else
			fputc(*p, fp);
	}
	fputc('"', fp);
}

static void
dump_string(FILE *fp, const char *s)
{
	dump_quoted(fp, s, 0);
}

static void
dump_raw(FILE *fp, const char *s)
{
	dump_quoted(fp, s, 1);
}

static void
dump_duration(FILE *fp, int64_t ms)
{
	static const struct { const char *u; int64_t ms; } units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
	};
	size_t i;

	if (ms <= 0) {
		fputs("0s", fp);
		return;
	}
	for (i = 0; i < TF_ARRLEN(units); i++) {
		if (ms >= units[i].ms) {
			fprintf(fp, "%lld%s", (long long)(ms / units[i].ms), units[i].u);
			ms %= units[i].ms;
		}
	}
}

/* freeze_windows as block YAML that loads back (times in UTC). */
static void
dump_freezes(const struct conf *c, const struct conf_option *o, FILE *fp)
{
	static const char *const lists[] = { "accounts", "projects", "regions", "resource_types" };
	size_t i, j, k;
	char buf[32];

	if (c->nfreezes == 0) {
		fprintf(fp, "%s: []\n", o->name);
		return;
	}
	fprintf(fp, "%s:\n", o->name);
	for (i = 0; i < c->nfreezes; i++) {
		const struct freeze_window *w = &c->freezes[i];
		const struct strlist *l[] = { &w->accounts, &w->projects, &w->regions,
			&w->resource_types };

		fputs("  - name: ", fp);
		dump_string(fp, w->name);
		tf_format_time(w->start_ms, buf);
		fprintf(fp, "\n    start: \"%s\"\n", buf);
		tf_format_time(w->end_ms, buf);
		fprintf(fp, "    end: \"%s\"\n", buf);
		for (j = 0; j < TF_ARRLEN(lists); j++) {
			if (l[j]->n == 0)
				continue;
			fprintf(fp, "    %s: [", lists[j]);
			for (k = 0; k < l[j]->n; k++) {
				if (k > 0)
					fputs(", ", fp);
				dump_string(fp, l[j]->v[k]);
			}
			fputs("]\n", fp);
		}
	}
}

/* ---- sources (aws, gcp, files, falco) and outputs: one row a key ---- */

/* The most pages a source may read in one poll. */
#define MAX_PAGES_LIMIT 1000000

/* http:// or https:// with a host. */
static int
is_url(const char *s)
{
	const char *h;

	if (strncmp(s, "http://", 7) == 0)
		h = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		h = s + 8;
	else
		return 0;
	return *h != '\0' && *h != '/' && strchr(h, ' ') == NULL;
}

/* The region of an SQS queue URL (https://sqs.eu-west-1.amazonaws.com/...,
 * https://sqs-fips.us-east-1.amazonaws.com/..., https://sqs.cn-north-1.amazonaws.com.cn/...),
 * or NULL. */
static char *
sqs_url_region(const char *url)
{
	const char *h = strstr(url, "://"), *e;

	if (h != NULL && strncmp(h + 3, "sqs-fips.", 9) == 0)
		h += 5;         /* "-fips" */
	else if (h == NULL || strncmp(h + 3, "sqs.", 4) != 0)
		return NULL;
	h += 7;
	e = strchr(h, '.');
	return e != NULL && e > h ? xstrndup(h, (size_t)(e - h)) : NULL;
}


/* A header name: an RFC 9110 token. */
static int
is_header_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("!#$%&'*+-.^_`|~", *s) == NULL)
			return 0;
	return 1;
}

/* "N", "N/minute", "N/min" or "N/m": findings per minute. 0, or -1. */
static int
parse_rate(const char *s, int *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	v = strtol(s, &end, 10);
	if (v < 0 || v > 100000)
		return -1;
	if (*end != '\0' && strcmp(end, "/minute") != 0 && strcmp(end, "/min") != 0 &&
	    strcmp(end, "/m") != 0)
		return -1;
	*out = (int)v;
	return 0;
}
static void
dump_strlist_inline(FILE *fp, const struct strlist *l)
{
	size_t k;

	fputc('[', fp);
	for (k = 0; k < l->n; k++) {
		if (k > 0)
			fputs(", ", fp);
		dump_string(fp, l->v[k]);
	}
	fputc(']', fp);
}


/* A header whose value is a credential by its name. */
static int
secret_header(const char *name)
{
	static const char *const words[] = { "auth", "token", "key", "secret", "password",
		"signature", "cookie", "session" };
	char buf[64];
	size_t i, n = strcspn(name, ":");

	if (n >= sizeof buf)
		n = sizeof buf - 1;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[n] = '\0';
	for (i = 0; i < TF_ARRLEN(words); i++)
		if (strstr(buf, words[i]) != NULL)
			return 1;
	return 0;
}

static const char *const output_types[] = { "slack", "webhook", "falco" };
static const char *const finding_kinds[] = { "modified", "unmanaged", "deleted",
	"freeze_violation" };
/* outputs[].on, in CONF_ON_* bit order. */
static const char *const output_on[] = { "open", "resolved" };

const char *
conf_output_type_name(enum conf_output_type t)
{
	return (size_t)t < TF_ARRLEN(output_types) ? output_types[t] : "?";
}

/* What a key of a source or an output holds, how it is checked and how it is dumped. */
enum sub_type {
	SUB_TEXT,          /* char *, not empty */
	SUB_STRING,        /* char *, may be empty */
	SUB_SOCKET,        /* char *, not empty and not a bare "unix:" */
	SUB_URL,           /* char *, http:// or https:// */
	SUB_DURATION,      /* int64_t ms, at least min_ms */
	SUB_COUNT,         /* unsigned, 1 to MAX_PAGES_LIMIT */
	SUB_BOOL,          /* int */
	SUB_LIST,          /* struct strlist; among `names` when they are given */
	SUB_OUTPUT_TYPE,   /* enum conf_output_type */
	SUB_SECRET_URL,    /* char *, an http(s) URL never echoed; as written at text_off */
	SUB_SECRET,        /* char *, not empty; as written at text_off */
	SUB_FILE,          /* char *, a path (~/ resolved) or - for stdout */
	SUB_PATH,          /* char *, a path (~/ resolved), not empty */
	SUB_SEVERITY,      /* char * */
	SUB_RATE,          /* int, findings per minute */
	SUB_RETRIES,       /* int, 0 to 10 */
	SUB_ON,            /* unsigned CONF_ON_* bits */
	SUB_HEADERS,       /* struct strlist "Name: value"; as written at text_off */
};

/* Sub-tables: the keys of a sources.aws, sources.gcp or sources.falco item, or of an outputs
 * item. off[t] is the field in the struct of type t (struct conf_aws_source,
 * conf_gcp_source, conf_falco_source; for outputs the struct conf_output of every type), or
 * NONE where type t does not take the key. Keys are listed in messages in table order; the
 * dump writes the rows without `late`, then those with it. */
#define NONE ((size_t)-1)
struct sub_option {
	const char *name;
	enum sub_type type;
	size_t off[3];
	size_t text_off;             /* SUB_SECRET*, SUB_HEADERS: the value as written */
	int64_t min_ms;              /* SUB_DURATION */
	/* The default of a number (SUB_DURATION in ms, SUB_COUNT, SUB_RETRIES, SUB_ON) for
	 * type t, def[0] for every output; 0 for the others. */
	int64_t def[3];
	/* For type t (need[0] for every output): the key is required, and this is the example
	 * in "has no KEY (EXAMPLE)"; NULL: optional. */
	const char *need[3];
	const char *const *names;    /* SUB_LIST: the values allowed, or NULL */
	size_t nnames;
	int late;
	/* The key in the dump's comment on outputs ("url (slack, ...)"); NULL: it is named
	 * with the row before. */
	const char *help;
};

enum { SRC_AWS, SRC_GCP, SRC_FALCO };
static const char *const source_type_names[] = { "aws", "gcp", "falco" };

#define AWS(f) offsetof(struct conf_aws_source, f)
#define GCP(f) offsetof(struct conf_gcp_source, f)
#define FALCO(f) offsetof(struct conf_falco_source, f)
static const struct sub_option source_rows[] = {
	{ "name", SUB_TEXT, { AWS(name), GCP(name), FALCO(name) },     /* row 0: the name */
	  .need = { "name: prod; it labels the source in the dashboard and in findings",
		    "name: corp", "name: falco" } },
	{ "profile", SUB_TEXT, { AWS(profile), NONE, NONE }, .late = 0 },
	{ "project", SUB_TEXT, { NONE, GCP(project), NONE }, .late = 0 },   /* or pubsub_subscription */
	{ "path", SUB_SOCKET, { NONE, NONE, FALCO(path) },
	  .need = { NULL, NULL, "path: -, a file, or unix:/run/falco/tfdrift.sock" } },
	{ "regions", SUB_LIST, { AWS(regions), NONE, NONE }, .late = 0 },
	{ "poll_interval", SUB_DURATION, { AWS(poll_interval_ms), GCP(poll_interval_ms), NONE },
	  .min_ms = 1000, .def = { 60000, 30000 } },
	{ "lookback", SUB_DURATION, { AWS(lookback_ms), GCP(lookback_ms), NONE },
	  .def = { 15 * 60000, 15 * 60000 } },
	{ "endpoint", SUB_URL, { AWS(endpoint), GCP(endpoint), NONE }, .late = 1 },
	{ "sqs_queue", SUB_URL, { AWS(sqs_queue), NONE, NONE }, .late = 1 },
	{ "sqs_region", SUB_STRING, { AWS(sqs_region), NONE, NONE }, .late = 1 },
	{ "sqs_endpoint", SUB_URL, { AWS(sqs_endpoint), NONE, NONE }, .late = 1 },
	{ "s3_endpoint", SUB_URL, { AWS(s3_endpoint), NONE, NONE }, .late = 1 },
	{ "data_access", SUB_BOOL, { NONE, GCP(data_access), NONE }, .late = 1 },
	{ "max_pages", SUB_COUNT, { AWS(max_pages), GCP(max_pages), NONE },
	  .def = { PAGING_DEFAULT_MAX_PAGES, PAGING_DEFAULT_MAX_PAGES } },
	{ "pubsub_subscription", SUB_TEXT, { NONE, GCP(pubsub_subscription), NONE }, .late = 1 },
	{ "pubsub_endpoint", SUB_URL, { NONE, GCP(pubsub_endpoint), NONE }, .late = 1 },
	{ "pubsub_max_messages", SUB_COUNT, { NONE, GCP(pubsub_max_messages), NONE },
	  .def = { 0, 100 }, .late = 1 },
	{ "pubsub_ack_deadline", SUB_DURATION, { NONE, GCP(pubsub_ack_deadline_ms), NONE },
	  .min_ms = 10000, .def = { 0, 60000 }, .late = 1 },
};
#undef AWS
#undef GCP
#undef FALCO

/* The same field for every output type, or (webhook only) for COUT_WEBHOOK alone. */
#define OUT(f) { offsetof(struct conf_output, f), offsetof(struct conf_output, f), \
	offsetof(struct conf_output, f) }
#define OUT_WEBHOOK(f) { NONE, offsetof(struct conf_output, f), NONE }
#define OUT_TEXT(f) offsetof(struct conf_output, f)
static const struct sub_option output_rows[] = {
	{ "name", SUB_TEXT, OUT(name), .help = "name",                 /* row 0: the name */
	  .need = { "name: slack-sre; it labels the output in the Sources view and keys its "
		    "dedup" } },
	{ "type", SUB_OUTPUT_TYPE, OUT(type), .help = "type: slack|webhook|falco",
	  .need = { "type: slack, webhook or falco" } },
	{ "url", SUB_SECRET_URL, OUT(url), OUT_TEXT(url_text),
	  .help = "url (slack, webhook, falcosidekick) or file (falco JSON lines; - is stdout)" },
	{ "file", SUB_FILE, OUT(file), .help = NULL },
	{ "min_severity", SUB_SEVERITY, OUT(min_severity), .help = "min_severity" },
	{ "kinds", SUB_LIST, OUT(kinds), .names = finding_kinds,
	  .nnames = TF_ARRLEN(finding_kinds), .help = "kinds" },
	{ "rules", SUB_LIST, OUT(rules), .help = "rules (rule id globs)" },
	{ "rate_limit", SUB_RATE, OUT(rate_limit), .late = 1, .help = "rate_limit (per minute)" },
	{ "headers", SUB_HEADERS, OUT(headers), OUT_TEXT(headers_text), .late = 1,
	  .help = "headers" },
	{ "hmac_secret", SUB_SECRET, OUT_WEBHOOK(hmac_secret), OUT_TEXT(hmac_secret_text),
	  .late = 1, .help = "hmac_secret (webhook: X-Tfdrift-Signature)" },
	{ "timeout", SUB_DURATION, OUT(timeout_ms), .min_ms = 100, .def = { 10000 }, .late = 1,
	  .help = "timeout" },
	{ "retries", SUB_RETRIES, OUT(retries), .def = { 3 }, .late = 1, .help = "retries" },
	{ "dead_letter", SUB_PATH, OUT(dead_letter), .late = 1, .help = "dead_letter" },
	{ "on", SUB_ON, OUT(on), .def = { CONF_ON_OPEN },
	  .help = "on (open, resolved: what it is sent; default [open])" },
};
#undef OUT
#undef OUT_WEBHOOK
#undef OUT_TEXT

/* Rows of `rows` that type t takes: does row r, and the field it names (any type's when t
 * is -1: an output whose type is not known yet). */
static int
sub_takes(const struct sub_option *r, int t)
{
	return t >= 0 ? r->off[t] != NONE :
	    r->off[0] != NONE || r->off[1] != NONE || r->off[2] != NONE;
}

static void *
sub_field(const struct sub_option *r, int t, const void *base)
{
	size_t i = 0;

	if (t >= 0)
		i = (size_t)t;
	else
		while (r->off[i] == NONE)
			i++;
	return (char *)base + r->off[i];
}

static void *
sub_text(const struct sub_option *r, const void *base)
{
	return (char *)base + r->text_off;
}

/* An item of type t (-1: an output) with every key at its default. */
static void
sub_init(const struct sub_option *rows, size_t n, int t, void *base, size_t size)
{
	size_t i;

	memset(base, 0, size);
	for (i = 0; i < n; i++) {
		const struct sub_option *r = &rows[i];
		int64_t def = r->def[t >= 0 ? t : 0];

		if (!sub_takes(r, t) || def == 0)
			continue;
		if (r->type == SUB_DURATION)
			*(int64_t *)sub_field(r, t, base) = def;
		else if (r->type == SUB_RETRIES)
			*(int *)sub_field(r, t, base) = (int)def;
		else
			*(unsigned *)sub_field(r, t, base) = (unsigned)def;   /* SUB_COUNT, SUB_ON */
	}
}

/* Free what an item of type t (-1: an output) holds, and zero it. */
static void
sub_clear(const struct sub_option *rows, size_t n, int t, void *base, size_t size)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct sub_option *r = &rows[i];

		if (!sub_takes(r, t))
			continue;
		switch (r->type) {
		case SUB_LIST:
			strlist_clear(sub_field(r, t, base));
			break;
		case SUB_HEADERS:
			strlist_clear(sub_field(r, t, base));
			strlist_clear(sub_text(r, base));
			break;
		case SUB_SECRET_URL:
		case SUB_SECRET:
			free(*(char **)sub_text(r, base));
			/* FALLTHROUGH */
		case SUB_TEXT: case SUB_STRING: case SUB_SOCKET: case SUB_URL: case SUB_FILE:
		case SUB_PATH: case SUB_SEVERITY:
			free(*(char **)sub_field(r, t, base));
			break;
		case SUB_DURATION: case SUB_COUNT: case SUB_BOOL: case SUB_OUTPUT_TYPE:
		case SUB_RATE: case SUB_RETRIES: case SUB_ON:
			break;
		}
	}
	memset(base, 0, size);
}

static int
load_output_headers(struct ydoc *d, yaml_node_t *v, const char *where, struct strlist *headers,
    struct strlist *headers_text, char ***errs, size_t *nerrs)
{
	yaml_node_t *k, *hv;
	size_t i;
	int bad = 0;

	if (ynode_is_null(v))
		return 0;
	if (!ynode_is_map(v)) {
		yerr_add(errs, nerrs, d, v, "%s: headers must be a mapping (X-Name: value), not %s",
		    where, ynode_kind(v));
		return -1;
	}
	for (i = 0; ymap_pair(d, v, i, &k, &hv); i++) {
		const char *name = ynode_str(k);
		char *val, *h, *t;

		if (name == NULL || !is_header_name(name)) {
			yerr_add(errs, nerrs, d, k, "%s: '%s' is not a header name (letters, digits "
			    "and -)", where, name != NULL ? name : "?");
			bad = 1;
			continue;
		}
		if ((val = freeze_scalar(d, hv, where, name, errs, nerrs)) == NULL) {
			bad = 1;
			continue;
		}
		if (strpbrk(val, "\r\n") != NULL) {
			yerr_add(errs, nerrs, d, hv, "%s: header %s: a line break in the value", where,
			    name);
			free(val);
			bad = 1;
			continue;
		}
		h = xasprintf("%s: %s", name, val);
		strlist_push(headers, h);
		t = xasprintf("%s: %s", name, ynode_str(hv));
		strlist_push(headers_text, t);
		free(h);
		free(t);
		free(val);
	}
	return bad ? -1 : 0;
}

/* A list whose items must be among names (or globs when names is NULL). */
static int
load_output_list(struct ydoc *d, yaml_node_t *v, const char *where, const char *key,
    const char *const *names, size_t n, struct strlist *out, char ***errs, size_t *nerrs)
{
	char *what = xasprintf("%s: %s", where, key);
	size_t i, j;
	int rc;

	strlist_clear(out);
	rc = load_strlist(what, d, v, out, errs, nerrs);
	for (i = 0; rc == 0 && names != NULL && i < out->n; i++) {
		for (j = 0; j < n && strcmp(out->v[i], names[j]) != 0; j++)
			;
		if (j == n) {
			const char *m = tf_near_miss(out->v[i], names, n);

			yerr_add(errs, nerrs, d, yseq_get(d, v, i), "%s: unknown value '%s'%s%s%s",
			    what, out->v[i], m ? " (did you mean '" : "", m ? m : "",
			    m ? "'?)" : "");
			rc = -1;
		}
	}
	free(what);
	return rc;
}

/* on: [open, resolved]: which of a finding's moments the output is sent. A list of at least
 * one of output_on (a word given twice counts once). 0, or -1 (errors added; *out kept). */
static int
load_output_on(struct ydoc *d, yaml_node_t *v, const char *where, unsigned *out,
    char ***errs, size_t *nerrs)
{
	struct strlist l = { 0 };
	unsigned on = 0;
	size_t i;
	int rc;

	if ((rc = load_output_list(d, v, where, "on", output_on, TF_ARRLEN(output_on), &l, errs,
	    nerrs)) == 0 && l.n == 0) {
		yerr_add(errs, nerrs, d, v, "%s: on is empty: list what the output is sent, "
		    "[open], [resolved] or [open, resolved] (leave on: out for [open])", where);
		rc = -1;
	}
	for (i = 0; rc == 0 && i < l.n; i++)
		on |= strcmp(l.v[i], output_on[0]) == 0 ? CONF_ON_OPEN : CONF_ON_RESOLVED;
	if (rc == 0)
		*out = on;
	strlist_clear(&l);
	return rc;
}

/* A scalar value s (expanded; v is its node) of row r into field p; 0, or -1 after an error.
 * Takes s (frees it or keeps it). */
static int
load_sub_scalar(const struct sub_option *r, void *p, void *text, struct ydoc *d,
    yaml_node_t *v, const char *where, char *s, char ***errs, size_t *nerrs)
{
	char **sp = p, *end;
	unsigned long n;
	int64_t ms;
	size_t j;

	switch (r->type) {
	case SUB_TEXT:
	case SUB_SECRET:
	case SUB_SOCKET:
	case SUB_PATH:
		if (*s == '\0' || (r->type == SUB_SOCKET && strcmp(s, "unix:") == 0))
			break;
		if (r->type == SUB_SECRET)
			*(char **)text = xstrdup(ynode_str(v));
		free(*sp);
		*sp = r->type == SUB_PATH ? resolve_path(s) : s;
		if (r->type == SUB_PATH)
			free(s);
		return 0;
	case SUB_STRING:
	case SUB_SEVERITY:
		if (r->type == SUB_SEVERITY && !is_severity(s)) {
			yerr_add(errs, nerrs, d, v, "%s: bad %s '%s' (critical, high, medium, low or "
			    "info)", where, r->name, s);
			free(s);
			return -1;
		}
		free(*sp);
		*sp = s;
		return 0;
	case SUB_URL:
	case SUB_SECRET_URL:
		if (is_url(s)) {
			if (r->type == SUB_SECRET_URL)
				*(char **)text = xstrdup(ynode_str(v));
			free(*sp);
			*sp = s;
			return 0;
		}
		if (r->type == SUB_SECRET_URL)      /* never echo it: it is usually a secret */
			yerr_add(errs, nerrs, d, v, "%s: %s is not an http:// or https:// URL", where,
			    r->name);
		else
			yerr_add(errs, nerrs, d, v, "%s: %s '%s' is not an http:// or https:// URL",
			    where, r->name, s);
		free(s);
		return -1;
	case SUB_FILE:
		if (*s == '\0') {
			yerr_add(errs, nerrs, d, v, "%s: %s must not be empty (- is stdout)", where,
			    r->name);
			free(s);
			return -1;
		}
		free(*sp);
		*sp = strcmp(s, "-") == 0 ? xstrdup(s) : resolve_path(s);
		free(s);
		return 0;
	case SUB_DURATION:
		if (tf_parse_duration(s, &ms) != 0)
			yerr_add(errs, nerrs, d, v, "%s: %s '%s' is not a duration (30s, 5m, 1h)",
			    where, r->name, s);
		else if (ms < r->min_ms)
			yerr_add(errs, nerrs, d, v, "%s: %s %s is too short (at least %llds)", where,
			    r->name, s, (long long)(r->min_ms / 1000));
		else {
			*(int64_t *)p = ms;
			free(s);
			return 0;
		}
		free(s);
		return -1;
	case SUB_COUNT:
		n = isdigit((unsigned char)*s) ? strtoul(s, &end, 10) : 0;
		if (n < 1 || n > MAX_PAGES_LIMIT || *end != '\0') {
			yerr_add(errs, nerrs, d, v, "%s: %s '%s' is not a whole number from 1 to %u",
			    where, r->name, s, (unsigned)MAX_PAGES_LIMIT);
			free(s);
			return -1;
		}
		*(unsigned *)p = (unsigned)n;
		free(s);
		return 0;
	case SUB_RETRIES:
		n = isdigit((unsigned char)*s) ? strtoul(s, &end, 10) : 11;
		if (n > 10 || *end != '\0') {
			yerr_add(errs, nerrs, d, v, "%s: %s must be a number from 0 to 10, not '%s'",
			    where, r->name, s);
			free(s);
			return -1;
		}
		*(int *)p = (int)n;
		free(s);
		return 0;
	case SUB_BOOL:
		if (yscalar_bool(s, p) != 0) {
			yerr_add(errs, nerrs, d, v, "%s: %s must be true or false, not '%s'", where,
			    r->name, s);
			free(s);
			return -1;
		}
		free(s);
		return 0;
	case SUB_RATE:
		if (parse_rate(s, p) != 0) {
			yerr_add(errs, nerrs, d, v, "%s: bad %s '%s' (findings per minute: 20/minute, "
			    "or 0 for none)", where, r->name, s);
			free(s);
			return -1;
		}
		free(s);
		return 0;
	case SUB_OUTPUT_TYPE:
		for (j = 0; j < TF_ARRLEN(output_types) && strcmp(s, output_types[j]) != 0; j++)
			;
		if (j == TF_ARRLEN(output_types)) {
			yerr_add(errs, nerrs, d, v, "%s: unknown %s '%s' (slack, webhook or falco)",
			    where, r->name, s);
			free(s);
			return -1;
		}
		*(enum conf_output_type *)p = (enum conf_output_type)j;
		free(s);
		return 0;
	case SUB_LIST:
	case SUB_ON:
	case SUB_HEADERS:
		break;
	}
	/* The not-empty kinds. */
	yerr_add(errs, nerrs, d, v, "%s: %s must not be empty", where, r->name);
	free(s);
	return -1;
}

/* The value v of row r into the item at base (type t; -1: an output). 0, or -1 after an
 * error. */
static int
load_sub_value(const struct sub_option *r, int t, void *base, struct ydoc *d, yaml_node_t *v,
    const char *where, char ***errs, size_t *nerrs)
{
	void *p = sub_field(r, t, base);
	char *s;

	switch (r->type) {
	case SUB_LIST:
		return load_output_list(d, v, where, r->name, r->names, r->nnames, p, errs, nerrs);
	case SUB_ON:
		return load_output_on(d, v, where, p, errs, nerrs);
	case SUB_HEADERS:
		return load_output_headers(d, v, where, p, sub_text(r, base), errs, nerrs);
	default:
		break;
	}
	if ((s = freeze_scalar(d, v, where, r->name, errs, nerrs)) == NULL)
		return -1;
	return load_sub_scalar(r, p, r->text_off ? sub_text(r, base) : NULL, d, v, where, s, errs,
	    nerrs);
}

/* "WHERE has no KEY (EXAMPLE)", with "(NAME)" after WHERE once the item has a name: a key an
 * item needs. Returns 1 (bad). */
static int
sub_missing(struct ydoc *d, yaml_node_t *it, const char *where, const char *name,
    const char *key, const char *example, char ***errs, size_t *nerrs)
{
	yerr_add(errs, nerrs, d, it, "%s%s%s%s has no %s (%s)", where, name ? " (" : "",
	    name ? name : "", name ? ")" : "", key, example);
	return 1;
}

/* The keys of mapping it into the item at base, a sources.TYPE item (t) or an outputs item
 * (t = -1), as `where` ("sources.aws item 2"): every key known to the table, given once and
 * good, and the keys it needs given. given[] (one a row, zeroed) keeps each key's node. 0, or -1 after errors. */
static int
load_sub(const struct sub_option *rows, size_t nrows, int t, void *base, struct ydoc *d,
    yaml_node_t *it, const char *where, yaml_node_t **given, char ***errs, size_t *nerrs)
{
	const char **names = xcalloc(nrows, sizeof *names);
	yaml_node_t *k, *v, **first = xcalloc(nrows, sizeof *first);
	size_t *row = xcalloc(nrows, sizeof *row), n = 0, i;
	char *what = xasprintf("key in %s", where);
	int bad = 0, x;

	for (i = 0; i < nrows; i++)
		if (sub_takes(&rows[i], t)) {
			row[n] = i;
			names[n++] = rows[i].name;
		}
	for (i = 0; ymap_pair(d, it, i, &k, &v); i++) {
		if ((x = ykey_index(errs, nerrs, d, k, what, names, n, first)) < 0) {
			bad = 1;
			continue;
		}
		given[row[x]] = k;
		bad |= load_sub_value(&rows[row[x]], t, base, d, v, where, errs, nerrs) != 0;
	}
	/* The first key missing of those type t needs, named with the item (rows[0]) if it
	 * has a name by then. */
	for (i = 0; !bad && i < nrows; i++)
		if (sub_takes(&rows[i], t) && rows[i].need[t >= 0 ? t : 0] != NULL &&
		    given[i] == NULL)
			bad = sub_missing(d, it, where, i > 0 ? *(char *const *)sub_field(&rows[0], t,
			    base) : NULL, rows[i].name, rows[i].need[t >= 0 ? t : 0], errs, nerrs);
	free(what);
	free(row);
	free(first);
	free(names);
	return bad ? -1 : 0;
}

/* A mapping item's errors' prefix, or NULL after "WHERE must be a mapping (HINT), not ...". */
static char *
sub_item_where(struct ydoc *d, yaml_node_t *it, const char *list, size_t idx, const char *hint,
    char ***errs, size_t *nerrs)
{
	char *where = xasprintf("%s item %zu", list, idx + 1), *want;

	if (ynode_is_map(it))
		return where;
	want = xasprintf("a mapping (%s)", hint);
	yerr_type(errs, nerrs, d, it, where, want);
	free(want);
	free(where);
	return NULL;
}

/* The value of row r (field p, as written at text) after "KEY: "; headers as lines under it. */
static void
dump_sub_value(FILE *fp, const struct sub_option *r, const void *p, const void *text,
    const char *indent)
{
	const char *s = NULL, *raw = NULL;
	const struct strlist *l = p;
	size_t j;
	char *red;

	switch (r->type) {
	case SUB_TEXT: case SUB_STRING: case SUB_SOCKET: case SUB_URL: case SUB_FILE:
	case SUB_PATH:
		dump_string(fp, *(char *const *)p);
		return;
	case SUB_SEVERITY:
		fputs(*(char *const *)p, fp);
		return;
	case SUB_SECRET_URL:
	case SUB_SECRET:
		s = *(char *const *)p;
		raw = *(char *const *)text;
		if (strstr(raw, "${") != NULL)
			dump_raw(fp, raw);
		else if (r->type == SUB_SECRET)
			fputs("\"REDACTED\"  # written inline in the file (use ${VAR})", fp);
		else {
			red = http_redact_secret_url(s);
			dump_string(fp, red);
			free(red);
		}
		return;
	case SUB_DURATION:
		dump_duration(fp, *(const int64_t *)p);
		return;
	case SUB_COUNT:
		fprintf(fp, "%u", *(const unsigned *)p);
		return;
	case SUB_BOOL:
		fputs(*(const int *)p ? "true" : "false", fp);
		return;
	case SUB_RATE:
		fprintf(fp, "%d/minute", *(const int *)p);
		return;
	case SUB_RETRIES:
		fprintf(fp, "%d", *(const int *)p);
		return;
	case SUB_OUTPUT_TYPE:
		fputs(conf_output_type_name(*(const enum conf_output_type *)p), fp);
		return;
	case SUB_LIST:
		dump_strlist_inline(fp, l);
		return;
	case SUB_ON:
		fputc('[', fp);
		for (j = 0; j < TF_ARRLEN(output_on); j++)
			if (*(const unsigned *)p & (1u << j))
				fprintf(fp, "%s%s", (*(const unsigned *)p & ((1u << j) - 1)) ? ", " : "",
				    output_on[j]);
		fputc(']', fp);
		return;
	case SUB_HEADERS:
		/* Inline values are shown when the header's name says nothing of a secret. */
		l = text;
		for (j = 0; j < l->n; j++) {
			const char *h = l->v[j], *colon = strchr(h, ':'), *val = colon + 2;

			fprintf(fp, "\n%s    %.*s: ", indent, (int)(colon - h), h);
			if (strstr(val, "${") == NULL && secret_header(h))
				fputs("\"REDACTED\"  # written inline in the file (use ${VAR})", fp);
			else
				dump_raw(fp, val);
		}
		return;
	}
}

/* An item of type t (-1: an output) as block YAML under a list, indent the list's. */
static void
dump_sub(FILE *fp, const struct sub_option *rows, size_t nrows, int t, const void *base,
    const char *indent)
{
	size_t i;
	int late, first = 1;

	for (late = 0; late <= 1; late++)
		for (i = 0; i < nrows; i++) {
			const struct sub_option *r = &rows[i];
			const void *p;

			if (!sub_takes(r, t) || r->late != late)
				continue;
			p = sub_field(r, t, base);
			switch (r->type) {
			case SUB_TEXT: case SUB_STRING: case SUB_SOCKET: case SUB_URL: case SUB_FILE:
			case SUB_PATH: case SUB_SEVERITY:
				if (*(char *const *)p == NULL)
					continue;
				break;
			case SUB_SECRET_URL: case SUB_SECRET:
				if (*(char *const *)sub_text(r, base) == NULL)
					continue;
				break;
			case SUB_LIST: case SUB_HEADERS:
				if (((const struct strlist *)p)->n == 0)
					continue;
				break;
			case SUB_RATE:
				if (*(const int *)p <= 0)
					continue;
				break;
			default:
				break;
			}
			if (r->type == SUB_SECRET_URL && strstr(*(char *const *)sub_text(r, base),
			    "${") == NULL)
				fprintf(fp, "%s  # %s written inline in the file: shown redacted (use "
				    "${VAR})\n", indent, r->name);
			fprintf(fp, "%s%s%s:", indent, first ? "- " : "  ", r->name);
			first = 0;
			if (r->type != SUB_HEADERS)
				fputc(' ', fp);
			dump_sub_value(fp, r, p, sub_text(r, base), indent);
			fputc('\n', fp);
		}
}

static void
aws_source_clear(struct conf_aws_source *a)
{
	sub_clear(source_rows, TF_ARRLEN(source_rows), SRC_AWS, a, sizeof *a);
}

static void
gcp_source_clear(struct conf_gcp_source *g)
{
	sub_clear(source_rows, TF_ARRLEN(source_rows), SRC_GCP, g, sizeof *g);
}

static void
falco_source_clear(struct conf_falco_source *f)
{
	sub_clear(source_rows, TF_ARRLEN(source_rows), SRC_FALCO, f, sizeof *f);
}

void
conf_sources_clear(struct conf_sources *s)
{
	size_t i;

	for (i = 0; i < s->naws; i++)
		aws_source_clear(&s->aws[i]);
	free(s->aws);
	for (i = 0; i < s->ngcp; i++)
		gcp_source_clear(&s->gcp[i]);
	free(s->gcp);
	strlist_clear(&s->files);
	for (i = 0; i < s->nfalco; i++)
		falco_source_clear(&s->falco[i]);
	free(s->falco);
	memset(s, 0, sizeof *s);
}

/* sources.TYPE item `it` (number idx) into base, of type t and size bytes, at line and col:
 * the defaults, then its keys. Returns its messages' prefix ("sources.gcp item 2", heap) with
 * *bad set, or NULL after an item that is not a mapping. */
static char *
load_source_keys(int t, void *base, size_t size, int *line, int *col, struct ydoc *d,
    yaml_node_t *it, size_t idx, int *bad, char ***errs, size_t *nerrs)
{
	static const char *const hints[] = { "name:, regions: or sqs_queue:, ...",
		"name:, project:, ...", "name:, path:" };
	yaml_node_t *given[TF_ARRLEN(source_rows)] = { 0 };
	char *list = xasprintf("sources.%s", source_type_names[t]);
	char *where = sub_item_where(d, it, list, idx, hints[t], errs, nerrs);

	free(list);
	sub_init(source_rows, TF_ARRLEN(source_rows), t, base, size);
	*line = ynode_line(it);
	*col = ynode_col(it);
	if (where != NULL)
		*bad = load_sub(source_rows, TF_ARRLEN(source_rows), t, base, d, it, where, given,
		    errs, nerrs) != 0;
	return where;
}

static int
load_aws_source(struct ydoc *d, yaml_node_t *it, size_t idx, struct conf_aws_source *a,
    char ***errs, size_t *nerrs)
{
	char *where;
	int bad = 0;

	if ((where = load_source_keys(SRC_AWS, a, sizeof *a, &a->line, &a->col, d, it, idx, &bad,
	    errs, nerrs)) == NULL)
		return -1;
	if (!bad && a->regions.n == 0 && a->sqs_queue == NULL) {
		yerr_add(errs, nerrs, d, it, "%s (%s): give regions: [eu-west-1, us-east-1] to poll "
		    "CloudTrail, or sqs_queue: URL to read a queue", where, a->name);
		bad = 1;
	}
	if (!bad && a->sqs_queue != NULL && a->sqs_region == NULL &&
	    (a->sqs_region = sqs_url_region(a->sqs_queue)) == NULL) {
		yerr_add(errs, nerrs, d, it, "%s (%s): cannot tell the queue's region from %s; add "
		    "sqs_region:", where, a->name, a->sqs_queue);
		bad = 1;
	}
	free(where);
	return bad ? -1 : 0;
}

/* A sources.gcp item: a project to poll, or a Pub/Sub subscription to pull, or both. */
static int
load_gcp_source(struct ydoc *d, yaml_node_t *it, size_t idx, struct conf_gcp_source *g,
    char ***errs, size_t *nerrs)
{
	char *where;
	int bad = 0;

	if ((where = load_source_keys(SRC_GCP, g, sizeof *g, &g->line, &g->col, d, it, idx, &bad,
	    errs, nerrs)) == NULL)
		return -1;
	if (!bad && g->project == NULL && g->pubsub_subscription == NULL) {
		yerr_add(errs, nerrs, d, it, "%s (%s) has no project (project: my-project-id), or "
		    "pubsub_subscription: projects/P/subscriptions/S to pull a Logging sink's "
		    "subscription", where, g->name);
		bad = 1;
	}
	if (!bad && g->pubsub_subscription != NULL &&
	    !ps_subscription_valid(g->pubsub_subscription)) {
		yerr_add(errs, nerrs, d, it, "%s (%s): pubsub_subscription must read "
		    "projects/PROJECT/subscriptions/NAME, got \"%s\"", where, g->name,
		    g->pubsub_subscription);
		bad = 1;
	}
	free(where);
	return bad ? -1 : 0;
}

/* A sources.falco item: its keys are all there is to check. */
static int
load_source(int t, void *base, size_t size, int *line, int *col, struct ydoc *d,
    yaml_node_t *it, size_t idx, char ***errs, size_t *nerrs)
{
	int bad = 0;
	char *where = load_source_keys(t, base, size, line, col, d, it, idx, &bad, errs, nerrs);

	if (where == NULL)
		return -1;
	free(where);
	return bad ? -1 : 0;
}

/* `sources:` replaces c->sources when everything in it is good. */
static void
load_sources(struct conf *c, struct ydoc *d, yaml_node_t *v, char ***errs, size_t *nerrs)
{
	struct conf_sources s;
	yaml_node_t *k, *sv;
	yaml_node_t *first[TF_ARRLEN(source_keys)] = { 0 };
	size_t i, j, before = *nerrs;

	memset(&s, 0, sizeof s);
	if (ynode_is_null(v)) {
		conf_sources_clear(&c->sources);
		return;
	}
	if (!ynode_is_map(v)) {
		yerr_add(errs, nerrs, d, v, "sources must be a mapping (aws:, gcp:, files:), "
		    "not %s", ynode_kind(v));
		return;
	}
	for (i = 0; ymap_pair(d, v, i, &k, &sv); i++) {
		int f = src_key(d, k, "key under sources", source_keys, TF_ARRLEN(source_keys), first,
		    errs, nerrs);

		if (f == 2) {
			strlist_clear(&s.files);
			load_strlist("sources.files", d, sv, &s.files, errs, nerrs);
			continue;
		}
		if (f < 0 || ynode_is_null(sv))
			continue;
		if (!ynode_is_seq(sv)) {
			yerr_add(errs, nerrs, d, sv, "sources.%s must be a list (- name: ...), not %s",
			    source_keys[f], ynode_kind(sv));
			continue;
		}
		for (j = 0; j < yseq_len(sv); j++) {
			yaml_node_t *it = yseq_get(d, sv, j);

			if (f == 3) {
				s.falco = xreallocarray(s.falco, s.nfalco + 1, sizeof *s.falco);
				if (load_source(SRC_FALCO, &s.falco[s.nfalco], sizeof *s.falco,
				    &s.falco[s.nfalco].line, &s.falco[s.nfalco].col, d, it, j, errs,
				    nerrs) == 0)
					s.nfalco++;
				else
					falco_source_clear(&s.falco[s.nfalco]);
			} else if (f == 0) {
				s.aws = xreallocarray(s.aws, s.naws + 1, sizeof *s.aws);
				if (load_aws_source(d, it, j, &s.aws[s.naws], errs, nerrs) == 0)
					s.naws++;
				else
					aws_source_clear(&s.aws[s.naws]);
			} else {
				s.gcp = xreallocarray(s.gcp, s.ngcp + 1, sizeof *s.gcp);
				if (load_gcp_source(d, it, j, &s.gcp[s.ngcp], errs, nerrs) == 0)
					s.ngcp++;
				else
					gcp_source_clear(&s.gcp[s.ngcp]);
			}
		}
	}
	/* Names label findings and cursors: unique across providers. */
	for (i = 0; i < s.naws + s.ngcp; i++)
		for (j = i + 1; j < s.naws + s.ngcp; j++) {
			const char *a = i < s.naws ? s.aws[i].name : s.gcp[i - s.naws].name;
			const char *b = j < s.naws ? s.aws[j].name : s.gcp[j - s.naws].name;
			int line = j < s.naws ? s.aws[j].line : s.gcp[j - s.naws].line;
			int col = j < s.naws ? s.aws[j].col : s.gcp[j - s.naws].col;

			if (strcmp(a, b) == 0) {
				yerr_add_at(errs, nerrs, d, line, col, "duplicate source name '%s' "
				    "(each source needs its own: it keys the cursor in the store)", b);
			}
		}
	if (*nerrs > before) {
		conf_sources_clear(&s);
		return;
	}
	conf_sources_clear(&c->sources);
	c->sources = s;
}

static void
output_clear(struct conf_output *o)
{
	sub_clear(output_rows, TF_ARRLEN(output_rows), -1, o, sizeof *o);
}

void
conf_outputs_clear(struct conf_output *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		output_clear(&o[i]);
	free(o);
}

static int
load_output(struct ydoc *d, yaml_node_t *it, size_t idx, struct conf_output *o,
    char ***errs, size_t *nerrs)
{
	yaml_node_t *given[TF_ARRLEN(output_rows)] = { 0 };
	char *where, *s;
	size_t i;
	int bad;

	sub_init(output_rows, TF_ARRLEN(output_rows), -1, o, sizeof *o);
	o->line = ynode_line(it);
	o->col = ynode_col(it);
	if ((where = sub_item_where(d, it, "outputs", idx, "name:, type:, url: or file:, ...",
	    errs, nerrs)) == NULL)
		return -1;
	bad = load_sub(output_rows, TF_ARRLEN(output_rows), -1, o, d, it, where, given, errs,
	    nerrs) != 0;
	if (!bad && o->type != COUT_FALCO && (o->url == NULL || o->file != NULL)) {
		yerr_add(errs, nerrs, d, it, "%s (%s): a %s output needs url: (and no file:); "
		    "write url: ${VAR} to keep the secret in the environment", where, o->name,
		    output_types[o->type]);
		bad = 1;
	}
	if (!bad && o->type == COUT_FALCO && (o->url == NULL) == (o->file == NULL)) {
		yerr_add(errs, nerrs, d, it, "%s (%s): a falco output needs either url: "
		    "(falcosidekick) or file: (a path, - for stdout)", where, o->name);
		bad = 1;
	}
	/* A key this type does not take (hmac_secret: webhooks only), named with the first
	 * type that does. */
	for (i = 0; !bad && i < TF_ARRLEN(output_rows); i++)
		if (given[i] != NULL && output_rows[i].off[o->type] == NONE) {
			size_t j;

			for (j = 0; output_rows[i].off[j] == NONE; j++)
				;
			yerr_add(errs, nerrs, d, it, "%s (%s): %s is for %s outputs", where, o->name,
			    output_rows[i].name, output_types[j]);
			bad = 1;
		}
	if (!bad && o->dead_letter == NULL) {
		s = xasprintf("$XDG_STATE_HOME/tfdrift/dead-letter-%s.jsonl", o->name);
		o->dead_letter = resolve_path(s);
		free(s);
	}
	free(where);
	return bad ? -1 : 0;
}

/* `outputs:` replaces c->outputs when every item is good. */
static void
load_outputs(struct conf *c, struct ydoc *d, yaml_node_t *v, char ***errs, size_t *nerrs)
{
	struct conf_output *os = NULL;
	size_t n = 0, i, j, before = *nerrs;

	if (!ynode_is_null(v) && !ynode_is_seq(v)) {
		yerr_add(errs, nerrs, d, v, "outputs must be a list (- name: ..., type: ...), not %s",
		    ynode_kind(v));
		return;
	}
	for (i = 0; !ynode_is_null(v) && i < yseq_len(v); i++) {
		yaml_node_t *it = yseq_get(d, v, i);

		os = xreallocarray(os, n + 1, sizeof *os);
		if (load_output(d, it, i, &os[n], errs, nerrs) != 0) {
			output_clear(&os[n]);
			continue;
		}
		for (j = 0; j < n && strcmp(os[j].name, os[n].name) != 0; j++)
			;
		if (j < n) {
			yerr_add(errs, nerrs, d, it, "outputs item %zu: duplicate output name '%s' "
			    "(it keys the dedup of what was sent)", i + 1, os[n].name);
			output_clear(&os[n]);
			continue;
		}
		n++;
	}
	if (*nerrs > before) {
		conf_outputs_clear(os, n);
		return;
	}
	conf_outputs_clear(c->outputs, c->noutputs);
	c->outputs = os;
	c->noutputs = n;
}


/* `metrics: {listen: ADDR}`: where `watch` serves /metrics, /healthz and /readyz; an empty
 * mapping or null turns it off. */
static void
load_metrics(struct conf *c, struct ydoc *d, yaml_node_t *v, char ***errs, size_t *nerrs)
{
	static const char *const keys[] = { "listen" };
	yaml_node_t *k, *lv, *first[TF_ARRLEN(keys)] = { 0 };
	char *addr = NULL, *host = NULL, *why = NULL;
	unsigned port;
	size_t i;

	if (ynode_is_null(v)) {
		free(c->metrics_listen);
		c->metrics_listen = NULL;
		return;
	}
	if (!ynode_is_map(v)) {
		yerr_type(errs, nerrs, d, v, "metrics", "a mapping (listen: 127.0.0.1:9464)");
		return;
	}
	for (i = 0; ymap_pair(d, v, i, &k, &lv); i++) {
		if (src_key(d, k, "metrics", keys, TF_ARRLEN(keys), first, errs, nerrs) < 0)
			continue;
		free(addr);
		if ((addr = freeze_scalar(d, lv, "metrics", "listen", errs, nerrs)) == NULL)
			return;
		if (metrics_addr_parse(addr, &host, &port, &why) != 0) {
			yerr_add(errs, nerrs, d, lv, "metrics: listen: %s", why);
			free(why);
			free(addr);
			return;
		}
		free(host);
	}
	free(c->metrics_listen);
	c->metrics_listen = addr;
}

static void
dump_metrics(const struct conf *c, FILE *fp)
{
	fputc('\n', fp);
	dump_comment(fp, "Prometheus metrics and health for `watch` (`watch --metrics` overrides "
	    "it): listen: HOST:PORT serves /metrics, /healthz and /readyz there (doc/metrics.md). "
	    "Absent or {}: off.");
	if (c->metrics_listen == NULL) {
		fputs("metrics: {}\n", fp);
		return;
	}
	fputs("metrics:\n  listen: ", fp);
	dump_string(fp, c->metrics_listen);
	fputc('\n', fp);
}

/* sources: as block YAML that loads back. */
static void
dump_sources(const struct conf *c, FILE *fp)
{
	const struct conf_sources *s = &c->sources;
	size_t i;

	fputs("\n# Live sources: CloudTrail (per region, plus us-east-1 for IAM and other global "
	    "events)\n# or an SQS queue per AWS account, Cloud Logging per GCP project or a Pub/Sub "
	    "subscription\n# fed by a Logging sink, and files to replay.\n", fp);
	if (s->naws == 0 && s->ngcp == 0 && s->files.n == 0 && s->nfalco == 0) {
		fputs("sources: {}\n", fp);
		return;
	}
	fputs("sources:\n", fp);
	if (s->naws > 0)
		fputs("  aws:\n", fp);
	for (i = 0; i < s->naws; i++)
		dump_sub(fp, source_rows, TF_ARRLEN(source_rows), SRC_AWS, &s->aws[i], "    ");
	if (s->ngcp > 0)
		fputs("  gcp:\n", fp);
	for (i = 0; i < s->ngcp; i++)
		dump_sub(fp, source_rows, TF_ARRLEN(source_rows), SRC_GCP, &s->gcp[i], "    ");
	if (s->files.n > 0) {
		fputs("  files: ", fp);
		dump_strlist_inline(fp, &s->files);
		fputc('\n', fp);
	}
	if (s->nfalco > 0)
		fputs("  falco:\n", fp);
	for (i = 0; i < s->nfalco; i++)
		dump_sub(fp, source_rows, TF_ARRLEN(source_rows), SRC_FALCO, &s->falco[i], "    ");
}

/* outputs: as block YAML. Secrets are shown as written when they come from the environment
 * (${VAR}); written inline they are redacted, never printed. */
static void
dump_outputs(const struct conf *c, FILE *fp)
{
	struct strbuf sb;
	size_t i, k;
	int late;

	sb_init(&sb);
	sb_adds(&sb, "Notification outputs, each on its own thread so detection never waits for "
	    "them: a list of {");
	for (late = 0, k = 0; late <= 1; late++)
		for (i = 0; i < TF_ARRLEN(output_rows); i++)
			if (output_rows[i].late == late && output_rows[i].help != NULL) {
				sb_adds(&sb, k++ > 0 ? ", " : "");
				sb_adds(&sb, output_rows[i].help);
			}
	sb_adds(&sb, "}. Keep URLs and secrets in the environment: url: ${SLACK_WEBHOOK_URL}.");
	fputc('\n', fp);
	dump_comment(fp, sb.buf);
	sb_free(&sb);
	if (c->noutputs == 0) {
		fputs("outputs: []\n", fp);
		return;
	}
	fputs("outputs:\n", fp);
	for (i = 0; i < c->noutputs; i++)
		dump_sub(fp, output_rows, TF_ARRLEN(output_rows), -1, &c->outputs[i], "  ");
}

void
conf_dump(const struct conf *c, FILE *fp)
{
	size_t i, j;

	fprintf(fp, "# tfdrift configuration, resolved from %s.\n",
	    c->path != NULL ? c->path : "the built-in defaults");
	fputs("# Strings may use ${NAME} or ${NAME:-default} from the environment; "
	    "$${ is a literal ${.\n", fp);
	for (i = 0; i < TF_ARRLEN(options); i++) {
		const struct conf_option *o = &options[i];
		const void *f = (const char *)c + o->offset;

		fputc('\n', fp);
		dump_comment(fp, o->help);
		switch (o->type) {
		case CT_STRING_LIST: {
			const struct strlist *l = f;

			if (l->n == 0) {
				fprintf(fp, "%s: []\n", o->name);
				break;
			}
			fprintf(fp, "%s:\n", o->name);
			for (j = 0; j < l->n; j++) {
				char *shown = o->offset == offsetof(struct conf, states) ?
				    redacted_url(l->v[j]) : NULL;

				if (shown != NULL)
					fputs("  # a URL holding secrets (a signature, a token, a password): "
					    "shown redacted, as errors show it\n", fp);
				fputs("  - ", fp);
				dump_string(fp, shown != NULL ? shown : l->v[j]);
				fputc('\n', fp);
				free(shown);
			}
			break;
		}
		case CT_FREEZE_WINDOWS:
			dump_freezes(c, o, fp);
			break;
		case CT_DURATION:
			fprintf(fp, "%s: ", o->name);
			dump_duration(fp, *(const int64_t *)f);
			fputc('\n', fp);
			break;
		default:
			if (o->offset == offsetof(struct conf, event_maps) &&
			    (c->event_maps == NULL || *c->event_maps == '\0'))
				fprintf(fp, "# (empty: now %s)\n",
				    c->event_maps_default ? c->event_maps_default : "unknown");
			if (o->offset == offsetof(struct conf, store) && store_is_uri(c->store)) {
				char *shown = store_display(c->store);
				int masked = strcmp(shown, c->store) != 0;

				if (masked)
					fputs("# a URI with a password: shown masked (keep it in PGPASSWORD "
					    "or ~/.pgpass)\n", fp);
				fprintf(fp, "%s: ", o->name);
				dump_string(fp, shown);
				fputc('\n', fp);
				free(shown);
				break;
			}
			fprintf(fp, "%s: ", o->name);
			dump_string(fp, *(char *const *)f);
			fputc('\n', fp);
			break;
		}
	}
	dump_outputs(c, fp);
	dump_metrics(c, fp);
	dump_sources(c, fp);
}

