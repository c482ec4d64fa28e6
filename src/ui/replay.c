/* replay: the engine thread: recorded events -> detector -> finding and event queues -> wake
 * pipe. Two modes: streaming (pace 0: each file is read and detected as it goes, so a large
 * backlog fills the dashboard while it loads) and paced (the demo: every event is loaded and
 * sorted by time first, then replayed at a pace, in passes). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "replay.h"
#include "util.h"

#define PASS_GAP_MS 3000        /* pause between demo passes */
#define BATCH_EVENTS 512        /* streaming: publish at least this often */
#define BATCH_MS 50             /* ... or after this long */

struct replay {
	/* Immutable once started (read by the worker). */
	char **files;
	size_t nfiles;
	struct detector *det;   /* worker thread only once started */
	struct replay_opts o;
	int wake_r, wake_w;
	pthread_t th;
	int started;

	/* Worker thread only. */
	struct event *evs;      /* paced mode: every event, by time */
	size_t nev;
	int64_t work_ms;        /* time spent working (not sleeping), for the rate */

	/* Guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* signalled on stop */
	int stop;
	struct finding_list q;
	struct ui_event_list eq;
	struct replay_progress prog;
	struct replay_source *src;      /* nfiles */
	char *error;
	struct freeze_window *freezes;  /* pending for the detector when freezes_new */
	size_t nfreezes;
	int freezes_new;
	struct engine *eng;             /* live mode: the engine feeding the queues */
};

void
ui_event_free(struct ui_event *e)
{
	free(e->id);
	free(e->name);
	free(e->source);
	free(e->account);
	free(e->region);
	free(e->origin);
	free(e->actor);
	free(e->actor_type);
	free(e->principal);
	free(e->source_ip);
	free(e->user_agent);
	free(e->resource);
	free(e->error);
	memset(e, 0, sizeof *e);
}

void
ui_event_list_clear(struct ui_event_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ui_event_free(&l->v[i]);
	l->n = 0;
}

static void
ui_event_list_push(struct ui_event_list *l, struct ui_event *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = *e;
}

/* The queues, lock and wake pipe every replay has. */
static struct replay *
new_common(char **err)
{
	struct replay *r;
	pthread_condattr_t ca;
	int fds[2];

	if (pipe(fds) != 0)
		return tf_err(err, "wake pipe: %s", strerror(errno)), NULL;
	r = xcalloc(1, sizeof *r);
	r->wake_r = fds[0];
	r->wake_w = fds[1];
	fcntl(r->wake_r, F_SETFL, fcntl(r->wake_r, F_GETFL) | O_NONBLOCK);
	fcntl(r->wake_w, F_SETFL, fcntl(r->wake_w, F_GETFL) | O_NONBLOCK);
	fcntl(r->wake_r, F_SETFD, FD_CLOEXEC);
	fcntl(r->wake_w, F_SETFD, FD_CLOEXEC);
	pthread_mutex_init(&r->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cv, &ca);
	pthread_condattr_destroy(&ca);
	r->prog.frac = 0;
	return r;
}

struct replay *
replay_new(char **files, size_t nfiles, struct detector *det, const struct replay_opts *o,
    char **err)
{
	struct replay *r;
	size_t i;

	/* Fail early on a file that cannot be opened at all; its contents are read later. */
	for (i = 0; i < nfiles; i++)
		if (strcmp(files[i], "-") != 0 && access(files[i], R_OK) != 0)
			return tf_err(err, "%s: %s", files[i], strerror(errno)), NULL;
	if ((r = new_common(err)) == NULL)
		return NULL;
	r->det = det;
	r->o = *o;
	r->files = xcalloc(nfiles + 1, sizeof *r->files);
	r->src = xcalloc(nfiles + 1, sizeof *r->src);
	for (i = 0; i < nfiles; i++) {
		r->files[i] = xstrdup(files[i]);
		r->src[i].path = xstrdup(files[i]);
		r->src[i].format = "?";
		r->src[i].progress = 0;
	}
	r->nfiles = nfiles;
	return r;
}

int
replay_wake_fd(const struct replay *r)
{
	return r->wake_r;
}

static int
stopping(struct replay *r)
{
	int stop;

	pthread_mutex_lock(&r->mu);
	stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

/* Sleep until the monotonic time `at_ms` or a stop request; returns 1 when stopping. */
static int
wait_until(struct replay *r, int64_t at_ms)
{
	struct timespec ts;
	int stop;

	ts.tv_sec = at_ms / 1000;
	ts.tv_nsec = (long)(at_ms % 1000) * 1000000L;
	pthread_mutex_lock(&r->mu);
	while (!r->stop && tf_mono_ms() < at_ms)
		if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) == ETIMEDOUT)
			break;
	stop = r->stop;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

static void
wake(struct replay *r)
{
	char c = 1;
	ssize_t n;

	/* A full pipe already means "wake up": EAGAIN is fine. */
	do
		n = write(r->wake_w, &c, 1);
	while (n < 0 && errno == EINTR);
}

/* The Events view's record of one event and what the detector made of it. */
static void
summarize(const struct event *ev, enum nodrift why, struct finding **fv, size_t nf,
    struct ui_event *out)
{
	size_t i;

	memset(out, 0, sizeof *out);
	out->time_ms = ev->time_ms;
	out->id = xstrdup(ev->id);
	out->name = xstrdup(ev->name);
	out->source = xstrdup(ev->source);
	out->account = xstrdup(ev->account);
	out->region = xstrdup(ev->region);
	out->origin = xstrdup(ev->origin);
	out->actor = xstrdup(ev->actor.name != NULL ? ev->actor.name : ev->actor.principal);
	out->actor_type = xstrdup(ev->actor.type);
	out->principal = xstrdup(ev->actor.principal);
	out->source_ip = xstrdup(ev->source_ip);
	out->user_agent = xstrdup(ev->user_agent);
	out->error = xstrdup(ev->error_code);
	out->provider = ev->provider;
	out->via = ev->actor.via;
	out->why = why;
	out->worst = -1;
	out->nfindings = (unsigned)nf;
	for (i = 0; i < nf; i++)
		if ((int)fv[i]->severity > out->worst)
			out->worst = (int)fv[i]->severity;
	if (nf > 0)
		out->resource = fv[0]->address != NULL ? xstrdup(fv[0]->address) :
		    xasprintf("%s %s", fv[0]->type ? fv[0]->type : "?",
		    fv[0]->resource_id ? fv[0]->resource_id : "?");
	else if (ev->resource_name != NULL)
		out->resource = xstrdup(ev->resource_name);
}

/* Hand findings and events over (ownership passes) under the lock, and wake the UI. */
static void
publish(struct replay *r, struct finding_list *found, struct ui_event_list *evs)
{
	size_t i;

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < found->n; i++)
		finding_list_push(&r->q, found->v[i]);
	r->prog.findings += found->n;
	for (i = 0; i < evs->n; i++)
		ui_event_list_push(&r->eq, &evs->v[i]);
	if (r->work_ms > 0)
		r->prog.rate = (double)r->prog.events * 1000.0 / (double)r->work_ms;
	pthread_mutex_unlock(&r->mu);
	found->n = 0;
	evs->n = 0;
	wake(r);
}

/* Detect one event; its findings go to `found`, its summary to `evs`. Write events only. */
static void
handle(struct replay *r, const struct event *ev, struct finding_list *found,
    struct ui_event_list *evs)
{
	size_t before = found->n;
	enum nodrift why;
	struct ui_event ue;

	pthread_mutex_lock(&r->mu);
	if (r->freezes_new) {
		detector_set_freezes(r->det, r->freezes, r->nfreezes);
		r->freezes_new = 0;
	}
	pthread_mutex_unlock(&r->mu);
	why = detect_event(r->det, ev, found);
	if (why == ND_DUPLICATE || why == ND_READ_ONLY)
		return;
	summarize(ev, why, found->v + before, found->n - before, &ue);
	ui_event_list_push(evs, &ue);
	pthread_mutex_lock(&r->mu);
	r->prog.events++;
	if (ev->time_ms > r->prog.latest_ms)
		r->prog.latest_ms = ev->time_ms;
	pthread_mutex_unlock(&r->mu);
}

/* Is the event inside --since/--until? Counts it when not. */
static int
in_window(struct replay *r, const struct event *ev)
{
	if ((r->o.since_ms != 0 && ev->time_ms < r->o.since_ms) ||
	    (r->o.until_ms != 0 && ev->time_ms >= r->o.until_ms)) {
		pthread_mutex_lock(&r->mu);
		r->prog.out_of_window++;
		pthread_mutex_unlock(&r->mu);
		return 0;
	}
	return 1;
}

static void
source_update(struct replay *r, size_t i, struct ev_reader *rd, int64_t first_ms, int64_t last_ms)
{
	const struct ev_counters *c = ev_reader_counters(rd);
	struct replay_source *s = &r->src[i];

	pthread_mutex_lock(&r->mu);
	s->records = c->records;
	s->events = c->events;
	s->skipped = c->skipped;
	s->malformed = c->malformed;
	s->read_only = ev_reader_skipped_read_only(rd);
	s->progress = ev_reader_progress(rd);
	s->format = ev_format_name(ev_reader_format(rd));
	s->first_ms = first_ms;
	s->last_ms = last_ms;
	pthread_mutex_unlock(&r->mu);
}

static void
set_phase(struct replay *r, enum replay_phase ph, double frac, uint64_t done, uint64_t total,
    unsigned pass)
{
	pthread_mutex_lock(&r->mu);
	r->prog.phase = ph;
	r->prog.frac = frac;
	r->prog.done = done;
	r->prog.total = total;
	r->prog.pass = pass;
	pthread_mutex_unlock(&r->mu);
}

/* A file that failed: shown in the Sources view and as the last error; the others go on. */
static void
source_failed(struct replay *r, size_t i, const char *err)
{
	pthread_mutex_lock(&r->mu);
	r->src[i].state = RS_FAILED;
	free(r->src[i].error);
	r->src[i].error = xstrdup(err);
	free(r->error);
	r->error = xstrdup(err);
	pthread_mutex_unlock(&r->mu);
}

/* What the streaming reader holds back: handed over before the reader may block. */
struct pending {
	struct replay *r;
	struct finding_list *found;
	struct ui_event_list *evs;
};

static void
before_read(void *arg)
{
	struct pending *p = arg;

	if (p->found->n > 0 || p->evs->n > 0)
		publish(p->r, p->found, p->evs);
	else
		wake(p->r);     /* progress: the status line shows how far */
}

/* Read every file. Streaming (emit != 0): detect each event as it is read. Otherwise keep
 * them in r->evs. Returns 1 when asked to stop. */
static int
read_files(struct replay *r, int emit, struct finding_list *found, struct ui_event_list *evs)
{
	size_t i, cap = 0;
	int64_t t0 = tf_mono_ms(), last_pub = t0;
	uint64_t nread = 0;
	struct pending pend = { r, found, evs };

	for (i = 0; i < r->nfiles; i++) {
		char *err = NULL;
		struct ev_reader *rd = ev_reader_open(r->files[i], &err);
		struct event ev;
		int64_t first = 0, last = 0;
		int got;

		if (rd == NULL) {
			source_failed(r, i, err);
			free(err);
			continue;
		}
		ev_reader_set_skip_read_only(rd, 1);
		if (emit)
			ev_reader_set_before_read(rd, before_read, &pend);
		pthread_mutex_lock(&r->mu);
		r->src[i].state = RS_READING;
		pthread_mutex_unlock(&r->mu);
		set_phase(r, RP_LOADING, ev_reader_progress(rd) < 0 ? -1 : (double)i / (double)r->nfiles,
		    nread, 0, 0);
		while ((got = ev_reader_next(rd, &ev, &err)) == 1) {
			nread++;
			if (ev.time_ms != 0 && (first == 0 || ev.time_ms < first))
				first = ev.time_ms;
			if (ev.time_ms > last)
				last = ev.time_ms;
			if (!in_window(r, &ev)) {
				event_free(&ev);
			} else if (emit) {
				handle(r, &ev, found, evs);
				event_free(&ev);
			} else {
				if (r->nev == cap) {
					cap = cap ? cap * 2 : 64;
					r->evs = xreallocarray(r->evs, cap, sizeof *r->evs);
				}
				r->evs[r->nev++] = ev;
			}
			if ((nread % BATCH_EVENTS) == 0 || found->n >= 64 || tf_mono_ms() - last_pub >= BATCH_MS) {
				int64_t now = tf_mono_ms();

				source_update(r, i, rd, first, last);
				double f = ev_reader_progress(rd);

				set_phase(r, RP_LOADING, f < 0 ? -1 : ((double)i + f) / (double)r->nfiles,
				    nread, 0, 0);
				r->work_ms = now - t0;
				if (found->n > 0 || evs->n > 0 || now - last_pub >= BATCH_MS) {
					publish(r, found, evs);
					last_pub = now;
				}
				if (stopping(r)) {
					ev_reader_close(rd);
					return 1;
				}
			}
		}
		source_update(r, i, rd, first, last);
		pthread_mutex_lock(&r->mu);
		r->prog.read_only += ev_reader_skipped_read_only(rd);
		pthread_mutex_unlock(&r->mu);
		ev_reader_close(rd);
		if (got < 0) {
			source_failed(r, i, err);
			free(err);
		} else {
			pthread_mutex_lock(&r->mu);
			r->src[i].state = RS_DONE;
			r->src[i].progress = 1;
			pthread_mutex_unlock(&r->mu);
		}
	}
	r->work_ms = tf_mono_ms() - t0;
	return 0;
}

static int
ev_time_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return 0;
}

/* The demo: replay r->evs at a pace, in passes; each pass gets fresh ids and later times so
 * the detector sees new events. Returns when done or stopping. */
static void
replay_paced(struct replay *r, struct finding_list *found, struct ui_event_list *evs)
{
	int64_t span = 0, shift_step, start, at, prev_t, w0;
	unsigned pass;
	size_t i;

	if (r->nev > 1)
		span = r->evs[r->nev - 1].time_ms - r->evs[0].time_ms;
	shift_step = span + 60000;
	for (pass = 0; r->o.passes == 0 || pass < r->o.passes; pass++) {
		start = at = tf_mono_ms();
		prev_t = r->nev > 0 ? r->evs[0].time_ms : 0;
		set_phase(r, RP_REPLAYING, 0, 0, r->nev, pass);
		for (i = 0; i < r->nev; i++) {
			struct event ev = r->evs[i];      /* shallow: only id, time, operation change */
			char *id = NULL, *op = NULL;

			if (r->o.pace_ms > 0 && span > 0) {
				/* Time-proportional, but no gap longer than 1/20 of the pass. */
				int64_t d = (ev.time_ms - prev_t) * r->o.pace_ms / span;

				if (d > r->o.pace_ms / 20)
					d = r->o.pace_ms / 20;
				if (d < 0)
					d = 0;
				at += d;
				prev_t = ev.time_ms;
				if (wait_until(r, at))
					return;
			} else if (stopping(r))
				return;
			w0 = tf_mono_ms();
			if (pass > 0) {
				/* The detector dedups by event id: each pass gets fresh ids and times. */
				id = xasprintf("%s~%u", ev.id != NULL ? ev.id : "noid", pass);
				ev.id = id;
				if (ev.operation_id != NULL) {
					op = xasprintf("%s~%u", ev.operation_id, pass);
					ev.operation_id = op;
				}
				if (ev.time_ms != 0)
					ev.time_ms += (int64_t)pass * shift_step;
			}
			handle(r, &ev, found, evs);
			free(id);
			free(op);
			r->work_ms += tf_mono_ms() - w0;
			set_phase(r, RP_REPLAYING, (double)(i + 1) / (double)r->nev, i + 1, r->nev, pass);
			publish(r, found, evs);
		}
		detector_flush(r->det, found);
		publish(r, found, evs);
		if (r->o.passes != 0 && pass + 1 >= r->o.passes)
			break;
		set_phase(r, RP_WAITING, 1, r->nev, r->nev, pass);
		if (wait_until(r, (r->o.pace_ms > 0 ? tf_mono_ms() : start) + PASS_GAP_MS))
			return;
	}
}

static void *
worker(void *arg)
{
	struct replay *r = arg;
	struct finding_list found = { 0 };
	struct ui_event_list evs = { 0 };

	if (r->o.pace_ms == 0 && r->o.passes == 1) {
		/* Streaming: findings appear while the backlog loads. */
		if (read_files(r, 1, &found, &evs) == 0) {
			detector_flush(r->det, &found);
			set_phase(r, RP_REPLAYING, 1, r->prog.events, r->prog.events, 0);
		}
	} else if (read_files(r, 0, &found, &evs) == 0) {
		if (r->nev > 1)
			qsort(r->evs, r->nev, sizeof *r->evs, ev_time_cmp);
		replay_paced(r, &found, &evs);
	}
	pthread_mutex_lock(&r->mu);
	r->prog.phase = RP_DONE;
	r->prog.finished = 1;
	pthread_mutex_unlock(&r->mu);
	publish(r, &found, &evs);
	finding_list_clear(&found);
	free(found.v);
	ui_event_list_clear(&evs);
	free(evs.v);
	return NULL;
}

struct replay *
replay_new_live(char **err)
{
	struct replay *r = new_common(err);

	if (r != NULL)
		r->prog.phase = RP_LIVE;
	return r;
}

/* The engine's consumer (engine thread): findings and event summaries to the queues. */
static void
live_findings(void *ctx, struct finding_list *l)
{
	struct replay *r = ctx;
	struct ui_event_list none = { 0 };

	publish(r, l, &none);
	free(l->v);
	l->v = NULL;
}

static void
live_event(void *ctx, const struct event *ev, enum nodrift why, struct finding **fv, size_t nf)
{
	struct replay *r = ctx;
	struct ui_event ue;

	if (why == ND_DUPLICATE || why == ND_READ_ONLY)
		return;
	summarize(ev, why, fv, nf, &ue);
	pthread_mutex_lock(&r->mu);
	ui_event_list_push(&r->eq, &ue);
	r->prog.events++;
	if (ev->time_ms > r->prog.latest_ms)
		r->prog.latest_ms = ev->time_ms;
	pthread_mutex_unlock(&r->mu);
	if (nf == 0)
		wake(r);        /* with findings, live_findings wakes the UI right after */
}

void
replay_engine_consumer(struct replay *r, struct engine_consumer *c)
{
	c->findings = live_findings;
	c->event = live_event;
	c->flushed = NULL;
	c->ctx = r;
}

void
replay_attach_engine(struct replay *r, struct engine *e)
{
	r->eng = e;
}

void
replay_refresh_states(struct replay *r)
{
	if (r->eng != NULL)
		engine_refresh_states(r->eng);
}

int
replay_start(struct replay *r, char **err)
{
	int e;

	if (r->eng != NULL) {
		if (engine_start(r->eng, err) != 0)
			return -1;
		return 0;       /* r->started stays 0: the engine is joined by its owner */
	}

	if ((e = pthread_create(&r->th, NULL, worker, r)) != 0)
		return tf_err(err, "cannot start the replay thread: %s", strerror(e));
	r->started = 1;
	return 0;
}

void
replay_take(struct replay *r, struct finding_list *out, struct ui_event_list *events)
{
	char buf[256];
	size_t i;

	while (read(r->wake_r, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->q.n; i++)
		finding_list_push(out, r->q.v[i]);
	r->q.n = 0;
	for (i = 0; i < r->eq.n; i++) {
		if (events != NULL)
			ui_event_list_push(events, &r->eq.v[i]);
		else
			ui_event_free(&r->eq.v[i]);
	}
	r->eq.n = 0;
	pthread_mutex_unlock(&r->mu);
}

void
replay_progress(struct replay *r, struct replay_progress *p, char **err)
{
	struct engine_counts c;

	if (r->eng != NULL) {
		engine_counts(r->eng, &c);
		pthread_mutex_lock(&r->mu);
		r->prog.total = c.queued;       /* live: events waiting for the detector */
		r->prog.done = c.events;
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_lock(&r->mu);
	*p = r->prog;
	if (err != NULL)
		*err = xstrdup(r->error);
	pthread_mutex_unlock(&r->mu);
}

void
replay_sources(struct replay *r, struct replay_source **out, size_t *n)
{
	struct replay_source *v;
	size_t i;

	if (r->eng != NULL) {
		/* Live: one row per collector, from the engine's health table. */
		struct engine_status *st;
		size_t nst;

		engine_statuses(r->eng, &st, &nst);
		v = xcalloc(nst + 1, sizeof *v);
		for (i = 0; i < nst; i++) {
			v[i].path = xstrdup(st[i].name);
			v[i].format = "live";
			v[i].state = RS_LIVE;
			v[i].events = st[i].st.events;
			v[i].progress = st[i].st.backfill;
			v[i].error = xstrdup(st[i].last_error);
			v[i].last_poll_ms = st[i].st.last_poll_ms;
			v[i].lag_ms = st[i].st.lag_ms;
			v[i].rate = st[i].st.events_per_s;
			v[i].requests = st[i].st.requests;
			v[i].errors = st[i].st.errors;
			v[i].retries = st[i].st.retries;
		}
		engine_statuses_free(st, nst);
		*out = v;
		*n = nst;
		return;
	}
	v = xcalloc(r->nfiles + 1, sizeof *v);

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->nfiles; i++) {
		v[i] = r->src[i];
		v[i].path = xstrdup(r->src[i].path);
		v[i].error = xstrdup(r->src[i].error);
	}
	pthread_mutex_unlock(&r->mu);
	*out = v;
	*n = r->nfiles;
}

void
replay_sources_free(struct replay_source *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].path);
		free(s[i].error);
	}
	free(s);
}

void
replay_set_freezes(struct replay *r, const struct freeze_window *w, size_t n)
{
	struct freeze_window *copy;

	if (r->eng != NULL) {
		engine_set_freezes(r->eng, w, n);
		return;
	}
	copy = freeze_windows_dup(w, n);
	pthread_mutex_lock(&r->mu);
	freeze_windows_free(r->freezes, r->nfreezes);
	r->freezes = copy;
	r->nfreezes = n;
	r->freezes_new = 1;
	pthread_mutex_unlock(&r->mu);
}

void
replay_free(struct replay *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->th, NULL);
	}
	finding_list_clear(&r->q);
	free(r->q.v);
	ui_event_list_clear(&r->eq);
	free(r->eq.v);
	for (i = 0; i < r->nev; i++)
		event_free(&r->evs[i]);
	free(r->evs);
	for (i = 0; i < r->nfiles; i++) {
		free(r->files[i]);
		free(r->src[i].path);
		free(r->src[i].error);
	}
	free(r->files);
	free(r->src);
	free(r->error);
	freeze_windows_free(r->freezes, r->nfreezes);
	close(r->wake_r);
	close(r->wake_w);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}
