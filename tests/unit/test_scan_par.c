/* The ordered merge (scan_par.c): units finished in any order, by threads of any speed, come
 * out in the order they were made; a failed unit drops the rest of its input. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "scan_par.h"
#include "util.h"
#include "tap.h"

#define NUNITS 40
#define PER 5

static void
nap(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	nanosleep(&ts, NULL);
}

struct out {
	struct strbuf s;
	size_t events, ends, errors;
	struct ev_counters last;
	pthread_t merger;               /* the thread in sp_merge_run */
	size_t elsewhere;               /* events handed out by another thread */
	atomic_int inside;              /* callbacks running now */
	int overlap;                    /* ... more than one at a time, seen */
};

static void
o_event(void *ctx, size_t input, struct event *ev)
{
	struct out *o = ctx;

	if (atomic_fetch_add(&o->inside, 1) != 0)
		o->overlap = 1;
	sb_addf(&o->s, "%zu:%s ", input, ev->id);
	o->events++;
	if (!pthread_equal(pthread_self(), o->merger))
		o->elsewhere++;
	nap(50);                        /* long enough for another thread to come in */
	atomic_fetch_sub(&o->inside, 1);
}

static void
o_warn(void *ctx, size_t input, const char *msg)
{
	sb_addf(&((struct out *)ctx)->s, "%zu:w(%s) ", input, msg);
}

static void
o_error(void *ctx, size_t input, const char *msg)
{
	struct out *o = ctx;

	sb_addf(&o->s, "%zu:error(%s) ", input, msg);
	o->errors++;
}

static void
o_end(void *ctx, size_t input, const struct ev_counters *c, uint64_t ro, uint64_t ro_out)
{
	struct out *o = ctx;

	sb_addf(&o->s, "%zu:end(%llu,%llu) ", input, (unsigned long long)c->events,
	    (unsigned long long)ro);
	o->ends++;
	(void)ro_out;
	o->last = *c;
}

/* One unit's work: PER events (a warning after the second), done after `delay_us`. */
struct job {
	struct sp_merge *m;
	struct sp_unit *u;
	int k;
	long delay_us;
	int stream;                     /* hand out each event as it is made */
	int paced;                      /* the delay spread between the events */
	char *fail;
};

static void
fill(struct job *j)
{
	struct ev_counters c = { 0 };
	int e;

	for (e = 0; e < PER; e++) {
		struct event ev;

		memset(&ev, 0, sizeof ev);
		ev.id = xasprintf("u%d.%d", j->k, e);
		sp_unit_add_event(j->u, &ev);
		if (e == 1)
			sp_unit_add_warn(j->u, "w");
		if (j->stream)
			sp_unit_flush(j->m, j->u);
		if (j->stream || j->paced)
			nap(j->delay_us / PER);
		c.events++;
	}
	if (!j->stream && !j->paced)
		nap(j->delay_us);
	sp_unit_done(j->m, j->u, &c, 1, 0, j->fail);
}

static void *
run_job(void *arg)
{
	fill(arg);
	return NULL;
}

/* The maker: units made in order, each done by its own thread. */
struct maker {
	struct sp_merge *m;
	struct job jobs[NUNITS];
	pthread_t th[NUNITS];
	int slow;                       /* which unit streams slowly (-1: none) */
	int fail;                       /* which unit fails (-1: none) */
	size_t per_input;               /* units per input */
	int direct;                     /* sp_unit_new_direct, paced */
	int all_stream;                 /* every unit hands out each event as it makes it */
};

static void *
make(void *arg)
{
	struct maker *mk = arg;
	int k;

	for (k = 0; k < NUNITS; k++) {
		struct job *j = &mk->jobs[k];
		size_t input = (size_t)k / mk->per_input;

		j->m = mk->m;
		j->k = k;
		j->u = mk->direct ? sp_unit_new_direct(mk->m, input) : sp_unit_new(mk->m, input);
		j->paced = mk->direct;
		/* Later units finish first: out of order. */
		j->delay_us = mk->all_stream ? (long)(k % 3) * 400 :
		    k == mk->slow ? 200000 : (long)(NUNITS - k) * 1500;
		j->stream = k == mk->slow || mk->all_stream;
		j->fail = k == mk->fail ? xstrdup("in:3:0: read error") : NULL;
		if (pthread_create(&mk->th[k], NULL, run_job, j) != 0)
			abort();
		if ((size_t)k % mk->per_input == mk->per_input - 1)
			sp_input_end(mk->m, input);
	}
	sp_merge_finish(mk->m);
	for (k = 0; k < NUNITS; k++)
		pthread_join(mk->th[k], NULL);
	return NULL;
}

static char *
expected(struct maker *mk)
{
	struct strbuf s;
	size_t input, dropping = SIZE_MAX;
	int k, e, events = 0;

	sb_init(&s);
	sb_adds(&s, "");
	for (k = 0; k < NUNITS; k++) {
		input = (size_t)k / mk->per_input;
		if (dropping != input) {
			for (e = 0; e < PER; e++) {
				sb_addf(&s, "%zu:u%d.%d ", input, k, e);
				if (e == 1)
					sb_addf(&s, "%zu:w(w) ", input);
			}
			events += PER;
			if (k == mk->fail) {
				sb_addf(&s, "%zu:error(in:3:0: read error) ", input);
				dropping = input;
			}
		}
		if ((size_t)k % mk->per_input == mk->per_input - 1) {
			/* counters: of the units read, each with 1 read-only skipped */
			sb_addf(&s, "%zu:end(%d,%d) ", input, events, events / PER);
			events = 0;
			dropping = SIZE_MAX;
		}
	}
	return sb_detach(&s);
}

static void one_mode_x(const char *label, size_t max, size_t batches, int slow, int fail,
    size_t per_input, int direct, int all_stream);

static void
one_mode(const char *label, size_t max, size_t batches, int slow, int fail, size_t per_input,
    int direct)
{
	one_mode_x(label, max, batches, slow, fail, per_input, direct, 0);
}

static void
one_mode_x(const char *label, size_t max, size_t batches, int slow, int fail, size_t per_input,
    int direct, int all_stream)
{
	struct scan_par_cb cb;
	struct maker *mk = xcalloc(1, sizeof *mk);
	struct out o;
	pthread_t th;
	char *want;

	memset(&o, 0, sizeof o);
	sb_init(&o.s);
	sb_adds(&o.s, "");
	memset(&cb, 0, sizeof cb);
	cb.ctx = &o;
	cb.event = o_event;
	cb.warn = o_warn;
	cb.error = o_error;
	cb.end = o_end;
	mk->m = sp_merge_new(max, batches);
	mk->slow = slow;
	mk->fail = fail;
	mk->per_input = per_input;
	mk->direct = direct;
	mk->all_stream = all_stream;
	o.merger = pthread_self();
	atomic_init(&o.inside, 0);
	if (pthread_create(&th, NULL, make, mk) != 0)
		abort();
	sp_merge_run(mk->m, &cb);
	pthread_join(th, NULL);
	want = expected(mk);
	is_str(o.s.buf, want, "%s", label);
	ok(!o.overlap, "%s: one callback at a time", label);
	if (direct && all_stream)
		/* How many go out directly depends on timing (none, under a sanitizer's pace):
		 * what this case checks is the order and one callback at a time, above. */
		diag("%s: the producers handed out %zu of the %zu events themselves", label,
		    o.elsewhere, o.events);
	else if (direct)
		ok(o.elsewhere > 0 && o.elsewhere < o.events, "%s: the producers handed out "
		    "%zu of the %zu events themselves", label, o.elsewhere, o.events);
	else
		is_int(o.elsewhere, 0, "%s: all handed out by the merge's thread", label);
	if (fail >= 0)
		is_int(sp_merge_failed(mk->m), (size_t)fail / per_input, "%s: the failed input is "
		    "known", label);
	sp_merge_free(mk->m);
	free(want);
	sb_free(&o.s);
	free(mk);
}

static void
one(const char *label, size_t max, size_t batches, int slow, int fail, size_t per_input)
{
	one_mode(label, max, batches, slow, fail, per_input, 0);
}

int
main(void)
{
	one("units finished in reverse order come out in order", 1000, 4, -1, -1, NUNITS);
	one("with at most 3 units in flight", 3, 4, -1, -1, NUNITS);
	one("the first unit slow, handed out an event at a time, one batch waiting at most",
	    5, 1, 0, -1, 8);
	one("a slow unit in the middle", 6, 2, 17, -1, 8);
	one("a failed unit drops the rest of its input, not the next input's", 4, 2, -1, 10, 8);
	one("a failed slow unit", 4, 1, 9, 9, 8);
	/* Units whose producers hand out their own events once it is their turn. */
	one_mode("direct: in order", 1000, 4, -1, -1, NUNITS, 1);
	one_mode("direct: at most 3 in flight", 3, 4, -1, -1, NUNITS, 1);
	one_mode("direct: a slow streamed unit in the middle", 6, 2, 17, -1, 8, 1);
	one_mode("direct: a failed unit drops the rest of its input", 4, 2, -1, 10, 8, 1);
	one_mode("direct: a failed slow unit", 4, 1, 9, 9, 8, 1);
	/* Every unit streamed (whole inputs read by one worker each, as S3 files are), some
	 * flushing without a pause: a batch handed over just as the merge asks for the rest
	 * must not run in the merge while its producer goes on directly. */
	for (int r = 0; r < 10; r++)
		one_mode_x("direct: every unit streamed", 6, 2, -1, -1, 8, 1, 1);
	return done_testing();
}
