"""Fig. 1B–G reproduced and asserted: six architectures pass a saddle whose function one unit (rank, ray, head)
can express, then converge to a two-unit solution (spec §7.1, §1.4 Fig. 1 panels).

Assertion per architecture and seed: exactly two loss drops; the effective width (spec §1.4 measure; for
attention the rank of M = Σ_i v_i k_i q_iᵀ, i.e. heads up to merging proportional ones) is 1 on the intermediate
plateau (read at the geometric mean of the two drop times) and 2 at the end; where a closed form exists (linear
§6.5, quadratic §2.6, attention §6.8 halved for the ½-loss) the measured plateau levels match it to 1e-3·L_0
(spec C10's tolerance: the level is read where the escaping mode has moved the loss by O(ε^{2(1−s_2/s_1)})
relative, far below that at these ε).
"""

from __future__ import annotations

import numpy as np

import numerics
from theory.closed_forms import attention as cf_attention
from theory.closed_forms import linear_modes as cf_linear
from theory.closed_forms import quadratic_levels as cf_quadratic

from ..experiment import plot_experiment, run_experiment
from ..figures import figures_enabled, save_figure
from ..registry import REGISTRY, Measurement

LEVEL_TOL = 1e-3


def _relu_conv_teacher_data() -> tuple[np.ndarray, np.ndarray]:
    """Inputs ±2e_j (j = 1..5) and the outputs of a width-2 ReLU conv teacher (kernel size 2, L = 4 patches)."""
    arch = numerics.build_architecture("relu-conv", d_in=5, kernel=2, width=2)
    teacher = arch.pack({"U": np.array([[[0.8, 0.6], [-0.6, -0.8]]]),
                         "V": np.array([[[2.0, 1.6, 2.4, 1.8], [-0.5, -0.5, -0.5, -0.5]]])})
    x = np.vstack([2.0 * np.eye(5), -2.0 * np.eye(5)])
    return x, arch.forward(teacher, x)[0]


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
        exp = run_experiment(cfg["arch"], cfg["task"], cfg["eps"], seeds=2, t_max=cfg["t_max"],
                             method=cfg.get("method", "flow"))
        measured, ok = {}, True
        for m in range(2):
            st = exp.staircases[m]
            widths = exp.plateau_widths(m)
            rec = {"n_drops": int(st.n_drops), "levels": [float(v) for v in st.levels],
                   "drop_times": [float(v) for v in st.drop_times], "widths_per_plateau": widths,
                   "status": exp.result.members[m].status}
            if cfg.get("function_rank"):
                rec["active_heads_per_plateau"] = widths
                widths = rec["widths_per_plateau"] = _function_rank_widths(exp, m)
            ok_m = st.n_drops == 2 and widths == [1, 2]
            if cfg["levels"] is not None and len(st.levels) == 3:
                err = float(np.max(np.abs(np.asarray(st.levels) - np.asarray(cfg["levels"]))) / cfg["levels"][0])
                rec["level_error_rel_L0"] = err
                ok_m = ok_m and err <= LEVEL_TOL
            measured[f"seed {m}"] = rec
            ok = ok and ok_m
        if cfg["levels"] is not None:
            measured["predicted_levels"] = [float(v) for v in cfg["levels"]]
        measured["method"] = "gradient descent, lr 0.01" if cfg.get("method") == "gd" else "gradient flow DOP853"
        figs = ()
        if figures_enabled():
            fig = plot_experiment(exp, f"Fig. 1: {name}, H = {exp.arch.unit_count}", cfg["levels"])
            figs = (save_figure(fig, f"fig1_{name}"),)
        return Measurement(passed=ok, measured=measured, figures=figs)

    return check


for _name in ("linear-fc", "linear-conv", "relu-fc", "relu-conv", "quadratic", "attn-s"):
    REGISTRY.claim(
        f"fig1:{_name}",
        statement=f"Fig. 1 ({_name}): two drops; the intermediate saddle has effective width 1, the end point 2",
        source="paper Fig. 1B-G (spec §7.1); levels spec §2.6, §6.5, §6.8",
        tolerance=f"exact counts; plateau levels within {LEVEL_TOL:g}·L_0 where a closed form exists",
        justification="levels are read at min |dL/dt|, where the next mode has moved the loss by "
                      "O(eps^(2(1-s2/s1))) relative",
    )(_make(_name))
