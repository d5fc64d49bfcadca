"""Distances of weights to the low-effective-width sets of Theorem 3 and the effective width over time
(spec §1.4 last paragraph, §4.1, §4.3).

The sets (unit i has θ_i = (v_i, u_i), the rows of the unit blocks ``V``, ``U`` / ``K``, ``Q``; ``W1`` of the deep
net is not a unit block):

* zero unit (ii):          d_i = ‖θ_i‖ / scale;
* equal units (i):         d_ij = ‖θ_i − θ_j‖ / scale;
* proportional units (iii): d_ij = min_γ ‖θ_i − γθ_j‖ / ‖θ_i‖ = sine of the angle between θ_i and θ_j
  (with γ ≥ 0 for ReLU: 1 when the angle exceeds 90°, since then the best γ ≥ 0 is 0);
* rank ≤ k (iv, linear φ):  d_k = sqrt(Σ_{m>k} σ_m²) / scale for the unit matrix Σ_i v_i u_iᵀ (Eckart–Young:
  the distance to the nearest rank-k matrix).

**Tolerance (documented convention, spec §1.4).**  Dormant directions and units are O(ε), not 0, so "on the set"
and "active" are decided relative to the *problem scale*, never to machine precision: a unit is active when
‖θ_i‖ > ``rel`` · scale, a singular value counts when σ_k > ``rel`` · scale, two active units share a ray when the
cosine of their u's exceeds 1 − ``cos_tol`` (defaults rel = 0.1, cos_tol = 1e−3, the spec's values).  The scale is
an argument (for linear nets the spec suggests min_k s_k); if omitted, :func:`effective_width_trajectory` uses the
largest value of the same quantity over the whole trajectory (its final, learned size), and the single-snapshot
functions the largest at that time — which counts every unit at a small initialisation as active, so give a scale
when looking at early times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .architectures import Architecture
from .complexity import unit_norms, unit_params
from .errors import InputError

__all__ = [
    "WidthTolerance",
    "effective_width",
    "effective_width_trajectory",
    "equal_unit_distance",
    "proportional_distance",
    "rank_distance",
    "ratio_deviation",
    "unit_matrix",
    "unit_norms",
    "unit_params",
    "zero_unit_distance",
]


@dataclass(frozen=True)
class WidthTolerance:
    """Thresholds of the effective width (module docstring): ``rel`` × scale for activity/singular values,
    cosine > 1 − ``cos_tol`` for a shared ray."""

    rel: float = 0.1
    cos_tol: float = 1e-3

    def __post_init__(self) -> None:
        if not 0 < self.rel < 1:
            raise InputError(f"rel={self.rel}: must be in (0, 1)")
        if not 0 < self.cos_tol < 1:
            raise InputError(f"cos_tol={self.cos_tol}: must be in (0, 1)")


def _u_part(arch: Architecture, theta: np.ndarray) -> np.ndarray:
    blocks = arch.unpack(theta)
    parts = [blocks[n].reshape(blocks[n].shape[0], blocks[n].shape[1], -1) for n in arch.u_blocks]
    return np.concatenate(parts, axis=2)


def _scale(values: np.ndarray, scale: float | None) -> np.ndarray:
    if scale is not None:
        if not scale > 0:
            raise InputError(f"scale={scale}: must be positive")
        return np.asarray(float(scale))
    s = np.max(values, axis=tuple(range(1, values.ndim)), keepdims=True) if values.ndim > 1 else np.max(values)
    return np.where(s > 0, s, 1.0)


def zero_unit_distance(arch: Architecture, theta: np.ndarray, scale: float | None = None) -> np.ndarray:
    """‖θ_i‖ / scale, shape (B, H) (scale: largest unit norm per member if omitted)."""
    n = unit_norms(arch, theta)
    return n / _scale(n, scale)


def equal_unit_distance(arch: Architecture, theta: np.ndarray, scale: float | None = None) -> np.ndarray:
    """‖θ_i − θ_j‖ / scale, shape (B, H, H)."""
    p = unit_params(arch, theta)
    d = np.linalg.norm(p[:, :, None, :] - p[:, None, :, :], axis=3)
    s = _scale(np.linalg.norm(p, axis=2), scale)
    return d / (s[..., None] if np.ndim(s) else s)


def proportional_distance(arch: Architecture, theta: np.ndarray, nonnegative: bool | None = None) -> np.ndarray:
    """min_γ ‖θ_i − γθ_j‖ / ‖θ_i‖ (the sine of the angle), shape (B, H, H); γ ≥ 0 when ``nonnegative`` (default:
    when φ is only positively homogeneous, i.e. ReLU)."""
    if nonnegative is None:
        nonnegative = arch.homogeneity_field == "R>=0"
    p = unit_params(arch, theta)
    n = np.linalg.norm(p, axis=2)
    safe = np.where(n > 0, n, 1.0)
    unit = p / safe[..., None]
    cos = np.clip(np.einsum("bik,bjk->bij", unit, unit), -1.0, 1.0)
    sin = np.sqrt(np.maximum(0.0, 1.0 - cos**2))
    if nonnegative:
        sin = np.where(cos < 0, 1.0, sin)
    return sin


def unit_matrix(arch: Architecture, theta: np.ndarray) -> np.ndarray:
    """Σ_i v_i u_iᵀ (B, n_v, n_u): W for linear FC/conv, the map of the unit layer for deep nets."""
    blocks = arch.unpack(theta)
    v = blocks["V"].reshape(blocks["V"].shape[0], blocks["V"].shape[1], -1)
    u = _u_part(arch, theta)
    return np.einsum("bia,bic->bac", v, u)


def rank_distance(matrix: np.ndarray, k: int, scale: float | None = None) -> np.ndarray:
    """sqrt(Σ_{m>k} σ_m²) / scale for a batch of matrices (B, r, c): the relative distance to rank ≤ k."""
    if k < 0:
        raise InputError(f"k={k}: must be >= 0")
    s = np.linalg.svd(np.asarray(matrix, dtype=float), compute_uv=False)
    tail = np.sqrt(np.sum(s[:, k:] ** 2, axis=1))
    sc = _scale(s[:, :1], scale).reshape(-1) if scale is None else float(scale)
    return tail / sc


def _count_rays(u: np.ndarray, active: np.ndarray, cos_tol: float, nonnegative: bool) -> int:
    dirs: list[np.ndarray] = []
    for i in np.flatnonzero(active):
        d = u[i] / np.linalg.norm(u[i])
        same = False
        for e in dirs:
            c = float(d @ e)
            if c > 1 - cos_tol or (not nonnegative and c < -(1 - cos_tol)):
                same = True
                break
        if not same:
            dirs.append(d)
    return len(dirs)


def _count_active(arch: Architecture, theta: np.ndarray, active: np.ndarray, tol: WidthTolerance) -> np.ndarray:
    return active.sum(axis=1)


def _count_distinct_rays(arch: Architecture, theta: np.ndarray, active: np.ndarray,
                         tol: WidthTolerance) -> np.ndarray:
    u = _u_part(arch, theta)
    nonneg = arch.homogeneity_field == "R>=0"
    return np.array([_count_rays(u[b], active[b], tol.cos_tol, nonneg) for b in range(u.shape[0])])


@dataclass(frozen=True)
class WidthKind:
    """What an effective width counts: ``quantity(arch, θ)`` (B, k), the magnitudes whose active entries are
    counted (unit norms, or the singular values of Σ_i v_i u_iᵀ), and ``count(arch, θ, active, tol)`` (B,)."""

    quantity: Callable[[Architecture, np.ndarray], np.ndarray]
    count: Callable[[Architecture, np.ndarray, np.ndarray, WidthTolerance], np.ndarray]


WIDTH_KINDS: MappingProxyType[str, WidthKind] = MappingProxyType({
    "units": WidthKind(unit_norms, _count_active),
    "rays": WidthKind(unit_norms, _count_distinct_rays),
    "rank": WidthKind(lambda arch, theta: np.linalg.svd(unit_matrix(arch, theta), compute_uv=False), _count_active),
})


def _kind(arch: Architecture, kind: str) -> WidthKind:
    """The width ``kind`` (a key of :data:`WIDTH_KINDS`), or for "auto" the one φ's properties pick (spec §1.4)."""
    if kind == "auto":
        kind = "rank" if arch.linear_in_u else "rays" if arch.degree == 1 else "units"
    if kind not in WIDTH_KINDS:
        raise InputError(f"kind={kind!r}: must be 'auto' or one of {', '.join(map(repr, WIDTH_KINDS))}")
    return WIDTH_KINDS[kind]


def effective_width(arch: Architecture, theta: np.ndarray, kind: str = "auto", scale: float | None = None,
                    tol: WidthTolerance = WidthTolerance()) -> np.ndarray:
    """Effective width per member (B,): "units" = number of active units, "rays" = number of distinct rays of
    the active units' u (γ ≥ 0 for ReLU), "rank" = number of singular values of Σ_i v_i u_iᵀ above rel·scale.
    ``auto`` picks rank for φ linear in u, rays for degree 1, units otherwise (spec §1.4 table)."""
    width = _kind(arch, kind)
    q = width.quantity(arch, theta)
    active = q > tol.rel * _scale(q, scale)
    return width.count(arch, theta, active, tol)


def effective_width_trajectory(arch: Architecture, thetas: np.ndarray, kind: str = "auto",
                               scale: float | None = None, tol: WidthTolerance = WidthTolerance()) -> np.ndarray:
    """Effective width at every saved time of one trajectory ``thetas`` (T, n) -> (T,) ints.  Without ``scale``
    the problem scale is the largest value of the measured quantity over the whole trajectory."""
    th = np.asarray(thetas, dtype=float)
    if th.ndim != 2:
        raise InputError(f"thetas: must have shape (T, n_params), got {th.shape}")
    if scale is None:
        scale = float(np.max(_kind(arch, kind).quantity(arch, th)))
        if not scale > 0:
            return np.zeros(th.shape[0], dtype=int)
    return effective_width(arch, th, kind, scale, tol)


def ratio_deviation(theta: np.ndarray, i_idx: np.ndarray, j_idx: np.ndarray, gamma: float) -> np.ndarray:
    """‖θ[i_idx] − γθ[j_idx]‖ / ‖θ[i_idx]‖ per member: how far a Theorem 3 relation θ_i = γθ_j has drifted."""
    th = np.atleast_2d(np.asarray(theta, dtype=float))
    a, b = th[:, i_idx], th[:, j_idx]
    return np.linalg.norm(a - gamma * b, axis=1) / np.maximum(np.linalg.norm(a, axis=1), 1e-300)
