"""Simulation engine: batched adaptive gradient flow (DOP853) and gradient descent (spec §0.4, §0.6, §0.7).

Every integrator works against the generic interface ``fun(theta (B, n)) -> (loss (B,), grad (B, n))`` and
returns one immutable :class:`IntegrationResult` (a :class:`MemberTrajectory` per batch member).

* :func:`gradient_flow` — θ̇ = −∇L, an explicit pair of :data:`EXPLICIT_PAIRS` (DOP853, RK45) with per-member
  step control, stiff strategies :data:`STIFF_METHODS` (``flow``, ``pairs``, ``stiff_methods``, ``stiff``,
  ``krylov``);
* :func:`gradient_descent` — θ ← θ − η∇L with divergence detection (``descent``);
* :func:`refine_crossing`, :func:`refine_crossings_many`, :func:`rate_extremes_many`, :func:`interpolate`,
  :func:`interpolate_many`, :func:`step_interpolant` — dense output (``dense``).
"""

from .dense import (
    StepInterpolant,
    interpolate,
    interpolate_many,
    rate_extremes_many,
    refine_crossing,
    refine_crossings_many,
    step_interpolant,
)
from .descent import gradient_descent
from .flow import DEFAULT_ATOL, DEFAULT_FTOL, DEFAULT_GTOL, DEFAULT_RTOL, gradient_flow
from .pairs import EXPLICIT_PAIRS, ExplicitPair
from .result import STATUSES, IntegrationResult, MemberTrajectory
from .stiff_methods import STIFF_METHODS

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_FTOL",
    "DEFAULT_GTOL",
    "DEFAULT_RTOL",
    "EXPLICIT_PAIRS",
    "STATUSES",
    "STIFF_METHODS",
    "ExplicitPair",
    "IntegrationResult",
    "MemberTrajectory",
    "StepInterpolant",
    "gradient_descent",
    "gradient_flow",
    "interpolate",
    "interpolate_many",
    "refine_crossing",
    "refine_crossings_many",
    "rate_extremes_many",
    "step_interpolant",
]
