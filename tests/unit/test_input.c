/* input and tf_read_file: every size limit exactly at the limit and one byte past it, in a
 * regular file, a gzip bomb, /dev/zero and a FIFO that never stops writing; a FIFO that never
 * writes; states that are not regular files. Each read runs in a child with a bounded address
 * space and an alarm, so a reader that stops honouring its limit fails here instead of eating
 * the machine. */
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

#include "input.h"
#include "util.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static char dir[] = "/tmp/tfdrift-input-XXXXXX";

static char *
tmp(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* A sparse file of n zero bytes (no disk used). */
static void
sparse(const char *path, off_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || ftruncate(fd, n) != 0)
		diag("cannot make %s: %s", path, strerror(errno));
	close(fd);
}

/* One gzip member of n zero bytes, in memory. */
static void
gz_member(struct strbuf *out, size_t n)
{
	static unsigned char zero[1 << 20];
	unsigned char buf[65536];
	z_stream zs;
	int flush;

	memset(&zs, 0, sizeof zs);
	deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY);
	do {
		size_t k = n < sizeof zero ? n : sizeof zero;

		n -= k;
		zs.next_in = zero;
		zs.avail_in = (uInt)k;
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		do {
			zs.next_out = buf;
			zs.avail_out = sizeof buf;
			deflate(&zs, flush);
			sb_add(out, buf, sizeof buf - zs.avail_out);
		} while (zs.avail_out == 0);
	} while (flush != Z_FINISH);
	deflateEnd(&zs);
}

/* A gzip file of n zero bytes as `members` equal gzip members (and one for the remainder):
 * a member is made once and repeated, so even a bomb costs nothing to make. */
static void
gz_zeros(const char *path, size_t n, size_t members)
{
	struct strbuf m, r;
	FILE *fp = fopen(path, "wb");
	size_t i, per = n / members;

	sb_init(&m);
	sb_init(&r);
	gz_member(&m, per);
	for (i = 0; i < members; i++)
		fwrite(m.buf, 1, m.len, fp);
	if (n - per * members > 0) {
		gz_member(&r, n - per * members);
		fwrite(r.buf, 1, r.len, fp);
	}
	fclose(fp);
	sb_free(&m);
	sb_free(&r);
}

#ifndef UNDER_ASAN
/* Virtual memory of this process now, bytes (for the address-space limit, which ASan's
 * shadow memory rules out). */
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
#endif

enum { R_READ = 10, R_WRONG_LEN, R_TOO_LARGE = 20, R_OTHER, R_KILLED = -1 };

/* tf_read_file(path, kind) in a child whose address space may grow by the kind's limit plus
 * a quarter and 64 MB, for at most `secs` seconds. R_READ when it read want_len bytes,
 * R_TOO_LARGE when refused as too large, R_OTHER for another error (its message into msg),
 * R_KILLED when it ran out of time or memory. */
static int
read_in_child(const char *path, enum tf_file_kind kind, size_t want_len, unsigned secs,
    char *msg, size_t msgsz)
{
	int pfd[2], status;
	pid_t pid;
	ssize_t n;

	msg[0] = '\0';
	if (pipe(pfd) != 0)
		return R_KILLED;
	fflush(stdout);
	if ((pid = fork()) == 0) {
		char *buf = NULL, *err = NULL;
		size_t len = 0;
		int rc;

		close(pfd[0]);
#ifndef UNDER_ASAN
		{
			size_t max = tf_file_max(kind);
			struct rlimit rl;

			rl.rlim_cur = rl.rlim_max = vm_now() + max + max / 4 + (64u << 20);
			setrlimit(RLIMIT_AS, &rl);
		}
#endif
		alarm(secs);
		if (tf_read_file(path, kind, &buf, &len, &err) == 0)
			rc = len == want_len ? R_READ : R_WRONG_LEN;
		else
			rc = strstr(err, "larger than") != NULL ? R_TOO_LARGE : R_OTHER;
		if (err != NULL && write(pfd[1], err, strlen(err)) < 0)
			rc = R_OTHER;
		_exit(rc);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, msgsz - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status))
		return R_KILLED;
	return WEXITSTATUS(status);
}

static const struct {
	enum tf_file_kind kind;
	const char *name, *limit;
} kinds[] = {
	{ TF_FILE_STATE, "state", "512 MiB" },
	{ TF_FILE_CONFIG, "config", "1 MiB" },
	{ TF_FILE_CREDENTIALS, "credentials", "1 MiB" },
	{ TF_FILE_DEFINITION, "definition", "4 MiB" },
};

static void
test_limits(void)
{
	char msg[1024];
	size_t i;

	for (i = 0; i < TF_ARRLEN(kinds); i++) {
		size_t max = tf_file_max(kinds[i].kind);
		char *at = tmp("at"), *over = tmp("over"), *gz_at = tmp("at.gz"),
		    *gz_over = tmp("over.gz");
		int rc;

		sparse(at, (off_t)max);
		sparse(over, (off_t)max + 1);
		/* Bombs: the state's as 64 identical members (cheap to make; members are one file). */
		gz_zeros(gz_at, max, kinds[i].kind == TF_FILE_STATE ? 64 : 1);
		gz_zeros(gz_over, max + 1, kinds[i].kind == TF_FILE_STATE ? 64 : 1);

		rc = read_in_child(at, kinds[i].kind, max, 30, msg, sizeof msg);
		is_int(rc, R_READ, "%s: a file of exactly %s is read whole %s", kinds[i].name,
		    kinds[i].limit, msg);
		rc = read_in_child(over, kinds[i].kind, 0, 30, msg, sizeof msg);
		is_int(rc, R_TOO_LARGE, "%s: one byte more is refused", kinds[i].name);
		ok(strstr(msg, over) != NULL && strstr(msg, kinds[i].limit) != NULL &&
		    strstr(msg, "the limit for") != NULL, "%s: the message names the file and the "
		    "limit: %s", kinds[i].name, msg);
		rc = read_in_child(gz_at, kinds[i].kind, max, 30, msg, sizeof msg);
		is_int(rc, R_READ, "%s: gzip data expanding to exactly %s is read whole %s",
		    kinds[i].name, kinds[i].limit, msg);
		rc = read_in_child(gz_over, kinds[i].kind, 0, 30, msg, sizeof msg);
		is_int(rc, R_TOO_LARGE, "%s: a gzip bomb one byte past it is stopped by its "
		    "decompressed size: %s", kinds[i].name, msg);
		if (kinds[i].kind == TF_FILE_STATE) {
			rc = read_in_child("/dev/zero", kinds[i].kind, 0, 10, msg, sizeof msg);
			ok(rc == R_OTHER && strstr(msg, "not a regular file (a character device)"),
			    "state: /dev/zero is not a regular file: %s", msg);
		} else {
			rc = read_in_child("/dev/zero", kinds[i].kind, 0, 10, msg, sizeof msg);
			ok(rc == R_TOO_LARGE && strstr(msg, "/dev/zero: larger than") != NULL,
			    "%s: /dev/zero stops at the limit: %s", kinds[i].name, msg);
		}
		unlink(at);
		unlink(over);
		unlink(gz_at);
		unlink(gz_over);
		free(at);
		free(over);
		free(gz_at);
		free(gz_over);
	}
}

static void
test_fifos(void)
{
	char *fifo = tmp("fifo"), msg[1024];
	pid_t writer;
	time_t t0;
	int rc;

	if (mkfifo(fifo, 0600) != 0) {
		ok(0, "mkfifo: %s", strerror(errno));
		free(fifo);
		return;
	}
	/* A writer that never stops: the reader stops at the limit. */
	if ((writer = fork()) == 0) {
		static char zero[65536];
		int fd = open(fifo, O_WRONLY);

		for (;;)
			if (write(fd, zero, sizeof zero) < 0)
				_exit(0);
	}
	rc = read_in_child(fifo, TF_FILE_CONFIG, 0, 20, msg, sizeof msg);
	ok(rc == R_TOO_LARGE && strstr(msg, fifo) != NULL, "a FIFO that never stops writing is "
	    "refused at the limit: %s", msg);
	kill(writer, SIGKILL);
	waitpid(writer, NULL, 0);

	/* No writer at all: a message naming it after the idle timeout, not a hang. */
	setenv("TFDRIFT_INPUT_TIMEOUT", "300ms", 1);
	t0 = time(NULL);
	rc = read_in_child(fifo, TF_FILE_CONFIG, 0, 20, msg, sizeof msg);
	ok(rc == R_OTHER && strstr(msg, fifo) != NULL && strstr(msg, "nothing was written to it "
	    "for 300ms") != NULL, "a FIFO nobody writes times out: %s", msg);
	ok(time(NULL) - t0 < 10, "... after the timeout, not forever");

	/* A writer that writes a little and closes: read as a normal file. */
	if ((writer = fork()) == 0) {
		int fd = open(fifo, O_WRONLY);

		if (write(fd, "a: 1\n", 5) != 5)
			_exit(1);
		_exit(0);
	}
	rc = read_in_child(fifo, TF_FILE_CONFIG, 5, 20, msg, sizeof msg);
	is_int(rc, R_READ, "a FIFO with a writer is read to its end %s", msg);
	waitpid(writer, NULL, 0);
	unsetenv("TFDRIFT_INPUT_TIMEOUT");

	/* States must be files: a FIFO is refused at once, without waiting for a writer. */
	t0 = time(NULL);
	rc = read_in_child(fifo, TF_FILE_STATE, 0, 20, msg, sizeof msg);
	ok(rc == R_OTHER && strstr(msg, "not a regular file (a FIFO)") != NULL &&
	    strstr(msg, "- to read standard input") != NULL, "a state FIFO is refused: %s", msg);
	ok(time(NULL) - t0 < 5, "... at once");
	unlink(fifo);
	free(fifo);
}

static void
test_stdin_and_gzip(void)
{
	char *p = tmp("s.tfstate"), *buf = NULL, *err = NULL, *gz = tmp("two.gz");
	int saved, fd;
	size_t len = 0;
	gzFile g;
	FILE *fp;

	fp = fopen(p, "w");
	fputs("{\"version\":4}", fp);
	fclose(fp);
	saved = dup(STDIN_FILENO);
	fd = open(p, O_RDONLY);
	dup2(fd, STDIN_FILENO);
	close(fd);
	ok(tf_read_file("-", TF_FILE_STATE, &buf, &len, &err) == 0 && len == 13,
	    "a state on standard input is read (%s)", err ? err : "ok");
	dup2(saved, STDIN_FILENO);
	close(saved);
	free(buf);
	free(err);
	err = NULL;

	/* Two gzip members are one file, as gzip -d reads them. */
	g = gzopen(gz, "wb");
	gzputs(g, "first ");
	gzclose(g);
	fp = fopen(gz, "ab");
	{
		char *g2 = tmp("second.gz"), b[256];
		size_t k;
		FILE *r;

		g = gzopen(g2, "wb");
		gzputs(g, "second");
		gzclose(g);
		r = fopen(g2, "rb");
		k = fread(b, 1, sizeof b, r);
		fwrite(b, 1, k, fp);
		fclose(r);
		unlink(g2);
		free(g2);
	}
	fclose(fp);
	ok(tf_read_file(gz, TF_FILE_CONFIG, &buf, &len, &err) == 0 && len == 12 &&
	    strcmp(buf, "first second") == 0, "concatenated gzip members: %s", buf ? buf : err);
	free(buf);
	free(err);
	err = NULL;

	/* Truncated gzip data is an error that says so. */
	truncate(gz, 20);
	ok(tf_read_file(gz, TF_FILE_CONFIG, &buf, &len, &err) != 0 && err != NULL &&
	    strstr(err, gz) != NULL && strstr(err, "truncated") != NULL, "truncated gzip: %s",
	    err ? err : "(read)");
	free(err);
	err = NULL;
	ok(tf_read_file(dir, TF_FILE_CONFIG, &buf, &len, &err) != 0 && err != NULL &&
	    strstr(err, "a directory") != NULL, "a directory: %s", err ? err : "(read)");
	free(err);
	unlink(gz);
	unlink(p);
	free(gz);
	free(p);
}

static void
test_size_str(void)
{
	char s[32];

	tf_size_str(16u << 20, s);
	is_str(s, "16 MiB", "16 MiB");
	tf_size_str((16u << 20) + 1, s);
	is_str(s, "16777217 bytes", "not whole: bytes");
	tf_size_str(1u << 30, s);
	is_str(s, "1 GiB", "1 GiB");
	tf_size_str(64 * 1024, s);
	is_str(s, "64 KiB", "64 KiB");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_size_str();
	test_limits();
	test_fifos();
	test_stdin_and_gzip();
	rmdir(dir);
	return done_testing();
}
