"""Brent's bracketing root finder, the same iteration as :func:`scipy.optimize.brentq`, without importing SciPy's
optimize package (≈ 0.3 s at start-up of every command that refines a drop time).

The drop-time refinement (:mod:`numerics.integrate.dense`, :mod:`numerics.plateaus`) root-finds L(θ(t)) − level on
one step of the dense output: a smooth scalar function on a short bracket, called a few dozen times per drop.
:func:`newton_many` finds many such roots at once (safeguarded Newton, the derivative dL/dt = −‖∇L‖² coming with
each loss), so that all drops of a sweep's chunk cost one batched evaluation per iteration instead of one call per
drop and iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .errors import InputError

__all__ = ["brent", "newton_many"]


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
                den = dblk * dpre * (fblk - fpre)
                # C divides by an underflowed 0 to ±inf or NaN, which the test below turns into bisection
                stry = -fcur * (fblk * dblk - fpre * dpre) / den if den != 0 else math.inf
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


def newton_many(f: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]], a, b, fa, x0, *, xtol,
                ftol=0.0, maxiter: int = 100) -> np.ndarray:
    """Roots of k bracketed functions at once by Newton's method, safeguarded by bisection.

    Parameters
    ----------
    f : callable
        ``f(rows, x)`` returns (f_r(x_r), an estimate of f_r'(x_r)) for the row indices ``rows`` still iterating.
    a, b : array_like, shape (k,)
        Brackets: f_r(a_r) and f_r(b_r) have opposite signs.
    fa : array_like, shape (k,)
        f_r(a_r) (its sign orients the bracket).
    x0 : array_like, shape (k,)
        First iterates (outside (a, b): the midpoint instead).
    xtol : float or array_like (k,)
        A row stops once its Newton step, or its bracket, is below xtol.
    ftol : float or array_like (k,)
        ... or once |f| ≤ ftol (the round-off level of f, below which Newton steps are noise; 0: only f = 0).

    Notes
    -----
    Each evaluation shrinks the row's bracket to the side where f changes sign; the Newton step x − f/f' is taken
    when it stays inside the bracket and is at most half the row's previous step, else the midpoint (the rule of
    Numerical Recipes' ``rtsafe``: a derivative estimate far too large gives Newton steps that shrink only
    linearly with ratio near 1, which bisection then overtakes, so a row needs at most about twice the
    evaluations of bisection alone).  With an exact derivative the convergence is quadratic;
    with one that is off by a relative δ it is linear with ratio ≈ δ (the use here: the loss on a dense
    interpolant, whose time derivative is −‖∇L‖² up to the interpolation error), and the bisection fallback keeps
    it bracketed in any case.  Raises ``InputError`` if a row still iterates after ``maxiter`` evaluations.

    Examples
    --------
    >>> c = np.array([2.0, 3.0])
    >>> f = lambda rows, x: (x * x - c[rows], 2 * x)
    >>> np.round(newton_many(f, [0.0, 0.0], [2.0, 2.0], [-2.0, -3.0], [1.0, 1.0], xtol=1e-13), 12).tolist()
    [1.414213562373, 1.732050807569]
    """
    lo = np.array(a, dtype=np.float64).reshape(-1)
    hi = np.array(b, dtype=np.float64).reshape(-1)
    k = lo.size
    s_lo = np.sign(np.broadcast_to(np.asarray(fa, dtype=np.float64), (k,)))
    tol = np.broadcast_to(np.asarray(xtol, dtype=np.float64), (k,))
    ftol_ = np.broadcast_to(np.asarray(ftol, dtype=np.float64), (k,))
    x = np.array(x0, dtype=np.float64).reshape(-1)
    x = np.where((x > lo) & (x < hi), x, 0.5 * (lo + hi))
    dx_old = hi - lo  # each row's previous step (rtsafe starts from the bracket)
    out = x.copy()
    live = np.arange(k)
    for _ in range(maxiter):
        if live.size == 0:
            return out
        xl = x[live]
        fx, dfx = f(live, xl)
        fx, dfx = np.asarray(fx, dtype=np.float64), np.asarray(dfx, dtype=np.float64)
        same = np.sign(fx) == s_lo[live]
        lo[live] = np.where(same, xl, lo[live])
        hi[live] = np.where(same, hi[live], xl)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = fx / dfx
        nxt = xl - step
        inside = np.isfinite(nxt) & (nxt > lo[live]) & (nxt < hi[live]) & (2 * np.abs(step) <= dx_old[live])
        nxt = np.where(inside, nxt, 0.5 * (lo[live] + hi[live]))
        dx_old[live] = np.abs(nxt - xl)
        small = np.abs(fx) <= ftol_[live]
        done = small | (np.abs(nxt - xl) <= tol[live]) | (hi[live] - lo[live] <= tol[live])
        out[live] = np.where(small, xl, nxt)
        x[live] = nxt
        live = live[~done]
    if live.size == 0:
        return out
    raise InputError(f"maxiter: Newton's method did not converge in {maxiter} iterations on row {int(live[0])}")
