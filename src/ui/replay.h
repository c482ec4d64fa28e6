/* replay: the engine thread of the dashboard. It replays recorded audit events through the
 * detector (at a pace, in a loop for the demo) and hands the findings to the UI thread.
 *
 * Threads: replay_start runs one worker thread that alone uses the detector. The worker
 * pushes owned findings onto a queue guarded by `mu` and writes one byte to the wake pipe;
 * the UI thread takes them with replay_take and reads progress with replay_progress. Nothing
 * here touches curses. */
#ifndef TFDRIFT_UI_REPLAY_H
#define TFDRIFT_UI_REPLAY_H

#include <stdint.h>
#include "detect.h"
#include "finding.h"

struct replay;

struct replay_opts {
	int64_t pace_ms;        /* one pass lasts about this long; 0 = as fast as possible */
	unsigned passes;        /* 0 = loop forever, shifting times and ids each pass */
};

/* Read every event of the files (in memory, sorted by time). NULL with *err on a fatal input
 * error. The replay borrows `det` (it must outlive replay_free) and uses it only on its
 * thread once started. */
struct replay *replay_new(char **files, size_t nfiles, struct detector *det,
    const struct replay_opts *o, char **err);
/* The read end of the wake pipe (readable when there is something to take). */
int replay_wake_fd(const struct replay *r);
/* Start the worker. 0, or -1 with *err. */
int replay_start(struct replay *r, char **err);
/* Move the queued findings to `out` (ownership passes) and empty the wake pipe. */
void replay_take(struct replay *r, struct finding_list *out);

struct replay_progress {
	uint64_t done;          /* events replayed in this pass */
	uint64_t total;         /* events per pass */
	unsigned pass;          /* 0-based */
	int finished;           /* the worker has stopped */
	uint64_t findings;      /* findings produced so far */
};
/* Progress, and the last error (heap copy, or NULL) when err is non-NULL. */
void replay_progress(struct replay *r, struct replay_progress *p, char **err);
/* Stop and join the worker, free everything (queued findings included). */
void replay_free(struct replay *r);

#endif
