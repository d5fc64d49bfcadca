"""User units through the workbench (docs/accuracy.md, "Your own network"): for each unit that is not built in,

* the first-drop error of ``s2s predict fc --activation EXPR --max-drops 1 --compare`` (closed-form escape law of
  the Taylor order, docs/theory.md §6.12) against the simulation, over seeds and two init scales, on the default teacher
  dataset (not the reflection-symmetric data of the check: generic data, where the q = 1 intercept carries the
  aligned-mode model's O(1) modelling error);
* the outcome of ``s2s check --activation EXPR`` (claim statuses and the wall time of the whole command).

Run: ``python benchmarks/units_table.py [--seeds K] [--no-check]``; prints Markdown; writes nothing but a temporary
folder.  Wall times depend on the machine's load: the script prints the load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proofs_check.predict import predict  # noqa: E402
from proofs_check.predict_cmd import compare  # noqa: E402
from proofs_check.problem import add_problem_arguments, build_problem  # noqa: E402

# (expression, what it covers)
UNITS = [
    ("z + z**2/2", "q = 1, neither even nor odd, zero unit, polynomial"),
    ("sin(z)", "q = 1, odd, zero unit"),
    ("log(1 + exp(z)) - log(2)", "q = 1 (a = 1/2), shifted softplus, zero unit"),
    ("z**2 + z**3", "q = 2, zero unit, polynomial"),
    ("z*sin(z)", "q = 2, even, zero unit"),
    ("z**3 - z**5/10", "q = 3, odd, zero unit, polynomial"),
    ("log(1 + exp(z))", "q = 1 of sigma - sigma(0), NO zero unit (sigma(0) = log 2)"),
]


def first_drop_errors(expr: str, eps: float, seeds: int) -> list[float]:
    p = argparse.ArgumentParser(add_help=False)
    add_problem_arguments(p)
    args = p.parse_args(["fc", "--activation", expr, "--init-scale", str(eps), "--seeds", str(seeds)])
    problem = build_problem(args)
    pred = predict(problem, max_drops=1)  # the first drop is what is measured; later escapes of q >= 3 are slow
    rows = compare(problem, pred)
    out = []
    for row in rows:
        d = row["drop_times"]
        if d and pred.kinds[row["seed"] - problem.seeds[0]][0] == "closed-form":
            out.append(float(d[0]["rel_error"]))
    return out


def check(expr: str) -> tuple[dict[str, str], float]:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "proofs_check", "check", "--activation", expr, "--json",
                               "--no-report"], capture_output=True, text=True, cwd=tmp, timeout=1200)
        seconds = time.perf_counter() - start
    obj = json.loads(done.stdout)
    return {c["id"]: c["status"] for c in obj["claims"]}, seconds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--skip", type=int, default=0, help="skip the first SKIP units (resume a run)")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    print("| unit | covers | first drop, eps = 1e-3: median / worst rel. error | eps = 1e-4 | "
          "`s2s check --activation` | wall |")
    print("|---|---|---|---|---|---|")
    for expr, covers in UNITS[args.skip:]:
        cells = []
        for eps in (1e-3, 1e-4):
            e = first_drop_errors(expr, eps, args.seeds)
            cells.append(f"{np.median(e):.2e} / {np.max(e):.2e} (n = {len(e)})" if e
                         else "no closed form (no zero unit)")
        if args.no_check:
            status, wall = "not run", ""
        else:
            statuses, seconds = check(expr)
            status = ", ".join(f"{k.split(':')[1]} {v}" for k, v in statuses.items())
            wall = f"{seconds:.0f} s"
        print(f"| `{expr}` | {covers} | {cells[0]} | {cells[1]} | {status} | {wall} |", flush=True)
    print(f"load average after: {os.getloadavg()}", file=sys.stderr)


if __name__ == "__main__":
    main()
