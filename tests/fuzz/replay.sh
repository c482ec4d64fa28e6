#!/bin/sh
# tests/fuzz/replay.sh: every libFuzzer target as a regression test. Each tests/fuzz/fuzz_*.c
# is also built with a plain driver (tests/fuzz/replay.c) as tests/fuzz/replay_* and run here
# over its own seeds and the reproducers of what fuzzing found (tests/fuzz/seeds/TARGET/,
# reproducers named regress-*), then over the shared seeds every target starts from (tests/data,
# rules and themes, as tests/fuzz/build.sh uses them). A target passes when no input crashes
# it, trips its oracles, or (in the sanitizer build) gets a sanitizer report.
# `make fuzz` does the fuzzing itself; this only replays.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

targets=$(cd "$TOP_SRCDIR/tests/fuzz" && ls fuzz_*.c | sed 's/\.c$//')
[ -n "$targets" ] || t_skip_all "no fuzz targets"
# The HTTP targets write their files under TFDRIFT_FUZZ_DIR's parent: keep them in T_TMP.
TMPDIR=$T_TMP
export TMPDIR

# Shared seeds: small files only, as build.sh takes them.
find "$TOP_SRCDIR/tests/data" "$TOP_SRCDIR/rules" "$TOP_SRCDIR/themes" -type f -size -256k | sort > "$T_TMP/shared"

for t in $targets; do
	bin=$TOP_BUILDDIR/tests/fuzz/replay_${t#fuzz_}
	if [ ! -x "$bin" ]; then
		ok 1 "$t: replay program built"
		t_diag "missing $bin: add it to fuzz_replay in Makefile.am"
		continue
	fi
	dirs=
	[ -d "$TOP_SRCDIR/tests/fuzz/seeds/$t" ] && dirs="$TOP_SRCDIR/tests/fuzz/seeds/$t"
	# shellcheck disable=SC2046,SC2086
	t_run "$bin" $dirs $(cat "$T_TMP/shared")
	if ok "$T_RC" "$t: seeds and reproducers replay cleanly ($(printf '%s' "$T_OUT" | tail -n 1))"; then
		continue
	fi
	t_diag "exit status $T_RC; the last input and what it caused:"
	printf '%s\n' "$T_ERR" | grep -E '^replay: |ERROR|SUMMARY|runtime error|^fuzz: |^ *#[0-9]+ ' |
	    tail -n 30 | t_indent
done
t_done
