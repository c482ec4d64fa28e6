# tests/tui/tui.sh: drive the real dashboard in a private tmux server (sourced after
# tests/lib.sh). Each script gets its own socket, so tests can run in parallel.
#
#   tui_start NAME COLS ROWS CMD...   run CMD in a new window; its exit status goes to
#                                     $T_TMP/NAME.rc and its stderr to $T_TMP/NAME.err
#   tui_wait NAME REGEX [SECONDS]     poll the screen until a line matches; TUI_SCREEN keeps it
#   tui_keys NAME KEY...              tmux send-keys
#   tui_exit NAME [SECONDS]           wait for CMD to end; TUI_RC keeps its status
#   tui_shell NAME COLS ROWS          an interactive shell (sh -i, prompt "tui$ ") in a new
#                                     window, for job control; type into it with tui_keys
#
# TUI_CLIPBOARD=1 before tui_need_tmux: the server takes OSC 52 copies into its paste
# buffers (set-clipboard on); `tmx show-buffer` then prints the newest copy.

TUI_SOCK="tfdrift-test-$$"
TUI_SCREEN=
TUI_RC=

tmx() {
	tmux -L "$TUI_SOCK" -f /dev/null "$@"
}

# At exit (t_atexit): the server ends its windows' processes (they get SIGHUP).
tui_stop() {
	_sock=$(tmx display-message -p '#{socket_path}' 2> /dev/null)
	tmx kill-server > /dev/null 2>&1
	[ -n "$_sock" ] && rm -f "$_sock"
}

# Skip everything when tmux is missing. The server runs in the foreground (-D) in the
# background of this script: a daemon needs /dev/null to be the device, and a test elsewhere
# running as root may have replaced it with a file.
tui_need_tmux() {
	need_cmd tmux || t_skip_all "tmux is not installed"
	tmx -D > "$T_TMP/tmux-server.log" 2>&1 &
	t_kill_at_exit $!
	t_atexit tui_stop
	_i=0
	while [ ! -S "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TUI_SOCK" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || { echo "Bail out! the tmux server did not start"; cat "$T_TMP/tmux-server.log"; exit 1; }
		sleep 0.1
	done
	[ -z "${TUI_CLIPBOARD:-}" ] || tmx set-option -s set-clipboard on
}

# The environment tui_start gives its command, as shell lines.
_tui_env() {
	printf 'cd %s || exit 99\n' "'$(pwd)'"
	for _v in TFDRIFT_NOW TFDRIFT_DATADIR TFDRIFT_UI_ITERATIONS ASAN_OPTIONS UBSAN_OPTIONS \
	    LSAN_OPTIONS USER LOCPATH; do
		eval "_val=\${$_v:-}"
		# The server's environment is the first test's: unset what this one has not.
		if [ -n "$_val" ]; then
			printf "%s='%s'; export %s\n" "$_v" "$_val" "$_v"
		else
			printf 'unset %s\n' "$_v"
		fi
	done
	printf 'LC_ALL=%s; export LC_ALL\n' "${TUI_LOCALE:-C.UTF-8}"
	printf 'unset NO_COLOR\n'
	[ -n "${TUI_NO_COLOR:-}" ] && printf 'NO_COLOR=1; export NO_COLOR\n'
	return 0
}

tui_shell() {
	_n=$1 _x=$2 _y=$3
	{
		echo '#!/bin/sh'
		_tui_env
		echo "PS1='tui\$ '; export PS1; unset ENV"
		echo 'exec sh -i'
	} > "$T_TMP/$_n.sh"
	_tui_window "$_n" "$_x" "$_y" sh "$T_TMP/$_n.sh"
}

# _tui_window NAME COLS ROWS CMD...: a new window (the first one makes the session).
_tui_window() {
	_wn=$1 _wx=$2 _wy=$3
	shift 3
	if tmx has-session 2> /dev/null; then
		tmx new-window -d -n "$_wn" "$@"
		tmx resize-window -t "=$_wn" -x "$_wx" -y "$_wy"
	else
		tmx new-session -d -s tui -n "$_wn" -x "$_wx" -y "$_wy" "$@"
	fi
}

tui_start() {
	_n=$1 _x=$2 _y=$3
	shift 3
	rm -f "$T_TMP/$_n.rc" "$T_TMP/$_n.err"
	{
		echo '#!/bin/sh'
		_tui_env
		printf '"$@" 2> %s\n' "'$T_TMP/$_n.err'"
		printf 'echo $? > %s\n' "'$T_TMP/$_n.rc.tmp'"
		printf 'mv %s %s\n' "'$T_TMP/$_n.rc.tmp'" "'$T_TMP/$_n.rc'"
		echo 'sleep 300'
	} > "$T_TMP/$_n.sh"
	_tui_window "$_n" "$_x" "$_y" sh "$T_TMP/$_n.sh" "$@"
}

tui_capture() {
	tmx capture-pane -p -t "=tui:=$1" 2> /dev/null
}

tui_wait() {
	_n=$1 _re=$2 _secs=${3:-20}
	_i=0
	while [ "$_i" -lt $((_secs * 10)) ]; do
		TUI_SCREEN=$(tui_capture "$_n")
		if printf '%s\n' "$TUI_SCREEN" | grep -Eq -- "$_re"; then
			# A capture can fall between two writes of one frame (slow sanitizer
			# builds): take the screen once more, settled, for the checks that follow.
			sleep 0.2
			TUI_SCREEN=$(tui_capture "$_n")
			printf '%s\n' "$TUI_SCREEN" | grep -Eq -- "$_re" && return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# ok/not ok on tui_wait, showing the screen on failure.
t_screen() {
	_name=$1
	shift
	if tui_wait "$@"; then
		ok 0 "$_name"
		return 0
	fi
	ok 1 "$_name"
	t_diag "no line matches /$2/ on the screen:"
	printf '%s\n' "$TUI_SCREEN" | t_indent
	[ -s "$T_TMP/$1.err" ] && { t_diag "stderr:"; head -n 30 "$T_TMP/$1.err" | t_indent; }
	return 1
}

tui_keys() {
	_n=$1
	shift
	tmx send-keys -t "=tui:=$_n" "$@"
}

tui_exit() {
	_n=$1 _secs=${2:-20}
	_i=0
	TUI_RC=timeout
	while [ "$_i" -lt $((_secs * 10)) ]; do
		if [ -f "$T_TMP/$_n.rc" ]; then
			TUI_RC=$(cat "$T_TMP/$_n.rc")
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# t_tui_exit NAME TEST-NAME: it exited 0 with nothing on stderr (sanitizer reports land there).
t_tui_exit() {
	tui_exit "$1" 20
	t_is "$2" "$TUI_RC" 0
	if [ -s "$T_TMP/$1.err" ]; then
		ok 1 "$2: nothing on stderr"
		head -n 40 "$T_TMP/$1.err" | t_indent
	else
		ok 0 "$2: nothing on stderr"
	fi
}
