#!/bin/sh
# make bench: generate inputs (once), run bench_scan, and print figures against the targets.
set -eu
build=$1
src=${TFDRIFT_DATADIR:?}
shared=${SHARED_DATA:?}
out=$build/tests/bench/out
mkdir -p "$out"
if [ ! -s "$out/events.ndjson" ]; then
	echo "generating ~290,000 CloudTrail records (100 copies of the invictus set, unique ids)..."
	/usr/bin/python3 "$src/tests/bench/gen.py" events \
	    "$shared/cloudtrail/DERIVED_invictus_all_records_sorted.ndjson" "$out/events.ndjson" 100
fi
if [ ! -s "$out/state.tfstate" ]; then
	echo "generating a state with 100,000 resources..."
	/usr/bin/python3 "$src/tests/bench/gen.py" state "$out/state.tfstate" 100000
fi
ls -l "$out"
"$build/tests/bench/bench_scan" "$out/state.tfstate" "$out/events.ndjson" "$src/rules/events" \
    | tee "$out/figures.txt"
awk -F= '
	{ v[$1] = $2 }
	END {
		ratio = v["scan_events_per_s"] / v["bare_parse_events_per_s"]
		printf "\nscan / bare parse throughput: %.2fx (target >= 0.75x) %s\n", ratio, (ratio >= 0.75) ? "MET" : "MISSED"
		full = v["scan_full_parse_events_per_s"] / v["bare_parse_events_per_s"]
		printf "scan without the read-only fast path / bare parse: %.2fx (for comparison)\n", full
		printf "scan peak RSS: %.1f MB (target <= 256 MB) %s\n", v["scan_peak_rss_mb"], (v["scan_peak_rss_mb"] <= 256) ? "MET" : "MISSED"
		printf "100k-resource state load+index: %.2f s (target <= 2 s) %s\n", v["state_load_and_index_seconds"], (v["state_load_and_index_seconds"] <= 2) ? "MET" : "MISSED"
	}' "$out/figures.txt"
