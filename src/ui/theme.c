/* theme: semantic colour slots mapped to curses colour pairs; default and monochrome themes.
 * Main thread only (curses). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "finding.h"
#include "theme.h"

struct slot_def {
	short fg, bg;
	int attr;       /* with colours */
	int mono;       /* without */
};

static const struct slot_def default_theme[TS__COUNT] = {
	[TS_NORMAL] =           { -1, -1, 0, 0 },
	[TS_FINDING_CRITICAL] = { COLOR_MAGENTA, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[TS_FINDING_HIGH] =     { COLOR_RED, -1, A_BOLD, A_BOLD },
	[TS_FINDING_MEDIUM] =   { COLOR_YELLOW, -1, 0, 0 },
	[TS_FINDING_LOW] =      { COLOR_CYAN, -1, 0, 0 },
	[TS_FINDING_INFO] =     { -1, -1, A_DIM, A_DIM },
	[TS_DIFF_ADDED] =       { COLOR_GREEN, -1, 0, A_BOLD },
	[TS_DIFF_REMOVED] =     { COLOR_RED, -1, 0, A_UNDERLINE },
	[TS_DIFF_CHANGED] =     { COLOR_YELLOW, -1, 0, 0 },
	[TS_STATUS_BAR] =       { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[TS_STATUS_ERROR] =     { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
	[TS_SELECTION] =        { COLOR_BLACK, COLOR_WHITE, 0, A_REVERSE },
	[TS_HEADER] =           { COLOR_BLUE, -1, A_BOLD, A_BOLD },
	[TS_DIM] =              { -1, -1, A_DIM, A_DIM },
};

/* Resolved attributes; written once by theme_init on the main thread before any drawing. */
static int slot_attr[TS__COUNT];

const char *
theme_init(const char *name)
{
	int mono = 0, i;

	if (name != NULL && strcmp(name, "monochrome") == 0)
		mono = 1;
	if (getenv("NO_COLOR") != NULL && getenv("NO_COLOR")[0] != '\0')
		mono = 1;
	/* Monochrome never starts colour, so the terminal keeps its own colours. */
	if (!mono && (!has_colors() || start_color() == ERR))
		mono = 1;
	if (!mono)
		use_default_colors();
	for (i = 0; i < TS__COUNT; i++) {
		const struct slot_def *d = &default_theme[i];

		if (mono || (d->fg == -1 && d->bg == -1)) {
			slot_attr[i] = mono ? d->mono : d->attr;
			continue;
		}
		init_pair((short)i, d->fg, d->bg);
		slot_attr[i] = (int)COLOR_PAIR(i) | d->attr;
	}
	return mono ? "monochrome" : "default";
}

int
theme_attr(enum theme_slot s)
{
	return s < TS__COUNT ? slot_attr[s] : 0;
}

enum theme_slot
theme_severity_slot(int severity)
{
	switch (severity) {
	case SEV_CRITICAL: return TS_FINDING_CRITICAL;
	case SEV_HIGH: return TS_FINDING_HIGH;
	case SEV_MEDIUM: return TS_FINDING_MEDIUM;
	case SEV_LOW: return TS_FINDING_LOW;
	default: return TS_FINDING_INFO;
	}
}
