#!/bin/sh
# The data directory: TFDRIFT_DATADIR when set, else the installed $(pkgdatadir), and never
# the source tree the binary was built from (an installed binary must not depend on it). A
# missing one is an error naming the path and TFDRIFT_DATADIR. Prints TAP.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

EX=$TOP_SRCDIR/doc/examples
# Where this build installs its data (configure's pkgdatadir, expanded by make).
pkgdatadir=$(MAKEFLAGS= make --no-print-directory -s -C "$TOP_BUILDDIR" -f Makefile -f - print-pkgdatadir 2>/dev/null <<'MK'
print-pkgdatadir:
	@echo '$(pkgdatadir)'
MK
)
t_like "the build's pkgdatadir is known ($pkgdatadir)" "$pkgdatadir" '^/.*/tfdrift$'

# A data directory of our own: a copy of the source tree's rules/ and doc/examples/.
D=$T_TMP/data
mkdir -p "$D/doc" && cp -R "$TOP_SRCDIR/rules" "$D/rules" && cp -R "$EX" "$D/doc/examples"
TFDRIFT_DATADIR=$D t_exit "TFDRIFT_DATADIR names the data: scan works" 2 \
    "$TFDRIFT" scan -q -f json --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
TFDRIFT_DATADIR=$D t_exit "... and rules check checks its rules and maps" 0 "$TFDRIFT" rules check
t_like "... the copied ones" "$T_OUT" 'event map entries'

# Without the variable, only the installed data: the source tree is never a fallback.
if [ -d "$pkgdatadir/rules/events" ]; then
	t_skip "no fallback to the source tree" "$pkgdatadir is installed on this machine"
else
	t_run env -u TFDRIFT_DATADIR "$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
	t_is "no data installed: scan exits 1" "$T_RC" 1
	t_like "... naming the path it looked in" "$T_ERR" "no data directory $pkgdatadir/rules/events: No such file or directory"
	t_like "... and TFDRIFT_DATADIR" "$T_ERR" 'set TFDRIFT_DATADIR to the directory holding rules/'
	t_unlike "... and never using the source tree" "$T_OUT" 'drift'
	t_run env -u TFDRIFT_DATADIR "$TFDRIFT" demo --passes 1 --store "$T_TMP/d.db"
	t_is "demo without data exits 1" "$T_RC" 1
	t_like "... naming the examples' path" "$T_ERR" "tfdrift demo: no data directory $pkgdatadir/doc/examples"
fi

# A TFDRIFT_DATADIR that lacks the maps says so, naming the variable.
mkdir -p "$T_TMP/empty"
TFDRIFT_DATADIR=$T_TMP/empty t_exit "an empty TFDRIFT_DATADIR: scan exits 1" 1 \
    "$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_like "... naming the path and the variable" "$T_ERR" \
    "no data directory $T_TMP/empty/rules/events: No such file or directory \\(TFDRIFT_DATADIR names it\\)"
t_done
