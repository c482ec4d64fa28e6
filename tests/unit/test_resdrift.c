/* Unit tests for drift per resource (the net diff of open findings against state) and
 * findings grouped by actor session. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "tap.h"
#include "ui/resdrift.h"
#include "util.h"

static struct finding *
mk(const char *id, const char *addr, int64_t t, const char *actor, enum finding_status st)
{
	struct finding *f = xcalloc(1, sizeof *f);

	snprintf(f->id, sizeof f->id, "%s", id);
	f->address = addr != NULL ? xstrdup(addr) : NULL;
	f->type = xstrdup("aws_instance");
	f->resource_id = xstrdup("i-1");
	f->event_time_ms = t;
	f->status = st;
	f->severity = SEV_MEDIUM;
	f->actor.name = xstrdup(actor);
	f->actor.principal = xasprintf("arn:aws:iam::1:user/%s", actor);
	return f;
}

static void
mod(struct finding *f, const char *attr, const char *from, const char *to, int sensitive)
{
	finding_add_change(f, attr, from ? json_object_new_string(from) : NULL,
	    to ? json_object_new_string(to) : NULL, CH_MODIFIED, sensitive);
}

static void
test_net_diff(void)
{
	struct finding *a = mk("a", "aws_instance.web", 1000, "alice", ST_OPEN);
	struct finding *b = mk("b", "aws_instance.web", 2000, "bob", ST_OPEN);
	struct finding *c = mk("c", "aws_instance.web", 3000, "carol", ST_OPEN);
	const struct finding *v[3] = { a, b, c };
	char *d;

	mod(a, "instance_type", "t3.micro", "t3.large", 0);
	mod(b, "instance_type", "t3.large", "t3.xlarge", 0);
	d = resdrift_net_diff(v, 2);
	is_str(d, "instance_type t3.micro \u2192 t3.xlarge", "A\u2192B then B\u2192C is A\u2192C");
	free(d);

	mod(c, "instance_type", "t3.xlarge", "t3.micro", 0);
	d = resdrift_net_diff(v, 3);
	is_str(d, "", "A\u2192B\u2192C\u2192A: no net change");
	free(d);

	b->status = ST_RESOLVED;
	d = resdrift_net_diff(v, 2);
	is_str(d, "instance_type t3.micro \u2192 t3.large", "a resolved finding does not count");
	free(d);
	b->status = ST_SUPPRESSED;
	d = resdrift_net_diff(v, 2);
	is_str(d, "instance_type t3.micro \u2192 t3.large", "nor does a suppressed one");
	free(d);
	b->status = ST_ACKNOWLEDGED;
	d = resdrift_net_diff(v, 2);
	is_str(d, "instance_type t3.micro \u2192 t3.xlarge", "an acknowledged one does: still drifted");
	free(d);

	finding_free(a);
	finding_free(b);
	finding_free(c);

	/* Sensitive: never the values, whichever finding masked it. */
	a = mk("a", "aws_db_instance.main", 1000, "alice", ST_OPEN);
	b = mk("b", "aws_db_instance.main", 2000, "alice", ST_OPEN);
	mod(a, "password", "hunter2", "letmein", 0);
	mod(b, "password", NULL, NULL, 1);
	mod(b, "engine_version", "14.1", NULL, 0);
	v[0] = a;
	v[1] = b;
	d = resdrift_net_diff(v, 2);
	is_str(d, "password changed (sensitive); engine_version 14.1 \u2192 (none)",
	    "sensitive: \"(sensitive)\", no value; an absent value is (none)");
	ok(strstr(d, "hunter2") == NULL && strstr(d, "letmein") == NULL, "no sensitive value shown");
	free(d);
	finding_free(a);
	finding_free(b);

	/* Sets: an add then its removal cancel; kinds say themselves; long values are cut. */
	a = mk("a", NULL, 1000, "alice", ST_OPEN);
	a->kind = FK_UNMANAGED;
	finding_add_change(a, "tags", NULL, json_object_new_string("env=dev"), CH_ADDED, 0);
	finding_add_change(a, "tags", NULL, json_object_new_string("team=x"), CH_ADDED, 0);
	b = mk("b", NULL, 2000, "alice", ST_OPEN);
	finding_add_change(b, "tags", json_object_new_string("env=dev"), NULL, CH_REMOVED, 0);
	mod(b, "description", "", "a description that is far longer than forty-eight bytes of text",
	    0);
	v[0] = a;
	v[1] = b;
	d = resdrift_net_diff(v, 2);
	is_str(d, "unmanaged; tags +team=x; description \"\" \u2192 a description that is far "
	    "longer than forty-e\u2026", "set members pair up; unmanaged first; \"\" shown; cut "
	    "with \u2026");
	free(d);
	finding_free(a);
	finding_free(b);

	d = resdrift_net_diff(NULL, 0);
	is_str(d, "", "no findings: nothing");
	free(d);
}

static void
test_build(void)
{
	struct finding *f[6];
	struct resdrift *r;
	size_t n;

	f[0] = mk("a", "aws_instance.web", 1000, "alice", ST_OPEN);
	f[1] = mk("b", "aws_instance.web", 5000, "bob", ST_OPEN);
	f[2] = mk("c", "aws_instance.web", 3000, "alice", ST_ACKNOWLEDGED);
	f[3] = mk("d", "aws_s3_bucket.logs", 2000, "carol", ST_RESOLVED);
	f[4] = mk("e", NULL, 4000, "dave", ST_OPEN);        /* unmanaged: TYPE:ID */
	f[5] = mk("f", "aws_instance.web", 500, "erin", ST_RESOLVED);
	mod(f[0], "instance_type", "t3.micro", "t3.large", 0);
	mod(f[2], "instance_type", "t3.large", "t3.xlarge", 0);
	mod(f[1], "monitoring", "false", "true", 0);
	n = resdrift_build((const struct finding *const *)f, 6, &r);
	is_int(n, 2, "two resources drifted now (the bucket's only finding is resolved)");
	is_str(r[0].key, "aws_instance.web", "by key: the address");
	is_int(r[0].nopen, 3, "three still drifted");
	is_int(r[0].nfindings, 4, "four findings in all");
	is_int(r[0].since_ms, 1000, "drifted since its oldest open finding");
	is_int(r[0].last_ms, 5000, "last change: the newest");
	is_str(r[0].actors, "bob, alice", "actors distinct, newest first, not the resolved one's");
	is_str(r[0].diff, "instance_type t3.micro \u2192 t3.xlarge; monitoring false \u2192 true",
	    "the net diff in time order, whatever the input order");
	is_str(r[1].key, "aws_instance:i-1", "unmanaged: TYPE:ID");
	resdrift_free(r, n);
	n = resdrift_build(NULL, 0, &r);
	is_int(n, 0, "no findings: no rows");
	resdrift_free(r, n);
	for (n = 0; n < 6; n++)
		finding_free(f[n]);
}

static void
test_sessions(void)
{
	struct finding *f[9];
	size_t rows[9], i, n;
	struct resdrift_session *s;
	char *label;

	/* Newest first, as the list shows them. */
	f[0] = mk("a", "aws_instance.a", 1000 * 1000, "bob", ST_OPEN);
	f[1] = mk("b", "aws_instance.b", 990 * 1000, "alice", ST_OPEN);
	f[2] = mk("c", "aws_instance.c", 900 * 1000, "alice", ST_OPEN);
	f[3] = mk("d", "aws_instance.c", 840 * 1000, "alice", ST_OPEN);
	f[4] = mk("e", "aws_instance.d", 810 * 1000, "alice", ST_OPEN);
	f[5] = mk("f", "aws_instance.e", -100 * 1000, "alice", ST_OPEN);   /* > 15 min before */
	f[6] = mk("g", "aws_instance.e", -200 * 1000, "alice", ST_OPEN);
	f[7] = mk("h", "aws_instance.e", -210 * 1000, "carol", ST_OPEN);
	f[8] = mk("i", "aws_instance.e", -220 * 1000, "carol", ST_OPEN);
	free(f[8]->actor.session);
	f[8]->actor.session = xstrdup("other");     /* another role session of carol's */
	for (i = 0; i < 9; i++)
		rows[i] = i;
	n = resdrift_sessions((const struct finding *const *)f, rows, 9, 15 * 60000, &s);
	is_int(n, 2, "two sessions: alice's four, then alice's two after a gap");
	is_int(s[0].first, 1, "the first starts at row 1");
	is_int(s[0].n, 4, "four findings");
	is_int(s[0].nresources, 3, "on three resources");
	label = resdrift_session_label(f[s[0].first], &s[0]);
	is_str(label, "alice: 4 changes on 3 resources in 3 min", "its label");
	free(label);
	is_int(s[1].first, 5, "the second after the 15 min gap");
	is_int(s[1].n, 2, "two findings (carol's two are two sessions: one each)");
	label = resdrift_session_label(f[5], &s[1]);
	is_str(label, "alice: 2 changes on 1 resource in 2 min", "singular resource");
	free(label);
	free(s);
	n = resdrift_sessions((const struct finding *const *)f, rows, 9, 70 * 1000, &s);
	is_int(n, 1, "a 70 s gap: one session left");
	is_int(s[0].first, 2, "990 s and 900 s are 90 s apart: it starts at 900 s");
	is_int(s[0].n, 3, "900, 840 and 810 s (the two before midnight are 100 s apart)");
	free(s);
	n = resdrift_sessions((const struct finding *const *)f, rows, 1, 15 * 60000, &s);
	is_int(n, 0, "one row: no group");
	free(s);
	for (i = 0; i < 9; i++)
		finding_free(f[i]);
}

int
main(void)
{
	test_net_diff();
	test_build();
	test_sessions();
	return done_testing();
}
