# tests/lib.sh: shared setup for shell tests that print TAP (POSIX sh; sourced, not run).
#
#   . "${TOP_SRCDIR:-.}/tests/lib.sh"
#   plan_start
#   t_ok   "scan runs"           "$TFDRIFT" scan --state s.tfstate --events e.json
#   t_exit "drift exits 2"    2  "$TFDRIFT" scan ...
#   t_run  "$TFDRIFT" version;  t_like "version printed" "$T_OUT" '^tfdrift [0-9]'
#   t_is   "two findings" "$n" 2
#   need_shared || t_skip "samples" "no shared data"
#   t_done
#
# Variables: TFDRIFT (the binary under test), TOP_SRCDIR, TOP_BUILDDIR, SHARED_DATA, and
# T_TMP, a temp directory of this test removed on exit (kept if TFDRIFT_KEEP_TMP is set).
# t_run leaves T_RC, T_OUT and T_ERR (stdout and stderr text) behind.
#
# Cleanup: helpers never set traps of their own (a trap replaces the one before it, so the
# helper sourced last would silently drop the others' cleanup). They register instead:
#   t_atexit FUNC          call the shell function FUNC when the script ends (exit, HUP,
#                          INT or TERM); newest first, each once
#   t_kill_at_exit PID     a background process of this script, sent SIGTERM when it ends;
#                          t_done then checks that none of them is still running

TOP_SRCDIR=${TOP_SRCDIR:-.}
TOP_BUILDDIR=${TOP_BUILDDIR:-$TOP_SRCDIR}
TFDRIFT=${TFDRIFT:-$TOP_BUILDDIR/tfdrift}
SHARED_DATA=${SHARED_DATA:-$TOP_SRCDIR/../shared/data}
TFDRIFT_DATADIR=${TFDRIFT_DATADIR:-$TOP_SRCDIR}
export TOP_SRCDIR TOP_BUILDDIR TFDRIFT SHARED_DATA TFDRIFT_DATADIR

T_N=0
T_FAILED=0
T_TMP=
T_RC=0
T_OUT=
T_ERR=
T_ATEXIT=
T_PIDS=
_T_TRAPPED=

t_atexit() {
	case " $T_ATEXIT " in
	*" $1 "*) return 0 ;;
	esac
	T_ATEXIT="$1 $T_ATEXIT"
	if [ -z "$_T_TRAPPED" ]; then
		_T_TRAPPED=1
		trap '_t_atexit_run' EXIT
		trap '_t_atexit_run; exit 129' HUP
		trap '_t_atexit_run; exit 130' INT
		trap '_t_atexit_run; exit 143' TERM
	fi
}

# Emptied before running: a signal's trap exits, and the EXIT trap must not run them again.
_t_atexit_run() {
	_t_hooks=$T_ATEXIT
	T_ATEXIT=
	for _t_h in $_t_hooks; do
		"$_t_h"
	done
}

t_kill_at_exit() {
	T_PIDS="$T_PIDS $1"
	t_atexit _t_kill_pids
}

# _t_running PID: a child of this shell that has not ended. The parent is checked so that a
# process ended and reaped long ago, whose number was reused by someone else's, is left alone.
_t_running() {
	_t_st=$(ps -o ppid=,stat= -p "$1" 2> /dev/null) || return 1
	set -- $_t_st
	[ "$1" = "$$" ] && [ "${2#Z}" = "$2" ]
}

_t_kill_pids() {
	for _t_p in $T_PIDS; do
		_t_running "$_t_p" && kill "$_t_p" 2> /dev/null
	done
}

_t_cleanup() {
	if [ -n "$T_TMP" ] && [ -d "$T_TMP" ]; then
		if [ -n "${TFDRIFT_KEEP_TMP:-}" ]; then
			echo "# kept $T_TMP"
		else
			rm -rf "$T_TMP"
		fi
	fi
}

# Start a test script: make T_TMP and remove it on exit or signal.
plan_start() {
	T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tfdrift-test.XXXXXX") || {
		echo "Bail out! cannot create a temp dir"
		exit 1
	}
	t_atexit _t_cleanup
}

# Comment lines (TAP diagnostics): each line of the arguments gets "# ".
t_diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# ok STATUS NAME: a test that passed when STATUS (an exit code) is 0.
ok() {
	T_N=$((T_N + 1))
	if [ "$1" -eq 0 ] 2>/dev/null; then
		echo "ok $T_N - $2"
		return 0
	fi
	echo "not ok $T_N - $2"
	T_FAILED=$((T_FAILED + 1))
	return 1
}

# t_run CMD...: run a command, keeping T_RC, T_OUT and T_ERR. Never fails.
t_run() {
	[ -n "$T_TMP" ] || plan_start
	"$@" > "$T_TMP/.out" 2> "$T_TMP/.err" < /dev/null
	T_RC=$?
	T_OUT=$(cat "$T_TMP/.out")
	T_ERR=$(cat "$T_TMP/.err")
	return 0
}

_t_show_run() {
	t_diag "command: $*"
	t_diag "exit status: $T_RC"
	[ -z "$T_OUT" ] || { t_diag "stdout:"; printf '%s\n' "$T_OUT" | tail -n 40 | t_indent; }
	[ -z "$T_ERR" ] || { t_diag "stderr:"; printf '%s\n' "$T_ERR" | tail -n 40 | t_indent; }
}

t_indent() {
	sed 's/^/#   /'
}

# t_ok NAME CMD...: passes when CMD exits 0; shows its output when it does not.
t_ok() {
	_name=$1
	shift
	t_run "$@"
	if ok "$T_RC" "$_name"; then
		return 0
	fi
	_t_show_run "$@"
	return 1
}

# t_exit NAME STATUS CMD...: passes when CMD exits with exactly STATUS.
t_exit() {
	_name=$1
	_want=$2
	shift 2
	t_run "$@"
	if [ "$T_RC" -eq "$_want" ]; then
		ok 0 "$_name"
		return 0
	fi
	ok 1 "$_name"
	t_diag "expected exit status $_want"
	_t_show_run "$@"
	return 1
}

# t_is NAME GOT WANT: string equality.
t_is() {
	if [ "$2" = "$3" ]; then
		ok 0 "$1"
		return 0
	fi
	ok 1 "$1"
	t_diag "got:"
	printf '%s\n' "$2" | t_indent
	t_diag "expected:"
	printf '%s\n' "$3" | t_indent
	return 1
}

# t_like NAME GOT REGEX: some line of GOT matches the extended regular expression.
t_like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then
		ok 0 "$1"
		return 0
	fi
	ok 1 "$1"
	t_diag "no line matches /$3/ in:"
	printf '%s\n' "$2" | head -n 40 | t_indent
	return 1
}

# t_unlike NAME GOT REGEX: no line of GOT matches.
t_unlike() {
	if ! printf '%s\n' "$2" | grep -Eq -- "$3"; then
		ok 0 "$1"
		return 0
	fi
	ok 1 "$1"
	t_diag "unexpected match for /$3/:"
	printf '%s\n' "$2" | grep -E -- "$3" | head -n 10 | t_indent
	return 1
}

# t_skip NAME REASON: a skipped test (counts as run, not failed).
t_skip() {
	T_N=$((T_N + 1))
	echo "ok $T_N - $1 # SKIP $2"
}

# t_skip_all REASON: skip the whole script (before any test ran).
t_skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

# need_shared: true when the shared sample data is there.
need_shared() {
	[ -d "$SHARED_DATA" ]
}

# need_cmd CMD: true when CMD is on the PATH.
need_cmd() {
	command -v "$1" > /dev/null 2>&1
}

# t_done: print the plan and exit 1 if anything failed. A script that started background
# processes (t_kill_at_exit) cleans up first and checks that they are gone (up to 10 s for
# them to exit): one left running would outlive `make check`.
t_done() {
	if [ -n "$T_PIDS" ]; then
		_t_atexit_run
		_t_i=0
		while :; do
			_t_left=
			for _t_p in $T_PIDS; do
				_t_running "$_t_p" && _t_left="$_t_left $_t_p"
			done
			[ -n "$_t_left" ] && [ "$_t_i" -lt 100 ] || break
			sleep 0.1
			_t_i=$((_t_i + 1))
		done
		if [ -z "$_t_left" ]; then
			ok 0 "no background process left running"
		else
			ok 1 "no background process left running"
			# shellcheck disable=SC2086
			ps -o pid=,args= -p "$(echo $_t_left | tr ' ' ,)" | t_indent
		fi
	fi
	echo "1..$T_N"
	if [ "$T_FAILED" -ne 0 ]; then
		t_diag "$T_FAILED of $T_N failed"
		exit 1
	fi
	exit 0
}
