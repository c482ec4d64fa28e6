/* test_reader: the event reader against large, oversized, endless and hostile inputs. Every
 * read runs in a child with a bounded address space and an alarm, so a reader that holds a
 * whole document again, or reads without end, fails here instead of eating the machine:
 * a 32 MiB one-line {"Records":[...]} document (and its pretty-printed twin) read in a few MB,
 * a record exactly at TF_MAX_RECORD and one byte past it (as a JSON line and as an element),
 * /dev/zero, a gzip bomb that expands to one endless line, FIFOs that never stop writing,
 * one that never writes, and one that writes records slowly. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "event.h"
#include "util.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define MB ((size_t)1 << 20)

static char dir[] = "/tmp/tfdrift-reader-XXXXXX";

static char *
tmp(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static size_t
vm_now(void)
{
	unsigned long pages = 0;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (fp != NULL) {
		if (fscanf(fp, "%lu", &pages) != 1)
			pages = 0;
		fclose(fp);
	}
	return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

struct outcome {
	int rc;                 /* ev_reader_next's last answer; -2 open failed; -9 killed */
	unsigned long events, malformed;
	double secs;
	char msg[2048];
};

/* Read path to its end in a child that may grow its address space by `extra` bytes and run
 * `secs` seconds. */
static void
read_limited(const char *path, size_t extra, unsigned secs, struct outcome *o)
{
	struct timespec t0, t1;
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	memset(o, 0, sizeof *o);
	if (pipe(pfd) != 0) {
		o->rc = -9;
		return;
	}
	fflush(stdout);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == 0) {
		struct ev_reader *r;
		struct event ev;
		char *err = NULL, *out;
		int rc = -2;
		unsigned long events = 0, malformed = 0;

		close(pfd[0]);
#ifndef UNDER_ASAN
		{
			struct rlimit rl;

			rl.rlim_cur = rl.rlim_max = vm_now() + extra;
			setrlimit(RLIMIT_AS, &rl);
		}
#else
		(void)extra;
#endif
		alarm(secs);
		if ((r = ev_reader_open(path, &err)) != NULL) {
			while ((rc = ev_reader_next(r, &ev, &err)) == 1) {
				events++;
				event_free(&ev);
			}
			malformed = (unsigned long)ev_reader_counters(r)->malformed;
			ev_reader_close(r);
		}
		out = xasprintf("%d %lu %lu %s", rc, events, malformed, err != NULL ? err : "");
		if (write(pfd[1], out, strlen(out)) < 0)
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	{
		char buf[4096];
		int used = 0;

		n = read(pfd[0], buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (n <= 0 || sscanf(buf, "%d %lu %lu %n", &o->rc, &o->events, &o->malformed,
		    &used) < 3)
			o->rc = -9;
		else
			snprintf(o->msg, sizeof o->msg, "%s", buf + used);
	}
	close(pfd[0]);
	waitpid(pid, &status, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	o->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		o->rc = -9;
		snprintf(o->msg, sizeof o->msg, "killed (signal %d)", WIFSIGNALED(status) ?
		    WTERMSIG(status) : 0);
	}
}

static const char record_fmt[] = "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\","
    "\"arn\":\"arn:aws:iam::111122223333:user/alice\",\"accountId\":\"111122223333\","
    "\"userName\":\"alice\"},\"eventTime\":\"2024-05-27T10:00:00Z\",\"eventSource\":"
    "\"ec2.amazonaws.com\",\"eventName\":\"CreateTags\",\"awsRegion\":\"eu-west-1\","
    "\"sourceIPAddress\":\"192.0.2.1\",\"userAgent\":\"aws-cli/2.15.0\",\"requestParameters\":"
    "{\"resourcesSet\":{\"items\":[{\"resourceId\":\"i-%017lx\"}]},\"tagSet\":{\"items\":[{\"key\":"
    "\"env\",\"value\":\"prod\"}]}},\"responseElements\":{\"_return\":true},\"eventID\":"
    "\"ev-%lu\",\"readOnly\":false,\"eventType\":\"AwsApiCall\",\"recipientAccountId\":"
    "\"111122223333\"}";

/* A {"Records":[...]} document of about `size` bytes, on one line or one record a line. */
static unsigned long
write_doc(const char *path, size_t size, int pretty)
{
	FILE *fp = fopen(path, "w");
	unsigned long n = 0;
	long pos = 0;

	fputs(pretty ? "{\n  \"Records\": [\n" : "{\"Records\":[", fp);
	while ((size_t)pos < size) {
		if (n > 0)
			fputs(pretty ? ",\n" : ",", fp);
		if (pretty)
			fputs("    ", fp);
		fprintf(fp, record_fmt, n, n);
		n++;
		pos = ftell(fp);
	}
	fputs(pretty ? "\n  ]\n}\n" : "]}", fp);
	fclose(fp);
	return n;
}

static void
test_big_documents(void)
{
	char *one = tmp("one-line.json"), *pretty = tmp("pretty.json");
	unsigned long n1 = write_doc(one, 32 * MB, 0), n2 = write_doc(pretty, 32 * MB, 1);
	struct outcome o;

	/* The old reader held the line (32 MB) and its json-c tree (about ten times that). */
	read_limited(one, 48 * MB, 60, &o);
	ok(o.rc == 0 && o.events == n1, "a 32 MiB one-line Records document streams in 48 MB "
	    "of address space: %lu of %lu events (%s)", o.events, n1, o.msg);
	read_limited(pretty, 48 * MB, 60, &o);
	ok(o.rc == 0 && o.events == n2, "... and pretty-printed: %lu of %lu events (%s)", o.events,
	    n2, o.msg);
	unlink(one);
	unlink(pretty);
	free(one);
	free(pretty);
}

/* A record of exactly `size` bytes (a padded CloudTrail write). */
static void
put_record(FILE *fp, size_t size, unsigned long id)
{
	char head[256];
	int n = snprintf(head, sizeof head, "{\"eventName\":\"CreateTags\",\"eventSource\":"
	    "\"ec2.amazonaws.com\",\"eventID\":\"big-%lu\",\"pad\":\"", id);
	size_t pad = size - (size_t)n - 2, i;

	fputs(head, fp);
	for (i = 0; i < pad; i++)
		fputc('a', fp);
	fputs("\"}", fp);
}

static void
test_record_limit(void)
{
	static const struct {
		const char *name;
		int element;            /* inside {"Records":[...]} (else a JSON line) */
		size_t extra;           /* bytes past the limit */
	} t[] = {
		{ "a JSON line of exactly the limit", 0, 0 },
		{ "a JSON line one byte past the limit", 0, 1 },
		{ "a Records element of exactly the limit", 1, 0 },
		{ "a Records element one byte past the limit", 1, 1 },
	};
	char *p = tmp("big-record.json");
	struct outcome o;
	size_t i;

	for (i = 0; i < TF_ARRLEN(t); i++) {
		FILE *fp = fopen(p, "w");

		if (t[i].element)
			fputs("{\"Records\":[", fp);
		put_record(fp, TF_MAX_RECORD + t[i].extra, 1);
		fputs(t[i].element ? "," : "\n", fp);
		put_record(fp, 200, 2);
		fputs(t[i].element ? "]}\n" : "\n", fp);
		fclose(fp);
		read_limited(p, 256 * MB, 60, &o);
		if (t[i].extra == 0)
			ok(o.rc == 0 && o.events == 2, "%s is read (%lu events) %s", t[i].name,
			    o.events, o.msg);
		else
			ok(o.rc < 0 && o.rc != -9 && strstr(o.msg, "a record larger than 16 MiB, the "
			    "limit for one audit record") != NULL && strstr(o.msg, p) != NULL,
			    "%s is refused: %s", t[i].name, o.msg);
	}
	unlink(p);
	free(p);
}

/* One gzip member of `n` bytes of `byte`, appended to fp. */
static void
gz_member(FILE *fp, const char *prefix, int byte, size_t n)
{
	static unsigned char chunk[1 << 20];
	unsigned char out[65536];
	z_stream zs;
	int flush;

	memset(chunk, byte, sizeof chunk);
	memset(&zs, 0, sizeof zs);
	deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
	if (prefix != NULL) {
		zs.next_in = (unsigned char *)(uintptr_t)prefix;
		zs.avail_in = (uInt)strlen(prefix);
		do {
			zs.next_out = out;
			zs.avail_out = sizeof out;
			deflate(&zs, Z_NO_FLUSH);
			fwrite(out, 1, sizeof out - zs.avail_out, fp);
		} while (zs.avail_out == 0);
	}
	do {
		size_t k = n < sizeof chunk ? n : sizeof chunk;

		n -= k;
		zs.next_in = chunk;
		zs.avail_in = (uInt)k;
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		do {
			zs.next_out = out;
			zs.avail_out = sizeof out;
			deflate(&zs, flush);
			fwrite(out, 1, sizeof out - zs.avail_out, fp);
		} while (zs.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&zs);
}

static void
test_hostile(void)
{
	char *bomb = tmp("bomb.json.gz"), *blank = tmp("blank.json.gz");
	struct outcome o;
	FILE *fp;

	read_limited("/dev/zero", 64 * MB, 20, &o);
	ok(o.rc < 0 && o.rc != -9 && strstr(o.msg, "/dev/zero:1:1: invalid JSON: a NUL byte") != NULL,
	    "/dev/zero: refused at its first byte: %s", o.msg);
	ok(o.secs < 5, "... at once (%.2fs)", o.secs);

	/* A small .gz expanding to 1 GiB on one line: a record that never ends. */
	fp = fopen(bomb, "wb");
	gz_member(fp, "{\"Records\":[{\"eventName\":\"CreateTags\",\"pad\":\"", 'a', 1024 * MB);
	fclose(fp);
	read_limited(bomb, 128 * MB, 60, &o);
	ok(o.rc < 0 && o.rc != -9 && strstr(o.msg, "a record larger than 16 MiB") != NULL,
	    "a gzip bomb of one endless record is stopped by its decompressed size: %s", o.msg);
	ok(o.secs < 20, "... in bounded time (%.2fs)", o.secs);

	fp = fopen(blank, "wb");
	gz_member(fp, "[", ' ', 1024 * MB);
	fclose(fp);
	read_limited(blank, 128 * MB, 60, &o);
	ok(o.rc < 0 && o.rc != -9 && strstr(o.msg, "blank space larger than 16 MiB") != NULL,
	    "... and one of endless blank space: %s", o.msg);
	unlink(bomb);
	unlink(blank);
	free(bomb);
	free(blank);
}

/* A writer to the FIFO: `first`, then `text` again and again until the reader goes away. */
static pid_t
writer(const char *fifo, const char *first, const char *text)
{
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(fifo, O_WRONLY);
		size_t n = strlen(text);

		if (write(fd, first, strlen(first)) < 0)
			_exit(0);
		for (;;)
			if (write(fd, text, n) != (ssize_t)n)
				_exit(0);
	}
	return pid;
}

static void
test_fifos(void)
{
	char *fifo = tmp("events.fifo"), line[1024];
	struct outcome o;
	pid_t w;

	if (mkfifo(fifo, 0600) != 0) {
		ok(0, "mkfifo: %s", strerror(errno));
		free(fifo);
		return;
	}
	w = writer(fifo, "{\"Records\":[{\"pad\":\"", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	read_limited(fifo, 128 * MB, 30, &o);
	ok(o.rc < 0 && o.rc != -9 && strstr(o.msg, "a record larger than 16 MiB") != NULL,
	    "a FIFO writing one endless line is refused at the limit: %s", o.msg);
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);

	w = writer(fifo, "[", "                                                                ");
	read_limited(fifo, 128 * MB, 30, &o);
	ok(o.rc < 0 && o.rc != -9 && strstr(o.msg, "blank space larger than") != NULL,
	    "a FIFO writing endless blank space inside an array is refused: %s", o.msg);
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);

	/* Records that come slowly are read as they come (a FIFO is a stream). */
	snprintf(line, sizeof line, record_fmt, 1UL, 1UL);
	strcat(line, "\n");
	setenv("TFDRIFT_INPUT_TIMEOUT", "5s", 1);
	if ((w = fork()) == 0) {
		int fd = open(fifo, O_WRONLY), i;

		for (i = 0; i < 3; i++) {
			if (write(fd, line, strlen(line)) < 0)
				_exit(1);
			usleep(200 * 1000);
		}
		_exit(0);
	}
	read_limited(fifo, 64 * MB, 30, &o);
	ok(o.rc == 0 && o.events == 3, "a FIFO writing three records with pauses: %lu events %s",
	    o.events, o.msg);
	waitpid(w, NULL, 0);

	/* Nobody writes: a message naming it after the timeout, not a hang in open(). */
	setenv("TFDRIFT_INPUT_TIMEOUT", "300ms", 1);
	read_limited(fifo, 64 * MB, 30, &o);
	ok(o.rc == -2 && strstr(o.msg, fifo) != NULL &&
	    strstr(o.msg, "nothing was written to it for 300ms") != NULL,
	    "a FIFO nobody writes to times out: %s", o.msg);
	ok(o.secs < 5, "... after the timeout (%.2fs)", o.secs);

	/* A writer that goes silent after two records: them, then the timeout. */
	if ((w = fork()) == 0) {
		int fd = open(fifo, O_WRONLY);

		if (write(fd, line, strlen(line)) < 0 || write(fd, line, strlen(line)) < 0)
			_exit(1);
		sleep(30);
		_exit(0);
	}
	read_limited(fifo, 64 * MB, 30, &o);
	ok(o.rc == -1 && o.events == 2 && strstr(o.msg, "nothing was written to it for 300ms") != NULL,
	    "a writer that goes silent: its records, then the timeout: %lu events, %s", o.events,
	    o.msg);
	kill(w, SIGKILL);
	waitpid(w, NULL, 0);
	unsetenv("TFDRIFT_INPUT_TIMEOUT");
	unlink(fifo);
	free(fifo);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_big_documents();
	test_record_limit();
	test_hostile();
	test_fifos();
	rmdir(dir);
	return done_testing();
}
