/* notify_slack: Slack incoming webhooks: a Block Kit message per finding (an alert, or a
 * resolution saying what closed the drift and who), POSTed by the dispatcher (notify.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "notify_int.h"
#include "text.h"
#include "util.h"

/* A change value as short text (JSON for non-strings). */
static void
sb_value(struct strbuf *sb, json_object *v)
{
	if (v == NULL)
		sb_adds(sb, "(none)");
	else if (json_object_is_type(v, json_type_string))
		notify_sb_mrkdwn(sb, json_object_get_string(v), 200);
	else
		notify_sb_mrkdwn(sb, json_object_to_json_string_ext(v, NOTIFY_JSON_FLAGS), 200);
}

static const char *
upper_sev(const char *s)
{
	static const char *const u[] = { "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL" };
	enum severity sv;

	if (s == NULL || severity_parse(s, &sv) != 0)
		return "UNKNOWN";
	return u[sv];
}

static json_object *
text_obj(const char *type, const char *text)
{
	json_object *t = json_object_new_object();

	json_object_object_add(t, "type", json_object_new_string(type));
	json_object_object_add(t, "text", json_object_new_string(text));
	return t;
}

static void
add_field(json_object *fields, const char *title, const char *value)
{
	struct strbuf sb;

	sb_init(&sb);
	sb_addf(&sb, "*%s*\n", title);
	sb_adds(&sb, value);
	json_object_array_add(fields, text_obj("mrkdwn", sb.buf));
	sb_free(&sb);
}

/* The highest-severity matched rule of a finding object, or NULL. */
static const char *
sev_emoji(const char *sev)
{
	enum severity s;
	static const char *const e[] = { ":white_circle:", ":large_blue_circle:",
		":large_orange_circle:", ":red_circle:", ":rotating_light:" };

	return sev != NULL && severity_parse(sev, &s) == 0 ? e[s] : ":grey_question:";
}

/* The diff under a title: old → new, values as the finding JSON has them (sensitive ones
 * masked), at most about 2600 bytes. */
static void
sb_changes(struct strbuf *sb, json_object *fj, const char *title)
{
	json_object *changes;
	size_t i;

	sb_adds(sb, title);
	if (json_object_object_get_ex(fj, "changes", &changes) &&
	    json_object_array_length(changes) > 0) {
		for (i = 0; i < json_object_array_length(changes) && sb->len < 2600; i++) {
			json_object *c = json_object_array_get_idx(changes, i), *ov = NULL, *nv = NULL;
			const char *ck = notify_jstr(c, "change", NULL);

			json_object_object_get_ex(c, "old", &ov);
			json_object_object_get_ex(c, "new", &nv);
			sb_adds(sb, "\n• `");
			notify_sb_mrkdwn(sb, notify_jstr(c, "attribute", NULL), 120);
			sb_adds(sb, "`: ");
			if (ck != NULL && strcmp(ck, "added") == 0) {
				sb_adds(sb, "added `");
				sb_value(sb, nv);
				sb_adds(sb, "`");
			} else if (ck != NULL && strcmp(ck, "removed") == 0) {
				sb_adds(sb, "removed `");
				sb_value(sb, ov);
				sb_adds(sb, "`");
			} else {
				sb_adds(sb, "`");
				sb_value(sb, ov);
				sb_adds(sb, "` → `");
				sb_value(sb, nv);
				sb_adds(sb, "`");
			}
		}
		if (i < json_object_array_length(changes))
			sb_addf(sb, "\n… and %zu more", json_object_array_length(changes) - i);
	} else {
		sb_adds(sb, "\n");
		notify_sb_mrkdwn(sb, notify_jstr(fj, "summary", NULL) ? notify_jstr(fj, "summary", NULL) :
		    "(no attribute changes recorded)", 500);
	}
}

/* A context block: the finding id (what `tfdrift ack` takes), then what (" resolved" or ""),
 * and the state file. sb is scratch. */
static void
slack_context(json_object *blocks, struct strbuf *sb, json_object *fj, const char *what)
{
	json_object *b = json_object_new_object(), *els = json_object_new_array();

	sb_reset(sb);
	sb_adds(sb, "tfdrift finding `");
	notify_sb_mrkdwn(sb, notify_or_dash(notify_jstr(fj, "id", NULL)), 40);
	sb_adds(sb, "`");
	sb_adds(sb, what);
	if (notify_jstr(fj, "resource", "state") != NULL) {
		sb_adds(sb, " · state `");
		notify_sb_mrkdwn(sb, notify_jstr(fj, "resource", "state"), 200);
		sb_adds(sb, "`");
	}
	json_object_object_add(b, "type", json_object_new_string("context"));
	json_object_array_add(els, text_obj("mrkdwn", sb->buf));
	json_object_object_add(b, "elements", els);
	json_object_array_add(blocks, b);
}

/* A resolution as a Slack message: a header, what resolved it and who, the drift that it
 * closed (masked as in the open message), the resolving event and the original one. */
static char *
slack_resolution(json_object *fj)
{
	const char *sev = notify_jstr(fj, "severity", NULL), *kind = notify_jstr(fj, "kind", NULL);
	const char *addr = notify_jstr(fj, "resource", "address");
	json_object *res = notify_jobj(fj, "resolution");
	json_object *msg = json_object_new_object(), *blocks = json_object_new_array(), *b;
	json_object *fields, *t;
	struct strbuf sb;
	char *r;

	sb_init(&sb);
	sb_adds(&sb, ":white_check_mark: RESOLVED ");
	sb_addf(&sb, "%s %s ", upper_sev(sev), notify_or_dash(kind));
	/* A header holds 150 characters: 28 + 26 at most before the resource. */
	if (addr != NULL)
		notify_sb_text(&sb, addr, 90, 0);
	else {
		notify_sb_text(&sb, notify_or_dash(notify_jstr(fj, "resource", "type")), 35, 0);
		sb_adds(&sb, " ");
		notify_sb_text(&sb, notify_or_dash(notify_jstr(fj, "resource", "id")), 50, 0);
	}
	b = json_object_new_object();
	json_object_object_add(b, "type", json_object_new_string("header"));
	t = text_obj("plain_text", sb.buf);
	json_object_object_add(t, "emoji", json_object_new_boolean(1));
	json_object_object_add(b, "text", t);
	json_object_array_add(blocks, b);

	/* What resolved it, and who. */
	sb_reset(&sb);
	sb_adds(&sb, "*Resolved:* ");
	notify_sb_resolution(&sb, fj, 1);
	b = json_object_new_object();
	json_object_object_add(b, "type", json_object_new_string("section"));
	json_object_object_add(b, "text", text_obj("mrkdwn", sb.buf));
	json_object_array_add(blocks, b);

	/* The drift it closed. */
	sb_reset(&sb);
	sb_changes(&sb, fj, "*Drift that was*");
	b = json_object_new_object();
	json_object_object_add(b, "type", json_object_new_string("section"));
	json_object_object_add(b, "text", text_obj("mrkdwn", sb.buf));
	json_object_array_add(blocks, b);

	fields = json_object_new_array();
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(res, "reason", NULL)), 40);
	add_field(fields, "Reason", sb.buf);
	sb_reset(&sb);
	if (notify_resolver(res) != NULL) {
		notify_sb_mrkdwn(&sb, notify_resolver(res), 200);
		sb_adds(&sb, " via ");
		notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(res, "actor", "via")), 40);
		if (notify_jstr(res, "actor", "principal") != NULL &&
		    strcmp(notify_jstr(res, "actor", "principal"), notify_resolver(res)) != 0) {
			sb_adds(&sb, "\n`");
			notify_sb_mrkdwn(&sb, notify_jstr(res, "actor", "principal"), 300);
			sb_adds(&sb, "`");
		}
	} else
		sb_adds(&sb, "- (a newer state)");
	add_field(fields, "Resolved by", sb.buf);
	sb_reset(&sb);
	if (notify_jstr(res, "event", "name") != NULL) {
		notify_sb_mrkdwn(&sb, notify_jstr(res, "event", "name"), 200);
		sb_adds(&sb, "\n`");
		notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(res, "event", "id")), 100);
		sb_adds(&sb, "`");
	} else if (notify_jstr(res, "state", "path") != NULL) {
		json_object *rs = NULL, *serial = NULL;

		/* The state that accepted it (or lost the resource): which one. */
		json_object_object_get_ex(res, "state", &rs);
		if (rs != NULL)
			json_object_object_get_ex(rs, "serial", &serial);
		sb_adds(&sb, "the state `");
		notify_sb_mrkdwn(&sb, notify_jstr(res, "state", "path"), 200);
		sb_addf(&sb, "` serial %lld", serial != NULL ? (long long)json_object_get_int64(serial) :
		    -1LL);
	} else {
		sb_adds(&sb, "a newer state (the lineage of `");
		notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "resource", "state")), 200);
		sb_adds(&sb, "`)");
	}
	add_field(fields, "Resolved through", sb.buf);
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(res, "at", NULL)), 40);
	add_field(fields, "Resolved at", sb.buf);
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "actor", "name")), 200);
	sb_adds(&sb, " via ");
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "actor", "via")), 40);
	sb_adds(&sb, "\n");
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "event", "name")), 200);
	add_field(fields, "Drift by", sb.buf);
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "event", "time")), 40);
	add_field(fields, "Drifted at", sb.buf);
	b = json_object_new_object();
	json_object_object_add(b, "type", json_object_new_string("section"));
	json_object_object_add(b, "fields", fields);
	json_object_array_add(blocks, b);

	slack_context(blocks, &sb, fj, " resolved");

	/* The plain fallback: the one line. */
	r = notify_resolution_line(fj);
	json_object_object_add(msg, "text", json_object_new_string(r));
	free(r);
	json_object_object_add(msg, "blocks", blocks);
	r = text_json_string(msg, NOTIFY_JSON_FLAGS);
	json_object_put(msg);
	sb_free(&sb);
	return r;
}

/* An open finding's alert. */
static char *
slack_alert(json_object *fj)
{
	const char *sev = notify_jstr(fj, "severity", NULL), *kind = notify_jstr(fj, "kind", NULL);
	const char *addr = notify_jstr(fj, "resource", "address");
	const char *rtype = notify_jstr(fj, "resource", "type"), *rid = notify_jstr(fj, "resource", "id");
	json_object *msg = json_object_new_object(), *blocks = json_object_new_array(), *b;
	json_object *rules, *fields;
	struct strbuf sb, what;
	size_t i;
	char *r;

	sb_init(&sb);
	sb_init(&what);
	/* What: the address, or type and id of an unmanaged resource. */
	if (addr != NULL)
		sb_adds(&what, addr);
	else
		sb_addf(&what, "%s %s", notify_or_dash(rtype), notify_or_dash(rid));

	/* Header: plain text, at most 150 characters. */
	sb_addf(&sb, "%s %s %s %.100s", sev_emoji(sev), upper_sev(sev), notify_or_dash(kind), what.buf);
	b = json_object_new_object();
	json_object_object_add(b, "type", json_object_new_string("header"));
	{
		json_object *t = text_obj("plain_text", sb.buf);

		json_object_object_add(t, "emoji", json_object_new_boolean(1));
		json_object_object_add(b, "text", t);
	}
	json_object_array_add(blocks, b);

	/* The diff: old → new, values as the finding JSON has them (sensitive ones masked). */
	sb_reset(&sb);
	sb_changes(&sb, fj, "*Changes*");
	b = json_object_new_object();
	json_object_object_add(b, "type", json_object_new_string("section"));
	json_object_object_add(b, "text", text_obj("mrkdwn", sb.buf));
	json_object_array_add(blocks, b);

	/* Who, where, when. */
	fields = json_object_new_array();
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "actor", "name")), 200);
	sb_adds(&sb, " via ");
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "actor", "via")), 40);
	if (notify_jstr(fj, "actor", "source_ip") != NULL) {
		sb_adds(&sb, "\nfrom ");
		notify_sb_mrkdwn(&sb, notify_jstr(fj, "actor", "source_ip"), 100);
	}
	add_field(fields, "Actor", sb.buf);
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "event", "name")), 200);
	sb_adds(&sb, " (");
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "event", "source")), 100);
	sb_adds(&sb, ")");
	add_field(fields, "Event", sb.buf);
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "event", "account")), 100);
	add_field(fields, strcmp(notify_or_dash(notify_jstr(fj, "provider", NULL)), "gcp") == 0 ?
	    "Project" : "Account", sb.buf);
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "event", "region")), 100);
	add_field(fields, "Region", sb.buf);
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(fj, "event", "time")), 40);
	add_field(fields, "Time", sb.buf);
	sb_reset(&sb);
	notify_sb_mrkdwn(&sb, notify_or_dash(rtype), 100);
	sb_adds(&sb, "\n`");
	notify_sb_mrkdwn(&sb, notify_or_dash(rid), 300);
	sb_adds(&sb, "`");
	add_field(fields, "Resource", sb.buf);
	b = json_object_new_object();
	json_object_object_add(b, "type", json_object_new_string("section"));
	json_object_object_add(b, "fields", fields);
	json_object_array_add(blocks, b);

	/* Matched rules, with their runbooks as links. */
	if (json_object_object_get_ex(fj, "rules", &rules) &&
	    json_object_is_type(rules, json_type_array) && json_object_array_length(rules) > 0) {
		sb_reset(&sb);
		sb_adds(&sb, "*Rules*");
		for (i = 0; i < json_object_array_length(rules) && i < 10; i++) {
			json_object *rl = json_object_array_get_idx(rules, i);
			const char *rb = notify_jstr(rl, "runbook", NULL);

			sb_adds(&sb, "\n• ");
			notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(rl, "name", NULL)), 200);
			sb_adds(&sb, " (`");
			notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(rl, "id", NULL)), 100);
			sb_adds(&sb, "`, ");
			notify_sb_mrkdwn(&sb, notify_or_dash(notify_jstr(rl, "severity", NULL)), 20);
			sb_adds(&sb, ")");
			if (rb != NULL && (tf_str_has_prefix(rb, "https://") ||
			    tf_str_has_prefix(rb, "http://")) && strpbrk(rb, "|<> ") == NULL)
				sb_addf(&sb, " <%s|Runbook>", rb);
		}
		b = json_object_new_object();
		json_object_object_add(b, "type", json_object_new_string("section"));
		json_object_object_add(b, "text", text_obj("mrkdwn", sb.buf));
		json_object_array_add(blocks, b);
	}

	/* Context: the finding id (for `tfdrift ack`) and the state file. */
	slack_context(blocks, &sb, fj, "");

	/* The plain fallback (notifications, clients without blocks). */
	sb_reset(&sb);
	sb_addf(&sb, "[%s] %s drift on %s", upper_sev(sev), notify_or_dash(kind), what.buf);
	if (notify_jstr(fj, "summary", NULL) != NULL)
		sb_addf(&sb, ": %.300s", notify_jstr(fj, "summary", NULL));
	sb_addf(&sb, " (by %s via %s)", notify_or_dash(notify_jstr(fj, "actor", "name")),
	    notify_or_dash(notify_jstr(fj, "actor", "via")));
	json_object_object_add(msg, "text", json_object_new_string(sb.buf));
	json_object_object_add(msg, "blocks", blocks);
	r = text_json_string(msg, NOTIFY_JSON_FLAGS);
	json_object_put(msg);
	sb_free(&sb);
	sb_free(&what);
	return r;
}

char *
notify_slack_payload(json_object *fj)
{
	return notify_is_resolution(fj) ? slack_resolution(fj) : slack_alert(fj);
}

static char *
slack_payload(const struct output *o, json_object *fj)
{
	(void)o;
	return notify_slack_payload(fj);
}

static void
slack_summary(json_object *p, const char *text, const char *output, uint64_t n,
    int per_minute, const char *hostname)
{
	(void)output;
	(void)n;
	(void)per_minute;
	(void)hostname;
	json_object_object_add(p, "text", json_object_new_string(text));
}

const struct notify_ops notify_slack_ops = {
	.type = COUT_SLACK,
	.payload = slack_payload,
	.summary = slack_summary,
	.send = notify_send_post,
};
