#!/bin/sh
# make bench (workers): events/s end to end into one PostgreSQL store with 1, 2 and 4
# `tfdrift watch --once` workers from file sources (competing consumers, not leased: the
# events file is split into one part per worker), and one worker into SQLite for comparison.
# Run under tests/pg/with_pg.sh (TFDRIFT_TEST_PG_URI, PG* set).
#   workers.sh TFDRIFT SRCDIR OUTDIR EVENTS.ndjson LINES
# Prints key=value lines: workers_<backend>_<n>_events_per_s, _seconds, _events_stored.
set -eu
tfdrift=$1
src=$2
out=$3/workers
events=$4
lines=$5
. "$src/tests/pg/pgcluster.sh"
PG_BIN=$(pg_find_bin)
rm -rf "$out"
mkdir -p "$out"
head -n "$lines" "$events" > "$out/all.ndjson"
n_in=$(wc -l < "$out/all.ndjson")
state=$src/tests/data/live/aws_s3_full.tfstate
now() { date +%s%N; }

# run BACKEND N STORE: N workers, each on its part, all at once; the wall time until the last
# exits.
run() {
	_b=$1 _n=$2 _store=$3
	rm -f "$out"/part.*
	split -n "l/$_n" -d "$out/all.ndjson" "$out/part."
	printf 'states: [%s]\nstore: %s\n' "$state" "$_store" > "$out/$_b$_n.yaml"
	_t0=$(now)
	_pids=
	for _p in "$out"/part.*; do
		"$tfdrift" -c "$out/$_b$_n.yaml" watch --once --events "$_p" > /dev/null \
		    2> "$_p.err" &
		_pids="$_pids $!"
	done
	for _pid in $_pids; do
		wait "$_pid" || true
	done
	cat "$out"/part.*.err >&2
	_t1=$(now)
	awk -v b="$_b" -v n="$_n" -v ev="$n_in" -v t0="$_t0" -v t1="$_t1" 'BEGIN {
		s = (t1 - t0) / 1e9
		printf "workers_%s_%d_seconds=%.3f\n", b, n, s
		printf "workers_%s_%d_events_per_s=%.0f\n", b, n, ev / s
	}'
}

echo "workers_input_events=$n_in"
for n in 1 2 4; do
	uri=$(pg_new_database "bench$n")
	run postgresql "$n" "$uri"
	echo "workers_postgresql_${n}_events_stored=$(pg_psql -d "bench$n" -c 'SELECT count(*) FROM events_seen')"
done
run sqlite 1 "$out/one.db"
echo "workers_sqlite_1_events_stored=$(/usr/bin/python3 -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM events_seen").fetchone()[0])' "$out/one.db")"
