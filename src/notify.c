/* notify: findings to Slack, webhooks and Falco JSON, each output on its own thread with
 * its own queue, filters, dedup, rate limit, retries and dead-letter file (see notify.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "http.h"
#include "notify.h"
#include "store.h"
#include "text.h"
#include "util.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)
#define RATE_WINDOW_MS 60000

/* A finding handed over: its JSON text, shared by the outputs' queues. */
struct item {
	atomic_int refs;
	char id[33];
	int resolved;                   /* a resolution (ST_RESOLVED): deduped apart */
	char *json;
};

/* The memory half of dedup: an open-addressing set of finding ids (worker thread only). */
struct idset {
	char (*v)[33];
	size_t cap, n;
};

struct output {
	struct notifier *n;
	/* Configuration (a copy: the conf may go before the notifier). */
	char *name;
	enum conf_output_type type;
	char *url, *file, *hmac, *dead_letter;
	struct conf_output filt;        /* own copies of min_severity, kinds, rules */
	struct strlist headers;
	unsigned on;                    /* CONF_ON_*: open findings, resolutions */
	int rate_limit, retries;
	int64_t timeout_ms;

	pthread_t thread;
	int started;
	/* mu guards the queue, stopping and the counters. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct item *q[NOTIFY_QUEUE_CAP];
	size_t qhead, qlen;
	int stopping;
	int64_t drain_idle_ms, hard_at; /* set with stopping */
	_Atomic int64_t abort_at;       /* monotonic ms; 0 none: give up what is under way */
	struct notify_stat st;

	/* Worker thread only. */
	struct http *http;
	struct store *store;
	struct idset sent;              /* open findings sent */
	struct idset sent_res;          /* resolutions sent */
	struct notify_bucket bucket;
	uint64_t summary_pending;
	int64_t summary_due;
	FILE *fp;                       /* falco file output */
};

struct notifier {
	struct output *o;
	size_t n;
	char *store_path;
	char *holder;                   /* this worker, in its notification claims */
	char hostname[256];
	int drained;
	size_t undelivered;
};

/* ---- small helpers ---- */

static const char *
jstr_at(json_object *o, const char *a, const char *b)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, a, &v))
		return NULL;
	if (b != NULL && (v == NULL || !json_object_object_get_ex(v, b, &v)))
		return NULL;
	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

static const char *
or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

/* Slack mrkdwn text: &, < and > escaped; backticks would end a code span. */
static void
sb_mrkdwn(struct strbuf *sb, const char *s, size_t max)
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

/* A change value as short text (JSON for non-strings). */
static void
sb_value(struct strbuf *sb, json_object *v)
{
	if (v == NULL)
		sb_adds(sb, "(none)");
	else if (json_object_is_type(v, json_type_string))
		sb_mrkdwn(sb, json_object_get_string(v), 200);
	else
		sb_mrkdwn(sb, json_object_to_json_string_ext(v, JSON_FLAGS), 200);
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

const char *
notify_falco_priority(const char *severity)
{
	static const char *const p[] = { "Informational", "Notice", "Warning", "Error",
		"Critical" };
	enum severity sv;

	if (severity == NULL || severity_parse(severity, &sv) != 0)
		return "Warning";
	return p[sv];
}

void
notify_hmac_hex(const char *secret, const void *body, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, md, &mdlen) == NULL)
		mdlen = 0;
	for (i = 0; i < mdlen && i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[2 * i] = '\0';
}

/* ---- filters and the rate limiter ---- */

int
notify_filter(const struct conf_output *o, const struct finding *f)
{
	enum severity min;
	size_t i, j;

	if (o->min_severity != NULL && severity_parse(o->min_severity, &min) == 0 &&
	    f->severity < min)
		return 0;
	if (o->kinds.n > 0) {
		for (i = 0; i < o->kinds.n; i++)
			if (strcmp(o->kinds.v[i], finding_kind_name(f->kind)) == 0)
				break;
		if (i == o->kinds.n)
			return 0;
	}
	if (o->rules.n > 0) {
		for (i = 0; i < f->nrules; i++)
			for (j = 0; j < o->rules.n; j++)
				if (f->rules[i].id != NULL && tf_glob(o->rules.v[j], f->rules[i].id))
					return 1;
		return 0;
	}
	return 1;
}


void
notify_bucket_init(struct notify_bucket *b, int per_minute, int64_t now_ms)
{
	b->per_minute = per_minute;
	b->tokens = per_minute;
	b->last_ms = now_ms;
}

int
notify_bucket_take(struct notify_bucket *b, int64_t now_ms)
{
	if (b->per_minute <= 0)
		return 1;
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * b->per_minute / RATE_WINDOW_MS;
		if (b->tokens > b->per_minute)
			b->tokens = b->per_minute;
		b->last_ms = now_ms;
	}
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

/* ---- payloads ---- */

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
static json_object *
top_rule(json_object *fj)
{
	json_object *rules, *best = NULL;
	enum severity bs = SEV_INFO, s;
	size_t i;

	if (!json_object_object_get_ex(fj, "rules", &rules) ||
	    !json_object_is_type(rules, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(rules); i++) {
		json_object *r = json_object_array_get_idx(rules, i);
		const char *sev = jstr_at(r, "severity", NULL);

		if (sev == NULL || severity_parse(sev, &s) != 0)
			s = SEV_INFO;
		if (best == NULL || s > bs) {
			best = r;
			bs = s;
		}
	}
	return best;
}

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
			const char *ck = jstr_at(c, "change", NULL);

			json_object_object_get_ex(c, "old", &ov);
			json_object_object_get_ex(c, "new", &nv);
			sb_adds(sb, "\n• `");
			sb_mrkdwn(sb, jstr_at(c, "attribute", NULL), 120);
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
		sb_mrkdwn(sb, jstr_at(fj, "summary", NULL) ? jstr_at(fj, "summary", NULL) :
		    "(no attribute changes recorded)", 500);
	}
}

/* ---- resolutions (issue 15): what closed a finding, and who ---- */

int
notify_is_resolution(json_object *fj)
{
	const char *st = jstr_at(fj, "status", NULL);
	json_object *r;

	return st != NULL && strcmp(st, "resolved") == 0 &&
	    json_object_object_get_ex(fj, "resolution", &r) &&
	    json_object_is_type(r, json_type_object);
}

/* s as text of at most max bytes (then "…", never splitting a character): mrkdwn-escaped
 * when md, else plain (line breaks as spaces; JSON escapes the rest). */
static void
sb_text(struct strbuf *sb, const char *s, size_t max, int md)
{
	size_t n = 0;

	if (md) {
		sb_mrkdwn(sb, s, max);
		return;
	}
	for (; s != NULL && *s && (n < max || ((unsigned char)*s & 0xc0) == 0x80); s++, n++)
		sb_addc(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
	if (s != NULL && *s)
		sb_adds(sb, "…");
}

static json_object *
jobj_at(json_object *o, const char *a)
{
	json_object *v;

	return o != NULL && json_object_object_get_ex(o, a, &v) &&
	    json_object_is_type(v, json_type_object) ? v : NULL;
}

/* Who resolved it: the resolution actor's name, else its principal, else NULL. */
static const char *
resolver(json_object *res)
{
	const char *who = jstr_at(res, "actor", "name");

	if (who == NULL || *who == '\0')
		who = jstr_at(res, "actor", "principal");
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
		sb_text(sb, t, 40, md);
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
static void
sb_resolution(struct strbuf *sb, json_object *fj, int md)
{
	json_object *res = jobj_at(fj, "resolution");
	const char *reason = jstr_at(res, "reason", NULL), *who = resolver(res);
	const char *ev = jstr_at(res, "event", "name"), *at = jstr_at(res, "at", NULL);
	const char *day = jstr_at(fj, "event", "time");
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
		sb_text(sb, w, 40, md);
		free(w);
	}
	if (gone && (who != NULL || ev != NULL)) {
		/* Destroyed by an event (Terraform's delete): who did it, in the parenthesis. */
		sb_adds(sb, " (deleted");
		if (who != NULL) {
			sb_adds(sb, " by ");
			sb_text(sb, who, 200, md);
		}
		sb_adds(sb, ",");
	} else if (who != NULL) {
		sb_adds(sb, reason != NULL && strcmp(reason, "reverted_by_terraform") == 0 ?
		    " as " : " by ");
		if (md)
			sb_adds(sb, "*");
		sb_text(sb, who, 200, md);
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
		sb_text(sb, ev, 120, md);
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
static void
sb_what_resolved(struct strbuf *sb, json_object *fj, int md)
{
	const char *addr = jstr_at(fj, "resource", "address");
	json_object *changes;
	size_t i, n;

	if (addr != NULL)
		sb_text(sb, addr, 200, md);
	else {
		sb_text(sb, or_dash(jstr_at(fj, "resource", "type")), 100, md);
		sb_adds(sb, " ");
		sb_text(sb, or_dash(jstr_at(fj, "resource", "id")), 200, md);
	}
	if (!json_object_object_get_ex(fj, "changes", &changes) ||
	    !json_object_is_type(changes, json_type_array))
		return;
	n = json_object_array_length(changes);
	for (i = 0; i < n && i < 3; i++) {
		const char *a = jstr_at(json_object_array_get_idx(changes, i), "attribute", NULL);

		sb_adds(sb, i == 0 ? " " : ", ");
		sb_text(sb, or_dash(a), 120, md);
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
	sb_what_resolved(&sb, fj, 0);
	sb_adds(&sb, " — ");
	sb_resolution(&sb, fj, 0);
	/* Valid UTF-8 whatever the object holds (a cut never splits a character, but a finding
	 * read back from an old store may hold anything). */
	if (!text_utf8_ok(sb.buf, sb.len)) {
		char *fixed = text_utf8_dup(sb.buf);

		sb_free(&sb);
		return fixed;
	}
	return sb.buf;
}

/* A context block: the finding id (what `tfdrift ack` takes), then what (" resolved" or ""),
 * and the state file. sb is scratch. */
static void
slack_context(json_object *blocks, struct strbuf *sb, json_object *fj, const char *what)
{
	json_object *b = json_object_new_object(), *els = json_object_new_array();

	sb_reset(sb);
	sb_adds(sb, "tfdrift finding `");
	sb_mrkdwn(sb, or_dash(jstr_at(fj, "id", NULL)), 40);
	sb_adds(sb, "`");
	sb_adds(sb, what);
	if (jstr_at(fj, "resource", "state") != NULL) {
		sb_adds(sb, " · state `");
		sb_mrkdwn(sb, jstr_at(fj, "resource", "state"), 200);
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
	const char *sev = jstr_at(fj, "severity", NULL), *kind = jstr_at(fj, "kind", NULL);
	const char *addr = jstr_at(fj, "resource", "address");
	json_object *res = jobj_at(fj, "resolution");
	json_object *msg = json_object_new_object(), *blocks = json_object_new_array(), *b;
	json_object *fields, *t;
	struct strbuf sb;
	char *r;

	sb_init(&sb);
	sb_adds(&sb, ":white_check_mark: RESOLVED ");
	sb_addf(&sb, "%s %s ", upper_sev(sev), or_dash(kind));
	/* A header holds 150 characters: 28 + 26 at most before the resource. */
	if (addr != NULL)
		sb_text(&sb, addr, 90, 0);
	else {
		sb_text(&sb, or_dash(jstr_at(fj, "resource", "type")), 35, 0);
		sb_adds(&sb, " ");
		sb_text(&sb, or_dash(jstr_at(fj, "resource", "id")), 50, 0);
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
	sb_resolution(&sb, fj, 1);
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
	sb_mrkdwn(&sb, or_dash(jstr_at(res, "reason", NULL)), 40);
	add_field(fields, "Reason", sb.buf);
	sb_reset(&sb);
	if (resolver(res) != NULL) {
		sb_mrkdwn(&sb, resolver(res), 200);
		sb_adds(&sb, " via ");
		sb_mrkdwn(&sb, or_dash(jstr_at(res, "actor", "via")), 40);
		if (jstr_at(res, "actor", "principal") != NULL &&
		    strcmp(jstr_at(res, "actor", "principal"), resolver(res)) != 0) {
			sb_adds(&sb, "\n`");
			sb_mrkdwn(&sb, jstr_at(res, "actor", "principal"), 300);
			sb_adds(&sb, "`");
		}
	} else
		sb_adds(&sb, "- (a newer state)");
	add_field(fields, "Resolved by", sb.buf);
	sb_reset(&sb);
	if (jstr_at(res, "event", "name") != NULL) {
		sb_mrkdwn(&sb, jstr_at(res, "event", "name"), 200);
		sb_adds(&sb, "\n`");
		sb_mrkdwn(&sb, or_dash(jstr_at(res, "event", "id")), 100);
		sb_adds(&sb, "`");
	} else if (jstr_at(res, "state", "path") != NULL) {
		json_object *rs = NULL, *serial = NULL;

		/* The state that accepted it (or lost the resource): which one. */
		json_object_object_get_ex(res, "state", &rs);
		if (rs != NULL)
			json_object_object_get_ex(rs, "serial", &serial);
		sb_adds(&sb, "the state `");
		sb_mrkdwn(&sb, jstr_at(res, "state", "path"), 200);
		sb_addf(&sb, "` serial %lld", serial != NULL ? (long long)json_object_get_int64(serial) :
		    -1LL);
	} else {
		sb_adds(&sb, "a newer state (the lineage of `");
		sb_mrkdwn(&sb, or_dash(jstr_at(fj, "resource", "state")), 200);
		sb_adds(&sb, "`)");
	}
	add_field(fields, "Resolved through", sb.buf);
	sb_reset(&sb);
	sb_mrkdwn(&sb, or_dash(jstr_at(res, "at", NULL)), 40);
	add_field(fields, "Resolved at", sb.buf);
	sb_reset(&sb);
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "actor", "name")), 200);
	sb_adds(&sb, " via ");
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "actor", "via")), 40);
	sb_adds(&sb, "\n");
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "event", "name")), 200);
	add_field(fields, "Drift by", sb.buf);
	sb_reset(&sb);
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "event", "time")), 40);
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
	r = text_json_string(msg, JSON_FLAGS);
	json_object_put(msg);
	sb_free(&sb);
	return r;
}

/* An open finding's alert. */
static char *
slack_alert(json_object *fj)
{
	const char *sev = jstr_at(fj, "severity", NULL), *kind = jstr_at(fj, "kind", NULL);
	const char *addr = jstr_at(fj, "resource", "address");
	const char *rtype = jstr_at(fj, "resource", "type"), *rid = jstr_at(fj, "resource", "id");
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
		sb_addf(&what, "%s %s", or_dash(rtype), or_dash(rid));

	/* Header: plain text, at most 150 characters. */
	sb_addf(&sb, "%s %s %s %.100s", sev_emoji(sev), upper_sev(sev), or_dash(kind), what.buf);
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
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "actor", "name")), 200);
	sb_adds(&sb, " via ");
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "actor", "via")), 40);
	if (jstr_at(fj, "actor", "source_ip") != NULL) {
		sb_adds(&sb, "\nfrom ");
		sb_mrkdwn(&sb, jstr_at(fj, "actor", "source_ip"), 100);
	}
	add_field(fields, "Actor", sb.buf);
	sb_reset(&sb);
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "event", "name")), 200);
	sb_adds(&sb, " (");
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "event", "source")), 100);
	sb_adds(&sb, ")");
	add_field(fields, "Event", sb.buf);
	sb_reset(&sb);
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "event", "account")), 100);
	add_field(fields, strcmp(or_dash(jstr_at(fj, "provider", NULL)), "gcp") == 0 ?
	    "Project" : "Account", sb.buf);
	sb_reset(&sb);
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "event", "region")), 100);
	add_field(fields, "Region", sb.buf);
	sb_reset(&sb);
	sb_mrkdwn(&sb, or_dash(jstr_at(fj, "event", "time")), 40);
	add_field(fields, "Time", sb.buf);
	sb_reset(&sb);
	sb_mrkdwn(&sb, or_dash(rtype), 100);
	sb_adds(&sb, "\n`");
	sb_mrkdwn(&sb, or_dash(rid), 300);
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
			const char *rb = jstr_at(rl, "runbook", NULL);

			sb_adds(&sb, "\n• ");
			sb_mrkdwn(&sb, or_dash(jstr_at(rl, "name", NULL)), 200);
			sb_adds(&sb, " (`");
			sb_mrkdwn(&sb, or_dash(jstr_at(rl, "id", NULL)), 100);
			sb_adds(&sb, "`, ");
			sb_mrkdwn(&sb, or_dash(jstr_at(rl, "severity", NULL)), 20);
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
	sb_addf(&sb, "[%s] %s drift on %s", upper_sev(sev), or_dash(kind), what.buf);
	if (jstr_at(fj, "summary", NULL) != NULL)
		sb_addf(&sb, ": %.300s", jstr_at(fj, "summary", NULL));
	sb_addf(&sb, " (by %s via %s)", or_dash(jstr_at(fj, "actor", "name")),
	    or_dash(jstr_at(fj, "actor", "via")));
	json_object_object_add(msg, "text", json_object_new_string(sb.buf));
	json_object_object_add(msg, "blocks", blocks);
	r = text_json_string(msg, JSON_FLAGS);
	json_object_put(msg);
	sb_free(&sb);
	sb_free(&what);
	return r;
}

/* RFC 3339 with nanoseconds, as Falco writes its times. */
static void
falco_time(int64_t ms, char out[64])
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)t * 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (long)(frac % 1000) * 1000000L);
}

static void
put_field(json_object *of, const char *name, const char *v)
{
	if (v != NULL)
		json_object_object_add(of, name, json_object_new_string(v));
}

/* One line: newlines would split a Falco output. */
static void
sb_line(struct strbuf *sb, const char *s)
{
	for (; s != NULL && *s; s++)
		sb_addc(sb, *s == '\n' || *s == '\r' ? ' ' : *s);
}

/* The tfdrift.* fields every alert carries, open or resolved: what drifted, where. */
static void
falco_finding_fields(json_object *of, json_object *fj)
{
	put_field(of, "tfdrift.id", jstr_at(fj, "id", NULL));
	put_field(of, "tfdrift.kind", jstr_at(fj, "kind", NULL));
	put_field(of, "tfdrift.severity", jstr_at(fj, "severity", NULL));
	put_field(of, "tfdrift.provider", jstr_at(fj, "provider", NULL));
	put_field(of, "tfdrift.address", jstr_at(fj, "resource", "address"));
	put_field(of, "tfdrift.resource.type", jstr_at(fj, "resource", "type"));
	put_field(of, "tfdrift.resource.id", jstr_at(fj, "resource", "id"));
	put_field(of, "tfdrift.state", jstr_at(fj, "resource", "state"));
	put_field(of, "tfdrift.summary", jstr_at(fj, "summary", NULL));
}

/* The envelope Falco writes around an alert (output, priority, rule, time, output_fields,
 * source, tags, hostname), serialised; takes ownership of of and tags. A time that does not
 * parse is now. */
static char *
falco_envelope(const char *output, const char *sev, const char *rule, const char *time,
    json_object *of, json_object *tags, const char *hostname)
{
	json_object *p = json_object_new_object();
	char tbuf[64], *r;
	int64_t ms;

	json_object_object_add(p, "output", json_object_new_string(output));
	json_object_object_add(p, "priority", json_object_new_string(notify_falco_priority(sev)));
	json_object_object_add(p, "rule", json_object_new_string(rule));
	if (time == NULL || tf_parse_time(time, &ms) != 0)
		ms = tf_now_ms();
	falco_time(ms, tbuf);
	json_object_object_add(p, "time", json_object_new_string(tbuf));
	json_object_object_add(p, "output_fields", of);
	json_object_object_add(p, "source", json_object_new_string("tfdrift"));
	json_object_object_add(p, "tags", tags);
	if (hostname != NULL && *hostname != '\0')
		json_object_object_add(p, "hostname", json_object_new_string(hostname));
	r = text_json_string(p, JSON_FLAGS);
	json_object_put(p);
	return r;
}

/* Tags both alerts end with: the kind and the provider. */
static void
falco_tags_tail(json_object *tags, const char *kind, const char *prov)
{
	if (kind != NULL)
		json_object_array_add(tags, json_object_new_string(kind));
	if (prov != NULL)
		json_object_array_add(tags, json_object_new_string(prov));
}

/* A resolution as a Falco alert: its own rule ("tfdrift drift resolved") and tags
 * (tfdrift, resolved, the reason), the finding's priority (so falcosidekick routes it where
 * the open alert went), the resolution's time, tfdrift.* fields of the finding and of its
 * resolution, and the resolving event under the names of Falco's plugins. */
static char *
falco_resolution(json_object *fj, const char *hostname)
{
	const char *sev = jstr_at(fj, "severity", NULL), *kind = jstr_at(fj, "kind", NULL);
	const char *prov = jstr_at(fj, "provider", NULL);
	json_object *res = jobj_at(fj, "resolution");
	const char *reason = jstr_at(res, "reason", NULL), *at = jstr_at(res, "at", NULL);
	json_object *of = json_object_new_object(), *tags = json_object_new_array();
	char *line, *r;
	struct strbuf sb;

	sb_init(&sb);
	line = notify_resolution_line(fj);
	sb_line(&sb, line);
	free(line);
	sb_adds(&sb, " (reason=");
	sb_line(&sb, or_dash(reason));
	sb_adds(&sb, " kind=");
	sb_line(&sb, or_dash(kind));
	sb_adds(&sb, " severity=");
	sb_line(&sb, or_dash(sev));
	sb_adds(&sb, " id=");
	sb_line(&sb, or_dash(jstr_at(fj, "id", NULL)));
	sb_adds(&sb, ")");

	falco_finding_fields(of, fj);
	put_field(of, "tfdrift.status", "resolved");
	put_field(of, "tfdrift.resolution.reason", reason);
	put_field(of, "tfdrift.resolution.at", at);
	put_field(of, "tfdrift.resolution.event.id", jstr_at(res, "event", "id"));
	put_field(of, "tfdrift.resolution.event.name", jstr_at(res, "event", "name"));
	put_field(of, "tfdrift.resolution.actor", resolver(res));
	put_field(of, "tfdrift.resolution.actor.via", jstr_at(res, "actor", "via"));
	put_field(of, "tfdrift.resolution.state", jstr_at(res, "state", "path"));
	put_field(of, "tfdrift.drift.event.id", jstr_at(fj, "event", "id"));
	put_field(of, "tfdrift.drift.event.name", jstr_at(fj, "event", "name"));
	put_field(of, "tfdrift.drift.actor", jstr_at(fj, "actor", "name"));
	if (jstr_at(res, "event", "name") != NULL) {
		if (prov != NULL && strcmp(prov, "gcp") == 0) {
			put_field(of, "gcp.methodName", jstr_at(res, "event", "name"));
			put_field(of, "gcp.user", jstr_at(res, "actor", "principal"));
			put_field(of, "gcp.resourceName", jstr_at(fj, "resource", "id"));
			put_field(of, "gcp.time", at);
		} else {
			put_field(of, "ct.id", jstr_at(res, "event", "id"));
			put_field(of, "ct.name", jstr_at(res, "event", "name"));
			put_field(of, "ct.time", at);
			put_field(of, "ct.user", jstr_at(res, "actor", "name"));
			put_field(of, "ct.user.arn", jstr_at(res, "actor", "principal"));
			put_field(of, "ct.user.identitytype", jstr_at(res, "actor", "type"));
			put_field(of, "ct.user.accountid", jstr_at(res, "actor", "account"));
		}
	}
	json_object_array_add(tags, json_object_new_string("tfdrift"));
	json_object_array_add(tags, json_object_new_string("resolved"));
	if (reason != NULL)
		json_object_array_add(tags, json_object_new_string(reason));
	falco_tags_tail(tags, kind, prov);
	r = falco_envelope(sb.buf, sev, "tfdrift drift resolved", at, of, tags, hostname);
	sb_free(&sb);
	return r;
}

/* An open finding's alert. */
static char *
falco_alert(json_object *fj, const char *hostname)
{
	const char *sev = jstr_at(fj, "severity", NULL), *kind = jstr_at(fj, "kind", NULL);
	const char *prov = jstr_at(fj, "provider", NULL), *etime = jstr_at(fj, "event", "time");
	const char *addr = jstr_at(fj, "resource", "address");
	json_object *of = json_object_new_object(), *tags = json_object_new_array();
	json_object *rule = top_rule(fj), *rules;
	struct strbuf sb, rb;
	char *r;
	size_t i;

	sb_init(&sb);
	sb_adds(&sb, "Terraform drift (");
	sb_line(&sb, or_dash(kind));
	sb_adds(&sb, ") on ");
	if (addr != NULL)
		sb_line(&sb, addr);
	else {
		sb_line(&sb, or_dash(jstr_at(fj, "resource", "type")));
		sb_adds(&sb, " ");
		sb_line(&sb, or_dash(jstr_at(fj, "resource", "id")));
	}
	if (jstr_at(fj, "summary", NULL) != NULL) {
		sb_adds(&sb, ": ");
		sb_line(&sb, jstr_at(fj, "summary", NULL));
	}
	sb_adds(&sb, " (user=");
	sb_line(&sb, or_dash(jstr_at(fj, "actor", "name")));
	sb_adds(&sb, " via=");
	sb_line(&sb, or_dash(jstr_at(fj, "actor", "via")));
	sb_adds(&sb, " ip=");
	sb_line(&sb, or_dash(jstr_at(fj, "actor", "source_ip")));
	sb_adds(&sb, prov != NULL && strcmp(prov, "gcp") == 0 ? " project=" : " account=");
	sb_line(&sb, or_dash(jstr_at(fj, "event", "account")));
	sb_adds(&sb, " region=");
	sb_line(&sb, or_dash(jstr_at(fj, "event", "region")));
	sb_adds(&sb, " event=");
	sb_line(&sb, or_dash(jstr_at(fj, "event", "name")));
	sb_adds(&sb, " severity=");
	sb_line(&sb, or_dash(sev));
	sb_adds(&sb, " id=");
	sb_line(&sb, or_dash(jstr_at(fj, "id", NULL)));
	sb_adds(&sb, ")");
	sb_init(&rb);
	if (rule != NULL && jstr_at(rule, "name", NULL) != NULL)
		sb_adds(&rb, jstr_at(rule, "name", NULL));
	else
		sb_addf(&rb, "tfdrift %s", or_dash(kind));

	falco_finding_fields(of, fj);
	put_field(of, "tfdrift.actor.via", jstr_at(fj, "actor", "via"));
	if (rule != NULL)
		put_field(of, "tfdrift.rule.id", jstr_at(rule, "id", NULL));
	/* The field names of Falco's own cloudtrail and gcpaudit plugins, so rules and
	 * dashboards built for those match these alerts too. */
	if (prov != NULL && strcmp(prov, "gcp") == 0) {
		put_field(of, "gcp.user", jstr_at(fj, "actor", "principal"));
		put_field(of, "gcp.callerIP", jstr_at(fj, "actor", "source_ip"));
		put_field(of, "gcp.userAgent", jstr_at(fj, "actor", "user_agent"));
		put_field(of, "gcp.methodName", jstr_at(fj, "event", "name"));
		put_field(of, "gcp.serviceName", jstr_at(fj, "event", "source"));
		put_field(of, "gcp.projectId", jstr_at(fj, "event", "account"));
		put_field(of, "gcp.location", jstr_at(fj, "event", "region"));
		put_field(of, "gcp.resourceName", jstr_at(fj, "resource", "id"));
		put_field(of, "gcp.time", etime);
	} else {
		put_field(of, "ct.id", jstr_at(fj, "event", "id"));
		put_field(of, "ct.name", jstr_at(fj, "event", "name"));
		put_field(of, "ct.src", jstr_at(fj, "event", "source"));
		put_field(of, "ct.time", etime);
		put_field(of, "ct.region", jstr_at(fj, "event", "region"));
		put_field(of, "ct.user", jstr_at(fj, "actor", "name"));
		put_field(of, "ct.user.arn", jstr_at(fj, "actor", "principal"));
		put_field(of, "ct.user.identitytype", jstr_at(fj, "actor", "type"));
		put_field(of, "ct.user.accountid", jstr_at(fj, "actor", "account"));
		put_field(of, "ct.srcip", jstr_at(fj, "actor", "source_ip"));
		put_field(of, "ct.useragent", jstr_at(fj, "actor", "user_agent"));
	}
	json_object_array_add(tags, json_object_new_string("tfdrift"));
	json_object_array_add(tags, json_object_new_string("drift"));
	falco_tags_tail(tags, kind, prov);
	if (json_object_object_get_ex(fj, "rules", &rules) &&
	    json_object_is_type(rules, json_type_array))
		for (i = 0; i < json_object_array_length(rules); i++) {
			const char *id = jstr_at(json_object_array_get_idx(rules, i), "id", NULL);

			if (id != NULL)
				json_object_array_add(tags, json_object_new_string(id));
		}
	r = falco_envelope(sb.buf, sev, rb.buf, etime, of, tags, hostname);
	sb_free(&rb);
	sb_free(&sb);
	return r;
}

char *
notify_slack_payload(json_object *fj)
{
	return notify_is_resolution(fj) ? slack_resolution(fj) : slack_alert(fj);
}

char *
notify_falco_payload(json_object *fj, const char *hostname)
{
	return notify_is_resolution(fj) ? falco_resolution(fj, hostname) :
	    falco_alert(fj, hostname);
}

char *
notify_summary_payload(enum conf_output_type type, const char *output, uint64_t n,
    int per_minute, const char *hostname)
{
	json_object *p = json_object_new_object();
	char *text, tbuf[64], *r;

	text = xasprintf("%llu more finding%s not sent (rate limit: %d/minute on output %s)",
	    (unsigned long long)n, n == 1 ? "" : "s", per_minute, output);
	switch (type) {
	case COUT_SLACK:
		json_object_object_add(p, "text", json_object_new_string(text));
		break;
	case COUT_WEBHOOK:
		json_object_object_add(p, "type", json_object_new_string("rate_limit_summary"));
		json_object_object_add(p, "output", json_object_new_string(output));
		json_object_object_add(p, "not_sent", json_object_new_int64((int64_t)n));
		json_object_object_add(p, "rate_limit_per_minute", json_object_new_int(per_minute));
		json_object_object_add(p, "message", json_object_new_string(text));
		break;
	case COUT_FALCO: {
		json_object *of = json_object_new_object(), *tags = json_object_new_array();

		json_object_object_add(p, "output", json_object_new_string(text));
		json_object_object_add(p, "priority", json_object_new_string("Warning"));
		json_object_object_add(p, "rule", json_object_new_string("tfdrift rate limit"));
		falco_time(tf_now_ms(), tbuf);
		json_object_object_add(p, "time", json_object_new_string(tbuf));
		json_object_object_add(of, "tfdrift.output", json_object_new_string(output));
		json_object_object_add(of, "tfdrift.not_sent", json_object_new_int64((int64_t)n));
		json_object_object_add(p, "output_fields", of);
		json_object_object_add(p, "source", json_object_new_string("tfdrift"));
		json_object_array_add(tags, json_object_new_string("tfdrift"));
		json_object_array_add(tags, json_object_new_string("rate_limit"));
		json_object_object_add(p, "tags", tags);
		if (hostname != NULL && *hostname != '\0')
			json_object_object_add(p, "hostname", json_object_new_string(hostname));
		break;
	}
	}
	r = text_json_string(p, JSON_FLAGS);
	json_object_put(p);
	free(text);
	return r;
}

/* ---- the memory dedup set ---- */

static size_t
idset_slot(const struct idset *s, const char *id)
{
	size_t i = (size_t)tf_hash_str(id) & (s->cap - 1);

	while (s->v[i][0] != '\0' && strcmp(s->v[i], id) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int
idset_has(const struct idset *s, const char *id)
{
	return s->cap > 0 && s->v[idset_slot(s, id)][0] != '\0';
}

static void
idset_add(struct idset *s, const char *id)
{
	size_t i;

	if (idset_has(s, id))
		return;
	if ((s->n + 1) * 2 > s->cap) {
		struct idset g = { NULL, s->cap ? s->cap * 2 : 64, 0 };

		g.v = xcalloc(g.cap, sizeof *g.v);
		for (i = 0; i < s->cap; i++)
			if (s->v[i][0] != '\0') {
				memcpy(g.v[idset_slot(&g, s->v[i])], s->v[i], 33);
				g.n++;
			}
		free(s->v);
		*s = g;
	}
	i = idset_slot(s, id);
	snprintf(s->v[i], 33, "%s", id);
	s->n++;
}

/* ---- the output threads ---- */

static void
item_unref(struct item *it)
{
	if (it != NULL && atomic_fetch_sub(&it->refs, 1) == 1) {
		free(it->json);
		free(it);
	}
}

static int
expired(struct output *o)
{
	int64_t at = atomic_load(&o->abort_at);

	return at != 0 && tf_mono_ms() >= at;
}

static int
abort_check(void *ctx)
{
	return expired(ctx);
}

static void
set_error(struct output *o, const char *e)
{
	pthread_mutex_lock(&o->mu);
	free(o->st.last_error);
	o->st.last_error = e != NULL ? xstrdup(e) : NULL;
	pthread_mutex_unlock(&o->mu);
}

#define COUNT(o, field, k) do { \
	pthread_mutex_lock(&(o)->mu); \
	(o)->st.field += (k); \
	pthread_mutex_unlock(&(o)->mu); \
} while (0)


/* Append {time, output, type, error, attempts, finding} to the dead-letter file. */
static void
dead_letter(struct output *o, const char *json, const char *why, unsigned attempts)
{
	json_object *l = json_object_new_object(), *fj = json_tokener_parse(json);
	char t[32], *line;
	int fd;
	ssize_t w;

	tf_format_time(tf_now_ms(), t);
	json_object_object_add(l, "time", json_object_new_string(t));
	json_object_object_add(l, "output", json_object_new_string(o->name));
	json_object_object_add(l, "type", json_object_new_string(conf_output_type_name(o->type)));
	json_object_object_add(l, "error", json_object_new_string(why));
	json_object_object_add(l, "attempts", json_object_new_int((int)attempts));
	json_object_object_add(l, "finding", fj);
	{
		char *j = text_json_string(l, JSON_FLAGS);

		line = xasprintf("%s\n", j);
		free(j);
	}
	json_object_put(l);
	(void)tf_mkdir_parents(o->dead_letter, NULL);
	errno = 0;
	fd = open(o->dead_letter, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || (w = write(fd, line, strlen(line))) != (ssize_t)strlen(line)) {
		char *e = xasprintf("%s; and the dead-letter file %s: %s", why, o->dead_letter,
		    strerror(errno != 0 ? errno : EIO));

		set_error(o, e);
		free(e);
	} else
		COUNT(o, dead_lettered, 1);
	if (fd >= 0)
		close(fd);
	free(line);
}

/* Sleep ms, or less when the output has to give up (the drain deadline). */
static void
pause_ms(struct output *o, int64_t ms)
{
	int64_t until = tf_mono_ms() + ms;
	struct timespec ts;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		int64_t now = tf_mono_ms(), at = atomic_load(&o->abort_at), left;

		if (now >= until || (at != 0 && now >= at))
			break;
		left = until - now;
		if (at != 0 && at - now < left)
			left = at - now;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (long)(left % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&o->cv, &o->mu, &ts);
	}
	pthread_mutex_unlock(&o->mu);
}

/* One attempt. 0 delivered; -1 with *err and *retry (worth another attempt). */
static int
attempt(struct output *o, const char *body, size_t len, const char *event, const char *id,
    char **retry_after, int *retry, char **err)
{
	struct http_req rq;
	struct http_resp rs;
	const char **hdrs;
	char *tmp[4] = { NULL, NULL, NULL, NULL };
	size_t i, k = 0;
	int rc;

	*retry = 0;
	if (o->file != NULL) {
		/* Falco JSON lines: one write per line, locked so lines never interleave. */
		if (o->fp == NULL) {
			if (strcmp(o->file, "-") == 0)
				o->fp = stdout;
			else {
				(void)tf_mkdir_parents(o->file, NULL);
				if ((o->fp = fopen(o->file, "a")) == NULL)
					return tf_err(err, "%s: %s", o->file, strerror(errno));
			}
		}
		flockfile(o->fp);
		rc = fwrite(body, 1, len, o->fp) == len && putc_unlocked('\n', o->fp) != EOF &&
		    fflush(o->fp) == 0 ? 0 : -1;
		funlockfile(o->fp);
		if (rc != 0)
			return tf_err(err, "%s: %s", strcmp(o->file, "-") == 0 ? "stdout" : o->file,
			    strerror(errno));
		return 0;
	}
	hdrs = xcalloc(o->headers.n + 6, sizeof *hdrs);
	hdrs[k++] = "Content-Type: application/json";
	if (o->type == COUT_WEBHOOK) {
		tmp[0] = xasprintf("X-Tfdrift-Event: %s", event);
		hdrs[k++] = tmp[0];
		if (id != NULL) {
			tmp[1] = xasprintf("X-Tfdrift-Finding: %s", id);
			hdrs[k++] = tmp[1];
		}
		if (o->hmac != NULL) {
			char hex[65];

			notify_hmac_hex(o->hmac, body, len, hex);
			tmp[2] = xasprintf("X-Tfdrift-Signature: sha256=%s", hex);
			hdrs[k++] = tmp[2];
		}
	}
	for (i = 0; i < o->headers.n; i++)
		hdrs[k++] = o->headers.v[i];
	hdrs[k] = NULL;
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = o->url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = len;
	rq.timeout_ms = o->timeout_ms;
	rq.connect_timeout_ms = o->timeout_ms < 10000 ? o->timeout_ms : 10000;
	rq.max_body = 1 << 20;
	rq.secret_url = 1;
	rq.abort_check = abort_check;
	rq.abort_ctx = o;
	rc = http_do(o->http, &rq, &rs, err);
	if (rc == 0 && (rs.status < 200 || rs.status > 299)) {
		char *u = http_redact_secret_url(o->url);
		struct strbuf why;

		sb_init(&why);
		sb_line(&why, rs.body.buf != NULL ? rs.body.buf : "");
		tf_err(err, "POST %s: HTTP %ld%s%.200s", u, rs.status, why.len ? ": " : "",
		    why.len ? why.buf : "");
		sb_free(&why);
		free(u);
		rc = -1;
	}
	if (rc != 0) {
		*retry = http_retryable(&rs);
		free(*retry_after);
		*retry_after = xstrdup(rs.retry_after);
	}
	http_resp_free(&rs);
	for (i = 0; i < TF_ARRLEN(tmp); i++)
		free(tmp[i]);
	free(hdrs);
	return rc;
}

/* Deliver with retries. 0, or -1 with *err (the last attempt's) and *attempts. */
static int
deliver(struct output *o, const char *body, size_t len, const char *event, const char *id,
    unsigned *attempts, char **err)
{
	char *retry_after = NULL, *e = NULL;
	unsigned n;
	int retry;

	for (n = 1;; n++) {
		free(e);
		e = NULL;
		if (attempt(o, body, len, event, id, &retry_after, &retry, &e) == 0) {
			free(retry_after);
			*attempts = n;
			return 0;
		}
		if (!retry || n > (unsigned)o->retries || expired(o))
			break;
		COUNT(o, retried, 1);
		pause_ms(o, http_backoff_ms(n, NOTIFY_BACKOFF_BASE_MS, NOTIFY_BACKOFF_CAP_MS,
		    retry_after));
		if (expired(o))
			break;
	}
	free(retry_after);
	*attempts = n;
	if (expired(o) && retry) {
		*err = xasprintf("%s (gave up at exit)", e);
		free(e);
	} else
		*err = e;
	return -1;
}

/* The store's dedup key: "notify/<output>/<id>" for the open finding, with "/resolved"
 * after it for its resolution (each is sent once per output). */
static char *
sent_key(const struct output *o, const char *id, int resolved)
{
	return xasprintf("notify/%s/%s%s", o->name, id, resolved ? "/resolved" : "");
}

static int
already_sent(struct output *o, const char *id, int resolved)
{
	struct idset *set = resolved ? &o->sent_res : &o->sent;
	char *k, *v = NULL, *err = NULL;
	int rc;

	if (idset_has(set, id))
		return 1;
	if (o->store == NULL)
		return 0;
	k = sent_key(o, id, resolved);
	rc = store_cursor_get(o->store, k, &v, &err);
	free(k);
	free(v);
	free(err);
	if (rc == 1)
		idset_add(set, id);
	return rc == 1;
}

/* Several workers on one store: the worker whose claim is written sends the notification
 * (store_notify_claim, before sending). 1: send it (claimed; or the claim could not be
 * written, on an older or read-only store: better sent twice than lost, and the cursor then
 * keeps it), 0: claimed before, by any worker. */
static int
claim(struct output *o, const char *id, int resolved, int *claimed)
{
	char *err = NULL;
	int rc;

	*claimed = 0;
	if (o->store == NULL)
		return 1;
	rc = store_notify_claim(o->store, id, o->name, resolved, o->n->holder,
	    store_lease_now_ms(), &err);
	if (rc < 0) {
		char *e = xasprintf("claim not saved (another worker may send it too): %s", err);

		set_error(o, e);
		free(e);
		rc = 1;
	} else if (rc == 0)
		idset_add(resolved ? &o->sent_res : &o->sent, id);
	else
		*claimed = 1;
	free(err);
	return rc;
}

/* Not sent after all: the claim is given up, so that whoever meets it again may send it. */
static void
unclaim(struct output *o, const struct item *it, int claimed)
{
	if (claimed)
		store_notify_unclaim(o->store, it->id, o->name, it->resolved, o->n->holder, NULL);
}

/* Sent: remembered in memory, and unless its claim is in the store, in the cursors. */
static void
mark_sent(struct output *o, const char *id, int resolved, int claimed)
{
	char t[32], *k, *err = NULL;

	idset_add(resolved ? &o->sent_res : &o->sent, id);
	if (o->store == NULL || claimed)
		return;
	k = sent_key(o, id, resolved);
	tf_format_time(tf_now_ms(), t);
	if (store_cursor_set(o->store, k, t, &err) != 0) {
		char *e = xasprintf("dedup not saved: %s", err);

		set_error(o, e);
		free(e);
	}
	free(err);
	free(k);
}

static char *
payload(struct output *o, const struct item *it)
{
	json_object *fj;
	char *r;

	if (o->type == COUT_WEBHOOK)
		return xstrdup(it->json);
	if ((fj = json_tokener_parse(it->json)) == NULL)
		return NULL;
	r = o->type == COUT_SLACK ? notify_slack_payload(fj) :
	    notify_falco_payload(fj, o->n->hostname);
	json_object_put(fj);
	return r;
}

static void
handle(struct output *o, struct item *it)
{
	unsigned attempts = 0;
	char *body, *err = NULL;
	int claimed;

	if (expired(o)) {
		COUNT(o, failed, 1);
		dead_letter(o, it->json, "not delivered before exit (the drain deadline passed)", 0);
		return;
	}
	if (already_sent(o, it->id, it->resolved) || !claim(o, it->id, it->resolved, &claimed)) {
		COUNT(o, deduped, 1);
		return;
	}
	if (!notify_bucket_take(&o->bucket, tf_mono_ms())) {
		unclaim(o, it, claimed);        /* held back: it may come again and be sent */
		COUNT(o, rate_limited, 1);
		if (o->summary_pending++ == 0)
			o->summary_due = tf_mono_ms() + RATE_WINDOW_MS;
		return;
	}
	if ((body = payload(o, it)) == NULL) {
		COUNT(o, failed, 1);
		dead_letter(o, it->json, "internal error: the finding JSON does not parse", 0);
		unclaim(o, it, claimed);
		return;
	}
	if (deliver(o, body, strlen(body), it->resolved ? "resolution" : "finding", it->id,
	    &attempts, &err) == 0) {
		pthread_mutex_lock(&o->mu);
		o->st.sent++;
		if (it->resolved)
			o->st.sent_resolutions++;
		o->st.last_ok_ms = tf_now_ms();
		free(o->st.last_error);
		o->st.last_error = NULL;
		/* Draining: a receiver that answers keeps its output going a while longer. */
		if (o->stopping) {
			int64_t at = tf_mono_ms() + o->drain_idle_ms;

			atomic_store(&o->abort_at, at < o->hard_at ? at : o->hard_at);
		}
		pthread_mutex_unlock(&o->mu);
		mark_sent(o, it->id, it->resolved, claimed);
	} else {
		COUNT(o, failed, 1);
		set_error(o, err);
		dead_letter(o, it->json, err, attempts);
		unclaim(o, it, claimed);
	}
	free(err);
	free(body);
}

static void
send_summary(struct output *o)
{
	uint64_t n = o->summary_pending;
	unsigned attempts;
	char *body, *err = NULL;

	o->summary_pending = 0;
	body = notify_summary_payload(o->type, o->name, n, o->rate_limit, o->n->hostname);
	if (deliver(o, body, strlen(body), "rate_limit_summary", NULL, &attempts, &err) == 0)
		COUNT(o, summaries, 1);
	else {
		char *e = xasprintf("rate-limit summary: %s", err);

		set_error(o, e);
		free(e);
	}
	free(err);
	free(body);
}

static void *
worker(void *arg)
{
	struct output *o = arg;
	char *err = NULL;

	if (o->url != NULL)
		o->http = http_new();
	if (o->n->store_path != NULL &&
	    store_open(o->n->store_path, 0, &o->store, &err) != 0) {
		char *e = xasprintf("dedup kept in memory only: %s", err);

		set_error(o, e);
		free(e);
		free(err);
		o->store = NULL;
	}
	notify_bucket_init(&o->bucket, o->rate_limit, tf_mono_ms());
	for (;;) {
		struct item *it = NULL;
		int summary = 0;

		pthread_mutex_lock(&o->mu);
		for (;;) {
			int64_t now = tf_mono_ms();

			if (o->qlen > 0) {
				it = o->q[o->qhead];
				o->qhead = (o->qhead + 1) % NOTIFY_QUEUE_CAP;
				o->qlen--;
				pthread_cond_broadcast(&o->cv);   /* notify_finding_wait */
				break;
			}
			if (o->summary_pending > 0 && (o->stopping || now >= o->summary_due)) {
				summary = 1;
				break;
			}
			if (o->stopping)
				break;
			if (o->summary_pending > 0) {
				struct timespec ts;
				int64_t left = o->summary_due - now;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += left / 1000;
				ts.tv_nsec += (long)(left % 1000) * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&o->cv, &o->mu, &ts);
			} else
				pthread_cond_wait(&o->cv, &o->mu);
		}
		pthread_mutex_unlock(&o->mu);
		if (it != NULL) {
			handle(o, it);
			item_unref(it);
		} else if (summary)
			send_summary(o);
		else
			break;
	}
	if (o->fp != NULL && o->fp != stdout)
		fclose(o->fp);
	o->fp = NULL;
	http_free(o->http);
	o->http = NULL;
	store_close(o->store);
	o->store = NULL;
	return NULL;
}

/* ---- the public side ---- */

static void
output_init(struct output *o, struct notifier *n, const struct conf_output *c)
{
	size_t i;

	memset(o, 0, sizeof *o);
	o->n = n;
	o->name = xstrdup(c->name);
	o->type = c->type;
	o->url = xstrdup(c->url);
	o->file = xstrdup(c->file);
	o->hmac = xstrdup(c->hmac_secret);
	o->dead_letter = xstrdup(c->dead_letter);
	o->filt.min_severity = xstrdup(c->min_severity);
	for (i = 0; i < c->kinds.n; i++)
		strlist_push(&o->filt.kinds, c->kinds.v[i]);
	for (i = 0; i < c->rules.n; i++)
		strlist_push(&o->filt.rules, c->rules.v[i]);
	for (i = 0; i < c->headers.n; i++)
		strlist_push(&o->headers, c->headers.v[i]);
	o->on = c->on != 0 ? c->on : CONF_ON_OPEN;
	o->rate_limit = c->rate_limit;
	o->retries = c->retries;
	o->timeout_ms = c->timeout_ms;
	o->st.name = o->name;
	o->st.type = conf_output_type_name(c->type);
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
}

struct notifier *
notify_new_store(const struct conf *c, const char *store_path, char **err)
{
	struct notifier *n = xcalloc(1, sizeof *n);
	size_t i;
	int rc;

	n->store_path = xstrdup(store_path);
	n->holder = store_lease_holder_new();
	if (gethostname(n->hostname, sizeof n->hostname - 1) != 0)
		n->hostname[0] = '\0';
	n->o = xcalloc(c->noutputs ? c->noutputs : 1, sizeof *n->o);
	for (i = 0; i < c->noutputs; i++) {
		output_init(&n->o[i], n, &c->outputs[i]);
		n->n++;
		if ((rc = pthread_create(&n->o[i].thread, NULL, worker, &n->o[i])) != 0) {
			tf_err(err, "notify: cannot start the thread of output %s: %s",
			    c->outputs[i].name, strerror(rc));
			notify_free(n);
			return NULL;
		}
		n->o[i].started = 1;
	}
	return n;
}

struct notifier *
notify_new(const struct conf *c, char **err)
{
	return notify_new_store(c, c->store, err);
}

size_t
notify_noutputs(const struct notifier *n)
{
	return n != NULL ? n->n : 0;
}

static void
enqueue(struct notifier *n, const struct finding *f, int wait)
{
	struct item *it = NULL;
	/* A resolved finding is a resolution: sent to the outputs with on: [..., resolved]. */
	int resolved = f->status == ST_RESOLVED && f->resolution != NULL;
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		struct output *o = &n->o[i];

		if (!(o->on & (resolved ? CONF_ON_RESOLVED : CONF_ON_OPEN)) ||
		    !notify_filter(&o->filt, f)) {
			COUNT(o, filtered, 1);
			continue;
		}
		if (it == NULL) {
			json_object *fj = finding_to_json(f);

			it = xcalloc(1, sizeof *it);
			atomic_init(&it->refs, 1);
			it->resolved = resolved;
			snprintf(it->id, sizeof it->id, "%s", f->id);
			it->json = text_json_string(fj, JSON_FLAGS);
			json_object_put(fj);
		}
		pthread_mutex_lock(&o->mu);
		while (wait && !o->stopping && o->qlen == NOTIFY_QUEUE_CAP)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->stopping || o->qlen == NOTIFY_QUEUE_CAP)
			o->st.dropped++;
		else {
			atomic_fetch_add(&it->refs, 1);
			o->q[(o->qhead + o->qlen) % NOTIFY_QUEUE_CAP] = it;
			o->qlen++;
			pthread_cond_broadcast(&o->cv);
		}
		pthread_mutex_unlock(&o->mu);
	}
	item_unref(it);
}

void
notify_finding(struct notifier *n, const struct finding *f)
{
	enqueue(n, f, 0);
}

void
notify_finding_wait(struct notifier *n, const struct finding *f)
{
	enqueue(n, f, 1);
}

size_t
notify_drain(struct notifier *n, int64_t idle_ms, int64_t max_ms)
{
	int64_t now = tf_mono_ms();
	size_t i;

	if (n == NULL)
		return 0;
	if (n->drained)
		return n->undelivered;
	for (i = 0; i < n->n; i++) {
		struct output *o = &n->o[i];

		pthread_mutex_lock(&o->mu);
		o->stopping = 1;
		o->drain_idle_ms = idle_ms;
		o->hard_at = now + max_ms;
		atomic_store(&o->abort_at, now + (idle_ms < max_ms ? idle_ms : max_ms));
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
	}
	for (i = 0; i < n->n; i++)
		if (n->o[i].started) {
			pthread_join(n->o[i].thread, NULL);
			n->o[i].started = 0;
		}
	n->undelivered = 0;
	for (i = 0; i < n->n; i++)
		n->undelivered += n->o[i].st.failed + n->o[i].st.dropped;
	n->drained = 1;
	return n->undelivered;
}

void
notify_free(struct notifier *n)
{
	size_t i;

	if (n == NULL)
		return;
	notify_drain(n, NOTIFY_DRAIN_IDLE_MS, NOTIFY_DRAIN_MAX_MS);
	for (i = 0; i < n->n; i++) {
		struct output *o = &n->o[i];

		while (o->qlen > 0) {
			item_unref(o->q[o->qhead]);
			o->qhead = (o->qhead + 1) % NOTIFY_QUEUE_CAP;
			o->qlen--;
		}
		free(o->name);
		free(o->url);
		free(o->file);
		free(o->hmac);
		free(o->dead_letter);
		free(o->filt.min_severity);
		strlist_clear(&o->filt.kinds);
		strlist_clear(&o->filt.rules);
		strlist_clear(&o->headers);
		free(o->st.last_error);
		free(o->sent.v);
		free(o->sent_res.v);
		pthread_mutex_destroy(&o->mu);
		pthread_cond_destroy(&o->cv);
	}
	free(n->o);
	free(n->store_path);
	free(n->holder);
	free(n);
}

void
notify_stats(struct notifier *n, struct notify_stat **out, size_t *nout)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	if (n == NULL || n->n == 0)
		return;
	*out = xcalloc(n->n, sizeof **out);
	for (i = 0; i < n->n; i++) {
		struct output *o = &n->o[i];

		pthread_mutex_lock(&o->mu);
		(*out)[i] = o->st;
		(*out)[i].name = xstrdup(o->name);
		(*out)[i].last_error = xstrdup(o->st.last_error);
		(*out)[i].backlog = o->qlen;
		pthread_mutex_unlock(&o->mu);
	}
	*nout = n->n;
}

void
notify_stats_free(struct notify_stat *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].last_error);
	}
	free(s);
}

void
notify_report(struct notifier *n, FILE *fp)
{
	struct notify_stat *s;
	size_t ns, i;

	notify_stats(n, &s, &ns);
	for (i = 0; i < ns; i++) {
		fprintf(fp, "tfdrift: notify %s (%s): %llu sent", s[i].name, s[i].type,
		    (unsigned long long)s[i].sent);
		if (s[i].sent_resolutions > 0)
			fprintf(fp, " (%llu resolution%s)", (unsigned long long)s[i].sent_resolutions,
			    s[i].sent_resolutions == 1 ? "" : "s");
		fprintf(fp, ", %llu deduped, %llu rate-limited", (unsigned long long)s[i].deduped,
		    (unsigned long long)s[i].rate_limited);
		if (s[i].retried > 0)
			fprintf(fp, ", %llu retr%s", (unsigned long long)s[i].retried,
			    s[i].retried == 1 ? "y" : "ies");
		if (s[i].failed > 0)
			fprintf(fp, ", %llu failed (%llu in the dead-letter file %s)",
			    (unsigned long long)s[i].failed, (unsigned long long)s[i].dead_lettered,
			    n->o[i].dead_letter);
		if (s[i].dropped > 0)
			fprintf(fp, ", %llu dropped (queue full)", (unsigned long long)s[i].dropped);
		if (s[i].last_error != NULL)
			fprintf(fp, "; last error: %s", s[i].last_error);
		fputc('\n', fp);
	}
	notify_stats_free(s, ns);
}
