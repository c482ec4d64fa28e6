#!/bin/sh
# Shell completions beyond the table (tests/scan/help.sh checks every command and option in
# bash): ids from the store for ack, undo and suppress --value (tfdrift completion ids, with
# the line's --store), and the fish script made from the same table, driven by fish itself
# when it is installed. Prints TAP.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

EX=$TOP_SRCDIR/doc/examples
DB=$T_TMP/drift.db
unset TFDRIFT_NOW
# A home without a configuration: the configured store is nowhere.
HOME=$T_TMP/home XDG_CONFIG_HOME=$T_TMP/home/.config XDG_DATA_HOME=$T_TMP/home/.local/share
export HOME XDG_CONFIG_HOME XDG_DATA_HOME
mkdir -p "$HOME"
cd "$T_TMP" || exit 99

t_exit "scan --store saves the example's findings" 2 "$TFDRIFT" scan -q -f json -o "$T_TMP/f.json" \
    --store "$DB" --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
ids=$(python3 -c 'import json,sys; print("\n".join(sorted(f["id"] for f in json.load(open(sys.argv[1]))["findings"] if f["status"] != "resolved")))' "$T_TMP/f.json")
t_like "the findings have ids" "$ids" '^[0-9a-f]{8,}$'

# ---- tfdrift completion ids ----
t_exit "completion ids findings" 0 "$TFDRIFT" completion ids findings --store "$DB"
t_is "... the open finding ids, as scan printed them" "$(printf '%s\n' "$T_OUT" | sort)" "$ids"
first=$(printf '%s\n' "$ids" | head -n 1)
t_exit "ack one" 0 "$TFDRIFT" ack --store "$DB" "$first"
t_exit "suppress another" 0 "$TFDRIFT" suppress --store "$DB" --scope rule --value no-such-rule
t_exit "completion ids decisions" 0 "$TFDRIFT" completion ids decisions --store "$DB"
t_is "... both decisions, newest first" "$T_OUT" "2
1"
t_exit "undo the ack" 0 "$TFDRIFT" undo --store "$DB" 1
t_run "$TFDRIFT" completion ids decisions --store "$DB"
t_is "... an undone decision (and the undo) are not offered" "$T_OUT" "2"
t_run "$TFDRIFT" completion ids findings --store "$T_TMP/none.db"
t_is "no such store: exit 1" "$T_RC" 1
t_is "... quietly" "$T_OUT$T_ERR" ""
t_ok "... and it is not created" test ! -e "$T_TMP/none.db"
t_run "$TFDRIFT" completion ids findings
t_is "no store configured: nothing, exit 1" "$T_RC:$T_OUT$T_ERR" "1:"
printf 'store: %s\n' "$DB" > "$T_TMP/conf.yaml"
t_run "$TFDRIFT" completion ids findings -c "$T_TMP/conf.yaml"
t_is "-c FILE: the store it configures" "$(printf '%s\n' "$T_OUT" | sort)" "$ids"
t_run "$TFDRIFT" completion ids frobs
t_like "a bad kind is a usage error" "$T_ERR" "^tfdrift: ids: expected findings or decisions"

# ---- bash: the ids through the script, the binary being the line's first word ----
"$TFDRIFT" completion bash > "$T_TMP/comp.bash"
if need_cmd bash; then
	complete_words() {
		bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tfdrift
		    printf "%s\n" "${COMPREPLY[@]}"' _ "$T_TMP/comp.bash" "$TFDRIFT" "$@"
	}
	t_is "tfdrift ack --store DB <TAB>: the open ids" "$(complete_words ack --store "$DB" '' | sort)" "$ids"
	p=$(printf '%.3s' "$first")
	t_is "tfdrift ack --store DB ${p}<TAB>" "$(complete_words ack --store "$DB" "$p")" \
	    "$(printf '%s\n' "$ids" | grep "^$p")"
	t_is "tfdrift ack <TAB> --store DB (the store after the cursor)" "$(bash -c '. "$1"; shift
	    COMP_WORDS=("$@"); COMP_CWORD=2; _tfdrift; printf "%s\n" "${COMPREPLY[@]}"' _ "$T_TMP/comp.bash" \
	    "$TFDRIFT" ack '' --store "$DB" | sort)" "$ids"
	t_is "tfdrift ack --store = DB <TAB> (--store=DB as bash splits it)" \
	    "$(complete_words ack --store = "$DB" '' | sort)" "$ids"
	t_is "tfdrift undo --store DB <TAB>: the decisions" "$(complete_words undo --store "$DB" '')" "2"
	t_is "tfdrift suppress --store DB --value <TAB>" \
	    "$(complete_words suppress --store "$DB" --value '' | sort)" "$ids"
	t_is "... with --scope finding" \
	    "$(complete_words suppress --scope finding --store "$DB" --value '' | sort)" "$ids"
	t_is "... but not with --scope rule" "$(complete_words suppress --scope rule --store "$DB" --value '')" ""
	t_is "tfdrift -c CONF ack <TAB>: the configured store" "$(complete_words -c "$T_TMP/conf.yaml" ack '' | sort)" "$ids"
	t_is "tfdrift ack <TAB> without a store: nothing, no noise" "$(complete_words ack '' 2>&1)" ""
	t_is "tfdrift ack --n<TAB> still completes options" "$(complete_words ack --store "$DB" --n)" "--note"
	# A store with a ':' in it (a path, a postgresql:// URI): bash splits the word at each ':'
	# (COMP_WORDBREAKS) in COMP_WORDS; the line (COMP_LINE, COMP_POINT) has it whole.
	# comp_line LINE POINT WORDS...: as bash calls the function (the cursor in the last word
	# when POINT is empty).
	comp_line() {
		bash -c '. "$1"; COMP_LINE=$2; COMP_POINT=${3:-${#2}}; shift 3; COMP_WORDS=("$@")
		    COMP_CWORD=$(($# - 1)); [ -n "$CWORD" ] && COMP_CWORD=$CWORD; _tfdrift
		    printf "%s\n" "${COMPREPLY[@]}"' _ "$T_TMP/comp.bash" "$@"
	}
	mkdir -p "$T_TMP/a:b" && cp "$DB" "$T_TMP/a:b/s.db"
	t_is "tfdrift ack --store DIR/a:b/s.db <TAB>: the ids of that store" \
	    "$(CWORD= comp_line "$TFDRIFT ack --store $T_TMP/a:b/s.db " '' "$TFDRIFT" ack --store \
	    "$T_TMP/a" : b/s.db '' | sort)" "$ids"
	printf '#!/bin/sh\n# what completion ids was given, one a line\nprintf "%%s\\n" "$@"\n' \
	    > "$T_TMP/args.sh"
	chmod +x "$T_TMP/args.sh"
	uri=postgresql://u@h:5432/db
	t_is "tfdrift ack --store $uri <TAB>: the URI reaches completion ids whole" \
	    "$(CWORD= comp_line "$T_TMP/args.sh ack --store $uri " '' "$T_TMP/args.sh" ack --store \
	    postgresql : //u@h : 5432/db '' | tr '\n' ' ')" "completion ids findings --store $uri "
	t_is "tfdrift ack <TAB> --store $uri (the URI after the cursor)" \
	    "$(CWORD=2 comp_line "$T_TMP/args.sh ack  --store $uri" $((${#T_TMP} + 13)) \
	    "$T_TMP/args.sh" ack '' --store postgresql : //u@h : 5432/db | tr '\n' ' ')" \
	    "completion ids findings --store $uri "
	t_is "tfdrift ack --store=$uri <TAB>" \
	    "$(CWORD= comp_line "$T_TMP/args.sh ack --store=$uri " '' "$T_TMP/args.sh" ack --store = \
	    postgresql : //u@h : 5432/db '' | tr '\n' ' ')" "completion ids findings --store $uri "
else
	t_skip "bash id completion" "bash is not installed"
fi

# ---- fish: the script made from the table, loaded the way fish finds it ----
t_exit "tfdrift completion fish" 0 "$TFDRIFT" completion fish
t_is "the built fish completion is the same" "$(cat "$TOP_BUILDDIR/completions/tfdrift.fish")" "$T_OUT"
if need_cmd fish; then
	mkdir -p "$T_TMP/bin" "$T_TMP/fishcomp"
	ln -s "$TFDRIFT" "$T_TMP/bin/tfdrift"
	cp "$TOP_BUILDDIR/completions/tfdrift.fish" "$T_TMP/fishcomp/"
	# fishc LINE: what fish offers for LINE (words only), the completion autoloaded by name.
	fishc() {
		PATH=$T_TMP/bin:$PATH fish --no-config -c \
		    'set fish_complete_path $argv[1] $fish_complete_path; complete -C $argv[2]' \
		    "$T_TMP/fishcomp" "$1" 2>&1 | cut -f 1
	}
	t_is "fish: tfdrift sc<TAB>" "$(fishc 'tfdrift sc')" scan
	t_like "fish: tfdrift <TAB> offers every command" "$(fishc 'tfdrift ' | tr '\n' ' ')" \
	    '^ack blame completion config demo export freeze help keys rules scan suppress ui undo version watch $'
	t_is "fish: tfdrift rules c<TAB>" "$(fishc 'tfdrift rules c' | tr '\n' ' ')" "check coverage "
	t_is "fish: tfdrift scan --fo<TAB>" "$(fishc 'tfdrift scan --fo')" --format
	# The values are the table's: the same as bash offers (help.sh pins those).
	bashw() {
		bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _tfdrift
		    printf "%s\n" "${COMPREPLY[@]}"' _ "$T_TMP/comp.bash" tfdrift "$@" | sort | tr '\n' ' '
	}
	t_like "fish: tfdrift scan --format <TAB>" "$(fishc 'tfdrift scan --format ' | sort | tr '\n' ' ')" \
	    "^$(bashw scan --format '')\$"
	t_like "... json among them" "$(fishc 'tfdrift scan --format ')" '^json$'
	t_is "fish: tfdrift export --status <TAB>" "$(fishc 'tfdrift export --status ' | sort | tr '\n' ' ')" \
	    "$(bashw export --status '')"
	t_is "fish: tfdrift -c x.yaml scan --ex<TAB>" "$(fishc 'tfdrift -c x.yaml scan --ex')" --explain
	t_is "fish: tfdrift ui --theme h<TAB>" "$(fishc 'tfdrift ui --theme h')" high-contrast
	touch "$T_TMP/state-file.tfstate"
	t_is "fish: tfdrift scan --state <TAB> completes files" "$(fishc "tfdrift scan --state $T_TMP/state-f")" "$T_TMP/state-file.tfstate"
	t_is "fish: tfdrift ack --store DB <TAB>: the open ids" "$(fishc "tfdrift ack --store $DB " | sort)" "$ids"
	t_is "fish: tfdrift undo --store DB <TAB>: the decisions" "$(fishc "tfdrift undo --store $DB ")" "2"
	t_is "fish: tfdrift suppress --store DB --value <TAB>" "$(fishc "tfdrift suppress --store $DB --value " | sort)" "$ids"
	t_is "fish: ... not with --scope rule" "$(fishc "tfdrift suppress --scope rule --store $DB --value ")" ""
	t_is "fish: tfdrift ack <TAB> without a store: nothing" "$(fishc 'tfdrift ack ')" ""
	# Every option of every command, as bash's are in help.sh.
	"$TFDRIFT" help --table > "$T_TMP/table"
	bad=$(awk -F '\t' '$1 == "option" && $4 != "help" { print $2 "\t" $4 }' "$T_TMP/table" |
	    while IFS='	' read -r c long; do
		fishc "tfdrift $c --$long" | grep -qx -- "--$long" || printf '%s --%s\n' "$c" "$long"
	    done)
	t_is "fish: every option of the table completes" "$bad" ""
else
	t_skip "fish completion" "fish is not installed (apt-get install fish)"
fi

# ---- zsh: bash's script through bashcompinit, the ids included ----
if need_cmd zsh; then
	"$TFDRIFT" completion zsh > "$T_TMP/_tfdrift"
	# As bashcompinit runs a bash function: in sh emulation (arrays from 0).
	t_run zsh -fc 'autoload -U compinit && compinit -u -d "$1/zcd" && . "$1/_tfdrift"
	    f() { emulate -L sh; setopt kshglob noshglob braceexpand
		COMP_WORDS=("$2" ack --store "$3" ""); COMP_CWORD=4; _tfdrift; printf "%s\n" "${COMPREPLY[@]}"; }
	    f "$@"' _ "$T_TMP" "$TFDRIFT" "$DB"
	t_is "zsh: tfdrift ack --store DB <TAB>: the open ids" "$(printf '%s\n' "$T_OUT" | sort)" "$ids"
else
	t_skip "zsh completion" "zsh is not installed"
fi

t_done
