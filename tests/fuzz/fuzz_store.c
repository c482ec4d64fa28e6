/* fuzz_store: libFuzzer target for what the store reads back (src/store.c): stored findings
 * (their JSON in finding_bodies through finding_from_json, the changes column through
 * store_load_reevaluable), triage decisions (action, scope, value,
 * times, undo links), freeze windows (their scope JSON), collector cursors, dashboard
 * preferences and the history columns. A store is a file anyone can edit or damage, so the
 * input goes straight into the columns through SQL, with CHECK constraints and foreign keys
 * off (as a hand-edited file may have them), then every reading function runs.
 *
 * The input is split into chunks (fuzz_common.h): 0 a finding's json and its changes column
 * (stored as text, or as a blob when the first byte is odd), 1 that row's kind, address, event_name and actor_name
 * (tab-separated), 2 decision rows (one per line: action, scope, value, by, note, at, until,
 * undoes, tab-separated), 3 a freeze window's scope, 4 a cursor's value, 5 a preference's
 * value. Oracles: reads fail only with a message; a finding read back survives
 * finding_to_json -> finding_from_json -> finding_to_json byte for byte (finding.h). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "conf.h"
#include "freeze.h"
#include "fuzz_common.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct store *st;
static sqlite3 *db;

static void
sql(const char *q)
{
	char *e = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &e) != SQLITE_OK) {
		fprintf(stderr, "fuzz: %s: %s\n", q, e ? e : "?");
		abort();
	}
}

/* Bind chunk piece [p, p+n) as text (or a blob), "" and NULL told apart by n == SIZE_MAX. */
static void
bind(sqlite3_stmt *s, int i, const char *p, size_t n, int blob)
{
	if (p == NULL)
		sqlite3_bind_null(s, i);
	else if (blob)
		sqlite3_bind_blob(s, i, p, (int)n, SQLITE_TRANSIENT);
	else
		sqlite3_bind_text(s, i, p, (int)n, SQLITE_TRANSIENT);
}

/* Field k of a tab-separated piece, or NULL when there are fewer. */
static const char *
field(const char *p, size_t n, int k, size_t *len)
{
	const char *e = p + n, *t;

	while (k-- > 0) {
		t = memchr(p, '\t', (size_t)(e - p));
		if (t == NULL)
			return NULL;
		p = t + 1;
	}
	t = memchr(p, '\t', (size_t)(e - p));
	*len = (size_t)((t != NULL ? t : e) - p);
	return p;
}

static int64_t
num(const char *p, size_t n)
{
	char buf[32];

	if (p == NULL || n == 0 || n >= sizeof buf)
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/* Run a statement; constraint failures (a NOT NULL, a duplicate key) are fine. */
static void
step(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CONSTRAINT && (rc & 0xff) != SQLITE_MISMATCH) {
		fprintf(stderr, "fuzz: insert: %s\n", sqlite3_errmsg(db));
		abort();
	}
	sqlite3_finalize(s);
}

static void
seed(const struct fz_chunks *ch, int blob)
{
	sqlite3_stmt *s;
	const char *p, *e, *nl;
	size_t n = 0, l[4];
	const char *f[4];
	int i;

	/* The chunk is the row's body (schema 8: finding_bodies) and its changes column (what
	 * store_load_reevaluable parses instead of the body). */
	sql("INSERT INTO finding_status (id, last_seen) VALUES ('0123456789abcdef', 2),"
	    " ('fedcba9876543210', 2)");   /* schema 10: the status apart (foreign keys off) */
	sqlite3_prepare_v2(db, "INSERT INTO finding_rows (id, first_seen, event_time, kind,"
	    " severity, provider, address, event_name, actor_name, changes) VALUES"
	    " ('0123456789abcdef', 1, 1716804000000, ?1, 'high', 'aws', ?2, ?3, ?4, ?5)", -1, &s,
	    NULL);
	for (i = 0; i < 4; i++)
		f[i] = ch->n > 1 ? field(ch->p[1], ch->len[1], i, &l[i]) : NULL;
	for (i = 0; i < 4; i++)
		bind(s, i + 1, f[i], f[i] != NULL ? l[i] : 0, 0);
	bind(s, 5, ch->p[0], ch->len[0], blob);
	step(s);
	sqlite3_prepare_v2(db, "INSERT INTO finding_bodies (id, json) VALUES"
	    " ('0123456789abcdef', ?1)", -1, &s, NULL);
	bind(s, 1, ch->p[0], ch->len[0], blob);
	step(s);
	/* A second, well-formed row beside it: a bad row must not hide the good ones. */
	sql("INSERT INTO finding_rows (id, first_seen, event_time, kind, severity, provider,"
	    " address, changes) VALUES ('fedcba9876543210', 1, 1716804000001, 'modified', 'low',"
	    " 'aws', 'aws_s3_bucket.logs', '[]');"
	    "INSERT INTO finding_bodies (id, json) VALUES ('fedcba9876543210',"
	    " '{\"id\":\"fedcba9876543210\",\"kind\":\"modified\","
	    "\"severity\":\"low\",\"status\":\"open\",\"provider\":\"aws\",\"resource\":{\"address\":"
	    "\"aws_s3_bucket.logs\",\"type\":\"aws_s3_bucket\"},\"changes\":[]}')");
	if (ch->n > 2) {
		for (p = ch->p[2], e = p + ch->len[2]; p < e; p = nl + 1) {
			size_t fl[8];
			const char *fv[8];

			nl = memchr(p, '\n', (size_t)(e - p));
			if (nl == NULL)
				nl = e;
			for (i = 0; i < 8; i++)
				fv[i] = field(p, (size_t)(nl - p), i, &fl[i]);
			sqlite3_prepare_v2(db, "INSERT INTO decisions (action, scope, value, \"by\", note,"
			    " at, until, undoes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &s, NULL);
			for (i = 0; i < 5; i++)
				bind(s, i + 1, fv[i], fv[i] != NULL ? fl[i] : 0, 0);
			sqlite3_bind_int64(s, 6, num(fv[5], fv[5] ? fl[5] : 0));
			if (fv[6] != NULL)
				sqlite3_bind_int64(s, 7, num(fv[6], fl[6]));
			if (fv[7] != NULL)
				sqlite3_bind_int64(s, 8, num(fv[7], fl[7]));
			step(s);
			if (++n >= 64 || nl == e)
				break;
		}
	}
	if (ch->n > 3) {
		sqlite3_prepare_v2(db, "INSERT INTO freezes (name, start, \"end\", scope, created_by,"
		    " created_at) VALUES ('cab', 1716800000000, 1716900000000, ?1, 'alice', 1)", -1, &s,
		    NULL);
		bind(s, 1, ch->p[3], ch->len[3], blob);
		step(s);
	}
	if (ch->n > 4) {
		sqlite3_prepare_v2(db, "INSERT INTO cursors (name, value, updated) VALUES"
		    " ('cloudtrail prod eu-west-1/cloudtrail prod eu-west-1', ?1, 1)", -1, &s, NULL);
		bind(s, 1, ch->p[4], ch->len[4], blob);
		step(s);
	}
	if (ch->n > 5) {
		sqlite3_prepare_v2(db, "INSERT INTO ui_prefs (key, value, updated_by, updated) VALUES"
		    " ('view:mine', ?1, 'alice', 1)", -1, &s, NULL);
		bind(s, 1, ch->p[5], ch->len[5], blob);
		step(s);
	}
}

/* finding_to_json -> finding_from_json -> finding_to_json is the identity (finding.h). */
static void
round_trip(const struct finding *f)
{
	json_object *a = finding_to_json(f), *b;
	struct finding *g;
	char *why = NULL, *sa;

	g = finding_from_json(a, &why);
	if (g == NULL) {
		fprintf(stderr, "fuzz: a finding read back does not read again: %s\n%s\n",
		    why ? why : "?", json_object_to_json_string(a));
		abort();
	}
	b = finding_to_json(g);
	sa = xstrdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
	if (strcmp(sa, json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN)) != 0) {
		fprintf(stderr, "fuzz: round trip differs:\n%s\n%s\n", sa,
		    json_object_to_json_string_ext(b, JSON_C_TO_STRING_PLAIN));
		abort();
	}
	free(sa);
	json_object_put(a);
	json_object_put(b);
	finding_free(g);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_chunks ch;
	struct finding_list l;
	struct store_decision *dv;
	struct store_triage *t;
	struct freeze_window *fw;
	struct finding_history *h;
	struct strlist keys;
	size_t n, i;
	char *err = NULL, *v = NULL, *id = NULL;
	int blob;

	if (size < 1)
		return 0;
	if (st == NULL) {
		char *path = fz_path("store.db");

		setenv("TFDRIFT_NOW", "2024-05-27T10:00:00Z", 1);
		if (store_open(path, 0, &st, &err) != 0) {
			fprintf(stderr, "fuzz: %s\n", err ? err : "?");
			abort();
		}
		free(path);
		db = store_sqlite(st);
		/* What a hand-edited file may hold: rows its constraints would have refused. */
		sql("PRAGMA ignore_check_constraints = ON; PRAGMA foreign_keys = OFF;"
		    " PRAGMA synchronous = OFF");
	}
	blob = data[0] & 1;
	fz_split(data + 1, size - 1, &ch);
	sql("BEGIN; DELETE FROM finding_bodies; DELETE FROM finding_status;"
	    " DELETE FROM finding_rows; DELETE FROM decisions;"
	    " DELETE FROM freezes;"
	    " DELETE FROM cursors; DELETE FROM ui_prefs;");
	seed(&ch, blob);
	sql("COMMIT");

	memset(&l, 0, sizeof l);
	if (store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &l, &err) < 0) {
		if (err == NULL)
			abort();
	}
	free(err);
	err = NULL;
	for (i = 0; i < l.n; i++)
		round_trip(l.v[i]);
	if (store_triage_snapshot(st, &t, &err) == 0) {
		for (i = 0; i < l.n; i++)
			store_triage_apply(t, l.v[i], tf_now_ms());
		(void)store_triage_count(t);
		store_triage_free(t);
	} else if (err == NULL)
		abort();
	free(err);
	err = NULL;
	finding_list_clear(&l);
	/* Re-evaluation's light read (the changes column): read, or refused with a message; a
	 * finding read is one whose changes are JSON changes. */
	if (store_load_reevaluable(st, &l, &err) != 0 && err == NULL)
		abort();
	free(err);
	err = NULL;
	finding_list_clear(&l);
	if (store_list_decisions(st, &dv, &n, &err) == 0)
		store_decisions_free(dv, n);
	else if (err == NULL)
		abort();
	free(err);
	err = NULL;
	if (store_freeze_list(st, 1, tf_now_ms(), &fw, &n, &err) == 0) {
		for (i = 0; i < n; i++) {
			char *d = freeze_window_describe(&fw[i]), *js = freeze_scope_to_json(&fw[i]);

			free(d);
			free(js);
		}
		freeze_windows_free(fw, n);
	} else if (err == NULL)
		abort();
	free(err);
	err = NULL;
	if (store_history(st, ch.n > 1 && ch.len[1] > 0 ? "aws_s3_bucket.logs" : "x", 0, INT64_MAX,
	    NULL, 10, &h, &n, &err) == 0) {
		for (i = 0; i < n; i++) {
			free(h[i].finding_id);
			free(h[i].event);
			free(h[i].actor);
		}
		free(h);
	} else if (err == NULL)
		abort();
	free(err);
	err = NULL;
	if (store_find_finding(st, "0123", &id, &err) == 0)
		free(id);
	free(err);
	err = NULL;
	(void)store_count_findings(st, &err);
	free(err);
	err = NULL;
	if (store_cursor_get(st, "cloudtrail prod eu-west-1/cloudtrail prod eu-west-1", &v, &err) < 0 &&
	    err == NULL)
		abort();
	free(v);
	v = NULL;
	free(err);
	err = NULL;
	if (store_pref_get(st, "view:mine", &v, &err) < 0 && err == NULL)
		abort();
	free(v);
	free(err);
	err = NULL;
	memset(&keys, 0, sizeof keys);
	(void)store_pref_keys(st, "view:", &keys, &err);
	strlist_clear(&keys);
	free(err);
	return 0;
}
