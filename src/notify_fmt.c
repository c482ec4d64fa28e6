/* notify_fmt: the text helpers the outputs share: fields of a finding object, Slack mrkdwn and
 * plain-text escaping, and a resolution in words (see notify_int.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "notify_int.h"
#include "text.h"
#include "util.h"

const char *
notify_jstr(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && (v == NULL || !json_object_object_get_ex(v, b, &v)))
		return NULL;
	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

const char *
notify_or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* Slack mrkdwn text: &, < and > escaped; backticks would end a code span. */
void
notify_sb_mrkdwn(struct strbuf *sb, const char *s, size_t max)
{
	size_t n = 0;

	/* Past max, only the rest of a character: a cut never splits one. */
	for (; s != NULL && *s && (n < max || ((unsigned char)*s & 0xc0) == 0x80); s++, n++) {
		switch (*s) {
		case '&': sb_adds(sb, "&amp;"); break;
		case '<': sb_adds(sb, "&lt;"); break;
		case '>': sb_adds(sb, "&gt;"); break;
		case '`': sb_addc(sb, '\''); break;
		case '\n': sb_addc(sb, ' '); break;
		default: sb_addc(sb, *s);
		}
	}
	if (s != NULL && *s)
		sb_adds(sb, "…");
}

/* One line: newlines would split a Falco output. */
void
notify_sb_line(struct strbuf *sb, const char *s)
{
	for (; s != NULL && *s; s++)
		sb_addc(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* ---- resolutions (issue 15): what closed a finding, and who ---- */

int
notify_is_resolution(json_object *fj)
{
	const char *st = notify_jstr(fj, "status", NULL);
	json_object *r;

	return st != NULL && strcmp(st, "resolved") == 0 &&
	    json_object_object_get_ex(fj, "resolution", &r) &&
	    json_object_is_type(r, json_type_object);
}

/* s as text of at most max bytes (then "…", never splitting a character): mrkdwn-escaped
 * when md, else plain (line breaks as spaces; JSON escapes the rest). */
void
notify_sb_text(struct strbuf *sb, const char *s, size_t max, int md)
{
	size_t n = 0;

	if (md) {
		notify_sb_mrkdwn(sb, s, max);
		return;
	}
	for (; s != NULL && *s && (n < max || ((unsigned char)*s & 0xc0) == 0x80); s++, n++)
		sb_addc(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
	if (s != NULL && *s)
		sb_adds(sb, "…");
}

json_object *
notify_jobj(json_object *o, const char *a)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, a, &v) &&
	    json_object_is_type(v, json_type_object) ? v : NULL;
}

/* Who resolved it: the resolution actor's name, else its principal, else NULL. */
const char *
notify_resolver(json_object *res)
{
	const char *who = notify_jstr(res, "actor", "name");

	if (who == NULL || *who == '\0')
		who = notify_jstr(res, "actor", "principal");
	return who != NULL && *who != '\0' ? who : NULL;
}

/* "10:14 UTC" from an RFC 3339 time, with the date too ("2024-05-28 10:14 UTC") when it is
 * not the day of same_day (the drift's event time), or the time as given when it does not
 * look like one. */
static void
sb_when(struct strbuf *sb, const char *t, const char *same_day, int md)
{
	if (t == NULL)
		return;
	if (strlen(t) < 16 || t[10] != 'T') {
		notify_sb_text(sb, t, 40, md);
		return;
	}
	if (same_day == NULL || strncmp(t, same_day, 10) != 0)
		sb_addf(sb, "%.10s ", t);
	sb_addf(sb, "%.5s UTC", t + 11);
}

/* The resolution in words: "reverted by hand by alice@corp.example (ModifyInstanceAttribute,
 * 10:14 UTC)", "reverted by Terraform as gha-terraform (...)", "accepted in state (newer
 * state, 10:20 UTC)", "resource gone (deleted by terraform-ci, DeleteDBInstance, 10:14 UTC)"
 * or "resource gone (not in the newer state, 10:20 UTC)". md: Slack mrkdwn. */
void
notify_sb_resolution(struct strbuf *sb, json_object *fj, int md)
{
	json_object *res = notify_jobj(fj, "resolution");
	const char *reason = notify_jstr(res, "reason", NULL), *who = notify_resolver(res);
	const char *ev = notify_jstr(res, "event", "name"), *at = notify_jstr(res, "at", NULL);
	const char *day = notify_jstr(fj, "event", "time");
	int gone = reason != NULL && strcmp(reason, "resource_gone") == 0;

	if (reason == NULL)
		sb_adds(sb, "resolved");
	else if (strcmp(reason, "reverted_by_terraform") == 0)
		sb_adds(sb, "reverted by Terraform");
	else if (strcmp(reason, "reverted_by_hand") == 0)
		sb_adds(sb, "reverted by hand");
	else if (strcmp(reason, "accepted_in_state") == 0)
		sb_adds(sb, "accepted in state");
	else if (gone)
		sb_adds(sb, "resource gone");
	else {
		/* A reason of a newer version: its words. */
		char *w = xstrdup(reason), *c;

		for (c = w; *c; c++)
			if (*c == '_')
				*c = ' ';
		notify_sb_text(sb, w, 40, md);
		free(w);
	}
	if (gone && (who != NULL || ev != NULL)) {
		/* Destroyed by an event (Terraform's delete): who did it, in the parenthesis. */
		sb_adds(sb, " (deleted");
		if (who != NULL) {
			sb_adds(sb, " by ");
			notify_sb_text(sb, who, 200, md);
		}
		sb_adds(sb, ",");
	} else if (who != NULL) {
		sb_adds(sb, reason != NULL && strcmp(reason, "reverted_by_terraform") == 0 ?
		    " as " : " by ");
		if (md)
			sb_adds(sb, "*");
		notify_sb_text(sb, who, 200, md);
		if (md)
			sb_adds(sb, "*");
		sb_adds(sb, " (");
	} else if (ev == NULL && gone) {
		/* A newer state of the same lineage (its path may differ from the finding's). */
		sb_adds(sb, " (not in the newer state,");
	} else if (ev == NULL && reason != NULL && strcmp(reason, "accepted_in_state") == 0) {
		sb_adds(sb, " (newer state,");
	} else
		sb_adds(sb, " (");
	if (sb->len > 0 && sb->buf[sb->len - 1] == ',')
		sb_adds(sb, " ");
	if (ev != NULL) {
		notify_sb_text(sb, ev, 120, md);
		if (at != NULL)
			sb_adds(sb, ", ");
	}
	sb_when(sb, at, day, md);
	if (sb->len > 1 && strcmp(sb->buf + sb->len - 2, ", ") == 0)
		sb->buf[sb->len -= 2] = '\0';
	if (sb->len > 1 && strcmp(sb->buf + sb->len - 2, " (") == 0)
		sb->buf[sb->len -= 2] = '\0';
	else
		sb_adds(sb, ")");
}

/* "module.app.aws_instance.web[1] instance_type, ami" (three attributes at most, then
 * "+N more"), or "TYPE ID" for an unmanaged resource. */
void
notify_sb_what_resolved(struct strbuf *sb, json_object *fj, int md)
{
	const char *addr = notify_jstr(fj, "resource", "address");
	json_object *changes;
	size_t i, n;

	if (addr != NULL)
		notify_sb_text(sb, addr, 200, md);
	else {
		notify_sb_text(sb, notify_or_dash(notify_jstr(fj, "resource", "type")), 100, md);
		sb_adds(sb, " ");
		notify_sb_text(sb, notify_or_dash(notify_jstr(fj, "resource", "id")), 200, md);
	}
	if (!json_object_object_get_ex(fj, "changes", &changes) ||
	    !json_object_is_type(changes, json_type_array))
		return;
	n = json_object_array_length(changes);
	for (i = 0; i < n && i < 3; i++) {
		const char *a = notify_jstr(json_object_array_get_idx(changes, i), "attribute", NULL);

		sb_adds(sb, i == 0 ? " " : ", ");
		notify_sb_text(sb, notify_or_dash(a), 120, md);
	}
	if (n > 3)
		sb_addf(sb, " +%zu more", n - 3);
}

char *
notify_resolution_line(json_object *fj)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_adds(&sb, "Resolved: ");
	notify_sb_what_resolved(&sb, fj, 0);
	sb_adds(&sb, " — ");
	notify_sb_resolution(&sb, fj, 0);
	/* Valid UTF-8 whatever the object holds (a cut never splits a character, but a finding
	 * read back from an old store may hold anything). */
	if (!text_utf8_ok(sb.buf, sb.len)) {
		char *fixed = text_utf8_dup(sb.buf);

		sb_free(&sb);
		return fixed;
	}
	return sb.buf;
}
