/* engine: bounded event queue (events and collectors' flush, watermark and cursor markers, in
 * order), engine thread, collector threads, cursors with the held GCP operations they cover,
 * health. Threads and locks: see engine.h. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compat.h"
#include "engine.h"
#include "freeze.h"
#include "http.h"
#include "state_index.h"
#include "util.h"

/* The held list saved for a collector that holds nothing any more. */
#define HELD_NONE "{\"v\":1,\"held\":[]}"
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
	/* The detector's thread only (or before the threads start). */
	int keeps_held;                 /* it checkpoints: its held entries go to the store */
	char *held_saved;               /* the held list as last saved or restored; NULL none */
	/* Its lease (engine_set_lease), guarded by e->mu; times on the lease clock. */
	int lheld;                      /* this worker holds it */
	int llost;                      /* lost while running: the collector stops */
	int lrunning;                   /* the collector polls under it */
	int lwaiting;                   /* the collector waits for it */
	int ltried;                     /* the lease thread tried since the collector waits */
	int lfailed;                    /* that try failed (a store error) */
	int64_t lexpires;               /* the held lease's expiry */
	char *llost_why;                /* why it was lost, until it is taken again */
	int lstood_by;                  /* a try found it another's since the collector ran */
	int64_t lnext;                  /* the lease thread's next renewal or try */
	_Atomic uint64_t throttles;     /* http_count_throttles on its thread */
};

/* A collector's cursor, saved by the engine thread once it reaches it in the queue. */
struct cursor_req {
	const char *name, *value;
	int done, rc;                   /* done: guarded by e->mu */
	char *err;
};

enum qkind { Q_EVENT = 0, Q_FLUSH, Q_WATERMARK, Q_CURSOR, Q_LEASE };

/* One queue entry: a collector's event or marker. */
struct qitem {
	enum qkind kind;
	struct slot *from;
	struct event ev;                /* Q_EVENT */
	int64_t upto_ms;                /* Q_WATERMARK */
	struct cursor_req *req;         /* Q_CURSOR: the collector waits for it */
};

struct engine {
	struct detector *det;           /* engine thread only (or run_once's caller) */
	struct store *store;            /* cursors, under store_mu */
	struct engine_consumer cons;

	struct collector **col;
	struct slot *slots;
	size_t ncol;

	pthread_mutex_t mu;             /* guards everything below */
	pthread_cond_t not_empty, not_full, stop_cv, saved_cv;
	pthread_cond_t done_cv;         /* run_once: a collector's thread returned */
	int abandoned;                  /* run_once left threads running: free nothing */
	int once;                       /* run_once: inputs that ended are decided whole */
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
	int restored;                   /* the held lists were read from the store */

	/* Leases (engine_set_lease): the lease thread's own connection, under lease_mu. */
	char *lease_holder;
	int64_t lease_ttl, lease_hb;
	struct store *lease_store;
	pthread_mutex_t lease_mu;
	pthread_cond_t lease_cv;        /* under mu: a lease taken, tried, wanted, or a stop */
	pthread_t lease_th;
	int lease_started;
	int lease_stop;                 /* under mu */
	struct engine_hooks hooks;
};

struct engine *
engine_new(struct detector *det, struct store *store, size_t queue_cap,
    const struct engine_consumer *c)
{
	struct engine *e = xcalloc(1, sizeof *e);

	e->det = det;
	e->store = store;
	e->cons = *c;
	e->cap = queue_cap > 0 ? queue_cap : 10000;
	e->q = xcalloc(e->cap, sizeof *e->q);
	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->store_mu, NULL);
	compat_cond_init_mono(&e->not_empty);
	compat_cond_init_mono(&e->not_full);
	compat_cond_init_mono(&e->stop_cv);
	compat_cond_init_mono(&e->saved_cv);
	compat_cond_init_mono(&e->done_cv);
	compat_cond_init_mono(&e->lease_cv);
	pthread_mutex_init(&e->lease_mu, NULL);
	return e;
}

void
engine_add(struct engine *e, struct collector *c)
{
	e->col = xreallocarray(e->col, e->ncol + 1, sizeof *e->col);
	e->col[e->ncol++] = c;
}

/* A collector's input number for the detector (0 is scan's). */
static unsigned
input_of(const struct slot *s)
{
	return (unsigned)s->idx + 1;
}

static char *
held_key(struct engine *e, const struct slot *s)
{
	return xasprintf("detector:held/%s", e->col[s->idx]->name);
}

/* Findings to the consumer (ownership passes), counted. */
static void
deliver(struct engine *e, struct finding_list *l)
{
	if (l->n == 0) {
		free(l->v);
		return;
	}
	pthread_mutex_lock(&e->mu);
	e->findings += l->n;
	pthread_mutex_unlock(&e->mu);
	e->cons.findings(e->cons.ctx, l);
}

/* Save s's held entries when they changed since they were last saved. Under store_mu, on the
 * detector's thread. 0, or -1 with *err. */
static int
save_held(struct engine *e, struct slot *s, char **err)
{
	char *text, *key, *why = NULL;
	int rc, held;

	pthread_mutex_lock(&e->mu);
	held = e->lease_holder == NULL || !e->col[s->idx]->ops->leased || s->lheld;
	pthread_mutex_unlock(&e->mu);
	if (!held)
		return 0;       /* another worker polls it: its list is that worker's to save */
	text = detector_held_save(e->det, input_of(s));
	if (text == NULL ? s->held_saved == NULL :
	    s->held_saved != NULL && strcmp(text, s->held_saved) == 0) {
		free(text);
		return 0;
	}
	key = held_key(e, s);
	rc = store_cursor_set(e->store, key, text != NULL ? text : HELD_NONE, &why);
	free(key);
	if (rc != 0) {
		tf_err(err, "the GCP operations it holds were not saved: %s", why);
		free(why);
		free(text);
		return -1;
	}
	free(s->held_saved);
	s->held_saved = text;
	return 0;
}

/* The held lists of collectors that keep theirs in the store, after findings went out. A
 * failure is left for the next checkpoint, which will not move the cursor without it. */
static void
save_held_all(struct engine *e, struct slot *only)
{
	size_t i;

	if (e->store == NULL)
		return;
	for (i = 0; i < e->ncol; i++) {
		struct slot *s = &e->slots[i];
		char *err = NULL;

		if ((only != NULL && s != only) || !s->keeps_held)
			continue;
		pthread_mutex_lock(&e->store_mu);
		save_held(e, s, &err);
		pthread_mutex_unlock(&e->store_mu);
		free(err);
	}
}

/* A collector's checkpoint, on the detector's thread once everything it handed over before
 * is decided: first what the detector still holds back from it, then the cursor, so the
 * cursor never moves past a held entry that the store does not have. */
static int
checkpoint(struct engine *e, struct slot *s, const char *name, const char *value, char **err)
{
	char *key;
	int rc;

	if (e->hooks.checkpoint != NULL &&
	    e->hooks.checkpoint(e->hooks.ctx, e->col[s->idx]->name, err) != 0)
		return -1;      /* what came before it is not saved: the cursor stays */
	s->keeps_held = 1;
	pthread_mutex_lock(&e->store_mu);
	rc = save_held(e, s, err);
	if (rc == 0) {
		key = xasprintf("%s/%s", e->col[s->idx]->name, name);
		if (e->lease_holder != NULL && e->col[s->idx]->ops->leased) {
			/* Only while this worker holds its lease (in the same transaction). */
			rc = store_lease_cursor_set(e->store, e->col[s->idx]->name, e->lease_holder,
			    store_lease_now_ms(), key, value, err);
			if (rc == 0)
				tf_err(err, "the cursor was not saved: this worker's lease on it ended "
				    "(another worker polls it now)");
			rc = rc == 1 ? 0 : -1;
		} else
			rc = store_cursor_set(e->store, key, value, err);
		free(key);
	}
	pthread_mutex_unlock(&e->store_mu);
	return rc;
}

/* Detect one event of collector s on the current thread and hand the results to the
 * consumer: first the findings of held entries the event made due (they are not its own),
 * then the event, then its findings. */
static void
process(struct engine *e, struct slot *s, struct event *ev)
{
	struct finding_list found = { 0 }, own = { 0 };
	enum nodrift why;
	size_t k, i;

	detector_set_input(e->det, input_of(s));
	why = detect_event(e->det, ev, &found);
	k = detector_last_held(e->det);
	for (i = k; i < found.n; i++)
		finding_list_push(&own, found.v[i]);
	found.n = k;
	deliver(e, &found);
	if (e->cons.event != NULL)
		e->cons.event(e->cons.ctx, ev, why, own.v, own.n);
	pthread_mutex_lock(&e->mu);
	e->events++;
	if ((unsigned)why < ND__COUNT)
		s->status.outcomes[why]++;
	pthread_mutex_unlock(&e->mu);
	deliver(e, &own);
}

/* Decide what the detector holds back from collector s that is due at upto_ms (s NULL:
 * everything, the end of every input), hand the findings over, then let the store forget
 * them as held. On the detector's thread. */
static void
decide(struct engine *e, struct slot *s, int64_t upto_ms)
{
	struct finding_list rest = { 0 };

	if (s == NULL)
		detector_flush(e->det, &rest);
	else
		detector_advance(e->det, input_of(s), upto_ms, &rest);
	deliver(e, &rest);
	save_held_all(e, s);
}

/* A collector's flush marker: its input so far is complete. */
static void
flush(struct engine *e, struct slot *from)
{
	decide(e, from, INT64_MAX);
	if (e->cons.flushed != NULL)
		e->cons.flushed(e->cons.ctx, e->col[from->idx]->name);
}

/* The drain at stop: a collector whose held entries are in the store keeps them for the
 * restart (its input has not ended: the first entries may still come); the others' are
 * decided now, since nothing else would keep them. In run_once every input that was read to
 * its end is decided whole; only one stopped at the deadline keeps its held entries. */
static void
drain_end(struct engine *e)
{
	size_t i;

	for (i = 0; i < e->ncol; i++) {
		struct slot *s = &e->slots[i];
		char *err = NULL;
		int rc = -1, ended;

		pthread_mutex_lock(&e->mu);
		ended = e->once && !s->late;
		pthread_mutex_unlock(&e->mu);
		if (!ended && e->store != NULL && s->keeps_held) {
			pthread_mutex_lock(&e->store_mu);
			rc = save_held(e, s, &err);
			pthread_mutex_unlock(&e->store_mu);
			free(err);
		}
		if (rc != 0)
			decide(e, s, INT64_MAX);
	}
}

/* Before the first event: hold again what each collector held when it last checkpointed
 * (a crash, or a stop, between an operation's last entry and its first). */
static void
restore_slot(struct engine *e, struct slot *s)
{
	size_t i = s->idx;

	{
		char *key = held_key(e, s), *text = NULL, *err = NULL;
		int n;

		pthread_mutex_lock(&e->store_mu);
		n = store_cursor_get(e->store, key, &text, &err);
		pthread_mutex_unlock(&e->store_mu);
		free(key);
		if (n == 1 && (n = detector_held_restore(e->det, input_of(s), text, &err)) > 0) {
			free(s->held_saved);
			s->held_saved = text;
			s->keeps_held = 1;
			text = NULL;
		}
		if (n < 0) {
			char *m = xasprintf("%s: %s", e->col[i]->name, err);

			pthread_mutex_lock(&e->mu);
			free(s->status.last_error);
			s->status.last_error = m;
			s->status.st.last_error = m;
			s->status.st.errors++;
			pthread_mutex_unlock(&e->mu);
		}
		free(err);
		free(text);
	}
}

static void
restore_held(struct engine *e)
{
	size_t i;

	if (e->restored || e->store == NULL)
		return;
	e->restored = 1;
	for (i = 0; i < e->ncol; i++)
		/* A leased one's when this worker takes its lease (Q_LEASE): the list is its
		 * holder's. */
		if (e->lease_holder == NULL || !e->col[i]->ops->leased)
			restore_slot(e, &e->slots[i]);
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
		/* A newer state accepts drift or lost its resource: those findings go to the
		 * consumer, resolved (detect.h's contract). */
		struct finding_list res = { 0 };

		detector_refresh(e->det, ix, tf_now_ms(), &res);
		state_index_unref(ix);
		deliver(e, &res);
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
		char *err = NULL;
		int stop;

		pthread_mutex_lock(&e->mu);
		while (!e->stop && !e->refresh_now && tf_mono_ms() < next)
			if (compat_cond_wait_until(&e->stop_cv, &e->mu, next) == ETIMEDOUT)
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

/* Append an event or a marker, waiting while the queue is full. 0, or -1 (nothing queued)
 * when stopping with the queue full; a cursor marker waits anyway (the engine drains the
 * queue until every collector has returned, so room comes). */
static int
enqueue(struct engine *e, const struct qitem *it)
{
	pthread_mutex_lock(&e->mu);
	while (e->n == e->cap && (!e->stop || it->kind == Q_CURSOR))
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
	struct qitem it = { .kind = Q_EVENT };
	int rc;

	it.from = s;
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
	struct qitem it = { .kind = Q_FLUSH };

	it.from = s;
	return enqueue(s->e, &it);
}

static int
sink_watermark(void *ctx, int64_t upto_ms)
{
	struct slot *s = ctx;
	struct qitem it = { .kind = Q_WATERMARK };

	it.from = s;
	it.upto_ms = upto_ms;
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

/* Through the queue: the engine thread saves the cursor once it has decided everything
 * handed over before it (a kill -9 then loses nothing the cursor has moved past), and this
 * collector waits for it. */
static int
sink_cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	struct slot *s = ctx;
	struct engine *e = s->e;
	struct cursor_req req = { name, value, 0, 0, NULL };
	struct qitem it = { .kind = Q_CURSOR };

	if (e->store == NULL)
		return 0;       /* no store: a restart starts from the lookback again */
	if (abandoned(e))
		return tf_err(err, "left behind at the --once deadline; the store may be closed");
	it.from = s;
	it.req = &req;
	enqueue(e, &it);
	pthread_mutex_lock(&e->mu);
	while (!req.done)
		pthread_cond_wait(&e->saved_cv, &e->mu);
	pthread_mutex_unlock(&e->mu);
	if (err != NULL)
		*err = req.err;
	else
		free(req.err);
	return req.rc;
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
	int stop;

	pthread_mutex_lock(&e->mu);
	while (!e->stop && !s->llost && tf_mono_ms() < at)
		if (compat_cond_wait_until(&e->stop_cv, &e->mu, at) == ETIMEDOUT)
			break;
	stop = e->stop || s->llost;     /* a lost lease stops it as a stop does */
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
	k->watermark = sink_watermark;
	k->ctx = s;
}

/* ---- threads ---- */

/* tf_thread_stop_set's check on a collector's thread: the engine is stopping. */
static int
slot_stopping(void *ctx)
{
	struct slot *s = ctx;
	int stop;

	pthread_mutex_lock(&s->e->mu);
	stop = s->e->stop || s->llost;
	pthread_mutex_unlock(&s->e->mu);
	return stop;
}

/* ---- leases ---- */

static int start_thread(pthread_t *th, void *(*fn)(void *), void *arg);

/* The lease's line in s's status (e->mu held). */
static void lease_status(struct slot *s, int standby, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
lease_status(struct slot *s, int standby, const char *fmt, ...)
{
	va_list ap;

	free(s->status.lease);
	va_start(ap, fmt);
	s->status.lease = xvasprintf(fmt, ap);
	va_end(ap);
	s->status.standby = standby;
}

/* The lease is no longer this worker's: its collector stops (e->mu held). */
static void
lease_lose(struct engine *e, struct slot *s, int64_t now, const char *why)
{
	s->lheld = 0;
	s->llost = s->lrunning;
	s->lnext = now + e->lease_hb;
	free(s->llost_why);
	s->llost_why = xstrdup(why);
	lease_status(s, 1, "standby: lease lost (%s)", why);
	pthread_cond_broadcast(&e->stop_cv);
}

static void
lease_renew(struct engine *e, struct slot *s, int64_t now)
{
	const char *name = e->col[s->idx]->name;
	char *err = NULL;
	int rc;

	pthread_mutex_lock(&e->lease_mu);
	rc = store_lease_renew(e->lease_store, name, e->lease_holder, now, e->lease_ttl, &err);
	pthread_mutex_unlock(&e->lease_mu);
	pthread_mutex_lock(&e->mu);
	if (!s->lheld)
		;               /* released meanwhile */
	else if (rc == 1) {
		s->lexpires = now + e->lease_ttl;
		s->lnext = now + e->lease_hb;
	} else if (rc == 0)
		lease_lose(e, s, now, "another worker took it over, or it expired");
	else {
		/* Tried again sooner; given up before it expires, so that this worker has
		 * stopped polling before another may start. */
		int64_t margin = (e->lease_ttl - e->lease_hb) / 2;

		s->lnext = now + (e->lease_hb / 4 > 0 ? e->lease_hb / 4 : 1);
		if (store_lease_now_ms() >= s->lexpires - (margin > 0 ? margin : 1)) {
			char *why = xasprintf("not renewed in time: %s", err);

			lease_lose(e, s, now, why);
			free(why);
		}
	}
	pthread_mutex_unlock(&e->mu);
	free(err);
}

static void
lease_try(struct engine *e, struct slot *s, int64_t now)
{
	const char *name = e->col[s->idx]->name;
	struct store_lease cur;
	char *err = NULL;
	int rc;

	pthread_mutex_lock(&e->lease_mu);
	rc = store_lease_take(e->lease_store, name, e->lease_holder, now, e->lease_ttl, &cur, &err);
	/* Its holder on this host is gone (killed): no need to wait for the lease to expire. */
	if (rc == 0 && store_lease_holder_gone(cur.holder))
		rc = store_lease_take_over(e->lease_store, name, e->lease_holder, cur.holder, now,
		    e->lease_ttl, &err);
	pthread_mutex_unlock(&e->lease_mu);
	pthread_mutex_lock(&e->mu);
	s->ltried = 1;
	s->lfailed = rc < 0;
	s->lstood_by |= rc != 1;
	s->lnext = now + e->lease_hb;
	if (rc == 1) {
		s->lheld = 1;
		s->lexpires = now + e->lease_ttl;
		free(s->llost_why);
		s->llost_why = NULL;
		lease_status(s, 0, "polling (lease held by this worker, %s)", e->lease_holder);
	} else if (rc == 0) {
		/* Tried again when it expires, if that comes before the next heartbeat. */
		if (cur.expires_at >= now && cur.expires_at + 1 < s->lnext)
			s->lnext = cur.expires_at + 1;
		/* The loss stays said (the status is read once a second). */
		if (s->llost_why != NULL)
			lease_status(s, 1, "standby: lease lost (%s); leased by %s", s->llost_why,
			    cur.holder != NULL ? cur.holder : "another worker");
		else
			lease_status(s, 1, "standby: leased by %s", cur.holder != NULL ?
			    cur.holder : "another worker");
	} else
		lease_status(s, 1, "standby: the lease could not be taken: %s", err);
	pthread_cond_broadcast(&e->lease_cv);
	pthread_mutex_unlock(&e->mu);
	store_lease_clear(&cur);
	free(err);
}

/* The lease thread: renew what is held, try what the collectors wait for. */
static void *
lease_main(void *arg)
{
	struct engine *e = arg;
	size_t i;

	pthread_mutex_lock(&e->mu);
	while (!e->lease_stop) {
		int64_t now = store_lease_now_ms(), next = now + e->lease_hb;

		for (i = 0; i < e->ncol; i++) {
			struct slot *s = &e->slots[i];

			if (!e->col[i]->ops->leased)
				continue;
			if (s->lheld && now >= s->lnext) {
				pthread_mutex_unlock(&e->mu);
				lease_renew(e, s, now);
				pthread_mutex_lock(&e->mu);
			} else if (!s->lheld && s->lwaiting && !e->stop && now >= s->lnext) {
				pthread_mutex_unlock(&e->mu);
				lease_try(e, s, now);
				pthread_mutex_lock(&e->mu);
			}
			if ((s->lheld || (s->lwaiting && !e->stop)) && s->lnext < next)
				next = s->lnext;
		}
		if (e->lease_stop)
			break;
		now = store_lease_now_ms();
		if (next > now)
			compat_cond_wait_until(&e->lease_cv, &e->mu, tf_mono_ms() + (next - now));
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* Give the lease up (a run that ended: anyone may take it at once). */
static void
lease_release(struct engine *e, struct slot *s)
{
	char *err = NULL;
	int held;

	pthread_mutex_lock(&e->mu);
	held = s->lheld;
	s->lheld = 0;
	if (held)
		lease_status(s, 0, "lease released");
	pthread_mutex_unlock(&e->mu);
	if (!held)
		return;
	pthread_mutex_lock(&e->lease_mu);
	if (store_lease_release(e->lease_store, e->col[s->idx]->name, e->lease_holder, &err) < 0) {
		pthread_mutex_lock(&e->mu);
		lease_status(s, 0, "lease not released (it expires by itself): %s", err);
		pthread_mutex_unlock(&e->mu);
	}
	pthread_mutex_unlock(&e->lease_mu);
	free(err);
}

/* A leased collector's thread: wait for the lease, poll while it is held (reading the
 * cursor again each time it is taken). The lease is released once the engine has decided
 * what the collector handed over (stop_lease_thread). run_once: poll only when the first
 * try takes it. */
static int
run_leased(struct slot *s, struct collector *c, const struct source_sink *k)
{
	struct engine *e = s->e;
	struct qitem it = { .kind = Q_LEASE };
	int rc, lost, ran = 0;

	it.from = s;
	for (;;) {
		pthread_mutex_lock(&e->mu);
		s->lwaiting = 1;
		s->ltried = 0;
		s->lnext = 0;
		pthread_cond_broadcast(&e->lease_cv);
		while (!e->stop && !s->lheld && !(s->once && s->ltried))
			pthread_cond_wait(&e->lease_cv, &e->mu);
		s->lwaiting = 0;
		if (e->stop || !s->lheld) {
			rc = s->once && s->lfailed ? -1 : 0;
			if (rc != 0) {
				free(s->status.last_error);
				s->status.last_error = xstrdup(s->status.lease);
				s->status.st.last_error = s->status.last_error;
				s->status.st.errors++;
			}
			pthread_mutex_unlock(&e->mu);
			return rc;
		}
		s->lrunning = 1;
		/* Another worker polled it meanwhile: the engine catches up with the store
		 * (upto_ms 1), not when this worker took it at its first try. */
		it.upto_ms = ran || s->lstood_by;
		s->lstood_by = 0;
		pthread_mutex_unlock(&e->mu);
		if (ran && c->ops->reset != NULL)
			c->ops->reset(c->impl);      /* another worker may have moved its cursor */
		ran = 1;
		enqueue(e, &it);
		rc = s->once ? c->ops->poll_once(c->impl, k) : c->ops->run(c->impl, k);
		pthread_mutex_lock(&e->mu);
		s->lrunning = 0;
		lost = s->llost;
		s->llost = 0;
		pthread_mutex_unlock(&e->mu);
		if (!lost)
			return rc;      /* held until the engine has decided what it handed over */
		if (s->once)
			return -1;      /* its status says the lease was lost */
	}
}

int
engine_set_lease(struct engine *e, const struct engine_lease_opts *o, char **err)
{
	int64_t busy = o->heartbeat_ms / 2;

	if (e->store == NULL)
		return tf_err(err, "leases need a store");
	if (o->holder == NULL || o->ttl_ms <= 0 || o->heartbeat_ms <= 0 ||
	    o->heartbeat_ms >= o->ttl_ms)
		return tf_err(err, "a lease needs a holder and a heartbeat shorter than its time "
		    "to live");
	/* A renewal waits for another writer no longer than half a heartbeat. */
	if (busy > STORE_BUSY_TIMEOUT_MS)
		busy = STORE_BUSY_TIMEOUT_MS;
	if (busy < 10)
		busy = 10;
	if (store_open_ex(store_location(e->store), STORE_NOCREATE, (int)busy, &e->lease_store,
	    err) != 0)
		return -1;
	e->lease_holder = xstrdup(o->holder);
	e->lease_ttl = o->ttl_ms;
	e->lease_hb = o->heartbeat_ms;
	return 0;
}

void
engine_set_hooks(struct engine *e, const struct engine_hooks *h)
{
	e->hooks = *h;
}

static int
start_lease_thread(struct engine *e, char **err)
{
	size_t i, n = 0;
	int rc;

	if (e->lease_holder == NULL)
		return 0;
	for (i = 0; i < e->ncol; i++)
		n += e->col[i]->ops->leased != 0;
	if (n == 0)
		return 0;
	if ((rc = start_thread(&e->lease_th, lease_main, e)) != 0)
		return tf_err(err, "cannot start the lease thread: %s", strerror(rc));
	e->lease_started = 1;
	return 0;
}

/* After the engine thread drained: stop renewing, and release what is held (the held
 * lists and cursors are saved: another worker may take them at once). */
static void
stop_lease_thread(struct engine *e)
{
	size_t i;

	if (!e->lease_started)
		return;
	pthread_mutex_lock(&e->mu);
	e->lease_stop = 1;
	pthread_cond_broadcast(&e->lease_cv);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->lease_th, NULL);
	e->lease_started = 0;
	for (i = 0; i < e->ncol; i++)
		if (e->col[i]->ops->leased)
			lease_release(e, &e->slots[i]);
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
	tf_thread_stop_set(slot_stopping, s);
	http_count_throttles(&s->throttles);
	if (s->e->lease_holder != NULL && c->ops->leased)
		rc = run_leased(s, c, &k);
	else if (s->once)
		rc = c->ops->poll_once(c->impl, &k);
	else
		rc = c->ops->run(c->impl, &k);
	tf_thread_stop_set(NULL, NULL);
	http_count_throttles(NULL);
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
		switch (it.kind) {
		case Q_EVENT:
			process(e, it.from, &it.ev);
			event_free(&it.ev);
			break;
		case Q_FLUSH:
			flush(e, it.from);
			break;
		case Q_WATERMARK:
			decide(e, it.from, it.upto_ms);
			break;
		case Q_LEASE:
			/* This worker took its lease: what the other workers stored, and what its
			 * last holder held. */
			if (e->hooks.leased != NULL && it.upto_ms != 0)
				e->hooks.leased(e->hooks.ctx, e->col[it.from->idx]->name);
			if (e->store != NULL)
				restore_slot(e, it.from);
			break;
		case Q_CURSOR:
			it.req->rc = checkpoint(e, it.from, it.req->name, it.req->value, &it.req->err);
			pthread_mutex_lock(&e->mu);
			if (it.req->rc == 0)
				it.from->status.cursor_ms = tf_now_ms();
			it.req->done = 1;
			pthread_cond_broadcast(&e->saved_cv);
			pthread_mutex_unlock(&e->mu);
			break;
		}
	}
	/* GCP operations whose first entry has not come (kept, or decided: drain_end). */
	drain_end(e);
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
	restore_held(e);
	if ((rc = start_thread(&e->th, engine_main, e)) != 0)
		return tf_err(err, "cannot start the engine thread: %s", strerror(rc));
	e->started = 1;
	if (e->loader != NULL) {
		if ((rc = start_thread(&e->state_th, state_main, e)) != 0)
			return tf_err(err, "cannot start the state thread: %s", strerror(rc));
		e->state_started = 1;
		e->state_ok_ms = tf_now_ms();
	}
	if (start_lease_thread(e, err) != 0)
		return -1;
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
	size_t i, left;

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
			compat_cond_wait_until(&e->done_cv, &e->mu, until_ms);
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
	pthread_cond_broadcast(&e->lease_cv);
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
	restore_held(e);
	e->once = 1;
	if ((rc = start_thread(&e->th, engine_main, e)) != 0)
		tf_fatal("cannot start the engine thread: %s", strerror(rc));
	e->started = 1;
	{
		char *err = NULL;

		if (start_lease_thread(e, &err) != 0)
			tf_fatal("%s", err);
	}
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
		/* Out of time: sleeps return and requests abort (tf_thread_stop_set), so the late
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
	/* What was handed over is decided all the same: the engine thread drains the queue,
	 * then decides what the detector holds back from every input that ended (a late
	 * one's held entries stay in the store, as at a stop: drain_end). */
	e->drain_done = 1;
	pthread_cond_broadcast(&e->not_empty);
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->th, NULL);
	e->started = 0;
	stop_lease_thread(e);
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
	pthread_cond_broadcast(&e->lease_cv);
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
	stop_lease_thread(e);
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
		if (e->col[i]->ops->free != NULL)
			e->col[i]->ops->free(e->col[i]->impl);
		free(e->col[i]->name);
		free(e->col[i]);
		if (e->slots != NULL) {
			free(e->slots[i].status.name);
			free(e->slots[i].status.lease);
			free(e->slots[i].llost_why);
			free(e->slots[i].status.last_error);
			free(e->slots[i].held_saved);
		}
	}
	free(e->col);
	free(e->slots);
	if (e->pending_ix != NULL)
		state_index_unref(e->pending_ix);
	freeze_windows_free(e->pending_fz, e->npending_fz);
	free(e->state_error);
	store_close(e->lease_store);
	free(e->lease_holder);
	pthread_mutex_destroy(&e->lease_mu);
	pthread_cond_destroy(&e->lease_cv);
	pthread_mutex_destroy(&e->mu);
	pthread_mutex_destroy(&e->store_mu);
	pthread_cond_destroy(&e->not_empty);
	pthread_cond_destroy(&e->not_full);
	pthread_cond_destroy(&e->stop_cv);
	pthread_cond_destroy(&e->saved_cv);
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
		v[i].throttles = atomic_load(&e->slots[i].throttles);
		v[i].name = xstrdup(e->slots[i].status.name);
		v[i].last_error = xstrdup(e->slots[i].status.last_error);
		v[i].lease = xstrdup(e->slots[i].status.lease);
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
		free(s[i].lease);
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
