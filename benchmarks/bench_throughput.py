"""Sweep throughput at a stated drop-time accuracy: trajectories per second of total wall, side by side.

The sweep-throughput target case (benchmarks/RESULTS.md): ``s2s simulate linear-fc --singular-values 5,4,3,2,1
--width 50 --init-scale 1e-6 --seeds K --json --analysis staircase`` run as the user runs it (a fresh process, total
wall from spawn to exit), for each candidate setting (integrator, rtol, jobs), interleaved over ``--repeats`` rounds
so that a change of machine load hits every setting alike; the median wall is reported. Every setting's drop times
are compared, seed by seed, with a reference run of the same seeds at DOP853 rtol 1e-12: the worst relative
difference over all drops, and the number of seeds whose staircase has a different number of drops (such a seed
fails the accuracy condition; it is counted, never skipped), each listed with the reference's and the run's
``prominence_margin`` (a count decided by a dip within the run's own error of the ln 10 threshold can differ at any
tolerance short of the exact flow). A setting meets the target when the worst difference is ≤ ``--accuracy`` (0.1 %)
with no mismatched seed and K / wall ≥ 500.

Usage::

    .venv/bin/python benchmarks/bench_throughput.py [--seeds 1024] [--repeats 3]
        [--settings "DOP853:1e-6:1,DOP853:1e-6:2,RK45:1e-5:2,RK45:1e-5:2:16"] [--accuracy 1e-3]

A setting is integrator:rtol:jobs[:t_max[:flags]]; without t_max (or with ``default``) the default horizon (66.4
here: the run goes on to convergence), with it the run stops there (a horizon past the last drop, e.g. from
``s2s predict``); flags, '+'-joined: ``no-settle`` passes ``--no-settle`` (threshold ties keep their first count),
``no-reduction`` passes ``--no-reduction`` (all 50 units integrated instead of the 10-unit network they are,
docs/theory.md §3.4; the reference is always run so), ``all-analyses`` runs every default analysis (itinerary with
Morse indices, effective width) instead of ``--analysis staircase``.  Seeds whose count
was settled by integrating them again (``count_settling``) are counted, with those left unsettled, and their
earlier runs' gradients are in "evals per traj".

Writes nothing; prints one table (markdown), the machine's load average before and after, and before every run a
host-speed probe: the median time of one batched gradient of the sweep problem (66 members, BLAS on one thread),
taken in this process just before the run starts.  On a shared VM the host's speed drifts by tens of per cent
within minutes; a round whose probe is slow was run on a slow host, whatever the code.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the probe imports this tree's numerics

BASE = ["linear-fc", "--singular-values", "5,4,3,2,1", "--width", "50", "--init-scale", "1e-6", "--json",
        "--analysis", "staircase", "--no-progress", "--time-budget", "3600"]


# the last field of a setting: a '+'-joined subset; all but "all-analyses" are passed as --<flag>
FLAGS = ("no-settle", "no-reduction", "all-analyses")


def run(seeds: int, integrator: str, rtol: str, jobs: str, t_max: str | None = None,
        flags: str | None = None) -> tuple[float, list[dict]]:
    chosen = flags.split("+") if flags else []
    base = [a for a in BASE if a not in ("--analysis", "staircase")] if "all-analyses" in chosen else BASE
    argv = [sys.executable, "-m", "proofs_check", "simulate", *base, "--seeds", str(seeds), "--integrator",
            integrator, "--rtol", rtol, "--jobs", jobs, *(["--t-max", t_max] if t_max not in (None, "default") else []),
            *(f"--{f}" for f in chosen if f != "all-analyses")]
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return wall, [json.loads(line) for line in proc.stdout.splitlines()]


def host_probe(repeats: int = 400) -> float:
    """Median µs of one gradient of the sweep problem at 66 members (the default chunk), BLAS on one thread."""
    import numpy as np

    import numerics

    arch = numerics.build_architecture("linear-fc", d_in=5, d_out=5, width=50)
    fun = numerics.gradient_function(arch, numerics.whitened([5.0, 4.0, 3.0, 2.0, 1.0]))
    theta = numerics.init_params(arch, 0.1, seed=0, n_seeds=66)
    times = []
    with numerics.blas_threads(1):
        for _ in range(repeats):
            start = time.perf_counter()
            fun(theta)
            times.append(time.perf_counter() - start)
    return 1e6 * float(np.median(times))


def compare(objs: list[dict], ref: list[dict]) -> tuple[float, list[str], int]:
    """(worst relative drop-time difference over seeds with the reference's number of drops, the seeds whose
    number of drops differs as "seed (reference's prominence margin / this run's)", drops compared)."""
    worst, mismatched, drops = 0.0, [], 0
    for o, r in zip(objs, ref, strict=True):
        assert o["seed"] == r["seed"]
        why = f"{o['seed']} ({r.get('prominence_margin') or float('nan'):.1e} / " \
              f"{o.get('prominence_margin') or float('nan'):.1e})"
        if len(o["drop_times"]) != len(r["drop_times"]):
            mismatched.append(why)
            continue
        for a, b in zip(o["drop_times"], r["drop_times"], strict=True):
            d = abs(a - b) / abs(b)
            if d != d:  # NaN: a drop the reference has and this run lost
                mismatched.append(why)
                break
            worst, drops = max(worst, d), drops + 1
    return worst, mismatched, drops


def _cached(path: str | None, seeds: int) -> list[dict] | None:
    """The reference objects stored in ``path`` if it holds exactly seeds 0..seeds-1 of the reference command."""
    if not path or not os.path.exists(path):
        return None
    with open(path) as fh:
        objs = [json.loads(line) for line in fh]
    ok = [o.get("seed") for o in objs] == list(range(seeds)) and all(
        o.get("integrator", "").startswith("DOP853") and o.get("reduced_units") is None for o in objs)
    return objs if ok else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=1024)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--settings", default="DOP853:1e-6:1,DOP853:1e-6:2,RK45:1e-5:2,RK45:1e-5:2:16",
                    help="comma list of integrator:rtol:jobs[:t_max[:flags]], flags a '+'-joined subset of "
                         + ", ".join(FLAGS))
    ap.add_argument("--accuracy", type=float, default=1e-3)
    ap.add_argument("--reference", default=None, metavar="FILE",
                    help="JSON lines of the reference run: read if FILE holds this many seeds, else run and written "
                         "there (it costs several times a setting; point FILE at a temporary folder)")
    args = ap.parse_args()
    settings = [tuple(s.split(":")) for s in args.settings.split(",")]
    for s in settings:
        if not 3 <= len(s) <= 5 or (len(s) == 5 and not set(s[4].split("+")) <= set(FLAGS)):
            raise SystemExit(f"--settings: {':'.join(s)!r} is not integrator:rtol:jobs[:t_max[:flags]], flags a "
                             f"'+'-joined subset of {', '.join(FLAGS)}")
    print(f"load average before: {os.getloadavg()}", flush=True)
    ref = _cached(args.reference, args.seeds)
    if ref is None:
        # the counts as they fall, every unit integrated: the reference shares no shortcut with the settings
        ref_wall, ref = run(args.seeds, "DOP853", "1e-12", "2", None, "no-settle+no-reduction")
        print(f"reference (DOP853 rtol 1e-12, jobs 2, --no-reduction): {ref_wall:.2f} s", flush=True)
        if args.reference:
            with open(args.reference, "w") as fh:
                fh.writelines(json.dumps(o) + "\n" for o in ref)
    else:
        print(f"reference (DOP853 rtol 1e-12) read from {args.reference}", flush=True)
    walls: dict[tuple, list[float]] = {s: [] for s in settings}
    probes: dict[tuple, list[float]] = {s: [] for s in settings}
    objs: dict[tuple, list[dict]] = {}
    for _ in range(args.repeats):
        for s in settings:
            probes[s].append(host_probe())
            w, o = run(args.seeds, *s)
            walls[s].append(w)
            objs[s] = o
    print(f"load average after: {os.getloadavg()}")
    print(f"\n| integrator | rtol | jobs | t_max | median wall [s] (of {args.repeats}) | traj/s | evals per traj | "
          "seeds integrated again (unsettled) | worst drop-time difference | seeds with another number of drops | "
          f"meets 500 traj/s at {args.accuracy:g} |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    lines = []
    for s in settings:
        w = statistics.median(walls[s])
        worst, mism, drops = compare(objs[s], ref)
        # every run of a seed counts: a settled tie's record lists them all, the first included
        evals = statistics.mean(sum(o["count_settling"]["gradient_evaluations"]) if o.get("count_settling")
                                else o["gradient_evaluations"] for o in objs[s])
        again = [o for o in objs[s] if o.get("count_settling")]
        unsettled = sum(not o["count_settling"]["settled"] for o in again)
        rate = args.seeds / w
        ok = worst <= args.accuracy and not mism and rate >= 500
        horizon = (s[3] if len(s) > 3 else "default") + (f" {s[4]}" if len(s) > 4 else "")
        print(f"| {s[0]} | {s[1]} | {s[2]} | {horizon} | {w:.2f} "
              f"({', '.join(f'{x:.2f}' for x in walls[s])}) | {rate:.0f} | "
              f"{evals:.0f} | {len(again)} ({unsettled}) | {worst:.1e} ({drops} drops) | "
              f"{len(mism)}{': ' if mism else ''}{', '.join(mism)} | "
              f"{'yes' if ok else 'no'} |")
        lines.append(f"{':'.join(s)}: host probe before each round (µs per gradient of 66 members) "
                     f"{', '.join(f'{x:.0f}' for x in probes[s])}")
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
