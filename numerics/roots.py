"""Brent's bracketing root finder, the same iteration as :func:`scipy.optimize.brentq`, without importing SciPy's
optimize package (≈ 0.3 s at start-up of every command that refines a drop time).

The drop-time refinement (:mod:`numerics.integrate.dense`, :mod:`numerics.plateaus`) root-finds L(θ(t)) − level on
one step of the dense output: a smooth scalar function on a short bracket, called a few dozen times per drop.
:func:`brent_many` runs the same iteration on many such functions at once, so that all drops of a sweep's chunk
cost one batched loss evaluation per iteration instead of one call per drop and iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .errors import InputError

__all__ = ["brent", "brent_many"]


def brent(f: Callable[[float], float], a: float, b: float, *, xtol: float = 2e-12, rtol: float = 8.881784197001252e-16,
          maxiter: int = 100) -> float:
    """A root of ``f`` in [a, b], where f(a) and f(b) have opposite signs (or one is zero).

    Parameters
    ----------
    f : callable
        Scalar function of one float.
    a, b : float
        The bracket.
    xtol, rtol : float
        The root is returned once the bracket's half width is below (xtol + rtol·|x|)/2 (SciPy's defaults).
    maxiter : int
        Iterations before giving up (``InputError``).

    Notes
    -----
    Brent (1973), in the form of SciPy's ``brentq`` (``scipy/optimize/Zeros/brentq.c``): keep a bracket
    [x_cur, x_blk] with f(x_cur) the smaller in size, try inverse quadratic interpolation (or the secant when only
    two points are distinct), accept the trial step s only if 2|s| < min(|s_prev|, 3|half bracket| − δ), else
    bisect; never step by less than δ = (xtol + rtol·|x_cur|)/2. Same operations in the same order, so the result
    equals ``brentq``'s to the bit for the same function.

    Examples
    --------
    >>> round(brent(lambda x: x * x - 2.0, 0.0, 2.0), 12)
    1.414213562373
    """
    xpre, xcur = float(a), float(b)
    fpre, fcur = float(f(xpre)), float(f(xcur))
    if fpre == 0:
        return xpre
    if fcur == 0:
        return xcur
    if math.copysign(1.0, fpre) == math.copysign(1.0, fcur):
        raise InputError(f"bracket [{a!r}, {b!r}]: f has the same sign at both ends ({fpre!r}, {fcur!r})")
    xblk = fblk = spre = scur = 0.0
    for _ in range(maxiter):
        if fpre != 0 and fcur != 0 and math.copysign(1.0, fpre) != math.copysign(1.0, fcur):
            xblk, fblk = xpre, fpre
            spre = scur = xcur - xpre
        if abs(fblk) < abs(fcur):
            xpre, xcur, xblk = xcur, xblk, xcur
            fpre, fcur, fblk = fcur, fblk, fcur
        delta = (xtol + rtol * abs(xcur)) / 2
        sbis = (xblk - xcur) / 2
        if fcur == 0 or abs(sbis) < delta:
            return xcur
        if abs(spre) > delta and abs(fcur) < abs(fpre):
            if xpre == xblk:  # interpolate (secant)
                stry = -fcur * (xcur - xpre) / (fcur - fpre)
            else:  # extrapolate (inverse quadratic)
                dpre = (fpre - fcur) / (xpre - xcur)
                dblk = (fblk - fcur) / (xblk - xcur)
                stry = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            if 2 * abs(stry) < min(abs(spre), 3 * abs(sbis) - delta):  # a good short step
                spre, scur = scur, stry
            else:
                spre = scur = sbis
        else:
            spre = scur = sbis
        xpre, fpre = xcur, fcur
        xcur += scur if abs(scur) > delta else (delta if sbis > 0 else -delta)
        fcur = float(f(xcur))
    raise InputError(f"maxiter: Brent's method did not converge in {maxiter} iterations on [{a!r}, {b!r}]")


def brent_many(f: Callable[[np.ndarray, np.ndarray], np.ndarray], a, b, *, xtol=2e-12,
               rtol: float = 8.881784197001252e-16, maxiter: int = 100) -> np.ndarray:
    """:func:`brent` on k brackets at once: row r is a root of f_r in [a_r, b_r].

    Parameters
    ----------
    f : callable
        ``f(rows, x)`` returns the values f_r(x_r) (shape (m,)) for the row indices ``rows`` (m,) at the points
        ``x`` (m,); only the rows still iterating are asked for.
    a, b : array_like, shape (k,)
        The brackets; f_r(a_r) and f_r(b_r) must have opposite signs (or one be zero).
    xtol : float or array_like (k,)
        Per-row absolute tolerance; ``rtol`` and ``maxiter`` as in :func:`brent`.

    Notes
    -----
    Every row takes exactly the steps :func:`brent` would take on it (the same branch tests on the same numbers,
    evaluated elementwise), so with the same function values the roots are the same to the bit; rows leave the
    batch as they converge.  Raises ``InputError`` for an unbracketed row or one still iterating after
    ``maxiter`` iterations.

    Examples
    --------
    >>> c = np.array([2.0, 3.0])
    >>> np.round(brent_many(lambda rows, x: x * x - c[rows], [0.0, 0.0], [2.0, 2.0]), 12).tolist()
    [1.414213562373, 1.732050807569]
    """
    xpre = np.array(a, dtype=np.float64).reshape(-1)
    xcur = np.array(b, dtype=np.float64).reshape(-1)
    k = xpre.size
    if xcur.size != k:
        raise InputError(f"b: must have the length of a ({k}), got {xcur.size}")
    tol = np.broadcast_to(np.asarray(xtol, dtype=np.float64), (k,)).copy()
    rows = np.arange(k)
    fpre = np.asarray(f(rows, xpre), dtype=np.float64).reshape(k).copy()
    fcur = np.asarray(f(rows, xcur), dtype=np.float64).reshape(k).copy()
    out = np.full(k, np.nan)
    out[fpre == 0] = xpre[fpre == 0]
    cur0 = (fpre != 0) & (fcur == 0)
    out[cur0] = xcur[cur0]
    bad = (fpre != 0) & (fcur != 0) & (np.copysign(1.0, fpre) == np.copysign(1.0, fcur))
    if bad.any():
        r = int(np.flatnonzero(bad)[0])
        raise InputError(f"bracket [{xpre[r]!r}, {xcur[r]!r}] (row {r}): f has the same sign at both ends "
                         f"({fpre[r]!r}, {fcur[r]!r})")
    live = np.flatnonzero((fpre != 0) & (fcur != 0))
    xpre, xcur, fpre, fcur, tol = xpre[live], xcur[live], fpre[live], fcur[live], tol[live]
    xblk, fblk, spre, scur = (np.zeros(live.size) for _ in range(4))
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(maxiter):
            if live.size == 0:
                return out
            new = (fpre != 0) & (fcur != 0) & (np.copysign(1.0, fpre) != np.copysign(1.0, fcur))
            xblk, fblk = np.where(new, xpre, xblk), np.where(new, fpre, fblk)
            spre, scur = np.where(new, xcur - xpre, spre), np.where(new, xcur - xpre, scur)
            swap = np.abs(fblk) < np.abs(fcur)
            xpre, xcur, xblk = np.where(swap, xcur, xpre), np.where(swap, xblk, xcur), np.where(swap, xcur, xblk)
            fpre, fcur, fblk = np.where(swap, fcur, fpre), np.where(swap, fblk, fcur), np.where(swap, fcur, fblk)
            delta = (tol + rtol * np.abs(xcur)) / 2
            sbis = (xblk - xcur) / 2
            done = (fcur == 0) | (np.abs(sbis) < delta)
            if done.any():
                out[live[done]] = xcur[done]
                keep = ~done
                live = live[keep]
                xpre, xcur, xblk, fpre, fcur, fblk = (v[keep] for v in (xpre, xcur, xblk, fpre, fcur, fblk))
                spre, scur, tol, delta, sbis = (v[keep] for v in (spre, scur, tol, delta, sbis))
                if live.size == 0:
                    return out
            interp = (np.abs(spre) > delta) & (np.abs(fcur) < np.abs(fpre))
            secant = -fcur * (xcur - xpre) / (fcur - fpre)
            dpre = (fpre - fcur) / (xpre - xcur)
            dblk = (fblk - fcur) / (xblk - xcur)
            iqi = -fcur * (fblk * dblk - fpre * dpre) / (dblk * dpre * (fblk - fpre))
            stry = np.where(xpre == xblk, secant, iqi)
            good = interp & (2 * np.abs(stry) < np.minimum(np.abs(spre), 3 * np.abs(sbis) - delta))
            spre = np.where(good, scur, sbis)
            scur = np.where(good, stry, sbis)
            xpre, fpre = xcur, fcur
            xcur = xcur + np.where(np.abs(scur) > delta, scur, np.where(sbis > 0, delta, -delta))
            fcur = np.asarray(f(live, xcur), dtype=np.float64).reshape(live.size).copy()
    if live.size == 0:
        return out
    r = int(live[0])
    raise InputError(f"maxiter: Brent's method did not converge in {maxiter} iterations on row {r}")
