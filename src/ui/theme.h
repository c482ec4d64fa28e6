/* theme: semantic colour slots (views never name raw colours) and the built-in themes. */
#ifndef TFDRIFT_UI_THEME_H
#define TFDRIFT_UI_THEME_H

enum theme_slot {
	TS_NORMAL = 0,
	TS_FINDING_CRITICAL, TS_FINDING_HIGH, TS_FINDING_MEDIUM, TS_FINDING_LOW, TS_FINDING_INFO,
	TS_DIFF_ADDED, TS_DIFF_REMOVED, TS_DIFF_CHANGED,
	TS_STATUS_BAR, TS_STATUS_ERROR, TS_SELECTION, TS_HEADER, TS_DIM,
	TS__COUNT
};

/* Call after initscr(). name: "default" or "monochrome" (NULL = default); NO_COLOR and a
 * terminal without colours force monochrome. Returns the name of the theme in use. */
const char *theme_init(const char *name);
/* The curses attribute (colour pair and video attributes) of a slot. */
int theme_attr(enum theme_slot s);
/* The slot for a finding severity (enum severity). */
enum theme_slot theme_severity_slot(int severity);

#endif
