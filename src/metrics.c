/* metrics: counters and gauges with labels, and the Prometheus text format (see metrics.h). */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "util.h"

struct metric {
	struct metric_family *f;
	char *values[METRICS_MAX_LABELS];
	/* A counter's count, or a gauge's double (its bits). */
	_Atomic uint64_t v;
	struct metric *next;            /* the family's list, in creation order */
};

struct metric_family {
	struct metrics *reg;            /* its mu guards the series list */
	char *name, *help;
	enum metric_type type;
	char *labels[METRICS_MAX_LABELS];
	size_t nlabels;
	size_t max_series, nseries;
	struct metric *head, **tail;
	struct metric *other;           /* where label sets past max_series go */
	struct metric_family *next;
};

struct collect {
	void (*fn)(struct metrics *m, void *ctx);
	void *ctx;
	struct collect *next;
};

struct metrics {
	pthread_mutex_t mu;             /* families, their series lists, collectors */
	struct metric_family *families;
	struct collect *collect, **collect_tail;
	pthread_mutex_t render_mu;      /* one render (and its collect callbacks) at a time */
};

struct metrics *
metrics_new(void)
{
	struct metrics *m = xcalloc(1, sizeof *m);

	pthread_mutex_init(&m->mu, NULL);
	pthread_mutex_init(&m->render_mu, NULL);
	m->collect_tail = &m->collect;
	return m;
}

static void
series_free(struct metric *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < METRICS_MAX_LABELS; i++)
		free(s->values[i]);
	free(s);
}

static void
family_clear(struct metric_family *f)
{
	struct metric *s, *next;

	for (s = f->head; s != NULL; s = next) {
		next = s->next;
		series_free(s);
	}
	series_free(f->other);
	f->head = NULL;
	f->tail = &f->head;
	f->other = NULL;
	f->nseries = 0;
}

void
metrics_free(struct metrics *m)
{
	struct metric_family *f, *fn;
	struct collect *c, *cn;
	size_t i;

	if (m == NULL)
		return;
	for (f = m->families; f != NULL; f = fn) {
		fn = f->next;
		family_clear(f);
		for (i = 0; i < f->nlabels; i++)
			free(f->labels[i]);
		free(f->name);
		free(f->help);
		free(f);
	}
	for (c = m->collect; c != NULL; c = cn) {
		cn = c->next;
		free(c);
	}
	pthread_mutex_destroy(&m->mu);
	pthread_mutex_destroy(&m->render_mu);
	free(m);
}

int
metrics_name_ok(const char *name, int label)
{
	const char *p;

	if (name == NULL || *name == '\0' || (*name >= '0' && *name <= '9'))
		return 0;
	for (p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '_' || (*p == ':' && !label)))
			return 0;
	return 1;
}

struct metric_family *
metrics_family(struct metrics *m, const char *name, const char *help, enum metric_type type,
    const char *const *labels)
{
	struct metric_family *f, **pp;

	pthread_mutex_lock(&m->mu);
	for (pp = &m->families; *pp != NULL; pp = &(*pp)->next)
		if (strcmp((*pp)->name, name) == 0) {
			f = *pp;
			pthread_mutex_unlock(&m->mu);
			return f;
		}
	f = xcalloc(1, sizeof *f);
	f->reg = m;
	f->name = xstrdup(name);
	f->help = xstrdup(help != NULL ? help : "");
	f->type = type;
	while (labels != NULL && labels[f->nlabels] != NULL && f->nlabels < METRICS_MAX_LABELS) {
		f->labels[f->nlabels] = xstrdup(labels[f->nlabels]);
		f->nlabels++;
	}
	f->max_series = METRICS_MAX_SERIES;
	f->tail = &f->head;
	*pp = f;
	pthread_mutex_unlock(&m->mu);
	return f;
}

void
metrics_family_max(struct metric_family *f, size_t max_series)
{
	f->max_series = max_series > 0 && max_series < METRICS_MAX_SERIES ? max_series :
	    METRICS_MAX_SERIES;
}

static struct metric *
series_new(struct metric_family *f, const char *const *values, int other)
{
	struct metric *s = xcalloc(1, sizeof *s);
	size_t i;

	s->f = f;
	for (i = 0; i < f->nlabels; i++)
		s->values[i] = xstrdup(other ? METRICS_OTHER : values[i] != NULL ? values[i] : "");
	atomic_init(&s->v, 0);
	if (f->type == METRIC_GAUGE) {
		double z = 0;
		uint64_t bits;

		memcpy(&bits, &z, sizeof bits);
		atomic_store(&s->v, bits);
	}
	return s;
}

struct metric *
metrics_series(struct metric_family *f, const char *const *values)
{
	struct metric *s;
	size_t i;

	/* Lookups are not on the hot path (callers keep the series): the registry's one lock. */
	pthread_mutex_lock(&f->reg->mu);
	for (s = f->head; s != NULL; s = s->next) {
		for (i = 0; i < f->nlabels; i++)
			if (strcmp(s->values[i], values[i] != NULL ? values[i] : "") != 0)
				break;
		if (i == f->nlabels)
			break;
	}
	if (s == NULL && f->nseries >= f->max_series) {
		/* Past the bound: one series for every label set that did not fit. */
		if (f->other == NULL)
			f->other = series_new(f, values, 1);
		s = f->other;
	} else if (s == NULL) {
		s = series_new(f, values, 0);
		*f->tail = s;
		f->tail = &s->next;
		f->nseries++;
	}
	pthread_mutex_unlock(&f->reg->mu);
	return s;
}

struct metric *
metrics_get(struct metric_family *f, ...)
{
	const char *v[METRICS_MAX_LABELS + 1] = { NULL };
	va_list ap;
	size_t i;

	va_start(ap, f);
	for (i = 0; i < f->nlabels; i++)
		v[i] = va_arg(ap, const char *);
	va_end(ap);
	return metrics_series(f, v);
}

void
metric_inc(struct metric *s)
{
	atomic_fetch_add_explicit(&s->v, 1, memory_order_relaxed);
}

void
metric_add(struct metric *s, uint64_t n)
{
	atomic_fetch_add_explicit(&s->v, n, memory_order_relaxed);
}

void
metric_set(struct metric *s, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof bits);
	atomic_store_explicit(&s->v, bits, memory_order_relaxed);
}

void
metric_set_count(struct metric *s, uint64_t n)
{
	atomic_store_explicit(&s->v, n, memory_order_relaxed);
}

void
metric_gauge_add(struct metric *s, double v)
{
	uint64_t old = atomic_load_explicit(&s->v, memory_order_relaxed), nb;
	double d;

	do {
		memcpy(&d, &old, sizeof d);
		d += v;
		memcpy(&nb, &d, sizeof nb);
	} while (!atomic_compare_exchange_weak_explicit(&s->v, &old, nb, memory_order_relaxed,
	    memory_order_relaxed));
}

double
metric_value(const struct metric *s)
{
	uint64_t bits = atomic_load_explicit(&((struct metric *)s)->v, memory_order_relaxed);
	double d;

	if (s->f->type == METRIC_COUNTER)
		return (double)bits;
	memcpy(&d, &bits, sizeof d);
	return d;
}

void
metrics_on_collect(struct metrics *m, void (*fn)(struct metrics *m, void *ctx), void *ctx)
{
	struct collect *c = xcalloc(1, sizeof *c);

	c->fn = fn;
	c->ctx = ctx;
	pthread_mutex_lock(&m->mu);
	*m->collect_tail = c;
	m->collect_tail = &c->next;
	pthread_mutex_unlock(&m->mu);
}

void
metrics_escape_label(struct strbuf *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '\\': sb_adds(out, "\\\\"); break;
		case '"': sb_adds(out, "\\\""); break;
		case '\n': sb_adds(out, "\\n"); break;
		default: sb_addc(out, *s);
		}
	}
}

void
metrics_escape_help(struct strbuf *out, const char *s)
{
	for (; s != NULL && *s; s++) {
		switch (*s) {
		case '\\': sb_adds(out, "\\\\"); break;
		case '\n': sb_adds(out, "\\n"); break;
		default: sb_addc(out, *s);
		}
	}
}

void
metrics_format_value(struct strbuf *out, double v)
{
	if (isnan(v))
		sb_adds(out, "NaN");
	else if (isinf(v))
		sb_adds(out, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		sb_addf(out, "%.0f", v);
	else {
		/* The shortest of 15 or 17 digits that reads back as v. */
		char buf[40];

		snprintf(buf, sizeof buf, "%.15g", v);
		if (strtod(buf, NULL) != v)
			snprintf(buf, sizeof buf, "%.17g", v);
		sb_adds(out, buf);
	}
}

static void
render_series(struct strbuf *out, const struct metric_family *f, const struct metric *s)
{
	size_t i;

	sb_adds(out, f->name);
	if (f->nlabels > 0) {
		sb_addc(out, '{');
		for (i = 0; i < f->nlabels; i++) {
			sb_addf(out, "%s%s=\"", i > 0 ? "," : "", f->labels[i]);
			metrics_escape_label(out, s->values[i]);
			sb_addc(out, '"');
		}
		sb_addc(out, '}');
	}
	sb_addc(out, ' ');
	if (f->type == METRIC_COUNTER)
		sb_addf(out, "%llu", (unsigned long long)atomic_load(&((struct metric *)s)->v));
	else
		metrics_format_value(out, metric_value(s));
	sb_addc(out, '\n');
}

static int
family_cmp(const void *a, const void *b)
{
	return strcmp((*(struct metric_family *const *)a)->name,
	    (*(struct metric_family *const *)b)->name);
}

void
metrics_render(struct metrics *m, struct strbuf *out)
{
	struct metric_family *f, **v = NULL;
	struct metric *s;
	struct collect *c;
	size_t n = 0, i;

	pthread_mutex_lock(&m->render_mu);
	for (c = m->collect; c != NULL; c = c->next)
		c->fn(m, c->ctx);
	pthread_mutex_lock(&m->mu);
	for (f = m->families; f != NULL; f = f->next) {
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = f;
	}
	if (n > 0)
		qsort(v, n, sizeof *v, family_cmp);
	for (i = 0; i < n; i++) {
		f = v[i];
		sb_addf(out, "# HELP %s ", f->name);
		metrics_escape_help(out, f->help);
		sb_addf(out, "\n# TYPE %s %s\n", f->name, f->type == METRIC_COUNTER ? "counter" :
		    "gauge");
		for (s = f->head; s != NULL; s = s->next)
			render_series(out, f, s);
		if (f->other != NULL)
			render_series(out, f, f->other);
	}
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_unlock(&m->render_mu);
	free(v);
}

int
metrics_addr_parse(const char *addr, char **host, unsigned *port, char **err)
{
	const char *colon, *p;
	char *end;
	unsigned long v;

	*host = NULL;
	*port = 0;
	if (addr == NULL || *addr == '\0')
		return tf_err(err, "an empty address: expected HOST:PORT (127.0.0.1:9464)");
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (close == NULL || close[1] != ':')
			return tf_err(err, "%s: expected [IPV6]:PORT ([::1]:9464)", addr);
		colon = close + 1;
		*host = xstrndup(addr + 1, (size_t)(close - addr - 1));
		if (**host == '\0') {
			free(*host);
			*host = NULL;
			return tf_err(err, "%s: an empty IPv6 address", addr);
		}
	} else {
		if ((colon = strrchr(addr, ':')) == NULL)
			return tf_err(err, "%s: no port: expected HOST:PORT (127.0.0.1:9464)", addr);
		if (memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return tf_err(err, "%s: an IPv6 address goes in brackets: [::1]:9464", addr);
		if (colon > addr)
			*host = xstrndup(addr, (size_t)(colon - addr));
	}
	for (p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			break;
	errno = 0;
	v = strtoul(colon + 1, &end, 10);
	if (colon[1] == '\0' || *p != '\0' || errno != 0 || v > 65535) {
		free(*host);
		*host = NULL;
		return tf_err(err, "%s: the port must be a number from 0 to 65535", addr);
	}
	*port = (unsigned)v;
	return 0;
}
