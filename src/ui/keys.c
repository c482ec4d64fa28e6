/* keys: the table of key bindings and named actions. */
#include "config.h"

#include <curses.h>

#include "keys.h"

static const struct {
	const char *name, *help;
} actions[ACT__COUNT] = {
	[ACT_NONE] = { "none", "" },
	[ACT_DOWN] = { "down", "move the selection down (or scroll the detail pane)" },
	[ACT_UP] = { "up", "move the selection up (or scroll the detail pane)" },
	[ACT_PAGE_DOWN] = { "page-down", "one page down" },
	[ACT_PAGE_UP] = { "page-up", "one page up" },
	[ACT_TOP] = { "top", "first finding" },
	[ACT_BOTTOM] = { "bottom", "last finding" },
	[ACT_FOCUS] = { "focus", "switch focus between the list and the detail pane" },
	[ACT_ACK] = { "acknowledge", "acknowledge the selected finding (optional note)" },
	[ACT_SUPPRESS] = { "suppress", "suppress this resource for 1 day" },
	[ACT_UNDO] = { "undo", "undo your last decision" },
	[ACT_TOGGLE_SUPPRESSED] = { "show-suppressed", "show or hide suppressed findings" },
	[ACT_SORT] = { "sort", "sort by time / by severity" },
	[ACT_HELP] = { "help", "show or hide this help" },
	[ACT_REDRAW] = { "redraw", "redraw the screen" },
	[ACT_QUIT] = { "quit", "quit (or close help)" },
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
	{ '\n', "Enter", ACT_FOCUS },
	{ '\r', "Enter", ACT_FOCUS },
	{ KEY_ENTER, "Enter", ACT_FOCUS },
	{ '\t', "Tab", ACT_FOCUS },
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

enum ui_action
keys_lookup(int key)
{
	size_t i;

	for (i = 0; i < sizeof table / sizeof table[0]; i++)
		if (table[i].key == key)
			return table[i].action;
	return ACT_NONE;
}

const struct key_binding *
keys_table(size_t *n)
{
	*n = sizeof table / sizeof table[0];
	return table;
}
