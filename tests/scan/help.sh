#!/bin/sh
# --help, tfdrift help, usage errors, the man page and the shell completions, all checked
# against the command and option table (src/cmdtab.c, printed by `tfdrift help --table`):
# a command or option added to the table is checked here without touching this file.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

t_exit "the table prints" 0 "$TFDRIFT" help --table
table=$T_TMP/table
printf '%s\n' "$T_OUT" > "$table"
cmds=$(awk -F '\t' '$1 == "command" { print $2 }' "$table")
printf '%s\n' "$cmds" > "$T_TMP/cmds"   # one a line: "rules check" is one command
t_ok "the table lists commands" test "$(printf '%s\n' "$cmds" | wc -l)" -gt 15

# The one-line usage error: exit 1 (2 is drift), "tfdrift: ...", then the pointer.
usage_error() {   # name cmd wanted-first-line-regex args...
	_n=$1 _c=$2 _re=$3
	shift 3
	t_run "$@" </dev/null
	t_is "$_n: exits 1" "$T_RC" 1
	t_is "$_n: two lines on stderr" "$(printf '%s\n' "$T_ERR" | wc -l)" 2
	t_like "$_n: says what is wrong" "$(printf '%s\n' "$T_ERR" | head -n 1)" "^tfdrift: $_re"
	t_is "$_n: and where the help is" "$(printf '%s\n' "$T_ERR" | tail -n 1)" "see 'tfdrift $_c --help'"
	t_is "$_n: nothing on stdout" "$T_OUT" ""
}

# Every command: -h and --help exit 0 with its own usage line; tfdrift help CMD is the same.
while IFS= read -r c <&3; do
	# shellcheck disable=SC2086 # two-word commands are two arguments
	set -- $c
	for h in -h --help; do
		t_run "$TFDRIFT" "$@" "$h" </dev/null
		t_is "$c $h exits 0" "$T_RC" 0
		t_like "$c $h begins with its usage" "$(printf '%s\n' "$T_OUT" | head -n 1)" "^usage: tfdrift $c( |\$)"
		t_is "$c $h: nothing on stderr" "$T_ERR" ""
	done
	want=$T_OUT
	t_run "$TFDRIFT" help "$@"
	t_is "tfdrift help $c is $c --help" "$T_OUT" "$want"
	# Every option of the table is in the help, and in the parser: given without its
	# argument it says it needs one; a flag is accepted (the unknown option after it is
	# the one named).
	awk -F '\t' -v c="$c" '$1 == "option" && $2 == c && $4 != "help" { print $3, $4, $5 }' \
	    "$table" > "$T_TMP/opts"
	while read -r short long arg; do
		t_like "$c --help lists --$long" "$want" "--$long( $arg)?( |\$)"
		if [ "$arg" != - ]; then
			usage_error "$c --$long without its $arg" "$c" "option --$long needs an argument" \
			    "$TFDRIFT" "$@" "--$long"
			[ "$short" = - ] ||
				usage_error "$c -$short without its $arg" "$c" "option -$short needs an argument" \
				    "$TFDRIFT" "$@" "-$short"
		else
			usage_error "$c --$long is an option" "$c" \
			    "(unknown option --no-such-option|unexpected argument '--no-such-option')" \
			    "$TFDRIFT" "$@" "--$long" --no-such-option
		fi
	done < "$T_TMP/opts"
	# A command with subcommands says which it expected instead.
	if grep -q "^command	$c " "$table"; then
		usage_error "$c with an unknown subcommand" "$c" "unknown subcommand 'frob'" \
		    "$TFDRIFT" "$@" frob
	else
		usage_error "$c with an unknown option" "$c" \
		    "(unknown option --no-such-option|unexpected argument '--no-such-option')" \
		    "$TFDRIFT" "$@" --no-such-option
	fi
done 3< "$T_TMP/cmds"

# The other way round: an option a parser (getopt_long's table) takes that the table lacks
# would have no help, no man page entry and no completion. Commands are dispatched from the
# table itself (a command without an exec function fails its --help above).
for f in $(cd "$TOP_SRCDIR" && echo src/cmd/cmd_*.c); do
	case $f in   # which commands each file parses the options of
	src/cmd/cmd_scan.c) of=scan ;;
	src/cmd/cmd_export.c) of=export ;;
	src/cmd/cmd_triage.c) of='ack|suppress|undo' ;;
	src/cmd/cmd_freeze.c) of='freeze [a-z]+' ;;
	src/cmd/cmd_rules.c) of='rules [a-z]+' ;;
	src/cmd/cmd_config.c) of='config [a-z]+' ;;
	src/cmd/cmd_watch.c) of=watch ;;
	src/cmd/cmd_blame.c) of=blame ;;
	src/cmd/cmd_ui.c) of='ui|demo' ;;
	*) of='-' ;;   # no getopt_long table
	esac
	for o in $(grep -o '{ "[a-z-]*", *\(required\|no\|optional\)_argument' "$TOP_SRCDIR/$f" |
	    sed 's/{ "\([a-z-]*\)".*/\1/' | sort -u); do
		t_ok "$f's option --$o is in the table" grep -Eq "^option	($of)	.	$o	" "$table"
	done
done

# tfdrift help alone, and tfdrift --help, are the overview: every command is in it.
t_exit "tfdrift help exits 0" 0 "$TFDRIFT" help
over=$T_OUT
t_like "it is the overview" "$over" '^usage: tfdrift \[-c FILE\] COMMAND'
t_is "tfdrift --help is the same" "$("$TFDRIFT" --help)" "$over"
while IFS= read -r c <&3; do
	grep -q "^command	$c " "$table" && continue   # a parent: its subcommands are listed
	t_like "the overview lists $c" "$over" "^  $c( |\$)"
done 3< "$T_TMP/cmds"
usage_error "help of an unknown command" help "no such command: frob" "$TFDRIFT" help frob
t_run "$TFDRIFT" frob
t_is "an unknown command: one line and the pointer" "$T_ERR" "tfdrift: unknown command 'frob'
see 'tfdrift --help'"
t_run "$TFDRIFT" --frob
t_is "an unknown global option too" "$T_ERR" "tfdrift: unknown option --frob
see 'tfdrift --help'"

# Bad values: one line too, naming the option and what it takes.
usage_error "scan --format xml" scan "--format xml: expected json, jsonl, text, csv, sarif or markdown" \
    "$TFDRIFT" scan --format xml --state x --events y
usage_error "scan --since junk" scan "--since junk: expected" "$TFDRIFT" scan --since junk
usage_error "export --status junk" export "--status junk: expected open" \
    "$TFDRIFT" export --status junk
usage_error "watch --format csv" watch "--format csv: expected jsonl or text" \
    "$TFDRIFT" watch --format csv
usage_error "blame --max-events x" blame "--max-events x: expected a number" \
    "$TFDRIFT" blame --max-events x
usage_error "freeze add without --until" "freeze add" "--until T is required" \
    "$TFDRIFT" freeze add x --store "$T_TMP/s.db"
usage_error "ack without an id" ack "expected finding ID" "$TFDRIFT" ack
usage_error "suppress without --scope" suppress "--scope and --value are required" \
    "$TFDRIFT" suppress
usage_error "rules check with an option" "rules check" "unknown option --frob" \
    "$TFDRIFT" rules check --frob
usage_error "rules coverage --format xml" "rules coverage" "--format xml: expected text, json or tsv" \
    "$TFDRIFT" rules coverage --format xml
usage_error "an ambiguous abbreviation" scan "option --s is ambiguous" "$TFDRIFT" scan --s x
usage_error "completion of an unknown shell" completion "tcsh: expected bash, zsh, fish or ids" \
    "$TFDRIFT" completion tcsh

# ---- the man page: every command and option of the table, and nothing else ----
man=$TOP_BUILDDIR/doc/tfdrift.1
t_ok "the man page is built" test -s "$man"
t_run python3 "$TOP_SRCDIR/tests/scan/man_check.py" "$table" "$man"
t_is "the man page's COMMANDS agree with the table" "$T_OUT" ""
# The checker itself finds a missing option and an extra one.
sed '/^\.BI \\-\\-notify$/d; s/^\.B \\-\\-notify$/.B \\-\\-notifyy/' "$man" > "$T_TMP/bad.1"
t_run python3 "$TOP_SRCDIR/tests/scan/man_check.py" "$table" "$T_TMP/bad.1"
t_like "a man page without scan --notify fails" "$T_OUT" 'command scan: option --notify is not in its man page section'
t_like "... and one with an option the table lacks" "$T_OUT" 'documents --notifyy, which the table has not'
printf 'command\tfrobnicate\n' >> "$table"
t_run python3 "$TOP_SRCDIR/tests/scan/man_check.py" "$table" "$man"
t_like "a command without a section fails" "$T_OUT" 'command frobnicate: not in the man page'

# Filled in at build time: configure's version and installed paths, no @VARIABLE@ left.
t_unlike "no @VARIABLE@ is left" "$(cat "$man")" '@[A-Za-z_]+@'
t_like "the version is configure's" "$(head -n 1 "$man")" "\"$("$TFDRIFT" version)\""
pkgdatadir=$(sed -n 's/^pkgdatadir = //p' "$TOP_BUILDDIR/Makefile")
datadir=$(sed -n 's/^datadir = //p' "$TOP_BUILDDIR/Makefile")
datarootdir=$(sed -n 's/^datarootdir = //p' "$TOP_BUILDDIR/Makefile")
prefix=$(sed -n 's/^prefix = //p' "$TOP_BUILDDIR/Makefile")
PACKAGE=tfdrift
expanded=$(printf '%s' "$pkgdatadir" | sed "s|\$(datadir)|$datadir|; s|\${datarootdir}|$datarootdir|; s|\${prefix}|$prefix|; s|\$(PACKAGE)|$PACKAGE|")
expanded=$(printf '%s' "$expanded" | sed "s|\${datarootdir}|$datarootdir|; s|\${prefix}|$prefix|")
t_like "FILES names the installed event maps ($expanded)" "$(cat "$man")" "^\.I $expanded/rules/events/\*\.yaml"
# The documents the man page points to are installed (dist_doc_DATA) and exist.
for d in $(grep -o '@docdir@/[a-z-]*\.md\|\\fP[a-z-]*\.md' "$TOP_SRCDIR/doc/tfdrift.1.in" | sed 's|.*[/P]||' | sort -u); do
	t_ok "doc/$d exists" test -f "$TOP_SRCDIR/doc/$d"
	t_like "doc/$d is installed" "$(sed -n '/^dist_doc_DATA/p' "$TOP_SRCDIR/Makefile.am")" "doc/$d"
done
# ENVIRONMENT: what the code reads is documented, and what is documented is read.
t_run python3 "$TOP_SRCDIR/tests/scan/man_check.py" --env "$TOP_SRCDIR/src" "$man"
t_is "the man page's ENVIRONMENT is what src/ reads" "$T_OUT" ""
sed 's/^\.B TFDRIFT_TRACE$/.B TFDRIFT_BOGUS_VAR/' "$man" > "$T_TMP/bad.1"
t_run python3 "$TOP_SRCDIR/tests/scan/man_check.py" --env "$TOP_SRCDIR/src" "$T_TMP/bad.1"
t_like "an undocumented variable fails" "$T_OUT" '^TFDRIFT_TRACE is read'
t_like "... and a documented one nothing reads" "$T_OUT" '^TFDRIFT_BOGUS_VAR is in the man page'
# EXIT STATUS lists 0, 1 and 2.
t_like "EXIT STATUS has each status" "$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man" | tr '\n' ' ')" \
    '\.B 0 .*\.B 1 .*\.B 2 '

# ---- completions: bash, driven with COMP_WORDS/COMP_CWORD ----
t_exit "tfdrift completion bash" 0 "$TFDRIFT" completion bash
printf '%s\n' "$T_OUT" > "$T_TMP/comp.bash"
t_is "the built completion is the same" "$(cat "$TOP_BUILDDIR/completions/tfdrift")" "$T_OUT"
if command -v bash >/dev/null 2>&1; then
	complete_words() {   # the words bash offers for the command line "$@" (last: the word)
		bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tfdrift
		    printf "%s\n" "${COMPREPLY[@]}"' _ "$T_TMP/comp.bash" tfdrift "$@"
	}
	t_is "tfdrift ex<TAB>" "$(complete_words ex)" export
	t_is "tfdrift scan --fo<TAB>" "$(complete_words scan --fo)" --format
	t_is "tfdrift scan --format <TAB>" "$(complete_words scan --format '' | sort | tr '\n' ' ')" "csv json jsonl markdown sarif text "
	t_is "tfdrift rules c<TAB>" "$(complete_words rules c | sort | tr '\n' ' ')" "check coverage "
	t_is "tfdrift rules coverage --format ts<TAB>" "$(complete_words rules coverage --format ts)" tsv
	t_is "tfdrift -c FILE scan --ex<TAB>" "$(complete_words -c x.yaml scan --ex)" --explain
	t_is "tfdrift ui --theme h<TAB>" "$(complete_words ui --theme h)" high-contrast
	touch "$T_TMP/state-file.tfstate"
	t_is "tfdrift scan --state <TAB> completes files" "$(complete_words scan --state "$T_TMP/state-f")" "$T_TMP/state-file.tfstate"
	# Every command and every option of the table completes.
	while IFS= read -r c <&3; do
		case $c in
		*" "*) set -- $c; t_like "tfdrift $1 <TAB> offers $2" "$(complete_words "$1" '')" "^$2\$" ;;
		*) t_like "tfdrift <TAB> offers $c" "$(complete_words '')" "^$c\$" ;;
		esac
		awk -F '\t' -v c="$c" '$1 == "option" && $2 == c { print $4 }' "$table" > "$T_TMP/opts"
		while read -r long; do
			# shellcheck disable=SC2086
			t_like "tfdrift $c --$long completes" "$(complete_words $c "--$long")" "^--$long\$"
		done < "$T_TMP/opts"
	done 3< "$T_TMP/cmds"
else
	t_skip "bash completion" "bash is not installed"
fi
if command -v zsh >/dev/null 2>&1; then
	"$TFDRIFT" completion zsh > "$T_TMP/_tfdrift"
	t_ok "the zsh completion loads" zsh -fc "autoload -U compinit && compinit -u && . '$T_TMP/_tfdrift'"
else
	t_skip "zsh completion" "zsh is not installed"
fi

t_done
