/* output_sarif: findings as a SARIF 2.1.0 log for code-scanning tools (GitHub code scanning
 * and others): one run, its driver's rules the rules that fired (or one per finding kind), a
 * result per open finding. Acknowledged, suppressed and resolved findings are left out --
 * GitHub's SARIF subset has no suppressions, and an alert whose fingerprint is no longer
 * uploaded is closed -- and counted in the run's properties. Main thread only. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "jpath.h"
#include "output_int.h"
#include "text.h"
#include "util.h"

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define SARIF_INFO_URI "https://github.com/tfdrift/tfdrift"
/* partialFingerprints key: the finding's stable id (finding_set_id), so uploads dedupe. */
#define SARIF_FINGERPRINT "tfdriftFindingId/v1"

struct out_sarif {
	json_object *rules;     /* the driver's rules, in the order they first fired */
	json_object *results;
	struct tf_hmap at;      /* rule id (kept by its rules entry) -> index + 1 */
	char *artifact;         /* the URI of a result with no state file of its own, or NULL */
	size_t nstatus[ST__COUNT];
};

/* The rule of a finding no rule matched: one per kind, stable across runs. */
static const struct {
	const char *id, *name, *text, *help;
} kind_rule[FK__COUNT] = {
	[FK_MODIFIED] = { "tfdrift/modified", "ModifiedOutsideTerraform",
	  "A managed resource was changed outside Terraform",
	  "An audit event changed an attribute of a resource that Terraform manages, and the "
	  "state still holds the old value." },
	[FK_UNMANAGED] = { "tfdrift/unmanaged", "UnmanagedResource",
	  "A resource was created outside Terraform",
	  "An audit event created a resource that no Terraform state manages." },
	[FK_DELETED] = { "tfdrift/deleted", "DeletedOutsideTerraform",
	  "A managed resource was deleted outside Terraform",
	  "An audit event deleted a resource that a Terraform state still holds." },
	[FK_FREEZE_VIOLATION] = { "tfdrift/freeze-violation", "ChangeFreezeViolation",
	  "A change was made during a change-freeze window",
	  "A write event fell inside a configured change-freeze window." },
};

static const char *
sarif_level(enum severity s)
{
	return s >= SEV_HIGH ? "error" : s == SEV_MEDIUM ? "warning" : "note";
}

/* GitHub's security-severity (a CVSS-like score: critical >= 9.0, high >= 7.0, medium >=
 * 4.0, low > 0); none for info. */
static const char *
sarif_security_severity(enum severity s)
{
	static const char *const score[SEV__COUNT] = { NULL, "3.0", "5.5", "8.0", "9.5" };

	return s < SEV__COUNT ? score[s] : NULL;
}

static json_object *
text_obj(const char *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "text", json_object_new_string(s));
	return o;
}

static char *state_uri(const char *state);

struct out_sarif *
output_sarif_new(const char *artifact)
{
	struct out_sarif *s = xcalloc(1, sizeof *s);

	s->artifact = state_uri(artifact);
	s->rules = json_object_new_array();
	s->results = json_object_new_array();
	return s;
}

void
output_sarif_free(struct out_sarif *s)
{
	if (s == NULL)
		return;
	json_object_put(s->rules);
	json_object_put(s->results);
	tf_hmap_free(&s->at);
	free(s->artifact);
	free(s);
}

/* The rule that decides a finding: the first of the highest severity among those that
 * matched (fo's "rules"), else NULL. */
static json_object *
best_rule(const struct finding *f, json_object *fo)
{
	json_object *arr = json_get_path(fo, "rules");
	size_t i, best = 0;

	if (arr == NULL || f->nrules == 0 || json_object_array_length(arr) != f->nrules)
		return NULL;
	for (i = 1; i < f->nrules; i++)
		if (f->rules[i].severity > f->rules[best].severity)
			best = i;
	if (f->rules[best].id == NULL || f->rules[best].id[0] == '\0')
		return NULL;
	return json_object_array_get_idx(arr, best);
}

/* help: the rule's remediation steps, numbered (text and Markdown alike). */
static void
add_help(json_object *ro, json_object *rem)
{
	struct strbuf sb;
	size_t i, n = rem != NULL && json_object_is_type(rem, json_type_array) ?
	    json_object_array_length(rem) : 0;
	json_object *h;

	if (n == 0)
		return;
	sb_init(&sb);
	sb_adds(&sb, "Remediation:\n");
	for (i = 0; i < n; i++)
		sb_addf(&sb, "%zu. %s\n", i + 1,
		    json_object_get_string(json_object_array_get_idx(rem, i)));
	h = text_obj(sb.buf);
	json_object_object_add(h, "markdown", json_object_new_string(sb.buf));
	json_object_object_add(ro, "help", h);
	sb_free(&sb);
}

static void
add_rule_properties(json_object *ro, enum severity sev)
{
	json_object *p = json_object_new_object(), *tags = json_object_new_array();
	const char *ss = sarif_security_severity(sev);

	json_object_array_add(tags, json_object_new_string("terraform"));
	json_object_array_add(tags, json_object_new_string("drift"));
	if (ss != NULL)
		json_object_array_add(tags, json_object_new_string("security"));
	json_object_object_add(p, "tags", tags);
	if (ss != NULL)
		json_object_object_add(p, "security-severity", json_object_new_string(ss));
	json_object_object_add(ro, "properties", p);
}

/* The index of the finding's rule in the driver's rules, added when it first fires. */
static size_t
rule_index(struct out_sarif *s, const struct finding *f, json_object *fo)
{
	json_object *rj = best_rule(f, fo), *ro, *dc;
	const char *id = rj != NULL ? json_get_str(rj, "id") : NULL;
	enum severity sev = f->severity;
	void *p;

	if (id == NULL)
		id = kind_rule[f->kind].id;
	if ((p = tf_hmap_get(&s->at, id)) != NULL)
		return (size_t)(uintptr_t)p - 1;
	ro = json_object_new_object();
	json_object_object_add(ro, "id", json_object_new_string(id));
	if (rj != NULL) {
		const char *name = json_get_str(rj, "name"), *runbook = json_get_str(rj, "runbook");

		(void)severity_parse(json_get_str(rj, "severity"), &sev);
		json_object_object_add(ro, "name", json_object_new_string(name != NULL ? name : id));
		json_object_object_add(ro, "shortDescription", text_obj(name != NULL ? name : id));
		add_help(ro, json_get_path(rj, "remediation"));
		/* A runbook that is a link; other text is not a URI. */
		if (runbook != NULL && (strncmp(runbook, "https://", 8) == 0 ||
		    strncmp(runbook, "http://", 7) == 0) && strpbrk(runbook, " \t\"<>\\^`{|}") == NULL)
			json_object_object_add(ro, "helpUri", json_object_new_string(runbook));
	} else {
		json_object_object_add(ro, "name", json_object_new_string(kind_rule[f->kind].name));
		json_object_object_add(ro, "shortDescription", text_obj(kind_rule[f->kind].text));
		json_object_object_add(ro, "fullDescription", text_obj(kind_rule[f->kind].help));
		sev = SEV_MEDIUM;       /* the kind's default; each result says its own level */
	}
	dc = json_object_new_object();
	json_object_object_add(dc, "level", json_object_new_string(sarif_level(sev)));
	json_object_object_add(ro, "defaultConfiguration", dc);
	/* A kind's results differ in severity: its rule claims no security severity. */
	add_rule_properties(ro, rj != NULL ? sev : SEV_INFO);
	json_object_array_add(s->rules, ro);
	/* The key lives as long as the rules array does. */
	tf_hmap_put(&s->at, json_get_str(ro, "id"), (void *)(uintptr_t)json_object_array_length(s->rules));
	return json_object_array_length(s->rules) - 1;
}

/* What changed, who, when: one paragraph of plain text. */
static char *
result_message(const struct finding *f, json_object *fo)
{
	const char *addr = json_get_str(fo, "resource.address");
	const char *role = json_get_str(fo, "actor.role"), *time = json_get_str(fo, "event.time");
	const char *ev = json_get_str(fo, "event.name"), *summary = json_get_str(fo, "summary");
	struct strbuf sb;

	sb_init(&sb);
	if (addr != NULL)
		sb_adds(&sb, addr);
	else
		sb_addf(&sb, "%s %s", output_str_or(json_get_str(fo, "resource.type"), "(resource)"),
		    output_str_or(json_get_str(fo, "resource.id"), "(no id)"));
	switch (f->kind) {
	case FK_MODIFIED: sb_adds(&sb, " was changed outside Terraform"); break;
	case FK_UNMANAGED: sb_adds(&sb, " was created outside Terraform (no state manages it)"); break;
	case FK_DELETED: sb_adds(&sb, " was deleted outside Terraform"); break;
	default:
		sb_addf(&sb, " was changed during the change freeze %s",
		    output_str_or(json_get_str(fo, "freeze.name"), "(unnamed)"));
		break;
	}
	if (summary != NULL)
		sb_addf(&sb, ": %s", summary);
	sb_addf(&sb, ". By %s", output_str_or(json_get_str(fo, "actor.name"),
	    output_str_or(json_get_str(fo, "actor.principal"), "(unknown)")));
	if (role != NULL)
		sb_addf(&sb, " (role %s)", role);
	sb_addf(&sb, " via %s", output_str_or(json_get_str(fo, "actor.via"), "unknown"));
	if (time != NULL)
		sb_addf(&sb, " at %s", time);
	if (ev != NULL)
		sb_addf(&sb, " (%s)", ev);
	sb_addc(&sb, '.');
	return sb_detach(&sb);
}

/* The state file a finding was decided against, as a URI reference: a relative path stays
 * relative (to the repository root, for code scanning), an absolute one is a file: URI.
 * NULL for standard input and remote states (s3://...), which are no file here. */
static char *
state_uri(const char *state)
{
	char *enc, *uri;

	if (state == NULL || state[0] == '\0' || strcmp(state, "-") == 0 ||
	    strstr(state, "://") != NULL)
		return NULL;
	enc = http_encode(state, 1);
	if (state[0] != '/')
		return enc;
	uri = xasprintf("file://%s", enc);
	free(enc);
	return uri;
}

static json_object *
result_locations(const struct out_sarif *s, json_object *fo)
{
	json_object *locs = json_object_new_array(), *loc = json_object_new_object();
	json_object *ll = json_object_new_array(), *l = json_object_new_object();
	const char *addr = json_get_str(fo, "resource.address");
	const char *rid = json_get_str(fo, "resource.id");
	char *uri = state_uri(json_get_str(fo, "resource.state"));

	if (uri == NULL && s->artifact != NULL)
		uri = xstrdup(s->artifact);

	if (uri != NULL) {
		json_object *pl = json_object_new_object(), *al = json_object_new_object();

		json_object_object_add(al, "uri", json_object_new_string(uri));
		json_object_object_add(pl, "artifactLocation", al);
		json_object_object_add(loc, "physicalLocation", pl);
		free(uri);
	}
	json_object_object_add(l, "name", json_object_new_string(output_str_or(addr, output_str_or(rid,
	    "(unknown resource)"))));
	if (addr != NULL)
		json_object_object_add(l, "fullyQualifiedName", json_object_new_string(addr));
	json_object_object_add(l, "kind", json_object_new_string("resource"));
	json_object_array_add(ll, l);
	json_object_object_add(loc, "logicalLocations", ll);
	json_object_array_add(locs, loc);
	return locs;
}

/* A member of fo (a new reference), or nothing when absent or null. */
static void
copy_member(json_object *to, const char *key, json_object *fo, const char *path)
{
	json_object *v = json_get_path(fo, path);

	if (v != NULL)
		json_object_object_add(to, key, json_object_get(v));
}

void
output_sarif_add(struct out_sarif *s, const struct finding *f)
{
	json_object *fo, *r, *fp, *props;
	size_t ix;
	char *msg;

	if ((unsigned)f->status < ST__COUNT)
		s->nstatus[f->status]++;
	if (f->status != ST_OPEN)
		return;
	fo = finding_to_json(f);
	ix = rule_index(s, f, fo);
	r = json_object_new_object();
	json_object_object_add(r, "ruleId", json_object_new_string(
	    json_get_str(json_object_array_get_idx(s->rules, ix), "id")));
	json_object_object_add(r, "ruleIndex", json_object_new_int64((int64_t)ix));
	json_object_object_add(r, "level", json_object_new_string(sarif_level(f->severity)));
	msg = result_message(f, fo);
	json_object_object_add(r, "message", text_obj(msg));
	free(msg);
	json_object_object_add(r, "locations", result_locations(s, fo));
	fp = json_object_new_object();
	json_object_object_add(fp, SARIF_FINGERPRINT, json_object_new_string(f->id));
	json_object_object_add(r, "partialFingerprints", fp);

	props = json_object_new_object();
	copy_member(props, "finding_id", fo, "id");
	copy_member(props, "kind", fo, "kind");
	copy_member(props, "severity", fo, "severity");
	copy_member(props, "resource", fo, "resource");
	copy_member(props, "actor", fo, "actor");
	copy_member(props, "event_id", fo, "event.id");
	copy_member(props, "event", fo, "event.name");
	copy_member(props, "time", fo, "event.time");
	copy_member(props, "changes", fo, "changes");   /* masked as the JSON output masks */
	copy_member(props, "freeze", fo, "freeze");
	copy_member(props, "fix", fo, "fix");
	json_object_object_add(r, "properties", props);
	json_object_array_add(s->results, r);
	json_object_put(fo);
}

void
output_sarif_write(FILE *fp, const struct out_sarif *s)
{
	json_object *doc = json_object_new_object(), *runs = json_object_new_array();
	json_object *run = json_object_new_object(), *tool = json_object_new_object();
	json_object *drv = json_object_new_object(), *props = json_object_new_object();
	json_object *counts = json_object_new_object();
	char *js;
	int i;

	json_object_object_add(doc, "$schema", json_object_new_string(SARIF_SCHEMA));
	json_object_object_add(doc, "version", json_object_new_string("2.1.0"));
	json_object_object_add(drv, "name", json_object_new_string(PACKAGE_NAME));
	json_object_object_add(drv, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(drv, "semanticVersion", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(drv, "informationUri", json_object_new_string(SARIF_INFO_URI));
	json_object_object_add(drv, "rules", json_object_get(s->rules));
	json_object_object_add(tool, "driver", drv);
	json_object_object_add(run, "tool", tool);
	json_object_object_add(run, "results", json_object_get(s->results));
	/* What was left out, so nothing vanishes without a word. */
	for (i = 0; i < ST__COUNT; i++)
		json_object_object_add(counts, finding_status_name((enum finding_status)i),
		    json_object_new_int64((int64_t)s->nstatus[i]));
	json_object_object_add(props, "findings", counts);
	json_object_object_add(run, "properties", props);
	json_object_array_add(runs, run);
	json_object_object_add(doc, "runs", runs);
	js = text_json_string(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	    JSON_C_TO_STRING_NOSLASHESCAPE);
	fputs(js, fp);
	fputc('\n', fp);
	free(js);
	json_object_put(doc);
}
