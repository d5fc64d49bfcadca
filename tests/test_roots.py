"""numerics.roots.brent is SciPy's brentq without importing scipy.optimize: the same root to the bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq

from numerics import InputError
from numerics.roots import brent, newton_many

coefs = st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=8)


@given(coefs, st.floats(-5, 5), st.floats(1e-3, 5), st.floats(-15, -3))
def test_same_root_as_scipy_to_the_bit(c, a, width, log_xtol):
    b = a + width

    def f(x):
        return float(np.polyval(c, x))

    fa, fb = f(a), f(b)
    if not (math.isfinite(fa) and math.isfinite(fb)) or (fa > 0) == (fb > 0) or fa == 0 or fb == 0:
        c = [1.0, -(a + 0.3 * width)]  # a bracketed linear root instead
    xtol, rtol = 10.0**log_xtol, 4 * np.finfo(float).eps
    assert brent(f, a, b, xtol=xtol, rtol=rtol, maxiter=200) == brentq(f, a, b, xtol=xtol, rtol=rtol, maxiter=200)


def test_an_underflowing_interpolation_bisects_as_brentq_does():
    # f = 8.6e-131·x: the inverse-quadratic denominator underflows to 0 (C: inf, then bisection; before: a
    # ZeroDivisionError), found by the property test above
    f = lambda x: 8.593890891545212e-131 * x  # noqa: E731
    assert brent(f, -2.1015625, 0.8984375, xtol=1e-3) == brentq(f, -2.1015625, 0.8984375, xtol=1e-3)


def test_the_root_and_the_endpoints():
    assert brent(lambda x: x**3 - 2.0, 0.0, 2.0) == pytest.approx(2 ** (1 / 3), rel=1e-14)
    assert brent(lambda x: x, 0.0, 1.0) == 0.0 and brent(lambda x: x - 1.0, 0.0, 1.0) == 1.0


def test_refuses_an_unbracketed_interval_and_a_slow_one():
    with pytest.raises(InputError, match="same sign"):
        brent(lambda x: x * x + 1.0, -1.0, 1.0)
    with pytest.raises(InputError, match="maxiter"):
        brent(lambda x: -1.0 if x < 0.3 else 1.0, 0.0, 1.0, xtol=1e-300, rtol=0.0, maxiter=3)  # a jump: bisection


@given(st.lists(st.tuples(coefs, st.floats(-5, 5), st.floats(1e-3, 5)), min_size=1, max_size=12),
       st.floats(0.0, 0.3))
def test_newton_many_finds_a_root_in_each_bracket(rows, slope_error):
    """Each row converges to a root in its bracket (a sign change of f within 1e-12·max(1, |x|) of x, or |f(x)| at
    round-off level), with an exact derivative or one that is off by up to 30 % (the bisection safeguard and the
    bracket keep it there); with several roots in the bracket it may find another one than Brent would."""
    polys, lo, hi = [], [], []
    for c, a, width in rows:
        b = a + width
        fa, fb = np.polyval(c, a), np.polyval(c, b)
        if not (math.isfinite(fa) and math.isfinite(fb)) or (fa > 0) == (fb > 0) or fa == 0 or fb == 0:
            c = [1.0, -(a + 0.3 * width)]
        polys.append(np.asarray(c, dtype=float)), lo.append(a), hi.append(b)

    def many(idx, x):
        f = np.array([np.polyval(polys[i], xi) for i, xi in zip(idx, x, strict=True)])
        df = np.array([np.polyval(np.polyder(polys[i]), xi) for i, xi in zip(idx, x, strict=True)])
        return f, df * (1.0 + slope_error)

    fa = [np.polyval(p, a) for p, a in zip(polys, lo, strict=True)]
    got = newton_many(many, lo, hi, fa, [0.5 * (a + b) for a, b in zip(lo, hi, strict=True)], xtol=1e-13,
                      maxiter=400)
    for p, a, b, x in zip(polys, lo, hi, got, strict=True):
        assert a <= x <= b
        d = 1e-12 * max(1.0, abs(x))
        scale = np.sum(np.abs(p) * max(abs(x), 1.0) ** np.arange(p.size)[::-1])
        f = lambda t, p=p: float(np.polyval(p, t))  # noqa: E731
        assert f(x - d) * f(x + d) <= 0 or abs(f(x)) <= 64 * np.finfo(float).eps * scale


@pytest.mark.parametrize("factor", [100.0, 1e4, 0.01])
def test_newton_many_overtakes_a_derivative_far_off(factor):
    # dL/dt of the flow against a dense interpolant that does not follow it (a loose tolerance): Newton steps with a
    # derivative 100x too large shrink by 1 % per evaluation; bisection must take over (before: no convergence in
    # 200 evaluations, which stopped a whole sweep at rtol 1e-3)
    def f(rows, x):
        return x - 0.3, factor * np.ones_like(x)

    xtol = 4 * np.spacing(1.0)
    got = newton_many(f, [0.0], [1.0], [-0.3], [0.01], xtol=xtol, maxiter=130)
    # a row stops on a Newton step below xtol, which a derivative too large by `factor` makes `factor` times short
    assert got[0] == pytest.approx(0.3, abs=max(factor, 1.0) * xtol)


def test_newton_many_stays_bracketed_and_refuses_a_slow_row():
    # a derivative of the wrong sign sends every Newton step out of the bracket: bisection alone still converges
    def f(rows, x):
        return x - 0.3, -np.ones_like(x)

    assert newton_many(f, [0.0], [1.0], [-0.3], [0.9], xtol=1e-12)[0] == pytest.approx(0.3, abs=1e-12)
    with pytest.raises(InputError, match="maxiter"):
        newton_many(f, [0.0], [1.0], [-0.3], [0.9], xtol=1e-300, maxiter=3)
