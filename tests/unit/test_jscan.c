/* Unit tests for src/jscan.c: strings with every escape and \u (pairs, lone surrogates, \u0000),
 * numbers (JSON's grammar, int64/uint64 ranges), literals, nesting and the depth limit, the
 * iterators and the callback walkers, error offsets, and that every truncation and mutation
 * of valid documents is rejected or taken without reading past the buffer: each input sits at
 * the end of a page whose next page is unmapped, so a read past it crashes the test. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "jscan.h"
#include "tap.h"
#include "util.h"

/* ---- a buffer right before an unmapped page ---- */

static char *guard_base;
static size_t guard_page;

static const char *
guarded(const char *s, size_t n)
{
	char *p;

	if (guard_base == NULL) {
		guard_page = (size_t)sysconf(_SC_PAGESIZE);
		guard_base = mmap(NULL, 4 * guard_page, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (guard_base == MAP_FAILED || mprotect(guard_base + 3 * guard_page, guard_page,
		    PROT_NONE) != 0) {
			perror("mmap");
			exit(2);
		}
	}
	if (n > 3 * guard_page)
		exit(2);
	p = guard_base + 3 * guard_page - n;
	memcpy(p, s, n);
	return p;
}

/* jscan_skip over the whole of s (guarded): 1 when it takes exactly one value. */
static int
skip_all(const char *s, size_t n, int max_depth)
{
	struct jscan j;
	const char *b = guarded(s, n);

	jscan_init(&j, b, n);
	if (max_depth > 0)
		j.max_depth = max_depth;
	return jscan_skip(&j, NULL, NULL) == 0 && jscan_at_end(&j);
}

static int
valid(const char *s)
{
	return skip_all(s, strlen(s), 0);
}

/* The decoded value of the string literal s ("..."), or NULL when jscan rejects it. */
static char *
decode(const char *s, size_t *len)
{
	struct jscan j;
	struct jscan_str str;
	const char *b = guarded(s, strlen(s));

	jscan_init(&j, b, strlen(s));
	if (jscan_string(&j, &str) != 0 || !jscan_at_end(&j))
		return NULL;
	return jscan_strdup(&str, len);
}

/* ---- walkers ---- */

struct collect {
	struct strbuf sb;
};

static int
member(struct jscan *s, const char *key, size_t klen, void *arg)
{
	struct collect *c = arg;
	int64_t v;

	sb_addf(&c->sb, "%s%s=", c->sb.len ? "," : "", key);
	(void)klen;
	if (jscan_peek(s) == JSCAN_NUMBER) {
		if (jscan_int64(s, &v) != 0)
			return -1;
		sb_addf(&c->sb, "%lld", (long long)v);
		return 0;
	}
	if (strcmp(key, "stop") == 0)
		return 7;
	sb_adds(&c->sb, "?");
	return jscan_skip(s, NULL, NULL);
}

static int
elem(struct jscan *s, size_t idx, void *arg)
{
	struct collect *c = arg;

	sb_addf(&c->sb, "%s[%zu]", c->sb.len ? "," : "", idx);
	return jscan_skip(s, NULL, NULL);
}

static void
test_strings(void)
{
	char *d;
	size_t l;

	d = decode("\"plain\"", &l);
	ok(d && l == 5 && strcmp(d, "plain") == 0, "string: plain");
	free(d);
	d = decode("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", &l);
	ok(d && l == 17 && memcmp(d, "a\"b\\c/d\be\ff\ng\rh\ti", 17) == 0,
	    "string: every one-letter escape");
	free(d);
	d = decode("\"\\u00e9\\u20AC\\ud83d\\ude00\"", &l);
	ok(d && strcmp(d, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0,
	    "string: \\u escapes to UTF-8, a surrogate pair to one code point");
	free(d);
	d = decode("\"\\ud800x\\udc00\\ud800\\u0041\"", &l);
	ok(d && strcmp(d, "\xef\xbf\xbdx\xef\xbf\xbd\xef\xbf\xbd" "A") == 0,
	    "string: lone surrogates become U+FFFD (as json-c)");
	free(d);
	{
		/* Pairs json-c 0.16 decodes wrongly, in more than one way (json-c PR #893): the
		 * decoded text is whatever json-c makes of it, so fast paths and trees agree. */
		static const char *const quirk[] = {
			"\"\\ud837\\ude00\"", "\"a\\ud836\\udc00b\"", "\"\\ud836\\udc00\\udc00\"",
			"\"\\uD8F7\\uDFFF\\ud800\\udc00\"", "\"\\\\ud837\\ude00\"",
		};
		size_t q;

		for (q = 0; q < sizeof quirk / sizeof quirk[0]; q++) {
			json_object *o = json_tokener_parse(quirk[q]);

			d = decode(quirk[q], &l);
			ok(d && o && l == (size_t)json_object_get_string_len(o) &&
			    memcmp(d, json_object_get_string(o), l) == 0,
			    "string: %s decodes as json-c decodes it", quirk[q]);
			free(d);
			json_object_put(o);
		}
	}
	d = decode("\"a\\u0000b\"", &l);
	ok(d && l == 3 && memcmp(d, "a\0b", 3) == 0, "string: \\u0000 is kept, length says so");
	free(d);
	d = decode("\"caf\xc3\xa9 \xff\"", &l);
	ok(d && l == 7, "string: raw UTF-8 and other high bytes pass through");
	free(d);
	ok(decode("\"a\tb\"", &l) == NULL, "string: a raw tab is rejected");
	ok(decode("\"a\nb\"", &l) == NULL, "string: a raw newline is rejected");
	ok(!skip_all("\"a\0b\"", 5, 0), "string: a raw NUL is rejected");
	ok(decode("\"\\x\"", &l) == NULL, "string: unknown escape");
	ok(decode("\"\\u12\"", &l) == NULL, "string: short \\u");
	ok(decode("\"\\u12G4\"", &l) == NULL, "string: \\u with a non-hex digit");
	ok(decode("\"abc", &l) == NULL, "string: unterminated");
	ok(decode("\"abc\\", &l) == NULL, "string: ends in a backslash");
	ok(decode("\"abc\\\"", &l) == NULL, "string: the only quote is escaped");
	{
		struct jscan_str s = { "ty\\u0070e", 9, 1 };
		struct jscan_str p = { "type", 4, 0 };

		ok(jscan_str_eq(&s, "type") && !jscan_str_eq(&s, "typ") &&
		    jscan_str_eq(&p, "type") && !jscan_str_eq(&p, "types"),
		    "jscan_str_eq compares the decoded value");
	}
}

static void
test_numbers(void)
{
	static const char *const good[] = {
		"0", "-0", "1", "-1", "12.5", "1e5", "1E+5", "1e-05", "-0.0e0", "123456789012345678901234",
	};
	static const char *const bad[] = {
		"01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "--1", "1.e5", "Infinity", "NaN",
	};
	struct jscan j;
	int64_t v;
	uint64_t u;
	size_t i;
	int all = 1;

	for (i = 0; i < TF_ARRLEN(good); i++)
		if (!valid(good[i])) {
			diag("rejected %s", good[i]);
			all = 0;
		}
	ok(all, "numbers: JSON's grammar taken");
	all = 1;
	for (i = 0; i < TF_ARRLEN(bad); i++)
		if (valid(bad[i])) {
			diag("took %s", bad[i]);
			all = 0;
		}
	ok(all, "numbers: what the grammar forbids rejected (also \"1.\", which json-c takes)");
	ok(jscan_number_int64("9223372036854775807", 19, &v) == 0 && v == INT64_MAX &&
	    jscan_number_int64("-9223372036854775808", 20, &v) == 0 && v == INT64_MIN,
	    "int64: both ends of the range");
	ok(jscan_number_int64("9223372036854775808", 19, &v) != 0 &&
	    jscan_number_int64("-9223372036854775809", 20, &v) != 0 &&
	    jscan_number_int64("1.0", 3, &v) != 0 && jscan_number_int64("1e3", 3, &v) != 0,
	    "int64: out of range, fraction, exponent: -1");
	jscan_init(&j, " 18446744073709551615", 21);
	ok(jscan_uint64(&j, &u) == 0 && u == UINT64_MAX && j.i == 21, "uint64: the largest");
	jscan_init(&j, "18446744073709551616", 20);
	ok(jscan_uint64(&j, &u) != 0 && j.err != NULL, "uint64: one more is out of range");
	jscan_init(&j, "-3", 2);
	ok(jscan_uint64(&j, &u) != 0, "uint64: negative");
	jscan_init(&j, "\"3\"", 3);
	ok(jscan_int64(&j, &v) != 0 && j.i == 0, "int64: a string is not a number");
}

static void
test_structure(void)
{
	struct jscan j;
	struct jscan_it it;
	struct jscan_str k;
	struct collect c;
	enum jscan_type t;
	const char *doc = " {\"a\": [1, {\"b\": null}, []], \"c\" :{} , \"d\":\"x\"} ";
	char deep[2 * 600 + 1];
	size_t i, a, e, line, col;
	int r, n;

	ok(valid(doc), "nesting: a document with objects in arrays in objects");
	ok(valid("[]") && valid("{}") && valid(" true ") && valid("null") && valid("false"),
	    "empty containers and literals");
	ok(!valid("[1,]") && !valid("{\"a\":1,}") && !valid("[,1]") && !valid("{,}"),
	    "trailing and leading commas rejected");
	ok(!valid("{\"a\" 1}") && !valid("{\"a\":}") && !valid("{1:2}") && !valid("{\"a\":1 \"b\":2}"),
	    "missing colon, value, string key, comma");
	ok(!valid("[1}") && !valid("{\"a\":1]") && !valid("[[1]") && !valid("1 2") && !valid(""),
	    "mismatched brackets, two values, nothing");
	ok(!valid("tru") && !valid("nul") && !valid("True") && !valid("[tru]"),
	    "truncated and miscased literals");
	for (i = 0; i < 600; i++) {
		deep[i] = '[';
		deep[1199 - i] = ']';
	}
	deep[1200] = '\0';
	ok(skip_all(deep, 1200, 600) && !skip_all(deep, 1200, 599),
	    "depth: max_depth levels taken, one more rejected");
	ok(!skip_all(deep, 1200, 0), "depth: 600 levels over the default (512)");

	/* Iterators. */
	jscan_init(&j, doc, strlen(doc));
	n = 0;
	r = jscan_object_begin(&j, &it);
	while (r == 0 && (r = jscan_object_next(&j, &it, &k)) == 1) {
		n++;
		if (n == 1)
			ok(jscan_str_eq(&k, "a") && jscan_peek(&j) == JSCAN_ARRAY && j.depth == 1,
			    "iterator: first key, cursor at its value");
		r = jscan_skip(&j, &a, &e) == 0 ? 0 : -1;
		if (n == 1)
			ok(e - a == 20 && memcmp(doc + a, "[1, {\"b\": null}, []]", 20) == 0,
			    "skip: the span of the value");
	}
	ok(r == 0 && n == 3 && j.depth == 0 && jscan_at_end(&j), "iterator: three members, end");

	jscan_init(&j, "[1, true, \"x\"]", 14);
	n = 0;
	r = jscan_array_begin(&j, &it);
	while (r == 0 && (r = jscan_array_next(&j, &it)) == 1) {
		n++;
		r = n == 2 ? jscan_literal(&j, &t) : jscan_skip(&j, NULL, NULL);
		if (n == 2)
			ok(r == 0 && t == JSCAN_TRUE, "literal: true");
	}
	ok(r == 0 && n == 3, "array iterator: three elements");

	/* Callbacks. */
	sb_init(&c.sb);
	sb_adds(&c.sb, "");
	jscan_init(&j, "{\"x\": 1, \"k\\u00e9y\": [2], \"y\": -3}", 34);
	ok(jscan_object(&j, member, &c) == 0 && strcmp(c.sb.buf, "x=1,k\xc3\xa9y=?,y=-3") == 0,
	    "object walker: decoded keys, values consumed by the callback");
	sb_reset(&c.sb);
	sb_adds(&c.sb, "");
	jscan_init(&j, "{\"x\": 1, \"stop\": [2], \"y\": 3}", 30);
	ok(jscan_object(&j, member, &c) == 7 && strcmp(c.sb.buf, "x=1,stop=") == 0,
	    "object walker: a callback's own value stops the walk and is returned");
	sb_reset(&c.sb);
	sb_adds(&c.sb, "");
	jscan_init(&j, "[{}, [], 3]", 11);
	ok(jscan_array(&j, elem, &c) == 0 && strcmp(c.sb.buf, "[0],[1],[2]") == 0,
	    "array walker: indexes");
	sb_free(&c.sb);

	/* Errors and positions. */
	jscan_init(&j, "{\n  \"a\": [1,\n    2 3]}", 21);
	ok(jscan_skip(&j, NULL, NULL) == -1 && j.err != NULL, "error: a message");
	jscan_pos(j.b, j.err_at, &line, &col);
	ok(line == 3 && col == 7, "error: at line 3, column 7 (the 3)");
	jscan_init(&j, "{\"a\":1} x", 9);
	ok(jscan_skip(&j, NULL, NULL) == 0 && !jscan_at_end(&j) && j.i == 8,
	    "skip stops after the value; what follows is the caller's");
}

/* Every prefix, and every one-byte change, of valid documents: taken or rejected, never a read
 * past the end (the guard page). Prefixes of a valid document are never valid but for the
 * numbers at the top level (a prefix of 12 is 1). */
static void
test_truncation(void)
{
	static const char *const docs[] = {
		"{\"a\":[1,-2.5e+3,true,false,null,\"s\\u00e9\\n\"],\"b\":{\"c\":{}}}",
		"[\"\\ud83d\\ude00\",[[[]]],{\"k\":\"v\"}]",
		"\"\\\\\\\"\"",
		"-12.5e-3",
	};
	static const char subst[] = "\"\\{}[]:,0e-. tnu";
	char buf[128];
	size_t d, n, i, k;
	int wrong = 0;

	for (d = 0; d < TF_ARRLEN(docs); d++) {
		n = strlen(docs[d]);
		if (!valid(docs[d]))
			wrong++;
		for (i = 0; i < n; i++)
			if (skip_all(docs[d], i, 0) && docs[d][0] != '-')
				wrong++;
		for (i = 0; i < n; i++)
			for (k = 0; k < sizeof subst - 1; k++) {
				memcpy(buf, docs[d], n);
				buf[i] = subst[k];
				(void)skip_all(buf, i + 1, 0);	/* cut right after the change */
				(void)skip_all(buf, n, 0);
			}
	}
	ok(wrong == 0, "truncation: no prefix of a document is taken (%zu documents)",
	    TF_ARRLEN(docs));
	ok(1, "mutations: every one-byte change scanned without reading past the buffer");
	ok(!skip_all("", 0, 0) && !skip_all("   ", 3, 0), "empty input rejected");
}

/* plain_text: strings and keys whose value json-c gives as valid UTF-8 without a NUL. */
static int
plain_all(const char *s, size_t n)
{
	struct jscan j;
	const char *b = guarded(s, n);

	jscan_init(&j, b, n);
	j.plain_text = 1;
	return jscan_skip(&j, NULL, NULL) == 0 && jscan_at_end(&j);
}

static void
test_plain_text(void)
{
	static const struct { const char *doc; int plain; const char *what; } t[] = {
		{ "{\"a\":\"ascii\",\"b\":[\"x\",{\"c\":\"y\"}]}", 1, "ASCII" },
		{ "[\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"]", 1, "UTF-8 of 2, 3 and 4 bytes" },
		{ "{\"caf\xc3\xa9\":1}", 1, "a UTF-8 key" },
		{ "[\"\\u00e9\\n\\\"\\\\\"]", 1, "escapes of plain characters" },
		{ "[\"a\xff\"]", 0, "a byte that is never UTF-8" },
		{ "[\"a\xc3\"]", 0, "a cut UTF-8 sequence" },
		{ "[\"\xc0\xaf\"]", 0, "an overlong sequence" },
		{ "{\"k\xff\":1}", 0, "a key that is not UTF-8" },
		{ "[\"a\\u0000b\"]", 0, "\\u0000" },
		{ "[\"\\ud800\"]", 0, "a lone high surrogate" },
		{ "[\"\\udc00\"]", 0, "a lone low surrogate" },
		{ "[\"\\ud83d\\ude00\"]", 0, "a surrogate pair (refused too)" },
		{ "{\"a\":[[[\"\\u0000\"]]]}", 0, "deep inside" },
	};
	struct jscan j;
	struct jscan_str str;
	size_t i;

	for (i = 0; i < TF_ARRLEN(t); i++) {
		size_t n = strlen(t[i].doc);

		ok(plain_all(t[i].doc, n) == t[i].plain, "plain_text: %s %s", t[i].what,
		    t[i].plain ? "taken" : "refused");
		ok(skip_all(t[i].doc, n, 0), "without plain_text: %s taken", t[i].what);
	}
	jscan_init(&j, "\"\\u0000\"", 8);
	j.plain_text = 1;
	ok(jscan_string(&j, &str) != 0 && j.err != NULL, "plain_text: jscan_string refuses too (%s)",
	    j.err != NULL ? j.err : "no error");
	ok(jscan_string_end_plain("\"\xe2\x82\xac\"", 5, 0, &(int){ 0 }) == 5 &&
	    jscan_string_end_plain("\"\xe2\x82\"", 4, 0, &(int){ 0 }) == 0,
	    "jscan_string_end_plain");
}

int
main(void)
{
	test_strings();
	test_numbers();
	test_structure();
	test_truncation();
	test_plain_text();
	return done_testing();
}
