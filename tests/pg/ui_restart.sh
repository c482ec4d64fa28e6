#!/bin/sh
# The dashboard on a PostgreSQL store whose server is restarted (pg_ctl stop -m fast, then
# start on the same port): the status line and Sources say the store is unreachable; an
# acknowledgement made meanwhile is refused as NOT SAVED (never shown as made, and not in the
# store afterwards); once the server is back the dashboard says so, reconnects, and the
# acknowledgement made again is saved once and shown.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
. "$TOP_SRCDIR/tests/pg/pgcluster.sh"
plan_start
tui_need_tmux
pg_cluster_start || { rc=$?; [ "$rc" -eq 77 ] && exit 0; exit "$rc"; }

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
PGCONNECT_TIMEOUT=2
export TFDRIFT_NOW USER PGCONNECT_TIMEOUT
EX=$TOP_SRCDIR/doc/examples
PG=$(pg_new_database uir) || { echo "Bail out! cannot create a database"; exit 1; }
t_exit "scan --store fills a PostgreSQL store" 2 "$TFDRIFT" scan --state "$EX/prod.tfstate" \
    --state "$EX/gcp.tfstate" --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" \
    --store "$PG" -o /dev/null
acks() { "$TFDRIFT" export --store "$PG" --status acknowledged --format jsonl 2> /dev/null | grep -c '^{'; }

tui_start d 160 30 "$TFDRIFT" ui --store "$PG"
t_screen "the dashboard shows the store's findings" d 'store: 17 findings' 30
t_like "newest first: the KMS key" "$TUI_SCREEN" 'CRIT .*aws_kms_key\.data'

pg_server_stop fast
t_screen "the status line says the store is unreachable" d 'STORE UNREACHABLE since [0-9:]+Z, decisions refused' 15
tui_keys d a
t_screen "a asks for a note" d '^Note' 10
tui_keys d -l 'while down'
tui_keys d Enter
t_screen "the acknowledgement is refused, NOT SAVED, with what to do" d \
    'not acknowledged: NOT SAVED, the store is unreachable; acknowledge it again \(a\) once it is back' 20
t_unlike "the row is not shown acknowledged" "$TUI_SCREEN" '^ A +CRIT .*aws_kms_key\.data'
t_unlike "nor counted" "$TUI_SCREEN" '\| ack [1-9]'
tui_keys d 4
t_screen "Sources: the store unreachable, decisions refused" d \
    'unreachable since [0-9TZ:.-]+: reconnecting every second; decisions are refused' 10
tui_keys d 1

pg_server_start
t_ok "PostgreSQL started again on port $PGPORT" test -f "$PG_DIR/data/postmaster.pid"
t_screen "the dashboard says the store answers again" d 'the store answers again' 20
t_unlike "the status line no longer says unreachable" "$TUI_SCREEN" 'STORE UNREACHABLE'
t_is "the refused acknowledgement is not in the store" "$(acks)" 0
tui_keys d a
t_screen "a asks for a note again" d '^Note' 10
tui_keys d -l 'after restart'
tui_keys d Enter
t_screen "now it is acknowledged" d 'acknowledged aws_kms_key\.data \(decision 1; u undoes\)' 20
t_like "the row shows it" "$TUI_SCREEN" '^ A +CRIT .*aws_kms_key\.data'
t_is "in the store, once" "$(acks)" 1
tui_keys d q
t_tui_exit d "q exits 0"
t_unlike "the password is in no message" "$(cat "$T_TMP/d.err" 2> /dev/null)" "$TFDRIFT_TEST_PG_PASSWORD"
t_done
