#!/usr/bin/python3
"""Output hygiene, as a property: whatever strings the logs, the state and people hand
tfdrift, every output it writes is well formed and inert.

Hostile strings (bytes that are not UTF-8, NULs, C0 and C1 controls, escape sequences,
bidi overrides, spreadsheet formulas, quotes, commas, line breaks, a very long one, and
seeded random mixtures of them; TFDRIFT_HYGIENE_SEED picks another mix) go into the
places a log can put them -- user names, role session names, tag keys and values, resource
ids, event ids, regions, source addresses, user agents -- and into a state's values and a
triage note, and into a finding stored by an older version. They go through the real
pipeline (events file -> scan, the store -> export, watch --once, notifications to a Falco
file) and every output is checked:

  json      strict UTF-8, parses, valid against doc/findings.schema.json, no raw control
            character (C0 but newline, DEL, C1, bidi controls, U+2028/9)
  jsonl     the same, line by line
  csv       strict UTF-8, RFC 4180 (CRLF records, quoting that Python's strict csv reader
            accepts, 18 columns) and no cell beginning with = + - @ tab or CR
  text      strict UTF-8, no control byte but the newline (nor C1, bidi)
  stderr    (--explain, warnings) no control byte but the newline

and the text survives: a user name reads back from the JSON as the bytes logged, decoded
with U+FFFD for each maximal ill-formed subpart (Python's errors="replace" is the Unicode
practice tfdrift follows) and for NUL. Prints TAP.
"""
import csv
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile

TFDRIFT = os.environ.get("TFDRIFT", "./tfdrift")
TOP = os.environ.get("TOP_SRCDIR", ".")
SCHEMA = os.path.join(TOP, "doc", "findings.schema.json")
VALIDATE = os.path.join(TOP, "tests", "schema_validate.py")

FRAGMENTS = [
    b"=cmd|' /C calc'!A0", b"+SUM(1+1)", b"-2+3", b"@SUM(A1:A9)", b"\t=tab", b"\r=cr",
    b"\xff\xfe not UTF-8", b"\xc0\x80 overlong", b"\xed\xa0\x80 surrogate",
    b"\xf4\x90\x80\x80 past U+10FFFF", b"cut \xe2\x82", b"\xf0\x9f\x98", b"\x80\xbf lone",
    b"nul\x00inside", b"\x1b]0;PWNED\x07 title", b"\x1b[2J\x1b[31m red", b"\x1bP dcs \x1b\\",
    b"csi \xc2\x9b" b"31m C1", b"nel \xc2\x85", b"del\x7f", b"bell\x07", b"bs\x08\x08",
    b"bidi \xe2\x80\xae desrever \xe2\x81\xa6 isolate \xe2\x81\xa9", b"rlm \xe2\x80\x8f",
    b"line\nbreak", b"cr\r\nlf", b'quote " and , comma', b"'single'", b"back\\slash",
    b"ls \xe2\x80\xa8 ps \xe2\x80\xa9", b"\xef\xbb\xbf bom", b"emoji \xf0\x9f\x98\x80 ok",
    b"caf\xc3\xa9", b"",
]
LEADING = b"=+-@\t\r"


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if cond else "not ok", self.n, name))
        if not cond:
            self.failed += 1
            if diag:
                for line in str(diag).splitlines()[:30]:
                    print("#   " + line)
        sys.stdout.flush()
        return cond

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


def hostile_strings(seed):
    """The fragments one by one, seeded mixtures of them, and a very long one."""
    rnd = random.Random(seed)
    out = [f for f in FRAGMENTS if f]
    for _ in range(24):
        out.append(b"".join(rnd.choice(FRAGMENTS) for _ in range(rnd.randint(2, 5))))
    out.append(b"=" + b"x\xff\x1b[0m" * 20000 + b"\xe2\x80\xae end")
    return out


def jstr(b, raw_controls=False):
    """A JSON string literal (bytes) carrying b: quotes, backslashes and (unless
    raw_controls) C0 controls escaped, NUL always as \\u0000; every other byte raw, so the
    file holds exactly the bytes that are not UTF-8."""
    out = bytearray(b'"')
    for c in b:
        if c == 0x22 or c == 0x5c:
            out += b"\\" + bytes([c])
        elif c == 0 or (c < 0x20 and (not raw_controls or c in (0x0a, 0x0d))):
            out += b"\\u%04x" % c
        else:
            out.append(c)
    out += b'"'
    return bytes(out)


def expected_text(b):
    """What tfdrift should make of b: U+FFFD per maximal subpart, and for NUL."""
    return b.decode("utf-8", "replace").replace("\x00", "\ufffd")


def record(i, name, src, req, resp, user=b"bob", session=None, extra=None):
    """One CloudTrail record as JSON bytes; every hostile value already a JSON literal."""
    if session is None:
        ident = (b'{"type":"IAMUser","principalId":"AIDAHYGIENE","arn":"arn:aws:iam::111122223333:user/u%d",'
                 b'"accountId":"111122223333","userName":%s}' % (i, jstr(user, i % 2 == 0)))
    else:
        ident = (b'{"type":"AssumedRole","principalId":"AROAHYGIENE:s","arn":%s,"accountId":"111122223333",'
                 b'"sessionContext":{"sessionIssuer":{"type":"Role","userName":"Ops","arn":'
                 b'"arn:aws:iam::111122223333:role/Ops"}}}'
                 % jstr(b"arn:aws:sts::111122223333:assumed-role/Ops/" + session))
    fields = [
        b'"eventVersion":"1.08"', b'"eventID":%s' % (extra or {}).get("id", b'"ev-%d"' % i),
        b'"eventTime":"2024-05-27T10:%02d:%02dZ"' % (i // 60 % 60, i % 60),
        b'"eventSource":"%s"' % src, b'"eventName":"%s"' % name,
        b'"awsRegion":%s' % (extra or {}).get("region", b'"us-east-1"'),
        b'"sourceIPAddress":%s' % (extra or {}).get("ip", b'"203.0.113.9"'),
        b'"userAgent":%s' % (extra or {}).get("ua", b'"aws-cli/2.15.0"'),
        b'"readOnly":false', b'"eventType":"AwsApiCall"', b'"recipientAccountId":"111122223333"',
        b'"userIdentity":' + ident, b'"requestParameters":' + req, b'"responseElements":' + resp,
    ]
    return b"{" + b",".join(fields) + b"}\n"


def hostile_tag(seed):
    strings = hostile_strings(seed)
    return strings[len(strings) // 2]


def build(tmp, strings, seed):
    """The state, the events, and the user names to look for in the output."""
    tag = hostile_tag(seed)
    state = (b'{"version":4,"terraform_version":"1.5.7","serial":1,"lineage":"hygiene","outputs":{},'
             b'"resources":[{"mode":"managed","type":"aws_instance","name":"web","provider":'
             b'"provider[\\"registry.terraform.io/hashicorp/aws\\"]","instances":[{"schema_version":1,'
             b'"attributes":{"id":"i-0hygiene","instance_type":%s,"tags":{"Name":"web",'
             b'"Owner":%s}},"sensitive_attributes":[]}]}]}\n' % (jstr(b"t3." + tag), jstr(tag)))
    with open(os.path.join(tmp, "hostile.tfstate"), "wb") as f:
        f.write(state)
    users = {}
    lines = []
    i = 0
    for k, s in enumerate(strings):
        # A tag key and value set on the managed instance, by a hostile user.
        i += 1
        tag = b'{"resourcesSet":{"items":[{"resourceId":"i-0hygiene"}]},"tagSet":{"items":[{"key":%s,"value":%s}]}}' % (
            jstr(b"k" + s, k % 3 == 0), jstr(s, k % 3 == 1))
        user = s if s[:1] != b"" else b"empty"
        users["ev-%d" % i] = user
        lines.append(record(i, b"CreateTags", b"ec2.amazonaws.com", tag, b"null", user=user,
                            extra={"ip": jstr(s[:64]), "region": jstr(s[:40]) if k % 4 == 0 else b'"us-east-1"'}))
        # An instance no state manages, with a hostile id, by a hostile role session.
        i += 1
        run = b'{"instanceType":"t3.micro"}'
        resp = b'{"instancesSet":{"items":[{"instanceId":%s}]}}' % jstr(b"i-" + s, k % 2 == 1)
        lines.append(record(i, b"RunInstances", b"ec2.amazonaws.com", run, resp, session=s[:200] or b"s",
                            extra={"ua": jstr(b"sdk " + s[:80]),
                                   "id": jstr(b"ev-%d-" % i + s[:32])}))
    # The instance type changed: its old value is the state's hostile one.
    i += 1
    lines.append(record(i, b"ModifyInstanceAttribute", b"ec2.amazonaws.com",
                        b'{"instanceId":"i-0hygiene","instanceType":{"value":"t3.large"}}', b"null"))
    with open(os.path.join(tmp, "hostile.jsonl"), "wb") as f:
        f.writelines(lines)
    return users


def run(tap, args, tmp, name, want=(0, 2)):
    env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(tmp, "xdg-config"),
               XDG_STATE_HOME=os.path.join(tmp, "xdg-state"), NO_COLOR="1", LC_ALL="C.UTF-8")
    p = subprocess.run([TFDRIFT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, env=env)
    tap.ok(p.returncode in want, "%s: exit %s" % (name, p.returncode), p.stderr.decode("utf-8", "replace"))
    check_terminal_text(tap, p.stderr, name + ": stderr")
    return p.stdout, p.stderr


def controls(text, allow_newline=True):
    """Offsets of the control characters a terminal or a layout would act on."""
    bad = []
    for k, ch in enumerate(text):
        o = ord(ch)
        if (o < 0x20 and not (allow_newline and ch == "\n")) or 0x7f <= o <= 0x9f or \
                o in (0x061c, 0x200e, 0x200f) or 0x2028 <= o <= 0x202e or 0x2066 <= o <= 0x2069:
            bad.append((k, hex(o)))
    return bad


def strict(tap, data, name):
    try:
        text = data.decode("utf-8", "strict")
    except UnicodeDecodeError as e:
        tap.ok(False, name + ": strict UTF-8", repr(e))
        return None
    tap.ok(True, name + ": strict UTF-8")
    return text


def check_terminal_text(tap, data, name):
    text = strict(tap, data, name)
    if text is not None:
        bad = controls(text)
        tap.ok(not bad, name + ": no control character but newlines", bad[:10])


def check_json_text(tap, data, name):
    text = strict(tap, data, name)
    if text is None:
        return None
    bad = controls(text)
    tap.ok(not bad, name + ": every control character escaped", bad[:10])
    try:
        return json.loads(text)
    except ValueError as e:
        tap.ok(False, name + ": parses", e)
        return None


def schema(tap, path, name, jsonl=False):
    p = subprocess.run(["/usr/bin/python3", VALIDATE, SCHEMA, path] + (["--jsonl"] if jsonl else []),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    tap.ok(p.returncode == 0, name + ": valid against the findings schema", p.stdout.decode("utf-8", "replace"))


def check_json(tap, path, name, users=None):
    with open(path, "rb") as f:
        doc = check_json_text(tap, f.read(), name)
    if doc is None:
        return []
    tap.ok(True, name + ": parses")
    schema(tap, path, name)
    findings = doc.get("findings", [])
    if users:
        check_users(tap, findings, users, name)
    return findings


def check_jsonl(tap, path, name):
    with open(path, "rb") as f:
        data = f.read()
    text = strict(tap, data, name)
    if text is None:
        return []
    bad = controls(text)
    tap.ok(not bad, name + ": every control character escaped, one finding a line", bad[:10])
    out = []
    try:
        for line in text.splitlines():
            out.append(json.loads(line))
        tap.ok(True, name + ": every line parses")
    except ValueError as e:
        tap.ok(False, name + ": every line parses", e)
    schema(tap, path, name, jsonl=True)
    return out


def check_users(tap, findings, users, name):
    """The logged user names read back as logged, with U+FFFD for what was not text."""
    seen = wrong = 0
    diag = []
    for f in findings:
        ev = f.get("event", {}).get("id")
        if ev in users:
            seen += 1
            want = expected_text(users[ev])
            if f["actor"]["name"] != want:
                wrong += 1
                diag.append("%s: got %r, want %r" % (ev, f["actor"]["name"][:80], want[:80]))
    tap.ok(seen == len(users), name + ": a finding for each hostile user (%d of %d)" % (seen, len(users)))
    tap.ok(wrong == 0, name + ": each user name as logged, U+FFFD where it was not UTF-8", "\n".join(diag[:10]))


def check_csv(tap, path, name, nfindings):
    with open(path, "rb") as f:
        data = f.read()
    text = strict(tap, data, name)
    if text is None:
        return
    tap.ok(data.endswith(b"\r\n"), name + ": records end with CRLF")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as e:
        tap.ok(False, name + ": RFC 4180 (Python's strict csv reader)", e)
        return
    tap.ok(True, name + ": RFC 4180 (Python's strict csv reader)")
    tap.ok(rows and rows[0][0] == "id" and len(rows[0]) == 21, name + ": the header", rows[:1])
    tap.ok(all(len(r) == 21 for r in rows), name + ": 21 fields in every record",
           [len(r) for r in rows if len(r) != 21][:5])
    tap.ok(len(rows) - 1 == nfindings, name + ": one record per finding (%d, %d)" % (len(rows) - 1, nfindings))
    live = [(i, j, c[:40]) for i, r in enumerate(rows) for j, c in enumerate(r) if c[:1] and c[0] in "=+-@\t\r"]
    tap.ok(not live, name + ": no cell begins with = + - @ tab or CR", live[:5])
    quoted = [c for r in rows for c in r if c.startswith("'")]
    tap.ok(len(quoted) > 0, name + ": the formulas are there, quoted (%d cells)" % len(quoted))
    try:
        rows2 = rfc4180(text)
        tap.ok(rows2 == rows, name + ": RFC 4180's grammar, read strictly, gives the same records")
    except ValueError as e:
        tap.ok(False, name + ": RFC 4180's grammar, read strictly", e)


def rfc4180(text):
    """Records by RFC 4180's ABNF, strictly: a field is either all TEXTDATA (no comma,
    quote, CR or LF) or quoted with quotes doubled; records end with CRLF."""
    rows, row, i, n = [], [], 0, len(text)
    while i < n:
        if text[i] == '"':
            i += 1
            field = []
            while True:
                j = text.find('"', i)
                if j < 0:
                    raise ValueError("unterminated quoted field at %d" % i)
                field.append(text[i:j])
                if text.startswith('""', j):
                    field.append('"')
                    i = j + 2
                    continue
                i = j + 1
                break
            field = "".join(field)
        else:
            j = i
            while j < n and text[j] not in ',"\r\n':
                j += 1
            if j < n and text[j] == '"':
                raise ValueError("a quote inside an unquoted field at %d" % j)
            field, i = text[i:j], j
        row.append(field)
        if text.startswith(",", i):
            i += 1
        elif text.startswith("\r\n", i):
            rows.append(row)
            row, i = [], i + 2
        else:
            raise ValueError("after a field, neither a comma nor CRLF at %d: %r" % (i, text[i:i + 10]))
    if row:
        raise ValueError("the last record does not end with CRLF")
    return rows


def main():
    tap = Tap()
    seed = int(os.environ.get("TFDRIFT_HYGIENE_SEED", "14"))
    print("# seed %d (TFDRIFT_HYGIENE_SEED)" % seed)
    if not os.access(TFDRIFT, os.X_OK):
        print("1..0 # SKIP no tfdrift binary at %s" % TFDRIFT)
        return 0
    tmp = tempfile.mkdtemp(prefix="tfdrift-hygiene.")
    keep = os.environ.get("TFDRIFT_KEEP_TMP")
    try:
        users = build(tmp, hostile_strings(seed), seed)
        st, ev = os.path.join(tmp, "hostile.tfstate"), os.path.join(tmp, "hostile.jsonl")
        out = lambda n: os.path.join(tmp, n)

        # scan, every format, with --explain and the warnings on stderr.
        run(tap, ["scan", "--state", st, "--events", ev, "--format", "json", "-o", out("scan.json"),
                  "--explain"], tmp, "scan json", want=(2,))
        findings = check_json(tap, out("scan.json"), "scan json", users)
        n = len(findings)
        tap.ok(n >= 2 * len(users), "scan: a finding for every hostile event (%d)" % n)
        state_old = [c for f in findings for c in f.get("changes", [])
                     if c.get("attribute") == "instance_type" and c.get("new") == "t3.large"]
        tags = [f["tags"].get("Owner") for f in findings if f.get("tags")]
        run(tap, ["scan", "--state", st, "--events", ev, "--format", "jsonl", "-o", out("scan.jsonl")],
            tmp, "scan jsonl", want=(2,))
        check_jsonl(tap, out("scan.jsonl"), "scan jsonl")
        run(tap, ["scan", "--state", st, "--events", ev, "--format", "csv", "-o", out("scan.csv")],
            tmp, "scan csv", want=(2,))
        check_csv(tap, out("scan.csv"), "scan csv", n)
        text, _ = run(tap, ["scan", "--state", st, "--events", ev, "--format", "text"], tmp,
                      "scan text", want=(2,))
        check_terminal_text(tap, text, "scan text")
        tap.ok(b"\\x1b]0;PWNED\\x07" in text, "scan text: an escape sequence is shown, not run")
        check_sarif_md(tap, tmp, st, ev, "scan", out("scan.json"))
        tap.ok(len(state_old) == 1 and state_old[0]["old"] == expected_text(b"t3." + hostile_tag(seed)),
               "a hostile state value (the old instance type) reads back too", state_old)
        tap.ok(len(tags) > 0 and all(t == expected_text(hostile_tag(seed)) for t in tags),
               "so does a hostile tag of the state, on every finding of the instance", tags[:1])

        # The store, a hostile note, and export in every format.
        db = out("hygiene.db")
        run(tap, ["scan", "--state", st, "--events", ev, "--format", "jsonl", "-o", os.devnull,
                  "--store", db], tmp, "scan --store", want=(2,))
        # A finding stored by an older version, before text was repaired when read: its
        # stored JSON (finding_bodies since schema 8) holds raw bytes that are not UTF-8 and controls. Export repairs them.
        old = [f for f in findings if f["event"]["id"] not in users][0]
        legacy = json.dumps(dict(old, actor=dict(old["actor"], name="@@NAME@@"))).encode()
        legacy = legacy.replace(b"@@NAME@@", b"=old\xff\x1b[31m\xc2\x9b\xe2\x80\xaeversion")
        con = sqlite3.connect(db)
        con.execute("UPDATE finding_bodies SET json = CAST(? AS TEXT) WHERE id = ?", (legacy, old["id"]))
        con.commit()
        con.close()
        note = b"note \xff\x1b[31m=red\xc2\x9b\xe2\x80\xae" + b"\r\n,\"x"
        run(tap, ["ack", "--store", db, findings[0]["id"], "--note", note], tmp, "ack with a hostile note")
        for fmt in ("json", "jsonl", "csv"):
            run(tap, ["export", "--store", db, "--status", "all", "--format", fmt, "-o", out("export." + fmt)],
                tmp, "export " + fmt)
        exp = check_json(tap, out("export.json"), "export json", users)
        tap.ok(len(exp) == n, "export json: every finding (%d)" % len(exp))
        acked = [f for f in exp if f.get("triage")]
        tap.ok(len(acked) == 1 and acked[0]["triage"]["note"] == expected_text(note),
               "export json: the note as given, U+FFFD where it was not UTF-8",
               acked[0]["triage"] if acked else "no triage")
        legacy_out = [f["actor"]["name"] for f in exp if f["id"] == old["id"]]
        tap.ok(legacy_out == ["=old\ufffd\x1b[31m\x9b\u202eversion"],
               "export json: a finding stored with bad text by an older version is repaired", legacy_out)
        check_jsonl(tap, out("export.jsonl"), "export jsonl")
        check_csv(tap, out("export.csv"), "export csv", n)
        check_sarif_md(tap, tmp, db, None, "export", out("export.json"))

        # watch --once over the same file, and notifications written to a Falco file.
        falco = out("falco.jsonl")
        with open(out("notify.yaml"), "w") as f:
            f.write("outputs:\n  - name: hygiene\n    type: falco\n    file: %s\n    on: [open, resolved]\n" % falco)
        for fmt in ("jsonl", "text"):
            wout, _ = run(tap, ["-c", out("notify.yaml"), "watch", "--once", "--format", fmt, "--state", st,
                                "--events", ev, "--store", out("watch-%s.db" % fmt)], tmp, "watch --once " + fmt,
                          want=(2,))
            if fmt == "text":
                check_terminal_text(tap, wout, "watch text")
            else:
                with open(out("watch.jsonl"), "wb") as f:
                    f.write(wout)
                tap.ok(len(check_jsonl(tap, out("watch.jsonl"), "watch jsonl")) == n,
                       "watch jsonl: the same findings as scan")
        run(tap, ["-c", out("notify.yaml"), "scan", "--state", st, "--events", ev, "--notify", "-o", os.devnull],
            tmp, "scan --notify", want=(2,))
        alerts = check_jsonl_plain(tap, falco, "falco notifications")
        tap.ok(len(alerts) > 0, "falco notifications: written (%d)" % len(alerts))
    finally:
        if keep:
            print("# kept %s" % tmp)
        else:
            subprocess.run(["rm", "-rf", tmp])
    return tap.done()


def check_sarif_md(tap, tmp, st, ev, cmd, doc):
    """sarif: JSON text as strict as json's, SARIF's structure and a result per open finding
    of doc (tests/sarif_check.py); markdown: no control character but newlines, a row and
    details per finding of doc (tests/md_check.py). cmd scan (st, ev) or export (st: store)."""
    for fmt, checker in (("sarif", "sarif_check.py"), ("markdown", "md_check.py")):
        path = os.path.join(tmp, "%s.%s" % (cmd, fmt))
        args = ["scan", "--state", st, "--events", ev] if cmd == "scan" else \
            ["export", "--store", st, "--status", "all"]
        run(tap, args + ["--format", fmt, "-o", path], tmp, "%s %s" % (cmd, fmt),
            want=(2,) if cmd == "scan" else (0,))
        with open(path, "rb") as f:
            data = f.read()
        if fmt == "sarif":
            check_json_text(tap, data, "%s sarif" % cmd)
            extra = ["--findings", doc]
        else:
            check_terminal_text(tap, data, "%s markdown" % cmd)
            extra = [doc]
        p = subprocess.run(["/usr/bin/python3", os.path.join(TOP, "tests", checker), path] + extra,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        tap.ok(p.returncode == 0, "%s %s: %s holds" % (cmd, fmt, checker),
               p.stdout.decode("utf-8", "replace")[:2000])


def check_jsonl_plain(tap, path, name):
    """JSON lines that are not findings (no schema): strict UTF-8, controls escaped, parse."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        tap.ok(False, name + ": written", e)
        return []
    text = strict(tap, data, name)
    if text is None:
        return []
    bad = controls(text)
    tap.ok(not bad, name + ": every control character escaped", bad[:10])
    try:
        return [json.loads(line) for line in text.splitlines() if line]
    except ValueError as e:
        tap.ok(False, name + ": every line parses", e)
        return []


if __name__ == "__main__":
    sys.exit(main())
