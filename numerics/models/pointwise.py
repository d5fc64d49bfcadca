"""Fully connected two-layer nets f(x) = Σ_i v_i σ(u_i·x [+ b_i]) for any unit σ (spec §1.4 rows 1, 3, 5, 8–10).

The unit is an :class:`~numerics.activation.Activation`: ``sigma(z)`` and ``prime(z, a)`` with a = σ(z) (so
tanh′ = 1 − a² needs no second tanh); ``prime`` is None for the identity, whose multiplication by 1 is skipped.

Blocks: V (B, H, d_out), U (B, H, d_in) or (B, H, d_in + 1) when the last column of U is the bias b_i.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Array = np.ndarray


def augment(X: Array, bias: bool) -> Array:
    """[x_μ, 1] when the last column of U is a bias, so that u_i·[x; 1] = w_i·x + b_i in one product."""
    if not bias:
        return X
    return np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)


def scale_by_readout(dF: Array, V: Array) -> Array:
    """dF[b, μ]·v_i for all (b, μ, i): shape (B, P, H)."""
    if V.shape[2] == 1:
        # A (P×1)(1×H) product is an outer product; broadcasting beats a k = 1 matmul.
        return dF * V[:, None, :, 0]
    return np.matmul(dF, V.transpose(0, 2, 1))


def fc_forward_pullback(
    V: Array, U: Array, X: Array, activation: Any, bias: bool
) -> tuple[Array, Callable[[Array], tuple[Array, Array]]]:
    """f[b, μ] = Σ_i v_i σ(u_i·x̃_μ) (shape (B, P, d_out)) and its pull-back dF ↦ (dV, dU), reusing the
    pre-activations: dv_i = Σ_μ σ(z_μi) dF_μ, du_i = Σ_μ (dF_μ·v_i) σ'(z_μi) x̃_μ, with x̃ = [x; 1] if bias."""
    sigma, sigma_prime = activation.sigma, activation.prime
    Xa = augment(X, bias)
    z = np.matmul(Xa, U.transpose(0, 2, 1))
    a = sigma(z)
    F = np.matmul(a, V)

    def pullback(dF: Array) -> tuple[Array, Array]:
        dV = np.matmul(a.transpose(0, 2, 1), dF)
        dz = scale_by_readout(dF, V)
        if sigma_prime is not None:
            dz *= sigma_prime(z, a)
        return dV, np.matmul(dz.transpose(0, 2, 1), Xa)

    return F, pullback


def fc_forward(V: Array, U: Array, X: Array, activation: Any, bias: bool) -> Array:
    """f[b, μ] = Σ_i v_i σ(u_i·x_μ [+ b_i]): shape (B, P, d_out)."""
    return fc_forward_pullback(V, U, X, activation, bias)[0]


def fc_vjp(V: Array, U: Array, X: Array, dF: Array, activation: Any, bias: bool) -> tuple[Array, Array]:
    """(∂/∂V, ∂/∂U) of Σ dF·f (see :func:`fc_forward_pullback`)."""
    return fc_forward_pullback(V, U, X, activation, bias)[1](dF)
