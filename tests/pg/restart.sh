#!/bin/sh
# PostgreSQL restarted under a running `tfdrift watch` (pg_ctl stop -m fast, then start on the
# same port) against the loopback CloudTrail mock: watch says the store is unreachable (once)
# and that it is back, /healthz reports the store failing meanwhile, the findings and events
# read while it was down wait in memory and are written once it is back, the cursor continues
# (nothing read again, nothing skipped), and the store ends with exactly what one `watch
# --once` on a fresh database stores from the same mock: every finding and event, once.
TOP_SRCDIR=${TOP_SRCDIR:-.}
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
. "$TOP_SRCDIR/tests/pg/pgcluster.sh"
plan_start
mock_need_node
pg_cluster_start || { rc=$?; [ "$rc" -eq 77 ] && exit 0; exit "$rc"; }
PY=/usr/bin/python3

DATA="$TOP_SRCDIR/tests/data/live/invictus_1215Z.json"
STATE="$TOP_SRCDIR/tests/data/live/aws_s3_full.tfstate"
SECRET=wJalrXUtnFEMI-K7MDENG-restart-pg-secret
mock_start ct "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDRESTART:$SECRET"
AWS_ACCESS_KEY_ID=AKIDRESTART
AWS_SECRET_ACCESS_KEY=$SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDTRAIL TFDRIFT_NOW
PGCONNECT_TIMEOUT=2
export PGCONNECT_TIMEOUT

conf() {
	pg_new_database "$1" > /dev/null || { echo "Bail out! cannot create a database"; exit 1; }
	cat > "$T_TMP/$1.yaml" <<CFG
states: [$STATE]
store: postgresql://tfdrift_test:$TFDRIFT_TEST_PG_PASSWORD@127.0.0.1:$PGPORT/$1
sources:
  aws:
    - name: lab
      regions: [us-east-1]
      poll_interval: 2s
      lookback: 2h
      endpoint: $MOCK_URL_ct
CFG
}
sql() { pg_psql -d "$1" -c "$2" 2> /dev/null; }
wait_for() {
	_s=$1
	shift
	_i=0
	while [ "$_i" -lt $((_s * 10)) ]; do
		"$@" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}
nevents() { sql "$1" "SELECT count(*) FROM events_seen"; }
MPORT=$($PY -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
healthz() { curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/healthz"; }

conf live
"$TFDRIFT" -c "$T_TMP/live.yaml" watch --metrics "127.0.0.1:$MPORT" > "$T_TMP/live.out" \
    2> "$T_TMP/live.err" &
W=$!
t_kill_at_exit $W
first() { [ "$(nevents live)" -gt 0 ] 2> /dev/null && [ "$(healthz)" = 200 ]; }
t_ok "watch stores the sample's events, healthy" wait_for 30 first
sleep 3        # the backfill's cursor saved
CUR1=$(sql live "SELECT value FROM cursors WHERE name LIKE 'cloudtrail lab us-east-1/%'")
t_ok "a cursor saved ($CUR1)" test -n "$CUR1"

pg_server_stop fast
t_ok "PostgreSQL stopped" test ! -f "$PG_DIR/data/postmaster.pid"
ADDED=$(mock_get ct '/__control/add?n=6')
down() { grep -q 'store unreachable since .*: [0-9]* findings pending' "$T_TMP/live.err"; }
t_ok "watch says the store is unreachable, with what is pending" wait_for 40 down
t_is "once per outage" "$(grep -c 'store unreachable since' "$T_TMP/live.err")" 1
H=$(curl -s "http://127.0.0.1:$MPORT/healthz")
t_like "/healthz: the store is failing" "$H" '"store":"unreachable since [^"]*: [0-9]+ findings and [0-9]+ events pending'
t_is "/healthz: 503" "$(healthz)" 503
t_ok "watch keeps running from memory" kill -0 $W
sleep 4        # a few retries with backoff while down
t_is "still one message for the outage" "$(grep -c 'store unreachable since' "$T_TMP/live.err")" 1

pg_server_start
t_ok "PostgreSQL started again on port $PGPORT" test -f "$PG_DIR/data/postmaster.pid"
back() { grep -q 'store reachable again after [0-9]*s: [0-9]* findings and [0-9]* events pending written' "$T_TMP/live.err"; }
t_ok "watch says the store is back and what it wrote" wait_for 60 back
t_ok "/healthz: 200 again" wait_for 10 sh -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$MPORT/healthz)\" = 200 ]"
ADDED2=$(mock_get ct '/__control/add?n=3')
ids_of() { printf '%s\n' "$1" | $PY -c 'import json,sys; print("\n".join(json.load(sys.stdin)["ids"]))'; }
stored() {
	for i in $(ids_of "$ADDED") $(ids_of "$ADDED2"); do
		[ "$(sql live "SELECT count(*) FROM events_seen WHERE id = '$i'")" = 1 ] || return 1
	done
}
t_ok "every event added while down and after is stored once" wait_for 30 stored
cursor_moved() {
	c=$(sql live "SELECT value FROM cursors WHERE name LIKE 'cloudtrail lab us-east-1/%'")
	[ -n "$c" ] && [ "$c" != "$CUR1" ]
}
t_ok "the cursor continues" wait_for 30 cursor_moved
sleep 3
kill -TERM $W
wait $W
t_is "watch exits 0 at SIGTERM" "$?" 0
t_unlike "the password is in no message" "$(cat "$T_TMP/live.err")" "$TFDRIFT_TEST_PG_PASSWORD"
sed "s/^/# watch: /" "$T_TMP/live.err"

# The reference: one --once on a fresh database, the same mock (its events are all there now).
conf ref
t_run "$TFDRIFT" -c "$T_TMP/ref.yaml" watch --once
t_ok "the reference run (exit $T_RC)" test "$T_RC" = 2 -o "$T_RC" = 0
for q in "SELECT string_agg(id, ' ' ORDER BY id) FROM findings" \
    "SELECT string_agg(provider || ':' || id, ' ' ORDER BY provider, id) FROM events_seen"; do
	t_is "the same as one run that never lost its store: $q" "$(sql live "$q")" "$(sql ref "$q")"
done
t_is "each event once" "$(sql live "SELECT count(*) - count(DISTINCT (provider, id)) FROM events_seen")" 0
t_is "each finding once" "$(sql live "SELECT count(*) - count(DISTINCT id) FROM findings")" 0
t_done
