/* event_aws: an AWS CloudTrail record becomes an event (event_from_cloudtrail), and who made
 * the call (actor_resolve_aws, with its "via"). Envelopes around records (EventBridge,
 * LookupEvents) are unwrapped by event.c's sniffing.
 *
 * Nothing here keeps global mutable state. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "event.h"
#include "event_int.h"
#include "util.h"

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
			/* The partition of the event's region: arn:aws-cn:, arn:aws-us-gov:... */
			a->principal = xasprintf("arn:%s:iam::%s:root",
			    aws_partition(jstr(record, "awsRegion"))->name, a->account);
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
	return event_from_cloudtrail_text(obj, ev, why, 0);
}

int
event_from_cloudtrail_text(json_object *obj, struct event *ev, const char **why, int text_ok)
{
	const char *name, *src, *t;
	json_object *ui;
	int64_t ms;

	memset(ev, 0, sizeof *ev);
	if (!json_object_is_type(obj, json_type_object)) {
		set_why(why, "not a JSON object");
		return -1;
	}
	ev->repaired = text_ok ? 0 : repair_text(obj);
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
