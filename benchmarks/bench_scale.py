"""Scale curves of the user-visible cost (run by hand: ``python benchmarks/bench_scale.py [--curves n,K,eps]``).

Every row times what a user waits for, ``s2s simulate ... --json`` as a subprocess (total wall of the process, and
the JSON's own per-phase ``timing``), next to the same work done the field's usual way and to the floor:

* **loop** -- a Python loop of ``scipy.integrate.solve_ivp(method="DOP853", rtol=1e-10, atol=1e-14)``, one seed at a
  time, on this file's lean NumPy gradient of the same flow, to the same final time as ours (timed on at most
  ``--loop-seeds`` seeds and scaled);
* **floor** -- our gradient evaluations × the time of one bare NumPy gradient call at the same batch size;
* **torch** -- the PyTorch SGD loop at equal drop-time accuracy is ``benchmarks/bench_torch.py``; it needs the
  ``bench`` extra and is reported there (this script says whether torch is importable).

Curves (linear-fc on the whitened task, spec §6.3):

* ``n``: D = H ∈ {10, 30, 100, 300}, singular values spread evenly over 5 … 1, ε = 1e-6, one seed;
* ``K``: the s = 5..1, H = 50, ε = 1e-6 problem with K ∈ {1, 10, 100, 1000, 10000} seeds;
* ``eps``: the same problem, one seed, ε ∈ {1e-2, 1e-4, 1e-6, 1e-8, 1e-10}.

Nothing is written but stdout. Say whether the machine was quiet when you record the numbers (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from numerics import build_architecture, init_params  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
# The same solve_ivp loop (rtol 1e-10, atol 1e-14, timed on a few seeds and scaled) and gradient timing as there.
from bench_stiff import bare, grad_seconds  # noqa: E402


def spread(d: int) -> np.ndarray:
    """d singular values spread evenly over 5 … 1 (one value 5 when d = 1)."""
    return np.linspace(5.0, 1.0, d) if d > 1 else np.array([5.0])


def lean_gradient(s: np.ndarray, h: int):
    """L = ½‖diag(s) − VᵀU‖² and its gradient for θ = [V (H, D), U (H, D)] (docs/conventions.md layout)."""
    sig = np.diag(s)
    do = di = s.size

    def fun(th: np.ndarray):
        b = th.shape[0]
        V = th[:, : h * do].reshape(b, h, do)
        U = th[:, h * do :].reshape(b, h, di)
        R = sig - np.matmul(V.transpose(0, 2, 1), U)
        gV = -np.matmul(U, R.transpose(0, 2, 1))
        gU = -np.matmul(V, R)
        return 0.5 * np.einsum("bij,bij->b", R, R), np.concatenate([gV.reshape(b, -1), gU.reshape(b, -1)], 1)

    return fun


def simulate(s: np.ndarray, h: int, eps: float, seeds: int, extra: list[str]) -> tuple[float, list[dict]]:
    """Run ``s2s simulate`` and return (process wall, the per-seed objects); accepts JSON lines or one document."""
    cmd = [sys.executable, "-m", "proofs_check", "simulate", "linear-fc", "--d-in", str(s.size), "--d-out",
           str(s.size), "--width", str(h), "--singular-values", ",".join(f"{v:.12g}" for v in s), "--init-scale",
           f"{eps:g}", "--seeds", str(seeds), "--json", *extra]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    wall = time.perf_counter() - t0
    if out.returncode not in (0, 3):
        raise SystemExit(f"s2s simulate failed ({out.returncode}): {out.stderr.strip()[-400:]}")
    text = out.stdout.strip()
    try:
        doc = json.loads(text)
        objs = doc if isinstance(doc, list) else [doc]
    except json.JSONDecodeError:
        objs = [json.loads(line) for line in text.splitlines() if line.strip()]
    return wall, objs


def row(label: str, s: np.ndarray, h: int, eps: float, seeds: int, args) -> None:
    wall, objs = simulate(s, h, eps, seeds, args.simulate_args.split())
    arch = build_architecture("linear-fc", d_in=s.size, d_out=s.size, width=h)
    seed_list = [int(o["seed"]) for o in objs]
    theta0 = np.stack([init_params(arch, eps, seed=sd)[0] for sd in seed_list])
    t_end = np.array([float(o["t_final"]) for o in objs])
    fun = lean_gradient(s, h)
    evals = sum(int(o["gradient_evaluations"]) for o in objs)
    batch = theta0[: min(seeds, 256)]
    per_member = grad_seconds(fun, batch, max(1, 200 // batch.shape[0])) / batch.shape[0]
    floor = evals * per_member
    timing = objs[0].get("timing", {})
    loop_wall, loop_evals = bare(fun, theta0, t_end, args.loop_seeds)
    print(f"| {label} | {arch.n_params} | {seeds} | {wall:.3g} | {timing.get('integration', float('nan')):.3g} | "
          f"{timing.get('analysis', float('nan')):.3g} | {seeds / wall:.3g} | {evals} | {floor:.3g} | "
          f"{wall / floor:.3g} | {loop_wall:.3g} ({loop_evals}) | {loop_wall / wall:.3g} | "
          f"{','.join(sorted({o['integrator'] for o in objs}))} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curves", default="n,K,eps", help="comma list of n, K, eps")
    ap.add_argument("--loop-seeds", type=int, default=8, help="seeds the solve_ivp loop is timed on (then scaled)")
    ap.add_argument("--max-seeds", type=int, default=10_000, help="largest K of the K curve")
    ap.add_argument("--max-d", type=int, default=300, help="largest D = H of the n curve")
    ap.add_argument("--simulate-args", default="", help="extra options for s2s simulate, e.g. '--analysis staircase'")
    args = ap.parse_args()
    try:
        import torch  # noqa: F401

        has_torch = True
    except ImportError:
        has_torch = False
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}; torch importable: {has_torch}; "
          f"simulate extra args: {args.simulate_args!r}")
    print("| case | n | K | total wall [s] | integration [s] | analysis [s] | traj/s | evals | floor [s] | "
          "wall/floor | solve_ivp loop [s] (evals) | loop/ours | integrator |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    curves = set(args.curves.split(","))
    if "n" in curves:
        for d in (10, 30, 100, 300):
            if d <= args.max_d:
                row(f"D = H = {d}", spread(d), d, 1e-6, 1, args)
    s5 = spread(5)
    if "K" in curves:
        for k in (1, 10, 100, 1000, 10_000):
            if k <= args.max_seeds:
                row(f"K = {k}", s5, 50, 1e-6, k, args)
    if "eps" in curves:
        for eps in (1e-2, 1e-4, 1e-6, 1e-8, 1e-10):
            row(f"eps = {eps:g}", s5, 50, eps, 1, args)


if __name__ == "__main__":
    main()
