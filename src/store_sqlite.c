/* store_sqlite: the SQLite back end of the store (store_db.h): one file in WAL mode, with
 * synchronous=FULL, a busy timeout and foreign keys; the clear messages for a locked,
 * read-only, corrupt or full store and the read-only fallbacks (in place, immutable, or a
 * private copy of a -wal whose -shm is missing); PRAGMA quick_check at open; PRAGMA
 * data_version for store_changed. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "compat.h"
#include "store.h"
#include "store_db.h"
#include "util.h"

/* What the back end keeps beside the connection (st->be is not in struct store: here). */
struct sq_stmt {
	struct store_stmt base;
	sqlite3_stmt *s;
};

struct sq_state {
	char *snap_dir;         /* a private copy being read instead of the store (open_copy) */
	int last_rc;            /* the last SQLite failure (for the open fallbacks) */
	int64_t data_version;   /* PRAGMA data_version when store_changed last looked */
};

#define DB(st) ((sqlite3 *)(st)->db)
#define BE(st) ((struct sq_state *)(st)->be)

static void sq_finalize(struct store_stmt *s);
static int open_any(struct store *st, int create, char **err);

/* Is this failure one that leaves the store readable but not writable? */
static int
ro_class(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_FULL: case SQLITE_READONLY:
	case SQLITE_PERM: case SQLITE_CORRUPT: case SQLITE_NOTADB: case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return 1;
	}
	return 0;
}

/* Read the store's files through the OS (the main file, then its -wal; whole, or only their
 * start): the errno of the first failure, or 0. SQLite reports a read that fails with EIO as
 * a damaged database ("database disk image is malformed") and an open that fails so as
 * "unable to open"; this tells a failing disk from a damaged file. Only after such errors. */
static int
os_read_errno(const char *path, int whole)
{
	static const char *const suffix[] = { "", "-wal" };
	char buf[65536], *p;
	size_t i;
	ssize_t n;
	int fd, e = 0;

	for (i = 0; i < TF_ARRLEN(suffix) && e == 0; i++) {
		p = xasprintf("%s%s", path, suffix[i]);
		if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0) {
			e = errno == ENOENT || errno == EACCES ? 0 : errno;
		} else {
			while ((n = read(fd, buf, sizeof buf)) != 0) {
				if (n < 0 && errno != EINTR) {
					e = errno;
					break;
				}
				if (n > 0 && !whole)
					break;
			}
			close(fd);
		}
		free(p);
	}
	return e;
}

static int
io_errno(int e)
{
	return e == EIO || e == ENXIO || e == ENODEV || e == EUCLEAN || e == ESTALE;
}

/* The class of a failure as the person must act on it, and its errno (*e, 0 when unknown):
 * SQLite reports a full disk met while sizing its -shm as an I/O error (errno says which),
 * and a disk that fails reads as a damaged store (os_read_errno tells). */
static int
fail_class(struct store *st, int rc, int *e)
{
	int pe;

	*e = DB(st) != NULL ? sqlite3_system_errno(DB(st)) : 0;
	switch (rc & 0xff) {
	case SQLITE_IOERR:
		if (*e == ENOSPC || *e == EDQUOT)
			return SQLITE_FULL;
		if (*e == EROFS)
			return SQLITE_READONLY;
		if (*e == 0 && io_errno(pe = os_read_errno(st->path, 0)))
			*e = pe;
		return SQLITE_IOERR;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_CANTOPEN:
		if (io_errno(pe = os_read_errno(st->path, (rc & 0xff) != SQLITE_CANTOPEN))) {
			*e = pe;
			return SQLITE_IOERR;
		}
		break;
	}
	return rc & 0xff;
}

/* One message for a damaged store, whichever command finds it and however. */
static char *
corrupt_msg(const char *p, const char *what, const char *doing)
{
	return xasprintf("%s: the store is corrupt or not an SQLite database (%s, while trying "
	    "to %s): move it aside (mv '%s' '%s.bad') and tfdrift starts a new one; "
	    "`sqlite3 '%s.bad' .recover` may save its decisions", p, what, doing, p, p, p);
}

/*
 * The message for an SQLite failure: the path, what happened, what to do. A failed write of
 * a read-only class also becomes the store's read-only reason.
 */
static int
sql_fail(struct store *st, int rc, const char *doing, int writing, char **err)
{
	const char *msg = DB(st) != NULL ? sqlite3_errmsg(DB(st)) : sqlite3_errstr(rc);
	const char *p = st->path;
	int e;
	char *m;

	BE(st)->last_rc = rc;
	switch (fail_class(st, rc, &e)) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		m = xasprintf("%s: the store is locked by another process (waited %d ms to %s): "
		    "another tfdrift is probably writing to it; retry, or close the other one",
		    p, st->busy_ms, doing);
		break;
	case SQLITE_FULL:
		BE(st)->last_rc = SQLITE_FULL;
		m = xasprintf("%s: the disk is full (could not %s): nothing is saved there until "
		    "space is freed, and everything saved before is intact and can be read; free "
		    "space on that filesystem (df shows it), or use --store with another path", p, doing);
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
		m = xasprintf("%s: the store is read-only (could not %s: %s): check the permissions "
		    "of the file and its directory and that the filesystem is mounted read-write, "
		    "or use --store with a writable path", p, doing, msg);
		break;
	case SQLITE_CANTOPEN:
		m = xasprintf("%s: cannot open the store's files (could not %s: %s): check that the "
		    "directory exists and is writable, or use --store with another path", p, doing, msg);
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		m = corrupt_msg(p, msg, doing);
		break;
	case SQLITE_NOMEM:
		/* SQLite's own text may name what it was doing instead ("unable to open a
		 * temporary database file ..." when the temporary btree's allocation fails). */
		m = xasprintf("%s: out of memory (could not %s: %s)", p, doing, msg);
		break;
	case SQLITE_IOERR:
		BE(st)->last_rc = SQLITE_IOERR;
		m = xasprintf("%s: I/O error (%s, while trying to %s): the disk or the filesystem "
		    "holding the store is failing; check it (dmesg), and copy the store elsewhere "
		    "while it can still be read", p, e != 0 ? strerror(e) : msg, doing);
		break;
	default:
		m = xasprintf("%s: could not %s: %s", p, doing, msg);
		break;
	}
	if (writing && ro_class(rc))
		store_set_ro(st, m);
	tf_err(err, "%s", m);
	free(m);
	return -1;
}


/* The open failed: its message from the handle SQLite made for it. */
static void
sq_open_fail(struct store *st, sqlite3 *sq, int rc, char **err)
{
	st->db = sq;
	sql_fail(st, rc, "open it", 0, err);
	st->db = NULL;
}

static int
no_db(struct store *st, char **err)
{
	return tf_err(err, "%s", st->ro_reason != NULL ? st->ro_reason : "the store is closed");
}

static int
exec(struct store *st, const char *sql, const char *doing, int writing, char **err)
{
	int rc;

	if (DB(st) == NULL)
		return no_db(st, err);
	rc = sqlite3_exec(DB(st), sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sql_fail(st, rc, doing, writing, err);
}

static int
prep(struct store *st, const char *sql, sqlite3_stmt **stmt, const char *doing, char **err)
{
	int rc;

	*stmt = NULL;
	if (DB(st) == NULL)
		return no_db(st, err);
	rc = sqlite3_prepare_v2(DB(st), sql, -1, stmt, NULL);
	if (rc != SQLITE_OK) {
		*stmt = NULL;
		return sql_fail(st, rc, doing, 0, err);
	}
	return 0;
}

static void
sq_rollback(struct store *st)
{
	if (DB(st) != NULL && !sqlite3_get_autocommit(DB(st)))
		sqlite3_exec(DB(st), "ROLLBACK", NULL, NULL, NULL);
}

/* Commit; a successful write also clears a read-only reason left by a passing condition. */
static int
lcommit(struct store *st, const char *doing, char **err)
{
	int rc = sqlite3_exec(DB(st), "COMMIT", NULL, NULL, NULL);

	if (rc != SQLITE_OK) {
		sql_fail(st, rc, doing, 1, err);
		sq_rollback(st);
		return -1;
	}
	free(st->ro_reason);
	st->ro_reason = NULL;
	return 0;
}

/* A file: URI for path (for the read-only fallbacks). */
static char *
file_uri(const char *path, const char *query)
{
	struct strbuf sb;
	const unsigned char *p;

	sb_init(&sb);
	sb_adds(&sb, "file:");
	for (p = (const unsigned char *)path; *p != '\0'; p++) {
		if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ' || *p >= 0x7f)
			sb_addf(&sb, "%%%02X", *p);
		else
			sb_addc(&sb, (char)*p);
	}
	sb_addf(&sb, "?%s", query);
	return sb_detach(&sb);
}

/* Read the schema version: 0 for an empty file; -2 for a database that is not a store. */
static int
read_version(struct store *st, int *version, char **err)
{
	sqlite3_stmt *s;
	int rc, has_meta, ntables;

	*version = 0;
	if (prep(st, "SELECT (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'),"
	    " (SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%')",
	    &s, "read the schema", err) != 0)
		return -1;
	if ((rc = sqlite3_step(s)) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return sql_fail(st, rc, "read the schema", 0, err);
	}
	has_meta = sqlite3_column_int(s, 0);
	ntables = sqlite3_column_int(s, 1);
	sqlite3_finalize(s);
	if (!has_meta) {
		if (ntables > 0) {
			tf_err(err, "%s: an SQLite database but not a tfdrift store (it has other tables): "
			    "use --store with another path", st->path);
			return -2;
		}
		return 0;
	}
	if (prep(st, "SELECT value FROM meta WHERE key = 'schema_version'", &s,
	    "read the schema version", err) != 0)
		return -1;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	else if (rc != SQLITE_DONE) {
		sqlite3_finalize(s);
		return sql_fail(st, rc, "read the schema version", 0, err);
	}
	sqlite3_finalize(s);
	if (*version <= 0) {
		tf_err(err, "%s: the store has no schema version (damaged?): move it aside "
		    "(mv '%s' '%s.bad') and tfdrift starts a new one", st->path, st->path, st->path);
		return -2;
	}
	return 0;
}

static int
open_db(struct store *st, const char *name, int oflags, char **err)
{
	sqlite3 *sq = NULL;
	int rc = sqlite3_open_v2(name, &sq, oflags | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		sq_open_fail(st, sq, rc, err);
		sqlite3_close(sq);
		return -1;
	}
	st->db = sq;
	sqlite3_extended_result_codes(sq, 1);
	sqlite3_busy_timeout(sq, st->busy_ms);
	st->conn_ro = sqlite3_db_readonly(sq, "main") == 1;
	return 0;
}

/* Set up the connection and the schema; see store_open. */
static int
setup(struct store *st, char **err)
{
	sqlite3_stmt *s;
	int rc;

	BE(st)->last_rc = 0;
	if (!st->conn_ro) {
		/* Switching to WAL needs the file writable; it stays WAL from then on. Its prepare
		 * reads the schema: a damaged one says so as a read-only open does. */
		if (prep(st, "PRAGMA journal_mode = WAL", &s, "read the schema", err) != 0)
			return -1;
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_ROW) {
			if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT ||
			    !ro_class(rc))
				return sql_fail(st, rc, "open it for writing", 0, err);
			sql_fail(st, rc, "open it for writing", 1, NULL);   /* read-only from here */
		}
		if (exec(st, "PRAGMA synchronous = FULL", "set synchronous=FULL", 0, err) != 0)
			return -1;
	}
	if (exec(st, "PRAGMA foreign_keys = ON", "enable foreign keys", 0, err) != 0)
		return -1;
	/* Temporary tables and sorts (quick_check, exports) in memory: no temporary file in a
	 * directory that may be full or read-only, and when memory runs out SQLite says so
	 * instead of "unable to open a temporary database file" (alloc_torture). */
	if (exec(st, "PRAGMA temp_store = MEMORY", "keep temporary tables in memory", 0, err) != 0)
		return -1;
	if ((rc = read_version(st, &st->version, err)) != 0)
		return rc;
	BE(st)->last_rc = 0;
	if (st->version > STORE_SCHEMA_VERSION)
		return tf_err(err, "%s: the store has schema version %d, written by a newer tfdrift "
		    "(this one knows up to %d): upgrade tfdrift, or use --store with another path",
		    st->path, st->version, STORE_SCHEMA_VERSION);
	if (!st->conn_ro && st->ro_reason == NULL) {
		/* Take the write lock once: it proves the store writable now (else it opens
		 * read-only with the reason), and pending migrations run inside it. */
		if (exec(st, "BEGIN IMMEDIATE", "open it for writing", 1, NULL) == 0) {
			if (st->version < STORE_SCHEMA_VERSION && store_migrate(st, 0, NULL, NULL) != 0) {
				sq_rollback(st);
				if (read_version(st, &st->version, NULL) != 0)
					st->version = 0;
			} else
				lcommit(st, "open it for writing", NULL);
		}
	}
	if (st->version == 0)
		return tf_err(err, "%s", st->ro_reason != NULL ? st->ro_reason :
		    "the store is empty and cannot be created read-only");
	/* Older stores whose missing migrations only add things can still be read. */
	if (st->version < STORE_READABLE_FROM)
		return tf_err(err, "%s: the store has schema version %d and must be upgraded to %d, "
		    "which needs writing: %s", st->path, st->version, STORE_SCHEMA_VERSION,
		    st->ro_reason != NULL ? st->ro_reason : "it is opened read-only");
	return 0;
}

/* ---- opening: read-write, else read-only in a way that still shows every decision ---- */

static const char *const side_files[] = { "", "-wal", "-shm", "-journal" };

/* Close the connection, and remove the private copy it was reading (open_copy). */
static void
close_db(struct store *st)
{
	size_t i;

	sq_finalize(st->history);       /* statements first: the connection closes only then */
	st->history = NULL;
	if (DB(st) != NULL)
		sqlite3_close(DB(st));
	st->db = NULL;
	st->conn_ro = 0;
	if (BE(st)->snap_dir == NULL)
		return;
	for (i = 0; i < TF_ARRLEN(side_files); i++) {
		char *p = xasprintf("%s/store.db%s", BE(st)->snap_dir, side_files[i]);

		unlink(p);
		free(p);
	}
	rmdir(BE(st)->snap_dir);
	free(BE(st)->snap_dir);
	BE(st)->snap_dir = NULL;
}

/* Open name and set it up; a read-only connection gets ro_why as the store's reason. */
static int
attempt(struct store *st, const char *name, int oflags, const char *ro_why, char **err)
{
	sq_finalize(st->history);
	st->history = NULL;
	if (DB(st) != NULL)
		sqlite3_close(DB(st));
	st->db = NULL;
	free(st->ro_reason);
	st->ro_reason = NULL;
	if (open_db(st, name, oflags, err) != 0)
		return -1;
	if (st->conn_ro)
		store_set_ro(st, ro_why);
	return setup(st, err);
}

/* A failure after which the store may still be read, read-only. */
static int
fallback_class(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CANTOPEN: case SQLITE_IOERR: case SQLITE_FULL: case SQLITE_READONLY:
	case SQLITE_PERM:
		return 1;
	}
	return 0;
}

/* Is the file there? When that cannot be told (an I/O error), it may be: 1. */
static int
has_file(const char *path, const char *suffix)
{
	char *p = xasprintf("%s%s", path, suffix);
	int r = access(p, F_OK) == 0 || errno != ENOENT;

	free(p);
	return r;
}

/* Copy src to dst (a new file, mode 0600). 0, or -1 with errno set. */
static int
copy_file(const char *src, const char *dst)
{
	char buf[65536];
	ssize_t n, w, off;
	int in, out, e = 0;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		e = errno;
		close(in);
		errno = e;
		return -1;
	}
	while (e == 0 && (n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno != EINTR)
				e = errno;
			continue;
		}
		for (off = 0; off < n && e == 0; off += w)
			if ((w = write(out, buf + off, (size_t)(n - off))) < 0) {
				if (errno != EINTR)
					e = errno;
				w = 0;
			}
	}
	if (close(out) != 0 && e == 0)
		e = errno;
	close(in);
	errno = e;
	return e == 0 ? 0 : -1;
}

static int
same_file(const char *path, const struct stat *before)
{
	struct stat now;
	struct timespec a, b;

	if (stat(path, &now) != 0)
		return 0;
	a = compat_stat_mtime(&now);
	b = compat_stat_mtime(before);
	return now.st_ino == before->st_ino && now.st_dev == before->st_dev &&
	    now.st_size == before->st_size && a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

/*
 * The store's -wal holds commits that are not in its main file yet, and its -shm is missing
 * and cannot be created (a read-only directory or filesystem; a backup that skipped the
 * -shm). SQLite cannot read that -wal in place, and the main file alone (immutable) would
 * hide the newest decisions. So read a private copy of both, made while neither changed:
 * SQLite recovers the copy's -wal into a -shm of its own. The copy is removed at close.
 */
static int
open_copy(struct store *st, const char *why, char **err)
{
	const char *tmp = getenv("TMPDIR");
	char *dir, *wal, *shm, *cdb, *cwal, *reason;
	struct stat db0, wal0;
	int tries, same = 0, e = 0, rc;

	dir = xasprintf("%s/tfdrift-store.XXXXXX", tmp != NULL && *tmp == '/' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		e = errno;
		rc = tf_err(err, "cannot make a private directory for a copy in %s: %s",
		    tmp != NULL && *tmp == '/' ? tmp : "/tmp", strerror(e));
		free(dir);
		return rc;
	}
	BE(st)->snap_dir = dir;
	wal = xasprintf("%s-wal", st->path);
	shm = xasprintf("%s-shm", st->path);
	cdb = xasprintf("%s/store.db", dir);
	cwal = xasprintf("%s/store.db-wal", dir);
	for (tries = 0; tries < 3 && !same && e == 0; tries++) {
		unlink(cdb);
		unlink(cwal);
		if (stat(st->path, &db0) != 0 || stat(wal, &wal0) != 0 ||
		    copy_file(st->path, cdb) != 0 || copy_file(wal, cwal) != 0)
			e = errno;
		else
			same = same_file(st->path, &db0) && same_file(wal, &wal0) &&
			    access(shm, F_OK) != 0;
	}
	if (!same) {
		rc = tf_err(err, "cannot copy it to %s: %s", dir, e != 0 ? strerror(e) :
		    "it kept changing while being copied");
	} else {
		reason = xasprintf("%s; it is read from a private copy of it and its -wal (its -shm "
		    "file is missing and cannot be created there), so later changes are not seen",
		    why);
		rc = attempt(st, cdb, SQLITE_OPEN_READONLY, reason, err);
		free(reason);
	}
	free(wal);
	free(shm);
	free(cdb);
	free(cwal);
	return rc;
}

/*
 * The store could not be opened for writing (why: the message that says so). Open it
 * read-only in a way that still shows every decision it holds, or fail (-1 with *err):
 *  1. read-only in place. SQLite reads the -wal through the -shm; when the -shm cannot be
 *     written (a full disk cannot grow it; a read-only file), readonly_shm makes it use a
 *     private index built from the -wal instead (sqlite.org/wal.html, "read-only databases").
 *  2. no -shm, and none can be created (a read-only directory): a missing or empty -wal holds
 *     nothing, so the main file is the whole store (immutable); otherwise read a private copy
 *     of the main file and the -wal (open_copy).
 */
static int
open_readonly(struct store *st, const char *why, char **err)
{
	char *uri, *wal, *cerr = NULL;
	struct stat wsb;
	int rc = -1, i, had_shm, wst;

	for (i = 0; i < 2; i++) {
		had_shm = has_file(st->path, "-shm");
		uri = file_uri(st->path, had_shm ? "mode=ro&readonly_shm=1" : "mode=ro");
		rc = attempt(st, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, why, NULL);
		free(uri);
		/* Again when this try made a -shm it could not size (a full disk). */
		if (rc == 0 || rc == -2 || had_shm || !has_file(st->path, "-shm"))
			break;
	}
	if (rc == 0 || rc == -2 || (BE(st)->last_rc & 0xff) != SQLITE_CANTOPEN ||
	    has_file(st->path, "-shm"))
		goto out;
	wal = xasprintf("%s-wal", st->path);
	wst = stat(wal, &wsb) == 0 ? 0 : errno;
	if (wst != 0 && wst != ENOENT) {
		rc = -1;        /* cannot tell what the -wal holds: never guess */
	} else if (wst == ENOENT || wsb.st_size == 0) {
		uri = file_uri(st->path, "immutable=1");
		rc = attempt(st, uri, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, why, NULL);
		free(uri);
	} else if ((rc = open_copy(st, why, &cerr)) == -1) {
		tf_err(err, "%s: its newest decisions are in its -wal file, and its -shm file is "
		    "missing and cannot be created (a read-only directory or filesystem), so it "
		    "cannot be read in place without hiding them; a private copy did not work either "
		    "(%s): restore the -shm file, make the directory writable, or set TMPDIR to a "
		    "directory with room for a copy", st->path, cerr);
	}
	free(cerr);
	free(wal);
out:
	return rc;
}

/* Does a quick_check report name SQLite's out-of-memory code (7) as why a page could not be
 * read? */
static int
nomem_line(const char *r)
{
	const char *p;

	for (p = strstr(r, "error code"); p != NULL; p = strstr(p + 1, "error code")) {
		const char *q = p + strlen("error code");

		while (*q == ' ' || *q == '=')
			q++;
		if (q[0] == '7' && (q[1] < '0' || q[1] > '9'))
			return 1;
	}
	return 0;
}

/* PRAGMA quick_check: a store with damaged pages is an error for every command, found when
 * it is opened, not only by the command that happens to read those pages. It reads the
 * whole file once (about 1 s per GB). */
static int
check_pages(struct store *st, char **err)
{
	const char *doing = "check its pages";
	struct strbuf sb;
	sqlite3_stmt *s;
	const char *r;
	char *m;
	int rc;

	if (prep(st, "PRAGMA quick_check(3)", &s, doing, err) != 0)
		return -1;
	sb_init(&sb);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(s, 0);
		if (r == NULL || strcmp(r, "ok") == 0)
			continue;
		/* Lines such as "Page 8: btreeInitPage() returns error code 11", after a
		 * "*** in database main ***" heading. */
		while (*r != '\0') {
			size_t n = strcspn(r, "\n");

			if (n > 0 && strncmp(r, "***", 3) != 0) {
				sb_adds(&sb, sb.len > 0 ? "; " : "");
				sb_add(&sb, r, n);
			}
			r += n + (r[n] == '\n');
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		sb_free(&sb);
		return sql_fail(st, rc, doing, 0, err);
	}
	if (sb.len == 0) {
		sb_free(&sb);
		return 0;
	}
	/* A page quick_check could not read for want of memory ("unable to get the page.
	 * error code=7", "returns error code 7") is not damage: say out of memory. */
	if (nomem_line(sb.buf)) {
		sb_free(&sb);
		return sql_fail(st, SQLITE_NOMEM, doing, 0, err);
	}
	m = corrupt_msg(st->path, sb.buf, doing);
	tf_err(err, "%s", m);
	free(m);
	sb_free(&sb);
	return -1;
}

/* The message for a store that is read-only because of its file or filesystem. */
static char *
readonly_msg(const char *path)
{
	return xasprintf("%s: the store is read-only (no write permission on the file or its "
	    "directory, or a read-only filesystem): decisions cannot be saved; fix the "
	    "permissions or use --store with a writable path", path);
}

/*
 * Open st->path: read-write (creating it unless STORE_NOCREATE), or read-only (STORE_RDONLY);
 * when it exists but cannot be opened so, read-only in place or from a copy (open_readonly),
 * the reason saying why (a full disk, a read-only filesystem).
 */
static int
open_any(struct store *st, int create, char **err)
{
	char *ro_why, *first = NULL, *why, *refused = NULL;
	int oflags, rc, cls = 0;

	close_db(st);
	st->fallback = 0;
	if (st->flags & STORE_RDONLY) {
		oflags = SQLITE_OPEN_READONLY;
		ro_why = xasprintf("%s: opened read-only (--readonly), nothing is written", st->path);
	} else {
		oflags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
		ro_why = readonly_msg(st->path);
	}
	rc = attempt(st, st->path, oflags, ro_why, &first);
	if (rc == -1 && !create && fallback_class(BE(st)->last_rc)) {
		cls = BE(st)->last_rc & 0xff;
		/* A full disk or a failing one: that is the reason; else the store is read-only. */
		why = xstrdup(st->flags & STORE_RDONLY ? ro_why : cls == SQLITE_FULL ||
		    cls == SQLITE_IOERR ? (st->ro_reason != NULL ? st->ro_reason : first) : ro_why);
		rc = open_readonly(st, why, &refused);
		free(why);
		/* A full disk (or a failing one) may pass: each write tries read-write again. */
		st->fallback = rc == 0 && (cls == SQLITE_FULL || cls == SQLITE_IOERR) &&
		    !(st->flags & STORE_RDONLY);
	}
	if (rc != 0) {
		close_db(st);
		tf_err(err, "%s", refused != NULL ? refused : first != NULL ? first :
		    "cannot open the store");
	}
	free(refused);
	free(first);
	free(ro_why);
	return rc;
}

/* A store opened read-only for a passing reason, before a write: try read-write again. On
 * failure it is reopened read-only as before (the reason updated), or, when even that fails,
 * left without a connection (every call then fails with the reason, and the next write tries
 * again). 0 when writable now. */
static int
reopen_rw(struct store *st)
{
	char *err = NULL;

	if (open_any(st, 0, &err) == 0 && !st->fallback && !st->conn_ro)
		return 0;
	if (DB(st) == NULL) {
		free(st->ro_reason);
		st->ro_reason = xasprintf("%s (the store could not be reopened)", err != NULL ? err :
		    st->path);
		st->fallback = 1;
	}
	free(err);
	return -1;
}

/* ---- the operations ---- */

/* mkdir -p for a new store, with a message that says what to do. */
static int
store_mkdir(const char *path, char **err)
{
	char *why = NULL;

	if (tf_mkdir_parents(path, &why) == 0)
		return 0;
	tf_err(err, "%s: %s; create it or use --store with another path", path, why);
	free(why);
	return -1;
}

static int
sq_open(struct store *st, int create, char **err)
{
	struct stat sb;
	int exists;

	(void)create;
	exists = stat(st->path, &sb) == 0;
	if (exists && S_ISDIR(sb.st_mode))
		return tf_err(err, "%s: is a directory; the store is a file (e.g. %s/tfdrift.db)",
		    st->path, st->path);
	if (!exists && (st->flags & STORE_NOCREATE))
		return tf_err(err, "%s: no store there yet (`tfdrift scan --store %s ...` creates "
		    "one)", st->path, st->path);
	if (!exists && store_mkdir(st->path, err) != 0)
		return -1;
	if (st->be == NULL)
		st->be = xcalloc(1, sizeof(struct sq_state));
	if (open_any(st, !exists, err) != 0 || check_pages(st, err) != 0)
		return -1;
	BE(st)->data_version = -1;
	(void)st->ops->changed(st);     /* what later calls compare with */
	return 0;
}

static void
sq_close(struct store *st)
{
	if (st->be != NULL)
		close_db(st);
	free(st->be);
	st->be = NULL;
}

static int
sq_exec(struct store *st, const char *sql)
{
	return DB(st) != NULL ? sqlite3_exec(DB(st), sql, NULL, NULL, NULL) : SQLITE_MISUSE;
}

static int
sq_prepare(struct store *st, const char *sql, struct store_stmt **out)
{
	sqlite3_stmt *s = NULL;
	struct sq_stmt *q;
	int rc;

	*out = NULL;
	if (DB(st) == NULL)
		return SQLITE_MISUSE;
	if ((rc = sqlite3_prepare_v2(DB(st), sql, -1, &s, NULL)) != SQLITE_OK)
		return rc;
	q = xcalloc(1, sizeof *q);
	q->base.ops = &store_sqlite_ops;
	q->s = s;
	*out = &q->base;
	return SQLITE_OK;
}

#define SQ(s) (((struct sq_stmt *)(s))->s)

static void
sq_bind_int64(struct store_stmt *s, int i, int64_t v)
{
	sqlite3_bind_int64(SQ(s), i, (sqlite3_int64)v);
}

static void
sq_bind_text(struct store_stmt *s, int i, const char *v, int copy)
{
	if (v != NULL)
		sqlite3_bind_text(SQ(s), i, v, -1, copy ? SQLITE_TRANSIENT : SQLITE_STATIC);
	else
		sqlite3_bind_null(SQ(s), i);
}

static void
sq_bind_null(struct store_stmt *s, int i)
{
	sqlite3_bind_null(SQ(s), i);
}

static int
sq_step(struct store_stmt *s)
{
	return sqlite3_step(SQ(s));
}

static int64_t
sq_column_int64(struct store_stmt *s, int i)
{
	return sqlite3_column_int64(SQ(s), i);
}

static const char *
sq_column_text(struct store_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(SQ(s), i);
}

static int
sq_column_null(struct store_stmt *s, int i)
{
	return sqlite3_column_type(SQ(s), i) == SQLITE_NULL;
}

static void
sq_reset(struct store_stmt *s)
{
	sqlite3_reset(SQ(s));
}

static void
sq_finalize(struct store_stmt *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(SQ(s));
	free(s);
}

/* A write transaction waits up to the busy timeout for another writer. A store opened
 * read-only for a passing reason (a full disk) first tries to reopen read-write: it recovers
 * by itself once the cause is gone. */
static int
sq_begin(struct store *st, int write)
{
	if (!write)
		return sq_exec(st, "BEGIN");
	if (st->fallback)
		reopen_rw(st);
	if (DB(st) == NULL || st->conn_ro)
		return SQLITE_READONLY;
	return sq_exec(st, "BEGIN IMMEDIATE");
}

static int
sq_commit(struct store *st)
{
	return sq_exec(st, "COMMIT");
}

static int64_t
sq_last_id(struct store *st)
{
	return sqlite3_last_insert_rowid(DB(st));
}

static int64_t
sq_changes(struct store *st)
{
	return sqlite3_changes(DB(st));
}

/* A failure: SQLITE_READONLY from sq_begin without a connection, or a read-only one, says
 * the reason the store has. */
static int
sq_fail(struct store *st, int rc, const char *doing, int writing, char **err)
{
	if (DB(st) == NULL || (rc == SQLITE_READONLY && st->conn_ro))
		return tf_err(err, "%s", st->ro_reason != NULL ? st->ro_reason :
		    DB(st) == NULL ? "the store is closed" : "the store is read-only");
	return sql_fail(st, rc, doing, writing, err);
}

/* PRAGMA data_version: changes when another connection commits to the file. */
static int
sq_changed(struct store *st)
{
	sqlite3_stmt *s;
	int64_t v;
	int rc;

	if (DB(st) == NULL || sqlite3_prepare_v2(DB(st), "PRAGMA data_version", -1, &s, NULL) !=
	    SQLITE_OK)
		return -1;
	rc = sqlite3_step(s);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW)
		return -1;
	rc = BE(st)->data_version >= 0 && v != BE(st)->data_version;
	BE(st)->data_version = v;
	return rc;
}

static int
sq_fd(struct store *st)
{
	(void)st;
	return -1;
}

/* A write of many rows spread over the findings (resolutions of a whole store) gets a page
 * cache of up to 64 MB for its transaction, so that it does not spill its dirty pages to the
 * WAL and read them back as it goes (SQLite's default is 2 MB); given back after it. The
 * memory is taken only as pages are read. */
static void
sq_big_write(struct store *st, int on)
{
	if (DB(st) == NULL)
		return;
	sqlite3_exec(DB(st), on ? "PRAGMA cache_size = -65536" : "PRAGMA cache_size = -2000", NULL,
	    NULL, NULL);
	if (!on)
		sqlite3_db_release_memory(DB(st));
}

const struct store_db_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.bind_int64 = sq_bind_int64,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.step = sq_step,
	.column_int64 = sq_column_int64,
	.column_text = sq_column_text,
	.column_null = sq_column_null,
	.reset = sq_reset,
	.finalize = sq_finalize,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.last_id = sq_last_id,
	.changes = sq_changes,
	.fail = sq_fail,
	.changed = sq_changed,
	.fd = sq_fd,
	.big_write = sq_big_write,
};

struct sqlite3 *
store_sqlite(struct store *st)
{
	return st->ops == &store_sqlite_ops ? DB(st) : NULL;
}
