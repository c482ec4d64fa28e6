/* notify_falco: Falco-compatible JSON alerts (falcosidekick's HTTP endpoint, a file of JSON
 * lines, or stdout): Falco's envelope, tfdrift.* output fields and those of Falco's own
 * cloudtrail and gcpaudit plugins; a resolution has its own rule and tags. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notify_int.h"
#include "text.h"
#include "util.h"

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
		const char *sev = notify_jstr(r, "severity", NULL);

		if (sev == NULL || severity_parse(sev, &s) != 0)
			s = SEV_INFO;
		if (best == NULL || s > bs) {
			best = r;
			bs = s;
		}
	}
	return best;
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

/* The tfdrift.* fields every alert carries, open or resolved: what drifted, where. */
static void
falco_finding_fields(json_object *of, json_object *fj)
{
	put_field(of, "tfdrift.id", notify_jstr(fj, "id", NULL));
	put_field(of, "tfdrift.kind", notify_jstr(fj, "kind", NULL));
	put_field(of, "tfdrift.severity", notify_jstr(fj, "severity", NULL));
	put_field(of, "tfdrift.provider", notify_jstr(fj, "provider", NULL));
	put_field(of, "tfdrift.address", notify_jstr(fj, "resource", "address"));
	put_field(of, "tfdrift.resource.type", notify_jstr(fj, "resource", "type"));
	put_field(of, "tfdrift.resource.id", notify_jstr(fj, "resource", "id"));
	put_field(of, "tfdrift.state", notify_jstr(fj, "resource", "state"));
	put_field(of, "tfdrift.summary", notify_jstr(fj, "summary", NULL));
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
	r = text_json_string(p, NOTIFY_JSON_FLAGS);
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
	const char *sev = notify_jstr(fj, "severity", NULL), *kind = notify_jstr(fj, "kind", NULL);
	const char *prov = notify_jstr(fj, "provider", NULL);
	json_object *res = notify_jobj(fj, "resolution");
	const char *reason = notify_jstr(res, "reason", NULL), *at = notify_jstr(res, "at", NULL);
	json_object *of = json_object_new_object(), *tags = json_object_new_array();
	char *line, *r;
	struct strbuf sb;

	sb_init(&sb);
	line = notify_resolution_line(fj);
	notify_sb_line(&sb, line);
	free(line);
	sb_adds(&sb, " (reason=");
	notify_sb_line(&sb, notify_or_dash(reason));
	sb_adds(&sb, " kind=");
	notify_sb_line(&sb, notify_or_dash(kind));
	sb_adds(&sb, " severity=");
	notify_sb_line(&sb, notify_or_dash(sev));
	sb_adds(&sb, " id=");
	notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "id", NULL)));
	sb_adds(&sb, ")");

	falco_finding_fields(of, fj);
	put_field(of, "tfdrift.status", "resolved");
	put_field(of, "tfdrift.resolution.reason", reason);
	put_field(of, "tfdrift.resolution.at", at);
	put_field(of, "tfdrift.resolution.event.id", notify_jstr(res, "event", "id"));
	put_field(of, "tfdrift.resolution.event.name", notify_jstr(res, "event", "name"));
	put_field(of, "tfdrift.resolution.actor", notify_resolver(res));
	put_field(of, "tfdrift.resolution.actor.via", notify_jstr(res, "actor", "via"));
	put_field(of, "tfdrift.resolution.state", notify_jstr(res, "state", "path"));
	put_field(of, "tfdrift.drift.event.id", notify_jstr(fj, "event", "id"));
	put_field(of, "tfdrift.drift.event.name", notify_jstr(fj, "event", "name"));
	put_field(of, "tfdrift.drift.actor", notify_jstr(fj, "actor", "name"));
	if (notify_jstr(res, "event", "name") != NULL) {
		if (prov != NULL && strcmp(prov, "gcp") == 0) {
			put_field(of, "gcp.methodName", notify_jstr(res, "event", "name"));
			put_field(of, "gcp.user", notify_jstr(res, "actor", "principal"));
			put_field(of, "gcp.resourceName", notify_jstr(fj, "resource", "id"));
			put_field(of, "gcp.time", at);
		} else {
			put_field(of, "ct.id", notify_jstr(res, "event", "id"));
			put_field(of, "ct.name", notify_jstr(res, "event", "name"));
			put_field(of, "ct.time", at);
			put_field(of, "ct.user", notify_jstr(res, "actor", "name"));
			put_field(of, "ct.user.arn", notify_jstr(res, "actor", "principal"));
			put_field(of, "ct.user.identitytype", notify_jstr(res, "actor", "type"));
			put_field(of, "ct.user.accountid", notify_jstr(res, "actor", "account"));
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
	const char *sev = notify_jstr(fj, "severity", NULL), *kind = notify_jstr(fj, "kind", NULL);
	const char *prov = notify_jstr(fj, "provider", NULL), *etime = notify_jstr(fj, "event", "time");
	const char *addr = notify_jstr(fj, "resource", "address");
	json_object *of = json_object_new_object(), *tags = json_object_new_array();
	json_object *rule = top_rule(fj), *rules;
	struct strbuf sb, rb;
	char *r;
	size_t i;

	sb_init(&sb);
	sb_adds(&sb, "Terraform drift (");
	notify_sb_line(&sb, notify_or_dash(kind));
	sb_adds(&sb, ") on ");
	if (addr != NULL)
		notify_sb_line(&sb, addr);
	else {
		notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "resource", "type")));
		sb_adds(&sb, " ");
		notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "resource", "id")));
	}
	if (notify_jstr(fj, "summary", NULL) != NULL) {
		sb_adds(&sb, ": ");
		notify_sb_line(&sb, notify_jstr(fj, "summary", NULL));
	}
	sb_adds(&sb, " (user=");
	notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "actor", "name")));
	sb_adds(&sb, " via=");
	notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "actor", "via")));
	sb_adds(&sb, " ip=");
	notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "actor", "source_ip")));
	sb_adds(&sb, prov != NULL && strcmp(prov, "gcp") == 0 ? " project=" : " account=");
	notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "event", "account")));
	sb_adds(&sb, " region=");
	notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "event", "region")));
	sb_adds(&sb, " event=");
	notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "event", "name")));
	sb_adds(&sb, " severity=");
	notify_sb_line(&sb, notify_or_dash(sev));
	sb_adds(&sb, " id=");
	notify_sb_line(&sb, notify_or_dash(notify_jstr(fj, "id", NULL)));
	sb_adds(&sb, ")");
	sb_init(&rb);
	if (rule != NULL && notify_jstr(rule, "name", NULL) != NULL)
		sb_adds(&rb, notify_jstr(rule, "name", NULL));
	else
		sb_addf(&rb, "tfdrift %s", notify_or_dash(kind));

	falco_finding_fields(of, fj);
	put_field(of, "tfdrift.actor.via", notify_jstr(fj, "actor", "via"));
	if (rule != NULL)
		put_field(of, "tfdrift.rule.id", notify_jstr(rule, "id", NULL));
	/* The field names of Falco's own cloudtrail and gcpaudit plugins, so rules and
	 * dashboards built for those match these alerts too. */
	if (prov != NULL && strcmp(prov, "gcp") == 0) {
		put_field(of, "gcp.user", notify_jstr(fj, "actor", "principal"));
		put_field(of, "gcp.callerIP", notify_jstr(fj, "actor", "source_ip"));
		put_field(of, "gcp.userAgent", notify_jstr(fj, "actor", "user_agent"));
		put_field(of, "gcp.methodName", notify_jstr(fj, "event", "name"));
		put_field(of, "gcp.serviceName", notify_jstr(fj, "event", "source"));
		put_field(of, "gcp.projectId", notify_jstr(fj, "event", "account"));
		put_field(of, "gcp.location", notify_jstr(fj, "event", "region"));
		put_field(of, "gcp.resourceName", notify_jstr(fj, "resource", "id"));
		put_field(of, "gcp.time", etime);
	} else {
		put_field(of, "ct.id", notify_jstr(fj, "event", "id"));
		put_field(of, "ct.name", notify_jstr(fj, "event", "name"));
		put_field(of, "ct.src", notify_jstr(fj, "event", "source"));
		put_field(of, "ct.time", etime);
		put_field(of, "ct.region", notify_jstr(fj, "event", "region"));
		put_field(of, "ct.user", notify_jstr(fj, "actor", "name"));
		put_field(of, "ct.user.arn", notify_jstr(fj, "actor", "principal"));
		put_field(of, "ct.user.identitytype", notify_jstr(fj, "actor", "type"));
		put_field(of, "ct.user.accountid", notify_jstr(fj, "actor", "account"));
		put_field(of, "ct.srcip", notify_jstr(fj, "actor", "source_ip"));
		put_field(of, "ct.useragent", notify_jstr(fj, "actor", "user_agent"));
	}
	json_object_array_add(tags, json_object_new_string("tfdrift"));
	json_object_array_add(tags, json_object_new_string("drift"));
	falco_tags_tail(tags, kind, prov);
	if (json_object_object_get_ex(fj, "rules", &rules) &&
	    json_object_is_type(rules, json_type_array))
		for (i = 0; i < json_object_array_length(rules); i++) {
			const char *id = notify_jstr(json_object_array_get_idx(rules, i), "id", NULL);

			if (id != NULL)
				json_object_array_add(tags, json_object_new_string(id));
		}
	r = falco_envelope(sb.buf, sev, rb.buf, etime, of, tags, hostname);
	sb_free(&rb);
	sb_free(&sb);
	return r;
}
char *
notify_falco_payload(json_object *fj, const char *hostname)
{
	return notify_is_resolution(fj) ? falco_resolution(fj, hostname) :
	    falco_alert(fj, hostname);
}

static char *
falco_payload(const struct output *o, json_object *fj)
{
	return notify_falco_payload(fj, o->n->hostname);
}

static void
falco_summary(json_object *p, const char *text, const char *output, uint64_t n,
    int per_minute, const char *hostname)
{
	json_object *of = json_object_new_object(), *tags = json_object_new_array();
	char tbuf[64];

	(void)per_minute;
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
}

/* To falcosidekick (url), or a line on the file (or stdout). */
static int
falco_send(struct output *o, const char *body, size_t len, const char *event, const char *id,
    char **retry_after, int *retry, char **err)
{
	int rc;

	if (o->file == NULL)
		return notify_send_post(o, body, len, event, id, retry_after, retry, err);
	*retry = 0;
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

static void
falco_close(struct output *o)
{
	if (o->fp != NULL && o->fp != stdout)
		fclose(o->fp);
	o->fp = NULL;
}

const struct notify_ops notify_falco_ops = {
	.type = COUT_FALCO,
	.payload = falco_payload,
	.summary = falco_summary,
	.send = falco_send,
	.close = falco_close,
};
