"""Simulation engine: batched adaptive gradient flow (DOP853) and gradient descent (spec §0.4, §0.6, §0.7).

Every integrator works against the generic interface ``fun(theta (B, n)) -> (loss (B,), grad (B, n))`` and
returns one immutable :class:`IntegrationResult` (a :class:`MemberTrajectory` per batch member).

* :func:`gradient_flow` — θ̇ = −∇L, explicit DOP853 with per-member step control, stiff strategies
  :data:`STIFF_METHODS` (``flow``, ``stiff_methods``, ``stiff``, ``krylov``);
* :func:`gradient_descent` — θ ← θ − η∇L with divergence detection (``descent``);
* :func:`refine_crossing`, :func:`interpolate`, :func:`step_interpolant` — dense output (``dense``).
"""

from .dense import StepInterpolant, interpolate, refine_crossing, step_interpolant
from .descent import gradient_descent
from .flow import DEFAULT_ATOL, DEFAULT_FTOL, DEFAULT_GTOL, DEFAULT_RTOL, gradient_flow
from .result import STATUSES, IntegrationResult, MemberTrajectory
from .stiff_methods import STIFF_METHODS

__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_FTOL",
    "DEFAULT_GTOL",
    "DEFAULT_RTOL",
    "STATUSES",
    "STIFF_METHODS",
    "IntegrationResult",
    "MemberTrajectory",
    "StepInterpolant",
    "gradient_descent",
    "gradient_flow",
    "interpolate",
    "refine_crossing",
    "step_interpolant",
]
