/* replay: the engine thread: recorded events -> detector -> finding queue -> wake pipe. */
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

struct replay {
	/* Immutable once started (read by the worker). */
	struct event *evs;
	size_t nev;
	struct detector *det;   /* worker thread only once started */
	struct replay_opts o;
	int wake_r, wake_w;
	pthread_t th;
	int started;

	/* Guarded by mu. */
	pthread_mutex_t mu;
	pthread_cond_t cv;      /* signalled on stop */
	int stop;
	struct finding_list q;
	struct replay_progress prog;
	char *error;
};

static int
ev_time_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return 0;
}

struct replay *
replay_new(char **files, size_t nfiles, struct detector *det, const struct replay_opts *o,
    char **err)
{
	struct replay *r = xcalloc(1, sizeof *r);
	pthread_condattr_t ca;
	size_t i, cap = 0;
	int fds[2];

	r->det = det;
	r->o = *o;
	r->wake_r = r->wake_w = -1;
	for (i = 0; i < nfiles; i++) {
		struct ev_reader *rd = ev_reader_open(files[i], err);
		struct event ev;
		int got;

		if (rd == NULL)
			goto fail;
		while ((got = ev_reader_next(rd, &ev, err)) == 1) {
			if (r->nev == cap) {
				cap = cap ? cap * 2 : 64;
				r->evs = xreallocarray(r->evs, cap, sizeof *r->evs);
			}
			r->evs[r->nev++] = ev;
		}
		ev_reader_close(rd);
		if (got < 0)
			goto fail;
	}
	/* Stable enough: events with equal times keep no particular order, which is fine. */
	if (r->nev > 1)
		qsort(r->evs, r->nev, sizeof *r->evs, ev_time_cmp);
	if (pipe(fds) != 0) {
		tf_err(err, "wake pipe: %s", strerror(errno));
		goto fail;
	}
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
	r->prog.total = r->nev;
	return r;
fail:
	for (i = 0; i < r->nev; i++)
		event_free(&r->evs[i]);
	free(r->evs);
	if (r->wake_r >= 0) {
		close(r->wake_r);
		close(r->wake_w);
	}
	free(r);
	return NULL;
}

int
replay_wake_fd(const struct replay *r)
{
	return r->wake_r;
}

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
	while (!r->stop && mono_ms() < at_ms)
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

/* Hand findings over (ownership passes) and update progress under the lock. */
static void
publish(struct replay *r, struct finding_list *found, uint64_t done, unsigned pass, int finished)
{
	size_t i;

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < found->n; i++)
		finding_list_push(&r->q, found->v[i]);
	r->prog.findings += found->n;
	r->prog.done = done;
	r->prog.pass = pass;
	r->prog.finished = finished;
	pthread_mutex_unlock(&r->mu);
	found->n = 0;
	wake(r);
}

static void *
worker(void *arg)
{
	struct replay *r = arg;
	struct finding_list found = { 0 };
	int64_t span = 0, shift_step, start, at, prev_t;
	unsigned pass;
	size_t i;

	if (r->nev > 1)
		span = r->evs[r->nev - 1].time_ms - r->evs[0].time_ms;
	shift_step = span + 60000;
	for (pass = 0; r->o.passes == 0 || pass < r->o.passes; pass++) {
		start = at = mono_ms();
		prev_t = r->nev > 0 ? r->evs[0].time_ms : 0;
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
					goto out;
			} else {
				pthread_mutex_lock(&r->mu);
				if (r->stop) {
					pthread_mutex_unlock(&r->mu);
					goto out;
				}
				pthread_mutex_unlock(&r->mu);
			}
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
			detect_event(r->det, &ev, &found);
			free(id);
			free(op);
			if (found.n > 0 || r->o.pace_ms > 0 || (i % 256) == 255)
				publish(r, &found, i + 1, pass, 0);
		}
		detector_flush(r->det, &found);
		publish(r, &found, r->nev, pass, 0);
		if (r->o.passes != 0 && pass + 1 >= r->o.passes)
			break;
		if (wait_until(r, (r->o.pace_ms > 0 ? mono_ms() : start) + PASS_GAP_MS))
			goto out;
	}
out:
	publish(r, &found, r->prog.done, pass, 1);
	finding_list_clear(&found);
	free(found.v);
	return NULL;
}

int
replay_start(struct replay *r, char **err)
{
	int e;

	if ((e = pthread_create(&r->th, NULL, worker, r)) != 0)
		return tf_err(err, "cannot start the replay thread: %s", strerror(e));
	r->started = 1;
	return 0;
}

void
replay_take(struct replay *r, struct finding_list *out)
{
	char buf[256];
	size_t i;

	while (read(r->wake_r, buf, sizeof buf) > 0)
		;
	pthread_mutex_lock(&r->mu);
	for (i = 0; i < r->q.n; i++)
		finding_list_push(out, r->q.v[i]);
	r->q.n = 0;
	pthread_mutex_unlock(&r->mu);
}

void
replay_progress(struct replay *r, struct replay_progress *p, char **err)
{
	pthread_mutex_lock(&r->mu);
	*p = r->prog;
	if (err != NULL)
		*err = xstrdup(r->error);
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
	for (i = 0; i < r->nev; i++)
		event_free(&r->evs[i]);
	free(r->evs);
	free(r->error);
	close(r->wake_r);
	close(r->wake_w);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}
