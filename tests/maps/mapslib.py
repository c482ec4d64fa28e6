# mapslib: what the map checks (tests/maps/*.py) share: load rules/events/*.yaml in the
# loader's order, list the paths each entry reads, parse a path the way src/jpath.c does,
# print TAP. Needs PyYAML; the C loader (`tfdrift rules check`) stays the authority on syntax.
import glob, os, re, sys

TOP = os.environ.get("TOP_SRCDIR", ".")
SHARED = os.environ.get("SHARED_DATA", os.path.join(TOP, "..", "shared", "data"))


def skip_all(why):
    print("1..0 # SKIP " + why)
    sys.exit(0)


def load_maps(top=TOP):
    import yaml
    out = []
    for f in sorted(glob.glob(os.path.join(top, "rules", "events", "*.yaml"))):
        with open(f) as fh:
            doc = yaml.safe_load(fh)
        for i, e in enumerate(doc.get("events") or []):
            out.append(Entry(os.path.basename(f), doc, e, i))
    return out


class Entry:
    def __init__(self, fname, doc, e, index):
        self.file, self.provider, self.service = fname, doc["provider"], doc["service"]
        self.event, self.resource, self.action = e["event"], e["resource"], e["action"]
        self.names = [e["event"]] + list(e.get("aliases") or [])
        self.ids = [i for i in e.get("id") or [] if isinstance(i, str)]
        self.attrs = []           # (name, [paths], attribute dict)
        for a in e.get("attributes") or []:
            ps = [a["path"]] if "path" in a else list(a.get("paths") or [])
            self.attrs.append((a["name"], ps, a))
        cb = e.get("covered_by") or {}
        self.cover_resource = cb.get("resource")
        self.cover = dict(cb.get("match") or {})
        self.state_keys = list(e.get("state_keys") or [])
        self.index = index
        self.raw = e

    def label(self):
        return "%s: %s -> %s (%s)" % (self.file, self.event, self.resource, self.action)

    def paths(self):
        """Every (where, path) the entry reads from the record, wherever the entry holds it:
        id (paths, or the paths an id joins), attributes, covered_by, and any other key that
        names record paths (batch lists, conditions, match tables, as keys or values); a
        string is a path when it starts at a record field (ROOTS)."""
        out = []
        roots = ROOTS[self.provider]

        def walk(v, where):
            if isinstance(v, dict):
                for k, x in v.items():
                    if isinstance(k, str) and _root(k) in roots:
                        out.append((where, k))
                    walk(x, "%s.%s" % (where, k) if where else str(k))
            elif isinstance(v, list):
                for x in v:
                    walk(x, where)
            elif isinstance(v, str) and _root(v) in roots:
                out.append((where, v))

        for k, v in self.raw.items():
            if k == "attributes":
                for a in v or []:
                    walk(a, "attribute %s" % a.get("name"))
            elif k not in ("event", "aliases", "resource"):
                walk(v, k)
        return list(dict.fromkeys(out))


# Where a path starts: the record fields paths may name (doc/event-maps.md, Paths).
ROOTS = {"aws": {"requestParameters", "responseElements", "additionalEventData",
                 "serviceEventDetails", "recipientAccountId"},
         "gcp": {"request", "response", "resourceName", "metadata", "serviceData"}}


def _root(p):
    return re.split(r"[.\[]", p, 1)[0]


_SEG = re.compile(r'(?:"((?:[^"\\]|\\.)*)"|([^.\["]+))((?:\[\d*\])*)')


def parse_path(p):
    """'a.b[].c[0]."x-y"' -> [('a', ''), ('b', '[]'), ('c', '[0]'), ('x-y', '')];
    the second element is every subscript after the key, as written."""
    out, i = [], 0
    while i < len(p):
        m = _SEG.match(p, i)
        if not m:
            raise ValueError("cannot parse path %r at %d" % (p, i))
        key = m.group(1) if m.group(1) is not None else m.group(2)
        out.append((key.replace('\\"', '"'), m.group(3)))
        i = m.end()
        if i < len(p):
            if p[i] != ".":
                raise ValueError("cannot parse path %r at %d" % (p, i))
            i += 1
    return out


class Tap:
    def __init__(self):
        self.n = self.failed = 0

    def ok(self, good, name, diag=()):
        self.n += 1
        if not good:
            self.failed += 1
        print("%sok %d - %s" % ("" if good else "not ", self.n, name.replace("#", "\\#")))
        for d in diag:
            print("# " + d)

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why))

    def diag(self, text):
        for line in text.splitlines():
            print("# " + line)

    def done(self):
        print("1..%d" % self.n)
        sys.exit(1 if self.failed else 0)


def read_tsv(path, ncols):
    """Rows of a tab-separated data file (comments '#' and blank lines skipped), each with
    its line number; a row with fewer than ncols columns is an error."""
    rows = []
    with open(path) as fh:
        for ln, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < ncols:
                raise ValueError("%s:%d: expected %d tab-separated columns" % (path, ln, ncols))
            rows.append((ln, cols))
    return rows
