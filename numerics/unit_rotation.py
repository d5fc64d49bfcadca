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

The same two facts reduce the **gradient flow** itself (:func:`reduce_units`, docs/theory.md §3.4): the rotation P
commutes with the flow (∇L(Pθ) = P∇L(θ)) and a zero unit's gradient vanishes, so the flow of the width-H network
from θ₀ is P₀ᵀ times the flow of the width-m network from (R₀, the shared blocks), at every time and exactly (in
exact arithmetic). Integrating the m-unit network costs m/H of the arithmetic; :meth:`UnitReduction.lift` maps its
θ(t) back, member by member, as M(t) = Q₁ R(t).

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
from .errors import InputError
from .fixed_points import unit_indices
from .objective import check_compatible, hessian_blocks
from .validation import as_float_array

__all__ = ["RotatedPoint", "UnitReduction", "flow_reduces", "hessian_eigenvalues",
           "hessian_eigenvalues_many", "hessian_order", "reduce_units", "reduced_architecture", "rotate_units",
           "rotation_invariant", "rotation_reduces"]


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
def _layout(arch: Architecture, zero_units: int = 1) -> tuple[Architecture, np.ndarray, np.ndarray, np.ndarray,
                                                               np.ndarray]:
    """(reduced network of m + ``zero_units`` units, unit positions (H, m) in θ, unit positions (m + zero_units, m)
    in the reduced θ, and the shared positions of each), computed once per architecture: one zero unit for the
    Hessian (its block stands for all H − m), none for the flow (zero units stay zero)."""
    units = np.array([np.concatenate(p) for p in unit_indices(arch)])
    m = units.shape[1]
    reduced = arch.resized(**{arch.family.unit_size: m + zero_units})
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
    reduced, rotated, _ = _rotated(arch, np.asarray(theta_1d, dtype=np.float64).reshape(1, -1))
    return RotatedPoint(reduced, rotated[0], *_zero_unit(arch))


def _rotated(arch: Architecture, thetas: np.ndarray, zero_units: int = 1, basis: bool = False
             ) -> tuple[Architecture, np.ndarray, np.ndarray | None]:
    """(network of m + ``zero_units`` units, each row of ``thetas`` (k, n) rotated into it (k, n_r), and with
    ``basis`` each row's Q₁ (k, H, m), else None), by one stacked QR of the unit matrices M = Q₁ R."""
    reduced, units, units_r, shared, shared_r = _layout(arch, zero_units)
    m = units.shape[1]
    q, r = np.linalg.qr(thetas[:, units]) if basis else (None, np.linalg.qr(thetas[:, units], mode="r"))
    out = np.zeros((thetas.shape[0], reduced.n_params))
    out[:, units_r[:m]] = r  # [Q, Q⊥]ᵀ M = [R; 0]: the first m units carry R, the others are zero
    out[:, shared_r] = thetas[:, shared]
    return reduced, out, q


def _zero_unit(arch: Architecture) -> tuple[np.ndarray, int]:
    """Positions of the zero unit in the width-(m + 1) network's θ, and how many zero units of ``arch`` it stands
    for (H − m)."""
    _, units, units_r, _, _ = _layout(arch)
    return units_r[units.shape[1]], arch.unit_count - units.shape[1]


def hessian_eigenvalues(arch: Architecture, task: Any, theta_1d: Any) -> np.ndarray:
    """All n eigenvalues of ∇²L(θ), ascending, from the width-(m + 1) network when the network is rotation
    invariant and wider (module docstring), else ``eigvalsh`` of :func:`numerics.hessian` at θ itself.

    Notes
    -----
    Both are central-difference Hessians with relative accuracy ≈ eps^(2/3) (:func:`numerics.hessian`), so the two
    spectra agree to that accuracy times n‖∇²L‖, not to the bit. The cross block between the zero unit and the rest
    is zero in exact arithmetic and dropped; it is left to the tests to check that it is at round-off.
    """
    th = as_float_array("theta_1d", theta_1d, ndim=1)
    if th.size != arch.n_params:
        raise InputError(f"theta_1d: must have length {arch.n_params} for {arch.name} (got {th.size})")
    return hessian_eigenvalues_many(arch, task, th[None, :])[0]


def hessian_eigenvalues_many(arch: Architecture, task: Any, thetas: Any) -> np.ndarray:
    """:func:`hessian_eigenvalues` at each row of ``thetas`` (k, n): shape (k, n), each row ascending.

    The Hessians are built a block of points at a time (:func:`numerics.objective.hessian_blocks`, at most
    :data:`~numerics.objective.HESSIAN_BLOCK` numbers) and each block's spectra come from one stacked
    ``eigvalsh``: the matrices of the point-by-point computation, without a Python round trip per point.
    """
    check_compatible(arch, task)
    th = as_float_array("thetas", thetas, ndim=2)
    if th.shape[1] != arch.n_params:
        raise InputError(f"thetas: must have shape (k, {arch.n_params}) for {arch.name}, got {th.shape}")
    out = np.empty(th.shape)
    if not rotation_reduces(arch):
        for rows, h in hessian_blocks(arch, task, th):
            out[rows] = np.linalg.eigvalsh(h)
        return out
    reduced, rotated, _ = _rotated(arch, th)
    dormant, copies = _zero_unit(arch)
    keep = np.setdiff1d(np.arange(reduced.n_params), dormant)
    for rows, h in hessian_blocks(reduced, task, rotated):
        active = np.linalg.eigvalsh(h[:, keep[:, None], keep])
        zero_unit = np.linalg.eigvalsh(h[:, dormant[:, None], dormant])
        out[rows] = np.sort(np.concatenate([active, np.tile(zero_unit, copies)], axis=1), axis=1)
    return out


def flow_reduces(arch: Architecture) -> bool:
    """True when :func:`reduce_units` integrates ``arch`` as a narrower network: rotation invariant with more units
    than parameters per unit (H > m)."""
    return rotation_invariant(arch) and arch.unit_count > _layout(arch, 0)[1].shape[1]


def reduced_architecture(arch: Architecture) -> Architecture | None:
    """The width-m network :func:`reduce_units` trains ``arch`` as, or None unless :func:`flow_reduces`."""
    return _layout(arch, 0)[0] if flow_reduces(arch) else None


@dataclass(frozen=True)
class UnitReduction:
    """A batch θ₀ (B, n) of a width-H network held as the width-m network ``reduced`` at ``theta0`` (B, n_r), row
    by row rotated so that only m units are nonzero (module docstring); ``basis`` (B, H, m): each row's Q₁, with
    the row's unit matrix M = Q₁ R.  :meth:`lift` maps θ of the reduced network back to the full one; a result
    of the reduced flow carries it as its ``frame`` (:meth:`numerics.integrate.IntegrationResult.lifted`).

    Example
    -------
    >>> import numpy as np
    >>> from numerics import build_architecture, whitened, init_params, loss_and_grad
    >>> arch = build_architecture("linear-fc", d_in=2, d_out=2, width=9); task = whitened([3.0, 1.0])
    >>> th = init_params(arch, 0.1, seed=0, n_seeds=3)
    >>> red = reduce_units(arch, th)
    >>> red.reduced.unit_count, red.theta0.shape
    (4, (3, 16))
    >>> bool(np.allclose(loss_and_grad(red.reduced, task, red.theta0)[0], loss_and_grad(arch, task, th)[0]))
    True
    >>> bool(np.allclose(red.lift(1, red.theta0[1:2]), th[1:2]))
    True
    """

    full: Architecture
    reduced: Architecture
    theta0: np.ndarray
    basis: np.ndarray

    def lift(self, row: int, theta: np.ndarray) -> np.ndarray:
        """θ (k, n_r) of the reduced network along row ``row`` of the batch → θ (k, n) of the full one."""
        _, units, units_r, shared, shared_r = _layout(self.full, 0)
        th = np.asarray(theta, dtype=np.float64).reshape(-1, self.reduced.n_params)
        out = np.empty((th.shape[0], self.full.n_params))
        out[:, units] = np.matmul(self.basis[row], th[:, units_r])  # (H, m) @ (k, m, m): M = Q₁ R per point
        out[:, shared] = th[:, shared_r]
        return out


def reduce_units(arch: Architecture, theta0: Any) -> UnitReduction | None:
    """The batch θ₀ (B, n) as the width-m network whose gradient flow, lifted, is the width-H one's (module
    docstring; docs/theory.md §3.4), or None unless :func:`flow_reduces`."""
    if not flow_reduces(arch):
        return None
    th = np.asarray(theta0, dtype=np.float64).reshape(-1, arch.n_params)
    reduced, rotated, basis = _rotated(arch, th, zero_units=0, basis=True)
    return UnitReduction(arch, reduced, rotated, basis)
