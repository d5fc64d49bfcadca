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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .architectures import Architecture
from .complexity import Thresholds, complexity
from .objective import hessian, loss_and_grad
from .plateaus import Staircase, staircase_from_result
from .tasks import LinearRegressionTask

FP_RTOL = 0.25
HESS_RTOL = 1e-3
HESS_ATOL = 0.05
LEVEL_QUANTUM = 1e-3
MAX_HESSIAN_PARAMS = 1500


@dataclass(frozen=True)
class PointInfo:
    """One (near-)fixed point: ``loss``, ``grad_norm``, ``effective_width`` (and its ``measure``), ``morse_index``
    and ``min_eigenvalue`` (None when the Hessian was skipped), function-space ``label``."""

    loss: float
    grad_norm: float
    effective_width: int
    measure: str
    morse_index: int | None
    min_eigenvalue: float | None
    label: str


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
        """JSON-ready description (θ omitted)."""
        i = self.info
        return {"index": self.index, "t": self.t, "t_enter": self.t_enter, "t_leave": self.t_leave,
                "label": i.label, "loss": i.loss, "grad_norm": i.grad_norm, "effective_width": i.effective_width,
                "morse_index": i.morse_index, "min_eigenvalue": i.min_eigenvalue,
                "near_fixed_point": self.near_fixed_point, "degenerate": self.degenerate}


def zero_loss(arch: Architecture, task: Any) -> float:
    """L(θ = 0): the loss of the empty network, the top plateau of every zero-unit architecture (spec §1.2)."""
    return float(loss_and_grad(arch, task, np.zeros((1, arch.n_params)))[0][0])


def learned_modes(task: LinearRegressionTask, w: np.ndarray) -> tuple[int, ...]:
    """Modes k (1-based, by decreasing singular value) with a_k = q_kᵀ W r_k > s_k/2 (spec §0.7 half strength),
    from the SVD W* = Σ_k s_k q_k r_kᵀ of the optimal matrix of the linear task."""
    q, s, rt = np.linalg.svd(np.asarray(task.optimal_matrix))
    keep = s > 1e-12 * max(s.max(), 1e-300)
    a = np.einsum("ik,ij,kj->k", q[:, : s.size], w, rt[: s.size])
    return tuple(int(k + 1) for k in range(s.size) if keep[k] and a[k] > 0.5 * s[k])


def function_label(arch: Architecture, task: Any, theta_1d: np.ndarray, loss: float, width: int,
                   level_scale: float) -> str:
    """Function-space key of a fixed point (spec §4.3): for linear nets with a vector output and a linear task,
    the set of learned modes (``"modes{1,2}"``); otherwise the effective width and the loss rounded to
    1e-3·``level_scale`` (``"w2|L=6.5"``), so that one saddle reached from different seeds gets one key."""
    if isinstance(task, LinearRegressionTask) and arch.population_kind == "linear" and arch.output_dim > 1:
        w = arch.effective_matrix(theta_1d[None, :])[0]
        return "modes{" + ",".join(map(str, learned_modes(task, w))) + "}"
    q = LEVEL_QUANTUM * (level_scale if level_scale > 0 else 1.0)
    level = round(loss / q) * q
    return f"w{width}|L={level:.4g}" if level != 0 else f"w{width}|L=0"


def describe_point(arch: Architecture, task: Any, theta_1d, *, level_scale: float | None = None,
                   thresholds_: Thresholds | None = None, hessian_index: bool = True,
                   hess_rtol: float = HESS_RTOL, hess_atol: float = HESS_ATOL,
                   max_hessian_params: int = MAX_HESSIAN_PARAMS) -> PointInfo:
    """Loss, gradient norm, effective width, numeric Morse index and label of the point θ (1-D)."""
    th = np.asarray(theta_1d, dtype=float).reshape(-1)
    loss, grad = loss_and_grad(arch, task, th[None, :])
    comp = complexity(arch, th[None, :], task, thresholds_=thresholds_)
    width = int(comp.effective_width[0])
    index = lam_min = None
    if hessian_index and arch.n_params <= max_hessian_params:
        lam = np.linalg.eigvalsh(hessian(arch, task, th))
        tol = max(hess_rtol * float(np.abs(lam).max()), hess_atol * comp.thresholds.scale)
        index, lam_min = int((lam < -tol).sum()), float(lam[0])
    scale = zero_loss(arch, task) if level_scale is None else level_scale
    return PointInfo(loss=float(loss[0]), grad_norm=float(np.linalg.norm(grad[0])), effective_width=width,
                     measure=comp.measure, morse_index=index, min_eigenvalue=lam_min,
                     label=function_label(arch, task, th, float(loss[0]), width, scale))


def _theta_at(result: Any, member: int, t: float, fun: Callable | None) -> np.ndarray:
    m = result[member]
    if result.kind == "gradient_flow" and fun is not None and m.t.size > 1:
        from .integrate import interpolate

        return interpolate(fun, result, member, [t])[0][0]
    return m.theta[int(np.argmin(np.abs(m.t_saved - t)))]


def itinerary(arch: Architecture, task: Any, result: Any, member: int = 0, *, staircase: Staircase | None = None,
              fp_rtol: float = FP_RTOL, keep_all: bool = False, dense: bool = True, hessian_index: bool = True,
              hess_rtol: float = HESS_RTOL, hess_atol: float = HESS_ATOL,
              max_hessian_params: int = MAX_HESSIAN_PARAMS, thresholds_: Thresholds | None = None) -> list[Visit]:
    """The near-fixed points visited by member ``member`` of ``result``, in order (module docstring).

    ``staircase`` defaults to :func:`~numerics.plateaus.staircase_from_result` (drop times refined on the dense
    output); ``keep_all`` keeps plateaus that fail the near-fixed-point test; ``dense=False`` reads θ at the
    nearest saved time instead of interpolating.
    """
    def fun(th: np.ndarray):
        return loss_and_grad(arch, task, th)

    m = result[member]
    sc = staircase if staircase is not None else staircase_from_result(result, member, fun=fun)
    g_peak = float(np.max(m.grad_norm)) if m.grad_norm.size else 0.0
    scale = zero_loss(arch, task)
    times = np.asarray(sc.plateau_times, dtype=float)
    if not np.isfinite(times).all():  # known levels: read each plateau halfway between its drops
        edges = np.concatenate([[m.t[0]], sc.drop_times, [m.t[-1]]])
        times = 0.5 * (edges[:-1] + edges[1:])
    visits: list[Visit] = []
    n = times.size
    for k, tk in enumerate(times):
        if not np.isfinite(tk):
            continue
        th = _theta_at(result, member, float(tk), fun if dense else None)
        info = describe_point(arch, task, th, level_scale=scale, thresholds_=thresholds_,
                              hessian_index=hessian_index, hess_rtol=hess_rtol, hess_atol=hess_atol,
                              max_hessian_params=max_hessian_params)
        near = info.grad_norm <= fp_rtol * g_peak or info.grad_norm == 0.0
        if not (near or keep_all):
            continue
        t_enter = float(sc.drop_times[k - 1]) if k > 0 else float(m.t[0])
        t_leave = float(sc.drop_times[k]) if k < n - 1 else float(m.t[-1])
        degenerate = info.morse_index == 0 and k < n - 1
        visits.append(Visit(index=len(visits), t=float(tk), t_enter=t_enter, t_leave=t_leave, info=info,
                            near_fixed_point=near, degenerate=degenerate, theta=np.array(th)))
    return visits
