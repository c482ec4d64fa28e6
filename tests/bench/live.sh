#!/bin/sh
# live.sh: figures for the live sources, with the real `tfdrift watch` against the loopback
# CloudTrail mock (tests/mock/cloudtrail.js; every request signature-checked):
#  1. idle: CPU and RSS of watch over SECONDS with one CloudTrail poller (poll every 5 s);
#  (latency from the mock serving an event to its hand-over is measured by the collector's
#  probe: tests/live/cloudtrail.sh and ct_probe --latency)
#  2. load: watch --once over a large backlog (the sample cloned to ~14,000 write events)
#     with the limiter at AWS's 2 requests/s: events/s, CPU and peak RSS, requests/minute;
#  3. the engine alone at full speed: watch --once over 290,000 recorded events (files), to
#     show the pipeline is far from the bottleneck (CloudTrail's rate limit is).
# Prints key=value lines. usage: live.sh TFDRIFT SRCDIR BUILDDIR EVENTS_NDJSON [SECONDS]
set -eu
tfdrift=$1
src=$2
build=$3
big=$4
secs=${5:-10}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tfdrift-live.XXXXXX")
hz=$(getconf CLK_TCK)
pids=

cleanup() {
	for p in $pids; do kill "$p" 2> /dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the script through exit, so the EXIT trap cleans up then too.
trap "exit 129" HUP
trap "exit 130" INT
trap "exit 143" TERM

command -v node > /dev/null || { echo "# live: node is not installed, skipped"; exit 0; }
deps=$build/tests/mock-deps
if [ ! -f "$deps/node_modules/.tfdrift-ok" ]; then
	mkdir -p "$deps"
	cp "$src/tests/mock/package.json" "$src/tests/mock/package-lock.json" "$deps/"
	(cd "$deps" && npm ci --no-audit --no-fund --loglevel=error > npm.log 2>&1)
	touch "$deps/node_modules/.tfdrift-ok"
fi
NODE_PATH=$deps/node_modules
export NODE_PATH

ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

SECRET=bench-secret-not-a-real-one
node "$src/tests/mock/cloudtrail.js" --port 0 --records "$src/tests/data/live/invictus_1215Z.json" \
    --shift-newest-ago 120 --key "AKIDBENCH:$SECRET" > "$tmp/mock.out" 2> "$tmp/mock.log" &
pids="$pids $!"
i=0
while [ ! -s "$tmp/mock.out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
url=http://127.0.0.1:$(head -n 1 "$tmp/mock.out")
AWS_ACCESS_KEY_ID=AKIDBENCH
AWS_SECRET_ACCESS_KEY=$SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDTRAIL TFDRIFT_NOW

config() {  # config FILE INTERVAL STORE
	cat > "$1" <<CFG
states: [$src/tests/data/live/aws_s3_full.tfstate]
store: $3
sources:
  aws:
    - name: bench
      regions: [us-east-1]
      poll_interval: $2
      lookback: 2h
      endpoint: $url
CFG
}

# 1: a running watch, idle once its backlog is done.
config "$tmp/idle.yaml" 1s "$tmp/idle.db"
"$tfdrift" -c "$tmp/idle.yaml" watch > "$tmp/idle.out" 2> "$tmp/idle.err" &
wpid=$!
pids="$pids $wpid"
sleep 4         # the backlog (the sample) is read and printed
t0=$(ticks $wpid)
sleep "$secs"
t1=$(ticks $wpid)
echo "live_idle_cpu_seconds=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN { printf "%.3f", (b - a) / hz }')"
echo "live_idle_cpu_percent=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$secs" 'BEGIN { printf "%.2f", 100 * (b - a) / hz / s }')"
echo "live_idle_rss_mb=$(awk -v k="$(rss_kb $wpid)" 'BEGIN { printf "%.1f", k / 1024 }')"
kill -TERM $wpid
wait $wpid || true

# 2: a large backlog through the rate limit.
curl -s "$url/__control/clone?k=100" > /dev/null
curl -s "$url/__control/reset" > /dev/null
config "$tmp/load.yaml" 60s "$tmp/load.db"
start=$(date +%s%3N)
/usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$tfdrift" -c "$tmp/load.yaml" watch --once \
    > "$tmp/load.out" 2> "$tmp/load.err" || true
end=$(date +%s%3N)
n=$(curl -s "$url/__control/counters" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log(o.requests, JSON.stringify(o.max_rate), JSON.stringify(o.per_minute))})')
read -r el us sy mk <<EOF
$(tail -n 1 "$tmp/time")
EOF
echo "live_backlog_seconds=$el"
echo "live_backlog_cpu_seconds=$(awk -v u="$us" -v s="$sy" 'BEGIN { printf "%.2f", u + s }')"
echo "live_backlog_peak_rss_mb=$(awk -v k="$mk" 'BEGIN { printf "%.1f", k / 1024 }')"
echo "live_backlog_requests=$(echo "$n" | cut -d' ' -f1)"
echo "live_backlog_max_rate=$(echo "$n" | cut -d' ' -f2)"
echo "live_backlog_requests_per_minute=$(echo "$n" | cut -d' ' -f3)"
echo "live_backlog_findings=$(grep -c '^{' "$tmp/load.out" || true)"

# 3: the pipeline at full speed from a file.
if [ -s "$big" ]; then
	/usr/bin/time -f "%e %U %S %M" -o "$tmp/time2" "$tfdrift" watch --once --store "$tmp/f.db" \
	    --state "$src/doc/examples/prod.tfstate" --events "$big" > /dev/null 2> "$tmp/f.err" || true
	read -r el us sy mk <<EOF
$(tail -n 1 "$tmp/time2")
EOF
	nev=$(wc -l < "$big")
	echo "live_engine_events=$nev"
	echo "live_engine_seconds=$el"
	echo "live_engine_events_per_s=$(awk -v n="$nev" -v e="$el" 'BEGIN { printf "%.0f", n / e }')"
	echo "live_engine_peak_rss_mb=$(awk -v k="$mk" 'BEGIN { printf "%.1f", k / 1024 }')"
fi
