/* engine: bounded event queue (events and collectors' flush markers, in order), engine
 * thread, collector threads, cursors, health. Threads and locks: see engine.h. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"
#include "freeze.h"
#include "http.h"
#include "state_index.h"
#include "util.h"

/* After the --once deadline, how long stopped collectors get to return. */
#define ENGINE_ONCE_GRACE_MS 5000

/* What a collector's sink functions get: the engine and which collector it is. */
struct slot {
	struct engine *e;
	size_t idx;
	int once;                       /* run_once: poll_once instead of run */
	/* run_once, guarded by e->mu: the thread returned (failed: not 0); late: the deadline
	 * came first (its status keeps saying so). */
	int done, failed, late;
	pthread_t th;
	int started;
	struct engine_status status;    /* guarded by e->mu */
};

/* One queue entry: an event, or a collector's flush marker (flush != NULL: whose). */
struct qitem {
	struct event ev;
	struct slot *flush;
};

struct engine {
	struct detector *det;           /* engine thread only (or run_once's caller) */
	struct store *store;            /* cursors, under store_mu */
	struct engine_consumer cons;

	struct collector **col;
	struct slot *slots;
	size_t ncol;

	pthread_mutex_t mu;             /* guards everything below */
	pthread_cond_t not_empty, not_full, stop_cv;
	pthread_cond_t done_cv;         /* run_once: a collector's thread returned */
	int abandoned;                  /* run_once left threads running: free nothing */
	struct qitem *q;                /* ring */
	size_t cap, head, n;
	int stop;                       /* collectors: stop polling */
	int drain_done;                 /* engine thread: queue drained, exit */
	struct state_index *pending_ix; /* for the engine thread to apply */
	uint64_t events, findings;

	struct freeze_window *pending_fz;       /* for the engine thread, when fz_new */
	size_t npending_fz;
	int fz_new;

	/* The state thread (loader != NULL). */
	int (*loader)(void *, struct state_index **, char **);
	void *loader_ctx;
	int64_t state_every_ms;
	int refresh_now;                /* guarded by mu */
	char *state_error;              /* guarded by mu */
	int64_t state_ok_ms;
	pthread_t state_th;
	int state_started;

	pthread_mutex_t store_mu;
	pthread_t th;
	int started;
};

struct engine *
engine_new(struct detector *det, struct store *store, size_t queue_cap,
    const struct engine_consumer *c)
{
	struct engine *e = xcalloc(1, sizeof *e);
	pthread_condattr_t ca;

	e->det = det;
	e->store = store;
	e->cons = *c;
	e->cap = queue_cap > 0 ? queue_cap : 10000;
	e->q = xcalloc(e->cap, sizeof *e->q);
	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->store_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->not_empty, &ca);
	pthread_cond_init(&e->not_full, &ca);
	pthread_cond_init(&e->stop_cv, &ca);
	pthread_cond_init(&e->done_cv, &ca);
	pthread_condattr_destroy(&ca);
	return e;
}

void
engine_add(struct engine *e, struct collector *c)
{
	e->col = xreallocarray(e->col, e->ncol + 1, sizeof *e->col);
	e->col[e->ncol++] = c;
}

/* Detect one event on the current thread and hand the results to the consumer. */
static void
process(struct engine *e, struct event *ev)
{
	struct finding_list found = { 0 };
	enum nodrift why = detect_event(e->det, ev, &found);

	if (e->cons.event != NULL)
		e->cons.event(e->cons.ctx, ev, why, found.v, found.n);
	pthread_mutex_lock(&e->mu);
	e->events++;
	e->findings += found.n;
	pthread_mutex_unlock(&e->mu);
	if (found.n > 0)
		e->cons.findings(e->cons.ctx, &found);
	else
		free(found.v);
}

/* Decide what the detector holds back and say so: a collector's flush marker (from != NULL)
 * or the end of the input (the drain at stop, run_once). On the detector's thread. */
static void
flush(struct engine *e, struct slot *from)
{
	struct finding_list rest = { 0 };

	if (detector_flush(e->det, &rest) > 0 && rest.n > 0) {
		pthread_mutex_lock(&e->mu);
		e->findings += rest.n;
		pthread_mutex_unlock(&e->mu);
		e->cons.findings(e->cons.ctx, &rest);
	} else
		free(rest.v);
	if (from != NULL && e->cons.flushed != NULL)
		e->cons.flushed(e->cons.ctx, e->col[from->idx]->name);
}

/* On the detector's thread: the newest index and freeze windows handed over. */
static void
apply_index(struct engine *e)
{
	struct state_index *ix;
	struct freeze_window *fz = NULL;
	size_t nfz = 0;
	int fz_new;

	pthread_mutex_lock(&e->mu);
	ix = e->pending_ix;
	e->pending_ix = NULL;
	fz_new = e->fz_new;
	if (fz_new) {
		fz = e->pending_fz;
		nfz = e->npending_fz;
		e->pending_fz = NULL;
		e->npending_fz = 0;
		e->fz_new = 0;
	}
	pthread_mutex_unlock(&e->mu);
	if (ix != NULL) {
		detector_set_index(e->det, ix);
		state_index_unref(ix);
	}
	if (fz_new) {
		detector_set_freezes(e->det, fz, nfz);
		freeze_windows_free(fz, nfz);
	}
}

void
engine_set_freezes(struct engine *e, const struct freeze_window *w, size_t n)
{
	struct freeze_window *copy = freeze_windows_dup(w, n);

	pthread_mutex_lock(&e->mu);
	freeze_windows_free(e->pending_fz, e->npending_fz);
	e->pending_fz = copy;
	e->npending_fz = n;
	e->fz_new = 1;
	pthread_cond_signal(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
}

void
engine_set_state_loader(struct engine *e, int (*load)(void *ctx, struct state_index **ix,
    char **err), void *ctx, int64_t interval_ms)
{
	e->loader = load;
	e->loader_ctx = ctx;
	e->state_every_ms = interval_ms > 0 ? interval_ms : 300000;
}

void
engine_refresh_states(struct engine *e)
{
	pthread_mutex_lock(&e->mu);
	e->refresh_now = 1;
	pthread_cond_broadcast(&e->stop_cv);
	pthread_mutex_unlock(&e->mu);
}

char *
engine_state_error(struct engine *e, int64_t *last_ok_ms)
{
	char *s;

	pthread_mutex_lock(&e->mu);
	s = xstrdup(e->state_error);
	if (last_ok_ms != NULL)
		*last_ok_ms = e->state_ok_ms;
	pthread_mutex_unlock(&e->mu);
	return s;
}

/* The state thread: reload every state_every_ms or when asked; keep the last good index. */
static void *
state_main(void *arg)
{
	struct engine *e = arg;
	int64_t next = tf_mono_ms() + e->state_every_ms;

	for (;;) {
		struct state_index *ix = NULL;
		struct timespec ts;
		char *err = NULL;
		int stop;

		ts.tv_sec = next / 1000;
		ts.tv_nsec = (long)(next % 1000) * 1000000L;
		pthread_mutex_lock(&e->mu);
		while (!e->stop && !e->refresh_now && tf_mono_ms() < next)
			if (pthread_cond_timedwait(&e->stop_cv, &e->mu, &ts) == ETIMEDOUT)
				break;
		stop = e->stop;
		e->refresh_now = 0;
		pthread_mutex_unlock(&e->mu);
		if (stop)
			break;
		if (e->loader(e->loader_ctx, &ix, &err) == 0) {
			if (ix != NULL) {       /* NULL: nothing changed */
				engine_set_index(e, ix);
				state_index_unref(ix);
			}
			pthread_mutex_lock(&e->mu);
			free(e->state_error);
			e->state_error = NULL;
			e->state_ok_ms = tf_now_ms();
			pthread_mutex_unlock(&e->mu);
		} else {
			pthread_mutex_lock(&e->mu);
			free(e->state_error);
			e->state_error = err;
			pthread_mutex_unlock(&e->mu);
		}
		next = tf_mono_ms() + e->state_every_ms;
	}
	return NULL;
}

/* ---- the sink collectors call ---- */

/* Append an event or a flush marker, waiting while the queue is full. 0, or -1 (nothing
 * queued) when stopping with the queue full. */
static int
enqueue(struct engine *e, const struct qitem *it)
{
	pthread_mutex_lock(&e->mu);
	while (e->n == e->cap && !e->stop)
		pthread_cond_wait(&e->not_full, &e->mu);
	if (e->stop && e->n == e->cap) {
		pthread_mutex_unlock(&e->mu);
		return -1;
	}
	e->q[(e->head + e->n) % e->cap] = *it;
	e->n++;
	pthread_cond_signal(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

static int
sink_event(void *ctx, struct event *ev)
{
	struct slot *s = ctx;
	struct engine *e = s->e;
	struct qitem it = { .flush = NULL };
	int rc;

	it.ev = *ev;                    /* the queue keeps the contents */
	if ((rc = enqueue(e, &it)) != 0)
		event_free(ev);
	free(ev);
	return rc;
}

static int
sink_flush(void *ctx)
{
	struct slot *s = ctx;
	struct qitem it = { .flush = s };

	return enqueue(s->e, &it);
}

/* Did run_once leave collector threads behind? Their cursor calls must then stay away from
 * the store, which the caller closes. */
static int
abandoned(struct engine *e)
{
	int a;

	pthread_mutex_lock(&e->mu);
	a = e->abandoned;
	pthread_mutex_unlock(&e->mu);
	return a;
}

static char *
cursor_key(struct slot *s, const char *name)
{
	return xasprintf("%s/%s", s->e->col[s->idx]->name, name);
}

static char *
sink_cursor_get(void *ctx, const char *name)
{
	struct slot *s = ctx;
	char *key, *v = NULL, *err = NULL;

	if (s->e->store == NULL || abandoned(s->e))
		return NULL;
	key = cursor_key(s, name);
	pthread_mutex_lock(&s->e->store_mu);
	if (store_cursor_get(s->e->store, key, &v, &err) < 0) {
		free(err);
		v = NULL;
	}
	pthread_mutex_unlock(&s->e->store_mu);
	free(key);
	return v;
}

static int
sink_cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	struct slot *s = ctx;
	char *key;
	int rc;

	if (s->e->store == NULL)
		return 0;       /* no store: a restart starts from the lookback again */
	if (abandoned(s->e))
		return tf_err(err, "left behind at the --once deadline; the store may be closed");
	key = cursor_key(s, name);
	pthread_mutex_lock(&s->e->store_mu);
	rc = store_cursor_set(s->e->store, key, value, err);
	pthread_mutex_unlock(&s->e->store_mu);
	free(key);
	return rc;
}

/* A collector's message names its source (it is also its callers' error), and every
 * reader of the status shows the name already: kept without it, so it is never said twice
 * ("cloudtrail lab eu-west-1: cloudtrail lab eu-west-1: ..."). */
static const char *
without_name(const char *msg, const char *name)
{
	size_t n = name != NULL ? strlen(name) : 0;

	if (msg != NULL && n > 0 && strncmp(msg, name, n) == 0 && msg[n] == ':' && msg[n + 1] == ' ')
		return msg + n + 2;
	return msg;
}

static void
sink_status(void *ctx, const struct source_status *st)
{
	struct slot *s = ctx;
	struct engine_status *es = &s->status;
	uint64_t errors;

	pthread_mutex_lock(&s->e->mu);
	if (s->late) {
		/* Stopped at the --once deadline: that stays the news, whatever the stop did. */
		errors = es->st.errors;
		es->st = *st;
		es->st.errors = errors;
	} else {
		free(es->last_error);
		es->st = *st;
		es->last_error = xstrdup(without_name(without_name(st->last_error, es->name),
		    st->name));
	}
	es->st.last_error = es->last_error;
	es->st.name = es->name;
	pthread_mutex_unlock(&s->e->mu);
}

static int
sink_sleep(void *ctx, int64_t ms)
{
	struct slot *s = ctx;
	struct engine *e = s->e;
	int64_t at = tf_mono_ms() + (ms > 0 ? ms : 0);
	struct timespec ts;
	int stop;

	ts.tv_sec = at / 1000;
	ts.tv_nsec = (long)(at % 1000) * 1000000L;
	pthread_mutex_lock(&e->mu);
	while (!e->stop && tf_mono_ms() < at)
		if (pthread_cond_timedwait(&e->stop_cv, &e->mu, &ts) == ETIMEDOUT)
			break;
	stop = e->stop;
	pthread_mutex_unlock(&e->mu);
	return stop;
}

static void
make_sink(struct slot *s, struct source_sink *k)
{
	k->event = sink_event;
	k->cursor_get = sink_cursor_get;
	k->cursor_set = sink_cursor_set;
	k->status = sink_status;
	k->sleep = sink_sleep;
	k->flush = sink_flush;
	k->ctx = s;
}

/* ---- threads ---- */

/* http_thread_abort's check on a collector's thread: the engine is stopping. */
static int
slot_stopping(void *ctx)
{
	struct slot *s = ctx;
	int stop;

	pthread_mutex_lock(&s->e->mu);
	stop = s->e->stop;
	pthread_mutex_unlock(&s->e->mu);
	return stop;
}

static void *
collector_main(void *arg)
{
	struct slot *s = arg;
	struct collector *c = s->e->col[s->idx];
	struct source_sink k;
	int rc;

	make_sink(s, &k);
	/* A stop reaches every request of this thread, credential and token fetches included. */
	http_thread_abort(slot_stopping, s);
	if (s->once)
		rc = c->poll_once(c->impl, &k);
	else
		rc = c->run(c->impl, &k);
	http_thread_abort(NULL, NULL);
	pthread_mutex_lock(&s->e->mu);
	s->done = 1;
	s->failed = rc != 0;
	pthread_cond_broadcast(&s->e->done_cv);
	pthread_mutex_unlock(&s->e->mu);
	return NULL;
}

static void *
engine_main(void *arg)
{
	struct engine *e = arg;
	struct qitem it;

	for (;;) {
		pthread_mutex_lock(&e->mu);
		while (e->n == 0 && !e->drain_done && e->pending_ix == NULL && !e->fz_new)
			pthread_cond_wait(&e->not_empty, &e->mu);
		if (e->n == 0 && e->drain_done) {
			pthread_mutex_unlock(&e->mu);
			break;
		}
		if (e->n == 0) {
			pthread_mutex_unlock(&e->mu);
			apply_index(e);
			continue;
		}
		it = e->q[e->head];
		e->head = (e->head + 1) % e->cap;
		e->n--;
		pthread_cond_signal(&e->not_full);
		pthread_mutex_unlock(&e->mu);
		apply_index(e);
		if (it.flush != NULL)
			flush(e, it.flush);
		else {
			process(e, &it.ev);
			event_free(&it.ev);
		}
	}
	/* GCP operations whose first entry never came. */
	flush(e, NULL);
	return NULL;
}

/* Start a thread with every signal blocked, so signals reach the main thread. */
static int
start_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

static void
init_slots(struct engine *e)
{
	size_t i;

	if (e->slots != NULL)
		return;
	e->slots = xcalloc(e->ncol + 1, sizeof *e->slots);
	for (i = 0; i < e->ncol; i++) {
		e->slots[i].e = e;
		e->slots[i].idx = i;
		e->slots[i].status.name = xstrdup(e->col[i]->name);
		e->slots[i].status.st.name = e->slots[i].status.name;
		e->slots[i].status.st.lag_ms = -1;
		e->slots[i].status.st.backfill = -1;
	}
}

int
engine_start(struct engine *e, char **err)
{
	size_t i;
	int rc;

	init_slots(e);
	if ((rc = start_thread(&e->th, engine_main, e)) != 0)
		return tf_err(err, "cannot start the engine thread: %s", strerror(rc));
	e->started = 1;
	if (e->loader != NULL) {
		if ((rc = start_thread(&e->state_th, state_main, e)) != 0)
			return tf_err(err, "cannot start the state thread: %s", strerror(rc));
		e->state_started = 1;
		e->state_ok_ms = tf_now_ms();
	}
	for (i = 0; i < e->ncol; i++) {
		if ((rc = start_thread(&e->slots[i].th, collector_main, &e->slots[i])) != 0)
			return tf_err(err, "cannot start the collector %s: %s", e->col[i]->name,
			    strerror(rc));
		e->slots[i].started = 1;
	}
	return 0;
}

/* Wait on done_cv until every started collector's thread returned (1) or the monotonic
 * clock reaches until_ms (0; until_ms 0: no limit). e->mu held. */
static int
wait_done(struct engine *e, int64_t until_ms)
{
	struct timespec ts;
	size_t i, left;

	ts.tv_sec = until_ms / 1000;
	ts.tv_nsec = (long)(until_ms % 1000) * 1000000L;
	for (;;) {
		for (i = 0, left = 0; i < e->ncol; i++)
			left += e->slots[i].started && !e->slots[i].done;
		if (left == 0)
			return 1;
		if (until_ms <= 0)
			pthread_cond_wait(&e->done_cv, &e->mu);
		else if (tf_mono_ms() >= until_ms)
			return 0;
		else
			pthread_cond_timedwait(&e->done_cv, &e->mu, &ts);
	}
}

/* The collectors still polling at the deadline: stopped, and their status says why. */
static void
mark_late(struct engine *e, const char *limit)
{
	size_t i;

	e->stop = 1;
	pthread_cond_broadcast(&e->stop_cv);
	pthread_cond_broadcast(&e->not_full);
	for (i = 0; i < e->ncol; i++) {
		struct engine_status *es = &e->slots[i].status;

		if (!e->slots[i].started || e->slots[i].done)
			continue;
		e->slots[i].late = 1;
		free(es->last_error);
		es->last_error = xasprintf("did not finish within the --once time limit (%s); "
		    "stopped: what it handed over is kept and its cursor stays where that left it",
		    limit != NULL ? limit : "its deadline");
		es->st.last_error = es->last_error;
		es->st.errors++;
	}
}

int
engine_run_once(struct engine *e, int64_t deadline_ms, const char *limit)
{
	size_t i;
	int rc, failed = 0;

	init_slots(e);
	if ((rc = start_thread(&e->th, engine_main, e)) != 0)
		tf_fatal("cannot start the engine thread: %s", strerror(rc));
	e->started = 1;
	for (i = 0; i < e->ncol; i++) {
		e->slots[i].once = 1;
		if ((rc = start_thread(&e->slots[i].th, collector_main, &e->slots[i])) != 0) {
			pthread_mutex_lock(&e->mu);
			e->slots[i].failed = 1;
			free(e->slots[i].status.last_error);
			e->slots[i].status.last_error = xasprintf("cannot start its thread: %s",
			    strerror(rc));
			e->slots[i].status.st.last_error = e->slots[i].status.last_error;
			pthread_mutex_unlock(&e->mu);
			continue;
		}
		e->slots[i].started = 1;
	}
	pthread_mutex_lock(&e->mu);
	if (!wait_done(e, deadline_ms)) {
		/* Out of time: sleeps return and requests abort (http_thread_abort), so the late
		 * ones return within a second or so; one blocked outside tfdrift's requests (a
		 * FIFO no writer opens) is left behind after the grace period, and the engine
		 * with it (abandoned: engine_free frees nothing it may touch). */
		mark_late(e, limit);
		if (!wait_done(e, tf_mono_ms() + ENGINE_ONCE_GRACE_MS))
			e->abandoned = 1;
	}
	for (i = 0; i < e->ncol; i++) {
		if (e->slots[i].failed || e->slots[i].late)
			failed++;
		if (!e->slots[i].started)
			continue;
		if (e->slots[i].done)
			pthread_join(e->slots[i].th, NULL);
		else
			pthread_detach(e->slots[i].th);
		e->slots[i].started = 0;
	}
	/* What was handed over is decided all the same (the engine thread drains the queue,
	 * then what the detector holds back). */
	e->drain_done = 1;
	pthread_cond_broadcast(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->th, NULL);
	e->started = 0;
	return failed;
}

void
engine_set_index(struct engine *e, struct state_index *ix)
{
	state_index_ref(ix);
	pthread_mutex_lock(&e->mu);
	if (e->pending_ix != NULL)
		state_index_unref(e->pending_ix);
	e->pending_ix = ix;
	pthread_cond_signal(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
}

void
engine_stop(struct engine *e)
{
	size_t i;

	pthread_mutex_lock(&e->mu);
	e->stop = 1;
	pthread_cond_broadcast(&e->stop_cv);
	pthread_cond_broadcast(&e->not_full);
	pthread_mutex_unlock(&e->mu);
	for (i = 0; i < e->ncol; i++)
		if (e->slots != NULL && e->slots[i].started) {
			pthread_join(e->slots[i].th, NULL);
			e->slots[i].started = 0;
		}
	if (e->state_started) {
		pthread_join(e->state_th, NULL);
		e->state_started = 0;
	}
	/* The collectors are gone: the engine drains what they handed over, then exits. */
	pthread_mutex_lock(&e->mu);
	e->drain_done = 1;
	pthread_cond_broadcast(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
	if (e->started) {
		pthread_join(e->th, NULL);
		e->started = 0;
	}
}

void
engine_free(struct engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	if (e->abandoned)
		return;         /* a thread left running may still use any of it; the process ends */
	engine_stop(e);
	for (i = 0; i < e->n; i++)
		event_free(&e->q[(e->head + i) % e->cap].ev);     /* a marker's is empty */
	free(e->q);
	for (i = 0; i < e->ncol; i++) {
		if (e->col[i]->free != NULL)
			e->col[i]->free(e->col[i]->impl);
		free(e->col[i]->name);
		free(e->col[i]);
		if (e->slots != NULL) {
			free(e->slots[i].status.name);
			free(e->slots[i].status.last_error);
		}
	}
	free(e->col);
	free(e->slots);
	if (e->pending_ix != NULL)
		state_index_unref(e->pending_ix);
	freeze_windows_free(e->pending_fz, e->npending_fz);
	free(e->state_error);
	pthread_mutex_destroy(&e->mu);
	pthread_mutex_destroy(&e->store_mu);
	pthread_cond_destroy(&e->not_empty);
	pthread_cond_destroy(&e->not_full);
	pthread_cond_destroy(&e->stop_cv);
	pthread_cond_destroy(&e->done_cv);
	free(e);
}

void
engine_statuses(struct engine *e, struct engine_status **out, size_t *n)
{
	struct engine_status *v = xcalloc(e->ncol + 1, sizeof *v);
	size_t i;

	init_slots(e);
	pthread_mutex_lock(&e->mu);
	for (i = 0; i < e->ncol; i++) {
		v[i] = e->slots[i].status;
		v[i].late = e->slots[i].late;
		v[i].name = xstrdup(e->slots[i].status.name);
		v[i].last_error = xstrdup(e->slots[i].status.last_error);
		v[i].st.name = v[i].name;
		v[i].st.last_error = v[i].last_error;
	}
	pthread_mutex_unlock(&e->mu);
	*out = v;
	*n = e->ncol;
}

void
engine_statuses_free(struct engine_status *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].last_error);
	}
	free(s);
}

void
engine_counts(struct engine *e, struct engine_counts *c)
{
	pthread_mutex_lock(&e->mu);
	c->events = e->events;
	c->findings = e->findings;
	c->queued = e->n;
	c->queue_cap = e->cap;
	pthread_mutex_unlock(&e->mu);
}

void
engine_store_lock(struct engine *e)
{
	pthread_mutex_lock(&e->store_mu);
}

void
engine_store_unlock(struct engine *e)
{
	pthread_mutex_unlock(&e->store_mu);
}
