#!/bin/sh
# The store from the outside: scan --store (one row per finding, triage applied, only open
# findings fail the run), the triage commands (ack, suppress, undo), export (json, jsonl,
# csv), broken stores, and durability: an acknowledgement survives `kill -9` of processes
# holding the store. Prints TAP.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/scan/store.sh
TOP_SRCDIR=${TOP_SRCDIR:-.}
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/lib.sh"
plan_start

if [ ! -x "$TFDRIFT" ]; then
	t_skip_all "no tfdrift binary at $TFDRIFT"
fi
if [ ! -x /usr/bin/python3 ]; then
	t_skip_all "python3 is needed to read the JSON, CSV and SQLite output"
fi
PY=/usr/bin/python3
EX=$TOP_SRCDIR/doc/examples
SCHEMA=$TOP_SRCDIR/doc/findings.schema.json
export USER=alice
unset TFDRIFT_NOW
# Never touch the real XDG store.
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
export XDG_STATE_HOME XDG_CONFIG_HOME
store=$T_TMP/state/deeper/tfdrift.db

scan_ex() {
	"$TFDRIFT" scan --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" --events "$EX/cloudtrail.json" \
	    --events "$EX/gcp-audit.json" --store "$store" "$@"
}
# count of JSON lines (or findings in a document) in a file
nlines() { grep -c . "$1" 2>/dev/null || echo 0; }
rows() { $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$store" "$1"; }
jget() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    f = json.loads(l)
    if f["id"] == sys.argv[2]:
        v = f
        for k in sys.argv[3].split("."):
            v = v.get(k) if isinstance(v, dict) else None
        print(v)' "$1" "$2" "$3"; }

# ---- scan --store ----
t_exit "scan --store finds drift (exit 2)" 2 scan_ex --format jsonl -o "$T_TMP/scan1.jsonl"
n=$(nlines "$T_TMP/scan1.jsonl")
# The examples stop an instance and start it again (AWS and GCP): those two resolve.
nopen=$(grep -c '"status":"open"' "$T_TMP/scan1.jsonl")
t_is "the stops put back by the starts are resolved" "$((n - nopen))" 2
t_like "scan reports the store's counts" "$T_ERR" "store .*tfdrift.db: $nopen open, 0 acknowledged, 0 suppressed, 2 resolved"
t_ok "the store is created with its directories" test -f "$store"
t_is "one row per finding" "$(rows 'SELECT count(*) FROM findings')" "$n"
t_exit "the same scan again" 2 scan_ex --format jsonl -o "$T_TMP/scan2.jsonl"
t_is "still one row per finding after two scans" "$(rows 'SELECT count(*) FROM findings')" "$n"
t_is "first_seen kept, last_seen moved" \
    "$(rows 'SELECT count(*) FROM findings WHERE first_seen <= last_seen')" "$n"

# ---- export ----
t_ok "export json" "$TFDRIFT" export --store "$store" --status all -o "$T_TMP/all.json"
t_like "export says what it wrote" "$T_ERR" "exported $n findings"
t_ok "the export validates against the schema" $PY "$TOP_SRCDIR/tests/schema_validate.py" "$SCHEMA" "$T_TMP/all.json"
t_is "it holds every finding" "$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$T_TMP/all.json")" "$n"
t_ok "export jsonl" "$TFDRIFT" export --store "$store" --status all --format jsonl -o "$T_TMP/all.jsonl"
t_ok "export, by default" "$TFDRIFT" export --store "$store" --format jsonl -o "$T_TMP/default.jsonl"
t_is "by default every finding not resolved" "$(nlines "$T_TMP/default.jsonl")" "$nopen"
t_ok "every line validates" $PY "$TOP_SRCDIR/tests/schema_validate.py" "$SCHEMA" "$T_TMP/all.jsonl" --jsonl
t_ok "the stored findings read back byte-identical to the scan's" $PY -c '
import json, sys
s = {json.loads(l)["id"]: l for l in open(sys.argv[1])}
b = list(open(sys.argv[2]))
assert sorted(s) == sorted(json.loads(l)["id"] for l in b), "ids differ"
for l in b:
    assert l == s[json.loads(l)["id"]], l
times = [json.loads(l)["event"]["time"] or "" for l in b]
assert times == sorted(times), "not ordered by event time"
' "$T_TMP/scan1.jsonl" "$T_TMP/all.jsonl"
want=$($PY -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if (json.loads(l)["event"]["time"] or "") >= "2024-05-27T09:30:00Z"))' "$T_TMP/scan1.jsonl")
t_ok "export --since" "$TFDRIFT" export --store "$store" --status all --since 2024-05-27T09:30:00Z --format jsonl -o "$T_TMP/since.jsonl"
t_is "selects by event time like scan --since" "$(nlines "$T_TMP/since.jsonl")" "$want"
t_exit "export --status with a bad word exits 1" 1 "$TFDRIFT" export --store "$store" --status closed
t_like "and says what it expected" "$T_ERR" 'expected open, acknowledged, suppressed, resolved or all'
t_exit "export --format text is refused" 1 "$TFDRIFT" export --store "$store" --format text
t_exit "export of a missing store exits 1" 1 "$TFDRIFT" export --store "$T_TMP/nope/x.db"
t_like "saying there is none yet" "$T_ERR" 'nope/x.db: no store there yet'
t_ok "and creates nothing" test ! -e "$T_TMP/nope"

if need_shared; then
	printf '{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":"e","resources":[]}' > "$T_TMP/none.tfstate"
	for f in "$SHARED_DATA"/cloudtrail/DERIVED_invictus_all_records_sorted.json "$SHARED_DATA"/gcpaudit/plaso_gcp_logging.jsonl; do
		b=$(basename "$f")
		"$TFDRIFT" scan --state "$T_TMP/none.tfstate" --events "$f" --store "$T_TMP/$b.db" --format jsonl -q -o "$T_TMP/$b.scan" 2>/dev/null
		"$TFDRIFT" export --store "$T_TMP/$b.db" --status all --format jsonl -q -o "$T_TMP/$b.export" 2>/dev/null
		t_ok "$b: findings read back from the store byte-identical" $PY -c '
import json, sys
s = {json.loads(l)["id"]: l for l in open(sys.argv[1])}
b = list(open(sys.argv[2]))
assert len(s) > 0 and len(b) == len(s), (len(s), len(b))
assert all(l == s[json.loads(l)["id"]] for l in b)' "$T_TMP/$b.scan" "$T_TMP/$b.export"
	done
else
	t_skip "shared samples through the store" "no shared data"
fi

# ---- ack / suppress / undo and how scan shows them ----
id=$(grep "\"status\":\"open\"" "$T_TMP/scan1.jsonl" | head -n 1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
short=$(printf '%.10s' "$id")
note='known change, "ticket" OPS-1
second line'
t_run "$TFDRIFT" ack --store "$store" "$short" --note "$note"
t_is "ack by an id prefix exits 0" "$T_RC" 0
t_like "and prints the decision id" "$T_OUT" '^[0-9]+$'
ack_id=$T_OUT
t_like "and what it did, on stderr" "$T_ERR" "acknowledged $id \\(decision $ack_id\\)"
t_ok "export --status acknowledged" "$TFDRIFT" export --store "$store" --status acknowledged --format jsonl -o "$T_TMP/acked.jsonl"
t_is "holds the one acknowledged finding" "$(nlines "$T_TMP/acked.jsonl")" 1
t_is "with its status" "$(jget "$T_TMP/acked.jsonl" "$id" status)" acknowledged
t_is "who ($USER)" "$(jget "$T_TMP/acked.jsonl" "$id" triage.by)" alice
t_is "and the note" "$($PY -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["triage"]["note"], end="")' "$T_TMP/acked.jsonl")" "$note"
t_exit "ack of an unknown id exits 1" 1 "$TFDRIFT" ack --store "$store" ffffffffffff
t_like "naming it" "$T_ERR" 'no finding ffffffffffff'
t_exit "ack without an id exits 1" 1 "$TFDRIFT" ack --store "$store"
t_exit "ack on a store that does not exist exits 1" 1 "$TFDRIFT" ack --store "$T_TMP/none.db" "$short"
t_ok "without creating it" test ! -e "$T_TMP/none.db"

# A one-finding estate, to see scan's exit code and statuses move with the decisions.
state=$T_TMP/one.tfstate
cat > "$state" <<'JSON'
{"version":4,"terraform_version":"1.5.7","serial":2,"lineage":"x","outputs":{},"resources":[
 {"mode":"managed","type":"aws_instance","name":"web","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":1,"attributes":{"id":"i-0abc","instance_type":"t3.micro"}}]}]}
JSON
printf '%s\n' '{"eventVersion":"1.08","eventID":"one-1","eventTime":"2024-05-27T09:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"ModifyInstanceAttribute","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0 Python/3.11","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","userName":"bob","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333"},"requestParameters":{"instanceId":"i-0abc","instanceType":{"value":"t3.large"}}}' > "$T_TMP/one.jsonl"
one=$T_TMP/one.db
scan_one() { "$TFDRIFT" scan --state "$state" --events "$T_TMP/one.jsonl" --store "$one" --format jsonl "$@"; }
status_of() { printf '%s\n' "$1" | $PY -c 'import json,sys; print(" ".join(json.loads(l)["status"] for l in sys.stdin if l.strip()))'; }
export TFDRIFT_NOW=2024-06-01T10:00:00Z
t_exit "open drift exits 2" 2 scan_one
fid=$(printf '%s\n' "$T_OUT" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t_ok "ack it" "$TFDRIFT" ack --store "$one" "$fid"
oneack=$T_OUT
t_exit "an acknowledged finding no longer fails the scan (exit 0)" 0 scan_one
t_is "scan shows it acknowledged" "$(status_of "$T_OUT")" acknowledged
t_like "with the triage" "$T_OUT" '"triage": *\{ *"by": *"alice", *"at": *"2024-06-01T10:00:00Z"'
t_exit "text output shows the status too" 0 scan_one --format text
t_like "as a line under the finding" "$T_OUT" '^    acknowledged by alice at 2024-06-01T10:00:00Z'
t_ok "suppress the event name for 1h" "$TFDRIFT" suppress --store "$one" --scope event --value ModifyInstanceAttribute --for 1h --note noisy
t_like "suppress prints the decision id" "$T_OUT" '^[0-9]+$'
t_like "and its end" "$T_ERR" 'suppressed event_name ModifyInstanceAttribute until 2024-06-01T11:00:00Z'
TFDRIFT_NOW=2024-06-01T10:30:00Z
t_exit "suppressed: still exit 0" 0 scan_one
t_is "a suppression beats the ack" "$(status_of "$T_OUT")" suppressed
TFDRIFT_NOW=2024-06-01T11:00:00Z
t_exit "at its end the suppression lapses by itself" 0 scan_one
t_is "and the ack shows again" "$(status_of "$T_OUT")" acknowledged
t_ok "undo the ack" "$TFDRIFT" undo --store "$one" "$oneack"
t_exit "undone: the drift fails the scan again (exit 2)" 2 scan_one
t_is "open again" "$(status_of "$T_OUT")" open
t_exit "undoing it twice exits 1" 1 "$TFDRIFT" undo --store "$one" "$oneack"
t_like "saying so" "$T_ERR" "already undone"
t_ok "suppress the resource for good" "$TFDRIFT" suppress --store "$one" --scope resource --value aws_instance.web
sup_res=$T_OUT
t_exit "suppressed by resource: exit 0" 0 scan_one
t_is "suppressed" "$(status_of "$T_OUT")" suppressed
t_ok "suppress an actor until a time" "$TFDRIFT" suppress --store "$one" --scope actor --value bob --until 2024-06-02T00:00:00Z
sup_actor=$T_OUT
t_exit "suppress --until in the past exits 1" 1 "$TFDRIFT" suppress --store "$one" --scope actor --value bob --until 2024-01-01T00:00:00Z
t_exit "suppress --until 25:61 exits 1" 1 "$TFDRIFT" suppress --store "$one" --scope actor --value bob --until 25:61
t_like "naming the forms of an end" "$T_ERR" 'until 25:61: expected a time \(2024-05-27T18:00:00Z, 17:30, or 2h from now as 2h\)'
t_exit "suppress with an unknown scope exits 1" 1 "$TFDRIFT" suppress --store "$one" --scope team --value x
t_exit "suppress with --for and --until exits 1" 1 "$TFDRIFT" suppress --store "$one" --scope actor --value x --for 1h --until 2030-01-01T00:00:00Z
t_exit "undo with a word exits 1" 1 "$TFDRIFT" undo --store "$one" last
# Values that can match nothing are refused before anything is saved (or a store is made).
ndec() { $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM decisions").fetchone()[0])' "$one"; }
before=$(ndec)
t_exit "suppress --scope resource --value ':' exits 1" 1 "$TFDRIFT" suppress --store "$one" --scope resource --value ':'
t_like "saying what a resource is" "$T_ERR" \
    "^tfdrift: --scope resource --value ':' is neither an address nor TYPE:ID: expected a Terraform address \\(aws_instance.web, .*\\) or TYPE:ID with both parts"
for v in 'aws_instance:' 'web' 'aws_instance.web.x' ' aws_instance.web' 'aws_instance.web[' ':i-0abc'; do
	t_exit "resource '$v' is refused" 1 "$TFDRIFT" suppress --store "$one" --scope resource --value "$v"
done
t_like "a key without a type: only one the store has" "$T_ERR" 'has no type: .*accepted only when a stored finding has it'
t_exit "an empty actor is refused" 1 "$TFDRIFT" suppress --store "$one" --scope actor --value ''
t_like "saying what an actor is" "$T_ERR" "--value '' is empty: expected an actor's name or principal"
t_exit "an empty rule is refused" 1 "$TFDRIFT" suppress --store "$one" --scope rule --value ''
t_exit "an empty event is refused" 1 "$TFDRIFT" suppress --store "$one" --scope event --value ''
t_exit "an event with a control character is refused" 1 "$TFDRIFT" suppress --store "$one" --scope event --value "$(printf 'Stop\033[31m')"
t_like "shown escaped, not sent to the terminal" "$T_ERR" "--value 'Stop\\\\x1b\\[31m' has a control character"
t_exit "an unknown finding is refused" 1 "$TFDRIFT" suppress --store "$one" --scope finding --value ffffffffffff
t_exit "an empty finding is refused" 1 "$TFDRIFT" suppress --store "$one" --scope finding --value ''
t_is "none of them was saved" "$(ndec)" "$before"
t_exit "a bad value does not make a store" 1 "$TFDRIFT" suppress --store "$T_TMP/made/x.db" --scope resource --value ':'
t_ok "(none made)" test ! -e "$T_TMP/made"
t_ok "TYPE:ID with an ARN is accepted" "$TFDRIFT" suppress --store "$one" --scope resource --value 'aws_iam_role:arn:aws:iam::111122223333:role/ci'
t_ok "an address with module keys is accepted" "$TFDRIFT" suppress --store "$one" --scope resource --value 'module.app["a:b"].aws_instance.web[0]'
t_ok "(undo both)" sh -c "'$TFDRIFT' undo --store '$one' \$(($before + 1)) && '$TFDRIFT' undo --store '$one' \$(($before + 2))"
t_is "every decision is recorded with who and when" \
    "$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT group_concat(action || \":\" || \"by\", \" \") FROM (SELECT * FROM decisions ORDER BY id)").fetchone()[0])' "$one")" \
    "ack:alice suppress:alice undo:alice suppress:alice suppress:alice suppress:alice suppress:alice undo:alice undo:alice"
unset TFDRIFT_NOW

# ---- CSV ----
t_ok "export csv" "$TFDRIFT" export --store "$store" --status all --format csv -o "$T_TMP/all.csv"
t_ok "csv: the header, one row per finding, RFC 4180 quoting (python's csv reads it back)" $PY -c '
import csv, json, sys
raw = open(sys.argv[1], "rb").read()
assert raw.endswith(b"\r\n"), "lines end in CRLF"
rows = list(csv.reader(open(sys.argv[1], newline="")))
head = "id,time,severity,kind,status,address,type,resource_id,account,region,actor,via,event,summary,triage_by,triage_at,triage_note,triage_until,resolution_reason,resolved_at,resolved_by".split(",")
assert rows[0] == head, rows[0]
body = [dict(zip(head, r)) for r in rows[1:]]
assert all(len(r) == len(head) for r in rows), "ragged rows"
assert len(body) == int(sys.argv[3]), (len(body), sys.argv[3])
doc = {f["id"]: f for f in json.load(open(sys.argv[2]))["findings"]}
for r in body:
    f = doc[r["id"]]
    assert r["summary"] == (f.get("summary") or ""), (r["summary"], f.get("summary"))
    assert r["address"] == (f["resource"]["address"] or "")
    assert r["time"] == (f["event"]["time"] or "")
acked = [r for r in body if r["status"] == "acknowledged"]
assert len(acked) == 1 and acked[0]["triage_note"] == sys.argv[4], acked
assert acked[0]["triage_by"] == "alice" and acked[0]["triage_at"] != "" and acked[0]["triage_until"] == ""
assert any("," in r["summary"] or "\"" in r["summary"] for r in body), "no field needed quoting"
' "$T_TMP/all.csv" "$T_TMP/all.json" "$n" "$note"
t_like "a note with a comma, quotes and a newline is quoted" "$(cat "$T_TMP/all.csv")" '"known change, ""ticket"" OPS-1'

# ---- broken stores ----
printf 'this is not a database, just some garbage bytes\n%.0s' 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 > "$T_TMP/garbage.db"
t_exit "export of a corrupt store exits 1" 1 "$TFDRIFT" export --store "$T_TMP/garbage.db"
t_like "with the path and what to do" "$T_ERR" "garbage.db: the store is corrupt or not an SQLite database .*mv "
t_exit "scan --store into a corrupt store exits 1 before scanning" 1 scan_one --store "$T_TMP/garbage.db"
t_unlike "and prints no findings" "$T_OUT" '"kind"'
t_exit "ack into a corrupt store exits 1" 1 "$TFDRIFT" ack --store "$T_TMP/garbage.db" abcdef
t_like "clearly" "$T_ERR" 'corrupt'
# Damaged pages that only some commands read (an index of the findings): every command
# refuses the store, with one message. ack used to save into it while export refused it.
dmg=$T_TMP/damaged.db
"$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --store "$dmg" -q -o /dev/null 2> /dev/null
did=$("$TFDRIFT" export --store "$dmg" --format jsonl -q | head -n 1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$TFDRIFT" ack --store "$dmg" "$did" > /dev/null 2>&1
t_ok "the pages of the findings' indexes are overwritten" $PY -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
pages = [r[0] for r in c.execute("SELECT rootpage FROM sqlite_master WHERE name IN "
    "(\"findings_event_time\", \"findings_last_seen\", \"findings_address\")")]
psz = c.execute("PRAGMA page_size").fetchone()[0]
c.close()
with open(sys.argv[1], "r+b") as f:
    for p in pages:
        f.seek((p - 1) * psz)
        f.write(b"\x5a" * psz)' "$dmg"
dmsg=
for cmd in "export" "ack $did" "suppress --scope actor --value bob" "undo 1" "freeze list"; do
	# shellcheck disable=SC2086
	t_exit "damaged pages: $cmd exits 1" 1 "$TFDRIFT" $cmd --store "$dmg"
	m=$(printf '%s\n' "$T_ERR" | sed 's/^tfdrift: //; s/^not saved: //')
	[ -n "$dmsg" ] || dmsg=$m
	t_is "damaged pages: $cmd says the same as export" "$m" "$dmsg"
done
t_like "which says it is corrupt, where, and what to do" "$dmsg" \
    "^$dmg: the store is corrupt .*Page [0-9]+: .*mv '$dmg' '$dmg.bad'"
t_exit "damaged pages: scan --store exits 1" 1 "$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --store "$dmg" -q -o /dev/null
t_like "with the same message" "$T_ERR" "the store is corrupt"
t_is "no decision was added" "$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM decisions").fetchone()[0])' "$dmg")" 1
mkdir "$T_TMP/adir"
t_exit "a directory as the store exits 1" 1 "$TFDRIFT" export --store "$T_TMP/adir"
t_like "saying so" "$T_ERR" 'is a directory'

# ---- durability: kill -9 ----
# 1. A scan holds the store open (it opens it before reading events, and is blocked on a
#    FIFO); the ack is committed by another process; the scan is killed with SIGKILL.
fifo=$T_TMP/events.fifo
mkfifo "$fifo"
"$TFDRIFT" scan --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" --events "$fifo" --store "$store" \
    --format jsonl -o "$T_TMP/bg.jsonl" 2> "$T_TMP/bg.err" &
bg=$!
t_kill_at_exit "$bg"
i=0
while [ ! -e "$store-wal" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t_ok "a scan holds the store open (its WAL file exists)" test -e "$store-wal"
id2=$(grep '"status":"open"' "$T_TMP/scan1.jsonl" | sed -n 2p | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t_run "$TFDRIFT" ack --store "$store" "$id2" --note "acked while a scan held the store"
t_like "ack committed while the scan holds the store" "$T_OUT" '^[0-9]+$'
kill -9 "$bg" 2>/dev/null
wait "$bg" 2>/dev/null
t_ok "export after the kill" "$TFDRIFT" export --store "$store" --status acknowledged --format jsonl -o "$T_TMP/k1.jsonl"
t_is "the ack survived kill -9 of the process holding the store" "$(jget "$T_TMP/k1.jsonl" "$id2" triage.note)" \
    "acked while a scan held the store"
t_is "and the earlier one too" "$(jget "$T_TMP/k1.jsonl" "$id" status)" acknowledged

# 2. Scans writing many findings to the store are killed mid-run, again and again, while
#    acks go in; every acknowledged decision stays, and the database stays consistent.
$PY - "$T_TMP/many.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as fp:
    for i in range(6000):
        fp.write(json.dumps({"eventVersion": "1.08", "eventID": "bulk-%d" % i,
            "eventTime": "2024-05-28T%02d:%02d:%02dZ" % (i // 3600 % 24, i // 60 % 60, i % 60),
            "eventSource": "ec2.amazonaws.com", "eventName": "ModifyInstanceAttribute",
            "awsRegion": "eu-west-1", "sourceIPAddress": "203.0.113.9", "userAgent": "aws-cli/2.15.0",
            "readOnly": False, "eventType": "AwsApiCall", "recipientAccountId": "111122223333",
            "userIdentity": {"type": "IAMUser", "userName": "bob", "arn": "arn:aws:iam::111122223333:user/bob",
                             "accountId": "111122223333"},
            "requestParameters": {"instanceId": "i-0abc", "instanceType": {"value": "t3.%d" % i}}}) + "\n")
PY
t_ok "undo the suppressions" sh -c "'$TFDRIFT' undo --store '$one' '$sup_res' && '$TFDRIFT' undo --store '$one' '$sup_actor'"
survived=0
for round in 1 2 3; do
	"$TFDRIFT" scan --state "$state" --events "$T_TMP/many.jsonl" --store "$one" --quiet -o /dev/null 2>/dev/null &
	bg=$!
	t_kill_at_exit "$bg"
	sleep 0.$((round * 3))
	aid=$("$TFDRIFT" ack --store "$one" "$fid" --note "round $round" 2>/dev/null)
	kill -9 "$bg" 2>/dev/null
	wait "$bg" 2>/dev/null
	if [ -n "$aid" ] && "$TFDRIFT" export --store "$one" --status acknowledged --format jsonl -o "$T_TMP/k2.jsonl" 2>/dev/null &&
	    [ "$(jget "$T_TMP/k2.jsonl" "$fid" triage.note)" = "round $round" ]; then
		survived=$((survived + 1))
	fi
done
t_is "three acks, each followed by kill -9 of a writing scan: all survived" "$survived" 3
t_is "the store is consistent after the kills" \
    "$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$one")" ok
t_exit "and still usable" 0 "$TFDRIFT" export --store "$one" --format jsonl -o "$T_TMP/k3.jsonl"
t_done
