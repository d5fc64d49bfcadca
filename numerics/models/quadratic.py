"""Quadratic net f(x) = Σ_i v_i (u_i·x)² = xᵀ M x with M = Σ_i v_i u_i u_iᵀ (spec §1.4 row 5, §2.6).

Blocks: V (B, H, 1), U (B, H, d). Only the scalar-output net has a population form.
"""

from __future__ import annotations

import numpy as np

from .linear import Out


def quadratic_matrix(V: np.ndarray, U: np.ndarray) -> np.ndarray:
    """M = Σ_i v_i u_i u_iᵀ: shape (B, d, d), symmetric."""
    return np.matmul((U * V).transpose(0, 2, 1), U)


def quadratic_matrix_vjp(
    V: np.ndarray, U: np.ndarray, dM: np.ndarray, out: Out = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pull-back of M: dv_i = u_iᵀ dM u_i, du_i = v_i (dM + dMᵀ) u_i (into ``out`` = (dV, dU) when given)."""
    o = out or (None, None)
    US = np.matmul(U, dM + dM.transpose(0, 2, 1))
    dV = np.multiply(np.sum(U * US, axis=2, keepdims=True), 0.5, out=o[0])
    return dV, np.multiply(V, US, out=o[1])
