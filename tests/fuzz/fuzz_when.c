/* fuzz_when: libFuzzer target for the time options people type (src/util.c): tf_parse_when
 * (every --since, --until, --for and freeze end), tf_parse_duration (durations in options and
 * the config), tf_parse_time (RFC 3339 in records and stores), and the other clocks'
 * spellings: aws_parse_expiration (credential Expiration) and gl_parse_ts (Logging
 * timestamps). The first 8 bytes are "now" (ms), the 9th the direction; the rest is the text.
 *
 * Oracles (the contract in util.h): results stay inside the years 0000-9999; a clock time
 * looking back is at or before now and less than a day ago, looking forward after now and at
 * most a day ahead; a duration looks back or forward by itself; tf_format_time of a parsed
 * time parses back to the same instant. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws_creds.h"
#include "collectors/gcplogging.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIN_MS (-62167219200000LL)      /* 0000-01-01T00:00:00Z */
#define MAX_MS 253402300800000LL        /* 10000-01-01T00:00:00Z */
#define DAY_MS 86400000LL

static void
round_trip(int64_t t)
{
	char buf[32];
	int64_t back;

	if (t < MIN_MS || t >= MAX_MS) {
		fprintf(stderr, "fuzz: %lld is outside the years 0000-9999\n", (long long)t);
		abort();
	}
	tf_format_time(t, buf);
	if (tf_parse_time(buf, &back) != 0 || back != t) {
		fprintf(stderr, "fuzz: %lld is written %s, which reads back as %lld\n", (long long)t,
		    buf, (long long)back);
		abort();
	}
}

static int
clock_form(const char *s)
{
	size_t n = strlen(s);

	return (n == 5 || n == 8) && s[2] == ':' && (n == 5 || s[5] == ':');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t now, t, d, ns;
	int dir;
	char *s;

	if (size < 9)
		return 0;
	memcpy(&now, data, 8);
	dir = data[8] & 1 ? 1 : -1;
	s = xstrndup((const char *)data + 9, size - 9);
	if (tf_parse_time(s, &t) == 0)
		round_trip(t);
	if (tf_parse_duration(s, &d) == 0 && d < 0)
		abort();
	if (tf_parse_when(s, now, dir, &t) == 0) {
		round_trip(t);
		if (clock_form(s) && (dir > 0 ? !(t > now && t <= now + DAY_MS) :
		    !(t <= now && t > now - DAY_MS))) {
			fprintf(stderr, "fuzz: %s from %lld (dir %d) is %lld\n", s, (long long)now, dir,
			    (long long)t);
			abort();
		}
		if (tf_parse_duration(s[0] == '+' ? s + 1 : s, &d) == 0 && !clock_form(s) &&
		    (dir > 0 ? t < now : t > now))
			abort();        /* a duration goes the way it was asked */
	}
	if (aws_parse_expiration(s, &t) == 0)
		round_trip(t);
	if (gl_parse_ts(s, &ns) == 0) {
		char buf[40];
		int64_t back;

		gl_format_ts(ns, buf);
		if (gl_parse_ts(buf, &back) != 0 || back != ns) {
			fprintf(stderr, "fuzz: %s is %lld ns, written %s\n", s, (long long)ns, buf);
			abort();
		}
	}
	free(s);
	return 0;
}
