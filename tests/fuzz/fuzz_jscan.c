/* fuzz_jscan: libFuzzer target for the JSON scanner (src/jscan.c).  The input is one JSON
 * document.  jscan_skip and a walk with the iterators (which decodes every string and key)
 * must agree on whether it is valid; when they take it, json-c (strict) must take it too and
 * give the same tree as the one the walk builds (strings, keys with their escapes, numbers,
 * duplicate keys).  jscan_pos, jscan_str_eq and the callback walkers are poked on the way.
 * With plain_text (the event pre-scanner's mode) jscan_skip and the walk agree too, take
 * nothing the plain walk does not, and what they take json-c gives as text that needs no
 * repair (text_json_fix changes nothing).
 * Reads past the input are caught by ASan: libFuzzer's buffer has no NUL after it. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jscan.h"
#include "text.h"
#include "util.h"

#define DEPTH 64

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

/* The value at the cursor as json-c, built from the walk; NULL (with *bad) on an error. */
static json_object *
walk(struct jscan *s, int *bad)
{
	struct jscan_it it;
	struct jscan_str str;
	json_object *o, *v;
	enum jscan_type t;
	size_t a, e, l;
	int64_t iv;
	char *k;
	int r;

	switch (jscan_peek(s)) {
	case JSCAN_OBJECT:
		if (jscan_object_begin(s, &it) != 0)
			break;
		o = json_object_new_object();
		while ((r = jscan_object_next(s, &it, &str)) == 1) {
			k = jscan_strdup(&str, &l);
			if (jscan_str_eq(&str, k) != (strlen(k) == l))
				__builtin_trap();
			v = walk(s, bad);
			if (*bad) {
				free(k);
				json_object_put(o);
				return NULL;
			}
			json_object_object_add(o, k, v);	/* json-c cuts a key at a NUL too */
			free(k);
		}
		if (r == 0)
			return o;
		json_object_put(o);
		break;
	case JSCAN_ARRAY:
		if (jscan_array_begin(s, &it) != 0)
			break;
		o = json_object_new_array();
		while ((r = jscan_array_next(s, &it)) == 1) {
			v = walk(s, bad);
			if (*bad) {
				json_object_put(o);
				return NULL;
			}
			json_object_array_add(o, v);
		}
		if (r == 0)
			return o;
		json_object_put(o);
		break;
	case JSCAN_STRING:
		if (jscan_string(s, &str) != 0)
			break;
		k = jscan_strdup(&str, &l);
		if (l > str.n)
			__builtin_trap();	/* decoding never grows */
		o = json_object_new_string_len(k, (int)l);
		free(k);
		return o;
	case JSCAN_NUMBER:
		if (jscan_number(s, &a, &e) != 0)
			break;
		k = xstrndup(s->b + a, e - a);
		o = json_tokener_parse(k);
		if (o == NULL)
			__builtin_trap();	/* json-c takes every number jscan takes */
		if (jscan_number_int64(k, e - a, &iv) == 0 &&
		    (!json_object_is_type(o, json_type_int) || json_object_get_int64(o) != iv))
			__builtin_trap();
		free(k);
		return o;
	case JSCAN_TRUE:
	case JSCAN_FALSE:
	case JSCAN_NULL:
		if (jscan_literal(s, &t) != 0)
			break;
		return t == JSCAN_NULL ? NULL : json_object_new_boolean(t == JSCAN_TRUE);
	default:
		jscan_fail(s, "no value");
	}
	*bad = 1;
	if (s->err == NULL)
		__builtin_trap();	/* every failure says why */
	return NULL;
}

static int
count_member(struct jscan *s, const char *key, size_t klen, void *arg)
{
	(void)key;
	(void)klen;
	++*(size_t *)arg;
	return jscan_skip(s, NULL, NULL);
}

static int
count_elem(struct jscan *s, size_t idx, void *arg)
{
	if (idx != *(size_t *)arg)
		__builtin_trap();
	++*(size_t *)arg;
	return jscan_skip(s, NULL, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	const char *b = (const char *)d;
	struct jscan s1, s2, s3, s4, s5;
	json_tokener *tok;
	json_object *mine, *theirs, *plain;
	size_t a = 0, e = 0, line, col, cnt = 0;
	int ok1, ok2, ok4, ok5, bad = 0, bad5 = 0, r;

	jscan_init(&s1, b, n);
	s1.max_depth = DEPTH;
	ok1 = jscan_skip(&s1, &a, &e) == 0 && jscan_at_end(&s1);
	if (!ok1 && s1.err != NULL) {
		if (s1.err_at > n)
			__builtin_trap();
		jscan_pos(b, s1.err_at, &line, &col);
	}
	jscan_init(&s2, b, n);
	s2.max_depth = DEPTH;
	mine = walk(&s2, &bad);
	ok2 = !bad && jscan_at_end(&s2);
	if (ok1 != ok2 || (!bad && s2.depth != 0))
		__builtin_trap();
	jscan_init(&s4, b, n);
	s4.max_depth = DEPTH;
	s4.plain_text = 1;
	ok4 = jscan_skip(&s4, NULL, NULL) == 0 && jscan_at_end(&s4);
	jscan_init(&s5, b, n);
	s5.max_depth = DEPTH;
	s5.plain_text = 1;
	plain = walk(&s5, &bad5);
	ok5 = !bad5 && jscan_at_end(&s5);
	json_object_put(plain);
	if (ok4 != ok5 || (ok4 && !ok1))
		__builtin_trap();
	if (ok1) {
		/* json-c stops at a NUL; jscan rejects one in any valid place. */
		tok = json_tokener_new_ex(DEPTH + 1);
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
		theirs = json_tokener_parse_ex(tok, b, (int)n);
		if (json_tokener_get_error(tok) == json_tokener_continue)
			theirs = json_tokener_parse_ex(tok, "", 1);
		if (json_tokener_get_error(tok) != json_tokener_success ||
		    !json_object_equal(mine, theirs))
			__builtin_trap();
		if (ok4 && text_json_fix(theirs) != 0)
			__builtin_trap();	/* plain text needs no repair */
		json_object_put(theirs);
		json_tokener_free(tok);
		jscan_init(&s3, b, n);
		s3.max_depth = DEPTH;
		if (jscan_peek(&s3) == JSCAN_OBJECT)
			r = jscan_object(&s3, count_member, &cnt);
		else if (jscan_peek(&s3) == JSCAN_ARRAY)
			r = jscan_array(&s3, count_elem, &cnt);
		else
			r = jscan_skip(&s3, NULL, NULL);
		if (r != 0 || s3.i != e || s3.depth != 0)
			__builtin_trap();
	}
	json_object_put(mine);
	return 0;
}
