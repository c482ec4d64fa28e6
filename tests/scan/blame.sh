#!/bin/sh
# tfdrift blame --plan: a refresh-only plan's resource_drift against the audit events that
# explain it (tests/data/blame: hand-written plans in Terraform's JSON output format 1.2 and
# CloudTrail records in the shapes of ../shared/data/cloudtrail, see tests/data/SOURCES.md).
# Explained, partly explained, unexplained, sensitive values, a deleted resource, bad plans,
# the store and the files giving the same answer, and the answer against
# doc/blame.schema.json.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
plan_start
d=$TOP_SRCDIR/tests/data/blame
ev=$d/events.json
TFDRIFT_NOW=2024-05-28T00:00:00Z
export TFDRIFT_NOW
unset NO_COLOR

# q FILE EXPR: a Python expression over the JSON document d, printed.
q() {
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = eval(sys.argv[2], {"d": d, "by": lambda a: [x for x in d["resources"] if x["address"] == a][0],
    "ch": lambda a, p: [c for c in [x for x in d["resources"] if x["address"] == a][0]["changes"] if c["attribute"] == p][0]})
print(json.dumps(r) if not isinstance(r, str) else r)' "$@"
}
blame() { "$TFDRIFT" blame -q "$@"; }
web='module.app.aws_instance.web[0]'
e=b1a3e000-0000-4000-8000-00000000000
printf '{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":"e","resources":[]}' > "$T_TMP/none.tfstate"

# ---- usage ----
t_exit "blame --help exits 0" 0 "$TFDRIFT" blame --help
t_like "and names --plan, --store and --events" "$T_OUT" '--plan PLAN.json \(--store STORE \| --events FILE'
t_exit "no --plan: exit 1" 1 "$TFDRIFT" blame --events "$ev"
t_like "saying --plan is required" "$T_ERR" 'plan PLAN.json is required'
t_exit "no events source: exit 1" 1 "$TFDRIFT" blame --plan "$d/plan-explained.json"
t_like "saying where events may come from" "$T_ERR" '--store STORE .* or --events FILE'
t_exit "an unknown format: exit 1" 1 "$TFDRIFT" blame --plan "$d/plan-explained.json" --events "$ev" --format csv
t_like "top-level usage lists blame" "$("$TFDRIFT" --help)" '^  blame --plan PLAN.json'

# ---- explained: every change has an event that set the plan's value ----
t_exit "everything explained: exit 0" 0 blame --plan "$d/plan-explained.json" --events "$ev" --format json -o "$T_TMP/explained.json"
f=$T_TMP/explained.json
t_is "three drifted resources, none unexplained" "$(q "$f" '[(r["address"], r["unexplained"]) for r in d["resources"]]')" \
    "[[\"$web\", false], [\"aws_instance.batch\", false], [\"aws_security_group.db\", false]]"
t_is "instance_type: the events that set t3.large, newest first (not alice's t3.medium at 09:00, nor her t3.large at 08:00 that it overwrote)" \
    "$(q "$f" "[(x['id'], x['match']) for x in ch('$web', 'instance_type')['events']]")" \
    "[[\"${e}2\", \"value\"], [\"${e}9\", \"value\"]]"
t_is "events_total counts them" "$(q "$f" "ch('$web', 'instance_type')['events_total']")" 2
t_exit "--max-events 1" 0 blame --plan "$d/plan-explained.json" --events "$ev" --format json --max-events 1 -o "$T_TMP/max1.json"
t_is "lists the newest only, and counts both" "$(q "$T_TMP/max1.json" "[[x['id'] for x in ch('$web', 'instance_type')['events']], ch('$web', 'instance_type')['events_total']]")" "[[\"${e}2\"], 2]"
t_run "$TFDRIFT" blame -q --plan "$d/plan-explained.json" --events "$ev" --format text --max-events 1
t_like "the text says how many more" "$T_OUT" '^    \.\.\. and 1 older event \(--max-events\)$'
t_exit "--max-events -1 is refused" 1 "$TFDRIFT" blame --plan "$d/plan-explained.json" --events "$ev" --max-events -1
t_is "before and after as the plan has them" "$(q "$f" "[ch('$web', 'instance_type')[k] for k in ('before', 'after')]")" '["t3.micro", "t3.large"]'
t_is "the actor: name, role, session, via" "$(q "$f" "[ch('$web', 'instance_type')['events'][0]['actor'][k] for k in ('name', 'role', 'session', 'via')]")" \
    '["bob@corp.example", "Admin", "bob@corp.example", "console"]'
t_is "the event's name and time" "$(q "$f" "[ch('$web', 'instance_type')['events'][0][k] for k in ('name', 'time')]")" \
    '["ModifyInstanceAttribute", "2024-05-27T10:05:00Z"]'
t_is "tags.Name (a nested attribute, named as findings name it) by CreateTags" \
    "$(q "$f" "[(x['id'], x['name'], x['match']) for x in ch('$web', 'tags.Name')['events']]")" "[[\"${e}3\", \"CreateTags\", \"value\"]]"
t_is "tags_all.Name too (tags plus the provider's default tags)" "$(q "$f" "[x['id'] for x in ch('$web', 'tags_all.Name')['events']]")" "[\"${e}3\"]"
t_is "unchanged attributes are not listed" "$(q "$f" "sorted(c['attribute'] for c in by('$web')['changes'])")" \
    '["instance_type", "tags.Name", "tags_all.Name"]'
t_is "the security group's new rule by AuthorizeSecurityGroupIngress" "$(q "$f" "[(x['id'], x['match']) for x in ch('aws_security_group.db', 'ingress')['events']]")" \
    "[[\"${e}7\", \"value\"]]"
t_is "the deleted resource: one change for the whole object, its id going away" \
    "$(q "$f" "[by('aws_instance.batch')['action'], ch('aws_instance.batch', None)['before'], ch('aws_instance.batch', None)['after']]")" \
    '["delete", "i-0a1b2c3d4e5f60002", null]'
t_is "explained by the TerminateInstances that deleted it" "$(q "$f" "[(x['id'], x['name'], x['match']) for x in ch('aws_instance.batch', None)['events']]")" \
    "[[\"${e}6\", \"TerminateInstances\", \"delete\"]]"
t_unlike "the read-only DescribeInstances explains nothing" "$(cat "$f")" "${e}4"
t_is "summary counts" "$(q "$f" "[d['summary'][k] for k in ('resources', 'changes', 'explained', 'unexplained')]")" '[3, 5, 5, 0]'

# A default tag (provider default_tags) drifts in tags_all only.
/usr/bin/python3 -c 'import json, sys, copy
p = json.load(open(sys.argv[1]))
p["resource_drift"] = p["resource_drift"][:1]
p["resource_drift"][0]["change"]["after"]["tags_all"]["Team"] = "blue"
json.dump(p, open(sys.argv[3], "w"))
d = json.load(open(sys.argv[2]))
r = copy.deepcopy([x for x in d["Records"] if x["eventName"] == "CreateTags"][0])
r["eventID"] = r["eventID"][:-2] + "10"
r["eventTime"] = "2024-05-27T10:11:00Z"
r["requestParameters"]["tagSet"]["items"] = [{"key": "Team", "value": "blue"}]
d["Records"].append(r)
json.dump(d, open(sys.argv[4], "w"))' "$d/plan-explained.json" "$ev" "$T_TMP/plan-default-tag.json" "$T_TMP/events-default-tag.json"
t_exit "a default tag drifting in tags_all only: exit 0" 0 blame --plan "$T_TMP/plan-default-tag.json" --events "$T_TMP/events-default-tag.json" --format json -o "$T_TMP/deftag.json"
t_is "explained by the CreateTags that set it" "$(q "$T_TMP/deftag.json" "[(x['id'], x['match']) for x in ch('$web', 'tags_all.Team')['events']]")" "[[\"${e%?}10\", \"value\"]]"

# A later write of another value overwrote the explaining event: it explains nothing now.
/usr/bin/python3 -c 'import json, sys, copy
d = json.load(open(sys.argv[1]))
r = copy.deepcopy([x for x in d["Records"] if x["eventName"] == "CreateTags"][0])
r["eventID"] = r["eventID"][:-2] + "12"
r["eventTime"] = "2024-05-27T10:15:00Z"
r["requestParameters"]["tagSet"]["items"] = [{"key": "Name", "value": "web2"}]
d["Records"].append(r)
json.dump(d, open(sys.argv[2], "w"))' "$ev" "$T_TMP/events-overwritten.json"
t_exit "the tag was set again to another value since: exit 2" 2 blame --plan "$d/plan-explained.json" --events "$T_TMP/events-overwritten.json" --format json -o "$T_TMP/over.json"
t_is "tags.Name is unexplained (the log says it is web2 now, the plan says hacked)" "$(q "$T_TMP/over.json" "[ch('$web', 'tags.Name')['unexplained'], ch('$web', 'tags.Name')['events']]")" '[true, []]'

# The same write after the plan was made (its timestamp, 11:00) is left out.
/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for r in d["Records"]:
    if r["eventID"].endswith("12"):
        r["eventTime"] = "2024-05-27T11:30:00Z"
json.dump(d, open(sys.argv[2], "w"))' "$T_TMP/events-overwritten.json" "$T_TMP/events-later.json"
t_exit "an overwrite after the plan's timestamp explains nothing away: exit 0" 0 blame --plan "$d/plan-explained.json" --events "$T_TMP/events-later.json" --format json -o "$T_TMP/later.json"
t_is "the answer says where events stop" "$(q "$T_TMP/later.json" 'd["until"]')" 2024-05-27T11:00:00Z
t_exit "--until later takes it in: exit 2" 2 blame --plan "$d/plan-explained.json" --events "$T_TMP/events-later.json" --until 2024-05-27T12:00:00Z --format json

# ---- partly explained: one change only a failed call tried ----
t_exit "partly explained: exit 2" 2 blame --plan "$d/plan-partly.json" --events "$ev" --format json -o "$T_TMP/partly.json"
f=$T_TMP/partly.json
t_is "the resource counts as unexplained" "$(q "$f" "by('$web')['unexplained']")" true
t_is "instance_type is explained" "$(q "$f" "[ch('$web', 'instance_type')['unexplained'], len(ch('$web', 'instance_type')['events'])]")" '[false, 2]'
t_is "source_dest_check is not: the failed call by mallory explains nothing" \
    "$(q "$f" "[ch('$web', 'source_dest_check')['unexplained'], ch('$web', 'source_dest_check')['events']]")" '[true, []]'

# ---- unexplained ----
t_exit "nothing recorded touched it: exit 2" 2 blame --plan "$d/plan-unexplained.json" --events "$ev" --format json -o "$T_TMP/unexplained.json"
f=$T_TMP/unexplained.json
t_is "unexplained, no events" "$(q "$f" "[by('aws_instance.other')['unexplained'], [c['events'] for c in by('aws_instance.other')['changes']]]")" '[true, [[], []]]'
t_is "user_data masked: the event maps mark it sensitive" "$(q "$f" "[ch('aws_instance.other', 'user_data')[k] for k in ('before', 'after', 'sensitive')]")" \
    '["(sensitive)", "(sensitive)", true]'
t_unlike "its values are nowhere" "$(cat "$f")" '0b1c2d3e4f|9f8e7d6c5b'
t_exit "text: exit 2 too" 2 blame --plan "$d/plan-unexplained.json" --events "$ev" --format text
t_like "text says it is unexplained" "$T_OUT" '^    unexplained: no recorded event made this change'
t_like "text ends with the counts" "$T_OUT" '^1 drifted resource, 2 changes: 0 explained, 2 unexplained'

# ---- sensitive values stay masked ----
secrets='hunter2-old|S3cr3t-new|topsecretvalue|old-note-value'
t_exit "sensitive plan (json)" 2 blame --plan "$d/plan-sensitive.json" --events "$ev" --format json -o "$T_TMP/sens.json"
f=$T_TMP/sens.json
t_unlike "no sensitive value in the JSON" "$(cat "$f")" "$secrets"
t_is "the password (before_sensitive, after_sensitive) is masked" "$(q "$f" "[ch('aws_db_instance.main', 'password')[k] for k in ('before', 'after', 'sensitive')]")" \
    '["(sensitive)", "(sensitive)", true]'
t_is "and explained, weakly: the log never carries the password" "$(q "$f" "[(x['id'], x['match']) for x in ch('aws_db_instance.main', 'password')['events']]")" \
    "[[\"${e}8\", \"attribute\"]]"
t_is "a tag only after_sensitive marks is masked" "$(q "$f" "ch('aws_db_instance.main', 'tags.secret_note')['after']")" '(sensitive)'
t_is "the same call explains backup_retention_period by value" "$(q "$f" "[(x['id'], x['match']) for x in ch('aws_db_instance.main', 'backup_retention_period')['events']]")" \
    "[[\"${e}8\", \"value\"]]"
t_is "username is shown without --state" "$(q "$f" "ch('aws_db_instance.main', 'username')['after']")" 'dbadmin2'
t_exit "with --state whose sensitive_attributes name username" 2 blame --plan "$d/plan-sensitive.json" --state "$d/db.tfstate" --events "$ev" --format json -o "$T_TMP/sens-state.json"
t_is "it is masked too" "$(q "$T_TMP/sens-state.json" "ch('aws_db_instance.main', 'username')['after']")" '(sensitive)'
t_unlike "and nowhere in the JSON" "$(cat "$T_TMP/sens-state.json")" "dbadmin2|$secrets"
t_exit "sensitive plan (text)" 2 blame --plan "$d/plan-sensitive.json" --state "$d/db.tfstate" --events "$ev" --format text
t_unlike "no sensitive value in the text" "$T_OUT$T_ERR" "dbadmin2|$secrets"
t_like "the text says (sensitive)" "$T_OUT" '^  password: \(sensitive\) → \(sensitive\)'
t_like "and that the log does not carry the value" "$T_OUT" 'ModifyDBInstance by carol \(role DBA, session carol\) via cli .*value is not in the log'

# ---- hostile text from the log never reaches the terminal raw ----
/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for r in d["Records"]:
    if r["eventID"].endswith("2"):
        r["userIdentity"]["arn"] = r["userIdentity"]["arn"].replace("bob@corp.example", "bob\u001b]0;pwned\u0007\u202e")
json.dump(d, open(sys.argv[2], "w"))' "$ev" "$T_TMP/hostile.json"
t_exit "an actor name with escape sequences" 0 blame --plan "$d/plan-explained.json" --events "$T_TMP/hostile.json" --format text
t_unlike "no raw control character in the text" "$T_OUT" "$(printf '\033|\007')"
t_like "shown escaped" "$T_OUT" 'bob\\x1b\]0;pwned\\x07\\u202e'

# ---- the real invictus timeline (../shared/data/cloudtrail, MIT): Terraform creates a role and a
# bucket, the attack tool backdoors the role's trust policy (12:24:11) and gives the bucket a
# policy (12:22:41), then reverts both at 12:28:24. A refresh-only plan made at 12:25 (written
# here from the records: before as Terraform created them, after as the attack left them).
if need_shared; then
	inv=$SHARED_DATA/cloudtrail/DERIVED_invictus_all_records_sorted.json
	/usr/bin/python3 -c 'import json, sys
recs = json.load(open(sys.argv[1]))["Records"]
def one(name, key, val):
    return [r for r in recs if r["eventName"] == name and (r.get("requestParameters") or {}).get(key) == val]
role, bucket = "stratus-red-team-backdoor-r-role", "stratus-red-team-bdbp-lhfzvgcamn"
create = one("CreateRole", "roleName", role)[0]["requestParameters"]
update = one("UpdateAssumeRolePolicy", "roleName", role)[0]["requestParameters"]
put = one("PutBucketPolicy", "bucketName", bucket)[0]["requestParameters"]
acct = "123837392027"
rb = {"arn": "arn:aws:iam::%s:role/%s" % (acct, role), "assume_role_policy": create["assumeRolePolicyDocument"],
      "id": role, "max_session_duration": 3600, "name": role, "path": "/", "tags": {}, "tags_all": {}}
ra = dict(rb, assume_role_policy=json.dumps(json.loads(update["policyDocument"])))
bb = {"arn": "arn:aws:s3:::" + bucket, "bucket": bucket, "id": bucket, "policy": "", "tags": {}, "tags_all": {}}
ba = dict(bb, policy=json.dumps(put["bucketPolicy"]))
def entry(addr, t, n, b, a):
    return {"address": addr, "mode": "managed", "type": t, "name": n,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["update"], "before": b, "after": a, "after_unknown": {},
                       "before_sensitive": {}, "after_sensitive": {}}}
json.dump({"format_version": "1.2", "terraform_version": "1.1.2", "timestamp": "2023-07-10T12:25:00Z",
           "resource_drift": [entry("aws_iam_role.backdoor", "aws_iam_role", "backdoor", rb, ra),
                              entry("aws_s3_bucket.bdbp", "aws_s3_bucket", "bdbp", bb, ba)]},
          open(sys.argv[2], "w"))' "$inv" "$T_TMP/plan-invictus.json"
	t_exit "invictus: the attack explains both drifts: exit 0" 0 blame --plan "$T_TMP/plan-invictus.json" --events "$inv" --format json -o "$T_TMP/invictus.json"
	t_is "the trust policy by the attack tool's UpdateAssumeRolePolicy (not Terraform's CreateRole, not the revert after the plan)" \
	    "$(q "$T_TMP/invictus.json" "[(x['id'], x['name'], x['match'], x['actor']['name'], x['actor']['user_agent'][:18]) for x in ch('aws_iam_role.backdoor', 'assume_role_policy')['events']]")" \
	    '[["d96d75c7-e715-44ff-9735-9dc51afbd774", "UpdateAssumeRolePolicy", "value", "bert-jan", "stratus-red-team_8"]]'
	t_is "the bucket policy by its PutBucketPolicy" \
	    "$(q "$T_TMP/invictus.json" "[(x['id'], x['name'], x['match']) for x in ch('aws_s3_bucket.bdbp', 'policy')['events']]")" \
	    '[["d58cf935-0194-41d0-baa0-9efc030ce2e6", "PutBucketPolicy", "value"]]'
	t_exit "invictus: with events until 12:30 the revert at 12:28:24 overwrites the trust policy: exit 2" 2 blame --plan "$T_TMP/plan-invictus.json" --events "$inv" --until 2023-07-10T12:30:00Z --format json -o "$T_TMP/invictus-late.json"
	t_is "nothing explains the backdoored trust policy any more" "$(q "$T_TMP/invictus-late.json" "[ch('aws_iam_role.backdoor', 'assume_role_policy')['unexplained'], ch('aws_iam_role.backdoor', 'assume_role_policy')['events']]")" '[true, []]'
	# DeleteBucketPolicy on aws_s3_bucket sets the in-line policy back to none (policy ""), so
	# the revert at 12:28 overwrites the attack's PutBucketPolicy: nothing explains it either.
	t_is "the bucket policy: the DeleteBucketPolicy at 12:28 overwrote it, nothing explains it" \
	    "$(q "$T_TMP/invictus-late.json" "[ch('aws_s3_bucket.bdbp', 'policy')['unexplained'], ch('aws_s3_bucket.bdbp', 'policy')['events']]")" \
	    '[true, []]'
	# Against no state everything is unmanaged, and the attack tool cleans up after itself:
	# every finding resolves (reverted by hand, or gone), so no open drift: exit 0.
	t_exit "invictus through scan --store" 0 "$TFDRIFT" scan -q --store "$T_TMP/inv.db" --state "$T_TMP/none.tfstate" --events "$inv" --format json -o /dev/null
	t_run "$TFDRIFT" blame -q --plan "$T_TMP/plan-invictus.json" --store "$T_TMP/inv.db" --format json
	t_is "invictus: the store's answer is the files' answer" "$T_OUT" "$(cat "$T_TMP/invictus.json")"
else
	t_skip "the invictus timeline" "no shared data"
fi

# ---- GCP: self links, and an operation's two entries are one event ----
gev=$TOP_SRCDIR/doc/examples/gcp-audit.json
t_exit "a GCP plan: exit 0" 0 blame --plan "$d/plan-gcp.json" --events "$gev" --format json -o "$T_TMP/gcp.json"
t_is "machine_type by setMachineType's first entry only (its last entry repeats it; the pipeline's setLabels explains nothing)" \
    "$(q "$T_TMP/gcp.json" "[(x['id'], x['name'], x['match'], x['actor']['name'], x['actor']['via']) for x in ch('google_compute_instance.app[1]', 'machine_type')['events']]")" \
    '[["-ywru8hbu2nf6", "v1.compute.instances.setMachineType", "value", "deployer@corp-prod-4411.iam.gserviceaccount.com", "sdk"]]'
t_exit "the GCP events kept by scan --store" 2 "$TFDRIFT" scan -q --store "$T_TMP/gcp.db" --state "$TOP_SRCDIR/doc/examples/gcp.tfstate" --events "$gev" --format json -o /dev/null
t_run "$TFDRIFT" blame -q --plan "$d/plan-gcp.json" --store "$T_TMP/gcp.db" --format json
t_is "give the same answer" "$T_OUT" "$(cat "$T_TMP/gcp.json")"

# ---- bad plans ----
t_exit "a truncated plan: exit 1" 1 "$TFDRIFT" blame --plan "$d/plan-truncated.json" --events "$ev"
t_like "the file and the position" "$T_ERR" "plan-truncated.json:[0-9]+:[0-9]+: invalid JSON: unexpected end of data"
t_exit "format_version 2.0: exit 1" 1 "$TFDRIFT" blame --plan "$d/plan-version2.json" --events "$ev"
t_like "saying the version is not supported" "$T_ERR" 'plan-version2.json: format_version 2.0 is not supported'
t_exit "a state given as the plan: exit 1" 1 "$TFDRIFT" blame --plan "$d/db.tfstate" --events "$ev"
t_like "saying what it is and how to make a plan" "$T_ERR" 'db.tfstate: a Terraform state file, not a plan: run terraform plan -refresh-only'
: > "$T_TMP/empty.json"
t_exit "an empty file: exit 1" 1 "$TFDRIFT" blame --plan "$T_TMP/empty.json" --events "$ev"
t_like "saying so" "$T_ERR" 'empty.json: empty file'
printf '{"format_version":"1.2","resource_drift":[{"address":"aws_instance.x","type":"aws_instance","name":"x","change":{"actions":"update"}}]}' > "$T_TMP/badact.json"
t_exit "actions not an array: exit 1" 1 "$TFDRIFT" blame --plan "$T_TMP/badact.json" --events "$ev"
t_like "naming the member" "$T_ERR" 'badact.json: resource_drift\[0\]\.change\.actions: expected an array'
t_exit "a missing plan file: exit 1" 1 "$TFDRIFT" blame --plan "$T_TMP/nope.json" --events "$ev"
t_like "naming it" "$T_ERR" 'nope.json'
t_exit "no resource_drift: exit 0" 0 "$TFDRIFT" blame --plan "$d/plan-nodrift.json" --events "$ev" --format json
t_like "with a message" "$T_ERR" 'plan-nodrift.json: the plan records no drift'
t_is "and no resources" "$(printf '%s' "$T_OUT" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["resources"])')" '[]'

# ---- the store and the files give the same answer ----
t_exit "scan --store keeps the events seen" 2 "$TFDRIFT" scan -q --store "$T_TMP/scan.db" --state "$TOP_SRCDIR/doc/examples/prod.tfstate" --events "$ev" --format json -o "$T_TMP/scan.json"
t_exit "watch --once --store keeps them too" 2 "$TFDRIFT" watch --once --store "$T_TMP/watch.db" --state "$TOP_SRCDIR/doc/examples/prod.tfstate" --events "$ev"
# A live watch saves what it saw within a second or so, while it keeps running.
count_events() {
	/usr/bin/python3 -c 'import sqlite3, sys
try:
    print(sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True).execute("select count(*) from events_seen").fetchone()[0])
except Exception:
    print(0)' "$1"
}
"$TFDRIFT" watch --store "$T_TMP/live.db" --state "$TOP_SRCDIR/doc/examples/prod.tfstate" --events "$ev" > /dev/null 2> "$T_TMP/live.err" &
live=$!
t_kill_at_exit $live
i=0
while [ "$i" -lt 100 ] && [ "$(count_events "$T_TMP/live.db")" != 9 ]; do
	sleep 0.1
	i=$((i + 1))
done
t_is "a running watch has saved the nine write events on resources" "$(count_events "$T_TMP/live.db")" 9
t_ok "and is still running" kill -0 "$live"
kill -TERM "$live" 2> /dev/null
wait "$live"
t_is "it stops cleanly on SIGTERM" "$?" 0
# The store keeps of a record only what the maps read, secrets masked.
stored_db() {
	/usr/bin/python3 -c 'import json, sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
r = json.loads(db.execute("select record from events_seen where id = ?", (sys.argv[2],)).fetchone()[0])
print(json.dumps([r.get("requestParameters"), r.get("responseElements"), r.get("eventName"), r.get("userIdentity", {}).get("userName")], sort_keys=True))' "$@"
}
t_is "the stored ModifyDBInstance keeps the id and what the maps read, the password masked, nothing else of the call" \
    "$(stored_db "$T_TMP/scan.db" "${e}8")" \
    '[{"backupRetentionPeriod": 1, "dBInstanceIdentifier": "db-main", "masterUserPassword": "(sensitive)"}, null, "ModifyDBInstance", null]'
t_is "the stored CreateTags keeps the envelope (who, what)" "$(stored_db "$T_TMP/scan.db" "${e}3")" \
    '[{"resourcesSet": {"items": [{"resourceId": "i-0a1b2c3d4e5f60001"}]}, "tagSet": {"items": [{"key": "Name", "value": "hacked"}]}}, null, "CreateTags", "alice"]'
for p in explained partly unexplained sensitive; do
	blame --plan "$d/plan-$p.json" --events "$ev" --format json > "$T_TMP/$p-files.json" 2>/dev/null
	for s in scan watch; do
		t_run "$TFDRIFT" blame -q --plan "$d/plan-$p.json" --store "$T_TMP/$s.db" --format json
		t_is "$p: the $s store's answer is the files' answer" "$T_OUT" "$(cat "$T_TMP/$p-files.json")"
	done
done
t_run "$TFDRIFT" blame -q --plan "$d/plan-explained.json" --store "$T_TMP/scan.db" --format text
t_is "text from the store is the same too" "$T_OUT" "$(blame --plan "$d/plan-explained.json" --events "$ev" --format text)"
t_exit "both sources at once: duplicates count once" 0 blame --plan "$d/plan-explained.json" --store "$T_TMP/scan.db" --events "$ev" --format json -o "$T_TMP/both.json"
t_is "the same events" "$(q "$T_TMP/both.json" 'd["resources"]')" "$(q "$T_TMP/explained-files.json" 'd["resources"]')"
t_exit "a store that does not exist: exit 1" 1 "$TFDRIFT" blame --plan "$d/plan-explained.json" --store "$T_TMP/none.db"

# ---- the schema ----
if /usr/bin/python3 -c 'import jsonschema' 2>/dev/null; then
	v() { /usr/bin/python3 "$TOP_SRCDIR/tests/schema_validate.py" "$TOP_SRCDIR/doc/blame.schema.json" "$@"; }
	for f in explained partly unexplained sens sens-state both gcp max1 later; do
		t_ok "$f.json validates against doc/blame.schema.json" v "$T_TMP/$f.json"
	done
	sed 's/"match": "value"/"match": "maybe"/' "$T_TMP/explained.json" > "$T_TMP/broken.json"
	t_ok "the validator rejects a broken answer" sh -c "! /usr/bin/python3 '$TOP_SRCDIR/tests/schema_validate.py' '$TOP_SRCDIR/doc/blame.schema.json' '$T_TMP/broken.json' >/dev/null 2>&1"
else
	t_skip "schema validation" "python3-jsonschema is not installed"
fi
t_done
