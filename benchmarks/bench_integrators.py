"""Benchmark of numerics.integrate (run by hand: ``python benchmarks/bench_integrators.py [--loop-seeds N]``).

(a) Linear two-layer net, whitened task D = 5, s = (5, 4, 3, 2, 1), H = 50, ε = 1e-6 (spec §6.3, §7.2): wall time of
    one gradient flow that gets all five drop times to 0.1 %, against the floor "gradient evaluations × time of one
    bare NumPy gradient evaluation" (target ≤ 3× the floor). Reference drop times: rtol = 1e-13 run, crossings
    refined on the dense output.
(b) 256 seeds batched in one run vs a Python loop of ``scipy.integrate.solve_ivp(method="DOP853", rtol=1e-10,
    atol=1e-14)`` runs (target ≥ 30× faster). The loop is timed on ``--loop-seeds`` seeds (default 256) and
    scaled to 256.

The gradient is this file's own batched NumPy linear net (L = ½‖Σ − VᵀU‖², θ = [V (H, D), U (H, D)] row-major as
in docs/conventions.md); ``--objective`` uses ``numerics.objective.loss_and_grad`` with ``linear-fc`` instead.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
from scipy.integrate import solve_ivp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numerics.integrate import gradient_flow, refine_crossing  # noqa: E402

S = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
D, H, EPS, T_MAX = 5, 50, 1e-6, 20.0
LEVELS = np.array([0.5 * (S[k:] ** 2).sum() for k in range(D + 1)])  # spec §6.5
MIDS = 0.5 * (LEVELS[:-1] + LEVELS[1:])


def linear_net(sig: np.ndarray, h: int):
    do, di = sig.shape

    def fun(th):
        b = th.shape[0]
        V = th[:, : h * do].reshape(b, h, do)
        U = th[:, h * do :].reshape(b, h, di)
        R = sig - np.matmul(V.transpose(0, 2, 1), U)  # (b, do, di)
        gV = -np.matmul(U, R.transpose(0, 2, 1))
        gU = -np.matmul(V, R)
        return 0.5 * np.einsum("bij,bij->b", R, R), np.concatenate([gV.reshape(b, -1), gU.reshape(b, -1)], 1)

    return fun


def objective_fun():
    from numerics import objective, tasks
    from numerics.architectures import build_architecture

    arch = build_architecture("linear-fc", d_in=D, d_out=D, width=H)
    task = tasks.whitened(S)
    return lambda th: objective.loss_and_grad(arch, task, th)


def theta0(n_seeds: int, start: int = 0) -> np.ndarray:
    n = 2 * H * D
    return np.stack([np.random.default_rng(start + k).standard_normal(n) * EPS for k in range(n_seeds)])


def time_call(f, reps: int) -> float:
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(reps):
            f()
        best = min(best, (time.perf_counter() - t0) / reps)
    return best


def drop_times(fun, res, member: int = 0) -> np.ndarray:
    return np.array([refine_crossing(fun, res, member, m) for m in MIDS])


def part_a(fun) -> None:
    print("(a) single trajectory: D=5, s=(5,4,3,2,1), H=50, eps=1e-6, t_max=20, whitened, population loss")
    th = theta0(1)
    ref = drop_times(fun, gradient_flow(fun, th, T_MAX, rtol=1e-13, atol=1e-16, gtol=0))
    print("    reference drop times (rtol 1e-13):", np.array2string(ref, precision=6))
    t_eval = time_call(lambda: fun(th), 2000)
    print(f"    one bare gradient evaluation (B=1): {t_eval * 1e6:.2f} us")
    print(f"    {'rtol':>7} {'steps':>6} {'evals':>6} {'wall [ms]':>10} {'floor [ms]':>10} {'ratio':>6} "
          f"{'max rel drop err':>17}")
    for rtol in (1e-6, 1e-8, 1e-10, 1e-12):
        res = gradient_flow(fun, th, T_MAX, rtol=rtol, atol=1e-14, gtol=0, save_every=None)
        wall = min(gradient_flow(fun, th, T_MAX, rtol=rtol, atol=1e-14, gtol=0, save_every=None).seconds
                   for _ in range(3))
        m = res[0]
        res_dense = gradient_flow(fun, th, T_MAX, rtol=rtol, atol=1e-14, gtol=0, save_every=1)
        err = np.max(np.abs(drop_times(fun, res_dense) - ref) / ref)
        floor = m.gradient_evaluations * t_eval
        print(f"    {rtol:7.0e} {m.n_accepted:6d} {m.gradient_evaluations:6d} {wall * 1e3:10.2f} "
              f"{floor * 1e3:10.2f} {wall / floor:6.2f} {err:17.2e}")


def part_b(fun, loop_seeds: int) -> None:
    B = 256
    print(f"(b) {B} seeds batched vs a loop of solve_ivp(DOP853, rtol=1e-10, atol=1e-14), t_max = {T_MAX:g}")
    th = theta0(B)
    t0 = time.perf_counter()
    res = gradient_flow(fun, th, T_MAX, gtol=0, save_every=None)
    t_batch = time.perf_counter() - t0
    steps = np.array([m.n_accepted for m in res])
    t_fun = time_call(lambda: fun(th), 20)
    calls = max(m.gradient_evaluations for m in res)
    print(f"    batched: {t_batch:.2f} s, accepted steps per member {steps.min()}..{steps.max()}, "
          f"{res.gradient_evaluations} member-evaluations, statuses {res.message}")
    print(f"    one gradient call on all {B} members: {t_fun * 1e3:.2f} ms ({t_fun / B * 1e6:.2f} us/member; "
          f"B=1: {time_call(lambda: fun(th[:1]), 2000) * 1e6:.2f} us); {calls} calls = {calls * t_fun:.2f} s "
          f"floor -> integrator overhead {(t_batch - calls * t_fun) / res.gradient_evaluations * 1e6:.2f} "
          "us per member-evaluation")

    def rhs(_t, y):
        return -fun(y[None, :])[1][0]

    t0 = time.perf_counter()
    worst = 0.0
    for k in range(loop_seeds):
        sol = solve_ivp(rhs, (0.0, T_MAX), th[k], method="DOP853", rtol=1e-10, atol=1e-14)
        dev = np.max(np.abs(sol.y[:, -1] - res[k].theta_final)) / np.max(np.abs(sol.y[:, -1]))
        worst = max(worst, dev)
    t_loop = (time.perf_counter() - t0) * B / loop_seeds
    print(f"    loop of solve_ivp: {t_loop:.2f} s for {B} seeds (timed on {loop_seeds}); speed-up "
          f"{t_loop / t_batch:.1f}x; max relative difference of final theta {worst:.1e}")
    per = [drop_times(fun, gradient_flow(fun, th[k : k + 1], T_MAX, gtol=0)) for k in range(2)]
    print("    drop times seeds 0, 1:", [np.array2string(p, precision=4) for p in per])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loop-seeds", type=int, default=256)
    ap.add_argument("--objective", action="store_true", help="use numerics.objective.loss_and_grad")
    ap.add_argument("--skip-b", action="store_true")
    args = ap.parse_args()
    fun = objective_fun() if args.objective else linear_net(np.diag(S), H)
    print(f"gradient: {'numerics.objective.loss_and_grad(linear-fc)' if args.objective else 'self-contained'}")
    part_a(fun)
    if not args.skip_b:
        part_b(fun, args.loop_seeds)


if __name__ == "__main__":
    main()
