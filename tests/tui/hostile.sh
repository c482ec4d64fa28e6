#!/bin/sh
# Escape sequences in logged strings never reach the terminal: a tag key and value, a user
# name and a resource id that hold OSC (set the title), CSI (colour, clear the screen), C1
# CSI (U+009B) and bytes that are not UTF-8, shown by the real dashboard in tmux. The pane
# keeps its title, no logged colour is drawn, the text shows '?' where a control was, and
# the pager (less -R passes escapes through) gets them written out (\x1b); the Sources view
# counts the events whose text was repaired.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
. "$TOP_SRCDIR/tests/tui/tui.sh"
plan_start
tui_need_tmux

TFDRIFT_NOW=2024-05-27T12:00:00Z
export TFDRIFT_NOW
ESC=$(printf '\033')

cat > "$T_TMP/s.tfstate" <<'EOF'
{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":"hostile","outputs":{},"resources":[
{"mode":"managed","type":"aws_instance","name":"web","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
 "instances":[{"schema_version":1,"attributes":{"id":"i-0abc1","instance_type":"t3.micro","tags":{"Name":"web"}},"sensitive_attributes":[]}]}]}
EOF
# Raw ESC and BEL bytes inside JSON strings (json-c reads them), escaped ones (\u001b), the
# C1 CSI as UTF-8 (\u009b) and two bytes that are not UTF-8 (\377\376).
printf '%s\n' \
 '{"eventVersion":"1.08","eventID":"h1","eventTime":"2024-05-27T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"CreateTags","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mal\u001b[31mREDNAME\u009b32mGREEN"},"requestParameters":{"resourcesSet":{"items":[{"resourceId":"i-0abc1"}]},"tagSet":{"items":[{"key":"Own\u001b]2;PWNEDKEY\u0007er","value":"v\u001b]2;PWNEDVAL\u0007\u001b[41mREDBG"}]}},"responseElements":null}' \
 > "$T_TMP/e.jsonl"
printf '{"eventVersion":"1.08","eventID":"h2","eventTime":"2024-05-27T10:01:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-east-1","readOnly":false,"recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/x","userName":"eve\033]2;PWNEDRAW\007\377\376"},"requestParameters":{"instanceType":"t3.micro"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-\033[2J\033[HCLEARED"}]}}}\n' \
 >> "$T_TMP/e.jsonl"

cat > "$T_TMP/pager" <<EOF
#!/bin/sh
cp "\$1" '$T_TMP/paged.txt'
EOF
chmod +x "$T_TMP/pager"

tui_start h 140 40 env PAGER="$T_TMP/pager" "$TFDRIFT" ui --state "$T_TMP/s.tfstate" \
    --events "$T_TMP/e.jsonl" --store "$T_TMP/h.db"
t_screen "the dashboard shows the hostile findings" h 'replay done: [0-9]+ events' 20
t_like "both findings are listed" "$TUI_SCREEN" ' 1/2 *$'
title=$(tmx display-message -p -t '=tui:=h' '#{pane_title}')
t_unlike "no logged OSC set the pane's title" "$title" 'PWNED'
S=$(tmx capture-pane -e -p -t '=tui:=h')
t_unlike "no logged colour is drawn" "$S" "${ESC}\\[(31|41|32)mRED|${ESC}\\[(31|41|32)m(REDNAME|REDBG|GREEN)"
t_like "the list shows '?' where the controls were" "$TUI_SCREEN" 'i-\?\[2J\?\[HCLEARED|eve\?\]2;PWNEDRAW\?'
t_like "the screen was not cleared: the top line is there" "$TUI_SCREEN" '^ tfdrift '

# The detail of each finding: the tag's key and value, the actors.
tui_keys h g
t_screen "the newest finding's detail" h 'CLEARED'
S=$(tmx capture-pane -e -p -t '=tui:=h')
t_unlike "its id is drawn, not run" "$S" "${ESC}\\[2J"
tui_keys h j
t_screen "the tagged instance's detail shows the tag" h 'PWNEDVAL'
t_like "as JSON, its controls escaped" "$TUI_SCREEN" '"Own\\u001b\]2;PWNEDKEY\\u0007er":"v\\u001b\]2;PWNEDVAL'
t_like "and the user name too" "$TUI_SCREEN" 'mal\?\[31mREDNAME\?32mGREEN'
S=$(tmx capture-pane -e -p -t '=tui:=h')
t_unlike "no logged colour in the detail" "$S" "${ESC}\\[(31|41|32)m(REDNAME|REDBG|GREEN)"
title=$(tmx display-message -p -t '=tui:=h' '#{pane_title}')
t_unlike "the title is still not set" "$title" 'PWNED'

# The pager is less -R by default: the text it gets has the escapes written out.
tui_keys h '|'
_i=0
while [ ! -s "$T_TMP/paged.txt" ] && [ "$_i" -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
t_ok "| hands the detail to the pager" test -s "$T_TMP/paged.txt"
t_run sh -c "LC_ALL=C tr -d '\\n' < '$T_TMP/paged.txt' | LC_ALL=C grep -c '[[:cntrl:]]'"
t_is "no control byte in the pager's text but newlines" "$T_OUT" 0
t_ok "the escape is written out" grep -qF 'who: mal\x1b[31mREDNAME\u009b32mGREEN (IAMUser)' "$T_TMP/paged.txt"
t_ok "the tag is JSON, its controls escaped" grep -qF '"Own\u001b]2;PWNEDKEY\u0007er":"v\u001b]2;PWNEDVAL' "$T_TMP/paged.txt"
t_screen "the dashboard comes back" h '^ tfdrift '

# The Events view: the actor column and the raw record.
tui_keys h 2
t_screen "2 opens the Events view" h 'CreateTags'
S=$(tmx capture-pane -e -p -t '=tui:=h')
t_unlike "no logged colour in the events" "$S" "${ESC}\\[(31|41|32)m(REDNAME|REDBG|GREEN)"
title=$(tmx display-message -p -t '=tui:=h' '#{pane_title}')
t_unlike "nor a title" "$title" 'PWNED'
# The Sources view says what was repaired.
tui_keys h 4
t_screen "4: the file's text that was not UTF-8 is counted" h '1 event had text that is not UTF-8 \(or a NUL\): shown with U\+FFFD'
tui_keys h q
t_tui_exit h "the dashboard exits 0"
t_done
