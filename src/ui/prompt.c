/* prompt: the bottom line when it asks for something: a note, a filter, a command, a time, or
 * one key (the suppress steps). A small line editor (cursor, Home/End, ^A ^E ^U ^K ^W,
 * Delete), a history per kind (Up/Down), and Tab completion of commands and filter fields.
 * Main thread only. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>
#include <curses.h>

#include "store.h"
#include "ui_int.h"

#define HIST_MAX 100

/* Which history a prompt uses, or -1. */
static int
hist_of(enum ui_prompt k)
{
	return k == P_FILTER ? 0 : k == P_COMMAND ? 1 : k == P_NOTE ? 2 : -1;
}

static void
hist_add(struct ui *u, int h, const char *text)
{
	if (h < 0 || text[0] == '\0')
		return;
	if (u->nhist[h] > 0 && strcmp(u->hist[h][u->nhist[h] - 1], text) == 0)
		return;
	if (u->nhist[h] == HIST_MAX) {
		free(u->hist[h][0]);
		memmove(u->hist[h], u->hist[h] + 1, (HIST_MAX - 1) * sizeof *u->hist[h]);
		u->nhist[h]--;
	}
	u->hist[h] = xreallocarray(u->hist[h], u->nhist[h] + 1, sizeof *u->hist[h]);
	u->hist[h][u->nhist[h]++] = xstrdup(text);
}

void
ui_prompt_free(struct ui *u)
{
	int h;
	size_t i;

	for (h = 0; h < 3; h++) {
		for (i = 0; i < u->nhist[h]; i++)
			free(u->hist[h][i]);
		free(u->hist[h]);
		u->hist[h] = NULL;
		u->nhist[h] = 0;
	}
	free(u->hist_draft);
	u->hist_draft = NULL;
	sb_free(&u->input);
	free(u->sup_value);
	u->sup_value = NULL;
}

static void
set_input(struct ui *u, const char *s)
{
	sb_reset(&u->input);
	if (s != NULL)
		sb_adds(&u->input, s);
	u->cursor = u->input.len;
}

static const char *
readonly_reason(const struct ui *u)
{
	if (u->store != NULL)
		return store_readonly_reason(u->store);
	return u->store_reason != NULL ? u->store_reason : "no store";
}

void
ui_prompt_start(struct ui *u, enum ui_prompt k, const char *initial)
{
	u->prompting = k;
	set_input(u, initial);
	/* Read-only: the reason goes on the line above the prompt, which still takes what is
	 * typed (so no key of a note becomes a command). */
	if ((k == P_NOTE || k == P_SUP_SCOPE || k == P_FREEZE_UNTIL) && !ui_can_decide(u))
		ui_msg(u, 1, "read-only: %s", readonly_reason(u));
	u->hist_pos = -1;
	free(u->hist_draft);
	u->hist_draft = NULL;
	u->dirty = 1;
}


/* An example time for the until prompts, from now: two hours on, rounded to half an hour. */
static void
example_times(char hm[8], char rfc[32])
{
	int64_t t = tf_now_ms() + 2 * 3600000;
	time_t s;
	struct tm tm;

	t = t / 1800000 * 1800000;
	s = (time_t)(t / 1000);
	if (gmtime_r(&s, &tm) == NULL) {
		strcpy(hm, "17:30");
		strcpy(rfc, "2030-01-01T17:30:00Z");
		return;
	}
	strftime(hm, 8, "%H:%M", &tm);
	strftime(rfc, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static char *
label(struct ui *u)
{
	char hm[8], rfc[32];

	switch (u->prompting) {
	case P_NOTE:
		if (!ui_can_decide(u))
			return xstrdup("Note (read-only: nothing will be saved; Esc cancels): ");
		return xstrdup("Note (Enter acknowledges, Esc cancels): ");
	case P_FILTER:
		return xasprintf("Filter %s (Enter applies, empty clears, Tab fields, Esc): /",
		    ui_views[u->cur]->title);
	case P_COMMAND:
		return xstrdup(":");
	case P_SUP_SCOPE:
		if (!ui_can_decide(u))
			return xstrdup("Suppress: read-only, nothing can be saved (any key closes)");
		return xstrdup("Suppress which: f this finding, r its resource, u its rule, a its "
		    "actor, e its event name (Esc cancels)");
	case P_SUP_FOR:
		return xasprintf("Suppress %s %s for: 1 one hour, 2 one day, 3 seven days, t until a "
		    "time, f forever (Esc cancels)", store_scope_name((enum store_scope)u->sup_scope),
		    u->sup_value);
	case P_SUP_UNTIL:
		example_times(hm, rfc);
		return xasprintf("Suppress until (%s UTC, 3h, 2d or %s): ", hm, rfc);
	case P_FREEZE_UNTIL:
		example_times(hm, rfc);
		return xasprintf("Freeze%s until (%s UTC, 2h or %s): ", ui_can_decide(u) ? "" :
		    " (read-only: this session only)", hm, rfc);
	default:
		return xstrdup("");
	}
}

void
ui_prompt_draw(struct ui *u, int y, int w)
{
	char *l = label(u);
	int n, room, before, skip = 0;
	char *head;

	if (u->prompting == P_SUP_SCOPE || u->prompting == P_SUP_FOR) {
		ui_put(y, 0, w, l, theme_attr(TS_FILTER_PROMPT) | A_BOLD);
		free(l);
		return;
	}
	n = ui_put(y, 0, w * 2 / 3, l, theme_attr(TS_FILTER_PROMPT) | A_BOLD);
	free(l);
	room = w - n - 1;
	if (room < 4)
		return;
	/* Keep the cursor in view: skip the start of a long line. */
	head = xstrndup(u->input.buf != NULL ? u->input.buf : "", u->cursor);
	before = ui_width(head);
	free(head);
	if (before >= room) {
		const char *s = u->input.buf;
		mbstate_t st;
		wchar_t wc;
		int cw;

		memset(&st, 0, sizeof st);
		while (before - skip >= room - 1 && *s != '\0') {
			s += ui_char(s, &st, &wc, &cw);
			skip += cw;
		}
		ui_put(y, n, room, s, A_NORMAL);
	} else
		ui_put(y, n, room, u->input.buf != NULL ? u->input.buf : "", A_NORMAL);
	/* The cursor: the character under it in reverse (the terminal's own is hidden). */
	{
		const char *at = u->input.buf != NULL ? u->input.buf + u->cursor : "";
		char one[8] = " ";
		size_t k = 1;

		if (*at != '\0') {
			mbstate_t st;
			wchar_t wc;
			int cw;

			memset(&st, 0, sizeof st);
			if ((k = ui_char(at, &st, &wc, &cw)) >= sizeof one)
				k = 1;
			memcpy(one, at, k);
			one[k] = '\0';
		}
		ui_put(y, n + before - skip, 1, one, A_REVERSE);
	}
}

/* ---- finishing a prompt ---- */

static void
done(struct ui *u)
{
	enum ui_prompt k = u->prompting;
	int64_t until, now = tf_now_ms();
	char *text = xstrdup(u->input.buf != NULL ? u->input.buf : "");

	hist_add(u, hist_of(k), text);
	u->prompting = P_NONE;
	set_input(u, NULL);
	switch (k) {
	case P_NOTE:
		ui_do_ack(u, u->prompt_for, text);
		break;
	case P_FILTER:
		if (ui_set_filter(u, u->cur, text, 0) != 0)
			ui_prompt_start(u, P_FILTER, text);     /* keep the query to fix it */
		break;
	case P_COMMAND:
		ui_command(u, text);
		break;
	case P_SUP_UNTIL:
	case P_FREEZE_UNTIL:
		if (tf_parse_when(text, now, 1, &until) != 0 || until <= now) {
			char hm[8], rfc[32];

			example_times(hm, rfc);
			ui_msg(u, 1, "'%s' is not a time in the future (%s, %s UTC, 3h, 2d)", text,
			    rfc, hm);
			ui_prompt_start(u, k, text);
		} else if (k == P_SUP_UNTIL)
			ui_do_suppress(u, u->sup_scope, u->sup_value, until, NULL);
		else
			ui_do_freeze(u, NULL, until);
		break;
	default:
		break;
	}
	free(text);
}

/* Suppress, step 1: the scope key. */
static void
scope_key(struct ui *u, int c)
{
	struct finding *f = NULL;
	char *v = NULL;
	int scope;
	size_t i;

	for (i = 0; i < u->model.all.n; i++)
		if (strcmp(u->model.all.v[i]->id, u->prompt_for) == 0)
			f = u->model.all.v[i];
	u->prompting = P_NONE;
	if (!ui_can_decide(u)) {
		ui_msg(u, 1, "not suppressed: read-only (%s)", readonly_reason(u));
		return;
	}
	if (f == NULL) {
		ui_msg(u, 1, "not suppressed: the finding is gone");
		return;
	}
	switch (c) {
	case 'f': scope = SCOPE_FINDING; v = xstrdup(f->id); break;
	case 'r': scope = SCOPE_RESOURCE; v = store_resource_key(f); break;
	case 'u': scope = SCOPE_RULE; v = f->nrules > 0 ? xstrdup(f->rules[0].id) : NULL; break;
	case 'a': scope = SCOPE_ACTOR; v = xstrdup(f->actor.name != NULL ? f->actor.name :
	    f->actor.principal); break;
	case 'e': scope = SCOPE_EVENT_NAME; v = xstrdup(f->event_name); break;
	default:
		ui_msg(u, 0, "not suppressed");
		return;
	}
	if (v == NULL) {
		ui_msg(u, 1, "this finding has no %s to suppress", c == 'u' ? "rule" :
		    c == 'r' ? "resource" : c == 'a' ? "actor" : "event name");
		return;
	}
	free(u->sup_value);
	u->sup_value = v;
	u->sup_scope = scope;
	u->prompting = P_SUP_FOR;
}

/* Suppress, step 2: the duration key. */
static void
for_key(struct ui *u, int c)
{
	int64_t now = tf_now_ms(), h = 3600 * 1000LL;

	u->prompting = P_NONE;
	switch (c) {
	case '1': ui_do_suppress(u, u->sup_scope, u->sup_value, now + h, NULL); break;
	case '2': ui_do_suppress(u, u->sup_scope, u->sup_value, now + 24 * h, NULL); break;
	case '3': ui_do_suppress(u, u->sup_scope, u->sup_value, now + 7 * 24 * h, NULL); break;
	case 'f': ui_do_suppress(u, u->sup_scope, u->sup_value, 0, NULL); break;
	case 't': ui_prompt_start(u, P_SUP_UNTIL, NULL); break;
	default: ui_msg(u, 0, "not suppressed");
	}
}

/* ---- editing ---- */

/* The byte offset of the character before / after the cursor. */
static size_t
prev_char(const struct ui *u, size_t at)
{
	while (at > 0 && ((unsigned char)u->input.buf[--at] & 0xc0) == 0x80)
		;
	return at;
}

static size_t
next_char_at(const struct ui *u, size_t at)
{
	if (at >= u->input.len)
		return u->input.len;
	at++;
	while (at < u->input.len && ((unsigned char)u->input.buf[at] & 0xc0) == 0x80)
		at++;
	return at;
}

static void
cut(struct ui *u, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(u->input.buf + from, u->input.buf + to, u->input.len - to + 1);
	u->input.len -= to - from;
	u->cursor = from;
}

static void
insert(struct ui *u, const char *s, size_t n)
{
	if (u->input.len + n > 4000)
		return;
	sb_grow(&u->input, n);
	memmove(u->input.buf + u->cursor + n, u->input.buf + u->cursor,
	    u->input.len - u->cursor + 1);
	memcpy(u->input.buf + u->cursor, s, n);
	u->input.len += n;
	u->cursor += n;
}

static void
history(struct ui *u, int dir)
{
	int h = hist_of(u->prompting);
	long n;

	if (h < 0 || (n = (long)u->nhist[h]) == 0)
		return;
	if (u->hist_pos < 0) {
		if (dir > 0)
			return;
		free(u->hist_draft);
		u->hist_draft = xstrdup(u->input.buf != NULL ? u->input.buf : "");
		u->hist_pos = n;
	}
	u->hist_pos += dir;
	if (u->hist_pos < 0)
		u->hist_pos = 0;
	if (u->hist_pos >= n) {
		set_input(u, u->hist_draft);
		u->hist_pos = -1;
		return;
	}
	set_input(u, u->hist[h][u->hist_pos]);
}

/* Tab in the filter prompt: complete the field name being typed. */
static void
complete_field(struct ui *u)
{
	const struct filter_schema *s = ui_views[u->cur]->schema;
	size_t start = u->cursor, i, len, nmatch = 0;
	const char *word, *match = NULL;
	static const char *const times[] = { "since", "until" };
	struct strbuf alts;

	while (start > 0 && u->input.buf[start - 1] != ' ')
		start--;
	word = u->input.buf + start;
	if (*word == '-' || *word == '!')
		word++;
	len = (size_t)(u->input.buf + u->cursor - word);
	if (memchr(word, ':', len) != NULL)
		return;
	sb_init(&alts);
	for (i = 0; s != NULL && i < s->n + 2; i++) {
		const char *name = i < s->n ? s->fields[i].name : times[i - s->n];

		if (strncmp(name, word, len) == 0) {
			match = name;
			nmatch++;
			sb_addf(&alts, "%s ", name);
		}
	}
	if (nmatch == 1) {
		insert(u, match + len, strlen(match + len));
		insert(u, ":", 1);
	} else if (nmatch > 1)
		ui_msg(u, 0, "%s", alts.buf);
	sb_free(&alts);
}

static void
complete_command(struct ui *u)
{
	char *alts = NULL, *line = xstrndup(u->input.buf != NULL ? u->input.buf : "", u->cursor);
	char *done_line = ui_command_complete(u, line, &alts);

	if (done_line != NULL) {
		char *rest = xstrdup(u->input.buf + u->cursor);

		set_input(u, done_line);
		u->cursor = u->input.len;
		sb_adds(&u->input, rest);
		free(rest);
		free(done_line);
	}
	if (alts != NULL)
		ui_msg(u, 0, "%s", alts);
	free(alts);
	free(line);
}

void
ui_prompt_key(struct ui *u, int is_code, int c)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	size_t k;

	u->dirty = 1;
	if (u->prompting == P_SUP_SCOPE || u->prompting == P_SUP_FOR) {
		if (is_code || c == 27) {
			u->prompting = P_NONE;
			ui_msg(u, 0, "not suppressed");
		} else if (u->prompting == P_SUP_SCOPE)
			scope_key(u, c);
		else
			for_key(u, c);
		return;
	}
	if ((!is_code && (c == '\n' || c == '\r')) || (is_code && c == KEY_ENTER)) {
		done(u);
		return;
	}
	if (!is_code && c == 27) {
		ui_msg(u, 0, "%s", u->prompting == P_NOTE ? "not acknowledged" :
		    u->prompting == P_FILTER ? "filter unchanged" : u->prompting == P_COMMAND ?
		    "no command" : u->prompting == P_FREEZE_UNTIL ? "no freeze" : "not suppressed");
		u->prompting = P_NONE;
		set_input(u, NULL);
		return;
	}
	if ((is_code && c == KEY_BACKSPACE) || (!is_code && (c == 127 || c == 8))) {
		if (u->cursor == 0 && u->input.len == 0 && u->prompting == P_COMMAND) {
			u->prompting = P_NONE;  /* Backspace on an empty command line leaves it */
			return;
		}
		cut(u, prev_char(u, u->cursor), u->cursor);
		return;
	}
	if (is_code) {
		switch (c) {
		case KEY_LEFT: u->cursor = prev_char(u, u->cursor); break;
		case KEY_RIGHT: u->cursor = next_char_at(u, u->cursor); break;
		case KEY_HOME: u->cursor = 0; break;
		case KEY_END: u->cursor = u->input.len; break;
		case KEY_DC: cut(u, u->cursor, next_char_at(u, u->cursor)); break;
		case KEY_UP: history(u, -1); break;
		case KEY_DOWN: history(u, 1); break;
		default: break;
		}
		return;
	}
	switch (c) {
	case 'A' & 0x1f: u->cursor = 0; return;
	case 'E' & 0x1f: u->cursor = u->input.len; return;
	case 'B' & 0x1f: u->cursor = prev_char(u, u->cursor); return;
	case 'F' & 0x1f: u->cursor = next_char_at(u, u->cursor); return;
	case 'U' & 0x1f: cut(u, 0, u->cursor); return;
	case 'K' & 0x1f: u->input.len = u->cursor; u->input.buf[u->cursor] = '\0'; return;
	case 'D' & 0x1f: cut(u, u->cursor, next_char_at(u, u->cursor)); return;
	case 'P' & 0x1f: history(u, -1); return;
	case 'N' & 0x1f: history(u, 1); return;
	case 'W' & 0x1f: {
		size_t at = u->cursor;

		while (at > 0 && u->input.buf[at - 1] == ' ')
			at--;
		while (at > 0 && u->input.buf[at - 1] != ' ')
			at--;
		cut(u, at, u->cursor);
		return;
	}
	case '\t':
		if (u->prompting == P_COMMAND)
			complete_command(u);
		else if (u->prompting == P_FILTER)
			complete_field(u);
		return;
	default:
		break;
	}
	if (c < 0x20)
		return;
	memset(&st, 0, sizeof st);
	k = wcrtomb(mb, (wchar_t)c, &st);
	if (k != (size_t)-1)
		insert(u, mb, k);
}
