"""Rules for scalar and list arguments, shared by the command line and the Python API.

Each function returns the checked value or raises :func:`~guards.errors.invalid` with the caller's spelling of
the argument, so ``--width 0`` and ``build_architecture(..., width=0)`` break the same rule with the same words.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from .errors import invalid


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def integer(argument: str, value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer in [minimum, maximum]."""
    if not _is_int(value):
        raise invalid(argument, value, "must be an integer")
    v = int(value)
    if minimum is not None and v < minimum:
        raise invalid(argument, value, f"must be >= {minimum}")
    if maximum is not None and v > maximum:
        raise invalid(argument, value, f"must be <= {maximum}")
    return v


def real_list(argument: str, values: Sequence[Any] | None, *, positive: bool = False,
              nonnegative: bool = False, power: int = 1) -> list[float]:
    """A non-empty list of finite reals (each > 0 / >= 0 if asked) whose ``power``-th powers are finite in float64
    (a task's moments are such powers: a value of 1e200 passes as finite and overflows inside the task)."""
    if values is None or len(values) == 0:
        raise invalid(argument, "" if values is None else values, "must list at least one number")
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(float(v)):
            raise invalid(argument, list(values), "every value must be a finite number")
        out.append(float(v))
    limit = 1e300 ** (1.0 / power)
    if power > 1 and max(abs(v) for v in out) > limit:
        raise invalid(argument, list(values), f"every |value| must be <= {limit:.3g} (the task uses value^{power}, "
                                              "which must be finite in float64)")
    if positive and min(out) <= 0:
        raise invalid(argument, list(values), "every value must be > 0")
    if nonnegative and min(out) < 0:
        raise invalid(argument, list(values), "every value must be >= 0")
    return out
