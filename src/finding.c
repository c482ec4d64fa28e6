/* finding: drift findings, their stable ids, one-line summaries and the JSON export form. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "finding.h"
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
	}
	return "open";
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
	for (i = 0; i < f->nchanges; i++) {
		free(f->changes[i].attribute);
		json_object_put(f->changes[i].old_val);
		json_object_put(f->changes[i].new_val);
	}
	free(f->changes);
	free(f->summary);
	actor_clear(&f->actor);
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
	}
	free(f->rules);
	if (f->triage != NULL) {
		free(f->triage->by);
		free(f->triage->note);
		free(f->triage);
	}
	free(f);
}

/* Same event + resource + kind ⇒ same id, across runs and machines. */
void
finding_set_id(struct finding *f)
{
	struct strbuf sb;

	sb_init(&sb);
	/* Without an event id (partial records), the time and origin stand in for it. */
	if (f->event_id == NULL)
		sb_addf(&sb, "%lld\n%s\n", (long long)f->event_time_ms,
		    f->event_origin ? f->event_origin : "");
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
		sb_add(sb, s, 45);
		sb_adds(sb, "...");
	} else
		sb_adds(sb, s);
	free(s);
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
	return o;
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
