#!/bin/sh
# Enrichment through `scan` on doc/examples: tags from state, blast radius from the state's
# dependencies, the fix command, history from the store across two scans, and schema-valid
# output.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start

EX="$TOP_SRCDIR/doc/examples"
if ! need_cmd python3; then
	t_skip_all "python3 is needed to read the JSON output"
fi

t_run "$TFDRIFT" scan -q --format jsonl --state "$EX/prod.tfstate" --state "$EX/gcp.tfstate" \
    --events "$EX/cloudtrail.json" --events "$EX/gcp-audit.json"
t_is "scan with drift: exit 2" "$T_RC" 2
printf '%s\n' "$T_OUT" > "$T_TMP/all.jsonl"

cat > "$T_TMP/get.py" <<'EOP'
import json, sys
# get.py FILE ADDRESS-OR-TYPE:ID EVENT EXPR: evaluates EXPR on the matching finding `f`
path, key, event, expr = sys.argv[1:5]
for line in open(path):
    f = json.loads(line)
    r = f["resource"]
    k = r["address"] or "%s:%s" % (r["type"], r["id"])
    if k == key and (event == "-" or f["event"]["name"] == event):
        print(eval(expr))
        break
else:
    print("no finding %s %s" % (key, event))
EOP
get() { /usr/bin/python3 "$T_TMP/get.py" "$@"; }

SG=module.net.aws_security_group.web
t_is "AWS tags (tags_all: provider default tags too)" \
    "$(get "$T_TMP/all.jsonl" $SG - 'f["tags"]["Name"], f["tags"]["Environment"]')" "('prod-web', 'prod')"
t_is "blast radius of the web security group (dependencies without instance keys)" \
    "$(get "$T_TMP/all.jsonl" $SG - 'f["blast_radius"]["direct"], f["blast_radius"]["total"]')" "(13, 13)"
t_is "top dependents, by address" \
    "$(get "$T_TMP/all.jsonl" $SG - 'f["blast_radius"]["top"][:2]')" "['aws_db_instance.main', 'aws_lambda_function.api']"
t_is "transitive: the KMS key" \
    "$(get "$T_TMP/all.jsonl" aws_kms_key.data - 'f["blast_radius"]["direct"], f["blast_radius"]["total"]')" "(11, 13)"
t_is "GCP labels" \
    "$(get "$T_TMP/all.jsonl" 'google_compute_instance.app[1]' - 'f["tags"]')" "{'env': 'prod', 'release': '2024-05-27', 'role': 'app'}"
t_is "fix: apply -target (quoted)" \
    "$(get "$T_TMP/all.jsonl" 'module.app.aws_instance.web[1]' - 'f["fix"]')" "terraform apply -target='module.app.aws_instance.web[1]'"
t_is "fix: import for an unmanaged bucket" \
    "$(get "$T_TMP/all.jsonl" aws_s3_bucket:corp-prod-exports-20240527 - 'f["fix"]')" "terraform import aws_s3_bucket.NAME corp-prod-exports-20240527"
t_is "unmanaged: no tags or blast radius" \
    "$(get "$T_TMP/all.jsonl" aws_s3_bucket:corp-prod-exports-20240527 - '"tags" in f, "blast_radius" in f')" "(False, False)"
t_unlike "no history without --store" "$T_OUT" '"history"'
if /usr/bin/python3 -c 'import jsonschema' 2> /dev/null; then
	t_ok "schema-valid" /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" --jsonl \
	    "$TOP_SRCDIR/doc/findings.schema.json" "$T_TMP/all.jsonl"
else
	t_skip "schema-valid" "python3-jsonschema missing"
fi

# History across two scans: the morning's events first, then the rest.
/usr/bin/python3 - "$EX/cloudtrail.json" "$T_TMP" <<'EOP'
import json, sys
d = json.load(open(sys.argv[1]))
early = [r for r in d["Records"] if r["eventTime"] < "2024-05-27T09:17:00Z"]
late = [r for r in d["Records"] if r["eventTime"] >= "2024-05-27T09:17:00Z"]
json.dump({"Records": early}, open(sys.argv[2] + "/early.json", "w"))
json.dump({"Records": late}, open(sys.argv[2] + "/late.json", "w"))
EOP
t_run "$TFDRIFT" scan -q --format jsonl --store "$T_TMP/h.db" --state "$EX/prod.tfstate" --events "$T_TMP/early.json"
printf '%s\n' "$T_OUT" > "$T_TMP/early.jsonl"
t_is "first scan: web[1]'s stop has no earlier history" \
    "$(get "$T_TMP/early.jsonl" 'module.app.aws_instance.web[1]' StopInstances 'len(f.get("history", []))')" "0"
t_run "$TFDRIFT" scan -q --format jsonl --store "$T_TMP/h.db" --state "$EX/prod.tfstate" --events "$T_TMP/late.json"
printf '%s\n' "$T_OUT" > "$T_TMP/late.jsonl"
t_is "second scan: the type change lists the stop from the first scan" \
    "$(get "$T_TMP/late.jsonl" 'module.app.aws_instance.web[1]' ModifyInstanceAttribute '[(h["kind"], h["event"], h["actor"]) for h in f["history"]]')" \
    "[('modified', 'StopInstances', 'alice@corp.example')]"
t_is "with its time and finding id" \
    "$(get "$T_TMP/late.jsonl" 'module.app.aws_instance.web[1]' ModifyInstanceAttribute 'f["history"][0]["time"], len(f["history"][0]["finding_id"])')" \
    "('2024-05-27T09:16:40Z', 32)"
if /usr/bin/python3 -c 'import jsonschema' 2> /dev/null; then
	t_ok "history output schema-valid" /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" --jsonl \
	    "$TOP_SRCDIR/doc/findings.schema.json" "$T_TMP/late.jsonl"
else
	t_skip "history output schema-valid" "python3-jsonschema missing"
fi
t_run "$TFDRIFT" export --store "$T_TMP/h.db" --status all --format jsonl
t_like "export carries the fix" "$T_OUT" '"fix":"terraform apply -target='
t_done
