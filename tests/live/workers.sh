#!/bin/sh
# Several `tfdrift watch` workers on one store (SQLite in WAL, shared by the processes) against
# the loopback CloudTrail mock: each poller runs in one worker at a time (a lease in the store,
# heartbeat every half --lease-ttl), the others stand by and say who polls; every finding is
# stored once and notified once (a claim per notification); LookupEvents calls stay those of
# one worker plus one round; the cursor is shared. kill -9 of the holder mid-backfill: another
# takes over within two heartbeats and resumes from the shared cursor, the union of findings
# is complete, nothing twice. A holder that cannot renew (SIGSTOP) loses its lease and stops
# polling when it runs again. --once with two workers polls once. The live dashboard on the
# store shares the pollers too, and its Sources view says who polls.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
mock_need_node
PY=/usr/bin/python3
[ -x "$PY" ] || t_skip_all "python3 is not installed"

DATA="$TOP_SRCDIR/tests/data/live/invictus_1215Z.json"
STATE="$TOP_SRCDIR/tests/data/live/aws_s3_full.tfstate"
SECRET=wJalrXUtnFEMI-K7MDENG-workers-secret
mock_start ct "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDWORK:$SECRET"
mock_start R "$TOP_SRCDIR/tests/mock/receivers.js"
AWS_ACCESS_KEY_ID=AKIDWORK
AWS_SECRET_ACCESS_KEY=$SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDTRAIL TFDRIFT_NOW

# conf NAME [POLL_INTERVAL]: a config with its own store, the mock's us-east-1 and a webhook.
conf() {
	cat > "$T_TMP/$1.yaml" <<CFG
states: [$STATE]
store: $T_TMP/$1.db
sources:
  aws:
    - name: lab
      regions: [us-east-1]
      poll_interval: ${2:-1h}
      lookback: 2h
      endpoint: $MOCK_URL_ct
outputs:
  - name: hook
    type: webhook
    url: $MOCK_URL_R/webhook/$1
CFG
}
sql() { $PY -c 'import sqlite3,sys
c = sqlite3.connect(sys.argv[1], timeout=10)
r = c.execute(sys.argv[2]).fetchone()
print(r[0] if r and r[0] is not None else "")' "$1" "$2" 2> /dev/null; }
requests() { mock_get ct /__control/counters | $PY -c 'import json,sys; print(json.load(sys.stdin)["by_key"].get("AKIDWORK/us-east-1/cloudtrail", 0))'; }
# The finding ids a webhook path received: "N distinct" then the total.
hooked() { mock_get R /__control/received | $PY -c 'import json,sys
r = [json.loads(w["body"])["id"] for w in json.load(sys.stdin)["webhook"] if w["path"].startswith("/webhook/" + sys.argv[1])]
print(len(set(r)), len(r))' "$1"; }
# The ids in the store, sorted, one line.
ids() { $PY -c 'import sqlite3,sys
print(" ".join(r[0] for r in sqlite3.connect(sys.argv[1], timeout=10).execute("SELECT id FROM findings ORDER BY id")))' "$1"; }
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
# start NAME N [ARGS]: worker N of config NAME in the background; its pid in W<N>.
start() {
	_n=$1
	_k=$2
	shift 2
	"$TFDRIFT" -c "$T_TMP/$_n.yaml" watch --lease-ttl 2s "$@" > "$T_TMP/$_n.$_k.out" \
	    2> "$T_TMP/$_n.$_k.err" &
	eval "W$_k=$!"
	t_kill_at_exit $!
}
holder() { sql "$T_TMP/$1.db" "SELECT holder FROM leases WHERE name = 'cloudtrail lab us-east-1$2'"; }
pid_of() { printf '%s\n' "$1" | sed -n 's/^[^:]*:\([0-9]*\):.*/\1/p'; }

# ---- the reference: one worker, --once ----
conf ref
mock_get ct /__control/reset > /dev/null
t_run "$TFDRIFT" -c "$T_TMP/ref.yaml" watch --once
t_is "one worker: drift found, exit 2" "$T_RC" 2
t_unlike "its lease taken and released quietly" "$T_ERR" 'lease|standby'
REQ1=$(requests)
NREF=$(sql "$T_TMP/ref.db" "SELECT count(*) FROM findings")
REFIDS=$(ids "$T_TMP/ref.db")
t_ok "findings from the sample ($NREF, $REQ1 LookupEvents calls)" test "$NREF" -ge 1
HREF=$(hooked ref)
t_ok "notified ($HREF)" test "${HREF% *}" -ge 1
t_is "the lease is released at the end" "$(sql "$T_TMP/ref.db" "SELECT expires_at FROM leases")" 0

# ---- three workers at once ----
for n in 2 3; do
	conf "w$n"
	mock_get ct /__control/reset > /dev/null
	i=1
	while [ $i -le $n ]; do
		start "w$n" $i
		i=$((i + 1))
	done
	all_stored() { [ "$(sql "$T_TMP/w$n.db" "SELECT count(*) FROM findings")" = "$NREF" ]; }
	all_hooked() { [ "$(hooked "w$n")" = "$HREF" ]; }
	t_ok "$n workers: every finding stored" wait_for 60 all_stored
	t_ok "$n workers: every notification sent" wait_for 30 all_hooked
	sleep 3         # a few heartbeats: nothing more may come
	t_is "$n workers: the store has the findings one worker finds, each once" "$(ids "$T_TMP/w$n.db")" "$REFIDS"
	t_is "$n workers: each notification sent once (distinct, total)" "$(hooked "w$n")" "$HREF"
	REQ=$(requests)
	t_ok "$n workers: $REQ LookupEvents calls, no more than one worker's ($REQ1) plus one round" \
	    test "$REQ" -le $((REQ1 * 2))
	t_is "$n workers: one cursor, shared" \
	    "$(sql "$T_TMP/w$n.db" "SELECT count(*) FROM cursors WHERE name LIKE 'cloudtrail lab us-east-1/%'")" 1
	H=$(holder "w$n")
	t_like "$n workers: one holds the lease ($H)" "$H" '^[^:]+:[0-9]+:[0-9a-f]{8}$'
	P=$(pid_of "$H")
	i=1
	nstandby=0
	while [ $i -le $n ]; do
		eval "p=\$W$i"
		if [ "$p" = "$P" ]; then
			t_is "$n workers: the holder says nothing about it" "$(cat "$T_TMP/w$n.$i.err")" ""
		elif grep -q "^tfdrift: cloudtrail lab us-east-1: standby: leased by $H\$" "$T_TMP/w$n.$i.err"; then
			nstandby=$((nstandby + 1))
		fi
		i=$((i + 1))
	done
	t_is "$n workers: the others say they stand by and who polls" "$nstandby" $((n - 1))
	# SIGTERM: the holder releases its lease; another takes it at once.
	kill -TERM "$P"
	wait "$P"
	t_is "$n workers: the holder exits 0 on SIGTERM" "$?" 0
	moved() { h=$(holder "w$n"); [ -n "$h" ] && [ "$h" != "$H" ]; }
	t_ok "$n workers: another worker takes the released lease" wait_for 5 moved
	i=1
	while [ $i -le $n ]; do
		eval "p=\$W$i"
		[ "$p" != "$P" ] && kill -TERM "$p" && wait "$p"
		i=$((i + 1))
	done
	t_is "$n workers: still each notification once" "$(hooked "w$n")" "$HREF"
	t_is "$n workers: still the same findings" "$(ids "$T_TMP/w$n.db")" "$REFIDS"
done

# ---- a holder that cannot renew in time (stopped) loses its lease ----
conf s 2s
start s 1
one_holds() { [ -n "$(holder s)" ]; }
wait_for 20 one_holds
H=$(holder s)
P=$(pid_of "$H")
start s 2
wait_for 5 test -s "$T_TMP/s.2.err"
kill -STOP "$P"
stolen() { h=$(holder s); [ -n "$h" ] && [ "$h" != "$H" ]; }
t_ok "a holder that stops renewing: the other takes its lease once it expires" wait_for 10 stolen
C1=$(sql "$T_TMP/s.db" "SELECT value FROM cursors WHERE name LIKE 'cloudtrail lab us-east-1/%'")
kill -CONT "$P"
lost() { grep -q 'standby: lease lost' "$T_TMP/s.1.err"; }
t_ok "running again, it finds its lease lost and stops polling" wait_for 10 lost
t_like "saying so" "$(cat "$T_TMP/s.1.err")" \
    'cloudtrail lab us-east-1: standby: lease lost \(another worker took it over, or it expired\)'
sleep 3
t_is "and the lease stays with the new holder" "$(pid_of "$(holder s)")" "$W2"
t_is "the findings once each" "$(ids "$T_TMP/s.db")" "$REFIDS"
kill -TERM "$W1" "$W2"
wait "$W1"
wait "$W2"
S=$(hooked s)
t_is "no notification twice" "${S% *}" "${S#* }"

# ---- --once with two workers ----
conf o
"$TFDRIFT" -c "$T_TMP/o.yaml" watch --once > "$T_TMP/o.1.out" 2> "$T_TMP/o.1.err" &
O1=$!
t_kill_at_exit $O1
"$TFDRIFT" -c "$T_TMP/o.yaml" watch --once > "$T_TMP/o.2.out" 2> "$T_TMP/o.2.err"
R2=$?
wait $O1
R1=$?
t_ok "two --once at once: one found the drift (exit 2), the other 0 or 2 ($R1 $R2)" \
    test "$R1" = 2 -o "$R2" = 2
t_ok "neither failed" test "$R1" != 1 -a "$R2" != 1
t_is "together, the findings of one worker, each printed by one of them" \
    "$(cat "$T_TMP/o.1.out" "$T_TMP/o.2.out" | grep -o '^{"id":"[0-9a-f]*"' | sort -u | wc -l | tr -d ' ')" "$NREF"
for k in 1 2; do
	grep -o '^{"id":"[0-9a-f]*"' "$T_TMP/o.$k.out" | sort -u > "$T_TMP/o.$k.ids"
done
t_is "none by both" "$(comm -12 "$T_TMP/o.1.ids" "$T_TMP/o.2.ids" | wc -l | tr -d ' ')" 0
t_is "the store has them once" "$(ids "$T_TMP/o.db")" "$REFIDS"
O=$(hooked o)
t_is "each notified once" "$O" "$HREF"
# ---- kill -9 of the holder mid-backfill ----
# More events (clones, new ids), so that the backfill takes pages at 2 requests/s.
mock_get ct '/__control/clone?k=2' > /dev/null
SINCE=$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)
UNTIL=$(date -u +%Y-%m-%dT%H:%M:%SZ)
WIN=" [backfill $SINCE..$UNTIL]"
conf bref
t_run "$TFDRIFT" -c "$T_TMP/bref.yaml" watch --once --since "$SINCE" --until "$UNTIL"
t_is "the backfill's reference: drift, exit 2" "$T_RC" 2
BREF=$(ids "$T_TMP/bref.db")
conf k
start k 1 --since "$SINCE" --until "$UNTIL"
start k 2 --since "$SINCE" --until "$UNTIL"
# Both up: the one that does not hold the lease says so.
standby_said() { cat "$T_TMP/k.1.err" "$T_TMP/k.2.err" | grep -q 'standby: leased by'; }
t_ok "one worker stands by" wait_for 60 standby_said
pending() { sql "$T_TMP/k.db" "SELECT value FROM cursors WHERE name LIKE 'cloudtrail lab us-east-1$WIN/%'" | grep -q '"pend"'; }
t_ok "a worker is in the middle of the backfill (its cursor saved mid-window)" wait_for 60 pending
H=$(holder k "$WIN")
P=$(pid_of "$H")
[ "$P" = "$W1" ] && OTHER=$W2 || OTHER=$W1
t_ok "the lease is one of the workers' ($H)" test "$P" = "$W1" -o "$P" = "$W2"
KILLED=$($PY -c 'import time; print(int(time.time() * 1000))')
kill -9 "$P"
wait "$P" 2> /dev/null
taken() { h=$(holder k "$WIN"); [ -n "$h" ] && [ "$h" != "$H" ]; }
t_ok "the other worker takes over" wait_for 10 taken
TAKEN=$(sql "$T_TMP/k.db" "SELECT acquired_at FROM leases WHERE name = 'cloudtrail lab us-east-1$WIN'")
t_ok "within two heartbeats of the kill ($((TAKEN - KILLED)) ms; heartbeat 1 s)" \
    test $((TAKEN - KILLED)) -le 2000
t_is "the holder now is the other worker" "$(pid_of "$(holder k "$WIN")")" "$OTHER"
NE=$(sql "$T_TMP/bref.db" "SELECT count(*) FROM events_seen")
done_k() { [ "$(sql "$T_TMP/k.db" "SELECT count(*) FROM events_seen")" = "$NE" ]; }
t_ok "the backfill completes: every event the single worker kept ($NE), kept" wait_for 90 done_k
backfilled() { sql "$T_TMP/k.db" "SELECT value FROM cursors WHERE name LIKE 'cloudtrail lab us-east-1$WIN/%'" | grep -q '"end":[1-9]'; }
t_ok "and the window is done" wait_for 30 backfilled
sleep 2
# Events by id: the same ones, each once. Findings: what a restart mid-backfill gives (a worker
# that takes over knows what the others stored, not what they held in memory: a finding the
# single worker resolved at once by a newer event it had read may stay open instead of a second
# one on the same attribute), so every finding is one the single worker made too, and every
# drift the single worker left open is there.
evs() { $PY -c 'import sqlite3,sys
print(" ".join(sorted(r[0] for r in sqlite3.connect(sys.argv[1], timeout=10).execute("SELECT provider || \":\" || id FROM events_seen"))))' "$1"; }
t_is "the union of the events kept is the single worker's, each once" "$(evs "$T_TMP/k.db")" "$(evs "$T_TMP/bref.db")"
t_is "every finding is one the single worker made" \
    "$(ids "$T_TMP/k.db" | tr ' ' '\n' | grep -cvxF -e "$(printf '%s\n' "$BREF" | tr ' ' '\n')" || true)" 0
OPEN_REF=$(sql "$T_TMP/bref.db" "SELECT group_concat(id, ' ') FROM (SELECT id FROM findings WHERE status = 'open' ORDER BY id)")
t_is "every drift the single worker left open is there" \
    "$(sql "$T_TMP/k.db" "SELECT count(*) FROM findings WHERE id IN ('$(printf '%s' "$OPEN_REF" | sed "s/ /','/g")')")" \
    "$(printf '%s\n' "$OPEN_REF" | wc -w | tr -d ' ')"
K=$(hooked k)
t_is "no notification twice" "${K% *}" "${K#* }"
t_like "the survivor said it took over" "$(cat "$T_TMP/k.$([ "$OTHER" = "$W1" ] && echo 1 || echo 2).err")" \
    "cloudtrail lab us-east-1 \\[backfill .*\\]: polling \\(lease held by this worker"
kill -TERM "$OTHER"
wait "$OTHER"

# ---- the live dashboard on the shared store: its Sources view says which worker polls ----
tui_need_tmux
conf d 2s
start d 1
held_d() { [ -n "$(holder d)" ]; }
t_ok "a worker holds the lease" wait_for 30 held_d
H=$(holder d)
tui_start dash 150 40 env AWS_ACCESS_KEY_ID=AKIDWORK AWS_SECRET_ACCESS_KEY="$SECRET" \
    "$TFDRIFT" -c "$T_TMP/d.yaml"
t_screen "the dashboard runs live on the store" dash '^ tfdrift live'
tui_keys dash 4
t_screen "its Sources view says another worker polls the source" dash "standby: leased by $H"
tui_keys dash q
t_tui_exit dash "the dashboard exits 0"
t_is "the worker kept its lease" "$(holder d)" "$H"
kill -TERM "$W1"
wait "$W1"
t_done
