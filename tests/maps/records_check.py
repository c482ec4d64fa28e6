#!/usr/bin/env python3
"""Event maps against real records: every entry whose event occurs in the public samples
(../shared/data: CloudTrail .json/.jsonl, GCP audit dumps; the DERIVED_ copies and .meta files
are left out) is run on each of those records by tests/maps/map_probe, which reads them with
scan's reader and extracts what detection extracts (detector_entry_ids, detector_attr_event).
For the records of successful write calls (failed and read-only calls are counted, not
judged), an entry passes when

  * every record names a resource: the entry's id paths give a non-empty id;
  * its attributes read the record: when the entry compares attributes read by path, at least
    one of them has a non-empty value in one of its records (attributes only ever empty are
    listed);
  * covered_by finds all its match values in at least one record.
Curated samples (PARTIAL: panther's rule tests, gcpdiag's cut-down dumps) count as evidence
for an entry, but what they lack fails only when no record of the entry has it.

What does not pass carries a reviewed exception in tests/data/eventmaps-records-exceptions.tsv
(event, resource, check: id | attributes | cover, reason). TAP on stdout, one test per
exercised entry; skipped when ../shared/data (SHARED_DATA) is absent.
"""
import collections, glob, json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mapslib

BUILD = os.environ.get("TOP_BUILDDIR", mapslib.TOP)
PROBE = os.environ.get("MAP_PROBE", os.path.join(BUILD, "tests", "maps", "map_probe"))
EXC = os.path.join(mapslib.TOP, "tests", "data", "eventmaps-records-exceptions.tsv")


# Curated test data, partly synthetic or cut short (../shared/data/MANIFEST.md): panther's rule
# tests (some records without requestParameters) and gcpdiag's dumps (requests cut to their
# @type). What they carry counts; what they lack fails nothing unless no record has it.
PARTIAL = ("panther_", "gcpdiag_")


def partial(origin):
    return os.path.basename(origin).startswith(PARTIAL)


def inputs():
    out = []
    for sub in ("cloudtrail", "gcpaudit"):
        for f in sorted(glob.glob(os.path.join(mapslib.SHARED, sub, "*"))):
            b = os.path.basename(f)
            if b.startswith("DERIVED_") or b.endswith(".meta.jsonl"):
                continue
            out.append(f)
    return out


def run_probe(maps, files):
    """(exit status, stderr, {entry: {...records}}, record origins, judged origins)."""
    p = subprocess.run([PROBE, maps] + files, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    seen = collections.OrderedDict()
    records, judged = set(), set()
    for line in p.stdout.splitlines():
        r = json.loads(line)
        records.add(r["origin"])
        e = seen.setdefault(r["entry"], {"event": r["event"], "resource": r["resource"],
                                          "judged": [], "skipped": 0, "cover": bool(r["cover"])})
        if r["failed"] or r["read_only"] == 1:
            e["skipped"] += 1
            continue
        judged.add(r["origin"])
        e["judged"].append(r)
    return p.returncode, p.stderr, seen, records, judged


def problems_of(e):
    """({check: why} that fail, [notes]) of one exercised entry."""
    recs = e["judged"]
    problems, notes = {}, []
    real = [r for r in recs if not partial(r["origin"])]
    noid = [r["origin"] for r in recs if not r["ids"]]
    if noid:
        why = "no id in %d of %d records, e.g. %s" % (
            len(noid), len(recs), ", ".join(os.path.basename(o) for o in noid[:3]))
        if len(noid) == len(recs) or any(not partial(o) for o in noid):
            problems["id"] = why
        else:
            notes.append("id: %s (curated samples)" % why)
    attrs = collections.defaultdict(collections.Counter)
    for r in recs:
        for name, how in r["attrs"].items():
            attrs[name][how] += 1
    bypath = {n: c for n, c in attrs.items() if "constant" not in c}
    if bypath and not any(c["present"] for c in bypath.values()):
        why = "none of %s is in any record%s" % (", ".join(sorted(bypath)), " (only empty)"
                                                 if any(c["empty"] for c in bypath.values()) else "")
        if real:
            problems["attributes"] = why
        else:
            notes.append("attributes: %s; only curated samples" % why)
    empty = sorted(n for n, c in bypath.items() if c["empty"] and not c["present"])
    if empty and "attributes" not in problems:
        notes.append("only ever empty: %s" % ", ".join(empty))
    if e["cover"] and not any(all(h == "present" for h in r["cover"].values()) for r in recs):
        problems["cover"] = "no record has every covered_by value (%s)" % ", ".join(
            sorted(recs[0]["cover"]))
    return problems, notes


SELFTEST_MAP = """provider: aws
service: iam.amazonaws.com
events:
  - event: CreateRole
    resource: aws_iam_role
    action: create
    id: [requestParameters.roleName]
    attributes:
      - {name: assume_role_policy, path: requestParameters.assumeRolePolicyDocument}
  - event: CreateRole
    resource: aws_iam_role_policy
    action: create
    id: [requestParameters.roleNme]
    attributes:
      - {name: assume_role_policy, path: requestParameters.assumeRolePolicyDocumnt}
"""


def selftest(tap, files):
    """The judge against itself: a right CreateRole entry passes, a misspelt one fails."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "iam.yaml"), "w") as fh:
            fh.write(SELFTEST_MAP)
        rc, err, seen, _, _ = run_probe(d, files)
    got = {k.split(":")[1]: problems_of(e)[0] for k, e in seen.items() if e["judged"]}
    tap.ok(rc == 0 and got.get("4") == {} and sorted(got.get("10", {})) == ["attributes", "id"],
           "self-test: a misspelt id and attribute path are caught, the right ones pass",
           [] if rc == 0 and got.get("4") == {} else ["got %r %s" % (got, err.strip())])


def main():
    if not os.path.isdir(mapslib.SHARED):
        mapslib.skip_all("no shared data at " + mapslib.SHARED)
    if not os.access(PROBE, os.X_OK):
        mapslib.skip_all("%s is not built (make check builds it)" % PROBE)
    files = inputs()
    rc, err, seen, records, judged_records = run_probe(
        os.path.join(mapslib.TOP, "rules", "events"), files)
    tap = mapslib.Tap()
    tap.ok(rc == 0, "map_probe reads the maps and %d sample files" % len(files),
           err.splitlines()[:5] if rc else [])
    exc = {}
    for ln, cols in mapslib.read_tsv(EXC, 4):
        exc[(cols[0], cols[1], cols[2])] = [ln, cols[3], 0]
    nexc = 0
    for where, e in seen.items():
        recs = e["judged"]
        label = "%s %s -> %s: %d record%s" % (where, e["event"], e["resource"], len(recs),
                                               "" if len(recs) == 1 else "s")
        if not recs:
            tap.skip(label, "only failed or read-only calls (%d)" % e["skipped"])
            continue
        problems, notes = problems_of(e)
        out = []
        for kind, why in problems.items():
            x = exc.get((e["event"], e["resource"], kind))
            if x:
                x[2] += 1
                nexc += 1
                notes.append("%s: %s; excepted: %s" % (kind, why, x[1]))
            else:
                out.append("%s: %s" % (kind, why))
        for kind in ("id", "attributes", "cover"):
            x = exc.get((e["event"], e["resource"], kind))
            if x and kind not in problems:
                x[2] += 1
                out.append("%s passes now: drop its exception (line %d)" % (kind, x[0]))
        tap.ok(not out, label, out + notes)
    for (ev, res, kind), (ln, why, used) in sorted(exc.items(), key=lambda kv: kv[1][0]):
        if not used:
            tap.ok(False, "exception line %d (%s %s %s) matches an exercised entry" % (
                ln, ev, res, kind), ["no entry met that event in the samples: remove the line"])
    total = ""
    try:
        total = " of %d" % len(mapslib.load_maps())
    except ImportError:
        pass
    tap.diag("%d%s entries exercised by %d records (%d of them successful write calls judged) "
             "from %d sample files; %d problems excepted (%s)" % (
                 len(seen), total, len(records), len(judged_records), len(files), nexc,
                 os.path.basename(EXC)))
    selftest(tap, files)
    tap.done()


if __name__ == "__main__":
    main()
