/* sources: configuration -> collectors. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "collectors/cloudtrail.h"
#include "collectors/falco.h"
#include "collectors/files.h"
#include "collectors/gcplogging.h"
#include "gcp_auth.h"
#include "collectors/sqs.h"
#include "sources.h"
#include "util.h"

#define FILES_POLL_MS 60000     /* a glob is expanded again this often for new files */

/* What the collectors of one AWS source share: its credentials and a rate limiter per
 * region (AWS's 2 requests/s is per account and region). Freed with its last collector. */
struct aws_shared {
	unsigned refs;
	struct aws_creds *creds;
	struct ct_limiter *limiters;
	size_t nlimiters;
};

static void
aws_shared_unref(struct aws_shared *sh)
{
	size_t i;

	if (--sh->refs > 0)
		return;
	for (i = 0; i < sh->nlimiters; i++)
		ct_limiter_destroy(&sh->limiters[i]);
	free(sh->limiters);
	aws_creds_free(sh->creds);
	free(sh);
}

/* IAM, STS and the other global services log in us-east-1 only (cn-north-1 in China,
 * us-gov-west-1 in GovCloud: aws_partition): the implicit poller of that region, for a source
 * that does not list it, passes just these. */
static int
global_source(const char *src)
{
	static const char *const g[] = { "iam.amazonaws.com", "sts.amazonaws.com",
		"organizations.amazonaws.com", "cloudfront.amazonaws.com", "route53.amazonaws.com",
		"route53domains.amazonaws.com", "waf.amazonaws.com", "globalaccelerator.amazonaws.com",
		"shield.amazonaws.com", "account.amazonaws.com", "sso.amazonaws.com",
		"signin.amazonaws.com" };
	size_t i;

	for (i = 0; src != NULL && i < sizeof g / sizeof g[0]; i++)
		if (strcmp(src, g[i]) == 0)
			return 1;
	return 0;
}

struct ct_col {
	struct ct_poller *p;
	struct aws_shared *sh;
	int global_only;
	const struct source_sink *inner;        /* during run/poll: the engine's sink */
};

/* The sink of a global-only poller: drops regional events (its region's own pollers, if
 * any, are configured elsewhere). */
static int
global_event(void *ctx, struct event *ev)
{
	struct ct_col *cc = ctx;

	if (!global_source(ev->source)) {
		event_free(ev);
		free(ev);
		return 0;
	}
	return cc->inner->event(cc->inner->ctx, ev);
}

static char *
pass_cursor_get(void *ctx, const char *name)
{
	struct ct_col *cc = ctx;

	return cc->inner->cursor_get(cc->inner->ctx, name);
}

static int
pass_cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	struct ct_col *cc = ctx;

	return cc->inner->cursor_set(cc->inner->ctx, name, value, err);
}

static void
pass_status(void *ctx, const struct source_status *st)
{
	struct ct_col *cc = ctx;

	cc->inner->status(cc->inner->ctx, st);
}

static int
pass_sleep(void *ctx, int64_t ms)
{
	struct ct_col *cc = ctx;

	return cc->inner->sleep(cc->inner->ctx, ms);
}

static int
pass_flush(void *ctx)
{
	struct ct_col *cc = ctx;

	return cc->inner->flush(cc->inner->ctx);
}

static int
pass_watermark(void *ctx, int64_t upto_ms)
{
	struct ct_col *cc = ctx;

	return cc->inner->watermark(cc->inner->ctx, upto_ms);
}

static void
wrap(struct ct_col *cc, const struct source_sink *in, struct source_sink *out)
{
	cc->inner = in;
	if (!cc->global_only) {
		*out = *in;
		return;
	}
	out->event = global_event;
	out->cursor_get = pass_cursor_get;
	out->cursor_set = pass_cursor_set;
	out->status = pass_status;
	out->sleep = pass_sleep;
	out->flush = pass_flush;
	out->watermark = in->watermark != NULL ? pass_watermark : NULL;
	out->ctx = cc;
}

static int
ct_col_run(void *impl, const struct source_sink *sink)
{
	struct ct_col *cc = impl;
	struct source_sink k;

	wrap(cc, sink, &k);
	return ct_poller_run(cc->p, &k);
}

static int
ct_col_once(void *impl, const struct source_sink *sink)
{
	struct ct_col *cc = impl;
	struct source_sink k;
	int rc;

	wrap(cc, sink, &k);
	/* One poll: max_pages pages at most (1: the window is not done, the status says so). */
	rc = ct_poll_once(cc->p, &k, NULL);
	return rc != 0 ? -1 : 0;
}

static void
ct_col_reset(void *impl)
{
	ct_poller_reset(((struct ct_col *)impl)->p);
}

static void
ct_col_free(void *impl)
{
	struct ct_col *cc = impl;

	ct_poller_free(cc->p);
	aws_shared_unref(cc->sh);
	free(cc);
}

struct sqs_col {
	struct sqs_consumer *c;
	struct aws_shared *sh;
};

static int
sqs_col_run(void *impl, const struct source_sink *sink)
{
	return sqs_consumer_run(((struct sqs_col *)impl)->c, sink);
}

static int
sqs_col_once(void *impl, const struct source_sink *sink)
{
	struct sqs_col *sc = impl;
	uint64_t errors = sqs_consumer_errors(sc->c);
	int rc;

	/* Until the queue has nothing visible left, which a short long poll tells. A message
	 * that could not be processed (it stays in the queue) fails the poll. */
	sqs_consumer_set_wait(sc->c, 1);
	while ((rc = sqs_poll_once(sc->c, sink, NULL)) > 0)
		;
	return rc < 0 || sqs_consumer_errors(sc->c) > errors ? -1 : 0;
}

static void
sqs_col_free(void *impl)
{
	struct sqs_col *sc = impl;

	sqs_consumer_free(sc->c);
	aws_shared_unref(sc->sh);
	free(sc);
}

/* The collectors of one sources.aws entry: a poller per region (+ us-east-1, or its
 * partition's global region, for global events when the list lacks it) and the queue. */
/* " [backfill 2024-05-01T00:00:00Z..2024-05-02T00:00:00Z]" or "". Heap. */
static char *
window_suffix(const struct sources_opts *o)
{
	char a[32], b[32];

	if (o == NULL || (o->since_ms == 0 && o->until_ms == 0))
		return xstrdup("");
	tf_format_time(o->since_ms, a);
	tf_format_time(o->until_ms, b);
	return xasprintf(" [backfill %s..%s]", o->since_ms ? a : "", o->until_ms ? b : "now");
}

static int
add_aws(struct engine *e, const struct conf_aws_source *a, const struct sources_opts *bo)
{
	struct aws_creds_opts co = { a->profile, NULL };
	struct aws_shared *sh = xcalloc(1, sizeof *sh);
	size_t i, nreg = a->regions.n, has_east = 0;
	/* The global services' region of the (first) region's partition. */
	const char *east = aws_partition(a->regions.n > 0 ? a->regions.v[0] : NULL)->global_region;
	int n = 0;

	for (i = 0; i < a->regions.n; i++)
		if (strcmp(a->regions.v[i], east) == 0)
			has_east = 1;
	if (nreg > 0 && !has_east)
		nreg++;
	sh->creds = aws_creds_new(&co);
	sh->limiters = xcalloc(nreg + 1, sizeof *sh->limiters);
	sh->nlimiters = nreg;
	sh->refs = 1;           /* held while adding */
	for (i = 0; i < nreg; i++) {
		const char *region = i < a->regions.n ? a->regions.v[i] : east;
		struct ct_options o;
		struct ct_col *cc = xcalloc(1, sizeof *cc);
		struct collector *col = xcalloc(1, sizeof *col);
		char *win = window_suffix(bo);
		char *name = xasprintf("cloudtrail %s %s%s%s", a->name, region,
		    i < a->regions.n ? "" : " (global)", win);

		free(win);

		ct_limiter_init(&sh->limiters[i], 2.0);
		memset(&o, 0, sizeof o);
		o.name = name;
		o.region = region;
		o.endpoint = a->endpoint;
		o.creds = sh->creds;
		o.limiter = &sh->limiters[i];
		o.interval_ms = a->poll_interval_ms;
		o.lookback_ms = a->lookback_ms;
		o.max_pages = (int)a->max_pages;
		if (bo != NULL) {
			o.since_ms = bo->since_ms;
			o.until_ms = bo->until_ms;
		}
		cc->p = ct_poller_new(&o);
		cc->sh = sh;
		cc->global_only = i >= a->regions.n;
		sh->refs++;
		col->name = name;
		col->run = ct_col_run;
		col->poll_once = ct_col_once;
		col->free = ct_col_free;
		col->impl = cc;
		col->leased = 1;        /* one worker at a time polls it (engine_set_lease) */
		col->reset = ct_col_reset;
		engine_add(e, col);
		n++;
	}
	if (a->sqs_queue != NULL) {
		struct sqs_options o;
		struct sqs_col *sc = xcalloc(1, sizeof *sc);
		struct collector *col = xcalloc(1, sizeof *col);
		char *name = xasprintf("sqs %s", a->name);

		memset(&o, 0, sizeof o);
		o.name = name;
		o.region = a->sqs_region;
		o.queue_url = a->sqs_queue;
		o.endpoint = a->sqs_endpoint;
		o.s3_endpoint = a->s3_endpoint;
		o.creds = sh->creds;
		sc->c = sqs_consumer_new(&o);
		sc->sh = sh;
		sh->refs++;
		col->name = name;
		col->run = sqs_col_run;
		col->poll_once = sqs_col_once;
		col->free = sqs_col_free;
		col->impl = sc;
		engine_add(e, col);
		n++;
	}
	aws_shared_unref(sh);
	return n;
}

/* One sources.gcp entry: Application Default Credentials and a Logging poller. The
 * poller is made on first use, with the engine's sink (its context outlives the poller). */
struct gl_col {
	struct gcp_auth *auth;
	struct gl_opts o;
	char *name, *project, *endpoint;
	struct gl_poller *p;
};

static struct gl_poller *
gl_col_poller(struct gl_col *gc, const struct source_sink *sink)
{
	char *err = NULL;

	if (gc->p == NULL && (gc->p = gl_poller_new(&gc->o, sink, &err)) == NULL) {
		struct source_status st;

		memset(&st, 0, sizeof st);
		st.name = gc->name;
		st.lag_ms = -1;
		st.backfill = -1;
		st.errors = 1;
		st.last_error = err;
		sink->status(sink->ctx, &st);
		free(err);
	}
	return gc->p;
}

static int
gl_col_run(void *impl, const struct source_sink *sink)
{
	struct gl_col *gc = impl;
	char *err = NULL;

	if (gl_col_poller(gc, sink) == NULL)
		return -1;
	gl_poller_run(gc->p, &err);
	free(err);
	return 0;
}

static int
gl_col_once(void *impl, const struct source_sink *sink)
{
	struct gl_col *gc = impl;
	char *err = NULL;
	int rc;

	if (gl_col_poller(gc, sink) == NULL)
		return -1;
	/* 1: stopped; 2: max_pages reached (the status says so): not done either way. */
	rc = gl_poll_once(gc->p, &err);
	free(err);
	return rc != 0 ? -1 : 0;
}

/* The poller is made again, reading its cursor, on its next run. */
static void
gl_col_reset(void *impl)
{
	struct gl_col *gc = impl;

	gl_poller_free(gc->p);
	gc->p = NULL;
}

static void
gl_col_free(void *impl)
{
	struct gl_col *gc = impl;

	gl_poller_free(gc->p);
	gcp_auth_free(gc->auth);
	free(gc->name);
	free(gc->project);
	free(gc->endpoint);
	free(gc);
}

static int
add_gcp(struct engine *e, const struct conf_gcp_source *g, const struct sources_opts *bo,
    char **err)
{
	char *win;
	struct gcp_auth_opts ao;
	struct gl_col *gc = xcalloc(1, sizeof *gc);
	struct collector *col = xcalloc(1, sizeof *col);

	memset(&ao, 0, sizeof ao);
	if ((gc->auth = gcp_auth_new(&ao, err)) == NULL) {
		char *why = *err;

		*err = xasprintf("sources.gcp %s: %s", g->name, why);
		free(why);
		free(gc);
		free(col);
		return -1;
	}
	win = window_suffix(bo);
	gc->name = xasprintf("gcp %s %s%s", g->name, g->project, win);
	free(win);
	if (bo != NULL) {
		gc->o.since_ms = bo->since_ms;
		gc->o.until_ms = bo->until_ms;
	}
	gc->project = xstrdup(g->project);
	gc->endpoint = xstrdup(g->endpoint);
	gc->o.name = gc->name;
	gc->o.project = gc->project;
	gc->o.endpoint = gc->endpoint;
	gc->o.tokens = gcp_auth_token_source(gc->auth);
	gc->o.token_invalidate = gcp_auth_invalidate;
	gc->o.quota_project = gcp_auth_quota_project(gc->auth);
	gc->o.data_access = g->data_access;
	gc->o.poll_interval_ms = g->poll_interval_ms;
	gc->o.lookback_ms = g->lookback_ms;
	gc->o.max_pages = g->max_pages;
	col->name = xstrdup(gc->name);
	col->run = gl_col_run;
	col->poll_once = gl_col_once;
	col->free = gl_col_free;
	col->impl = gc;
	col->leased = 1;        /* one worker at a time polls it (engine_set_lease) */
	col->reset = gl_col_reset;
	engine_add(e, col);
	return 1;
}

int
sources_add(struct engine *e, const struct conf *c, const struct strlist *extra_files,
    const struct sources_opts *o, char **err)
{
	struct strlist all = { 0 };
	size_t i;
	int n = 0;

	for (i = 0; i < c->events.n; i++)
		strlist_push(&all, c->events.v[i]);
	for (i = 0; i < c->sources.files.n; i++)
		strlist_push(&all, c->sources.files.v[i]);
	for (i = 0; extra_files != NULL && i < extra_files->n; i++)
		strlist_push(&all, extra_files->v[i]);
	if (all.n > 0) {
		engine_add(e, files_collector_new("files", all.v, all.n, FILES_POLL_MS));
		n++;
	}
	strlist_clear(&all);
	for (i = 0; i < c->sources.nfalco; i++, n++)
		engine_add(e, falco_collector_new(c->sources.falco[i].name, c->sources.falco[i].path));
	for (i = 0; i < c->sources.naws; i++)
		n += add_aws(e, &c->sources.aws[i], o);
	for (i = 0; i < c->sources.ngcp; i++) {
		int k = add_gcp(e, &c->sources.gcp[i], o, err);

		if (k < 0)
			return -1;
		n += k;
	}
	return n;
}

int
sources_live(const struct conf *c)
{
	return c->sources.naws > 0 || c->sources.ngcp > 0 || c->sources.files.n > 0 ||
	    c->sources.nfalco > 0;
}
