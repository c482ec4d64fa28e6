#!/bin/sh
# The time options (--since, --until, --from) of every command go through one parser
# (cli_time_opt, src/cmd/cmd_common.c): each takes the same forms (2h, 90m, 17:30, a date,
# RFC 3339, epoch seconds) and a bad value gets the same words from every command. Driven by
# the command table (`tfdrift help --table`): a time option added to a command is checked
# here without touching this file.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

t_exit "the table prints" 0 "$TFDRIFT" help --table
awk -F '\t' '$1 == "option" && $5 == "T" && ($4 == "since" || $4 == "until" || $4 == "from") {
    print $2 "\t" $4 }' > "$T_TMP/topts" <<EOT
$T_OUT
EOT
t_ok "the table has time options" test "$(wc -l < "$T_TMP/topts")" -ge 10
for want in "scan since" "export until" "watch since" "ui since" "blame until" \
    "suppress until" "freeze add until" "freeze add from"; do
	t_ok "$want is a time option" grep -q "^${want% *}	${want##* }\$" "$T_TMP/topts"
done

# What a command needs besides the option to get as far as reading it.
extra() {
	case $1 in
	suppress) echo "--scope rule --value r" ;;
	"freeze add") echo "x --until 3h --store $T_TMP/freeze.db" ;;   # a later --until wins
	esac
}
past= future=
while IFS='	' read -r c o <&3; do
	# shellcheck disable=SC2046,SC2086 # two-word commands and extra are several arguments
	set -- $c $(extra "$c")
	t_run "$TFDRIFT" "$@" "--$o" yesterday-ish
	t_is "$c --$o yesterday-ish exits 1" "$T_RC" 1
	t_like "$c --$o yesterday-ish: one usage error naming it" "$(printf '%s\n' "$T_ERR" | head -n 1)" \
	    "^tfdrift: --$o yesterday-ish: expected a time \\("
	t_is "$c --$o yesterday-ish: and the pointer" "$(printf '%s\n' "$T_ERR" | sed 1d)" \
	    "see 'tfdrift $c --help'"
	words=$(printf '%s\n' "$T_ERR" | head -n 1 | sed 's/.*: expected //')
	case $c/$o in   # an end in the future (a decision, a freeze) or a bound of the past
	suppress/until | "freeze add"/*)
		t_like "$c --$o counts forward" "$words" 'from now' ;;
	*)	t_like "$c --$o counts back" "$words" ' ago ' ;;
	esac
	case $words in
	*"from now"*) [ -n "$future" ] || future=$words
		t_is "$c --$o: the same words as every end" "$words" "$future" ;;
	*) [ -n "$past" ] || past=$words
		t_is "$c --$o: the same words as every bound" "$words" "$past" ;;
	esac
	# The forms every command takes: given one, the parser goes on to the next argument.
	for v in 2h 90m 17:30 2024-05-27 2024-05-27T10:00:00Z 1716804000; do
		t_run "$TFDRIFT" "$@" "--$o" "$v" --no-such-option
		t_is "$c --$o $v is taken (the next error is the unknown option)" \
		    "$(printf '%s\n' "$T_ERR" | head -n 1)" "tfdrift: unknown option --no-such-option"
	done
done 3< "$T_TMP/topts"

# watch and the dashboard take 2h, and a window that is backwards is refused the same way
# by each (an HH:MM bound is its most recent time).
for c in scan export watch ui; do
	t_run env TFDRIFT_NOW=2024-05-27T19:00:00Z "$TFDRIFT" $c --since 17:30 --until 09:00
	t_is "$c: a backwards window exits 1" "$T_RC" 1
	t_like "$c: says which times it meant" "$T_ERR" \
	    "^tfdrift: --until \\(2024-05-27T09:00:00Z\\) must be after --since \\(2024-05-27T17:30:00Z\\)\$"
done
t_run "$TFDRIFT" watch --since 2h --once --store "$T_TMP/w.db" -c /dev/null
t_unlike "watch --since 2h is not a usage error" "$T_ERR" 'since|see .tfdrift watch --help'
t_run "$TFDRIFT" ui --since 2h --until 1h -c /dev/null
t_unlike "ui --since 2h --until 1h is not a usage error" "$T_ERR" 'since|see .tfdrift ui --help'

t_done
