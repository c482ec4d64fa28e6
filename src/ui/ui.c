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
#include <pwd.h>
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
#include "keys.h"
#include "replay.h"
#include "state_index.h"
#include "store.h"
#include "tfstate.h"
#include "ui.h"
#include "ui_int.h"

#define MSG_SHOW_MS 6000
#define SUPPRESS_FOR_MS (24LL * 3600 * 1000)

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
	struct state_index *ix;
	struct detector *det;
	struct replay *replay;
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
	/* Prompt on the bottom line (ack note). */
	int prompting;
	struct strbuf input;            /* UTF-8 */
	char prompt_for[33];            /* the finding id being acknowledged */
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

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
		k = mbrtowc(&wc, s, strlen(s), &st);
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
	a->msg_until = mono_ms() + MSG_SHOW_MS;
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

static void
do_suppress(struct app *a, struct finding *f)
{
	char *key = store_resource_key(f), *err = NULL;
	int64_t did, now = tf_now_ms();

	if (key == NULL) {
		set_msg(a, 1, "this finding names no resource to suppress");
		return;
	}
	if (!can_decide(a)) {
		free(key);
		return;
	}
	if (store_suppress(a->store, SCOPE_RESOURCE, key, now + SUPPRESS_FOR_MS, a->user, NULL, now,
	    &did, &err) != 0) {
		set_msg(a, 1, "not suppressed: %s", err);
		free(err);
		free(key);
		return;
	}
	push_undo(a, did);
	if (retriage(a, &err) != 0) {
		set_msg(a, 1, "suppressed, but the store could not be re-read: %s", err);
		free(err);
	} else
		set_msg(a, 0, "suppressed %s for 1 day (decision %lld; u undoes, S shows suppressed)",
		    key, (long long)did);
	free(key);
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

/* ---- arrivals ---- */

static void
drain(struct app *a)
{
	struct finding_list got = { 0 };
	int64_t now = tf_now_ms();
	char *err = NULL;
	size_t i;

	replay_take(a->replay, &got);
	if (got.n == 0) {
		free(got.v);
		return;
	}
	if (a->store != NULL && store_readonly_reason(a->store) == NULL &&
	    store_put_findings(a->store, &got, &err) != 0) {
		set_msg(a, 1, "findings not saved: %s", err);
		free(err);
	}
	for (i = 0; i < got.n; i++) {
		store_triage_apply(a->triage, got.v[i], now);
		note_lapse(a, got.v[i]);
		model_add(&a->ui.model, got.v[i]);
	}
	free(got.v);        /* the findings now belong to the model */
	model_rebuild(&a->ui.model);
	a->dirty = 1;
}

/* ---- drawing ---- */

static void
draw_status(struct app *a, int y, int w)
{
	struct model *m = &a->ui.model;
	struct replay_progress p;
	struct strbuf sb;
	size_t s, nack = 0, nsup = 0;

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
	if (p.finished)
		sb_addf(&sb, "replay done: %llu events", (unsigned long long)p.total);
	else
		sb_addf(&sb, "replay %llu/%llu%s", (unsigned long long)p.done,
		    (unsigned long long)p.total, "");
	if (a->demo)
		sb_addf(&sb, " loop %u", p.pass + 1);
	if (a->store == NULL || store_readonly_reason(a->store) != NULL)
		sb_adds(&sb, " | READ-ONLY");
	ui_fill(y, 0, w, theme_attr(TS_STATUS_BAR));
	ui_put(y, 0, w, sb.buf, theme_attr(TS_STATUS_BAR));
	sb_free(&sb);
}

static void
draw_bottom(struct app *a, int y, int w)
{
	int n;

	ui_fill(y, 0, w, A_NORMAL);
	if (a->prompting) {
		n = ui_put(y, 0, w, "Note (Enter saves, Esc cancels): ", A_BOLD);
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
	ui_put(y, 0, w, a->ui.focus_detail ?
	    "j/k scroll  Enter/Tab back to list  a ack  s suppress 1d  u undo  ? help  q quit" :
	    "j/k move  g/G top/bottom  Enter detail  a ack  s suppress 1d  u undo  S suppressed  "
	    "o sort  ? help  q quit", theme_attr(TS_DIM));
}

static void
draw(struct app *a)
{
	struct ui *u = &a->ui;
	int h = LINES, w = COLS, body, list_h, y;
	char title[160];

	erase();
	if (h < 5 || w < 20) {
		ui_put(0, 0, w, "terminal too small", A_BOLD);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	snprintf(title, sizeof title, " tfdrift %s  %zu findings  sort: %s%s", a->title,
	    u->model.nrows, u->model.sort == SORT_TIME ? "time" : "severity",
	    u->focus_detail ? "  [detail]" : "");
	ui_fill(0, 0, w, theme_attr(TS_HEADER) | A_REVERSE);
	ui_put(0, 0, w, title, theme_attr(TS_HEADER) | A_REVERSE);
	body = h - 3;                   /* title, status, bottom line */
	if (u->show_help)
		view_help.draw(u, 1, 0, body, w);
	else if (body < 14) {
		/* Small screens: the list, or the detail when it has the focus. */
		if (u->focus_detail)
			view_detail.draw(u, 1, 0, body, w);
		else
			view_findings.draw(u, 1, 0, body, w);
	} else {
		list_h = body * 45 / 100;
		if (list_h < 5)
			list_h = 5;
		view_findings.draw(u, 1, 0, list_h, w);
		y = 1 + list_h;
		attrset(theme_attr(u->focus_detail ? TS_HEADER : TS_DIM));
		for (int x = 0; x < w; x++)
			mvaddstr(y, x, ui_hline(u));
		attrset(A_NORMAL);
		ui_put(y, 2, w - 2, u->focus_detail ? " detail (j/k scroll) " : " detail ",
		    theme_attr(u->focus_detail ? TS_HEADER : TS_DIM));
		view_detail.draw(u, y + 1, 0, body - list_h - 1, w);
	}
	draw_status(a, h - 2, w);
	draw_bottom(a, h - 1, w);
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- input ---- */

static void
prompt_key(struct app *a, int is_key, wint_t c)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t k;

	if (!is_key && (c == L'\n' || c == L'\r')) {
		a->prompting = 0;
		do_ack(a, a->input.buf);
		sb_reset(&a->input);
		return;
	}
	if (!is_key && c == 27) {
		a->prompting = 0;
		sb_reset(&a->input);
		set_msg(a, 0, "not acknowledged");
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
	if (is_key || c < 0x20 || a->input.len > 1000)
		return;
	memset(&st, 0, sizeof st);
	k = wcrtomb(mb, (wchar_t)c, &st);
	if (k != (size_t)-1)
		sb_add(&a->input, mb, k);
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
	if (u->focus_detail && view_detail.key(u, action))
		return;
	switch (action) {
	case ACT_DOWN: model_move(m, 1); u->detail_scroll = 0; break;
	case ACT_UP: model_move(m, -1); u->detail_scroll = 0; break;
	case ACT_PAGE_DOWN: model_move(m, page); u->detail_scroll = 0; break;
	case ACT_PAGE_UP: model_move(m, -page); u->detail_scroll = 0; break;
	case ACT_TOP: model_select_row(m, 0); u->detail_scroll = 0; break;
	case ACT_BOTTOM: if (m->nrows) model_select_row(m, m->nrows - 1); u->detail_scroll = 0; break;
	case ACT_FOCUS: u->focus_detail = !u->focus_detail; break;
	case ACT_ACK:
		if (f == NULL)
			break;
		if (!can_decide(a))
			break;
		memcpy(a->prompt_for, f->id, sizeof a->prompt_for);
		a->prompting = 1;
		sb_reset(&a->input);
		break;
	case ACT_SUPPRESS:
		if (f != NULL)
			do_suppress(a, f);
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
	case ACT_HELP: u->show_help = 1; break;
	case ACT_REDRAW: clearok(curscr, TRUE); break;
	case ACT_QUIT: a->quit = 1; break;
	default: break;
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
		if (a->prompting) {
			prompt_key(a, r == KEY_CODE_YES, c);
			continue;
		}
		if (a->msg != NULL && !a->msg_error) {
			free(a->msg);
			a->msg = NULL;
		}
		act(a, keys_lookup((int)c));
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
		fputs("usage: tfdrift ui --state SRC... --events FILE... [--store PATH] [--theme NAME]\n"
		    "                 [-c FILE] [-m DIR] [--max-iterations N]\n", fp);
	fputs("  --store PATH          triage store (default: the configured one)\n"
	    "  --theme default|monochrome   (NO_COLOR forces monochrome)\n"
	    "  --max-iterations N    leave after N passes of the main loop (tests; also\n"
	    "                        TFDRIFT_UI_ITERATIONS)\n", fp);
}

static const char *
current_user(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return u;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_name != NULL)
		return pw->pw_name;
	return "unknown";
}

/* Maps, states, index, detector and replay: everything before curses starts. 0 ok. */
static int
load_engine(struct app *a, struct strlist *states, struct strlist *events, const char *mapdir,
    const struct replay_opts *ro)
{
	struct tf_state **sts;
	struct tfstate_keep keep;
	const struct index_key_spec *specs;
	char **errs = NULL, *err = NULL;
	size_t nerrs = 0, i, nsts = 0, nspecs;

	if (eventmap_load_dir(mapdir != NULL ? mapdir : conf_event_maps_dir(&a->conf), &a->map,
	    &errs, &nerrs) != 0) {
		for (i = 0; i < nerrs; i++) {
			fprintf(stderr, "tfdrift: %s\n", errs[i]);
			free(errs[i]);
		}
		free(errs);
		a->map = NULL;
		return -1;
	}
	a->keepset = eventmap_attrset_new(a->map);
	keep.fn = eventmap_keep_attr;
	keep.ctx = a->keepset;
	sts = xcalloc(states->n + 1, sizeof *sts);
	for (i = 0; i < states->n; i++) {
		if (tfstate_load_file_keep(states->v[i], &keep, &sts[nsts], &err) != 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			for (i = 0; i < nsts; i++)
				tfstate_free(sts[i]);
			free(sts);
			return -1;
		}
		nsts++;
	}
	specs = eventmap_index_specs(a->map, &nspecs);
	a->ix = state_index_build(sts, nsts, specs, nspecs);
	free(sts);
	a->det = detector_new(a->map, a->ix, &a->conf);
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
	replay_free(a->replay);         /* joins the worker first */
	detector_free(a->det);
	if (a->ix != NULL)
		state_index_unref(a->ix);
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
		now = mono_ms();
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct app app, *a = &app;
	struct strlist states = { 0 }, events = { 0 };
	struct replay_opts ro = { 0, 1 };
	const char *storepath = NULL, *cfgpath = config, *mapdir = NULL, *theme = NULL, *env;
	char **errs = NULL, *file, *err = NULL, *end;
	size_t nerrs = 0, i;
	struct sigaction sa;
	int ch, rc = 1;

	memset(a, 0, sizeof *a);
	sb_init(&a->input);
	a->demo = demo;
	a->title = demo ? "demo" : "replay";
	a->user = current_user();
	conf_init(&a->conf);
	if (demo) {
		ro.pace_ms = 60000;
		ro.passes = 0;
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
		case 'h':
			ui_usage(stdout, demo);
			rc = 0;
			goto out;
		default:
			ui_usage(stderr, demo);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "tfdrift: unexpected argument %s\n", argv[optind]);
		ui_usage(stderr, demo);
		goto out;
	}
	file = conf_find(cfgpath);
	if (file != NULL && conf_load(&a->conf, file, &errs, &nerrs) != 0) {
		for (i = 0; i < nerrs; i++) {
			fprintf(stderr, "%s\n", errs[i]);
			free(errs[i]);
		}
		free(errs);
		free(file);
		goto out;
	}
	free(file);
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
	for (i = 0; events.n == 0 && i < a->conf.events.n; i++)
		strlist_push(&events, a->conf.events.v[i]);
	if (states.n == 0 || events.n == 0) {
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
	a->ui.theme = theme_init(theme != NULL ? theme : a->conf.theme);
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
	app_free(a);
	strlist_clear(&states);
	strlist_clear(&events);
	return rc;
}
