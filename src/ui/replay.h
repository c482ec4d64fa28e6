/* replay: the dashboard's side of the engine (src/engine.h), the one path into the detector
 * besides `scan`. Recorded files and the demo run through an engine of their own with a
 * replay-mode files collector (src/collectors/files.h): streamed as fast as they can be read
 * (a large backlog shows up while it loads), or paced and looped for the demo. Live mode
 * feeds the same queues from the caller's engine with the configured sources.
 *
 * Threads: the engine's consumer (engine thread) and the collector's change hook (collector
 * thread) push owned findings and event summaries onto queues guarded by the replay's `mu`
 * and write one byte to the wake pipe; the UI thread takes them with replay_take and reads
 * progress and source health with replay_progress / replay_sources (from the collector's
 * statistics, or the engine's health table when live). Nothing here touches curses. */
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
	unsigned passes;        /* 0 = loop forever, with fresh ids and later times each pass (paced) */
	int64_t since_ms;       /* events before this are skipped (0 = no bound) */
	int64_t until_ms;       /* events at or after this are skipped (0 = no bound) */
	int shift_to_now;       /* events happen when they are replayed (the demo: freezes catch them) */
};

/* What an event set on one attribute of a managed resource it names (a resource's history
 * shows it): display texts as summaries have them (finding_value_text), never a sensitive
 * value, whatever came of the event (a Terraform apply, a failed call, a value equal to
 * state). Owned strings. */
struct ui_evchange {
	char *key;              /* the resource (its address) */
	char *attr;             /* the attribute; NULL when the event deleted the resource */
	char *state;            /* the state's value (short text) */
	char *value;            /* what the event set: the value, or the members added/removed */
	enum change_kind kind;  /* CH_MODIFIED, CH_ADDED (members), CH_REMOVED (members) */
	int sensitive;          /* values are "(sensitive)" */
};

/* One write event as the Events view shows it: drift or not, and why not. Owned strings. */
struct ui_event {
	int64_t time_ms;
	char *id, *name, *source, *account, *region, *origin;
	char *actor, *actor_type, *principal, *source_ip, *user_agent;
	char *resource;         /* the address (or type and id) of its first finding, or NULL */
	char **keys;            /* every resource it touched (store_resource_key names): its
	                           findings', the ones it resolved, what the maps name */
	size_t nkeys;
	struct ui_evchange *changes;    /* what it set on the managed ones, in map order */
	size_t nchanges;
	char *error;            /* the call's error code, when it failed */
	char *raw;              /* the record as logged (JSON), or NULL once the Events view
	                           dropped it to stay within its memory budget */
	uint64_t seq;           /* the Events view's number for it (evlog_add sets it) */
	enum tf_provider provider;
	enum tf_via via;
	enum nodrift why;       /* ND_DRIFT when it made findings */
	int worst;              /* worst severity of its findings, -1 when none */
	unsigned nfindings;     /* findings it made */
	unsigned nresolved;     /* findings it resolved (a revert) */
};
/* Does the event touch the resource `key` (one of its keys)? */
int ui_event_touches(const struct ui_event *e, const char *key);
void ui_event_free(struct ui_event *e);         /* frees the contents */

/* The Events view's record of ev and what detection made of it (findings fv: made or
 * resolved); det NULL: the keys are the findings' alone (the caller adds what it knows). */
void replay_summarize(struct detector *det, const struct event *ev, enum nodrift why,
    struct finding **fv, size_t nf, struct ui_event *out);

struct ui_event_list {
	struct ui_event *v;
	size_t n, cap;
};
void ui_event_list_clear(struct ui_event_list *l);   /* frees every event, keeps v */
void ui_event_list_push(struct ui_event_list *l, struct ui_event *e);  /* takes e's contents */

/* Files ("-" is standard input): an engine over `det` with a replay-mode files collector, no
 * store (a replay keeps no cursors). The replay borrows `det` (it must outlive replay_free,
 * which stops the engine) and the engine thread alone uses it once started. NULL with *err
 * when a file cannot be read at all (checked up front so a typo fails before the screen
 * starts). */
struct replay *replay_new(char **files, size_t nfiles, struct detector *det,
    const struct replay_opts *o, char **err);
/* Live: no files; an engine (src/engine.h) feeds the queues through the consumer that
 * replay_engine_consumer fills in. Attach the engine before replay_start, which starts it;
 * the caller still owns it and must engine_free it before replay_free. */
struct replay *replay_new_live(struct detector *det, char **err);
void replay_engine_consumer(struct replay *r, struct engine_consumer *c);
void replay_attach_engine(struct replay *r, struct engine *e);
/* Live: ask the engine to reload the states now (the `r` key; a replay has no state loader). */
void replay_refresh_states(struct replay *r);

/* The read end of the wake pipe (readable when there is something to take). */
int replay_wake_fd(const struct replay *r);
/* Start the engine (its threads). 0, or -1 with *err. */
int replay_start(struct replay *r, char **err);
/* Move the queued findings and events out (ownership passes) and empty the wake pipe.
 * `events` may be NULL (they are dropped). */
void replay_take(struct replay *r, struct finding_list *out, struct ui_event_list *events);

enum replay_phase { RP_LOADING = 0, RP_REPLAYING, RP_WAITING, RP_DONE, RP_LIVE };

struct replay_progress {
	enum replay_phase phase;
	double frac;            /* 0..1 through the current phase, -1 unknown */
	uint64_t done;          /* events handed over in this pass (live: handled) */
	uint64_t total;         /* events per pass (0 while streaming: not known yet; live: queued) */
	unsigned pass;          /* 0-based */
	int finished;           /* every file is read and every event decided (the last flush) */
	uint64_t findings;      /* findings produced so far */
	uint64_t events;        /* write events handled so far, all passes */
	uint64_t out_of_window; /* skipped by --since/--until */
	uint64_t read_only;     /* skipped as read-only */
	double rate;            /* events per second over the last minute, every source */
	int64_t latest_ms;      /* the newest event time seen */
};
/* Progress, and the last error (heap copy, or NULL) when err is non-NULL. A NULL replay (no
 * inputs) is finished with nothing. */
void replay_progress(struct replay *r, struct replay_progress *p, char **err);

/* One input file as the Sources view shows it. */
struct replay_source {
	char *path;
	const char *format;     /* static */
	uint64_t records, events, skipped, malformed, read_only;
	uint64_t repaired;      /* events whose text was not UTF-8: shown with U+FFFD */
	uint64_t duplicates;    /* events whose id came earlier in the replay: not shown again */
	uint64_t out_of_window; /* outside --since/--until */
	double progress;        /* 0..1, -1 unknown */
	enum { RS_WAITING = 0, RS_READING, RS_DONE, RS_FAILED, RS_LIVE } state;
	char *error;            /* why it failed (live: the last error, the source still runs) */
	int64_t first_ms, last_ms;      /* event time range seen */
	double rate;            /* events per second over the last minute */
	/* Live sources (state RS_LIVE). */
	int64_t last_poll_ms, lag_ms;
	uint64_t requests, errors, retries;
	char *lease;            /* a poller shared by workers: who polls it (engine_status) */
};
/* A copy of the sources (free with replay_sources_free). */
void replay_sources(struct replay *r, struct replay_source **out, size_t *n);
void replay_sources_free(struct replay_source *s, size_t n);

/* Hand the detector a new set of extra freeze windows (besides the config's): copied, and
 * applied on the engine thread before its next event (engine_set_freezes). Any thread; live:
 * once the engine is attached. */
void replay_set_freezes(struct replay *r, const struct freeze_window *w, size_t n);

/* Stop and free the replay's own engine (live: the caller frees its engine first), then
 * everything else (queued findings included). */
void replay_free(struct replay *r);

#endif
