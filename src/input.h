/* input: one input opened by name and read as a byte stream: "-" is standard input, gzip data
 * (known by its magic bytes, whatever the name) is decompressed as it is read, and a FIFO,
 * device or socket never blocks forever: open does not wait for a writer, and a read that
 * gets nothing for the idle timeout (or is stopped by its thread's stop check, util.h) fails
 * naming the file. Size limits are the caller's (tf_read_file, the event reader): this only
 * counts. One thread owns an input. */
#ifndef TFDRIFT_INPUT_H
#define TFDRIFT_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How long a FIFO (or another non-regular input other than "-") may stay silent before a read
 * fails: TFDRIFT_INPUT_TIMEOUT (a duration: 90s, 5m; 0 waits forever), else this. */
#define INPUT_IDLE_TIMEOUT_MS 60000

enum {
	INPUT_REGULAR_ONLY = 1,   /* refuse FIFOs, devices and sockets (but not "-") */
};

struct input;

/* NULL with *err ("PATH: why") when it cannot be opened (or is not a regular file when
 * INPUT_REGULAR_ONLY asks for one). */
struct input *input_open(const char *path, int flags, char **err);
/* Up to n bytes of (decompressed) data: what is there now, which from a pipe may be less
 * than n. >0 bytes, 0 at the end, -1 with *err saying why, without the name ("read error:
 * ...", "truncated gzip data ...", "nothing written to it for 60s ..."). */
ssize_t input_read(struct input *in, void *buf, size_t n, char **err);
/* A regular file's size on disk (compressed for .gz), else 0 (a pipe, stdin from a pipe). */
uint64_t input_size(const struct input *in);
/* Bytes read from the file so far (compressed for .gz): with input_size, a progress figure. */
uint64_t input_offset(const struct input *in);
/* 1 once the data is known to be gzip. */
int input_is_gzip(const struct input *in);
void input_close(struct input *in);

#endif
