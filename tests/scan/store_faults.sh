#!/bin/sh
# Filesystem faults on the store, from the outside: a disk full before the store is opened and
# during a write, a -wal without its -shm on a read-only mount, read-only bind mounts (a clean
# store and one a writer holds), and EIO (an ext4 image on a loop device, shut down as
# xfstests' godown does). Each must end with a clear message, no decision lost, integrity_check
# ok, and every decision shown wherever the store can still be read. Needs root (mounts); the
# unit test tests/unit/test_store covers the same at the API. Prints TAP.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/scan/store_faults.sh
TOP_SRCDIR=${TOP_SRCDIR:-.}
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/lib.sh"
plan_start

[ -x "$TFDRIFT" ] || t_skip_all "no tfdrift binary at $TFDRIFT"
[ -x /usr/bin/python3 ] || t_skip_all "python3 is needed to read the exports and check the stores"
[ "$(id -u)" = 0 ] || t_skip_all "needs root: it mounts tmpfs, bind mounts and an ext4 image"
PY=/usr/bin/python3
EX=$TOP_SRCDIR/doc/examples
export USER=alice
unset TFDRIFT_NOW
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
TMPDIR=$T_TMP/tmp
export XDG_STATE_HOME XDG_CONFIG_HOME TMPDIR
mkdir -p "$TMPDIR"

# Mounts are undone at exit, even after a failure (newest first: before T_TMP is removed).
MOUNTS=
mnt() {
	_d=$1
	shift
	mkdir -p "$_d"
	mount "$@" "$_d" 2> "$T_TMP/.mount.err" || return 1
	MOUNTS="$_d $MOUNTS"
}
umnt() {
	umount "$1" || umount -l "$1"
	MOUNTS=$(printf ' %s ' "$MOUNTS" | sed "s| $1 | |")
}
ro_bind() {
	mnt "$2" --bind "$1" && { mount -o remount,bind,ro "$2" || { umnt "$2"; return 1; }; }
}
_unmount_all() {
	for _m in $MOUNTS; do
		umount "$_m" 2> /dev/null || umount -l "$_m" 2> /dev/null
	done
	MOUNTS=
}
t_atexit _unmount_all
# Output piped into `head` ends the script with SIGPIPE, which lib.sh does not trap: unmount
# then too (quietly: stdout is gone).
trap 'exec > /dev/null 2>&1; _t_atexit_run; exit 141' PIPE

# A store with the examples' findings, two acknowledged and one actor suppressed.
seed() {
	"$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --store "$1" \
	    --format jsonl -q -o "$T_TMP/seed.jsonl" 2> /dev/null
	for _n in 1 2; do
		"$TFDRIFT" ack --store "$1" "$(fid "$_n")" --note "seed $_n" > /dev/null 2>&1 || return 1
	done
	"$TFDRIFT" suppress --store "$1" --scope actor --value bob > /dev/null 2>&1
}
# The id of the Nth open finding of the seed scan that is not bob's (of its 12 findings, the
# stop its start put back is resolved: 11 open, 3 of them bob's, which a suppression takes).
fid() { grep '"status":"open"' "$T_TMP/seed.jsonl" | grep -v '"name":"bob"' | sed -n "${1}p" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
# "acknowledged suppressed open" counts of an export (JSON lines on stdin); resolved ones are
# left out.
census() { $PY -c '
import json, sys
n = {"acknowledged": 0, "suppressed": 0, "open": 0, "resolved": 0}
for l in sys.stdin:
    n[json.loads(l)["status"]] += 1
print(n["acknowledged"], n["suppressed"], n["open"])'; }
integrity() { $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA integrity_check").fetchone()[0])' "$1"; }
decisions() { $PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM decisions").fetchone()[0])' "$1"; }
# A process that holds the store open (its -shm mapped), until killed.
hold() {
	$PY -c 'import sqlite3,sys,time
c = sqlite3.connect(sys.argv[1]); c.execute("SELECT count(*) FROM findings").fetchall()
open(sys.argv[2], "w").write("ready")
time.sleep(300)' "$1" "$T_TMP/held" &
	HOLDER=$!
	t_kill_at_exit "$HOLDER"
	_i=0
	while [ ! -e "$T_TMP/held" ] && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	rm -f "$T_TMP/held"
}
fill() { dd if=/dev/zero of="$1" bs=4k 2> /dev/null; dd if=/dev/zero of="$1.tail" bs=1 2> /dev/null; true; }

# ---- 1. ENOSPC before open: the store was on a disk that filled up while nothing held it.
d=$T_TMP/full
if mnt "$d" -t tmpfs -o size=768k tmpfs; then
	s=$d/tfdrift.db
	t_ok "full before open: a seeded store" seed "$s"
	fill "$d/fill"
	t_is "the disk is full" "$(df --output=avail "$d" | tail -n 1 | tr -d ' ')" 0
	t_run "$TFDRIFT" export --store "$s" --status all --format jsonl
	t_is "export still works" "$T_RC" 0
	t_is "with every decision (2 acknowledged, 3 suppressed by actor, 6 open)" \
	    "$(printf '%s\n' "$T_OUT" | census)" "2 3 6"
	t_like "and says plainly why it is read-only" "$T_ERR" 'the disk is full .*free space'
	t_run "$TFDRIFT" ack --store "$s" "$(fid 3)" --note "while full"
	t_is "ack on the full disk exits 1" "$T_RC" 1
	t_like "not saved, disk full, what to do" "$T_ERR" \
	    "^tfdrift: not saved: $s: the disk is full .*free space on that filesystem"
	t_is "and prints no decision id" "$T_OUT" ""
	t_exit "suppress too" 1 "$TFDRIFT" suppress --store "$s" --scope event --value StopInstances
	t_like "saying so" "$T_ERR" 'not saved: .*disk is full'
	t_exit "undo too" 1 "$TFDRIFT" undo --store "$s" 1
	t_exit "freeze list still reads the full store" 0 "$TFDRIFT" freeze list --store "$s"
	rm -f "$d/fill" "$d/fill.tail"
	t_run "$TFDRIFT" ack --store "$s" "$(fid 3)" --note "space freed"
	t_is "once space is freed, ack works" "$T_RC" 0
	t_is "every decision is there" "$(decisions "$s")" 4
	t_is "integrity_check ok" "$(integrity "$s")" ok

	# ---- 2. ENOSPC during a write: the store is open (another process holds it, its -shm
	#         sized) when the disk fills; the write itself fails.
	hold "$s"
	fill "$d/fill"
	t_run "$TFDRIFT" ack --store "$s" "$(fid 4)" --note "during the write"
	t_is "full during a write: ack exits 1" "$T_RC" 1
	t_like "not saved: the disk is full" "$T_ERR" "not saved: $s: the disk is full \\(could not save the acknowledgement\\)"
	t_run "$TFDRIFT" export --store "$s" --status all --format jsonl
	t_is "export shows every decision saved before" "$(printf '%s\n' "$T_OUT" | census)" "3 3 5"
	rm -f "$d/fill" "$d/fill.tail"
	t_exit "space freed: the same ack is saved" 0 "$TFDRIFT" ack --store "$s" "$(fid 4)" --note "after"
	kill "$HOLDER" 2> /dev/null
	wait "$HOLDER" 2> /dev/null
	t_is "five decisions, none half-saved" "$(decisions "$s")" 5
	t_is "integrity_check ok" "$(integrity "$s")" ok
	umnt "$d"
else
	t_skip "a disk full before open and during a write" "cannot mount a tmpfs: $(cat "$T_TMP/.mount.err")"
fi

# ---- 3. A -wal without its -shm, read-only (a backup that skipped the -shm): the newest
#         decisions are only in the -wal; the store used to be read as if they did not exist.
d=$T_TMP/walnoshm
r=$T_TMP/walnoshm-ro
mkdir -p "$d"
s=$d/tfdrift.db
seed "$s"
hold "$s"
t_ok "decisions made while another process holds the store" sh -c \
    "'$TFDRIFT' ack --store '$s' '$(fid 3)' --note 'in the wal' && '$TFDRIFT' ack --store '$s' '$(fid 4)'"
kill -9 "$HOLDER" 2> /dev/null
wait "$HOLDER" 2> /dev/null
t_ok "the holder killed before a checkpoint leaves a -wal" test -s "$s-wal"
rm -f "$s-shm"
if ro_bind "$d" "$r"; then
	t_run "$TFDRIFT" export --store "$r/tfdrift.db" --status all --format jsonl
	t_is "-wal without -shm, read-only: export exits 0" "$T_RC" 0
	t_is "every decision, the -wal's too (4 acknowledged, 3 suppressed, 4 open)" \
	    "$(printf '%s\n' "$T_OUT" | census)" "4 3 4"
	t_like "it says it reads a copy, and why" "$T_ERR" 'read-only.*private copy.*-shm'
	t_is "the copy is gone afterwards" "$(ls "$TMPDIR" | grep -c tfdrift-store)" 0
	t_exit "ack says read-only" 1 "$TFDRIFT" ack --store "$r/tfdrift.db" "$(fid 3)"
	t_like "clearly" "$T_ERR" 'not saved: .*read-only'
	t_run env TMPDIR=/nonexistent-tfdrift-test "$TFDRIFT" export --store "$r/tfdrift.db" --status all --format jsonl
	t_is "with nowhere to copy it, export refuses (exit 1)" "$T_RC" 1
	t_is "and prints nothing (never fewer decisions than stored)" "$T_OUT" ""
	t_like "saying why and what to do" "$T_ERR" '-wal file.*-shm file is missing.*restore the -shm'
	umnt "$r"
	t_is "writable again: integrity_check ok" "$(integrity "$s")" ok
	t_is "and every decision is there" "$(decisions "$s")" 5
else
	t_skip "a -wal without its -shm on a read-only mount" "cannot bind-mount: $(cat "$T_TMP/.mount.err")"
fi

# ---- 4. Read-only bind mounts: a store nothing holds, and one a writer holds meanwhile.
d=$T_TMP/bind
r=$T_TMP/bind-ro
mkdir -p "$d"
s=$d/tfdrift.db
seed "$s"
if ro_bind "$d" "$r"; then
	t_run "$TFDRIFT" export --store "$r/tfdrift.db" --status all --format jsonl
	t_is "read-only bind mount: every decision" "$(printf '%s\n' "$T_OUT" | census)" "2 3 6"
	t_like "read-only, saying why" "$T_ERR" 'the store is read-only'
	t_exit "a decision exits 1" 1 "$TFDRIFT" suppress --store "$r/tfdrift.db" --scope actor --value carol
	t_like "not saved: read-only" "$T_ERR" 'not saved: .*read-only'
	hold "$s"
	"$TFDRIFT" ack --store "$s" "$(fid 3)" --note "through the writable mount" > /dev/null 2>&1
	t_run "$TFDRIFT" export --store "$r/tfdrift.db" --status all --format jsonl
	t_is "a writer holds it: the read-only mount sees its newest decision" \
	    "$(printf '%s\n' "$T_OUT" | census)" "3 3 5"
	kill "$HOLDER" 2> /dev/null
	wait "$HOLDER" 2> /dev/null
	umnt "$r"
	t_is "integrity_check ok" "$(integrity "$s")" ok
else
	t_skip "read-only bind mounts" "cannot bind-mount: $(cat "$T_TMP/.mount.err")"
fi

# ---- 5. EIO: every read and write of the filesystem fails (ext4 shut down).
img=$T_TMP/eio.img
d=$T_TMP/eio
if truncate -s 8M "$img" && mkfs.ext4 -q -F "$img" > /dev/null 2>&1 && mnt "$d" -o loop "$img"; then
	s=$d/tfdrift.db
	seed "$s"
	t_ok "EIO: the filesystem is shut down" $PY -c 'import fcntl,os,struct,sys
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.ioctl(fd, 0x8004587d, struct.pack("I", 2))   # EXT4_IOC_SHUTDOWN, NOLOGFLUSH' "$d"
	t_run "$TFDRIFT" export --store "$s" --status all --format jsonl
	t_is "export exits 1" "$T_RC" 1
	t_like "saying I/O error, not 'corrupt' nor 'cannot open'" "$T_ERR" \
	    "^tfdrift: $s: I/O error \\(Input/output error, .*check it"
	t_is "and prints no findings" "$T_OUT" ""
	t_exit "ack exits 1" 1 "$TFDRIFT" ack --store "$s" "$(fid 3)"
	t_like "with the same I/O error" "$T_ERR" 'I/O error \(Input/output error'
	umnt "$d"
	mnt "$d" -o loop "$img"
	t_run "$TFDRIFT" export --store "$s" --status all --format jsonl
	t_is "mounted again: every decision saved before the failure" \
	    "$(printf '%s\n' "$T_OUT" | census)" "2 3 6"
	t_is "integrity_check ok" "$(integrity "$s")" ok
	umnt "$d"
else
	t_skip "EIO from a shut-down ext4 image" "cannot make or loop-mount an ext4 image: $(cat "$T_TMP/.mount.err" 2> /dev/null)"
fi
rm -f "$img"
t_done
