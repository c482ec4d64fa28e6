#!/bin/sh
# tfdrift watch as a service: SIGHUP reloads the config and the states (added sources start,
# kept ones keep their cursors, a config with errors is reported and the running one stays),
# SIGTERM checkpoints and exits 0 and a restart resumes without a gap or a duplicate, and the
# sd_notify protocol (READY=1, RELOADING=1, STATUS=, STOPPING=1, WATCHDOG=1) against a socket
# this test listens on (tests/live/sd_listen.py), when tfdrift is built with libsystemd.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

EX="$TOP_SRCDIR/doc/examples"
mkdir -p "$T_TMP/a" "$T_TMP/b" "$T_TMP/c"
cp "$EX/cloudtrail.json" "$T_TMP/a/ct.json"
cp "$EX/gcp-audit.json" "$T_TMP/b/gcp.json"
cp "$EX/prod.tfstate" "$T_TMP/prod.tfstate"

# wait_for FILE PATTERN [TENTHS]: until FILE has a line matching PATTERN (grep -E).
wait_for() {
	i=0
	while ! grep -Eq "$2" "$1" 2> /dev/null && [ $i -lt "${3:-200}" ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
count() { grep -c "$2" "$1" 2> /dev/null || true; }

SD=0
if grep -q '^#define HAVE_SYSTEMD 1' "${TOP_BUILDDIR:-.}/config.h" 2> /dev/null; then
	SD=1
	/usr/bin/python3 "$TOP_SRCDIR/tests/live/sd_listen.py" "$T_TMP/notify.sock" "$T_TMP/notify.log" &
	t_kill_at_exit $!
	wait_for "$T_TMP/notify.log" '^LISTENING'
	NOTIFY_SOCKET="$T_TMP/notify.sock"
	WATCHDOG_USEC=400000
	export NOTIFY_SOCKET WATCHDOG_USEC
fi

cat > "$T_TMP/w.yaml" <<CFG
states: [$T_TMP/prod.tfstate]
store: $T_TMP/w.db
sources:
  files: [$T_TMP/a/*.json]
CFG
"$TFDRIFT" -c "$T_TMP/w.yaml" watch > "$T_TMP/out" 2> "$T_TMP/err" &
PID=$!
t_kill_at_exit "$PID"
wait_for "$T_TMP/out" '"provider":"aws"'
sleep 0.5
NA=$(count "$T_TMP/out" '"provider":"aws"')
t_ok "the AWS file's findings ($NA)" test "$NA" -ge 1
if [ $SD = 1 ]; then
	wait_for "$T_TMP/notify.log" '^READY=1'
	t_like "READY=1 once the states are loaded and the sources started" "$(cat "$T_TMP/notify.log")" '^READY=1'
	t_like "a STATUS= line" "$(cat "$T_TMP/notify.log")" '^STATUS=watching 1 source and 1 state source$'
	sleep 0.5
	t_ok "WATCHDOG=1 within WatchdogSec ($(count "$T_TMP/notify.log" '^WATCHDOG=1') of them)" \
	    test "$(count "$T_TMP/notify.log" '^WATCHDOG=1')" -ge 2
else
	t_skip "READY=1" "built without libsystemd"
	t_skip "a STATUS= line" "built without libsystemd"
	t_skip "WATCHDOG=1" "built without libsystemd"
fi

# A source added: it starts, the kept one resumes from its cursor (its findings are not
# printed again).
cat > "$T_TMP/w.yaml" <<CFG
states: [$T_TMP/prod.tfstate, $EX/gcp.tfstate]
store: $T_TMP/w.db
sources:
  files: [$T_TMP/a/*.json, $T_TMP/b/*.json]
CFG
kill -HUP "$PID"
wait_for "$T_TMP/out" '"provider":"gcp"'
wait_for "$T_TMP/err" 'reloaded'
sleep 0.5
t_like "SIGHUP: reloaded, the sources restarted from their cursors" "$(cat "$T_TMP/err")" \
    'tfdrift: reloaded: 2 state sources, 1 source \(sources changed: restarted from their cursors\)'
t_unlike "only the sources and states changed: nothing left for a restart" "$(cat "$T_TMP/err")" \
    'apply at the next restart'
t_ok "the added source's findings" test "$(count "$T_TMP/out" '"provider":"gcp"')" -ge 1
t_is "the kept source's findings are not printed again" "$(count "$T_TMP/out" '"provider":"aws"')" "$NA"
t_ok "still running" kill -0 "$PID"
if [ $SD = 1 ]; then
	t_like "RELOADING=1 (with MONOTONIC_USEC) then READY=1" "$(tr '\n' ' ' < "$T_TMP/notify.log")" \
	    'READY=1 .*RELOADING=1\|MONOTONIC_USEC=[0-9]+ .*READY=1'
else
	t_skip "RELOADING=1 then READY=1" "built without libsystemd"
fi

# A config that does not load: reported with file:line:column, the running one stays.
cp "$T_TMP/w.yaml" "$T_TMP/good.yaml"
cat > "$T_TMP/w.yaml" <<CFG
states: [$T_TMP/prod.tfstate]
store: $T_TMP/w.db
state_refresh: soon
CFG
: > "$T_TMP/err"
kill -HUP "$PID"
wait_for "$T_TMP/err" 'running one stays'
t_like "a bad config on SIGHUP is reported where it is wrong" "$(cat "$T_TMP/err")" \
    'w\.yaml:3:[0-9]+: .*state_refresh'
t_like "and the running one stays" "$(cat "$T_TMP/err")" 'reload: the configuration has errors; the running one stays'
t_ok "still running" kill -0 "$PID"

# The same sources, a new state serial: the sources keep running, the states are read at
# once and the findings re-evaluated (deleting the drifted resources from the state closes
# their findings as resource_gone... or a serial that accepts them).
cp "$T_TMP/good.yaml" "$T_TMP/w.yaml"
echo 'severity_unmanaged: high' >> "$T_TMP/w.yaml"
/usr/bin/python3 - "$T_TMP/prod.tfstate" <<'PY'
import json, sys
p = sys.argv[1]
s = json.load(open(p))
s["serial"] += 1
s["resources"] = [r for r in s["resources"] if r.get("type") != "aws_kms_key"]
json.dump(s, open(p + ".new", "w"))
PY
mv "$T_TMP/prod.tfstate.new" "$T_TMP/prod.tfstate"
: > "$T_TMP/err"
kill -HUP "$PID"
wait_for "$T_TMP/err" 'reloaded'
wait_for "$T_TMP/out" '"status":"resolved".*aws_kms_key|aws_kms_key.*"status":"resolved"'
t_like "unchanged sources keep running" "$(cat "$T_TMP/err")" '\(sources unchanged\)'
t_like "a setting a reload does not apply says so" "$(cat "$T_TMP/err")" \
    'reload: settings besides states, sources, events and state_refresh changed: they apply at the next restart'
t_like "the new serial is read at once: the KMS key's drift resolves" \
    "$(grep '"status":"resolved"' "$T_TMP/out")" 'aws_kms_key'

if [ $SD = 1 ]; then
	wait_for "$T_TMP/notify.log" '^STATUS=watching .*: [0-9]+ events' 150
	t_like "every 10 s a STATUS= line with the counts" "$(cat "$T_TMP/notify.log")" \
	    '^STATUS=watching 1 source and 2 state sources: [0-9]+ events, [0-9]+ findings, [0-9]+ printed$'
else
	t_skip "every 10 s a STATUS= line with the counts" "built without libsystemd"
fi

# SIGTERM: the cursors are saved, exit 0.
kill -TERM "$PID"
wait "$PID"
t_is "SIGTERM: exit 0" "$?" 0
if [ $SD = 1 ]; then
	wait_for "$T_TMP/notify.log" '^STOPPING=1'
	t_like "STOPPING=1" "$(cat "$T_TMP/notify.log")" '^STOPPING=1'
else
	t_skip "STOPPING=1" "built without libsystemd"
fi
t_unlike "no error on the way" "$(cat "$T_TMP/err")" 'not saved|cannot'
# A restart resumes: what came while it was stopped is read (no gap), nothing before it
# again (no duplicate).
cp "$EX/cloudtrail.json" "$T_TMP/a/ct2.json"
/usr/bin/python3 - "$T_TMP/a/ct2.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
for r in d["Records"]:
    r["eventID"] = "again-" + r["eventID"]
json.dump(d, open(p, "w"))
PY
unset NOTIFY_SOCKET WATCHDOG_USEC
t_run "$TFDRIFT" -c "$T_TMP/w.yaml" watch --once
t_like "after the restart the new file's events are read (no gap)" "$T_OUT" '"event":\{"id":"again-'
t_unlike "and none read before the stop again (no duplicate)" "$T_OUT" '"event":\{"id":"([^a]|a[^g])'
t_done
