#!/usr/bin/env python3
"""Event maps against the AWS API models: every AWS entry of rules/events/*.yaml names a real
operation of its service (botocore's service models, Debian's python3-botocore), and every
requestParameters / responseElements path it reads (id, attributes, covered_by) exists in the
operation's input / output shape as CloudTrail spells it:

  * members in lowerCamelCase (dBInstanceIdentifier), and as named in XML APIs (S3's
    VersioningConfiguration.Status) and EC2's wrapped requests; HTTP-bound members (uri,
    querystring, header) also by their wire name (S3's bucketName, "x-amz-acl"), and CloudTrail's
    lists of header values ("x-amz-acl"[0]);
  * EC2 (protocol ec2): the locationName (instancesSet, groupId), lists wrapped as
    {"items": [...]}, input lists named ...Set (InstanceIds -> instancesSet) whose scalar
    members are objects {instanceId: ...}; newer calls wrapped as {"OpRequest": {...}} and
    {"OpResponse": {...}} in the API's own names;
  * XML protocols (rest-xml, query, ec2): a list's element name as a step (S3's TagSet.Tag),
    and a list that held one element logged as the element itself (Rule.X as well as Rule[0].X);
  * RDS-like query services (UNWRAPPED): responseElements are the result's single member
    itself (dBInstanceArn, not dBInstance.dBInstanceArn);
  * `[]` and `[0]` anywhere (jpath reads a non-list as a one-element list), `[N]` only on
    lists (or header values); maps take any key.

Paths elsewhere in the record (additionalEventData, recipientAccountId) are counted, not checked.

Event names: the entry's event, then its aliases, each also without Lambda's version suffix
(UpdateFunctionConfiguration20150331v2) or CloudFront's (UpdateDistribution2020_05_31).

What does not pass carries a reviewed exception in tests/data/eventmaps-botocore-exceptions.tsv
(service, event, path or *, reason); an exception that no longer matches anything fails too.
TAP on stdout, one test per AWS entry, then self-tests of the checker (paths CloudTrail logs
pass, misspelt ones are caught); skipped when botocore or PyYAML is missing. Run from the top
of the source tree or set TOP_SRCDIR: tests/maps/botocore.sh.
"""
import os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mapslib

try:
    import yaml  # noqa: F401
except ImportError:
    mapslib.skip_all("PyYAML (python3-yaml) is not installed")
try:
    import botocore.session
    import botocore.model
except ImportError:
    mapslib.skip_all("botocore (python3-botocore) is not installed: the AWS API models")

EXC = os.path.join(mapslib.TOP, "tests", "data", "eventmaps-botocore-exceptions.tsv")

# CloudTrail eventSource (without .amazonaws.com) -> botocore service names, tried in order.
# Anything not listed is looked up under its own name.
SERVICES = {
    "monitoring": ["cloudwatch"],
    "elasticloadbalancing": ["elbv2", "elb"],
    "email": ["sesv2", "ses"],
    "apigateway": ["apigateway", "apigatewayv2"],
    "states": ["stepfunctions"],
    "elasticfilesystem": ["efs"],
    "elasticmapreduce": ["emr"],
    "es": ["opensearch", "es"],
    "access-analyzer": ["accessanalyzer"],
    "cloudhsm": ["cloudhsmv2", "cloudhsm"],
    "sso": ["sso-admin"],
    "autoscaling": ["autoscaling"],
    "application-autoscaling": ["application-autoscaling"],
    "cognito-idp": ["cognito-idp"],
    "airflow": ["mwaa"],
    "kafka": ["kafka"],
    "s3": ["s3"],
    "ec2": ["ec2"],
    "lambda": ["lambda"],
    "events": ["events"],
    "logs": ["logs"],
}
# CloudTrail event names that are not the API's operation names.
CLOUDTRAIL_NAMES = {
    ("s3", "PutBucketPublicAccessBlock"): "PutPublicAccessBlock",
    ("s3", "DeleteBucketPublicAccessBlock"): "DeletePublicAccessBlock",
    ("s3", "GetBucketPublicAccessBlock"): "GetPublicAccessBlock",
    ("s3", "PutAccountPublicAccessBlock"): "PutPublicAccessBlock",
    ("s3", "DeleteAccountPublicAccessBlock"): "DeletePublicAccessBlock",
}
# Services whose responseElements are the result's one member itself (RDS's DBInstance), not
# {"dBInstance": {...}} as IAM logs {"role": {...}}.
UNWRAPPED = {"rds", "redshift", "neptune", "docdb", "elasticache"}
# Looked up only when the service's own models have no such operation (account-level S3 calls).
FALLBACK = {"s3": ["s3control"]}
VERSIONED = [re.compile(r"^(.+?)20\d{6}(v\d+)?$"), re.compile(r"^(.+?)20\d\d_\d\d_\d\d$")]
ROOTS = {"requestParameters": "input", "responseElements": "output"}

session = botocore.session.get_session()
AVAILABLE = set(session.get_available_services())
_models = {}


def model(name):
    if name not in _models:
        _models[name] = session.get_service_model(name) if name in AVAILABLE else None
    return _models[name]


def lcfirst(s):
    return s[:1].lower() + s[1:]


def operations(service, name):
    """[(service model, operation model)] that CloudTrail name `name` of `service` may be
    (the same name in several models: API Gateway v1 and v2, ELB classic and v2), and
    the forms tried."""
    src = service.split(".amazonaws.com")[0]
    cands = SERVICES.get(src, [src])
    models = [m for m in (model(c) for c in cands) if m is not None]
    forms = [name] + [m.group(1) for m in (r.match(name) for r in VERSIONED) if m]
    if (src, name) in CLOUDTRAIL_NAMES:
        forms.append(CLOUDTRAIL_NAMES[(src, name)])
    out = [(sm, sm.operation_model(f)) for f in forms for sm in models if f in sm.operation_names]
    if not out and src in FALLBACK:
        fb = [m for m in (model(c) for c in FALLBACK[src]) if m is not None]
        out = [(sm, sm.operation_model(f)) for f in forms for sm in fb if f in sm.operation_names]
    return out, models, cands, forms


def wire_names(name, ref, protocol):
    """Names CloudTrail may give member `name` (shape `ref`)."""
    ser = ref.serialization
    # JSON and query APIs are logged in lowerCamelCase only; XML bodies (S3) and EC2's wrapped
    # requests keep the API's own names too
    out = {lcfirst(name)} | ({name} if protocol in ("rest-xml", "ec2") else set())
    for k in ("name", "queryName"):
        if ser.get(k):
            # a URI label is logged in lowerCamelCase (Lambda's functionName), a header or a
            # body key as it is on the wire ("x-amz-acl")
            out |= {lcfirst(ser[k])} | ({ser[k]} if ser.get("location") != "uri" else set())
    if ser.get("location") == "uri" and name == "Bucket":
        out.add("bucketName")
    if protocol == "ec2" and ref.type_name == "list":
        loc = ser.get("name") or name
        stems = {loc, name, re.sub(r"Ids$", "s", name), re.sub(r"s$", "", name)}
        out |= {lcfirst(s) + "Set" for s in stems}
    return out


def element_names(ref):
    """What an EC2 {items:[{x: v}]} wrapper calls a scalar element of list `ref`."""
    ser = ref.serialization
    m = ref.member
    out = {lcfirst(n) for n in (ser.get("name"), m.serialization.get("name"), m.name) if n}
    out.add(lcfirst(re.sub(r"s$", "", ref.name)))
    return out


class Miss(Exception):
    pass


def walk(op, sm, root_kind, segs, path):
    """The path's segments through the operation's input or output shape, trying every
    reading CloudTrail's naming allows (depth first); raises Miss with the reason of the
    reading that got furthest."""
    protocol = sm.metadata.get("protocol")
    xml = protocol in ("rest-xml", "query", "ec2")
    shape = op.input_shape if root_kind == "input" else op.output_shape
    if shape is None:
        raise Miss("%s has no %s shape" % (op.name, root_kind))
    where = "%s %s" % (op.name, root_kind)
    # {"ModifyVolumeRequest": {...}} / {"CreateNatGatewayResponse": {...}}: the API's own names.
    wrapper = op.name + ("Request" if root_kind == "input" else "Response")
    start = 1 if segs and segs[0][0] == wrapper else 0
    best = [-1, "%s: nothing matches" % where]

    def fail(i, msg):
        if i >= best[0]:
            best[0], best[1] = i, "%s: %s" % (where, msg)

    def subscript(shape, key, sub, header, i):
        """The shape after the subscripts `sub` ("[]", "[0][]"...), or None."""
        for tok in re.findall(r"\[(\d*)\]", sub):
            if shape.type_name == "list":
                shape = shape.member
            elif not (header or tok in ("", "0")):
                # jpath reads [] and [0] of a non-list as a one-element list; [1] never matches
                fail(i, "%s%s subscripts %s %s, not a list" % (key, sub, shape.type_name, shape.name))
                return None
        return shape

    def go(shape, i, elem_of, top):
        if i == len(segs):
            return True
        key, sub = segs[i]
        t = shape.type_name
        # (next shape, segment consumed, elem_of, header, subscripts: all | rest | none)
        cands = []
        if elem_of is not None and key in element_names(elem_of) | {"content"}:
            cands.append((shape, True, None, False, "none"))   # {"items": [{"instanceId": v}]}
        if protocol == "ec2" and key == "content" and t != "structure":
            # XML text: {"VpcEndpointId": {"content": v}}
            cands.append((shape.member if t == "list" else shape, True, None, False, "none"))
        if t == "list":
            if key == "items":                                  # EC2 {"items": [...]}
                scalar = shape.member.type_name not in ("structure", "list", "map")
                cands.append((shape.member, True, shape if scalar and protocol == "ec2" else None,
                              False, "rest"))
            if xml and key in {shape.serialization.get("name"),
                               shape.member.serialization.get("name")} - {None}:
                cands.append((shape.member, True, None, False, "rest"))   # XML element (TagSet.Tag)
            if xml and shape.member.type_name == "structure":
                cands.append((shape.member, False, None, False, "none"))  # one element as itself
            if protocol == "ec2" and key in element_names(shape):
                cands.append((shape.member, True, None, False, "all"))
        elif t == "map":
            cands.append((shape.value, True, None, False, "all"))
        elif t == "structure":
            for name, ref in shape.members.items():
                if key in wire_names(name, ref, protocol):
                    cands.append((ref, True, None, ref.serialization.get("location") in
                                  ("header", "querystring"), "all"))
            inner = [r for r in shape.members.values() if r.type_name == "structure"]
            if top and root_kind == "output" and len(shape.members) == 1 and inner and \
                    sm.service_name in UNWRAPPED:
                cands.append((inner[0], False, None, False, "none"))  # RDS: the result unwrapped
        if not cands:
            if t == "structure":
                fail(i, "no member %r in %s (members: %s)" % (
                    key, shape.name, ", ".join(sorted(shape.members)) or "none"))
            else:
                fail(i, "%r steps into %s %s" % (key, t, shape.name))
        for nshape, consumed, eo, header, subs in cands:
            if not consumed:
                if go(nshape, i, None, False):
                    return True
                continue
            rest = sub
            if subs == "rest" and sub:
                rest = sub[sub.index("]") + 1:]
            if subs != "none" and rest:
                nshape = subscript(nshape, key, rest, header, i)
                if nshape is None:
                    continue
            if go(nshape, i + 1, eo, False):
                return True
        return False

    if not go(shape, start, None, True):
        raise Miss(best[1])


def check_path(ops, path):
    """None when the path is in the model of one of the operations, else why not;
    'unchecked' for paths outside requestParameters / responseElements."""
    segs = mapslib.parse_path(path)
    kind = ROOTS.get(segs[0][0])
    if kind is None:
        return "unchecked"
    if segs[0][1]:
        return "%s is not a list" % segs[0][0]
    whys = []
    for sm, op in ops:
        try:
            walk(op, sm, kind, segs[1:], path)
            return None
        except Miss as e:
            whys.append("%s.%s" % (sm.service_name, e))
    return "; ".join(whys)


def check_entry(e, exc, version, counts):
    """(problems, notes, operations) of one AWS entry; the exceptions it uses are counted."""
    counts["entries"] += 1
    problems, ops, notes = [], [], []

    def excepted(path, why):
        """The exception for (entry, path), or None; counts its use."""
        x = exc.get((e.service, e.event, path))
        if x is None or not exc_applies(x[1], version):
            return None
        x[2] += 1
        if why is None and not x[1].startswith("botocore<"):
            problems.append("%s passes now: drop its exception (line %d)" % (path, x[0]))
        elif why is not None:
            notes.append("%s excepted: %s" % (path, x[1]))
        return x

    for n in e.names:
        o, models, cands, forms = operations(e.service, n)
        if not o:
            why = ("no operation %s in %s" % (" / ".join(dict.fromkeys(forms)),
                   ", ".join(m.service_name for m in models)) if models else
                   "no botocore service for %s (tried %s)" % (e.service, ", ".join(cands)))
            if excepted("*" if n == e.event else "*" + n, why) is None:
                problems.append(why)
        ops += o
    counts["ops"] += len(ops) > 0
    for role, p in e.paths():
        if not ops:
            break
        why = check_path(ops, p)
        if why == "unchecked":
            counts["unchecked"] += 1
            continue
        counts["paths"] += 1
        if excepted(p, why) is not None:
            counts["excepted"] += why is not None
            continue
        if why:
            problems.append("%s %s: %s" % (role, p, why))
    how = ", ".join(dict.fromkeys("%s.%s" % (sm.service_name, op.name) for sm, op in ops))
    return problems, notes, how


# The checker against itself: paths CloudTrail really logs pass, misspelt ones do not.
SELFTEST = [
    ("ec2.amazonaws.com", "TerminateInstances", "requestParameters.instancesSet.items[].instanceId", True),
    ("ec2.amazonaws.com", "TerminateInstances", "requestParameters.instanceSet.items[].instanceId", False),
    ("ec2.amazonaws.com", "RunInstances", "responseElements.instancesSet.items[0].instanceType", True),
    ("ec2.amazonaws.com", "ModifyInstanceAttribute", "requestParameters.instanceID", False),
    ("ec2.amazonaws.com", "ModifyInstanceAttribute", "requestParameters.instanceType.value", True),
    ("ec2.amazonaws.com", "ModifyInstanceAttribute", "requestParameters.instanceType[1]", False),
    ("ec2.amazonaws.com", "ModifySecurityGroupRules", "requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRule.IpProtocol", True),
    ("ec2.amazonaws.com", "ModifySecurityGroupRules", "requestParameters.ModifySecurityGroupRulesRequest.SecurityGroupRule.SecurityGroupRuleId", True),
    ("ec2.amazonaws.com", "DeleteVpcEndpoints", "requestParameters.DeleteVpcEndpointsRequest.VpcEndpointId[].content", True),
    ("s3.amazonaws.com", "PutBucketVersioning", "requestParameters.VersioningConfiguration.Status", True),
    ("s3.amazonaws.com", "PutBucketVersioning", "requestParameters.VersioningConfiguration.Statuss", False),
    ("s3.amazonaws.com", "PutBucketAcl", 'requestParameters."x-amz-acl"[0]', True),
    ("s3.amazonaws.com", "PutBucketTagging", "requestParameters.Tagging.TagSet.Tag", True),
    ("rds.amazonaws.com", "CreateDBInstance", "responseElements.dBInstanceArn", True),
    ("rds.amazonaws.com", "CreateDBInstance", "requestParameters.DBInstanceIdentifer", False),
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", "requestParameters.kMSKeyArn", True),
    ("lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", "responseElements.functionArn", True),
    ("cloudfront.amazonaws.com", "UpdateDistribution2020_05_31", "requestParameters.id", True),
    ("iam.amazonaws.com", "CreateRole", "responseElements.role.arn", True),
    ("iam.amazonaws.com", "CreateRole", "responseElements.arn", False),
    ("iam.amazonaws.com", "CreateRoles", "requestParameters.roleName", False),
    ("iam.amazonaws.com", "CreateRole", "requestParameters.RoleName", False),
    ("lambda.amazonaws.com", "DeleteFunction20150331", "requestParameters.functionName", True),
    ("lambda.amazonaws.com", "DeleteFunction20150331", "requestParameters.FunctionName", False),
]


def selftest(tap, version):
    for svc, ev, path, good in SELFTEST:
        e = mapslib.Entry("selftest", {"provider": "aws", "service": svc},
                          {"event": ev, "resource": "x", "action": "modify", "id": [path]}, 0)
        problems, _, _ = check_entry(e, {}, version, {"entries": 0, "paths": 0, "excepted": 0,
                                                      "unchecked": 0, "ops": 0})
        tap.ok(bool(problems) != good, "self-test: %s %s %s" % (
            ev, path, "is in the model" if good else "is caught"), problems)


def exc_applies(why, version):
    m = re.match(r"botocore<([\d.]+): ", why)
    return not m or version < tuple(int(v) for v in m.group(1).split("."))


def main():
    tap = mapslib.Tap()
    version = tuple(int(x) for x in re.findall(r"\d+", botocore.__version__)[:3])
    exc = {}
    for ln, cols in mapslib.read_tsv(EXC, 4):
        exc[(cols[0], cols[1], cols[2])] = [ln, cols[3], 0]
    nent = npaths = nexc = nunchecked = nops = 0
    version = tuple(int(x) for x in re.findall(r"\d+", botocore.__version__)[:3])
    counts = {"entries": 0, "paths": 0, "excepted": 0, "unchecked": 0, "ops": 0}
    for e in mapslib.load_maps():
        if e.provider != "aws":
            continue
        problems, passed, how = check_entry(e, exc, version, counts)
        tap.ok(not problems, "%s: %s" % (e.label(), how or "no operation"), problems + passed)
    for (svc, ev, p), (ln, why, used) in sorted(exc.items(), key=lambda kv: kv[1][0]):
        if not used:
            if re.match(r"botocore<([\d.]+): ", why) and not exc_applies(why, version):
                continue
            tap.ok(False, "exception line %d (%s %s %s) matches an entry" % (ln, svc, ev, p),
                   ["no AWS entry reads that path any more: remove the line"])
    tap.diag("%d AWS entries checked against botocore %s (%d with an operation): %d paths "
             "checked, %d of them excepted (%s), %d outside requestParameters/responseElements" % (
                 counts["entries"], botocore.__version__, counts["ops"], counts["paths"],
                 counts["excepted"], os.path.basename(EXC), counts["unchecked"]))
    selftest(tap, version)
    tap.done()


if __name__ == "__main__":
    main()
