"""Claims C6–C16, C18, C19, C22–C23, "C24-trend", C25, C30–C32 (spec §8): each closed form of spec §6
(:mod:`theory.closed_forms`) against the simulation engine (:mod:`numerics`), composed by
:mod:`proofs_check.predict`.  Tolerances follow from the order of the neglected terms, stated per claim.
"""

from __future__ import annotations

import argparse
import math
from functools import cache

import numpy as np
from scipy.integrate import quad, solve_ivp
from scipy.linalg import expm
from scipy.optimize import brentq

import numerics
from theory.closed_forms import (
    attention,
    deep_chain,
    diagonal,
    linear_modes,
    quadratic_levels,
    riccati,
    saxe,
    theorem4,
)

from ..predict import predict
from ..problem import add_problem_arguments, build_problem
from ..registry import REGISTRY, Verdict, WrongTheory, worst_of

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
# The remainder is exact: with eigenpairs (λ_j, v_j) of the block matrix A and e^{t_1} = (ε|top·g|)^{-1/s_1},
# ‖(I − P)θ(t_1)‖² = Σ_{j ≠ top} C_j ε^{2(1 − λ_j/s_1)}, C_j = (g·v_j)² |top·g|^{−2λ_j/s_1}.  So log‖(I − P)θ‖ =
# (1 − s_2/s_1) log ε + log √C_2 + h(log ε) with h = ½ log(1 + Σ_{j ≠ top, 2} (C_j/C_2) ε^{2γ_j}),
# γ_j = (s_2 − λ_j)/s_1 > 0 (docs/theory.md §5.1).  A least-squares slope of h is a positively weighted mean of its
# secant slopes, hence at most max h' ≤ Σ_j γ_j (C_j/C_2) ε_max^{2γ_j}: each draw's budget, from its own C_j.
C6_FLOOR = 1e-10  # expm and log in float64: the remainder (≥ ε^{1/3} ≈ 5e-4) is exact to ~1e-12 relative


def theorem4_budget(neglected, eps_max: float) -> float:
    """Bound on the log-log slope bias of one draw from its neglected terms [(γ_j, C_j/C_2), …] (see above).

    >>> f"{theorem4_budget([[1/3, 2.0], [2/3, 1.0]], 1e-6):.2e}"
    '6.67e-05'
    """
    return float(sum(g * r * eps_max ** (2 * g) for g, r in neglected)) + C6_FLOOR


def judge_c6(measured: dict) -> Verdict:
    """Symbolic identity true; every draw's small-eps and whole-range slope within its own budget of 1 − s_2/s_1."""
    failed = [k for k, ok in measured["symbolic"].items() if not ok]
    if failed:
        return Verdict(False, f"symbolic identities fail: {failed}")
    draws, pred = measured["draws"], measured["predicted"]
    if len(draws) != measured["n_draws"] or not draws:
        return Verdict(False, f"{len(draws)} of {measured['n_draws']} draws measured")
    items = []
    for i, dr in enumerate(draws):
        for fit in ("small", "whole"):
            slope = dr[f"{fit}_slope"]
            budget = theorem4_budget(dr["neglected"], max(measured[f"{fit}_fit_eps"]))
            items.append((abs(slope - pred) / budget, f"draw {i} {fit} slope {slope:.6g} (budget {budget:.3g})"))
    worst, where = worst_of(items)
    return Verdict(worst <= 1.0, f"worst |slope - {pred:.6g}| / budget = {worst:.3g} ({where})")


def _c6_exponent(measured: dict, d: float) -> dict:
    return dict(measured, predicted=measured["predicted"] * (1 + d))


def _c6_ratio(measured: dict, d: float) -> dict:
    """A wrong ratio: 1 − (s_2/s_1)(1 + d)."""
    return dict(measured, predicted=1 - (1 - measured["predicted"]) * (1 + d))


@_claim("C6", "Theorem 4: slope of log||(I-P)theta|| vs log eps at ||P theta|| = 1 equals 1 - s_{r+1}/s_1",
        "spec §5.1, §8 C6 [paper, derived ✓]",
        "per draw (5 draws), |slope - 1/3| <= sum_j gamma_j (C_j/C_2) eps_max^(2 gamma_j) + 1e-10, both for the "
        "small-eps fit (eps in [1e-10, 1e-6]) and the spec's whole-range fit ([1e-10, 1e-2]); symbolic identity exact",
        "the remainder is exactly eps^{1/3} sqrt(C_2 + sum_j C_j eps^{2 gamma_j}) with gamma_j = (s_2 - lambda_j)/s_1 "
        "> 0 over the other eigenpairs of the linearised flow; the fitted slope's bias is at most the largest "
        "log-derivative of the neglected part, computed per draw from its own C_j (~7x the measured bias at small "
        "eps; the whole-range bias, up to 0.026, exceeds the spec's 0.01 but not its budget)",
        judge=lambda m: judge_c6(m),
        wrong=(WrongTheory("exponent x (1 + d)", _c6_exponent),
               WrongTheory("ratio s_{r+1}/s_1 x (1 + d)", _c6_ratio)))
def _c6() -> dict:
    s = np.array([3.0, 2.0, 1.0, 0.5])
    nv, nu = 4, 6
    Syz = np.zeros((nv, nu))
    Syz[np.arange(4), np.arange(4)] = s
    A = np.block([[np.zeros((nv, nv)), Syz], [Syz.T, np.zeros((nu, nu))]])
    top = np.concatenate([np.eye(nv)[:, 0], np.eye(nu)[:, 0]]) / math.sqrt(2)
    P = np.outer(top, top)
    lam, vec = np.linalg.eigh(A)
    i1, i2 = np.argsort(lam)[-1], np.argsort(lam)[-2]  # s_1 (r = 1) and s_2
    eps = np.logspace(-10, -2, 9)
    draws = []
    for seed in range(5):
        g = np.random.default_rng(seed).standard_normal(nv + nu)
        rem = []
        for e in eps:
            th0 = e * g
            t1 = math.log(1 / abs(top @ th0)) / s[0]  # ||P θ(t)|| = |top·θ0| e^{s_1 t} = 1
            th = expm(t1 * A) @ th0
            rem.append(np.linalg.norm(th - P @ th))
        lr, le = np.log(rem), np.log(eps)
        C = (vec.T @ g) ** 2 * abs(top @ g) ** (-2 * lam / s[0])
        neglected = [[float((lam[i2] - lam[j]) / s[0]), float(C[j] / C[i2])] for j in range(lam.size)
                     if j not in (i1, i2)]
        draws.append({"small_slope": float(np.polyfit(le[:5], lr[:5], 1)[0]),
                      "whole_slope": float(np.polyfit(le, lr, 1)[0]), "neglected": neglected})
    return {"symbolic": theorem4.symbolic_checks(), "predicted": theorem4.exponent(s), "n_draws": 5,
            "small_fit_eps": [float(x) for x in eps[:5]], "whole_fit_eps": [float(x) for x in eps], "draws": draws}


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


def judge_c9(measured: dict) -> Verdict:
    """The least-squares slope of each mode's drop time against ln(1/eps) equals the predicted one within the
    neighbour budget propagated through the fit.

    With one normalised draw the O(1) part of t_k is eps-independent, and the fit's weights w_i sum to zero, so it
    drops out; what remains is each drop's neighbour error and its O(ũ_k/s_k) = O(eps²) init term,
    ≤ t_k(eps_i)·(neighbour_budget(s, eps_i)_k + eps_i²), and the slope moves by at most Σ_i |w_i| times that.
    """
    s, eps, times, pred = measured["s"], measured["eps"], measured["drop_times"], measured["predicted"]
    n = len(s)
    if len(eps) < 2 or len(times) != len(eps) or len(pred) != n:
        return Verdict(False, f"{len(times)} runs for {len(eps)} eps, {len(pred)} predicted slopes for {n} modes")
    if any(len(row) != n or not all(math.isfinite(x) for x in row) for row in times):
        return Verdict(False, "a drop is missing (not finite) at some eps")
    x = np.log(1 / np.asarray(eps, float))
    w = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
    T = np.asarray(times, float)
    nb = np.array([[b + e**2 for b in neighbour_budget(s, e)] for e in eps])
    items = []
    for k in range(n):
        slope = float(w @ T[:, k])
        budget = float(np.sum(np.abs(w) * T[:, k] * nb[:, k]))
        items.append((abs(slope - pred[k]) / budget,
                      f"mode {k + 1}: slope {slope:.9g} vs {pred[k]:.9g}, budget {budget:.3g}"))
    worst, where = worst_of(items)
    return Verdict(worst <= 1.0, f"worst |slope - 1/s_k| / budget = {worst:.3g} ({where})")


def _c9_slopes(measured: dict, d: float) -> dict:
    return dict(measured, predicted=[x * (1 + d) for x in measured["predicted"]])


def _c9_exponent(measured: dict, d: float) -> dict:
    """A law t_k ~ ln(1/eps)/s_k^(1 + d)."""
    return dict(measured, predicted=[sk ** -(1 + d) for sk in measured["s"]])


@_claim("C9", "Leading-order law: dt_k/d ln(1/eps) -> 1/s_k (linear, whitened)", "spec §6.4, §8 C9 [derived ✓]",
        "per mode, |slope - 1/s_k| <= sum_i |w_i| t_k(eps_i) (eps_i^{2(1 - s_{k+1}/s_k)} + eps_i^2 + 1e-8), w_i the "
        "least-squares weights (eps = 1e-4, 1e-6, 1e-8, one normalised draw, s = 3, 2, 1, H = 4)",
        "t_k = (1/s_k) ln(1/eps) + O(1) + O(eps^2): with the same normalised draw the O(1) term is eps-independent "
        "and cancels in the slope; the neighbour mode's strength at each crossing (C8's budget) does not. The budget "
        "is 12-31x the measured slope errors (1.4e-4, 8e-6, 1.4e-9 relative); the spec's 2% was 100-10^7x looser",
        judge=lambda m: judge_c9(m),
        wrong=(WrongTheory("slopes 1/s_k x (1 + d)", _c9_slopes),
               WrongTheory("law ln(1/eps)/s_k^(1 + d)", _c9_exponent, unit="exponent")))
def _c9() -> dict:
    prob = problem("linear-fc", "--singular-values", "3,2,1", "--width", "4", "--init-scale", "1")
    eps = np.array([1e-4, 1e-6, 1e-8])
    theta0 = prob.theta0[0][None, :] * eps[:, None]
    s = np.array([3.0, 2.0, 1.0])
    levels = linear_modes.plateau_levels(s, 14.0)
    res = _simulate(prob, 1.3 * math.log(1e8) / 1.0 + 5, theta0=theta0)
    sims = _sim_drops(prob, res, [levels] * 3)
    return {"s": s.tolist(), "eps": eps.tolist(), "predicted": (1 / s).tolist(),
            "drop_times": [[float(x) for x in row] for row in sims]}


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


# --- C7 / C12: a block of equal singular values. Its strengths are independent Saxe sigmoids started at the
# eigenvalues g_j of the block's projected Gram matrix (docs/theory.md §6.3), so the j-th singular value of the
# block crosses s/2 at (1/2s) ln(s/g_j - 1): the offsets (1/2s) ln(g_1/g_j) are eps-independent, O(1) against the
# O(ln 1/eps) escape. The budget per crossing is C8's, with the next *distinct* value as the neighbour.
def block_budget(s, eps: float) -> list[float]:
    """Relative budget of each mode's crossing, the neighbour being the next smaller distinct singular value.

    >>> [f"{b:.1e}" for b in block_budget([2.0, 2.0, 1.0], 1e-6)]
    ['1.0e-06', '1.0e-06', '1.0e-08']
    """
    distinct = sorted({float(x) for x in s}, reverse=True)
    nb = neighbour_budget(distinct, eps)
    return [nb[distinct.index(float(x))] for x in s]


def _block_crossings(prob, res, member: int, n: int, half: float) -> list[float]:
    """Times at which the j-th singular value of the top n×n block of W(t) first reaches ``half`` (dense output;
    NaN if it never does)."""
    fun = _fun(prob)
    m = res[member]

    def sv(th, j):
        return np.linalg.svd(prob.arch.effective_matrix(th)[0][:n, :n], compute_uv=False)[j]

    times = []
    for j in range(n):
        vals = np.array([sv(th[None], j) for th in m.theta])
        above = np.flatnonzero(vals >= half)
        if above.size == 0 or above[0] == 0:
            times.append(math.nan)
            continue
        i = int(above[0])

        def f(tt, j=j):
            return sv(numerics.interpolate(fun, res, member, [tt])[0], j) - half

        times.append(float(brentq(f, m.t_saved[i - 1], m.t_saved[i], xtol=1e-13)))
    return times


def _block_run(s_str: str, seeds: int) -> dict:
    s = np.array([float(x) for x in s_str.split(",")])
    prob, _, res = _linear_run(s_str, 5, 1e-6, seeds)
    n = len(linear_modes.group_equal(s)[0])
    blk, rows = prob.arch.unpack(prob.theta0), {}
    for b in range(seeds):
        P = linear_modes.mode_projections(blk["V"][b], blk["U"][b], np.eye(s.size), np.eye(s.size))
        g = linear_modes.effective_u0(P, linear_modes.group_equal(s))[:n]
        rows[f"seed{b}"] = {"predicted": [float(x) for x in linear_modes.t_half(s[:n], g)],
                            "simulated": _block_crossings(prob, res, b, n, s[0] / 2),
                            "detected_drops": int(numerics.staircase_from_result(res, b).n_drops)}
    return {"s": s.tolist(), "eps": 1e-6, "budget": block_budget(s, 1e-6)[:n], "escape_time": math.log(1e6) / s[0],
            **rows}


def judge_block(measured: dict) -> Verdict:
    """Every run: one detected drop per distinct singular value; each block strength crosses s/2 at its predicted
    time within :func:`block_budget`; the crossings' spread is below a quarter of the escape time ln(1/eps)/s."""
    runs = _runs(measured)
    if not runs:
        return Verdict(False, "no run was measured")
    budget, n_distinct = measured["budget"], len(set(measured["s"]))
    items, spread = [], 0.0
    for name, row in runs.items():
        if row["detected_drops"] != n_distinct:
            return Verdict(False, f"{name}: {row['detected_drops']} detected drops, expected {n_distinct} (one per "
                                  "distinct singular value)")
        why = _complete(name, row["predicted"], row["simulated"], len(budget))
        if why:
            return Verdict(False, why)
        items += [(abs(p - q) / abs(q) / budget[k], f"{name} strength {k + 1}")
                  for k, (p, q) in enumerate(zip(row["predicted"], row["simulated"], strict=True))]
        spread = max(spread, max(row["simulated"]) - min(row["simulated"]))
    worst, where = worst_of(items)
    ok = worst <= 1.0 and spread < measured["escape_time"] / 4
    return Verdict(ok, f"worst error / budget = {worst:.3g} ({where}); crossings spread {spread:.4g} "
                       f"(< escape time / 4 = {measured['escape_time'] / 4:.4g})")


def _block_offsets(measured: dict, d: float) -> dict:
    """Offsets from the first crossing, (1/2s) ln(g_1/g_j), × (1 + d) (a wrong Gram-eigenvalue ratio)."""
    out = dict(measured)
    for name, row in _runs(measured).items():
        p0 = row["predicted"][0]
        out[name] = dict(row, predicted=[p0 + (p - p0) * (1 + d) for p in row["predicted"]])
    return out


BLOCK_WRONG = (WrongTheory("crossing times x (1 + d)", _scaled_predictions("predicted")),
               WrongTheory("block offsets (1/2s) ln(g_1/g_j) x (1 + d)", _block_offsets))


@_claim("C7", "Rank multiplicity: s_1 = s_2 gives one transition from rank 0 to 2 (no intermediate plateau); both "
        "strengths cross s/2 within O(1), at the eps-independent offsets (1/2s) ln(g_1/g_2)",
        "spec §5.1, §8 C7 [paper]",
        "detected drops = 2 for s = (2, 2, 1) (H = 5, eps = 1e-6); each block strength's s/2 crossing within "
        "eps^{2(1 - s_3/s_1)} + 1e-8 = 1e-6 relative of (1/2s) ln(s/g_j - 1) (g_j: block Gram eigenvalues); "
        "crossing gap < 1/4 of the escape time ln(1/eps)/s",
        "the block's strengths are independent Saxe sigmoids started at the Gram eigenvalues up to O(eps^2); the "
        "next distinct mode (s_3 = 1) perturbs them to first order in its strength at the crossing (C8's budget; "
        "measured 4e-9, the budget is an upper bound). 'Within O(1)' = eps-independent, versus the O(ln 1/eps) "
        "escape", judge=lambda m: judge_block(m), wrong=BLOCK_WRONG)
def _c7() -> dict:
    return _block_run("2,2,1", 1)


@_claim("C12", "Equal singular values remove the intermediate plateaus (linear): s = (2, 2, 2) gives one drop, "
        "the three strengths crossing s/2 at the eps-independent offsets (1/2s) ln(g_1/g_j)",
        "spec §6.6, §8 C12 [paper]",
        "detected drops = 1 (H = 5, eps = 1e-6, 2 seeds); each strength's s/2 crossing within 1e-8 relative of "
        "(1/2s) ln(s/g_j - 1); crossings' spread < 1/4 of the escape time ln(1/eps)/s",
        "no distinct neighbour mode: the sigmoids from the Gram eigenvalues are exact up to O(eps^2), so the budget "
        "is the integrator's floor (measured 1.1e-10). Offsets of O(1) sit below the detector's ten-fold rate dip",
        judge=lambda m: judge_block(m), wrong=BLOCK_WRONG)
def _c12() -> dict:
    return _block_run("2,2,2", 2)


# ------------------------------------------------------------------------------------------------ one mode
# C13 / C14: closed forms against DOP853 at rtol 1e-12. Each accepted step commits a local error ≤ rtol·|y| (atol
# negligible), and relative errors are not amplified (for a' = 2a(s − ca) a perturbation of ln a obeys
# δ' = −2ca δ; the Riccati mode's growing direction carries its relative error along), so the global relative
# error is at most steps × rtol, steps ≈ nfev/12 (DOP853 evaluates 12 stages per step). The time formula is closed
# form against closed form: float64 round-off amplified by the exponent 2st ≤ 22, ~5e-15; 1e-13 leaves 20×.
ODE_RTOL = 1e-12
ROUNDOFF = 1e-13


def _max_rel(pred, sim, scale=None) -> float:
    """max |pred − sim| / |sim| (or / scale); NaN when the lists differ in length or hold a non-finite value."""
    p, q = np.asarray(pred, float), np.asarray(sim, float)
    if p.shape != q.shape or p.size == 0 or not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))):
        return math.nan
    diff = np.abs(p - q)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.max(np.where(diff == 0, 0.0, diff / (np.abs(q) if scale is None else scale))))


def _ode_cases(measured: dict, scaled: bool) -> tuple[float, str]:
    """Worst (ODE error / steps × rtol) over the cases, NaN-safe (a NaN error is the worst)."""
    items = []
    for i, case in enumerate(measured["cases"]):
        scale = float(np.max(np.abs(case["simulated"]))) if scaled and case["simulated"] else None
        err = _max_rel(case["predicted"], case["simulated"], scale)
        items.append((err / (case["steps"] * ODE_RTOL),
                      f"case {i}: error {err:.3g}, budget {case['steps'] * ODE_RTOL:.3g}"))
    return worst_of(items)


def judge_c13(measured: dict) -> Verdict:
    """Symbolic identities true; every case's sigmoid within steps × rtol of the ODE; the time formula reaching u_f
    to round-off."""
    failed = [k for k, ok in measured["symbolic"].items() if not ok]
    if failed:
        return Verdict(False, f"symbolic identities fail: {failed}")
    if len(measured["cases"]) != measured["n_cases"]:
        return Verdict(False, f"{len(measured['cases'])} of {measured['n_cases']} cases measured")
    worst, where = _ode_cases(measured, scaled=False)
    errs = [c["time_formula_error"] for c in measured["cases"]]
    tf = max(errs) if errs and all(math.isfinite(e) for e in errs) else math.nan
    ok = worst <= 1.0 and tf <= ROUNDOFF
    return Verdict(ok, f"worst ODE error / budget = {worst:.3g} ({where}); time formula |a(t_b) - u_f|/u_f = "
                       f"{tf:.3g} (round-off budget {ROUNDOFF:g})")


def _c13_u0(measured: dict, d: float) -> dict:
    """The sigmoid started at u_0 (1 + d)."""
    cases = [dict(c, predicted=[float(x) for x in saxe.sigmoid(np.linspace(0, c["t_max"], len(c["simulated"])),
                                                               c["s"], c["u0"] * (1 + d), c["c"])])
             for c in measured["cases"]]
    return dict(measured, cases=cases)


def _c13_time(measured: dict, d: float) -> dict:
    """The time formula t(u_0 → u_f) × (1 + d)."""
    cases = [dict(c, time_formula_error=abs(float(saxe.sigmoid(c["t_between"] * (1 + d), c["s"], c["u0"], c["c"]))
                                            - c["u_f"]) / c["u_f"]) for c in measured["cases"]]
    return dict(measured, cases=cases)


@_claim("C13", "Saxe sigmoid solves a' = 2a(s - ca); time from u_0 to u_f = (1/2s) ln[u_f(s-cu_0)/(u_0(s-cu_f))]",
        "spec §6.1, §8 C13 [classical, derived ✓]",
        "symbolic identities exact; pointwise rel. error of the sigmoid vs DOP853 (rtol 1e-12) <= steps x 1e-12 "
        "per case (three (s, c, u_0)); a(t(u_0 -> u_f)) = u_f to 1e-13 relative",
        "global error of an integrator that does not amplify relative errors <= steps x rtol (measured 4-70x below "
        "it); the time formula is checked against the closed form, i.e. to float64 round-off times 2st",
        judge=lambda m: judge_c13(m),
        wrong=(WrongTheory("initial value u_0 x (1 + d)", _c13_u0),
               WrongTheory("time formula x (1 + d)", _c13_time)))
def _c13() -> dict:
    cases = []
    for s_v, c_v, u0 in ((3.0, 1.0, 1e-8), (1.5, 1.3, 1e-4), (0.7, 2.0, 1e-3)):
        tt = np.linspace(0, 3 * math.log(s_v / u0) / s_v, 50)
        r = solve_ivp(lambda _t, a, s_v=s_v, c_v=c_v: 2 * a * (s_v - c_v * a), [0, tt[-1]], [u0], t_eval=tt,
                      method="DOP853", rtol=ODE_RTOL, atol=1e-300)
        uf = 0.9 * s_v / c_v
        tb = float(saxe.time_between(u0, uf, s_v, c_v))
        cases.append({"s": s_v, "c": c_v, "u0": u0, "t_max": float(tt[-1]), "steps": r.nfev / 12,
                      "predicted": [float(x) for x in saxe.sigmoid(tt, s_v, u0, c_v)],
                      "simulated": [float(x) for x in r.y[0]], "u_f": uf, "t_between": tb,
                      "time_formula_error": abs(float(saxe.sigmoid(tb, s_v, u0, c_v)) - uf) / uf})
    return {"symbolic": saxe.symbolic_checks(), "n_cases": 3, "cases": cases}


def judge_c14(measured: dict) -> Verdict:
    """Symbolic identities true; a·b(t) of the Riccati formula within steps × rtol (relative to max |a·b|) of the
    reduced ODE, every case."""
    failed = [k for k, ok in measured["symbolic"].items() if not ok]
    if failed:
        return Verdict(False, f"symbolic identities fail: {failed}")
    if len(measured["cases"]) != measured["n_cases"]:
        return Verdict(False, f"{len(measured['cases'])} of {measured['n_cases']} cases measured")
    worst, where = _ode_cases(measured, scaled=True)
    return Verdict(worst <= 1.0, f"worst error / budget = {worst:.3g} ({where})")


def _c14_param(key: str):
    def apply(measured: dict, d: float) -> dict:
        cases = []
        for c in measured["cases"]:
            par = {"alpha": c["alpha"], "beta": c["beta"], key: c[key] * (1 + d)}
            tt = np.linspace(0, c["t_max"], len(c["simulated"]))
            cases.append(dict(c, predicted=[float(x) for x in riccati.strength(tt, c["s"], par["alpha"], par["beta"],
                                                                               c["c"])]))
        return dict(measured, cases=cases)
    return apply


@_claim("C14", "Unbalanced one-mode Riccati solution matches the reduced ODE", "spec §6.2, §8 C14 [derived ✓]",
        "a·b(t) error / max|a·b| <= steps x 1e-12 (DOP853 rtol 1e-12; H = 5, random unbalanced init, c = 1 and 1.3); "
        "symbolic identities exact",
        "the closed form is exact; the integrator's global error is at most steps x rtol (measured 25-50x below: "
        "DOP853's error estimate is conservative)",
        judge=lambda m: judge_c14(m),
        wrong=(WrongTheory("alpha = |p_0|^2/4 x (1 + d)", _c14_param("alpha")),
               WrongTheory("beta = |m_0|^2/4 x (1 + d)", _c14_param("beta"))))
def _c14() -> dict:
    rng = np.random.default_rng(3)
    cases = []
    for c_v in (1.0, 1.3):
        a0, b0 = rng.standard_normal(5) * 0.05, rng.standard_normal(5) * 0.05
        s_v = 2.0
        al, be = np.sum((a0 + b0) ** 2) / 4, np.sum((a0 - b0) ** 2) / 4

        def rhs(_t, y, c_v=c_v, s_v=s_v):
            a, b = y[:5], y[5:]
            r = s_v - c_v * a @ b
            return np.concatenate([r * b, r * a])

        tt = np.linspace(0, 6, 40)
        r = solve_ivp(rhs, [0, 6], np.concatenate([a0, b0]), t_eval=tt, method="DOP853", rtol=ODE_RTOL, atol=1e-15)
        cases.append({"s": s_v, "c": c_v, "alpha": float(al), "beta": float(be), "t_max": 6.0, "steps": r.nfev / 12,
                      "predicted": [float(x) for x in riccati.strength(tt, s_v, al, be, c_v)],
                      "simulated": [float(x) for x in np.sum(r.y[:5] * r.y[5:], axis=0)]})
    return {"symbolic": riccati.symbolic_checks(), "n_cases": 2, "cases": cases}


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


# C15: at the simulated first midpoint crossing the leader is one balanced unit (‖u‖² = 2v², §4.5) along an axis
# e_k of A, so f = w x_k² with w = v u_k² = 2v³ and the §2.6 loss L(w e_k e_kᵀ) at the crossing level fixes w, hence
# the leader's norm √(v² + ‖u‖²) = √3 |v|.  Neglected: the leader's off-axis components (the slower growing
# directions, strength ε^{1 − a_2/a_1}·O(1); they change the norm at relative order δ² = ‖u_⊥‖²/u_k², measured per
# seed) and its O(ε²) initial imbalance, below (C ε)².
C15_C = 10.0  # spec §8 C15: the runner-up is at most C eps with C of order 10 (spec observed 3-6.7)


def judge_c15(measured: dict) -> Verdict:
    """Every seed: the leader's norm within δ² + (C ε)² of the single-unit prediction, the runner-up ≤ C ε."""
    eps, rows = measured["eps"], measured["seeds"]
    if len(rows) != measured["n_seeds"] or not rows:
        return Verdict(False, f"{len(rows)} of {measured['n_seeds']} seeds measured")
    worst, where = worst_of((abs(r["leader_norm"] - r["predicted_norm"]) / r["predicted_norm"]
                           / (r["off_axis"] + (C15_C * eps) ** 2),
                           f"seed {i}: leader {r['leader_norm']:.6g} vs {r['predicted_norm']:.6g}")
                          for i, r in enumerate(rows))
    runner, _ = worst_of((r["runner_up"] / eps, "") for r in rows)
    ok = worst <= 1.0 and runner <= C15_C
    return Verdict(ok, f"worst leader-norm error / budget = {worst:.3g} ({where}); largest runner-up / eps = "
                       f"{runner:.3g} (limit {C15_C:g})")


def _c15_no_separation(measured: dict, d: float) -> dict:
    """No unit separation: the runner-up a fraction d of the leader."""
    return dict(measured, seeds=[dict(r, runner_up=d * r["leader_norm"]) for r in measured["seeds"]])


def _c15_leader(measured: dict, d: float) -> dict:
    return dict(measured, seeds=[dict(r, predicted_norm=r["predicted_norm"] * (1 + d)) for r in measured["seeds"]])


def _single_unit_norm(a, k: int, level: float) -> float:
    """√3|v| of one balanced unit along e_k whose loss L(w e_k e_kᵀ) (§2.6, w = 2v³) first falls to ``level``."""
    a = np.asarray(a, float)

    def loss(w):
        M = np.zeros((a.size, a.size))
        M[k, k] = w
        return quadratic_levels.population_loss(a, M) - level

    w_star = a[k] + quadratic_levels.tau(a, [k]) / 2  # the saddle's weight, where the loss is L({k})
    w = brentq(loss, 0.0, w_star, xtol=1e-15)
    return math.sqrt(3) * abs(w / 2) ** (1 / 3)


@_claim("C15", "Prop. 5 (unit separation): at the first drop the leader is one O(1) unit, with the norm sqrt(3)|v| "
        "of a single balanced unit at the loss midpoint (§2.6), and the runner-up is <= C eps with C ~ 10",
        "spec §5.2, §8 C15 [paper, derived ✓]",
        "per seed (eps = 1e-3, 4 seeds): |leader - predicted| / predicted <= delta^2 + (10 eps)^2, delta^2 the "
        "leader's measured off-axis fraction |u_perp|^2/u_k^2; runner-up / eps <= 10",
        "the single-unit norm neglects the leader's off-axis components (relative order delta^2, measured: the "
        "norm is off by ~0.25 delta^2) and its O(eps^2) initial imbalance; dormant units grow by O(1) factors "
        "during the plateau (e^{lambda tau}, tau = O(1) in the unit's own clock), so C = O(10) (spec observed "
        "3-6.7). Replaces the range [0.5, 3] for the leader",
        judge=lambda m: judge_c15(m),
        wrong=(WrongTheory("no unit separation: runner-up = d x leader", _c15_no_separation, unit="of the leader"),
               WrongTheory("leader norm x (1 + d)", _c15_leader)))
def _c15() -> dict:
    prob, pred, res, t1, sims = _quadratic_first(1e-3)
    a = np.diag(prob.task.a)  # the test bed's A is diagonal and Σ = I (§2.6)
    rows = []
    for b in range(len(sims)):
        th, _ = numerics.interpolate(_fun(prob), res, b, [sims[b]])
        blk = prob.arch.unpack(th)
        norms = np.sqrt(blk["V"][0, :, 0] ** 2 + np.sum(blk["U"][0] ** 2, axis=1))
        order = np.argsort(norms)[::-1]
        u = blk["U"][0][order[0]]
        k = int(np.argmax(np.abs(u)))
        level = 0.5 * (pred.plateau_levels[b][0] + pred.plateau_levels[b][1])  # the crossing's midpoint (§0.7)
        rows.append({"leader_norm": float(norms[order[0]]), "runner_up": float(norms[order[1]]), "axis": k,
                     "off_axis": float((u @ u - u[k] ** 2) / u[k] ** 2),
                     "predicted_norm": _single_unit_norm(a, k, level)})
    return {"eps": 1e-3, "n_seeds": len(sims), "seeds": rows}


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
        "spec §6.6-6.7, §8 C18 [paper, derived ✓]",
        "median gap strictly decreasing over H = 4, 16, 64; every seed must have two finite predicted recruitments",
        "qualitative; the prediction's accuracy against simulation is measured in C16 and docs/accuracy.md. 144 "
        "per-seed predictions take ~30 s, hence the full profile. Judged as C18 (a seed without a second "
        "recruitment is a failure, not an infinite gap inside a median)", profile="full",
        judge=lambda m: judge_c18(m),
        wrong=(WrongTheory("width lengthens plateaus: gaps x (1 + d) per 4x width", _c18_longer),))
def _c18_pred() -> dict:
    gaps = {}
    for H in C18_WIDTHS:
        gaps[str(H)] = [predict_first_two(problem("quadratic", "--width", str(H), "--init-scale", "1e-3", "--seed",
                                                  str(1000 + 10 * sd))) for sd in range(48)]
    return {"widths": list(C18_WIDTHS), "seeds": 48, "gaps": {h: _r(g, 6) for h, g in gaps.items()},
            "median_gap": {h: _r(float(np.median(g)), 4) for h, g in gaps.items()}}


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


# C19: a head escapes like the toy v' = λ²v² of Eq. 21, blowing up at t* ∝ 1/(λ² v_0), and the loss crosses its
# midpoint when M = v³ reaches (1 − 1/√2)/(λ c_λ) (the per-direction ½-loss of §6.8), i.e. at most 1/(λ² v_mid)
# before t* (the −λ³c v⁵ term only delays the crossing). So with one normalised draw a plateau between two drops
# is A/eps + B with |B| ≤ max_m 1/(λ_m² v_mid,m), and gap(eps')/gap(eps) = eps/eps' within
# B_max (1/gap(eps) + 1/gap(eps')) (docs/theory.md §6.6, §6.8).  A plateau removed by equal eigenvalues, as for
# equal singular values of a linear net (C12), would not lengthen with 1/eps at all.
C19_EPS = (1e-2, 1e-3)


def _crossing_offset_bound(lam, context: int) -> float:
    """max_m 1/(λ_m² v_mid), v_mid³ = (1 − 1/√2)/(λ_m c_m): the largest lead of a head's midpoint crossing on its
    blow-up time t* (Eq. 21 without the v⁵ term)."""
    lv = np.asarray(lam, float)
    v_mid = ((1 - 1 / math.sqrt(2)) / (lv * attention.c_factors(lv, context))) ** (1 / 3)
    return float(np.max(1 / (lv**2 * v_mid)))


def judge_c19(measured: dict) -> Verdict:
    """D detected drops at each eps; the plateau between the drops scales as eps^-p with the predicted p, within
    the crossing offsets' bound."""
    D, runs = measured["D"], measured["runs"]
    if len(runs) != 2:
        return Verdict(False, f"{len(runs)} runs, expected 2 (eps and eps')")
    gaps = []
    for r in runs:
        if r["detected_drops"] != D:
            return Verdict(False, f"eps = {r['eps']:g}: {r['detected_drops']} detected drops, expected D = {D}")
        t = r["drop_times"]
        if len(t) != D or not all(math.isfinite(x) for x in t) or not all(t[i + 1] > t[i] for i in range(D - 1)):
            return Verdict(False, f"eps = {r['eps']:g}: drop times {t} are not {D} finite increasing times")
        gaps.append(t[-1] - t[0])
    (e1, g1), (e2, g2) = sorted(zip((r["eps"] for r in runs), gaps, strict=True), reverse=True)
    pred = (e1 / e2) ** measured["predicted_exponent"]
    off = abs(g2 / g1 / pred - 1)
    budget = measured["offset_bound"] * (1 / g1 + 1 / g2)
    return Verdict(off <= budget, f"plateau {g1:.6g} at eps = {e1:g}, {g2:.6g} at eps = {e2:g}: ratio {g2 / g1:.6g} "
                                  f"vs predicted {pred:.6g}, off by {off:.3g} (budget {budget:.3g})")


def _c19_exponent(measured: dict, d: float) -> dict:
    return dict(measured, predicted_exponent=measured["predicted_exponent"] * (1 + d))


@_claim("C19", "Equal eigenvalues do not remove plateaus (attention): Λ = diag(1, 1) still gives D = 2 drops, "
        "separated by a plateau that lengthens like 1/eps", "spec §6.6, §8 C19 [paper]",
        "detected drops = 2 = D at eps = 1e-2 and 1e-3 (H = 4, one normalised draw); plateau ratio "
        "gap(1e-3)/gap(1e-2) = 10 within B (1/gap(1e-2) + 1/gap(1e-3)), B = 1/(lambda^2 v_mid) = 1.55",
        "unit separation: escape times differ by O(1/eps) through the heads' random sizes, independent of the "
        "eigenvalues; each drop's midpoint crossing leads its blow-up by at most 1/(lambda^2 v_mid) (Eq. 21), the "
        "O(1) part of the plateau (measured ~0.4, the ratio 1.4% off 10 for a budget of 6.5%)",
        judge=lambda m: judge_c19(m),
        wrong=(WrongTheory("plateau ~ eps^-(1 + d)", _c19_exponent, unit="exponent"),))
def _c19() -> dict:
    runs = []
    for eps in C19_EPS:
        prob, pred, res = _attn_s("1,1", eps, 4)
        runs.append({"eps": eps, "detected_drops": int(numerics.staircase_from_result(res, 0).n_drops),
                     "drop_times": [float(x) for x in _sim_drops(prob, res, pred.plateau_levels)[0]]})
    return {"D": 2, "predicted_exponent": 1.0, "offset_bound": _crossing_offset_bound([1.0, 1.0], 32),
            "runs": runs}


# C22: ATTN_M with Λ = I is one Saxe mode (§6.8). The reduction neglects the weights outside the mode — each
# head's D² − 1 other key-query directions and the decaying part m of its mode pair — which stay O(eps) and act on
# the mode at relative order ‖θ_0‖² (measured: the drop-time error scales as eps², at 0.1-0.2 ‖θ_0‖² relative).
def judge_c22(measured: dict) -> Verdict:
    """Symbolic identities true; each seed's drop time within ‖θ_0‖² + 1e-8 relative of the sigmoid's, and the
    final loss within the sigmoid's own tail + ‖θ_0‖² (of L_0) of the converged level."""
    failed = [k for k, ok in measured["symbolic"].items() if not ok]
    if failed:
        return Verdict(False, f"symbolic identities fail: {failed}")
    rows = measured["seeds"]
    if len(rows) != measured["n_seeds"] or not rows:
        return Verdict(False, f"{len(rows)} of {measured['n_seeds']} seeds measured")
    worst_t, where = worst_of((abs(r["predicted"] - r["simulated"]) / r["simulated"] / (r["theta0_sq"] + LINEAR_FLOOR),
                             f"seed {i}: {r['simulated']:.9g} vs {r['predicted']:.9g}") for i, r in enumerate(rows))
    worst_l, _ = worst_of((abs(r["final_level"] - r["predicted_level"]) / (r["tail"] + r["theta0_sq"] * r["L0"]), "")
                        for r in rows)
    ok = worst_t <= 1.0 and worst_l <= 1.0
    return Verdict(ok, f"worst drop-time error / budget = {worst_t:.3g} ({where}); worst final-level error / budget "
                       f"= {worst_l:.3g}")


def _c22_c(measured: dict, d: float) -> dict:
    """c = 1 + (1 + D)/N × (1 + d) in the sigmoid (u_0 recovered from the predicted drop time)."""
    s, c = measured["s"], measured["c"]
    rows = []
    for r in measured["seeds"]:
        u0 = s / (c * (1 + (1 + math.sqrt(2)) * math.exp(2 * s * r["predicted"])))
        rows.append(dict(r, predicted=float(saxe.t_mid(s, u0, c * (1 + d)))))
    return dict(measured, seeds=rows)


def _c22_times(measured: dict, d: float) -> dict:
    return dict(measured, seeds=[dict(r, predicted=r["predicted"] * (1 + d)) for r in measured["seeds"]])


def _c22_level(measured: dict, d: float) -> dict:
    return dict(measured, seeds=[dict(r, predicted_level=r["predicted_level"] + d * r["L0"])
                                 for r in measured["seeds"]])


@_claim("C22", "ATTN_M (Λ = I): one Saxe sigmoid with s = sqrt(D), c = 1 + (1 + D)/N, u_0 = |p|^2/4 (Eq. 10)",
        "spec §6.8 Eq. 10, §8 C22 [ICL, derived ✓]",
        "per seed: drop-time rel. error <= |theta_0|^2 + 1e-8; final-level error <= the sigmoid's tail at t_end + "
        "|theta_0|^2 (of L_0) (D = 3, N = 32, H = 4, eps = 1e-4, 2 seeds); symbolic identities exact",
        "neglected: the weights outside the mode (D^2 - 1 directions per head and the decaying part), O(eps) each, "
        "acting on the mode at relative order |theta_0|^2 ~ 3e-7 (measured 2.6e-8 and 6.5e-8, scaling as eps^2); "
        "the spec's 1e-3 was 10^4x looser",
        judge=lambda m: judge_c22(m),
        wrong=(WrongTheory("drop times x (1 + d)", _c22_times),
               WrongTheory("c = 1 + (1 + D)/N x (1 + d)", _c22_c),
               WrongTheory("final level + d L_0", _c22_level, unit="of L_0")))
def _c22() -> dict:
    prob = problem("attn-m", "--cov-eigs", "1,1,1", "--init-scale", "1e-4", "--seeds", "2", "--width", "4")
    pred = predict(prob)
    t_end = 2.0 * max(d[0] for d in pred.drop_times)
    res = _simulate(prob, t_end)
    sims = _sim_drops(prob, res, pred.plateau_levels)
    s, c = attention.merged_mode(1.0, 3, 32)
    rows = []
    for b in range(2):
        t = float(pred.drop_times[b][0])
        u0 = s / (c * (1 + (1 + math.sqrt(2)) * math.exp(2 * s * t)))  # the u_0 the predicted drop time used
        tail = 0.5 * c * (s / c - float(saxe.sigmoid(res[b].t[-1], s, u0, c))) ** 2
        rows.append({"predicted": t, "simulated": float(sims[b][0]) if len(sims[b]) else math.nan,
                     "theta0_sq": float(prob.theta0[b] @ prob.theta0[b]), "final_level": float(res[b].loss[-1]),
                     "predicted_level": float(pred.plateau_levels[b][1]), "L0": float(pred.plateau_levels[b][0]),
                     "tail": tail})
    return {"symbolic": attention.symbolic_checks(), "s": s, "c": c, "n_seeds": 2, "seeds": rows}


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


def judge_c23(measured: dict) -> Verdict:
    """The levels as C10 judges them (every level present, finite, within 1e-3 L_0), D detected drops, and the
    eigen-directions learned in the predicted order (decreasing λ)."""
    levels = judge_c10(measured)
    if not levels.passed:
        return levels
    if measured["detected_drops"] != measured["D"]:
        return Verdict(False, f"{measured['detected_drops']} detected drops, expected D = {measured['D']}")
    if measured["order"] != measured["predicted_order"]:
        return Verdict(False, f"learned order {measured['order']}, predicted {measured['predicted_order']}")
    return Verdict(True, f"{levels.reason}; {measured['D']} drops; order {measured['order']}")


def _c23_finite_n(measured: dict, d: float) -> dict:
    """Levels with the finite-N correction c_d − 1 = (1 + tr Λ/λ_d)/N × (1 + d) (d = −1: the N → ∞ levels)."""
    lv = np.sort(np.asarray(measured["lam"], float))[::-1]
    c = 1 + (attention.c_factors(lv, measured["N"]) - 1) * (1 + d)
    return dict(measured, predicted=[float(x) for x in 0.5 * (lv.sum() - np.concatenate([[0.0], np.cumsum(lv / c)]))])


@_claim("C23", "ATTN_S plateau levels (half of [ICL] Eq. 19 with our ½-loss), D drops, eigenvectors learned in "
        "decreasing λ", "spec §6.8, §8 C23 [ICL]", "levels abs. error < 1e-3 L_0, every level present and finite; "
        "detected drops = D = 3; order (0, 1, 2) (Λ = diag(1, .5, .25), N = 32, H = 5, eps = 1e-2)",
        "the level read at min |dL/dt| is biased by the next head's output lambda^2 v^3 at that time, whose size "
        "depends on where the minimum falls between the drops (up to ~1e-4 L_0 for Λ = I, C19's geometry), so no "
        "tighter a-priori budget than the spec's 1e-3 L_0 is derived; measured 5.5e-6 L_0",
        judge=lambda m: judge_c23(m),
        wrong=(WrongTheory("levels + d L_0", _levels_shifted, unit="of L_0"),
               WrongTheory("finite-N correction (1 + tr Λ/λ)/N x (1 + d)", _c23_finite_n)))
def _c23() -> dict:
    prob, pred, res = _attn_s("1,0.5,0.25", 1e-2, 5)
    from ..predict_cmd import compare

    row = compare(prob, pred, t_max=res[0].t[-1])[0]
    st = numerics.staircase_from_result(res, 0)
    order = _learned_order(prob, res, [r["simulated"] for r in row["drop_times"]])
    lam = [1.0, 0.5, 0.25]
    return {"L0": float(pred.plateau_levels[0][0]), "predicted": [float(x) for x in pred.plateau_levels[0]],
            "seed0": {"simulated": [float(r["simulated"]) for r in row["levels"]]},
            "detected_drops": int(st.n_drops), "D": 3, "order": order,
            "predicted_order": [int(i) for i in attention.learned_order(lam)], "lam": lam, "N": 32}


def judge_c24_trend(measured: dict) -> Verdict:
    """D finite drops; the plateau durations increase strictly with m; the log-log slope of Δ_m against λ_m is
    negative (ordering and sign only, spec §8 C24)."""
    t, lam = measured["drop_times"], measured["lam"]
    if len(t) != len(lam) or len(t) < 2 or not all(math.isfinite(x) for x in t):
        return Verdict(False, f"drop times {t}: expected {len(lam)} finite drops")
    durations = np.diff(np.concatenate([[0.0], t]))
    if not np.all(durations > 0):
        return Verdict(False, f"durations {durations.tolist()} are not all positive")
    slope = float(np.polyfit(np.log(lam), np.log(durations), 1)[0])
    ok = bool(np.all(np.diff(durations) > 0)) and slope < 0
    return Verdict(ok, "durations " + ", ".join(f"{x:.5g}" for x in durations)
                   + (" increase" if np.all(np.diff(durations) > 0) else " do not increase")
                   + f" with m; fitted exponent {slope:.3g} (heuristic {measured['heuristic_exponent']})")


def _c24_no_slower(measured: dict, d: float) -> dict:
    """A theory in which later eigenvectors are no slower: Δ_m = Δ_0 (λ_m/λ_0)^d."""
    lam, t0 = measured["lam"], measured["drop_times"][0]
    return dict(measured, drop_times=[float(x) for x in np.cumsum([t0 * (lm / lam[0]) ** d for lm in lam])])


@_claim("C24-trend", "ATTN_S: later eigenvectors take longer, roughly ∝ λ_m^-2 (heuristic t ≈ 1/(λ²v_0)); ordering "
        "and sign of the trend only", "spec §6.8, §8 C24 [derived] heuristic", "all D = 3 drops found; plateau "
        "durations increase strictly with m and the fitted exponent of Δ_m vs λ_m is negative (reported, not "
        "asserted equal to -2)",
        "the heuristic ignores the random head sizes v_0 (O(1) factors), so only the ordering and sign are tested "
        "(spec)", judge=lambda m: judge_c24_trend(m),
        wrong=(WrongTheory("later eigenvectors no slower: durations ~ lambda_m^d", _c24_no_slower, unit="exponent"),))
def _c24_trend() -> dict:
    prob, pred, res = _attn_s("1,0.5,0.25", 1e-2, 5)
    sims = _sim_drops(prob, res, [pred.plateau_levels[0]])[0]
    return {"lam": [1.0, 0.5, 0.25], "drop_times": [float(x) for x in sims], "heuristic_exponent": -2}


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
# C30 (docs/theory.md §6.10). (a) Scalar: the exact flow is β' = 2(g − β)√(β² + α⁴) and the frozen-residual form
# α² sinh(2gt) drops the −β: the exact flow reaches β a time δ = ∫_0^β β'/(2g(g − β')√(β'² + α⁴)) dβ' ≤
# (1/2g) ln(1/(1 − β/g)) later, so at equal t the frozen form exceeds it by a factor e^{2gδ} ≤ 1/(1 − b): the
# relative error is at most b/(1 − b), b = β_max/g (up to α²/g ~ 1e-12).  This is the first-order term itself,
# not a loose bound: the measured error equals b/(1 − b) to 2e-10, the integrator's share.  (b) Recursion: a jump
# at accelerated time t̃_k happens at t_k = t̃_k ln(1/α) + c_k + o(1) in original time, c_k independent of α: the
# o(1) is the inactive coordinates' strength at the jump, α^{2(1 − |s_j(t̃_k)|)} (the recursion's dual variable
# s_j; measured ~1.6 × that in time), carried to later jumps; the budget of each offset is that strength × t_k,
# C8's relative form.  So the offsets t_k − t̃_k ln(1/α) may differ between two α by the sum of their budgets.
C30_ATOL = 1e-30  # the state starts at √2 α ≥ 1.4e-12, below the default atol 1e-14: use a relative error only


def _jump_exponents(sxx, sxy, times, betas) -> list[float]:
    """Per jump k: min over jumps j ≤ k of 2(1 − max |s_j(i)| over coordinates i still inactive after jump j)."""
    s, beta, tk, out, cur = np.zeros(len(sxy)), np.zeros(len(sxy)), 0.0, [], math.inf
    for t, b in zip(times, betas, strict=True):
        s = s - (t - tk) * (sxx @ beta - sxy)
        tk, beta = t, b
        inactive = np.abs(s)[np.abs(s) < 1 - 1e-9]
        cur = min(cur, 2 * (1 - float(inactive.max())) if inactive.size else math.inf)
        out.append(cur)
    return out


def judge_c30(measured: dict) -> Verdict:
    """(a) the scalar form within b/(1 − b) + 1e-8; (b) for every jump, as many finite simulated jumps as predicted
    at every α, offsets t_k − t̃_k ln(1/α) equal across every pair of α within the pair's budgets, and the
    relative error in accelerated time < 10% at the smallest α (spec)."""
    sc = measured["scalar"]
    err = _max_rel(sc["predicted"], sc["simulated"])
    b = max(sc["simulated"], default=math.nan) / sc["g"]
    scalar_budget = b / (1 - b) + LINEAR_FLOOR
    rec = measured["recursion"]
    times, expo, alphas = rec["times"], rec["exponents"], rec["alphas"]
    n = len(times)
    if len(expo) != n or len(rec["simulated"]) != len(alphas) or len(alphas) < 2:
        return Verdict(False, f"{n} jumps, {len(expo)} exponents, runs at {len(rec['simulated'])} of "
                              f"{len(alphas)} alphas")
    for a, sim in zip(alphas, rec["simulated"], strict=True):
        if len(sim) != n or not all(math.isfinite(x) for x in sim):
            return Verdict(False, f"alpha = {a:g}: simulated jumps {sim}, expected {n} finite")
    items = []
    for k in range(n):
        off = [sim[k] - times[k] * math.log(1 / a) for a, sim in zip(alphas, rec["simulated"], strict=True)]
        bud = [a ** expo[k] * sim[k] + LINEAR_FLOOR * sim[k] for a, sim in zip(alphas, rec["simulated"], strict=True)]
        items += [(abs(off[i] - off[j]) / (bud[i] + bud[j]),
                   f"jump {k + 1}: offsets {', '.join(f'{x:.6g}' for x in off)}")
                  for i in range(len(off)) for j in range(i)]
    worst, where = worst_of(items)
    a_min = min(alphas)
    sim_min = rec["simulated"][alphas.index(a_min)]
    late = max(abs(sim_min[k] / math.log(1 / a_min) - times[k]) / times[k] for k in range(n))
    ok = err <= scalar_budget and worst <= 1.0 and late < 0.1
    return Verdict(ok, f"scalar error {err:.6g} (budget {scalar_budget:.6g}); worst offset spread / budget = "
                       f"{worst:.3g} ({where}); rel. error at alpha = {a_min:g}: {late:.3g} (< 0.1)")


def _c30_scalar(which: str):
    def apply(measured: dict, d: float) -> dict:
        sc = measured["scalar"]
        t = np.asarray(sc["t"])
        rate, pre = 2 * sc["g"] * (1 + d if which == "rate" else 1), sc["alpha"] ** 2 * (1 + d if which == "pre" else 1)
        return dict(measured, scalar=dict(sc, predicted=[float(x) for x in pre * np.sinh(rate * t)]))
    return apply


def _c30_times(measured: dict, d: float) -> dict:
    rec = measured["recursion"]
    return dict(measured, recursion=dict(rec, times=[x * (1 + d) for x in rec["times"]]))


@_claim("C30", "Diagonal linear net: beta = alpha^2 sinh(2gt) early; first jump t_1 ~ ln(1/alpha)/||X^T y/n||_inf; "
        "the jump recursion (accelerated time) matches simulation as alpha -> 0: t_k = t~_k ln(1/alpha) + O(1)",
        "spec §6.10, §8 C30 [recalled setup, derived]",
        "scalar form rel. error <= b/(1 - b) + 1e-8 while beta <= b g, b = 1e-4; recursion (alpha = 1e-4, 1e-8, "
        "1e-12): every jump found, its offset t_k - t~_k ln(1/alpha) alpha-independent within "
        "alpha^{2(1 - |s_j|)} t_k per alpha (s_j: the inactive coordinates' dual variables at the jump), and the "
        "relative error < 10% at alpha = 1e-12",
        "scalar: the neglected -beta in the residual delays the exact flow, a relative error of at most b/(1 - b) "
        "(measured: b/(1 - b) + 2e-10); recursion: finite-alpha corrections are an alpha-independent O(1) in "
        "original time (hence O(1/ln(1/alpha)) relative, as the spec says) plus the inactive coordinates' "
        "growth, the neighbour term of C8. Flows at atol 1e-30: the default 1e-14 exceeds the alpha = 1e-12 "
        "state and had moved the offsets by 6e-4",
        judge=lambda m: judge_c30(m),
        wrong=(WrongTheory("scalar prefactor alpha^2 x (1 + d)", _c30_scalar("pre")),
               WrongTheory("scalar rate 2g x (1 + d)", _c30_scalar("rate")),
               WrongTheory("jump times t~_k x (1 + d)", _c30_times)))
def _c30() -> dict:
    # (a) scalar: y = g x, u_0 = √2 α, v_0 = 0.
    g, al = 1.5, 1e-6
    prob = problem("diagonal-linear", "--target-coefs", "1.5")
    th0 = prob.arch.pack({"V": np.zeros((1, 1, 1)), "U": np.full((1, 1, 1), math.sqrt(2) * al)})
    t_small = math.asinh(1e-4 * g / al**2) / (2 * g)
    m = _simulate(prob, t_small, theta0=th0, atol=C30_ATOL)[0]
    beta_sim = [float(prob.arch.effective_matrix(th[None])[0][0, 0]) for th in m.theta]
    scalar = {"g": g, "alpha": al, "t": [float(x) for x in m.t_saved], "simulated": beta_sim,
              "predicted": [float(x) for x in al**2 * np.sinh(2 * g * m.t_saved)]}
    # (b) recursion on correlated inputs.
    sxx = np.array([[1.0, 0.6, 0.2], [0.6, 1.0, 0.3], [0.2, 0.3, 1.0]])
    bstar = np.array([1.0, -0.8, 0.5])
    sxy = sxx @ bstar
    task = numerics.LinearRegressionTask(sxx, sxy[None, :])
    arch = numerics.build_architecture("diagonal-linear", dim=3)
    times, betas = diagonal.jump_recursion(sxx, sxy)
    levels = [0.5 * float(bstar @ sxx @ bstar)] + [0.5 * float((b - bstar) @ sxx @ (b - bstar)) for b in betas]
    fun = lambda th: numerics.loss_and_grad(arch, task, th)  # noqa: E731
    alphas, sims = [1e-4, 1e-8, 1e-12], []
    for a in alphas:
        th0 = arch.pack({"V": np.zeros((1, 3, 1)), "U": np.full((1, 3, 1), math.sqrt(2) * a)})
        r = numerics.gradient_flow(fun, th0, 1.2 * times[-1] * math.log(1 / a) + 5, gtol=0, atol=C30_ATOL)
        sims.append([float(x) for x in numerics.staircase_from_result(r, 0, fun=fun, levels=np.array(levels))
                     .drop_times])
    return {"scalar": scalar,
            "recursion": {"times": [float(x) for x in times], "levels": _r(levels), "alphas": alphas,
                          "exponents": _jump_exponents(sxx, sxy, times, betas), "simulated": sims}}


# ------------------------------------------------------------------------------------------------ deep chain
# C31 (docs/theory.md §6.9). With t* = ∫_{u_0}^∞ da/(N s a^{2−2/N}) and t_{s/2} = ∫_{u_0}^{s/2} da/(N a^{2−2/N}(s − a)),
# the offset is exactly t* − t_{s/2} = c_N + ∫_0^{u_0} a^{−1+2/N}/(N s (s − a)) da, with the u_0 → 0 limit c_N of
# §6.9; the remainder lies in [u_0^{2/N}/(2s²), u_0^{2/N}/(2s(s − u_0))].  The quadratures run at epsrel 1e-12
# (1e-9 absolute on t ≈ 1000); the simulated crossing is DOP853 at rtol 1e-10 refined on its dense output, LINEAR_FLOOR.
C31_QUAD = 1e-12
C31_DOC = {"3": 0.85, "4": 0.27}  # the values §6.9 quotes, to two decimals


def _chain_offset_limit(n: int, s_val: float) -> float:
    """c_N = ∫_{s/2}^∞ da/(N s a^{2−2/N}) − ∫_0^{s/2} a^{−1+2/N}/(N s (s − a)) da (the second in ln a)."""
    head = (s_val / 2) ** (-(1 - 2 / n)) / ((n - 2) * s_val)
    f = lambda x: math.exp(2 * x / n) / (n * s_val * (s_val - math.exp(x)))  # noqa: E731
    val, _ = quad(f, -math.inf, math.log(s_val / 2), limit=400, epsabs=0, epsrel=C31_QUAD)
    return head - val


def judge_c31(measured: dict) -> Verdict:
    """Symbolic checks true; the simulated depth-3 crossing at the quadrature time within 1e-8; for N = 3, 4 the
    offset t* − t_{s/2} minus its limit c_N inside [u_0^{2/N}/(2s²), u_0^{2/N}/(2s(s − u_0))] (± quadrature);
    c_N equal to §6.9's quoted value to its two decimals; offset/t* < 1e-3 at w_0 = 1e-3 (spec)."""
    failed = [k for k, ok in measured["symbolic"].items() if not ok]
    if failed:
        return Verdict(False, f"symbolic identities fail: {failed}")
    s = measured["s"]
    sim = abs(measured["t_sim"] - measured["N3"]["t_half"]) / measured["N3"]["t_half"]
    notes, ok = [f"simulated vs quadrature {sim:.3g} (budget {LINEAR_FLOOR:g})"], sim <= LINEAR_FLOOR
    for key in ("N3", "N4"):
        r, n = measured[key], int(key[1:])
        off = r["t_star"] - r["t_half"]
        lo = r["u0"] ** (2 / n) / (2 * s**2)
        hi = r["u0"] ** (2 / n) / (2 * s * (s - r["u0"]))
        slack = C31_QUAD * (r["t_star"] + r["t_half"] + abs(r["limit"]))
        rem = off - r["limit"]
        inside = lo - slack <= rem <= hi + slack
        doc = abs(r["limit"] - C31_DOC[key[1:]]) <= 0.005
        ok = ok and inside and doc
        notes.append(f"N={n}: offset {off:.9g} = c_N {r['limit']:.9g} + {rem:.7g} (expected [{lo:.7g}, {hi:.7g}] "
                     f"± {slack:.2g}){'' if doc else f', c_N not the quoted {C31_DOC[key[1:]]}'}")
    rel = (measured["N3"]["t_star"] - measured["N3"]["t_half"]) / measured["N3"]["t_star"]
    ok = ok and rel < 1e-3
    return Verdict(bool(ok), "; ".join(notes) + f"; offset / t* = {rel:.3g} (< 1e-3)")


def _c31_tstar(measured: dict, d: float) -> dict:
    """A blow-up time t* × (1 + d)."""
    return dict(measured, **{k: dict(measured[k], t_star=measured[k]["t_star"] * (1 + d)) for k in ("N3", "N4")})


def _c31_exponent(measured: dict, d: float) -> dict:
    """A blow-up law u_0^{−(1−2/N)(1 + d)}/((N − 2)s)."""
    s = measured["s"]
    return dict(measured, **{k: dict(measured[k], t_star=measured[k]["u0"] ** (-(1 - 2 / int(k[1:])) * (1 + d))
                                     / ((int(k[1:]) - 2) * s)) for k in ("N3", "N4")})


def _c31_time(measured: dict, d: float) -> dict:
    """The time to s/2 × (1 + d)."""
    return dict(measured, N3=dict(measured["N3"], t_half=measured["N3"]["t_half"] * (1 + d)))


@_claim("C31", "Balanced depth-N chain: a' = N a^(2-2/N)(s - a) blows up at t* = u_0^-(1-2/N)/((N-2)s); the time to "
        "s/2 is t* - O(1), the O(1) tending to c_3 = 0.85, c_4 = 0.27 as u_0 -> 0", "spec §6.9, §8 C31 [derived ✓]",
        "simulated depth-3 time to s/2 = quadrature to 1e-8 rel.; t* - t_{s/2} - c_N inside [u_0^{2/N}/(2s^2), "
        "u_0^{2/N}/(2s(s - u_0))] up to quadrature (1e-12 rel.) for N = 3 (w_0 = 1e-3) and N = 4 (u_0 = 1e-12); "
        "c_N = 0.85, 0.27 to two decimals; (t* - t_{s/2})/t* < 1e-3",
        "the offset's dependence on u_0 is one explicit integral, bracketed to O(u_0^{1+2/N}); the simulation is "
        "DOP853 at rtol 1e-10 (LINEAR_FLOOR 1e-8 relative; measured < 1e-9); the spec's 0.01 on the offsets was "
        "10^4x looser than its u_0-correction (5e-7)",
        judge=lambda m: judge_c31(m),
        wrong=(WrongTheory("blow-up time t* x (1 + d)", _c31_tstar),
               WrongTheory("blow-up exponent (1 - 2/N) x (1 + d)", _c31_exponent, unit="exponent"),
               WrongTheory("time to s/2 x (1 + d)", _c31_time)))
def _c31() -> dict:
    w0, s = 1e-3, 1.0
    prob = problem("deep-linear", "--singular-values", "1", "--width", "1", "--hidden", "1")
    blk = {"V": np.full((1, 1, 1), w0), "U": np.full((1, 1, 1), w0), "W1": np.full((1, 1, 1), w0)}
    tq = deep_chain.time_to(3, s, w0**3, s / 2)
    res = _simulate(prob, 1.2 * tq, theta0=prob.arch.pack(blk))
    t_sim = numerics.refine_crossing(_fun(prob), res, 0, s**2 / 8)  # ½(s − a)² = s²/8 ⇔ a = s/2
    rows = {}
    for n, u0 in ((3, w0**3), (4, 1e-12)):
        rows[f"N{n}"] = {"u0": u0, "t_star": deep_chain.blowup_time(n, s, u0),
                         "t_half": deep_chain.time_to(n, s, u0, s / 2), "limit": _chain_offset_limit(n, s)}
    return {"symbolic": deep_chain.symbolic_checks(), "s": s, "w0": w0, "t_sim": float(t_sim), **rows}
