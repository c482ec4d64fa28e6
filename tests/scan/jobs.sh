#!/bin/sh
# scan --jobs: the same stdout, stderr and exit status with one thread, four, and the default,
# in every output format, on the public samples (tests/data, and ../shared/data when there)
# and on the scenario inputs (run_scenarios.py through a wrapper that runs each scan both
# ways). TFDRIFT_SCAN_PIECE cuts the small samples into pieces of a few dozen bytes, so
# records meet piece boundaries everywhere.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
# One clock for both runs (the json document says when it was made).
TFDRIFT_NOW=2024-06-01T00:00:00Z
export TFDRIFT_NOW
none=$T_TMP/none.tfstate
printf '{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":"e","resources":[]}' > "$none"
data=$TOP_SRCDIR/tests/data
state=$data/tfstate/v4_complex.tfstate

# same LABEL ARGS...: scan ARGS with --jobs 1, then --jobs 4 in small pieces and the default:
# one ok for the lot.
same() {
	label=$1
	shift
	"$TFDRIFT" scan --jobs 1 "$@" > "$T_TMP/o1" 2> "$T_TMP/e1" < /dev/null
	r1=$?
	bad=
	for how in "4 61" "4 0" "2 7" "default 0"; do
		j=${how% *} piece=${how#* }
		if [ "$j" = default ]; then
			TFDRIFT_SCAN_PIECE=$piece "$TFDRIFT" scan "$@" > "$T_TMP/o2" 2> "$T_TMP/e2" < /dev/null
		elif [ "$piece" = 0 ]; then
			"$TFDRIFT" scan --jobs "$j" "$@" > "$T_TMP/o2" 2> "$T_TMP/e2" < /dev/null
		else
			TFDRIFT_SCAN_PIECE=$piece "$TFDRIFT" scan -j "$j" "$@" > "$T_TMP/o2" 2> "$T_TMP/e2" < /dev/null
		fi
		r2=$?
		if [ "$r1" != "$r2" ] || ! cmp -s "$T_TMP/o1" "$T_TMP/o2" ||
		    ! cmp -s "$T_TMP/e1" "$T_TMP/e2"; then
			bad="$bad jobs=$j piece=$piece (exit $r1 vs $r2)"
			diff "$T_TMP/o1" "$T_TMP/o2" | head -5 | sed 's/^/# /'
			diff "$T_TMP/e1" "$T_TMP/e2" | head -5 | sed 's/^/# /'
		fi
	done
	ok "$([ -z "$bad" ] && echo 0 || echo 1)" "$label: the same as --jobs 1${bad:+ but for$bad}"
}

set --
for f in "$data"/events/*; do
	set -- "$@" --events "$f"
done
# Every format, every sample at once (documents, JSON lines, gzip, truncated files).
for fmt in json jsonl text csv sarif markdown; do
	same "tests/data samples, $fmt" --state "$state" "$@" --format "$fmt" --explain
done
for f in "$data"/events/*; do
	same "$(basename "$f")" --state "$state" --events "$f" --format jsonl --explain
done
same "--since/--until, --quiet" --state "$state" "$@" --since 2023-01-01 --until 2024-06-01 \
    --format jsonl --quiet

if need_shared; then
	set --
	for f in "$SHARED_DATA"/cloudtrail/* "$SHARED_DATA"/gcpaudit/*; do
		case $f in *.meta.jsonl) continue ;; esac
		set -- "$@" "$f"
	done
	same "every shared sample in one scan" --state "$none" --format jsonl --explain --events "$@"
	inv=$SHARED_DATA/cloudtrail/DERIVED_invictus_all_records_sorted.ndjson
	for fmt in json jsonl text csv sarif markdown; do
		same "invictus JSON lines, $fmt" --state "$none" --events "$inv" --format "$fmt"
	done
	# A broken document among good inputs: its error at the same place, the rest read.
	same "a broken sample among others" --state "$none" --format jsonl --events \
	    "$inv" "$SHARED_DATA/cloudtrail/zmallen-c2s_aws.execution.ec2-user-data.json" "$inv"
else
	t_skip "shared samples" "no shared data at $SHARED_DATA"
fi

# --store: the same rows saved (the store's dump), the same output.
if command -v sqlite3 > /dev/null 2>&1; then
	mkdir -p "$T_TMP/s1" "$T_TMP/s4"
	(cd "$T_TMP/s1" && "$TFDRIFT" scan --jobs 1 --store drift.db --state "$state" --events \
	    "$data"/events/* --format jsonl > out 2> err < /dev/null; echo $? > rc)
	(cd "$T_TMP/s4" && TFDRIFT_SCAN_PIECE=61 "$TFDRIFT" scan --jobs 4 --store drift.db --state \
	    "$state" --events "$data"/events/* --format jsonl > out 2> err < /dev/null; echo $? > rc)
	for f in out err rc; do
		t_is "--store: $f the same with --jobs 4" "$(cat "$T_TMP/s4/$f")" "$(cat "$T_TMP/s1/$f")"
	done
	t_is "--store: the store holds the same" "$(sqlite3 "$T_TMP/s4/drift.db" .dump)" \
	    "$(sqlite3 "$T_TMP/s1/drift.db" .dump)"
else
	t_skip "--store" "no sqlite3"
fi

# The scenarios: each scan run both ways by a wrapper; a difference is logged.
cat > "$T_TMP/wrap.sh" <<EOF
#!/bin/sh
"$TFDRIFT" "\$@" --jobs 1 > "$T_TMP/w1" 2> "$T_TMP/we1"; r1=\$?
TFDRIFT_SCAN_PIECE=53 "$TFDRIFT" "\$@" --jobs 3 > "$T_TMP/w2" 2> "$T_TMP/we2"; r2=\$?
if [ \$r1 != \$r2 ] || ! cmp -s "$T_TMP/w1" "$T_TMP/w2" || ! cmp -s "$T_TMP/we1" "$T_TMP/we2"; then
	echo "\$*" >> "$T_TMP/wrap.log"
fi
cat "$T_TMP/w1"; cat "$T_TMP/we1" >&2
exit \$r1
EOF
chmod +x "$T_TMP/wrap.sh"
: > "$T_TMP/wrap.log"
TFDRIFT=$T_TMP/wrap.sh /usr/bin/python3 "$TOP_SRCDIR/tests/scan/run_scenarios.py" > "$T_TMP/scen.tap" 2>&1
t_is "the scenarios pass with the wrapper" "$?" 0
t_is "every scenario's scan is the same with --jobs 3 in pieces" "$(cat "$T_TMP/wrap.log")" ""
t_like "scenarios ran" "$(grep -c '^ok' "$T_TMP/scen.tap")" '^[1-9]'

# --jobs takes a number of threads.
for bad in 0 -1 x 65 2x ""; do
	t_exit "--jobs '$bad' is refused" 1 "$TFDRIFT" scan --jobs "$bad" --state "$none" --events "$data/events/eventbridge.jsonl"
	t_like "--jobs '$bad': the error says what it takes" "$T_ERR" "--jobs.*1 to 64"
done
t_done
