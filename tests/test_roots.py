"""numerics.roots.brent is SciPy's brentq without importing scipy.optimize: the same root to the bit."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import brentq

from numerics import InputError
from numerics.roots import brent, brent_many

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


def test_the_root_and_the_endpoints():
    assert brent(lambda x: x**3 - 2.0, 0.0, 2.0) == pytest.approx(2 ** (1 / 3), rel=1e-14)
    assert brent(lambda x: x, 0.0, 1.0) == 0.0 and brent(lambda x: x - 1.0, 0.0, 1.0) == 1.0


def test_refuses_an_unbracketed_interval_and_a_slow_one():
    with pytest.raises(InputError, match="same sign"):
        brent(lambda x: x * x + 1.0, -1.0, 1.0)
    with pytest.raises(InputError, match="maxiter"):
        brent(lambda x: -1.0 if x < 0.3 else 1.0, 0.0, 1.0, xtol=1e-300, rtol=0.0, maxiter=3)  # a jump: bisection


@given(st.lists(st.tuples(coefs, st.floats(-5, 5), st.floats(1e-3, 5)), min_size=1, max_size=12),
       st.floats(-15, -3))
def test_brent_many_takes_brents_steps_row_by_row(rows, log_xtol):
    """Each row of the batched iteration is the scalar iteration: the same root to the bit, whatever the other
    rows do (they converge at different iterations and leave the batch)."""
    polys, lo, hi = [], [], []
    for c, a, width in rows:
        b = a + width
        fa, fb = np.polyval(c, a), np.polyval(c, b)
        if not (math.isfinite(fa) and math.isfinite(fb)) or (fa > 0) == (fb > 0) or fa == 0 or fb == 0:
            c = [1.0, -(a + 0.3 * width)]
        polys.append(c), lo.append(a), hi.append(b)
    xtol, rtol = 10.0**log_xtol, 4 * np.finfo(float).eps

    def many(idx, x):
        return np.array([np.polyval(polys[i], xi) for i, xi in zip(idx, x, strict=True)])

    got = brent_many(many, lo, hi, xtol=xtol, rtol=rtol, maxiter=200)
    want = [brent(lambda x, c=c: float(np.polyval(c, x)), a, b, xtol=xtol, rtol=rtol, maxiter=200)
            for c, a, b in zip(polys, lo, hi, strict=True)]
    assert got.tolist() == want


def test_brent_many_refuses_an_unbracketed_row_and_a_slow_one():
    with pytest.raises(InputError, match="row 1"):
        brent_many(lambda r, x: x * x - np.array([1.0, -1.0])[r], [0.0, 0.0], [2.0, 2.0])
    with pytest.raises(InputError, match="maxiter"):
        brent_many(lambda r, x: np.where(x < 0.3, -1.0, 1.0), [0.0], [1.0], xtol=1e-300, rtol=0.0, maxiter=3)
