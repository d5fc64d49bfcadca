"""Itinerary of a trajectory: the near-fixed points it visits, in order (spec §0.7, §3.1, §4.3).

A gradient-flow trajectory from small initialisation passes near a sequence of saddles (the plateaus) before it
converges. For one member of an :class:`~numerics.integrate.IntegrationResult`:

1. the plateaus are those of :func:`numerics.plateaus.staircase_from_result` (levels, drop times, and for each
   plateau the time where |dL/dt| is smallest, spec §0.7);
2. at that time θ is taken from the dense output (gradient flow, with ``fun``) or from the nearest saved θ;
3. the point is a **near-fixed point** when ‖∇L‖ ≤ ``fp_rtol`` · max_t ‖∇L(t)‖ (default 0.25, i.e. |dL/dt| at
   most 6 % of its peak): small *relative to the drops of the same run*, a scale-free rule, since on a plateau the
   gradient is O(ε)-small, not zero. The bound is loose on purpose: between two modes of close strength
   (s = 3, 2 at ε = 1e-6) the flattest point of the short plateau still has ‖∇L‖ ≈ 0.06 · peak;
4. it is described by its loss, effective width (:mod:`numerics.complexity`), gradient norm and the **numeric
   Morse index** (spec §3.1): the number of Hessian eigenvalues below −max(``hess_rtol`` · max|λ|,
   ``hess_atol`` · c_min) (defaults 1e-3 and 0.05; c_min is the target strength of
   :func:`numerics.complexity.target_scale`), with the Hessian from :func:`numerics.hessian` (central differences
   of the analytic gradient, 2n gradient evaluations). Why both: a plateau point sits at a distance δ = O(ε)…O(0.1)
   from its saddle, which moves the symmetry-orbit zero eigenvalues by O(δ·max|λ|) (relative term), and gives the
   dormant units of a *degenerate* saddle (quadratic-in-u nets, spec §3.1, §5.2: their Hessian block vanishes at
   the saddle) eigenvalues O(c·|v_i|) ≲ 0.05·c while they are below the activity floor of
   :mod:`numerics.complexity` (absolute term). Strict saddles of linear nets have |λ| ≥ s_min ≥ c_min, well above
   it. A saddle with index 0 that is not the last point of the itinerary is flagged ``degenerate``;
5. the point gets a function-space **label** (:func:`function_label`), the node key of the saddle graphs of
   :mod:`numerics.saddle_graph` (spec §4.3).

Cost (``s2s simulate`` of a sweep). The Hessian is the expensive part: 2n gradients and a dense n × n eigensolve per
plateau per seed. For a network whose loss is invariant under rotations of its units (linear in u, exchangeable
units: linear-fc, linear-conv, attn-m, deep-linear) and wider than m + 1 units (m parameters per unit), the
spectrum comes from a network of m + 1 units (:func:`numerics.unit_rotation.hessian_eigenvalues`, docs/theory.md
§3.4): for d_in = d_out = 5, H = 50 a 110 × 110 Hessian instead of 500 × 500, and ``max_hessian_params`` bounds
the order of the matrix actually built. Two options cut the cost of the others without changing any reported
index:

* ``min_eigenvalue=False`` reads the index as an inertia count (:func:`numerics.inertia.morse_count`: an LDLᵀ
  factorisation of H + τI, a quarter of the flops of ``eigvalsh``, identical index) and reports no λ_min;
* ``morse_cache=MorseCache()`` shared by the seeds of one sweep computes the Hessian once per distinct saddle
  (:class:`MorseCache` says when a label identifies one, and which visits are settled enough to rely on it); a
  visit that reuses an index says so (``morse_cached``, ``morse_from``).

The dense linear algebra of the Hessian runs under :func:`numerics.blas.blas_threads` (``blas_limit``, default one
thread): for a 500 × 500 matrix the threads only contend, and on a loaded machine by orders of magnitude.

:func:`itineraries` describes many members of one result together: one batched replay of the dense output for all
plateau points, one batch for their losses, widths and labels, and the Hessians of the visits that the cache cannot
answer in blocks (:func:`numerics.hessians`, one stacked ``eigvalsh``), in two rounds so that the cache is used
exactly as member by member. For a chunk of a sweep that is one Python round trip per batch instead of one per
plateau and seed (benchmarks/RESULTS.md, "Analyses batched per chunk").

Example
-------
>>> import numpy as np
>>> from numerics import build_architecture, whitened, init_params, loss_and_grad, gradient_flow
>>> arch = build_architecture("linear-fc", d_in=2, d_out=2, width=2); task = whitened([2.0, 1.0])
>>> fun = lambda th: loss_and_grad(arch, task, th)
>>> res = gradient_flow(fun, init_params(arch, 1e-6, seed=0), 40.0)
>>> [v.label for v in itinerary(arch, task, res)]
['modes{}', 'modes{1}', 'modes{1,2}']
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .architectures import Architecture
from .blas import blas_threads
from .complexity import Thresholds, complexity
from .errors import InputError
from .inertia import morse_count, morse_from_spectrum
from .objective import gradient_function, hessian_blocks, loss_and_grad
from .plateaus import Staircase, staircase_from_result, staircases_from_result
from .tasks import LinearRegressionTask
from .unit_rotation import hessian_eigenvalues_many, hessian_order, rotation_reduces
from .validation import check_indices

FP_RTOL = 0.25
HESS_RTOL = 1e-3
HESS_ATOL = 0.05
LEVEL_QUANTUM = 1e-3
MAX_HESSIAN_PARAMS = 1500
BLAS_LIMIT = 1  # BLAS threads for the Hessian's dense linear algebra (module docstring, "Cost")
MORSE_MARGIN = 4.0  # a cached index needs no eigenvalue within this factor of −τ (MorseCache Notes)
MORSE_CACHE_RTOL = 1e-2  # itinerary: only visits with ‖∇L‖ ≤ this · max_t ‖∇L(t)‖ use the cache


@dataclass(frozen=True)
class PointInfo:
    """One (near-)fixed point: ``loss``, ``grad_norm``, ``effective_width`` (and its ``measure``), ``morse_index``
    and ``min_eigenvalue`` (None when the Hessian was skipped, or λ_min was not asked for), function-space
    ``label``. ``morse_cached``: the index (and λ_min) were taken from a :class:`MorseCache`, computed at the
    point ``morse_from`` = (source, t) of an earlier visit of the same saddle."""

    loss: float
    grad_norm: float
    effective_width: int
    measure: str
    morse_index: int | None
    min_eigenvalue: float | None
    label: str
    morse_cached: bool = False
    morse_from: tuple[Hashable, float | None] | None = None


@dataclass(frozen=True)
class Visit:
    """A plateau of one trajectory: read at time ``t`` between ``t_enter`` (previous drop time, or 0) and
    ``t_leave`` (next drop time, or the final time); ``info`` describes θ there; ``near_fixed_point`` and
    ``degenerate`` as in the module docstring. ``theta`` is the (1-D) parameter vector at ``t``."""

    index: int
    t: float
    t_enter: float
    t_leave: float
    info: PointInfo
    near_fixed_point: bool
    degenerate: bool
    theta: np.ndarray

    @property
    def label(self) -> str:
        return self.info.label

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (θ omitted); ``morse_from`` is ``{"source", "t"}`` or None."""
        i = self.info
        origin = None if i.morse_from is None else {"source": i.morse_from[0], "t": i.morse_from[1]}
        return {"index": self.index, "t": self.t, "t_enter": self.t_enter, "t_leave": self.t_leave,
                "label": i.label, "loss": i.loss, "grad_norm": i.grad_norm, "effective_width": i.effective_width,
                "morse_index": i.morse_index, "min_eigenvalue": i.min_eigenvalue,
                "morse_cached": i.morse_cached, "morse_from": origin,
                "near_fixed_point": self.near_fixed_point, "degenerate": self.degenerate}


def zero_loss(arch: Architecture, task: Any) -> float:
    """L(θ = 0): the loss of the empty network, the top plateau of every zero-unit architecture (spec §1.2)."""
    return float(loss_and_grad(arch, task, np.zeros((1, arch.n_params)))[0][0])


def learned_modes(task: LinearRegressionTask, w: np.ndarray) -> tuple[int, ...]:
    """Modes k (1-based, by decreasing singular value) with a_k = q_kᵀ W r_k > s_k/2 (spec §0.7 half strength),
    from the SVD W* = Σ_k s_k q_k r_kᵀ of the optimal matrix of the linear task."""
    return tuple(int(k + 1) for k in np.flatnonzero(_learned(task, np.asarray(w)[None])[0]))


def _learned(task: LinearRegressionTask, ws: np.ndarray) -> np.ndarray:
    """(k, modes) bool: which modes of the task each matrix of ``ws`` (k, d_out, d_in) has learned
    (:func:`learned_modes`), with one SVD of the optimal matrix for all k."""
    q, s, rt = np.linalg.svd(np.asarray(task.optimal_matrix))
    keep = s > 1e-12 * max(s.max(), 1e-300)
    a = np.einsum("ik,bij,kj->bk", q[:, : s.size], ws, rt[: s.size])
    return keep & (a > 0.5 * s)


def labels_by_modes(arch: Architecture, task: Any) -> bool:
    """True when :func:`function_label` names fixed points by their learned modes (linear nets with a vector output
    on a linear task), False when by effective width and loss level."""
    return isinstance(task, LinearRegressionTask) and arch.linear_in_x and arch.output_dim > 1


def function_label(arch: Architecture, task: Any, theta_1d: np.ndarray, loss: float, width: int,
                   level_scale: float) -> str:
    """Function-space key of a fixed point (spec §4.3): for linear nets with a vector output and a linear task,
    the set of learned modes (``"modes{1,2}"``); otherwise the effective width and the loss rounded to
    1e-3·``level_scale`` (``"w2|L=6.5"``), so that one saddle reached from different seeds gets one key."""
    th = np.asarray(theta_1d, dtype=float).reshape(1, -1)
    return function_labels(arch, task, th, np.array([loss]), np.array([width]), level_scale)[0]


def function_labels(arch: Architecture, task: Any, thetas: np.ndarray, losses: np.ndarray, widths: np.ndarray,
                    level_scale: float) -> list[str]:
    """:func:`function_label` of each row of ``thetas`` (k, n), with its loss and effective width."""
    if not len(losses) == len(widths) == len(thetas):
        raise InputError(f"losses, widths: need one per row of thetas ({len(thetas)}), got {len(losses)} and "
                         f"{len(widths)}")
    if labels_by_modes(arch, task):
        learned = _learned(task, arch.effective_matrix(thetas))
        return ["modes{" + ",".join(str(int(k) + 1) for k in np.flatnonzero(row)) + "}" for row in learned]
    q = LEVEL_QUANTUM * (level_scale if level_scale > 0 else 1.0)
    out = []
    for loss, width in zip(losses, widths, strict=True):
        level = round(float(loss) / q) * q
        out.append(f"w{int(width)}|L={level:.4g}" if level != 0 else f"w{int(width)}|L=0")
    return out


@dataclass(frozen=True)
class MorseRecord:
    """A cached Morse index: ``morse_index``, ``min_eigenvalue`` (None if not computed), where it was computed
    (``source``, ``t``), and ``isolated``: no Hessian eigenvalue within a factor ``MORSE_MARGIN`` of −τ there."""

    morse_index: int
    min_eigenvalue: float | None
    source: Hashable
    t: float | None
    isolated: bool


class MorseCache:
    """Numeric Morse indices of the saddles of one (architecture, task), computed once per saddle across the seeds
    of a sweep (pass the same instance as ``morse_cache=`` to every :func:`itinerary` / :func:`describe_point`).

    Parameters
    ----------
    level_labels : bool
        Also cache labels of the form ``"w2|L=6.5"`` (effective width and loss level). Off by default (Notes).

    Attributes
    ----------
    hits, misses, unsettled : int
        Visits answered from the cache; Hessians computed and offered to it; Hessians computed for visits that may
        not use it (not settled, or a label that does not identify the saddle).

    Notes
    -----
    The key is (label, effective width, hess_rtol, hess_atol, threshold scale): the index is the count of Hessian
    eigenvalues below −τ, so the key carries everything the rule depends on except θ itself.

    *Mode labels identify the saddle.* For a linear net on a linear task (:func:`labels_by_modes`) the fixed points
    are W = Σ_{k∈S} s_k q_k r_kᵀ, one per set S of learned modes (spec §2, §5.1), and ``"modes{S}"`` names S. The
    weights realising W form a manifold (the GL(H) orbit); gradient flow from small initialisation stays
    O(ε²)-close to its balanced part VVᵀ = UUᵀ (the conserved imbalance starts at O(ε²)), which is one O(H) orbit,
    and θ ↦ Rθ (R ∈ O(H)) maps H to (R ⊗ I) H (R ⊗ I)ᵀ, the same spectrum. So every seed's plateau point labelled S
    sits near the same spectrum, up to its O(δ) distance from the saddle, which the tolerance τ absorbs (module
    docstring, point 4): the index is a function of the label *when δ is small compared with the distance of the
    spectrum from −τ*. Two guards make that checkable rather than assumed:

    * a record is reused only if its threshold was *isolated*: no eigenvalue in [−K·τ, −τ/K], K = ``MORSE_MARGIN``
      = 4 (:func:`numerics.inertia.morse_count` with ``margin``). By Weyl's inequality another seed's Hessian then
      has the same index as long as it differs by less than (1 − 1/K)·τ in norm. A label whose first record is not
      isolated is never reused: each visit computes its own index (``morse_cached`` False);
    * :func:`itinerary` lets only *settled* visits use the cache, ‖∇L‖ ≤ ``MORSE_CACHE_RTOL`` · max_t ‖∇L(t)‖
      (default 1e-2, against 0.25 for a near-fixed point), so that δ is small.

    Both guards are needed in practice: for linear-fc, s = 5,4,3,2,1, H = 50, ε = 1e-6 the staircase detector sees
    one drop {} → {1,2,3} (the escapes of s = 5, 4, 3 overlap), and the plateau point labelled ``"modes{1,2,3}"``
    has ‖∇L‖ ≈ 0.05 of its peak and a cluster of 46 eigenvalues between −0.04 and −0.075, across τ = 0.05: its
    index is 141 for some seeds and 95 for others (20 : 12 of 32 seeds).
    Such a visit is computed per seed, as before; the saddles {}, {1,2,3,4}, {1,…,5} (‖∇L‖ ≤ 4e-3 of the peak,
    nearest eigenvalue ≥ 8× from −τ) are computed once.

    *Level labels need not.* ``"w2|L=6.5"`` (non-linear nets) names an effective width and a loss level; two
    different saddles with equal width and loss rounded to 1e-3·L₀ share it (e.g. a quadratic net on target
    eigenvalues ±a learning +a or −a first: equal loss and width, different remaining directions, so possibly a
    different index). Caching those would report a measured index for a saddle it was not measured at, so they are
    computed at every visit unless ``level_labels=True`` asks otherwise (for sweeps where the user knows the
    labels are unique).

    A cache belongs to one architecture and task: using it with another raises :class:`~numerics.InputError`.
    """

    def __init__(self, *, level_labels: bool = False) -> None:
        self.level_labels = bool(level_labels)
        self.hits = 0
        self.misses = 0
        self.unsettled = 0
        self._records: dict[tuple, MorseRecord] = {}
        self._owner: tuple | None = None
        self._task: Any = None

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> dict[tuple, MorseRecord]:
        """Copy of the cached records by key (label, width, hess_rtol, hess_atol, scale)."""
        return dict(self._records)

    def _bind(self, arch: Architecture, task: Any) -> None:
        owner = (arch.label, tuple(sorted(arch.sizes.items())), arch.n_params)
        if self._owner is None:
            self._owner, self._task = owner, task
        elif owner != self._owner or task is not self._task:
            raise InputError(f"morse_cache: built for {self._owner[0]} {dict(self._owner[1])} and one task, used "
                             f"with {arch.label} {dict(arch.sizes)}; use one MorseCache per (architecture, task)")

    def key(self, arch: Architecture, task: Any, label: str, width: int, hess_rtol: float, hess_atol: float,
            scale: float) -> tuple | None:
        """Cache key of a point, or None when its label does not identify the saddle (class Notes)."""
        self._bind(arch, task)
        if not (labels_by_modes(arch, task) or self.level_labels):
            return None
        return (label, int(width), float(hess_rtol), float(hess_atol), float(scale))

    def lookup(self, key: tuple | None, need_min_eigenvalue: bool) -> MorseRecord | None:
        """The reusable record of ``key``: isolated, and with λ_min if that is needed; else None."""
        rec = None if key is None else self._records.get(key)
        if rec is None or not rec.isolated or (need_min_eigenvalue and rec.min_eigenvalue is None):
            return None
        self.hits += 1
        return rec

    def store(self, key: tuple | None, record: MorseRecord) -> None:
        """Keep ``record`` for ``key``; a key once seen non-isolated stays so (the saddle's index is seed-sensitive,
        class Notes)."""
        if key is None:
            return
        self.misses += 1
        old = self._records.get(key)
        if old is not None and not old.isolated:
            return
        self._records[key] = record


def _morse_many(arch: Architecture, task: Any, thetas: np.ndarray, tol_scale: float, hess_rtol: float,
                hess_atol: float, want_min: bool, isolation: list[bool], blas_limit: int | None
                ) -> list[tuple[int, float | None, bool]]:
    """(index, λ_min or None, isolated) of the central-difference Hessian at each row of ``thetas`` (module
    docstring, point 4); ``isolated`` (MorseCache Notes) only where ``isolation`` asks for it, else False."""
    atol = hess_atol * tol_scale
    if rotation_reduces(arch):  # the spectra are cheap: from a network of m + 1 units (docs/theory.md §3.4)
        with blas_threads(blas_limit):
            spectra = hessian_eigenvalues_many(arch, task, thetas)
    else:
        spectra, out = [], []
        for rows, hs in hessian_blocks(arch, task, thetas):  # gradients at the caller's thread count
            with blas_threads(blas_limit):  # only the dense algebra is pinned
                if want_min:
                    spectra.extend(np.linalg.eigvalsh(hs))
                    continue
                for h, iso in zip(hs, isolation[rows], strict=True):
                    mc = morse_count(h, rtol=hess_rtol, atol=atol, margin=MORSE_MARGIN if iso else None)
                    out.append((mc.index, None, bool(mc.isolated)))
        if not want_min:
            return out
    found = []
    for lam, iso in zip(spectra, isolation, strict=True):
        mc = morse_from_spectrum(lam, rtol=hess_rtol, atol=atol, margin=MORSE_MARGIN)
        found.append((mc.index, float(lam[0]) if want_min else None, iso and bool(mc.isolated)))
    return found


def _morse_indices(arch: Architecture, task: Any, thetas: np.ndarray, labels: list[str], widths: np.ndarray,
                   tol_scale: float, *, hess_rtol: float, hess_atol: float, min_eigenvalue: bool,
                   morse_cache: MorseCache | None, sources: list[tuple[Hashable, float | None]],
                   use_cache: np.ndarray, blas_limit: int | None) -> list[tuple]:
    """(index, λ_min, cached, origin) of each row, as if the rows were described one after another with the cache
    (:class:`MorseCache`), but with the Hessians computed in two batches: first every row that the cache cannot
    answer and whose key no earlier row is computing, then the rows that waited for such a key and still find no
    reusable record (its first record was not isolated)."""
    k = thetas.shape[0]
    keys = [morse_cache.key(arch, task, labels[r], widths[r], hess_rtol, hess_atol, tol_scale)
            if morse_cache is not None and use_cache[r] else None for r in range(k)]
    out: list[tuple] = [None] * k  # type: ignore[list-item]

    def cached(r: int) -> bool:
        rec = None if keys[r] is None else morse_cache.lookup(keys[r], min_eigenvalue)
        if rec is not None:
            out[r] = (rec.morse_index, rec.min_eigenvalue if min_eigenvalue else None, True, (rec.source, rec.t))
        return rec is not None

    def compute(rows: list[int]) -> None:
        found = _morse_many(arch, task, thetas[rows], tol_scale, hess_rtol, hess_atol, min_eigenvalue,
                            [keys[r] is not None for r in rows], blas_limit) if rows else []
        for r, (index, lam_min, isolated) in zip(rows, found, strict=True):
            out[r] = (index, lam_min, False, None)
            if keys[r] is not None:
                morse_cache.store(keys[r], MorseRecord(index, lam_min, *sources[r], isolated))
            elif morse_cache is not None:
                morse_cache.unsettled += 1

    pending: set[tuple] = set()
    first, waiting = [], []
    for r in range(k):
        if keys[r] is not None and keys[r] in pending:
            waiting.append(r)
        elif not cached(r):
            first.append(r)
            if keys[r] is not None:
                pending.add(keys[r])
    compute(first)
    compute([r for r in waiting if not cached(r)])
    return out


def _describe(arch: Architecture, task: Any, thetas: np.ndarray, *, scale: float,
              thresholds_: Thresholds | None, hessian_index: bool, hess_rtol: float, hess_atol: float,
              max_hessian_params: int, min_eigenvalue: bool, morse_cache: MorseCache | None,
              sources: list[tuple[Hashable, float | None]], use_cache: np.ndarray,
              blas_limit: int | None, lg: tuple[np.ndarray, np.ndarray] | None = None) -> list[PointInfo]:
    """:func:`describe_point` of the rows of ``thetas`` (k, n): loss, gradient (``lg`` if already computed),
    complexity, labels and Hessians in batches."""
    loss, grad = loss_and_grad(arch, task, thetas) if lg is None else lg
    comp = complexity(arch, thetas, task, thresholds_=thresholds_)
    gnorm = np.linalg.norm(grad, axis=1)
    widths = comp.effective_width
    labels = function_labels(arch, task, thetas, loss, widths, scale)
    morse = [(None, None, False, None)] * thetas.shape[0]
    if hessian_index and hessian_order(arch) <= max_hessian_params:
        morse = _morse_indices(arch, task, thetas, labels, widths, comp.thresholds.scale, hess_rtol=hess_rtol,
                               hess_atol=hess_atol, min_eigenvalue=min_eigenvalue, morse_cache=morse_cache,
                               sources=sources, use_cache=use_cache, blas_limit=blas_limit)
    return [PointInfo(loss=float(loss[r]), grad_norm=float(gnorm[r]), effective_width=int(widths[r]),
                      measure=comp.measure, morse_index=index, min_eigenvalue=lam_min, label=labels[r],
                      morse_cached=cached, morse_from=origin)
            for r, (index, lam_min, cached, origin) in enumerate(morse)]


def describe_point(arch: Architecture, task: Any, theta_1d, *, level_scale: float | None = None,
                   thresholds_: Thresholds | None = None, hessian_index: bool = True,
                   hess_rtol: float = HESS_RTOL, hess_atol: float = HESS_ATOL,
                   max_hessian_params: int = MAX_HESSIAN_PARAMS, min_eigenvalue: bool = True,
                   morse_cache: MorseCache | None = None, source: Hashable = None, t: float | None = None,
                   blas_limit: int | None = BLAS_LIMIT) -> PointInfo:
    """Loss, gradient norm, effective width, numeric Morse index and label of the point θ (1-D).

    ``min_eigenvalue=False`` counts the index by inertia and leaves λ_min None (module docstring, "Cost").
    With ``morse_cache`` the index of a saddle already in the cache is reused (if its record is isolated), else
    computed and stored with (``source``, ``t``) as its origin; the caller vouches that θ is settled near its
    saddle (:func:`itinerary` checks it; :class:`MorseCache` Notes).
    ``blas_limit``: BLAS threads for the Hessian's linear algebra (None: leave unchanged).
    """
    th = np.asarray(theta_1d, dtype=float).reshape(1, -1)
    scale = zero_loss(arch, task) if level_scale is None else level_scale
    return _describe(arch, task, th, scale=scale, thresholds_=thresholds_, hessian_index=hessian_index,
                     hess_rtol=hess_rtol, hess_atol=hess_atol, max_hessian_params=max_hessian_params,
                     min_eigenvalue=min_eigenvalue, morse_cache=morse_cache, sources=[(source, t)],
                     use_cache=np.ones(1, dtype=bool), blas_limit=blas_limit)[0]


def _thetas_at(result: Any, requests: list[tuple[int, np.ndarray]], fun: Callable | None) -> list[np.ndarray]:
    """θ (k, n) at each request's (member, times (k,)) as the run stored it (a reduced run: in its own coordinates,
    ``fun`` its own gradient): the dense output of a gradient flow (one batched replay for all requests), else the
    nearest saved θ."""
    if result.is_flow and fun is not None:
        from .integrate import interpolate_many

        return [theta for theta, _ in interpolate_many(fun, result, requests)]
    out = []
    for member, times in requests:
        m = result[member]
        out.append(m.theta[np.argmin(np.abs(m.t_saved[None, :] - times[:, None]), axis=1)])
    return out


def _run_gradient(arch: Architecture, task: Any, result: Any) -> Callable:
    """The gradient ``result`` was integrated with: of ``arch``, or of the narrower network a reduced run
    (numerics.reduce_units, IntegrationResult.frame) trained, whose θ the run stores."""
    frame = getattr(result, "frame", None)
    return gradient_function(arch if frame is None else frame.reduced, task)


def itinerary(arch: Architecture, task: Any, result: Any, member: int = 0, *, staircase: Staircase | None = None,
              fp_rtol: float = FP_RTOL, keep_all: bool = False, dense: bool = True, hessian_index: bool = True,
              hess_rtol: float = HESS_RTOL, hess_atol: float = HESS_ATOL,
              max_hessian_params: int = MAX_HESSIAN_PARAMS, thresholds_: Thresholds | None = None,
              min_eigenvalue: bool = True, morse_cache: MorseCache | None = None, source: Hashable = None,
              cache_rtol: float = MORSE_CACHE_RTOL, blas_limit: int | None = BLAS_LIMIT) -> list[Visit]:
    """The near-fixed points visited by member ``member`` of ``result``, in order (module docstring).

    ``staircase`` defaults to :func:`~numerics.plateaus.staircase_from_result` (drop times refined on the dense
    output); ``keep_all`` keeps plateaus that fail the near-fixed-point test; ``dense=False`` reads θ at the
    nearest saved time instead of interpolating. ``min_eigenvalue``, ``morse_cache`` and ``blas_limit`` as in
    :func:`describe_point`; ``source`` names this run in the ``morse_from`` of later cached visits (default: the
    member index; a sweep split over several results should pass the seed). Only settled visits use the cache:
    ‖∇L‖ ≤ ``cache_rtol`` · max_t ‖∇L(t)‖ (:class:`MorseCache` Notes). :func:`itineraries` does the same for many
    members at once.
    """
    member = check_indices("member", [member], len(result))[0]
    if staircase is None:
        staircase = staircase_from_result(result, member, fun=_run_gradient(arch, task, result))
    return itineraries(arch, task, result, [member], staircases=[staircase], fp_rtol=fp_rtol, keep_all=keep_all,
                       dense=dense, hessian_index=hessian_index, hess_rtol=hess_rtol, hess_atol=hess_atol,
                       max_hessian_params=max_hessian_params, thresholds_=thresholds_, min_eigenvalue=min_eigenvalue,
                       morse_cache=morse_cache, sources=[member if source is None else source],
                       cache_rtol=cache_rtol, blas_limit=blas_limit)[0]


def itineraries(arch: Architecture, task: Any, result: Any, members: Any = None, *,
                staircases: list[Staircase | None] | None = None, fp_rtol: float = FP_RTOL, keep_all: bool = False,
                dense: bool = True, hessian_index: bool = True, hess_rtol: float = HESS_RTOL,
                hess_atol: float = HESS_ATOL, max_hessian_params: int = MAX_HESSIAN_PARAMS,
                thresholds_: Thresholds | None = None, min_eigenvalue: bool = True,
                morse_cache: MorseCache | None = None, sources: list[Hashable] | None = None,
                cache_rtol: float = MORSE_CACHE_RTOL, blas_limit: int | None = BLAS_LIMIT) -> list[list[Visit]]:
    """:func:`itinerary` of several ``members`` of ``result`` (default: all), computed together.

    ``staircases`` (one per member; default :func:`~numerics.plateaus.staircases_from_result`) and ``sources`` (one
    per member; default the member indices) are the per-member ``staircase`` and ``source`` of :func:`itinerary`;
    a member whose staircase is None (too few recorded points) has no visits. The plateau points of all members
    are read on one batched replay of the dense output, described in one batch, and their Hessians computed in
    batches (:func:`numerics.hessian_eigenvalues_many`), in the order of the members; the answer is that of
    :func:`itinerary` member by member with the same ``morse_cache``, up to the round-off of batched evaluation.
    """
    members = list(range(len(result))) if members is None else check_indices("members", members, len(result))
    sources = list(members) if sources is None else list(sources)
    staircases = None if staircases is None else list(staircases)
    for name, given in (("sources", sources), ("staircases", staircases)):
        if given is not None and len(given) != len(members):
            raise InputError(f"{name}: need one per member ({len(members)}), got {len(given)}")
    frame = getattr(result, "frame", None)
    fun = _run_gradient(arch, task, result)
    if staircases is None:
        staircases = staircases_from_result(result, members, fun=fun)
    plans = []  # per member with plateau points: (member, source, staircase, times, ks, ‖∇L‖ peak, position)
    for q, (b, src, sc) in enumerate(zip(members, sources, staircases, strict=True)):
        if sc is None:
            continue
        m = result[b]
        times = np.asarray(sc.plateau_times, dtype=float)
        if not np.isfinite(times).all():  # known levels: read each plateau halfway between its drops
            edges = np.concatenate([[m.t[0]], sc.drop_times, [m.t[-1]]])
            times = 0.5 * (edges[:-1] + edges[1:])
        ks = np.flatnonzero(np.isfinite(times))
        if ks.size:
            g_peak = float(np.max(m.grad_norm)) if m.grad_norm.size else 0.0
            plans.append((b, src, sc, times, ks, g_peak, q))
    out: list[list[Visit]] = [[] for _ in members]
    if plans:
        thetas = _thetas_at(result, [(b, times[ks]) for b, _, _, times, ks, *_ in plans], fun if dense else None)
        if frame is not None:
            thetas = [frame.lift(b, th) for (b, *_), th in zip(plans, thetas, strict=True)]
        owner = np.repeat(np.arange(len(plans)), [th.shape[0] for th in thetas])
        thetas = np.concatenate(thetas)
        peaks = np.array([p[5] for p in plans])[owner]
        k_all = np.concatenate([ks for _, _, _, _, ks, *_ in plans])  # each row's plateau in its member
        times_all = np.concatenate([times[ks] for _, _, _, times, ks, *_ in plans])
        # The near-fixed-point test needs only ‖∇L‖: decided first, so that only near-fixed points meet the cache.
        loss, grad = loss_and_grad(arch, task, thetas)
        gnorm = np.linalg.norm(grad, axis=1)
        near = (gnorm <= fp_rtol * peaks) | (gnorm == 0.0)
        settled = near & (gnorm <= cache_rtol * peaks)
        rows = np.flatnonzero(near | keep_all)
        infos = _describe(arch, task, thetas[rows], scale=zero_loss(arch, task), thresholds_=thresholds_,
                          hessian_index=hessian_index, hess_rtol=hess_rtol, hess_atol=hess_atol,
                          max_hessian_params=max_hessian_params, min_eigenvalue=min_eigenvalue,
                          morse_cache=morse_cache,
                          sources=[(plans[owner[r]][1], float(times_all[r])) for r in rows],
                          use_cache=settled[rows], blas_limit=blas_limit,
                          lg=(loss[rows], grad[rows])) if rows.size else []
        for r, info in zip(rows, infos, strict=True):
            b, _, sc, times, _, _, q = plans[owner[r]]
            m, visits = result[b], out[q]
            k, n = int(k_all[r]), times.size
            t_enter = float(sc.drop_times[k - 1]) if k > 0 else float(m.t[0])
            t_leave = float(sc.drop_times[k]) if k < n - 1 else float(m.t[-1])
            visits.append(Visit(index=len(visits), t=float(times[k]), t_enter=t_enter, t_leave=t_leave, info=info,
                                near_fixed_point=bool(near[r]), degenerate=info.morse_index == 0 and k < n - 1,
                                theta=np.array(thetas[r])))
    return out

