"""Claims C2, C3, C17, C24 (fixed-point part) and C28 of spec §8: invariant manifolds, balancedness, the toy
quadratic solution, the reduced attention ODE and tanh vs x·tanh x.

Each claim pairs a symbolic part (:mod:`theory.invariants`, :mod:`theory.conservation`, :mod:`theory.reduced`)
with a numeric part (:mod:`numerics`).  Gradient descent is a plain NumPy loop θ ← θ − η∇L (one call of
:func:`numerics.loss_and_grad` per step, 3-4x faster than the recording integrator for 20 000 steps of a tiny
net); gradient flow uses :func:`numerics.integrate.gradient_flow` (DOP853).  Tolerances are the spec's (§0.6,
§8) and are never tuned to make a claim pass.
"""

from __future__ import annotations

import numpy as np

import numerics
import theory
from numerics.integrate import gradient_flow
from numerics.manifolds import effective_width_trajectory, unit_params
from theory.conservation import prove_conservation
from theory.invariants import prove_theorem3
from theory.reduced import attention_reduced, quadratic_one_unit, toy_solution

from ..figures import draw_c28, figures_enabled
from ..registry import REGISTRY, Measurement

GD_EXACT_TOL = 1e-12      # C2: "holds to ~1e-12 relative (exact up to round-off)"
FLOW_DRIFT_TOL = 1e-8     # C3: "relative drift < 1e-8 at rtol 1e-12"
ODE_TOL = 1e-9            # C17 / C24: DOP853 at rtol 1e-12 against an exact solution / fixed point


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


def _symbolic_summary(results) -> tuple[bool, dict[str, str]]:
    ok = all(r.agrees for r in results)
    return ok, {r.key: r.status for r in results}


# ------------------------------------------------------------------------------------------------- C2
@REGISTRY.claim(
    "C2",
    statement="Theorem 3 sets (i) equal units, (ii) zero unit, (iii) theta_i = gamma theta_j (gamma > 0 for ReLU), "
              "(iv) linearly dependent units (linear phi) and the sign flip (even phi) are invariant: proved "
              "symbolically; the sets theory does not promise (ReLU gamma < 0, tanh proportional, quadratic "
              "gamma not in {+-1}, (iv) for nonlinear phi) are refuted at a point; GD keeps the relations to round-off",
    source="[paper] Thm 3, [derived ✓] spec §4.1, §4.2, §4.4",
    tolerance=f"symbolic: every verdict agrees with the theory; numeric: max relative drift of the relation "
              f"<= {GD_EXACT_TOL:g} over the GD run; refuted relations drift > 1e-3",
    justification="each GD step maps the set into itself exactly (the dependent unit's gradient is the same "
                  "combination), so only float64 round-off (~1e-16 per step, ~1e-14 after 2e4 steps) remains",
)
def check_c2() -> Measurement:
    measured: dict = {}
    ok = True
    # Symbolic: a representative subset (the full sweep of all 12 architectures is claim C2-all, profile full).
    sym_specs = [theory.build("relu-fc", d_in=1, d_out=1, width=3), theory.build("linear-fc", width=3),
                 theory.build("quadratic", width=2), theory.build("tanh-fc", width=2)]
    for spec in sym_specs:
        good, summary = _symbolic_summary(prove_theorem3(spec, timeout=20))
        measured[f"symbolic {spec.name}"] = summary
        ok &= good
    rng = np.random.default_rng(2)
    # Numeric 1: ReLU net, theta_3 = 0.6 theta_1, 20 000 GD steps (spec §4.2); control gamma = -0.6.
    arch = numerics.build_architecture("relu-fc", d_in=2, d_out=1, width=3)
    X = rng.standard_normal((20, 2))
    task = numerics.Dataset(X, np.sin(X[:, :1]) + 0.5 * X[:, 1:])

    def fun(th):
        return numerics.loss_and_grad(arch, task, th)

    th0 = rng.standard_normal(arch.n_params) * 0.5
    p0 = unit_params(arch, th0[None])[0]
    runs = ((0.6, 20_000, "relu gamma=0.6, 20000 GD steps"), (-0.6, 500, "relu gamma=-0.6, 500 steps"))
    for gamma, steps, key in runs:
        th = _set_unit(arch, th0, 2, gamma * p0[0])
        thetas = _gd(fun, th, 0.01, steps)
        drift = _relation_drift(arch, thetas, 2, {0: gamma})
        measured[key] = {"max_relative_drift": drift, "final_loss": float(fun(thetas[-1:])[0][0])}
        ok &= drift <= GD_EXACT_TOL if gamma > 0 else drift > 1e-3
    # Numeric 2: linear net (iv) theta_3 = 0.5 theta_1 - 0.3 theta_2 on whitened regression.
    arch = numerics.build_architecture("linear-fc", d_in=2, d_out=2, width=3)
    task = numerics.whitened([3.0, 1.0])
    th = rng.standard_normal(arch.n_params) * 0.5
    p = unit_params(arch, th[None])[0]
    th = _set_unit(arch, th, 2, 0.5 * p[0] - 0.3 * p[1])
    thetas = _gd(lambda t: numerics.loss_and_grad(arch, task, t), th, 0.01, 2_000)
    drift = _relation_drift(arch, thetas, 2, {0: 0.5, 1: -0.3})
    measured["linear (iv) 0.5 theta_1 - 0.3 theta_2, 2000 steps"] = drift
    ok &= drift <= GD_EXACT_TOL
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
    zero_max = float(np.max(np.abs(pt[:, 1])))
    measured["quadratic sign flip, 2000 steps"] = flip_drift
    measured["quadratic zero unit, max |theta_2|"] = zero_max
    ok &= flip_drift <= GD_EXACT_TOL and zero_max == 0.0
    # Numeric 4: tanh, proportional units are not kept (control).
    arch = numerics.build_architecture("tanh-fc", d_in=2, d_out=1, width=2)
    X = rng.standard_normal((20, 2))
    task = numerics.Dataset(X, np.tanh(X[:, :1] - X[:, 1:]))
    th = rng.standard_normal(arch.n_params) * 0.5
    p = unit_params(arch, th[None])[0]
    th = _set_unit(arch, th, 1, 0.6 * p[0])
    thetas = _gd(lambda t: numerics.loss_and_grad(arch, task, t), th, 0.01, 500)
    drift = _relation_drift(arch, thetas, 1, {0: 0.6})
    measured["tanh gamma=0.6 (not invariant), 500 steps"] = drift
    ok &= drift > 1e-3
    return Measurement(passed=bool(ok), measured=measured)


@REGISTRY.claim(
    "C2-all",
    statement="Theorem 3 invariant sets proved (and non-applicable ones refuted) for all 12 architectures, "
              "width 3, symbolic tasks of each family",
    source="[paper] Thm 3, spec §4.1, §4.4",
    tolerance="every verdict agrees with the theory (no 'undecided')",
    justification="symbolic: exact simplification or an exact nonzero value at a rational point",
    profile="full",
)
def check_c2_all() -> Measurement:
    measured, ok = {}, True
    for name in theory.ARCHITECTURE_NAMES:
        width_key = "width" if "width" in theory.REGISTRY[name].sizes else "dim"  # diagonal nets: one unit per input
        spec = theory.build(name, **{width_key: 3})
        good, summary = _symbolic_summary(prove_theorem3(spec, timeout=30))
        measured[name] = summary
        ok &= good
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------- C3
def _balance(arch, thetas: np.ndarray, p: int) -> np.ndarray:
    """Q_i = ‖u_i‖² − p‖v_i‖² (T, H) and the magnitude ‖u_i‖² + p‖v_i‖² (T, H)."""
    blocks = arch.unpack(thetas)
    v = blocks["V"].reshape(thetas.shape[0], blocks["V"].shape[1], -1)
    u = np.concatenate([blocks[n].reshape(thetas.shape[0], blocks[n].shape[1], -1)
                        for n, _ in arch.blocks if n not in ("V", "W1")], axis=2)
    vv, uu = np.sum(v**2, axis=2), np.sum(u**2, axis=2)
    return uu - p * vv, uu + p * vv


def _flow_drift(arch, task, p: int, theta0: np.ndarray, t_max: float) -> dict:
    res = gradient_flow(lambda t: numerics.loss_and_grad(arch, task, t), theta0[None], t_max, rtol=1e-12,
                        atol=1e-14, gtol=0, save_every=1, stiff_method=None)
    th = res[0].theta
    q, mag = _balance(arch, th, p)
    drift = float(np.max(np.abs(q - q[0]) / np.max(mag, axis=0)))
    out = {"relative_drift": drift, "t_final": res[0].t_final, "loss_drop": float(res[0].loss[0] - res[0].loss[-1])}
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


@REGISTRY.claim(
    "C3",
    statement="Balancedness: Q_i = |u_i|^2 - p|v_i|^2 is conserved by gradient flow (p = 1 linear/ReLU, 2 "
              "quadratic/attention, 3 cubic), U^T U - V^T V for linear nets, W_{l+1}^T W_{l+1} - W_l W_l^T for deep "
              "linear nets: proved symbolically, refuted for tanh; numeric drift < 1e-8 relative under DOP853 at "
              "rtol 1e-12; under GD each step changes Q by exactly eta^2 Q(grad) (O(eta^2))",
    source="[derived ✓] spec §4.5",
    tolerance=f"flow: max_t |Q(t) - Q(0)| / max_t(|u|^2 + p|v|^2) < {FLOW_DRIFT_TOL:g}; GD: log-log slope of the "
              "one-step change vs eta within 0.02 of 2 and the change equal to eta^2 Q(grad) to 1e-6 relative",
    justification="DOP853 at rtol 1e-12 integrates to ~1e-11 relative over these short runs; Q is quadratic, so "
                  "Q(theta - eta g) - Q(theta) = -eta dQ/dt + eta^2 Q(g) = eta^2 Q(g) exactly (dQ/dt = 0), "
                  "leaving only round-off ~1e-16 |theta|^2 against eta^2 |g|^2 >= 1e-6",
)
def check_c3() -> Measurement:
    measured: dict = {}
    ok = True
    for spec in (theory.build("linear-fc", width=2), theory.build("relu-fc", d_in=1, d_out=1, width=2),
                 theory.build("quadratic", width=2), theory.build("attn-s", width=2), theory.build("deep-linear"),
                 theory.build("tanh-fc", width=2)):
        res = prove_conservation(spec, timeout=20)
        measured[f"symbolic {spec.name}"] = {r.law.key: r.status for r in res}
        ok &= all(r.agrees for r in res)
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
    for name, sizes, task, p, eps, t_max in cases:
        arch = numerics.build_architecture(name, **sizes)
        th0 = rng.standard_normal(arch.n_params) * eps
        out = _flow_drift(arch, task, p, th0, t_max)
        measured[f"flow {name}"] = out
        ok &= all(v < FLOW_DRIFT_TOL for k, v in out.items() if k.endswith("drift"))
    # GD: one step at a fixed point for several eta; Q is quadratic so dQ = eta^2 Q(g) exactly.
    arch = numerics.build_architecture("quadratic", d_in=3, d_out=1, width=3)
    task = numerics.QuadraticGaussianTask(np.diag([2.0, 1.0, -1.5]))
    th = rng.standard_normal((1, arch.n_params)) * 0.5
    _, g = numerics.loss_and_grad(arch, task, th)
    q0, _ = _balance(arch, th, 2)
    qg, _ = _balance(arch, g, 2)
    etas = np.array([1e-2, 5e-3, 2.5e-3, 1.25e-3])
    dq = np.array([_balance(arch, th - eta * g, 2)[0][0] - q0[0] for eta in etas])
    slope = float(np.polyfit(np.log(etas), np.log(np.abs(dq[:, 0])), 1)[0])
    pred = etas[:, None] ** 2 * qg[0][None, :]
    rel = float(np.max(np.abs(dq - pred)) / np.max(np.abs(pred)))
    measured["GD one-step dQ"] = {"slope": slope, "rel_err_vs_eta2_Q(g)": rel, "dQ_unit1": dq[:, 0].tolist()}
    ok &= abs(slope - 2) < 0.02 and rel < 1e-6
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------ C17
@REGISTRY.claim(
    "C17",
    statement="Toy quadratic model v' = v^2: v(t) = (1/v_0 - t)^-1 (Eq. 15) and the two-unit relation Eq. 16 hold "
              "exactly (dsolve); the toy is derived from the quadratic net's flow (one unit along e_k, balanced "
              "w = sqrt(2) v, small-v leading order, tau = 2 sigma_k t); numerically DOP853 matches both",
    source="[paper] Eq. 15-16, spec §5.2",
    tolerance=f"symbolic identities exact; numeric relative error < {ODE_TOL:g} at t = 0.9/v_0",
    justification="DOP853 at rtol 1e-12 on a smooth ODE away from the blow-up",
)
def check_c17() -> Measurement:
    toy = toy_solution()
    red = quadratic_one_unit()
    measured = {"symbolic toy": dict(toy.matches), "derived from quadratic flow": dict(red.matches),
                "balanced reduced equation": str(red.derived["dv/dt on w = sqrt(2) v"])}
    ok = toy.proved and red.proved
    v0 = np.array([[0.5], [0.3]])

    def fun(th):  # v' = v^2 is the gradient flow of L(v) = -v^3/3
        return -(th[:, 0] ** 3) / 3, -(th**2)

    t_end = 0.9 / v0[0, 0]
    res = gradient_flow(fun, v0, t_end, rtol=1e-12, atol=1e-14, gtol=0, stiff_method=None)
    vi, vj = res[1].theta_final[0], res[0].theta_final[0]
    exact_j = 1 / (1 / v0[0, 0] - t_end)
    exact_i = 1 / (1 / v0[1, 0] - t_end)
    eq16 = 1 / ((1 / v0[0, 0]) * (v0[0, 0] / v0[1, 0] - 1) + 1 / vj)
    errs = {"eq15_unit_j": abs(vj / exact_j - 1), "eq15_unit_i": abs(vi / exact_i - 1), "eq16": abs(vi / eq16 - 1)}
    measured["numeric relative errors"] = errs
    ok &= all(e < ODE_TOL for e in errs.values())
    return Measurement(passed=bool(ok), measured=measured)


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
              f"along the run, and the relative errors of v*, k* and the plateau loss, all < {ODE_TOL:g}",
    justification="the ansatz is invariant (Thm 3), so the network's value weight is the ODE's solution; both are "
                  "integrated by DOP853 at rtol 1e-12 and the flow stops within ~1e-12 of the attracting fixed "
                  "point (gtol 1e-13)",
)
def check_c24() -> Measurement:
    measured: dict = {}
    ok = True
    for m in (0, 1):
        r = attention_reduced(m=m)
        measured[f"symbolic m={m}"] = {"dv/dt": str(r.equations[r.variables[0]]), **r.matches}
        ok &= r.proved
    lam = np.array([2.0, 1.0])
    n_ctx = 10
    arch = numerics.build_architecture("attn-s", dim=2, width=2, rank=1)
    task = numerics.ICLTask(np.diag(lam), n_ctx)
    c = 1 + (1 + lam.sum() / lam) / n_ctx
    vstar = (1 / (lam * c)) ** (1 / 3)
    # The trajectory, not only the fixed point: each head starts off its fixed point on the ansatz (head 1 at half
    # of v*, head 2 zero; then head 1 at v* and head 2 at 0.05) and the network's value weight is compared along
    # the whole run with the reduced ODE solved from the same start.
    runs = {"m=0": (0, [0.5 * vstar[0], 0.0]), "m=1": (1, [vstar[0], 0.05])}
    for name, (m, starts) in runs.items():
        res = _c24_run(arch, task, starts, 2e4)
        V = np.array([arch.unpack(th[None])["V"][0, m, 0] for th in res[0].theta])
        t = np.asarray(res[0].t_saved)
        ode = _c24_ode(lam[m], c[m], starts[m], t)
        traj = float(np.max(np.abs(V - ode) / vstar[m]))
        b = arch.unpack(res[0].theta_final[None])
        v_final = np.array([b["V"][0, 0, 0], b["V"][0, 1, 0]])
        k_final = np.array([b["K"][0, 0, 0, 0], b["K"][0, 1, 0, 1]])
        on = np.arange(m + 1)
        loss_pred = 0.5 * (lam.sum() - np.sum(lam[on] / c[on]))
        errs = {"trajectory (max |V - v_ode| / v*)": traj,
                f"v*_head{m + 1}": abs(v_final[m] / vstar[m] - 1), f"k*_head{m + 1}": abs(k_final[m] / vstar[m] - 1),
                "loss": abs(res[0].loss_final / loss_pred - 1)}
        measured[f"numeric {name}"] = {"start": starts, "v*_predicted": vstar.tolist(), "v_final": v_final.tolist(),
                                       "loss": res[0].loss_final, "loss_predicted": loss_pred,
                                       "t_final": res[0].t_final, "status": res[0].status, "points": int(t.size),
                                       "relative_errors": errs}
        ok &= all(e < ODE_TOL for e in errs.values()) and t.size > 10
    return Measurement(passed=bool(ok), measured=measured)


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


@REGISTRY.claim(
    "C28",
    statement="tanh vs x tanh x (Fig. 4): the tanh net shows early rank-one weight growth but no multi-plateau "
              "staircase; the x tanh x net recruits its units one by one (one drop per unit)",
    source="[paper] Fig. 4D/F, spec §5.3",
    tolerance="tanh: sigma_2(U)/sigma_1(U) < 0.05 when |U| first exceeds 0.1 (100 x init) and exactly 1 detected "
              "drop; x tanh x: >= 2 drops, the number of active units (norm > 0.1 x max over the run) steps "
              "0 -> 1 -> 2 by one, and at the first drop the runner-up unit norm < 0.1 x the leader",
    justification="thresholds are the spec's effective-width convention (0.1 of the problem scale, §1.4) and the "
                  "staircase detector's defaults; the 0.05 rank-one bound is 20x below a random 4x2 matrix's "
                  "typical ratio",
)
def check_c28() -> Measurement:
    measured: dict = {}
    arch, res, st = _c28_run("tanh-fc", 30.0)
    th, ts = res[0].theta, res[0].t_saved
    U = arch.unpack(th)["U"]
    s = np.linalg.svd(U, compute_uv=False)
    k = int(np.argmax(np.linalg.norm(U.reshape(len(ts), -1), axis=1) > 0.1))
    width = effective_width_trajectory(arch, th, kind="units")
    tanh_ok = s[k, 1] / s[k, 0] < 0.05 and st.n_drops == 1
    measured["tanh"] = {"sigma2/sigma1 at |U| = 0.1": float(s[k, 1] / s[k, 0]),
                        "sigma2/sigma1 at t = 0": float(s[0, 1] / s[0, 0]), "n_drops": st.n_drops,
                        "levels": st.levels.tolist(), "drop_times": st.drop_times.tolist(),
                        "active-unit steps": _steps(width, ts)}
    draw = {"tanh": {"t": res[0].t, "loss": res[0].loss, "drop_times": st.drop_times, "t_saved": ts, "sigma": s,
                     "t_read": float(ts[k])}} if figures_enabled() else None
    arch, res, st = _c28_run("xtanh-fc", 800.0)
    th, ts = res[0].theta, res[0].t_saved
    width = effective_width_trajectory(arch, th, kind="units")
    steps = _steps(width, ts)
    per_unit = np.linalg.norm(unit_params(arch, th), axis=2)
    norms = np.sort(per_unit, axis=1)[:, ::-1]
    kd = int(np.searchsorted(ts, st.drop_times[0])) if st.n_drops else 0
    one_by_one = len(steps) >= 2 and all(b - a == 1 for _, a, b in steps) and steps[0][1] == 0
    runner = float(norms[kd, 1] / norms[kd, 0])
    xt_ok = st.n_drops >= 2 and one_by_one and runner < 0.1
    measured["xtanh"] = {"n_drops": st.n_drops, "levels": st.levels.tolist(), "drop_times": st.drop_times.tolist(),
                         "active-unit steps (t, from, to)": steps, "runner-up/leader at first drop": runner}
    figs = ()
    if draw is not None:
        draw["xtanh"] = {"t": res[0].t, "loss": res[0].loss, "drop_times": st.drop_times, "t_saved": ts,
                         "norms": per_unit, "active": width}
        figs = (draw_c28(draw),)
    return Measurement(passed=bool(tanh_ok and xt_ok), measured=measured, figures=figs)


def _steps(width: np.ndarray, ts: np.ndarray) -> list[tuple[float, int, int]]:
    idx = np.flatnonzero(np.diff(width))
    return [(round(float(ts[i + 1]), 3), int(width[i]), int(width[i + 1])) for i in idx]
