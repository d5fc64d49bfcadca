"""Claims C2, C2-all, C3, C17, C24 (fixed-point part) and C28 of spec §8: invariant manifolds, balancedness, the toy
quadratic solution, the reduced attention ODE and tanh vs x·tanh x.

Each claim pairs a symbolic part (:mod:`theory.invariants`, :mod:`theory.conservation`, :mod:`theory.reduced`)
with a numeric part (:mod:`numerics`).  Gradient descent is a plain NumPy loop θ ← θ − η∇L (one call of
:func:`numerics.loss_and_grad` per step, 3-4x faster than the recording integrator for 20 000 steps of a tiny
net); gradient flow uses :func:`numerics.integrate.gradient_flow` (DOP853).

Every claim here only measures; a pure judge decides (docs/theory.md §8, "Measuring apart from judging"), and the
wrong theories say how a prediction wrong by d would change the measured numbers.  A symbolic verdict is stored
beside what the theory promises, so the judge (not the measurement) compares them.  Tolerances are the spec's
(§0.6, §8) unless a tighter bound follows from the integrator's error control or from round-off; never tuned to
make a claim pass.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import numerics
import theory
from numerics.integrate import gradient_flow
from numerics.manifolds import effective_width_trajectory, unit_params
from theory.conservation import prove_conservation
from theory.invariants import prove_theorem3
from theory.reduced import attention_reduced, quadratic_one_unit, toy_solution
from theory.verify import Certificate

from ..figures import draw_c28, figures_enabled
from ..registry import REGISTRY, Measurement, Verdict, WrongTheory

GD_EXACT_TOL = 1e-12      # C2: "holds to ~1e-12 relative (exact up to round-off)"
REFUTED_MIN = 1e-3        # C2: a refuted relation must visibly drift
FLOW_RTOL, FLOW_ATOL = 1e-12, 1e-14   # C3, C17: DOP853 tolerances of the conservation and toy runs
ODE_TOL = 1e-9            # C24: DOP853 at rtol 1e-12 against the reduced ODE / fixed point (spec)
UNIT_ROUNDOFF = 2.0 ** -53


def _gd(fun, theta0: np.ndarray, lr: float, steps: int, every: int = 100) -> np.ndarray:
    """Plain GD; θ saved every ``every`` steps (and at the end): array (k, n)."""
    th = np.array(theta0, dtype=float).reshape(1, -1)
    saved = [th[0].copy()]
    for k in range(1, steps + 1):
        _, g = fun(th)
        th = th - lr * g
        if k % every == 0 or k == steps:
            saved.append(th[0].copy())
    return np.array(saved)


def _set_unit(arch, theta: np.ndarray, i: int, values: np.ndarray) -> np.ndarray:
    """θ with unit i's (v_i, u_i) replaced by ``values`` (in the order of :func:`unit_params`)."""
    blocks = arch.unpack(theta.reshape(1, -1))
    out = {k: v.copy() for k, v in blocks.items()}
    pos = 0
    for name, shape in arch.blocks:
        if name == "W1":
            continue
        size = int(np.prod(shape[1:]))
        out[name][0, i] = values[pos:pos + size].reshape(shape[1:])
        pos += size
    return arch.pack(out)[0]


def _relation_drift(arch, thetas: np.ndarray, i: int, combo: dict[int, float]) -> float:
    """max over saved times of ‖θ_i − Σ_j γ_j θ_j‖ / ‖θ_i‖ (0/0 for a zero unit counts as ‖θ_i‖ absolute)."""
    p = unit_params(arch, thetas)
    target = sum(g * p[:, j] for j, g in combo.items()) if combo else np.zeros_like(p[:, i])
    num = np.linalg.norm(p[:, i] - target, axis=1)
    den = np.linalg.norm(p[:, i], axis=1)
    return float(np.max(np.where(den > 0, num / np.where(den > 0, den, 1.0), num)))


def _grown(x: float, added: float) -> float:
    """The measured error when a wrong prediction adds an error ``added`` to a measured error x: the two may
    partly cancel, so it is at least added − x (the least a judge can count on)."""
    return max(x, added - x)


def _verdicts(results: Any, yes: str, no: str) -> dict[str, dict[str, str]]:
    """Each symbolic result's verdict beside what the theory promises (``yes``/``no``), for the judge to compare."""
    out = {}
    for r in results:
        promised = r.candidate.expected if hasattr(r, "candidate") else r.law.expected
        out[r.key if hasattr(r, "candidate") else r.law.key] = {"theory": yes if promised else no,
                                                               "verdict": r.status}
    return out


def _symbolic_mismatch(symbolic: dict, names: tuple[str, ...]) -> str | None:
    """Why the symbolic verdicts fail (None: every expected network has verdicts and each equals the theory's)."""
    if sorted(symbolic) != sorted(names):
        return f"symbolic verdicts for {sorted(symbolic)}, expected {sorted(names)}"
    for name, rows in symbolic.items():
        if not rows:
            return f"{name}: no symbolic verdict"
        bad = [k for k, r in rows.items() if r["verdict"] != r["theory"]]
        if bad:
            return f"{name}: verdicts {[(k, rows[k]['verdict']) for k in bad]} contradict the theory"
    return None


def _theory_flipped(yes: str, no: str):
    """A theory that promises the opposite on one set/law (the first one listed): d unused."""
    def apply(measured: dict, d: float) -> dict:
        sym = {k: dict(v) for k, v in measured["symbolic"].items()}
        name = next(iter(sym))
        key = next(iter(sym[name]))
        row = sym[name][key]
        sym[name][key] = dict(row, theory=no if row["theory"] == yes else yes)
        return dict(measured, symbolic=sym)
    return apply


# ------------------------------------------------------------------------------------------------- C2
C2_SYMBOLIC = ("relu-fc", "linear-fc", "quadratic", "tanh-fc")
C2_RUNS = ("relu gamma=0.6, 20000 GD steps", "relu gamma=-0.6, 500 steps",
           "linear (iv) 0.5 theta_1 - 0.3 theta_2, 2000 steps", "quadratic sign flip, 2000 steps",
           "quadratic zero unit, 2000 steps", "tanh gamma=0.6 (not invariant), 500 steps")


def judge_c2(measured: dict) -> Verdict:
    """Every symbolic verdict equals the theory's; every GD run of C2_RUNS is there with a finite drift; the kept
    relations drift by <= GD_EXACT_TOL, the zero unit stays exactly zero (its gradient is a product with 0), and the
    refuted relations drift by more than REFUTED_MIN."""
    why = _symbolic_mismatch(measured["symbolic"], C2_SYMBOLIC)
    if why:
        return Verdict(False, why)
    runs = measured["gd"]
    if sorted(runs) != sorted(C2_RUNS):
        return Verdict(False, f"GD runs {sorted(runs)}, expected {sorted(C2_RUNS)}")
    kept, zero, refuted = 0.0, 0.0, math.inf
    for label, row in runs.items():
        x = row["max_abs"] if "max_abs" in row else row["max_relative_drift"]
        if not math.isfinite(x):
            return Verdict(False, f"{label}: drift {x}")
        if "max_abs" in row:
            if row["theory"] != "invariant" or x != 0.0:
                return Verdict(False, f"{label}: max |theta| = {x:.3g}, the zero unit must stay exactly 0")
            zero = x
        elif row["theory"] == "invariant":
            kept = max(kept, x)
        else:
            refuted = min(refuted, x)
    ok = kept <= GD_EXACT_TOL and refuted > REFUTED_MIN
    return Verdict(ok, f"kept relations drift <= {kept:.3g} (tolerance {GD_EXACT_TOL:g}); zero unit max |theta| = "
                       f"{zero:g} (exactly 0); refuted relations drift >= {refuted:.3g} (must exceed {REFUTED_MIN:g})")


def _c2_leak(measured: dict, d: float) -> dict:
    """Every relation the theory keeps leaks by a relative d over the run."""
    gd = {k: dict(r, max_relative_drift=_grown(r["max_relative_drift"], d))
          if "max_relative_drift" in r and r["theory"] == "invariant" else r for k, r in measured["gd"].items()}
    return dict(measured, gd=gd)


def _c2_zero_leak(measured: dict, d: float) -> dict:
    """The zero unit is not kept: it grows to |theta| = d."""
    gd = {k: dict(r, max_abs=_grown(r["max_abs"], d)) if "max_abs" in r else r for k, r in measured["gd"].items()}
    return dict(measured, gd=gd)


@REGISTRY.claim(
    "C2",
    statement="Theorem 3 sets (i) equal units, (ii) zero unit, (iii) theta_i = gamma theta_j (gamma > 0 for ReLU), "
              "(iv) linearly dependent units (linear phi) and the sign flip (even phi) are invariant: proved "
              "symbolically; the sets theory does not promise (ReLU gamma < 0, tanh proportional, quadratic "
              "gamma not in {+-1}, (iv) for nonlinear phi) are refuted at a point; GD keeps a ReLU unit "
              "theta_3 = 0.6 theta_1, a linear (iv) unit, a quadratic zero unit and a quadratic sign-flipped unit to "
              "round-off, and visibly breaks ReLU gamma = -0.6 and tanh gamma = 0.6",
    source="[paper] Thm 3, [derived ✓] spec §4.1, §4.2, §4.4",
    tolerance=f"symbolic: every verdict equals the theory's; numeric: max relative drift of each kept relation "
              f"<= {GD_EXACT_TOL:g} over the GD run, the zero unit exactly 0; refuted relations drift "
              f"> {REFUTED_MIN:g}",
    justification="each GD step maps the set into itself exactly (the dependent unit's gradient is the same "
                  "combination), so only float64 round-off remains: ~1e-16 per step, a random walk of ~1e-14 after "
                  "2e4 steps, ~2e-12 if every rounding added up; the spec's 1e-12 lies between (measured 8.9e-15, "
                  "so the resolving power of a leak, ~1e-12, is ~100x the measured drift). The zero unit's "
                  "gradient is a product with 0, exactly 0 in float64. A refuted relation drifts at first order "
                  "in the learning time (0.07 and 0.67 measured), 1e-3 is far above round-off",
    judge=lambda m: judge_c2(m),
    wrong=(WrongTheory("kept relations leak: relative drift + d", _c2_leak),
           WrongTheory("zero unit leaks: |theta| + d", _c2_zero_leak, unit="absolute"),
           WrongTheory("theory promises the opposite on one set", _theory_flipped("invariant", "not invariant"),
                       unit="structure (d unused)")),
)
def check_c2() -> dict:
    # Symbolic: a representative subset (the full sweep of all 12 architectures is claim C2-all, profile full).
    sym_specs = [theory.build("relu-fc", d_in=1, d_out=1, width=3), theory.build("linear-fc", width=3),
                 theory.build("quadratic", width=2), theory.build("tanh-fc", width=2)]
    symbolic = {spec.name: _verdicts(prove_theorem3(spec, timeout=20), "invariant", "not invariant")
                for spec in sym_specs}
    gd: dict[str, dict] = {}
    rng = np.random.default_rng(2)
    # Numeric 1: ReLU net, theta_3 = 0.6 theta_1, 20 000 GD steps (spec §4.2); control gamma = -0.6.
    arch = numerics.build_architecture("relu-fc", d_in=2, d_out=1, width=3)
    X = rng.standard_normal((20, 2))
    task = numerics.Dataset(X, np.sin(X[:, :1]) + 0.5 * X[:, 1:])

    def fun(th):
        return numerics.loss_and_grad(arch, task, th)

    th0 = rng.standard_normal(arch.n_params) * 0.5
    p0 = unit_params(arch, th0[None])[0]
    for gamma, steps, key in ((0.6, 20_000, C2_RUNS[0]), (-0.6, 500, C2_RUNS[1])):
        th = _set_unit(arch, th0, 2, gamma * p0[0])
        thetas = _gd(fun, th, 0.01, steps)
        gd[key] = {"relation": f"theta_3 = {gamma} theta_1", "theory": "invariant" if gamma > 0 else "not invariant",
                   "steps": steps, "max_relative_drift": _relation_drift(arch, thetas, 2, {0: gamma}),
                   "final_loss": float(fun(thetas[-1:])[0][0])}
    # Numeric 2: linear net (iv) theta_3 = 0.5 theta_1 - 0.3 theta_2 on whitened regression.
    arch = numerics.build_architecture("linear-fc", d_in=2, d_out=2, width=3)
    task = numerics.whitened([3.0, 1.0])
    th = rng.standard_normal(arch.n_params) * 0.5
    p = unit_params(arch, th[None])[0]
    th = _set_unit(arch, th, 2, 0.5 * p[0] - 0.3 * p[1])
    thetas = _gd(lambda t: numerics.loss_and_grad(arch, task, t), th, 0.01, 2_000)
    gd[C2_RUNS[2]] = {"relation": "theta_3 = 0.5 theta_1 - 0.3 theta_2", "theory": "invariant", "steps": 2_000,
                      "max_relative_drift": _relation_drift(arch, thetas, 2, {0: 0.5, 1: -0.3})}
    # Numeric 3: quadratic net on the quadratic Gaussian task: zero unit (ii) and sign flip (§4.4).
    arch = numerics.build_architecture("quadratic", d_in=2, d_out=1, width=3)
    task = numerics.QuadraticGaussianTask(np.diag([2.0, -1.0]))
    th = rng.standard_normal(arch.n_params) * 0.3
    p = unit_params(arch, th[None])[0]
    flip = p[0].copy()
    flip[1:] *= -1
    th = _set_unit(arch, th, 2, flip)
    th_zero = _set_unit(arch, th, 1, np.zeros_like(p[1]))
    thetas = _gd(lambda t: numerics.loss_and_grad(arch, task, t), th_zero, 0.01, 2_000)
    pt = unit_params(arch, thetas)
    sign = np.r_[1.0, -1.0, -1.0]  # (v, u_1, u_2) -> (v, -u_1, -u_2)
    flip_drift = float(np.max(np.linalg.norm(pt[:, 2] - sign * pt[:, 0], axis=1) / np.linalg.norm(pt[:, 2], axis=1)))
    gd[C2_RUNS[3]] = {"relation": "theta_3 = (v_1, -u_1)", "theory": "invariant", "steps": 2_000,
                      "max_relative_drift": flip_drift}
    gd[C2_RUNS[4]] = {"relation": "theta_2 = 0", "theory": "invariant", "steps": 2_000,
                      "max_abs": float(np.max(np.abs(pt[:, 1])))}
    # Numeric 4: tanh, proportional units are not kept (control).
    arch = numerics.build_architecture("tanh-fc", d_in=2, d_out=1, width=2)
    X = rng.standard_normal((20, 2))
    task = numerics.Dataset(X, np.tanh(X[:, :1] - X[:, 1:]))
    th = rng.standard_normal(arch.n_params) * 0.5
    p = unit_params(arch, th[None])[0]
    th = _set_unit(arch, th, 1, 0.6 * p[0])
    thetas = _gd(lambda t: numerics.loss_and_grad(arch, task, t), th, 0.01, 500)
    gd[C2_RUNS[5]] = {"relation": "theta_2 = 0.6 theta_1", "theory": "not invariant", "steps": 500,
                      "max_relative_drift": _relation_drift(arch, thetas, 1, {0: 0.6})}
    return {"symbolic": symbolic, "gd": gd}


def judge_c2_all(measured: dict) -> Verdict:
    """Every architecture has symbolic verdicts and each equals the theory's (no 'undecided')."""
    why = _symbolic_mismatch(measured["symbolic"], tuple(theory.ARCHITECTURE_NAMES))
    n = sum(len(rows) for rows in measured["symbolic"].values())
    return Verdict(why is None, why or f"all {n} verdicts of {len(measured['symbolic'])} architectures agree")


@REGISTRY.claim(
    "C2-all",
    statement="Theorem 3 invariant sets proved (and non-applicable ones refuted) for all 12 architectures, "
              "width 3, symbolic tasks of each family",
    source="[paper] Thm 3, spec §4.1, §4.4",
    tolerance="every verdict equals the theory's (no 'undecided'), for every architecture",
    justification="symbolic: exact simplification or an exact nonzero value at a rational point",
    profile="full",
    judge=lambda m: judge_c2_all(m),
    wrong=(WrongTheory("theory promises the opposite on one set", _theory_flipped("invariant", "not invariant"),
                       unit="structure (d unused)"),),
)
def check_c2_all() -> dict:
    symbolic = {}
    for name in theory.ARCHITECTURE_NAMES:
        width_key = "width" if "width" in theory.REGISTRY[name].sizes else "dim"  # diagonal nets: one unit per input
        spec = theory.build(name, **{width_key: 3})
        symbolic[name] = _verdicts(prove_theorem3(spec, timeout=30), "invariant", "not invariant")
    return {"symbolic": symbolic}


# ------------------------------------------------------------------------------------------------- C3
C3_SYMBOLIC = ("linear-fc", "relu-fc", "quadratic", "cubic", "attn-s", "deep-linear", "tanh-fc")
# The conserved quantities measured on each flow: the per-unit Q_i always, U^T U - V^T V where the net is linear in
# u, and W_2^T W_2 - W_1 W_1^T for the deep linear net.
C3_FLOW_LAWS = {"linear-fc": ("relative_drift", "matrix_relative_drift"),
                "deep-linear": ("relative_drift", "matrix_relative_drift", "deep_layer12_relative_drift"),
                "quadratic": ("relative_drift",), "relu-fc": ("relative_drift",)}


def _unit_blocks(arch, thetas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's output weights v_i (T, H, ·) and input weights u_i (T, H, ·), W1 excluded."""
    blocks = arch.unpack(thetas)
    v = blocks["V"].reshape(thetas.shape[0], blocks["V"].shape[1], -1)
    u = np.concatenate([blocks[n].reshape(thetas.shape[0], blocks[n].shape[1], -1) for n in arch.u_blocks], axis=2)
    return v, u


def _balance(arch, thetas: np.ndarray, p: int) -> tuple[np.ndarray, np.ndarray]:
    """Q_i = ‖u_i‖² − p‖v_i‖² (T, H) and the magnitude ‖u_i‖² + p‖v_i‖² (T, H)."""
    v, u = _unit_blocks(arch, thetas)
    vv, uu = np.sum(v**2, axis=2), np.sum(u**2, axis=2)
    return uu - p * vv, uu + p * vv


def _flow_drift(arch, task, p: int, theta0: np.ndarray, t_max: float) -> dict:
    res = gradient_flow(lambda t: numerics.loss_and_grad(arch, task, t), theta0[None], t_max, rtol=FLOW_RTOL,
                        atol=FLOW_ATOL, gtol=0, save_every=1, stiff_method=None)
    m = res[0]
    th = m.theta
    q, mag = _balance(arch, th, p)
    peak = np.max(mag, axis=0)
    vv = np.sum(_unit_blocks(arch, th)[0] ** 2, axis=2)
    out = {"relative_drift": float(np.max(np.abs(q - q[0]) / peak)),
           # how far |v_i|^2 moved (relative to the unit's peak magnitude): what a wrong power p would add to Q
           "v_growth": float(np.max(np.abs(vv - vv[0]) / peak)),
           "p": p, "n_params": arch.n_params, "n_accepted": m.n_accepted, "rtol": FLOW_RTOL, "atol": FLOW_ATOL,
           "min_peak_magnitude": float(np.min(peak)), "t_max": t_max, "t_final": m.t_final, "status": m.status,
           "loss_drop": float(m.loss[0] - m.loss[-1])}
    if arch.linear_in_u:
        b = arch.unpack(th)
        V = b["V"].reshape(th.shape[0], b["V"].shape[1], -1)
        U = b["U"].reshape(th.shape[0], b["U"].shape[1], -1)
        M = np.einsum("tik,tjk->tij", U, U) - np.einsum("tik,tjk->tij", V, V)
        scale = np.max(np.einsum("tik,tik->t", U, U) + np.einsum("tik,tik->t", V, V))
        out["matrix_relative_drift"] = float(np.max(np.abs(M - M[0])) / scale)
        if "W1" in b:
            W1 = b["W1"]
            D = np.einsum("tia,tib->tab", U, U) - np.einsum("tai,tbi->tab", W1, W1)
            s1 = np.max(np.einsum("tij,tij->t", W1, W1) + np.einsum("tik,tik->t", U, U))
            out["deep_layer12_relative_drift"] = float(np.max(np.abs(D - D[0])) / s1)
    return out


def flow_budget(row: dict) -> float:
    """Bound on the relative drift of a conserved quadratic quantity under DOP853 (docs/theory.md §4.5).

    Q is conserved along every trajectory, so a local error δθ changes Q by ∇Q·δθ once and the flow carries the
    change unamplified: the drift is the sum over accepted steps of |∇Q·δθ|.  The error control keeps each
    component within √n (atol + rtol |θ_c|) (Hairer's RMS norm ≤ 1 over n parameters), and ∇Q = 2(u, −p v), so each
    step moves Q_i by ≤ 2√n (rtol + atol √(max(1, p) n / mag_i)) mag_i.  The matrix and layer-pair laws are bilinear
    in the same weights and normalised by their total magnitude, so the same bound holds for them.

    >>> row = {"n_params": 12, "n_accepted": 100, "p": 1, "rtol": 1e-12, "atol": 1e-14, "min_peak_magnitude": 1.0}
    >>> f"{flow_budget(row):.3g}"
    '7.17e-10'
    """
    n = row["n_params"]
    per_step = row["rtol"] + row["atol"] * math.sqrt(max(1, row["p"]) * n / row["min_peak_magnitude"])
    return 2 * math.sqrt(n) * row["n_accepted"] * per_step


def _gd_budgets(gd: dict) -> np.ndarray:
    """Absolute round-off budget of the one-step change at each eta: (2m + 4) u max|Q terms| + eta |dQ/dt|.

    Q(theta - eta g) and Q(theta) are sums of m squares (each within m u of their magnitude), theta - eta g rounds
    each component twice (2 u |theta_c|, moving Q by 4 u of its magnitude), and g's own round-off leaves
    grad Q . g != 0, which enters at first order in eta (measured at theta as dQdt_at_theta)."""
    etas = np.asarray(gd["etas"], float)
    return (2 * gd["unit_entries"] + 4) * UNIT_ROUNDOFF * gd["Q_magnitude"] + etas * gd["dQdt_at_theta"]


def _fit_weights(etas) -> np.ndarray:
    """Least-squares slope of y against log eta = sum_k w_k y_k, so log errors eps_k move it by <= sum |w_k eps_k|."""
    x = np.log(np.asarray(etas, float))
    return (x - x.mean()) / np.sum((x - x.mean()) ** 2)


def judge_c3(measured: dict) -> Verdict:
    """Symbolic verdicts equal the theory's; each flow of C3_FLOW_LAWS ran to t_max and every conserved quantity's
    drift is finite and within :func:`flow_budget`; the GD one-step change equals eta^2 Q(grad) within the round-off
    budget at every eta, and its log-log slope (unit 1) the predicted exponent within what those errors allow."""
    why = _symbolic_mismatch(measured["symbolic"], C3_SYMBOLIC)
    if why:
        return Verdict(False, why)
    flows = measured["flow"]
    if sorted(flows) != sorted(C3_FLOW_LAWS):
        return Verdict(False, f"flows {sorted(flows)}, expected {sorted(C3_FLOW_LAWS)}")
    worst, where = 0.0, ""
    for name, row in flows.items():
        if row["status"] != "t_max" or not row["t_final"] >= row["t_max"]:
            return Verdict(False, f"flow {name} stopped at t = {row['t_final']:g} ({row['status']})")
        missing = [k for k in C3_FLOW_LAWS[name] if k not in row]
        if missing:
            return Verdict(False, f"flow {name}: {missing} not measured")
        budget = flow_budget(row)
        for k in C3_FLOW_LAWS[name]:
            ratio = row[k] / budget
            if not math.isfinite(ratio):
                return Verdict(False, f"flow {name}: {k} = {row[k]}, budget {budget}")
            if ratio > worst:
                worst, where = ratio, f"{name} {k} = {row[k]:.3g}, budget {budget:.3g}"
    gd = measured["gd"]
    dq, pred = np.asarray(gd["dQ"], float), np.asarray(gd["eta2_Q(grad)"], float)
    etas = np.asarray(gd["etas"], float)
    if dq.shape != pred.shape or dq.shape[0] != etas.size or etas.size < 3:
        return Verdict(False, f"GD: dQ {dq.shape}, predictions {pred.shape} at {etas.size} etas (need >= 3)")
    if not (np.all(np.isfinite(dq)) and np.all(np.isfinite(pred)) and np.all(pred[:, 0] != 0)):
        return Verdict(False, "GD: a one-step change or its prediction is not finite (or unit 1's is zero)")
    abs_budget = _gd_budgets(gd)
    gd_ratio = float(np.max(np.abs(dq - pred) / abs_budget[:, None]))
    slope = float(np.polyfit(np.log(etas), np.log(np.abs(dq[:, 0])), 1)[0])
    slope_budget = float(np.sum(np.abs(_fit_weights(etas)) * abs_budget / np.abs(pred[:, 0])))
    slope_off = abs(slope - gd["predicted_exponent"])
    ok = worst <= 1.0 and gd_ratio <= 1.0 and slope_off <= slope_budget
    return Verdict(ok, f"flows: worst drift / budget = {worst:.3g} ({where}); GD: worst |dQ - eta^2 Q(g)| / "
                       f"round-off budget = {gd_ratio:.3g}, slope {slope:.15g} off the predicted "
                       f"{gd['predicted_exponent']:g} by {slope_off:.3g} (budget {slope_budget:.3g})")


def _c3_drift(measured: dict, d: float) -> dict:
    """Q not conserved: every conserved quantity drifts by a relative d over the run."""
    flows = {name: {k: (_grown(v, d) if k in C3_FLOW_LAWS.get(name, ()) else v) for k, v in row.items()}
             for name, row in measured["flow"].items()}
    return dict(measured, flow=flows)


def _c3_power(measured: dict, d: float) -> dict:
    """Balance with the wrong power p + d: Q' = Q - d |v|^2 drifts by d times the growth of |v|^2."""
    flows = {name: dict(row, relative_drift=_grown(row["relative_drift"], d * row["v_growth"]))
             for name, row in measured["flow"].items()}
    return dict(measured, flow=flows)


def _c3_gd_exponent(measured: dict, d: float) -> dict:
    """One GD step changes Q by eta^(2 + d) Q(grad)."""
    gd = measured["gd"]
    pred = np.asarray(gd["eta2_Q(grad)"], float) * np.asarray(gd["etas"], float)[:, None] ** d
    return dict(measured, gd=dict(gd, **{"eta2_Q(grad)": pred.tolist(), "predicted_exponent": 2.0 + d}))


def _c3_gd_constant(measured: dict, d: float) -> dict:
    """One GD step changes Q by eta^2 Q(grad) (1 + d)."""
    gd = measured["gd"]
    pred = np.asarray(gd["eta2_Q(grad)"], float) * (1 + d)
    return dict(measured, gd=dict(gd, **{"eta2_Q(grad)": pred.tolist()}))


@REGISTRY.claim(
    "C3",
    statement="Balancedness: Q_i = |u_i|^2 - p|v_i|^2 is conserved by gradient flow (p = 1 linear/ReLU, 2 "
              "quadratic/attention, 3 cubic), U^T U - V^T V for linear nets, W_{l+1}^T W_{l+1} - W_l W_l^T for deep "
              "linear nets: proved symbolically, refuted for tanh; numerically (linear, deep linear, quadratic, ReLU "
              "flows under DOP853 at rtol 1e-12) the drift stays within the integrator's error bound; under GD each "
              "step changes Q by exactly eta^2 Q(grad) (O(eta^2))",
    source="[derived ✓] spec §4.5",
    tolerance="symbolic: every verdict equals the theory's; flow: max_t |Q(t) - Q(0)| / max_t(|u|^2 + p|v|^2) (and "
              "the matrix/layer-pair analogues) <= 2 sqrt(n) N_steps (rtol + atol sqrt(max(1,p) n / mag)) (about "
              "1e-9 here; spec 1e-8); GD: |dQ - eta^2 Q(grad)| <= (2m + 4) u max|Q terms| + eta |grad Q . grad| at "
              "each eta, and the log-log slope equal to 2 within the log errors those allow",
    justification="flow: Q is conserved along every trajectory, so each accepted step's local error (within "
                  "sqrt(n)(atol + rtol|theta|) by DOP853's error control) changes Q once and is never amplified; the "
                  "measured drift (~7e-15) is far below that bound because the embedded error estimate overstates "
                  "the 8th-order step's error at rtol 1e-12. GD: Q is quadratic, so Q(theta - eta g) - Q(theta) = "
                  "-eta grad Q . g + eta^2 Q(g) with grad Q . g = 0 up to the round-off of g; what remains is the "
                  "round-off of m-term sums of squares and of theta - eta g (measured 5e-16 absolute, budget 4e-15)",
    judge=lambda m: judge_c3(m),
    wrong=(WrongTheory("Q drifts: relative drift + d", _c3_drift),
           WrongTheory("balance with power p + d", _c3_power, unit="exponent"),
           WrongTheory("GD: dQ = eta^(2 + d) Q(grad)", _c3_gd_exponent, unit="exponent"),
           WrongTheory("GD: dQ = eta^2 Q(grad) x (1 + d)", _c3_gd_constant),
           WrongTheory("theory promises the opposite on one law", _theory_flipped("conserved", "not conserved"),
                       unit="structure (d unused)")),
)
def check_c3() -> dict:
    specs = (theory.build("linear-fc", width=2), theory.build("relu-fc", d_in=1, d_out=1, width=2),
             theory.build("quadratic", width=2), theory.build("cubic", width=2), theory.build("attn-s", width=2),
             theory.build("deep-linear"), theory.build("tanh-fc", width=2))
    symbolic = {spec.name: _verdicts(prove_conservation(spec, timeout=20), "conserved", "not conserved")
                for spec in specs}
    rng = np.random.default_rng(3)
    cases = [
        ("linear-fc", {"d_in": 3, "d_out": 3, "width": 3}, numerics.whitened([3.0, 2.0, 1.0]), 1, 0.3, 8.0),
        ("deep-linear", {"d_in": 3, "hidden": 4, "width": 5, "d_out": 2},
         numerics.LinearRegressionTask(np.eye(3), np.array([[2.0, 0.5, 0.0], [0.0, 1.0, 0.3]])), 1, 0.4, 10.0),
        ("quadratic", {"d_in": 3, "d_out": 1, "width": 3}, numerics.QuadraticGaussianTask(np.diag([2.0, 1.0, -1.5])),
         2, 0.3, 10.0),
    ]
    X = rng.standard_normal((15, 2))
    cases.append(("relu-fc", {"d_in": 2, "d_out": 1, "width": 3},
                  numerics.Dataset(X, np.abs(X[:, :1]) - 0.3 * X[:, 1:]), 1, 0.5, 10.0))
    flows = {}
    for name, sizes, task, p, eps, t_max in cases:
        arch = numerics.build_architecture(name, **sizes)
        th0 = rng.standard_normal(arch.n_params) * eps
        flows[name] = _flow_drift(arch, task, p, th0, t_max)
    # GD: one step from a random point for several eta; Q is quadratic so dQ = eta^2 Q(g) exactly.
    arch = numerics.build_architecture("quadratic", d_in=3, d_out=1, width=3)
    task = numerics.QuadraticGaussianTask(np.diag([2.0, 1.0, -1.5]))
    th = rng.standard_normal((1, arch.n_params)) * 0.5
    _, g = numerics.loss_and_grad(arch, task, th)
    q0, mag0 = _balance(arch, th, 2)
    qg, _ = _balance(arch, g, 2)
    (v, u), (gv, gu) = _unit_blocks(arch, th), _unit_blocks(arch, g)
    dq_dt = 2 * np.sum(u * gu, axis=2) - 2 * 2 * np.sum(v * gv, axis=2)  # grad Q . g, 0 in exact arithmetic
    etas = np.array([1e-2, 5e-3, 2.5e-3, 1.25e-3])
    after = [_balance(arch, th - eta * g, 2) for eta in etas]
    dq = np.array([q[0] - q0[0] for q, _ in after])
    pred = etas[:, None] ** 2 * qg[0][None, :]
    gd = {"etas": etas.tolist(), "p": 2, "unit_entries": int(v.shape[2] + u.shape[2]),
          "Q_magnitude": float(max(np.max(mag0), *(np.max(mg) for _, mg in after))),
          "dQdt_at_theta": float(np.max(np.abs(dq_dt))), "predicted_exponent": 2.0,
          "dQ": dq.tolist(), "eta2_Q(grad)": pred.tolist(),
          "slope_unit1": float(np.polyfit(np.log(etas), np.log(np.abs(dq[:, 0])), 1)[0]),
          "rel_err_vs_eta2_Q(g)": float(np.max(np.abs(dq - pred)) / np.max(np.abs(pred)))}
    return {"symbolic": symbolic, "flow": flows, "gd": gd}


# ------------------------------------------------------------------------------------------------ C17
def _reduced_rows(r: Any) -> dict[str, bool]:
    """A reduction's symbolic results: the ansatz's invariance certificate and each derived identity."""
    return {"ansatz invariance certified": isinstance(r.verdict, Certificate),
            **{k: bool(v) for k, v in r.matches.items()}}


def toy_budget(n_accepted: int, v0: float, v_t: float, rtol: float = FLOW_RTOL, atol: float = FLOW_ATOL) -> float:
    """Relative error bound of DOP853 on v' = v^2 at v(t) = v_t: an error δ made when v = v(s) grows like
    (v(t)/v(s))^2, so each accepted step's local error (<= rtol v(s) + atol) adds <= (rtol + atol/v0) v_t/v0 to the
    relative error at t.

    >>> f"{toy_budget(35, 0.5, 5.0):.3g}"
    '3.57e-10'
    """
    return n_accepted * (rtol + atol / v0) * v_t / v0


def judge_c17(measured: dict) -> Verdict:
    """Every symbolic identity holds; both units reached t and match Eq. 15 within :func:`toy_budget`, and the
    smaller unit matches Eq. 16 (from the larger one's simulated value) within the sum of the two budgets."""
    failed = [k for part in ("symbolic toy", "derived from quadratic flow") for k, ok in measured[part].items()
              if ok is not True]
    if failed or not measured["symbolic toy"] or not measured["derived from quadratic flow"]:
        return Verdict(False, f"symbolic identities fail or are missing: {failed}")
    num = measured["numeric"]
    sim, pred, v0 = num["simulated"], num["eq15_predicted"], num["v0"]
    if not (len(sim) == len(pred) == len(v0) == len(num["n_accepted"]) == 2):
        return Verdict(False, f"{len(sim)} simulated and {len(pred)} predicted values for 2 units")
    if any(s != "t_max" for s in num["status"]):
        return Verdict(False, f"the toy runs stopped early: {num['status']}")
    vals = [*sim, *pred, num["eq16_predicted"]]
    if not all(math.isfinite(x) and x > 0 for x in vals):
        return Verdict(False, f"a simulated or predicted value is not finite and positive: {vals}")
    budget = [toy_budget(n, a, s, num["rtol"], num["atol"]) for n, a, s in zip(num["n_accepted"], v0, sim,
                                                                                strict=True)]
    err15 = [abs(s / p - 1) for s, p in zip(sim, pred, strict=True)]
    err16 = abs(sim[1] / num["eq16_predicted"] - 1)
    ok = all(e <= b for e, b in zip(err15, budget, strict=True)) and err16 <= sum(budget)
    return Verdict(ok, "Eq. 15 relative errors " + ", ".join(f"{e:.3g} (budget {b:.3g})" for e, b in
                                                            zip(err15, budget, strict=True))
                   + f"; Eq. 16 {err16:.3g} (budget {sum(budget):.3g})")


def _c17_scaled(measured: dict, d: float) -> dict:
    num = measured["numeric"]
    return dict(measured, numeric=dict(num, eq15_predicted=[x * (1 + d) for x in num["eq15_predicted"]]))


def _c17_blowup(measured: dict, d: float) -> dict:
    """Blow-up at (1 + d)/v_0: v(t) = 1/((1 + d)/v_0 - t), and Eq. 16's 1/v_0 differences scaled alike."""
    num = measured["numeric"]
    t, (a, b) = num["t"], num["v0"]
    eq15 = [1 / ((1 + d) / v - t) for v in num["v0"]]
    eq16 = 1 / ((1 + d) * (1 / b - 1 / a) + 1 / num["simulated"][0])
    return dict(measured, numeric=dict(num, eq15_predicted=eq15, eq16_predicted=eq16))


@REGISTRY.claim(
    "C17",
    statement="Toy quadratic model v' = v^2: v(t) = (1/v_0 - t)^-1 (Eq. 15) and the two-unit relation Eq. 16 hold "
              "exactly (dsolve); the toy is derived from the quadratic net's flow (one unit along e_k, balanced "
              "w = sqrt(2) v, small-v leading order, tau = 2 sigma_k t); numerically DOP853 matches both",
    source="[paper] Eq. 15-16, spec §5.2",
    tolerance="symbolic identities exact; numeric (v_0 = 0.5 and 0.3, t = 0.9/0.5): relative error of each unit "
              "<= N_steps (rtol + atol/v_0) v(t)/v_0 (3.6e-10 and 2.9e-11 here; spec 1e-9), Eq. 16 within the sum",
    justification="DOP853 at rtol 1e-12: a local error made at v(s) is amplified by (v(t)/v(s))^2 on the way to "
                  "the blow-up, so the relative error at t is at most the step count times (rtol + atol/v_0) "
                  "v(t)/v_0; measured 1e-12 and 1.3e-13, the error estimate overstating the 8th-order step's error",
    judge=lambda m: judge_c17(m),
    wrong=(WrongTheory("Eq. 15 v(t) x (1 + d)", _c17_scaled),
           WrongTheory("blow-up time 1/v_0 x (1 + d)", _c17_blowup)),
)
def check_c17() -> dict:
    toy = toy_solution()
    red = quadratic_one_unit()
    v0 = np.array([[0.5], [0.3]])

    def fun(th):  # v' = v^2 is the gradient flow of L(v) = -v^3/3
        return -(th[:, 0] ** 3) / 3, -(th**2)

    t_end = 0.9 / v0[0, 0]
    res = gradient_flow(fun, v0, t_end, rtol=FLOW_RTOL, atol=FLOW_ATOL, gtol=0, stiff_method=None)
    vj, vi = res[0].theta_final[0], res[1].theta_final[0]
    eq16 = 1 / ((1 / v0[0, 0]) * (v0[0, 0] / v0[1, 0] - 1) + 1 / vj)
    return {"symbolic toy": _reduced_rows(toy), "derived from quadratic flow": _reduced_rows(red),
            "balanced reduced equation": str(red.derived["dv/dt on w = sqrt(2) v"]),
            "numeric": {"v0": v0[:, 0].tolist(), "t": t_end, "simulated": [float(vj), float(vi)],
                        "eq15_predicted": [float(1 / (1 / v - t_end)) for v in v0[:, 0]], "eq16_predicted": float(eq16),
                        "n_accepted": [m.n_accepted for m in res], "status": [m.status for m in res],
                        "rtol": FLOW_RTOL, "atol": FLOW_ATOL}}


# ------------------------------------------------------------------------------------------------ C24
def _c24_run(arch, task, starts: list[float], t_max: float):
    """attn-s from heads on the ansatz k = q = v e_d with values ``starts`` (0: the zero head)."""
    blocks = {"V": np.zeros((1, 2, 1)), "K": np.zeros((1, 2, 1, 2)), "Q": np.zeros((1, 2, 1, 2))}
    for d, v in enumerate(starts):
        blocks["V"][0, d, 0] = blocks["K"][0, d, 0, d] = blocks["Q"][0, d, 0, d] = v
    return gradient_flow(lambda t: numerics.loss_and_grad(arch, task, t), arch.pack(blocks), t_max, rtol=1e-12,
                         atol=1e-14, gtol=1e-13, ftol=1e-16, save_every=1)


def _c24_ode(lam: float, c: float, v0: float, t: np.ndarray) -> np.ndarray:
    """The reduced ODE v' = λ²v² − λ³c v⁵ from v0, on the times t (DOP853, rtol 1e-12)."""
    from scipy.integrate import solve_ivp

    sol = solve_ivp(lambda _t, v: lam**2 * v**2 - lam**3 * c * v**5, (0.0, float(t[-1])), [v0], method="DOP853",
                    rtol=1e-12, atol=1e-15, t_eval=t)
    return sol.y[0]


C24_RUNS = ("m=0", "m=1")


def _c24_errors(measured: dict, name: str) -> dict[str, float]:
    """The relative errors of run ``name`` against the predictions stored beside it (head m+1 is the one learning;
    earlier heads must sit at their v*, later ones at 0)."""
    row = measured[f"numeric {name}"]
    m = row["m"]
    vstar, v, k = row["v*_predicted"], row["v_final"], row["k_final"]
    errs = {"trajectory (max |V - v_ode| / v*)": row["trajectory_error"],
            f"v*_head{m + 1}": abs(v[m] / vstar[m] - 1), f"k*_head{m + 1}": abs(k[m] / vstar[m] - 1),
            "loss": abs(row["loss"] / row["loss_predicted"] - 1)}
    for j in range(len(v)):
        if j < m:
            errs[f"head{j + 1} stays at v*"] = abs(v[j] / vstar[j] - 1)
        elif j > m:
            errs[f"head{j + 1} stays at 0"] = abs(v[j]) / vstar[j]
    return errs


def judge_c24(measured: dict) -> Verdict:
    """The reduced ODE and its fixed point are derived symbolically (ansatz certified, m = 0, 1); each run of
    C24_RUNS converged with more than 10 saved points, and its trajectory, final head, key and plateau loss are
    within ODE_TOL of the reduced ODE and its fixed point (earlier heads at v*, later ones at 0)."""
    sym = [measured.get(f"symbolic {name}", {}).get("matches", {}) for name in C24_RUNS]
    failed = [k for rows in sym for k, ok in rows.items() if ok is not True]
    if failed or not all(sym):
        return Verdict(False, f"symbolic derivation fails or is missing: {failed}")
    worst, where = 0.0, ""
    for name in C24_RUNS:
        row = measured.get(f"numeric {name}")
        if row is None:
            return Verdict(False, f"run {name} missing")
        if row["status"] != "converged" or row["points"] <= 10:
            return Verdict(False, f"run {name}: status {row['status']}, {row['points']} saved points")
        for key, e in _c24_errors(measured, name).items():
            if not math.isfinite(e):
                return Verdict(False, f"run {name}: {key} = {e}")
            if e > worst:
                worst, where = e, f"{name} {key}"
    return Verdict(worst <= ODE_TOL, f"worst relative error {worst:.3g} ({where}), tolerance {ODE_TOL:g}")


def _c24_refit(measured: dict, vstar_of, loss_of=None) -> dict:
    """The measurement under a theory with fixed points ``vstar_of(lam, c)`` (and plateau loss ``loss_of``): the
    reduced ODE then ends at the new v* (the runs converge), so its trajectory is off by at least |v*' - v*| / v*."""
    lam, c = np.asarray(measured["lambda"], float), np.asarray(measured["c"], float)
    out = dict(measured)
    for name in C24_RUNS:
        row = measured[f"numeric {name}"]
        m = row["m"]
        vstar = np.asarray(vstar_of(lam, c), float)
        shift = abs(vstar[m] / row["v*_predicted"][m] - 1)
        new = dict(row, **{"v*_predicted": vstar.tolist(), "trajectory_error": _grown(row["trajectory_error"], shift)})
        if loss_of is not None:
            new["loss_predicted"] = float(loss_of(lam, c, m))
        out[f"numeric {name}"] = new
    return out


def _c24_loss(lam: np.ndarray, c: np.ndarray, m: int) -> float:
    return 0.5 * (lam.sum() - np.sum(lam[:m + 1] / c[:m + 1]))


def _c24_c_off(measured: dict, d: float) -> dict:
    """c x (1 + d): v*^3 = 1/(lambda c (1 + d)) and the plateau loss with the same c."""
    return _c24_refit(measured, lambda lam, c: (1 / (lam * c * (1 + d))) ** (1 / 3),
                      lambda lam, c, m: _c24_loss(lam, c * (1 + d), m))


def _c24_power_off(measured: dict, d: float) -> dict:
    """v' = lambda^2 v^2 - lambda^3 c v^(5 + d): v*^(3 + d) = 1/(lambda c)."""
    return _c24_refit(measured, lambda lam, c: (1 / (lam * c)) ** (1 / (3 + d)))


def _c24_level_off(measured: dict, d: float) -> dict:
    """Plateau loss + d L_0 (L_0 = tr Lambda / 2)."""
    l0 = 0.5 * float(np.sum(measured["lambda"]))
    return {k: (dict(v, loss_predicted=v["loss_predicted"] + d * l0) if k.startswith("numeric ") else v)
            for k, v in measured.items()}


@REGISTRY.claim(
    "C24",
    statement="ATTN_S reduced ODE (fixed-point part): restricting the derived flow to k = q = v e_{m+1} (earlier "
              "heads at their fixed points) gives v' = lambda^2 v^2 - lambda^3 c v^5, "
              "c = 1 + (1 + tr Lambda/lambda)/N, "
              "with fixed point v*^3 = 1/(lambda c); the numeric network started on the ansatz away from v* follows "
              "that ODE, converges to v* and its loss is 1/2 (tr Lambda - sum_{d<=m+1} lambda_d / c_d) (half of "
              "[ICL] Eq. 19)",
    source="[ICL] Eq. 19-21, [derived ✓] spec §6.8",
    tolerance=f"symbolic: exact; numeric (m = 0 from v = v*/2, m = 1 from v = 0.05): max |V(t) - v_ode(t)| / v* "
              f"along the run, the relative errors of v*, k* and the plateau loss, and earlier heads at v* / later "
              f"ones at 0, all < {ODE_TOL:g}",
    justification="the ansatz is invariant (Thm 3), so the network's value weight is the ODE's solution; both are "
                  "integrated by DOP853 at rtol 1e-12 and the flow stops within ~1e-12 of the attracting fixed "
                  "point (gtol 1e-13). The spec's 1e-9 is kept: the measured errors are 1.5e-12 (trajectory) and "
                  "<= 9e-15 (fixed point, loss), so the resolving power (~1e-9) is ~1000x the trajectory's error",
    judge=lambda m: judge_c24(m),
    wrong=(WrongTheory("c x (1 + d)", _c24_c_off),
           WrongTheory("v' = lambda^2 v^2 - lambda^3 c v^(5 + d)", _c24_power_off, unit="exponent"),
           WrongTheory("plateau loss + d L_0", _c24_level_off, unit="of L_0")),
)
def check_c24() -> dict:
    measured: dict = {}
    for m in (0, 1):
        r = attention_reduced(m=m)
        measured[f"symbolic m={m}"] = {"dv/dt": str(r.equations[r.variables[0]]), "matches": _reduced_rows(r)}
    lam = np.array([2.0, 1.0])
    n_ctx = 10
    arch = numerics.build_architecture("attn-s", dim=2, width=2, rank=1)
    task = numerics.ICLTask(np.diag(lam), n_ctx)
    c = 1 + (1 + lam.sum() / lam) / n_ctx
    vstar = (1 / (lam * c)) ** (1 / 3)
    measured.update({"lambda": lam.tolist(), "N": n_ctx, "c": c.tolist()})
    # The trajectory, not only the fixed point: each head starts off its fixed point on the ansatz (head 1 at half
    # of v*, head 2 zero; then head 1 at v* and head 2 at 0.05) and the network's value weight is compared along
    # the whole run with the reduced ODE solved from the same start.
    runs = {"m=0": (0, [0.5 * vstar[0], 0.0]), "m=1": (1, [vstar[0], 0.05])}
    for name, (m, starts) in runs.items():
        res = _c24_run(arch, task, starts, 2e4)
        V = np.array([arch.unpack(th[None])["V"][0, m, 0] for th in res[0].theta])
        t = np.asarray(res[0].t_saved)
        ode = _c24_ode(lam[m], c[m], starts[m], t)
        b = arch.unpack(res[0].theta_final[None])
        measured[f"numeric {name}"] = {
            "m": m, "start": [float(s) for s in starts], "v*_predicted": vstar.tolist(),
            "v_final": [float(b["V"][0, 0, 0]), float(b["V"][0, 1, 0])],
            "k_final": [float(b["K"][0, 0, 0, 0]), float(b["K"][0, 1, 0, 1])],
            "trajectory_error": float(np.max(np.abs(V - ode) / vstar[m])),
            "loss": float(res[0].loss_final), "loss_predicted": _c24_loss(lam, c, m),
            "t_final": float(res[0].t_final), "status": res[0].status, "points": int(t.size)}
        measured[f"numeric {name}"]["relative_errors"] = _c24_errors(measured, name)
    return measured


# ------------------------------------------------------------------------------------------------ C28
def _c28_run(name: str, t_max: float, seed: int = 0):
    """Width-4 net, d_in = 2, P = 100 Gaussian inputs, teacher with two orthogonal directions of strength 2 and
    1 built from the same φ (tanh: 2 tanh(x_1) + tanh(x_2); x·tanh x: 2 x_1 tanh x_1 + x_2 tanh x_2), ε = 1e-3."""
    from numerics.plateaus import staircase_from_result

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((100, 2))
    arch = numerics.build_architecture(name, d_in=2, d_out=1, width=4)
    phi = arch.activation.sigma
    Y = (2 * phi(X[:, 0]) + phi(X[:, 1]))[:, None]
    task = numerics.Dataset(X, Y)

    def fun(th):
        return numerics.loss_and_grad(arch, task, th)

    th0 = numerics.init_params(arch, 1e-3, seed=1)
    res = gradient_flow(fun, th0, t_max, rtol=1e-9, gtol=0, save_every=1)
    return arch, res, staircase_from_result(res, 0, fun=fun)


C28_RANK_ONE = 0.05    # sigma_2/sigma_1 of U when |U| first exceeds 0.1
C28_SEPARATION = 0.1   # runner-up / leader unit norm at the first drop


def judge_c28(measured: dict) -> Verdict:
    """tanh: sigma_2/sigma_1 < C28_RANK_ONE and exactly one (finite) drop; x tanh x: at least two finite drops, the
    active-unit count stepping 0 -> 1 -> 2 ... by one, and the runner-up below C28_SEPARATION x the leader."""
    th, xt = measured["tanh"], measured["xtanh"]
    for name, row in (("tanh", th), ("x tanh x", xt)):
        times = row["drop_times"]
        if len(times) != row["n_drops"] or not all(math.isfinite(x) for x in times):
            return Verdict(False, f"{name}: n_drops = {row['n_drops']} but drop times {times}")
    ratio, runner = th["sigma2/sigma1 at |U| = 0.1"], xt["runner-up/leader at first drop"]
    if not (math.isfinite(ratio) and math.isfinite(runner)):
        return Verdict(False, f"sigma2/sigma1 = {ratio}, runner-up/leader = {runner}")
    steps = [tuple(s) for s in xt["active-unit steps (t, from, to)"]]
    one_by_one = len(steps) >= 2 and steps[0][1] == 0 and all(b - a == 1 for _, a, b in steps)
    ok = ratio < C28_RANK_ONE and th["n_drops"] == 1 and xt["n_drops"] >= 2 and one_by_one and runner < C28_SEPARATION
    return Verdict(ok, f"tanh: sigma2/sigma1 = {ratio:.3g} (< {C28_RANK_ONE}), {th['n_drops']} drop (exactly 1); "
                       f"x tanh x: {xt['n_drops']} drops (>= 2), active units "
                       + " -> ".join(str(s[1]) for s in steps[:1]) + "".join(f" -> {s[2]}" for s in steps)
                       + f" ({'one by one' if one_by_one else 'NOT one by one'}), runner-up/leader {runner:.3g} "
                         f"(< {C28_SEPARATION})")


def _c28_tanh_staircase(measured: dict, d: float) -> dict:
    """tanh shows a staircase: one drop more (after the last)."""
    th = measured["tanh"]
    times = [*th["drop_times"], 2 * th["drop_times"][-1] if th["drop_times"] else 1.0]
    return dict(measured, tanh=dict(th, n_drops=th["n_drops"] + 1, drop_times=times))


def _c28_together(measured: dict, d: float) -> dict:
    """x tanh x recruits its units together: the active-unit count jumps 0 -> 2."""
    xt = measured["xtanh"]
    steps = xt["active-unit steps (t, from, to)"]
    return dict(measured, xtanh=dict(xt, **{"active-unit steps (t, from, to)": [[steps[0][0], 0, 2], *steps[2:]]}))


def _c28_plus(part: str, key: str):
    def apply(measured: dict, d: float) -> dict:
        return dict(measured, **{part: dict(measured[part], **{key: measured[part][key] + d})})
    return apply


@REGISTRY.claim(
    "C28",
    statement="tanh vs x tanh x (Fig. 4): the tanh net shows early rank-one weight growth but no multi-plateau "
              "staircase; the x tanh x net recruits its units one by one (one drop per unit)",
    source="[paper] Fig. 4D/F, spec §5.3",
    tolerance=f"tanh: sigma_2(U)/sigma_1(U) < {C28_RANK_ONE} when |U| first exceeds 0.1 (100 x init) and exactly 1 "
              "detected drop; x tanh x: >= 2 drops, the number of active units (norm > 0.1 x max over the run) steps "
              f"0 -> 1 -> 2 by one, and at the first drop the runner-up unit norm < {C28_SEPARATION} x the leader",
    justification="qualitative (Fig. 4): thresholds are the spec's effective-width convention (0.1 of the problem "
                  "scale, §1.4) and the staircase detector's defaults; the 0.05 rank-one bound is 20x below a "
                  "random 4x2 matrix's typical ratio (0.78 measured at t = 0). The resolving powers are the margins "
                  "to these thresholds (0.006 and 0.004 measured), not accuracies",
    judge=lambda m: judge_c28(m),
    wrong=(WrongTheory("tanh shows a staircase: one drop more", _c28_tanh_staircase, unit="count (d unused)"),
           WrongTheory("x tanh x recruits units together", _c28_together, unit="structure (d unused)"),
           WrongTheory("no rank-one growth: sigma2/sigma1 + d", _c28_plus("tanh", "sigma2/sigma1 at |U| = 0.1"),
                       unit="absolute"),
           WrongTheory("no unit separation: runner-up/leader + d",
                       _c28_plus("xtanh", "runner-up/leader at first drop"), unit="absolute")),
)
def check_c28() -> Measurement:
    measured: dict = {}
    arch, res, st = _c28_run("tanh-fc", 30.0)
    th, ts = res[0].theta, res[0].t_saved
    U = arch.unpack(th)["U"]
    s = np.linalg.svd(U, compute_uv=False)
    k = int(np.argmax(np.linalg.norm(U.reshape(len(ts), -1), axis=1) > 0.1))
    width = effective_width_trajectory(arch, th, kind="units")
    measured["tanh"] = {"sigma2/sigma1 at |U| = 0.1": float(s[k, 1] / s[k, 0]),
                        "sigma2/sigma1 at t = 0": float(s[0, 1] / s[0, 0]), "n_drops": int(st.n_drops),
                        "levels": st.levels.tolist(), "drop_times": st.drop_times.tolist(),
                        "active-unit steps": _steps(width, ts)}
    draw = {"tanh": {"t": res[0].t, "loss": res[0].loss, "drop_times": st.drop_times, "t_saved": ts, "sigma": s,
                     "t_read": float(ts[k])}} if figures_enabled() else None
    arch, res, st = _c28_run("xtanh-fc", 800.0)
    th, ts = res[0].theta, res[0].t_saved
    width = effective_width_trajectory(arch, th, kind="units")
    per_unit = np.linalg.norm(unit_params(arch, th), axis=2)
    norms = np.sort(per_unit, axis=1)[:, ::-1]
    kd = int(np.searchsorted(ts, st.drop_times[0])) if st.n_drops else 0
    measured["xtanh"] = {"n_drops": int(st.n_drops), "levels": st.levels.tolist(),
                         "drop_times": st.drop_times.tolist(),
                         "active-unit steps (t, from, to)": [list(x) for x in _steps(width, ts)],
                         "runner-up/leader at first drop": float(norms[kd, 1] / norms[kd, 0])}
    figs = ()
    if draw is not None:
        draw["xtanh"] = {"t": res[0].t, "loss": res[0].loss, "drop_times": st.drop_times, "t_saved": ts,
                         "norms": per_unit, "active": width}
        figs = (draw_c28(draw),)
    return Measurement(passed=False, measured=measured, figures=figs)


def _steps(width: np.ndarray, ts: np.ndarray) -> list[tuple[float, int, int]]:
    idx = np.flatnonzero(np.diff(width))
    return [(round(float(ts[i + 1]), 3), int(width[i]), int(width[i + 1])) for i in idx]
