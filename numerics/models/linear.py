"""Models linear in x, f(x) = W x, evaluated through the end-to-end matrix W (spec §1.3 Eq. 8, §1.4 row 1).

For such a model the dataset forward pass is F = X Wᵀ and the vector-Jacobian product factors through
dW = dFᵀ X, so every linear-in-x family only has to provide W(θ) and its own pull-back of dW.
"""

from __future__ import annotations

import numpy as np


def apply_matrix(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """F[b, μ] = W_b x_μ: (B, o, d) × (P, d) -> (B, P, o)."""
    return np.matmul(X, W.transpose(0, 2, 1))


def matrix_cotangent(X: np.ndarray, dF: np.ndarray) -> np.ndarray:
    """dW_b = Σ_μ dF[b, μ] x_μᵀ: (B, P, o) × (P, d) -> (B, o, d)."""
    return np.matmul(dF.transpose(0, 2, 1), X)


def fc_matrix(V: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Linear FC: W = Σ_i v_i u_iᵀ = Vᵀ U (V rows v_i, U rows u_i)."""
    return np.matmul(V.transpose(0, 2, 1), U)


def fc_matrix_vjp(V: np.ndarray, U: np.ndarray, dW: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pull-back of W = VᵀU: dv_i = dW u_i, du_i = dWᵀ v_i."""
    return np.matmul(U, dW.transpose(0, 2, 1)), np.matmul(V, dW)
