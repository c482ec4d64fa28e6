#!/bin/sh
# The drift lifecycle (issue 15) end to end on hand-written CloudTrail records and states
# (tests/data/lifecycle): every resolution reason, A->B->C, A->B->A, stop/start, a failed
# revert, computed side effects, a partial revert, `scan --store` against newer states (same
# lineage, higher serial) and its exit status over the store, exports per --status against
# the schema, and a schema 4 store migrated in place. Prints TAP.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/scan/lifecycle.sh
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
[ -x "$TFDRIFT" ] || t_skip_all "no tfdrift binary at $TFDRIFT"
PY=/usr/bin/python3
[ -x "$PY" ] || t_skip_all "python3 is needed to read the JSON output"
D=$TOP_SRCDIR/tests/data/lifecycle
SCHEMA=$TOP_SRCDIR/doc/findings.schema.json
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
export XDG_STATE_HOME XDG_CONFIG_HOME
unset TFDRIFT_NOW
printf 'rules_disabled: ["*"]\n' > "$T_TMP/c.yaml"

# scan_ev NAME [ARGS]: the events file NAME.json against state1, a findings document in
# $T_TMP/NAME.json.
scan_ev() {
	_n=$1
	shift
	t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/$_n.json" \
	    --format json -o "$T_TMP/$_n.json" "$@"
}
# q FILE EXPR: a Python expression over the findings (f: the list; by(eid): the finding of
# that event id; res(x): its resolution or {}), printed.
q() { $PY -c '
import json, sys
d = json.load(open(sys.argv[1])) if not sys.argv[1].endswith("l") else \
    {"findings": [json.loads(l) for l in open(sys.argv[1]) if l.strip()]}
f = d["findings"]
def by(eid):
    m = [x for x in f if x["event"]["id"] == eid]
    return m[0] if len(m) == 1 else {"status": "%d findings of %s" % (len(m), eid)}
def res(x):
    return x.get("resolution") or {}
print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- A->B then B->C: both stay open, the net drift is A->C ----
scan_ev abc
t_is "A->B->C: exit 2 (open drift)" "$T_RC" 2
t_is "A->B->C: two findings, both open" "$(q "$T_TMP/abc.json" '[x["status"] for x in f]')" "['open', 'open']"
t_is "A->B->C: the second is state's A -> C" \
    "$(q "$T_TMP/abc.json" '[(c["old"], c["new"]) for c in by("life-02")["changes"]]')" "[('t3.micro', 't3.xlarge')]"

# ---- A->B then B->A (a Lambda's timeout; lastModified and version move on: computed) ----
scan_ev aba
t_is "A->B->A: exit 0 (nothing open)" "$T_RC" 0
t_is "A->B->A: one finding, no new one from the revert" "$(q "$T_TMP/aba.json" 'len(f)')" 1
t_is "A->B->A: resolved, reverted_by_hand" "$(q "$T_TMP/aba.json" 'by("life-03")["status"] + " " + res(by("life-03")).get("reason", "-")')" \
    "resolved reverted_by_hand"
t_is "A->B->A: the resolution names the revert and when" \
    "$(q "$T_TMP/aba.json" 'res(by("life-03"))["event"]["id"] + " " + res(by("life-03"))["at"]')" "life-04 2026-03-02T10:20:00Z"
t_is "A->B->A: and who" "$(q "$T_TMP/aba.json" 'res(by("life-03"))["actor"]["name"]')" "alice@corp.example"
t_is "computed side effects are not drift: only timeout changed" \
    "$(q "$T_TMP/aba.json" '[c["attribute"] for c in by("life-03")["changes"]]')" "['timeout']"
t_like "the summary counts the resolution" "$T_ERR" ': 1 finding \(1 modified, 0 unmanaged, 0 deleted\), 1 resolved'
t_ok "the document validates against the schema" $PY "$TOP_SRCDIR/tests/schema_validate.py" "$SCHEMA" "$T_TMP/aba.json"

# ---- only part of it put back: still open ----
scan_ev partial
t_is "partial revert (timeout back, memory_size not): exit 2" "$T_RC" 2
t_is "partial revert: still open" "$(q "$T_TMP/partial.json" 'by("life-05")["status"]')" open

# ---- stop then start ----
scan_ev stopstart
t_is "stop then start: exit 0" "$T_RC" 0
t_is "stop then start: the stop resolved by the start" \
    "$(q "$T_TMP/stopstart.json" 'by("life-07")["status"] + " " + res(by("life-07"))["event"]["name"]')" "resolved StartInstances"

# ---- a failed revert never resolves ----
scan_ev failed --explain
t_is "failed revert: exit 2" "$T_RC" 2
t_is "failed revert: the policy finding stays open" "$(q "$T_TMP/failed.json" 'by("life-09")["status"]')" open
t_like "failed revert: the call is failed" "$T_ERR" 'life-10 s3.amazonaws.com DeleteBucketPolicy: failed'

# ---- reverted by hand, and the revert is no finding of its own ----
scan_ev byhand --explain
t_is "DeleteBucketPolicy after PutBucketPolicy: exit 0" "$T_RC" 0
t_is "the bucket's policy finding: reverted_by_hand" \
    "$(q "$T_TMP/byhand.json" 'res(by("life-09")).get("reason")')" reverted_by_hand
t_is "the deletion makes no finding of its own" "$(q "$T_TMP/byhand.json" 'len(f)')" 1
t_like "the deletion is equal to state" "$T_ERR" 'life-11 s3.amazonaws.com DeleteBucketPolicy: equal_value'

# ---- via: a change in the console put back with the CLI, and the other way round: the
# finding says how it was made, its resolution how it was put back (scan, and the store) ----
for pair in console,cli cli,console; do
	$PY - "$D/byhand.json" "$T_TMP/via.json" "$pair" << 'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for r, how in zip(d["Records"], sys.argv[3].split(",")):
    if how == "console":
        r["userAgent"] = "AWS Internal"
        r["sessionCredentialFromConsole"] = "true"
json.dump(d, open(sys.argv[2], "w"))
EOF
	t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$T_TMP/via.json" --format json \
	    -o "$T_TMP/via-out.json" --store "$T_TMP/via-$pair.db"
	t_is "via $pair: the finding's and its resolution's" \
	    "$(q "$T_TMP/via-out.json" 'by("life-09")["actor"]["via"] + "," + res(by("life-09"))["actor"]["via"]')" "$pair"
	"$TFDRIFT" export --store "$T_TMP/via-$pair.db" --status all --format json -o "$T_TMP/via-x.json" 2>/dev/null
	t_is "via $pair: the same from the store" \
	    "$(q "$T_TMP/via-x.json" 'by("life-09")["actor"]["via"] + "," + res(by("life-09"))["actor"]["via"]')" "$pair"
done

# ---- reverted by Terraform: both open findings on the attribute ----
scan_ev terraform
t_is "terraform apply puts it back: exit 0" "$T_RC" 0
t_is "both findings: reverted_by_terraform" \
    "$(q "$T_TMP/terraform.json" '[res(x).get("reason") for x in f]')" "['reverted_by_terraform', 'reverted_by_terraform']"
t_is "the resolution's actor names the pipeline role and session" \
    "$(q "$T_TMP/terraform.json" 'res(by("life-01"))["actor"]["via"] + " " + res(by("life-01"))["actor"]["principal"]')" \
    "terraform arn:aws:sts::111122223333:assumed-role/TerraformPipeline/terraform-ci"

# ---- a pipeline delete: resource_gone ----
scan_ev gone
t_is "terraform destroys the bucket: exit 0" "$T_RC" 0
t_is "the bucket's finding: resource_gone" "$(q "$T_TMP/gone.json" 'res(by("life-09")).get("reason")')" resource_gone

# ---- streamed JSON lines: the finding, then its update ----
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/aba.json" --format jsonl
printf '%s\n' "$T_OUT" > "$T_TMP/aba.jsonl"
t_is "jsonl: written when made, again when resolved" "$(q "$T_TMP/aba.jsonl" '[x["status"] for x in f]')" "['open', 'resolved']"
t_is "jsonl: with the same id" "$(q "$T_TMP/aba.jsonl" 'len(set(x["id"] for x in f))')" 1
t_ok "jsonl validates (an update may repeat an id)" $PY "$TOP_SRCDIR/tests/schema_validate.py" "$SCHEMA" "$T_TMP/aba.jsonl" --jsonl
t_is "jsonl: exit 0 too" "$T_RC" 0

# ---- scan --store against newer states ----
S=$T_TMP/s.db
printf '{"Records":[]}\n' > "$T_TMP/none.json"
sc() { t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$1" --events "$2" --store "$S" --format json -o "$T_TMP/out.json"; }
export_all() { "$TFDRIFT" export --store "$S" --status all --format json -o "$T_TMP/all.json" 2>/dev/null; }
sc "$D/state1.tfstate" "$D/run1.json"
t_is "run 1: two open findings, exit 2" "$T_RC" 2
t_like "run 1: the store's counts" "$T_ERR" 'store .*s\.db: 2 open, 0 acknowledged, 0 suppressed, 0 resolved'
sc "$D/state1.tfstate" "$T_TMP/none.json"
t_is "run 2, no new drift: exit 2, the store still holds open drift" "$T_RC" 2
web=$(export_all; q "$T_TMP/all.json" 'by("life-01")["id"]')
TFDRIFT_NOW=2026-03-03T08:00:00Z
export TFDRIFT_NOW
sc "$D/state2-accepted.tfstate" "$T_TMP/none.json"
t_is "run 3, serial 2 holds the policy: still exit 2 (the instance)" "$T_RC" 2
export_all
t_is "run 3: the policy finding accepted_in_state" "$(q "$T_TMP/all.json" 'res(by("life-09")).get("reason")')" accepted_in_state
t_is "run 3: at the time the state was read, no event or actor" \
    "$(q "$T_TMP/all.json" '(res(by("life-09"))["at"], res(by("life-09")).get("event"), res(by("life-09")).get("actor"))')" \
    "('2026-03-03T08:00:00Z', None, None)"
t_is "run 3: the resolution names the state that accepted it, path and serial" \
    "$(q "$T_TMP/all.json" 'res(by("life-09"))["state"]')" "{'path': '$D/state2-accepted.tfstate', 'serial': 2}"
t_ok "run 3: the export validates (resolution.state)" $PY "$TOP_SRCDIR/tests/schema_validate.py" "$SCHEMA" "$T_TMP/all.json"
"$TFDRIFT" export --store "$S" --status resolved --format csv -o "$T_TMP/acc.csv" 2>/dev/null
t_is "run 3: csv: resolved_by names the state" "$($PY -c 'import csv, sys
print(list(csv.DictReader(open(sys.argv[1], newline="")))[0]["resolved_by"])' "$T_TMP/acc.csv")" \
    "state $D/state2-accepted.tfstate serial 2"
t_is "run 3: the instance type finding stays open" "$(q "$T_TMP/all.json" 'by("life-01")["status"]')" open
t_is "run 3: this run's output lists the resolution" "$(q "$T_TMP/out.json" '[x["status"] for x in f]')" "['resolved']"
unset TFDRIFT_NOW
sc "$D/other-lineage.tfstate" "$T_TMP/none.json"
t_is "another lineage (serial 9, no instance) decides nothing: exit 2" "$T_RC" 2
t_ok "acknowledge the instance's finding" "$TFDRIFT" ack --store "$S" "$web" --note "being fixed"
sc "$D/state1.tfstate" "$T_TMP/none.json"
t_is "acknowledged: no open drift left, exit 0" "$T_RC" 0
sc "$D/state3-gone.tfstate" "$T_TMP/none.json"
t_is "serial 3 lost the instance: exit 0" "$T_RC" 0
t_like "the store's counts: all resolved" "$T_ERR" 'store .*s\.db: 0 open, 0 acknowledged, 0 suppressed, 2 resolved'
export_all
t_is "the instance's finding: resource_gone" "$(q "$T_TMP/all.json" 'res(by("life-01")).get("reason")')" resource_gone
t_is "by the state that lost it" "$(q "$T_TMP/all.json" 'res(by("life-01"))["state"]')" \
    "{'path': '$D/state3-gone.tfstate', 'serial': 3}"
t_is "the accepted one keeps its state" "$(q "$T_TMP/all.json" 'res(by("life-09"))["state"]["serial"]')" 2
t_is "resolved outranks the triage, which is kept" \
    "$(q "$T_TMP/all.json" 'by("life-01")["status"] + " " + by("life-01")["triage"]["note"]')" "resolved being fixed"
sc "$D/state1.tfstate" "$D/run1.json"
t_is "the same events scanned again never un-resolve: exit 0" "$T_RC" 0
t_is "... and the run shows them as the store has them" "$(q "$T_TMP/out.json" '[x["status"] for x in f]')" "['resolved', 'resolved']"
t_is "still two rows" "$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM findings").fetchone()[0])' "$S")" 2
t_like "still resolved" "$T_ERR" 'store .*s\.db: 0 open, 0 acknowledged, 0 suppressed, 2 resolved'

# ---- a newer state and the same events again in one run: what the state accepted stays
# resolved (the finding made again from its event is the same finding, not new drift) ----
S5=$T_TMP/s5.db
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/run1.json" --store "$S5" -q -o /dev/null
t_is "run 1 again: two open, exit 2" "$T_RC" 2
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state2-accepted.tfstate" --events "$D/run1.json" --store "$S5" --format json -o "$T_TMP/s5.json"
t_is "serial 2 and run1's events: exit 2 (the instance)" "$T_RC" 2
t_is "the policy finding accepted_in_state in this run's output, once" \
    "$(q "$T_TMP/s5.json" 'sorted((x["event"]["id"], x["status"], res(x).get("reason")) for x in f)')" \
    "[('life-01', 'open', None), ('life-09', 'resolved', 'accepted_in_state')]"
t_like "and in the store" "$T_ERR" 'store .*s5\.db: 1 open, 0 acknowledged, 0 suppressed, 1 resolved'
t_is "the output's resolved finding is whole (its actor, its summary)" \
    "$(q "$T_TMP/s5.json" '(by("life-09")["actor"]["name"] is not None, bool(by("life-09")["summary"]))')" "(True, True)"
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state2-accepted.tfstate" --events "$D/run1.json" --store "$S5" -q -o /dev/null
t_is "a third run keeps it resolved" "$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT status, count(*) FROM findings GROUP BY 1 ORDER BY 1").fetchall())' "$S5")" "[('open', 1), ('resolved', 1)]"

# ---- the store's drift put back by an event of a run that reads its own event again: one
# finding, resolved, whole (the store's copy is tracked, this run's copy of it is not new) ----
S6=$T_TMP/s6.db
$PY -c 'import json,sys; d = json.load(open(sys.argv[1])); d["Records"] = [r for r in d["Records"] if r["eventID"] == "life-03"]; json.dump(d, open(sys.argv[2], "w"))' \
    "$D/aba.json" "$T_TMP/aba-first.json"
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$T_TMP/aba-first.json" --store "$S6" -q -o /dev/null
t_is "A->B alone: exit 2" "$T_RC" 2
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/aba.json" --store "$S6" --format json -o "$T_TMP/s6.json"
t_is "then A->B and B->A: exit 0" "$T_RC" 0
t_is "one finding, resolved by the revert" \
    "$(q "$T_TMP/s6.json" '[(x["event"]["id"], x["status"], res(x).get("reason"), res(x)["event"]["id"]) for x in f]')" \
    "[('life-03', 'resolved', 'reverted_by_hand', 'life-04')]"
t_is "printed whole (actor, summary, changes)" \
    "$(q "$T_TMP/s6.json" '(f[0]["actor"]["name"], bool(f[0]["summary"]), [c["attribute"] for c in f[0]["changes"]])')" \
    "('alice@corp.example', True, ['timeout'])"
t_like "the store: nothing open" "$T_ERR" 'store .*s6\.db: 0 open, 0 acknowledged, 0 suppressed, 1 resolved'
"$TFDRIFT" export --store "$S6" --status all --format json -o "$T_TMP/s6x.json" 2>/dev/null
t_ok "the export is that finding, byte for byte as printed" $PY -c '
import json, sys
a, b = (json.load(open(p))["findings"] for p in sys.argv[1:3])
assert a == b, (a, b)' "$T_TMP/s6.json" "$T_TMP/s6x.json"

# ---- an unmanaged resource brought under Terraform: accepted_in_state ----
S4=$T_TMP/s4.db
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/unmanaged.json" --store "$S4" -q -o /dev/null
t_is "a bucket no state manages: exit 2" "$T_RC" 2
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --state "$D/imported.tfstate" \
    --events "$T_TMP/none.json" --store "$S4" -q -o "$T_TMP/s4.json"
t_is "imported into a state: exit 0" "$T_RC" 0
t_is "the unmanaged finding: accepted_in_state" "$(q "$T_TMP/s4.json" '[(x["kind"], res(x).get("reason")) for x in f]')" \
    "[('unmanaged', 'accepted_in_state')]"
t_is "by the state it was imported into" "$(q "$T_TMP/s4.json" 'res(f[0])["state"]["path"]')" "$D/imported.tfstate"

# ---- the exit status counts the store, not only this run ----
S2=$T_TMP/s2.db
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/abc.json" --store "$S2" -q -o /dev/null
t_is "a store with open drift: exit 2" "$T_RC" 2
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/aba.json" --store "$S2" -q -o "$T_TMP/s2.json"
t_is "a clean run against it: exit 2 still (its open findings count)" "$T_RC" 2
t_is "... although this run's own finding resolved" "$(q "$T_TMP/s2.json" '[x["status"] for x in f]')" "['resolved']"
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/terraform.json" --store "$S2" -q -o "$T_TMP/s2b.json"
t_is "a later apply puts the store's findings back: exit 0" "$T_RC" 0

# ---- exports per --status ----
S3=$T_TMP/s3.db
"$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/abc.json" --events "$D/aba.json" \
    --events "$D/failed.json" --events "$D/stopstart.json" --store "$S3" -q -o /dev/null
ids3=$("$TFDRIFT" export --store "$S3" --status open --format jsonl 2>/dev/null | $PY -c 'import json,sys
print(" ".join(json.loads(l)["id"] for l in sys.stdin))')
set -- $ids3
t_is "three open findings" "$#" 3
"$TFDRIFT" ack --store "$S3" "$1" > /dev/null 2>&1
"$TFDRIFT" suppress --store "$S3" --scope finding --value "$2" > /dev/null 2>&1
for st in open acknowledged suppressed resolved all default; do
	if [ $st = default ]; then a=""; else a="--status $st"; fi
	# shellcheck disable=SC2086
	t_ok "export $a: json" "$TFDRIFT" export --store "$S3" $a --format json -o "$T_TMP/x-$st.json"
	t_ok "export $a: validates" $PY "$TOP_SRCDIR/tests/schema_validate.py" "$SCHEMA" "$T_TMP/x-$st.json"
	# shellcheck disable=SC2086
	t_ok "export $a: jsonl" "$TFDRIFT" export --store "$S3" $a --format jsonl -o "$T_TMP/x-$st.jsonl"
	t_ok "export $a: jsonl validates" $PY "$TOP_SRCDIR/tests/schema_validate.py" "$SCHEMA" "$T_TMP/x-$st.jsonl" --jsonl
done
t_is "--status open: drifted now and untriaged" "$(q "$T_TMP/x-open.json" 'sorted(x["status"] for x in f)')" "['open']"
t_is "--status acknowledged" "$(q "$T_TMP/x-acknowledged.json" '[x["status"] for x in f]')" "['acknowledged']"
t_is "--status suppressed" "$(q "$T_TMP/x-suppressed.json" '[x["status"] for x in f]')" "['suppressed']"
t_is "--status resolved: the A->B->A and stop/start findings, with their resolution" \
    "$(q "$T_TMP/x-resolved.json" 'sorted((x["event"]["id"], res(x)["reason"]) for x in f)')" \
    "[('life-03', 'reverted_by_hand'), ('life-07', 'reverted_by_hand')]"
t_is "--status all: five" "$(q "$T_TMP/x-all.json" 'len(f)')" 5
t_is "by default: every one not resolved" "$(q "$T_TMP/x-default.json" 'sorted(x["status"] for x in f)')" \
    "['acknowledged', 'open', 'suppressed']"
t_ok "export csv --status all" "$TFDRIFT" export --store "$S3" --status all --format csv -o "$T_TMP/x.csv"
t_ok "csv: status and the resolution columns at the end" $PY -c '
import csv, json, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
assert rows[0][-3:] == ["resolution_reason", "resolved_at", "resolved_by"], rows[0]
assert rows[0][4] == "status", rows[0]
body = [dict(zip(rows[0], r)) for r in rows[1:]]
doc = {f["id"]: f for f in json.load(open(sys.argv[2]))["findings"]}
assert len(body) == len(doc) == 5
for r in body:
    f = doc[r["id"]]
    assert r["status"] == f["status"], r
    z = f.get("resolution") or {}
    assert r["resolution_reason"] == z.get("reason", ""), r
    assert r["resolved_at"] == z.get("at", ""), r
    assert r["resolved_by"] == ((z.get("actor") or {}).get("name") or ""), r
assert sum(1 for r in body if r["resolution_reason"] == "reverted_by_hand") == 2
' "$T_TMP/x.csv" "$T_TMP/x-all.json"
t_exit "export --status closed is refused" 1 "$TFDRIFT" export --store "$S3" --status closed
t_like "naming resolved among the choices" "$T_ERR" 'expected open, acknowledged, suppressed, resolved or all'

# ---- a schema 4 store (written by the previous tfdrift) migrates in place ----
V4=$T_TMP/v4.db
$PY -c 'import sqlite3,sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()' \
    "$V4" "$D/store-v4.sql"
v4q() { $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$V4" "$1"; }
t_is "the fixture is schema 4" "$(v4q "SELECT value FROM meta WHERE key = 'schema_version'")" 4
t_ok "export from it" "$TFDRIFT" export --store "$V4" --status all --format json -o "$T_TMP/v4.json"
t_is "migrated to the newest schema (10: resolutions, the events seen, re-evaluation's columns, bodies apart, leases, status apart)" "$(v4q "SELECT value FROM meta WHERE key = 'schema_version'")" 10
t_is "every finding's JSON moved to finding_bodies" "$(v4q "SELECT count(*) FROM finding_bodies JOIN findings USING (id) WHERE json_valid(json)")" 2
t_is "the changes of its findings filled from their JSON" "$(v4q "SELECT count(*) FROM findings WHERE changes LIKE '[{\"attribute\":%' AND event_source IS NOT NULL")" 2
t_is "its findings all open, its ack kept" "$(q "$T_TMP/v4.json" 'sorted(x["status"] for x in f)')" "['acknowledged', 'open']"
t_is "with the status column" "$(v4q "SELECT count(*) FROM findings WHERE status = 'open'")" 2
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/byhand.json" --store "$V4" -q -o /dev/null
t_is "a scan resolves its findings (the policy put back by hand): exit 0" "$T_RC" 0
"$TFDRIFT" export --store "$V4" --status all --format json -o "$T_TMP/v4b.json" 2>/dev/null
t_is "the policy finding of the old store resolved" "$(q "$T_TMP/v4b.json" 'res(by("life-09")).get("reason")')" reverted_by_hand
t_is "still two rows" "$(v4q "SELECT count(*) FROM findings")" 2

# ---- a schema 7 store (the JSON in the findings rows, a resolution saved apart) migrates ----
# store-v7.sql was written by the schema 7 tfdrift (scan --store of abc, aba, failed and
# stopstart, an ack, a suppression, one resolution by store_put_resolutions), store-v7.jsonl
# is what that tfdrift exported from it: the migrated store exports the same, byte for byte.
V7=$T_TMP/v7.db
$PY -c 'import sqlite3,sys; c = sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()' \
    "$V7" "$D/store-v7.sql"
v7q() { $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' "$V7" "$1"; }
t_is "the fixture is schema 7" "$(v7q "SELECT value FROM meta WHERE key = 'schema_version'")" 7
t_ok "export from it" "$TFDRIFT" export --store "$V7" --status all --format jsonl -o "$T_TMP/v7.jsonl"
t_is "migrated to schema 10" "$(v7q "SELECT value FROM meta WHERE key = 'schema_version'")" 10
t_is "no JSON left in the findings rows" "$(v7q "SELECT count(*) FROM pragma_table_info('findings') WHERE name = 'json'")" 0
t_is "five bodies, each of a finding" "$(v7q "SELECT count(*) FROM finding_bodies JOIN findings USING (id)")" 5
t_ok "the export is what the schema 7 tfdrift exported" cmp "$T_TMP/v7.jsonl" "$D/store-v7.jsonl"
t_ok "the store checks clean (foreign keys too)" $PY -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
assert c.execute("PRAGMA foreign_key_check").fetchall() == []' "$V7"
t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/terraform.json" --store "$V7" -q -o /dev/null
t_is "a scan on it: the apply puts the open ones back, exit 0" "$T_RC" 0
t_is "every finding resolved now" "$(v7q "SELECT count(*) FROM findings WHERE status = 'resolved'")" 5
t_is "the one resolved apart under schema 7 kept its reason" \
    "$("$TFDRIFT" export --store "$V7" --status resolved --format jsonl 2>/dev/null | $PY -c 'import json,sys
print(sorted((json.loads(l).get("resolution") or {}).get("reason") for l in sys.stdin))')" \
    "['accepted_in_state', 'reverted_by_hand', 'reverted_by_hand', 'reverted_by_terraform', 'reverted_by_terraform']"

# ---- the real invictus run: stratus changes resources, then reverts some at 12:28:24 ----
# invictus.tfstate is written by hand from the Terraform records that created those resources
# (no state was published with the log; tests/data/SOURCES.md). Read in place, as samples.sh.
if need_shared; then
	inv=$SHARED_DATA/cloudtrail/DERIVED_invictus_all_records_sorted.ndjson
	t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/invictus.tfstate" --events "$inv" --format json \
	    -o "$T_TMP/inv.json" --explain
	t_is "invictus: by the end nothing is drifted (exit 0)" "$T_RC" 0
	printf '%s\n' "$T_ERR" > "$T_TMP/inv.err"
	t_ok "invictus: the 12:28:24 reverts resolve what stratus did, by hand; none is a finding" $PY -c '
import json, re, sys
f = json.load(open(sys.argv[1]))["findings"]
reverts = {}
for l in open(sys.argv[2]):
    m = re.match(r"explain: \S+: (\S+) \S+ (\S+): (\S+)$", l.strip())
    if m:
        reverts[m.group(1)] = (m.group(2), m.group(3))
recs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
at = {r["eventID"] for r in recs if r["eventTime"] == "2023-07-10T12:28:24Z" and not r.get("errorCode")
      and r.get("readOnly") is not True}
bad = []
for x in f:
    if x["event"]["id"] in at:
        bad.append("a revert made a finding: %s %s" % (x["event"]["name"], x["resource"]))
want = {("aws_iam_role.backdoor", "UpdateAssumeRolePolicy"), ("aws_s3_bucket.bdbp", "DeleteBucketPolicy"),
        ("aws_db_snapshot.exfiltration", "ModifyDBSnapshotAttribute"),
        ("aws_lambda_function.olc", "UpdateFunctionCode20150331v2"),
        ("aws_iam_user:malicious-iam-user", "DeleteUser"), ("aws_lambda_permission:stratus-red-team-backdoor-f-func/backdoor", "RemovePermission20150331v2"),
        ("aws_iam_user_login_profile:stratus-red-team-login-profile-user", "DeleteLoginProfile")}
got = set()
for x in f:
    z = x.get("resolution") or {}
    key = x["resource"]["address"] or "%s:%s" % (x["resource"]["type"], x["resource"]["id"])
    if z.get("reason") == "reverted_by_hand" and (z.get("event") or {}).get("id") in at:
        got.add((key, z["event"]["name"]))
        if z["at"] != "2023-07-10T12:28:24Z" or not z["actor"]["principal"].endswith("user/bert-jan"):
            bad.append("resolution of %s: %r" % (key, z))
bad += ["not resolved by its revert: %s by %s" % w for w in sorted(want - got)]
for eid, (name, why) in reverts.items():
    if eid in at and why not in ("equal_value", "not_managed", "not_covered", "read_only"):
        bad.append("revert %s %s explained as %s" % (eid, name, why))
bad += ["still open: %s" % x["summary"] for x in f if x["status"] != "resolved"]
print("# %d findings, %d resolved by the 12:28:24 reverts" % (len(f), len(got)))
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)' "$T_TMP/inv.json" "$T_TMP/inv.err" "$inv"
	t_diag "$T_OUT"
else
	t_skip "the invictus run" "no shared data"
fi

t_done
