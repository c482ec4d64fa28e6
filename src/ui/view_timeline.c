/* view_timeline: the band above the findings: one column per time bucket (10 s, 1 min,
 * 5 min or 1 h; z zooms), its height the number of write events, its colour the worst severity of the
 * bucket's drift still there (timeline-resolved when all of it has resolved), freeze windows marked under it, times on the axis. h/l walk the buckets,
 * [ ] jump to the previous/next bucket with events, a click picks one; the findings list then
 * shows only that bucket; Esc clears it; t hides the band. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curses.h>

#include "keys.h"
#include "ui_int.h"

#define LABEL_W 6               /* the scale column on the left */

int64_t
ui_timeline_bucket_ms(int zoom)
{
	static const int64_t b[] = { 10000, 60000, 300000, 3600000 };

	return b[zoom >= 0 && zoom < UI_ZOOMS ? zoom : 1];
}

/* Count events and find the worst severity per bucket, cached until something changes. */
static void
count(struct ui *u, int columns, int64_t left_ms, int64_t bucket)
{
	struct ui_timeline *t = &u->tl;
	uint64_t key = u->events.gen * 31u + u->model.all.n * 131u + (uint64_t)left_ms * 7u +
	    (uint64_t)columns * 17u + (uint64_t)bucket + u->model.replaced * 1009u;
	size_t i;

	/* Statuses change on triage without a new finding: fold the counts in. */
	for (i = 0; i < ST__COUNT; i++)
		key = key * 3u + u->model.count[i][SEV_CRITICAL] + u->model.count[i][SEV_HIGH];
	if (t->counts != NULL && t->ncounts == (size_t)columns && t->cache_key == key)
		return;
	t->cache_key = key;
	free(t->counts);
	free(t->worst);
	t->ncounts = (size_t)columns;
	t->counts = xcalloc((size_t)columns + 1, sizeof *t->counts);
	t->worst = xcalloc((size_t)columns + 1, sizeof *t->worst);
	for (i = 0; i < u->events.n; i++) {
		int64_t tm = evlog_at(&u->events, i)->time_ms;

		if (tm >= left_ms && tm < left_ms + bucket * columns)
			t->counts[(tm - left_ms) / bucket]++;
	}
	model_worst_in(&u->model, left_ms, bucket, (size_t)columns, t->worst);
}

/* An axis label: "09:15", or the date where a day starts ("May 27"). */
static void
label(int64_t ms, int64_t bucket, char *out, size_t len)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&s, &tm) == NULL) {
		snprintf(out, len, "?");
		return;
	}
	strftime(out, len, ms % 86400000 < bucket ? "%b %d" : bucket < 60000 ? "%H:%M:%S" : "%H:%M",
	    &tm);
}

void
ui_timeline_draw(struct ui *u, int y, int x, int h, int w)
{
	static const char *blocks[] = { " ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
		"\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	struct ui_timeline *t = &u->tl;
	int64_t bucket = ui_timeline_bucket_ms(t->zoom), right, left, step;
	int bars = h - 1, columns = w - LABEL_W - 1, c, r, sel = -1, last_label;
	uint32_t max = 0;
	char buf[32];
	size_t i;

	t->h = 0;
	if (h < 2 || columns < 4)
		return;
	/* The right edge: the newest time seen, to the end of its bucket. */
	right = u->latest_ms > 0 ? u->latest_ms : tf_now_ms();
	right = (right / bucket + 1) * bucket;
	left = right - bucket * columns;
	t->right_ms = right;
	t->columns = columns;
	t->x0 = x + LABEL_W + 1;
	t->y0 = y;
	t->h = h;
	count(u, columns, left, bucket);
	for (c = 0; c < columns; c++)
		if (t->counts[c] > max)
			max = t->counts[c];
	if (t->bucket_to > 0 && t->bucket_from >= left && t->bucket_from < right)
		sel = (int)((t->bucket_from - left) / bucket);
	/* Scale label: the tallest bucket. */
	snprintf(buf, sizeof buf, "%5u", max);
	ui_put(y, x, LABEL_W, buf, theme_attr(TS_DIM));
	ui_put(y + bars - 1, x, LABEL_W, "    0", theme_attr(TS_DIM));
	for (c = 0; c < columns; c++) {
		uint32_t v = t->counts[c];
		int level = max > 0 ? (int)(((uint64_t)v * (uint64_t)bars * 8 + max - 1) / max) : 0;
		int resolved = t->worst[c] == MODEL_RESOLVED_ONLY;
		int attr = t->worst[c] == SEV_CRITICAL ? theme_attr(TS_TIMELINE_CRITICAL) :
		    t->worst[c] >= 0 ? theme_attr(theme_severity_slot(t->worst[c])) :
		    resolved ? theme_attr(TS_TIMELINE_RESOLVED) : theme_attr(TS_TIMELINE_BAR);

		if (c == sel)
			attr |= A_REVERSE;
		for (r = 0; r < bars; r++) {
			int part = level - (bars - 1 - r) * 8;
			const char *g;

			if (part <= 0)
				g = c == sel ? " " : NULL;
			else if (u->utf8)
				g = blocks[part >= 8 ? 8 : part];
			else
				g = part >= 4 ? (resolved ? ":" : "#") : ".";
			if (g != NULL)
				ui_put(y + r, t->x0 + c, 1, g, attr);
		}
	}
	/* Axis: freeze windows, the selected bucket, and time labels on round times. */
	r = y + bars;
	ui_fill(r, x, w, theme_attr(TS_DIM));
	for (i = 0; i < u->nfreezes; i++)
		for (c = 0; c < columns; c++) {
			int64_t b0 = left + bucket * c;

			if (b0 + bucket > u->freezes[i].from && b0 < u->freezes[i].to)
				ui_put(r, t->x0 + c, 1, u->utf8 ? "\xe2\x96\x80" : "=",
				    theme_attr(TS_TIMELINE_FREEZE));
		}
	/* A label every 2 min (10 s buckets), 15 min (1 min), hour (5 min) or 6 h (1 h). */
	step = bucket * 12;
	while (step / bucket < 8)
		step *= 2;
	last_label = -100;
	for (c = 0; c < columns; c++) {
		int64_t b0 = left + bucket * c;

		if (b0 % step != 0 && b0 % 86400000 != 0)
			continue;
		label(b0, bucket, buf, sizeof buf);
		if (c - last_label < ui_width(buf) + 2 || c + ui_width(buf) > columns)
			continue;
		if (sel >= c && sel < c + ui_width(buf))
			continue;       /* the selected bucket's ^ would cut it ("^0:00") */
		ui_put(r, t->x0 + c, ui_width(buf), buf, theme_attr(TS_DIM));
		last_label = c;
	}
	snprintf(buf, sizeof buf, "%s", bucket == 10000 ? "10s" : bucket == 60000 ? "1m" :
	    bucket == 300000 ? "5m" : "1h");
	ui_put(r, x, LABEL_W, buf, theme_attr(t->bucket_to > 0 ? TS_HEADER : TS_DIM));
	if (sel >= 0)
		ui_put(r, t->x0 + sel, 1, "^", theme_attr(TS_HEADER) | A_BOLD);
}

/* Select the bucket starting at from (clamped to what is drawn). */
static void
select_bucket(struct ui *u, int64_t from)
{
	struct ui_timeline *t = &u->tl;
	int64_t bucket = ui_timeline_bucket_ms(t->zoom), left;

	if (t->columns <= 0 || t->right_ms <= 0)
		return;
	left = t->right_ms - bucket * t->columns;
	if (from < left)
		from = left;
	if (from >= t->right_ms)
		from = t->right_ms - bucket;
	from = from / bucket * bucket;
	t->bucket_from = from;
	t->bucket_to = from + bucket;
}

/* ]/[: the next (dir 1) or previous (-1) bucket with events, from the selected one (or the
 * right edge). 0 when there is none that way. */
static int
jump(struct ui *u, int dir)
{
	struct ui_timeline *t = &u->tl;
	int64_t bucket = ui_timeline_bucket_ms(t->zoom), left = t->right_ms - bucket * t->columns;
	int c;

	if (t->counts == NULL || t->columns <= 0)
		return 0;
	c = t->bucket_to > 0 ? (int)((t->bucket_from - left) / bucket) : dir < 0 ? t->columns : -1;
	for (c += dir; c >= 0 && c < t->columns && (size_t)c < t->ncounts; c += dir)
		if (t->counts[c] > 0) {
			select_bucket(u, left + bucket * c);
			return 1;
		}
	return 0;
}

int
ui_timeline_key(struct ui *u, enum ui_action a)
{
	struct ui_timeline *t = &u->tl;
	int64_t bucket = ui_timeline_bucket_ms(t->zoom);

	switch (a) {
	case ACT_LEFT:
		select_bucket(u, t->bucket_to > 0 ? t->bucket_from - bucket : t->right_ms - bucket);
		return 1;
	case ACT_RIGHT:
		select_bucket(u, t->bucket_to > 0 ? t->bucket_from + bucket : t->right_ms - bucket);
		return 1;
	case ACT_BUCKET_PREV:
	case ACT_BUCKET_NEXT:
		if (!jump(u, a == ACT_BUCKET_NEXT ? 1 : -1))
			ui_msg(u, 0, "no %s bucket with events", a == ACT_BUCKET_NEXT ? "newer" : "older");
		return 1;
	case ACT_ZOOM:
		t->zoom = (t->zoom + 1) % UI_ZOOMS;
		if (t->bucket_to > 0) {
			/* Keep the bucket that holds the old one's start. */
			bucket = ui_timeline_bucket_ms(t->zoom);
			t->bucket_from = t->bucket_from / bucket * bucket;
			t->bucket_to = t->bucket_from + bucket;
		}
		return 1;
	default:
		return 0;
	}
}

int
ui_timeline_click(struct ui *u, int y, int x)
{
	struct ui_timeline *t = &u->tl;
	int64_t bucket = ui_timeline_bucket_ms(t->zoom);
	int c = x - t->x0;

	(void)y;
	if (c < 0 || c >= t->columns)
		return 0;
	select_bucket(u, t->right_ms - bucket * t->columns + bucket * c);
	return 1;
}
