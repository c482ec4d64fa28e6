#!/bin/sh
# Security-group rules as resources of their own, on the real records where they are
# (../shared/data: the Stratus Red Team "open port 22" detonation and the invictus run), with
# states written the way AWS provider v5 writes them. The scenario tests
# (tests/scan/scenarios/aws-sgrules.json) cover the shapes one by one.
. "${TOP_SRCDIR:-.}/tests/lib.sh"
need_shared || t_skip_all "no shared data at $SHARED_DATA"
stratus=$SHARED_DATA/cloudtrail/stratus_aws.exfiltration.ec2-security-group-open-port-22-ingress.json
inv=$SHARED_DATA/cloudtrail/DERIVED_invictus_all_records_sorted.ndjson
[ -f "$stratus" ] && [ -f "$inv" ] || t_skip_all "the stratus and invictus records are not in $SHARED_DATA"
plan_start

# state.py OUT GROUP MODE: a v4 state with the group (in-line rules as the provider reads them
# from the API) and, for MODE v5 or legacy, its rules as resources of their own.
cat > "$T_TMP/state.py" <<'PY'
import json, sys
out, gid, mode = sys.argv[1:4]
acc = "123837392027"
def block(proto, fp, tp, cidrs=(), v6=()):
    return {"cidr_blocks": list(cidrs), "description": "", "from_port": fp, "ipv6_cidr_blocks": list(v6),
            "prefix_list_ids": [], "protocol": proto, "security_groups": [], "self": False, "to_port": tp}
res = [{"mode": "managed", "type": "aws_security_group", "name": "open",
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "instances": [{"schema_version": 1, "attributes": {
            "id": gid, "arn": "arn:aws:ec2:us-east-1:%s:security-group/%s" % (acc, gid),
            "name": "stratus-red-team-open-sg-sg", "description": "Allow TLS inbound traffic",
            "vpc_id": "vpc-0e568b18707c87afa", "owner_id": acc, "revoke_rules_on_delete": False,
            "ingress": [block("tcp", 443, 443, ["0.0.0.0/0"])],
            "egress": [block("-1", 0, 0, ["0.0.0.0/0"], ["::/0"])],
            "tags": {"StratusRedTeam": "true"}, "tags_all": {"StratusRedTeam": "true"}},
            "sensitive_attributes": []}]}]
def v5(direction, name, rid, proto, fp, tp, cidr4=None, cidr6=None):
    return {"mode": "managed", "type": "aws_vpc_security_group_%s_rule" % direction, "name": name,
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [{"schema_version": 0, "attributes": {
                "arn": "arn:aws:ec2:us-east-1:%s:security-group-rule/%s" % (acc, rid),
                "cidr_ipv4": cidr4, "cidr_ipv6": cidr6, "description": None, "from_port": fp,
                "id": rid, "ip_protocol": proto, "prefix_list_id": None,
                "referenced_security_group_id": None, "security_group_id": gid,
                "security_group_rule_id": rid, "tags": None, "tags_all": {}, "to_port": tp},
                "sensitive_attributes": []}]}
if mode == "v5":
    res += [v5("ingress", "tls", "sgr-0bb31cddb2c27f401", "tcp", 443, 443, "0.0.0.0/0"),
            v5("egress", "all_v4", "sgr-035a6016fe8ef01c5", "-1", None, None, "0.0.0.0/0"),
            v5("egress", "all_v6", "sgr-08d9fb7a2d678c6e8", "-1", None, None, None, "::/0")]
elif mode == "legacy":
    res += [{"mode": "managed", "type": "aws_security_group_rule", "name": "tls",
             "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"schema_version": 2, "attributes": {
                 "cidr_blocks": ["0.0.0.0/0"], "description": "TLS from Internet", "from_port": 443,
                 "id": "sgrule-1927305423", "ipv6_cidr_blocks": None, "prefix_list_ids": [],
                 "protocol": "tcp", "security_group_id": gid, "security_group_rule_id": "sgr-0bb31cddb2c27f401",
                 "self": False, "source_security_group_id": None, "timeouts": None, "to_port": 443,
                 "type": "ingress"}, "sensitive_attributes": []}]}]
json.dump({"version": 4, "terraform_version": "1.5.7", "serial": 3, "lineage": "5b0e6a3c-0000-4000-8000-00000000005e",
           "outputs": {}, "resources": res}, open(out, "w"))
PY
# q.py FINDINGS.jsonl: one line per finding (the last copy of each id): kind type id status
# resolution severity
cat > "$T_TMP/q.py" <<'PY'
import json, sys
last = {}
for l in open(sys.argv[1]):
    if l.strip():
        f = json.loads(l)
        last[f["id"]] = f
for f in last.values():
    r = f["resource"]
    print(f["kind"], r.get("type"), r.get("id"), r.get("address"), f["status"],
          (f.get("resolution") or {}).get("reason"), f["severity"])
PY

# 1. The stratus detonation: SSH opened on a group whose rules are v5 resources.
sg=sg-003dc7f1f1c686164
python3 "$T_TMP/state.py" "$T_TMP/v5.tfstate" $sg v5
t_exit "stratus open-22, v5 rules: drift (exit 2)" 2 "$TFDRIFT" scan --state "$T_TMP/v5.tfstate" --events "$stratus" --format jsonl -o "$T_TMP/s1.jsonl" --explain
t_like "explained as drift" "$T_ERR" 'AuthorizeSecurityGroupIngress: drift$'
got=$(python3 "$T_TMP/q.py" "$T_TMP/s1.jsonl")
t_is "one unmanaged ingress rule, named by the response's sgr- id, critical (aws-sgr-open-internet)" "$got" \
    "unmanaged aws_vpc_security_group_ingress_rule sgr-09b3e3d2ca1edf2a2 None open None critical"
t_like "its rule, as the provider names it" "$(cat "$T_TMP/s1.jsonl")" '"attribute": *"cidr_ipv4".*"new": *"208.236.235.254/0"'

# ... inside a change freeze: the violation names the rule too.
"$TFDRIFT" scan --state "$T_TMP/v5.tfstate" --events "$stratus" --freeze rel=2024-08-01T12:00:00Z..2024-08-01T13:00:00Z --format jsonl -o "$T_TMP/s1f.jsonl" 2>/dev/null
t_like "freeze: a violation on the new rule" "$(python3 "$T_TMP/q.py" "$T_TMP/s1f.jsonl")" \
    "^freeze_violation aws_vpc_security_group_ingress_rule sgr-09b3e3d2ca1edf2a2 "

# 2. The same record on a group with in-line rules only: the group is modified, as before.
python3 "$T_TMP/state.py" "$T_TMP/inline.tfstate" $sg inline
"$TFDRIFT" scan --state "$T_TMP/inline.tfstate" --events "$stratus" --format jsonl -o "$T_TMP/s2.jsonl" 2>/dev/null
t_is "in-line rules: a change of aws_security_group.open" "$(python3 "$T_TMP/q.py" "$T_TMP/s2.jsonl")" \
    "modified aws_security_group $sg aws_security_group.open open None critical"

# 3. The invictus run: Terraform builds the group and its rules, stratus opens SSH
# (sgr-0a11552a7d225f5c7) and revokes it by permissions in the flat form, Terraform destroys.
# With the rules as v5 resources in state: one unmanaged rule, resolved by the revoke.
sg=sg-04cfb7a4712d75b00
python3 "$T_TMP/state.py" "$T_TMP/inv.tfstate" $sg v5
t_run "$TFDRIFT" scan --state "$T_TMP/inv.tfstate" --events "$inv" --format jsonl -o "$T_TMP/s3.jsonl" --explain
got=$(python3 "$T_TMP/q.py" "$T_TMP/s3.jsonl" | grep -E "$sg|sgr-|aws_security_group|_rule")
t_is "invictus, v5 rules: the SSH rule unmanaged, then reverted by hand; nothing on the group" "$got" \
    "unmanaged aws_vpc_security_group_ingress_rule sgr-0a11552a7d225f5c7 None resolved reverted_by_hand critical"
t_like "Terraform's own rule calls are terraform" "$T_ERR" ' ec2.amazonaws.com AuthorizeSecurityGroupEgress: terraform$'
t_like "its failed revoke is failed" "$T_ERR" 'RevokeSecurityGroupEgress: failed$'

# 4. The same run with the legacy aws_security_group_rule: matched by its rule, not its id.
python3 "$T_TMP/state.py" "$T_TMP/leg.tfstate" $sg legacy
"$TFDRIFT" scan --state "$T_TMP/leg.tfstate" --events "$inv" --format jsonl -o "$T_TMP/s4.jsonl" 2>/dev/null
got=$(python3 "$T_TMP/q.py" "$T_TMP/s4.jsonl" | grep -E "$sg|sgr-|aws_security_group|_rule")
t_is "invictus, legacy rules: the same" "$got" \
    "unmanaged aws_vpc_security_group_ingress_rule sgr-0a11552a7d225f5c7 None resolved reverted_by_hand critical"

# 5. Across runs with a store: the stratus rule reported in one scan, revoked by permissions
# (the same record's rule, the flat form, an hour later) in the next: the store's finding
# resolves, though the revoke names no id.
sg=sg-003dc7f1f1c686164
python3 - "$stratus" "$T_TMP/revoke.json" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))[0]
rec.update(eventName="RevokeSecurityGroupIngress", eventID="revoke-1", eventTime="2024-08-01T13:23:55Z",
           responseElements={"requestId": rec["requestID"], "_return": True})
json.dump({"Records": [rec]}, open(sys.argv[2], "w"))
PY
t_exit "run 1 with a store: the unmanaged rule (exit 2)" 2 "$TFDRIFT" scan --store "$T_TMP/st.db" --state "$T_TMP/v5.tfstate" --events "$stratus" --format jsonl
t_exit "run 2: the revoke puts it back (exit 0)" 0 "$TFDRIFT" scan --store "$T_TMP/st.db" --state "$T_TMP/v5.tfstate" --events "$T_TMP/revoke.json" --format jsonl -o "$T_TMP/s5.jsonl"
t_is "the store's finding resolved reverted_by_hand by the revoke" "$(python3 "$T_TMP/q.py" "$T_TMP/s5.jsonl")" \
    "unmanaged aws_vpc_security_group_ingress_rule sgr-09b3e3d2ca1edf2a2 None resolved reverted_by_hand critical"
t_done
