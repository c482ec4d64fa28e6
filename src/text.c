/* text: valid UTF-8, control-free JSON and terminal-safe text out of hostile strings. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

#define BAD_CP UINT32_MAX

/*
 * One character at s (n > 0 bytes left): its length, with the code point in *cp, or for an
 * ill-formed sequence the length of its maximal subpart (the lead byte and the continuation
 * bytes that are still allowed after it; at least 1) with *cp = BAD_CP. The ranges are
 * Table 3-7 of the Unicode Standard: no overlong forms, no surrogates, nothing past U+10FFFF.
 */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0fu;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07u;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*cp = BAD_CP;
		return 1;
	}
	for (i = 1; i < len; i++) {
		if (i >= n || s[i] < lo || s[i] > hi) {
			*cp = BAD_CP;
			return i;
		}
		v = (v << 6) | (s[i] & 0x3fu);
		lo = 0x80;
		hi = 0xbf;
	}
	*cp = v;
	return len;
}

int
text_utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	uint32_t cp;

	while (i < n) {
		if (p[i] >= 0x01 && p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] == 0)
			return 0;
		k = utf8_next(p + i, n - i, &cp);
		if (cp == BAD_CP)
			return 0;
		i += k;
	}
	return 1;
}

char *
text_utf8_fix(const char *s, size_t n, size_t *outlen, size_t *nrepl)
{
	const unsigned char *p = (const unsigned char *)s;
	struct strbuf sb;
	size_t i = 0, k, start, bad = 0;
	uint32_t cp;

	sb_init(&sb);
	sb_grow(&sb, n);
	while (i < n) {
		/* Runs of good bytes are copied in one go. */
		start = i;
		for (;;) {
			if (i >= n)
				break;
			if (p[i] >= 0x01 && p[i] < 0x80) {
				i++;
				continue;
			}
			if (p[i] == 0)
				break;
			k = utf8_next(p + i, n - i, &cp);
			if (cp == BAD_CP)
				break;
			i += k;
		}
		sb_add(&sb, p + start, i - start);
		if (i >= n)
			break;
		k = p[i] == 0 ? 1 : utf8_next(p + i, n - i, &cp);
		sb_adds(&sb, TEXT_REPLACEMENT);
		bad++;
		i += k;
	}
	if (outlen != NULL)
		*outlen = sb.len;
	if (nrepl != NULL)
		*nrepl += bad;
	return sb_detach(&sb);
}

char *
text_utf8_dup(const char *s)
{
	size_t n;

	if (s == NULL)
		return NULL;
	n = strlen(s);
	return text_utf8_ok(s, n) ? xstrdup(s) : text_utf8_fix(s, n, NULL, NULL);
}

size_t
text_json_fix(json_object *o)
{
	size_t fixed = 0, i, n, nbad = 0;
	char **bad = NULL;

	switch (json_object_get_type(o)) {
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t len = (size_t)json_object_get_string_len(o), outlen;
		char *t;

		if (text_utf8_ok(s, len))
			return 0;
		t = text_utf8_fix(s, len, &outlen, NULL);
		json_object_set_string_len(o, t, (int)outlen);
		free(t);
		return 1;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			fixed += text_json_fix(json_object_array_get_idx(o, i));
		return fixed;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			if (!text_utf8_ok(key, strlen(key))) {
				bad = xreallocarray(bad, nbad + 1, sizeof *bad);
				bad[nbad++] = xstrdup(key);
			}
			fixed += text_json_fix(val);
		}
		for (i = 0; i < nbad; i++) {
			json_object *v = json_object_get(json_object_object_get(o, bad[i]));
			char *k = text_utf8_fix(bad[i], strlen(bad[i]), NULL, NULL);

			json_object_object_del(o, bad[i]);
			json_object_object_add(o, k, v);
			free(k);
			free(bad[i]);
			fixed++;
		}
		free(bad);
		return fixed;
	}
	default:
		return 0;
	}
}

int
text_json_ok(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return text_utf8_ok(json_object_get_string(o), (size_t)json_object_get_string_len(o));
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!text_json_ok(json_object_array_get_idx(o, i)))
				return 0;
		return 1;
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			if (!text_utf8_ok(key, strlen(key)) || !text_json_ok(val))
				return 0;
		}
		return 1;
	}
	default:
		return 1;
	}
}

json_object *
text_json_safe(json_object *o)
{
	json_object *copy = NULL;

	if (o == NULL || text_json_ok(o))
		return o;
	if (json_object_deep_copy(o, &copy, NULL) != 0 || copy == NULL)
		tf_fatal("out of memory (copying a JSON value to repair its text)");
	json_object_put(o);
	text_json_fix(copy);
	return copy;
}

/* Characters a terminal or a text layout treats as controls, beyond C0: DEL, C1, the bidi
 * embeddings, overrides, isolates and marks, and the Unicode line and paragraph separators. */
static int
is_hidden_control(uint32_t cp)
{
	return cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
	    cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

char *
text_json_string(json_object *o, int flags)
{
	size_t len = 0, i = 0, k;
	const char *js = json_object_to_json_string_length(o, flags, &len);
	const unsigned char *p = (const unsigned char *)js;
	struct strbuf sb;
	uint32_t cp;

	for (i = 0; i < len && p[i] < 0x7f; i++)
		;
	if (i == len)
		return xstrdup(js);
	/* The text is json-c's: bytes past ASCII and DEL occur only inside strings, where an
	 * escape means the same character (and U+FFFD stands for what was not UTF-8). */
	sb_init(&sb);
	sb_grow(&sb, len + 16);
	sb_add(&sb, js, i);
	while (i < len) {
		if (p[i] < 0x7f) {
			sb_addc(&sb, (char)p[i++]);
			continue;
		}
		k = utf8_next(p + i, len - i, &cp);
		if (cp == BAD_CP)
			sb_adds(&sb, TEXT_REPLACEMENT);
		else if (is_hidden_control(cp))
			sb_addf(&sb, "\\u%04x", (unsigned)cp);
		else
			sb_add(&sb, p + i, k);
		i += k;
	}
	return sb_detach(&sb);
}

void
text_escape(struct strbuf *sb, const char *s, size_t n, int flags)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k, j, start;
	uint32_t cp;

	while (i < n) {
		start = i;
		while (i < n && p[i] >= 0x20 && p[i] < 0x7f)
			i++;
		sb_add(sb, p + start, i - start);
		if (i >= n)
			break;
		if (p[i] < 0x80) {
			switch (p[i]) {
			case '\n':
				sb_adds(sb, (flags & TEXT_KEEP_NL) ? "\n" : "\\n");
				break;
			case '\r':
				sb_adds(sb, "\\r");
				break;
			case '\t':
				sb_adds(sb, "\\t");
				break;
			default:
				sb_addf(sb, "\\x%02x", p[i]);
				break;
			}
			i++;
			continue;
		}
		k = utf8_next(p + i, n - i, &cp);
		if (cp == BAD_CP)
			for (j = 0; j < k; j++)
				sb_addf(sb, "\\x%02x", p[i + j]);
		else if (is_hidden_control(cp))
			sb_addf(sb, "\\u%04x", (unsigned)cp);
		else
			sb_add(sb, p + i, k);
		i += k;
	}
}

void
text_fputs(FILE *fp, const char *s)
{
	struct strbuf sb;
	size_t n, i;

	if (s == NULL)
		return;
	n = strlen(s);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			break;
	if (i == n) {
		fputs(s, fp);
		return;
	}
	sb_init(&sb);
	text_escape(&sb, s, n, 0);
	fwrite(sb.buf, 1, sb.len, fp);
	sb_free(&sb);
}

char *
text_escape_dup(const char *s)
{
	struct strbuf sb;

	if (s == NULL)
		return NULL;
	sb_init(&sb);
	sb_grow(&sb, 0);
	text_escape(&sb, s, strlen(s), 0);
	return sb_detach(&sb);
}

void
text_shell_word(struct strbuf *sb, const char *s, int always_quote)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:@=,+-",
		    *p) == NULL)
			break;
	if (!always_quote && *p == '\0' && *s != '\0') {
		sb_adds(sb, s);
		return;
	}
	sb_addc(sb, '\'');
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			sb_adds(sb, "'\\''");
		else
			sb_addc(sb, *p);
	}
	sb_addc(sb, '\'');
}
