/* ui_int: what the dashboard's files share: the UI state (main thread only), the view ops,
 * and the drawing helpers. */
#ifndef TFDRIFT_UI_INT_H
#define TFDRIFT_UI_INT_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "theme.h"
#include "util.h"

struct ui;

/* One view: draws into the rectangle (y, x, h, w) of stdscr; a key it does not use returns 0. */
struct ui_view {
	const char *name;
	void (*draw)(struct ui *u, int y, int x, int h, int w);
	int (*key)(struct ui *u, int action);
};
extern const struct ui_view view_findings;
extern const struct ui_view view_detail;
extern const struct ui_view view_help;

/* The dashboard's state. Owned and used by the main thread only. */
struct ui {
	struct model model;
	int utf8;               /* the locale is UTF-8: box and arrow characters */
	int focus_detail;       /* keys go to the detail pane */
	int detail_scroll;
	int detail_lines;       /* lines the detail pane had at the last draw */
	int detail_h;           /* its height at the last draw */
	int list_h;             /* rows the list had at the last draw */
	int show_help;
	const char *theme;
};

/* Draw s at (y, x) in at most w columns (multibyte aware; control characters shown as '?');
 * returns the columns used. */
int ui_put(int y, int x, int w, const char *s, int attr);
/* Fill columns [x, x+w) of row y with blanks in attr. */
void ui_fill(int y, int x, int w, int attr);
/* "→" or "->", "─" or "-", by locale. */
const char *ui_arrow(const struct ui *u);
const char *ui_hline(const struct ui *u);
/* HH:MM:SS / full RFC 3339 of an event time (UTC). */
void ui_time_short(int64_t ms, char out[16]);

#endif
