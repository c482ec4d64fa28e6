/* cmd: the dashboard's `:` commands, one table (name, arguments, help, what Tab completes,
 * the function), like tmux's cmd_entry. Saved views and column layouts are kept in the
 * store's preferences (never in the user's config file). Main thread only. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curses.h>

#include "store.h"
#include "theme.h"
#include "ui.h"
#include "ui_int.h"
#include "yamlutil.h"

/* What Tab completes for a command's arguments. */
enum complete { CMP_NONE = 0, CMP_VIEW, CMP_COLUMN, CMP_THEME, CMP_SCOPE, CMP_FREEZE };

struct ui_cmd {
	const char *name;
	const char *args;
	const char *help;
	enum complete complete;
	int min_args;
	void (*run)(struct ui *u, char **argv, int argc, const char *rest);
};

/* ---- saved views ---- */

/* The current view as a saved view: {view, filter, sort, desc, columns}. Heap JSON. */
static char *
view_json(struct ui *u)
{
	struct ui_vstate *vs = &u->vs[u->cur];
	json_object *o = json_object_new_object();
	char *cols, *s;

	json_object_object_add(o, "view", json_object_new_string(vs->v->name));
	json_object_object_add(o, "filter", json_object_new_string(filter_text(vs->filter)));
	if (vs->v->ncols > 0) {
		json_object_object_add(o, "sort", json_object_new_string(
		    vs->v->cols[vs->list.sort_col].name));
		json_object_object_add(o, "desc", json_object_new_boolean(vs->list.sort_desc));
		cols = ui_list_columns_spec(vs);
		json_object_object_add(o, "columns", json_object_new_string(cols));
		free(cols);
	}
	s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

static int
view_index(const char *name)
{
	int v;

	for (v = 0; v < UI_NVIEWS; v++)
		if (strcasecmp(ui_views[v]->name, name) == 0)
			return v;
	return -1;
}

/* Apply a saved view; 0, or -1 with the error shown. */
static int
apply_saved(struct ui *u, const char *name, const char *json)
{
	json_object *o = json_tokener_parse(json), *x;
	const char *vname;
	char *err = NULL;
	int v;

	if (o == NULL || !json_object_object_get_ex(o, "view", &x) ||
	    (v = view_index((vname = json_object_get_string(x)))) < 0 || v == V_RESOURCE) {
		ui_msg(u, 1, "saved view %s cannot be read (save it again with :save-view %s)",
		    name, name);
		json_object_put(o);
		return -1;
	}
	ui_show_view(u, v);
	if (json_object_object_get_ex(o, "columns", &x) &&
	    ui_list_set_columns(u, &u->vs[v], json_object_get_string(x), &err) != 0) {
		ui_msg(u, 1, "saved view %s: %s", name, err);
		free(err);
	}
	if (json_object_object_get_ex(o, "sort", &x)) {
		json_object *d;
		int desc = json_object_object_get_ex(o, "desc", &d) ? json_object_get_boolean(d) : -1;

		if (ui_list_sort_by(u, &u->vs[v], json_object_get_string(x), desc, &err) != 0) {
			ui_msg(u, 1, "saved view %s: %s", name, err);
			free(err);
		}
	}
	if (json_object_object_get_ex(o, "filter", &x))
		ui_set_filter(u, v, json_object_get_string(x), 1);
	json_object_put(o);
	ui_msg(u, 0, "view %s: %s%s%s", name, ui_views[v]->title,
	    u->vs[v].filter != NULL ? " /" : "", filter_text(u->vs[v].filter));
	return 0;
}

static char *
pref_key(const char *kind, const char *name)
{
	return xasprintf("%s:%s", kind, name);
}

/* ---- the commands ---- */

static void
c_filter(struct ui *u, char **argv, int argc, const char *rest)
{
	(void)argv;
	(void)argc;
	ui_set_filter(u, u->cur, rest, 0);
}

static void
c_sort(struct ui *u, char **argv, int argc, const char *rest)
{
	char *err = NULL;
	int desc = -1;

	(void)rest;
	if (argc > 1) {
		if (strcasecmp(argv[1], "desc") == 0 || strcasecmp(argv[1], "down") == 0)
			desc = 1;
		else if (strcasecmp(argv[1], "asc") == 0 || strcasecmp(argv[1], "up") == 0)
			desc = 0;
		else {
			ui_msg(u, 1, ":sort COLUMN [asc|desc]: '%s' is neither", argv[1]);
			return;
		}
	}
	if (ui_list_sort_by(u, &u->vs[u->cur], argv[0], desc, &err) != 0) {
		ui_msg(u, 1, "%s", err);
		free(err);
	}
}

static void
c_view(struct ui *u, char **argv, int argc, const char *rest)
{
	char *key, *json = NULL, *err = NULL;
	int v, r;

	(void)argc;
	(void)rest;
	if ((v = view_index(argv[0])) >= 0 && v != V_RESOURCE) {
		ui_show_view(u, v);
		return;
	}
	if (u->store == NULL) {
		ui_msg(u, 1, "no view called %s (views: findings events actors sources resources; "
		    "saved views need a store)", argv[0]);
		return;
	}
	key = pref_key("view", argv[0]);
	r = store_pref_get(u->store, key, &json, &err);
	free(key);
	if (r < 0) {
		ui_msg(u, 1, "saved view %s not read: %s", argv[0], err);
		free(err);
	} else if (r == 0)
		ui_msg(u, 1, "no view called %s (views: findings events actors sources resources, or "
		    "one :save-view made)", argv[0]);
	else
		apply_saved(u, argv[0], json);
	free(json);
}

static void
c_save_view(struct ui *u, char **argv, int argc, const char *rest)
{
	char *key, *json, *err = NULL;

	(void)argc;
	(void)rest;
	if (view_index(argv[0]) >= 0) {
		ui_msg(u, 1, "%s is a built-in view: give the saved view another name", argv[0]);
		return;
	}
	if (u->cur == V_RESOURCE) {
		ui_msg(u, 1, "the Resource view cannot be saved (it is one resource's)");
		return;
	}
	if (!ui_can_decide(u)) {
		ui_msg(u, 1, "view not saved: read-only (%s)", u->store != NULL ?
		    store_readonly_reason(u->store) : u->store_reason);
		return;
	}
	key = pref_key("view", argv[0]);
	json = view_json(u);
	if (store_pref_set(u->store, key, json, u->user, tf_now_ms(), &err) != 0) {
		ui_msg(u, 1, "view not saved: %s", err);
		free(err);
	} else
		ui_msg(u, 0, "saved view %s (:view %s brings it back)", argv[0], argv[0]);
	free(key);
	free(json);
}

static void
c_columns(struct ui *u, char **argv, int argc, const char *rest)
{
	struct ui_vstate *vs = &u->vs[u->cur];
	char *err = NULL, *spec, *key;

	(void)argv;
	if (vs->v->ncols == 0) {
		ui_msg(u, 1, "the %s view has no columns", vs->v->title);
		return;
	}
	if (argc == 0) {
		struct strbuf all;
		int i;

		spec = ui_list_columns_spec(vs);
		sb_init(&all);
		for (i = 0; i < vs->v->ncols; i++)
			sb_addf(&all, "%s%s", i ? " " : "", vs->v->cols[i].name);
		ui_msg(u, 0, "columns: %s (all: %s; :columns -NAME hides, +NAME shows, a list sets "
		    "them, default resets)", spec, all.buf);
		sb_free(&all);
		free(spec);
		return;
	}
	if (ui_list_set_columns(u, vs, rest, &err) != 0) {
		ui_msg(u, 1, "%s", err);
		free(err);
		return;
	}
	spec = ui_list_columns_spec(vs);
	key = pref_key("columns", vs->v->name);
	if (!ui_can_decide(u))
		ui_msg(u, 0, "columns: %s (for this session: the store is read-only)", spec);
	else if (store_pref_set(u->store, key, strcmp(rest, "default") == 0 ? NULL : spec, u->user,
	    tf_now_ms(), &err) != 0) {
		ui_msg(u, 1, "columns %s, but not kept: %s", spec, err);
		free(err);
	} else
		ui_msg(u, 0, "columns: %s (kept in the store)", spec);
	free(key);
	free(spec);
}

static void
c_ack(struct ui *u, char **argv, int argc, const char *rest)
{
	struct finding *f = ui_selected_finding(u);

	(void)argv;
	(void)argc;
	if (u->cur != V_FINDINGS || f == NULL) {
		ui_msg(u, 1, ":ack acknowledges the finding selected in the Findings view (1)");
		return;
	}
	ui_do_ack(u, f->id, rest);
}

static void
c_suppress(struct ui *u, char **argv, int argc, const char *rest)
{
	struct finding *f = ui_selected_finding(u);
	enum store_scope scope;
	int64_t until = 0, d, now = tf_now_ms();
	char *value = NULL;
	const char *note = NULL;

	if (u->cur != V_FINDINGS || f == NULL) {
		ui_msg(u, 1, ":suppress works on the finding selected in the Findings view (1)");
		return;
	}
	if (store_scope_parse(argv[0], &scope) != 0) {
		ui_msg(u, 1, ":suppress SCOPE DURATION [NOTE]: scope is finding, resource, rule, actor "
		    "or event");
		return;
	}
	if (strcmp(argv[1], "forever") == 0)
		until = 0;
	else if (tf_parse_duration(argv[1], &d) == 0)
		until = now + d;
	else if (tf_parse_when(argv[1], now, 1, &until) != 0 || until <= now) {
		ui_msg(u, 1, ":suppress: '%s' is not a duration (1h, 1d, 7d), a time to come (17:30, "
		    "RFC 3339) or forever", argv[1]);
		return;
	}
	if (argc > 2) {
		/* The note is the rest of the line after the duration. */
		note = strstr(rest, argv[1]) + strlen(argv[1]);
		while (*note == ' ')
			note++;
	}
	switch (scope) {
	case SCOPE_FINDING: value = xstrdup(f->id); break;
	case SCOPE_RESOURCE: value = store_resource_key(f); break;
	case SCOPE_RULE: value = f->nrules > 0 ? xstrdup(f->rules[0].id) : NULL; break;
	case SCOPE_ACTOR:
		value = xstrdup(f->actor.name != NULL ? f->actor.name : f->actor.principal);
		break;
	default: value = xstrdup(f->event_name); break;
	}
	if (value == NULL) {
		ui_msg(u, 1, "this finding has no %s to suppress", store_scope_name(scope));
		return;
	}
	ui_do_suppress(u, (int)scope, value, until, note);
	free(value);
}

static void
c_freeze(struct ui *u, char **argv, int argc, const char *rest)
{
	int64_t until, now = tf_now_ms();

	(void)argc;
	(void)rest;
	if (tf_parse_when(argv[1], now, 1, &until) != 0 || until <= now) {
		ui_msg(u, 1, ":freeze NAME UNTIL: '%s' is not a time to come (17:30 UTC, 2h, RFC 3339)",
		    argv[1]);
		return;
	}
	ui_do_freeze(u, argv[0], until);
}

static void
c_unfreeze(struct ui *u, char **argv, int argc, const char *rest)
{
	(void)argc;
	(void)rest;
	ui_do_unfreeze(u, argv[0]);
}

static void
c_export(struct ui *u, char **argv, int argc, const char *rest)
{
	(void)argv;
	ui_export(u, argc > 0 ? rest : NULL);
}

static void
c_theme(struct ui *u, char **argv, int argc, const char *rest)
{
	struct theme th = { 0 };
	char **errs = NULL;
	size_t nerrs = 0;

	(void)argc;
	(void)rest;
	if (theme_load(argv[0], &th, &errs, &nerrs) != 0) {
		ui_msg(u, 1, "theme %s: %s", argv[0], nerrs > 0 ? errs[0] : "cannot be loaded");
		yerrs_free(errs, nerrs);
		theme_free(&th);
		return;
	}
	u->theme = theme_init(&th);
	theme_free(&th);
	clearok(curscr, TRUE);
	ui_msg(u, 0, "theme %s", argv[0]);
}

static void
c_messages(struct ui *u, char **argv, int argc, const char *rest)
{
	(void)argv;
	(void)argc;
	(void)rest;
	u->overlay = OV_MESSAGES;
	u->ov_pane.scroll = 1 << 30;    /* the newest at the bottom: start there */
}

static void
c_help(struct ui *u, char **argv, int argc, const char *rest)
{
	(void)argv;
	(void)argc;
	(void)rest;
	u->overlay = OV_HELP;
	u->ov_pane.scroll = 0;
}

static void
c_quit(struct ui *u, char **argv, int argc, const char *rest)
{
	(void)argv;
	(void)argc;
	(void)rest;
	u->quit = 1;
}

static const struct ui_cmd cmds[] = {
	{ "filter", "EXPR", "filter this view (as /; empty clears)", CMP_NONE, 0, c_filter },
	{ "sort", "COLUMN [asc|desc]", "sort this list by a column", CMP_COLUMN, 1, c_sort },
	{ "columns", "[NAME...|-NAME|+NAME|default]", "show, hide and order this list's columns "
	  "(kept in the store)", CMP_COLUMN, 0, c_columns },
	{ "view", "NAME", "go to a view (findings events actors sources resources) or a saved view",
	  CMP_VIEW, 1, c_view },
	{ "save-view", "NAME", "save this view's filter, sort and columns as NAME", CMP_NONE, 1,
	  c_save_view },
	{ "ack", "[NOTE]", "acknowledge the selected finding", CMP_NONE, 0, c_ack },
	{ "suppress", "SCOPE DURATION [NOTE]", "suppress by finding, resource, rule, actor or "
	  "event, for 1h/1d/7d, until a time, or forever", CMP_SCOPE, 2, c_suppress },
	{ "freeze", "NAME UNTIL", "start a change freeze (or change the end of one that is on)",
	  CMP_FREEZE, 2, c_freeze },
	{ "unfreeze", "NAME", "end a change freeze now (cancel one not started)", CMP_FREEZE, 1,
	  c_unfreeze },
	{ "export", "[PATH]", "write the findings shown to a findings document", CMP_NONE, 0,
	  c_export },
	{ "theme", "NAME", "switch the colour theme", CMP_THEME, 1, c_theme },
	{ "messages", "", "every message and error of this session", CMP_NONE, 0, c_messages },
	{ "help", "", "keys, commands and filter fields", CMP_NONE, 0, c_help },
	{ "quit", "", "quit (also :q)", CMP_NONE, 0, c_quit },
	{ "q", "", NULL, CMP_NONE, 0, c_quit },
};

static const struct ui_cmd *
find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(cmds); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

#define MAX_ARGS 16

/* Split at blanks; "double quotes" keep blanks. */
static int
split(const char *line, char **argv)
{
	int n = 0;

	while (*line != '\0' && n < MAX_ARGS) {
		struct strbuf w;

		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0')
			break;
		sb_init(&w);
		sb_adds(&w, "");
		while (*line != '\0' && *line != ' ' && *line != '\t') {
			if (*line == '"') {
				const char *e = strchr(line + 1, '"');

				if (e == NULL)
					e = line + strlen(line);
				sb_add(&w, line + 1, (size_t)(e - line - 1));
				line = *e != '\0' ? e + 1 : e;
			} else
				sb_add(&w, line++, 1);
		}
		argv[n++] = sb_detach(&w);
	}
	return n;
}

void
ui_command(struct ui *u, const char *line)
{
	char *argv[MAX_ARGS];
	const struct ui_cmd *c;
	const char *rest;
	int argc, i;

	while (*line == ' ' || *line == ':')
		line++;
	if (*line == '\0')
		return;
	argc = split(line, argv);
	if ((c = find_cmd(argv[0])) == NULL) {
		const char *names[TF_ARRLEN(cmds)], *near;

		for (i = 0; i < (int)TF_ARRLEN(cmds); i++)
			names[i] = cmds[i].name;
		near = tf_near_miss(argv[0], names, TF_ARRLEN(cmds));
		ui_msg(u, 1, "unknown command '%s'%s%s%s (:help lists the commands)", argv[0],
		    near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
	} else if (argc - 1 < c->min_args)
		ui_msg(u, 1, "usage: :%s %s (%s)", c->name, c->args, c->help);
	else {
		rest = line + strlen(argv[0]);
		while (*rest == ' ' || *rest == '\t')
			rest++;
		c->run(u, argv + 1, argc - 1, rest);
	}
	for (i = 0; i < argc; i++)
		free(argv[i]);
}

/* ---- completion ---- */

/* The candidates for an argument of command c. */
static void
candidates(struct ui *u, const struct ui_cmd *c, int argi, struct strlist *out)
{
	struct ui_vstate *vs = &u->vs[u->cur];
	size_t i;
	int k;

	switch (c->complete) {
	case CMP_VIEW:
		for (k = 0; k < UI_NTABS; k++)
			strlist_push(out, ui_views[k]->name);
		if (u->store != NULL) {
			struct strlist keys = { 0 };

			if (store_pref_keys(u->store, "view:", &keys, NULL) == 0)
				for (i = 0; i < keys.n; i++)
					strlist_push(out, keys.v[i] + 5);
			strlist_clear(&keys);
		}
		break;
	case CMP_COLUMN:
		if (argi == 1 && strcmp(c->name, "sort") == 0) {
			strlist_push(out, "asc");
			strlist_push(out, "desc");
			break;
		}
		for (k = 0; k < vs->v->ncols; k++) {
			char *lc = xstrdup(vs->v->cols[k].name), *p;

			for (p = lc; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			strlist_push(out, lc);
			free(lc);
		}
		if (strcmp(c->name, "columns") == 0)
			strlist_push(out, "default");
		break;
	case CMP_THEME:
		for (i = 0; i < theme_nbuiltins; i++)
			strlist_push(out, theme_builtins[i].name);
		break;
	case CMP_SCOPE:
		if (argi == 0) {
			static const char *const s[] = { "finding", "resource", "rule", "actor", "event" };

			for (i = 0; i < TF_ARRLEN(s); i++)
				strlist_push(out, s[i]);
		} else if (argi == 1) {
			static const char *const d[] = { "1h", "1d", "7d", "forever" };

			for (i = 0; i < TF_ARRLEN(d); i++)
				strlist_push(out, d[i]);
		}
		break;
	case CMP_FREEZE:
		if (argi == 0)
			for (i = 0; i < u->nfw; i++)
				if (u->fw[i].end_ms > tf_now_ms())
					strlist_push(out, u->fw[i].name);
		break;
	default:
		break;
	}
}

char *
ui_command_complete(struct ui *u, const char *line, char **alts)
{
	struct strlist cand = { 0 };
	const char *word, *p = line;
	const struct ui_cmd *c = NULL;
	struct strbuf sb;
	size_t i, len, n = 0, common = 0;
	const char *first = NULL;
	int argi = -1;
	char *r = NULL;

	*alts = NULL;
	while (*p == ' ')
		p++;
	/* Which word is being completed: the command's name, or its argument argi. */
	word = p;
	for (; *p != '\0'; p++)
		if (*p == ' ' && p[1] != ' ') {
			if (argi < 0) {
				char *name = xstrndup(word, (size_t)(p - word));

				c = find_cmd(name);
				free(name);
			}
			argi++;
			word = p + 1;
		}
	if (argi < 0) {
		for (i = 0; i < TF_ARRLEN(cmds); i++)
			if (cmds[i].help != NULL)
				strlist_push(&cand, cmds[i].name);
	} else if (c != NULL) {
		candidates(u, c, argi, &cand);
		/* :columns -NAME and +NAME: complete the name after the sign. */
		if (c->run == c_columns && (*word == '-' || *word == '+'))
			word++;
	}
	len = strlen(word);
	sb_init(&sb);
	for (i = 0; i < cand.n; i++) {
		if (strncmp(cand.v[i], word, len) != 0)
			continue;
		if (first == NULL) {
			first = cand.v[i];
			common = strlen(first);
		} else {
			size_t k = 0;

			while (k < common && first[k] == cand.v[i][k])
				k++;
			common = k;
		}
		sb_addf(&sb, "%s%s", n ? " " : "", cand.v[i]);
		n++;
	}
	if (n == 1)
		r = xasprintf("%.*s%s ", (int)(word - line), line, first);
	else if (n > 1) {
		if (common > len)
			r = xasprintf("%.*s%.*s", (int)(word - line), line, (int)common, first);
		*alts = sb_detach(&sb);
	}
	sb_free(&sb);
	strlist_clear(&cand);
	return r;
}

size_t
ui_command_docs(struct cmd_doc *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < TF_ARRLEN(cmds) && n < max; i++)
		if (cmds[i].help != NULL) {
			out[n].name = cmds[i].name;
			out[n].args = cmds[i].args;
			out[n++].help = cmds[i].help;
		}
	return n;
}

const char *const *
ui_command_help(size_t *n)
{
	static char *lines[TF_ARRLEN(cmds)];
	static size_t nlines;
	size_t i;

	/* Made once (main thread only) from the table. */
	if (nlines == 0)
		for (i = 0; i < TF_ARRLEN(cmds); i++)
			if (cmds[i].help != NULL) {
				char *head = xasprintf(":%s %s", cmds[i].name, cmds[i].args);

				lines[nlines++] = xasprintf("%-*s %s", UI_CMD_HELP_COL, head, cmds[i].help);
				free(head);
			}
	*n = nlines;
	return (const char *const *)lines;
}

void
ui_save_toggle(struct ui *u, const char *name, int on)
{
	char *key, *err = NULL;

	if (!ui_can_decide(u))
		return;         /* read-only: for this session only */
	key = pref_key("toggle", name);
	if (store_pref_set(u->store, key, on ? "on" : NULL, u->user, tf_now_ms(), &err) != 0) {
		ui_msg(u, 1, "%s not kept for the next session: %s", name, err);
		free(err);
	}
	free(key);
}

static int
toggle_on(struct ui *u, const char *name)
{
	char *key = pref_key("toggle", name), *v = NULL;
	int on = u->store != NULL && store_pref_get(u->store, key, &v, NULL) == 1 && v != NULL &&
	    strcmp(v, "on") == 0;

	free(v);
	free(key);
	return on;
}

/* Column layouts kept in the store (`:columns`), else the config's, applied at start; the
 * toggles kept (R, =). */
void
ui_load_prefs(struct ui *u)
{
	const struct strlist *conf_cols[UI_NVIEWS] = { &u->conf.findings_columns,
		&u->conf.events_columns, &u->conf.actors_columns, NULL, NULL, NULL };
	int v;

	for (v = 0; v < UI_NVIEWS; v++) {
		char *key, *spec = NULL, *err = NULL;

		if (ui_views[v]->ncols == 0)
			continue;
		key = pref_key("columns", ui_views[v]->name);
		if (u->store == NULL || store_pref_get(u->store, key, &spec, NULL) != 1) {
			free(spec);
			spec = NULL;
			if (conf_cols[v] != NULL && conf_cols[v]->n > 0) {
				struct strbuf sb;
				size_t i;

				sb_init(&sb);
				for (i = 0; i < conf_cols[v]->n; i++)
					sb_addf(&sb, "%s%s", i ? " " : "", conf_cols[v]->v[i]);
				spec = sb_detach(&sb);
			}
		}
		if (spec != NULL && ui_list_set_columns(u, &u->vs[v], spec, &err) != 0) {
			ui_msg(u, 1, "%s columns: %s", ui_views[v]->name, err);
			free(err);
		}
		free(spec);
		free(key);
	}
	u->model.show_resolved = toggle_on(u, "show_resolved");
	ui_findings_group(u, toggle_on(u, "group_sessions"));
}
