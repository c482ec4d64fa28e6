/* event: one normalized audit event for AWS CloudTrail and GCP Cloud Audit Logs, actor and
 * "via" resolution, what one JSON value is (event_sniff_record), and the raw read-only test the
 * readers use as a fast path. The readers themselves are event_reader.c.
 *
 * Nothing here keeps global mutable state. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_int.h"
#include "text.h"
#include "util.h"

#define AUDITLOG_TYPE "type.googleapis.com/google.cloud.audit.AuditLog"
#define FAST_MAX_DEPTH 192         /* the raw scanner gives up (undecided) below json-c's limit */

const char *
tf_provider_name(enum tf_provider p)
{
	switch (p) {
	case PROV_AWS: return "aws";
	case PROV_GCP: return "gcp";
	default: return "unknown";
	}
}

const char *
tf_via_name(enum tf_via v)
{
	switch (v) {
	case VIA_CONSOLE: return "console";
	case VIA_CLI: return "cli";
	case VIA_SDK: return "sdk";
	case VIA_TERRAFORM: return "terraform";
	case VIA_SERVICE: return "service";
	default: return "unknown";
	}
}

const char *
ev_format_name(enum ev_format f)
{
	switch (f) {
	case EVF_CT_RECORDS: return "cloudtrail-records";
	case EVF_LOOKUP: return "lookup-events";
	case EVF_GCP_ENTRIES: return "gcp-entries";
	case EVF_JSON_ARRAY: return "json-array";
	case EVF_JSON_LINES: return "json-lines";
	case EVF_SINGLE: return "single";
	default: return "unknown";
	}
}

/* ---- small json-c helpers ---- */

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* A string member, or NULL when absent or not a string. */
static const char *
jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* A non-empty string member, copied, or NULL. */
static char *
jdup(json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

/* 1 / 0 for a boolean or a "true"/"false" string member; -1 otherwise. */
static int
jbool(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	const char *s;

	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? 1 : 0;
	if (json_object_is_type(v, json_type_string)) {
		s = json_object_get_string(v);
		if (strcasecmp(s, "true") == 0)
			return 1;
		if (strcasecmp(s, "false") == 0)
			return 0;
	}
	return -1;
}

static void
set_why(const char **why, const char *s)
{
	if (why != NULL)
		*why = s;
}

static int
has_prefix(const char *s, const char *p)
{
	return s != NULL && strncmp(s, p, strlen(p)) == 0;
}

static int
has_suffix(const char *s, const char *p)
{
	return s != NULL && tf_str_has_suffix(s, p);
}

void
actor_copy(struct actor *dst, const struct actor *src)
{
	dst->principal = xstrdup(src->principal);
	dst->name = xstrdup(src->name);
	dst->type = xstrdup(src->type);
	dst->role = xstrdup(src->role);
	dst->session = xstrdup(src->session);
	dst->account = xstrdup(src->account);
	dst->invoked_by = xstrdup(src->invoked_by);
	dst->delegation = xstrdup(src->delegation);
	dst->via = src->via;
}

static json_object *
jstr_or_null(const char *s)
{
	return s != NULL ? json_object_new_string(s) : NULL;
}

json_object *
actor_to_json(const struct actor *a)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "principal", jstr_or_null(a->principal));
	json_object_object_add(o, "name", jstr_or_null(a->name));
	json_object_object_add(o, "type", jstr_or_null(a->type));
	json_object_object_add(o, "account", jstr_or_null(a->account));
	json_object_object_add(o, "role", jstr_or_null(a->role));
	json_object_object_add(o, "session", jstr_or_null(a->session));
	json_object_object_add(o, "via", json_object_new_string(tf_via_name(a->via)));
	if (a->invoked_by != NULL)
		json_object_object_add(o, "invoked_by", json_object_new_string(a->invoked_by));
	if (a->delegation != NULL)
		json_object_object_add(o, "delegation", json_object_new_string(a->delegation));
	return o;
}

void
actor_clear(struct actor *a)
{
	free(a->principal);
	free(a->name);
	free(a->type);
	free(a->role);
	free(a->session);
	free(a->account);
	free(a->invoked_by);
	free(a->delegation);
	memset(a, 0, sizeof *a);
}

void
event_free(struct event *ev)
{
	if (ev == NULL)
		return;
	free(ev->id);
	free(ev->source);
	free(ev->name);
	free(ev->region);
	free(ev->account);
	actor_clear(&ev->actor);
	free(ev->source_ip);
	free(ev->user_agent);
	free(ev->error_code);
	free(ev->error_message);
	free(ev->resource_name);
	free(ev->operation_id);
	free(ev->event_type);
	json_object_put(ev->raw);
	free(ev->origin);
	memset(ev, 0, sizeof *ev);
}

/* Everything but the JSON. */
static void
copy_fields(struct event *dst, const struct event *src)
{
	memset(dst, 0, sizeof *dst);
	dst->provider = src->provider;
	dst->id = xstrdup(src->id);
	dst->time_ms = src->time_ms;
	dst->source = xstrdup(src->source);
	dst->name = xstrdup(src->name);
	dst->region = xstrdup(src->region);
	dst->account = xstrdup(src->account);
	actor_copy(&dst->actor, &src->actor);
	dst->source_ip = xstrdup(src->source_ip);
	dst->user_agent = xstrdup(src->user_agent);
	dst->read_only = src->read_only;
	dst->error_code = xstrdup(src->error_code);
	dst->error_message = xstrdup(src->error_message);
	dst->resource_name = xstrdup(src->resource_name);
	dst->operation_id = xstrdup(src->operation_id);
	dst->op_first = src->op_first;
	dst->op_last = src->op_last;
	dst->event_type = xstrdup(src->event_type);
	dst->origin = xstrdup(src->origin);
	dst->repaired = src->repaired;
}

void
event_clone(struct event *dst, const struct event *src)
{
	copy_fields(dst, src);
	dst->raw = json_object_get(src->raw);
	dst->record = src->record;   /* inside raw, which we now hold */
}

void
event_clone_deep(struct event *dst, const struct event *src)
{
	copy_fields(dst, src);
	if (src->raw == NULL)
		return;
	if (json_object_deep_copy(src->raw, &dst->raw, NULL) != 0)
		tf_fatal("out of memory copying an event");
	if (src->record == src->raw) {
		dst->record = dst->raw;
		return;
	}
	/* The record is a member of raw (a LogEntry's protoPayload): the same member of the copy. */
	json_object_object_foreach(src->raw, key, val) {
		if (val == src->record) {
			json_object_object_get_ex(dst->raw, key, &dst->record);
			break;
		}
	}
}

/* ---- via: how a change was made ---- */

/* The user agent without S3's [brackets] and Google's ",gzip(gfe)" transport suffixes. */
static char *
ua_normalize(const char *ua)
{
	size_t len;
	char *s;

	while (isspace((unsigned char)*ua))
		ua++;
	if (*ua == '[')
		ua++;
	s = xstrdup(ua);
	len = strlen(s);
	for (;;) {
		while (len > 0 && (isspace((unsigned char)s[len - 1]) || s[len - 1] == ']' ||
		    s[len - 1] == ','))
			len--;
		s[len] = '\0';
		if (tf_str_has_suffix(s, "gzip(gfe)"))
			len -= strlen("gzip(gfe)");
		else if (tf_str_has_suffix(s, "(gzip)"))
			len -= strlen("(gzip)");
		else
			break;
	}
	return s;
}

static int
ua_is_terraform(const char *ua)
{
	return strstr(ua, "Terraform/") != NULL || strstr(ua, "terraform-provider-") != NULL ||
	    strstr(ua, "OpenTofu") != NULL;
}

/* AWS console front ends: console.amazonaws.com, console.ec2.amazonaws.com, signin.amazonaws.com,
 * "S3Console/0.4, aws-internal/3 ...", "RDS Console, aws-internal/3", "EC2ConsoleFrontend, ...",
 * and browsers calling AWS APIs directly from the console. */
static int
ua_is_aws_console(const char *ua)
{
	if (has_prefix(ua, "console.") && has_suffix(ua, ".amazonaws.com"))
		return 1;
	if (strcmp(ua, "signin.amazonaws.com") == 0 || has_prefix(ua, "Mozilla"))
		return 1;
	return strstr(ua, "Console") != NULL && strstr(ua, "aws-cli") == NULL;
}

/*
 * Classify a user agent alone (records add more signals in actor_resolve_*):
 *   terraform  "Terraform/", "terraform-provider-", "OpenTofu"
 *   console    AWS console front ends (see ua_is_aws_console); GCP "Mozilla/..." browsers
 *   cli        "aws-cli/"; "google-cloud-sdk", "gcloud/", "command/gcloud.", "gsutil/"
 *   service    AWS: "AWS Internal", "aws-internal/3 ...", "<svc>.amazonaws.com"
 *   sdk        any other agent (aws-sdk-*, Boto3, botocore, google-api-*, Go-http-client ...)
 *   unknown    none, empty, or "(none supplied)"
 */
enum tf_via
via_from_user_agent(enum tf_provider p, const char *ua)
{
	enum tf_via v;
	char *s;

	if (ua == NULL)
		return VIA_UNKNOWN;
	s = ua_normalize(ua);
	if (*s == '\0' || strcmp(s, "(none supplied)") == 0)
		v = VIA_UNKNOWN;
	else if (ua_is_terraform(s))
		v = VIA_TERRAFORM;
	else if (p == PROV_GCP) {
		if (has_prefix(s, "Mozilla/"))
			v = VIA_CONSOLE;
		else if (strstr(s, "google-cloud-sdk") != NULL || strstr(s, "gcloud/") != NULL ||
		    strstr(s, "command/gcloud.") != NULL || strstr(s, "gsutil/") != NULL)
			v = VIA_CLI;
		else
			v = VIA_SDK;
	} else {
		if (ua_is_aws_console(s))
			v = VIA_CONSOLE;
		else if (has_prefix(s, "aws-cli/"))
			v = VIA_CLI;
		else if (strcmp(s, "AWS Internal") == 0 || strstr(s, "aws-internal/") != NULL ||
		    has_suffix(s, ".amazonaws.com"))
			v = VIA_SERVICE;
		else
			v = VIA_SDK;
	}
	free(s);
	return v;
}

/* ---- AWS actor ---- */

/* Role and session from arn:aws:sts::ACCT:assumed-role/ROLE/SESSION. */
static void
split_assumed_role(const char *arn, char **role, char **session)
{
	const char *p, *slash;

	*role = *session = NULL;
	if (arn == NULL || (p = strstr(arn, ":assumed-role/")) == NULL)
		return;
	p += strlen(":assumed-role/");
	if ((slash = strchr(p, '/')) == NULL) {
		*role = *p ? xstrdup(p) : NULL;
		return;
	}
	*role = slash > p ? xstrndup(p, (size_t)(slash - p)) : NULL;
	*session = slash[1] ? xstrdup(slash + 1) : NULL;
}

/* The permission set in an Identity Center role name AWSReservedSSO_<PermissionSet>_<hash>. */
static char *
sso_permission_set(const char *role)
{
	const char *p, *end;

	if (!has_prefix(role, "AWSReservedSSO_"))
		return NULL;
	p = role + strlen("AWSReservedSSO_");
	end = strrchr(p, '_');
	if (end == NULL || end == p)
		return NULL;
	return xstrndup(p, (size_t)(end - p));
}

/* The text after the last '/' of an ARN (federated-user/NAME, user/path/NAME). */
static char *
arn_tail(const char *arn)
{
	const char *p;

	if (arn == NULL || (p = strrchr(arn, '/')) == NULL || p[1] == '\0')
		return NULL;
	return xstrdup(p + 1);
}

static int
console_session(json_object *record)
{
	const char *et = jstr(record, "eventType");

	if (jbool(record, "sessionCredentialFromConsole") == 1)
		return 1;
	return et != NULL && (strcmp(et, "AwsConsoleAction") == 0 ||
	    strcmp(et, "AwsConsoleSignIn") == 0);
}

/*
 * via for an AWS record, strongest signal first: a Terraform user agent; an AWSService
 * identity; invokedBy another service (except "AWS Internal", which the console also uses);
 * a console session (sessionCredentialFromConsole, console event types, console agents);
 * other service signs (invokedBy, a sourceIPAddress like "ec2.amazonaws.com", service agents);
 * then the user agent's own class.
 */
static enum tf_via
aws_via(const struct actor *a, json_object *record)
{
	const char *ua = jstr(record, "userAgent");
	const char *ip = jstr(record, "sourceIPAddress");
	enum tf_via uv;

	if (ua == NULL)
		ua = jstr(jget(record, "http"), "useragent");
	uv = via_from_user_agent(PROV_AWS, ua);
	if (uv == VIA_TERRAFORM)
		return uv;
	if (a->type != NULL && strcmp(a->type, "AWSService") == 0)
		return VIA_SERVICE;
	/* signin.amazonaws.com invokes the IAM console's calls for a signed-in person. */
	if (a->invoked_by != NULL && strcmp(a->invoked_by, "signin.amazonaws.com") == 0)
		return VIA_CONSOLE;
	if (a->invoked_by != NULL && strcmp(a->invoked_by, "AWS Internal") != 0)
		return VIA_SERVICE;
	if (console_session(record) || uv == VIA_CONSOLE)
		return VIA_CONSOLE;
	if (a->invoked_by != NULL || has_suffix(ip, ".amazonaws.com"))
		return VIA_SERVICE;
	return uv;
}

/*
 * Who made an AWS call, from userIdentity (and the record, for via). `a` is overwritten.
 *   IAMUser         name = userName, principal = arn
 *   AssumedRole     name = session name (the person: bob@corp.example), role, session;
 *                   Identity Center roles AWSReservedSSO_<PermissionSet>_<hash> keep the
 *                   permission set as role
 *   IdentityCenterUser  name = userName or onBehalfOf.userId
 *   Root            name = "root"
 *   FederatedUser   name = NAME from arn .../federated-user/NAME
 *   SAMLUser, WebIdentityUser  name = userName
 *   AWSService      name = principal = invokedBy (also when type is missing but invokedBy is set)
 *   AWSAccount      name = accountId, principal = principalId or accountId
 */
void
actor_resolve_aws(json_object *ui, json_object *record, struct actor *a)
{
	const char *type, *arn, *user, *pid;
	json_object *issuer;

	memset(a, 0, sizeof *a);
	type = jstr(ui, "type");
	arn = jstr(ui, "arn");
	user = jstr(ui, "userName");
	pid = jstr(ui, "principalId");
	issuer = jget(jget(ui, "sessionContext"), "sessionIssuer");
	a->account = jdup(ui, "accountId");
	a->invoked_by = jdup(ui, "invokedBy");
	if (type == NULL && a->invoked_by != NULL)
		type = "AWSService";
	a->type = type != NULL && *type != '\0' ? xstrdup(type) : NULL;
	a->principal = arn != NULL && *arn != '\0' ? xstrdup(arn) : NULL;

	if (type == NULL) {
		a->name = user != NULL ? xstrdup(user) : arn_tail(arn);
	} else if (strcmp(type, "IAMUser") == 0) {
		a->name = user != NULL ? xstrdup(user) : arn_tail(arn);
	} else if (strcmp(type, "AssumedRole") == 0 || strcmp(type, "Role") == 0) {
		char *role, *session, *ps;

		split_assumed_role(arn, &role, &session);
		if (jstr(issuer, "userName") != NULL) {
			free(role);
			role = jdup(issuer, "userName");
		}
		if (session == NULL && pid != NULL && strchr(pid, ':') != NULL &&
		    strchr(pid, ':')[1] != '\0')
			session = xstrdup(strchr(pid, ':') + 1);
		if ((ps = sso_permission_set(role)) != NULL) {
			free(role);
			role = ps;
		}
		a->role = role;
		a->session = session;
		a->name = xstrdup(session != NULL ? session : role);
	} else if (strcmp(type, "IdentityCenterUser") == 0) {
		json_object *obo = jget(ui, "onBehalfOf");

		a->name = user != NULL ? xstrdup(user) : jdup(obo, "userId");
		if (a->principal == NULL)
			a->principal = jdup(obo, "userId");
	} else if (strcmp(type, "Root") == 0) {
		a->name = xstrdup("root");
		if (a->principal == NULL && a->account != NULL)
			a->principal = xasprintf("arn:aws:iam::%s:root", a->account);
	} else if (strcmp(type, "FederatedUser") == 0) {
		a->name = arn_tail(arn);
		if (a->name == NULL && pid != NULL && strchr(pid, ':') != NULL)
			a->name = xstrdup(strchr(pid, ':') + 1);
	} else if (strcmp(type, "AWSService") == 0) {
		a->name = xstrdup(a->invoked_by);
		if (a->principal == NULL)
			a->principal = xstrdup(a->invoked_by);
	} else if (strcmp(type, "AWSAccount") == 0) {
		a->name = xstrdup(a->account);
		if (a->principal == NULL)
			a->principal = xstrdup(pid != NULL ? pid : a->account);
	} else {
		/* SAMLUser, WebIdentityUser, Directory, Unknown ... */
		a->name = user != NULL ? xstrdup(user) : arn_tail(arn);
	}
	if (a->principal == NULL && pid != NULL && *pid != '\0')
		a->principal = xstrdup(pid);
	if (a->principal == NULL && a->name != NULL)
		a->principal = xstrdup(a->name);
	if (a->name == NULL && a->principal != NULL)
		a->name = xstrdup(a->principal);
	a->via = aws_via(a, record);
}

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

/* ---- CloudTrail ---- */

/*
 * readOnly when a record does not say: API names that only read. The word after the prefix
 * must start a new CamelCase word (GetObject yes, Getaway no). Covers Get/Describe/List/Head/
 * Lookup/BatchGet/BatchDescribe/Search/Select/Check/Scan/Query/Test/Estimate/Validate/Preview/
 * Simulate/View/Verify/Download/Discover/Detect and KMS's Decrypt/Encrypt/ReEncrypt/
 * GenerateDataKey/GenerateRandom/GenerateMac (all marked readOnly by CloudTrail); anything
 * else counts as a write (0).
 */
static int
infer_read_only(const char *name)
{
	static const char *const pre[] = {
		"Get", "Describe", "List", "Head", "Lookup", "BatchGet", "BatchDescribe", "Search",
		"Select", "Check", "Scan", "Query", "Test", "Estimate", "Validate", "Preview",
		"Simulate", "View", "Verify", "Download", "Discover", "Detect", "Decrypt", "Encrypt",
		"ReEncrypt", "GenerateDataKey", "GenerateRandom", "GenerateMac",
	};
	size_t i, n;

	if (name == NULL)
		return -1;
	for (i = 0; i < TF_ARRLEN(pre); i++) {
		n = strlen(pre[i]);
		if (strncmp(name, pre[i], n) == 0 && !islower((unsigned char)name[n]))
			return 1;
	}
	return 0;
}

/*
 * Text is made valid here, when a record becomes an event, rather than at each output:
 * every consumer (the detector and its findings, rules, the store, notifications, the
 * dashboard, export) then sees valid UTF-8 without a NUL, and a new output cannot forget
 * it. Both cloud's records enter through the two functions below, whatever read them (files,
 * LookupEvents, SQS, Cloud Logging, Falco). The raw record is repaired too: it is kept as
 * JSON text (the dashboard's raw view and Y copy it, re-serialized by json-c, never byte for
 * byte), and JSON text cannot carry bytes that are not UTF-8 (RFC 8259, section 8.1). What
 * was repaired is counted in ev->repaired, and the readers report it, so the U+FFFD in a
 * value is never a mystery. The outputs still check their text (text_json_safe and
 * friends), for strings that never were an event's: states, the command line, old stores.
 */
static unsigned
repair_text(json_object *obj)
{
	size_t n = text_json_fix(obj);

	return n > UINT_MAX ? UINT_MAX : (unsigned)n;
}

int
event_from_cloudtrail(json_object *obj, struct event *ev, const char **why)
{
	const char *name, *src, *t;
	json_object *ui;
	int64_t ms;

	memset(ev, 0, sizeof *ev);
	if (!json_object_is_type(obj, json_type_object)) {
		set_why(why, "not a JSON object");
		return -1;
	}
	ev->repaired = repair_text(obj);
	name = jstr(obj, "eventName");
	src = jstr(obj, "eventSource");
	if (name == NULL || *name == '\0') {
		set_why(why, "not a CloudTrail record: no eventName");
		return -1;
	}
	if (src == NULL || *src == '\0') {
		set_why(why, "not a CloudTrail record: no eventSource");
		return -1;
	}
	ev->provider = PROV_AWS;
	ev->raw = json_object_get(obj);
	ev->record = obj;
	ev->id = jdup(obj, "eventID");
	if ((t = jstr(obj, "eventTime")) != NULL && tf_parse_time(t, &ms) == 0)
		ev->time_ms = ms;
	ev->source = xstrdup(src);
	ev->name = xstrdup(name);
	ev->region = jdup(obj, "awsRegion");
	ui = jget(obj, "userIdentity");
	ev->account = jdup(obj, "recipientAccountId");
	if (ev->account == NULL)
		ev->account = jdup(ui, "accountId");
	ev->source_ip = jdup(obj, "sourceIPAddress");
	ev->user_agent = jdup(obj, "userAgent");
	/* Records re-shaped by Datadog's forwarder keep these under http / network. */
	if (ev->source_ip == NULL)
		ev->source_ip = jdup(jget(jget(obj, "network"), "client"), "ip");
	if (ev->user_agent == NULL)
		ev->user_agent = jdup(jget(obj, "http"), "useragent");
	ev->read_only = jbool(obj, "readOnly");
	if (ev->read_only < 0)
		ev->read_only = infer_read_only(name);
	ev->error_code = jdup(obj, "errorCode");
	ev->error_message = jdup(obj, "errorMessage");
	ev->event_type = jdup(obj, "eventType");
	actor_resolve_aws(ui, obj, &ev->actor);
	return 0;
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

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
		if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			sb_addc(&sb, (char)(hexval(p[1]) * 16 + hexval(p[2])));
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

/* ---- sniffing one value ---- */

static int
is_array_member(json_object *o, const char *key)
{
	return json_object_is_type(jget(o, key), json_type_array);
}

/* A container of records rather than a record: {"Records":[...]}, {"Events":[...]},
 * {"entries":[...]}. Returns the array or NULL. */
static json_object *
container_array(json_object *o, enum ev_format *fmt)
{
	if (jget(o, "eventName") != NULL || jget(o, "protoPayload") != NULL)
		return NULL;
	if (is_array_member(o, "Records")) {
		*fmt = EVF_CT_RECORDS;
		return jget(o, "Records");
	}
	if (is_array_member(o, "Events")) {
		*fmt = EVF_LOOKUP;
		return jget(o, "Events");
	}
	if (is_array_member(o, "entries")) {
		*fmt = EVF_GCP_ENTRIES;
		return jget(o, "entries");
	}
	return NULL;
}

/* A LookupEvents event: the record is the JSON string CloudTrailEvent; ReadOnly is a string. */
static int
from_lookup(json_object *obj, struct event *ev, const char **why)
{
	json_object *cte = jget(obj, "CloudTrailEvent"), *inner;
	const char *s;
	int rc, ro;

	if (json_object_is_type(cte, json_type_object))
		inner = json_object_get(cte);
	else if (json_object_is_type(cte, json_type_string)) {
		json_tokener *tok = json_tokener_new_ex(TOK_DEPTH);
		size_t len = (size_t)json_object_get_string_len(cte);

		s = json_object_get_string(cte);
		inner = len < INT_MAX ? json_tokener_parse_ex(tok, s, (int)len + 1) : NULL;
		if (inner != NULL && json_tokener_get_parse_end(tok) < len) {
			size_t i;

			for (i = json_tokener_get_parse_end(tok); i < len; i++)
				if (!isspace((unsigned char)s[i]))
					break;
			if (i < len) {
				json_object_put(inner);
				inner = NULL;
			}
		}
		json_tokener_free(tok);
		if (inner == NULL) {
			set_why(why, "CloudTrailEvent is not valid JSON");
			return REC_MALFORMED;
		}
	} else {
		set_why(why, "CloudTrailEvent is not a JSON string");
		return REC_MALFORMED;
	}
	rc = event_from_cloudtrail(inner, ev, why);
	if (rc == 0) {
		if (jbool(inner, "readOnly") < 0 && (ro = jbool(obj, "ReadOnly")) >= 0)
			ev->read_only = ro;
		if (ev->id == NULL)
			ev->id = jdup(obj, "EventId");
	}
	json_object_put(inner);
	return rc == 0 ? REC_OK : REC_SKIP;
}

static int
is_cloudtrail_detail_type(const char *dt)
{
	return strcmp(dt, "AWS API Call via CloudTrail") == 0 ||
	    strcmp(dt, "AWS Console Action via CloudTrail") == 0 ||
	    strcmp(dt, "AWS Service Event via CloudTrail") == 0;
}

int
event_sniff_record(json_object *obj, struct event *ev, const char **why)
{
	const char *dt;
	enum ev_format f;

	memset(ev, 0, sizeof *ev);
	if (!json_object_is_type(obj, json_type_object)) {
		set_why(why, "record is not a JSON object");
		return REC_MALFORMED;
	}
	if ((dt = jstr(obj, "detail-type")) != NULL && jget(obj, "detail") != NULL) {
		if (!is_cloudtrail_detail_type(dt)) {
			set_why(why, "EventBridge event is not a CloudTrail API call, console action or service event");
			return REC_SKIP;
		}
		if (!json_object_is_type(jget(obj, "detail"), json_type_object)) {
			set_why(why, "EventBridge detail is not a JSON object");
			return REC_MALFORMED;
		}
		return event_from_cloudtrail(jget(obj, "detail"), ev, why) == 0 ? REC_OK : REC_SKIP;
	}
	if (jget(obj, "CloudTrailEvent") != NULL)
		return from_lookup(obj, ev, why);
	if (jget(obj, "protoPayload") != NULL || jget(obj, "logName") != NULL ||
	    (jget(obj, "insertId") != NULL && (jget(obj, "textPayload") != NULL ||
	    jget(obj, "jsonPayload") != NULL || jget(obj, "resource") != NULL)))
		return event_from_logentry(obj, ev, why) == 0 ? REC_OK : REC_SKIP;
	if (jget(obj, "eventName") != NULL || jget(obj, "eventSource") != NULL ||
	    jget(obj, "eventVersion") != NULL || jget(obj, "userIdentity") != NULL)
		return event_from_cloudtrail(obj, ev, why) == 0 ? REC_OK : REC_SKIP;
	if (container_array(obj, &f) != NULL) {
		set_why(why, "a container of records, not a record (read it with ev_reader)");
		return REC_SKIP;
	}
	set_why(why, "neither a CloudTrail record nor a Cloud Logging entry");
	return REC_SKIP;
}

int
event_from_json(json_object *obj, struct event *ev, const char **why)
{
	return event_sniff_record(obj, ev, why) == REC_OK ? 0 : -1;
}

/* ---- fast read-only test on raw JSON lines ---- */

enum { ST_VALUE, ST_VALUE_OR_END, ST_KEY, ST_KEY_OR_END, ST_COLON, ST_AFTER, ST_END };
enum { K_OTHER, K_READONLY, K_NAME, K_SOURCE, K_VETO };

/* Index just past a JSON string starting at s[i] == '"', or 0 when it is not valid strict
 * JSON (bad escape, control character, unterminated). *esc is set when it has escapes. */
static size_t
scan_string(const char *s, size_t n, size_t i, int *esc)
{
	*esc = 0;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"')
			return i + 1;
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			*esc = 1;
			if (++i >= n)
				return 0;
			switch (s[i]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				break;
			case 'u':
				if (i + 4 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0 ||
				    hexval(s[i + 3]) < 0 || hexval(s[i + 4]) < 0)
					return 0;
				i += 4;
				break;
			default:
				return 0;
			}
		}
	}
	return 0;
}

/* Index just past a strict JSON number at s[i], or 0. */
static size_t
scan_number(const char *s, size_t n, size_t i)
{
	size_t d;

	if (i < n && s[i] == '-')
		i++;
	if (i >= n || !isdigit((unsigned char)s[i]))
		return 0;
	if (s[i] == '0')
		i++;
	else
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
	if (i < n && s[i] == '.') {
		for (d = ++i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		for (d = i; i < n && isdigit((unsigned char)s[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i;
}

static int
key_kind(const char *k, size_t n)
{
	static const struct { const char *k; int kind; } keys[] = {
		{ "readOnly", K_READONLY }, { "eventName", K_NAME }, { "eventSource", K_SOURCE },
		/* shapes that event_from_json would read differently */
		{ "detail-type", K_VETO }, { "CloudTrailEvent", K_VETO }, { "protoPayload", K_VETO },
		{ "logName", K_VETO }, { "insertId", K_VETO }, { "Records", K_VETO },
		{ "Events", K_VETO }, { "entries", K_VETO },
	};
	size_t i;

	for (i = 0; i < TF_ARRLEN(keys); i++)
		if (strlen(keys[i].k) == n && memcmp(keys[i].k, k, n) == 0)
			return keys[i].kind;
	return K_OTHER;
}

/* The read-only fast path of the readers (event_int.h says what it promises). */
int
event_raw_read_only(const char *s, size_t n)
{
	uint64_t stk[(FAST_MAX_DEPTH + 63) / 64];   /* 1 bit per level: 1 object, 0 array */
	size_t i = 0, j, vb;
	int depth = 0, st = ST_VALUE, esc, kind = K_OTHER;
	int ro_true = 0, ro_other = 0, have_name = 0, have_src = 0;

	for (;;) {
		while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
			i++;
		if (i >= n)
			break;
		switch (st) {
		case ST_VALUE_OR_END:
			if (s[i] == ']') {
				i++;
				depth--;
				st = depth == 0 ? ST_END : ST_AFTER;
				break;
			}
			st = ST_VALUE;
			/* FALLTHROUGH */
		case ST_VALUE:
			vb = i;
			if (s[i] == '{' || s[i] == '[') {
				if (depth == 0 && s[i] != '{')
					return 0;
				if (depth >= FAST_MAX_DEPTH)
					return 0;
				if (depth == 1 && kind != K_OTHER) {
					if (kind == K_READONLY)
						ro_other++;
					else if (kind != K_VETO)
						return 0;
				}
				if (s[i] == '{')
					stk[depth / 64] |= (uint64_t)1 << (depth % 64);
				else
					stk[depth / 64] &= ~((uint64_t)1 << (depth % 64));
				st = s[i] == '{' ? ST_KEY_OR_END : ST_VALUE_OR_END;
				depth++;
				i++;
				break;
			}
			if (depth == 0)
				return 0;
			if (s[i] == '"') {
				if ((j = scan_string(s, n, i, &esc)) == 0)
					return 0;
			} else if (n - i >= 4 && memcmp(s + i, "true", 4) == 0)
				j = i + 4;
			else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0)
				j = i + 5;
			else if (n - i >= 4 && memcmp(s + i, "null", 4) == 0)
				j = i + 4;
			else if ((j = scan_number(s, n, i)) == 0)
				return 0;
			if (depth == 1) {
				if (kind == K_READONLY) {
					if (j - vb == 4 && memcmp(s + vb, "true", 4) == 0)
						ro_true++;
					else
						ro_other++;
				} else if (kind == K_NAME || kind == K_SOURCE) {
					/* event_from_cloudtrail wants non-empty strings */
					if (s[vb] != '"' || j - vb <= 2)
						return 0;
					if (kind == K_NAME)
						have_name = 1;
					else
						have_src = 1;
				}
			}
			i = j;
			st = ST_AFTER;
			break;
		case ST_KEY_OR_END:
			if (s[i] == '}') {
				i++;
				depth--;
				st = depth == 0 ? ST_END : ST_AFTER;
				break;
			}
			/* FALLTHROUGH */
		case ST_KEY:
			if (s[i] != '"' || (j = scan_string(s, n, i, &esc)) == 0)
				return 0;
			if (depth == 1) {
				if (esc)
					return 0;
				kind = key_kind(s + i + 1, j - i - 2);
				if (kind == K_VETO)
					return 0;
			}
			i = j;
			st = ST_COLON;
			break;
		case ST_COLON:
			if (s[i] != ':')
				return 0;
			i++;
			st = ST_VALUE;
			break;
		case ST_AFTER: {
			int obj = (stk[(depth - 1) / 64] >> ((depth - 1) % 64)) & 1;

			if (s[i] == ',') {
				i++;
				st = obj ? ST_KEY : ST_VALUE;
			} else if ((s[i] == '}' && obj) || (s[i] == ']' && !obj)) {
				i++;
				depth--;
				st = depth == 0 ? ST_END : ST_AFTER;
			} else
				return 0;
			break;
		}
		case ST_END:
		default:
			return 0;
		}
	}
	return st == ST_END && ro_true > 0 && ro_other == 0 && have_name && have_src;
}
