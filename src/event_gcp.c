/* event_gcp: a Cloud Logging LogEntry carrying a Cloud Audit Logs AuditLog becomes an event
 * (event_from_logentry: project, region, log id, read-only, status), and who made the call
 * (actor_resolve_gcp: service agents, service accounts, delegation chains, "via").
 *
 * Nothing here keeps global mutable state. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_int.h"
#include "util.h"

#define AUDITLOG_TYPE "type.googleapis.com/google.cloud.audit.AuditLog"

/* ---- GCP actor ---- */

/* Google-managed service agents act for Google, not for a user: service-PROJNUM@*.iam...,
 * *@gcp-sa-*.iam..., PROJNUM@cloudservices and *@system.gserviceaccount.com. */
static int
gcp_is_service_agent(const char *email)
{
	const char *at = strchr(email, '@'), *dom = at != NULL ? at + 1 : email;
	const char *local = at != NULL ? email : "";
	size_t i;

	if (!has_suffix(email, ".gserviceaccount.com"))
		return 0;
	if (has_prefix(dom, "gcp-sa-") || strcmp(dom, "cloudservices.gserviceaccount.com") == 0 ||
	    strcmp(dom, "system.gserviceaccount.com") == 0)
		return 1;
	/* service-PROJECT_NUMBER@<svc>.iam.gserviceaccount.com: compute-system,
	 * container-engine-robot, gs-project-accounts ... (and an @-less form seen in samples).
	 * Domain suffixes alone would also match user projects named like "billing-system". */
	if (at == NULL)
		local = email;
	if (has_prefix(local, "service-")) {
		for (i = strlen("service-"); isdigit((unsigned char)local[i]); i++)
			;
		return i > strlen("service-") && (local[i] == '@' || local[i] == '-');
	}
	return 0;
}

/* The project of a user-managed service account NAME@PROJECT.iam.gserviceaccount.com or
 * PROJECT@appspot.gserviceaccount.com. */
static char *
gcp_sa_project(const char *email)
{
	const char *at = strchr(email, '@'), *dot;

	if (at == NULL)
		return NULL;
	if (strcmp(at + 1, "appspot.gserviceaccount.com") == 0)
		return at > email ? xstrndup(email, (size_t)(at - email)) : NULL;
	if (!has_suffix(at + 1, ".iam.gserviceaccount.com"))
		return NULL;
	dot = strchr(at + 1, '.');
	return dot > at + 1 ? xstrndup(at + 1, (size_t)(dot - at - 1)) : NULL;
}

static const char *
gcp_delegate_name(json_object *d)
{
	json_object *fp = jget(d, "firstPartyPrincipal");
	const char *s;

	if ((s = jstr(fp, "principalEmail")) != NULL && *s != '\0')
		return s;
	if ((s = jstr(d, "principalSubject")) != NULL && *s != '\0')
		return s;
	if (jget(d, "thirdPartyPrincipal") != NULL)
		return "(third-party principal)";
	return NULL;
}

/*
 * Who made a GCP call, from authenticationInfo. `a` is overwritten. principal = principalEmail,
 * or principalSubject when the email is missing or empty (name drops "user:" and
 * "serviceAccount:"). type: ServiceAgent (Google-managed), ServiceAccount (*.gserviceaccount.com
 * or a serviceAccount: subject), User otherwise. When a user impersonated a service account the
 * service account stays principal and name, and delegation reads "human -> ... -> SA"
 * (serviceAccountDelegationInfo lists the original caller first).
 */
void
actor_resolve_gcp(json_object *auth, const char *user_agent, struct actor *a)
{
	const char *email = jstr(auth, "principalEmail"), *subj = jstr(auth, "principalSubject");
	json_object *chain = jget(auth, "serviceAccountDelegationInfo");
	enum tf_via uv;

	memset(a, 0, sizeof *a);
	if (email != NULL && *email == '\0')
		email = NULL;
	if (subj != NULL && *subj == '\0')
		subj = NULL;
	if (email != NULL) {
		a->principal = xstrdup(email);
		a->name = xstrdup(email);
	} else if (subj != NULL) {
		const char *colon = strchr(subj, ':');

		a->principal = xstrdup(subj);
		if (colon != NULL && (has_prefix(subj, "user:") || has_prefix(subj, "serviceAccount:")))
			a->name = xstrdup(colon + 1);
		else
			a->name = xstrdup(subj);
	}
	if (a->name != NULL) {
		if (gcp_is_service_agent(a->name))
			a->type = xstrdup("ServiceAgent");
		else if (has_suffix(a->name, ".gserviceaccount.com") ||
		    (email == NULL && has_prefix(subj, "serviceAccount:"))) {
			a->type = xstrdup("ServiceAccount");
			a->account = gcp_sa_project(a->name);
		} else
			a->type = xstrdup("User");
	}
	if (json_object_is_type(chain, json_type_array)) {
		struct strbuf sb;
		size_t i, n = json_object_array_length(chain);

		sb_init(&sb);
		for (i = 0; i < n; i++) {
			const char *d = gcp_delegate_name(json_object_array_get_idx(chain, i));

			if (d == NULL)
				continue;
			if (sb.len > 0)
				sb_adds(&sb, " -> ");
			sb_adds(&sb, d);
		}
		if (sb.len > 0 && a->principal != NULL) {
			sb_adds(&sb, " -> ");
			sb_adds(&sb, a->principal);
		}
		if (sb.len > 0)
			a->delegation = sb_detach(&sb);
		sb_free(&sb);
	}
	uv = via_from_user_agent(PROV_GCP, user_agent);
	if (uv == VIA_TERRAFORM)
		a->via = uv;
	else if (a->type != NULL && strcmp(a->type, "ServiceAgent") == 0)
		a->via = VIA_SERVICE;
	else
		a->via = uv;
}

/* ---- GCP ---- */

/* us-central1-a → us-central1 (a zone is its region plus "-<letter>"); anything else as is. */
static char *
zone_to_region(const char *zone)
{
	const char *dash = strrchr(zone, '-');

	if (dash != NULL && dash > zone && strlen(dash + 1) == 1 &&
	    islower((unsigned char)dash[1]) && strchr(zone, '-') != dash)
		return xstrndup(zone, (size_t)(dash - zone));
	return xstrdup(zone);
}

/* The segment after "/<key>/" (or a leading "<key>/") in a resource path, copied. */
static char *
path_segment(const char *path, const char *key)
{
	size_t kl = strlen(key);
	const char *p = path, *end;

	if (path == NULL)
		return NULL;
	for (;;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '/' && (p == path || p[-1] == '/')) {
			p += kl + 1;
			end = strchr(p, '/');
			if (end == NULL)
				end = p + strlen(p);
			return end > p ? xstrndup(p, (size_t)(end - p)) : NULL;
		}
		if ((p = strchr(p, '/')) == NULL)
			return NULL;
		p++;
	}
}

static char *
gcp_region(json_object *entry, json_object *pp)
{
	json_object *labels = jget(jget(entry, "resource"), "labels");
	const char *s, *rn = jstr(pp, "resourceName");
	json_object *cur;
	char *seg;

	if ((s = jstr(labels, "zone")) != NULL && *s != '\0')
		return zone_to_region(s);
	if ((s = jstr(labels, "region")) != NULL && *s != '\0')
		return xstrdup(s);
	if ((s = jstr(labels, "location")) != NULL && *s != '\0')
		return xstrdup(s);
	if ((seg = path_segment(rn, "zones")) != NULL) {
		char *r = zone_to_region(seg);

		free(seg);
		return r;
	}
	if ((seg = path_segment(rn, "regions")) != NULL || (seg = path_segment(rn, "locations")) != NULL)
		return seg;
	if (rn != NULL && (strstr(rn, "/global/") != NULL || has_suffix(rn, "/global")))
		return xstrdup("global");
	cur = jget(jget(pp, "resourceLocation"), "currentLocations");
	if (json_object_is_type(cur, json_type_array) && json_object_array_length(cur) > 0) {
		json_object *l = json_object_array_get_idx(cur, 0);

		if (json_object_is_type(l, json_type_string))
			return xstrdup(json_object_get_string(l));
	}
	return NULL;
}

/* event_type from logName ".../logs/cloudaudit.googleapis.com%2Factivity" → "activity";
 * other log ids are returned URL-decoded in full. */
static char *
gcp_log_id(const char *log_name)
{
	const char *p;
	struct strbuf sb;
	char *id;

	if (log_name == NULL || (p = strstr(log_name, "/logs/")) == NULL)
		return NULL;
	p += strlen("/logs/");
	sb_init(&sb);
	for (; *p; p++) {
		if (*p == '%' && tf_hexval(p[1]) >= 0 && tf_hexval(p[2]) >= 0) {
			sb_addc(&sb, (char)(tf_hexval(p[1]) * 16 + tf_hexval(p[2])));
			p += 2;
		} else
			sb_addc(&sb, *p);
	}
	if (sb.len == 0) {
		sb_free(&sb);
		return NULL;
	}
	id = sb_detach(&sb);
	if (has_prefix(id, "cloudaudit.googleapis.com/") && id[strlen("cloudaudit.googleapis.com/")]) {
		char *s = xstrdup(id + strlen("cloudaudit.googleapis.com/"));

		free(id);
		return s;
	}
	return id;
}

/* The last dotted segment of a method name starts one of the read verbs. */
static int
gcp_method_reads(const char *method)
{
	static const char *const verbs[] = {
		"get", "list", "aggregatedList", "testIamPermissions", "GetIamPolicy",
	};
	const char *last;
	size_t i, n;

	if (method == NULL)
		return 0;
	last = strrchr(method, '.');
	last = last != NULL ? last + 1 : method;
	for (i = 0; i < TF_ARRLEN(verbs); i++) {
		n = strlen(verbs[i]);
		if (strncasecmp(last, verbs[i], n) == 0 && !islower((unsigned char)last[n]))
			return 1;
	}
	return 0;
}

/*
 * A GCP call is read-only when every authorizationInfo[].permissionType is ADMIN_READ or
 * DATA_READ; any *_WRITE makes it a write. Without permission types the method name decides
 * (get/list/aggregatedList/testIamPermissions/GetIamPolicy → read), anything else is a write.
 */
static int
gcp_read_only(json_object *pp, const char *method)
{
	json_object *ai = jget(pp, "authorizationInfo");
	size_t i, n;
	int reads = 0, writes = 0;

	if (json_object_is_type(ai, json_type_array)) {
		n = json_object_array_length(ai);
		for (i = 0; i < n; i++) {
			const char *pt = jstr(json_object_array_get_idx(ai, i), "permissionType");

			if (pt == NULL)
				continue;
			if (strcmp(pt, "ADMIN_READ") == 0 || strcmp(pt, "DATA_READ") == 0)
				reads++;
			else
				writes++;
		}
	}
	if (writes > 0)
		return 0;
	if (reads > 0)
		return 1;
	return gcp_method_reads(method);
}

int
event_from_logentry(json_object *obj, struct event *ev, const char **why)
{
	json_object *pp, *rm, *st, *op, *code;
	const char *type, *svc, *method, *t, *log_name;
	int64_t ms;

	memset(ev, 0, sizeof *ev);
	if (!json_object_is_type(obj, json_type_object)) {
		set_why(why, "not a JSON object");
		return -1;
	}
	ev->repaired = repair_text(obj);
	pp = jget(obj, "protoPayload");
	if (!json_object_is_type(pp, json_type_object)) {
		if (jget(obj, "textPayload") != NULL)
			set_why(why, "not an audit log entry (textPayload)");
		else if (jget(obj, "jsonPayload") != NULL)
			set_why(why, "not an audit log entry (jsonPayload)");
		else
			set_why(why, "not an audit log entry (no protoPayload)");
		return -1;
	}
	type = jstr(pp, "@type");
	svc = jstr(pp, "serviceName");
	method = jstr(pp, "methodName");
	if (type != NULL && strcmp(type, AUDITLOG_TYPE) != 0) {
		set_why(why, "not an audit log entry (protoPayload is not an AuditLog)");
		return -1;
	}
	if (type == NULL && (svc == NULL || method == NULL)) {
		set_why(why, "not an audit log entry (protoPayload has no @type, serviceName or methodName)");
		return -1;
	}
	ev->provider = PROV_GCP;
	ev->raw = json_object_get(obj);
	ev->record = pp;
	ev->id = jdup(obj, "insertId");
	if (((t = jstr(obj, "timestamp")) != NULL && tf_parse_time(t, &ms) == 0) ||
	    ((t = jstr(obj, "receiveTimestamp")) != NULL && tf_parse_time(t, &ms) == 0))
		ev->time_ms = ms;
	ev->source = svc != NULL && *svc ? xstrdup(svc) : NULL;
	ev->name = method != NULL && *method ? xstrdup(method) : NULL;
	ev->resource_name = jdup(pp, "resourceName");
	ev->region = gcp_region(obj, pp);
	log_name = jstr(obj, "logName");
	ev->account = jdup(jget(jget(obj, "resource"), "labels"), "project_id");
	if (ev->account == NULL && has_prefix(log_name, "projects/"))
		ev->account = path_segment(log_name, "projects");
	if (ev->account == NULL && has_prefix(ev->resource_name, "projects/")) {
		ev->account = path_segment(ev->resource_name, "projects");
		if (ev->account != NULL && strcmp(ev->account, "_") == 0) {
			free(ev->account);
			ev->account = NULL;
		}
	}
	rm = jget(pp, "requestMetadata");
	ev->source_ip = jdup(rm, "callerIp");
	ev->user_agent = jdup(rm, "callerSuppliedUserAgent");
	ev->read_only = gcp_read_only(pp, method);
	st = jget(pp, "status");
	code = jget(st, "code");
	if (code != NULL) {
		int64_t c = 0;

		if (json_object_is_type(code, json_type_int))
			c = json_object_get_int64(code);
		else if (json_object_is_type(code, json_type_string))
			c = strtoll(json_object_get_string(code), NULL, 10);
		if (c != 0) {
			ev->error_code = xasprintf("%lld", (long long)c);
			ev->error_message = jdup(st, "message");
		}
	}
	op = jget(obj, "operation");
	ev->operation_id = jdup(op, "id");
	ev->op_first = jbool(op, "first") == 1;
	ev->op_last = jbool(op, "last") == 1;
	ev->event_type = gcp_log_id(log_name);
	actor_resolve_gcp(jget(pp, "authenticationInfo"), ev->user_agent, &ev->actor);
	/* System events are Google's own doing. */
	if (ev->actor.via == VIA_UNKNOWN && ev->event_type != NULL &&
	    strcmp(ev->event_type, "system_event") == 0)
		ev->actor.via = VIA_SERVICE;
	return 0;
}

/* ---- names as Terraform's ids have them ---- */

/* The project of "NAME@PROJECT.iam.gserviceaccount.com" or "PROJECT@appspot...". */
static char *
sa_email_project(const char *email)
{
	return strchr(email, '@') != NULL ? gcp_sa_project(email) : NULL;
}

/*
 * A GCP resource name as the Terraform provider writes ids (the entry's own labels first, then
 * what the state says through `r`):
 *   projects/NUMBER/...  the project id: resource.labels.project_id when the entry's project
 *       is this one by id (a label that is itself a number says nothing), else
 *       r->project_id(NUMBER) (google_project.number in state).
 *   projects/-|P/serviceAccounts/UNIQUE_ID|EMAIL[/rest]  projects/P/serviceAccounts/EMAIL[/rest]:
 *       r->service_account(key) (google_service_account's id, by unique_id or email), else for
 *       an email its project, else for a unique id the entry's resource.labels.email_id.
 * Returns a new string, or NULL when the name needs nothing (or nothing is known).
 */
char *
gcp_name_normalize(const struct event *ev, const char *name, const struct gcp_names *r)
{
	json_object *labels = jget(jget(ev != NULL ? ev->raw : NULL, "resource"), "labels");
	const char *label_pid = jstr(labels, "project_id"), *p, *seg, *end, *rest;
	char *pid = NULL, *out = NULL, *sa = NULL, *key;
	struct strbuf sb;

	if (name == NULL || !has_prefix(name, "projects/"))
		return NULL;
	seg = name + strlen("projects/");
	end = strchr(seg, '/');
	if (end == NULL)
		end = seg + strlen(seg);
	if (tf_all_digits(seg, (size_t)(end - seg))) {
		char *num = xstrndup(seg, (size_t)(end - seg));

		if (label_pid != NULL && *label_pid != '\0' && !tf_all_digits(label_pid, strlen(label_pid)))
			pid = xstrdup(label_pid);
		else if (r != NULL && r->project_id != NULL)
			pid = r->project_id(r->ctx, num);
		free(num);
	}
	/* The service account part. */
	p = end;
	if (has_prefix(p, "/serviceAccounts/")) {
		const char *k = p + strlen("/serviceAccounts/"), *kend = strchr(k, '/');

		if (kend == NULL)
			kend = k + strlen(k);
		rest = kend;
		key = xstrndup(k, (size_t)(kend - k));
		if (*key != '\0' && r != NULL && r->service_account != NULL)
			sa = r->service_account(r->ctx, key);
		if (sa == NULL && *key != '\0') {
			const char *email = strchr(key, '@') != NULL ? key : NULL;
			char *proj;

			if (email == NULL && tf_all_digits(key, strlen(key)) &&
			    jstr(labels, "unique_id") != NULL &&
			    strcmp(jstr(labels, "unique_id"), key) == 0)
				email = jstr(labels, "email_id");
			if (email != NULL && *email != '\0' && (proj = sa_email_project(email)) != NULL) {
				sa = xasprintf("projects/%s/serviceAccounts/%s", proj, email);
				free(proj);
			}
		}
		free(key);
		if (sa != NULL) {
			out = xasprintf("%s%s", sa, rest);
			free(sa);
			free(pid);
			return out;
		}
	}
	if (pid == NULL)
		return NULL;
	sb_init(&sb);
	sb_adds(&sb, "projects/");
	sb_adds(&sb, pid);
	sb_adds(&sb, end);
	free(pid);
	return sb_detach(&sb);
}

/*
 * An IAM principal as the provider keeps it in ids and `member` (NormalizeIamPrincipalCasing):
 * the email after "user:", "group:", "serviceAccount:", "domain:" (and after "deleted:TYPE:")
 * lower-cased; principal:// and principalSet:// identifiers, and anything else, as given.
 */
char *
gcp_iam_member_normalize(const char *m)
{
	static const char *const lower[] = { "user:", "group:", "serviceAccount:", "domain:" };
	const char *p = m;
	char *s, *q;
	size_t i;

	if (m == NULL)
		return NULL;
	s = xstrdup(m);
	if (has_prefix(p, "deleted:"))
		p += strlen("deleted:");
	for (i = 0; i < TF_ARRLEN(lower); i++)
		if (has_prefix(p, lower[i]))
			break;
	if (i == TF_ARRLEN(lower))
		return s;
	for (q = s + (size_t)(p - m) + strlen(lower[i]); *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return s;
}
