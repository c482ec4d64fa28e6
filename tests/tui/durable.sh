#!/bin/sh
# What the dashboard says is done is on disk: kill -9 right after an acknowledgement or a
# suppression loses nothing; an ad hoc freeze (F) shows a banner, is kept in the store and
# is back after a restart; a large backlog streams in with a progress line while the
# dashboard stays usable.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
export TFDRIFT_NOW USER
SGRE='module\.net\.aws_security_group\.web'
DB="$T_TMP/d.db"

# The pid of the tfdrift in a window (the child of its sh).
tfdrift_pid() {
	_sh=$(tmx display-message -p -t "=tui:=$1" '#{pane_pid}')
	for _p in $(pgrep -P "$_sh"); do
		case $(cat "/proc/$_p/comm" 2> /dev/null) in
		tfdrift|lt-tfdrift) echo "$_p"; return 0 ;;
		esac
	done
	return 1
}

tui_start k 100 30 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
t_screen "the demo runs" k 'replay done' 20
tui_keys k G a
tui_keys k -l 'change window 42'
tui_keys k Enter
t_screen "acknowledged" k "acknowledged $SGRE"
PID=$(tfdrift_pid k)
t_ok "found the dashboard's pid" test -n "$PID"
kill -9 "$PID"
tui_exit k 10
t_is "kill -9 ends it" "$TUI_RC" 137
t_run "$TFDRIFT" export --store "$DB" --status acknowledged --format jsonl
t_like "the acknowledgement survived kill -9" "$T_OUT" "\"address\":\"$SGRE\".*\"note\":\"change window 42\""

tui_start k2 100 30 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
t_screen "restarted" k2 'replay done' 20
tui_keys k2 g s f 3
t_screen "suppress this finding for 7 days" k2 'suppressed finding [0-9a-f]{32} until 2024-06-03T12:00:00Z'
kill -9 "$(tfdrift_pid k2)"
tui_exit k2 10
t_run "$TFDRIFT" export --store "$DB" --status suppressed --format jsonl
t_like "the suppression survived kill -9" "$T_OUT" '"status":"suppressed".*"until":"2024-06-03T12:00:00Z"'

# F: an ad hoc freeze with a banner, kept in the store.
tui_start f 100 30 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
t_screen "restarted again" f 'replay done' 20
tui_keys f F
t_screen "F asks until when, with examples from now" f '^Freeze until \(14:00 UTC, 2h or 2024-05-27T14:00:00Z\):'
tui_keys f -l 'soon'
tui_keys f Enter
t_screen "a time it cannot read is refused, with examples" f "'soon' is not a time in the future"
tui_keys f C-u
tui_keys f -l '13:30'
tui_keys f Enter
t_screen "the freeze starts" f 'freeze adhoc-tester-1200 until 2024-05-27T13:30:00Z'
t_like "the banner shows it and the time left" "$TUI_SCREEN" 'FREEZE adhoc-tester-1200: 1h30m left'
tui_keys f q
t_tui_exit f "q exits 0 during a freeze"
t_run "$TFDRIFT" freeze list --store "$DB"
t_like "the store has the window" "$T_OUT" 'adhoc-tester-1200'
tui_start f2 100 30 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
t_screen "after a restart the banner is back" f2 'FREEZE adhoc-tester-1200: 1h30m left'
# The banner's timer under a clock that does not move (TFDRIFT_NOW): the loop sleeps.
tui_wait f2 'replay done' 20
sleep 1
PANE=$(tmx list-panes -t "=tui:=f2" -F '#{pane_pid}')
DPID=$(pgrep -P "$PANE" -x tfdrift | head -n 1)
wakeups() {
	cat /proc/"$DPID"/task/*/status 2> /dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}
W0=$(wakeups)
sleep 2
W1=$(wakeups)
t_ok "a freeze banner does not keep the loop awake ($((W1 - W0)) wake-ups in 2 s)" \
    test -n "$DPID" -a $((W1 - W0)) -lt 40
tui_keys f2 q
t_tui_exit f2 "exits 0"

# The demo happens now (its events take the time they are replayed at): a freeze started
# while it plays catches the writes that follow.
tui_start fznow 160 30 "$TFDRIFT" demo --store "$T_TMP/fznow.db" --pace 8s --passes 1
t_screen "the demo plays" fznow 'replay [0-9]+/[0-9]+'
tui_keys fznow F
tui_keys fznow -l '13:30'
tui_keys fznow Enter
t_screen "a freeze starts while it plays" fznow 'freeze adhoc-tester-1200 until 2024-05-27T13:30:00Z'
t_screen "the pass finishes" fznow 'replay done' 20
tui_keys fznow /
tui_keys fznow -l 'kind:freeze'
tui_keys fznow Enter
t_screen "the demo's writes after it are freeze violations, now" fznow '12:00:0[0-9] freeze .* d'
tui_keys fznow q
t_tui_exit fznow "exits 0"

# A freeze window from the config: the banner with the time left, violations for every
# write by a person inside it, drift one severity higher, and the window on the timeline.
cat > "$T_TMP/freeze.yaml" <<EOF
store: $T_TMP/fz.db
freeze_windows:
  - name: cab
    start: 2024-05-27T09:00:00Z
    end: 2024-05-27T10:00:00Z
    accounts: ["111122223333"]
EOF
EX="$TOP_SRCDIR/doc/examples"
TFDRIFT_NOW=2024-05-27T09:35:00Z tui_start cab 120 40 "$TFDRIFT" -c "$T_TMP/freeze.yaml" \
    --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_screen "the config's window is on the banner with the time left" cab 'FREEZE cab: 25m left'
t_screen "the replay finishes" cab 'replay done'
tui_keys cab /
tui_keys cab -l 'kind:freeze'
tui_keys cab Enter
t_screen "writes by people inside the window are freeze violations" cab '09:14:03 freeze +module\.net\.aws_security_group\.web +AuthorizeSecurityGroupIngress d'
t_unlike "none outside it (10:00 and later, 08:59 and earlier)" "$(printf '%s\n' "$TUI_SCREEN" | grep ' freeze ')" ' (10|0[0-8]):[0-9]{2}:[0-9]{2} freeze'
t_like "the axis marks the window" "$TUI_SCREEN" '▀▀▀'
t_like "the detail names the window" "$TUI_SCREEN" 'change freeze: cab \(2024-05-27T09:00:00Z to 2024-05-27T10:00:00Z\)'
tui_keys cab Escape / C-u
tui_keys cab -l 'security_group.web kind:modified'
tui_keys cab Enter
t_screen "drift inside the window ranks one higher (high -> critical)" cab 'CRIT 09:14:03 mod +module\.net\.aws_security_group\.web'
t_like "and says why" "$TUI_SCREEN" 'change freeze: cab .*; severity raised one step'
tui_keys cab q
t_tui_exit cab "the freeze run exits 0"

# A backlog that streams in: JSON lines through a pipe, more than the reader's 256 KB
# buffer before and after the drift, so the finding shows while the rest still loads.
EX="$TOP_SRCDIR/doc/examples"
/usr/bin/python3 - "$EX/cloudtrail.json" "$T_TMP" <<'EOF'
import json, sys
recs = json.load(open(sys.argv[1]))["Records"]
sg = [r for r in recs if r["eventName"] == "AuthorizeSecurityGroupIngress" and
      "console" in json.dumps(r).lower()]
ro = [r for r in recs if r.get("readOnly") is True][0]
def filler(n, tag):
    out = []
    for i in range(n):
        r = dict(ro)
        r["eventID"] = "%s-%06d" % (tag, i)
        out.append(json.dumps(r))
    return "\n".join(out) + "\n"
open(sys.argv[2] + "/part1.jsonl", "w").write(filler(1500, "a") + json.dumps(sg[0]) + "\n" + filler(1500, "b"))
open(sys.argv[2] + "/part2.jsonl", "w").write(filler(100, "c"))
EOF
mkfifo "$T_TMP/backlog"
tui_start s 100 30 "$TFDRIFT" --state "$EX/prod.tfstate" --events "$T_TMP/backlog" \
    --store "$T_TMP/s.db"
exec 7> "$T_TMP/backlog"
cat "$T_TMP/part1.jsonl" >&7
t_screen "the drift in the first part shows while loading" s "$SGRE"
t_like "the status line says it is still loading" "$TUI_SCREEN" 'loading\.\.\. 1 events'
tui_keys s 4
t_screen "the dashboard is usable meanwhile: Sources says reading" s 'reading +.*backlog'
cat "$T_TMP/part2.jsonl" >&7
exec 7>&-
t_screen "when the pipe closes the replay is done" s 'replay done: 1 events'
t_like "and the file is done" "$TUI_SCREEN" 'done +.*backlog'
t_like "with every read-only record counted" "$TUI_SCREEN" 'read-only 3100'
tui_keys s q
t_tui_exit s "the streaming run exits 0"

# A writer that keeps the pipe open and goes silent must not hold the quit: the reader
# wakes to look at the stop (a quarter second), not at the 60 s idle timeout.
rm -f "$T_TMP/backlog2"
mkfifo "$T_TMP/backlog2"
tui_start h 100 30 "$TFDRIFT" --state "$EX/prod.tfstate" --events "$T_TMP/backlog2" \
    --store "$T_TMP/h.db"
exec 8> "$T_TMP/backlog2"
cat "$T_TMP/part1.jsonl" >&8
t_screen "a silent writer: the drift read so far shows" h "$SGRE"
t_like "and the pipe is still being read" "$TUI_SCREEN" 'loading\.\.\.'
tui_keys h q
tui_exit h 3
t_is "q while the writer is silent exits within 3 s" "$TUI_RC" 0
exec 8>&-
t_tui_exit h "the run with a silent writer exits 0"
t_done
