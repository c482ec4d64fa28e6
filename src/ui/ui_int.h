/* ui_int: what the dashboard's files share: the UI state (main thread only), the view ops,
 * and the drawing helpers. */
#ifndef TFDRIFT_UI_INT_H
#define TFDRIFT_UI_INT_H

#include <stddef.h>
#include <stdint.h>
#include "evlog.h"
#include "filter.h"
#include "model.h"
#include "replay.h"
#include "states.h"
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
extern const struct ui_view view_events;
extern const struct ui_view view_actors;
extern const struct ui_view view_sources;
extern const struct ui_view view_timeline;

/* The tabs, in key order (1 2 3 4). */
enum ui_tab { TAB_FINDINGS = 0, TAB_EVENTS, TAB_ACTORS, TAB_SOURCES, TAB__COUNT };

/* A scrolling list's selection and first visible row (the shared list widget). */
struct ui_list {
	size_t sel, top;
};
/* Clamp the selection to n rows and scroll it into a window of h rows. */
void ui_list_fit(struct ui_list *l, size_t n, int h);
/* Movement keys on a list of n rows shown h at a time; 1 when the key was one. */
int ui_list_key(struct ui_list *l, size_t n, int h, int action);

/* A scrolling pane of coloured text lines (detail, sources). */
struct ui_text {
	struct ui_text_line {
		enum theme_slot slot;
		char *text;             /* heap, owned */
	} *v;
	size_t n, cap;
};
void ui_text_add(struct ui_text *t, enum theme_slot slot, char *text);  /* takes text */
/* Draw from *scroll (clamped to the lines there are) into h rows. */
void ui_text_draw(const struct ui_text *t, int *scroll, int y, int x, int h, int w);
void ui_text_free(struct ui_text *t);
/* Scrolling keys for a pane of `lines` lines shown h at a time; 1 when the key was one. */
int ui_text_key(int *scroll, int lines, int h, int action);

/* One aggregated actor (Actors view). */
struct ui_actor {
	char *name;             /* borrowed from an event or finding */
	const char *type;
	unsigned via_mask;      /* 1 << enum tf_via */
	uint64_t events, findings, open;
	int64_t last_ms;
	int worst;              /* worst severity of their findings, -1 none */
};

/* The timeline band's state. */
struct ui_timeline {
	int hidden;             /* t hides the band */
	int zoom;               /* 0: 1 min, 1: 5 min, 2: 1 h buckets */
	int cursor;             /* selected bucket, counted from the right edge (0 = newest); -1 none */
	int64_t bucket_from, bucket_to;     /* the list is filtered to this bucket when to > 0 */
	int64_t right_ms;       /* the right edge at the last draw */
	int columns;            /* buckets drawn at the last draw */
	/* Cached per-bucket counts, valid for cache_key. */
	uint32_t *counts;
	signed char *worst;
	size_t ncounts;
	uint64_t cache_key;
};

/* A time span (freeze windows on the timeline). */
struct ui_span {
	int64_t from, to;
	char *name;
};
int64_t ui_timeline_bucket_ms(int zoom);
/* Aggregate u->actors from the events and findings (cheap when nothing changed). */
void ui_actors_rebuild(struct ui *u);

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
	int tab;                /* enum ui_tab */
	struct evlog events;    /* write events seen */
	struct ui_list ev_list, actor_list;
	int ev_h, actor_h, src_h;       /* list heights at the last draw */
	int src_scroll, src_lines;
	struct ui_actor *actors;        /* rebuilt when events or findings change */
	size_t nactors;
	uint64_t actors_gen;
	struct filter *filter;          /* the `/` filter, or NULL */
	struct ui_timeline tl;
	struct replay *replay;          /* read-only here: progress and sources */
	struct states *states;          /* the state sources (describe is thread-safe) */
	struct notifier *notify;        /* live: the notification outputs, or NULL */
	const char *store_path;
	const char *store_problem;      /* why decisions cannot be saved, or NULL */
	int store_version;
	struct ui_span *freezes;        /* freeze windows to mark on the timeline */
	size_t nfreezes;
	int64_t latest_ms;              /* the newest event or finding time seen */
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
