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

# Without the variable, an installed binary reads only the installed data: the source tree is
# never a fallback. "Installed" here: the built binary copied out of its tree.
mkdir -p "$T_TMP/bin" && cp "$TFDRIFT" "$T_TMP/bin/tfdrift"
if [ -d "$pkgdatadir/rules/events" ]; then
	t_skip "no fallback to the source tree" "$pkgdatadir is installed on this machine"
else
	t_run env -u TFDRIFT_DATADIR "$T_TMP/bin/tfdrift" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
	t_is "no data installed: scan exits 1" "$T_RC" 1
	t_like "... naming the path it looked in" "$T_ERR" "no data directory $pkgdatadir/rules/events: No such file or directory"
	t_like "... and TFDRIFT_DATADIR" "$T_ERR" 'set TFDRIFT_DATADIR to the directory holding rules/'
	t_unlike "... and never using the source tree" "$T_OUT" 'drift'
	# The demo wants a terminal: script(1) gives it one.
	if command -v script > /dev/null 2>&1; then
		t_run env -u TFDRIFT_DATADIR TERM=xterm timeout 20 script -q -e -c \
		    "'$T_TMP/bin/tfdrift' demo --passes 1 --store '$T_TMP/d.db'" /dev/null
		t_is "demo without data exits 1" "$T_RC" 1
		t_like "... naming the examples' path" "$T_OUT" "no data directory $pkgdatadir/doc/examples"
	else
		t_skip "demo without data" "no script(1) to give it a terminal"
	fi
fi

# The README's quick start: ./tfdrift at the top of an in-tree build reads the data beside it
# (its directory holds configure.ac and rules/events), with no variable.
if [ -f "$TOP_BUILDDIR/configure.ac" ] && [ -d "$TOP_BUILDDIR/rules/events" ]; then
	t_run env -u TFDRIFT_DATADIR "$TFDRIFT" scan -q -f json --state "$EX/prod.tfstate" \
	    --events "$EX/cloudtrail.json"
	t_is "the in-tree build's ./tfdrift scans without TFDRIFT_DATADIR" "$T_RC" 2
	t_like "... finding the drift" "$T_OUT" '"kind": "modified"'
else
	t_skip "the in-tree build's ./tfdrift finds its data" "not an in-tree build ($TOP_BUILDDIR)"
fi
# A directory that looks like a build tree only in part is not one: rules/events alone.
mkdir -p "$T_TMP/half/rules/events" && cp "$TFDRIFT" "$T_TMP/half/tfdrift"
t_run env -u TFDRIFT_DATADIR "$T_TMP/half/tfdrift" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_like "rules/events beside a binary without configure.ac is not its data" "$T_ERR" \
    "no data directory $pkgdatadir/rules/events"

# A TFDRIFT_DATADIR that lacks the maps says so, naming the variable.
mkdir -p "$T_TMP/empty"
TFDRIFT_DATADIR=$T_TMP/empty t_exit "an empty TFDRIFT_DATADIR: scan exits 1" 1 \
    "$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_like "... naming the path and the variable" "$T_ERR" \
    "no data directory $T_TMP/empty/rules/events: No such file or directory \\(TFDRIFT_DATADIR names it\\)"
t_done
