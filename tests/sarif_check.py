#!/usr/bin/python3
"""Check tfdrift's SARIF output.

    /usr/bin/python3 tests/sarif_check.py FILE [--files] [--findings DOC.json] [--schema SCHEMA.json]

Always: SARIF 2.1.0's required structure as code scanning reads it, checked by hand (version,
$schema, one run, runs[].tool.driver.name and version, rules with unique ids and a level,
every result's ruleId in driver.rules at its ruleIndex, level in the enum, message.text,
locations with a logical location of kind "resource", a partialFingerprints entry, unique).
--findings: the findings document of the same scan (tfdrift scan --format json): one result
per open finding and none for the others, its level mapped from the severity, its ruleId the
finding's (highest-severity) rule or tfdrift/KIND, its properties' changes and actor equal to
the JSON output's (so sensitive values are masked alike), the run's counts by status.
--files: every result is on a file (physicalLocation.artifactLocation.uri), as code
scanning's ingestion requires (the SARIF validator's rule GH1001).
--schema: also validate against the official SARIF 2.1.0 JSON schema (python3-jsonschema).
Prints each error; exit 0 when valid, 1 when not, 2 on bad usage.
"""
import json
import re
import sys

LEVELS = ("none", "note", "warning", "error")
SEV_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
             "info": "note"}
SEV_RANK = ["info", "low", "medium", "high", "critical"]
FINGERPRINT = "tfdriftFindingId/v1"


def structure(log, errs, files=False):
    def err(path, msg):
        errs.append("%s: %s" % (path, msg))

    if not isinstance(log, dict):
        return err("$", "not an object")
    if log.get("version") != "2.1.0":
        err("$.version", "expected \"2.1.0\", not %r" % log.get("version"))
    if log.get("$schema") != "https://json.schemastore.org/sarif-2.1.0.json":
        err("$.$schema", "unexpected %r" % log.get("$schema"))
    runs = log.get("runs")
    if not isinstance(runs, list) or len(runs) != 1:
        return err("$.runs", "expected one run")
    run = runs[0]
    drv = (run.get("tool") or {}).get("driver")
    if not isinstance(drv, dict):
        return err("$.runs[0].tool.driver", "missing")
    if drv.get("name") != "tfdrift":
        err("$.runs[0].tool.driver.name", "expected \"tfdrift\", not %r" % drv.get("name"))
    if not isinstance(drv.get("version"), str) or not drv["version"]:
        err("$.runs[0].tool.driver.version", "missing")
    if not str(drv.get("informationUri", "")).startswith("https://"):
        err("$.runs[0].tool.driver.informationUri", "not an https URI")
    rules = drv.get("rules")
    if not isinstance(rules, list):
        return err("$.runs[0].tool.driver.rules", "not an array")
    ids = []
    for i, r in enumerate(rules):
        p = "$.runs[0].tool.driver.rules[%d]" % i
        if not isinstance(r.get("id"), str) or not r["id"]:
            err(p + ".id", "missing")
        ids.append(r.get("id"))
        if not isinstance((r.get("shortDescription") or {}).get("text"), str):
            err(p + ".shortDescription.text", "missing")
        if (r.get("defaultConfiguration") or {}).get("level") not in LEVELS:
            err(p + ".defaultConfiguration.level", "not one of %s" % (LEVELS,))
    if len(set(ids)) != len(ids):
        err("$.runs[0].tool.driver.rules", "rule ids repeat: %s" % ids)
    results = run.get("results")
    if not isinstance(results, list):
        return err("$.runs[0].results", "not an array")
    seen = set()
    used = set()
    for i, r in enumerate(results):
        p = "$.runs[0].results[%d]" % i
        rid = r.get("ruleId")
        if rid not in ids:
            err(p + ".ruleId", "%r is not in tool.driver.rules" % rid)
        elif r.get("ruleIndex") != ids.index(rid):
            err(p + ".ruleIndex", "%r is not the index of %r" % (r.get("ruleIndex"), rid))
        used.add(rid)
        if r.get("level") not in LEVELS:
            err(p + ".level", "%r is not one of %s" % (r.get("level"), LEVELS))
        text = (r.get("message") or {}).get("text")
        if not isinstance(text, str) or not text.strip():
            err(p + ".message.text", "missing")
        locs = r.get("locations")
        if not isinstance(locs, list) or not locs:
            err(p + ".locations", "missing")
            locs = []
        if files and not any((loc.get("physicalLocation") or {}).get("artifactLocation")
                             for loc in locs):
            err(p + ".locations", "on no file")
        for j, loc in enumerate(locs):
            lls = loc.get("logicalLocations") or []
            if not any(ll.get("kind") == "resource" and ll.get("name") for ll in lls):
                err("%s.locations[%d].logicalLocations" % (p, j), "no resource")
            pl = loc.get("physicalLocation")
            if pl is not None:
                uri = (pl.get("artifactLocation") or {}).get("uri")
                if not isinstance(uri, str) or not re.fullmatch(r"[A-Za-z0-9._~/%:-]+", uri):
                    err("%s.locations[%d].physicalLocation" % (p, j), "bad uri %r" % uri)
        fp = (r.get("partialFingerprints") or {}).get(FINGERPRINT)
        if not isinstance(fp, str) or not re.fullmatch(r"[0-9a-f]{32}", fp):
            err(p + ".partialFingerprints", "no %s" % FINGERPRINT)
        elif fp in seen:
            err(p + ".partialFingerprints", "%s repeats" % fp)
        seen.add(fp)
    for rid in ids:
        if rid not in used:
            err("$.runs[0].tool.driver.rules", "rule %r fired for no result" % rid)


def against_findings(log, doc, errs):
    run = log["runs"][0]
    by_fp = {}
    for r in run.get("results", []):
        by_fp[(r.get("partialFingerprints") or {}).get(FINGERPRINT)] = r
    counts = {}
    for f in doc["findings"]:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
        r = by_fp.pop(f["id"], None)
        if f["status"] != "open":
            if r is not None:
                errs.append("finding %s is %s but has a result" % (f["id"], f["status"]))
            continue
        if r is None:
            errs.append("open finding %s has no result" % f["id"])
            continue
        if r["level"] != SEV_LEVEL[f["severity"]]:
            errs.append("finding %s: level %s for severity %s" % (f["id"], r["level"],
                                                                  f["severity"]))
        want = "tfdrift/" + f["kind"].replace("_", "-")
        if f["rules"]:
            want = max(f["rules"], key=lambda x: SEV_RANK.index(x["severity"]))["id"]
        if r["ruleId"] != want:
            errs.append("finding %s: ruleId %s, expected %s" % (f["id"], r["ruleId"], want))
        props = r.get("properties", {})
        for key, val in (("changes", f["changes"]), ("actor", f["actor"]),
                         ("event_id", f["event"]["id"]), ("time", f["event"]["time"])):
            if props.get(key) != val:
                errs.append("finding %s: properties.%s %r, JSON output %r" %
                            (f["id"], key, props.get(key), val))
        addr = f["resource"]["address"]
        names = [ll.get("fullyQualifiedName") or ll.get("name")
                 for loc in r["locations"] for ll in loc.get("logicalLocations", [])]
        if (addr or f["resource"]["id"]) not in names:
            errs.append("finding %s: no logical location %r" % (f["id"], addr))
    for fp in by_fp:
        errs.append("result %s is no finding of the document" % fp)
    got = (run.get("properties") or {}).get("findings", {})
    for st in ("open", "acknowledged", "suppressed", "resolved"):
        if got.get(st) != counts.get(st, 0):
            errs.append("run.properties.findings.%s: %r, the document has %d" %
                        (st, got.get(st), counts.get(st, 0)))


def against_schema(log, schema, errs):
    try:
        import jsonschema
    except ImportError:
        errs.append("python3-jsonschema is not installed")
        return
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    for e in sorted(cls(schema).iter_errors(log), key=lambda e: list(map(str, e.path))):
        errs.append("schema: $%s: %s" % ("".join("[%r]" % p for p in e.absolute_path),
                                         e.message))


def main(argv):
    args = [a for a in argv[1:] if a != "--files"]
    opts = {}
    while len(args) > 1 and args[-2] in ("--findings", "--schema"):
        opts[args[-2]] = args[-1]
        args = args[:-2]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    with open(args[0], encoding="utf-8") as fp:
        log = json.load(fp)
    errs = []
    structure(log, errs, "--files" in argv)
    if not errs and "--findings" in opts:
        with open(opts["--findings"], encoding="utf-8") as fp:
            against_findings(log, json.load(fp), errs)
    if "--schema" in opts:
        with open(opts["--schema"], encoding="utf-8") as fp:
            against_schema(log, json.load(fp), errs)
    for e in errs:
        print(e)
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
