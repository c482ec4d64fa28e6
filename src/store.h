/* store: the durable store (SQLite in WAL mode, or a shared PostgreSQL database: the back
 * ends are store_sqlite.c and store_pg.c behind store_db.h) of findings, triage decisions
 * (ack, suppress, undo), change-freeze windows, collector cursors and the events seen (for
 * `tfdrift blame`), with a schema version and ordered migrations.
 *
 * Threads: a struct store is one connection (SQLite's opened without SQLite's own mutex,
 * SQLITE_OPEN_NOMUTEX; or one libpq connection). Use it from one thread at a time; a thread
 * that needs the store opens its own (WAL lets readers and one writer share the file across
 * connections and processes). A struct store_triage snapshot is immutable once made and may
 * be read from any thread.
 *
 * Failures are never silent: every function returns -1 with a message naming the store's
 * path and what to do. A store that is locked by another process, read-only, or on a full
 * disk falls back to read-only when it can still be read, and then shows every decision it
 * holds (a -wal without its -shm is read from a private copy rather than ignored):
 * store_readonly_reason() says why, and writes fail with that reason (each write still
 * tries, so the store recovers by itself once the cause is gone). A store with damaged
 * pages is refused when opened, with one message whatever the command. */
#ifndef TFDRIFT_STORE_H
#define TFDRIFT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "finding.h"

struct freeze_window;

#define STORE_SCHEMA_VERSION 10         /* the newest schema this binary knows */
#define STORE_READABLE_FROM 3           /* older stores than this must be upgraded to be read */
#define STORE_BUSY_TIMEOUT_MS 5000      /* how long a write waits for another writer */

/* store_open flags */
#define STORE_NOCREATE 0x1              /* a missing store is an error */
#define STORE_RDONLY   0x2              /* never write (implies STORE_NOCREATE) */

enum store_scope { SCOPE_FINDING = 0, SCOPE_RESOURCE, SCOPE_RULE, SCOPE_ACTOR, SCOPE_EVENT_NAME,
	SCOPE__COUNT };
const char *store_scope_name(enum store_scope s);   /* finding resource rule actor event_name */
int store_scope_parse(const char *s, enum store_scope *out);   /* also "event"; 0 ok */

enum store_action { SA_ACK = 0, SA_SUPPRESS, SA_UNDO };
const char *store_action_name(enum store_action a);  /* ack suppress undo */

/* Status filter for store_load_findings: a mask of (1u << enum finding_status). */
#define STORE_STATUS_OPEN         (1u << ST_OPEN)
#define STORE_STATUS_ACKNOWLEDGED (1u << ST_ACKNOWLEDGED)
#define STORE_STATUS_SUPPRESSED   (1u << ST_SUPPRESSED)
#define STORE_STATUS_RESOLVED     (1u << ST_RESOLVED)
/* Drifted now, whatever the triage: what `export` writes unless told otherwise. */
#define STORE_STATUS_UNRESOLVED   (STORE_STATUS_OPEN | STORE_STATUS_ACKNOWLEDGED | STORE_STATUS_SUPPRESSED)
#define STORE_STATUS_ALL          (STORE_STATUS_UNRESOLVED | STORE_STATUS_RESOLVED)
/* "open", "acknowledged", "suppressed", "resolved", "all", or a comma list of them; 0 ok. */
int store_status_parse(const char *s, unsigned *mask);

struct store;

/* Open (creating it and its parent directories, mode 0700, unless STORE_NOCREATE) the store
 * at path: WAL journal, synchronous=FULL, a busy timeout, foreign keys, and the migrations
 * up to STORE_SCHEMA_VERSION in one transaction. A store written by a newer tfdrift, a file
 * that is not a tfdrift store, one whose pages are damaged (PRAGMA quick_check, which reads
 * the whole file once) or one that cannot be read is an error (-1, *err). A store that can
 * be read but not written opens read-only (returns 0; store_readonly_reason()).
 * A path that is a libpq URI (postgresql://... or postgres://...; store_is_uri) opens a
 * PostgreSQL store instead (store_pg.c): nothing of the above about files applies; a new
 * database gets the whole schema, under an advisory lock, in one transaction; a newer schema
 * is refused the same way; messages show the URI with its password masked (store_path). */
int store_open(const char *path, int flags, struct store **out, char **err);
/* The same with another busy timeout (ms) than STORE_BUSY_TIMEOUT_MS (tests, the UI). */
int store_open_ex(const char *path, int flags, int busy_timeout_ms, struct store **out, char **err);
void store_close(struct store *st);
const char *store_path(const struct store *st);
int store_schema_version(const struct store *st);
/* NULL when writable; else a message naming the path, why, and what to do. */
const char *store_readonly_reason(const struct store *st);
/* May a write be tried? 1 when the store is writable, or read-only for a passing reason (a
 * lock, a full disk: the write itself tries again, reopening the store read-write when it
 * was opened read-only, and says why when it fails); 0 when no write can work until a person
 * acts (--readonly; a read-only file, directory or filesystem). */
int store_may_write(const struct store *st);
/* The SQLite connection (tests and diagnostics only); NULL for another back end. The
 * threading note above holds for both back ends: one connection, one thread at a time. */
struct sqlite3 *store_sqlite(struct store *st);
/* Is s a PostgreSQL store's libpq URI (postgresql://... or postgres://...), not a path? */
int store_is_uri(const char *s);
/* A store's path or URI as messages show it: a URI's password masked (heap). */
char *store_display(const char *location);
/* What store_open was given (to open the same store again; a URI keeps its password: never
 * show it, store_path is what messages show). */
const char *store_location(const struct store *st);
/* The back end: "sqlite" or "postgresql". */
const char *store_backend(const struct store *st);
/* Did another connection or process write to the store since the last call (or the open)?
 * 1 yes, 0 no, -1 error. SQLite: PRAGMA data_version; PostgreSQL: a notification on the
 * channel every write transaction notifies. */
int store_changed(struct store *st);
/* A descriptor to poll for readability before store_changed (PostgreSQL's connection), or
 * -1 (SQLite: poll store_changed on a timer). */
int store_fd(struct store *st);

/* Insert or update findings in ONE transaction: first_seen is kept, last_seen set to now,
 * the rest replaced. The stored JSON is finding_to_json with status open, or resolved with
 * its resolution, and no triage (the decisions table is the only source of triage); the
 * state's lineage and serial go to their columns. A stored finding that is resolved is never
 * changed again (not un-resolved by the same event scanned again, nor re-resolved). Needs
 * schema 10 (the JSON in finding_bodies, the status in finding_status). 0, or -1 with
 * nothing written. */
int store_put_findings(struct store *st, const struct finding_list *l, char **err);
/* Findings whose event time is in [since_ms, until_ms], ordered by event time then id,
 * with triage applied as of tf_now_ms() (a resolved finding stays resolved and keeps its
 * triage), their state lineage and serial read back, keeping those whose status is in
 * status_mask;
 * appended to *out. Returns -1 on error (nothing appended), else the number of stored rows
 * that could not be read back (skipped; *err then describes the first one). */
int store_load_findings(struct store *st, int64_t since_ms, int64_t until_ms,
    unsigned status_mask, struct finding_list *out, char **err);
/* Resolve a finding id or a unique prefix of one (at least 4 characters) to the stored id
 * (heap). 0, or -1 with *err when none or several match. */
int store_find_finding(struct store *st, const char *id_or_prefix, char **id, char **err);
/* History: the stored findings on one resource (store_resource_key) whose event time is in
 * [since_ms, until_ms), except exclude_id (may be NULL), newest first, at most `limit`, into
 * *out (heap array; free each entry's strings and the array, or put it on a finding and use
 * finding_history_clear). 0, or -1 with *err. */
int store_history(struct store *st, const char *resource_key, int64_t since_ms, int64_t until_ms,
    const char *exclude_id, size_t limit, struct finding_history **out, size_t *n, char **err);
/*
 * Events seen (schema 6): the write events that touched a resource the event maps name
 * (managed or not, failed or not, by anyone, the pipeline too), as logged, for `tfdrift blame`
 * and a resource's history. `scan --store`, `watch` and the dashboard save them with the
 * findings they made, in the same transaction. Each is kept STORE_EVENTS_KEEP_MS after it was
 * last saved (every save forgets the older ones), CloudTrail's own LookupEvents window.
 */
#define STORE_EVENTS_KEEP_MS ((int64_t)90 * 24 * 3600 * 1000)
struct store_seen {
	const struct event *ev;         /* its id (events without one are not kept), time, name... */
	const char *resource_key;       /* detector_seen_key */
	json_object *record;            /* what is kept of the record: eventmap_seen_record */
};
/* Save events; an event saved again keeps its record and gets the new key. 0, or -1 with
 * nothing written. */
int store_put_events(struct store *st, const struct store_seen *v, size_t n, char **err);
/* Findings and events in ONE transaction (either list may be empty or NULL). */
int store_put_findings_events(struct store *st, const struct finding_list *l,
    const struct store_seen *v, size_t n, char **err);
/* A batch of events to save: copies of their fields without their JSON, and the records to
 * keep (eventmap_seen_record), owned: once added, any one thread at a time may save them. */
struct store_seen_buf {
	struct event *ev;
	char **keys;
	json_object **records;
	size_t n, cap;
};
/* Takes key and record (NULL: the event is not kept); call it on ev's thread. */
void store_seen_add(struct store_seen_buf *b, const struct event *ev, char *key,
    json_object *record);
/* Save the batch, with findings l (may be NULL) in the same transaction, and empty it
 * (whether or not it was saved). 0, or -1 with *err. */
int store_seen_flush(struct store *st, struct store_seen_buf *b, const struct finding_list *l,
    char **err);
void store_seen_clear(struct store_seen_buf *b);
/* Save the batch with findings l (may be NULL) in one transaction, keeping it either way (a
 * caller that keeps what could not be saved, to try again). 0, or -1 with *err. */
int store_seen_save(struct store *st, const struct store_seen_buf *b, const struct finding_list *l,
    char **err);
/* Append src's events to dst (ownership passes; src is left empty). */
void store_seen_move(struct store_seen_buf *dst, struct store_seen_buf *src);
/* Was the store's last failure a lost connection to its server (PostgreSQL: the store is
 * unreachable, not refusing)? */
int store_unreachable(const struct store *st);
/* Every event kept, oldest first (time, provider, id), read back with event_from_json and
 * given the id, time and origin it was saved with; fn(ctx, ev) (ev freed when fn returns;
 * non-zero stops). Returns -1 on error (a store older than schema 6 says how to upgrade
 * it), else the number of rows that could not be read back (skipped; *err says which
 * first). */
int store_each_event(struct store *st, int (*fn)(void *ctx, const struct event *ev), void *ctx,
    char **err);
int64_t store_count_events(struct store *st, char **err);
/* A live reader's events (the dashboard's Events view on a store): *seen_ms < 0 the first
 * time, which reads the newest `limit` events whose time is at or after since_ms; later
 * calls read the events saved since the newest save read (less STORE_FEED_SKEW_MS for
 * another writer's clock: some are read again, the caller keeps one per id) whose time is
 * at or after since_ms. Oldest first, each with the resource key it was saved with;
 * fn's non-zero stops. *seen_ms is advanced. -1 with *err, else the number of rows that
 * could not be read back (skipped; *err says which first). */
int store_feed_events(struct store *st, int64_t *seen_ms, int64_t since_ms, size_t limit,
    int (*fn)(void *ctx, const struct event *ev, const char *resource_key), void *ctx,
    char **err);
/* Each finding of l the store holds resolved replaced by the store's copy with its triage at
 * now_ms: resolved stays resolved, and a resolution saved by store_put_resolutions (of a
 * finding store_load_reevaluable read) reads back whole. 0, or -1 with *err, or the number
 * of rows that could not be read back (left as they are; *err says which first). */
int store_keep_resolved(struct store *st, struct finding_list *l, int64_t now_ms, char **err);
/* Re-evaluation through the store without reading the findings' JSON. store_load_reevaluable
 * appends the unresolved findings (by the status column; triage is not applied) with what
 * detector_reevaluate and detector_track read of them: id, kind, provider, resource, event
 * name, source and time, the state they were decided against and their changes (columns of
 * schema 7; not the actor, summary or rules: save them back only by store_put_resolutions).
 * Rows whose JSON does not parse are left out, as store_load_findings skips them: returns
 * -1 with *err, else the number of rows left out (*err then says which first).
 * store_put_resolutions saves the resolutions of the resolved findings of l (schema 10:
 * their rows of finding_status, each resolution kept once in finding_resolutions for the
 * findings it resolves, one statement per run of equal resolutions; the findings' rows and
 * JSON are left alone), in one transaction; a row resolved already is left as it is. Reading a
 * finding merges its resolution back, so exports are the same as when the whole finding is
 * saved. 0, or -1 with *err. */
int store_load_reevaluable(struct store *st, struct finding_list *out, char **err);
int store_put_resolutions(struct store *st, const struct finding_list *l, char **err);
/* Number of stored findings, or -1 with *err. */
int64_t store_count_findings(struct store *st, char **err);
/* The ids of the findings not resolved, newest event first, at most limit, each passed to
 * fn (shell completion). 0, or -1 with *err. */
int store_each_open_finding_id(struct store *st, size_t limit,
    void (*fn)(void *ctx, const char *id), void *ctx, char **err);
/* The stored findings by status, with the store's triage at now_ms: what counting the
 * findings store_load_findings(STORE_STATUS_ALL) reads gives, without reading their JSON
 * (the status column, and for triage the id, resource, actor and event name columns; the
 * JSON only of unresolved rows when a decision on a rule is active). counts[ST__COUNT] is
 * set. Returns 0, or -1 with *err; when the JSON is read (an older schema, or a decision on
 * a rule or an actor active), the number of rows that could not be read back, as
 * store_load_findings (skipped; *err says which first). A row whose JSON cannot be read back
 * is otherwise counted by its columns. */
int store_count_status(struct store *st, int64_t now_ms, size_t counts[ST__COUNT], char **err);

/* Triage decisions. Each is committed (WAL synced, synchronous=FULL) before the function
 * returns 0, so the caller may show it done; *decision_id (may be NULL) gets its id.
 * `by` is who decided (the caller's $USER), `at_ms` when. */
int store_ack(struct store *st, const char *finding_id, const char *by, const char *note,
    int64_t at_ms, int64_t *decision_id, char **err);
/* until_ms 0 = forever; otherwise it must be after at_ms. Scope values (store_scope_check):
 * the finding id; the resource key (store_resource_key); a rule id; an actor name or
 * principal; an event name. */
int store_suppress(struct store *st, enum store_scope scope, const char *value, int64_t until_ms,
    const char *by, const char *note, int64_t at_ms, int64_t *decision_id, char **err);
/* Cancel an ack or suppress decision (an undo cannot be undone; ack or suppress again). */
int store_undo(struct store *st, int64_t target_id, const char *by, int64_t at_ms,
    int64_t *decision_id, char **err);

/* Is value one that a suppression of this scope can match? A resource key is a Terraform
 * address (aws_instance.web, module.app.aws_instance.web["a"], data.x.y) or TYPE:ID with
 * both parts non-empty; a finding id, rule id, actor or event name is non-empty; none has
 * control characters or surrounding spaces. 0, or -1 with *err saying what is expected
 * (without the command's prefix); -2 (with *err) for a resource key without a type
 * (":ID", as store_resource_key makes for a resource no event map types), which only a
 * stored finding with that key makes valid: store_suppress checks that too. */
int store_scope_check(enum store_scope scope, const char *value, char **err);

/* The resource key suppressions by resource match: the Terraform address, or for an
 * unmanaged resource "TYPE:RESOURCE_ID" (heap; NULL when the finding has neither). */
char *store_resource_key(const struct finding *f);

/* Every decision, oldest first. */
struct store_decision {
	int64_t id;
	enum store_action action;
	enum store_scope scope;       /* ack: SCOPE_FINDING; undo: unused */
	char *value;                  /* what the scope matches; NULL for undo */
	char *by, *note;
	int64_t at_ms, until_ms;      /* until 0 = forever */
	int64_t undoes;               /* undo: the decision it cancels; else 0 */
	int64_t undone_by;            /* the undo that cancelled it; else 0 */
};
int store_list_decisions(struct store *st, struct store_decision **out, size_t *n, char **err);
void store_decisions_free(struct store_decision *d, size_t n);

/* Applying triage. A snapshot loads every decision once into hash tables keyed by scope and
 * value, so applying it to a finding costs a few lookups however many findings there are
 * (one snapshot per batch: a scan, a UI refresh). A finding's status and triage come from
 * the newest decision (by time, then id) that matches it, is not undone and has not
 * expired (until <= now lapses by itself): an ack matches by finding id; a suppression by
 * its scope (finding id; resource key; any of the finding's rule ids; actor name or
 * principal; event name). A matching suppression beats any ack. No match: open, no triage.
 * A resolved finding (status ST_RESOLVED with a resolution) stays resolved and gets its
 * triage all the same: resolved outranks acknowledged and suppressed. */
struct store_triage;
int store_triage_snapshot(struct store *st, struct store_triage **out, char **err);
void store_triage_apply(const struct store_triage *t, struct finding *f, int64_t now_ms);
/* Does a suppression in force match f (whatever its status: a resolved finding keeps its
 * triage but not the status it names)? Notifications skip the resolutions of suppressed
 * findings as they skip their alerts. */
int store_triage_suppressed(const struct store_triage *t, const struct finding *f, int64_t now_ms);
void store_triage_free(struct store_triage *t);
size_t store_triage_count(const struct store_triage *t);   /* active (not undone) decisions */
/* One-off conveniences: snapshot, apply, free. */
int store_apply_triage(struct store *st, struct finding *f, int64_t now_ms, char **err);
int store_apply_triage_list(struct store *st, struct finding_list *l, int64_t now_ms, char **err);

/*
 * Change-freeze windows made at run time (`tfdrift freeze add`, the dashboard's F key), kept
 * so they survive a restart. Config windows are not stored. Each write is committed (WAL
 * synced) before the function returns 0, like store_ack; a read-only store fails with its
 * reason.
 *
 * store_freeze_add: w must pass freeze_window_check and end after at_ms; its name must not be
 * used by another window that has not ended (names of ended windows may be reused, e.g. a
 * weekly "cab"). The scope lists are kept as JSON. *id (may be NULL) gets the row id.
 */
int store_freeze_add(struct store *st, const struct freeze_window *w, const char *by,
    int64_t at_ms, int64_t *id, char **err);
/* The stored windows, by start then id, with origin FO_STORE, id, created_by and created_ms
 * set: those that have not ended at now_ms (active and future), or with `all` also the
 * ended ones. Cancelled windows are never listed. Free with freeze_windows_free. */
int store_freeze_list(struct store *st, int all, int64_t now_ms, struct freeze_window **out,
    size_t *n, char **err);
/* End the window called `name` that has not ended: an active one now (its end becomes now_ms);
 * one that has not started is cancelled (*cancelled, may be NULL, set to 1). -1 with *err
 * when no such window. */
int store_freeze_end(struct store *st, const char *name, const char *by, int64_t now_ms,
    int *cancelled, char **err);

/* Dashboard preferences (saved views, column layouts), by key: get gives 1 found (*value
 * heap), 0 none, -1 error; set (value NULL deletes) commits before it returns 0; keys lists
 * the keys starting with prefix (appended to *out). A store older than schema 4 read as it
 * is has none and cannot keep any. */
struct strlist;
int store_pref_get(struct store *st, const char *key, char **value, char **err);
int store_pref_set(struct store *st, const char *key, const char *value, const char *by,
    int64_t at_ms, char **err);
int store_pref_keys(struct store *st, const char *prefix, struct strlist *out, char **err);

/* Collector cursors: 1 found (*value heap), 0 none, -1 error. */
int store_cursor_get(struct store *st, const char *name, char **value, char **err);
int store_cursor_set(struct store *st, const char *name, const char *value, char **err);

/*
 * Live readers (a dashboard on a shared store): what other connections wrote, read without
 * reading the whole store again, when store_changed says something was.
 *
 * store_triage_update: the decisions made since *t was taken (ids above its newest) are
 * read and added to it (an undo cancels the decision it names); *t NULL takes a snapshot.
 * *added (may be NULL; free with store_decisions_free) gets copies of the new decisions,
 * oldest first. Returns how many were added, or -1 with *err (*t unchanged).
 * store_triage_last_id: the newest decision id t holds (0 none).
 *
 * store_feed_findings: the findings a reader has not seen, by a cursor (store_feed_init
 * before the first call). The first call reads every unresolved finding and the resolved
 * ones whose event time is at or after resolved_since_ms (event time order); later calls,
 * when the number of rows or of resolved rows changed, the rows first saved or resolved
 * since the newest the cursor saw, less STORE_FEED_SKEW_MS for another writer's clock:
 * some are read again, and the caller keeps one per id (on both back ends: no row ids). Triage is not applied (store_triage_apply). Returns
 * -1 with *err (nothing appended, the cursor unchanged), else the number of rows that could
 * not be read back (skipped; *err says which first). Needs schema 8.
 */
struct store_feed {
	int64_t nrows;          /* rows at the last read; -1 before the first */
	int64_t nresolved;      /* resolved rows at the last read */
	int64_t first_ms;       /* the newest first_seen seen */
	int64_t seen_ms;        /* the newest last_seen seen */
};
#define STORE_FEED_SKEW_MS 600000       /* how far another writer's clock may lag */
int store_triage_update(struct store *st, struct store_triage **t, struct store_decision **added,
    size_t *nadded, char **err);
int64_t store_triage_last_id(const struct store_triage *t);
/* The decision numbered id t holds (undone or not), or NULL. */
const struct store_decision *store_triage_decision(const struct store_triage *t, int64_t id);
void store_feed_init(struct store_feed *fd);
int store_feed_findings(struct store *st, struct store_feed *fd, int64_t resolved_since_ms,
    struct finding_list *out, char **err);

/*
 * Workers (schema 9, store_lease.c): several `watch` processes on one store share the
 * pollers. A lease per poller name: one holder (host:pid:random, store_lease_holder_new) at a
 * time, until expires_at (ms since the epoch, on the workers' clocks: keep them in step with
 * NTP, far closer than a lease's time to live). The holder renews it every heartbeat; anyone
 * takes it once it has expired or was released, atomically (one UPDATE ... WHERE it expired:
 * only the worker whose statement changed the row holds it). Times are passed in (now_ms:
 * store_lease_now_ms(), the real clock, whatever TFDRIFT_NOW says), so tests control them.
 */
struct store_lease {
	char *name, *holder;            /* heap */
	int64_t expires_at, acquired_at, renewed_at;
	int64_t epoch;                  /* how many times it was taken (1 the first time) */
};
void store_lease_clear(struct store_lease *l);
/* A holder id for this process: "host:pid:random" (heap). */
char *store_lease_holder_new(void);
/* Is the holder a process of this host that no longer runs (its lease can be taken over at
 * once: store_lease_take_over)? 0 when it runs, is elsewhere, or the id is not one of ours. */
int store_lease_holder_gone(const char *holder);
/* The wall clock in ms (never TFDRIFT_NOW: leases expire in real time). */
int64_t store_lease_now_ms(void);
/* Take name for holder until now_ms + ttl_ms: 1 taken (it was free, expired, released, or
 * holder's already: then renewed, its epoch kept), 0 held by another (*cur, may be NULL,
 * gets the row), -1 with *err. */
int store_lease_take(struct store *st, const char *name, const char *holder, int64_t now_ms,
    int64_t ttl_ms, struct store_lease *cur, char **err);
/* Take name over from the holder `from` (a worker this one knows is gone: on this host, its
 * process no longer runs), whatever its expiry: 1 taken, 0 not from's any more, -1 with *err. */
int store_lease_take_over(struct store *st, const char *name, const char *holder,
    const char *from, int64_t now_ms, int64_t ttl_ms, char **err);
/* Renew holder's lease on name until now_ms + ttl_ms: 1 renewed, 0 lost (another holds it,
 * or it expired at or before now_ms: it is no longer holder's, even if nobody took it yet),
 * -1 with *err (the caller tries again, and gives the lease up before it expires). */
int store_lease_renew(struct store *st, const char *name, const char *holder, int64_t now_ms,
    int64_t ttl_ms, char **err);
/* Give up holder's lease on name (expires_at 0: anyone takes it at once; the row says who
 * held it last). 1 released, 0 not holder's, -1 with *err. */
int store_lease_release(struct store *st, const char *name, const char *holder, char **err);
/* The lease row of name: 1 found (*out filled; clear it), 0 none, -1 with *err. */
int store_lease_get(struct store *st, const char *name, struct store_lease *out, char **err);
/* A collector cursor saved only while holder holds the lease on lease_name (checked in the
 * same transaction: a worker that lost its lease never moves the shared cursor back).
 * 1 saved, 0 not saved (the lease is not holder's at now_ms), -1 with *err. */
int store_lease_cursor_set(struct store *st, const char *lease_name, const char *holder,
    int64_t now_ms, const char *cursor, const char *value, char **err);
/* Claim the notification of finding_id to output (resolved: its resolution, else its alert)
 * for holder, before sending it: 1 claimed (the caller sends it), 0 claimed before (by any
 * worker, or this one: it is not sent again), -1 with *err. */
int store_notify_claim(struct store *st, const char *finding_id, const char *output,
    int resolved, const char *holder, int64_t now_ms, char **err);
/* Give up holder's claim (its delivery failed: a later run or worker may send it). 1
 * removed, 0 not holder's, -1 with *err. */
int store_notify_unclaim(struct store *st, const char *finding_id, const char *output,
    int resolved, const char *holder, char **err);

#endif
