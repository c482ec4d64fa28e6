/* test_falco: Falco alerts (CloudTrail and gcpaudit plugins' JSON output) to events: field
 * mapping with the raw request/response, the whole record through json.obj, skipped syscall
 * alerts, malformed and unusable lines counted with their line numbers. Data:
 * tests/data/falco/alerts.jsonl (make-alerts.py). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "collectors/falco.h"
#include "jpath.h"
#include "util.h"

static char **
read_lines(const char *path, size_t *n)
{
	FILE *fp = fopen(path, "r");
	char **v = NULL, *line = NULL;
	size_t cap = 0;
	ssize_t len;

	*n = 0;
	if (fp == NULL)
		return NULL;
	while ((len = getline(&line, &cap, fp)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		v = xreallocarray(v, *n + 1, sizeof *v);
		v[(*n)++] = xstrdup(line);
	}
	free(line);
	fclose(fp);
	return v;
}

static const char *
rec_str(const struct event *ev, const char *a, const char *b, const char *c)
{
	json_object *o = ev->record, *v;

	if (o == NULL || !json_object_object_get_ex(o, a, &o))
		return NULL;
	if (b != NULL && !json_object_object_get_ex(o, b, &o))
		return NULL;
	if (c != NULL && !json_object_object_get_ex(o, c, &v))
		return NULL;
	return json_object_get_string(c != NULL ? v : o);
}

int
main(void)
{
	const char *top = getenv("TOP_SRCDIR");
	char *path = xasprintf("%s/tests/data/falco/alerts.jsonl", top ? top : ".");
	struct falco_counters c;
	struct event ev[8];
	int rc[8];
	char *msg[8] = { 0 }, **lines;
	size_t n, i;

	lines = read_lines(path, &n);
	ok(lines != NULL && n == 7, "7 lines of alerts");
	if (lines == NULL || n != 7)
		return done_testing();
	memset(&c, 0, sizeof c);
	memset(ev, 0, sizeof ev);
	for (i = 0; i < n; i++) {
		char *where = xasprintf("alerts.jsonl:%zu", i + 1);

		rc[i] = falco_line(lines[i], strlen(lines[i]), where, &ev[i], &c, &msg[i]);
		free(where);
	}

	/* 1: Console Login Without MFA (a cloud event, not drift: the detector decides). */
	is_int(rc[0], 1, "console login alert is an event");
	is_str(ev[0].name, "ConsoleLogin", "ct.name");
	is_str(ev[0].source, "signin.amazonaws.com", "ct.src");
	is_str(ev[0].id, "cef227b6-6917-4004-aef6-ba9d9641445b", "ct.id is the event id");
	is_str(ev[0].actor.role, "AdministratorAccess",
	    "AssumedRole: ct.user is the role");
	is_str(ev[0].actor.name, "alice@corp.example", "actor from ct.user.arn's session");
	is_str(ev[0].origin, "alerts.jsonl:1", "origin names the line");
	/* 2: syscall rule: skipped. 3: malformed. */
	is_int(rc[1], 0, "syscall alert skipped");
	is_int(rc[2], -1, "truncated line is malformed");
	ok(msg[2] != NULL && strncmp(msg[2], "alerts.jsonl:3: malformed", 25) == 0,
	    "message names file and line: %s", msg[2] ? msg[2] : "");
	/* 4: SSH opened to the world, with ct.request / ct.response. */
	is_int(rc[3], 1, "SSH ingress alert is an event");
	is_str(ev[3].name, "AuthorizeSecurityGroupIngress", "event name");
	is_str(ev[3].region, "eu-west-1", "ct.region");
	is_str(ev[3].account, "111122223333", "account");
	is_str(ev[3].source_ip, "203.0.113.10", "ct.srcip");
	is_int(ev[3].read_only, 0, "ct.readonly false");
	is_int(ev[3].time_ms, 1716801243000LL, "ct.time");
	is_str(rec_str(&ev[3], "requestParameters", "groupId", NULL), "sg-0a1b2c3d4e5f60718",
	    "ct.request is the raw requestParameters");
	ok(rec_str(&ev[3], "responseElements", "securityGroupRuleSet", NULL) != NULL,
	    "ct.response is the raw responseElements");
	ok(ev[3].actor.via == VIA_CONSOLE, "via console (user agent and ct.user.arn)");
	/* 5: the default rule's fields only: unusable, with what to add. */
	is_int(rc[4], -1, "alert without ct.name is not usable");
	ok(msg[4] != NULL && strstr(msg[4], "alerts.jsonl:5") != NULL &&
	    strstr(msg[4], "append_output") != NULL, "says what to add: %s", msg[4] ? msg[4] : "");
	/* 6: json.obj carries the whole record. */
	is_int(rc[5], 1, "json.obj alert is an event");
	is_str(ev[5].name, "DisableKey", "whole record: name");
	ok(ev[5].id != NULL && ev[5].raw != NULL && json_object_object_get_ex(ev[5].raw, "tlsDetails", NULL),
	    "whole record: every member kept (tlsDetails)");
	/* 7: gcpaudit. */
	is_int(rc[6], 1, "gcpaudit alert is an event");
	ok(ev[6].provider == PROV_GCP, "provider gcp");
	is_str(ev[6].name, "v1.compute.firewalls.patch", "gcp.methodName");
	is_str(ev[6].source, "compute.googleapis.com", "gcp.serviceName");
	is_str(ev[6].account, "corp-prod-4411", "gcp.projectId");
	is_str(ev[6].actor.name, "carol@corp.example", "gcp.user");
	is_str(ev[6].resource_name, "projects/corp-prod-4411/global/firewalls/allow-ssh", "gcp.resourceName");
	ok(ev[6].record != NULL && json_object_object_get_ex(ev[6].record, "request", NULL),
	    "gcp.request is the raw request");
	ok(ev[6].id != NULL && strlen(ev[6].id) == 32, "a stable id made for the entry");
	{
		struct event again;
		struct falco_counters c2;
		char *m = NULL;

		memset(&c2, 0, sizeof c2);
		ok(falco_line(lines[6], strlen(lines[6]), "x:1", &again, &c2, &m) == 1 &&
		    strcmp(again.id, ev[6].id) == 0, "the same alert twice: the same id (dedup)");
		event_free(&again);
	}

	is_int(c.lines, 7, "lines counted");
	is_int(c.alerts, 6, "alerts counted");
	is_int(c.events, 4, "events counted");
	is_int(c.skipped, 1, "non-cloud alerts counted as skipped");
	is_int(c.malformed, 2, "malformed and unusable counted");

	/* Odd inputs never crash. */
	{
		static const char *const odd[] = { "", "   ", "[]", "null", "{\"output_fields\":7}",
			"{\"output_fields\":{\"ct.name\":\"X\",\"ct.src\":\"s\",\"ct.request\":\"{not json\"}}",
			"{\"output_fields\":{\"gcp.methodName\":\"<NA>\"}}",
			"{\"output_fields\":{\"json.obj\":\"{\\\"a\\\":1}\"}}", "{\"a\":" };
		struct falco_counters c3;
		size_t k;

		memset(&c3, 0, sizeof c3);
		for (k = 0; k < TF_ARRLEN(odd); k++) {
			struct event e;
			char *m = NULL;
			int r = falco_line(odd[k], strlen(odd[k]), "odd:1", &e, &c3, &m);

			if (r == 1)
				event_free(&e);
			free(m);
		}
		ok(c3.lines == TF_ARRLEN(odd), "odd lines handled (%llu events, %llu skipped, %llu malformed)",
		    (unsigned long long)c3.events, (unsigned long long)c3.skipped,
		    (unsigned long long)c3.malformed);
	}

	for (i = 0; i < n; i++) {
		if (rc[i] == 1)
			event_free(&ev[i]);
		free(msg[i]);
		free(lines[i]);
	}
	free(lines);
	free(path);
	return done_testing();
}
