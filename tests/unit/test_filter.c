/* Unit tests for the dashboard's `/` filter language. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "finding.h"
#include "tap.h"
#include "ui/filter.h"
#include "util.h"

static struct finding *
mk(enum finding_kind k, enum severity s, enum finding_status st, const char *addr,
    const char *type, const char *actor, const char *account, const char *region,
    const char *event, enum tf_via via)
{
	struct finding *f = xcalloc(1, sizeof *f);

	snprintf(f->id, sizeof f->id, "%08x", (unsigned)(k * 97 + s * 13 + st));
	f->kind = k;
	f->severity = s;
	f->status = st;
	f->address = xstrdup(addr);
	f->type = xstrdup(type);
	f->resource_id = xstrdup("sg-0abc");
	f->actor.name = xstrdup(actor);
	f->actor.principal = actor ? xasprintf("arn:aws:sts::111122223333:assumed-role/Admin/%s",
	    actor) : NULL;
	f->actor.via = via;
	f->account = xstrdup(account);
	f->region = xstrdup(region);
	f->event_name = xstrdup(event);
	f->summary = xstrdup("ingress +tcp 22-22 0.0.0.0/0");
	f->provider = PROV_AWS;
	return f;
}

/* Does `query` keep f? -1 when it does not compile. */
static int
keeps(const char *query, const struct finding *f)
{
	char *err = NULL;
	struct filter *fl = filter_compile(query, &err);
	int r;

	if (fl == NULL) {
		diag("%s: %s", query, err);
		free(err);
		return -1;
	}
	r = filter_match(fl, f);
	filter_free(fl);
	return r;
}

static void
expect_error(const char *query, const char *want)
{
	char *err = NULL;
	struct filter *fl = filter_compile(query, &err);

	ok(fl == NULL && err != NULL && strstr(err, want) != NULL, "'%s' is an error: %s", query,
	    err ? err : "(none)");
	filter_free(fl);
	free(err);
}

/* A view's items through the getter (as the Events view hands them over). */
struct item {
	const char *actor, *event, *outcome;
	int64_t t;
};
enum { I_ACTOR = 0, I_EVENT, I_OUTCOME, I_SEV };

static size_t
item_values(const void *p, int field, const char **out, size_t max, char *scratch)
{
	(void)scratch;
	const struct item *it = p;
	size_t n = 0;

	if (max < 4)
		return 0;
	if (field == FILTER_ANY || field == I_ACTOR)
		out[n++] = it->actor;
	if (field == FILTER_ANY || field == I_EVENT)
		out[n++] = it->event;
	if (field == FILTER_ANY || field == I_OUTCOME)
		out[n++] = it->outcome;
	if (field == I_SEV)
		out[n++] = "high";
	return n;
}

static const struct filter_field item_fields[] = {
	{ "actor", I_ACTOR, FT_TEXT }, { "event", I_EVENT, FT_TEXT },
	{ "outcome", I_OUTCOME, FT_TEXT }, { "sev", I_SEV, FT_SEV },
};
static const struct filter_schema item_schema = { item_fields, 4, "actor event outcome sev" };

static int
item_keeps(const char *query, const struct item *it)
{
	char *err = NULL;
	struct filter *fl = filter_compile_for(query, &item_schema, &err);
	int r;

	if (fl == NULL) {
		diag("%s: %s", query, err);
		free(err);
		return -1;
	}
	r = filter_match_item(fl, it, item_values, it->t);
	filter_free(fl);
	return r;
}

static void
test_items_and_times(const struct finding *sg)
{
	/* 2024-05-27T09:14:03Z */
	struct item ev = { "bob", "ModifyDBInstance", "drift: 1 finding", 1716801243000LL };
	struct filter *fl;
	char *err = NULL;
	int64_t now = 1716811200000LL;          /* 2024-05-27T12:00:00Z */

	setenv("TFDRIFT_NOW", "2024-05-27T12:00:00Z", 1);
	is_int(item_keeps("actor:bob", &ev), 1, "a view's field");
	is_int(item_keeps("actor:alice", &ev), 0, "and a mismatch");
	is_int(item_keeps("-outcome:terraform modifydb", &ev), 1, "negation and a free word, any field");
	is_int(item_keeps("outcome:drift,failed", &ev), 1, "alternatives");
	is_int(item_keeps("event:Modify*", &ev), 1, "globs");
	is_int(item_keeps("sev>=high", &ev), 1, "an enum field through the getter");
	is_int(item_keeps("sev>high", &ev), 0, "compared as an enum");
	is_int(item_keeps("since:09:00", &ev), 1, "since: HH:MM, the last one (09:00 today)");
	is_int(item_keeps("since:09:30", &ev), 0, "an item before it is out");
	is_int(item_keeps("until:09:14", &ev), 0, "until is exclusive of later items");
	is_int(item_keeps("since:3h until:2h", &ev), 1, "durations mean ago: 09:00 to 10:00");
	is_int(item_keeps("since:2h", &ev), 0, "10:00 on: out");
	is_int(item_keeps("since:2024-05-27 until:2024-05-28", &ev), 1, "dates");
	is_int(item_keeps("since:2024-05-27T09:14:03Z", &ev), 1, "RFC 3339, inclusive");
	fl = filter_compile_for("since:90m bob", &item_schema, &err);
	ok(fl != NULL && filter_since(fl) == now - 90 * 60000, "since:90m is 90 minutes before now");
	is_int((int)filter_nwords(fl), 1, "the time is not a word");
	is_str(filter_word(fl, 0), "bob", "the word is");
	filter_free(fl);
	fl = filter_compile_for("until:10:00 since:11:00", &item_schema, &err);
	ok(fl == NULL && err != NULL && strstr(err, "until must be after since") != NULL,
	    "a backwards window is an error: %s", err ? err : "");
	free(err);
	err = NULL;
	fl = filter_compile_for("since:soon", &item_schema, &err);
	ok(fl == NULL && err != NULL && strstr(err, "'soon' is not a time") != NULL,
	    "a bad time says so and how to write one: %s", err ? err : "");
	free(err);
	err = NULL;
	fl = filter_compile_for("region:x", &item_schema, &err);
	ok(fl == NULL && err != NULL && strstr(err, "fields: actor event outcome sev") != NULL,
	    "an unknown field lists the view's fields: %s", err ? err : "");
	free(err);
	is_int(keeps("since:09:00 until:09:30", sg), 1, "findings take the window by event time");
	is_int(keeps("since:09:30", sg), 0, "and drop what is outside it");
	/* Free words: the haystack path answers as the per-field path does. */
	{
		char *hay = filter_haystack(sg);
		struct filter *w = filter_compile("ALICE 0.0.0.0", NULL);

		ok(filter_match_hay(w, sg, hay, strlen(hay)) == filter_match(w, sg) && filter_match(w, sg),
		    "the haystack matches case-insensitively, as the fields do");
		filter_free(w);
		w = filter_compile("\"eu-west-1 sg\"", NULL);
		ok(!filter_match_hay(w, sg, hay, strlen(hay)) && !filter_match(w, sg),
		    "no match spans two fields");
		filter_free(w);
		free(hay);
	}
	unsetenv("TFDRIFT_NOW");
}

int
main(void)
{
	struct finding *sg = mk(FK_MODIFIED, SEV_HIGH, ST_OPEN, "module.net.aws_security_group.web",
	    "aws_security_group", "alice@corp.example", "111122223333", "eu-west-1",
	    "AuthorizeSecurityGroupIngress", VIA_CONSOLE);
	struct finding *un = mk(FK_UNMANAGED, SEV_MEDIUM, ST_ACKNOWLEDGED, NULL, "aws_s3_bucket",
	    "bob", "444455556666", "us-east-1", "CreateBucket", VIA_CLI);
	struct finding *sup = mk(FK_DELETED, SEV_CRITICAL, ST_SUPPRESSED, "aws_kms_key.data",
	    "aws_kms_key", "carol", "111122223333", "eu-west-1", "ScheduleKeyDeletion", VIA_SDK);
	struct filter *fl;
	char *err = NULL;

	is_int(keeps("", sg), 1, "the empty filter keeps everything");
	is_int(keeps("   ", un), 1, "blanks too");
	is_int(keeps("security_group", sg), 1, "free text matches the address");
	is_int(keeps("SECURITY_GROUP", sg), 1, "case-insensitively");
	is_int(keeps("security_group", un), 0, "and not others");
	is_int(keeps("0.0.0.0/0", un), 1, "free text matches the summary");
	is_int(keeps("alice", sg), 1, "free text matches the actor");
	is_int(keeps("alice web", sg), 1, "words are ANDed");
	is_int(keeps("alice bob", sg), 0, "all words must match");

	is_int(keeps("sev>=high", sg), 1, "sev>=high keeps high");
	is_int(keeps("sev>=high", sup), 1, "and critical");
	is_int(keeps("sev>=high", un), 0, "not medium");
	is_int(keeps("sev>high", sg), 0, "sev>high drops high");
	is_int(keeps("sev<=medium", un), 1, "sev<=medium keeps medium");
	is_int(keeps("sev<medium", un), 0, "sev<medium drops medium");
	is_int(keeps("sev:crit", sup), 1, "sev:crit is critical");
	is_int(keeps("severity=high", sg), 1, "severity=high");
	is_int(keeps("kind:unmanaged", un), 1, "kind:unmanaged");
	is_int(keeps("kind:unmanaged", sg), 0, "kind:unmanaged drops modified");
	is_int(keeps("kind:unmanaged,deleted", sup), 1, "alternatives are ORed");
	is_int(keeps("kind:unmanaged,deleted", sg), 0, "... and only those");
	is_int(keeps("status:open", sg), 1, "status:open");
	is_int(keeps("status:open", un), 0, "status:open drops acknowledged");
	is_int(keeps("status:ack", un), 1, "status:ack");
	is_int(keeps("actor:alice", sg), 1, "actor: matches the name");
	is_int(keeps("actor:Admin", sg), 1, "actor: matches the principal (role)");
	is_int(keeps("actor:alice", un), 0, "actor: drops others");
	is_int(keeps("type:aws_security_group", sg), 1, "type:");
	is_int(keeps("type:aws_s3_*", un), 1, "type: takes a glob");
	is_int(keeps("type:aws_s3_*", sg), 0, "the glob is anchored");
	is_int(keeps("account:1111", sg), 1, "account: by prefix");
	is_int(keeps("account:1111", un), 0, "account: drops other accounts");
	is_int(keeps("region:eu-west-1", sg), 1, "region:");
	is_int(keeps("via:console", sg), 1, "via:");
	is_int(keeps("via:console", un), 0, "via: drops cli");
	is_int(keeps("event:Authorize*", sg), 1, "event: glob");
	is_int(keeps("addr:module.net.*", sg), 1, "addr: glob");
	is_int(keeps("addr:sg-0abc", un), 1, "addr: of an unmanaged finding is its id");
	is_int(keeps("provider:aws", sg), 1, "provider:");
	is_int(keeps("-via:console", sg), 0, "- negates a term");
	is_int(keeps("!via:console", un), 1, "! negates a term");
	is_int(keeps("-alice", sg), 0, "negated free text");
	is_int(keeps("sev>=high kind:modified actor:alice type:aws_security_group status:open "
	    "account:1111 region:eu-west-1", sg), 1, "the issue's example query keeps the finding");
	is_int(keeps("sev>=high kind:unmanaged", sg), 0, "and a mismatch in one term drops it");
	is_int(keeps("\"tcp 22-22\"", sg), 1, "quotes keep spaces");

	expect_error("colour:red", "column 1: unknown field 'colour'");
	expect_error("sev>=high kind:nope", "column 11: 'nope' is not a kind");
	expect_error("sev>=huge", "'huge' is not a severity");
	expect_error("type>=x", "only sev takes");
	expect_error("status:", "needs a value");
	expect_error("\"open", "unterminated quote");
	expect_error("status:maybe", "not a status");

	fl = filter_compile("status:suppressed alice", &err);
	ok(fl != NULL && filter_wants_suppressed(fl), "status:suppressed asks for suppressed findings");
	is_str(filter_words(fl), "alice", "free words are kept for search");
	ok(filter_search_match(fl, sg), "search matches the words in any field");
	ok(!filter_search_match(fl, un), "search misses");
	is_str(filter_text(fl), "status:suppressed alice", "the query text is kept");
	filter_free(fl);
	fl = filter_compile("-status:suppressed", &err);
	ok(fl != NULL && !filter_wants_suppressed(fl), "negated: it does not ask for them");
	filter_free(fl);
	fl = filter_compile("status:resolved", &err);
	ok(fl != NULL && filter_wants_resolved(fl) && !filter_wants_suppressed(fl),
	    "status:resolved asks for resolved findings, not suppressed ones");
	sup->status = ST_RESOLVED;
	ok(filter_match(fl, sup) && !filter_match(fl, sg), "and keeps only them");
	sup->status = ST_SUPPRESSED;
	filter_free(fl);
	fl = filter_compile("status:all", &err);
	ok(fl != NULL && filter_wants_resolved(fl) && filter_wants_suppressed(fl),
	    "status:all asks for both");
	sup->status = ST_RESOLVED;
	ok(filter_match(fl, sup) && filter_match(fl, sg), "and keeps every status");
	sup->status = ST_SUPPRESSED;
	filter_free(fl);

	/* resolvedby: the event that resolved a finding; it asks for resolved ones. */
	{
		struct event ev;

		memset(&ev, 0, sizeof ev);
		ev.id = (char *)"revert-0001";
		ev.name = (char *)"DeleteBucketPolicy";
		ev.time_ms = 1716801300000LL;
		finding_resolve(sup, RR_REVERTED_BY_HAND, &ev, 0);
		fl = filter_compile("resolvedby:revert-0001", &err);
		ok(fl != NULL && filter_wants_resolved(fl) && !filter_wants_suppressed(fl),
		    "resolvedby: asks for resolved findings");
		ok(filter_match(fl, sup) && !filter_match(fl, sg),
		    "and keeps the one that event resolved, not one open");
		filter_free(fl);
		fl = filter_compile("resolvedby:revert-0002", &err);
		ok(fl != NULL && !filter_match(fl, sup), "another event's id: not it");
		filter_free(fl);
		fl = filter_compile("-resolvedby:revert-0001", &err);
		ok(fl != NULL && !filter_wants_resolved(fl) && filter_match(fl, sg) && !filter_match(fl, sup),
		    "negated: every other one, and it does not ask for resolved ones");
		filter_free(fl);
		finding_resolution_free(sup->resolution);
		sup->resolution = NULL;
		sup->status = ST_SUPPRESSED;
	}

	sg->event_time_ms = 1716801243000LL;        /* 09:14:03 */
	test_items_and_times(sg);
	finding_free(sg);
	finding_free(un);
	finding_free(sup);
	return done_testing();
}
