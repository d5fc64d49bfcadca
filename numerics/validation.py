"""Small input checks shared by :mod:`numerics` (spec §0.6: float64 everywhere).

Every check raises :class:`numerics.errors.InputError` with a one-line message of the form
``"<argument>: <rule broken> (<detail>)"`` so that a command-line front end can print it verbatim.

Tolerances are relative, because the workbench mixes covariances of order 1e-4 to 1e4:

* symmetry: ``max|A - Aᵀ| <= SYM_RTOL * max|A|``;
* definiteness: with the eigenvalues λ of the symmetrised matrix (``numpy.linalg.eigvalsh``) and
  ``scale = max|λ|``, positive definite means ``min λ > DEF_RTOL * scale`` and positive semidefinite means
  ``min λ >= -DEF_RTOL * scale``. A matrix with condition number above 1/DEF_RTOL = 1e10 is thus "not positive
  definite": solving with it would lose more than 10 of the 16 significant digits.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np

from .errors import InputError

SYM_RTOL = 1e-10
DEF_RTOL = 1e-10

__all__ = [
    "SYM_RTOL",
    "DEF_RTOL",
    "as_float_array",
    "check_finite",
    "check_indices",
    "check_shape",
    "check_square",
    "check_symmetric",
    "check_positive_definite",
    "check_positive_semidefinite",
    "check_positive_int",
    "check_nonnegative_int",
    "check_positive_scalar",
]


def check_finite(name: str, a: np.ndarray) -> None:
    """Raise if ``a`` holds NaN or ±inf."""
    arr = np.asarray(a)
    if not np.all(np.isfinite(arr)):
        n_bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        raise InputError(f"{name}: must be finite ({n_bad} NaN/inf entries)")


def as_float_array(
    name: str,
    value: object,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    finite: bool = True,
) -> np.ndarray:
    """Return ``value`` as a float64 array, checking its number of axes, its shape and finiteness.

    ``shape`` may hold ``None`` for an axis of free length.
    """
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name}: must be an array of real numbers ({exc})") from None
    if ndim is not None and arr.ndim != ndim:
        raise InputError(f"{name}: must have {ndim} axes (got shape {arr.shape})")
    if shape is not None:
        check_shape(name, arr, shape)
    if finite:
        check_finite(name, arr)
    return arr


def check_shape(name: str, a: np.ndarray, shape: Sequence[int | None]) -> None:
    """Raise unless ``a.shape`` matches ``shape`` (``None`` matches any length)."""
    ok = a.ndim == len(shape) and all(s is None or s == t for s, t in zip(shape, a.shape, strict=False))
    if not ok:
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise InputError(f"{name}: must have shape {want} (got {a.shape})")


def check_square(name: str, a: np.ndarray) -> None:
    """Raise unless ``a`` is a non-empty square matrix."""
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise InputError(f"{name}: must be a non-empty square matrix (got shape {a.shape})")


def check_symmetric(name: str, a: np.ndarray, rtol: float = SYM_RTOL) -> None:
    """Raise unless ``max|A - Aᵀ| <= rtol * max|A|`` (``a`` must be square)."""
    check_square(name, a)
    asym = float(np.max(np.abs(a - a.T)))
    scale = float(np.max(np.abs(a)))
    if asym > rtol * scale:
        raise InputError(f"{name}: not symmetric (max |A - A^T| = {asym:.3g}, allowed {rtol:.0e} * max|A|)")


def _eigen_extremes(name: str, a: np.ndarray) -> tuple[float, float]:
    check_symmetric(name, a)
    lam = np.linalg.eigvalsh(0.5 * (a + a.T))
    return float(lam[0]), float(np.max(np.abs(lam)))


def check_positive_definite(name: str, a: np.ndarray, rtol: float = DEF_RTOL) -> None:
    """Raise unless ``a`` is symmetric with ``min eig > rtol * max|eig|`` (and not zero)."""
    lo, scale = _eigen_extremes(name, a)
    if not lo > rtol * scale or scale == 0.0:
        raise InputError(
            f"{name}: must be positive definite (smallest eigenvalue {lo:.3g}, largest |eigenvalue| {scale:.3g})"
        )


def check_positive_semidefinite(name: str, a: np.ndarray, rtol: float = DEF_RTOL) -> None:
    """Raise unless ``a`` is symmetric with ``min eig >= -rtol * max|eig|``."""
    lo, scale = _eigen_extremes(name, a)
    if lo < -rtol * scale:
        raise InputError(
            f"{name}: must be positive semidefinite (smallest eigenvalue {lo:.3g}, "
            f"largest |eigenvalue| {scale:.3g})"
        )


def _is_int(value: object) -> bool:
    # bool is an int subclass, but True as a width or seed is almost surely a bug.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 1."""
    if not _is_int(value) or int(value) < 1:  # type: ignore[arg-type]
        raise InputError(f"{name}: must be an integer >= 1 (got {value!r})")
    return int(value)  # type: ignore[arg-type]


def check_nonnegative_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 0."""
    if not _is_int(value) or int(value) < 0:  # type: ignore[arg-type]
        raise InputError(f"{name}: must be an integer >= 0 (got {value!r})")
    return int(value)  # type: ignore[arg-type]


def check_indices(name: str, values: object, size: int) -> list[int]:
    """Return ``values`` (an iterable of integers) as a list of ints, each in [0, ``size``)."""
    try:
        out = list(values)  # type: ignore[call-overload]
    except TypeError:
        raise InputError(f"{name}: must be a sequence of indices in [0, {size}) (got {values!r})") from None
    for v in out:
        if not _is_int(v) or not 0 <= int(v) < size:
            raise InputError(f"{name}: every index must be an integer in [0, {size}) (got {v!r})")
    return [int(v) for v in out]


def check_positive_scalar(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number > 0."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise InputError(f"{name}: must be a finite real number > 0 (got {value!r})")
    x = float(value)
    if not (np.isfinite(x) and x > 0.0):
        raise InputError(f"{name}: must be a finite real number > 0 (got {value!r})")
    return x
