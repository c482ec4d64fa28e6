/* replay: the engine thread of the dashboard. It reads recorded audit events, runs them
 * through the detector and hands findings and event summaries to the UI thread: streamed as
 * fast as they can be read (a large backlog shows up while it loads), or paced and looped
 * for the demo.
 *
 * Threads: replay_start runs one worker thread that alone uses the detector and the readers.
 * The worker pushes owned findings and events onto queues guarded by `mu` and writes one byte
 * to the wake pipe; the UI thread takes them with replay_take and reads progress and source
 * health with replay_progress / replay_sources. Nothing here touches curses. */
#ifndef TFDRIFT_UI_REPLAY_H
#define TFDRIFT_UI_REPLAY_H

#include <stdint.h>
#include "detect.h"
#include "finding.h"
#include "freeze.h"
#include "engine.h"

struct replay;

struct replay_opts {
	int64_t pace_ms;        /* one pass lasts about this long; 0 = as fast as possible */
	unsigned passes;        /* 0 = loop forever, shifting times and ids each pass (paced) */
	int64_t since_ms;       /* events before this are skipped (0 = no bound) */
	int64_t until_ms;       /* events at or after this are skipped (0 = no bound) */
};

/* One write event as the Events view shows it: drift or not, and why not. Owned strings. */
struct ui_event {
	int64_t time_ms;
	char *id, *name, *source, *account, *region, *origin;
	char *actor, *actor_type, *principal, *source_ip, *user_agent;
	char *resource;         /* the address (or type and id) of its first finding, or NULL */
	char *error;            /* the call's error code, when it failed */
	enum tf_provider provider;
	enum tf_via via;
	enum nodrift why;       /* ND_DRIFT when it made findings */
	int worst;              /* worst severity of its findings, -1 when none */
	unsigned nfindings;
};
void ui_event_free(struct ui_event *e);         /* frees the contents */

struct ui_event_list {
	struct ui_event *v;
	size_t n, cap;
};
void ui_event_list_clear(struct ui_event_list *l);   /* frees every event, keeps v */

/* Read the inputs lazily on the worker. The replay borrows `det` (it must outlive
 * replay_free) and uses it only on its thread once started. NULL with *err when a file cannot
 * be opened at all (checked up front so a typo fails before the screen starts). */
struct replay *replay_new(char **files, size_t nfiles, struct detector *det,
    const struct replay_opts *o, char **err);
/* Live: no files; an engine (src/engine.h) feeds the queues through the consumer that
 * replay_engine_consumer fills in. Attach the engine before replay_start, which starts it;
 * the caller still owns it and must engine_free it before replay_free. */
struct replay *replay_new_live(char **err);
void replay_engine_consumer(struct replay *r, struct engine_consumer *c);
void replay_attach_engine(struct replay *r, struct engine *e);
/* Live: ask the engine to reload the states now (the `r` key). */
void replay_refresh_states(struct replay *r);

/* The read end of the wake pipe (readable when there is something to take). */
int replay_wake_fd(const struct replay *r);
/* Start the worker. 0, or -1 with *err. */
int replay_start(struct replay *r, char **err);
/* Move the queued findings and events out (ownership passes) and empty the wake pipe.
 * `events` may be NULL (they are dropped). */
void replay_take(struct replay *r, struct finding_list *out, struct ui_event_list *events);

enum replay_phase { RP_LOADING = 0, RP_REPLAYING, RP_WAITING, RP_DONE, RP_LIVE };

struct replay_progress {
	enum replay_phase phase;
	double frac;            /* 0..1 through the current phase, -1 unknown */
	uint64_t done;          /* events handled in this pass */
	uint64_t total;         /* events per pass (0 while streaming: not known yet) */
	unsigned pass;          /* 0-based */
	int finished;           /* the worker has stopped */
	uint64_t findings;      /* findings produced so far */
	uint64_t events;        /* write events handled so far, all passes */
	uint64_t out_of_window; /* skipped by --since/--until */
	uint64_t read_only;     /* skipped as read-only */
	double rate;            /* events handled per second of work */
	int64_t latest_ms;      /* the newest event time seen */
};
/* Progress, and the last error (heap copy, or NULL) when err is non-NULL. */
void replay_progress(struct replay *r, struct replay_progress *p, char **err);

/* One input file as the Sources view shows it. */
struct replay_source {
	char *path;
	const char *format;     /* static */
	uint64_t records, events, skipped, malformed, read_only;
	double progress;        /* 0..1, -1 unknown */
	enum { RS_WAITING = 0, RS_READING, RS_DONE, RS_FAILED, RS_LIVE } state;
	char *error;            /* why it failed (live: the last error, the source still runs) */
	int64_t first_ms, last_ms;      /* event time range seen */
	/* Live sources (state RS_LIVE). */
	int64_t last_poll_ms, lag_ms;
	double rate;
	uint64_t requests, errors, retries;
};
/* A copy of the sources (free with replay_sources_free). */
void replay_sources(struct replay *r, struct replay_source **out, size_t *n);
void replay_sources_free(struct replay_source *s, size_t n);

/* Hand the detector a new set of extra freeze windows (besides the config's): copied, and
 * applied on the worker before its next event. Any thread. */
void replay_set_freezes(struct replay *r, const struct freeze_window *w, size_t n);

/* Stop and join the worker, free everything (queued findings included). */
void replay_free(struct replay *r);

#endif
