/* scan_par: recorded inputs read on every core, handed out in input order (scan_par.h). */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chunk.h"
#include "input.h"
#include "scan_par.h"
#include "util.h"

#define PIECE_MAX ((size_t)1 << 20)     /* bytes of JSON lines per piece, at most */
#define PIECE_MIN ((size_t)256 << 10)
#define PIECES_BYTES ((size_t)32 << 20) /* pieces in flight hold about this much text */
#define BATCH 256                       /* events a whole-input reader hands out at once */
#define BATCHES 4                       /* ... and how many batches may wait */

/* ---- the ordered merge ---- */

static _Thread_local int worker_id = -1;

struct sp_item {
	struct event ev;
	char *msg;              /* a warning instead of an event */
};

struct sp_batch {
	struct sp_item *v;
	size_t n, cap;
	int owner;              /* the worker that made it (scan_par_run's), -1 another thread */
	struct sp_batch *next;
};

enum { UK_DATA, UK_END, UK_UNOPENED };

struct sp_unit {
	struct sp_merge *m;
	size_t input;
	int kind;
	/* sp_unit_new_direct's: once the merge has reached the unit and taken all it handed
	 * over, `direct` is set and its producer hands the rest out itself (the merge waits for
	 * its end); `live`: its producer has handed out what it held and goes on directly. */
	int direct_ok;
	atomic_int direct;
	int live;
	struct sp_batch *cur;           /* being filled by its producer */
	struct sp_batch *fh, *ft;       /* ... and full ones, not handed over yet */
	struct sp_batch *bh, *bt;       /* handed over, not taken yet */
	size_t nb;
	int done;
	char *err;
	struct ev_counters cnt;
	uint64_t skipped_ro, skipped_ro_outside;
	struct sp_unit *next;
};

struct sp_merge {
	pthread_mutex_t mu;
	pthread_cond_t cv_merge;        /* a unit has more for the merge */
	pthread_cond_t cv_room;         /* the merge took something */
	struct sp_unit *uh, *ut;
	size_t live, max, batches;
	int finished;
	size_t failed;
	const struct scan_par_cb *cb;   /* sp_merge_run's, for units handed out directly */
	/* Batches handed out go here to be freed (their events were allocated by the thread
	 * that read them: freeing them is work taken off the merge), else freed by the merge. */
	void (*discard)(void *ctx, struct sp_batch *b);
	void *discard_ctx;
};

struct sp_merge *
sp_merge_new(size_t max, size_t batches)
{
	struct sp_merge *m = xcalloc(1, sizeof *m);

	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv_merge, NULL);
	pthread_cond_init(&m->cv_room, NULL);
	m->max = max > 0 ? max : 1;
	m->batches = batches > 0 ? batches : 1;
	m->failed = SIZE_MAX;
	return m;
}

static struct sp_unit *
unit_add(struct sp_merge *m, size_t input, int kind, int direct_ok)
{
	struct sp_unit *u = xcalloc(1, sizeof *u);

	u->m = m;
	u->input = input;
	u->kind = kind;
	u->direct_ok = direct_ok;
	atomic_init(&u->direct, 0);
	pthread_mutex_lock(&m->mu);
	while (kind == UK_DATA && m->live >= m->max)
		pthread_cond_wait(&m->cv_room, &m->mu);
	m->live++;
	if (m->ut != NULL)
		m->ut->next = u;
	else
		m->uh = u;
	m->ut = u;
	pthread_cond_signal(&m->cv_merge);
	pthread_mutex_unlock(&m->mu);
	return u;
}

struct sp_unit *
sp_unit_new(struct sp_merge *m, size_t input)
{
	return unit_add(m, input, UK_DATA, 0);
}

struct sp_unit *
sp_unit_new_direct(struct sp_merge *m, size_t input)
{
	return unit_add(m, input, UK_DATA, 1);
}

static struct sp_item *
item_new(struct sp_unit *u)
{
	struct sp_batch *b = u->cur;

	if (b != NULL && b->n == BATCH) {
		/* Batches of BATCH: no large block is ever reallocated and freed (which costs
		 * a consolidation of the thread's whole malloc arena). */
		if (u->ft != NULL)
			u->ft->next = b;
		else
			u->fh = b;
		u->ft = b;
		b = NULL;
	}
	if (b == NULL) {
		b = u->cur = xcalloc(1, sizeof *b);
		b->owner = worker_id;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 32;
		b->v = xreallocarray(b->v, b->cap, sizeof *b->v);
	}
	return &b->v[b->n++];
}

static void batch_free(struct sp_batch *b, int drop);

/* One item handed out by its producer (u->direct): as the merge would, then freed. */
static void
direct_one(struct sp_unit *u, struct event *ev, const char *msg)
{
	const struct scan_par_cb *cb = u->m->cb;

	if (msg != NULL) {
		if (cb->warn != NULL)
			cb->warn(cb->ctx, u->input, msg);
	} else {
		cb->event(cb->ctx, u->input, ev);
		event_free(ev);
	}
}

/* Whether the producer of u hands its items out itself now; the first time, what it held
 * goes out first (the merge took everything it handed over before it said so). */
static int
direct_now(struct sp_unit *u)
{
	struct sp_batch *b, *next;
	size_t i;

	if (u->live)
		return 1;
	if (!u->direct_ok || !atomic_load_explicit(&u->direct, memory_order_acquire))
		return 0;
	if (u->cur != NULL) {
		if (u->ft != NULL)
			u->ft->next = u->cur;
		else
			u->fh = u->cur;
		u->ft = u->cur;
		u->cur = NULL;
	}
	for (b = u->fh; b != NULL; b = next) {
		next = b->next;
		for (i = 0; i < b->n; i++) {
			direct_one(u, &b->v[i].ev, b->v[i].msg);
			free(b->v[i].msg);
		}
		batch_free(b, 0);
	}
	u->fh = u->ft = NULL;
	u->live = 1;
	return 1;
}

void
sp_unit_add_event(struct sp_unit *u, struct event *ev)
{
	struct sp_item *it;

	if (direct_now(u)) {
		direct_one(u, ev, NULL);
		return;
	}
	it = item_new(u);

	it->ev = *ev;
	it->msg = NULL;
	memset(ev, 0, sizeof *ev);
}

void
sp_unit_add_warn(struct sp_unit *u, const char *msg)
{
	struct sp_item *it;

	if (direct_now(u)) {
		direct_one(u, NULL, msg);
		return;
	}
	it = item_new(u);

	memset(&it->ev, 0, sizeof it->ev);
	it->msg = xstrdup(msg);
}

/* With m->mu held. */
static void
hand_one(struct sp_unit *u, struct sp_batch *b)
{
	if (u->bt != NULL)
		u->bt->next = b;
	else
		u->bh = b;
	u->bt = b;
	u->nb++;
}

static void
hand_batch(struct sp_merge *m, struct sp_unit *u)
{
	struct sp_batch *b, *next;

	(void)m;
	for (b = u->fh; b != NULL; b = next) {
		next = b->next;
		b->next = NULL;
		hand_one(u, b);
	}
	u->fh = u->ft = NULL;
	if (u->cur != NULL)
		hand_one(u, u->cur);
	u->cur = NULL;
}

void
sp_unit_flush(struct sp_merge *m, struct sp_unit *u)
{
	if (u->cur == NULL || u->live)
		return;
	pthread_mutex_lock(&m->mu);
	/* The merge takes the first unit's batches: a later unit waits, the first never does
	 * (it is taken as it comes), so this cannot wait forever. */
	while (u->nb >= m->batches && !atomic_load_explicit(&u->direct, memory_order_acquire))
		pthread_cond_wait(&m->cv_room, &m->mu);
	/* The merge asked for the rest (it sets `direct` with the lock held, having taken all
	 * this unit handed over): handing a batch now would have the merge run it while this
	 * thread goes on directly, so what is held goes out from here instead. */
	if (atomic_load_explicit(&u->direct, memory_order_acquire)) {
		pthread_mutex_unlock(&m->mu);
		(void)direct_now(u);
		return;
	}
	hand_batch(m, u);
	pthread_cond_signal(&m->cv_merge);
	pthread_mutex_unlock(&m->mu);
}

void
sp_unit_done(struct sp_merge *m, struct sp_unit *u, const struct ev_counters *cnt,
    uint64_t skipped_ro, uint64_t skipped_ro_outside, char *err)
{
	pthread_mutex_lock(&m->mu);
	hand_batch(m, u);
	if (cnt != NULL)
		u->cnt = *cnt;
	u->skipped_ro = skipped_ro;
	u->skipped_ro_outside = skipped_ro_outside;
	u->err = err;
	u->done = 1;
	pthread_cond_signal(&m->cv_merge);
	pthread_mutex_unlock(&m->mu);
}

void
sp_input_end(struct sp_merge *m, size_t input)
{
	struct sp_unit *u = unit_add(m, input, UK_END, 0);

	sp_unit_done(m, u, NULL, 0, 0, NULL);
}

void
sp_input_unopened(struct sp_merge *m, size_t input, char *msg)
{
	struct sp_unit *u = unit_add(m, input, UK_UNOPENED, 0);

	sp_unit_done(m, u, NULL, 0, 0, msg);
}

size_t
sp_merge_failed(struct sp_merge *m)
{
	size_t f;

	pthread_mutex_lock(&m->mu);
	f = m->failed;
	pthread_mutex_unlock(&m->mu);
	return f;
}

void
sp_merge_finish(struct sp_merge *m)
{
	pthread_mutex_lock(&m->mu);
	m->finished = 1;
	pthread_cond_signal(&m->cv_merge);
	pthread_mutex_unlock(&m->mu);
}

static void
batch_free(struct sp_batch *b, int drop)
{
	size_t i;

	for (i = 0; drop && i < b->n; i++) {
		if (b->v[i].msg == NULL)
			event_free(&b->v[i].ev);
		free(b->v[i].msg);
	}
	free(b->v);
	free(b);
}

static void
counters_add(struct ev_counters *a, const struct ev_counters *b)
{
	a->records += b->records;
	a->events += b->events;
	a->skipped += b->skipped;
	a->malformed += b->malformed;
	a->repaired += b->repaired;
}

void
sp_merge_run(struct sp_merge *m, const struct scan_par_cb *cb)
{
	struct ev_counters acc = { 0 };
	uint64_t acc_ro = 0, acc_out = 0;
	size_t dropping = SIZE_MAX, i;

	pthread_mutex_lock(&m->mu);
	m->cb = cb;
	pthread_mutex_unlock(&m->mu);
	for (;;) {
		struct sp_unit *u;
		struct sp_batch *b;

		pthread_mutex_lock(&m->mu);
		for (;;) {
			u = m->uh;
			if (u != NULL ? u->bh != NULL || u->done : m->finished)
				break;
			if (u != NULL && u->direct_ok && dropping != u->input) {
				/* Its producer hands the rest out (while this thread waits, so the
				 * callbacks still run one at a time): each event is used and freed
				 * by the thread that made it, while it is in that core's cache.
				 * What was made goes out first: after `direct`, only the producer
				 * may call back. */
				if (cb->flush != NULL && !atomic_load_explicit(&u->direct,
				    memory_order_relaxed)) {
					pthread_mutex_unlock(&m->mu);
					cb->flush(cb->ctx);
					pthread_mutex_lock(&m->mu);
					if (m->uh != u || u->bh != NULL || u->done)
						continue;
				}
				atomic_store_explicit(&u->direct, 1, memory_order_release);
				pthread_cond_wait(&m->cv_merge, &m->mu);
				continue;
			}
			/* Waiting: what was made goes out first (a consumer of a stream sees
			 * findings as they are made). */
			if (cb->flush != NULL) {
				pthread_mutex_unlock(&m->mu);
				cb->flush(cb->ctx);
				pthread_mutex_lock(&m->mu);
				u = m->uh;
				if (u != NULL ? u->bh != NULL || u->done : m->finished)
					break;
			}
			pthread_cond_wait(&m->cv_merge, &m->mu);
		}
		if (u == NULL) {
			pthread_mutex_unlock(&m->mu);
			return;
		}
		if ((b = u->bh) != NULL) {
			if ((u->bh = b->next) == NULL)
				u->bt = NULL;
			u->nb--;
			pthread_cond_broadcast(&m->cv_room);
			pthread_mutex_unlock(&m->mu);
			for (i = 0; i < b->n && dropping != u->input; i++) {
				if (b->v[i].msg != NULL) {
					if (cb->warn != NULL)
						cb->warn(cb->ctx, u->input, b->v[i].msg);
				} else
					cb->event(cb->ctx, u->input, &b->v[i].ev);
			}
			if (m->discard != NULL)
				m->discard(m->discard_ctx, b);
			else
				batch_free(b, 1);
			continue;
		}
		m->uh = u->next;
		if (m->uh == NULL)
			m->ut = NULL;
		m->live--;
		pthread_cond_broadcast(&m->cv_room);
		pthread_mutex_unlock(&m->mu);
		switch (u->kind) {
		case UK_UNOPENED:
			cb->error(cb->ctx, u->input, u->err);
			break;
		case UK_END:
			if (cb->end != NULL)
				cb->end(cb->ctx, u->input, &acc, acc_ro, acc_out);
			memset(&acc, 0, sizeof acc);
			acc_ro = acc_out = 0;
			dropping = SIZE_MAX;
			break;
		default:
			if (dropping == u->input)
				break;
			counters_add(&acc, &u->cnt);
			acc_ro += u->skipped_ro;
			acc_out += u->skipped_ro_outside;
			if (u->err != NULL) {
				cb->error(cb->ctx, u->input, u->err);
				dropping = u->input;
				pthread_mutex_lock(&m->mu);
				m->failed = u->input;
				pthread_mutex_unlock(&m->mu);
			}
			break;
		}
		free(u->err);
		free(u);
	}
}

void
sp_merge_free(struct sp_merge *m)
{
	struct sp_unit *u, *next;
	struct sp_batch *b, *bn;

	if (m == NULL)
		return;
	for (u = m->uh; u != NULL; u = next) {
		next = u->next;
		for (b = u->bh; b != NULL; b = bn) {
			bn = b->next;
			batch_free(b, 1);
		}
		for (b = u->fh; b != NULL; b = bn) {
			bn = b->next;
			batch_free(b, 1);
		}
		if (u->cur != NULL)
			batch_free(u->cur, 1);
		free(u->err);
		free(u);
	}
	pthread_cond_destroy(&m->cv_room);
	pthread_cond_destroy(&m->cv_merge);
	pthread_mutex_destroy(&m->mu);
	free(m);
}

/* ---- the readers ---- */

enum { T_PIECE, T_READER };

struct task {
	int kind;
	struct sp_unit *u;
	const char *name;
	struct chunk ch;                /* T_PIECE */
	struct ev_reader *r;            /* T_READER: read to its end */
	struct task *next;
};

struct par {
	const char *const *paths;
	size_t n;
	const struct scan_par_opts *o;
	size_t piece;
	struct sp_merge *m;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct task *th, *tt;
	struct sp_batch **trash;        /* per worker: handed out, freed by the worker that
	                                   made them (its malloc arena, not the merge's time) */
	int quit;
};

static const char *
input_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

static void
task_push(struct par *p, struct task *t)
{
	pthread_mutex_lock(&p->mu);
	if (p->tt != NULL)
		p->tt->next = t;
	else
		p->th = t;
	p->tt = t;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void
unit_warn(void *ctx, const char *msg)
{
	sp_unit_add_warn(ctx, msg);
}

/*
 * A worker frees the events it made once the merge is done with them (trash), an event or two
 * after each one it reads rather than a batch at a time: glibc's malloc keeps small freed
 * blocks in fast bins, and the next large request consolidates all of them, so freeing in
 * bulk costs far more than freeing as one reader does (about a third more CPU in all).
 */
struct trash {
	struct par *p;
	struct sp_batch *b;             /* being freed */
	size_t i;
	unsigned idle;                  /* events read since the shared list was looked at */
};

static void
trash_some(struct trash *t, size_t n)
{
	while (n > 0) {
		if (t->b != NULL && t->i == t->b->n) {
			struct sp_batch *next = t->b->next;

			batch_free(t->b, 0);
			t->b = next;
			t->i = 0;
			continue;
		}
		if (t->b == NULL) {
			if (t->idle++ % 64 != 0)
				return;
			pthread_mutex_lock(&t->p->mu);
			t->b = t->p->trash[worker_id];
			t->p->trash[worker_id] = NULL;
			pthread_mutex_unlock(&t->p->mu);
			t->i = 0;
			if (t->b == NULL)
				return;
		}
		if (t->b->v[t->i].msg == NULL)
			event_free(&t->b->v[t->i].ev);
		free(t->b->v[t->i].msg);
		t->i++;
		n--;
	}
}

/* What is left of the list being freed. */
static void
trash_drop(struct trash *t)
{
	while (t->b != NULL) {
		struct sp_batch *next = t->b->next;

		for (; t->i < t->b->n; t->i++) {
			if (t->b->v[t->i].msg == NULL)
				event_free(&t->b->v[t->i].ev);
			free(t->b->v[t->i].msg);
		}
		batch_free(t->b, 0);
		t->b = next;
		t->i = 0;
	}
}

/* Read r to its end into u (handed out in batches when `stream`), then done. */
static void
read_all(struct sp_merge *m, struct sp_unit *u, struct ev_reader *r, int stream,
    struct trash *tr)
{
	struct event ev;
	char *err = NULL;
	size_t k = 0;
	int got;

	ev_reader_set_warn(r, unit_warn, u);
	while ((got = ev_reader_next(r, &ev, &err)) == 1) {
		sp_unit_add_event(u, &ev);
		if (stream && ++k % BATCH == 0)
			sp_unit_flush(m, u);
		if (tr != NULL)
			trash_some(tr, 2);
	}
	sp_unit_done(m, u, ev_reader_counters(r), ev_reader_skipped_read_only(r),
	    ev_reader_skipped_read_only_outside(r), got < 0 ? err : NULL);
	ev_reader_close(r);
}

struct worker_arg {
	struct par *p;
	int id;
};

static void
trash_free(struct sp_batch *b)
{
	struct sp_batch *next;

	for (; b != NULL; b = next) {
		next = b->next;
		batch_free(b, 1);
	}
}

/* The caller's settings, on every reader. */
static void
reader_setup(struct ev_reader *r, const struct scan_par_opts *o)
{
	ev_reader_set_skip_read_only(r, o->skip_read_only);
	if (o->window)
		ev_reader_set_window(r, o->since, o->until);
}

/* Before a whole input read by a worker is read again (it may wait on a pipe): once it is
 * this unit's turn, what its worker holds goes out, and what the callbacks wrote is flushed,
 * as one reader's would be (the merge, waiting for the unit, does not flush meanwhile). */
static void
direct_before_read(void *ctx)
{
	struct sp_unit *u = ctx;

	struct sp_merge *m = u->m;
	int head;

	if (direct_now(u)) {
		if (m->cb->flush != NULL)
			m->cb->flush(m->cb->ctx);
		return;
	}
	/* Not yet: if the merge waits for this unit, what is held goes to it now (it hands it
	 * out and flushes) rather than after the wait. A later unit keeps its batch. */
	pthread_mutex_lock(&m->mu);
	head = m->uh == u;
	pthread_mutex_unlock(&m->mu);
	if (head)
		sp_unit_flush(m, u);
}

static void *
worker(void *arg)
{
	struct worker_arg *wa = arg;
	struct par *p = wa->p;
	struct trash tr = { p, NULL, 0, 0 };
	struct sp_batch *trash;
	struct task *t;

	worker_id = wa->id;
	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (p->th == NULL && p->trash[worker_id] == NULL && tr.b == NULL && !p->quit)
			pthread_cond_wait(&p->cv, &p->mu);
		if ((t = p->th) == NULL) {
			/* Idle: what is left to free goes now; after the merge, nothing comes. */
			int quit = p->quit;

			trash = p->trash[worker_id];
			p->trash[worker_id] = NULL;
			pthread_mutex_unlock(&p->mu);
			trash_drop(&tr);
			trash_free(trash);
			if (quit)
				return NULL;
			continue;
		}
		if ((p->th = t->next) == NULL)
			p->tt = NULL;
		pthread_mutex_unlock(&p->mu);
		if (t->kind == T_PIECE) {
			struct ev_reader *r = ev_reader_open_lines(t->name, t->ch.buf, t->ch.len,
			    t->ch.line, t->ch.col, NULL);

			reader_setup(r, p->o);
			read_all(p->m, t->u, r, 0, &tr);
		} else {
			ev_reader_set_before_read(t->r, direct_before_read, t->u);
			read_all(p->m, t->u, t->r, 1, &tr);
		}
		free(t);
	}
}

static void
discard(void *ctx, struct sp_batch *b)
{
	struct par *p = ctx;

	if (b->owner < 0) {
		batch_free(b, 1);
		return;
	}
	pthread_mutex_lock(&p->mu);
	b->next = p->trash[b->owner];
	p->trash[b->owner] = b;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void
add_reader(struct par *p, size_t i, struct ev_reader *r)
{
	struct task *t = xcalloc(1, sizeof *t);

	t->kind = T_READER;
	t->r = r;
	t->u = sp_unit_new_direct(p->m, i);
	task_push(p, t);
}

/* JSON lines from where r stands: its pending first value, then pieces. */
static void
split_lines(struct par *p, size_t i, struct ev_reader *r)
{
	const char *name = input_name(p->paths[i]);
	struct sp_unit *u = sp_unit_new(p->m, i);
	struct ev_lines_rest rest;
	struct chunker c;
	struct event ev;

	ev_reader_set_warn(r, unit_warn, u);
	if (ev_reader_next_pending(r, &ev) == 1)
		sp_unit_add_event(u, &ev);
	ev_reader_take_rest(r, &rest);
	sp_unit_done(p->m, u, ev_reader_counters(r), ev_reader_skipped_read_only(r),
	    ev_reader_skipped_read_only_outside(r), NULL);
	ev_reader_close(r);
	chunker_init(&c, &rest, p->piece, TF_MAX_RECORD + 2 * p->piece);
	for (;;) {
		struct task *t;
		uint64_t line = 0;
		char *err = NULL;
		int rc;

		if (sp_merge_failed(p->m) == i)
			break;          /* a piece failed: nothing more is read */
		t = xcalloc(1, sizeof *t);
		t->name = name;
		rc = chunker_next(&c, &t->ch, &err, &line, &rest);
		if (rc == 1) {
			t->kind = T_PIECE;
			t->u = sp_unit_new_direct(p->m, i);
			task_push(p, t);
			continue;
		}
		free(t);
		if (rc == 2) {
			/* A line too long to cut around: the rest is read whole. */
			r = ev_reader_open_lines(name, rest.buf, rest.len, rest.line, rest.col,
			    rest.in);
			reader_setup(r, p->o);
			add_reader(p, i, r);
		} else if (rc < 0) {
			u = sp_unit_new(p->m, i);
			sp_unit_done(p->m, u, NULL, 0, 0, tf_locf(name, (unsigned long long)line, 0, "%s",
			    err));
			free(err);
		}
		break;
	}
	chunker_free(&c);
}

static void *
reader(void *arg)
{
	struct par *p = arg;
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct ev_reader *r;
		char *err = NULL;

		if ((r = ev_reader_open(p->paths[i], &err)) == NULL) {
			sp_input_unopened(p->m, i, err);
			continue;
		}
		reader_setup(r, p->o);
		if (ev_reader_at_line(r))
			split_lines(p, i, r);
		else
			add_reader(p, i, r);
		sp_input_end(p->m, i);
	}
	sp_merge_finish(p->m);
	return NULL;
}

unsigned
scan_par_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	return n > SCAN_JOBS_MAX ? SCAN_JOBS_MAX : (unsigned)n;
}

/* --jobs 1: one reader per input in the calling thread, as it always was. */
struct serial_warn {
	const struct scan_par_cb *cb;
	size_t input;
};

static void
serial_warn(void *ctx, const char *msg)
{
	struct serial_warn *w = ctx;

	if (w->cb->warn != NULL)
		w->cb->warn(w->cb->ctx, w->input, msg);
}

static void
serial_run(const char *const *paths, size_t n, const struct scan_par_opts *o,
    const struct scan_par_cb *cb)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct serial_warn w = { cb, i };
		struct ev_reader *r;
		struct event ev;
		char *err = NULL;
		int got;

		if ((r = ev_reader_open(paths[i], &err)) == NULL) {
			cb->error(cb->ctx, i, err);
			free(err);
			continue;
		}
		ev_reader_set_warn(r, serial_warn, &w);
		if (cb->flush != NULL)
			ev_reader_set_before_read(r, cb->flush, cb->ctx);
		reader_setup(r, o);
		while ((got = ev_reader_next(r, &ev, &err)) == 1) {
			cb->event(cb->ctx, i, &ev);
			event_free(&ev);
		}
		if (got < 0) {
			cb->error(cb->ctx, i, err);
			free(err);
		}
		if (cb->end != NULL)
			cb->end(cb->ctx, i, ev_reader_counters(r), ev_reader_skipped_read_only(r),
			    ev_reader_skipped_read_only_outside(r));
		ev_reader_close(r);
	}
}

void
scan_par_run(const char *const *paths, size_t n, const struct scan_par_opts *o,
    const struct scan_par_cb *cb)
{
	struct par p;
	pthread_t rd, *wk;
	struct worker_arg *wa;
	int o_piece_set = 0;
	size_t live, k;
	unsigned jobs = o->jobs > SCAN_JOBS_MAX ? SCAN_JOBS_MAX : o->jobs;

	if (jobs <= 1) {
		serial_run(paths, n, o, cb);
		return;
	}
	memset(&p, 0, sizeof p);
	p.paths = paths;
	p.n = n;
	p.o = o;
	/* Two pieces per worker in flight, the next ones read meanwhile; pieces shrink with
	 * many workers, so the text in flight (and the events made of it) stays bounded. */
	live = 2 * (size_t)jobs + 2;
	p.piece = o->chunk > 0 ? o->chunk : PIECES_BYTES / live;
	if (getenv("TFDRIFT_SCAN_PIECE") != NULL && o->chunk == 0) {
		/* For tests: small pieces, to cut the small samples in many places. */
		p.piece = strtoul(getenv("TFDRIFT_SCAN_PIECE"), NULL, 10);
		o_piece_set = 1;
	}
	if (!o_piece_set && o->chunk == 0 && p.piece > PIECE_MAX)
		p.piece = PIECE_MAX;
	if (!o_piece_set && o->chunk == 0 && p.piece < PIECE_MIN)
		p.piece = PIECE_MIN;
	if (p.piece == 0)
		p.piece = 1;
	p.m = sp_merge_new(live, BATCHES);
	p.m->discard = discard;
	p.m->discard_ctx = &p;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	wk = xcalloc(jobs, sizeof *wk);
	wa = xcalloc(jobs, sizeof *wa);
	p.trash = xcalloc(jobs, sizeof *p.trash);
	for (k = 0; k < jobs; k++) {
		wa[k].p = &p;
		wa[k].id = (int)k;
		if (pthread_create(&wk[k], NULL, worker, &wa[k]) != 0)
			tf_fatal("cannot start a thread");
	}
	if (pthread_create(&rd, NULL, reader, &p) != 0)
		tf_fatal("cannot start a thread");
	sp_merge_run(p.m, cb);
	pthread_join(rd, NULL);
	pthread_mutex_lock(&p.mu);
	p.quit = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	for (k = 0; k < jobs; k++)
		pthread_join(wk[k], NULL);
	for (k = 0; k < jobs; k++)
		trash_free(p.trash[k]);
	free(p.trash);
	free(wa);
	free(wk);
	sp_merge_free(p.m);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
}
