"""Complexity of the learned function over time: ranks, rays, kinks, active units, effective width (spec §1.4).

Spec §1.4 (table, last column) names one complexity measure per architecture; :func:`complexity` computes it for
a batch θ (B, n) and :func:`complexity_along` (:func:`complexity_along_many` for many members) along a recorded
trajectory. The *effective width* is that measure:

=====================  ==========================================================================================
architecture           effective width (``measure``)
=====================  ==========================================================================================
linear-fc              ``rank``: numerical rank of W = VᵀU = Σ_i v_i u_iᵀ
linear-conv            ``kernel_rank``: rank of the kernel matrix C = Σ_i v_i u_iᵀ (L × K) = number of effective
                       kernels
deep-linear            ``rank``: rank of the product W3 W2 W1 (``layer_ranks`` gives each layer's rank)
tanh-fc                ``rank``: rank of Σ_i v_i u_iᵀ (row 8: tanh is linear at lowest order)
attn-m                 ``rank``: rank of the end-to-end map vec(M)ᵀ, M = Σ_i v_i U_i, i.e. 1 once M is learned
diagonal-linear        ``support``: number of coordinates with |β_i| = |u_i v_i| above threshold
relu-fc, relu-conv     ``rays``: number of distinct rays u_i/‖u_i‖ among active units (for relu-fc with d_in = 1
                       also ``n_kinks``: distinct kinks x = −b_i/w_i of active units)
quadratic, attn-s,     ``active_units``: number of units whose norm ‖θ_i‖ = √(‖u_i‖² + ‖v_i‖²) is above threshold
xtanh-fc, cubic
=====================  ==========================================================================================

Thresholds (spec §1.4, last paragraph): dormant directions are O(ε), not 0, so every threshold is *relative to the
problem's scale*, never to machine precision (:class:`Thresholds`, built by :func:`thresholds`):

* matrices: σ_k > ``rel`` · c_min with ``rel`` = 0.1 and c_min the smallest non-zero "target strength": the
  smallest non-zero singular value of the optimal effective matrix (linear: W* = Σ_yx Σ_xx⁻¹; in-context: the
  minimiser M* of the population loss; quadratic: the eigenvalues of A); for d_out = 1 linear targets
  (linear-conv, diagonal-linear) the smallest non-zero |β*_j|; for a dataset the RMS of the labels y;
* units: ‖θ_i‖ > max(``rel`` · max_j ‖θ_j‖, ``rel`` · c_min^{1/(p+1)}). The first term is the spec's rule; the
  floor stops a net at initialisation (all units O(ε)) from counting every unit as active: a unit of a
  p-homogeneous net that carries a strength c has |v_i|·‖u_i‖^p ≈ c with balanced norms, so its norm is
  ≈ c^{1/(p+1)} (p = 1 for relu/tanh, 2 for quadratic, x·tanh x and attn-s, 3 for cubic);
* rays: normalised u_i of active units in one cluster when their cosine similarity is > 1 − 1e-3 (greedy
  clustering, largest units first);
* kinks: −b_i/w_i of active units (|w_i| > rel·‖u_i‖), merged when closer than 1e-3·max(1, |x|).

Example
-------
>>> import numpy as np
>>> from numerics import build_architecture, whitened
>>> arch = build_architecture("linear-fc", d_in=3, d_out=3, width=4)
>>> V = np.zeros((4, 3)); U = np.zeros((4, 3)); V[0, 0] = U[0, 0] = 2.0; V[1, 1] = U[1, 1] = 1.5
>>> theta = arch.pack({"V": V[None], "U": U[None]})
>>> complexity(arch, theta, whitened([4.0, 2.0, 1.0])).effective_width.tolist()
[2]
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import MappingProxyType
from typing import Any

import numpy as np

from .architectures import Architecture
from .errors import InputError
from .tasks import Dataset, ICLDataset, ICLTask, LinearRegressionTask, QuadraticGaussianTask
from .validation import check_indices, check_positive_int

REL = 0.1
RAY_COS = 1.0 - 1e-3
KINK_TOL = 1e-3

@dataclass(frozen=True)
class Thresholds:
    """Absolute thresholds derived from a problem scale (module docstring).

    ``matrix``: singular values above it count towards a rank; ``unit``: floor on unit norms; ``rel``: relative
    factor (also applied to max_j ‖θ_j‖); ``cos``: cosine above which two directions share a ray; ``scale``:
    the c_min they were built from.
    """

    matrix: float
    unit: float
    rel: float = REL
    cos: float = RAY_COS
    scale: float = 1.0


def _min_nonzero(values: np.ndarray) -> float:
    v = np.abs(np.asarray(values, dtype=float)).ravel()
    if v.size == 0 or v.max() == 0:
        return 1.0
    return float(v[v > 1e-12 * v.max()].min())


def icl_optimum(task: ICLTask) -> np.ndarray:
    """Minimiser M* of the in-context population loss (spec §6.8, Eq. 11 in our ½ convention).

    ∂L/∂M = −Λ² + (1 + 1/N) Λ² M Λ + (tr Λ / N) Λ M Λ = 0 is linear in M; solved with vec(A X B) = (Bᵀ ⊗ A) vec X.
    For diagonal Λ this is M* = diag(1 / (λ_d (1 + (1 + tr Λ/λ_d)/N))).
    """
    lam, lam2, n = task.lam, task.lam_squared, task.context
    op = (1 + 1 / n) * np.kron(lam, lam2) + task.trace_lam / n * np.kron(lam, lam)
    vec = np.linalg.solve(op, lam2.reshape(-1, order="F"))
    return vec.reshape(lam.shape, order="F")


def target_scale(arch: Architecture, task: Any) -> float:
    """c_min: the smallest non-zero target strength of ``task`` as seen by ``arch`` (module docstring)."""
    if isinstance(task, LinearRegressionTask):
        w = task.optimal_matrix
        if w.shape[0] == 1:
            return _min_nonzero(w)
        return _min_nonzero(np.linalg.svd(w, compute_uv=False))
    if isinstance(task, QuadraticGaussianTask):
        # Strengths of the target in whitened coordinates: eigenvalues of Σ^½ A Σ^½ (= those of A Σ).
        return _min_nonzero(np.linalg.eigvals(task.a @ task.sigma).real)
    if isinstance(task, ICLTask):
        return _min_nonzero(np.linalg.svd(icl_optimum(task), compute_uv=False))
    if isinstance(task, Dataset):
        rms = float(np.sqrt(np.mean(task.y**2)))
        return rms if rms > 0 else 1.0
    if isinstance(task, ICLDataset):
        rms = float(np.sqrt(np.mean(task.y_query**2)))
        return rms if rms > 0 else 1.0
    if task is None:
        return 1.0
    raise InputError(f"task: unsupported type {type(task).__name__}")


def thresholds(arch: Architecture, task: Any = None, *, scale: float | None = None, rel: float = REL,
               cos: float = RAY_COS) -> Thresholds:
    """Thresholds for ``arch`` from the task's scale c_min (or an explicit ``scale``; default 1 without a task)."""
    c = float(scale) if scale is not None else target_scale(arch, task)
    if not (np.isfinite(c) and c > 0):
        raise InputError(f"scale: must be finite and > 0, got {c!r}")
    if not (0 < rel < 1) or not (0 < cos < 1):
        raise InputError(f"rel={rel}, cos={cos}: both must lie in (0, 1)")
    # A unit carrying strength c has norm ≈ c^(1/D), D = total degree of f in θ (v·u^q: D = q + 1; docs/theory.md §5).
    return Thresholds(matrix=rel * c, unit=rel * c ** (1.0 / arch.total_degree), rel=rel, cos=cos, scale=c)


# ------------------------------------------------------------------------------------------------ primitives


def numerical_rank(matrices: np.ndarray, tol: float) -> np.ndarray:
    """Number of singular values > ``tol`` of each matrix of a batch (B, r, c): shape (B,) int."""
    m = np.asarray(matrices, dtype=float)
    if m.ndim != 3:
        raise InputError(f"matrices: must have shape (B, r, c), got {m.shape}")
    return (np.linalg.svd(m, compute_uv=False) > tol).sum(axis=1)


def unit_params(arch: Architecture, theta: np.ndarray) -> np.ndarray:
    """θ_i of every unit i (all blocks' row i, the family's shared blocks such as W1 excluded), shape (B, H,
    n_unit)."""
    blocks = arch.unpack(theta)
    parts = [blocks[n].reshape(blocks[n].shape[0], blocks[n].shape[1], -1) for n in arch.unit_blocks]
    return np.concatenate(parts, axis=2)


def unit_norms(arch: Architecture, theta: np.ndarray) -> np.ndarray:
    """‖θ_i‖ = √(‖u_i‖² + ‖v_i‖²) of every unit (spec §1.4), shape (B, H)."""
    return np.linalg.norm(unit_params(arch, theta), axis=2)


def active_mask(norms: np.ndarray, floor: float, rel: float = REL) -> np.ndarray:
    """Units with ‖θ_i‖ > max(rel · max_j ‖θ_j‖, floor), shape of ``norms`` (B, H) bool."""
    n = np.asarray(norms, dtype=float)
    return n > np.maximum(rel * n.max(axis=-1, keepdims=True), floor)


def count_rays(directions: np.ndarray, cos: float = RAY_COS) -> int:
    """Number of distinct rays among the rows of ``directions`` (k, d): greedy clustering by cosine > ``cos``.

    Rows are visited by decreasing norm; each joins the first cluster whose representative (its first member) has
    cosine similarity > ``cos`` with it, else starts a new cluster. Zero rows are ignored. A ray is a half-line:
    u and −u are different rays (ReLU is only positively homogeneous, spec §1.2).
    """
    d = np.asarray(directions, dtype=float)
    if d.size == 0:
        return 0
    d = d.reshape(d.shape[0], -1)
    norms = np.linalg.norm(d, axis=1)
    d = d[norms > 0]
    norms = norms[norms > 0]
    reps: list[np.ndarray] = []
    for k in np.argsort(-norms):
        x = d[k] / norms[k]
        if not any(float(r @ x) > cos for r in reps):
            reps.append(x)
    return len(reps)


def merge_points(x: np.ndarray, tol: float = KINK_TOL) -> np.ndarray:
    """Sorted distinct values of ``x``, merging neighbours closer than tol·max(1, |x|)."""
    xs = np.sort(np.asarray(x, dtype=float).ravel())
    out: list[float] = []
    for v in xs:
        if not out or abs(v - out[-1]) > tol * max(1.0, abs(v)):
            out.append(float(v))
    return np.array(out)


def relu_kinks(u: np.ndarray, active: np.ndarray, rel: float = REL) -> np.ndarray:
    """Distinct kinks x = −b_i/w_i of the active units of a 1-D-input ReLU net; ``u`` (H, 2) rows (w_i, b_i)."""
    u = np.asarray(u, dtype=float)
    w, b = u[:, 0], u[:, 1]
    ok = active & (np.abs(w) > rel * np.linalg.norm(u, axis=1))
    return merge_points(-b[ok] / w[ok])


# ------------------------------------------------------------------------------------------------ per batch


def _frozen_map(d: dict[str, Any]) -> Mapping[str, Any]:
    for v in d.values():
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    return MappingProxyType(d)


@dataclass(frozen=True)
class Complexity:
    """Complexity of a batch: ``effective_width`` (B,) int counts ``measure`` (module docstring table).

    ``details`` holds every measure computed for the architecture, each with leading axis B: ``rank``,
    ``singular_values``, ``kernel_rank``, ``layer_ranks`` (B, 3), ``support``, ``unit_norms`` (B, H),
    ``active_units``, ``rays``, ``n_kinks`` and ``kinks`` (a tuple of B arrays).
    """

    measure: str
    effective_width: np.ndarray
    details: Mapping[str, Any] = field(default_factory=dict)
    thresholds: Thresholds | None = None

    def __post_init__(self) -> None:
        ew = np.asarray(self.effective_width, dtype=np.int64)
        ew.setflags(write=False)
        object.__setattr__(self, "effective_width", ew)
        object.__setattr__(self, "details", _frozen_map(dict(self.details)))


def _units_details(arch: Architecture, th: np.ndarray, thr: Thresholds) -> dict[str, Any]:
    norms = unit_norms(arch, th)
    active = active_mask(norms, thr.unit, thr.rel)
    return {"unit_norms": norms, "active_units": active.sum(axis=1), "_active": active}


Measure = Callable[[Architecture, np.ndarray, dict[str, np.ndarray], Thresholds, np.ndarray, dict[str, Any]], None]


def _singular(det: dict[str, Any], key: str, m: np.ndarray, thr: Thresholds) -> None:
    det["singular_values"] = np.linalg.svd(m, compute_uv=False)
    det[key] = (det["singular_values"] > thr.matrix).sum(axis=1)


def _rank(arch, th, blocks, thr, active, det) -> None:
    """Rank of the unit matrix Σ_i v_i u_iᵀ (of the effective matrix for attention and deep chains)."""
    if arch.family.extra_order:
        # Balanced layers of a depth-3 chain each carry ≈ c^(1/3), so the per-layer rank uses rel · c^(1/3).
        _singular(det, "rank", arch.effective_matrix(th), thr)
        layer_tol = thr.rel * thr.scale ** (1.0 / 3.0)
        det["layer_ranks"] = np.stack([numerical_rank(blocks["W1"], layer_tol),
                                       numerical_rank(blocks["U"], layer_tol),
                                       numerical_rank(blocks["V"], layer_tol)], axis=1)
    elif arch.is_attention:
        _singular(det, "rank", arch.effective_matrix(th).reshape(th.shape[0], 1, -1), thr)
    else:
        _singular(det, "rank", np.matmul(blocks["V"].transpose(0, 2, 1), blocks["U"]), thr)


def _kernel_rank(arch, th, blocks, thr, active, det) -> None:
    """Rank of Σ_i v_i u_iᵀ (L × K) of a conv net."""
    _singular(det, "kernel_rank", np.matmul(blocks["V"].transpose(0, 2, 1), blocks["U"]), thr)
    det["rank"] = det["kernel_rank"]


def _support(arch, th, blocks, thr, active, det) -> None:
    beta = (blocks["U"] * blocks["V"])[..., 0]
    det["beta"] = beta
    det["support"] = (np.abs(beta) > thr.matrix).sum(axis=1)


def _rays(arch, th, blocks, thr, active, det) -> None:
    u = blocks["U"]
    B = th.shape[0]
    det["rays"] = np.array([count_rays(u[b][active[b]], thr.cos) for b in range(B)], dtype=np.int64)
    if arch.bias and arch.input_dim == 1:  # kinks −b_i/w_i of a scalar-input ReLU net with biases
        kinks = tuple(relu_kinks(u[b], active[b], thr.rel) for b in range(B))
        det["kinks"] = kinks
        det["n_kinks"] = np.array([k.size for k in kinks], dtype=np.int64)


def _active_units(arch, th, blocks, thr, active, det) -> None:
    """Unit separation: the count of active units is already in the per-unit details."""


# Complexity measures of spec §1.4 by name; an architecture names its measure (``arch.measure``).
MEASURES: dict[str, Measure] = {"rank": _rank, "kernel_rank": _kernel_rank, "support": _support, "rays": _rays,
                                "active_units": _active_units}


def complexity(arch: Architecture, theta, task: Any = None, *, thresholds_: Thresholds | None = None,
               scale: float | None = None) -> Complexity:
    """Complexity measures of spec §1.4 for each row of θ (B, n); see the module docstring for the rules.

    ``task`` (or ``scale``, or explicit ``thresholds_``) sets the problem scale of the thresholds.
    """
    th = arch._theta(theta)
    thr = thresholds_ or thresholds(arch, task, scale=scale)
    blocks = arch.unpack(th)
    det: dict[str, Any] = _units_details(arch, th, thr)
    active = det.pop("_active")
    MEASURES[arch.measure](arch, th, blocks, thr, active, det)
    return Complexity(measure=arch.measure, effective_width=det[arch.measure], details=det, thresholds=thr)


def effective_width(arch: Architecture, theta, task: Any = None, **kwargs: Any) -> np.ndarray:
    """Effective width (B,) of each row of θ: :func:`complexity` ``.effective_width``."""
    return complexity(arch, theta, task, **kwargs).effective_width


# ------------------------------------------------------------------------------------------------ over time


@dataclass(frozen=True)
class ComplexityTrace:
    """Complexity along one trajectory: at times ``t`` (m,), ``effective_width`` (m,) counting ``measure``;
    ``details`` maps the scalar-per-time measures (``rank``, ``active_units``, ``rays``, …) to (m,) arrays."""

    t: np.ndarray
    effective_width: np.ndarray
    measure: str
    details: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("t", "effective_width"):
            a = np.array(getattr(self, name))
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        object.__setattr__(self, "details", _frozen_map(dict(self.details)))

    def changes(self) -> list[tuple[float, int]]:
        """(time, new width) at t[0] and wherever the effective width changes."""
        w = self.effective_width
        idx = [0, *(np.flatnonzero(np.diff(w)) + 1).tolist()] if w.size else []
        return [(float(self.t[i]), int(w[i])) for i in idx]


def _thin(k: int, max_points: int | None) -> np.ndarray:
    if max_points is not None:
        check_positive_int("max_points", max_points)
    if max_points is None or k <= max_points:
        return np.arange(k)
    return np.unique(np.round(np.linspace(0, k - 1, max_points)).astype(int))


# Measures that a rotation of the units leaves unchanged: ranks of Σ_i v_i u_iᵀ and of products of whole layers
# (docs/theory.md §3.4). Unit norms, active units, rays, kinks and supports are not.
ROTATION_INVARIANT_MEASURES = frozenset({"rank", "kernel_rank"})
# complexity_along_many describes at most this many numbers of θ at a time (2 MiB)
ALONG_BLOCK = 1 << 18


def complexity_along(arch: Architecture, result: Any, task: Any = None, *, member: int = 0,
                     max_points: int | None = None, thresholds_: Thresholds | None = None,
                     scale: float | None = None, measure_only: bool = False) -> ComplexityTrace:
    """Complexity at the saved times of one member of an :class:`~numerics.integrate.IntegrationResult` (or of a
    :class:`~numerics.integrate.MemberTrajectory`).

    The samples are the stored θ (``t_saved``); ``max_points`` keeps at most that many, evenly spaced in *step
    index*, which concentrates them on the drops where adaptive steps are short. ``measure_only``: ``details``
    holds only the architecture's own measure (:func:`complexity_along_many`, which also does many members at once).
    """
    if hasattr(result, "t_saved"):  # one member's trajectory: nothing to map back
        keep = _thin(result.t_saved.size, max_points)
        return _traces(arch, task, [(result.t_saved[keep], partial(_sampled, result, keep, None, 0))], thresholds_,
                       scale, measure_only, arch)[0]
    member = check_indices("member", [member], len(result))[0]
    return complexity_along_many(arch, result, task, [member], max_points=max_points, thresholds_=thresholds_,
                                 scale=scale, measure_only=measure_only)[0]


def complexity_along_many(arch: Architecture, result: Any, task: Any = None, members: Any = None, *,
                          max_points: int | None = None, thresholds_: Thresholds | None = None,
                          scale: float | None = None, measure_only: bool = False) -> list[ComplexityTrace]:
    """:func:`complexity_along` of several ``members`` of ``result`` (default: all), their samples described in
    batches of at most :data:`ALONG_BLOCK` numbers.

    A run of a reduced network (``result.frame``, :func:`numerics.reduce_units`) stores θ of that network; its
    samples are mapped back to the full one, except with ``measure_only`` when the measure is one of
    :data:`ROTATION_INVARIANT_MEASURES`: a unit rotation leaves it unchanged (docs/theory.md §3.4), so it is read on
    the reduced θ directly, with the full network's thresholds.
    """
    members = range(len(result)) if members is None else check_indices("members", members, len(result))
    frame = getattr(result, "frame", None)
    as_run = frame is not None and measure_only and arch.measure in ROTATION_INVARIANT_MEASURES
    samples = []
    for b in members:
        m = result[b]
        keep = _thin(m.t_saved.size, max_points)
        samples.append((m.t_saved[keep], partial(_sampled, m, keep, None if as_run else frame, b)))
    return _traces(arch, task, samples, thresholds_, scale, measure_only, frame.reduced if as_run else arch)


def _sampled(m: Any, keep: np.ndarray, frame: Any, member: int) -> np.ndarray:
    """The kept θ of one member, mapped back to the full network when ``frame`` is given."""
    return m.theta[keep] if frame is None else frame.lift(member, m.theta[keep])


def _traces(arch: Architecture, task: Any, samples: list[tuple[np.ndarray, Callable[[], np.ndarray]]],
            thresholds_: Thresholds | None, scale: float | None, measure_only: bool,
            described: Architecture) -> list[ComplexityTrace]:
    """One trace per (t, θ) of ``samples`` (θ made on demand, a block at a time), θ of the network ``described``
    (``arch`` or its reduced network), with the thresholds of ``arch``."""
    thr = thresholds_ or thresholds(arch, task, scale=scale)
    out: list[ComplexityTrace] = []
    start = 0
    while start < len(samples):
        stop, rows = start + 1, samples[start][0].size
        while stop < len(samples) and (rows + samples[stop][0].size) * described.n_params <= ALONG_BLOCK:
            rows += samples[stop][0].size
            stop += 1
        block = samples[start:stop]
        c = complexity(described, np.concatenate([theta() for _, theta in block]), task, thresholds_=thr)
        names = [c.measure] if measure_only else [k for k, v in c.details.items() if isinstance(v, np.ndarray)
                                                  and v.ndim == 1 and v.dtype.kind in "iu"]
        edges = np.cumsum([0, *(t.size for t, _ in block)])
        for q, (t, _) in enumerate(block):
            part = slice(edges[q], edges[q + 1])
            out.append(ComplexityTrace(t=t, effective_width=c.effective_width[part], measure=c.measure,
                                       details={k: np.asarray(c.details[k])[part] for k in names}))
        start = stop
    return out
