/* view_detail: the selected finding in full: per-attribute diff (old -> new, set members as
 * +/- lines; sensitive values masked), resource, attribution, triage and a suggested fix. */
#include "config.h"

#include <string.h>
#include <curses.h>

#include "finding.h"
#include "value.h"
#include "keys.h"
#include "store.h"
#include "ui_int.h"

static const char *
js(json_object *o)
{
	return o == NULL ? "(none)" : json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
}

/* 1 if array a holds a member equal to v. */
static int
has_member(json_object *a, json_object *v)
{
	size_t i, n = json_object_array_length(a);

	for (i = 0; i < n; i++)
		if (json_object_equal(json_object_array_get_idx(a, i), v))
			return 1;
	return 0;
}

/* Split heap text into lines (pointers into it; the text is modified). */
static char **
split_lines(char *text, size_t *n)
{
	char **v = NULL, *p = text, *nl;

	*n = 0;
	while (*p != '\0') {
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = p;
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	return v;
}

#define DIFF_CONTEXT 2
#define DIFF_MAX_LINES 2000     /* past this, the documents are shown whole, old then new */

/* JSON documents (policies, tags, labels): a line diff of the pretty-printed, key-sorted
 * forms, with a little context around each change, like `diff -u`. */
static void
add_doc_diff(struct ui_text *d, json_object *oldv, json_object *newv)
{
	char *ot = val_to_pretty(oldv), *nt = val_to_pretty(newv);
	size_t on, nn, i, j, k, *lcs, w;
	char **ol = split_lines(ot, &on), **nlines = split_lines(nt, &nn);
	struct { char op; const char *s; } *out;
	size_t nout = 0, last_shown = (size_t)-1;

	if (on > DIFF_MAX_LINES || nn > DIFF_MAX_LINES) {
		for (i = 0; i < on; i++)
			ui_text_add(d, TS_DIFF_REMOVED, xasprintf("      - %s", ol[i]));
		for (i = 0; i < nn; i++)
			ui_text_add(d, TS_DIFF_ADDED, xasprintf("      + %s", nlines[i]));
		goto out;
	}
	/* Longest common subsequence table, (on+1) x (nn+1), filled from the end. */
	w = nn + 1;
	lcs = xcalloc((on + 1) * w, sizeof *lcs);
	for (i = on; i-- > 0;)
		for (j = nn; j-- > 0;)
			lcs[i * w + j] = strcmp(ol[i], nlines[j]) == 0 ? lcs[(i + 1) * w + j + 1] + 1 :
			    lcs[(i + 1) * w + j] >= lcs[i * w + j + 1] ? lcs[(i + 1) * w + j] :
			    lcs[i * w + j + 1];
	out = xcalloc(on + nn + 1, sizeof *out);
	for (i = j = 0; i < on || j < nn;) {
		if (i < on && j < nn && strcmp(ol[i], nlines[j]) == 0) {
			out[nout].op = ' ';
			out[nout++].s = ol[i];
			i++;
			j++;
		} else if (i < on && (j == nn || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
			out[nout].op = '-';     /* removals first, as diff -u shows them */
			out[nout++].s = ol[i++];
		} else {
			out[nout].op = '+';
			out[nout++].s = nlines[j++];
		}
	}
	free(lcs);
	/* Changed lines, and DIFF_CONTEXT unchanged lines around them; "..." for the gaps. */
	for (k = 0; k < nout; k++) {
		int near = 0;

		for (i = k > DIFF_CONTEXT ? k - DIFF_CONTEXT : 0; i <= k + DIFF_CONTEXT && i < nout; i++)
			if (out[i].op != ' ')
				near = 1;
		if (!near)
			continue;
		if (last_shown != (size_t)-1 && k > last_shown + 1)
			ui_text_add(d, TS_DIM, xstrdup("        ..."));
		else if (last_shown == (size_t)-1 && k > 0)
			ui_text_add(d, TS_DIM, xstrdup("        ..."));
		ui_text_add(d, out[k].op == '+' ? TS_DIFF_ADDED : out[k].op == '-' ? TS_DIFF_REMOVED : TS_DIM,
		    xasprintf("      %c %s", out[k].op, out[k].s));
		last_shown = k;
	}
	if (last_shown != (size_t)-1 && last_shown + 1 < nout)
		ui_text_add(d, TS_DIM, xstrdup("        ..."));
	free(out);
out:
	free(ol);
	free(nlines);
	free(ot);
	free(nt);
}

static void
add_change(struct ui_text *d, const struct change *c, const char *arrow)
{
	const char *attr = c->attribute ? c->attribute : "?";
	size_t i, n;

	if (c->sensitive) {
		ui_text_add(d, TS_DIFF_CHANGED, xasprintf("  ~ %s: (sensitive) %s (sensitive)", attr, arrow));
		return;
	}
	if (c->change == CH_ADDED) {
		ui_text_add(d, TS_DIFF_ADDED, xasprintf("  + %s: %s", attr, c->unknown_new ?
		    "(value not in the log)" : js(c->new_val)));
		return;
	}
	if (c->change == CH_REMOVED) {
		ui_text_add(d, TS_DIFF_REMOVED, xasprintf("  - %s: %s", attr, js(c->old_val)));
		return;
	}
	if (c->old_val != NULL && c->new_val != NULL && !c->unknown_new &&
	    json_object_is_type(c->old_val, json_type_object) &&
	    json_object_is_type(c->new_val, json_type_object)) {
		/* Policies, tags, labels: a line diff of the documents. */
		ui_text_add(d, TS_DIFF_CHANGED, xasprintf("  ~ %s:", attr));
		add_doc_diff(d, c->old_val, c->new_val);
		return;
	}
	if (c->old_val != NULL && c->new_val != NULL &&
	    json_object_is_type(c->old_val, json_type_array) &&
	    json_object_is_type(c->new_val, json_type_array)) {
		/* Lists and sets: members removed and added. */
		ui_text_add(d, TS_DIFF_CHANGED, xasprintf("  ~ %s:", attr));
		n = json_object_array_length(c->old_val);
		for (i = 0; i < n; i++) {
			json_object *v = json_object_array_get_idx(c->old_val, i);

			if (!has_member(c->new_val, v))
				ui_text_add(d, TS_DIFF_REMOVED, xasprintf("      - %s", js(v)));
		}
		n = json_object_array_length(c->new_val);
		for (i = 0; i < n; i++) {
			json_object *v = json_object_array_get_idx(c->new_val, i);

			if (!has_member(c->old_val, v))
				ui_text_add(d, TS_DIFF_ADDED, xasprintf("      + %s", js(v)));
		}
		return;
	}
	ui_text_add(d, TS_DIFF_CHANGED, xasprintf("  ~ %s: %s %s %s", attr, js(c->old_val), arrow,
	    c->unknown_new ? "(value not in the log)" : js(c->new_val)));
}

#define CONTEXT_HISTORY 5        /* history items shown */

/* Context (enrich.c): tags, blast radius, earlier findings on the resource. Dependents and
 * earlier findings are links: Enter in the focused pane opens them. */
static void
add_context(struct ui_text *d, const struct finding *f)
{
	struct strbuf sb;
	size_t i;

	if (f->tags == NULL && f->blast == NULL && f->nhistory == 0)
		return;
	ui_text_add(d, TS_HEADER, xstrdup("Context"));
	if (f->tags != NULL) {
		sb_init(&sb);
		json_object_object_foreach(f->tags, key, val) {
			sb_addf(&sb, "%s%s=%s", sb.len > 0 ? ", " : "", key, json_object_get_string(val));
		}
		ui_text_add(d, TS_NORMAL, xasprintf("  tags: %s", sb.len > 0 ? sb.buf : "(none)"));
		sb_free(&sb);
	}
	if (f->blast != NULL) {
		ui_text_add(d, f->blast->total > 0 ? TS_NORMAL : TS_DIM, xasprintf("  blast radius: %zu "
		    "resource%s depend%s on it directly, %zu in all", f->blast->direct,
		    f->blast->direct == 1 ? "" : "s", f->blast->direct == 1 ? "s" : "", f->blast->total));
		for (i = 0; i < f->blast->ntop; i++)
			ui_text_link(d, TS_DIM, xasprintf("    %s", f->blast->top[i]), LINK_RESOURCE,
			    f->blast->top[i]);
		if (f->blast->total > f->blast->ntop)
			ui_text_add(d, TS_DIM, xasprintf("    ... and %zu more", f->blast->total - f->blast->ntop));
	}
	if (f->nhistory > 0)
		ui_text_add(d, TS_NORMAL, xasprintf("  earlier on this resource (7 days): %zu finding%s",
		    f->nhistory, f->nhistory == 1 ? "" : "s"));
	for (i = 0; i < f->nhistory && i < CONTEXT_HISTORY; i++) {
		char t[32];

		tf_format_time(f->history[i].time_ms, t);
		ui_text_link(d, TS_DIM, xasprintf("    %s  %s %s by %s", t,
		    finding_kind_name(f->history[i].kind), f->history[i].event ? f->history[i].event : "?",
		    f->history[i].actor ? f->history[i].actor : "?"),
		    f->history[i].finding_id != NULL ? LINK_FINDING : LINK_NONE, f->history[i].finding_id);
	}
}

char *
ui_finding_fix(const struct finding *f)
{
	if (f->fix != NULL)
		return xstrdup(f->fix);
	if (f->address != NULL)
		return xasprintf("terraform apply -target='%s'", f->address);
	if (f->kind == FK_UNMANAGED)
		return xasprintf("terraform import %s.NAME %s", f->type ? f->type : "TYPE",
		    f->resource_id ? f->resource_id : "ID");
	return NULL;
}

char *
ui_resolution_text(const struct finding *f)
{
	const struct resolution *r = f->resolution;
	const char *who;

	if (f->status != ST_RESOLVED || r == NULL)
		return xstrdup(finding_status_name(f->status));
	who = !r->has_actor ? NULL : r->actor.name ? r->actor.name : r->actor.principal;
	return xasprintf("resolved: %s%s%s", resolution_reason_name(r->reason), who ? " by " : "",
	    who ? who : "");
}

void
ui_detail_build(const struct ui *u, const struct finding *f, struct ui_text *d)
{
	const char *arrow = ui_arrow(u);
	char t[32], *key, *fix;
	size_t i;

	ui_text_add(d, theme_severity_slot(f->severity), xasprintf("%s %s  %s", severity_name(f->severity),
	    finding_kind_name(f->kind), f->address ? f->address : "(not managed by Terraform)"));
	if (f->status == ST_RESOLVED && f->resolution != NULL) {
		/* What closed it: the reason, when, the event (Enter opens it) and who. */
		const struct resolution *r = f->resolution;
		char *why = ui_resolution_text(f);

		ui_text_add(d, TS_NORMAL, xasprintf("  status: %s", why));
		free(why);
		tf_format_time(r->at_ms, t);
		ui_text_add(d, TS_NORMAL, xasprintf("    at %s%s", t, r->event_id == NULL ?
		    " (a newer state)" : ""));
		if (r->state_path != NULL)
			ui_text_add(d, TS_NORMAL, xasprintf("    by state: %s serial %llu", r->state_path,
			    (unsigned long long)r->state_serial));
		if (r->event_id != NULL)
			ui_text_link(d, TS_NORMAL, xasprintf("    by event: %s %s", r->event_name ?
			    r->event_name : "?", r->event_id), LINK_EVENT, r->event_id);
		if (r->has_actor)
			ui_text_add(d, TS_NORMAL, xasprintf("    actor: %s via %s%s%s%s",
			    r->actor.name ? r->actor.name : "?", tf_via_name(r->actor.via),
			    r->actor.principal ? " (" : "", r->actor.principal ? r->actor.principal : "",
			    r->actor.principal ? ")" : ""));
	} else
		ui_text_add(d, TS_NORMAL, xasprintf("  status: %s", finding_status_name(f->status)));
	if (f->triage != NULL) {
		tf_format_time(f->triage->at_ms, t);
		ui_text_add(d, TS_NORMAL, xasprintf("    by %s at %s%s%s", f->triage->by ? f->triage->by : "?",
		    t, f->triage->note ? ": " : "", f->triage->note ? f->triage->note : ""));
		if (f->triage->until_ms != 0) {
			tf_format_time(f->triage->until_ms, t);
			ui_text_add(d, TS_NORMAL, xasprintf("    until %s", t));
		}
	}
	key = store_resource_key(f);
	ui_text_link(d, TS_NORMAL, xasprintf("  resource: %s %s", f->type ? f->type : "?",
	    f->resource_id ? f->resource_id : "?"), key != NULL ? LINK_RESOURCE : LINK_NONE, key);
	free(key);
	if (f->module != NULL && f->module[0] != '\0')
		ui_text_add(d, TS_NORMAL, xasprintf("  module: %s", f->module));
	if (f->state_source != NULL)
		ui_text_add(d, TS_NORMAL, xasprintf("  state: %s", f->state_source));
	if (f->freeze_name != NULL) {
		char a[32], b[32];

		tf_format_time(f->freeze_start_ms, a);
		tf_format_time(f->freeze_end_ms, b);
		ui_text_add(d, TS_TIMELINE_FREEZE, xasprintf("  change freeze: %s (%s to %s)%s", f->freeze_name, a, b,
		    f->kind == FK_FREEZE_VIOLATION ? "" : "; severity raised one step"));
	}
	ui_text_add(d, TS_HEADER, xstrdup("Changes"));
	if (f->nchanges == 0)
		ui_text_add(d, TS_DIM, xstrdup("  (no attribute values in the event)"));
	for (i = 0; i < f->nchanges; i++)
		add_change(d, &f->changes[i], arrow);
	ui_text_add(d, TS_HEADER, xstrdup("Who"));
	ui_text_add(d, TS_NORMAL, xasprintf("  who: %s%s%s%s", f->actor.name ? f->actor.name : "?",
	    f->actor.type ? " (" : "", f->actor.type ? f->actor.type : "", f->actor.type ? ")" : ""));
	if (f->actor.role != NULL || f->actor.session != NULL)
		ui_text_add(d, TS_NORMAL, xasprintf("  role: %s  session: %s", f->actor.role ? f->actor.role : "-",
		    f->actor.session ? f->actor.session : "-"));
	if (f->actor.principal != NULL)
		ui_text_add(d, TS_NORMAL, xasprintf("  principal: %s", f->actor.principal));
	ui_text_add(d, TS_NORMAL, xasprintf("  via %s from %s", tf_via_name(f->actor.via),
	    f->source_ip ? f->source_ip : "?"));
	if (f->user_agent != NULL)
		ui_text_add(d, TS_NORMAL, xasprintf("  user agent: %s", f->user_agent));
	ui_text_add(d, TS_NORMAL, xasprintf("  account: %s  region: %s", f->account ? f->account : "?",
	    f->region ? f->region : "?"));
	tf_format_time(f->event_time_ms, t);
	ui_text_add(d, TS_NORMAL, xasprintf("  time: %s  event: %s (%s)", t,
	    f->event_name ? f->event_name : "?", f->event_source ? f->event_source : "?"));
	ui_text_link(d, TS_NORMAL, xasprintf("  event id: %s", f->event_id ? f->event_id : "?"),
	    f->event_id != NULL ? LINK_EVENT : LINK_NONE, f->event_id);
	ui_text_add(d, TS_DIM, xasprintf("  finding id: %s", f->id));
	if (f->nrules > 0)
		ui_text_add(d, TS_HEADER, xstrdup("Rules"));
	for (i = 0; i < f->nrules; i++) {
		const struct finding_rule *r = &f->rules[i];
		size_t j;

		ui_text_add(d, theme_severity_slot(r->severity), xasprintf("  %s %s (%s)", r->id ? r->id : "?",
		    r->name ? r->name : "", severity_name(r->severity)));
		for (j = 0; j < r->nremediation; j++)
			ui_text_add(d, TS_NORMAL, xasprintf("    %zu. %s", j + 1, r->remediation[j]));
		ui_text_add(d, r->runbook != NULL ? TS_NORMAL : TS_DIM, xasprintf("    runbook: %s",
		    r->runbook != NULL ? r->runbook : "(none set: add runbook: to the rule)"));
	}
	add_context(d, f);
	/* The fix is the bare command on its own line (y copies it); what it does is below. */
	ui_text_add(d, TS_HEADER, xstrdup("Suggested fix (y copies it)"));
	if ((fix = ui_finding_fix(f)) != NULL) {
		ui_text_add(d, TS_NORMAL, xasprintf("  %s", fix));
		ui_text_add(d, TS_DIM, xstrdup(f->address != NULL ? "  reverts the resource to the "
		    "configuration; or change the configuration to match" :
		    "  brings it under Terraform; or delete it"));
		free(fix);
	} else
		ui_text_add(d, TS_DIM, xstrdup("  review the change"));
}
