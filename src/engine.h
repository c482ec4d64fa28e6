/* engine: the live pipeline. Collector threads hand events to a bounded queue; one engine
 * thread runs them through the detector and hands findings to a consumer (`watch` prints
 * them, the dashboard shows them); cursors and per-source health live here; the state index
 * is swapped in from outside (the state thread) and applied on the engine thread.
 *
 * Checkpoints cover what the detector holds back. A collector's cursor_set goes through the
 * queue: the engine thread saves the cursor once it has decided every event handed over
 * before it, and saves first, under the key "detector:held/<collector>", the GCP operations
 * it still holds from that collector (detect.h), so a cursor never moves past a held entry
 * the store does not keep; the collector waits for the save. Findings go to the consumer
 * (`watch` saves them) before the held list that no longer has their entries is saved. On
 * start the engine holds again what each collector's list names (a kill -9 between an
 * operation's last entry and its first loses nothing); at a stop, a collector that
 * checkpoints keeps its held entries in the store for the restart (its input has not ended),
 * while the others' are decided in the drain. A collector's flush (its input so far is
 * complete) and watermark (nothing older can still come) decide what is due.
 *
 * Threads and locks:
 * - each collector runs on its own thread and calls only the source_sink functions the
 *   engine gives it (all thread-safe: `mu` guards the queue, statuses and stop flag; the
 *   cursor store has its own lock because SQLite calls can be slow); a stop also aborts the
 *   thread's HTTP requests in flight (tf_thread_stop_set), so it is quick even against a
 *   server that trickles or hangs;
 * - the engine thread alone uses the detector, and the slots' held-list state;
 * - the consumer callbacks run on the engine thread.
 */
#ifndef TFDRIFT_ENGINE_H
#define TFDRIFT_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "detect.h"
#include "finding.h"
#include "source.h"
#include "store.h"

/* What the engine hands over, on its thread. */
struct engine_consumer {
	/* New findings (ownership passes). */
	void (*findings)(void *ctx, struct finding_list *l);
	/* An event was handled (drift or not): for the Events view. May be NULL. */
	void (*event)(void *ctx, const struct event *ev, enum nodrift why, struct finding **fv,
	    size_t nf);
	/* A collector's flush (source_sink.flush) was reached: everything it handed over before
	 * is decided, and the findings of what was held back went to `findings` first. May be
	 * NULL. */
	void (*flushed)(void *ctx, const char *collector);
	void *ctx;
};

struct engine;

/* The engine borrows det (used only on the engine thread once started) and store (cursors;
 * may be NULL: cursors are then kept in memory only, and the status says so). */
struct engine *engine_new(struct detector *det, struct store *store, size_t queue_cap,
    const struct engine_consumer *c);
/* Take ownership of a collector (before engine_start). */
void engine_add(struct engine *e, struct collector *c);
/* Start the engine thread and one thread per collector. 0, or -1 with *err. */
int engine_start(struct engine *e, char **err);
/* `watch --once`: poll every collector once, each on its own thread as engine_start runs
 * them (poll_once instead of run), the engine thread deciding what they hand over; then
 * flush: the GCP operations held back from every input read to its end are decided (one
 * stopped at the deadline keeps them in the store). At deadline_ms (monotonic, tf_mono_ms;
 * 0: none) the collectors still polling are stopped (their sleeps return, their requests
 * abort) and their status says they did not finish within `limit` (text for that message,
 * like "2m"). Everything handed over is decided before this returns. Returns the number of
 * collectors that failed or did not finish. A collector blocked outside tfdrift's own
 * requests is left running after a few seconds' grace: the engine is then abandoned
 * (engine_free frees nothing; the caller is expected to exit). Once per engine, instead of
 * engine_start. */
int engine_run_once(struct engine *e, int64_t deadline_ms, const char *limit);
/* Swap in a new state index (any thread); the engine thread applies it before its next
 * event. Takes a reference. */
void engine_set_index(struct engine *e, struct state_index *ix);
/* Extra freeze windows for the detector (copied; applied on the engine thread before its
 * next event). Any thread. */
struct freeze_window;
void engine_set_freezes(struct engine *e, const struct freeze_window *w, size_t n);

/* The state thread: every interval_ms (and when engine_refresh_states asks), load() builds
 * a new index from the states; 0 swaps it in, -1 keeps the last good one (load says why in
 * *err, which the engine keeps for engine_state_error). Set before engine_start. */
void engine_set_state_loader(struct engine *e, int (*load)(void *ctx, struct state_index **ix,
    char **err), void *ctx, int64_t interval_ms);
void engine_refresh_states(struct engine *e);
/* The last state load's error (heap copy) or NULL, and when the last good load was. */
char *engine_state_error(struct engine *e, int64_t *last_ok_ms);

/*
 * Workers: several processes on one store share the leased collectors (struct collector's
 * leased). Each runs only while this worker holds its lease (store_lease_take, named after
 * the collector, as its cursors are): a lease thread, on a store connection of its own,
 * renews the held ones every heartbeat and tries the others (a free, released or expired
 * lease, or one whose holder on this host is gone); a collector whose lease cannot be
 * renewed before it expires (less a margin) is stopped as at a stop (its requests abort, its
 * sleeps return), its cursor is saved only while the lease is held (store_lease_cursor_set),
 * and it waits for the lease again, then reads its cursor again (reset). A collector whose
 * run ends (a stop, a backfill done) releases its lease, so another worker takes it at once.
 * run_once polls the leased collectors it can take and skips the others (standby; not a
 * failure). Set before engine_start / engine_run_once; needs engine_new's store.
 */
#define ENGINE_LEASE_TTL_MS 30000      /* the default: a heartbeat every 15 s */
struct engine_lease_opts {
	const char *holder;             /* this worker: store_lease_holder_new() */
	int64_t ttl_ms;                 /* a lease lasts this long unless renewed */
	int64_t heartbeat_ms;           /* renewed, and a free lease looked for, this often */
};
int engine_set_lease(struct engine *e, const struct engine_lease_opts *o, char **err);
/* Optional calls on the engine thread (set before engine_start; `watch` sets them), each may
 * be NULL. checkpoint: a collector's cursor is about to be saved: save first what is kept of
 * the events before it (the events seen), so that a kill -9 after the cursor loses none;
 * non-zero (with *err) when that could not be done (the store is unreachable): the cursor is
 * then not saved, and the collector is told why.
 * leased: this worker took a leased collector's lease, before its first event: bring the
 * detector up to date with what the other workers stored (as at a start). Store calls made
 * there take engine_store_lock. */
struct engine_hooks {
	int (*checkpoint)(void *ctx, const char *collector, char **err);
	void (*leased)(void *ctx, const char *collector);
	void *ctx;
};
void engine_set_hooks(struct engine *e, const struct engine_hooks *h);

/* Ask everything to stop, join the threads (collectors first, then the engine after it
 * drained the queue and decided or saved what the detector holds: nothing handed over is
 * lost). */
void engine_stop(struct engine *e);
void engine_free(struct engine *e);

/* Per-source health (copies; free with engine_statuses_free). */
struct engine_status {
	char *name;
	struct source_status st;        /* st.name and st.last_error point into this entry */
	char *last_error;               /* without the source's name: shown after or under it */
	int late;                       /* run_once: stopped at its deadline, not finished */
	/* Leased collectors (engine_set_lease): "polling (lease held by HOLDER)", "standby:
	 * leased by HOLDER", ...; NULL for the others. standby: another worker polls it. */
	char *lease;
	int standby;
	uint64_t outcomes[ND__COUNT];   /* its events by what the detector made of them */
	uint64_t throttles;             /* its requests the server throttled (http_throttled) */
	int64_t cursor_ms;              /* wall clock of its last cursor saved, 0 none */
};
void engine_statuses(struct engine *e, struct engine_status **out, size_t *n);
void engine_statuses_free(struct engine_status *s, size_t n);

/* The store is shared by the collectors' cursors and the consumer: hold this lock around
 * every store call made from a consumer callback. */
void engine_store_lock(struct engine *e);
void engine_store_unlock(struct engine *e);

struct engine_counts {
	uint64_t events, findings, queued;
	size_t queue_cap;
};
void engine_counts(struct engine *e, struct engine_counts *c);

#endif
