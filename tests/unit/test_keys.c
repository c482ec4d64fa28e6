/* Unit tests for the key table: lookups, labels, and the key bar made from it (fits the
 * width, drops the least important hints first, always ends with "? help  q quit"). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "tap.h"
#include "ui/keys.h"
#include "util.h"

static const struct key_hint hints[] = {
	{ ACT_SHOW, ACT_NONE }, { ACT_FILTER, ACT_NONE }, { ACT_ACK, ACT_NONE },
	{ ACT_LEFT, ACT_RIGHT }, { ACT_TAB_FINDINGS, ACT_TAB_SOURCES }, { ACT_EXPORT, ACT_NONE },
	{ ACT_NONE, ACT_NONE },
};

int
main(void)
{
	const struct key_binding *t;
	size_t n, i;
	char *bar, name[32];
	int w, a;

	is_int(keys_lookup('j', 0), ACT_DOWN, "j is down");
	is_int(keys_lookup(KEY_DOWN, 1), ACT_DOWN, "the Down key too");
	is_int(keys_lookup(KEY_DOWN, 0), ACT_NONE, "a character with a key code's number is not it");
	is_int(keys_lookup('|', 0), ACT_PAGER, "| is the pager");
	is_int(keys_lookup(':', 0), ACT_COMMAND, ": is the command line");
	is_int(keys_lookup(KEY_BTAB, 1), ACT_PREV_TAB, "Shift-Tab is the previous view");
	is_int(keys_lookup('x', 0), ACT_NONE, "x is nothing");
	is_str(keys_label(ACT_QUIT), "q", "the first key of an action labels it");
	keys_describe('B' & 0x1f, 0, name, sizeof name);
	is_str(name, "^B", "control keys are described as ^B");
	keys_describe(KEY_F(5), 1, name, sizeof name);
	is_str(name, "F(5)", "function keys by curses' name");

	/* Every binding names an action that has help; every action has a name. */
	t = keys_table(&n);
	for (i = 0; i < n; i++)
		if (ui_action_help(t[i].action)[0] == '\0')
			break;
	is_int((int)i, (int)n, "every bound action has help text");
	for (a = 1; a < ACT__COUNT; a++)
		if (keys_label((enum ui_action)a) == NULL)
			break;
	is_int(a, ACT__COUNT, "every action has a key");

	bar = keys_bar(hints, 200);
	is_str(bar, "Enter open  / filter  a ack  h/l timeline  1-4 views  e export  ? help  q quit",
	    "a wide bar shows every hint, pairs as h/l, then help and quit");
	free(bar);
	for (w = 14; w <= 100; w++) {
		bar = keys_bar(hints, w);
		if ((int)strlen(bar) > w && w >= 15)
			break;
		if (!tf_str_has_suffix(bar, "? help  q quit"))
			break;
		free(bar);
		bar = NULL;
	}
	ok(bar == NULL, "from 15 to 100 columns the bar fits and ends with ? help  q quit (%d)", w);
	free(bar);
	bar = keys_bar(hints, 42);
	is_str(bar, "Enter open  / filter  ? help  q quit",
	    "a narrow bar keeps the most important hints, in order");
	free(bar);
	bar = keys_bar(hints, 43);
	is_str(bar, "Enter open  / filter  a ack  ? help  q quit",
	    "a narrow bar keeps the most important hints, in order");
	free(bar);
	bar = keys_bar(hints, 53);
	is_str(bar, "Enter open  / filter  a ack  e export  ? help  q quit",
	    "a hint that does not fit is skipped, a shorter one after it still shows");
	free(bar);
	return done_testing();
}
