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
