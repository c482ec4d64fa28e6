/* scan_par: the events of recorded inputs read on every core, handed out in input order
 * (tfdrift scan, make bench).
 *
 * One reader thread opens each input in turn (sniffing its shape, event_reader.c). JSON lines
 * are cut at newlines into pieces of about a megabyte (chunk.h), each read by a worker into
 * events with the reader's own per-record code; any other input (a document: a
 * {"Records":[...]} file, plain or gzipped, a JSON array, one record) is read whole by one
 * worker, so a directory of CloudTrail's S3 log files is read one file per worker. The calling
 * thread merges: it hands out each piece's events and warnings in input order, so whatever
 * consumes them (the stateful detector) sees exactly what one reader would have handed out, at
 * the same places; the counters, the warnings' positions and a failed input's message are one
 * reader's too. Once the merge has reached a piece still being read, the worker reading it
 * hands out the rest of its events itself while the calling thread waits (an event is used and
 * freed by the core that made it, while it is in that core's cache): the callbacks run in
 * input order, one at a time, but not always in the calling thread. A bounded number of pieces
 * is in flight (memory stays flat).
 */
#ifndef TFDRIFT_SCAN_PAR_H
#define TFDRIFT_SCAN_PAR_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

#define SCAN_JOBS_MAX 64

struct scan_par_cb {
	void *ctx;
	/* An event of input `input` (freed when it returns). */
	void (*event)(void *ctx, size_t input, struct event *ev);
	/* A reader's per-record warning (ev_reader_set_warn). */
	void (*warn)(void *ctx, size_t input, const char *msg);
	/* The input could not be opened (no end follows), or reading it failed (its end
	 * follows): "file:line:column: what". */
	void (*error)(void *ctx, size_t input, const char *msg);
	/* The input was read (to its end or its failure): its reader's counters. */
	void (*end)(void *ctx, size_t input, const struct ev_counters *cnt, uint64_t skipped_ro,
	    uint64_t skipped_ro_outside);
	/* Before waiting for input (ev_reader_set_before_read), or NULL. */
	void (*flush)(void *ctx);
};

struct scan_par_opts {
	unsigned jobs;          /* workers; <= 1: read in the calling thread, one reader per input */
	int skip_read_only;     /* ev_reader_set_skip_read_only */
	size_t chunk;           /* bytes per piece; 0: the default */
	int window;             /* ev_reader_set_window(since, until) */
	int64_t since, until;
};

/* The online processors, at most SCAN_JOBS_MAX. */
unsigned scan_par_default_jobs(void);
/* Reads the inputs, calling cb in input order, one call at a time (from the calling thread or,
 * with jobs > 1, a worker's; the calls are ordered by the merge's lock, so the callbacks need
 * no locking of their own, but must not rely on thread-locals). */
void scan_par_run(const char *const *paths, size_t n, const struct scan_par_opts *o,
    const struct scan_par_cb *cb);

/*
 * The ordered merge (scan_par.c's, exposed for its tests). Units of work are made in input
 * order by one thread (sp_unit_new waits while `max` of them are not handed out yet), filled
 * and finished by any thread in any order, and handed out by sp_merge_run in the order they
 * were made: a unit's items as soon as they are there (a unit may be handed out in several
 * batches, sp_unit_flush, waiting while `batches` of them are not taken), then its end. After
 * a unit that failed, its input's later units are dropped up to the input's end
 * (sp_merge_failed says which input failed last, so its reading can stop).
 */
struct sp_merge;
struct sp_unit;
struct sp_merge *sp_merge_new(size_t max, size_t batches);
struct sp_unit *sp_unit_new(struct sp_merge *m, size_t input);
/* A unit whose producer hands its items out itself once it is the merge's turn: from then on
 * sp_unit_add_* call sp_merge_run's callbacks in the producer's thread (what it held first;
 * sp_merge_run waits meanwhile, so the callbacks still run one at a time, in order). Its
 * producer may stream (sp_unit_flush): once the merge has asked for the rest, a flush hands
 * out what it holds from the producer's thread instead of to the merge. */
struct sp_unit *sp_unit_new_direct(struct sp_merge *m, size_t input);
void sp_unit_add_event(struct sp_unit *u, struct event *ev);        /* takes *ev */
void sp_unit_add_warn(struct sp_unit *u, const char *msg);
void sp_unit_flush(struct sp_merge *m, struct sp_unit *u);
/* Done: the reader's counters (NULL: none) and its failure (taken; NULL: none). */
void sp_unit_done(struct sp_merge *m, struct sp_unit *u, const struct ev_counters *cnt,
    uint64_t skipped_ro, uint64_t skipped_ro_outside, char *err);
/* An input's end (after its units), or an input that could not be opened (msg: no end). */
void sp_input_end(struct sp_merge *m, size_t input);
void sp_input_unopened(struct sp_merge *m, size_t input, char *msg);
size_t sp_merge_failed(struct sp_merge *m);     /* SIZE_MAX: none */
void sp_merge_finish(struct sp_merge *m);       /* no more units will be made */
void sp_merge_run(struct sp_merge *m, const struct scan_par_cb *cb);
void sp_merge_free(struct sp_merge *m);

#endif
