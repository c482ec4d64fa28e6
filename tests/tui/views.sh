#!/bin/sh
# The dashboard's views and tools through tmux: Events (why not drift), Actors (Enter
# filters), Sources, the timeline band (buckets filter the list, zoom), the `/` filter with
# fields and its errors, n/N search, export to a schema-valid file, and mouse clicks.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

TFDRIFT_NOW=2024-05-27T12:00:00Z
USER=tester
export TFDRIFT_NOW USER
SGRE='module\.net\.aws_security_group\.web'
mkdir -p "$T_TMP/out"

tui_start v 120 72 "$TFDRIFT" demo --store "$T_TMP/v.db" --pace 1s --passes 1 \
    --export-dir "$T_TMP/out"
t_screen "the demo finishes its pass" v 'replay done: [0-9]+ events' 20
# 15, not 17: two of the demo's findings resolve (a revert) and resolved ones are hidden.
t_like "the top line has the tabs and where the selection is" "$TUI_SCREEN" '^ tfdrift demo +1 Findings +2 Events +3 Actors +4 Sources +5 Resources +1/15 *$'

# Events: every write event, drift or not, and why not.
tui_keys v 2
t_screen "2 opens the Events view" v '^ TIME▼ +EVENT +ACTOR +VIA +ACCOUNT +OUTCOME'
t_like "a console change is drift" "$TUI_SCREEN" 'AuthorizeSecurityGroupIngress +alice@corp\.example +console +111122223333 +drift: 1 finding'
t_like "autoscaling is a cloud service" "$TUI_SCREEN" 'autoscaling\.amazonaws\.com +service .* cloud service'
t_like "a failed call says so" "$TUI_SCREEN" 'failed: '
t_like "an equal value says so" "$TUI_SCREEN" 'equal to state'
t_like "the outcome counts" "$TUI_SCREEN" '49 write events: drift 17, terraform 12, service 9, failed 3, equal 6, no event map 1'
t_screen "the newest event is selected and shown in full" v 'from: .*cloudtrail\.json#[0-9]+$'
tui_keys v G
t_screen "G goes to the oldest event" v 'event id: 74bd7d9b-461a-4012-8c24-f1a73daa5386'
t_like "its detail names the user agent" "$TUI_SCREEN" 'user agent: APN/1\.0 HashiCorp/1\.0 Terraform'
t_like "the pipeline's writes are not" "$TUI_SCREEN" 'gha-run-1234 +terraform +111122223333 +terraform pipeline'

# Actors: who changed what; Enter filters the findings to one.
tui_keys v 3
t_screen "3 opens the Actors view" v '^ ACTOR +TYPE +VIA +EVENTS +FINDINGS +OPEN▼ +LAST'
t_like "alice: 9 events, 5 findings, 4 open (her start put her stop back)" "$TUI_SCREEN" 'alice@corp\.example +AssumedRole +console +9 +5 +4 '
t_like "the pipeline has events and no findings" "$TUI_SCREEN" 'gha-run-1234 +AssumedRole +terraform +6 +0 +0 '
tui_keys v Enter
# Her 4 open ones: the resolved fifth is hidden.
t_screen "Enter shows the actor's findings" v ' /actor:alice@corp\.example +1/4 *$'
t_unlike "only theirs" "$(printf '%s\n' "$TUI_SCREEN" | sed -n 8,20p)" ' bob *$|etl-runner|carol@'
tui_keys v Escape
t_screen "Esc clears the filter" v ' 1/15 *$'

# Sources: files, states, engine, store.
tui_keys v 4
t_screen "4 opens the Sources view" v '^ Event files \(2\)'
t_like "each file with its format and counts" "$TUI_SCREEN" 'format cloudtrail-records +100% +records 78 +events 32 +read-only 46'
t_like "and its duplicates, what fell outside the window, its rate" "$TUI_SCREEN" \
    'duplicates 0 +outside --since/--until 0 +[0-9]+\.[0-9] events/s over the last minute'
t_like "each state with serial and lineage" "$TUI_SCREEN" 'serial 42 +lineage 8f0c2b7e +50 resources'
t_like "the store is writable" "$TUI_SCREEN" 'v\.db +writable'
tui_keys v 1

# The filter.
tui_keys v /
t_screen "/ opens the filter prompt" v '^Filter Findings \(Enter applies, empty clears, Tab fields, Esc\): /'
tui_keys v -l 'sev>=high kind:unmanaged'
tui_keys v Enter
t_screen "a field filter narrows the list" v '/sev>=high kind:unmanaged'
LIST=$(printf '%s\n' "$TUI_SCREEN" | grep -E '^ +(CRIT|HIGH|MED|LOW|INFO) ')
t_like "it keeps unmanaged high findings" "$LIST" 'HIGH .* unmgd +aws_s3_bucket_public_access_block'
t_unlike "and nothing else" "$LIST" ' (mod|del) |MED |LOW '
tui_keys v / C-u
tui_keys v -l 'colour:red'
tui_keys v Enter
t_screen "a bad filter says what and where" v "filter: column 1: unknown field 'colour'"
tui_keys v Escape
t_screen "Esc leaves the prompt, the old filter stays" v 'filter unchanged'
tui_keys v / C-u
tui_keys v -l 'bob'
tui_keys v Enter
t_screen "a free word filters" v '3 findings match'
tui_keys v / C-u Enter
t_screen "an empty filter clears it" v 'filter cleared'
tui_keys v g n
t_screen "n finds bob's next finding after the filter is cleared" v 'who: bob'

# The timeline: h selects the newest bucket, the list shows only it; Esc clears. The demo
# happens now (its events take the time they are replayed at), all in the newest minute.
t_like "the demo's band has an axis in 10 s buckets" "$TUI_SCREEN" '^10s +[0-9]{2}:[0-9]{2}:[0-9]{2} '
tui_keys v h
t_screen "h selects the newest bucket: the demo's, now" v 'bucket 12:00:00-12:00:10'
t_like "it holds every finding of the pass" "$TUI_SCREEN" ' [0-9]+/15 *$'
t_like "at the time they were replayed" "$TUI_SCREEN" 'CRIT 12:00:[0-9]{2} mod +aws_kms_key\.data'
tui_keys v h
t_screen "h walks back in time" v 'bucket 11:59:50-12:00:00'
t_like "a bucket without changes shows none" "$TUI_SCREEN" ' 0/0 *$'
t_like "and says why" "$TUI_SCREEN" 'No findings match \(Esc clears the bucket, then the filter'
tui_keys v Escape
t_screen "Esc clears the bucket" v ' [0-9]+/15 *$'

# Export: the findings shown, as a findings document.
tui_keys v e
# 15: the resolved two are not shown, so not exported.
t_screen "e exports the findings shown" v "exported 15 findings to $T_TMP/out/tfdrift-findings-20240527T120000Z\\.json"
EXP="$T_TMP/out/tfdrift-findings-20240527T120000Z.json"
t_ok "the export file is there" test -s "$EXP"
t_ok "it validates against the findings schema" /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" \
    "$TOP_SRCDIR/doc/findings.schema.json" "$EXP"
t_is "with 15 findings" "$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["findings"]))' "$EXP")" 15
tui_keys v / C-u
tui_keys v -l 'kind:deleted'
tui_keys v Enter e
t_screen "a second export gets its own name and only the filtered findings" v \
    "exported [0-9]+ findings to $T_TMP/out/tfdrift-findings-20240527T120000Z-1\\.json"
t_unlike "no other kind in it" "$(cat "$T_TMP/out/tfdrift-findings-20240527T120000Z-1.json")" '"kind": *"(modified|unmanaged)"'
tui_keys v Escape

# Mouse: a click on a tab switches the view, a click on a row selects it (xterm mouse
# reports, as the terminal sends them: ESC [ M button+32 x+33 y+33).
click() {
	tmx send-keys -t "=tui:=v" -l "$(printf '\033[M %s%s' "$(printf "\\$(printf '%03o' $(($1 + 33)))")" \
	    "$(printf "\\$(printf '%03o' $(($2 + 33)))")")"
	tmx send-keys -t "=tui:=v" -l "$(printf '\033[M#%s%s' "$(printf "\\$(printf '%03o' $(($1 + 33)))")" \
	    "$(printf "\\$(printf '%03o' $(($2 + 33)))")")"
}
click 30 0
t_screen "a click on '2 Events' opens the Events view" v '^ TIME. +EVENT +ACTOR'
click 17 0
t_screen "a click on '1 Findings' goes back" v '^ ST SEV +TIME. +KIND'
click 20 9
t_screen "a click on the third row selects it (the detail follows)" v 'event: storage\.buckets\.delete'
click 20 7
t_screen "a click on the first row selects the newest" v 'event: DisableKey'
tui_keys v q
t_tui_exit v "q exits 0"

# Recorded files keep their times: the timeline walks the recording's minutes; z zooms.
EX="$TOP_SRCDIR/doc/examples"
tui_start tl 120 72 "$TFDRIFT" --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" --store "$T_TMP/tl.db"
t_screen "a file replay of the demo's files finishes" tl 'replay done: [0-9]+ events'
tui_keys tl h
t_screen "h selects the newest 1-minute bucket of the recording" tl 'bucket 10:48:00-10:49:00'
tui_keys tl h h h h h h h h h h h h h h h h h
t_screen "h walks back in time" tl 'bucket 10:31:00-10:32:00'
t_like "the list shows that minute's findings" "$TUI_SCREEN" ' 1/1 *$'
t_like "bob's change at 10:31" "$TUI_SCREEN" '10:31:40 .*bob'
tui_keys tl z
t_screen "z zooms to 5-minute buckets" tl 'bucket 10:30:00-10:35:00'
t_like "the axis says 5m" "$TUI_SCREEN" '^5m '
tui_keys tl Escape
# 15 of 17: the recording's two reverted findings are resolved, so hidden.
t_screen "Esc clears the bucket" tl ' 1/15 *$'
# Sources with a time window: only the files whose events overlap it.
tui_keys tl 4 /
tui_keys tl -l 'since:2024-05-27T10:45:00Z'
tui_keys tl Enter
t_screen "Sources keeps the file with events since 10:45" tl 'done +.*cloudtrail\.json'
t_unlike "and hides the one whose last event is 10:40" "$TUI_SCREEN" 'gcp-audit\.json'
t_like "the window is on the top line" "$TUI_SCREEN" '^ tfdrift replay .*/since:2024-05-27T10:45:00Z'
tui_keys tl Escape
t_screen "Esc shows every file again" tl 'gcp-audit\.json'
tui_keys tl q
t_tui_exit tl "the timeline run exits 0"

# A time window: --since/--until replay only what happened in it.
tui_start w 120 40 "$TFDRIFT" --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" --store "$T_TMP/w.db" \
    --since 2024-05-27T09:00:00Z --until 2024-05-27T09:30:00Z
t_screen "--since/--until: the window's findings" w 'replay done'
# 5 of the window's 6: alice's StartInstances (09:18) resolves her stop (09:16), hidden.
t_like "only those inside 09:00-09:30" "$TUI_SCREEN" ' 1/5 *$'
t_unlike "none before" "$(printf '%s\n' "$TUI_SCREEN" | sed -n 7,20p)" ' 0[78]:[0-9]{2}:[0-9]{2} | 10:[0-9]{2}:[0-9]{2} '
tui_keys w 4
t_screen "Sources counts what fell outside" w '[1-9][0-9]* outside --since/--until'
t_like "per file too" "$TUI_SCREEN" 'outside --since/--until [1-9][0-9]* '
tui_keys w q
t_tui_exit w "the window run exits 0"
# The same events twice (one file given twice): duplicates, counted per file, shown once.
tui_start dup 120 40 "$TFDRIFT" --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" \
    --events "$EX/cloudtrail.json" --store "$T_TMP/dup.db"
t_screen "the same file twice" dup 'replay done: 32 events'
tui_keys dup 4
t_screen "Sources counts the second copy's events as duplicates" dup 'duplicates 32 +outside'
t_like "and none in the first" "$TUI_SCREEN" 'duplicates 0 +outside'
tui_keys dup 2
t_screen "the Events view shows each event once" dup '32 write events: drift 12'
tui_keys dup q
t_tui_exit dup "the duplicate run exits 0"
# A JSON policy change is a line diff of the pretty-printed documents.
/usr/bin/python3 - "$TOP_SRCDIR/tests/scan" "$T_TMP" <<'EOF'
import json, sys
sys.path.insert(0, sys.argv[1])
import run_scenarios as rs
sc = [s for s in json.load(open(sys.argv[1] + "/scenarios/aws-more-fixed.json"))
      if s["name"].startswith("inline role policy widened")][0]
json.dump(rs.build_state(sc["state"]), open(sys.argv[2] + "/pol.tfstate", "w"))
json.dump({"Records": rs.build_events(sc["events"])}, open(sys.argv[2] + "/pol.json", "w"))
EOF
tui_start pol 100 40 "$TFDRIFT" --state "$T_TMP/pol.tfstate" --events "$T_TMP/pol.json" \
    --store "$T_TMP/pol.db"
# The second PutRolePolicy puts the state's document back: the finding resolves and is
# hidden; R shows it, with its diff.
t_screen "the policy run finishes, one finding resolved" pol 'resolved 1 \| replay done'
t_unlike "the resolved policy finding is hidden" "$(printf '%s\n' "$TUI_SCREEN" | grep -E '^ +(R +)?(CRIT|HIGH|MED|LOW|INFO) ')" \
    'aws_iam_role_policy\.inline'
tui_keys pol R
t_screen "the policy finding" pol '^ R +CRIT .* aws_iam_role_policy\.inline'
tui_keys pol g
t_screen "its diff is by line of the pretty-printed policy" pol '^ +\+ +"iam:PassRole"'
t_like "unchanged lines around it as context" "$TUI_SCREEN" '^ +  +"Action": \[$'
t_like "removals come before additions" "$(printf '%s\n' "$TUI_SCREEN" | grep -E '^ +[-+] +"' | head -1)" '^ +- +"ec2:Describe\*"$'
t_like "the attribute heads it" "$TUI_SCREEN" '~ policy:$'
tui_keys pol q
t_tui_exit pol "the policy run exits 0"

# Bad input never vanishes: a truncated file is reported (where, and what to do), counted on
# the status line and in Sources, and the other files are still read.
head -c 3000 "$EX/cloudtrail.json" > "$T_TMP/truncated.json"
tui_start bad 120 40 "$TFDRIFT" --state "$EX/prod.tfstate" --events "$T_TMP/truncated.json" \
    --events "$EX/cloudtrail.json" --store "$T_TMP/bad.db"
t_screen "a truncated file is reported with its name and position" bad 'truncated\.json:[0-9]+:[0-9]+: unexpected end of input'
t_like "the status line counts the failed file" "$TUI_SCREEN" '1 file FAILED'
t_screen "the good file is still read" bad 'replay done'
t_like "its findings are there" "$TUI_SCREEN" 'aws_kms_key\.data'
tui_keys bad 4
t_screen "Sources shows the failure and why" bad 'FAILED +.*truncated\.json'
tui_keys bad q
t_tui_exit bad "the run with a bad file exits 0"

# Bare `tfdrift` on a terminal: the dashboard on the configured sources.
cat > "$T_TMP/cfg.yaml" <<EOF
states: [$EX/prod.tfstate]
events: [$EX/cloudtrail.json]
store: $T_TMP/cfg.db
theme: monochrome
EOF
tui_start bare 100 30 "$TFDRIFT" -c "$T_TMP/cfg.yaml"
t_screen "tfdrift -c FILE opens the dashboard on the config's sources" bare 'replay done: [0-9]+ events'
t_like "with the config's state" "$TUI_SCREEN" 'aws_kms_key\.data'
tui_keys bare q
t_tui_exit bare "the configured dashboard exits 0"
tui_start opt 100 30 "$TFDRIFT" --theme light --store "$T_TMP/o.db" --state "$EX/prod.tfstate" \
    --events "$EX/cloudtrail.json"
t_screen "any dashboard option may come first" opt 'replay done: [0-9]+ events'
tui_keys opt q
t_tui_exit opt "and it exits 0"
t_exit "without a terminal bare tfdrift prints the usage" 1 "$TFDRIFT"
t_like "usage on stderr" "$T_ERR" '^usage: tfdrift'

t_exit "--until before --since is refused" 1 "$TFDRIFT" ui --state "$EX/prod.tfstate" \
    --events "$EX/cloudtrail.json" --since 2024-05-27T10:00:00Z --until 2024-05-27T09:00:00Z
t_like "with a message" "$T_ERR" 'after --since'
t_exit "a bad --since is refused" 1 "$TFDRIFT" ui --state "$EX/prod.tfstate" \
    --events "$EX/cloudtrail.json" --since yesterday
t_like "naming the option" "$T_ERR" '--since yesterday: expected a time'
t_done
