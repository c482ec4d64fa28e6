/* text: U+FFFD for maximal subparts, JSON trees repaired, control-free JSON text, terminal
 * escapes, shell words. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "util.h"
#include "tap.h"

#define R TEXT_REPLACEMENT

static void
fix_is(const char *in, size_t n, const char *want, size_t want_repl, const char *name)
{
	size_t len = 0, repl = 0;
	char *got = text_utf8_fix(in, n, &len, &repl);

	is_str(got, want, "fix: %s", name);
	is_int(len, strlen(want), "fix: %s: length", name);
	is_int(repl, want_repl, "fix: %s: replacements", name);
	ok(text_utf8_ok(got, len), "fix: %s: the result is valid", name);
	is_int(text_utf8_ok(in, n), want_repl == 0, "ok: %s", name);
	free(got);
}

static void
test_utf8(void)
{
	/* The example of the Unicode Standard, section 3.9 (Table 3-8). */
	static const char t38[] = "\x61\xf1\x80\x80\xe1\x80\xc2\x62\x80\x63\x80\xbf\x64";

	fix_is("plain ascii", 11, "plain ascii", 0, "ASCII is kept");
	fix_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 0,
	    "2-, 3- and 4-byte characters are kept");
	fix_is(t38, sizeof t38 - 1, "a" R R R "b" R "c" R R "d", 6,
	    "Table 3-8: one U+FFFD per maximal subpart");
	fix_is("\xc0\x80", 2, R R, 2, "overlong NUL: two");
	fix_is("\xe0\x80\xaf", 3, R R R, 3, "overlong 3-byte: three");
	fix_is("\xed\xa0\x80", 3, R R R, 3, "a surrogate: three");
	fix_is("\xf4\x90\x80\x80", 4, R R R R, 4, "past U+10FFFF: four");
	fix_is("\xf5\xff\xfe", 3, R R R, 3, "bytes never in UTF-8: one each");
	fix_is("x\xe2\x82", 3, "x" R, 1, "a truncated character at the end: one");
	fix_is("\xf0\x9f\x98x", 4, R "x", 1, "a truncated 4-byte character before ASCII: one");
	fix_is("a\0b", 3, "a" R "b", 1, "NUL");
	fix_is("", 0, "", 0, "empty");
	ok(text_utf8_dup(NULL) == NULL, "dup: NULL in, NULL out");
	{
		char *d = text_utf8_dup("ab\xff");

		is_str(d, "ab" R, "dup repairs");
		free(d);
	}
}

static void
test_json(void)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array(), *shared;
	char *s;

	json_object_object_add(o, "good", json_object_new_string("fine"));
	json_object_object_add(o, "bad\xff" "key", json_object_new_string("v"));
	json_object_array_add(arr, json_object_new_string_len("a\0b", 3));
	json_object_array_add(arr, json_object_new_string("x\xc3(y"));
	json_object_array_add(arr, json_object_new_int(3));
	json_object_object_add(o, "list", arr);
	ok(!text_json_ok(o), "a tree with bad strings is not ok");
	is_int(text_json_fix(o), 3, "three strings and keys repaired");
	ok(text_json_ok(o), "and then it is");
	s = text_json_string(o, JSON_C_TO_STRING_PLAIN);
	is_str(s, "{\"good\":\"fine\",\"list\":[\"a" R "b\",\"x" R "(y\",3],\"bad" R "key\":\"v\"}",
	    "the repaired key moved to the end; NUL and bad bytes are U+FFFD");
	free(s);
	json_object_put(o);

	/* text_json_safe never writes into a shared tree. */
	shared = json_object_new_string("t\xff");
	o = json_object_new_object();
	json_object_object_add(o, "v", json_object_get(shared));
	o = text_json_safe(o);
	ok(text_json_ok(o), "safe: the copy is repaired");
	is_str(json_object_get_string(shared), "t\xff", "safe: the shared member is untouched");
	json_object_put(o);
	json_object_put(shared);
	o = json_object_new_string("ok");
	ok(text_json_safe(o) == o, "safe: a valid tree is itself");
	json_object_put(o);

	o = json_object_new_string("esc\x1b[31m del\x7f csi\xc2\x9b" "31m rlo\xe2\x80\xae bad\xff nel\xc2\x85 "
	    "\xe2\x80\xa8 \xc3\xa9");
	s = text_json_string(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	is_str(s, "\"esc\\u001b[31m del\\u007f csi\\u009b31m rlo\\u202e bad" R " nel\\u0085 \\u2028 \xc3\xa9\"",
	    "JSON text: C0, DEL, C1, bidi and line separators escaped, bad bytes U+FFFD, the rest kept");
	free(s);
	json_object_put(o);
}

static void
test_escape(void)
{
	struct strbuf sb;
	char *s;

	s = text_escape_dup("tag\x1b]0;pwn\x07 csi\xc2\x9b" "2J nl\n cr\r tab\t del\x7f bad\xff\xfe "
	    "rlo\xe2\x80\xae lri\xe2\x81\xa6 \xc3\xa9\xe2\x82\xac");
	is_str(s, "tag\\x1b]0;pwn\\x07 csi\\u009b2J nl\\n cr\\r tab\\t del\\x7f bad\\xff\\xfe "
	    "rlo\\u202e lri\\u2066 \xc3\xa9\xe2\x82\xac", "every control shown, printable UTF-8 kept");
	free(s);
	s = text_escape_dup("\xe1\x80x");
	is_str(s, "\\xe1\\x80x", "a truncated character: each of its bytes");
	free(s);
	ok(text_escape_dup(NULL) == NULL, "escape: NULL in, NULL out");
	sb_init(&sb);
	text_escape(&sb, "a\nb\x1b", 4, TEXT_KEEP_NL);
	is_str(sb.buf, "a\nb\\x1b", "TEXT_KEEP_NL keeps newlines only");
	sb_free(&sb);
}

static void
test_shell(void)
{
	struct strbuf sb;

	sb_init(&sb);
	text_shell_word(&sb, "aws_vpc.main", 0);
	is_str(sb.buf, "aws_vpc.main", "a safe word as is");
	sb_reset(&sb);
	text_shell_word(&sb, "aws_vpc.main", 1);
	is_str(sb.buf, "'aws_vpc.main'", "quoted when asked");
	sb_reset(&sb);
	text_shell_word(&sb, "i-1; rm -rf ~ 'x'", 0);
	is_str(sb.buf, "'i-1; rm -rf ~ '\\''x'\\'''", "metacharacters quoted, quotes closed and escaped");
	sb_reset(&sb);
	text_shell_word(&sb, "", 0);
	is_str(sb.buf, "''", "empty is ''");
	sb_free(&sb);
}

int
main(void)
{
	test_utf8();
	test_json();
	test_escape();
	test_shell();
	return done_testing();
}
