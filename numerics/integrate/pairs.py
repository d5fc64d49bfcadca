"""The explicit Runge–Kutta pairs of :func:`~numerics.integrate.flow.gradient_flow`, registered by name.

As ``scipy.integrate.solve_ivp``'s ``METHODS``: :data:`EXPLICIT_PAIRS` maps a name to an :class:`ExplicitPair`, and
callers may pass the object itself.  A pair is everything the batched flow and the dense output need of a
method: its batched step kernel (same contract for every pair), the order of its error estimator (controller
exponent and initial step), the gradient evaluations per step, the rows of its stage work array, the h·λ above
which a step counts as stiff (Hairer's test), the end of its real stability interval (what the Krylov strategy
compares its own cost with) and its dense output.

* ``"DOP853"`` (:mod:`~numerics.integrate.dop853`, the default, spec §0.6): 8th order, 12 evaluations per step,
  7th-order dense output (3 extra evaluations); the choice for tight tolerances.
* ``"RK45"`` (:mod:`~numerics.integrate.dopri5`): Dormand–Prince 5(4), 6 evaluations per step, 4th-order dense
  output for free; fewer evaluations and a quarter of the memory traffic per step at loose tolerances (drop times
  to 0.1 %: benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import dop853, dopri5
from . import tableau as tb
from .checks import InputError


@dataclass(frozen=True)
class ExplicitPair:
    """An embedded explicit pair as the batched flow uses it (module docstring)."""

    name: str
    estimator_order: int
    evals_per_step: int
    work_rows: int
    stiff_hlambda: float
    stability_limit: float
    attempt_step: Callable
    dense_coefficients: Callable
    step_stages: Callable
    dense_weights: Callable
    #: (A, p) of the measured drop-time accuracy law δ(rtol) = A·rtol^p (:meth:`drop_time_accuracy`)
    accuracy_law: tuple[float, float] = (1.0, 1.0)

    def drop_time_accuracy(self, rtol: float) -> float:
        """The relative drop-time error a run at ``rtol`` is taken to stay within: A·rtol^p, fitted through the
        worst relative drop-time differences against DOP853 at rtol 1e-12 measured on the sweep benchmark
        (linear-fc, s = 5..1, H = 50, ε = 1e-6; benchmarks/RESULTS.md, "Throughput at a stated drop-time
        accuracy").  Not a bound for every problem: what settling a threshold tie assumes (docs/theory.md §0.7)."""
        a, p = self.accuracy_law
        return a * rtol**p

    def rtol_for_accuracy(self, accuracy: float) -> float:
        """The rtol at which :meth:`drop_time_accuracy` is ``accuracy`` (the law's inverse)."""
        a, p = self.accuracy_law
        return (accuracy / a) ** (1.0 / p)

    def step_factor(self, err: np.ndarray, rejected_before: np.ndarray) -> np.ndarray:
        """Controller factor clip(0.9·err^(−1/(q+1)), 0.2, 10) (≤ 1 right after a rejection)."""
        return dop853.new_step_factor(err, rejected_before, -1.0 / (self.estimator_order + 1))

    def initial_step(self, fun, y, f, t_span, rtol, atol, max_step) -> np.ndarray:
        """Hairer's initial-step heuristic for this pair's order (one extra evaluation)."""
        return dop853.initial_step(fun, y, f, t_span, rtol, atol, max_step, order=self.estimator_order)


def _law(loose: tuple[float, float], tight: tuple[float, float]) -> tuple[float, float]:
    """(A, p) of A·rtol^p through two measured (rtol, worst relative drop-time error) points."""
    (r1, e1), (r2, e2) = loose, tight
    p = math.log(e1 / e2) / math.log(r1 / r2)
    return e1 / r1**p, p


DOP853 = ExplicitPair("DOP853", tb.ERROR_ESTIMATOR_ORDER, dop853.N_STAGES, dop853.N_STAGES + 2, dop853.STIFF_HLAMBDA,
                      6.0, dop853.attempt_step, dop853.dense_coefficients,
                      dop853.step_stages, dop853.dense_weights,
                      accuracy_law=_law((1e-6, 1.4e-5), (1e-10, 1.7e-8)))
RK45 = ExplicitPair("RK45", dopri5.ERROR_ESTIMATOR_ORDER, dopri5.N_STAGES, dopri5.WORK_ROWS, dopri5.STIFF_HLAMBDA,
                    3.3, dopri5.attempt_step, dopri5.dense_coefficients,
                    dopri5.step_stages, dopri5.dense_weights,
                    accuracy_law=_law((1e-3, 5.1e-4), (1e-4, 7.4e-5)))

EXPLICIT_PAIRS: dict[str, ExplicitPair] = {"DOP853": DOP853, "RK45": RK45}


def resolve_pair(explicit: str | ExplicitPair) -> ExplicitPair:
    """The pair named ``explicit`` (a key of :data:`EXPLICIT_PAIRS`), or ``explicit`` itself."""
    if isinstance(explicit, ExplicitPair):
        return explicit
    if isinstance(explicit, str) and explicit in EXPLICIT_PAIRS:
        return EXPLICIT_PAIRS[explicit]
    names = ", ".join(repr(k) for k in EXPLICIT_PAIRS)
    raise InputError(f"explicit: must be one of {names} or an ExplicitPair, got {explicit!r}")
