#!/usr/bin/python3
"""Write tests/data/falco/alerts.jsonl: Falco JSON alerts (json_output: true,
json_include_output_property: true) as the CloudTrail and gcpaudit plugins make them, built
from the records of doc/examples so the expected drift is known. Rule names and output texts
follow the plugins' default rules (falcosecurity/plugins, Apache-2.0); the ct.*/gcp.* fields
beyond the rule's own output are what Falco's append_output adds (see doc/tfdrift.1)."""
import json, os, sys

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..")
ex = os.path.join(top, "doc", "examples")
recs = json.load(open(os.path.join(ex, "cloudtrail.json")))["Records"]
entries = json.load(open(os.path.join(ex, "gcp-audit.json")))["entries"]


def js(v):
    return None if v is None else json.dumps(v, separators=(",", ":"), sort_keys=True)


def ct_fields(r):
    ui = r.get("userIdentity", {})
    user = ui.get("userName")
    if ui.get("type") == "AssumedRole":
        user = ui.get("sessionContext", {}).get("sessionIssuer", {}).get("userName")
    return {
        "ct.id": r["eventID"], "ct.time": r["eventTime"], "ct.src": r["eventSource"],
        "ct.name": r["eventName"], "ct.region": r["awsRegion"], "ct.srcip": r.get("sourceIPAddress"),
        "ct.useragent": r.get("userAgent"), "ct.user": user,
        "ct.user.identitytype": ui.get("type"), "ct.user.arn": ui.get("arn"),
        "ct.user.principalid": ui.get("principalId"), "ct.user.accountid": ui.get("accountId"),
        "ct.request": js(r.get("requestParameters")), "ct.response": js(r.get("responseElements")),
        "ct.readonly": "true" if r.get("readOnly") else "false",
        "ct.eventtype": r.get("eventType"), "ct.recipientaccountid": r.get("recipientAccountId"),
        "ct.error": r.get("errorCode"), "ct.errormessage": r.get("errorMessage"),
    }


def alert(t, rule, prio, out, fields, source):
    return {"hostname": "falco-0", "output": out, "priority": prio, "rule": rule,
            "source": source, "tags": ["aws", "cloud"] if source == "aws_cloudtrail" else ["gcp"],
            "time": t.replace("Z", ".000000000Z"), "output_fields": fields}


def find(name, t=None):
    for r in recs:
        if r["eventName"] == name and (t is None or r["eventTime"] == t):
            return r
    sys.exit("no %s" % name)


lines = []
login = find("ConsoleLogin", "2024-05-27T09:02:11Z")
f = ct_fields(login)
lines.append(alert(login["eventTime"], "Console Login Without MFA", "Critical",
    "%s: Detected a console login without MFA (requesting user=%s, requesting IP=%s, AWS region=%s)"
    % (login["eventTime"], f["ct.user"], f["ct.srcip"], f["ct.region"]), f, "aws_cloudtrail"))
# A syscall rule: not a cloud audit event.
lines.append({"hostname": "node-1", "output": "09:05:00.000000000: Notice A shell was spawned in a container with an attached terminal (evt_type=execve user=root process=bash)",
    "priority": "Notice", "rule": "Terminal shell in container", "source": "syscall",
    "tags": ["container", "shell"], "time": "2024-05-27T09:05:00.000000000Z",
    "output_fields": {"evt.time": 1716800700000000000, "evt.type": "execve", "proc.name": "bash",
                      "user.name": "root", "container.id": "3ad7b26ded6d"}})
ssh = find("AuthorizeSecurityGroupIngress", "2024-05-27T09:14:03Z")
f = ct_fields(ssh)
lines.append(alert(ssh["eventTime"], "Create Security Group Rule Allowing SSH Ingress", "Warning",
    "%s: Warning Detected creation of security group rule allowing SSH ingress (requesting user=%s, requesting IP=%s, account ID=%s, AWS region=%s, arn=%s, security group=%s)"
    % (ssh["eventTime"], f["ct.user"], f["ct.srcip"], f["ct.user.accountid"], f["ct.region"],
       f["ct.user.arn"], ssh["requestParameters"]["groupId"]), f, "aws_cloudtrail"))
# The default rule output alone (no append_output): cannot be used, said so.
lines.append(alert(ssh["eventTime"], "Create Security Group Rule Allowing SSH Ingress", "Warning",
    "incomplete", {"ct.user": f["ct.user"], "ct.srcip": f["ct.srcip"], "ct.region": f["ct.region"]},
    "aws_cloudtrail"))
# The whole record through the json plugin's json.obj.
kms = find("DisableKey")
lines.append(alert(kms["eventTime"], "KMS Key Disabled", "Critical",
    "%s: Critical KMS key disabled (requesting user=%s)" % (kms["eventTime"], ct_fields(kms)["ct.user"]),
    {"ct.name": "DisableKey", "ct.user": ct_fields(kms)["ct.user"], "json.obj": js(kms)}, "aws_cloudtrail"))
# gcpaudit: the firewall opened to the internet.
for e in entries:
    pp = e["protoPayload"]
    if pp["methodName"].endswith("compute.firewalls.patch") and "allow-ssh" in pp.get("resourceName", ""):
        g = {"gcp.methodName": pp["methodName"], "gcp.serviceName": pp["serviceName"],
             "gcp.resourceName": pp["resourceName"], "gcp.user": pp["authenticationInfo"]["principalEmail"],
             "gcp.callerIP": pp["requestMetadata"].get("callerIp"),
             "gcp.userAgent": pp["requestMetadata"].get("callerSuppliedUserAgent"),
             "gcp.request": js(pp.get("request")), "gcp.projectId": e["resource"]["labels"].get("project_id"),
             "gcp.resourceType": e["resource"]["type"], "gcp.location": None}
        lines.append(alert(e["timestamp"], "GCP VPC Network Firewall Rule Modified", "Warning",
            "%s: Warning project=%s A VPC network firewall rule has been modified (user=%s, firewall=%s)"
            % (e["timestamp"], g["gcp.projectId"], g["gcp.user"], g["gcp.resourceName"]), g, "gcp_auditlog"))
        break
else:
    sys.exit("no firewall patch")
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "alerts.jsonl")
with open(out, "w") as fp:
    for i, a in enumerate(lines):
        fp.write(json.dumps(a, separators=(",", ":")) + "\n")
        if i == 1:
            fp.write("{\"output\": \"truncated by a crash\", \"rule\": \n")   # malformed: line 3
