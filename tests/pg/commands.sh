#!/bin/sh
# Every command that takes --store gives the same output on a PostgreSQL store as on an
# SQLite one (scan, export, ack, suppress, undo, freeze, blame, completion ids, the
# dashboard's replay), against a throwaway cluster (tests/pg/pgcluster.sh). Also: a wrong
# password says who, where and what to check; a store written by a newer tfdrift is
# refused; the password never shows in any output, the trace or `config check`. Prints TAP.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/pg/commands.sh
TOP_SRCDIR=${TOP_SRCDIR:-.}
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/lib.sh"
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/pg/pgcluster.sh"
plan_start
if [ ! -x "$TFDRIFT" ]; then
	t_skip_all "no tfdrift binary at $TFDRIFT"
fi
pg_cluster_start || { rc=$?; [ "$rc" -eq 77 ] && exit 0; exit "$rc"; }

EX=$TOP_SRCDIR/doc/examples
BL=$TOP_SRCDIR/tests/data/blame
PW=$TFDRIFT_TEST_PG_PASSWORD
export USER=alice
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
TFDRIFT_TRACE=$T_TMP/trace.log
export XDG_STATE_HOME XDG_CONFIG_HOME TFDRIFT_TRACE
SQ=$T_TMP/sq/tfdrift.db
PG=$(pg_new_database cmds) || { echo "Bail out! cannot create a database"; exit 1; }
ALL=$T_TMP/all-output      # every output of every run, to look for the password in

# run_on STORE ARGS...: tfdrift with --store STORE, its output (stdout, then stderr) with
# the store's name (as shown) replaced by STORE; the exit status appended.
run_on() {
	_s=$1
	shift
	"$TFDRIFT" "$@" --store "$_s" > "$T_TMP/o" 2> "$T_TMP/e"
	_rc=$?
	cat "$T_TMP/o" "$T_TMP/e" >> "$ALL"
	_shown=$(printf '%s' "$_s" | sed "s|:$PW@|:REDACTED@|")
	cat "$T_TMP/o" "$T_TMP/e" | sed "s|$_shown|STORE|g; s|$_s|STORE|g"
	echo "exit $_rc"
}

# same DESC ARGS...: the command's output on both stores is the same.
same() {
	_d=$1
	shift
	_a=$(run_on "$SQ" "$@")
	_b=$(run_on "$PG" "$@")
	t_is "$_d: the same on PostgreSQL as on SQLite" "$_b" "$_a"
}

export TFDRIFT_NOW=2024-05-27T12:00:00Z
same "scan --store" scan --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json"
same "scan --store again (upserts)" scan --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" --format json
same "export" export
same "export csv" export --format csv
id=$("$TFDRIFT" export --store "$SQ" --format jsonl 2>/dev/null | sed -n '1s/^{"id":"\([0-9a-f]*\)".*/\1/p')
t_like "a finding id to decide on" "$id" '^[0-9a-f]{8,}'
short=$(printf '%s' "$id" | cut -c1-8)
same "ack by an id prefix" ack "$short" --note "known, ticket 42"
same "suppress an actor for 1h" suppress --scope actor --value bob --for 1h --note "load test"
same "suppress a resource for good" suppress --scope resource --value aws_instance.web
same "undo" undo 1
same "undo again is refused" undo 1
same "ack an unknown id" ack ffffffffffff
same "export --status all after the decisions" export --status all --format jsonl
same "scan with the triage applied" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
same "freeze add" freeze add cab --from 2024-05-27T13:00:00Z --until 2024-05-27T15:00:00Z --type 'aws_iam_*'
same "freeze add, the same name" freeze add cab --until 2h
same "freeze list" freeze list
TFDRIFT_NOW=2024-05-27T14:00:00Z
same "freeze end" freeze end cab
same "freeze list --all" freeze list --all
TFDRIFT_NOW=2024-05-27T12:00:00Z
same "completion ids findings" completion ids findings
same "completion ids decisions" completion ids decisions

# blame from the events a scan kept
SQ_SAVED=$SQ
PG_SAVED=$PG
SQ=$T_TMP/sq/blame.db
PG=$(pg_new_database blame)
same "scan --store keeps the events seen" scan -q --state "$BL/db.tfstate" --events "$BL/events.json"
same "blame --store" blame -q --plan "$BL/plan-explained.json" --format json
same "blame --store, text" blame -q --plan "$BL/plan-partly.json" --format text
SQ=$T_TMP/sq/watch.db
PG=$(pg_new_database watch)
same "watch --once --store" watch --once --state "$EX/prod.tfstate" --events "$BL/events.json"
same "blame on the store watch kept" blame -q --plan "$BL/plan-explained.json" --format json
same "export of the findings watch kept" export --format jsonl

# The dashboard replaying events into the store (headless: its replay ends the run).
if command -v tmux >/dev/null 2>&1 && [ -f "$TOP_SRCDIR/tests/tui/tui.sh" ]; then
	# shellcheck disable=SC1091
	. "$TOP_SRCDIR/tests/tui/tui.sh"
	tui_need_tmux   # its own server, stopped at exit
	SQ=$T_TMP/sq/ui.db
	PG=$(pg_new_database ui)
	n=0
	for s in "$SQ" "$PG"; do
		n=$((n + 1))
		tui_start "u$n" 120 40 "$TFDRIFT" --state "$BL/db.tfstate" --events "$BL/events.json" --store "$s"
		t_screen "ui --store: the dashboard replays the events ($n)" "u$n" 'replay done'
		tui_keys "u$n" q
		t_tui_exit "u$n" "q exits 0 ($n)"
		cat "$T_TMP/u$n.err" >> "$ALL" 2>/dev/null
	done
	same "blame on the dashboard's store" blame -q --plan "$BL/plan-explained.json" --format json
else
	t_skip "ui --store" "no tmux"
fi
SQ=$SQ_SAVED
PG=$PG_SAVED

# A wrong password: who, where, what to check; never the password.
bad=$(printf '%s' "$PG" | sed "s|:$PW@|:Wr0ngSecret@|")
t_run "$TFDRIFT" export --store "$bad"
t_is "a wrong password exits 1" "$T_RC" 1
t_like "saying the login was refused, for which user and host" "$T_ERR" 'refused the login \(host 127\.0\.0\.1 port [0-9]+, database cmds, user tfdrift_test\)'
t_like "and what to check" "$T_ERR" 'PGPASSWORD, ~/\.pgpass'
t_unlike "without the password" "$T_ERR" 'Wr0ngSecret'
cat "$T_TMP/e" >> "$ALL" 2>/dev/null
printf '%s\n' "$T_OUT" "$T_ERR" >> "$ALL"

# PGPASSWORD works: the URI without its password.
nopw=$(printf '%s' "$PG" | sed "s|:$PW@|@|")
t_exit "the password in PGPASSWORD, not the URI" 0 env PGPASSWORD="$PW" "$TFDRIFT" export --store "$nopw" -o "$T_TMP/x.json"
t_exit "without any password: exit 1" 1 "$TFDRIFT" export --store "$nopw" -o "$T_TMP/x.json"
printf '%s\n' "$T_OUT" "$T_ERR" >> "$ALL"

# config check shows the store's URI masked.
mkdir -p "$T_TMP/conf"
printf 'store: "%s"\n' "$PG" > "$T_TMP/conf/c.yaml"
t_exit "config check with a URI store" 0 "$TFDRIFT" -c "$T_TMP/conf/c.yaml" config check
printf '%s\n' "$T_OUT" "$T_ERR" >> "$ALL"
t_like "shows the URI masked" "$T_OUT" 'store: "postgresql://tfdrift_test:REDACTED@127\.0\.0\.1:[0-9]+/cmds"'
t_exit "the configured store is used" 0 "$TFDRIFT" -c "$T_TMP/conf/c.yaml" export -o "$T_TMP/y.json"
printf '%s\n' "$T_OUT" "$T_ERR" >> "$ALL"

# The password in no output, no trace.
t_ok "the password is in no output" sh -c "! grep -F -- '$PW' '$ALL'"
if [ -f "$TFDRIFT_TRACE" ]; then
	t_ok "nor in the trace" sh -c "! grep -F -- '$PW' '$TFDRIFT_TRACE'"
else
	t_ok "nor in the trace (none written)" true
fi

# Written by a newer tfdrift: refused, saying so.
pg_psql -d cmds -c "UPDATE meta SET value = '99' WHERE key = 'schema_version'"
t_run "$TFDRIFT" export --store "$PG"
t_is "a store of schema 99 exits 1" "$T_RC" 1
t_like "saying a newer tfdrift wrote it" "$T_ERR" 'schema version 99, written by a newer tfdrift \(this one knows up to [0-9]+\): upgrade tfdrift'
t_exit "scan refuses it too" 1 "$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --store "$PG"
t_is "its version is left as it was" "$(pg_psql -d cmds -c "SELECT value FROM meta WHERE key = 'schema_version'")" 99

# No server there: a clear message, quickly.
t_run "$TFDRIFT" export --store "postgresql://tfdrift_test:$PW@127.0.0.1:1/cmds?connect_timeout=3"
t_is "no server: exit 1" "$T_RC" 1
t_like "saying it cannot connect, where" "$T_ERR" 'cannot connect to the PostgreSQL store \(host 127\.0\.0\.1 port 1'
t_unlike "without the password" "$T_ERR" "$PW"
t_done
