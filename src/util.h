/* util: allocation wrappers that never return NULL, growable strings, time, hashing. */
#ifndef TFDRIFT_UTIL_H
#define TFDRIFT_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TF_ARRLEN(a) (sizeof(a) / sizeof((a)[0]))

/* Called before exiting on a fatal error (the UI sets it to end curses). */
extern void (*tf_fatal_hook)(void);
void tf_fatal(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);           /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Growable byte buffer, always NUL-terminated. */
struct strbuf {
	char *buf;
	size_t len;
	size_t cap;
};
void sb_init(struct strbuf *sb);
void sb_free(struct strbuf *sb);
void sb_reset(struct strbuf *sb);
void sb_grow(struct strbuf *sb, size_t extra);
void sb_add(struct strbuf *sb, const void *p, size_t n);
void sb_adds(struct strbuf *sb, const char *s);
void sb_addc(struct strbuf *sb, char c);
void sb_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_detach(struct strbuf *sb);     /* caller frees; sb is reset */

/* Set *err (if err is non-NULL) to a heap message; returns -1 so callers can `return tf_err(...)`. */
int tf_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * The one shape of a message about a place in a file: "FILE:LINE:COL: message", or
 * "FILE:LINE: message" when the source has no column (col 0), or "FILE: message" when it has
 * no line either (line 0). LINE and COL are 1-based. Whoever prints it puts "tfdrift: " before.
 */
char *tf_vlocf(const char *file, unsigned long long line, unsigned long long col,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
char *tf_locf(const char *file, unsigned long long line, unsigned long long col,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* tf_err with tf_locf's message. */
int tf_err_at(char **err, const char *file, unsigned long long line, unsigned long long col,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Size limits, all here. Everything tfdrift reads has one, so a wrong path (/dev/zero), an
 * endless FIFO or a gzip bomb costs bounded time and memory: a reader stops at the limit + 1
 * bytes of (decompressed) data and refuses with "FILE: ... larger than N, the limit for ...".
 */
/* One audit record: a JSON line, or one element of a Records / Events / entries array.
 * CloudTrail and Cloud Logging cap a record at 256 KB; 16 MiB leaves room for reshaped and
 * enveloped copies, and json-c parses it in a few hundred MB. Documents are streamed record
 * by record, so an events file has no limit of its own. */
#define TF_MAX_RECORD ((size_t)16 << 20)
/* A Terraform state (a file, stdin or a backend's answer): the 100,000-resource benchmark
 * state is 28 MB, and parsing takes a few times the file in memory. */
#define TF_MAX_STATE ((size_t)512 << 20)
/* tfdrift's configuration file: hand-written YAML of a few KB. */
#define TF_MAX_CONFIG ((size_t)1 << 20)
/* A credential or key file (~/.aws/config and credentials, credentials.tfrc.json, a GCP key
 * or ADC file) and what credential sources answer (credential_process, IMDS, STS, the
 * container endpoint, a token endpoint): a few KB; an AWS config with 1,000 SSO profiles is
 * about 200 KB. */
#define TF_MAX_CREDENTIALS ((size_t)1 << 20)
/* An event map, rule pack or theme file: the largest shipped is 24 KB. */
#define TF_MAX_DEFINITION ((size_t)4 << 20)
/* An HTTP response without a tighter limit: an API page (a Logging page of 1,000 entries of
 * 256 KB is 256 MB), a state download (TF_MAX_STATE), a CloudTrail log object. */
#define TF_MAX_HTTP_BODY ((size_t)512 << 20)
/* A CloudTrail log object fetched from S3 for a notification, decompressed. */
#define TF_MAX_LOG_OBJECT ((size_t)512 << 20)

/* "16 MiB" for whole binary units, else "N bytes". */
void tf_size_str(uint64_t n, char out[32]);

/* What a file read whole is: its limit, and what the message past it says. */
enum tf_file_kind {
	TF_FILE_STATE,          /* TF_MAX_STATE; a regular file or "-" only (not a FIFO) */
	TF_FILE_CONFIG,         /* TF_MAX_CONFIG */
	TF_FILE_CREDENTIALS,    /* TF_MAX_CREDENTIALS */
	TF_FILE_DEFINITION,     /* TF_MAX_DEFINITION: event maps, rules, themes */
};
size_t tf_file_max(enum tf_file_kind kind);
/* Read a whole file (gzip data is decompressed; "-" reads stdin) of at most the kind's
 * limit: past it, -1 with *err "PATH: larger than N, the limit for a ...; what to do" after
 * reading no more than the limit + 1 bytes. A FIFO that stays silent fails after the idle
 * timeout (see input.h). *buf is NUL-terminated. 0 on success. */
int tf_read_file(const char *path, enum tf_file_kind kind, char **buf, size_t *len, char **err);

/* What this thread is reading (a file name), for the fatal message when memory runs out
 * ("out of memory (N bytes) while reading FILE"). Readers set it around their work and put
 * back what it was; the string must live until then. Thread-local: each worker names its
 * own input. Returns the previous value. */
const char *tf_reading_set(const char *what);
const char *tf_reading(void);
/* The calling thread's stop check: every long wait this thread makes from now on (an HTTP
 * request, a read from a FIFO or device) ends early, failing with "aborted" or "stopped",
 * once fn(ctx) returns nonzero; it is checked before the wait and at least every quarter
 * second during it. A stop or a deadline so reaches requests made deep inside credential
 * chains and state backends, and readers blocked on a silent pipe. The setting belongs to
 * the thread; fn NULL clears it. */
void tf_thread_stop_set(int (*fn)(void *ctx), void *ctx);
int tf_thread_stop_armed(void);          /* a check is set */
int tf_thread_stopping(void);            /* the check asks to stop now */
/* Test hook: every allocation of more than n bytes through the x* wrappers fails as if memory
 * had run out (0: no limit). main() takes it from TFDRIFT_TEST_ALLOC_LIMIT, before threads. */
void tf_alloc_limit_set(size_t n);

/* Time: milliseconds since the epoch, UTC. */
int64_t tf_now_ms(void);                 /* honours TFDRIFT_NOW (RFC 3339 or epoch seconds) */
int tf_parse_time(const char *s, int64_t *ms);    /* RFC 3339 / ISO 8601 UTC; 0 on success */
void tf_format_time(int64_t ms, char out[32]);    /* 2024-05-27T10:00:00Z (ms shown if non-zero) */
/* "Did you mean": optimal string alignment distance, case-insensitive, '-' and '_' alike
 * (SIZE_MAX past 64 characters); and the closest of names to key when it is near enough to
 * be a typo (at most max(2, len/4) edits), else NULL. */
size_t tf_edit_distance(const char *a, const char *b);
const char *tf_near_miss(const char *key, const char *const *names, size_t n);
int64_t tf_mono_ms(void);                               /* monotonic clock, ms (timers, not dates) */
/* Who is deciding (triage, freezes): $USER, else the login name, else "unknown". */
const char *tf_current_user(void);
int tf_parse_duration(const char *s, int64_t *ms); /* 90s 15m 1h 7d 1h30m; 0 on success */
/* A time a person types for an option, relative to now_ms. Every command's time options use
 * this, so one spelling means one thing everywhere. Accepted, in both directions:
 *   RFC 3339 / ISO 8601 (2024-05-27T10:00:00Z, offsets, fractions), YYYY-MM-DD (midnight
 *   UTC) and epoch seconds: that instant;
 *   HH:MM or HH:MM:SS, UTC: dir <= 0 (a past-oriented bound such as --since) the most recent
 *   time the clock showed it, at or before now; dir > 0 (an end such as a freeze's) the next
 *   time it shows it, after now;
 *   a duration (90m, 2h, 1h30m, 7d): dir <= 0 that long ago, dir > 0 that long from now
 *   (also written +2h when dir > 0).
 * Results outside the years 0000-9999 are refused (so huge durations never overflow).
 * 0 and *out set, or -1. */
int tf_parse_when(const char *s, int64_t now_ms, int dir, int64_t *out);
/* What tf_parse_when accepts, for error messages: "a time (2024-05-27T10:00:00Z, 17:30, or
 * 2h ago as 2h)" (dir <= 0) or its future twin (dir > 0). A static string. */
const char *tf_when_forms(int dir);

/* Events per second over the last minute, from a ring of per-second counts (seconds of any
 * clock; tf_mono_ms() / 1000 for rates shown live). Zeroed is empty. Not locked: its owner
 * guards it. Until a minute has passed since the first count, the rate is over the time
 * since then (at least one second). */
#define TF_RATE_SECONDS 60
struct tf_rate {
	int started;
	int64_t first_s;
	int64_t sec[TF_RATE_SECONDS];
	uint64_t n[TF_RATE_SECONDS];
};
void tf_rate_add(struct tf_rate *r, int64_t now_s, uint64_t n);
double tf_rate_get(const struct tf_rate *r, int64_t now_s);

/* Case-sensitive glob match with * and ? (fnmatch without flags). */
int tf_glob(const char *pattern, const char *s);
int tf_str_has_prefix(const char *s, const char *prefix);
int tf_str_has_suffix(const char *s, const char *suffix);

/* FNV-1a, for hash tables. */
uint64_t tf_hash(const void *p, size_t n);
static inline uint64_t tf_hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	while (*s) { h ^= (unsigned char)*s++; h *= 1099511628211ULL; }
	return h;
}

/* A faster string hash, 8 bytes at a time, for tables that live in memory only (tf_hmap, the
 * detector's lookup memo). Never persisted: checkpoints keep tf_hash_str's FNV-1a values. */
uint64_t tf_hash_mem(const char *s);

/* A set of 64-bit hashes (event ids, operation ids): open addressing, zeroed is empty.
 * test_and_add returns 1 when h was there already, else adds it and returns 0. */
struct tf_hset {
	uint64_t *v;
	size_t cap, n;
};
int tf_hset_test_and_add(struct tf_hset *s, uint64_t h);
int tf_hset_has(const struct tf_hset *s, uint64_t h);
void tf_hset_free(struct tf_hset *s);

/* A map from strings to pointers: open addressing, zeroed is empty. Keys are borrowed (the
 * caller keeps each alive while it is in the map); entries are never removed, only replaced. */
struct tf_hmap_slot {
	uint64_t h;
	const char *key;        /* NULL: empty slot */
	void *val;
};
struct tf_hmap {
	struct tf_hmap_slot *v;
	size_t cap, n;
};
void *tf_hmap_get(const struct tf_hmap *m, const char *key);    /* NULL when absent */
void tf_hmap_put(struct tf_hmap *m, const char *key, void *val); /* adds or replaces */
void tf_hmap_free(struct tf_hmap *m);   /* the table only, not keys or values */

/* The value of a hex digit (either case), -1 for anything else (any int, EOF included). */
int tf_hexval(int c);
/* n > 0 and every one of the n bytes of s an ASCII digit. */
int tf_all_digits(const char *s, size_t n);
/* Lowercase hex SHA-256 of data, first `hexlen` hex digits (<= 64) into out (hexlen+1 bytes). */
void tf_sha256_hex(const void *data, size_t n, char *out, size_t hexlen);

/* mkdir -p of the directory holding path (mode 0700 for what it creates). 0, or -1 with
 * *err ("cannot create the directory D: why"). */
int tf_mkdir_parents(const char *path, char **err);
/* The home directory ($HOME, else the password database, else "/"). */
const char *tf_home_dir(void);
/* An XDG base directory: $VAR when it is an absolute path, else $HOME/fallback. Heap. */
char *tf_xdg_dir(const char *var, const char *fallback);

/* Where data (rules/, themes/, doc/examples/) lives: TFDRIFT_DATADIR when set; else the top
 * of the in-tree build the running binary sits in (the quick start's ./tfdrift: its
 * directory holds configure.ac and rules/events); else $(pkgdatadir). An installed binary
 * never reads a source tree. */
const char *tf_datadir(void);
/* NULL when tf_datadir()/sub is a directory, else a message naming that path and
 * TFDRIFT_DATADIR (heap). */
char *tf_datadir_missing(const char *sub);

#endif
