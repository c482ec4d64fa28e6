#!/usr/bin/python3
"""End-to-end `tfdrift scan` scenarios, as data.

Each tests/scan/scenarios/*.json file holds a list of scenarios:
  {"name": "...",
   "state": [ {"type": "aws_instance", "name": "web", "module": "module.app",
               "index": 0 | "a", "attributes": {...}, "sensitive": [["password"]]} ... ],
   "events": [ {"aws": {CloudTrail fields merged over defaults}} |
               {"gcp": {LogEntry/protoPayload fields merged over defaults}} ... ],
   "expect": [ {"kind": "modified", "address": "...", "resource_id": "...", "type": "...",
                "changes": [{"attribute": "...", "old": X, "new": Y, "change": "modified"}]} ],
   "reasons": {"<event id>": "terraform" | "equal_value" | ...}}
Events get ids ev-1, ev-2... unless given. Findings must match `expect` exactly (as a set;
changes compared as sets too), and every listed event reason must match `--explain`.
Prints TAP.
"""
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

TFDRIFT = os.environ.get("TFDRIFT", "./tfdrift")
HERE = os.path.dirname(os.path.abspath(__file__))

AWS_DEFAULT = {
    "eventVersion": "1.08",
    "userIdentity": {
        "type": "AssumedRole", "principalId": "AROAEXAMPLE:alice@corp.example",
        "arn": "arn:aws:sts::111122223333:assumed-role/AdminRole/alice@corp.example",
        "accountId": "111122223333", "accessKeyId": "ASIAEXAMPLE",
        "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE",
                           "arn": "arn:aws:iam::111122223333:role/AdminRole",
                           "accountId": "111122223333", "userName": "AdminRole"},
                           "attributes": {"creationDate": "2024-05-27T09:00:00Z",
                                          "mfaAuthenticated": "true"}}},
    "eventTime": "2024-05-27T10:00:00Z",
    "awsRegion": "eu-west-1",
    "sourceIPAddress": "203.0.113.10",
    "userAgent": "AWS Internal",
    "sessionCredentialFromConsole": "true",
    "requestParameters": None,
    "responseElements": None,
    "requestID": "req",
    "readOnly": False,
    "eventType": "AwsApiCall",
    "managementEvent": True,
    "recipientAccountId": "111122223333",
    "eventCategory": "Management",
}

GCP_DEFAULT = {
    "logName": "projects/corp-prod/logs/cloudaudit.googleapis.com%2Factivity",
    "resource": {"type": "gce_instance", "labels": {"project_id": "corp-prod", "zone": "europe-west1-b"}},
    "timestamp": "2024-05-27T10:00:00.123456Z",
    "severity": "NOTICE",
    "protoPayload": {
        "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
        "status": {},
        "authenticationInfo": {"principalEmail": "bob@corp.example"},
        "requestMetadata": {"callerIp": "198.51.100.7",
                            "callerSuppliedUserAgent": "google-cloud-sdk gcloud/470.0.0 command/gcloud.compute.instances.set-machine-type"},
    },
}

TERRAFORM_UA = ("APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) "
                "terraform-provider-aws/5.31.0 (+https://registry.terraform.io/providers/hashicorp/aws) "
                "aws-sdk-go-v2/1.24.0 os/linux lang/go#1.21.5 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.141.0")


def merge(base, over):
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict) and not k.endswith("Parameters") \
                and k not in ("request", "response", "responseElements"):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def build_state(resources):
    out = {"version": 4, "terraform_version": "1.5.7", "serial": 7,
           "lineage": "9b1f0a59-0000-4000-8000-000000000001", "outputs": {}, "resources": []}
    groups = {}
    for r in resources:
        key = (r.get("module"), r.get("mode", "managed"), r["type"], r["name"])
        if key not in groups:
            g = {"mode": r.get("mode", "managed"), "type": r["type"], "name": r["name"],
                 "provider": 'provider["registry.terraform.io/hashicorp/%s"]' %
                             ("google" if r["type"].startswith("google_") else "aws"),
                 "instances": []}
            if r.get("module"):
                g["module"] = r["module"]
            groups[key] = g
            out["resources"].append(g)
        inst = {"schema_version": 0, "attributes": r.get("attributes", {}),
                "sensitive_attributes": [[{"type": "get_attr", "value": p} for p in path]
                                         for path in r.get("sensitive", [])]}
        if "index" in r:
            inst["index_key"] = r["index"]
        if r.get("tainted"):
            inst["status"] = "tainted"
        groups[key]["instances"].append(inst)
    return out


def build_events(events):
    recs = []
    for i, e in enumerate(events, 1):
        if "aws" in e:
            spec = dict(e["aws"])
            actor = spec.pop("_actor", None)
            rec = merge(AWS_DEFAULT, spec)
            rec.setdefault("eventID", "ev-%d" % i)
            if "eventID" not in e["aws"]:
                rec["eventID"] = "ev-%d" % i
            if actor == "terraform":
                rec["userAgent"] = TERRAFORM_UA
                rec.pop("sessionCredentialFromConsole", None)
            elif actor == "cli":
                rec["userAgent"] = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.debian.12 prompt/off command/ec2.modify-instance-attribute"
                rec.pop("sessionCredentialFromConsole", None)
            elif actor == "autoscaling":
                rec["userIdentity"] = {"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"}
                rec["userAgent"] = "autoscaling.amazonaws.com"
                rec["sourceIPAddress"] = "autoscaling.amazonaws.com"
                rec.pop("sessionCredentialFromConsole", None)
            recs.append(rec)
        else:
            spec = dict(e["gcp"])
            actor = spec.pop("_actor", None)
            pp = spec.pop("protoPayload", {})
            rec = merge(GCP_DEFAULT, spec)
            rec["protoPayload"] = merge(GCP_DEFAULT["protoPayload"], pp)
            rec.setdefault("insertId", "ev-%d" % i)
            if actor == "terraform":
                rec["protoPayload"]["requestMetadata"]["callerSuppliedUserAgent"] = \
                    "Terraform/1.5.7 (+https://www.terraform.io) Terraform-Plugin-SDK/2.10.1 terraform-provider-google/5.10.0,gzip(gfe)"
            recs.append(rec)
    return recs


def norm_changes(chs):
    return sorted(json.dumps({k: c.get(k) for k in ("attribute", "old", "new", "change")},
                             sort_keys=True) for c in chs)


def main():
    n = 0
    failed = 0
    files = sorted(f for f in os.listdir(os.path.join(HERE, "scenarios")) if f.endswith(".json"))
    if len(sys.argv) > 1:
        files = [f for f in files if any(a in f for a in sys.argv[1:])]
    for fname in files:
        with open(os.path.join(HERE, "scenarios", fname)) as fp:
            scenarios = json.load(fp)
        for sc in scenarios:
            n += 1
            name = "%s: %s" % (fname[:-5], sc["name"])
            problems = []
            with tempfile.TemporaryDirectory() as td:
                sp = os.path.join(td, "terraform.tfstate")
                ep = os.path.join(td, "events.json")
                with open(sp, "w") as fp:
                    json.dump(build_state(sc.get("state", [])), fp)
                recs = build_events(sc["events"])
                with open(ep, "w") as fp:
                    if any("gcp" in e for e in sc["events"]):
                        json.dump({"entries": recs}, fp)
                    else:
                        json.dump({"Records": recs}, fp)
                # The engine's own verdicts and default severities: the rule packs
                # (which raise severities) have their own tests (rules.sh, test_rules).
                cp = os.path.join(td, "norules.yaml")
                with open(cp, "w") as fp:
                    fp.write('rules_disabled: ["*"]\n')
                p = subprocess.run([TFDRIFT, "-c", cp, "scan", "--state", sp, "--events", ep,
                                    "--format", "jsonl", "--explain"],
                                   capture_output=True, text=True)
                # Expected findings are open unless they say otherwise ("status": "resolved",
                # "resolution": reason): only open ones fail the run.
                want_rc = 2 if any(w.get("status", "open") == "open"
                                   for w in sc.get("expect", [])) else 0
                if p.returncode != want_rc:
                    problems.append("exit %d, expected %d" % (p.returncode, want_rc))
                got = []
                for line in p.stdout.splitlines():
                    try:
                        got.append(json.loads(line))
                    except ValueError as e:
                        problems.append("bad JSON line %r: %s" % (line[:80], e))
                # A stream writes a finding again when it resolves (same id): the last wins.
                last = {}
                for g in got:
                    last[g.get("id")] = g
                got = list({g.get("id"): None for g in got})
                got = [last[i] for i in got]
                # Greedy match: each expected finding consumes one actual finding with the
                # same kind, address and (when given) resource id and changes.
                remaining = list(got)
                for w in sc.get("expect", []):
                    hit = None
                    for g in remaining:
                        res = g.get("resource", {})
                        if g["kind"] != w["kind"] or res.get("address") != w.get("address"):
                            continue
                        if "resource_id" in w and res.get("id") != w["resource_id"]:
                            continue
                        if "changes" in w and norm_changes(g.get("changes", [])) != norm_changes(w["changes"]):
                            continue
                        hit = g
                        break
                    if hit is None:
                        problems.append("missing finding: %s" % json.dumps(w, sort_keys=True))
                        continue
                    remaining.remove(hit)
                    res = hit.get("resource", {})
                    if hit.get("status") != w.get("status", "open"):
                        problems.append("%s: status %r, expected %r" % (w.get("address"), hit.get("status"), w.get("status", "open")))
                    if "resolution" in w and (hit.get("resolution") or {}).get("reason") != w["resolution"]:
                        problems.append("%s: resolution %r, expected %r" % (w.get("address"), hit.get("resolution"), w["resolution"]))
                    if "severity" in w and hit.get("severity") != w["severity"]:
                        problems.append("%s: severity %r, expected %r" % (w.get("address"), hit.get("severity"), w["severity"]))
                    if "type" in w and res.get("type") != w["type"]:
                        problems.append("%s: type %r, expected %r" % (w.get("address"), res.get("type"), w["type"]))
                    for k, v in w.get("actor", {}).items():
                        if hit["actor"].get(k) != v:
                            problems.append("actor.%s is %r, expected %r" % (k, hit["actor"].get(k), v))
                for g in remaining:
                    problems.append("unexpected finding: %s" % json.dumps(
                        {"kind": g["kind"], "resource": g.get("resource"), "changes": g.get("changes")}, sort_keys=True))
                reasons = {}
                for line in p.stderr.splitlines():
                    m = re.match(r"explain: \S+: (\S+) \S+ \S+: (\S+)$", line)
                    if m:
                        reasons[m.group(1)] = m.group(2)
                for evid, want in sc.get("reasons", {}).items():
                    if reasons.get(evid) != want:
                        problems.append("event %s: reason %r, expected %r" % (evid, reasons.get(evid), want))
                if p.returncode not in (0, 2) or problems:
                    problems.append("stderr: " + p.stderr.strip().replace("\n", "\n#     "))
            if problems:
                failed += 1
                print("not ok %d - %s" % (n, name))
                for pr in problems:
                    for ln in pr.splitlines():
                        print("#   " + ln)
            else:
                print("ok %d - %s" % (n, name))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
