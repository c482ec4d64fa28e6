#!/usr/bin/python3
"""RSS of a long-running `tfdrift watch` over a simulated day.

Writes N CloudTrail records whose times span 24 hours (a compressed clock: a day of events
read as fast as watch takes them), each with its own event id, made from the example
records (doc/examples/cloudtrail.json) by the Terraform pipeline or failed, so that they
make no findings (the findings kept open are drift, which no memory bound may drop): what
grows with them is what a long run accumulates per event, the dedup sets first. Runs
`tfdrift watch --events FILE` on them with a store and samples the process's RSS
(/proc/PID/status) against how far it has read the file (/proc/PID/fdinfo: the offset of
the file's descriptor). Prints the RSS at 10%, 25%, 50%, 75% and the end, and fails when the
RSS grew by more than --max-growth-mb between --from (a fraction of the day, 0.5) and the
end. What is bounded but fills slowly (SQLite's 2 MB page cache per connection as the store
grows, the allocator's arenas) levels off within the first half of a large run; something
kept per event keeps growing to the end.

Usage: watch_rss.py --tfdrift BIN --datadir SRCDIR --dir OUTDIR [--events N]
                    [--dedup-ids CAP] [--max-growth-mb MB] [--from FRACTION]
--dedup-ids sets TFDRIFT_DEDUP_IDS (the capacity of each id set), so a cheap run with a
small capacity passes it, as a day at 1,000/s passes the default 2^20.
"""
import argparse
import gzip
import json
import os
import subprocess
import sys
import time


def gen(src, dst, n):
    recs = [r for r in json.load(open(src))["Records"] if not r.get("readOnly")]
    base = 1716768000  # 2024-05-27T00:00:00Z
    with gzip.open(dst, "wt", compresslevel=1) as out:
        for i in range(n):
            r = dict(recs[i % len(recs)])
            t = base + (i * 86400) // n
            r["eventTime"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
            r["eventID"] = "rss-%09d" % i
            if i % 10 == 9:
                r["errorCode"] = "AccessDenied"
                r["errorMessage"] = "denied"
            else:
                r["userAgent"] = "APN/1.0 HashiCorp/1.0 Terraform/1.8.5 (+https://www.terraform.io)"
            out.write(json.dumps(r, separators=(",", ":")) + "\n")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    return 0


def offset(pid, path):
    """The read offset of the process's descriptor on path, or None."""
    d = "/proc/%d/fd" % pid
    try:
        for fd in os.listdir(d):
            try:
                if os.readlink(os.path.join(d, fd)) == path:
                    with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                        for l in f:
                            if l.startswith("pos:"):
                                return int(l.split()[1])
            except OSError:
                continue
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tfdrift", required=True)
    ap.add_argument("--datadir", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--events", type=int, default=300000)
    ap.add_argument("--dedup-ids", type=int, default=0)
    ap.add_argument("--max-growth-mb", type=float, default=4.0)
    ap.add_argument("--from", dest="frm", type=float, default=0.5)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    ev = os.path.realpath(os.path.join(a.dir, "day-%d.jsonl.gz" % a.events))
    if not os.path.exists(ev):
        gen(os.path.join(a.datadir, "doc/examples/cloudtrail.json"), ev + ".tmp", a.events)
        os.rename(ev + ".tmp", ev)
    size = os.path.getsize(ev)
    db = os.path.join(a.dir, "rss.db")
    for p in (db, db + "-wal", db + "-shm"):
        if os.path.exists(p):
            os.unlink(p)
    env = dict(os.environ)
    if a.dedup_ids:
        env["TFDRIFT_DEDUP_IDS"] = str(a.dedup_ids)
    env.pop("NOTIFY_SOCKET", None)
    cmd = [a.tfdrift, "watch", "--store", db, "--state",
           os.path.join(a.datadir, "doc/examples/prod.tfstate"), "--events", ev]
    out = open(os.path.join(a.dir, "rss.out"), "w")
    err = open(os.path.join(a.dir, "rss.err"), "w")
    p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env)
    samples = []  # (fraction read, rss kB)
    seen = False
    t0 = time.time()
    try:
        while True:
            if p.poll() is not None:
                sys.exit("watch_rss: watch exited early (%d); see %s" % (p.returncode, err.name))
            pos = offset(p.pid, ev)
            r = rss_kb(p.pid)
            if pos is not None:
                seen = True
                samples.append((pos / size, r))
            elif seen:
                break       # read to the end and closed
            if time.time() - t0 > 1800:
                sys.exit("watch_rss: not done in 30 minutes")
            time.sleep(0.05)
        time.sleep(1.0)     # the engine decides what is queued
        samples.append((1.0, rss_kb(p.pid)))
    finally:
        p.terminate()
        p.wait()
    wall = time.time() - t0

    def at(frac):
        best = None
        for f, r in samples:
            if f >= frac:
                return r
            best = r
        return best

    marks = [0.1, 0.25, 0.5, 0.75, 1.0]
    rs = [at(m) for m in marks]
    base = at(a.frm)
    print("watch_rss_events=%d" % a.events)
    print("watch_rss_dedup_ids=%s" % (a.dedup_ids or "default"))
    print("watch_rss_events_per_s=%d" % (a.events / wall))
    for m, r in zip(marks, rs):
        print("watch_rss_mb_at_%d%%=%.1f" % (m * 100, r / 1024.0))
    growth = (rs[-1] - base) / 1024.0
    print("watch_rss_growth_from_%d%%_mb=%.1f" % (a.frm * 100, growth))
    print("watch_rss_exit=%d" % p.returncode)
    if p.returncode != 0:
        sys.exit("watch_rss: SIGTERM did not exit 0 (%d)" % p.returncode)
    if growth > a.max_growth_mb:
        sys.exit("watch_rss: RSS grew by %.1f MB from %d%% of the day to its end (limit %.1f)"
                 % (growth, a.frm * 100, a.max_growth_mb))


main()
