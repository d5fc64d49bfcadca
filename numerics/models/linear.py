"""Models linear in x, f(x) = W x, evaluated through the end-to-end matrix W (spec §1.3 Eq. 8, §1.4 row 1).

For such a model the dataset forward pass is F = X Wᵀ and the vector-Jacobian product factors through
dW = dFᵀ X, so every linear-in-x family only has to provide W(θ) and its own pull-back of dW.

Every pull-back of an effective matrix in :mod:`numerics.models` takes an optional ``out`` (:data:`Out`): arrays of
the blocks' shapes into which the block gradients are written (and returned) instead of fresh arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Optional destination of a pull-back: one array per block, of the blocks' shapes (B, *shape); the prepared
# objective passes views of its gradient array, so that no block gradient is allocated and then copied.
Out = Sequence[np.ndarray] | None


def transposed(A: np.ndarray) -> np.ndarray:
    """Aᵀ of each matrix of a stack (B, r, c), as a C-contiguous copy: as the right operand of a batched matmul, a
    small transposed view measured 2x slower than copying it first (NumPy 2.4, OpenBLAS; the products are
    bitwise equal)."""
    return np.ascontiguousarray(A.transpose(0, 2, 1))


def apply_matrix(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """F[b, μ] = W_b x_μ: (B, o, d) × (P, d) -> (B, P, o)."""
    return np.matmul(X, W.transpose(0, 2, 1))


def matrix_cotangent(X: np.ndarray, dF: np.ndarray) -> np.ndarray:
    """dW_b = Σ_μ dF[b, μ] x_μᵀ: (B, P, o) × (P, d) -> (B, o, d)."""
    return np.matmul(dF.transpose(0, 2, 1), X)


def fc_matrix(V: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Linear FC: W = Σ_i v_i u_iᵀ = Vᵀ U (V rows v_i, U rows u_i)."""
    return np.matmul(V.transpose(0, 2, 1), U)


def fc_matrix_vjp(
    V: np.ndarray, U: np.ndarray, dW: np.ndarray, out: Out = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pull-back of W = VᵀU: dv_i = dW u_i, du_i = dWᵀ v_i (written into ``out`` = (dV, dU) when given)."""
    o = out or (None, None)
    return np.matmul(U, transposed(dW), out=o[0]), np.matmul(V, dW, out=o[1])
