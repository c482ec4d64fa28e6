/* finding: drift findings, their stable ids, one-line summaries and the JSON export form. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "text.h"
#include "util.h"
#include "value.h"

static const char *kind_names[FK__COUNT] = { "modified", "unmanaged", "deleted", "freeze_violation" };
static const char *sev_names[SEV__COUNT] = { "info", "low", "medium", "high", "critical" };

const char *
finding_kind_name(enum finding_kind k)
{
	return (unsigned)k < FK__COUNT ? kind_names[k] : "unknown";
}

const char *
severity_name(enum severity s)
{
	return (unsigned)s < SEV__COUNT ? sev_names[s] : "unknown";
}

int
severity_parse(const char *s, enum severity *out)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i < SEV__COUNT; i++) {
		if (strcmp(s, sev_names[i]) == 0) {
			*out = (enum severity)i;
			return 0;
		}
	}
	return -1;
}

const char *
finding_status_name(enum finding_status s)
{
	switch (s) {
	case ST_OPEN: return "open";
	case ST_ACKNOWLEDGED: return "acknowledged";
	case ST_SUPPRESSED: return "suppressed";
	case ST_RESOLVED: return "resolved";
	case ST__COUNT: break;
	}
	return "open";
}

int
finding_status_parse(const char *s, enum finding_status *out)
{
	int i;

	for (i = 0; s != NULL && i < ST__COUNT; i++)
		if (strcmp(s, finding_status_name((enum finding_status)i)) == 0) {
			*out = (enum finding_status)i;
			return 0;
		}
	return -1;
}

static const char *const reason_names[RR__COUNT] = {
	[RR_REVERTED_BY_TERRAFORM] = "reverted_by_terraform",
	[RR_REVERTED_BY_HAND] = "reverted_by_hand",
	[RR_ACCEPTED_IN_STATE] = "accepted_in_state",
	[RR_RESOURCE_GONE] = "resource_gone",
};

const char *
resolution_reason_name(enum resolution_reason r)
{
	return (unsigned)r < RR__COUNT ? reason_names[r] : "resource_gone";
}

int
resolution_reason_parse(const char *s, enum resolution_reason *out)
{
	int i;

	for (i = 0; s != NULL && i < RR__COUNT; i++)
		if (strcmp(s, reason_names[i]) == 0) {
			*out = (enum resolution_reason)i;
			return 0;
		}
	return -1;
}

void
finding_resolution_free(struct resolution *r)
{
	if (r == NULL)
		return;
	free(r->event_id);
	free(r->event_name);
	actor_clear(&r->actor);
	free(r->state_path);
	free(r);
}

void
finding_resolve(struct finding *f, enum resolution_reason why, const struct event *ev,
    int64_t at_ms)
{
	struct resolution *r = xcalloc(1, sizeof *r);

	r->reason = why;
	r->at_ms = at_ms;
	if (ev != NULL) {
		r->at_ms = ev->time_ms != 0 ? ev->time_ms : at_ms;
		r->event_id = ev->id != NULL ? xstrdup(ev->id) : NULL;
		r->event_name = ev->name != NULL ? xstrdup(ev->name) : NULL;
		actor_copy(&r->actor, &ev->actor);
		r->has_actor = 1;
	}
	finding_resolution_free(f->resolution);
	f->resolution = r;
	f->status = ST_RESOLVED;
}

const char *
change_kind_name(enum change_kind c)
{
	switch (c) {
	case CH_MODIFIED: return "modified";
	case CH_ADDED: return "added";
	case CH_REMOVED: return "removed";
	}
	return "modified";
}

/* A deep copy of v (not NULL) into *out: 0, or -1 (a value json-c cannot copy). */
static int
dup_value(json_object *v, json_object **out)
{
	*out = NULL;
	return json_object_deep_copy(v, out, NULL) == 0 ? 0 : -1;
}

/* Does the JSON form carry s as it is (finding_to_json repairs text that is not UTF-8)? */
static int
dup_str_ok(const char *s)
{
	return s == NULL || text_utf8_ok(s, strlen(s));
}

/* finding_dup without the JSON round trip, for what a detector makes (the drift lifecycle
 * copies every finding it tracks: through the JSON that was most of its cost): the members
 * it copies come back from the JSON form unchanged (times to the ms, masked values as NULL,
 * text that is UTF-8 already). NULL when f has more (triage, a resolution, rules, context),
 * text the JSON form would repair or a value json-c cannot copy: finding_dup then goes
 * through the JSON. */
static struct finding *
dup_direct(const struct finding *f)
{
	const char *const str[] = { f->address, f->type, f->resource_id, f->module,
	    f->state_source, f->summary, f->actor.principal, f->actor.name, f->actor.type,
	    f->actor.account, f->actor.role, f->actor.session, f->actor.invoked_by,
	    f->actor.delegation, f->source_ip, f->user_agent, f->event_id, f->event_name,
	    f->event_source, f->region, f->account, f->freeze_name };
	struct finding *c;
	size_t i;

	if (f->triage != NULL || f->resolution != NULL || f->nrules > 0 || f->tags != NULL ||
	    f->blast != NULL || f->nhistory > 0 || f->fix != NULL)
		return NULL;
	for (i = 0; i < TF_ARRLEN(str); i++)
		if (!dup_str_ok(str[i]))
			return NULL;
	for (i = 0; i < f->nchanges; i++)
		if (!dup_str_ok(f->changes[i].attribute) || (!f->changes[i].sensitive &&
		    (!text_json_ok(f->changes[i].old_val) || !text_json_ok(f->changes[i].new_val))))
			return NULL;
	c = xcalloc(1, sizeof *c);
	for (i = 0; i < f->nchanges; i++) {
		const struct change *ch = &f->changes[i];
		json_object *ov = NULL, *nv = NULL;

		/* Masked values stay masked: the JSON only ever holds "(sensitive)". */
		if (!ch->sensitive && ((ch->old_val != NULL && dup_value(ch->old_val, &ov) != 0) ||
		    (ch->new_val != NULL && dup_value(ch->new_val, &nv) != 0))) {
			json_object_put(ov);
			json_object_put(nv);
			finding_free(c);
			return NULL;
		}
		finding_add_change(c, ch->attribute, ov, nv, ch->change, ch->sensitive);
		c->changes[i].unknown_new = ch->unknown_new;
	}
	memcpy(c->id, f->id, sizeof c->id);
	c->kind = f->kind;
	c->severity = f->severity;
	c->status = f->status;
	c->provider = f->provider;
	c->address = xstrdup(f->address);
	c->type = xstrdup(f->type);
	c->resource_id = xstrdup(f->resource_id);
	c->module = xstrdup(f->module);
	c->state_source = xstrdup(f->state_source);
	c->summary = xstrdup(f->summary);
	actor_copy(&c->actor, &f->actor);
	c->source_ip = xstrdup(f->source_ip);
	c->user_agent = xstrdup(f->user_agent);
	c->event_id = xstrdup(f->event_id);
	c->event_name = xstrdup(f->event_name);
	c->event_source = xstrdup(f->event_source);
	c->region = xstrdup(f->region);
	c->account = xstrdup(f->account);
	c->event_time_ms = f->event_time_ms;
	if (f->freeze_name != NULL) {
		c->freeze_name = xstrdup(f->freeze_name);
		c->freeze_start_ms = f->freeze_start_ms;
		c->freeze_end_ms = f->freeze_end_ms;
	}
	c->event_origin = xstrdup(f->event_origin);
	c->state_lineage = xstrdup(f->state_lineage);
	c->state_serial = f->state_serial;
	return c;
}

struct finding *
finding_dup(const struct finding *f)
{
	struct finding *c = dup_direct(f);
	json_object *o;
	size_t i;

	if (c != NULL)
		return c;
	o = finding_to_json(f);
	c = finding_from_json(o, NULL);
	json_object_put(o);
	if (c == NULL)          /* finding_to_json reads back: not expected, but never fatal */
		return NULL;
	c->event_origin = xstrdup(f->event_origin);
	c->state_lineage = xstrdup(f->state_lineage);
	c->state_serial = f->state_serial;
	for (i = 0; i < c->nchanges && i < f->nchanges; i++)
		c->changes[i].unknown_new = f->changes[i].unknown_new;
	return c;
}

int
finding_time_cmp(const void *a, const void *b)
{
	const struct finding *x = *(const struct finding *const *)a;
	const struct finding *y = *(const struct finding *const *)b;

	if (x->event_time_ms != y->event_time_ms)
		return x->event_time_ms < y->event_time_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

void
finding_free(struct finding *f)
{
	size_t i;

	if (f == NULL)
		return;
	free(f->address);
	free(f->type);
	free(f->resource_id);
	free(f->module);
	free(f->state_source);
	free(f->state_lineage);
	for (i = 0; i < f->nchanges; i++) {
		free(f->changes[i].attribute);
		json_object_put(f->changes[i].old_val);
		json_object_put(f->changes[i].new_val);
	}
	free(f->changes);
	free(f->summary);
	actor_clear(&f->actor);
	finding_resolution_free(f->resolution);
	free(f->source_ip);
	free(f->user_agent);
	free(f->event_id);
	free(f->event_name);
	free(f->event_source);
	free(f->region);
	free(f->account);
	free(f->event_origin);
	for (i = 0; i < f->nrules; i++) {
		free(f->rules[i].id);
		free(f->rules[i].name);
		for (size_t j = 0; j < f->rules[i].nremediation; j++)
			free(f->rules[i].remediation[j]);
		free(f->rules[i].remediation);
		free(f->rules[i].runbook);
	}
	free(f->rules);
	if (f->triage != NULL) {
		free(f->triage->by);
		free(f->triage->note);
		free(f->triage);
	}
	free(f->freeze_name);
	json_object_put(f->tags);
	finding_blast_free(f->blast);
	finding_history_clear(f);
	free(f->fix);
	free(f);
}

void
finding_blast_free(struct blast_radius *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->ntop; i++)
		free(b->top[i]);
	free(b->top);
	free(b);
}

void
finding_history_clear(struct finding *f)
{
	size_t i;

	for (i = 0; i < f->nhistory; i++) {
		free(f->history[i].event);
		free(f->history[i].actor);
		free(f->history[i].finding_id);
	}
	free(f->history);
	f->history = NULL;
	f->nhistory = 0;
}

/* Same event + resource + kind ⇒ same id, across runs and machines. */
/* Where the role starts in a Google IAM id RESOURCE/ROLE[/MEMBER] (roles/NAME, or a custom
 * role projects/P/roles/NAME or organizations/O/roles/NAME) and *end where it ends; NULL when
 * there is none after a non-empty RESOURCE. */
static const char *
iam_role_in(const char *id, const char **end)
{
	const char *p = id, *start, *a, *b;

	while ((p = strstr(p, "roles/")) != NULL) {
		if (p > id + 1 && p[-1] == '/' && p[6] != '\0' && p[6] != '/') {
			start = p;
			/* Two segments back: projects/P or organizations/O, a custom role. */
			for (a = p - 1; a > id && a[-1] != '/'; a--)
				;
			for (b = a > id ? a - 1 : a; b > id && b[-1] != '/'; b--)
				;
			if (a > id && b > id + 1 && a - 1 > b &&
			    ((strncmp(b, "projects/", 9) == 0 && b + 9 == a) ||
			    (strncmp(b, "organizations/", 14) == 0 && b + 14 == a)))
				start = b;
			if (start > id + 1) {
				*end = strchr(p + 6, '/');
				if (*end == NULL)
					*end = p + strlen(p);
				return start;
			}
		}
		p += 6;
	}
	return NULL;
}

char *
finding_import_id(const struct finding *f)
{
	const char *start, *end;

	if (f->resource_id == NULL)
		return NULL;
	if (f->type != NULL && strncmp(f->type, "google_", 7) == 0 &&
	    (tf_str_has_suffix(f->type, "_iam_member") || tf_str_has_suffix(f->type, "_iam_binding")) &&
	    (start = iam_role_in(f->resource_id, &end)) != NULL) {
		int member = tf_str_has_suffix(f->type, "_iam_member");

		if (member && *end == '/' && end[1] != '\0')
			return xasprintf("%.*s %.*s %s", (int)(start - 1 - f->resource_id),
			    f->resource_id, (int)(end - start), start, end + 1);
		if (!member && *end == '\0')
			return xasprintf("%.*s %s", (int)(start - 1 - f->resource_id), f->resource_id,
			    start);
	}
	return xstrdup(f->resource_id);
}

void
finding_set_id(struct finding *f)
{
	struct strbuf sb;

	sb_init(&sb);
	/* Without an event id (partial records), the time and origin stand in for it. */
	if (f->event_id == NULL)
		sb_addf(&sb, "%lld\n%s\n", (long long)f->event_time_ms,
		    f->event_origin ? f->event_origin : "");
	/* One violation per event and window, whatever resource it names. */
	if (f->kind == FK_FREEZE_VIOLATION)
		sb_addf(&sb, "%s\nfreeze:%s\n%s", f->event_id ? f->event_id : "",
		    f->freeze_name ? f->freeze_name : "", finding_kind_name(f->kind));
	else
		sb_addf(&sb, "%s\n%s\n%s\n%s", f->event_id ? f->event_id : "",
		    f->address ? f->address : "", f->resource_id ? f->resource_id : "",
		    finding_kind_name(f->kind));
	tf_sha256_hex(sb.buf, sb.len, f->id, 32);
	sb_free(&sb);
}

void
finding_add_change(struct finding *f, const char *attr, json_object *old_val,
    json_object *new_val, enum change_kind ck, int sensitive)
{
	struct change *c;

	f->changes = xreallocarray(f->changes, f->nchanges + 1, sizeof *f->changes);
	c = &f->changes[f->nchanges++];
	memset(c, 0, sizeof *c);
	c->attribute = xstrdup(attr);
	c->old_val = old_val;
	c->new_val = new_val;
	c->change = ck;
	c->sensitive = sensitive;
}

/* Short display form of a value for one-line summaries. */
static void
add_short_value(struct strbuf *sb, json_object *v, int sensitive)
{
	char *s;

	if (sensitive) {
		sb_adds(sb, "(sensitive)");
		return;
	}
	if (v == NULL) {
		sb_adds(sb, "(none)");
		return;
	}
	if (json_object_is_type(v, json_type_string))
		s = xstrdup(json_object_get_string(v));
	else
		s = val_to_string(v);
	if (strlen(s) > 48) {
		size_t k = 45;

		/* Never inside a character: the summary stays valid UTF-8. */
		while (k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80)
			k--;
		sb_add(sb, s, k);
		sb_adds(sb, "...");
	} else
		sb_adds(sb, s);
	free(s);
}

char *
finding_value_text(json_object *v, int sensitive)
{
	struct strbuf sb;

	sb_init(&sb);
	add_short_value(&sb, v, sensitive);
	return sb_detach(&sb);
}

void
finding_summarize(struct finding *f)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	switch (f->kind) {
	case FK_DELETED:
		sb_addf(&sb, "deleted by %s", f->event_name ? f->event_name : "?");
		break;
	case FK_UNMANAGED:
		sb_addf(&sb, "%s %s not in any state", f->event_name ? f->event_name : "?",
		    f->resource_id ? f->resource_id : "");
		break;
	case FK_FREEZE_VIOLATION:
		if (f->freeze_name != NULL)
			sb_addf(&sb, "%s during change freeze %s", f->event_name ? f->event_name : "?",
			    f->freeze_name);
		else
			sb_addf(&sb, "%s during a change freeze", f->event_name ? f->event_name : "?");
		break;
	case FK_MODIFIED:
	default:
		break;
	}
	for (i = 0; i < f->nchanges && i < 3; i++) {
		const struct change *c = &f->changes[i];

		if (sb.len > 0)
			sb_adds(&sb, "; ");
		sb_adds(&sb, c->attribute);
		switch (c->change) {
		case CH_ADDED:
			sb_adds(&sb, " +");
			add_short_value(&sb, c->new_val, c->sensitive);
			break;
		case CH_REMOVED:
			sb_adds(&sb, " -");
			add_short_value(&sb, c->old_val, c->sensitive);
			break;
		case CH_MODIFIED:
			if (c->sensitive || c->unknown_new) {
				sb_adds(&sb, " changed");
				if (c->sensitive)
					sb_adds(&sb, " (sensitive)");
				else
					sb_adds(&sb, " (value not logged)");
				break;
			}
			sb_adds(&sb, " ");
			add_short_value(&sb, c->old_val, 0);
			sb_adds(&sb, " \u2192 ");
			add_short_value(&sb, c->new_val, 0);
			break;
		}
	}
	if (f->nchanges > 3)
		sb_addf(&sb, "; +%zu more", f->nchanges - 3);
	if (sb.len == 0 && f->event_name != NULL)
		sb_addf(&sb, "%s", f->event_name);
	free(f->summary);
	f->summary = sb_detach(&sb);
}

static json_object *
jstr(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

static json_object *
jtime(int64_t ms)
{
	char buf[32];

	if (ms == 0)
		return NULL;
	tf_format_time(ms, buf);
	return json_object_new_string(buf);
}

static json_object *
change_value(const struct change *c, json_object *v)
{
	if (c->sensitive)
		return json_object_new_string("(sensitive)");
	return v != NULL ? json_object_get(v) : NULL;
}

/* The context members (enrich.c): each only when it was computed. */
static void
context_to_json(const struct finding *f, json_object *o)
{
	size_t i;

	if (f->tags != NULL)
		json_object_object_add(o, "tags", json_object_get(f->tags));
	if (f->blast != NULL) {
		json_object *b = json_object_new_object(), *top = json_object_new_array();

		json_object_object_add(b, "direct", json_object_new_int64((int64_t)f->blast->direct));
		json_object_object_add(b, "total", json_object_new_int64((int64_t)f->blast->total));
		for (i = 0; i < f->blast->ntop; i++)
			json_object_array_add(top, json_object_new_string(f->blast->top[i]));
		json_object_object_add(b, "top", top);
		json_object_object_add(o, "blast_radius", b);
	}
	if (f->nhistory > 0) {
		json_object *h = json_object_new_array();

		for (i = 0; i < f->nhistory; i++) {
			const struct finding_history *e = &f->history[i];
			json_object *ho = json_object_new_object();

			json_object_object_add(ho, "time", jtime(e->time_ms));
			json_object_object_add(ho, "kind", json_object_new_string(finding_kind_name(e->kind)));
			json_object_object_add(ho, "event", jstr(e->event));
			json_object_object_add(ho, "actor", jstr(e->actor));
			json_object_object_add(ho, "finding_id", jstr(e->finding_id));
			json_object_array_add(h, ho);
		}
		json_object_object_add(o, "history", h);
	}
	if (f->fix != NULL)
		json_object_object_add(o, "fix", json_object_new_string(f->fix));
}

json_object *
finding_resolution_to_json(const struct resolution *r)
{
	json_object *ro = json_object_new_object(), *re = NULL, *ra = NULL;

	json_object_object_add(ro, "reason",
	    json_object_new_string(resolution_reason_name(r->reason)));
	json_object_object_add(ro, "at", jtime(r->at_ms));
	if (r->event_id != NULL || r->event_name != NULL) {
		re = json_object_new_object();
		json_object_object_add(re, "id", jstr(r->event_id));
		json_object_object_add(re, "name", jstr(r->event_name));
	}
	json_object_object_add(ro, "event", re);
	if (r->has_actor) {
		ra = json_object_new_object();
		json_object_object_add(ra, "principal", jstr(r->actor.principal));
		json_object_object_add(ra, "name", jstr(r->actor.name));
		json_object_object_add(ra, "type", jstr(r->actor.type));
		json_object_object_add(ra, "account", jstr(r->actor.account));
		json_object_object_add(ra, "via",
		    json_object_new_string(tf_via_name(r->actor.via)));
		if (r->actor.role != NULL)
			json_object_object_add(ra, "role", jstr(r->actor.role));
		if (r->actor.session != NULL)
			json_object_object_add(ra, "session", jstr(r->actor.session));
	}
	json_object_object_add(ro, "actor", ra);
	if (r->state_path != NULL) {
		json_object *rs = json_object_new_object();

		json_object_object_add(rs, "path", json_object_new_string(r->state_path));
		json_object_object_add(rs, "serial", json_object_new_int64(
		    (int64_t)(r->state_serial > INT64_MAX ? INT64_MAX : r->state_serial)));
		json_object_object_add(ro, "state", rs);
	}
	return ro;
}

static int
same_str(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

int
finding_resolution_same(const struct resolution *a, const struct resolution *b)
{
	if (a->reason != b->reason || a->at_ms != b->at_ms || a->has_actor != b->has_actor ||
	    !same_str(a->event_id, b->event_id) || !same_str(a->event_name, b->event_name) ||
	    !same_str(a->state_path, b->state_path) ||
	    (a->state_path != NULL && a->state_serial != b->state_serial))
		return 0;
	return !a->has_actor || (a->actor.via == b->actor.via &&
	    same_str(a->actor.principal, b->actor.principal) &&
	    same_str(a->actor.name, b->actor.name) && same_str(a->actor.type, b->actor.type) &&
	    same_str(a->actor.account, b->actor.account) &&
	    same_str(a->actor.role, b->actor.role) &&
	    same_str(a->actor.session, b->actor.session));
}

json_object *
finding_to_json(const struct finding *f)
{
	json_object *o = json_object_new_object(), *res, *chs, *act, *ev, *rules;
	size_t i;

	json_object_object_add(o, "id", json_object_new_string(f->id));
	json_object_object_add(o, "kind", json_object_new_string(finding_kind_name(f->kind)));
	json_object_object_add(o, "severity", json_object_new_string(severity_name(f->severity)));
	json_object_object_add(o, "status", json_object_new_string(finding_status_name(f->status)));
	json_object_object_add(o, "provider", json_object_new_string(tf_provider_name(f->provider)));
	if (f->summary != NULL)
		json_object_object_add(o, "summary", json_object_new_string(f->summary));

	res = json_object_new_object();
	json_object_object_add(res, "address", jstr(f->address));
	json_object_object_add(res, "type", jstr(f->type));
	json_object_object_add(res, "id", jstr(f->resource_id));
	json_object_object_add(res, "module", jstr(f->module));
	json_object_object_add(res, "state", jstr(f->state_source));
	json_object_object_add(o, "resource", res);

	chs = json_object_new_array();
	for (i = 0; i < f->nchanges; i++) {
		const struct change *c = &f->changes[i];
		json_object *co = json_object_new_object();

		json_object_object_add(co, "attribute", json_object_new_string(c->attribute));
		json_object_object_add(co, "old", change_value(c, c->old_val));
		json_object_object_add(co, "new", change_value(c, c->new_val));
		json_object_object_add(co, "change", json_object_new_string(change_kind_name(c->change)));
		if (c->sensitive)
			json_object_object_add(co, "sensitive", json_object_new_boolean(1));
		if (c->unknown_new)
			json_object_object_add(co, "new_unknown", json_object_new_boolean(1));
		json_object_array_add(chs, co);
	}
	json_object_object_add(o, "changes", chs);

	act = json_object_new_object();
	json_object_object_add(act, "principal", jstr(f->actor.principal));
	json_object_object_add(act, "name", jstr(f->actor.name));
	json_object_object_add(act, "type", jstr(f->actor.type));
	json_object_object_add(act, "account", jstr(f->actor.account));
	json_object_object_add(act, "source_ip", jstr(f->source_ip));
	json_object_object_add(act, "user_agent", jstr(f->user_agent));
	json_object_object_add(act, "via", json_object_new_string(tf_via_name(f->actor.via)));
	if (f->actor.role != NULL)
		json_object_object_add(act, "role", jstr(f->actor.role));
	if (f->actor.session != NULL)
		json_object_object_add(act, "session", jstr(f->actor.session));
	if (f->actor.invoked_by != NULL)
		json_object_object_add(act, "invoked_by", jstr(f->actor.invoked_by));
	if (f->actor.delegation != NULL)
		json_object_object_add(act, "delegation", jstr(f->actor.delegation));
	json_object_object_add(o, "actor", act);

	ev = json_object_new_object();
	json_object_object_add(ev, "id", jstr(f->event_id));
	json_object_object_add(ev, "name", jstr(f->event_name));
	json_object_object_add(ev, "source", jstr(f->event_source));
	json_object_object_add(ev, "time", jtime(f->event_time_ms));
	json_object_object_add(ev, "region", jstr(f->region));
	json_object_object_add(ev, "account", jstr(f->account));
	json_object_object_add(o, "event", ev);

	rules = json_object_new_array();
	for (i = 0; i < f->nrules; i++) {
		json_object *r = json_object_new_object();

		json_object_object_add(r, "id", jstr(f->rules[i].id));
		json_object_object_add(r, "name", jstr(f->rules[i].name));
		json_object_object_add(r, "severity", json_object_new_string(severity_name(f->rules[i].severity)));
		{
			json_object *rem = json_object_new_array();

			for (size_t j = 0; j < f->rules[i].nremediation; j++)
				json_object_array_add(rem, jstr(f->rules[i].remediation[j]));
			json_object_object_add(r, "remediation", rem);
		}
		json_object_object_add(r, "runbook", jstr(f->rules[i].runbook));
		json_object_array_add(rules, r);
	}
	json_object_object_add(o, "rules", rules);

	if (f->triage != NULL) {
		json_object *t = json_object_new_object();

		json_object_object_add(t, "by", jstr(f->triage->by));
		json_object_object_add(t, "at", jtime(f->triage->at_ms));
		json_object_object_add(t, "note", jstr(f->triage->note));
		json_object_object_add(t, "until", jtime(f->triage->until_ms));
		json_object_object_add(o, "triage", t);
	}
	if (f->resolution != NULL)
		json_object_object_add(o, "resolution", finding_resolution_to_json(f->resolution));
	if (f->freeze_name != NULL) {
		json_object *fz = json_object_new_object();

		json_object_object_add(fz, "name", json_object_new_string(f->freeze_name));
		json_object_object_add(fz, "start", jtime(f->freeze_start_ms));
		json_object_object_add(fz, "end", jtime(f->freeze_end_ms));
		json_object_object_add(o, "freeze", fz);
	}
	context_to_json(f, o);
	/* Events are repaired when read (event.c), but a state, a person's note or a store
	 * written by an older version may still hold text that is not UTF-8: never let it out.
	 * The members shared with the finding (values, tags) are copied, not written into. */
	return text_json_safe(o);
}

/* An optional string member of o: absent or null gives NULL; another type is an error. */
static int
get_str(json_object *o, const char *key, const char *where, char **out, char **err)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return tf_err(err, "%s.%s: expected a string or null", where, key);
	*out = xstrdup(json_object_get_string(v));
	return 0;
}

/* An optional RFC 3339 time member: absent or null gives 0. */
static int
get_time(json_object *o, const char *key, const char *where, int64_t *out, char **err)
{
	char *s;

	*out = 0;
	if (get_str(o, key, where, &s, err) != 0)
		return -1;
	if (s != NULL && tf_parse_time(s, out) != 0) {
		tf_err(err, "%s.%s: '%s' is not an RFC 3339 time", where, key, s);
		free(s);
		return -1;
	}
	free(s);
	return 0;
}

/* An optional object member: absent or null gives NULL. */
static int
get_obj(json_object *o, const char *key, json_type t, json_object **out, char **err)
{
	json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return 0;
	if (!json_object_is_type(v, t))
		return tf_err(err, "finding.%s: expected %s", key,
		    t == json_type_array ? "an array" : "an object");
	*out = v;
	return 0;
}

/* A required enumerated string member, mapped back through its name function. */
static int
get_enum(json_object *o, const char *key, const char *where, const char *(*name)(int),
    int n, int *out, char **err)
{
	json_object *v;
	const char *s;
	int i;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return tf_err(err, "%s.%s: missing or not a string", where, key);
	s = json_object_get_string(v);
	for (i = 0; i < n; i++) {
		if (strcmp(s, name(i)) == 0) {
			*out = i;
			return 0;
		}
	}
	return tf_err(err, "%s.%s: unknown value '%s'", where, key, s);
}

static const char *
kind_name_i(int i) { return finding_kind_name((enum finding_kind)i); }
static const char *
sev_name_i(int i) { return severity_name((enum severity)i); }
static const char *
status_name_i(int i) { return finding_status_name((enum finding_status)i); }
static const char *
change_name_i(int i) { return change_kind_name((enum change_kind)i); }
static const char *
provider_name_i(int i) { return tf_provider_name((enum tf_provider)i); }
static const char *
via_name_i(int i) { return tf_via_name((enum tf_via)i); }

static int
changes_from_json(struct finding *f, json_object *arr, char **err)
{
	size_t i, n = json_object_array_length(arr);

	for (i = 0; i < n; i++) {
		json_object *co = json_object_array_get_idx(arr, i), *ov = NULL, *nv = NULL, *sv;
		char where[48], *attr;
		int ck, sens = 0;

		snprintf(where, sizeof where, "finding.changes[%zu]", i);
		if (!json_object_is_type(co, json_type_object))
			return tf_err(err, "%s: expected an object", where);
		if (get_str(co, "attribute", where, &attr, err) != 0)
			return -1;
		if (attr == NULL)
			return tf_err(err, "%s.attribute: missing", where);
		if (get_enum(co, "change", where, change_name_i, 3, &ck, err) != 0) {
			free(attr);
			return -1;
		}
		if (json_object_object_get_ex(co, "sensitive", &sv) && sv != NULL) {
			if (!json_object_is_type(sv, json_type_boolean)) {
				free(attr);
				return tf_err(err, "%s.sensitive: expected true or false", where);
			}
			sens = json_object_get_boolean(sv);
		}
		/* Masked values stay masked: the JSON only ever holds "(sensitive)". */
		if (!sens) {
			json_object_object_get_ex(co, "old", &ov);
			json_object_object_get_ex(co, "new", &nv);
		}
		finding_add_change(f, attr, ov != NULL ? json_object_get(ov) : NULL,
		    nv != NULL ? json_object_get(nv) : NULL, (enum change_kind)ck, sens);
		if (json_object_object_get_ex(co, "new_unknown", &sv) && sv != NULL)
			f->changes[f->nchanges - 1].unknown_new = json_object_get_boolean(sv);
		free(attr);
	}
	return 0;
}

static int
rules_from_json(struct finding *f, json_object *arr, char **err)
{
	size_t i, n = json_object_array_length(arr);

	f->rules = n > 0 ? xcalloc(n, sizeof *f->rules) : NULL;
	for (i = 0; i < n; i++) {
		json_object *ro = json_object_array_get_idx(arr, i), *rem;
		struct finding_rule *r = &f->rules[i];
		char where[48];
		int sv;

		snprintf(where, sizeof where, "finding.rules[%zu]", i);
		if (!json_object_is_type(ro, json_type_object))
			return tf_err(err, "%s: expected an object", where);
		f->nrules = i + 1;
		if (get_str(ro, "id", where, &r->id, err) != 0 ||
		    get_str(ro, "name", where, &r->name, err) != 0 ||
		    get_enum(ro, "severity", where, sev_name_i, SEV__COUNT, &sv, err) != 0 ||
		    get_str(ro, "runbook", where, &r->runbook, err) != 0)
			return -1;
		r->severity = (enum severity)sv;
		if (json_object_object_get_ex(ro, "remediation", &rem) && rem != NULL) {
			size_t j, m;

			if (!json_object_is_type(rem, json_type_array))
				return tf_err(err, "%s.remediation: expected a list of strings", where);
			m = json_object_array_length(rem);
			r->remediation = m > 0 ? xcalloc(m, sizeof *r->remediation) : NULL;
			for (j = 0; j < m; j++) {
				json_object *st = json_object_array_get_idx(rem, j);

				if (!json_object_is_type(st, json_type_string))
					return tf_err(err, "%s.remediation[%zu]: expected a string",
					    where, j);
				r->remediation[r->nremediation++] = xstrdup(json_object_get_string(st));
			}
		}
	}
	return 0;
}

/* The inverse of context_to_json. */
static int
context_from_json(struct finding *f, json_object *o, char **err)
{
	json_object *v, *b, *arr;
	size_t i, n;

	if (get_obj(o, "tags", json_type_object, &v, err) != 0)
		return -1;
	if (v != NULL) {
		json_object_object_foreach(v, key, val) {
			(void)key;
			if (!json_object_is_type(val, json_type_string))
				return tf_err(err, "finding.tags.%s: expected a string", key);
		}
		f->tags = json_object_get(v);
	}
	if (get_obj(o, "blast_radius", json_type_object, &b, err) != 0)
		return -1;
	if (b != NULL) {
		json_object *d, *t;

		if (!json_object_object_get_ex(b, "direct", &d) || !json_object_is_type(d, json_type_int) ||
		    json_object_get_int64(d) < 0 ||
		    !json_object_object_get_ex(b, "total", &t) || !json_object_is_type(t, json_type_int) ||
		    json_object_get_int64(t) < 0)
			return tf_err(err, "finding.blast_radius: direct and total must be counts");
		f->blast = xcalloc(1, sizeof *f->blast);
		f->blast->direct = (size_t)json_object_get_int64(d);
		f->blast->total = (size_t)json_object_get_int64(t);
		if (get_obj(b, "top", json_type_array, &arr, err) != 0)
			return -1;
		n = arr != NULL ? json_object_array_length(arr) : 0;
		f->blast->top = n > 0 ? xcalloc(n, sizeof *f->blast->top) : NULL;
		for (i = 0; i < n; i++) {
			json_object *a = json_object_array_get_idx(arr, i);

			if (!json_object_is_type(a, json_type_string))
				return tf_err(err, "finding.blast_radius.top[%zu]: expected a string", i);
			f->blast->top[f->blast->ntop++] = xstrdup(json_object_get_string(a));
		}
	}
	if (get_obj(o, "history", json_type_array, &arr, err) != 0)
		return -1;
	n = arr != NULL ? json_object_array_length(arr) : 0;
	f->history = n > 0 ? xcalloc(n, sizeof *f->history) : NULL;
	for (i = 0; i < n; i++) {
		json_object *ho = json_object_array_get_idx(arr, i);
		struct finding_history *e = &f->history[i];
		char where[48];
		int k;

		snprintf(where, sizeof where, "finding.history[%zu]", i);
		if (!json_object_is_type(ho, json_type_object))
			return tf_err(err, "%s: expected an object", where);
		f->nhistory = i + 1;
		if (get_time(ho, "time", where, &e->time_ms, err) != 0 ||
		    get_enum(ho, "kind", where, kind_name_i, FK__COUNT, &k, err) != 0 ||
		    get_str(ho, "event", where, &e->event, err) != 0 ||
		    get_str(ho, "actor", where, &e->actor, err) != 0 ||
		    get_str(ho, "finding_id", where, &e->finding_id, err) != 0)
			return -1;
		e->kind = (enum finding_kind)k;
	}
	return get_str(o, "fix", "finding", &f->fix, err);
}

static const char *
reason_name_i(int i) { return resolution_reason_name((enum resolution_reason)i); }

/* finding.resolution into f->resolution. */
static int
resolution_from_json(struct finding *f, json_object *ro, char **err)
{
	struct resolution *r = xcalloc(1, sizeof *r);
	json_object *ev, *act, *st, *sv;
	int k;

	f->resolution = r;
	if (get_enum(ro, "reason", "finding.resolution", reason_name_i, RR__COUNT, &k, err) != 0)
		return -1;
	r->reason = (enum resolution_reason)k;
	if (get_time(ro, "at", "finding.resolution", &r->at_ms, err) != 0)
		return -1;
	if (get_obj(ro, "event", json_type_object, &ev, err) != 0)
		return -1;
	if (ev != NULL && (get_str(ev, "id", "finding.resolution.event", &r->event_id, err) != 0 ||
	    get_str(ev, "name", "finding.resolution.event", &r->event_name, err) != 0))
		return -1;
	if (get_obj(ro, "actor", json_type_object, &act, err) != 0)
		return -1;
	if (act != NULL) {
		r->has_actor = 1;
		if (get_str(act, "principal", "finding.resolution.actor", &r->actor.principal,
		    err) != 0 ||
		    get_str(act, "name", "finding.resolution.actor", &r->actor.name, err) != 0 ||
		    get_str(act, "type", "finding.resolution.actor", &r->actor.type, err) != 0 ||
		    get_str(act, "account", "finding.resolution.actor", &r->actor.account, err) != 0 ||
		    get_str(act, "role", "finding.resolution.actor", &r->actor.role, err) != 0 ||
		    get_str(act, "session", "finding.resolution.actor", &r->actor.session, err) != 0)
			return -1;
		if (json_object_object_get_ex(act, "via", NULL)) {
			if (get_enum(act, "via", "finding.resolution.actor", via_name_i,
			    VIA_SERVICE + 1, &k, err) != 0)
				return -1;
			r->actor.via = (enum tf_via)k;
		}
	}
	if (get_obj(ro, "state", json_type_object, &st, err) != 0)
		return -1;
	if (st != NULL) {
		if (get_str(st, "path", "finding.resolution.state", &r->state_path, err) != 0)
			return -1;
		if (r->state_path == NULL || !json_object_object_get_ex(st, "serial", &sv) ||
		    !json_object_is_type(sv, json_type_int) || json_object_get_int64(sv) < 0)
			return tf_err(err, "finding.resolution.state: needs a path and a serial "
			    "(a whole number, 0 or more)"), -1;
		r->state_serial = (uint64_t)json_object_get_int64(sv);
	}
	return 0;
}

int
finding_changes_from_json(struct finding *f, json_object *arr, char **err)
{
	if (arr == NULL || !json_object_is_type(arr, json_type_array))
		return tf_err(err, "finding.changes: expected an array");
	return changes_from_json(f, arr, err);
}

int
finding_resolution_from_json(struct finding *f, json_object *ro, char **err)
{
	finding_resolution_free(f->resolution);
	f->resolution = NULL;
	if (ro == NULL || !json_object_is_type(ro, json_type_object))
		return tf_err(err, "finding.resolution: expected an object");
	return resolution_from_json(f, ro, err);
}

struct finding *
finding_from_json(json_object *o, char **err)
{
	struct finding *f;
	json_object *v, *res, *act, *ev, *arr, *tr;
	const char *id;
	int k;

	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		tf_err(err, "finding: expected an object");
		return NULL;
	}
	if (!json_object_object_get_ex(o, "id", &v) || !json_object_is_type(v, json_type_string) ||
	    (id = json_object_get_string(v))[0] == '\0' || strlen(id) >= sizeof f->id) {
		tf_err(err, "finding.id: missing, empty or longer than %zu characters", sizeof f->id - 1);
		return NULL;
	}
	/* Ids are hex digests: anything but printable ASCII is damage, and would not survive the
	 * UTF-8 repair of finding_to_json unchanged (fuzz_store found one). */
	for (k = 0; id[k] != '\0'; k++)
		if ((unsigned char)id[k] <= ' ' || (unsigned char)id[k] >= 0x7f) {
			tf_err(err, "finding.id: byte %d is not a printable ASCII character", k + 1);
			return NULL;
		}
	f = xcalloc(1, sizeof *f);
	memcpy(f->id, id, strlen(id) + 1);
	if (get_enum(o, "kind", "finding", kind_name_i, FK__COUNT, &k, err) != 0)
		goto fail;
	f->kind = (enum finding_kind)k;
	if (get_enum(o, "severity", "finding", sev_name_i, SEV__COUNT, &k, err) != 0)
		goto fail;
	f->severity = (enum severity)k;
	if (get_enum(o, "status", "finding", status_name_i, ST__COUNT, &k, err) != 0)
		goto fail;
	f->status = (enum finding_status)k;
	if (get_enum(o, "provider", "finding", provider_name_i, PROV_GCP + 1, &k, err) != 0)
		goto fail;
	f->provider = (enum tf_provider)k;
	if (get_str(o, "summary", "finding", &f->summary, err) != 0)
		goto fail;

	if (get_obj(o, "resource", json_type_object, &res, err) != 0)
		goto fail;
	if (res != NULL && (get_str(res, "address", "finding.resource", &f->address, err) != 0 ||
	    get_str(res, "type", "finding.resource", &f->type, err) != 0 ||
	    get_str(res, "id", "finding.resource", &f->resource_id, err) != 0 ||
	    get_str(res, "module", "finding.resource", &f->module, err) != 0 ||
	    get_str(res, "state", "finding.resource", &f->state_source, err) != 0))
		goto fail;

	if (get_obj(o, "changes", json_type_array, &arr, err) != 0)
		goto fail;
	if (arr != NULL && changes_from_json(f, arr, err) != 0)
		goto fail;

	if (get_obj(o, "actor", json_type_object, &act, err) != 0)
		goto fail;
	if (act != NULL) {
		if (get_str(act, "principal", "finding.actor", &f->actor.principal, err) != 0 ||
		    get_str(act, "name", "finding.actor", &f->actor.name, err) != 0 ||
		    get_str(act, "type", "finding.actor", &f->actor.type, err) != 0 ||
		    get_str(act, "account", "finding.actor", &f->actor.account, err) != 0 ||
		    get_str(act, "source_ip", "finding.actor", &f->source_ip, err) != 0 ||
		    get_str(act, "user_agent", "finding.actor", &f->user_agent, err) != 0 ||
		    get_str(act, "role", "finding.actor", &f->actor.role, err) != 0 ||
		    get_str(act, "session", "finding.actor", &f->actor.session, err) != 0 ||
		    get_str(act, "invoked_by", "finding.actor", &f->actor.invoked_by, err) != 0 ||
		    get_str(act, "delegation", "finding.actor", &f->actor.delegation, err) != 0)
			goto fail;
		if (json_object_object_get_ex(act, "via", NULL)) {
			if (get_enum(act, "via", "finding.actor", via_name_i, VIA_SERVICE + 1, &k, err) != 0)
				goto fail;
			f->actor.via = (enum tf_via)k;
		}
	}

	if (get_obj(o, "event", json_type_object, &ev, err) != 0)
		goto fail;
	if (ev != NULL && (get_str(ev, "id", "finding.event", &f->event_id, err) != 0 ||
	    get_str(ev, "name", "finding.event", &f->event_name, err) != 0 ||
	    get_str(ev, "source", "finding.event", &f->event_source, err) != 0 ||
	    get_time(ev, "time", "finding.event", &f->event_time_ms, err) != 0 ||
	    get_str(ev, "region", "finding.event", &f->region, err) != 0 ||
	    get_str(ev, "account", "finding.event", &f->account, err) != 0))
		goto fail;

	if (get_obj(o, "rules", json_type_array, &arr, err) != 0)
		goto fail;
	if (arr != NULL && rules_from_json(f, arr, err) != 0)
		goto fail;

	if (get_obj(o, "triage", json_type_object, &tr, err) != 0)
		goto fail;
	if (tr != NULL) {
		f->triage = xcalloc(1, sizeof *f->triage);
		if (get_str(tr, "by", "finding.triage", &f->triage->by, err) != 0 ||
		    get_time(tr, "at", "finding.triage", &f->triage->at_ms, err) != 0 ||
		    get_str(tr, "note", "finding.triage", &f->triage->note, err) != 0 ||
		    get_time(tr, "until", "finding.triage", &f->triage->until_ms, err) != 0)
			goto fail;
	}
	if (get_obj(o, "resolution", json_type_object, &tr, err) != 0)
		goto fail;
	if (tr != NULL && resolution_from_json(f, tr, err) != 0)
		goto fail;
	if ((f->status == ST_RESOLVED) != (f->resolution != NULL)) {
		tf_err(err, "finding.resolution: %s", f->resolution != NULL ? "given, but the status "
		    "is not resolved" : "missing, and the status is resolved");
		goto fail;
	}
	if (get_obj(o, "freeze", json_type_object, &tr, err) != 0)
		goto fail;
	if (tr != NULL && (get_str(tr, "name", "finding.freeze", &f->freeze_name, err) != 0 ||
	    get_time(tr, "start", "finding.freeze", &f->freeze_start_ms, err) != 0 ||
	    get_time(tr, "end", "finding.freeze", &f->freeze_end_ms, err) != 0))
		goto fail;
	if (context_from_json(f, o, err) != 0)
		goto fail;
	return f;
fail:
	finding_free(f);
	return NULL;
}

void
finding_list_push(struct finding_list *l, struct finding *f)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = f;
}

void
finding_list_clear(struct finding_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		finding_free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
