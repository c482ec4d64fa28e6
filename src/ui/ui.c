/* ui: the dashboard's main loop, its chrome and its dispatch. The main thread alone calls
 * curses: it poll()s the terminal and the replay's wake pipe, drains arrived findings into
 * the model (saving them and applying the store's triage) unless paused, handles keys and
 * clicks, and redraws once per pass when something changed. It knows no view by name: keys,
 * clicks, filters, copies, the pager and drill-downs go through ui_views[] (ui_int.h). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>
#include <curses.h>

#include "enrich.h"
#include "eventmap.h"
#include "notify.h"
#include "store.h"
#include "ui_int.h"

#define MSG_SHOW_MS 6000
#define MAX_MESSAGES 1000       /* :messages keeps the newest */
#define MAX_BACK 64

const struct ui_view *const ui_views[UI_NVIEWS] = {
	&view_findings, &view_events, &view_actors, &view_sources, &view_resources,
	&view_resource,
};

/* ---- drawing helpers ---- */

static const char *glyphs[2][G__COUNT] = {
	{ "^", "v", "~", "#" },
	{ "\xe2\x96\xb2", "\xe2\x96\xbc", "\xe2\x80\xa6", "\xe2\x96\x88" },
};
static int glyph_utf8;          /* set once at start, before any drawing */

void
ui_set_glyphs(int utf8)
{
	glyph_utf8 = utf8 != 0;
}

const char *
ui_glyph(enum ui_glyph_id g)
{
	return g < G__COUNT ? glyphs[glyph_utf8][g] : "?";
}

size_t
ui_char(const char *s, mbstate_t *st, wchar_t *wc, int *cw)
{
	size_t k = mbrtowc(wc, s, MB_CUR_MAX, st);   /* s is NUL-terminated: MB_CUR_MAX is safe */

	if (k == (size_t)-1 || k == (size_t)-2 || k == 0) {
		memset(st, 0, sizeof *st);
		*wc = L'?';
		*cw = 1;
		return 1;
	}
	*cw = wcwidth(*wc);
	if (*cw < 0 || *wc < 0x20 || *wc == 0x7f) {
		*wc = L'?';
		*cw = 1;
	}
	return k;
}

int
ui_width(const char *s)
{
	mbstate_t st;
	wchar_t wc;
	int w = 0, cw;

	if (s == NULL)
		return 0;
	memset(&st, 0, sizeof st);
	while (*s != '\0') {
		if ((unsigned char)*s < 0x80) {
			w++;
			s++;
			continue;
		}
		/* The summaries' arrow is "->" outside a UTF-8 locale. */
		if (!glyph_utf8 && strncmp(s, "\xe2\x86\x92", 3) == 0) {
			w += 2;
			s += 3;
			continue;
		}
		s += ui_char(s, &st, &wc, &cw);
		w += cw;
	}
	return w;
}

/* Is the byte at s[i] inside a match of one of the filter's free words? (ASCII folding, as
 * the filter matches.) Marks in hl[] the bytes that are. */
static void
mark_matches(const char *s, size_t len, const struct filter *f, unsigned char *hl)
{
	size_t i, k, wl;
	const char *w;

	memset(hl, 0, len);
	for (k = 0; (w = filter_word(f, k)) != NULL; k++) {
		wl = strlen(w);
		if (wl == 0 || wl > len)
			continue;
		for (i = 0; i + wl <= len; i++)
			if (strncasecmp(s + i, w, wl) == 0)
				memset(hl + i, 1, wl);
	}
}

int
ui_put_hl(int y, int x, int w, const char *s, int attr, const struct filter *f)
{
	mbstate_t st;
	int used = 0, cw, total, hl_attr = theme_attr(TS_MATCH), ell;
	size_t len, off = 0, k;
	unsigned char hlbuf[512], *hl = NULL;
	wchar_t wc;

	if (w <= 0 || s == NULL || y < 0 || y >= LINES || x >= COLS)
		return 0;
	if (x + w > COLS)
		w = COLS - x;
	len = strlen(s);
	if (f != NULL && filter_nwords(f) > 0 && len > 0) {
		hl = len <= sizeof hlbuf ? hlbuf : xmalloc(len);
		mark_matches(s, len, f, hl);
	}
	/* Cut with an ellipsis when it does not fit: the last column says there is more. */
	total = ui_width(s);
	ell = total > w ? 1 : 0;
	move(y, x);
	memset(&st, 0, sizeof st);
	while (off < len && used < w - ell) {
		int a = hl != NULL && hl[off] ? hl_attr : attr;

		if (!glyph_utf8 && strncmp(s + off, "\xe2\x86\x92", 3) == 0) {
			if (used + 2 > w - ell)
				break;
			attrset(a);
			addstr("->");
			used += 2;
			off += 3;
			continue;
		}
		k = ui_char(s + off, &st, &wc, &cw);
		if (used + cw > w - ell)
			break;
		attrset(a);
		addnwstr(&wc, 1);
		used += cw;
		off += k;
	}
	if (ell) {
		attrset(attr);
		addstr(ui_glyph(G_ELLIPSIS));
		used++;
	}
	attrset(A_NORMAL);
	if (hl != NULL && hl != hlbuf)
		free(hl);
	return used;
}

int
ui_put(int y, int x, int w, const char *s, int attr)
{
	return ui_put_hl(y, x, w, s, attr, NULL);
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

void
ui_rule(const struct ui *u, int y, int x, int w, const char *title, int attr)
{
	int i;

	if (y < 0 || y >= LINES)
		return;
	attrset(attr);
	for (i = 0; i < w && x + i < COLS; i++)
		mvaddstr(y, x + i, ui_hline(u));
	attrset(A_NORMAL);
	if (title != NULL && w > 4)
		ui_put(y, x + 2, w - 2, title, attr);
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
ui_time_list(int64_t ms, char out[20])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		strcpy(out, "--:--:--");
		return;
	}
	/* Today (UTC) as the time alone; other days with the date. */
	strftime(out, 20, ms / 86400000 == tf_now_ms() / 86400000 ? "%H:%M:%S" : "%b %d %H:%M",
	    &tm);
}

const char *
ui_plural(uint64_t n, const char *one, const char *many, char *buf, size_t len)
{
	snprintf(buf, len, "%llu %s", (unsigned long long)n, n == 1 ? one : many);
	return buf;
}

/* ---- messages ---- */

void
ui_msg(struct ui *u, int error, const char *fmt, ...)
{
	va_list ap;
	struct ui_message *m;

	free(u->msg);
	va_start(ap, fmt);
	u->msg = xvasprintf(fmt, ap);
	va_end(ap);
	u->msg_error = error;
	u->msg_until = tf_mono_ms() + MSG_SHOW_MS;
	/* Every message stays in :messages (the newest MAX_MESSAGES). */
	if (u->nmsgs == MAX_MESSAGES) {
		free(u->msgs[0].text);
		memmove(u->msgs, u->msgs + 1, (MAX_MESSAGES - 1) * sizeof *u->msgs);
		u->nmsgs--;
	}
	u->msgs = xreallocarray(u->msgs, u->nmsgs + 1, sizeof *u->msgs);
	m = &u->msgs[u->nmsgs++];
	m->at_ms = tf_now_ms();
	m->error = error;
	m->text = xstrdup(u->msg);
	u->dirty = 1;
}

/* ---- views, drill-downs and the back stack ---- */

void
ui_mark_dirty(struct ui *u, int v)
{
	u->vs[v].dirty = 1;
	u->dirty = 1;
}

void
ui_mark_all_dirty(struct ui *u)
{
	int v;

	for (v = 0; v < UI_NVIEWS; v++)
		u->vs[v].dirty = 1;
	u->dirty = 1;
}

void
ui_show_view(struct ui *u, int v)
{
	if (v < 0 || v >= UI_NVIEWS)
		return;
	u->cur = v;
	u->overlay = OV_NONE;
	u->vs[v].dirty = 1;
	u->dirty = 1;
}

int
ui_set_filter(struct ui *u, int v, const char *q, int quiet)
{
	struct ui_vstate *vs = &u->vs[v];
	struct filter *f = NULL;
	char *err = NULL, buf[48];

	while (*q == ' ')
		q++;
	if (*q != '\0' && (f = filter_compile_for(q, vs->v->schema, &err)) == NULL) {
		ui_msg(u, 1, "filter: %s", err);
		free(err);
		return -1;
	}
	filter_free(vs->filter);
	vs->filter = f;
	if (f != NULL && filter_words(f)[0] != '\0') {
		/* n/N keep searching for its words after the filter is cleared. */
		filter_free(u->search);
		u->search = filter_compile_for(q, vs->v->schema, NULL);
	}
	vs->gen++;
	if (v == V_FINDINGS) {
		u->model.filter_gen++;
		u->detail.scroll = 0;
	}
	vs->dirty = 1;
	u->dirty = 1;
	if (!quiet) {
		if (vs->v->rebuild != NULL)
			vs->v->rebuild(u, vs);
		vs->dirty = 0;
		if (f == NULL)
			ui_msg(u, 0, "filter cleared");
		else if (vs->v->count != NULL) {
			size_t n = vs->v->count(u, vs);

			ui_msg(u, 0, "%s match%s (Esc clears the filter)", ui_plural(n, vs->v->item,
			    vs->v->items, buf, sizeof buf), n == 1 ? "es" : "");
		}
		else
			ui_msg(u, 0, "filtered (Esc clears it)");
	}
	return 0;
}

static void
back_free(struct ui_back *b)
{
	free(b->from.sel_id);
	free(b->from.filter);
	free(b->to.sel_id);
	free(b->to.filter);
	free(b->resource);
}

static void
place_save(struct ui *u, int v, struct ui_place *p)
{
	struct ui_vstate *vs = &u->vs[v];

	p->view = v;
	p->sel_id = vs->list.follow ? NULL : xstrdup(vs->list.sel_id);
	p->filter = xstrdup(filter_text(vs->filter));
}

static void
place_restore(struct ui *u, struct ui_place *p)
{
	struct ui_vstate *vs;

	if (p->view < 0)
		return;
	vs = &u->vs[p->view];
	if (strcmp(filter_text(vs->filter), p->filter != NULL ? p->filter : "") != 0)
		ui_set_filter(u, p->view, p->filter != NULL ? p->filter : "", 1);
	ui_list_jump(&vs->list, p->sel_id);
	ui_mark_dirty(u, p->view);
}

/* Where we are, and how view `to` (which a drill-down is about to change) is, for
 * Backspace. */
static void
push_back(struct ui *u, int to)
{
	struct ui_back *b;

	if (u->nback == MAX_BACK) {
		back_free(&u->back[0]);
		memmove(u->back, u->back + 1, (MAX_BACK - 1) * sizeof *u->back);
		u->nback--;
	}
	u->back = xreallocarray(u->back, u->nback + 1, sizeof *u->back);
	b = &u->back[u->nback++];
	memset(b, 0, sizeof *b);
	place_save(u, u->cur, &b->from);
	b->to.view = -1;
	if (to != u->cur)
		place_save(u, to, &b->to);
	b->resource = xstrdup(u->resource);
	b->focus_detail = u->focus_detail;
	b->detail_cursor = u->detail.cursor;
	b->detail_scroll = u->detail.scroll;
	b->show_suppressed = u->model.show_suppressed;
	b->show_resolved = u->model.show_resolved;
	b->bucket_from = u->tl.bucket_from;
	b->bucket_to = u->tl.bucket_to;
}

static void
go_back(struct ui *u)
{
	struct ui_back *b;

	if (u->nback == 0) {
		ui_msg(u, 0, "nothing to go back to (Enter on a row drills down)");
		return;
	}
	b = &u->back[--u->nback];
	free(u->resource);
	u->resource = b->resource;
	b->resource = NULL;
	place_restore(u, &b->to);
	place_restore(u, &b->from);
	if (u->tl.bucket_from != b->bucket_from || u->tl.bucket_to != b->bucket_to ||
	    u->model.show_suppressed != b->show_suppressed ||
	    u->model.show_resolved != b->show_resolved) {
		u->tl.bucket_from = b->bucket_from;
		u->tl.bucket_to = b->bucket_to;
		u->model.show_suppressed = b->show_suppressed;
		u->model.show_resolved = b->show_resolved;
		u->model.filter_gen++;
		ui_mark_dirty(u, V_FINDINGS);
	}
	/* The Findings' detail pane as it was: focused, on the same line. */
	u->focus_detail = b->focus_detail;
	u->detail.cursor = u->focus_detail ? (b->detail_cursor >= 0 ? b->detail_cursor : 0) : -1;
	u->detail.scroll = b->detail_scroll;
	ui_show_view(u, b->from.view);
	back_free(b);
}

void
ui_drill(struct ui *u, int v, const char *filter)
{
	push_back(u, v);
	u->focus_detail = 0;
	u->full_detail = 0;
	if (filter != NULL)
		ui_set_filter(u, v, filter, 1);
	u->vs[v].list.follow = 1;
	ui_show_view(u, v);
}

void
ui_open_resource(struct ui *u, const char *resource)
{
	push_back(u, V_RESOURCE);
	free(u->resource);
	u->resource = xstrdup(resource);
	u->focus_detail = 0;
	u->full_detail = 0;
	ui_set_filter(u, V_RESOURCE, "", 1);
	u->vs[V_RESOURCE].list.follow = 1;
	ui_show_view(u, V_RESOURCE);
}

int
ui_open_finding(struct ui *u, const char *id)
{
	struct ui_vstate *vs = &u->vs[V_FINDINGS];
	size_t i;

	for (i = 0; i < u->model.all.n; i++)
		if (strcmp(u->model.all.v[i]->id, id) == 0)
			break;
	if (i == u->model.all.n)
		return 0;
	push_back(u, V_FINDINGS);
	/* Shown whatever the filter and bucket said. */
	if (u->tl.bucket_to > 0) {
		u->tl.bucket_to = 0;
		u->model.filter_gen++;
	}
	if (!filter_match(vs->filter, u->model.all.v[i]))
		ui_set_filter(u, V_FINDINGS, "", 1);
	if (u->model.all.v[i]->status == ST_SUPPRESSED)
		u->model.show_suppressed = 1;
	if (u->model.all.v[i]->status == ST_RESOLVED)
		u->model.show_resolved = 1;
	ui_list_jump(&vs->list, id);
	u->focus_detail = 0;
	u->detail.cursor = -1;
	u->detail.scroll = 0;           /* another finding: its detail from the top */
	ui_show_view(u, V_FINDINGS);
	ui_mark_dirty(u, V_FINDINGS);
	return 1;
}

/* ---- arrivals ---- */

/* Findings and events that arrived: saved and triaged at once; shown unless paused. */
void
ui_show_arrivals(struct ui *u, struct finding_list *got, struct ui_event_list *evs)
{
	size_t i;

	for (i = 0; i < evs->n; i++) {
		if (evs->v[i].time_ms > u->latest_ms)
			u->latest_ms = evs->v[i].time_ms;
		evlog_add(&u->events, &evs->v[i]);
	}
	for (i = 0; i < got->n; i++) {
		size_t at;

		if (got->v[i]->event_time_ms > u->latest_ms)
			u->latest_ms = got->v[i]->event_time_ms;
		/* A finding shown before (the same id: the same event, resource and kind) arrives
		 * again when it changed, resolved since, say: the new one takes its place. */
		if ((at = model_find(&u->model, got->v[i]->id)) != (size_t)-1)
			model_replace(&u->model, at, got->v[i]);
		else
			model_add(&u->model, got->v[i]);
	}
	if (evs->n > 0 || got->n > 0)
		ui_mark_all_dirty(u);
	got->n = 0;
	ui_event_list_clear(evs);
}

/* The events seen that the maps tie to a resource, read back from their records, to be saved
 * with the findings (tfdrift blame reads them from the store). */
static void
seen_collect(const struct eventmap *map, const struct ui_event_list *evs,
    struct store_seen_buf *seen)
{
	size_t i;

	for (i = 0; i < evs->n; i++) {
		const struct ui_event *ue = &evs->v[i];
		json_object *o;
		struct event ev;
		const char *why = NULL;

		if (ue->raw == NULL || ue->resource == NULL || ue->id == NULL)
			continue;
		if ((o = json_tokener_parse(ue->raw)) == NULL)
			continue;
		memset(&ev, 0, sizeof ev);
		if (event_from_json(o, &ev, &why) == 0) {
			free(ev.id);
			ev.id = xstrdup(ue->id);
			ev.time_ms = ue->time_ms;
			free(ev.origin);
			ev.origin = xstrdup(ue->origin);
			store_seen_add(seen, &ev, xstrdup(ue->resource), eventmap_seen_record(map, &ev));
		}
		event_free(&ev);
		json_object_put(o);
	}
}

static void
drain(struct ui *u)
{
	struct finding_list got = { 0 };
	struct ui_event_list evs = { 0 };
	struct store_seen_buf seen = { 0 };
	int64_t now = tf_now_ms();
	char *err = NULL, *rerr = NULL;
	struct replay_progress p;
	size_t i;

	replay_take(u->replay, &got, &evs);
	/* A file that failed to read: say so once (the Sources view keeps it). */
	replay_progress(u->replay, &p, &rerr);
	if (rerr != NULL && (u->replay_error == NULL || strcmp(rerr, u->replay_error) != 0)) {
		ui_msg(u, 1, "%s", rerr);
		free(u->replay_error);
		u->replay_error = rerr;
	} else
		free(rerr);
	if (u->store != NULL && store_readonly_reason(u->store) == NULL)
		seen_collect(u->map, &evs, &seen);
	if (got.n == 0 && seen.n > 0 && store_seen_flush(u->store, &seen, NULL, &err) != 0) {
		ui_msg(u, 1, "events seen not saved: %s", err);
		ui_store_failed(u);
		free(err);
		err = NULL;
	}
	if (got.n > 0) {
		/* Earlier findings on the same resource (the store is this thread's). */
		for (i = 0; u->store != NULL && i < got.n; i++)
			if (enrich_history(u->store, got.v[i], now, &err) != 0) {
				ui_msg(u, 1, "history not read: %s", err);
				free(err);
				err = NULL;
				break;
			}
		if (u->store != NULL && store_readonly_reason(u->store) == NULL &&
		    store_seen_flush(u->store, &seen, &got, &err) != 0) {
			ui_msg(u, 1, "findings not saved: %s", err);
			ui_store_failed(u);
			free(err);
		}
		for (i = 0; i < got.n; i++) {
			store_triage_apply(u->triage, got.v[i], now);
			/* Open ones as alerts, resolved ones to the outputs with on: [..., resolved]
			 * (not when a suppression holds: a resolved finding keeps only its triage). */
			if (u->notify != NULL && got.v[i]->status != ST_SUPPRESSED &&
			    (got.v[i]->status != ST_RESOLVED ||
			    !store_triage_suppressed(u->triage, got.v[i], now)))
				notify_finding(u->notify, got.v[i]);    /* copies; never waits */
			ui_note_lapse(u, got.v[i]);
		}
	}
	store_seen_clear(&seen);
	if (u->paused) {
		/* Held until resumed: the status line counts them. */
		for (i = 0; i < got.n; i++) {
			if (got.v[i]->status == ST_OPEN && got.v[i]->severity < SEV__COUNT)
				u->held_count[got.v[i]->severity]++;
			finding_list_push(&u->held, got.v[i]);
		}
		for (i = 0; i < evs.n; i++) {
			if (u->held_events.n == u->held_events.cap) {
				u->held_events.cap = u->held_events.cap ? u->held_events.cap * 2 : 64;
				u->held_events.v = xreallocarray(u->held_events.v, u->held_events.cap,
				    sizeof *u->held_events.v);
			}
			u->held_events.v[u->held_events.n++] = evs.v[i];
		}
		if (got.n > 0 || evs.n > 0)
			u->dirty = 1;
		free(got.v);
		free(evs.v);
		return;
	}
	ui_show_arrivals(u, &got, &evs);
	free(got.v);
	free(evs.v);
}

static void
set_paused(struct ui *u, int on)
{
	u->paused = on;
	if (!on) {
		ui_show_arrivals(u, &u->held, &u->held_events);
		memset(u->held_count, 0, sizeof u->held_count);
		ui_msg(u, 0, "resumed");
	} else
		ui_msg(u, 0, "paused: new findings and events wait (Z resumes; counts keep growing)");
	u->dirty = 1;
}

/* ---- drawing ---- */

/* The top line: title, tabs (their columns remembered for clicks), the view's filter and time
 * window (always shown: tabs shrink to their numbers first). */
static void
draw_top(struct ui *u, int w)
{
	struct ui_vstate *vs = &u->vs[u->cur];
	int x = 0, t, hdr = theme_attr(TS_HEADER) | A_REVERSE, compact, need, pw = 0;
	struct strbuf extra, tabs;
	char buf[96], pos[100] = "";

	sb_init(&extra);
	if (vs->filter != NULL && filter_text(vs->filter)[0] != '\0')
		sb_addf(&extra, " /%s", filter_text(vs->filter));
	if (filter_since(vs->filter) != 0 || filter_until(vs->filter) != 0) {
		/* The window as times: since:90m was taken from the clock when it was typed. */
		char f[20], g[20];

		ui_time_list(filter_since(vs->filter), f);
		ui_time_list(filter_until(vs->filter), g);
		if (filter_until(vs->filter) == 0)
			sb_addf(&extra, " [since %s]", f);
		else if (filter_since(vs->filter) == 0)
			sb_addf(&extra, " [until %s]", g);
		else
			sb_addf(&extra, " [%s-%s]", f, g);
	}
	if (u->cur == V_FINDINGS && u->tl.bucket_to > 0) {
		char f[20], g[20];

		ui_time_list(u->tl.bucket_from, f);
		ui_time_list(u->tl.bucket_to, g);
		sb_addf(&extra, " [bucket %s-%s]", f, g);
	}
	if (u->cur == V_RESOURCE && u->resource != NULL)
		sb_addf(&extra, " %s", u->resource);
	/* A sort column whose header cannot carry the mark (hidden, or cut off): say it here. */
	if (u->overlay == OV_NONE && vs->v->count != NULL &&
	    ui_list_sort_offscreen(vs, buf, sizeof buf))
		sb_addf(&extra, " [by %s]", buf);
	/* Tabs in full when the filter still fits, else numbers (the current one in full). */
	sb_init(&tabs);
	for (t = 0; t < UI_NTABS; t++)
		sb_addf(&tabs, " %d %s ", t + 1, ui_views[t]->title);
	/* Where the selection is in the list, at the right end. */
	if (u->overlay == OV_NONE && vs->v->count != NULL &&
	    !(u->cur == V_FINDINGS && u->full_detail)) {
		ui_list_position(&vs->list, vs->v->count(u, vs), buf, sizeof buf);
		snprintf(pos, sizeof pos, " %s ", buf);
		pw = ui_width(pos);
	}
	need = 9 + ui_width(u->title) + 2 + (int)tabs.len + ui_width(extra.buf) + pw;
	compact = need > w;
	sb_free(&tabs);
	ui_fill(0, 0, w, hdr);
	x += ui_put(0, x, w - x, " tfdrift ", hdr | A_BOLD);
	x += ui_put(0, x, w - x, u->title, hdr);
	x += ui_put(0, x, w - x, compact ? " " : "  ", hdr);
	for (t = 0; t < UI_NVIEWS; t++) {
		int active = t == u->cur;

		u->tab_x[t] = x;
		if (t >= UI_NTABS && !active)
			continue;
		if (t >= UI_NTABS)
			snprintf(buf, sizeof buf, " %s ", ui_views[t]->title);
		else if (compact && !active)
			snprintf(buf, sizeof buf, " %d ", t + 1);
		else
			snprintf(buf, sizeof buf, " %d %s ", t + 1, ui_views[t]->title);
		x += ui_put(0, x, w - x, buf, theme_attr(active ? TS_TAB_ACTIVE : TS_TAB_INACTIVE));
	}
	u->tab_x[UI_NVIEWS] = x;
	if (u->paused)
		x += ui_put(0, x, w - x, " PAUSED", hdr | A_BOLD);
	if (extra.len > 0)
		ui_put(0, x, w - x - pw, extra.buf, hdr | A_BOLD);
	if (pw > 0 && w - pw > x)
		ui_put(0, w - pw, pw, pos, hdr | A_BOLD);
	sb_free(&extra);
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

/* The status line's counts at a level of detail: 0 all of them; 1 the severities and
 * triage counts that are 0 left out; 2 shorter words too. */
static void
status_counts(struct strbuf *sb, const size_t *open, size_t nack, size_t nsup, size_t nres,
    const struct model *m, int level)
{
	static const char *const sev[SEV__COUNT] = { "info", "low", "med", "high", "crit" };
	size_t n = 0;
	int s;

	sb_adds(sb, " open:");
	for (s = SEV__COUNT - 1; s >= 0; s--) {
		if (level > 0 && open[s] == 0)
			continue;
		sb_addf(sb, " %s %zu", sev[s], open[s]);
		n++;
	}
	if (n == 0)
		sb_adds(sb, " 0");
	if (level == 0 || nack > 0)
		sb_addf(sb, " | ack %zu", nack);
	if (level == 0 || nsup > 0 || m->show_suppressed)
		sb_addf(sb, " | supp %zu%s", nsup, m->show_suppressed ? " shown" : "");
	if (nres > 0 || m->show_resolved)
		sb_addf(sb, " | %s %zu%s", level < 2 ? "resolved" : "res", nres,
		    m->show_resolved ? " shown" : "");
	sb_adds(sb, " | ");
}

/* How far the replay is (level 2: shorter). */
static void
status_progress(struct strbuf *sb, const struct ui *u, const struct replay_progress *p,
    int level)
{
	if (u->feed != NULL)            /* the store view: what the store holds (live.c) */
		sb_addf(sb, "%s%zu findings", level < 2 ? "store: " : "", u->model.all.n);
	else if (p->phase == RP_LIVE)
		sb_addf(sb, "live: %llu events%s", (unsigned long long)p->events,
		    p->total > 0 ? " (queued)" : "");
	else if (p->finished)
		sb_addf(sb, "%s: %llu events", level < 2 ? "replay done" : "done",
		    (unsigned long long)p->events);
	else if (p->phase == RP_LOADING) {
		if (p->frac >= 0) {
			sb_adds(sb, "loading ");
			if (level < 2) {
				bar(sb, p->frac, 12, u->utf8);
				sb_adds(sb, " ");
			}
			sb_addf(sb, "%3.0f%% %llu events", p->frac * 100, (unsigned long long)p->events);
		} else      /* a pipe: how far is not known */
			sb_addf(sb, "loading... %llu events", (unsigned long long)p->events);
	} else
		sb_addf(sb, "replay %llu/%llu", (unsigned long long)p->done,
		    (unsigned long long)p->total);
	if (u->demo)
		sb_addf(sb, " loop %u", p->pass + 1);
}

/* The status line: counts and progress on the left; what needs attention (paused, failed
 * files, malformed records, read-only) at the right end, where a narrow screen cuts the
 * progress rather than the warnings. */
static void
draw_status(struct ui *u, int y, int w)
{
	struct model *m = &u->model;
	struct replay_progress p;
	struct strbuf sb, flags;
	size_t s, nack = 0, nsup = 0, nres = 0, open[SEV__COUNT];
	int x, fw, level, flags_w, banner_w;

	replay_progress(u->replay, &p, NULL);
	for (s = 0; s < SEV__COUNT; s++) {
		nack += m->count[ST_ACKNOWLEDGED][s];
		nsup += m->count[ST_SUPPRESSED][s];
		nres += m->count[ST_RESOLVED][s];
		open[s] = m->count[ST_OPEN][s] + u->held_count[s];
	}
	sb_init(&flags);
	if (u->paused)
		sb_addf(&flags, " | PAUSED +%zu findings +%zu events (Z)", u->held.n, u->held_events.n);
	{
		struct replay_source *src;
		size_t nsrc, i, failed = 0;
		uint64_t malformed = 0;

		/* Source health: what did not read cleanly (details in the Sources view). */
		replay_sources(u->replay, &src, &nsrc);
		for (i = 0; i < nsrc; i++) {
			failed += src[i].state == RS_FAILED;
			malformed += src[i].malformed;
		}
		replay_sources_free(src, nsrc);
		if (failed > 0)
			sb_addf(&flags, " | %zu file%s FAILED (4)", failed, failed == 1 ? "" : "s");
		if (malformed > 0)
			sb_addf(&flags, " | %llu malformed (4)", (unsigned long long)malformed);
	}
	if (u->store_down_since != 0) {
		char t[32];

		tf_format_time(u->store_down_since, t);
		sb_addf(&flags, " | STORE UNREACHABLE since %s, decisions refused (4)", t + 11);
	}
	if (u->store == NULL || store_readonly_reason(u->store) != NULL)
		sb_adds(&flags, " | READ-ONLY");
	if (flags.len > 0)
		sb_adds(&flags, " ");
	flags_w = ui_width(flags.buf);
	banner_w = u->banner != NULL ? ui_width(u->banner) + 1 : 0;
	/* The whole line when it fits; else zero counts left out, then shorter words, so that
	 * how far the replay is stays in sight; only then is it cut (with …). */
	for (level = 0; level < 3; level++) {
		if (level > 0)
			sb_free(&sb);
		sb_init(&sb);
		status_counts(&sb, open, nack, nsup, nres, m, level);
		status_progress(&sb, u, &p, level);
		if (ui_width(sb.buf) + flags_w <= w - banner_w)
			break;
	}
	ui_fill(y, 0, w, theme_attr(TS_STATUS_BAR));
	x = 0;
	if (u->banner != NULL)
		x = ui_put(y, 0, w, u->banner, theme_attr(TS_FREEZE_BANNER)) + 1;
	fw = ui_width(flags.buf);
	if (ui_width(sb.buf) + fw <= w - x) {
		if (flags.len > 0)
			sb_adds(&sb, flags.buf);        /* all fits: one line, as it reads */
		fw = 0;
	} else {
		if (fw > w - x)
			fw = w - x;
		ui_put(y, w - fw, fw, flags.buf, theme_attr(TS_STATUS_BAR) | A_BOLD);
	}
	ui_put(y, x, w - x - fw, sb.buf, theme_attr(TS_STATUS_BAR));
	sb_free(&flags);
	sb_free(&sb);
}

static const struct key_hint overlay_hints[] = {
	{ ACT_DOWN, ACT_UP }, { ACT_PAGER, ACT_NONE }, { ACT_NONE, ACT_NONE },
};

/* The bottom line: the prompt, else the message (for a while, or until a key), else the key
 * bar for this view, which always keeps "? help" and "q quit". */
static void
draw_bottom(struct ui *u, int y, int w)
{
	const struct ui_view *v = ui_views[u->cur];
	char *keys;

	ui_fill(y, 0, w, A_NORMAL);
	if (u->prompting != P_NONE) {
		ui_prompt_draw(u, y, w);
		return;
	}
	if (u->msg != NULL) {
		ui_put(y, 0, w, u->msg, u->msg_error ? theme_attr(TS_STATUS_ERROR) : (int)A_BOLD);
		return;
	}
	keys = keys_bar(u->overlay != OV_NONE ? overlay_hints : v->hints_now != NULL ?
	    v->hints_now(u) : v->hints, w);
	ui_put(y, 0, w, keys, theme_attr(TS_DIM));
	free(keys);
}

/* Rows up to date: the model's (the status line counts them in every view) and the current
 * view's. Before a draw, and before each key (a key acts on the rows the user sees next). */
static void
refresh_rows(struct ui *u)
{
	struct ui_vstate *vs = &u->vs[u->cur];

	if (u->vs[V_FINDINGS].dirty) {
		view_findings.rebuild(u, &u->vs[V_FINDINGS]);
		u->vs[V_FINDINGS].dirty = 0;
	}
	if (vs->dirty && vs->v->rebuild != NULL) {
		vs->v->rebuild(u, vs);
		vs->dirty = 0;
	}
}

void
ui_draw(struct ui *u)
{
	struct ui_vstate *vs = &u->vs[u->cur];
	int h = LINES, w = COLS, body;

	refresh_rows(u);
	erase();
	if (h < 5 || w < 20) {
		ui_put(0, 0, w, "terminal too small", A_BOLD);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	body = h - 3;                   /* top line, status, bottom line */
	if (u->overlay != OV_NONE)
		ui_overlay_draw(u, 1, 0, body, w);
	else
		vs->v->draw(u, vs, 1, 0, body, w);
	/* The top line after the body: the list has settled its selection and laid out its
	 * columns for this frame, which the position and the sort column depend on. */
	draw_top(u, w);
	if (u->prompting != P_NONE && u->msg != NULL) {
		/* The prompt has the bottom line: what was wrong with the last answer, or what Tab
		 * offers, goes above. */
		int a = u->msg_error ? theme_attr(TS_STATUS_ERROR) : (int)A_BOLD;

		ui_fill(h - 2, 0, w, a);
		ui_put(h - 2, 0, w, u->msg, a);
	} else
		draw_status(u, h - 2, w);
	draw_bottom(u, h - 1, w);
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- input ---- */

/* n/N: the next (dir 1) or previous (-1) row with the search words, wrapping. */
static void
search(struct ui *u, int dir)
{
	struct ui_vstate *vs = &u->vs[u->cur];
	size_t n, i, r;

	if (vs->v->count == NULL || vs->v->search == NULL) {
		ui_msg(u, 0, "n/N search lists; this view has none");
		return;
	}
	if (u->search == NULL) {
		ui_msg(u, 0, "no search: type words after / first");
		return;
	}
	n = vs->v->count(u, vs);
	for (i = 1; i <= n; i++) {
		r = (vs->list.sel + (dir > 0 ? i : n - i)) % n;
		if (vs->v->search(u, vs, r, u->search)) {
			if (dir > 0 ? r <= vs->list.sel : r >= vs->list.sel)
				ui_msg(u, 0, "search wrapped");
			ui_list_select(u, vs, r);
			u->detail.scroll = 0;
			return;
		}
	}
	ui_msg(u, 1, "not found: %s", filter_words(u->search));
}

static void
copy(struct ui *u, int all)
{
	const struct ui_view *v = ui_views[u->cur];
	const char *what = "nothing to copy here";
	char *s = NULL;

	if (v->copy != NULL)
		s = v->copy(u, &u->vs[u->cur], all, &what);
	if (s == NULL) {
		ui_msg(u, 0, "%s", what);
		return;
	}
	ui_copy(u, s, what);
	free(s);
}

static void
pager(struct ui *u)
{
	const struct ui_view *v = ui_views[u->cur];
	char *s = u->overlay != OV_NONE ? ui_overlay_text(u) :
	    v->text != NULL ? v->text(u, &u->vs[u->cur]) : NULL;

	if (s == NULL) {
		ui_msg(u, 0, "nothing to page here (| opens the selected item)");
		return;
	}
	ui_pager(u, s);
	free(s);
}

static void
unknown_key(struct ui *u, int key, int is_code, enum ui_action a)
{
	char name[32];

	keys_describe(key, is_code, name, sizeof name);
	if (a == ACT_NONE)
		ui_msg(u, 0, "%s: no such key (? lists the keys)", name);
	else
		ui_msg(u, 0, "%s (%s) does nothing in the %s view (? lists the keys)", name,
		    ui_action_name(a), ui_views[u->cur]->title);
}

static void
act(struct ui *u, enum ui_action a, int key, int is_code)
{
	struct ui_vstate *vs = &u->vs[u->cur];
	const struct ui_view *v = vs->v;

	if (u->overlay != OV_NONE) {
		if (a == ACT_PAGER)
			pager(u);
		else if (a == ACT_SUSPEND)
			ui_suspend(u);
		else
			ui_overlay_key(u, a);
		return;
	}
	/* Keys every view shares. */
	switch (a) {
	case ACT_TAB_FINDINGS: case ACT_TAB_EVENTS: case ACT_TAB_ACTORS: case ACT_TAB_SOURCES:
	case ACT_TAB_RESOURCES:
		ui_show_view(u, (int)(a - ACT_TAB_FINDINGS));
		return;
	case ACT_NEXT_TAB:
		ui_show_view(u, u->cur >= UI_NTABS ? 0 : (u->cur + 1) % UI_NTABS);
		return;
	case ACT_PREV_TAB:
		ui_show_view(u, u->cur >= UI_NTABS ? UI_NTABS - 1 : (u->cur + UI_NTABS - 1) % UI_NTABS);
		return;
	case ACT_HELP:
		u->overlay = OV_HELP;
		u->ov_pane.scroll = 0;
		return;
	case ACT_REDRAW: clearok(curscr, TRUE); return;
	case ACT_SUSPEND: ui_suspend(u); return;
	case ACT_QUIT: u->quit = 1; return;
	case ACT_FILTER:
		ui_prompt_start(u, P_FILTER, filter_text(vs->filter));
		return;
	case ACT_COMMAND: ui_prompt_start(u, P_COMMAND, NULL); return;
	case ACT_EXPORT: ui_export(u, NULL); return;
	case ACT_FREEZE: ui_prompt_start(u, P_FREEZE_UNTIL, NULL); return;
	case ACT_PAUSE: set_paused(u, !u->paused); return;
	case ACT_BACK: go_back(u); return;
	case ACT_COPY: copy(u, 0); return;
	case ACT_COPY_ALL: copy(u, 1); return;
	case ACT_PAGER: pager(u); return;
	case ACT_SEARCH_NEXT: search(u, 1); return;
	case ACT_SEARCH_PREV: search(u, -1); return;
	case ACT_REFRESH:
		if (u->live) {
			replay_refresh_states(u->replay);
			ui_msg(u, 0, "reading the states again");
		} else
			ui_msg(u, 0, "r reloads states in live mode; a replay keeps the states it started with");
		return;
	default:
		break;
	}
	if ((a == ACT_SORT || a == ACT_SORT_PREV || a == ACT_SORT_NEXT) && v->ncols > 0 &&
	    !(u->cur == V_FINDINGS && (u->focus_detail || u->full_detail))) {
		ui_list_sort_key(u, vs, a);
		return;
	}
	if (v->key != NULL && v->key(u, vs, a))
		return;
	if (a == ACT_SHOW && v->open != NULL && v->open(u, vs))
		return;
	if (a == ACT_CANCEL && u->nback > 0) {
		go_back(u);     /* Esc with nothing to clear goes back, as in k9s */
		return;
	}
	if (a == ACT_CANCEL)
		return;
	unknown_key(u, key, is_code, a);
}

static void
mouse(struct ui *u)
{
	struct ui_vstate *vs = &u->vs[u->cur];
	MEVENT me;
	int t, wheel = 0;

	if (getmouse(&me) != OK)
		return;
	if (me.bstate & BUTTON4_PRESSED)
		wheel = -1;
#ifdef BUTTON5_PRESSED
	else if (me.bstate & BUTTON5_PRESSED)
		wheel = 1;
#endif
	if (wheel == 0 && !(me.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_RELEASED)))
		return;
	if (u->overlay != OV_NONE) {
		if (wheel != 0)
			u->ov_pane.scroll += 3 * wheel;
		return;
	}
	if (me.y == 0 && wheel == 0) {
		for (t = 0; t < UI_NVIEWS; t++)
			if (me.x >= u->tab_x[t] && me.x < u->tab_x[t + 1])
				ui_show_view(u, t);
		return;
	}
	if (me.y >= LINES - 2)
		return;
	if (vs->v->mouse != NULL)
		vs->v->mouse(u, vs, me.y, me.x, wheel);
}

/* Read every key waiting (the terminal is non-blocking under curses' nodelay). */
static void
read_keys(struct ui *u)
{
	wint_t c;
	int r;

	while ((r = get_wch(&c)) != ERR) {
		u->dirty = 1;
		if (r == KEY_CODE_YES && c == KEY_RESIZE)
			continue;       /* curses has resized stdscr; the redraw does the rest */
		if (r == KEY_CODE_YES && c == KEY_MOUSE) {
			if (u->prompting == P_NONE)
				mouse(u);
			continue;
		}
		if (u->prompting != P_NONE) {
			ui_prompt_key(u, r == KEY_CODE_YES, (int)c);
			continue;
		}
		/* A key ends the message: errors too (they stay in :messages). */
		if (u->msg != NULL) {
			free(u->msg);
			u->msg = NULL;
		}
		refresh_rows(u);
		act(u, keys_lookup((int)c, r == KEY_CODE_YES), (int)c, r == KEY_CODE_YES);
		if (u->quit)
			return;
	}
}

/* ---- the loop ---- */

/* Set by the signal handlers, read by the main loop (the only async-signal-safe way). */
static volatile sig_atomic_t got_signal, got_tstp;

static void
on_signal(int sig)
{
	if (sig == SIGTSTP)
		got_tstp = 1;
	else
		got_signal = sig;
}

int
ui_signal(void)
{
	return got_signal;
}

void
ui_install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTSTP, &sa, NULL);
}

static int
timer_ms(int64_t at, int64_t now, int timeout)
{
	int64_t d = at - now + 1;

	if (d < 1)
		d = 1;
	if (d > 3600000)
		d = 3600000;
	return timeout < 0 || d < timeout ? (int)d : timeout;
}

int
ui_run(struct ui *u)
{
	struct pollfd pfd[3];
	unsigned long iter = 0;
	int timeout, n;
	int64_t now;

	u->dirty = 1;
	while (!u->quit && got_signal == 0) {
		if (u->max_iterations != 0 && iter >= u->max_iterations)
			break;
		iter++;
		if (got_tstp) {
			got_tstp = 0;
			ui_suspend(u);
		}
		drain(u);
		ui_store_poll(u);               /* what other processes wrote (live.c) */
		now = tf_mono_ms();
		if (u->msg != NULL && now >= u->msg_until) {
			free(u->msg);
			u->msg = NULL;
			u->dirty = 1;
		}
		if (u->next_lapse != 0 && tf_now_ms() >= u->next_lapse) {
			char *err = NULL;

			/* A suppression expired: its findings are open again. */
			if (ui_retriage(u, &err) != 0) {
				ui_msg(u, 1, "%s", err);
				free(err);
				u->next_lapse = 0;
			}
		}
		if (u->wake_at != 0 && now >= u->wake_at) {
			u->wake_at = 0;
			ui_mark_dirty(u, u->cur);
			u->dirty = 1;
		}
		ui_update_banner(u);
		if (u->dirty) {
			ui_draw(u);
			u->dirty = 0;
		}
		/* Sleep until input, an arrival, or the next timer (a message lapsing...). */
		timeout = -1;
		if (u->msg != NULL)
			timeout = timer_ms(u->msg_until, now, timeout);
		if (u->next_lapse != 0)
			timeout = timer_ms(u->next_lapse, tf_now_ms(), timeout);
		if (u->banner_next != 0)
			timeout = timer_ms(u->banner_next, tf_now_ms(), timeout);
		if (u->wake_at != 0)
			timeout = timer_ms(u->wake_at, now, timeout);
		timeout = ui_store_timeout(u, now, timeout);
		if (u->max_iterations != 0 && (timeout < 0 || timeout > 200))
			timeout = 200;
		pfd[0].fd = u->tty_fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = replay_wake_fd(u->replay);
		pfd[1].events = POLLIN;
		/* A store that says when another process wrote (PostgreSQL's notifications): its
		 * descriptor wakes the loop at once (SQLite: the timer of ui_store_timeout). */
		pfd[2].fd = u->store != NULL && now >= u->store_fd_after ? store_fd(u->store) : -1;
		pfd[2].events = POLLIN;
		pfd[0].revents = pfd[1].revents = pfd[2].revents = 0;
		n = poll(pfd, pfd[2].fd >= 0 ? 3 : 2, timeout);
		if (n < 0 && errno != EINTR)
			tf_fatal("poll: %s", strerror(errno));
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			break;                  /* the terminal went away */
		/* Always: a resize arrives as a signal (EINTR) with KEY_RESIZE queued. */
		read_keys(u);
		if (pfd[1].revents & POLLIN)
			u->dirty = 1;
		if (pfd[2].fd >= 0 && (pfd[2].revents & POLLIN))
			u->store_poll_at = 0;   /* look now (ui_store_poll reads what it says) */
		/* A connection gone bad would wake the loop without end: the timer for a second,
		 * while the store reconnects. */
		if (pfd[2].fd >= 0 && (pfd[2].revents & (POLLHUP | POLLERR | POLLNVAL)))
			u->store_fd_after = tf_mono_ms() + 1000;
	}
	return 0;
}

void
ui_wake_at(struct ui *u, int64_t at_ms)
{
	if (u->wake_at == 0 || at_ms < u->wake_at)
		u->wake_at = at_ms;
}

void
ui_views_init(struct ui *u)
{
	int v;

	for (v = 0; v < UI_NVIEWS; v++) {
		u->vs[v].v = ui_views[v];
		ui_list_init(&u->vs[v].list, ui_views[v]);
		if (ui_views[v]->init != NULL)
			ui_views[v]->init(u, &u->vs[v]);
		u->vs[v].dirty = 1;
	}
	u->detail.cursor = -1;
	u->ov_pane.cursor = -1;
}

void
ui_views_free(struct ui *u)
{
	size_t i;
	int v;

	for (v = 0; v < UI_NVIEWS; v++) {
		if (ui_views[v]->free != NULL)
			ui_views[v]->free(&u->vs[v]);
		filter_free(u->vs[v].filter);
		ui_list_free(&u->vs[v].list);
	}
	for (i = 0; i < u->nback; i++)
		back_free(&u->back[i]);
	free(u->back);
	for (i = 0; i < u->nmsgs; i++)
		free(u->msgs[i].text);
	free(u->msgs);
	ui_pane_free(&u->detail);
	ui_pane_free(&u->ov_pane);
	finding_list_clear(&u->held);
	free(u->held.v);
	ui_event_list_clear(&u->held_events);
	free(u->held_events.v);
}
