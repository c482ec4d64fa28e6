/* output_markdown: findings as GitHub-flavoured Markdown for a pull-request comment or a chat
 * message: a summary line, a table, then a <details> block per finding; "No drift" alone when
 * there are none. Every string that is not ours is written as a code span (HTML and Markdown
 * inside it are inert) after text_escape (so a newline or an escape sequence shows as \n,
 * \x1b and cannot end a table row), with | escaped in table cells. Main thread only. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "jpath.h"
#include "output_int.h"
#include "text.h"
#include "util.h"

struct out_md {
	struct strbuf table, details;
	size_t n, nsev[SEV__COUNT], nstatus[ST__COUNT];
};

struct out_md *
output_md_new(void)
{
	struct out_md *m = xcalloc(1, sizeof *m);

	sb_init(&m->table);
	sb_init(&m->details);
	return m;
}

void
output_md_free(struct out_md *m)
{
	if (m == NULL)
		return;
	sb_free(&m->table);
	sb_free(&m->details);
	free(m);
}

/*
 * s as a code span. The fence is one backtick longer than the longest run inside, padded with
 * a space on both sides when s begins or ends with a backtick or a space (CommonMark strips
 * one from each side then). In a table cell (in_table) a | is written \|: GFM splits cells
 * before it reads code spans, and shows \| inside one as |. NULL or "" is dflt, plain.
 */
static void
md_code(struct strbuf *sb, const char *s, int in_table, const char *dflt)
{
	struct strbuf esc;
	size_t i, run = 0, longest = 0;
	int pad;

	if (s == NULL || s[0] == '\0') {
		sb_adds(sb, dflt);
		return;
	}
	sb_init(&esc);
	text_escape(&esc, s, strlen(s), 0);
	for (i = 0; i < esc.len; i++) {
		run = esc.buf[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = esc.buf[0] == '`' || esc.buf[0] == ' ' || esc.buf[esc.len - 1] == '`' ||
	    esc.buf[esc.len - 1] == ' ';
	for (i = 0; i <= longest; i++)
		sb_addc(sb, '`');
	if (pad)
		sb_addc(sb, ' ');
	for (i = 0; i < esc.len; i++) {
		if (in_table && esc.buf[i] == '|')
			sb_addc(sb, '\\');
		sb_addc(sb, esc.buf[i]);
	}
	if (pad)
		sb_addc(sb, ' ');
	for (i = 0; i <= longest; i++)
		sb_addc(sb, '`');
	sb_free(&esc);
}

/* s as HTML text (for <summary>, where Markdown is not read): escaped as text, then & < > ". */
static void
md_html(struct strbuf *sb, const char *s)
{
	struct strbuf esc;
	size_t i;

	sb_init(&esc);
	text_escape(&esc, s, strlen(s), 0);
	for (i = 0; i < esc.len; i++) {
		switch (esc.buf[i]) {
		case '&': sb_adds(sb, "&amp;"); break;
		case '<': sb_adds(sb, "&lt;"); break;
		case '>': sb_adds(sb, "&gt;"); break;
		case '"': sb_adds(sb, "&quot;"); break;
		default: sb_addc(sb, esc.buf[i]); break;
		}
	}
	sb_free(&esc);
}

/* The resource as people name it: its address, else type and cloud id. Heap string. */
static char *
md_resource(json_object *fo)
{
	const char *addr = json_get_str(fo, "resource.address");

	if (addr != NULL)
		return xstrdup(addr);
	return xasprintf("%s %s", output_str_or(json_get_str(fo, "resource.type"), "(resource)"),
	    output_str_or(json_get_str(fo, "resource.id"), "(no id)"));
}

static const char *
md_actor(json_object *fo)
{
	return output_str_or(json_get_str(fo, "actor.name"), json_get_str(fo, "actor.principal"));
}

static void
md_row(struct out_md *m, const struct finding *f, json_object *fo, const char *res)
{
	struct strbuf *sb = &m->table;
	const char *actor = md_actor(fo);

	sb_addf(sb, "| %s | %s | ", severity_name(f->severity), finding_status_name(f->status));
	md_code(sb, res, 1, "");
	sb_addf(sb, " | %s", finding_kind_name(f->kind));
	if (json_get_str(fo, "summary") != NULL) {
		sb_adds(sb, ": ");
		md_code(sb, json_get_str(fo, "summary"), 1, "");
	}
	sb_adds(sb, " | ");
	md_code(sb, actor, 1, "(unknown)");
	sb_addf(sb, " via %s | %s |\n", output_str_or(json_get_str(fo, "actor.via"), "unknown"),
	    output_str_or(json_get_str(fo, "event.time"), "(no time)"));
}

/* "- **Label** `value`", when there is a value. */
static void
md_item(struct strbuf *sb, const char *label, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return;
	sb_addf(sb, "- **%s** ", label);
	md_code(sb, v, 0, "");
	sb_addc(sb, '\n');
}

static void
md_changes(struct strbuf *sb, json_object *fo)
{
	json_object *chs = json_get_path(fo, "changes");
	size_t i, n = chs != NULL ? json_object_array_length(chs) : 0;

	if (n == 0)
		return;
	sb_adds(sb, "- **Changes**\n");
	for (i = 0; i < n; i++) {
		json_object *co = json_object_array_get_idx(chs, i), *sv;
		int sens = json_object_object_get_ex(co, "sensitive", &sv) && json_object_get_boolean(sv);
		int unknown = json_object_object_get_ex(co, "new_unknown", &sv) &&
		    json_object_get_boolean(sv);
		const char *ck = output_str_or(json_get_str(co, "change"), "modified");
		char *old = finding_value_text(json_get_path(co, "old"), sens);
		char *new = finding_value_text(json_get_path(co, "new"), sens);

		sb_adds(sb, "  - ");
		md_code(sb, json_get_str(co, "attribute"), 0, "(attribute)");
		if (sens) {
			sb_addf(sb, ": (sensitive) %s", ck);
		} else if (strcmp(ck, "added") == 0) {
			sb_adds(sb, " added: ");
			md_code(sb, new, 0, "");
		} else if (strcmp(ck, "removed") == 0) {
			sb_adds(sb, " removed: ");
			md_code(sb, old, 0, "");
		} else {
			sb_adds(sb, ": ");
			md_code(sb, old, 0, "");
			sb_adds(sb, " \u2192 ");
			if (unknown)
				sb_adds(sb, "(changed; the log does not carry the value)");
			else
				md_code(sb, new, 0, "");
		}
		sb_addc(sb, '\n');
		free(old);
		free(new);
	}
}

static void
md_details(struct out_md *m, const struct finding *f, json_object *fo, const char *res)
{
	struct strbuf *sb = &m->details;
	json_object *rules = json_get_path(fo, "rules");
	const char *s;
	size_t i;

	sb_addf(sb, "<details>\n<summary>%s %s: ", severity_name(f->severity),
	    finding_kind_name(f->kind));
	md_html(sb, res);
	if (f->status != ST_OPEN)
		sb_addf(sb, " (%s)", finding_status_name(f->status));
	sb_adds(sb, "</summary>\n\n");
	md_item(sb, "Finding", json_get_str(fo, "id"));
	md_item(sb, "Resource id", json_get_str(fo, "resource.id"));
	md_item(sb, "State", json_get_str(fo, "resource.state"));
	md_changes(sb, fo);
	if (f->nchanges == 0 && f->kind == FK_MODIFIED)
		sb_adds(sb, "- **Changes** the log does not say which attribute\n");
	sb_adds(sb, "- **Actor** ");
	md_code(sb, md_actor(fo), 0, "(unknown)");
	if ((s = json_get_str(fo, "actor.type")) != NULL) {
		sb_adds(sb, ", type ");
		md_code(sb, s, 0, "");
	}
	if ((s = json_get_str(fo, "actor.role")) != NULL) {
		sb_adds(sb, ", role ");
		md_code(sb, s, 0, "");
	}
	if ((s = json_get_str(fo, "actor.session")) != NULL) {
		sb_adds(sb, ", session ");
		md_code(sb, s, 0, "");
	}
	if ((s = json_get_str(fo, "actor.principal")) != NULL && json_get_str(fo, "actor.name") !=
	    NULL && strcmp(json_get_str(fo, "actor.name"), s) != 0) {
		sb_adds(sb, ", principal ");
		md_code(sb, s, 0, "");
	}
	sb_addc(sb, '\n');
	md_item(sb, "Source IP", json_get_str(fo, "actor.source_ip"));
	sb_addf(sb, "- **Via** %s", output_str_or(json_get_str(fo, "actor.via"), "unknown"));
	if ((s = json_get_str(fo, "actor.user_agent")) != NULL) {
		sb_adds(sb, ", user agent ");
		md_code(sb, s, 0, "");
	}
	sb_addc(sb, '\n');
	sb_adds(sb, "- **Event** ");
	md_code(sb, json_get_str(fo, "event.name"), 0, "(unknown)");
	if ((s = json_get_str(fo, "event.id")) != NULL) {
		sb_adds(sb, " id ");
		md_code(sb, s, 0, "");
	}
	if ((s = json_get_str(fo, "event.time")) != NULL)
		sb_addf(sb, " at %s", s);
	sb_addc(sb, '\n');
	for (i = 0; rules != NULL && i < json_object_array_length(rules); i++) {
		json_object *r = json_object_array_get_idx(rules, i);

		sb_adds(sb, "- **Rule** ");
		md_code(sb, json_get_str(r, "id"), 0, "(no id)");
		if ((s = json_get_str(r, "name")) != NULL) {
			sb_adds(sb, " ");
			md_code(sb, s, 0, "");
		}
		sb_addc(sb, '\n');
	}
	md_item(sb, "Freeze", json_get_str(fo, "freeze.name"));
	md_item(sb, "Fix", json_get_str(fo, "fix"));
	if (f->status == ST_ACKNOWLEDGED || f->status == ST_SUPPRESSED ||
	    json_get_path(fo, "triage") != NULL) {
		sb_addf(sb, "- **Triage** %s", f->status == ST_RESOLVED ? "triaged" :
		    finding_status_name(f->status));
		if ((s = json_get_str(fo, "triage.by")) != NULL) {
			sb_adds(sb, " by ");
			md_code(sb, s, 0, "");
		}
		if ((s = json_get_str(fo, "triage.until")) != NULL)
			sb_addf(sb, " until %s", s);
		if ((s = json_get_str(fo, "triage.note")) != NULL) {
			sb_adds(sb, ": ");
			md_code(sb, s, 0, "");
		}
		sb_addc(sb, '\n');
	}
	if ((s = json_get_str(fo, "resolution.reason")) != NULL) {
		sb_addf(sb, "- **Resolved** %s", s);
		if ((s = json_get_str(fo, "resolution.at")) != NULL)
			sb_addf(sb, " at %s", s);
		sb_addc(sb, '\n');
	}
	sb_adds(sb, "\n</details>\n\n");
}

void
output_md_add(struct out_md *m, const struct finding *f)
{
	json_object *fo = finding_to_json(f);
	char *res = md_resource(fo);

	if ((unsigned)f->severity < SEV__COUNT)
		m->nsev[f->severity]++;
	if ((unsigned)f->status < ST__COUNT)
		m->nstatus[f->status]++;
	m->n++;
	md_row(m, f, fo, res);
	md_details(m, f, fo, res);
	free(res);
	json_object_put(fo);
}

void
output_md_write(FILE *fp, const struct out_md *m)
{
	const char *sep = "";
	int i;

	if (m->n == 0) {
		fputs("**tfdrift:** No drift: no findings.\n", fp);
		return;
	}
	fprintf(fp, "**tfdrift:** %zu finding%s \u2014 ", m->n, m->n == 1 ? "" : "s");
	for (i = SEV__COUNT - 1; i >= 0; i--) {
		if (m->nsev[i] == 0)
			continue;
		fprintf(fp, "%s%zu %s", sep, m->nsev[i], severity_name((enum severity)i));
		sep = ", ";
	}
	sep = "; ";
	for (i = 0; i < ST__COUNT; i++) {
		if (m->nstatus[i] == 0)
			continue;
		fprintf(fp, "%s%zu %s", sep, m->nstatus[i], finding_status_name((enum finding_status)i));
		sep = ", ";
	}
	fputs("\n\n| Severity | Status | Resource | Change | Actor | When |\n"
	    "|---|---|---|---|---|---|\n", fp);
	fwrite(m->table.buf, 1, m->table.len, fp);
	fputs("\n### Details\n\n", fp);
	fwrite(m->details.buf, 1, m->details.len - 1, fp);      /* no blank line at the end */
}
