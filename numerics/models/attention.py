"""Linear attention for in-context regression, f = βᵀ M x_q (spec §1.4 rows 6 and 7, §6.8).

attn-s (separate K, Q, rank R): V (B, H, 1), K (B, H, R, dim), Q (B, H, R, dim), M = Σ_i v_i Σ_r K[i,r] Q[i,r]ᵀ.
attn-m (merged KQ): V (B, H, 1), U (B, H, dim, dim), M = Σ_i v_i U[i].
"""

from __future__ import annotations

import numpy as np

from .linear import Out, transposed


def bilinear_forward(M: np.ndarray, beta: np.ndarray, x_query: np.ndarray) -> np.ndarray:
    """f[b, μ] = β_μᵀ M_b x_q,μ: shape (B, P, 1)."""
    return np.sum(np.matmul(beta, M) * x_query, axis=2)[:, :, None]


def bilinear_cotangent(beta: np.ndarray, x_query: np.ndarray, dF: np.ndarray) -> np.ndarray:
    """dM_b = Σ_μ dF[b, μ] β_μ x_q,μᵀ: shape (B, dim, dim)."""
    return np.matmul((dF[:, :, 0:1] * beta).transpose(0, 2, 1), x_query)


def separate_matrix(V: np.ndarray, K: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """attn-s: M = Σ_i v_i Σ_r k_ir q_irᵀ."""
    B, H, R, D = K.shape
    Kv = (K * V[:, :, :, None]).reshape(B, H * R, D)
    return np.matmul(Kv.transpose(0, 2, 1), Q.reshape(B, H * R, D))


def separate_matrix_vjp(
    V: np.ndarray, K: np.ndarray, Q: np.ndarray, dM: np.ndarray, out: Out = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pull-back: dv_i = Σ_r k_irᵀ dM q_ir, dk_ir = v_i dM q_ir, dq_ir = v_i dMᵀ k_ir (into ``out`` = (dV, dK, dQ)
    when given)."""
    B, H, R, D = K.shape
    o = out or (None, None, None)
    G = np.matmul(Q.reshape(B, H * R, D), transposed(dM)).reshape(B, H, R, D)  # rows (dM q_ir)ᵀ
    GT = np.matmul(K.reshape(B, H * R, D), dM).reshape(B, H, R, D)  # rows (dMᵀ k_ir)ᵀ
    dV = np.sum(K * G, axis=(2, 3))[:, :, None]
    if o[0] is not None:
        o[0][...] = dV
        dV = o[0]
    v = V[:, :, :, None]
    return dV, np.multiply(v, G, out=o[1]), np.multiply(v, GT, out=o[2])


def merged_matrix(V: np.ndarray, U: np.ndarray) -> np.ndarray:
    """attn-m: M = Σ_i v_i U_i."""
    return np.einsum("bh,bhde->bde", V[:, :, 0], U)


def merged_matrix_vjp(
    V: np.ndarray, U: np.ndarray, dM: np.ndarray, out: Out = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pull-back: dv_i = ⟨U_i, dM⟩_F, dU_i = v_i dM (into ``out`` = (dV, dU) when given)."""
    o = out or (None, None)
    dV = np.einsum("bhde,bde->bh", U, dM)[:, :, None]
    if o[0] is not None:
        o[0][...] = dV
        dV = o[0]
    return dV, np.multiply(V[:, :, :, None], dM[:, None, :, :], out=o[1])
