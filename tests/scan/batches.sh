#!/bin/sh
# Batches of changes through the store (issue 10): a Route 53 tag removal and a
# ChangeResourceRecordSets batch (one finding per record) saved by `scan --store`, then put back
# by a later run over the same store: every finding resolves, the tag removal too (the store's
# findings find the map entry that made them among several of one event and type), and the
# unmanaged record is gone again. Data: tests/data/batches. Prints TAP.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/scan/batches.sh
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
[ -x "$TFDRIFT" ] || t_skip_all "no tfdrift binary at $TFDRIFT"
PY=/usr/bin/python3
[ -x "$PY" ] || t_skip_all "python3 is needed to read the JSON output"
D=$TOP_SRCDIR/tests/data/batches
S=$T_TMP/store.db
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
export XDG_STATE_HOME XDG_CONFIG_HOME
unset TFDRIFT_NOW
printf 'rules_disabled: ["*"]\n' > "$T_TMP/c.yaml"

# q FILE EXPR: a Python expression over the findings (f: the list of JSON lines), printed.
q() { $PY -c '
import json, sys
f = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def row(x):
    r = x.get("resolution") or {}
    return "%s %s %s %s %s" % (x["event"]["id"], x["kind"], x["resource"].get("address") or
        x["resource"]["id"], x["status"], r.get("reason", "-"))
print(eval(sys.argv[2]))' "$1" "$2"; }

t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state.tfstate" --events "$D/first.json" \
    --store "$S" --format jsonl -o "$T_TMP/first.jsonl"
t_is "first run: exit 2 (open drift)" "$T_RC" 2
t_is "first run: the tag removed, then one finding per change of the batch" \
    "$(q "$T_TMP/first.jsonl" '"; ".join(sorted(row(x) for x in f))')" \
    "batch-01 modified aws_route53_zone.main open -; batch-02 modified aws_route53_record.www open -; batch-02 unmanaged Z0912345ABCDEFGHIJK_new.example.com_A open -"
t_is "the batch's findings have ids of their own" \
    "$(q "$T_TMP/first.jsonl" 'len(set(x["id"] for x in f))')" 3

t_run "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state.tfstate" --events "$D/second.json" \
    --store "$S" --format jsonl -o "$T_TMP/second.jsonl"
t_is "second run: exit 0 (everything put back)" "$T_RC" 0
t_is "second run: the tag added back, the record's values restored, the new record deleted" \
    "$(q "$T_TMP/second.jsonl" '"; ".join(sorted(row(x) for x in f))')" \
    "batch-01 modified aws_route53_zone.main resolved reverted_by_hand; batch-02 modified aws_route53_record.www resolved reverted_by_hand; batch-02 unmanaged Z0912345ABCDEFGHIJK_new.example.com_A resolved reverted_by_hand"
t_is "the resolutions name the events that put them back" \
    "$(q "$T_TMP/second.jsonl" '" ".join(sorted(x["resolution"]["event"]["id"] for x in f))')" \
    "batch-03 batch-04 batch-04"
t_run "$TFDRIFT" export --store "$S" --status open --format jsonl -o "$T_TMP/open.jsonl"
t_is "nothing open in the store" "$(q "$T_TMP/open.jsonl" 'len(f)')" 0

t_done
