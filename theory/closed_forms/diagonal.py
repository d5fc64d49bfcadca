"""Diagonal linear nets β = u ⊙ v: per-coordinate exact solution (whitened) and the Pesme–Flammarion jump
recursion (spec §6.10; C30).

Scalar check [derived]: u̇ = gv, v̇ = gu from u_0 = √2α, v_0 = 0 give β = uv = α² sinh(2gt); β = O(1) at
t ≈ ln(1/α)/g.  General init: β = u_0v_0 cosh 2S + ½(u_0² + v_0²) sinh 2S, S = ∫g dt.

Recursion (accelerated time t̃ = t/ln(1/α), α → 0), re-derived here from β_i = α² sinh(2 ln(1/α) s_i) with
s(t̃) = −∫_0^{t̃} ∇L(β) dt̃′: β_i → 0 unless |s_i| = 1, hence

  1. t_0 = 0, β_0 = 0, s_0 = 0;
  2. t_{k+1} = inf{t > t_k : ∃i, |s_k(i) − (t − t_k)∇L(β_k)_i| > 1},  s_{k+1} = s_k − (t_{k+1} − t_k)∇L(β_k);
  3. β_{k+1} = argmin L(β) s.t. β_i ≥ 0 where s_{k+1}(i) = 1, β_i ≤ 0 where s_{k+1}(i) = −1, β_i = 0 elsewhere.

This is the spec's recalled recursion; the workbench verifies it against simulation (claim C30).

Assumptions: u_0 = √2α·1, v_0 = 0; α → 0 (finite-α corrections are O(1/ln(1/α)) relative); L(β) = ½βᵀΣ_xxβ −
Σ_yxβ + const.

>>> t, b = jump_recursion(np.eye(2), np.array([2.0, 1.0]))
>>> [round(x, 6) for x in t]
[0.5, 1.0]
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy.optimize import lsq_linear

from ._common import ClosedForm, is_zero

al, g, t = sp.symbols("alpha g t", positive=True)
SCALAR = ClosedForm("diagonal_scalar", sp.Eq(sp.Symbol(r"\beta(t)"), al**2 * sp.sinh(2 * g * t)),
                    ("u_0 = sqrt(2) alpha, v_0 = 0", "residual frozen at g"), "spec §6.10 [derived]")
FIRST_JUMP = ClosedForm("diagonal_first_jump",
                        sp.Eq(sp.Symbol("t_1"), sp.log(1 / al) / sp.Symbol(r"\|X^\top y/n\|_\infty")),
                        ("alpha -> 0",), "spec §6.10 [derived]")
RECURSION = ClosedForm("diagonal_recursion",
                       sp.Eq(sp.Symbol(r"\tilde t_{k+1}"), sp.Symbol(r"\inf\{t>\tilde t_k: \|s_k-(t-\tilde t_k)"
                                                                     r"\nabla L(\beta_k)\|_\infty>1\}")),
                       ("alpha -> 0", "accelerated time t / ln(1/alpha)"),
                       "spec §6.10 [recalled; verified here against simulation]")


def _constrained_min(sxx: np.ndarray, sxy: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """argmin ½βᵀΣβ − bᵀβ with β_i·sign_i ≥ 0 on the support (sign ≠ 0) and β_i = 0 off it (bounded least squares)."""
    d = sxx.shape[0]
    beta = np.zeros(d)
    sup = np.flatnonzero(signs != 0)
    if sup.size == 0:
        return beta
    # ½βᵀΣβ − bᵀβ = ½‖Cβ − C⁻ᵀb‖² + const with Σ = CᵀC (Cholesky on the support).
    S = sxx[np.ix_(sup, sup)]
    C = np.linalg.cholesky(S + 1e-15 * np.trace(S) * np.eye(sup.size)).T
    rhs = np.linalg.solve(C.T, sxy[sup])
    lo = np.where(signs[sup] > 0, 0.0, -np.inf)
    hi = np.where(signs[sup] < 0, 0.0, np.inf)
    res = lsq_linear(C, rhs, bounds=(lo, hi), method="bvls", tol=1e-14)
    beta[sup] = res.x
    return beta


def jump_recursion(sxx: np.ndarray, sxy: np.ndarray, max_jumps: int = 50, tol: float = 1e-10):
    """Jump times (accelerated time) and the saddles β_1, β_2, … of the recursion; Σ_xx (d, d), Σ_xy (d,).

    ∇L(β) = Σ_xxβ − Σ_xy.  Returns (times, betas).
    """
    sxx, sxy = np.asarray(sxx, float), np.asarray(sxy, float)
    d = sxy.size
    s = np.zeros(d)
    beta = np.zeros(d)
    tk = 0.0
    times, betas = [], []
    for _ in range(max_jumps):
        grad = sxx @ beta - sxy
        grad = np.where(np.abs(grad) < tol * max(1.0, np.abs(sxy).max()), 0.0, grad)
        # time for each coordinate to reach |s_i − Δ grad_i| = 1
        with np.errstate(divide="ignore", invalid="ignore"):
            dt = np.where(grad < 0, (1 - s) / -grad, np.where(grad > 0, (s + 1) / grad, np.inf))
        dt = np.where(dt < tol, np.inf, dt)  # coordinates already at the boundary move along it
        step = float(dt.min())
        if not np.isfinite(step):
            break
        tk += step
        s = s - step * grad
        hit = np.abs(np.abs(s) - 1) < 1e-9
        s = np.where(hit, np.sign(s), s)
        signs = np.where(np.abs(s) >= 1 - 1e-9, np.sign(s), 0.0)
        beta = _constrained_min(sxx, sxy, signs)
        times.append(tk)
        betas.append(beta.copy())
    return times, betas


def coordinate_strength_params(u0: np.ndarray, v0: np.ndarray, target: np.ndarray):
    """Whitened Σ_xx = I: coordinate i is one Riccati mode with s_i = |β*_i|, α_i = (u + σv)²/4, β_i = (u − σv)²/4
    (σ = sign β*_i).  Returns (s, alpha, beta)."""
    sg = np.where(np.asarray(target) >= 0, 1.0, -1.0)
    return np.abs(target), (u0 + sg * v0) ** 2 / 4, (u0 - sg * v0) ** 2 / 4


def symbolic_checks() -> dict[str, bool]:
    """β = α² sinh(2gt) is uv for the exact u = √2α cosh gt, v = √2α sinh gt solving u̇ = gv, v̇ = gu."""
    u = sp.sqrt(2) * al * sp.cosh(g * t)
    v = sp.sqrt(2) * al * sp.sinh(g * t)
    return {
        "scalar_solution_solves_flow": is_zero(sp.diff(u, t) - g * v) and is_zero(sp.diff(v, t) - g * u),
        "initial_values": is_zero(u.subs(t, 0) - sp.sqrt(2) * al) and is_zero(v.subs(t, 0)),
        "beta_is_sinh": is_zero(u * v - al**2 * sp.sinh(2 * g * t)),
    }
