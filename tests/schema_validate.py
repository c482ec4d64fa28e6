#!/usr/bin/python3
"""Validate tfdrift findings output against doc/findings.schema.json.

    /usr/bin/python3 tests/schema_validate.py SCHEMA FILE [--jsonl]

FILE is a findings document ({"schema": "tfdrift.findings/v1", ...}), or with --jsonl one
finding object per line (validated against the schema's #/$defs/finding). FILE may be "-"
for standard input. Every error is printed with its JSON path (and line for --jsonl);
finding ids must also be unique, except that in JSON lines a finding may come again once,
resolved (an update: a stream writes a finding when it is made and again when it resolves).
Exit 0 when valid, 1 when not, 2 on bad usage.
"""
import json
import sys

try:
    import jsonschema
except ImportError:  # pragma: no cover - bootstrap installs python3-jsonschema
    sys.stderr.write("schema_validate: python3-jsonschema is not installed "
                     "(apt-get install python3-jsonschema)\n")
    sys.exit(2)


def json_path(parts):
    """['findings', 0, 'actor'] -> $.findings[0].actor"""
    out = "$"
    for p in parts:
        out += "[%d]" % p if isinstance(p, int) else "." + str(p)
    return out


def make_validator(schema, ref=None):
    if ref is not None:
        schema = {"$schema": schema.get("$schema"), "$ref": ref,
                  "$defs": schema.get("$defs", {})}
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def errors_of(validator, instance, prefix=()):
    errs = sorted(validator.iter_errors(instance),
                  key=lambda e: (list(map(str, e.absolute_path)), e.message))
    out = []
    for e in errs:
        out.append("%s: %s" % (json_path(list(prefix) + list(e.absolute_path)), e.message))
    return out


def dup_ids(findings, path_of, updates=False):
    seen, out = {}, []
    for i, f in enumerate(findings):
        fid = f.get("id") if isinstance(f, dict) else None
        if not isinstance(fid, str):
            continue
        if (updates and fid in seen and f.get("status") == "resolved"
                and findings[seen[fid]].get("status") != "resolved"):
            seen[fid] = i       # the update of an unresolved one: fine, once
            continue
        if fid in seen:
            out.append("%s: duplicate finding id %r (also at %s)"
                       % (path_of(i), fid, path_of(seen[fid])))
        else:
            seen[fid] = i
    return out


def main(argv):
    args = [a for a in argv[1:] if a != "--jsonl"]
    jsonl = "--jsonl" in argv[1:]
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    schema_path, path = args
    try:
        with open(schema_path, encoding="utf-8") as fp:
            schema = json.load(fp)
    except (OSError, ValueError) as e:
        sys.stderr.write("schema_validate: %s: %s\n" % (schema_path, e))
        return 2
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as fp:
                text = fp.read()
    except (OSError, UnicodeDecodeError) as e:
        print("%s: cannot read: %s" % (path, e))
        return 1

    problems = []
    count = 0
    if jsonl:
        v = make_validator(schema, "#/$defs/finding")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        findings = []
        for n, line in enumerate(lines, 1):
            try:
                obj = json.loads(line)
            except ValueError as e:
                problems.append("line %d: not JSON: %s" % (n, e))
                findings.append(None)
                continue
            count += 1
            findings.append(obj)
            problems += ["line %d: %s" % (n, m) for m in errors_of(v, obj)]
        problems += dup_ids(findings, lambda i: "line %d: $.id" % (i + 1), updates=True)
    else:
        v = make_validator(schema)
        try:
            doc = json.loads(text)
        except ValueError as e:
            print("%s: not JSON: %s" % (path, e))
            return 1
        problems += errors_of(v, doc)
        if isinstance(doc, dict) and isinstance(doc.get("findings"), list):
            count = len(doc["findings"])
            problems += dup_ids(doc["findings"], lambda i: "$.findings[%d].id" % i)

    if problems:
        for p in problems:
            print("%s: %s" % (path, p))
        print("%s: INVALID (%d error%s)" % (path, len(problems), "" if len(problems) == 1 else "s"))
        return 1
    print("%s: valid (%d finding%s)" % (path, count, "" if count == 1 else "s"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
