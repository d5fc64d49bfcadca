"""numerics.peaks against scipy.signal.find_peaks: the same maxima (plateau midpoints) and the same prominences."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import find_peaks as scipy_find_peaks

import numerics
from numerics import InputError
from numerics.integrate import gradient_flow
from numerics.peaks import _prominences_dense, _prominences_sparse, find_peaks, local_maxima, peak_prominences


def assert_same_as_scipy(x, prominence=None) -> None:
    x = np.asarray(x, dtype=np.float64)
    want, props = scipy_find_peaks(x, prominence=(prominence, None))
    got, prom = find_peaks(x, prominence=prominence)
    np.testing.assert_array_equal(got, want)
    # the same walks and the same subtraction: bit-for-bit equal, not merely close
    np.testing.assert_array_equal(prom, props["prominences"])
    mids, left, right = local_maxima(x)
    if prominence is None:
        _, sp_props = scipy_find_peaks(x, plateau_size=(None, None))
        np.testing.assert_array_equal(mids, want)
        np.testing.assert_array_equal(left, sp_props["left_edges"])
        np.testing.assert_array_equal(right, sp_props["right_edges"])


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=60)
@given(x=st.lists(finite, min_size=0, max_size=80), prominence=st.none() | st.floats(0.0, 1e6))
def test_random_arrays_match_scipy(x, prominence):
    assert_same_as_scipy(x, prominence)


# Runs of equal small integers: flat plateaus (at the ends too), flat valleys and ties between peaks of equal height.
runs = st.lists(st.tuples(st.integers(-3, 3), st.integers(1, 5)), min_size=0, max_size=25)


@settings(max_examples=60)
@given(r=runs, prominence=st.none() | st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 6.0]))
def test_plateaus_and_ties_match_scipy(r, prominence):
    x = [float(v) for v, n in r for _ in range(n)]
    assert_same_as_scipy(x, prominence)


@settings(max_examples=60)
@given(r=runs)
def test_both_prominence_paths_agree_to_the_bit(r):
    # the comparison table (few peaks x samples) and the sparse tables (many) read the same minima, at every index
    # (a peak or not: the walks are defined from any sample), with flat runs and ties
    x = np.array([float(v) for v, n in r for _ in range(n)] + [0.5])
    p = np.arange(x.size)
    np.testing.assert_array_equal(_prominences_dense(x, p), _prominences_sparse(x, p))


@pytest.mark.parametrize("x", [[], [1.0], [1.0, 2.0], [2.0, 1.0], [3.0] * 7, [0.0, 1.0, 1.0], [1.0, 1.0, 0.0],
                               [0.0, 1.0, 1.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0, 1.0, 0.0], [0.0, 2.0, 2.0, 3.0, 0.0],
                               list(range(10)), list(range(10, 0, -1)), [0.0, -0.0, 0.0], [1.0, 0.0, 1.0]])
@pytest.mark.parametrize("prominence", [None, 0.0, 1.0])
def test_edge_cases_match_scipy(x, prominence):
    assert_same_as_scipy(x, prominence)


def test_plateau_midpoint_rounds_down_and_end_plateaus_are_not_maxima():
    mids, left, right = local_maxima([0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0, 2.0])
    assert (mids.tolist(), left.tolist(), right.tolist()) == ([2], [1], [4])


def _linear_net_logr(singular_values, width, eps, seed):
    """log|dL/dt| of a real gradient-flow trajectory of a whitened linear net (the staircase's input)."""
    S = np.asarray(singular_values, dtype=np.float64)
    D, H = S.size, width

    fun = numerics.gradient_function(numerics.build_architecture("linear-fc", d_in=D, d_out=D, width=H),
                                     numerics.whitened(S))

    th0 = np.random.default_rng(seed).standard_normal((1, 2 * H * D)) * eps
    m = gradient_flow(fun, th0, 12.0 / S.min() * math.log(1 / eps) / 4)[0]
    rate = m.grad_norm**2
    return np.log(np.maximum(rate, rate.max() * 1e-250))


@pytest.mark.parametrize(("s", "width", "eps", "seed", "drops"), [((3.0, 2.0, 1.0), 4, 1e-6, 0, 3),
                                                                  ((5.0, 4.0, 3.0, 2.0, 1.0), 6, 1e-6, 1, 5),
                                                                  ((2.0, 1.9, 0.5), 3, 1e-3, 2, 2)])
def test_real_trajectories_match_scipy(s, width, eps, seed, drops):
    logr = _linear_net_logr(s, width, eps, seed)
    assert logr.size > 50
    for prominence in (None, math.log(10.0), 1.0):
        assert_same_as_scipy(logr, prominence)
    # the staircase's threshold keeps one maximum per drop (close modes 2.0 and 1.9 drop together)
    assert find_peaks(logr, prominence=math.log(10.0))[0].size == drops


def test_long_noisy_curve_with_many_peaks_matches_scipy():
    # thousands of peaks, nested at every scale: every level of the sparse tables and the binary lifting is used
    x = np.cumsum(np.random.default_rng(3).standard_normal(5000))
    x[1000:1200] = x[1000]  # a long flat stretch too
    for prominence in (None, 0.5, 5.0):
        assert_same_as_scipy(x, prominence)


@pytest.mark.parametrize(("call", "match"), [
    (lambda: find_peaks(np.zeros((3, 3))), "1-D"),
    (lambda: find_peaks([0.0, math.nan, 0.0]), "NaN"),
    (lambda: find_peaks([0.0, math.inf, 0.0]), "NaN or inf"),
    (lambda: find_peaks([0.0, 1.0, 0.0], prominence="high"), "prominence"),
    (lambda: find_peaks([0.0, 1.0, 0.0], prominence=math.nan), "prominence"),
    (lambda: peak_prominences([0.0, 1.0, 0.0], [3]), "peaks"),
    (lambda: peak_prominences([0.0, 1.0, 0.0], [-1]), "peaks"),
    (lambda: peak_prominences([0.0, 1.0, 0.0], [0.5]), "peaks"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(InputError, match=match):
        call()
