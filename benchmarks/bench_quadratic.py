"""Benchmark (c): quadratic net to convergence (run by hand: ``python benchmarks/bench_quadratic.py [--skip-plain]``).

Quadratic net f = Σ_i v_i (u_i·x)², x ~ N(0, I_4), y = xᵀAx with A = diag(2, 1, −1, −2), H = 8, ε = 1e-3, seed 0,
closed-form population loss (spec §2.6, §7.2). Ours: :func:`numerics.gradient_flow` (batched DOP853, rtol 1e-10,
atol 1e-14, stopping when converged; the approach to each learned unit is stiff, so after the first drop the member
switches to an implicit ``solve_ivp`` method — Radau, the default, and LSODA are timed). Plain:
``scipy.integrate.solve_ivp(method="DOP853", rtol=1e-10, atol=1e-14)`` to t = 40/ε with the same gradient.
Both report the plateau levels (:func:`numerics.detect_staircase`, spec §0.7) and drop times; target: ours < 5 s
with the same plateau levels (closed forms 10, 22/3, 2, 1.2, 0, spec §6.5).
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

EPS, H = 1e-3, 8
A = np.diag([2.0, 1.0, -1.0, -2.0])
LEVELS = [10.0, 22.0 / 3.0, 2.0, 1.2, 0.0]  # spec §6.5


def problem():
    arch = N.build_architecture("quadratic", d_in=4, width=H)
    task = N.QuadraticGaussianTask(A)

    def fun(th):
        return N.loss_and_grad(arch, task, th)

    return arch, fun, N.init_params(arch, EPS, seed=0)


def bare_eval_seconds(fun, th, reps: int = 2000) -> float:
    best = np.inf
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(reps):
            fun(th)
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def ours(fun, th, stiff_method: str) -> None:
    t0 = time.perf_counter()
    res = N.gradient_flow(fun, th, 40.0 / EPS, stiff_method=stiff_method)
    sc = N.staircase_from_result(res, 0, fun=fun)
    wall = time.perf_counter() - t0
    m = res[0]
    print(f"  ours ({m.method}): {wall:.2f} s (integration {res.seconds:.2f} s), status {m.status} at "
          f"t = {m.t_final:.6g}, {m.gradient_evaluations} gradient evaluations, {m.n_accepted} steps, "
          f"stiff switch at t = {m.stiff_switch_time}")
    print("    plateau levels:", np.array2string(sc.levels, precision=6))
    print("    drop times:    ", np.array2string(sc.drop_times, precision=6))


def plain(fun, th, budget_s: float | None) -> None:
    n_eval = [0]
    t_start = time.perf_counter()

    def rhs(_t, y):
        n_eval[0] += 1
        if budget_s is not None and n_eval[0] % 10_000 == 0 and time.perf_counter() - t_start > budget_s:
            raise TimeoutError
        return -fun(y[None, :])[1][0]

    try:
        sol = solve_ivp(rhs, (0.0, 40.0 / EPS), th[0], method="DOP853", rtol=1e-10, atol=1e-14)
    except TimeoutError:
        print(f"  plain solve_ivp(DOP853): stopped by the {budget_s:g} s budget after {n_eval[0]} evaluations")
        return
    wall = time.perf_counter() - t_start
    ys = sol.y.T
    loss = np.concatenate([fun(ys[i : i + 4096])[0] for i in range(0, len(ys), 4096)])
    sc = N.detect_staircase(sol.t, loss)
    print(f"  plain solve_ivp(DOP853, rtol=1e-10, atol=1e-14) to t = {40 / EPS:g}: {wall:.1f} s, "
          f"{sol.nfev} gradient evaluations, {sol.t.size - 1} steps, status {sol.status}")
    print("    plateau levels:", np.array2string(sc.levels, precision=6))
    print("    drop times:    ", np.array2string(sc.drop_times, precision=6))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--skip-plain", action="store_true", help="skip the slow plain solve_ivp run")
    ap.add_argument("--plain-budget", type=float, default=None, help="stop the plain run after this many seconds")
    args = ap.parse_args()
    arch, fun, th = problem()
    print(f"(c) quadratic net, A = diag(2, 1, -1, -2), H = {H}, eps = {EPS:g}, seed 0; closed-form levels {LEVELS}")
    print(f"  one bare gradient evaluation (B = 1): {bare_eval_seconds(fun, th) * 1e6:.1f} us")
    for method in ("Radau", "LSODA"):
        ours(fun, th, method)
    if not args.skip_plain:
        plain(fun, th, args.plain_budget)


if __name__ == "__main__":
    main()
