"""Fig. 1B–G reproduced and asserted: six architectures pass a saddle whose function one unit (rank, ray, head)
can express, then converge to a two-unit solution (spec §7.1, §1.4 Fig. 1 panels).

Each claim measures, per seed, the drop count, the effective width (spec §1.4 measure; for attention the rank of
M = Σ_i v_i k_i q_iᵀ, i.e. heads up to merging proportional ones) on the intermediate plateau (read at the
geometric mean of the two drop times) and at the end, and the plateau levels (read at min |dL/dt|, §0.7); the
pure judge :func:`judge_fig1` compares them with the theory's predictions stored next to them: two drops, widths
1 then 2, and where a closed form exists (linear §6.5, quadratic §2.6, attention §6.8 halved for the ½-loss) the
levels within :func:`level_budget`.
"""

from __future__ import annotations

import functools
import math

import numpy as np

import numerics
from theory.closed_forms import attention as cf_attention
from theory.closed_forms import linear_modes as cf_linear
from theory.closed_forms import quadratic_levels as cf_quadratic

from ..experiment import plot_experiment, run_experiment
from ..figures import figures_enabled, save_figure
from ..registry import REGISTRY, Measurement, Verdict, WrongTheory, finite

FIG1_SEEDS = 2
FIG1_DROPS = 2
FIG1_WIDTHS = (1, 2)  # on the intermediate plateau, at the end
# Direction separation (§6.5, C10): the level read at min |dL/dt| is moved by the next direction's growth,
# O(ε^{2(1 − s_2/s_1)}) relative with O(H) constants, and for ReLU nets by the first ray's rotation still under way
# on the plateau; no tighter bound is derived, so spec C10's 1e-3·L_0 is kept (measured 9.4e-5, 3.6e-5, 2.3e-6 of
# L_0 for linear-fc, relu-fc, relu-conv).
LEVEL_TOL = 1e-3
# Unit separation (§5.2): the H − 1 dormant units are ≤ C·ε on the plateau (C15: C ≈ 10) and enter the function at
# their total degree 3 (v(u·x)², v k qᵀ), so they move the level by ≤ H·(Cε)³·L_0; the leader's tail, balanced
# against them at min |dL/dt|, is of the same order. Which architectures separate units is read off the setups
# below (total degree ≥ 3), as is which have closed-form levels.
DORMANT_GROWTH = 10.0


def level_budget(name: str, measured: dict) -> float:
    """Budget of |L_sim − L_pred| / L_0 for architecture ``name``: H·(Cε)³ for unit separation (run's ε and H from
    ``measured``), LEVEL_TOL for direction separation.

    >>> f"{level_budget('quadratic', {'eps': 1e-3, 'units': 10}):.1e}"
    '1.0e-05'
    """
    if name in UNIT_SEPARATION:
        degree = _setups()[name]["arch"].total_degree
        return float(measured["units"] * (DORMANT_GROWTH * measured["eps"]) ** degree)
    return LEVEL_TOL


def judge_fig1(measured: dict, name: str) -> Verdict:
    """Every seed: the predicted number of drops at finite increasing times, the predicted widths per plateau,
    and (closed-form architectures) every level within :func:`level_budget` of the prediction."""
    seeds = [k for k in measured if k.startswith("seed ")]
    if len(seeds) != FIG1_SEEDS or measured.get("seeds") != FIG1_SEEDS:
        return Verdict(False, f"{len(seeds)} seeds measured, {FIG1_SEEDS} expected")
    n_pred, w_pred = measured["predicted_drops"], list(measured["predicted_widths"])
    pred_levels = measured.get("predicted_levels")
    if name in CLOSED_FORM_LEVELS and (pred_levels is None or len(pred_levels) != n_pred + 1
                                       or not finite(*pred_levels)):
        return Verdict(False, f"{name}: predicted levels {pred_levels} are not {n_pred + 1} finite values (one "
                              f"per plateau of the {n_pred} predicted drops)")
    budget = level_budget(name, measured) if pred_levels is not None else math.nan
    worst, where = 0.0, ""
    for k in seeds:
        rec = measured[k]
        drops, levels, widths = rec["drop_times"], rec["levels"], rec["widths_per_plateau"]
        if rec["n_drops"] != n_pred or len(drops) != n_pred or len(levels) != n_pred + 1:
            return Verdict(False, f"{k}: {rec['n_drops']} drops ({len(drops)} times, {len(levels)} levels), "
                                  f"predicted {n_pred}")
        if not (finite(*drops) and finite(*levels)) or any(b <= a for a, b in zip(drops[:-1], drops[1:],
                                                                                   strict=True)):
            return Verdict(False, f"{k}: drop times {drops} or levels {levels} not finite and increasing")
        if list(widths) != w_pred:
            return Verdict(False, f"{k}: widths per plateau {widths}, predicted {w_pred}")
        if pred_levels is not None:
            for j, (p, q) in enumerate(zip(pred_levels, levels, strict=True)):
                err = abs(p - q) / pred_levels[0]
                if not err <= worst:
                    worst, where = err, f"{k} L_{j}"
    why = f"every seed: {n_pred} drops, widths {w_pred}"
    if pred_levels is None:
        return Verdict(True, why + " (no closed-form levels)")
    return Verdict(worst <= budget, why + f"; worst |L_sim − L_pred| / L_0 = {worst:.3g} ({where}), budget "
                                          f"{budget:.3g}")


def _levels_off(measured: dict, d: float) -> dict:
    """Every predicted level after L_0 moved by d·L_0 (a wrong level formula)."""
    p = measured["predicted_levels"]
    return dict(measured, predicted_levels=[p[0]] + [x + d * p[0] for x in p[1:]])


def _one_drop_fewer(measured: dict, d: float) -> dict:
    return dict(measured, predicted_drops=measured["predicted_drops"] - 1)


def _wide_saddle(measured: dict, d: float) -> dict:
    """No one-unit saddle: the intermediate plateau already needs both units."""
    return dict(measured, predicted_widths=[FIG1_WIDTHS[1]] * len(measured["predicted_widths"]))


def _relu_conv_teacher_data() -> tuple[np.ndarray, np.ndarray]:
    """Inputs ±2e_j (j = 1..5) and the outputs of a width-2 ReLU conv teacher (kernel size 2, L = 4 patches)."""
    arch = numerics.build_architecture("relu-conv", d_in=5, kernel=2, width=2)
    teacher = arch.pack({"U": np.array([[[0.8, 0.6], [-0.6, -0.8]]]),
                         "V": np.array([[[2.0, 1.6, 2.4, 1.8], [-0.5, -0.5, -0.5, -0.5]]])})
    x = np.vstack([2.0 * np.eye(5), -2.0 * np.eye(5)])
    return x, arch.forward(teacher, x)[0]


@functools.cache
def _setups():
    # ReLU nets on orthogonal inputs (the paper's "relu_ortho" animation): one ReLU unit outputs one sign only,
    # so targets of both signs need two rays; the positive group is learned first (larger ½Σy²).
    x_fc = 2.0 * np.eye(4)
    y_fc = np.array([3.0, 2.0, -1.0, -0.5])[:, None]
    # ReLU conv on ± spikes ±2e_j with a two-kernel teacher: kernel (0.8, 0.6) answers only positive spikes, kernel
    # −(0.6, 0.8) only negative ones (each spike reaches a kernel through u_1 at patch j and u_2 at patch j−1). The
    # positive group carries more of ½Σy², so its kernel ray escapes first (rates are the top singular values of
    # the per-quadrant correlation maps, ratio 13.73 / 3.50 ≈ 3.9 here) and one kernel fits that group exactly:
    # levels are ½·mean y², then ½·Σ_{negative spikes} y²/P, then 0 [derived here, as for the ReLU FC levels].
    x_conv, y_conv = _relu_conv_teacher_data()
    neg = slice(x_conv.shape[0] // 2, None)
    conv_levels = [0.5 * np.mean(y_conv**2), 0.5 * np.sum(y_conv[neg] ** 2) / y_conv.size, 0.0]
    beta = np.array([1.0, 2.0, 0.5, 0.2])
    # Orthogonal inputs: level k is ½·mean over samples of y² not yet fitted [derived here: on orthonormal inputs
    # one ReLU unit with bias fits any same-sign subset of the targets exactly].
    relu_levels = [0.5 * np.mean(y_fc**2), 0.5 * np.sum(y_fc[y_fc < 0] ** 2) / y_fc.size, 0.0]
    return {
        "linear-fc": dict(arch=numerics.build_architecture("linear-fc", d_in=2, d_out=2, width=50),
                          task=numerics.whitened([3.0, 1.0]), eps=1e-4, t_max=40.0,
                          levels=cf_linear.plateau_levels([3.0, 1.0], trace_syy=10.0)),
        "linear-conv": dict(arch=numerics.build_architecture("linear-conv", d_in=4, kernel=2, width=50),
                            task=numerics.LinearRegressionTask(np.eye(4), beta[None], beta[None] @ beta[:, None]),
                            eps=1e-4, t_max=80.0, levels=None),
        "relu-fc": dict(arch=numerics.build_architecture("relu-fc", d_in=4, d_out=1, width=50),
                        task=numerics.Dataset(x_fc, y_fc), eps=1e-4, t_max=150.0, levels=relu_levels,
                        method="gd"),
        # ε = 1e-6: the first kernel ray still rotates towards the teacher's on the first plateau, whose length
        # ∝ ln(1/ε) lets it finish: level error 2.2e-6·L_0 here, 6.6e-5·L_0 at ε = 1e-4 (measured).
        "relu-conv": dict(arch=numerics.build_architecture("relu-conv", d_in=5, kernel=2, width=50),
                          task=numerics.Dataset(x_conv, y_conv), eps=1e-6, t_max=150.0, levels=conv_levels,
                          method="gd"),
        "quadratic": dict(arch=numerics.build_architecture("quadratic", d_in=2, width=10),
                          task=numerics.QuadraticGaussianTask(np.diag([2.0, -1.0])), eps=1e-3, t_max=3000.0,
                          levels=[cf_quadratic.level([2.0, -1.0], S) for S in ([], [0], [0, 1])]),
        "attn-s": dict(arch=numerics.build_architecture("attn-s", dim=2, width=10),
                       task=numerics.ICLTask(np.diag([1.0, 0.5]), 32), eps=1e-3, t_max=50000.0,
                       levels=cf_attention.separate_levels([1.0, 0.5], 32), function_rank=True),
    }


ARCHITECTURES = tuple(_setups())
# linear-conv's levels solve a structured (matrix-sensing) problem with no closed form: its levels are not judged.
CLOSED_FORM_LEVELS = frozenset(n for n, cfg in _setups().items() if cfg["levels"] is not None)
UNIT_SEPARATION = frozenset(n for n, cfg in _setups().items() if cfg["arch"].total_degree >= 3)


def _function_rank_widths(exp, member: int) -> list[int]:
    """rank M = Σ_i v_i k_i q_iᵀ on each plateau and at the end: the number of heads the function needs (heads
    with proportional k and q implement one head, Thm 3), which is what Fig. 1G counts."""
    from numerics.complexity import numerical_rank, thresholds

    thr = thresholds(exp.arch, exp.task)
    return [int(numerical_rank(exp.arch.effective_matrix(exp.theta_at(member, t)), thr.matrix)[0])
            for t in exp.plateau_times(member)]


def _make(name: str):
    def check() -> Measurement:
        cfg = _setups()[name]
        exp = run_experiment(cfg["arch"], cfg["task"], cfg["eps"], seeds=FIG1_SEEDS, t_max=cfg["t_max"],
                             method=cfg.get("method", "flow"))
        measured = {"seeds": FIG1_SEEDS, "eps": cfg["eps"], "units": int(exp.arch.unit_count)}
        for m in range(FIG1_SEEDS):
            st = exp.staircases[m]
            widths = exp.plateau_widths(m)
            rec = {"n_drops": int(st.n_drops), "levels": [float(v) for v in st.levels],
                   "drop_times": [float(v) for v in st.drop_times], "widths_per_plateau": widths,
                   "status": exp.result.members[m].status}
            if cfg.get("function_rank"):
                rec["active_heads_per_plateau"] = widths
                rec["widths_per_plateau"] = _function_rank_widths(exp, m)
            if cfg["levels"] is not None and len(st.levels) == len(cfg["levels"]):
                rec["level_error_rel_L0"] = float(np.max(np.abs(np.asarray(st.levels) - np.asarray(cfg["levels"])))
                                                  / cfg["levels"][0])
            measured[f"seed {m}"] = rec
        measured["predicted_drops"] = FIG1_DROPS
        measured["predicted_widths"] = list(FIG1_WIDTHS)
        if cfg["levels"] is not None:
            measured["predicted_levels"] = [float(v) for v in cfg["levels"]]
        measured["method"] = "gradient descent, lr 0.01" if cfg.get("method") == "gd" else "gradient flow DOP853"
        figs = ()
        if figures_enabled():
            fig = plot_experiment(exp, f"Fig. 1: {name}, H = {exp.arch.unit_count}", cfg["levels"])
            figs = (save_figure(fig, f"fig1_{name}"),)
        return Measurement(passed=False, measured=measured, figures=figs)

    return check


def _register(name: str) -> None:
    wrong = [WrongTheory("one drop fewer", _one_drop_fewer, unit="count (d unused)"),
             WrongTheory("intermediate saddle of width 2", _wide_saddle, unit="structure (d unused)")]
    if name in CLOSED_FORM_LEVELS:
        wrong.insert(0, WrongTheory("levels + d L_0", _levels_off, unit="of L_0"))
        if name in UNIT_SEPARATION:
            levels = "plateau levels within H·(10ε)³·L_0 = 1e-5·L_0 of the closed form"
            why = ("levels are read at min |dL/dt|, where the H − 1 dormant units (≤ 10ε, C15) move the loss by "
                   "their degree-3 contribution ≤ H·(10ε)³·L_0, and the leader's tail by as much; measured "
                   "1e-9·L_0 (quadratic) and 2.5e-8·L_0 (attention): the dormant units grow less than C15's bound "
                   "allows, so the resolving power for the levels is coarser than the measured error")
        else:
            levels = f"plateau levels within {LEVEL_TOL:g}·L_0 of the closed form (spec C10)"
            why = ("levels are read at min |dL/dt|, where the next direction has moved the loss by "
                   "O(eps^(2(1-s2/s1))) relative with O(H) constants (ReLU: plus the first ray's rotation still "
                   "under way); no tighter bound is derived, so spec C10's tolerance is kept: measured 9.4e-5 "
                   "(linear-fc), 3.6e-5 (relu-fc), 2.3e-6 (relu-conv) of L_0")
    else:
        levels = "levels not judged (no closed form)"
        why = "counts and widths are integers; linear-conv's levels solve a structured problem with no closed form"
    REGISTRY.claim(
        f"fig1:{name}",
        statement=f"Fig. 1 ({name}): two drops; the intermediate saddle has effective width 1, the end point 2",
        source="paper Fig. 1B-G (spec §7.1); levels spec §2.6, §6.5, §6.8",
        tolerance=f"exact counts and widths for each of {FIG1_SEEDS} seeds (finite increasing drop times); {levels}",
        justification=why,
        judge=lambda m, name=name: judge_fig1(m, name),
        wrong=tuple(wrong),
    )(_make(name))


for _name in ARCHITECTURES:
    _register(_name)
