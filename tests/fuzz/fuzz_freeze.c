/* fuzz_freeze: libFuzzer target for change-freeze windows (src/freeze.c): `scan --freeze
 * NAME=START..END` specs, the scope JSON a store keeps, and the times `freeze add --until`
 * and the F key read. The first byte picks what the rest is:
 *
 *   s  a --freeze spec: freeze_parse_spec, then the window is checked, described, matched
 *      against events and formatted
 *   j  a stored scope: freeze_scope_from_json, which must survive freeze_scope_to_json and
 *      read back to the same lists
 *   t  a time: freeze_parse_time (looking forward: the result is after now for durations and
 *      clock times), then freeze_format_left of what is left
 *   other: 8 bytes of "time left" for freeze_format_left, then a spec
 *
 * Oracles: failures say why; a spec that parses passes freeze_window_check; the banner text
 * is never empty and fits its buffer. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "freeze.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW_MS 1716804000000LL          /* 2024-05-27T10:00:00Z */

static void
left(int64_t ms)
{
	char out[32];

	memset(out, 'x', sizeof out);
	freeze_format_left(ms, out);
	if (memchr(out, '\0', sizeof out) == NULL || out[0] == '\0')
		abort();
}

static void
use(const struct freeze_window *w)
{
	static const char *const rec[] = {
		"{\"eventTime\":\"2024-05-27T10:00:00Z\",\"eventSource\":\"iam.amazonaws.com\","
		"\"eventName\":\"PutRolePolicy\",\"awsRegion\":\"eu-west-1\","
		"\"recipientAccountId\":\"111122223333\",\"eventID\":\"e1\"}",
	};
	struct event ev;
	json_object *o, *j;
	char *d, *err = NULL;
	const char *why = NULL;

	if (freeze_window_check(w, &err) != 0) {
		if (err == NULL)
			abort();
		free(err);
	}
	d = freeze_window_describe(w);
	free(d);
	j = freeze_window_to_json(w);
	json_object_put(j);
	(void)freeze_window_contains(w, NOW_MS);
	(void)freeze_window_type_match(w, "aws_iam_role_policy");
	(void)freeze_window_type_match(w, NULL);
	memset(&ev, 0, sizeof ev);
	o = json_tokener_parse(rec[0]);
	if (event_from_cloudtrail(o, &ev, &why) == 0)
		(void)freeze_window_match(w, &ev, "aws_iam_role_policy");
	json_object_put(o);
	event_free(&ev);
	(void)freeze_current(w, 1, NOW_MS);
	(void)freeze_next(w, 1, NOW_MS);
	if (w->end_ms > INT64_MIN + NOW_MS)
		left(w->end_ms - NOW_MS);
}

static int
same_lists(const struct freeze_window *a, const struct freeze_window *b)
{
	const struct strlist *la[] = { &a->accounts, &a->projects, &a->regions, &a->resource_types };
	const struct strlist *lb[] = { &b->accounts, &b->projects, &b->regions, &b->resource_types };
	size_t i, j;

	for (i = 0; i < 4; i++) {
		if (la[i]->n != lb[i]->n)
			return 0;
		for (j = 0; j < la[i]->n; j++)
			if (strcmp(la[i]->v[j], lb[i]->v[j]) != 0)
				return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct freeze_window w, back;
	char *s, *err = NULL, *js;
	int64_t t, ms = 0;
	size_t skip = 1;

	if (size < 1)
		return 0;
	if (data[0] != 's' && data[0] != 'j' && data[0] != 't' && size >= 9) {
		memcpy(&ms, data + 1, 8);
		left(ms);
		skip = 9;
	}
	s = xstrndup((const char *)data + skip, size - skip);
	memset(&w, 0, sizeof w);
	switch (data[0]) {
	case 'j':
		if (freeze_scope_from_json(s, &w, &err) != 0) {
			if (err == NULL)
				abort();
			break;
		}
		js = freeze_scope_to_json(&w);
		memset(&back, 0, sizeof back);
		if (freeze_scope_from_json(js, &back, NULL) != 0 || !same_lists(&w, &back)) {
			fprintf(stderr, "fuzz: the scope does not read back: %s\n", js);
			abort();
		}
		free(js);
		w.name = xstrdup("cab");
		w.start_ms = NOW_MS - 1;
		w.end_ms = NOW_MS + 1;
		use(&w);
		freeze_window_clear(&back);
		break;
	case 't':
		if (freeze_parse_time(s, NOW_MS, &t) == 0) {
			if (tf_parse_duration(s[0] == '+' ? s + 1 : s, &ms) == 0 && t < NOW_MS)
				abort();        /* a duration looks forward */
			left(t - NOW_MS);
		}
		break;
	default:
		if (freeze_parse_spec(s, &w, &err) != 0) {
			if (err == NULL)
				abort();
			break;
		}
		if (freeze_window_check(&w, NULL) != 0)
			abort();        /* parse_spec checks it */
		use(&w);
		break;
	}
	freeze_window_clear(&w);
	free(err);
	free(s);
	return 0;
}
