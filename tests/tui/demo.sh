#!/bin/sh
# The demo dashboard through tmux: findings appear, selection shows the diff and the actor,
# help, resize, the ASCII fallback, bounded iterations, and a clean exit.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

TFDRIFT_NOW=2024-05-27T12:00:00Z
export TFDRIFT_NOW
SG=module.net.aws_security_group.web

tui_start demo 100 30 "$TFDRIFT" demo --store "$T_TMP/s.db" --pace 2s --passes 1
t_screen "demo shows a finding from the examples" demo "aws_kms_key\.data" 20
t_screen "the replay finishes and the status line counts" demo \
    'replay done: [0-9]+ events.*' 20
t_like "status line counts open findings by severity" "$TUI_SCREEN" 'open: crit [0-9]+ high [1-9]'
t_like "the list shows the actor" "$TUI_SCREEN" 'alice@corp'
t_like "the demo happens now: its changes at the (fake) clock's time" "$TUI_SCREEN" \
    '(CRIT|HIGH|MED|LOW) +12:00:0[0-2] (mod|unmgd|del) '

# The oldest finding (bottom in time order) is the security group one.
tui_keys demo G
t_screen "selecting shows the security group diff" demo 'ingress.*tcp 22-22 0\.0\.0\.0/0'
t_like "the detail names the actor" "$TUI_SCREEN" 'who: alice@corp\.example'
t_like "the detail names the state source" "$TUI_SCREEN" 'state: .*prod\.tfstate'
tui_keys demo Enter
t_screen "Enter focuses the detail pane" demo 'detail: j/k move, Enter opens, Tab back'
tui_keys demo j j j j j j j j j j j j j j j j
t_screen "the detail scrolls to the event id" demo 'event id: 357e672a-5297-4f2b-997c-a212ee47a29d'
t_like "the detail says how" "$TUI_SCREEN" 'via console from 203\.0\.113\.10'
t_like "a long principal wraps instead of being cut" "$TUI_SCREEN" \
    'principal: arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_5e8c1a2b3d4f'
t_like "and goes on, under its value, on the next line" "$TUI_SCREEN" '^ {14}6a7b/alice@corp\.example'
tui_keys demo G
t_screen "and to its end: the fix, the bare command on its own line" demo "^   terraform apply -target='?$SG'? *\$"
t_like "the context: what depends on it (blast radius from the state)" "$TUI_SCREEN" \
    'blast radius: 13 resources depend on it directly, 13 in all'
tui_keys demo k k k k k k k k k k k k k k k k
t_screen "the rule that made it critical" demo 'aws-sg-open-internet .*\(critical\)'
tui_keys demo Tab
t_screen "Tab goes back to the list" demo '── detail ──'

tui_keys demo k
t_screen "k moves the selection up" demo 'medium modified +module\.app\.aws_instance\.web\[1\]'
tui_keys demo '<'
t_screen "< sorts by the column to the left: severity" demo '^ ST SEV▼ +TIME +KIND'
tui_keys demo '>'
t_screen "> back to time, newest first" demo '^ ST SEV +TIME▼ +KIND'

tui_keys demo '?'
t_screen "? shows the help from the key table" demo 'acknowledge the selected finding'
tui_keys demo NPage
t_screen "help scrolls a page: the last keys" demo '^ +q +quit'
tui_keys demo G
t_screen "and to its end" demo 'tfdrift\(1\) has the rest'
tui_keys demo q
t_screen "q closes the help first" demo 'SEV +TIME. +KIND'

tmx resize-window -t "=tui:=demo" -x 60 -y 20
# 15, not 17: two of the demo's findings resolve (a revert) and resolved ones are hidden.
t_screen "resized to 60x20 it still draws" demo '^ tfdrift demo +1 Findings +2 +3 +4 +5 +[0-9]+/15 *$'
t_like "60x20: the list still shows findings" "$TUI_SCREEN" '(HIGH|MED|CRIT|LOW) +[0-9:]+ (mod|unmgd|del)'
t_like "60x20: the key bar keeps help and quit" "$TUI_SCREEN" '\? help  q quit$'
tmx resize-window -t "=tui:=demo" -x 100 -y 30
t_screen "and back to 100x30" demo "$SG.* alice@corp"
tui_keys demo q
t_tui_exit demo "q exits with status 0"

# ASCII fallback outside a UTF-8 locale.
TUI_LOCALE=C
tui_start ascii 100 30 "$TFDRIFT" demo --store "$T_TMP/s.db" --pace 1s --passes 1
TUI_LOCALE=
t_screen "C locale: ASCII arrows" ascii '~ is_enabled: true -> false' 20
t_unlike "C locale: no box characters" "$TUI_SCREEN" '─'
tui_keys ascii q
t_tui_exit ascii "C locale run exits 0"

# Colours come from the theme's severity slots; NO_COLOR gives the monochrome theme.
tui_start colour 100 30 "$TFDRIFT" demo --store "$T_TMP/s.db" --pace 1s --passes 1
TUI_NO_COLOR=1
tui_start mono 100 30 "$TFDRIFT" demo --store "$T_TMP/s.db" --pace 1s --passes 1
TUI_NO_COLOR=
tui_wait colour 'replay done' 20
tui_wait mono 'replay done' 20
ESC=$(printf '\033')
t_like "colour theme: high findings in red" "$(tmx capture-pane -e -p -t '=tui:=colour')" \
    "${ESC}\\[31mHIGH"
t_unlike "NO_COLOR: no colours at all" "$(tmx capture-pane -e -p -t '=tui:=mono')" \
    "${ESC}\\[(3[0-7]|4[0-7]|38;|48;)"
t_like "NO_COLOR: severity still stands out (bold)" "$(tmx capture-pane -e -p -t '=tui:=mono')" \
    "${ESC}\\[1mHIGH"
tui_keys colour q
tui_keys mono q
t_tui_exit colour "colour run exits 0"
t_tui_exit mono "monochrome run exits 0"

# The bounded-iterations flag ends the real UI by itself.
tui_start bounded 80 24 "$TFDRIFT" demo --store "$T_TMP/s.db" --pace 1s --max-iterations 3
t_tui_exit bounded "--max-iterations ends the demo"
TFDRIFT_UI_ITERATIONS=3
export TFDRIFT_UI_ITERATIONS
tui_start bounded2 80 24 "$TFDRIFT" demo --store "$T_TMP/s.db" --pace 1s
unset TFDRIFT_UI_ITERATIONS
t_tui_exit bounded2 "TFDRIFT_UI_ITERATIONS ends the demo"

# `tfdrift --state ... --events ...` is the dashboard on recorded files.
EX="$TOP_SRCDIR/doc/examples"
tui_start files 100 30 "$TFDRIFT" --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" --store "$T_TMP/f.db"
t_screen "tfdrift --state/--events opens the dashboard" files 'replay done: [0-9]+ events' 20
tui_keys files g
t_screen "with the findings of the files (g: the newest)" files '^ critical modified +aws_kms_key\.data'
tui_keys files q
t_tui_exit files "the file dashboard exits 0"

t_exit "without a terminal it says so" 1 "$TFDRIFT" demo --store "$T_TMP/s.db"
t_like "the message names the problem" "$T_ERR" 'needs a terminal'
t_exit "ui without inputs is a usage error" 1 "$TFDRIFT" ui
t_like "naming what it needs, a store too" "$T_ERR" 'need at least one --state .* or --store STORE'
t_done
