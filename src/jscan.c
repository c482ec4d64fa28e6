/* jscan: a strict JSON scanner over a buffer (see jscan.h). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jscan.h"
#include "text.h"
#include "util.h"

#define DEFAULT_DEPTH 512

/* Bytes that end a run of plain string bytes: the quote, the backslash, control bytes. */
static const unsigned char str_stop[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

/* The same, and bytes >= 0x80 too (plain_text: a run of them is checked as UTF-8). */
static const unsigned char str_stop_plain[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
	[0x80] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static unsigned hex4(const char *p);

static int
is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

void
jscan_init(struct jscan *s, const char *buf, size_t len)
{
	memset(s, 0, sizeof *s);
	s->b = buf;
	s->n = len;
	s->max_depth = DEFAULT_DEPTH;
}

void
jscan_sub(struct jscan *sub, const struct jscan *s, size_t a, size_t e, int d)
{
	*sub = *s;
	sub->i = a;
	sub->n = e;
	sub->depth = d;
	sub->err = NULL;
	sub->err_at = 0;
}

static inline void
skip_ws(struct jscan *s)
{
	if (s->i < s->n && (unsigned char)s->b[s->i] > ' ')	/* most often */
		return;
	while (s->i < s->n && is_ws(s->b[s->i]))
		s->i++;
}

void
jscan_ws(struct jscan *s)
{
	skip_ws(s);
}

int
jscan_at_end(struct jscan *s)
{
	skip_ws(s);
	return s->i >= s->n;
}

int
jscan_fail(struct jscan *s, const char *why)
{
	if (s->err == NULL) {
		s->err = why;
		s->err_at = s->i;
	}
	return -1;
}

static int
fail_at(struct jscan *s, size_t at, const char *why)
{
	s->i = at;
	return jscan_fail(s, why);
}

enum jscan_type
jscan_peek(struct jscan *s)
{
	char c;

	skip_ws(s);
	if (s->i >= s->n)
		return JSCAN_NONE;
	c = s->b[s->i];
	switch (c) {
	case '{':
		return JSCAN_OBJECT;
	case '[':
		return JSCAN_ARRAY;
	case '"':
		return JSCAN_STRING;
	case 't':
		return JSCAN_TRUE;
	case 'f':
		return JSCAN_FALSE;
	case 'n':
		return JSCAN_NULL;
	default:
		return c == '-' || is_digit(c) ? JSCAN_NUMBER : JSCAN_NONE;
	}
}

/* ---- scalars ---- */

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)
/* Non-zero when a byte of v is zero (exact for the lowest such byte, may flag more above it:
 * the caller only uses it to leave the fast loop). */
#define HAS_ZERO(v) (((v) - ONES) & ~(v) & HIGHS)

/* jscan_string_end, and with plain the checks of jscan_string_end_plain. */
static size_t
string_end(const char *b, size_t n, size_t i, int *esc, int plain)
{
	const unsigned char *stop = plain ? str_stop_plain : str_stop;
	size_t r;

	*esc = 0;
	for (i++;;) {
		/* Eight bytes at a time while none of them can stop the string: no quote, no
		 * backslash, no control byte and no high byte (a superset of both tables); the
		 * table decides from the first byte that might. */
		while (n - i >= 8) {
			uint64_t x;

			memcpy(&x, b + i, 8);
			if ((HAS_ZERO(x ^ (ONES * '"')) | HAS_ZERO(x ^ (ONES * '\\')) |
			    ((x - ONES * 0x20) & ~x & HIGHS) | (x & HIGHS)) != 0)
				break;
			i += 8;
		}
		while (i < n && !stop[(unsigned char)b[i]])
			i++;
		if (i >= n)
			return 0;
		if (b[i] == '"')
			return i + 1;
		if ((unsigned char)b[i] >= 0x80) {
			/* a run of bytes that are neither quotes, backslashes nor controls */
			for (r = i; r < n && !str_stop[(unsigned char)b[r]]; r++)
				;
			if (!text_utf8_ok(b + i, r - i))
				return 0;
			i = r;
			continue;
		}
		if (b[i] != '\\')
			return 0;	/* a raw control byte */
		*esc = 1;
		if (++i >= n)
			return 0;
		switch (b[i]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			i++;
			break;
		case 'u':
			if (n - i < 5 || tf_hexval((unsigned char)b[i + 1]) < 0 ||
			    tf_hexval((unsigned char)b[i + 2]) < 0 ||
			    tf_hexval((unsigned char)b[i + 3]) < 0 ||
			    tf_hexval((unsigned char)b[i + 4]) < 0)
				return 0;
			if (plain && (hex4(b + i + 1) == 0 ||
			    (hex4(b + i + 1) >= 0xd800 && hex4(b + i + 1) <= 0xdfff)))
				return 0;
			i += 5;
			break;
		default:
			return 0;
		}
	}
}

size_t
jscan_string_end(const char *b, size_t n, size_t i, int *esc)
{
	return string_end(b, n, i, esc, 0);
}

size_t
jscan_string_end_plain(const char *b, size_t n, size_t i, int *esc)
{
	return string_end(b, n, i, esc, 1);
}

size_t
jscan_number_end(const char *b, size_t n, size_t i)
{
	size_t d;

	if (i < n && b[i] == '-')
		i++;
	if (i >= n || !is_digit(b[i]))
		return 0;
	if (b[i] == '0')
		i++;
	else
		while (i < n && is_digit(b[i]))
			i++;
	if (i < n && b[i] == '.') {
		for (d = ++i; i < n && is_digit(b[i]); i++)
			;
		if (i == d)
			return 0;
	}
	if (i < n && (b[i] == 'e' || b[i] == 'E')) {
		i++;
		if (i < n && (b[i] == '+' || b[i] == '-'))
			i++;
		for (d = i; i < n && is_digit(b[i]); i++)
			;
		if (i == d)
			return 0;
	}
	return i;
}

/* The end of the literal lit (len bytes) at b[i], or 0. */
static size_t
literal_end(const char *b, size_t n, size_t i, const char *lit, size_t len)
{
	return n - i >= len && memcmp(b + i, lit, len) == 0 ? i + len : 0;
}

/* The end of the scalar (string, number, literal) at b[i], or 0 (plain: plain_text). */
static size_t
scalar_end(const char *b, size_t n, size_t i, int plain)
{
	int esc;

	switch (b[i]) {
	case '"':
		return string_end(b, n, i, &esc, plain);
	case 't':
		return literal_end(b, n, i, "true", 4);
	case 'f':
		return literal_end(b, n, i, "false", 5);
	case 'n':
		return literal_end(b, n, i, "null", 4);
	default:
		return jscan_number_end(b, n, i);
	}
}

int
jscan_string(struct jscan *s, struct jscan_str *out)
{
	size_t j;

	skip_ws(s);
	if (s->i >= s->n || s->b[s->i] != '"')
		return jscan_fail(s, "expected a string");
	if ((j = string_end(s->b, s->n, s->i, &out->esc, s->plain_text)) == 0)
		return jscan_fail(s, s->plain_text ? "invalid string or not plain text" :
		    "invalid string");
	out->p = s->b + s->i + 1;
	out->n = j - s->i - 2;
	s->i = j;
	return 0;
}

int
jscan_number(struct jscan *s, size_t *a, size_t *e)
{
	size_t j;

	if (jscan_peek(s) != JSCAN_NUMBER || (j = jscan_number_end(s->b, s->n, s->i)) == 0)
		return jscan_fail(s, "expected a number");
	*a = s->i;
	*e = s->i = j;
	return 0;
}

int
jscan_number_int64(const char *p, size_t n, int64_t *v)
{
	uint64_t x = 0, lim;
	size_t i = 0;
	int neg = 0;

	if (n > 0 && p[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i == n)
		return -1;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (!is_digit(p[i]))
			return -1;
		if (x > (lim - (uint64_t)(p[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(p[i] - '0');
	}
	*v = neg ? (x == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)x) : (int64_t)x;
	return 0;
}

int
jscan_int64(struct jscan *s, int64_t *v)
{
	size_t a, e, at;

	skip_ws(s);
	at = s->i;
	if (jscan_number(s, &a, &e) != 0)
		return -1;
	if (jscan_number_int64(s->b + a, e - a, v) != 0)
		return fail_at(s, at, "not an integer in range");
	return 0;
}

int
jscan_uint64(struct jscan *s, uint64_t *v)
{
	size_t a, e, i;
	uint64_t x = 0;

	skip_ws(s);
	if (jscan_number(s, &a, &e) != 0)
		return -1;
	for (i = a; i < e; i++) {
		if (!is_digit(s->b[i]) ||
		    x > (UINT64_MAX - (uint64_t)(s->b[i] - '0')) / 10)
			return fail_at(s, a, "not an unsigned integer in range");
		x = x * 10 + (uint64_t)(s->b[i] - '0');
	}
	*v = x;
	return 0;
}

int
jscan_literal(struct jscan *s, enum jscan_type *t)
{
	enum jscan_type k = jscan_peek(s);
	size_t j = 0;

	if (k == JSCAN_TRUE || k == JSCAN_FALSE || k == JSCAN_NULL)
		j = scalar_end(s->b, s->n, s->i, 0);
	if (j == 0)
		return jscan_fail(s, "expected true, false or null");
	*t = k;
	s->i = j;
	return 0;
}

/* ---- strings ---- */

static unsigned
hex4(const char *p)
{
	return (unsigned)(tf_hexval((unsigned char)p[0]) << 12 |
	    tf_hexval((unsigned char)p[1]) << 8 | tf_hexval((unsigned char)p[2]) << 4 |
	    tf_hexval((unsigned char)p[3]));
}

static size_t
put_utf8(char *o, unsigned long c)
{
	if (c < 0x80) {
		o[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		o[0] = (char)(0xc0 | (c >> 6));
		o[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (char)(0xe0 | (c >> 12));
		o[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		o[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (c >> 18));
	o[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	o[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* 1 when raw holds a \u escape of a high surrogate whose pair makes a code point with the
 * low 16 bits of a surrogate (U+1D800-U+1DFFF, U+2D800-...: (h & 0x3E) == 0x36). json-c 0.16
 * decodes those wrongly (json-c pull request #893) and in more than one way, depending on
 * what follows; jscan_unescape lets json-c itself decode such a string, so that what the fast
 * paths read always equals what a json-c tree holds, whichever json-c is linked. */
static int
jsonc_pair_quirk(const char *raw, size_t n)
{
	size_t i;

	for (i = 0; i + 6 <= n; i++) {
		unsigned h;

		if (raw[i] != '\\')
			continue;
		if (raw[i + 1] == 'u' && (h = hex4(raw + i + 2)) >= 0xd800 && h <= 0xdbff &&
		    (h & 0x3e) == 0x36)
			return 1;
		i++;            /* the escaped character is not a backslash */
	}
	return 0;
}

/* json-c's own decoding of a checked string's raw bytes (see jsonc_pair_quirk). */
static size_t
unescape_jsonc(const char *raw, size_t n, char *out)
{
	char *q = xmalloc(n + 3);
	json_object *o;
	size_t l = 0;

	q[0] = '"';
	memcpy(q + 1, raw, n);
	q[n + 1] = '"';
	q[n + 2] = '\0';
	if ((o = json_tokener_parse(q)) != NULL && json_object_is_type(o, json_type_string)) {
		l = (size_t)json_object_get_string_len(o);
		if (l > n)      /* decoding never grows; never write past out */
			l = n;
		memcpy(out, json_object_get_string(o), l);
	}
	json_object_put(o);
	free(q);
	return l;
}

size_t
jscan_unescape(const char *raw, size_t n, char *out)
{
	size_t i = 0, o = 0;
	unsigned long c, lo;

	if (memchr(raw, '\\', n) != NULL && jsonc_pair_quirk(raw, n))
		return unescape_jsonc(raw, n, out);
	while (i < n) {
		if (raw[i] != '\\') {
			out[o++] = raw[i++];
			continue;
		}
		if (i + 1 >= n)		/* not from a checked string: keep it */
			break;
		switch (raw[i + 1]) {
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			if (n - i < 6)
				return o;
			c = hex4(raw + i + 2);
			i += 6;
			if (c >= 0xd800 && c <= 0xdbff && n - i >= 6 && raw[i] == '\\' &&
			    raw[i + 1] == 'u' && (lo = hex4(raw + i + 2)) >= 0xdc00 && lo <= 0xdfff) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (c >= 0xd800 && c <= 0xdfff)
				c = 0xfffd;	/* a lone surrogate, as json-c decodes it */
			o += put_utf8(out + o, c);
			continue;
		default:		/* \" \\ \/ */
			out[o++] = raw[i + 1];
		}
		i += 2;
	}
	return o;
}

char *
jscan_strdup(const struct jscan_str *str, size_t *len)
{
	char *r = xmalloc(str->n + 1);
	size_t l;

	if (str->esc)
		l = jscan_unescape(str->p, str->n, r);
	else {
		memcpy(r, str->p, str->n);
		l = str->n;
	}
	r[l] = '\0';
	if (len != NULL)
		*len = l;
	return r;
}

const char *
jscan_key(const struct jscan_str *k, char *buf, size_t size, size_t *len, char **heap)
{
	*heap = NULL;
	if (k->n < size) {
		if (k->esc)
			*len = jscan_unescape(k->p, k->n, buf);
		else
			memcpy(buf, k->p, *len = k->n);
		buf[*len] = '\0';
		return buf;
	}
	return *heap = jscan_strdup(k, len);
}

int
jscan_str_eq(const struct jscan_str *str, const char *lit)
{
	size_t ll = strlen(lit), l;
	char buf[256];
	int r;

	if (!str->esc)
		return str->n == ll && memcmp(str->p, lit, ll) == 0;
	if (str->n < ll)	/* escapes only shrink */
		return 0;
	if (str->n <= sizeof buf) {
		l = jscan_unescape(str->p, str->n, buf);
		return l == ll && memcmp(buf, lit, ll) == 0;
	} else {
		char *d = jscan_strdup(str, &l);

		r = l == ll && memcmp(d, lit, ll) == 0;
		free(d);
		return r;
	}
}

/* ---- any value ---- */

int
jscan_skip(struct jscan *s, size_t *a, size_t *e)
{
	uint64_t obj[JSCAN_MAX_DEPTH / 64];	/* 1 bit per level: object or array */
	const char *b = s->b;
	size_t n = s->n, i, j, start;
	int d = 0, lim = s->max_depth - s->depth, isobj, esc;
	enum { ST_VALUE, ST_VALUE_OR_END, ST_KEY, ST_KEY_OR_END, ST_AFTER } st = ST_VALUE;
	char c;

	if (lim > JSCAN_MAX_DEPTH)
		lim = JSCAN_MAX_DEPTH;
	skip_ws(s);
	start = i = s->i;
	for (;;) {
		while (i < n && is_ws(b[i]))
			i++;
		if (i >= n)
			return fail_at(s, i, "unexpected end of data");
		c = b[i];
		switch (st) {
		case ST_VALUE_OR_END:
			if (c == ']')
				goto close;
			/* FALLTHROUGH */
		case ST_VALUE:
			if (c == '{' || c == '[') {
				if (d >= lim)
					return fail_at(s, i, "nesting too deep");
				if (c == '{')
					obj[d / 64] |= (uint64_t)1 << (d % 64);
				else
					obj[d / 64] &= ~((uint64_t)1 << (d % 64));
				d++;
				i++;
				st = c == '{' ? ST_KEY_OR_END : ST_VALUE_OR_END;
				continue;
			}
			if ((j = scalar_end(b, n, i, s->plain_text)) == 0)
				return fail_at(s, i, "invalid value");
			i = j;
			if (d == 0)
				goto done;
			st = ST_AFTER;
			continue;
		case ST_KEY_OR_END:
			if (c == '}')
				goto close;
			/* FALLTHROUGH */
		case ST_KEY:
			if (c != '"' || (j = string_end(b, n, i, &esc, s->plain_text)) == 0)
				return fail_at(s, i, "expected a string key");
			for (i = j; i < n && is_ws(b[i]); i++)
				;
			if (i >= n || b[i] != ':')
				return fail_at(s, i, "expected ':'");
			i++;
			st = ST_VALUE;
			continue;
		case ST_AFTER:
			isobj = (int)(obj[(d - 1) / 64] >> ((d - 1) % 64)) & 1;
			if (c == ',') {
				i++;
				st = isobj ? ST_KEY : ST_VALUE;
				continue;
			}
			if (c == (isobj ? '}' : ']'))
				goto close;
			return fail_at(s, i, isobj ? "expected ',' or '}'" : "expected ',' or ']'");
		}
close:
		i++;
		if (--d == 0)
			break;
		st = ST_AFTER;
	}
done:
	s->i = i;
	if (a != NULL)
		*a = start;
	if (e != NULL)
		*e = i;
	return 0;
}

/* ---- containers ---- */

static int
open_container(struct jscan *s, struct jscan_it *it, char c, const char *what)
{
	skip_ws(s);
	if (s->i >= s->n || s->b[s->i] != c)
		return jscan_fail(s, what);
	if (s->depth >= s->max_depth)
		return jscan_fail(s, "nesting too deep");
	s->i++;
	s->depth++;
	it->n = 0;
	return 0;
}

/* Before the next member or element: 0 at the closing bracket (consumed), 1 when there is
 * one more (a separating comma consumed), -1 on an error. */
static int
next_item(struct jscan *s, struct jscan_it *it, char close)
{
	skip_ws(s);
	if (s->i >= s->n)
		return jscan_fail(s, "unexpected end of data");
	if (s->b[s->i] == close) {
		s->i++;
		s->depth--;
		return 0;
	}
	if (it->n > 0) {
		if (s->b[s->i] != ',')
			return jscan_fail(s, close == '}' ? "expected ',' or '}'" :
			    "expected ',' or ']'");
		s->i++;
		skip_ws(s);
	}
	it->n++;
	return 1;
}

int
jscan_object_begin(struct jscan *s, struct jscan_it *it)
{
	return open_container(s, it, '{', "expected an object");
}

int
jscan_object_next(struct jscan *s, struct jscan_it *it, struct jscan_str *key)
{
	int r = next_item(s, it, '}');

	if (r != 1)
		return r;
	if (jscan_string(s, key) != 0)
		return -1;
	skip_ws(s);
	if (s->i >= s->n || s->b[s->i] != ':')
		return jscan_fail(s, "expected ':'");
	s->i++;
	skip_ws(s);
	return 1;
}

int
jscan_array_begin(struct jscan *s, struct jscan_it *it)
{
	return open_container(s, it, '[', "expected an array");
}

int
jscan_array_next(struct jscan *s, struct jscan_it *it)
{
	return next_item(s, it, ']');
}

int
jscan_object(struct jscan *s, jscan_member_fn fn, void *arg)
{
	struct jscan_it it;
	struct jscan_str k;
	char kbuf[64], *heap;	/* longer keys go to the heap */
	const char *key;
	size_t kl;
	int r;

	if (jscan_object_begin(s, &it) != 0)
		return -1;
	while ((r = jscan_object_next(s, &it, &k)) == 1) {
		key = jscan_key(&k, kbuf, sizeof kbuf, &kl, &heap);
		r = fn(s, key, kl, arg);
		free(heap);
		if (r != 0) {
			if (r == -1)
				jscan_fail(s, "invalid member");
			return r;
		}
	}
	return r;
}

int
jscan_array(struct jscan *s, jscan_elem_fn fn, void *arg)
{
	struct jscan_it it;
	int r;

	if (jscan_array_begin(s, &it) != 0)
		return -1;
	while ((r = jscan_array_next(s, &it)) == 1) {
		r = fn(s, it.n - 1, arg);
		if (r != 0) {
			if (r == -1)
				jscan_fail(s, "invalid element");
			return r;
		}
	}
	return r;
}

void
jscan_pos(const char *b, size_t off, size_t *line, size_t *col)
{
	size_t i, l = 1, c = 1;

	for (i = 0; i < off; i++) {
		if (b[i] == '\n') {
			l++;
			c = 1;
		} else
			c++;
	}
	*line = l;
	*col = c;
}
