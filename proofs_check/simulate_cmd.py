"""``s2s simulate``: gradient flow (or GD) of one architecture on one task, with plateaus, drops, itinerary and
effective width over time (spec §0.6, §0.7, §1.4, §4.3).

Usage::

    s2s simulate ARCH [task options] --width H --init-scale EPS --seed S [--seeds K] [--method flow|gd]
                 [--lr ETA] [--t-max T] [--json] [--plot FILE.png [--log-time]]

Task options and seed semantics are those of :mod:`proofs_check.problem` (shared with ``s2s predict``). With
``--seeds K`` the K members run as **one batched integration**; ``--json`` then prints a list of K objects.

Default horizon (``--t-max`` omitted): long enough for the slowest predicted escape, from the task's smallest
target strength c (:func:`numerics.complexity.target_scale`) and ε (spec §6.4, §6.7, §6.8, §6.9):

* escape logarithmic in ε (φ linear in u at lowest order: linear-fc, linear-conv, diagonal-linear, attn-m, relu-fc,
  tanh-fc): t_max = 1.5 · (2/c) · ln(1/ε) + 25/c (twice the leading-order time ln(1/ε)/c of the last mode,
  × 1.5, plus the time for its residual, decaying like e^{−2ct}, to fall by ≈ e^{−50} to the convergence level);
  attn-m uses c = λ_min(Λ)², the rate of its slowest direction;
* power law (degenerate saddles, lowest order q = p + 1 ≥ 3 in θ: quadratic, xtanh-fc, attn-s, deep-linear,
  cubic): t_max = 40 / (c · ε^{q−2}) (the toy blow-up time 1/(c·v_0^{q−2}) with v_0 = ε, × 40); attn-s uses
  c = λ_min(Λ)² (spec §6.8: escape ∝ 1/(λ² v_0));
* dataset tasks: c is only the RMS of the labels, a crude rate (weak directions of the data escape later), so the
  horizon is 10× the above.

Runs stop earlier once converged (‖∇L‖ ≤ gtol·√L(θ₀) and |ΔL| ≤ ftol·L(θ₀), see
:func:`numerics.gradient_flow`); gtol = min(1e-10, 1e-3·ε^{q−1}) stays below the plateau gradient ≈ ε^{q−1} so
that the initial saddle is never mistaken for a minimum.

``--time-budget`` bounds the whole command, not only the integration: setup, integration, the per-seed analysis
(staircase, itinerary, effective width) and the output share one :class:`guards.Deadline`.  Seeds whose analysis
did not fit are reported with their integration results and ``"analysis": "skipped: ..."``.

Exit codes: 0 all members finished (converged or t_max); 3 some member diverged, hit NaN, or exhausted its
step/time/memory budget, or the analysis or ``--plot`` could not be finished (its ``status``, ``status_time`` and
``status_loss`` say where; the partial results are printed first); bad input raises :class:`guards.InputError`
(exit 2 in the CLI's main).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any

import numpy as np

import guards
import numerics
from numerics.complexity import complexity_along, target_scale
from numerics.itinerary import MAX_HESSIAN_PARAMS, itinerary

from .problem import (
    Problem,
    add_problem_arguments,
    build_problem,
    power_law_horizon,
    require_target_scale,
)

BAD_STATUSES = ("budget", "diverged", "nan", "step_too_small")
WIDTH_POINTS = 400  # effective-width samples per member in the JSON output


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` options (problem options from :func:`proofs_check.problem.add_problem_arguments`)."""
    add_problem_arguments(parser)
    parser.add_argument("--method", choices=["flow", "gd"], default="flow",
                        help="gradient flow (adaptive DOP853, default) or gradient descent (time = lr x steps)")
    parser.add_argument("--lr", type=float, default=None, help="learning rate of --method gd (required there)")
    parser.add_argument("--t-max", type=float, default=None,
                        help="final time (default: from the task scale and eps, see the module docstring)")
    parser.add_argument("--rtol", type=float, default=numerics.integrate.DEFAULT_RTOL, help="flow: DOP853 rtol")
    parser.add_argument("--atol", type=float, default=numerics.integrate.DEFAULT_ATOL, help="flow: DOP853 atol")
    parser.add_argument("--stiff-method", choices=["LSODA", "Radau", "BDF", "none"], default="LSODA",
                        help="flow: implicit solver once DOP853 is stability-limited (default LSODA: 3.4x faster "
                             "than Radau on benchmark (c), same drop times to 1e-9)")
    parser.add_argument("--max-steps", type=int, default=200_000,
                        help="budget: flow attempted steps / GD steps per member (status 'budget', exit 3)")
    parser.add_argument("--time-budget", type=float, default=300.0, metavar="SECONDS",
                        help="wall-clock budget of the integration (default 300; status 'budget', exit 3)")
    parser.add_argument("--no-hessian", action="store_true",
                        help="skip the numeric Morse index of the itinerary points (saves 2n gradients each)")
    parser.add_argument("--json", action="store_true", help="print one JSON object (a list with --seeds K > 1)")
    parser.add_argument("--plot", metavar="FILE.png", help="draw the loss staircase and the effective width")
    parser.add_argument("--log-time", action="store_true", help="--plot: logarithmic time axis")


# ------------------------------------------------------------------------------------------------ horizon


def _rate_scale(problem: Problem) -> float:
    arch, task = problem.arch, problem.task
    if arch.is_attention and isinstance(task, numerics.ICLTask):
        return float(np.linalg.eigvalsh(task.lam).min() ** 2)
    return target_scale(arch, task)


def default_t_max(problem: Problem) -> float:
    """Horizon long enough for the slowest predicted escape (module docstring)."""
    c, eps = _rate_scale(problem), problem.init_scale
    q = problem.arch.total_degree
    crude = 10.0 if isinstance(problem.task, numerics.Dataset | numerics.ICLDataset) else 1.0
    require_target_scale(problem, c)
    if q == 2:
        return crude * (1.5 * (2.0 / c) * max(-math.log(eps), 1.0) + 25.0 / c)
    return power_law_horizon(problem, c, crude * 40.0, q - 2, f"the default horizon 40/(c eps^{q - 2})")


def default_gtol(problem: Problem) -> float:
    """min(1e-10, 1e-3·ε^{q−1}): below the plateau gradient ≈ ε^{q−1} (module docstring)."""
    return min(numerics.integrate.DEFAULT_GTOL, 1e-3 * problem.init_scale ** (problem.arch.total_degree - 1))


# ------------------------------------------------------------------------------------------------ run


def _integrate(problem: Problem, args, t_max: float, deadline: guards.Deadline):
    arch, task = problem.arch, problem.task

    def fun(th: np.ndarray):
        return numerics.loss_and_grad(arch, task, th)

    gtol = default_gtol(problem)
    if args.method == "flow":
        stiff = None if args.stiff_method == "none" else args.stiff_method
        res = numerics.gradient_flow(fun, problem.theta0, t_max, rtol=args.rtol, atol=args.atol, gtol=gtol,
                                     max_steps=args.max_steps, time_budget_s=deadline.remaining(), stiff_method=stiff)
        return fun, res, [m.status for m in res]
    wanted = math.ceil(t_max / args.lr - 1e-9)
    n_steps = min(wanted, args.max_steps)
    record_every = max(1, n_steps // 20_000)
    save_every = max(1, n_steps // record_every // 2_000)
    res = numerics.gradient_descent(fun, problem.theta0, args.lr, n_steps=n_steps, record_every=record_every,
                                    save_every=save_every, gtol=gtol, time_budget_s=deadline.remaining())
    # Hitting the step cap before t_max is a budget stop, not a finished run.
    statuses = ["budget" if (m.status == "t_max" and n_steps < wanted) else m.status for m in res]
    return fun, res, statuses


def _member_report(problem: Problem, args, fun, res, b: int, status: str, t_max: float) -> dict[str, Any]:
    arch, task = problem.arch, problem.task
    m = res[b]
    out: dict[str, Any] = {
        "architecture": arch.label, "sizes": dict(arch.sizes), "task": problem.description,
        "convention": _convention(), "seed": problem.seeds[b], "init_scale": problem.init_scale,
        "method": "gradient_flow" if res.kind == "gradient_flow" else "gradient_descent",
        "integrator": m.method, "lr": args.lr if args.method == "gd" else None, "t_max": t_max,
        "status": status, "message": m.message if status == m.status else
        f"step budget --max-steps={args.max_steps} used before t_max", "status_time": m.status_time,
        "status_loss": m.status_loss, "t_final": m.t_final, "final_loss": m.loss_final,
        "gradient_evaluations": m.gradient_evaluations, "steps": m.n_accepted, "seconds": res.seconds,
    }
    try:
        sc = numerics.staircase_from_result(res, b, fun=fun if res.kind == "gradient_flow" else None)
        levels, drops, durations = sc.levels.tolist(), sc.drop_times.tolist(), sc.durations.tolist()
        # The --json contract: first = initial loss, last = final loss (a run without drops: both).
        levels = [float(m.loss[0]), *levels[1:-1], m.loss_final] if len(levels) > 1 else [float(m.loss[0]),
                                                                                          m.loss_final]
    except numerics.InputError:  # fewer than 3 recorded points (e.g. NaN at the first step)
        sc, levels, drops, durations = None, [float(m.loss[0]), m.loss_final], [], []
    out.update(plateau_levels=levels, drop_times=drops, plateau_durations=durations, n_drops=len(drops))
    visits = []
    if sc is not None:
        visits = itinerary(arch, task, res, b, staircase=sc, dense=res.kind == "gradient_flow",
                           hessian_index=not args.no_hessian, max_hessian_params=MAX_HESSIAN_PARAMS)
    out["itinerary"] = [v.to_dict() for v in visits]
    trace = complexity_along(arch, res, task, member=b, max_points=WIDTH_POINTS)
    out["effective_width"] = {"measure": trace.measure, "t": trace.t.tolist(),
                              "width": trace.effective_width.tolist(),
                              "changes": [list(c) for c in trace.changes()]}
    out["final_effective_width"] = int(trace.effective_width[-1])
    return out


def _convention() -> str:
    from .cli import CONVENTION

    return CONVENTION


def _validate(args) -> None:
    if args.t_max is not None and not (math.isfinite(args.t_max) and args.t_max > 0):
        raise guards.invalid("--t-max", args.t_max, "must be finite and > 0")
    guards.integer("--max-steps", args.max_steps, minimum=1)
    if not (math.isfinite(args.time_budget) and args.time_budget > 0):
        raise guards.invalid("--time-budget", args.time_budget, "must be a finite number of seconds > 0")
    for opt in ("rtol", "atol"):
        v = getattr(args, opt)
        if not (math.isfinite(v) and v >= 0) or (opt == "rtol" and v <= 0):
            raise guards.invalid("--" + opt, v, "must be finite and " + ("> 0" if opt == "rtol" else ">= 0"))
    if args.method == "gd":
        if args.lr is None:
            raise guards.invalid("--lr", None, "required with --method gd")
        if not (math.isfinite(args.lr) and args.lr > 0):
            raise guards.invalid("--lr", args.lr, "must be finite and > 0")
    elif args.lr is not None:
        raise guards.invalid("--lr", args.lr, "applies only with --method gd")
    if args.log_time and not args.plot:
        raise guards.invalid("--log-time", True, "applies only with --plot")
    if args.plot:
        check_png_target(args.plot)


def check_png_target(path: str) -> None:
    """A ``--plot`` target must be a .png in an existing, writable folder, and not an existing folder itself."""
    if not str(path).lower().endswith(".png"):
        raise guards.invalid("--plot", path, "must name a .png file")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise guards.invalid("--plot", path, "is a folder; name a .png file")
    if not os.path.isdir(folder):
        raise guards.invalid("--plot", path, f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise guards.invalid("--plot", path, "is not writable")


def _skipped_report(problem: Problem, args, res, b: int, status: str, t_max: float, why: str) -> dict[str, Any]:
    m = res[b]
    return {"architecture": problem.arch.label, "seed": problem.seeds[b], "init_scale": problem.init_scale,
            "integrator": m.method, "t_max": t_max, "status": status, "message": m.message,
            "status_time": m.status_time, "status_loss": m.status_loss, "t_final": m.t_final,
            "final_loss": m.loss_final, "gradient_evaluations": m.gradient_evaluations, "steps": m.n_accepted,
            "seconds": res.seconds,
            "analysis": f"skipped: {why}"}


def _timing(start: float, phases: dict[str, float], analysis: float, output: float) -> dict[str, float]:
    """Wall seconds per phase of the command (setup, integration, this seed's analysis, all seeds' analysis, output)
    and their total, so that a benchmark compares what the user waits for, not the integrator alone."""
    return {**{k: round(v, 4) for k, v in phases.items()}, "analysis_this_seed": round(analysis, 4),
            "output": round(output, 4), "total": round(time.perf_counter() - start, 4)}


def run(args) -> int:
    """Run ``s2s simulate`` for parsed ``args``; returns the exit code (0, or 3 for a failed member)."""
    start = time.perf_counter()
    _validate(args)
    deadline = guards.Deadline(args.time_budget, "--time-budget")
    problem = build_problem(args)
    t_max = float(args.t_max) if args.t_max is not None else default_t_max(problem)
    deadline.check("setup (building the task and the initial weights)")
    phases = {"setup": time.perf_counter() - start}
    mark = time.perf_counter()
    fun, res, statuses = _integrate(problem, args, t_max, deadline)
    phases["integration"] = time.perf_counter() - mark
    reports, stopped, per_seed = [], None, []
    mark = time.perf_counter()
    for b in range(len(res)):
        if stopped is None and deadline.expired():
            stopped = f"--time-budget={args.time_budget:g} s used before the analysis of seed {problem.seeds[b]}"
        seed_start = time.perf_counter()
        if stopped is not None:
            reports.append(_skipped_report(problem, args, res, b, statuses[b], t_max, stopped))
        else:
            reports.append(_member_report(problem, args, fun, res, b, statuses[b], t_max))
        per_seed.append(time.perf_counter() - seed_start)
    phases["analysis"] = time.perf_counter() - mark
    if args.json:
        from .cli import dumps

        # The output phase is timed on a first serialisation; the printed document then carries it.
        mark = time.perf_counter()
        dumps(reports)
        output = time.perf_counter() - mark
        for r, a in zip(reports, per_seed, strict=True):
            r["timing"] = _timing(start, phases, a, output)
        print(dumps(reports[0] if len(reports) == 1 else reports), flush=True)
    else:
        _print_text(problem, reports, deadline.elapsed())
    code = 3 if stopped is not None or any(s in BAD_STATUSES for s in statuses) else 0
    if stopped is not None:
        print(f"s2s simulate: stopped: {stopped}; the other seeds' integration results are printed", file=sys.stderr)
    if args.plot:
        try:
            plot_runs(reports, res, args.plot, log_time=args.log_time)
        except (OSError, ValueError, RuntimeError) as exc:
            print(f"s2s simulate: stopped: --plot={args.plot}: the results above are complete but the figure could "
                  f"not be written ({' '.join(str(exc).split())[:160]})", file=sys.stderr)
            code = 3
    return code


def _print_text(problem: Problem, reports: list[dict[str, Any]], seconds: float) -> None:
    a = problem.arch
    print(f"{a.name} {', '.join(f'{k}={v}' for k, v in a.sizes.items())}; {problem.description}; "
          f"eps = {problem.init_scale:g}; t_max = {reports[0]['t_max']:.6g}")
    for r in reports:
        print(f"seed {r['seed']}: {r['status']} at t = {r['t_final']:.6g} (loss {r['final_loss']:.6g}); "
              f"{r['gradient_evaluations']} gradient evaluations, {r['steps']} steps [{r['integrator']}]")
        if "analysis" in r:
            print(f"  analysis {r['analysis']}")
            continue
        if r["status"] in BAD_STATUSES:
            print(f"  !! {r['message']} (t = {r['status_time']:.6g}, loss = {r['status_loss']:.6g})")
        print("  plateau levels: " + ", ".join(f"{v:.6g}" for v in r["plateau_levels"]))
        print("  drop times:     " + ", ".join(f"{v:.6g}" for v in r["drop_times"]))
        w = r["effective_width"]
        print(f"  {w['measure']} over time: " + ", ".join(f"{int(c[1])} from t={c[0]:.4g}" for c in w["changes"]))
        for v in r["itinerary"]:
            idx = "-" if v["morse_index"] is None else v["morse_index"]
            print(f"  visit {v['index']}: {v['label']:<16} t={v['t']:<10.5g} loss={v['loss']:<10.5g} "
                  f"width={v['effective_width']} index={idx} |grad|={v['grad_norm']:.2e}"
                  + (" (degenerate)" if v["degenerate"] else ""))
    print(f"total {seconds:.2f} s")


def plot_runs(reports: list[dict[str, Any]], res, path: str, *, log_time: bool = False) -> None:
    """Two panels: the loss staircase (recorded loss, plateau levels dotted, drop times dashed) and the effective
    width over time, one colour per seed (matplotlib, Agg backend)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for b, r in enumerate(reports):
        c = colours[b % len(colours)]
        m = res[b]
        t, loss = np.asarray(m.t), np.asarray(m.loss)
        keep = t > 0 if log_time else np.ones(t.size, dtype=bool)
        ax1.plot(t[keep], loss[keep], color=c, lw=1.5, label=f"seed {r['seed']} ({r['status']})")
        for td in r["drop_times"]:
            if np.isfinite(td):
                ax1.axvline(td, color=c, ls="--", lw=0.7, alpha=0.6)
        if b == 0:
            for lv in r["plateau_levels"]:
                ax1.axhline(lv, color="0.5", ls=":", lw=0.8)
        w = r["effective_width"]
        tw, ww = np.asarray(w["t"]), np.asarray(w["width"])
        keep = tw > 0 if log_time else np.ones(tw.size, dtype=bool)
        ax2.step(tw[keep], ww[keep] + 0.04 * b, where="post", color=c, lw=1.5)
    r0 = reports[0]
    ax1.set_ylabel("loss L (1/2 E||y - f||^2)")
    ax1.set_title(f"{r0['architecture']}: {r0['task']}, eps = {r0['init_scale']:g} ({r0['method']})", fontsize=9)
    ax1.legend(fontsize=8, loc="upper right")
    ax2.set_ylabel(f"effective width ({r0['effective_width']['measure']})")
    ax2.set_xlabel("time t (gradient-flow units" + (", log scale)" if log_time else ")"))
    ax2.yaxis.get_major_locator().set_params(integer=True)
    if log_time:
        ax2.set_xscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
