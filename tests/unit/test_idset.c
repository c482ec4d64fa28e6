/* idset: membership, expiry, the capacity bound, filter, hex round trip, and a day of ids
 * at 1,000/s through the default capacity (memory stays at its bound). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "idset.h"
#include "tap.h"
#include "util.h"

static int
keep_even_time(void *ctx, uint64_t h, int64_t t)
{
	(void)ctx;
	(void)h;
	return t % 2 == 0;
}

/* A reference: is h among the last `window` added (for the eviction check)? */
static uint64_t
mix(uint64_t i)
{
	char b[32];

	snprintf(b, sizeof b, "event-%llu", (unsigned long long)i);
	return tf_hash_str(b);
}

int
main(void)
{
	struct tf_idset *s = tf_idset_new(1000);
	uint64_t h, i, bad;
	int64_t t;
	char hex[17];
	size_t n;

	ok(!tf_idset_has(s, 42), "empty set has nothing");
	is_int(tf_idset_add(s, 42, 10), 0, "first add is new");
	is_int(tf_idset_add(s, 42, 11), 1, "second add is a duplicate");
	is_int(tf_idset_add(s, 0, 12), 0, "hash 0 is an id like any other");
	ok(tf_idset_has(s, 0) && tf_idset_has(s, 42), "both there");
	tf_idset_get(s, 0, &h, &t);
	ok(h == 42 && t == 10, "oldest first, first time kept");
	is_int(tf_idset_expire(s, 11), 1, "expire before 11 drops the one at 10");
	ok(!tf_idset_has(s, 42) && tf_idset_has(s, 0), "42 gone, 0 stays");
	tf_idset_clear(s);
	is_int(tf_idset_count(s), 0, "clear");

	/* The capacity: 5000 ids through 1000 places keep the last 1000. */
	for (i = 0; i < 5000; i++)
		tf_idset_add(s, mix(i), (int64_t)i);
	is_int(tf_idset_count(s), 1000, "capped at 1000");
	is_int(tf_idset_evicted(s), 4000, "4000 evicted, oldest first");
	for (bad = 0, i = 0; i < 5000; i++)
		bad += tf_idset_has(s, mix(i)) != (i >= 4000);
	is_int(bad, 0, "exactly the last 1000 are members");
	ok(tf_idset_bytes(s) <= TF_IDSET_BYTES(1000), "within its byte bound (%zu)",
	    tf_idset_bytes(s));
	/* Expire across the ring's wrap, then add again. */
	is_int(tf_idset_expire(s, 4500), 500, "expire the 500 oldest");
	for (i = 5000; i < 5300; i++)
		tf_idset_add(s, mix(i), (int64_t)i);
	for (bad = 0, i = 4000; i < 5300; i++)
		bad += tf_idset_has(s, mix(i)) != (i >= 4500);
	is_int(bad, 0, "members after a wrap: 4500..5299");
	n = tf_idset_filter(s, keep_even_time, NULL);
	is_int(n, 400, "filter drops the odd times");
	for (bad = 0, i = 4500; i < 5300; i++)
		bad += tf_idset_has(s, mix(i)) != (i % 2 == 0);
	is_int(bad, 0, "filter keeps exactly the even ones");
	tf_idset_get(s, 0, &h, &t);
	ok(t == 4500, "order kept by filter");
	tf_idset_free(s);

	tf_idset_hex(0x0123456789abcdefULL, hex);
	is_str(hex, "0123456789abcdef", "hex");
	ok(tf_idset_parse_hex(hex, &h) == 0 && h == 0x0123456789abcdefULL, "hex back");
	ok(tf_idset_parse_hex("0123", &h) < 0 && tf_idset_parse_hex("0123456789abcdeg", &h) < 0 &&
	    tf_idset_parse_hex(NULL, &h) < 0, "not hex");

	/* A day at 1,000/s, one id a millisecond, a 15 minute window: the set holds the
	 * window, its memory stays at the bound. */
	s = tf_idset_new(TF_IDSET_DEFAULT_CAP);
	{
		size_t most = 0, b;
		uint64_t dup = 0;

		for (i = 0; i < 86400000ULL; i++) {
			int64_t ms = (int64_t)i;

			dup += (uint64_t)tf_idset_add(s, i * 0x9E3779B97F4A7C15ULL, ms);
			if (i % 1000 == 999)
				tf_idset_expire(s, ms - 15 * 60 * 1000);
			if (i % 10000000 == 0 && (b = tf_idset_bytes(s)) > most)
				most = b;
		}
		is_int(dup, 0, "86.4 M distinct ids: no false duplicate");
		ok(tf_idset_count(s) <= TF_IDSET_DEFAULT_CAP, "held %zu ≤ cap", tf_idset_count(s));
		ok(most <= TF_IDSET_BYTES(TF_IDSET_DEFAULT_CAP), "memory %zu ≤ %zu bytes", most,
		    (size_t)TF_IDSET_BYTES(TF_IDSET_DEFAULT_CAP));
		diag("a day at 1,000/s: %zu ids held, %llu evicted, %zu bytes", tf_idset_count(s),
		    (unsigned long long)tf_idset_evicted(s), tf_idset_bytes(s));
	}
	tf_idset_free(s);
	return done_testing();
}
