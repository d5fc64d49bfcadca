"""Cost of the per-seed analysis of ``s2s simulate`` against the integration, before and after the Morse cache.

Run by hand: ``python benchmarks/bench_analysis.py [--seeds 256] [--contention]`` (``--seeds 0 --contention``: only
the BLAS measurement).

The case is ``s2s simulate linear-fc --singular-values 5,4,3,2,1 --width 50 --init-scale 1e-6 --seeds 256``
(n = 500 parameters per seed), written out with :mod:`numerics` so that the benchmark does not depend on the CLI.
One batched integration of all seeds is timed, then each seed's analysis (what ``s2s simulate`` reports per seed:
staircase with drop times refined on the dense output, itinerary with the numeric Morse index, effective width at
≤ 400 points) is run in three ways on the same integration result, taking turns seed by seed (the variant that
goes first alternates) so that a burst of load from elsewhere hits all of them alike:

(a) ``before``: the analysis as it was — one dense-output replay per drop and per plateau
    (:func:`numerics.refine_crossing`, :func:`numerics.interpolate` with one time), and at every plateau of every
    seed a central-difference Hessian of all 500 parameters and its full spectrum (``eigvalsh``) at the default
    BLAS thread count; θ is read at the plateau times of the current staircase, as (b) reads it;
(b) ``after``: batched replays (:func:`numerics.staircase_from_result`, :func:`numerics.itinerary`), one Hessian
    per distinct saddle across the seeds (:class:`numerics.MorseCache`), each from the rotated 11-unit network
    (:mod:`numerics.unit_rotation`, docs/theory.md §3.4: a 110 × 110 Hessian), no λ_min
    (``min_eigenvalue=False``), all under :func:`numerics.blas_threads` (1);
(b') ``after+λmin``: as (b) but keeping λ_min, so that the report is that of (a) except for the caching fields.

Per phase (staircase, itinerary, effective width) the seconds summed over the seeds are printed, with the ratio to
the integration, and the results of (b) and (b') are compared with (a): equal labels, Morse indices, widths and
level/drop times to round-off, or the script exits 1.

``--contention`` adds the measurement behind :func:`numerics.blas_threads`: ``eigvalsh`` and the inertia count of
a 500 × 500 Hessian of this problem, with and without the one-thread cap, while a child process keeps both cores
busy with 2000 × 2000 matrix products (the child is started and stopped by this script).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import subprocess
import sys
import time

import numpy as np

import numerics as N
from numerics.complexity import complexity_along
from numerics.inertia import morse_from_spectrum
from numerics.itinerary import HESS_ATOL, HESS_RTOL, zero_loss

S = (5.0, 4.0, 3.0, 2.0, 1.0)
WIDTH, EPS, WIDTH_POINTS = 50, 1e-6, 400
VARIANTS = ("before", "after", "after+λmin")
PHASES = ("staircase", "itinerary", "effective_width")
HOG = "import numpy as np; a = np.random.rand(2000, 2000)\nwhile True: a @ a"


def problem(seeds: int):
    arch = N.build_architecture("linear-fc", d_in=len(S), d_out=len(S), width=WIDTH)
    task = N.whitened(list(S))
    c = N.target_scale(arch, task)
    # the defaults of s2s simulate (proofs_check/simulate_cmd.py): horizon and convergence threshold
    t_max = 1.5 * (2.0 / c) * max(-math.log(EPS), 1.0) + 25.0 / c
    gtol = min(N.integrate.DEFAULT_GTOL, 1e-3 * EPS)
    return arch, task, N.init_params(arch, EPS, seed=0, n_seeds=seeds), t_max, gtol


def interpolate_before(fun, res, b, t: float) -> np.ndarray:
    """θ(t) as the analysis read it before: the replayed interpolant of the step containing t, also at a time where
    θ is stored, and a DOP853 re-integration for a step of the stiff solver (numerics.integrate.step_interpolant)."""
    from numerics.integrate.dense import step_interpolant

    m = res[b]
    j = min(max(int(np.searchsorted(m.t, t, side="right")) - 1, 0), m.t.size - 2)
    return step_interpolant(fun, res, b, j)(t)


def analyse_before(arch, task, res, b, fun, times):
    """The per-seed analysis as it was: one replay per drop and per plateau, a full spectrum per plateau.

    θ is read at ``times``, the plateau times of the current staircase (the old staircase placed them slightly
    elsewhere, and at the short ``modes{1,2,3}`` plateau the index depends on where: 141 or 95)."""
    t0 = time.perf_counter()
    m = res[b]
    sc = N.detect_staircase(m.t, m.loss, dloss=-m.grad_norm**2,
                            crossing=lambda level: N.refine_crossing(fun, res, b, level))
    t1 = time.perf_counter()
    g_peak = float(np.max(m.grad_norm))
    scale = zero_loss(arch, task)
    visits = []
    for tk in times:
        th = interpolate_before(fun, res, b, float(tk))
        info = N.describe_point(arch, task, th, level_scale=scale, hessian_index=False)
        if info.grad_norm <= 0.25 * g_peak or info.grad_norm == 0.0:
            tol_scale = N.complexity(arch, th[None], task).thresholds.scale
            lam = np.linalg.eigvalsh(N.hessian(arch, task, th))
            index = morse_from_spectrum(lam, rtol=HESS_RTOL, atol=HESS_ATOL * tol_scale).index
            visits.append(dataclasses.replace(info, morse_index=index, min_eigenvalue=float(lam[0])))
    t2 = time.perf_counter()
    tr = complexity_along(arch, res, task, member=b, max_points=WIDTH_POINTS)
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2), (sc, visits, tr)


def analyse_after(arch, task, res, b, fun, cache, min_eigenvalue):
    """The per-seed analysis with batched replays, the Morse cache, inertia counts and pinned BLAS."""
    with N.blas_threads(1):
        t0 = time.perf_counter()
        sc = N.staircase_from_result(res, b, fun=fun)
        t1 = time.perf_counter()
        visits = N.itinerary(arch, task, res, b, staircase=sc, morse_cache=cache, min_eigenvalue=min_eigenvalue,
                             source=b)
        t2 = time.perf_counter()
        tr = complexity_along(arch, res, task, member=b, max_points=WIDTH_POINTS)
        t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2), (sc, [v.info for v in visits], tr)


def compare(ref, other) -> dict[str, float]:
    """Worst relative differences of levels and drop times; raises AssertionError on any discrete difference."""
    sa, va, ta = ref
    sb, vb, tb = other
    assert [v.label for v in va] == [v.label for v in vb], "labels differ"
    assert [v.morse_index for v in va] == [v.morse_index for v in vb], "Morse indices differ"
    assert [v.effective_width for v in va] == [v.effective_width for v in vb], "widths differ"
    assert np.array_equal(ta.effective_width, tb.effective_width), "effective-width traces differ"

    def rel(x, y):  # a staircase count that differs (the old detector has no tie or merge rules) is counted apart
        x, y = np.asarray(x, float), np.asarray(y, float)
        if x.shape != y.shape:
            return 0.0
        return float(np.max(np.abs(x - y) / np.abs(x))) if x.size else 0.0

    loss_a, loss_b = np.array([v.loss for v in va]), np.array([v.loss for v in vb])
    return {"levels": rel(sa.levels, sb.levels), "drop_times": rel(sa.drop_times, sb.drop_times),
            "visit loss /L0": float(np.max(np.abs(loss_a - loss_b)) / sa.levels[0]) if loss_a.size else 0.0,
            "seeds with another drop count": float(len(sa.levels) != len(sb.levels))}


def plateau_hessian(arch, task):
    """The Hessian at the least settled plateau point of seed 0 (the one computed per seed: modes{1,2,3})."""
    _, _, theta0, t_max, gtol = problem(1)
    res = N.gradient_flow(lambda th: N.loss_and_grad(arch, task, th), theta0, t_max, gtol=gtol,
                          stiff_method="LSODA")
    visits = N.itinerary(arch, task, res, 0, hessian_index=False)
    v = max(visits[:-1], key=lambda v: v.info.grad_norm)
    return v.label, N.hessian(arch, task, v.theta)


def contention(arch, task, reps: int) -> tuple[dict[str, float], str]:
    """Median ms of eigvalsh and of the inertia count of a 500 × 500 Hessian, with/without the cap, under load."""
    label, H = plateau_hessian(arch, task)
    scale = N.target_scale(arch, task)
    calls = {"eigvalsh": lambda: np.linalg.eigvalsh(H),
             "morse_count": lambda: N.morse_count(H, rtol=1e-3, atol=0.05 * scale)}
    how = f"{label}, morse_count path {N.morse_count(H, rtol=1e-3, atol=0.05 * scale).method}"
    hog = subprocess.Popen([sys.executable, "-c", HOG])
    try:
        time.sleep(2.0)  # let the child's BLAS threads start
        out: dict[str, list[float]] = {}
        for r in range(reps):
            for name, f in calls.items():
                for cap in ((None, 1) if r % 2 else (1, None)):
                    with N.blas_threads(cap):
                        t0 = time.perf_counter()
                        f()
                        out.setdefault(f"{name} {'pinned' if cap else 'default'}", []).append(
                            time.perf_counter() - t0)
    finally:
        hog.terminate()
        hog.wait()
    return {k: 1e3 * float(np.median(v)) for k, v in out.items()}, how


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=256, help="seeds of the sweep (0: skip it)")
    ap.add_argument("--contention", action="store_true", help="also time eigvalsh/inertia under a BLAS load")
    ap.add_argument("--reps", type=int, default=9, help="--contention: repetitions per call (median)")
    args = ap.parse_args()
    if args.seeds < 0 or args.reps < 1:
        ap.error(f"--seeds={args.seeds}, --reps={args.reps}: need seeds >= 0 and reps >= 1")
    if args.seeds == 0:  # --seeds 0 --contention: the BLAS measurement alone
        arch, task, *_ = problem(1)
        if args.contention:
            print_contention(arch, task, args.reps)
        return 0
    arch, task, theta0, t_max, gtol = problem(args.seeds)

    def fun(th):
        return N.loss_and_grad(arch, task, th)

    t0 = time.perf_counter()
    res = N.gradient_flow(fun, theta0, t_max, gtol=gtol, max_steps=200_000, stiff_method="LSODA")
    integration = time.perf_counter() - t0
    totals = {v: np.zeros(len(PHASES)) for v in VARIANTS}
    caches = {"after": N.MorseCache(), "after+λmin": N.MorseCache()}
    worst: dict[str, dict[str, float]] = {v: {} for v in VARIANTS[1:]}
    for b in range(len(res)):
        times = N.staircase_from_result(res, b, fun=fun).plateau_times  # where every variant reads θ
        order = VARIANTS if b % 2 == 0 else VARIANTS[::-1]
        outs = {}
        for v in order:
            if v == "before":
                dt, outs[v] = analyse_before(arch, task, res, b, fun, times)
            else:
                dt, outs[v] = analyse_after(arch, task, res, b, fun, caches[v], v == "after+λmin")
            totals[v] += dt
        for v in VARIANTS[1:]:
            for k, x in compare(outs["before"], outs[v]).items():
                worst[v][k] = worst[v].get(k, 0.0) + x if k.startswith("seeds") else max(worst[v].get(k, 0.0), x)
    print(f"linear-fc s={list(S)} width={WIDTH} eps={EPS:g}: {args.seeds} seeds, n = {arch.n_params}")
    print(f"integration (one batched run): {integration:.2f} s")
    print(f"{'variant':<12}" + "".join(f"{p:>17}" for p in PHASES) + f"{'analysis':>11}{'/ integr.':>11}")
    for v in VARIANTS:
        tot = float(totals[v].sum())
        print(f"{v:<12}" + "".join(f"{x:>16.2f}s" for x in totals[v]) + f"{tot:>10.2f}s{tot / integration:>11.2f}")
    before = float(totals["before"].sum())
    for v in VARIANTS[1:]:
        c = caches[v]
        print(f"{v}: analysis {before / float(totals[v].sum()):.1f}x faster than before; Morse cache: {len(c)} "
              f"keys; {c.hits} visits reused an index; Hessians computed: {c.misses} offered to the cache, "
              f"{c.unsettled} for unsettled visits; worst relative difference to before: "
              + ", ".join(f"{k} {x:.0f}" if k.startswith("seeds") else f"{k} {x:.1e}" for k, x in worst[v].items()))
    if args.contention:
        print_contention(arch, task, args.reps)
    return 0


def print_contention(arch, task, reps: int) -> None:
    ms, how = contention(arch, task, reps)
    print(f"n = {arch.n_params} Hessian at {how}, under a 2-core BLAS load (median of {reps}, ms): "
          + ", ".join(f"{k} {x:.1f}" for k, x in ms.items()))


if __name__ == "__main__":
    sys.exit(main())
