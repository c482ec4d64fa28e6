/* util: time parsing and formatting, durations, strbuf, file reading with gzip, hashing. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "util.h"
#include "tap.h"

#define T10 1716804000000LL            /* 2024-05-27T10:00:00Z, a Monday */
#define SEC 1000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define REFUSED INT64_MIN

/* tf_parse_when's result, or REFUSED. */
static int64_t
when(const char *s, int64_t now, int dir)
{
	int64_t t = 0;

	return tf_parse_when(s, now, dir, &t) == 0 ? t : REFUSED;
}

static void
test_when(void)
{
	char many[400] = "";
	int i;

	/* Absolute forms mean the same in both directions. */
	is_int(when("2024-05-27T09:00:00Z", T10, -1), T10 - HOUR, "when: RFC 3339 (past)");
	is_int(when("2024-05-27T09:00:00Z", T10, 1), T10 - HOUR, "when: RFC 3339 (future) is that instant too");
	is_int(when("2024-05-27T12:00:00+02:00", T10, -1), T10, "when: RFC 3339 with an offset");
	is_int(when("1716800400", T10, -1), T10 - HOUR, "when: epoch seconds");
	is_int(when("2024-05-27", T10, -1), T10 - 10 * HOUR, "when: YYYY-MM-DD is midnight UTC");
	is_int(when("2024-05-28", T10, 1), T10 + 14 * HOUR, "when: YYYY-MM-DD (future)");

	/* Durations: ago when looking back, from now when looking forward. */
	is_int(when("2h", T10, -1), T10 - 2 * HOUR, "when: 2h ago");
	is_int(when("90m", T10, -1), T10 - 90 * MIN, "when: 90m ago");
	is_int(when("1h30m", T10, -1), T10 - 90 * MIN, "when: 1h30m ago");
	is_int(when("7d", T10, -1), T10 - 7 * DAY, "when: 7d ago");
	is_int(when("2h", T10, 1), T10 + 2 * HOUR, "when: 2h from now");
	is_int(when("+2h", T10, 1), T10 + 2 * HOUR, "when: +2h from now");
	is_int(when("0s", T10, -1), T10, "when: 0s is now");
	is_int(when("+2h", T10, -1), REFUSED, "when: +2h is no past bound");
	is_int(when("-2h", T10, -1), REFUSED, "when: negative duration refused (past)");
	is_int(when("-2h", T10, 1), REFUSED, "when: negative duration refused (future)");
	is_int(when("+", T10, 1), REFUSED, "when: a lone + refused");
	is_int(when("2h ago", T10, -1), REFUSED, "when: words refused");

	/* Huge durations: refused, never wrapped around. */
	is_int(when("1000000000w", T10, -1), REFUSED, "when: 1e9 weeks ago refused");
	is_int(when("1000000000w", T10, 1), REFUSED, "when: 1e9 weeks ahead refused");
	for (i = 0; i < 30; i++)
		strcat(many, "1000000000w");
	ok(tf_parse_duration(many, &(int64_t){ 0 }) != 0, "a duration whose sum overflows int64 refused");
	is_int(when(many, T10, -1), REFUSED, "when: an overflowing duration refused (past)");
	is_int(when(many, T10, 1), REFUSED, "when: an overflowing duration refused (future)");
	is_int(when("2000000d", T10, -1), REFUSED, "when: before the year 0000 refused");
	is_int(when("2000000d", T10, 1), T10 + 2000000 * DAY, "when: up to the year 9999 accepted");
	is_int(when("3000000d", T10, 1), REFUSED, "when: past the year 9999 refused");

	/* HH:MM looking back: the most recent time the UTC clock showed it, at or before now. */
	is_int(when("09:30", T10, -1), T10 - 30 * MIN, "when: HH:MM earlier today");
	is_int(when("17:30", T10, -1), T10 - 16 * HOUR - 30 * MIN, "when: HH:MM later today is yesterday's");
	is_int(when("10:00", T10, -1), T10, "when: HH:MM exactly now is now (past)");
	is_int(when("10:00:01", T10, -1), T10 - DAY + SEC, "when: HH:MM:SS a second ahead is yesterday's");
	is_int(when("09:59:59", T10, -1), T10 - SEC, "when: HH:MM:SS a second ago");
	is_int(when("00:00", T10, -1), T10 - 10 * HOUR, "when: 00:00 is today's midnight");
	is_int(when("23:59:59", T10, -1), T10 - 10 * HOUR - SEC, "when: 23:59:59 is yesterday's");
	is_int(when("10:00", T10 + 500, -1), T10, "when: HH:MM half a second ago is today's");

	/* HH:MM looking forward: the next time it shows it, after now. */
	is_int(when("12:30", T10, 1), T10 + 2 * HOUR + 30 * MIN, "when: HH:MM later today");
	is_int(when("09:00", T10, 1), T10 + 23 * HOUR, "when: HH:MM already past is tomorrow");
	is_int(when("10:00", T10, 1), T10 + DAY, "when: HH:MM exactly now is tomorrow (future)");
	is_int(when("10:00:01", T10, 1), T10 + SEC, "when: HH:MM:SS a second ahead");
	is_int(when("00:00", T10, 1), T10 + 14 * HOUR, "when: 00:00 is the coming midnight");

	/* Before 1970 the day still starts at UTC midnight (floor, not truncation). */
	is_int(when("00:00", -SEC, -1), -DAY, "when: HH:MM before the epoch (past)");
	is_int(when("00:00", -SEC, 1), 0, "when: HH:MM before the epoch (future)");

	/* Clock nonsense. */
	is_int(when("24:00", T10, -1), REFUSED, "when: 24:00 refused");
	is_int(when("25:61", T10, 1), REFUSED, "when: 25:61 refused");
	is_int(when("23:60", T10, -1), REFUSED, "when: minute 60 refused");
	is_int(when("12:30:60", T10, -1), REFUSED, "when: second 60 refused");
	is_int(when("9:30", T10, -1), REFUSED, "when: one-digit hour refused");
	is_int(when("12:3", T10, -1), REFUSED, "when: one-digit minute refused");
	is_int(when("12:30:", T10, -1), REFUSED, "when: a dangling colon refused");
	is_int(when("12:30Z", T10, -1), REFUSED, "when: trailing junk refused");
	is_int(when("-12:30", T10, -1), REFUSED, "when: a negative clock refused");
	is_int(when("", T10, -1), REFUSED, "when: empty refused");
	is_int(when(NULL, T10, 1), REFUSED, "when: NULL refused");
	is_int(when("soon", T10, 1), REFUSED, "when: soon refused");

	ok(strstr(tf_when_forms(-1), "17:30") != NULL && strstr(tf_when_forms(-1), "2h ago as 2h") != NULL,
	    "the past forms for messages: %s", tf_when_forms(-1));
	ok(strstr(tf_when_forms(1), "2h from now as 2h") != NULL, "the future forms: %s", tf_when_forms(1));
}

/* mkdir -p of a path's parent, and the XDG directories. */
static void
test_dirs(void)
{
	char base[] = "/tmp/tfdrift-dirs-XXXXXX", *p, *err = NULL, *x;
	struct stat sb;

	if (mkdtemp(base) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	p = xasprintf("%s/a/b/c/file.json", base);
	ok(tf_mkdir_parents(p, &err) == 0, "mkdir -p of a file's directories");
	free(p);
	p = xasprintf("%s/a/b/c", base);
	ok(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) && (sb.st_mode & 0777) == 0700,
	    "made, mode 0700");
	free(p);
	p = xasprintf("%s/a/b/c/file.json", base);
	ok(tf_mkdir_parents(p, &err) == 0, "again: they are there already");
	free(p);
	p = xasprintf("%s/f", base);
	close(open(p, O_CREAT | O_WRONLY, 0600));
	free(p);
	p = xasprintf("%s/f/sub/x.db", base);
	ok(tf_mkdir_parents(p, &err) == -1 && err != NULL && strstr(err, "/f/sub") != NULL &&
	    strstr(err, "Not a directory") != NULL, "a file in the way: which directory and why: %s",
	    err ? err : "");
	free(err);
	free(p);
	setenv("XDG_DATA_HOME", "/srv/data", 1);
	x = tf_xdg_dir("XDG_DATA_HOME", ".local/share");
	is_str(x, "/srv/data", "an absolute XDG variable is used");
	free(x);
	setenv("XDG_DATA_HOME", "relative/data", 1);
	setenv("HOME", "/home/tester", 1);
	x = tf_xdg_dir("XDG_DATA_HOME", ".local/share");
	is_str(x, "/home/tester/.local/share", "a relative one is ignored, as the spec says");
	free(x);
	unsetenv("XDG_DATA_HOME");
	p = xasprintf("rm -rf '%s'", base);
	if (system(p) != 0)
		diag("could not remove %s", base);
	free(p);
}

/* Out of memory names what the thread was reading: the x* wrappers fail past the test limit
 * (tf_alloc_limit_set), in a child whose stderr is kept. */
static void
test_out_of_memory(void)
{
	char path[] = "/tmp/tfdrift-oom-XXXXXX", msg[512] = "";
	const char *prev;
	int fd = mkstemp(path), status = 0;
	ssize_t n;
	pid_t pid;

	prev = tf_reading_set("outer.json");
	is_str(tf_reading_set("inner.json"), "outer.json", "tf_reading_set returns what it replaces");
	is_str(tf_reading(), "inner.json", "... and holds the new name");
	tf_reading_set("outer.json");
	is_str(tf_reading_set(prev), "outer.json", "... which the reader puts back");
	fflush(stdout);
	if ((pid = fork()) == 0) {
		dup2(fd, STDERR_FILENO);
		tf_alloc_limit_set(1000);
		tf_reading_set("events.jsonl");
		free(xmalloc(999));
		free(xmalloc(5000));
		_exit(0);
	}
	waitpid(pid, &status, 0);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, msg, sizeof msg - 1);
	msg[n > 0 ? n : 0] = '\0';
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 1, "an allocation past the limit is fatal");
	is_str(msg, "tfdrift: fatal: out of memory (5000 bytes) while reading events.jsonl\n",
	    "... naming the input being read");
	close(fd);
	unlink(path);
}

/* The one shape of a located message, with and without a column or a line. */
static void
test_locf(void)
{
	char *m, *err = NULL;

	m = tf_locf("a.yaml", 3, 7, "unknown option '%s'", "x");
	is_str(m, "a.yaml:3:7: unknown option 'x'", "FILE:LINE:COL: message");
	free(m);
	m = tf_locf("e.jsonl", 12, 0, "read error");
	is_str(m, "e.jsonl:12: read error", "no column: FILE:LINE: message");
	free(m);
	m = tf_locf("s.tfstate", 0, 5, "empty file: %s", "not a Terraform state");
	is_str(m, "s.tfstate: empty file: not a Terraform state", "no line: FILE: message");
	free(m);
	err = xstrdup("an earlier message");
	is_int(tf_err_at(&err, "p.json", 1, 43, "invalid JSON: %s", "unexpected end of data"), -1,
	    "tf_err_at returns -1");
	is_str(err, "p.json:1:43: invalid JSON: unexpected end of data", "... replacing *err");
	free(err);
	is_int(tf_err_at(NULL, "p.json", 1, 1, "x"), -1, "... and takes no err");
}

int
main(void)
{
	int64_t ms;
	char buf[32], *data = NULL, *err = NULL, path[] = "/tmp/tfdrift-util-XXXXXX";
	size_t len;
	struct strbuf sb;
	gzFile gz;
	int fd;

	test_dirs();
	test_out_of_memory();
	test_locf();
	ok(tf_parse_time("2014-03-06T21:22:54Z", &ms) == 0 && ms == 1394140974000LL, "CloudTrail eventTime");
	ok(tf_parse_time("2024-05-27T10:00:00.123456789Z", &ms) == 0 && ms == 1716804000123LL, "nanosecond fraction (GCP)");
	ok(tf_parse_time("2024-05-27T12:00:00+02:00", &ms) == 0 && ms == 1716804000000LL, "offset");
	ok(tf_parse_time("1424476529.0", &ms) == 0 && ms == 1424476529000LL, "epoch seconds (LookupEvents)");
	ok(tf_parse_time("1.4244765E9", &ms) == 0 && ms == 1424476500000LL, "E-notation epoch");
	/* Found by fuzz_when: a leap second or an offset carried the last second of 9999 into the
	 * year 10000, which tf_format_time cannot write back and tf_parse_when promises never to
	 * return. */
	ok(tf_parse_time("9999-12-31T23:59:59.999Z", &ms) == 0 && ms == 253402300799999LL,
	    "the last millisecond of 9999");
	ok(tf_parse_time("9999-12-31T23:59:60Z", &ms) != 0, "a leap second into the year 10000 refused");
	ok(tf_parse_time("9999-12-31T23:59:59-00:01", &ms) != 0, "an offset into the year 10000 refused");
	ok(tf_parse_time("0000-01-01T00:00:00+00:01", &ms) != 0, "an offset before the year 0 refused");
	ok(tf_parse_when("9999-12-31T23:59:60Z", 1716804000000LL, -1, &ms) != 0,
	    "tf_parse_when keeps to 0000-9999 for absolute times too");
	ok(tf_parse_time("1969-12-31T23:59:59Z", &ms) == 0 && ms == -1000, "before the epoch");
	ok(tf_parse_time("2024-02-30X", &ms) != 0, "garbage rejected");
	ok(tf_parse_time("2024-13-01T00:00:00Z", &ms) != 0, "month 13 rejected");
	ok(tf_parse_time("", &ms) != 0, "empty rejected");
	ok(tf_parse_time(NULL, &ms) != 0, "NULL rejected");
	tf_format_time(1716804000000LL, buf);
	is_str(buf, "2024-05-27T10:00:00Z", "format whole seconds");
	tf_format_time(1716804000123LL, buf);
	is_str(buf, "2024-05-27T10:00:00.123Z", "format milliseconds");
	/* Times past what can be read back are shown at the nearest end, which reads back. */
	tf_format_time(INT64_MAX, buf);
	is_str(buf, "9999-12-31T23:59:59.999Z", "a time past 9999 shows as its end");
	ok(tf_parse_time(buf, &ms) == 0 && ms == 253402300799999LL, "... which reads back");
	tf_format_time(INT64_MIN, buf);
	is_str(buf, "0000-01-01T00:00:00Z", "a time before the year 0 shows as its start");
	ok(tf_parse_time(buf, &ms) == 0 && ms == -62167219200000LL, "... which reads back");

	ok(tf_parse_duration("15m", &ms) == 0 && ms == 900000, "15m");
	ok(tf_parse_duration("1h30m", &ms) == 0 && ms == 5400000, "1h30m");
	ok(tf_parse_duration("7d", &ms) == 0 && ms == 604800000LL, "7d");
	ok(tf_parse_duration("250ms", &ms) == 0 && ms == 250, "250ms");
	ok(tf_parse_duration("soon", &ms) != 0, "words rejected");
	ok(tf_parse_duration("10", &ms) != 0, "a bare number needs a unit");
	ok(tf_parse_duration("-5m", &ms) != 0, "negative rejected");
	{
		struct tf_hset hs = { 0 };
		struct tf_rate r = { 0 };
		uint64_t k;
		int fresh = 1;

		for (k = 0; k < 5000; k++)
			fresh &= tf_hset_test_and_add(&hs, k * 0x9e3779b97f4a7c15ULL) == 0;
		ok(fresh && hs.n == 5000, "hash set: 5000 new keys, across growth");
		ok(tf_hset_test_and_add(&hs, 0) == 1 && tf_hset_has(&hs, 5ULL * 0x9e3779b97f4a7c15ULL) &&
		    !tf_hset_has(&hs, 7), "hash set: seen keys are found (0 is a key too), others not");
		tf_hset_free(&hs);

		ok(tf_rate_get(&r, 100) == 0, "rate: nothing counted yet");
		tf_rate_add(&r, 100, 30);
		ok(tf_rate_get(&r, 100) == 30, "rate: 30 in the first second is 30/s");
		tf_rate_add(&r, 109, 70);
		ok(tf_rate_get(&r, 109) == 10, "rate: 100 over the first 10 seconds is 10/s");
		ok(tf_rate_get(&r, 159) == 100.0 / 60, "rate: a minute on, over the last minute");
		ok(tf_rate_get(&r, 165) == 70.0 / 60, "rate: counts older than a minute drop out");
		tf_rate_add(&r, 169 + 60, 6);
		ok(tf_rate_get(&r, 229) == 0.1, "rate: a slot is reused a minute later, not added to");
	}
	ok(tf_parse_time("1716800400", &ms) == 0 && ms == 1716800400000LL, "epoch seconds");
	ok(tf_parse_time("20666666666666666666666", &ms) != 0,
	    "epoch seconds past the year 9999 rejected (found by fuzz_conf: it overflowed)");
	ok(tf_parse_time("1e999", &ms) != 0, "an infinite epoch rejected");

	test_when();

	setenv("TFDRIFT_NOW", "2024-05-27T10:00:00Z", 1);
	is_int(tf_now_ms(), 1716804000000LL, "TFDRIFT_NOW fakes the clock");
	unsetenv("TFDRIFT_NOW");
	ok(tf_now_ms() > 1716804000000LL, "real clock otherwise");

	sb_init(&sb);
	sb_adds(&sb, "a");
	sb_addf(&sb, "%d-%s", 42, "b");
	sb_addc(&sb, '!');
	is_str(sb.buf, "a42-b!", "strbuf appends");
	{
		char *big = xmalloc(100000);

		memset(big, 'x', 99999);
		big[99999] = '\0';
		sb_adds(&sb, big);
		is_int(sb.len, 6 + 99999, "strbuf grows without truncating");
		free(big);
	}
	data = sb_detach(&sb);
	is_int(sb.len, 0, "detach resets");
	free(data);

	ok(tf_glob("arn:aws:iam::*:role/aws-service-role/*", "arn:aws:iam::1:role/aws-service-role/x/y"), "glob *");
	ok(!tf_glob("*.amazonaws.com", "evil.example"), "glob mismatch");
	ok(tf_str_has_suffix("a.json.gz", ".gz") && !tf_str_has_suffix("gz", ".gz"), "suffix");

	tf_sha256_hex("abc", 3, buf, 16);
	is_str(buf, "ba7816bf8f01cfea", "sha256 prefix (FIPS 180-2 test vector)");

	fd = mkstemp(path);
	close(fd);
	gz = gzopen(path, "wb");
	gzputs(gz, "{\"Records\":[]}\n");
	gzclose(gz);
	ok(tf_read_file(path, TF_FILE_CONFIG, &data, &len, &err) == 0 && len == 15 && strncmp(data, "{\"Records\":[]}", 14) == 0,
	    "gzip file read transparently");
	free(data);
	unlink(path);
	ok(tf_read_file(path, TF_FILE_CONFIG, &data, &len, &err) != 0 && err != NULL && strstr(err, path) != NULL,
	    "missing file: error names it (%s)", err ? err : "");
	free(err);
	return done_testing();
}
