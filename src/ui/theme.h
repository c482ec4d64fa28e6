/* theme: semantic colour slots (views never name raw colours), themes as YAML files
 * (themes/NAME.yaml, also embedded in the binary) and applying one to curses. */
#ifndef TFDRIFT_UI_THEME_H
#define TFDRIFT_UI_THEME_H

#include <stddef.h>

/* Slot names in theme files are the kebab-case of these (TS_FINDING_HIGH: finding-high);
 * theme_slot_name() gives them. Append new slots before TS__COUNT. */
enum theme_slot {
	TS_NORMAL = 0,
	TS_FINDING_CRITICAL, TS_FINDING_HIGH, TS_FINDING_MEDIUM, TS_FINDING_LOW, TS_FINDING_INFO,
	TS_DIFF_ADDED, TS_DIFF_REMOVED, TS_DIFF_CHANGED,
	TS_STATUS_BAR, TS_STATUS_ERROR, TS_SELECTION, TS_HEADER, TS_DIM,
	TS_TIMELINE_BAR, TS_TIMELINE_FREEZE, TS_FREEZE_BANNER, TS_STATUS_OK, TS_STATUS_WARN,
	TS_TAB_ACTIVE, TS_TAB_INACTIVE, TS_FILTER_PROMPT, TS_MATCH, TS_TIMELINE_CRITICAL, TS_TIMELINE_RESOLVED,
	TS__COUNT
};

/* Video attributes of a style: our own bits, so parsing needs no curses. */
enum {
	THEME_A_BOLD = 1 << 0,
	THEME_A_DIM = 1 << 1,
	THEME_A_UNDERLINE = 1 << 2,
	THEME_A_REVERSE = 1 << 3,
	THEME_A_STANDOUT = 1 << 4,
	THEME_A_ITALIC = 1 << 5,
	THEME_A_BLINK = 1 << 6,
};

#define THEME_COLOUR_DEFAULT (-1)       /* the terminal's own foreground or background */

/* One slot: colours are THEME_COLOUR_DEFAULT or 0-255; fg8/bg8 are what a terminal with
 * fewer colours than fg/bg need gets instead (THEME_COLOUR_DEFAULT or 0-7). */
struct theme_style {
	short fg, bg;
	short fg8, bg8;
	unsigned attrs;                 /* THEME_A_* */
	int line;                       /* where the theme file set it; 0 when inherited */
};

/* A parsed theme with every slot resolved (inherited ones copied). Plain data. */
struct theme {
	char *name;
	char *description;
	char *inherit;                  /* the theme it inherits from (NULL: none) */
	struct theme_style slot[TS__COUNT];
};

/* The shipped themes, embedded from themes/NAME.yaml at build time (theme_builtin.c). */
struct theme_builtin {
	const char *name;
	const char *data;
	size_t len;
};
extern const struct theme_builtin theme_builtins[];
extern const size_t theme_nbuiltins;

const char *theme_slot_name(enum theme_slot s);
/* The embedded theme called name, or NULL. */
const struct theme_builtin *theme_builtin_find(const char *name);

/* Parse a theme document (no curses). file names it in messages ("file:line:column: ...").
 * Slots it omits come from the theme it inherits (`inherit:`, default "default"). 0 on
 * success; -1 with every error appended to *errs. theme_free() out either way. */
int theme_parse(const char *buf, size_t len, const char *file, struct theme *out,
    char ***errs, size_t *nerrs);
/* Find and parse a theme: NULL or a built-in name (embedded), a path (with a '/' or ending
 * in .yaml/.yml), else <datadir>/themes/NAME.yaml. 0 ok; -1 with messages in *errs. */
int theme_load(const char *name, struct theme *out, char ***errs, size_t *nerrs);
void theme_free(struct theme *t);

/* Apply a loaded theme; call after initscr(). NO_COLOR (set and not empty) and a terminal
 * without colours use the monochrome theme instead. Returns the name of the theme in use
 * (valid while t is). Main thread only. */
const char *theme_init(const struct theme *t);
/* The curses attribute (colour pair and video attributes) of a slot. */
int theme_attr(enum theme_slot s);
/* The slot for a finding severity (enum severity). */
enum theme_slot theme_severity_slot(int severity);

#endif
