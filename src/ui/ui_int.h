/* ui_int: what the dashboard's files share: the dashboard's state (main thread only), the
 * view ops table every view is dispatched through, the list and text-pane widgets, and the
 * drawing helpers.
 *
 * A view (view_*.c) is a `const struct ui_view` listed in ui_views[]: its name, tab title,
 * key-bar hints, columns, filter fields and functions. Its state is a `struct ui_vstate`
 * (filter, list selection kept by id, sort, columns) plus a private part it allocates in
 * init. ui.c knows no view by name: it dispatches keys, clicks, filters, copies and the
 * pager through the ops. Adding a view touches its own file, ui_views[] and its test. */
#ifndef TFDRIFT_UI_INT_H
#define TFDRIFT_UI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "conf.h"
#include "evlog.h"
#include "filter.h"
#include "freeze.h"
#include "keys.h"
#include "model.h"
#include "replay.h"
#include "states.h"
#include "theme.h"
#include "util.h"

struct ui;
struct ui_vstate;

#define UI_MAXCOLS 12

/* A column of a list view. */
struct ui_col {
	const char *name;       /* the header; lower-cased it names the column in :sort, :columns */
	int min, max;           /* width bounds (max 0: as wide as its widest value) */
	int flex;               /* weight in sharing the width left over (0: none) */
	int share;              /* at most this percent of the list's width (0: no limit) */
	unsigned flags;
};
#define UI_COL_RIGHT  0x1       /* right-aligned (numbers) */
#define UI_COL_HIDDEN 0x2       /* not shown until :columns asks for it */
#define UI_COL_DESC   0x4       /* sorts largest / newest first */
#define UI_COL_WIDE   0x8       /* left out of a list narrower than UI_WIDE_COLS, its room
                                   for the others (what another column already says) */
#define UI_WIDE_COLS  100

/* A list's selection, scroll, sort and columns (the shared list widget). The selection is
 * kept by id: a rebuild puts it back on the same item wherever it moved, and the rows shown
 * stay where they were on screen ("never move under the user"). */
struct ui_list {
	size_t sel, top;
	char *sel_id;           /* heap; the selected row's id, NULL before the first rebuild */
	int follow;             /* the selection follows row 0 (the newest) until the user moves */
	size_t nnew;            /* rows that arrived above the visible ones since */
	unsigned shape;         /* the filter, sort and bucket the rows were made with */
	int jump;               /* sel_id was set to another item (a drill-down, back) */
	int h, y, x;            /* rows, first screen row and column at the last draw */
	int sort_col, sort_desc;
	int order[UI_MAXCOLS];  /* the columns shown, in order */
	int norder;
	int colx[UI_MAXCOLS], colw[UI_MAXCOLS];    /* by column, at the last draw (-1 hidden) */
};

/* A pane of text lines (detail, sources, help, messages): wrapped to the width when drawn,
 * scrolled; with a cursor line when it has the focus (Enter opens the line's link). */
enum ui_link { LINK_NONE = 0, LINK_RESOURCE, LINK_FINDING, LINK_EVENT };
struct ui_text {
	struct ui_text_line {
		enum theme_slot slot;
		char *text;             /* heap, owned */
		int indent;             /* columns of a wrapped continuation (-1: automatic) */
		enum ui_link link;
		char *target;           /* heap: what the link names */
	} *v;
	size_t n, cap;
};
struct ui_pane {
	int scroll;             /* first screen row shown (of the wrapped rows) */
	int cursor;             /* logical line with the cursor, -1 none */
	int rows, h;            /* wrapped rows and height at the last draw */
	int y;
	int *row_line;          /* wrapped row -> logical line, at the last draw */
	size_t row_cap;
};
void ui_text_add(struct ui_text *t, enum theme_slot slot, char *text);  /* takes text */
/* The same with a link (target copied) the cursor's Enter opens. */
void ui_text_link(struct ui_text *t, enum theme_slot slot, char *text, enum ui_link link,
    const char *target);
void ui_text_free(struct ui_text *t);
/* Draw wrapped into (y, x, h, w); words (may be NULL) are highlighted. */
void ui_pane_draw(struct ui_pane *p, const struct ui_text *t, int y, int x, int h, int w,
    const struct filter *words);
/* Scrolling keys (and cursor moves when p->cursor >= 0); 1 when the key was one. */
int ui_pane_key(struct ui_pane *p, const struct ui_text *t, enum ui_action a);
void ui_pane_free(struct ui_pane *p);
/* The text as plain lines (for the pager and copies). Heap. */
char *ui_text_plain(const struct ui_text *t);

/* One dashboard view. Every function but draw and name may be NULL. */
struct ui_view {
	const char *name;               /* "findings": :view NAME, saved views, :columns */
	const char *title;              /* the tab's label */
	const char *item, *items;       /* what a row is: "finding", "findings" */
	const struct key_hint *hints;   /* the key bar, most important first */
	/* The hints when they depend on the view's state (else NULL: hints). */
	const struct key_hint *(*hints_now)(const struct ui *u);
	const struct ui_col *cols;      /* a list's columns (NULL: not a list) */
	int ncols;
	const struct filter_schema *schema;     /* what `/` takes here */
	void (*init)(struct ui *u, struct ui_vstate *vs);
	void (*free)(struct ui_vstate *vs);
	/* New data, filter or sort: make the rows again and keep the selection by id. */
	void (*rebuild)(struct ui *u, struct ui_vstate *vs);
	void (*draw)(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w);
	/* A key the shared keys did not take; 1 when used. */
	int (*key)(struct ui *u, struct ui_vstate *vs, enum ui_action a);
	/* A click (wheel 0) or wheel step (-1 up, 1 down) at screen (y, x); 1 when used. */
	int (*mouse)(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel);
	/* y (all 0) and Y (all 1): what to copy (heap) and what it is ("fix command"); NULL
	 * with *what saying why not. */
	char *(*copy)(struct ui *u, struct ui_vstate *vs, int all, const char **what);
	/* |: the selected item's full text for the pager (heap), NULL when none. */
	char *(*text)(struct ui *u, struct ui_vstate *vs);
	/* Enter: drill down into the selected row; 1 when it went somewhere. */
	int (*open)(struct ui *u, struct ui_vstate *vs);
	/* The list protocol (lists only): rows, a cell's text (into buf or a borrowed string),
	 * its attribute (0: the row's), the row's stable id, the widest value of a column, and
	 * n/N's question: does the row have the filter's words? */
	size_t (*count)(struct ui *u, struct ui_vstate *vs);
	const char *(*cell)(struct ui *u, struct ui_vstate *vs, size_t row, int col, char *buf,
	    size_t len);
	int (*cell_attr)(struct ui *u, struct ui_vstate *vs, size_t row, int col);
	const char *(*row_id)(struct ui *u, struct ui_vstate *vs, size_t row, char *buf, size_t len);
	int (*content_width)(struct ui *u, struct ui_vstate *vs, int col);
	int (*search)(struct ui *u, struct ui_vstate *vs, size_t row, const struct filter *f);
};

/* A view's state: the shared part (filter, list) and the view's own. */
struct ui_vstate {
	const struct ui_view *v;
	struct filter *filter;          /* this view's `/` query, or NULL */
	struct ui_list list;
	unsigned gen;                   /* bumped when the filter or the sort changes */
	int dirty;                      /* rebuild before the next draw */
	void *priv;
};

extern const struct ui_view view_findings, view_events, view_actors, view_sources,
    view_resources, view_resource;
/* Every view, numbered ones first (1 2 3 4 5); the rest are reached by drilling down. */
extern const struct ui_view *const ui_views[];
#define UI_NVIEWS 6
#define UI_NTABS 5                      /* views with a number key */
enum { V_FINDINGS = 0, V_EVENTS, V_ACTORS, V_SOURCES, V_RESOURCES, V_RESOURCE };

/* One aggregated actor (Actors view). */
struct ui_actor {
	char *name;             /* borrowed from an event or finding */
	const char *type;
	unsigned via_mask;      /* 1 << enum tf_via */
	uint64_t events, findings, open;
	int64_t last_ms;
	int worst;              /* worst severity of their findings, -1 none */
};

#define UI_ZOOMS 4
/* The timeline band's state (drawn above the findings). */
struct ui_timeline {
	int hidden;             /* t hides the band */
	int zoom;               /* 0: 10 s, 1: 1 min, 2: 5 min, 3: 1 h buckets */
	int64_t bucket_from, bucket_to;     /* the list is filtered to this bucket when to > 0 */
	int64_t right_ms;       /* the right edge at the last draw */
	int columns, x0, y0, h; /* buckets drawn, screen column of the first, rows (mouse) */
	uint32_t *counts;       /* per bucket, valid for cache_key */
	signed char *worst;
	size_t ncounts;
	uint64_t cache_key;
};

/* A time span (freeze windows on the timeline). */
struct ui_span {
	int64_t from, to;
	char *name;
};

/* What the bottom-line prompt is asking for. */
enum ui_prompt {
	P_NONE = 0,
	P_NOTE,                 /* ack: an optional note */
	P_FILTER,               /* `/`: the filter query */
	P_COMMAND,              /* `:` */
	P_SUP_SCOPE,            /* suppress, step 1: one key picks the scope */
	P_SUP_FOR,              /* suppress, step 2: one key picks the duration */
	P_SUP_UNTIL,            /* suppress until a time typed */
	P_FREEZE_UNTIL,         /* F: a freeze until a time typed */
};

/* A message of the session (`:messages`). */
struct ui_message {
	int64_t at_ms;
	int error;
	char *text;
};

/* A view's place: its filter and selected row (NULL: following the newest). */
struct ui_place {
	int view;               /* -1: none */
	char *sel_id;
	char *filter;
};

/* The back stack: where Backspace returns to. A drill-down leaves two views changed, the
 * one it started from and the one it opened (a new filter or selection there), and going
 * back puts both as they were, with the Findings' detail pane, bucket and Resource subject. */
struct ui_back {
	struct ui_place from, to;
	char *resource;         /* the resource view's subject */
	int focus_detail;
	int detail_cursor, detail_scroll;
	int show_suppressed, show_resolved;
	int64_t bucket_from, bucket_to;
};

/* Overlays drawn over the views. */
enum ui_overlay { OV_NONE = 0, OV_HELP, OV_MESSAGES };

/* The dashboard. Owned and used by the main thread only. */
struct ui {
	/* Views. */
	struct ui_vstate vs[UI_NVIEWS];
	int cur;                        /* the view shown (index into ui_views) */
	enum ui_overlay overlay;
	struct ui_pane ov_pane;
	struct ui_back *back;
	size_t nback;
	int focus_detail;               /* Findings: keys go to the detail pane */
	int full_detail;                /* Findings: + shows the detail alone */
	struct ui_pane detail;          /* the Findings detail pane */
	char *resource;                 /* the Resource view's subject (address or TYPE:ID) */
	struct ui_timeline tl;

	/* Data. */
	struct model model;
	struct evlog events;            /* write events seen */
	struct ui_actor *actors;        /* rebuilt when events, findings or the window change */
	size_t nactors;
	uint64_t actors_key;
	int paused;                     /* Z: arrivals are held until resumed */
	struct finding_list held;
	struct ui_event_list held_events;
	size_t held_count[SEV__COUNT];
	int64_t latest_ms;              /* the newest event or finding time seen */
	struct ui_span *freezes;        /* freeze windows to mark on the timeline */
	size_t nfreezes;
	struct freeze_window *fw;       /* every window known (config, store, ad hoc) */
	size_t nfw;

	/* The engine, sources and store. */
	struct conf conf;
	struct eventmap *map;
	struct em_attrset *keepset;
	struct rules *rules;
	void *rkeep;                    /* struct rules_keep (ui.c) */
	void *tkeep;                    /* struct tfstate_keep (ui.c) */
	struct state_index *ix;
	struct detector *det;
	struct replay *replay;
	struct states *states;
	struct engine *eng;             /* live mode: the sources and the detector */
	struct store *eng_store;        /* live mode: the engine's own store connection */
	struct notifier *notify;        /* live mode: the outputs, or NULL */
	struct store *store;            /* NULL when it could not be opened */
	char *store_reason;             /* why decisions cannot be saved, or NULL */
	char *store_label;              /* how the Sources view names the store */
	int readonly;                   /* --readonly */
	struct store_triage *triage;
	/* A store other processes write (live.c): the findings view reads what they save
	 * (feed non-NULL: ui --store without events), and every dashboard their decisions. */
	struct store_feed *feed;        /* where reading the store's findings is, or NULL */
	int64_t store_since_ms;         /* resolved findings before this are left out */
	int64_t events_seen_ms;         /* the store's events read up to this save (-1: none) */
	struct tf_idset *event_ids;     /* the store's events shown (read again: shown once) */
	int64_t store_poll_at;          /* monotonic ms of the next look at the store */
	int store_poll_failed;          /* said once that the store cannot be asked */
	int64_t store_down_since;       /* wall ms the store became unreachable; 0: it answers */
	int64_t store_fd_after;         /* monotonic ms: the store's descriptor not polled before */
	int64_t own_decision;           /* the decision this dashboard made last (not announced) */
	int64_t *undo;                  /* decision ids made in this session, newest last */
	size_t nundo, undo_cap;
	int demo, live;
	const char *title;
	const char *user;
	char *export_dir;
	char *demo_dir;                 /* the demo's private store directory, removed at exit */

	/* Chrome. */
	int utf8;
	const char *theme;
	char *msg;                      /* the message line and when it lapses */
	int msg_error;
	int64_t msg_until;
	struct ui_message *msgs;        /* every message of the session */
	size_t nmsgs;
	char *banner;
	int64_t banner_next;
	char *replay_error;
	int64_t next_lapse;             /* wall-clock ms when a suppression expires, or 0 */
	int64_t wake_at;                /* monotonic ms when the current view rebuilds, or 0 */
	enum ui_prompt prompting;
	struct strbuf input;
	size_t cursor;                  /* byte offset of the prompt's cursor */
	char **hist[3];                 /* prompt histories: filter, command, note */
	size_t nhist[3];
	long hist_pos;
	char *hist_draft;
	char prompt_for[33];            /* the finding a triage prompt is about */
	int sup_scope;
	char *sup_value;
	struct filter *search;          /* n/N: the words of the last filter */
	int tab_x[UI_NVIEWS + 1];       /* tab columns on the top line (mouse) */
	int dirty;
	int quit;
	unsigned long max_iterations;
	FILE *tty;                      /* the terminal when stdin carries events */
	int tty_fd;
};

/* ---- drawing helpers (ui.c) ---- */

/* Draw s at (y, x) in at most w columns: multibyte aware, control characters as '?'; when
 * it does not fit, the last column shows an ellipsis. Returns the columns used. */
int ui_put(int y, int x, int w, const char *s, int attr);
/* The same, with the free words of f (may be NULL) highlighted in the match slot. */
int ui_put_hl(int y, int x, int w, const char *s, int attr, const struct filter *f);
/* One character of the NUL-terminated s: returns its bytes and sets its width and wide
 * character (control characters and invalid bytes come back as '?', width 1). */
#include <wchar.h>
size_t ui_char(const char *s, mbstate_t *st, wchar_t *wc, int *cw);
/* Display width of s (multibyte aware). */
int ui_width(const char *s);
/* Fill columns [x, x+w) of row y with blanks in attr. */
void ui_fill(int y, int x, int w, int attr);
/* A horizontal rule across (y, x, w) with an optional title. */
void ui_rule(const struct ui *u, int y, int x, int w, const char *title, int attr);
const char *ui_arrow(const struct ui *u);
/* Glyphs with their ASCII fallbacks (by the locale, set once at start). */
enum ui_glyph_id { G_UP = 0, G_DOWN, G_ELLIPSIS, G_BLOCK, G__COUNT };
const char *ui_glyph(enum ui_glyph_id g);
const char *ui_hline(const struct ui *u);
/* A time for lists: HH:MM:SS today (tf_now_ms's UTC day), else "May 26 09:14". */
void ui_time_list(int64_t ms, char out[20]);
/* "12s ago", "3m ago", "2h ago", "4d ago" (view_sources.c). */
void ui_age(int64_t then_ms, int64_t now_ms, char *out, size_t len);
/* "1 finding" / "3 findings". */
const char *ui_plural(uint64_t n, const char *one, const char *many, char *buf, size_t len);

/* ---- the list widget (list.c) ---- */

void ui_list_init(struct ui_list *l, const struct ui_view *v);
void ui_list_free(struct ui_list *l);
/* After a rebuild of n rows: put the selection back on sel_id (found at row `at`, or
 * (size_t)-1 when gone: the same row number), keep the rows on screen where they were,
 * count the ones that arrived above. `shape` names the filter, sort and bucket the rows
 * were made with: when it changed, rows above were revealed, not new, and none count. */
void ui_list_settle(struct ui_list *l, size_t n, size_t at, unsigned shape);
/* Select the item `id` (NULL: follow the newest) from outside the list (a drill-down, back):
 * the next rebuild shows it wherever it is, and counts nothing as new. */
void ui_list_jump(struct ui_list *l, const char *id);
/* The same for a view whose rows were just made: finds the old selection by its id (a
 * scan), settles, and remembers the new selection's id. */
void ui_list_rebuilt(struct ui *u, struct ui_vstate *vs);
/* Find the selected id among the view's rows (a scan). (size_t)-1 when not there. */
size_t ui_list_find(struct ui *u, struct ui_vstate *vs);
/* The selected row's id changed by a key or a click: remember it, stop following. */
void ui_list_select(struct ui *u, struct ui_vstate *vs, size_t row);
/* Where the selection is: "12/340", with "▲ 3 new" when rows came above. */
void ui_list_position(const struct ui_list *l, size_t n, char *out, size_t len);
int ui_list_sort_offscreen(const struct ui_vstate *vs, char *out, size_t len);
/* Movement keys; 1 when the key was one. */
int ui_list_key(struct ui *u, struct ui_vstate *vs, enum ui_action a);
/* Draw the header and rows of a list view into (y, x, h, w). */
void ui_list_draw(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w);
/* A click or wheel on the list; 1 when used. */
int ui_list_mouse(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel);
/* The column called name (case-insensitive, a unique prefix will do), or -1. */
int ui_list_column(const struct ui_view *v, const char *name);
/* Sort keys (o < >) and :sort; 1 when used. */
int ui_list_sort_key(struct ui *u, struct ui_vstate *vs, enum ui_action a);
int ui_list_sort_by(struct ui *u, struct ui_vstate *vs, const char *name, int desc, char **err);
/* :columns NAME... (a leading - hides, + shows; a plain list sets order and visibility). */
int ui_list_set_columns(struct ui *u, struct ui_vstate *vs, const char *spec, char **err);
/* The columns as :columns takes them ("sev,time,kind,..."), heap. */
char *ui_list_columns_spec(const struct ui_vstate *vs);
/* A stable merge sort of row indexes with a comparator (lists sort their rows with it). */
void ui_sort_rows(size_t *rows, size_t n, int (*cmp)(const void *ctx, size_t a, size_t b),
    const void *ctx);

/* ---- the dashboard's services for views (ui.c and friends) ---- */

void ui_msg(struct ui *u, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Make view `v` the current one (nothing else changes). */
void ui_show_view(struct ui *u, int v);
/* Push where we are on the back stack, then go to view v with a filter (NULL: keep). */
void ui_drill(struct ui *u, int v, const char *filter);
/* Drill to the Events view with this event selected. */
void ui_open_event(struct ui *u, const char *event_id);
/* Drill into a resource (address or TYPE:ID). */
void ui_open_resource(struct ui *u, const char *resource);
/* Drill to the Findings view with finding `id` selected (it is shown even when the filter
 * hid it). 0 when it is not in the model. */
int ui_open_finding(struct ui *u, const char *id);
/* Set a view's filter: 0, or -1 with the error on the message line. */
int ui_set_filter(struct ui *u, int v, const char *q, int quiet);
/* The findings filter hook (model) and a marker that the view must rebuild. */
void ui_mark_dirty(struct ui *u, int v);
/* Every view rebuilds (new data, triage). */
void ui_mark_all_dirty(struct ui *u);
/* Rebuild the current view at monotonic time at_ms (a view that put off a costly rebuild). */
void ui_wake_at(struct ui *u, int64_t at_ms);
/* Findings grouped by actor session (=) or not. */
void ui_findings_group(struct ui *u, int on);
/* The finding the Findings view has selected, or NULL (a session's row is no finding). */
struct finding *ui_selected_finding(struct ui *u);
/* Triage (triage.c): each is committed to the store before it says so. */
int ui_can_decide(struct ui *u);
void ui_start_ack(struct ui *u, struct finding *f);
void ui_start_suppress(struct ui *u, struct finding *f);
void ui_do_ack(struct ui *u, const char *finding_id, const char *note);
void ui_do_suppress(struct ui *u, int scope, const char *value, int64_t until, const char *note);
void ui_do_undo(struct ui *u);
void ui_do_freeze(struct ui *u, const char *name, int64_t until);
void ui_do_unfreeze(struct ui *u, const char *name);
void ui_export(struct ui *u, const char *path);
int ui_retriage(struct ui *u, char **err);
/* The same, applying it only when decisions were added unless `always` (live.c's poll). */
int ui_triage_sync(struct ui *u, int always, char **err);
void ui_load_freezes(struct ui *u, const struct freeze_window *adhoc, size_t nadhoc);
void ui_update_banner(struct ui *u);
/* Prompts (prompt.c). */
void ui_prompt_start(struct ui *u, enum ui_prompt k, const char *initial);
void ui_prompt_key(struct ui *u, int is_code, int c);
void ui_prompt_draw(struct ui *u, int y, int w);
void ui_prompt_free(struct ui *u);
/* Column layouts from the store or the config (cmd.c), at start. */
void ui_load_prefs(struct ui *u);
/* Keep an on/off setting of the dashboard (R, =) in the store for the next session. */
void ui_save_toggle(struct ui *u, const char *name, int on);
/* Commands (cmd.c): run one command line (without the ':'). */
void ui_command(struct ui *u, const char *line);
/* Tab completion of a command line: the completed line (heap), or NULL when none; when
 * several match, *alts (heap, may be NULL) lists them. */
char *ui_command_complete(struct ui *u, const char *line, char **alts);
/* The commands, for help: ":name args" padded to UI_CMD_HELP_COL columns, a blank, the help. */
#define UI_CMD_HELP_COL 26
const char *const *ui_command_help(size_t *n);
/* Terminal services (term.c). */
int ui_copy(struct ui *u, const char *text, const char *what);
int ui_pager(struct ui *u, const char *text);
void ui_suspend(struct ui *u);
/* Overlays: the key help and the messages (view_help.c). */
void ui_overlay_draw(struct ui *u, int y, int x, int h, int w);
int ui_overlay_key(struct ui *u, enum ui_action a);
char *ui_overlay_text(struct ui *u);             /* for the pager, heap */

/* Set-up (app.c) and the loop (ui.c). */
void ui_set_glyphs(int utf8);
void ui_install_signals(void);
int ui_signal(void);                    /* the signal that ended the loop, or 0 */
int ui_run(struct ui *u);
/* Bring the rows up to date and draw one frame (the loop does it when something changed). */
void ui_draw(struct ui *u);
/* Findings and events that arrived (the lists are emptied; the findings now the model's):
 * one with the id of a finding shown replaces it, the rest are added. */
void ui_show_arrivals(struct ui *u, struct finding_list *got, struct ui_event_list *evs);
void ui_views_init(struct ui *u);
void ui_views_free(struct ui *u);
/* When a finding's suppression expires, wake up to lapse it (triage.c). */
void ui_note_lapse(struct ui *u, const struct finding *f);

/* A store other processes write (live.c). ui_store_open_view: the store's findings into the
 * model, read again as they change (0, or -1 with *err); ui_store_poll: on each pass of the
 * loop, a look at the store now and then, reading what changed; ui_store_timeout: the
 * loop's poll timeout, shortened to the next look. */
int ui_store_open_view(struct ui *u, int64_t since_ms, char **err);
#define UI_STORE_RESOLVED_MS (24LL * 3600 * 1000)   /* resolved ones shown: the last day's */
void ui_store_poll(struct ui *u);
/* A store call failed: unreachable (a lost connection) marks the store down until it answers
 * again (the status line and Sources say so). */
void ui_store_failed(struct ui *u);
int ui_store_timeout(const struct ui *u, int64_t now, int timeout);
/* Say on the message line who made each decision, and when (not this dashboard's own). */
struct store_decision;
void ui_announce_decisions(struct ui *u, const struct store_decision *d, size_t n);
/* The store's freeze windows read again; those started, changed or ended elsewhere said
 * (triage.c). */
void ui_refresh_freezes(struct ui *u);

/* Findings view parts: the timeline band (view_timeline.c) and the detail (view_detail.c). */
int64_t ui_timeline_bucket_ms(int zoom);
void ui_timeline_draw(struct ui *u, int y, int x, int h, int w);
int ui_timeline_key(struct ui *u, enum ui_action a);
int ui_timeline_click(struct ui *u, int y, int x);
void ui_detail_build(const struct ui *u, const struct finding *f, struct ui_text *d);
/* "resolved: reverted_by_terraform by tf-ci" (the status's name when not resolved), heap. */
char *ui_resolution_text(const struct finding *f);
/* The Actors view's aggregate over the events and findings (cheap when nothing changed). */
void ui_actors_rebuild(struct ui *u, int64_t since_ms, int64_t until_ms);
/* The command that fixes a finding (the bare command line), heap; NULL none. */
char *ui_finding_fix(const struct finding *f);

#endif
