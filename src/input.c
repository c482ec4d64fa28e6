/* input: reading one named input as bytes: stdin, files, FIFOs and devices, gzip decompressed
 * by content. Owns the descriptor, the raw buffer and the inflate state of one input; no
 * global state. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "input.h"
#include "util.h"

#define RAW_SIZE (128 * 1024)
#define STOP_CHECK_MS 250       /* how often a wait looks at the thread's stop check */

struct input {
	char *path;
	int fd;
	int wait;               /* poll before each read, giving up after idle_ms */
	int64_t idle_ms;        /* 0: wait forever */
	uint64_t size;          /* a regular file's size, else 0 */
	uint64_t offset;        /* bytes read from fd */
	int gz;                 /* -1 not known yet, 0 plain, 1 gzip */
	int zinit;
	int zdone;              /* the last gzip member ended and no other follows */
	z_stream zs;
	unsigned char *raw;     /* bytes read from fd, not yet used */
	size_t rpos, rlen;
	int raw_eof;
};

static const char *
file_type(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISDIR(m))
		return "a directory";
	return "not a file";
}

/* TFDRIFT_INPUT_TIMEOUT: a duration, or 0 for no limit; anything else keeps the default. */
static int64_t
idle_timeout(void)
{
	const char *s = getenv("TFDRIFT_INPUT_TIMEOUT");
	int64_t ms;

	if (s == NULL || *s == '\0')
		return INPUT_IDLE_TIMEOUT_MS;
	if (strcmp(s, "0") == 0)
		return 0;
	if (tf_parse_duration(s, &ms) != 0)
		return INPUT_IDLE_TIMEOUT_MS;
	return ms;
}

struct input *
input_open(const char *path, int flags, char **err)
{
	struct input *in;
	struct stat st;
	int fd, stdin_ = strcmp(path, "-") == 0;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it would, forever). */
	fd = stdin_ ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		tf_err(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		tf_err(err, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if (S_ISDIR(st.st_mode)) {
		tf_err(err, "%s: a directory, not a file", path);
		close(fd);
		return NULL;
	}
	if (!stdin_ && !S_ISREG(st.st_mode) && (flags & INPUT_REGULAR_ONLY)) {
		tf_err(err, "%s: not a regular file (%s); give a file, or - to read standard input",
		    path, file_type(st.st_mode));
		close(fd);
		return NULL;
	}
	in = xcalloc(1, sizeof *in);
	in->path = xstrdup(path);
	in->fd = fd;
	in->gz = -1;
	if (S_ISREG(st.st_mode)) {
		in->size = (uint64_t)st.st_size;
		if (!stdin_)
			fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	} else if (!stdin_) {
		/* A FIFO, device or socket named on the command line: poll, so a writer that
		 * never comes (or goes silent) ends in a message, not a hang. Standard input is
		 * the user's own pipe: it may take its time. */
		in->wait = 1;
		in->idle_ms = idle_timeout();
	}
	in->raw = xmalloc(RAW_SIZE);
	return in;
}

static void
say_ms(char *out, size_t n, int64_t ms)
{
	if (ms % 1000 == 0)
		snprintf(out, n, "%llds", (long long)(ms / 1000));
	else
		snprintf(out, n, "%lldms", (long long)ms);
}

/* read(2) with the idle timeout of a FIFO or device: >0, 0 at the end, -1 with *err. */
static ssize_t
fd_read(struct input *in, void *buf, size_t n, char **err)
{
	int64_t deadline = in->idle_ms > 0 ? tf_mono_ms() + in->idle_ms : 0;
	ssize_t got;

	for (;;) {
		if (in->wait) {
			struct pollfd p = { in->fd, POLLIN, 0 };
			int64_t left = deadline > 0 ? deadline - tf_mono_ms() : -1;
			int r;

			if (tf_thread_stopping())
				return tf_err(err, "stopped while waiting for data");
			if (deadline > 0 && left <= 0)
				r = 0;
			else {
				/* A thread with a stop check wakes to look at it (util.h). */
				int64_t cap = tf_thread_stop_armed() ? STOP_CHECK_MS : 3600000;

				r = poll(&p, 1, left < 0 || left > cap ? (int)cap : (int)left);
			}
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return tf_err(err, "read error: %s", strerror(errno));
			}
			if (r == 0) {
				char t[32];

				if (deadline <= 0 || tf_mono_ms() < deadline)
					continue;
				say_ms(t, sizeof t, in->idle_ms);
				return tf_err(err, "nothing was written to it for %s (a FIFO with no "
				    "writer?); start what writes to it first, or set TFDRIFT_INPUT_TIMEOUT "
				    "(0 waits forever)", t);
			}
		}
		got = read(in->fd, buf, n);
		if (got >= 0) {
			in->offset += (uint64_t)got;
			return got;
		}
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		return tf_err(err, "read error: %s", strerror(errno));
	}
}

/* More raw bytes (the unused ones moved to the front): 1, 0 at the end, -1. */
static int
raw_fill(struct input *in, char **err)
{
	ssize_t n;

	if (in->raw_eof)
		return 0;
	if (in->rpos > 0) {
		memmove(in->raw, in->raw + in->rpos, in->rlen - in->rpos);
		in->rlen -= in->rpos;
		in->rpos = 0;
	}
	if (in->rlen == RAW_SIZE)
		return 1;
	n = fd_read(in, in->raw + in->rlen, RAW_SIZE - in->rlen, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		in->raw_eof = 1;
		return 0;
	}
	in->rlen += (size_t)n;
	return 1;
}

/* At least `want` raw bytes buffered, unless the input ends first: 0, or -1. */
static int
raw_want(struct input *in, size_t want, char **err)
{
	while (in->rlen - in->rpos < want && !in->raw_eof)
		if (raw_fill(in, err) < 0)
			return -1;
	return 0;
}

static int
gz_magic(const struct input *in)
{
	return in->rlen - in->rpos >= 2 && in->raw[in->rpos] == 0x1f && in->raw[in->rpos + 1] == 0x8b;
}

static ssize_t
gz_read(struct input *in, void *buf, size_t n, char **err)
{
	size_t got;
	int zr;

	if (n > UINT_MAX)
		n = UINT_MAX;
	for (;;) {
		if (in->zdone)
			return 0;
		if (in->rpos == in->rlen && raw_fill(in, err) < 0)
			return -1;
		in->zs.next_in = in->raw + in->rpos;
		in->zs.avail_in = (uInt)(in->rlen - in->rpos);
		in->zs.next_out = buf;
		in->zs.avail_out = (uInt)n;
		zr = inflate(&in->zs, Z_NO_FLUSH);
		in->rpos = in->rlen - in->zs.avail_in;
		got = n - in->zs.avail_out;
		if (zr == Z_STREAM_END) {
			/* Concatenated members are one file (cat a.gz b.gz); anything else after
			 * the last one is ignored, as gzip -d and zlib's gzread do. */
			if (raw_want(in, 2, err) < 0)
				return -1;
			if (gz_magic(in))
				inflateReset(&in->zs);
			else
				in->zdone = 1;
		} else if (zr == Z_MEM_ERROR) {
			tf_fatal("out of memory (zlib) while reading %s", in->path);
		} else if (zr != Z_OK && zr != Z_BUF_ERROR) {
			return tf_err(err, "not valid gzip data (%s)", in->zs.msg != NULL ?
			    in->zs.msg : "inflate error");
		}
		if (got > 0)
			return (ssize_t)got;
		if (zr != Z_STREAM_END && in->raw_eof && in->rpos == in->rlen)
			return tf_err(err, "unexpected end of the gzip data (a truncated .gz file? "
			    "get a complete copy)");
	}
}

ssize_t
input_read(struct input *in, void *buf, size_t n, char **err)
{
	size_t k;

	if (n == 0)
		return 0;
	if (in->gz < 0) {
		if (raw_want(in, 2, err) < 0)
			return -1;
		in->gz = gz_magic(in);
		if (in->gz) {
			/* 16 + MAX_WBITS: a gzip header, not zlib's. */
			if (inflateInit2(&in->zs, 16 + MAX_WBITS) != Z_OK)
				tf_fatal("out of memory (zlib) while reading %s", in->path);
			in->zinit = 1;
		}
	}
	if (in->gz)
		return gz_read(in, buf, n, err);
	if (in->rpos < in->rlen) {
		k = in->rlen - in->rpos < n ? in->rlen - in->rpos : n;
		memcpy(buf, in->raw + in->rpos, k);
		in->rpos += k;
		return (ssize_t)k;
	}
	if (in->raw_eof)
		return 0;
	return fd_read(in, buf, n, err);
}

uint64_t
input_size(const struct input *in)
{
	return in->size;
}

uint64_t
input_offset(const struct input *in)
{
	return in->offset;
}

int
input_is_gzip(const struct input *in)
{
	return in->gz == 1;
}

void
input_close(struct input *in)
{
	if (in == NULL)
		return;
	if (in->zinit)
		inflateEnd(&in->zs);
	close(in->fd);
	free(in->raw);
	free(in->path);
	free(in);
}
