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
	char **keys = NULL;
	int *acts = NULL;
	size_t n, i, j, nl = 0;
	int a, cols, per, colw, c, r;

	t = keys_table(&n);
	ui_put(y, x + 1, w - 1, "Keys (q or ? closes this help)", theme_attr(TS_HEADER));
	sb_init(&sb);
	for (a = 1; a < ACT__COUNT; a++) {
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
		keys = xreallocarray(keys, nl + 1, sizeof *keys);
		acts = xreallocarray(acts, nl + 1, sizeof *acts);
		keys[nl] = xstrdup(sb.buf);
		acts[nl++] = a;
	}
	sb_free(&sb);
	/* One column when it fits, else as many as the width allows. */
	per = h - 4 > 1 ? h - 4 : 1;
	cols = ((int)nl + per - 1) / per;
	if (cols < 1)
		cols = 1;
	if (cols > 1 && w / cols < 40)
		cols = w / 40 > 0 ? w / 40 : 1;
	per = ((int)nl + cols - 1) / cols;
	colw = w / cols;
	for (i = 0; i < nl; i++) {
		c = (int)i / per;
		r = (int)i % per;
		if (r + 1 < h) {
			ui_put(y + 1 + r, x + 2 + c * colw, 14, keys[i], theme_attr(TS_NORMAL) | A_BOLD);
			ui_put(y + 1 + r, x + 17 + c * colw, colw - 17, ui_action_help((enum ui_action)acts[i]),
			    theme_attr(TS_NORMAL));
		}
		free(keys[i]);
	}
	free(keys);
	free(acts);
	r = per + 2;
	if (r < h)
		ui_put(y + r, x + 2, w - 2, "Filter fields: sev(>=,>,<=,<) kind status actor via "
		    "type addr module id event source account region provider rule; -term negates; "
		    "a,b ORs; words match any field.", theme_attr(TS_DIM));
	if (r + 1 < h)
		ui_put(y + r + 1, x + 2, w - 2, "Decisions are saved in the store before they show; "
		    "`tfdrift export` reads them from the command line.", theme_attr(TS_DIM));
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
