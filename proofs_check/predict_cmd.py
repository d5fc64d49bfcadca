"""``s2s predict ARCH``: the predicted staircase (every plateau level and drop time, per seed) from the closed forms
of spec §6, with the same problem options and seed semantics as ``s2s simulate`` (:mod:`proofs_check.problem`).

``--json`` prints JSON lines, one object per seed, with the field names of ``s2s simulate``'s objects
(``architecture``, ``sizes``, ``width``, ``task``, ``convention``, ``seed``, ``init_scale``, ``status``,
``plateau_levels``, ``drop_times``, ``timing``) and the prediction's own: ``drop_kinds``, ``formulas`` (LaTeX),
``assumptions``, ``violations``, ``notes``, ``extra`` (this seed's share) and, with ``--compare`` (a batched DOP853
gradient flow), ``comparison``: predicted vs simulated levels and drop times with relative errors. Seeds the time
budget left out are objects with ``status: "skipped"``; every object then carries ``stopped``.

``--time-budget`` bounds the whole command: seeds are predicted in chunks (1, 2, 4, … up to :data:`CHUNK`) under one
:class:`guards.Deadline`; when it passes, the seeds predicted so far are printed (``"stopped"`` says why) and the
exit code is 3.  ``--compare`` runs in what is left of the budget.

Exit codes: 0 success; 2 bad input; 3 the time budget ran out (partial results printed).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from typing import Any

import numpy as np

import guards
import numerics

from .problem import add_problem_arguments, build_problem


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Options of ``s2s predict``: the shared problem options plus ``--json``, ``--compare``, ``--t-max``,
    ``--max-drops``, ``--time-budget``."""
    add_problem_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print JSON lines: one object per seed")
    parser.add_argument("--compare", action="store_true", help="also simulate and print relative errors")
    parser.add_argument("--t-max", type=float, default=None,
                        help="horizon of reduced-dynamics predictions (architectures without a closed form) and "
                             "--compare simulation end time (default: 1.3 x the last predicted drop)")
    parser.add_argument("--max-drops", type=int, default=None, metavar="K",
                        help="predict at most K drops per seed (default: all); the reduced dynamics stop at the "
                             "next escape onset, which makes slow later escapes (q >= 3 units) cheap to skip")
    parser.add_argument("--time-budget", type=float, default=300.0, metavar="SECONDS",
                        help="wall-clock bound of the whole command (default 300); partial results, exit 3")


CHUNK = 64  # most seeds per prediction call: the granularity of the time budget


def compare(problem, pred, t_max: float | None = None, deadline: guards.Deadline | None = None
            ) -> list[dict[str, Any]]:
    """Simulate every seed (one batched gradient_flow) and pair predicted with simulated levels and drop times.

    Simulated drop k = first crossing of the midpoint of the *predicted* levels k−1, k (spec §0.7), refined on the
    dense output; simulated level k = the loss where |dL/dt| is smallest between simulated drops k and k+1 (the last
    one: up to the end of that seed's reduced curve, if any).
    """
    # simulated as the narrower network it may exactly be: the same losses, gradient norms and drop times
    arch, theta0, _ = problem.narrowed()
    fun = numerics.gradient_function(arch, problem.task)
    finite = [x for d in pred.drop_times for x in d if np.isfinite(x)]
    if t_max is None and "reduced_horizon" in pred.extra:
        t_max = pred.extra["reduced_horizon"]  # the reduced curve's last level is read at its horizon
    if t_max is None:
        t_max = 1.3 * max(finite) + 5.0 if finite else 100.0 / problem.init_scale
    from .predict import RELU_STEP, stepped_like_gd

    budget = None if deadline is None or deadline.seconds is None else deadline.remaining()
    if stepped_like_gd(problem.arch):  # gradient descent at the step the reduced prediction uses, every step kept
        res = numerics.gradient_descent(fun, theta0, RELU_STEP, t_max=t_max, record_every=1, save_every=20,
                                        time_budget_s=budget)
    else:
        res = numerics.gradient_flow(fun, theta0, t_max, gtol=0, stiff_method="LSODA", time_budget_s=budget)
    # one simulation runs to the latest seed's horizon; each seed's last level is read before its own curve ends
    n = len(problem.seeds)
    reduced, told = pred.extra.get("reduced", []), pred.extra.get("level_ends", [])
    ends = [r["t_end"] for r in reduced] if len(reduced) == n else [math.inf] * n
    ends = [min(a, b) for a, b in zip(ends, told if len(told) == n else ends, strict=True)]
    local = pred.extra.get("local_law", [])
    rows = []
    for b in range(len(problem.seeds)):
        m = res[b]
        if m.t.size < 3:
            rows.append({"seed": problem.seeds[b], "status": m.status, "levels": [], "drop_times": [],
                         "error": f"the simulation stopped after {m.t.size} recorded point(s): {m.message}"})
            continue
        levels = np.asarray(pred.plateau_levels[b], float)
        if levels.size > 1 and np.all(np.diff(levels) < 0):
            st = numerics.staircase_from_result(res, b, fun=fun, levels=levels)
            sim_drops = st.drop_times
        else:
            sim_drops = np.full(max(levels.size - 1, 0), np.nan)
        if levels.size == 1:  # nothing predicted beyond L(θ_0): report the detected staircase instead
            det = numerics.staircase_from_result(res, b, fun=fun)
            rows.append({"seed": problem.seeds[b], "status": m.status,
                         "levels": _pairs(levels, [m.loss[0]], scale=abs(levels[0]) or 1.0),
                         "drop_times": [],
                         "detected": {"levels": [float(x) for x in det.levels],
                                      "drop_times": [float(x) for x in det.drop_times]}})
            continue
        bounds = [0.0, *[x for x in sim_drops], min(m.t[-1], ends[b])]
        rate = m.grad_norm**2
        sim_levels = []
        for k in range(levels.size):
            lo, hi = bounds[k], bounds[k + 1] if k + 1 < len(bounds) else m.t[-1]
            if not (np.isfinite(lo) and np.isfinite(hi)):
                sim_levels.append(math.nan)
                continue
            sel = (m.t >= lo) & (m.t <= hi)
            sim_levels.append(float(m.loss[sel][np.argmin(rate[sel])]) if sel.any() else math.nan)
        row = {"seed": problem.seeds[b], "status": m.status,
               "levels": _pairs(levels, sim_levels, scale=abs(levels[0]) or 1.0),
               "drop_times": _pairs(pred.drop_times[b], sim_drops)}
        if len(local) == len(problem.seeds) and len(sim_drops):
            row["local_law"] = _pairs([local[b]], sim_drops[:1])[0]  # the first drop, nothing integrated
        rows.append(row)
    return rows


def _pairs(pred_vals, sim_vals, scale: float | None = None) -> list[dict[str, float]]:
    """Pairs with relative errors |p − s|/|s| (drop times) or |p − s|/scale (levels: scale = L_0, since the last
    level is often 0)."""
    out = []
    for p, s in zip(pred_vals, sim_vals, strict=False):
        p, s = float(p), float(s)
        den = scale if scale is not None else abs(s)
        rel = abs(p - s) / den if np.isfinite(p) and np.isfinite(s) and den != 0 else math.nan
        out.append({"predicted": p, "simulated": s, "rel_error": rel})
    return out


def predict_within(problem, t_max: float | None, deadline: guards.Deadline, max_drops: int | None = None):
    """Predict growing seed chunks until done or the deadline passes; (prediction, reason or None)."""
    from .predict import merge, predict

    pred, stopped, i, size = None, None, 0, 1
    while i < len(problem.seeds):
        part = dataclasses.replace(problem, theta0=problem.theta0[i:i + size], seeds=problem.seeds[i:i + size])
        i, size = i + size, min(2 * size, CHUNK)
        try:
            with deadline.alarm(f"the prediction of seeds {part.seeds[0]}-{part.seeds[-1]}"):
                got = predict(part, max_drops=max_drops, t_max=t_max)
        except guards.BoundExceeded as exc:
            stopped = str(exc)
            break
        pred = got if pred is None else merge(pred, got)
    return pred, stopped


def _records(problem, pred, out: dict[str, Any], stopped: str | None, timing: dict[str, float]) -> list[dict]:
    """One object per asked seed (the JSON-lines shape shared with ``s2s simulate``): the predicted seeds with their
    comparison row, the seeds the time budget left out with ``status: "skipped"``."""
    from .cli import CONVENTION

    arch = problem.arch
    identity = {"sizes": dict(arch.sizes), "width": arch.sizes.get("width"), "convention": CONVENTION}
    records = []
    for b, rec in enumerate(pred.seed_records()):
        rec = {**rec, **identity, "status": "predicted"}
        if "comparison" in out:
            rec["comparison"] = out["comparison"][b]
        records.append(rec)
    for seed in problem.seeds[len(pred.seeds):]:
        records.append({"architecture": pred.architecture, "task": pred.description, "seed": seed,
                        "init_scale": pred.init_scale, **identity, "status": "skipped", "message": stopped})
    for rec in records:
        if stopped is not None:
            rec["stopped"] = out["stopped"]
        rec["timing"] = timing
    return records


def run(args) -> int:
    """Run ``s2s predict``; returns the exit code (2 bad input, 3 time budget exhausted)."""
    from .cli import CONVENTION, dumps

    start = time.perf_counter()
    if not (math.isfinite(args.time_budget) and args.time_budget > 0):
        raise guards.invalid("--time-budget", args.time_budget, "must be a finite number of seconds > 0")
    if args.t_max is not None and not (math.isfinite(args.t_max) and args.t_max > 0):
        raise guards.invalid("--t-max", args.t_max, "must be finite and > 0")
    if args.max_drops is not None:
        guards.integer("--max-drops", args.max_drops, minimum=1)
    deadline = guards.Deadline(args.time_budget, "--time-budget")
    problem = build_problem(args)
    timing = {"setup": time.perf_counter() - start}
    mark = time.perf_counter()
    pred, stopped = predict_within(problem, args.t_max, deadline, args.max_drops)
    timing["prediction"] = time.perf_counter() - mark
    if pred is None:
        raise guards.BoundExceeded(f"{stopped}; no seed was predicted")
    out: dict[str, Any] = {}  # the comparison rows and the stop, beside the prediction's own per-seed records
    mark = time.perf_counter()
    if args.compare and stopped is None:
        done = dataclasses.replace(problem, theta0=problem.theta0[:len(pred.seeds)], seeds=pred.seeds)
        try:
            with deadline.alarm("the --compare simulation"):
                out["comparison"] = compare(done, pred, args.t_max, deadline)
        except guards.BoundExceeded as exc:
            stopped = str(exc)
    timing["comparison"] = time.perf_counter() - mark
    if stopped is not None:
        out["stopped"] = {"reason": stopped, "exit_code": 3, "seeds_predicted": len(pred.seeds),
                          "seeds_asked": len(problem.seeds)}
        print(f"s2s predict: stopped: {stopped}; printing the {len(pred.seeds)} seed(s) predicted"
              + (" without the comparison" if args.compare else ""), file=sys.stderr)
    code = 3 if stopped is not None else 0
    if args.json:
        timing["total"] = time.perf_counter() - start  # up to the output, which is one print per seed
        timing = {k: round(v, 4) for k, v in timing.items()}
        for rec in _records(problem, pred, out, stopped, timing):
            print(dumps(rec, indent=None), flush=True)
        return code
    print(f"s2s predict {pred.architecture}: {pred.description}; eps = {pred.init_scale:g}, seeds {list(pred.seeds)}")
    print(f"convention: {CONVENTION}")
    for b, seed in enumerate(pred.seeds):
        print(f"seed {seed}:")
        print("  plateau levels: " + ", ".join(f"{x:.6g}" for x in pred.plateau_levels[b]))
        print("  drop times:     " + ", ".join(f"{x:.6g} ({k})" for x, k in zip(pred.drop_times[b], pred.kinds[b],
                                                                             strict=False)))
        if "comparison" in out:
            row = out["comparison"][b]
            print(f"  simulated ({row['status']}):")
            if "error" in row:
                print(f"    no comparison: {row['error']}")
                continue
            print(f"    {'':8}{'predicted':>14}{'simulated':>14}{'rel. error':>12}")
            if "detected" in row:
                det = row["detected"]
                print("    no closed form: detected levels " + ", ".join(f"{x:.6g}" for x in det["levels"])
                      + "; detected drops " + ", ".join(f"{x:.6g}" for x in det["drop_times"]))
            print("    (level errors are relative to L_0)")
            for name in ("levels", "drop_times"):
                for k, r in enumerate(row[name]):
                    tag = f"L_{k}" if name == "levels" else f"t_{k + 1}"
                    print(f"    {tag:8}{r['predicted']:>14.8g}{r['simulated']:>14.8g}{r['rel_error']:>12.3e}")
            if "local_law" in row:
                r = row["local_law"]
                print(f"    {'t_1 law':8}{r['predicted']:>14.8g}{r['simulated']:>14.8g}{r['rel_error']:>12.3e}"
                      "  (local law at the origin saddle, nothing integrated)")
    print("formulas:")
    for k, v in pred.formulas.items():
        print(f"  {k}: {v}")
    print("assumptions: " + "; ".join(pred.assumptions))
    for v in pred.violations:
        print(f"VIOLATED ASSUMPTION: {v}")
    for n in pred.notes:
        print(f"note: {n}")
    return code
