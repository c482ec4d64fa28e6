/* view_help: the key help, generated from the key table. */
#include "config.h"

#include <string.h>
#include <curses.h>

#include "keys.h"
#include "ui_int.h"

static void
help_draw(struct ui *u, int y, int x, int h, int w)
{
	const struct key_binding *t;
	struct strbuf sb;
	size_t n, i, j;
	int row = 0, a;

	t = keys_table(&n);
	ui_put(y + row++, x + 1, w - 1, "Keys (q or ? closes this help)", theme_attr(TS_HEADER));
	sb_init(&sb);
	for (a = 1; a < ACT__COUNT && row < h; a++) {
		sb_reset(&sb);
		for (i = 0; i < n; i++) {
			if ((int)t[i].action != a)
				continue;
			/* Enter has several key codes: list each label once. */
			for (j = 0; j < i; j++)
				if ((int)t[j].action == a && strcmp(t[j].label, t[i].label) == 0)
					break;
			if (j < i)
				continue;
			sb_addf(&sb, "%s%s", sb.len ? ", " : "", t[i].label);
		}
		if (sb.len == 0)
			continue;
		ui_put(y + row, x + 2, 14, sb.buf, theme_attr(TS_NORMAL) | A_BOLD);
		ui_put(y + row, x + 17, w - 17, ui_action_help((enum ui_action)a), theme_attr(TS_NORMAL));
		row++;
	}
	sb_free(&sb);
	if (row + 1 < h)
		ui_put(y + row + 1, x + 2, w - 2, "s suppresses the resource for 1 day; "
		    "other scopes and durations: tfdrift suppress --scope ... --for ...", theme_attr(TS_DIM));
	(void)u;
}

static int
help_key(struct ui *u, int action)
{
	if (action == ACT_QUIT || action == ACT_HELP) {
		u->show_help = 0;
		return 1;
	}
	return 1;       /* help swallows every other key */
}

const struct ui_view view_help = { "help", help_draw, help_key };
