/* keys: the key table. Every key maps to a named action with help text and a short key-bar
 * label; the help view, the key bar, the man page's key list and a future key-binding config
 * all come from this one table. */
#ifndef TFDRIFT_UI_KEYS_H
#define TFDRIFT_UI_KEYS_H

#include <stddef.h>
#include <stdio.h>

enum ui_action {
	ACT_NONE = 0,
	ACT_DOWN, ACT_UP, ACT_PAGE_DOWN, ACT_PAGE_UP, ACT_TOP, ACT_BOTTOM,
	ACT_SHOW, ACT_FOCUS, ACT_BACK, ACT_FULLSCREEN, ACT_PAGER, ACT_COPY, ACT_COPY_ALL,
	ACT_FILTER, ACT_SEARCH_NEXT, ACT_SEARCH_PREV, ACT_CANCEL, ACT_COMMAND,
	ACT_SORT, ACT_SORT_PREV, ACT_SORT_NEXT,
	ACT_ACK, ACT_SUPPRESS, ACT_UNDO, ACT_TOGGLE_SUPPRESSED, ACT_TOGGLE_RESOLVED, ACT_GROUP,
	ACT_EXPORT, ACT_FREEZE, ACT_REFRESH, ACT_PAUSE,
	ACT_TIMELINE, ACT_LEFT, ACT_RIGHT, ACT_BUCKET_PREV, ACT_BUCKET_NEXT, ACT_ZOOM,
	ACT_TAB_FINDINGS, ACT_TAB_EVENTS, ACT_TAB_ACTORS, ACT_TAB_SOURCES, ACT_TAB_RESOURCES,
	ACT_NEXT_TAB,
	ACT_PREV_TAB,
	ACT_HELP, ACT_REDRAW, ACT_SUSPEND, ACT_QUIT,
	ACT__COUNT
};

struct key_binding {
	int key;                /* curses key code (KEY_*) or character */
	const char *label;      /* how help and the key bar show it */
	enum ui_action action;
};

const char *ui_action_name(enum ui_action a);
const char *ui_action_help(enum ui_action a);
/* The key bar's word for an action ("filter"), or NULL when it never shows there. */
const char *ui_action_bar(enum ui_action a);
/* The action bound to a key (ACT_NONE when unbound). is_code: the key is a curses KEY_*
 * code (get_wch said KEY_CODE_YES), not a character. */
enum ui_action keys_lookup(int key, int is_code);
/* The first key bound to an action, as help shows it ("j"), or NULL. */
const char *keys_label(enum ui_action a);
/* The table, in help order. */
const struct key_binding *keys_table(size_t *n);
/* A printable name for a key that is bound to nothing ("x", "^B", "F5"), into out. */
void keys_describe(int key, int is_code, char *out, size_t len);

/* A `:` command as help and the man page show it (cmd.c's table). */
struct cmd_doc {
	const char *name, *args, *help;
};
/* Print the key table and the `:` commands for people (roff 0) or as man-page roff (roff 1):
 * what `tfdrift keys` prints and what the man page's KEYS section is made from. */
void keys_print(FILE *fp, int roff, const struct cmd_doc *cmds, size_t ncmds);

/* One key-bar entry: an action, or a pair shown as "h/l timeline" (b != ACT_NONE). */
struct key_hint {
	enum ui_action a, b;
};
/* The key bar for a list of hints in priority order (most important first, ending with
 * ACT_NONE): as many as fit in `width` columns, shown in list order, always ending with
 * "? help  q quit". Heap string. */
char *keys_bar(const struct key_hint *hints, int width);

#endif
