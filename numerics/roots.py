"""Brent's bracketing root finder, the same iteration as :func:`scipy.optimize.brentq`, without importing SciPy's
optimize package (≈ 0.3 s at start-up of every command that refines a drop time).

The drop-time refinement (:mod:`numerics.integrate.dense`, :mod:`numerics.plateaus`) root-finds L(θ(t)) − level on
one step of the dense output: a smooth scalar function on a short bracket, called a few dozen times per drop.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .errors import InputError

__all__ = ["brent"]


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
