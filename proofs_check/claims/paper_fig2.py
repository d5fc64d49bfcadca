"""Fig. 2 (width, data, initialisation structure and scale), Fig. 4G (cubic), Fig. 5 (deep linear) and the
drop-time-versus-ln(1/ε) figure, reproduced and asserted (spec §6.6, §7.1; claims C26, C27, C29).

Each claim simulates a small batch of seeds (batched DOP853 gradient flow, spec §0.6) and asserts the paper's
qualitative statement as a number; the tolerance of each is justified from the neglected order of the asymptotics.
"""

from __future__ import annotations

import math

import numpy as np

import numerics
from numerics.complexity import complexity, unit_norms
from theory.closed_forms import attention as cf_attention
from theory.closed_forms import linear_modes as cf_linear
from theory.closed_forms import saxe as cf_saxe

from ..experiment import run_experiment
from ..figures import draw_c26, draw_c27, draw_c29, draw_fig2b, draw_fig4g, figures_enabled, new_figure, save_figure
from ..registry import REGISTRY, Measurement, Verdict, WrongTheory


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


@REGISTRY.claim("fig2B", statement="Data: for power-law singular values s_k = 3k^(−α) the plateaus shrink as α → 0 "
                "and α = 0 leaves a single drop (rank 0 → D at once); equal eigenvalues keep attention's plateaus "
                "(D drops)", source="paper Fig. 2B, §6.6; spec C12, C19",
                tolerance="exact drop counts at α = 0 (1) and α = 2 (D = 4); span between the first and last "
                "level crossing strictly increasing in α; attention: D = 3 drops",
                justification="equal s_k share one sigmoid (Thm 4 with multiplicity D); plateau k lasts "
                              "ln(1/ε)(1/s_k − 1/s_(k−1)), which grows with α; unit separation needs no distinct "
                              "eigenvalues")
def _fig2b() -> Measurement:
    measured, ok = {}, True
    spans = []
    draw = {"alpha": [], "linear_curves": [], "linear_levels": [], "span_predicted": []} if figures_enabled() else None
    for alpha in (0.0, 0.5, 1.0, 2.0):
        s = 3.0 * np.arange(1, 5, dtype=float) ** (-alpha)
        # Crossings of the known levels (spec §6.5) stay defined when close s_k merge the drops.
        levels = cf_linear.plateau_levels(s, trace_syy=float(np.sum(s**2)))
        exp = run_experiment(numerics.build_architecture("linear-fc", d_in=4, d_out=4, width=8),
                             numerics.whitened(s), 1e-5, seeds=2, t_max=80.0 * 2**alpha, save_every=2,
                             levels=levels)
        detected = [int(numerics.staircase_from_result(exp.result, m).n_drops) for m in range(2)]
        span = float(np.median([st.drop_times[-1] - st.drop_times[0] for st in exp.staircases]))
        final_rank = [exp.final_width(m) for m in range(2)]
        measured[f"linear alpha={alpha:g}"] = {"detected_drops": detected, "span": span, "final_rank": final_rank}
        ok = ok and final_rank == [4, 4]
        if alpha == 0.0:
            ok = ok and detected == [1, 1]
        if alpha == 2.0:
            ok = ok and detected == [4, 4]
        spans.append(span)
        if draw is not None:
            # Equal s_k share one sigmoid (§5.1, multiplicity), so only the levels between distinct values are
            # visited plateaus.
            visited = [k for k in range(len(levels)) if k in (0, len(s)) or s[k - 1] > s[k]]
            draw["alpha"].append(alpha)
            draw["linear_curves"].append(_curve(exp.result.members[0]))
            draw["linear_levels"].append(levels[visited])
            draw["span_predicted"].append(_expected_drop(s[-1], 1e-5, 8, 4) - _expected_drop(s[0], 1e-5, 8, 1))
    ok = ok and bool(np.all(np.diff(spans) > 0))
    exp = run_experiment(numerics.build_architecture("attn-s", dim=3, width=8),
                         numerics.ICLTask(np.eye(3) * 0.5, 32), 1e-3, seeds=3, t_max=1e5, save_every=4)
    att_drops = [int(st.n_drops) for st in exp.staircases]
    measured["attention equal eigenvalues (D = 3)"] = {"n_drops": att_drops}
    ok = ok and att_drops == [3, 3, 3]
    figs = ()
    if draw is not None:
        draw.update(span=spans, attention_curves=[_curve(m) for m in exp.result.members],
                    attention_levels=cf_attention.separate_levels([0.5, 0.5, 0.5], 32))
        figs = (draw_fig2b(draw),)
    return Measurement(passed=ok, measured=measured, figures=figs)


def _near_manifold_init(h: int, d: int, delta: float, seed: int) -> np.ndarray:
    """Large rank-1 weights V = xγᵀ, U = yγᵀ (‖W‖ = O(1), not aligned with the modes) plus δ·N(0, 1)."""
    rng = np.random.default_rng(seed)
    x, y, g = rng.standard_normal(d), rng.standard_normal(d), rng.standard_normal(h)
    x, y, g = x / np.linalg.norm(x), y / np.linalg.norm(y), g / np.linalg.norm(g)
    v = np.outer(g, x)
    u = np.outer(g, y)
    return np.concatenate([v.ravel(), u.ravel()])[None] + delta * rng.standard_normal((1, 2 * h * d))


@REGISTRY.claim("C26", statement="Init near a low-rank manifold, away from saddles: no initial plateau (the loss "
                "falls at once), later plateaus present, and the plateau of mode k grows like ln(1/δ)/s_k",
                source="paper Fig. 2C, §6.6; spec C26 [derived scaling]",
                tolerance="initial |dL/dt|/L_0 > 0.1; no first drop, 2 later drops; slope dt_k/d ln(1/δ) within 5% "
                          "of 1/s_k (k = 2, 3)",
                justification="mode k grows from O(δ) like δe^{s_k t}: t_k = ln(1/δ)/s_k + O(1), and the O(1) "
                              "cancels in differences over δ = 1e-5, 1e-7, 1e-9")
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
    # modes 2 and 3 remain.
    drops = np.array([st.drop_times[-2:] if st.n_drops >= 2 else [np.nan, np.nan] for st in exp.staircases])
    n_drops = [int(st.n_drops) for st in exp.staircases]
    logs = np.log(1 / np.array(deltas))
    slopes = [float(np.polyfit(logs, drops[:, j], 1)[0]) for j in range(2)]
    rel = [abs(sl * s[j + 1] - 1) for j, sl in enumerate(slopes)]
    ok = initial_rate > 0.1 and n_drops == [2, 2, 2] and max(rel) < 0.05
    figs = ()
    if figures_enabled():
        # The start is far from the origin saddle (§6.6, initialisation structure): L_0 is no plateau, L_1 is the
        # first.
        figs = (draw_c26({"delta": deltas, "curves": [_curve(m) for m in exp.result.members], "drop_times": drops,
                          "s": s, "levels": cf_linear.plateau_levels(s, trace_syy=float(np.sum(s**2)))[1:]}),)
    return Measurement(passed=ok, measured={"initial_rate |dL/dt|/L0": initial_rate, "n_drops": n_drops,
                                            "slopes (k=2,3)": slopes,
                                            "predicted 1/s_k": [float(1 / s[1]), float(1 / s[2])],
                                            "relative error": rel}, figures=figs)


@REGISTRY.claim("C27", statement="Init scale: as the isotropic init scale ε grows, plateaus shorten monotonically "
                "and the trajectory passes the rank-1 saddle at a growing distance",
                source="paper Fig. 2D, §6.6; spec C27", tolerance="strict monotonicity over ε = 1e-6 … 0.3",
                justification="qualitative claim: asserted as monotone sequences of medians over 3 seeds")
def _c27() -> Measurement:
    s = np.array([3.0, 2.0, 1.0])
    arch = numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=6)
    task = numerics.whitened(s)
    w_saddle = np.diag([3.0, 0.0, 0.0])
    # Drop times against the known levels (spec §6.5) stay defined when large ε blurs the plateaus away.
    levels = cf_linear.plateau_levels(s, trace_syy=float(np.sum(s**2)))
    spans, dists, curves = [], [], []
    for eps in (1e-6, 1e-4, 1e-2, 0.1, 0.3):
        exp = run_experiment(arch, task, eps, seeds=3, t_max=60.0, save_every=1, levels=levels)
        spans.append(float(np.median([st.drop_times[-1] - st.drop_times[0] for st in exp.staircases])))
        d = []
        for m in exp.result.members:
            w = arch.effective_matrix(m.theta)
            d.append(float(np.min(np.linalg.norm(w - w_saddle, axis=(1, 2)))))
        dists.append(float(np.median(d)))
        if figures_enabled():
            curves.append(_curve(exp.result.members[0]))
    ok = bool(np.all(np.diff(spans) < 0) and np.all(np.diff(dists) > 0))
    eps_all = [1e-6, 1e-4, 1e-2, 0.1, 0.3]
    figs = ()
    if figures_enabled():
        predicted = [_expected_drop(s[-1], e, 6, 3) - _expected_drop(s[0], e, 6, 1) for e in eps_all]
        figs = (draw_c27({"eps": eps_all, "curves": curves, "levels": levels, "plateau_span": spans,
                          "span_predicted": predicted, "min_distance": dists}),)
    return Measurement(passed=ok, measured={"eps": eps_all, "plateau_span": spans,
                                            "min_distance_to_rank1_saddle": dists}, figures=figs)


@REGISTRY.claim("C29", statement="Deep linear (depth 3): the second hidden layer gains one rank per transition",
                source="paper Fig. 5; spec C29", tolerance="exact: rank of W2 on plateau k is k (k = 1, 2, 3)",
                justification="ranks use the problem-scale threshold 0.1·s_min^(1/3) of numerics.complexity")
def _c29() -> Measurement:
    arch = numerics.build_architecture("deep-linear", d_in=3, hidden=6, width=6, d_out=3)
    task = numerics.whitened([3.0, 2.0, 1.0])
    exp = run_experiment(arch, task, 1e-2, seeds=2, t_max=1000.0, save_every=2)
    measured, ok = {}, True
    for m in range(2):
        st = exp.staircases[m]
        ranks = [int(complexity(arch, exp.theta_at(m, t), task).details["layer_ranks"][0, 1])
                 for t in exp.plateau_times(m)]
        measured[f"seed {m}"] = {"n_drops": int(st.n_drops), "W2_rank_per_plateau": ranks,
                                 "drop_times": [float(v) for v in st.drop_times]}
        ok = ok and st.n_drops == 3 and ranks == [1, 2, 3]
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
    return Measurement(passed=ok, measured=measured, figures=figs)


@REGISTRY.claim("fig4G", statement="Cubic net (p = 3): unit separation — at the first drop one unit is O(1) and "
                "every other unit is still O(ε)", source="paper Fig. 4G, §5.3; spec §6.9",
                tolerance="runner-up/leader unit norm < 0.1 at the first drop",
                justification="toy v' = v^3: escape at 1/(2v_0^2), so a unit with a smaller v_0 lags by a "
                              "relative O(1) time and is still O(ε) when the leader blows up")
def _fig4g() -> Measurement:
    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 3))
    y = (1.5 * (x @ np.array([1.0, 0.0, 0.0])) ** 3 - 0.5 * (x @ np.array([0.0, 1.0, 0.0])) ** 3)[:, None]
    arch = numerics.build_architecture("cubic", d_in=3, d_out=1, width=8)
    task = numerics.Dataset(x, y)
    # GD with a small step: after the escape the cubic flow on Gaussian data is stiff (|x|³ terms), where the
    # implicit fallback of the adaptive integrator needs n + 1 gradients per Jacobian; GD with η = 2e-3 is
    # stable there and follows the flow to O(η) (spec §0.4).
    exp = run_experiment(arch, task, 0.02, seeds=3, t_max=100.0, method="gd", lr=2e-3)
    measured, ok = {}, True
    for m in range(3):
        st = exp.staircases[m]
        if st.n_drops < 1:
            measured[f"seed {m}"] = {"n_drops": 0}
            ok = False
            continue
        norms = np.sort(unit_norms(arch, exp.theta_at(m, st.drop_times[0]))[0])[::-1]
        ratio = float(norms[1] / norms[0])
        measured[f"seed {m}"] = {"n_drops": int(st.n_drops), "leader": float(norms[0]), "runner_up": float(norms[1]),
                                 "ratio": ratio}
        ok = ok and ratio < 0.1
    figs = ()
    if figures_enabled():
        first = exp.result.members[0]
        figs = (draw_fig4g({"curves": [_curve(m) for m in exp.result.members],
                            "first_drop": [st.drop_times[0] if st.n_drops else float("nan") for st in exp.staircases],
                            "t_saved": first.t_saved, "norms": unit_norms(arch, first.theta),
                            "eps": exp.init_scale}),)
    return Measurement(passed=ok, measured=measured, figures=figs)


@REGISTRY.claim("fig:drop-vs-eps", statement="Linear net: the drop time of mode k grows like ln(1/ε)/s_k "
                "(slope 1/s_k against ln(1/ε))", source="spec §6.4 [derived], Thm 4",
                tolerance="slope within 2% of 1/s_k",
                justification="t_k = ln(1/ε)/s_k + O(1) + O(ε²): the O(1) term cancels in the fitted slope over "
                              "ε = 1e-4 … 1e-10 up to the ε-dependence of the random projection (≤ 1%)")
def _drop_vs_eps() -> Measurement:
    s = np.array([3.0, 2.0, 1.0])
    arch = numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=6)
    task = numerics.whitened(s)
    eps = np.array([1e-4, 1e-6, 1e-8, 1e-10])
    base = numerics.init_params(arch, 1.0, seed=3)
    # The same normalised draw at every ε isolates the ln(1/ε) law from seed-to-seed scatter.
    exp = run_experiment(arch, task, 1.0, theta0=eps[:, None] * base, t_max=60.0, save_every=8)
    drops = np.array([st.drop_times for st in exp.staircases])
    slopes = [float(np.polyfit(np.log(1 / eps), drops[:, k], 1)[0]) for k in range(3)]
    rel = [abs(sl * s[k] - 1) for k, sl in enumerate(slopes)]
    figs = ()
    if figures_enabled():
        fig, (ax,) = new_figure()
        for k in range(3):
            ax.plot(np.log(1 / eps), drops[:, k], "o", label=f"mode {k + 1} (simulated)")
            ax.plot(np.log(1 / eps), drops[0, k] + (np.log(1 / eps) - np.log(1 / eps[0])) / s[k], "k--", lw=0.8)
        ax.set_xlabel("ln(1/ε)")
        ax.set_ylabel("drop time t_k")
        ax.set_title("drop time vs ln(1/ε); dashed: slope 1/s_k", fontsize=9)
        ax.legend(fontsize=7)
        figs = (save_figure(fig, "drop_time_vs_eps"),)
    return Measurement(passed=max(rel) < 0.02, measured={"slopes": slopes, "predicted": [float(v) for v in 1 / s],
                                                         "relative_error": rel}, figures=figs)


@REGISTRY.claim("saddle-graph", statement="Saddle connection graph of a linear net (s = 3, 2, 1; H = 3): perturbing "
                "every fixed point along each unstable Hessian direction (both signs) reaches only lower fixed "
                "points, all 2^3 mode sets are reached, the Morse index of each is the §3.2 formula, and the "
                "steepest escape from the origin leads to the top mode", source="spec §3.2, §4.3 (saddle graph), "
                "C34; paper Fig. 1A", tolerance="exact: node set, Morse indices, edge directions",
                justification="indices use eigenvalue tolerance max(1e-6·max|λ|, 0.05·s_min), far from the "
                              "smallest nonzero |s_i − s_j| = 1")
def _saddle_graph() -> Measurement:
    s = np.array([3.0, 2.0, 1.0])
    arch = numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=3)
    task = numerics.whitened(s)
    g = numerics.saddle_connections(arch, task, np.zeros(arch.n_params), depth=3)
    label = {n: tuple(int(c) for c in n[len("modes{"):-1].split(",") if c) for n in g.nodes}
    ok_nodes = sorted(len(v) for v in label.values()) == [0, 1, 1, 1, 2, 2, 2, 3]
    morse_ok, indices = True, {}
    for n, d in g.nodes(data=True):
        sset = set(label[n])
        r = len(sset)
        predicted = (3 - r) * sum(1 for j in range(1, 4) if j not in sset) + sum(
            1 for i in sset for j in range(1, 4) if j not in sset and s[j - 1] > s[i - 1])
        indices[n] = {"measured": int(d["morse_index"]), "predicted": predicted}
        morse_ok = morse_ok and int(d["morse_index"]) == predicted
    downhill = all(g.nodes[a]["loss"] > g.nodes[b]["loss"] for a, b in g.edges)
    sinks = [n for n in g.nodes if g.out_degree(n) == 0]
    steepest = [b for _, b, d in g.out_edges("modes{}", data=True)
                if any(abs(x[2] + s[0]) < 1e-6 for x in d["directions"])]
    ok = ok_nodes and morse_ok and downhill and sinks == ["modes{1,2,3}"] and steepest == ["modes{1}"]
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
    return Measurement(passed=ok, measured={"nodes": sorted(g.nodes), "edges": [f"{a} -> {b}" for a, b in g.edges],
                                            "morse_indices": indices, "all_edges_downhill": downhill,
                                            "sinks": sinks, "steepest_escape_from_origin": steepest},
                       figures=figs)
