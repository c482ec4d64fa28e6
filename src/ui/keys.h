/* keys: the key table. Every key maps to a named action with help text; the help view and a
 * future key-binding config both come from this one table. */
#ifndef TFDRIFT_UI_KEYS_H
#define TFDRIFT_UI_KEYS_H

#include <stddef.h>

enum ui_action {
	ACT_NONE = 0,
	ACT_DOWN, ACT_UP, ACT_PAGE_DOWN, ACT_PAGE_UP, ACT_TOP, ACT_BOTTOM,
	ACT_FOCUS, ACT_ACK, ACT_SUPPRESS, ACT_UNDO, ACT_TOGGLE_SUPPRESSED, ACT_SORT,
	ACT_HELP, ACT_REDRAW, ACT_QUIT,
	ACT_TAB_FINDINGS, ACT_TAB_EVENTS, ACT_TAB_ACTORS, ACT_TAB_SOURCES, ACT_NEXT_TAB,
	ACT_FILTER, ACT_SEARCH_NEXT, ACT_SEARCH_PREV, ACT_CANCEL, ACT_EXPORT,
	ACT_TIMELINE, ACT_LEFT, ACT_RIGHT, ACT_ZOOM, ACT_FREEZE, ACT_SHOW, ACT_REFRESH,
	ACT__COUNT
};

struct key_binding {
	int key;                /* curses key code (KEY_*) or character */
	const char *label;      /* how help shows it */
	enum ui_action action;
};

const char *ui_action_name(enum ui_action a);
const char *ui_action_help(enum ui_action a);
/* The action bound to a key (ACT_NONE when unbound). is_code: the key is a curses KEY_*
 * code (get_wch said KEY_CODE_YES), not a character. */
enum ui_action keys_lookup(int key, int is_code);
/* The table, in help order. */
const struct key_binding *keys_table(size_t *n);

#endif
