#!/bin/sh
# tfdrift watch: --once exit codes, findings as JSON lines (schema-valid) or text, cursors
# in the store so a second run does not repeat itself, triage applied (suppressed findings
# are not printed), config sources, and a clean stop on SIGTERM.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

EX="$TOP_SRCDIR/doc/examples"
DB="$T_TMP/w.db"

t_run "$TFDRIFT" watch --once --store "$DB" --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_is "--once with drift exits 2" "$T_RC" 2
# Twelve findings; the stop of web[1] is put back by its start: printed again, resolved.
t_is "one JSON line per finding, and one for the resolution" "$(printf '%s\n' "$T_OUT" | grep -c '^{"id":')" 13
t_is "the resolution: the stop's finding, reverted by hand" \
    "$(printf '%s\n' "$T_OUT" | grep '"status":"resolved"' | grep -c '"name":"StopInstances".*"reason":"reverted_by_hand"')" 1
printf '%s\n' "$T_OUT" > "$T_TMP/once.jsonl"
if /usr/bin/python3 -c 'import jsonschema' 2> /dev/null; then
	t_ok "every line is a finding of the schema" /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" \
	    --jsonl "$TOP_SRCDIR/doc/findings.schema.json" "$T_TMP/once.jsonl"
else
	t_skip "every line is a finding of the schema" "python3-jsonschema missing"
fi
t_run "$TFDRIFT" export --store "$DB" --status all --format jsonl
t_is "the findings are in the store" "$(printf '%s\n' "$T_OUT" | grep -c '"id"')" 12

t_run "$TFDRIFT" watch --once --store "$DB" --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_is "a second --once reads nothing new (the file's cursor is in the store): exit 0" "$T_RC" 0
t_is "and prints nothing" "$T_OUT" ""

cp "$EX/cloudtrail.json" "$T_TMP/ct.json"
t_run "$TFDRIFT" suppress --store "$T_TMP/s.db" --scope resource --value module.net.aws_security_group.web --for 1d
t_run "$TFDRIFT" watch --once --store "$T_TMP/s.db" --state "$EX/prod.tfstate" --events "$T_TMP/ct.json"
t_unlike "suppressed findings are not printed" "$T_OUT" 'aws_security_group\.web'
t_like "the others are" "$T_OUT" 'aws_kms_key\.data'

t_run "$TFDRIFT" watch --once --store "$T_TMP/t.db" --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --format text
t_like "--format text prints the readable diff (the internet-exposure rule makes it critical)" "$T_OUT" '^CRITICAL +modified +module\.net\.aws_security_group\.web'

t_run "$TFDRIFT" watch --once --store "$T_TMP/m.db" --state "$EX/prod.tfstate" --events "$T_TMP/nosuch.json"
t_is "a source that fails: exit 1" "$T_RC" 1
t_like "saying which and why" "$T_ERR" 'files: .*nosuch\.json: no such file'
t_exit "no states: exit 1" 1 "$TFDRIFT" watch --once --store "$T_TMP/m.db" --events "$EX/cloudtrail.json"
t_like "with the way out" "$T_ERR" 'no states: add `states:` to the config or --state SRC'
t_exit "a bad format is refused" 1 "$TFDRIFT" watch --format csv --state "$EX/prod.tfstate"

# The config's sources and states.
cat > "$T_TMP/watch.yaml" <<CFG
states: [$EX/prod.tfstate, $EX/gcp.tfstate]
store: $T_TMP/c.db
sources:
  files: [$EX/*.json]
CFG
t_run "$TFDRIFT" -c "$T_TMP/watch.yaml" watch --once
t_is "config sources: exit 2" "$T_RC" 2
t_like "AWS findings from the files glob" "$T_OUT" '"address":"aws_kms_key\.data"'
t_like "and GCP ones" "$T_OUT" '"provider":"gcp"'

# Live: findings appear while it runs; SIGTERM stops it cleanly with exit 0.
"$TFDRIFT" watch --store "$T_TMP/l.db" --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" \
    > "$T_TMP/live.out" 2> "$T_TMP/live.err" &
PID=$!
t_kill_at_exit "$PID"
i=0
while [ "$(grep -c '^{' "$T_TMP/live.out" 2> /dev/null)" != 13 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_is "the running watch printed every finding (and the resolution)" "$(grep -c '^{' "$T_TMP/live.out")" 13
kill -TERM "$PID"
wait "$PID"
t_is "SIGTERM: exit 0" "$?" 0
t_is "nothing on stderr" "$(cat "$T_TMP/live.err")" ""
t_run "$TFDRIFT" watch --once --store "$T_TMP/l.db" --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_is "the cursor was checkpointed before the stop: nothing again" "$T_OUT" ""

# States are reloaded every state_refresh; a state that breaks keeps the last good index
# and says so once.
cp "$EX/prod.tfstate" "$T_TMP/live.tfstate"
cat > "$T_TMP/refresh.yaml" <<CFG
states: [$T_TMP/live.tfstate]
store: $T_TMP/r.db
state_refresh: 1s
CFG
"$TFDRIFT" -c "$T_TMP/refresh.yaml" watch --events "$EX/cloudtrail.json" > "$T_TMP/r.out" 2> "$T_TMP/r.err" &
PID=$!
t_kill_at_exit "$PID"
sleep 1.5
# A new serial, cut short (a write caught half way, a bad copy).
printf '{"version": 4, "serial": 43, "lineage": "8f0c2b7e", "resources": [{"mode": "managed"' \
    > "$T_TMP/live.tfstate"
i=0
while ! grep -q 'state refresh failed' "$T_TMP/r.err" && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_like "a broken state on refresh is reported" "$(cat "$T_TMP/r.err")" \
    'state refresh failed, keeping the last good state: .*live\.tfstate'
t_is "once" "$(grep -c 'state refresh failed' "$T_TMP/r.err")" 1
kill -TERM "$PID"
wait "$PID"
t_is "and watch keeps running until stopped: exit 0" "$?" 0
t_done
