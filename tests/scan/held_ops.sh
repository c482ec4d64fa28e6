#!/bin/sh
# GCP operations seen by their last entry first (issue 14, failure 2), through `scan`: the
# detector holds such an entry for its first one and decides it alone when the input ends or
# has moved gcp_operation_hold past it; those findings count like the rest (exit status,
# summary), and --store saves and triages them. Prints TAP.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/scan/held_ops.sh
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
[ -x "$TFDRIFT" ] || t_skip_all "no tfdrift binary at $TFDRIFT"
PY=/usr/bin/python3
[ -x "$PY" ] || t_skip_all "python3 is needed to read the JSON output"
EX=$TOP_SRCDIR/doc/examples
D=$TOP_SRCDIR/tests/data/events
unset TFDRIFT_NOW
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
export XDG_STATE_HOME XDG_CONFIG_HOME
printf 'rules_disabled: ["*"]\n' > "$T_TMP/c.yaml"

# The example's operations by their last entries alone, newest first (gcloud logging read):
# five of them are drift, and only the end of the input decides them.
LAST=$D/gcp-ops-last-only.json
nlines() { grep -c . "$1" 2>/dev/null || echo 0; }
ids() { $PY -c 'import json,sys
for l in open(sys.argv[1]):
    print(json.loads(l)["id"])' "$1" | sort; }

t_exit "scan of last entries alone: drift, exit 2" 2 "$TFDRIFT" -c "$T_TMP/c.yaml" scan \
    --state "$EX/gcp.tfstate" --events "$LAST" --format jsonl -o "$T_TMP/scan.jsonl"
# The instance's stop is put back by its start (the drift lifecycle): the stop's finding is
# streamed again, resolved, with the same id.
t_is "five findings printed (one of them twice: open, then resolved)" \
    "$(ids "$T_TMP/scan.jsonl" | uniq | wc -l | tr -d ' ')" 5
t_is "six lines" "$(nlines "$T_TMP/scan.jsonl")" 6
t_like "the summary counts them" "$T_ERR" ': 5 findings \(4 modified, 1 unmanaged, 0 deleted\), 1 resolved'
t_like "the stop, resolved by the start" "$(grep '"status":"resolved"' "$T_TMP/scan.jsonl")" \
    '"name":"v1.compute.instances.stop".*"resolution":\{"reason":"reverted_by_hand".*"name":"v1.compute.instances.start"'
t_like "each from its last entry" "$(cat "$T_TMP/scan.jsonl")" '"event":\{"id":"-ioorm7umtopn"'

t_exit "scan --store: exit 2 too" 2 "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$EX/gcp.tfstate" \
    --events "$LAST" --store "$T_TMP/s.db" --format jsonl -o "$T_TMP/store.jsonl"
t_like "the store's counts include them" "$T_ERR" 'store .*s\.db: 4 open, 0 acknowledged, 0 suppressed, 1 resolved'
t_ok "export" "$TFDRIFT" export --store "$T_TMP/s.db" --status all --format jsonl -o "$T_TMP/export.jsonl"
t_is "all five are saved" "$(ids "$T_TMP/export.jsonl")" "$(ids "$T_TMP/scan.jsonl" | uniq)"

# Triage applies to them: an acknowledged one no longer fails the run.
one=$(grep -v '"status":"resolved"' "$T_TMP/store.jsonl" | head -n 1 | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
t_ok "ack one of them" "$TFDRIFT" ack --store "$T_TMP/s.db" "$one"
t_exit "scan --store again: still drift" 2 "$TFDRIFT" -c "$T_TMP/c.yaml" scan \
    --state "$EX/gcp.tfstate" --events "$LAST" --store "$T_TMP/s.db" --format jsonl -o "$T_TMP/again.jsonl"
t_like "the acknowledged one is counted so" "$T_ERR" 'store .*: 3 open, 1 acknowledged, 0 suppressed, 1 resolved'
t_like "and printed so" "$(grep -F "\"$one\"" "$T_TMP/again.jsonl")" '"status":"acknowledged"'

# The hold is bounded in the log's own time: a firewall patch's last entry, a bucket deleted
# 55 minutes later, then the patch's first entry (ingested very late).
LATE=$D/gcp-ops-late-first.json
evids() { $PY -c 'import json,sys
print(" ".join(json.loads(l)["event"]["id"] for l in open(sys.argv[1]) if l.strip()))' "$1"; }
t_exit "scan, hold 10m (the default)" 2 "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$EX/gcp.tfstate" \
    --events "$LATE" --format jsonl -o "$T_TMP/late.jsonl" --explain
t_is "the log moved past the hold: the last entry decided alone, before the later event" \
    "$(evids "$T_TMP/late.jsonl")" "-ioorm7umtopn xeytn3evoglk"
t_like "the first entry, when it comes, is a duplicate" "$T_ERR" '-8tbmlh5287jh .*: duplicate$'
printf 'rules_disabled: ["*"]\ngcp_operation_hold: 1h\n' > "$T_TMP/c1h.yaml"
t_exit "scan, hold 1h" 2 "$TFDRIFT" -c "$T_TMP/c1h.yaml" scan --state "$EX/gcp.tfstate" \
    --events "$LATE" --format jsonl -o "$T_TMP/late1h.jsonl"
# (Streamed JSON lines come in the order they are decided: the operation once its first entry
# came, after the bucket's deletion.)
t_is "inside the hold, the first entry decides" "$(evids "$T_TMP/late1h.jsonl")" \
    "xeytn3evoglk -8tbmlh5287jh"

t_done
