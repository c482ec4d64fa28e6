/* store_lease: the store's side of several `watch` workers (schema 9): poller leases, the
 * cursor saved only by a lease's holder, and notification claims (see store.h). Plain SQL
 * through the store's own statement helpers (store_int.h). */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "store.h"
#include "store_int.h"
#include "util.h"

#define LEASE_SCHEMA 9

void
store_lease_clear(struct store_lease *l)
{
	free(l->name);
	free(l->holder);
	memset(l, 0, sizeof *l);
}

char *
store_lease_holder_new(void)
{
	char host[256];
	unsigned char r[4];
	unsigned long v;

	if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	if (compat_random_bytes(r, sizeof r) != 0)
		memset(r, 0, sizeof r);
	v = (unsigned long)r[0] << 24 | (unsigned long)r[1] << 16 | (unsigned long)r[2] << 8 | r[3];
	return xasprintf("%s:%ld:%08lx", host, (long)getpid(), v);
}

int
store_lease_holder_gone(const char *holder)
{
	char host[256], *end;
	const char *r, *p;
	long pid;

	if (holder == NULL || (r = strrchr(holder, ':')) == NULL || r == holder)
		return 0;
	for (p = r - 1; p > holder && *p != ':'; p--)
		;
	if (p == holder || gethostname(host, sizeof host) != 0)
		return 0;
	host[sizeof host - 1] = '\0';
	if ((size_t)(p - holder) != strlen(host) || strncmp(holder, host, strlen(host)) != 0)
		return 0;
	errno = 0;
	pid = strtol(p + 1, &end, 10);
	if (end != r || errno != 0 || pid <= 1 || pid == (long)getpid())
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

int64_t
store_lease_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Leases need schema 9: a store opened read-only at an older version has none. */
static int
need_schema(struct store *st, char **err)
{
	if (store_schema_version(st) >= LEASE_SCHEMA)
		return 0;
	return tf_err(err, "%s: the store has schema version %d, which keeps no worker leases "
	    "(%d does): open it writable once to upgrade it", store_path(st),
	    store_schema_version(st), LEASE_SCHEMA);
}

/* The row of name into *out (a transaction may be open). 1, 0 none, -1. */
static int
get_row(struct store *st, const char *name, struct store_lease *out, const char *doing,
    char **err)
{
	struct store_stmt *s;
	int rc;

	memset(out, 0, sizeof *out);
	if (store_i_prep(st, "SELECT holder, expires_at, acquired_at, renewed_at, epoch FROM leases"
	    " WHERE name = ?1", &s, doing, err) != 0)
		return -1;
	store_i_bind_text(s, 1, name);
	if ((rc = s->ops->step(s)) == SDB_ROW) {
		out->name = xstrdup(name);
		out->holder = store_i_col_text(s, 0);
		out->expires_at = s->ops->column_int64(s, 1);
		out->acquired_at = s->ops->column_int64(s, 2);
		out->renewed_at = s->ops->column_int64(s, 3);
		out->epoch = s->ops->column_int64(s, 4);
	}
	s->ops->finalize(s);
	if (rc == SDB_ROW)
		return 1;
	if (rc == SDB_DONE)
		return 0;
	return store_i_fail(st, rc, doing, 0, err);
}

int
store_lease_get(struct store *st, const char *name, struct store_lease *out, char **err)
{
	memset(out, 0, sizeof *out);
	if (need_schema(st, err) != 0)
		return -1;
	return get_row(st, name, out, "read a worker lease", err);
}

static int
write1_once(struct store *st, const char *sql, const char *doing, int *changed,
    void (*bind)(struct store_stmt *s, const void *arg), const void *arg, char **err)
{
	struct store_stmt *s;
	int rc;

	*changed = 0;
	if (need_schema(st, err) != 0 || store_i_begin_write(st, doing, err) != 0)
		return -1;
	if (store_i_prep(st, sql, &s, doing, err) != 0) {
		store_i_rollback(st);
		return -1;
	}
	bind(s, arg);
	rc = s->ops->step(s);
	s->ops->finalize(s);
	if (rc != SDB_DONE)
		return store_i_abort_write(st, rc, doing, err);
	*changed = (int)st->ops->changes(st);
	return store_i_commit(st, doing, err);
}

/* One write statement in its own transaction; the rows it changed in *changed. Cut off by a
 * lost connection before its commit, it runs once more on a new one. */
static int
write1(struct store *st, const char *sql, const char *doing, int *changed,
    void (*bind)(struct store_stmt *s, const void *arg), const void *arg, char **err)
{
	WRITE_RETRYING_ONCE(st, err, write1_once(st, sql, doing, changed, bind, arg, err));
}

struct lease_args {
	const char *name, *holder;
	int64_t now, expires;
};

static void
bind_lease(struct store_stmt *s, const void *arg)
{
	const struct lease_args *a = arg;

	store_i_bind_text(s, 1, a->name);
	store_i_bind_text(s, 2, a->holder);
	s->ops->bind_int64(s, 3, a->expires);
	s->ops->bind_int64(s, 4, a->now);
}

int
store_lease_take(struct store *st, const char *name, const char *holder, int64_t now_ms,
    int64_t ttl_ms, struct store_lease *cur, char **err)
{
	/* Free, expired (or released: 0), or the holder's own: the row is written, else left
	 * alone (the WHERE of the upsert decides, in the one statement). */
	static const char sql[] =
	    "INSERT INTO leases (name, holder, expires_at, acquired_at, renewed_at, epoch)"
	    " VALUES (?1, ?2, ?3, ?4, ?4, 1)"
	    " ON CONFLICT (name) DO UPDATE SET"
	    " epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ?4"
	    "  THEN leases.epoch ELSE leases.epoch + 1 END,"
	    " acquired_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > ?4"
	    "  THEN leases.acquired_at ELSE excluded.acquired_at END,"
	    " holder = excluded.holder, expires_at = excluded.expires_at,"
	    " renewed_at = excluded.renewed_at"
	    " WHERE leases.expires_at <= ?4 OR leases.holder = excluded.holder";
	struct lease_args a = { name, holder, now_ms, now_ms + ttl_ms };
	struct store_lease row;
	int changed, rc;

	if (cur != NULL)
		memset(cur, 0, sizeof *cur);
	if (name == NULL || holder == NULL || ttl_ms <= 0)
		return tf_err(err, "store_lease_take: no name, holder or time to live");
	if (write1(st, sql, "take a worker lease", &changed, bind_lease, &a, err) != 0)
		return -1;
	if (changed > 0)
		return 1;
	if (cur == NULL)
		return 0;
	rc = get_row(st, name, &row, "read a worker lease", err);
	if (rc < 0)
		return -1;
	*cur = row;
	return 0;
}

struct over_args {
	struct lease_args a;
	const char *from;
};

static void
bind_over(struct store_stmt *s, const void *arg)
{
	const struct over_args *o = arg;

	bind_lease(s, &o->a);
	store_i_bind_text(s, 5, o->from);
}

int
store_lease_take_over(struct store *st, const char *name, const char *holder,
    const char *from, int64_t now_ms, int64_t ttl_ms, char **err)
{
	static const char sql[] =
	    "UPDATE leases SET holder = ?2, expires_at = ?3, acquired_at = ?4, renewed_at = ?4,"
	    " epoch = epoch + 1 WHERE name = ?1 AND holder = ?5";
	struct over_args o = { { name, holder, now_ms, now_ms + ttl_ms }, from };
	int changed;

	if (name == NULL || holder == NULL || from == NULL || ttl_ms <= 0)
		return tf_err(err, "store_lease_take_over: no name, holder or time to live");
	if (write1(st, sql, "take over a worker lease", &changed, bind_over, &o, err) != 0)
		return -1;
	return changed > 0;
}

int
store_lease_renew(struct store *st, const char *name, const char *holder, int64_t now_ms,
    int64_t ttl_ms, char **err)
{
	static const char sql[] =
	    "UPDATE leases SET expires_at = ?3, renewed_at = ?4"
	    " WHERE name = ?1 AND holder = ?2 AND expires_at > ?4";
	struct lease_args a = { name, holder, now_ms, now_ms + ttl_ms };
	int changed;

	if (name == NULL || holder == NULL || ttl_ms <= 0)
		return tf_err(err, "store_lease_renew: no name, holder or time to live");
	if (write1(st, sql, "renew a worker lease", &changed, bind_lease, &a, err) != 0)
		return -1;
	return changed > 0;
}

static void
bind_release(struct store_stmt *s, const void *arg)
{
	const struct lease_args *a = arg;

	store_i_bind_text(s, 1, a->name);
	store_i_bind_text(s, 2, a->holder);
}

int
store_lease_release(struct store *st, const char *name, const char *holder, char **err)
{
	static const char sql[] =
	    "UPDATE leases SET expires_at = 0 WHERE name = ?1 AND holder = ?2 AND expires_at > 0";
	struct lease_args a = { name, holder, 0, 0 };
	int changed;

	if (name == NULL || holder == NULL)
		return tf_err(err, "store_lease_release: no name or holder");
	if (write1(st, sql, "release a worker lease", &changed, bind_release, &a, err) != 0)
		return -1;
	return changed > 0;
}

static int
lease_cursor_set_once(struct store *st, const char *lease_name, const char *holder,
    int64_t now_ms, const char *cursor, const char *value, char **err)
{
	static const char held_sql[] =
	    "SELECT 1 FROM leases WHERE name = ?1 AND holder = ?2 AND expires_at > ?3";
	static const char set_sql[] =
	    "INSERT INTO cursors (name, value, updated) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated = excluded.updated";
	const char *doing = "save a cursor";
	struct store_stmt *s;
	int rc;

	if (lease_name == NULL || holder == NULL || cursor == NULL || value == NULL)
		return tf_err(err, "store_lease_cursor_set: no lease, holder, cursor or value");
	if (need_schema(st, err) != 0 || store_i_begin_write(st, doing, err) != 0)
		return -1;
	if (store_i_prep(st, held_sql, &s, doing, err) != 0) {
		store_i_rollback(st);
		return -1;
	}
	store_i_bind_text(s, 1, lease_name);
	store_i_bind_text(s, 2, holder);
	s->ops->bind_int64(s, 3, now_ms);
	rc = s->ops->step(s);
	s->ops->finalize(s);
	if (rc == SDB_DONE) {
		store_i_rollback(st);   /* not ours: nothing written */
		return 0;
	}
	if (rc != SDB_ROW)
		return store_i_abort_write(st, rc, doing, err);
	if (store_i_prep(st, set_sql, &s, doing, err) != 0) {
		store_i_rollback(st);
		return -1;
	}
	store_i_bind_text(s, 1, cursor);
	store_i_bind_text(s, 2, value);
	s->ops->bind_int64(s, 3, tf_now_ms());
	rc = s->ops->step(s);
	s->ops->finalize(s);
	if (rc != SDB_DONE)
		return store_i_abort_write(st, rc, doing, err);
	return store_i_commit(st, doing, err) == 0 ? 1 : -1;
}

int
store_lease_cursor_set(struct store *st, const char *lease_name, const char *holder,
    int64_t now_ms, const char *cursor, const char *value, char **err)
{
	WRITE_RETRYING_ONCE(st, err, lease_cursor_set_once(st, lease_name, holder, now_ms, cursor,
	    value, err));
}

struct claim_args {
	const char *id, *output, *kind, *holder;
	int64_t now;
};

static void
bind_claim(struct store_stmt *s, const void *arg)
{
	const struct claim_args *a = arg;

	store_i_bind_text(s, 1, a->id);
	store_i_bind_text(s, 2, a->output);
	store_i_bind_text(s, 3, a->kind);
	store_i_bind_text(s, 4, a->holder);
	if (a->now != 0)
		s->ops->bind_int64(s, 5, a->now);
}

int
store_notify_claim(struct store *st, const char *finding_id, const char *output,
    int resolved, const char *holder, int64_t now_ms, char **err)
{
	static const char sql[] =
	    "INSERT INTO notify_claims (finding_id, output, kind, holder, claimed_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING";
	struct claim_args a = { finding_id, output, resolved ? "resolved" : "open", holder, now_ms };
	int changed;

	if (finding_id == NULL || output == NULL || holder == NULL)
		return tf_err(err, "store_notify_claim: no finding id, output or holder");
	if (write1(st, sql, "claim a notification", &changed, bind_claim, &a, err) != 0)
		return -1;
	return changed > 0;
}

int
store_notify_unclaim(struct store *st, const char *finding_id, const char *output,
    int resolved, const char *holder, char **err)
{
	static const char sql[] =
	    "DELETE FROM notify_claims WHERE finding_id = ?1 AND output = ?2 AND kind = ?3"
	    " AND holder = ?4";
	struct claim_args a = { finding_id, output, resolved ? "resolved" : "open", holder, 0 };
	int changed;

	if (finding_id == NULL || output == NULL || holder == NULL)
		return tf_err(err, "store_notify_unclaim: no finding id, output or holder");
	if (write1(st, sql, "give up a notification claim", &changed, bind_claim, &a, err) != 0)
		return -1;
	return changed > 0;
}
