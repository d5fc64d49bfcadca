"""Fig. 2 (width, data, initialisation structure and scale), Fig. 4G (cubic), Fig. 5 (deep linear) and the
drop-time-versus-ln(1/ε) figure, reproduced and asserted (spec §6.6, §7.1; claims C26, C27, C29).

Each claim simulates a small batch of seeds (batched DOP853 gradient flow, spec §0.6) and asserts the paper's
qualitative statement as a number; the tolerance of each is justified from the neglected order of the asymptotics.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

import numerics
from numerics.complexity import complexity, unit_norms
from theory.closed_forms import attention as cf_attention
from theory.closed_forms import linear_modes as cf_linear
from theory.closed_forms import saxe as cf_saxe

from ..experiment import run_experiment
from ..figures import draw_c26, draw_c27, draw_c29, draw_fig2b, draw_fig4g, figures_enabled, new_figure, save_figure
from ..registry import REGISTRY, Measurement, Verdict, WrongTheory, finite
from .predictions import neighbour_budget


def _expected_drop(s: float, eps: float, h: int, k: int) -> float:
    """E t_k^drop of mode k at init scale ε: E t_half (§6.4) less the half-strength-to-midpoint offset (§0.7)."""
    return cf_linear.expected_t_half(s, eps, h, k) - cf_saxe.LN_1P_SQRT2 / (2 * s)


def _curve(member) -> tuple[np.ndarray, np.ndarray]:
    return member.t, member.loss


def _gaps(exp, k: int) -> list[float]:
    """Per seed, drop k − drop k−1; NaN for a seed with fewer than k + 1 drops (counted by the judge, never
    silently left out of a median)."""
    return [float(st.drop_times[k] - st.drop_times[k - 1]) if st.n_drops > k else math.nan
            for st in exp.staircases]


FIG2A_LINEAR_TOL = 0.15  # see the claim's justification


def judge_fig2a(measured: dict) -> Verdict:
    """Every seed has its gap at every width; the linear median's relative change from H = 4 to 64 matches the
    expected-value prediction within FIG2A_LINEAR_TOL; attention's median gap shortens from H = 2 to 16 by at least
    twice the linear change."""
    for name in ("linear_gaps", "attention_gaps"):
        for h, g in measured[name].items():
            missing = sum(not math.isfinite(x) for x in g)
            if not g or missing:
                return Verdict(False, f"{name} H = {h}: {missing} of {len(g)} seeds lack the second drop")
    lin = {int(h): float(np.median(g)) for h, g in measured["linear_gaps"].items()}
    att = {int(h): float(np.median(g)) for h, g in measured["attention_gaps"].items()}
    (h0, h1), (a0, a1) = sorted(lin), sorted(att)
    lin_change = (lin[h1] - lin[h0]) / lin[h0]
    att_change = (att[a1] - att[a0]) / att[a0]
    off = abs(lin_change - measured["linear_predicted_change"])
    ok = off <= FIG2A_LINEAR_TOL and att_change < 0 and abs(att_change) >= 2 * abs(lin_change)
    return Verdict(ok, f"linear median change {lin_change:.3g} vs predicted {measured['linear_predicted_change']:.3g} "
                       f"(off {off:.3g}, tolerance {FIG2A_LINEAR_TOL}); attention change {att_change:.3g} (must be "
                       f"negative and at least twice {abs(lin_change):.3g} in size)")


def _fig2a_prediction_off(measured: dict, d: float) -> dict:
    return dict(measured, linear_predicted_change=measured["linear_predicted_change"] + d)


@REGISTRY.claim("fig2A", statement="Width: more units shorten the plateaus of linear attention (unit separation) "
                "but barely change those of a linear FC net (direction separation)",
                source="paper Fig. 2A, §6.6; spec §6.4, §6.7", tolerance="every seed shows the drops; linear: "
                "relative change of the median plateau Δ_2 from H = 4 to 64 within 0.15 of the expected-value "
                "prediction; attention: relative shortening of the median gap from H = 2 to 16 at least twice the "
                "linear change",
                justification="linear: E Δ_2 depends on H only through the O(1) digamma terms of E t_k "
                "(theory.closed_forms.linear_modes.expected_t_half), and the median of 6 draws scatters by "
                "≈ 0.06 relative (0.15 allows 2.5σ); attention: the gap between the first two order statistics "
                "of the initial head sizes shrinks with H (spec §6.7), widths a factor 8 apart so that 8-seed "
                "medians resolve it",
                judge=lambda m: judge_fig2a(m),
                wrong=(WrongTheory("predicted linear change + d", _fig2a_prediction_off, unit="absolute"),))
def _fig2a() -> Measurement:
    s = np.array([3.0, 2.0, 1.0])
    lin_levels = cf_linear.plateau_levels(s, trace_syy=float(np.sum(s**2)))
    lam = [1.0, 0.5]
    att_levels = cf_attention.separate_levels(lam, 32)
    lin, att = {}, {}
    for h in (4, 64):
        exp = run_experiment(numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=h),
                             numerics.whitened(s), 1e-5, seeds=6, t_max=40.0, save_every=8, levels=lin_levels)
        lin[str(h)] = _gaps(exp, 1)
    for h in (2, 16):
        exp = run_experiment(numerics.build_architecture("attn-s", dim=2, width=h),
                             numerics.ICLTask(np.diag(lam), 32), 1e-3, seeds=8, t_max=1e5, save_every=8,
                             levels=att_levels)
        att[str(h)] = _gaps(exp, 1)

    def expected_gap(h: int) -> float:
        return (cf_linear.expected_t_half(s[1], 1e-5, h, 2) - cf_linear.expected_t_half(s[0], 1e-5, h, 1)
                - cf_saxe.LN_1P_SQRT2 / (2 * s[1]) + cf_saxe.LN_1P_SQRT2 / (2 * s[0]))

    predicted_change = (expected_gap(64) - expected_gap(4)) / expected_gap(4)
    med = {k: {h: float(np.nanmedian(g)) if np.isfinite(g).any() else math.nan for h, g in v.items()}
           for k, v in (("linear", lin), ("attention", att))}
    figs = ()
    if figures_enabled():
        fig, (ax,) = new_figure()
        ax.plot([4, 64], np.array([med["linear"]["4"], med["linear"]["64"]]) / med["linear"]["4"], "o-",
                label="linear FC: plateau Δ_2 / Δ_2(H=4)")
        ax.plot([2, 16], np.array([med["attention"]["2"], med["attention"]["16"]]) / med["attention"]["2"], "s-",
                label="linear attention: gap between drops / gap(H=2)")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("width H (units / heads)")
        ax.set_ylabel("median plateau length (relative)")
        ax.legend(fontsize=7)
        figs = (save_figure(fig, "fig2A_width"),)
    return Measurement(passed=False, measured={"linear_gaps": lin, "attention_gaps": att,
                                               "linear_median_delta2": med["linear"],
                                               "attention_median_gap": med["attention"],
                                               "linear_predicted_change": predicted_change}, figures=figs)


def _increasing(xs) -> bool:
    return finite(*xs) and all(b > a for a, b in zip(xs[:-1], xs[1:], strict=True))


def _geometric(measured: dict, rows: list[str], field: str, d: float, sign: float) -> dict:
    """Row j's ``field`` replaced by the first row's × (1 + sign·d)^j: a theory in which the swept parameter moves
    the quantity the wrong way (the pattern of C18's wrong theory)."""
    base = measured[rows[0]][field]
    out = dict(measured)
    for j, k in enumerate(rows):
        out[k] = dict(measured[k], **{field: [x * (1 + sign * d) ** j for x in base]})
    return out


def fitted_slopes(x, times) -> list[float]:
    """Least-squares slope of each column of ``times`` (rows: points x)."""
    return [float(v) for v in np.atleast_1d(np.polyfit(np.asarray(x, float), np.asarray(times, float), 1)[0])]


def slope_budget(x, times, rel) -> list[float]:
    """Bound on |fitted slope − true slope| of each column when t_i is off the law a·x_i + c by at most
    rel_i·t_i: Σ_i |w_i| rel_i t_i, w the least-squares weights of the slope (a common offset c cancels exactly).

    >>> [round(b, 6) for b in slope_budget([0.0, 1.0], [[1.0], [2.0]], [[0.1], [0.0]])]
    [0.1]
    """
    x = np.asarray(x, float)
    w = (x - x.mean()) / np.sum((x - x.mean()) ** 2)
    return [float(v) for v in np.sum(np.abs(w)[:, None] * np.asarray(rel, float) * np.asarray(times, float), axis=0)]


def _slope_verdict(x, times, rel, predicted, s, what: str) -> Verdict:
    """Each mode's fitted slope within its budget (relative to 1/s_k) of the predicted slope."""
    slopes = fitted_slopes(x, times)
    budget = [b * sk for b, sk in zip(slope_budget(x, times, rel), s, strict=True)]
    off = [abs(sl / p - 1) for sl, p in zip(slopes, predicted, strict=True)]
    ok = all(o <= b for o, b in zip(off, budget, strict=True))
    return Verdict(ok, f"{what}: relative slope errors " + ", ".join(f"{o:.3g} (budget {b:.3g})"
                                                                    for o, b in zip(off, budget, strict=True)))


def _slopes_scaled(measured: dict, d: float) -> dict:
    return dict(measured, predicted=[p * (1 + d) for p in measured["predicted"]])


def _drop_rows(measured: dict, n_points: int, n_modes: int) -> str | None:
    """Why the drop-time table cannot be fitted (None: n_points rows of n_modes finite increasing times)."""
    rows = measured["drop_times"]
    if len(rows) != n_points or any(len(r) != n_modes for r in rows):
        return f"drop times {[len(r) for r in rows]} per point, {n_modes} modes at {n_points} points expected"
    bad = [j for j, r in enumerate(rows) if not _increasing(r)]
    return f"points {bad}: drop times not finite and increasing (a drop not found)" if bad else None


FIG2B_ALPHA = (0.0, 0.5, 1.0, 2.0)


def judge_fig2b(measured: dict) -> Verdict:
    """Every seed at every α crosses all D level midpoints (finite spans) and ends at rank D; α = 0 shows the
    predicted single drop, the largest α one drop per mode; the median span increases strictly with α; every
    attention seed shows the predicted D drops."""
    pred, n, D, alphas = measured["predicted"], measured["seeds"], measured["D"], measured["alpha"]
    if len(alphas) < 3 or alphas != sorted(alphas) or len(set(alphas)) != len(alphas) or alphas[0] != 0:
        return Verdict(False, f"exponents {alphas}: need at least three, increasing from 0")
    medians = []
    for a in alphas:
        row = measured.get(f"linear alpha={a:g}")
        if row is None or any(len(row[k]) != n for k in ("detected_drops", "crossings", "spans", "final_rank")):
            return Verdict(False, f"α = {a:g}: not measured for all {n} seeds")
        if row["crossings"] != [D] * n or not finite(*row["spans"]) or min(row["spans"]) <= 0:
            return Verdict(False, f"α = {a:g}: level midpoints crossed {row['crossings']} of {D}, spans "
                                  f"{row['spans']}")
        if row["final_rank"] != [pred["final_rank"]] * n:
            return Verdict(False, f"α = {a:g}: final ranks {row['final_rank']}, predicted {pred['final_rank']}")
        medians.append(float(np.median(row["spans"])))
    first, last = (measured[f"linear alpha={a:g}"]["detected_drops"] for a in (alphas[0], alphas[-1]))
    if first != [pred["drops at alpha=0"]] * n or last != [pred["drops at largest alpha"]] * n:
        return Verdict(False, f"detected drops {first} at α = {alphas[0]:g} (predicted {pred['drops at alpha=0']}), "
                              f"{last} at α = {alphas[-1]:g} (predicted {pred['drops at largest alpha']})")
    att = measured["attention equal eigenvalues"]["n_drops"]
    if len(att) != measured["attention_seeds"] or att != [pred["attention drops"]] * len(att):
        return Verdict(False, f"attention drops {att}, predicted {pred['attention drops']} for each of "
                              f"{measured['attention_seeds']} seeds")
    ok = all(b > a for a, b in zip(medians[:-1], medians[1:], strict=True))
    return Verdict(ok, "drop counts as predicted; median spans " + ", ".join(f"α={a:g}: {m:.4g}" for a, m in
                                                                            zip(alphas, medians, strict=True))
                   + (" increase strictly" if ok else " do not increase strictly"))


def _fig2b_no_merge(measured: dict, d: float) -> dict:
    """Equal s_k still learned one by one: D drops at α = 0."""
    return dict(measured, predicted=dict(measured["predicted"], **{"drops at alpha=0": measured["D"]}))


def _fig2b_attention_merges(measured: dict, d: float) -> dict:
    """Equal eigenvalues merge attention's drops as they merge the linear modes: one drop."""
    return dict(measured, predicted=dict(measured["predicted"], **{"attention drops": 1}))


def _fig2b_shrinking(measured: dict, d: float) -> dict:
    return _geometric(measured, [f"linear alpha={a:g}" for a in measured["alpha"]], "spans", d, -1.0)


@REGISTRY.claim("fig2B", statement="Data: for power-law singular values s_k = 3k^(−α) the plateaus shrink as α → 0 "
                "and α = 0 leaves a single drop (rank 0 → D at once); equal eigenvalues keep attention's plateaus "
                "(D drops)", source="paper Fig. 2B, §6.6; spec C12, C19",
                tolerance="exact drop counts at α = 0 (1) and α = 2 (D = 4) and final rank D for each of 2 seeds; "
                "every seed crosses all D level midpoints; median span between the first and last crossing strictly "
                "increasing in α; attention: D = 3 drops for each of 3 seeds",
                justification="equal s_k share one sigmoid (Thm 4 with multiplicity D); plateau k lasts "
                              "ln(1/ε)(1/s_k − 1/s_(k−1)), which grows with α; unit separation needs no distinct "
                              "eigenvalues. Qualitative (counts, an ordering): each wrong theory is rejected at any "
                              "size",
                judge=lambda m: judge_fig2b(m),
                wrong=(WrongTheory("alpha = 0 keeps D drops", _fig2b_no_merge, unit="count (d unused)"),
                       WrongTheory("equal eigenvalues merge attention's drops", _fig2b_attention_merges,
                                   unit="count (d unused)"),
                       WrongTheory("plateaus shrink with alpha: span x (1 - d) per step", _fig2b_shrinking)))
def _fig2b() -> Measurement:
    D, seeds = 4, 2
    measured = {"alpha": list(FIG2B_ALPHA), "D": D, "seeds": seeds}
    draw = {"alpha": [], "linear_curves": [], "linear_levels": [], "span_predicted": []} if figures_enabled() else None
    spans = []
    for alpha in FIG2B_ALPHA:
        s = 3.0 * np.arange(1, D + 1, dtype=float) ** (-alpha)
        # Crossings of the known levels (spec §6.5) stay defined when close s_k merge the drops.
        levels = cf_linear.plateau_levels(s, trace_syy=float(np.sum(s**2)))
        exp = run_experiment(numerics.build_architecture("linear-fc", d_in=D, d_out=D, width=8),
                             numerics.whitened(s), 1e-5, seeds=seeds, t_max=80.0 * 2**alpha, save_every=2,
                             levels=levels)
        span = [float(st.drop_times[-1] - st.drop_times[0]) for st in exp.staircases]
        measured[f"linear alpha={alpha:g}"] = {
            "detected_drops": [int(numerics.staircase_from_result(exp.result, m).n_drops) for m in range(seeds)],
            "crossings": [int(st.n_drops) for st in exp.staircases], "spans": span,
            "final_rank": [exp.final_width(m) for m in range(seeds)]}
        spans.append(float(np.median(span)))
        if draw is not None:
            # Equal s_k share one sigmoid (§5.1, multiplicity), so only the levels between distinct values are
            # visited plateaus.
            visited = [k for k in range(len(levels)) if k in (0, len(s)) or s[k - 1] > s[k]]
            draw["alpha"].append(alpha)
            draw["linear_curves"].append(_curve(exp.result.members[0]))
            draw["linear_levels"].append(levels[visited])
            draw["span_predicted"].append(_expected_drop(s[-1], 1e-5, 8, 4) - _expected_drop(s[0], 1e-5, 8, 1))
    exp = run_experiment(numerics.build_architecture("attn-s", dim=3, width=8),
                         numerics.ICLTask(np.eye(3) * 0.5, 32), 1e-3, seeds=3, t_max=1e5, save_every=4)
    measured["attention equal eigenvalues"] = {"D": 3, "n_drops": [int(st.n_drops) for st in exp.staircases]}
    measured["attention_seeds"] = 3
    measured["median_span"] = spans
    measured["predicted"] = {"drops at alpha=0": 1, "drops at largest alpha": D, "final_rank": D,
                             "attention drops": 3}
    figs = ()
    if draw is not None:
        draw.update(span=spans, attention_curves=[_curve(m) for m in exp.result.members],
                    attention_levels=cf_attention.separate_levels([0.5, 0.5, 0.5], 32))
        figs = (draw_fig2b(draw),)
    return Measurement(passed=False, measured=measured, figures=figs)


def _near_manifold_init(h: int, d: int, delta: float, seed: int) -> np.ndarray:
    """Large rank-1 weights V = xγᵀ, U = yγᵀ (‖W‖ = O(1), not aligned with the modes) plus δ·N(0, 1)."""
    rng = np.random.default_rng(seed)
    x, y, g = rng.standard_normal(d), rng.standard_normal(d), rng.standard_normal(h)
    x, y, g = x / np.linalg.norm(x), y / np.linalg.norm(y), g / np.linalg.norm(g)
    v = np.outer(g, x)
    u = np.outer(g, y)
    return np.concatenate([v.ravel(), u.ravel()])[None] + delta * rng.standard_normal((1, 2 * h * d))


# Away from saddles the relative rate ‖∇L‖²/L is O(s_k²) = O(1); at the start of a plateau it is O(δ) (≤ 1e-5
# here): 0.1 separates the two by four decades on either side.
C26_INITIAL_RATE = 0.1


def c26_rel_budget(s, delta: float) -> list[float]:
    """Relative drop-time budget of each mode when the modes grow from O(δ) (§6.6): the next mode's strength at
    the crossing, δ^{1 − s_{k+1}/s_k} (C8's ε^{2(1 − s_{k+1}/s_k)} with ε² → δ), the O(δ) init terms, and the
    integrator's floor."""
    return [b + delta for b in neighbour_budget(s, math.sqrt(delta))]


def judge_c26(measured: dict) -> Verdict:
    """Fast initial fall (rate > C26_INITIAL_RATE), the predicted number of detected drops at every δ (no first
    drop), and the slope of each later mode's drop time against ln(1/δ) within its budget
    (:func:`slope_budget` of :func:`c26_rel_budget`) of 1/s_k."""
    rate, deltas, s = measured["initial_rate |dL/dt|/L0"], measured["delta"], measured["s"]
    if not (math.isfinite(rate) and rate > C26_INITIAL_RATE):
        return Verdict(False, f"initial relative rate {rate:.3g} (must exceed {C26_INITIAL_RATE}: no plateau)")
    if measured["n_drops"] != [measured["predicted_drops"]] * len(deltas) or len(deltas) < 3:
        return Verdict(False, f"detected drops {measured['n_drops']} at δ = {deltas}, predicted "
                              f"{measured['predicted_drops']} each (at least three δ)")
    modes = measured["modes"]
    why = _drop_rows(measured, len(deltas), len(modes))
    if why:
        return Verdict(False, why)
    if len(measured["predicted"]) != len(modes) or not finite(*measured["predicted"]):
        return Verdict(False, f"predicted slopes {measured['predicted']} for modes {modes}")
    rel = [[c26_rel_budget(s, dl)[k - 1] for k in modes] for dl in deltas]
    v = _slope_verdict(np.log(1 / np.asarray(deltas)), measured["drop_times"], rel, measured["predicted"],
                       [s[k - 1] for k in modes], f"modes {modes}")
    return Verdict(v.passed, f"initial rate {rate:.3g}; drops {measured['n_drops']}; " + v.reason)


def _c26_initial_plateau(measured: dict, d: float) -> dict:
    """A plateau at the start: one drop more than the later modes."""
    return dict(measured, predicted_drops=measured["predicted_drops"] + 1)


@REGISTRY.claim("C26", statement="Init near a low-rank manifold, away from saddles: no initial plateau (the loss "
                "falls at once), later plateaus present, and the plateau of mode k grows like ln(1/δ)/s_k",
                source="paper Fig. 2C, §6.6; spec C26 [derived scaling]",
                tolerance="initial |dL/dt|/L_0 > 0.1; no first drop, 2 later drops at each δ (detected); slope of "
                          "each drop time (midpoint crossing of the §6.5 levels) against ln(1/δ) within its budget "
                          "of 1/s_k (k = 2, 3): Σ_i |w_i| b_k(δ_i) t_k(δ_i), w the fit's weights, "
                          "b_k = δ^(1 − s_(k+1)/s_k) + δ + 1e-8",
                justification="mode k grows from O(δ) like δe^{s_k t}: t_k = ln(1/δ)/s_k + O(1), the O(1) cancels "
                              "in the fit over δ = 1e-5, 1e-7, 1e-9 (same normalised draw); neglected per point: the "
                              "next mode's strength δ^(1 − s_(k+1)/s_k) (as in C8), O(δ) init terms and the "
                              "integrator (1e-8); budgets 3.2e-3 and 1.3e-5, measured 2.3e-4 and 6e-7",
                judge=lambda m: judge_c26(m),
                wrong=(WrongTheory("slope 1/s_k x (1 + d)", _slopes_scaled),
                       WrongTheory("an initial plateau (one drop more)", _c26_initial_plateau,
                                   unit="count (d unused)")))
def _c26() -> Measurement:
    s = np.array([3.0, 2.0, 1.0])
    arch = numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=6)
    task = numerics.whitened(s)
    deltas = [1e-5, 1e-7, 1e-9]
    theta0 = np.vstack([_near_manifold_init(6, 3, d, seed=1) for d in deltas])
    exp = run_experiment(arch, task, 1.0, theta0=theta0, t_max=60.0, save_every=4)
    loss0, grad0 = numerics.loss_and_grad(arch, task, theta0)
    initial_rate = float(np.min(np.sum(grad0**2, axis=1) / loss0))
    # No initial plateau means no first drop is detected (the loss falls from t = 0): exactly the two drops of
    # modes 2 and 3 remain.  Their times are the midpoint crossings of the §6.5 levels L_1 > L_2 > L_3 (§0.7):
    # levels read off the curve would add their own δ-dependent error to the slope.
    levels = cf_linear.plateau_levels(s, trace_syy=float(np.sum(s**2)))

    def fun(t):
        return numerics.loss_and_grad(arch, task, t)

    known = [numerics.staircase_from_result(exp.result, m, fun=fun, levels=levels[1:]) for m in range(len(deltas))]
    drops = [[float(v) for v in st.drop_times] for st in known]
    n_drops = [int(st.n_drops) for st in exp.staircases]
    logs = np.log(1 / np.array(deltas))
    ok_rows = all(len(r) == 2 and finite(*r) for r in drops)
    slopes = fitted_slopes(logs, drops) if ok_rows else [math.nan, math.nan]
    figs = ()
    if figures_enabled():
        # The start is far from the origin saddle (§6.6, initialisation structure): L_0 is no plateau, L_1 is the
        # first.
        figs = (draw_c26({"delta": deltas, "curves": [_curve(m) for m in exp.result.members],
                          "drop_times": np.array(drops), "s": s, "levels": levels[1:]}),)
    return Measurement(passed=False, measured={
        "initial_rate |dL/dt|/L0": initial_rate, "n_drops": n_drops, "predicted_drops": 2, "delta": deltas,
        "s": s.tolist(), "modes": [2, 3], "drop_times": drops, "slopes (k=2,3)": slopes,
        "predicted": [float(1 / s[1]), float(1 / s[2])],
        "relative error": [abs(sl * sk - 1) for sl, sk in zip(slopes, s[1:], strict=True)]}, figures=figs)


C27_EPS = (1e-6, 1e-4, 1e-2, 0.1, 0.3)


def judge_c27(measured: dict) -> Verdict:
    """At every ε every seed crosses all level midpoints (finite span) and has a finite closest approach; the
    median span decreases and the median distance increases strictly with ε."""
    eps, n, modes = measured["eps"], measured["seeds"], measured["modes"]
    if len(eps) < 3 or not _increasing(eps) or measured["rows"] != [f"eps={e:g}" for e in eps]:
        return Verdict(False, f"init scales {eps}: need at least three, increasing, each measured")
    spans, dists = [], []
    for e, key in zip(eps, measured["rows"], strict=True):
        row = measured[key]
        if any(len(row[k]) != n for k in ("crossings", "span", "min_distance")):
            return Verdict(False, f"ε = {e:g}: not measured for all {n} seeds")
        if row["crossings"] != [modes] * n or not finite(*row["span"]) or not finite(*row["min_distance"]):
            return Verdict(False, f"ε = {e:g}: level midpoints crossed {row['crossings']} of {modes}, spans "
                                  f"{row['span']}, distances {row['min_distance']}")
        spans.append(float(np.median(row["span"])))
        dists.append(float(np.median(row["min_distance"])))
    shorter = all(b < a for a, b in zip(spans[:-1], spans[1:], strict=True))
    farther = all(b > a for a, b in zip(dists[:-1], dists[1:], strict=True))
    return Verdict(shorter and farther, "median spans " + ", ".join(f"{x:.4g}" for x in spans)
                   + (" decrease" if shorter else " do not decrease") + " strictly; median distances "
                   + ", ".join(f"{x:.3g}" for x in dists) + (" increase" if farther else " do not increase")
                   + " strictly")


def _c27_longer(measured: dict, d: float) -> dict:
    return _geometric(measured, measured["rows"], "span", d, 1.0)


def _c27_closer(measured: dict, d: float) -> dict:
    return _geometric(measured, measured["rows"], "min_distance", d, -1.0)


@REGISTRY.claim("C27", statement="Init scale: as the isotropic init scale ε grows, plateaus shorten monotonically "
                "and the trajectory passes the rank-1 saddle at a growing distance",
                source="paper Fig. 2D, §6.6; spec C27",
                tolerance="strict monotonicity of the 3-seed medians over ε = 1e-6 … 0.3; every seed crosses all "
                          "three level midpoints",
                justification="qualitative claim: asserted as monotone sequences of medians over 3 seeds (the "
                              "span is ln(1/ε)(1/s_3 − 1/s_1) at small ε, and the O(1) corrections take over as ε "
                              "grows); each wrong theory is rejected at any size",
                judge=lambda m: judge_c27(m),
                wrong=(WrongTheory("plateaus lengthen with eps: span x (1 + d) per step", _c27_longer),
                       WrongTheory("the trajectory nears the saddle with eps: distance x (1 - d) per step",
                                   _c27_closer)))
def _c27() -> Measurement:
    s = np.array([3.0, 2.0, 1.0])
    arch = numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=6)
    task = numerics.whitened(s)
    w_saddle = np.diag([3.0, 0.0, 0.0])
    # Drop times against the known levels (spec §6.5) stay defined when large ε blurs the plateaus away.
    levels = cf_linear.plateau_levels(s, trace_syy=float(np.sum(s**2)))
    measured = {"eps": list(C27_EPS), "seeds": 3, "modes": 3, "rows": [f"eps={e:g}" for e in C27_EPS]}
    spans, dists, curves = [], [], []
    for eps in C27_EPS:
        exp = run_experiment(arch, task, eps, seeds=3, t_max=60.0, save_every=1, levels=levels)
        span = [float(st.drop_times[-1] - st.drop_times[0]) for st in exp.staircases]
        d = [float(np.min(np.linalg.norm(arch.effective_matrix(m.theta) - w_saddle, axis=(1, 2))))
             for m in exp.result.members]
        measured[f"eps={eps:g}"] = {"crossings": [int(st.n_drops) for st in exp.staircases], "span": span,
                                    "min_distance": d}
        spans.append(float(np.median(span)))
        dists.append(float(np.median(d)))
        if figures_enabled():
            curves.append(_curve(exp.result.members[0]))
    measured.update(plateau_span=spans, min_distance_to_rank1_saddle=dists)
    figs = ()
    if figures_enabled():
        predicted = [_expected_drop(s[-1], e, 6, 3) - _expected_drop(s[0], e, 6, 1) for e in C27_EPS]
        figs = (draw_c27({"eps": list(C27_EPS), "curves": curves, "levels": levels, "plateau_span": spans,
                          "span_predicted": predicted, "min_distance": dists}),)
    return Measurement(passed=False, measured=measured, figures=figs)


C29_SEEDS = 2


def judge_c29(measured: dict) -> Verdict:
    """Every seed: the predicted number of drops at finite increasing times and the predicted rank of W_2 on each
    plateau."""
    seeds = [k for k in measured if k.startswith("seed ")]
    ranks, n = list(measured["predicted_ranks"]), measured["predicted_drops"]
    if len(seeds) != C29_SEEDS:
        return Verdict(False, f"{len(seeds)} seeds measured, {C29_SEEDS} expected")
    for k in seeds:
        rec = measured[k]
        if rec["n_drops"] != n or len(rec["drop_times"]) != n or not _increasing(rec["drop_times"]):
            return Verdict(False, f"{k}: {rec['n_drops']} drops at {rec['drop_times']}, predicted {n}")
        if list(rec["W2_rank_per_plateau"]) != ranks:
            return Verdict(False, f"{k}: rank of W_2 per plateau {rec['W2_rank_per_plateau']}, predicted {ranks}")
    return Verdict(True, f"every seed: {n} drops, rank of W_2 per plateau {ranks}")


def _c29_full_rank(measured: dict, d: float) -> dict:
    """W_2 learns every direction at once (full rank from the first plateau)."""
    r = measured["predicted_ranks"]
    return dict(measured, predicted_ranks=[max(r)] * len(r))


def _c29_one_drop_fewer(measured: dict, d: float) -> dict:
    return dict(measured, predicted_drops=measured["predicted_drops"] - 1)


@REGISTRY.claim("C29", statement="Deep linear (depth 3): the second hidden layer gains one rank per transition",
                source="paper Fig. 5; spec C29",
                tolerance="exact, for each of 2 seeds: 3 drops (finite, increasing), rank of W2 on plateau k is k "
                          "(k = 1, 2, 3)",
                justification="ranks use the problem-scale threshold 0.1·s_min^(1/3) of numerics.complexity; "
                              "counts and ranks are integers, so each wrong theory is rejected at any size",
                judge=lambda m: judge_c29(m),
                wrong=(WrongTheory("W2 full rank from the first plateau", _c29_full_rank, unit="rank (d unused)"),
                       WrongTheory("one drop fewer", _c29_one_drop_fewer, unit="count (d unused)")))
def _c29() -> Measurement:
    arch = numerics.build_architecture("deep-linear", d_in=3, hidden=6, width=6, d_out=3)
    task = numerics.whitened([3.0, 2.0, 1.0])
    exp = run_experiment(arch, task, 1e-2, seeds=C29_SEEDS, t_max=1000.0, save_every=2)
    measured = {}
    for m in range(C29_SEEDS):
        st = exp.staircases[m]
        ranks = [int(complexity(arch, exp.theta_at(m, t), task).details["layer_ranks"][0, 1])
                 for t in exp.plateau_times(m)]
        measured[f"seed {m}"] = {"n_drops": int(st.n_drops), "W2_rank_per_plateau": ranks,
                                 "drop_times": [float(v) for v in st.drop_times]}
    measured.update(predicted_drops=3, predicted_ranks=[1, 2, 3])
    figs = ()
    if figures_enabled():
        from numerics.complexity import thresholds

        thr = thresholds(arch, task)
        first = exp.result.members[0]
        # W_2 is the U block (docs/theory.md §1.4, model 11); the threshold is the per-layer one the ranks above use.
        # The chain's end-to-end map passes the same mode-subset saddles as a two-layer net (§5.3: linear in u_i),
        # so §6.5's levels are its prediction too.
        sv = np.linalg.svd(arch.unpack(first.theta)["U"], compute_uv=False)
        figs = (draw_c29({"curves": [_curve(m) for m in exp.result.members],
                          "drop_times": [st.drop_times for st in exp.staircases],
                          "levels": cf_linear.plateau_levels([3.0, 2.0, 1.0], trace_syy=14.0),
                          "t_saved": first.t_saved, "sv": sv, "rank_threshold": thr.rel * thr.scale ** (1.0 / 3.0),
                          "plateau_times": exp.plateau_times(0), "ranks": measured["seed 0"]["W2_rank_per_plateau"]}),)
    return Measurement(passed=False, measured=measured, figures=figs)


FIG4G_SEEDS = 3
FIG4G_EPS = 0.02
# The runner-up stays ≤ C·ε (C15: C = 3–6.7 for the quadratic net) while the leader is O(1): ratio < 5ε = 0.1.
FIG4G_RATIO = 0.1
# O(1) as in C15: the leader at the midpoint crossing is a fraction of its converged norm √2·1.5^{1/4} = 1.57
# (balanced, v u³ = 1.5).
FIG4G_LEADER = (0.5, 3.0)


def judge_fig4g(measured: dict) -> Verdict:
    """Every seed has a first drop; there the leader's norm is O(1) (in FIG4G_LEADER) and the runner-up's below
    FIG4G_RATIO × the leader's."""
    seeds = [k for k in measured if k.startswith("seed ")]
    if len(seeds) != FIG4G_SEEDS:
        return Verdict(False, f"{len(seeds)} seeds measured, {FIG4G_SEEDS} expected")
    worst = 0.0
    lo, hi = FIG4G_LEADER
    for k in seeds:
        rec = measured[k]
        if rec["n_drops"] < 1 or not finite(rec.get("leader", math.nan), rec.get("runner_up", math.nan)):
            return Verdict(False, f"{k}: no first drop ({rec['n_drops']} drops) or no finite unit norms there")
        if not lo <= rec["leader"] <= hi:
            return Verdict(False, f"{k}: leader norm {rec['leader']:.3g} at the first drop is not O(1) "
                                  f"(outside [{lo}, {hi}])")
        worst = max(worst, rec["runner_up"] / rec["leader"])
    return Verdict(worst < FIG4G_RATIO, f"leaders O(1); worst runner-up / leader {worst:.3g} (must be below "
                                        f"{FIG4G_RATIO} = 5ε)")


def _fig4g_runner_up(measured: dict, d: float) -> dict:
    return {k: dict(v, runner_up=v["runner_up"] * (1 + d)) if k.startswith("seed ") else v
            for k, v in measured.items()}


def _fig4g_together(measured: dict, d: float) -> dict:
    """No unit separation: the runner-up escapes with the leader."""
    return {k: dict(v, runner_up=v["leader"]) if k.startswith("seed ") else v for k, v in measured.items()}


@REGISTRY.claim("fig4G", statement="Cubic net (p = 3): unit separation — at the first drop one unit is O(1) and "
                "every other unit is still O(ε)", source="paper Fig. 4G, §5.3; spec §6.9",
                tolerance="each of 3 seeds has a first drop; there the leader's norm is in [0.5, 3] and "
                          "runner-up/leader < 0.1 = 5ε (ε = 0.02)",
                justification="toy v' = v^3: escape at 1/(2v_0^2), so a unit with a smaller v_0 lags by a "
                              "relative O(1) time and is still O(ε) when the leader blows up; C15's C ≤ 6.7 "
                              "allows ≈ 5ε. The worst measured ratio is 0.061, so runner-up x (1 + d) is rejected "
                              "only for d ≈ 0.6 or more: the claim separates O(ε) from O(1), not constants",
                judge=lambda m: judge_fig4g(m),
                wrong=(WrongTheory("runner-up norm x (1 + d)", _fig4g_runner_up),
                       WrongTheory("units escape together", _fig4g_together, unit="structure (d unused)")))
def _fig4g() -> Measurement:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 3))
    y = (1.5 * (x @ np.array([1.0, 0.0, 0.0])) ** 3 - 0.5 * (x @ np.array([0.0, 1.0, 0.0])) ** 3)[:, None]
    arch = numerics.build_architecture("cubic", d_in=3, d_out=1, width=8)
    task = numerics.Dataset(x, y)
    # GD with a small step: after the escape the cubic flow on Gaussian data is stiff (|x|³ terms), where the
    # implicit fallback of the adaptive integrator needs n + 1 gradients per Jacobian; GD with η = 2e-3 is
    # stable there and follows the flow to O(η) (spec §0.4).
    exp = run_experiment(arch, task, FIG4G_EPS, seeds=FIG4G_SEEDS, t_max=100.0, method="gd", lr=2e-3)
    measured = {"eps": FIG4G_EPS}
    for m in range(FIG4G_SEEDS):
        st = exp.staircases[m]
        if st.n_drops < 1:
            measured[f"seed {m}"] = {"n_drops": 0}
            continue
        norms = np.sort(unit_norms(arch, exp.theta_at(m, st.drop_times[0]))[0])[::-1]
        measured[f"seed {m}"] = {"n_drops": int(st.n_drops), "leader": float(norms[0]),
                                 "runner_up": float(norms[1]), "ratio": float(norms[1] / norms[0])}
    figs = ()
    if figures_enabled():
        first = exp.result.members[0]
        figs = (draw_fig4g({"curves": [_curve(m) for m in exp.result.members],
                            "first_drop": [st.drop_times[0] if st.n_drops else float("nan") for st in exp.staircases],
                            "t_saved": first.t_saved, "norms": unit_norms(arch, first.theta),
                            "eps": exp.init_scale}),)
    return Measurement(passed=False, measured=measured, figures=figs)


def drop_vs_eps_rel_budget(s, eps: float) -> list[float]:
    """Relative drop-time budget of each mode at init scale ε: C8's neighbour budget plus the O(u_k/s_k) = O(ε²)
    init terms."""
    return [b + eps**2 for b in neighbour_budget(s, eps)]


def judge_drop_vs_eps(measured: dict) -> Verdict:
    """Every mode's drop time finite at every ε, and the slope of each against ln(1/ε) within its budget
    (:func:`slope_budget` of :func:`drop_vs_eps_rel_budget`) of the predicted 1/s_k."""
    eps, s = measured["eps"], measured["s"]
    if len(eps) < 3 or len(set(eps)) != len(eps) or not all(e > 0 for e in eps):
        return Verdict(False, f"init scales {eps}: need at least three distinct")
    if len(measured["predicted"]) != len(s) or not finite(*measured["predicted"]):
        return Verdict(False, f"predicted slopes {measured['predicted']} for {len(s)} modes")
    why = _drop_rows(measured, len(eps), len(s))
    if why:
        return Verdict(False, why)
    rel = [drop_vs_eps_rel_budget(s, e) for e in eps]
    return _slope_verdict(np.log(1 / np.asarray(eps)), measured["drop_times"], rel, measured["predicted"], s,
                          f"{len(s)} modes over {len(eps)} ε")


def _drop_vs_eps_missing_mode(measured: dict, d: float) -> dict:
    """A theory with one mode fewer (the last two merged)."""
    return dict(measured, s=measured["s"][:-1], predicted=measured["predicted"][:-1])


@REGISTRY.claim("fig:drop-vs-eps", statement="Linear net: the drop time of mode k grows like ln(1/ε)/s_k "
                "(slope 1/s_k against ln(1/ε))", source="spec §6.4 [derived], Thm 4",
                tolerance="every mode's drop (midpoint crossing of the §6.5 levels) found at every ε; slope within "
                          "its budget of 1/s_k: Σ_i |w_i| b_k(ε_i) t_k(ε_i), w the fit's weights, b_k = C8's "
                          "ε^(2(1 − s_(k+1)/s_k)) + 1e-8 plus ε²",
                justification="t_k = ln(1/ε)/s_k + O(1) + O(ε²): the O(1) term cancels in the fitted slope over "
                              "ε = 1e-4 … 1e-10 (same normalised draw); per point the next mode's strength at the "
                              "crossing (C8), the O(ε²) init terms and the integrator (1e-8) remain. Budgets 1.2e-3, "
                              "5.8e-5, 3.4e-8 relative; measured 6.2e-5, 7.4e-7, 1.7e-9",
                judge=lambda m: judge_drop_vs_eps(m),
                wrong=(WrongTheory("slope 1/s_k x (1 + d)", _slopes_scaled),
                       WrongTheory("one mode fewer", _drop_vs_eps_missing_mode, unit="count (d unused)")))
def _drop_vs_eps() -> Measurement:
    s = np.array([3.0, 2.0, 1.0])
    arch = numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=6)
    task = numerics.whitened(s)
    eps = np.array([1e-4, 1e-6, 1e-8, 1e-10])
    base = numerics.init_params(arch, 1.0, seed=3)
    # The same normalised draw at every ε isolates the ln(1/ε) law from seed-to-seed scatter.  Drops are the
    # midpoint crossings of the §6.5 levels (§0.7): levels read off the curve move with ε (by the next mode's
    # growth on the plateau) and bent the fitted slope of mode 2 by 9e-4.
    levels = cf_linear.plateau_levels(s, trace_syy=float(np.sum(s**2)))
    exp = run_experiment(arch, task, 1.0, theta0=eps[:, None] * base, t_max=60.0, save_every=8, levels=levels)
    drops = [[float(v) for v in st.drop_times] for st in exp.staircases]
    ok_rows = all(len(r) == 3 and finite(*r) for r in drops)
    slopes = fitted_slopes(np.log(1 / eps), drops) if ok_rows else [math.nan] * 3
    figs = ()
    if figures_enabled() and ok_rows:
        d_arr = np.array(drops)
        fig, (ax,) = new_figure()
        for k in range(3):
            ax.plot(np.log(1 / eps), d_arr[:, k], "o", label=f"mode {k + 1} (simulated)")
            ax.plot(np.log(1 / eps), d_arr[0, k] + (np.log(1 / eps) - np.log(1 / eps[0])) / s[k], "k--", lw=0.8)
        ax.set_xlabel("ln(1/ε)")
        ax.set_ylabel("drop time t_k")
        ax.set_title("drop time vs ln(1/ε); dashed: slope 1/s_k", fontsize=9)
        ax.legend(fontsize=7)
        figs = (save_figure(fig, "drop_time_vs_eps"),)
    return Measurement(passed=False, measured={
        "s": s.tolist(), "eps": eps.tolist(), "drop_times": drops, "slopes": slopes,
        "predicted": [float(v) for v in 1 / s],
        "relative_error": [abs(sl * sk - 1) for sl, sk in zip(slopes, s, strict=True)]}, figures=figs)


def morse_index(modes, s, width: int) -> int:
    """§3.2: (H − r)·#{j ∉ S : s_j > 0} + #{(i, j) : i ∈ S, j ∉ S, s_j > s_i}, modes S 1-based.

    >>> morse_index((), [3.0, 2.0, 1.0], 3), morse_index((2,), [3.0, 2.0, 1.0], 3)
    (9, 5)
    """
    S = set(modes)
    out = [j for j in range(1, len(s) + 1) if j not in S]
    return (width - len(S)) * sum(1 for j in out if s[j - 1] > 0) + sum(1 for i in S for j in out
                                                                       if s[j - 1] > s[i - 1])


def _mode_label(node: str) -> tuple[int, ...]:
    return tuple(int(c) for c in node[len("modes{"):-1].split(",") if c)


def _mode_node(modes) -> str:
    return "modes{" + ",".join(str(k) for k in sorted(modes)) + "}"


def judge_saddle_graph(measured: dict) -> Verdict:
    """The node set is the predicted one (each once); every node's Morse index equals the predicted one exactly;
    every edge joins two nodes and goes strictly downhill (finite losses); the sinks and the steepest escape from
    the origin are the predicted ones."""
    nodes, pred_nodes = measured["nodes"], measured["predicted_nodes"]
    if len(set(nodes)) != len(nodes) or sorted(nodes) != sorted(pred_nodes):
        return Verdict(False, f"nodes {sorted(nodes)}, predicted {sorted(pred_nodes)}")
    idx = measured["morse_indices"]
    wrong_idx = [n for n in nodes if n not in idx or idx[n]["measured"] != idx[n]["predicted"]]
    if wrong_idx:
        return Verdict(False, "Morse index differs from §3.2 at " + ", ".join(
            f"{n} ({idx[n]['measured']} vs {idx[n]['predicted']})" if n in idx else f"{n} (missing)"
            for n in wrong_idx))
    loss = measured["losses"]
    if sorted(loss) != sorted(nodes) or not finite(*loss.values()):
        return Verdict(False, "a node has no finite loss")
    edges = [e.split(" -> ") for e in measured["edges"]]
    if not edges or any(len(e) != 2 or e[0] not in loss or e[1] not in loss for e in edges):
        return Verdict(False, f"edges {measured['edges']} do not all join two nodes")
    uphill = [f"{a} -> {b}" for a, b in edges if not loss[a] > loss[b]]
    if uphill:
        return Verdict(False, f"edges not strictly downhill: {uphill}")
    if measured["sinks"] != measured["predicted_sinks"]:
        return Verdict(False, f"sinks {measured['sinks']}, predicted {measured['predicted_sinks']}")
    if measured["steepest_escape_from_origin"] != measured["predicted_steepest"]:
        return Verdict(False, f"steepest escape from the origin to {measured['steepest_escape_from_origin']}, "
                              f"predicted {measured['predicted_steepest']}")
    return Verdict(True, f"{len(nodes)} nodes with the §3.2 Morse indices, {len(edges)} edges all downhill, sinks "
                         f"{measured['sinks']}, steepest escape to {measured['predicted_steepest']}")


def _morse_scaled(measured: dict, d: float) -> dict:
    idx = {n: dict(v, predicted=v["predicted"] * (1 + d)) for n, v in measured["morse_indices"].items()}
    return dict(measured, morse_indices=idx)


def _morse_no_dormant(measured: dict, d: float) -> dict:
    """The formula without the dormant units' term (H − r)·#{j ∉ S}: only the pairs i ∈ S, j ∉ S, s_j > s_i."""
    s, H = measured["s"], measured["H"]
    idx = {}
    for n, v in measured["morse_indices"].items():
        S = _mode_label(n)
        dormant = (H - len(S)) * sum(1 for j in range(1, len(s) + 1) if j not in S and s[j - 1] > 0)
        idx[n] = dict(v, predicted=morse_index(S, s, H) - dormant)
    return dict(measured, morse_indices=idx)


def _steepest_weakest(measured: dict, d: float) -> dict:
    return dict(measured, predicted_steepest=[_mode_node((len(measured["s"]),))])


def _nested_only(measured: dict, d: float) -> dict:
    """Only the nested mode sets of the staircase {}, {1}, {1, 2}, … are fixed points."""
    n = len(measured["s"])
    return dict(measured, predicted_nodes=[_mode_node(range(1, k + 1)) for k in range(n + 1)])


@REGISTRY.claim("saddle-graph", statement="Saddle connection graph of a linear net (s = 3, 2, 1; H = 3): perturbing "
                "every fixed point along each unstable Hessian direction (both signs) reaches only lower fixed "
                "points, all 2^3 mode sets are reached, the Morse index of each is the §3.2 formula, and the "
                "steepest escape from the origin leads to the top mode", source="spec §3.2, §4.3 (saddle graph), "
                "C34; paper Fig. 1A", tolerance="exact: node set, Morse indices, edge directions (strict loss "
                "decrease), the only sink {1,2,3}, steepest escape to {1}",
                justification="indices use eigenvalue tolerance max(1e-6·max|λ|, 0.05·s_min), far from the "
                              "smallest nonzero |s_i − s_j| = 1; integers compared exactly, so each wrong theory is "
                              "rejected at any size",
                judge=lambda m: judge_saddle_graph(m),
                wrong=(WrongTheory("Morse index x (1 + d)", _morse_scaled),
                       WrongTheory("Morse index without the dormant-unit term", _morse_no_dormant,
                                   unit="formula (d unused)"),
                       WrongTheory("steepest escape to the weakest mode", _steepest_weakest,
                                   unit="structure (d unused)"),
                       WrongTheory("only the nested mode sets are reached", _nested_only,
                                   unit="structure (d unused)")))
def _saddle_graph() -> Measurement:
    s = np.array([3.0, 2.0, 1.0])
    H = 3
    arch = numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=H)
    task = numerics.whitened(s)
    g = numerics.saddle_connections(arch, task, np.zeros(arch.n_params), depth=3)
    label = {n: _mode_label(n) for n in g.nodes}
    indices = {n: {"measured": int(d["morse_index"]), "predicted": morse_index(label[n], s, H)}
               for n, d in g.nodes(data=True)}
    sinks = [n for n in g.nodes if g.out_degree(n) == 0]
    steepest = [b for _, b, d in g.out_edges("modes{}", data=True)
                if any(abs(x[2] + s[0]) < 1e-6 for x in d["directions"])]
    subsets = [S for r in range(len(s) + 1) for S in itertools.combinations(range(1, len(s) + 1), r)]
    figs = ()
    if figures_enabled():
        import networkx as nx

        fig, (ax,) = new_figure(width=6.0, height=4.2)
        pos = {}
        for w in range(4):
            row = sorted((n for n in g.nodes if len(label[n]) == w), key=lambda n: label[n])
            for k, n in enumerate(row):
                pos[n] = ((k - (len(row) - 1) / 2) * 1.6, -w)
        nx.draw_networkx(g, pos, ax=ax, node_color=[g.nodes[n]["loss"] for n in g.nodes], cmap="summer",
                         node_size=900, font_size=7, labels={n: f"{set(label[n]) or '{}'}\nL={g.nodes[n]['loss']:.2g}"
                                                               f"\nidx {g.nodes[n]['morse_index']}" for n in g.nodes},
                         arrowsize=12, edge_color="0.5")
        ax.set_title("saddle connection graph, linear net s = (3, 2, 1), H = 3", fontsize=9)
        ax.axis("off")
        figs = (save_figure(fig, "saddle_connection_graph"),)
    return Measurement(passed=False, measured={
        "s": s.tolist(), "H": H, "nodes": sorted(g.nodes), "edges": [f"{a} -> {b}" for a, b in g.edges],
        "losses": {n: float(g.nodes[n]["loss"]) for n in g.nodes}, "morse_indices": indices,
        "all_edges_downhill": all(g.nodes[a]["loss"] > g.nodes[b]["loss"] for a, b in g.edges), "sinks": sinks,
        "steepest_escape_from_origin": steepest, "predicted_nodes": [_mode_node(S) for S in subsets],
        "predicted_sinks": [_mode_node(range(1, len(s) + 1))], "predicted_steepest": [_mode_node((1,))]},
        figures=figs)
