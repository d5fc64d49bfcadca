"""Throughput of ``s2s simulate`` sweeps: trajectories per second of total wall, per-phase timing and peak RSS.

Runs, as the user would, ``s2s simulate linear-fc --singular-values 5,4,3,2,1 --width 50 --init-scale 1e-6
--seeds K --json`` in a fresh process for each K and analysis set, reads the JSON lines as they arrive and reports:

* wall seconds from start to exit and K / wall (trajectories per second of what the user waits for);
* the sum over seeds of each phase of ``timing`` (integration and analysis counted once per chunk);
* the child's peak RSS (``os.wait4`` resource usage of that process alone).

Usage::

    .venv/bin/python benchmarks/bench_sweep.py [--ks 1,16,256,1024] [--analyses default,staircase,none]
                                               [--time-budget 3600] [--extra "--chunk 64"]

``--analyses`` is a comma list of settings, each ``default``, ``none`` or analysis names joined by ``+``
(``staircase+itinerary`` runs ``--analysis staircase,itinerary``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

BASE = ["linear-fc", "--singular-values", "5,4,3,2,1", "--width", "50", "--init-scale", "1e-6"]


def run_one(k: int, analysis: str, budget: float, extra: list[str]) -> dict:
    argv = [sys.executable, "-m", "proofs_check", "simulate", *BASE, "--seeds", str(k), "--json",
            "--time-budget", str(budget), "--no-progress", *extra]
    if analysis != "default":  # "staircase+itinerary" -> --analysis staircase,itinerary
        argv += ["--analysis", analysis.replace("+", ",")]
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first_line, objs = None, []
    for line in proc.stdout:
        if first_line is None:
            first_line = time.perf_counter() - start
        objs.append(json.loads(line))
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - start
    chunks = {}
    for o in objs:
        chunks.setdefault(o.get("chunk"), o["timing"])
    phases = {p: round(sum(t[p] for t in chunks.values()), 3) for p in ("integration", "analysis", "output")}
    ok = sum(1 for o in objs if o.get("status") in ("converged", "t_max") and "analysis" not in o)
    return {"seeds": k, "analysis": analysis, "exit": proc.returncode, "complete": ok, "wall_s": round(wall, 3),
            "first_line_s": round(first_line or float("nan"), 3), "traj_per_s": round(ok / wall, 3),
            "chunks": len(chunks), "setup_s": objs[0]["timing"]["setup"] if objs else None, **phases,
            "peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "stderr": err.strip()[-200:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ks", default="1,16,256,1024")
    ap.add_argument("--analyses", default="default,staircase,none")
    ap.add_argument("--time-budget", type=float, default=3600.0)
    ap.add_argument("--extra", default="", help="more simulate options, e.g. '--chunk 64'")
    a = ap.parse_args()
    print("command: s2s simulate " + " ".join(BASE) + " --seeds K --json [--analysis A] " + a.extra)
    print(f"{'K':>6} {'analysis':>26} {'exit':>4} {'done':>6} {'wall s':>9} {'1st line':>9} {'traj/s':>8} "
          f"{'chunks':>6} {'integr.':>8} {'analysis':>9} {'output':>7} {'RSS MiB':>8}")
    for analysis in a.analyses.split(","):
        for k in (int(v) for v in a.ks.split(",")):
            r = run_one(k, analysis, a.time_budget, shlex.split(a.extra))
            print(f"{r['seeds']:>6} {analysis:>26} {r['exit']:>4} {r['complete']:>6} {r['wall_s']:>9.2f} "
                  f"{r['first_line_s']:>9.2f} {r['traj_per_s']:>8.2f} {r['chunks']:>6} {r['integration']:>8.2f} "
                  f"{r['analysis']:>9.2f} {r['output']:>7.3f} {r['peak_rss_mib']:>8.1f}", flush=True)
            if r["exit"] != 0:
                print(f"       stderr: {r['stderr']}")


if __name__ == "__main__":
    main()
