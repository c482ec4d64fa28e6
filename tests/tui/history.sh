#!/bin/sh
# A resource's history (issue 15) through tmux as a person sees it, at 80x24 and 200x60: every
# event that touched the resource, oldest first (drift, the pipeline's applies, reverts,
# failed calls, writes equal to state), who, how, what it set (old → new, read down the
# history) and each finding's status now; nothing cut without …, the key bar whole. Enter
# in Events on a revert (an event that resolved findings and made none) opens what it
# resolved, shown though resolved findings are hidden; on any other event that made none, the
# history of what it touched. A resolution by a state names the state in the detail.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

USER=tester
export USER
D=$TOP_SRCDIR/tests/data/lifecycle
PY=/usr/bin/python3
KEYBAR='  \? help  q quit$'
printf 'rules_disabled: ["*"]\n' > "$T_TMP/c.yaml"
XDG_STATE_HOME=$T_TMP/xdg-state
XDG_CONFIG_HOME=$T_TMP/xdg-config
export XDG_STATE_HOME XDG_CONFIG_HOME

# The rows of a list on TUI_SCREEN: between the header starting with $1 and the next rule or
# the status line.
rows() {
	printf '%s\n' "$TUI_SCREEN" | sed -En "/^ $1/,/^(── | open: )/p" | sed -E '1d;/^(── | open: )/d;/^ *$/d'
}
filter() {
	tui_keys "$1" / C-u
	tui_keys "$1" -l -- "$2"
	tui_keys "$1" Enter
}
# no_overflow NAME COLS TEXT: every line of TEXT fits COLS columns (what is cut ends in …).
no_overflow() {
	t_is "$1" "$(printf '%s\n' "$3" | $PY -c 'import sys
print(sum(1 for l in sys.stdin.read().split("\n") if len(l) > int(sys.argv[1])))' "$2")" 0
}

# ---- 1. The demo: web[1]'s history at 200x60 and 80x24 ----

TFDRIFT_NOW=2024-05-27T12:00:00Z
export TFDRIFT_NOW
for sz in "w 200 60" "n 80 24"; do
	set -- $sz
	tui_start "$1" "$2" "$3" "$TFDRIFT" demo --store "$T_TMP/$1.db" --pace 1s --passes 1
done
t_screen "200x60: the demo's pass is done" w 'replay done: 49 events'
t_screen "80x24: the pass is done, said on the status line (the zero counts gave way)" n \
    '^ open: crit 6 high 4 med 4 low 1 \| resolved 2 \| replay done: 49 events loop 1 *$'
for w in w n; do
	tui_keys "$w" 5
	filter "$w" 'web[1]'
	t_screen "$w: /web[1] in Resources" "$w" '/web\[1\] +1/1 *$'
	tui_keys "$w" Enter
	t_screen "$w: Enter: its history" "$w" 'Resource  module\.app\.aws_instance\.web\[1\] +1/4 *$'
	eval "H_$w=\$(rows 'TIME▲')"
	eval "S_$w=\$TUI_SCREEN"
done
t_like "200x60: what it has" "$S_w" '^   2 findings \(1 open\); 2 other events that made no finding *$'
t_is "200x60: four rows" "$(printf '%s\n' "$H_w" | wc -l | tr -d ' ')" 4
t_like "200x60: 1. the pipeline's tags (no finding), what it set" "$(printf '%s\n' "$H_w" | sed -n 1p)" \
    '^ 12:00:00 CreateTags +gha-run-1234 +terraform +terraform pipeline +tags \+\{"Release":"2024-05-27"\} *$'
t_like "200x60: 2. alice's stop, resolved now, by whom" "$(printf '%s\n' "$H_w" | sed -n 2p)" \
    '^ 12:00:00 StopInstances +alice@corp\.example +console +resolved: reverted_by_hand by alice@corp\.example, medium modified +instance_state running → stopped *$'
t_like "200x60: 3. her type change, open" "$(printf '%s\n' "$H_w" | sed -n 3p)" \
    '^ 12:00:00 ModifyInstanceAttribute +alice@corp\.example +console +open, medium modified +instance_type t3\.medium → t3\.large *$'
t_like "200x60: 4. her start: the stop's value back (old → new), what it resolved" "$(printf '%s\n' "$H_w" | sed -n 4p)" \
    '^ 12:00:00 StartInstances +alice@corp\.example +console +equal to state; resolved 1 +instance_state stopped → running *$'
t_like "200x60: the key bar whole" "$S_w" "^Enter open  Bksp back  / filter  : cmd  1-5 views  o sort$KEYBAR"
no_overflow "200x60: no line wider than the screen" 200 "$S_w"
t_is "80x24: the same four rows" "$(printf '%s\n' "$H_n" | wc -l | tr -d ' ')" 4
t_like "80x24: the columns" "$S_n" '^ TIME▲ +EVENT +ACTOR +VIA +OUTCOME +CHANGE *$'
t_like "80x24: in the same order, cut with …" "$(printf '%s\n' "$H_n" | awk '{ print $2 }' | tr '\n' ' ')" \
    '^CreateTags StopInstan… ModifyInst… StartInsta… $'
t_like "80x24: the stop: its status first" "$(printf '%s\n' "$H_n" | sed -n 2p)" \
    ' console +resolved: r[^ ]*… +instance_state running…$'
t_like "80x24: the type change: open" "$(printf '%s\n' "$H_n" | sed -n 3p)" ' console +open, mediu… +instance_type t3\.mediu…$'
t_like "80x24: the start: what it set" "$(printf '%s\n' "$H_n" | sed -n 4p)" ' console +equal to st… +instance_state stopped…$'
t_like "80x24: the key bar whole" "$S_n" "^Enter open  Bksp back  / filter  : cmd  1-5 views  o sort$KEYBAR"
no_overflow "80x24: no line wider than the screen" 80 "$S_n"

# Events: Enter on alice's start (it resolved her stop, made nothing) opens the stop.
tui_keys w 2
filter w 'event:StartInstances'
t_screen "Events: alice's start, a revert" w '^ 12:00:00 StartInstances +alice@corp\.example +console +111122223333 +equal to state; resolved 1 *$'
tui_keys w Enter
t_screen "Enter: the finding it resolved, in Findings" w '^the finding this event resolved \(it made none\) *$'
t_like "shown though resolved findings are hidden" "$TUI_SCREEN" '\| resolved 2 shown \| '
t_like "the stop, selected, its detail" "$TUI_SCREEN" '^     by event: StartInstances 53413d67-09c0-4a1b-bb12-da04bd2cdc0e *$'
# The pipeline's CreateTags made no finding and resolved none: its resource's history.
tui_keys w 2
filter w 'event:CreateTags'
t_screen "Events: the pipeline's CreateTags" w '^ 12:00:00 CreateTags +gha-run-1234 +terraform '
tui_keys w Enter
t_screen "Enter: the history of what it touched" w 'Resource  module\.app\.aws_instance\.web\[[01]\] +1/[0-9]+ *$'
t_like "said why" "$TUI_SCREEN" '^this event made no finding \(terraform pipeline\): the history of what it touched *$'
for w in w n; do
	tui_keys "$w" q
	t_tui_exit "$w" "$w: q exits 0"
done

# ---- 2. A Terraform apply that put back two findings: Enter shows both ----

TFDRIFT_NOW=2026-03-02T12:00:00Z
tui_start tf 80 24 "$TFDRIFT" -c "$T_TMP/c.yaml" ui --state "$D/state1.tfstate" --events "$D/terraform.json" \
    --store "$T_TMP/tf.db"
t_screen "80x24: both resolved, the status line says so" tf '^ open: 0 \| resolved 2 \| replay done: 3 events *$'
tui_keys tf 2
t_screen "Events: the pipeline's apply resolved two" tf '^ 11:30:00 ModifyInstan… +terraform-ci +terraform 111122223333 terraform pipelin…$'
tui_keys tf g Enter
t_screen "Enter: Findings, the two it resolved (resolvedby:)" tf ' 1 Findings +2 +3 +4 +5  /resolvedby:life-12 +1/2 *$'
t_is "both listed, resolved" "$(rows 'ST SEV' | grep -Ec '^ R  MED  10:0[05]:00 mod +aws_instance\.web +resolved: reverted_b…')" 2
t_like "said" "$TUI_SCREEN" '^the findings this event resolved \(it made none\) *$'
# Enter on alice's second change: its finding, resolved since, shown all the same (R hides
# them again first: the filter above showed them).
tui_keys tf Escape R
t_screen "R: resolved hidden again" tf '^ open: 0 \| resolved 2 \| replay done'
tui_keys tf 2
filter tf 'id:life-02'
t_screen "Events: alice's second change" tf '/id:life-02 +1/1 *$'
tui_keys tf Enter
t_screen "Enter: its finding, resolved since, shown" tf '/eventid:life-02 +1/1 *$'
t_like "said" "$TUI_SCREEN" '^showing resolved findings: what this event made has resolved since *$'
# Its resource line (on a wide screen: the detail's lines do not wrap) opens the history.
tmx resize-window -t "=tui:=tf" -x 200 -y 60
t_screen "200x60" tf '/eventid:life-02 +1/1 *$'
tui_keys tf Tab j j j j j Enter
t_screen "Enter on its resource line: the history" tf 'Resource  aws_instance\.web +1/3 *$'
H=$(rows 'TIME▲')
t_like "200x60: 1. alice A → B, resolved by the pipeline" "$(printf '%s\n' "$H" | sed -n 1p)" \
    '^ 10:00:00 ModifyInstanceAttribute alice@corp\.example cli +resolved: reverted_by_terraform by terraform-ci, medium modified +instance_type t3\.micro → t3\.large *$'
t_like "200x60: 2. then B → C (against state: A → C)" "$(printf '%s\n' "$H" | sed -n 2p)" \
    '^ 10:05:00 ModifyInstanceAttribute alice@corp\.example cli +resolved: reverted_by_terraform by terraform-ci, medium modified +instance_type t3\.micro → t3\.xlarge *$'
t_like "200x60: 3. the apply, from what she left (C) back to state (A)" "$(printf '%s\n' "$H" | sed -n 3p)" \
    '^ 11:30:00 ModifyInstanceAttribute terraform-ci +terraform +terraform pipeline; resolved 2 +instance_type t3\.xlarge → t3\.micro *$'
tmx resize-window -t "=tui:=tf" -x 80 -y 24
t_screen "80x24 again: the same history" tf 'Resource  aws_instance\.web +1/3 *$'
H=$(rows 'TIME▲')
t_is "80x24: three rows" "$(printf '%s\n' "$H" | wc -l | tr -d ' ')" 3
t_like "80x24: who and how, the status first, cut with …" "$(printf '%s\n' "$H" | sed -n 1p)" \
    '^ 10:00:00 ModifyInst… alice@corp… cli +resolved: r… +instance_type t3\.micr[^ ]*…$'
t_like "80x24: the apply" "$(printf '%s\n' "$H" | sed -n 3p)" \
    '^ 11:30:00 ModifyInst… terraform-… terraform terraform p… +instance_type t3\.xlar[^ ]*…$'
t_like "80x24: the key bar whole" "$TUI_SCREEN" "^Enter open  Bksp back  / filter  : cmd  1-5 views  o sort$KEYBAR"
no_overflow "80x24: nothing wider than the screen" 80 "$TUI_SCREEN"
tui_keys tf q
t_tui_exit tf "tf: q exits 0"

# ---- 3. accepted_in_state names the state in the detail ----

S=$T_TMP/acc.db
printf '{"Records":[]}\n' > "$T_TMP/none.json"
"$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state1.tfstate" --events "$D/run1.json" --store "$S" -q -o /dev/null
"$TFDRIFT" -c "$T_TMP/c.yaml" scan --state "$D/state2-accepted.tfstate" --events "$T_TMP/none.json" --store "$S" -q -o /dev/null
"$TFDRIFT" export --store "$S" --status all --format jsonl -o "$T_TMP/acc.jsonl" 2> /dev/null
ok $? "the store's findings exported"
tui_start acc 120 40 "$TFDRIFT" -c "$T_TMP/c.yaml" ui --state "$D/state2-accepted.tfstate" --events "$T_TMP/none.json" \
    --findings "$T_TMP/acc.jsonl" --store "$T_TMP/acc-ui.db"
t_screen "one open, one resolved" acc '\| resolved 1 \| '
tui_keys acc R
filter acc 'status:resolved'
t_screen "the accepted one" acc '/status:resolved +1/1 *$'
t_like "its detail: accepted_in_state" "$TUI_SCREEN" '^   status: resolved: accepted_in_state *$'
t_like "by which state, its serial" "$TUI_SCREEN" "^     by state: .*/tests/data/lifecycle/state2-accepted\\.tfstate serial 2 *\$"
tui_keys acc q
t_tui_exit acc "acc: q exits 0"

# ---- 4. The real invictus run: the history of stratus's bucket and Lambda ----

if need_shared; then
	inv=$SHARED_DATA/cloudtrail/DERIVED_invictus_all_records_sorted.ndjson
	unset TFDRIFT_NOW
	for sz in "iw 200 60" "in 80 24"; do
		set -- $sz
		tui_start "$1" "$2" "$3" "$TFDRIFT" -c "$T_TMP/c.yaml" ui --state "$D/invictus.tfstate" \
		    --events "$inv" --store "$T_TMP/$1.db"
	done
	t_screen "invictus 200x60: all resolved" iw '\| resolved 15 \| replay done: 574 events *$' 60
	t_screen "invictus 80x24: the progress in sight" in '^ open: 0 \| resolved 15 \| replay done: 574 events *$' 60
	for w in iw in; do
		tui_keys "$w" 2
		filter "$w" 'event:DeleteBucket via:terraform resource:bdbp'
		t_screen "$w: the pipeline's DeleteBucket of the bdbp bucket" "$w" ' +1/1 *$'
		tui_keys "$w" Enter
		t_screen "$w: Enter: the bucket's history" "$w" 'Resource  aws_s3_bucket\.bdbp +1/5 *$'
		eval "H_$w=\$(rows 'TIME▲')"
		eval "S_$w=\$TUI_SCREEN"
	done
	t_like "invictus 200x60: the pipeline creates it" "$(printf '%s\n' "$H_iw" | sed -n 1p)" \
	    '^ Jul 10 12:22 CreateBucket +bert-jan terraform terraform pipeline *$'
	t_like "... tags it" "$(printf '%s\n' "$H_iw" | sed -n 2p)" \
	    '^ Jul 10 12:22 PutBucketTagging +bert-jan terraform terraform pipeline +tags = \{"StratusRedTeam":"true"\} *$'
	t_like "stratus's policy: drift, resolved by its revert" "$(printf '%s\n' "$H_iw" | sed -n 3p)" \
	    '^ Jul 10 12:22 PutBucketPolicy +bert-jan sdk +resolved: reverted_by_hand by bert-jan, high modified +policy \+\{"Statement"'
	t_like "the revert: equal to state, the policy taken away" "$(printf '%s\n' "$H_iw" | sed -n 4p)" \
	    '^ Jul 10 12:28 DeleteBucketPolicy +bert-jan sdk +equal to state; resolved 1 +policy \{"Statement":.* → \(none\) *$'
	t_like "the pipeline destroys it" "$(printf '%s\n' "$H_iw" | sed -n 5p)" \
	    '^ Jul 10 12:28 DeleteBucket +bert-jan terraform terraform pipeline +deleted *$'
	no_overflow "invictus 200x60: nothing wider than the screen" 200 "$S_iw"
	t_is "invictus 80x24: the same five, cut with …" "$(printf '%s\n' "$H_in" | awk '{ print $4, $7 }' | tr '\n' '|')" \
	    "CreateBuck… terraform|PutBucketT… terraform|PutBucketP… resolved:|DeleteBuck… equal|DeleteBuck… terraform|"
	t_like "invictus 80x24: why it came here" "$S_in" \
	    '^this event made no finding \(terraform pipeline\): the history of what it touched *$'
	no_overflow "invictus 80x24: nothing wider than the screen" 80 "$S_in"
	# The Lambda: the pipeline's failed creates are there too.
	tui_keys iw 2
	filter iw 'event:DeleteFunction resource:olc'
	t_screen "the pipeline's DeleteFunction of the olc Lambda" iw '1/1 *$'
	tui_keys iw Enter
	t_screen "its history" iw 'Resource  aws_lambda_function\.olc +1/8 *$'
	H=$(rows 'TIME▲')
	t_is "four failed creates first" "$(printf '%s\n' "$H" | sed -n 1,4p | grep -Ec 'CreateFunction20150331 +bert-jan terraform failed: InvalidParameterValueException +runtime = python3\.9')" 4
	t_like "then the one that worked" "$(printf '%s\n' "$H" | sed -n 5p)" 'CreateFunction20150331 +bert-jan terraform terraform pipeline +runtime = python3\.9'
	t_like "stratus's code change: drift, resolved" "$(printf '%s\n' "$H" | sed -n 6p)" \
	    'UpdateFunctionCode20150331v2 bert-jan sdk +resolved: reverted_by_hand by bert-jan, high… +source_code_hash 3YIl'
	t_like "its revert: the hash back" "$(printf '%s\n' "$H" | sed -n 7p)" \
	    'UpdateFunctionCode20150331v2 bert-jan sdk +equal to state; resolved 1 +source_code_hash Pt1c[^ ]* → 3YIl'
	t_like "the pipeline deletes it" "$(printf '%s\n' "$H" | sed -n 8p)" 'DeleteFunction20150331 +bert-jan terraform terraform pipeline +deleted *$'
	for w in iw in; do
		tui_keys "$w" q
		t_tui_exit "$w" "$w: q exits 0"
	done
else
	t_skip "the invictus run" "no shared data"
fi

t_done
