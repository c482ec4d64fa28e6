/* store_pg: the PostgreSQL back end of the store (store_db.h), on libpq. The URI goes to libpq
 * as it is, so PGPASSWORD, ~/.pgpass, PGSSLMODE, service files and the rest work as they do
 * for psql; messages show it with its password masked (store_pg_display).
 *
 * Statements: the store's `?N` placeholders become `$N`, parameters go as text (PostgreSQL
 * infers their types from where they stand), rows are read one at a time (single-row
 * mode). A statement still being read when the connection is needed for another is read to
 * its end first, its rows kept for its next steps. Every write transaction sends NOTIFY on
 * the channel STORE_PG_CHANNEL before it commits (delivered only if it commits); each
 * connection LISTENs, which store_changed reads. Opening takes an advisory lock for the
 * transaction that creates or upgrades the schema, so that two processes opening a new
 * store at once do not both create it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "http.h"
#include "store.h"
#include "store_db.h"
#include "util.h"

#define STORE_PG_CHANNEL "tfdrift"
/* pg_advisory_xact_lock key of the schema's creation and migrations ("tfdrift" in ASCII). */
#define STORE_PG_LOCK "7643719983703924"

struct pg_stmt;

struct pg_state {
	PGconn *c;
	struct pg_stmt *active;         /* a statement whose rows are being read */
	int in_tx, tx_write;
	int64_t changes;
	char *errmsg;                   /* the last failure's text (one line) */
	char sqlstate[6];
};

struct pg_stmt {
	struct store_stmt base;
	struct store *st;
	char *sql;                      /* $N placeholders */
	int nparams;                    /* the highest N */
	unsigned char *used;            /* [N-1]: N appears in the SQL */
	char **vals;                    /* [N-1]: text, or NULL */
	int reading;                    /* sent; results not all read */
	int done;                       /* every result read: final_rc is what is left */
	int final_rc;
	PGresult *row;                  /* the current row */
	PGresult **queue;               /* rows read ahead (pg_drain) */
	size_t qhead, qn, qcap;
};

#define BE(st) ((struct pg_state *)(st)->be)

/* ---- the URI as shown ---- */

char *
store_pg_display(const char *uri)
{
	const char *p = strstr(uri, "://"), *host, *end, *at, *colon;
	char *t, *r;

	t = http_redact_url(uri);       /* userinfo dropped, password=... in the query masked */
	if (p == NULL)
		return t;
	host = p + 3;
	end = host + strcspn(host, "/?#");
	at = NULL;
	for (const char *q = host; q < end; q++)
		if (*q == '@')
			at = q;
	if (at == NULL)
		return t;
	colon = memchr(host, ':', (size_t)(at - host));
	r = xasprintf("%.*s%.*s%s@%s", (int)(host - uri), uri,
	    (int)((colon != NULL ? colon : at) - host), host, colon != NULL ? ":REDACTED" : "",
	    t + (host - uri));
	free(t);
	return r;
}

/* ---- results and failures ---- */

static void
set_error(struct store *st, const PGresult *res)
{
	const char *m = res != NULL ? PQresultErrorMessage(res) : "";
	const char *code = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	size_t n;

	if (m == NULL || *m == '\0')
		m = PQerrorMessage(BE(st)->c);
	if (m == NULL || *m == '\0')
		m = "unknown error";
	if (strncmp(m, "ERROR:  ", 8) == 0)
		m += 8;
	n = strcspn(m, "\n");
	free(BE(st)->errmsg);
	BE(st)->errmsg = xasprintf("%.*s", (int)n, m);
	snprintf(BE(st)->sqlstate, sizeof BE(st)->sqlstate, "%s", code != NULL ? code : "");
}

/* The result code of a failure (set_error first). */
static int
fail_rc(struct store *st)
{
	const char *s = BE(st)->sqlstate;

	if (PQstatus(BE(st)->c) == CONNECTION_BAD || strncmp(s, "08", 2) == 0 ||
	    strncmp(s, "57P", 3) == 0) {
		if (st->lost == 0)
			st->lost = 1;
		return SDB_LOST;
	}
	if (strncmp(s, "23", 2) == 0)
		return SDB_CONSTRAINT;
	if (strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0 || strcmp(s, "55P03") == 0)
		return SDB_BUSY;
	if (strcmp(s, "25006") == 0)
		return SDB_READONLY;
	if (strncmp(s, "53", 2) == 0)
		return SDB_NOMEM;
	return SDB_ERROR;
}

/* A result of a command: 0 ok, else its code (the result is cleared). */
static int
result_rc(struct store *st, PGresult *res)
{
	ExecStatusType t = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	int rc = SDB_OK;

	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK) {
		set_error(st, res);
		rc = fail_rc(st);
	} else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0 && BE(st)->in_tx) {
		/* COMMIT of a transaction that failed says ROLLBACK. */
		free(BE(st)->errmsg);
		BE(st)->errmsg = xstrdup("the transaction was rolled back");
		rc = SDB_ERROR;
	}
	PQclear(res);
	return rc;
}

/* Read the rest of the active statement's results, keeping its rows for its next steps:
 * the connection is needed for something else. */
static void
pg_drain(struct store *st)
{
	struct pg_stmt *q = BE(st)->active;
	PGresult *res;

	if (q == NULL)
		return;
	BE(st)->active = NULL;
	while ((res = PQgetResult(BE(st)->c)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
			if (q->qn == q->qcap) {
				q->qcap = q->qcap ? q->qcap * 2 : 64;
				q->queue = xreallocarray(q->queue, q->qcap, sizeof *q->queue);
			}
			q->queue[q->qn++] = res;
			continue;
		case PGRES_TUPLES_OK:
		case PGRES_COMMAND_OK:
			BE(st)->changes = atoll(PQcmdTuples(res));
			if (!q->done)
				q->final_rc = SDB_DONE;
			break;
		default:
			set_error(st, res);
			q->final_rc = fail_rc(st);
			break;
		}
		q->done = 1;
		PQclear(res);
	}
	q->reading = 0;
	q->done = 1;
}

/* ---- connecting ---- */

static void
no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
pg_exec_raw(struct store *st, const char *sql)
{
	pg_drain(st);
	return result_rc(st, PQexec(BE(st)->c, sql));
}

/* The session: how long a write waits for a lock (the busy timeout; 0 would be forever),
 * no notices, read-only with STORE_RDONLY, and LISTEN for store_changed. */
static int
session_setup(struct store *st)
{
	char *sql = xasprintf("SET lock_timeout = %d; SET client_min_messages = warning;%s"
	    " LISTEN " STORE_PG_CHANNEL, st->busy_ms > 0 ? st->busy_ms : 1,
	    st->flags & STORE_RDONLY ? " SET default_transaction_read_only = on;" : "");
	int rc = pg_exec_raw(st, sql);

	free(sql);
	return rc;
}

/* The message for a connection that did not open: which server, database and user, what to
 * check; never the password. */
static int
connect_fail(struct store *st, PGconn *c, char **err)
{
	const char *m = PQerrorMessage(c), *host = PQhost(c), *port = PQport(c);
	const char *db = PQdb(c), *user = PQuser(c);
	char *where, *msg;
	size_t n;

	while (strncmp(m, "connection to server", 20) == 0 && strstr(m, "failed: ") != NULL)
		m = strstr(m, "failed: ") + 8;
	n = strcspn(m, "\n");
	msg = xasprintf("%.*s", (int)n, m);
	where = xasprintf("host %s port %s, database %s, user %s", host != NULL && *host ? host :
	    "(local socket)", port != NULL && *port ? port : "5432", db != NULL ? db : "?",
	    user != NULL ? user : "?");
	if (PQconnectionUsedPassword(c) || strstr(msg, "password") != NULL)
		tf_err(err, "%s: PostgreSQL refused the login (%s): %s: check the password "
		    "(PGPASSWORD, ~/.pgpass, or the URI), that the user exists and may log in, and "
		    "pg_hba.conf on the server", st->path, where, msg);
	else
		tf_err(err, "%s: cannot connect to the PostgreSQL store (%s): %s: check that the "
		    "server runs and accepts connections there, and the URI (sslmode, host, port)",
		    st->path, where, msg);
	free(where);
	free(msg);
	return -1;
}

/* Connect and set the session up (read-only with STORE_RDONLY; LISTEN). */
static int
pg_connect(struct store *st, char **err)
{
	/* Defaults the URI and the PG* variables override: a server that does not answer makes
	 * the command fail in seconds, not after the system's TCP timeouts (minutes, or hours
	 * for a connection whose server vanished). */
	static const char *const keys[] = { "connect_timeout", "keepalives_idle",
	    "keepalives_interval", "keepalives_count", "dbname", "fallback_application_name", NULL };
	const char *vals[] = { getenv("PGCONNECT_TIMEOUT") ? getenv("PGCONNECT_TIMEOUT") : "10",
	    "30", "10", "3", st->uri, "tfdrift", NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	if (c == NULL)
		return tf_err(err, "%s: out of memory connecting to PostgreSQL", st->path);
	if (PQstatus(c) != CONNECTION_OK) {
		connect_fail(st, c, err);
		PQfinish(c);
		return -1;
	}
	PQsetNoticeProcessor(c, no_notices, NULL);
	BE(st)->c = c;
	st->db = c;
	if (session_setup(st) != SDB_OK)
		return tf_err(err, "%s: could not set up the connection: %s", st->path,
		    BE(st)->errmsg);
	return 0;
}

/* The lost connection again, with backoff (about 3 s in all); 0 when back. */
static int
pg_reconnect(struct store *st)
{
	static const long wait_ms[] = { 0, 200, 800, 2000 };
	struct timespec ts;
	size_t i;

	for (i = 0; i < TF_ARRLEN(wait_ms); i++) {
		ts.tv_sec = wait_ms[i] / 1000;
		ts.tv_nsec = (wait_ms[i] % 1000) * 1000000L;
		nanosleep(&ts, NULL);
		PQreset(BE(st)->c);
		if (PQstatus(BE(st)->c) != CONNECTION_OK)
			continue;
		BE(st)->active = NULL;
		BE(st)->in_tx = 0;
		if (session_setup(st) == SDB_OK)
			return 0;
	}
	set_error(st, NULL);
	return -1;
}

static int pg_begin(struct store *st, int write);
static int pg_commit(struct store *st);
static void pg_rollback(struct store *st);

/* The schema version: 0 for a database without a store. */
static int
read_version(struct store *st, int *version, char **err)
{
	PGresult *res;
	int rc;

	*version = 0;
	res = PQexec(BE(st)->c, "SELECT to_regclass('meta') IS NOT NULL");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = result_rc(st, res);
		return st->ops->fail(st, rc, "read the schema version", 0, err);
	}
	if (PQntuples(res) != 1 || strcmp(PQgetvalue(res, 0, 0), "t") != 0) {
		PQclear(res);
		return 0;       /* no store yet */
	}
	PQclear(res);
	res = PQexec(BE(st)->c, "SELECT value FROM meta WHERE key = 'schema_version'");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		rc = result_rc(st, res);
		return st->ops->fail(st, rc, "read the schema version", 0, err);
	}
	if (PQntuples(res) != 1 || PQgetisnull(res, 0, 0) || atoi(PQgetvalue(res, 0, 0)) <= 0) {
		PQclear(res);
		return tf_err(err, "%s: the database has a table called meta but it is not a tfdrift "
		    "store's (no schema version): use another database or schema", st->path);
	}
	*version = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
pg_open(struct store *st, int create, char **err)
{
	int rc;

	if (st->be == NULL)
		st->be = xcalloc(1, sizeof(struct pg_state));
	if (pg_connect(st, err) != 0)
		return -1;
	if (st->flags & STORE_RDONLY) {
		st->conn_ro = 1;
		st->ro_reason = xasprintf("%s: opened read-only (--readonly), nothing is written",
		    st->path);
		if (read_version(st, &st->version, err) != 0)
			return -1;
	} else {
		/* One transaction, one process at a time: read, create or upgrade, record. */
		if ((rc = pg_begin(st, 1)) != SDB_OK ||
		    (rc = pg_exec_raw(st, "SELECT pg_advisory_xact_lock(" STORE_PG_LOCK ")")) !=
		    SDB_OK)
			return st->ops->fail(st, rc, "open it for writing", 0, err);
		if (read_version(st, &st->version, err) != 0) {
			pg_rollback(st);
			return -1;
		}
		if (st->version == 0 && !create) {
			pg_rollback(st);
			return tf_err(err, "%s: no store there yet (`tfdrift scan --store URI ...` "
			    "creates one)", st->path);
		}
		if (st->version < STORE_SCHEMA_VERSION) {
			if (store_migrate(st, store_pg_base_version, store_pg_base_schema, err) != 0) {
				pg_rollback(st);
				return -1;
			}
			if ((rc = pg_commit(st)) != SDB_OK)
				return st->ops->fail(st, rc, "open it for writing", 1, err);
		} else
			pg_rollback(st);
	}
	if (st->version > STORE_SCHEMA_VERSION)
		return tf_err(err, "%s: the store has schema version %d, written by a newer tfdrift "
		    "(this one knows up to %d): upgrade tfdrift, or use --store with another "
		    "database", st->path, st->version, STORE_SCHEMA_VERSION);
	if (st->version == 0)
		return tf_err(err, "%s: no store there yet (`tfdrift scan --store URI ...` creates "
		    "one)", st->path);
	return 0;
}

static void
pg_close(struct store *st)
{
	if (st->be == NULL)
		return;
	if (st->history != NULL)
		st->history->ops->finalize(st->history);
	st->history = NULL;
	if (BE(st)->c != NULL)
		PQfinish(BE(st)->c);
	free(BE(st)->errmsg);
	free(st->be);
	st->be = NULL;
	st->db = NULL;
}

static int
pg_exec(struct store *st, const char *sql)
{
	return pg_exec_raw(st, sql);
}

/* ---- statements ---- */

/* `?N` and `?` to `$N` outside quotes; *nparams the highest N, used[N-1] set. */
static char *
translate(const char *sql, int *nparams, unsigned char **used)
{
	struct strbuf sb;
	const char *p = sql;
	int max = 0, n;
	unsigned char *u = NULL;
	size_t ucap = 0;

	sb_init(&sb);
	while (*p != '\0') {
		if (*p == '\'' || *p == '"') {
			const char *e = strchr(p + 1, *p);

			e = e != NULL ? e + 1 : p + strlen(p);
			sb_add(&sb, p, (size_t)(e - p));
			p = e;
			continue;
		}
		if (*p != '?') {
			sb_addc(&sb, *p++);
			continue;
		}
		p++;
		if (*p >= '0' && *p <= '9') {
			n = 0;
			while (*p >= '0' && *p <= '9' && n < 100000)
				n = n * 10 + (*p++ - '0');
		} else
			n = max + 1;
		if (n > max)
			max = n;
		if ((size_t)n > ucap) {
			size_t old = ucap;

			ucap = (size_t)n + 16;
			u = xreallocarray(u, ucap, 1);
			memset(u + old, 0, ucap - old);
		}
		u[n - 1] = 1;
		sb_addf(&sb, "$%d", n);
	}
	*nparams = max;
	*used = u;
	return sb_detach(&sb);
}

static int
pg_prepare(struct store *st, const char *sql, struct store_stmt **out)
{
	struct pg_stmt *q = xcalloc(1, sizeof *q);

	q->base.ops = &store_pg_ops;
	q->st = st;
	q->sql = translate(sql, &q->nparams, &q->used);
	q->vals = xcalloc((size_t)q->nparams + 1, sizeof *q->vals);
	*out = &q->base;
	return SDB_OK;
}

#define PQ(s) ((struct pg_stmt *)(s))

static void
set_val(struct store_stmt *s, int i, char *v)
{
	struct pg_stmt *q = PQ(s);

	if (i < 1 || i > q->nparams) {
		free(v);
		return;
	}
	free(q->vals[i - 1]);
	q->vals[i - 1] = v;
}

static void
pg_bind_int64(struct store_stmt *s, int i, int64_t v)
{
	set_val(s, i, xasprintf("%lld", (long long)v));
}

static void
pg_bind_text(struct store_stmt *s, int i, const char *v, int copy)
{
	(void)copy;
	set_val(s, i, v != NULL ? xstrdup(v) : NULL);
}

static void
pg_bind_null(struct store_stmt *s, int i)
{
	set_val(s, i, NULL);
}

static void
clear_rows(struct pg_stmt *q)
{
	PQclear(q->row);
	q->row = NULL;
	while (q->qhead < q->qn)
		PQclear(q->queue[q->qhead++]);
	q->qhead = q->qn = 0;
}

static int
send(struct pg_stmt *q)
{
	struct store *st = q->st;
	Oid *types = xcalloc((size_t)q->nparams + 1, sizeof *types);
	PGresult *res;
	int i, ok;

	/* A number the SQL skips has no type to infer: text. */
	for (i = 0; i < q->nparams; i++)
		types[i] = q->used[i] ? 0 : 25;
	pg_drain(st);
	ok = PQsendQueryParams(BE(st)->c, q->sql, q->nparams, types,
	    (const char *const *)q->vals, NULL, NULL, 0) && PQsetSingleRowMode(BE(st)->c);
	free(types);
	if (!ok) {
		set_error(st, NULL);
		q->done = 1;
		q->final_rc = fail_rc(st);
		while ((res = PQgetResult(BE(st)->c)) != NULL)
			PQclear(res);
		return q->final_rc;
	}
	q->reading = 1;
	q->done = 0;
	BE(st)->active = q;
	return SDB_OK;
}

static int
pg_step(struct store_stmt *s)
{
	struct pg_stmt *q = PQ(s);
	struct store *st = q->st;
	PGresult *res;
	int rc;

	PQclear(q->row);
	q->row = NULL;
	if (!q->reading && !q->done && (rc = send(q)) != SDB_OK)
		return rc;
	if (q->qhead < q->qn) {
		q->row = q->queue[q->qhead++];
		return SDB_ROW;
	}
	if (q->done || BE(st)->active != q)
		return q->done ? q->final_rc : SDB_DONE;
	res = PQgetResult(BE(st)->c);
	if (res != NULL && PQresultStatus(res) == PGRES_SINGLE_TUPLE) {
		q->row = res;
		return SDB_ROW;
	}
	/* The end: a command's or a query's last (empty) result, or a failure. */
	if (res == NULL) {
		q->final_rc = SDB_DONE;
	} else if (PQresultStatus(res) == PGRES_TUPLES_OK || PQresultStatus(res) ==
	    PGRES_COMMAND_OK) {
		BE(st)->changes = atoll(PQcmdTuples(res));
		q->final_rc = SDB_DONE;
	} else {
		set_error(st, res);
		q->final_rc = fail_rc(st);
	}
	PQclear(res);
	while ((res = PQgetResult(BE(st)->c)) != NULL)
		PQclear(res);
	BE(st)->active = NULL;
	q->reading = 0;
	q->done = 1;
	return q->final_rc;
}

static int64_t
pg_column_int64(struct store_stmt *s, int i)
{
	struct pg_stmt *q = PQ(s);

	if (q->row == NULL || i >= PQnfields(q->row) || PQgetisnull(q->row, 0, i))
		return 0;
	return strtoll(PQgetvalue(q->row, 0, i), NULL, 10);
}

static const char *
pg_column_text(struct store_stmt *s, int i)
{
	struct pg_stmt *q = PQ(s);

	if (q->row == NULL || i >= PQnfields(q->row) || PQgetisnull(q->row, 0, i))
		return NULL;
	return PQgetvalue(q->row, 0, i);
}

static int
pg_column_null(struct store_stmt *s, int i)
{
	struct pg_stmt *q = PQ(s);

	return q->row == NULL || i >= PQnfields(q->row) || PQgetisnull(q->row, 0, i);
}

static void
pg_reset(struct store_stmt *s)
{
	struct pg_stmt *q = PQ(s);

	if (BE(q->st) != NULL && BE(q->st)->active == q)
		pg_drain(q->st);
	clear_rows(q);
	q->reading = q->done = 0;
}

static void
pg_finalize(struct store_stmt *s)
{
	struct pg_stmt *q = PQ(s);
	int i;

	if (s == NULL)
		return;
	pg_reset(s);
	for (i = 0; i < q->nparams; i++)
		free(q->vals[i]);
	free(q->vals);
	free(q->used);
	free(q->queue);
	free(q->sql);
	free(q);
}

/* ---- transactions ---- */

static int
pg_begin(struct store *st, int write)
{
	int rc;

	if (write && st->conn_ro)
		return SDB_READONLY;
	pg_drain(st);
	if (PQstatus(BE(st)->c) != CONNECTION_OK && pg_reconnect(st) != 0)
		return SDB_LOST;
	rc = pg_exec_raw(st, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ");
	if (rc == SDB_LOST && pg_reconnect(st) == 0)
		rc = pg_exec_raw(st, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ");
	if (rc == SDB_OK) {
		BE(st)->in_tx = 1;
		BE(st)->tx_write = write;
		st->lost = 0;   /* reconnected: what follows starts afresh */
	}
	return rc;
}

static int
pg_commit(struct store *st)
{
	int rc = SDB_OK;

	if (BE(st)->tx_write)
		rc = pg_exec_raw(st, "NOTIFY " STORE_PG_CHANNEL);
	if (rc == SDB_OK && (rc = pg_exec_raw(st, "COMMIT")) == SDB_LOST)
		st->lost = 2;   /* sent: it may have committed */
	BE(st)->in_tx = 0;
	return rc;
}

static void
pg_rollback(struct store *st)
{
	if (!BE(st)->in_tx)
		return;
	pg_drain(st);
	PQclear(PQexec(BE(st)->c, "ROLLBACK"));
	BE(st)->in_tx = 0;
}

static int64_t
pg_last_id(struct store *st)
{
	PGresult *res;
	int64_t id = 0;

	pg_drain(st);
	res = PQexec(BE(st)->c, "SELECT lastval()");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return id;
}

static int64_t
pg_changes(struct store *st)
{
	return BE(st)->changes;
}

static int
pg_fail(struct store *st, int rc, const char *doing, int writing, char **err)
{
	const char *m = BE(st) != NULL && BE(st)->errmsg != NULL ? BE(st)->errmsg : "unknown error";

	(void)writing;
	switch (rc) {
	case SDB_READONLY:
		if (st->ro_reason != NULL)
			return tf_err(err, "%s", st->ro_reason);
		return tf_err(err, "%s: the store is read-only (could not %s: %s): check that the "
		    "user may write to the database, or connect to the primary server", st->path,
		    doing, m);
	case SDB_LOST:
		return tf_err(err, "%s: the store is unreachable (could not %s: %s): check that the "
		    "PostgreSQL server is running and reachable; nothing was saved by this step",
		    st->path, doing, m);
	case SDB_BUSY:
		return tf_err(err, "%s: the store is busy (waited %d ms to %s: %s): another tfdrift "
		    "is probably writing to it; retry", st->path, st->busy_ms, doing, m);
	default:
		return tf_err(err, "%s: could not %s: %s", st->path, doing, m);
	}
}

/* Notifications from other connections since the last call. */
static int
pg_changed(struct store *st)
{
	PGnotify *n;
	int changed = 0, self;

	if (BE(st)->active == NULL && PQstatus(BE(st)->c) != CONNECTION_OK) {
		/* Lost: one quick try to connect again (the caller asks again later); once
		 * back, what others wrote meanwhile is unknown: changed. */
		PQreset(BE(st)->c);
		if (PQstatus(BE(st)->c) != CONNECTION_OK) {
			set_error(st, NULL);
			return -1;
		}
		BE(st)->in_tx = 0;
		return session_setup(st) == SDB_OK ? 1 : -1;
	}
	self = PQbackendPID(BE(st)->c);
	if (BE(st)->active == NULL && !PQconsumeInput(BE(st)->c))
		return -1;
	while ((n = PQnotifies(BE(st)->c)) != NULL) {
		if (n->be_pid != self)
			changed = 1;
		PQfreemem(n);
	}
	return changed;
}

static int
pg_fd(struct store *st)
{
	return PQsocket(BE(st)->c);
}

static void
pg_big_write(struct store *st, int on)
{
	(void)st;
	(void)on;
}

const struct store_db_ops store_pg_ops = {
	.name = "postgresql",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.bind_int64 = pg_bind_int64,
	.bind_text = pg_bind_text,
	.bind_null = pg_bind_null,
	.step = pg_step,
	.column_int64 = pg_column_int64,
	.column_text = pg_column_text,
	.column_null = pg_column_null,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.last_id = pg_last_id,
	.changes = pg_changes,
	.fail = pg_fail,
	.changed = pg_changed,
	.fd = pg_fd,
	.big_write = pg_big_write,
};
