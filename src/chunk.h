/* chunk: JSON lines cut into pieces at newlines, for readers that work in parallel
 * (scan_par.c). Every newline of JSON lines ends a record (event_reader.c), so a piece that
 * starts at a line's start reads as the whole would. A piece ends just after a newline that a
 * non-blank byte follows (a run of blank lines stays in one piece, as one reader counts it),
 * or at the end of the input; a line longer than a piece makes its piece longer. One thread
 * owns a chunker. */
#ifndef TFDRIFT_CHUNK_H
#define TFDRIFT_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct chunker {
	struct input *in;       /* NULL: nothing more to read */
	char *buf;              /* read and not handed out yet */
	size_t len, cap;
	size_t scanned;         /* no cut point in buf[0, scanned) past target */
	uint64_t line;          /* the line of buf[0] */
	size_t col;             /* its column */
	size_t target, max;
	char *err;              /* a read failed: said once the lines before it are handed out */
};

struct chunk {
	char *buf;              /* xmalloc'd, len + 1 bytes (a NUL after the data) */
	size_t len;
	uint64_t line;          /* the line of buf[0] */
	size_t col;             /* the column of buf[0]: 1 but for the first piece */
};

/* Pieces of about `target` bytes; a piece may grow to `max` to reach a place to cut. Takes
 * rest's buffer and input. */
void chunker_init(struct chunker *c, struct ev_lines_rest *rest, size_t target, size_t max);
/* 1 with *ch, the next piece; 0 at the end; -1 when reading failed (*err: why, without the
 * name; *line: the line reached, as one reader would say it); 2 when no place to cut was found
 * within max bytes (a line that long holds a container of records, or is an error): *rest is
 * what is left, read it whole (ev_reader_open_lines). */
int chunker_next(struct chunker *c, struct chunk *ch, char **err, uint64_t *line,
    struct ev_lines_rest *rest);
void chunker_free(struct chunker *c);

/* Where to cut buf[0, len): the first p in [from, len) with buf[p - 1] a newline and buf[p]
 * not blank, else 0. */
size_t chunk_cut(const char *buf, size_t len, size_t from);
/* Newlines in buf[0, n). */
uint64_t chunk_count_lines(const char *buf, size_t n);

#endif
