#!/usr/bin/python3
"""Benchmark inputs: the invictus CloudTrail records replicated with unique event ids, N writes
on N distinct security groups (one finding each, for memory per finding), and a v4 state with
N resources (AWS and GCP types, modules, count and for_each)."""
import json
import sys


def events(src, dst, copies):
    lines = [l for l in open(src) if l.strip()]
    with open(dst, "w") as out:
        for c in range(copies):
            for l in lines:
                r = json.loads(l)
                r["eventID"] = "%s-%04d" % (r.get("eventID", "x"), c)
                out.write(json.dumps(r, separators=(",", ":")) + "\n")


def findings(src, dst, n):
    """n AuthorizeSecurityGroupIngress calls, each on its own (unmanaged) security group, made
    from the first such record in src not made by Terraform: every one is a finding."""
    tmpl = None
    for l in open(src):
        if '"AuthorizeSecurityGroupIngress"' in l and "Terraform/" not in l:
            tmpl = json.loads(l)
            break
    if tmpl is None:
        sys.exit("gen.py: no AuthorizeSecurityGroupIngress record in " + src)
    old = tmpl["requestParameters"]["groupId"]
    text = json.dumps(tmpl, separators=(",", ":"))
    with open(dst, "w") as out:
        for i in range(n):
            r = text.replace(old, "sg-%017x" % i)
            r = r.replace(tmpl["eventID"], "%s-%07d" % (tmpl["eventID"], i))
            out.write(r + "\n")


def state(dst, n):
    res = []
    per = 1000
    kinds = [("aws_instance", lambda i: {"id": "i-%017x" % i, "instance_type": "t3.micro",
                                         "arn": "arn:aws:ec2:eu-west-1:111122223333:instance/i-%017x" % i,
                                         "tags": {"Name": "web-%d" % i, "env": "prod"},
                                         "disable_api_termination": False, "monitoring": False}),
             ("aws_security_group", lambda i: {"id": "sg-%017x" % i, "name": "sg-%d" % i,
                                               "ingress": [{"from_port": 443, "to_port": 443, "protocol": "tcp",
                                                            "cidr_blocks": ["0.0.0.0/0"], "ipv6_cidr_blocks": [],
                                                            "prefix_list_ids": [], "security_groups": [], "self": False,
                                                            "description": ""}], "egress": []}),
             ("aws_s3_bucket", lambda i: {"id": "bucket-%d" % i, "bucket": "bucket-%d" % i,
                                          "arn": "arn:aws:s3:::bucket-%d" % i}),
             ("aws_iam_role", lambda i: {"id": "role-%d" % i, "name": "role-%d" % i,
                                         "arn": "arn:aws:iam::111122223333:role/role-%d" % i,
                                         "assume_role_policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}"}),
             ("google_compute_instance", lambda i: {"id": "projects/p/zones/europe-west1-b/instances/vm-%d" % i,
                                                    "name": "vm-%d" % i, "machine_type": "e2-standard-4",
                                                    "self_link": "https://www.googleapis.com/compute/v1/projects/p/zones/europe-west1-b/instances/vm-%d" % i})]
    i = 0
    g = 0
    while i < n:
        t, mk = kinds[g % len(kinds)]
        block = {"mode": "managed", "type": t, "name": "r%d" % g,
                 "provider": 'provider["registry.terraform.io/hashicorp/%s"]' % ("google" if t.startswith("google") else "aws"),
                 "instances": []}
        if g % 3 == 1:
            block["module"] = "module.m%d" % (g % 17)
        for k in range(min(per, n - i)):
            inst = {"schema_version": 0, "attributes": mk(i), "sensitive_attributes": []}
            inst["index_key"] = k if g % 2 == 0 else "k%d" % k
            block["instances"].append(inst)
            i += 1
        res.append(block)
        g += 1
    json.dump({"version": 4, "terraform_version": "1.5.7", "serial": 1, "lineage": "bench",
               "outputs": {}, "resources": res}, open(dst, "w"))


def s3(src, dst, per):
    """The records of src (JSON lines) as CloudTrail writes them to S3: {"Records":[...]} on
    one line, gzipped, `per` records a file, under AWSLogs/ACCOUNT/CloudTrail/REGION/Y/M/D/."""
    import gzip
    import os
    acct, region = "111122223333", "us-east-1"
    d = os.path.join(dst, "AWSLogs", acct, "CloudTrail", region, "2023", "07", "10")
    os.makedirs(d, exist_ok=True)
    batch, k = [], 0

    def flush():
        name = "%s_CloudTrail_%s_20230710T%02d%02dZ_%06d.json.gz" % (acct, region, k // 60 % 24, k % 60, k)
        with gzip.open(os.path.join(d, name), "wb", compresslevel=6) as out:
            out.write(b'{"Records":[' + b",".join(batch) + b"]}")
    for l in open(src, "rb"):
        l = l.strip()
        if not l:
            continue
        batch.append(l)
        if len(batch) == per:
            flush()
            batch, k = [], k + 1
    if batch:
        flush()


if __name__ == "__main__":
    if sys.argv[1] == "events":
        events(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "s3":
        s3(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "findings":
        findings(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        state(sys.argv[2], int(sys.argv[3]))
