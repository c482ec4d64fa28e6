/* event: one normalized audit event for AWS CloudTrail and GCP Cloud Audit Logs, actor and
 * "via" resolution, and the readers that sniff an input's format from its content and stream
 * records out of it one at a time (whole documents, JSON arrays, JSON lines, .gz, stdin).
 *
 * A reader is owned by one thread at a time; nothing here keeps global mutable state. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "event.h"
#include "input.h"
#include "util.h"

#define AUDITLOG_TYPE "type.googleapis.com/google.cloud.audit.AuditLog"
#define TOK_DEPTH 256              /* json-c nesting limit for records */
#define FAST_MAX_DEPTH 192         /* the raw scanner gives up (undecided) below json-c's limit */
#define READ_CHUNK (256 * 1024)

/* Internal result of turning one JSON value into an event. */
enum rec_rc { REC_OK = 0, REC_SKIP = -1, REC_MALFORMED = -2 };

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

/* event_from_json with the malformed / not-audit distinction the readers count. */
static int
sniff_record(json_object *obj, struct event *ev, const char **why)
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
	return sniff_record(obj, ev, why) == REC_OK ? 0 : -1;
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

/*
 * Decide from the raw bytes of one JSON line, without json-c, whether it is a CloudTrail
 * record whose TOP-LEVEL "readOnly" is true. The line is validated as strict JSON with a
 * depth-aware state machine that honours strings and escapes, so a nested "readOnly": true
 * (ECS mountPoints, for instance) never counts. Returns 1 only when certain: one JSON object,
 * top-level eventName and eventSource (non-empty strings), every top-level readOnly literally
 * true, no escaped top-level keys and none of the keys that make it another shape. Anything
 * else returns 0 and goes through the full parse.
 */
static int
raw_read_only(const char *s, size_t n)
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

/* ---- readers ----
 *
 * An input is streamed, never held whole: a scanner walks the top level byte by byte (the
 * container object or array, the commas between its elements) and collects one JSON value at
 * a time (a record: a JSON line, or one element of a Records / Events / entries array) into a
 * buffer that json-c parses. Memory is one record (at most TF_MAX_RECORD) whatever the size
 * of the file, and records come out as they are read.
 *
 * The first value decides the shape. If it spans lines, the input is one (pretty-printed)
 * document: anything after it, and any invalid JSON in it, is a fatal error naming line and
 * column (the records before it have been read). If it fits on its line and more follows, the
 * input is JSON lines: each line is a record or a container whose records are expanded, and a
 * bad line is counted, reported and skipped. A newline ends a JSON line even inside a value
 * (a JSON string cannot hold one).
 */

enum rd_mode {
	M_START,                    /* before the first value */
	M_FIRST,                    /* in the first value, all on one line so far */
	M_DOC,                      /* the first value spans lines: one document */
	M_LINES,                    /* JSON lines */
};
enum rd_state { RS_TOP, RS_ELEMS, RS_MEMBERS, RS_PENDING, RS_END, RS_FAILED };
/* What is wrong, worded later for a document (fatal) or for a JSON line (skipped). */
enum rd_err { E_SYNTAX, E_TRUNC, E_NUL, E_AFTER, E_SEP };

struct rd_fail {
	enum rd_err kind;
	const char *what;           /* json-c's words or ours (static strings) */
	uint64_t line;
	size_t col;
	uint64_t prev_line;         /* the line of the last non-blank byte before it */
};

struct ev_reader {
	char *name;                 /* label for origins and messages */
	enum ev_format fmt;
	struct ev_counters cnt;
	uint64_t skipped_ro;
	int skip_ro;
	void (*warn)(void *, const char *);
	void *warn_ctx;
	json_tokener *tok;          /* one per reader, reset per record */

	/* input: a file (struct input decompresses gzip) or a memory copy */
	struct input *in;
	char *buf;
	size_t blen, bpos;
	int eof;
	char *ioerr;                /* why reading failed */
	uint64_t off;               /* offset of buf[0] in the (decompressed) input */
	uint64_t line;              /* line of buf[bpos] */
	uint64_t bol;               /* offset where that line starts */
	uint64_t nb_line, nb_end, nb_bol;   /* the last non-blank byte taken: its line, the
	                                       offset just past it, where its line starts */
	uint64_t fsize;             /* size of the file on disk (0: unknown, stdin) */

	enum rd_mode mode;
	enum rd_state st;
	char *failed;               /* RS_FAILED: the message, given again if asked again */

	/* the value being collected, and where it starts */
	struct strbuf rec;
	uint64_t rec_line;
	size_t rec_col;

	/* the container being walked */
	int cont_obj;               /* its array is a member of an object (else a top-level array) */
	int elem_first;             /* no element read yet */
	size_t idx;                 /* index of the next element */
	char *label;                /* origins: "name" for the first value, else "name:LINE" */
	uint64_t vline;             /* the line the current top-level value starts on */

	/* RS_PENDING: the first value, read while sniffing, handed out by the first next */
	json_object *pending;
	char *pending_origin;
	int pending_bad;            /* or: line 1 is a malformed JSON line (pending_fail) */
	struct rd_fail pending_fail;

	void (*before_read)(void *);        /* called before reading the input again */
	void *before_read_ctx;
};

static void
reader_warn(struct ev_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reader_warn(struct ev_reader *r, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (r->warn == NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	r->warn(r->warn_ctx, msg);
	free(msg);
}

/* ---- bytes and positions ---- */

/* Refill the read buffer: 1 data, 0 end of input, -1 error (r->ioerr). */
static int
fill(struct ev_reader *r)
{
	ssize_t n;

	if (r->in == NULL || r->eof)
		return 0;
	if (r->before_read != NULL)
		r->before_read(r->before_read_ctx);
	r->off += r->blen;
	r->blen = r->bpos = 0;
	n = input_read(r->in, r->buf, READ_CHUNK, &r->ioerr);
	if (n < 0)
		return -1;
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->blen = (size_t)n;
	r->buf[n] = '\0';
	return 1;
}

/* The next byte without taking it; -1 at the end of the input or on a read error. */
static inline int
peekc(struct ev_reader *r)
{
	if (r->bpos >= r->blen && fill(r) <= 0)
		return -1;
	return (unsigned char)r->buf[r->bpos];
}

/* Take the byte at bpos (peekc returned it). */
static inline void
takec(struct ev_reader *r)
{
	char c = r->buf[r->bpos++];

	if (c == '\n') {
		r->line++;
		r->bol = r->off + r->bpos;
		if (r->mode == M_FIRST)
			r->mode = M_DOC;        /* the first value spans lines: a document */
	} else if (c != ' ' && c != '\t' && c != '\r') {
		r->nb_line = r->line;
		r->nb_end = r->off + r->bpos;
		r->nb_bol = r->bol;
	}
}

static size_t
cur_col(const struct ev_reader *r)
{
	return (size_t)(r->off + r->bpos - r->bol + 1);
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

/* ---- messages ---- */

static int
set_failed(struct ev_reader *r, char **err, char *msg)
{
	free(r->failed);
	r->failed = msg;
	r->st = RS_FAILED;
	return tf_err(err, "%s", msg);
}

static int
read_failure(struct ev_reader *r, char **err)
{
	return set_failed(r, err, xasprintf("%s:%llu: %s", r->name, (unsigned long long)r->line,
	    r->ioerr != NULL ? r->ioerr : "read error"));
}

/* A record (or a line, or a run of blank space) past TF_MAX_RECORD: fatal in every mode,
 * since skipping it could mean reading without end. */
static int
too_large(struct ev_reader *r, const char *what, uint64_t line, size_t col, char **err)
{
	char lim[32];

	tf_size_str(TF_MAX_RECORD, lim);
	return set_failed(r, err, xasprintf("%s:%llu:%zu: %s larger than %s, the limit for one "
	    "audit record (a JSON line, or one element of Records, Events or entries); is it an "
	    "audit log? (give one record per line, or a {\"Records\":[...]} document)", r->name,
	    (unsigned long long)line, col, what, lim));
}

/* The words of a failure in a document, which ends the reading. */
static int
doc_failure(struct ev_reader *r, const struct rd_fail *f, char **err)
{
	unsigned long long line = f->line;

	switch (f->kind) {
	case E_NUL:
		return set_failed(r, err, xasprintf("%s:%llu:%zu: invalid JSON: a NUL byte (binary "
		    "data, or a compressed file that is not gzip?)", r->name, line, f->col));
	case E_TRUNC:
		/* Just past the last byte there is, not at trailing blank lines. */
		return set_failed(r, err, xasprintf("%s:%llu:%llu: unexpected end of input: the file "
		    "looks truncated (interrupted download or copy?); get a complete copy", r->name,
		    (unsigned long long)r->nb_line, (unsigned long long)(r->nb_end - r->nb_bol + 1)));
	case E_AFTER:
		return set_failed(r, err, xasprintf("%s:%llu:%zu: unexpected data after the JSON "
		    "document (several documents in one file?); give one JSON record per line (jq -c)",
		    r->name, line, f->col));
	case E_SEP:
		/* A value where a separator belongs: most likely a missing ',' at the end of the
		 * previous non-blank line. */
		if (f->prev_line != 0 && f->prev_line != f->line)
			return set_failed(r, err, xasprintf("%s:%llu:%zu: invalid JSON: %s (is a ',' "
			    "missing at the end of line %llu?); fix the file", r->name, line, f->col,
			    f->what, (unsigned long long)f->prev_line));
		/* FALLTHROUGH */
	case E_SYNTAX:
	default:
		return set_failed(r, err, xasprintf("%s:%llu:%zu: invalid JSON: %s; fix the file, or "
		    "give one JSON record per line (JSON lines)", r->name, line, f->col, f->what));
	}
}

/* The words of a failure on one JSON line, which is counted and skipped. */
static void
line_failure(struct ev_reader *r, const struct rd_fail *f)
{
	const char *what = f->what;

	if (f->kind == E_TRUNC)
		what = "unexpected end of line (truncated record?)";
	else if (f->kind == E_AFTER)
		what = "unexpected data after the JSON value (two records on one line?)";
	else if (f->kind == E_NUL)
		what = "a NUL byte (binary data?)";
	r->cnt.records++;
	r->cnt.malformed++;
	reader_warn(r, "%s:%llu:%zu: malformed JSON line: %s", r->name, (unsigned long long)f->line,
	    f->col, what);
}

static void
fail_here(struct ev_reader *r, struct rd_fail *f, enum rd_err kind, const char *what)
{
	f->kind = kind;
	f->what = what;
	f->line = r->line;
	f->col = cur_col(r);
	f->prev_line = r->nb_line;
}

/* ---- scanning ---- */

/* Skip blank space (in JSON lines, not past the end of the line): the next byte, -1 at the
 * end (or a read error: r->ioerr), -2 after too much of it (fatal, *err set). */
static int
skip_blank(struct ev_reader *r, int stop_at_newline, char **err)
{
	uint64_t start = r->off + r->bpos, sline = r->line;
	int c;

	while ((c = peekc(r)) >= 0 && is_blank(c)) {
		if (c == '\n' && stop_at_newline)
			return c;
		if (r->off + r->bpos - start >= TF_MAX_RECORD) {
			too_large(r, "blank space", sline, 1, err);
			return -2;
		}
		takec(r);
	}
	return c;
}

/* Take the rest of the line, with its newline: 0, 1 when it is longer than a record may be
 * (nothing more is read), -1 on a read error. */
static int
skip_line(struct ev_reader *r)
{
	size_t n = 0;
	int c;

	while ((c = peekc(r)) >= 0) {
		takec(r);
		if (c == '\n')
			return 0;
		if (++n > TF_MAX_RECORD)
			return 1;
	}
	return r->ioerr != NULL ? -1 : 0;
}

/* skip_line in JSON lines, where a line too long to skip is fatal: 0 or -1. */
static int
skip_bad_line(struct ev_reader *r, char **err)
{
	uint64_t line = r->line;

	switch (skip_line(r)) {
	case 0:
		return 0;
	case 1:
		return too_large(r, "a JSON line", line, 1, err);
	default:
		return read_failure(r, err);
	}
}

/* A key at depth 1 of a top-level object: 1 a container's array (*fmt), -1 a sign of a
 * record (eventName, protoPayload: container_array's test), 0 anything else. */
static int
container_key(const char *k, size_t n, enum ev_format *fmt)
{
	if (n == 7 && memcmp(k, "Records", 7) == 0)
		*fmt = EVF_CT_RECORDS;
	else if (n == 6 && memcmp(k, "Events", 6) == 0)
		*fmt = EVF_LOOKUP;
	else if (n == 7 && memcmp(k, "entries", 7) == 0)
		*fmt = EVF_GCP_ENTRIES;
	else if ((n == 9 && memcmp(k, "eventName", 9) == 0) ||
	    (n == 12 && memcmp(k, "protoPayload", 12) == 0))
		return -1;
	else
		return 0;
	return 1;
}

enum { C_ERR = -1, C_ENDED = 0, C_DONE = 1, C_CONTAINER = 2, C_BADLINE = 3 };

/* The last non-blank byte of b[from, to), all on the current line, is the last one taken:
 * where "the file looks truncated" points. */
static void
note_nonblank(struct ev_reader *r, const unsigned char *b, size_t from, size_t to)
{
	while (to > from && is_blank(b[to - 1]))
		to--;
	if (to > from) {
		r->nb_line = r->line;
		r->nb_end = r->off + to;
		r->nb_bol = r->bol;
	}
}

/* The first value reaches the end of its line unfinished: is what is collected so far a
 * valid start of JSON (then the value goes on: a document), or already wrong (then line 1 is
 * a malformed JSON line)? json-c judges, once per input. */
static int
first_line_ok(struct ev_reader *r)
{
	json_object *o;

	json_tokener_reset(r->tok);
	o = json_tokener_parse_ex(r->tok, r->rec.buf, (int)r->rec.len);
	if (o != NULL) {
		json_object_put(o);
		return 0;
	}
	return json_tokener_get_error(r->tok) == json_tokener_continue;
}

/*
 * Collect one JSON value into r->rec (appended), from its first byte: an object or array to
 * its matching bracket, a string to its closing quote, a number or literal up to a delimiter.
 * Only nesting and strings are followed; json-c judges the rest. With `watch` (a top-level
 * object), a Records / Events / entries key whose value is an array stops the collection with
 * C_CONTAINER just after its '[' (*cfmt set), unless a key saying it is a record came first.
 *
 * C_DONE the value ended; C_ENDED the input (or, in JSON lines, the line: its newline is
 * taken) ended first; C_BADLINE the first value is not valid JSON by the end of its line (the
 * newline is not taken); C_ERR a read error or a value past TF_MAX_RECORD (fatal, *err set).
 */
static int
collect_value(struct ev_reader *r, int watch, enum ev_format *cfmt, char **err)
{
	int depth = 0, str = 0, esc = 0, scalar = 0, rc;
	int want_key = 0, key = 0, colon = 0, marker = 0, k;
	size_t key_at = 0, seg, ls, i, n, lim;
	enum ev_format kf = EVF_UNKNOWN;
	const unsigned char *b;
	int c;

	for (;;) {
		if (r->bpos >= r->blen && fill(r) < 0) {
			read_failure(r, err);
			return C_ERR;
		}
		if (r->bpos >= r->blen)
			return scalar ? C_DONE : C_ENDED;
		/* The loop runs on locals; positions go back to r at every exit (sync). */
		b = (const unsigned char *)r->buf;
		seg = ls = i = r->bpos;
		n = r->blen;
		/* Stop one byte past what may still go into the record: that byte is too many. */
		lim = TF_MAX_RECORD - r->rec.len < n - seg ? seg + (TF_MAX_RECORD - r->rec.len) : n;
#define SYNC() do { \
		r->bpos = i; \
		sb_add(&r->rec, b + seg, i - seg); \
		note_nonblank(r, b, ls, i); \
		seg = ls = i; \
	} while (0)
		while (i < n) {
			if (i >= lim) {
				SYNC();
				too_large(r, "a record", r->rec_line, r->rec_col, err);
				return C_ERR;
			}
			c = b[i];
			if (str && !esc) {
				/* A run of plain string bytes (the buffer ends with a NUL; so may a
				 * NUL in the data: it is string content, taken one at a time). */
				size_t j = i + strcspn((const char *)b + i, "\"\\\n");

				if (j > lim)
					j = lim;
				if (j == i && c == '\0' && i < n)
					j = i + 1;
				if (j > i) {
					i = j;
					continue;
				}
			}
			if (c == '\n') {
				if (r->mode == M_LINES) {
					SYNC();
					takec(r);
					return scalar ? C_DONE : C_ENDED;
				}
				if (scalar) {
					SYNC();
					return C_DONE;
				}
				if (r->mode == M_FIRST) {
					SYNC();
					if (!first_line_ok(r))
						return C_BADLINE;
					r->mode = M_DOC;    /* it spans lines: a document */
				}
				note_nonblank(r, b, ls, i);     /* the line it ends */
				i++;
				r->line++;
				r->bol = r->off + i;
				ls = i;
				esc = 0;
				continue;
			}
			if (str) {
				i++;
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else {          /* the closing quote */
					str = 0;
					if (depth == 0) {
						SYNC();
						return C_DONE;
					}
					if (key) {
						SYNC();
						key = 0;
						k = container_key(r->rec.buf + key_at,
						    r->rec.len - 1 - key_at, &kf);
						if (k < 0)
							marker = 1;
						colon = k > 0 && !marker;
					}
				}
				continue;
			}
			if (c == ' ' || c == '\t' || c == '\r') {
				if (scalar) {
					SYNC();
					return C_DONE;
				}
				/* Indentation comes in runs. */
				while (++i < lim && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r'))
					;
				continue;
			}
			if (scalar && (c == ',' || c == ']' || c == '}' || c == '[' || c == '{' ||
			    c == '"' || c == ':')) {
				SYNC();
				return C_DONE;
			}
			i++;
			rc = -1;
			switch (c) {
			case '"':
				str = 1;
				if (want_key && depth == 1) {
					key = 1;
					key_at = r->rec.len + (i - seg);
				}
				want_key = 0;
				break;
			case '{':
			case '[':
				if (colon == 2 && c == '[') {
					*cfmt = kf;
					rc = C_CONTAINER;
					break;
				}
				colon = 0;
				if (++depth == 1 && c == '{')
					want_key = watch;
				break;
			case '}':
			case ']':
				colon = 0;
				if (--depth <= 0)
					rc = C_DONE;
				break;
			case ',':
				colon = 0;
				want_key = watch && depth == 1;
				break;
			case ':':
				if (depth == 1 && colon == 1)
					colon = 2;
				break;
			case '\0':
				/* Never JSON outside a string: end here, json-c says where. */
				rc = C_DONE;
				break;
			default:
				colon = 0;
				if (depth == 0)
					scalar = 1;
				break;
			}
			if (rc >= 0) {
				SYNC();
				return rc;
			}
		}
		SYNC();
#undef SYNC
	}
}

/* Line and column of offset `off` of the collected value. */
static void
rec_position(const struct ev_reader *r, size_t off, uint64_t *line, size_t *col)
{
	size_t i, bol = 0;
	uint64_t l = r->rec_line;

	for (i = 0; i < off && i < r->rec.len; i++)
		if (r->rec.buf[i] == '\n') {
			l++;
			bol = i + 1;
		}
	*line = l;
	*col = l == r->rec_line ? r->rec_col + off : off - bol + 1;
}

/* Parse the collected value with json-c: the value, or NULL with *f (input positions). */
static json_object *
parse_rec(struct ev_reader *r, struct rd_fail *f)
{
	const char *nul = memchr(r->rec.buf, '\0', r->rec.len);
	enum json_tokener_error e;
	json_object *o;
	size_t end, k;

	memset(f, 0, sizeof *f);
	json_tokener_reset(r->tok);
	/* The terminating NUL ends a trailing number cleanly; a record is far below INT_MAX. */
	o = json_tokener_parse_ex(r->tok, r->rec.buf, (int)r->rec.len + 1);
	end = json_tokener_get_parse_end(r->tok);
	if (nul != NULL) {
		/* Never valid JSON, and never what a log writer meant: say what it is. */
		json_object_put(o);
		f->kind = E_NUL;
		f->what = "a NUL byte";
		rec_position(r, (size_t)(nul - r->rec.buf), &f->line, &f->col);
		return NULL;
	}
	if (o == NULL) {
		e = json_tokener_get_error(r->tok);
		if (e == json_tokener_continue || e == json_tokener_error_parse_eof) {
			f->kind = E_TRUNC;
			f->what = "unexpected end of input";
		} else {
			f->kind = e == json_tokener_error_parse_array ||
			    e == json_tokener_error_parse_object_value_sep ? E_SEP : E_SYNTAX;
			f->what = json_tokener_error_desc(e);
		}
		if (end > r->rec.len)
			end = r->rec.len;
		rec_position(r, end, &f->line, &f->col);
		/* The last non-blank byte before it, for the missing-comma hint. */
		for (k = end; k > 0 && isspace((unsigned char)r->rec.buf[k - 1]); k--)
			;
		if (k > 0) {
			size_t pcol;

			rec_position(r, k - 1, &f->prev_line, &pcol);
		}
		return NULL;
	}
	if (end < r->rec.len && !blank(r->rec.buf + end, r->rec.len - end)) {
		json_object_put(o);
		f->kind = E_AFTER;
		f->what = "unexpected data after the JSON value";
		rec_position(r, end, &f->line, &f->col);
		return NULL;
	}
	return o;
}

/* Turn one value into an event, counting and reporting what it is not. 1 when *ev is set. */
static int
take_record(struct ev_reader *r, json_object *o, struct event *ev, const char *origin)
{
	const char *why = NULL;
	int rc;

	r->cnt.records++;
	rc = sniff_record(o, ev, &why);
	if (rc == REC_MALFORMED) {
		r->cnt.malformed++;
		reader_warn(r, "%s: malformed record: %s", origin, why);
		return 0;
	}
	if (rc == REC_SKIP) {
		r->cnt.skipped++;
		reader_warn(r, "%s: skipped: %s", origin, why);
		return 0;
	}
	if (r->skip_ro && ev->read_only == 1) {
		r->skipped_ro++;
		event_free(ev);
		return 0;
	}
	r->cnt.events++;
	ev->origin = xstrdup(origin);
	return 1;
}

/* Take o as a record (1 with *ev), or park it for the first next when sniffing. */
static int
hand_out(struct ev_reader *r, json_object *o, char *origin, int sniffing, struct event *ev)
{
	int got;

	if (sniffing) {
		r->pending = o;
		r->pending_origin = origin;
		r->st = RS_PENDING;
		return 0;
	}
	got = take_record(r, o, ev, origin);
	free(origin);
	/* The event keeps the only reference: it may be freed on another thread. */
	json_object_put(o);
	return got;
}

/* The collected value is read-only by the fast path: counted, not parsed. */
static int
fast_read_only(struct ev_reader *r)
{
	if (!r->skip_ro || !raw_read_only(r->rec.buf, r->rec.len))
		return 0;
	r->cnt.records++;
	r->skipped_ro++;
	return 1;
}

/* After the first line: anything more? 1 yes (JSON lines from now on), 0 no, -1 fatal. */
static int
more_after(struct ev_reader *r, char **err)
{
	int c;

	r->mode = M_LINES;          /* newlines from here are between values */
	c = skip_blank(r, 0, err);
	if (c == -2)
		return -1;
	if (c < 0 && r->ioerr != NULL)
		return read_failure(r, err);
	if (c < 0)
		return 0;
	r->fmt = EVF_JSON_LINES;
	r->st = RS_TOP;
	return 1;
}

/*
 * The first value failed on its own line (the rest of the line taken already, or `skip` asks
 * for it): with more lines the input is JSON lines and this one is malformed (reported now,
 * or by the first next when sniffing: the warn callback is not set yet); alone, it is a
 * broken document. 0 to go on, -1 fatal.
 */
static int
first_line_failed(struct ev_reader *r, const struct rd_fail *f, int skip, int sniffing,
    char **err)
{
	int more;

	if (skip && skip_line(r) != 0) {
		/* Too long (or unreadable) to skip: this is all there is to say. */
		r->mode = M_DOC;
		return doc_failure(r, f, err);
	}
	if ((more = more_after(r, err)) < 0)
		return -1;
	if (!more) {
		r->mode = M_DOC;
		return doc_failure(r, f, err);
	}
	if (sniffing) {
		r->pending_bad = 1;
		r->pending_fail = *f;
		r->st = RS_PENDING;
	} else
		line_failure(r, f);
	return 0;
}

/* A failure inside a container: fatal in a document, a malformed line in JSON lines
 * (line_ended: its newline is taken already). 0 to go on, -1 fatal. */
static int
container_failed(struct ev_reader *r, const struct rd_fail *f, int line_ended, char **err)
{
	if (r->mode == M_DOC)
		return doc_failure(r, f, err);
	if (r->mode == M_FIRST)
		return first_line_failed(r, f, 1, 0, err);
	line_failure(r, f);
	r->st = RS_TOP;
	return line_ended ? 0 : skip_bad_line(r, err);
}

/* A top-level container ended (its ']' or '}'). 0 to go on, -1 fatal. */
static int
value_end(struct ev_reader *r, char **err)
{
	struct rd_fail f;
	int c;

	c = skip_blank(r, r->mode != M_DOC, err);
	if (c == -2)
		return -1;
	if (c < 0 && r->ioerr != NULL)
		return read_failure(r, err);
	if (r->mode == M_DOC) {
		if (c >= 0) {
			fail_here(r, &f, E_AFTER, NULL);
			return doc_failure(r, &f, err);
		}
		r->st = RS_END;
		return 0;
	}
	if (c >= 0 && c != '\n') {
		fail_here(r, &f, E_AFTER, NULL);
		return container_failed(r, &f, 0, err);
	}
	if (r->mode == M_FIRST) {
		int more = more_after(r, err);

		if (more < 0)
			return -1;
		r->st = more ? RS_TOP : RS_END;
		return 0;
	}
	if (c == '\n')
		takec(r);
	r->st = RS_TOP;
	return 0;
}

static void
begin_container(struct ev_reader *r, int obj, enum ev_format fmt)
{
	if (r->mode != M_LINES)
		r->fmt = fmt;
	r->cont_obj = obj;
	r->elem_first = 1;
	r->idx = 0;
	free(r->label);
	r->label = r->mode == M_LINES ? xasprintf("%s:%llu", r->name,
	    (unsigned long long)r->vline) : xstrdup(r->name);
	sb_reset(&r->rec);
	r->st = RS_ELEMS;
}

/* A JSON line that is not a container, collected (rc from collect_value). 1 with *ev, 0 to
 * go on, -1 fatal. */
static int
line_value(struct ev_reader *r, int rc, struct event *ev, char **err)
{
	struct rd_fail f, after;
	json_object *o;
	int c;

	r->st = RS_TOP;
	memset(&after, 0, sizeof after);
	if (rc == C_DONE) {
		/* The rest of the line must be blank. */
		if ((c = skip_blank(r, 1, err)) == -2)
			return -1;
		if (c < 0 && r->ioerr != NULL)
			return read_failure(r, err);
		if (c == '\n')
			takec(r);
		else if (c >= 0) {
			fail_here(r, &after, E_AFTER, NULL);
			if (skip_bad_line(r, err) != 0)
				return -1;
		}
	}
	if (after.line == 0 && fast_read_only(r))
		return 0;
	if ((o = parse_rec(r, &f)) == NULL || after.line != 0) {
		json_object_put(o);
		line_failure(r, o == NULL ? &f : &after);
		return 0;
	}
	return hand_out(r, o, xasprintf("%s:%llu", r->name, (unsigned long long)r->vline), 0, ev);
}

/* The first value when it is not a container: line 1 of JSON lines, or the whole input (a
 * single record: EVF_SINGLE, its origin the name). 1 with *ev, 0 to go on, -1 fatal. */
static int
first_value(struct ev_reader *r, int rc, int sniffing, struct event *ev, char **err)
{
	struct rd_fail f, after;
	json_object *o;
	int c, more;

	memset(&after, 0, sizeof after);
	o = parse_rec(r, &f);
	if (o == NULL && f.kind == E_NUL)
		return doc_failure(r, &f, err);         /* binary data: no use reading on */
	if (r->mode == M_FIRST && rc == C_DONE) {
		/* It fits on its line: what else is on it? */
		if ((c = skip_blank(r, 1, err)) == -2) {
			json_object_put(o);
			return -1;
		}
		if (c >= 0 && c != '\n') {
			fail_here(r, &after, E_AFTER, NULL);
			json_object_put(o);
			return first_line_failed(r, o == NULL ? &f : &after, 1, sniffing, err);
		}
	}
	if (r->mode == M_FIRST) {
		if ((more = more_after(r, err)) < 0) {
			json_object_put(o);
			return -1;
		}
		if (more) {
			if (o == NULL)
				return first_line_failed(r, &f, 0, sniffing, err);
			return hand_out(r, o, xasprintf("%s:%llu", r->name,
			    (unsigned long long)r->vline), sniffing, ev);
		}
		r->mode = M_DOC;
	} else if (o != NULL) {
		/* It spans lines: the document, and nothing may follow it. */
		if ((c = skip_blank(r, 0, err)) == -2) {
			json_object_put(o);
			return -1;
		}
		if (c >= 0) {
			json_object_put(o);
			fail_here(r, &f, E_AFTER, NULL);
			return doc_failure(r, &f, err);
		}
	}
	if (o == NULL)
		return doc_failure(r, &f, err);
	if (r->ioerr != NULL) {
		json_object_put(o);
		return read_failure(r, err);
	}
	if (!json_object_is_type(o, json_type_object)) {
		enum json_type t = json_object_get_type(o);

		json_object_put(o);
		return set_failed(r, err, xasprintf("%s: the input is a JSON %s, not an object or an "
		    "array of audit records", r->name, json_type_to_name(t)));
	}
	r->fmt = EVF_SINGLE;
	r->st = RS_END;
	return hand_out(r, o, xstrdup(r->name), sniffing, ev);
}

/* Could a JSON line hold a container's array ("Records": [ and the like, at any depth)?
 * Arrays are few in a record: memchr finds each '[' and the key before it is looked at. */
static int
may_hold_container(const char *p, size_t n)
{
	static const struct { const char *k; size_t n; } keys[] = {
		{ "Records", 7 }, { "Events", 6 }, { "entries", 7 },
	};
	const char *q = p, *e = p + n, *k;
	size_t i;

	while ((q = memchr(q, '[', (size_t)(e - q))) != NULL) {
		k = q++;
		while (k > p && is_blank((unsigned char)k[-1]))
			k--;
		if (k == p || *--k != ':')
			continue;
		while (k > p && is_blank((unsigned char)k[-1]))
			k--;
		if (k == p || *--k != '"')
			continue;
		for (i = 0; i < TF_ARRLEN(keys); i++)
			if ((size_t)(k - p) > keys[i].n && k[-(ptrdiff_t)keys[i].n - 1] == '"' &&
			    memcmp(k - keys[i].n, keys[i].k, keys[i].n) == 0)
				return 1;
	}
	return 0;
}

/* JSON lines, at a value's first byte: when the rest of the line is in the buffer and cannot
 * be a container (may_hold_container), take it whole into r->rec, newline and
 * all, without the byte-by-byte scanner: what it would collect, at memchr's speed. 1 taken,
 * 0 not (nothing taken). */
static int
whole_line(struct ev_reader *r)
{
	const char *p = r->buf + r->bpos, *nl = memchr(p, '\n', r->blen - r->bpos);
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - p);
	if (may_hold_container(p, n))
		return 0;
	sb_add(&r->rec, p, n);
	note_nonblank(r, (const unsigned char *)r->buf, r->bpos, r->bpos + n);
	r->bpos += n + 1;
	r->line++;
	r->bol = r->off + r->bpos;
	return 1;
}

/* Between top-level values (in JSON lines: at the start of a line). */
static int
top_step(struct ev_reader *r, int sniffing, struct event *ev, char **err)
{
	enum ev_format cf = EVF_UNKNOWN;
	struct rd_fail f;
	int c, rc;

	c = skip_blank(r, 0, err);
	if (c == -2)
		return -1;
	if (c < 0) {
		if (r->ioerr != NULL)
			return read_failure(r, err);
		r->st = RS_END;
		return 0;
	}
	if (r->mode == M_DOC) {
		fail_here(r, &f, E_AFTER, NULL);
		return doc_failure(r, &f, err);
	}
	if (r->mode == M_START)
		r->mode = M_FIRST;
	r->vline = r->line;
	r->rec_line = r->line;
	r->rec_col = cur_col(r);
	sb_reset(&r->rec);
	if (c == '[') {
		takec(r);
		begin_container(r, 0, EVF_JSON_ARRAY);
		return 0;
	}
	if (r->mode == M_LINES && whole_line(r))
		return line_value(r, C_ENDED, ev, err);
	rc = collect_value(r, c == '{', &cf, err);
	if (rc == C_ERR)
		return -1;
	if (rc == C_CONTAINER) {
		begin_container(r, 1, cf);
		return 0;
	}
	if (r->mode == M_LINES)
		return line_value(r, rc, ev, err);
	return first_value(r, rc, sniffing, ev, err);
}

/* The end of a container's array or object was not where it should be: fail_here, worded. */
static int
container_cut(struct ev_reader *r, int c, char **err)
{
	struct rd_fail f;

	if (c == -2)
		return -1;
	if (c < 0 && r->ioerr != NULL)
		return read_failure(r, err);
	fail_here(r, &f, E_TRUNC, "unexpected end of input");
	if (c == '\n')
		takec(r);
	return container_failed(r, &f, c == '\n', err);
}

/* Inside a container's array: the next element, or its end. 1 with *ev, 0 to go on, -1. */
static int
elems_step(struct ev_reader *r, struct event *ev, char **err)
{
	int lines = r->mode == M_LINES;
	struct rd_fail f;
	json_object *o;
	int c, rc;

	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	if (!r->elem_first && c != ']') {
		if (c != ',') {
			fail_here(r, &f, E_SEP,
			    json_tokener_error_desc(json_tokener_error_parse_array));
			return container_failed(r, &f, 0, err);
		}
		takec(r);
		c = skip_blank(r, lines, err);
		if (c < 0 || c == '\n')
			return container_cut(r, c, err);
	}
	if (c == ']') {
		takec(r);
		if (r->cont_obj) {
			r->st = RS_MEMBERS;
			return 0;
		}
		return value_end(r, err);
	}
	r->elem_first = 0;
	sb_reset(&r->rec);
	r->rec_line = r->line;
	r->rec_col = cur_col(r);
	if ((rc = collect_value(r, 0, NULL, err)) == C_ERR)
		return -1;
	if (rc == C_DONE && fast_read_only(r)) {
		r->idx++;
		return 0;
	}
	if ((o = parse_rec(r, &f)) == NULL)
		return container_failed(r, &f, rc == C_ENDED && lines, err);
	return hand_out(r, o, xasprintf("%s#%zu", r->label, r->idx++), 0, ev);
}

/* In a container object after its array: its other members (checked, dropped), then '}'. */
static int
members_step(struct ev_reader *r, char **err)
{
	int lines = r->mode == M_LINES, c, rc;
	struct rd_fail f;
	json_object *o = NULL;

	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	if (c == '}') {
		takec(r);
		return value_end(r, err);
	}
	if (c != ',') {
		fail_here(r, &f, E_SEP,
		    json_tokener_error_desc(json_tokener_error_parse_object_value_sep));
		return container_failed(r, &f, 0, err);
	}
	takec(r);
	/* "key": value, collected within the limit like a record, then dropped. */
	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	if (c != '"') {
		fail_here(r, &f, E_SYNTAX,
		    json_tokener_error_desc(json_tokener_error_parse_object_key_name));
		return container_failed(r, &f, 0, err);
	}
	sb_reset(&r->rec);
	r->rec_line = r->line;
	r->rec_col = cur_col(r);
	if ((rc = collect_value(r, 0, NULL, err)) == C_ERR)
		return -1;
	if (rc != C_DONE) {
		if (rc == C_ENDED || (o = parse_rec(r, &f)) != NULL) {
			json_object_put(o);
			fail_here(r, &f, E_TRUNC, "unexpected end of input");
		}
		return container_failed(r, &f, rc == C_ENDED && lines, err);
	}
	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	if (c != ':') {
		fail_here(r, &f, E_SYNTAX,
		    json_tokener_error_desc(json_tokener_error_parse_object_key_sep));
		return container_failed(r, &f, 0, err);
	}
	takec(r);
	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	sb_reset(&r->rec);
	r->rec_line = r->line;
	r->rec_col = cur_col(r);
	if ((rc = collect_value(r, 0, NULL, err)) == C_ERR)
		return -1;
	if ((o = parse_rec(r, &f)) == NULL)
		return container_failed(r, &f, rc == C_ENDED && lines, err);
	json_object_put(o);
	return 0;
}

/* Sniff: read until the shape is known (a container's opening, or the whole first value). */
static int
sniff(struct ev_reader *r, char **err)
{
	struct event unused;
	int c;

	/* A UTF-8 byte order mark is not JSON (columns count from after it). */
	if ((c = peekc(r)) == 0xef && r->blen - r->bpos >= 3 &&
	    memcmp(r->buf + r->bpos, "\xef\xbb\xbf", 3) == 0) {
		r->bpos += 3;
		r->bol = r->off + r->bpos;
	}
	if (c < 0 && r->ioerr != NULL)
		return read_failure(r, err);
	r->fmt = EVF_JSON_LINES;        /* empty input: nothing to read, nothing lost */
	memset(&unused, 0, sizeof unused);
	return top_step(r, 1, &unused, err) < 0 ? -1 : 0;
}

static struct ev_reader *
reader_new(const char *name)
{
	struct ev_reader *r = xcalloc(1, sizeof *r);

	r->name = xstrdup(name);
	r->tok = json_tokener_new_ex(TOK_DEPTH);
	if (r->tok == NULL)
		tf_fatal("out of memory (json tokener)");
	sb_init(&r->rec);
	sb_grow(&r->rec, 0);
	r->line = 1;
	r->mode = M_START;
	r->st = RS_TOP;
	return r;
}

struct ev_reader *
ev_reader_open(const char *path, char **err)
{
	struct ev_reader *r;
	struct input *in;
	int rc;

	if ((in = input_open(path, 0, err)) == NULL)
		return NULL;
	r = reader_new(strcmp(path, "-") == 0 ? "<stdin>" : path);
	r->in = in;
	r->fsize = input_size(in);
	r->buf = xmalloc(READ_CHUNK + 1);   /* + a NUL after the data, for strcspn */
	rc = sniff(r, err);
	if (rc != 0) {
		ev_reader_close(r);
		return NULL;
	}
	return r;
}

struct ev_reader *
ev_reader_open_mem(const char *name, const char *buf, size_t len, char **err)
{
	struct ev_reader *r = reader_new(name != NULL ? name : "<memory>");
	int rc;

	r->buf = xmalloc(len + 1);
	if (len > 0)
		memcpy(r->buf, buf, len);
	r->buf[len] = '\0';
	r->blen = len;
	r->eof = 1;
	rc = sniff(r, err);
	if (rc != 0) {
		ev_reader_close(r);
		return NULL;
	}
	return r;
}

void
ev_reader_close(struct ev_reader *r)
{
	if (r == NULL)
		return;
	input_close(r->in);
	free(r->buf);
	free(r->ioerr);
	free(r->failed);
	sb_free(&r->rec);
	free(r->label);
	json_object_put(r->pending);
	free(r->pending_origin);
	if (r->tok != NULL)
		json_tokener_free(r->tok);
	free(r->name);
	free(r);
}

void
ev_reader_set_before_read(struct ev_reader *r, void (*fn)(void *ctx), void *ctx)
{
	r->before_read = fn;
	r->before_read_ctx = ctx;
}

void
ev_reader_set_skip_read_only(struct ev_reader *r, int on)
{
	r->skip_ro = on != 0;
}

uint64_t
ev_reader_skipped_read_only(const struct ev_reader *r)
{
	return r->skipped_ro;
}

double
ev_reader_progress(const struct ev_reader *r)
{
	double whole;

	if (r->in == NULL)
		return r->blen > 0 ? (double)r->bpos / (double)r->blen : 1.0;
	if (r->fsize == 0)
		return -1.0;
	/* How far into the file (compressed bytes for .gz). */
	whole = (double)input_offset(r->in) / (double)r->fsize;
	return whole > 1.0 ? 1.0 : whole;
}

enum ev_format
ev_reader_format(const struct ev_reader *r)
{
	return r->fmt;
}

const struct ev_counters *
ev_reader_counters(const struct ev_reader *r)
{
	return &r->cnt;
}

void
ev_reader_set_warn(struct ev_reader *r, void (*fn)(void *ctx, const char *msg), void *ctx)
{
	r->warn = fn;
	r->warn_ctx = ctx;
}

/* The first value, read while sniffing: its event, or its line's malformed report. */
static int
pending_step(struct ev_reader *r, struct event *ev)
{
	json_object *o = r->pending;
	char *origin = r->pending_origin;

	r->st = r->fmt == EVF_SINGLE ? RS_END : RS_TOP;
	if (r->pending_bad) {
		r->pending_bad = 0;
		line_failure(r, &r->pending_fail);
		return 0;
	}
	r->pending = NULL;
	r->pending_origin = NULL;
	return o != NULL ? hand_out(r, o, origin, 0, ev) : 0;
}

static int
reader_next(struct ev_reader *r, struct event *ev, char **err)
{
	int got;

	for (;;) {
		switch (r->st) {
		case RS_PENDING:
			got = pending_step(r, ev);
			break;
		case RS_TOP:
			got = top_step(r, 0, ev, err);
			break;
		case RS_ELEMS:
			got = elems_step(r, ev, err);
			break;
		case RS_MEMBERS:
			got = members_step(r, err);
			break;
		case RS_FAILED:
			return tf_err(err, "%s", r->failed);
		case RS_END:
		default:
			return 0;
		}
		if (got != 0)
			return got;
	}
}

int
ev_reader_next(struct ev_reader *r, struct event *ev, char **err)
{
	memset(ev, 0, sizeof *ev);
	return reader_next(r, ev, err);
}
