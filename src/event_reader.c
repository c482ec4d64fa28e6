/* event_reader: the readers that sniff an input's shape from its content and stream its
 * records out one at a time (whole documents, JSON arrays, JSON lines, .gz, stdin, FIFOs),
 * each record at most TF_MAX_RECORD. What one record is, is event.c's (event_sniff_record).
 *
 * A reader is owned by one thread at a time; nothing here keeps global mutable state. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "event_int.h"
#include "input.h"
#include "text.h"
#include "util.h"

#define READ_CHUNK (256 * 1024)

/*
 * An input is streamed, never held whole: a scanner walks the top level byte by byte (the
 * container object or array, the commas between its elements) and collects one JSON value at
 * a time (a record: a JSON line, or one element of a Records / Events / entries array) into a
 * buffer that json-c parses. Memory is one record (at most TF_MAX_RECORD) whatever the size
 * of the file, and records come out as they are read.
 *
 * The first value decides the shape. If it spans lines, the input is one (pretty-printed)
 * document: anything after it, and any invalid JSON in it, is a fatal error naming line and
 * column (the records before it have been read). If it fits on its line and more follows, the
 * input is JSON lines: each line is a record or a container whose records are expanded, and a
 * bad line is counted, reported and skipped. A newline ends a JSON line even inside a value
 * (a JSON string cannot hold one).
 */

enum rd_mode {
	M_START,                    /* before the first value */
	M_FIRST,                    /* in the first value, all on one line so far */
	M_DOC,                      /* the first value spans lines: one document */
	M_LINES,                    /* JSON lines */
};
enum rd_state { RS_TOP, RS_ELEMS, RS_MEMBERS, RS_PENDING, RS_END, RS_FAILED };
/* What is wrong, worded later for a document (fatal) or for a JSON line (skipped). */
enum rd_err { E_SYNTAX, E_TRUNC, E_NUL, E_AFTER, E_SEP };

struct rd_fail {
	enum rd_err kind;
	const char *what;           /* json-c's words or ours (static strings) */
	uint64_t line;
	size_t col;
	uint64_t prev_line;         /* the line of the last non-blank byte before it */
	int in_string;              /* E_NUL: inside a string (a bad record, not binary data) */
};

struct ev_reader {
	char *name;                 /* label for origins and messages */
	enum ev_format fmt;
	struct ev_counters cnt;
	uint64_t skipped_ro;
	uint64_t skipped_ro_outside; /* of them, outside the window (ev_reader_set_window) */
	int skip_ro;
	int64_t since, until;       /* the window, for read-only records skipped */
	int text_ok;                /* the record just scanned needs no text repair (RAW_PLAIN) */
	void (*warn)(void *, const char *);
	void *warn_ctx;
	json_tokener *tok;          /* one per reader, reset per record */

	/* input: a file (struct input decompresses gzip) or a memory copy */
	struct input *in;
	char *buf;
	size_t blen, bpos;
	int eof;
	char *ioerr;                /* why reading failed */
	uint64_t off;               /* offset of buf[0] in the (decompressed) input */
	uint64_t line;              /* line of buf[bpos] */
	uint64_t bol;               /* offset where that line starts */
	uint64_t nb_line, nb_end, nb_bol;   /* the last non-blank byte taken: its line, the
	                                       offset just past it, where its line starts */
	uint64_t fsize;             /* size of the file on disk (0: unknown, stdin) */

	enum rd_mode mode;
	enum rd_state st;
	char *failed;               /* RS_FAILED: the message, given again if asked again */

	/* the value being collected, and where it starts */
	struct strbuf rec;
	uint64_t rec_line;
	size_t rec_col;
	uint64_t at_line;           /* where the record handed out starts (0: see its origin) */
	size_t at_col;

	/* the container being walked */
	int cont_obj;               /* its array is a member of an object (else a top-level array) */
	int elem_first;             /* no element read yet */
	size_t idx;                 /* index of the next element */
	char *label;                /* origins: "name" for the first value, else "name:LINE" */
	uint64_t vline;             /* the line the current top-level value starts on */

	/* RS_PENDING: the first value, read while sniffing, handed out by the first next */
	json_object *pending;
	char *pending_origin;
	int pending_bad;            /* or: line 1 is a malformed JSON line (pending_fail) */
	struct rd_fail pending_fail;

	void (*before_read)(void *);        /* called before reading the input again */
	void *before_read_ctx;
};

static void
reader_warn(struct ev_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
reader_warn(struct ev_reader *r, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (r->warn == NULL)
		return;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	r->warn(r->warn_ctx, msg);
	free(msg);
}

/* ---- bytes and positions ---- */

/* Refill the read buffer: 1 data, 0 end of input, -1 error (r->ioerr). */
static int
fill(struct ev_reader *r)
{
	ssize_t n;

	if (r->in == NULL || r->eof)
		return 0;
	if (r->before_read != NULL)
		r->before_read(r->before_read_ctx);
	r->off += r->blen;
	r->blen = r->bpos = 0;
	n = input_read(r->in, r->buf, READ_CHUNK, &r->ioerr);
	if (n < 0)
		return -1;
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->blen = (size_t)n;
	r->buf[n] = '\0';
	return 1;
}

/* The next byte without taking it; -1 at the end of the input or on a read error. */
static inline int
peekc(struct ev_reader *r)
{
	if (r->bpos >= r->blen && fill(r) <= 0)
		return -1;
	return (unsigned char)r->buf[r->bpos];
}

/* Take the byte at bpos (peekc returned it). */
static inline void
takec(struct ev_reader *r)
{
	char c = r->buf[r->bpos++];

	if (c == '\n') {
		r->line++;
		r->bol = r->off + r->bpos;
		if (r->mode == M_FIRST)
			r->mode = M_DOC;        /* the first value spans lines: a document */
	} else if (c != ' ' && c != '\t' && c != '\r') {
		r->nb_line = r->line;
		r->nb_end = r->off + r->bpos;
		r->nb_bol = r->bol;
	}
}

static size_t
cur_col(const struct ev_reader *r)
{
	return (size_t)(r->off + r->bpos - r->bol + 1);
}

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

/* ---- messages ---- */

static int
set_failed(struct ev_reader *r, char **err, char *msg)
{
	free(r->failed);
	r->failed = msg;
	r->st = RS_FAILED;
	return tf_err(err, "%s", msg);
}

static int
read_failure(struct ev_reader *r, char **err)
{
	return set_failed(r, err, tf_locf(r->name, (unsigned long long)r->line, 0, "%s",
	    r->ioerr != NULL ? r->ioerr : "read error"));
}

/* A record (or a line, or a run of blank space) past TF_MAX_RECORD: fatal in every mode,
 * since skipping it could mean reading without end. */
static int
too_large(struct ev_reader *r, const char *what, uint64_t line, size_t col, char **err)
{
	char lim[32];

	tf_size_str(TF_MAX_RECORD, lim);
	return set_failed(r, err, tf_locf(r->name, (unsigned long long)line, col, "%s larger "
	    "than %s, the limit for one "
	    "audit record (a JSON line, or one element of Records, Events or entries); is it an "
	    "audit log? (give one record per line, or a {\"Records\":[...]} document)", what, lim));
}

/* The words of a failure in a document, which ends the reading. */
static int
doc_failure(struct ev_reader *r, const struct rd_fail *f, char **err)
{
	unsigned long long line = f->line;

	switch (f->kind) {
	case E_NUL:
		return set_failed(r, err, tf_locf(r->name, line, f->col, "invalid JSON: %s",
		    f->what));
	case E_TRUNC:
		/* Just past the last byte there is, not at trailing blank lines. */
		return set_failed(r, err, tf_locf(r->name, (unsigned long long)r->nb_line,
		    (unsigned long long)(r->nb_end - r->nb_bol + 1), "unexpected end of input: the "
		    "file looks truncated (interrupted download or copy?); get a complete copy"));
	case E_AFTER:
		return set_failed(r, err, tf_locf(r->name, line, f->col, "unexpected data after "
		    "the JSON document (several documents in one file?); give one JSON record per "
		    "line (jq -c)"));
	case E_SEP:
		/* A value where a separator belongs: most likely a missing ',' at the end of the
		 * previous non-blank line. */
		if (f->prev_line != 0 && f->prev_line != f->line)
			return set_failed(r, err, tf_locf(r->name, line, f->col, "invalid JSON: %s (is a "
			    "',' missing at the end of line %llu?); fix the file", f->what, (unsigned long long)f->prev_line));
		/* FALLTHROUGH */
	case E_SYNTAX:
	default:
		return set_failed(r, err, tf_locf(r->name, line, f->col, "invalid JSON: %s; fix the "
		    "file, or give one JSON record per line (JSON lines)", f->what));
	}
}

/* The words of a failure on one JSON line, which is counted and skipped. */
static void
line_failure(struct ev_reader *r, const struct rd_fail *f)
{
	const char *what = f->what;
	char *msg;

	if (f->kind == E_TRUNC)
		what = "unexpected end of line (truncated record?)";
	else if (f->kind == E_AFTER)
		what = "unexpected data after the JSON value (two records on one line?)";
	r->cnt.records++;
	r->cnt.malformed++;
	msg = tf_locf(r->name, (unsigned long long)f->line, f->col, "malformed JSON line: %s", what);
	reader_warn(r, "%s", msg);
	free(msg);
}

static void
fail_here(struct ev_reader *r, struct rd_fail *f, enum rd_err kind, const char *what)
{
	f->kind = kind;
	f->what = what;
	f->line = r->line;
	f->col = cur_col(r);
	f->prev_line = r->nb_line;
}

/* ---- scanning ---- */

/* Skip blank space (in JSON lines, not past the end of the line): the next byte, -1 at the
 * end (or a read error: r->ioerr), -2 after too much of it (fatal, *err set). */
static int
skip_blank(struct ev_reader *r, int stop_at_newline, char **err)
{
	uint64_t start = r->off + r->bpos, sline = r->line;
	int c;

	while ((c = peekc(r)) >= 0 && is_blank(c)) {
		if (c == '\n' && stop_at_newline)
			return c;
		if (r->off + r->bpos - start >= TF_MAX_RECORD) {
			too_large(r, "blank space", sline, 1, err);
			return -2;
		}
		takec(r);
	}
	return c;
}

/* Take the rest of the line, with its newline: 0, 1 when it is longer than a record may be
 * (nothing more is read), -1 on a read error. */
static int
skip_line(struct ev_reader *r)
{
	size_t n = 0;
	int c;

	while ((c = peekc(r)) >= 0) {
		takec(r);
		if (c == '\n')
			return 0;
		if (++n > TF_MAX_RECORD)
			return 1;
	}
	return r->ioerr != NULL ? -1 : 0;
}

/* skip_line in JSON lines, where a line too long to skip is fatal: 0 or -1. */
static int
skip_bad_line(struct ev_reader *r, char **err)
{
	uint64_t line = r->line;

	switch (skip_line(r)) {
	case 0:
		return 0;
	case 1:
		return too_large(r, "a JSON line", line, 1, err);
	default:
		return read_failure(r, err);
	}
}

/* A key at depth 1 of a top-level object: 1 a container's array (*fmt), -1 a sign of a
 * record (eventName, protoPayload: container_array's test), 0 anything else. */
static int
container_key(const char *k, size_t n, enum ev_format *fmt)
{
	if (n == 7 && memcmp(k, "Records", 7) == 0)
		*fmt = EVF_CT_RECORDS;
	else if (n == 6 && memcmp(k, "Events", 6) == 0)
		*fmt = EVF_LOOKUP;
	else if (n == 7 && memcmp(k, "entries", 7) == 0)
		*fmt = EVF_GCP_ENTRIES;
	else if ((n == 9 && memcmp(k, "eventName", 9) == 0) ||
	    (n == 12 && memcmp(k, "protoPayload", 12) == 0))
		return -1;
	else
		return 0;
	return 1;
}

enum { C_ERR = -1, C_ENDED = 0, C_DONE = 1, C_CONTAINER = 2, C_BADLINE = 3 };

/* The last non-blank byte of b[from, to), all on the current line, is the last one taken:
 * where "the file looks truncated" points. */
static void
note_nonblank(struct ev_reader *r, const unsigned char *b, size_t from, size_t to)
{
	while (to > from && is_blank(b[to - 1]))
		to--;
	if (to > from) {
		r->nb_line = r->line;
		r->nb_end = r->off + to;
		r->nb_bol = r->bol;
	}
}

/* The first value reaches the end of its line unfinished: is what is collected so far a
 * valid start of JSON (then the value goes on: a document), or already wrong (then line 1 is
 * a malformed JSON line)? json-c judges, once per input. */
static int
first_line_ok(struct ev_reader *r)
{
	json_object *o;

	json_tokener_reset(r->tok);
	o = json_tokener_parse_ex(r->tok, r->rec.buf, (int)r->rec.len);
	if (o != NULL) {
		json_object_put(o);
		return 0;
	}
	return json_tokener_get_error(r->tok) == json_tokener_continue;
}

/* Where a run of plain string bytes starting at i ends: the first quote, backslash, newline or
 * NUL in b[i..n), else n (what strcspn(b + i, "\"\\\n") gives on the NUL-terminated buffer).
 * Eight bytes at a time: most strings are short, where strcspn's setup costs more than it
 * saves. */
static size_t
str_run_end(const unsigned char *b, size_t i, size_t n)
{
	const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;

	while (n - i >= 8) {
		uint64_t x, q, s, l;

		memcpy(&x, b + i, 8);
		q = x ^ (ones * '"');
		s = x ^ (ones * '\\');
		l = x ^ (ones * '\n');
		if ((((q - ones) & ~q) | ((s - ones) & ~s) | ((l - ones) & ~l) | ((x - ones) & ~x)) &
		    highs)
			break;
		i += 8;
	}
	while (i < n && b[i] != '"' && b[i] != '\\' && b[i] != '\n' && b[i] != '\0')
		i++;
	return i;
}

/*
 * Collect one JSON value into r->rec (appended), from its first byte: an object or array to
 * its matching bracket, a string to its closing quote, a number or literal up to a delimiter.
 * Only nesting and strings are followed; json-c judges the rest. With `watch` (a top-level
 * object), a Records / Events / entries key whose value is an array stops the collection with
 * C_CONTAINER just after its '[' (*cfmt set), unless a key saying it is a record came first.
 *
 * C_DONE the value ended; C_ENDED the input (or, in JSON lines, the line: its newline is
 * taken) ended first; C_BADLINE the first value is not valid JSON by the end of its line (the
 * newline is not taken); C_ERR a read error or a value past TF_MAX_RECORD (fatal, *err set).
 */
static int
collect_value(struct ev_reader *r, int watch, enum ev_format *cfmt, char **err)
{
	int depth = 0, str = 0, esc = 0, scalar = 0, rc;
	int want_key = 0, key = 0, colon = 0, marker = 0, k;
	size_t key_at = 0, seg, ls, i, n, lim;
	enum ev_format kf = EVF_UNKNOWN;
	const unsigned char *b;
	int c;

	for (;;) {
		if (r->bpos >= r->blen && fill(r) < 0) {
			read_failure(r, err);
			return C_ERR;
		}
		if (r->bpos >= r->blen)
			return scalar ? C_DONE : C_ENDED;
		/* The loop runs on locals; positions go back to r at every exit (sync). */
		b = (const unsigned char *)r->buf;
		seg = ls = i = r->bpos;
		n = r->blen;
		/* Stop one byte past what may still go into the record: that byte is too many. */
		lim = TF_MAX_RECORD - r->rec.len < n - seg ? seg + (TF_MAX_RECORD - r->rec.len) : n;
#define SYNC() do { \
		r->bpos = i; \
		sb_add(&r->rec, b + seg, i - seg); \
		note_nonblank(r, b, ls, i); \
		seg = ls = i; \
	} while (0)
		while (i < n) {
			if (i >= lim) {
				SYNC();
				too_large(r, "a record", r->rec_line, r->rec_col, err);
				return C_ERR;
			}
			c = b[i];
			if (str && !esc) {
				/* A run of plain string bytes (the buffer ends with a NUL; so may a
				 * NUL in the data: it is string content, taken one at a time). */
				size_t j = str_run_end(b, i, n);

				if (j > lim)
					j = lim;
				if (j == i && c == '\0' && i < n)
					j = i + 1;
				if (j > i) {
					i = j;
					continue;
				}
			}
			if (c == '\n') {
				if (r->mode == M_LINES) {
					SYNC();
					takec(r);
					return scalar ? C_DONE : C_ENDED;
				}
				if (scalar) {
					SYNC();
					return C_DONE;
				}
				if (r->mode == M_FIRST) {
					SYNC();
					if (!first_line_ok(r))
						return C_BADLINE;
					r->mode = M_DOC;    /* it spans lines: a document */
				}
				note_nonblank(r, b, ls, i);     /* the line it ends */
				i++;
				r->line++;
				r->bol = r->off + i;
				ls = i;
				esc = 0;
				continue;
			}
			if (str) {
				i++;
				if (esc)
					esc = 0;
				else if (c == '\\')
					esc = 1;
				else {          /* the closing quote */
					str = 0;
					if (depth == 0) {
						SYNC();
						return C_DONE;
					}
					if (key) {
						SYNC();
						key = 0;
						k = container_key(r->rec.buf + key_at,
						    r->rec.len - 1 - key_at, &kf);
						if (k < 0)
							marker = 1;
						colon = k > 0 && !marker;
					}
				}
				continue;
			}
			if (c == ' ' || c == '\t' || c == '\r') {
				if (scalar) {
					SYNC();
					return C_DONE;
				}
				/* Indentation comes in runs. */
				while (++i < lim && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r'))
					;
				continue;
			}
			if (scalar && (c == ',' || c == ']' || c == '}' || c == '[' || c == '{' ||
			    c == '"' || c == ':')) {
				SYNC();
				return C_DONE;
			}
			i++;
			rc = -1;
			switch (c) {
			case '"':
				str = 1;
				if (want_key && depth == 1) {
					key = 1;
					key_at = r->rec.len + (i - seg);
				}
				want_key = 0;
				break;
			case '{':
			case '[':
				if (colon == 2 && c == '[') {
					*cfmt = kf;
					rc = C_CONTAINER;
					break;
				}
				colon = 0;
				if (++depth == 1 && c == '{')
					want_key = watch;
				break;
			case '}':
			case ']':
				colon = 0;
				if (--depth <= 0)
					rc = C_DONE;
				break;
			case ',':
				colon = 0;
				want_key = watch && depth == 1;
				break;
			case ':':
				if (depth == 1 && colon == 1)
					colon = 2;
				break;
			case '\0':
				/* Never JSON outside a string: end here, json-c says where. */
				rc = C_DONE;
				break;
			default:
				colon = 0;
				if (depth == 0)
					scalar = 1;
				break;
			}
			if (rc >= 0) {
				SYNC();
				return rc;
			}
		}
		SYNC();
#undef SYNC
	}
}

/* Line and column of offset `off` of the collected value. */
static void
rec_position(const struct ev_reader *r, size_t off, uint64_t *line, size_t *col)
{
	size_t i, bol = 0;
	uint64_t l = r->rec_line;

	for (i = 0; i < off && i < r->rec.len; i++)
		if (r->rec.buf[i] == '\n') {
			l++;
			bol = i + 1;
		}
	*line = l;
	*col = l == r->rec_line ? r->rec_col + off : off - bol + 1;
}

/*
 * json-c takes a NUL byte for the end of its input. JSON has no raw NUL anywhere: inside a
 * string it must be written \u0000 (which is read, and shown as U+FFFD); outside one it is
 * binary data. The words for a NUL at s[pos].
 */
static const char *
nul_byte_why(const char *s, size_t pos, int *in_string)
{
	int in_str = 0;
	size_t i;

	for (i = 0; i < pos; i++) {
		if (!in_str)
			in_str = s[i] == '"';
		else if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			in_str = 0;
	}
	*in_string = in_str;
	return in_str ? "a NUL byte inside a string (JSON writes that character \\u0000)" :
	    "a NUL byte (binary data, or a compressed file that is not gzip?)";
}

/* Parse the collected value with json-c: the value, or NULL with *f (input positions). */
static json_object *
parse_rec(struct ev_reader *r, struct rd_fail *f)
{
	const char *nul = memchr(r->rec.buf, '\0', r->rec.len);
	enum json_tokener_error e;
	json_object *o;
	size_t end, k;

	memset(f, 0, sizeof *f);
	json_tokener_reset(r->tok);
	/* The terminating NUL ends a trailing number cleanly; a record is far below INT_MAX. */
	o = json_tokener_parse_ex(r->tok, r->rec.buf, (int)r->rec.len + 1);
	end = json_tokener_get_parse_end(r->tok);
	if (nul != NULL) {
		/* Never valid JSON, and never what a log writer meant: say what it is. */
		json_object_put(o);
		f->kind = E_NUL;
		f->what = nul_byte_why(r->rec.buf, (size_t)(nul - r->rec.buf), &f->in_string);
		rec_position(r, (size_t)(nul - r->rec.buf), &f->line, &f->col);
		return NULL;
	}
	if (o == NULL) {
		e = json_tokener_get_error(r->tok);
		if (e == json_tokener_continue || e == json_tokener_error_parse_eof) {
			f->kind = E_TRUNC;
			f->what = "unexpected end of input";
		} else {
			f->kind = e == json_tokener_error_parse_array ||
			    e == json_tokener_error_parse_object_value_sep ? E_SEP : E_SYNTAX;
			f->what = json_tokener_error_desc(e);
		}
		if (end > r->rec.len)
			end = r->rec.len;
		rec_position(r, end, &f->line, &f->col);
		/* The last non-blank byte before it, for the missing-comma hint. */
		for (k = end; k > 0 && isspace((unsigned char)r->rec.buf[k - 1]); k--)
			;
		if (k > 0) {
			size_t pcol;

			rec_position(r, k - 1, &f->prev_line, &pcol);
		}
		return NULL;
	}
	if (end < r->rec.len && !blank(r->rec.buf + end, r->rec.len - end)) {
		json_object_put(o);
		f->kind = E_AFTER;
		f->what = "unexpected data after the JSON value";
		rec_position(r, end, &f->line, &f->col);
		return NULL;
	}
	return o;
}

/* Turn one value into an event, counting and reporting what it is not. 1 when *ev is set. */
/* A warning about the record from origin: "FILE:LINE:COL: what (ORIGIN)" for an element of a
 * document, whose origin is its index ("FILE#3"); else "ORIGIN: what" (a JSON line's origin
 * is "FILE:LINE" already). */
static void record_warn(struct ev_reader *r, const char *origin, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
record_warn(struct ev_reader *r, const char *origin, const char *fmt, ...)
{
	va_list ap;
	char *msg, *line;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (r->at_line != 0)
		line = tf_locf(r->name, r->at_line, r->at_col, "%s (%s)", msg, origin);
	else
		line = tf_locf(origin, 0, 0, "%s", msg);
	reader_warn(r, "%s", line);
	free(line);
	free(msg);
}

/* A read-only record skipped, at time_ms (0: none). */
static void
skip_ro_count(struct ev_reader *r, int64_t time_ms)
{
	r->skipped_ro++;
	if (time_ms != 0 && (time_ms < r->since || time_ms > r->until))
		r->skipped_ro_outside++;
}

static int
take_record(struct ev_reader *r, json_object *o, struct event *ev, const char *origin)
{
	const char *why = NULL;
	int rc;

	r->cnt.records++;
	rc = r->text_ok ? event_sniff_record_text_ok(o, ev, &why) : event_sniff_record(o, ev, &why);
	r->text_ok = 0;
	if (rc == REC_MALFORMED) {
		r->cnt.malformed++;
		record_warn(r, origin, "malformed record: %s", why);
		return 0;
	}
	if (rc == REC_SKIP) {
		r->cnt.skipped++;
		record_warn(r, origin, "skipped: %s", why);
		return 0;
	}
	/* Said of every record repaired, read-only or not: skipping one hides nothing. */
	if (ev->repaired > 0) {
		r->cnt.repaired++;
		record_warn(r, origin, "%u string%s not valid UTF-8 or holding a NUL character: "
		    "shown with U+FFFD", ev->repaired, ev->repaired == 1 ? "" : "s");
	}
	if (r->skip_ro && ev->read_only == 1) {
		skip_ro_count(r, ev->time_ms);
		event_free(ev);
		return 0;
	}
	r->cnt.events++;
	ev->origin = xstrdup(origin);
	return 1;
}

/* Take o as a record (1 with *ev), or park it for the first next when sniffing. */
static int
hand_out(struct ev_reader *r, json_object *o, char *origin, int sniffing, struct event *ev)
{
	int got;

	if (sniffing) {
		r->pending = o;
		r->pending_origin = origin;
		r->st = RS_PENDING;
		return 0;
	}
	got = take_record(r, o, ev, origin);
	free(origin);
	/* The event keeps the only reference: it may be freed on another thread. */
	json_object_put(o);
	return got;
}

/* The collected value is read-only by the fast path: counted, not parsed. */
static int
fast_read_only(struct ev_reader *r)
{
	int64_t ms;
	enum raw_rc rc;

	r->text_ok = 0;
	if (!r->skip_ro)
		return 0;
	if ((rc = event_raw_read_only(r->rec.buf, r->rec.len, &ms)) != RAW_READ_ONLY) {
		/* scanned whole already: its text needs no repair when parsed (take_record) */
		r->text_ok = rc == RAW_PLAIN;
		return 0;
	}
	r->cnt.records++;
	skip_ro_count(r, ms);
	return 1;
}

/* After the first line: anything more? 1 yes (JSON lines from now on), 0 no, -1 fatal. */
static int
more_after(struct ev_reader *r, char **err)
{
	int c;

	r->mode = M_LINES;          /* newlines from here are between values */
	c = skip_blank(r, 0, err);
	if (c == -2)
		return -1;
	if (c < 0 && r->ioerr != NULL)
		return read_failure(r, err);
	if (c < 0)
		return 0;
	r->fmt = EVF_JSON_LINES;
	r->st = RS_TOP;
	return 1;
}

/*
 * The first value failed on its own line (the rest of the line taken already, or `skip` asks
 * for it): with more lines the input is JSON lines and this one is malformed (reported now,
 * or by the first next when sniffing: the warn callback is not set yet); alone, it is a
 * broken document. 0 to go on, -1 fatal.
 */
static int
first_line_failed(struct ev_reader *r, const struct rd_fail *f, int skip, int sniffing,
    char **err)
{
	int more;

	if (skip && skip_line(r) != 0) {
		/* Too long (or unreadable) to skip: this is all there is to say. */
		r->mode = M_DOC;
		return doc_failure(r, f, err);
	}
	if ((more = more_after(r, err)) < 0)
		return -1;
	if (!more) {
		r->mode = M_DOC;
		return doc_failure(r, f, err);
	}
	if (sniffing) {
		r->pending_bad = 1;
		r->pending_fail = *f;
		r->st = RS_PENDING;
	} else
		line_failure(r, f);
	return 0;
}

/* A failure inside a container: fatal in a document, a malformed line in JSON lines
 * (line_ended: its newline is taken already). 0 to go on, -1 fatal. */
static int
container_failed(struct ev_reader *r, const struct rd_fail *f, int line_ended, char **err)
{
	if (r->mode == M_DOC)
		return doc_failure(r, f, err);
	if (r->mode == M_FIRST)
		return first_line_failed(r, f, 1, 0, err);
	line_failure(r, f);
	r->st = RS_TOP;
	return line_ended ? 0 : skip_bad_line(r, err);
}

/* A top-level container ended (its ']' or '}'). 0 to go on, -1 fatal. */
static int
value_end(struct ev_reader *r, char **err)
{
	struct rd_fail f;
	int c;

	c = skip_blank(r, r->mode != M_DOC, err);
	if (c == -2)
		return -1;
	if (c < 0 && r->ioerr != NULL)
		return read_failure(r, err);
	if (r->mode == M_DOC) {
		if (c >= 0) {
			fail_here(r, &f, E_AFTER, NULL);
			return doc_failure(r, &f, err);
		}
		r->st = RS_END;
		return 0;
	}
	if (c >= 0 && c != '\n') {
		fail_here(r, &f, E_AFTER, NULL);
		return container_failed(r, &f, 0, err);
	}
	if (r->mode == M_FIRST) {
		int more = more_after(r, err);

		if (more < 0)
			return -1;
		r->st = more ? RS_TOP : RS_END;
		return 0;
	}
	if (c == '\n')
		takec(r);
	r->st = RS_TOP;
	return 0;
}

static void
begin_container(struct ev_reader *r, int obj, enum ev_format fmt)
{
	if (r->mode != M_LINES)
		r->fmt = fmt;
	r->cont_obj = obj;
	r->elem_first = 1;
	r->idx = 0;
	free(r->label);
	r->label = r->mode == M_LINES ? xasprintf("%s:%llu", r->name,
	    (unsigned long long)r->vline) : xstrdup(r->name);
	sb_reset(&r->rec);
	r->st = RS_ELEMS;
}

/* A JSON line that is not a container, collected (rc from collect_value). 1 with *ev, 0 to
 * go on, -1 fatal. */
static int
line_value(struct ev_reader *r, int rc, struct event *ev, char **err)
{
	struct rd_fail f, after;
	json_object *o;
	int c;

	r->st = RS_TOP;
	memset(&after, 0, sizeof after);
	if (rc == C_DONE) {
		/* The rest of the line must be blank. */
		if ((c = skip_blank(r, 1, err)) == -2)
			return -1;
		if (c < 0 && r->ioerr != NULL)
			return read_failure(r, err);
		if (c == '\n')
			takec(r);
		else if (c >= 0) {
			fail_here(r, &after, E_AFTER, NULL);
			if (skip_bad_line(r, err) != 0)
				return -1;
		}
	}
	r->text_ok = 0;
	if (after.line == 0 && fast_read_only(r))
		return 0;
	if ((o = parse_rec(r, &f)) == NULL || after.line != 0) {
		json_object_put(o);
		line_failure(r, o == NULL ? &f : &after);
		return 0;
	}
	return hand_out(r, o, xasprintf("%s:%llu", r->name, (unsigned long long)r->vline), 0, ev);
}

/* The first value when it is not a container: line 1 of JSON lines, or the whole input (a
 * single record: EVF_SINGLE, its origin the name). 1 with *ev, 0 to go on, -1 fatal. */
static int
first_value(struct ev_reader *r, int rc, int sniffing, struct event *ev, char **err)
{
	struct rd_fail f, after;
	json_object *o;
	int c, more;

	memset(&after, 0, sizeof after);
	o = parse_rec(r, &f);
	if (o == NULL && f.kind == E_NUL && !f.in_string)
		return doc_failure(r, &f, err);         /* binary data: no use reading on */
	if (r->mode == M_FIRST && rc == C_DONE) {
		/* It fits on its line: what else is on it? */
		if ((c = skip_blank(r, 1, err)) == -2) {
			json_object_put(o);
			return -1;
		}
		if (c >= 0 && c != '\n') {
			fail_here(r, &after, E_AFTER, NULL);
			json_object_put(o);
			return first_line_failed(r, o == NULL ? &f : &after, 1, sniffing, err);
		}
	}
	if (r->mode == M_FIRST) {
		if ((more = more_after(r, err)) < 0) {
			json_object_put(o);
			return -1;
		}
		if (more) {
			if (o == NULL)
				return first_line_failed(r, &f, 0, sniffing, err);
			return hand_out(r, o, xasprintf("%s:%llu", r->name,
			    (unsigned long long)r->vline), sniffing, ev);
		}
		r->mode = M_DOC;
	} else if (o != NULL) {
		/* It spans lines: the document, and nothing may follow it. */
		if ((c = skip_blank(r, 0, err)) == -2) {
			json_object_put(o);
			return -1;
		}
		if (c >= 0) {
			json_object_put(o);
			fail_here(r, &f, E_AFTER, NULL);
			return doc_failure(r, &f, err);
		}
	}
	if (o == NULL)
		return doc_failure(r, &f, err);
	if (r->ioerr != NULL) {
		json_object_put(o);
		return read_failure(r, err);
	}
	if (!json_object_is_type(o, json_type_object)) {
		enum json_type t = json_object_get_type(o);

		json_object_put(o);
		return set_failed(r, err, xasprintf("%s: the input is a JSON %s, not an object or an "
		    "array of audit records", r->name, json_type_to_name(t)));
	}
	r->fmt = EVF_SINGLE;
	r->st = RS_END;
	return hand_out(r, o, xstrdup(r->name), sniffing, ev);
}

/* Could a JSON line hold a container's array ("Records": [ and the like, at any depth)?
 * Arrays are few in a record: memchr finds each '[' and the key before it is looked at. */
static int
may_hold_container(const char *p, size_t n)
{
	static const struct { const char *k; size_t n; } keys[] = {
		{ "Records", 7 }, { "Events", 6 }, { "entries", 7 },
	};
	const char *q = p, *e = p + n, *k;
	size_t i;

	while ((q = memchr(q, '[', (size_t)(e - q))) != NULL) {
		k = q++;
		while (k > p && is_blank((unsigned char)k[-1]))
			k--;
		if (k == p || *--k != ':')
			continue;
		while (k > p && is_blank((unsigned char)k[-1]))
			k--;
		if (k == p || *--k != '"')
			continue;
		for (i = 0; i < TF_ARRLEN(keys); i++)
			if ((size_t)(k - p) > keys[i].n && k[-(ptrdiff_t)keys[i].n - 1] == '"' &&
			    memcmp(k - keys[i].n, keys[i].k, keys[i].n) == 0)
				return 1;
	}
	return 0;
}

/* JSON lines, at a value's first byte: when the rest of the line is in the buffer and cannot
 * be a container (may_hold_container), take it whole into r->rec, newline and
 * all, without the byte-by-byte scanner: what it would collect, at memchr's speed. 1 taken,
 * 0 not (nothing taken). */
static int
whole_line(struct ev_reader *r)
{
	const char *p = r->buf + r->bpos, *nl = memchr(p, '\n', r->blen - r->bpos);
	size_t n;

	if (nl == NULL)
		return 0;
	n = (size_t)(nl - p);
	/* Past the limit for a record: the scanner says so (a reader over memory may hold it). */
	if (n > TF_MAX_RECORD || may_hold_container(p, n))
		return 0;
	sb_add(&r->rec, p, n);
	note_nonblank(r, (const unsigned char *)r->buf, r->bpos, r->bpos + n);
	r->bpos += n + 1;
	r->line++;
	r->bol = r->off + r->bpos;
	return 1;
}

/* Between top-level values (in JSON lines: at the start of a line). */
static int
top_step(struct ev_reader *r, int sniffing, struct event *ev, char **err)
{
	enum ev_format cf = EVF_UNKNOWN;
	struct rd_fail f;
	int c, rc;

	c = skip_blank(r, 0, err);
	if (c == -2)
		return -1;
	if (c < 0) {
		if (r->ioerr != NULL)
			return read_failure(r, err);
		r->st = RS_END;
		return 0;
	}
	if (r->mode == M_DOC) {
		fail_here(r, &f, E_AFTER, NULL);
		return doc_failure(r, &f, err);
	}
	if (r->mode == M_START)
		r->mode = M_FIRST;
	r->vline = r->line;
	r->rec_line = r->line;
	r->rec_col = cur_col(r);
	sb_reset(&r->rec);
	if (c == '[') {
		takec(r);
		begin_container(r, 0, EVF_JSON_ARRAY);
		return 0;
	}
	if (r->mode == M_LINES && whole_line(r))
		return line_value(r, C_ENDED, ev, err);
	rc = collect_value(r, c == '{', &cf, err);
	if (rc == C_ERR)
		return -1;
	if (rc == C_CONTAINER) {
		begin_container(r, 1, cf);
		return 0;
	}
	if (r->mode == M_LINES)
		return line_value(r, rc, ev, err);
	return first_value(r, rc, sniffing, ev, err);
}

/* The end of a container's array or object was not where it should be: fail_here, worded. */
static int
container_cut(struct ev_reader *r, int c, char **err)
{
	struct rd_fail f;

	if (c == -2)
		return -1;
	if (c < 0 && r->ioerr != NULL)
		return read_failure(r, err);
	fail_here(r, &f, E_TRUNC, "unexpected end of input");
	if (c == '\n')
		takec(r);
	return container_failed(r, &f, c == '\n', err);
}

/* Inside a container's array: the next element, or its end. 1 with *ev, 0 to go on, -1. */
static int
elems_step(struct ev_reader *r, struct event *ev, char **err)
{
	int lines = r->mode == M_LINES;
	struct rd_fail f;
	json_object *o;
	int c, rc;

	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	if (!r->elem_first && c != ']') {
		if (c != ',') {
			fail_here(r, &f, E_SEP,
			    json_tokener_error_desc(json_tokener_error_parse_array));
			return container_failed(r, &f, 0, err);
		}
		takec(r);
		c = skip_blank(r, lines, err);
		if (c < 0 || c == '\n')
			return container_cut(r, c, err);
	}
	if (c == ']') {
		takec(r);
		if (r->cont_obj) {
			r->st = RS_MEMBERS;
			return 0;
		}
		return value_end(r, err);
	}
	r->elem_first = 0;
	sb_reset(&r->rec);
	r->rec_line = r->line;
	r->rec_col = cur_col(r);
	if ((rc = collect_value(r, 0, NULL, err)) == C_ERR)
		return -1;
	r->text_ok = 0;
	if (rc == C_DONE && fast_read_only(r)) {
		r->idx++;
		return 0;
	}
	if ((o = parse_rec(r, &f)) == NULL)
		return container_failed(r, &f, rc == C_ENDED && lines, err);
	r->at_line = r->rec_line;
	r->at_col = r->rec_col;
	rc = hand_out(r, o, xasprintf("%s#%zu", r->label, r->idx++), 0, ev);
	r->at_line = 0;
	return rc;
}

/* In a container object after its array: its other members (checked, dropped), then '}'. */
static int
members_step(struct ev_reader *r, char **err)
{
	int lines = r->mode == M_LINES, c, rc;
	struct rd_fail f;
	json_object *o = NULL;

	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	if (c == '}') {
		takec(r);
		return value_end(r, err);
	}
	if (c != ',') {
		fail_here(r, &f, E_SEP,
		    json_tokener_error_desc(json_tokener_error_parse_object_value_sep));
		return container_failed(r, &f, 0, err);
	}
	takec(r);
	/* "key": value, collected within the limit like a record, then dropped. */
	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	if (c != '"') {
		fail_here(r, &f, E_SYNTAX,
		    json_tokener_error_desc(json_tokener_error_parse_object_key_name));
		return container_failed(r, &f, 0, err);
	}
	sb_reset(&r->rec);
	r->rec_line = r->line;
	r->rec_col = cur_col(r);
	if ((rc = collect_value(r, 0, NULL, err)) == C_ERR)
		return -1;
	if (rc != C_DONE) {
		if (rc == C_ENDED || (o = parse_rec(r, &f)) != NULL) {
			json_object_put(o);
			fail_here(r, &f, E_TRUNC, "unexpected end of input");
		}
		return container_failed(r, &f, rc == C_ENDED && lines, err);
	}
	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	if (c != ':') {
		fail_here(r, &f, E_SYNTAX,
		    json_tokener_error_desc(json_tokener_error_parse_object_key_sep));
		return container_failed(r, &f, 0, err);
	}
	takec(r);
	c = skip_blank(r, lines, err);
	if (c < 0 || c == '\n')
		return container_cut(r, c, err);
	sb_reset(&r->rec);
	r->rec_line = r->line;
	r->rec_col = cur_col(r);
	if ((rc = collect_value(r, 0, NULL, err)) == C_ERR)
		return -1;
	if ((o = parse_rec(r, &f)) == NULL)
		return container_failed(r, &f, rc == C_ENDED && lines, err);
	json_object_put(o);
	return 0;
}

/* Sniff: read until the shape is known (a container's opening, or the whole first value). */
static int
sniff(struct ev_reader *r, char **err)
{
	struct event unused;
	int c;

	/* A UTF-8 byte order mark is not JSON (columns count from after it). */
	if ((c = peekc(r)) == 0xef && r->blen - r->bpos >= 3 &&
	    memcmp(r->buf + r->bpos, "\xef\xbb\xbf", 3) == 0) {
		r->bpos += 3;
		r->bol = r->off + r->bpos;
	}
	if (c < 0 && r->ioerr != NULL)
		return read_failure(r, err);
	r->fmt = EVF_JSON_LINES;        /* empty input: nothing to read, nothing lost */
	memset(&unused, 0, sizeof unused);
	return top_step(r, 1, &unused, err) < 0 ? -1 : 0;
}

static struct ev_reader *
reader_new(const char *name)
{
	struct ev_reader *r = xcalloc(1, sizeof *r);

	r->name = xstrdup(name);
	r->tok = json_tokener_new_ex(TOK_DEPTH);
	if (r->tok == NULL)
		tf_fatal("out of memory (json tokener)");
	sb_init(&r->rec);
	sb_grow(&r->rec, 0);
	r->line = 1;
	r->mode = M_START;
	r->st = RS_TOP;
	r->since = INT64_MIN;
	r->until = INT64_MAX;
	return r;
}

struct ev_reader *
ev_reader_open(const char *path, char **err)
{
	struct ev_reader *r;
	struct input *in;
	const char *prev;
	int rc;

	if ((in = input_open(path, 0, err)) == NULL)
		return NULL;
	r = reader_new(strcmp(path, "-") == 0 ? "<stdin>" : path);
	r->in = in;
	r->fsize = input_size(in);
	r->buf = xmalloc(READ_CHUNK + 1);   /* + a NUL after the data, for strcspn */
	prev = tf_reading_set(r->name);
	rc = sniff(r, err);
	tf_reading_set(prev);
	if (rc != 0) {
		ev_reader_close(r);
		return NULL;
	}
	return r;
}

struct ev_reader *
ev_reader_open_mem(const char *name, const char *buf, size_t len, char **err)
{
	struct ev_reader *r = reader_new(name != NULL ? name : "<memory>");
	const char *prev;
	int rc;

	r->buf = xmalloc(len + 1);
	if (len > 0)
		memcpy(r->buf, buf, len);
	r->buf[len] = '\0';
	r->blen = len;
	r->eof = 1;
	prev = tf_reading_set(r->name);
	rc = sniff(r, err);
	tf_reading_set(prev);
	if (rc != 0) {
		ev_reader_close(r);
		return NULL;
	}
	return r;
}

void
ev_reader_close(struct ev_reader *r)
{
	if (r == NULL)
		return;
	input_close(r->in);
	free(r->buf);
	free(r->ioerr);
	free(r->failed);
	sb_free(&r->rec);
	free(r->label);
	json_object_put(r->pending);
	free(r->pending_origin);
	if (r->tok != NULL)
		json_tokener_free(r->tok);
	free(r->name);
	free(r);
}

void
ev_reader_set_before_read(struct ev_reader *r, void (*fn)(void *ctx), void *ctx)
{
	r->before_read = fn;
	r->before_read_ctx = ctx;
}

void
ev_reader_set_skip_read_only(struct ev_reader *r, int on)
{
	r->skip_ro = on != 0;
}

uint64_t
ev_reader_skipped_read_only(const struct ev_reader *r)
{
	return r->skipped_ro;
}

void
ev_reader_set_window(struct ev_reader *r, int64_t since, int64_t until)
{
	r->since = since;
	r->until = until;
}

uint64_t
ev_reader_skipped_read_only_outside(const struct ev_reader *r)
{
	return r->skipped_ro_outside;
}

double
ev_reader_progress(const struct ev_reader *r)
{
	double whole;

	if (r->in == NULL)
		return r->blen > 0 ? (double)r->bpos / (double)r->blen : 1.0;
	if (r->fsize == 0)
		return -1.0;
	/* How far into the file (compressed bytes for .gz). */
	whole = (double)input_offset(r->in) / (double)r->fsize;
	return whole > 1.0 ? 1.0 : whole;
}

enum ev_format
ev_reader_format(const struct ev_reader *r)
{
	return r->fmt;
}

const struct ev_counters *
ev_reader_counters(const struct ev_reader *r)
{
	return &r->cnt;
}

void
ev_reader_set_warn(struct ev_reader *r, void (*fn)(void *ctx, const char *msg), void *ctx)
{
	r->warn = fn;
	r->warn_ctx = ctx;
}

void
ev_warn_stderr(void *ctx, const char *msg)
{
	struct ev_warn_stderr *w = ctx;

	w->n++;
	if (!w->quiet && w->n <= EV_WARN_SHOWN) {
		fputs("tfdrift: warning: ", stderr);
		text_fputs(stderr, msg);
		fputc('\n', stderr);
	}
}

void
ev_warn_stderr_done(const struct ev_warn_stderr *w, const char *file)
{
	if (!w->quiet && w->n > EV_WARN_SHOWN)
		fprintf(stderr, "tfdrift: warning: %s: %lu more warning%s not shown\n", file,
		    w->n - EV_WARN_SHOWN, w->n - EV_WARN_SHOWN == 1 ? "" : "s");
}

/* The first value, read while sniffing: its event, or its line's malformed report. */
static int
pending_step(struct ev_reader *r, struct event *ev)
{
	json_object *o = r->pending;
	char *origin = r->pending_origin;

	r->st = r->fmt == EVF_SINGLE ? RS_END : RS_TOP;
	if (r->pending_bad) {
		r->pending_bad = 0;
		line_failure(r, &r->pending_fail);
		return 0;
	}
	r->pending = NULL;
	r->pending_origin = NULL;
	return o != NULL ? hand_out(r, o, origin, 0, ev) : 0;
}

static int
reader_next(struct ev_reader *r, struct event *ev, char **err)
{
	int got;

	for (;;) {
		switch (r->st) {
		case RS_PENDING:
			got = pending_step(r, ev);
			break;
		case RS_TOP:
			got = top_step(r, 0, ev, err);
			break;
		case RS_ELEMS:
			got = elems_step(r, ev, err);
			break;
		case RS_MEMBERS:
			got = members_step(r, err);
			break;
		case RS_FAILED:
			return tf_err(err, "%s", r->failed);
		case RS_END:
		default:
			return 0;
		}
		if (got != 0)
			return got;
	}
}

/* Running out of memory while a reader works names its input (tf_reading_set). */
int
ev_reader_next(struct ev_reader *r, struct event *ev, char **err)
{
	const char *prev = tf_reading_set(r->name);
	int got;

	memset(ev, 0, sizeof *ev);
	got = reader_next(r, ev, err);
	tf_reading_set(prev);
	return got;
}

/* ---- JSON lines split for parallel reading (scan_par.c) ---- */

int
ev_reader_at_line(const struct ev_reader *r)
{
	return r->mode == M_LINES && (r->st == RS_TOP || r->st == RS_PENDING);
}

int
ev_reader_next_pending(struct ev_reader *r, struct event *ev)
{
	const char *prev;
	int got;

	memset(ev, 0, sizeof *ev);
	if (r->st != RS_PENDING)
		return 0;
	prev = tf_reading_set(r->name);
	got = pending_step(r, ev);
	tf_reading_set(prev);
	return got;
}

int
ev_reader_take_rest(struct ev_reader *r, struct ev_lines_rest *rest)
{
	size_t from;

	if (r->mode != M_LINES || r->st != RS_TOP)
		return -1;
	memset(rest, 0, sizeof *rest);
	rest->line = r->line;
	if (r->bol >= r->off && r->bol - r->off <= r->bpos) {
		from = (size_t)(r->bol - r->off);
		rest->col = 1;
	} else {
		/* The line began in an earlier buffer: only blank space of it is gone. */
		from = r->bpos;
		rest->col = cur_col(r);
	}
	rest->len = r->blen - from;
	rest->buf = xmalloc(rest->len + 1);
	memcpy(rest->buf, r->buf + from, rest->len);
	rest->buf[rest->len] = '\0';
	rest->in = r->eof ? NULL : r->in;
	if (!r->eof)
		r->in = NULL;
	r->bpos = r->blen;
	r->eof = 1;
	r->st = RS_END;
	return 0;
}

struct ev_reader *
ev_reader_open_lines(const char *name, char *buf, size_t len, uint64_t line, size_t col,
    struct input *in)
{
	struct ev_reader *r = reader_new(name);

	/* Room for a NUL after the data (strcspn: buf has it), and for a whole READ_CHUNK once
	 * it is used up, when more of the input follows. */
	r->buf = in == NULL || len >= READ_CHUNK ? buf : xreallocarray(buf, READ_CHUNK + 1, 1);
	r->buf[len] = '\0';
	r->blen = len;
	r->in = in;
	r->eof = in == NULL;
	r->line = line;
	/* Columns count from the line's start, col - 1 bytes before buf. */
	r->off = col > 0 ? col - 1 : 0;
	r->bol = 0;
	r->fmt = EVF_JSON_LINES;
	r->mode = M_LINES;
	r->st = RS_TOP;
	return r;
}
