/* view_sources: the health of every input: each event file (format, progress, events,
 * malformed records, time range, error), each state (serial, lineage, resources, age), the
 * engine (events/s, findings) and the store (writable or why not). j/k scroll. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curses.h>

#include "keys.h"
#include "notify.h"
#include "states.h"
#include "store.h"
#include "ui_int.h"

/* "3m ago", "2h ago", "4d ago" (ui_int.h). */
void
ui_age(int64_t then_ms, int64_t now_ms, char *out, size_t len)
{
	int64_t s = (now_ms - then_ms) / 1000;

	if (then_ms <= 0)
		snprintf(out, len, "?");
	else if (s < 0)
		snprintf(out, len, "in the future");
	else if (s < 120)
		snprintf(out, len, "%llds ago", (long long)s);
	else if (s < 7200)
		snprintf(out, len, "%lldm ago", (long long)(s / 60));
	else if (s < 172800)
		snprintf(out, len, "%lldh ago", (long long)(s / 3600));
	else
		snprintf(out, len, "%lldd ago", (long long)(s / 86400));
}

static const char *
src_state(int st)
{
	switch (st) {
	case RS_WAITING: return "waiting";
	case RS_READING: return "reading";
	case RS_DONE: return "done";
	default: return "FAILED";
	}
}

/* Everything, or with a since:/until: window the files whose events overlap it (a file
 * not read yet, or with no dated event, always shows). */
static void
build(struct ui *u, struct ui_text *d, const struct filter *f)
{
	struct replay_source *src = NULL;
	struct replay_progress p;
	size_t n = 0, i;
	int64_t now = tf_now_ms();
	char a[32], b[32], c[32];

	replay_progress(u->replay, &p, NULL);
	replay_sources(u->replay, &src, &n);
	ui_text_add(d, TS_HEADER, xasprintf("%s (%zu)", n > 0 && src[0].state == RS_LIVE ? "Sources" :
	    "Event files", n));
	for (i = 0; i < n; i++) {
		const struct replay_source *s = &src[i];

		if (s->state != RS_LIVE && s->first_ms > 0 && (filter_since(f) != 0 ||
		    filter_until(f) != 0) && ((filter_until(f) != 0 && s->first_ms >= filter_until(f)) ||
		    (filter_since(f) != 0 && s->last_ms < filter_since(f))))
			continue;
		if (s->state == RS_LIVE) {
			ui_age(s->last_poll_ms, now, a, sizeof a);
			if (s->lag_ms < 0)
				snprintf(c, sizeof c, "?");
			else
				snprintf(c, sizeof c, "%llds", (long long)(s->lag_ms / 1000));
			ui_text_add(d, s->error ? TS_STATUS_ERROR : TS_NORMAL, xasprintf("  %-7s %s",
			    s->error ? "ERROR" : "live", s->path));
			ui_text_add(d, TS_DIM, xasprintf("          last poll %s  lag %s  %.1f events/s  events %llu  "
			    "requests %llu  retries %llu  errors %llu%s", s->last_poll_ms ? a : "never",
			    c, s->rate, (unsigned long long)s->events,
			    (unsigned long long)s->requests, (unsigned long long)s->retries,
			    (unsigned long long)s->errors, s->progress >= 0 ? "  (backfilling)" : ""));
			if (s->error != NULL)
				ui_text_add(d, TS_STATUS_ERROR, xasprintf("          %s", s->error));
			if (s->lease != NULL)   /* workers: "standby: leased by HOST:PID:ID" */
				ui_text_add(d, TS_DIM, xasprintf("          %s", s->lease));
			continue;
		}
		ui_text_add(d, s->state == RS_FAILED ? TS_STATUS_ERROR : TS_NORMAL,
		    xasprintf("  %-7s %s", src_state(s->state), s->path));
		if (s->state == RS_FAILED)
			ui_text_add(d, TS_STATUS_ERROR, xasprintf("          %s", s->error ? s->error : "?"));
		tf_format_time(s->first_ms, a);
		tf_format_time(s->last_ms, b);
		ui_text_add(d, TS_DIM, xasprintf("          format %s  %.0f%%  records %llu  events %llu  "
		    "read-only %llu  skipped %llu  malformed %llu", s->format,
		    s->progress < 0 ? 0 : s->progress * 100, (unsigned long long)s->records,
		    (unsigned long long)s->events, (unsigned long long)s->read_only,
		    (unsigned long long)s->skipped, (unsigned long long)s->malformed));
		ui_text_add(d, TS_DIM, xasprintf("          duplicates %llu  outside --since/--until %llu  "
		    "%.1f events/s over the last minute", (unsigned long long)s->duplicates,
		    (unsigned long long)s->out_of_window, s->rate));
		if (s->first_ms > 0)
			ui_text_add(d, TS_DIM, xasprintf("          events from %s to %s", a, b));
		if (s->malformed > 0)
			ui_text_add(d, TS_STATUS_ERROR, xasprintf("          %llu malformed record%s were skipped "
			    "(`tfdrift scan` on this file lists them with line numbers)",
			    (unsigned long long)s->malformed, s->malformed == 1 ? "" : "s"));
		if (s->repaired > 0)
			ui_text_add(d, TS_STATUS_ERROR, xasprintf("          %llu event%s had text that is not "
			    "UTF-8 (or a NUL): shown with U+FFFD", (unsigned long long)s->repaired,
			    s->repaired == 1 ? "" : "s"));
	}
	replay_sources_free(src, n);
	{
		struct states_row *rows = NULL;
		size_t nrows = 0;

		if (u->states != NULL)
			states_describe(u->states, &rows, &nrows);
		ui_text_add(d, TS_HEADER, xasprintf("States (%zu)", nrows));
		for (i = 0; i < nrows; i++) {
			const struct state_src_info *si = &rows[i].info;

			ui_age(si->last_change_ms, now, a, sizeof a);
			ui_age(si->last_fetch_ms, now, b, sizeof b);
			ui_text_add(d, si->last_error ? TS_STATUS_ERROR : TS_NORMAL, xasprintf("  %-5s %s",
			    si->kind, si->location ? si->location : "?"));
			ui_text_add(d, TS_DIM, xasprintf("          serial %llu  lineage %.8s  %zu resources  "
			    "terraform %s  changed %s  checked %s  %llu fetch%s, %llu download%s",
			    (unsigned long long)si->serial, si->lineage ? si->lineage : "-",
			    rows[i].resources, rows[i].tf_version ? rows[i].tf_version : "?", a, b,
			    (unsigned long long)si->fetches, si->fetches == 1 ? "" : "es",
			    (unsigned long long)si->downloads, si->downloads == 1 ? "" : "s"));
			if (si->last_error != NULL)
				ui_text_add(d, TS_STATUS_ERROR, xasprintf("          %s (the last good state is in "
				    "use)", si->last_error));
		}
		states_describe_free(rows, nrows);
	}
	ui_text_add(d, TS_HEADER, xstrdup("Engine"));
	tf_format_time(p.latest_ms, c);
	ui_text_add(d, TS_NORMAL, xasprintf("  %llu write events, %llu findings, %.0f events/s; "
	    "%llu read-only skipped, %llu outside --since/--until",
	    (unsigned long long)p.events, (unsigned long long)p.findings, p.rate,
	    (unsigned long long)p.read_only, (unsigned long long)p.out_of_window));
	ui_text_add(d, TS_NORMAL, xasprintf("  newest event %s; %s", p.latest_ms > 0 ? c : "-",
	    p.phase == RP_LIVE ? "live" : p.finished ? "replay finished" :
	    p.phase == RP_LOADING ? "loading" : "replaying"));
	if (u->events.dropped > 0)
		ui_text_add(d, TS_DIM, xasprintf("  the Events view keeps the newest %zu events (%llu older ones "
		    "dropped from view, not from the findings)", u->events.cap,
		    (unsigned long long)u->events.dropped));
	if (u->notify != NULL) {
		struct notify_stat *ns = NULL;
		size_t nn = 0;

		notify_stats(u->notify, &ns, &nn);
		if (nn > 0)
			ui_text_add(d, TS_HEADER, xasprintf("Outputs (%zu)", nn));
		for (i = 0; i < nn; i++) {
			ui_text_add(d, ns[i].last_error ? TS_STATUS_ERROR : TS_NORMAL, xasprintf("  %-7s %s",
			    ns[i].type, ns[i].name));
			ui_text_add(d, TS_DIM, xasprintf("          sent %llu (%llu resolved)  failed %llu  "
			    "retried %llu  deduped %llu  rate-limited %llu  dead-lettered %llu  waiting %zu",
			    (unsigned long long)ns[i].sent, (unsigned long long)ns[i].sent_resolutions,
			    (unsigned long long)ns[i].failed,
			    (unsigned long long)ns[i].retried, (unsigned long long)ns[i].deduped,
			    (unsigned long long)ns[i].rate_limited,
			    (unsigned long long)ns[i].dead_lettered, ns[i].backlog));
			if (ns[i].last_error != NULL)
				ui_text_add(d, TS_STATUS_ERROR, xasprintf("          %s", ns[i].last_error));
		}
		notify_stats_free(ns, nn);
	}
	ui_text_add(d, TS_HEADER, xstrdup("Store"));
	{
		const char *problem = u->store != NULL ? store_readonly_reason(u->store) :
		    u->store_reason;

		char since[32];

		if (u->store_down_since != 0)
			tf_format_time(u->store_down_since, since);
		if (u->store_down_since != 0)
			ui_text_add(d, TS_STATUS_ERROR, xasprintf("  %s  unreachable since %s: "
			    "reconnecting every second; decisions are refused until it is back (make "
			    "them again then)", u->store_label != NULL ? u->store_label : "(none)",
			    since));
		else
			ui_text_add(d, problem != NULL ? TS_STATUS_ERROR : TS_NORMAL, xasprintf("  %s  %s",
			    u->store_label != NULL ? u->store_label : "(none)", problem != NULL ? problem :
			    "writable"));
		if (u->store != NULL)
			ui_text_add(d, TS_DIM, xasprintf("  schema version %d",
			    store_schema_version(u->store)));
		if (u->store != NULL)
			ui_text_add(d, TS_NORMAL, xstrdup(u->feed != NULL ?
			    "  its findings shown as other processes save them; decisions made anywhere "
			    "within a second" : "  decisions made elsewhere shown within a second"));
	}
}

static const struct filter_schema schema = { NULL, 0, "since until" };

static const struct key_hint hints[] = {
	{ ACT_DOWN, ACT_UP }, { ACT_FILTER, ACT_NONE }, { ACT_REFRESH, ACT_NONE },
	{ ACT_COMMAND, ACT_NONE }, { ACT_TAB_FINDINGS, ACT_TAB_RESOURCES }, { ACT_PAGER, ACT_NONE },
	{ ACT_BACK, ACT_NONE }, { ACT_NONE, ACT_NONE },
};

struct spriv {
	struct ui_pane pane;
};

static size_t
block_values(const void *item, int field, const char **out, size_t max, char *scratch)
{
	(void)field;
	if (max < 1)
		return 0;
	out[0] = item;
	return 1;
}

/* Keep the sections' headers and the entries (an entry line and the deeper lines under it)
 * that match the filter's words. */
static void
filter_blocks(const struct filter *f, struct ui_text *in, struct ui_text *out)
{
	size_t i = 0, j, k;

	while (i < in->n) {
		struct strbuf sb;

		if (in->v[i].slot == TS_HEADER || in->v[i].text[0] != ' ') {
			ui_text_add(out, in->v[i].slot, in->v[i].text);
			in->v[i++].text = NULL;
			continue;
		}
		sb_init(&sb);
		for (j = i; j < in->n && (j == i || strncmp(in->v[j].text, "   ", 3) == 0) &&
		    in->v[j].slot != TS_HEADER; j++)
			sb_addf(&sb, "%s\n", in->v[j].text);
		if (filter_match_item(f, sb.buf, block_values, 0))
			for (k = i; k < j; k++) {
				ui_text_add(out, in->v[k].slot, in->v[k].text);
				in->v[k].text = NULL;
			}
		sb_free(&sb);
		i = j;
	}
}

static void
make(struct ui *u, struct ui_vstate *vs, struct ui_text *d)
{
	struct ui_text all = { 0 };

	if (vs->filter == NULL) {
		build(u, d, NULL);
		return;
	}
	build(u, &all, vs->filter);
	filter_blocks(vs->filter, &all, d);
	ui_text_free(&all);
}

static void
sources_draw(struct ui *u, struct ui_vstate *vs, int y, int x, int h, int w)
{
	struct spriv *p = vs->priv;
	struct ui_text d = { 0 };

	if (h <= 0)
		return;
	make(u, vs, &d);
	p->pane.cursor = -1;
	ui_pane_draw(&p->pane, &d, y, x, h, w, vs->filter);
	ui_text_free(&d);
}

static int
sources_key(struct ui *u, struct ui_vstate *vs, enum ui_action a)
{
	struct spriv *p = vs->priv;
	struct ui_text none = { 0 };

	(void)u;
	if (a == ACT_CANCEL && vs->filter != NULL) {
		ui_set_filter(u, V_SOURCES, "", 0);
		return 1;
	}
	return ui_pane_key(&p->pane, &none, a);
}

static int
sources_mouse(struct ui *u, struct ui_vstate *vs, int y, int x, int wheel)
{
	struct spriv *p = vs->priv;

	(void)u;
	(void)y;
	(void)x;
	p->pane.scroll += 3 * wheel;
	return 1;
}

static char *
sources_text(struct ui *u, struct ui_vstate *vs)
{
	struct ui_text d = { 0 };
	char *s;

	make(u, vs, &d);
	s = ui_text_plain(&d);
	ui_text_free(&d);
	return s;
}

static void
sources_init(struct ui *u, struct ui_vstate *vs)
{
	struct spriv *p = xcalloc(1, sizeof *p);

	(void)u;
	p->pane.cursor = -1;
	vs->priv = p;
}

static void
sources_free(struct ui_vstate *vs)
{
	struct spriv *p = vs->priv;

	if (p != NULL)
		ui_pane_free(&p->pane);
	free(p);
	vs->priv = NULL;
}

const struct ui_view view_sources = {
	.name = "sources", .title = "Sources", .item = "line", .items = "lines",
	.hints = hints, .schema = &schema,
	.init = sources_init, .free = sources_free, .draw = sources_draw, .key = sources_key,
	.mouse = sources_mouse, .text = sources_text,
};
