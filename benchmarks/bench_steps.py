"""Is the explicit integration of the sweep case limited by accuracy or by stability?  Steps against rtol.

The sweep-throughput case (benchmarks/RESULTS.md): linear-fc, s = 5..1, H = 50, ε = 1e-6, integrated with RK45 and
no stiff switch to ``--t-end`` (default 12, past the last drop).  For each rtol the mean accepted and rejected steps
and gradients per seed are printed, with the accepted steps on the stretch [``--from``, ``--t-end``) (default
[3, 12): from the first drop on, where the learned modes' curvature λ_max ≈ 10 sets RK45's stability limit
3.3/λ_max ≈ 0.3).  Accuracy-limited steps scale like rtol^(1/5) (a 5th-order pair's error h^5 against rtol), so
their count on a stretch falls by 10^(1/5) ≈ 1.58 per decade of rtol; a count that stops falling is set by the
stability limit, and the last accuracy-limited count scaled by that law is what a method without the limit would
need.

Usage::

    .venv/bin/python benchmarks/bench_steps.py [--seeds 132] [--rtols 1e-5,1e-4,3e-4,1e-3,2e-3,4e-3,1e-2]

Writes nothing; prints one markdown table.
"""

from __future__ import annotations

import argparse

import numpy as np

import numerics as N

S = (5.0, 4.0, 3.0, 2.0, 1.0)
WIDTH, EPS = 50, 1e-6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=132)
    ap.add_argument("--rtols", default="1e-5,1e-4,3e-4,1e-3,2e-3,4e-3,1e-2")
    ap.add_argument("--from", dest="t_from", type=float, default=3.0)
    ap.add_argument("--t-end", type=float, default=12.0)
    args = ap.parse_args()
    arch = N.build_architecture("linear-fc", d_in=len(S), d_out=len(S), width=WIDTH)
    fun = N.gradient_function(arch, N.whitened(list(S)))
    theta0 = N.init_params(arch, EPS, seed=0, n_seeds=args.seeds)
    print(f"| rtol | accepted | rejected | gradients | accepted on [{args.t_from:g}, {args.t_end:g}) |")
    print("|---|---|---|---|---|")
    for rtol in (float(x) for x in args.rtols.split(",")):
        res = N.gradient_flow(fun, theta0, args.t_end, rtol=rtol, atol=1e-14, gtol=0, stiff_method=None,
                              explicit="RK45")
        stretch = np.mean([((m.t[:-1] >= args.t_from) & (m.t[:-1] < args.t_end)).sum() for m in res])
        print(f"| {rtol:g} | {np.mean([m.n_accepted for m in res]):.1f} | {np.mean([m.n_rejected for m in res]):.1f} "
              f"| {np.mean([m.gradient_evaluations for m in res]):.0f} | {stretch:.1f} |")


if __name__ == "__main__":
    main()
