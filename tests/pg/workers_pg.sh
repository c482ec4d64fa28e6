#!/bin/sh
# Two and three `tfdrift watch` workers on one PostgreSQL store (a throwaway cluster,
# tests/pg/pgcluster.sh) against the loopback CloudTrail mock: one polls (its lease in the
# store), the others stand by and say who polls; every finding stored and notified once;
# LookupEvents calls those of one worker plus one round; kill -9 of the holder: another takes
# over within two heartbeats; --once with two workers. tests/live/workers.sh does the same
# and more on SQLite.
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
SECRET=wJalrXUtnFEMI-K7MDENG-workers-pg-secret
mock_start ct "$TOP_SRCDIR/tests/mock/cloudtrail.js" --records "$DATA" --shift-newest-ago 120 \
	--key "AKIDWORKPG:$SECRET"
mock_start R "$TOP_SRCDIR/tests/mock/receivers.js"
AWS_ACCESS_KEY_ID=AKIDWORKPG
AWS_SECRET_ACCESS_KEY=$SECRET
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_CLOUDTRAIL TFDRIFT_NOW

# conf NAME: a config whose store is a new database NAME, the password in its URI (each
# worker's lease connection opens it too).
conf() {
	pg_new_database "$1" > /dev/null || { echo "Bail out! cannot create a database"; exit 1; }
	cat > "$T_TMP/$1.yaml" <<CFG
states: [$STATE]
store: postgresql://tfdrift_test:$TFDRIFT_TEST_PG_PASSWORD@127.0.0.1:$PGPORT/$1
sources:
  aws:
    - name: lab
      regions: [us-east-1]
      poll_interval: 1h
      lookback: 2h
      endpoint: $MOCK_URL_ct
outputs:
  - name: hook
    type: webhook
    url: $MOCK_URL_R/webhook/$1
CFG
}
sql() { pg_psql -d "$1" -c "$2" 2> /dev/null; }
requests() { mock_get ct /__control/counters | $PY -c 'import json,sys; print(json.load(sys.stdin)["by_key"].get("AKIDWORKPG/us-east-1/cloudtrail", 0))'; }
hooked() { mock_get R /__control/received | $PY -c 'import json,sys
r = [json.loads(w["body"])["id"] for w in json.load(sys.stdin)["webhook"] if w["path"].startswith("/webhook/" + sys.argv[1] + "/") or w["path"] == "/webhook/" + sys.argv[1]]
print(len(set(r)), len(r))' "$1"; }
ids() { sql "$1" "SELECT string_agg(id, ' ' ORDER BY id) FROM findings"; }
holder() { sql "$1" "SELECT holder FROM leases WHERE name = 'cloudtrail lab us-east-1'"; }
pid_of() { printf '%s\n' "$1" | sed -n 's/^[^:]*:\([0-9]*\):.*/\1/p'; }
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
start() {
	_n=$1
	_k=$2
	shift 2
	"$TFDRIFT" -c "$T_TMP/$_n.yaml" watch --lease-ttl 2s "$@" > "$T_TMP/$_n.$_k.out" \
	    2> "$T_TMP/$_n.$_k.err" &
	eval "W$_k=$!"
	t_kill_at_exit $!
}

# The reference: one worker, --once.
conf ref
mock_get ct /__control/reset > /dev/null
t_run "$TFDRIFT" -c "$T_TMP/ref.yaml" watch --once
t_is "one worker on PostgreSQL: drift found, exit 2" "$T_RC" 2
REQ1=$(requests)
REFIDS=$(ids ref)
HREF=$(hooked ref)
t_ok "findings ($REFIDS) and notifications ($HREF)" test -n "$REFIDS" -a "${HREF% *}" -ge 1
t_is "the lease is released at the end" "$(sql ref "SELECT expires_at FROM leases")" 0
t_unlike "the password is in no message" "$T_ERR" "$TFDRIFT_TEST_PG_PASSWORD"

for n in 2 3; do
	conf "w$n"
	mock_get ct /__control/reset > /dev/null
	i=1
	while [ $i -le $n ]; do
		start "w$n" $i
		i=$((i + 1))
	done
	all_hooked() { [ "$(hooked "w$n")" = "$HREF" ] && [ "$(ids "w$n")" = "$REFIDS" ]; }
	t_ok "$n workers: every finding stored and notified" wait_for 60 all_hooked
	sleep 3
	t_is "$n workers: the findings of one worker, once each" "$(ids "w$n")" "$REFIDS"
	t_is "$n workers: each notification once" "$(hooked "w$n")" "$HREF"
	REQ=$(requests)
	t_ok "$n workers: $REQ LookupEvents calls, one worker's ($REQ1) plus one round at most" \
	    test "$REQ" -le $((REQ1 * 2))
	t_is "$n workers: one cursor" \
	    "$(sql "w$n" "SELECT count(*) FROM cursors WHERE name LIKE 'cloudtrail lab us-east-1/%'")" 1
	H=$(holder "w$n")
	P=$(pid_of "$H")
	nsb=0
	i=1
	while [ $i -le $n ]; do
		eval "p=\$W$i"
		[ "$p" != "$P" ] && grep -q "standby: leased by $H" "$T_TMP/w$n.$i.err" && nsb=$((nsb + 1))
		i=$((i + 1))
	done
	t_is "$n workers: the others stand by and say who polls ($H)" "$nsb" $((n - 1))
	KILLED=$($PY -c 'import time; print(int(time.time() * 1000))')
	kill -9 "$P"
	wait "$P" 2> /dev/null
	taken() { h=$(holder "w$n"); [ -n "$h" ] && [ "$h" != "$H" ]; }
	t_ok "$n workers: kill -9 of the holder, another takes over" wait_for 10 taken
	TAKEN=$(sql "w$n" "SELECT acquired_at FROM leases")
	t_ok "$n workers: within two heartbeats ($((TAKEN - KILLED)) ms; heartbeat 1 s)" \
	    test $((TAKEN - KILLED)) -le 2000
	i=1
	while [ $i -le $n ]; do
		eval "p=\$W$i"
		[ "$p" != "$P" ] && kill -TERM "$p" && wait "$p"
		i=$((i + 1))
	done
	t_is "$n workers: still each notification once" "$(hooked "w$n")" "$HREF"
done

# --once with two workers.
conf o
"$TFDRIFT" -c "$T_TMP/o.yaml" watch --once > "$T_TMP/o.1.out" 2> "$T_TMP/o.1.err" &
O1=$!
t_kill_at_exit $O1
"$TFDRIFT" -c "$T_TMP/o.yaml" watch --once > "$T_TMP/o.2.out" 2> "$T_TMP/o.2.err"
R2=$?
wait $O1
R1=$?
t_ok "two --once at once: neither failed ($R1 $R2), one found the drift" \
    test "$R1" != 1 -a "$R2" != 1 -a \( "$R1" = 2 -o "$R2" = 2 \)
t_is "the store has the findings once" "$(ids o)" "$REFIDS"
t_is "each notified once" "$(hooked o)" "$HREF"
t_done
