#!/bin/sh
# The scan / rules / config commands from the outside: exit codes, formats, inputs, errors.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

state=$T_TMP/prod.tfstate
cat > "$state" <<'JSON'
{"version":4,"terraform_version":"1.5.7","serial":2,"lineage":"x","outputs":{},"resources":[
 {"mode":"managed","type":"aws_instance","name":"web","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":1,"attributes":{"id":"i-0abc","instance_type":"t3.micro","disable_api_termination":true}}]},
 {"mode":"managed","type":"aws_db_instance","name":"db","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":2,"attributes":{"id":"db-XYZ","identifier":"prod-db","instance_class":"db.t3.micro",
   "password":"correct-horse-battery-staple"},"sensitive_attributes":[[{"type":"get_attr","value":"password"}]]}]}]}
JSON
rec() { # rec ID TIME NAME PARAMS
	printf '{"eventVersion":"1.08","eventID":"%s","eventTime":"%s","eventSource":"%s","eventName":"%s","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.9","userAgent":"aws-cli/2.15.0 Python/3.11","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","userName":"bob","arn":"arn:aws:iam::111122223333:user/bob","accountId":"111122223333"},"requestParameters":%s}\n' "$1" "$2" "$3" "$4" "$5"
}
events=$T_TMP/events.jsonl
{
	rec e1 2024-05-27T09:00:00Z ec2.amazonaws.com ModifyInstanceAttribute '{"instanceId":"i-0abc","instanceType":{"value":"t3.large"}}'
	rec e2 2024-05-27T11:00:00Z ec2.amazonaws.com ModifyInstanceAttribute '{"instanceId":"i-0abc","disableApiTermination":{"value":false}}'
	rec e3 2024-05-27T12:00:00Z rds.amazonaws.com ModifyDBInstance '{"dBInstanceIdentifier":"prod-db","masterUserPassword":"****","dBInstanceClass":"db.r5.large"}'
} > "$events"
clean=$T_TMP/clean.jsonl
rec c1 2024-05-27T09:00:00Z ec2.amazonaws.com ModifyInstanceAttribute '{"instanceId":"i-0abc","instanceType":{"value":"t3.micro"}}' > "$clean"

t_run "$TFDRIFT" version
t_like "version" "$T_OUT" '^tfdrift [0-9]+\.[0-9]+'
t_exit "unknown command exits 1" 1 "$TFDRIFT" frobnicate
t_like "unknown command is named" "$T_ERR" "unknown command 'frobnicate'"
t_exit "--help exits 0" 0 "$TFDRIFT" --help
t_exit "scan --help exits 0" 0 "$TFDRIFT" scan --help
t_like "and lists scan's options" "$T_OUT" '^  -f, --format FMT'
t_exit "an unknown scan option exits 1" 1 "$TFDRIFT" scan --frobnicate
t_is "in one line and a pointer to the help" "$T_ERR" "tfdrift: unknown option --frobnicate
see 'tfdrift scan --help'"
t_exit "scan without inputs exits 1" 1 "$TFDRIFT" scan
t_like "and says what is missing" "$T_ERR" 'need at least one --state'

t_exit "drift exits 2" 2 "$TFDRIFT" scan --state "$state" --events "$events" --format jsonl
n=$(printf '%s\n' "$T_OUT" | grep -c '"kind"')
t_is "three findings as JSON lines" "$n" 3
t_like "summary on stderr" "$T_ERR" '3 findings \(3 modified, 0 unmanaged, 0 deleted\)'
t_unlike "sensitive value never printed (jsonl)" "$T_OUT$T_ERR" 'correct-horse'
t_exit "no drift exits 0" 0 "$TFDRIFT" scan --state "$state" --events "$clean" --format json
t_is "empty findings document" "$(printf '%s' "$T_OUT" | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')" 0

t_exit "text format" 2 env NO_COLOR=1 "$TFDRIFT" scan --state "$state" --events "$events" --format text
t_like "text shows the diff" "$T_OUT" 'instance_type: "t3.micro" → "t3.large"'
t_like "text shows who and how" "$T_OUT" 'by bob \(IAMUser\) via cli from 203.0.113.9'
t_unlike "no escape codes in text when not a terminal" "$T_OUT" "$(printf '\033')"
t_unlike "sensitive value never printed (text)" "$T_OUT" 'correct-horse'
t_exit "bad --format exits 1" 1 "$TFDRIFT" scan --state "$state" --events "$events" --format xml

t_exit "-o writes a file" 2 "$TFDRIFT" scan --state "$state" --events "$events" -o "$T_TMP/out.json"
t_ok "the file is a findings document" /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['schema']=='tfdrift.findings/v1' and len(d['findings'])==3" "$T_TMP/out.json"
t_is "nothing on stdout with -o" "$T_OUT" ""
t_exit "-o into a missing directory fails cleanly" 1 "$TFDRIFT" scan --state "$state" --events "$events" -o "$T_TMP/nope/out.json"

t_exit "--since/--until window" 2 "$TFDRIFT" scan --state "$state" --events "$events" --format jsonl \
    --since 2024-05-27T10:00:00Z --until 2024-05-27T11:30:00Z
n=$(printf '%s\n' "$T_OUT" | grep -c '"kind"')
t_is "only the event inside the window" "$n" 1
t_like "and it is the 11:00 one" "$T_OUT" 'disable_api_termination'
t_exit "bad --since exits 1" 1 "$TFDRIFT" scan --state "$state" --events "$events" --since yesterday-ish
t_like "and names the accepted forms" "$T_ERR" \
    '^tfdrift: --since yesterday-ish: expected a time \(2024-05-27T10:00:00Z, 17:30, or 2h ago as 2h\)$'

# Times as people type them, against a fixed now (19:00): HH:MM is the last time the UTC
# clock showed it, a duration is that long ago.
late=$T_TMP/late.jsonl
{ cat "$events"; rec e4 2024-05-27T18:00:00Z ec2.amazonaws.com ModifyInstanceAttribute '{"instanceId":"i-0abc","instanceType":{"value":"t3.xlarge"}}'; } > "$late"
at19() { env TFDRIFT_NOW=2024-05-27T19:00:00Z "$TFDRIFT" scan --state "$state" --events "$late" --format jsonl "$@"; }
t_exit "--since 17:30" 2 at19 --since 17:30
t_is "keeps only what happened after today's 17:30" "$(printf '%s\n' "$T_OUT" | grep -c '"kind"')" 1
t_like "the 18:00 change" "$T_OUT" 't3\.xlarge'
t_like "and counts the rest as outside the window" "$T_ERR" '3 outside --since/--until'
t_exit "--since 90m" 2 at19 --since 90m
t_is "90 minutes before 19:00 is 17:30 too" "$(printf '%s\n' "$T_OUT" | grep -c '"kind"')" 1
t_exit "--since 8h" 2 at19 --since 8h
t_is "8 hours back reaches 11:00 (inclusive)" "$(printf '%s\n' "$T_OUT" | grep -c '"kind"')" 3
t_exit "--since 2024-05-27 --until 09:30:00" 2 at19 --since 2024-05-27 --until 09:30:00
t_is "a date is its midnight, HH:MM:SS today's" "$(printf '%s\n' "$T_OUT" | grep -c '"kind"')" 1
t_exit "--since 09:00 at 08:00 is yesterday's" 2 env TFDRIFT_NOW=2024-05-28T08:00:00Z "$TFDRIFT" scan --state "$state" --events "$late" --format jsonl --since 09:00
t_is "so the whole day counts" "$(printf '%s\n' "$T_OUT" | grep -c '"kind"')" 4
t_exit "--since 17:30 --until 09:00 is backwards" 1 at19 --since 17:30 --until 09:00
t_like "and says which times it meant" "$T_ERR" \
    '^tfdrift: --until \(2024-05-27T09:00:00Z\) must be after --since \(2024-05-27T17:30:00Z\)'
t_exit "--since 24:00 exits 1" 1 at19 --since 24:00
t_exit "--since +2h (the future) exits 1" 1 at19 --since +2h
t_exit "export --since 25:61 exits 1" 1 "$TFDRIFT" export --store "$T_TMP/none.db" --since 25:61
t_like "with the same words" "$T_ERR" '^tfdrift: --since 25:61: expected a time \(2024-05-27T10:00:00Z, 17:30, or 2h ago as 2h\)$'

# Counts in the summary agree with their number: one of each is singular.
cat > "$T_TMP/one.tfstate" <<'JSON'
{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":"x","outputs":{},"resources":[
 {"mode":"managed","type":"aws_instance","name":"web","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":1,"attributes":{"id":"i-0abc","instance_type":"t3.micro"}}]}]}
JSON
sed -n 1p "$events" > "$T_TMP/one.jsonl"
t_exit "one event, one resource, one finding" 2 "$TFDRIFT" scan --state "$T_TMP/one.tfstate" --events "$T_TMP/one.jsonl" --format jsonl
t_like "the summary says so in the singular" "$T_ERR" \
    '^tfdrift: 1 event from 1 file against 1 resource in 1 state: 1 finding \(1 modified, 0 unmanaged, 0 deleted\)$'
{ sed -n 1p "$events"; sed -n 1p "$events"; echo '{"hello":"world"}'; } > "$T_TMP/dup.jsonl"
t_exit "a duplicate and a record that is not an event" 2 "$TFDRIFT" scan --state "$T_TMP/one.tfstate" --events "$T_TMP/dup.jsonl" --format jsonl
t_like "one duplicate" "$T_ERR" ', 1 duplicate, '
t_like "one record skipped" "$T_ERR" '^tfdrift: skipped 1 record that is not an audit event, 0 malformed'

gzip -c "$events" > "$T_TMP/events.jsonl.gz"
t_exit "gzip input" 2 "$TFDRIFT" scan --state "$state" --events "$T_TMP/events.jsonl.gz" --format jsonl
t_is "gzip gives the same findings" "$(printf '%s\n' "$T_OUT" | grep -c '"kind"')" 3
t_run sh -c "cat '$events' | '$TFDRIFT' scan --state '$state' --events - --format jsonl"
t_is "stdin input (-)" "$T_RC $(printf '%s\n' "$T_OUT" | grep -c '"kind"')" "2 3"

# Bad input: reported with file and position, never a crash, never silently dropped.
{ cat "$events"; echo '{"eventVersion":"1.08", "eventName": oops}'; rec e9 2024-05-27T13:00:00Z ec2.amazonaws.com ModifyInstanceAttribute '{"instanceId":"i-0abc","instanceType":{"value":"t3.2xlarge"}}'; } > "$T_TMP/bad.jsonl"
t_exit "a malformed line does not stop the scan" 2 "$TFDRIFT" scan --state "$state" --events "$T_TMP/bad.jsonl" --format jsonl
t_like "it is reported with file and line" "$T_ERR" 'bad.jsonl:4'
t_is "records after it are still read" "$(printf '%s\n' "$T_OUT" | grep -c '"kind"')" 4
t_like "and counted in the summary" "$T_ERR" '1 malformed'
printf '{"Records":[{"eventVersion":"1.08","eventID":"t1","eventName":"Mod' > "$T_TMP/truncated.json"
t_exit "a truncated file is an error" 1 "$TFDRIFT" scan --state "$state" --events "$T_TMP/truncated.json"
t_like "naming the file and position" "$T_ERR" 'truncated.json:1:[0-9]+'
t_exit "a missing events file is an error" 1 "$TFDRIFT" scan --state "$state" --events "$T_TMP/missing.json"
t_like "naming it" "$T_ERR" 'missing.json'
: > "$T_TMP/empty.tfstate"
t_exit "an empty state stops the scan" 1 "$TFDRIFT" scan --state "$T_TMP/empty.tfstate" --events "$events"
t_like "with the file and the reason" "$T_ERR" 'empty.tfstate: .*empty'
printf '{"version":4,"resources":[' > "$T_TMP/cut.tfstate"
t_exit "a truncated state stops the scan" 1 "$TFDRIFT" scan --state "$T_TMP/cut.tfstate" --events "$events"
t_like "with line and column" "$T_ERR" 'cut.tfstate:1:[0-9]+: invalid JSON'
t_exit "a remote state is explained, not attempted" 1 "$TFDRIFT" scan --state s3://corp/prod.tfstate --events "$events"
t_like "with what to do" "$T_ERR" 'terraform state pull'

# config and rules commands
t_exit "config check with defaults" 0 env XDG_CONFIG_HOME="$T_TMP/noconf" "$TFDRIFT" config check
t_like "prints every option" "$T_OUT" '^terraform_user_agents:'
printf 'states: [a.tfstate]\nsevrity_deleted: high\nstate_refresh: soon\n' > "$T_TMP/bad.yaml"
t_exit "a bad config exits 1" 1 "$TFDRIFT" -c "$T_TMP/bad.yaml" config check
t_like "unknown key with position" "$T_ERR" 'bad.yaml:2:1: .*sevrity_deleted'
t_like "bad duration with position" "$T_ERR" 'bad.yaml:3:[0-9]+: .*soon'
t_exit "scan refuses a bad config too" 1 "$TFDRIFT" -c "$T_TMP/bad.yaml" scan --state "$state" --events "$events"
printf 'terraform_user_agents: [aws-cli/]\n' > "$T_TMP/pipeline.yaml"
t_exit "configured pipeline user agents make CLI calls not drift" 0 "$TFDRIFT" -c "$T_TMP/pipeline.yaml" scan --state "$state" --events "$events" --format jsonl
# doc/config.md carries the defaults exactly as `config check` prints them.
t_run env -i HOME='~' PATH="$PATH" XDG_CONFIG_HOME=/nonexistent TFDRIFT_DATADIR='<datadir>' "$TFDRIFT" config check
printf '%s\n' "$T_OUT" > "$T_TMP/dump.yaml"
sed -n '/^```yaml$/,/^```$/p' "$TOP_SRCDIR/doc/config.md" > "$T_TMP/doc-all.yaml"
awk '/^# tfdrift configuration/{on=1} on{print} /^sources:/{exit}' "$T_TMP/doc-all.yaml" > "$T_TMP/doc.yaml"
t_ok "doc/config.md lists the options and defaults config check prints" cmp "$T_TMP/dump.yaml" "$T_TMP/doc.yaml"
# Every example in doc/config.md is a valid configuration.
awk -v dir="$T_TMP" '/^```yaml$/{n++; on=1; next} /^```$/{on=0} on && n > 1 {print > (dir "/example-" n ".yaml")}' \
    "$TOP_SRCDIR/doc/config.md"
for ex in "$T_TMP"/example-*.yaml; do
	t_ok "doc/config.md example $(basename "$ex") passes config check" "$TFDRIFT" config check -c "$ex"
done
# The dashboard's keys: one table gives the help, `tfdrift keys` and the man page's KEYS.
t_run "$TFDRIFT" keys
t_is "tfdrift keys exits 0" "$T_RC" 0
t_like "it lists the keys with their help" "$T_OUT" '^  \| +open the selected item.s full text in \$PAGER'
t_like "and the : commands" "$T_OUT" '^  :save-view NAME +save this view'
t_run "$TFDRIFT" keys --man
awk '/^\.\\" Made by `tfdrift keys --man`/{on=1; next} /^\.\\" End of the keys\./{on=0} on' \
    "$TOP_SRCDIR/doc/tfdrift.1.in" > "$T_TMP/man-keys"
printf '%s\n' "$T_OUT" > "$T_TMP/keys-man"
t_ok "the man page's KEYS are the key table's (make man-keys)" cmp "$T_TMP/keys-man" "$T_TMP/man-keys"
t_exit "tfdrift keys takes only --man" 1 "$TFDRIFT" keys --html
# Duplicate resources in a state (failure 9): one instance under two addresses, one address
# twice. Each is counted once and named in a warning; no finding id comes twice.
dup=$T_TMP/dup.tfstate
cat > "$dup" <<'JSON'
{"version":4,"terraform_version":"1.5.7","serial":2,"lineage":"d","outputs":{},"resources":[
 {"mode":"managed","type":"aws_instance","name":"web","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":1,"attributes":{"id":"i-0abc","instance_type":"t3.micro","disable_api_termination":true}}]},
 {"mode":"managed","type":"aws_instance","name":"web_again","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":1,"attributes":{"id":"i-0abc","instance_type":"t3.micro","disable_api_termination":true}}]},
 {"mode":"managed","type":"aws_db_instance","name":"db","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":2,"attributes":{"id":"db-XYZ","identifier":"prod-db","instance_class":"db.t3.micro"}}]},
 {"mode":"managed","type":"aws_db_instance","name":"db","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]",
  "instances":[{"schema_version":2,"attributes":{"id":"db-XYZ","identifier":"prod-db","instance_class":"db.t3.micro"}}]}]}
JSON
t_exit "a state with duplicates: drift exits 2" 2 "$TFDRIFT" scan --state "$dup" --events "$events" --format jsonl
t_like "... one instance under two addresses is named" "$T_ERR" "^tfdrift: warning: .*dup.tfstate: aws_instance.web and aws_instance.web_again are the same aws_instance \\(i-0abc\\); counted once, as aws_instance.web$"
t_like "... so is one address twice" "$T_ERR" "^tfdrift: warning: .*dup.tfstate: aws_db_instance.db is in the state twice; counted once$"
t_like "... each counted once" "$T_ERR" 'against 2 resources in 1 state: 3 findings \(3 modified'
t_is "... no finding id twice" "$(printf '%s\n' "$T_OUT" | sed 's/^{"id":"\([0-9a-f]*\)".*/\1/' | sort | uniq -d)" ""
t_exit "the same state given twice" 2 "$TFDRIFT" scan --state "$state" --state "$state" --events "$events" --format jsonl
t_like "... is read once" "$T_ERR" "warning: .*prod.tfstate is given twice; read once"
t_like "... and counted once" "$T_ERR" 'against 2 resources in 2 states: 3 findings'

# ---- hostile inputs: every reader stops at its limit, quickly, in bounded memory ----
# `bounded CMD...`: at most 20 s and 1 GB of address space, so a reader that reads without
# end fails the test instead of eating the machine.
# (Under ASan the address-space limit cannot hold its shadow memory: there the time limit
# alone, and ASan's own allocator limit, apply.)
if grep -qa __asan_init "$TFDRIFT" 2> /dev/null; then
	bounded() {
		timeout 20 "$@"
	}
else
	bounded() {
		sh -c 'ulimit -v 1048576; exec timeout 20 "$@"' bounded "$@"
	}
fi
t_exit "scan --events /dev/zero exits 1" 1 bounded "$TFDRIFT" scan --state "$state" --events /dev/zero
t_like "... at its first byte, saying why" "$T_ERR" '/dev/zero:1:1: invalid JSON: a NUL byte \(binary data'
t_exit "scan --state /dev/zero exits 1" 1 bounded "$TFDRIFT" scan --state /dev/zero --events "$events"
t_like "... a state must be a regular file" "$T_ERR" '/dev/zero: not a regular file \(a character device\)'
t_exit "-c /dev/zero exits 1" 1 bounded "$TFDRIFT" -c /dev/zero scan --state "$state" --events "$events"
t_like "... larger than the limit for a configuration file" "$T_ERR" '/dev/zero: larger than 1 MiB, the limit for a configuration file'
truncate -s 513M "$T_TMP/huge.tfstate"
t_exit "a state past 512 MiB exits 1" 1 bounded "$TFDRIFT" scan --state "$T_TMP/huge.tfstate" --events "$events"
t_like "... unread, naming the limit" "$T_ERR" 'huge.tfstate: larger than 512 MiB, the limit for a Terraform state'
rm -f "$T_TMP/huge.tfstate"
# jsonl, text and csv are written as findings are made (not held to the end): from an events
# FIFO the findings of what was written come out while the writer still holds it open; it
# closes it only once they are there (or gives up after 10 s: then scan, holding them, would
# print them only at the end).
mkfifo "$T_TMP/live"
for fmt in jsonl text csv; do
	rm -f "$T_TMP/streamed"
	(
		exec 3> "$T_TMP/live"
		cat "$events" >&3
		n=0
		while [ $n -lt 100 ] && ! grep -q 'i-0abc' "$T_TMP/.out" 2>/dev/null; do
			sleep 0.1
			n=$((n + 1))
		done
		[ $n -lt 100 ] && : > "$T_TMP/streamed"
	) &
	writer=$!
	t_exit "scan --format $fmt from a FIFO: drift exits 2" 2 bounded "$TFDRIFT" scan --state "$state" --events "$T_TMP/live" --format "$fmt"
	# A scan that failed before opening the FIFO leaves the writer blocked in its open.
	kill "$writer" 2> /dev/null
	wait
	t_like "... the summary counts them" "$T_ERR" '3 findings \(3 modified, 0 unmanaged, 0 deleted\)'
	t_ok "... its findings came out before the input ended" test -e "$T_TMP/streamed"
done
rm -f "$T_TMP/live"
# A small .gz that expands to one 40 MiB line with no newline.
{ printf '{"Records":[{"eventName":"x","pad":"'; head -c $((40 * 1024 * 1024)) /dev/zero | tr '\0' a; } | gzip -1 > "$T_TMP/bomb.json.gz"
t_exit "a gzip bomb of one endless line exits 1" 1 bounded "$TFDRIFT" scan --state "$state" --events "$T_TMP/bomb.json.gz"
t_like "... stopped at the record limit" "$T_ERR" 'bomb.json.gz:1:13: a record larger than 16 MiB, the limit for one audit record'
rm -f "$T_TMP/bomb.json.gz"
# FIFOs (failure 10): a state FIFO is refused at once; an events FIFO is a stream, read as
# it comes, and one nobody writes to ends with a message after TFDRIFT_INPUT_TIMEOUT.
# Out of memory names the input being read (TFDRIFT_TEST_ALLOC_LIMIT makes it happen: every
# allocation above 1 MB fails).
pad=$(head -c 2000000 /dev/zero | tr '\0' x)
printf '{"version":4,"serial":1,"lineage":"x","resources":[{"mode":"managed","type":"aws_instance","name":"w","provider":"provider[\\"registry.terraform.io/hashicorp/aws\\"]","instances":[{"attributes":{"id":"i-1","user_data":"%s"}}]}]}' "$pad" > "$T_TMP/big.tfstate"
printf '{"eventName":"RunInstances","eventSource":"ec2.amazonaws.com","pad":"%s"}\n' "$pad" > "$T_TMP/big.jsonl"
t_exit "out of memory reading a state exits 1" 1 env TFDRIFT_TEST_ALLOC_LIMIT=1000000 "$TFDRIFT" scan --state "$T_TMP/big.tfstate" --events "$events"
t_like "... naming the state" "$T_ERR" '^tfdrift: fatal: out of memory \([0-9]+ bytes\) while reading .*/big.tfstate$'
t_exit "out of memory reading events exits 1" 1 env TFDRIFT_TEST_ALLOC_LIMIT=1000000 "$TFDRIFT" scan --state "$state" --events "$T_TMP/big.jsonl"
t_like "... naming the events file" "$T_ERR" '^tfdrift: fatal: out of memory \([0-9]+ bytes\) while reading .*/big.jsonl$'
rm -f "$T_TMP/big.tfstate" "$T_TMP/big.jsonl"
mkfifo "$T_TMP/fifo"
t_exit "a state FIFO exits 1 at once" 1 bounded "$TFDRIFT" scan --state "$T_TMP/fifo" --events "$events"
t_like "... not a regular file" "$T_ERR" 'fifo: not a regular file \(a FIFO\); give a file, or - to read standard input'
t_exit "an events FIFO nobody writes to exits 1" 1 bounded env TFDRIFT_INPUT_TIMEOUT=500ms "$TFDRIFT" scan --state "$state" --events "$T_TMP/fifo"
t_like "... after the timeout, naming it" "$T_ERR" 'fifo:1: nothing was written to it for 500ms \(a FIFO with no writer\?\)'
cat "$events" > "$T_TMP/fifo" &
t_exit "an events FIFO with a writer is read" 2 bounded "$TFDRIFT" scan --state "$state" --events "$T_TMP/fifo" --format jsonl
t_is "... all its findings" "$(printf '%s\n' "$T_OUT" | grep -c '"kind"')" 3
wait
t_done
