"""Input validation shared by the integrators: every failure is a one-line :class:`InputError` naming the argument."""

from __future__ import annotations

import math

import numpy as np

import guards

from ..errors import InputError


def check_theta0(theta0) -> np.ndarray:
    """θ₀ must be a finite real (B, n) array with B, n ≥ 1; returned as a float64 copy."""
    if np.iscomplexobj(theta0):
        raise InputError("theta0: must be real (got complex values; the flow of a real loss is real)")
    try:
        a = np.array(theta0, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"theta0: not a real array ({exc})") from None
    if a.ndim != 2:
        raise InputError(f"theta0: must be 2-D (B, n_params), got shape {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise InputError(f"theta0: empty batch or parameter axis, shape {a.shape}")
    if not np.isfinite(a).all():
        raise InputError("theta0: contains NaN or inf")
    return a


def check_memory_budget(memory_budget, B: int, n: int, working_arrays: int) -> int:
    """The memory budget in bytes (None: :func:`guards.memory_limit`); the integrator's fixed working set,
    ``working_arrays`` arrays of shape (B, n), must fit in it before anything is allocated."""
    budget = guards.memory_limit() if memory_budget is None else int(check_positive("memory_budget", memory_budget))
    need = 8.0 * B * n * working_arrays
    if need > budget:
        raise InputError(f"theta0: a batch of {B} x {n} parameters needs an estimated {guards.format_bytes(need)} "
                         f"of working arrays, more than the memory budget {guards.format_bytes(budget)}",
                         argument="theta0", value=(B, n), rule="working arrays must fit in the memory budget")
    return budget


def memory_stop(rec_bytes: int, budget: int) -> str:
    """The status message of members stopped because the record outgrew the budget."""
    return (f"memory budget {guards.format_bytes(budget)} reached by the recorded trajectory "
            f"({guards.format_bytes(rec_bytes)}); save theta less often, or fewer steps or members")


def check_positive(name: str, value, *, allow_none: bool = False, allow_inf: bool = False) -> float | None:
    """A real scalar > 0 (finite unless allow_inf)."""
    if value is None:
        if allow_none:
            return None
        raise InputError(f"{name}: required")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: not a real number ({value!r})") from None
    if math.isnan(v) or v <= 0 or (math.isinf(v) and not allow_inf):
        raise InputError(f"{name}: must be a finite number > 0, got {value!r}")
    return v


def check_nonnegative(name: str, value) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name}: not a real number ({value!r})") from None
    if not math.isfinite(v) or v < 0:
        raise InputError(f"{name}: must be a finite number >= 0, got {value!r}")
    return v


def check_int(name: str, value, *, minimum: int = 1, allow_none: bool = False) -> int | None:
    if value is None:
        if allow_none:
            return None
        raise InputError(f"{name}: required")
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"{name}: must be an integer, got {value!r}")
    if value < minimum:
        raise InputError(f"{name}: must be >= {minimum}, got {value}")
    return int(value)
