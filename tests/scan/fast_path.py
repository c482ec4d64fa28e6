#!/usr/bin/python3
"""scan's read-only fast path changes nothing but speed.

`tfdrift scan` skips the records its raw scanner (event.c, event_raw_read_only) proves
read-only without parsing them, and counts them; --explain turns the skip off (it names every
event). So each input here is scanned twice, plainly and with --explain, and the two runs must
agree byte for byte: the findings (stdout), every warning and count on stderr once the
"explain:" lines are taken out, and the exit status. Inputs: every scenario of
tests/scan/scenarios (its state and events, as run_scenarios.py builds them), the event files
of tests/data/events, the public samples in SHARED_DATA (when present), each also inside a
--since/--until window, and records made here for the edges (a read-only record the full parse
would repair, a repeated readOnly or eventTime, an escaped time, times outside the window).
The plain run must also have skipped something (its summary counts read-only events the
--explain run parsed), or the comparison would prove nothing.
Prints TAP."""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_scenarios  # noqa: E402  (build_state, build_events)

TFDRIFT = os.environ.get("TFDRIFT", "./tfdrift")
TOP = os.environ.get("TOP_SRCDIR", os.path.dirname(os.path.dirname(HERE)))
SHARED = os.environ.get("SHARED_DATA", os.path.join(TOP, "..", "shared", "data"))

n = 0
failed = 0


def ok(good, name, diag=""):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if good else "not ok", n, name))
    if not good:
        failed += 1
        for ln in diag.splitlines()[:40]:
            print("#   " + ln)


def scan(args):
    p = subprocess.run([TFDRIFT] + args, capture_output=True, stdin=subprocess.DEVNULL)
    return p


def diff_lines(a, b):
    al, bl = a.splitlines(), b.splitlines()
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else b"<none>"
        y = bl[i] if i < len(bl) else b"<none>"
        if x != y:
            return "line %d:\n  fast:  %r\n  full:  %r" % (i + 1, x[:300], y[:300])
    return ""


def compare(name, state, events, extra=()):
    """Both runs, compared; returns the fast run's read-only count (or None)."""
    base = ["scan", "--state", state, "--format", "jsonl"] + list(extra) + ["--events"] + events
    fast = scan(base)
    full = scan(base + ["--explain"])
    err = b"\n".join(l for l in full.stderr.split(b"\n") if not l.startswith(b"explain: "))
    good = fast.returncode == full.returncode and fast.stdout == full.stdout and fast.stderr == err
    why = ""
    if fast.returncode != full.returncode:
        why += "exit %d with the fast path, %d without\n" % (fast.returncode, full.returncode)
    if fast.stdout != full.stdout:
        why += "stdout: " + diff_lines(fast.stdout, full.stdout) + "\n"
    if fast.stderr != err:
        why += "stderr: " + diff_lines(fast.stderr, err) + "\n"
    ok(good and fast.returncode in (0, 1, 2), name, why)
    m = re.search(rb"not drift: (\d+) read-only", fast.stderr)
    return int(m.group(1)) if m else None


def main():
    td = tempfile.mkdtemp(prefix="tfdrift-fastpath-")
    none = os.path.join(td, "none.tfstate")
    with open(none, "w") as fp:
        fp.write('{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":"e","resources":[]}')
    total_ro = 0
    # The scenarios: each as its own state and events, with and without a window.
    for fname in sorted(glob.glob(os.path.join(HERE, "scenarios", "*.json"))):
        with open(fname) as fp:
            scenarios = json.load(fp)
        for i, sc in enumerate(scenarios):
            sp = os.path.join(td, "s.tfstate")
            ep = os.path.join(td, "e.json")
            with open(sp, "w") as fp:
                json.dump(run_scenarios.build_state(sc.get("state", [])), fp)
            recs = run_scenarios.build_events(sc["events"])
            with open(ep, "w") as fp:
                if any("gcp" in e for e in sc["events"]):
                    json.dump({"entries": recs}, fp)
                else:
                    json.dump({"Records": recs}, fp)
            label = "%s: %s" % (os.path.basename(fname)[:-5], sc["name"])
            total_ro += compare(label, sp, [ep]) or 0
            compare(label + " (window)", sp, [ep], ["--since", "2024-05-27T10:00:00Z",
                                                    "--until", "2024-05-27T10:00:00Z"])
    # Records made for the edges of the raw scanner, as JSON lines and as a Records document.
    def ro(i, **kw):
        r = {"eventVersion": "1.08", "eventTime": "2024-05-27T10:%02d:00Z" % i,
             "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
             "awsRegion": "eu-west-1", "eventID": "ro-%d" % i, "readOnly": True,
             "userIdentity": {"type": "IAMUser", "userName": "alice"}}
        r.update(kw)
        return json.dumps(r)
    lines = [
        ro(1), ro(2, eventTime="2024-05-27T09:00:00Z"), ro(3, eventTime="2024-05-27T11:00:00Z"),
        ro(4, eventTime="not a time"), ro(5, eventTime=7), ro(6, userAgent="caf\u00e9"),
        ro(7, requestParameters={"nested": {"readOnly": False}}),
        ro(8, eventID="ro-1"),                       # a duplicate id: read-only comes first
        ro(9, eventName="Get\u00e9"),
    ]
    raw = [
        # escaped time, repeated keys, a NUL escape, a lone surrogate, bytes that are not UTF-8
        ro(10).replace('"2024-05-27T10:10:00Z"', '"2024-05-27T10:10:00\\u005a"'),
        ro(11)[:-1] + ', "eventTime": "2024-05-27T08:00:00Z"}',
        ro(12)[:-1] + ', "eventTime": 5}',
        ro(13)[:-1] + ', "readOnly": false}',
        ro(14)[:-1] + ', "readOnly": true}',
        ro(15, userAgent="x\u0000y"),
        ro(16).replace('"alice"', '"al\\ud800ice"'),
        ro(17).replace('"alice"', '"al\\ud83d\\ude00ice"'),
        ro(18).replace('"eu-west-1"', '"eu-west-\x01"'),
    ]
    p = os.path.join(td, "edges.ndjson")
    with open(p, "wb") as fp:
        for l in lines + raw:
            fp.write(l.encode() + b"\n")
        fp.write(ro(19).encode().replace(b"alice", b"al\xffice") + b"\n")
        fp.write(ro(20).encode().replace(b"alice", b"al\xc3\xa9ice") + b"\n")
        fp.write(ro(21).encode()[:-1] + b', "eventTime": "' + b"2" * 70 + b'"}\n')
        fp.write(json.dumps({"eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                             "eventTime": "2024-05-27T10:30:00Z", "readOnly": False,
                             "eventID": "w-1"}).encode() + b"\n")
    d = os.path.join(td, "edges.json")
    with open(p, "rb") as src, open(d, "wb") as fp:
        fp.write(b'{"Records": [' + b",\n".join(l for l in src.read().split(b"\n") if l) + b"]}")
    for f in (p, d):
        for w in ([], ["--since", "2024-05-27T10:00:00Z", "--until", "2024-05-27T10:30:00Z"]):
            c = compare("edges %s %s" % (os.path.basename(f), " ".join(w)), none, [f], w)
            ok(c is not None and c > 0, "edges %s %s: read-only records counted (%s)" %
               (os.path.basename(f), " ".join(w), c))
    # The event files of tests/data/events and the public samples.
    files = sorted(glob.glob(os.path.join(TOP, "tests", "data", "events", "*")))
    if os.path.isdir(SHARED):
        files += sorted(f for f in glob.glob(os.path.join(SHARED, "cloudtrail", "*")) +
                        glob.glob(os.path.join(SHARED, "gcpaudit", "*"))
                        if not f.endswith(".meta.jsonl"))
    for f in files:
        total_ro += compare(os.path.basename(f), none, [f]) or 0
    inv = os.path.join(SHARED, "cloudtrail", "DERIVED_invictus_all_records_sorted.ndjson")
    if os.path.exists(inv):
        compare("invictus in a window", none, [inv], ["--since", "2023-07-10T11:50:00Z",
                                                      "--until", "2023-07-10T12:10:00Z"])
    ok(total_ro > 0, "read-only events were counted across the inputs (%d)" % total_ro)
    print("1..%d" % n)
    subprocess.run(["rm", "-rf", td])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
