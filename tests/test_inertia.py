"""Inertia counts by LDLᵀ (numerics/inertia.py) against spectra, and the numeric Morse index read from them.

The Morse index of the itineraries is #{λ < −τ}, τ = max(rtol‖H‖₂, atol) (docs/theory.md §3.1). morse_count must
return exactly what the eigvalsh rule returns: on matrices with known inertia (hypothesis), on Hessians of several
architectures at saddles and plateau points, with τ placed within 1e-6 of an eigenvalue, and when the bounds on ‖H‖₂
leave an eigenvalue inside the bracket of τ (the eigvalsh fallback).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics as N
from numerics.inertia import Inertia, count_below, inertia, morse_count, spectral_norm_bounds


def _rule(h: np.ndarray, rtol: float, atol: float) -> int:
    """The eigvalsh rule of numerics.itinerary before the inertia count."""
    lam = np.linalg.eigvalsh(h)
    return int((lam < -max(rtol * float(np.abs(lam).max()), atol)).sum())


def _with_spectrum(lam, seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((len(lam), len(lam))))
    a = (q * np.asarray(lam, dtype=float)) @ q.T
    return 0.5 * (a + a.T)


def test_inertia_of_diagonal_and_2x2_pivot_matrices():
    assert inertia(np.diag([-2.0, -0.5, 0.0, 3.0])) == Inertia(2, 1, 1)
    # zero diagonal: Bunch–Kaufman must take 2 × 2 pivots; eigenvalues ±1, ±2
    swap = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 2], [0, 0, 2, 0]], dtype=float)
    assert inertia(swap) == Inertia(2, 0, 2)
    assert inertia(swap, shift=1.5) == Inertia(3, 0, 1)  # eigenvalues of A − 1.5 I: −3.5, −2.5, −0.5, 0.5
    assert count_below(swap, -1.0) == 1 and count_below(swap, -1.0 - 1e-12) == 1 and count_below(swap, 2.5) == 4
    assert inertia(np.zeros((0, 0))) == Inertia(0, 0, 0)


@settings(max_examples=30)
@given(signs=st.lists(st.sampled_from([-1, 1]), min_size=1, max_size=30),
       mags=st.lists(st.integers(1, 6), min_size=30, max_size=30), scale=st.sampled_from([1e-8, 1.0, 1e6]),
       seed=st.integers(0, 2**31 - 1))
def test_inertia_matches_known_spectrum(signs, mags, scale, seed):
    lam = scale * np.array(signs) * np.array(mags[: len(signs)], dtype=float)
    a = _with_spectrum(lam, seed)
    assert inertia(a) == Inertia(int((lam < 0).sum()), 0, int((lam > 0).sum()))
    for x in (-6.5, -2.5, 0.5, 3.5):  # between the integer magnitudes: far from every eigenvalue
        assert count_below(a, x * scale) == int((lam < x * scale).sum())
    lower, upper = spectral_norm_bounds(a)
    assert lower <= np.abs(lam).max() * (1 + 1e-12) and np.abs(lam).max() <= upper * (1 + 1e-12)
    for rtol, atol in ((1e-3, 0.0), (0.3, 0.0), (0.0, 2.5 * scale), (0.5, 1.5 * scale)):
        assert morse_count(a, rtol=rtol, atol=atol).index == _rule(a, rtol, atol)


def _hessians():
    """(name, H) at saddles and plateau points of several architectures (n ≤ 60)."""
    cases = []
    arch = N.build_architecture("linear-fc", d_in=3, d_out=3, width=4)
    task = N.whitened([3.0, 2.0, 1.0])
    res = N.gradient_flow(lambda th: N.loss_and_grad(arch, task, th), N.init_params(arch, 1e-6, seed=1), 30.0)
    cases.append(("linear-fc origin", N.hessian(arch, task, np.zeros(arch.n_params))))
    cases += [(f"linear-fc {v.label}", N.hessian(arch, task, v.theta)) for v in N.itinerary(arch, task, res)]
    quad = N.build_architecture("quadratic", d_in=3, width=3)
    qt = N.QuadraticGaussianTask(np.diag([2.0, 1.0, -1.0]))
    rng = np.random.default_rng(2)
    cases.append(("quadratic random", N.hessian(quad, qt, 0.7 * rng.standard_normal(quad.n_params))))
    for name in ("tanh-fc", "relu-fc"):
        a = N.build_architecture(name, d_in=2, width=4)
        x = rng.standard_normal((16, 2))
        data = N.Dataset(x, np.sin(3 * x[:, 0]))
        cases.append((f"{name} random", N.hessian(a, data, 0.5 * rng.standard_normal(a.n_params))))
    return cases


def test_morse_count_equals_eigvalsh_rule_on_saddles_of_several_architectures():
    methods = set()
    for name, h in _hessians():
        lam = np.linalg.eigvalsh(h)
        neg = lam[lam < -1e-6]
        settings_ = [(1e-3, 0.05), (1e-3, 0.0), (1e-2, 0.0), (0.2, 0.0)]
        # Near-threshold: τ within 1e-6 (relative) of a negative eigenvalue, on both sides of it, set by atol (one
        # factorisation) or by rtol·‖H‖₂ (the bracket then contains the eigenvalue: the eigvalsh fallback).
        top = float(np.abs(lam).max())
        for lam_k in neg[:: max(1, neg.size // 3)]:
            for f in (1 + 1e-6, 1 - 1e-6):
                settings_ += [(0.0, -lam_k * f), (-lam_k * f / top, 0.0)]
        for rtol, atol in settings_:
            mc = morse_count(h, rtol=rtol, atol=atol)
            assert mc.index == _rule(h, rtol, atol), (name, rtol, atol, mc)
            methods.add(mc.method)
    assert methods == {"ldl", "ldl-bracket", "eigvalsh"}  # every path of morse_count was exercised


def test_the_bracket_falls_back_when_the_norm_bound_is_loose():
    # ‖A‖₂ = 10, ‖A‖_F = 10·√20: with rtol = 1e-3 the rule's τ is 0.01, the upper bound's 0.045. The eigenvalue
    # −0.02 lies between: a count at the upper bound alone would miss it.
    a = _with_spectrum([10.0] * 20 + [-0.02], seed=3)
    mc = morse_count(a, rtol=1e-3, atol=0.0)
    assert mc.index == 1 == _rule(a, 1e-3, 0.0) and mc.method == "eigvalsh"
    assert count_below(a, -mc.tolerance[0]) == 1 and count_below(a, -0.045) == 0


def test_isolation_margin():
    a = np.diag([-1.0, -0.12, 5.0])  # τ = 0.05: −0.12 is within a factor 4 of −τ, −1 is not
    assert morse_count(a, rtol=0.0, atol=0.05, margin=4.0).isolated is False
    assert morse_count(a, rtol=0.0, atol=0.05, margin=2.0).isolated is True
    assert morse_count(a, rtol=0.0, atol=0.05).isolated is None
    assert morse_count(np.diag([-1.0, -0.01]), rtol=0.0, atol=0.05, margin=4.0).isolated is True
    # an eigenvalue exactly at −τ is not below it (strict inequality of the rule)
    assert morse_count(np.diag([-0.05, 1.0]), rtol=0.0, atol=0.05).index == 0


@pytest.mark.parametrize("bad, match", [
    (np.ones((2, 3)), "square"), (np.array([[1.0, np.nan], [np.nan, 1.0]]), "NaN"),
    (np.array([[1.0, 2.0], [0.0, 1.0]]), "symmetric"), ([[1.0]], None),
])
def test_bad_matrices_are_rejected(bad, match):
    if match is None:
        assert inertia(bad) == Inertia(0, 0, 1)  # a list is accepted
        return
    with pytest.raises(N.InputError, match=match):
        inertia(bad)
    with pytest.raises(N.InputError, match=match):
        morse_count(bad, rtol=1e-3, atol=0.0)


def test_bad_parameters_are_rejected():
    with pytest.raises(N.InputError, match="rtol"):
        morse_count(np.eye(2), rtol=-1.0, atol=0.0)
    with pytest.raises(N.InputError, match="margin"):
        morse_count(np.eye(2), rtol=0.0, atol=0.1, margin=1.0)
    with pytest.raises(N.InputError, match="shift"):
        inertia(np.eye(2), shift=float("inf"))
