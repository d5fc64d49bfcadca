"""Claims C6–C16, C18, C19, C22–C23, "C24-trend", C25, C30–C32 (spec §8): each closed form of spec §6
(:mod:`theory.closed_forms`) against the simulation engine (:mod:`numerics`), composed by
:mod:`proofs_check.predict`.  Tolerances follow from the order of the neglected terms, stated per claim.
"""

from __future__ import annotations

import argparse
import math
from functools import cache

import numpy as np
from scipy.integrate import solve_ivp
from scipy.linalg import expm
from scipy.optimize import brentq

import numerics
from theory.closed_forms import attention, deep_chain, diagonal, linear_modes, riccati, saxe, theorem4

from ..predict import predict
from ..problem import add_problem_arguments, build_problem
from ..registry import REGISTRY, Measurement, Verdict, WrongTheory

_PARSER = argparse.ArgumentParser(add_help=False)
add_problem_arguments(_PARSER)


def problem(*argv: str):
    """A :class:`~proofs_check.problem.Problem` from ``s2s predict``-style options."""
    return build_problem(_PARSER.parse_args(list(argv)))


def _fun(prob):
    return lambda th: numerics.loss_and_grad(prob.arch, prob.task, th)


def _simulate(prob, t_max: float, theta0=None, **kw):
    th = prob.theta0 if theta0 is None else theta0
    return numerics.gradient_flow(_fun(prob), th, t_max, gtol=0, **kw)


def _sim_drops(prob, res, levels_per_member):
    fun = _fun(prob)
    return [numerics.staircase_from_result(res, b, fun=fun, levels=lv).drop_times
            for b, lv in enumerate(levels_per_member)]


def _rel(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.abs(a - b) / np.abs(b)


def _r(x, n=6):
    if isinstance(x, list | tuple | np.ndarray):
        return [_r(v, n) for v in x]
    x = float(x)
    return x if not math.isfinite(x) else float(f"{x:.{n}g}")


def _claim(id, statement, source, tolerance, justification, profile="default", judge=None, wrong=()):
    return REGISTRY.claim(id, statement=statement, source=source, tolerance=tolerance, justification=justification,
                          profile=profile, judge=judge, wrong=wrong)


# ------------------------------------------------------------------------------------------------ C6
@_claim("C6", "Theorem 4: slope of log||(I-P)theta|| vs log eps at ||P theta|| = 1 equals 1 - s_{r+1}/s_1",
        "spec §5.1, §8 C6 [paper, derived ✓]",
        "abs. error < 0.01 for the small-eps slope (fit over eps in [1e-10, 1e-6]), 5 draws; the spec's whole-range "
        "fit [1e-10, 1e-2] is reported",
        "the remainder is eps^{1/3}(c_2 + c_3 eps^{(s_2-s_3)/s_1} + ...), so a log-log fit is biased by "
        "O(eps^{1/3}) = 0.01 at eps = 1e-6 but ~0.2 at 1e-2: over the spec's whole range the bias is draw-dependent "
        "and can exceed 0.01 (a finding, see measured whole_range_slopes)")
def _c6() -> Measurement:
    s = np.array([3.0, 2.0, 1.0, 0.5])
    nv, nu = 4, 6
    Syz = np.zeros((nv, nu))
    Syz[np.arange(4), np.arange(4)] = s
    A = np.block([[np.zeros((nv, nv)), Syz], [Syz.T, np.zeros((nu, nu))]])
    top = np.concatenate([np.eye(nv)[:, 0], np.eye(nu)[:, 0]]) / math.sqrt(2)
    P = np.outer(top, top)
    eps = np.logspace(-10, -2, 9)
    small, whole = [], []
    for seed in range(5):
        g = np.random.default_rng(seed).standard_normal(nv + nu)
        rem = []
        for e in eps:
            th0 = e * g
            t1 = math.log(1 / abs(top @ th0)) / s[0]  # ||P θ(t)|| = |top·θ0| e^{s_1 t} = 1
            th = expm(t1 * A) @ th0
            rem.append(np.linalg.norm(th - P @ th))
        lr, le = np.log(rem), np.log(eps)
        whole.append(float(np.polyfit(le, lr, 1)[0]))
        small.append(float(np.polyfit(le[:5], lr[:5], 1)[0]))
    pred = theorem4.exponent(s)
    err = max(abs(x - pred) for x in small)
    return Measurement(passed=err < 0.01 and all(theorem4.symbolic_checks().values()),
                       measured={"predicted": _r(pred), "small_eps_slopes": _r(small, 5),
                                 "whole_range_slopes": _r(whole, 5), "abs_error_small_eps": _r(err, 3),
                                 "abs_error_whole_range": _r(max(abs(x - pred) for x in whole), 3)})


# ------------------------------------------------------------------------------------------------ linear nets
@cache
def _linear_run(s: str, width: int, eps: float, seeds: int, seed0: int = 0):
    prob = problem("linear-fc", "--singular-values", s, "--width", str(width), "--init-scale", repr(eps),
                   "--seeds", str(seeds), "--seed", str(seed0))
    pred = predict(prob)
    t_end = 1.2 * max(x for d in pred.drop_times for x in d) + 2.0
    res = _simulate(prob, t_end)
    return prob, pred, res


def _mode_crossings(prob, res, member, s, frac=0.5):
    """Times at which a_k(t) = W_kk(t) (whitened, Σ_yx = diag(s)) first reaches frac·s_k, on the dense output."""
    fun = _fun(prob)
    m = res[member]
    out = []
    for k, sk in enumerate(s):
        W = [prob.arch.effective_matrix(th[None])[0][k, k] for th in m.theta]
        W = np.array(W)
        above = np.flatnonzero(W >= frac * sk)
        if above.size == 0:
            out.append(math.nan)
            continue
        j = above[0]
        a, b = m.t_saved[j - 1], m.t_saved[j]

        def f(tt, k=k, sk=sk):
            th, _ = numerics.interpolate(fun, res, member, [tt])
            return prob.arch.effective_matrix(th)[0][k, k] - frac * sk

        out.append(brentq(f, a, b, xtol=1e-13))
    return np.array(out)


# --- C8 / C32: mode drop times of the linear net. The per-mode budget is the neighbour mode's strength at the
# crossing: while mode k crosses (t ≈ t_k), mode k+1 has grown to a_{k+1}/s_{k+1} ~ (u/s) e^{2 s_{k+1} t_k}
# ~ eps^{2(1 - s_{k+1}/s_k)} of its final strength, and the single-mode sigmoid neglects its coupling to first
# order in that strength (docs/theory.md §6.3); the last mode has no later neighbour, so its budget is the
# integrator's floor (rtol 1e-10 on the flow, crossings refined to 1e-13; 1e-8 relative leaves 100× for the dense
# output's interpolation).
LINEAR_FLOOR = 1e-8


def neighbour_budget(s, eps: float) -> list[float]:
    """Relative drop-time budget of each mode of a whitened linear net: eps^{2(1 − s_{k+1}/s_k)} + LINEAR_FLOOR.

    >>> [f"{b:.1e}" for b in neighbour_budget([5.0, 4.0, 1.0], 1e-6)]
    ['4.0e-03', '1.1e-08', '1.0e-08']
    """
    s = [float(x) for x in s]
    return [(eps ** (2 * (1 - s[k + 1] / s[k])) if k + 1 < len(s) else 0.0) + LINEAR_FLOOR for k in range(len(s))]


def _runs(measured: dict) -> dict[str, dict]:
    return {k: v for k, v in measured.items() if isinstance(v, dict) and "simulated" in v}


def _complete(name: str, predicted, simulated, n: int) -> str | None:
    """Why a run's predicted/simulated lists cannot be compared (None: n finite values each)."""
    if len(predicted) != n or len(simulated) != n:
        return f"{name}: {len(predicted)} predicted and {len(simulated)} simulated times for {n} modes"
    bad = [k + 1 for k in range(n) if not (math.isfinite(predicted[k]) and math.isfinite(simulated[k]))]
    return f"{name}: mode(s) {bad} have no finite predicted or simulated time" if bad else None


def judge_c8(measured: dict) -> Verdict:
    """Every mode's half-strength time within its neighbour budget (:func:`neighbour_budget`), for every run."""
    budget = measured["budget"]
    worst, where = 0.0, ""
    runs = _runs(measured)
    if not runs:
        return Verdict(False, "no run was measured")
    for name, row in runs.items():
        why = _complete(name, row["predicted"], row["simulated"], len(budget))
        if why:
            return Verdict(False, why)
        for k, (p, q) in enumerate(zip(row["predicted"], row["simulated"], strict=True)):
            ratio = abs(p - q) / abs(q) / budget[k]
            if not ratio <= worst:
                worst, where = ratio, f"{name} mode {k + 1}"
    return Verdict(worst <= 1.0, f"worst error / budget = {worst:.3g} ({where})")


def _scaled_predictions(key: str):
    def apply(measured: dict, d: float) -> dict:
        out = dict(measured)
        for name, row in _runs(measured).items():
            out[name] = dict(row, **{key: [x * (1 + d) for x in row[key]]})
        return out
    return apply


def _projection_off(measured: dict, d: float) -> dict:
    """t_half(s, u) = ln(s/u − 1)/(2s) with every u_k × (1 + d) (a wrong mode projection)."""
    s = measured["s"]
    out = dict(measured)
    for name, row in _runs(measured).items():
        u = [sk / (1 + math.exp(2 * sk * t)) for sk, t in zip(s, row["predicted"], strict=True)]
        out[name] = dict(row, predicted=[math.log(sk / (uk * (1 + d)) - 1) / (2 * sk)
                                         for sk, uk in zip(s, u, strict=True)])
    return out


@_claim("C8", "Mode-k half-strength time t_k = (1/2s_k) ln(s_k/u_k - 1), u_k = |Pi_{k-1} p^(k)|^2/4 (linear, "
        "whitened), per seed", "spec §6.3, §8 C8 [derived ✓]",
        "per mode, rel. error < eps^{2(1 - s_{k+1}/s_k)} + 1e-8 (eps = 1e-6, s = 5..1, H = 5 and 8, 2 seeds each; "
        "every mode of every run must have a finite predicted and simulated time)",
        "neglected: O(u_k/s_k) = O(eps^2) init terms and, to first order, the next mode's strength at the crossing, "
        "eps^{2(1 - s_{k+1}/s_k)} (4e-3, 1e-3, 1e-4, 1e-6 for s = 5..1); the last mode is bounded by the integrator",
        judge=lambda m: judge_c8(m),
        wrong=(WrongTheory("drop times x (1 + d)", _scaled_predictions("predicted")),
               WrongTheory("mode projection u_k x (1 + d)", _projection_off)))
def _c8() -> dict:
    s = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    rows = {}
    for H in (5, 8):
        prob, pred, res = _linear_run("5,4,3,2,1", H, 1e-6, 2)
        for b in range(2):
            sim = _mode_crossings(prob, res, b, s)
            V, U = prob.arch.unpack(prob.theta0)["V"][b], prob.arch.unpack(prob.theta0)["U"][b]
            u_t = linear_modes.effective_u0(linear_modes.mode_projections(V, U, np.eye(5), np.eye(5)))
            pr = linear_modes.t_half(s, u_t)
            rows[f"H{H}_seed{b}"] = {"predicted": [float(x) for x in pr], "simulated": [float(x) for x in sim],
                                     "rel_error": _r(_rel(pr, sim), 3)}
    return {"s": s.tolist(), "eps": 1e-6, "budget": _r(neighbour_budget(s, 1e-6), 3), **rows}


C32_TOL = 3e-3  # absolute, spec §8 C32


def judge_c32(measured: dict) -> Verdict:
    """Symbolic identities all true, and every single-mode drop time within C32_TOL of the simulated one."""
    failed = [k for k, ok in measured["symbolic"].items() if not ok]
    if failed:
        return Verdict(False, f"symbolic identities fail: {failed}")
    n = len(measured["s"])
    worst, where = 0.0, ""
    runs = _runs(measured)
    if not runs:
        return Verdict(False, "no run was measured")
    for name, row in runs.items():
        why = _complete(name, row["single_mode"], row["simulated"], n)
        if why:
            return Verdict(False, why)
        for k, (p, q) in enumerate(zip(row["single_mode"], row["simulated"], strict=True)):
            if not abs(p - q) <= worst:
                worst, where = abs(p - q), f"{name} mode {k + 1}"
    return Verdict(worst < C32_TOL, f"worst |t_pred - t_sim| = {worst:.3g} ({where}), tolerance {C32_TOL:g}")


def _shifted_single(measured: dict, d: float) -> dict:
    out = dict(measured)
    for name, row in _runs(measured).items():
        out[name] = dict(row, single_mode=[x + d for x in row["single_mode"]])
    return out


def _constant_off(measured: dict, d: float) -> dict:
    """t_drop = t_half − c/(2 s_k) with c = ln(1 + √2) × (1 + d) (a wrong constant)."""
    c = math.log(1 + math.sqrt(2))
    out = dict(measured)
    for name, row in _runs(measured).items():
        out[name] = dict(row, single_mode=[x - d * c / (2 * sk)
                                           for x, sk in zip(row["single_mode"], measured["s"], strict=True)])
    return out


@_claim("C32", "Drop time = t_half - ln(1+sqrt2)/(2s) exactly for one Saxe mode; in the full linear net with "
        "projected u_k the single-mode prediction is within 3e-3 of the simulated midpoint crossing",
        "spec §0.7, §8 C32 [derived ✓]", "symbolic identities exact; |t_pred - t_sim| < 3e-3 absolute "
        "(eps = 1e-6, s = 5..1, H = 5, 8, 2 seeds; every mode of every run finite)",
        "the single-mode formula neglects the neighbouring modes' progress during the crossing (first order in the "
        "neighbour's strength, largest for s_2/s_1 = 0.8); spec tolerance 3e-3 absolute",
        judge=lambda m: judge_c32(m),
        wrong=(WrongTheory("single-mode drop times + d", _shifted_single, unit="absolute time"),
               WrongTheory("constant ln(1 + sqrt 2) x (1 + d)", _constant_off)))
def _c32() -> dict:
    sym = saxe.symbolic_checks()
    rows = {}
    for H in (5, 8):
        prob, pred, res = _linear_run("5,4,3,2,1", H, 1e-6, 2)
        sims = _sim_drops(prob, res, pred.plateau_levels)
        for b in range(2):
            single = np.array(pred.extra["single_mode_drop_times"][b])
            rows[f"H{H}_seed{b}"] = {"single_mode": [float(x) for x in single],
                                     "superposed": [float(x) for x in pred.drop_times[b]],
                                     "simulated": [float(x) for x in sims[b]]}
    sup = [abs(p - q) for row in rows.values() for p, q in zip(row["superposed"], row["simulated"], strict=False)]
    return {"symbolic": sym, "s": [5.0, 4.0, 3.0, 2.0, 1.0],
            "worst_abs_error_superposed": _r(max(sup, default=math.nan), 3), **rows}


@_claim("C9", "Leading-order law: dt_k/d ln(1/eps) -> 1/s_k (linear, whitened)", "spec §6.4, §8 C9 [derived ✓]",
        "slope rel. error < 2% over eps = 1e-4, 1e-6, 1e-8 (same normalised draw)",
        "t_k = (1/s_k) ln(1/eps) + O(1): with the same normalised draw the O(1) term is eps-independent up to "
        "O(eps^2), so the slope is exact to O(u_k/s_k); 2% (spec) leaves room for the neighbour-mode term")
def _c9() -> Measurement:
    prob = problem("linear-fc", "--singular-values", "3,2,1", "--width", "4", "--init-scale", "1")
    eps = np.array([1e-4, 1e-6, 1e-8])
    theta0 = prob.theta0[0][None, :] * eps[:, None]
    s = np.array([3.0, 2.0, 1.0])
    levels = linear_modes.plateau_levels(s, 14.0)
    res = _simulate(prob, 1.3 * math.log(1e8) / 1.0 + 5, theta0=theta0)
    sims = np.array(_sim_drops(prob, res, [levels] * 3))
    slopes = np.polyfit(np.log(1 / eps), sims, 1)[0]
    rel = _rel(slopes, 1 / s)
    return Measurement(passed=bool(rel.max() < 0.02), measured={"slopes": _r(slopes), "predicted": _r(1 / s),
                                                                 "rel_error": _r(rel, 3), "drop_times": _r(sims)})


C10_TOL = 1e-3  # of L_0, spec §8 C10


def judge_c10(measured: dict) -> Verdict:
    """Every seed's simulated levels: as many as predicted, finite, each within C10_TOL·L_0 of the prediction."""
    pred, L0 = measured["predicted"], measured["L0"]
    runs = _runs(measured)
    if not runs:
        return Verdict(False, "no run was measured")
    worst, where = 0.0, ""
    for name, row in runs.items():
        why = _complete(name, pred, row["simulated"], len(pred))
        if why:
            return Verdict(False, why.replace("times for", "levels for").replace("modes", "levels"))
        for k, (p, q) in enumerate(zip(pred, row["simulated"], strict=True)):
            if not abs(p - q) / L0 <= worst:
                worst, where = abs(p - q) / L0, f"{name} L_{k}"
    return Verdict(worst < C10_TOL, f"worst |L_pred - L_sim| / L_0 = {worst:.3g} ({where}), tolerance {C10_TOL:g}")


def _levels_shifted(measured: dict, d: float) -> dict:
    """Every level after L_0 moved by d·L_0 (a wrong level formula)."""
    L0 = measured["L0"]
    return dict(measured, predicted=[measured["predicted"][0]] + [x + d * L0 for x in measured["predicted"][1:]])


@_claim("C10", "Plateau levels L_k = ½ tr Σ_yy − ½ Σ_{j≤k} s_j² (linear, whitened)", "spec §6.5, §8 C10 [derived ✓]",
        "abs. error < 1e-3 L_0 (eps = 1e-8, s = (4, 2, 1), H = 4, 2 seeds)",
        "the level read at min |dL/dt| deviates by the next mode's growth, O(eps^{2(1 - s_{k+1}/s_k)}) = O(1e-8) "
        "here, plus the previous mode's tail; both far below 1e-3 L_0 (spec tolerance; the measured error is "
        "~3e-7 L_0, so the resolving power reported is far coarser than the theory's accuracy)",
        judge=lambda m: judge_c10(m), wrong=(WrongTheory("levels + d L_0", _levels_shifted, unit="of L_0"),))
def _c10() -> dict:
    prob, pred, res = _linear_run("4,2,1", 4, 1e-8, 2)
    from ..predict_cmd import compare

    rows = compare(prob, pred, t_max=res[0].t[-1])
    return {"L0": float(pred.plateau_levels[0][0]), "predicted": [float(x) for x in pred.plateau_levels[0]],
            **{f"seed{row['seed']}": {"simulated": [float(r["simulated"]) for r in row["levels"]]} for row in rows}}


C11_SEEDS = 160  # per width: the standard error of the t_1 difference (~0.014) must resolve digamma vs ln(H'/H)


def judge_c11(measured: dict) -> Verdict:
    """The mean t_1 difference within 3 SE of the digamma prediction, and so is the Δ_2 difference; every seed's
    drops finite (a seed without its drops would bias the means)."""
    if measured["finite_seeds"] != measured["seeds"]:
        return Verdict(False, f"{measured['finite_seeds']} of {measured['seeds']} seeds have both drops")
    d1 = abs(measured["mean_t1_difference"] - measured["predicted"])
    d2 = abs(measured["delta2_difference"] - measured["delta2_predicted"])
    se1, se2 = measured["standard_error"], measured["delta2_standard_error"]
    if not (math.isfinite(d1) and math.isfinite(d2) and se1 > 0 and se2 > 0):
        return Verdict(False, "a mean or standard error is not finite")
    return Verdict(d1 < 3 * se1 and d2 < 3 * se2, f"t_1 difference off by {d1 / se1:.2f} SE, Δ_2 difference off "
                                                   f"by {d2 / se2:.2f} SE (limit 3)")


def _c11_pred_off(measured: dict, d: float) -> dict:
    return dict(measured, predicted=measured["predicted"] + d)


@_claim("C11", "Width barely matters (linear): E t_1(H) - E t_1(H') = (1/2s_1)[psi(H'/2) - psi(H/2)] "
        "~ (1/2s_1) ln(H'/H); Δ_2 independent of H to O(1)", "spec §6.6, §8 C11 [derived ✓]",
        f"mean differences of t_1 and of Δ_2 within 3 standard errors of the digamma predictions ({C11_SEEDS} seeds "
        "per width, H = 2 and 16); the large-H form (1/2s_1) ln(H'/H) is 0.086 away, ~6 SE, and must be refused",
        "Monte-Carlo: the per-seed t_1 has spread ~1/(2s_1) sqrt(psi'(H/2)); the formula neglects O(eps^2). With 24 "
        "seeds (SE 0.036) the digamma prediction and its large-H limit were both within 3 SE",
        judge=lambda m: judge_c11(m),
        wrong=(WrongTheory("predicted t_1 difference + d", _c11_pred_off, unit="absolute time"),))
def _c11() -> dict:
    s = np.array([3.0, 2.0, 1.0])
    levels = linear_modes.plateau_levels(s, 14.0)
    n = C11_SEEDS
    t1, d2 = {}, {}
    for H in (2, 16):
        prob = problem("linear-fc", "--singular-values", "3,2,1", "--width", str(H), "--init-scale", "1e-6",
                       "--seeds", str(n), "--seed", "100")
        res = _simulate(prob, 2 * math.log(1e6) / 2.0 + 4)
        sims = np.array([list(x[:2]) + [math.nan] * (2 - len(x[:2])) for x in _sim_drops(prob, res, [levels[:3]] * n)])
        t1[H], d2[H] = sims[:, 0], sims[:, 1] - sims[:, 0]
    finite = int(min(np.isfinite(t1[H] + d2[H]).sum() for H in t1))  # seeds with both drops, at the worse width
    diff = float(t1[2].mean() - t1[16].mean())
    se = float(np.sqrt(t1[2].var(ddof=1) / n + t1[16].var(ddof=1) / n))
    dd2 = float(d2[2].mean() - d2[16].mean())
    se2 = float(np.sqrt(d2[2].var(ddof=1) / n + d2[16].var(ddof=1) / n))
    # E Δ_2(H) = E t_2 − E t_1 with E t_k = (1/2s_k)[ln(s_k/ε²) − ψ((H − k + 1)/2)]
    pred2 = ((linear_modes.expected_t_half(2.0, 1e-6, 2, 2) - linear_modes.expected_t_half(3.0, 1e-6, 2, 1))
             - (linear_modes.expected_t_half(2.0, 1e-6, 16, 2) - linear_modes.expected_t_half(3.0, 1e-6, 16, 1)))
    return {"seeds": n, "finite_seeds": finite, "mean_t1_difference": diff,
            "predicted": float(linear_modes.width_shift(3.0, 2, 16)), "standard_error": se,
            "log_ratio_form": math.log(8) / 6, "delta2_difference": dd2, "delta2_predicted": float(pred2),
            "delta2_standard_error": se2}


@_claim("C7", "Rank multiplicity: s_1 = s_2 gives one transition from rank 0 to 2 (no intermediate plateau); both "
        "strengths cross s/2 within O(1)", "spec §5.1, §8 C7 [paper]",
        "detected drops = 2 for s = (2, 2, 1); the crossing-time gap equals the eps-independent (1/2s) ln(g_1/g_2) "
        "(block Gram eigenvalues) within 5% and is < 1/4 of the escape time ln(1/eps)/s",
        "the block's strengths are independent Saxe sigmoids started at the Gram eigenvalues; neglected O(eps^2) "
        "terms (eps = 1e-6); 'within O(1)' = eps-independent, versus the O(ln 1/eps) escape")
def _c7() -> Measurement:
    prob, pred, res = _linear_run("2,2,1", 5, 1e-6, 1)
    st = numerics.staircase_from_result(res, 0)
    fun = _fun(prob)
    m = res[0]

    def sv(tt, j):
        th, _ = numerics.interpolate(fun, res, 0, [tt])
        return np.linalg.svd(prob.arch.effective_matrix(th)[0][:2, :2], compute_uv=False)[j] - 1.0

    times = []
    for j in (0, 1):
        vals = np.array([np.linalg.svd(prob.arch.effective_matrix(th[None])[0][:2, :2], compute_uv=False)[j]
                         for th in m.theta])
        i = int(np.flatnonzero(vals >= 1.0)[0])
        times.append(brentq(lambda tt, j=j: sv(tt, j), m.t_saved[i - 1], m.t_saved[i], xtol=1e-12))
    V, U = prob.arch.unpack(prob.theta0)["V"][0], prob.arch.unpack(prob.theta0)["U"][0]
    u_t = linear_modes.effective_u0(linear_modes.mode_projections(V, U, np.eye(3), np.eye(3)), [[0, 1], [2]])
    gap_pred = float(np.log(u_t[0] / u_t[1]) / (2 * 2.0))
    gap = times[1] - times[0]
    ok = st.n_drops == 2 and gap < 0.25 * math.log(1e6) / 2.0 and abs(gap - gap_pred) < 0.05 * gap_pred
    return Measurement(passed=bool(ok), measured={"detected_drops": st.n_drops, "crossing_times": _r(times),
                                                  "gap": _r(gap), "predicted_gap": _r(gap_pred)})


@_claim("C12", "Equal singular values remove the intermediate plateaus (linear): s = (2, 2, 2) gives one drop",
        "spec §6.6, §8 C12 [paper]", "detected drops = 1 (2 seeds)",
        "the modes' sigmoids are offset by (1/2s) ln of Gram-eigenvalue ratios, O(1), below the detector's "
        "ten-fold rate dip")
def _c12() -> Measurement:
    prob, pred, res = _linear_run("2,2,2", 5, 1e-6, 2)
    n = [numerics.staircase_from_result(res, b).n_drops for b in range(2)]
    return Measurement(passed=all(x == 1 for x in n), measured={"detected_drops": n,
                                                                "predicted_levels": _r(pred.plateau_levels[0])})


# ------------------------------------------------------------------------------------------------ one mode
@_claim("C13", "Saxe sigmoid solves a' = 2a(s - ca); time from u_0 to u_f = (1/2s) ln[u_f(s-cu_0)/(u_0(s-cu_f))]",
        "spec §6.1, §8 C13 [classical, derived ✓]", "symbolic identities exact; ODE integration rel. 1e-8",
        "DOP853 at rtol 1e-12: the integration error is ~1e-11 relative")
def _c13() -> Measurement:
    sym = saxe.symbolic_checks()
    worst = 0.0
    for s_v, c_v, u0 in ((3.0, 1.0, 1e-8), (1.5, 1.3, 1e-4), (0.7, 2.0, 1e-3)):
        tt = np.linspace(0, 3 * math.log(s_v / u0) / s_v, 50)
        r = solve_ivp(lambda _t, a, s_v=s_v, c_v=c_v: 2 * a * (s_v - c_v * a), [0, tt[-1]], [u0], t_eval=tt,
                      method="DOP853",
                      rtol=1e-12, atol=1e-300)
        worst = max(worst, float(np.max(_rel(saxe.sigmoid(tt, s_v, u0, c_v), r.y[0]))))
        uf = 0.9 * s_v / c_v
        tb = saxe.time_between(u0, uf, s_v, c_v)
        worst = max(worst, abs(float(saxe.sigmoid(tb, s_v, u0, c_v)) - uf) / uf)
    return Measurement(passed=all(sym.values()) and worst < 1e-8, measured={"symbolic": sym,
                                                                           "worst_rel_error": _r(worst, 3)})


@_claim("C14", "Unbalanced one-mode Riccati solution matches the reduced ODE", "spec §6.2, §8 C14 [derived ✓]",
        "a·b(t) rel. error < 1e-8 (H = 5, random unbalanced init, c = 1 and 1.3); symbolic identities exact",
        "DOP853 at rtol 1e-12; the closed form is exact")
def _c14() -> Measurement:
    sym = riccati.symbolic_checks()
    rng = np.random.default_rng(3)
    worst = 0.0
    for c_v in (1.0, 1.3):
        a0, b0 = rng.standard_normal(5) * 0.05, rng.standard_normal(5) * 0.05
        s_v = 2.0
        al, be = np.sum((a0 + b0) ** 2) / 4, np.sum((a0 - b0) ** 2) / 4

        def rhs(_t, y, c_v=c_v, s_v=s_v):
            a, b = y[:5], y[5:]
            r = s_v - c_v * a @ b
            return np.concatenate([r * b, r * a])

        tt = np.linspace(0, 6, 40)
        r = solve_ivp(rhs, [0, 6], np.concatenate([a0, b0]), t_eval=tt, method="DOP853", rtol=1e-12, atol=1e-15)
        ab = np.sum(r.y[:5] * r.y[5:], axis=0)
        worst = max(worst, float(np.max(np.abs(riccati.strength(tt, s_v, al, be, c_v) - ab) / np.abs(ab).max())))
    return Measurement(passed=all(sym.values()) and worst < 1e-8, measured={"symbolic": sym,
                                                                           "worst_rel_error": _r(worst, 3)})


# ------------------------------------------------------------------------------------------------ quadratic
@cache
def _quadratic_first(eps: float, seeds: int = 4):
    prob = problem("quadratic", "--init-scale", repr(eps), "--seeds", str(seeds))
    pred = predict(prob, max_drops=1)
    t1 = np.array([d[0] for d in pred.drop_times])
    # rtol 1e-8: the integration error of the crossing time is ~1e-8 relative, far below the 1e-3 effects measured.
    res = _simulate(prob, 1.1 * float(t1.max()), rtol=1e-8)
    sims = np.array([numerics.staircase_from_result(res, b, fun=_fun(prob), levels=pred.plateau_levels[b][:2])
                     .drop_times[0] for b in range(seeds)])
    return prob, pred, res, t1, sims


# C16: the midpoint crossing precedes the blow-up t* by an O(1) time (about 0.18 measured; the unit ODE's own time
# scale near the escape is 1/|A| = 0.5 for A = diag(2, 1, -1, -2)), so |t_pred - t_sim| < 1 time unit is the budget
# of each drop (relative: O(eps)), and with the same normalised draw the ratio t(eps')/t(eps) departs from eps/eps'
# by at most the two offsets relative to their drops (docs/theory.md §6.7).
C16_OFFSET = 1.0


def judge_c16(measured: dict) -> Verdict:
    """Every first drop within C16_OFFSET of the prediction; the simulated ratio t(1e-4)/t(1e-3) equal to the
    predicted one within C16_OFFSET·(1/t(1e-3) + 1/t(1e-4))."""
    pairs = [*zip(measured["predicted"], measured["simulated"], strict=False),
             (measured["eps_1e-4"]["predicted"], measured["eps_1e-4"]["simulated"])]
    if len(measured["predicted"]) != len(measured["simulated"]) or len(measured["simulated"]) < 1:
        return Verdict(False, f"{len(measured['predicted'])} predicted, {len(measured['simulated'])} simulated drops")
    if not all(math.isfinite(p) and math.isfinite(q) and q > 0 for p, q in pairs):
        return Verdict(False, "a first drop is missing (not finite) in the prediction or the simulation")
    worst = max(abs(p - q) for p, q in pairs)
    t3, t4 = measured["simulated"][0], measured["eps_1e-4"]["simulated"]
    ratio = t4 / t3
    budget = C16_OFFSET * (1 / t3 + 1 / t4)
    off = abs(ratio / measured["predicted_ratio"] - 1)
    ok = worst < C16_OFFSET and off <= budget
    return Verdict(ok, f"worst |t_pred - t_sim| = {worst:.3g} (budget {C16_OFFSET:g}); simulated ratio {ratio:.6g} vs "
                       f"predicted {measured['predicted_ratio']:.6g}: off by {off:.3g} (budget {budget:.3g})")


def _c16_times(measured: dict, d: float) -> dict:
    e4 = measured["eps_1e-4"]
    return dict(measured, predicted=[x * (1 + d) for x in measured["predicted"]],
                **{"eps_1e-4": dict(e4, predicted=e4["predicted"] * (1 + d))})


def _c16_exponent(measured: dict, d: float) -> dict:
    """A law t ∝ eps^-(1 + d): the predicted ratio for a tenfold smaller eps is 10^(1 + d)."""
    return dict(measured, predicted_ratio=measured["predicted_ratio"] * 10.0 ** d)


@_claim("C16", "Quadratic first escape t_(1) ~ min_i t*_i (Case A/B integral), scaling as 1/eps",
        "spec §6.7, §8 C16 [derived ✓]", "|t_pred - t_sim| < 1 at eps = 1e-3 (4 seeds) and 1e-4 (1 seed); "
        "t_(1)(1e-4)/t_(1)(1e-3) equal to the predicted 10 within 1/t(1e-3) + 1/t(1e-4) (same normalised draw)",
        "the midpoint crossing precedes the blow-up by an O(1) time (~0.18 measured, < 1: the unit ODE's time scale "
        "near the escape is 1/|A| = 0.5), i.e. O(eps) relative; O(eps^2) from the residual moving before the escape",
        judge=lambda m: judge_c16(m),
        wrong=(WrongTheory("drop times x (1 + d)", _c16_times),
               WrongTheory("law eps^-(1 + d)", _c16_exponent, unit="exponent")))
def _c16() -> dict:
    _, pred3, _, t1_3, sim3 = _quadratic_first(1e-3)
    # 1/eps scaling with the same normalised draw: one seed, eps = 1e-4.
    prob4 = problem("quadratic", "--init-scale", "1e-4", "--seeds", "1")
    pred4 = predict(prob4, max_drops=1)
    t4 = pred4.drop_times[0][0]
    res4 = _simulate(prob4, 1.1 * t4, rtol=1e-8)
    sim4 = numerics.staircase_from_result(res4, 0, fun=_fun(prob4), levels=pred4.plateau_levels[0][:2]).drop_times[0]
    return {"predicted": [float(x) for x in t1_3], "simulated": [float(x) for x in sim3],
            "rel_error": _r(_rel(t1_3, sim3), 3), "cases": [e[0]["case"] for e in pred3.extra["escapes"]],
            "eps_1e-4": {"predicted": float(t4), "simulated": float(sim4)},
            "predicted_ratio": float(t4 / t1_3[0]), "ratio": _r(float(sim4 / sim3[0]))}


@_claim("C15", "Prop. 5 (unit separation): at the first drop the leader is O(1), the runner-up <= C eps with C ~ 10",
        "spec §5.2, §8 C15 [paper, derived ✓]", "leader norm in [0.5, 3]; runner-up / eps <= 10 (eps = 1e-3, 4 seeds)",
        "dormant units grow by O(1) factors during the plateau (e^{lambda tau} with tau = O(1) in the unit's own "
        "clock), so C = O(10) (spec observed 3-6.7)")
def _c15() -> Measurement:
    prob, pred, res, t1, sims = _quadratic_first(1e-3)
    leaders, ratios = [], []
    for b in range(len(sims)):
        th, _ = numerics.interpolate(_fun(prob), res, b, [sims[b]])
        blk = prob.arch.unpack(th)
        norms = np.sqrt(blk["V"][0, :, 0] ** 2 + np.sum(blk["U"][0] ** 2, axis=1))
        srt = np.sort(norms)[::-1]
        leaders.append(float(srt[0]))
        ratios.append(float(srt[1] / 1e-3))
    ok = all(0.5 < x < 3 for x in leaders) and max(ratios) <= 10
    return Measurement(passed=ok, measured={"leader_norm": _r(leaders, 4), "runner_up_over_eps": _r(ratios, 3)})


C18_WIDTHS = (4, 16, 64)


def judge_c18(measured: dict) -> Verdict:
    """Every seed at every width has two finite simulated drops, and the median gap t_2 − t_1 decreases strictly
    with the width (qualitative, spec §8 C18: monotonicity, not the constant)."""
    gaps = measured["gaps"]
    if sorted(gaps, key=int) != [str(h) for h in measured["widths"]] or len(gaps) < 2:
        return Verdict(False, f"gaps measured at widths {list(gaps)}, expected {measured['widths']}")
    for h, g in gaps.items():
        if len(g) != measured["seeds"] or not all(math.isfinite(x) and x >= 0 for x in g):
            return Verdict(False, f"H = {h}: {sum(math.isfinite(x) for x in g)} finite gaps of {measured['seeds']} "
                                  "seeds (a second drop was not found)")
    med = [float(np.median(gaps[str(h)])) for h in measured["widths"]]
    ok = all(b < a for a, b in zip(med[:-1], med[1:], strict=True))
    return Verdict(ok, "median gaps " + ", ".join(f"H={h}: {m:.4g}" for h, m in zip(measured["widths"], med,
                                                                                   strict=True))
                   + (" decrease strictly" if ok else " do not decrease strictly"))


def _c18_longer(measured: dict, d: float) -> dict:
    """A theory in which width lengthens plateaus: each 4× wider net's gaps are the narrowest net's × (1 + d)^k."""
    ws = [str(h) for h in measured["widths"]]
    base = measured["gaps"][ws[0]]
    return dict(measured, gaps={h: [x * (1 + d) ** k for x in base] for k, h in enumerate(ws)})


@_claim("C18", "Width shortens plateaus (quadratic): the median simulated gap between the 1st and 2nd drop "
        "decreases with H (H = 4, 16, 64, 8 seeds each)", "spec §6.6-6.7, §8 C18 [paper, derived ✓]",
        "median gap strictly decreasing over H = 4, 16, 64; every seed must show two drops",
        "qualitative (spec: assert monotonicity, not the constant). With 8 seeds and adjacent widths the median is "
        "dominated by Monte-Carlo noise (the spec's own simulated medians go 17 -> 19 from H = 8 to 16), so widths "
        "are spaced by 4x. Simulated by gradient flow (DOP853, rtol 1e-8, no stiff fallback: the run ends at 1.2x "
        "the predicted second drop, before any unit settles and the flow stiffens) at eps = 1e-3; drops are "
        "midpoint crossings of the piecewise-predicted levels. The piecewise prediction of the same gaps (48 "
        "seeds) is C18-pred (full profile)",
        judge=lambda m: judge_c18(m),
        wrong=(WrongTheory("width lengthens plateaus: gaps x (1 + d) per 4x width", _c18_longer),))
def _c18() -> dict:
    gaps = {}
    for H in C18_WIDTHS:
        prob = problem("quadratic", "--width", str(H), "--init-scale", "1e-3", "--seeds", "8", "--seed", "500")
        pred = predict(prob, max_drops=2)
        t_end = 1.2 * max((d[1] for d in pred.drop_times if len(d) > 1), default=math.nan)
        if not math.isfinite(t_end):
            gaps[str(H)] = [math.nan] * 8
            continue
        res = _simulate(prob, t_end, rtol=1e-8, stiff_method=None)
        sims = _sim_drops(prob, res, [lv[:3] for lv in pred.plateau_levels])
        gaps[str(H)] = [float(s_[1] - s_[0]) if len(s_) > 1 else math.nan for s_ in sims]
    return {"widths": list(C18_WIDTHS), "seeds": 8, "gaps": {h: _r(g, 5) for h, g in gaps.items()},
            "median_gap": {h: _r(float(np.median(g)), 4) for h, g in gaps.items()}}


@_claim("C18-pred", "Width shortens plateaus (quadratic), predicted: the median gap between the 1st and 2nd "
        "recruitment of the piecewise Eq. 14 prediction decreases with H (48 seeds, H = 4, 16, 64)",
        "spec §6.6-6.7, §8 C18 [paper, derived ✓]", "median gap strictly decreasing over H = 4, 16, 64",
        "qualitative; the prediction's accuracy against simulation is measured in C16 and docs/accuracy.md. 144 "
        "per-seed predictions take ~30 s, hence the full profile", profile="full")
def _c18_pred() -> Measurement:
    med = {}
    for H in C18_WIDTHS:
        gaps = []
        for sd in range(48):
            prob = problem("quadratic", "--width", str(H), "--init-scale", "1e-3", "--seed", str(1000 + 10 * sd))
            gaps.append(predict_first_two(prob))
        med[H] = float(np.median(gaps))
    vals = [med[h] for h in sorted(med)]
    return Measurement(passed=all(b < a for a, b in zip(vals[:-1], vals[1:], strict=True)),
                       measured={"median_gap": {str(k): _r(v, 4) for k, v in med.items()}})


def predict_first_two(prob) -> float:
    """Gap between the first two predicted escapes of seed 0 (piecewise Eq. 14)."""
    pred = predict(prob, max_drops=2)
    d = pred.drop_times[0]
    return float(d[1] - d[0]) if len(d) > 1 else math.inf


# ------------------------------------------------------------------------------------------------ attention
@cache
def _attn_s(cov: str, eps: float, width: int, rank: int = 1, seeds: int = 1):
    prob = problem("attn-s", "--cov-eigs", cov, "--init-scale", repr(eps), "--width", str(width), "--rank", str(rank),
                   "--seeds", str(seeds))
    pred = predict(prob)
    t_end = 1.25 * max(x for d in pred.drop_times for x in d)
    res = _simulate(prob, t_end)
    return prob, pred, res


@_claim("C19", "Equal eigenvalues do not remove plateaus (attention): Λ = diag(1, 1) still gives 2 drops",
        "spec §6.6, §8 C19 [paper]", "detected drops = 2 = D (eps = 1e-2, H = 4)",
        "unit separation: escape times differ by O(1/eps) through the heads' random sizes, independent of the "
        "eigenvalues")
def _c19() -> Measurement:
    prob, pred, res = _attn_s("1,1", 1e-2, 4)
    st = numerics.staircase_from_result(res, 0)
    return Measurement(passed=st.n_drops == 2, measured={"detected_drops": st.n_drops, "levels": _r(st.levels),
                                                         "predicted_levels": _r(pred.plateau_levels[0])})


@_claim("C22", "ATTN_M (Λ = I): one Saxe sigmoid with s = sqrt(D), c = 1 + (1 + D)/N, u_0 = |p|^2/4 (Eq. 10)",
        "spec §6.8 Eq. 10, §8 C22 [ICL, derived ✓]", "drop-time rel. error < 1e-3; final level abs error < 1e-3 L_0 "
        "(D = 3, N = 32, eps = 1e-4, 2 seeds)", "neglected: the unbalanced part beta = |m_0|^2/4 = O(eps^2) and "
        "O(u_0 c/s) terms, i.e. ~1e-8 relative")
def _c22() -> Measurement:
    prob = problem("attn-m", "--cov-eigs", "1,1,1", "--init-scale", "1e-4", "--seeds", "2", "--width", "4")
    pred = predict(prob)
    res = _simulate(prob, 2.0 * max(d[0] for d in pred.drop_times))
    sims = _sim_drops(prob, res, pred.plateau_levels)
    rel = [abs(pred.drop_times[b][0] - sims[b][0]) / sims[b][0] for b in range(2)]
    final = [abs(res[b].loss[-1] - pred.plateau_levels[b][1]) / pred.plateau_levels[b][0] for b in range(2)]
    sym = attention.symbolic_checks()
    ok = max(rel) < 1e-3 and max(final) < 1e-3 and sym["merged_is_saxe"]
    return Measurement(passed=ok, measured={"rel_error": _r(rel, 3), "final_level_error_over_L0": _r(final, 3),
                                            "predicted": _r([d[0] for d in pred.drop_times]),
                                            "simulated": _r([s[0] for s in sims])})


def _learned_order(prob, res, sims):
    """Which eigen-direction (diagonal entry of M) grew at each simulated drop."""
    order = []
    fun = _fun(prob)
    for t in sims:
        if not np.isfinite(t):
            break
        t_after = min(t * 1.05 + 1, res[0].t[-1])
        th, _ = numerics.interpolate(fun, res, 0, [t_after])
        diag = np.abs(np.diag(prob.arch.effective_matrix(th)[0]))
        cand = [d for d in np.argsort(-diag) if d not in order]
        order.append(int(cand[0]))
    return order


@_claim("C23", "ATTN_S plateau levels (half of [ICL] Eq. 19 with our ½-loss), D drops, eigenvectors learned in "
        "decreasing λ", "spec §6.8, §8 C23 [ICL]", "levels abs. error < 1e-3 L_0; drops = D = 3; order (0, 1, 2) "
        "(Λ = diag(1, .5, .25), N = 32, H = 5, eps = 1e-2)",
        "the level read at min |dL/dt| deviates by the dormant heads' O(eps) growth, O(eps^2 / L_0) ~ 1e-4")
def _c23() -> Measurement:
    prob, pred, res = _attn_s("1,0.5,0.25", 1e-2, 5)
    from ..predict_cmd import compare

    row = compare(prob, pred, t_max=res[0].t[-1])[0]
    worst = max(r["rel_error"] for r in row["levels"])
    st = numerics.staircase_from_result(res, 0)
    sims = [r["simulated"] for r in row["drop_times"]]
    order = _learned_order(prob, res, sims)
    ok = worst < 1e-3 and st.n_drops == 3 and order == [0, 1, 2]
    return Measurement(passed=bool(ok), measured={"level_error_over_L0": _r(worst, 3), "detected_drops": st.n_drops,
                                                  "order": order, "predicted_levels": _r(pred.plateau_levels[0]),
                                                  "simulated_levels": _r([r["simulated"] for r in row["levels"]])})


@_claim("C24-trend", "ATTN_S: later eigenvectors take longer, roughly ∝ λ_m^-2 (heuristic t ≈ 1/(λ²v_0)); ordering "
        "and trend only", "spec §6.8, §8 C24 [derived] heuristic", "plateau durations increase with m and the fitted "
        "exponent of Δ_m vs λ_m is negative (reported, not asserted equal to -2)",
        "the heuristic ignores the random head sizes v_0 (O(1) factors), so only the ordering and sign are tested "
        "(spec)")
def _c24_trend() -> Measurement:
    prob, pred, res = _attn_s("1,0.5,0.25", 1e-2, 5)
    lv = pred.plateau_levels[0]
    sims = _sim_drops(prob, res, [lv])[0]
    durations = np.diff(np.concatenate([[0.0], sims]))
    lam = np.array([1.0, 0.5, 0.25])
    slope = float(np.polyfit(np.log(lam), np.log(durations), 1)[0])
    ok = bool(np.all(np.diff(sims) > 0) and np.all(np.diff(durations) > 0) and slope < 0)
    return Measurement(passed=ok, measured={"drop_times": _r(sims), "durations": _r(durations),
                                            "fitted_exponent": _r(slope, 3), "heuristic_exponent": -2})


C25_EPS = (1e-2, 3e-3, 1e-3, 3e-4)


def judge_c25(measured: dict) -> Verdict:
    """The plateaus at L(M_m) with R | m grow like eps^-1 and the others like ln(1/eps), over C25_EPS.

    Long plateaus: the log-log slope of duration vs 1/eps equals the predicted exponent within δ = the largest
    ratio, over eps, of the longest short plateau to the shortest long one: a long plateau is τ/eps plus an
    O(ln 1/eps) part no longer than a short plateau, which moves ln(duration), hence the slope, by at most that
    ratio.  This bounds the O(ln 1/eps) part without computing it, so the resolving power for the exponent is
    ~15× the deviation measured.  Short plateaus: log-log slope below 1/2 (a + b ln(1/eps)
    with a, b ≥ 0 has slope ≤ 1/ln(1/eps_max) = 0.22 here; a power law eps^-p with p ≥ 1/2 is refused).  At every
    eps every short plateau is shorter than every long one.
    """
    rule, durs = measured["rule_m"], measured["durations"]
    eps = measured["eps"]
    if len(durs) != len(eps) or len(eps) < 3:
        return Verdict(False, f"durations at {len(durs)} of {len(eps)} eps (need >= 3)")
    n = len(durs[0])
    if any(len(d) != n or not all(math.isfinite(x) and x > 0 for x in d) for d in durs):
        return Verdict(False, "a plateau is missing (a simulated drop not found) at some eps")
    long_m = [m for m in range(n) if m in rule]
    short_m = [m for m in range(n) if m not in rule]
    if not long_m or not short_m:
        return Verdict(False, f"rule {rule} leaves no long or no short plateau among m = 0..{n - 1}")
    x = np.log(1 / np.asarray(eps))
    slope = {m: float(np.polyfit(x, np.log([d[m] for d in durs]), 1)[0]) for m in range(n)}
    delta = max(max(d[m] for m in short_m) / min(d[m] for m in long_m) for d in durs)
    off = max(abs(slope[m] - measured["predicted_exponent"]) for m in long_m)
    short_max = max(slope[m] for m in short_m)
    ordered = all(max(d[m] for m in short_m) < min(d[m] for m in long_m) for d in durs)
    ok = off <= delta and short_max < 0.5 and ordered
    return Verdict(ok, "log-log slopes " + ", ".join(f"m={m}: {slope[m]:.3f}" for m in range(n))
                   + f"; long plateaus off the exponent {measured['predicted_exponent']:g} by {off:.3g} (budget "
                     f"{delta:.3g}); short plateaus' largest slope {short_max:.3f} (< 0.5); ordered at every eps: "
                     f"{ordered}")


def _c25_exponent(measured: dict, d: float) -> dict:
    return dict(measured, predicted_exponent=measured["predicted_exponent"] * (1 + d))


@_claim("C25", "Rank-R ATTN_S: conspicuous plateaus only at L(M_m) with R | m (D = 4, R = 2: m = 0, 2)",
        "spec §6.8, §8 C25 [ICL examples]",
        "over eps = 1e-2, 3e-3, 1e-3, 3e-4: plateaus with R | m scale as eps^-1 (log-log slope within the ratio "
        "short/long of the plateau durations), the others as ln(1/eps) (log-log slope < 1/2), and every short one "
        "is shorter than every long one at each eps (durations between midpoint crossings of L(M_0..M_4))",
        "a new head's escape takes O(1/eps) (unit separation) while an active head's further key-query pair grows "
        "exponentially with an O(1) value weight, i.e. O(ln(1/eps)); 'conspicuous' is read as this separation of "
        "scalings (the plateaus at R-non-divisible m are visible but short)",
        judge=lambda m: judge_c25(m),
        wrong=(WrongTheory("long-plateau exponent x (1 + d)", _c25_exponent),))
def _c25() -> dict:
    lam = [1.0, 0.7, 0.5, 0.35]
    L = np.array(attention.separate_levels(lam, 32))
    durations = []
    for eps in C25_EPS:
        prob, pred, res = _attn_s("1,0.7,0.5,0.35", eps, 4, rank=2)
        drops = _sim_drops(prob, res, [L])[0]
        durations.append([float(x) for x in np.diff(np.concatenate([[0.0], drops]))])  # plateau at L(M_m)
    return {"eps": list(C25_EPS), "durations": [_r(d, 5) for d in durations], "levels_M_m": _r(L),
            "rule_m": list(attention.rank_r_plateaus(4, 2)), "predicted_exponent": 1.0}


# ------------------------------------------------------------------------------------------------ diagonal
@_claim("C30", "Diagonal linear net: beta = alpha^2 sinh(2gt) early; first jump t_1 ~ ln(1/alpha)/||X^T y/n||_inf; "
        "the jump recursion (accelerated time) matches simulation as alpha -> 0",
        "spec §6.10, §8 C30 [recalled setup, derived]", "scalar form rel. 1e-3 while beta < 1e-4 g; recursion: "
        "relative error of every jump time decreases with ln(1/alpha) and is < 10% at alpha = 1e-12",
        "scalar form: the residual is g - beta, so the neglected term is O(beta/g) <= 1e-4 relative; recursion: "
        "finite-alpha corrections are O(1) in original time, i.e. O(1/ln(1/alpha)) relative in accelerated time")
def _c30() -> Measurement:
    # (a) scalar: y = g x, u_0 = √2 α, v_0 = 0.
    g, al = 1.5, 1e-6
    prob = problem("diagonal-linear", "--target-coefs", "1.5")
    th0 = prob.arch.pack({"V": np.zeros((1, 1, 1)), "U": np.full((1, 1, 1), math.sqrt(2) * al)})
    t_small = math.asinh(1e-4 * g / al**2) / (2 * g)
    res = _simulate(prob, t_small, theta0=th0)
    m = res[0]
    beta_sim = np.array([prob.arch.effective_matrix(th[None])[0][0, 0] for th in m.theta])
    beta_pred = al**2 * np.sinh(2 * g * m.t_saved)
    scalar_err = float(np.max(np.abs(beta_sim - beta_pred) / np.maximum(np.abs(beta_pred), 1e-300)))
    # (b) recursion on correlated inputs.
    sxx = np.array([[1.0, 0.6, 0.2], [0.6, 1.0, 0.3], [0.2, 0.3, 1.0]])
    bstar = np.array([1.0, -0.8, 0.5])
    sxy = sxx @ bstar
    task = numerics.LinearRegressionTask(sxx, sxy[None, :])
    arch = numerics.build_architecture("diagonal-linear", dim=3)
    times, betas = diagonal.jump_recursion(sxx, sxy)
    levels = [0.5 * float(bstar @ sxx @ bstar)] + [0.5 * float((b - bstar) @ sxx @ (b - bstar)) for b in betas]
    fun = lambda th: numerics.loss_and_grad(arch, task, th)  # noqa: E731
    errs = {}
    for a in (1e-4, 1e-8, 1e-12):
        th0 = arch.pack({"V": np.zeros((1, 3, 1)), "U": np.full((1, 3, 1), math.sqrt(2) * a)})
        r = numerics.gradient_flow(fun, th0, 1.2 * times[-1] * math.log(1 / a) + 5, gtol=0)
        keep = [levels[0]] + [lv for lv in levels[1:]]
        st = numerics.staircase_from_result(r, 0, fun=fun, levels=np.array(keep))
        sim_acc = st.drop_times / math.log(1 / a)
        errs[a] = np.abs(sim_acc - np.array(times)) / np.array(times)
    e = np.array([errs[a].max() for a in (1e-4, 1e-8, 1e-12)])
    ok = scalar_err < 1e-3 and bool(np.all(np.diff(e) < 0)) and e[-1] < 0.1
    return Measurement(passed=ok, measured={"scalar_rel_error": _r(scalar_err, 3), "recursion_times": _r(times),
                                            "recursion_levels": _r(levels),
                                            "worst_rel_error_by_alpha": {"1e-4": _r(e[0], 3), "1e-8": _r(e[1], 3),
                                                                         "1e-12": _r(e[2], 3)}})


# ------------------------------------------------------------------------------------------------ deep chain
@_claim("C31", "Balanced depth-N chain: a' = N a^(2-2/N)(s - a) blows up at t* = u_0^-(1-2/N)/((N-2)s); the time to "
        "s/2 is t* - O(1)", "spec §6.9, §8 C31 [derived ✓]", "simulated depth-3 time to s/2 = quadrature to 1e-6 rel.; "
        "(t* - t_{s/2})/t* < 1e-3 at w_0 = 1e-3; t* - t_{s/2} -> 0.85 (N=3), 0.27 (N=4) within 0.01",
        "the O(1) remainder is the time spent near a ~ s where the −a term matters; its ratio to t* is O(w_0)")
def _c31() -> Measurement:
    sym = deep_chain.symbolic_checks()
    w0, s = 1e-3, 1.0
    prob = problem("deep-linear", "--singular-values", "1", "--width", "1", "--hidden", "1")
    blk = {"V": np.full((1, 1, 1), w0), "U": np.full((1, 1, 1), w0), "W1": np.full((1, 1, 1), w0)}
    th0 = prob.arch.pack(blk)
    tq = deep_chain.time_to(3, s, w0**3, s / 2)
    res = _simulate(prob, 1.2 * tq, theta0=th0)
    t_sim = numerics.refine_crossing(_fun(prob), res, 0, s**2 / 8)  # ½(s − a)² = s²/8 ⇔ a = s/2
    tstar = deep_chain.blowup_time(3, s, w0**3)
    off3 = tstar - tq
    off4 = deep_chain.blowup_time(4, s, 1e-12) - deep_chain.time_to(4, s, 1e-12, s / 2)
    ok = all(sym.values()) and abs(t_sim - tq) / tq < 1e-6 and off3 / tstar < 1e-3 and abs(off3 - 0.85) < 0.01 \
        and abs(off4 - 0.27) < 0.01
    return Measurement(passed=bool(ok), measured={"t_sim": _r(t_sim, 9), "t_quadrature": _r(tq, 9), "t_star": _r(tstar),
                                                  "offset_N3": _r(off3, 4), "offset_N4": _r(off4, 4)})
