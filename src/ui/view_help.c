/* view_help: the overlays drawn over the views: the help (every key from the key table, every
 * command, the filter fields of every view) and `:messages` (every message and error of the
 * session with its time). Both scroll and wrap; q, ? or Esc closes them. */
#include "config.h"

#include <string.h>
#include <curses.h>

#include "keys.h"
#include "ui_int.h"

#define KEY_COL_MAX 22          /* the key column is at most this wide */

static void
help_text(struct ui *u, struct ui_text *d)
{
	const struct key_binding *t;
	struct strbuf sb;
	const char *const *cmds;
	size_t n, i, j, nc;
	int a, v;

	t = keys_table(&n);
	ui_text_add(d, TS_HEADER, xasprintf("Keys (in the %s view; j/k scroll, q closes)",
	    ui_views[u->cur]->title));
	struct strlist keys = { 0 };
	int acts[ACT__COUNT], nk = 0, col = 0;

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
		strlist_push(&keys, sb.buf);
		acts[nk++] = a;
		if ((int)sb.len > col)
			col = (int)sb.len;
	}
	sb_free(&sb);
	/* The descriptions in one column after the longest key list. */
	col = col + 4 < KEY_COL_MAX ? col + 4 : KEY_COL_MAX;
	for (i = 0; i < keys.n; i++) {
		ui_text_add(d, TS_NORMAL, xasprintf("  %-*s%s%s", col - 2, keys.v[i],
		    (int)strlen(keys.v[i]) >= col - 2 ? " " : "", ui_action_help((enum ui_action)acts[i])));
		d->v[d->n - 1].indent = col;
	}
	strlist_clear(&keys);
	ui_text_add(d, TS_NORMAL, xstrdup(""));
	ui_text_add(d, TS_HEADER, xstrdup("Commands (: then Tab completes, Up/Down recall)"));
	cmds = ui_command_help(&nc);
	for (i = 0; i < nc; i++) {
		/* Wrapped descriptions go on in their column, as the keys' do. */
		ui_text_add(d, TS_NORMAL, xasprintf("  %s", cmds[i]));
		d->v[d->n - 1].indent = 2 + UI_CMD_HELP_COL + 1;
	}
	ui_text_add(d, TS_NORMAL, xstrdup(""));
	ui_text_add(d, TS_HEADER, xstrdup("Filter (/) in every view"));
	ui_text_add(d, TS_NORMAL, xstrdup("  Words match any field; FIELD:VALUE narrows (a glob with "
	    "* ? [, a,b for either); -term negates; \"quotes\" keep blanks; sev>=high; "
	    "since:T and until:T take 2024-05-27T09:00:00Z, 2024-05-27, 17:30 (UTC) or 90m "
	    "(ago). n/N find the next row with the words."));
	for (v = 0; v < UI_NVIEWS; v++)
		if (ui_views[v]->schema != NULL) {
			ui_text_add(d, TS_NORMAL, xasprintf("  %s: %s%s", ui_views[v]->title,
			    ui_views[v]->schema->n > 0 ? "" : "words, ", ui_views[v]->schema->names));
			d->v[d->n - 1].indent = 4;
		}
	ui_text_add(d, TS_NORMAL, xstrdup(""));
	ui_text_add(d, TS_DIM, xstrdup("Decisions are saved in the store before they show; "
	    "`tfdrift export` reads them from the command line. tfdrift(1) has the rest."));
}

static void
messages_text(struct ui *u, struct ui_text *d)
{
	size_t i;
	char t[32];

	ui_text_add(d, TS_HEADER, xasprintf("Messages of this session (%zu; q closes)", u->nmsgs));
	if (u->nmsgs == 0)
		ui_text_add(d, TS_DIM, xstrdup("  none yet"));
	for (i = 0; i < u->nmsgs; i++) {
		tf_format_time(u->msgs[i].at_ms, t);
		ui_text_add(d, u->msgs[i].error ? TS_STATUS_ERROR : TS_NORMAL, xasprintf("  %s  %s%s", t,
		    u->msgs[i].error ? "error: " : "", u->msgs[i].text));
		d->v[d->n - 1].indent = 2 + (int)strlen(t) + 2;        /* under the text */
	}
}

static void
make(struct ui *u, struct ui_text *d)
{
	if (u->overlay == OV_HELP)
		help_text(u, d);
	else
		messages_text(u, d);
}

void
ui_overlay_draw(struct ui *u, int y, int x, int h, int w)
{
	struct ui_text d = { 0 };

	make(u, &d);
	u->ov_pane.cursor = -1;
	ui_pane_draw(&u->ov_pane, &d, y, x, h, w, NULL);
	ui_text_free(&d);
}

int
ui_overlay_key(struct ui *u, enum ui_action a)
{
	struct ui_text none = { 0 };

	switch (a) {
	case ACT_QUIT:
	case ACT_HELP:
	case ACT_CANCEL:
	case ACT_BACK:
		u->overlay = OV_NONE;
		return 1;
	default:
		break;
	}
	ui_pane_key(&u->ov_pane, &none, a);
	return 1;       /* an overlay swallows every other key */
}

/* The pager gets the overlay's text too (| on help). */
char *
ui_overlay_text(struct ui *u)
{
	struct ui_text d = { 0 };
	char *s;

	make(u, &d);
	s = ui_text_plain(&d);
	ui_text_free(&d);
	return s;
}
