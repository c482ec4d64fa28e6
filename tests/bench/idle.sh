#!/bin/sh
# idle.sh: CPU the dashboard uses while nothing happens. Runs the real `tfdrift ui` on the
# example data in a private tmux server (200x50), waits for its replay to finish, then reads
# utime+stime of the process (all threads) from /proc/PID/stat before and after 10 s. Then
# the same for `tfdrift demo` (paced replay, forever): not idle, but it should be tiny.
# Prints key=value lines (ui_idle_*, demo_*). usage: idle.sh TFDRIFT SRCDIR [SECONDS]
set -eu
tfdrift=$1
src=$2
secs=${3:-10}
ex=$src/doc/examples
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tfdrift-idle.XXXXXX")
sock=tfdrift-bench-$$
hz=$(getconf CLK_TCK)

tmx() {
	tmux -L "$sock" -f /dev/null "$@"
}

cleanup() {
	_s=$(tmx display-message -p '#{socket_path}' 2> /dev/null || true)
	tmx kill-server > /dev/null 2>&1 || true
	[ -n "$_s" ] && rm -f "$_s"
	rm -rf "$tmp"
}
trap cleanup EXIT
# A signal ends the script through exit, so the EXIT trap cleans up then too.
trap "exit 129" HUP
trap "exit 130" INT
trap "exit 143" TERM

command -v tmux > /dev/null || { echo "# idle: tmux is not installed, skipped"; exit 0; }
# The server in the foreground, in our background (see tests/tui/tui.sh).
tmx -D > "$tmp/tmux.log" 2>&1 &
i=0
while [ ! -S "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$sock" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "idle.sh: the tmux server did not start" >&2; exit 1; }
	sleep 0.1
done

# ticks PID: utime + stime (fields 14 and 15, after the parenthesised command name).
ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# wait_screen WINDOW REGEX SECONDS
wait_screen() {
	_i=0
	while [ "$_i" -lt $(($3 * 10)) ]; do
		if tmx capture-pane -p -t "=bench:=$1" 2> /dev/null | grep -Eq "$2"; then
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "idle.sh: $1: no /$2/ on the screen after $3 s:" >&2
	tmx capture-pane -p -t "=bench:=$1" >&2 || true
	return 1
}

# runns PID: run time of all its threads in ns (schedstat), and their context switches
# (each a wake-up), summed.
runns() {
	cat /proc/"$1"/task/*/schedstat 2> /dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
switches() {
	cat /proc/"$1"/task/*/status 2> /dev/null |
	    awk '/ctxt_switches/ { s += $2 } END { printf "%d\n", s }'
}

# measure NAME WINDOW: CPU over $secs seconds of the process in WINDOW.
measure() {
	_pid=$(tmx list-panes -t "=bench:=$2" -F '#{pane_pid}')
	_comm=$(cat "/proc/$_pid/comm")
	[ "$_comm" = tfdrift ] || { echo "idle.sh: pid $_pid is $_comm, not tfdrift" >&2; exit 1; }
	_t0=$(ticks "$_pid") _n0=$(runns "$_pid") _w0=$(switches "$_pid")
	sleep "$secs"
	_t1=$(ticks "$_pid") _n1=$(runns "$_pid") _w1=$(switches "$_pid")
	awk -v n="$1" -v d=$((_t1 - _t0)) -v hz="$hz" -v s="$secs" -v pid="$_pid" \
	    -v ns="$_n0 $_n1" -v w=$((_w1 - _w0)) 'BEGIN {
		split(ns, a, " ")
		run = (a[2] - a[1]) / 1e9
		printf "# %-8s tfdrift pid %d over %d s: utime+stime %.2f s; run time %.4f s (%.3f%%, schedstat, all threads); %d wake-ups\n", n ":", pid, s, d / hz, run, 100 * run / s, w
		printf "%s_cpu_seconds=%.2f\n%s_run_seconds=%.4f\n%s_cpu_percent=%.3f\n%s_wakeups=%d\n", n, d / hz, n, run, n, 100 * run / s, n, w
	}'
}

cd "$tmp"
tmx new-session -d -s bench -n ui -x 200 -y 50 \
    "exec env LC_ALL=C.UTF-8 TFDRIFT_DATADIR='$src' '$tfdrift' ui --state '$ex/prod.tfstate' \
    --state '$ex/gcp.tfstate' --events '$ex/cloudtrail.json' --events '$ex/gcp-audit.json' \
    --store '$tmp/ui.db' 2> '$tmp/ui.err'"
wait_screen ui 'replay done' 60
sleep 1         # let the last redraw settle
measure ui_idle ui

tmx new-window -d -t bench -n demo \
    "exec env LC_ALL=C.UTF-8 TFDRIFT_DATADIR='$src' '$tfdrift' demo --store '$tmp/demo.db' \
    2> '$tmp/demo.err'"
tmx resize-window -t '=bench:=demo' -x 200 -y 50 2> /dev/null || true
wait_screen demo 'replay [0-9]+/[0-9]+' 60
sleep 1
measure demo demo
