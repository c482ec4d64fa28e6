/* jscan: a strict JSON scanner over a buffer, for walking big or hot documents without
 * building a tree (the state fast path, the state peek, the event pre-scanner).
 *
 * A struct jscan is a cursor over b[0..n): nothing reads b[n] or beyond, and the buffer need
 * not end in a NUL. Every value the scanner consumes is checked against RFC 8259 (strings
 * with valid escapes and no raw control characters, numbers in JSON's grammar, literals,
 * commas and colons where they belong, nesting within max_depth), so a walk that succeeds
 * saw valid JSON. It is stricter than json-c (which takes "1." and raw tabs in strings):
 * callers that must agree with json-c treat a jscan failure as "let json-c decide".
 * It does not check UTF-8 (json-c does not either).
 *
 * Errors: the functions that consume return 0 (or 1 for "there is one more") and -1 on
 * error; the first error is kept in s->err (static text) at offset s->err_at, for messages
 * with jscan_pos(). Whitespace before a value is skipped by every function that reads one.
 *
 * Two ways to walk containers:
 *   - callbacks: jscan_object(s, fn, arg) calls fn(s, key, klen, arg) with the cursor at each
 *     member's value, jscan_array(s, fn, arg) calls fn(s, index, arg) at each element; fn
 *     must consume the value (jscan_skip, jscan_string, a nested walk, ...);
 *   - iterators: jscan_object_begin / jscan_object_next, jscan_array_begin / jscan_array_next.
 *
 *	struct jscan s;
 *	struct jscan_it it;
 *	struct jscan_str k;
 *	int r;
 *
 *	jscan_init(&s, buf, len);
 *	if (jscan_object_begin(&s, &it) != 0)
 *		return -1;
 *	while ((r = jscan_object_next(&s, &it, &k)) == 1)
 *		if (jscan_str_eq(&k, "serial") ? jscan_uint64(&s, &serial) : jscan_skip(&s, NULL, NULL))
 *			return -1;
 *	return r;      (0 at the closing brace, -1 on an error)
 *
 * No allocation except jscan_strdup; no global state. */
#ifndef TFDRIFT_JSCAN_H
#define TFDRIFT_JSCAN_H

#include <stddef.h>
#include <stdint.h>

#define JSCAN_MAX_DEPTH 1024	/* the most max_depth may be */

struct jscan {
	const char *b;		/* the buffer */
	size_t n;		/* its length */
	size_t i;		/* the cursor: offset of the next byte to read */
	int depth;		/* containers the walkers are inside (begin +1, end -1) */
	int max_depth;		/* nesting allowed, walkers and jscan_skip together (default 512) */
	const char *err;	/* the first error ("unterminated string", ...), NULL while none */
	size_t err_at;		/* its offset in b */
	/* Set by the caller: every string and key consumed (jscan_string, the walkers' keys,
	 * jscan_skip) must also be plain text, whose value json-c gives as valid UTF-8 without a
	 * NUL: its bytes valid UTF-8, and no \u escape of NUL or of a surrogate (a pair is
	 * refused too). Anything else fails ("not plain text"). The event pre-scanner uses it so
	 * that a record it decides on needs no repair (text.h) once parsed. */
	int plain_text;
};

/* What the next value is, from its first byte (not yet checked). */
enum jscan_type {
	JSCAN_NONE,		/* the end of the buffer, or a byte no value starts with */
	JSCAN_OBJECT, JSCAN_ARRAY, JSCAN_STRING, JSCAN_NUMBER, JSCAN_TRUE, JSCAN_FALSE, JSCAN_NULL,
};

/* A string as it is in the buffer: the bytes between the quotes. esc: it has escapes, so
 * p[0..n) is not the value; decode it with jscan_unescape / jscan_strdup. */
struct jscan_str {
	const char *p;
	size_t n;
	int esc;
};

/* Iterator state: members or elements read so far. */
struct jscan_it {
	size_t n;
};

void jscan_init(struct jscan *s, const char *buf, size_t len);
/* A cursor over b[a..e) of the same buffer (a sub-value whose span a walk recorded), at depth
 * d (the nesting it sits at, for max_depth). */
void jscan_sub(struct jscan *sub, const struct jscan *s, size_t a, size_t e, int d);

/* Skips whitespace. */
void jscan_ws(struct jscan *s);
/* Skips whitespace; 1 when the whole buffer has been read. */
int jscan_at_end(struct jscan *s);
/* Skips whitespace; the type of the value that starts there. */
enum jscan_type jscan_peek(struct jscan *s);
/* Records an error at the cursor (the first one sticks); returns -1. */
int jscan_fail(struct jscan *s, const char *why);

/* Consumes one value of any kind, checked, and gives its span [*a, *e) (either may be NULL). */
int jscan_skip(struct jscan *s, size_t *a, size_t *e);
/* Consumes a string. */
int jscan_string(struct jscan *s, struct jscan_str *out);
/* Consumes a number; its text is b[*a..*e). */
int jscan_number(struct jscan *s, size_t *a, size_t *e);
/* Consumes a number that is a plain integer (no fraction or exponent) in range; -1 (with
 * the cursor unmoved) for any other value. */
int jscan_int64(struct jscan *s, int64_t *v);
int jscan_uint64(struct jscan *s, uint64_t *v);
/* Consumes true, false or null; *t says which. */
int jscan_literal(struct jscan *s, enum jscan_type *t);

/* Low level, over any buffer: the offset just past the string whose opening quote is at b[i]
 * (*esc set when it has escapes), or past the number starting at b[i]; 0 when it is not
 * valid JSON or runs past n. */
size_t jscan_string_end(const char *b, size_t n, size_t i, int *esc);
/* The same, and 0 also when the string is not plain text (struct jscan, plain_text). */
size_t jscan_string_end_plain(const char *b, size_t n, size_t i, int *esc);
size_t jscan_number_end(const char *b, size_t n, size_t i);
/* A checked number's text as an integer: 0, or -1 when it has a fraction or an exponent or
 * is out of range. */
int jscan_number_int64(const char *p, size_t n, int64_t *v);

/* Decodes a string's raw bytes (from jscan_string or jscan_string_end: the escapes are
 * valid) into out, which needs room for n bytes (decoding never grows); returns the length.
 * \u escapes become UTF-8, pairs of surrogates one code point, and a lone surrogate U+FFFD,
 * as json-c does (a string with a pair json-c 0.16 decodes wrongly is decoded by json-c). The result may hold NUL bytes (from \u0000). No NUL is appended. */
size_t jscan_unescape(const char *raw, size_t n, char *out);
/* The decoded string, NUL-terminated, on the heap; *len (if not NULL) its length. */
char *jscan_strdup(const struct jscan_str *str, size_t *len);
/* A decoded key, NUL-terminated: in buf when its raw text fits in size bytes, else on the
 * heap (*heap set; the caller frees *heap, which is NULL otherwise); *len its length. */
const char *jscan_key(const struct jscan_str *k, char *buf, size_t size, size_t *len,
    char **heap);
/* 1 when the string's value is exactly the NUL-terminated lit. */
int jscan_str_eq(const struct jscan_str *str, const char *lit);

/* Iterators. begin consumes the opening bracket; next returns 1 with the cursor at the next
 * member's value (*key set) or element, 0 once it consumed the closing bracket, -1 on an
 * error. The caller consumes each value before calling next again. */
int jscan_object_begin(struct jscan *s, struct jscan_it *it);
int jscan_object_next(struct jscan *s, struct jscan_it *it, struct jscan_str *key);
int jscan_array_begin(struct jscan *s, struct jscan_it *it);
int jscan_array_next(struct jscan *s, struct jscan_it *it);

/* Callbacks. key is decoded and NUL-terminated (klen is its length: a key holding \u0000 has
 * strlen(key) < klen); it lives until fn returns. fn returns 0 to go on, -1 on an error, or
 * another value to stop the walk there, which the walk then returns (the cursor stays where
 * fn left it). */
typedef int (*jscan_member_fn)(struct jscan *s, const char *key, size_t klen, void *arg);
typedef int (*jscan_elem_fn)(struct jscan *s, size_t idx, void *arg);
int jscan_object(struct jscan *s, jscan_member_fn fn, void *arg);
int jscan_array(struct jscan *s, jscan_elem_fn fn, void *arg);

/* Line and column (1-based; a column counts bytes) of offset off in b, for messages. */
void jscan_pos(const char *b, size_t off, size_t *line, size_t *col);

#endif
