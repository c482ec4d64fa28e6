/* ui: the dashboard's main loop, set-up and teardown. The main thread alone calls curses: it
 * poll()s stdin and the replay's wake pipe, drains arrived findings into the model (saving
 * them and applying the store's triage), handles keys, and redraws once per pass when
 * something changed. Triage decisions are committed to the store before they show. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pthread.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <curses.h>

#include "conf.h"
#include "detect.h"
#include "eventmap.h"
#include "freeze.h"
#include "output.h"
#include "keys.h"
#include "replay.h"
#include "enrich.h"
#include "notify.h"
#include "rules.h"
#include "sources.h"
#include "state_index.h"
#include "states.h"
#include "store.h"
#include "tfstate.h"
#include "ui.h"
#include "ui_int.h"

#define MSG_SHOW_MS 6000
#define SUPPRESS_FOR_MS (24LL * 3600 * 1000)

/* What the bottom-line prompt is asking for. */
enum prompt_kind {
	P_NONE = 0,
	P_NOTE,                 /* ack: an optional note */
	P_FILTER,               /* `/`: the filter query */
	P_SUP_SCOPE,            /* suppress, step 1: one key picks the scope */
	P_SUP_FOR,              /* suppress, step 2: one key picks the duration */
	P_SUP_UNTIL,            /* suppress until a time typed */
	P_FREEZE_UNTIL,         /* F: a freeze until a time typed */
};

/* Set by the signal handler, read by the main loop (the only async-signal-safe way). */
static volatile sig_atomic_t got_signal;

/* Everything the running dashboard owns (main thread). */
struct app {
	struct ui ui;
	int demo;
	const char *title;
	struct conf conf;
	struct eventmap *map;
	struct em_attrset *keepset;
	struct rules *rules;            /* ours: the states' keep filter reads it */
	struct rules_keep rkeep;
	struct tfstate_keep keep;
	struct state_index *ix;
	struct detector *det;
	struct replay *replay;
	struct states *states;          /* the state sources */
	struct engine *eng;             /* live mode: the sources and the detector */
	struct store *eng_store;        /* live mode: the engine's own store connection */
	struct notifier *notify;        /* live mode: the configured outputs, or NULL */
	int live;
	struct store *store;            /* NULL when it could not be opened */
	char *store_reason;             /* why decisions cannot be saved, or NULL */
	struct store_triage *triage;
	int64_t *undo;                  /* decision ids made in this session, newest last */
	size_t nundo, undo_cap;
	char *msg;                      /* bottom-line message and when it lapses */
	int msg_error;
	int64_t msg_until;
	int64_t next_lapse;             /* wall-clock ms when a suppression expires, or 0 */
	char *last_error;
	/* Prompt on the bottom line: what it asks for, the text typed (UTF-8), the finding it
	 * is about, and for suppression the scope chosen at the first step. */
	enum prompt_kind prompting;
	struct strbuf input;
	char prompt_for[33];
	int sup_scope;                  /* enum store_scope */
	char *sup_value;
	char *export_dir;               /* where `e` writes (default: the working directory) */
	struct filter *search;          /* n/N: the words of the last filter */
	int tab_x[TAB__COUNT + 1];      /* tab columns on the top line (mouse) */
	int list_y;                     /* screen row of the first list row, -1 none */
	/* Freeze windows: the config's, the store's and ad hoc ones (all, for the timeline and
	 * the banner); the detector gets the non-config ones through the replay. */
	struct freeze_window *freezes;
	size_t nfreezes;
	char *banner;
	int64_t banner_next;
	char *replay_error;             /* the last input error shown */            /* when the banner's text changes next (tf_now_ms) */
	int dirty;
	int quit;
	unsigned long max_iterations;   /* 0 = unbounded */
	const char *user;
};

static void
fatal_hook(void)
{
	if (!isendwin())
		endwin();
}

static void
on_signal(int sig)
{
	got_signal = sig;
}

/* ---- drawing helpers (ui_int.h) ---- */

int
ui_put(int y, int x, int w, const char *s, int attr)
{
	mbstate_t st;
	int used = 0, cw;
	size_t k;
	wchar_t wc;

	if (w <= 0 || s == NULL || y < 0 || y >= LINES)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	move(y, x);
	attrset(attr);
	memset(&st, 0, sizeof st);
	while (*s != '\0' && used < w) {
		k = mbrtowc(&wc, s, MB_CUR_MAX, &st);   /* s is NUL-terminated: MB_CUR_MAX is safe */
		if ((k == (size_t)-1 || k == (size_t)-2) && strncmp(s, "\xe2\x86\x92", 3) == 0 &&
		    used + 2 <= w) {
			/* The summaries' arrow outside a UTF-8 locale. */
			memset(&st, 0, sizeof st);
			addstr("->");
			used += 2;
			s += 3;
			continue;
		}
		if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
			/* Not valid in this locale: one '?' per byte. */
			memset(&st, 0, sizeof st);
			addch('?');
			used++;
			s++;
			continue;
		}
		cw = wcwidth(wc);
		if (cw < 0 || wc < 0x20 || wc == 0x7f) {
			wc = L'?';
			cw = 1;
		}
		if (used + cw > w)
			break;
		addnwstr(&wc, 1);
		used += cw;
		s += k;
	}
	attrset(A_NORMAL);
	return used;
}

void
ui_fill(int y, int x, int w, int attr)
{
	if (y < 0 || y >= LINES || w <= 0)
		return;
	if (x + w > COLS)
		w = COLS - x;
	attrset(attr);
	mvhline(y, x, ' ', w);
	attrset(A_NORMAL);
}

const char *
ui_arrow(const struct ui *u)
{
	return u->utf8 ? "\xe2\x86\x92" : "->";
}

const char *
ui_hline(const struct ui *u)
{
	return u->utf8 ? "\xe2\x94\x80" : "-";
}

void
ui_time_short(int64_t ms, char out[16])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		strcpy(out, "--:--:--");
		return;
	}
	strftime(out, 16, "%H:%M:%S", &tm);
}

/* ---- messages and triage ---- */

static void
set_msg(struct app *a, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_msg(struct app *a, int error, const char *fmt, ...)
{
	va_list ap;

	free(a->msg);
	va_start(ap, fmt);
	a->msg = xvasprintf(fmt, ap);
	va_end(ap);
	a->msg_error = error;
	a->msg_until = tf_mono_ms() + MSG_SHOW_MS;
	if (error) {
		free(a->last_error);
		a->last_error = xstrdup(a->msg);
	}
	a->dirty = 1;
}

/* Note when the soonest suppression of a finding expires, so the loop wakes to lapse it. */
static void
note_lapse(struct app *a, const struct finding *f)
{
	if (f->status == ST_SUPPRESSED && f->triage != NULL && f->triage->until_ms > 0 &&
	    (a->next_lapse == 0 || f->triage->until_ms < a->next_lapse))
		a->next_lapse = f->triage->until_ms;
}

/* Reload the triage snapshot and apply it to every finding (after a decision, or when a
 * suppression expires). */
static int
retriage(struct app *a, char **err)
{
	struct store_triage *t = NULL;
	int64_t now = tf_now_ms();
	size_t i;

	if (a->store == NULL)
		return 0;
	if (store_triage_snapshot(a->store, &t, err) != 0)
		return -1;
	store_triage_free(a->triage);
	a->triage = t;
	a->next_lapse = 0;
	for (i = 0; i < a->ui.model.all.n; i++) {
		store_triage_apply(t, a->ui.model.all.v[i], now);
		note_lapse(a, a->ui.model.all.v[i]);
	}
	a->ui.model.filter_gen++;       /* status: terms may answer differently now */
	model_rebuild(&a->ui.model);
	a->dirty = 1;
	return 0;
}

/* Can decisions be saved? Says why not on the bottom line. */
static int
can_decide(struct app *a)
{
	if (a->store != NULL && store_readonly_reason(a->store) == NULL)
		return 1;
	set_msg(a, 1, "read-only, nothing saved: %s", a->store != NULL ?
	    store_readonly_reason(a->store) : a->store_reason ? a->store_reason : "no store");
	return 0;
}

static void
push_undo(struct app *a, int64_t id)
{
	if (a->nundo == a->undo_cap) {
		a->undo_cap = a->undo_cap ? a->undo_cap * 2 : 16;
		a->undo = xreallocarray(a->undo, a->undo_cap, sizeof *a->undo);
	}
	a->undo[a->nundo++] = id;
}

static const char *
label_of(const struct finding *f)
{
	return f->address ? f->address : f->resource_id ? f->resource_id : f->id;
}

static struct finding *
find_by_id(struct app *a, const char *id)
{
	size_t i;

	for (i = 0; i < a->ui.model.all.n; i++)
		if (strcmp(a->ui.model.all.v[i]->id, id) == 0)
			return a->ui.model.all.v[i];
	return NULL;
}

static void
do_ack(struct app *a, const char *note)
{
	struct finding *f = find_by_id(a, a->prompt_for);
	char *err = NULL;
	int64_t did;

	if (f == NULL)
		return;
	if (!can_decide(a))
		return;
	if (store_ack(a->store, f->id, a->user, note != NULL && *note ? note : NULL, tf_now_ms(),
	    &did, &err) != 0) {
		set_msg(a, 1, "not acknowledged: %s", err);
		free(err);
		return;
	}
	push_undo(a, did);
	if (retriage(a, &err) != 0) {
		set_msg(a, 1, "acknowledged, but the store could not be re-read: %s", err);
		free(err);
		return;
	}
	set_msg(a, 0, "acknowledged %s (decision %lld; u undoes)", label_of(f), (long long)did);
}

/* Suppress by scope until a moment (0 = forever). */
static void
do_suppress(struct app *a, int scope, const char *value, int64_t until)
{
	char *err = NULL, t[32];
	int64_t did, now = tf_now_ms();

	if (!can_decide(a))
		return;
	if (store_suppress(a->store, (enum store_scope)scope, value, until, a->user, NULL, now,
	    &did, &err) != 0) {
		set_msg(a, 1, "not suppressed: %s", err);
		free(err);
		return;
	}
	push_undo(a, did);
	if (retriage(a, &err) != 0) {
		set_msg(a, 1, "suppressed, but the store could not be re-read: %s", err);
		free(err);
		return;
	}
	tf_format_time(until, t);
	set_msg(a, 0, "suppressed %s %s %s%s (decision %lld; u undoes)",
	    store_scope_name((enum store_scope)scope), value, until ? "until " : "forever",
	    until ? t : "", (long long)did);
}

static void
do_undo(struct app *a)
{
	char *err = NULL;
	int64_t did;

	if (a->nundo == 0) {
		set_msg(a, 0, "nothing to undo in this session");
		return;
	}
	if (!can_decide(a))
		return;
	if (store_undo(a->store, a->undo[a->nundo - 1], a->user, tf_now_ms(), &did, &err) != 0) {
		set_msg(a, 1, "not undone: %s", err);
		free(err);
		return;
	}
	a->nundo--;
	if (retriage(a, &err) != 0) {
		set_msg(a, 1, "undone, but the store could not be re-read: %s", err);
		free(err);
	} else
		set_msg(a, 0, "undid decision %lld", (long long)a->undo[a->nundo]);
}

/* ---- freeze windows ---- */

/* Every window the dashboard knows: the config's and the store's (ended ones too, for the
 * timeline), plus the ad hoc ones of this session when the store could not keep them. The
 * detector gets all but the config's (it has those already). */
static void
load_freezes(struct app *a, const struct freeze_window *adhoc, size_t nadhoc)
{
	struct freeze_window *stored = NULL;
	size_t nstored = 0, i;
	char *err = NULL;

	freeze_windows_free(a->freezes, a->nfreezes);
	a->freezes = NULL;
	a->nfreezes = 0;
	if (a->store != NULL && store_freeze_list(a->store, 1, tf_now_ms(), &stored, &nstored,
	    &err) != 0) {
		set_msg(a, 1, "freeze windows not read from the store: %s", err);
		free(err);
		stored = NULL;
		nstored = 0;
	}
	for (i = 0; i < nstored; i++)
		freeze_windows_push(&a->freezes, &a->nfreezes, &stored[i]);
	for (i = 0; i < nadhoc; i++)
		freeze_windows_push(&a->freezes, &a->nfreezes, &adhoc[i]);
	if (a->replay != NULL)
		replay_set_freezes(a->replay, a->freezes, a->nfreezes);
	freeze_windows_free(stored, nstored);
	for (i = 0; i < a->conf.nfreezes; i++)
		freeze_windows_push(&a->freezes, &a->nfreezes, &a->conf.freezes[i]);
	free(a->ui.freezes);
	a->ui.freezes = xcalloc(a->nfreezes + 1, sizeof *a->ui.freezes);
	for (i = 0; i < a->nfreezes; i++) {
		a->ui.freezes[i].from = a->freezes[i].start_ms;
		a->ui.freezes[i].to = a->freezes[i].end_ms;
		a->ui.freezes[i].name = a->freezes[i].name;
	}
	a->ui.nfreezes = a->nfreezes;
	a->banner_next = 0;
	a->dirty = 1;
}

/* The banner: the active window and the time left, or the next one today. Sets when it
 * changes next. */
static void
update_banner(struct app *a)
{
	const struct freeze_window *w;
	int64_t now = tf_now_ms(), left;
	char t[32];

	if (a->banner_next != 0 && now < a->banner_next)
		return;
	free(a->banner);
	a->banner = NULL;
	a->banner_next = 0;
	if ((w = freeze_current(a->freezes, a->nfreezes, now)) != NULL) {
		left = w->end_ms - now;
		freeze_format_left(left, t);
		a->banner = xasprintf(" FREEZE %s: %s left ", w->name, t);
		/* The text shows minutes (seconds in the last two): change with it. */
		a->banner_next = now + (left > 120000 ? left % 60000 + 1 : left % 1000 + 1);
		if (a->banner_next > w->end_ms)
			a->banner_next = w->end_ms;
	} else if ((w = freeze_next(a->freezes, a->nfreezes, now)) != NULL) {
		if (w->start_ms - now < 86400000LL) {
			freeze_format_left(w->start_ms - now, t);
			a->banner = xasprintf(" freeze %s in %s ", w->name, t);
			a->banner_next = now + ((w->start_ms - now) > 120000 ?
			    (w->start_ms - now) % 60000 + 1 : (w->start_ms - now) % 1000 + 1);
		} else
			a->banner_next = w->start_ms - 86400000LL;
		if (a->banner_next > w->start_ms)
			a->banner_next = w->start_ms;
	}
	a->dirty = 1;
}

/* F: a freeze on everything from now until `until`, kept in the store. */
static void
do_freeze(struct app *a, int64_t now, int64_t until)
{
	struct freeze_window w;
	char *err = NULL, t[32];
	time_t s = (time_t)(now / 1000);
	struct tm tm;
	char hm[8] = "now";

	memset(&w, 0, sizeof w);
	if (gmtime_r(&s, &tm) != NULL)
		strftime(hm, sizeof hm, "%H%M", &tm);
	w.name = xasprintf("adhoc-%s-%s", a->user, hm);
	w.start_ms = now;
	w.end_ms = until;
	w.origin = FO_ADHOC;
	tf_format_time(until, t);
	if (a->store != NULL && store_readonly_reason(a->store) == NULL) {
		if (store_freeze_add(a->store, &w, a->user, now, NULL, &err) != 0) {
			set_msg(a, 1, "no freeze: %s", err);
			free(err);
		} else {
			load_freezes(a, NULL, 0);
			set_msg(a, 0, "freeze %s until %s: every write by a person is a finding", w.name, t);
		}
	} else {
		/* Read-only: it holds for this session, and says so. */
		size_t i, n = 0;
		struct freeze_window *adhoc = NULL;

		for (i = 0; i < a->nfreezes; i++)
			if (a->freezes[i].origin == FO_ADHOC)
				freeze_windows_push(&adhoc, &n, &a->freezes[i]);
		freeze_windows_push(&adhoc, &n, &w);
		load_freezes(a, adhoc, n);
		freeze_windows_free(adhoc, n);
		set_msg(a, 1, "freeze %s until %s for this session only: the store is read-only",
		    w.name, t);
	}
	freeze_window_clear(&w);
	update_banner(a);
}

/* ---- filter, search, export ---- */

/* The model's filter: the `/` query and the timeline bucket. */
static int
keep_finding(void *ctx, const struct finding *f)
{
	const struct ui *u = ctx;

	if (u->tl.bucket_to > 0 && (f->event_time_ms < u->tl.bucket_from ||
	    f->event_time_ms >= u->tl.bucket_to))
		return 0;
	return filter_match(u->filter, f);
}

/* Compile and apply a query; 0, or -1 with the error on the bottom line. */
static int
set_filter(struct app *a, const char *q)
{
	struct ui *u = &a->ui;
	struct filter *f = NULL;
	char *err = NULL;

	while (*q == ' ')
		q++;
	if (*q != '\0' && (f = filter_compile(q, &err)) == NULL) {
		set_msg(a, 1, "filter: %s", err);
		free(err);
		return -1;
	}
	filter_free(u->filter);
	u->filter = f;
	if (f != NULL) {
		/* n/N keep searching for its words after the filter is cleared. */
		if (filter_words(f)[0] != '\0') {
			filter_free(a->search);
			a->search = filter_compile(q, NULL);
		}
		if (filter_wants_suppressed(f))
			u->model.show_suppressed = 1;
	}
	u->model.filter_gen++;
	model_rebuild(&u->model);
	u->detail_scroll = 0;
	a->dirty = 1;
	if (f != NULL)
		set_msg(a, 0, "%zu findings match (Esc clears the filter)", u->model.nrows);
	else
		set_msg(a, 0, "filter cleared");
	return 0;
}

/* n/N: the next (dir 1) or previous (-1) row matching the search words, wrapping. */
static void
search(struct app *a, int dir)
{
	struct model *m = &a->ui.model;
	size_t i, r;

	if (a->search == NULL) {
		set_msg(a, 0, "no search: type words after / first");
		return;
	}
	for (i = 1; i <= m->nrows; i++) {
		r = (m->sel + (dir > 0 ? i : m->nrows - i)) % m->nrows;
		if (filter_search_match(a->search, m->all.v[m->rows[r]])) {
			if (dir > 0 ? r <= m->sel : r >= m->sel)
				set_msg(a, 0, "search wrapped");
			model_select_row(m, r);
			a->ui.detail_scroll = 0;
			return;
		}
	}
	set_msg(a, 1, "not found: %s", filter_words(a->search));
}

/* e: the findings shown (filtered, with triage) to a findings document, written atomically. */
static void
export_shown(struct app *a)
{
	struct model *m = &a->ui.model;
	struct finding_list l = { 0 };
	struct out_opts o = { OUT_JSON, 0 };
	char t[32], stamp[32], *path = NULL, *err = NULL;
	size_t i, j = 0;
	int n;

	for (i = 0; i < m->nrows; i++)
		finding_list_push(&l, m->all.v[m->rows[i]]);
	tf_format_time(tf_now_ms(), t);
	/* 2024-05-27T12:00:00Z -> 20240527T120000Z */
	for (i = 0; t[i] != '\0' && j + 1 < sizeof stamp; i++)
		if (t[i] != '-' && t[i] != ':' && t[i] != '.')
			stamp[j++] = t[i];
	stamp[j] = '\0';
	for (n = 0; n < 100; n++) {
		free(path);
		path = n == 0 ? xasprintf("%s/tfdrift-findings-%s.json", a->export_dir, stamp) :
		    xasprintf("%s/tfdrift-findings-%s-%d.json", a->export_dir, stamp, n);
		if (access(path, F_OK) != 0)
			break;
	}
	if (output_write_file(path, &l, &o, &err) != 0) {
		set_msg(a, 1, "not exported: %s", err);
		free(err);
	} else
		set_msg(a, 0, "exported %zu findings to %s", l.n, path);
	free(path);
	free(l.v);          /* the findings stay the model's */
}

/* ---- arrivals ---- */

static void
drain(struct app *a)
{
	struct ui *u = &a->ui;
	struct finding_list got = { 0 };
	struct ui_event_list evs = { 0 };
	int64_t now = tf_now_ms();
	uint64_t dropped = u->events.dropped;
	char *err = NULL;
	size_t i;

	replay_take(a->replay, &got, &evs);
	{
		struct replay_progress p;
		char *rerr = NULL;

		/* A file that failed to read: say so once (the Sources view keeps it). */
		replay_progress(a->replay, &p, &rerr);
		if (rerr != NULL && (a->replay_error == NULL || strcmp(rerr, a->replay_error) != 0)) {
			set_msg(a, 1, "%s", rerr);
			free(a->replay_error);
			a->replay_error = rerr;
		} else
			free(rerr);
	}
	for (i = 0; i < evs.n; i++) {
		if (evs.v[i].time_ms > u->latest_ms)
			u->latest_ms = evs.v[i].time_ms;
		evlog_add(&u->events, &evs.v[i]);
	}
	if (evs.n > 0) {
		/* The Events list is newest first: the selection follows the newest event, or
		 * stays on the one picked. */
		if (u->ev_list.sel > 0)
			u->ev_list.sel += evs.n;
		if (u->events.dropped != dropped) {
			/* The Actors view borrows names from dropped events: rebuild it. */
			free(u->actors);
			u->actors = NULL;
			u->nactors = 0;
		}
		a->dirty = 1;
	}
	free(evs.v);
	if (got.n == 0) {
		free(got.v);
		return;
	}
	/* Earlier findings on the same resource (the store is this thread's). */
	for (i = 0; a->store != NULL && i < got.n; i++)
		if (enrich_history(a->store, got.v[i], now, &err) != 0) {
			set_msg(a, 1, "history not read: %s", err);
			free(err);
			err = NULL;
			break;
		}
	if (a->store != NULL && store_readonly_reason(a->store) == NULL &&
	    store_put_findings(a->store, &got, &err) != 0) {
		set_msg(a, 1, "findings not saved: %s", err);
		free(err);
	}
	for (i = 0; i < got.n; i++) {
		store_triage_apply(a->triage, got.v[i], now);
		if (a->notify != NULL && got.v[i]->status != ST_SUPPRESSED)
			notify_finding(a->notify, got.v[i]);    /* copies; never waits */
		note_lapse(a, got.v[i]);
		if (got.v[i]->event_time_ms > u->latest_ms)
			u->latest_ms = got.v[i]->event_time_ms;
		model_add(&u->model, got.v[i]);
	}
	free(got.v);        /* the findings now belong to the model */
	model_rebuild(&u->model);
	a->dirty = 1;
}

/* ---- drawing ---- */

static const char *tab_names[TAB__COUNT] = { "Findings", "Events", "Actors", "Sources" };

/* The top line: title, tabs (their columns remembered for mouse clicks), sort and filter. */
static void
draw_top(struct app *a, int w)
{
	struct ui *u = &a->ui;
	int x = 0, t, hdr = theme_attr(TS_HEADER) | A_REVERSE;
	char buf[96];

	ui_fill(0, 0, w, hdr);
	x += ui_put(0, x, w - x, " tfdrift ", hdr);
	x += ui_put(0, x, w - x, a->title, hdr);
	x += ui_put(0, x, w - x, "  ", hdr);
	for (t = 0; t < TAB__COUNT; t++) {
		snprintf(buf, sizeof buf, " %d %s ", t + 1, tab_names[t]);
		a->tab_x[t] = x;
		x += ui_put(0, x, w - x, buf, theme_attr(t == u->tab ? TS_TAB_ACTIVE : TS_TAB_INACTIVE));
	}
	a->tab_x[TAB__COUNT] = x;
	if (u->tab == TAB_FINDINGS) {
		snprintf(buf, sizeof buf, "  %zu shown  sort: %s%s", u->model.nrows,
		    u->model.sort == SORT_TIME ? "time" : "severity", u->focus_detail ? "  [detail]" : "");
		x += ui_put(0, x, w - x, buf, hdr);
		if (u->tl.bucket_to > 0) {
			char f[16], g[16];

			ui_time_short(u->tl.bucket_from, f);
			ui_time_short(u->tl.bucket_to, g);
			snprintf(buf, sizeof buf, "  bucket %.5s-%.5s", f, g);
			x += ui_put(0, x, w - x, buf, hdr | A_BOLD);
		}
	}
	if (u->filter != NULL) {
		x += ui_put(0, x, w - x, "  /", hdr);
		ui_put(0, x, w - x, filter_text(u->filter), hdr | A_BOLD);
	}
}

/* "[#####.....]" of frac in w columns. */
static void
bar(struct strbuf *sb, double frac, int w, int utf8)
{
	int i, full = (int)(frac * w + 0.5);

	sb_adds(sb, "[");
	for (i = 0; i < w; i++)
		sb_adds(sb, i < full ? (utf8 ? "\xe2\x96\x88" : "#") : (utf8 ? "\xc2\xb7" : "."));
	sb_adds(sb, "]");
}

static void
draw_status(struct app *a, int y, int w)
{
	struct model *m = &a->ui.model;
	struct replay_progress p;
	struct strbuf sb;
	size_t s, nack = 0, nsup = 0;
	int x;

	replay_progress(a->replay, &p, NULL);
	for (s = 0; s < SEV__COUNT; s++) {
		nack += m->count[ST_ACKNOWLEDGED][s];
		nsup += m->count[ST_SUPPRESSED][s];
	}
	sb_init(&sb);
	sb_addf(&sb, " open: crit %zu high %zu med %zu low %zu info %zu | ack %zu | supp %zu%s | ",
	    m->count[ST_OPEN][SEV_CRITICAL], m->count[ST_OPEN][SEV_HIGH], m->count[ST_OPEN][SEV_MEDIUM],
	    m->count[ST_OPEN][SEV_LOW], m->count[ST_OPEN][SEV_INFO], nack, nsup,
	    m->show_suppressed ? " shown" : "");
	if (p.phase == RP_LIVE)
		sb_addf(&sb, "live: %llu events%s", (unsigned long long)p.events,
		    p.total > 0 ? " (queued)" : "");
	else if (p.finished)
		sb_addf(&sb, "replay done: %llu events", (unsigned long long)p.events);
	else if (p.phase == RP_LOADING) {
		if (p.frac >= 0) {
			sb_adds(&sb, "loading ");
			bar(&sb, p.frac, 12, a->ui.utf8);
			sb_addf(&sb, " %3.0f%% %llu events", p.frac * 100, (unsigned long long)p.events);
		} else      /* a pipe: how far is not known */
			sb_addf(&sb, "loading... %llu events", (unsigned long long)p.events);
	} else
		sb_addf(&sb, "replay %llu/%llu", (unsigned long long)p.done,
		    (unsigned long long)p.total);
	if (a->demo)
		sb_addf(&sb, " loop %u", p.pass + 1);
	{
		struct replay_source *src;
		size_t nsrc, i, failed = 0;
		uint64_t malformed = 0;

		/* Source health: what did not read cleanly (details in the Sources view). */
		replay_sources(a->replay, &src, &nsrc);
		for (i = 0; i < nsrc; i++) {
			failed += src[i].state == RS_FAILED;
			malformed += src[i].malformed;
		}
		replay_sources_free(src, nsrc);
		if (failed > 0)
			sb_addf(&sb, " | %zu file%s FAILED (4)", failed, failed == 1 ? "" : "s");
		if (malformed > 0)
			sb_addf(&sb, " | %llu malformed (4)", (unsigned long long)malformed);
	}
	if (a->store == NULL || store_readonly_reason(a->store) != NULL)
		sb_adds(&sb, " | READ-ONLY");
	ui_fill(y, 0, w, theme_attr(TS_STATUS_BAR));
	x = 0;
	if (a->banner != NULL)
		x = ui_put(y, 0, w, a->banner, theme_attr(TS_FREEZE_BANNER)) + 1;
	ui_put(y, x, w - x, sb.buf, theme_attr(TS_STATUS_BAR));
	sb_free(&sb);
}

static const char *
prompt_label(const struct app *a)
{
	switch (a->prompting) {
	case P_NOTE: return "Note (Enter saves, Esc cancels): ";
	case P_FILTER: return "Filter (Enter applies, empty clears, Esc cancels): /";
	case P_SUP_UNTIL: return "Suppress until (RFC 3339, HH:MM UTC, or 3h/2d from now): ";
	case P_FREEZE_UNTIL: return "Freeze until (RFC 3339, HH:MM UTC, or 3h/2d from now): ";
	default: return "";
	}
}

static void
draw_bottom(struct app *a, int y, int w)
{
	int n;
	char *s;

	ui_fill(y, 0, w, A_NORMAL);
	if (a->prompting == P_SUP_SCOPE) {
		ui_put(y, 0, w, "Suppress which: f this finding, r its resource, u its rule, a its actor, "
		    "e its event name (Esc cancels)", theme_attr(TS_FILTER_PROMPT));
		return;
	}
	if (a->prompting == P_SUP_FOR) {
		s = xasprintf("Suppress %s %s for: 1 one hour, 2 one day, 3 seven days, t until a "
		    "time, f forever (Esc cancels)", store_scope_name((enum store_scope)a->sup_scope),
		    a->sup_value);
		ui_put(y, 0, w, s, theme_attr(TS_FILTER_PROMPT));
		free(s);
		return;
	}
	if (a->prompting != P_NONE) {
		n = ui_put(y, 0, w, prompt_label(a), theme_attr(TS_FILTER_PROMPT) | A_BOLD);
		n += ui_put(y, n, w - n - 1, a->input.buf, A_NORMAL);
		ui_put(y, n, 1, "_", A_BLINK);
		return;
	}
	if (a->msg != NULL) {
		ui_put(y, 0, w, a->msg, a->msg_error ? theme_attr(TS_STATUS_ERROR) : (int)A_BOLD);
		return;
	}
	if (a->store == NULL || store_readonly_reason(a->store) != NULL) {
		ui_put(y, 0, w, a->store != NULL ? store_readonly_reason(a->store) :
		    a->store_reason, theme_attr(TS_STATUS_ERROR));
		return;
	}
	if (a->last_error != NULL) {
		n = ui_put(y, 0, w, "last error: ", theme_attr(TS_DIM));
		ui_put(y, n, w - n, a->last_error, theme_attr(TS_DIM));
		return;
	}
	switch (a->ui.tab) {
	case TAB_EVENTS:
		ui_put(y, 0, w, "j/k move  1-4 views  ? help  q quit", theme_attr(TS_DIM));
		break;
	case TAB_ACTORS:
		ui_put(y, 0, w, "j/k move  Enter their findings  1-4 views  ? help  q quit",
		    theme_attr(TS_DIM));
		break;
	case TAB_SOURCES:
		ui_put(y, 0, w, "j/k scroll  1-4 views  ? help  q quit", theme_attr(TS_DIM));
		break;
	default:
		ui_put(y, 0, w, a->ui.focus_detail ?
		    "j/k scroll  Tab back to list  a ack  s suppress  u undo  ? help  q quit" :
		    "j/k move  Enter detail  / filter  a ack  s suppress  u undo  S suppressed  "
		    "h/l timeline  e export  o sort  1-4 views  ? help  q quit", theme_attr(TS_DIM));
	}
}

static void
draw_findings_tab(struct app *a, int y, int body, int w)
{
	struct ui *u = &a->ui;
	int list_h, band = 0;

	if (!u->tl.hidden && body >= 18) {
		band = 5;
		view_timeline.draw(u, y, 0, band, w);
	}
	y += band;
	body -= band;
	a->list_y = -1;
	if (body < 14) {
		/* Small screens: the list, or the detail when it has the focus. */
		if (u->focus_detail)
			view_detail.draw(u, y, 0, body, w);
		else {
			view_findings.draw(u, y, 0, body, w);
			a->list_y = y + 1;
		}
		return;
	}
	list_h = body * 45 / 100;
	if (list_h < 5)
		list_h = 5;
	view_findings.draw(u, y, 0, list_h, w);
	a->list_y = y + 1;
	y += list_h;
	attrset(theme_attr(u->focus_detail ? TS_HEADER : TS_DIM));
	for (int x = 0; x < w; x++)
		mvaddstr(y, x, ui_hline(u));
	attrset(A_NORMAL);
	ui_put(y, 2, w - 2, u->focus_detail ? " detail (j/k scroll) " : " detail ",
	    theme_attr(u->focus_detail ? TS_HEADER : TS_DIM));
	view_detail.draw(u, y + 1, 0, body - list_h - 1, w);
}

static void
draw(struct app *a)
{
	struct ui *u = &a->ui;
	int h = LINES, w = COLS, body;

	erase();
	if (h < 5 || w < 20) {
		ui_put(0, 0, w, "terminal too small", A_BOLD);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	draw_top(a, w);
	body = h - 3;                   /* top line, status, bottom line */
	a->list_y = -1;
	if (u->show_help)
		view_help.draw(u, 1, 0, body, w);
	else if (u->tab == TAB_EVENTS) {
		view_events.draw(u, 1, 0, body, w);
		a->list_y = 2;
	} else if (u->tab == TAB_ACTORS) {
		view_actors.draw(u, 1, 0, body, w);
		a->list_y = 2;
	} else if (u->tab == TAB_SOURCES)
		view_sources.draw(u, 1, 0, body, w);
	else
		draw_findings_tab(a, 1, body, w);
	if (a->prompting != P_NONE && a->msg != NULL && a->msg_error) {
		/* The prompt has the bottom line: what was wrong with the last answer goes above. */
		ui_fill(h - 2, 0, w, theme_attr(TS_STATUS_ERROR));
		ui_put(h - 2, 0, w, a->msg, theme_attr(TS_STATUS_ERROR));
	} else
		draw_status(a, h - 2, w);
	draw_bottom(a, h - 1, w);
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- input ---- */

static void
prompt_done(struct app *a)
{
	enum prompt_kind k = a->prompting;
	int64_t until, now = tf_now_ms();
	char *text = xstrdup(a->input.buf != NULL ? a->input.buf : "");

	a->prompting = P_NONE;
	sb_reset(&a->input);
	switch (k) {
	case P_NOTE:
		do_ack(a, text);
		break;
	case P_FILTER:
		if (set_filter(a, text) != 0) {
			/* Keep the query to fix it. */
			a->prompting = P_FILTER;
			sb_adds(&a->input, text);
		}
		break;
	case P_SUP_UNTIL:
		if (freeze_parse_time(text, now, &until) != 0 || until <= now) {
			set_msg(a, 1, "'%s' is not a time in the future (2024-05-28T09:00:00Z, 17:30, 3h, 2d)",
			    text);
			a->prompting = P_SUP_UNTIL;
			sb_adds(&a->input, text);
		} else
			do_suppress(a, a->sup_scope, a->sup_value, until);
		break;
	case P_FREEZE_UNTIL:
		if (freeze_parse_time(text, now, &until) != 0 || until <= now) {
			set_msg(a, 1, "'%s' is not a time in the future (2024-05-28T09:00:00Z, 17:30, 3h, 2d)",
			    text);
			a->prompting = P_FREEZE_UNTIL;
			sb_adds(&a->input, text);
		} else
			do_freeze(a, now, until);
		break;
	default:
		break;
	}
	free(text);
}

/* Suppress, step 1: the scope key. */
static void
sup_scope_key(struct app *a, struct finding *f, wint_t c)
{
	char *v = NULL;
	int scope;

	switch (c) {
	case 'f': scope = SCOPE_FINDING; v = xstrdup(f->id); break;
	case 'r': scope = SCOPE_RESOURCE; v = store_resource_key(f); break;
	case 'u': scope = SCOPE_RULE; v = f->nrules > 0 ? xstrdup(f->rules[0].id) : NULL; break;
	case 'a': scope = SCOPE_ACTOR; v = xstrdup(f->actor.name != NULL ? f->actor.name :
	    f->actor.principal); break;
	case 'e': scope = SCOPE_EVENT_NAME; v = xstrdup(f->event_name); break;
	default:
		a->prompting = P_NONE;
		set_msg(a, 0, "not suppressed");
		return;
	}
	if (v == NULL) {
		a->prompting = P_NONE;
		set_msg(a, 1, "this finding has no %s to suppress", c == 'u' ? "rule" :
		    c == 'r' ? "resource" : c == 'a' ? "actor" : "event name");
		return;
	}
	free(a->sup_value);
	a->sup_value = v;
	a->sup_scope = scope;
	a->prompting = P_SUP_FOR;
}

/* Suppress, step 2: the duration key. */
static void
sup_for_key(struct app *a, wint_t c)
{
	int64_t now = tf_now_ms(), h = 3600 * 1000LL;

	a->prompting = P_NONE;
	switch (c) {
	case '1': do_suppress(a, a->sup_scope, a->sup_value, now + h); break;
	case '2': do_suppress(a, a->sup_scope, a->sup_value, now + 24 * h); break;
	case '3': do_suppress(a, a->sup_scope, a->sup_value, now + 7 * 24 * h); break;
	case 'f': do_suppress(a, a->sup_scope, a->sup_value, 0); break;
	case 't':
		a->prompting = P_SUP_UNTIL;
		sb_reset(&a->input);
		break;
	default:
		set_msg(a, 0, "not suppressed");
	}
}

static void
prompt_key(struct app *a, int is_key, wint_t c)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t k;

	if (a->prompting == P_SUP_SCOPE || a->prompting == P_SUP_FOR) {
		struct finding *f = find_by_id(a, a->prompt_for);

		if (is_key || f == NULL || c == 27) {
			a->prompting = P_NONE;
			set_msg(a, 0, "not suppressed");
		} else if (a->prompting == P_SUP_SCOPE)
			sup_scope_key(a, f, c);
		else
			sup_for_key(a, c);
		return;
	}
	if ((!is_key && (c == L'\n' || c == L'\r')) || (is_key && c == KEY_ENTER)) {
		prompt_done(a);
		return;
	}
	if (!is_key && c == 27) {
		set_msg(a, 0, a->prompting == P_NOTE ? "not acknowledged" : a->prompting == P_FILTER ?
		    "filter unchanged" : a->prompting == P_FREEZE_UNTIL ? "no freeze" : "not suppressed");
		a->prompting = P_NONE;
		sb_reset(&a->input);
		return;
	}
	if ((is_key && c == KEY_BACKSPACE) || (!is_key && (c == 127 || c == 8))) {
		/* Drop the last UTF-8 character. */
		while (a->input.len > 0) {
			unsigned char ch = (unsigned char)a->input.buf[--a->input.len];

			if ((ch & 0xc0) != 0x80)
				break;
		}
		a->input.buf[a->input.len] = '\0';
		return;
	}
	if (!is_key && c == ('U' & 0x1f)) {
		sb_reset(&a->input);
		return;
	}
	if (is_key || c < 0x20 || a->input.len > 1000)
		return;
	memset(&st, 0, sizeof st);
	k = wcrtomb(mb, (wchar_t)c, &st);
	if (k != (size_t)-1)
		sb_add(&a->input, mb, k);
}

static void
start_prompt(struct app *a, enum prompt_kind k, const char *initial)
{
	a->prompting = k;
	sb_reset(&a->input);
	if (initial != NULL)
		sb_adds(&a->input, initial);
}

static void
switch_tab(struct app *a, int tab)
{
	a->ui.tab = tab;
	a->ui.show_help = 0;
}

/* Findings of one actor: from the Actors view. */
static void
open_actor(struct app *a)
{
	struct ui *u = &a->ui;
	char *q;

	ui_actors_rebuild(u);
	if (u->nactors == 0 || u->actor_list.sel >= u->nactors)
		return;
	/* Names with blanks are quoted; a quote cannot be: filter by what comes before it. */
	q = strpbrk(u->actors[u->actor_list.sel].name, " \t") != NULL ?
	    xasprintf("actor:\"%s\"", u->actors[u->actor_list.sel].name) :
	    xasprintf("actor:%s", u->actors[u->actor_list.sel].name);
	if (strchr(q + 7, '"') != NULL && strchr(q + 7, '"') != q + strlen(q) - 1)
		q[strcspn(q + 7, "\"") + 7] = '\0';
	if (set_filter(a, q) == 0)
		switch_tab(a, TAB_FINDINGS);
	free(q);
}

static void
act(struct app *a, enum ui_action action)
{
	struct ui *u = &a->ui;
	struct model *m = &u->model;
	struct finding *f = model_selected(m);
	long page = u->list_h > 1 ? u->list_h - 1 : 1;

	if (u->show_help) {
		view_help.key(u, action);
		return;
	}
	/* Keys every view shares. */
	switch (action) {
	case ACT_TAB_FINDINGS: switch_tab(a, TAB_FINDINGS); return;
	case ACT_TAB_EVENTS: switch_tab(a, TAB_EVENTS); return;
	case ACT_TAB_ACTORS: switch_tab(a, TAB_ACTORS); return;
	case ACT_TAB_SOURCES: switch_tab(a, TAB_SOURCES); return;
	case ACT_NEXT_TAB: switch_tab(a, (u->tab + 1) % TAB__COUNT); return;
	case ACT_HELP: u->show_help = 1; return;
	case ACT_REDRAW: clearok(curscr, TRUE); return;
	case ACT_QUIT: a->quit = 1; return;
	case ACT_FILTER:
		start_prompt(a, P_FILTER, filter_text(u->filter));
		return;
	case ACT_EXPORT: export_shown(a); return;
	case ACT_REFRESH:
		if (a->live) {
			replay_refresh_states(a->replay);
			set_msg(a, 0, "reading the states again");
		} else
			set_msg(a, 0, "r reloads states in live mode; a replay keeps the states it started with");
		return;
	case ACT_FREEZE: start_prompt(a, P_FREEZE_UNTIL, NULL); return;
	default: break;
	}
	if (u->tab == TAB_EVENTS) {
		view_events.key(u, action);
		return;
	}
	if (u->tab == TAB_SOURCES) {
		view_sources.key(u, action);
		return;
	}
	if (u->tab == TAB_ACTORS) {
		if (action == ACT_SHOW)
			open_actor(a);
		else
			view_actors.key(u, action);
		return;
	}
	if (u->focus_detail && view_detail.key(u, action))
		return;
	if ((action == ACT_LEFT || action == ACT_RIGHT || action == ACT_ZOOM) && !u->tl.hidden) {
		view_timeline.key(u, action);
		m->filter_gen++;
		model_rebuild(m);
		u->detail_scroll = 0;
		return;
	}
	switch (action) {
	case ACT_DOWN: model_move(m, 1); u->detail_scroll = 0; break;
	case ACT_UP: model_move(m, -1); u->detail_scroll = 0; break;
	case ACT_PAGE_DOWN: model_move(m, page); u->detail_scroll = 0; break;
	case ACT_PAGE_UP: model_move(m, -page); u->detail_scroll = 0; break;
	case ACT_TOP: model_select_row(m, 0); u->detail_scroll = 0; break;
	case ACT_BOTTOM: if (m->nrows) model_select_row(m, m->nrows - 1); u->detail_scroll = 0; break;
	case ACT_FOCUS:
	case ACT_SHOW:
		u->focus_detail = !u->focus_detail;
		break;
	case ACT_SEARCH_NEXT: search(a, 1); break;
	case ACT_SEARCH_PREV: search(a, -1); break;
	case ACT_CANCEL:
		if (u->tl.bucket_to > 0) {
			u->tl.bucket_to = 0;
			m->filter_gen++;
			model_rebuild(m);
		} else if (u->filter != NULL)
			set_filter(a, "");
		else
			u->focus_detail = 0;
		break;
	case ACT_TIMELINE:
		u->tl.hidden = !u->tl.hidden;
		if (u->tl.hidden && u->tl.bucket_to > 0) {
			u->tl.bucket_to = 0;
			m->filter_gen++;
			model_rebuild(m);
		}
		break;
	case ACT_ACK:
		if (f == NULL || !can_decide(a))
			break;
		memcpy(a->prompt_for, f->id, sizeof a->prompt_for);
		start_prompt(a, P_NOTE, NULL);
		break;
	case ACT_SUPPRESS:
		if (f == NULL || !can_decide(a))
			break;
		memcpy(a->prompt_for, f->id, sizeof a->prompt_for);
		a->prompting = P_SUP_SCOPE;
		break;
	case ACT_UNDO: do_undo(a); break;
	case ACT_TOGGLE_SUPPRESSED:
		m->show_suppressed = !m->show_suppressed;
		model_rebuild(m);
		set_msg(a, 0, m->show_suppressed ? "showing suppressed findings" :
		    "hiding suppressed findings");
		break;
	case ACT_SORT:
		m->sort = m->sort == SORT_TIME ? SORT_SEVERITY : SORT_TIME;
		model_rebuild(m);
		break;
	default: break;
	}
}

/* A mouse click selects a tab or a row; the wheel scrolls. */
static void
mouse(struct app *a)
{
	struct ui *u = &a->ui;
	MEVENT me;
	int t, wheel = 0;

	if (getmouse(&me) != OK)
		return;
	if (me.bstate & BUTTON4_PRESSED)
		wheel = -3;
#ifdef BUTTON5_PRESSED
	else if (me.bstate & BUTTON5_PRESSED)
		wheel = 3;
#endif
	if (wheel != 0) {
		for (t = 0; t < 3; t++)
			act(a, wheel < 0 ? ACT_UP : ACT_DOWN);
		return;
	}
	if (!(me.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_RELEASED)))
		return;
	if (me.y == 0) {
		for (t = 0; t < TAB__COUNT; t++)
			if (me.x >= a->tab_x[t] && me.x < a->tab_x[t + 1])
				switch_tab(a, t);
		return;
	}
	if (a->list_y < 0 || me.y < a->list_y || u->show_help)
		return;
	if (u->tab == TAB_FINDINGS && me.y < a->list_y + u->list_h) {
		if (u->model.top + (size_t)(me.y - a->list_y) < u->model.nrows) {
			model_select_row(&u->model, u->model.top + (size_t)(me.y - a->list_y));
			u->focus_detail = 0;
			u->detail_scroll = 0;
		}
	} else if (u->tab == TAB_EVENTS && me.y < a->list_y + u->ev_h) {
		if (u->ev_list.top + (size_t)(me.y - a->list_y) < u->events.n)
			u->ev_list.sel = u->ev_list.top + (size_t)(me.y - a->list_y);
	} else if (u->tab == TAB_ACTORS && me.y < a->list_y + u->actor_h) {
		if (u->actor_list.top + (size_t)(me.y - a->list_y) < u->nactors)
			u->actor_list.sel = u->actor_list.top + (size_t)(me.y - a->list_y);
	}
}

/* Read every key waiting (stdin is non-blocking under curses' nodelay). */
static void
read_keys(struct app *a)
{
	wint_t c;
	int r;

	while ((r = get_wch(&c)) != ERR) {
		a->dirty = 1;
		if (r == KEY_CODE_YES && c == KEY_RESIZE)
			continue;       /* curses has resized stdscr; the redraw does the rest */
		if (r == KEY_CODE_YES && c == KEY_MOUSE) {
			if (a->prompting == P_NONE)
				mouse(a);
			continue;
		}
		if (a->prompting != P_NONE) {
			prompt_key(a, r == KEY_CODE_YES, c);
			continue;
		}
		if (a->msg != NULL && !a->msg_error) {
			free(a->msg);
			a->msg = NULL;
		}
		act(a, keys_lookup((int)c, r == KEY_CODE_YES));
		if (a->quit)
			return;
	}
}

/* ---- set-up ---- */

static void
ui_usage(FILE *fp, int demo)
{
	if (demo)
		fputs("usage: tfdrift demo [--store PATH] [--pace DURATION] [--passes N] [--theme NAME]\n"
		    "                   [--max-iterations N]\n"
		    "  replays the built-in example estate and audit events, forever (--passes 0)\n", fp);
	else
		fputs("usage: tfdrift ui --state SRC... --events FILE... [--since T] [--until T]\n"
		    "                 [--store PATH] [--theme NAME] [-c FILE] [-m DIR]\n"
		    "  the dashboard over recorded audit events, read while you look\n"
		    "  --since T, --until T   only events in [T, T') (RFC 3339): walk a time window\n", fp);
	fputs("  --store PATH          triage store (default: the configured one)\n"
	    "  --export-dir DIR      where e writes findings files (default: .)\n"
	    "  --theme NAME          default, light, monochrome, high-contrast, or a .yaml file\n"
	    "                        (doc/themes.md; NO_COLOR forces monochrome)\n"
	    "  --max-iterations N    leave after N passes of the main loop (tests; also\n"
	    "                        TFDRIFT_UI_ITERATIONS)\n", fp);
}

/* Maps, states, index, detector and replay: everything before curses starts. 0 ok. */
static int
load_engine(struct app *a, struct strlist *states, struct strlist *events, const char *mapdir,
    const struct replay_opts *ro)
{
	char *err = NULL;

	if ((a->map = eventmap_load_report(mapdir != NULL ? mapdir : conf_event_maps_dir(&a->conf),
	    stderr)) == NULL)
		return -1;
	a->keepset = eventmap_attrset_new(a->map);
	/* The rules first: the states keep what they read too. */
	if ((a->rules = rules_load_configured_report(&a->conf, stderr)) == NULL)
		return -1;
	a->rkeep.set = a->keepset;
	a->rkeep.rules = a->rules;
	a->keep.fn = rules_keep_attr;
	a->keep.ctx = &a->rkeep;
	{
		struct state_src_opts so;

		memset(&so, 0, sizeof so);
		if ((a->states = states_new(states->v, states->n, &so, a->map, &a->keep,
		    &err)) == NULL || states_refresh(a->states, &a->ix, &err) < 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			return -1;
		}
	}
	a->det = detector_new(a->map, a->ix, &a->conf);
	detector_set_rules(a->det, a->rules);
	detector_set_enrich(a->det, enrich_finding_from_state);       /* tags, blast radius, fix */
	if (a->live)
		a->replay = replay_new_live(&err);
	else
		a->replay = replay_new(events->v, events->n, a->det, ro, &err);
	if (a->replay == NULL) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	return 0;
}

static void
open_store(struct app *a, const char *path)
{
	char *err = NULL;

	if (path == NULL)
		path = a->conf.store;
	if (path == NULL) {
		a->store_reason = xstrdup("no store configured (--store PATH)");
		return;
	}
	if (store_open_ex(path, 0, 2000, &a->store, &err) != 0) {
		a->store = NULL;
		a->store_reason = xasprintf("%s; running read-only", err);
		free(err);
		return;
	}
	if (store_triage_snapshot(a->store, &a->triage, &err) != 0) {
		a->store_reason = err;
		a->triage = NULL;
	}
}

static void
app_free(struct app *a)
{
	engine_free(a->eng);            /* live: stops the collectors and the engine thread */
	notify_free(a->notify);         /* drains what it can, dead-letters the rest */
	replay_free(a->replay);         /* files, demo: stops its engine first */
	states_free(a->states);
	store_close(a->eng_store);
	detector_free(a->det);
	if (a->ix != NULL)
		state_index_unref(a->ix);
	if (a->rules != NULL)
		rules_unref(a->rules);
	eventmap_attrset_free(a->keepset);
	eventmap_free(a->map);
	store_triage_free(a->triage);
	store_close(a->store);
	model_free(&a->ui.model);
	conf_free(&a->conf);
	free(a->store_reason);
	free(a->undo);
	free(a->msg);
	free(a->last_error);
	sb_free(&a->input);
	free(a->sup_value);
	free(a->export_dir);
	free(a->banner);
	free(a->replay_error);
	filter_free(a->search);
	filter_free(a->ui.filter);
	freeze_windows_free(a->freezes, a->nfreezes);
	free(a->ui.freezes);
	evlog_free(&a->ui.events);
	free(a->ui.actors);
	free(a->ui.tl.counts);
	free(a->ui.tl.worst);
}

/* Start the worker with every signal blocked, so signals (SIGWINCH, SIGINT) reach the main
 * thread and interrupt its poll(). */
static int
start_worker(struct app *a, char **err)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = replay_start(a->replay, err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static int
run(struct app *a)
{
	struct pollfd pfd[2];
	unsigned long iter = 0;
	int timeout, n;
	int64_t now;

	a->dirty = 1;
	while (!a->quit && got_signal == 0) {
		if (a->max_iterations != 0 && iter >= a->max_iterations)
			break;
		iter++;
		drain(a);
		now = tf_mono_ms();
		if (a->msg != NULL && now >= a->msg_until) {
			free(a->msg);
			a->msg = NULL;
			a->dirty = 1;
		}
		if (a->next_lapse != 0 && tf_now_ms() >= a->next_lapse) {
			char *err = NULL;

			/* A suppression expired: its findings are open again. */
			if (retriage(a, &err) != 0) {
				set_msg(a, 1, "%s", err);
				free(err);
				a->next_lapse = 0;
			}
		}
		update_banner(a);
		if (a->dirty) {
			draw(a);
			a->dirty = 0;
		}
		/* Sleep until input, an arrival, or the next timer (a message lapsing). */
		timeout = -1;
		if (a->msg != NULL)
			timeout = (int)(a->msg_until - now) + 1;
		if (a->next_lapse != 0) {
			int64_t d = a->next_lapse - tf_now_ms() + 1;

			if (d < 1)
				d = 1;
			if (d > 3600000)
				d = 3600000;
			if (timeout < 0 || d < timeout)
				timeout = (int)d;
		}
		if (a->banner_next != 0) {
			int64_t d = a->banner_next - tf_now_ms() + 1;

			if (d < 1)
				d = 1;
			if (d > 3600000)
				d = 3600000;
			if (timeout < 0 || d < timeout)
				timeout = (int)d;
		}
		if (a->max_iterations != 0 && (timeout < 0 || timeout > 200))
			timeout = 200;
		pfd[0].fd = STDIN_FILENO;
		pfd[0].events = POLLIN;
		pfd[1].fd = replay_wake_fd(a->replay);
		pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		n = poll(pfd, 2, timeout);
		if (n < 0 && errno != EINTR)
			tf_fatal("poll: %s", strerror(errno));
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break;                  /* the terminal went away */
		/* Always: a resize arrives as a signal (EINTR) with KEY_RESIZE queued. */
		read_keys(a);
		if (pfd[1].revents & POLLIN)
			a->dirty = 1;
	}
	return 0;
}

/* Live mode: the engine with the configured sources, feeding the replay's queues; its own
 * store connection for the collectors' cursors (SQLite WAL lets both write). 0 ok. */
static int
start_live(struct app *a)
{
	struct engine_consumer cons;
	char *err = NULL;

	if (a->store != NULL && store_open_ex(store_path(a->store), 0, 5000, &a->eng_store,
	    &err) != 0) {
		/* Cursors then live in memory only: a restart starts from the lookback. */
		set_msg(a, 1, "cursors not kept: %s", err);
		free(err);
		err = NULL;
		a->eng_store = NULL;
	}
	/* Notifications from the live dashboard (a replay or the demo sends none). */
	if ((a->notify = notify_new_store(&a->conf, a->store != NULL ? store_path(a->store) : NULL,
	    &err)) == NULL) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	a->ui.notify = a->notify;
	replay_engine_consumer(a->replay, &cons);
	a->eng = engine_new(a->det, a->eng_store, 10000, &cons);
	engine_set_state_loader(a->eng, states_loader, a->states, a->conf.state_refresh_ms);
	if (sources_add(a->eng, &a->conf, NULL, NULL, &err) < 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	replay_attach_engine(a->replay, a->eng);
	return 0;
}

int
ui_main(int argc, char **argv, int demo, const char *config)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "events", required_argument, NULL, 'e' },
		{ "store", required_argument, NULL, 'D' },
		{ "config", required_argument, NULL, 'c' },
		{ "event-maps", required_argument, NULL, 'm' },
		{ "theme", required_argument, NULL, 'T' },
		{ "max-iterations", required_argument, NULL, 'I' },
		{ "pace", required_argument, NULL, 'P' },
		{ "passes", required_argument, NULL, 'N' },
		{ "since", required_argument, NULL, 'S' },
		{ "until", required_argument, NULL, 'U' },
		{ "export-dir", required_argument, NULL, 'X' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct app app, *a = &app;
	struct strlist states = { 0 }, events = { 0 };
	struct replay_opts ro = { .passes = 1 };
	const char *storepath = NULL, *cfgpath = config, *mapdir = NULL, *theme = NULL, *env;
	char **errs = NULL, *err = NULL, *end;
	size_t nerrs = 0, i;
	struct sigaction sa;
	struct theme th = { 0 };
	int ch, rc = 1;

	memset(a, 0, sizeof *a);
	sb_init(&a->input);
	a->demo = demo;
	a->title = demo ? "demo" : "replay";
	a->user = tf_current_user();
	conf_init(&a->conf);
	if (demo) {
		ro.pace_ms = 60000;
		ro.passes = 0;
		ro.shift_to_now = 1;    /* the demo happens now: freezes started now catch it */
	}
	if ((env = getenv("TFDRIFT_UI_ITERATIONS")) != NULL && *env != '\0')
		a->max_iterations = strtoul(env, NULL, 10);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "s:e:c:m:h", opts, NULL)) != -1) {
		switch (ch) {
		case 's': strlist_push(&states, optarg); break;
		case 'e': strlist_push(&events, optarg); break;
		case 'D': storepath = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'm': mapdir = optarg; break;
		case 'T': theme = optarg; break;
		case 'I':
			errno = 0;
			a->max_iterations = strtoul(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg) {
				fprintf(stderr, "tfdrift: --max-iterations %s: expected a number\n", optarg);
				goto out;
			}
			break;
		case 'P':
			if (tf_parse_duration(optarg, &ro.pace_ms) != 0) {
				fprintf(stderr, "tfdrift: --pace %s: expected a duration (60s, 2m)\n", optarg);
				goto out;
			}
			break;
		case 'N':
			ro.passes = (unsigned)strtoul(optarg, &end, 10);
			if (*end != '\0' || end == optarg) {
				fprintf(stderr, "tfdrift: --passes %s: expected a number (0 = forever)\n", optarg);
				goto out;
			}
			break;
		case 'S':
		case 'U':
			if (tf_parse_time(optarg, ch == 'S' ? &ro.since_ms : &ro.until_ms) != 0) {
				fprintf(stderr, "tfdrift: --%s %s: expected an RFC 3339 time "
				    "(2024-05-27T08:00:00Z)\n", ch == 'S' ? "since" : "until", optarg);
				goto out;
			}
			break;
		case 'X':
			free(a->export_dir);
			a->export_dir = xstrdup(optarg);
			break;
		case 'h':
			ui_usage(stdout, demo);
			rc = 0;
			goto out;
		default:
			ui_usage(stderr, demo);
			goto out;
		}
	}
	if (ro.since_ms != 0 && ro.until_ms != 0 && ro.until_ms <= ro.since_ms) {
		fprintf(stderr, "tfdrift: --until must be after --since\n");
		goto out;
	}
	if (a->export_dir == NULL)
		a->export_dir = xstrdup(".");
	if (optind < argc) {
		fprintf(stderr, "tfdrift: unexpected argument %s\n", argv[optind]);
		ui_usage(stderr, demo);
		goto out;
	}
	if (conf_load_report(&a->conf, cfgpath, stderr) != 0)
		goto out;
	/* A theme that does not load says why before curses starts. */
	if (theme_load(theme != NULL ? theme : a->conf.theme, &th, &errs, &nerrs) != 0) {
		for (i = 0; i < nerrs; i++) {
			fprintf(stderr, "tfdrift: %s\n", errs[i]);
			free(errs[i]);
		}
		free(errs);
		goto out;
	}
	if (demo) {
		const char *names[] = { "prod.tfstate", "gcp.tfstate", "cloudtrail.json", "gcp-audit.json" };

		for (i = 0; i < 4; i++) {
			char *p = xasprintf("%s/doc/examples/%s", tf_datadir(), names[i]);

			strlist_push(i < 2 ? &states : &events, p);
			free(p);
		}
	}
	for (i = 0; states.n == 0 && i < a->conf.states.n; i++)
		strlist_push(&states, a->conf.states.v[i]);
	/* Live: the configured sources, unless files were given to replay. */
	a->live = !demo && events.n == 0 && sources_live(&a->conf);
	if (a->live)
		a->title = "live";
	for (i = 0; !a->live && events.n == 0 && i < a->conf.events.n; i++)
		strlist_push(&events, a->conf.events.v[i]);
	if (states.n == 0 || (events.n == 0 && !a->live)) {
		fprintf(stderr, "tfdrift ui: need at least one --state and one --events input "
		    "(or `states:`/`events:` in the config); try `tfdrift demo`\n");
		goto out;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tfdrift %s: needs a terminal (for files, use tfdrift scan)\n",
		    demo ? "demo" : "ui");
		goto out;
	}
	if (load_engine(a, &states, &events, mapdir, &ro) != 0)
		goto out;
	open_store(a, storepath);
	evlog_init(&a->ui.events, 200000);
	a->ui.model.filter = keep_finding;
	a->ui.model.filter_ctx = &a->ui;
	a->ui.replay = a->replay;
	a->ui.store_path = a->store != NULL ? store_path(a->store) : storepath;
	a->ui.store_problem = a->store != NULL ? store_readonly_reason(a->store) : a->store_reason;
	a->ui.store_version = a->store != NULL ? store_schema_version(a->store) : 0;
	a->ui.states = a->states;
	if (a->live && start_live(a) != 0)
		goto out;
	load_freezes(a, NULL, 0);

	setlocale(LC_ALL, "");
	a->ui.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	tf_fatal_hook = fatal_hook;
	if (initscr() == NULL) {
		fprintf(stderr, "tfdrift: cannot start the terminal interface\n");
		goto out;
	}
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	a->ui.theme = theme_init(&th);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
	    | BUTTON5_PRESSED
#endif
	    , NULL);
	mouseinterval(0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (start_worker(a, &err) != 0) {
		endwin();
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		goto out;
	}
	rc = run(a);
	endwin();
	tf_fatal_hook = NULL;
	if (got_signal != 0)
		rc = 128 + got_signal;
out:
	theme_free(&th);
	app_free(a);
	strlist_clear(&states);
	strlist_clear(&events);
	return rc;
}
