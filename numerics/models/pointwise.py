"""Fully connected two-layer nets f(x) = Σ_i v_i σ(u_i·x [+ b_i]) for any unit σ (spec §1.4 rows 1, 3, 5, 8–10).

The unit is an :class:`~numerics.activation.Activation`; the forward pass hands it its own fresh pre-activations
(``activate``, which may overwrite them) and the pull-back its own fresh cotangent (``pull_back`` multiplies it by
σ′ in place), so the built-ins run without large temporaries (docs/theory.md §1.1).

Blocks: V (B, H, d_out), U (B, H, d_in) or (B, H, d_in + 1) when the last column of U is the bias b_i.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Array = np.ndarray

#: Elements of z pulled back at a time.  The pull-back's temporaries (the cotangent dz, σ′) then stay at 64 KB:
#: in cache, and below the allocator's threshold for fresh pages from the kernel (glibc: 128 KB), whose page
#: faults cost more than the arithmetic of a whole (B, H, P) array at B = 256 (benchmarks/bench_gradient.py).
CHUNK_ELEMENTS = 8192


def pull_back_blocks(activation: Any, a: Array, saved: tuple[Array, ...], V: Array, dF: Array, Xa: Array,
                     groups: int) -> Array:
    """dz x̃ with dz = readout_cotangent(V, dF) ⊙ σ′(z) read as (B, G, R P / G), G = ``groups``, computed for
    blocks of members of at most :data:`CHUNK_ELEMENTS` elements of z each (one member at least).

    a (B, R, P) and ``saved`` come from ``activation.activate``; V (B, R, d_out), dF (B, P, d_out), x̃ (R P / G, K);
    the result is a fresh (B, G, K) array.  G = R for the fc net, G = H units of R = H·L rows for the conv net.
    Blocking changes no number (each element goes through the same operations); it keeps the temporaries small.
    """
    B, R, P = a.shape
    step = max(1, CHUNK_ELEMENTS // (R * P))
    if step >= B:  # one block: no slicing (B = 1 pays for every Python-level operation)
        dz = activation.pull_back(readout_cotangent(V, dF), a, saved)
        return np.matmul(dz.reshape(B, groups, -1) if groups != R else dz, Xa)
    out = np.empty((B, groups, Xa.shape[1]))
    for lo in range(0, B, step):
        rows = slice(lo, lo + step)
        dz = activation.pull_back(readout_cotangent(V[rows], dF[rows]), a[rows], tuple(x[rows] for x in saved))
        np.matmul(dz.reshape(dz.shape[0], groups, -1), Xa, out=out[rows])
    return out


def augment(X: Array, bias: bool) -> Array:
    """[x_μ, 1] when the last column of U is a bias, so that u_i·[x; 1] = w_i·x + b_i in one product."""
    if not bias:
        return X
    return np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)


def readout_cotangent(V: Array, dF: Array) -> Array:
    """dz[b, i, μ] = v_i·dF[b, μ], a fresh (B, H, P) array (units × samples, as the pre-activations)."""
    if V.shape[2] == 1:
        # A (H×1)(1×P) product is an outer product; broadcasting beats a k = 1 matmul.
        return V * dF.transpose(0, 2, 1)
    return np.matmul(V, dF.transpose(0, 2, 1))


def fc_forward_pullback(
    V: Array, U: Array, X: Array, activation: Any, bias: bool
) -> tuple[Array, Callable[[Array], tuple[Array, Array]]]:
    """f[b, μ] = Σ_i v_i σ(u_i·x̃_μ) (shape (B, P, d_out)) and its pull-back dF ↦ (dV, dU), reusing the
    pre-activations: dv_i = Σ_μ σ(z_iμ) dF_μ, du_i = Σ_μ (v_i·dF_μ) σ'(z_iμ) x̃_μ, with x̃ = [x; 1] if bias.

    Notes
    -----
    The pre-activations are laid out units × samples, z (B, H, P) = U x̃ᵀ: every product is then a plain batched
    matmul with no transposed copy (dU = dz x̃, dV = a dF), and the elementwise passes over z run along the P
    samples (the long axis) instead of the H units.
    """
    Xa = augment(X, bias)
    a, saved = activation.activate(np.matmul(U, Xa.T))
    F = np.matmul(V.transpose(0, 2, 1), a).transpose(0, 2, 1)

    def pullback(dF: Array) -> tuple[Array, Array]:
        dV = np.matmul(a, dF)
        return dV, pull_back_blocks(activation, a, saved, V, dF, Xa, U.shape[1])

    return F, pullback


def fc_forward(V: Array, U: Array, X: Array, activation: Any, bias: bool) -> Array:
    """f[b, μ] = Σ_i v_i σ(u_i·x_μ [+ b_i]): shape (B, P, d_out)."""
    return fc_forward_pullback(V, U, X, activation, bias)[0]


def fc_vjp(V: Array, U: Array, X: Array, dF: Array, activation: Any, bias: bool) -> tuple[Array, Array]:
    """(∂/∂V, ∂/∂U) of Σ dF·f (see :func:`fc_forward_pullback`)."""
    return fc_forward_pullback(V, U, X, activation, bias)[1](dF)
