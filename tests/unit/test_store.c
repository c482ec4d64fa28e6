/* store: schema and migrations, upserts, triage decisions and how they apply, the JSON
 * round trip, and the failure modes (corrupt, locked, read-only, full disk, a -wal without
 * its -shm, EIO). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "finding.h"
#include "freeze.h"
#include "store.h"
#include "util.h"
#include "tap.h"

#define T0 1716804000000LL      /* 2024-05-27T10:00:00Z */
#define HOUR 3600000LL

static char tmpdir[256];
/* `test_store --pg`: the cases that need no file run on PostgreSQL, each in a schema of its
 * own of the database TFDRIFT_TEST_PG_STORE_URI names (tests/pg/test_store_pg.sh starts a
 * cluster and gives the password in PGPASSWORD). */
static const char *pg_uri;

static void
skip(const char *what, const char *why)
{
	tap_n++;
	printf("ok %d - %s # SKIP %s\n", tap_n, what, why);
}

/* Run sql on PostgreSQL at uri: the first value of the first row (heap; "" for none), or
 * NULL on an error. */
static char *
pg_query(const char *uri, const char *sql)
{
	PGconn *c = PQconnectdb(uri);
	PGresult *r;
	char *v = NULL;

	if (PQstatus(c) == CONNECTION_OK) {
		PQclear(PQexec(c, "SET client_min_messages = warning"));
		r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK)
			v = xstrdup(PQntuples(r) > 0 && !PQgetisnull(r, 0, 0) ? PQgetvalue(r, 0, 0) : "");
		else
			diag("%s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	} else
		diag("%s", PQerrorMessage(c));
	PQfinish(c);
	return v;
}

static char *
tpath(const char *name)
{
	char schema[64], *sql, *r;
	size_t i;

	if (pg_uri == NULL)
		return xasprintf("%s/%s", tmpdir, name);
	/* A schema of its own: "triage.db" is t_triage_db. */
	snprintf(schema, sizeof schema, "t_%s", name);
	for (i = 0; schema[i] != '\0'; i++)
		if (!((schema[i] >= 'a' && schema[i] <= 'z') || (schema[i] >= '0' && schema[i] <= '9')))
			schema[i] = '_';
	sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s", schema, schema);
	free(pg_query(pg_uri, sql));
	free(sql);
	r = xasprintf("%s%soptions=-csearch_path%%3D%s", pg_uri, strchr(pg_uri, '?') ? "&" : "?",
	    schema);
	return r;
}

/* Run SQL on the store's own database, whichever back end. */
static void
q_exec(struct store *st, const char *sql)
{
	if (pg_uri != NULL)
		free(pg_query(store_location(st), sql));
	else
		sqlite3_exec(store_sqlite(st), sql, NULL, NULL, NULL);
}

static int
contains(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

static struct finding *
mk(const char *event_id, enum finding_kind kind, const char *address, const char *type,
    const char *rid, const char *actor, const char *event_name, int64_t t)
{
	struct finding *f = xcalloc(1, sizeof *f);

	f->kind = kind;
	f->severity = SEV_MEDIUM;
	f->provider = PROV_AWS;
	f->address = xstrdup(address);
	f->type = xstrdup(type);
	f->resource_id = xstrdup(rid);
	f->state_source = address != NULL ? xstrdup("prod.tfstate") : NULL;
	f->actor.name = xstrdup(actor);
	f->actor.principal = actor != NULL ? xasprintf("arn:aws:iam::111122223333:user/%s", actor) : NULL;
	f->actor.type = xstrdup("IAMUser");
	f->actor.via = VIA_CLI;
	f->event_id = xstrdup(event_id);
	f->event_name = xstrdup(event_name);
	f->event_source = xstrdup("ec2.amazonaws.com");
	f->region = xstrdup("eu-west-1");
	f->account = xstrdup("111122223333");
	f->event_time_ms = t;
	if (kind == FK_MODIFIED)
		finding_add_change(f, "instance_type", json_object_new_string("t3.micro"),
		    json_object_new_string("t3.large"), CH_MODIFIED, 0);
	finding_summarize(f);
	finding_set_id(f);
	return f;
}

static char *
to_js(const struct finding *f)
{
	json_object *o = finding_to_json(f);
	char *s = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

/* finding_to_json -> text -> parse -> finding_from_json -> finding_to_json: same bytes. */
static int
round_trips(const struct finding *f, char **why)
{
	char *a = to_js(f), *b = NULL;
	json_object *o = json_tokener_parse(a);
	struct finding *g = finding_from_json(o, why);
	int same;

	if (g != NULL)
		b = to_js(g);
	same = b != NULL && strcmp(a, b) == 0;
	if (!same && b != NULL)
		diag("before: %s\n# after:  %s", a, b);
	json_object_put(o);
	finding_free(g);
	free(a);
	free(b);
	return same;
}

static void
test_round_trip(void)
{
	struct finding *f = mk("e-1", FK_MODIFIED, "module.app.aws_instance.web[\"a/b\"]", "aws_instance",
	    "i-0abc", "bob", "ModifyInstanceAttribute", T0 + 123);
	struct finding *u = mk("e-2", FK_UNMANAGED, NULL, "aws_security_group", "sg-1", NULL,
	    "CreateSecurityGroup", 0);
	json_object *set = json_tokener_parse("[\"tcp 22-22 0.0.0.0/0\", {\"n\": 1.10, \"big\": 9007199254740993, "
	    "\"neg\": -0.5e-3, \"u\": \"\\u00e9\\n\\\"q\\\"\"}]");
	json_object *bad;
	char *why = NULL;

	f->module = xstrdup("module.app");
	f->actor.role = xstrdup("Admin");
	f->actor.session = xstrdup("bob@corp.example");
	f->actor.invoked_by = xstrdup("cloudformation.amazonaws.com");
	f->actor.delegation = xstrdup("a -> b");
	f->source_ip = xstrdup("203.0.113.9");
	f->user_agent = xstrdup("aws-cli/2.15.0");
	finding_add_change(f, "password", json_object_new_string("hunter2"), json_object_new_string("hunter3"),
	    CH_MODIFIED, 1);
	finding_add_change(f, "ingress", NULL, set, CH_ADDED, 0);
	finding_add_change(f, "tags", json_tokener_parse("{\"env\":\"prod\"}"), NULL, CH_REMOVED, 0);
	finding_add_change(f, "count", json_object_new_int64(3), json_object_new_double(2.5), CH_MODIFIED, 0);
	finding_add_change(f, "user_data", json_object_new_string("3c0f"), NULL, CH_MODIFIED, 0);
	f->changes[f->nchanges - 1].unknown_new = 1;
	f->rules = xcalloc(2, sizeof *f->rules);
	f->rules[0].id = xstrdup("sg-open-ssh");
	f->rules[0].name = xstrdup("SSH open to the world");
	f->rules[0].severity = SEV_CRITICAL;
	f->rules[1].id = xstrdup("r2");
	f->nrules = 2;
	finding_summarize(f);
	f->status = ST_SUPPRESSED;
	f->triage = xcalloc(1, sizeof *f->triage);
	f->triage->by = xstrdup("alice");
	f->triage->note = xstrdup("known, \"ticket\" OPS-1");
	f->triage->at_ms = T0 + 5;
	f->triage->until_ms = T0 + HOUR;

	ok(round_trips(f, &why), "round trip of a modified finding (sensitive, sets, numbers, rules, triage) "
	    "is byte-identical%s%s", why ? ": " : "", why ? why : "");
	free(why);
	why = NULL;
	ok(round_trips(u, &why), "round trip of an unmanaged finding (no address, no time)");
	free(why);
	why = NULL;
	u->kind = FK_DELETED;
	u->address = xstrdup("aws_security_group.x");
	u->provider = PROV_GCP;
	u->actor.via = VIA_UNKNOWN;
	ok(round_trips(u, &why), "round trip of a deleted GCP finding");
	free(why);
	why = NULL;
	{
		char *js = to_js(f);
		json_object *o = json_tokener_parse(js);
		struct finding *g = finding_from_json(o, &why);

		ok(g != NULL && g->nchanges == 6 && g->changes[1].sensitive && g->changes[1].old_val == NULL,
		    "masked values come back masked (sensitive, no value)");
		ok(g != NULL && g->nchanges == 6 && g->changes[5].unknown_new && !g->changes[4].unknown_new,
		    "\"the log does not carry the new value\" comes back");
		ok(!contains(js, "hunter"), "the JSON never holds a sensitive value");
		ok(g != NULL && g->triage != NULL && g->triage->until_ms == T0 + HOUR && g->event_time_ms == T0 + 123,
		    "times come back to the millisecond");
		finding_free(g);
		json_object_put(o);
		free(js);
	}

	bad = json_tokener_parse("{\"id\":\"x\",\"kind\":\"sideways\",\"severity\":\"low\"}");
	ok(finding_from_json(bad, &why) == NULL && contains(why, "finding.kind"), "unknown kind refused: %s", why);
	json_object_put(bad);
	free(why);
	why = NULL;
	bad = json_tokener_parse("{\"id\":\"x\",\"kind\":\"modified\",\"severity\":\"low\",\"status\":\"open\","
	    "\"provider\":\"aws\",\"resource\":{\"address\":42}}");
	ok(finding_from_json(bad, &why) == NULL && contains(why, "finding.resource.address"),
	    "a wrong type names the member: %s", why);
	json_object_put(bad);
	free(why);
	why = NULL;
	bad = json_tokener_parse("{\"kind\":\"modified\"}");
	ok(finding_from_json(bad, &why) == NULL && contains(why, "finding.id"), "a missing id is refused");
	json_object_put(bad);
	free(why);
	why = NULL;
	bad = json_tokener_parse("{\"id\":\"x\",\"kind\":\"modified\",\"severity\":\"low\",\"status\":\"open\","
	    "\"provider\":\"aws\",\"event\":{\"time\":\"yesterday\"}}");
	ok(finding_from_json(bad, &why) == NULL && contains(why, "finding.event.time"), "a bad time is refused");
	json_object_put(bad);
	free(why);
	finding_free(f);
	finding_free(u);
}

static int64_t
q_int(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (pg_uri != NULL) {
		char *t = pg_query(st != NULL ? store_location(st) : pg_uri, sql);

		v = t == NULL ? -2 : *t == '\0' ? -1 : strtoll(t, NULL, 10);
		free(t);
		return v;
	}
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK)
		return -2;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* SQL turning a store of this schema into what schema 9 had: one findings table with the
 * status, resolved_at, resolution and last_seen columns (schema 10 keeps them in
 * finding_status, and findings is a view). */
#define TO_SCHEMA_9 "DROP VIEW findings; ALTER TABLE finding_rows RENAME TO findings;" \
	" ALTER TABLE findings ADD COLUMN last_seen INTEGER NOT NULL DEFAULT 0;" \
	" ALTER TABLE findings ADD COLUMN status TEXT NOT NULL DEFAULT 'open'" \
	" CHECK (status IN ('open', 'resolved'));" \
	" ALTER TABLE findings ADD COLUMN resolved_at INTEGER;" \
	" ALTER TABLE findings ADD COLUMN resolution TEXT;" \
	" UPDATE findings SET (last_seen, status, resolved_at, resolution) = (SELECT s.last_seen," \
	" s.status, s.resolved_at, (SELECT x.json FROM finding_resolutions x" \
	" WHERE x.id = s.resolution) FROM finding_status s WHERE s.id = findings.id);" \
	" DROP TABLE finding_status; DROP TABLE finding_resolutions;" \
	" CREATE INDEX findings_status ON findings (status, event_time);" \
	" UPDATE meta SET value = 9 WHERE key = 'schema_version';"
/* ... into what schema 7 had: no worker leases nor notification claims (schema 9), the JSON
 * back in its column (schema 8 keeps it in finding_bodies). Tests that go further back
 * start with it. */
#define TO_SCHEMA_7 TO_SCHEMA_9 "DROP TABLE leases; DROP TABLE notify_claims;" \
	" ALTER TABLE findings ADD COLUMN json TEXT NOT NULL DEFAULT '';" \
	" UPDATE findings SET json = (SELECT json FROM finding_bodies b WHERE b.id = findings.id);" \
	" DROP TABLE finding_bodies; CREATE INDEX findings_last_seen ON findings (last_seen);" \
	" UPDATE meta SET value = 7 WHERE key = 'schema_version';"

static char *
q_text(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	char *v = NULL;

	if (pg_uri != NULL)
		return pg_query(store_location(st), sql);
	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK)
		return NULL;
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != NULL)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return v;
}

static void
test_schema(void)
{
	char *path = tpath("deep/er/tfdrift.db"), *dir = tpath("deep/er"), *err = NULL, *jm;
	struct store *st = NULL;
	struct stat sb;
	sqlite3 *db;

	ok(store_open(path, 0, &st, &err) == 0 && st != NULL, "a new store opens: %s", err ? err : "");
	ok(stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
	    "its parent directories are created with mode 0700");
	is_int(store_schema_version(st), STORE_SCHEMA_VERSION, "schema version");
	ok(store_readonly_reason(st) == NULL, "writable");
	jm = q_text(st, "PRAGMA journal_mode");
	is_str(jm, "wal", "journal_mode is WAL");
	free(jm);
	is_int(q_int(st, "PRAGMA synchronous"), 2, "synchronous is FULL");
	is_int(q_int(st, "PRAGMA foreign_keys"), 1, "foreign keys on");
	ok(sqlite3_threadsafe() == 0 || sqlite3_db_mutex(store_sqlite(st)) == NULL,
	    "opened without SQLite's connection mutex (one connection per thread)");
	is_int(q_int(st, "SELECT value FROM meta WHERE key = 'schema_version'"), STORE_SCHEMA_VERSION,
	    "meta records the schema version");
	ok(q_int(st, "SELECT value FROM meta WHERE key = 'created'") > 0, "meta records when it was created");
	is_int(q_int(st, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
	    "('finding_rows', 'finding_status', 'decisions', 'cursors', 'meta')"), 5,
	    "tables finding_rows, finding_status, decisions, cursors, meta");
	is_int(q_int(st, "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name ="
	    " 'findings'"), 1, "a view findings joins the rows and their status");
	ok(q_int(st, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'findings_event_time'") == 1,
	    "an index on event time");
	store_close(st);

	st = NULL;
	ok(store_open(path, 0, &st, &err) == 0 && store_schema_version(st) == STORE_SCHEMA_VERSION,
	    "it reopens at the same version");
	is_int(q_int(st, "SELECT count(*) FROM meta WHERE key = 'schema_version'"), 1,
	    "reopening does not duplicate the bookkeeping");
	/* Pretend a newer tfdrift wrote it. */
	sqlite3_exec(store_sqlite(st), "UPDATE meta SET value = 99 WHERE key = 'schema_version'", NULL, NULL, NULL);
	store_close(st);
	st = NULL;
	ok(store_open(path, 0, &st, &err) == -1 && st == NULL, "a store with a newer schema is refused");
	ok(contains(err, "schema version 99") && contains(err, "newer tfdrift") && contains(err, path),
	    "saying so, with the path: %s", err);
	free(err);
	err = NULL;
	free(path);

	/* An SQLite database that is not a store. */
	path = tpath("other.db");
	sqlite3_open(path, &db);
	sqlite3_exec(db, "CREATE TABLE people (name TEXT)", NULL, NULL, NULL);
	sqlite3_close(db);
	ok(store_open(path, 0, &st, &err) == -1 && contains(err, "not a tfdrift store"),
	    "another application's database is refused: %s", err);
	free(err);
	err = NULL;
	free(path);

	path = tpath("missing.db");
	ok(store_open(path, STORE_NOCREATE, &st, &err) == -1 && contains(err, "no store there yet"),
	    "STORE_NOCREATE: a missing store is an error");
	ok(access(path, F_OK) != 0, "and nothing was created");
	free(err);
	err = NULL;
	free(path);
	free(dir);
}

/* Dashboard preferences: saved views and columns, set, replaced, listed, deleted; a store
 * of the previous schema upgrades when opened writable and is read as it is read-only. */
static void
test_prefs(void)
{
	char *path = tpath("prefs.db"), *err = NULL, *v = NULL;
	struct store *st = NULL;
	struct strlist keys = { 0 };

	ok(store_open(path, 0, &st, &err) == 0, "a store for preferences: %s", err ? err : "");
	is_int(store_pref_get(st, "view:mine", &v, &err), 0, "no preference yet");
	ok(v == NULL, "and no value");
	ok(store_pref_set(st, "view:mine", "{\"view\":\"events\"}", "tester", 1000, &err) == 0 &&
	    store_pref_set(st, "view:alpha", "{}", "tester", 1000, &err) == 0 &&
	    store_pref_set(st, "columns:findings", "sev,time", "tester", 1000, &err) == 0,
	    "three saved: %s", err ? err : "");
	ok(store_pref_set(st, "view:mine", "{\"view\":\"actors\"}", "tester", 2000, &err) == 0,
	    "one replaced");
	is_int(store_pref_get(st, "view:mine", &v, &err), 1, "read back");
	is_str(v, "{\"view\":\"actors\"}", "the newest value");
	free(v);
	v = NULL;
	ok(store_pref_keys(st, "view:", &keys, &err) == 0 && keys.n == 2, "listed by prefix");
	ok(keys.n == 2 && strcmp(keys.v[0], "view:alpha") == 0 && strcmp(keys.v[1], "view:mine") == 0,
	    "in order, only the prefix's");
	strlist_clear(&keys);
	ok(store_pref_set(st, "view:mine", NULL, "tester", 3000, &err) == 0 &&
	    store_pref_get(st, "view:mine", &v, &err) == 0, "a NULL value deletes it");
	/* Back to the previous schema, as an older tfdrift left it. */
	sqlite3_exec(store_sqlite(st), TO_SCHEMA_7 "DROP TABLE ui_prefs; DROP TABLE events_seen;"
	    " DROP INDEX findings_status;"
	    " ALTER TABLE findings DROP COLUMN status; ALTER TABLE findings DROP COLUMN resolved_at;"
	    " ALTER TABLE findings DROP COLUMN state_lineage;"
	    " ALTER TABLE findings DROP COLUMN state_serial; ALTER TABLE findings DROP COLUMN"
	    " event_source; ALTER TABLE findings DROP COLUMN changes; ALTER TABLE findings DROP"
	    " COLUMN resolution; UPDATE meta SET value = 3 WHERE key = "
	    "'schema_version'", NULL, NULL, NULL);
	store_close(st);
	st = NULL;
	ok(store_open(path, STORE_RDONLY, &st, &err) == 0 && store_schema_version(st) == 3,
	    "a schema 3 store still opens read-only, as it is: %s", err ? err : "");
	is_int(store_pref_get(st, "columns:findings", &v, &err), 0, "it has no preferences");
	ok(store_pref_set(st, "view:x", "{}", "tester", 1, &err) == -1 && contains(err, "schema version 3"),
	    "and cannot keep one, saying why: %s", err ? err : "");
	free(err);
	err = NULL;
	store_close(st);
	st = NULL;
	ok(store_open(path, 0, &st, &err) == 0 && store_schema_version(st) == STORE_SCHEMA_VERSION,
	    "opened writable it is upgraded");
	ok(store_pref_set(st, "view:x", "{}", "tester", 1, &err) == 0, "and keeps preferences");
	store_close(st);
	free(path);
}

/* Resolutions: an update (not a second row), never undone by the same finding open again;
 * resolved outranks triage, which is kept; the state's lineage and serial read back. */
static void
test_resolutions(void)
{
	char *path = tpath("resolve.db"), *err = NULL;
	struct store *st;
	struct finding_list l = { 0 }, back = { 0 };
	struct finding *f, *open_again;
	struct event ev;
	unsigned mask;

	ok(store_open(path, 0, &st, &err) == 0, "store opened");
	f = mk("r-1", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0);
	f->state_lineage = xstrdup("lin-1");
	f->state_serial = 7;
	open_again = finding_dup(f);
	finding_list_push(&l, f);
	ok(store_put_findings(st, &l, &err) == 0, "open finding stored");
	ok(store_ack(st, f->id, "alice", "looking", T0 + 1, NULL, &err) == 0, "acknowledged");
	memset(&ev, 0, sizeof ev);
	ev.id = "r-2";
	ev.name = "ModifyInstanceAttribute";
	ev.time_ms = T0 + 60000;
	ev.actor.name = "carol";
	ev.actor.principal = "arn:aws:iam::111122223333:user/carol";
	finding_resolve(f, RR_REVERTED_BY_HAND, &ev, ev.time_ms);
	ok(store_put_findings(st, &l, &err) == 0, "resolved finding stored");
	is_int(store_count_findings(st, &err), 1, "an update: still one row");
	is_int(q_int(st, "SELECT count(*) FROM findings WHERE status = 'resolved'"), 1,
	    "status column resolved");
	is_int(q_int(st, "SELECT resolved_at FROM findings"), T0 + 60000, "resolved_at");
	finding_list_clear(&l);
	finding_list_push(&l, open_again);
	ok(store_put_findings(st, &l, &err) == 0, "the same finding, open, stored again");
	is_int(q_int(st, "SELECT count(*) FROM findings WHERE status = 'resolved'"), 1,
	    "it stays resolved");
	finding_list_clear(&l);
	ok(store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &back, &err) == 0 &&
	    back.n == 1, "read back");
	if (back.n == 1) {
		f = back.v[0];
		is_int(f->status, ST_RESOLVED, "resolved outranks acknowledged");
		ok(f->triage != NULL && f->triage->by != NULL && strcmp(f->triage->by, "alice") == 0,
		    "the triage is kept");
		ok(f->resolution != NULL && f->resolution->reason == RR_REVERTED_BY_HAND &&
		    f->resolution->event_id != NULL && strcmp(f->resolution->event_id, "r-2") == 0 &&
		    f->resolution->has_actor && strcmp(f->resolution->actor.name, "carol") == 0,
		    "the resolution: reason, event, actor");
		ok(f->state_lineage != NULL && strcmp(f->state_lineage, "lin-1") == 0 &&
		    f->state_serial == 7, "lineage and serial read back");
	}
	finding_list_clear(&back);
	ok(store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_UNRESOLVED, &back, &err) == 0 &&
	    back.n == 0, "not among the unresolved");
	finding_list_clear(&back);
	ok(store_status_parse("resolved", &mask) == 0 && mask == STORE_STATUS_RESOLVED,
	    "--status resolved parses");
	ok(store_status_parse("all", &mask) == 0 && (mask & STORE_STATUS_RESOLVED),
	    "all includes resolved");
	store_close(st);
	free(path);
}

/* Upsert keeps first_seen, moves last_seen, replaces the rest; one row per finding. */
static void
test_upsert(void)
{
	char *path = tpath("upsert.db"), *err = NULL, *js;
	struct store *st;
	struct finding_list l = { 0 }, back = { 0 };
	struct finding *f;
	int rc;

	store_open(path, 0, &st, &err);
	finding_list_push(&l, mk("e-1", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0));
	finding_list_push(&l, mk("e-2", FK_UNMANAGED, NULL, "aws_security_group", "sg-9", "carol",
	    "CreateSecurityGroup", T0 - HOUR));
	setenv("TFDRIFT_NOW", "2024-06-01T00:00:00Z", 1);
	ok(store_put_findings(st, &l, &err) == 0, "findings stored");
	l.v[0]->severity = SEV_HIGH;
	setenv("TFDRIFT_NOW", "2024-06-02T00:00:00Z", 1);
	ok(store_put_findings(st, &l, &err) == 0, "stored again");
	is_int(store_count_findings(st, &err), 2, "still one row per finding");
	is_int(q_int(st, "SELECT first_seen FROM findings WHERE event_name = 'ModifyInstanceAttribute'"),
	    1717200000000LL, "first_seen kept");
	is_int(q_int(st, "SELECT last_seen FROM findings WHERE event_name = 'ModifyInstanceAttribute'"),
	    1717286400000LL, "last_seen updated");
	js = q_text(st, "SELECT severity FROM findings WHERE event_name = 'ModifyInstanceAttribute'");
	is_str(js, "high", "the rest replaced");
	free(js);
	unsetenv("TFDRIFT_NOW");

	rc = store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &back, &err);
	ok(rc == 0 && back.n == 2, "both read back");
	if (back.n == 2) {
		char *a = to_js(l.v[0]), *b = to_js(back.v[1]);

		is_str(back.v[0]->id, l.v[1]->id, "ordered by event time");
		is_str(b, a, "the stored finding reads back identical");
		free(a);
		free(b);
	}
	finding_list_clear(&back);
	rc = store_load_findings(st, T0 - 60000, T0 + 60000, STORE_STATUS_ALL, &back, &err);
	ok(rc == 0 && back.n == 1 && back.v[0]->event_time_ms == T0, "a time window selects by event time");
	finding_list_clear(&back);

	/* A stored row that no longer parses is reported, not dropped silently or fatal. */
	q_exec(st, "INSERT INTO finding_rows (id, first_seen, event_time, kind, "
	    "severity) VALUES ('broken', 1, 5, 'modified', 'low');"
	    "INSERT INTO finding_status (id, last_seen) VALUES ('broken', 1);"
	    "INSERT INTO finding_bodies (id, json) VALUES ('broken', '{\"id\": 7')");
	rc = store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &back, &err);
	ok(rc == 1 && back.n == 2 && contains(err, "finding broken") && contains(err, path),
	    "an unreadable row is skipped and reported: %s", err);
	free(err);
	err = NULL;
	finding_list_clear(&back);
	/* A row whose body is missing (schema 8 keeps it apart): the same. */
	q_exec(st, "DELETE FROM finding_bodies WHERE id = 'broken';"
	    " INSERT INTO finding_rows (id, first_seen, event_time, kind, severity)"
	    " VALUES ('bodiless', 1, 6, 'modified', 'low');"
	    " INSERT INTO finding_status (id, last_seen) VALUES ('bodiless', 1)");
	rc = store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &back, &err);
	ok(rc == 2 && back.n == 2 && contains(err, "finding broken") && contains(err, "no JSON"),
	    "rows without a body are skipped and reported: %s", err);
	free(err);
	err = NULL;
	finding_list_clear(&back);
	q_exec(st, "DELETE FROM finding_status WHERE id = 'bodiless';"
	    " DELETE FROM finding_rows WHERE id = 'bodiless'");

	/* Prefix lookup. */
	f = l.v[0];
	{
		char pre[9], *id = NULL;

		memcpy(pre, f->id, 8);
		pre[8] = '\0';
		ok(store_find_finding(st, pre, &id, &err) == 0 && id && strcmp(id, f->id) == 0,
		    "a finding found by a prefix of its id");
		free(id);
		id = NULL;
		ok(store_find_finding(st, f->id, &id, &err) == 0 && id && strcmp(id, f->id) == 0, "and by its id");
		free(id);
		id = NULL;
		ok(store_find_finding(st, "ffffffffnope", &id, &err) == -1 && contains(err, "no finding"),
		    "an unknown id is an error");
		free(err);
		err = NULL;
		ok(store_find_finding(st, "b", &id, &err) == -1, "a 1-character prefix is not enough");
		free(err);
		err = NULL;
	}

	/* Cursors. */
	{
		char *v = NULL;

		ok(store_cursor_get(st, "aws:111122223333:eu-west-1", &v, &err) == 0 && v == NULL, "no cursor yet");
		ok(store_cursor_set(st, "aws:111122223333:eu-west-1", "2024-05-27T10:00:00Z", &err) == 0 &&
		    store_cursor_set(st, "aws:111122223333:eu-west-1", "2024-05-27T11:00:00Z", &err) == 0,
		    "cursor saved twice");
		ok(store_cursor_get(st, "aws:111122223333:eu-west-1", &v, &err) == 1, "cursor read");
		is_str(v, "2024-05-27T11:00:00Z", "the newest value");
		free(v);
	}
	store_close(st);
	finding_list_clear(&l);
	free(path);
}

static enum finding_status
status_at(struct store *st, struct finding *f, int64_t now)
{
	char *err = NULL;

	if (store_apply_triage(st, f, now, &err) != 0) {
		diag("apply: %s", err);
		free(err);
		return (enum finding_status)-1;
	}
	return f->status;
}

static void
test_triage(void)
{
	char *path = tpath("triage.db"), *err = NULL, *rk;
	struct store *st;
	struct finding *a = mk("e-a", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0);
	struct finding *b = mk("e-b", FK_MODIFIED, "module.net.aws_security_group.web", "aws_security_group",
	    "sg-1", "carol", "AuthorizeSecurityGroupIngress", T0);
	struct finding *c = mk("e-c", FK_UNMANAGED, NULL, "aws_s3_bucket", "logs-bucket", "dave",
	    "CreateBucket", T0);
	struct finding *d = mk("e-d", FK_DELETED, "aws_iam_role.ci", "aws_iam_role", "ci", "erin",
	    "DeleteRole", T0);
	struct finding *e = mk("e-e", FK_MODIFIED, "aws_instance.other", "aws_instance", "i-2", "frank",
	    "StopInstances", T0);
	struct finding_list l = { 0 }, got = { 0 };
	struct store_decision *dv = NULL;
	struct store_triage *snap = NULL;
	int64_t ack1, ack2, sup, und, x;
	size_t nd = 0;

	d->rules = xcalloc(1, sizeof *d->rules);
	d->rules[0].id = xstrdup("iam-role-deleted");
	d->nrules = 1;
	store_open(path, 0, &st, &err);
	finding_list_push(&l, a);
	finding_list_push(&l, b);
	finding_list_push(&l, c);
	finding_list_push(&l, d);
	finding_list_push(&l, e);
	store_put_findings(st, &l, &err);

	is_int(status_at(st, a, T0), ST_OPEN, "open before any decision");
	ok(store_ack(st, a->id, "alice", "known change", T0 + 1000, &ack1, &err) == 0 && ack1 > 0,
	    "ack committed (decision %lld)", (long long)ack1);
	is_int(status_at(st, a, T0 + 2000), ST_ACKNOWLEDGED, "ack: acknowledged");
	ok(a->triage != NULL && a->triage->at_ms == T0 + 1000 && a->triage->until_ms == 0,
	    "triage says when");
	is_str(a->triage ? a->triage->by : NULL, "alice", "triage says who");
	is_str(a->triage ? a->triage->note : NULL, "known change", "triage carries the note");
	is_int(status_at(st, b, T0 + 2000), ST_OPEN, "ack touches only its finding");
	store_ack(st, a->id, "bob", "second look", T0 + 3000, &ack2, &err);
	status_at(st, a, T0 + 4000);
	is_str(a->triage ? a->triage->note : NULL, "second look", "the newest ack wins");

	/* resource: the address, or type:id when unmanaged */
	rk = store_resource_key(c);
	is_str(rk, "aws_s3_bucket:logs-bucket", "resource key of an unmanaged resource");
	ok(store_suppress(st, SCOPE_RESOURCE, b->address, 0, "alice", NULL, T0, &sup, &err) == 0,
	    "suppress a resource by address");
	is_int(status_at(st, b, T0 + 1), ST_SUPPRESSED, "suppress by resource (address)");
	ok(b->triage != NULL && b->triage->until_ms == 0, "forever: no end");
	store_suppress(st, SCOPE_RESOURCE, rk, 0, "alice", NULL, T0, NULL, &err);
	is_int(status_at(st, c, T0 + 1), ST_SUPPRESSED, "suppress by resource (type:id, unmanaged)");
	free(rk);
	store_suppress(st, SCOPE_RULE, "iam-role-deleted", 0, "alice", "ci rotates it", T0, NULL, &err);
	is_int(status_at(st, d, T0 + 1), ST_SUPPRESSED, "suppress by rule id");
	is_int(status_at(st, e, T0 + 1), ST_OPEN, "other findings stay open");
	store_suppress(st, SCOPE_ACTOR, "frank", T0 + HOUR, "alice", NULL, T0, &x, &err);
	is_int(status_at(st, e, T0 + 1), ST_SUPPRESSED, "suppress by actor name");
	ok(e->triage != NULL && e->triage->until_ms == T0 + HOUR, "with its end time");
	is_int(status_at(st, e, T0 + HOUR - 1), ST_SUPPRESSED, "still suppressed just before the end");
	is_int(status_at(st, e, T0 + HOUR), ST_OPEN, "expired suppressions lapse by themselves (until <= now)");
	ok(e->triage == NULL, "and the triage goes with it");
	store_suppress(st, SCOPE_ACTOR, e->actor.principal, 0, "alice", NULL, T0, NULL, &err);
	is_int(status_at(st, e, T0 + 2 * HOUR), ST_SUPPRESSED, "suppress by actor principal");

	/* Suppress beats ack, even a newer ack. */
	store_suppress(st, SCOPE_EVENT_NAME, "ModifyInstanceAttribute", T0 + HOUR, "carol", "noise", T0 + 4000, &sup, &err);
	store_ack(st, a->id, "bob", "newer ack", T0 + 5000, NULL, &err);
	is_int(status_at(st, a, T0 + 6000), ST_SUPPRESSED, "suppress by event name beats a newer ack");
	is_str(a->triage ? a->triage->note : NULL, "noise", "the suppression's triage shows");
	is_int(status_at(st, a, T0 + 2 * HOUR), ST_ACKNOWLEDGED, "once it expires the ack shows again");
	is_str(a->triage ? a->triage->note : NULL, "newer ack", "the newest ack");

	/* An expired newer suppression does not hide an older one that still holds. */
	store_suppress(st, SCOPE_FINDING, a->id, 0, "carol", "forever", T0 + 7000, NULL, &err);
	store_suppress(st, SCOPE_FINDING, a->id, T0 + 9000, "carol", "short", T0 + 8000, NULL, &err);
	is_int(status_at(st, a, T0 + 8500), ST_SUPPRESSED, "suppress by finding id");
	is_str(a->triage ? a->triage->note : NULL, "short", "the newest one in force");
	status_at(st, a, T0 + 9500);
	is_str(a->triage ? a->triage->note : NULL, "forever", "an older one still in force after the newer expired");

	/* Undo */
	ok(store_list_decisions(st, &dv, &nd, &err) == 0 && nd > 0, "decisions listed");
	x = dv[nd - 1].id;
	store_decisions_free(dv, nd);
	ok(store_undo(st, x, "carol", T0 + 70, &und, &err) == 0 && und > x, "undo committed");
	store_undo(st, x - 1, "carol", T0 + 70, NULL, &err);
	is_int(status_at(st, a, T0 + 2 * HOUR), ST_ACKNOWLEDGED, "undone suppressions no longer count");
	ok(store_undo(st, x, "carol", T0 + 80, NULL, &err) == -1 && contains(err, "already undone"),
	    "undoing twice is refused: %s", err);
	free(err);
	err = NULL;
	ok(store_undo(st, und, "carol", T0 + 80, NULL, &err) == -1 && contains(err, "itself an undo"),
	    "an undo cannot be undone");
	free(err);
	err = NULL;
	ok(store_undo(st, 99999, "carol", T0 + 80, NULL, &err) == -1 && contains(err, "no decision 99999"),
	    "an unknown decision is refused");
	free(err);
	err = NULL;
	store_undo(st, ack1, "carol", T0 + 90, NULL, &err);
	store_undo(st, ack2, "carol", T0 + 90, NULL, &err);
	ok(store_list_decisions(st, &dv, &nd, &err) == 0, "listed again");
	{
		size_t i, nundone = 0;

		for (i = 0; i < nd; i++)
			if (dv[i].id == ack1 && dv[i].undone_by != 0 && dv[i].action == SA_ACK)
				nundone++;
		is_int(nundone, 1, "a decision shows what undid it");
		is_int(dv[nd - 1].action, SA_UNDO, "undo rows are decisions too");
		is_int(dv[nd - 1].undoes, ack2, "and say what they undo");
	}
	store_decisions_free(dv, nd);
	is_int(status_at(st, a, T0 + 2 * HOUR), ST_ACKNOWLEDGED, "the newest ack not undone still holds");
	is_str(a->triage ? a->triage->note : NULL, "newer ack", "which is the one not undone");

	ok(store_suppress(st, SCOPE_ACTOR, "x", T0 - 1, "a", NULL, T0, NULL, &err) == -1,
	    "a suppression ending in the past is refused");
	free(err);
	err = NULL;
	ok(store_suppress(st, SCOPE_ACTOR, "", 0, "a", NULL, T0, NULL, &err) == -1, "an empty value is refused");
	free(err);
	err = NULL;

	/* The snapshot and the status filter of store_load_findings. */
	ok(store_triage_snapshot(st, &snap, &err) == 0 && store_triage_count(snap) > 0, "snapshot");
	store_triage_free(snap);
	setenv("TFDRIFT_NOW", "2024-05-27T12:00:00Z", 1);
	store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_SUPPRESSED, &got, &err);
	is_int(got.n, 4, "load: the suppressed ones (b, c, d, e)");
	ok(got.n > 0 && got.v[0]->triage != NULL, "with their triage");
	finding_list_clear(&got);
	store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ACKNOWLEDGED, &got, &err);
	ok(got.n == 1 && strcmp(got.v[0]->id, a->id) == 0, "load: the acknowledged one");
	finding_list_clear(&got);
	store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_OPEN, &got, &err);
	is_int(got.n, 0, "load: none open");
	finding_list_clear(&got);
	unsetenv("TFDRIFT_NOW");
	{
		unsigned m;

		ok(store_status_parse("open,suppressed", &m) == 0 && m == (STORE_STATUS_OPEN | STORE_STATUS_SUPPRESSED),
		    "status list parses");
		ok(store_status_parse("all", &m) == 0 && m == STORE_STATUS_ALL, "all");
		ok(store_status_parse("closed", &m) != 0, "an unknown status is refused");
	}
	store_close(st);
	finding_list_clear(&l);
	free(path);
}

/* store_count_status against counting what store_load_findings reads (the slow path), at
 * each kind of decision: none, those the columns answer, and a rule or actor (read). */
static void
count_agrees(struct store *st, const size_t want[ST__COUNT], const char *what)
{
	size_t fast[ST__COUNT], slow[ST__COUNT] = { 0 }, i;
	struct finding_list all = { 0 };
	char *err = NULL;
	int64_t now = tf_now_ms();

	ok(store_count_status(st, now, fast, &err) == 0, "count by status: %s", what);
	store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &all, &err);
	for (i = 0; i < all.n; i++)
		slow[all.v[i]->status]++;
	finding_list_clear(&all);
	free(all.v);
	ok(memcmp(fast, slow, sizeof fast) == 0 && memcmp(fast, want, sizeof fast) == 0,
	    "%s: %zu open, %zu acked, %zu suppressed, %zu resolved (read: %zu %zu %zu %zu)", what,
	    fast[0], fast[1], fast[2], fast[3], slow[0], slow[1], slow[2], slow[3]);
	free(err);
}

static void
test_count_status(void)
{
	char *path = tpath("count.db"), *err = NULL;
	struct store *st;
	struct finding_list l = { 0 };
	struct finding *a = mk("c-a", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0);
	struct finding *b = mk("c-b", FK_MODIFIED, "aws_security_group.web", "aws_security_group",
	    "sg-1", "carol", "AuthorizeSecurityGroupIngress", T0);
	struct finding *c = mk("c-c", FK_UNMANAGED, NULL, "aws_s3_bucket", "logs", "dave",
	    "CreateBucket", T0);
	struct finding *d = mk("c-d", FK_DELETED, "aws_iam_role.ci", "aws_iam_role", "ci", "erin",
	    "DeleteRole", T0);
	struct finding *e = mk("c-e", FK_MODIFIED, "aws_instance.old", "aws_instance", "i-2", "frank",
	    "StopInstances", T0);
	int64_t rule, actor;
	size_t want[ST__COUNT] = { 4, 0, 0, 1 };

	d->rules = xcalloc(1, sizeof *d->rules);
	d->rules[0].id = xstrdup("iam-role-deleted");
	d->nrules = 1;
	finding_resolve(e, RR_RESOURCE_GONE, NULL, T0 + 1);
	finding_list_push(&l, a);
	finding_list_push(&l, b);
	finding_list_push(&l, c);
	finding_list_push(&l, d);
	finding_list_push(&l, e);
	ok(store_open(path, 0, &st, &err) == 0 && store_put_findings(st, &l, &err) == 0, "stored");
	count_agrees(st, want, "no decisions");
	store_ack(st, a->id, "alice", NULL, T0, NULL, &err);
	want[ST_OPEN]--, want[ST_ACKNOWLEDGED]++;
	count_agrees(st, want, "an ack");
	store_suppress(st, SCOPE_RESOURCE, "aws_s3_bucket:logs", 0, "alice", NULL, T0, NULL, &err);
	store_suppress(st, SCOPE_EVENT_NAME, "ModifyInstanceAttribute", 0, "alice", NULL, T0, NULL,
	    &err);
	store_suppress(st, SCOPE_RESOURCE, "aws_instance.old", 0, "alice", NULL, T0, NULL, &err);
	want[ST_OPEN]--, want[ST_ACKNOWLEDGED]--, want[ST_SUPPRESSED] += 2;
	count_agrees(st, want, "resource and event name suppressions (resolved stays resolved)");
	store_suppress(st, SCOPE_RULE, "iam-role-deleted", 0, "alice", NULL, T0, &rule, &err);
	want[ST_OPEN]--, want[ST_SUPPRESSED]++;
	count_agrees(st, want, "a rule suppression (read)");
	store_undo(st, rule, "alice", T0 + 1, NULL, &err);
	store_suppress(st, SCOPE_ACTOR, "carol", 0, "alice", NULL, T0, &actor, &err);
	count_agrees(st, want, "an actor suppression (read)");
	store_undo(st, actor, "alice", T0 + 1, NULL, &err);
	want[ST_OPEN]++, want[ST_SUPPRESSED]--;
	count_agrees(st, want, "both undone");
	store_close(st);
	finding_list_clear(&l);
	free(l.v);
	free(err);
	free(path);
}

static int
copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[8192];
	size_t n;
	int rc = in != NULL && out != NULL ? 0 : -1;

	while (rc == 0 && (n = fread(buf, 1, sizeof buf, in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = -1;
	if (in != NULL)
		fclose(in);
	if (out != NULL && fclose(out) != 0)
		rc = -1;
	return rc;
}

/* What re-evaluation reads of a finding, as text: the same for store_load_reevaluable's
 * light finding and store_load_findings' whole one. */
static char *
reeval_fields(const struct finding *f)
{
	struct strbuf sb;
	size_t i;

	sb_init(&sb);
	sb_addf(&sb, "%s %d %d %s %s %s %s %s %s %llu %lld", f->id, (int)f->kind, (int)f->provider,
	    f->address ? f->address : "-", f->type ? f->type : "-",
	    f->resource_id ? f->resource_id : "-", f->event_name ? f->event_name : "-",
	    f->event_source ? f->event_source : "-", f->state_lineage ? f->state_lineage : "-",
	    (unsigned long long)f->state_serial, (long long)f->event_time_ms);
	for (i = 0; f->kind == FK_MODIFIED && i < f->nchanges; i++) {
		const struct change *c = &f->changes[i];

		sb_addf(&sb, " [%s %d %d %d %s ", c->attribute, (int)c->change, c->sensitive,
		    c->unknown_new, c->old_val ? json_object_to_json_string(c->old_val) : "absent");
		sb_addf(&sb, "%s]", c->new_val ? json_object_to_json_string(c->new_val) : "absent");
	}
	return sb.buf;
}

/* Every unresolved finding of st, light and whole, agree on what re-evaluation reads. */
static void
light_agrees(struct store *st, size_t want, const char *what)
{
	struct finding_list light = { 0 }, whole = { 0 };
	char *err = NULL;
	size_t i, j, same = 0;

	ok(store_load_reevaluable(st, &light, &err) == 0, "%s: read for re-evaluation", what);
	store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_UNRESOLVED, &whole, &err);
	for (i = 0; i < light.n; i++)
		for (j = 0; j < whole.n; j++)
			if (strcmp(light.v[i]->id, whole.v[j]->id) == 0) {
				char *a = reeval_fields(light.v[i]), *b = reeval_fields(whole.v[j]);

				if (strcmp(a, b) == 0)
					same++;
				else
					diag("light: %s\n# whole: %s", a, b);
				free(a);
				free(b);
			}
	ok(light.n == want && whole.n == want && same == want,
	    "%s: %zu light, %zu whole, %zu the same", what, light.n, whole.n, same);
	finding_list_clear(&light);
	finding_list_clear(&whole);
	free(light.v);
	free(whole.v);
	free(err);
}

/* Every finding of both stores (with the same findings) exported: the same bytes. */
static int
same_export(struct store *a, struct store *b)
{
	struct finding_list la = { 0 }, lb = { 0 };
	char *err = NULL;
	size_t i;
	int same;

	store_load_findings(a, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &la, &err);
	store_load_findings(b, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &lb, &err);
	same = la.n == lb.n && la.n > 0;
	for (i = 0; same && i < la.n; i++) {
		char *x = to_js(la.v[i]), *y = to_js(lb.v[i]);

		if (strcmp(x, y) != 0) {
			diag("apart: %s\n# whole: %s", x, y);
			same = 0;
		}
		free(x);
		free(y);
	}
	finding_list_clear(&la);
	finding_list_clear(&lb);
	free(la.v);
	free(lb.v);
	free(err);
	return same;
}

/* Re-evaluation's columns (schema 7): filled by saves, and by the migration for a store of
 * schema 6 in place; resolutions saved apart read back as when saved whole. */
static void
test_reevaluable(void)
{
	char *path = tpath("reeval.db"), *old = tpath("reeval-old.db"), *err = NULL;
	struct store *st, *os;
	struct finding_list l = { 0 }, res = { 0 }, whole = { 0 };
	struct finding *a = mk("v-a", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0);
	struct finding *b = mk("v-b", FK_UNMANAGED, NULL, "aws_s3_bucket", "logs", "dave",
	    "CreateBucket", T0 + 1);
	struct finding *c = mk("v-c", FK_DELETED, "aws_iam_role.ci", "aws_iam_role", "ci", "erin",
	    "DeleteRole", T0 + 2);
	struct finding *d = mk("v-d", FK_MODIFIED, "aws_instance.old", "aws_instance", "i-2", "frank",
	    "StopInstances", T0 + 3);
	struct finding *e = mk("v-e", FK_MODIFIED, "aws_instance.db", "aws_instance", "i-3", "gus",
	    "ModifyInstanceAttribute", T0 + 4);
	char rest_id[2][33];
	size_t i, nrest;

	/* Values of every kind, a masked one and one the log does not carry. */
	finding_add_change(a, "tags", json_tokener_parse("{\"env\":\"prod\",\"n\":1.5,\"u\":\"\\u00e9/x\"}"),
	    json_tokener_parse("{\"env\":\"dev\",\"list\":[1,true,null]}"), CH_MODIFIED, 0);
	finding_add_change(a, "password", json_object_new_string("s3cret"),
	    json_object_new_string("hunter2"), CH_MODIFIED, 1);
	finding_add_change(e, "user_data", json_object_new_string("x"), NULL, CH_MODIFIED, 0);
	e->changes[e->nchanges - 1].unknown_new = 1;
	a->state_lineage = xstrdup("lin-1");
	a->state_serial = 7;
	c->state_lineage = xstrdup("lin-1");
	c->state_serial = 3;
	finding_resolve(d, RR_RESOURCE_GONE, NULL, T0 + 10);
	finding_list_push(&l, a);
	finding_list_push(&l, b);
	finding_list_push(&l, c);
	finding_list_push(&l, d);
	finding_list_push(&l, e);
	ok(store_open(path, 0, &st, &err) == 0 && store_put_findings(st, &l, &err) == 0,
	    "findings saved");
	is_int(store_schema_version(st), STORE_SCHEMA_VERSION, "the newest schema");
	light_agrees(st, 4, "saved");
	store_close(st);

	/* The same store as schema 6 had it: without the columns. */
	ok(copy_file(path, old) == 0, "a copy");
	ok(store_open(old, 0, &os, &err) == 0 && sqlite3_exec(store_sqlite(os),
	    TO_SCHEMA_7 "ALTER TABLE findings DROP COLUMN resolution; ALTER TABLE findings DROP COLUMN changes;"
	    " ALTER TABLE findings DROP COLUMN event_source;"
	    " UPDATE meta SET value = 6 WHERE key = 'schema_version'", NULL, NULL, NULL) == SQLITE_OK,
	    "made schema 6");
	store_close(os);
	ok(store_open(old, 0, &os, &err) == 0 && store_schema_version(os) == STORE_SCHEMA_VERSION,
	    "schema 6 migrates in place to the newest");
	is_int(q_int(os, "SELECT count(*) FROM findings WHERE changes IS NOT NULL"), 5,
	    "every row's changes filled");
	light_agrees(os, 4, "migrated");

	/* Resolve a and c as re-evaluation does: whole in one store, apart in the migrated one. */
	ok(store_open(path, 0, &st, &err) == 0, "reopened");
	store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_UNRESOLVED, &whole, &err);
	store_load_reevaluable(os, &res, &err);
	for (i = 0; i < whole.n; i++)
		if (strcmp(whole.v[i]->id, a->id) == 0 || strcmp(whole.v[i]->id, c->id) == 0) {
			finding_resolve(whole.v[i], RR_ACCEPTED_IN_STATE, NULL, T0 + 20);
			whole.v[i]->resolution->state_path = xstrdup("s3://b/prod.tfstate");
			whole.v[i]->resolution->state_serial = 8;
		}
	for (i = 0; i < res.n; i++)
		if (strcmp(res.v[i]->id, a->id) == 0 || strcmp(res.v[i]->id, c->id) == 0) {
			finding_resolve(res.v[i], RR_ACCEPTED_IN_STATE, NULL, T0 + 20);
			res.v[i]->resolution->state_path = xstrdup("s3://b/prod.tfstate");
			res.v[i]->resolution->state_serial = 8;
		}
	ok(store_put_findings(st, &whole, &err) == 0, "resolutions saved whole");
	ok(store_put_resolutions(os, &res, &err) == 0, "resolutions saved apart");
	is_int(q_int(os, "SELECT count(*) FROM findings WHERE status = 'resolved'"), 3,
	    "the status column says resolved");
	ok(same_export(st, os), "both read back the same, byte for byte");
	/* The same store as schema 9 kept it (one findings table, a resolution saved apart in
	 * its column), upgraded in place again: equal resolutions kept once, the same export. */
	store_close(os);
	os = NULL;
	{
		char *p9 = xasprintf("%s-9", old);
		struct store *s9 = NULL;

		ok(copy_file(old, p9) == 0 && store_open(p9, 0, &s9, &err) == 0 &&
		    sqlite3_exec(store_sqlite(s9), TO_SCHEMA_9, NULL, NULL, NULL) == SQLITE_OK,
		    "made schema 9");
		is_int(q_int(s9, "SELECT count(*) FROM findings WHERE resolution IS NOT NULL"), 2,
		    "schema 9: the resolutions apart in their column");
		store_close(s9);
		s9 = NULL;
		ok(store_open(p9, 0, &s9, &err) == 0 && store_schema_version(s9) ==
		    STORE_SCHEMA_VERSION, "schema 9 migrates in place to the newest: %s",
		    err ? err : "");
		is_int(q_int(s9, "SELECT count(*) FROM finding_resolutions"), 1,
		    "the equal resolutions kept once");
		is_int(q_int(s9, "SELECT count(*) FROM finding_status WHERE status = 'resolved'"), 3,
		    "the status table says resolved");
		ok(same_export(st, s9), "and it reads back the same, byte for byte");
		store_close(s9);
		free(p9);
	}
	ok(store_open(old, 0, &os, &err) == 0, "the migrated store reopened");
	light_agrees(os, 2, "after the resolutions");
	finding_list_clear(&res);
	store_load_reevaluable(os, &res, &err);
	/* Resolutions that differ from one row to the next (store_put_resolutions reuses the
	 * JSON of equal ones): each row gets its own. */
	ok(res.n == 2, "two left to resolve: %zu", res.n);
	for (i = 0; i < res.n && i < 2; i++) {
		finding_resolve(res.v[i], RR_RESOURCE_GONE, NULL, T0 + 30 + (int64_t)(i % 2));
		memcpy(rest_id[i], res.v[i]->id, sizeof rest_id[i]);
	}
	ok(store_put_resolutions(os, &res, &err) == 0 &&
	    q_int(os, "SELECT count(*) FROM findings WHERE status = 'resolved'") == 5,
	    "the rest resolved");
	finding_list_clear(&res);
	store_load_findings(os, INT64_MIN, INT64_MAX, STORE_STATUS_RESOLVED, &res, &err);
	ok(res.n == 5, "all read back resolved");
	nrest = 0;
	for (i = 0; i < res.n; i++) {
		if (strcmp(res.v[i]->id, a->id) == 0)
			ok(res.v[i]->resolution->reason == RR_ACCEPTED_IN_STATE &&
			    res.v[i]->resolution->at_ms == T0 + 20, "a resolved row stays as it was");
		for (size_t k = 0; k < 2; k++)
			if (strcmp(res.v[i]->id, rest_id[k]) == 0 &&
			    res.v[i]->resolution->reason == RR_RESOURCE_GONE &&
			    res.v[i]->resolution->at_ms == T0 + 30 + (int64_t)(k % 2))
				nrest++;
	}
	is_int(nrest, 2, "each of the rest has its own resolution (another time each)");
	/* A resolution column that does not read back: the row is skipped and said. */
	sqlite3_exec(store_sqlite(os), "INSERT INTO finding_resolutions (id, json)"
	    " VALUES (1000, '{\"reason\":1}'); UPDATE finding_status SET resolution = 1000"
	    " WHERE id = (SELECT id FROM findings WHERE resolution IS NOT NULL"
	    " ORDER BY event_time LIMIT 1)", NULL, NULL, NULL);
	finding_list_clear(&res);
	free(err);
	err = NULL;
	ok(store_load_findings(os, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &res, &err) == 1 &&
	    res.n == 4 && contains(err, "cannot read it back"), "a bad resolution: skipped, said: %s",
	    err);
	/* Open rows whose changes do not read back: left out of re-evaluation, counted, said. */
	sqlite3_exec(store_sqlite(os), "INSERT INTO finding_rows (id, first_seen, event_time,"
	    " kind, severity, provider, changes) VALUES ('badchanges', 1, 7, 'modified', 'low',"
	    " 'aws', '{\"not\": \"changes\"}'), ('nochanges', 1, 8, 'modified', 'low', 'aws',"
	    " NULL); INSERT INTO finding_status (id, last_seen) VALUES ('badchanges', 1),"
	    " ('nochanges', 1)", NULL, NULL, NULL);
	finding_list_clear(&res);
	free(err);
	err = NULL;
	ok(store_load_reevaluable(os, &res, &err) == 2 && res.n == 0 &&
	    contains(err, "finding badchanges: cannot read it back"),
	    "re-evaluation: rows whose changes do not read back are counted and said: %s", err);
	store_close(st);
	store_close(os);
	finding_list_clear(&res);
	finding_list_clear(&whole);
	finding_list_clear(&l);
	free(res.v);
	free(whole.v);
	free(l.v);
	free(err);
	free(path);
	free(old);
}

/* Suppression values that can match nothing are refused, by the store itself (the CLI and
 * the dashboard both go through it). */
static void
test_scope_values(void)
{
	static const struct {
		enum store_scope scope;
		const char *value;
		int want;
	} cases[] = {
		{ SCOPE_RESOURCE, "aws_instance.web", 0 },
		{ SCOPE_RESOURCE, "module.app.aws_instance.web[\"a:b\"]", 0 },
		{ SCOPE_RESOURCE, "module.net[0].module.sg[\"x\"].aws_security_group.web[3]", 0 },
		{ SCOPE_RESOURCE, "data.aws_ami.ubuntu", 0 },
		{ SCOPE_RESOURCE, "aws_s3_bucket:logs-bucket", 0 },
		{ SCOPE_RESOURCE, "aws_iam_role:arn:aws:iam::111122223333:role/ci", 0 },
		{ SCOPE_RESOURCE, "google_compute_instance:projects/p/zones/z/instances/vm", 0 },
		{ SCOPE_RESOURCE, ":", -1 },
		{ SCOPE_RESOURCE, "aws_instance:", -1 },
		{ SCOPE_RESOURCE, ":i-0abc", -2 },
		{ SCOPE_RESOURCE, "", -1 },
		{ SCOPE_RESOURCE, "web", -1 },
		{ SCOPE_RESOURCE, "aws_instance.", -1 },
		{ SCOPE_RESOURCE, ".web", -1 },
		{ SCOPE_RESOURCE, "aws_instance.web.extra", -1 },
		{ SCOPE_RESOURCE, "aws_instance.web[\"a\"", -1 },
		{ SCOPE_RESOURCE, "aws_instance.web[]", -1 },
		{ SCOPE_RESOURCE, "module..aws_instance.web", -1 },
		{ SCOPE_RESOURCE, " aws_instance.web", -1 },
		{ SCOPE_RESOURCE, "aws_instance.web ", -1 },
		{ SCOPE_RESOURCE, "aws instance:i-1", -1 },
		{ SCOPE_ACTOR, "bob", 0 },
		{ SCOPE_ACTOR, "arn:aws:iam::111122223333:user/bob", 0 },
		{ SCOPE_ACTOR, "", -1 },
		{ SCOPE_ACTOR, " ", -1 },
		{ SCOPE_ACTOR, "bob\n", -1 },
		{ SCOPE_RULE, "iam-role-deleted", 0 },
		{ SCOPE_RULE, "", -1 },
		{ SCOPE_EVENT_NAME, "ModifyInstanceAttribute", 0 },
		{ SCOPE_EVENT_NAME, "a\x1b[31m", -1 },
		{ SCOPE_EVENT_NAME, "", -1 },
		{ SCOPE_FINDING, "0123abcd", 0 },
		{ SCOPE_FINDING, "", -1 },
	};
	char *path = tpath("scopes.db"), *err = NULL;
	struct store *st = NULL;
	struct finding_list l = { 0 };
	struct store_decision *dv = NULL;
	size_t i, nd = 0;
	int rc;

	for (i = 0; i < TF_ARRLEN(cases); i++) {
		char shown[80];
		size_t k;

		/* The value as the test's name shows it: control characters as '?'. */
		snprintf(shown, sizeof shown, "%s", cases[i].value);
		for (k = 0; shown[k] != '\0'; k++)
			if ((unsigned char)shown[k] < 0x20)
				shown[k] = '?';
		rc = store_scope_check(cases[i].scope, cases[i].value, &err);
		ok(rc == cases[i].want && (rc == 0) == (err == NULL), "%s '%s': %s%s",
		    store_scope_name(cases[i].scope), shown, rc == 0 ? "accepted" : "refused: ",
		    err != NULL ? err : "");
		free(err);
		err = NULL;
	}
	ok(store_scope_check(SCOPE_RESOURCE, ":", &err) == -1 && contains(err, "TYPE:ID with both parts") &&
	    contains(err, "Terraform address"), "the message says what a resource is: %s", err);
	free(err);
	err = NULL;

	ok(store_open(path, 0, &st, &err) == 0, "a store for scope values");
	ok(store_suppress(st, SCOPE_RESOURCE, ":", 0, "alice", NULL, T0, NULL, &err) == -1 &&
	    contains(err, "resource"), "store_suppress refuses resource ':': %s", err);
	free(err);
	err = NULL;
	ok(store_suppress(st, SCOPE_ACTOR, "bob\t", 0, "alice", NULL, T0, NULL, &err) == -1,
	    "and an actor with a control character");
	free(err);
	err = NULL;
	ok(store_suppress(st, SCOPE_RESOURCE, ":i-0abc", 0, "alice", NULL, T0, NULL, &err) == -1 &&
	    contains(err, "no type"), "a key without a type that no stored finding has: %s", err);
	free(err);
	err = NULL;
	/* A tag change on a resource no event map types (resource "*") is keyed ":ID". */
	finding_list_push(&l, mk("e-tag", FK_UNMANAGED, NULL, NULL, "i-0abc", "bob", "CreateTags", T0));
	store_put_findings(st, &l, &err);
	ok(store_suppress(st, SCOPE_RESOURCE, ":i-0abc", 0, "alice", NULL, T0, NULL, &err) == 0,
	    "is accepted once a stored finding has it: %s", err ? err : "");
	is_int(status_at(st, l.v[0], T0 + 1), ST_SUPPRESSED, "and suppresses that finding");
	ok(store_list_decisions(st, &dv, &nd, &err) == 0 && nd == 1, "only the valid decision was saved");
	store_decisions_free(dv, nd);
	store_close(st);
	finding_list_clear(&l);
	free(path);
}

/* Resolved outranks triage: a decision that matches a resolved finding is recorded on it,
 * and the finding stays resolved; without its resolution it is open again (never half). */
static void
test_apply_resolved(void)
{
	char *path = tpath("resolved.db"), *err = NULL;
	struct store *st;
	struct store_triage *t;
	struct finding *f = mk("e-r", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0);
	struct finding_list l = { 0 };

	store_open(path, 0, &st, &err);
	finding_list_push(&l, mk("e-q", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1",
	    "bob", "ModifyInstanceAttribute", T0));
	store_put_findings(st, &l, &err);
	ok(store_suppress(st, SCOPE_RESOURCE, "aws_instance.web", 0, "alice", "noise", T0, NULL,
	    &err) == 0, "a suppression of the resource: %s", err ? err : "");
	store_triage_snapshot(st, &t, &err);
	store_triage_apply(t, f, T0 + 1);
	is_int(f->status, ST_SUPPRESSED, "an open finding on it is suppressed");
	finding_resolve(f, RR_REVERTED_BY_HAND, NULL, T0 + 2);
	store_triage_apply(t, f, T0 + 3);
	is_int(f->status, ST_RESOLVED, "once resolved it stays resolved");
	ok(f->triage != NULL && f->triage->by != NULL && strcmp(f->triage->by, "alice") == 0,
	    "with the suppression still recorded");
	finding_resolution_free(f->resolution);
	f->resolution = NULL;
	store_triage_apply(t, f, T0 + 4);
	is_int(f->status, ST_SUPPRESSED, "a resolved status without its resolution is not kept");
	store_triage_free(t);
	finding_free(f);
	finding_list_clear(&l);
	store_close(st);
	free(path);
}

/* 100,000 findings against a few thousand decisions: one snapshot, then cheap lookups. */
static void
test_apply_speed(void)
{
	char *path = tpath("speed.db"), *err = NULL;
	struct store *st;
	struct store_triage *t;
	struct finding *f = mk("e-0", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0);
	sqlite3 *db;
	struct timespec t0, t1;
	double ms;
	int i, n = 0;

	store_open(path, 0, &st, &err);
	db = store_sqlite(st);
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (i = 0; i < 5000; i++) {
		char *sql = xasprintf("INSERT INTO decisions (action, scope, value, \"by\", at) VALUES "
		    "('suppress', 'actor', 'user%d', 'a', %d)", i, i);

		sqlite3_exec(db, sql, NULL, NULL, NULL);
		free(sql);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	store_triage_snapshot(st, &t, &err);
	for (i = 0; i < 100000; i++) {
		free(f->actor.name);
		f->actor.name = xasprintf("user%d", i);
		store_triage_apply(t, f, T0);
		n += f->status == ST_SUPPRESSED;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	is_int(n, 5000, "the matching findings of 100,000 are suppressed");
	diag("snapshot of 5000 decisions + apply to 100,000 findings: %.1f ms", ms);
	ok(ms < 5000, "in well under a few seconds (even under sanitizers): %.0f ms", ms);
	store_triage_free(t);
	finding_free(f);
	store_close(st);
	free(path);
}

static void
write_file(const char *path, const void *p, size_t n, long offset)
{
	FILE *fp = fopen(path, offset < 0 ? "wb" : "r+b");

	if (fp == NULL)
		return;
	if (offset > 0)
		fseek(fp, offset, SEEK_SET);
	fwrite(p, 1, n, fp);
	fclose(fp);
}

/* Store 300 findings, close, overwrite every other page from page `from` with junk. Opening
 * fails with one message however it is opened (a command that reads the damaged pages and
 * one that does not, such as ack, must agree). */
static void
malformed(const char *name, int from)
{
	static const int how[] = { 0, STORE_NOCREATE, STORE_RDONLY };
	char *path = tpath(name), *err = NULL, *first = NULL, junk[4096];
	struct store *st = NULL;
	struct finding_list l = { 0 };
	size_t k;
	int i;

	store_open(path, 0, &st, &err);
	for (i = 0; i < 300; i++) {
		char eid[16];

		snprintf(eid, sizeof eid, "ev-%d", i);
		finding_list_push(&l, mk(eid, FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
		    "ModifyInstanceAttribute", T0 + i));
	}
	store_put_findings(st, &l, &err);
	store_close(st);   /* checkpoints the WAL into the file */
	st = NULL;
	memset(junk, 0x5a, sizeof junk);
	for (i = from; i < 120; i += 2)
		write_file(path, junk, sizeof junk, 4096L * i);
	for (k = 0; k < TF_ARRLEN(how); k++) {
		ok(store_open(path, how[k], &st, &err) == -1 && st == NULL, "%s: opening (flags %d) fails",
		    name, how[k]);
		if (k == 0) {
			ok(contains(err, path) && contains(err, "corrupt") && contains(err, "mv "),
			    "%s: with a clear message: %s", name, err);
			first = err;
		} else {
			is_str(err, first, "%s: the same message", name);
			free(err);
		}
		err = NULL;
		store_close(st);
		st = NULL;
	}
	free(first);
	finding_list_clear(&l);
	free(path);
}

static void
test_corrupt(void)
{
	char *path = tpath("garbage.db"), *err = NULL, junk[8192];
	struct store *st = NULL;
	int i;

	for (i = 0; i < (int)sizeof junk; i++)
		junk[i] = (char)("tfdrift garbage \x01\xff"[i % 18]);
	write_file(path, junk, sizeof junk, -1);
	ok(store_open(path, 0, &st, &err) == -1 && st == NULL, "a garbage file is refused");
	ok(contains(err, path) && contains(err, "corrupt or not an SQLite database") && contains(err, "mv "),
	    "with the path and what to do: %s", err);
	free(err);
	err = NULL;
	free(path);

	/* A real store with damaged pages: refused when opened, with one message, no crash. The
	 * first damages the schema's pages too, the second only the findings' data (which a
	 * decision never reads: ack used to be saved into such a store while export refused it). */
	malformed("malformed-early.db", 2);
	malformed("malformed-late.db", 24);
}

static void
test_locked(void)
{
	char *path = tpath("locked.db"), *err = NULL;
	struct store *st = NULL;
	struct finding_list l = { 0 }, back = { 0 };
	sqlite3 *other;
	int64_t id = 0;
	int rc;

	store_open(path, 0, &st, &err);
	finding_list_push(&l, mk("e-1", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0));
	store_put_findings(st, &l, &err);
	store_ack(st, l.v[0]->id, "alice", "before the lock", T0, NULL, &err);
	store_close(st);
	st = NULL;

	sqlite3_open(path, &other);
	rc = sqlite3_exec(other, "BEGIN EXCLUSIVE; INSERT INTO cursors VALUES ('x', 'y', 1)", NULL, NULL, NULL);
	ok(rc == SQLITE_OK, "another connection holds an exclusive lock");
	rc = store_open_ex(path, 0, 100, &st, &err);
	ok(rc == 0 && st != NULL, "the store still opens: %s", err ? err : "");
	ok(st != NULL && contains(store_readonly_reason(st), "locked by another process") &&
	    contains(store_readonly_reason(st), path), "read-only, saying why: %s",
	    st ? store_readonly_reason(st) : "");
	rc = store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &back, &err);
	ok(rc == 0 && back.n == 1 && back.v[0]->status == ST_ACKNOWLEDGED, "it can still be read, with triage");
	finding_list_clear(&back);
	ok(store_ack(st, l.v[0]->id, "alice", "during the lock", T0 + 1, &id, &err) == -1 &&
	    contains(err, "locked"), "a decision while locked fails clearly: %s", err);
	free(err);
	err = NULL;
	sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(other);
	ok(store_ack(st, l.v[0]->id, "alice", "after the lock", T0 + 2, &id, &err) == 0 && id > 0,
	    "once the lock is gone the next decision is saved");
	ok(store_readonly_reason(st) == NULL, "and the store is writable again");
	store_close(st);
	finding_list_clear(&l);
	free(path);
}

static int
run(const char *cmd)
{
	int rc = system(cmd);

	return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Fill the store until the disk is full; earlier decisions stay. */
static void
fill_until_full(struct store *st, const char *how)
{
	struct finding_list l = { 0 }, back = { 0 };
	char *err = NULL, *big = xmalloc(6000), eid[32];
	int i, rc = 0, round;
	const char *fid = NULL;
	int64_t id;
	int nsaved = 0;
	struct store_decision *dv = NULL;
	size_t nd = 0;

	memset(big, 'x', 5999);
	big[5999] = '\0';
	finding_list_push(&l, mk("keep", FK_MODIFIED, "aws_instance.keep", "aws_instance", "i-k", "bob",
	    "ModifyInstanceAttribute", T0));
	ok(store_put_findings(st, &l, &err) == 0, "%s: a finding stored", how);
	fid = l.v[0]->id;
	ok(store_ack(st, fid, "alice", "before the disk filled", T0, &id, &err) == 0, "%s: a decision saved", how);
	for (round = 0; round < 200 && rc == 0; round++) {
		struct finding_list more = { 0 };

		for (i = 0; i < 20; i++) {
			struct finding *f;

			snprintf(eid, sizeof eid, "fill-%d-%d", round, i);
			f = mk(eid, FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
			    "ModifyInstanceAttribute", T0 + round);
			finding_add_change(f, "user_data", NULL, json_object_new_string(big), CH_ADDED, 0);
			finding_list_push(&more, f);
		}
		rc = store_put_findings(st, &more, &err);
		finding_list_clear(&more);
	}
	ok(rc == -1, "%s: writing fails once the disk is full (after %d rounds)", how, round);
	ok(contains(err, "disk is full") && contains(err, store_path(st)) && contains(err, "free space"),
	    "%s: with the clear message: %s", how, err);
	ok(contains(store_readonly_reason(st), "disk is full"), "%s: the store says it is read-only now", how);
	free(err);
	err = NULL;
	/* Small writes may still fit for a while (each write tries); they fail clearly once
	 * nothing fits, and never leave half a decision. */
	for (i = 0, rc = 0; i < 5000 && rc == 0; i++)
		if ((rc = store_ack(st, fid, "alice", "after", T0 + 1 + i, NULL, &err)) == 0)
			nsaved++;
	ok(rc == -1 && contains(err, "disk is full"), "%s: small decisions fail too once nothing fits "
	    "(%d fitted): %s", how, nsaved, err);
	free(err);
	err = NULL;
	ok(store_list_decisions(st, &dv, &nd, &err) == 0 && nd == (size_t)nsaved + 1 &&
	    dv[0].note != NULL && strcmp(dv[0].note, "before the disk filled") == 0,
	    "%s: earlier decisions are intact, and only whole decisions were saved", how);
	if (dv != NULL)
		store_decisions_free(dv, nd);
	rc = store_load_findings(st, T0, T0, STORE_STATUS_ALL, &back, &err);
	ok(rc == 0 && back.n == 1 && back.v[0]->status == ST_ACKNOWLEDGED,
	    "%s: and the store can still be read", how);
	free(err);
	finding_list_clear(&back);
	finding_list_clear(&l);
	free(big);
}

static void
test_full_disk(void)
{
	char *dir = tpath("full"), *path, *cmd, *err = NULL;
	struct store *st = NULL;
	struct finding_list back = { 0 };
	int mounted = 0;

	mkdir(dir, 0700);
	cmd = xasprintf("mount -t tmpfs -o size=256k tmpfs '%s' 2>/dev/null", dir);
	if (geteuid() == 0 && run(cmd) == 0)
		mounted = 1;
	free(cmd);
	path = xasprintf("%s/tfdrift.db", dir);
	if (mounted) {
		if (store_open(path, 0, &st, &err) == 0) {
			fill_until_full(st, "tmpfs of 256k");
			store_close(st);
			st = NULL;
			/* Reopened on the full disk: still readable, decisions intact. */
			ok(store_open(path, 0, &st, &err) == 0, "reopens on the full disk: %s", err ? err : "");
			if (st != NULL) {
				store_load_findings(st, T0, T0, STORE_STATUS_ACKNOWLEDGED, &back, &err);
				is_int(back.n, 1, "the acknowledgement survived");
				finding_list_clear(&back);
				store_close(st);
			}
		} else
			ok(0, "store on a 256k tmpfs: %s", err);
		free(err);
		err = NULL;
		cmd = xasprintf("umount '%s'", dir);
		run(cmd);
		free(cmd);
	} else
		skip("full disk on a tiny tmpfs", "cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)");

	/* Everywhere: the same path through PRAGMA max_page_count. */
	free(path);
	path = tpath("maxpages.db");
	store_open(path, 0, &st, &err);
	sqlite3_exec(store_sqlite(st), "PRAGMA max_page_count = 40", NULL, NULL, NULL);
	fill_until_full(st, "max_page_count");
	store_close(st);
	free(path);
	free(dir);
}

static void
test_readonly_fs(void)
{
	char *dir = tpath("ro"), *path, *cmd, *err = NULL;
	struct store *st = NULL;
	struct finding_list l = { 0 }, back = { 0 };

	mkdir(dir, 0700);
	cmd = xasprintf("mount -t tmpfs -o size=1m tmpfs '%s' 2>/dev/null", dir);
	if (geteuid() != 0 || run(cmd) != 0) {
		free(cmd);
		skip("read-only filesystem", "cannot mount a tmpfs here (not root or no CAP_SYS_ADMIN)");
		free(dir);
		return;
	}
	free(cmd);
	path = xasprintf("%s/tfdrift.db", dir);
	store_open(path, 0, &st, &err);
	finding_list_push(&l, mk("e-1", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0));
	store_put_findings(st, &l, &err);
	store_ack(st, l.v[0]->id, "alice", "on a disk that became read-only", T0, NULL, &err);
	store_close(st);
	st = NULL;
	cmd = xasprintf("mount -o remount,ro '%s'", dir);
	ok(run(cmd) == 0, "filesystem remounted read-only");
	free(cmd);
	ok(store_open(path, 0, &st, &err) == 0, "a store on a read-only filesystem opens: %s", err ? err : "");
	ok(st != NULL && contains(store_readonly_reason(st), "read-only") &&
	    contains(store_readonly_reason(st), path), "read-only, saying why: %s",
	    st ? store_readonly_reason(st) : "");
	if (st != NULL) {
		store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &back, &err);
		ok(back.n == 1 && back.v[0]->status == ST_ACKNOWLEDGED, "its findings and decisions can be read");
		finding_list_clear(&back);
		ok(store_ack(st, l.v[0]->id, "alice", "x", T0 + 1, NULL, &err) == -1 && contains(err, "read-only"),
		    "a decision fails clearly: %s", err);
		free(err);
		err = NULL;
		store_close(st);
	}
	cmd = xasprintf("umount '%s'", dir);
	run(cmd);
	free(cmd);
	finding_list_clear(&l);
	free(path);
	free(dir);
}

static void
rm_rf(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);

	run(cmd);
	free(cmd);
}

/* Change-freeze windows: add, list (current / all), end, cancel, names, reopen, read-only. */
static void
test_freezes(void)
{
	char *path = tpath("freezes.db"), *err = NULL;
	struct store *st = NULL;
	struct freeze_window w, *v = NULL;
	size_t n = 0;
	int64_t id1 = 0, id2 = 0;
	int cancelled = -1;

	memset(&w, 0, sizeof w);
	ok(store_open(path, 0, &st, &err) == 0, "freezes: open %s", err ? err : "");
	w.name = xstrdup("cab");
	w.start_ms = T0;
	w.end_ms = T0 + 2 * HOUR;
	strlist_push(&w.accounts, "1111*");
	strlist_push(&w.resource_types, "aws_iam_*");
	ok(store_freeze_add(st, &w, "alice", T0, &id1, &err) == 0 && id1 > 0, "add a window %s",
	    err ? err : "");
	ok(store_freeze_add(st, &w, "bob", T0 + 1, NULL, &err) == -1 && contains(err, "already"),
	    "the same name while it is on is refused: %s", err);
	free(err);
	err = NULL;
	free(w.name);
	w.name = xstrdup("night");
	w.start_ms = T0 + 10 * HOUR;
	w.end_ms = T0 + 12 * HOUR;
	strlist_clear(&w.accounts);
	strlist_clear(&w.resource_types);
	strlist_push(&w.regions, "eu-*");
	ok(store_freeze_add(st, &w, "alice", T0, &id2, &err) == 0 && id2 > id1, "add a planned window");
	w.start_ms = T0 - 3 * HOUR;
	w.end_ms = T0 - 2 * HOUR;
	free(w.name);
	w.name = xstrdup("past");
	ok(store_freeze_add(st, &w, "alice", T0, NULL, &err) == -1 && contains(err, "not in the future"),
	    "a window that already ended is refused: %s", err);
	free(err);
	err = NULL;
	w.end_ms = w.start_ms;
	ok(store_freeze_add(st, &w, "alice", T0 - 4 * HOUR, NULL, &err) == -1 && contains(err, "not after"),
	    "end not after start is refused: %s", err);
	free(err);
	err = NULL;
	store_close(st);
	st = NULL;

	/* Survives a restart. */
	ok(store_open(path, STORE_NOCREATE, &st, &err) == 0, "reopen");
	ok(store_freeze_list(st, 0, T0 + HOUR, &v, &n, &err) == 0 && n == 2, "two current windows after reopening");
	if (n == 2) {
		is_str(v[0].name, "cab", "ordered by start");
		ok(v[0].start_ms == T0 && v[0].end_ms == T0 + 2 * HOUR, "times kept");
		ok(v[0].accounts.n == 1 && strcmp(v[0].accounts.v[0], "1111*") == 0 &&
		    v[0].resource_types.n == 1 && v[0].regions.n == 0 && v[0].projects.n == 0,
		    "scope kept");
		ok(v[0].origin == FO_STORE && v[0].id == id1, "origin and id");
		is_str(v[0].created_by, "alice", "created_by");
		is_int(v[0].created_ms, T0, "created_at");
		ok(v[1].regions.n == 1 && strcmp(v[1].regions.v[0], "eu-*") == 0, "region scope kept");
	}
	freeze_windows_free(v, n);
	v = NULL;
	ok(store_freeze_list(st, 0, T0 + 3 * HOUR, &v, &n, &err) == 0 && n == 1, "an ended window is not current");
	freeze_windows_free(v, n);
	v = NULL;

	/* End the active one now; cancel the planned one. */
	ok(store_freeze_end(st, "cab", "bob", T0 + HOUR, &cancelled, &err) == 0 && cancelled == 0,
	    "end an active window %s", err ? err : "");
	ok(store_freeze_end(st, "night", "bob", T0 + HOUR, &cancelled, &err) == 0 && cancelled == 1,
	    "a window not started yet is cancelled");
	ok(store_freeze_end(st, "cab", "bob", T0 + HOUR, NULL, &err) == -1 && contains(err, "no freeze window called cab"),
	    "ending it again fails: %s", err);
	free(err);
	err = NULL;
	ok(store_freeze_list(st, 0, T0 + HOUR, &v, &n, &err) == 0 && n == 0, "nothing current any more");
	freeze_windows_free(v, n);
	v = NULL;
	ok(store_freeze_list(st, 1, T0 + HOUR, &v, &n, &err) == 0 && n == 1 && v[0].end_ms == T0 + HOUR,
	    "--all lists the ended window with its new end, not the cancelled one");
	freeze_windows_free(v, n);
	v = NULL;
	free(w.name);
	w.name = xstrdup("cab");
	w.start_ms = T0 + 2 * HOUR;
	w.end_ms = T0 + 3 * HOUR;
	ok(store_freeze_add(st, &w, "alice", T0 + HOUR, NULL, &err) == 0, "an ended window's name may be reused");
	store_close(st);
	st = NULL;

	/* Read-only: listing works, writes fail with the reason. */
	ok(store_open(path, STORE_RDONLY, &st, &err) == 0, "open read-only");
	ok(store_freeze_list(st, 1, T0, &v, &n, &err) == 0 && n == 2, "list from a read-only store");
	freeze_windows_free(v, n);
	v = NULL;
	free(w.name);
	w.name = xstrdup("ro");
	ok(store_freeze_add(st, &w, "alice", T0 + HOUR, NULL, &err) == -1 && contains(err, "read-only"),
	    "add to a read-only store: %s", err);
	free(err);
	err = NULL;
	ok(store_freeze_end(st, "cab", "alice", T0 + HOUR, NULL, &err) == -1 && contains(err, "read-only"),
	    "end in a read-only store: %s", err);
	free(err);
	err = NULL;
	store_close(st);
	/* A window that starts this very millisecond is on: ended, not cancelled. */
	{
		struct freeze_window now_w;
		char *ipath = tpath("instant.db");
		int64_t t = T0 + 2 * HOUR;

		memset(&now_w, 0, sizeof now_w);
		now_w.name = "instant";
		now_w.start_ms = t;
		now_w.end_ms = t + HOUR;
		ok(store_open(ipath, 0, &st, &err) == 0 &&
		    store_freeze_add(st, &now_w, "bob", t, NULL, &err) == 0 &&
		    store_freeze_end(st, "instant", "bob", t, &cancelled, &err) == 0 && cancelled == 0,
		    "a window ended the millisecond it starts is ended, not cancelled: %s",
		    err ? err : "");
		ok(store_freeze_list(st, 1, t, &v, &n, &err) == 0 && n == 1 &&
		    v[0].end_ms == t + 1, "it stays in the list, one millisecond long");
		freeze_windows_free(v, n);
		v = NULL;
		ok(store_freeze_list(st, 0, t + 1, &v, &n, &err) == 0 && n == 0, "and is over");
		freeze_windows_free(v, n);
		v = NULL;
		store_close(st);
		free(ipath);
	}
	freeze_window_clear(&w);
	free(path);
}

/* ---- filesystem faults: every test that mounts unmounts in its cleanup, even on failure
 * (atexit), and skips with a message when it cannot mount (not root, no loop device). ---- */

static char *mounted[8];
static void unmount(const char *dir);

static void
unmount_all(void)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(mounted); i++)
		if (mounted[i] != NULL) {
			char *cmd = xasprintf("umount -l '%s' 2>/dev/null", mounted[i]);

			if (system(cmd) != 0)
				fprintf(stderr, "# could not unmount %s\n", mounted[i]);
			free(cmd);
			free(mounted[i]);
			mounted[i] = NULL;
		}
}

/* mount ARGS on dir (made first), remembered for unmount_all. 0 when mounted. */
static int
mount_on(const char *dir, const char *args)
{
	static int hooked;
	char *cmd;
	size_t i;
	int rc;

	if (geteuid() != 0)
		return -1;
	mkdir(dir, 0700);
	cmd = xasprintf("mount %s '%s' 2>/dev/null", args, dir);
	rc = run(cmd);
	free(cmd);
	if (rc != 0)
		return -1;
	if (!hooked) {
		atexit(unmount_all);
		hooked = 1;
	}
	for (i = 0; i < TF_ARRLEN(mounted); i++)
		if (mounted[i] == NULL) {
			mounted[i] = xstrdup(dir);
			break;
		}
	return 0;
}

static void
unmount(const char *dir)
{
	char *cmd = xasprintf("umount '%s'", dir);
	size_t i;

	if (run(cmd) != 0)
		diag("umount %s failed", dir);
	free(cmd);
	for (i = 0; i < TF_ARRLEN(mounted); i++)
		if (mounted[i] != NULL && strcmp(mounted[i], dir) == 0) {
			free(mounted[i]);
			mounted[i] = NULL;
		}
}

/* A read-only bind mount of dir on ro. 0 when made (unmounted again if half made). */
static int
ro_bind(const char *dir, const char *ro)
{
	char *args = xasprintf("--bind '%s'", dir), *cmd = xasprintf("mount -o remount,bind,ro '%s'", ro);
	int rc = -1;

	if (mount_on(ro, args) == 0) {
		if (run(cmd) == 0)
			rc = 0;
		else
			unmount(ro);
	}
	free(args);
	free(cmd);
	return rc;
}

/* Fill the filesystem holding dir until a write fails with ENOSPC (fill is the file). */
static int
fill_fs(const char *fill)
{
	char buf[4096];
	FILE *fp = fopen(fill, "w");
	int full = 0;

	if (fp == NULL)
		return -1;
	memset(buf, 'f', sizeof buf);
	setvbuf(fp, NULL, _IONBF, 0);
	while (fwrite(buf, 1, sizeof buf, fp) == sizeof buf)
		;
	full = errno == ENOSPC;
	/* The last partial block too. */
	while (fwrite(buf, 1, 1, fp) == 1)
		;
	fclose(fp);
	return full ? 0 : -1;
}

static char *
pragma1(struct store *st, const char *sql)
{
	sqlite3_stmt *s;
	char *r = NULL;

	if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK)
		return xstrdup(sqlite3_errmsg(store_sqlite(st)));
	if (sqlite3_step(s) == SQLITE_ROW)
		r = xstrdup((const char *)sqlite3_column_text(s, 0));
	else
		r = xstrdup(sqlite3_errmsg(store_sqlite(st)));
	sqlite3_finalize(s);
	return r;
}

/* Open path (flags) and count what it holds: findings by status and decisions. */
static int
census(const char *path, int flags, size_t *nack, size_t *nsup, size_t *ndec, char **reason,
    char **err)
{
	struct store *st = NULL;
	struct finding_list l = { 0 };
	struct store_decision *dv = NULL;
	size_t i;
	char *ic;

	*nack = *nsup = *ndec = 0;
	if (reason != NULL)
		*reason = NULL;
	if (store_open(path, flags, &st, err) != 0)
		return -1;
	if (store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &l, err) != 0 ||
	    store_list_decisions(st, &dv, ndec, err) != 0) {
		finding_list_clear(&l);
		store_close(st);
		return -1;
	}
	for (i = 0; i < l.n; i++) {
		*nack += l.v[i]->status == ST_ACKNOWLEDGED;
		*nsup += l.v[i]->status == ST_SUPPRESSED;
	}
	ic = pragma1(st, "PRAGMA integrity_check");
	if (strcmp(ic, "ok") != 0) {
		tf_err(err, "integrity_check: %s", ic);
		free(ic);
		store_decisions_free(dv, *ndec);
		finding_list_clear(&l);
		store_close(st);
		return -1;
	}
	free(ic);
	if (reason != NULL)
		*reason = xstrdup(store_readonly_reason(st));
	store_decisions_free(dv, *ndec);
	finding_list_clear(&l);
	store_close(st);
	return 0;
}

/* Three findings; the first acknowledged, the second suppressed by resource. */
static void
seed(struct store *st, struct finding_list *l, const char *tag)
{
	char eid[64], *err = NULL;
	int i;

	for (i = 0; i < 3; i++) {
		snprintf(eid, sizeof eid, "%s-%d", tag, i);
		finding_list_push(l, mk(eid, FK_MODIFIED, i == 1 ? "aws_instance.other" : "aws_instance.web",
		    "aws_instance", "i-1", "bob", "ModifyInstanceAttribute", T0 + i));
	}
	ok(store_put_findings(st, l, &err) == 0 &&
	    store_ack(st, l->v[0]->id, "alice", "seen", T0 + 10, NULL, &err) == 0 &&
	    store_suppress(st, SCOPE_RESOURCE, "aws_instance.other", 0, "alice", NULL, T0 + 11,
	    NULL, &err) == 0, "%s: three findings, an ack and a suppression saved %s", tag,
	    err ? err : "");
	free(err);
}

/* Failure 4: a store on a filesystem that was full before it was opened. Every command could
 * not even read it ("I/O error while trying to switch to WAL mode"). */
static void
test_full_before_open(void)
{
	char *dir = tpath("fullopen"), *path, *fill, *err = NULL, *reason = NULL;
	struct store *st = NULL;
	struct finding_list l = { 0 };
	size_t nack, nsup, ndec;
	int64_t id = 0;

	if (mount_on(dir, "-t tmpfs -o size=512k tmpfs") != 0) {
		skip("a store on a disk full before it is opened", "cannot mount a tmpfs here "
		    "(not root or no CAP_SYS_ADMIN)");
		free(dir);
		return;
	}
	path = xasprintf("%s/tfdrift.db", dir);
	fill = xasprintf("%s/fill", dir);
	store_open(path, 0, &st, &err);
	seed(st, &l, "full");
	store_close(st);
	st = NULL;
	ok(fill_fs(fill) == 0, "the filesystem is filled up (ENOSPC)");

	ok(census(path, 0, &nack, &nsup, &ndec, &reason, &err) == 0,
	    "the full store opens: %s", err ? err : "");
	ok(nack == 1 && nsup == 1 && ndec == 2, "with every decision (acknowledged %zu, suppressed "
	    "%zu, decisions %zu), integrity_check ok", nack, nsup, ndec);
	ok(contains(reason, "disk is full") && contains(reason, path) && contains(reason, "free space"),
	    "read-only, saying plainly why: %s", reason);
	free(reason);
	reason = NULL;
	free(err);
	err = NULL;
	ok(census(path, STORE_RDONLY, &nack, &nsup, &ndec, NULL, &err) == 0 && ndec == 2,
	    "--readonly opens it too: %s", err ? err : "");
	free(err);
	err = NULL;

	ok(store_open(path, STORE_NOCREATE, &st, &err) == 0, "opened for a decision");
	ok(st != NULL && store_may_write(st), "a write may be tried (a full disk passes)");
	ok(st != NULL && store_ack(st, l.v[2]->id, "alice", "while full", T0 + 20, &id, &err) == -1 &&
	    contains(err, "disk is full"), "a decision on the full disk is not saved, and says why: %s",
	    err);
	free(err);
	err = NULL;
	ok(st != NULL && contains(store_readonly_reason(st), "disk is full"),
	    "the store stays open, read-only");
	unlink(fill);
	ok(st != NULL && store_ack(st, l.v[2]->id, "alice", "space freed", T0 + 21, &id, &err) == 0 &&
	    id > 0, "once space is freed the same open store saves it: %s", err ? err : "");
	ok(st != NULL && store_readonly_reason(st) == NULL, "and is writable again");
	store_close(st);
	ok(census(path, 0, &nack, &nsup, &ndec, NULL, &err) == 0 && nack == 2 && ndec == 3,
	    "reopened: every decision, integrity_check ok %s", err ? err : "");
	free(err);
	unmount(dir);
	finding_list_clear(&l);
	free(fill);
	free(path);
	free(dir);
}

/* A writer that is killed before a checkpoint: its last commits stay in the -wal. */
static void
killed_writer(const char *path, struct finding_list *l)
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct store *st = NULL;
		char *err = NULL;

		if (store_open(path, 0, &st, &err) != 0)
			_exit(2);
		/* Nothing of these reaches the main file: only the -wal has them. */
		sqlite3_exec(store_sqlite(st), "PRAGMA wal_autocheckpoint = 0", NULL, NULL, NULL);
		if (store_put_findings(st, l, &err) != 0 ||
		    store_ack(st, l->v[0]->id, "alice", "in the wal", T0 + 10, NULL, &err) != 0 ||
		    store_suppress(st, SCOPE_ACTOR, "carol", 0, "alice", NULL, T0 + 11, NULL, &err) != 0 ||
		    store_ack(st, l->v[2]->id, "alice", "in the wal too", T0 + 12, NULL, &err) != 0)
			_exit(3);
		kill(getpid(), SIGKILL);
		_exit(4);
	}
	waitpid(pid, &status, 0);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "a writer saved decisions and was "
	    "killed before a checkpoint");
}

static int
count_dir(const char *dir, const char *prefix)
{
	char *cmd = xasprintf("ls -a '%s' | grep -c '^%s' > /dev/null", dir, prefix);
	int rc = run(cmd);

	free(cmd);
	return rc == 0;   /* 1 when something matches */
}

/* Failure 5: a read-only store with a -wal but no -shm (a backup that skipped the -shm).
 * SQLite cannot read the -wal in place, and the old fallback (immutable) ignored it: the
 * newest decisions were silently gone. */
static void
test_wal_without_shm(void)
{
	char *dir = tpath("walnoshm"), *ro = tpath("walnoshm-ro"), *path, *rpath, *p, *err = NULL;
	char *reason = NULL, *tmp = tpath("tmp"), *oldtmp = xstrdup(getenv("TMPDIR"));
	struct store *st = NULL;
	struct finding_list l = { 0 };
	struct stat sb;
	size_t nack, nsup, ndec;
	int bind, i;


	mkdir(dir, 0700);
	mkdir(tmp, 0700);
	path = xasprintf("%s/tfdrift.db", dir);
	for (i = 0; i < 3; i++) {
		char eid[16];

		snprintf(eid, sizeof eid, "wal-%d", i);
		finding_list_push(&l, mk(eid, FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1",
		    i == 1 ? "carol" : "bob", "ModifyInstanceAttribute", T0 + i));
	}
	store_open(path, 0, &st, &err);   /* an empty store, checkpointed */
	store_close(st);
	st = NULL;
	killed_writer(path, &l);
	p = xasprintf("%s-wal", path);
	ok(stat(p, &sb) == 0 && sb.st_size > 0, "its -wal holds them (%lld bytes)", (long long)sb.st_size);
	free(p);
	p = xasprintf("%s-shm", path);
	ok(unlink(p) == 0, "the -shm is removed (a backup that skipped it)");
	free(p);
	/* Read-only: a read-only bind mount as root (root ignores permissions), else chmod. */
	bind = geteuid() == 0;
	if (bind && ro_bind(dir, ro) != 0) {
		skip("-wal without -shm, read-only", "cannot make a read-only bind mount here");
		goto out;
	}
	if (!bind) {
		chmod(dir, 0500);
		free(ro);
		ro = xstrdup(dir);
	}
	rpath = xasprintf("%s/tfdrift.db", ro);
	setenv("TMPDIR", tmp, 1);

	ok(census(rpath, STORE_NOCREATE, &nack, &nsup, &ndec, &reason, &err) == 0,
	    "the read-only store opens: %s", err ? err : "");
	ok(nack == 2 && nsup == 1 && ndec == 3, "every decision of the -wal is shown (acknowledged "
	    "%zu of 2, suppressed %zu of 1, decisions %zu of 3), integrity_check ok", nack, nsup, ndec);
	ok(contains(reason, "read-only") && contains(reason, "-shm") && contains(reason, "copy"),
	    "the reason says it reads a copy, and why: %s", reason);
	free(reason);
	reason = NULL;
	free(err);
	err = NULL;
	ok(!count_dir(tmp, "tfdrift-store"), "the private copy is removed when the store is closed");
	ok(census(rpath, STORE_RDONLY, &nack, &nsup, &ndec, NULL, &err) == 0 && ndec == 3,
	    "--readonly shows them too %s", err ? err : "");
	free(err);
	err = NULL;
	ok(store_open(rpath, STORE_NOCREATE, &st, &err) == 0 && !store_may_write(st),
	    "no write is tried on a read-only directory");
	ok(st != NULL && store_ack(st, l.v[1]->id, "alice", "x", T0 + 30, NULL, &err) == -1 &&
	    contains(err, "read-only"), "a decision says read-only: %s", err);
	free(err);
	err = NULL;
	store_close(st);
	st = NULL;

	/* No room for a copy: refused, never a store with fewer decisions. */
	setenv("TMPDIR", "/nonexistent-tfdrift-test", 1);
	ok(store_open(rpath, STORE_NOCREATE, &st, &err) == -1 && st == NULL,
	    "with nowhere to copy it, it is refused");
	ok(contains(err, "-wal") && contains(err, "-shm") && contains(err, "restore"),
	    "saying why and what to do: %s", err);
	free(err);
	err = NULL;
	setenv("TMPDIR", tmp, 1);

	/* An empty -wal holds nothing: the main file alone is the whole store. */
	if (bind)
		unmount(ro);
	else
		chmod(dir, 0700);
	ok(census(path, 0, &nack, &nsup, &ndec, NULL, &err) == 0 && ndec == 3,
	    "writable again: the -wal is checkpointed, every decision kept %s", err ? err : "");
	free(err);
	err = NULL;
	p = xasprintf("%s-wal", path);
	close(open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600));
	free(p);
	if (bind)
		ro_bind(dir, ro);
	else
		chmod(dir, 0500);
	ok(census(rpath, STORE_NOCREATE, &nack, &nsup, &ndec, &reason, &err) == 0 && ndec == 3 &&
	    !contains(reason, "copy"), "an empty -wal and no -shm: read in place, every decision "
	    "%s", err ? err : "");
	free(reason);
	free(err);
	if (bind)
		unmount(ro);
	else
		chmod(dir, 0700);
	free(rpath);
out:
	if (oldtmp != NULL)
		setenv("TMPDIR", oldtmp, 1);
	else
		unsetenv("TMPDIR");
	free(oldtmp);
	finding_list_clear(&l);
	free(tmp);
	free(path);
	free(ro);
	free(dir);
}

/* A read-only bind mount of a store that a writer holds open through another mount: read
 * through the writer's -shm, and what the writer adds afterwards is seen too. */
static void
test_readonly_bind_live(void)
{
	char *dir = tpath("bindlive"), *ro = tpath("bindlive-ro"), *path, *rpath, *err = NULL;
	struct store *w = NULL, *r = NULL;
	struct finding_list l = { 0 }, back = { 0 };
	size_t nack = 0, nsup, ndec;

	mkdir(dir, 0700);
	path = xasprintf("%s/tfdrift.db", dir);
	if (ro_bind(dir, ro) != 0) {
		skip("a read-only bind mount of a live store", "cannot bind-mount here (not root)");
		goto out;
	}
	rpath = xasprintf("%s/tfdrift.db", ro);
	store_open(path, 0, &w, &err);
	seed(w, &l, "live");
	ok(store_open(rpath, STORE_NOCREATE, &r, &err) == 0, "opened through the read-only mount "
	    "while a writer holds it: %s", err ? err : "");
	ok(r != NULL && contains(store_readonly_reason(r), "read-only"), "read-only, saying why");
	ok(r != NULL && store_load_findings(r, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &back, &err) == 0 &&
	    back.n == 3, "it reads every finding");
	finding_list_clear(&back);
	ok(store_ack(w, l.v[2]->id, "alice", "after", T0 + 40, NULL, &err) == 0, "the writer saves another");
	ok(r != NULL && store_load_findings(r, INT64_MIN, INT64_MAX, STORE_STATUS_ACKNOWLEDGED, &back,
	    &err) == 0, "read again");
	is_int(back.n, 2, "the reader sees it");
	finding_list_clear(&back);
	store_close(r);
	store_close(w);
	unmount(ro);
	free(rpath);
	ok(census(path, 0, &nack, &nsup, &ndec, NULL, &err) == 0 && nack == 2, "integrity_check ok %s",
	    err ? err : "");
	free(err);
out:
	finding_list_clear(&l);
	free(path);
	free(ro);
	free(dir);
}

/* EIO: an ext4 image on a loop device, shut down (EXT4_IOC_SHUTDOWN, as xfstests' godown):
 * from then on every read and write of that filesystem fails with EIO. The committed
 * decisions (synced) are all there after it is mounted again. */
#define TF_EXT4_IOC_SHUTDOWN _IOR('X', 125, uint32_t)
static void
test_eio(void)
{
	char *img = tpath("eio.img"), *dir = tpath("eio"), *path, *args, *cmd, *err = NULL;
	struct store *st = NULL, *again = NULL;
	struct finding_list l = { 0 }, back = { 0 };
	size_t nack, nsup, ndec;
	uint32_t how = 2;      /* EXT4_GOING_FLAGS_NOLOGFLUSH: as if the disk went away */
	int fd;

	cmd = xasprintf("truncate -s 8M '%s' && mkfs.ext4 -q -F '%s' > /dev/null 2>&1", img, img);
	args = xasprintf("-o loop '%s'", img);
	if (geteuid() != 0 || run(cmd) != 0 || mount_on(dir, args) != 0) {
		skip("EIO from a shut-down ext4", "cannot make and loop-mount an ext4 image here "
		    "(not root, no mkfs.ext4 or no loop device)");
		goto out;
	}
	path = xasprintf("%s/tfdrift.db", dir);
	store_open(path, 0, &st, &err);
	seed(st, &l, "eio");
	fd = open(dir, O_RDONLY);
	ok(fd >= 0 && ioctl(fd, TF_EXT4_IOC_SHUTDOWN, &how) == 0, "the filesystem is shut down: "
	    "every I/O now fails with EIO");
	if (fd >= 0)
		close(fd);
	ok(store_ack(st, l.v[2]->id, "alice", "during EIO", T0 + 50, NULL, &err) == -1 &&
	    contains(err, "I/O error") && contains(err, path), "a decision is not saved, and says "
	    "so: %s", err);
	free(err);
	err = NULL;
	ok(store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &back, &err) == -1 &&
	    contains(err, "I/O error"), "reading fails clearly: %s", err);
	finding_list_clear(&back);
	free(err);
	err = NULL;
	ok(store_open(path, STORE_NOCREATE, &again, &err) == -1 && contains(err, "I/O error") &&
	    contains(err, path), "opening it fails clearly: %s", err);
	free(err);
	err = NULL;
	store_close(st);
	unmount(dir);
	ok(mount_on(dir, args) == 0, "mounted again (the journal replayed)");
	ok(census(path, 0, &nack, &nsup, &ndec, NULL, &err) == 0 && nack == 1 && nsup == 1 &&
	    ndec == 2, "every decision saved before the failure is there, integrity_check ok %s",
	    err ? err : "");
	free(err);
	unmount(dir);
	free(path);
out:
	unlink(img);
	finding_list_clear(&l);
	free(cmd);
	free(args);
	free(img);
	free(dir);
}

/* One CloudTrail record as an event. */
static void
ct_event(struct event *ev, const char *id, const char *time, const char *name, const char *err)
{
	char *text = xasprintf("{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"IAMUser\","
	    "\"arn\":\"arn:aws:iam::111122223333:user/alice\",\"accountId\":\"111122223333\","
	    "\"userName\":\"alice\"},\"eventTime\":\"%s\",\"eventSource\":\"ec2.amazonaws.com\","
	    "\"eventName\":\"%s\",\"awsRegion\":\"eu-west-1\",\"sourceIPAddress\":\"192.0.2.1\","
	    "\"userAgent\":\"aws-cli/2.15.30\",\"requestParameters\":{\"instanceId\":\"i-1\","
	    "\"instanceType\":{\"value\":\"t3.large\"}},\"responseElements\":null,"
	    "\"eventID\":\"%s\",\"readOnly\":false,\"eventType\":\"AwsApiCall\"%s%s%s,"
	    "\"recipientAccountId\":\"111122223333\"}", time, name, id, err ? ",\"errorCode\":\"" : "",
	    err ? err : "", err ? "\"" : "");
	json_object *o = json_tokener_parse(text);
	const char *why = NULL;

	memset(ev, 0, sizeof *ev);
	if (o == NULL || event_from_json(o, ev, &why) != 0)
		diag("ct_event: %s", why ? why : "not JSON");
	json_object_put(o);
	free(ev->origin);
	ev->origin = xstrdup("test.json#1");
	free(text);
}

struct each_ctx {
	int n;
	char ids[8][64];
	char names[8][64];
	int64_t times[8];
	int failed[8];
};

static int
each_event(void *ctx, const struct event *ev)
{
	struct each_ctx *c = ctx;

	if (c->n < 8) {
		snprintf(c->ids[c->n], sizeof c->ids[0], "%s", ev->id ? ev->id : "");
		snprintf(c->names[c->n], sizeof c->names[0], "%s", ev->name ? ev->name : "");
		c->times[c->n] = ev->time_ms;
		c->failed[c->n] = ev->error_code != NULL;
	}
	c->n++;
	return 0;
}

/* Schema 6: the events seen, saved with findings or alone, read back as logged, kept 90 days
 * after they were last saved. */
static void
test_events_seen(void)
{
	char *path = tpath("events.db"), *err = NULL;
	struct store *st = NULL;
	struct event ev[3];
	struct store_seen v[3];
	struct finding_list l = { 0 };
	struct each_ctx c;
	int64_t now = T0 + 30 * 24 * HOUR;
	char nowtxt[32];
	size_t i;

	ok(store_open(path, 0, &st, &err) == 0 && store_schema_version(st) >= 6, "a new store has "
	    "schema 6 or later: %s", err ? err : "");
	ct_event(&ev[0], "e-2", "2024-05-27T10:05:00Z", "ModifyInstanceAttribute", NULL);
	ct_event(&ev[1], "e-1", "2024-05-27T10:00:00Z", "ModifyInstanceAttribute", "Client.UnauthorizedOperation");
	ct_event(&ev[2], "e-3", "2024-05-27T10:10:00Z", "StopInstances", NULL);
	for (i = 0; i < 3; i++) {
		v[i].ev = &ev[i];
		v[i].resource_key = "aws_instance.web";
		v[i].record = ev[i].raw;
	}
	tf_format_time(now, nowtxt);
	setenv("TFDRIFT_NOW", nowtxt, 1);
	finding_list_push(&l, mk("ev-0", FK_MODIFIED, "aws_instance.web", "aws_instance", "i-1", "bob",
	    "ModifyInstanceAttribute", T0));
	ok(store_put_findings_events(st, &l, v, 2, &err) == 0, "findings and events in one "
	    "transaction: %s", err ? err : "");
	is_int(store_count_findings(st, &err), (long long)l.n, "the findings are there");
	is_int(store_count_events(st, &err), 2, "and the two events");
	ok(store_put_events(st, v, 3, &err) == 0, "saved again with a third: %s", err ? err : "");
	is_int(store_count_events(st, &err), 3, "one row per event id");
	memset(&c, 0, sizeof c);
	is_int(store_each_event(st, each_event, &c, &err), 0, "read back, none skipped");
	ok(c.n == 3 && strcmp(c.ids[0], "e-1") == 0 && strcmp(c.ids[1], "e-2") == 0 &&
	    strcmp(c.ids[2], "e-3") == 0, "oldest first");
	ok(c.failed[0] && !c.failed[1], "the failed call is still one");
	is_str(c.names[2], "StopInstances", "the record read again names the call");
	is_int(c.times[1], T0 + 5 * 60000, "with its time");
	sqlite3_exec(store_sqlite(st), "INSERT INTO events_seen (provider, id, time, resource_key,"
	    " actor, failed, record, seen) VALUES ('aws', 'bad', 1, 'x', '{}', 0, '{\"no\":', 1e15)",
	    NULL, NULL, NULL);
	memset(&c, 0, sizeof c);
	is_int(store_each_event(st, each_event, &c, &err), 1, "a record that does not read back is "
	    "skipped and counted: %s", err ? err : "");
	ok(contains(err, "event bad"), "naming it");
	free(err);
	err = NULL;
	is_int(c.n, 3, "the others are read");
	/* 91 days later, saving one event forgets the others (not saved since). */
	tf_format_time(now + 91 * 24 * HOUR, nowtxt);
	setenv("TFDRIFT_NOW", nowtxt, 1);
	ok(store_put_events(st, v + 2, 1, &err) == 0, "saved 91 days later");
	is_int(store_count_events(st, &err), 2, "the events not saved for 90 days are forgotten "
	    "(the damaged row is newer)");
	unsetenv("TFDRIFT_NOW");
	/* An older store read as it is has none, and says how to get them. */
	sqlite3_exec(store_sqlite(st), TO_SCHEMA_7 "DROP TABLE events_seen; DROP INDEX findings_status;"
	    " ALTER TABLE findings DROP COLUMN status; ALTER TABLE findings DROP COLUMN resolved_at;"
	    " ALTER TABLE findings DROP COLUMN state_lineage;"
	    " ALTER TABLE findings DROP COLUMN state_serial; ALTER TABLE findings DROP COLUMN"
	    " event_source; ALTER TABLE findings DROP COLUMN changes; ALTER TABLE findings DROP"
	    " COLUMN resolution; UPDATE meta SET value = 4 WHERE "
	    "key = 'schema_version'", NULL, NULL, NULL);
	store_close(st);
	st = NULL;
	ok(store_open(path, STORE_RDONLY, &st, &err) == 0, "a schema 4 store opens read-only");
	memset(&c, 0, sizeof c);
	ok(store_each_event(st, each_event, &c, &err) == -1 && contains(err, "schema version 4") &&
	    contains(err, "upgrade"), "and says it keeps no events and how to upgrade: %s",
	    err ? err : "");
	free(err);
	err = NULL;
	store_close(st);
	st = NULL;
	ok(store_open(path, 0, &st, &err) == 0 && store_count_events(st, &err) == 0,
	    "opened for writing it is upgraded and keeps events again");
	store_close(st);
	for (i = 0; i < 3; i++)
		event_free(&ev[i]);
	finding_list_clear(&l);
	free(err);
	free(path);
}

struct feed_ctx {
	int n;
	char ids[8][16];
	char keys[8][32];
};

static int
feed_event(void *ctx, const struct event *ev, const char *key)
{
	struct feed_ctx *c = ctx;

	if (c->n < 8) {
		snprintf(c->ids[c->n], sizeof c->ids[0], "%s", ev->id ? ev->id : "");
		snprintf(c->keys[c->n], sizeof c->keys[0], "%s", key ? key : "");
	}
	c->n++;
	return 0;
}

/* store_feed_events (a dashboard on a store): the newest of the window first, oldest first
 * within it, then only what was saved since. */
static void
test_feed_events(void)
{
	char *path = tpath("feed_events.db"), *err = NULL, nowtxt[32];
	struct store *st = NULL;
	struct event ev[4];
	struct store_seen v[4];
	struct feed_ctx c;
	int64_t seen = -1, now = T0 + HOUR;
	size_t i;

	ok(store_open(path, 0, &st, &err) == 0, "open: %s", err ? err : "");
	ct_event(&ev[0], "f-1", "2024-05-27T09:00:00Z", "StopInstances", NULL);
	ct_event(&ev[1], "f-2", "2024-05-27T10:00:00Z", "StartInstances", NULL);
	ct_event(&ev[2], "f-3", "2024-05-27T10:05:00Z", "ModifyInstanceAttribute", NULL);
	ct_event(&ev[3], "f-4", "2024-05-27T10:10:00Z", "StopInstances", "Client.UnauthorizedOperation");
	for (i = 0; i < 4; i++) {
		v[i].ev = &ev[i];
		v[i].resource_key = i == 2 ? "aws_instance:i-9" : "aws_instance.web";
		v[i].record = ev[i].raw;
	}
	tf_format_time(now, nowtxt);
	setenv("TFDRIFT_NOW", nowtxt, 1);
	ok(store_put_events(st, v, 3, &err) == 0, "three saved: %s", err ? err : "");
	memset(&c, 0, sizeof c);
	is_int(store_feed_events(st, &seen, T0 - HOUR / 2, 1, feed_event, &c, &err), 0,
	    "the first read: %s", err ? err : "");
	ok(c.n == 1 && strcmp(c.ids[0], "f-3") == 0, "the newest within the limit");
	is_str(c.keys[0], "aws_instance:i-9", "with the key it was saved with");
	ok(seen >= now, "the cursor is at the save");
	seen = -1;
	memset(&c, 0, sizeof c);
	is_int(store_feed_events(st, &seen, T0 - HOUR / 2, 10, feed_event, &c, &err), 0,
	    "again from the start");
	ok(c.n == 2 && strcmp(c.ids[0], "f-2") == 0 && strcmp(c.ids[1], "f-3") == 0,
	    "the window leaves out the older one, oldest first");
	/* Later: only the rows saved since (an hour on: beyond the writers' clock skew). */
	tf_format_time(now + HOUR, nowtxt);
	setenv("TFDRIFT_NOW", nowtxt, 1);
	ok(store_put_events(st, v + 3, 1, &err) == 0, "a fourth saved later");
	memset(&c, 0, sizeof c);
	is_int(store_feed_events(st, &seen, T0 - HOUR / 2, 10, feed_event, &c, &err), 0,
	    "the next read");
	ok(c.n == 3 && strcmp(c.ids[2], "f-4") == 0, "reads the new one, and those saved "
	    "within the writers' clock skew of the cursor again (the caller keeps one per id)");
	memset(&c, 0, sizeof c);
	is_int(store_feed_events(st, &seen, T0 - HOUR / 2, 10, feed_event, &c, &err), 0,
	    "and again");
	ok(c.n == 1 && strcmp(c.ids[0], "f-4") == 0, "now only the newest save: the ones saved "
	    "an hour before are not read again");
	unsetenv("TFDRIFT_NOW");
	store_close(st);
	for (i = 0; i < 4; i++)
		event_free(&ev[i]);
	free(err);
	free(path);
}

/* store_changed on SQLite: another connection's commit (PRAGMA data_version), not its own. */
static void
test_changed(void)
{
	char *path = tpath("changed.db"), *err = NULL;
	struct store *a = NULL, *b = NULL;

	ok(store_open(path, 0, &a, &err) == 0 && store_open(path, 0, &b, &err) == 0,
	    "two connections to one file: %s", err ? err : "");
	is_int(store_fd(a), -1, "SQLite has no descriptor to poll");
	is_int(store_changed(a), 0, "nothing changed yet");
	ok(store_cursor_set(a, "c", "1", &err) == 0, "a write of its own");
	is_int(store_changed(a), 0, "its own write is not a change by another");
	ok(store_cursor_set(b, "c", "2", &err) == 0, "the other connection writes");
	is_int(store_changed(a), 1, "store_changed sees it");
	is_int(store_changed(a), 0, "once");
	ok(strcmp(store_backend(a), "sqlite") == 0 && strcmp(store_location(a), path) == 0,
	    "the back end and the location");
	store_close(a);
	store_close(b);
	free(path);
}

/* ---- PostgreSQL only (test_store --pg) ---- */

/* The URI of the cluster's test database with another password (TFDRIFT_TEST_PG_URI has
 * the right one), or NULL. */
static char *
uri_with_password(const char *pw)
{
	const char *u = getenv("TFDRIFT_TEST_PG_URI"), *colon, *at;

	if (u == NULL || (colon = strchr(u + 13, ':')) == NULL || (at = strchr(colon, '@')) == NULL)
		return NULL;
	return xasprintf("%.*s%s%s", (int)(colon + 1 - u), u, pw, at);
}

/* Arm the trigger that kills the connection writing the next row of `table` (insert, update
 * or delete), the first time only; with between, the server also drops the connection now,
 * before the write starts. */
static void
kill_next_write(struct store *st, const char *table, int between)
{
	char *sql = xasprintf("CREATE SEQUENCE IF NOT EXISTS kill_%s;"
	    " SELECT setval('kill_%s', 1, false);"
	    " CREATE OR REPLACE FUNCTION kill_first() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	    " IF nextval(TG_ARGV[0]) = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;"
	    " RETURN COALESCE(NEW, OLD); END $$;"
	    " DROP TRIGGER IF EXISTS k ON %s;"
	    " CREATE TRIGGER k BEFORE INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW"
	    " EXECUTE FUNCTION kill_first('kill_%s')", table, table, table, table, table);

	q_exec(st, sql);
	free(sql);
	if (between)
		free(pg_query(store_location(st), "SELECT pg_terminate_backend(pid) FROM"
		    " pg_stat_activity WHERE application_name = 'tfdrift'"));
}

/* The trigger fired twice on `table` (the write cut off, then run again), and is disarmed. */
static int
killed_and_retried(struct store *st, const char *table)
{
	char *sql = xasprintf("SELECT last_value FROM kill_%s", table);
	int64_t v = q_int(st, sql);

	free(sql);
	sql = xasprintf("DROP TRIGGER k ON %s", table);
	q_exec(st, sql);
	free(sql);
	return v == 2;
}

/* Every write a person or a worker makes, cut off by a lost connection (between two writes,
 * and in the middle of one): run once more on a new connection, saved exactly once. */
static void
test_pg_lost_writes(struct store *a)
{
	struct finding_list l = { 0 };
	struct finding *f = mk("lost-f", FK_MODIFIED, "aws_instance.lost", "aws_instance", "i-9",
	    "bob", "ModifyInstanceAttribute", T0);
	struct freeze_window w;
	char *err = NULL, *v = NULL;
	int64_t did = 0, uid = 0, fid = 0;
	int between, cancelled = 0;

	finding_list_push(&l, f);
	ok(store_put_findings(a, &l, &err) == 0, "lost writes: a finding saved: %s", err ? err : "");
	for (between = 0; between <= 1; between++) {
		const char *how = between ? "dropped before the write, then in the middle" :
		    "lost in the middle";
		char *name = xasprintf("lost-%d", between);

		kill_next_write(a, "decisions", between);
		ok(store_suppress(a, SCOPE_ACTOR, name, 0, "alice", NULL, T0, &did, &err) == 0 &&
		    did > 0 && killed_and_retried(a, "decisions") &&
		    q_int(a, "SELECT count(*) FROM decisions WHERE action = 'suppress' AND value"
		    " LIKE 'lost-%'") == between + 1, "suppress: connection %s, saved once: %s", how,
		    err ? err : "");
		/* The id the suppression got (store_suppress's comes from lastval(), which the
		 * test's trigger moves: it calls nextval). */
		did = q_int(a, "SELECT max(id) FROM decisions WHERE action = 'suppress'");
		kill_next_write(a, "decisions", between);
		ok(store_undo(a, did, "alice", T0 + 1, &uid, &err) == 0 && uid > 0 &&
		    killed_and_retried(a, "decisions") &&
		    q_int(a, "SELECT count(*) FROM decisions WHERE action = 'undo'") == between + 1 &&
		    q_int(a, "SELECT count(*) FROM decisions WHERE action = 'undo' AND undoes = (SELECT"
		    " max(id) FROM decisions WHERE action = 'suppress')") == 1,
		    "undo: connection %s, saved once: %s", how, err ? err : "");

		memset(&w, 0, sizeof w);
		w.name = name;
		w.start_ms = T0;
		w.end_ms = T0 + 2 * HOUR;
		kill_next_write(a, "freezes", between);
		ok(store_freeze_add(a, &w, "alice", T0, &fid, &err) == 0 && fid > 0 &&
		    killed_and_retried(a, "freezes") &&
		    q_int(a, "SELECT count(*) FROM freezes WHERE name LIKE 'lost-%'") == between + 1,
		    "freeze add: connection %s, saved once: %s", how, err ? err : "");
		kill_next_write(a, "freezes", between);
		ok(store_freeze_end(a, name, "alice", T0 + 1, &cancelled, &err) == 0 &&
		    killed_and_retried(a, "freezes") &&
		    q_int(a, "SELECT count(*) FROM freezes WHERE name LIKE 'lost-%' AND"
		    " \"end\" > start + 1000") == 0, "freeze end: connection %s, saved: %s", how, err ? err : "");

		kill_next_write(a, "ui_prefs", between);
		ok(store_pref_set(a, name, "1", "alice", T0, &err) == 0 &&
		    killed_and_retried(a, "ui_prefs") && store_pref_get(a, name, &v, &err) == 1 &&
		    v != NULL && strcmp(v, "1") == 0, "pref set: connection %s, saved: %s", how,
		    err ? err : "");
		free(v);
		v = NULL;
		kill_next_write(a, "ui_prefs", between);
		ok(store_pref_set(a, name, NULL, "alice", T0, &err) == 0 &&
		    killed_and_retried(a, "ui_prefs") && store_pref_get(a, name, &v, &err) == 0,
		    "pref delete: connection %s, deleted: %s", how, err ? err : "");
		free(v);
		v = NULL;

		kill_next_write(a, "leases", between);
		ok(store_lease_take(a, name, "w1", T0, 30000, NULL, &err) == 1 &&
		    killed_and_retried(a, "leases"), "lease take: connection %s, taken: %s", how,
		    err ? err : "");
		kill_next_write(a, "leases", between);
		ok(store_lease_renew(a, name, "w1", T0 + 1000, 30000, &err) == 1 &&
		    killed_and_retried(a, "leases"), "lease renew: connection %s, renewed: %s", how,
		    err ? err : "");
		kill_next_write(a, "cursors", between);
		ok(store_lease_cursor_set(a, name, "w1", T0 + 1000, name, "7", &err) == 1 &&
		    killed_and_retried(a, "cursors") && store_cursor_get(a, name, &v, &err) == 1 &&
		    v != NULL && strcmp(v, "7") == 0, "lease cursor: connection %s, saved: %s", how,
		    err ? err : "");
		free(v);
		v = NULL;
		kill_next_write(a, "leases", between);
		ok(store_lease_take_over(a, name, "w2", "w1", T0 + 2000, 30000, &err) == 1 &&
		    killed_and_retried(a, "leases") && q_int(a, "SELECT epoch FROM leases WHERE"
		    " holder = 'w2' ORDER BY name DESC LIMIT 1") == 2,
		    "lease take-over: connection %s, one new epoch: %s", how, err ? err : "");
		kill_next_write(a, "leases", between);
		ok(store_lease_release(a, name, "w2", &err) == 1 && killed_and_retried(a, "leases"),
		    "lease release: connection %s, released: %s", how, err ? err : "");

		kill_next_write(a, "notify_claims", between);
		ok(store_notify_claim(a, name, "slack", 0, "w1", T0, &err) == 1 &&
		    killed_and_retried(a, "notify_claims") &&
		    q_int(a, "SELECT count(*) FROM notify_claims WHERE holder = 'w1'") == 1,
		    "notification claim: connection %s, claimed once: %s", how, err ? err : "");
		kill_next_write(a, "notify_claims", between);
		ok(store_notify_unclaim(a, name, "slack", 0, "w1", &err) == 1 &&
		    killed_and_retried(a, "notify_claims") &&
		    q_int(a, "SELECT count(*) FROM notify_claims WHERE holder = 'w1'") == 0,
		    "notification unclaim: connection %s, given up: %s", how, err ? err : "");
		free(name);
	}
	finding_resolve(f, RR_RESOURCE_GONE, NULL, T0 + 10);
	kill_next_write(a, "finding_status", 1);   /* schema 10: where resolutions go */
	ok(store_put_resolutions(a, &l, &err) == 0 && killed_and_retried(a, "finding_status") &&
	    q_int(a, "SELECT count(*) FROM findings WHERE status = 'resolved'") == 1,
	    "resolutions: connection dropped, then lost in the middle, saved: %s", err ? err : "");
	free(err);
	finding_list_clear(&l);
}

static void
test_pg(void)
{
	char *path = tpath("pg.db"), *err = NULL, *v = NULL, *u;
	const char *pw = getenv("TFDRIFT_TEST_PG_PASSWORD");
	struct store *a = NULL, *b = NULL, *st = NULL;
	int i, got;
	pid_t kid[2];

	ok(store_open(path, 0, &a, &err) == 0 && strcmp(store_backend(a), "postgresql") == 0,
	    "a PostgreSQL store opens: %s", err ? err : "");
	is_int(q_int(a, "SELECT value FROM meta WHERE key = 'schema_version'"), STORE_SCHEMA_VERSION,
	    "its schema version is in the meta table");
	ok(store_sqlite(a) == NULL, "it has no SQLite connection");
	ok(store_open(path, STORE_NOCREATE, &b, &err) == 0, "a second connection: %s", err ? err : "");
	ok(store_fd(a) >= 0, "store_fd gives the connection's socket");
	is_int(store_changed(a), 0, "nothing changed yet");
	ok(store_cursor_set(a, "c", "1", &err) == 0, "a write of its own");
	is_int(store_changed(a), 0, "its own write is not a change by another");
	ok(store_cursor_set(b, "c", "2", &err) == 0, "another connection writes");
	for (i = 0, got = 0; i < 100 && got == 0; i++) {
		struct timespec ts = { 0, 10000000L };

		if ((got = store_changed(a)) == 0)
			nanosleep(&ts, NULL);
	}
	is_int(got, 1, "store_changed sees it (within %d ms)", i * 10);
	is_int(store_changed(a), 0, "once");
	ok(store_cursor_get(a, "c", &v, &err) == 1 && v != NULL && strcmp(v, "2") == 0,
	    "and reads the other's value");
	free(v);
	/* A connection killed by the server: the next write reconnects. */
	free(pg_query(store_location(b), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	    " WHERE application_name = 'tfdrift'"));
	ok(store_cursor_set(a, "c", "3", &err) == 0, "a write after the server dropped the "
	    "connection reconnects: %s", err ? err : "");
	store_close(b);
	b = NULL;
	/* The connection lost in the middle of a write (the server kills it from a trigger, the
	 * first time only: a sequence counts outside the transaction): the write runs again on a
	 * new connection and is saved once. */
	q_exec(a, "CREATE SEQUENCE kill_cursor; CREATE SEQUENCE kill_ack;"
	    " CREATE FUNCTION kill_first() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
	    " IF nextval(TG_ARGV[0]) = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF;"
	    " RETURN NEW; END $$;"
	    " CREATE TRIGGER k BEFORE INSERT OR UPDATE ON cursors FOR EACH ROW"
	    " EXECUTE FUNCTION kill_first('kill_cursor');"
	    " CREATE TRIGGER k BEFORE INSERT ON decisions FOR EACH ROW"
	    " EXECUTE FUNCTION kill_first('kill_ack')");
	ok(store_cursor_set(a, "lost", "4", &err) == 0, "a cursor saved though the connection was lost "
	    "in the middle: %s", err ? err : "");
	is_int(q_int(a, "SELECT last_value FROM kill_cursor"), 2, "(tried twice)");
	ok(store_cursor_get(a, "lost", &v, &err) == 1 && v != NULL && strcmp(v, "4") == 0,
	    "and it reads back");
	free(v);
	{
		int64_t did = 0;

		ok(store_ack(a, "some-finding", "alice", NULL, T0, &did, &err) == 0 && did > 0,
		    "an ack saved though the connection was lost in the middle: %s", err ? err : "");
		is_int(q_int(a, "SELECT count(*) FROM decisions WHERE value = 'some-finding'"), 1,
		    "once");
	}
	q_exec(a, "DROP TRIGGER k ON cursors; DROP TRIGGER k ON decisions");
	test_pg_lost_writes(a);

	/* Written by a newer tfdrift: refused. */
	q_exec(a, "UPDATE meta SET value = '99' WHERE key = 'schema_version'");
	store_close(a);
	ok(store_open(path, 0, &st, &err) == -1 && st == NULL && contains(err, "newer tfdrift") &&
	    contains(err, "99"), "a store of a newer schema is refused: %s", err ? err : "");
	free(err);
	err = NULL;
	ok(store_open(path, STORE_RDONLY, &st, &err) == -1 && contains(err, "newer tfdrift"),
	    "read-only too");
	free(err);
	err = NULL;
	free(path);

	path = tpath("none.db");
	ok(store_open(path, STORE_NOCREATE, &st, &err) == -1 && contains(err, "no store there yet"),
	    "STORE_NOCREATE on an empty database: %s", err ? err : "");
	free(err);
	err = NULL;
	ok(store_open(path, STORE_RDONLY, &st, &err) == -1, "read-only neither");
	free(err);
	err = NULL;
	is_int(q_int(NULL, "SELECT count(*) FROM information_schema.tables WHERE table_schema ="
	    " 't_none_db'"), 0, "and nothing was created");

	/* Two processes creating one store at once (the advisory lock): both open it. */
	free(path);
	path = tpath("race.db");
	fflush(stdout);
	for (i = 0; i < 2; i++)
		if ((kid[i] = fork()) == 0) {
			struct store *k = NULL;

			_exit(store_open(path, 0, &k, NULL) == 0 && store_schema_version(k) ==
			    STORE_SCHEMA_VERSION ? 0 : 1);
		}
	for (i = 0, got = 0; i < 2; i++) {
		int ws = 0;

		waitpid(kid[i], &ws, 0);
		got += WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
	}
	is_int(got, 2, "two processes creating the same store at once both open it");

	/* The password is never shown; a wrong one says what to check. */
	if (pw == NULL || (u = uri_with_password(pw)) == NULL) {
		skip("a URI with a password", "no TFDRIFT_TEST_PG_URI");
		skip("masked", "no TFDRIFT_TEST_PG_URI");
		skip("a wrong password", "no TFDRIFT_TEST_PG_URI");
		skip("wrong password message", "no TFDRIFT_TEST_PG_URI");
	} else {
		ok(store_open(u, 0, &st, &err) == 0, "a URI with its password opens: %s",
		    err ? err : "");
		ok(st != NULL && strstr(store_path(st), pw) == NULL &&
		    contains(store_path(st), "tfdrift_test:REDACTED@"), "store_path masks it: %s",
		    st ? store_path(st) : "");
		store_close(st);
		st = NULL;
		free(u);
		u = uri_with_password("Wr0ngSecret");
		ok(store_open(u, 0, &st, &err) == -1, "a wrong password is refused");
		ok(err != NULL && strstr(err, "Wr0ngSecret") == NULL && strstr(err, pw) == NULL &&
		    contains(err, "refused the login") && contains(err, "user tfdrift_test") &&
		    contains(err, "127.0.0.1") && contains(err, "PGPASSWORD"),
		    "saying who, where and what to check, without the password: %s", err ? err : "");
		free(err);
		err = NULL;
		free(u);
	}
	free(path);
}

int
main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");

	if (argc > 1 && strcmp(argv[1], "--pg") == 0) {
		if ((pg_uri = getenv("TFDRIFT_TEST_PG_STORE_URI")) == NULL || *pg_uri == '\0') {
			printf("1..0 # SKIP no TFDRIFT_TEST_PG_STORE_URI (tests/pg/test_store_pg.sh)\n");
			return 77;
		}
		unsetenv("TFDRIFT_NOW");
		test_upsert();
		test_resolutions();
		test_triage();
		test_count_status();
		test_scope_values();
		test_freezes();
		test_apply_resolved();
		test_feed_events();
		test_pg();
		return done_testing();
	}

	snprintf(tmpdir, sizeof tmpdir, "%s/tfdrift-store.XXXXXX", base && *base ? base : "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	unsetenv("TFDRIFT_NOW");
	test_round_trip();
	test_schema();
	test_prefs();
	test_events_seen();
	test_feed_events();
	test_upsert();
	test_resolutions();
	test_triage();
	test_count_status();
	test_reevaluable();
	test_scope_values();
	test_freezes();
	test_apply_resolved();
	test_changed();
	test_apply_speed();
	test_corrupt();
	test_locked();
	test_full_disk();
	test_readonly_fs();
	test_full_before_open();
	test_wal_without_shm();
	test_readonly_bind_live();
	test_eio();
	unmount_all();
	rm_rf(tmpdir);
	return done_testing();
}
