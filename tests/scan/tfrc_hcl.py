#!/usr/bin/python3
"""Terraform CLI configuration (HCL) `credentials` blocks: tfdrift against python3-pyhcl.

Each good file below is parsed by pyhcl (Debian's python3-pyhcl, module `hcl`) and by
tfdrift's reader (tests/live/tfrc_probe, which prints a SHA-256 prefix of each host's token,
never the token). For every host pyhcl finds, and one it does not, both must agree: the
same token, or none. A token pyhcl reads as anything but one string (a number, a token set
twice) must be an error in tfdrift. Each bad file must be rejected by pyhcl and by tfdrift,
tfdrift saying "FILE:LINE:COL: message" at the line and column given here.
Prints TAP."""
import hashlib
import os
import re
import subprocess
import sys
import tempfile

TOP_BUILDDIR = os.environ.get("TOP_BUILDDIR", ".")
PROBE = os.path.join(TOP_BUILDDIR, "tests", "live", "tfrc_probe")

try:
    import hcl
except ImportError:
    print("1..0 # SKIP python3-pyhcl is not installed (apt-get install python3-pyhcl)")
    sys.exit(0)

H = "app.terraform.io"

GOOD = [
    ("a '#' comment holding an older block does not win", f'''# credentials "{H}" {{ token = "old-commented-hash" }}
credentials "{H}" {{
  token = "real-token-1.atlasv1.aaaa"
}}
'''),
    ("'//' comments, and a /* */ block after the real one", f'''// the real one:
credentials "{H}" {{
  token = "real-token-2.atlasv1.bbbb" // was "other"
}}
/*
credentials "{H}" {{
  token = "commented-out-in-a-block"
}}
*/
'''),
    ("a /* */ comment inside the block, on one line", f'''credentials "{H}" {{ /* token = "no" */ token = "yes-token" }}
'''),
    ("a string holding #, // and /* */ is not a comment", f'''credentials "{H}" {{
  token = "abc#def//ghi/*jkl*/mno"
}}
'''),
    ("escaped quotes and backslashes", f'''credentials "{H}" {{
  token = "a\\"b\\\\c\\"d"  # the token is a"b\\c"d
}}
'''),
    ("several hosts and the other blocks a CLI config has", f'''plugin_cache_dir   = "$HOME/.terraform.d/plugin-cache"
disable_checkpoint = true

provider_installation {{
  filesystem_mirror {{
    path    = "/usr/share/terraform/providers"
    include = ["example.com/*/*"]
  }}
  direct {{
    exclude = ["example.com/*/*"]
  }}
}}

host "example.com" {{
  services = {{
    "modules.v1" = "https://modules.example.com/v1/",
  }}
}}

credentials_helper "credstore" {{
  args = ["--host=credstore.example.com", "-v"]
}}

credentials "tfe.example.com" {{
  token = "tfe-token-1234"
}}

credentials "{H}" {{
  token = "hcp-token-5678"
}}
'''),
    ("the last block for a host wins, as in Terraform", f'''credentials "{H}" {{
  token = "first-token"
}}
credentials "{H}" {{
  token = "second-token"
}}
'''),
    ("a label with comment characters is a plain host name", '''credentials "#not.a.comment" {
  token = "hash-host-token"
}
credentials "x//y" { token = "slash-host-token" }
'''),
    ("CRLF line endings, a trailing comma, a Unicode comment", (f'''# jeton: größer als null ✓
credentials "{H}" {{
  token = "crlf-token",
}}
''').replace("\n", "\r\n")),
    ("comments only: no token", f'''# credentials "{H}" {{ token = "a" }}
// credentials "{H}" {{ token = "b" }}
/* credentials "{H}" {{ token = "c" }} */
'''),
    ("an empty file: no token", ""),
    ("a number for a token is an error", f'''credentials "{H}" {{
  token = 12345
}}
'''),
    ("a token set twice in one block is an error", f'''credentials "{H}" {{
  token = "one"
  token = "two"
}}
'''),
]

# (name, text, line, column) of the error tfdrift must report.
BAD = [
    ("an unclosed /* comment", f'''credentials "{H}" {{
  token = "t"
}}
/* never closed
''', 4, 1),
    ("an unclosed string", f'''credentials "{H}" {{
  token = "t
}}
''', 2, 11),
    ("a missing closing brace", f'''credentials "{H}" {{
  token = "t"
''', 3, 1),
    ("single quotes are not HCL", f'''credentials "{H}" {{
  token = 't'
}}
''', 2, 11),
    ("a stray closing brace", f'''credentials "{H}" {{
  token = "t"
}}
}}
''', 4, 1),
]

n = 0
failed = 0


def ok(cond, name, diag=None):
    global n, failed
    n += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, name))
    if not cond:
        failed += 1
        for line in (diag or "").splitlines():
            print("#   " + line)


def probe(path, hosts):
    p = subprocess.run([PROBE, path] + hosts, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def short(tok):
    return "sha256:" + hashlib.sha256(tok.encode()).hexdigest()[:16]


with tempfile.TemporaryDirectory(prefix="tfrc-hcl.") as tmp:
    for i, (name, text) in enumerate(GOOD):
        path = os.path.join(tmp, "good%d.tfrc" % i)
        with open(path, "w", newline="") as f:
            f.write(text)
        try:
            ref = hcl.loads(text) if text.strip() else {}
        except ValueError as e:
            ok(False, name + ": pyhcl reads it", str(e))
            continue
        creds = ref.get("credentials", {})
        hosts = sorted(creds) + ["absent.example.com"]
        want = []
        bad_token = False
        for h in hosts:
            t = creds.get(h, {}).get("token") if isinstance(creds.get(h), dict) else None
            if t is None or t == "":
                want.append("%s none" % h)
            elif isinstance(t, str):
                want.append("%s %s" % (h, short(t)))
            else:
                bad_token = True
        rc, out, err = probe(path, hosts)
        if bad_token:
            ok(rc == 1 and re.match(r"error: %s:\d+:\d+: credentials \"[^\"]+\": token " %
                                    re.escape(path), out) is not None,
               name + " (pyhcl: %r)" % creds,
               "exit %d\n%s%s" % (rc, out, err))
        else:
            ok(rc == 0 and out.splitlines() == want, name,
               "exit %d\ngot:\n%s%s\nwanted (pyhcl):\n%s" % (rc, out, err, "\n".join(want)))
        for secret in [t for c in creds.values() if isinstance(c, dict)
                       for t in [c.get("token")] if isinstance(t, str) and t]:
            ok(secret not in out and secret not in err, name + ": no token in the output")
            break
    for i, (name, text, line, col) in enumerate(BAD):
        path = os.path.join(tmp, "bad%d.tfrc" % i)
        with open(path, "w", newline="") as f:
            f.write(text)
        try:
            hcl.loads(text)
            ok(False, name + ": pyhcl rejects it too", "pyhcl accepted it")
        except ValueError:
            ok(True, name + ": pyhcl rejects it too")
        rc, out, err = probe(path, [H])
        m = re.match(r"error: (.*):(\d+):(\d+): (.+)$", out.strip())
        ok(rc == 1 and m is not None and m.group(1) == path and
           (int(m.group(2)), int(m.group(3))) == (line, col),
           name + ": tfdrift says FILE:%d:%d: message" % (line, col),
           "exit %d\n%s%s" % (rc, out, err))
        ok('"t"' not in out and "'t'" not in out, name + ": the message holds no token")

print("1..%d" % n)
sys.exit(1 if failed else 0)
