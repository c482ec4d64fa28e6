#!/bin/sh
# tfdrift rules check: the shipped event maps are valid; broken maps give file:line:col errors.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

t_exit "shipped event maps are valid" 0 "$TFDRIFT" rules check "$TOP_SRCDIR/rules/events"
t_like "and counted" "$T_OUT" '^ok: [0-9]+ event map entries in [0-9]+ files'
n=$(printf '%s\n' "$T_OUT" | sed -n 's/^ok: \([0-9]*\) .*/\1/p')
t_ok "more entries than the anchor tool's 44 attribute-extracting AWS events" test "${n:-0}" -gt 150
t_exit "default location works too" 0 "$TFDRIFT" rules check

cat > "$T_TMP/broken.yaml" <<'YAML'
provider: aws
service: ec2.amazonaws.com
events:
  - event: ModifyInstanceAttribute
    resource: aws_instance
    action: modfy
    id: [requestParameters.instanceId]
    attributes:
      - name: instance_type
        path: requestParameters.instanceType.value
        transform: strin
  - event: DeleteThing
    resorce: aws_thing
YAML
t_exit "a broken map exits 1" 1 "$TFDRIFT" rules check "$T_TMP/broken.yaml"
t_like "bad action with position" "$T_ERR" 'broken.yaml:6:[0-9]+: .*modfy'
t_like "bad transform with position" "$T_ERR" 'broken.yaml:11:[0-9]+: .*strin'
t_like "unknown key with position" "$T_ERR" 'broken.yaml:13:[0-9]+: .*resorce'
printf 'provider: aws\nevents: [\n' > "$T_TMP/syntax.yaml"
t_exit "a YAML syntax error exits 1" 1 "$TFDRIFT" rules check "$T_TMP/syntax.yaml"
t_like "with its position" "$T_ERR" 'syntax.yaml:[0-9]+:[0-9]+: '
t_exit "scan refuses broken maps" 1 "$TFDRIFT" scan --event-maps "$T_TMP" --state /dev/null --events /dev/null
# The coverage table (tests/data, doc/event-maps.md) is made from the maps: keep it current.
if /usr/bin/python3 -c 'import yaml' 2>/dev/null; then
	mkdir -p "$T_TMP/cov/tests/data" "$T_TMP/cov/doc" "$T_TMP/cov/rules"
	cp -R "$TOP_SRCDIR/rules/events" "$T_TMP/cov/rules/"
	cp "$TOP_SRCDIR/doc/event-maps.md" "$T_TMP/cov/doc/"
	t_ok "the coverage table can be regenerated" env TOP_SRCDIR="$T_TMP/cov" \
	    /usr/bin/python3 "$TOP_SRCDIR/tests/eventmap-coverage.py" tsv
	t_ok "tests/data/eventmaps-coverage.tsv matches the maps (run tests/eventmap-coverage.py tsv)" \
	    cmp "$TOP_SRCDIR/tests/data/eventmaps-coverage.tsv" "$T_TMP/cov/tests/data/eventmaps-coverage.tsv"
	t_ok "and so does the table in doc/event-maps.md (tests/eventmap-coverage.py doc)" sh -c \
	    "TOP_SRCDIR='$T_TMP/cov' /usr/bin/python3 '$TOP_SRCDIR/tests/eventmap-coverage.py' doc >/dev/null && cmp '$TOP_SRCDIR/doc/event-maps.md' '$T_TMP/cov/doc/event-maps.md'"
	t_ok "the maps pass the structural lint" env TOP_SRCDIR="$TOP_SRCDIR" \
	    /usr/bin/python3 "$TOP_SRCDIR/tests/eventmap-coverage.py" lint
else
	t_skip "coverage table" "python3-yaml is not installed"
fi

# tfdrift rules coverage: what the maps watch, per service.
t_exit "rules coverage --help" 0 "$TFDRIFT" rules coverage --help
t_like "documents the command" "$T_OUT" '^  What the event maps watch, per service'
t_exit "rules coverage of the shipped maps" 0 "$TFDRIFT" rules coverage "$TOP_SRCDIR/rules/events"
cov=$T_OUT
t_like "a block per service, with its files" "$cov" '^aws ec2\.amazonaws\.com \(ec2\.yaml, vpc\.yaml\): [0-9]+ events, [0-9]+ resource types$'
t_like "the events that touch a resource type, with their action" "$cov" '^  aws_instance: RunInstances \[create\], TerminateInstances \[delete\]'
t_like "the attributes compared, sensitive ones marked" "$cov" '^    compares: instance_type, .*user_data \(sensitive\)'
t_like "versioned names with their aliases" "$cov" 'UpdateFunctionConfiguration20150331v2 \(also [^)]*UpdateFunctionConfiguration\) \[modify\]'
t_like "computed attributes listed as never compared" "$cov" '^    computed \(listed, never compared\): last_modified, version$'
t_like "covered_by resource types" "$cov" '^  aws_iam_role_policy_attachment: AttachRolePolicy \[create, covered_by\], DetachRolePolicy \[delete, covered_by\]'
t_like "GCP services" "$cov" '^gcp compute\.googleapis\.com \(gcp-compute\.yaml\): '
t_like "totals: as many entries as rules check counts" "$cov" "^$n entries: [0-9]+ event names in [0-9]+ services, [0-9]+ resource types"
t_exit "the default location works too" 0 "$TFDRIFT" rules coverage
t_is "and is the same" "$T_OUT" "$cov"
# --format tsv is the table tests/eventmap-coverage.py makes from the YAML (kept current above).
t_exit "rules coverage --format tsv" 0 "$TFDRIFT" rules coverage --format tsv "$TOP_SRCDIR/rules/events"
printf '%s\n' "$T_OUT" > "$T_TMP/cov.tsv"
grep -v '^#' "$TOP_SRCDIR/tests/data/eventmaps-coverage.tsv" > "$T_TMP/cov-py.tsv"
t_is "has the entries of tests/data/eventmaps-coverage.tsv, in order" \
    "$(cut -f1-3 "$T_TMP/cov.tsv")" "$(cut -f1-3 "$T_TMP/cov-py.tsv")"
# Attributes: the ones the C loader holds; the table may list more (fields an entry compares
# without listing them, e.g. sg_rule), never other ones.
t_ok "and every attribute it lists is in the table's row" awk -F '\t' '
	NR == FNR { want[FNR] = $4; next }
	{ n = split($4, a, ","); m = split(want[FNR], b, ","); for (j = 1; j <= m; j++) has[b[j]] = FNR
	  for (i = 1; i <= n; i++) if (has[a[i]] != FNR) { print FNR ": " a[i] " not in " want[FNR]; bad = 1 } }
	END { exit bad }' "$T_TMP/cov-py.tsv" "$T_TMP/cov.tsv"
t_exit "rules coverage --format json" 0 "$TFDRIFT" rules coverage --format json "$TOP_SRCDIR/rules/events"
printf '%s\n' "$T_OUT" > "$T_TMP/cov.json"
cat > "$T_TMP/covjson.py" <<'PY'
# The JSON against the per-entry TSV: same entries, every (event, type, attributes) there.
import json, sys
cov = json.load(open(sys.argv[1]))
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if l.strip()]
have = {}
for s in cov["services"]:
    for r in s["resources"]:
        for e in r["events"]:
            if not e["covered_by"]:
                have.setdefault((s["provider"], e["event"], r["type"]), set()).update(
                    a["name"] for a in r["attributes"])
bad = [r for r in rows if (r[0], r[1], r[2]) not in have or
       not set(r[3].split(",")) - {"-"} <= have[(r[0], r[1], r[2])]]
assert not bad, bad[:5]
assert cov["totals"]["entries"] == len(rows), (cov["totals"], len(rows))
assert cov["totals"]["services"] == len(cov["services"])
assert sorted((s["provider"], s["service"]) for s in cov["services"]) == \
    [(s["provider"], s["service"]) for s in cov["services"]]
print("ok")
PY
t_ok "--format json has every entry, type and attribute of the tsv, and the totals" \
    /usr/bin/python3 "$T_TMP/covjson.py" "$T_TMP/cov.json" "$T_TMP/cov.tsv"
mkdir -p "$T_TMP/mymaps"
cat > "$T_TMP/mymaps/q.yaml" <<'YAML'
provider: aws
service: sqs.amazonaws.com
events:
  - event: CreateQueue
    resource: aws_sqs_queue
    action: create
    id: [responseElements.queueUrl]
    attributes:
      - {name: name, path: requestParameters.queueName}
  - event: SetQueueAttributes
    resource: aws_sqs_queue
    action: modify
    id: [requestParameters.queueUrl]
    attributes:
      - {name: policy, path: requestParameters.attributes.Policy, transform: policy}
      - {name: etag, path: responseElements.etag, computed: true}
YAML
cat > "$T_TMP/mymaps/l.yaml" <<'YAML'
provider: aws
service: logs.amazonaws.com
events:
  - event: DeleteLogGroup
    resource: aws_cloudwatch_log_group
    action: delete
    id: [requestParameters.logGroupName]
YAML
t_exit "rules coverage of a directory of your own" 0 "$TFDRIFT" rules coverage "$T_TMP/mymaps"
t_is "shows exactly what it maps" "$T_OUT" "aws logs.amazonaws.com (l.yaml): 1 event, 1 resource type
  aws_cloudwatch_log_group: DeleteLogGroup [delete]
    compares: -

aws sqs.amazonaws.com (q.yaml): 2 events, 1 resource type
  aws_sqs_queue: CreateQueue [create], SetQueueAttributes [modify]
    compares: name, policy
    computed (listed, never compared): etag

3 entries: 3 event names in 2 services, 2 resource types, 2 attributes compared"
t_exit "--service keeps one service" 0 "$TFDRIFT" rules coverage --service sqs "$T_TMP/mymaps"
t_unlike "and only it" "$T_OUT" 'logs\.amazonaws\.com|DeleteLogGroup'
t_like "counted alone" "$T_OUT" '^2 entries: 2 event names in 1 service, 1 resource type, 2 attributes compared$'
t_exit "a service no map has exits 1" 1 "$TFDRIFT" rules coverage --service nosuch "$T_TMP/mymaps"
t_like "saying so" "$T_ERR" 'no event map for service nosuch'
t_exit "an unknown format exits 1" 1 "$TFDRIFT" rules coverage --format xml
t_like "naming the formats" "$T_ERR" 'expected text, json or tsv'
t_exit "broken maps exit 1" 1 "$TFDRIFT" rules coverage "$T_TMP/broken.yaml"
t_like "with the errors' positions" "$T_ERR" 'broken.yaml:6:[0-9]+: .*modfy'
t_done
