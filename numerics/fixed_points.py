"""Numeric fixed points: refinement from an approximate point, Hessian spectra and Morse indices (spec §2, §3).

* :func:`refine_fixed_point` solves ∇L(θ) = 0 from an approximate θ₀ by Newton's method on the residual
  r(θ) = ∇L(θ) with the central-difference Hessian (:func:`numerics.hessian`) and a spectral pseudo-inverse:
  eigen-directions with |λ| ≤ sqrt(eps)·‖H‖₂ are dropped (symmetry orbits and Thm 1 families make the Hessian
  singular at every fixed point, spec §2.8), and the step is halved until ‖∇L‖ decreases.  If Newton stalls,
  :func:`scipy.optimize.least_squares` (Levenberg–Marquardt on r with the same Jacobian) takes over.
  ``converged`` is True **only** if the final ‖∇L‖₂ ≤ ``gtol``; the residual is always reported.
* :func:`hessian_spectrum` — eigenvalues/vectors of the finite-difference Hessian and the Morse index with
  tolerance τ = sqrt(eps)·max(1, ‖H‖₂) ≈ 1.5e-8·‖H‖₂: the central-difference Hessian with h = eps^(1/3) has entry
  errors ≈ eps^(2/3) ≈ 4e-11 times the scale of the third/fourth derivatives, so by Weyl its eigenvalues are off
  by ≲ n·4e-11·scale (≤ 4e-9 for n ≤ 100); τ sits above that and far below the nonzero eigenvalues of interest.
* :func:`dormant_unit_form` — for a degree-2 φ with a dormant unit i (v_i = 0, u_i = 0), the matrix B with
  ∂L/∂v_i(v_i = 0, u_i = u) = uᵀBu, by polarisation of the exact gradient; L(θ* + t(v, u)) = L* + t³ v uᵀBu + …,
  so the cubic escape is along the eigenvector of B with the largest |μ| and v = −sign μ (spec §3.3).

This module uses only NumPy/SciPy and :mod:`numerics` (never :mod:`theory`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .architectures import Architecture
from .errors import InputError
from .objective import Task, check_compatible, hessian, loss_and_grad
from .validation import as_float_array

__all__ = ["NumericSpectrum", "Refinement", "dormant_unit_form", "gradient_norm", "hessian_spectrum",
           "morse_index", "refine_fixed_point", "unit_indices"]

EPS = float(np.finfo(np.float64).eps)
# Default convergence threshold on ‖∇L‖₂: the gradient at an exact fixed point evaluates to ≈ n·eps·(size of its
# terms) ≈ 1e-14 for O(1)-scaled problems; 1e-10 leaves four orders of margin for round-off.
DEFAULT_GTOL = 1e-10


@dataclass(frozen=True)
class Refinement:
    """Result of :func:`refine_fixed_point`: θ, the honest flag ``converged`` (‖∇L‖ ≤ gtol) and the residuals."""

    theta: np.ndarray
    converged: bool
    grad_norm: float
    initial_grad_norm: float
    iterations: int
    gtol: float
    method: str
    message: str


def _theta(arch: Architecture, theta: object, name: str = "theta") -> np.ndarray:
    if not isinstance(arch, Architecture):
        raise InputError(f"arch: must be an Architecture (got {type(arch).__name__})")
    th = as_float_array(name, theta, ndim=1)
    if th.shape[0] != arch.n_params:
        raise InputError(f"{name}: length {th.shape[0]}, but {arch.name} (sizes {arch.sizes}) has {arch.n_params} "
                         "parameters (wrong width?)")
    if not np.all(np.isfinite(th)):
        raise InputError(f"{name}: contains NaN or infinity")
    return th


def _grad(arch: Architecture, task: Task, th: np.ndarray) -> np.ndarray:
    return loss_and_grad(arch, task, th[None, :])[1][0]


def gradient_norm(arch: Architecture, task: Task, theta: object) -> float:
    """‖∇L(θ)‖₂ for one parameter vector."""
    check_compatible(arch, task)
    return float(np.linalg.norm(_grad(arch, task, _theta(arch, theta))))


def _pinv_step(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    lam, vec = np.linalg.eigh(H)
    cut = np.sqrt(EPS) * max(1.0, float(np.max(np.abs(lam))))
    keep = np.abs(lam) > cut
    return -vec[:, keep] @ ((vec[:, keep].T @ g) / lam[keep])


def refine_fixed_point(arch: Architecture, task: Task, theta0: object, *, gtol: float = DEFAULT_GTOL,
                       max_iter: int = 60) -> Refinement:
    """Refine an approximate fixed point (module docstring); never reports success above ``gtol``."""
    check_compatible(arch, task)
    th = _theta(arch, theta0, "theta0").copy()
    if not gtol > 0:
        raise InputError(f"gtol={gtol!r}: must be positive")
    g = _grad(arch, task, th)
    g0 = gn = float(np.linalg.norm(g))
    it = 0
    method = "newton-pinv"
    while gn > gtol and it < max_iter:
        it += 1
        step = _pinv_step(hessian(arch, task, th), g)
        t = 1.0
        improved = False
        for _ in range(40):
            cand = th + t * step
            gc = _grad(arch, task, cand)
            if np.linalg.norm(gc) < gn:
                th, g, gn, improved = cand, gc, float(np.linalg.norm(gc)), True
                break
            t *= 0.5
        if not improved:
            break
    if gn > gtol:
        method += "+least-squares"
        from scipy.optimize import least_squares  # here: scipy.optimize costs every command ≈ 0.3 s at start-up

        sol = least_squares(lambda x: _grad(arch, task, x), th, jac=lambda x: hessian(arch, task, x), method="lm",
                            xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=200 * arch.n_params)
        gs = float(np.linalg.norm(_grad(arch, task, sol.x)))
        if gs < gn:
            th, gn = sol.x, gs
        it += int(sol.nfev)
    ok = gn <= gtol
    msg = (f"|grad L| = {gn:.3g} <= gtol = {gtol:g}" if ok else
           f"NOT converged: |grad L| = {gn:.3g} > gtol = {gtol:g} after {it} iterations")
    return Refinement(th, ok, gn, g0, it, gtol, method, msg)


@dataclass(frozen=True)
class NumericSpectrum:
    """Eigen-decomposition of a Hessian with the Morse index read at ``tolerance`` (module docstring)."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    tolerance: float
    morse_index: int
    n_zero: int
    n_positive: int

    @property
    def escape_directions(self) -> np.ndarray:
        """Eigenvectors of the negative eigenvalues, most negative first (columns)."""
        return self.eigenvectors[:, self.eigenvalues < -self.tolerance]


def morse_index(eigenvalues: object, tol: float) -> int:
    """Number of eigenvalues below −tol."""
    lam = as_float_array("eigenvalues", eigenvalues, ndim=1)
    return int(np.sum(lam < -tol))


def hessian_spectrum(arch: Architecture, task: Task, theta: object, *, tol: float | None = None,
                     hessian_matrix: object | None = None) -> NumericSpectrum:
    """Spectrum of ∇²L(θ) (central differences unless ``hessian_matrix`` is given) and its inertia at ``tol``."""
    check_compatible(arch, task)
    th = _theta(arch, theta)
    H = hessian(arch, task, th) if hessian_matrix is None else as_float_array(
        "hessian_matrix", hessian_matrix, shape=(arch.n_params, arch.n_params))
    lam, vec = np.linalg.eigh(0.5 * (H + H.T))
    tau = float(np.sqrt(EPS) * max(1.0, float(np.max(np.abs(lam))))) if tol is None else float(tol)
    return NumericSpectrum(lam, vec, tau, int(np.sum(lam < -tau)), int(np.sum(np.abs(lam) <= tau)),
                           int(np.sum(lam > tau)))


def unit_indices(arch: Architecture) -> list[tuple[np.ndarray, np.ndarray]]:
    """Positions in θ of (v_i, u_i) for each unit (conventions.md layout: V first, then U / K, Q; the family's
    ``shared_blocks``, such as the chain's W1, excluded)."""
    offsets = {name: np.arange(cols.start, cols.stop).reshape(shape) for name, cols, shape in arch.block_spans}
    out = []
    for i in range(arch.unit_count):
        v = offsets["V"][i].ravel()
        u = np.concatenate([offsets[b][i].ravel() for b in arch.u_blocks])
        out.append((v, u))
    return out


def dormant_unit_form(arch: Architecture, task: Task, theta: object, unit: int) -> np.ndarray:
    """B (symmetric) with ∂L/∂v_i = uᵀBu at v_i = 0, u_i = u (degree-2 φ, scalar v_i; module docstring)."""
    check_compatible(arch, task)
    th = _theta(arch, theta)
    if arch.degree != 2 or not arch.zero_unit:
        raise InputError(f"dormant_unit_form: needs a degree-2 phi with a zero unit (got {arch.name})")
    if not 0 <= unit < arch.unit_count:
        raise InputError(f"unit={unit}: must be in 0..{arch.unit_count - 1}")
    v_idx, u_idx = unit_indices(arch)[unit]
    if v_idx.size != 1:
        raise InputError(f"dormant_unit_form: v_i must be a scalar (got {v_idx.size} entries)")
    base = th.copy()
    base[v_idx] = 0.0
    base[u_idx] = 0.0
    n = u_idx.size

    def q(u: np.ndarray) -> float:
        p = base.copy()
        p[u_idx] = u
        return float(_grad(arch, task, p)[v_idx[0]] - _grad(arch, task, base)[v_idx[0]])

    # Polarisation of the quadratic form u ↦ uᵀBu: B_aa = q(e_a), B_ab = (q(e_a + e_b) − q(e_a) − q(e_b)) / 2.
    eye = np.eye(n)
    diag = np.array([q(eye[a]) for a in range(n)])
    B = np.diag(diag)
    for a in range(n):
        for b in range(a + 1, n):
            B[a, b] = B[b, a] = 0.5 * (q(eye[a] + eye[b]) - diag[a] - diag[b])
    return B
