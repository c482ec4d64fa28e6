#!/usr/bin/env python3
"""ack_latency: how long a decision takes to reach an open dashboard on a shared store.

Fills a store with `tfdrift scan --store` on doc/examples, opens `tfdrift ui --store` on it
in a private tmux server (200x50), then RUNS times: `tfdrift ack` of a finding as a new
decider (USER=benchN, so each message is new) from another process, and the time from the
ack's commit (the command has returned: the decision is in the store) until the dashboard's
screen says "benchN acknowledged", read with tmux capture-pane every 2 ms (what a person sees;
the capture itself takes a few ms, included). Prints key=value lines:
ack_latency_runs, ack_latency_ms_p50, _p90, _p99, _max, and ack_command_ms_p50 (the ack
command's own time, for comparison), each after the back end's name.

Before that, the dashboard's CPU over IDLE seconds with nothing happening
(store_view_idle_cpu_percent: it asks the store a few times a second).

usage: ack_latency.py TFDRIFT SRCDIR [RUNS [IDLE [STORE]]]
STORE: a store to fill and use (a PostgreSQL URI: postgresql://...); default a new SQLite
file. The key names then start with the back end: sqlite_... or postgresql_...
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def pct(v, p):
    v = sorted(v)
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100.0 * len(v) + 0.5)) - 1))
    return v[k]


def main():
    tfdrift, src = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 50
    idle_s = float(sys.argv[4]) if len(sys.argv) > 4 else 10
    if shutil.which("tmux") is None:
        print("# ack_latency: tmux is not installed, skipped")
        return 0
    ex = os.path.join(src, "doc", "examples")
    tmp = tempfile.mkdtemp(prefix="tfdrift-ack-bench.")
    sock = "tfdrift-ack-bench-%d" % os.getpid()
    env = dict(os.environ, TFDRIFT_DATADIR=src, LC_ALL="C.UTF-8", TERM="xterm-256color")
    env.pop("TFDRIFT_NOW", None)
    db = sys.argv[5] if len(sys.argv) > 5 else os.path.join(tmp, "team.db")
    be = "postgresql" if db.startswith(("postgresql://", "postgres://")) else "sqlite"

    def tmux(*a, **kw):
        return subprocess.run(["tmux", "-L", sock, "-f", "/dev/null"] + list(a),
                              capture_output=True, text=True, env=env, **kw)

    try:
        subprocess.run([tfdrift, "scan", "--state", ex + "/prod.tfstate", "--state",
                        ex + "/gcp.tfstate", "--events", ex + "/cloudtrail.json", "--events",
                        ex + "/gcp-audit.json", "--store", db, "-o", "/dev/null"],
                       env=env, capture_output=True)
        out = subprocess.run([tfdrift, "export", "--store", db, "--format", "jsonl"], env=env,
                             capture_output=True, text=True).stdout
        ids = [json.loads(l)["id"] for l in out.splitlines() if l.strip()]
        if not ids:
            print("ack_latency: no findings in the store", file=sys.stderr)
            return 1
        script = os.path.join(tmp, "ui.sh")
        with open(script, "w") as f:
            f.write("#!/bin/sh\nexec '%s' ui --store '%s' 2> '%s/ui.err'\n" % (tfdrift, db, tmp))
        tmux("new-session", "-d", "-s", "bench", "-x", "200", "-y", "50", "sh", script)
        deadline = time.monotonic() + 20
        while "store:" not in tmux("capture-pane", "-p", "-t", "bench").stdout:
            if time.monotonic() > deadline:
                print("ack_latency: the dashboard did not start", file=sys.stderr)
                return 1
            time.sleep(0.1)
        # Idle first: the dashboard asks the store whether anything changed a few times a
        # second; what does that cost with nothing happening?
        pid = int(tmux("display-message", "-p", "-t", "bench", "#{pane_pid}").stdout.strip())

        def run_ns():   # time on a CPU, all threads (schedstat: finer than utime's ticks)
            t = 0
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/schedstat" % (pid, task)) as f:
                    t += int(f.read().split()[0])
            return t
        time.sleep(1)
        c0, w0 = run_ns(), time.monotonic()
        time.sleep(idle_s)
        c1, w1 = run_ns(), time.monotonic()
        print("%s_store_view_idle_cpu_percent=%.3f" % (be, ((c1 - c0) / 1e9 / (w1 - w0) * 100)))
        lat, cmd = [], []
        for i in range(runs):
            who = "bench%d" % i
            t0 = time.monotonic()
            r = subprocess.run([tfdrift, "ack", "--store", db, ids[i % len(ids)]],
                               env=dict(env, USER=who), capture_output=True)
            t1 = time.monotonic()
            if r.returncode != 0:
                print("ack_latency: ack failed: %s" % r.stderr.decode(), file=sys.stderr)
                return 1
            needle = who + " acknowledged"
            while True:
                if needle in tmux("capture-pane", "-p", "-t", "bench").stdout:
                    break
                if time.monotonic() - t1 > 10:
                    print("ack_latency: %s not on the screen after 10 s" % who, file=sys.stderr)
                    return 1
                time.sleep(0.002)
            lat.append((time.monotonic() - t1) * 1000)
            cmd.append((t1 - t0) * 1000)
            # Apart, as people are: the next one after the dashboard has settled.
            time.sleep(0.05 + (i % 7) * 0.037)
        print("%s_ack_latency_runs=%d" % (be, runs))
        for p in (50, 90, 99):
            print("%s_ack_latency_ms_p%d=%.1f" % (be, p, pct(lat, p)))
        print("%s_ack_latency_ms_max=%.1f" % (be, max(lat)))
        print("%s_ack_command_ms_p50=%.1f" % (be, pct(cmd, 50)))
        return 0
    finally:
        tmux("kill-server")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
