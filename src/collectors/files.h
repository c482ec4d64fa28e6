/* files: a collector over recorded audit files, read with the event parsers of src/event.c,
 * in two modes.
 *
 * Live (`sources.files` globs, `events:`; files_collector_new): each file is read once, in
 * order; a cursor per file (its size and modification time) keeps a restart from reading it
 * again. A flush marker follows each pass: the files read are complete.
 *
 * Replay (the dashboard's file replay and the demo; files_replay_new): an ordered list of
 * paths ("-" is standard input), read in full every time (no cursors). Pace 0 and one pass
 * streams: each file is handed over as it is read, so a large backlog shows while it loads.
 * Otherwise every event of every file is loaded, sorted by time and handed over at a pace,
 * in passes, each pass after the first with fresh event and operation ids (`id~N`) so the
 * detector's dedup sees new events. Events outside --since/--until and events whose id came
 * earlier in the replay are counted, not handed over. A flush marker follows each pass (and
 * the end of a stream), so the engine decides what the detector holds back. A replay reports
 * its health through files_replay_progress/sources, not the engine's status table.
 *
 * Threads: a collector runs on the thread the engine starts for it (or run_once's caller).
 * files_replay_progress and files_replay_sources may be called from any thread while it
 * runs, until the engine frees the collector: the replay's `mu` guards the statistics they
 * copy. */
#ifndef TFDRIFT_COLLECTORS_FILES_H
#define TFDRIFT_COLLECTORS_FILES_H

#include "engine.h"

/* A collector over the files matching the globs (expanded when it runs, so a file that
 * appears later is read on the next pass). poll_ms: time between passes (0: one pass, then
 * idle until stopped). */
struct collector *files_collector_new(const char *name, char **globs, size_t nglobs,
    int64_t poll_ms);

struct files_replay_opts {
	int64_t pace_ms;        /* a pass lasts about this long (no gap over 1/20 of it); 0 = no pauses */
	unsigned passes;        /* 0 = forever; 1 with pace 0 = stream */
	int64_t since_ms;       /* events before this are counted, not handed over (0 = no bound) */
	int64_t until_ms;       /* events at or after this likewise (0 = no bound) */
	/* Each event's time becomes the wall clock (tf_now_ms) at which it is handed over: the
	 * pass's start plus its place in the pass, so freezes started "now" catch the demo. */
	int shift_to_now;
	/* Statistics changed in a way no event handed over shows (loading progress, a phase):
	 * called on the collector thread, no lock held. May be NULL. */
	void (*changed)(void *ctx);
	void *changed_ctx;
};

enum files_state { FILE_WAITING = 0, FILE_READING, FILE_DONE, FILE_FAILED };

/* One input of a replay. */
struct files_source {
	char *path;
	const char *format;             /* ev_format_name (static) */
	enum files_state state;
	char *error;                    /* why it failed, or NULL */
	double progress;                /* 0..1, -1 unknown (a pipe) */
	uint64_t records, events, skipped, malformed;   /* the reader's counters */
	uint64_t repaired;      /* events whose text was not UTF-8: shown with U+FFFD */
	uint64_t read_only;             /* skipped by the reader as read-only */
	uint64_t duplicates;            /* events whose id came earlier in this replay: dropped */
	uint64_t out_of_window;         /* outside --since/--until: not handed over */
	int64_t first_ms, last_ms;      /* recorded event times read, 0 none */
	double rate;                    /* events handed over per second, over the last minute */
};

enum files_phase { FILES_LOADING = 0, FILES_REPLAYING, FILES_WAITING, FILES_DONE };

struct files_progress {
	enum files_phase phase;         /* FILES_DONE: the last flush marker is handed over */
	unsigned pass;                  /* 0-based */
	uint64_t done;                  /* events handed over in this pass */
	uint64_t total;                 /* events per pass; 0 while streaming (not known yet) */
	double frac;                    /* through the phase 0..1; -1 unknown (a pipe) */
	uint64_t flushes;               /* flush markers handed over so far */
	char *error;                    /* the last file error (heap copy), or NULL */
};

struct files_replay;

/* A replay collector over the paths (in order); *impl is for the statistics calls below and
 * lives as long as the collector. NULL with *err when a path cannot be read at all (checked
 * up front, so a typo fails before a screen starts). */
struct collector *files_replay_new(const char *name, char **paths, size_t npaths,
    const struct files_replay_opts *o, struct files_replay **impl, char **err);
void files_replay_progress(struct files_replay *f, struct files_progress *p);
/* Copies of the per-file statistics (free with files_replay_sources_free). */
void files_replay_sources(struct files_replay *f, struct files_source **out, size_t *n);
void files_replay_sources_free(struct files_source *s, size_t n);

#endif
