/* fuzz_common.h: what the targets share (static, header only; each target includes it
 * once): inputs split into chunks, canned HTTP answers, a private directory for the files the
 * code under test reads, and a source_sink that records what a collector hands over.
 *
 * tfdrift's HTTP clients (AWS credentials, GCP tokens, state backends, the CloudTrail, SQS
 * and Logging pollers) run their real code against canned answers: http_fuzz_transport
 * (src/http.h, fuzzing builds only) hands them the fuzz input's chunks as raw HTTP
 * responses, one per request, so their response parsers, error paths and cursors see exactly
 * what libcurl would give them and nothing goes on the network.
 *
 * Input layout: chunks separated by FZ_SEP ("\n--8<--\n", in the dictionaries). A chunk that
 * starts with "HTTP/" is a whole response (status line, headers, blank line, body); any other
 * chunk is the body of a 200. When the chunks run out, requests fail as transport errors
 * (which the callers retry a bounded number of times, without waiting: fuzzing builds shrink
 * http_backoff_ms to 1 ms). */
#ifndef TFDRIFT_FUZZ_COMMON_H
#define TFDRIFT_FUZZ_COMMON_H

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "http.h"
#include "source.h"
#include "util.h"

/* Each target uses some of these helpers. */
#define FZ_FN static __attribute__((unused))

#define FZ_SEP "\n--8<--\n"
#define FZ_MAX_CHUNKS 64
/* More requests than any one input can sensibly need: a client that keeps asking after its
 * answers ran out (a retry loop without a bound) is a hang, reported as such. */
#define FZ_MAX_REQUESTS 2000

struct fz_chunks {
	const char *p[FZ_MAX_CHUNKS];
	size_t len[FZ_MAX_CHUNKS];
	size_t n;
};

/* The first FZ_SEP in [p, e), or NULL (memmem is not in C11). */
FZ_FN const char *
fz_find_sep(const char *p, const char *e)
{
	size_t sl = strlen(FZ_SEP);

	for (; p != NULL && (size_t)(e - p) >= sl; p++) {
		p = memchr(p, FZ_SEP[0], (size_t)(e - p));
		if (p == NULL || (size_t)(e - p) < sl)
			return NULL;
		if (memcmp(p, FZ_SEP, sl) == 0)
			return p;
	}
	return NULL;
}

/* Split data at FZ_SEP (at most FZ_MAX_CHUNKS pieces; the last one keeps the rest). */
FZ_FN void
fz_split(const uint8_t *data, size_t size, struct fz_chunks *c)
{
	const char *p = (const char *)data, *e = p + size;
	size_t sl = strlen(FZ_SEP);

	c->n = 0;
	while (c->n < FZ_MAX_CHUNKS - 1) {
		const char *s = size > 0 ? fz_find_sep(p, e) : NULL;

		if (s == NULL)
			break;
		c->p[c->n] = p;
		c->len[c->n++] = (size_t)(s - p);
		p = s + sl;
	}
	c->p[c->n] = p;
	c->len[c->n++] = (size_t)(e - p);
}

/* A NUL-terminated heap copy of chunk i ("" past the end). */
FZ_FN char *
fz_str(const struct fz_chunks *c, size_t i)
{
	return i < c->n ? xstrndup(c->p[i], c->len[i]) : xstrdup("");
}

/* ---- canned HTTP answers ---- */

static struct {
	const struct fz_chunks *c;
	size_t next;            /* the next chunk to answer with */
	unsigned requests;
} fz_http;

FZ_FN int
fz_transport(const struct http_req *rq, const char **resp, size_t *len)
{
	if (rq->url == NULL)
		abort();
	/* A URL from an answer (HCP's download URL) may be anything: libcurl allows only
	 * http and https (CURLOPT_PROTOCOLS_STR), so anything else fails to connect. */
	if (strncasecmp(rq->url, "http://", 7) != 0 && strncasecmp(rq->url, "https://", 8) != 0)
		return -1;
	if (++fz_http.requests > FZ_MAX_REQUESTS) {
		fprintf(stderr, "fuzz: more than %d requests for one input (a retry loop?)\n",
		    FZ_MAX_REQUESTS);
		abort();
	}
	if (fz_http.c == NULL || fz_http.next >= fz_http.c->n)
		return -1;
	*resp = fz_http.c->p[fz_http.next];
	*len = fz_http.c->len[fz_http.next];
	fz_http.next++;
	return 0;
}

/* Answer requests with chunks first, first+1, ... of c. */
FZ_FN void
fz_http_answer(const struct fz_chunks *c, size_t first)
{
	fz_http.c = c;
	fz_http.next = first;
	fz_http.requests = 0;
	http_fuzz_transport = fz_transport;
}

/* ---- a private directory for files the code under test reads ---- */

static char fz_dir_path[256];

/* Remove the directory and what the targets put in it (one level of subdirectories). */
FZ_FN void
fz_rm_tree(const char *path, int depth)
{
	DIR *d = opendir(path);
	struct dirent *de;

	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			char *p;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			p = xasprintf("%s/%s", path, de->d_name);
			if (unlink(p) != 0 && depth < 2)
				fz_rm_tree(p, depth + 1);
			free(p);
		}
		closedir(d);
	}
	rmdir(path);
}

FZ_FN void
fz_dir_cleanup(void)
{
	if (fz_dir_path[0] != '\0')
		fz_rm_tree(fz_dir_path, 0);
}

/* $TMPDIR (the tests set it), else /dev/shm (fast), else /tmp. */
FZ_FN const char *
fz_dir(void)
{
	if (fz_dir_path[0] == '\0') {
		const char *base = getenv("TMPDIR");

		if (base == NULL || *base == '\0')
			base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		snprintf(fz_dir_path, sizeof fz_dir_path, "%s/tfdrift-fuzz-XXXXXX", base);
		if (mkdtemp(fz_dir_path) == NULL) {
			perror("fuzz: mkdtemp");
			abort();
		}
		atexit(fz_dir_cleanup);
		/* Token files named by fuzzed profiles are read only from here (aws_creds.c). */
		setenv("TFDRIFT_FUZZ_DIR", fz_dir_path, 1);
	}
	return fz_dir_path;
}

/* The AWS settings of the machine that would steer endpoints and TLS (aws_endpoint,
 * aws_ca_bundle) away from what the inputs say: a CA bundle outside the fuzz directory makes
 * every AWS request fail before its answer is parsed. Call once. */
FZ_FN void
fz_aws_env_clear(void)
{
	static const char *const vars[] = { "AWS_CA_BUNDLE", "AWS_USE_FIPS_ENDPOINT",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_PROFILE", "AWS_DEFAULT_PROFILE" };
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	/* No ~/.aws/config of the machine's user: a file that cannot exist. */
	setenv("AWS_CONFIG_FILE", "/nonexistent/tfdrift-fuzz/config", 1);
}

/* fz_dir()/name, heap. */
FZ_FN char *
fz_path(const char *name)
{
	return xasprintf("%s/%s", fz_dir(), name);
}

FZ_FN void
fz_write(const char *path, const void *p, size_t n)
{
	FILE *fp = fopen(path, "wb");

	if (fp == NULL || (n > 0 && fwrite(p, 1, n, fp) != n) || fclose(fp) != 0) {
		fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
}

/* ---- a source_sink that keeps what a collector hands over ---- */

struct fz_sink {
	uint64_t events, statuses, sleeps, flushes;
	unsigned max_sleeps;    /* sleep says "stop" after this many (0: never) */
	const char *cursor_in;  /* what cursor_get answers (NULL: no cursor) */
	char *cursor_out;       /* the last cursor_set value */
	char *last_error;       /* the last status's error */
};

FZ_FN int
fz_sink_event(void *ctx, struct event *ev)
{
	struct fz_sink *k = ctx;

	/* Touch what the engine reads (an id is optional: records without one are kept). */
	if (ev->record == NULL)
		abort();
	(void)tf_hash_str(ev->id != NULL ? ev->id : "");
	(void)tf_via_name(ev->actor.via);
	k->events++;
	event_free(ev);
	free(ev);
	return 0;
}

FZ_FN char *
fz_sink_cursor_get(void *ctx, const char *name)
{
	struct fz_sink *k = ctx;

	(void)name;
	return xstrdup(k->cursor_in);
}

FZ_FN int
fz_sink_cursor_set(void *ctx, const char *name, const char *value, char **err)
{
	struct fz_sink *k = ctx;

	(void)name;
	(void)err;
	if (value == NULL)
		abort();
	free(k->cursor_out);
	k->cursor_out = xstrdup(value);
	return 0;
}

FZ_FN void
fz_sink_status(void *ctx, const struct source_status *st)
{
	struct fz_sink *k = ctx;

	if (st->name == NULL)
		abort();
	k->statuses++;
	free(k->last_error);
	k->last_error = xstrdup(st->last_error);
}

FZ_FN int
fz_sink_sleep(void *ctx, int64_t ms)
{
	struct fz_sink *k = ctx;

	(void)ms;
	k->sleeps++;
	return k->max_sleeps > 0 && k->sleeps >= k->max_sleeps;
}

FZ_FN int
fz_sink_flush(void *ctx)
{
	((struct fz_sink *)ctx)->flushes++;
	return 0;
}

FZ_FN struct source_sink
fz_sink_make(struct fz_sink *k)
{
	struct source_sink s;

	memset(&s, 0, sizeof s);
	s.event = fz_sink_event;
	s.cursor_get = fz_sink_cursor_get;
	s.cursor_set = fz_sink_cursor_set;
	s.status = fz_sink_status;
	s.sleep = fz_sink_sleep;
	s.flush = fz_sink_flush;
	s.ctx = k;
	return s;
}

FZ_FN void
fz_sink_clear(struct fz_sink *k)
{
	free(k->cursor_out);
	free(k->last_error);
	memset(k, 0, sizeof *k);
}

#endif
