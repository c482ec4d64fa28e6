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
#include "ui_int.h"

/* "3m ago", "2h ago", "4d ago". */
static void
age(int64_t then_ms, int64_t now_ms, char *out, size_t len)
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

static void
build(struct ui *u, struct ui_text *d)
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

		if (s->state == RS_LIVE) {
			age(s->last_poll_ms, now, a, sizeof a);
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

			age(si->last_change_ms, now, a, sizeof a);
			age(si->last_fetch_ms, now, b, sizeof b);
			ui_text_add(d, si->last_error ? TS_STATUS_ERROR : TS_NORMAL, xasprintf("  %-5s %s",
			    si->kind, si->location ? si->location : "?"));
			ui_text_add(d, TS_DIM, xasprintf("          serial %llu  lineage %.8s  %zu resources  "
			    "terraform %s  changed %s  checked %s  %llu fetches, %llu downloads",
			    (unsigned long long)si->serial, si->lineage ? si->lineage : "-",
			    rows[i].resources, rows[i].tf_version ? rows[i].tf_version : "?", a, b,
			    (unsigned long long)si->fetches, (unsigned long long)si->downloads));
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
			ui_text_add(d, TS_DIM, xasprintf("          sent %llu  failed %llu  retried %llu  deduped "
			    "%llu  rate-limited %llu  dead-lettered %llu  waiting %zu",
			    (unsigned long long)ns[i].sent, (unsigned long long)ns[i].failed,
			    (unsigned long long)ns[i].retried, (unsigned long long)ns[i].deduped,
			    (unsigned long long)ns[i].rate_limited,
			    (unsigned long long)ns[i].dead_lettered, ns[i].backlog));
			if (ns[i].last_error != NULL)
				ui_text_add(d, TS_STATUS_ERROR, xasprintf("          %s", ns[i].last_error));
		}
		notify_stats_free(ns, nn);
	}
	ui_text_add(d, TS_HEADER, xstrdup("Store"));
	ui_text_add(d, u->store_problem ? TS_STATUS_ERROR : TS_NORMAL, xasprintf("  %s  %s",
	    u->store_path ? u->store_path : "(none)", u->store_problem ?
	    u->store_problem : "writable"));
	if (u->store_version > 0)
		ui_text_add(d, TS_DIM, xasprintf("  schema version %d", u->store_version));
}

static void
sources_draw(struct ui *u, int y, int x, int h, int w)
{
	struct ui_text d = { 0 };

	if (h <= 0)
		return;
	build(u, &d);
	u->src_h = h;
	u->src_lines = (int)d.n;
	ui_text_draw(&d, &u->src_scroll, y, x, h, w);
	ui_text_free(&d);
}

static int
sources_key(struct ui *u, int action)
{
	return ui_text_key(&u->src_scroll, u->src_lines, u->src_h, action);
}

const struct ui_view view_sources = { "sources", sources_draw, sources_key };
