/* view_events: every write event seen, newest first, drift or not, and why it was not drift
 * (the Terraform pipeline, a cloud service, a failed call, a value equal to state, no event
 * map...), with the selected event in full below. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <curses.h>

#include "keys.h"
#include "ui_int.h"

static void
draw_row(const struct ui *u, const struct ui_event *e, int y, int x, int w, int selected)
{
	char t[16], out[96];
	int base, slot, cx = x, nw, aw;

	base = selected ? theme_attr(TS_SELECTION) : theme_attr(TS_NORMAL);
	if (e->why == ND_DRIFT && e->worst >= 0)
		slot = theme_attr(theme_severity_slot(e->worst));
	else if (e->why == ND_TERRAFORM || e->why == ND_SERVICE || e->why == ND_FAILED ||
	    e->why == ND_EQUAL)
		slot = theme_attr(TS_DIM);
	else
		slot = base;
	if (selected)
		slot = base | (int)A_BOLD;
	ui_fill(y, x, w, base);
	ui_time_short(e->time_ms, t);
	cx += ui_put(y, cx + 1, 8, t, base) + 2;
	nw = (w - 60) / 2;
	if (nw < 18)
		nw = 18;
	aw = w - 60 - nw;
	if (aw < 10)
		aw = 10;
	ui_put(y, cx, nw, e->name ? e->name : "?", base);
	cx += nw + 1;
	ui_put(y, cx, aw, e->actor ? e->actor : "?", base);
	cx += aw + 1;
	ui_put(y, cx, 9, tf_via_name(e->via), base);
	cx += 10;
	ui_put(y, cx, 12, e->account ? e->account : "-", base);
	cx += 13;
	evlog_outcome(e, out, sizeof out);
	if (cx < x + w)
		ui_put(y, cx, x + w - cx, out, slot);
	(void)u;
}

static void
draw_detail(const struct ui *u, const struct ui_event *e, int y, int x, int h, int w)
{
	char t[32], out[96];
	int row = 0;

#define LINE(slot, ...) do { \
	if (row < h) { \
		char *_s = xasprintf(__VA_ARGS__); \
		ui_put(y + row++, x + 1, w - 1, _s, theme_attr(slot)); \
		free(_s); \
	} \
} while (0)
	evlog_outcome(e, out, sizeof out);
	tf_format_time(e->time_ms, t);
	LINE(TS_HEADER, "%s  %s", e->name ? e->name : "?", out);
	LINE(TS_NORMAL, "  time: %s  source: %s  provider: %s", t, e->source ? e->source : "?",
	    tf_provider_name(e->provider));
	LINE(TS_NORMAL, "  who: %s%s%s%s  via %s from %s", e->actor ? e->actor : "?",
	    e->actor_type ? " (" : "", e->actor_type ? e->actor_type : "",
	    e->actor_type ? ")" : "", tf_via_name(e->via), e->source_ip ? e->source_ip : "?");
	if (e->principal != NULL)
		LINE(TS_NORMAL, "  principal: %s", e->principal);
	LINE(TS_NORMAL, "  account: %s  region: %s", e->account ? e->account : "?",
	    e->region ? e->region : "?");
	if (e->resource != NULL)
		LINE(TS_NORMAL, "  resource: %s", e->resource);
	if (e->user_agent != NULL)
		LINE(TS_NORMAL, "  user agent: %s", e->user_agent);
	LINE(TS_DIM, "  event id: %s", e->id ? e->id : "?");
	if (e->origin != NULL) {
		/* Long paths lose their start, not the file name and record number. */
		size_t len = strlen(e->origin), room = w > 20 ? (size_t)w - 12 : 8;

		if (len > room)
			LINE(TS_DIM, "  from: ...%s", e->origin + len - room + 3);
		else
			LINE(TS_DIM, "  from: %s", e->origin);
	}
#undef LINE
	(void)u;
}

static void
events_draw(struct ui *u, int y, int x, int h, int w)
{
	struct evlog *l = &u->events;
	int list_h, i, hdr = theme_attr(TS_HEADER);
	char sum[160];

	if (h < 3)
		return;
	/* The detail needs up to 10 lines; short screens get the list only. */
	list_h = h >= 20 ? h - 11 : h - 1;
	/* Counts by outcome. */
	snprintf(sum, sizeof sum, " %llu write events: drift %llu, terraform %llu, service %llu, "
	    "failed %llu, equal %llu, no event map %llu%s",
	    (unsigned long long)l->total, (unsigned long long)l->by_why[ND_DRIFT],
	    (unsigned long long)l->by_why[ND_TERRAFORM], (unsigned long long)l->by_why[ND_SERVICE],
	    (unsigned long long)l->by_why[ND_FAILED], (unsigned long long)l->by_why[ND_EQUAL],
	    (unsigned long long)l->by_why[ND_NOT_COVERED], l->dropped ? " (oldest dropped)" : "");
	ui_fill(y, x, w, hdr);
	ui_put(y, x + 1, 8, "TIME", hdr);
	{
		int nw = (w - 60) / 2, aw;

		if (nw < 18)
			nw = 18;
		aw = w - 60 - nw;
		if (aw < 10)
			aw = 10;
		ui_put(y, x + 11, nw, "EVENT", hdr);
		ui_put(y, x + 12 + nw, aw, "ACTOR", hdr);
		ui_put(y, x + 13 + nw + aw, 9, "VIA", hdr);
		ui_put(y, x + 23 + nw + aw, 12, "ACCOUNT", hdr);
		if (x + 36 + nw + aw < x + w)
			ui_put(y, x + 36 + nw + aw, w - (36 + nw + aw), "OUTCOME", hdr);
	}
	y++;
	list_h--;
	u->ev_h = list_h;
	if (l->n == 0) {
		ui_put(y, x + 2, w - 2, "No write events yet.", theme_attr(TS_DIM));
		return;
	}
	ui_list_fit(&u->ev_list, l->n, list_h);
	for (i = 0; i < list_h && u->ev_list.top + (size_t)i < l->n; i++) {
		size_t r = u->ev_list.top + (size_t)i;

		draw_row(u, evlog_newest(l, r), y + i, x, w, r == u->ev_list.sel);
	}
	if (h >= 20) {
		int dy = y + list_h;

		attrset(theme_attr(TS_DIM));
		for (i = 0; i < w; i++)
			mvaddstr(dy, x + i, ui_hline(u));
		attrset(A_NORMAL);
		ui_put(dy, x + 2, w - 2, sum, theme_attr(TS_DIM));
		draw_detail(u, evlog_newest(l, u->ev_list.sel), dy + 1, x, h - list_h - 2, w);
	}
}

static int
events_key(struct ui *u, int action)
{
	return ui_list_key(&u->ev_list, u->events.n, u->ev_h, action);
}

const struct ui_view view_events = { "events", events_draw, events_key };
