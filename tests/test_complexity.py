"""Complexity measures of spec §1.4 on constructed weights with known answers, and along a gradient flow."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics as N
from numerics.complexity import (
    complexity,
    complexity_along,
    count_rays,
    effective_width,
    icl_optimum,
    merge_points,
    target_scale,
    thresholds,
)

EPS = 1e-3


def _noise(shape, seed=0, scale=EPS):
    return np.random.default_rng(seed).standard_normal(shape) * scale


def test_linear_rank_with_dormant_noise():
    # W = diag(4, 2, 0) learned by two balanced units, every other weight O(ε): rank 2 at threshold 0.1·s_min = 0.1.
    arch = N.build_architecture("linear-fc", d_in=3, d_out=3, width=5)
    V, U = _noise((5, 3), 1), _noise((5, 3), 2)
    V[0, 0] = U[0, 0] = 2.0
    V[1, 1] = U[1, 1] = np.sqrt(2.0)
    theta = arch.pack({"V": V[None], "U": U[None]})
    task = N.whitened([4.0, 2.0, 1.0])
    c = complexity(arch, theta, task)
    assert c.measure == "rank" and c.effective_width.tolist() == [2]
    assert c.thresholds.matrix == pytest.approx(0.1)  # 0.1 · min_k s_k
    # At the initial scale nothing is learned.
    assert effective_width(arch, N.init_params(arch, EPS, n_seeds=3), task).tolist() == [0, 0, 0]


def test_thresholds_follow_the_target_scale():
    arch = N.build_architecture("quadratic", d_in=4, width=3)
    thr = thresholds(arch, N.QuadraticGaussianTask(np.diag([2.0, 1.0, -1.0, -2.0])))
    assert thr.scale == pytest.approx(1.0) and thr.unit == pytest.approx(0.1)  # 0.1 · 1^(1/3)
    relu = N.build_architecture("relu-fc", d_in=1, width=2)
    assert thresholds(relu, scale=4.0).unit == pytest.approx(0.2)  # 0.1 · 4^(1/2), p = 1


def test_icl_optimum_diagonal_closed_form():
    lam, n = np.array([1.0, 0.5, 0.25]), 32
    m = icl_optimum(N.ICLTask(np.diag(lam), n))
    expected = 1.0 / (lam * (1 + (1 + lam.sum() / lam) / n))  # spec §6.8, Eq. 11
    np.testing.assert_allclose(m, np.diag(expected), rtol=1e-12, atol=1e-14)
    assert target_scale(N.build_architecture("attn-s", dim=3), N.ICLTask(np.diag(lam), n)) == pytest.approx(
        expected.min())


def test_quadratic_active_units():
    arch = N.build_architecture("quadratic", d_in=4, width=6)
    V, U = _noise((6, 1), 3), _noise((6, 4), 4)
    V[0, 0], U[0] = 1.0, [1.4, 0, 0, 0]  # learned units of size O(1)
    V[1, 0], U[1] = -0.8, [0, 0, 0, 1.1]
    V[2, 0], U[2] = 0.05, [0.05, 0, 0, 0]  # recruiting unit, norm 0.07 < floor 0.1
    theta = arch.pack({"V": V[None], "U": U[None]})
    c = complexity(arch, theta, N.QuadraticGaussianTask(np.diag([2.0, 1.0, -1.0, -2.0])))
    assert c.measure == "active_units" and c.effective_width.tolist() == [2]


def test_relu_rays_and_kinks():
    # Units 0, 1, 2 share the ray of (1, -0.5) (positive multiples); unit 3 is the opposite ray with the same kink;
    # unit 4 has its own kink; unit 5 is dormant.
    arch = N.build_architecture("relu-fc", d_in=1, width=6)
    U = np.array([[1.0, -0.5], [2.0, -1.0], [0.5, -0.25], [-1.0, 0.5], [1.0, 0.3], [1e-3, 2e-3]])
    V = np.array([[1.0], [0.5], [1.0], [1.0], [-1.0], [1e-3]])
    theta = arch.pack({"V": V[None], "U": U[None]})
    c = complexity(arch, theta, scale=1.0)
    assert c.measure == "rays" and c.effective_width.tolist() == [3]
    assert c.details["n_kinks"].tolist() == [2]
    np.testing.assert_allclose(c.details["kinks"][0], [-0.3, 0.5])


def test_relu_conv_kernel_rays():
    arch = N.build_architecture("relu-conv", d_in=4, kernel=2, width=3)
    U = np.array([[1.0, 1.0], [2.0, 2.0], [1.0, -1.0]])
    V = np.ones((3, 3))
    assert effective_width(arch, arch.pack({"V": V[None], "U": U[None]}), scale=1.0).tolist() == [2]


@settings(max_examples=40, deadline=None)
@given(angle=st.floats(1e-4, 0.5), seed=st.integers(0, 10_000))
def test_count_rays_cosine_threshold(angle, seed):
    # Two unit vectors at angle a are one ray iff cos a > 1 − 1e-3, i.e. a < arccos(1 − 1e-3) ≈ 0.0447.
    rng = np.random.default_rng(seed)
    e1, e2 = np.linalg.qr(rng.standard_normal((3, 2)))[0].T
    d = np.stack([e1, np.cos(angle) * e1 + np.sin(angle) * e2]) * rng.uniform(0.5, 2.0, (2, 1))
    boundary = np.arccos(1 - 1e-3)
    if abs(angle - boundary) > 1e-6:
        assert count_rays(d) == (1 if angle < boundary else 2)


def test_merge_points():
    np.testing.assert_allclose(merge_points([0.5, 0.5004, -2.0, 3.0]), [-2.0, 0.5, 3.0])


def test_linear_conv_deep_diagonal_attention():
    conv = N.build_architecture("linear-conv", d_in=3, kernel=2, width=3)
    V, U = _noise((3, 2), 5), _noise((3, 2), 6)
    V[0], U[0] = [1.0, 0.0], [1.0, 0.0]
    V[1], U[1] = [0.0, 1.0], [0.0, 1.0]
    task = N.LinearRegressionTask(np.eye(3), np.array([[1.0, 0.0, 1.0]]), np.array([[2.0]]))
    c = complexity(conv, conv.pack({"V": V[None], "U": U[None]}), task)
    assert c.measure == "kernel_rank" and c.effective_width.tolist() == [2]

    deep = N.build_architecture("deep-linear", d_in=2, hidden=2, width=2, d_out=2)
    blocks = {"V": np.eye(2)[None], "U": np.diag([1.0, 0.0])[None], "W1": np.eye(2)[None]}
    c = complexity(deep, deep.pack(blocks), N.whitened([1.0, 0.5]))
    assert c.effective_width.tolist() == [1] and c.details["layer_ranks"].tolist() == [[2, 1, 2]]

    diag = N.build_architecture("diagonal-linear", dim=3)
    theta = diag.pack({"V": np.array([[[1.0], [EPS], [2.0]]]), "U": np.array([[[1.0], [EPS], [0.5]]])})
    task = N.LinearRegressionTask(np.eye(3), np.array([[1.0, 0.5, 1.0]]), np.array([[2.25]]))
    assert effective_width(diag, theta, task).tolist() == [2]

    attn = N.build_architecture("attn-m", dim=2, width=3)
    icl = N.ICLTask(np.eye(2), 16)
    small = N.init_params(attn, EPS)
    big = attn.pack({"V": np.array([[[1.0], [0.0], [0.0]]]), "U": np.eye(2)[None, None].repeat(3, 1)})
    assert effective_width(attn, np.concatenate([small, big]), icl).tolist() == [0, 1]


def test_complexity_along_linear_flow():
    # Whitened linear net, s = (3, 2, 1): the rank climbs 0 → 1 → 2 → 3 one step at a time (spec §5.1).
    arch = N.build_architecture("linear-fc", d_in=3, d_out=3, width=4)
    task = N.whitened([3.0, 2.0, 1.0])
    res = N.gradient_flow(lambda th: N.loss_and_grad(arch, task, th), N.init_params(arch, 1e-6), 40.0)
    tr = complexity_along(arch, res, task)
    assert [w for _, w in tr.changes()] == [0, 1, 2, 3]
    thin = complexity_along(arch, res, task, max_points=20)
    assert thin.t.size == 20 and thin.effective_width[0] == 0 and thin.effective_width[-1] == 3
