#!/bin/sh
# Rules: the shipped packs are valid and pass their embedded tests; broken rule files fail with
# positions; scan applies the rules (severity, rules on the finding, remediation, runbook) on
# the bundled example and on public samples; config rules_dirs / rules_disabled. Prints TAP.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

if ! need_cmd python3; then
	t_skip_all "python3 is needed to read the JSON output"
fi
R=$TOP_SRCDIR/rules
EX=$TOP_SRCDIR/doc/examples
D=$TOP_SRCDIR/tests/data/rules

t_exit "the shipped rule packs are valid" 0 "$TFDRIFT" rules check "$R/aws.yaml" "$R/gcp.yaml"
t_like "and counted" "$T_OUT" '^ok: [0-9]+ rules \([0-9]+ tests\) in 2 files'
t_exit "rules check by default checks rules and event maps" 0 "$TFDRIFT" rules check
t_like "both" "$T_OUT" 'event map entries'
t_like "both (rules)" "$T_OUT" 'rules \([0-9]+ tests\)'
t_exit "a directory: rules/ holds rule files; its events/ subdirectory is not read" 0 \
    "$TFDRIFT" rules check "$R"
t_exit "the shipped packs pass their embedded tests" 0 "$TFDRIFT" rules test
t_like "one line per test" "$T_OUT" 'ok   aws-sg-open-internet: ssh opened to the world'
t_like "summary" "$T_OUT" '^ok: [0-9]+ tests passed, 0 failed'

cat > "$T_TMP/broken.yaml" <<'YAML'
rules:
  - id: b-1
    severty: high
    conditions:
      - {attribute: ingress, operator: cidr_opn}
  - id: b-2
    severity: high
    conditions:
      - {field: actor.typ, operator: equals, value: Root}
YAML
t_exit "a broken rule file exits 1" 1 "$TFDRIFT" rules check "$T_TMP/broken.yaml"
t_like "unknown key with a hint and its position" "$T_ERR" "broken.yaml:3:5: unknown rule key 'severty' \\(did you mean 'severity'\\?\\)"
t_like "unknown operator with its position" "$T_ERR" "broken.yaml:5:40: unknown operator 'cidr_opn' \\(did you mean 'cidr_open'\\?\\)"
t_like "unknown field with its position" "$T_ERR" "broken.yaml:9:17: unknown field 'actor.typ'"
t_like "counted" "$T_ERR" 'tfdrift: 4 errors'
cp "$R/aws.yaml" "$T_TMP/dup.yaml"
t_exit "the same rule ids twice" 1 "$TFDRIFT" rules check "$R/aws.yaml" "$T_TMP/dup.yaml"
t_like "duplicate ids across files" "$T_ERR" "dup.yaml:7:9: duplicate rule id 'aws-sg-open-internet' \\(first defined at .*aws.yaml:7:5\\)"
cat > "$T_TMP/failing.yaml" <<'YAML'
rules:
  - id: f-1
    resource_types: [aws_instance]
    severity: high
    conditions: [{attribute: instance_type, operator: changed}]
    tests:
      - name: expects the wrong severity
        changes: [{attribute: instance_type, old: a, new: b}]
        expect: {match: true, severity: low}
YAML
t_exit "rules test exits 1 on a failing test" 1 "$TFDRIFT" rules test "$T_TMP/failing.yaml"
t_like "and says which and where" "$T_OUT" 'FAIL f-1: expects the wrong severity \(.*failing.yaml:7\): expected a match at low, got a match at high'
t_exit "rules test refuses an event map" 1 "$TFDRIFT" rules test "$R/events/ec2.yaml"

# End to end on the bundled example.
t_run "$TFDRIFT" scan --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" --format json -o "$T_TMP/ex.json"
t_is "scan of the example exits 2 (drift)" "$T_RC" 2
cat > "$T_TMP/q.py" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for f in doc["findings"]:
    for r in f["rules"]:
        print(f["resource"]["type"], f["event"]["name"], f["severity"], r["id"], r["severity"],
              len(r["remediation"]), r["runbook"] or "-")
PY
python3 "$T_TMP/q.py" "$T_TMP/ex.json" > "$T_TMP/ex.rules"
t_ok "security group opened to the internet: critical" grep -q '^aws_security_group AuthorizeSecurityGroupIngress critical aws-sg-open-internet critical [1-9]' "$T_TMP/ex.rules"
t_ok "RDS made public" grep -q '^aws_db_instance ModifyDBInstance critical aws-rds-public critical' "$T_TMP/ex.rules"
t_ok "KMS key disabled" grep -q '^aws_kms_key DisableKey critical aws-kms-key-disabled critical' "$T_TMP/ex.rules"
t_ok "S3 public access block deleted" grep -q '^aws_s3_bucket_public_access_block DeleteBucketPublicAccessBlock critical aws-s3-public-access-block-removed' "$T_TMP/ex.rules"
t_ok "GCP firewall opened (patch)" grep -q '^google_compute_firewall v1.compute.firewalls.patch critical gcp-firewall-open-internet critical' "$T_TMP/ex.rules"
t_ok "GCP firewall opened (new unmanaged rule)" grep -q '^google_compute_firewall v1.compute.firewalls.insert critical gcp-firewall-open-internet' "$T_TMP/ex.rules"
t_ok "termination protection carries its runbook" grep -q '^aws_instance ModifyInstanceAttribute high aws-ec2-termination-protection-off high 2 https://wiki.example.com/runbooks/ec2-termination-protection' "$T_TMP/ex.rules"
t_ok "a change no rule covers keeps the default severity" sh -c \
    "python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if any(f[\"event\"][\"name\"]==\"StopInstances\" and f[\"severity\"]==\"medium\" and f[\"rules\"]==[] for f in d[\"findings\"]) else 1)' '$T_TMP/ex.json'"
t_ok "the findings with rules validate against the schema" /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" "$TOP_SRCDIR/doc/findings.schema.json" "$T_TMP/ex.json"

# Config: turn rules off, or use only the user's directory.
printf 'rules_disabled: [aws-sg-*, gcp-*]\n' > "$T_TMP/off.yaml"
t_run "$TFDRIFT" -c "$T_TMP/off.yaml" scan --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json" --format json -o "$T_TMP/off.json"
python3 "$T_TMP/q.py" "$T_TMP/off.json" > "$T_TMP/off.rules"
t_unlike "rules_disabled turns rules off" "$(cat "$T_TMP/off.rules")" 'aws-sg-open-internet|gcp-firewall'
t_like "the others still apply" "$(cat "$T_TMP/off.rules")" 'aws-rds-public'
printf 'rules_disabled: [no-such-rule]\n' > "$T_TMP/nosuch.yaml"
t_exit "a rules_disabled entry that matches nothing is an error" 1 "$TFDRIFT" -c "$T_TMP/nosuch.yaml" \
    scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_like "saying so" "$T_ERR" "rules_disabled: 'no-such-rule' matches no rule id"
mkdir -p "$T_TMP/mine"
cp "$T_TMP/failing.yaml" "$T_TMP/mine/"
printf 'rules_dirs: ["%s/mine"]\n' "$T_TMP" > "$T_TMP/mine.yaml"
t_run "$TFDRIFT" -c "$T_TMP/mine.yaml" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --format json -o "$T_TMP/mine.json"
python3 "$T_TMP/q.py" "$T_TMP/mine.json" > "$T_TMP/mine.rules"
t_like "rules_dirs replaces the packs: the user's rule applies" "$(cat "$T_TMP/mine.rules")" 'aws_instance ModifyInstanceAttribute high f-1 high'
t_unlike "and the shipped ones do not" "$(cat "$T_TMP/mine.rules")" 'aws-'
printf 'rules_dirs: ["%s"]\n' "$T_TMP/broken.yaml" > "$T_TMP/brk.yaml"
t_exit "scan refuses broken rules" 1 "$TFDRIFT" -c "$T_TMP/brk.yaml" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json"
t_like "with positions" "$T_ERR" 'broken.yaml:3:5: '

# Public samples (Stratus Red Team detonation logs, a Panther GCP test record), against an
# empty state: the changes are unmanaged and still get their rules.
printf '{"version":4,"serial":1,"lineage":"x","resources":[]}\n' > "$T_TMP/empty.tfstate"
for s in stratus-cloudtrail-stop.json:aws_cloudtrail:aws-cloudtrail-stopped \
    stratus-sg-open-22.json:aws_security_group:aws-sg-open-internet \
    panther-gcs-allusers.jsonl:google_storage_bucket_iam_member:gcp-gcs-public-iam; do
	f=${s%%:*}; rest=${s#*:}; ty=${rest%%:*}; id=${rest#*:}
	"$TFDRIFT" scan --state "$T_TMP/empty.tfstate" --events "$D/$f" --format json -o "$T_TMP/s.json" 2>/dev/null
	t_like "$f: $id at critical" "$(python3 "$T_TMP/q.py" "$T_TMP/s.json")" "^$ty [^ ]+ critical $id critical"
done
t_done
