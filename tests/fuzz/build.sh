#!/bin/sh
# Build every tests/fuzz/fuzz_*.c as a libFuzzer target (clang, ASan + UBSan) against the
# library sources, into BUILD/tests/fuzz/out/. With --run SECONDS, also run each target on a
# corpus seeded from tests/data/** (and rules/**/*.yaml) and fail if any target crashes.
#
#   tests/fuzz/build.sh SRC BUILD [--run SECONDS] [TARGET...]
#
# SRC is the source tree, BUILD a configured build tree (it holds config.h). One line per
# target is printed: "PASS: fuzz_x" or "FAIL: fuzz_x (why)". Exit 1 if any failed.
set -u

usage() {
	echo "usage: $0 SRC BUILD [--run SECONDS] [TARGET...]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
SRC=$(cd "$1" && pwd) || exit 2
BUILD=$(cd "$2" && pwd) || exit 2
shift 2
RUN=0
ONLY=
while [ $# -gt 0 ]; do
	case $1 in
	--run) [ $# -ge 2 ] || usage; RUN=$2; shift ;;
	-h|--help) usage ;;
	fuzz_*) ONLY="$ONLY ${1%.c}" ;;
	*) usage ;;
	esac
	shift
done

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
for p in json-c yaml-0.1 sqlite3 zlib libcrypto libcurl ncursesw; do
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

# The library: every src/**/*.c but main.c, cli.c and the curses UI (its query parser,
# src/ui/filter.c, is in), in an archive so a target links only what it uses.
LIBOBJS=
failed_lib=0
for f in $(cd "$SRC" && { find src -name '*.c' ! -path 'src/ui/*' ! -name main.c ! -name cli.c; echo src/ui/filter.c; } \
    | sort); do
	o=$OBJ/$(echo "${f%.c}" | tr / _).o
	if [ ! -f "$o" ] || [ -n "$(find "$SRC/$f" "$SRC/src" "$BUILD/config.h" -name '*.h' \
	    -newer "$o" -o -path "$SRC/$f" -newer "$o")" ]; then
		# shellcheck disable=SC2086,SC2090
		if ! $CC $CFLAGS -fsanitize=fuzzer-no-link -c "$SRC/$f" -o "$o" > "$o.log" 2>&1; then
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
if [ -z "$TARGETS" ]; then
	echo "fuzz: no targets in $SRC/tests/fuzz" >&2
	exit 1
fi

# Seed corpus: every small file under tests/data and the shipped YAML.
SEEDS=$OUT/seeds
if [ "$RUN" != 0 ]; then
	rm -rf "$SEEDS"
	mkdir -p "$SEEDS"
	n=0
	find "$SRC/tests/data" "$SRC/rules" -type f -size -256k 2>/dev/null | sort |
	while read -r f; do
		n=$((n + 1))
		cp "$f" "$SEEDS/$n-$(basename "$f")"
	done
fi

status=0
for t in $TARGETS; do
	bin=$OUT/$t
	log=$OUT/$t.log
	# shellcheck disable=SC2086,SC2090
	if ! $CC $CFLAGS -fsanitize=fuzzer -Werror=implicit-function-declaration "$SRC/tests/fuzz/$t.c" "$OBJ/libtfdrift-fuzz.a" \
	    $PKG_LIBS -lm -o "$bin" > "$log" 2>&1; then
		echo "FAIL: $t (does not build)"
		tail -n 30 "$log" | sed 's/^/    /'
		status=1
		continue
	fi
	if [ "$RUN" = 0 ]; then
		echo "PASS: $t (built $bin)"
		continue
	fi
	corpus=$OUT/corpus-$t
	mkdir -p "$corpus"
	rm -f "$OUT/crash-$t-"* "$OUT/timeout-$t-"* "$OUT/leak-$t-"* "$OUT/oom-$t-"*
	TFDRIFT_DATADIR=$SRC ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	    "$bin" -max_total_time="$RUN" -timeout=10 -rss_limit_mb=2048 -max_len=262144 \
	    -print_final_stats=1 -artifact_prefix="$OUT/" "$corpus" "$SEEDS" \
	    < /dev/null > "$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ $rc -ne 0 ]; then
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		echo "FAIL: $t (exit $rc after ${runs:-?} runs${art:+; input saved as $art})"
		grep -E 'ERROR|SUMMARY|runtime error|#[0-9]+ 0x' "$log" | head -n 30 | sed 's/^/    /'
		status=1
	else
		echo "PASS: $t (${runs:-?} runs in ${RUN}s)"
	fi
done
[ $failed_lib = 0 ] || echo "fuzz: some library sources did not compile (see above)" >&2
exit $status
