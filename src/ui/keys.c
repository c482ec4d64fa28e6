/* keys: the table of key bindings and named actions. */
#include "config.h"

#include <curses.h>

#include "keys.h"

static const struct {
	const char *name, *help;
} actions[ACT__COUNT] = {
	[ACT_NONE] = { "none", "" },
	[ACT_DOWN] = { "down", "down (list, or detail pane)" },
	[ACT_UP] = { "up", "up (list, or detail pane)" },
	[ACT_PAGE_DOWN] = { "page-down", "one page down" },
	[ACT_PAGE_UP] = { "page-up", "one page up" },
	[ACT_TOP] = { "top", "first finding" },
	[ACT_BOTTOM] = { "bottom", "last finding" },
	[ACT_FOCUS] = { "focus", "list <-> detail pane" },
	[ACT_ACK] = { "acknowledge", "acknowledge the selected finding (optional note)" },
	[ACT_SUPPRESS] = { "suppress", "suppress: pick scope, then how long" },
	[ACT_UNDO] = { "undo", "undo your last decision" },
	[ACT_TOGGLE_SUPPRESSED] = { "show-suppressed", "show or hide suppressed findings" },
	[ACT_SORT] = { "sort", "sort by time / by severity" },
	[ACT_HELP] = { "help", "show or hide this help" },
	[ACT_REDRAW] = { "redraw", "redraw the screen" },
	[ACT_QUIT] = { "quit", "quit (or close help)" },
	[ACT_TAB_FINDINGS] = { "view-findings", "Findings view" },
	[ACT_TAB_EVENTS] = { "view-events", "Events: every write, and why not drift" },
	[ACT_TAB_ACTORS] = { "view-actors", "Actors: who changed what" },
	[ACT_TAB_SOURCES] = { "view-sources", "Sources: files, states, store" },
	[ACT_NEXT_TAB] = { "next-view", "next view" },
	[ACT_FILTER] = { "filter", "filter: sev>=high actor:bob words" },
	[ACT_SEARCH_NEXT] = { "search-next", "next match of the filter's words" },
	[ACT_SEARCH_PREV] = { "search-prev", "previous match" },
	[ACT_CANCEL] = { "cancel", "clear the bucket, then the filter" },
	[ACT_EXPORT] = { "export", "export the findings shown to JSON" },
	[ACT_TIMELINE] = { "timeline", "show or hide the timeline band" },
	[ACT_LEFT] = { "left", "timeline: older bucket" },
	[ACT_RIGHT] = { "right", "timeline: newer bucket" },
	[ACT_ZOOM] = { "zoom", "timeline buckets: 1 min, 5 min, 1 h" },
	[ACT_FREEZE] = { "freeze", "change freeze from now until..." },
	[ACT_SHOW] = { "open", "detail pane; on an actor: theirs" },
	[ACT_REFRESH] = { "refresh", "live: read the states again now" },
};

static const struct key_binding table[] = {
	{ 'j', "j", ACT_DOWN },
	{ KEY_DOWN, "Down", ACT_DOWN },
	{ 'k', "k", ACT_UP },
	{ KEY_UP, "Up", ACT_UP },
	{ KEY_NPAGE, "PgDn", ACT_PAGE_DOWN },
	{ ' ', "Space", ACT_PAGE_DOWN },
	{ KEY_PPAGE, "PgUp", ACT_PAGE_UP },
	{ 'g', "g", ACT_TOP },
	{ KEY_HOME, "Home", ACT_TOP },
	{ 'G', "G", ACT_BOTTOM },
	{ KEY_END, "End", ACT_BOTTOM },
	{ '\n', "Enter", ACT_SHOW },
	{ '\r', "Enter", ACT_SHOW },
	{ KEY_ENTER, "Enter", ACT_SHOW },
	{ '\t', "Tab", ACT_FOCUS },
	{ '1', "1", ACT_TAB_FINDINGS },
	{ '2', "2", ACT_TAB_EVENTS },
	{ '3', "3", ACT_TAB_ACTORS },
	{ '4', "4", ACT_TAB_SOURCES },
	{ KEY_BTAB, "S-Tab", ACT_NEXT_TAB },
	{ 'v', "v", ACT_NEXT_TAB },
	{ '/', "/", ACT_FILTER },
	{ 'n', "n", ACT_SEARCH_NEXT },
	{ 'N', "N", ACT_SEARCH_PREV },
	{ 27, "Esc", ACT_CANCEL },
	{ 'e', "e", ACT_EXPORT },
	{ 't', "t", ACT_TIMELINE },
	{ 'h', "h", ACT_LEFT },
	{ KEY_LEFT, "Left", ACT_LEFT },
	{ 'l', "l", ACT_RIGHT },
	{ KEY_RIGHT, "Right", ACT_RIGHT },
	{ 'z', "z", ACT_ZOOM },
	{ 'F', "F", ACT_FREEZE },
	{ 'r', "r", ACT_REFRESH },
	{ 'a', "a", ACT_ACK },
	{ 's', "s", ACT_SUPPRESS },
	{ 'u', "u", ACT_UNDO },
	{ 'S', "S", ACT_TOGGLE_SUPPRESSED },
	{ 'o', "o", ACT_SORT },
	{ '?', "?", ACT_HELP },
	{ 'L' & 0x1f, "^L", ACT_REDRAW },
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

/* Curses key codes start at KEY_MIN (0401); characters below it are plain characters. A
 * wide character with the same number as a key code must not trigger it. */
enum ui_action
keys_lookup(int key, int is_code)
{
	size_t i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].key == key && (table[i].key >= KEY_MIN) == (is_code != 0))
			return table[i].action;
	return ACT_NONE;
}

const struct key_binding *
keys_table(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}
