#!/bin/sh
# Drift per resource in the dashboard, through tmux as a person sees it: the Resources view
# (5) at 80x24 and 200x60 (its rows and columns, … where cut, the key bar, sorting and `/`),
# the selection staying on its resource while more arrive, Enter into the resource's history
# (oldest first, each finding's status now) and back; resolved findings hidden in Findings,
# counted on the status line, shown dimmed with their reason by R (kept for the next
# session), their resolution in the detail; and = grouping one actor session's findings into
# one row that Enter or Right expands and Left collapses, with session_gap from the config.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
export TFDRIFT_NOW USER
EX="$TOP_SRCDIR/doc/examples"
PY=/usr/bin/python3
ESC=$(printf '\033')
KEYBAR='  \? help  q quit$'

# The lines drawn in the selection's colours (the default theme: black on white), as text.
tui_sel() {
	tmx capture-pane -e -p -t "=tui:=$1" 2> /dev/null |
	    grep -E "^(${ESC}\\[[0-9;]*m)*${ESC}\\[30m${ESC}\\[47m" | sed "s/${ESC}\\[[0-9;]*m//g"
}
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

# ---- 1. The Resources view on the demo, wide and narrow ----

tui_start w 200 60 "$TFDRIFT" demo --store "$T_TMP/w.db" --pace 1s --passes 1
tui_start n 80 24 "$TFDRIFT" demo --store "$T_TMP/n.db" --pace 1s --passes 1
t_screen "200x60: the demo finishes its pass" w 'replay done: 49 events'
# At 80 columns the whole status line does not fit: the demo's pass resolves two findings
# (alice starts web[1] again after stopping it; the deployer puts app[1]'s machine type back
# once), and "resolved 2 | " would push "replay done" out of sight. The counts that are 0 give
# way instead (info, ack, supp), so how far the replay is stays on the line.
t_screen "80x24: the pass's counts without the zeros, resolved 2, the replay done" n \
    '^ open: crit 6 high 4 med 4 low 1 \| resolved 2 \| replay done: 49 events loop 1 *$'
tui_keys n 4 G
t_screen "80x24: the demo finishes its pass (4: the engine says so)" n \
    '; replay finished *$'
t_like "all 49 events" "$TUI_SCREEN" '^   49 write events, '
tui_keys w 5
t_screen "5: the Resources view, 15 resources drifted" w \
    '^ tfdrift demo +1 Findings +2 Events +3 Actors +4 Sources +5 Resources +1/15 *$'
t_like "its columns" "$TUI_SCREEN" '^ RESOURCE +TYPE +OPEN SINCE +LAST▼ +ACTORS +DIFF *$'
t_is "one row per resource" "$(rows RESOURCE | wc -l)" 15
# web[1] has two findings, but alice's StartInstances put the stop back (resolved): one open,
# and the diff is the open type change alone (the net diff of two open ones: section 3).
t_like "a resource with two findings, one resolved since: one open, its diff alone" "$TUI_SCREEN" \
    '^ module\.app\.aws_instance\.web\[1\] +aws_inst[^ ]* +1 12:00:00 12:00:00 alice@corp\.example +instance_type t3\.medium → t3\.large *$'
t_like "a sensitive value is never shown" "$TUI_SCREEN" \
    '^ aws_db_instance\.main +aws_db[^ ]* +1 .* publicly_accessible false → true; password changed \(sensitive\) *$'
t_like "an unmanaged resource by TYPE:ID" "$TUI_SCREEN" '^ aws_iam_user:reporting-bot +aws_iam[^ ]* +1 '
t_like "a deleted one" "$TUI_SCREEN" '^ google_storage_bucket\.reports +goog[^ ]* +1 .* deleted *$'
t_like "a very long address is cut in the middle with …, its end kept" "$TUI_SCREEN" '^ google_compu…[^ ]*allow-debug-8080 '
t_like "the key bar, whole" "$TUI_SCREEN" "^Enter open  / filter  : cmd  1-5 views  o sort  y copy  Z pause  Bksp back$KEYBAR"
filter w 'type:aws_instance'
t_screen "/type:aws_instance: the two instances" w '/type:aws_instance +1/2 *$'
t_is "and nothing else" "$(rows RESOURCE | grep -vc '^ module\.app\.aws_instance\.web\[[01]\] ')" 0
filter w 'actor:carol'
t_screen "/actor:carol: carol's two firewalls" w '/actor:carol +1/2 *$'
filter w 'colour:red'
t_screen "a field it does not have: said, with the ones it has" w \
    "unknown field 'colour'.*resource.*type.*actor.*diff"
tui_keys w Escape Escape
t_screen "Esc clears the filter" w '5 Resources +1/15 *$'
tui_keys w o
t_screen "o: sorted by the next column" w '^ RESOURCE +TYPE +OPEN SINCE +LAST +ACTORS▲ +DIFF *$'
tui_keys w '<' '<' '<' '<' '<'
t_screen "< back to RESOURCE" w '^ RESOURCE▲ +TYPE'
FIRST=$(rows 'RESOURCE' | head -1 | awk '{ print $1 }')
t_is "by address: the first" "$FIRST" "aws_db_instance.main"

# Enter: the resource's history, oldest first; Backspace comes back to the same row.
tui_keys w g
while ! tui_sel w | grep -q '^ module\.app\.aws_instance\.web\[1\] '; do
	tui_keys w j
	sleep 0.1
	tui_sel w | grep -q '^ module\.net' && break
done
t_sel "web[1] selected" w '^ module\.app\.aws_instance\.web\[1\] '
POS=$(tui_capture w | head -1 | sed -n 's/.* \([0-9]*\/15\) *$/\1/p')
tui_keys w Enter
t_screen "Enter: its history" w '5 Resources  Resource  module\.app\.aws_instance\.web\[1\] +1/[0-9]+ *$'
t_like "oldest first (TIME▲)" "$TUI_SCREEN" '^ TIME▲ +EVENT +ACTOR +VIA +OUTCOME +CHANGE *$'
HIST=$(rows 'TIME▲')
t_like "each finding's status now: the stop resolved, by whom" "$HIST" \
    'StopInstances +alice@corp\.example +console +resolved: reverted_by_hand by alice@corp\.example, medium modified +instance_state running → stopped'
t_like "the type change open" "$HIST" \
    'ModifyInstanceAttribute +alice@corp\.example +console +open, medium modified +instance_type t3\.medium → t3\.large'
# The event that resolved the stop made no finding: a row of its own (it was left out when a
# resolution it handed on counted as a finding it made), with what it set: the stop's value
# back to state's.
t_like "and alice's start that put the stop back, a row of its own, what it changed" "$HIST" \
    'StartInstances +alice@corp\.example +console +equal to state; resolved 1 +instance_state stopped → running *$'
# The pipeline's CreateTags names the instance too: every event that touched it is there.
t_like "the pipeline's tagging, what it set" "$HIST" \
    'CreateTags +gha-run-1234 +terraform +terraform pipeline +tags \+\{"Release":"2024-05-27"\} *$'
t_like "counted as events that made no finding" "$TUI_SCREEN" \
    '^   2 findings \(1 open\); 2 other events that made no finding *$'
tui_keys w BSpace
t_screen "Backspace: the Resources view where it was" w "5 Resources +$POS *\$"
t_sel "web[1] still selected" w '^ module\.app\.aws_instance\.web\[1\] '

# 80x24: the same rows, cut with … where they do not fit; the key bar whole.
tui_keys n 5
# TYPE (the address begins with it) and SINCE (LAST says most) leave a narrow screen, for
# the address and the diff.
t_screen "80x24: the Resources view, no TYPE, no SINCE" n '^ RESOURCE +OPEN LAST▼ +ACTORS +DIFF *$'
t_like "the top line: numbers for tabs, the position" "$(printf '%s\n' "$TUI_SCREEN" | head -1)" ' 5 Resources +1/15 *$'
NR=$(rows RESOURCE)
t_is "15 rows fit" "$(printf '%s\n' "$NR" | wc -l)" 15
# Cut in the middle: the end of an address (web[0], web[1]) tells rows apart.
t_like "an address that fits is whole" "$NR" '^ module\.app\.aws_instance\.web\[0\] +1 '
t_like "web[1] too" "$NR" '^ module\.app\.aws_instance\.web\[1\] +1 '
t_like "a long one is cut in the middle with …" "$NR" '^ aws_s3_buck…blic_access_block\.logs +1 '
t_like "an unmanaged one keeps the end of its id" "$NR" '^ aws_iam_acc…y:AKIARZ5YQ3NPL4XWKM7Q +1 '
t_like "the diff still starts on every row" "$NR" '^ aws_db_instance\.main +1 [0-9:]+ bob +publicly_accessibl…$'
t_like "long diffs end in …" "$NR" '^ aws_db_instance\.main .*…$'
t_like "the key bar whole at 80 columns" "$TUI_SCREEN" "^Enter open  / filter  : cmd  1-5 views  o sort  y copy  Z pause$KEYBAR"
tui_keys n Enter
t_screen "80x24: Enter opens the history" n ' Resource  aws_kms_key\.data +1/1 *$'
t_like "its key bar, whole" "$TUI_SCREEN" "^Enter open  Bksp back  / filter  : cmd  1-5 views  o sort$KEYBAR"
tui_keys n BSpace
t_screen "and back" n ' 5 Resources +1/15 *$'
for w in w n; do
	tui_keys "$w" q
	t_tui_exit "$w" "$w: q exits 0"
done

# ---- 2. The selection stays on its resource while more arrive ----

tui_start l 120 40 "$TFDRIFT" demo --store "$T_TMP/l.db" --pace 30s --passes 1
tui_keys l 5
t_screen "a slow pass: the first resources" l ' 1/([2-9]|1[0-4]) *$' 60
tui_keys l j
t_screen "j: a row below the top (more may have come above it already)" l ' ([2-9]|1[0-5])/[0-9]+ *$'
# Which resource: its history names it whole (the RESOURCE cell is cut with …, at a width that
# changes as rows arrive, and web[0] and web[1] are cut alike).
tui_keys l Enter
t_screen "Enter: the selected resource's history" l ' Resource  [^ ]+ +[0-9]+/[0-9]+ *$'
LKEY=$(printf '%s\n' "$TUI_SCREEN" | head -1 | sed -n 's/.* Resource  \([^ ]*\) .*/\1/p')
t_like "a resource selected" "$LKEY" '^[a-z]'
tui_keys l BSpace
t_screen "Backspace: back in the Resources view" l '5 Resources +([2-9]|1[0-5])/[0-9]+ *$'
t_screen "more resources arrive (newest change first)" l ' [0-9]+/([4-9]|1[0-5]) *$' 60
LRE=$(printf '%s\n' "$LKEY" | sed 's/[].[]/\\&/g')
t_sel "a row below the top still selected" l '^ [a-z]'
tui_keys l Enter
t_screen "the same resource still selected: Enter opens its history" l " Resource  $LRE +[0-9]+/[0-9]+ *\$"
tui_keys l BSpace
tui_keys l q
t_tui_exit l "l: q exits 0"

# ---- 3. Resolved findings (from an export: the scan's findings, the stop resolved by the
# scan itself, the kms key's drift resolved since, and a later change of one attribute) ----

# A streamed scan writes a finding again, with its id, when it resolves: alice's StopInstances
# on web[1] is put back by her StartInstances (reverted_by_hand), so 13 lines, 12 findings.
"$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --format jsonl \
    -o "$T_TMP/scan.jsonl" 2> /dev/null
t_is "the example's 12 findings and the stop's resolution: 13 lines" \
    "$(wc -l < "$T_TMP/scan.jsonl" | tr -d ' ')" 13
t_is "12 findings (by id)" "$($PY -c 'import json, sys
print(len({json.loads(l)["id"] for l in open(sys.argv[1])}))' "$T_TMP/scan.jsonl")" 12
$PY - "$T_TMP/scan.jsonl" "$T_TMP/findings.jsonl" << 'EOF'
import json, sys
byid = {}
for l in open(sys.argv[1]):
    f = json.loads(l)
    byid[f['id']] = f       # the last line of an id is the finding now (its resolution)
fs = list(byid.values())
def one(cond):
    m = [f for f in fs if cond(f)]
    assert len(m) == 1, m
    return m[0]
stop = one(lambda f: f['event']['name'] == 'StopInstances')
assert stop['status'] == 'resolved' and stop['resolution']['reason'] == 'reverted_by_hand', stop
assert stop['resolution']['event']['name'] == 'StartInstances', stop
kms = one(lambda f: f['resource'].get('address') == 'aws_kms_key.data')
kms['status'] = 'resolved'
kms['resolution'] = {'reason': 'reverted_by_terraform', 'at': '2024-05-27T11:00:00Z',
    'event': {'id': '7a1c2d3e-2222-4333-8444-a55566667777', 'name': 'EnableKey'},
    'actor': {'principal': 'arn:aws:sts::111122223333:assumed-role/tf-ci/gha-run-77',
              'name': 'tf-ci', 'type': 'AssumedRole', 'account': '111122223333', 'via': 'terraform'}}
# bob changes web[1]'s instance type again: t3.medium -> t3.large (alice) -> t3.xlarge.
typ = one(lambda f: f['event']['name'] == 'ModifyInstanceAttribute' and
          f['changes'][0]['attribute'] == 'instance_type')
bob = one(lambda f: f['resource'].get('address') == 'aws_lambda_function.api')
x = json.loads(json.dumps(typ))
x['id'] = 'c0ffee00c0ffee00c0ffee00c0ffee00'
x['changes'] = [{'attribute': 'instance_type', 'old': 't3.large', 'new': 't3.xlarge', 'change': 'modified'}]
x['summary'] = 'instance_type t3.large \u2192 t3.xlarge'
x['actor'] = bob['actor']
x['event'] = dict(x['event'], id='5f0e9a1b-3333-4444-8555-b66677778888', time='2024-05-27T09:50:00Z')
fs.append(x)
with open(sys.argv[2], 'w') as o:
    for f in fs:
        o.write(json.dumps(f) + '\n')
EOF
ok $? "the findings file is made"
echo '{"Records":[]}' > "$T_TMP/none.json"
# resolved_ui NAME [OPTION...]: the dashboard on those findings, with no events.
resolved_ui() {
	_n=$1
	shift
	tui_start "$_n" 200 60 "$TFDRIFT" ui --state "$EX/prod.tfstate" --events "$T_TMP/none.json" \
	    --findings "$T_TMP/findings.jsonl" --store "$T_TMP/r.db" "$@"
}
resolved_ui r
t_screen "the dashboard on the findings: the resolved two hidden" r '5 Resources +1/11 *$'
t_like "the status line counts them" "$TUI_SCREEN" '^ open: crit 3 high 3 med 4 low 1 info 0 \| ack 0 \| supp 0 \| resolved 2 \| '
LIST=$(rows 'ST SEV')
t_unlike "neither is listed" "$LIST" 'aws_kms_key|StopInstances|running → stopped'
tui_keys r R
t_screen "R shows them" r '5 Resources +1/13 *$'
t_like "the status line says so" "$TUI_SCREEN" '\| resolved 2 shown \| '
t_like "the message" "$TUI_SCREEN" '^showing resolved findings \(dimmed\) *$'
t_like "with their reason, by whom" "$TUI_SCREEN" \
    '^ R +CRIT 10:48:03 mod +aws_kms_key\.data +resolved: reverted_by_terraform by tf-ci; is_enabled true → false +alice@corp\.example *$'
t_like "the other one" "$TUI_SCREEN" \
    '^ R +MED +09:16:40 mod +module\.app\.aws_instance\.web\[1\] +resolved: reverted_by_hand by alice@corp\.example; instance_state running → stopped'
# Dimmed: their cells carry the dim attribute (SGR 2), the open ones do not.
tmx capture-pane -e -p -t "=tui:=r" > "$T_TMP/r.ansi"
t_like "a resolved row is dim" "$(grep 'aws_kms_key\.data' "$T_TMP/r.ansi" | head -1)" "${ESC}\\[2(;7)?m(${ESC}\\[[0-9;]*m)*CRIT"
t_unlike "an open row is not" "$(grep 'aws_lambda_function\.api' "$T_TMP/r.ansi" | head -1)" "${ESC}\\[2m"
t_like "the resolved kms finding is the newest: selected, its detail: what resolved it" "$TUI_SCREEN" '^   status: resolved: reverted_by_terraform by tf-ci *$'
t_like "when" "$TUI_SCREEN" '^     at 2024-05-27T11:00:00Z *$'
t_like "the event" "$TUI_SCREEN" '^     by event: EnableKey 7a1c2d3e-2222-4333-8444-a55566667777 *$'
t_like "and who" "$TUI_SCREEN" '^     actor: tf-ci via terraform \(arn:aws:sts::111122223333:assumed-role/tf-ci/gha-run-77\) *$'
tui_keys r Enter j j j Enter
t_screen "Enter on its event: not among this session's (no events were read), said so" r \
    "^event 7a1c2d3e-2222-4333-8444-a55566667777 is not among this session's events *\$"
t_like "and still in Findings" "$TUI_SCREEN" '^── detail: j/k move'
tui_keys r Tab
filter r 'status:resolved'
t_screen "/status:resolved: the two" r '/status:resolved +1/2 *$'
tui_keys r Escape

# Resources: resolved drift is not drift; web[1] nets the two open changes of its type.
tui_keys r 5
t_screen "5: ten resources drifted now (the kms key's drift resolved)" r '5 Resources +1/10 *$'
t_unlike "no kms key" "$TUI_SCREEN" 'aws_kms_key'
t_like "web[1]: two open, the type's net change, bob then alice" "$TUI_SCREEN" \
    '^ module\.app\.aws_instance\.web\[1\] +aws_inst[^ ]* +2 09:18:05 09:50:00 bob, alice@corp\.example +instance_type t3\.medium → t3\.xlarge *$'
filter r 'web[1]'
t_screen "filtered to it" r '/web\[1\] +1/1 *$'
tui_keys r Enter
t_screen "its history, oldest first" r 'Resource  module\.app\.aws_instance\.web\[1\] +1/3 *$'
t_like "what it has" "$TUI_SCREEN" '^   3 findings \(2 open\); 0 other events that made no finding *$'
HIST=$(rows 'TIME▲')
t_like "the stop first, resolved by hand, by whom" "$(printf '%s\n' "$HIST" | sed -n 1p)" \
    '^ 09:16:40 StopInstances +alice@corp\.example +console +resolved: reverted_by_hand by alice@corp\.example, medium modified +instance_state running → stopped *$'
t_like "then alice's type change, open" "$(printf '%s\n' "$HIST" | sed -n 2p)" \
    '^ 09:18:05 ModifyInstanceAttribute alice@corp\.example +console +open, medium modified +instance_type t3\.medium → t3\.large *$'
t_like "then bob's" "$(printf '%s\n' "$HIST" | sed -n 3p)" \
    '^ 09:50:00 ModifyInstanceAttribute bob +cli +open, medium modified +instance_type t3\.large → t3\.xlarge *$'
tui_keys r Enter
t_screen "Enter on the resolved one opens it in Findings" r '^   status: resolved: reverted_by_hand by alice@corp\.example *$'
t_like "that one (the scan's own resolution)" "$TUI_SCREEN" '^     by event: StartInstances 53413d67-09c0-4a1b-bb12-da04bd2cdc0e *$'
tui_keys r BSpace BSpace
t_screen "back to the Resources view" r '5 Resources  /web\[1\] +1/1 *$'
tui_keys r Escape 1
t_screen "Findings" r '^ ST SEV +TIME'

# ---- 4. Group by session ----

tui_keys r R
t_screen "R hides them again" r '5 Resources +[0-9]+/11 *$'
tui_keys r =
t_screen "=: one row per actor session" r '5 Resources +[0-9]+/4 *$'
t_like "the message says how to open one" "$TUI_SCREEN" '^grouped by actor session \(gap 15 min; Enter or Right expands, Left collapses\) *$'
tui_keys r g
t_screen "g: the first" r '5 Resources +1/4 *$'
G=$(rows 'ST SEV')
t_like "bob's delete stands alone" "$(printf '%s\n' "$G" | sed -n 1p)" '^ +CRIT 10:31:40 del +aws_s3_bucket_public_access_block\.logs '
t_like "etl-runner's four" "$(printf '%s\n' "$G" | sed -n 2p)" \
    '^ \+  HIGH 10:07:14 sess +etl-runner: 4 changes on 4 resources in 2 min +CreateAccessKey .* etl-runner *$'
t_like "bob's three (the lambda, web[1], the database)" "$(printf '%s\n' "$G" | sed -n 3p)" \
    '^ \+  CRIT 09:52:33 sess +bob: 3 changes on 3 resources in 11 min '
t_like "alice's three (the resolved stop not among them)" "$(printf '%s\n' "$G" | sed -n 4p)" \
    '^ \+  CRIT 09:22:47 sess +alice@corp\.example: 3 changes on 3 resources in 9 min '
tui_keys r j
t_sel "j: etl-runner's session" r '^ \+  HIGH 10:07:14 sess +etl-runner'
t_like "its detail lists its findings, oldest first" "$(tui_capture r | sed -n '/^── detail/,$p' | sed -n 2,4p | tr '\n' '|')" \
    'etl-runner: 4 changes on 4 resources in 2 min.*Enter or Right shows its findings.*10:05:17 LOW aws_s3_bucket '
tui_keys r Enter
t_screen "Enter expands it: four more rows" r '5 Resources +2/8 *$'
t_sel "the session's row still selected, marked open" r '^ -  HIGH 10:07:14 sess +etl-runner'
G=$(rows 'ST SEV')
t_like "its findings under it, indented" "$(printf '%s\n' "$G" | sed -n 3,6p | tr '\n' '|')" \
    '^ +HIGH 10:07:14 unmgd +  aws_iam_access_key .*\| +MED +10:07:12 unmgd +  aws_iam_user .*\| +HIGH 10:05:19 unmgd +  aws_s3_bucket_public_access_block .*\| +LOW +10:05:17 unmgd +  aws_s3_bucket '
tui_keys r j j
t_sel "j j: one of its findings" r '^ +MED +10:07:12 unmgd +  aws_iam_user reporting-bot'
t_screen "its own detail" r '^ medium unmanaged  \(not managed by Terraform\) *$'
tui_keys r Left
t_screen "Left collapses the session" r '5 Resources +2/4 *$'
t_sel "onto its row" r '^ \+  HIGH 10:07:14 sess +etl-runner'
tui_keys r Right
t_screen "Right expands it" r '5 Resources +2/8 *$'
tui_keys r Left
t_screen "Left on its row collapses it" r '5 Resources +2/4 *$'
tui_keys r R
t_screen "R: the resolved ones join their sessions" r '5 Resources +3/5 *$'
t_like "alice's session has four now, the kms key's change a row of its own" "$(rows 'ST SEV' | tr '\n' '|')" \
    'R +CRIT 10:48:03 mod +aws_kms_key\.data .*alice@corp\.example: 4 changes on 3 resources in 9 min'
tui_keys r q
t_tui_exit r "r: q exits 0"

# The next session: R and = are as they were left (kept in the store).
resolved_ui r2
t_screen "the next session: grouped, resolved shown" r2 '5 Resources +1/5 *$'
t_like "the status line says resolved are shown" "$TUI_SCREEN" '\| resolved 2 shown \| '
tui_keys r2 = R
t_screen "= R: back to one row per finding, resolved hidden" r2 '5 Resources +1/11 *$'
tui_keys r2 q
t_tui_exit r2 "r2: q exits 0"

# session_gap from the config: 5 minutes splits bob's three (8 minutes from the lambda).
printf 'session_gap: 5m\n' > "$T_TMP/gap.yaml"
resolved_ui r3 -c "$T_TMP/gap.yaml"
tui_keys r3 =
t_screen "session_gap 5m: bob's lambda change alone" r3 '5 Resources +1/5 *$'
t_like "bob's session is two changes" "$TUI_SCREEN" \
    '^ \+  CRIT 09:52:33 sess +bob: 2 changes on 2 resources in 3 min '
t_like "the message has the gap" "$TUI_SCREEN" '\(gap 5 min; '
tui_keys r3 q
t_tui_exit r3 "r3: q exits 0"

# ---- 5. The timeline marks resolved drift apart; a finding from a file and from the replay
# is one row ----

# A resolved finding (a change at 07:31:30 put back by hand) in the bucket of the pipeline's
# 07:31 apply, where no other drift is.
$PY - "$T_TMP/scan.jsonl" "$T_TMP/tl.jsonl" << 'EOF'
import json, sys
x = json.loads(open(sys.argv[1]).readline())
x['id'] = 'deadbeef00000000deadbeef00000000'
x['event'] = dict(x['event'], id='9e8d7c6b-4444-4555-8666-c77788889999', time='2024-05-27T07:31:30Z')
x['status'] = 'resolved'
x['resolution'] = {'reason': 'reverted_by_hand', 'at': '2024-05-27T07:40:00Z',
    'event': {'id': '1a2b3c4d-5555-4666-8777-d88899990000', 'name': 'RevokeSecurityGroupIngress'},
    'actor': {'principal': x['actor']['principal'], 'name': x['actor']['name'],
              'type': 'AssumedRole', 'account': '111122223333', 'via': 'console'}}
open(sys.argv[2], 'w').write(json.dumps(x) + '\n')
EOF
TUI_LOCALE=C
tui_start tl 200 60 "$TFDRIFT" ui --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" \
    --findings "$T_TMP/findings.jsonl" --findings "$T_TMP/tl.jsonl" --store "$T_TMP/tl.db"
unset TUI_LOCALE
# The files hold 14 findings (3 resolved: the stop, the kms key, the 07:31:30 one), the replay
# makes 12 with the files' ids: the kms key's open version from the replay is newer (shown
# again), the stop the replay resolves itself (alice starts web[1] again): 12 rows, not 22
# (11 open in the files and 11 open replayed, were their ids not the same).
t_screen "the replay's findings have the file's ids: 12 rows, not 22" tl '5 Resources +1/12 *$'
t_screen "their counts once (the replay's open versions are newer), the resolved two apart" tl \
    '^ open: crit 4 high 3 med 4 low 1 info 0 \| ack 0 \| supp 0 \| resolved 2 \| replay done'
tui_keys tl z
t_screen "z: 5 minute buckets" tl '^5m '
AXIS=$(printf '%s\n' "$TUI_SCREEN" | grep '^5m ')
BARS=$(printf '%s\n' "$TUI_SCREEN" | sed -n 2,5p)
COL=$(( $(printf '%s\n' "$AXIS" | awk '{ print index($0, "07:00") }') + 6 ))
t_like "the 07:30 bucket's bar is drawn with : (resolved drift only)" \
    "$(printf '%s\n' "$BARS" | cut -c"$COL")" ':'
t_unlike "and no #" "$(printf '%s\n' "$BARS" | cut -c"$COL")" '#'
t_like "buckets with open drift keep #" "$BARS" '#'
tui_keys tl q
t_tui_exit tl "tl: q exits 0"

t_done
