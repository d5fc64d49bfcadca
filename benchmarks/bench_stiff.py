"""Stiff strategies of gradient_flow side by side (run by hand: ``python benchmarks/bench_stiff.py [--quick]``).

Cases (linear-fc on the whitened task, spec §6.3, gradient ``numerics.loss_and_grad``, default tolerances
rtol 1e-10 / atol 1e-14 / gtol 1e-10, running to convergence with t_max = 1e4):

* ``D = H ∈ {100, 200}``, ε = 1e-6, singular values spread evenly over 5 … 1 (benchmarks/bench_scale.py) and the
  stiffer s = D, D − 1, …, 1 (λ_max/λ_min ≈ 2D: DOP853 goes stiff long before the last drop);
* 256 seeds of s = 5..1, H = 50 (n = 500), ε = 1e-6, t_max = 40.

Every row: wall of :func:`numerics.gradient_flow` with one ``stiff_method`` ("none" = never switch), its gradient
evaluations, statuses and integrators, the median final time and the largest final loss; then a bare
``scipy.integrate.solve_ivp(method="DOP853", rtol=1e-10, atol=1e-14)`` to the final time of the ``auto`` run
(seed by seed in a loop for the batch, timed on ``--loop-seeds`` seeds and scaled), and the floor "evaluations ×
one bare gradient call (B = 1)". The dense strategies (Radau, BDF, LSODA) need an n×n Jacobian: they are skipped
above ``--dense-max-n`` parameters (n = 20 000 would be 3.2 GB) and printed as skipped. Each run has a wall budget
``--budget`` seconds (status "budget" when hit). Say whether the machine was quiet when recording the numbers.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numerics as N  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_quadratic import bare_eval_seconds  # noqa: E402

STRATEGIES = ("none", "LSODA", "Radau", "BDF", "krylov", "auto")
DENSE = ("LSODA", "Radau", "BDF")


def problem(s: np.ndarray, h: int, eps: float, seeds: int):
    d = s.size
    arch = N.build_architecture("linear-fc", d_in=d, d_out=d, width=h)
    task = N.whitened(s, d, d)

    def fun(th):
        return N.loss_and_grad(arch, task, th)

    return fun, N.init_params(arch, eps, seed=0, n_seeds=seeds)


def grad_seconds(fun, th: np.ndarray, reps: int = 20) -> float:
    """Best mean time of one ``fun(th)`` call (after a warm-up call), as bench_quadratic times its bare gradient."""
    fun(th)
    return bare_eval_seconds(fun, th, reps)


def bare(fun, theta0: np.ndarray, t_end: np.ndarray, loop_seeds: int) -> tuple[float, int]:
    k = min(loop_seeds, theta0.shape[0])

    def rhs(_t, y):
        return -fun(y[None, :])[1][0]

    t0 = time.perf_counter()
    nfev = 0
    for b in range(k):
        nfev += solve_ivp(rhs, (0.0, float(t_end[b])), theta0[b], method="DOP853", rtol=1e-10, atol=1e-14).nfev
    scale = theta0.shape[0] / k
    return (time.perf_counter() - t0) * scale, int(nfev * scale)


def case(label: str, s: np.ndarray, h: int, eps: float, seeds: int, t_max: float, args) -> None:
    fun, th0 = problem(s, h, eps, seeds)
    n = th0.shape[1]
    g1 = grad_seconds(fun, th0[:1])
    print(f"\n### {label}: n = {n}, B = {seeds}, one gradient (B = 1) {g1 * 1e6:.0f} us\n")
    print("| stiff_method | wall [s] | gradient evals | floor evals x grad [s] | statuses | integrators "
          "| median t_final | max final loss |")
    print("|---|---|---|---|---|---|---|---|")
    t_ref = None
    for name in args.strategies.split(","):
        if name in DENSE and n > args.dense_max_n:
            print(f"| {name} | skipped: dense {n}x{n} Jacobian ({8 * n * n / 1e9:.1f} GB) | | | | | | |")
            continue
        t0 = time.perf_counter()
        res = N.gradient_flow(fun, th0, t_max, stiff_method=None if name == "none" else name, save_every=None,
                              time_budget_s=args.budget)
        wall = time.perf_counter() - t0
        ev = res.gradient_evaluations
        methods = ", ".join(f"{k} x{v}" for k, v in sorted(_count(m.method for m in res).items()))
        print(f"| {name} | {wall:.2f} | {ev} | {ev * g1:.2f} | {res.message} | {methods} | "
              f"{np.median(res.t_final):.4g} | {res.loss_final.max():.2e} |", flush=True)
        if name == "auto" or t_ref is None:
            t_ref = res.t_final
    if not args.skip_bare and t_ref is not None:
        wall, ev = bare(fun, th0, t_ref, args.loop_seeds)
        scaled = "" if seeds <= args.loop_seeds else f" (timed on {args.loop_seeds} seeds, scaled)"
        print(f"| bare solve_ivp(DOP853) to the auto run's t_final{scaled} | {wall:.2f} | {ev} | {ev * g1:.2f} "
              "| | | | |", flush=True)


def _count(items) -> dict:
    out: dict = {}
    for x in items:
        out[x] = out.get(x, 0) + 1
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--strategies", default=",".join(STRATEGIES))
    p.add_argument("--sizes", default="100,200", help="D = H values of the single-seed cases")
    p.add_argument("--budget", type=float, default=120.0, help="wall budget per gradient_flow run [s]")
    p.add_argument("--dense-max-n", type=int, default=2000)
    p.add_argument("--loop-seeds", type=int, default=8)
    p.add_argument("--skip-bare", action="store_true")
    p.add_argument("--skip-seeds", action="store_true", help="skip the 256-seed case")
    args = p.parse_args()
    print(f"# bench_stiff: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    for d in (int(x) for x in args.sizes.split(",") if x):
        case(f"linear-fc D = H = {d}, s spread 5..1, eps 1e-6", np.linspace(5.0, 1.0, d), d, 1e-6, 1, 1e4, args)
        case(f"linear-fc D = H = {d}, s = {d}..1, eps 1e-6", np.arange(d, 0, -1.0), d, 1e-6, 1, 1e4, args)
    if not args.skip_seeds:
        case("linear-fc s = 5..1, H = 50, 256 seeds, eps 1e-6", np.array([5.0, 4, 3, 2, 1]), 50, 1e-6, 256, 40.0,
             args)


if __name__ == "__main__":
    main()
