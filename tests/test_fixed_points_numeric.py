"""Numeric fixed points (numerics.fixed_points) against the symbolic catalogs and the §3.2 formulas.

Tolerances: refinement succeeds iff |grad L| <= gtol = 1e-10 (round-off of the gradient at an exact fixed point is
~1e-14 here); Hessian eigenvalues from central differences are compared at sqrt(eps)·max|lambda| (entry errors
~eps^(2/3), Weyl); exact-point comparisons of refined points at 1e-8 (Newton's quadratic convergence from 1e-3).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics as nm
import theory as th
from numerics.fixed_points import (
    dormant_unit_form,
    gradient_norm,
    hessian_spectrum,
    morse_index,
    refine_fixed_point,
    unit_indices,
)
from theory.fixed_points import fixed_point_catalog, linear_morse_index, linear_saddle_spectrum

EPS = float(np.finfo(float).eps)
RTOL = float(np.sqrt(EPS))


def _f(theta) -> np.ndarray:
    return np.array([float(x) for x in theta])


def _linear_rep(arch: nm.Architecture, s: np.ndarray, S: list[int]) -> tuple[np.ndarray, np.ndarray]:
    H = arch.unit_count
    V = np.zeros((H, arch.output_dim))
    U = np.zeros((H, arch.input_dim))
    for j, k in enumerate(S):
        V[j, k - 1] = U[j, k - 1] = np.sqrt(s[k - 1])
    return V, U


def _pack(arch, V, U) -> np.ndarray:
    return arch.pack({"V": V[None], "U": U[None]})[0]


# ------------------------------------------------------------------------------------------------ refinement


@pytest.mark.parametrize("name,sizes,ttask,ntask", [
    ("linear-fc", {"d_in": 3, "d_out": 3, "width": 2}, th.LinearRegressionTask.whitened([3, 2, 1]),
     nm.whitened([3.0, 2.0, 1.0])),
    ("quadratic", {"d_in": 3, "width": 2}, th.QuadraticGaussianTask.diagonal([2, -1, -2]),
     nm.QuadraticGaussianTask(np.diag([2.0, -1.0, -2.0]))),
    ("attn-s", {"dim": 2, "width": 2}, th.ICLTask(sp.diag(2, 1), 5), nm.ICLTask(np.diag([2.0, 1.0]), 5)),
])
def test_refinement_recovers_catalog_points(name, sizes, ttask, ntask):
    arch = nm.build_architecture(name, **sizes)
    rng = np.random.default_rng(0)
    for e in fixed_point_catalog(th.build(name, **sizes), ttask, certify=False).entries:
        exact = _f(e.theta)
        # perturb only the active coordinates, so the point refines back onto the same (non-isolated) component
        start = exact + 1e-3 * rng.standard_normal(exact.size) * (exact != 0)
        ref = refine_fixed_point(arch, ntask, start)
        assert ref.converged and ref.grad_norm <= ref.gtol, (e.label, ref.message)
        level = float(nm.loss(arch, ntask, ref.theta[None])[0])
        assert abs(level - float(e.loss)) <= 1e-9 * (1 + float(e.loss)), e.label


@settings(max_examples=25)
@given(st.integers(0, 10_000), st.floats(0.05, 3.0), st.integers(1, 3))
def test_refinement_flag_is_honest(seed, scale, max_iter):
    arch = nm.build_architecture("quadratic", d_in=2, width=2)
    task = nm.QuadraticGaussianTask(np.diag([2.0, -1.0]))
    start = scale * np.random.default_rng(seed).standard_normal(arch.n_params)
    ref = refine_fixed_point(arch, task, start, max_iter=max_iter)
    assert ref.converged == (ref.grad_norm <= ref.gtol)
    assert abs(ref.grad_norm - gradient_norm(arch, task, ref.theta)) <= 1e-12 * max(1.0, ref.grad_norm)
    if not ref.converged:
        assert "NOT converged" in ref.message


def test_relu_kink_is_not_reported_as_converged():
    # A one-unit ReLU net on data where the best fit puts a kink on a data point has no smooth fixed point there.
    X = np.array([[-1.0], [0.0], [1.0]])
    y = np.array([[0.0], [0.0], [1.0]])
    arch = nm.build_architecture("relu-fc", d_in=1, width=1)
    ref = refine_fixed_point(arch, nm.Dataset(X, y), np.array([1.0, 1.0, 0.3]), max_iter=5, gtol=1e-14)
    assert ref.converged == (ref.grad_norm <= 1e-14)


def test_numeric_bad_input():
    arch = nm.build_architecture("linear-fc", d_in=2, d_out=2, width=1)
    task = nm.whitened([3.0, 1.0])
    with pytest.raises(nm.InputError, match="wrong width"):
        refine_fixed_point(arch, task, np.zeros(5))
    with pytest.raises(nm.InputError, match="NaN"):
        hessian_spectrum(arch, task, np.full(4, np.nan))
    with pytest.raises(nm.InputError, match="degree-2"):
        dormant_unit_form(arch, task, np.zeros(4), 0)
    with pytest.raises(nm.InputError, match="gtol"):
        refine_fixed_point(arch, task, np.zeros(4), gtol=0)


# ------------------------------------------------------------------------------------------------ §3.2 spectra


@settings(max_examples=30)
@given(st.lists(st.integers(1, 40), min_size=2, max_size=4, unique=True), st.integers(1, 4), st.data())
def test_spectrum_and_morse_index_on_random_spectra(svals, H, data):
    s = np.array(sorted((x / 8 for x in svals), reverse=True))
    D = len(s)
    extra = data.draw(st.integers(0, 1))
    r = data.draw(st.integers(0, min(H, D)))
    S = sorted(data.draw(st.permutations(list(range(1, D + 1))))[:r])
    arch = nm.build_architecture("linear-fc", d_in=D, d_out=D + extra, width=H)
    task = nm.whitened(s, D, D + extra)
    theta = _pack(arch, *_linear_rep(arch, s, S))
    spec_ = hessian_spectrum(arch, task, theta)
    pred = np.array(sorted(float(x) for x in linear_saddle_spectrum(s.tolist(), S, H, D, D + extra)))
    assert np.max(np.abs(spec_.eigenvalues - pred)) <= RTOL * max(1.0, float(np.max(np.abs(pred))))
    assert spec_.morse_index == linear_morse_index(s.tolist(), S, H) == morse_index(pred, spec_.tolerance)
    # Most negative eigenvalue (C5): -max_{j not in S} s_j when a zero unit exists.
    rest = [s[j - 1] for j in range(1, D + 1) if j not in S]
    if r < H and rest:
        assert abs(spec_.eigenvalues[0] + max(rest)) <= RTOL * float(np.max(np.abs(pred)))


# ------------------------------------------------------------------------------------------------ Conjecture H


def _gl(arch, theta, A):
    b = arch.unpack(theta[None])
    return _pack(arch, A @ b["V"][0], np.linalg.inv(A).T @ b["U"][0])


@settings(max_examples=25)
@given(st.integers(0, 10_000))
def test_conjecture_h_full_rank_component(seed):
    """Distinct s > 0 (spec §3.2 assumptions): every point of the component of W*_S is a GL(H) image of the
    representative (Thm 1 (i), (iii), (iv) points included), so the inertia is constant (Sylvester)."""
    rng = np.random.default_rng(seed)
    s = np.array([3.0, 2.0, 1.0])
    H = 3
    S = sorted(rng.choice([1, 2, 3], size=int(rng.integers(1, 3)), replace=False).tolist())
    arch = nm.build_architecture("linear-fc", d_in=3, d_out=3, width=H)
    task = nm.whitened(s)
    rep = _pack(arch, *_linear_rep(arch, s, S))
    base = hessian_spectrum(arch, task, rep)
    # a Thm 1 (iv) point: unit H-1 (zero) becomes a combination, the others absorb it, then a random GL(H)
    b = arch.unpack(rep[None])
    V, U = b["V"][0].copy(), b["U"][0].copy()
    gu, gv = rng.uniform(-1, 1, len(S)), rng.uniform(-1, 1, len(S))
    sv = sum(gv[j] * V[j] for j in range(len(S)))
    U[H - 1] = sum(gu[j] * U[j] for j in range(len(S)))
    for j in range(len(S)):
        V[j] = V[j] - gu[j] * sv
    V[H - 1] = sv
    # well-conditioned random A (cond <= e) keeps theta O(1), so the gradient round-off stays ~1e-15
    Q1, _ = np.linalg.qr(rng.standard_normal((H, H)))
    Q2, _ = np.linalg.qr(rng.standard_normal((H, H)))
    point = _gl(arch, _pack(arch, V, U), Q1 @ np.diag(np.exp(rng.uniform(-0.5, 0.5, H))) @ Q2)
    assert gradient_norm(arch, task, point) <= 1e-10
    other = hessian_spectrum(arch, task, point)
    assert (other.morse_index, other.n_zero) == (base.morse_index, base.n_zero)
    assert base.morse_index == linear_morse_index(s.tolist(), S, H)


def test_conjecture_h_counterexample_rank_deficient():
    """s = (3, 1, 0): a zero unit may carry u in the null space of Sigma_yx (or v in its left null space). These
    points are on the component of W*_{1} but off the GL(H) orbit. The Morse index stays 2, but the nullity
    falls from 9 to 8, so 'the same inertia' fails here; only the Morse index carries over."""
    s = np.array([3.0, 1.0])
    arch = nm.build_architecture("linear-fc", d_in=3, d_out=3, width=3)
    task = nm.whitened(s, 3, 3)
    V, U = _linear_rep(arch, np.array([3.0, 1.0, 0.0]), [1])
    rep = hessian_spectrum(arch, task, _pack(arch, V, U))
    U[1, 2], V[2, 2] = 0.5, 0.35
    point = _pack(arch, V, U)
    assert gradient_norm(arch, task, point) <= 1e-12
    assert np.allclose(arch.effective_matrix(point[None])[0], np.diag([3.0, 0.0, 0.0]))
    gen = hessian_spectrum(arch, task, point)
    assert (rep.morse_index, rep.n_zero, rep.n_positive) == (2, 9, 7)
    assert (gen.morse_index, gen.n_zero, gen.n_positive) == (2, 8, 8)


# ------------------------------------------------------------------------------------------------ §3.3


def test_quadratic_zero_unit_rows_and_dormant_escape():
    arch = nm.build_architecture("quadratic", d_in=4, width=3)
    task = nm.QuadraticGaussianTask(np.diag([2.0, 1.0, -1.0, -2.0]))
    e = fixed_point_catalog(th.build("quadratic", d_in=4, width=3), th.QuadraticGaussianTask.diagonal(
        [2, 1, -1, -2]), certify=False).entry((1,))
    theta = _f(e.theta)
    Hm = nm.hessian(arch, task, theta)
    for i in (1, 2):
        v, u = unit_indices(arch)[i]
        assert np.max(np.abs(Hm[np.concatenate([v, u])])) <= RTOL * np.max(np.abs(Hm))
    spec_ = hessian_spectrum(arch, task, theta, hessian_matrix=Hm)
    assert spec_.morse_index == 0 and spec_.n_positive == 4
    B = dormant_unit_form(arch, task, theta, 1)
    assert np.allclose(-np.diag(B), [0, 2 / 3, -10 / 3, -16 / 3], atol=1e-12)
    assert np.allclose(B, np.diag(np.diag(B)), atol=1e-12)
    assert np.allclose(nm.hessian(arch, task, np.zeros(arch.n_params)), 0.0)
