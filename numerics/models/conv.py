"""1-D convolutional nets with a dense read-out (spec §1.4 rows 2 and 4).

Patches are x[p:p+K], p = 0..L-1, L = d_in - K + 1 (stride 1, valid padding). Blocks: V (B, H, L), U (B, H, K).
f(x) = Σ_i Σ_p V[i, p] σ(U[i]·x[p:p+K]) for any unit σ (an :class:`~numerics.activation.Activation`).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np

from .linear import Out, transposed
from .pointwise import pull_back_blocks


@lru_cache(maxsize=64)
def patch_index(d_in: int, kernel: int) -> np.ndarray:
    """Integer array idx (L, K) with idx[p, k] = p + k, so x[..., idx] stacks the L patches (read-only, cached:
    the effective-matrix pull-back needs it on every gradient)."""
    n_patches = d_in - kernel + 1
    idx = np.arange(n_patches)[:, None] + np.arange(kernel)[None, :]
    idx.setflags(write=False)
    return idx


def conv_forward_pullback(
    V: np.ndarray, U: np.ndarray, X: np.ndarray, activation: Any
) -> tuple[np.ndarray, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]]:
    """f[b, μ] = Σ_{i,p} V[i,p] σ(z_ipμ), z_ipμ = U[i]·x_μ[p:p+K] (shape (B, P, 1)), and its pull-back
    dF ↦ (dV, dU): dV[i,p] = Σ_μ dF_μ σ(z_ipμ), dU[i] = Σ_{μ,p} dF_μ V[i,p] σ'(z_ipμ) x_μ[p:p+K].

    Notes
    -----
    z is laid out (B, H·L, P), units and positions × samples: V (B, H, L) is then the read-out row of z's first
    axis as it is stored (no copy), dV and dU are plain batched matmuls, and the elementwise passes (σ, σ′, the
    read-out cotangent) run along the P samples.  The unit gets z and the cotangent as fresh arrays it may
    overwrite (docs/theory.md §1.1, as in :func:`numerics.models.pointwise.fc_forward_pullback`).
    """
    B, H, K = U.shape
    P = X.shape[0]
    # Patches position-major: Xq[p, μ, k] = x_μ[p + k], so (p, μ) flattens to the last axis of z.
    Xq = np.ascontiguousarray(X.T[patch_index(X.shape[1], K)].transpose(0, 2, 1))
    L = Xq.shape[0]
    Xf = Xq.reshape(L * P, K)
    a, saved = activation.activate(np.matmul(U, Xf.T).reshape(B, H * L, P))
    Vr = V.reshape(B, H * L, 1)
    F = np.matmul(Vr.transpose(0, 2, 1), a).transpose(0, 2, 1)

    def pullback(dF: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        dV = np.matmul(a, dF).reshape(B, H, L)
        # dU[i] = Σ_{(p, μ)} dz[i, p, μ] x_μ[p:p+K]: dz's rows grouped by unit, (p, μ) the contracted axis.
        return dV, pull_back_blocks(activation, a, saved, Vr, dF, Xf, H)

    return F, pullback


def conv_forward(V: np.ndarray, U: np.ndarray, X: np.ndarray, activation: Any) -> np.ndarray:
    """f[b, μ] = Σ_{i,p} V[i,p] σ(U[i]·x_μ[p:p+K]): shape (B, P, 1)."""
    return conv_forward_pullback(V, U, X, activation)[0]


def conv_vjp(
    V: np.ndarray, U: np.ndarray, X: np.ndarray, dF: np.ndarray, activation: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(∂/∂V, ∂/∂U) of Σ dF·f (see :func:`conv_forward_pullback`)."""
    return conv_forward_pullback(V, U, X, activation)[1](dF)


@lru_cache(maxsize=64)
def _scatter(d_in: int, kernel: int) -> np.ndarray:
    # One-hot (L*K, d_in) map sending tap (p, k) to input coordinate p + k; cached (read-only) because the
    # effective matrix is rebuilt on every gradient.
    idx = patch_index(d_in, kernel)
    S = np.zeros((idx.size, d_in))
    S[np.arange(idx.size), idx.ravel()] = 1.0
    S.setflags(write=False)
    return S


def linear_conv_matrix(V: np.ndarray, U: np.ndarray, d_in: int) -> np.ndarray:
    """Linear conv as f = W x: W[0, j] = Σ_i Σ_{p+k=j} V[i,p] U[i,k]; shape (B, 1, d_in)."""
    B, H, K = U.shape
    T = np.matmul(V.transpose(0, 2, 1), U)  # T[p, k] = Σ_i V[i,p] U[i,k]
    return np.matmul(T.reshape(B, -1), _scatter(d_in, K))[:, None, :]


def linear_conv_matrix_vjp(
    V: np.ndarray, U: np.ndarray, dW: np.ndarray, out: Out = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pull-back of W: with dT[p,k] = dW[0, p+k], dV[i,p] = Σ_k U[i,k] dT[p,k], dU[i,k] = Σ_p V[i,p] dT[p,k]
    (into ``out`` = (dV, dU) when given)."""
    o = out or (None, None)
    K = U.shape[2]
    dT = dW[:, 0, :][:, patch_index(dW.shape[2], K)]
    return np.matmul(U, transposed(dT), out=o[0]), np.matmul(V, dT, out=o[1])
