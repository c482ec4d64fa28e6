/* text: strings from audit logs, states and people made safe to write out.
 *
 * A logged string is hostile input: it may hold bytes that are not UTF-8, NULs, terminal
 * escape sequences, bidirectional overrides or spreadsheet formulas. This module owns the
 * repairs the outputs rely on:
 *   - valid UTF-8: each maximal subpart of an ill-formed sequence becomes one U+FFFD
 *     (Unicode 15, section 3.9, "U+FFFD Substitution of Maximal Subparts", as the WHATWG
 *     decoder and Python's errors="replace" do), and so does NUL, which would cut a C string
 *     short without a word;
 *   - JSON text: json-c escapes C0 controls but leaves DEL, the C1 controls (U+009B is a
 *     CSI on many terminals) and the bidi controls raw; text_json_string escapes those too,
 *     so a findings document is safe to cat on a terminal and means the same;
 *   - terminal text: every control character shown as an escape (\x1b, \u009b, \u202e).
 *
 * Pure functions, no state: any thread. */
#ifndef TFDRIFT_TEXT_H
#define TFDRIFT_TEXT_H

#include <stddef.h>
#include <stdio.h>
#include <json-c/json.h>

#include "util.h"

#define TEXT_REPLACEMENT "\xef\xbf\xbd"         /* U+FFFD in UTF-8 */

/* Is s[0..n) valid UTF-8 without a NUL? */
int text_utf8_ok(const char *s, size_t n);
/* s[0..n) with each maximal ill-formed subpart and each NUL replaced by U+FFFD: a heap
 * string (NUL-terminated), its length in *outlen and the number of replacements added to
 * *nrepl (either may be NULL). */
char *text_utf8_fix(const char *s, size_t n, size_t *outlen, size_t *nrepl);
/* xstrdup(s), repaired as text_utf8_fix does; NULL in, NULL out. */
char *text_utf8_dup(const char *s);

/* Repair every string and object key of a JSON tree in place (text_utf8_fix); returns how
 * many strings and keys were repaired. A repaired key moves to the end of its object. */
size_t text_json_fix(json_object *o);
/* 1 when every string and key of the tree is valid UTF-8 without a NUL. */
int text_json_ok(json_object *o);
/* o, or when a string or key needs a repair, a repaired deep copy in its place (o's
 * reference is given up): for trees that may share members with others. */
json_object *text_json_safe(json_object *o);
/* o serialized with json-c's flags, as valid UTF-8, with DEL, the C1 controls, the bidi
 * controls and U+2028/U+2029 written as \uXXXX escapes. Heap string. */
char *text_json_string(json_object *o, int flags);

/* Terminal text: s[0..n) appended to sb with every control character shown: \n \r \t,
 * \xNN for other C0 controls, DEL and bytes that are not UTF-8, \uXXXX for C1 controls,
 * bidi controls (U+061C, U+200E/F, U+202A-E, U+2066-9) and U+2028/U+2029. With
 * TEXT_KEEP_NL a newline stays one. Everything else is copied. */
#define TEXT_KEEP_NL 1
void text_escape(struct strbuf *sb, const char *s, size_t n, int flags);
/* Write s (NULL writes nothing) escaped as text_escape does, without TEXT_KEEP_NL. */
void text_fputs(FILE *fp, const char *s);
/* Heap copy of s escaped for a terminal (NULL in, NULL out). */
char *text_escape_dup(const char *s);

/* A POSIX shell word that reads back as s: as is when it has only characters no shell
 * treats specially (and is not empty, and always_quote is 0), else in single quotes with
 * each ' written '\''. */
void text_shell_word(struct strbuf *sb, const char *s, int always_quote);

#endif
