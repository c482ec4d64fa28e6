#!/bin/sh
# Build every tests/fuzz/fuzz_*.c as a libFuzzer target (clang, ASan + UBSan) against the
# library sources, into BUILD/tests/fuzz/out/. With --run SECONDS, also run each target that
# long and fail if any target crashes, leaks, hangs or trips a sanitizer.
#
#   tests/fuzz/build.sh SRC BUILD [--run SECONDS] [--jobs N] [TARGET...]
#
# SRC is the source tree, BUILD a configured build tree (it holds config.h). `make fuzz` runs
# this with --run $(FUZZ_SECONDS) (default 60) over $(FUZZ_TARGETS) (default all) with
# $(FUZZ_JOBS) targets at a time (default 1).
#
# Corpus of a target: BUILD/tests/fuzz/out/corpus-TARGET (kept between runs, grown by each
# run), seeded from tests/fuzz/seeds/TARGET/ (inputs made for it, and regress-* reproducers of
# what fuzzing found) and from every small file under tests/data and rules. A dictionary
# tests/fuzz/TARGET.dict, when there is one, is passed with -dict=.
#
# Output: one line per target, "PASS: fuzz_x ..." or "FAIL: fuzz_x (why)", then (with --run)
# a table per target: seconds, executions, cov: and ft: as libFuzzer last reported them,
# corpus files, and crashes (crash-, leak-, timeout- and oom- files written for it, which
# stay in BUILD/tests/fuzz/out/). Exit 1 if any target failed.
set -u

usage() {
	echo "usage: $0 SRC BUILD [--run SECONDS] [--jobs N] [TARGET...]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
SRC=$(cd "$1" && pwd) || exit 2
BUILD=$(cd "$2" && pwd) || exit 2
shift 2
RUN=0
JOBS=1
ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	--run) [ $# -ge 2 ] || usage; RUN=$2; shift ;;
	--jobs) [ $# -ge 2 ] || usage; JOBS=$2; shift ;;
	-h|--help) usage ;;
	fuzz_*) ONLY="$ONLY ${1%.c}" ;;
	*) usage ;;
	esac
	shift
done
case $RUN in *[!0-9]*|'') echo "fuzz: --run wants whole seconds, not '$RUN'" >&2; exit 2 ;; esac
case $JOBS in *[!0-9]*|''|0) echo "fuzz: --jobs wants a number above 0, not '$JOBS'" >&2; exit 2 ;; esac

OUT=$BUILD/tests/fuzz/out
OBJ=$OUT/obj
CC=${FUZZ_CC:-clang}
mkdir -p "$OBJ" || exit 1

if [ ! -f "$BUILD/config.h" ]; then
	echo "fuzz: $BUILD/config.h is missing: run ./bootstrap (or configure) first" >&2
	exit 1
fi

# clang must be able to link libFuzzer (Debian 12: libclang-rt-14-dev).
fuzzer_works() {
	printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' \
	    > "$OBJ/probe.c" &&
	$CC -fsanitize=fuzzer,address,undefined "$OBJ/probe.c" -o "$OBJ/probe" \
	    > "$OBJ/probe.log" 2>&1
}
if ! command -v "$CC" >/dev/null 2>&1 || ! fuzzer_works; then
	echo "fuzz: $CC cannot build libFuzzer targets; installing clang's runtime" >&2
	"$SRC/bootstrap" --deps-only --fuzz >&2 || exit 1
	if ! fuzzer_works; then
		echo "fuzz: $CC -fsanitize=fuzzer still fails:" >&2
		cat "$OBJ/probe.log" >&2
		exit 1
	fi
fi

PKGS=
for p in json-c yaml-0.1 sqlite3 zlib libcrypto libcurl ncursesw libpq libmicrohttpd libsystemd; do
	pkg-config --exists "$p" 2>/dev/null && PKGS="$PKGS $p"
done
# shellcheck disable=SC2086
PKG_CFLAGS=$(pkg-config --cflags $PKGS)
# shellcheck disable=SC2086
PKG_LIBS=$(pkg-config --libs $PKGS)
# Word-split on purpose below (paths with spaces are not supported); the quotes in
# -DPKGDATADIR reach the compiler as part of the macro's value, as intended.
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
# shellcheck disable=SC2089
CFLAGS="-std=gnu11 -g -O1 $SAN -pthread -I$BUILD -I$SRC -I$SRC/src \
-DPKGDATADIR=\"/nonexistent\" -DABS_TOP_SRCDIR=\"$SRC\" -DTFDRIFT_FUZZING=1 $PKG_CFLAGS"

# The embedded themes (theme.c needs them), made from themes/*.yaml the way Makefile.am
# makes src/ui/theme_builtin.c, so this works from a tree that was never built.
THEMES="default light monochrome high-contrast"
BUILTIN=$OBJ/theme_builtin.c
if [ ! -f "$BUILTIN" ] || [ -n "$(find "$SRC/themes" -name '*.yaml' -newer "$BUILTIN")" ]; then
	{
		echo '/* Generated from the files in themes/ by tests/fuzz/build.sh: do not edit. */'
		echo '#include "config.h"'
		echo '#include "ui/theme.h"'
		for b in $THEMES; do
			n=$(echo "$b" | sed 's/[^A-Za-z0-9]/_/g')
			echo "static const unsigned char theme_${n}[] = {"
			od -A n -v -t u1 "$SRC/themes/$b.yaml" |
			    awk '{ for (i = 1; i <= NF; i++) printf "%s,", $i; printf "\n" }'
			echo '0 };'
		done
		echo 'const struct theme_builtin theme_builtins[] = {'
		for b in $THEMES; do
			n=$(echo "$b" | sed 's/[^A-Za-z0-9]/_/g')
			echo "	{ \"$b\", (const char *)theme_$n, sizeof theme_$n - 1 },"
		done
		echo '};'
		echo 'const size_t theme_nbuiltins = sizeof theme_builtins / sizeof theme_builtins[0];'
	} > "$BUILTIN.tmp" && mv "$BUILTIN.tmp" "$BUILTIN"
fi

# The library: every src/**/*.c but main.c, cli.c, the commands (src/cmd/) and the curses UI
# (its query parser, src/ui/filter.c, and its theme loader, src/ui/theme.c, are in), in an
# archive so a target links only what it uses.
LIBOBJS=
failed_lib=0
for f in $(cd "$SRC" && { find src -name '*.c' ! -path 'src/ui/*' ! -path 'src/cmd/*' ! -name main.c \
    ! -name cli.c;
    echo src/ui/filter.c; echo src/ui/theme.c; } | sort) "$BUILTIN"; do
	case $f in /*) p=$f ;; *) p=$SRC/$f ;; esac
	o=$OBJ/$(echo "${f#"$OBJ"/}" | sed 's/\.c$//' | tr / _).o
	if [ ! -f "$o" ] || [ -n "$(find "$p" "$SRC/src" "$BUILD/config.h" -name '*.h' \
	    -newer "$o" -o -path "$p" -newer "$o")" ]; then
		# shellcheck disable=SC2086,SC2090
		if ! $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$p" -o "$o" > "$o.log" 2>&1; then
			echo "fuzz: cannot compile $f:" >&2
			tail -n 20 "$o.log" >&2
			rm -f "$o"
			failed_lib=1
			continue
		fi
	fi
	LIBOBJS="$LIBOBJS $o"
done
rm -f "$OBJ/libtfdrift-fuzz.a"
# shellcheck disable=SC2086
[ -n "$LIBOBJS" ] && ar rcs "$OBJ/libtfdrift-fuzz.a" $LIBOBJS

TARGETS=
for f in "$SRC"/tests/fuzz/fuzz_*.c; do
	[ -f "$f" ] || continue
	t=$(basename "$f" .c)
	if [ -n "$ONLY" ]; then
		case " $ONLY " in *" $t "*) ;; *) continue ;; esac
	fi
	TARGETS="$TARGETS $t"
done
for t in $ONLY; do
	[ -f "$SRC/tests/fuzz/$t.c" ] || { echo "fuzz: no target $t in $SRC/tests/fuzz" >&2; exit 2; }
done
if [ -z "$TARGETS" ]; then
	echo "fuzz: no targets in $SRC/tests/fuzz" >&2
	exit 1
fi

# Shared seeds: every small file under tests/data and the shipped YAML (rules, themes).
SEEDS=$OUT/seeds
if [ "$RUN" != 0 ]; then
	rm -rf "$SEEDS"
	mkdir -p "$SEEDS"
	n=0
	find "$SRC/tests/data" "$SRC/rules" "$SRC/themes" -type f -size -256k 2>/dev/null | sort |
	while read -r f; do
		n=$((n + 1))
		cp "$f" "$SEEDS/$n-$(basename "$f")"
	done
fi

# run_target T: fuzz T for $RUN seconds; writes $OUT/T.result (the PASS/FAIL line) and
# $OUT/T.stats (secs execs cov ft corpus crashes).
run_target() {
	t=$1
	bin=$OUT/$t
	log=$OUT/$t.log
	corpus=$OUT/corpus-$t
	mkdir -p "$corpus"
	rm -f "$OUT/crash-$t-"* "$OUT/timeout-$t-"* "$OUT/leak-$t-"* "$OUT/oom-$t-"* \
	    "$OUT/slow-unit-$t-"*
	own=
	[ -d "$SRC/tests/fuzz/seeds/$t" ] && own=$SRC/tests/fuzz/seeds/$t
	dict=
	[ -f "$SRC/tests/fuzz/$t.dict" ] && dict=-dict=$SRC/tests/fuzz/$t.dict
	start=$(date +%s)
	# shellcheck disable=SC2086
	TFDRIFT_DATADIR=$SRC ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	    "$bin" -max_total_time="$RUN" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
	    -print_final_stats=1 $dict -artifact_prefix="$OUT/$t-" "$corpus" $own "$SEEDS" \
	    < /dev/null > "$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	# The last status line libFuzzer printed ("#N  DONE  cov: C ft: F corp: ...").
	last=$(grep -E '^#[0-9]+.* cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	files=$(find "$corpus" -type f | wc -l | tr -d ' ')
	crashes=$(find "$OUT" -maxdepth 1 \( -name "$t-crash-*" -o -name "$t-leak-*" -o \
	    -name "$t-timeout-*" -o -name "$t-oom-*" \) | wc -l | tr -d ' ')
	echo "$secs ${runs:-?} ${cov:-?} ${ft:-?} $files $crashes" > "$OUT/$t.stats"
	if [ $rc -ne 0 ]; then
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		{
			echo "FAIL: $t (exit $rc after ${runs:-?} runs${art:+; input saved as $art})"
			grep -E 'ERROR|SUMMARY|runtime error|^fuzz: |#[0-9]+ 0x' "$log" | head -n 30 |
			    sed 's/^/    /'
		} > "$OUT/$t.result"
	else
		echo "PASS: $t (${runs:-?} runs in ${RUN}s)" > "$OUT/$t.result"
	fi
}

status=0
RUNNABLE=
for t in $TARGETS; do
	bin=$OUT/$t
	log=$OUT/$t.log
	# shellcheck disable=SC2086,SC2090
	if ! $CC $CFLAGS -fsanitize=fuzzer -Werror=implicit-function-declaration \
	    "$SRC/tests/fuzz/$t.c" "$OBJ/libtfdrift-fuzz.a" $PKG_LIBS -lm -o "$bin" > "$log" 2>&1; then
		echo "FAIL: $t (does not build)"
		tail -n 30 "$log" | sed 's/^/    /'
		status=1
		continue
	fi
	if [ "$RUN" = 0 ]; then
		echo "PASS: $t (built $bin)"
		continue
	fi
	RUNNABLE="$RUNNABLE $t"
done

# Run JOBS targets at a time; print each result in target order as it comes.
if [ "$RUN" != 0 ] && [ -n "$RUNNABLE" ]; then
	set -- $RUNNABLE
	while [ $# -gt 0 ]; do
		batch=
		i=0
		while [ $# -gt 0 ] && [ $i -lt "$JOBS" ]; do
			batch="$batch $1"
			shift
			i=$((i + 1))
		done
		for t in $batch; do
			rm -f "$OUT/$t.result" "$OUT/$t.stats"
			run_target "$t" &
		done
		wait
		for t in $batch; do
			cat "$OUT/$t.result"
			case $(head -n 1 "$OUT/$t.result") in FAIL:*) status=1 ;; esac
		done
	done
	echo
	printf '%-18s %6s %10s %7s %7s %7s %7s\n' target seconds execs cov ft corpus crashes
	for t in $RUNNABLE; do
		# shellcheck disable=SC2046
		set -- $(cat "$OUT/$t.stats")
		printf '%-18s %6s %10s %7s %7s %7s %7s\n' "$t" "$1" "$2" "$3" "$4" "$5" "$6"
	done
	echo "(crash reproducers, if any: $OUT/TARGET-crash-*; corpora: $OUT/corpus-TARGET)"
fi
[ $failed_lib = 0 ] || echo "fuzz: some library sources did not compile (see above)" >&2
exit $status
