#!/bin/sh
# The Pub/Sub pull source (sources.gcp pubsub_subscription) against tests/mock/gcp.js speaking
# Pub/Sub's REST API (pull, acknowledge, modifyAckDeadline) with the Logging mock's auth checks,
# its messages built as a Logging sink publishes them from the real gcpdiag audit entries and
# the bundled example's morning of GCP changes: the same findings as the Logging source gives
# for the same entries; acknowledged only once stored (a worker killed before its acknowledge
# loses nothing and duplicates nothing); a bad message counted, named and acknowledged; an
# expired token refreshed; two workers on one subscription each get their share, every message
# processed once in all; a slow batch has its ack deadline extended; 429/503 retried.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
PY=${PYTHON:-python3}
need_cmd "$PY" || t_skip_all "python3 is not installed"
PROBE=$TOP_BUILDDIR/tests/live/ps_probe
DATA=$TOP_SRCDIR/tests/data/live
EX=$TOP_SRCDIR/doc/examples
SUB=projects/corp-logs/subscriptions/tfdrift

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
EMAIL=sink-reader@tfdrift-test.iam.gserviceaccount.com
unset CLOUDSDK_CONFIG GCE_METADATA_HOST TFDRIFT_GCP_TOKEN_EARLY_S
TFDRIFT_TRACE=$T_TMP/trace.log
export TFDRIFT_TRACE

# mock NAME ARGS...: a Logging + Pub/Sub mock serving the example's and gce5's entries, every
# entry also published to $SUB, and a service account key whose token endpoint it is.
mock() {
	_m=$1
	shift
	mock_start "$_m" "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" --client-email "$EMAIL" \
		--key-id k-0007 --secrets-log "$T_TMP/secrets.log" --shift --subscription "$SUB" --publish \
		--entries "$EX/gcp-audit.json" --entries "$DATA/gcp-gce5-entries.json" "$@"
	eval "_url=\$MOCK_URL_$_m"
	node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
project_id:"tfdrift-test",private_key_id:"k-0007",private_key:fs.readFileSync(process.argv[1],"utf8"),
client_email:process.argv[3],token_uri:process.argv[4]+"/token"}))' "$T_TMP/sa.pem" "$T_TMP/$_m.json" "$EMAIL" "$_url"
	GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/$_m.json
	export GOOGLE_APPLICATION_CREDENTIALS
}
jget() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{let o=JSON.parse(s);for(const k of process.argv[1].split("."))o=o==null?o:o[k];console.log(o)})' "$1"; }
psc() { mock_get "$1" /__control/pubsub | jget "$2"; }
# conf NAME URL [KEY: VALUE...]: a config reading $SUB through URL, with its own store.
conf() {
	_n=$1 _u=$2
	shift 2
	{
		printf 'states: [%s]\nstore: %s\nsources:\n  gcp:\n    - name: org\n' "$EX/gcp.tfstate" "$T_TMP/$_n.db"
		printf '      pubsub_subscription: %s\n      pubsub_endpoint: %s\n' "$SUB" "$_u"
		for _kv in "$@"; do printf '      %s\n' "$_kv"; done
	} > "$T_TMP/$_n.yaml"
}
# The findings of a watch --once output, sorted: what they are, not when (each mock moves
# the entries to its own start).
findings() { printf '%s\n' "$1" | grep '^{' | $PY -c '
import json, sys
for l in sys.stdin:
    f = json.loads(l)
    print(json.dumps([f["id"], f["kind"], f["status"], f["severity"], f["event"]["id"],
        f["resource"]["address"], f["summary"], (f.get("resolution") or {}).get("reason")]))' | sort; }
# sql DB QUERY: one value.
sql() { $PY -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(r[0] if r else "")' "$1" "$2"; }

# 1. The same entries through Cloud Logging and through the sink's subscription.
mock a
NPUB=$(psc a published)
NENT=$(node -e 'let n=0;for (const f of process.argv.slice(1)) n+=JSON.parse(require("fs").readFileSync(f)).entries.length;console.log(n)' \
	"$EX/gcp-audit.json" "$DATA/gcp-gce5-entries.json")
t_is "the mock published every entry, one message each" "$NPUB" "$NENT"
cat > "$T_TMP/logging.yaml" <<CFG
states: [$EX/gcp.tfstate]
store: $T_TMP/logging.db
sources:
  gcp:
    - name: corp
      project: corp-prod-4411
      lookback: 3d
      endpoint: $MOCK_URL_a
    - name: gce5
      project: gcpdiag-gce5-aaaa
      lookback: 3d
      endpoint: $MOCK_URL_a
CFG
t_run "$TFDRIFT" -c "$T_TMP/logging.yaml" watch --once
t_is "through Cloud Logging: drift, exit 2" "$T_RC" 2
LOGGING=$(findings "$T_OUT")
conf a "$MOCK_URL_a"
t_run "$TFDRIFT" -c "$T_TMP/a.yaml" watch --once
t_is "through Pub/Sub: drift, exit 2" "$T_RC" 2
t_is "nothing on stderr" "$T_ERR" ""
PUBSUB=$(findings "$T_OUT")
t_like "findings through Pub/Sub" "$PUBSUB" 'google_compute_firewall'
t_is "the same findings as through Cloud Logging" "$PUBSUB" "$LOGGING"
t_is "every message acknowledged" "$(psc a acked)" "$NPUB"
t_is "nothing left in the subscription" "$(psc a backlog)" 0
t_is "nothing delivered twice" "$(psc a redelivered)" 0
t_like "the trace has the pulls and acknowledgements" "$(cat "$T_TMP/trace.log")" "POST .*/v1/$SUB:acknowledge -> 200"
t_run "$TFDRIFT" -c "$T_TMP/a.yaml" watch --once
t_is "again: nothing new, exit 0" "$T_RC" 0
t_is "and nothing printed" "$T_OUT" ""
NFIND=$(sql "$T_TMP/a.db" "SELECT count(*) FROM findings")
IDS_A=$(sql "$T_TMP/a.db" "SELECT group_concat(id) FROM (SELECT id FROM findings ORDER BY id)")

# 2. Killed between storing and acknowledging: the acknowledge never comes back, kill -9;
# the store already has every finding while nothing is acknowledged; after the ack deadline
# Pub/Sub redelivers, and the next run stores nothing twice and loses nothing.
mock b --ack-deadline 3
mock_get b /__control/hang_ack?n=1000 > /dev/null
conf b "$MOCK_URL_b" "pubsub_max_messages: 1000"
"$TFDRIFT" -c "$T_TMP/b.yaml" watch > "$T_TMP/b.out" 2> "$T_TMP/b.err" &
WPID=$!
t_kill_at_exit $WPID
i=0
while [ "$(psc b ack_requests)" -lt 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_ok "the worker pulled (one batch), handed over and asked to acknowledge" test "$(psc b ack_requests)" -ge 1
t_is "one batch had every message" "$(psc b delivered)" "$(psc b published)"
t_is "by then every finding is in the store" "$(sql "$T_TMP/b.db" "SELECT count(*) FROM findings")" "$NFIND"
t_is "while nothing is acknowledged yet" "$(psc b acked)" 0
kill -9 $WPID
wait $WPID 2> /dev/null
mock_get b /__control/hang_ack?n=0 > /dev/null
sleep 3.5
t_run "$TFDRIFT" -c "$T_TMP/b.yaml" watch --once
t_is "the next run: the messages come again (redelivered)" "$(psc b redelivered)" "$(psc b published)"
t_is "and are acknowledged now" "$(psc b acked)" "$(psc b published)"
t_is "nothing left in the subscription" "$(psc b backlog)" 0
t_is "the store has each finding once, none lost" \
	"$(sql "$T_TMP/b.db" "SELECT group_concat(id) FROM (SELECT id FROM findings ORDER BY id)")" "$IDS_A"
t_is "and nothing is reported as new again" "$(printf '%s\n' "$T_OUT" | grep -c '^{')" 0
t_unlike "no error" "$T_ERR" 'tfdrift:'

# 3. Messages that are not audit entries: counted, named by messageId, acknowledged.
mock c
B1=$(mock_get c "/__control/publish_raw?data=%25%25not-base64%25%25" | jget messageId)
B2=$(mock_get c "/__control/publish_raw?data=$(printf 'not json at all' | base64)" | jget messageId)
B3=$(mock_get c "/__control/publish_raw?data=$(printf '{"insertId":"x1","logName":"projects/p/logs/syslog","timestamp":"2024-05-27T10:00:00Z","textPayload":"hi"}' | base64 | tr -d '\n')" | jget messageId)
conf c "$MOCK_URL_c"
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" watch --once
t_is "bad messages do not stop the good ones: exit 2" "$T_RC" 2
t_is "the same findings" "$(findings "$T_OUT")" "$PUBSUB"
t_like "the bad messages are reported with their ids" "$T_ERR" "3 messages are not a Cloud Audit Logs entry, acknowledged and dropped .*message $B1 \\(data is not base64\\), $B2 \\(data is not a JSON object"
t_like "the third: not an audit entry" "$T_ERR" "$B3 \\("
t_is "they are acknowledged too (never redelivered)" "$(psc c acked)" "$(psc c published)"
t_is "nothing left" "$(psc c backlog)" 0
t_ok "ps_probe: the same through the consumer's counters" "$PROBE" --once --subscription "$SUB" --endpoint "$MOCK_URL_c"
mock_get c "/__control/publish_raw?data=AAAA" > /dev/null
t_ok "a fourth" "$PROBE" --once --subscription "$SUB" --endpoint "$MOCK_URL_c"
t_like "counted as malformed" "$T_ERR" 'stats: .* malformed=1 acked=1 '

# 4. A token that expires while the worker runs: a 401, one fresh token, the batch goes on.
mock d
conf d "$MOCK_URL_d"
"$TFDRIFT" -c "$T_TMP/d.yaml" watch > "$T_TMP/d.out" 2> "$T_TMP/d.err" &
WPID=$!
t_kill_at_exit $WPID
i=0
while [ "$(psc d backlog)" -gt 0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_is "the running worker acknowledged everything" "$(psc d backlog)" 0
mock_get d /__control/expire > /dev/null
ENTRY=$(node -e 'const e=JSON.parse(require("fs").readFileSync(process.argv[1])).entries[0];
e.insertId="late-1";e.timestamp=new Date().toISOString();process.stdout.write(Buffer.from(JSON.stringify(e)).toString("base64"))' "$EX/gcp-audit.json")
mock_get d "/__control/publish_raw?data=$(node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$ENTRY")" > /dev/null
i=0
while [ "$(psc d backlog)" -gt 0 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
t_is "a message published after the token expired is acknowledged" "$(psc d backlog)" 0
t_ok "the expired token was refused once" test "$(psc d unauthorized)" -ge 1
t_like "and a fresh one fetched" "$(mock_get d /__control/counters)" '"jwt":2,'
kill -TERM $WPID
wait $WPID
t_is "SIGTERM: exit 0" "$?" 0
t_unlike "no error on the way" "$(cat "$T_TMP/d.err")" 'UNAUTHENTICATED|giving up'

# 5. Two workers on one subscription: competing consumers, each message processed once.
mock e
"$PROBE" --subscription "$SUB" --endpoint "$MOCK_URL_e" --max-messages 5 --delay-ms 20 --run-ms 8000 \
	> "$T_TMP/w1.out" 2> "$T_TMP/w1.err" &
P1=$!
"$PROBE" --subscription "$SUB" --endpoint "$MOCK_URL_e" --max-messages 5 --delay-ms 20 --run-ms 8000 \
	> "$T_TMP/w2.out" 2> "$T_TMP/w2.err" &
P2=$!
t_kill_at_exit $P1
t_kill_at_exit $P2
wait $P1
R1=$?
wait $P2
R2=$?
t_is "both workers ran cleanly" "$R1 $R2" "0 0"
N1=$(grep -c '^{' "$T_TMP/w1.out")
N2=$(grep -c '^{' "$T_TMP/w2.out")
t_ok "each worker got a share ($N1 and $N2 events)" test "$N1" -gt 0 -a "$N2" -gt 0
ALL=$(cat "$T_TMP/w1.out" "$T_TMP/w2.out" | sort)
t_is "no event handed over twice across the workers" "$(printf '%s\n' "$ALL" | uniq -d)" ""
t_is "every message delivered once in all" "$(psc e delivered)" "$(psc e published)"
t_is "and acknowledged" "$(psc e acked)" "$(psc e published)"

# 6. A slow batch (the engine's queue is full): its ack deadline is extended, not redelivered.
mock f --ack-deadline 10
t_ok "a slow worker: 20 messages at 400 ms each" "$PROBE" --subscription "$SUB" --endpoint "$MOCK_URL_f" \
	--max-messages 20 --delay-ms 400 --ack-deadline-ms 10000 --once
t_like "the consumer extended the batch's deadline" "$T_ERR" 'stats: .* extended=[1-9]'
t_ok "the mock saw modifyAckDeadline" test "$(psc f extended)" -ge 1
t_is "nothing was redelivered meanwhile" "$(psc f redelivered)" 0

# 7. A throttled and a failing pull are retried (the HTTP retry helpers' backoff), not errors.
mock g
mock_get g /__control/throttle?n=1 > /dev/null
mock_get g /__control/fail?n=1 > /dev/null
t_ok "429 then 503: the pull is retried" "$PROBE" --once --subscription "$SUB" --endpoint "$MOCK_URL_g"
t_like "two retries, no error" "$T_ERR" 'stats: .* retries=2 errors=0 '
t_is "and everything acknowledged" "$(psc g backlog)" 0
t_run "$PROBE" --once --subscription projects/corp-logs/subscriptions/other --endpoint "$MOCK_URL_g"
t_is "another subscription: exit 1" "$T_RC" 1
t_like "naming the subscription and what to check" "$T_ERR" '404 NOT_FOUND: .*check the subscription and the endpoint'

# 8. The cursor's ids against redelivery (the shared bounded id set, idset.h): a batch handed
# over but not acknowledged comes again and is not handed over twice, with the cursor saved
# now (v2: the ids' hashes) and with one an older tfdrift saved (v1: the ids themselves).
mock h --ack-deadline 3
mock_get h /__control/hang_ack?n=1000 > /dev/null
"$PROBE" --subscription "$SUB" --endpoint "$MOCK_URL_h" --max-messages 1000 --run-ms 2000 > "$T_TMP/h1.out" 2> "$T_TMP/h1.err"
H_IDS=$(sed -n 's/^{"id":"\(.*\)"}$/\1/p' "$T_TMP/h1.out" | sort)
H_N=$(printf '%s\n' "$H_IDS" | grep -c .)
t_is "a batch handed over, its acknowledgement lost" "$H_N:$(psc h acked)" "$(psc h published):0"
V2=$(sed -n 's/^cursor: [^ ]* //p' "$T_TMP/h1.err" | tail -n 1)
t_like "the cursor keeps the ids' hashes (v2)" "$V2" '^\{"v":2,"acked":[0-9]+,"ids":\["[0-9a-f]{16}"'
t_is "one for each id" "$(printf '%s' "$V2" | grep -o '"[0-9a-f]\{16\}"' | sort -u | wc -l | tr -d ' ')" "$H_N"
sleep 3.5
"$PROBE" --subscription "$SUB" --endpoint "$MOCK_URL_h" --max-messages 1000 --run-ms 2000 --cursor "$V2" \
	> "$T_TMP/h2.out" 2> "$T_TMP/h2.err"
t_ok "redelivered" test "$(psc h redelivered)" -ge "$H_N"
t_is "with the v2 cursor: nothing handed over twice" "$(cat "$T_TMP/h2.out")" ""
t_like "each one counted as a duplicate" "$(cat "$T_TMP/h2.err")" "stats: .* duplicates=$H_N\$"
mock_get h /__control/hang_ack?n=0 > /dev/null
sleep 3.5
V1=$(printf '%s\n' "$H_IDS" | $PY -c 'import json, sys; print(json.dumps({"v": 1, "acked": 0, "ids": sys.stdin.read().split()}, separators=(",", ":")))')
t_run "$PROBE" --once --subscription "$SUB" --endpoint "$MOCK_URL_h" --max-messages 1000 --cursor "$V1"
t_is "an old cursor (v1, the ids themselves) still loads: nothing handed over twice" "$T_OUT" ""
t_like "each one a duplicate" "$T_ERR" "stats: .* duplicates=$H_N\$"
t_is "and acknowledged now" "$(psc h backlog)" 0

# No secret in any output or the trace.
LEAK=0
for secret in $(cat "$T_TMP/secrets.log" 2> /dev/null); do
	if grep -qF -- "$secret" "$T_TMP/trace.log" "$T_TMP"/*.err 2> /dev/null; then
		LEAK=1
	fi
done
t_is "no token or assertion in the trace or the logs" "$LEAK" 0
t_done
