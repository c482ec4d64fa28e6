/* notify: the dispatcher: each output on its own thread with its own queue, filters, dedup,
 * rate limit, retries and dead-letter file (see notify.h); what is sent and how comes from
 * the output's notify_ops (notify_slack.c, notify_webhook.c, notify_falco.c). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "notify_int.h"
#include "store.h"
#include "text.h"
#include "util.h"

#define RATE_WINDOW_MS 60000

/* The kinds of output, walked by type. */
static const struct notify_ops *const notify_table[] = {
	&notify_slack_ops,
	&notify_webhook_ops,
	&notify_falco_ops,
};

static const struct notify_ops *
ops_of(enum conf_output_type type)
{
	size_t i;

	for (i = 0; i < TF_ARRLEN(notify_table); i++)
		if (notify_table[i]->type == type)
			return notify_table[i];
	return NULL;
}

/* A finding handed over: its JSON text, shared by the outputs' queues. */
struct item {
	atomic_int refs;
	char id[33];
	int resolved;                   /* a resolution (ST_RESOLVED): deduped apart */
	char *json;
};

/* ---- filters and the rate limiter ---- */

int
notify_filter(const struct conf_output *o, const struct finding *f)
{
	enum severity min;
	size_t i, j;

	if (o->min_severity != NULL && severity_parse(o->min_severity, &min) == 0 &&
	    f->severity < min)
		return 0;
	if (o->kinds.n > 0) {
		for (i = 0; i < o->kinds.n; i++)
			if (strcmp(o->kinds.v[i], finding_kind_name(f->kind)) == 0)
				break;
		if (i == o->kinds.n)
			return 0;
	}
	if (o->rules.n > 0) {
		for (i = 0; i < f->nrules; i++)
			for (j = 0; j < o->rules.n; j++)
				if (f->rules[i].id != NULL && tf_glob(o->rules.v[j], f->rules[i].id))
					return 1;
		return 0;
	}
	return 1;
}


void
notify_bucket_init(struct notify_bucket *b, int per_minute, int64_t now_ms)
{
	b->per_minute = per_minute;
	b->tokens = per_minute;
	b->last_ms = now_ms;
}

int
notify_bucket_take(struct notify_bucket *b, int64_t now_ms)
{
	if (b->per_minute <= 0)
		return 1;
	if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * b->per_minute / RATE_WINDOW_MS;
		if (b->tokens > b->per_minute)
			b->tokens = b->per_minute;
		b->last_ms = now_ms;
	}
	if (b->tokens < 1.0)
		return 0;
	b->tokens -= 1.0;
	return 1;
}

char *
notify_summary_payload(enum conf_output_type type, const char *output, uint64_t n,
    int per_minute, const char *hostname)
{
	json_object *p = json_object_new_object();
	char *text, *r;

	text = xasprintf("%llu more finding%s not sent (rate limit: %d/minute on output %s)",
	    (unsigned long long)n, n == 1 ? "" : "s", per_minute, output);
	if (ops_of(type) != NULL)
		ops_of(type)->summary(p, text, output, n, per_minute, hostname);
	r = text_json_string(p, NOTIFY_JSON_FLAGS);
	json_object_put(p);
	free(text);
	return r;
}

/* ---- the memory dedup set ---- */

static size_t
idset_slot(const struct idset *s, const char *id)
{
	size_t i = (size_t)tf_hash_str(id) & (s->cap - 1);

	while (s->v[i][0] != '\0' && strcmp(s->v[i], id) != 0)
		i = (i + 1) & (s->cap - 1);
	return i;
}

static int
idset_has(const struct idset *s, const char *id)
{
	return s->cap > 0 && s->v[idset_slot(s, id)][0] != '\0';
}

static void
idset_add(struct idset *s, const char *id)
{
	size_t i;

	if (idset_has(s, id))
		return;
	if ((s->n + 1) * 2 > s->cap) {
		struct idset g = { NULL, s->cap ? s->cap * 2 : 64, 0 };

		g.v = xcalloc(g.cap, sizeof *g.v);
		for (i = 0; i < s->cap; i++)
			if (s->v[i][0] != '\0') {
				memcpy(g.v[idset_slot(&g, s->v[i])], s->v[i], 33);
				g.n++;
			}
		free(s->v);
		*s = g;
	}
	i = idset_slot(s, id);
	snprintf(s->v[i], 33, "%s", id);
	s->n++;
}

/* ---- the output threads ---- */

static void
item_unref(struct item *it)
{
	if (it != NULL && atomic_fetch_sub(&it->refs, 1) == 1) {
		free(it->json);
		free(it);
	}
}

static int
expired(struct output *o)
{
	int64_t at = atomic_load(&o->abort_at);

	return at != 0 && tf_mono_ms() >= at;
}

static int
abort_check(void *ctx)
{
	return expired(ctx);
}

static void
set_error(struct output *o, const char *e)
{
	pthread_mutex_lock(&o->mu);
	free(o->st.last_error);
	o->st.last_error = e != NULL ? xstrdup(e) : NULL;
	pthread_mutex_unlock(&o->mu);
}

#define COUNT(o, field, k) do { \
	pthread_mutex_lock(&(o)->mu); \
	(o)->st.field += (k); \
	pthread_mutex_unlock(&(o)->mu); \
} while (0)


/* Append {time, output, type, error, attempts, finding} to the dead-letter file. */
static void
dead_letter(struct output *o, const char *json, const char *why, unsigned attempts)
{
	json_object *l = json_object_new_object(), *fj = json_tokener_parse(json);
	char t[32], *line;
	int fd;
	ssize_t w;

	tf_format_time(tf_now_ms(), t);
	json_object_object_add(l, "time", json_object_new_string(t));
	json_object_object_add(l, "output", json_object_new_string(o->name));
	json_object_object_add(l, "type", json_object_new_string(conf_output_type_name(o->type)));
	json_object_object_add(l, "error", json_object_new_string(why));
	json_object_object_add(l, "attempts", json_object_new_int((int)attempts));
	json_object_object_add(l, "finding", fj);
	{
		char *j = text_json_string(l, NOTIFY_JSON_FLAGS);

		line = xasprintf("%s\n", j);
		free(j);
	}
	json_object_put(l);
	(void)tf_mkdir_parents(o->dead_letter, NULL);
	errno = 0;
	fd = open(o->dead_letter, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || (w = write(fd, line, strlen(line))) != (ssize_t)strlen(line)) {
		char *e = xasprintf("%s; and the dead-letter file %s: %s", why, o->dead_letter,
		    strerror(errno != 0 ? errno : EIO));

		set_error(o, e);
		free(e);
	} else
		COUNT(o, dead_lettered, 1);
	if (fd >= 0)
		close(fd);
	free(line);
}

/* Sleep ms, or less when the output has to give up (the drain deadline). */
static void
pause_ms(struct output *o, int64_t ms)
{
	int64_t until = tf_mono_ms() + ms;
	struct timespec ts;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		int64_t now = tf_mono_ms(), at = atomic_load(&o->abort_at), left;

		if (now >= until || (at != 0 && now >= at))
			break;
		left = until - now;
		if (at != 0 && at - now < left)
			left = at - now;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += left / 1000;
		ts.tv_nsec += (long)(left % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&o->cv, &o->mu, &ts);
	}
	pthread_mutex_unlock(&o->mu);
}

int
notify_post(struct output *o, const char *body, size_t len, const char *const *extra,
    char **retry_after, int *retry, char **err)
{
	struct http_req rq;
	struct http_resp rs;
	const char **hdrs;
	size_t i, k = 0, nextra = 0;
	int rc;

	*retry = 0;
	while (extra != NULL && extra[nextra] != NULL)
		nextra++;
	hdrs = xcalloc(o->headers.n + nextra + 2, sizeof *hdrs);
	hdrs[k++] = "Content-Type: application/json";
	for (i = 0; i < nextra; i++)
		hdrs[k++] = extra[i];
	for (i = 0; i < o->headers.n; i++)
		hdrs[k++] = o->headers.v[i];
	hdrs[k] = NULL;
	memset(&rq, 0, sizeof rq);
	rq.method = "POST";
	rq.url = o->url;
	rq.headers = hdrs;
	rq.body = body;
	rq.body_len = len;
	rq.timeout_ms = o->timeout_ms;
	rq.connect_timeout_ms = o->timeout_ms < 10000 ? o->timeout_ms : 10000;
	rq.max_body = 1 << 20;
	rq.secret_url = 1;
	rq.abort_check = abort_check;
	rq.abort_ctx = o;
	rc = http_do(o->http, &rq, &rs, err);
	if (rc == 0 && (rs.status < 200 || rs.status > 299)) {
		char *u = http_redact_secret_url(o->url);
		struct strbuf why;

		sb_init(&why);
		notify_sb_line(&why, rs.body.buf != NULL ? rs.body.buf : "");
		tf_err(err, "POST %s: HTTP %ld%s%.200s", u, rs.status, why.len ? ": " : "",
		    why.len ? why.buf : "");
		sb_free(&why);
		free(u);
		rc = -1;
	}
	if (rc != 0) {
		*retry = http_retryable(&rs);
		free(*retry_after);
		*retry_after = xstrdup(rs.retry_after);
	}
	http_resp_free(&rs);
	free(hdrs);
	return rc;
}

int
notify_send_post(struct output *o, const char *body, size_t len, const char *event,
    const char *id, char **retry_after, int *retry, char **err)
{
	(void)event;
	(void)id;
	return notify_post(o, body, len, NULL, retry_after, retry, err);
}

/* One attempt, by the output's kind. 0 delivered; -1 with *err and *retry (worth another
 * attempt). */
static int
attempt(struct output *o, const char *body, size_t len, const char *event, const char *id,
    char **retry_after, int *retry, char **err)
{
	*retry = 0;
	return o->ops->send(o, body, len, event, id, retry_after, retry, err);
}

/* Deliver with retries. 0, or -1 with *err (the last attempt's) and *attempts. */
static int
deliver(struct output *o, const char *body, size_t len, const char *event, const char *id,
    unsigned *attempts, char **err)
{
	char *retry_after = NULL, *e = NULL;
	unsigned n;
	int retry;

	for (n = 1;; n++) {
		free(e);
		e = NULL;
		if (attempt(o, body, len, event, id, &retry_after, &retry, &e) == 0) {
			free(retry_after);
			*attempts = n;
			return 0;
		}
		if (!retry || n > (unsigned)o->retries || expired(o))
			break;
		COUNT(o, retried, 1);
		pause_ms(o, http_backoff_ms(n, NOTIFY_BACKOFF_BASE_MS, NOTIFY_BACKOFF_CAP_MS,
		    retry_after));
		if (expired(o))
			break;
	}
	free(retry_after);
	*attempts = n;
	if (expired(o) && retry) {
		*err = xasprintf("%s (gave up at exit)", e);
		free(e);
	} else
		*err = e;
	return -1;
}

/* The store's dedup key: "notify/<output>/<id>" for the open finding, with "/resolved"
 * after it for its resolution (each is sent once per output). */
static char *
sent_key(const struct output *o, const char *id, int resolved)
{
	return xasprintf("notify/%s/%s%s", o->name, id, resolved ? "/resolved" : "");
}

static int
already_sent(struct output *o, const char *id, int resolved)
{
	struct idset *set = resolved ? &o->sent_res : &o->sent;
	char *k, *v = NULL, *err = NULL;
	int rc;

	if (idset_has(set, id))
		return 1;
	if (o->store == NULL)
		return 0;
	k = sent_key(o, id, resolved);
	rc = store_cursor_get(o->store, k, &v, &err);
	free(k);
	free(v);
	free(err);
	if (rc == 1)
		idset_add(set, id);
	return rc == 1;
}

/* Several workers on one store: the worker whose claim is written sends the notification
 * (store_notify_claim, before sending). 1: send it (claimed; or the claim could not be
 * written, on an older or read-only store: better sent twice than lost, and the cursor then
 * keeps it), 0: claimed before, by any worker. */
static int
claim(struct output *o, const char *id, int resolved, int *claimed)
{
	char *err = NULL;
	int rc;

	*claimed = 0;
	if (o->store == NULL)
		return 1;
	rc = store_notify_claim(o->store, id, o->name, resolved, o->n->holder,
	    store_lease_now_ms(), &err);
	if (rc < 0) {
		char *e = xasprintf("claim not saved (another worker may send it too): %s", err);

		set_error(o, e);
		free(e);
		rc = 1;
	} else if (rc == 0)
		idset_add(resolved ? &o->sent_res : &o->sent, id);
	else
		*claimed = 1;
	free(err);
	return rc;
}

/* Not sent after all: the claim is given up, so that whoever meets it again may send it. */
static void
unclaim(struct output *o, const struct item *it, int claimed)
{
	if (claimed)
		store_notify_unclaim(o->store, it->id, o->name, it->resolved, o->n->holder, NULL);
}

/* Sent: remembered in memory, and unless its claim is in the store, in the cursors. */
static void
mark_sent(struct output *o, const char *id, int resolved, int claimed)
{
	char t[32], *k, *err = NULL;

	idset_add(resolved ? &o->sent_res : &o->sent, id);
	if (o->store == NULL || claimed)
		return;
	k = sent_key(o, id, resolved);
	tf_format_time(tf_now_ms(), t);
	if (store_cursor_set(o->store, k, t, &err) != 0) {
		char *e = xasprintf("dedup not saved: %s", err);

		set_error(o, e);
		free(e);
	}
	free(err);
	free(k);
}

static char *
payload(struct output *o, const struct item *it)
{
	json_object *fj;
	char *r;

	if (o->ops->payload == NULL)
		return xstrdup(it->json);
	if ((fj = json_tokener_parse(it->json)) == NULL)
		return NULL;
	r = o->ops->payload(o, fj);
	json_object_put(fj);
	return r;
}

static void
handle(struct output *o, struct item *it)
{
	unsigned attempts = 0;
	char *body, *err = NULL;
	int claimed;

	if (expired(o)) {
		COUNT(o, failed, 1);
		dead_letter(o, it->json, "not delivered before exit (the drain deadline passed)", 0);
		return;
	}
	if (already_sent(o, it->id, it->resolved) || !claim(o, it->id, it->resolved, &claimed)) {
		COUNT(o, deduped, 1);
		return;
	}
	if (!notify_bucket_take(&o->bucket, tf_mono_ms())) {
		unclaim(o, it, claimed);        /* held back: it may come again and be sent */
		COUNT(o, rate_limited, 1);
		if (o->summary_pending++ == 0)
			o->summary_due = tf_mono_ms() + RATE_WINDOW_MS;
		return;
	}
	if ((body = payload(o, it)) == NULL) {
		COUNT(o, failed, 1);
		dead_letter(o, it->json, "internal error: the finding JSON does not parse", 0);
		unclaim(o, it, claimed);
		return;
	}
	if (deliver(o, body, strlen(body), it->resolved ? "resolution" : "finding", it->id,
	    &attempts, &err) == 0) {
		pthread_mutex_lock(&o->mu);
		o->st.sent++;
		if (it->resolved)
			o->st.sent_resolutions++;
		o->st.last_ok_ms = tf_now_ms();
		free(o->st.last_error);
		o->st.last_error = NULL;
		/* Draining: a receiver that answers keeps its output going a while longer. */
		if (o->stopping) {
			int64_t at = tf_mono_ms() + o->drain_idle_ms;

			atomic_store(&o->abort_at, at < o->hard_at ? at : o->hard_at);
		}
		pthread_mutex_unlock(&o->mu);
		mark_sent(o, it->id, it->resolved, claimed);
	} else {
		COUNT(o, failed, 1);
		set_error(o, err);
		dead_letter(o, it->json, err, attempts);
		unclaim(o, it, claimed);
	}
	free(err);
	free(body);
}

static void
send_summary(struct output *o)
{
	uint64_t n = o->summary_pending;
	unsigned attempts;
	char *body, *err = NULL;

	o->summary_pending = 0;
	body = notify_summary_payload(o->type, o->name, n, o->rate_limit, o->n->hostname);
	if (deliver(o, body, strlen(body), "rate_limit_summary", NULL, &attempts, &err) == 0)
		COUNT(o, summaries, 1);
	else {
		char *e = xasprintf("rate-limit summary: %s", err);

		set_error(o, e);
		free(e);
	}
	free(err);
	free(body);
}

static void *
worker(void *arg)
{
	struct output *o = arg;
	char *err = NULL;

	if (o->url != NULL)
		o->http = http_new();
	if (o->n->store_path != NULL &&
	    store_open(o->n->store_path, 0, &o->store, &err) != 0) {
		char *e = xasprintf("dedup kept in memory only: %s", err);

		set_error(o, e);
		free(e);
		free(err);
		o->store = NULL;
	}
	notify_bucket_init(&o->bucket, o->rate_limit, tf_mono_ms());
	for (;;) {
		struct item *it = NULL;
		int summary = 0;

		pthread_mutex_lock(&o->mu);
		for (;;) {
			int64_t now = tf_mono_ms();

			if (o->qlen > 0) {
				it = o->q[o->qhead];
				o->qhead = (o->qhead + 1) % NOTIFY_QUEUE_CAP;
				o->qlen--;
				pthread_cond_broadcast(&o->cv);   /* notify_finding_wait */
				break;
			}
			if (o->summary_pending > 0 && (o->stopping || now >= o->summary_due)) {
				summary = 1;
				break;
			}
			if (o->stopping)
				break;
			if (o->summary_pending > 0) {
				struct timespec ts;
				int64_t left = o->summary_due - now;

				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += left / 1000;
				ts.tv_nsec += (long)(left % 1000) * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&o->cv, &o->mu, &ts);
			} else
				pthread_cond_wait(&o->cv, &o->mu);
		}
		pthread_mutex_unlock(&o->mu);
		if (it != NULL) {
			handle(o, it);
			item_unref(it);
		} else if (summary)
			send_summary(o);
		else
			break;
	}
	if (o->ops->close != NULL)
		o->ops->close(o);
	http_free(o->http);
	o->http = NULL;
	store_close(o->store);
	o->store = NULL;
	return NULL;
}

/* ---- the public side ---- */

static void
output_init(struct output *o, struct notifier *n, const struct conf_output *c)
{
	size_t i;

	memset(o, 0, sizeof *o);
	o->n = n;
	o->ops = ops_of(c->type);
	o->name = xstrdup(c->name);
	o->type = c->type;
	o->url = xstrdup(c->url);
	o->file = xstrdup(c->file);
	o->hmac = xstrdup(c->hmac_secret);
	o->dead_letter = xstrdup(c->dead_letter);
	o->filt.min_severity = xstrdup(c->min_severity);
	for (i = 0; i < c->kinds.n; i++)
		strlist_push(&o->filt.kinds, c->kinds.v[i]);
	for (i = 0; i < c->rules.n; i++)
		strlist_push(&o->filt.rules, c->rules.v[i]);
	for (i = 0; i < c->headers.n; i++)
		strlist_push(&o->headers, c->headers.v[i]);
	o->on = c->on != 0 ? c->on : CONF_ON_OPEN;
	o->rate_limit = c->rate_limit;
	o->retries = c->retries;
	o->timeout_ms = c->timeout_ms;
	o->st.name = o->name;
	o->st.type = conf_output_type_name(c->type);
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
}

struct notifier *
notify_new_store(const struct conf *c, const char *store_path, char **err)
{
	struct notifier *n = xcalloc(1, sizeof *n);
	size_t i;
	int rc;

	n->store_path = xstrdup(store_path);
	n->holder = store_lease_holder_new();
	if (gethostname(n->hostname, sizeof n->hostname - 1) != 0)
		n->hostname[0] = '\0';
	n->o = xcalloc(c->noutputs ? c->noutputs : 1, sizeof *n->o);
	for (i = 0; i < c->noutputs; i++) {
		if (ops_of(c->outputs[i].type) == NULL) {
			tf_err(err, "notify: output %s: unknown type", c->outputs[i].name);
			notify_free(n);
			return NULL;
		}
		output_init(&n->o[i], n, &c->outputs[i]);
		n->n++;
		if ((rc = pthread_create(&n->o[i].thread, NULL, worker, &n->o[i])) != 0) {
			tf_err(err, "notify: cannot start the thread of output %s: %s",
			    c->outputs[i].name, strerror(rc));
			notify_free(n);
			return NULL;
		}
		n->o[i].started = 1;
	}
	return n;
}

struct notifier *
notify_new(const struct conf *c, char **err)
{
	return notify_new_store(c, c->store, err);
}

size_t
notify_noutputs(const struct notifier *n)
{
	return n != NULL ? n->n : 0;
}

static void
enqueue(struct notifier *n, const struct finding *f, int wait)
{
	struct item *it = NULL;
	/* A resolved finding is a resolution: sent to the outputs with on: [..., resolved]. */
	int resolved = f->status == ST_RESOLVED && f->resolution != NULL;
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->n; i++) {
		struct output *o = &n->o[i];

		if (!(o->on & (resolved ? CONF_ON_RESOLVED : CONF_ON_OPEN)) ||
		    !notify_filter(&o->filt, f)) {
			COUNT(o, filtered, 1);
			continue;
		}
		if (it == NULL) {
			json_object *fj = finding_to_json(f);

			it = xcalloc(1, sizeof *it);
			atomic_init(&it->refs, 1);
			it->resolved = resolved;
			snprintf(it->id, sizeof it->id, "%s", f->id);
			it->json = text_json_string(fj, NOTIFY_JSON_FLAGS);
			json_object_put(fj);
		}
		pthread_mutex_lock(&o->mu);
		while (wait && !o->stopping && o->qlen == NOTIFY_QUEUE_CAP)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->stopping || o->qlen == NOTIFY_QUEUE_CAP)
			o->st.dropped++;
		else {
			atomic_fetch_add(&it->refs, 1);
			o->q[(o->qhead + o->qlen) % NOTIFY_QUEUE_CAP] = it;
			o->qlen++;
			pthread_cond_broadcast(&o->cv);
		}
		pthread_mutex_unlock(&o->mu);
	}
	item_unref(it);
}

void
notify_finding(struct notifier *n, const struct finding *f)
{
	enqueue(n, f, 0);
}

void
notify_finding_wait(struct notifier *n, const struct finding *f)
{
	enqueue(n, f, 1);
}

size_t
notify_drain(struct notifier *n, int64_t idle_ms, int64_t max_ms)
{
	int64_t now = tf_mono_ms();
	size_t i;

	if (n == NULL)
		return 0;
	if (n->drained)
		return n->undelivered;
	for (i = 0; i < n->n; i++) {
		struct output *o = &n->o[i];

		pthread_mutex_lock(&o->mu);
		o->stopping = 1;
		o->drain_idle_ms = idle_ms;
		o->hard_at = now + max_ms;
		atomic_store(&o->abort_at, now + (idle_ms < max_ms ? idle_ms : max_ms));
		pthread_cond_broadcast(&o->cv);
		pthread_mutex_unlock(&o->mu);
	}
	for (i = 0; i < n->n; i++)
		if (n->o[i].started) {
			pthread_join(n->o[i].thread, NULL);
			n->o[i].started = 0;
		}
	n->undelivered = 0;
	for (i = 0; i < n->n; i++)
		n->undelivered += n->o[i].st.failed + n->o[i].st.dropped;
	n->drained = 1;
	return n->undelivered;
}

void
notify_free(struct notifier *n)
{
	size_t i;

	if (n == NULL)
		return;
	notify_drain(n, NOTIFY_DRAIN_IDLE_MS, NOTIFY_DRAIN_MAX_MS);
	for (i = 0; i < n->n; i++) {
		struct output *o = &n->o[i];

		while (o->qlen > 0) {
			item_unref(o->q[o->qhead]);
			o->qhead = (o->qhead + 1) % NOTIFY_QUEUE_CAP;
			o->qlen--;
		}
		free(o->name);
		free(o->url);
		free(o->file);
		free(o->hmac);
		free(o->dead_letter);
		free(o->filt.min_severity);
		strlist_clear(&o->filt.kinds);
		strlist_clear(&o->filt.rules);
		strlist_clear(&o->headers);
		free(o->st.last_error);
		free(o->sent.v);
		free(o->sent_res.v);
		pthread_mutex_destroy(&o->mu);
		pthread_cond_destroy(&o->cv);
	}
	free(n->o);
	free(n->store_path);
	free(n->holder);
	free(n);
}

void
notify_stats(struct notifier *n, struct notify_stat **out, size_t *nout)
{
	size_t i;

	*out = NULL;
	*nout = 0;
	if (n == NULL || n->n == 0)
		return;
	*out = xcalloc(n->n, sizeof **out);
	for (i = 0; i < n->n; i++) {
		struct output *o = &n->o[i];

		pthread_mutex_lock(&o->mu);
		(*out)[i] = o->st;
		(*out)[i].name = xstrdup(o->name);
		(*out)[i].last_error = xstrdup(o->st.last_error);
		(*out)[i].backlog = o->qlen;
		pthread_mutex_unlock(&o->mu);
	}
	*nout = n->n;
}

void
notify_stats_free(struct notify_stat *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(s[i].name);
		free(s[i].last_error);
	}
	free(s);
}

void
notify_report(struct notifier *n, FILE *fp)
{
	struct notify_stat *s;
	size_t ns, i;

	notify_stats(n, &s, &ns);
	for (i = 0; i < ns; i++) {
		fprintf(fp, "tfdrift: notify %s (%s): %llu sent", s[i].name, s[i].type,
		    (unsigned long long)s[i].sent);
		if (s[i].sent_resolutions > 0)
			fprintf(fp, " (%llu resolution%s)", (unsigned long long)s[i].sent_resolutions,
			    s[i].sent_resolutions == 1 ? "" : "s");
		fprintf(fp, ", %llu deduped, %llu rate-limited", (unsigned long long)s[i].deduped,
		    (unsigned long long)s[i].rate_limited);
		if (s[i].retried > 0)
			fprintf(fp, ", %llu retr%s", (unsigned long long)s[i].retried,
			    s[i].retried == 1 ? "y" : "ies");
		if (s[i].failed > 0)
			fprintf(fp, ", %llu failed (%llu in the dead-letter file %s)",
			    (unsigned long long)s[i].failed, (unsigned long long)s[i].dead_lettered,
			    n->o[i].dead_letter);
		if (s[i].dropped > 0)
			fprintf(fp, ", %llu dropped (queue full)", (unsigned long long)s[i].dropped);
		if (s[i].last_error != NULL)
			fprintf(fp, "; last error: %s", s[i].last_error);
		fputc('\n', fp);
	}
	notify_stats_free(s, ns);
}

