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
from ..registry import Measurement, Registry

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


def _gradients(net: UnitNetwork) -> Measurement:
    x, y = net.data(samples=3)
    case = Case(net.family, {**net.sizes, "width": 2}, "dataset", {"x": x, "y": y}, net.unit)
    r = check_case(case, random_points(case, 3))
    measured = {"loss_rel": r.loss_rel, "grad_rel": r.grad_rel, "hess_rel": r.hess_rel,
                "fd_asymmetry": r.fd_asymmetry, "symbolic_seconds": round(r.symbolic_seconds, 3)}
    values = [r.loss_rel, r.grad_rel, r.hess_rel, r.fd_asymmetry]
    if not all(np.isfinite(values)):
        return Measurement(passed=False, measured=measured, details="a relative error is not finite")
    return Measurement(passed=r.passed, measured=measured)


def _phi_properties(net: UnitNetwork) -> Measurement:
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
        "coefficient_rel_error": a_rel, "coefficient_rtol": rtol,
    }
    agree = {
        "zero unit": sym.zero_unit == (abs(num.value_at_zero) <= 1e-12),
        "parity": sym.parity == num.parity,
        "order": sym.order == num.order,
        "coefficient": bool(np.isfinite(a_rel) and a_rel <= rtol),
        "degree": sym.degree == degree_num,
    }
    network = check_phi_properties(net.spec(width=2), timeout=60)
    measured["network-level proofs"] = {k: {"declared": c.declared, "holds": c.holds, "how": c.witness}
                                        for k, c in network.items()}
    agree["network-level"] = all(c.consistent for c in network.values())
    measured["agree"] = agree
    return Measurement(passed=all(agree.values()), measured=measured)


def _gd(arch, task, theta0: np.ndarray) -> np.ndarray:
    th = theta0[None, :].copy()
    out = [th[0].copy()]
    for k in range(GD_STEPS):
        th = th - GD_LR * numerics.loss_and_grad(arch, task, th)[1]
        if (k + 1) % 200 == 0:
            out.append(th[0].copy())
    return np.array(out)


def _start_on(arch, rng, key: str) -> tuple[np.ndarray, Callable[[np.ndarray], np.ndarray]]:
    """A generic point on set ``key`` for units 0 (dependent) and 1, and the distance to the set along a run."""
    theta = START_SCALE * rng.standard_normal(arch.n_params)
    (v0, u0), (v1, u1) = numerics.unit_indices(arch)[:2]
    if key == "i":
        theta[v0], theta[u0] = theta[v1], theta[u1]
        return theta, lambda ths: np.hypot(np.linalg.norm(ths[:, v0] - ths[:, v1], axis=1),
                                           np.linalg.norm(ths[:, u0] - ths[:, u1], axis=1))
    if key == "ii":
        theta[v0], theta[u0] = 0.0, 0.0
        return theta, lambda ths: np.hypot(np.linalg.norm(ths[:, v0], axis=1), np.linalg.norm(ths[:, u0], axis=1))
    # sign flip of an even unit: θ_0 = (v_1, −u_1)
    theta[v0], theta[u0] = theta[v1], -theta[u1]
    return theta, lambda ths: np.hypot(np.linalg.norm(ths[:, v0] - ths[:, v1], axis=1),
                                       np.linalg.norm(ths[:, u0] + ths[:, u1], axis=1))


def _theorem3(net: UnitNetwork) -> Measurement:
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
    num_ok = True
    for r in results:
        if not r.candidate.expected or r.key not in ("i", "ii", "sign-flip"):
            continue
        theta0, distance = _start_on(arch, rng, r.key)
        run = _gd(arch, task, theta0)
        final_loss = float(numerics.loss_and_grad(arch, task, run[-1:])[0][0])
        drift = float(np.max(distance(run)))
        numeric[r.key] = {"max_drift": drift, "gd_steps": GD_STEPS, "lr": GD_LR, "final_loss": final_loss}
        # A diverged run (non-finite loss) says nothing about the set: it fails rather than passing on NaN.
        num_ok = num_ok and np.isfinite(final_loss) and np.isfinite(drift) and drift <= DRIFT_TOL
    if not numeric:
        num_ok = False
    measured = {"symbolic": symbolic, "numeric": numeric}
    return Measurement(passed=bool(sym_ok and num_ok), measured=measured,
                       details="" if numeric else "no applicable set was checked numerically")


def _theorem1(net: UnitNetwork) -> Measurement:
    from .fixed_points import _embed_numeric, _fit

    narrow, wide = net.architecture(width=1), net.architecture(width=2)
    x, y = net.data()
    task = numerics.Dataset(x, y)
    theta, seed = _fit(narrow, task)
    gn = float(np.linalg.norm(numerics.loss_and_grad(narrow, task, theta[None])[1]))
    measured: dict[str, Any] = {"narrow fit": {"seed": seed, "grad_norm": gn}}
    if seed is None:
        return Measurement(passed=False, measured=measured, details="no width-1 fixed point converged")
    applies = {c.key: c for c in theory.theorem1_constructions(net.spec(width=1))}
    f_n = narrow.forward(theta[None], x)[0]
    ok = gn < 1e-9
    for key in ("i", "ii", "iii", "iv"):
        c = applies[key]
        if not c.applies:
            measured[f"({key})"] = f"does not apply: {c.reason}"
            continue
        tw = _embed_numeric(narrow, wide, theta, key, 0.7, 0.4)
        lw, gw = numerics.loss_and_grad(wide, task, tw[None])
        floor = 100 * np.finfo(float).eps * (1 + float(tw @ tw)) * (1 + np.sqrt(2 * float(lw[0])))
        gw_norm = float(np.linalg.norm(gw))
        dmap = float(np.max(np.abs(wide.forward(tw[None], x)[0] - f_n)))
        passed = gw_norm <= 10 * max(gn, floor) and dmap <= 1e-12 * (1 + float(np.max(np.abs(f_n))))
        measured[f"({key})"] = {"grad_wide": gw_norm, "map_change": dmap, "pass": bool(passed), "why": c.reason}
        ok = ok and passed
    return Measurement(passed=bool(ok), measured=measured)


CLAIMS: tuple[tuple[str, str, str, str, str, Callable[[UnitNetwork], Measurement]], ...] = (
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
)


def unit_claims(net: UnitNetwork) -> Registry:
    """The claims of the module docstring for ``net``, in a registry of their own."""
    reg = Registry()
    for cid, statement, source, tolerance, justification, fn in CLAIMS:
        reg.claim(cid, statement=f"{net.label()}: {statement}", source=source, tolerance=tolerance,
                  justification=justification)((lambda f: lambda: f(net))(fn))
    return reg
