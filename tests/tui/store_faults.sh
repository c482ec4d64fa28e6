#!/bin/sh
# The dashboard on a store with filesystem faults: a disk full before it starts and during a
# decision, a -wal without its -shm on a read-only mount, and EIO (an ext4 image shut down).
# Wherever the store can still be read it shows every stored decision (the status line's ack
# and supp counts), READ-ONLY says why, a decision that cannot be saved says so, and once the
# cause is gone the next one is saved. Needs root (mounts).
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
[ "$(id -u)" = 0 ] || t_skip_all "needs root: it mounts tmpfs, bind mounts and an ext4 image"
[ -x /usr/bin/python3 ] || t_skip_all "python3 is needed to read the exports"
tui_need_tmux

PY=/usr/bin/python3
TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
export TFDRIFT_NOW USER XDG_STATE_HOME XDG_CONFIG_HOME

# Mounts are undone at exit, even after a failure (newest first: before T_TMP is removed;
# the tmux server, which ends the dashboards, is stopped before that).
MOUNTS=
mnt() {
	_d=$1
	shift
	mkdir -p "$_d"
	mount "$@" "$_d" 2> "$T_TMP/.mount.err" || return 1
	MOUNTS="$_d $MOUNTS"
}
umnt() {
	umount "$1" 2> /dev/null || umount -l "$1"
	MOUNTS=$(printf ' %s ' "$MOUNTS" | sed "s| $1 | |")
}
_unmount_all() {
	tui_stop
	for _m in $MOUNTS; do
		umount "$_m" 2> /dev/null || umount -l "$_m" 2> /dev/null
	done
	MOUNTS=
}
t_atexit _unmount_all
# Output piped into `head` ends the script with SIGPIPE, which lib.sh does not trap: unmount
# then too (quietly: stdout is gone).
trap 'exec > /dev/null 2>&1; _t_atexit_run; exit 141' PIPE

# The demo's findings saved in a store (a dashboard run), then decisions from the command
# line: two acknowledged, and the actor etl-runner suppressed (4 findings).
NSEED=0
seed() {
	NSEED=$((NSEED + 1))
	tui_start "seed$NSEED" 120 30 "$TFDRIFT" demo --store "$1" --pace 1s --passes 1
	tui_wait "seed$NSEED" 'replay done' 120 || return 1
	tui_keys "seed$NSEED" q
	tui_exit "seed$NSEED" 20 || return 1
	"$TFDRIFT" ack --store "$1" "$(fid "$1" aws_kms_key.data)" --note one > /dev/null 2>&1 &&
	    "$TFDRIFT" ack --store "$1" "$(fid "$1" aws_db_instance.main)" --note two > /dev/null 2>&1 &&
	    "$TFDRIFT" suppress --store "$1" --scope actor --value etl-runner > /dev/null 2>&1
}
# The id of the stored finding on an address.
fid() {
	"$TFDRIFT" export --store "$1" --format jsonl -q | $PY -c 'import json,sys
for l in sys.stdin:
    f = json.loads(l)
    if f["resource"]["address"] == sys.argv[1]:
        print(f["id"]); break' "$2"
}
acks() {
	"$TFDRIFT" export --store "$1" --status acknowledged --format jsonl -q | grep -c .
}
integrity() { $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$1"; }
fill() { dd if=/dev/zero of="$1" bs=4k 2> /dev/null; dd if=/dev/zero of="$1.tail" bs=1 2> /dev/null; true; }
# Every message of the session (the one shown at start lasts a few seconds): :messages.
messages() {
	tui_keys "$1" :
	tui_keys "$1" -l messages
	tui_keys "$1" Enter
}

# Select the finding whose row matches WORD (a filter), and acknowledge it with a note.
ack_row() {
	tui_keys "$1" /
	tui_keys "$1" C-u
	tui_keys "$1" -l "$2"
	tui_keys "$1" Enter
	tui_wait "$1" "^ .* $2" 10
	tui_keys "$1" a
	tui_wait "$1" '^Note' 10
	tui_keys "$1" -l "$3"
	tui_keys "$1" Enter
}

# ---- 1. A disk full before the dashboard starts, then during a decision.
d=$T_TMP/full
if mnt "$d" -t tmpfs -o size=16m tmpfs; then
	DB=$d/tfdrift.db
	t_ok "a store with the demo's findings and three decisions" seed "$DB"
	fill "$d/fill"
	tui_start full 120 30 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
	t_screen "full before start: it shows every stored decision (ack 2, supp 4), read-only" full \
	    '\| ack 2 \| supp 4 \| (resolved [0-9]+ \| )?replay done.*READ-ONLY' 30
	messages full
	t_screen "saying plainly that the disk is full" full 'read-only: .*tfdrift\.db: the disk is full' 10
	tui_keys full Escape
	ack_row full reports 'while full'
	t_screen "a decision on the full disk: not acknowledged, disk full" full \
	    '^not acknowledged: .*the disk is full' 10
	t_like "still read-only, and the counts unchanged" "$TUI_SCREEN" '\| ack 2 \| supp 4 \|.*READ-ONLY'
	rm -f "$d/fill" "$d/fill.tail"
	ack_row full reports 'space freed'
	t_screen "space freed: the same decision is saved" full \
	    'acknowledged google_storage_bucket\.reports \(decision 4' 10
	t_like "and the dashboard is writable again" "$TUI_SCREEN" '\| ack 3 \| supp 4 \| (resolved [0-9]+ \| )?replay done: [^|]*$'

	# During a decision: the dashboard is running, writable, when the disk fills.
	fill "$d/fill"
	ack_row full 'public_access_block.logs' 'during a write'
	t_screen "full during a decision: not acknowledged, disk full" full \
	    '^not acknowledged: .*the disk is full \(could not save the acknowledgement\)' 10
	t_screen "the status line says READ-ONLY" full '\| ack 3 \| supp 4 \|.*READ-ONLY' 10
	rm -f "$d/fill" "$d/fill.tail"
	ack_row full 'public_access_block.logs' 'after'
	t_screen "space freed: the next decision is saved" full \
	    'acknowledged aws_s3_bucket_public_access_block\.logs \(decision 5' 10
	tui_keys full q
	t_tui_exit full "the dashboard exits 0"
	t_is "every decision is in the store" "$(acks "$DB")" 4
	t_is "integrity_check ok" "$(integrity "$DB")" ok
	umnt "$d"
else
	t_skip "a full disk under the dashboard" "cannot mount a tmpfs: $(cat "$T_TMP/.mount.err")"
fi

# ---- 2. A -wal without its -shm, on a read-only mount.
d=$T_TMP/wal
r=$T_TMP/wal-ro
mkdir -p "$d"
DB=$d/tfdrift.db
tui_start demo2 120 30 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
tui_wait demo2 'replay done' 30
tui_keys demo2 q
tui_exit demo2 20
# A process holds the store (so the decisions stay in the -wal) and is killed.
$PY -c 'import sqlite3,sys,time
c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM findings").fetchall()
open(sys.argv[2], "w").write("ready"); time.sleep(300)' "$DB" "$T_TMP/held" &
holder=$!
t_kill_at_exit "$holder"
i=0
while [ ! -e "$T_TMP/held" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$TFDRIFT" ack --store "$DB" "$(fid "$DB" aws_kms_key.data)" > /dev/null 2>&1
"$TFDRIFT" ack --store "$DB" "$(fid "$DB" aws_db_instance.main)" > /dev/null 2>&1
"$TFDRIFT" suppress --store "$DB" --scope actor --value etl-runner > /dev/null 2>&1
kill -9 "$holder"
wait "$holder" 2> /dev/null
rm -f "$DB-shm"
t_ok "the decisions are in a -wal whose -shm is gone" test -s "$DB-wal" -a ! -e "$DB-shm"
if mnt "$r" --bind "$d" && mount -o remount,bind,ro "$r"; then
	tui_start wal 120 30 "$TFDRIFT" demo --store "$r/tfdrift.db" --pace 1s --passes 1
	t_screen "-wal without -shm: every decision of the -wal is shown (ack 2, supp 4)" wal \
	    '\| ack 2 \| supp 4 \| (resolved [0-9]+ \| )?replay done.*READ-ONLY' 30
	tui_keys wal a
	t_screen "a says it is read-only, and why" wal '^read-only: .*tfdrift\.db: the store is read-only' 10
	tui_keys wal Escape
	tui_keys wal q
	t_tui_exit wal "the read-only dashboard exits 0"
	umnt "$r"
	t_is "integrity_check ok" "$(integrity "$DB")" ok
else
	t_skip "a -wal without its -shm under the dashboard" "cannot bind-mount: $(cat "$T_TMP/.mount.err")"
fi

# ---- 3. EIO: the filesystem fails under a running dashboard, and before one starts.
img=$T_TMP/eio.img
d=$T_TMP/eio
if truncate -s 16M "$img" && mkfs.ext4 -q -F "$img" > /dev/null 2>&1 && mnt "$d" -o loop "$img"; then
	DB=$d/tfdrift.db
	t_ok "a store on an ext4 image, with three decisions" seed "$DB"
	tui_start eio 120 30 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
	t_screen "the dashboard shows them" eio '\| ack 2 \| supp 4 \| (resolved [0-9]+ \| )?replay done' 30
	t_ok "the filesystem is shut down: every I/O fails with EIO" $PY -c 'import fcntl,os,struct,sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.ioctl(fd, 0x8004587d, struct.pack("I", 2))   # EXT4_IOC_SHUTDOWN, NOLOGFLUSH' "$d"
	ack_row eio reports 'during EIO'
	t_screen "a decision: not acknowledged, I/O error" eio '^not acknowledged: .*I/O error' 10
	t_like "the decisions read before are still shown" "$TUI_SCREEN" '\| ack 2 \| supp 4 \|.*READ-ONLY'
	tui_keys eio q
	tui_exit eio 20
	t_is "it exits 0" "$TUI_RC" 0
	tui_start eio2 120 30 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
	t_screen "started on the failing disk: it runs, read-only" eio2 'replay done.*READ-ONLY' 30
	messages eio2
	t_screen "saying I/O error" eio2 'read-only: .*tfdrift\.db: I/O error \(Input/output error' 10
	tui_keys eio2 Escape
	tui_keys eio2 q
	tui_exit eio2 20
	umnt "$d"
	mnt "$d" -o loop "$img"
	t_is "mounted again: the decisions saved before the failure are all there" "$(acks "$DB")" 2
	t_is "integrity_check ok" "$(integrity "$DB")" ok
	umnt "$d"
else
	t_skip "EIO under the dashboard" "cannot make or loop-mount an ext4 image: $(cat "$T_TMP/.mount.err" 2> /dev/null)"
fi
rm -f "$img"
t_done
