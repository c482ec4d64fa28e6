#!/bin/sh
# The dashboard keeps the events seen too (store schema 6): after a replay of recorded events
# with --store, `tfdrift blame --store` gives the answer `tfdrift blame --events` gives.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

TFDRIFT_NOW=2024-05-28T00:00:00Z
export TFDRIFT_NOW
d=$TOP_SRCDIR/tests/data/blame
DB=$T_TMP/ui.db

tui_start u 120 40 "$TFDRIFT" --state "$TOP_SRCDIR/doc/examples/prod.tfstate" --events "$d/events.json" --store "$DB"
t_screen "the dashboard replays the events" u 'replay done'
tui_keys u q
t_tui_exit u "q exits 0"
t_run "$TFDRIFT" blame -q --plan "$d/plan-explained.json" --events "$d/events.json" --format json
files=$T_OUT
t_exit "blame from the dashboard's store: every drift explained" 0 "$TFDRIFT" blame -q --plan "$d/plan-explained.json" --store "$DB" --format json
t_is "the same answer as from the files" "$T_OUT" "$files"
t_done
