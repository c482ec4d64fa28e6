/* watch: `tfdrift watch`, the headless live mode. The configured sources run on their own
 * threads through the engine; findings print as they appear (JSON lines or text) and are
 * saved with their triage; the states are reloaded every state_refresh. --once polls every
 * source and state once, prints what it found and exits 0 (clean), 2 (open drift) or 1
 * (a source or state failed). SIGTERM/SIGINT stop cleanly: collectors checkpoint, the
 * engine drains what they handed over, then the process exits 0. SIGHUP reloads the config
 * (see reload()). Under systemd (Type=notify) it reports readiness (sdnotify.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "compat.h"
#include "conf.h"
#include "detect.h"
#include "engine.h"
#include "eventmap.h"
#include "freeze.h"
#include "http.h"
#include "notify.h"
#include "output.h"
#include "rules.h"
#include "sdnotify.h"
#include "sources.h"
#include "state_index.h"
#include "states.h"
#include "enrich.h"
#include "store.h"
#include "text.h"
#include "tfstate.h"
#include "util.h"
#include "watch.h"
#include "watch_metrics.h"

struct watch {
	struct conf conf;
	struct eventmap *map;
	struct em_attrset *keepset;
	struct rules *rules;            /* ours: the states' keep filter reads it */
	struct rules_keep rkeep;
	struct tfstate_keep keep;
	struct detector *det;
	struct store *store;
	struct engine *eng;
	struct strlist states;
	struct states *st;              /* the state sources, refreshed on the state thread */
	struct notifier *notify;        /* `outputs:`: findings delivered on its own threads */
	enum out_format format;
	int color;
	uint64_t printed, open;         /* open: printed open and not resolved since */
	struct tf_hset open_ids;        /* the ids counted in open */
	int state_failed;
	/* Events seen, waiting to be saved with the next findings (same transaction), or when
	 * there are SEEN_MAX of them, a collector flushed, the main thread's once-a-second
	 * pass comes, or at the end. They share no JSON with the engine's events, so either
	 * thread may save and free them; seen_mu guards the buffer (taken before the engine's
	 * store lock, never inside it). */
	pthread_mutex_t seen_mu;
	struct store_seen_buf seen;
	char *holder;                   /* this worker's lease holder id, or NULL */
	struct watch_metrics *wm;       /* --metrics, metrics.listen: NULL off */
	/* A store that cannot be written (PostgreSQL unreachable): what could not be saved
	 * waits here, in memory, under the engine's store lock, and is tried again with backoff
	 * (pend_save); no cursor is saved meanwhile (on_checkpoint), so a process that dies
	 * with them loses nothing: the next one reads those events again. */
	struct finding_list pend_f;     /* copies of the findings not saved, oldest first */
	struct store_seen_buf pend_seen;
	int64_t down_since;             /* wall clock of the first failure; 0: the store works */
	int64_t retry_at, backoff;      /* monotonic ms of the next try, and the wait after it */
	int down_lost;                  /* unreachable (a lost connection), not refusing */
	uint64_t dropped;               /* findings and events beyond PEND_MAX: not kept */
	/* SIGHUP (reload()): the state thread reads w->st under st_mu, since a reload swaps it;
	 * srcconf is the configuration the running sources were built from (NULL: w->conf,
	 * which the detector, the rules and the outputs keep until a restart). */
	pthread_mutex_t st_mu;
	struct conf *srcconf;
	const struct watch_opts *opts;
	struct sources_opts so;
	struct engine_consumer cons;
	size_t nsources;
	uint64_t reloads;
};

#define SEEN_MAX 64
/* What waits in memory for the store at most (findings and events; about 2 KB each). */
#define PEND_MAX 50000
#define PEND_BACKOFF_MIN 1000
#define PEND_BACKOFF_MAX 30000

static size_t
pend_count(const struct watch *w)
{
	return w->pend_f.n + w->pend_seen.n;
}

/* The store's state for /healthz (NULL: healthy). Under the store lock. */
static void
pend_health(struct watch *w)
{
	char since[32], *m;

	if (w->down_since == 0) {
		watch_metrics_store(w->wm, NULL);
		return;
	}
	tf_format_time(w->down_since, since);
	m = xasprintf("%s since %s: %zu findings and %zu events pending%s",
	    w->down_lost ? "unreachable" : "not writable", since, w->pend_f.n, w->pend_seen.n,
	    w->dropped > 0 ? " (some dropped from memory: restart to read them again)" : "");
	watch_metrics_store(w->wm, m);
	free(m);
}

/* Save what waits with seen's events and l's findings (seen is taken; l stays the caller's)
 * in one transaction. While the store is down, only when the backoff says so (force: now,
 * at the end); what is not saved waits. Under the engine's store lock. 0 saved, -1 waits. */
static int
pend_save(struct watch *w, struct store_seen_buf *seen, const struct finding_list *l,
    int force)
{
	char *err = NULL, since[32];
	size_t i, n;
	int64_t now = tf_mono_ms();

	if (seen != NULL) {
		if (w->down_since != 0 && pend_count(w) + seen->n > PEND_MAX) {
			w->dropped += seen->n;
			store_seen_clear(seen);
		} else
			store_seen_move(&w->pend_seen, seen);
	}
	for (i = 0; l != NULL && i < l->n; i++) {
		if (w->down_since != 0 && pend_count(w) >= PEND_MAX)
			w->dropped++;
		else
			finding_list_push(&w->pend_f, finding_dup(l->v[i]));
	}
	if (pend_count(w) == 0)
		return 0;
	if (w->down_since != 0 && !force && now < w->retry_at)
		return -1;
	if (store_seen_save(w->store, &w->pend_seen, &w->pend_f, &err) == 0) {
		if (w->down_since != 0) {
			fprintf(stderr, "tfdrift: store reachable again after %llds: %zu findings and "
			    "%zu events pending written\n",
			    (long long)((tf_now_ms() - w->down_since) / 1000), w->pend_f.n,
			    w->pend_seen.n);
			if (w->dropped > 0)
				fprintf(stderr, "tfdrift: %llu findings and events did not fit in memory "
				    "while it was down; the cursors stay where they were: restart "
				    "watch to read those events again\n", (unsigned long long)w->dropped);
		}
		finding_list_clear(&w->pend_f);
		store_seen_clear(&w->pend_seen);
		w->down_since = 0;
		w->backoff = 0;
		pend_health(w);
		return 0;
	}
	n = pend_count(w);
	if (w->down_since == 0) {
		/* Once per outage. */
		w->down_since = tf_now_ms();
		w->down_lost = store_unreachable(w->store);
		tf_format_time(w->down_since, since);
		fprintf(stderr, "tfdrift: store %s since %s: %zu findings pending (%zu events); "
		    "kept in memory and retried, the cursors wait: %s\n",
		    w->down_lost ? "unreachable" : "not writable", since, w->pend_f.n,
		    n - w->pend_f.n, err);
	}
	free(err);
	w->backoff = w->backoff == 0 ? PEND_BACKOFF_MIN :
	    w->backoff * 2 > PEND_BACKOFF_MAX ? PEND_BACKOFF_MAX : w->backoff * 2;
	w->retry_at = tf_mono_ms() + w->backoff;
	pend_health(w);
	return -1;
}

/* Is the store down (under the store lock)? Reads then wait too: each costs the back end's
 * reconnect. */
static int
store_down(const struct watch *w)
{
	return w->down_since != 0;
}

/* Hand a finding that is not suppressed to the outputs: an open (or acknowledged) one as an
 * alert, a resolved one as a resolution to the outputs with on: [..., resolved], unless a
 * suppression matches it (a resolved finding keeps its triage, not its suppressed status:
 * its alert was held back, so is its resolution). The notifier dedups by id. */
static void
notify_one(struct watch *w, const struct store_triage *tri, const struct finding *f)
{
	if (f->status == ST_SUPPRESSED ||
	    (f->status == ST_RESOLVED && store_triage_suppressed(tri, f, tf_now_ms())))
		return;
	notify_finding(w->notify, f);   /* copies; never waits */
}

/* The engine's consumer, on the engine thread: save, apply triage, print what is not
 * suppressed, notify. */
static void
on_findings(void *ctx, struct finding_list *l)
{
	struct watch *w = ctx;
	struct out_opts o = { w->format, w->color, NULL };
	struct finding_list show = { 0 };
	struct store_triage *tri = NULL;
	struct store_seen_buf seen = { 0 };
	char *err = NULL;
	size_t i;

	if (w->store != NULL) {
		pthread_mutex_lock(&w->seen_mu);
		seen = w->seen;         /* saved with these findings */
		memset(&w->seen, 0, sizeof w->seen);
		pthread_mutex_unlock(&w->seen_mu);
		engine_store_lock(w->eng);
		for (i = 0; i < l->n && !store_down(w); i++)
			if (enrich_history(w->store, l->v[i], tf_now_ms(), &err) != 0) {
				fprintf(stderr, "tfdrift: history not read: %s\n", err);
				free(err);
				err = NULL;
				break;
			}
		/* Not saved: kept in memory and tried again (pend_save says so once). */
		(void)pend_save(w, &seen, l, 0);
		if (store_down(w))
			tri = NULL;     /* the triage of the last snapshot is not at hand */
		else if (store_triage_snapshot(w->store, &tri, &err) != 0) {
			fprintf(stderr, "tfdrift: triage not applied: %s\n", err);
			free(err);
			err = NULL;
			tri = NULL;
		} else {
			int64_t now = tf_now_ms();

			for (i = 0; i < l->n; i++)
				store_triage_apply(tri, l->v[i], now);
		}
		engine_store_unlock(w->eng);
	}
	for (i = 0; i < l->n; i++)
		watch_metrics_finding(w->wm, l->v[i], 1);
	for (i = 0; i < l->n; i++)
		if (l->v[i]->status != ST_SUPPRESSED) {
			finding_list_push(&show, l->v[i]);
			notify_one(w, tri, l->v[i]);
			if (l->v[i]->status == ST_OPEN) {
				w->open++;
				tf_hset_test_and_add(&w->open_ids, tf_hash_str(l->v[i]->id));
			} else if (l->v[i]->status == ST_RESOLVED && w->open > 0 &&
			    tf_hset_has(&w->open_ids, tf_hash_str(l->v[i]->id)))
				w->open--;      /* an update: the open one printed before resolved */
		}
	if (show.n > 0) {
		if (w->format == OUT_TEXT) {
			for (i = 0; i < show.n; i++)
				output_finding_text(stdout, show.v[i], w->color);
		} else
			output_findings(stdout, &show, &o);
		fflush(stdout);
		w->printed += show.n;
	}
	free(show.v);
	store_triage_free(tri);
	finding_list_clear(l);
	free(l->v);
}

/* Save the events seen that wait (under the engine's store lock). Any thread. */
static int
flush_seen_ex(struct watch *w, int force)
{
	struct store_seen_buf seen;
	int rc;

	if (w->store == NULL)
		return 0;
	pthread_mutex_lock(&w->seen_mu);
	seen = w->seen;
	memset(&w->seen, 0, sizeof w->seen);
	pthread_mutex_unlock(&w->seen_mu);
	engine_store_lock(w->eng);
	rc = pend_save(w, &seen, NULL, force);  /* and what waits from an outage */
	engine_store_unlock(w->eng);
	return rc;
}

static void
flush_seen(struct watch *w)
{
	(void)flush_seen_ex(w, 0);
}

/* The engine's event callback, on the engine thread: keep a write event the maps tie to a
 * resource (or that made findings), for `tfdrift blame` and the per-resource history. */
static void
on_event(void *ctx, const struct event *ev, enum nodrift why, struct finding **fv, size_t nf)
{
	struct watch *w = ctx;
	json_object *record;
	char *key;
	int full;

	(void)fv;
	if (w->store == NULL || why == ND_DUPLICATE || ev->read_only == 1 || ev->id == NULL)
		return;
	if ((key = detector_seen_key(w->det, ev)) == NULL) {
		if (nf == 0)
			return;
		key = xstrdup("");      /* a finding on no resource (a freeze violation) */
	}
	/* The record kept is a copy of its own (no JSON shared with ev): the main thread may
	 * save and free it. */
	record = eventmap_seen_record(w->map, ev);
	pthread_mutex_lock(&w->seen_mu);
	store_seen_add(&w->seen, ev, key, record);
	full = w->seen.n >= SEEN_MAX;
	pthread_mutex_unlock(&w->seen_mu);
	if (full)
		flush_seen(w);
}

static void
on_flushed(void *ctx, const char *collector)
{
	(void)collector;
	flush_seen(ctx);
}

/* Before a collector's cursor is saved: the events seen before it first (engine thread).
 * While findings or events wait for the store the cursor does not move: a process that dies
 * then reads them again. */
static int
on_checkpoint(void *ctx, const char *collector, char **err)
{
	struct watch *w = ctx;
	size_t nf, ne;
	uint64_t dropped;

	(void)collector;
	if (flush_seen_ex(w, 0) == 0 && w->dropped == 0)
		return 0;
	engine_store_lock(w->eng);
	nf = w->pend_f.n;
	ne = w->pend_seen.n;
	dropped = w->dropped;
	engine_store_unlock(w->eng);
	if (nf + ne == 0 && dropped == 0)
		return 0;
	if (nf + ne == 0)
		return tf_err(err, "the cursor stays: %llu findings and events did not fit in "
		    "memory while the store was down (restart watch to read them again)",
		    (unsigned long long)dropped);
	return tf_err(err, "the store is unreachable: %zu findings and %zu events wait in "
	    "memory; the cursor moves once they are saved", nf, ne);
}

/* This worker took a poller's lease (engine thread, before its first event): the detector
 * tracks what the other workers stored since this one started, as a restart would, so that
 * an event read again neither opens a finding resolved elsewhere nor a second one beside an
 * open one. */
static void
on_leased(void *ctx, const char *collector)
{
	struct watch *w = ctx;
	struct finding_list l = { 0 };
	char *err = NULL;
	size_t i;

	(void)collector;
	engine_store_lock(w->eng);
	if (store_load_findings(w->store, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &l, &err) < 0) {
		fprintf(stderr, "tfdrift: %s: the store's findings not read: %s\n", collector, err);
		l.n = 0;
	}
	engine_store_unlock(w->eng);
	free(err);
	for (i = 0; i < l.n; i++)
		detector_track(w->det, l.v[i]);
	finding_list_clear(&l);
	free(l.v);
}

/* The store's drift so far: what the states read now accept or lost resolves at once (saved),
 * the rest is tracked so that the events to come can resolve it. 0, or -1 after a message. */
static int
track_store(struct watch *w, struct state_index *ix)
{
	struct finding_list prior = { 0 }, res = { 0 };
	struct store_triage *tri = NULL;
	char *err = NULL;
	size_t i, j;
	int rc = 0;

	/* Resolved ones too: the detector remembers them, so that a backfill reading their
	 * events again does not print them open. */
	if (store_load_findings(w->store, INT64_MIN, INT64_MAX, STORE_STATUS_ALL, &prior,
	    &err) < 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		return -1;
	}
	free(err);
	err = NULL;
	for (i = j = 0; i < prior.n; i++) {
		if (prior.v[i]->status == ST_RESOLVED) {
			detector_track(w->det, prior.v[i]);
			finding_free(prior.v[i]);
		} else
			prior.v[j++] = prior.v[i];
	}
	prior.n = j;
	detector_reevaluate(w->det, ix, prior.v, prior.n, tf_now_ms());
	for (i = 0; i < prior.n; i++) {
		if (prior.v[i]->status == ST_RESOLVED)
			finding_list_push(&res, prior.v[i]);
		else {
			watch_metrics_finding(w->wm, prior.v[i], 0);
			detector_track(w->det, prior.v[i]);
			finding_free(prior.v[i]);
		}
	}
	free(prior.v);
	if (res.n > 0 && store_put_findings(w->store, &res, &err) != 0) {
		fprintf(stderr, "tfdrift: resolutions not saved: %s\n", err);
		free(err);
		rc = -1;
	}
	/* Printed like every resolution (the triage they keep is shown too), and sent to the
	 * outputs that opted in to resolutions. */
	if (rc == 0 && res.n > 0 && store_triage_snapshot(w->store, &tri, NULL) == 0) {
		for (i = 0; i < res.n; i++) {
			store_triage_apply(tri, res.v[i], tf_now_ms());
			if (w->format == OUT_TEXT)
				output_finding_text(stdout, res.v[i], w->color);
			else
				output_finding_jsonl(stdout, res.v[i]);
			notify_one(w, tri, res.v[i]);
			watch_metrics_finding(w->wm, res.v[i], 1);
		}
		fflush(stdout);
		w->printed += res.n;
		store_triage_free(tri);
	}
	finding_list_clear(&res);
	free(res.v);
	return rc;
}

/* "tfdrift: SOURCE: ERROR": an error may quote a server or a log (an event id), so its
 * controls are shown escaped. */
static void
show_error(const char *name, const char *err)
{
	char *line = xasprintf("tfdrift: %s: %s", name, err);

	text_fputs(stderr, line);
	fputc('\n', stderr);
	free(line);
}

/* 90s -> "1m30s", 2000 -> "2s", 1500 -> "1500ms": the time limit as messages show it. */
static void
format_limit(int64_t ms, char *out, size_t n)
{
	if (ms % 1000 != 0)
		snprintf(out, n, "%lldms", (long long)ms);
	else if (ms >= 60000 && ms % 60000 == 0)
		snprintf(out, n, "%lldm", (long long)(ms / 60000));
	else if (ms > 60000)
		snprintf(out, n, "%lldm%llds", (long long)(ms / 60000), (long long)(ms / 1000 % 60));
	else
		snprintf(out, n, "%llds", (long long)(ms / 1000));
}

/* tf_thread_stop_set's check while --once reads the states: the time limit passed. */
static int
past_deadline(void *ctx)
{
	return tf_mono_ms() >= *(const int64_t *)ctx;
}

/* A source's new error goes to stderr once (its status keeps counting). */
static void
report_errors(struct watch *w, char ***shown, size_t *nshown)
{
	struct engine_status *st;
	size_t n, i;

	engine_statuses(w->eng, &st, &n);
	if (*nshown < n) {
		*shown = xreallocarray(*shown, n, sizeof **shown);
		for (i = *nshown; i < n; i++)
			(*shown)[i] = NULL;
		*nshown = n;
	}
	for (i = 0; i < n; i++) {
		const char *e = st[i].last_error;

		if (e != NULL && ((*shown)[i] == NULL || strcmp((*shown)[i], e) != 0)) {
			show_error(st[i].name, e);
			free((*shown)[i]);
			(*shown)[i] = xstrdup(e);
		} else if (e == NULL && (*shown)[i] != NULL) {
			fprintf(stderr, "tfdrift: %s: working again\n", st[i].name);
			free((*shown)[i]);
			(*shown)[i] = NULL;
		}
	}
	engine_statuses_free(st, n);
}

/* Workers: a leased poller's lease state, when it changes, on stderr ("standby: leased by
 * HOST:PID:ID", "polling (lease held by this worker, ...)", "standby: lease lost (...)"); a
 * worker that polls from the start says nothing. --once (final): the pollers left to other
 * workers. */
static void
report_leases(struct watch *w, char ***shown, size_t *nshown, int final)
{
	struct engine_status *st;
	size_t n, i;

	engine_statuses(w->eng, &st, &n);
	if (*nshown < n) {
		*shown = xreallocarray(*shown, n, sizeof **shown);
		for (i = *nshown; i < n; i++)
			(*shown)[i] = NULL;
		*nshown = n;
	}
	for (i = 0; i < n; i++) {
		const char *l = st[i].lease;

		if (l == NULL || ((*shown)[i] != NULL && strcmp((*shown)[i], l) == 0))
			continue;
		if (final ? st[i].standby && st[i].last_error == NULL :
		    (*shown)[i] != NULL || st[i].standby) {
			char *m = xasprintf("%s%s", l, final ? " (not polled by this --once)" : "");

			show_error(st[i].name, m);
			free(m);
		}
		free((*shown)[i]);
		(*shown)[i] = xstrdup(l);
	}
	engine_statuses_free(st, n);
}

static void
free_shown(char **shown, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(shown[i]);
	free(shown);
}

/* The engine's state loader: the states of the last reload. */
static int
watch_states_loader(void *ctx, struct state_index **ix, char **err)
{
	struct watch *w = ctx;
	int rc;

	pthread_mutex_lock(&w->st_mu);
	rc = states_loader(w->st, ix, err);
	pthread_mutex_unlock(&w->st_mu);
	return rc;
}

/* The engine the running sources go through, built from c (not started). 0, or -1 after a
 * message (nothing left allocated). */
static int
engine_build(struct watch *w, const struct conf *c, struct engine **out)
{
	struct engine *e = engine_new(w->det, w->store, 10000, &w->cons);
	char *err = NULL;
	int n;

	engine_set_state_loader(e, watch_states_loader, w, c->state_refresh_ms);
	if ((n = sources_add(e, c, &w->opts->events, &w->so, &err)) < 0)
		goto fail;
	if (w->store != NULL) {
		struct engine_hooks hk = { on_checkpoint, NULL, w };

		engine_set_hooks(e, &hk);
	}
	/* Workers: with a writable store, each poller runs in one worker at a time (the same
	 * holder across reloads: this worker's leases stay its own). */
	if (w->store != NULL && store_readonly_reason(w->store) == NULL) {
		struct engine_lease_opts lo;
		struct engine_hooks hk = { on_checkpoint, on_leased, w };

		if (w->holder == NULL)
			w->holder = store_lease_holder_new();
		lo.holder = w->holder;
		lo.ttl_ms = w->opts->lease_ttl_ms > 0 ? w->opts->lease_ttl_ms : WATCH_LEASE_TTL_MS;
		lo.heartbeat_ms = lo.ttl_ms / 2;
		engine_set_hooks(e, &hk);
		if (engine_set_lease(e, &lo, &err) != 0)
			goto fail;
	}
	w->nsources = (size_t)n;
	*out = e;
	return 0;
fail:
	fprintf(stderr, "tfdrift: %s\n", err);
	free(err);
	engine_free(e);
	return -1;
}

/* A configuration as conf_dump prints it, in two parts: what the running sources are built
 * from (sources:, events:, state_refresh:) and the rest but the states (which a reload
 * applies anyway). Comments are left out. Heap strings. */
static void
conf_parts(const struct conf *c, char **sources, char **rest)
{
	struct strbuf a, b;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int in = 0;     /* 0: rest, 1: sources part, 2: states (skipped) */

	sb_init(&a);
	sb_init(&b);
	if (fp != NULL) {
		conf_dump(c, fp);
		fclose(fp);
	}
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL; line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		if (line[0] != ' ' && line[0] != '-')
			in = tf_str_has_prefix(line, "sources:") || tf_str_has_prefix(line, "events:") ||
			    tf_str_has_prefix(line, "state_refresh:") ? 1 :
			    tf_str_has_prefix(line, "states:") ? 2 : 0;
		if (in != 2)
			sb_addf(in == 1 ? &a : &b, "%s\n", line);
	}
	free(text);
	*sources = sb_detach(&a);
	*rest = sb_detach(&b);
}

/* SIGHUP: read the config file again. A config that does not load is reported (file:line:
 * column, by conf_load_report) and the running one stays. Otherwise the states are the new
 * ones (read at once: new serials are picked up and the findings re-evaluated, as on a state
 * refresh); when the sources (or the events files, or state_refresh) changed, the running
 * sources stop (each checkpoints its cursor, everything handed over is decided) and the new
 * set starts from the cursors in the store (a source kept resumes where it stopped: no gap,
 * no duplicate; without a store the cursors are the engine's and the kept sources start
 * over, which the detector's id set then deduplicates); unchanged sources keep running.
 * Settings besides states, sources, events and state_refresh (store, maps, rules, outputs,
 * severities...) apply at the next restart, and a reload says so. 0, or -1 when the running
 * engine could not be started again (fatal). */
static int
reload(struct watch *w)
{
	const struct watch_opts *o = w->opts;
	struct conf *nc = xcalloc(1, sizeof *nc);
	const struct conf *cur = w->srcconf != NULL ? w->srcconf : &w->conf;
	struct strlist states = { 0 };
	struct states *st, *old_st;
	struct state_src_opts sso;
	struct engine *ne = NULL;
	char *err = NULL, *src_old, *src_new, *rest_old, *rest_new;
	size_t i;
	int restart, rc = 0;

	tf_sd_reloading();
	tf_sd_status("reloading the configuration");
	conf_init(nc);
	if (conf_load_report(nc, o->config, stderr) != 0) {
		fprintf(stderr, "tfdrift: reload: the configuration has errors; the running one "
		    "stays\n");
		conf_free(nc);
		free(nc);
		goto ready;
	}
	for (i = 0; i < o->states.n; i++)
		strlist_push(&states, o->states.v[i]);
	for (i = 0; i < nc->states.n; i++)
		strlist_push(&states, nc->states.v[i]);
	memset(&sso, 0, sizeof sso);
	if (states.n == 0 || (st = states_new(states.v, states.n, &sso, w->map, &w->keep,
	    &err)) == NULL) {
		fprintf(stderr, "tfdrift: reload: %s; the running configuration stays\n",
		    states.n == 0 ? "no states" : err);
		free(err);
		strlist_clear(&states);
		conf_free(nc);
		free(nc);
		goto ready;
	}
	/* The sources against those running, the rest against what the detector and the
	 * outputs were built from (w->conf, until a restart). */
	conf_parts(cur, &src_old, &err);
	free(err);
	err = NULL;
	conf_parts(&w->conf, &err, &rest_old);
	free(err);
	err = NULL;
	conf_parts(nc, &src_new, &rest_new);
	restart = strcmp(src_old, src_new) != 0;
	if (strcmp(rest_old, rest_new) != 0)
		fprintf(stderr, "tfdrift: reload: settings besides states, sources, events and "
		    "state_refresh changed: they apply at the next restart\n");
	free(src_old);
	free(src_new);
	free(rest_old);
	free(rest_new);
	pthread_mutex_lock(&w->st_mu);
	old_st = w->st;
	w->st = st;
	pthread_mutex_unlock(&w->st_mu);
	watch_metrics_attach(w->wm, w->eng, w->notify, w->st);   /* before old_st goes */
	states_free(old_st);
	strlist_clear(&w->states);
	w->states = states;
	if (restart) {
		/* Stop first: each source checkpoints before the new set reads the cursors. */
		watch_metrics_ready(w->wm, 0, "reloading: the sources restart");
		engine_stop(w->eng);
		flush_seen(w);
		watch_metrics_attach(w->wm, NULL, w->notify, w->st);     /* before the engine goes */
		engine_free(w->eng);
		w->eng = NULL;
		if (engine_build(w, nc, &ne) != 0) {
			fprintf(stderr, "tfdrift: reload: the new sources cannot be set up; the "
			    "running ones start again\n");
			conf_free(nc);
			free(nc);
			nc = NULL;
			if (engine_build(w, cur, &ne) != 0)
				return -1;
		}
		w->eng = ne;
		watch_metrics_attach(w->wm, w->eng, w->notify, w->st);
		if (engine_start(w->eng, &err) != 0) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			rc = -1;
		} else
			watch_metrics_ready(w->wm, 1, NULL);
	}
	if (nc != NULL && restart) {
		if (w->srcconf != NULL) {
			conf_free(w->srcconf);
			free(w->srcconf);
		}
		w->srcconf = nc;
	} else if (nc != NULL) {
		conf_free(nc);
		free(nc);
	}
	engine_refresh_states(w->eng);
	w->reloads++;
	fprintf(stderr, "tfdrift: reloaded: %zu state source%s, %zu source%s (%s)\n", w->states.n,
	    w->states.n == 1 ? "" : "s", w->nsources, w->nsources == 1 ? "" : "s",
	    restart ? "sources changed: restarted from their cursors" : "sources unchanged");
ready:
	tf_sd_notify("READY=1");
	tf_sd_status("watching %zu source%s and %zu state source%s", w->nsources,
	    w->nsources == 1 ? "" : "s", w->states.n, w->states.n == 1 ? "" : "s");
	return rc;
}

int
watch_run(const struct watch_opts *o)
{
	struct watch wt, *w = &wt;
	struct sources_opts so = { o->since_ms, o->until_ms };
	struct engine_consumer cons;
	struct state_index *ix = NULL;
	const char *storepath = o->store, *mapdir = o->event_maps;
	char *err = NULL, limit[32];
	size_t i;
	int once = o->once, rc = 1;
	int64_t once_timeout = o->once_timeout_ms, deadline = 0;
	sigset_t sigs;

	memset(w, 0, sizeof *w);
	pthread_mutex_init(&w->seen_mu, NULL);
	pthread_mutex_init(&w->st_mu, NULL);
	w->opts = o;
	w->so = so;
	conf_init(&w->conf);
	w->format = o->format;
	for (i = 0; i < o->states.n; i++)
		strlist_push(&w->states, o->states.v[i]);
	if (conf_load_report(&w->conf, o->config, stderr) != 0)
		goto out;
	if (once) {
		/* One limit for the whole run, the states' reading included. */
		if (once_timeout == 0)
			once_timeout = w->conf.once_timeout_ms;
		format_limit(once_timeout, limit, sizeof limit);
		deadline = tf_mono_ms() + once_timeout;
	}
	if (o->metrics != NULL || w->conf.metrics_listen != NULL) {
		/* First: /readyz says what it waits for while the states load. */
		if ((w->wm = watch_metrics_start(o->metrics != NULL ? o->metrics :
		    w->conf.metrics_listen, &err)) == NULL) {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			goto out;
		}
	}
	for (i = 0; i < w->conf.states.n; i++)
		strlist_push(&w->states, w->conf.states.v[i]);
	if (w->states.n == 0) {
		fprintf(stderr, "tfdrift: no states: add `states:` to the config or --state SRC\n");
		goto out;
	}
	w->color = w->format == OUT_TEXT && isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL;
	if ((w->map = eventmap_load_report(mapdir != NULL ? mapdir : conf_event_maps_dir(&w->conf),
	    stderr)) == NULL)
		goto out;
	w->keepset = eventmap_attrset_new(w->map);
	/* The rules first: the states keep what they read too. */
	if ((w->rules = rules_load_configured_report(&w->conf, stderr)) == NULL)
		goto out;
	w->rkeep.set = w->keepset;
	w->rkeep.rules = w->rules;
	w->keep.fn = rules_keep_attr;
	w->keep.ctx = &w->rkeep;
	{
		struct state_src_opts sso;

		memset(&sso, 0, sizeof sso);
		if (once)
			tf_thread_stop_set(past_deadline, &deadline);
		if ((w->st = states_new(w->states.v, w->states.n, &sso, w->map, &w->keep,
		    &err)) == NULL || states_refresh(w->st, &ix, &err) < 0) {
			tf_thread_stop_set(NULL, NULL);
			fprintf(stderr, "tfdrift: %s\n", err);
			if (once && tf_mono_ms() >= deadline)
				fprintf(stderr, "tfdrift: the states were not read within the --once "
				    "time limit (%s); no source was polled\n", limit);
			free(err);
			goto out;
		}
		tf_thread_stop_set(NULL, NULL);
	}
	state_index_warn_duplicates(ix, stderr, 20);
	w->det = detector_new(w->map, ix, &w->conf);
	detector_set_enrich(w->det, enrich_finding_from_state);   /* tags, blast radius, fix */
	detector_set_rules(w->det, w->rules);
	if (storepath == NULL)
		storepath = w->conf.store;
	if (storepath != NULL && store_open(storepath, 0, &w->store, &err) != 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		goto out;
	}
	/* The outputs first: the store's drift that the states resolve at start is sent too. */
	if ((w->notify = notify_new_store(&w->conf, storepath, &err)) == NULL) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		state_index_unref(ix);
		goto out;
	}
	if (w->store != NULL && track_store(w, ix) != 0) {
		state_index_unref(ix);
		goto out;
	}
	state_index_unref(ix);
	if (w->store != NULL) {
		struct freeze_window *sw = NULL;
		size_t nsw = 0;

		if (store_freeze_list(w->store, 1, tf_now_ms(), &sw, &nsw, &err) == 0) {
			detector_set_freezes(w->det, sw, nsw);
			freeze_windows_free(sw, nsw);
		} else {
			fprintf(stderr, "tfdrift: %s\n", err);
			free(err);
			err = NULL;
		}
	}
	cons.findings = on_findings;
	cons.event = on_event;
	cons.flushed = on_flushed;
	cons.ctx = w;
	w->cons = cons;
	if (engine_build(w, &w->conf, &w->eng) != 0)
		goto out;
	watch_metrics_attach(w->wm, w->eng, w->notify, w->st);
	watch_metrics_ready(w->wm, 0, "starting the sources");
	if (once)
		watch_metrics_ready(w->wm, 1, NULL);    /* the sources start polling now */
	if (once) {
		int failed = engine_run_once(w->eng, deadline, limit);
		struct engine_status *st;
		struct strbuf late;
		size_t nst;

		sb_init(&late);
		{
			char **lshown = NULL;
			size_t nl = 0;

			report_leases(w, &lshown, &nl, 1);
			free_shown(lshown, nl);
		}
		engine_statuses(w->eng, &st, &nst);
		for (i = 0; i < nst; i++) {
			if (st[i].last_error != NULL)
				show_error(st[i].name, st[i].last_error);
			if (st[i].late)
				sb_addf(&late, "%s%s", late.len ? ", " : "", st[i].name);
		}
		if (late.len > 0)
			fprintf(stderr, "tfdrift: --once stopped at its time limit (%s); not "
			    "finished: %s\n", limit, late.buf);
		sb_free(&late);
		engine_statuses_free(st, nst);
		rc = failed > 0 ? 1 : w->open > 0 ? 2 : 0;
		goto out;
	}
	/* Signals go to this thread only (the engine's threads block them). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (engine_start(w->eng, &err) != 0) {
		fprintf(stderr, "tfdrift: %s\n", err);
		free(err);
		goto out;
	}
	watch_metrics_ready(w->wm, 1, NULL);
	/* The states are loaded and the sources started: ready (systemd Type=notify). */
	tf_sd_notify("READY=1");
	tf_sd_status("watching %zu source%s and %zu state source%s", w->nsources,
	    w->nsources == 1 ? "" : "s", w->states.n, w->states.n == 1 ? "" : "s");
	{
		char **shown = NULL, *serr = NULL, *last_serr = NULL, **lshown = NULL;
		size_t nshown = 0, nlshown = 0;
		int64_t dog = tf_sd_watchdog_ms(), wait = 1000;
		int64_t next_status = tf_mono_ms() + 10000;       /* STATUS= every 10 s */

		/* WATCHDOG=1 at least twice per WatchdogSec. */
		if (dog > 0 && dog / 2 < wait)
			wait = dog / 2 > 0 ? dog / 2 : 1;
		for (;;) {
			int sig = compat_sigwait_ms(&sigs, wait);

			if (sig == SIGINT || sig == SIGTERM)
				break;
			if (sig == SIGHUP) {
				/* The sources' errors and leases are shown again for the new set. */
				free_shown(shown, nshown);
				free_shown(lshown, nlshown);
				shown = lshown = NULL;
				nshown = nlshown = 0;
				if (reload(w) != 0) {
					free(last_serr);
					rc = 1;
					goto out;
				}
			}
			if (dog > 0)
				tf_sd_notify("WATCHDOG=1");
			if (tf_mono_ms() >= next_status) {
				struct engine_counts ec;

				engine_counts(w->eng, &ec);
				tf_sd_status("watching %zu source%s and %zu state source%s: %llu events, "
				    "%llu findings, %llu printed", w->nsources, w->nsources == 1 ? "" : "s",
				    w->states.n, w->states.n == 1 ? "" : "s", (unsigned long long)ec.events,
				    (unsigned long long)ec.findings, (unsigned long long)w->printed);
				next_status = tf_mono_ms() + 10000;
			}
			flush_seen(w);          /* at least once a second */
			report_errors(w, &shown, &nshown);
			report_leases(w, &lshown, &nlshown, 0);
			/* A state that stopped loading: say so once (the last good index stays). */
			serr = engine_state_error(w->eng, NULL);
			if (serr != NULL && (last_serr == NULL || strcmp(serr, last_serr) != 0))
				fprintf(stderr, "tfdrift: state refresh failed, keeping the last good "
				    "state: %s\n", serr);
			free(last_serr);
			last_serr = serr;
		}
		free_shown(shown, nshown);
		free_shown(lshown, nlshown);
		free(last_serr);
	}
	tf_sd_notify("STOPPING=1");
	tf_sd_status("stopping: saving the cursors");
	engine_stop(w->eng);
	rc = 0;
out:
	watch_metrics_stop(w->wm);      /* no scrape reads what is freed below */
	w->wm = NULL;
	if (w->eng != NULL && flush_seen_ex(w, 1) != 0)       /* the engine stopped: what it left */
		fprintf(stderr, "tfdrift: the store is still down at exit: %zu findings and %zu "
		    "events were not saved; their cursors did not move, so the next watch reads "
		    "them again\n", w->pend_f.n, w->pend_seen.n);
	store_seen_clear(&w->seen);
	store_seen_clear(&w->pend_seen);
	finding_list_clear(&w->pend_f);
	pthread_mutex_destroy(&w->seen_mu);
	engine_free(w->eng);
	pthread_mutex_destroy(&w->st_mu);
	if (w->srcconf != NULL) {
		conf_free(w->srcconf);
		free(w->srcconf);
	}
	/* Deliver what is queued (bounded: see notify_drain), then say how it went. */
	notify_drain(w->notify, NOTIFY_DRAIN_IDLE_MS, NOTIFY_DRAIN_MAX_MS);
	notify_report(w->notify, stderr);
	notify_free(w->notify);
	states_free(w->st);
	detector_free(w->det);
	tf_hset_free(&w->open_ids);
	store_close(w->store);
	if (w->rules != NULL)
		rules_unref(w->rules);
	eventmap_attrset_free(w->keepset);
	eventmap_free(w->map);
	conf_free(&w->conf);
	strlist_clear(&w->states);
	free(w->holder);
	return rc;
}
