/* store_db: the database operations the store's logic (store.c) runs on, one table per back
 * end: SQLite (store_sqlite.c: a file, WAL, the read-only fallbacks) and PostgreSQL
 * (store_pg.c: libpq, a shared server). Private to the store.
 *
 * SQL is written once, in the dialect both accept: `?N` or `?` placeholders (the PostgreSQL
 * back end numbers them $N), ON CONFLICT ... DO UPDATE/NOTHING, CASE rather than IFNULL or
 * scalar max(), no SQLite-only functions. Result codes are SQLite's primary codes (the
 * SQLite back end passes its own through; the PostgreSQL one maps onto them), plus SDB_LOST
 * for a connection to a server that is gone. */
#ifndef TFDRIFT_STORE_DB_H
#define TFDRIFT_STORE_DB_H

#include <stdint.h>

enum {
	SDB_OK = 0, SDB_ERROR = 1, SDB_BUSY = 5, SDB_NOMEM = 7, SDB_READONLY = 8,
	SDB_CONSTRAINT = 19, SDB_ROW = 100, SDB_DONE = 101,
	SDB_LOST = 0x10000      /* the server went away (PostgreSQL): the store is unreachable */
};

struct store;
struct store_db_ops;

/* A prepared statement; each back end's begins with this. */
struct store_stmt {
	const struct store_db_ops *ops;
};

struct store_db_ops {
	const char *name;       /* "sqlite", "postgresql" */
	/* Connect to st->path (SQLite) or st->uri (PostgreSQL), set the connection up, read the
	 * schema version, run the pending migrations (store_migrate) in one transaction and
	 * check the store. 0, or -1 with *err; st->version set. */
	int (*open)(struct store *st, int create, char **err);
	void (*close)(struct store *st);
	/* One or more statements without parameters or rows. */
	int (*exec)(struct store *st, const char *sql);
	int (*prepare)(struct store *st, const char *sql, struct store_stmt **out);
	void (*bind_int64)(struct store_stmt *s, int i, int64_t v);
	/* v NULL binds NULL; copy 0: v stays valid until the statement is stepped or reset. */
	void (*bind_text)(struct store_stmt *s, int i, const char *v, int copy);
	void (*bind_null)(struct store_stmt *s, int i);
	int (*step)(struct store_stmt *s);              /* SDB_ROW, SDB_DONE or an error */
	int64_t (*column_int64)(struct store_stmt *s, int i);
	const char *(*column_text)(struct store_stmt *s, int i);   /* NULL for NULL */
	int (*column_null)(struct store_stmt *s, int i);
	void (*reset)(struct store_stmt *s);            /* to step again; bindings are kept */
	void (*finalize)(struct store_stmt *s);         /* NULL is fine */
	/* Transactions: a write one takes the write lock at once (SQLite: BEGIN IMMEDIATE) and
	 * tells the other connections at commit (store_changed); a read one is one snapshot. */
	int (*begin)(struct store *st, int write);
	int (*commit)(struct store *st);
	void (*rollback)(struct store *st);             /* when a transaction is open */
	int64_t (*last_id)(struct store *st);           /* the identity of the row inserted last */
	int64_t (*changes)(struct store *st);           /* rows the last statement changed */
	/* The message for failure rc while doing `doing`: the store, what happened, what to do;
	 * a failed write of a read-only class becomes the store's read-only reason. -1. */
	int (*fail)(struct store *st, int rc, const char *doing, int writing, char **err);
	/* store_changed, store_fd. */
	int (*changed)(struct store *st);
	int (*fd)(struct store *st);
	/* A write of many rows begins (1) or ends (0): SQLite grows its page cache for it. */
	void (*big_write)(struct store *st, int on);
};

extern const struct store_db_ops store_sqlite_ops;
extern const struct store_db_ops store_pg_ops;

/* The store as the back ends see it (store.c owns the logic; the back ends, the
 * connection). */
struct store {
	const struct store_db_ops *ops;
	void *db;               /* the back end's connection; NULL when none (every call fails) */
	void *be;               /* the back end's own state (allocated by its open) */
	char *path;             /* the file, or the URI as messages show it (password masked) */
	char *uri;              /* PostgreSQL: the URI to connect with (never shown) */
	int flags;              /* store_open's */
	int conn_ro;            /* the connection itself is read-only: writes fail at once */
	int fallback;           /* opened read-only for a passing reason (a full disk): each
	                         * write first tries to reopen read-write (SQLite) */
	char *ro_reason;        /* why the store is read-only now; NULL when writable */
	int version;            /* schema version of the store */
	int busy_ms;
	int lost;               /* the last failure was a lost connection (PostgreSQL): 1 before
	                         * the commit (nothing saved), 2 during it (maybe saved) */
	struct store_stmt *history;   /* store_history's, prepared once */
	int unreachable;        /* the last failure was SDB_LOST (store_unreachable) */
};

/* Run the pending migrations and record the version (store.c; the caller holds a write
 * transaction). base: the version a new store of this back end starts at (its whole schema
 * made by base_sql; 0 for none). */
int store_migrate(struct store *st, int base, const char *base_sql, char **err);
void store_set_ro(struct store *st, const char *why);

/* PostgreSQL: a new store is made whole at this version (store.c, beside the migrations). */
extern const int store_pg_base_version;
extern const char store_pg_base_schema[];
/* A libpq URI as messages show it: the password masked (heap). */
char *store_pg_display(const char *uri);

#endif
