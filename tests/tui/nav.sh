#!/bin/sh
# Moving around the dashboard through tmux, checked as a person sees it (whole lines, the key
# bar, the selected row, the top line's filter and position): drilling down from Events,
# Actors and the Findings detail (resource, blast radius, event id) and Backspace all the
# way back; the same filter grammar in every view (fields, words, since:/until:, errors,
# Esc, n/N); the `:` commands (filter, sort, columns, saved views, triage, freezes, export,
# theme, messages, help, history, Tab, near misses); live lists that keep the selection
# while findings arrive (▲ N new, g, Z); Shift-Tab and v; clicks and the wheel.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
export TFDRIFT_NOW USER
# The demo's files are copied so their paths hold no "gcp" but the GCP files' own (the Sources
# filter below matches paths, and a checkout may live under a directory named gcp-something).
mkdir -p "$T_TMP/data/doc/examples"
cp "$TOP_SRCDIR"/doc/examples/* "$T_TMP/data/doc/examples/"
ln -s "$TOP_SRCDIR/rules" "$T_TMP/data/rules"
ln -s "$TOP_SRCDIR/themes" "$T_TMP/data/themes"
TFDRIFT_DATADIR="$T_TMP/data"
export TFDRIFT_DATADIR
EX="$T_TMP/data/doc/examples"
ESC=$(printf '\033')
KEYBAR='  \? help  q quit$'
MORE='( +[▲▼])? *$'          # a pane's line may end in its more-above/below mark
mkdir -p "$T_TMP/out"

# The lines drawn in the selection's colours (the default theme: black on white), as text:
# the list's selected row, and the detail's cursor line when it has the focus.
tui_sel() {
	tmx capture-pane -e -p -t "=tui:=$1" 2> /dev/null |
	    grep -E "^(${ESC}\\[[0-9;]*m)*${ESC}\\[30m${ESC}\\[47m" | sed "s/${ESC}\\[[0-9;]*m//g"
}

# t_sel NAME WINDOW REGEX: a selected line matches (waits up to 10 s for the key to act).
t_sel() {
	_i=0
	while [ "$_i" -lt 100 ]; do
		TUI_SEL=$(tui_sel "$2")
		if printf '%s\n' "$TUI_SEL" | grep -Eq -- "$3"; then
			ok 0 "$1"
			return 0
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	ok 1 "$1"
	t_diag "no selected line matches /$3/; selected:"
	printf '%s\n' "$TUI_SEL" | t_indent
	t_diag "screen:"
	tui_capture "$2" | t_indent
	return 1
}

# sel_move WINDOW KEY REGEX: press KEY (at most 40 times) until a selected line matches, as
# a person moves the cursor until they see the line they want.
sel_move() {
	_i=0
	while [ "$_i" -lt 40 ]; do
		tui_sel "$1" | grep -Eq -- "$3" && return 0
		tui_keys "$1" "$2"
		sleep 0.15
		_i=$((_i + 1))
	done
	return 1
}

# The rows of a list on TUI_SCREEN: the lines between the header that starts with $1 and
# the next rule or the status line.
rows() {
	printf '%s\n' "$TUI_SCREEN" | sed -En "/^ $1/,/^(── | open: )/p" | sed -E '1d;/^(── | open: )/d;/^ *$/d'
}

# The line under the detail rule (the detail's first line).
detail_head() {
	printf '%s\n' "$TUI_SCREEN" | sed -n '/^── detail/{n;p;q}'
}

# An xterm mouse report as the terminal sends it: ESC [ M, button+32, x+33, y+33.
mouse() {
	tmx send-keys -t "=tui:=$1" -l "$(printf '\033[M%s%s%s' \
	    "$(printf "\\$(printf '%03o' $(($2 + 32)))")" \
	    "$(printf "\\$(printf '%03o' $(($3 + 33)))")" \
	    "$(printf "\\$(printf '%03o' $(($4 + 33)))")")"
}
click() {       # WINDOW X Y: press and release of the left button
	mouse "$1" 0 "$2" "$3"
	mouse "$1" 3 "$2" "$3"
}
wheel() {       # WINDOW up|down X Y
	mouse "$1" "$([ "$2" = up ] && echo 64 || echo 65)" "$3" "$4"
}

# filter WINDOW QUERY: type a `/` query from an empty line and apply it.
filter() {
	tui_keys "$1" / C-u
	tui_keys "$1" -l -- "$2"
	tui_keys "$1" Enter
}
# cmd WINDOW LINE: a `:` command.
cmd() {
	tui_keys "$1" :
	tui_keys "$1" -l -- "$2"
	tui_keys "$1" Enter
}

# ---- 1. Drilling down and back ----

tui_start nav 132 40 "$TFDRIFT" demo --store "$T_TMP/nav.db" --pace 1s --passes 1
t_screen "the demo finishes its pass" nav 'replay done: 49 events'

# Events: Enter on a drift event shows its finding; Backspace comes back to it.
tui_keys nav 2
filter nav 'outcome:drift'
t_screen "Events filtered to the drift events" nav '^ tfdrift demo .* 5 Resources  /outcome:drift +1/17 *$'
tui_keys nav j j j j
t_screen "j moves to the fifth: the top line says where" nav '/outcome:drift +5/17 *$'
t_like "its detail: the event and its outcome" "$TUI_SCREEN" '^ CreateUser  drift: 1 finding$'
t_sel "its row is the selected one" nav '^ 12:00:00 CreateUser +etl-runner +sdk +111122223333 +drift: 1 finding'
EVID=$(printf '%s\n' "$TUI_SCREEN" | sed -n 's/^   event id: \([0-9a-f-]\{36\}\)$/\1/p')
t_like "the detail names its event id" "$EVID" '^[0-9a-f-]{36}$'
tui_keys nav Enter
t_screen "Enter shows the event's findings: Findings /eventid:ID" nav \
    "^ tfdrift demo .* 5 Resources  /eventid:$EVID +1/1 *\$"
t_like "its finding is listed" "$TUI_SCREEN" \
    '^ +MED +12:00:00 unmgd +aws_iam_user reporting-bot +CreateUser reporting-bot'
t_is "and nothing else" "$(rows 'ST SEV' | wc -l)" 1
t_like "the detail shows it" "$(detail_head)" '^ medium unmanaged  \(not managed by Terraform\)$'
t_like "the key bar is the Findings list's, whole" "$TUI_SCREEN" "^Enter open  / filter  a ack  s suppress .*$KEYBAR"
tui_keys nav BSpace
t_screen "Backspace goes back to Events with the same filter and position" nav \
    '^ tfdrift demo .* 5 Resources  /outcome:drift +5/17 *$'
t_sel "the same event selected" nav '^ 12:00:00 CreateUser +etl-runner'
t_like "and shown" "$TUI_SCREEN" "^   event id: $EVID\$"
t_like "the key bar is the Events view's" "$TUI_SCREEN" "^Enter open  / filter  y copy .*Bksp back$KEYBAR"
tui_keys nav 1
# 15 findings shown, not 17: two of the demo's findings resolve (alice's StartInstances puts
# back her stop of web[1]; the deployer puts app[1]'s machine type back), and a resolved
# finding is hidden until R shows it.
t_screen "the Findings view the drill-down filtered is as it was (no filter)" nav \
    '^ tfdrift demo .* 5 Resources +1/15 *$'

# Actors: Enter shows the actor's findings; Backspace comes back to the same actor.
tui_keys nav 3
t_screen "3: the Actors view" nav '^ ACTOR +TYPE +VIA +EVENTS +FINDINGS +OPEN▼ +LAST *$'
tui_keys nav j j
t_sel "j j selects bob" nav '^ bob +IAMUser +cli +5 +3 +3 12:00:00'
t_screen "the third of 11 actors" nav ' 3/11 *$'
tui_keys nav Enter
t_screen "Enter shows bob's findings: Findings /actor:bob" nav '^ tfdrift demo .* 5 Resources  /actor:bob +1/3 *$'
LIST=$(rows 'ST SEV')
t_is "three of them" "$(printf '%s\n' "$LIST" | wc -l)" 3
t_unlike "none of anyone else" "$LIST" '[^b]$|alice|etl-runner|carol|dave|deployer'
tui_keys nav BSpace
t_screen "Backspace: Actors again, at the same place" nav '^ tfdrift demo .* 5 Resources +3/11 *$'
t_sel "bob still selected" nav '^ bob +IAMUser'

# The Findings detail: Enter on its resource line opens the Resource view: the finding and
# the other events that touched it (a change equal to state, the pipeline's apply).
tui_keys nav 1
filter nav 'aws_lambda_function'
t_screen "the lambda finding" nav '/aws_lambda_function +1/1 *$'
tui_keys nav Enter
t_screen "Enter focuses the detail: the cursor on its first line" nav '^── detail: j/k move, Enter opens, Tab back ─'
t_like "the key bar is the detail's" "$TUI_SCREEN" "^j/k move  Enter open  Tab detail .*$KEYBAR"
tui_keys nav j j
t_sel "j j: the resource line" nav '^   resource: aws_lambda_function prod-api$'
tui_keys nav Enter
t_screen "Enter on it opens the Resource view" nav \
    '^ tfdrift demo .* 5 Resources  Resource  aws_lambda_function\.api +1/3 *$'
t_like "what it is, from the state" "$TUI_SCREEN" '^   aws_lambda_function prod-api  state .*prod\.tfstate$'
t_like "its finding and the other events" "$TUI_SCREEN" '^   1 finding \(1 open\); 2 other events that made no finding$'
t_like "the finding, with its status" "$TUI_SCREEN" \
    '^ 12:00:00 UpdateFunctionConfiguration20[^ ]* bob +cli +open, medium modified +memory_size 256 → 1024$'
t_like "a change equal to state, what it set" "$TUI_SCREEN" \
    '^ 12:00:00 UpdateFunctionConfiguration20[^ ]* bob +cli +equal to state +timeout = 30 *$'
t_like "the Terraform pipeline's apply, what it set" "$TUI_SCREEN" \
    '^ 12:00:00 UpdateFunctionConfiguration20[^ ]* gha-run-1234 terraform terraform pipeline +timeout = 30; description = Public API \(prod\) *$'
t_like "the key bar is the Resource view's" "$TUI_SCREEN" "^Enter open  Bksp back  / filter .*$KEYBAR"
tui_keys nav BSpace
t_screen "Backspace: the finding again, its filter kept" nav '/aws_lambda_function +1/1 *$'
t_sel "the detail's cursor where it was" nav '^   resource: aws_lambda_function prod-api$'
tui_keys nav Tab Escape
t_screen "Tab leaves the detail, Esc clears the filter" nav '^ tfdrift demo .* 5 Resources +1/15 *$'  # 2 resolved, hidden

# A blast-radius dependent opens that resource; its finding opens in Findings; the finding's
# event id opens Events with that event selected.
tui_keys nav G
t_sel "G: the security group finding" nav 'CRIT 12:00:00 mod +module\.net\.aws_security_group\.web '
tui_keys nav Enter
sel_move nav j "^     aws_db_instance\\.main$MORE"
t_sel "j down to a dependent in its blast radius" nav "^     aws_db_instance\\.main$MORE"
tui_keys nav Enter
t_screen "Enter opens the dependent's Resource view" nav \
    '^ tfdrift demo .* 5 Resources  Resource  aws_db_instance\.main +1/1 *$'
t_like "with its finding" "$TUI_SCREEN" '^ 12:00:00 ModifyDBInstance bob +cli +open, critical modified +publicly_accessible'
tui_keys nav Enter
t_screen "Enter on the finding opens it in Findings" nav '^ critical modified  aws_db_instance\.main$'
t_sel "selected there" nav 'CRIT 12:00:00 mod +aws_db_instance\.main '
t_like "no row counted as new" "$(printf '%s\n' "$TUI_SCREEN" | head -1)" '[0-9]/15 *$'  # 2 resolved, hidden
tui_keys nav Enter
sel_move nav j '^   event id: '
t_sel "the cursor on its event id" nav "^   event id: [0-9a-f-]{36}$MORE"
DBEV=$(printf '%s\n' "$TUI_SEL" | sed -n 's/^   event id: \([0-9a-f-]*\).*/\1/p')
tui_keys nav Enter
t_screen "Enter on the event id opens the Events view" nav "^   event id: $DBEV\$"
t_like "on that event" "$TUI_SCREEN" '^ ModifyDBInstance  drift: 1 finding$'
t_like "unfiltered, no row counted as new" "$(printf '%s\n' "$TUI_SCREEN" | head -1)" '5 Resources +[0-9]+/49 *$'
t_sel "its row selected" nav '^ 12:00:00 ModifyDBInstance +bob '
tui_keys nav BSpace
t_screen "Backspace: the finding, the detail focused" nav '^── detail: j/k move'
t_sel "its cursor on the event id again" nav "^   event id: $DBEV$MORE"
tui_keys nav BSpace
t_screen "Backspace: the dependent's Resource view" nav 'Resource  aws_db_instance\.main +1/1 *$'
tui_keys nav BSpace
# 15/15: the two resolved findings are hidden.
t_screen "Backspace: the security group finding, at the bottom of the list" nav '^ tfdrift demo .* 5 Resources +15/15 *$'
t_sel "selected" nav 'CRIT 12:00:00 mod +module\.net\.aws_security_group\.web '
t_sel "the detail's cursor on the dependent it left from" nav "^     aws_db_instance\\.main$MORE"
tui_keys nav BSpace
t_screen "Backspace with nothing left says so" nav '^nothing to go back to \(Enter on a row drills down\)$'
tui_keys nav Tab

# ---- 2. One filter grammar in every view ----

tui_keys nav 2
filter nav 'actor:bob'
t_screen "Events actor:bob" nav '^5 events match \(Esc clears the filter\)$'
t_like "shown on the top line" "$TUI_SCREEN" '5 Resources  /actor:bob +[1-5]/5 *$'
t_is "each of them bob's" "$(rows 'TIME' | grep -c '^ 12:00:00 [^ ]* *bob ')" 5
filter nav 'via:terraform'
t_screen "via:terraform: the pipelines' writes" nav '^12 events match'
t_unlike "nothing but terraform" "$(rows 'TIME')" ' (console|cli|sdk|service) '
filter nav 'outcome:failed'
t_screen "outcome:failed" nav '^3 events match'
t_is "each failed" "$(rows 'TIME' | grep -c ' failed: ')" 3
filter nav '-via:service'
t_screen "-via:service negates" nav '^40 events match'
t_unlike "no cloud service left" "$(rows 'TIME')" ' service '
filter nav 'etl-runner create'
t_screen "words match any field, all of them" nav '^3 events match'
t_like "highlighted words' rows" "$(rows 'TIME')" '^ 12:00:00 CreateAccessKey +etl-runner'
t_unlike "not the runner's other writes" "$(rows 'TIME')" 'PutBucket|AttachUserPolicy'
filter nav 'via:cli colour:red'
t_screen "a bad field says its column and the view's fields" nav \
    "^filter: column 9: unknown field 'colour' \\(fields: actor event via outcome account region source resource id provider since until\\)\$"
t_like "and the prompt keeps the query to fix" "$TUI_SCREEN" '^Filter Events .*/via:cli colour:red'
tui_keys nav Escape
t_screen "Esc leaves the prompt, the filter unchanged" nav '^filter unchanged$'
t_like "still on the top line" "$TUI_SCREEN" '/etl-runner create +[1-3]/3 *$'
tui_keys nav Escape
t_screen "Esc clears the filter" nav '^filter cleared$'
t_like "the top line without it" "$TUI_SCREEN" '5 Resources +[0-9]+/49 *$'
filter nav 'bob'
tui_keys nav Escape g n
t_sel "n: the next event with the words, the filter cleared" nav '^ 12:00:00 DeleteBucketPublicAccessBlock +bob '
tui_keys nav n
t_sel "n again: bob's next" nav '^ 12:00:00 AttachRolePolicy +bob '
tui_keys nav N
t_sel "N: back to the one before" nav '^ 12:00:00 DeleteBucketPublicAccessBlock +bob '

tui_keys nav 3
filter nav 'corp.example'
t_screen "Actors: words" nav '5 Resources  /corp\.example +[1-3]/3 *$'
t_is "three actors with them" "$(rows 'ACTOR' | grep -c '@corp\.example ')" 3
filter nav 'colour:x'
t_screen "a bad field names the Actors' fields" nav \
    "^filter: column 1: unknown field 'colour' \\(fields: actor type via since until\\)\$"
tui_keys nav Escape Escape
t_screen "Esc, Esc: no filter" nav '5 Resources +[0-9]+/11 *$'

tui_keys nav 4
filter nav 'gcp'
t_screen "Sources: words keep the entries with them" nav '5 Resources  /gcp *$'
t_like "the GCP log" "$TUI_SCREEN" '^   done +.*/gcp-audit\.json$'
t_like "the GCP state" "$TUI_SCREEN" '^   local .*/gcp\.tfstate$'
t_unlike "not the others" "$TUI_SCREEN" 'cloudtrail\.json$|prod\.tfstate$'
t_like "the sections stay" "$TUI_SCREEN" '^ Store$'
filter nav 'via:cli'
t_screen "a field Sources does not have" nav "^filter: column 1: unknown field 'via' \\(fields: since until\\)\$"
tui_keys nav Escape Escape
t_screen "Esc clears it" nav '^filter cleared$'
t_like "every entry back" "$TUI_SCREEN" '^   done +.*/cloudtrail\.json$'

# since:/until: on recorded times (a file replay keeps them).
tui_start file 120 40 "$TFDRIFT" --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" --store "$T_TMP/file.db"
t_screen "a file replay of the examples" file 'replay done: [0-9]+ events'
filter file 'since:09:00 until:09:30'
# 1/5, not 1/6: alice's stop of web[1] at 09:16:40 is resolved (her StartInstances put it
# back), so it is hidden; the other five are open.
t_screen "Findings since:09:00 until:09:30 (17:30 style, UTC)" file \
    '/since:09:00 until:09:30 \[09:00:00-09:30:00\] +1/5 *$'
t_unlike "none outside" "$(rows 'ST SEV')" ' (0[78]|09:[3-5]|1[0-9]):[0-9]{2}:[0-9]{2} '
tui_keys file R
t_screen "R shows the resolved one in the window too: six" file \
    '/since:09:00 until:09:30 \[09:00:00-09:30:00\] +1/6 *$'
t_like "with its reason" "$TUI_SCREEN" \
    '^ R +MED +09:16:40 mod +module\.app\.aws_instance\.web\[1\] +resolved: reverted_by_hand'
tui_keys file R
t_screen "R again hides it" file '/since:09:00 until:09:30 \[09:00:00-09:30:00\] +1/5 *$'
filter file 'since:2024-05-27T10:00:00Z'
t_screen "since: an RFC 3339 time" file '\[since 10:00:00\] +1/[0-9]+ *$'
t_unlike "nothing before 10:00" "$(rows 'ST SEV')" ' 0[0-9]:[0-9]{2}:[0-9]{2} '
filter file 'since:90m'
t_screen "since:90m: the last 90 minutes, shown as the time it means" file '/since:90m \[since 10:30:00\] +1/2 *$'
t_like "bob's change at 10:31" "$TUI_SCREEN" '10:31:40 del .*bob$'
filter file 'since:yesterday'
t_screen "a bad time says so" file "^filter: column 1: 'yesterday' is not a time"
tui_keys file Escape Escape
t_screen "Esc clears it" file '5 Resources +1/15 *$'  # 2 resolved, hidden
tui_keys file 2
filter file 'until:08:00'
t_screen "Events until:08:00" file '/until:08:00 \[until 08:00:00\] +1/16 *$'
t_unlike "nothing after 08:00" "$(rows 'TIME')" '^ (0[89]|1[0-9]):'
filter file 'since:90m'
t_screen "Events since:90m" file '/since:90m \[since 10:30:00\] +1/5 *$'
t_unlike "nothing before 10:30" "$(rows 'TIME')" '^ (0[0-9]|10:[0-2])'
tui_keys file 3
filter file 'since:10:30'
t_screen "Actors: the window too" file '/since:10:30 \[since 10:30:00\] +1/[0-9]+ *$'
t_like "alice, counted inside it" "$TUI_SCREEN" '^ alice@corp\.example +AssumedRole +console +1 +1 +1 10:48:03'
tui_keys file q
t_tui_exit file "the file replay exits 0"

# ---- 3. Commands ----

# press_until WINDOW KEY REGEX: press KEY (at most 10 times) until a line matches.
press_until() {
	_j=0
	while [ "$_j" -lt 10 ]; do
		tui_wait "$1" "$3" 1 && return 0
		tui_keys "$1" "$2"
		_j=$((_j + 1))
	done
	return 1
}

DB="$T_TMP/cmd.db"
tui_start cmd 132 40 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
t_screen "a demo for the commands" cmd 'replay done: 49 events'
tui_keys cmd :
t_screen ": opens the command line" cmd '^: *$'
tui_keys cmd -l 'filter sev>=high'
tui_keys cmd Enter
t_screen ":filter EXPR filters the view" cmd '^10 findings match \(Esc clears the filter\)$'
t_like "shown on the top line as / shows it" "$TUI_SCREEN" '5 Resources  /sev>=high +1/10 *$'
cmd cmd 'sort actor asc'
t_screen ":sort COLUMN asc: ▲ on its header" cmd '^ ST SEV +TIME +KIND +RESOURCE +CHANGE +ACTOR▲ *$'
t_like "the rows in that order" "$(rows 'ST SEV' | head -1)" ' alice@corp\.example$'
t_like "and the other end" "$(rows 'ST SEV' | tail -1)" ' etl-runner$'
cmd cmd 'sort sev desc'
t_screen ":sort sev desc: ▼" cmd '^ ST SEV▼ +TIME +KIND'
cmd cmd 'sort colour'
t_screen "a column that is not there: which are" cmd \
    "^no column 'colour' in findings \\(columns: st sev time kind resource change actor account region event via\\)\$"
cmd cmd 'sort time'
t_screen "back to time, newest first" cmd '^ ST SEV +TIME▼ +KIND'
cmd cmd 'columns -change'
t_screen ":columns -change hides the column" cmd '^ ST SEV +TIME▼ +KIND +RESOURCE +ACTOR *$'
t_like "kept in the store, it says" "$TUI_SCREEN" '^columns: st,sev,time,kind,resource,actor \(kept in the store\)$'
cmd cmd 'sort change asc'
t_screen "sorting by a hidden column: the top line says by what" cmd \
    '5 Resources  /sev>=high \[by change▲\] +[0-9]+/10 *$'
t_like "no column header carries a mark" "$TUI_SCREEN" '^ ST SEV +TIME +KIND +RESOURCE +ACTOR *$'
cmd cmd 'columns +change'
t_screen "shown again: the mark is back on its header" cmd '^ ST SEV +TIME +KIND +RESOURCE +ACTOR +CHANGE▲ *$'
t_unlike "and gone from the top line" "$TUI_SCREEN" '\[by change'
cmd cmd 'columns -change'
cmd cmd 'sort time'
cmd cmd 'columns -colour'
t_screen "a bad name errors" cmd "^no column 'colour' in findings \\(columns: st sev "
tui_keys cmd 2
cmd cmd 'columns +region'
t_screen "Events: :columns +region shows a hidden one" cmd '^ TIME▼ +EVENT +ACTOR +VIA +ACCOUNT +OUTCOME +REGION *$'
cmd cmd 'columns default'
t_screen ":columns default: the default columns" cmd '^ TIME▼ +EVENT +ACTOR +VIA +ACCOUNT +OUTCOME *$'

# A saved view: view, filter, sort and columns, back with :view NAME.
filter cmd 'via:cli'
cmd cmd 'sort event asc'
cmd cmd 'columns -account'
t_screen "Events set up: via:cli, by event, no account" cmd '^ TIME +EVENT▲ +ACTOR +VIA +OUTCOME *$'
cmd cmd 'save-view clicalls'
t_screen ":save-view NAME" cmd '^saved view clicalls \(:view clicalls brings it back\)$'
tui_keys cmd Escape
cmd cmd 'sort time'
cmd cmd 'columns default'
t_screen "then changed back" cmd '^ TIME▼ +EVENT +ACTOR +VIA +ACCOUNT +OUTCOME *$'
t_like "no filter" "$TUI_SCREEN" '5 Resources +[0-9]+/49 *$'
tui_keys cmd 1
cmd cmd 'view clicalls'
t_screen ":view NAME from another view" cmd '^view clicalls: Events /via:cli$'
t_like "the saved filter" "$TUI_SCREEN" '5 Resources  /via:cli +[0-9]+/[0-9]+ *$'
t_like "sort and columns" "$TUI_SCREEN" '^ TIME +EVENT▲ +ACTOR +VIA +OUTCOME *$'
cmd cmd 'view actors'
t_screen ":view actors" cmd '^ ACTOR +TYPE +VIA'
cmd cmd 'view events'
t_screen ":view events" cmd '^ TIME +EVENT▲ +ACTOR'
cmd cmd 'view nowhere'
t_screen "a view that is not there" cmd '^no view called nowhere \(views: findings events actors sources resources, or one :save-view made\)$'

# Tab completes; Up and Down recall.
tui_keys cmd 1 :
tui_keys cmd -l 'so'
tui_keys cmd Tab
t_screen "Tab completes a command's name" cmd '^:sort *$'
tui_keys cmd -l 'a'
tui_keys cmd Tab
t_screen "and a column's, as far as it is the same" cmd '^:sort ac *$'
t_like "the alternatives above the line" "$TUI_SCREEN" '^actor account *$'
tui_keys cmd -l 't'
tui_keys cmd Tab
t_screen "one left: the whole name" cmd '^:sort actor *$'
tui_keys cmd -l 'd'
tui_keys cmd Tab Enter
t_screen "and asc or desc: :sort actor desc" cmd '^ ST SEV +TIME +KIND +RESOURCE +ACTOR▼ *$'
tui_keys cmd :
tui_keys cmd -l 'view e'
tui_keys cmd Tab
t_screen "Tab completes a view's name" cmd '^:view events *$'
tui_keys cmd C-u
tui_keys cmd -l 'view '
tui_keys cmd Tab
t_screen "and lists them, saved views too" cmd '^findings events actors sources resources clicalls *$'
tui_keys cmd C-u
tui_keys cmd -l 'columns -ch'
tui_keys cmd Tab
t_screen "the column after :columns -" cmd '^:columns -change *$'
tui_keys cmd Escape
t_screen "Esc leaves the command line" cmd '^no command$'
tui_keys cmd : Up
t_screen "Up recalls the last command" cmd '^:sort actor desc *$'
tui_keys cmd Up
t_screen "Up again, the one before" cmd '^:view nowhere *$'
tui_keys cmd Down
t_screen "Down, the next" cmd '^:sort actor desc *$'
tui_keys cmd C-u
tui_keys cmd -l 'sort time'
tui_keys cmd Enter
t_screen "recalled and edited, it runs" cmd '^ ST SEV +TIME▼ +KIND'
cmd cmd 'sotr sev'
t_screen "an unknown command says so and the near one" cmd \
    "^unknown command 'sotr'; did you mean 'sort'\\? \\(:help lists the commands\\)\$"
tui_keys cmd '@'
t_screen "an unknown key says so and points at ?" cmd '^@: no such key \(\? lists the keys\)$'

# Decisions on the selected finding.
tui_keys cmd g
t_sel "the newest high finding" cmd '^ +CRIT 12:00:00 mod +aws_kms_key\.data '
cmd cmd 'ack looked at it, OPS-7'
t_screen ":ack NOTE acknowledges it" cmd '^acknowledged aws_kms_key\.data \(decision 1; u undoes\)$'
t_sel "marked A in the list" cmd '^ A +CRIT 12:00:00 mod +aws_kms_key\.data '
tui_keys cmd j
t_sel "the next" cmd 'aws_s3_bucket_public_access_block\.logs '
cmd cmd 'suppress resource 1d planned window'
t_screen ":suppress resource 1d NOTE" cmd \
    '^suppressed resource aws_s3_bucket_public_access_block\.logs until 2024-05-28T12:00:00Z \(decision 2; u undoes\)$'
t_unlike "gone from the list" "$(rows 'ST SEV')" 'aws_s3_bucket_public_access_block\.logs'
t_like "counted" "$TUI_SCREEN" '\| ack 1 \| supp 1 \|'
cmd cmd "export $T_TMP/out/shown.json"
t_screen ":export PATH writes the findings shown" cmd "^exported 9 findings to $T_TMP/out/shown\\.json\$"
t_is "nine in the file" "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' \
    "$T_TMP/out/shown.json" 2>&1)" 9

cmd cmd 'messages'
t_screen ":messages: the session's messages" cmd '^ Messages of this session \([0-9]+; q closes\)$'
t_like "each with its time" "$TUI_SCREEN" '^   2024-05-27T12:00:00Z  acknowledged aws_kms_key\.data \(decision 1; u undoes\)$'
t_like "errors marked" "$TUI_SCREEN" "^   2024-05-27T12:00:00Z  error: unknown command 'sotr'"
t_like "its key bar" "$TUI_SCREEN" "^j/k move  \\| pager$KEYBAR"
tui_keys cmd q
cmd cmd 'help'
t_screen ":help: keys first" cmd '^ Keys \(in the Findings view; j/k scroll, q closes\)$'
press_until cmd NPage '^   :sort COLUMN \[asc\|desc\] +sort this list by a column$'
t_screen "then the commands, from the command table" cmd '^   :sort COLUMN \[asc\|desc\] +sort this list by a column$'
t_like "each with its help" "$TUI_SCREEN" '^   :save-view NAME +save this view'
tui_keys cmd q
t_screen "q closes it" cmd '^ ST SEV +TIME▼ +KIND'
t_like "the selection black on white" "$(tui_sel cmd)" '^ .*(CRIT|HIGH) 12:00:00 '
cmd cmd 'theme light'
t_screen ":theme light" cmd '^theme light$'
t_like "the selection in the light theme's colours" "$(tmx capture-pane -e -p -t '=tui:=cmd')" \
    "^(${ESC}\\[[0-9;]*m)*${ESC}\\[30m${ESC}\\[(48;5;153|46)m .*12:00:00 "
t_is "and no longer black on white" "$(tui_sel cmd)" ""
cmd cmd 'q'
t_tui_exit cmd ":q quits"

t_run "$TFDRIFT" export --store "$DB" --status all --format jsonl
t_like "export: acknowledged, by whom, with the note" "$T_OUT" \
    '"status":"acknowledged".*"address":"aws_kms_key\.data".*"triage":\{"by":"tester","at":"2024-05-27T12:00:00Z","note":"looked at it, OPS-7","until":null\}'
t_like "suppressed for a day, with the note" "$T_OUT" \
    '"status":"suppressed".*"address":"aws_s3_bucket_public_access_block\.logs".*"note":"planned window","until":"2024-05-28T12:00:00Z"'

# The same store again: the columns and the saved view are still there.
tui_start cmd2 132 40 "$TFDRIFT" demo --store "$DB" --pace 1s --passes 1
t_screen "restarted on the same store" cmd2 'replay done: 49 events'
t_like "the Findings columns kept" "$TUI_SCREEN" '^ ST SEV +TIME▼ +KIND +RESOURCE +ACTOR *$'
t_like "the decision too" "$TUI_SCREEN" '^ A +CRIT 12:00:00 mod +aws_kms_key\.data '
cmd cmd2 'view clicalls'
t_screen "the saved view too" cmd2 '^view clicalls: Events /via:cli$'
t_like "with its sort and columns" "$TUI_SCREEN" '^ TIME +EVENT▲ +ACTOR +VIA +OUTCOME *$'
tui_keys cmd2 q
t_tui_exit cmd2 "the second session exits 0"

# Freezes, on the real clock (a freeze that starts and ends in the same fake instant is a
# cancelled one): :freeze starts one, again changes its end, :unfreeze ends it.
saved_now=$TFDRIFT_NOW
unset TFDRIFT_NOW
tui_start frz 132 40 "$TFDRIFT" --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" \
    --store "$T_TMP/frz.db"
TFDRIFT_NOW=$saved_now
export TFDRIFT_NOW
t_screen "a replay on the real clock" frz 'replay done: [0-9]+ events'
cmd frz 'freeze release 2h'
t_screen ":freeze NAME 2h: the banner" frz '^ FREEZE release: (2h00m|1h59m) left +open: '
t_like "and what it means" "$TUI_SCREEN" \
    '^freeze release until [0-9T:.-]+Z: every write by a person is a finding \(:unfreeze release ends it\)$'
t_run env -u TFDRIFT_NOW "$TFDRIFT" freeze list --all --store "$T_TMP/frz.db"
t_like "tfdrift freeze list: on" "$T_OUT" '^active \((2h00m|1h59m) left\) +release .*\[store by tester\]$'
cmd frz 'freeze release 3h'
t_screen ":freeze NAME 3h: a new end" frz '^ FREEZE release: (3h00m|2h59m) left +open: '
t_like "it says so" "$TUI_SCREEN" '^freeze release now until '
t_run env -u TFDRIFT_NOW "$TFDRIFT" freeze list --all --store "$T_TMP/frz.db"
t_like "freeze list: on for 3h" "$T_OUT" '^active \((3h00m|2h59m) left\) +release '
t_is "one of them on" "$(printf '%s\n' "$T_OUT" | grep -c '^active')" 1
tui_keys frz :
tui_keys frz -l 'unfreeze r'
tui_keys frz Tab
t_screen "Tab completes a freeze's name" frz '^:unfreeze release *$'
tui_keys frz Enter
t_screen ":unfreeze NAME ends it" frz '^freeze release ended$'
t_unlike "the banner is gone" "$TUI_SCREEN" 'FREEZE'
t_run env -u TFDRIFT_NOW "$TFDRIFT" freeze list --all --store "$T_TMP/frz.db"
t_unlike "freeze list: none on" "$T_OUT" '^active'
t_like "ended, by tester" "$T_OUT" '^ended +release .*\[store by tester\]$'
tui_keys frz q
t_tui_exit frz "the freeze session exits 0"

# ---- 4. Live lists never move under the user ----

# Four slow passes at once: actors, pause, findings (a short list: new ones go above it) and
# events. Each selects a row and leaves the follow mode while the replay goes on.
for w in la lz lf le; do
	tui_start "$w" 120 "$([ "$w" = lf ] && echo 30 || echo 40)" "$TFDRIFT" demo \
	    --store "$T_TMP/$w.db" --pace 30s --passes 1
done
tui_keys la 3
tui_keys le 2
t_screen "3: the Actors view" la '^ ACTOR +TYPE +VIA'
t_screen "the first actors (the pipelines: no findings yet)" la ' 1/([2-9]|1[01]) *$' 40
tui_keys la j k
t_screen "j k: the top actor, no longer following" la '^ ACTOR '
LA_NAME=$(tui_sel la | awk '{ print $1 }')
t_like "an actor selected" "$LA_NAME" '^[a-zA-Z]'
t_screen "the first findings arrive" lz ' 1/[1-9][0-9]* *$' 40
tui_keys lz Z
t_screen "Z pauses: the top line says so" lz '5 Resources +PAUSED +1/[0-9]+ *$'
t_like "and the status line" "$TUI_SCREEN" '^ open: .* \| PAUSED \+[0-9]+ findings \+[0-9]+ events \(Z\)'
LZ_N=$(printf '%s\n' "$TUI_SCREEN" | head -1 | sed -n 's/.* 1\/\([0-9]*\) *$/\1/p')
LZ_ROWS=$(rows 'ST SEV')
LZ_OPEN=$(printf '%s\n' "$TUI_SCREEN" | sed -n 's/^ open: \(crit [0-9]* high [0-9]* med [0-9]* low [0-9]*\).*/\1/p')
t_screen "findings arrive" lf ' 1/([3-9]|1[0-7]) *$' 40
tui_keys lf j j
t_screen "j j: a finding below the top" lf ' ([2-9]|1[0-7])/[0-9]+ *$'
LF_HEAD=$(detail_head)
LF_KEY=$(tui_sel lf | awk '{ print $1, $2, $3 }')
t_like "its detail" "$LF_HEAD" '^ (critical|high|medium|low|info) (modified|unmanaged|deleted) '
t_screen "2: the Events view" le '^ TIME▼ +EVENT +ACTOR'
t_screen "events arrive" le ' 1/([3-9]|[1-9][0-9]) *$' 40
tui_keys le j j
t_screen "j j: an event below the top" le ' ([2-9]|[1-9][0-9])/[0-9]+ *$'
LE_ID=$(printf '%s\n' "$TUI_SCREEN" | sed -n 's/^   event id: \([^ ]*\).*/\1/p')
LE_KEY=$(tui_sel le | awk '{ print $1, $2, $3 }')
t_like "its detail has its id" "$LE_ID" '^[0-9a-z-]{8,}$'

t_screen "more findings above: the top line counts them" lf '▲ [1-9][0-9]* new  [0-9]+/1[0-7] *$' 40
t_is "the same finding in the detail" "$(detail_head)" "$LF_HEAD"
t_is "and selected" "$(tui_sel lf | awk '{ print $1, $2, $3 }')" "$LF_KEY"
tui_keys lf g
t_screen "g: the newest, and the marker goes" lf '5 Resources +1/1[0-7] *$'
t_unlike "no ▲ left" "$(printf '%s\n' "$TUI_SCREEN" | head -1)" '▲'
t_screen "more events above" le '▲ [1-9][0-9]* new  [0-9]+/[0-9]+ *$' 40
t_like "the same event in the detail" "$TUI_SCREEN" "^   event id: $LE_ID$MORE"
t_is "and selected" "$(tui_sel le | awk '{ print $1, $2, $3 }')" "$LE_KEY"
t_screen "the people with findings come above it (all 11 fit: no marker needed)" la '5 Resources +([2-9]|1[01])/11 *$' 40
t_sel "the same actor still selected, further down" la "^ $LA_NAME "
t_screen "paused, findings still come: counted, not shown" lz '\| PAUSED \+[1-9][0-9]* findings' 40
t_like "the list as it was" "$TUI_SCREEN" "5 Resources +PAUSED +1/$LZ_N *\$"
t_is "row for row" "$(rows 'ST SEV')" "$LZ_ROWS"
NOW_OPEN=$(printf '%s\n' "$TUI_SCREEN" | sed -n 's/^ open: \(crit [0-9]* high [0-9]* med [0-9]* low [0-9]*\).*/\1/p')
[ -n "$NOW_OPEN" ] && [ "$NOW_OPEN" != "$LZ_OPEN" ]
ok $? "the status line's counts grew while paused ($LZ_OPEN -> $NOW_OPEN)"
tui_keys lz Z
t_screen "Z again: resumed" lz '^resumed$'
LZ_M=$(printf '%s\n' "$TUI_SCREEN" | head -1 | sed -n 's/.* 1\/\([0-9]*\) *$/\1/p')
t_unlike "PAUSED gone" "$(printf '%s\n' "$TUI_SCREEN" | head -1)" 'PAUSED'
[ "${LZ_M:-0}" -gt "${LZ_N:-0}" ]
ok $? "what waited is in the list ($LZ_N -> $LZ_M findings)"
for w in lf le la lz; do
	tui_keys "$w" q
	t_tui_exit "$w" "$w: q exits 0"
done

# ---- 5. Views by keys and by mouse ----

tui_keys nav 1
t_screen "1: Findings" nav '^ ST SEV +TIME. +KIND'
tui_keys nav BTab
t_screen "Shift-Tab: the previous view (round to Resources)" nav '^ RESOURCE +TYPE +OPEN'
tui_keys nav BTab
t_screen "Shift-Tab again: Sources" nav '^ Event files \(2\)$'
tui_keys nav BTab
t_screen "and again: Actors" nav '^ ACTOR +TYPE'
tui_keys nav v
t_screen "v: the next view" nav '^ Event files \(2\)$'
tui_keys nav v
t_screen "v: Resources" nav '^ RESOURCE +TYPE +OPEN'
tui_keys nav v
t_screen "v round to Findings" nav '^ ST SEV +TIME. +KIND'
click nav 30 0
t_screen "a click on '2 Events' opens Events" nav '^ TIME. +EVENT +ACTOR'
click nav 20 4
t_screen "a click on the third row selects it" nav '^ TerminateInstances  cloud service$'
t_sel "it is drawn selected" nav '^ 12:00:00 TerminateInstances +autoscaling\.amazonaws\.com'
t_like "the top line says so" "$TUI_SCREEN" ' 3/49 *$'
click nav 17 0
t_screen "a click on '1 Findings' goes back" nav '^ ST SEV +TIME. +KIND'
tui_keys nav g
t_screen "the newest finding's detail from its first line" nav '^ critical modified  aws_kms_key\.data$'
wheel nav down 40 30
t_screen "the wheel over the detail scrolls it down" nav '^   state: .*prod\.tfstate +▲$'
t_unlike "its first line gone" "$TUI_SCREEN" '^ critical modified  aws_kms_key\.data$'
t_sel "the list's selection stays" nav 'CRIT 12:00:00 mod +aws_kms_key\.data '
wheel nav up 40 30
t_screen "and up" nav '^ critical modified  aws_kms_key\.data$'
tui_keys nav '@'
t_screen "an unknown key says so and points at ?" nav '^@: no such key \(\? lists the keys\)$'
tui_keys nav q
t_tui_exit nav "q exits 0"

t_done
