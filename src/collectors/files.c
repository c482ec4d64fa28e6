/* files: recorded audit files as a source: live (globs, cursors) and replay (paths read in
 * full, streamed or paced in passes, with per-file statistics under the replay's `mu`; see
 * files.h for the threads). */
#include "config.h"

#include <errno.h>
#include <glob.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collectors/files.h"
#include "idset.h"
#include "sources.h"
#include "util.h"

struct files {
	char **globs;
	size_t nglobs;
	int64_t poll_ms;
	uint64_t events, errors;
	char *last_error;
};

static void
report(struct files *f, const struct source_sink *k, const char *name)
{
	struct source_status st;

	memset(&st, 0, sizeof st);
	st.name = name;
	st.last_poll_ms = tf_now_ms();
	st.lag_ms = -1;
	st.events = f->events;
	st.errors = f->errors;
	st.last_error = f->last_error;
	st.backfill = -1;
	k->status(k->ctx, &st);
}

static void
fail(struct files *f, char *err)
{
	free(f->last_error);
	f->last_error = err;
	f->errors++;
}

/* One pass over every matching file not read yet (by size and mtime). 0, or -1 when
 * stopping. */
static int
pass(struct files *f, const struct source_sink *k, const char *name)
{
	size_t i, j;

	for (i = 0; i < f->nglobs; i++) {
		glob_t g;
		int rc = glob(f->globs[i], 0, NULL, &g);    /* sorted: files in name order */

		if (rc == GLOB_NOMATCH) {
			/* A plain path that does not exist is a mistake; an empty glob is not. */
			if (strpbrk(f->globs[i], "*?[") == NULL)
				fail(f, xasprintf("%s: no such file", f->globs[i]));
			continue;
		}
		if (rc != 0) {
			fail(f, xasprintf("%s: cannot expand the pattern", f->globs[i]));
			continue;
		}
		for (j = 0; j < g.gl_pathc; j++) {
			const char *path = g.gl_pathv[j];
			struct stat st;
			char *seen, *mark, *err = NULL;
			struct ev_reader *rd;
			struct event ev;
			int got;

			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			mark = xasprintf("%lld:%lld", (long long)st.st_size, (long long)st.st_mtime);
			seen = k->cursor_get(k->ctx, path);
			if (seen != NULL && strcmp(seen, mark) == 0) {
				free(seen);
				free(mark);
				continue;
			}
			free(seen);
			if ((rd = ev_reader_open(path, &err)) == NULL) {
				fail(f, err);
				free(mark);
				continue;
			}
			ev_reader_set_skip_read_only(rd, 1);
			while ((got = ev_reader_next(rd, &ev, &err)) == 1) {
				struct event *out = xmalloc(sizeof *out);

				*out = ev;
				f->events++;
				if (k->event(k->ctx, out) != 0) {
					ev_reader_close(rd);
					free(mark);
					globfree(&g);
					return -1;
				}
			}
			ev_reader_close(rd);
			if (got < 0)
				fail(f, err);
			else if (k->cursor_set(k->ctx, path, mark, &err) != 0)
				fail(f, err);
			free(mark);
		}
		globfree(&g);
	}
	return 0;
}

struct files_impl {
	struct files f;
	char *name;
};

static int
files_poll_once(void *impl, const struct source_sink *k)
{
	struct files_impl *fi = impl;
	uint64_t before = fi->f.errors;

	pass(&fi->f, k, fi->name);
	report(&fi->f, k, fi->name);
	return fi->f.errors > before ? -1 : 0;
}

static int
files_run(void *impl, const struct source_sink *k)
{
	struct files_impl *fi = impl;

	for (;;) {
		if (pass(&fi->f, k, fi->name) != 0)
			return 0;
		/* The files read are complete: what the detector holds back from them is decided
		 * as at the end of a scan of the same files. */
		if (k->flush(k->ctx) != 0)
			return 0;
		report(&fi->f, k, fi->name);
		if (k->sleep(k->ctx, fi->f.poll_ms > 0 ? fi->f.poll_ms : 3600000))
			return 0;
	}
}

static void
files_free(void *impl)
{
	struct files_impl *fi = impl;
	size_t i;

	for (i = 0; i < fi->f.nglobs; i++)
		free(fi->f.globs[i]);
	free(fi->f.globs);
	free(fi->f.last_error);
	free(fi->name);
	free(fi);
}

struct collector *
files_collector_new(const char *name, char **globs, size_t nglobs, int64_t poll_ms)
{
	struct files_impl *fi = xcalloc(1, sizeof *fi);
	size_t i;

	fi->name = xstrdup(name);
	fi->f.globs = xcalloc(nglobs + 1, sizeof *fi->f.globs);
	for (i = 0; i < nglobs; i++)
		fi->f.globs[i] = xstrdup(globs[i]);
	fi->f.nglobs = nglobs;
	fi->f.poll_ms = poll_ms;
	return collector_new(&files_collector_ops, name, fi);
}

/* ---- replay ---- */

static const struct collector_ops files_replay_ops;

#define PASS_GAP_MS 3000        /* the pause between passes */
#define CHANGED_MS 50           /* loading: say the statistics changed at most this often */
#define STOP_EVERY 256          /* loading: sync the statistics and look for a stop this often */

/* One input's statistics and its rate ring (path is set at creation, then read-only). */
struct file_stat {
	struct files_source s;
	struct tf_rate rate;
};

/* Paced: one loaded event, its input, and its load order (ties in time keep it). */
struct held {
	struct event ev;
	size_t file, seq;
};

struct files_replay {
	/* Set at creation, then read-only. */
	struct files_replay_opts o;
	size_t nfiles;

	/* The collector thread only. */
	struct tf_idset *seen;          /* event ids, hashed as the detector hashes them */
	struct held *held;              /* paced: every event, by time once loaded */
	size_t nheld, capheld;
	int64_t last_shift_ms;          /* shift to now: the last time handed over */
	int64_t changed_ms;             /* tf_mono_ms of the last throttled `changed` */

	/* Guarded by mu. */
	pthread_mutex_t mu;
	struct file_stat *st;           /* nfiles */
	struct files_progress prog;     /* prog.error is owned here */
};

/* A reader being read, for its before-read hook. */
struct reading {
	struct files_replay *f;
	size_t i;
	struct ev_reader *rd;
	int64_t first_ms, last_ms;
};

static void
changed(struct files_replay *f)
{
	if (f->o.changed != NULL)
		f->o.changed(f->o.changed_ctx);
}

static void
set_phase(struct files_replay *f, enum files_phase ph, unsigned pass, uint64_t done,
    uint64_t total)
{
	pthread_mutex_lock(&f->mu);
	f->prog.phase = ph;
	f->prog.pass = pass;
	f->prog.done = done;
	f->prog.total = total;
	pthread_mutex_unlock(&f->mu);
	changed(f);
}

/* The reader's counters, place and time range into its input's statistics. */
static void
sync_reader(const struct reading *g)
{
	struct files_replay *f = g->f;
	const struct ev_counters *c = ev_reader_counters(g->rd);
	double p = ev_reader_progress(g->rd);
	struct files_source *s = &f->st[g->i].s;

	pthread_mutex_lock(&f->mu);
	s->records = c->records;
	s->events = c->events;
	s->skipped = c->skipped;
	s->malformed = c->malformed;
	s->repaired = c->repaired;
	s->read_only = ev_reader_skipped_read_only(g->rd);
	s->format = ev_format_name(ev_reader_format(g->rd));
	s->progress = p;
	s->first_ms = g->first_ms;
	s->last_ms = g->last_ms;
	if (f->prog.phase == FILES_LOADING)
		f->prog.frac = p < 0 ? -1 : ((double)g->i + p) / (double)f->nfiles;
	pthread_mutex_unlock(&f->mu);
}

/* Before a read that may block (a pipe): show how far it got. */
static void
before_read(void *ctx)
{
	struct reading *g = ctx;

	sync_reader(g);
	changed(g->f);
}

static void
file_failed(struct files_replay *f, size_t i, const char *err)
{
	pthread_mutex_lock(&f->mu);
	f->st[i].s.state = FILE_FAILED;
	free(f->st[i].s.error);
	f->st[i].s.error = xstrdup(err);
	free(f->prog.error);
	f->prog.error = xstrdup(err);
	pthread_mutex_unlock(&f->mu);
}

/* Is the event one to hand over? Counts it when it is outside the window or a duplicate. */
static int
admit(struct files_replay *f, size_t i, const struct event *ev)
{
	const struct files_replay_opts *o = &f->o;
	uint64_t *count = NULL;

	if ((o->since_ms != 0 && ev->time_ms < o->since_ms) ||
	    (o->until_ms != 0 && ev->time_ms >= o->until_ms))
		count = &f->st[i].s.out_of_window;
	else if (ev->id != NULL &&
	    tf_idset_add(f->seen, tf_hash_str(ev->id) ^ ev->provider, ev->time_ms))
		count = &f->st[i].s.duplicates;
	if (count == NULL)
		return 1;
	pthread_mutex_lock(&f->mu);
	(*count)++;
	pthread_mutex_unlock(&f->mu);
	return 0;
}

/* Hand one event over (ownership of its contents passes, whatever the return) and count it
 * for input i. -1 when the engine is stopping. */
static int
hand(struct files_replay *f, const struct source_sink *k, size_t i, struct event *ev)
{
	struct event *out = xmalloc(sizeof *out);

	*out = *ev;
	pthread_mutex_lock(&f->mu);
	tf_rate_add(&f->st[i].rate, tf_mono_ms() / 1000, 1);
	f->prog.done++;
	pthread_mutex_unlock(&f->mu);
	return k->event(k->ctx, out);
}

/* Paced: keep the event for the passes. */
static void
keep(struct files_replay *f, size_t i, struct event *ev)
{
	if (f->nheld == f->capheld) {
		f->capheld = f->capheld ? f->capheld * 2 : 256;
		f->held = xreallocarray(f->held, f->capheld, sizeof *f->held);
	}
	f->held[f->nheld].ev = *ev;
	f->held[f->nheld].file = i;
	f->held[f->nheld].seq = f->nheld;
	f->nheld++;
}

/* Read input i: stream (hand each event over as it is read) or keep every event for the
 * passes. A file that fails is marked so and the others go on. 0, or -1 when stopping. */
static int
read_file(struct files_replay *f, const struct source_sink *k, size_t i, int stream)
{
	struct reading g = { f, i, NULL, 0, 0 };
	struct event ev;
	char *err = NULL;
	uint64_t n = 0;
	int got, stop = 0;

	if ((g.rd = ev_reader_open(f->st[i].s.path, &err)) == NULL) {
		file_failed(f, i, err);
		free(err);
		changed(f);
		return 0;
	}
	ev_reader_set_skip_read_only(g.rd, 1);
	ev_reader_set_before_read(g.rd, before_read, &g);
	pthread_mutex_lock(&f->mu);
	f->st[i].s.state = FILE_READING;
	pthread_mutex_unlock(&f->mu);
	sync_reader(&g);                /* the format and progress the opening found */
	changed(f);
	while ((got = ev_reader_next(g.rd, &ev, &err)) == 1) {
		if (ev.time_ms != 0 && (g.first_ms == 0 || ev.time_ms < g.first_ms))
			g.first_ms = ev.time_ms;
		if (ev.time_ms > g.last_ms)
			g.last_ms = ev.time_ms;
		if (!admit(f, i, &ev))
			event_free(&ev);
		else if (!stream)
			keep(f, i, &ev);
		else {
			if (f->o.shift_to_now) {
				/* Now, but after the last one: the order holds under a fixed clock. */
				ev.time_ms = tf_now_ms();
				if (ev.time_ms <= f->last_shift_ms)
					ev.time_ms = f->last_shift_ms + 1;
				f->last_shift_ms = ev.time_ms;
			}
			if (hand(f, k, i, &ev) != 0) {
				stop = 1;
				break;
			}
		}
		if (++n % STOP_EVERY == 0) {
			int64_t now = tf_mono_ms();

			sync_reader(&g);
			if (now - f->changed_ms >= CHANGED_MS) {
				f->changed_ms = now;
				changed(f);
			}
			if (k->sleep(k->ctx, 0)) {
				stop = 1;
				break;
			}
		}
	}
	sync_reader(&g);
	ev_reader_close(g.rd);
	if (stop)
		return -1;
	if (got < 0) {
		file_failed(f, i, err);
		free(err);
	} else {
		pthread_mutex_lock(&f->mu);
		f->st[i].s.state = FILE_DONE;
		f->st[i].s.progress = 1;
		pthread_mutex_unlock(&f->mu);
	}
	changed(f);
	return 0;
}

static int
held_cmp(const void *a, const void *b)
{
	const struct held *x = a, *y = b;

	if (x->ev.time_ms != y->ev.time_ms)
		return x->ev.time_ms < y->ev.time_ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Passes after the first: fresh event and operation ids, so the detector sees new events. */
static void
renumber(struct event *ev, unsigned pass)
{
	char *id = xasprintf("%s~%u", ev->id != NULL ? ev->id : "noid", pass);

	free(ev->id);
	ev->id = id;
	if (ev->operation_id != NULL) {
		id = xasprintf("%s~%u", ev->operation_id, pass);
		free(ev->operation_id);
		ev->operation_id = id;
	}
}

/* One pass over the held events at the pace: copies (the originals on the last pass, which
 * is then the only one to own them). 0, or -1 when stopping. */
static int
pass_paced(struct files_replay *f, const struct source_sink *k, unsigned pass, int last)
{
	const struct files_replay_opts *o = &f->o;
	int64_t span = 0, t0 = tf_mono_ms(), wall0 = tf_now_ms(), at = 0, prev;
	size_t i;

	if (f->nheld > 1)
		span = f->held[f->nheld - 1].ev.time_ms - f->held[0].ev.time_ms;
	/* A fixed clock (TFDRIFT_NOW) must not give a later pass the same times. */
	if (wall0 <= f->last_shift_ms)
		wall0 = f->last_shift_ms + 1;
	set_phase(f, FILES_REPLAYING, pass, 0, f->nheld);
	prev = f->nheld > 0 ? f->held[0].ev.time_ms : 0;
	for (i = 0; i < f->nheld; i++) {
		struct held *h = &f->held[i];
		struct event ev;
		int64_t d = 0;

		if (o->pace_ms > 0 && span > 0) {
			/* Time-proportional, but no gap longer than 1/20 of the pass. */
			d = (h->ev.time_ms - prev) * o->pace_ms / span;
			if (d > o->pace_ms / 20)
				d = o->pace_ms / 20;
			if (d < 0)
				d = 0;
		}
		/* Shifted, distinct times stay distinct: the dashboard orders by time. */
		if (o->shift_to_now && h->ev.time_ms > prev && d < 1)
			d = 1;
		at += d;
		prev = h->ev.time_ms;
		if (o->pace_ms > 0 || i % STOP_EVERY == 0) {
			int64_t wait = o->pace_ms > 0 ? t0 + at - tf_mono_ms() : 0;

			if (k->sleep(k->ctx, wait > 0 ? wait : 0))
				return -1;
		}
		if (last) {
			ev = h->ev;
			memset(&h->ev, 0, sizeof h->ev);
		} else
			event_clone_deep(&ev, &h->ev);  /* the engine thread frees it */
		if (pass > 0)
			renumber(&ev, pass);
		if (o->shift_to_now)
			ev.time_ms = f->last_shift_ms = wall0 + at;
		else if (pass > 0 && ev.time_ms != 0)
			ev.time_ms += (int64_t)pass * (span + 60000);   /* later than the pass before */
		if (hand(f, k, h->file, &ev) != 0)
			return -1;
	}
	return 0;
}

/* The end: done, then the last flush marker (the replay is over once the engine reaches it). */
static void
finish(struct files_replay *f, const struct source_sink *k)
{
	pthread_mutex_lock(&f->mu);
	f->prog.phase = FILES_DONE;
	f->prog.frac = 1;
	if (f->prog.total == 0)
		f->prog.total = f->prog.done;
	f->prog.flushes++;
	pthread_mutex_unlock(&f->mu);
	changed(f);
	k->flush(k->ctx);
}

/* Read everything, then stream it or replay it in passes; a replay reads all of it either
 * way, so this is also its poll_once. */
static int
files_replay_run(void *impl, const struct source_sink *k)
{
	struct files_replay *f = impl;
	int stream = f->o.pace_ms == 0 && f->o.passes == 1;
	unsigned pass;
	size_t i;

	for (i = 0; i < f->nfiles; i++)
		if (read_file(f, k, i, stream) != 0)
			return 0;
	if (!stream) {
		if (f->nheld > 1)
			qsort(f->held, f->nheld, sizeof *f->held, held_cmp);
		for (pass = 0; f->o.passes == 0 || pass + 1 < f->o.passes; pass++) {
			int64_t t0 = tf_mono_ms();

			if (pass_paced(f, k, pass, 0) != 0)
				return 0;
			pthread_mutex_lock(&f->mu);
			f->prog.flushes++;
			pthread_mutex_unlock(&f->mu);
			if (k->flush(k->ctx) != 0)
				return 0;
			set_phase(f, FILES_WAITING, pass, f->nheld, f->nheld);
			/* Paced, a pause; unpaced, passes at least this far apart. */
			if (k->sleep(k->ctx, f->o.pace_ms > 0 ? PASS_GAP_MS : t0 + PASS_GAP_MS - tf_mono_ms()))
				return 0;
		}
		if (pass_paced(f, k, pass, 1) != 0)
			return 0;
	}
	finish(f, k);
	return 0;
}

static void
files_replay_free(void *impl)
{
	struct files_replay *f = impl;
	size_t i;

	tf_idset_free(f->seen);
	for (i = 0; i < f->nheld; i++)
		event_free(&f->held[i].ev);
	free(f->held);
	for (i = 0; i < f->nfiles; i++) {
		free(f->st[i].s.path);
		free(f->st[i].s.error);
	}
	free(f->st);
	free(f->prog.error);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

struct collector *
files_replay_new(const char *name, char **paths, size_t npaths, const struct files_replay_opts *o,
    struct files_replay **impl, char **err)
{
	struct files_replay *f;
	size_t i;

	for (i = 0; i < npaths; i++)
		if (strcmp(paths[i], "-") != 0 && access(paths[i], R_OK) != 0)
			return tf_err(err, "%s: %s", paths[i], strerror(errno)), NULL;
	f = xcalloc(1, sizeof *f);
	f->seen = tf_idset_new(tf_idset_cap_for(TF_IDSET_DEFAULT_CAP));
	f->o = *o;
	f->nfiles = npaths;
	f->st = xcalloc(npaths + 1, sizeof *f->st);
	for (i = 0; i < npaths; i++) {
		f->st[i].s.path = xstrdup(paths[i]);
		f->st[i].s.format = "?";
	}
	pthread_mutex_init(&f->mu, NULL);
	*impl = f;
	return collector_new(&files_replay_ops, name, f);
}

void
files_replay_progress(struct files_replay *f, struct files_progress *p)
{
	pthread_mutex_lock(&f->mu);
	*p = f->prog;
	p->error = xstrdup(f->prog.error);
	if (p->phase == FILES_REPLAYING || p->phase == FILES_WAITING)
		p->frac = p->total > 0 ? (double)p->done / (double)p->total : 1;
	pthread_mutex_unlock(&f->mu);
}

void
files_replay_sources(struct files_replay *f, struct files_source **out, size_t *n)
{
	struct files_source *v = xcalloc(f->nfiles + 1, sizeof *v);
	int64_t now_s = tf_mono_ms() / 1000;
	size_t i;

	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->nfiles; i++) {
		v[i] = f->st[i].s;
		v[i].path = xstrdup(f->st[i].s.path);
		v[i].error = xstrdup(f->st[i].s.error);
		v[i].rate = tf_rate_get(&f->st[i].rate, now_s);
	}
	pthread_mutex_unlock(&f->mu);
	*out = v;
	*n = f->nfiles;
}

void
files_replay_sources_free(struct files_source *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].path);
		free(s[i].error);
	}
	free(s);
}

/* ---- the collectors (collector.h) ---- */

#define FILES_POLL_MS 60000     /* a glob is expanded again this often for new files */

/* One collector over `events:`, sources.files and the files given on the command line. */
static int
files_col_add(struct engine *e, struct sources_ctx *x, size_t entry, char **err)
{
	const struct conf *c = x->conf;
	struct strlist all = { 0 };
	size_t i;
	int n = 0;

	(void)entry;
	(void)err;
	for (i = 0; i < c->events.n; i++)
		strlist_push(&all, c->events.v[i]);
	for (i = 0; i < c->sources.files.n; i++)
		strlist_push(&all, c->sources.files.v[i]);
	for (i = 0; x->extra_files != NULL && i < x->extra_files->n; i++)
		strlist_push(&all, x->extra_files->v[i]);
	if (all.n > 0) {
		engine_add(e, files_collector_new("files", all.v, all.n, FILES_POLL_MS));
		n++;
	}
	strlist_clear(&all);
	return n;
}

const struct collector_ops files_collector_ops = {
	.kind = "files",
	.section = "sources.files",
	.add = files_col_add,
	.run = files_run,
	.poll_once = files_poll_once,
	.free = files_free,
};

static const struct collector_ops files_replay_ops = {
	.kind = "replay",
	.run = files_replay_run,
	.poll_once = files_replay_run,
	.free = files_replay_free,
};
