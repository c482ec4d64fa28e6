/* The chunker (chunk.c) and JSON lines read in pieces (scan_par.c): every piece size and number
 * of workers gives what one reader gives, event for event, warning for warning. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "chunk.h"
#include "event.h"
#include "input.h"
#include "scan_par.h"
#include "util.h"
#include "tap.h"

static char tmpdir[] = "/tmp/tfdrift-test-chunk-XXXXXX";

static char *
write_file(const char *name, const char *data, size_t len)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	return path;
}

static char *
write_str(const char *name, const char *s)
{
	return write_file(name, s, strlen(s));
}

/* gzip with one member per part (gzip a b > c makes such files). */
static char *
write_gz(const char *name, const char *const *parts, size_t n)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	size_t i;

	unlink(path);
	for (i = 0; i < n; i++) {
		gzFile g = gzopen(path, "ab");

		if (g == NULL || gzwrite(g, parts[i], (unsigned)strlen(parts[i])) !=
		    (int)strlen(parts[i]) || gzclose(g) != Z_OK) {
			fprintf(stderr, "gz %s\n", path);
			exit(1);
		}
	}
	return path;
}

/* ---- the chunker alone ---- */

struct pieces {
	struct strbuf all;      /* the pieces, joined */
	size_t n;
	int bad_cut;            /* a piece that does not end after a newline + non-blank */
	int bad_line;           /* a piece whose line number is not its first line's */
	int rc;                 /* the last chunker_next */
	char *err;
	uint64_t errline;
	size_t biggest;
	size_t carried;         /* the most read past a cut after the first piece */
};

static void
cut_all(const char *path, size_t target, size_t max, struct pieces *ps)
{
	struct ev_reader *r;
	struct ev_lines_rest rest;
	struct chunker c;
	struct chunk ch;
	struct event ev;
	char *err = NULL;
	uint64_t line = 1;

	memset(ps, 0, sizeof *ps);
	sb_init(&ps->all);
	if ((r = ev_reader_open(path, &err)) == NULL || !ev_reader_at_line(r)) {
		ps->rc = -9;
		free(err);
		ev_reader_close(r);
		return;
	}
	if (ev_reader_next_pending(r, &ev) == 1)
		event_free(&ev);
	ev_reader_take_rest(r, &rest);
	ev_reader_close(r);
	line = rest.line;
	chunker_init(&c, &rest, target, max);
	while ((ps->rc = chunker_next(&c, &ch, &ps->err, &ps->errline, &rest)) == 1) {
		if (ch.line != line)
			ps->bad_line = 1;
		line += chunk_count_lines(ch.buf, ch.len);
		if (ch.len == 0)
			ps->bad_cut = 1;
		sb_add(&ps->all, ch.buf, ch.len);
		if (ch.len > ps->biggest)
			ps->biggest = ch.len;
		ps->n++;
		if (ps->n > 1 && c.len > ps->carried) /* the first: the sniffer's buffer */
			ps->carried = c.len;
		free(ch.buf);
	}
	if (ps->rc == 2) {
		char b[4096];
		ssize_t n;

		sb_add(&ps->all, rest.buf, rest.len);
		while (rest.in != NULL && (n = input_read(rest.in, b, sizeof b, &err)) > 0)
			sb_add(&ps->all, b, (size_t)n);
		free(err);
		free(rest.buf);
		input_close(rest.in);
	}
	chunker_free(&c);
}

static void
test_cut(void)
{
	static const char nl[] = "{\"a\":1}\n\n  \n{\"b\":2}\n{\"c\":3}";

	is_int(chunk_cut(nl, sizeof nl - 1, 1), 12, "the cut skips blank lines: after the last "
	    "newline before a non-blank byte");
	is_int(chunk_cut(nl, sizeof nl - 1, 13), 20, "the next cut");
	is_int(chunk_cut(nl, sizeof nl - 1, 21), 0, "no cut in the last line");
	is_int(chunk_cut("x\n", 2, 1), 0, "a newline at the end is no cut (what follows decides)");
	is_int(chunk_count_lines(nl, sizeof nl - 1), 4, "newlines counted");
}

static void
test_chunker(void)
{
	struct strbuf big, crlf, many;
	struct pieces ps;
	char *path;
	size_t i;

	/* Records split across piece boundaries: every target size gives back the same bytes
	 * (after the first line), cut only after newlines. */
	sb_init(&many);
	for (i = 0; i < 200; i++)
		sb_addf(&many, "{\"eventVersion\":\"1.08\",\"eventID\":\"id-%zu\",\"eventName\":"
		    "\"PutObject\",\"eventSource\":\"s3.amazonaws.com\",\"eventTime\":"
		    "\"2024-05-27T10:00:%02zuZ\"}%s\n", i, i % 60, i % 17 == 5 ? "\n\n" : "");
	path = write_file("many.jsonl", many.buf, many.len);
	{
		const char *rest = strchr(many.buf, '\n') + 1;
		size_t targets[] = { 1, 7, 100, 333, 4096, 1 << 20 };

		for (i = 0; i < TF_ARRLEN(targets); i++) {
			cut_all(path, targets[i], TF_MAX_RECORD, &ps);
			is_int(ps.rc, 0, "target %zu: read to the end", targets[i]);
			ok(ps.all.len == strlen(rest) && memcmp(ps.all.buf, rest, ps.all.len) == 0,
			    "target %zu: %zu pieces give back the input after line 1", targets[i], ps.n);
			ok(!ps.bad_line, "target %zu: each piece knows its first line", targets[i]);
			sb_free(&ps.all);
		}
	}
	free(path);

	/* Reading stops a little past target: what was read past the cut is copied into the
	 * next piece's buffer, and a whole target read ahead would copy all the text again. */
	sb_free(&many);
	sb_init(&many);
	for (i = 0; i < 8000; i++)
		sb_addf(&many, "{\"eventName\":\"PutObject\",\"eventSource\":\"s3.amazonaws.com\","
		    "\"eventID\":\"id-%zu\"}\n", i);
	path = write_file("long.jsonl", many.buf, many.len);
	cut_all(path, 65536, TF_MAX_RECORD, &ps);
	is_int(ps.rc, 0, "%zu bytes in pieces of 64 KiB: read to the end", many.len);
	ok(ps.n >= 6 && ps.carried <= 4096, "%zu pieces, at most %zu bytes read past a cut", ps.n,
	    ps.carried);
	sb_free(&ps.all);
	free(path);

	/* A record larger than a piece: its piece grows to hold it. */
	sb_init(&big);
	sb_adds(&big, "{\"eventName\":\"A\",\"eventSource\":\"s\"}\n{\"eventName\":\"B\",\"x\":\"");
	for (i = 0; i < 300000; i++)
		sb_addc(&big, 'x');
	sb_adds(&big, "\"}\n{\"eventName\":\"C\"}\n");
	path = write_file("big.jsonl", big.buf, big.len);
	cut_all(path, 64, 1 << 20, &ps);
	is_int(ps.rc, 0, "a record larger than a piece is read");
	ok(ps.biggest > 300000, "its piece holds it whole (%zu bytes)", ps.biggest);
	sb_free(&ps.all);
	/* Larger than the most a piece may grow to: the rest goes to one reader. */
	cut_all(path, 64, 100000, &ps);
	is_int(ps.rc, 2, "a line longer than a piece may grow: the rest is read whole");
	ok(ps.all.len == big.len - (strchr(big.buf, '\n') + 1 - big.buf), "nothing lost on the way");
	sb_free(&ps.all);
	free(path);
	sb_free(&big);

	/* CRLF line ends and a truncated last line. */
	sb_init(&crlf);
	for (i = 0; i < 50; i++)
		sb_addf(&crlf, "{\"eventName\":\"E%zu\",\"eventSource\":\"s\"}\r\n", i);
	sb_adds(&crlf, "{\"eventName\":\"cut");
	path = write_file("crlf.jsonl", crlf.buf, crlf.len);
	cut_all(path, 50, 1 << 20, &ps);
	is_int(ps.rc, 0, "CRLF: read to the end");
	ok(ps.all.len > 5 && memcmp(ps.all.buf + ps.all.len - 4, "\"cut", 4) == 0,
	    "the truncated last line is the end of the last piece");
	sb_free(&ps.all);
	free(path);
	sb_free(&crlf);

	/* gzip with several members, cut across them. */
	{
		const char *parts[] = {
			"{\"eventName\":\"A\",\"eventSource\":\"s\"}\n{\"eventName\":\"B\",\"event",
			"Source\":\"s\"}\n{\"eventName\":\"C\",\"eventSource\":\"s\"}\n",
			"{\"eventName\":\"D\",\"eventSource\":\"s\"}\n",
		};

		path = write_gz("members.jsonl.gz", parts, 3);
		cut_all(path, 5, 1 << 20, &ps);
		is_int(ps.rc, 0, "gzip members: read to the end");
		ok(ps.all.len > 0 && strstr(ps.all.buf, "\"B\",\"eventSource\"") != NULL &&
		    strstr(ps.all.buf, "\"D\"") != NULL, "a record split between members is whole");
		ok(ps.n >= 3, "in %zu pieces", ps.n);
		sb_free(&ps.all);
		free(path);
	}
	sb_free(&many);
}

/* ---- pieces read in parallel against one reader ---- */

struct trace {
	struct strbuf s;
	pthread_t caller;               /* the thread in scan_par_run */
	atomic_int inside;              /* event callbacks running now */
};

/* Of every parallel run: events handed out by a worker (not the calling thread), and
 * callbacks seen running at the same time. */
static size_t by_workers, events_par;
static int overlap;

static void
tr_event(void *ctx, size_t input, struct event *ev)
{
	struct trace *t = ctx;

	if (atomic_fetch_add(&t->inside, 1) != 0)
		overlap = 1;
	if (!pthread_equal(pthread_self(), t->caller))
		by_workers++;
	events_par++;
	atomic_fetch_sub(&t->inside, 1);
	sb_addf(&t->s, "%zu event %s %s %s ro=%d\n", input, ev->origin ? ev->origin : "-",
	    ev->id ? ev->id : "-", ev->name ? ev->name : "-", ev->read_only);
}

static void
tr_warn(void *ctx, size_t input, const char *msg)
{
	sb_addf(&((struct trace *)ctx)->s, "%zu warn %s\n", input, msg);
}

static void
tr_error(void *ctx, size_t input, const char *msg)
{
	sb_addf(&((struct trace *)ctx)->s, "%zu error %s\n", input, msg);
}

static void
tr_end(void *ctx, size_t input, const struct ev_counters *c, uint64_t ro, uint64_t ro_out)
{
	sb_addf(&((struct trace *)ctx)->s, "%zu end records=%llu events=%llu skipped=%llu "
	    "malformed=%llu repaired=%llu ro=%llu ro_outside=%llu\n", input, (unsigned long long)c->records,
	    (unsigned long long)c->events, (unsigned long long)c->skipped,
	    (unsigned long long)c->malformed, (unsigned long long)c->repaired,
	    (unsigned long long)ro, (unsigned long long)ro_out);
}

static char *
run(const char *const *paths, size_t n, unsigned jobs, size_t chunk, int skip)
{
	struct scan_par_opts o = { 0 };
	struct trace t;
	struct scan_par_cb cb = { &t, tr_event, tr_warn, tr_error, tr_end, NULL };

	o.jobs = jobs;
	o.skip_read_only = skip;
	o.chunk = chunk;
	t.caller = pthread_self();
	atomic_init(&t.inside, 0);
	sb_init(&t.s);
	sb_adds(&t.s, "");
	scan_par_run(paths, n, &o, &cb);
	return sb_detach(&t.s);
}

static void
same_as_one(const char *label, const char *const *paths, size_t n)
{
	size_t chunks[] = { 1, 13, 97, 512, 0 };
	unsigned jobs[] = { 2, 3, 8 };
	int skip;
	size_t i, j;

	for (skip = 0; skip <= 1; skip++) {
		char *want = run(paths, n, 1, 0, skip);
		int all = 1;

		by_workers = events_par = 0;
		overlap = 0;

		for (i = 0; i < TF_ARRLEN(chunks); i++)
			for (j = 0; j < TF_ARRLEN(jobs); j++) {
				char *got = run(paths, n, jobs[j], chunks[i], skip);

				if (strcmp(got, want) != 0) {
					if (all)
						diag("jobs %u, pieces of %zu bytes:\n%s\n# one reader:\n%s",
						    jobs[j], chunks[i], got, want);
					all = 0;
				}
				free(got);
			}
		ok(all && strlen(want) > 0, "%s%s: every piece size and number of workers reads as "
		    "one reader", label, skip ? " (read-only skipped)" : "");
		/* The workers hand out the events of the pieces they read (scan_par.h), one
		 * callback at a time. */
		ok(!overlap && by_workers > 0, "%s%s: %zu of %zu events handed out by the workers, "
		    "one at a time", label, skip ? " (read-only skipped)" : "", by_workers, events_par);
		free(want);
	}
}

static void
test_parallel(void)
{
	struct strbuf s;
	char *paths[8];
	size_t i;

	sb_init(&s);
	for (i = 0; i < 60; i++) {
		if (i % 11 == 3)
			sb_adds(&s, "{\"eventName\":\"Bad\",\n");            /* malformed line */
		if (i % 13 == 5)
			sb_adds(&s, "   \r\n\n");                           /* blank lines */
		if (i % 17 == 7)
			sb_adds(&s, "{\"Records\":[{\"eventName\":\"In1\",\"eventSource\":\"s\","
			    "\"eventID\":\"r1\"},{\"eventName\":\"In2\",\"eventSource\":\"s\"}]}\n");
		if (i % 19 == 2)
			sb_adds(&s, "{\"notAnEvent\":true}\n");
		sb_addf(&s, "{\"eventVersion\":\"1.08\",\"eventID\":\"e%zu\",\"eventName\":\"%s\","
		    "\"eventSource\":\"ec2.amazonaws.com\",\"readOnly\":%s,\"eventTime\":"
		    "\"2024-05-27T10:00:00Z\"}%s\n", i, i % 2 ? "DescribeInstances" :
		    "RunInstances", i % 2 ? "true" : "false", i % 7 == 0 ? "\r" : "");
	}
	paths[0] = write_file("mixed.jsonl", s.buf, s.len);
	/* The same with a truncated last line. */
	sb_adds(&s, "{\"eventName\":\"Trunc");
	paths[1] = write_file("trunc.jsonl", s.buf, s.len);
	{
		const char *parts[] = { s.buf, "\n{\"eventName\":\"After\",\"eventSource\":\"s\"}\n" };

		paths[2] = write_gz("mixed.jsonl.gz", parts, 2);
	}
	/* Line 1 a container: read whole by one worker. */
	paths[3] = write_str("first-container.jsonl", "{\"Records\":[{\"eventName\":\"A\","
	    "\"eventSource\":\"s\"}]}\n{\"eventName\":\"B\",\"eventSource\":\"s\"}\n");
	/* A document. */
	paths[4] = write_str("doc.json", "{\"Records\": [\n {\"eventName\": \"A\", \"eventSource\""
	    ": \"s\"},\n {\"eventName\": \"B\", \"eventSource\": \"s\"}\n]}\n");
	paths[5] = xasprintf("%s/missing.jsonl", tmpdir);
	/* A broken document: fatal, later inputs still read. */
	paths[6] = write_str("broken.json", "{\"Records\": [\n {\"eventName\": \"A\", \"eventSource\""
	    ": \"s\"}\n {\"eventName\": \"B\"}\n]}\n");
	paths[7] = paths[0];
	same_as_one("JSON lines: malformed, blank, CRLF and container lines", (const char *const *)paths, 1);
	same_as_one("a truncated last line", (const char *const *)paths + 1, 1);
	same_as_one("gzip, two members", (const char *const *)paths + 2, 1);
	same_as_one("several inputs: lines, documents, a missing and a broken one",
	    (const char *const *)paths, 8);
	for (i = 0; i < 7; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	sb_free(&s);
}

/* A document arriving on a pipe, read whole by one worker (as an S3 file is): the events it
 * has read go out, and the consumer's flush runs, before the worker waits for the rest, as
 * with one reader (a stream's consumer sees findings as they are made). */
struct pipe_feed {
	const char *path;
	atomic_int events, flushes_after_event;
	int waited;                     /* the writer saw a flush before writing the rest */
};

static void
pf_event(void *ctx, size_t input, struct event *ev)
{
	(void)input;
	(void)ev;
	atomic_fetch_add(&((struct pipe_feed *)ctx)->events, 1);
}

static void
pf_flush(void *ctx)
{
	struct pipe_feed *pf = ctx;

	if (atomic_load(&pf->events) > 0)
		atomic_fetch_add(&pf->flushes_after_event, 1);
}

static void
pf_quiet(void *ctx, size_t input, const char *msg)
{
	(void)ctx;
	(void)input;
	(void)msg;
}

static void *
pf_writer(void *arg)
{
	struct pipe_feed *pf = arg;
	FILE *f = fopen(pf->path, "w");
	int i;

	if (f == NULL)
		return NULL;
	fputs("{\"Records\": [\n", f);
	for (i = 0; i < 3; i++)
		fprintf(f, " {\"eventName\": \"RunInstances\", \"eventSource\": \"ec2.amazonaws.com\", "
		    "\"eventID\": \"p%d\"},\n", i);
	fflush(f);
	/* Wait (5 s at most) for the consumer to see those events and flush. */
	for (i = 0; i < 500 && atomic_load(&pf->flushes_after_event) == 0; i++) {
		struct timespec ts = { 0, 10 * 1000000 };

		nanosleep(&ts, NULL);
	}
	pf->waited = atomic_load(&pf->flushes_after_event) > 0;
	fputs(" {\"eventName\": \"RunInstances\", \"eventSource\": \"ec2.amazonaws.com\", "
	    "\"eventID\": \"p3\"}\n]}\n", f);
	fclose(f);
	return NULL;
}

static void
test_pipe_flush(void)
{
	struct pipe_feed pf;
	struct scan_par_opts o = { 0 };
	struct scan_par_cb cb = { 0 };
	char *path = xasprintf("%s/feed.json", tmpdir);
	const char *paths[1] = { path };
	pthread_t th;

	memset(&pf, 0, sizeof pf);
	pf.path = path;
	atomic_init(&pf.events, 0);
	atomic_init(&pf.flushes_after_event, 0);
	if (mkfifo(path, 0600) != 0) {
		ok(0, "mkfifo %s", path);
		free(path);
		return;
	}
	o.jobs = 2;
	cb.ctx = &pf;
	cb.event = pf_event;
	cb.warn = pf_quiet;
	cb.error = pf_quiet;
	cb.flush = pf_flush;
	if (pthread_create(&th, NULL, pf_writer, &pf) != 0)
		abort();
	scan_par_run(paths, 1, &o, &cb);
	pthread_join(th, NULL);
	ok(pf.waited, "a document on a pipe, 2 jobs: its first events out and flushed before the "
	    "rest arrives");
	is_int(atomic_load(&pf.events), 4, "... and every event read");
	unlink(path);
	free(path);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_cut();
	test_chunker();
	test_parallel();
	test_pipe_flush();
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);

		if (system(cmd) != 0)
			diag("could not remove %s", tmpdir);
		free(cmd);
	}
	return done_testing();
}
