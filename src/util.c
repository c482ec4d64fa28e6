/* util: allocation wrappers, strbuf, whole-file reading with size limits, time parsing, hashing. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "input.h"
#include "util.h"

void (*tf_fatal_hook)(void);

/* What this thread is reading, for the out-of-memory message (tf_reading_set). */
static _Thread_local const char *reading;
/* Allocations above this fail (a test hook, set once before threads start). */
static size_t alloc_limit = SIZE_MAX;

void
tf_fatal(const char *fmt, ...)
{
	va_list ap;

	if (tf_fatal_hook != NULL)
		tf_fatal_hook();
	fputs("tfdrift: fatal: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static _Thread_local int (*thread_stop_fn)(void *);
static _Thread_local void *thread_stop_ctx;

void
tf_thread_stop_set(int (*fn)(void *ctx), void *ctx)
{
	thread_stop_fn = fn;
	thread_stop_ctx = fn != NULL ? ctx : NULL;
}

int
tf_thread_stop_armed(void)
{
	return thread_stop_fn != NULL;
}

int
tf_thread_stopping(void)
{
	return thread_stop_fn != NULL && thread_stop_fn(thread_stop_ctx);
}

const char *
tf_reading_set(const char *what)
{
	const char *prev = reading;

	reading = what;
	return prev;
}

const char *
tf_reading(void)
{
	return reading;
}

void
tf_alloc_limit_set(size_t n)
{
	alloc_limit = n == 0 ? SIZE_MAX : n;
}

static void __attribute__((noreturn))
out_of_memory(size_t n, size_t size)
{
	char what[64];

	if (size == 1)
		snprintf(what, sizeof what, "%zu bytes", n);
	else
		snprintf(what, sizeof what, "%zu x %zu bytes", n, size);
	if (reading != NULL)
		tf_fatal("out of memory (%s) while reading %s", what, reading);
	tf_fatal("out of memory (%s)", what);
}

void *
xmalloc(size_t n)
{
	void *p = n <= alloc_limit ? malloc(n ? n : 1) : NULL;

	if (p == NULL)
		out_of_memory(n, 1);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = NULL;

	if (size == 0 || n <= alloc_limit / size)
		p = calloc(n ? n : 1, size ? size : 1);
	if (p == NULL)
		out_of_memory(n, size);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q = NULL;

	if (size != 0 && n > SIZE_MAX / size)
		tf_fatal("allocation overflow (%zu x %zu)", n, size);
	if (size == 0 || n * size <= alloc_limit)
		q = realloc(p, (n != 0 && size != 0) ? n * size : 1);
	if (q == NULL)
		out_of_memory(n, size);
	return q;
}

char *
xstrdup(const char *s)
{
	size_t len;
	char *p;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	p = xmalloc(len + 1);
	memcpy(p, s, len + 1);
	return p;
}

char *
xstrndup(const char *s, size_t n)
{
	char *p;
	size_t len = strnlen(s, n);

	p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *p;
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		tf_fatal("bad format string");
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void
sb_init(struct strbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void
sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb_init(sb);
}

void
sb_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->buf != NULL)
		sb->buf[0] = '\0';
}

void
sb_grow(struct strbuf *sb, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - sb->len - 1)
		tf_fatal("string too long");
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	if (sb->cap == 0)
		sb->cap = 64;
	while (sb->cap < need)
		sb->cap = sb->cap > SIZE_MAX / 2 ? need : sb->cap * 2;
	sb->buf = xreallocarray(sb->buf, sb->cap, 1);
	sb->buf[sb->len] = '\0';       /* a grown empty buffer is "" */
}

void
sb_add(struct strbuf *sb, const void *p, size_t n)
{
	sb_grow(sb, n);
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
sb_adds(struct strbuf *sb, const char *s)
{
	sb_add(sb, s, strlen(s));
}

void
sb_addc(struct strbuf *sb, char c)
{
	sb_add(sb, &c, 1);
}

void
sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap, ap2;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		tf_fatal("bad format string");
	sb_grow(sb, (size_t)n);
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	va_end(ap);
}

char *
sb_detach(struct strbuf *sb)
{
	char *p = sb->buf != NULL ? sb->buf : xstrdup("");

	sb_init(sb);
	return p;
}

int
tf_err(char **err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	free(*err);
	va_start(ap, fmt);
	*err = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

char *
tf_vlocf(const char *file, unsigned long long line, unsigned long long col, const char *fmt,
    va_list ap)
{
	char *msg = xvasprintf(fmt, ap), *out;

	if (line == 0)
		out = xasprintf("%s: %s", file, msg);
	else if (col == 0)
		out = xasprintf("%s:%llu: %s", file, line, msg);
	else
		out = xasprintf("%s:%llu:%llu: %s", file, line, col, msg);
	free(msg);
	return out;
}

char *
tf_locf(const char *file, unsigned long long line, unsigned long long col, const char *fmt, ...)
{
	va_list ap;
	char *out;

	va_start(ap, fmt);
	out = tf_vlocf(file, line, col, fmt, ap);
	va_end(ap);
	return out;
}

int
tf_err_at(char **err, const char *file, unsigned long long line, unsigned long long col,
    const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = tf_vlocf(file, line, col, fmt, ap);
	va_end(ap);
	tf_err(err, "%s", msg);
	free(msg);
	return -1;
}

void
tf_size_str(uint64_t n, char out[32])
{
	if (n >= (1ULL << 30) && n % (1ULL << 30) == 0)
		snprintf(out, 32, "%llu GiB", (unsigned long long)(n >> 30));
	else if (n >= (1ULL << 20) && n % (1ULL << 20) == 0)
		snprintf(out, 32, "%llu MiB", (unsigned long long)(n >> 20));
	else if (n >= (1ULL << 10) && n % (1ULL << 10) == 0)
		snprintf(out, 32, "%llu KiB", (unsigned long long)(n >> 10));
	else
		snprintf(out, 32, "%llu bytes", (unsigned long long)n);
}

static const struct {
	size_t max;
	const char *what, *todo;
	int flags;
} file_kinds[] = {
	[TF_FILE_STATE] = { TF_MAX_STATE, "a Terraform state",
	    "is it the right file? (a state this large must be split)", INPUT_REGULAR_ONLY },
	[TF_FILE_CONFIG] = { TF_MAX_CONFIG, "a configuration file", "is it the right file?", 0 },
	[TF_FILE_CREDENTIALS] = { TF_MAX_CREDENTIALS, "a credentials file",
	    "is it the right file?", 0 },
	[TF_FILE_DEFINITION] = { TF_MAX_DEFINITION, "an event map, rule or theme file",
	    "is it the right file? (split a larger one into several files)", 0 },
};

size_t
tf_file_max(enum tf_file_kind kind)
{
	return file_kinds[kind].max;
}

static int
too_large(const char *path, enum tf_file_kind kind, char **err)
{
	char n[32];

	tf_size_str(file_kinds[kind].max, n);
	return tf_err(err, "%s: larger than %s, the limit for %s; %s", path, n,
	    file_kinds[kind].what, file_kinds[kind].todo);
}

int
tf_read_file(const char *path, enum tf_file_kind kind, char **buf, size_t *len, char **err)
{
	size_t max = file_kinds[kind].max, n = 0, cap;
	struct input *in;
	const char *prev;
	char *b, *why = NULL;
	ssize_t got = 0;

	*buf = NULL;
	*len = 0;
	if ((in = input_open(path, file_kinds[kind].flags, err)) == NULL)
		return -1;
	/* A regular file already too large is refused unread (compressed data this large
	 * does not shrink below the limit in practice). */
	if (input_size(in) > max) {
		input_close(in);
		return too_large(path, kind, err);
	}
	prev = tf_reading_set(path);
	/* Read at most max + 1 bytes: one past the limit is enough to know. */
	cap = input_size(in) > 0 ? (size_t)input_size(in) + 1 : 64 * 1024;
	b = xmalloc(cap + 1);
	for (;;) {
		if (n == cap) {
			if (cap > max)
				break;
			cap = cap > (max + 1) / 2 ? max + 1 : cap * 2;
			b = xreallocarray(b, cap + 1, 1);
		}
		got = input_read(in, b + n, cap - n, &why);
		if (got <= 0)
			break;
		n += (size_t)got;
		if (n > max)
			break;
	}
	input_close(in);
	tf_reading_set(prev);
	if (got < 0) {
		tf_err(err, "%s: %s", path, why);
		free(why);
		free(b);
		return -1;
	}
	if (n > max) {
		free(b);
		return too_large(path, kind, err);
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* The times tf_parse_time reads and tf_format_time writes: 0000-01-01T00:00:00Z up to the
 * end of 9999. Relative forms must land in it too, which also keeps now +/- a duration from
 * overflowing. */
#define WHEN_MIN_MS (-62167219200000LL)
#define WHEN_MAX_MS 253402300800000LL

static int
days_from_civil(int y, unsigned m, unsigned d, int64_t *out)
{
	/* Howard Hinnant's algorithm: no timezone state, valid for any year. */
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	*out = era * 146097 + (int64_t)doe - 719468;
	return 0;
}

/* n decimal digits at s into *v; 0 on success. */
static int
digits(const char *s, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

/* RFC 3339 / ISO 8601 by hand: this runs for every event, and sscanf was a visible cost. */
int
tf_parse_time(const char *s, int64_t *ms)
{
	int y, mo, d, h = 0, mi = 0, sec = 0;
	int64_t days, frac_ms = 0, off = 0, t;
	const char *p;

	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	/* Plain epoch seconds (possibly fractional or in E-notation). */
	if (isdigit((unsigned char)s[0]) && strchr(s, '-') == NULL) {
		char *end;
		double v = strtod(s, &end);

		/* Up to the year 9999 (and no inf or huge values that do not fit an int64). */
		if (end == s || *end != '\0' || !(v >= 0 && v < 253402300800.0))
			return -1;
		*ms = (int64_t)(v * 1000.0);
		return 0;
	}
	if (digits(s, 4, &y) != 0 || s[4] != '-' || digits(s + 5, 2, &mo) != 0 || s[7] != '-' ||
	    digits(s + 8, 2, &d) != 0)
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		if (digits(p + 1, 2, &h) != 0 || p[3] != ':' || digits(p + 4, 2, &mi) != 0)
			return -1;
		p += 6;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec) != 0)
				return -1;
			p += 3;
		}
		if (*p == '.' || *p == ',') {
			int n = 0;

			p++;
			while (isdigit((unsigned char)*p)) {
				if (n < 3)
					frac_ms = frac_ms * 10 + (*p - '0');
				n++;
				p++;
			}
			if (n == 0)
				return -1;
			for (; n < 3; n++)
				frac_ms *= 10;
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int oh, om = 0, sign = *p == '-' ? -1 : 1;

			if (digits(p + 1, 2, &oh) != 0)
				return -1;
			p += 3;
			if (*p == ':')
				p++;
			if (*p != '\0') {
				if (digits(p, 2, &om) != 0)
					return -1;
				p += 2;
			}
			off = sign * ((int64_t)oh * 3600 + om * 60);
		}
	}
	if (*p != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	days_from_civil(y, (unsigned)mo, (unsigned)d, &days);
	t = ((days * 86400 + h * 3600 + mi * 60 + sec) - off) * 1000 + frac_ms;
	/* A leap second or an offset can carry 9999-12-31 into the year 10000 (or 0000-01-01
	 * before the year 0): a time no one can write back. */
	if (t < WHEN_MIN_MS || t >= WHEN_MAX_MS)
		return -1;
	*ms = t;
	return 0;
}

void
tf_format_time(int64_t ms, char out[32])
{
	time_t t;
	int rem;
	struct tm tm;
	char tmp[96];

	/* Outside what tf_parse_time reads (a store or a record holding a year past 9999):
	 * shown at the nearest end, which reads back, instead of a year no one can read. */
	if (ms < WHEN_MIN_MS)
		ms = WHEN_MIN_MS;
	else if (ms >= WHEN_MAX_MS)
		ms = WHEN_MAX_MS - 1;
	t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	rem = (int)(ms - (int64_t)t * 1000);
	gmtime_r(&t, &tm);
	if (rem != 0)
		snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, rem);
	else
		snprintf(tmp, sizeof tmp, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	snprintf(out, 32, "%.31s", tmp);
}

int64_t
tf_now_ms(void)
{
	const char *fake = getenv("TFDRIFT_NOW");
	struct timespec ts;
	int64_t ms;

	if (fake != NULL && *fake != '\0' && tf_parse_time(fake, &ms) == 0)
		return ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
tf_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
tf_hset_test_and_add(struct tf_hset *s, uint64_t h)
{
	size_t i;

	if (h == 0)
		h = 1;
	if ((s->n + 1) * 2 > s->cap) {
		struct tf_hset ns = { NULL, s->cap ? s->cap * 2 : 1024, 0 };

		ns.v = xcalloc(ns.cap, sizeof *ns.v);
		for (i = 0; i < s->cap; i++) {
			if (s->v[i] != 0) {
				size_t j = s->v[i] & (ns.cap - 1);

				while (ns.v[j] != 0)
					j = (j + 1) & (ns.cap - 1);
				ns.v[j] = s->v[i];
				ns.n++;
			}
		}
		free(s->v);
		*s = ns;
	}
	for (i = h & (s->cap - 1); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == h)
			return 1;
	s->v[i] = h;
	s->n++;
	return 0;
}

static uint64_t
mix64(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

uint64_t
tf_hash_mem(const char *s)
{
	size_t n = strlen(s), i;
	uint64_t h = (uint64_t)n * 0x9e3779b97f4a7c15ULL, w;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = mix64(h, w);
	}
	if (i < n) {
		w = 0;
		memcpy(&w, s + i, n - i);
		h = mix64(h, w);
	}
	return mix64(h, 0x2545f4914f6cdd1dULL);
}

void *
tf_hmap_get(const struct tf_hmap *m, const char *key)
{
	uint64_t h = tf_hash_mem(key);
	size_t i;

	if (m->cap == 0)
		return NULL;
	for (i = h & (m->cap - 1); m->v[i].key != NULL; i = (i + 1) & (m->cap - 1))
		if (m->v[i].h == h && strcmp(m->v[i].key, key) == 0)
			return m->v[i].val;
	return NULL;
}

void
tf_hmap_put(struct tf_hmap *m, const char *key, void *val)
{
	uint64_t h = tf_hash_mem(key);
	size_t i;

	if ((m->n + 1) * 2 > m->cap) {
		struct tf_hmap nm = { NULL, m->cap ? m->cap * 2 : 64, 0 };

		nm.v = xcalloc(nm.cap, sizeof *nm.v);
		for (i = 0; i < m->cap; i++) {
			if (m->v[i].key != NULL) {
				size_t j = m->v[i].h & (nm.cap - 1);

				while (nm.v[j].key != NULL)
					j = (j + 1) & (nm.cap - 1);
				nm.v[j] = m->v[i];
				nm.n++;
			}
		}
		free(m->v);
		*m = nm;
	}
	for (i = h & (m->cap - 1); m->v[i].key != NULL; i = (i + 1) & (m->cap - 1))
		if (m->v[i].h == h && strcmp(m->v[i].key, key) == 0) {
			m->v[i].val = val;
			return;
		}
	m->v[i].h = h;
	m->v[i].key = key;
	m->v[i].val = val;
	m->n++;
}

void
tf_hmap_free(struct tf_hmap *m)
{
	free(m->v);
	m->v = NULL;
	m->cap = m->n = 0;
}

int
tf_hset_has(const struct tf_hset *s, uint64_t h)
{
	size_t i;

	if (h == 0)
		h = 1;
	if (s->cap == 0)
		return 0;
	for (i = h & (s->cap - 1); s->v[i] != 0; i = (i + 1) & (s->cap - 1))
		if (s->v[i] == h)
			return 1;
	return 0;
}

void
tf_hset_free(struct tf_hset *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

void
tf_rate_add(struct tf_rate *r, int64_t now_s, uint64_t n)
{
	size_t i = (size_t)(now_s % TF_RATE_SECONDS);

	if (!r->started) {
		r->started = 1;
		r->first_s = now_s;
	}
	if (r->sec[i] != now_s) {       /* a slot of a minute ago: reuse it */
		r->sec[i] = now_s;
		r->n[i] = 0;
	}
	r->n[i] += n;
}

double
tf_rate_get(const struct tf_rate *r, int64_t now_s)
{
	int64_t span;
	uint64_t sum = 0;
	size_t i;

	if (!r->started)
		return 0;
	for (i = 0; i < TF_RATE_SECONDS; i++)
		if (r->sec[i] <= now_s && r->sec[i] > now_s - TF_RATE_SECONDS)
			sum += r->n[i];
	span = now_s - r->first_s + 1;
	if (span > TF_RATE_SECONDS)
		span = TF_RATE_SECONDS;
	if (span < 1)
		span = 1;
	return (double)sum / (double)span;
}

int
tf_mkdir_parents(const char *path, char **err)
{
	char *dir = xstrdup(path), *p, *slash = strrchr(dir, '/');

	if (slash == NULL || slash == dir) {
		free(dir);
		return 0;
	}
	*slash = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
				tf_err(err, "cannot create the directory %s: %s", dir, strerror(errno));
				free(dir);
				return -1;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(dir);
	return 0;
}

const char *
tf_home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && *h != '\0')
		return h;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir != NULL)
		return pw->pw_dir;
	return "/";
}

char *
tf_xdg_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var);

	if (v != NULL && v[0] == '/')
		return xstrdup(v);
	return xasprintf("%s/%s", tf_home_dir(), fallback);
}

int
tf_parse_duration(const char *s, int64_t *ms)
{
	int64_t total = 0;
	int any = 0;

	if (s == NULL || *s == '\0')
		return -1;
	while (*s) {
		char *end;
		int64_t unit;
		long long v;

		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno != 0 || v < 0 || v > 1000000000LL)
			return -1;
		if (end[0] == 'm' && end[1] == 's') {
			unit = 1;
			end += 2;
		} else {
			switch (*end) {
			case 's': unit = 1000; break;
			case 'm': unit = 60 * 1000; break;
			case 'h': unit = 3600 * 1000; break;
			case 'd': unit = 86400 * 1000; break;
			case 'w': unit = 7 * 86400 * 1000LL; break;
			default: return -1;
			}
			end++;
		}
		/* Each term fits (at most 1e9 weeks); the sum of many must not wrap. */
		if (v * unit > INT64_MAX - total)
			return -1;
		total += v * unit;
		any = 1;
		s = end;
	}
	if (!any)
		return -1;
	*ms = total;
	return 0;
}

#define DAY_MS (86400 * 1000LL)

/* HH:MM or HH:MM:SS (24-hour, two digits each) into ms since midnight; 0 on success. */
static int
clock_of_day(const char *s, int64_t *ms)
{
	int h, m, sec = 0;

	if (digits(s, 2, &h) != 0 || s[2] != ':' || digits(s + 3, 2, &m) != 0)
		return -1;
	if (s[5] == ':') {
		if (digits(s + 6, 2, &sec) != 0 || s[8] != '\0')
			return -1;
	} else if (s[5] != '\0')
		return -1;
	if (h > 23 || m > 59 || sec > 59)
		return -1;
	*ms = ((int64_t)h * 3600 + m * 60 + sec) * 1000;
	return 0;
}

int
tf_parse_when(const char *s, int64_t now_ms, int dir, int64_t *out)
{
	int64_t d, t;

	if (s == NULL || *s == '\0' || now_ms < WHEN_MIN_MS || now_ms >= WHEN_MAX_MS)
		return -1;
	if (clock_of_day(s, &d) == 0) {
		/* Floor division: the UTC midnight at or before now, also before 1970. */
		t = now_ms - ((now_ms % DAY_MS) + DAY_MS) % DAY_MS + d;
		if (dir > 0 && t <= now_ms)
			t += DAY_MS;
		else if (dir <= 0 && t > now_ms)
			t -= DAY_MS;
		if (t < WHEN_MIN_MS || t >= WHEN_MAX_MS)
			return -1;
		*out = t;
		return 0;
	}
	/* "+2h" says "from now" outright: a past bound refuses it rather than guess. */
	if (*s == '+' && dir > 0)
		s++;
	if (tf_parse_duration(s, &d) == 0) {
		if (dir > 0 ? d >= WHEN_MAX_MS - now_ms : d > now_ms - WHEN_MIN_MS)
			return -1;
		*out = dir > 0 ? now_ms + d : now_ms - d;
		return 0;
	}
	return tf_parse_time(s, out);
}

const char *
tf_when_forms(int dir)
{
	return dir > 0 ? "a time (2024-05-27T18:00:00Z, 17:30, or 2h from now as 2h)" :
	    "a time (2024-05-27T10:00:00Z, 17:30, or 2h ago as 2h)";
}

int
tf_glob(const char *pattern, const char *s)
{
	return fnmatch(pattern, s, 0) == 0;
}

int
tf_str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int
tf_str_has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

uint64_t
tf_hash(const void *p, size_t n)
{
	const unsigned char *c = p;
	uint64_t h = 1469598103934665603ULL;

	while (n--) {
		h ^= *c++;
		h *= 1099511628211ULL;
	}
	return h;
}

void
tf_sha256_hex(const void *data, size_t n, char *out, size_t hexlen)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	static const char hex[] = "0123456789abcdef";
	size_t i;

	EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL);
	if (hexlen > 64)
		hexlen = 64;
	for (i = 0; i < hexlen; i++)
		out[i] = hex[(md[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	out[hexlen] = '\0';
}

/* The top of an in-tree build when the running binary sits there, as the README's quick start
 * runs it (`./bootstrap && ./tfdrift demo`): the executable's directory holds configure.ac
 * and rules/events. An installed binary's directory (/usr/bin) holds neither, so it never
 * leaves $(pkgdatadir); no build path is compiled in. Found once; "" when not so. */
static char build_top[4096];
static pthread_once_t build_top_once = PTHREAD_ONCE_INIT;

static void
find_build_top(void)
{
	char *exe = realpath("/proc/self/exe", NULL), *slash, *a, *b;
	struct stat st;

	if (exe == NULL)
		return;
	if ((slash = strrchr(exe, '/')) != NULL && (size_t)(slash - exe) < sizeof build_top) {
		*slash = '\0';
		a = xasprintf("%s/configure.ac", exe);
		b = xasprintf("%s/rules/events", exe);
		if (stat(a, &st) == 0 && S_ISREG(st.st_mode) && stat(b, &st) == 0 &&
		    S_ISDIR(st.st_mode))
			snprintf(build_top, sizeof build_top, "%s", exe);
		free(a);
		free(b);
	}
	free(exe);
}

const char *
tf_datadir(void)
{
	const char *env = getenv("TFDRIFT_DATADIR");

	if (env != NULL && *env != '\0')
		return env;
	pthread_once(&build_top_once, find_build_top);
	return build_top[0] != '\0' ? build_top : PKGDATADIR;
}

char *
tf_datadir_missing(const char *sub)
{
	const char *dir = tf_datadir();
	const char *env = getenv("TFDRIFT_DATADIR");
	char *path = xasprintf("%s/%s", dir, sub);
	char *msg = NULL;
	struct stat st;
	int e = stat(path, &st) != 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;

	if (e != 0)
		msg = xasprintf("no data directory %s: %s (%s)", path, strerror(e),
		    env != NULL && *env != '\0' ? "TFDRIFT_DATADIR names it" :
		    "the installed data is missing; set TFDRIFT_DATADIR to the directory holding rules/ and themes/");
	free(path);
	return msg;
}

/* Optimal string alignment distance, case-insensitive, for "did you mean". */
size_t
tf_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *d, r;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	d = xcalloc((la + 1) * (lb + 1), sizeof *d);
#define D(x, y) d[(x) * (lb + 1) + (y)]
	for (i = 0; i <= la; i++)
		D(i, 0) = i;
	for (j = 0; j <= lb; j++)
		D(0, j) = j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			int ca = tolower((unsigned char)a[i - 1]), cb = tolower((unsigned char)b[j - 1]);
			size_t cost = ca == cb ? 0 : 1, v;

			if (ca == '-' && cb == '_')
				cost = 0;
			v = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < v)
				v = D(i, j - 1) + 1;
			if (D(i - 1, j - 1) + cost < v)
				v = D(i - 1, j - 1) + cost;
			if (i > 1 && j > 1 && tolower((unsigned char)a[i - 1]) ==
			    tolower((unsigned char)b[j - 2]) && tolower((unsigned char)a[i - 2]) ==
			    tolower((unsigned char)b[j - 1]) && D(i - 2, j - 2) + 1 < v)
				v = D(i - 2, j - 2) + 1;
			D(i, j) = v;
		}
	}
	r = D(la, lb);
#undef D
	free(d);
	return r;
}

/* The closest of `names` to `key` if it is near enough to be a typo, else NULL. */
const char *
tf_near_miss(const char *key, const char *const *names, size_t n)
{
	size_t i, best = (size_t)-1, limit = strlen(key) / 4;
	const char *r = NULL;

	if (limit < 2)
		limit = 2;
	for (i = 0; i < n; i++) {
		size_t dist = tf_edit_distance(key, names[i]);

		if (dist < best) {
			best = dist;
			r = names[i];
		}
	}
	return best <= limit ? r : NULL;
}

const char *
tf_current_user(void)
{
	const char *u = getenv("USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return u;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_name != NULL)
		return pw->pw_name;
	return "unknown";
}

int
tf_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
tf_all_digits(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}
