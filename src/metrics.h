/* metrics: a small registry of counters and gauges with labels, written out in the
 * Prometheus text exposition format 0.0.4 (`watch --metrics`, src/metrics_http.c).
 *
 * A family is a name, a help line, a type and label names; a series is one set of label
 * values of a family. Updates are lock-free (an atomic add or store on the series): the hot
 * path (the engine thread counting events) looks its series up once and keeps the pointer.
 * Looking a series up or creating one takes the registry's one mutex. Series are never
 * freed before the registry, so a pointer stays valid for its lifetime.
 *
 * Cardinality is bounded: a family holds at most its max_series (METRICS_MAX_SERIES unless
 * set lower); past that, new label sets fold into one series whose every label value is
 * METRICS_OTHER, so an unbounded value (an actor's name) cannot grow the output without end.
 *
 * Gauges that mirror state kept elsewhere (a source's lag, a queue's depth) are set by
 * collect callbacks, run at the start of every render. */
#ifndef TFDRIFT_METRICS_H
#define TFDRIFT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define METRICS_MAX_SERIES 2000
#define METRICS_MAX_LABELS 4
#define METRICS_OTHER "_other"

enum metric_type { METRIC_COUNTER = 0, METRIC_GAUGE };

struct metrics;
struct metric_family;
struct metric;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* The family named name (created on first use; the same pointer after). labels: up to
 * METRICS_MAX_LABELS label names, NULL-terminated. help is copied. */
struct metric_family *metrics_family(struct metrics *m, const char *name, const char *help,
    enum metric_type type, const char *const *labels);
/* Bound the family's series (at most METRICS_MAX_SERIES). */
void metrics_family_max(struct metric_family *f, size_t max_series);
/* The series of f with these label values (as many as f has labels; NULL counts as ""),
 * created at 0 on first use. Never NULL. */
struct metric *metrics_series(struct metric_family *f, const char *const *values);
/* The same with the values as arguments (exactly f's number of labels). */
struct metric *metrics_get(struct metric_family *f, ...);

void metric_inc(struct metric *s);                  /* counter: + 1 */
void metric_add(struct metric *s, uint64_t n);      /* counter: + n */
void metric_set(struct metric *s, double v);        /* gauge */
/* A counter kept elsewhere (a source's requests), copied in by a collect callback. */
void metric_set_count(struct metric *s, uint64_t n);
void metric_gauge_add(struct metric *s, double v);  /* gauge: + v (v may be negative) */
double metric_value(const struct metric *s);

/* fn(m, ctx) runs at the start of every metrics_render, in registration order. */
void metrics_on_collect(struct metrics *m, void (*fn)(struct metrics *m, void *ctx), void *ctx);

/* The whole registry in the text format 0.0.4: for each family its # HELP and # TYPE lines,
 * then its series, families sorted by name, series in creation order. */
void metrics_render(struct metrics *m, struct strbuf *out);

/* The escaping of the text format: a label value's backslash, double quote and line feed as
 * \\, \" and \n; a HELP text's backslash and line feed. Appended to out. */
void metrics_escape_label(struct strbuf *out, const char *s);
void metrics_escape_help(struct strbuf *out, const char *s);
/* A sample value as the format writes it: an integer when it is one, NaN, +Inf, -Inf. */
void metrics_format_value(struct strbuf *out, double v);
/* Is name a valid metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*; label names without ':')? */
int metrics_name_ok(const char *name, int label);

/* ADDR as --metrics and `metrics: {listen:}` take it: HOST:PORT, [IPV6]:PORT or :PORT (every
 * address), PORT 0 to 65535 (0: any free port). 0 with *host (heap, NULL for every address)
 * and *port, or -1 with *err saying what is wrong. */
int metrics_addr_parse(const char *addr, char **host, unsigned *port, char **err);

#endif
