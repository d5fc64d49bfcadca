"""Two source trees side by side on the same sweep, at the same moment: the wall-time ratio B/A per round.

This machine's speed drifts by up to 2x within minutes, so one tree timed after the other can show a 30 % change
that is not there.  Here both trees run the same ``s2s simulate`` command at the same time, each with ``--jobs 1``
on its own core (BLAS pinned to one thread), for ``--rounds`` rounds; each round gives one ratio B/A measured under
the same machine state, and the median ratio is the answer.  (Both runs share the memory bandwidth, so the absolute
walls are those of a busy machine; the ratio is what is compared.)

Usage::

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/bench_ab.py --a /tmp/before --b . [--rounds 7] [--seeds 1024]
        [--extra "--integrator RK45 --rtol 1e-3"]

Prints each round's walls and the ratios; writes nothing.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time

SWEEP = ["linear-fc", "--singular-values", "5,4,3,2,1", "--width", "50", "--init-scale", "1e-6", "--json",
         "--analysis", "staircase", "--no-progress", "--jobs", "1", "--time-budget", "3600"]


def _timed(tree: str, argv: list[str], out: dict[str, float], failed: list[str]) -> None:
    env = {**os.environ, "PYTHONPATH": os.path.abspath(tree), "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    if proc.returncode != 0:
        failed.append(f"{tree}: {' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
        return
    out[tree] = time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", required=True, help="source tree A (the baseline)")
    ap.add_argument("--b", required=True, help="source tree B")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--seeds", type=int, default=1024)
    ap.add_argument("--extra", default="--integrator RK45 --rtol 1e-3", help="more simulate options")
    args = ap.parse_args()
    if os.path.abspath(args.a) == os.path.abspath(args.b):
        raise SystemExit("--a and --b: must be two different source trees")
    argv = [sys.executable, "-m", "proofs_check", "simulate", *SWEEP, "--seeds", str(args.seeds),
            *shlex.split(args.extra)]
    print(f"load average before: {os.getloadavg()}", flush=True)
    ratios = []
    for k in range(args.rounds):
        walls: dict[str, float] = {}
        failed: list[str] = []
        runs = [threading.Thread(target=_timed, args=(tree, argv, walls, failed)) for tree in (args.a, args.b)]
        for r in runs:
            r.start()
        for r in runs:
            r.join()
        if failed:
            raise SystemExit("; ".join(failed))
        ratios.append(walls[args.b] / walls[args.a])
        print(f"round {k + 1}: A {walls[args.a]:.2f} s, B {walls[args.b]:.2f} s, B/A {ratios[-1]:.3f}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    print(f"B/A median {statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}, "
          f"{args.rounds} rounds, {args.seeds} seeds, {args.extra})")


if __name__ == "__main__":
    main()
