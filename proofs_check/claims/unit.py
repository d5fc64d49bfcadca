"""Model-generic claims on a network of the user's own unit: ``s2s check --activation EXPR``.

:class:`UnitNetwork` describes the network once (family ``fc`` or ``conv``, the unit σ(z) as an expression, bias,
sizes, a teacher dataset of the same network); :func:`unit_claims` builds the claims that apply to any unit, each
with the same fields and report as the workbench's own claims (:mod:`proofs_check.registry`):

* ``unit:gradients`` — the SymPy and NumPy derivations of L, ∇L, ∇²L agree (and central differences);
* ``unit:phi-properties`` — φ's properties proved from the expression (:func:`theory.analyse_activation`, and on
  the network's output by :func:`theory.properties.check_phi_properties`) agree with the ones measured from the
  compiled σ alone (:func:`numerics.measure_unit`);
* ``unit:theorem3`` — every Theorem 3 set the unit's properties admit is proved invariant symbolically and drifts by
  at most 1e-10 under gradient descent; the sets it does not admit are refuted;
* ``unit:theorem1`` — a converged width-1 fixed point embeds in width 2 by the constructions that apply;
* ``unit:escape-law`` — the first-drop time against ε over three decades matches the closed-form escape law of the
  Taylor order (docs/theory.md §6.12).

A claim that does not apply to the unit (no zero unit: no Theorem 1 (ii), no escape law) is skipped with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import numerics
import theory
from theory.invariants import prove_theorem3
from theory.properties import check_phi_properties

from ..cases import Case
from ..crosscheck import GRAD_RTOL, HESS_RTOL, check_case, random_points
from ..registry import Measurement, Registry, Verdict, WrongTheory

DRIFT_TOL = 1e-10          # Theorem 3 under GD: each step maps the set into itself exactly; only round-off remains
GD_STEPS, GD_LR, START_SCALE = 2_000, 0.005, 0.3
# Numeric Taylor coefficients carry rounding ε_mach/h^q from finite differences (numerics.activation): the measured
# accuracy is <= 1.2e-8 relative up to q = 4 and <= 1e-4 up to q = 8.
COEFFICIENT_RTOL = {1: 1e-7, 2: 1e-7, 3: 1e-7, 4: 1e-6}
COEFFICIENT_RTOL_HIGH = 1e-3


@dataclass(frozen=True)
class UnitNetwork:
    """A network of a user's unit and the teacher dataset it is checked on (module docstring)."""

    activation: str
    family: str = "fc"
    bias: bool = False
    sizes: dict[str, int] = field(default_factory=dict)
    samples: int = 64
    teacher_width: int = 2
    data_seed: int = 12345

    @property
    def unit(self) -> dict[str, Any]:
        return {"activation": self.activation, **({"bias": True} if self.bias else {})}

    def architecture(self, **sizes: int) -> numerics.Architecture:
        return numerics.build_architecture(self.family, **self.unit, **{**self.sizes, **sizes})

    def spec(self, **sizes: int) -> theory.NetworkSpec:
        return theory.build(self.family, **self.unit, **{**self.sizes, **sizes})

    def data(self, samples: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """x ~ N(0, I) and labels of a ``teacher_width``-unit teacher of the same network, weights N(0, 1)."""
        rng = np.random.default_rng(self.data_seed)
        teacher = self.architecture(width=self.teacher_width)
        x = rng.standard_normal((samples or self.samples, teacher.input_dim))
        y = teacher.forward(rng.standard_normal((1, teacher.n_params)), x)[0]
        return x, y

    def label(self) -> str:
        return self.architecture().label


def _gradients(net: UnitNetwork) -> dict[str, Any]:
    x, y = net.data(samples=3)
    case = Case(net.family, {**net.sizes, "width": 2}, "dataset", {"x": x, "y": y}, net.unit)
    r = check_case(case, random_points(case, 3))
    return {"loss_rel": r.loss_rel, "grad_rel": r.grad_rel, "hess_rel": r.hess_rel, "fd_asymmetry": r.fd_asymmetry,
            "symbolic_seconds": round(r.symbolic_seconds, 3)}


def judge_gradients(m: dict[str, Any]) -> Verdict:
    """Loss and gradient within GRAD_RTOL (round-off of exact formulas), the Hessian against central differences
    and their asymmetry within HESS_RTOL (truncation and round-off of the differences); NaN fails."""
    limits = {"loss_rel": GRAD_RTOL, "grad_rel": GRAD_RTOL, "hess_rel": HESS_RTOL, "fd_asymmetry": HESS_RTOL}
    bad = [k for k, lim in limits.items() if not (np.isfinite(m[k]) and m[k] <= lim)]
    return Verdict(not bad, ", ".join(f"{k} = {m[k]:.3g} (<= {lim:g})" for k, lim in limits.items())
                   + (f"; over: {bad}" if bad else ""))


def _plus(key: str):
    """A wrong derivation whose `key` error grows by d: a quantity × (1 + d) moves its relative error by ≈ d."""
    return lambda m, d: {**m, key: m[key] + d}


def _phi_properties(net: UnitNetwork) -> dict[str, Any]:
    sym = theory.analyse_activation(net.activation)
    num = numerics.measure_unit(net.architecture().activation)
    rtol = COEFFICIENT_RTOL.get(sym.order, COEFFICIENT_RTOL_HIGH)
    a_sym = float(sym.coefficient)
    a_rel = abs(num.coefficient - a_sym) / max(abs(a_sym), 1e-300)
    degree_num = num.degree
    measured = {
        "symbolic": {"sigma(0)": str(sym.value_at_zero), "parity": sym.parity, "order q": sym.order,
                     "coefficient a": str(sym.coefficient), "degree": sym.degree, "polynomial": sym.polynomial},
        "numeric": {"sigma(0)": num.value_at_zero, "parity": num.parity, "order q": num.order,
                    "coefficient a": num.coefficient, "degree": degree_num},
        "coefficient_rel_error": float(a_rel), "coefficient_rtol": rtol,
    }
    network = check_phi_properties(net.spec(width=2), timeout=60)
    measured["agree"] = {
        "zero unit": sym.zero_unit == (abs(num.value_at_zero) <= 1e-12),
        "parity": sym.parity == num.parity,
        "order": sym.order == num.order,
        "degree": sym.degree == degree_num,
        "network-level": all(c.consistent for c in network.values()),
    }
    measured["network-level proofs"] = {k: {"declared": c.declared, "holds": c.holds, "how": c.witness}
                                        for k, c in network.items()}
    return measured


def judge_phi_properties(m: dict[str, Any]) -> Verdict:
    """Every proved property agrees with the measured one, and the measured Taylor coefficient is within its
    finite-difference budget of the proved one."""
    err, rtol = m["coefficient_rel_error"], m["coefficient_rtol"]
    off = [k for k, ok in m["agree"].items() if not ok]
    coef_ok = bool(np.isfinite(err) and err <= rtol)
    return Verdict(not off and coef_ok, f"disagree: {off or 'none'}; coefficient a off by {err:.3g} (<= {rtol:g})")


def _gd(arch, task, theta0: np.ndarray, lr: float) -> np.ndarray:
    th = theta0[None, :].copy()
    out = [th[0].copy()]
    for k in range(GD_STEPS):
        th = th - lr * numerics.loss_and_grad(arch, task, th)[1]
        if (k + 1) % 200 == 0:
            out.append(th[0].copy())
    return np.array(out)


# The Theorem 3 sets run numerically, each as the image of unit 1 that unit 0 is put on, (v_1, u_1) → (v_0, u_0):
# equal units (i), the zero unit (ii), and the sign flip of an even unit, θ_0 = (v_1, −u_1).
_SET_IMAGES: dict[str, Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]] = {
    "i": lambda v, u: (v, u),
    "ii": lambda v, u: (np.zeros_like(v), np.zeros_like(u)),
    "sign-flip": lambda v, u: (v, -u),
}


def _start_on(arch, rng, key: str) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """A generic point on set ``key`` (:data:`_SET_IMAGES`) for units 0 (dependent) and 1, and the distance to the
    set along a run."""
    theta = START_SCALE * rng.standard_normal(arch.n_params)
    (v0, u0), (v1, u1) = numerics.unit_indices(arch)[:2]
    image = _SET_IMAGES[key]
    theta[v0], theta[u0] = image(theta[v1], theta[u1])

    def distance(ths: np.ndarray) -> np.ndarray:
        v_img, u_img = image(ths[:, v1], ths[:, u1])
        return np.hypot(np.linalg.norm(ths[:, v0] - v_img, axis=1), np.linalg.norm(ths[:, u0] - u_img, axis=1))

    return theta, distance


def _theorem3(net: UnitNetwork) -> dict[str, Any]:
    spec = net.spec(width=3)
    results = prove_theorem3(spec, timeout=60)
    symbolic = {r.key: {"theory": r.candidate.expected, "verdict": r.status, "why": r.candidate.reason}
                for r in results}
    sym_ok = all(r.agrees is True for r in results)
    arch = net.architecture(width=3)
    x, y = net.data()
    task = numerics.Dataset(x, y)
    rng = np.random.default_rng(7)
    numeric = {}
    for r in results:
        if not r.candidate.expected or r.key not in _SET_IMAGES:
            continue
        theta0, distance = _start_on(arch, rng, r.key)
        lr = GD_LR
        for _ in range(6):  # an unbounded unit (z**3) can diverge: a smaller step, the same exact invariance
            with np.errstate(all="ignore"):
                run = _gd(arch, task, theta0, lr)
                final_loss = float(numerics.loss_and_grad(arch, task, run[-1:])[0][0])
            if np.isfinite(final_loss) and np.all(np.isfinite(run)):
                break
            lr /= 4
        drift = float(np.max(distance(run)))
        numeric[r.key] = {"max_drift": drift, "gd_steps": GD_STEPS, "lr": lr, "final_loss": final_loss}
    return {"symbolic": symbolic, "symbolic_agrees": bool(sym_ok), "numeric": numeric}


def judge_theorem3(m: dict[str, Any]) -> Verdict:
    """Every symbolic verdict agrees with the theory; at least one admitted set was run, and every run stayed on its
    set within DRIFT_TOL with a finite loss (a diverged run says nothing about the set: it fails)."""
    if not m["symbolic_agrees"]:
        return Verdict(False, "a symbolic verdict disagrees with the theory")
    if not m["numeric"]:
        return Verdict(False, "no applicable set was checked numerically")
    bad = [k for k, r in m["numeric"].items()
           if not (np.isfinite(r["final_loss"]) and np.isfinite(r["max_drift"]) and r["max_drift"] <= DRIFT_TOL)]
    drifts = ", ".join(f"({k}) {r['max_drift']:.3g}" for k, r in m["numeric"].items())
    return Verdict(not bad, f"max drift {drifts} (<= {DRIFT_TOL:g})" + (f"; off the set: {bad}" if bad else ""))


def _drift_plus(m: dict[str, Any], d: float) -> dict[str, Any]:
    return {**m, "numeric": {k: {**r, "max_drift": r["max_drift"] + d} for k, r in m["numeric"].items()}}


def _theorem1(net: UnitNetwork) -> dict[str, Any]:
    from .fixed_points import _embed_numeric, _fit

    narrow, wide = net.architecture(width=1), net.architecture(width=2)
    x, y = net.data()
    task = numerics.Dataset(x, y)
    theta, seed = _fit(narrow, task)
    gn = float(np.linalg.norm(numerics.loss_and_grad(narrow, task, theta[None])[1]))
    measured: dict[str, Any] = {"narrow fit": {"seed": seed, "grad_norm": gn}, "constructions": {}}
    if seed is None:
        return measured
    applies = {c.key: c for c in theory.theorem1_constructions(net.spec(width=1))}
    f_n = narrow.forward(theta[None], x)[0]
    for key in ("i", "ii", "iii", "iv"):
        c = applies[key]
        if not c.applies:
            measured[f"({key})"] = f"does not apply: {c.reason}"
            continue
        tw = _embed_numeric(narrow, wide, theta, key, 0.7, 0.4)
        lw, gw = numerics.loss_and_grad(wide, task, tw[None])
        measured["constructions"][key] = {
            "grad_wide": float(np.linalg.norm(gw)),
            "map_change": float(np.max(np.abs(wide.forward(tw[None], x)[0] - f_n))),
            # round-off of the gradient sums at this point, and the scale of the map
            "grad_floor": float(100 * np.finfo(float).eps * (1 + float(tw @ tw)) * (1 + np.sqrt(2 * float(lw[0])))),
            "map_scale": float(1 + np.max(np.abs(f_n))), "why": c.reason}
    return measured


def judge_theorem1(m: dict[str, Any]) -> Verdict:
    """The width-1 fit converged (|grad| < 1e-9) and every construction that applies gives a width-2 point with
    |grad L_wide| <= 10 max(|grad L_narrow|, round-off floor) and the same map to 1e-12 relative."""
    gn = m["narrow fit"]["grad_norm"]
    if m["narrow fit"]["seed"] is None or not (np.isfinite(gn) and gn < 1e-9):
        return Verdict(False, f"no width-1 fixed point converged (|grad| = {gn:.3g})")
    cons = m["constructions"]
    if not cons:
        return Verdict(False, "no Theorem 1 construction applies to check")
    bad = [k for k, c in cons.items()
           if not (c["grad_wide"] <= 10 * max(gn, c["grad_floor"]) and c["map_change"] <= 1e-12 * c["map_scale"])]
    return Verdict(not bad, ", ".join(f"({k}) |grad| {c['grad_wide']:.3g}, map {c['map_change']:.3g}"
                                      for k, c in cons.items()) + (f"; not fixed points: {bad}" if bad else ""))


def _wide_grad_plus(m: dict[str, Any], d: float) -> dict[str, Any]:
    return {**m, "constructions": {k: {**c, "grad_wide": c["grad_wide"] + d} for k, c in m["constructions"].items()}}


# ------------------------------------------------------------------------------------------------ escape law
# Three decades, starting where the law is asymptotic: at eps = 1e-2 the next Taylor term of e.g. z**2 + z**3
# still shifts t* by 30 % (relative O(eps^m ln(1/eps)) with a large constant).
ESCAPE_EPS = (1e-3, 1e-4, 1e-5, 1e-6)


def symmetric_data(net: UnitNetwork, samples: int) -> tuple[np.ndarray, np.ndarray]:
    """A one-unit teacher y = v* σ(w*·x̃) and inputs closed under the reflection R = 2ŵŵᵀ − I that fixes w*: then
    the aligned subspace (every u_i ∥ w*, the top mode of C = E[y x̃ᵀ]) is invariant under the full flow, which is
    the assumption of the q = 1 intercept (docs/theory.md §6.12)."""
    rng = np.random.default_rng(net.data_seed)
    teacher = net.architecture(width=1)
    d = teacher.input_dim
    w = rng.standard_normal(d)
    w_hat = w / np.linalg.norm(w)
    half = rng.standard_normal((samples // 2, d))
    x = np.concatenate([half, half @ (2.0 * np.outer(w_hat, w_hat) - np.eye(d))])
    blocks = teacher.unpack(rng.standard_normal((1, teacher.n_params)))
    blocks["U"][0, 0, :d] = w
    y = teacher.forward(teacher.pack(blocks), x)[0]
    return x, y


def _next_order(expr, q: int) -> int | None:
    """The order of the first non-zero Taylor term of σ after z^q (None if none up to z^(2q))."""
    import sympy as sp

    z = next(iter(expr.free_symbols))
    poly = sp.series(expr, z, 0, 2 * q + 1).removeO()
    for k in range(q + 1, 2 * q + 1):
        if poly.coeff(z, k) != 0:
            return k
    return None


def measure_escape(net: UnitNetwork, eps_values: tuple[float, ...] = ESCAPE_EPS, seed: int = 0,
                   unit: Any = None) -> dict[str, Any]:
    """Simulated first-drop times of the full network from θ_0 = ε θ̂ (one θ̂, every ε in one batch) and the escape
    law's prediction from the same θ̂ (docs/theory.md §6.12), on :func:`symmetric_data`; numbers only, judged by
    :func:`judge_escape`."""
    from ..predict import taylor_first_escape

    unit = unit or theory.analyse_activation(net.activation, argument="--activation")
    arch = net.architecture()
    x, y = symmetric_data(net, net.samples)
    task = numerics.Dataset(x, y)
    q, a = unit.order, float(unit.coefficient)
    theta_hat = np.random.default_rng(seed).standard_normal(arch.n_params)
    eps = np.asarray(eps_values, dtype=float)
    laws = [taylor_first_escape(arch, unit, e * theta_hat, x, y, float(e)) for e in eps]
    t_pred = np.array([law.t_escape for law in laws])
    scale = laws[0].rate if q == 1 else 1.0

    def fun(th):
        return numerics.loss_and_grad(arch, task, th)

    t_max = float(2.0 * np.max(t_pred) + 40.0 / scale)
    # The plateau gradient is O(eps^(D-1)) (D the total degree): the convergence test must sit far below it.
    gtol = min(numerics.integrate.DEFAULT_GTOL, 1e-3 * float(eps.min()) ** (arch.total_degree - 1))
    res = numerics.gradient_flow(fun, eps[:, None] * theta_hat[None, :], t_max, rtol=1e-10, gtol=gtol)
    t_sim = []
    for m in range(eps.size):
        if q == 1:
            # As `s2s predict --compare` measures a drop: the crossing of the midpoint of the *predicted* levels
            # (docs/accuracy.md). The simulated next level of a slowly settling unit depends on how long the run
            # is, which would move the simulated midpoint with eps.
            level = 0.5 * float(sum(laws[m].levels))
        else:
            # Detect on the recorded points, then refine only the first drop on the dense output (refining every
            # candidate crossing of a long run costs minutes).
            st = numerics.staircase_from_result(res, m)
            level = float(st.midpoints[0]) if st.n_drops else float("nan")
        t_sim.append(float(numerics.refine_crossing(fun, res, m, level)) if np.isfinite(level) else float("nan"))
    out: dict[str, Any] = {"q": q, "a": a, "next_order": _next_order(unit.expr, q), "eps": eps.tolist(),
                           "t_pred": t_pred.tolist(), "t_sim": t_sim,
                           "status": [res[m].status for m in range(eps.size)]}
    if q == 1:
        out.update(rate=laws[0].rate, slope_pred=laws[0].slope, intercept_pred=laws[0].intercept)
    return out


def _fit_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


# The drop times of DOP853 at rtol 1e-10, refined on the dense output, carry a relative error below this.
TIME_FLOOR = 1e-7


def error_order(q: int, next_order: int | None) -> float:
    """Order m of the law's error in ε (docs/theory.md §6.12), k the next Taylor order of σ (None: a monomial):
    q >= 2, the relative error is O(ε^m ln(1/ε)) with m = min(k − q, q − 1); q = 1 on data whose aligned subspace is
    invariant, the absolute error is O(ε^m ln²(1/ε)) with m = min(k − 1, 2) (a z² term couples the dormant
    directions at first order in the amplitude, an odd unit's z³ term at second order)."""
    if q == 1:
        return float(2 if next_order is None else min(next_order - 1, 2))
    return float(q - 1 if next_order is None else min(next_order - q, q - 1))


def judge_escape(m: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """Pass/fail of the escape law on measured numbers, with the numbers that decided it.

    The law is asymptotic, so it is judged by how its error vanishes: the error at each ε must be at most twice
    the error at the largest ε carried down at the law's order (:func:`error_order`, with the ln(1/ε) factor for
    q >= 2), or below the integrator's floor :data:`TIME_FLOOR`.  q >= 2 judges the relative error of t (a wrong
    constant leaves it constant, a wrong exponent makes it grow); q = 1 the absolute error (a wrong intercept leaves
    it constant, a wrong slope makes it grow like ln(1/ε)).  Every time must be finite and present for every ε,
    over at least three decades: a missing drop fails.
    """
    eps = np.asarray(m["eps"], dtype=float)
    t_pred, t_sim = np.asarray(m["t_pred"], dtype=float), np.asarray(m["t_sim"], dtype=float)
    verdict: dict[str, Any] = {}
    if (eps.size < 3 or not (t_pred.size == t_sim.size == eps.size) or not np.all(np.isfinite(t_pred))
            or not np.all(np.isfinite(t_sim)) or np.log(eps.max() / eps.min()) < np.log(1e3) - 1e-9):
        verdict["reason"] = "a time is missing or not finite, or the eps values span less than three decades"
        return False, verdict
    q = int(m["q"])
    order = error_order(q, m.get("next_order"))
    ln_inv = np.log(1.0 / eps)
    i0 = int(np.argmax(eps))
    if q >= 2:
        err = np.abs(t_sim - t_pred) / t_pred
        growth = (eps / eps[i0]) ** order * (1.0 + ln_inv) / (1.0 + ln_inv[i0])
        slope, _ = _fit_line(ln_inv, np.log(t_sim))
        verdict.update(relative_error=err.tolist(), slope_sim=slope, slope_law=q - 1)
    else:
        err = np.abs(t_sim - t_pred)
        growth = (eps / eps[i0]) ** order * ((1.0 + ln_inv) / (1.0 + ln_inv[i0])) ** 2
        slope, intercept = _fit_line(ln_inv, t_sim)
        verdict.update(absolute_error=err.tolist(), slope_sim=slope, slope_law=1.0 / float(m["rate"]),
                       intercept_sim=intercept, intercept_law=float(m["intercept_pred"]))
    floor = TIME_FLOOR * (1.0 if q >= 2 else t_pred)
    allowed = np.maximum(2.0 * err[i0] * growth, floor)
    allowed[i0] = np.inf  # the largest eps sets the constant
    verdict.update(error_order=order, allowed=np.where(np.isfinite(allowed), allowed, None).tolist())
    return bool(np.all(err <= allowed)), verdict


def _escape(net: UnitNetwork) -> Measurement:
    unit = theory.analyse_activation(net.activation, argument="--activation")
    if not unit.zero_unit:
        return Measurement(passed=False, skipped=f"sigma(0) = {unit.value_at_zero} != 0: u = 0 is not a zero unit, "
                           "so there is no origin saddle to escape from and the law does not apply")
    if "kernel" in net.architecture().sizes:
        return Measurement(passed=False, skipped="the escape law is derived for fully connected units (docs/theory.md "
                           "§6.12); a conv unit reads several patches at once")
    measured = measure_escape(net, unit=unit)
    return Measurement(passed=False, measured={**measured, "verdict": judge_escape(measured)[1]})


def judge_escape_law(m: dict[str, Any]) -> Verdict:
    """:func:`judge_escape` as a registry judge."""
    passed, verdict = judge_escape(m)
    reason = verdict.get("reason") or ("errors " + ", ".join(
        f"{e:.3g}" for e in verdict.get("relative_error", verdict.get("absolute_error", [])))
        + " against allowed " + ", ".join("inf" if a is None else f"{a:.3g}" for a in verdict["allowed"]))
    return Verdict(passed, reason)


def _law_scaled(m: dict[str, Any], d: float) -> dict[str, Any]:
    """A law whose every predicted time is × (1 + d): a wrong constant (q >= 2) or slope and intercept (q = 1)."""
    return {**m, "t_pred": [t * (1 + d) for t in m["t_pred"]]}


CLAIMS: tuple[tuple[str, str, str, str, str, Callable[[UnitNetwork], Any]], ...] = (
    ("unit:gradients", "The SymPy and NumPy derivations of L, grad L and the Hessian of the network agree",
     "docs/theory.md §0.3, §1.1", f"loss, grad rel <= {GRAD_RTOL:g}; Hessian vs central differences rel <= "
     f"{HESS_RTOL:g}", "float64 round-off for exact formulas; O(h^2) truncation + O(eps/h) round-off for central "
     "differences with h = eps^(1/3)", _gradients),
    ("unit:phi-properties", "phi's properties proved from the expression (sigma(0), parity, Taylor order q and its "
     "coefficient a, homogeneity) agree with the ones measured from the compiled sigma, and the declared properties "
     "hold on the network's output", "docs/theory.md §1.2", "symbolic: exact; numeric: sigma(0) within 1e-12, "
     "a within 1e-7 relative for q <= 3 (1e-6 for q = 4, 1e-3 above)", "finite differences of order q carry "
     "rounding eps_mach/h^q; Richardson extrapolation leaves the measured errors of numerics.activation",
     _phi_properties),
    ("unit:theorem3", "Every Theorem 3 set the unit admits (equal units, zero unit, sign flip for even units) is "
     "proved invariant and drifts by <= 1e-10 under gradient descent; the sets it does not admit are refuted",
     "[paper] Thm 3, docs/theory.md §4.1, §4.2, §4.4", f"symbolic: every verdict agrees with the theory; numeric: "
     f"max drift <= {DRIFT_TOL:g} over {GD_STEPS} GD steps", "each GD step maps the set into itself exactly; only "
     "float64 round-off remains", _theorem3),
    ("unit:theorem1", "A converged width-1 fixed point embeds as a width-2 fixed point by every Theorem 1 "
     "construction that applies to the unit", "[paper] Thm 1, docs/theory.md §2.2, §2.4", "|grad L_wide| <= "
     "10 max(|grad L_narrow|, 100 eps (1+|theta|^2)(1+sqrt(2L))); map unchanged to 1e-12", "the constructions are "
     "exact identities; round-off of the gradient sums", _theorem1),
    ("unit:escape-law", "The first-drop time against eps (1e-3 .. 1e-6) follows the escape law of the Taylor order: "
     "q >= 2, t = tau/(a eps^(q-1)); q = 1, t = ln(1/eps)/(a s_1) + b (slope and intercept); on a one-unit teacher "
     "with reflection-symmetric inputs (the law's assumption for the q = 1 intercept); q = 1 drops are timed at the "
     "midpoint of the predicted levels, as s2s predict --compare times them", "docs/theory.md §6.12 "
     "[derived]", "the error vanishes at the law's order: error(eps) <= 2 error(eps_max) (eps/eps_max)^m "
     "x ((1+ln 1/eps)/(1+ln 1/eps_max))^j (j = 1 for q >= 2, 2 for q = 1), or below 1e-7 relative; relative error "
     "for q >= 2, absolute for q = 1", "q >= 2: the next Taylor term z^k and the O(1) blow-up-to-midpoint offset "
     "give a relative error O(eps^m ln(1/eps)), m = min(k - q, q - 1); q = 1: O(eps^m ln^2(1/eps)) corrections of "
     "the linear phase, m = min(k - 1, 2), when the aligned subspace is invariant", _escape),
)


# Each claim's judge and the wrong theories it must refuse (registry.resolving_power).
JUDGES: dict[str, tuple[Callable[[dict[str, Any]], Verdict], tuple[WrongTheory, ...]]] = {
    "unit:gradients": (judge_gradients, (WrongTheory("gradient x (1 + d)", _plus("grad_rel")),
                                         WrongTheory("Hessian x (1 + d)", _plus("hess_rel")))),
    "unit:phi-properties": (judge_phi_properties, (WrongTheory("coefficient a x (1 + d)",
                                                               _plus("coefficient_rel_error")),)),
    "unit:theorem3": (judge_theorem3, (WrongTheory("the set leaks: drift + d", _drift_plus, unit="absolute"),)),
    "unit:theorem1": (judge_theorem1, (WrongTheory("embedded point not fixed: |grad| + d", _wide_grad_plus,
                                                   unit="absolute"),)),
    "unit:escape-law": (judge_escape_law, (WrongTheory("law times x (1 + d)", _law_scaled),)),
}


def unit_claims(net: UnitNetwork) -> Registry:
    """The claims of the module docstring for ``net``, in a registry of their own."""
    reg = Registry()
    for cid, statement, source, tolerance, justification, fn in CLAIMS:
        judge, wrong = JUDGES[cid]
        reg.claim(cid, statement=f"{net.label()}: {statement}", source=source, tolerance=tolerance,
                  justification=justification, judge=judge, wrong=wrong)((lambda f: lambda: f(net))(fn))
    return reg
