#!/usr/bin/env python3
"""Event maps against the Terraform providers' documented schemas: every resource type an
entry names (resource, covered_by.resource) is a resource of its provider, and every
attribute it reads or compares (attributes' names, state_keys, covered_by match keys) is
documented for that type, per the facts tables tests/data/provider-facts-{aws,google}.tsv
(made from the providers' website/docs/r by tests/maps/provider_facts.py; source, commit and
version in tests/data/SOURCES.md).

state_keys that are key templates ("{cluster}/{name}") are checked by the names in braces.
An attribute name a.0.b.c is checked segment by segment: `a` must be documented (top level or
as a block); after a list index, `b` must be a member of block `a` when the docs list that
block's members (otherwise only `a` is checked); after a name that is not an index, the next
segment is a member of block `a` when the docs list members, else a map key (tags.Name), not
checked. `id` is every resource's.

What does not pass carries a reviewed exception in tests/data/eventmaps-provider-exceptions.tsv
(provider, type, attribute or *, reason); an exception that matches nothing, or passes, fails.
TAP on stdout, one test per entry; skipped without PyYAML.
"""
import os, re, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mapslib

try:
    import yaml  # noqa: F401
except ImportError:
    mapslib.skip_all("PyYAML (python3-yaml) is not installed")

DATA = os.path.join(mapslib.TOP, "tests", "data")
EXC = os.path.join(DATA, "eventmaps-provider-exceptions.tsv")
TABLES = {"aws": "provider-facts-aws.tsv", "gcp": "provider-facts-google.tsv"}
ALWAYS = {"id"}


class Facts:
    def __init__(self, idfmt, names):
        self.idfmt = idfmt
        self.top = {n for n in names if "." not in n} | ALWAYS
        self.nested = {}
        for n in names:
            if "." in n:
                b, leaf = n.split(".", 1)
                self.nested.setdefault(b, set()).add(leaf)

    def check(self, attr):
        """None when `attr` (a state path, dotted) is documented, else why not."""
        segs = attr.split(".")
        if segs[0] not in self.top and segs[0] not in self.nested:
            return "%s is not documented" % segs[0]
        block, i = segs[0], 1
        while i < len(segs):
            if segs[i].isdigit():
                i += 1
                if i >= len(segs):
                    break
            members = self.nested.get(block)
            if not members:
                break                     # a map key, or a block whose members are not listed
            if segs[i] not in members:
                return "%s has no documented member %s (documented: %s)" % (
                    block, segs[i], ", ".join(sorted(members)))
            block = segs[i]
            i += 1
        return None


def load_facts(provider):
    out = {}
    for ln, cols in mapslib.read_tsv(os.path.join(DATA, TABLES[provider]), 2):
        out[cols[0]] = Facts(cols[1], cols[2].split() if len(cols) > 2 else [])
    return out


def main():
    tap = mapslib.Tap()
    facts = {p: load_facts(p) for p in TABLES}
    exc = {}
    for ln, cols in mapslib.read_tsv(EXC, 4):
        exc[(cols[0], cols[1], cols[2])] = [ln, cols[3], 0]
    types, attrs, nexc, nent = set(), set(), 0, 0
    for e in mapslib.load_maps():
        nent += 1
        problems, notes = [], []
        table = facts[e.provider]

        def verdict(rtype, attr, why):
            nonlocal nexc
            x = exc.get((e.provider, rtype, attr))
            if x is None:
                if why:
                    problems.append("%s%s: %s" % (rtype, "" if attr == "*" else "." + attr, why))
                return
            x[2] += 1
            if why:
                nexc += 1
                notes.append("%s %s excepted: %s" % (rtype, attr, x[1]))
            else:
                problems.append("%s %s passes now: drop its exception (line %d)" % (
                    rtype, attr, x[0]))

        checks = []
        if e.resource != "*":
            checks += [(e.resource, n) for n, _, _ in e.attrs]
            for k in e.state_keys:
                # a key template ("{cluster}/{name}") names attributes in braces
                names = re.findall(r"\{([a-z0-9_.]+)\}", k) if "{" in k else [k]
                checks += [(e.resource, n) for n in names]
        if e.cover_resource:
            checks += [(e.cover_resource, k) for k in e.cover]
        for rtype in dict.fromkeys([e.resource, e.cover_resource]):
            if not rtype or rtype == "*":
                continue
            types.add((e.provider, rtype))
            verdict(rtype, "*", None if rtype in table else "not a resource type of the provider's docs")
        for rtype, a in checks:
            f = table.get(rtype)
            if f is None:
                continue
            attrs.add((e.provider, rtype, a))
            verdict(rtype, a, f.check(a))
        tap.ok(not problems, e.label(), problems + notes)
    for (p, t, a), (ln, why, used) in sorted(exc.items(), key=lambda kv: kv[1][0]):
        if not used:
            tap.ok(False, "exception line %d (%s %s %s) matches an entry" % (ln, p, t, a),
                   ["no entry names it any more: remove the line"])
    # The checker against itself.
    f = Facts("-", ["name", "tags", "boot_disk", "boot_disk.initialize_params",
                    "initialize_params.image"])
    for attr, good in (("name", True), ("nmae", False), ("tags.Name", True),
                       ("boot_disk.0.initialize_params.0.image", True),
                       ("boot_disk.0.initialize_params.0.imag", False),
                       ("boot_disk.0.mode", False), ("id", True)):
        why = f.check(attr)
        tap.ok((why is None) == good, "self-test: %s %s" % (
            attr, "is documented" if good else "is caught"), [why] if why else [])
    # The generator on a page in the docs' layout (tests/data/maps/instance.html.markdown).
    import provider_facts
    rtype, idfmt, names = provider_facts.parse(os.path.join(DATA, "maps", "instance.html.markdown"))
    want = ["ami", "metadata_options", "tags", "resource_policies", "metadata_options.http_tokens",
            "root_block_device.volume_size", "root_block_device.ebs_options",
            "ebs_options.iops", "arn"]
    good = (rtype, idfmt, names) == ("aws_instance", "i-12345678", want)
    tap.ok(good, "self-test: provider_facts.py reads a docs page (type, import id, names, blocks)",
           [] if good else ["got %r %r %r" % (rtype, idfmt, names)])
    tap.diag("%d entries: %d resource types and %d attribute names checked against the provider "
             "docs tables, %d excepted (%s)" % (nent, len(types), len(attrs), nexc,
                                                os.path.basename(EXC)))
    tap.done()


if __name__ == "__main__":
    main()
