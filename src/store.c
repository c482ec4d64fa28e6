/* store: the durable SQLite store (WAL) of findings, triage decisions, change-freeze windows,
 * collector cursors and the events seen.
 * Owns the schema and its migrations, the clear messages for a locked, read-only, corrupt
 * or full store (and the read-only fallback), and applying triage decisions to findings. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "compat.h"
#include "freeze.h"
#include "store.h"
#include "store_db.h"
#include "store_int.h"
#include "util.h"

/*
 * Migrations, in order. Version N's SQL turns a version N-1 store into version N; all the
 * pending ones run in one transaction with the new version written to `meta`. To change the
 * schema, append an entry (never edit a released one) and raise STORE_SCHEMA_VERSION.
 */
struct migration {
	int version;
	const char *what;
	const char *sql;
};

static const struct migration migrations[] = {
	{ 1, "initial schema",
	  "CREATE TABLE meta (key TEXT PRIMARY KEY, value NOT NULL);"
	  "CREATE TABLE findings ("
	  " id TEXT PRIMARY KEY,"
	  " first_seen INTEGER NOT NULL,"      /* ms: when a scan first stored it */
	  " last_seen INTEGER NOT NULL,"       /* ms: when a scan last stored it */
	  " event_time INTEGER NOT NULL,"      /* ms: the event's time, 0 when unknown */
	  " kind TEXT NOT NULL, severity TEXT NOT NULL, provider TEXT,"
	  " address TEXT, type TEXT, resource_id TEXT, actor_name TEXT, event_name TEXT,"
	  " account TEXT, region TEXT,"
	  " json TEXT NOT NULL);"              /* finding_to_json (sensitive values masked) */
	  "CREATE INDEX findings_event_time ON findings (event_time, id);"
	  "CREATE INDEX findings_last_seen ON findings (last_seen);"
	  "CREATE INDEX findings_address ON findings (address);"
	  "CREATE TABLE decisions ("
	  " id INTEGER PRIMARY KEY,"
	  " action TEXT NOT NULL CHECK (action IN ('ack', 'suppress', 'undo')),"
	  " scope TEXT CHECK (scope IN ('finding', 'resource', 'rule', 'actor', 'event_name')),"
	  " value TEXT,"
	  " \"by\" TEXT,"
	  " at INTEGER NOT NULL,"
	  " note TEXT,"
	  " until INTEGER,"                    /* ms; NULL = forever */
	  " undoes INTEGER REFERENCES decisions (id),"
	  " CHECK ((action = 'undo') = (undoes IS NOT NULL)),"
	  " CHECK (action = 'undo' OR (scope IS NOT NULL AND value IS NOT NULL)));"
	  "CREATE INDEX decisions_target ON decisions (scope, value);"
	  "CREATE INDEX decisions_undoes ON decisions (undoes);"
	  "CREATE INDEX decisions_at ON decisions (at);"
	  "CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated INTEGER NOT NULL);" },
	{ 2, "change-freeze windows",
	  "CREATE TABLE freezes ("
	  " id INTEGER PRIMARY KEY,"
	  " name TEXT NOT NULL CHECK (name <> ''),"
	  " start INTEGER NOT NULL,"           /* ms, inclusive */
	  " \"end\" INTEGER NOT NULL,"         /* ms, exclusive; set to now when ended early */
	  " scope TEXT NOT NULL DEFAULT '{}'," /* freeze_scope_to_json */
	  " created_by TEXT,"
	  " created_at INTEGER NOT NULL,"
	  " ended_by TEXT,"
	  " ended_at INTEGER,"
	  " deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"   /* cancelled */
	  " CHECK (\"end\" > start));"
	  "CREATE INDEX freezes_end ON freezes (\"end\");" },
	{ 3, "history by resource",
	  /* The expression is RESOURCE_KEY_SQL: store_history's lookups use this index. */
	  "CREATE INDEX findings_resource ON findings ((CASE WHEN address IS NOT NULL THEN address"
	  " WHEN resource_id IS NOT NULL THEN COALESCE(type, '') || ':' || resource_id END),"
	  " event_time);" },
	{ 4, "dashboard preferences",
	  /* Saved views and column layouts (`:save-view`, `:columns`): UI state lives here, never
	   * in the user's config file. */
	  "CREATE TABLE ui_prefs (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_by TEXT,"
	  " updated INTEGER NOT NULL);" },
	{ 5, "resolutions",
	  /* A finding's lifecycle: open until resolved (the JSON holds the resolution); the state
	   * it was decided against, so that a newer state of its lineage can accept it. */
	  "ALTER TABLE findings ADD COLUMN status TEXT NOT NULL DEFAULT 'open'"
	  " CHECK (status IN ('open', 'resolved'));"
	  "ALTER TABLE findings ADD COLUMN resolved_at INTEGER;"
	  "ALTER TABLE findings ADD COLUMN state_lineage TEXT;"
	  "ALTER TABLE findings ADD COLUMN state_serial INTEGER;"
	  "CREATE INDEX findings_status ON findings (status, event_time);" },
	{ 6, "events seen",
	  /* The write events that touched a resource (or made findings), as logged, so `tfdrift
	   * blame` and a resource's history can be answered from the store. Kept
	   * STORE_EVENTS_KEEP_MS after they were last saved. */
	  "CREATE TABLE events_seen ("
	  " provider TEXT NOT NULL,"
	  " id TEXT NOT NULL,"
	  " time INTEGER NOT NULL,"            /* ms: the event's time, 0 when unknown */
	  " resource_key TEXT NOT NULL,"       /* detector_resource_key: address, else TYPE:ID */
	  " name TEXT, source TEXT,"
	  " actor TEXT NOT NULL,"              /* actor_to_json */
	  " failed INTEGER NOT NULL CHECK (failed IN (0, 1)),"
	  " error_code TEXT,"
	  " origin TEXT,"
	  " record TEXT NOT NULL,"             /* the record as logged: event_from_json reads it */
	  " seen INTEGER NOT NULL,"            /* ms: when tfdrift last saved it */
	  " PRIMARY KEY (provider, id));"
	  /* A resource's history; the retention. */
	  "CREATE INDEX events_seen_resource ON events_seen (resource_key, time);"
	  "CREATE INDEX events_seen_seen ON events_seen (seen);" },
	{ 7, "re-evaluation columns",
	  /* What re-evaluating an open finding against a newer state reads, so that it needs no
	   * parse of the JSON: the event's source (with event_name, its map entry) and the
	   * "changes" array of the JSON (compact). A resolution saved by store_put_resolutions is
	   * kept apart from the JSON (which then still says open) and merged when read. Rows
	   * whose JSON is not JSON keep NULL changes: re-evaluation skips them as reading does. */
	  "ALTER TABLE findings ADD COLUMN event_source TEXT;"
	  "ALTER TABLE findings ADD COLUMN changes TEXT;"
	  "ALTER TABLE findings ADD COLUMN resolution TEXT;"
	  "UPDATE findings SET event_source = json_extract(json, '$.event.source'),"
	  " changes = COALESCE(json_extract(json, '$.changes'), '[]') WHERE json_valid(json);" },
	{ 8, "finding bodies apart",
	  /* The finding's JSON in a table of its own, so that the rows re-evaluation reads and
	   * resolves (status, resolution, the columns) are small: saving 50,000 resolutions
	   * rewrote every page of 100,000 findings when each row carried its JSON. */
	  "CREATE TABLE finding_bodies ("
	  " id TEXT PRIMARY KEY REFERENCES findings (id),"
	  " json TEXT NOT NULL);"              /* as the json column was (finding_to_json) */
	  "INSERT INTO finding_bodies (id, json) SELECT id, json FROM findings;"
	  "ALTER TABLE findings DROP COLUMN json;"
	  /* Never read by a query, and every save and resolution moved its entry. (The status
	   * index stays: without it resolving 50,000 of 100,000 findings took 0.1 s less and
	   * counting them by status, which every scan --store does, 0.1 s more.) */
	  "DROP INDEX findings_last_seen;" },
	{ 9, "worker leases and notification claims",
	  /* Several `watch` workers on one store (store_lease.c): a lease per poller, so that
	   * one worker at a time polls it, and a claim per notification, made before it is
	   * sent, so that one worker sends it. Times are ms since the epoch. Both back ends. */
	  "CREATE TABLE leases ("
	  " name TEXT PRIMARY KEY,"            /* the poller (its cursors' prefix) */
	  " holder TEXT NOT NULL,"             /* host:pid:random */
	  " expires_at BIGINT NOT NULL,"       /* ms; 0: released */
	  " acquired_at BIGINT NOT NULL,"
	  " renewed_at BIGINT NOT NULL,"
	  " epoch BIGINT NOT NULL DEFAULT 1);" /* how many times it was taken */
	  "CREATE TABLE notify_claims ("
	  " finding_id TEXT NOT NULL,"
	  " output TEXT NOT NULL,"
	  " kind TEXT NOT NULL CHECK (kind IN ('open', 'resolved')),"
	  " holder TEXT NOT NULL,"
	  " claimed_at BIGINT NOT NULL,"
	  " PRIMARY KEY (finding_id, output, kind));" },
};

/* store_resource_key in SQL (the same text as the index of migration 3, so it is used). */
#define RESOURCE_KEY_SQL "(CASE WHEN address IS NOT NULL THEN address" \
	" WHEN resource_id IS NOT NULL THEN COALESCE(type, '') || ':' || resource_id END)"
/*
 * A new PostgreSQL store starts at schema 8 whole: what migrations 1 to 8 make of an SQLite
 * store, in types both read alike (BIGINT millisecond times and counts, identity keys, text
 * compared and sorted byte by byte as SQLite does: COLLATE "C"). No PostgreSQL store older
 * than 8 exists, so migrations 1 to 8 never run there; those after 8 run on both back ends
 * (write them in the SQL both accept).
 */
const int store_pg_base_version = 8;
const char store_pg_base_schema[] =
	"CREATE TABLE meta (key TEXT COLLATE \"C\" PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE findings ("
	" id TEXT COLLATE \"C\" PRIMARY KEY,"
	" first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, event_time BIGINT NOT NULL,"
	" kind TEXT COLLATE \"C\" NOT NULL, severity TEXT COLLATE \"C\" NOT NULL,"
	" provider TEXT COLLATE \"C\", address TEXT COLLATE \"C\", type TEXT COLLATE \"C\","
	" resource_id TEXT COLLATE \"C\", actor_name TEXT COLLATE \"C\","
	" event_name TEXT COLLATE \"C\", account TEXT COLLATE \"C\", region TEXT COLLATE \"C\","
	" status TEXT COLLATE \"C\" NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),"
	" resolved_at BIGINT, state_lineage TEXT COLLATE \"C\", state_serial BIGINT,"
	" event_source TEXT COLLATE \"C\", changes TEXT, resolution TEXT);"
	"CREATE INDEX findings_event_time ON findings (event_time, id);"
	"CREATE INDEX findings_address ON findings (address);"
	"CREATE INDEX findings_resource ON findings (" RESOURCE_KEY_SQL ", event_time);"
	"CREATE INDEX findings_status ON findings (status, event_time);"
	"CREATE TABLE finding_bodies ("
	" id TEXT COLLATE \"C\" PRIMARY KEY REFERENCES findings (id), json TEXT NOT NULL);"
	"CREATE TABLE decisions ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" action TEXT COLLATE \"C\" NOT NULL CHECK (action IN ('ack', 'suppress', 'undo')),"
	" scope TEXT COLLATE \"C\" CHECK (scope IN ('finding', 'resource', 'rule', 'actor',"
	" 'event_name')),"
	" value TEXT COLLATE \"C\", \"by\" TEXT COLLATE \"C\", at BIGINT NOT NULL, note TEXT,"
	" until BIGINT, undoes BIGINT REFERENCES decisions (id),"
	" CHECK ((action = 'undo') = (undoes IS NOT NULL)),"
	" CHECK (action = 'undo' OR (scope IS NOT NULL AND value IS NOT NULL)));"
	"CREATE INDEX decisions_target ON decisions (scope, value);"
	"CREATE INDEX decisions_undoes ON decisions (undoes);"
	"CREATE INDEX decisions_at ON decisions (at);"
	"CREATE TABLE cursors (name TEXT COLLATE \"C\" PRIMARY KEY, value TEXT NOT NULL,"
	" updated BIGINT NOT NULL);"
	"CREATE TABLE freezes ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" name TEXT COLLATE \"C\" NOT NULL CHECK (name <> ''),"
	" start BIGINT NOT NULL, \"end\" BIGINT NOT NULL, scope TEXT NOT NULL DEFAULT '{}',"
	" created_by TEXT COLLATE \"C\", created_at BIGINT NOT NULL,"
	" ended_by TEXT COLLATE \"C\", ended_at BIGINT,"
	" deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),"
	" CHECK (\"end\" > start));"
	"CREATE INDEX freezes_end ON freezes (\"end\");"
	"CREATE TABLE ui_prefs (key TEXT COLLATE \"C\" PRIMARY KEY, value TEXT NOT NULL,"
	" updated_by TEXT COLLATE \"C\", updated BIGINT NOT NULL);"
	"CREATE TABLE events_seen ("
	" provider TEXT COLLATE \"C\" NOT NULL, id TEXT COLLATE \"C\" NOT NULL,"
	" time BIGINT NOT NULL, resource_key TEXT COLLATE \"C\" NOT NULL,"
	" name TEXT COLLATE \"C\", source TEXT COLLATE \"C\", actor TEXT NOT NULL,"
	" failed INTEGER NOT NULL CHECK (failed IN (0, 1)), error_code TEXT COLLATE \"C\","
	" origin TEXT COLLATE \"C\", record TEXT NOT NULL, seen BIGINT NOT NULL,"
	" PRIMARY KEY (provider, id));"
	"CREATE INDEX events_seen_resource ON events_seen (resource_key, time);"
	"CREATE INDEX events_seen_seen ON events_seen (seen);";


static const char *scope_names[SCOPE__COUNT] = { "finding", "resource", "rule", "actor", "event_name" };
static const char *action_names[] = { "ack", "suppress", "undo" };

const char *
store_scope_name(enum store_scope s)
{
	return (unsigned)s < SCOPE__COUNT ? scope_names[s] : "unknown";
}

int
store_scope_parse(const char *s, enum store_scope *out)
{
	int i;

	if (s == NULL)
		return -1;
	if (strcmp(s, "event") == 0) {
		*out = SCOPE_EVENT_NAME;
		return 0;
	}
	for (i = 0; i < SCOPE__COUNT; i++) {
		if (strcmp(s, scope_names[i]) == 0) {
			*out = (enum store_scope)i;
			return 0;
		}
	}
	return -1;
}

/* The length of a Terraform name ([A-Za-z_][A-Za-z0-9_-]*) at s, 0 when there is none. */
static size_t
addr_name_len(const char *s)
{
	size_t n = 0;

	if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
		return 0;
	while (s[n] == '_' || s[n] == '-' || (s[n] >= 'a' && s[n] <= 'z') ||
	    (s[n] >= 'A' && s[n] <= 'Z') || (s[n] >= '0' && s[n] <= '9'))
		n++;
	return n;
}

/* The length of an instance key at s: [0] or ["a\"b"]; 0 when there is none. */
static size_t
addr_index_len(const char *s)
{
	size_t n = 1;

	if (s[0] != '[')
		return 0;
	if (s[1] == '"') {
		for (n = 2; s[n] != '\0' && s[n] != '"'; n++)
			if (s[n] == '\\' && s[n + 1] != '\0')
				n++;
		if (s[n] != '"')
			return 0;
		n++;
	} else
		while (s[n] >= '0' && s[n] <= '9')
			n++;
	return n > 1 && s[n] == ']' ? n + 1 : 0;
}

/* A Terraform resource address: module.NAME[KEY]. ... [data.]TYPE.NAME[KEY]. */
static int
is_address(const char *s)
{
	size_t n;

	while (strncmp(s, "module.", 7) == 0) {
		if ((n = addr_name_len(s + 7)) == 0)
			return 0;
		s += 7 + n;
		s += addr_index_len(s);
		if (*s++ != '.')
			return 0;
	}
	if (strncmp(s, "data.", 5) == 0)
		s += 5;
	if ((n = addr_name_len(s)) == 0 || s[n] != '.')
		return 0;
	s += n + 1;
	if ((n = addr_name_len(s)) == 0)
		return 0;
	s += n;
	s += addr_index_len(s);
	return *s == '\0';
}

int
store_scope_check(enum store_scope scope, const char *value, char **err)
{
	static const char *const what[SCOPE__COUNT] = {
		"a finding id (or a unique prefix of one; `tfdrift export` lists them)",
		"a Terraform address (aws_instance.web, module.app.aws_instance.web[\"a\"]) or "
		"TYPE:ID with both parts (aws_security_group:sg-0abc12); `tfdrift export` shows "
		"each finding's resource",
		"a rule id (the id: of a rule; findings show theirs under rules)",
		"an actor's name or principal (alice, arn:aws:iam::111122223333:user/alice)",
		"an event name (ModifyInstanceAttribute, v1.compute.instances.setLabels)",
	};
	const unsigned char *p;
	size_t len, n;

	if ((unsigned)scope >= SCOPE__COUNT)
		return tf_err(err, "unknown scope");
	if (value == NULL || *value == '\0')
		return tf_err(err, "is empty: expected %s", what[scope]);
	len = strlen(value);
	for (p = (const unsigned char *)value; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			return tf_err(err, "has a control character: expected %s", what[scope]);
	if (value[0] == ' ' || value[len - 1] == ' ')
		return tf_err(err, "starts or ends with a space: expected %s", what[scope]);
	if (scope != SCOPE_RESOURCE || is_address(value))
		return 0;
	/* TYPE:ID, split at the first colon (ids such as ARNs have more). */
	n = addr_name_len(value);
	if (n > 0 && value[n] == ':' && value[n + 1] != '\0')
		return 0;
	if (value[0] == ':' && value[1] != '\0') {
		/* The key of a resource whose type no event map names: only a stored one. */
		tf_err(err, "has no type: expected %s (a key without a type is accepted only when a "
		    "stored finding has it)", what[scope]);
		return -2;
	}
	return tf_err(err, "is neither an address nor TYPE:ID: expected %s", what[scope]);
}

const char *
store_action_name(enum store_action a)
{
	return (unsigned)a < TF_ARRLEN(action_names) ? action_names[a] : "unknown";
}

static int
action_parse(const char *s, enum store_action *out)
{
	size_t i;

	for (i = 0; s != NULL && i < TF_ARRLEN(action_names); i++) {
		if (strcmp(s, action_names[i]) == 0) {
			*out = (enum store_action)i;
			return 0;
		}
	}
	return -1;
}

int
store_status_parse(const char *s, unsigned *mask)
{
	const char *p = s, *e;
	size_t n;

	if (s == NULL || *s == '\0')
		return -1;
	*mask = 0;
	while (*p != '\0') {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 3 && strncmp(p, "all", n) == 0)
			*mask |= STORE_STATUS_ALL;
		else if (n == 4 && strncmp(p, "open", n) == 0)
			*mask |= STORE_STATUS_OPEN;
		else if (n == 12 && strncmp(p, "acknowledged", n) == 0)
			*mask |= STORE_STATUS_ACKNOWLEDGED;
		else if (n == 10 && strncmp(p, "suppressed", n) == 0)
			*mask |= STORE_STATUS_SUPPRESSED;
		else if (n == 8 && strncmp(p, "resolved", n) == 0)
			*mask |= STORE_STATUS_RESOLVED;
		else
			return -1;
		p += n;
		if (*p == ',')
			p++;
	}
	return *mask != 0 ? 0 : -1;
}

const char *
store_path(const struct store *st)
{
	return st->path;
}

int
store_schema_version(const struct store *st)
{
	return st->version;
}

const char *
store_readonly_reason(const struct store *st)
{
	return st->ro_reason;
}

void
store_set_ro(struct store *st, const char *why)
{
	free(st->ro_reason);
	st->ro_reason = xstrdup(why);
}

/* ---- the database operations, with the store's messages ---- */

static int
db_fail(struct store *st, int rc, const char *doing, int writing, char **err)
{
	return st->ops->fail(st, rc, doing, writing, err);
}

/* Every call fails the same way once a reopen before a write left no connection. */
static int
no_db(struct store *st, char **err)
{
	return tf_err(err, "%s", st->ro_reason != NULL ? st->ro_reason : "the store is closed");
}

static int
exec(struct store *st, const char *sql, const char *doing, int writing, char **err)
{
	int rc;

	if (st->db == NULL)
		return no_db(st, err);
	rc = st->ops->exec(st, sql);
	return rc == SDB_OK ? 0 : db_fail(st, rc, doing, writing, err);
}

static int
prep(struct store *st, const char *sql, struct store_stmt **stmt, const char *doing, char **err)
{
	int rc;

	*stmt = NULL;
	if (st->db == NULL)
		return no_db(st, err);
	if ((rc = st->ops->prepare(st, sql, stmt)) != SDB_OK) {
		*stmt = NULL;
		return db_fail(st, rc, doing, 0, err);
	}
	return 0;
}

static inline void
db_bind_int64(struct store_stmt *s, int i, int64_t v)
{
	s->ops->bind_int64(s, i, v);
}

static inline void
db_bind_null(struct store_stmt *s, int i)
{
	s->ops->bind_null(s, i);
}

/* copy 0: v stays valid until the statement is stepped. */
static inline void
db_bind_text(struct store_stmt *s, int i, const char *v, int copy)
{
	s->ops->bind_text(s, i, v, copy);
}

static inline int
db_step(struct store_stmt *s)
{
	return s->ops->step(s);
}

static inline void
db_reset(struct store_stmt *s)
{
	s->ops->reset(s);
}

static inline void
db_finalize(struct store_stmt *s)
{
	if (s != NULL)
		s->ops->finalize(s);
}

static inline int64_t
db_column_int64(struct store_stmt *s, int i)
{
	return s->ops->column_int64(s, i);
}

static inline const char *
db_column_text(struct store_stmt *s, int i)
{
	return s->ops->column_text(s, i);
}

static inline int
db_column_null(struct store_stmt *s, int i)
{
	return s->ops->column_null(s, i);
}

static void
bind_text(struct store_stmt *s, int i, const char *v)
{
	db_bind_text(s, i, v, 1);
}

static char *
col_text(struct store_stmt *s, int i)
{
	const char *t = db_column_text(s, i);

	return t != NULL ? xstrdup(t) : NULL;
}

static void
rollback(struct store *st)
{
	if (st->db != NULL)
		st->ops->rollback(st);
}

/* Start a write transaction (waiting up to the busy timeout for another writer; see the
 * back end's begin). */
static int
begin_write(struct store *st, const char *doing, char **err)
{
	int rc = st->ops->begin(st, 1);

	return rc == SDB_OK ? 0 : db_fail(st, rc, doing, 1, err);
}

/* A read transaction: one consistent snapshot. */
static int
begin_read(struct store *st, const char *doing, char **err)
{
	int rc;

	if (st->db == NULL)
		return no_db(st, err);
	rc = st->ops->begin(st, 0);
	return rc == SDB_OK ? 0 : db_fail(st, rc, doing, 0, err);
}

#define BIG_WRITE_ROWS 5000
static void
big_cache(struct store *st, int on)
{
	if (st->db != NULL)
		st->ops->big_write(st, on);
}

/* Commit: when this returns 0 the transaction is durable (SQLite: in the WAL and synced,
 * synchronous=FULL). A successful write also clears a read-only reason left by a passing
 * condition. */
static int
commit(struct store *st, const char *doing, char **err)
{
	int rc = st->ops->commit(st);

	if (rc != SDB_OK) {
		db_fail(st, rc, doing, 1, err);
		rollback(st);
		return -1;
	}
	free(st->ro_reason);
	st->ro_reason = NULL;
	return 0;
}

/* Fail a write transaction: message, then roll back. */
static int
abort_write(struct store *st, int rc, const char *doing, char **err)
{
	db_fail(st, rc, doing, 1, err);
	rollback(st);
	return -1;
}

int
store_migrate(struct store *st, int base, const char *base_sql, char **err)
{
	size_t i;
	char *sql, *doing;
	int rc;

	if (st->version == 0 && base_sql != NULL) {
		doing = xasprintf("create the store at schema version %d", base);
		rc = exec(st, base_sql, doing, 1, err);
		free(doing);
		if (rc != 0)
			return -1;
		st->version = base;
	}
	for (i = 0; i < TF_ARRLEN(migrations); i++) {
		if (migrations[i].version <= st->version)
			continue;
		doing = xasprintf("upgrade the store to schema version %d (%s)", migrations[i].version,
		    migrations[i].what);
		rc = exec(st, migrations[i].sql, doing, 1, err);
		free(doing);
		if (rc != 0)
			return -1;
		st->version = migrations[i].version;
	}
	sql = xasprintf("INSERT INTO meta (key, value) VALUES ('schema_version', %d)"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value;"
	    "INSERT INTO meta (key, value) VALUES ('created', %lld) ON CONFLICT (key) DO NOTHING;"
	    "INSERT INTO meta (key, value) VALUES ('written_by', 'tfdrift %s')"
	    " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
	    st->version, (long long)tf_now_ms(), PACKAGE_VERSION);
	rc = exec(st, sql, "record the schema version", 1, err);
	free(sql);
	return rc;
}

/* ---- opening ---- */

int
store_is_uri(const char *s)
{
	return s != NULL && (strncmp(s, "postgresql://", 13) == 0 ||
	    strncmp(s, "postgres://", 11) == 0);
}

char *
store_display(const char *location)
{
	return store_is_uri(location) ? store_pg_display(location) : xstrdup(location);
}

int
store_open_ex(const char *path, int flags, int busy_timeout_ms, struct store **out, char **err)
{
	struct store *st;

	*out = NULL;
	if (path == NULL || *path == '\0')
		return tf_err(err, "no store path given (--store PATH, or `store:` in the config)");
	if (flags & STORE_RDONLY)
		flags |= STORE_NOCREATE;
	st = xcalloc(1, sizeof *st);
	st->flags = flags;
	st->busy_ms = busy_timeout_ms > 0 ? busy_timeout_ms : 0;
	if (store_is_uri(path)) {
		st->ops = &store_pg_ops;
		st->uri = xstrdup(path);
		st->path = store_pg_display(path);
	} else {
		st->ops = &store_sqlite_ops;
		st->path = xstrdup(path);
	}
	if (st->ops->open(st, !(flags & STORE_NOCREATE), err) != 0) {
		store_close(st);
		return -1;
	}
	*out = st;
	return 0;
}

int
store_open(const char *path, int flags, struct store **out, char **err)
{
	return store_open_ex(path, flags, STORE_BUSY_TIMEOUT_MS, out, err);
}

int
store_changed(struct store *st)
{
	return st->db != NULL ? st->ops->changed(st) : -1;
}

int
store_fd(struct store *st)
{
	return st->db != NULL ? st->ops->fd(st) : -1;
}

const char *
store_location(const struct store *st)
{
	return st->uri != NULL ? st->uri : st->path;
}

const char *
store_backend(const struct store *st)
{
	return st->ops->name;
}


int
store_may_write(const struct store *st)
{
	return !(st->flags & STORE_RDONLY) && (st->ro_reason == NULL || !st->conn_ro ||
	    st->fallback);
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->ops->close(st);
	free(st->path);
	if (st->uri != NULL)
		explicit_bzero(st->uri, strlen(st->uri));
	free(st->uri);
	free(st->ro_reason);
	free(st);
}

/* ---- findings ---- */

static int put_events(struct store *st, const struct store_seen *v, size_t n, int64_t now,
    const char *doing, char **err);

int
store_put_findings(struct store *st, const struct finding_list *l, char **err)
{
	return store_put_findings_events(st, l, NULL, 0, err);
}

int
store_put_events(struct store *st, const struct store_seen *v, size_t n, char **err)
{
	return store_put_findings_events(st, NULL, v, n, err);
}

int
store_put_findings_events(struct store *st, const struct finding_list *l,
    const struct store_seen *v, size_t nv, char **err)
{
	/* A resolved finding stays resolved: an update never touches one (the same event scanned
	 * again, an open copy from another worker). */
	static const char upd_sql[] =
	    "UPDATE findings SET last_seen = ?1, event_time = ?2, kind = ?3, severity = ?4,"
	    " provider = ?5, address = ?6, type = ?7, resource_id = ?8, actor_name = ?9,"
	    " event_name = ?10, account = ?11, region = ?12, status = ?15,"
	    " resolved_at = ?16, state_lineage = COALESCE(?17, state_lineage),"
	    " state_serial = COALESCE(?18, state_serial), event_source = ?19, changes = ?20,"
	    " resolution = NULL WHERE id = ?14 AND status <> 'resolved'";
	/* The same update for a row whose indexed columns other than last_seen and status hold
	 * the values already (a finding saved again, or resolved): their indexes are left alone,
	 * which is most of the work of an update. Else the full one, else an insert. */
	static const char same_sql[] =
	    "UPDATE findings SET last_seen = ?1, kind = ?3, severity = ?4, provider = ?5,"
	    " actor_name = ?9, event_name = ?10, account = ?11, region = ?12,"
	    " status = ?15, resolved_at = ?16, state_lineage = COALESCE(?17, state_lineage),"
	    " state_serial = COALESCE(?18, state_serial), event_source = ?19, changes = ?20,"
	    " resolution = NULL WHERE id = ?14 AND status <> 'resolved'"
	    " AND event_time IS NOT DISTINCT FROM ?2 AND address IS NOT DISTINCT FROM ?6"
	    " AND type IS NOT DISTINCT FROM ?7 AND resource_id IS NOT DISTINCT FROM ?8";
	static const char ins_sql[] =
	    "INSERT INTO findings (last_seen, event_time, kind, severity, provider, address,"
	    " type, resource_id, actor_name, event_name, account, region, id, status,"
	    " resolved_at, state_lineage, state_serial, event_source, changes, first_seen)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?15, ?16, ?17,"
	    " ?18, ?19, ?20, ?1) ON CONFLICT (id) DO NOTHING";
	/* Its JSON (schema 8), written when the row was (a resolved row keeps its own). */
	static const char body_sql[] =
	    "INSERT INTO finding_bodies (id, json) VALUES (?1, ?2)"
	    " ON CONFLICT (id) DO UPDATE SET json = excluded.json";
	const char *doing = l != NULL && l->n > 0 ? "save findings" : "save the events seen";
	struct store_stmt *same = NULL, *upd = NULL, *ins = NULL, *body = NULL;
	int64_t now = tf_now_ms();
	size_t i, nf = l != NULL ? l->n : 0;
	int rc;

	if (nf == 0 && nv == 0)
		return 0;
	if (nf > 0 && st->version < 8)
		return tf_err(err, "%s: the store has schema version %d, which keeps findings another "
		    "way (open it writable once to upgrade it)", st->path, st->version);
	if (begin_write(st, doing, err) != 0)
		return -1;
	if (put_events(st, v, nv, now, doing, err) != 0)
		return -1;
	if (nf == 0)
		return commit(st, doing, err);
	if (prep(st, same_sql, &same, doing, err) != 0 || prep(st, upd_sql, &upd, doing, err) != 0 ||
	    prep(st, ins_sql, &ins, doing, err) != 0 || prep(st, body_sql, &body, doing, err) != 0) {
		db_finalize(same);
		db_finalize(upd);
		db_finalize(ins);
		rollback(st);
		return -1;
	}
	for (i = 0; i < l->n; i++) {
		const struct finding *f = l->v[i];
		json_object *o = finding_to_json(f);
		struct store_stmt *s = same;
		const char *changes;
		int pass, changed = 0, resolved = f->status == ST_RESOLVED && f->resolution != NULL;

		/* Triage lives in the decisions table only; a resolution in the finding. */
		json_object_object_add(o, "status", json_object_new_string(resolved ? "resolved" :
		    "open"));
		if (!resolved)
			json_object_object_del(o, "resolution");
		json_object_object_del(o, "triage");
		/* History is relative to what the store holds when read: not stored. */
		json_object_object_del(o, "history");
		changes = json_object_to_json_string_ext(json_object_object_get(o, "changes"),
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		for (pass = 0; pass < 3; pass++) {
			db_reset(s);
			db_bind_int64(s, 1, now);
			db_bind_int64(s, 2, f->event_time_ms);
			bind_text(s, 3, finding_kind_name(f->kind));
			bind_text(s, 4, severity_name(f->severity));
			bind_text(s, 5, tf_provider_name(f->provider));
			bind_text(s, 6, f->address);
			bind_text(s, 7, f->type);
			bind_text(s, 8, f->resource_id);
			bind_text(s, 9, f->actor.name != NULL ? f->actor.name : f->actor.principal);
			bind_text(s, 10, f->event_name);
			bind_text(s, 11, f->account);
			bind_text(s, 12, f->region);
			bind_text(s, 14, f->id);
			bind_text(s, 15, resolved ? "resolved" : "open");
			if (resolved)
				db_bind_int64(s, 16, f->resolution->at_ms);
			else
				db_bind_null(s, 16);
			bind_text(s, 17, f->state_lineage);
			if (f->state_lineage != NULL)
				db_bind_int64(s, 18, (int64_t)f->state_serial);
			else
				db_bind_null(s, 18);
			bind_text(s, 19, f->event_source);
			db_bind_text(s, 20, changes, 0);
			if ((rc = db_step(s)) != SDB_DONE)
				break;
			if ((changed = st->ops->changes(st) > 0) || s == ins)
				break;
			s = s == same ? upd : ins;
		}
		if (rc == SDB_DONE && changed) {
			db_reset(body);
			bind_text(body, 1, f->id);
			db_bind_text(body, 2, json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), 0);
			rc = db_step(body);
		}
		json_object_put(o);
		if (rc != SDB_DONE) {
			db_finalize(same);
			db_finalize(upd);
			db_finalize(ins);
			db_finalize(body);
			return abort_write(st, rc, doing, err);
		}
	}
	db_finalize(same);
	db_finalize(upd);
	db_finalize(ins);
	db_finalize(body);
	return commit(st, doing, err);
}

/* The finding of a row (id, json, state_lineage, state_serial, resolution), else NULL counted
 * in *nbad (*first_bad says which first). A resolution saved apart (store_put_resolutions)
 * is merged: the finding reads as it would had it been saved whole. */
static struct finding *
row_finding(const struct store *st, struct store_stmt *s, json_tokener *tok, int *nbad,
    char **first_bad)
{
	const char *id = (const char *)db_column_text(s, 0);
	const char *js = (const char *)db_column_text(s, 1);
	enum json_tokener_error jerr = json_tokener_success;
	json_object *o = NULL;
	struct finding *f;
	char *why = NULL;

	if (js != NULL) {
		/* As json_tokener_parse_verbose: the whole text, one value, else an error. */
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, js, -1);
		if ((jerr = json_tokener_get_error(tok)) != json_tokener_success) {
			json_object_put(o);
			o = NULL;
		}
	}
	f = o != NULL ? finding_from_json(o, &why) : NULL;
	json_object_put(o);
	if (f != NULL && !db_column_null(s, 4)) {
		json_tokener_reset(tok);
		o = json_tokener_parse_ex(tok, (const char *)db_column_text(s, 4), -1);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    finding_resolution_from_json(f, o, &why) != 0) {
			if (why == NULL)
				why = xstrdup("its resolution is not JSON");
			finding_free(f);
			f = NULL;
		} else
			f->status = ST_RESOLVED;
		json_object_put(o);
	}
	if (f == NULL) {
		if ((*nbad)++ == 0)
			*first_bad = xasprintf("%s: finding %s: cannot read it back (%s); skipped",
			    st->path, id ? id : "?", why != NULL ? why :
			    js == NULL ? "no JSON" : json_tokener_error_desc(jerr));
		free(why);
		return NULL;
	}
	if (!db_column_null(s, 2)) {
		f->state_lineage = xstrdup((const char *)db_column_text(s, 2));
		f->state_serial = (uint64_t)db_column_int64(s, 3);
	}
	return f;
}

int
store_load_findings(struct store *st, int64_t since_ms, int64_t until_ms, unsigned status_mask,
    struct finding_list *out, char **err)
{
	const char *doing = "read findings";
	struct store_triage *t = NULL;
	struct store_stmt *s;
	int64_t now = tf_now_ms();
	int rc, nbad = 0;
	char *first_bad = NULL;
	size_t n0 = out->n, i;

	/* Resolved outranks triage (a resolved row is read as resolved, an open one never is):
	 * rows the mask leaves out by their status are not read at all. */
	const char *by_status = st->version < 5 || (status_mask & STORE_STATUS_ALL) ==
	    STORE_STATUS_ALL ? "" : !(status_mask & STORE_STATUS_RESOLVED) ?
	    " AND status <> 'resolved'" : (status_mask & STORE_STATUS_UNRESOLVED) == 0 ?
	    " AND status = 'resolved'" : "";
	char *sql = xasprintf(st->version >= 8 ?
	    "SELECT id, (SELECT json FROM finding_bodies b WHERE b.id = findings.id),"
	    " state_lineage, state_serial, resolution FROM findings"
	    " WHERE event_time >= ?1 AND event_time <= ?2%s ORDER BY event_time, id" :
	    st->version >= 7 ?
	    "SELECT id, json, state_lineage, state_serial, resolution FROM findings"
	    " WHERE event_time >= ?1 AND event_time <= ?2%s ORDER BY event_time, id" :
	    st->version >= 5 ?
	    "SELECT id, json, state_lineage, state_serial, NULL FROM findings"
	    " WHERE event_time >= ?1 AND event_time <= ?2%s ORDER BY event_time, id" :
	    "SELECT id, json, NULL, NULL, NULL FROM findings"
	    " WHERE event_time >= ?1 AND event_time <= ?2%s ORDER BY event_time, id", by_status);
	json_tokener *tok;

	/* One read transaction: the findings and the decisions are one consistent snapshot. */
	if (begin_read(st, doing, err) != 0) {
		free(sql);
		return -1;
	}
	if (store_triage_snapshot(st, &t, err) != 0 || prep(st, sql, &s, doing, err) != 0) {
		free(sql);
		store_triage_free(t);
		rollback(st);
		return -1;
	}
	free(sql);
	/* One tokener for every row (making one per row was a tenth of the reading). */
	tok = json_tokener_new();
	db_bind_int64(s, 1, since_ms);
	db_bind_int64(s, 2, until_ms);
	while ((rc = db_step(s)) == SDB_ROW) {
		struct finding *f = row_finding(st, s, tok, &nbad, &first_bad);

		if (f == NULL)
			continue;
		store_triage_apply(t, f, now);
		if (status_mask & (1u << f->status))
			finding_list_push(out, f);
		else
			finding_free(f);
	}
	json_tokener_free(tok);
	db_finalize(s);
	store_triage_free(t);
	if (rc != SDB_DONE) {
		free(first_bad);
		db_fail(st, rc, doing, 0, err);
		rollback(st);
		for (i = n0; i < out->n; i++)   /* all or nothing */
			finding_free(out->v[i]);
		out->n = n0;
		return -1;
	}
	rollback(st);   /* ends the read transaction */
	if (nbad > 0) {
		if (err != NULL)
			*err = first_bad;
		else
			free(first_bad);
	}
	return nbad;
}

int
store_keep_resolved(struct store *st, struct finding_list *l, int64_t now_ms, char **err)
{
	const char *doing = "read findings";
	struct store_triage *t = NULL;
	struct store_stmt *s;
	json_tokener *tok;
	char *first_bad = NULL;
	size_t i;
	int rc = SDB_DONE, nbad = 0;

	if (st->version < 5 || l->n == 0)
		return 0;   /* no resolutions kept */
	if (begin_read(st, doing, err) != 0)
		return -1;
	if (store_triage_snapshot(st, &t, err) != 0 || prep(st, st->version >= 8 ?
	    "SELECT id, (SELECT json FROM finding_bodies b WHERE b.id = findings.id),"
	    " state_lineage, state_serial, resolution FROM findings"
	    " WHERE id = ?1 AND status = 'resolved'" : st->version >= 7 ?
	    "SELECT id, json, state_lineage, state_serial, resolution FROM findings"
	    " WHERE id = ?1 AND status = 'resolved'" :
	    "SELECT id, json, state_lineage, state_serial, NULL FROM findings"
	    " WHERE id = ?1 AND status = 'resolved'", &s, doing, err) != 0) {
		store_triage_free(t);
		rollback(st);
		return -1;
	}
	tok = json_tokener_new();
	for (i = 0; i < l->n; i++) {
		struct finding *f;

		db_reset(s);
		bind_text(s, 1, l->v[i]->id);
		if ((rc = db_step(s)) != SDB_ROW) {
			if (rc != SDB_DONE)
				break;
			continue;
		}
		if ((f = row_finding(st, s, tok, &nbad, &first_bad)) == NULL)
			continue;
		store_triage_apply(t, f, now_ms);
		finding_free(l->v[i]);
		l->v[i] = f;
		rc = SDB_DONE;
	}
	json_tokener_free(tok);
	db_finalize(s);
	store_triage_free(t);
	if (rc != SDB_DONE && rc != SDB_ROW) {
		free(first_bad);
		db_fail(st, rc, doing, 0, err);
		rollback(st);
		return -1;
	}
	rollback(st);   /* ends the read transaction */
	if (nbad > 0) {
		if (err != NULL)
			*err = first_bad;
		else
			free(first_bad);
	}
	return nbad;
}

static int
name_index(const char *s, const char *(*name)(int), int n)
{
	int i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, name(i)) == 0)
			return i;
	return -1;
}

static const char *
kind_name_i(int i) { return finding_kind_name((enum finding_kind)i); }
static const char *
provider_name_i(int i) { return tf_provider_name((enum tf_provider)i); }

static char *
col_dup(struct store_stmt *s, int i)
{
	return db_column_null(s, i) ? NULL : xstrdup(db_column_text(s, i));
}

int
store_load_reevaluable(struct store *st, struct finding_list *out, char **err)
{
	const char *doing = "read the open findings";
	struct store_stmt *s;
	json_tokener *tok;
	size_t n0 = out->n, i;
	int rc, nbad = 0;
	char *first_bad = NULL;

	if (st->version < 7)
		return tf_err(err, "%s: the store has schema version %d, which keeps no columns to "
		    "re-evaluate by (open it writable once to upgrade it)", st->path, st->version);
	if (prep(st, "SELECT id, kind, provider, address, type, resource_id, event_name,"
	    " event_source, state_lineage, state_serial, changes, event_time FROM findings"
	    " WHERE status <> 'resolved'", &s, doing, err) != 0)
		return -1;
	tok = json_tokener_new();
	while ((rc = db_step(s)) == SDB_ROW) {
		const char *id = (const char *)db_column_text(s, 0);
		int kind = name_index((const char *)db_column_text(s, 1), kind_name_i, FK__COUNT);
		int prov = name_index((const char *)db_column_text(s, 2), provider_name_i,
		    PROV_GCP + 1);
		struct finding *f;
		json_object *o = NULL;

		if (id == NULL || id[0] == '\0' || strlen(id) >= sizeof f->id || kind < 0 || prov < 0 ||
		    db_column_null(s, 10)) {
			/* Not read back by store_load_findings either (a migration leaves changes
			 * NULL when the JSON was not JSON): counted and said. */
			if (nbad++ == 0)
				first_bad = xasprintf("%s: finding %s: cannot read it back (%s); skipped",
				    st->path, id != NULL ? id : "?", db_column_null(s, 10) ? "no changes column" : "its kind, provider or id");
			continue;
		}
		f = xcalloc(1, sizeof *f);
		memcpy(f->id, id, strlen(id) + 1);
		f->kind = (enum finding_kind)kind;
		f->provider = (enum tf_provider)prov;
		f->address = col_dup(s, 3);
		f->type = col_dup(s, 4);
		f->resource_id = col_dup(s, 5);
		f->event_name = col_dup(s, 6);
		f->event_source = col_dup(s, 7);
		if ((f->state_lineage = col_dup(s, 8)) != NULL)
			f->state_serial = (uint64_t)db_column_int64(s, 9);
		f->event_time_ms = db_column_int64(s, 11);   /* the detector's lifecycle order */
		/* Only a modification's changes are compared with a state. */
		if (f->kind == FK_MODIFIED) {
			json_tokener_reset(tok);
			o = json_tokener_parse_ex(tok, (const char *)db_column_text(s, 10), -1);
			if (json_tokener_get_error(tok) != json_tokener_success ||
			    finding_changes_from_json(f, o, NULL) != 0) {
				if (nbad++ == 0)
					first_bad = xasprintf("%s: finding %s: cannot read it back (its "
					    "changes are not changes); skipped", st->path, f->id);
				json_object_put(o);
				finding_free(f);
				continue;
			}
			json_object_put(o);
		}
		finding_list_push(out, f);
	}
	json_tokener_free(tok);
	db_finalize(s);
	if (rc != SDB_DONE) {
		for (i = n0; i < out->n; i++)   /* all or nothing */
			finding_free(out->v[i]);
		out->n = n0;
		free(first_bad);
		return db_fail(st, rc, doing, 0, err);
	}
	if (nbad > 0) {
		if (err != NULL)
			*err = first_bad;
		else
			free(first_bad);
	}
	return nbad;
}

int
store_put_resolutions(struct store *st, const struct finding_list *l, char **err)
{
	const char *doing = "save resolutions";
	const struct resolution *prev = NULL;
	struct store_stmt *s;
	json_object *ro = NULL;
	int64_t now = tf_now_ms();
	size_t i;
	int rc;

	if (l->n == 0)
		return 0;
	if (st->version < 7)
		return tf_err(err, "%s: the store has schema version %d, which keeps no resolutions "
		    "apart (open it writable once to upgrade it)", st->path, st->version);
	if (begin_write(st, doing, err) != 0)
		return -1;
	if (prep(st, "UPDATE findings SET last_seen = ?1, status = 'resolved', resolved_at = ?2,"
	    " resolution = ?3 WHERE id = ?4 AND status <> 'resolved'", &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	if (l->n >= BIG_WRITE_ROWS)
		big_cache(st, 1);
	db_bind_int64(s, 1, now);
	for (i = 0; i < l->n; i++) {
		const struct finding *f = l->v[i];

		if (f->status != ST_RESOLVED || f->resolution == NULL)
			continue;
		/* A state resolves a batch alike (the same reason, time and state): one JSON
		 * text for each run of equal resolutions, bound again only when it changes. */
		if (prev == NULL || !finding_resolution_same(prev, f->resolution)) {
			json_object_put(ro);
			ro = finding_resolution_to_json(f->resolution);
			db_bind_text(s, 3, json_object_to_json_string_ext(ro, JSON_C_TO_STRING_PLAIN |
			    JSON_C_TO_STRING_NOSLASHESCAPE), 0);
			db_bind_int64(s, 2, f->resolution->at_ms);
			prev = f->resolution;
		}
		bind_text(s, 4, f->id);
		rc = db_step(s);
		db_reset(s);
		if (rc != SDB_DONE) {
			db_finalize(s);
			json_object_put(ro);
			rc = abort_write(st, rc, doing, err);
			if (l->n >= BIG_WRITE_ROWS)
				big_cache(st, 0);
			return rc;
		}
	}
	db_finalize(s);
	json_object_put(ro);
	rc = commit(st, doing, err);
	if (l->n >= BIG_WRITE_ROWS)
		big_cache(st, 0);
	return rc;
}

int
store_find_finding(struct store *st, const char *prefix, char **id, char **err)
{
	struct store_stmt *s;
	size_t len = prefix != NULL ? strlen(prefix) : 0;
	int rc, n = 0;

	*id = NULL;
	if (len == 0)
		return tf_err(err, "no finding id given");
	if (prep(st, "SELECT id FROM findings WHERE id = ?1 UNION ALL "
	    "SELECT id FROM (SELECT id FROM findings WHERE ?2 >= 4 AND substr(id, 1, ?2) = ?1"
	    " AND id <> ?1 LIMIT 2) AS m", &s, "look up a finding", err) != 0)
		return -1;
	bind_text(s, 1, prefix);
	db_bind_int64(s, 2, (int64_t)len);
	while ((rc = db_step(s)) == SDB_ROW) {
		char *got = col_text(s, 0);

		if (got != NULL && strcmp(got, prefix) == 0) {   /* an exact match wins */
			free(*id);
			*id = got;
			n = 1;
			break;
		}
		if (n++ == 0)
			*id = got;
		else
			free(got);
	}
	db_finalize(s);
	if (rc != SDB_ROW && rc != SDB_DONE) {
		free(*id);
		*id = NULL;
		return db_fail(st, rc, "look up a finding", 0, err);
	}
	if (n == 1)
		return 0;
	free(*id);
	*id = NULL;
	if (n == 0)
		return tf_err(err, "%s: no finding %s in the store (`tfdrift export` lists them%s)",
		    st->path, prefix, len < 4 ? "; give at least 4 characters of an id" : "");
	return tf_err(err, "%s: several findings start with %s: give more of the id", st->path, prefix);
}

int64_t
store_count_findings(struct store *st, char **err)
{
	struct store_stmt *s;
	int64_t n;
	int rc;

	if (prep(st, "SELECT count(*) FROM findings", &s, "count findings", err) != 0)
		return -1;
	if ((rc = db_step(s)) != SDB_ROW) {
		db_finalize(s);
		return db_fail(st, rc, "count findings", 0, err);
	}
	n = db_column_int64(s, 0);
	db_finalize(s);
	return n;
}

int
store_each_open_finding_id(struct store *st, size_t limit,
    void (*fn)(void *ctx, const char *id), void *ctx, char **err)
{
	const char *doing = "list the open findings";
	struct store_stmt *s;
	int rc;

	if (prep(st, "SELECT id FROM findings WHERE status = 'open'"
	    " ORDER BY event_time DESC, id LIMIT ?", &s, doing, err) != 0)
		return -1;
	db_bind_int64(s, 1, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	while ((rc = db_step(s)) == SDB_ROW)
		if (db_column_text(s, 0) != NULL)
			fn(ctx, (const char *)db_column_text(s, 0));
	db_finalize(s);
	if (rc != SDB_DONE)
		return db_fail(st, rc, doing, 0, err);
	return 0;
}

int
store_history(struct store *st, const char *resource_key, int64_t since_ms, int64_t until_ms,
    const char *exclude_id, size_t limit, struct finding_history **out, size_t *n, char **err)
{
	const char *doing = "read the history of a resource";
	struct store_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if (st->history == NULL && prep(st, "SELECT id, event_time, kind, event_name, actor_name"
	    " FROM findings WHERE " RESOURCE_KEY_SQL " = ?1 AND event_time >= ?2 AND event_time < ?3"
	    " AND id <> COALESCE(?4, '') ORDER BY event_time DESC, id LIMIT ?5", &st->history, doing,
	    err) != 0)
		return -1;
	s = st->history;
	bind_text(s, 1, resource_key);
	db_bind_int64(s, 2, since_ms > 0 ? since_ms : 1);     /* 0 is "time unknown" */
	db_bind_int64(s, 3, until_ms);
	bind_text(s, 4, exclude_id);
	db_bind_int64(s, 5, (int64_t)limit);
	while ((rc = db_step(s)) == SDB_ROW) {
		struct finding_history *h;
		const char *kind = (const char *)db_column_text(s, 2);
		int k;

		*out = xreallocarray(*out, *n + 1, sizeof **out);
		h = &(*out)[(*n)++];
		memset(h, 0, sizeof *h);
		h->finding_id = xstrdup((const char *)db_column_text(s, 0));
		h->time_ms = db_column_int64(s, 1);
		for (k = 0; k < FK__COUNT; k++)
			if (kind != NULL && strcmp(kind, finding_kind_name((enum finding_kind)k)) == 0)
				h->kind = (enum finding_kind)k;
		h->event = xstrdup((const char *)db_column_text(s, 3));
		h->actor = xstrdup((const char *)db_column_text(s, 4));
	}
	db_reset(s);       /* kept for the next call; ends its read */
	if (rc != SDB_DONE) {
		size_t i;

		for (i = 0; i < *n; i++) {
			free((*out)[i].finding_id);
			free((*out)[i].event);
			free((*out)[i].actor);
		}
		free(*out);
		*out = NULL;
		*n = 0;
		return db_fail(st, rc, doing, 0, err);
	}
	return 0;
}

/* ---- events seen ---- */

/* Insert or refresh events (a write transaction is open; on failure it is rolled back), then
 * forget those not saved for STORE_EVENTS_KEEP_MS. */
static int
put_events(struct store *st, const struct store_seen *v, size_t n, int64_t now,
    const char *doing, char **err)
{
	static const char sql[] =
	    "INSERT INTO events_seen (provider, id, time, resource_key, name, source, actor, failed,"
	    " error_code, origin, record, seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
	    " ON CONFLICT (provider, id) DO UPDATE SET resource_key = excluded.resource_key,"
	    " seen = excluded.seen";
	struct store_stmt *s = NULL;
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	if (prep(st, sql, &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct event *ev = v[i].ev;
		json_object *actor;

		/* Without an id the same event cannot be told from another: not kept. */
		if (ev->id == NULL || *ev->id == '\0' || v[i].record == NULL ||
		    v[i].resource_key == NULL)
			continue;
		actor = actor_to_json(&ev->actor);
		db_reset(s);
		bind_text(s, 1, tf_provider_name(ev->provider));
		bind_text(s, 2, ev->id);
		db_bind_int64(s, 3, ev->time_ms);
		bind_text(s, 4, v[i].resource_key);
		bind_text(s, 5, ev->name);
		bind_text(s, 6, ev->source);
		db_bind_text(s, 7, json_object_to_json_string_ext(actor, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE), 1);
		db_bind_int64(s, 8, ev->error_code != NULL);
		bind_text(s, 9, ev->error_code);
		bind_text(s, 10, ev->origin);
		db_bind_text(s, 11, json_object_to_json_string_ext(v[i].record,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), 1);
		db_bind_int64(s, 12, now);
		rc = db_step(s);
		json_object_put(actor);
		if (rc != SDB_DONE) {
			db_finalize(s);
			return abort_write(st, rc, doing, err);
		}
	}
	db_finalize(s);
	if (prep(st, "DELETE FROM events_seen WHERE seen < ?1", &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	db_bind_int64(s, 1, now - STORE_EVENTS_KEEP_MS);
	rc = db_step(s);
	db_finalize(s);
	if (rc != SDB_DONE)
		return abort_write(st, rc, doing, err);
	return 0;
}

void
store_seen_add(struct store_seen_buf *b, const struct event *ev, char *key, json_object *record)
{
	struct event *c;

	if (record == NULL) {
		free(key);
		return;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->ev = xreallocarray(b->ev, b->cap, sizeof *b->ev);
		b->keys = xreallocarray(b->keys, b->cap, sizeof *b->keys);
		b->records = xreallocarray(b->records, b->cap, sizeof *b->records);
	}
	c = &b->ev[b->n];
	event_clone(c, ev);
	/* The copy's strings are its own; its JSON (shared with ev) goes now, on ev's thread. */
	json_object_put(c->raw);
	c->raw = NULL;
	c->record = NULL;
	b->records[b->n] = record;
	b->keys[b->n++] = key;
}

void
store_seen_clear(struct store_seen_buf *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		event_free(&b->ev[i]);
		free(b->keys[i]);
		json_object_put(b->records[i]);
	}
	free(b->ev);
	free(b->keys);
	free(b->records);
	memset(b, 0, sizeof *b);
}

int
store_seen_flush(struct store *st, struct store_seen_buf *b, const struct finding_list *l,
    char **err)
{
	struct store_seen *v = xcalloc(b->n + 1, sizeof *v);
	size_t i;
	int rc;

	for (i = 0; i < b->n; i++) {
		v[i].ev = &b->ev[i];
		v[i].resource_key = b->keys[i];
		v[i].record = b->records[i];
	}
	rc = store_put_findings_events(st, l, v, b->n, err);
	free(v);
	store_seen_clear(b);
	return rc;
}

/* A store older than schema 6 read as it is has no events. */
static int
events_kept(struct store *st, char **err)
{
	if (st->version >= 6)
		return 0;
	return tf_err(err, "%s: the store has schema version %d, which keeps no events (6 does): "
	    "open it once for writing (tfdrift scan --store, tfdrift watch) to upgrade it, then "
	    "the events seen from then on are kept", st->path, st->version);
}

int
store_each_event(struct store *st, int (*fn)(void *ctx, const struct event *ev), void *ctx,
    char **err)
{
	const char *doing = "read the events seen";
	struct store_stmt *s;
	int rc, nbad = 0, stop = 0;
	char *first_bad = NULL;

	if (events_kept(st, err) != 0)
		return -1;
	if (prep(st, "SELECT provider, id, time, origin, record FROM events_seen"
	    " ORDER BY time, provider, id", &s, doing, err) != 0)
		return -1;
	while (!stop && (rc = db_step(s)) == SDB_ROW) {
		const char *id = (const char *)db_column_text(s, 1);
		const char *rec = (const char *)db_column_text(s, 4);
		const char *origin = (const char *)db_column_text(s, 3);
		enum json_tokener_error jerr = json_tokener_success;
		json_object *o = rec != NULL ? json_tokener_parse_verbose(rec, &jerr) : NULL;
		const char *why = NULL;
		struct event ev;

		memset(&ev, 0, sizeof ev);
		if (o == NULL || event_from_json(o, &ev, &why) != 0) {
			if (nbad++ == 0)
				first_bad = xasprintf("%s: event %s: cannot read it back (%s); skipped",
				    st->path, id != NULL ? id : "?", why != NULL ? why : rec == NULL ?
				    "no record" : json_tokener_error_desc(jerr));
			json_object_put(o);
			event_free(&ev);
			continue;
		}
		json_object_put(o);
		/* What the collector made of it, as it was saved. */
		free(ev.id);
		ev.id = xstrdup(id);
		ev.time_ms = db_column_int64(s, 2);
		free(ev.origin);
		ev.origin = xstrdup(origin);
		stop = fn(ctx, &ev) != 0;
		event_free(&ev);
	}
	db_finalize(s);
	if (!stop && rc != SDB_DONE) {
		free(first_bad);
		return db_fail(st, rc, doing, 0, err);
	}
	if (nbad > 0) {
		if (err != NULL)
			*err = first_bad;
		else
			free(first_bad);
	}
	return nbad;
}

int64_t
store_count_events(struct store *st, char **err)
{
	struct store_stmt *s;
	int64_t n;
	int rc;

	if (events_kept(st, err) != 0)
		return -1;
	if (prep(st, "SELECT count(*) FROM events_seen", &s, "count the events seen", err) != 0)
		return -1;
	if ((rc = db_step(s)) != SDB_ROW) {
		db_finalize(s);
		return db_fail(st, rc, "count the events seen", 0, err);
	}
	n = db_column_int64(s, 0);
	db_finalize(s);
	return n;
}

/* ---- decisions ---- */

static int
insert_decision(struct store *st, enum store_action a, enum store_scope scope, const char *value,
    const char *by, int64_t at, const char *note, int64_t until, int64_t undoes,
    int64_t *decision_id, const char *doing, char **err)
{
	struct store_stmt *s;
	int rc;

	if (prep(st, "INSERT INTO decisions (action, scope, value, \"by\", at, note, until, undoes)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	bind_text(s, 1, store_action_name(a));
	bind_text(s, 2, a == SA_UNDO ? NULL : store_scope_name(scope));
	bind_text(s, 3, value);
	bind_text(s, 4, by);
	db_bind_int64(s, 5, at);
	bind_text(s, 6, note);
	if (until != 0)
		db_bind_int64(s, 7, until);
	else
		db_bind_null(s, 7);
	if (undoes != 0)
		db_bind_int64(s, 8, undoes);
	else
		db_bind_null(s, 8);
	rc = db_step(s);
	db_finalize(s);
	if (rc != SDB_DONE)
		return abort_write(st, rc, doing, err);
	if (decision_id != NULL)
		*decision_id = st->ops->last_id(st);
	return 0;
}

int
store_ack(struct store *st, const char *finding_id, const char *by, const char *note,
    int64_t at_ms, int64_t *decision_id, char **err)
{
	const char *doing = "save the acknowledgement";
	int64_t id;

	if (finding_id == NULL || *finding_id == '\0')
		return tf_err(err, "acknowledge: no finding id");
	if (begin_write(st, doing, err) != 0)
		return -1;
	if (insert_decision(st, SA_ACK, SCOPE_FINDING, finding_id, by, at_ms, note, 0, 0, &id,
	    doing, err) != 0 || commit(st, doing, err) != 0)
		return -1;
	if (decision_id != NULL)
		*decision_id = id;
	return 0;
}

/* Does a stored finding have this resource key? */
static int
resource_stored(struct store *st, const char *key)
{
	struct store_stmt *s;
	int rc;

	if (prep(st, "SELECT 1 FROM findings WHERE " RESOURCE_KEY_SQL " = ?1 LIMIT 1", &s,
	    "look up a resource", NULL) != 0)
		return 0;
	bind_text(s, 1, key);
	rc = db_step(s);
	db_finalize(s);
	return rc == SDB_ROW;
}

int
store_suppress(struct store *st, enum store_scope scope, const char *value, int64_t until_ms,
    const char *by, const char *note, int64_t at_ms, int64_t *decision_id, char **err)
{
	const char *doing = "save the suppression";
	int64_t id;

	char *why = NULL;
	int rc;

	if ((rc = store_scope_check(scope, value, &why)) == -1 ||
	    (rc == -2 && !resource_stored(st, value))) {
		tf_err(err, "suppress by %s: the value %s", store_scope_name(scope), why);
		free(why);
		return -1;
	}
	free(why);
	if (until_ms != 0 && until_ms <= at_ms)
		return tf_err(err, "suppress: the end time is not in the future");
	if (begin_write(st, doing, err) != 0)
		return -1;
	if (insert_decision(st, SA_SUPPRESS, scope, value, by, at_ms, note, until_ms, 0, &id,
	    doing, err) != 0 || commit(st, doing, err) != 0)
		return -1;
	if (decision_id != NULL)
		*decision_id = id;
	return 0;
}

int
store_undo(struct store *st, int64_t target, const char *by, int64_t at_ms, int64_t *decision_id,
    char **err)
{
	const char *doing = "save the undo";
	struct store_stmt *s;
	int64_t id, undone_by = 0;
	char *action = NULL;
	int rc;

	/* Check and insert under the write lock, so two undos cannot both pass the check. */
	if (begin_write(st, doing, err) != 0)
		return -1;
	if (prep(st, "SELECT action, (SELECT max(u.id) FROM decisions u WHERE u.undoes = d.id)"
	    " FROM decisions d WHERE d.id = ?1", &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	db_bind_int64(s, 1, target);
	rc = db_step(s);
	if (rc == SDB_ROW) {
		action = col_text(s, 0);
		undone_by = db_column_int64(s, 1);
	}
	db_finalize(s);
	if (rc != SDB_ROW && rc != SDB_DONE)
		return abort_write(st, rc, doing, err);
	if (action == NULL || strcmp(action, "undo") == 0 || undone_by != 0) {
		rollback(st);
		if (action == NULL)
			tf_err(err, "%s: no decision %lld to undo", st->path, (long long)target);
		else if (undone_by != 0)
			tf_err(err, "%s: decision %lld was already undone (by decision %lld)",
			    st->path, (long long)target, (long long)undone_by);
		else
			tf_err(err, "%s: decision %lld is itself an undo; acknowledge or suppress "
			    "again instead", st->path, (long long)target);
		free(action);
		return -1;
	}
	free(action);
	if (insert_decision(st, SA_UNDO, SCOPE_FINDING, NULL, by, at_ms, NULL, 0, target, &id,
	    doing, err) != 0 || commit(st, doing, err) != 0)
		return -1;
	if (decision_id != NULL)
		*decision_id = id;
	return 0;
}

/* The decisions with an id above after_id, oldest first. */
static int
list_decisions(struct store *st, int64_t after_id, struct store_decision **out, size_t *n,
    char **err)
{
	const char *doing = "read the triage decisions";
	struct store_decision *v = NULL;
	size_t len = 0, cap = 0;
	struct store_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if (prep(st, "SELECT d.id, d.action, d.scope, d.value, d.\"by\", d.at, d.note, d.until,"
	    " d.undoes, (SELECT max(u.id) FROM decisions u WHERE u.undoes = d.id)"
	    " FROM decisions d WHERE d.id > ?1 ORDER BY d.id", &s, doing, err) != 0)
		return -1;
	db_bind_int64(s, 1, after_id);
	while ((rc = db_step(s)) == SDB_ROW) {
		struct store_decision *d;
		enum store_action a;
		enum store_scope sc = SCOPE_FINDING;

		if (action_parse((const char *)db_column_text(s, 1), &a) != 0)
			continue;   /* excluded by the table's CHECK constraint */
		if (a != SA_UNDO && store_scope_parse((const char *)db_column_text(s, 2), &sc) != 0)
			continue;
		if (len == cap) {
			cap = cap ? cap * 2 : 64;
			v = xreallocarray(v, cap, sizeof *v);
		}
		d = &v[len++];
		memset(d, 0, sizeof *d);
		d->id = db_column_int64(s, 0);
		d->action = a;
		d->scope = sc;
		d->value = col_text(s, 3);
		d->by = col_text(s, 4);
		d->at_ms = db_column_int64(s, 5);
		d->note = col_text(s, 6);
		d->until_ms = db_column_int64(s, 7);
		d->undoes = db_column_int64(s, 8);
		d->undone_by = db_column_int64(s, 9);
	}
	db_finalize(s);
	if (rc != SDB_DONE) {
		store_decisions_free(v, len);
		return db_fail(st, rc, doing, 0, err);
	}
	*out = v;
	*n = len;
	return 0;
}

int
store_list_decisions(struct store *st, struct store_decision **out, size_t *n, char **err)
{
	return list_decisions(st, 0, out, n, err);
}

void
store_decisions_free(struct store_decision *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(d[i].value);
		free(d[i].by);
		free(d[i].note);
	}
	free(d);
}

/* ---- applying triage ---- */

char *
store_resource_key(const struct finding *f)
{
	if (f->address != NULL)
		return xstrdup(f->address);
	if (f->resource_id != NULL)
		return xasprintf("%s:%s", f->type != NULL ? f->type : "", f->resource_id);
	return NULL;
}

/* The active decisions with one (scope, value), newest first. */
struct tri_slot {
	const struct store_decision **v;   /* NULL slot = empty */
	size_t n, cap;
	uint64_t hash;
};

struct store_triage {
	struct store_decision *d;
	size_t nd, nactive;
	struct tri_slot *slots;
	size_t mask;                       /* number of slots - 1 (a power of two) */
};

static uint64_t
slot_hash(enum store_scope scope, const char *value)
{
	return tf_hash_str(value) ^ ((uint64_t)scope * 0x9e3779b97f4a7c15ULL);
}

static struct tri_slot *
slot_find(const struct store_triage *t, enum store_scope scope, const char *value, int create)
{
	uint64_t h = slot_hash(scope, value);
	size_t i;

	for (i = (size_t)h & t->mask; ; i = (i + 1) & t->mask) {
		struct tri_slot *sl = &t->slots[i];

		if (sl->v == NULL) {
			if (!create)
				return NULL;
			sl->hash = h;
			return sl;
		}
		if (sl->hash == h && sl->v[0]->scope == scope && strcmp(sl->v[0]->value, value) == 0)
			return sl;
	}
}

/* Newest first: by decision time, then by id. */
static int
newer(const struct store_decision *a, const struct store_decision *b)
{
	return a->at_ms != b->at_ms ? a->at_ms > b->at_ms : a->id > b->id;
}

static int
newest_first(const void *x, const void *y)
{
	const struct store_decision *a = *(const struct store_decision *const *)x;
	const struct store_decision *b = *(const struct store_decision *const *)y;

	return a == b ? 0 : newer(a, b) ? -1 : 1;
}

static void triage_index(struct store_triage *t);

int
store_triage_snapshot(struct store *st, struct store_triage **out, char **err)
{
	struct store_triage *t;

	*out = NULL;
	t = xcalloc(1, sizeof *t);
	if (store_list_decisions(st, &t->d, &t->nd, err) != 0) {
		free(t);
		return -1;
	}
	triage_index(t);
	*out = t;
	return 0;
}

/* The hash tables of t's decisions (t->d, t->nd), made anew. */
static void
triage_index(struct store_triage *t)
{
	size_t i, nslots = 16;

	for (i = 0; t->slots != NULL && i <= t->mask; i++)
		free(t->slots[i].v);
	free(t->slots);
	t->nactive = 0;
	while (nslots < t->nd * 2)
		nslots *= 2;
	t->slots = xcalloc(nslots, sizeof *t->slots);
	t->mask = nslots - 1;
	for (i = 0; i < t->nd; i++) {
		const struct store_decision *d = &t->d[i];
		struct tri_slot *sl;

		if (d->action == SA_UNDO || d->undone_by != 0 || d->value == NULL)
			continue;
		t->nactive++;
		sl = slot_find(t, d->scope, d->value, 1);
		if (sl->n == sl->cap) {
			sl->cap = sl->cap ? sl->cap * 2 : 2;
			sl->v = xreallocarray(sl->v, sl->cap, sizeof *sl->v);
		}
		sl->v[sl->n++] = d;
	}
	for (i = 0; i <= t->mask; i++)
		if (t->slots[i].n > 1)
			qsort(t->slots[i].v, t->slots[i].n, sizeof *t->slots[i].v, newest_first);
}

void
store_triage_free(struct store_triage *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; t->slots != NULL && i <= t->mask; i++)
		free(t->slots[i].v);
	free(t->slots);
	store_decisions_free(t->d, t->nd);
	free(t);
}

size_t
store_triage_count(const struct store_triage *t)
{
	return t != NULL ? t->nactive : 0;
}

/* The newest active suppression and ack among the decisions on (scope, value). */
static void
consider(const struct store_triage *t, enum store_scope scope, const char *value, int64_t now,
    const struct store_decision **sup, const struct store_decision **ack)
{
	const struct tri_slot *sl;
	int got_sup = 0, got_ack = 0;
	size_t i;

	if (value == NULL || (sl = slot_find(t, scope, value, 0)) == NULL)
		return;
	for (i = 0; i < sl->n && !(got_sup && got_ack); i++) {
		const struct store_decision *d = sl->v[i];

		if (d->action == SA_SUPPRESS && !got_sup) {
			if (d->until_ms != 0 && d->until_ms <= now)
				continue;   /* expired: lapses by itself */
			got_sup = 1;
			if (*sup == NULL || newer(d, *sup))
				*sup = d;
		} else if (d->action == SA_ACK && !got_ack) {
			got_ack = 1;
			if (scope == SCOPE_FINDING && (*ack == NULL || newer(d, *ack)))
				*ack = d;
		}
	}
}

/* The decisions that match f: its suppression and its acknowledgement, if any. */
static void
decisions(const struct store_triage *t, const struct finding *f, int64_t now_ms,
    const struct store_decision **sup, const struct store_decision **ack)
{
	char *rkey;
	size_t i;

	*sup = *ack = NULL;
	if (t == NULL || t->nactive == 0)
		return;
	consider(t, SCOPE_FINDING, f->id, now_ms, sup, ack);
	rkey = store_resource_key(f);
	consider(t, SCOPE_RESOURCE, rkey, now_ms, sup, ack);
	free(rkey);
	for (i = 0; i < f->nrules; i++)
		consider(t, SCOPE_RULE, f->rules[i].id, now_ms, sup, ack);
	consider(t, SCOPE_ACTOR, f->actor.name, now_ms, sup, ack);
	if (f->actor.principal != NULL &&
	    (f->actor.name == NULL || strcmp(f->actor.principal, f->actor.name) != 0))
		consider(t, SCOPE_ACTOR, f->actor.principal, now_ms, sup, ack);
	consider(t, SCOPE_EVENT_NAME, f->event_name, now_ms, sup, ack);
}

int
store_triage_suppressed(const struct store_triage *t, const struct finding *f, int64_t now_ms)
{
	const struct store_decision *sup, *ack;

	decisions(t, f, now_ms, &sup, &ack);
	return sup != NULL;
}

void
store_triage_apply(const struct store_triage *t, struct finding *f, int64_t now_ms)
{
	const struct store_decision *sup = NULL, *ack = NULL, *d;
	/* Resolved outranks triage: the decision is still recorded, the status stays. */
	int resolved = f->status == ST_RESOLVED && f->resolution != NULL;

	if (f->triage != NULL) {
		free(f->triage->by);
		free(f->triage->note);
		free(f->triage);
		f->triage = NULL;
	}
	f->status = resolved ? ST_RESOLVED : ST_OPEN;
	decisions(t, f, now_ms, &sup, &ack);
	d = sup != NULL ? sup : ack;   /* a suppression beats an acknowledgement */
	if (d == NULL)
		return;
	if (!resolved)
		f->status = d == sup ? ST_SUPPRESSED : ST_ACKNOWLEDGED;
	f->triage = xcalloc(1, sizeof *f->triage);
	f->triage->by = xstrdup(d->by);
	f->triage->note = xstrdup(d->note);
	f->triage->at_ms = d->at_ms;
	f->triage->until_ms = d->until_ms;
}

int
store_apply_triage(struct store *st, struct finding *f, int64_t now_ms, char **err)
{
	struct store_triage *t;

	if (store_triage_snapshot(st, &t, err) != 0)
		return -1;
	store_triage_apply(t, f, now_ms);
	store_triage_free(t);
	return 0;
}

int
store_apply_triage_list(struct store *st, struct finding_list *l, int64_t now_ms, char **err)
{
	struct store_triage *t;
	size_t i;

	if (store_triage_snapshot(st, &t, err) != 0)
		return -1;
	for (i = 0; i < l->n; i++)
		store_triage_apply(t, l->v[i], now_ms);
	store_triage_free(t);
	return 0;
}

/* Counting by reading every finding, as store_count_status does when the columns cannot. */
static int
count_status_read(struct store *st, size_t counts[ST__COUNT], char **err)
{
	struct finding_list all = { 0 };
	int nbad = store_load_findings(st, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &all, err);
	size_t i;

	for (i = 0; i < all.n; i++)
		counts[all.v[i]->status]++;
	finding_list_clear(&all);
	free(all.v);
	return nbad;
}

int
store_count_status(struct store *st, int64_t now_ms, size_t counts[ST__COUNT], char **err)
{
	const char *doing = "count findings";
	struct store_triage *t = NULL;
	struct store_stmt *s;
	size_t i;
	int rc, by_columns = st->version >= 5;

	memset(counts, 0, ST__COUNT * sizeof *counts);
	/* One read transaction: the rows and the decisions are one consistent snapshot. */
	if (begin_read(st, doing, err) != 0)
		return -1;
	if (store_triage_snapshot(st, &t, err) != 0) {
		rollback(st);
		return -1;
	}
	/* A rule is only in the JSON; an actor's columns keep one of its name and principal. */
	for (i = 0; i < t->nd; i++)
		if (t->d[i].action != SA_UNDO && t->d[i].undone_by == 0 &&
		    (t->d[i].scope == SCOPE_RULE || t->d[i].scope == SCOPE_ACTOR))
			by_columns = 0;
	if (!by_columns) {
		store_triage_free(t);
		rollback(st);
		return count_status_read(st, counts, err);
	}
	if (prep(st, t->nactive == 0 ?
	    "SELECT CASE WHEN status = 'resolved' THEN 1 ELSE 0 END, count(*), NULL, NULL, NULL,"
	    " NULL, NULL FROM findings"
	    " GROUP BY 1" :
	    "SELECT CASE WHEN status = 'resolved' THEN 1 ELSE 0 END, 1, id, address, type,"
	    " resource_id, event_name FROM findings", &s, doing, err) != 0) {
		store_triage_free(t);
		rollback(st);
		return -1;
	}
	while ((rc = db_step(s)) == SDB_ROW) {
		size_t n = (size_t)db_column_int64(s, 1);
		const struct store_decision *sup = NULL, *ack = NULL;
		struct finding f;

		if (db_column_int64(s, 0) != 0) {
			counts[ST_RESOLVED] += n;
			continue;
		}
		if (t->nactive > 0) {
			/* What store_triage_apply reads of an unresolved finding, but its rules and
			 * actor (no decision on them is active). */
			memset(&f, 0, sizeof f);
			if (db_column_text(s, 2) != NULL)
				snprintf(f.id, sizeof f.id, "%s", (const char *)db_column_text(s, 2));
			f.address = (char *)db_column_text(s, 3);
			f.type = (char *)db_column_text(s, 4);
			f.resource_id = (char *)db_column_text(s, 5);
			f.event_name = (char *)db_column_text(s, 6);
			decisions(t, &f, now_ms, &sup, &ack);
		}
		counts[sup != NULL ? ST_SUPPRESSED : ack != NULL ? ST_ACKNOWLEDGED : ST_OPEN] += n;
	}
	db_finalize(s);
	store_triage_free(t);
	if (rc != SDB_DONE) {
		memset(counts, 0, ST__COUNT * sizeof *counts);
		db_fail(st, rc, doing, 0, err);
		rollback(st);
		return -1;
	}
	rollback(st);   /* ends the read transaction */
	return 0;
}

/* ---- change-freeze windows ---- */

int
store_freeze_add(struct store *st, const struct freeze_window *w, const char *by,
    int64_t at_ms, int64_t *id, char **err)
{
	const char *doing = "save the freeze window";
	struct store_stmt *s;
	char *scope;
	int rc;

	if (freeze_window_check(w, err) != 0)
		return -1;
	if (w->end_ms <= at_ms)
		return tf_err(err, "freeze window %s: the end is not in the future (to review a "
		    "past window, use `tfdrift scan --freeze NAME=START..END`)", w->name);
	if (begin_write(st, doing, err) != 0)
		return -1;
	/* Checked under the write lock, so two adds cannot both take the name. */
	if (prep(st, "SELECT count(*) FROM freezes WHERE name = ?1 AND deleted = 0 AND \"end\" > ?2",
	    &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	bind_text(s, 1, w->name);
	db_bind_int64(s, 2, at_ms);
	rc = db_step(s);
	if (rc != SDB_ROW) {
		db_finalize(s);
		return abort_write(st, rc, doing, err);
	}
	if (db_column_int64(s, 0) > 0) {
		db_finalize(s);
		rollback(st);
		return tf_err(err, "%s: a freeze window called %s is already on or planned "
		    "(`tfdrift freeze list`); end it first or choose another name", st->path, w->name);
	}
	db_finalize(s);
	if (prep(st, "INSERT INTO freezes (name, start, \"end\", scope, created_by, created_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)", &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	scope = freeze_scope_to_json(w);
	bind_text(s, 1, w->name);
	db_bind_int64(s, 2, w->start_ms);
	db_bind_int64(s, 3, w->end_ms);
	bind_text(s, 4, scope);
	bind_text(s, 5, by);
	db_bind_int64(s, 6, at_ms);
	rc = db_step(s);
	db_finalize(s);
	free(scope);
	if (rc != SDB_DONE)
		return abort_write(st, rc, doing, err);
	if (id != NULL)
		*id = st->ops->last_id(st);
	return commit(st, doing, err);
}

int
store_freeze_list(struct store *st, int all, int64_t now_ms, struct freeze_window **out,
    size_t *n, char **err)
{
	const char *doing = "read the freeze windows";
	struct freeze_window *v = NULL;
	size_t len = 0;
	struct store_stmt *s;
	int rc;

	*out = NULL;
	*n = 0;
	if (prep(st, "SELECT id, name, start, \"end\", scope, created_by, created_at FROM freezes"
	    " WHERE deleted = 0 AND (?1 <> 0 OR \"end\" > ?2) ORDER BY start, id", &s, doing, err) != 0)
		return -1;
	db_bind_int64(s, 1, all ? 1 : 0);
	db_bind_int64(s, 2, now_ms);
	while ((rc = db_step(s)) == SDB_ROW) {
		struct freeze_window *w;
		char *scope;

		v = xreallocarray(v, len + 1, sizeof *v);
		w = &v[len++];
		memset(w, 0, sizeof *w);
		w->origin = FO_STORE;
		w->id = db_column_int64(s, 0);
		w->name = col_text(s, 1);
		w->start_ms = db_column_int64(s, 2);
		w->end_ms = db_column_int64(s, 3);
		w->created_by = col_text(s, 5);
		w->created_ms = db_column_int64(s, 6);
		scope = col_text(s, 4);
		/* A scope that does not read back would widen the window: refuse the list. */
		if (freeze_scope_from_json(scope, w, NULL) != 0) {
			free(scope);
			db_finalize(s);
			tf_err(err, "%s: freeze window %lld (%s) has a damaged scope", st->path,
			    (long long)w->id, w->name ? w->name : "?");
			freeze_windows_free(v, len);
			return -1;
		}
		free(scope);
	}
	db_finalize(s);
	if (rc != SDB_DONE) {
		freeze_windows_free(v, len);
		return db_fail(st, rc, doing, 0, err);
	}
	*out = v;
	*n = len;
	return 0;
}

int
store_freeze_end(struct store *st, const char *name, const char *by, int64_t now_ms,
    int *cancelled, char **err)
{
	const char *doing = "end the freeze window";
	struct store_stmt *s;
	int64_t id = 0, start = 0;
	int rc, found = 0;

	if (cancelled != NULL)
		*cancelled = 0;
	if (name == NULL || *name == '\0')
		return tf_err(err, "freeze end: no window name");
	if (begin_write(st, doing, err) != 0)
		return -1;
	if (prep(st, "SELECT id, start FROM freezes WHERE name = ?1 AND deleted = 0 AND \"end\" > ?2"
	    " ORDER BY start LIMIT 1", &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	bind_text(s, 1, name);
	db_bind_int64(s, 2, now_ms);
	rc = db_step(s);
	if (rc == SDB_ROW) {
		found = 1;
		id = db_column_int64(s, 0);
		start = db_column_int64(s, 1);
	}
	db_finalize(s);
	if (rc != SDB_ROW && rc != SDB_DONE)
		return abort_write(st, rc, doing, err);
	if (!found) {
		rollback(st);
		return tf_err(err, "%s: no freeze window called %s is on or planned "
		    "(`tfdrift freeze list` shows them)", st->path, name);
	}
	/* One that has not started yet is cancelled: ending it now would end before it starts.
	 * One that started this very millisecond (start is inclusive) is on: it ends a
	 * millisecond after its start, the shortest window there is. */
	if (prep(st, start > now_ms ?
	    "UPDATE freezes SET deleted = 1, ended_by = ?2, ended_at = ?3 WHERE id = ?1" :
	    "UPDATE freezes SET \"end\" = CASE WHEN ?3 > start + 1 THEN ?3 ELSE start + 1 END, ended_by = ?2, ended_at = ?3 "
	    "WHERE id = ?1", &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	db_bind_int64(s, 1, id);
	bind_text(s, 2, by);
	db_bind_int64(s, 3, now_ms);
	rc = db_step(s);
	db_finalize(s);
	if (rc != SDB_DONE)
		return abort_write(st, rc, doing, err);
	if (commit(st, doing, err) != 0)
		return -1;
	if (cancelled != NULL)
		*cancelled = start > now_ms;
	return 0;
}

/* ---- cursors ---- */

int
store_pref_get(struct store *st, const char *key, char **value, char **err)
{
	struct store_stmt *s;
	int rc;

	*value = NULL;
	if (st->version < 4)
		return 0;       /* an older store read as it is: no preferences yet */
	if (prep(st, "SELECT value FROM ui_prefs WHERE key = ?1", &s, "read a preference", err) != 0)
		return -1;
	bind_text(s, 1, key);
	rc = db_step(s);
	if (rc == SDB_ROW)
		*value = col_text(s, 0);
	db_finalize(s);
	if (rc == SDB_ROW)
		return 1;
	if (rc == SDB_DONE)
		return 0;
	return db_fail(st, rc, "read a preference", 0, err);
}

int
store_pref_set(struct store *st, const char *key, const char *value, const char *by,
    int64_t at_ms, char **err)
{
	const char *doing = value != NULL ? "save a preference" : "delete a preference";
	struct store_stmt *s;
	int rc;

	if (st->version < 4)
		return tf_err(err, "%s: the store has schema version %d, which keeps no preferences "
		    "(open it writable once to upgrade it)", st->path, st->version);
	if (begin_write(st, doing, err) != 0)
		return -1;
	if (prep(st, value != NULL ? "INSERT INTO ui_prefs (key, value, updated_by, "
	    "updated) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
	    " updated_by = excluded.updated_by, updated = excluded.updated" : "DELETE FROM ui_prefs WHERE key = ?1", &s, doing,
	    err) != 0) {
		rollback(st);
		return -1;
	}
	bind_text(s, 1, key);
	if (value != NULL) {
		bind_text(s, 2, value);
		bind_text(s, 3, by);
		db_bind_int64(s, 4, at_ms);
	}
	rc = db_step(s);
	db_finalize(s);
	if (rc != SDB_DONE)
		return abort_write(st, rc, doing, err);
	return commit(st, doing, err);
}

int
store_pref_keys(struct store *st, const char *prefix, struct strlist *out, char **err)
{
	struct store_stmt *s;
	int rc;

	if (st->version < 4)
		return 0;
	if (prep(st, "SELECT key FROM ui_prefs WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
	    &s, "list preferences", err) != 0)
		return -1;
	bind_text(s, 1, prefix);
	while ((rc = db_step(s)) == SDB_ROW)
		strlist_push(out, (const char *)db_column_text(s, 0));
	db_finalize(s);
	if (rc != SDB_DONE)
		return db_fail(st, rc, "list preferences", 0, err);
	return 0;
}

int
store_cursor_get(struct store *st, const char *name, char **value, char **err)
{
	struct store_stmt *s;
	int rc;

	*value = NULL;
	if (prep(st, "SELECT value FROM cursors WHERE name = ?1", &s, "read a cursor", err) != 0)
		return -1;
	bind_text(s, 1, name);
	rc = db_step(s);
	if (rc == SDB_ROW)
		*value = col_text(s, 0);
	db_finalize(s);
	if (rc == SDB_ROW)
		return 1;
	if (rc == SDB_DONE)
		return 0;
	return db_fail(st, rc, "read a cursor", 0, err);
}

int
store_cursor_set(struct store *st, const char *name, const char *value, char **err)
{
	const char *doing = "save a cursor";
	struct store_stmt *s;
	int rc;

	if (name == NULL || value == NULL)
		return tf_err(err, "store_cursor_set: no name or value");
	if (begin_write(st, doing, err) != 0)
		return -1;
	if (prep(st, "INSERT INTO cursors (name, value, updated) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated = excluded.updated",
	    &s, doing, err) != 0) {
		rollback(st);
		return -1;
	}
	bind_text(s, 1, name);
	bind_text(s, 2, value);
	db_bind_int64(s, 3, tf_now_ms());
	rc = db_step(s);
	db_finalize(s);
	if (rc != SDB_DONE)
		return abort_write(st, rc, doing, err);
	return commit(st, doing, err);
}

/* ---- live readers: what other connections wrote (dashboards on a shared store) ---- */

int
store_triage_update(struct store *st, struct store_triage **tp, struct store_decision **added,
    size_t *nadded, char **err)
{
	struct store_triage *t = *tp;
	struct store_decision *v = NULL;
	size_t n = 0, i;

	if (added != NULL) {
		*added = NULL;
		*nadded = 0;
	}
	if (t == NULL)
		return store_triage_snapshot(st, tp, err) != 0 ? -1 : (int)store_triage_count(*tp);
	if (list_decisions(st, store_triage_last_id(t), &v, &n, err) != 0)
		return -1;
	if (n == 0)
		return 0;
	/* An undo among them cancels a decision t holds: mark it (t->d is in id order). */
	for (i = 0; i < n; i++) {
		size_t lo = 0, hi = t->nd;

		if (v[i].action != SA_UNDO)
			continue;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (t->d[mid].id < v[i].undoes)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < t->nd && t->d[lo].id == v[i].undoes &&
		    (t->d[lo].undone_by == 0 || t->d[lo].undone_by < v[i].id))
			t->d[lo].undone_by = v[i].id;
	}
	t->d = xreallocarray(t->d, t->nd + n, sizeof *t->d);
	for (i = 0; i < n; i++) {
		struct store_decision *d = &t->d[t->nd + i];

		*d = v[i];
		if (added != NULL) {
			/* The caller's copies: the snapshot keeps its own strings. */
			v[i].value = v[i].value != NULL ? xstrdup(v[i].value) : NULL;
			v[i].by = v[i].by != NULL ? xstrdup(v[i].by) : NULL;
			v[i].note = v[i].note != NULL ? xstrdup(v[i].note) : NULL;
		}
	}
	t->nd += n;
	triage_index(t);
	if (added != NULL) {
		*added = v;
		*nadded = n;
	} else
		free(v);        /* its strings are the snapshot's now */
	return (int)n;
}

int64_t
store_triage_last_id(const struct store_triage *t)
{
	return t != NULL && t->nd > 0 ? t->d[t->nd - 1].id : 0;
}

void
store_feed_init(struct store_feed *fd)
{
	memset(fd, 0, sizeof *fd);
	fd->nrows = -1;
}

/* The rows of one query as findings (the columns row_finding reads, then first_seen and
 * last_seen), onto out; the newest first_seen and last_seen into fd. */
static int
feed_rows(struct store *st, const char *sql, int np, int64_t a, int64_t b, struct store_feed *fd,
    struct finding_list *out, json_tokener *tok, int *nbad, char **first_bad, char **err)
{
	const char *doing = "read new findings";
	struct store_stmt *s;
	int rc;

	if (prep(st, sql, &s, doing, err) != 0)
		return -1;
	db_bind_int64(s, 1, a);
	if (np > 1)
		db_bind_int64(s, 2, b);
	while ((rc = db_step(s)) == SDB_ROW) {
		struct finding *f = row_finding(st, s, tok, nbad, first_bad);
		int64_t first = db_column_int64(s, 5), seen = db_column_int64(s, 6);

		if (first > fd->first_ms)
			fd->first_ms = first;
		if (seen > fd->seen_ms)
			fd->seen_ms = seen;
		if (f != NULL)
			finding_list_push(out, f);
	}
	db_finalize(s);
	if (rc != SDB_DONE)
		return db_fail(st, rc, doing, 0, err);
	return 0;
}

/* One count (the first column of sql's one row) into *n. 0, or -1 with *err. */
static int
feed_count(struct store *st, const char *sql, int64_t *n, char **err)
{
	const char *doing = "read new findings";
	struct store_stmt *s;
	int rc;

	if (prep(st, sql, &s, doing, err) != 0)
		return -1;
	if ((rc = db_step(s)) == SDB_ROW)
		*n = db_column_int64(s, 0);
	db_finalize(s);
	return rc == SDB_ROW ? 0 : db_fail(st, rc, doing, 0, err);
}

int
store_feed_findings(struct store *st, struct store_feed *fd, int64_t resolved_since_ms,
    struct finding_list *out, char **err)
{
	/* The columns row_finding reads, then the row's first_seen and last_seen (schema 8:
	 * the dashboard opens a store writable, which upgrades it). */
	static const char cols[] =
	    "SELECT id, (SELECT json FROM finding_bodies b WHERE b.id = findings.id),"
	    " state_lineage, state_serial, resolution, first_seen, last_seen FROM findings";
	const char *doing = "read new findings";
	struct store_feed was = *fd;
	json_tokener *tok;
	int64_t nrows = 0, nresolved = 0;
	size_t n0 = out->n, i;
	char *first_bad = NULL, *sql = NULL;
	int rc, nbad = 0;

	if (st->version < 8)
		return tf_err(err, "%s: the store has schema version %d, which keeps findings another "
		    "way (open it writable once to upgrade it)", st->path, st->version);
	if (begin_read(st, doing, err) != 0)
		return -1;
	/* Findings are never deleted, and a resolved one is never opened again: the two counts
	 * say whether rows were added or resolved since the last read (the resolved ones by
	 * the status index, without the table). */
	if (feed_count(st, "SELECT count(*) FROM findings", &nrows, err) != 0 ||
	    feed_count(st, "SELECT count(*) FROM findings WHERE status = 'resolved'", &nresolved,
	    err) != 0) {
		rollback(st);
		return -1;
	}
	tok = json_tokener_new();
	rc = 0;
	if (was.nrows < 0) {
		/* The first read: every unresolved finding, and the resolved ones of the window;
		 * later reads go from the newest first_seen and last_seen of the store. */
		sql = xasprintf("%s WHERE status <> 'resolved' OR event_time >= ?1"
		    " ORDER BY event_time, id", cols);
		rc = feed_rows(st, sql, 1, resolved_since_ms, 0, fd, out, tok, &nbad, &first_bad, err);
		if (rc == 0) {
			struct store_stmt *s;

			if (prep(st, "SELECT max(first_seen), max(last_seen) FROM findings", &s, doing,
			    err) != 0)
				rc = -1;
			else {
				if (db_step(s) == SDB_ROW) {
					if (db_column_int64(s, 0) > fd->first_ms)
						fd->first_ms = db_column_int64(s, 0);
					if (db_column_int64(s, 1) > fd->seen_ms)
						fd->seen_ms = db_column_int64(s, 1);
				}
				db_finalize(s);
			}
		}
	} else {
		/* Rows added since: first saved no earlier than the newest seen, less what another
		 * writer's clock may lag behind (some are read again: the caller keeps one per id). */
		if (nrows != was.nrows) {
			sql = xasprintf("%s WHERE first_seen >= ?1 AND (status <> 'resolved' OR"
			    " event_time >= ?2) ORDER BY event_time, id", cols);
			rc = feed_rows(st, sql, 2, was.first_ms - STORE_FEED_SKEW_MS, resolved_since_ms, fd,
			    out, tok, &nbad, &first_bad, err);
		}
		/* Rows resolved since: saved with a last_seen as new, by the same rule. */
		if (rc == 0 && nresolved != was.nresolved) {
			free(sql);
			sql = xasprintf("%s WHERE status = 'resolved' AND last_seen >= ?1", cols);
			rc = feed_rows(st, sql, 1, was.seen_ms - STORE_FEED_SKEW_MS, 0, fd, out, tok, &nbad,
			    &first_bad, err);
		}
	}
	free(sql);
	json_tokener_free(tok);
	rollback(st);   /* ends the read transaction */
	if (rc != 0) {
		free(first_bad);
		for (i = n0; i < out->n; i++)   /* all or nothing */
			finding_free(out->v[i]);
		out->n = n0;
		*fd = was;
		return -1;
	}
	fd->nrows = nrows;
	fd->nresolved = nresolved;
	if (nbad > 0) {
		if (err != NULL)
			*err = first_bad;
		else
			free(first_bad);
	}
	return nbad;
}

/* ---- the helpers the store's other files share (store_int.h) ---- */

int
store_i_prep(struct store *st, const char *sql, struct store_stmt **stmt, const char *doing,
    char **err)
{
	return prep(st, sql, stmt, doing, err);
}

int
store_i_fail(struct store *st, int rc, const char *doing, int writing, char **err)
{
	return db_fail(st, rc, doing, writing, err);
}

int
store_i_begin_write(struct store *st, const char *doing, char **err)
{
	return begin_write(st, doing, err);
}

int
store_i_commit(struct store *st, const char *doing, char **err)
{
	return commit(st, doing, err);
}

int
store_i_abort_write(struct store *st, int rc, const char *doing, char **err)
{
	return abort_write(st, rc, doing, err);
}

void
store_i_rollback(struct store *st)
{
	rollback(st);
}

void
store_i_bind_text(struct store_stmt *s, int i, const char *v)
{
	bind_text(s, i, v);
}

char *
store_i_col_text(struct store_stmt *s, int i)
{
	return col_text(s, i);
}
