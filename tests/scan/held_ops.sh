#!/bin/sh
# GCP operations seen by their last entry first (issue 14, failure 2), through `scan`: the
# detector holds such an entry for its first one and decides it alone when the input ends;
# those findings count like the rest (exit status, summary), and --store saves and triages
# them. Prints TAP.
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
t_is "five findings printed" "$(nlines "$T_TMP/scan.jsonl")" 5
t_like "the summary counts them" "$T_ERR" ': 5 findings \(4 modified, 1 unmanaged, 0 deleted\)'
t_like "each from its last entry" "$(cat "$T_TMP/scan.jsonl")" '"event":\{"id":"-ioorm7umtopn"'

t_exit "scan --store: exit 2 too" 2 "$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$EX/gcp.tfstate" \
    --events "$LAST" --store "$T_TMP/s.db" --format jsonl -o "$T_TMP/store.jsonl"
t_like "the store's counts include them" "$T_ERR" 'store .*s\.db: 5 open, 0 acknowledged, 0 suppressed'
t_ok "export" "$TFDRIFT" export --store "$T_TMP/s.db" --format jsonl -o "$T_TMP/export.jsonl"
t_is "all five are saved" "$(ids "$T_TMP/export.jsonl")" "$(ids "$T_TMP/scan.jsonl")"

# Triage applies to them: an acknowledged one no longer fails the run.
one=$(ids "$T_TMP/scan.jsonl" | head -n 1)
t_ok "ack one of them" "$TFDRIFT" ack --store "$T_TMP/s.db" "$one"
t_exit "scan --store again: still drift" 2 "$TFDRIFT" -c "$T_TMP/c.yaml" scan \
    --state "$EX/gcp.tfstate" --events "$LAST" --store "$T_TMP/s.db" --format jsonl -o "$T_TMP/again.jsonl"
t_like "the acknowledged one is counted so" "$T_ERR" 'store .*: 4 open, 1 acknowledged, 0 suppressed'
t_like "and printed so" "$(grep -F "\"$one\"" "$T_TMP/again.jsonl")" '"status":"acknowledged"'

t_done
