#!/bin/sh
# Self-test of tests/lib.sh (run a child script and check its TAP), plus the findings
# schema validator on the examples in tests/data/schema/. Prints TAP.
#   TOP_SRCDIR=. sh tests/scan/lib_selftest.sh
TOP_SRCDIR=${TOP_SRCDIR:-.}
. "$TOP_SRCDIR/tests/lib.sh"
plan_start

# A child test script: known passes, failures and skips.
cat > "$T_TMP/child.sh" <<'EOF'
. "$TOP_SRCDIR/tests/lib.sh"
plan_start
echo "$T_TMP" > "$CHILD_TMP_NOTE"
touch "$T_TMP/inside"
t_ok "true passes" true
t_ok "false fails" sh -c 'echo to-stdout; echo to-stderr >&2; exit 3'
t_exit "exit 2 wanted" 2 sh -c 'exit 2'
t_exit "exit 2 wanted, got 0" 2 true
t_is "equal" "a b" "a b"
t_is "not equal" "got-this" "want-that"
t_like "like" "line one
line two" '^line t'
t_like "unlike fails" "abc" '^z'
t_unlike "unlike" "abc" 'z'
t_skip "skipped" "no reason"
false; ok $? "ok with a failed status"
true; ok $? "ok with status 0"
t_run sh -c 'echo out; echo err >&2; exit 4'
t_is "t_run keeps T_RC" "$T_RC" 4
t_is "t_run keeps T_OUT/T_ERR" "$T_OUT/$T_ERR" "out/err"
t_done
EOF

CHILD_TMP_NOTE=$T_TMP/child-tmp
export CHILD_TMP_NOTE
t_run sh "$T_TMP/child.sh"
t_is "a child with failures exits 1" "$T_RC" 1
out=$T_OUT
t_is "the plan counts every test" "$(printf '%s\n' "$out" | grep '^1\.\.')" "1..14"
t_is "passes are ok lines" "$(printf '%s\n' "$out" | grep -E '^ok [0-9]+ - ' | grep -vc SKIP)" 8
t_is "failures are not ok lines" "$(printf '%s\n' "$out" | grep -c '^not ok')" 5
t_like "failures are numbered in order" "$out" '^not ok 2 - false fails$'
t_like "t_ok shows the command's stdout" "$out" '^#   to-stdout$'
t_like "t_ok shows the command's stderr" "$out" '^#   to-stderr$'
t_like "t_ok shows the exit status" "$out" '^# exit status: 3$'
t_like "t_exit says what it wanted" "$out" '^# expected exit status 2$'
t_like "t_is shows got and expected" "$out" '^#   want-that$'
t_like "t_skip is TAP SKIP" "$out" '^ok 10 - skipped # SKIP no reason$'
t_like "ok with a failed status" "$out" '^not ok 11 - ok with a failed status$'
t_like "the failure count is a diagnostic" "$out" '^# 5 of 14 failed$'
child_tmp=$(cat "$CHILD_TMP_NOTE")
ok "$([ -n "$child_tmp" ] && [ ! -e "$child_tmp" ]; echo $?)" "the child's T_TMP is removed on exit"

# shellcheck disable=SC2016
printf '%s\n' '. "$TOP_SRCDIR/tests/lib.sh"' 'plan_start' 't_ok "fine" true' 't_done' \
    > "$T_TMP/pass.sh"
t_run sh "$T_TMP/pass.sh"
t_is "a passing child exits 0" "$T_RC" 0
t_is "a passing child prints TAP" "$T_OUT" "ok 1 - fine
1..1"
# shellcheck disable=SC2016
printf '%s\n' '. "$TOP_SRCDIR/tests/lib.sh"' 't_skip_all "nothing to do"' > "$T_TMP/skip.sh"
t_run sh "$T_TMP/skip.sh"
t_is "t_skip_all" "$T_RC:$T_OUT" "0:1..0 # SKIP nothing to do"
t_like "SHARED_DATA defaults beside the tree" "$SHARED_DATA" '(/\.\./shared/data|.)$'

# Cleanup hooks: every one runs once, newest first, whether the script ends by exit or by
# a signal.
# shellcheck disable=SC2016
cat > "$T_TMP/hooks.sh" <<'EOF'
. "$TOP_SRCDIR/tests/lib.sh"
plan_start
one() { echo one >> "$HOOK_LOG"; }
two() { echo two >> "$HOOK_LOG"; }
t_atexit one
t_atexit two
t_atexit one
[ "$HOW" = exit ] && exit 5
touch "$HOOK_LOG.ready"
while :; do sleep 0.1; done
EOF
HOOK_LOG=$T_TMP/hooks.log
export HOOK_LOG
t_run env HOW=exit sh "$T_TMP/hooks.sh"
t_is "t_atexit: the script's exit status stays" "$T_RC" 5
t_is "t_atexit: newest first, each once" "$(cat "$HOOK_LOG")" "two
one"
rm -f "$HOOK_LOG"
HOW=term sh "$T_TMP/hooks.sh" &
hpid=$!
t_kill_at_exit "$hpid"
i=0
while [ ! -e "$HOOK_LOG.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
kill -TERM "$hpid"
wait "$hpid"
t_is "t_atexit on SIGTERM: exit 143" "$?" 143
t_is "t_atexit on SIGTERM: each hook once (the EXIT trap after it runs none again)" \
    "$(cat "$HOOK_LOG")" "two
one"

# Nothing a test started outlives it: a child that sources the mock and tmux helpers (in
# the order tests/live/watch_aws.sh does; each used to set its own EXIT trap, and the second
# dropped the first, leaving the mock server running) starts a mock server and a tmux pane,
# then ends by t_done, by a bail out, and by SIGTERM. Its processes are found by its own
# temp directory and tmux socket name in their command lines, so tests running in parallel
# never count.
# shellcheck disable=SC2016
cat > "$T_TMP/leak.sh" <<'EOF'
. "$TOP_SRCDIR/tests/lib.sh"
. "$TOP_SRCDIR/tests/mock/mock.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
printf '%s %s\n' "$T_TMP" "$TUI_SOCK" > "$LEAK_NOTE"
printf '%s\n' 'process.stdout.write("1\n"); setInterval(() => {}, 60000);' > "$T_TMP/fake-mock.js"
mock_start fake "$T_TMP/fake-mock.js"
tui_need_tmux
printf '%s\n' 'echo looping' 'while :; do sleep 1; done' > "$T_TMP/pane-loop.sh"
tui_start pane 80 24 sh "$T_TMP/pane-loop.sh"
tui_wait pane '^looping' 20 || { echo "Bail out! the pane did not start"; exit 1; }
case $HOW in
done) t_ok "fine" true; t_done ;;
bail) echo "Bail out! on purpose"; exit 1 ;;
esac
touch "$LEAK_NOTE.ready"
while :; do sleep 0.1; done
EOF
LEAK_NOTE=$T_TMP/leak-note
export LEAK_NOTE
# leftovers: the child's processes still running after up to 10 s (they get SIGTERM or
# SIGHUP; node and tmux take a moment to go).
leftovers() {
	read -r _tmp _sock < "$LEAK_NOTE"
	_i=0
	while :; do
		ps -eo pid=,args= > "$T_TMP/ps"
		_left=$(grep -E -e "-L $_sock( |\$)" -e "$_tmp/" "$T_TMP/ps")
		[ -n "$_left" ] && [ $_i -lt 100 ] || break
		sleep 0.1
		_i=$((_i + 1))
	done
	printf '%s' "$_left"
}
if ! need_cmd node || ! need_cmd tmux; then
	t_skip "no process left behind" "needs node and tmux"
else
	t_run env HOW=done sh "$T_TMP/leak.sh"
	t_is "a child with a mock and tmux passes, checking its own processes" \
	    "$T_RC:$(printf '%s\n' "$T_OUT" | tail -n 2)" "0:ok 2 - no background process left running
1..2"
	t_is "after t_done, nothing of it is left running" "$(leftovers)" ""
	t_run env HOW=bail sh "$T_TMP/leak.sh"
	t_is "a child that bails out exits 1" "$T_RC" 1
	t_is "after a bail out, nothing of it is left running" "$(leftovers)" ""
	HOW=term sh "$T_TMP/leak.sh" > "$T_TMP/leak.out" 2>&1 &
	lpid=$!
	t_kill_at_exit "$lpid"
	i=0
	while [ ! -e "$LEAK_NOTE.ready" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
	kill -TERM "$lpid"
	wait "$lpid"
	t_is "a child stopped by SIGTERM exits 143" "$?" 143
	t_is "after SIGTERM, nothing of it is left running" "$(leftovers)" ""
fi

# The findings schema and its validator.
# shellcheck disable=SC2317
validate() {
	/usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" "$TOP_SRCDIR/doc/findings.schema.json" "$@"
}
D=$TOP_SRCDIR/tests/data/schema
if need_cmd /usr/bin/python3 && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	t_ok "valid.json validates" validate "$D/valid.json"
	t_ok "valid.jsonl validates line by line" validate "$D/valid.jsonl" --jsonl
	t_exit "invalid.json is rejected" 1 validate "$D/invalid.json"
	for re in '\$\.schema: ' '\$\.generated_at: ' '\$\.findings\[0\]\.kind: ' \
	    '\$\.findings\[0\]\.actor\.via: ' '\$\.findings\[0\]\.changes\[1\]\.new: ' \
	    "\\\$\\.findings\\[0\\]: Additional properties .*'extra'" \
	    "\\\$\\.findings\\[1\\]: 'triage' is a required" '\$\.findings\[1\]\.event\.time: ' \
	    '\$\.findings\[1\]\.resource\.address: ' "\\\$\\.findings\\[2\\]: 'rules' is a required" \
	    '\$\.findings\[2\]\.id: duplicate'; do
		t_like "invalid.json: error at $re" "$T_OUT" "$re"
	done
	t_like "invalid.json: error count" "$T_OUT" 'INVALID \(12 errors\)$'
	t_exit "invalid.jsonl is rejected" 1 validate "$D/invalid.jsonl" --jsonl
	t_like "invalid.jsonl: line numbers" "$T_OUT" '^.*invalid\.jsonl: line 3: not JSON'
	t_like "invalid.jsonl: path on a line" "$T_OUT" 'line 2: \$\.resource\.address: '
	t_exit "a document is not a finding line" 1 validate "$D/valid.json" --jsonl
	t_exit "a missing file is an error" 1 validate "$T_TMP/none.json"
	t_exit "usage error" 2 validate
else
	t_skip "schema validator" "python3-jsonschema is not installed"
fi
t_done
