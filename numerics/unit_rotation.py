"""Hessian spectra of wide linear-in-u networks from a network of m + 1 units (docs/theory.md §3.4).

When the units are exchangeable and φ is linear in u, f = Σ_i φ(x; u_i) v_i depends on the unit rows only through
Σ_i v_i ⊗ u_i, so every rotation Q ∈ O(H) of the units — row i of each unit block replaced by Σ_j Q_ij row j —
leaves f, hence L, unchanged. That rotation is an orthogonal map P of θ, so ∇²L(θ) = Pᵀ ∇²L(Pθ) P: the Hessian
spectrum at θ equals the one at Pθ. Two steps make that cheap:

1. **Rotate the units away.** Stack the H unit rows (v_i, u_i) into M (H × m, m = per-unit parameters). Its QR
   factorisation M = Q R (Q: H × m orthonormal columns) extends to an orthogonal [Q, Q⊥] with [Q, Q⊥]ᵀ M = [R; 0]:
   after the rotation only the first m units are nonzero, whatever θ is.
2. **Zero units decouple.** A unit with u_j = 0 and v_j = 0 has ∂f/∂v_j = φ(x; 0) = 0 and ∂f/∂u_j = v_j ∂φ/∂u = 0,
   and every second derivative of f that pairs θ_j with another parameter carries a factor u_j or v_j (f is a sum
   over units, and the shared blocks enter through φ, which vanishes at u = 0 for every value of them). Its rows of
   the Hessian are zero outside its own (u_j, v_j) block, and that block, E[ℓ′ ∂²f/∂u_j∂v_j] (a residual
   correlation), is the same for every zero unit.

So the spectrum of the width-H network is that of a width-(m + 1) network at (R, one zero unit, the shared
blocks), with the zero unit's block counted H − m times. For linear-fc with d_in = d_out = 5 and H = 50 that is a
110 × 110 Hessian (220 gradients of an 11-unit net) instead of 500 × 500 (1000 gradients of the 50-unit one): the
same eigenvalues, to the finite-difference accuracy of :func:`numerics.hessian`.

Example
-------
>>> import numpy as np
>>> from numerics import build_architecture, whitened, init_params, hessian
>>> arch = build_architecture("linear-fc", d_in=2, d_out=2, width=7); task = whitened([3.0, 1.0])
>>> th = init_params(arch, 0.5, seed=0)[0]
>>> lam = hessian_eigenvalues(arch, task, th)
>>> bool(np.allclose(lam, np.linalg.eigvalsh(hessian(arch, task, th)), atol=1e-8))
True
>>> rotate_units(arch, th).copies, rotate_units(arch, th).reduced.unit_count
(3, 5)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .architectures import Architecture
from .fixed_points import unit_indices
from .objective import check_compatible, hessian

__all__ = ["RotatedPoint", "hessian_eigenvalues", "hessian_order", "rotate_units", "rotation_invariant",
           "rotation_reduces"]


def rotation_invariant(arch: Architecture) -> bool:
    """True when L is unchanged by every O(H) rotation of the units: exchangeable units (the family names a
    ``unit_size``) whose φ is linear in u (module docstring). A unit σ must be linear everywhere
    (:attr:`numerics.activation.Activation.linear`, decided on its expression), not only on the probes that
    :func:`numerics.measure_unit` reads (|z| up to 6e3): a unit clipped farther out passes those and breaks the
    symmetry."""
    exact = arch.activation is None or arch.activation.linear  # no unit σ: φ's linearity is declared (§1.4)
    return bool(arch.linear_in_u and exact and arch.zero_unit and arch.family.unit_size is not None)


@dataclass(frozen=True)
class RotatedPoint:
    """θ rotated so that only the first m units are nonzero, held as the width-(m + 1) network ``reduced`` at
    ``theta`` (its last unit zero); ``dormant``: the positions of that zero unit in ``theta``; ``copies`` = H − m,
    how many zero units of the full network share its Hessian block."""

    reduced: Architecture
    theta: np.ndarray
    dormant: np.ndarray
    copies: int


@lru_cache(maxsize=32)
def _layout(arch: Architecture) -> tuple[Architecture, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(reduced network, unit positions (H, m) in θ, unit positions (m + 1, m) in the reduced θ, and the shared
    positions of each), computed once per architecture."""
    units = np.array([np.concatenate(p) for p in unit_indices(arch)])
    m = units.shape[1]
    reduced = arch.resized(**{arch.family.unit_size: m + 1})
    units_r = np.array([np.concatenate(p) for p in unit_indices(reduced)])
    shared = np.setdiff1d(np.arange(arch.n_params), units)
    shared_r = np.setdiff1d(np.arange(reduced.n_params), units_r)
    return reduced, units, units_r, shared, shared_r


def rotation_reduces(arch: Architecture) -> bool:
    """True when :func:`hessian_eigenvalues` works on a smaller network: rotation invariant with more than m + 1
    units (m = parameters per unit)."""
    return rotation_invariant(arch) and arch.unit_count > _layout(arch)[1].shape[1] + 1


def hessian_order(arch: Architecture) -> int:
    """The order of the largest dense matrix :func:`hessian_eigenvalues` builds for ``arch``."""
    return _layout(arch)[0].n_params if rotation_reduces(arch) else arch.n_params


def rotate_units(arch: Architecture, theta_1d: Any) -> RotatedPoint | None:
    """The rotated point of the module docstring (step 1), or None unless :func:`rotation_reduces`."""
    if not rotation_reduces(arch):
        return None
    th = np.asarray(theta_1d, dtype=np.float64).reshape(-1)
    reduced, units, units_r, shared, shared_r = _layout(arch)
    m = units.shape[1]
    r = np.linalg.qr(th[units], mode="r")  # (m, m): [Q, Q⊥]ᵀ M = [R; 0]
    out = np.zeros(reduced.n_params)
    out[units_r[:m]] = r
    out[shared_r] = th[shared]
    return RotatedPoint(reduced, out, units_r[m], arch.unit_count - m)


def hessian_eigenvalues(arch: Architecture, task: Any, theta_1d: Any) -> np.ndarray:
    """All n eigenvalues of ∇²L(θ), ascending, from the width-(m + 1) network when the network is rotation
    invariant and wider (module docstring), else ``eigvalsh`` of :func:`numerics.hessian` at θ itself.

    Notes
    -----
    Both are central-difference Hessians with relative accuracy ≈ eps^(2/3) (:func:`numerics.hessian`), so the two
    spectra agree to that accuracy times n‖∇²L‖, not to the bit. The cross block between the zero unit and the rest
    is zero in exact arithmetic and dropped; it is left to the tests to check that it is at round-off.
    """
    check_compatible(arch, task)
    point = rotate_units(arch, theta_1d)
    if point is None:
        return np.linalg.eigvalsh(hessian(arch, task, theta_1d))
    h = hessian(point.reduced, task, point.theta)
    keep = np.setdiff1d(np.arange(h.shape[0]), point.dormant)
    active = np.linalg.eigvalsh(h[np.ix_(keep, keep)])
    dormant = np.linalg.eigvalsh(h[np.ix_(point.dormant, point.dormant)])
    return np.sort(np.concatenate([active, np.tile(dormant, point.copies)]))
