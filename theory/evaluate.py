"""Numeric evaluation of a symbolic :class:`~theory.derive.Derivation` (lambdify; used by cross-checks).

ReLU Hessians contain DiracDelta(preactivation) terms; they vanish off the measure-zero set of kinks, so they are
replaced by 0 here, which is exact at every point where no preactivation is exactly zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from .derive import Derivation
from .errors import InputError


def _drop_deltas(expr):
    return expr.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))


@dataclass(frozen=True)
class NumericDerivation:
    """Callables θ ↦ L(θ), ∇L(θ), ∇²L(θ) on 1-D float64 arrays in the layout order."""

    n_params: int
    loss: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray]
    hessian: Callable[[np.ndarray], np.ndarray] | None


def lambdify_derivation(derivation: Derivation) -> NumericDerivation:
    """Compile a derivation to NumPy callables (one positional array argument θ)."""
    params = derivation.params
    n = len(params)
    # One lambdify call with common-subexpression elimination: loss, gradient and Hessian share most terms.
    exprs = [derivation.loss, list(derivation.gradient)]
    if derivation.hessian is not None:
        exprs.append(_drop_deltas(derivation.hessian).tolist())
    compiled = sp.lambdify([params], exprs, "numpy", cse=True)
    has_hess = derivation.hessian is not None

    def _theta(theta) -> np.ndarray:
        arr = np.asarray(theta, dtype=float)
        if arr.shape != (n,):
            raise InputError(f"theta: shape {arr.shape}, expected ({n},) for {derivation.spec.name}")
        return arr

    def loss(theta) -> float:
        return float(compiled(_theta(theta))[0])

    def gradient(theta) -> np.ndarray:
        return np.array(compiled(_theta(theta))[1], dtype=float).reshape(n)

    hess = None
    if has_hess:
        def hess(theta) -> np.ndarray:
            return np.array(compiled(_theta(theta))[2], dtype=float).reshape(n, n)

    return NumericDerivation(n, loss, gradient, hess)
