#!/bin/sh
# `user:` names who decisions are made as: tfdrift ack, suppress, undo and freeze keep it
# in the store (export and freeze list show it); without it, $USER. A name a terminal would
# act on is refused. (The dashboard's decisions: tests/tui/store_live.sh.)
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
need_cmd python3 || t_skip_all "python3 is not installed"

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=zed
export TFDRIFT_NOW USER
EX=$TOP_SRCDIR/doc/examples
DB=$T_TMP/s.db
"$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --store "$DB" \
    -o /dev/null 2> /dev/null
printf 'user: "oncall-alice"\n' > "$T_TMP/alice.yaml"
printf 'user: ""\n' > "$T_TMP/empty.yaml"

# by STATUS: the "by" of each exported finding with that status, one a line, sorted.
by() {
	"$TFDRIFT" export --store "$DB" --status "$1" --format jsonl 2> /dev/null | python3 -c '
import json, sys
print("\n".join(sorted(json.loads(l)["triage"]["by"] for l in sys.stdin)))'
}
first_id() {
	"$TFDRIFT" export --store "$DB" --status "$1" --format jsonl 2> /dev/null | python3 -c '
import json, sys
print(json.loads(sys.stdin.readline())["id"])'
}

t_run "$TFDRIFT" config check -c "$T_TMP/alice.yaml"
t_like "config check prints user:" "$T_OUT" '^user: "oncall-alice"$'
t_run "$TFDRIFT" config check -c "$T_TMP/empty.yaml"
t_like "empty by default" "$T_OUT" '^user: ""$'

ID=$(first_id open)
t_ok "ack with the config's user:" "$TFDRIFT" -c "$T_TMP/alice.yaml" ack --store "$DB" "$ID"
t_is "the decision is oncall-alice's" "$(by acknowledged)" oncall-alice
ID2=$(first_id open)
t_ok "ack without user: in the config" "$TFDRIFT" -c "$T_TMP/empty.yaml" ack --store "$DB" "$ID2"
t_is "is \$USER's" "$(by acknowledged)" "$(printf 'oncall-alice\nzed')"
t_run "$TFDRIFT" -c "$T_TMP/alice.yaml" suppress --store "$DB" --scope resource \
    --value aws_lambda_function.api --for 1h
t_is "suppress keeps user: too" "$(by suppressed)" oncall-alice
SUP=$(printf '%s' "$T_OUT" | tr -d '\n')
t_ok "undo with user:" "$TFDRIFT" -c "$T_TMP/alice.yaml" undo --store "$DB" "$SUP"
if command -v sqlite3 > /dev/null; then
	t_run sqlite3 "$DB" "SELECT \"by\" FROM decisions WHERE action = 'undo'"
	t_is "the undo is oncall-alice's" "$T_OUT" oncall-alice
fi
t_ok "freeze add with user:" "$TFDRIFT" -c "$T_TMP/alice.yaml" freeze add cab --until 2h \
    --store "$DB"
t_run "$TFDRIFT" freeze list --store "$DB"
t_like "freeze list says who" "$T_OUT" 'cab .* by oncall-alice\]'

printf 'user: "mallory\\u001b[2J"\n' > "$T_TMP/bad.yaml"
t_exit "a user: with a control character is refused" 1 "$TFDRIFT" config check -c "$T_TMP/bad.yaml"
t_like "saying what a user: must be" "$T_ERR" 'user must be a name without control characters'
printf 'user: " alice"\n' > "$T_TMP/blank.yaml"
t_exit "a user: with blanks around it is refused" 1 "$TFDRIFT" config check -c "$T_TMP/blank.yaml"
t_exit "and ack does not decide as anyone then" 1 "$TFDRIFT" -c "$T_TMP/bad.yaml" ack --store "$DB" "$ID"
t_done
