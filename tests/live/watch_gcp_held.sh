#!/bin/sh
# GCP operations seen by their last entry first, in a continuous `watch` over Cloud Logging
# (tests/mock/gcp.js): the held entries are saved with the cursor that moved past them, so a
# kill -9 before their first entries come loses nothing; a restart decides them by their
# first entries when those come late, alone otherwise; and gcp_operation_hold bounds the wait
# while the watch runs. Prints TAP.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
plan_start
mock_need_node
need_cmd openssl || t_skip_all "openssl is not installed"
PY=/usr/bin/python3
[ -x "$PY" ] || t_skip_all "python3 is needed to read the store and the output"
EX=$TOP_SRCDIR/doc/examples
# The example's operations by their last entries alone (10 entries, 5 of them drift), newest
# first; the mock moves them so that the newest is 60 s old.
LAST=$TOP_SRCDIR/tests/data/events/gcp-ops-last-only.json
# Two of those operations' first entries, which the mock lists only when told (ingested late).
FIRST=$TOP_SRCDIR/tests/data/live/gcp-ops-first-entries.json
P=corp-prod-4411
unset TFDRIFT_NOW

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T_TMP/sa.pem" 2> /dev/null
openssl pkey -in "$T_TMP/sa.pem" -pubout -out "$T_TMP/sa.pub" 2> /dev/null
EMAIL=watcher@tfdrift-test.iam.gserviceaccount.com
# mock NAME: a Logging mock serving $LAST (its own clock: the newest entry 60 s old now), and
# a service account key whose token endpoint is that mock's.
mock() {
	mock_start "$1" "$TOP_SRCDIR/tests/mock/gcp.js" --pubkey "$T_TMP/sa.pub" --client-email "$EMAIL" \
		--key-id k-0003 --shift --entries "$LAST"
	eval "_url=\$MOCK_URL_$1"
	node -e 'const fs=require("fs");fs.writeFileSync(process.argv[2],JSON.stringify({type:"service_account",
project_id:"tfdrift-test",private_key_id:"k-0003",private_key:fs.readFileSync(process.argv[1],"utf8"),
client_email:process.argv[3],token_uri:process.argv[4]+"/token"}))' "$T_TMP/sa.pem" "$T_TMP/$1.json" "$EMAIL" "$_url"
	GOOGLE_APPLICATION_CREDENTIALS=$T_TMP/$1.json
	export GOOGLE_APPLICATION_CREDENTIALS
}
mock gcpb
unset CLOUDSDK_CONFIG GCE_METADATA_HOST TFDRIFT_GCP_TOKEN_EARLY_S

# conf NAME HOLD URL: a config with its own store.
conf() {
	cat > "$T_TMP/$1.yaml" <<CFG
states: [$EX/gcp.tfstate]
store: $T_TMP/$1.db
rules_disabled: ["*"]
gcp_operation_hold: $2
sources:
  gcp:
    - name: diag
      project: $P
      lookback: 1d
      poll_interval: 1s
      endpoint: $3
CFG
}
# sql DB QUERY: one value.
sql() { $PY -c 'import sqlite3,sys; r=sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone(); print(r[0] if r else "")' "$1" "$2" 2> /dev/null; }
held() { sql "$T_TMP/$1.db" "SELECT value FROM cursors WHERE name LIKE 'detector:held/%'"; }
nheld() { held "$1" | $PY -c 'import json,sys; t=sys.stdin.read().strip(); print(len(json.loads(t)["held"]) if t else 0)'; }
# The event ids the findings of a JSON-lines file came from, sorted, one line. A finding
# printed again when it resolves (same id) counts once.
evids() { $PY -c 'import json,sys
fs = {}
for l in open(sys.argv[1]):
    if l.strip():
        f = json.loads(l)
        fs[f["id"]] = f
print(" ".join(sorted(f["event"]["id"] for f in fs.values())))' "$1"; }
# wait_for SECONDS CMD...: until CMD succeeds.
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
watch_bg() {
	"$TFDRIFT" -c "$T_TMP/$1.yaml" watch > "$T_TMP/$1.$2.out" 2> "$T_TMP/$1.$2.err" &
	WPID=$!
	t_kill_at_exit $WPID
}
# The findings a file printed, each once (a resolution prints one again, same id).
nout() { if [ -f "$1" ]; then grep -o '^{"id":"[0-9a-f]*"' "$1" | sort -u | wc -l | tr -d ' '; else echo 0; fi; }

# ---- the hold, bounded, while the watch runs ----
# gcp_operation_hold 1m: a complete poll lists everything older than now - 2m (the Logging
# overlap); every held entry older than that by a minute is decided alone at once, while the
# newest (60 s old) waits.
conf b 1m "$MOCK_URL_gcpb"
watch_bg b 1
four() { [ "$(nout "$T_TMP/b.1.out")" -ge 4 ]; }
wait_for 30 four
t_is "while running: the four older operations decided alone" "$(evids "$T_TMP/b.1.out")" \
    "-5p6dao4wp176 -ioorm7umtopn -rxqfl3aempmz -xu4m4ddw1vzn"
t_is "the newest is still held, and saved" "$(nheld b)" 1
kill -TERM $WPID
wait $WPID
t_is "SIGTERM: exit 0" "$?" 0
t_is "the held entry stays in the store for the restart" "$(nheld b)" 1
t_is "and was not decided on the way out" "$(nout "$T_TMP/b.1.out")" 4
t_run "$TFDRIFT" -c "$T_TMP/b.yaml" watch --once
t_is "watch --once: its input ends, the held entry is decided alone" \
    "$(printf '%s\n' "$T_OUT" | $PY -c 'import json,sys
print(" ".join(json.loads(l)["event"]["id"] for l in sys.stdin if l.strip()))')" "-tozb6scotcx8"
t_is "and exits 2" "$T_RC" 2

# ---- kill -9 between the last entries and their first ----
# A hold longer than the whole story: nothing is decided while the watch runs.
mock gcpk
conf k 4h "$MOCK_URL_gcpk"
watch_bg k 1
held_all() { [ "$(nheld k)" = 10 ]; }
wait_for 30 held_all
t_is "the ten last entries are held, saved with the cursor that moved past them" "$(nheld k)" 10
t_is "the Logging cursor is saved" \
    "$(sql "$T_TMP/k.db" "SELECT count(*) FROM cursors WHERE name LIKE 'gcp diag %/gcplogging:$P'")" 1
t_is "nothing decided yet" "$(nout "$T_TMP/k.1.out")" 0
kill -9 $WPID
wait $WPID 2> /dev/null
# The newest operation's first entry (11 s before its last) is listable only now: it was
# ingested late, within the poller's overlap.
t_like "a first entry comes late" "$(mock_get gcpk "/__control/load?file=$FIRST")" '"added":\["-msttduakzyr1"\]'
t_run "$TFDRIFT" -c "$T_TMP/k.yaml" watch --once
t_is "after kill -9, watch --once: drift, exit 2" "$T_RC" 2
printf '%s\n' "$T_OUT" > "$T_TMP/k.2.out"
# The newest firewall patch is decided by its first entry, which shows it wrote back what
# state holds: not drift (its last entry alone would have been); the four others by their
# last entries alone.
t_is "every operation decided, each by the entry that decides it" "$(evids "$T_TMP/k.2.out")" \
    "-5p6dao4wp176 -ioorm7umtopn -rxqfl3aempmz -xu4m4ddw1vzn"
t_is "nothing held any more" "$(nheld k)" 0
t_run "$TFDRIFT" -c "$T_TMP/k.yaml" watch --once
t_is "again: nothing new, exit 0" "$T_RC" 0
t_is "nothing printed" "$T_OUT" ""
t_ok "export" "$TFDRIFT" export --store "$T_TMP/k.db" --status all --format jsonl -o "$T_TMP/k.export"
t_is "the store has the same findings" "$(evids "$T_TMP/k.export")" "$(evids "$T_TMP/k.2.out")"

t_done
