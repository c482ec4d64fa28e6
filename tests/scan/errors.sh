#!/bin/sh
# One error format everywhere: "tfdrift: FILE:LINE:COL: message" for a mistake in a file (a
# config, rules, a theme, an event map, events, a state), "tfdrift: message" otherwise. One
# broken file of each kind: every line on stderr is in the format, and the located one points
# at the line and column of the mistake.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
ex=$TOP_SRCDIR/doc/examples
XDG_CONFIG_HOME=$T_TMP/noconf
XDG_STATE_HOME=$T_TMP/state
export XDG_CONFIG_HOME XDG_STATE_HOME
cd "$T_TMP" || exit 1

located='^tfdrift: [^:]+:[0-9]+(:[0-9]+)?: .+$'

# check KIND EXIT LOCATED_LINE CMD...: CMD exits EXIT; stderr has the line LOCATED_LINE
# (exactly), which is in the located format; every other line starts "tfdrift: ".
check() {
	kind=$1 want_rc=$2 want=$3
	shift 3
	t_run "$@"
	err=$T_ERR
	t_is "$kind: exits $want_rc" "$T_RC" "$want_rc"
	t_is "$kind: the message is there, at its line and column" \
	    "$(printf '%s\n' "$err" | grep -xF -- "$want")" "$want"
	t_like "$kind: in the located format" "$want" "$located"
	t_unlike "$kind: every line of stderr starts 'tfdrift: '" "$err" '^(tfdrift: )?$|^([^t]|t[^f]|tf[^d]|tfd[^r]|tfdr[^i]|tfdri[^f]|tfdrif[^t]|tfdrift[^:])'
}

# The configuration: an unknown option on line 3.
printf '# tfdrift configuration\ntheme: default\nfrobnicate: 1\n' > config.yaml
check "config" 1 "tfdrift: config.yaml:3:1: unknown option 'frobnicate'" \
    "$TFDRIFT" -c config.yaml config check
# A YAML syntax error in it: libyaml's position.
printf 'theme: default\nstates: [a, b\n' > syntax.yaml
t_run "$TFDRIFT" -c syntax.yaml config check
t_like "config syntax error: located" "$T_ERR" '^tfdrift: syntax\.yaml:3:1: YAML syntax error: '

# A theme (the configured one): a slot given twice, the second at line 4, column 3.
printf 'name: bad\nslots:\n  header: {fg: red}\n  header: {fg: blue}\n' > theme.yaml
printf 'theme: %s/theme.yaml\n' "$T_TMP" > config-theme.yaml
check "theme" 1 "tfdrift: $T_TMP/theme.yaml:4:3: duplicate slot 'header' (first at line 3)" \
    "$TFDRIFT" -c config-theme.yaml config check

# Rules: a bad severity at line 5, column 15, and a key given twice at line 6.
cat > rules.yaml <<'EOF'
rules:
  - id: r1
    name: a rule
    resource_types: [aws_instance]
    severity: urgent
    name: again
EOF
check "rules" 1 "tfdrift: rules.yaml:5:15: bad severity 'urgent' (one of: critical, high, medium, low, info)" \
    "$TFDRIFT" rules check rules.yaml
t_like "rules: a key given twice is an error too" "$err" \
    "^tfdrift: rules\\.yaml:6:5: duplicate rule key 'name' \\(first at line 3\\)$"

# An event map: a misspelt key at line 5, column 5, with a suggestion.
printf 'provider: aws\nservice: s3\nevents:\n  - event: PutBucketTagging\n    resouce: aws_s3_bucket\n' > map.yaml
check "event map" 1 "tfdrift: map.yaml:5:5: unknown key in event entry 'resouce' (did you mean 'resource'?)" \
    "$TFDRIFT" rules check map.yaml

# Events: a missing ',' in a Records document, at json's position (line 2, column 32).
printf '{"Records": [\n  {"eventName": "RunInstances" "x": 1}\n]}\n' > events.json
check "events" 1 "tfdrift: events.json:2:32: invalid JSON: object value separator ',' expected; fix the file, or give one JSON record per line (JSON lines)" \
    "$TFDRIFT" scan --state "$ex/prod.tfstate" --events events.json -q -o /dev/null
# A malformed JSON line is a warning with its line and column; a bad record of a document
# says where it starts.
printf '{"eventName": "RunInstances"}\n{"eventName": x}\n' > events.jsonl
t_run "$TFDRIFT" scan --state "$ex/prod.tfstate" --events events.jsonl -o /dev/null
t_like "a malformed JSON line: its line and column" "$T_ERR" \
    '^tfdrift: warning: events\.jsonl:2:15: malformed JSON line: '
printf '{"Records": [\n  {"eventSource": "ec2.amazonaws.com"},\n  7\n]}\n' > records.json
t_run "$TFDRIFT" scan --state "$ex/prod.tfstate" --events records.json -o /dev/null
t_like "a record that is not an object: where it starts, and its index" "$T_ERR" \
    '^tfdrift: warning: records\.json:3:3: malformed record: record is not a JSON object \(records\.json#1\)$'

# A state: a trailing ',' (line 2, column 18).
printf '{"version": 4,\n "resources": [],}\n' > state.tfstate
check "state" 1 "tfdrift: state.tfstate:2:18: invalid JSON: unexpected character" \
    "$TFDRIFT" scan --state state.tfstate --events "$ex/cloudtrail.json" -q -o /dev/null

# Errors about no file: "tfdrift: message" (a usage error adds where to look).
nonfile() {
	what=$1
	shift
	t_run "$@"
	err=$T_ERR
	t_unlike "$what: fails" "$T_RC" '^0$'
	t_like "$what: 'tfdrift: message'" "$(printf '%s\n' "$err" | head -n 1)" '^tfdrift: [^ ]'
	t_unlike "$what: every line is 'tfdrift: ' or the pointer to the help" "$err" \
	    "^([^ts]|t[^f]|tf[^d]|tfd[^r]|tfdr[^i]|tfdri[^f]|tfdrif[^t]|tfdrift[^:]|s[^e]|se[^e])"
}
nonfile "an unknown option" "$TFDRIFT" scan --frobnicate
nonfile "scan without inputs" "$TFDRIFT" scan
nonfile "a missing events file" "$TFDRIFT" scan --state "$ex/prod.tfstate" --events nothere.json
nonfile "export of a store that is not there" "$TFDRIFT" export --store "$T_TMP/none.db"
nonfile "ack on a store that is not there" "$TFDRIFT" ack --store "$T_TMP/none.db" 0123abcd
nonfile "watch with no states" "$TFDRIFT" watch --once
nonfile "blame with a bad --format" "$TFDRIFT" blame --format xml --plan p.json --events events.json
nonfile "rules check of a missing file" "$TFDRIFT" rules check nothere.yaml
t_done
