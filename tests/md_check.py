#!/usr/bin/python3
"""Check tfdrift's Markdown output against the findings document of the same scan.

    /usr/bin/python3 tests/md_check.py FILE.md DOC.json [--render]

By hand: the summary line's counts, one table row per finding, each with exactly seven
unescaped | (six cells), one <details> block per finding. With --render, FILE.md goes through
cmark-gfm (GitHub's renderer, with its table extension) and the rendered table must have a
row per finding of six cells whose Resource and Actor cells read as the finding's resource
and actor (control characters shown as text_escape writes them: \\n), and the rendered page
must hold no element the input's values tried to inject (<script>, a stray <details>).
Prints each error; exit 0 when it holds, 1 when not, 2 on bad usage.
"""
import html.parser
import json
import re
import subprocess
import sys

SEVS = ["critical", "high", "medium", "low", "info"]
STATUSES = ["open", "acknowledged", "suppressed", "resolved"]


def esc(s):
    """text_escape for the characters the tests use."""
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")


def resource(f):
    r = f["resource"]
    return r["address"] if r["address"] else "%s %s" % (r["type"] or "(resource)",
                                                        r["id"] or "(no id)")


class Cells(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.in_body, self.tags = [], None, False, {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.rows.append([])
        elif tag == "td" and self.in_body:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.rows[-1].append(self.cell)
            self.cell = None
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def main(argv):
    args = [a for a in argv[1:] if a != "--render"]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    md = open(args[0], encoding="utf-8").read()
    findings = json.load(open(args[1], encoding="utf-8"))["findings"]
    errs = []
    lines = md.split("\n")
    if not findings:
        if md != "**tfdrift:** No drift: no findings.\n":
            errs.append("no findings, but not the one line: %r" % md)
        for e in errs:
            print(e)
        return 1 if errs else 0
    want = "**tfdrift:** %d finding%s \u2014 " % (len(findings), "" if len(findings) == 1 else "s")
    want += ", ".join("%d %s" % (n, s) for s in SEVS
                      for n in [sum(f["severity"] == s for f in findings)] if n)
    want += "; " + ", ".join("%d %s" % (n, s) for s in STATUSES
                             for n in [sum(f["status"] == s for f in findings)] if n)
    if lines[0] != want:
        errs.append("summary %r, expected %r" % (lines[0], want))
    try:
        head = lines.index("| Severity | Status | Resource | Change | Actor | When |")
    except ValueError:
        errs.append("no table header")
        head = len(lines)
    rows = []
    for line in lines[head + 2:]:
        if not line:
            break
        rows.append(line)
    if len(rows) != len(findings):
        errs.append("%d table rows for %d findings" % (len(rows), len(findings)))
    for i, row in enumerate(rows):
        pipes = len(re.findall(r"(?<!\\)\|", row))
        if pipes != 7 or not row.startswith("| ") or not row.endswith(" |"):
            errs.append("row %d: %d unescaped | in %r" % (i + 1, pipes, row))
    if md.count("\n<details>\n") + md.startswith("<details>\n") != len(findings):
        errs.append("%d <details> blocks for %d findings" % (md.count("<details>\n"), len(findings)))
    if "--render" in argv:
        out = subprocess.run(["cmark-gfm", "-e", "table", "--unsafe"], input=md.encode(),
                             stdout=subprocess.PIPE, check=True).stdout.decode()
        p = Cells()
        p.feed(out)
        if len(p.rows) != len(findings):
            errs.append("rendered: %d rows for %d findings" % (len(p.rows), len(findings)))
        for i, (row, f) in enumerate(zip(p.rows, findings)):
            if len(row) != 6:
                errs.append("rendered row %d: %d cells: %r" % (i + 1, len(row), row))
                continue
            if row[0] != f["severity"] or row[1] != f["status"]:
                errs.append("rendered row %d: %r %r" % (i + 1, row[0], row[1]))
            if row[2] != esc(resource(f)):
                errs.append("rendered row %d: resource %r, expected %r" %
                            (i + 1, row[2], esc(resource(f))))
            actor = f["actor"]["name"] or f["actor"]["principal"] or "(unknown)"
            if row[4] != "%s via %s" % (esc(actor), f["actor"]["via"]):
                errs.append("rendered row %d: actor %r, expected %r" % (i + 1, row[4], esc(actor)))
        for tag, n in (("script", 0), ("details", len(findings)), ("table", 1)):
            if p.tags.get(tag, 0) != n:
                errs.append("rendered: %d <%s>, expected %d" % (p.tags.get(tag, 0), tag, n))
    for e in errs:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
