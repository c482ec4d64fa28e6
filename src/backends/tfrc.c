/* tfrc: credentials tokens from Terraform's HCL CLI configuration (see tfrc.h).
 *
 * A small HCL 1 reader, the subset a CLI configuration uses, following hashicorp/hcl v1's
 * scanner (Terraform reads this file with it):
 *   comments     # and // to the end of the line, slash-star to star-slash (not nested)
 *   strings      "..." on one line; escapes \" \\ \n \r \t \a \b \f \v \xHH \uHHHH
 *                \UHHHHHHHH and octal \OOO; inside ${...} quotes and braces nest
 *   heredocs     <<ID or <<-ID, a newline, lines up to one that is ID (indented for <<-)
 *   identifiers  a letter or _, then letters, digits, _ - . (true and false among them)
 *   numbers      -?digits[.digits][e[+-]digits], 0x hex
 *   punctuation  = { } [ ] ,
 * and its grammar:
 *   body   := { item [","] }
 *   item   := key { key } ( "=" value | "{" body "}" )      key := identifier | string
 *   value  := string | heredoc | number | identifier | "[" [ value { "," value } [","] ] "]"
 *           | "{" body "}"
 * Only `credentials LABEL { token = STRING }` at the top level is looked at; everything
 * else is checked and skipped. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backends/tfrc.h"
#include "util.h"

#define TFRC_MAX_DEPTH 64

enum tok {
	TK_EOF, TK_IDENT, TK_STRING, TK_NUMBER, TK_EQUAL, TK_LBRACE, TK_RBRACE, TK_LBRACK,
	TK_RBRACK, TK_COMMA
};

struct tfrc {
	const char *path, *host;
	const char *p, *end;
	int line, col;            /* of *p */
	enum tok t;               /* the current token */
	int tline, tcol;          /* where it starts */
	struct strbuf text;       /* identifier, or decoded string / heredoc */
	char *tok;                /* the host's token so far (last block wins) */
	char **err;
	int failed;
};

static const char *const tok_names[] = {
	"the end of the file", "a name", "a string", "a number", "'='", "'{'", "'}'", "'['", "']'",
	"','"
};

/* Wipe a buffer that may have held a token. */
static void
wipe(struct strbuf *sb)
{
	if (sb->buf != NULL)
		memset(sb->buf, 0, sb->cap);
	sb_reset(sb);
}

/* The current identifier or string (never NULL). */
static const char *
txt(const struct tfrc *r)
{
	return r->text.buf != NULL ? r->text.buf : "";
}

static int fail_at(struct tfrc *r, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The first error only: "PATH:LINE:COL: message". */
static int
fail_at(struct tfrc *r, int line, int col, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (r->failed)
		return -1;
	r->failed = 1;
	va_start(ap, fmt);
	msg = tf_vlocf(r->path, (unsigned long long)line, (unsigned long long)col, fmt, ap);
	va_end(ap);
	tf_err(r->err, "%s", msg);
	free(msg);
	return -1;
}

static int
peek(const struct tfrc *r, size_t i)
{
	return r->p + i < r->end ? (unsigned char)r->p[i] : -1;
}

/* Move past one byte; columns count characters (UTF-8 continuation bytes do not). */
static void
adv(struct tfrc *r)
{
	unsigned char c = (unsigned char)*r->p++;

	if (c == '\n') {
		r->line++;
		r->col = 1;
	} else if ((c & 0xc0) != 0x80)
		r->col++;
}

static void
add_utf8(struct strbuf *sb, uint32_t u)
{
	if (u < 0x80)
		sb_addc(sb, (char)u);
	else if (u < 0x800) {
		sb_addc(sb, (char)(0xc0 | (u >> 6)));
		sb_addc(sb, (char)(0x80 | (u & 0x3f)));
	} else if (u < 0x10000) {
		sb_addc(sb, (char)(0xe0 | (u >> 12)));
		sb_addc(sb, (char)(0x80 | ((u >> 6) & 0x3f)));
		sb_addc(sb, (char)(0x80 | (u & 0x3f)));
	} else {
		sb_addc(sb, (char)(0xf0 | (u >> 18)));
		sb_addc(sb, (char)(0x80 | ((u >> 12) & 0x3f)));
		sb_addc(sb, (char)(0x80 | ((u >> 6) & 0x3f)));
		sb_addc(sb, (char)(0x80 | (u & 0x3f)));
	}
}

/* After a backslash: one escape into r->text. */
static int
scan_escape(struct tfrc *r)
{
	static const char simple[] = "\"\"\\\\n\nr\rt\ta\ab\bf\fv\v";
	int line = r->line, col = r->col - 1, c = peek(r, 0), n = 0, i, d;
	uint32_t u = 0;
	const char *s;

	if (c < 0 || c == '\n')
		return fail_at(r, line, col, "a string ends in the middle of an escape");
	for (s = simple; *s != '\0'; s += 2)
		if (c == s[0]) {
			sb_addc(&r->text, s[1]);
			adv(r);
			return 0;
		}
	if (c >= '0' && c <= '7') {
		for (i = 0; i < 3; i++) {
			if ((d = peek(r, 0)) < '0' || d > '7')
				return fail_at(r, line, col, "an octal escape needs 3 digits");
			u = u * 8 + (uint32_t)(d - '0');
			adv(r);
		}
		if (u > 255)
			return fail_at(r, line, col, "an octal escape above \\377");
		sb_addc(&r->text, (char)u);
		return 0;
	}
	n = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : 0;
	if (n == 0) {
		char e[8];

		snprintf(e, sizeof e, "%c", c >= 0x20 && c < 0x7f ? c : '?');
		return fail_at(r, line, col, "unknown escape \\%s in a string", e);
	}
	adv(r);
	for (i = 0; i < n; i++) {
		if ((d = tf_hexval(peek(r, 0))) < 0)
			return fail_at(r, line, col, "a \\%s escape needs hex digits", c == 'x' ? "x" :
			    c == 'u' ? "u" : "U");
		u = u * 16 + (uint32_t)d;
		adv(r);
	}
	if (c == 'x')
		sb_addc(&r->text, (char)u);
	else if (u > 0x10ffff || (u >= 0xd800 && u <= 0xdfff))
		return fail_at(r, line, col, "a \\%s escape that is not a Unicode character",
		    c == 'u' ? "u" : "U");
	else
		add_utf8(&r->text, u);
	return 0;
}

/* After the opening quote. */
static int
scan_string(struct tfrc *r)
{
	int braces = 0, c;

	for (;;) {
		c = peek(r, 0);
		if (c < 0 || (c == '\n' && braces == 0))
			return fail_at(r, r->tline, r->tcol, "this string has no closing quote");
		adv(r);
		if (c == '"' && braces == 0)
			return 0;
		if (c == '\\') {
			if (scan_escape(r) != 0)
				return -1;
			continue;
		}
		sb_addc(&r->text, (char)c);
		if (braces == 0 && c == '$' && peek(r, 0) == '{') {
			sb_addc(&r->text, '{');
			adv(r);
			braces++;
		} else if (braces > 0 && c == '{')
			braces++;
		else if (braces > 0 && c == '}')
			braces--;
	}
}

/* After "<<": [-]ID, a newline, then lines up to the one that is ID. */
static int
scan_heredoc(struct tfrc *r)
{
	const char *id, *line, *eol, *s;
	size_t idlen;
	int indent = 0;

	if (peek(r, 0) == '-') {
		indent = 1;
		adv(r);
	}
	id = r->p;
	while (r->p < r->end && (*r->p == '_' || (*r->p >= 'a' && *r->p <= 'z') ||
	    (*r->p >= 'A' && *r->p <= 'Z') || (*r->p >= '0' && *r->p <= '9') || *r->p == '-'))
		adv(r);
	idlen = (size_t)(r->p - id);
	if (r->p < r->end && *r->p == '\r')
		adv(r);
	if (idlen == 0 || r->p >= r->end || *r->p != '\n')
		return fail_at(r, r->tline, r->tcol, "a heredoc needs a name and then a new line "
		    "(<<EOT)");
	adv(r);
	for (;;) {
		if (r->p >= r->end)
			return fail_at(r, r->tline, r->tcol, "this heredoc has no closing line");
		line = r->p;
		eol = memchr(line, '\n', (size_t)(r->end - line));
		if (eol == NULL)
			eol = r->end;
		s = line;
		if (indent)
			while (s < eol && (*s == ' ' || *s == '\t'))
				s++;
		if ((size_t)(eol - s) >= idlen && memcmp(s, id, idlen) == 0 &&
		    (eol - s == (ptrdiff_t)idlen || (eol - s == (ptrdiff_t)idlen + 1 && s[idlen] == '\r'))) {
			while (r->p < eol)
				adv(r);
			return 0;
		}
		sb_add(&r->text, line, (size_t)(eol - line));
		sb_addc(&r->text, '\n');
		while (r->p < eol)
			adv(r);
		if (r->p < r->end)
			adv(r);
	}
}

static int
is_ident_start(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* The next token into r->t (and r->text); -1 on a lexical error. */
static int
next(struct tfrc *r)
{
	int c;

	wipe(&r->text);
	for (;;) {
		c = peek(r, 0);
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			adv(r);
		} else if (c == '#' || (c == '/' && peek(r, 1) == '/')) {
			while (r->p < r->end && *r->p != '\n')
				adv(r);
		} else if (c == '/' && peek(r, 1) == '*') {
			int line = r->line, col = r->col;

			adv(r);
			adv(r);
			while (r->p < r->end && !(peek(r, 0) == '*' && peek(r, 1) == '/'))
				adv(r);
			if (r->p >= r->end)
				return fail_at(r, line, col, "this /* comment is never closed");
			adv(r);
			adv(r);
		} else
			break;
	}
	r->tline = r->line;
	r->tcol = r->col;
	if (c < 0) {
		r->t = TK_EOF;
		return 0;
	}
	switch (c) {
	case '=': r->t = TK_EQUAL; adv(r); return 0;
	case '{': r->t = TK_LBRACE; adv(r); return 0;
	case '}': r->t = TK_RBRACE; adv(r); return 0;
	case '[': r->t = TK_LBRACK; adv(r); return 0;
	case ']': r->t = TK_RBRACK; adv(r); return 0;
	case ',': r->t = TK_COMMA; adv(r); return 0;
	case '"':
		r->t = TK_STRING;
		adv(r);
		return scan_string(r);
	case '<':
		if (peek(r, 1) == '<') {
			r->t = TK_STRING;
			adv(r);
			adv(r);
			return scan_heredoc(r);
		}
		break;
	default:
		break;
	}
	if ((c >= '0' && c <= '9') || (c == '-' && peek(r, 1) >= '0' && peek(r, 1) <= '9')) {
		r->t = TK_NUMBER;
		adv(r);
		while ((c = peek(r, 0)) >= 0 && ((c >= '0' && c <= '9') || tf_hexval(c) >= 0 ||
		    c == 'x' || c == 'X' || c == '.' || ((c == '+' || c == '-') &&
		    (r->p[-1] == 'e' || r->p[-1] == 'E'))))
			adv(r);
		return 0;
	}
	if (is_ident_start(c)) {
		r->t = TK_IDENT;
		while ((c = peek(r, 0)) >= 0 && (is_ident_start(c) || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.')) {
			sb_addc(&r->text, (char)c);
			adv(r);
		}
		return 0;
	}
	{
		char e[8];

		snprintf(e, sizeof e, "%c", c >= 0x20 && c < 0x7f ? c : '?');
		return fail_at(r, r->tline, r->tcol, "unexpected character '%s'", e);
	}
}

static int
expected(struct tfrc *r, const char *what)
{
	return fail_at(r, r->tline, r->tcol, "expected %s, found %s", what, tok_names[r->t]);
}

static int parse_body(struct tfrc *r, int depth, int cred);

static int
parse_value(struct tfrc *r, int depth)
{
	if (depth > TFRC_MAX_DEPTH)
		return fail_at(r, r->tline, r->tcol, "nested too deeply");
	switch (r->t) {
	case TK_STRING:
	case TK_NUMBER:
	case TK_IDENT:
		return next(r);
	case TK_LBRACE:
		if (next(r) != 0 || parse_body(r, depth + 1, 0) != 0)
			return -1;
		if (r->t != TK_RBRACE)
			return expected(r, "'}' or a name");
		return next(r);
	case TK_LBRACK:
		if (next(r) != 0)
			return -1;
		while (r->t != TK_RBRACK) {
			if (parse_value(r, depth + 1) != 0)
				return -1;
			if (r->t == TK_COMMA) {
				if (next(r) != 0)
					return -1;
			} else if (r->t != TK_RBRACK)
				return expected(r, "',' or ']'");
		}
		return next(r);
	default:
		return expected(r, "a value");
	}
}

/* Items up to '}' or the end of the file. cred: this is the body of the host's credentials
 * block (its token is kept). */
static int
parse_body(struct tfrc *r, int depth, int cred)
{
	int have_token = 0;

	if (depth > TFRC_MAX_DEPTH)
		return fail_at(r, r->tline, r->tcol, "nested too deeply");
	while (r->t != TK_EOF && r->t != TK_RBRACE) {
		int nkeys = 0, line = r->tline, col = r->tcol, is_cred = 0, is_token = 0;

		while (r->t == TK_IDENT || r->t == TK_STRING) {
			if (nkeys == 0) {
				is_cred = depth == 0 && strcmp(txt(r), "credentials") == 0;
				is_token = cred && strcmp(txt(r), "token") == 0;
			} else if (nkeys == 1)
				is_cred = is_cred && strcasecmp(txt(r), r->host) == 0;
			nkeys++;
			if (next(r) != 0)
				return -1;
		}
		if (nkeys == 0)
			return expected(r, depth == 0 ? "a name" : "a name or '}'");
		if (r->t == TK_EQUAL) {
			if (nkeys > 1)
				return fail_at(r, r->tline, r->tcol, "'=' after more than one name "
				    "(a block needs '{')");
			if (next(r) != 0)
				return -1;
			if (is_token) {
				if (have_token)
					return fail_at(r, line, col, "credentials \"%s\": token is set "
					    "twice in one block", r->host);
				have_token = 1;
				if (r->t != TK_STRING)
					return fail_at(r, r->tline, r->tcol, "credentials \"%s\": token "
					    "must be a string", r->host);
				if (r->tok != NULL) {
					memset(r->tok, 0, strlen(r->tok));
					free(r->tok);
				}
				r->tok = xstrdup(txt(r));
			}
			if (parse_value(r, depth + 1) != 0)
				return -1;
		} else if (r->t == TK_LBRACE) {
			if (next(r) != 0 || parse_body(r, depth + 1, is_cred && nkeys == 2) != 0)
				return -1;
			if (r->t != TK_RBRACE)
				return expected(r, "'}' or a name");
			if (next(r) != 0)
				return -1;
		} else
			return expected(r, "'=' or '{'");
		if (r->t == TK_COMMA && next(r) != 0)
			return -1;
	}
	return 0;
}

int
tfrc_token(const char *path, const char *text, size_t len, const char *host, char **tok,
    char **err)
{
	struct tfrc r;
	int rc;

	memset(&r, 0, sizeof r);
	r.path = path;
	r.host = host;
	r.p = text;
	r.end = text + len;
	r.line = 1;
	r.col = 1;
	r.err = err;
	sb_init(&r.text);
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		r.p += 3;                 /* a UTF-8 byte order mark */
	rc = next(&r) == 0 && parse_body(&r, 0, 0) == 0 && r.t != TK_EOF ?
	    expected(&r, "a name") : r.failed ? -1 : 0;
	wipe(&r.text);
	sb_free(&r.text);
	if (rc == 0 && r.tok != NULL && r.tok[0] != '\0') {
		*tok = r.tok;
		return 0;
	}
	if (r.tok != NULL) {
		memset(r.tok, 0, strlen(r.tok));
		free(r.tok);
	}
	return rc < 0 ? -1 : 1;
}
