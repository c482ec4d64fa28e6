#!/bin/sh
# Dashboards on a shared store: `tfdrift ui --store DB` (no events) shows the findings
# `tfdrift scan --store` saved, and within a second of another process's decision
# (`tfdrift ack`, `tfdrift suppress`, `tfdrift undo`, another dashboard) or new finding
# (`scan --store` again) every open dashboard shows it: the row's status, who decided (status
# line, detail), the key bar as it was, the selection where the user left it; the events the
# store keeps fill the Events view, the timeline band and a resource's history, and new ones
# come as they are saved; an undo says what it undid. At 80x24 and
# 200x60; then on a PostgreSQL store (tests/pg/pgcluster.sh) when its server is installed.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux
need_cmd python3 || t_skip_all "python3 is not installed"

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
export TFDRIFT_NOW USER
EX=$TOP_SRCDIR/doc/examples
STATES="--state $EX/prod.tfstate --state $EX/gcp.tfstate"
# How long a change may take to reach an open dashboard (the issue: within 1 s).
LIMIT_MS=${STORE_LIVE_LIMIT_MS:-1000}

# One more write by a person after the morning's: the KMS key disabled again at 11:30.
python3 - "$EX/cloudtrail.json" "$T_TMP/later.json" <<'EOF'
import json, sys
recs = json.load(open(sys.argv[1]))["Records"]
r = next(x for x in recs if x["eventName"] == "DisableKey")
r["eventID"] = "0f6b1d2e-5a4c-4e3b-9d8f-7a6b5c4d3e2f"
r["eventTime"] = "2024-05-27T11:30:00Z"
json.dump({"Records": [r]}, open(sys.argv[2], "w"))
EOF
# And a call that failed at 11:40, which makes no finding: only the store's events say so.
python3 - "$EX/cloudtrail.json" "$T_TMP/failed.json" <<'EOF'
import json, sys
recs = json.load(open(sys.argv[1]))["Records"]
r = next(x for x in recs if x.get("errorCode") and x["eventName"] == "AttachUserPolicy")
r["eventID"] = "5c2e7f1a-9b3d-4c8e-a6f4-2d1b0e9c8a7f"
r["eventTime"] = "2024-05-27T11:40:00Z"
json.dump({"Records": [r]}, open(sys.argv[2], "w"))
EOF

now_ms() {
	date +%s%N | cut -c1-13
}

# seen_within TEST NAME REGEX: the screen of NAME shows REGEX within LIMIT_MS of now (the
# change was just committed); ok with the time it took, else the screen.
seen_within() {
	_t0=$(now_ms)
	while :; do
		TUI_SCREEN=$(tui_capture "$2")
		if printf '%s\n' "$TUI_SCREEN" | grep -Eq -- "$3"; then
			_el=$(($(now_ms) - _t0))
			if [ "$_el" -le "$LIMIT_MS" ]; then
				ok 0 "$1 (in ${_el} ms)"
			else
				ok 1 "$1: took ${_el} ms (limit $LIMIT_MS)"
			fi
			sleep 0.3       # the rest of the frame, for the checks that follow
			TUI_SCREEN=$(tui_capture "$2")
			return 0
		fi
		if [ $(($(now_ms) - _t0)) -gt 5000 ]; then
			ok 1 "$1: no /$3/ after 5 s"
			printf '%s\n' "$TUI_SCREEN" | t_indent
			return 1
		fi
		sleep 0.02
	done
}

# keybar_back TEST NAME: the bottom line is the key bar again, as it was before (a message
# shows there for a while).
keybar_back() {
	t_screen "$1" "$2" "^$(printf '%s' "$KEYBAR" | sed 's/[][\\.*^$+?(){}|]/\\&/g')\$" 15
}

finding_id() {         # the stored id of the open finding on address $2 in store $1
	"$TFDRIFT" export --store "$1" --status open --format jsonl 2> /dev/null | python3 -c '
import json, sys
for l in sys.stdin:
    f = json.loads(l)
    if f.get("resource", {}).get("address") == sys.argv[1]:
        print(f["id"]); break' "$2"
}

for size in 80x24 200x60; do
	W=${size%x*} H=${size#*x}
	DB=$T_TMP/team-$size.db
	t_exit "$size: scan --store fills a store" 2 "$TFDRIFT" scan $STATES --events "$EX/cloudtrail.json" \
	    --events "$EX/gcp-audit.json" --store "$DB" -o /dev/null
	KMS=$(finding_id "$DB" aws_kms_key.data)
	t_like "$size: the store has the KMS finding" "$KMS" '^[0-9a-f]{32}$'

	tui_start d$W "$W" "$H" "$TFDRIFT" ui --store "$DB"
	t_screen "$size: ui --store shows the store's findings" d$W 'store: 17 findings' 20
	t_like "$size: newest first" "$TUI_SCREEN" 'CRIT .*aws_kms_key\.data'
	KEYBAR=$(printf '%s\n' "$TUI_SCREEN" | tail -n 1)
	t_like "$size: with the key bar" "$KEYBAR" 'a ack'
	# The events scan --store kept: the timeline band counts them (its scale is the
	# busiest bucket's count), the Events view lists them, a resource's history has them.
	t_like "$size: the timeline counts the store's events" \
	    "$(printf '%s\n' "$TUI_SCREEN" | sed -n 2p)" '^ +[1-9][0-9]* '
	tui_keys d$W 2
	t_screen "$size: the Events view has the store's events" d$W '44 write events' 5
	t_like "$size: newest first, with what it made" "$TUI_SCREEN" \
	    '^ 10:48:03 DisableKey +alice@corp.* drift: 1 finding'
	t_like "$size: a failed call says so" "$TUI_SCREEN" 'AttachUserP.* failed: AccessDen'
	t_like "$size: the Events view keeps the key bar" "$(printf '%s\n' "$TUI_SCREEN" | tail -n 1)" \
	    '^Enter open .* q quit$'
	tui_keys d$W 5 /
	tui_keys d$W -l 'lambda'
	tui_keys d$W Enter Enter
	t_screen "$size: a resource's history has its other events" d$W \
	    '1 finding \(1 open\); 2 other events that made no finding' 5
	t_like "$size: the pipeline's update is listed" "$TUI_SCREEN" 'UpdateFunc.* terraform'
	t_like "$size: and bob's that set what state has" "$TUI_SCREEN" \
	    '09:39:02 UpdateFunc.* bob .* equal to st'
	tui_keys d$W Escape 1
	t_screen "$size: back on the findings" d$W '^ ST SEV' 5
	# The user moves two rows down: the storage bucket's deletion.
	tui_keys d$W j j
	t_screen "$size: the third row is selected" d$W 'deleted +google_storage_bucket\.reports' 5
	t_unlike "$size: nothing acknowledged yet" "$TUI_SCREEN" '\| ack [1-9]'

	# Another process acknowledges the KMS finding.
	t_ok "$size: bob acknowledges it from another shell" env USER=bob "$TFDRIFT" ack \
	    --store "$DB" "$KMS" --note "key rotation, CHG-7"
	seen_within "$size: the dashboard says who acknowledged it" d$W \
	    "bob acknowledged $(printf %.8s "$KMS")"
	t_like "$size: the row shows it acknowledged" "$TUI_SCREEN" '^ A +CRIT .*aws_kms_key\.data'
	t_like "$size: the status line counts it" "$TUI_SCREEN" '\| ack 1 \|'
	t_like "$size: the selection stayed on the bucket" "$TUI_SCREEN" \
	    'deleted +google_storage_bucket\.reports'
	keybar_back "$size: the key bar is intact once the message lapses" d$W
	tui_keys d$W k k
	t_screen "$size: the detail says by whom, with the note" d$W \
	    'by bob at 2024-05-27T12:00:00Z: key rotation, CHG-7' 5
	tui_keys d$W j j

	# A suppression of a resource from another shell hides its row.
	t_ok "$size: carol suppresses the lambda function" env USER=carol "$TFDRIFT" suppress \
	    --store "$DB" --scope resource --value aws_lambda_function.api --for 1h
	seen_within "$size: the dashboard says who suppressed what" d$W \
	    'carol suppressed resource aws_lambda_function'
	t_like "$size: the status line counts it" "$TUI_SCREEN" '\| supp 1 \|'
	t_unlike "$size: its row is hidden" "$(printf '%s\n' "$TUI_SCREEN" | grep ' MED ')" \
	    'aws_lambda_function\.api'
	t_like "$size: the selection is still on the bucket" "$TUI_SCREEN" \
	    'deleted +google_storage_bucket\.reports'
	keybar_back "$size: the key bar is still intact" d$W

	# A new finding saved by another scan.
	t_exit "$size: another scan --store saves a new finding" 2 "$TFDRIFT" scan $STATES \
	    --events "$T_TMP/later.json" --store "$DB" -o /dev/null
	seen_within "$size: it shows in the open dashboard" d$W '(store: )?18 findings'
	t_like "$size: the selection stayed" "$TUI_SCREEN" 'deleted +google_storage_bucket\.reports'
	# The rows on screen stay where they were: on a short screen the new one arrives above
	# them, counted; on a tall one it is in sight.
	if [ "$H" -lt 30 ]; then
		t_like "$size: the top line counts it as new" "$TUI_SCREEN" '1 new'
	else
		t_like "$size: it is on top" "$TUI_SCREEN" '^ +CRIT 11:30:00 mod +aws_kms_key\.data'
	fi
	tui_keys d$W g
	t_screen "$size: g shows it on top" d$W '^ +CRIT 11:30:00 mod +aws_kms_key\.data' 5
	tui_keys d$W j j j
	tui_keys d$W 2
	t_screen "$size: the Events view has the new event" d$W '45 write events' 5
	t_like "$size: on top" "$TUI_SCREEN" '^ 11:30:00 DisableKey .* drift: 1 finding'
	# An event that makes no finding, saved by another scan, comes too.
	t_exit "$size: another scan --store saves a failed call" 2 "$TFDRIFT" scan $STATES \
	    --events "$T_TMP/failed.json" --store "$DB" -o /dev/null
	seen_within "$size: it shows in the Events view" d$W '^ 11:40:00 AttachUserP.* failed'
	t_like "$size: counted" "$TUI_SCREEN" '46 write events'
	t_like "$size: the key bar is intact" "$(printf '%s\n' "$TUI_SCREEN" | tail -n 1)" \
	    '^Enter open .* q quit$'
	tui_keys d$W 1

	# undo, from yet another process: the lambda function is back.
	t_ok "$size: carol undoes her suppression" env USER=carol "$TFDRIFT" undo --store "$DB" 2
	seen_within "$size: the dashboard says what she undid" d$W \
	    "carol undid carol's suppression of resource aws_lambda_function\\.api"
	t_unlike "$size: nothing suppressed again" "$TUI_SCREEN" '\| supp [1-9]'
	t_like "$size: the open count has it again" "$TUI_SCREEN" 'med 4'
	tui_keys d$W q
	t_tui_exit d$W "$size: q exits 0"
done

# Two dashboards on one store: a decision made in one (as the config's user:) shows in the
# other, and a freeze window started from the command line in both.
DB=$T_TMP/two.db
"$TFDRIFT" scan $STATES --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" \
    --store "$DB" -o /dev/null 2> /dev/null
printf 'user: "oncall-alice"\n' > "$T_TMP/alice.yaml"
tui_start one 120 30 "$TFDRIFT" -c "$T_TMP/alice.yaml" ui --store "$DB"
tui_start two 120 30 "$TFDRIFT" ui --store "$DB"
t_screen "the first dashboard is up" one 'store: 17 findings' 20
t_screen "the second too" two 'store: 17 findings' 20
tui_keys one a
t_screen "a asks for a note in the first" one '^Note' 5
tui_keys one -l 'seen, on it'
tui_keys one Enter
t_screen "the first acknowledges" one 'acknowledged aws_kms_key\.data \(decision 1; u undoes\)' 5
seen_within "the second says who, the config's user:" two 'oncall-alice acknowledged'
t_like "the second shows the row acknowledged" "$TUI_SCREEN" '^ A +CRIT .*aws_kms_key\.data'
t_like "with the note in the detail" "$TUI_SCREEN" 'by oncall-alice at .*: seen, on it'
t_ok "a freeze from the command line" env USER=dave "$TFDRIFT" freeze add cab --until 2h \
    --store "$DB"
seen_within "the first dashboard shows its banner" one 'FREEZE cab'
t_like "and who started it" "$TUI_SCREEN" 'dave started freeze cab'
seen_within "the second one too" two 'FREEZE cab'
t_ok "the freeze ended from the command line" "$TFDRIFT" freeze end cab --store "$DB"
seen_within "the first says it ended" one 'freeze cab ended'
# (The clock stands still here, TFDRIFT_NOW: the window ends 1 ms after now, never reached.)
tui_keys one q
tui_keys two q
t_tui_exit one "the first exits 0"
t_tui_exit two "the second exits 0"

# A revert (alice's StartInstances puts her stop of web[1] back: reverted_by_hand) says in
# the store's Events view what it resolved, as the dashboard fed by the files does: the
# store keeps no outcome of an event, the resolution names the event.
DB=$T_TMP/revert.db
"$TFDRIFT" scan $STATES --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" \
    --store "$DB" -o /dev/null 2> /dev/null
tui_start file 120 30 "$TFDRIFT" ui $STATES --events "$EX/cloudtrail.json" \
    --events "$EX/gcp-audit.json" --store "$T_TMP/file.db"
tui_start st 120 30 "$TFDRIFT" ui --store "$DB"
t_screen "file: the replay is done" file 'replay done: 49 events' 20
t_screen "store: the findings are up" st 'store: 17 findings' 20
for d in file st; do
	tui_keys $d 2 /
	tui_keys $d -l 'StartInstances'
	tui_keys $d Enter
	# The detail's first line: the event and its outcome whole (the list cuts it).
	t_screen "$d: the revert says what it resolved" $d \
	    '^ +StartInstances +equal to state; resolved 1 *$' 10
	ROW=$(printf '%s\n' "$TUI_SCREEN" | grep -E '^ +StartInstances +[a-z]')
	if [ $d = file ]; then REV_FILE=$ROW; else REV_STORE=$ROW; fi
	tui_keys $d q
	t_tui_exit $d "$d: q exits 0"
done
t_is "the store's outcome is the files'" "$REV_STORE" "$REV_FILE"

# The same on a PostgreSQL store (its notifications), when the server binaries are here.
. "$TOP_SRCDIR/tests/pg/pgcluster.sh"
if pg_cluster_start > "$T_TMP/pg.log" 2>&1 && PG=$(pg_new_database live); then
	"$TFDRIFT" scan $STATES --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" \
	    --store "$PG" -o /dev/null 2> /dev/null
	KMS=$(finding_id "$PG" aws_kms_key.data)
	tui_start pg 120 30 "$TFDRIFT" ui --store "$PG"
	t_screen "PostgreSQL: ui --store shows the store's findings" pg 'store: 17 findings' 30
	t_ok "PostgreSQL: bob acknowledges from another shell" env USER=bob "$TFDRIFT" ack \
	    --store "$PG" "$KMS"
	seen_within "PostgreSQL: the dashboard says who" pg "bob acknowledged $(printf %.8s "$KMS")"
	t_like "PostgreSQL: the row shows it" "$TUI_SCREEN" '^ A +CRIT .*aws_kms_key\.data'
	t_exit "PostgreSQL: another scan saves a new finding" 2 "$TFDRIFT" scan $STATES \
	    --events "$T_TMP/later.json" --store "$PG" -o /dev/null
	seen_within "PostgreSQL: it shows" pg 'store: 18 findings'
	tui_keys pg q
	t_tui_exit pg "PostgreSQL: q exits 0"
else
	t_skip "the dashboard on a PostgreSQL store" "no test cluster: $(tail -n 1 "$T_TMP/pg.log")"
fi

tui_start miss 80 24 "$TFDRIFT" ui --store "$T_TMP/none/x.db"
tui_exit miss
t_is "ui --store on a missing store exits 1" "$TUI_RC" 1
t_like "saying why" "$(cat "$T_TMP/miss.err")" 'none/x\.db'
t_done
