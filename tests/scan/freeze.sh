#!/bin/sh
# Change-freeze windows end to end on doc/examples: config windows, --freeze, store windows
# (tfdrift freeze add/list/end), violations, severity bumps, exemptions, the schema.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
ex=$TOP_SRCDIR/doc/examples
schema=$TOP_SRCDIR/doc/findings.schema.json
XDG_CONFIG_HOME=$T_TMP/noconf
XDG_STATE_HOME=$T_TMP/state
export XDG_CONFIG_HOME XDG_STATE_HOME
unset TFDRIFT_NOW
scan() { "$TFDRIFT" scan --state "$ex/prod.tfstate" --state "$ex/gcp.tfstate" \
    --events "$ex/cloudtrail.json" --events "$ex/gcp-audit.json" "$@"; }
# q FILE EXPR: evaluate a Python expression over the findings (f: the list) and print it.
q() { /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d["findings"] if isinstance(d, dict) else d
def by(kind, name, t=None):
    return [x for x in f if x["kind"] == kind and x["event"]["name"] == name and (t is None or x["event"]["time"].startswith(t))]
print(eval(sys.argv[2]))' "$@"; }

# A window over part of the morning, from the config (the default severities: the rule
# packs, tested in rules.sh, would raise some).
cat > "$T_TMP/freeze.yaml" <<'EOF'
rules_disabled: ["*"]
freeze_windows:
  - name: morning
    start: 2024-05-27T09:15:00Z
    end: 2024-05-27T10:00:00Z
EOF
t_exit "scan with a config freeze window finds drift" 2 scan -c "$T_TMP/freeze.yaml" --format json -o "$T_TMP/m.json"
t_run scan -c "$T_TMP/freeze.yaml" --format json -o /dev/null
t_like "the summary counts the violations" "$T_ERR" '1 change-freeze window: 14 freeze violations'
t_is "14 writes by people in the window are violations" "$(q "$T_TMP/m.json" 'len([x for x in f if x["kind"] == "freeze_violation"])')" 14
t_is "every violation names the window" "$(q "$T_TMP/m.json" 'sorted(set(x["freeze"]["name"] for x in f if x["kind"] == "freeze_violation"))')" "['morning']"
t_is "every violation is inside [start, end)" "$(q "$T_TMP/m.json" 'all("2024-05-27T09:15:00Z" <= x["event"]["time"] < "2024-05-27T10:00:00Z" for x in f if x["kind"] == "freeze_violation")')" True
t_is "violation summary" "$(q "$T_TMP/m.json" 'by("freeze_violation", "StopInstances")[0]["summary"]')" "StopInstances during change freeze morning"
t_is "violation severity defaults to high" "$(q "$T_TMP/m.json" 'sorted(set(x["severity"] for x in f if x["kind"] == "freeze_violation"))')" "['high']"
t_is "violation names the managed resource" "$(q "$T_TMP/m.json" 'by("freeze_violation", "StopInstances")[0]["resource"]["address"]')" "module.app.aws_instance.web[1]"
t_is "a write equal to state (StartInstances) is a violation" "$(q "$T_TMP/m.json" 'len(by("freeze_violation", "StartInstances"))')" 1
t_is "so is PutBucketPolicy with the same policy" "$(q "$T_TMP/m.json" 'len(by("freeze_violation", "PutBucketPolicy")) + len(by("modified", "PutBucketPolicy"))')" 1
t_is "a GCP write in the window (one per operation)" "$(q "$T_TMP/m.json" 'len(by("freeze_violation", "v1.compute.firewalls.patch"))')" 1
t_is "failed calls are exempt" "$(q "$T_TMP/m.json" 'len(by("freeze_violation", "AttachRolePolicy")) + len(by("freeze_violation", "v1.compute.instances.setMetadata"))')" 0
t_is "drift in the window ranks one higher (medium -> high)" "$(q "$T_TMP/m.json" 'by("modified", "ModifyInstanceAttribute", "2024-05-27T09:18")[0]["severity"]')" high
t_is "and carries the window" "$(q "$T_TMP/m.json" 'by("modified", "ModifyInstanceAttribute", "2024-05-27T09:18")[0]["freeze"]')" "{'name': 'morning', 'start': '2024-05-27T09:15:00Z', 'end': '2024-05-27T10:00:00Z'}"
t_is "high drift in the window becomes critical" "$(q "$T_TMP/m.json" 'by("modified", "v1.compute.firewalls.patch")[0]["severity"]')" critical
t_is "drift a minute before the window keeps its severity and has no freeze" "$(q "$T_TMP/m.json" '[(x["severity"], "freeze" in x) for x in by("modified", "AuthorizeSecurityGroupIngress")]')" "[('high', False)]"
t_is "drift after the window keeps its severity" "$(q "$T_TMP/m.json" '[(x["severity"], "freeze" in x) for x in by("unmanaged", "CreateBucket")]')" "[('low', False)]"
scan --format json -o "$T_TMP/plain.json" 2>/dev/null
t_is "without windows: no violation, no freeze member" "$(q "$T_TMP/plain.json" 'len([x for x in f if x["kind"] == "freeze_violation" or "freeze" in x])')" 0
t_is "without windows the same drift is medium" "$(q "$T_TMP/plain.json" 'by("modified", "ModifyInstanceAttribute", "2024-05-27T09:18")[0]["severity"]')" medium
t_is "drift ids do not change with a window" "$(q "$T_TMP/m.json" 'sorted(x["id"] for x in f if x["kind"] != "freeze_violation")')" "$(q "$T_TMP/plain.json" 'sorted(x["id"] for x in f)')"

# --freeze, scopes and exemptions.
t_exit "--freeze over the pipeline's apply and the autoscaling churn" 2 scan --freeze "apply=2024-05-27T07:30:00Z..2024-05-27T07:50:00Z" --format json -o "$T_TMP/apply.json"
t_is "the Terraform pipeline and cloud services are exempt" "$(q "$T_TMP/apply.json" 'len([x for x in f if x["kind"] == "freeze_violation"])')" 0
cat > "$T_TMP/iam.yaml" <<'EOF'
freeze_windows:
  - name: iam
    start: 2024-05-27T09:00:00Z
    end: 2024-05-27T11:00:00Z
    accounts: ["1111*"]
    regions: [us-east-1]
    resource_types: [aws_iam_*]
  - name: gcp-only
    start: 2024-05-27T10:10:00Z
    end: 2024-05-27T10:20:00Z
    projects: [corp-prod-*]
EOF
t_exit "scoped windows" 2 scan -c "$T_TMP/iam.yaml" --format json -o "$T_TMP/iam.json"
t_is "type/account/region scope: only the IAM writes" "$(q "$T_TMP/iam.json" 'sorted(x["event"]["name"] for x in f if x["kind"] == "freeze_violation" and x["freeze"]["name"] == "iam")')" "['CreateAccessKey', 'CreateUser']"
t_is "project scope: only GCP writes" "$(q "$T_TMP/iam.json" 'sorted(x["event"]["name"] for x in f if x["kind"] == "freeze_violation" and x["freeze"]["name"] == "gcp-only")')" "['beta.compute.firewalls.patch', 'storage.buckets.delete']"
t_is "the unmanaged IAM user ranks one higher" "$(q "$T_TMP/iam.json" 'by("unmanaged", "CreateUser")[0]["severity"]')" "$(q "$T_TMP/plain.json" '{"low": "medium", "medium": "high", "high": "critical", "critical": "critical"}[by("unmanaged", "CreateUser")[0]["severity"]]')"

# Walking a past window: --since/--until with the window lists every change in it.
t_exit "review a past window" 2 scan --since 2024-05-27T09:15:00Z --until 2024-05-27T10:00:00Z --freeze "morning=2024-05-27T09:15:00Z..2024-05-27T10:00:00Z" --format jsonl -o "$T_TMP/review.jsonl"
t_is "every change in the window is listed" "$(/usr/bin/python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l)["kind"] == "freeze_violation"))' "$T_TMP/review.jsonl")" 14

# Bad input.
t_exit "a bad --freeze exits 1" 1 scan --freeze "cab=2024-05-27T12:00:00Z..2024-05-27T08:00:00Z"
t_like "saying why" "$T_ERR" 'cab: the end is not after the start'
t_exit "--freeze without .. exits 1" 1 scan --freeze "cab"
t_like "with the form" "$T_ERR" 'NAME=START..END'
printf 'freeze_windows:\n  - name: x\n    start: 2024-05-27T09:00:00Z\n    ends: 2024-05-27T10:00:00Z\n  - start: 2024-05-27T09:00:00Z\n    end: 2024-05-27T08:00:00Z\n' > "$T_TMP/bad.yaml"
t_exit "a bad freeze window in the config exits 1" 1 "$TFDRIFT" -c "$T_TMP/bad.yaml" config check
t_like "unknown key with position and a suggestion" "$T_ERR" "bad.yaml:4:5: unknown key in freeze_windows item 1 'ends' \\(did you mean 'end'\\?\\)"
t_like "missing name with position" "$T_ERR" 'bad.yaml:5:5: freeze_windows item 2 has no name'
t_exit "config check prints the windows" 0 "$TFDRIFT" -c "$T_TMP/iam.yaml" config check
t_like "name" "$T_OUT" '  - name: "iam"'
t_like "scope" "$T_OUT" '    resource_types: \["aws_iam_\*"\]'
printf '%s\n' "$T_OUT" > "$T_TMP/dump.yaml"
t_exit "and what it prints loads back" 0 "$TFDRIFT" -c "$T_TMP/dump.yaml" config check

# Store windows: tfdrift freeze add/list/end, then scan --store applies them.
db=$T_TMP/t.db
t_exit "freeze add" 0 env TFDRIFT_NOW=2024-05-27T09:00:00Z "$TFDRIFT" freeze add late --from 2024-05-27T10:00:00Z --until 2024-05-27T11:00:00Z --type 'aws_iam_*' --store "$db"
t_like "prints the window id" "$T_OUT" '^[0-9]+$'
t_like "and what it saved" "$T_ERR" 'planned \(in 1h00m\) +late 2024-05-27T10:00:00Z\.\.2024-05-27T11:00:00Z resource_types=aws_iam_\*'
t_exit "the same name again is refused" 1 env TFDRIFT_NOW=2024-05-27T09:00:00Z "$TFDRIFT" freeze add late --until 2h --store "$db"
t_exit "freeze list" 0 env TFDRIFT_NOW=2024-05-27T10:30:00Z "$TFDRIFT" freeze list --store "$db"
t_like "shows it active with the time left" "$T_OUT" '^active \(30m left\) +late '
t_exit "scan --store applies stored windows" 2 scan --store "$db" --format json -o "$T_TMP/st.json"
t_is "the stored window's violations" "$(q "$T_TMP/st.json" 'sorted(x["event"]["name"] for x in f if x["kind"] == "freeze_violation")')" "['CreateAccessKey', 'CreateUser']"
t_exit "freeze end" 0 env TFDRIFT_NOW=2024-05-27T10:30:00Z "$TFDRIFT" freeze end late --store "$db"
t_exit "freeze list --all" 0 env TFDRIFT_NOW=2024-05-27T10:31:00Z "$TFDRIFT" freeze list --all --store "$db"
t_like "shows it ended at the time it was ended" "$T_OUT" '^ended +late 2024-05-27T10:00:00Z\.\.2024-05-27T10:30:00Z'
t_exit "ending an unknown window exits 1" 1 "$TFDRIFT" freeze end nope --store "$db"
t_exit "freeze add without --until exits 1" 1 "$TFDRIFT" freeze add x --store "$db"
t_exit "freeze add --until 10:30:30 at 10:31 is tomorrow's" 0 env TFDRIFT_NOW=2024-05-27T10:31:00Z "$TFDRIFT" freeze add nightly --until 10:30:30 --store "$db"
t_like "as saved" "$T_ERR" 'nightly 2024-05-27T10:31:00Z\.\.2024-05-28T10:30:30Z'
t_exit "freeze add --until 24:00 exits 1" 1 "$TFDRIFT" freeze add x --until 24:00 --store "$db"
t_like "naming the forms of an end" "$T_ERR" 'until 24:00: expected a time \(2024-05-27T18:00:00Z, 17:30, or 2h from now as 2h\)'

# The JSON validates against the schema.
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	v() { /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" "$schema" "$@"; }
	t_ok "findings with violations and bumps validate" v "$T_TMP/m.json"
	t_ok "scoped windows validate" v "$T_TMP/iam.json"
	t_ok "JSON lines of a reviewed window validate" v "$T_TMP/review.jsonl" --jsonl
	/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["findings"]:
    if x["kind"] == "freeze_violation":
        del x["freeze"]
json.dump(d, open(sys.argv[2], "w"))' "$T_TMP/m.json" "$T_TMP/nofreeze.json"
	t_ok "the schema requires freeze on a violation" sh -c "! /usr/bin/python3 '$TOP_SRCDIR/tests/schema_validate.py' '$schema' '$T_TMP/nofreeze.json' >/dev/null 2>&1"
else
	t_skip "schema validation" "python3-jsonschema is not installed"
fi
t_done
