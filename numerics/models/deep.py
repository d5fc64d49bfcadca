"""Deep linear chain and diagonal linear net, both of the form f = W x (spec §1.4 rows 11 and 12).

deep-linear: V (B, H, d_out), U (B, H, hidden), W1 (B, hidden, d_in), W = Vᵀ U W1 (W3 = Vᵀ, W2 = U).
diagonal-linear: V (B, dim, 1), U (B, dim, 1), W = βᵀ with β = u ⊙ v.
"""

from __future__ import annotations

import numpy as np

from .linear import Out, transposed


def deep_matrix(V: np.ndarray, U: np.ndarray, W1: np.ndarray) -> np.ndarray:
    """W = W3 W2 W1 = Vᵀ U W1: shape (B, d_out, d_in)."""
    return np.matmul(V.transpose(0, 2, 1), np.matmul(U, W1))


def deep_matrix_vjp(
    V: np.ndarray, U: np.ndarray, W1: np.ndarray, dW: np.ndarray, out: Out = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pull-back of W = Vᵀ A, A = U W1: dV = A dWᵀ, dA = V dW, dU = dA W1ᵀ, dW1 = Uᵀ dA (into ``out`` = (dV, dU,
    dW1) when given)."""
    o = out or (None, None, None)
    A = np.matmul(U, W1)
    dA = np.matmul(V, dW)
    return (np.matmul(A, transposed(dW), out=o[0]), np.matmul(dA, transposed(W1), out=o[1]),
            np.matmul(U.transpose(0, 2, 1), dA, out=o[2]))


def diagonal_matrix(V: np.ndarray, U: np.ndarray) -> np.ndarray:
    """W = βᵀ, β_j = u_j v_j: shape (B, 1, dim)."""
    return (U[:, :, 0] * V[:, :, 0])[:, None, :]


def diagonal_matrix_vjp(
    V: np.ndarray, U: np.ndarray, dW: np.ndarray, out: Out = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pull-back of β = u ⊙ v: dv = u ⊙ dβ, du = v ⊙ dβ (into ``out`` = (dV, dU) when given)."""
    o = out or (None, None)
    g = dW[:, 0, :, None]
    return np.multiply(U, g, out=o[0]), np.multiply(V, g, out=o[1])
