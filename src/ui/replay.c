/* replay: the dashboard's side of the engine: one consumer for files, the demo and live
 * sources, queues and a wake pipe for the UI thread, and progress and source health read from
 * the files collector's statistics or the engine's health table. `mu` guards everything the
 * consumer and the collector's hook write (see replay.h for the threads). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/files.h"
#include "compat.h"
#include "replay.h"
#include "store.h"
#include "util.h"
#include "value.h"

/* A small queue: a stop drains what is queued through the detector, so it stays quick. */
#define REPLAY_QUEUE 1024
#define WAKE_MS 50              /* a backlog wakes the UI at most this often */

struct replay {
	/* Set before replay_start, then read-only. */
	struct engine *eng;             /* files: ours; live: the caller's (attached) */
	int own_eng;
	struct files_replay *files;     /* files: the collector's statistics (the engine owns it) */
	struct detector *det;           /* the engine's: resource keys of events (engine thread) */
	int wake_r, wake_w;

	/* The engine thread only (the consumer). */
	int unwoken;                    /* something was queued since the last wake */
	int64_t woke_ms;                /* tf_mono_ms of the last wake */

	/* Guarded by mu. */
	pthread_mutex_t mu;
	struct finding_list q;
	struct ui_event_list eq;
	uint64_t findings;              /* handed to the UI so far */
	uint64_t events;                /* write events summarized, all passes */
	int64_t latest_ms;              /* the newest event time summarized */
	uint64_t flushed;               /* the collector's flush markers the engine reached */
};

void
ui_event_free(struct ui_event *e)
{
	size_t i;

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
	for (i = 0; i < e->nkeys; i++)
		free(e->keys[i]);
	free(e->keys);
	for (i = 0; i < e->nchanges; i++) {
		free(e->changes[i].key);
		free(e->changes[i].attr);
		free(e->changes[i].state);
		free(e->changes[i].value);
	}
	free(e->changes);
	free(e->error);
	free(e->raw);
	memset(e, 0, sizeof *e);
}

int
ui_event_touches(const struct ui_event *e, const char *key)
{
	size_t i;

	for (i = 0; i < e->nkeys; i++)
		if (strcmp(e->keys[i], key) == 0)
			return 1;
	return e->nkeys == 0 && e->resource != NULL && strcmp(e->resource, key) == 0;
}

void
ui_event_list_clear(struct ui_event_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ui_event_free(&l->v[i]);
	l->n = 0;
}

void
ui_event_list_push(struct ui_event_list *l, struct ui_event *e)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof *l->v);
	}
	l->v[l->n++] = *e;
}

/* Write one byte to the wake pipe (any thread; a full pipe already means "wake up"). */
static void
wake(struct replay *r)
{
	char c = 1;
	ssize_t n;

	do
		n = write(r->wake_w, &c, 1);
	while (n < 0 && errno == EINTR);
}

/* The collector's statistics changed (collector thread): redraw the progress. */
static void
files_changed(void *ctx)
{
	wake(ctx);
}

/* Add key (taken) to the event's resources unless it is there. */
static void
add_key(struct ui_event *out, char *key)
{
	size_t i;

	if (key == NULL)
		return;
	for (i = 0; i < out->nkeys; i++)
		if (strcmp(out->keys[i], key) == 0) {
			free(key);
			return;
		}
	out->keys = xreallocarray(out->keys, out->nkeys + 1, sizeof *out->keys);
	out->keys[out->nkeys++] = key;
}

struct change_ctx {
	const struct event *ev;
	struct ui_event *out;
};

static struct ui_evchange *
add_change(struct ui_event *out, const char *key, const char *attr)
{
	struct ui_evchange *c;

	out->changes = xreallocarray(out->changes, out->nchanges + 1, sizeof *out->changes);
	c = &out->changes[out->nchanges++];
	memset(c, 0, sizeof *c);
	c->key = xstrdup(key);
	c->attr = xstrdup(attr);
	return c;
}

/* detector_each_instance's callback: what the event (the part of it that names the instance,
 * for a batch) sets on one managed instance, as detection reads it (the map's attributes,
 * computed side effects left out). */
static void
on_instance(void *ctx, const struct event *part, const struct em_entry *e,
    enum em_action action, const struct tf_instance *in)
{
	struct change_ctx *c = ctx;
	size_t i;

	if (in->address == NULL)
		return;
	add_key(c->out, xstrdup(in->address));
	if (action == EM_DELETE) {
		add_change(c->out, in->address, NULL);
		return;
	}
	for (i = 0; i < e->nattrs; i++) {
		const struct em_attr *a = &e->attrs[i];
		struct ui_evchange *ch;
		json_object *nv, *sv, *delta = NULL;
		int present, sens;

		if (a->computed)
			continue;
		nv = detect_attr_new_value(a, part, in, &present);
		if (!present) {
			json_object_put(nv);
			continue;
		}
		sens = a->sensitive || a->transform == VT_REDACTED || tfstate_is_sensitive(in, a->name);
		sv = val_from_state(a->state_transform, tfstate_attr(in, a->name));
		if (action == EM_SET_ADD) {
			/* The members it adds that state does not have, else all it names (the
			 * pipeline putting them back). */
			delta = nv != NULL ? val_set_minus(nv, sv) : NULL;
			if (val_empty(delta)) {
				json_object_put(delta);
				delta = NULL;
			}
		}
		ch = add_change(c->out, in->address, a->name);
		ch->sensitive = sens;
		ch->kind = action == EM_SET_ADD ? CH_ADDED : action == EM_SET_REMOVE ? CH_REMOVED :
		    CH_MODIFIED;
		ch->state = finding_value_text(sv, sens);
		ch->value = finding_value_text(delta != NULL ? delta : nv, sens);
		json_object_put(delta);
		json_object_put(nv);
		json_object_put(sv);
	}
}

/* The Events view's record of one event and what the detector made of it. */
static void
summarize(struct detector *det, const struct event *ev, enum nodrift why, struct finding **fv,
    size_t nf, struct ui_event *out)
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
	if (ev->raw != NULL)
		out->raw = xstrdup(json_object_to_json_string_ext(ev->raw, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE));
	out->provider = ev->provider;
	out->via = ev->actor.via;
	out->why = why;
	out->worst = -1;
	/* A resolution is handed on as the finding it resolves (detect.h): not made here. */
	for (i = 0; i < nf; i++) {
		if (fv[i]->status == ST_RESOLVED)
			out->nresolved++;
		else {
			out->nfindings++;
			if ((int)fv[i]->severity > out->worst)
				out->worst = (int)fv[i]->severity;
		}
	}
	/* The resource as the Resource view names it: drift's, else what the maps resolve
	 * (a Terraform apply, a failed call and a change equal to state touch one too). */
	if (nf > 0)
		out->resource = store_resource_key(fv[0]);
	else if (det != NULL)
		out->resource = detector_seen_key(det, ev);
	/* Every resource it touched, and what it set on the managed ones. */
	for (i = 0; i < nf; i++)
		add_key(out, store_resource_key(fv[i]));
	if (out->resource != NULL)
		add_key(out, xstrdup(out->resource));
	if (det != NULL) {
		struct change_ctx c = { ev, out };

		add_key(out, detector_seen_key(det, ev));
		detector_each_instance(det, ev, on_instance, &c);
	}
}

void
replay_summarize(struct detector *det, const struct event *ev, enum nodrift why,
    struct finding **fv, size_t nf, struct ui_event *out)
{
	summarize(det, ev, why, fv, nf, out);
}

/* ---- the engine's consumer (engine thread) ---- */

/* Wake the UI for what was queued: at once when the engine has caught up (nothing queued
 * behind this event), else at most every WAKE_MS, so a backlog does not make the UI rebuild
 * its lists for every event. */
static void
wake_soon(struct replay *r)
{
	struct engine_counts c;
	int64_t now;

	if (!r->unwoken)
		return;
	now = tf_mono_ms();
	engine_counts(r->eng, &c);
	if (c.queued == 0 || now - r->woke_ms >= WAKE_MS) {
		r->unwoken = 0;
		r->woke_ms = now;
		wake(r);
	}
}

static void
on_findings(void *ctx, struct finding_list *l)
{
	struct replay *r = ctx;
	size_t i;

	pthread_mutex_lock(&r->mu);
	for (i = 0; i < l->n; i++)
		finding_list_push(&r->q, l->v[i]);
	r->findings += l->n;
	pthread_mutex_unlock(&r->mu);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	r->unwoken = 1;
	wake_soon(r);
}

/* Every event but read-only ones and duplicates gets a line in the Events view. */
static void
on_event(void *ctx, const struct event *ev, enum nodrift why, struct finding **fv, size_t nf)
{
	struct replay *r = ctx;
	struct ui_event ue;

	if (why != ND_DUPLICATE && why != ND_READ_ONLY) {
		summarize(r->det, ev, why, fv, nf, &ue);
		pthread_mutex_lock(&r->mu);
		ui_event_list_push(&r->eq, &ue);
		r->events++;
		if (ev->time_ms > r->latest_ms)
			r->latest_ms = ev->time_ms;
		pthread_mutex_unlock(&r->mu);
		r->unwoken = 1;
	}
	if (nf == 0)
		wake_soon(r);   /* with findings, on_findings does right after */
}

/* What was handed over before the collector's flush is decided: "done" may follow. */
static void
on_flushed(void *ctx, const char *collector)
{
	struct replay *r = ctx;

	pthread_mutex_lock(&r->mu);
	r->flushed++;
	pthread_mutex_unlock(&r->mu);
	r->unwoken = 0;
	r->woke_ms = tf_mono_ms();
	wake(r);
}

void
replay_engine_consumer(struct replay *r, struct engine_consumer *c)
{
	c->findings = on_findings;
	c->event = on_event;
	c->flushed = on_flushed;
	c->ctx = r;
}

/* The queues, lock and wake pipe every replay has. */
static struct replay *
new_common(char **err)
{
	struct replay *r;
	int fds[2];

	if (compat_pipe(fds, 1) != 0)
		return tf_err(err, "wake pipe: %s", strerror(errno)), NULL;
	r = xcalloc(1, sizeof *r);
	r->wake_r = fds[0];
	r->wake_w = fds[1];
	pthread_mutex_init(&r->mu, NULL);
	return r;
}

struct replay *
replay_new(char **files, size_t nfiles, struct detector *det, const struct replay_opts *o,
    char **err)
{
	struct files_replay_opts fo;
	struct engine_consumer cons;
	struct collector *c;
	struct replay *r;

	if ((r = new_common(err)) == NULL)
		return NULL;
	memset(&fo, 0, sizeof fo);
	fo.pace_ms = o->pace_ms;
	fo.passes = o->passes;
	fo.since_ms = o->since_ms;
	fo.until_ms = o->until_ms;
	fo.shift_to_now = o->shift_to_now;
	fo.changed = files_changed;
	fo.changed_ctx = r;
	if ((c = files_replay_new("replay", files, nfiles, &fo, &r->files, err)) == NULL) {
		replay_free(r);
		return NULL;
	}
	r->det = det;
	replay_engine_consumer(r, &cons);
	r->eng = engine_new(det, NULL, REPLAY_QUEUE, &cons);
	r->own_eng = 1;
	engine_add(r->eng, c);
	return r;
}

struct replay *
replay_new_live(struct detector *det, char **err)
{
	struct replay *r = new_common(err);

	if (r != NULL)
		r->det = det;
	return r;
}

void
replay_attach_engine(struct replay *r, struct engine *e)
{
	r->eng = e;
}

void
replay_refresh_states(struct replay *r)
{
	engine_refresh_states(r->eng);
}

int
replay_wake_fd(const struct replay *r)
{
	return r->wake_r;
}

int
replay_start(struct replay *r, char **err)
{
	return engine_start(r->eng, err);
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

static enum replay_phase
phase_of(enum files_phase ph, int finished)
{
	switch (ph) {
	case FILES_LOADING: return RP_LOADING;
	case FILES_WAITING: return RP_WAITING;
	case FILES_DONE: return finished ? RP_DONE : RP_REPLAYING;
	default: return RP_REPLAYING;
	}
}

void
replay_progress(struct replay *r, struct replay_progress *p, char **err)
{
	uint64_t flushed;
	size_t i, n;

	memset(p, 0, sizeof *p);
	if (err != NULL)
		*err = NULL;
	if (r == NULL) {
		/* No inputs (a bench, a dashboard on the store alone): nothing will come. */
		p->phase = RP_DONE;
		p->finished = 1;
		return;
	}
	pthread_mutex_lock(&r->mu);
	p->findings = r->findings;
	p->events = r->events;
	p->latest_ms = r->latest_ms;
	flushed = r->flushed;
	pthread_mutex_unlock(&r->mu);
	if (err != NULL)
		*err = NULL;
	if (r->files == NULL) {
		struct engine_counts c;
		struct engine_status *st;

		engine_counts(r->eng, &c);
		p->phase = RP_LIVE;
		p->frac = -1;
		p->total = c.queued;            /* events waiting for the detector */
		p->done = c.events;
		engine_statuses(r->eng, &st, &n);
		for (i = 0; i < n; i++)
			p->rate += st[i].st.events_per_s;
		engine_statuses_free(st, n);
	} else {
		struct files_progress fp;
		struct files_source *src;

		files_replay_progress(r->files, &fp);
		/* Done once the collector is and the engine reached its last flush marker. */
		p->finished = fp.phase == FILES_DONE && flushed >= fp.flushes;
		p->phase = phase_of(fp.phase, p->finished);
		p->frac = fp.frac;
		p->done = fp.done;
		p->total = fp.total;
		p->pass = fp.pass;
		if (err != NULL)
			*err = fp.error;
		else
			free(fp.error);
		files_replay_sources(r->files, &src, &n);
		for (i = 0; i < n; i++) {
			p->out_of_window += src[i].out_of_window;
			p->read_only += src[i].read_only;
			p->rate += src[i].rate;
		}
		files_replay_sources_free(src, n);
	}
}

static int
source_state(enum files_state st)
{
	switch (st) {
	case FILE_READING: return RS_READING;
	case FILE_DONE: return RS_DONE;
	case FILE_FAILED: return RS_FAILED;
	default: return RS_WAITING;
	}
}

void
replay_sources(struct replay *r, struct replay_source **out, size_t *n)
{
	struct replay_source *v;
	size_t i;

	if (r == NULL) {
		*out = NULL;
		*n = 0;
		return;
	}
	if (r->files == NULL) {
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
			v[i].lease = xstrdup(st[i].lease);
		}
		engine_statuses_free(st, nst);
		*out = v;
		*n = nst;
	} else {
		struct files_source *src;

		files_replay_sources(r->files, &src, n);
		v = xcalloc(*n + 1, sizeof *v);
		for (i = 0; i < *n; i++) {
			v[i].path = src[i].path;        /* the copies move over */
			v[i].error = src[i].error;
			src[i].path = src[i].error = NULL;
			v[i].format = src[i].format;
			v[i].state = source_state(src[i].state);
			v[i].records = src[i].records;
			v[i].events = src[i].events;
			v[i].skipped = src[i].skipped;
			v[i].malformed = src[i].malformed;
			v[i].repaired = src[i].repaired;
			v[i].read_only = src[i].read_only;
			v[i].duplicates = src[i].duplicates;
			v[i].out_of_window = src[i].out_of_window;
			v[i].progress = src[i].progress;
			v[i].first_ms = src[i].first_ms;
			v[i].last_ms = src[i].last_ms;
			v[i].rate = src[i].rate;
		}
		files_replay_sources_free(src, *n);
		*out = v;
	}
}

void
replay_sources_free(struct replay_source *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].path);
		free(s[i].error);
		free(s[i].lease);
	}
	free(s);
}

void
replay_set_freezes(struct replay *r, const struct freeze_window *w, size_t n)
{
	engine_set_freezes(r->eng, w, n);
}

void
replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	if (r->own_eng)
		engine_free(r->eng);    /* joins its threads; the consumer is done with us */
	finding_list_clear(&r->q);
	free(r->q.v);
	ui_event_list_clear(&r->eq);
	free(r->eq.v);
	close(r->wake_r);
	close(r->wake_w);
	pthread_mutex_destroy(&r->mu);
	free(r);
}
