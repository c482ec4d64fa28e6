/* keys: the table of key bindings and named actions, and the key bar made from it. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "keys.h"
#include "util.h"

static const struct {
	const char *name, *help, *bar;
} actions[ACT__COUNT] = {
	[ACT_NONE] = { "none", "", NULL },
	[ACT_DOWN] = { "down", "down one row (list, or the detail pane when it has the focus)", "move" },
	[ACT_UP] = { "up", "up one row", "move" },
	[ACT_PAGE_DOWN] = { "page-down", "one page down", NULL },
	[ACT_PAGE_UP] = { "page-up", "one page up", NULL },
	[ACT_TOP] = { "top", "first row (the newest); the list follows new rows again", NULL },
	[ACT_BOTTOM] = { "bottom", "last row", NULL },
	[ACT_SHOW] = { "open", "open: a finding's detail; an event's or an actor's findings (an "
	    "event's resolved since, shown all the same; a revert's, the findings it resolved; an "
	    "event that made none, the history of the resource it touched); in the detail, what "
	    "the line names (resource, dependent, earlier finding)", "open" },
	[ACT_FOCUS] = { "focus", "findings: switch between the list and the detail pane", "detail" },
	[ACT_BACK] = { "back", "back to the previous view, selection and filter", "back" },
	[ACT_FULLSCREEN] = { "fullscreen", "full-screen detail on and off", "full" },
	[ACT_PAGER] = { "pager", "open the selected item's full text in $PAGER (default less -R)",
	    "pager" },
	[ACT_COPY] = { "copy", "copy (OSC 52): a finding's fix command; an event's id; a "
	    "resource's address", "copy" },
	[ACT_COPY_ALL] = { "copy-all", "copy (OSC 52): the finding as JSON; the event's raw record; "
	    "the resource with its net diff", NULL },
	[ACT_FILTER] = { "filter", "filter this view: words and FIELD:VALUE terms (see below)",
	    "filter" },
	[ACT_SEARCH_NEXT] = { "search-next", "next row with the filter's words", NULL },
	[ACT_SEARCH_PREV] = { "search-prev", "previous row with the filter's words", NULL },
	[ACT_CANCEL] = { "cancel", "clear the timeline bucket, then the filter; leave the detail; "
	    "else back", NULL },
	[ACT_COMMAND] = { "command", "command line (:help lists the commands)", "cmd" },
	[ACT_SORT] = { "sort", "sort by the next column (:sort COLUMN asc|desc for a direction)", "sort" },
	[ACT_SORT_PREV] = { "sort-left", "sort by the column to the left", NULL },
	[ACT_SORT_NEXT] = { "sort-right", "sort by the column to the right", NULL },
	[ACT_ACK] = { "acknowledge", "acknowledge the selected finding (optional note)", "ack" },
	[ACT_SUPPRESS] = { "suppress", "suppress: pick the scope, then how long", "suppress" },
	[ACT_UNDO] = { "undo", "undo your last decision", "undo" },
	[ACT_TOGGLE_SUPPRESSED] = { "show-suppressed", "show or hide suppressed findings",
	    "suppressed" },
	[ACT_TOGGLE_RESOLVED] = { "show-resolved", "show or hide resolved findings (dimmed, with "
	    "what resolved them)", "resolved" },
	[ACT_GROUP] = { "group-sessions", "group findings by actor session (one row each; "
	    "Enter or Right expands, Left collapses)", "sessions" },
	[ACT_EXPORT] = { "export", "export the findings shown to JSON (--export-dir)", "export" },
	[ACT_FREEZE] = { "freeze", "start a change freeze from now until a time", "freeze" },
	[ACT_REFRESH] = { "refresh", "live: read the states again now", NULL },
	[ACT_PAUSE] = { "pause", "pause or resume updates (counts keep growing)", "pause" },
	[ACT_TIMELINE] = { "timeline", "show or hide the timeline band", NULL },
	[ACT_LEFT] = { "left", "timeline: older bucket (the list shows only it)", "timeline" },
	[ACT_RIGHT] = { "right", "timeline: newer bucket", NULL },
	[ACT_BUCKET_PREV] = { "bucket-prev", "timeline: previous bucket with events", NULL },
	[ACT_BUCKET_NEXT] = { "bucket-next", "timeline: next bucket with events", NULL },
	[ACT_ZOOM] = { "zoom", "timeline buckets: 10 s, 1 min, 5 min, 1 h", NULL },
	[ACT_TAB_FINDINGS] = { "view-findings", "Findings: the drift, with its detail", "views" },
	[ACT_TAB_EVENTS] = { "view-events", "Events: every write, and why it is not drift", NULL },
	[ACT_TAB_ACTORS] = { "view-actors", "Actors: who changed what", NULL },
	[ACT_TAB_SOURCES] = { "view-sources", "Sources: files, pollers, states, store", NULL },
	[ACT_TAB_RESOURCES] = { "view-resources", "Resources: every resource drifted now, its net "
	    "diff and its history", NULL },
	[ACT_NEXT_TAB] = { "next-view", "next view", NULL },
	[ACT_PREV_TAB] = { "previous-view", "previous view", NULL },
	[ACT_HELP] = { "help", "this help (j/k scroll; q or ? closes)", "help" },
	[ACT_REDRAW] = { "redraw", "redraw the screen", NULL },
	[ACT_SUSPEND] = { "suspend", "suspend to the shell (fg resumes)", NULL },
	[ACT_QUIT] = { "quit", "quit (or close help and overlays)", "quit" },
};

static const struct key_binding table[] = {
	{ 'j', "j", ACT_DOWN },
	{ KEY_DOWN, "Down", ACT_DOWN },
	{ 'k', "k", ACT_UP },
	{ KEY_UP, "Up", ACT_UP },
	{ KEY_NPAGE, "PgDn", ACT_PAGE_DOWN },
	{ ' ', "Space", ACT_PAGE_DOWN },
	{ 'F' & 0x1f, "^F", ACT_PAGE_DOWN },
	{ KEY_PPAGE, "PgUp", ACT_PAGE_UP },
	{ 'B' & 0x1f, "^B", ACT_PAGE_UP },
	{ 'g', "g", ACT_TOP },
	{ KEY_HOME, "Home", ACT_TOP },
	{ 'G', "G", ACT_BOTTOM },
	{ KEY_END, "End", ACT_BOTTOM },
	{ '\n', "Enter", ACT_SHOW },
	{ '\r', "Enter", ACT_SHOW },
	{ KEY_ENTER, "Enter", ACT_SHOW },
	{ '\t', "Tab", ACT_FOCUS },
	{ KEY_BACKSPACE, "Bksp", ACT_BACK },
	{ 127, "Bksp", ACT_BACK },
	{ 8, "Bksp", ACT_BACK },
	{ '+', "+", ACT_FULLSCREEN },
	{ '|', "|", ACT_PAGER },
	{ 'y', "y", ACT_COPY },
	{ 'Y', "Y", ACT_COPY_ALL },
	{ '/', "/", ACT_FILTER },
	{ 'n', "n", ACT_SEARCH_NEXT },
	{ 'N', "N", ACT_SEARCH_PREV },
	{ 27, "Esc", ACT_CANCEL },
	{ ':', ":", ACT_COMMAND },
	{ 'o', "o", ACT_SORT },
	{ '<', "<", ACT_SORT_PREV },
	{ '>', ">", ACT_SORT_NEXT },
	{ 'a', "a", ACT_ACK },
	{ 's', "s", ACT_SUPPRESS },
	{ 'u', "u", ACT_UNDO },
	{ 'S', "S", ACT_TOGGLE_SUPPRESSED },
	{ 'R', "R", ACT_TOGGLE_RESOLVED },
	{ '=', "=", ACT_GROUP },
	{ 'e', "e", ACT_EXPORT },
	{ 'F', "F", ACT_FREEZE },
	{ 'r', "r", ACT_REFRESH },
	{ 'Z', "Z", ACT_PAUSE },
	{ 't', "t", ACT_TIMELINE },
	{ 'h', "h", ACT_LEFT },
	{ KEY_LEFT, "Left", ACT_LEFT },
	{ 'l', "l", ACT_RIGHT },
	{ KEY_RIGHT, "Right", ACT_RIGHT },
	{ '[', "[", ACT_BUCKET_PREV },
	{ ']', "]", ACT_BUCKET_NEXT },
	{ 'z', "z", ACT_ZOOM },
	{ '1', "1", ACT_TAB_FINDINGS },
	{ '2', "2", ACT_TAB_EVENTS },
	{ '3', "3", ACT_TAB_ACTORS },
	{ '4', "4", ACT_TAB_SOURCES },
	{ '5', "5", ACT_TAB_RESOURCES },
	{ 'v', "v", ACT_NEXT_TAB },
	{ KEY_BTAB, "S-Tab", ACT_PREV_TAB },
	{ '?', "?", ACT_HELP },
	{ KEY_F(1), "F1", ACT_HELP },
	{ 'L' & 0x1f, "^L", ACT_REDRAW },
	{ 'Z' & 0x1f, "^Z", ACT_SUSPEND },
	{ 'q', "q", ACT_QUIT },
};

const char *
ui_action_name(enum ui_action a)
{
	return a < ACT__COUNT ? actions[a].name : "?";
}

const char *
ui_action_help(enum ui_action a)
{
	return a < ACT__COUNT ? actions[a].help : "";
}

const char *
ui_action_bar(enum ui_action a)
{
	return a < ACT__COUNT ? actions[a].bar : NULL;
}

/* Curses key codes start at KEY_MIN (0401); characters below it are plain characters. A
 * wide character with the same number as a key code must not trigger it. */
enum ui_action
keys_lookup(int key, int is_code)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(table); i++)
		if (table[i].key == key && (table[i].key >= KEY_MIN) == (is_code != 0))
			return table[i].action;
	return ACT_NONE;
}

const char *
keys_label(enum ui_action a)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(table); i++)
		if (table[i].action == a)
			return table[i].label;
	return NULL;
}

const struct key_binding *
keys_table(size_t *n)
{
	*n = TF_ARRLEN(table);
	return table;
}

void
keys_describe(int key, int is_code, char *out, size_t len)
{
	const char *name;

	if (is_code) {
		name = keyname(key);
		snprintf(out, len, "%s", name != NULL ? name : "?");
		if (strncmp(out, "KEY_", 4) == 0)
			memmove(out, out + 4, strlen(out + 4) + 1);
	} else if (key < 0x20)
		snprintf(out, len, "^%c", key + '@');
	else if (key == 0x7f)
		snprintf(out, len, "^?");
	else if (key < 0x80)
		snprintf(out, len, "%c", key);
	else
		snprintf(out, len, "U+%04X", (unsigned)key);
}

/* "h/l timeline" or "/ filter". */
static char *
hint_text(const struct key_hint *h)
{
	const char *ka = keys_label(h->a), *kb = h->b != ACT_NONE ? keys_label(h->b) : NULL;
	const char *word = ui_action_bar(h->a);

	if (ka == NULL || word == NULL)
		return NULL;
	if (kb != NULL)
		return xasprintf("%s%s%s %s", ka, h->a == ACT_TAB_FINDINGS ? "-" : "/", kb, word);
	return xasprintf("%s %s", ka, word);
}

char *
keys_bar(const struct key_hint *hints, int width)
{
	static const struct key_hint tail[] = { { ACT_HELP, ACT_NONE }, { ACT_QUIT, ACT_NONE } };
	struct strbuf sb;
	char *text[32];
	int keep[32], used, n, i, len;

	used = 0;
	for (i = 0; i < 2; i++) {
		char *t = hint_text(&tail[i]);

		used += (int)strlen(t) + (i > 0 ? 2 : 0);
		free(t);
	}
	for (n = 0; n < 32 && hints != NULL && hints[n].a != ACT_NONE; n++) {
		text[n] = hint_text(&hints[n]);
		keep[n] = 0;
	}
	/* The most important first, while they fit (two blanks between entries). */
	for (i = 0; i < n; i++) {
		if (text[i] == NULL)
			continue;
		len = (int)strlen(text[i]) + 2;
		if (used + len <= width) {
			keep[i] = 1;
			used += len;
		}
	}
	sb_init(&sb);
	for (i = 0; i < n; i++) {
		if (keep[i])
			sb_addf(&sb, "%s  ", text[i]);
		free(text[i]);
	}
	for (i = 0; i < 2; i++) {
		char *t = hint_text(&tail[i]);

		sb_addf(&sb, "%s%s", t, i == 0 ? "  " : "");
		free(t);
	}
	return sb_detach(&sb);
}

/* roff text: a leading dot or quote would be a request; backslashes escape. */
static void
roff_text(FILE *fp, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", fp);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", fp);
		else if (*s == '-')
			fputs("\\-", fp);
		else
			fputc(*s, fp);
	}
}

void
keys_print(FILE *fp, int roff, const struct cmd_doc *cmds, size_t ncmds)
{
	struct strbuf sb;
	size_t i, j;
	int a;

	sb_init(&sb);
	for (a = 1; a < ACT__COUNT; a++) {
		sb_reset(&sb);
		for (i = 0; i < TF_ARRLEN(table); i++) {
			if ((int)table[i].action != a)
				continue;
			for (j = 0; j < i; j++)
				if ((int)table[j].action == a && strcmp(table[j].label, table[i].label) == 0)
					break;
			if (j == i)
				sb_addf(&sb, "%s%s", sb.len ? ", " : "", table[i].label);
		}
		if (sb.len == 0)
			continue;
		if (roff) {
			fputs(".TP\n.B ", fp);
			roff_text(fp, sb.buf);
			fputc('\n', fp);
			roff_text(fp, actions[a].help);
			fputc('\n', fp);
		} else
			fprintf(fp, "  %-18s %s\n", sb.buf, actions[a].help);
	}
	sb_free(&sb);
	if (ncmds > 0 && !roff)
		fputs("\ncommands:\n", fp);
	for (i = 0; i < ncmds; i++) {
		char *head = xasprintf(":%s%s%s", cmds[i].name, cmds[i].args[0] ? " " : "",
		    cmds[i].args);

		if (roff) {
			fputs(".TP\n.B ", fp);
			roff_text(fp, head);
			fputc('\n', fp);
			roff_text(fp, cmds[i].help);
			fputc('\n', fp);
		} else
			fprintf(fp, "  %-26s %s\n", head, cmds[i].help);
		free(head);
	}
}
