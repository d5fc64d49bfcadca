"""numerics.manifolds: distances to the Theorem 3 sets, effective width, and GD exactness (spec §1.4, §4.2)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics
from numerics.errors import InputError
from numerics.manifolds import (
    WidthTolerance,
    effective_width,
    effective_width_trajectory,
    equal_unit_distance,
    proportional_distance,
    rank_distance,
    ratio_deviation,
    unit_matrix,
    unit_norms,
    unit_params,
    zero_unit_distance,
)


def _relu():
    return numerics.build_architecture("relu-fc", d_in=2, d_out=1, width=3)


def test_unit_params_layout():
    arch = numerics.build_architecture("attn-s", dim=2, width=2, rank=1)
    th = np.arange(arch.n_params, dtype=float)[None]
    p = unit_params(arch, th)
    # V (2,1) then K (2,1,2) then Q (2,1,2): unit 1 = (v_1, k_1, q_1).
    assert p.shape == (1, 2, 5)
    assert p[0, 0].tolist() == [0, 2, 3, 6, 7]
    deep = numerics.build_architecture("deep-linear")
    assert unit_params(deep, np.zeros((1, deep.n_params))).shape == (1, 2, 4)  # W1 is not a unit block


def test_distances_on_the_sets():
    arch = _relu()
    rng = np.random.default_rng(0)
    th = rng.standard_normal((1, arch.n_params))
    b = arch.unpack(th)
    b["V"][:, 1] = b["V"][:, 0]
    b["U"][:, 1] = b["U"][:, 0]
    b["V"][:, 2] = 0.0
    b["U"][:, 2] = 0.0
    th = arch.pack(b)
    assert equal_unit_distance(arch, th)[0, 0, 1] == 0
    assert zero_unit_distance(arch, th)[0, 2] == 0
    assert np.isclose(zero_unit_distance(arch, th).max(), 1.0)
    assert proportional_distance(arch, th)[0, 0, 1] < 1e-7


@settings(max_examples=50)
@given(gamma=st.floats(-5, 5).filter(lambda g: abs(g) > 1e-3), seed=st.integers(0, 1000))
def test_proportional_distance_respects_the_field(gamma, seed):
    arch = _relu()
    th = np.random.default_rng(seed).standard_normal((1, arch.n_params))
    p = unit_params(arch, th)
    b = arch.unpack(th)
    b["V"][:, 2] = gamma * p[:, 0, :1]
    b["U"][:, 2] = gamma * p[:, 0, 1:]
    th = arch.pack(b)
    d_relu = proportional_distance(arch, th)[0, 2, 0]
    d_any = proportional_distance(arch, th, nonnegative=False)[0, 2, 0]
    assert d_any < 1e-7
    assert (d_relu < 1e-7) if gamma > 0 else (d_relu == 1.0)


@settings(max_examples=50)
@given(seed=st.integers(0, 1000), k=st.integers(0, 3))
def test_rank_distance_is_eckart_young(seed, k):
    m = np.random.default_rng(seed).standard_normal((2, 4, 3))
    s = np.linalg.svd(m, compute_uv=False)
    d = rank_distance(m, k, scale=1.0)
    assert np.allclose(d, np.sqrt(np.sum(s[:, k:] ** 2, axis=1)))
    u, sv, vt = np.linalg.svd(m[0])
    best = (u[:, :k] * sv[:k]) @ vt[:k]
    assert np.isclose(np.linalg.norm(m[0] - best), d[0])


def test_effective_width_kinds():
    lin = numerics.build_architecture("linear-fc", d_in=3, d_out=3, width=4)
    th = np.zeros((1, lin.n_params))
    b = lin.unpack(th)
    b["V"][0, 0] = [1, 0, 0]
    b["U"][0, 0] = [2, 0, 0]
    b["V"][0, 1] = [0, 1, 0]
    b["U"][0, 1] = [0, 1e-3, 0]  # dormant mode: O(ε) singular value
    th = lin.pack(b)
    assert np.allclose(unit_matrix(lin, th)[0], np.diag([2, 1e-3, 0]))
    assert effective_width(lin, th)[0] == 1  # kind auto -> rank for linear φ
    assert effective_width(lin, th, kind="rank", scale=1e-3)[0] == 2
    relu = _relu()
    th = np.zeros((1, relu.n_params))
    b = relu.unpack(th)
    b["V"][0, :, 0] = [1.0, 2.0, 1.0]
    b["U"][0, 0] = [1, 0, 0]
    b["U"][0, 1] = [2, 0, 0]  # same ray as unit 1
    b["U"][0, 2] = [-1, 0, 0]  # opposite ray: distinct for ReLU
    th = relu.pack(b)
    assert effective_width(relu, th)[0] == 2
    quad = numerics.build_architecture("quadratic", d_in=2, d_out=1, width=3)
    th = np.array([[1.0, 0.01, 0.0, 1.0, 0.0, 0.0, 0.01, 0.0, 0.0]])
    assert effective_width(quad, th)[0] == 1
    with pytest.raises(InputError):
        effective_width(quad, th, kind="nope")
    with pytest.raises(InputError):
        WidthTolerance(rel=2.0)


def test_effective_width_trajectory_uses_the_run_scale():
    quad = numerics.build_architecture("quadratic", d_in=2, d_out=1, width=2)
    task = numerics.QuadraticGaussianTask(np.diag([2.0, -1.0]))
    th0 = numerics.init_params(quad, 1e-2, seed=0)
    th, saved = th0.copy(), [th0[0].copy()]
    for k in range(6000):
        _, g = numerics.loss_and_grad(quad, task, th)
        th = th - 0.01 * g
        if k % 50 == 0:
            saved.append(th[0].copy())
    w = effective_width_trajectory(quad, np.array(saved))
    assert w[0] == 0 and w[-1] >= 1 and np.all(np.diff(w) >= 0)
    assert np.max(unit_norms(quad, np.array(saved))) > 0.5


def test_gd_keeps_a_relu_ratio_to_roundoff():
    """Spec §4.2: θ_3 = 0.6 θ_1 on a ReLU net survives GD to round-off (2 000 steps here; 20 000 in claim C2)."""
    arch = _relu()
    rng = np.random.default_rng(1)
    x = rng.standard_normal((10, 2))
    task = numerics.Dataset(x, np.cos(x[:, :1]))
    th = rng.standard_normal((1, arch.n_params)) * 0.5
    b = arch.unpack(th)
    b["V"][:, 2] = 0.6 * b["V"][:, 0]
    b["U"][:, 2] = 0.6 * b["U"][:, 0]
    th = arch.pack(b)
    i_idx = np.r_[2, 3 + 6, 3 + 7, 3 + 8]
    j_idx = np.r_[0, 3, 4, 5]
    for _ in range(2000):
        _, g = numerics.loss_and_grad(arch, task, th)
        th = th - 0.02 * g
    assert ratio_deviation(th, i_idx, j_idx, 0.6)[0] < 1e-13
