#!/usr/bin/env python3
"""Make the provider facts table (tests/data/provider-facts-PROVIDER.tsv) from the Terraform
providers' published resource docs, the website/docs/r/*.html.markdown files of
hashicorp/terraform-provider-aws and hashicorp/terraform-provider-google.

  tests/maps/provider_facts.py aws    CHECKOUT > tests/data/provider-facts-aws.tsv
  tests/maps/provider_facts.py google CHECKOUT > tests/data/provider-facts-google.tsv

CHECKOUT is a clone of the provider's repository (or any directory holding website/docs/r);
record its commit and version in tests/data/SOURCES.md. One line a resource type:

  type<TAB>id format<TAB>documented names (space-separated)

The id format is the import id of the docs' Import section: the example of `terraform import
aws_x.name ID` (AWS) or the first accepted format (Google, `projects/{{project}}/...`), "-" when
the docs give none. The names are every attribute and argument the docs list as a bullet
(* `name` - ...): plain for the top level, BLOCK.NAME for the members of a nested block (a
block is named by the sentence that introduces its bullets, "The `boot_disk` block supports",
or by its heading, "### Metadata Options" = metadata_options). Only the resource docs (r/) are
read; data sources are not resources in state. A page X_iam documents X_iam_policy,
X_iam_binding and X_iam_member (those it names) with the same names.
"""
import os, re, sys

BULLET = re.compile(r"^\s*[*-]\s+`([A-Za-z0-9_]+)`")
TITLE = re.compile(r"^#\s+(?:Resource:\s*)?`?((?:aws|google)_[a-z0-9_]+)`?\s*$")
INTRO = [
    re.compile(r"[Tt]he\s+(?:optional\s+)?`([a-z0-9_.]+)(?:\[\])?`\s+(?:configuration\s+|object\s+|nested\s+)?(?:sub)?(?:block|list)"),
    re.compile(r"`([a-z0-9_]+)`\s+(?:configuration\s+)?(?:block\s+)?(?:supports|contains|exports|has|accepts)\b"),
    re.compile(r'^<a\s+name="nested_([a-z0-9_]+)"'),
    re.compile(r"^#{3,}\s+`([a-z0-9_]+)`"),
    re.compile(r"^#{3,}\s+([a-z0-9_]+)\s*$"),
]
IMPORT_AWS = re.compile(r"terraform import\s+(?:aws_[a-z0-9_]+)\.[A-Za-z0-9_\-\[\]\"]+\s+(.+?)\s*$")
IMPORT_AWS_ID = re.compile(r'^\s*id\s*=\s*"(.*)"\s*$')
IMPORT_GOOGLE = re.compile(r"^\s*\*\s+`([^`]*\{\{[^`]*)`")


def heading_block(text):
    """'### Metadata Options' -> metadata_options; None for headings that are no block."""
    t = re.sub(r"\s*\(.*?\)", "", text).strip().strip("`")
    if not t or re.search(r"[^A-Za-z0-9 _-]", t):
        return None
    t = re.sub(r"\s+(arguments?|attributes?|reference|configuration block)$", "", t, flags=re.I)
    return re.sub(r"[\s-]+", "_", t.strip()).lower() or None


def parse(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        lines = fh.read().splitlines()
    rtype, section, block, in_code = None, None, None, False
    names, idfmt, top = [], None, set()
    for line in lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
            if section != "import":
                continue
        m = TITLE.match(line)
        if m and rtype is None:
            rtype = m.group(1)
            continue
        if line.startswith("## "):
            h = line[3:].lower()
            section = ("import" if "import" in h else
                       "ref" if ("argument" in h or "attribute" in h or "schema" in h) else None)
            block = None
            continue
        if section == "import" and idfmt is None:
            for rx in (IMPORT_AWS, IMPORT_AWS_ID, IMPORT_GOOGLE):
                m = rx.search(line)
                if m:
                    idfmt = m.group(1).strip().strip('"')
                    break
            continue
        if section != "ref" or in_code:
            continue
        m = BULLET.match(line)
        if m:
            n = m.group(1)
            if not block:
                top.add(n)
            names.append("%s.%s" % (block, n) if block and block != n else n)
            continue
        intro = None
        for rx in INTRO if not line[:1].isspace() else ():   # not a bullet's continuation
            m = rx.search(line)
            if m:
                intro = m.group(1)
                break
        hm = re.match(r"^#{3,}\s+(.*)$", line)
        if intro:
            # `settings.backup_configuration`: a block of a block
            parts = intro.split(".")
            for parent, child in zip(parts, parts[1:]):
                names.append("%s.%s" % (parent, child))
            block = parts[-1]
        elif hm:
            # "### Metadata Options" names a block when a top-level name says so; other
            # headings ("### Top-Level Arguments") hold top-level names
            b = heading_block(hm.group(1))
            block = b if b in top else None
    return rtype, idfmt, names


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("aws", "google"):
        print(__doc__, file=sys.stderr)
        return 2
    prefix = sys.argv[1] + "_"
    d = os.path.join(sys.argv[2], "website", "docs", "r")
    rows = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith((".markdown", ".md")):
            continue
        rtype, idfmt, names = parse(os.path.join(d, f))
        stem = f.split(".")[0]
        stem = stem if stem.startswith(prefix) else prefix + stem
        rtype = rtype or stem
        if not rtype.startswith(prefix):
            continue
        uniq = list(dict.fromkeys(names))
        if stem.endswith("_iam"):
            # one page for X_iam_policy, X_iam_binding and X_iam_member
            with open(os.path.join(d, f), encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            for kind in ("policy", "binding", "member", "audit_config"):
                if re.search(r"\b%s_%s\b" % (stem, kind), text):
                    rows[stem + "_" + kind] = (idfmt or "-", uniq)
            continue
        rows[rtype] = (idfmt or "-", uniq)
    print("# type\tid format (the docs' import id)\tdocumented attribute and argument names;")
    print("# made by tests/maps/provider_facts.py %s from website/docs/r (tests/data/SOURCES.md)"
          % sys.argv[1])
    for t in sorted(rows):
        idfmt, names = rows[t]
        print("%s\t%s\t%s" % (t, idfmt.replace("\t", " "), " ".join(names)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
