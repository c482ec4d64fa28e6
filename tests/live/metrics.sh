#!/bin/sh
# watch --metrics against the CloudTrail mock (tests/mock/cloudtrail.js) and a webhook receiver
# (tests/mock/receivers.js): /metrics passes `promtool check metrics` (Debian's prometheus
# package), its events by outcome are what `scan` reports for the same events, its
# notification counters what the receiver got, throttles and errors are counted; /healthz
# turns 503 naming the source while the mock refuses it and 200 once it answers again;
# /readyz; metrics.listen in the config and `config check`; a bad address and a port in use
# are refused clearly; every tfdrift_ metric the Grafana dashboard (doc/grafana/tfdrift.json)
# queries exists in /metrics.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd curl || t_skip_all "curl is not installed"
PROMTOOL=$(command -v promtool || true)

DATA="$TOP_SRCDIR/tests/data/live/invictus_1215Z.json"
STATE="$TOP_SRCDIR/tests/data/live/aws_s3_full.tfstate"
SECRET=wJalrXUtnFEMI-K7MDENG-metrics-secret
mock_start ct "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDMETRICS:$SECRET"
mock_start R "$TOP_SRCDIR/tests/mock/receivers.js"
AWS_ACCESS_KEY_ID=AKIDMETRICS
AWS_SECRET_ACCESS_KEY=$SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDTRAIL

# A free loopback port (the kernel's pick, released for watch to take).
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
M="http://127.0.0.1:$PORT"

# fetch PATH: the status code in CODE, the body in $T_TMP/body.
fetch() {
	CODE=$(curl -s --max-time 5 -o "$T_TMP/body" -w '%{http_code}' "$M$1")
}
# wait_for SECONDS CMD...: until CMD succeeds (every 0.2 s).
wait_for() {
	_n=$(($1 * 5))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		_n=$((_n - 1))
	done
	return 1
}
# metric NAME{LABELS}: the value of one series in $T_TMP/metrics (empty when absent).
metric() {
	awk -v s="$1 " 'substr($0, 1, length(s)) == s { print $NF }' "$T_TMP/metrics"
}
scrape() {
	curl -s --max-time 5 "$M/metrics" > "$T_TMP/metrics"
}

# watch reads a copy of the state, which the test breaks and mends.
cp "$STATE" "$T_TMP/state.tfstate"
WSTATE=$T_TMP/state.tfstate
cat > "$T_TMP/w.yaml" <<CFG
states: [$WSTATE]
state_refresh: 1s
store: $T_TMP/w.db
metrics:
  listen: 127.0.0.1:$PORT
outputs:
  - name: hook
    type: webhook
    url: $MOCK_URL_R/webhook/metrics
sources:
  aws:
    - name: lab
      regions: [us-east-1]
      poll_interval: 1s
      lookback: 2h
      endpoint: $MOCK_URL_ct
CFG

t_run "$TFDRIFT" -c "$T_TMP/w.yaml" config check
t_like "config check prints metrics.listen back" "$T_OUT" "^  listen: \"?127\.0\.0\.1:$PORT\"?\$"

"$TFDRIFT" -c "$T_TMP/w.yaml" watch > "$T_TMP/w.out" 2> "$T_TMP/w.err" &
PID=$!
t_kill_at_exit "$PID"

ready() { fetch /readyz && [ "$CODE" = 200 ]; }
t_ok "/readyz: 200 once the states are loaded and the sources started" wait_for 20 ready
t_is "/readyz says ready" "$(cat "$T_TMP/body")" '{"status":"ready"}'
t_like "watch says where it serves" "$(cat "$T_TMP/w.err")" \
    "^tfdrift: metrics on http://127\.0\.0\.1:$PORT/metrics"

# The first poll reads the whole lookback; wait until every finding went to the receiver.
nfindings() { grep -c '^{' "$T_TMP/w.out" 2> /dev/null || true; }
settled() {
	scrape
	n=$(metric 'tfdrift_notifications_sent_total{output="hook",type="webhook"}')
	p=$(metric 'tfdrift_source_polls_total{source="cloudtrail lab us-east-1"}')
	[ -n "$n" ] && [ "$n" -gt 0 ] && [ "${p:-0}" -gt 0 ] &&
	    [ "$(mock_get R /__control/received | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["webhook"]))')" = "$n" ]
}
t_ok "findings are delivered and counted" wait_for 30 settled
sleep 2
scrape
cp "$T_TMP/metrics" "$T_TMP/metrics.first"

if [ -n "$PROMTOOL" ]; then
	t_ok "promtool check metrics accepts /metrics" "$PROMTOOL" check metrics < "$T_TMP/metrics"
	t_run sh -c "'$PROMTOOL' check metrics < '$T_TMP/metrics' 2>&1"
	t_is "without a lint warning" "$T_OUT" ""
else
	t_skip "promtool check metrics accepts /metrics" "promtool is not installed (Debian: prometheus)"
	t_skip "without a lint warning" "promtool is not installed"
fi
t_like "text format 0.0.4" "$(curl -s -D - -o /dev/null "$M/metrics")" \
    '^Content-Type: text/plain; version=0\.0\.4; charset=utf-8'

# The same events through scan: LookupEvents reads write events only (ReadOnly=false).
python3 - "$DATA" "$T_TMP/writes.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
recs = d["Records"] if isinstance(d, dict) else d
json.dump({"Records": [r for r in recs if not r.get("readOnly")]}, open(sys.argv[2], "w"))
PY
printf 'states: [%s]\n' "$STATE" > "$T_TMP/scan.yaml"
t_run "$TFDRIFT" -c "$T_TMP/scan.yaml" scan --events "$T_TMP/writes.json"
SCAN_ERR=$T_ERR
# "tfdrift: N events from ...", "tfdrift: not drift: A read-only, B by terraform, ..."
scan_count() {
	printf '%s\n' "$SCAN_ERR" | sed -n "s/.*[^0-9]\([0-9][0-9]*\) $1.*/\1/p" | head -n 1
}
S='source="cloudtrail lab us-east-1"'
ev() { v=$(metric "tfdrift_events_total{$S,outcome=\"$1\"}"); echo "${v:-missing}"; }
SUM=0
for o in drift read_only failed terraform service not_covered equal_value not_managed \
    no_resource_id deferred; do
	SUM=$((SUM + $(ev $o)))
done
t_is "events read (duplicates aside) = scan's events" "$SUM" "$(printf '%s\n' "$SCAN_ERR" | sed -n 's/^tfdrift: \([0-9]*\) events* from.*/\1/p')"
t_is "outcome read_only = scan's" "$(ev read_only)" "$(scan_count 'read-only')"
t_is "outcome terraform = scan's" "$(ev terraform)" "$(scan_count 'by terraform')"
t_is "outcome failed = scan's" "$(ev failed)" "$(scan_count 'failed')"
t_is "outcome service = scan's" "$(ev service)" "$(scan_count 'by cloud services')"
t_is "outcome equal_value = scan's" "$(ev equal_value)" "$(scan_count 'equal to state')"
t_is "outcome not_covered = scan's" "$(ev not_covered)" "$(scan_count 'not covered')"
t_is "outcome not_managed = scan's" "$(ev not_managed)" "$(scan_count 'not managed')"
t_ok "some drift ($(ev drift) events)" test "$(ev drift)" -gt 0
# Findings made: what watch printed open (resolutions are counted apart).
OPENED=$(grep '^{' "$T_TMP/w.out" | grep -v '"status":"resolved"' | sed 's/^{"id":"\([0-9a-f]*\)".*/\1/' | sort -u | wc -l | tr -d ' ')
FSUM=$(awk '/^tfdrift_findings_total\{/ { s += $NF } END { print s + 0 }' "$T_TMP/metrics")
t_is "findings by kind, severity and service add up to the findings printed" "$FSUM" "$OPENED"
ASUM=$(awk '/^tfdrift_findings_by_actor_total\{/ { s += $NF } END { print s + 0 }' "$T_TMP/metrics")
t_is "and by actor too" "$ASUM" "$OPENED"
STILL=$(python3 -c 'import json,sys
last = {}
for l in open(sys.argv[1]):
    if l.startswith("{"):
        f = json.loads(l)
        last[f["id"]] = f["status"]
print(sum(1 for s in last.values() if s == "open"))' "$T_TMP/w.out")
OSUM=$(awk '/^tfdrift_findings_open\{/ { s += $NF } END { print s + 0 }' "$T_TMP/metrics")
t_is "open findings by severity add up to those still open" "$OSUM" "$STILL"
RSUM=$(awk '/^tfdrift_resolutions_total\{/ { s += $NF } END { print s + 0 }' "$T_TMP/metrics")
t_is "resolutions counted as printed" "$RSUM" "$(grep -c '"status":"resolved"' "$T_TMP/w.out")"
RECEIVED=$(mock_get R /__control/received | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["webhook"]))')
t_is "notifications sent = what the receiver got" \
    "$(metric 'tfdrift_notifications_sent_total{output="hook",type="webhook"}')" "$RECEIVED"
t_is "none failed" "$(metric 'tfdrift_notifications_failed_total{output="hook",type="webhook"}')" 0
t_is "state resources as the state has them" \
    "$(metric "tfdrift_state_resources{state=\"$WSTATE\"}")" \
    "$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1]))
print(sum(len(r.get("instances", [])) for r in d["resources"] if r.get("mode") == "managed"))' "$STATE")"
t_is "state serial" "$(metric "tfdrift_state_serial{state=\"$WSTATE\"}")" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["serial"])' "$STATE")"
t_like "source lag in seconds" "$(metric "tfdrift_source_lag_seconds{$S}")" '^[0-9]+(\.[0-9]+)?$'
t_like "cursor age in seconds" "$(metric "tfdrift_source_cursor_age_seconds{$S}")" '^[0-9]+(\.[0-9]+)?$'
t_is "the source is up" "$(metric "tfdrift_source_up{$S}")" 1

fetch /healthz
t_is "/healthz: 200 while every source and state works" "$CODE" 200
t_is "status ok" "$(cat "$T_TMP/body")" '{"status":"ok","sources":{},"states":{}}'

# Throttled twice: retried, counted.
TH0=$(metric "tfdrift_source_throttles_total{$S}")
mock_get ct '/__control/throttle?n=2' > /dev/null
RE0=$(metric "tfdrift_source_retries_total{$S}")
throttled() { scrape; [ "$(metric "tfdrift_source_throttles_total{$S}")" -ge $((TH0 + 2)) ]; }
t_ok "throttles counted" wait_for 20 throttled
# The poll's status (its retries) is published when the poll ends.
retried() { scrape; [ "$(metric "tfdrift_source_retries_total{$S}")" -ge $((RE0 + 2)) ]; }
t_ok "and retried" wait_for 20 retried

# The mock refuses the source: /healthz names it, then recovers.
mock_get ct '/__control/deny?n=100000' > /dev/null
failing() { fetch /healthz && [ "$CODE" = 503 ]; }
t_ok "/healthz: 503 while the source fails" wait_for 20 failing
t_like "naming the source and why" "$(cat "$T_TMP/body")" \
    '^\{"status":"failing","sources":\{"cloudtrail lab us-east-1":".*AccessDeniedException.*"\},"states":\{\}\}$'
scrape
t_is "tfdrift_source_up 0" "$(metric "tfdrift_source_up{$S}")" 0
t_ok "errors counted" test "$(metric "tfdrift_source_errors_total{$S}")" -ge 1
mock_get ct '/__control/deny?n=0' > /dev/null
healthy() { fetch /healthz && [ "$CODE" = 200 ]; }
t_ok "/healthz: 200 again once the source answers" wait_for 20 healthy
fetch /nope
t_is "another path: 404" "$CODE" 404

# A state that stops parsing: /healthz names it, the last good index stays; mended, 200.
printf '{"version": 4, "serial": ' > "$WSTATE"
t_ok "/healthz: 503 while a state fails" wait_for 20 failing
t_like "naming the state" "$(cat "$T_TMP/body")" \
    "^\\{\"status\":\"failing\",\"sources\":\\{\\},\"states\":\\{\"$WSTATE\":\".+\"\\}\\}\$"
scrape
t_is "tfdrift_state_up 0" "$(metric "tfdrift_state_up{state=\"$WSTATE\"}")" 0
cp "$STATE" "$WSTATE"
t_ok "/healthz: 200 again once it parses" wait_for 20 healthy

# Every tfdrift_ metric the Grafana dashboard queries is in /metrics.
t_run python3 - "$TOP_SRCDIR/doc/grafana/tfdrift.json" "$T_TMP/metrics" <<'PY'
import json, re, sys
dash = json.load(open(sys.argv[1]))
have = set()
for line in open(sys.argv[2]):
    m = re.match(r"# TYPE (\S+) (counter|gauge)", line)
    if m:
        have.add(m.group(1))
used, exprs = set(), 0
def walk(o):
    global exprs
    if isinstance(o, dict):
        for k, v in o.items():
            if k in ("expr", "query", "definition") and isinstance(v, str):
                exprs += 1
                # Names in the PromQL, not label names or values inside {...} or "...".
                text = re.sub(r'"(\\.|[^"\\])*"', '""', v)
                used.update(re.findall(r"\btfdrift_[a-zA-Z0-9_:]*", text))
            else:
                walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(dash)
missing = sorted(used - have)
print("%d queries, %d metrics: %s" % (exprs, len(used), " ".join(sorted(used))))
if exprs == 0 or missing:
    print("not in /metrics: " + " ".join(missing))
    sys.exit(1)
PY
t_is "every metric the Grafana dashboard queries exists ($T_OUT)" "$T_RC" 0

# The alerting rules doc/metrics.md suggests load in Prometheus.
if [ -n "$PROMTOOL" ]; then
	awk '/^```yaml$/{n++; on=1; next} /^```$/{on=0} on && n == 2' "$TOP_SRCDIR/doc/metrics.md" > "$T_TMP/rules.yaml"
	t_ok "doc/metrics.md's alerting rules pass promtool check rules" "$PROMTOOL" check rules "$T_TMP/rules.yaml"
else
	t_skip "doc/metrics.md's alerting rules pass promtool check rules" "promtool is not installed"
fi

# A second watch on the same port: said plainly, exit 1.
t_run "$TFDRIFT" -c "$T_TMP/w.yaml" watch --metrics "127.0.0.1:$PORT" --store "$T_TMP/second.db"
t_is "a port in use: exit 1" "$T_RC" 1
t_like "saying so" "$T_ERR" "^tfdrift: --metrics 127\.0\.0\.1:$PORT: cannot listen there: Address already in use\$"

kill -TERM "$PID"
wait "$PID"
t_is "SIGTERM: exit 0" "$?" 0

# Not ready while the states load: a state server that accepts and never answers.
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1]); sys.stdout.flush(); time.sleep(120)' > "$T_TMP/hang.port" &
HPID=$!
t_kill_at_exit "$HPID"
wait_for 10 test -s "$T_TMP/hang.port"
"$TFDRIFT" -c "$T_TMP/w.yaml" watch --store "$T_TMP/slow.db" \
    --state "http://127.0.0.1:$(cat "$T_TMP/hang.port")/state" > /dev/null 2> "$T_TMP/slow.err" &
SPID=$!
t_kill_at_exit "$SPID"
notready() { fetch /readyz && [ "$CODE" = 503 ]; }
t_ok "/readyz: 503 while the states load" wait_for 20 notready
t_is "saying so" "$(cat "$T_TMP/body")" '{"status":"not ready","reason":"loading the states"}'
kill -TERM "$SPID" "$HPID"
wait "$SPID" "$HPID" 2> /dev/null

# Bad addresses: on the command line (usage, exit 1) and in the config.
t_run "$TFDRIFT" -c "$T_TMP/w.yaml" watch --metrics 9464
t_is "--metrics without a port: a usage error, exit 1" "$T_RC" 1
t_like "a clear message" "$T_ERR" '^tfdrift: --metrics 9464: no port: expected HOST:PORT \(127\.0\.0\.1:9464\)$'
t_run "$TFDRIFT" -c "$T_TMP/w.yaml" watch --metrics 127.0.0.1:70000
t_like "a port out of range" "$T_ERR" 'the port must be a number from 0 to 65535'
t_run "$TFDRIFT" -c "$T_TMP/w.yaml" watch --metrics 192.0.2.1:9464
t_is "an address not of this machine: exit 1" "$T_RC" 1
t_like "cannot listen there" "$T_ERR" '^tfdrift: --metrics 192\.0\.2\.1:9464: cannot listen there: '
printf 'states: [%s]\nmetrics:\n  listen: localhost\n' "$STATE" > "$T_TMP/bad.yaml"
t_run "$TFDRIFT" -c "$T_TMP/bad.yaml" config check
t_is "metrics.listen without a port: config check fails" "$T_RC" 1
t_like "at its line and column" "$T_ERR" 'bad\.yaml:3:11: metrics: listen: localhost: no port'
printf 'metrics:\n  port: 9464\n' > "$T_TMP/bad2.yaml"
t_run "$TFDRIFT" -c "$T_TMP/bad2.yaml" config check
t_like "an unknown key under metrics" "$T_ERR" "unknown key in metrics 'port'"
t_done
