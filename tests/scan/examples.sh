#!/bin/sh
# The bundled example (doc/examples, written by doc/examples/make-examples.py): scanning it must
# produce exactly the findings its story implies, explain every other event with the right
# reason, and never print the database password. Prints TAP.
#   TOP_SRCDIR=. TFDRIFT=./tfdrift sh tests/scan/examples.sh
TOP_SRCDIR=${TOP_SRCDIR:-.}
# shellcheck disable=SC1091
. "$TOP_SRCDIR/tests/lib.sh"
plan_start

EX=$TOP_SRCDIR/doc/examples
# The value at aws_db_instance.main's `password` in prod.tfstate (marked sensitive there).
DB_PASSWORD='pR0d-db!Zq8t1LrvE2pX7mWc'

if [ ! -x "$TFDRIFT" ]; then
	t_skip_all "no tfdrift binary at $TFDRIFT"
fi
if ! need_cmd python3; then
	t_skip_all "python3 is needed to read the JSON output"
fi

# What the story in make-examples.py implies, one line per changed attribute:
#   kind  resource  attribute
# resource is the Terraform address (modified, deleted) or TYPE:ID (unmanaged); attribute is
# "-" for deleted and unmanaged findings.
cat > "$T_TMP/expected" <<'EOF'
# 09:14:03 alice (console) opens SSH to the internet on the web security group
modified  module.net.aws_security_group.web  ingress
# 09:16:40 alice stops web[1] (09:18:31 starting it again is running = state: not drift, and
# it resolves the stop's finding, reverted_by_hand)
modified  module.app.aws_instance.web[1]  instance_state
# 09:18:05 alice changes web[1] from t3.medium to t3.large
modified  module.app.aws_instance.web[1]  instance_type
# 09:22:47 alice disables termination protection on web[0]
modified  module.app.aws_instance.web[0]  disable_api_termination
# 09:41:47 bob (CLI) raises the API Lambda's memory from 256 to 1024
modified  aws_lambda_function.api  memory_size
# 09:52:33 bob makes prod-db publicly accessible and resets its master password
modified  aws_db_instance.main  publicly_accessible
modified  aws_db_instance.main  password
# 10:05:17 the Boto3 script creates a bucket no state manages (one finding: tagging it at
# 10:05:18 adds nothing to a resource already reported), 10:05:19 blocks public access on it
# (a separate Terraform resource type, so a finding of its own)
unmanaged  aws_s3_bucket:corp-prod-exports-20240527  -
unmanaged  aws_s3_bucket_public_access_block:corp-prod-exports-20240527  -
# 10:07:12 ... an IAM user, 10:07:14 ... and an access key for it
unmanaged  aws_iam_user:reporting-bot  -
unmanaged  aws_iam_access_key:AKIARZ5YQ3NPL4XWKM7Q  -
# 10:31:40 bob deletes the logs bucket's public access block
deleted  aws_s3_bucket_public_access_block.logs  -
# 10:48:03 alice disables the data KMS key
modified  aws_kms_key.data  is_enabled
# GCP 09:20 carol (gcloud) opens allow-ssh to 0.0.0.0/0
modified  google_compute_firewall.allow_ssh  source_ranges
# 09:24 carol creates a firewall no state manages
unmanaged  google_compute_firewall:projects/corp-prod-4411/global/firewalls/allow-debug-8080  -
# 09:48 the deployer service account stops app-1 (current_status RUNNING in state; the start
# at 09:48:49 resolves it) ...
modified  google_compute_instance.app[1]  current_status
# ... and changes its machine type from e2-standard-2 to e2-standard-8 (then starts it: not drift)
modified  google_compute_instance.app[1]  machine_type
# 10:15 dave (console) deletes the managed bucket corp-prod-4411-reports
deleted  google_storage_bucket.reports  -
EOF

# Who and how, for a few findings: resource  attribute-or-dash  actor.name  actor.via
cat > "$T_TMP/actors" <<'EOF'
module.net.aws_security_group.web  ingress  alice@corp.example  console
module.app.aws_instance.web[1]  instance_type  alice@corp.example  console
aws_lambda_function.api  memory_size  bob  cli
aws_db_instance.main  publicly_accessible  bob  cli
aws_s3_bucket:corp-prod-exports-20240527  -  etl-runner  sdk
aws_s3_bucket_public_access_block.logs  -  bob  cli
google_compute_firewall.allow_ssh  source_ranges  carol@corp.example  cli
google_compute_instance.app[1]  machine_type  deployer@corp-prod-4411.iam.gserviceaccount.com  sdk
google_storage_bucket.reports  -  dave@corp.example  console
EOF

# The checker: `check.py WHAT` reads the scan's stdout/stderr from $T_TMP and the example
# inputs, prints what is wrong and exits 1 if anything is.
cat > "$T_TMP/check.py" <<'EOF'
import collections, json, os, re, sys

tmp, ex = os.environ["T_TMP"], os.environ["EX"]
what = sys.argv[1]


def lines(name):
    with open(os.path.join(tmp, name)) as fp:
        return [l.split() for l in fp if l.strip() and not l.startswith("#")]


def findings():
    """The stream's findings, one per id: a resolution comes again with the same id, and the
    last line wins (where the first one was)."""
    out, at = [], {}
    with open(os.path.join(tmp, "scan.out")) as fp:
        for n, l in enumerate(fp, 1):
            if l.strip():
                try:
                    f = json.loads(l)
                except ValueError as e:
                    out.append({"_bad": "line %d: %s: %r" % (n, e, l[:100])})
                    continue
                if f.get("id") in at:
                    out[at[f["id"]]] = f
                else:
                    at[f.get("id")] = len(out)
                    out.append(f)
    return out


def key(f):
    r = f.get("resource") or {}
    if f.get("kind") == "unmanaged":
        return "%s:%s" % (r.get("type"), r.get("id"))
    return r.get("address")


def tuples(f):
    if f.get("kind") != "modified":
        return [(f.get("kind"), key(f), "-")]
    chs = f.get("changes") or []
    return [(f["kind"], key(f), c.get("attribute")) for c in chs] or [(f["kind"], key(f), "-")]


# Every input record: (id, provider, record).
records = []
with open(os.path.join(ex, "cloudtrail.json")) as fp:
    for r in json.load(fp)["Records"]:
        records.append((r["eventID"], "aws", r))
with open(os.path.join(ex, "gcp-audit.json")) as fp:
    for e in json.load(fp)["entries"]:
        records.append((e["insertId"], "gcp", e))

# explain: ORIGIN: ID SOURCE NAME: REASON
reasons = {}
explain_count = collections.Counter()
with open(os.path.join(tmp, "scan.err")) as fp:
    for l in fp:
        m = re.match(r"explain: \S+: (\S+) \S+ \S+: (\S+)$", l.rstrip("\n"))
        if m:
            reasons[m.group(1)] = m.group(2)
            explain_count[m.group(1)] += 1


def aws_ua_terraform(r):
    return "Terraform/" in (r.get("userAgent") or "")


def gcp_pp(e):
    return e.get("protoPayload", {})


def gcp_ua(e):
    return gcp_pp(e).get("requestMetadata", {}).get("callerSuppliedUserAgent", "")


def gcp_failed(e):
    return bool(gcp_pp(e).get("status", {}).get("code"))


def gcp_op_last_only(e):
    op = e.get("operation", {})
    return op.get("last") and not op.get("first")


def system_event(e):
    return e.get("logName", "").endswith("%2Fsystem_event")


# The events that are not drift and why, by the story (name and time for the equal ones).
EQUAL = {("aws", "PutBucketVersioning", "2024-05-27T09:25:38Z"),
         ("aws", "PutBucketPolicy", "2024-05-27T09:27:49Z"),
         ("aws", "UpdateFunctionConfiguration20150331v2", "2024-05-27T09:39:02Z"),
         ("aws", "StartInstances", "2024-05-27T09:18:31Z"),
         ("gcp", "v1.compute.instances.start", "2024-05-27T09:48:49.564378Z"),
         ("gcp", "beta.compute.firewalls.patch", "2024-05-27T10:17:08.662450Z")}


def ident(prov, r):
    if prov == "aws":
        return (prov, r["eventName"], r["eventTime"])
    return (prov, gcp_pp(r).get("methodName"), r["timestamp"])


def want_reason(prov, r):
    """The reasons a record may be explained with; None = any (drift, not covered...)."""
    if prov == "aws":
        if r.get("readOnly"):
            return {"read_only"}
        if r.get("errorCode"):
            return {"failed"}
        if aws_ua_terraform(r):
            return {"terraform"}
        if (r.get("userIdentity") or {}).get("invokedBy") == "autoscaling.amazonaws.com":
            return {"service"}
    else:
        if gcp_failed(r):
            return {"failed"}
        if gcp_op_last_only(r):
            return {"duplicate"}
        if "terraform-provider-google" in gcp_ua(r):
            return {"terraform"}
        if system_event(r):
            return {"service", "not_covered"}
    if ident(prov, r) in EQUAL:
        return {"equal_value"}
    return None


def check_reasons(cls):
    bad = n = 0
    for rid, prov, r in records:
        want = want_reason(prov, r)
        if want is None:
            continue
        if cls not in want:
            continue
        n += 1
        got = reasons.get(rid)
        if got not in want:
            bad += 1
            print("%s %s %s: explained as %r, expected %s" % (ident(prov, r) + (got, "/".join(sorted(want)))))
    if n == 0:
        print("no %s events in the example (the example is broken)" % cls)
        return 1
    print("%d %s events checked" % (n, cls))
    return 1 if bad else 0


if what == "jsonl":
    fs = findings()
    bad = [f["_bad"] for f in fs if "_bad" in f]
    for b in bad:
        print("not JSON: " + b)
    sys.exit(1 if bad or not fs else 0)

if what == "findings":
    want = collections.Counter(tuple(l) for l in lines("expected"))
    got = collections.Counter(t for f in findings() if "_bad" not in f for t in tuples(f))
    rc = 0
    for t in sorted((want - got).elements()):
        print("missing:    %s %s %s" % t)
        rc = 1
    for t in sorted((got - want).elements()):
        print("unexpected: %s %s %s" % t)
        rc = 1
    sys.exit(rc)

if what == "types":
    # Unmanaged findings carry their type; the managed ones the type of their address.
    rc = 0
    if not any((f.get("resource") or {}).get("address") for f in findings()):
        print("no managed findings")
        rc = 1
    for f in findings():
        r = f.get("resource") or {}
        addr = r.get("address")
        if addr:
            t = re.sub(r"^(module\.[^.]+\.)*", "", addr).split(".")[0]
            if r.get("type") != t:
                print("%s: type %r" % (addr, r.get("type")))
                rc = 1
    sys.exit(rc)

if what == "actors":
    fs = findings()
    rc = 0
    for res, attr, name, via in lines("actors"):
        hit = [f for f in fs if key(f) == res and (attr == "-" or any(c.get("attribute") == attr
                                                                     for c in f.get("changes") or []))]
        if not hit:
            print("no finding for %s %s" % (res, attr))
            rc = 1
            continue
        a = hit[0].get("actor") or {}
        if a.get("name") != name or a.get("via") != via:
            print("%s %s: actor %r via %r, expected %r via %r" % (res, attr, a.get("name"), a.get("via"), name, via))
            rc = 1
    sys.exit(rc)

if what == "explained-once":
    rc = 0
    for rid, prov, r in records:
        if explain_count[rid] != 1:
            print("%s %s %s: explained %d times" % (ident(prov, r) + (explain_count[rid],)))
            rc = 1
    extra = set(explain_count) - {rid for rid, _, _ in records}
    for rid in sorted(extra):
        print("explained an event that is not in the inputs: %s" % rid)
        rc = 1
    sys.exit(rc)

if what == "sensitive-change":
    # The password change is there, and shows no value at all (not even the logged "****").
    rc = 1
    for f in findings():
        for c in f.get("changes") or []:
            if key(f) == "aws_db_instance.main" and c.get("attribute") == "password":
                rc = 0
                if c.get("old") not in (None, "(sensitive)") or c.get("new") not in (None, "(sensitive)"):
                    print("password change shows values: old %r new %r" % (c.get("old"), c.get("new")))
                    rc = 1
    if rc and not any(key(f) == "aws_db_instance.main" for f in findings()):
        print("no aws_db_instance.main finding")
    sys.exit(rc)

sys.exit(check_reasons(what))
EOF

export T_TMP EX

SCAN="scan --state $EX/prod.tfstate --state $EX/gcp.tfstate --events $EX/cloudtrail.json --events $EX/gcp-audit.json"

# shellcheck disable=SC2086
t_exit "scan of the example exits 2 (drift found)" 2 "$TFDRIFT" $SCAN --format jsonl --explain
printf '%s\n' "$T_OUT" > "$T_TMP/scan.out"
printf '%s\n' "$T_ERR" > "$T_TMP/scan.err"
ALL_OUT=$T_OUT$T_ERR

check() {
	_name=$1
	shift
	t_run python3 "$T_TMP/check.py" "$@"
	if ok "$T_RC" "$_name"; then
		return 0
	fi
	printf '%s\n' "$T_OUT$T_ERR" | head -n 60 | t_indent
	return 1
}

check "stdout is one JSON finding per line" jsonl
check "exactly the findings the story implies" findings
check "managed findings carry the type of their address" types
check "actors: who and via what (console, cli, sdk)" actors
check "every event explained exactly once" explained-once
check "terraform pipeline events explained as terraform" terraform
check "auto scaling events explained as service" service
check "read-only events explained as read_only" read_only
check "failed calls explained as failed" failed
check "values equal to state explained as equal_value" equal_value
check "later entries of GCP operations explained as duplicate" duplicate
check "the password change is shown without values" sensitive-change
t_unlike "the RDS password is not in the jsonl output or --explain" "$ALL_OUT" "$DB_PASSWORD"

# shellcheck disable=SC2086
t_run "$TFDRIFT" $SCAN --format json
t_is "json format exits 2" "$T_RC" 2
t_unlike "the RDS password is not in the json output" "$T_OUT$T_ERR" "$DB_PASSWORD"

# shellcheck disable=SC2086
t_run env NO_COLOR=1 "$TFDRIFT" $SCAN --format text
t_is "text format exits 2" "$T_RC" 2
t_like "text names alice@corp.example" "$T_OUT" 'alice@corp\.example'
t_like "text says via console" "$T_OUT" 'via console'
t_like "text shows the security group address" "$T_OUT" 'module\.net\.aws_security_group\.web'
t_unlike "text has no colour escapes under NO_COLOR" "$T_OUT" "$(printf '\033')"
t_unlike "the RDS password is not in the text output" "$T_OUT$T_ERR" "$DB_PASSWORD"

# -o writes files atomically (temporary file + rename), but a device stays a device: renaming
# over /dev/null would replace it with a plain file for everyone.
mkfifo "$T_TMP/fifo"
timeout 30 cat "$T_TMP/fifo" > "$T_TMP/from-fifo" &      # never hang the suite
t_run "$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" --format jsonl \
    -o "$T_TMP/fifo"
wait
t_is "-o to a pipe exits 2 (drift)" "$T_RC" 2
t_like "-o to a pipe writes into the pipe" "$(cat "$T_TMP/from-fifo")" '"kind":"modified"'
t_ok "the pipe is still a pipe" test -p "$T_TMP/fifo"
t_run "$TFDRIFT" scan --state "$EX/prod.tfstate" --events "$EX/cloudtrail.json" -o /dev/null
t_ok "-o /dev/null leaves /dev/null a device" test -c /dev/null

# The example is generated: the generator must still produce these very files.
# README's scan example is real output: run the command it shows (from the source tree, as
# it is written) and find every shown line, verbatim, in what it prints; `...` may stand only
# for whole findings, and the summary lines at the end are the whole of standard error.
cat > "$T_TMP/readme.py" <<'EOF'
import sys
readme, out, err = sys.argv[1], sys.argv[2], sys.argv[3]
CMD = "$ ./tfdrift scan --state doc/examples/prod.tfstate --events doc/examples/cloudtrail.json --format text"
lines = open(readme, encoding="utf-8").read().split("\n")
try:
    i = lines.index("    " + CMD) + 1
except ValueError:
    sys.exit("README has no example line %r" % CMD)
block = []
while i < len(lines) and (lines[i] == "" or lines[i].startswith("    ")):
    block.append(lines[i][4:])
    i += 1
while block and block[-1] == "":
    block.pop()
stdout = open(out, encoding="utf-8").read().rstrip("\n").split("\n")
stderr = open(err, encoding="utf-8").read().rstrip("\n").split("\n")
real = stdout + stderr
chunks, cur = [], []
for l in block + ["..."]:
    if l == "...":
        while cur and cur[0] == "":
            cur.pop(0)
        while cur and cur[-1] == "":
            cur.pop()
        if cur:
            chunks.append(cur)
        cur = []
    else:
        cur.append(l)
rc, pos = 0, 0
for c in chunks:
    at = next((p for p in range(pos, len(real) - len(c) + 1) if real[p:p + len(c)] == c), None)
    if at is None:
        missing = [l for l in c if l not in real]
        print("README lines not in the output (or not in this order):")
        for l in missing or c:
            print("  " + l)
        rc = 1
        continue
    end = at + len(c)
    # Whole findings: a chunk starts after a blank line (or at the top) and ends before one
    # (or where the findings or the summary end).
    if not (at == 0 or real[at - 1] == "") or not (end in (len(stdout), len(real)) or real[end] == ""):
        print("README elides part of a finding around: %s" % c[0])
        rc = 1
    pos = end
if block[-len(stderr):] != stderr:
    print("README's summary lines are not the whole of standard error:")
    for l in stderr:
        print("  " + l)
    rc = 1
sys.exit(rc)
EOF
# shellcheck disable=SC2046
t_run sh -c 'cd "$1" && shift && NO_COLOR=1 exec "$@"' sh "$TOP_SRCDIR" "$TFDRIFT" \
    $(sed -n 's|^    \$ \./tfdrift \(scan --state doc/examples/prod\.tfstate .*\)$|\1|p' "$TOP_SRCDIR/README")
t_is "README's scan example exits 2" "$T_RC" 2
printf '%s\n' "$T_OUT" > "$T_TMP/readme.out"
printf '%s\n' "$T_ERR" > "$T_TMP/readme.err"
t_run python3 "$T_TMP/readme.py" "$TOP_SRCDIR/README" "$T_TMP/readme.out" "$T_TMP/readme.err"
ok "$T_RC" "README's scan example is verbatim output, summary included" ||
    printf '%s\n' "$T_OUT$T_ERR" | head -n 40 | t_indent

if [ -w "$T_TMP" ]; then
	mkdir -p "$T_TMP/regen"
	cp "$EX/make-examples.py" "$T_TMP/regen/"
	t_run python3 "$T_TMP/regen/make-examples.py"
	_same=0
	for _f in prod.tfstate gcp.tfstate cloudtrail.json gcp-audit.json; do
		cmp -s "$EX/$_f" "$T_TMP/regen/$_f" || { _same=1; t_diag "$_f differs from make-examples.py's output"; }
	done
	ok "$_same" "doc/examples files are what make-examples.py writes"
fi

t_done
