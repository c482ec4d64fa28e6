/* triage: what the dashboard's decisions do: acknowledge, suppress, undo, change freezes
 * (start, change, end) and export. Every decision is committed to the store before the screen
 * says so; a read-only store refuses with its reason (a freeze then holds for this session
 * only, and says so). Main thread only. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "freeze.h"
#include "output.h"
#include "store.h"
#include "ui_int.h"

/* Why decisions cannot be saved, or NULL when they can. */
static const char *
readonly_reason(const struct ui *u)
{
	if (u->store != NULL)
		return store_readonly_reason(u->store);
	return u->store_reason != NULL ? u->store_reason : "no store";
}

/* A store read-only for a passing reason (a full disk, a lock) still tries each decision,
 * which then says why it was not saved: it recovers by itself once the cause is gone. */
int
ui_can_decide(struct ui *u)
{
	return u->store != NULL && store_may_write(u->store);
}

void
ui_note_lapse(struct ui *u, const struct finding *f)
{
	if (f->status == ST_SUPPRESSED && f->triage != NULL && f->triage->until_ms > 0 &&
	    (u->next_lapse == 0 || f->triage->until_ms < u->next_lapse))
		u->next_lapse = f->triage->until_ms;
}

/* Read the decisions made since the triage snapshot was taken, and apply it to every finding
 * (after a decision, or when a suppression expires); decisions made elsewhere are said. */
int
ui_retriage(struct ui *u, char **err)
{
	return ui_triage_sync(u, 1, err);
}

int
ui_triage_sync(struct ui *u, int always, char **err)
{
	struct store_decision *added = NULL;
	int64_t now = tf_now_ms();
	size_t i, nadded = 0;

	if (u->store == NULL)
		return 0;
	/* Only the decisions made since the newest one held (by anyone) are read. */
	if (store_triage_update(u->store, &u->triage, &added, &nadded, err) < 0)
		return -1;
	ui_announce_decisions(u, added, nadded);
	store_decisions_free(added, nadded);
	if (nadded == 0 && !always)
		return 0;
	u->next_lapse = 0;
	for (i = 0; i < u->model.all.n; i++) {
		store_triage_apply(u->triage, u->model.all.v[i], now);
		ui_note_lapse(u, u->model.all.v[i]);
	}
	model_restatus(&u->model);
	ui_mark_all_dirty(u);
	return 0;
}

static void
push_undo(struct ui *u, int64_t id)
{
	if (u->nundo == u->undo_cap) {
		u->undo_cap = u->undo_cap ? u->undo_cap * 2 : 16;
		u->undo = xreallocarray(u->undo, u->undo_cap, sizeof *u->undo);
	}
	u->undo[u->nundo++] = id;
}

static const char *
label_of(const struct finding *f)
{
	return f->address ? f->address : f->resource_id ? f->resource_id : f->id;
}

static struct finding *
find_by_id(struct ui *u, const char *id)
{
	size_t i;

	for (i = 0; i < u->model.all.n; i++)
		if (strcmp(u->model.all.v[i]->id, id) == 0)
			return u->model.all.v[i];
	return NULL;
}

/* a: the note prompt. Read-only, it still opens (so typed text does not become commands)
 * and says that nothing will be saved. */
/* A decision the store did not save is not shown as made. Human decisions are durable before
 * the dashboard says so: one made while the store is unreachable is refused (not queued: a
 * queued decision could be lost with the process, or land after others made theirs), and the
 * message says to make it again once the store is back (the status line says when). Takes
 * err. */
static void
decision_failed(struct ui *u, const char *what, const char *again, char *err)
{
	ui_store_failed(u);
	if (u->store_down_since != 0)
		ui_msg(u, 1, "%s: NOT SAVED, the store is unreachable; %s once it is back: %s", what,
		    again, err);
	else
		ui_msg(u, 1, "%s: %s", what, err);
	free(err);
}

void
ui_start_ack(struct ui *u, struct finding *f)
{
	memcpy(u->prompt_for, f->id, sizeof u->prompt_for);
	ui_prompt_start(u, P_NOTE, NULL);
}

void
ui_start_suppress(struct ui *u, struct finding *f)
{
	memcpy(u->prompt_for, f->id, sizeof u->prompt_for);
	ui_prompt_start(u, P_SUP_SCOPE, NULL);
}

void
ui_do_ack(struct ui *u, const char *finding_id, const char *note)
{
	struct finding *f = find_by_id(u, finding_id);
	char *err = NULL;
	int64_t did;

	if (f == NULL) {
		ui_msg(u, 1, "not acknowledged: finding %.8s is gone", finding_id);
		return;
	}
	if (!ui_can_decide(u)) {
		ui_msg(u, 1, "not acknowledged: read-only (%s)", readonly_reason(u));
		return;
	}
	if (store_ack(u->store, f->id, u->user, note != NULL && *note ? note : NULL, tf_now_ms(),
	    &did, &err) != 0) {
		decision_failed(u, "not acknowledged", "acknowledge it again (a)", err);
		return;
	}
	push_undo(u, did);
	u->own_decision = did;
	if (ui_retriage(u, &err) != 0) {
		ui_msg(u, 1, "acknowledged, but the store could not be re-read: %s", err);
		free(err);
		return;
	}
	ui_msg(u, 0, "acknowledged %s (decision %lld; u undoes)", label_of(f), (long long)did);
}

/* Suppress by scope until a moment (0 = forever). */
void
ui_do_suppress(struct ui *u, int scope, const char *value, int64_t until, const char *note)
{
	char *err = NULL, t[32];
	int64_t did, now = tf_now_ms();

	if (!ui_can_decide(u)) {
		ui_msg(u, 1, "not suppressed: read-only (%s)", readonly_reason(u));
		return;
	}
	if (store_suppress(u->store, (enum store_scope)scope, value, until, u->user,
	    note != NULL && *note ? note : NULL, now, &did, &err) != 0) {
		decision_failed(u, "not suppressed", "suppress it again (s)", err);
		return;
	}
	push_undo(u, did);
	u->own_decision = did;
	if (ui_retriage(u, &err) != 0) {
		ui_msg(u, 1, "suppressed, but the store could not be re-read: %s", err);
		free(err);
		return;
	}
	tf_format_time(until, t);
	ui_msg(u, 0, "suppressed %s %s %s%s (decision %lld; u undoes)",
	    store_scope_name((enum store_scope)scope), value, until ? "until " : "forever",
	    until ? t : "", (long long)did);
}

void
ui_do_undo(struct ui *u)
{
	char *err = NULL;
	int64_t did;

	if (u->nundo == 0) {
		ui_msg(u, 0, "nothing to undo in this session");
		return;
	}
	if (!ui_can_decide(u)) {
		ui_msg(u, 1, "nothing undone: read-only (%s)", readonly_reason(u));
		return;
	}
	if (store_undo(u->store, u->undo[u->nundo - 1], u->user, tf_now_ms(), &did, &err) != 0) {
		decision_failed(u, "not undone", "undo it again (u)", err);
		return;
	}
	u->nundo--;
	u->own_decision = did;
	if (ui_retriage(u, &err) != 0) {
		ui_msg(u, 1, "undone, but the store could not be re-read: %s", err);
		free(err);
	} else
		ui_msg(u, 0, "undid decision %lld", (long long)u->undo[u->nundo]);
}

/* ---- freeze windows ---- */

/* Every window the dashboard knows: the config's and the store's (ended ones too, for the
 * timeline), plus the ad hoc ones of this session when the store could not keep them. The
 * detector gets all but the config's (it has those already). */
void
ui_load_freezes(struct ui *u, const struct freeze_window *adhoc, size_t nadhoc)
{
	struct freeze_window *stored = NULL;
	size_t nstored = 0, i;
	char *err = NULL;

	freeze_windows_free(u->fw, u->nfw);
	u->fw = NULL;
	u->nfw = 0;
	if (u->store != NULL && store_freeze_list(u->store, 1, tf_now_ms(), &stored, &nstored,
	    &err) != 0) {
		ui_msg(u, 1, "freeze windows not read from the store: %s", err);
		free(err);
		stored = NULL;
		nstored = 0;
	}
	for (i = 0; i < nstored; i++)
		freeze_windows_push(&u->fw, &u->nfw, &stored[i]);
	for (i = 0; i < nadhoc; i++)
		freeze_windows_push(&u->fw, &u->nfw, &adhoc[i]);
	if (u->replay != NULL)
		replay_set_freezes(u->replay, u->fw, u->nfw);
	freeze_windows_free(stored, nstored);
	for (i = 0; i < u->conf.nfreezes; i++)
		freeze_windows_push(&u->fw, &u->nfw, &u->conf.freezes[i]);
	free(u->freezes);
	u->freezes = xcalloc(u->nfw + 1, sizeof *u->freezes);
	for (i = 0; i < u->nfw; i++) {
		u->freezes[i].from = u->fw[i].start_ms;
		u->freezes[i].to = u->fw[i].end_ms;
		u->freezes[i].name = u->fw[i].name;
	}
	u->nfreezes = u->nfw;
	u->banner_next = 0;
	u->dirty = 1;
}

/* The banner: the active window and the time left, or the next one today. Sets when it
 * changes next. */
void
ui_update_banner(struct ui *u)
{
	const struct freeze_window *w;
	int64_t now = tf_now_ms(), left;
	char t[32], *old;

	if (u->banner_next != 0 && now < u->banner_next)
		return;
	old = u->banner;
	u->banner = NULL;
	u->banner_next = 0;
	if ((w = freeze_current(u->fw, u->nfw, now)) != NULL) {
		left = w->end_ms - now;
		freeze_format_left(left, t);
		u->banner = xasprintf(" FREEZE %s: %s left ", w->name, t);
		/* The text shows minutes (seconds in the last two): change with it. */
		u->banner_next = now + (left > 120000 ? left % 60000 + 1 : left % 1000 + 1);
		if (u->banner_next > w->end_ms)
			u->banner_next = w->end_ms;
	} else if ((w = freeze_next(u->fw, u->nfw, now)) != NULL) {
		if (w->start_ms - now < 86400000LL) {
			freeze_format_left(w->start_ms - now, t);
			u->banner = xasprintf(" freeze %s in %s ", w->name, t);
			u->banner_next = now + ((w->start_ms - now) > 120000 ?
			    (w->start_ms - now) % 60000 + 1 : (w->start_ms - now) % 1000 + 1);
		} else
			u->banner_next = w->start_ms - 86400000LL;
		if (u->banner_next > w->start_ms)
			u->banner_next = w->start_ms;
	}
	/* Not sooner than a quarter second: the text is no finer, and a clock that does not
	 * move (TFDRIFT_NOW) would otherwise wake the loop every millisecond. */
	if (u->banner_next != 0 && u->banner_next < now + 250)
		u->banner_next = now + 250;
	/* Called on every pass of the loop: only a changed banner is worth a redraw. */
	if ((old == NULL) != (u->banner == NULL) || (old != NULL && strcmp(old, u->banner) != 0))
		u->dirty = 1;
	free(old);
}

/* A window of ours by name that has not ended, or NULL. */
static const struct freeze_window *
active_named(const struct ui *u, const char *name, int64_t now)
{
	size_t i;

	for (i = 0; i < u->nfw; i++)
		if (strcmp(u->fw[i].name, name) == 0 && u->fw[i].end_ms > now)
			return &u->fw[i];
	return NULL;
}

/* Ad hoc windows of this session (the read-only case keeps them in memory). */
static void
session_windows(const struct ui *u, struct freeze_window **v, size_t *n, const char *except)
{
	size_t i;

	*v = NULL;
	*n = 0;
	for (i = 0; i < u->nfw; i++)
		if (u->fw[i].origin == FO_ADHOC && (except == NULL || strcmp(u->fw[i].name, except) != 0))
			freeze_windows_push(v, n, &u->fw[i]);
}

/* A fresh name: adhoc-USER-HHMM, then -2, -3... while one is taken (F twice a minute). */
static char *
fresh_name(const struct ui *u, int64_t now)
{
	time_t s = (time_t)(now / 1000);
	struct tm tm;
	char hm[8] = "now", *name;
	int k;

	if (gmtime_r(&s, &tm) != NULL)
		strftime(hm, sizeof hm, "%H%M", &tm);
	name = xasprintf("adhoc-%s-%s", u->user, hm);
	for (k = 2; active_named(u, name, now) != NULL; k++) {
		free(name);
		name = xasprintf("adhoc-%s-%s-%d", u->user, hm, k);
	}
	return name;
}

void
ui_do_freeze(struct ui *u, const char *name, int64_t until)
{
	struct freeze_window w;
	const struct freeze_window *old;
	char *err = NULL, t[32];
	int64_t now = tf_now_ms();
	int changed = 0;

	memset(&w, 0, sizeof w);
	w.name = name != NULL ? xstrdup(name) : fresh_name(u, now);
	w.start_ms = now;
	w.end_ms = until;
	w.origin = FO_ADHOC;
	tf_format_time(until, t);
	/* :freeze NAME UNTIL on a window that is on: change its end (it keeps its start). */
	if ((old = active_named(u, w.name, now)) != NULL) {
		if (old->origin == FO_CONFIG) {
			ui_msg(u, 1, "freeze %s comes from the config: change it there", w.name);
			freeze_window_clear(&w);
			return;
		}
		if (old->start_ms < now)
			w.start_ms = old->start_ms;
		changed = 1;
	}
	if (ui_can_decide(u)) {
		if (changed && store_freeze_end(u->store, w.name, u->user, now, NULL, &err) != 0) {
			ui_msg(u, 1, "freeze %s not changed: %s", w.name, err);
			free(err);
		} else if (store_freeze_add(u->store, &w, u->user, now, NULL, &err) != 0) {
			ui_msg(u, 1, "no freeze: %s", err);
			free(err);
		} else {
			ui_load_freezes(u, NULL, 0);
			ui_msg(u, 0, "freeze %s %s %s: every write by a person is a finding "
			    "(:unfreeze %s ends it)", w.name, changed ? "now until" : "until", t, w.name);
		}
	} else {
		/* Read-only: it holds for this session, and says so. */
		struct freeze_window *adhoc;
		size_t n;

		session_windows(u, &adhoc, &n, changed ? w.name : NULL);
		freeze_windows_push(&adhoc, &n, &w);
		ui_load_freezes(u, adhoc, n);
		freeze_windows_free(adhoc, n);
		ui_msg(u, 1, "freeze %s until %s for this session only: read-only (%s)", w.name, t,
		    readonly_reason(u));
	}
	freeze_window_clear(&w);
	ui_update_banner(u);
}

void
ui_do_unfreeze(struct ui *u, const char *name)
{
	const struct freeze_window *w;
	int64_t now = tf_now_ms();
	char *err = NULL;
	int cancelled = 0;

	if ((w = active_named(u, name, now)) == NULL) {
		ui_msg(u, 1, "no freeze called %s is on or planned (:freeze lists them in the banner)",
		    name);
		return;
	}
	if (w->origin == FO_CONFIG) {
		ui_msg(u, 1, "freeze %s comes from the config: remove it there", name);
		return;
	}
	if (w->origin == FO_ADHOC && !ui_can_decide(u)) {
		struct freeze_window *adhoc;
		size_t n;

		session_windows(u, &adhoc, &n, name);
		ui_load_freezes(u, adhoc, n);
		freeze_windows_free(adhoc, n);
		ui_msg(u, 0, "freeze %s ended (it was for this session only)", name);
	} else if (!ui_can_decide(u)) {
		ui_msg(u, 1, "freeze %s not ended: read-only (%s)", name, readonly_reason(u));
		return;
	} else if (store_freeze_end(u->store, name, u->user, now, &cancelled, &err) != 0) {
		ui_msg(u, 1, "freeze %s not ended: %s", name, err);
		free(err);
		return;
	} else {
		ui_load_freezes(u, NULL, 0);
		ui_msg(u, 0, "freeze %s %s", name, cancelled ? "cancelled (it had not started)" : "ended");
	}
	ui_update_banner(u);
}

/* The store's window with this id among ours, or NULL. */
static const struct freeze_window *
stored_by_id(const struct ui *u, int64_t id)
{
	size_t i;

	for (i = 0; i < u->nfw; i++)
		if (u->fw[i].origin == FO_STORE && u->fw[i].id == id)
			return &u->fw[i];
	return NULL;
}

void
ui_refresh_freezes(struct ui *u)
{
	struct freeze_window *stored = NULL, *adhoc;
	size_t nstored = 0, nold = 0, i, nadhoc;
	int64_t now = tf_now_ms();
	char *err = NULL, t[32], ago[32];
	int changed = 0;

	if (u->store == NULL)
		return;
	if (store_freeze_list(u->store, 1, now, &stored, &nstored, &err) != 0) {
		ui_msg(u, 1, "freeze windows not read from the store: %s", err);
		free(err);
		return;
	}
	for (i = 0; i < u->nfw; i++)
		nold += u->fw[i].origin == FO_STORE;
	changed = nold != nstored;
	for (i = 0; i < nstored; i++) {
		const struct freeze_window *w = &stored[i], *old = stored_by_id(u, w->id);

		if (old != NULL && old->start_ms == w->start_ms && old->end_ms == w->end_ms)
			continue;
		changed = 1;
		tf_format_time(w->end_ms, t);
		if (old == NULL) {
			ui_age(w->created_ms, now, ago, sizeof ago);
			ui_msg(u, 0, "%s %s freeze %s %s (until %s)", w->created_by != NULL ?
			    w->created_by : "someone", w->start_ms > now ? "planned" : "started", w->name,
			    ago, t);
		} else if (w->end_ms <= now + 1000 && w->end_ms < old->end_ms)
			ui_msg(u, 0, "freeze %s ended", w->name);   /* (an end can be now + 1 ms) */
		else
			ui_msg(u, 0, "freeze %s now until %s", w->name, t);
	}
	/* Cancelled ones (they had not started) are no longer listed. */
	for (i = 0; i < u->nfw; i++) {
		size_t k;

		if (u->fw[i].origin != FO_STORE)
			continue;
		for (k = 0; k < nstored && stored[k].id != u->fw[i].id; k++)
			;
		if (k == nstored)
			ui_msg(u, 0, "freeze %s cancelled", u->fw[i].name);
	}
	freeze_windows_free(stored, nstored);
	if (!changed)
		return;
	/* Keep this session's own windows (a read-only store). */
	session_windows(u, &adhoc, &nadhoc, NULL);
	ui_load_freezes(u, adhoc, nadhoc);
	freeze_windows_free(adhoc, nadhoc);
	ui_update_banner(u);
}

/* ---- export ---- */

/* e (path NULL: a new file in the export directory) and :export PATH: the findings shown,
 * with their triage, as a findings document, written atomically. */
void
ui_export(struct ui *u, const char *path)
{
	struct model *m = &u->model;
	struct finding_list l = { 0 };
	struct out_opts o = { OUT_JSON, 0, NULL };
	char t[32], stamp[32], *file = NULL, *err = NULL, *abs = NULL, cwd[PATH_MAX];
	size_t i, j = 0;
	int n;

	if (m->nrows == 0) {
		ui_msg(u, 0, "nothing to export: no findings are shown (the filter, the bucket or S "
		    "decide which)");
		return;
	}
	for (i = 0; i < m->nrows; i++) {
		finding_list_push(&l, m->all.v[m->rows[i]]);
		model_load(m, m->all.v[m->rows[i]]);    /* their change values and tags */
	}
	if (path != NULL)
		file = xstrdup(path);
	else {
		tf_format_time(tf_now_ms(), t);
		/* 2024-05-27T12:00:00Z -> 20240527T120000Z */
		for (i = 0; t[i] != '\0' && j + 1 < sizeof stamp; i++)
			if (t[i] != '-' && t[i] != ':' && t[i] != '.')
				stamp[j++] = t[i];
		stamp[j] = '\0';
		for (n = 0; n < 100; n++) {
			free(file);
			file = n == 0 ? xasprintf("%s/tfdrift-findings-%s.json", u->export_dir, stamp) :
			    xasprintf("%s/tfdrift-findings-%s-%d.json", u->export_dir, stamp, n);
			if (access(file, F_OK) != 0)
				break;
		}
	}
	/* Say where, absolutely: the dashboard's directory is not always the user's. */
	if (file[0] != '/' && getcwd(cwd, sizeof cwd) != NULL)
		abs = xasprintf("%s/%s", cwd, file);
	else
		abs = xstrdup(file);
	if (tf_mkdir_parents(abs, &err) != 0 || output_write_file(abs, &l, &o, &err) != 0) {
		ui_msg(u, 1, "not exported: %s", err);
		free(err);
	} else
		ui_msg(u, 0, "exported %zu finding%s to %s", l.n, l.n == 1 ? "" : "s", abs);
	free(abs);
	free(file);
	model_unload_all(m);
	free(l.v);          /* the findings stay the model's */
}
