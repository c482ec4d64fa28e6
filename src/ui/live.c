/* live: a dashboard on a shared store. `tfdrift ui --store STORE` without events shows the
 * findings other processes (watch workers, scan --store) save there, and every dashboard
 * attached to a store shows the decisions made anywhere (another dashboard, tfdrift ack,
 * suppress, undo, freeze) within a second, saying who made them. The store is asked a cheap
 * question a few times a second (store_changed); only when another connection wrote is what
 * changed read: the rows added or resolved since, the decisions since the newest one held,
 * the freeze windows. The model takes them as arrivals, so the selection, scroll and filters
 * stay where they were. Main thread only. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "idset.h"
#include "store.h"
#include "ui_int.h"

/* How often the store is asked whether another process wrote: well within a second. */
#define UI_STORE_POLL_MS 250
/* ... and how often while it does not answer. */
#define UI_STORE_RETRY_MS 1000

void
ui_store_failed(struct ui *u)
{
	if (u->store != NULL && store_unreachable(u->store) && u->store_down_since == 0) {
		u->store_down_since = tf_now_ms();
		u->dirty = 1;
	}
}

/* "module.net.aws_security_group.web" for a finding the model holds, else NULL. */
static const char *
label_of_id(struct ui *u, const char *id)
{
	size_t at = id != NULL ? model_find(&u->model, id) : (size_t)-1;
	const struct finding *f;

	if (at == (size_t)-1)
		return NULL;
	f = u->model.all.v[at];
	return f->address != NULL ? f->address : f->resource_id;
}

void
ui_announce_decisions(struct ui *u, const struct store_decision *d, size_t n)
{
	int64_t now = tf_now_ms();
	size_t i;

	for (i = 0; i < n; i++) {
		const char *by = d[i].by != NULL ? d[i].by : "someone", *label;
		char ago[32], until[48] = "";

		if (d[i].id == u->own_decision)
			continue;       /* this dashboard's: it said so itself */
		ui_age(d[i].at_ms, now, ago, sizeof ago);
		if (d[i].until_ms != 0) {
			char t[32];

			tf_format_time(d[i].until_ms, t);
			snprintf(until, sizeof until, " (until %s)", t);
		}
		switch (d[i].action) {
		case SA_ACK:
			label = label_of_id(u, d[i].value);
			ui_msg(u, 0, "%s acknowledged %.8s%s %s%s%s", by, d[i].value,
			    ui_glyph(G_ELLIPSIS), ago, label != NULL ? ": " : "",
			    label != NULL ? label : "");
			break;
		case SA_SUPPRESS:
			if (d[i].scope == SCOPE_FINDING) {
				label = label_of_id(u, d[i].value);
				ui_msg(u, 0, "%s suppressed %.8s%s %s%s%s%s", by, d[i].value,
				    ui_glyph(G_ELLIPSIS), ago, label != NULL ? ": " : "",
				    label != NULL ? label : "", until);
			} else
				ui_msg(u, 0, "%s suppressed %s %s %s%s", by, store_scope_name(d[i].scope),
				    d[i].value, ago, until);
			break;
		case SA_UNDO: {
			/* What it undid: whose decision, on what. */
			const struct store_decision *o = store_triage_decision(u->triage, d[i].undoes);
			const char *whose = o != NULL && o->by != NULL ? o->by : "someone";

			if (o == NULL || o->value == NULL)
				ui_msg(u, 0, "%s undid decision %lld %s", by, (long long)d[i].undoes, ago);
			else if (o->scope == SCOPE_FINDING) {
				label = label_of_id(u, o->value);
				ui_msg(u, 0, "%s undid %s's %s of %.8s%s %s%s%s", by, whose,
				    o->action == SA_ACK ? "ack" : "suppression", o->value,
				    ui_glyph(G_ELLIPSIS), ago, label != NULL ? ": " : "",
				    label != NULL ? label : "");
			} else
				ui_msg(u, 0, "%s undid %s's suppression of %s %s %s", by, whose,
				    store_scope_name(o->scope), o->value, ago);
			break;
		}
		}
	}
}

/* Findings read from the store: their triage, their history, then shown (held while paused). */
static void
take_findings(struct ui *u, struct finding_list *got)
{
	struct ui_event_list none = { 0 };
	int64_t now = tf_now_ms();
	char *err = NULL;
	size_t i, k = 0;

	for (i = 0; i < got->n; i++) {
		struct finding *f = got->v[i];
		size_t at = model_find(&u->model, f->id);

		/* A row read again (the feed allows for another writer's clock) as the model has
		 * it, or a resolution of a finding the view leaves out (resolved before the
		 * window), changes nothing shown. */
		if ((at != (size_t)-1 && (u->model.all.v[at]->status == ST_RESOLVED) ==
		    (f->status == ST_RESOLVED)) || (at == (size_t)-1 && f->status == ST_RESOLVED &&
		    f->event_time_ms < u->store_since_ms)) {
			finding_free(f);
			continue;
		}
		if (err == NULL && enrich_history(u->store, f, now, &err) != 0)
			ui_msg(u, 1, "history not read: %s", err);
		store_triage_apply(u->triage, f, now);
		ui_note_lapse(u, f);
		got->v[k++] = f;
	}
	free(err);
	got->n = k;
	if (u->paused) {
		for (i = 0; i < got->n; i++) {
			if (got->v[i]->status == ST_OPEN && got->v[i]->severity < SEV__COUNT)
				u->held_count[got->v[i]->severity]++;
			finding_list_push(&u->held, got->v[i]);
		}
		if (got->n > 0)
			u->dirty = 1;
		got->n = 0;
		return;
	}
	ui_show_arrivals(u, got, &none);
}

/* The findings saved since the last read (all of them the first time). 0, or -1 said. */
static int
read_findings(struct ui *u)
{
	struct finding_list got = { 0 };
	char *err = NULL;
	int nbad;

	if ((nbad = store_feed_findings(u->store, u->feed, u->store_since_ms, &got, &err)) < 0) {
		ui_msg(u, 1, "new findings not read: %s", err);
		free(err);
		return -1;
	}
	if (nbad > 0) {
		ui_msg(u, 1, "%s", err);
		free(err);
	}
	take_findings(u, &got);
	finding_list_clear(&got);
	free(got.v);
	return 0;
}

/* ---- the events the store keeps (scan --store, watch): the Events view, the timeline and
 * a resource's history after a restart too ---- */

/* The model's findings by event id, to say what each stored event made. */
static int
cmp_by_event(const void *a, const void *b)
{
	const struct finding *x = *(struct finding *const *)a, *y = *(struct finding *const *)b;

	return strcmp(x->event_id != NULL ? x->event_id : "", y->event_id != NULL ?
	    y->event_id : "");
}

/* The same by the id of the event that resolved them (resolved findings only). */
static const char *
resolving_event(const struct finding *f)
{
	return f->status == ST_RESOLVED && f->resolution != NULL &&
	    f->resolution->event_id != NULL ? f->resolution->event_id : "";
}

static int
cmp_by_resolving_event(const void *a, const void *b)
{
	return strcmp(resolving_event(*(struct finding *const *)a),
	    resolving_event(*(struct finding *const *)b));
}

struct events_ctx {
	struct ui *u;
	struct finding **byev;          /* the model's findings sorted by event id */
	size_t nbyev;
	struct finding **byres;         /* its resolved ones by the event that resolved them */
	size_t nbyres;
	struct ui_event_list got;
};

/* The run [*lo, *hi) of v (sorted by cmp) equal to key. */
static void
run_of(struct finding **v, size_t n, const struct finding *key,
    int (*cmp)(const void *, const void *), size_t *lo, size_t *hi)
{
	const struct finding *const *kp = &key;
	struct finding **hit = bsearch(kp, v, n, sizeof *v, cmp);

	*lo = *hi = hit != NULL ? (size_t)(hit - v) : 0;
	if (hit == NULL)
		return;
	while (*lo > 0 && cmp(&v[*lo - 1], kp) == 0)
		(*lo)--;
	while (*hi < n && cmp(&v[*hi], kp) == 0)
		(*hi)++;
}

static int
on_stored_event(void *ctx, const struct event *ev, const char *key)
{
	struct events_ctx *c = ctx;
	struct finding probe, **fv, *made;
	struct resolution rprobe;
	size_t lo, hi, rlo, rhi, nf;
	char *idkey = xasprintf("%s:%s", tf_provider_name(ev->provider), ev->id);
	enum nodrift why;
	struct ui_event ue;

	/* Read again (the feed allows for another writer's clock): shown once. */
	if (tf_idset_add(c->u->event_ids, tf_hash_str(idkey), ev->time_ms) != 0) {
		free(idkey);
		return 0;
	}
	free(idkey);
	if (c->byev == NULL) {  /* the first new event of this read: index the findings */
		c->nbyev = c->u->model.all.n;
		c->byev = xreallocarray(NULL, c->nbyev + 1, sizeof *c->byev);
		memcpy(c->byev, c->u->model.all.v, c->nbyev * sizeof *c->byev);
		qsort(c->byev, c->nbyev, sizeof *c->byev, cmp_by_event);
		c->byres = xreallocarray(NULL, c->nbyev + 1, sizeof *c->byres);
		for (size_t i = 0; i < c->nbyev; i++)
			if (resolving_event(c->byev[i])[0] != '\0')
				c->byres[c->nbyres++] = c->byev[i];
		qsort(c->byres, c->nbyres, sizeof *c->byres, cmp_by_resolving_event);
	}
	/* Its findings: the run of the sorted index with its id; and the findings it resolved
	 * (a revert), as the file-fed dashboard hands them on with the event (replay.c). */
	memset(&probe, 0, sizeof probe);
	memset(&rprobe, 0, sizeof rprobe);
	probe.event_id = ev->id;
	probe.status = ST_RESOLVED;
	probe.resolution = &rprobe;
	rprobe.event_id = ev->id;
	run_of(c->byev, c->nbyev, &probe, cmp_by_event, &lo, &hi);
	run_of(c->byres, c->nbyres, &probe, cmp_by_resolving_event, &rlo, &rhi);
	/* What detection made of it is not kept: its findings say drift; the record says a
	 * failed call, the pipeline or a service; anything else on a managed resource (its key
	 * an address, not "TYPE:ID") set what state has, else touched nothing managed. */
	why = hi > lo ? ND_DRIFT : ev->error_code != NULL ? ND_FAILED :
	    ev->actor.via == VIA_TERRAFORM ? ND_TERRAFORM : ev->actor.via == VIA_SERVICE ?
	    ND_SERVICE : key != NULL && strcspn(key, ".[") < strcspn(key, ":") ? ND_EQUAL :
	    ND_NOT_MANAGED;
	/* The findings it made count as made, whatever became of them since (shallow copies,
	 * open, as they were when it made them); those it resolved as resolutions. */
	nf = (hi - lo) + (rhi - rlo);
	fv = xreallocarray(NULL, nf + 1, sizeof *fv);
	made = xreallocarray(NULL, hi - lo + 1, sizeof *made);
	for (size_t i = 0; i < hi - lo; i++) {
		made[i] = *c->byev[lo + i];
		made[i].status = ST_OPEN;
		fv[i] = &made[i];
	}
	memcpy(fv + (hi - lo), c->byres + rlo, (rhi - rlo) * sizeof *fv);
	replay_summarize(NULL, ev, why, fv, nf, &ue);
	free(fv);
	free(made);
	if (key != NULL) {
		if (ue.resource == NULL)
			ue.resource = xstrdup(key);
		if (!ui_event_touches(&ue, key)) {
			ue.keys = xreallocarray(ue.keys, ue.nkeys + 1, sizeof *ue.keys);
			ue.keys[ue.nkeys++] = xstrdup(key);
		}
	}
	ui_event_list_push(&c->got, &ue);
	return 0;
}

/* The events saved since the last read (the newest of the window the first time) into the
 * Events view. 0, or -1 with *err. */
static int
read_events(struct ui *u, char **err)
{
	struct events_ctx c = { u, NULL, 0, NULL, 0, { 0 } };
	struct finding_list none = { 0 };
	int nbad;

	if (u->event_ids == NULL)
		u->event_ids = tf_idset_new(u->events.cap);
	nbad = store_feed_events(u->store, &u->events_seen_ms, u->store_since_ms, u->events.cap,
	    on_stored_event, &c, err);
	free(c.byev);
	free(c.byres);
	if (nbad > 0) {
		ui_msg(u, 1, "%s", *err);
		free(*err);
		*err = NULL;
	}
	if (c.got.n > 0 && u->paused) {
		size_t i;

		for (i = 0; i < c.got.n; i++)   /* shown on resume, with the held findings */
			ui_event_list_push(&u->held_events, &c.got.v[i]);
	} else if (c.got.n > 0)
		ui_show_arrivals(u, &none, &c.got);
	if (c.got.n > 0)
		u->dirty = 1;
	free(c.got.v);
	return nbad < 0 ? -1 : 0;
}

int
ui_store_open_view(struct ui *u, int64_t since_ms, char **err)
{
	int nbad;

	u->feed = xcalloc(1, sizeof *u->feed);
	store_feed_init(u->feed);
	u->store_since_ms = since_ms;
	store_changed(u->store);        /* from now on: what others write after this read */
	if (u->triage == NULL && store_triage_snapshot(u->store, &u->triage, err) != 0)
		return -1;
	{
		struct finding_list got = { 0 };

		if ((nbad = store_feed_findings(u->store, u->feed, since_ms, &got, err)) < 0)
			return -1;
		if (nbad > 0) {
			ui_msg(u, 1, "%s", *err);
			free(*err);
			*err = NULL;
		}
		take_findings(u, &got);
		finding_list_clear(&got);
		free(got.v);
	}
	u->events_seen_ms = -1;
	if (read_events(u, err) != 0) {
		/* A store that keeps no events (older schema) still shows its findings. */
		ui_msg(u, 1, "events not read: %s", *err);
		free(*err);
		*err = NULL;
	}
	return 0;
}

void
ui_store_poll(struct ui *u)
{
	int64_t now = tf_mono_ms();
	char *err = NULL;
	int changed;

	if (u->store == NULL || now < u->store_poll_at)
		return;
	u->store_poll_at = now + UI_STORE_POLL_MS;
	changed = store_changed(u->store);
	if (changed < 0) {
		if (!u->store_poll_failed)
			ui_msg(u, 1, "cannot ask the store for changes (%s); trying again",
			    store_path(u->store));
		u->store_poll_failed = 1;
		if (u->store_down_since == 0)
			u->store_down_since = tf_now_ms();
		/* Asked again (a reconnection) less often while it does not answer. */
		u->store_poll_at = now + UI_STORE_RETRY_MS;
		u->dirty = 1;
		return;
	}
	if (u->store_poll_failed || u->store_down_since != 0) {
		/* Back: what was written meanwhile may not have been announced. */
		ui_msg(u, 0, "the store answers again (%s); decisions can be made again",
		    store_path(u->store));
		u->store_poll_failed = 0;
		u->store_down_since = 0;
		u->dirty = 1;
		changed = 1;
	}
	if (changed == 0)
		return;
	/* Decisions first: new findings get the triage they have now. */
	if (ui_triage_sync(u, 0, &err) != 0) {
		ui_msg(u, 1, "decisions not read: %s", err);
		free(err);
		err = NULL;
	}
	if (u->feed != NULL && read_findings(u) == 0 && read_events(u, &err) != 0) {
		ui_msg(u, 1, "new events not read: %s", err);
		free(err);
		err = NULL;
	}
	ui_refresh_freezes(u);
}

int
ui_store_timeout(const struct ui *u, int64_t now, int timeout)
{
	int64_t d;

	if (u->store == NULL)
		return timeout;
	d = u->store_poll_at - now;
	if (d < 1)
		d = 1;
	return timeout < 0 || d < timeout ? (int)d : timeout;
}
