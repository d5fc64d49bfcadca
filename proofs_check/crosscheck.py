"""Cross-check of the two derivations: the lambdified SymPy loss, gradient and Hessian against the hand-written
NumPy loss and gradient and against finite differences (docs/theory.md §8, "How claims are run").

Tolerances, from the error of each method:

* symbolic vs analytic NumPy loss and gradient: both are exact formulas evaluated in float64, so they differ only
  by round-off, a few ulps times the condition of the sums: relative 1e-9 is generous;
* symbolic Hessian vs central differences of the NumPy gradient with step h: truncation O(h²·|∇³g|) plus
  round-off O(ε_mach·|g|/h); with h ≈ ε_mach^{1/3}·max(1, |θ|) both are ≈ 1e-10 relative, so 1e-6 leaves four
  orders of headroom for the constants;
* symmetry: the symbolic Hessian is symmetric by construction (only its upper triangle is differentiated); the
  finite-difference Hessian before symmetrising must agree with its transpose to the same 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import numerics
import theory

from .cases import Case, relu_kink_margin

GRAD_RTOL = 1e-9
HESS_RTOL = 1e-6


@dataclass(frozen=True)
class CrossCheck:
    """Worst relative errors over the points checked for one case."""

    label: str
    points: int
    loss_rel: float
    grad_rel: float
    hess_rel: float
    fd_asymmetry: float
    symbolic_seconds: float

    @property
    def passed(self) -> bool:
        return (self.loss_rel <= GRAD_RTOL and self.grad_rel <= GRAD_RTOL and self.hess_rel <= HESS_RTOL
                and self.fd_asymmetry <= HESS_RTOL)


# Compiled symbolic derivations, keyed by the case object's id; the case is stored too so the id stays valid.
_COMPILED: dict[int, tuple[Case, theory.NumericDerivation, float]] = {}


def compiled(case: Case) -> tuple[theory.NumericDerivation, float]:
    """The lambdified symbolic loss, gradient and Hessian of ``case`` (derived once per case object)."""
    if id(case) not in _COMPILED:
        spec, task = case.symbolic()
        derivation = theory.derive(spec, task, hessian=True, timeout=120)
        _COMPILED[id(case)] = (case, theory.lambdify_derivation(derivation), derivation.seconds)
    _, sym, seconds = _COMPILED[id(case)]
    return sym, seconds


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(1.0, float(np.max(np.abs(b)))))


def fd_hessian_raw(arch, task, theta: np.ndarray, h: float | None = None) -> np.ndarray:
    """Central differences of the analytic NumPy gradient, column by column, not symmetrised; step ``h`` (default
    eps^(1/3)·max(1, max|θ|), the truncation/round-off balance)."""
    n = theta.size
    if h is None:
        h = np.finfo(float).eps ** (1 / 3) * max(1.0, float(np.max(np.abs(theta))))
    pts = np.repeat(theta[None, :], 2 * n, axis=0)
    idx = np.arange(n)
    pts[idx, idx] += h
    pts[n + idx, idx] -= h
    _, g = numerics.loss_and_grad(arch, task, pts)
    return ((g[:n] - g[n:]) / (2 * h)).T


def check_case(case: Case, thetas: np.ndarray) -> CrossCheck:
    """Compare both derivations of ``case`` at each row of ``thetas`` (shape (K, n_params))."""
    sym, seconds = compiled(case)
    arch, task = case.numeric()
    thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
    if thetas.shape[1] != arch.n_params or sym.n_params != arch.n_params:
        raise ValueError(f"{case.label}: parameter counts differ (symbolic {sym.n_params}, numeric {arch.n_params},"
                         f" points {thetas.shape[1]})")
    loss_n, grad_n = numerics.loss_and_grad(arch, task, thetas)
    worst = {"loss": 0.0, "grad": 0.0, "hess": 0.0, "asym": 0.0}
    for k, theta in enumerate(thetas):
        worst["loss"] = max(worst["loss"], _rel(np.array(sym.loss(theta)), np.array(loss_n[k])))
        worst["grad"] = max(worst["grad"], _rel(sym.gradient(theta), grad_n[k]))
        if relu_kink_margin(case, theta) > 1e-3:
            h_fd = fd_hessian_raw(arch, task, theta)
            h_sym = sym.hessian(theta)
            worst["hess"] = max(worst["hess"], _rel(h_fd, h_sym), _rel((h_fd + h_fd.T) / 2, h_sym))
            worst["asym"] = max(worst["asym"], _rel(h_fd, h_fd.T))
    return CrossCheck(case.label, len(thetas), worst["loss"], worst["grad"], worst["hess"], worst["asym"], seconds)


def random_points(case: Case, count: int, seed: int = 1, scale: float = 0.7) -> np.ndarray:
    """``count`` points θ ~ N(0, scale²) away from ReLU kinks (margin > 1e-3), deterministic in ``seed``."""
    arch = case.architecture()
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        theta = scale * rng.standard_normal(arch.n_params)
        if relu_kink_margin(case, theta) > 1e-3:
            out.append(theta)
    return np.array(out)
