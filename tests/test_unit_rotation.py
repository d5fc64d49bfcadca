"""Hessian spectra from the rotated, narrower network (numerics/unit_rotation.py, docs/theory.md §3.4).

The reduction must give the spectrum of the full central-difference Hessian, eigenvalue by eigenvalue.

Tolerance: both sides are central-difference Hessians. An entry carries an error of about
h²|∂³∇L|/6 + eps|∇L|/h with h = eps^(1/3)·max(1, |θ_j|), i.e. eps^(2/3)·(|∂³∇L| + |∇L|)·max(1, |θ|)² (numerics.hessian).
For the polynomial losses here (degree 4 in θ, 6 for the chain) the derivatives are bounded by
C = (1 + ‖Σ‖)·(1 + max|θ|)⁴. Weyl's inequality moves each eigenvalue by at most the error's spectral norm, at most n
times its largest entry. Hence tol = n·eps^(2/3)·C, for each side, so twice that for the difference.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics as N
from numerics import unit_rotation as R
from numerics.itinerary import MAX_HESSIAN_PARAMS

EPS23 = np.finfo(float).eps ** (2 / 3)


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    g = rng.standard_normal((d, d + 3))
    return g @ g.T / (d + 3) + 0.2 * np.eye(d)


def _case(kind: str, d_in: int, d_out: int, extra: int, seed: int):
    """(arch, task) for a rotation-invariant network ``extra`` units wider than m + 1."""
    rng = np.random.default_rng(seed)
    if kind == "attn-m":
        m = d_in * d_in + 1
        arch = N.build_architecture("attn-m", dim=d_in, width=m + 1 + extra)
        return arch, N.ICLTask(_spd(rng, d_in), 4)
    if kind == "linear-conv":
        k = min(d_out, d_in)
        m = (d_in - k + 1) + k
        arch = N.build_architecture("linear-conv", d_in=d_in, kernel=k, width=m + 1 + extra)
    elif kind == "deep-linear":
        arch = N.build_architecture("deep-linear", d_in=d_in, hidden=2, d_out=d_out, width=d_out + 2 + 1 + extra)
    elif kind == "fc-z-bias":
        arch = N.build_architecture("fc", activation="z", bias=True, d_in=d_in, d_out=d_out,
                                    width=d_out + d_in + 2 + extra)
    else:
        arch = N.build_architecture("linear-fc", d_in=d_in, d_out=d_out, width=d_out + d_in + 1 + extra)
    if arch.population_kind == "linear" and seed % 2 == 0:
        joint = _spd(rng, arch.output_dim + arch.input_dim)
        o = arch.output_dim
        return arch, N.LinearRegressionTask(joint[o:, o:], joint[:o, o:], joint[:o, :o])
    x = rng.standard_normal((15, arch.input_dim))
    return arch, N.Dataset(x, rng.standard_normal((15, arch.output_dim)))


def _tol(arch, task, th: np.ndarray) -> float:
    full = N.hessian(arch, task, th)
    c = (1.0 + float(np.abs(full).max())) * (1.0 + float(np.abs(th).max())) ** 4
    return 2.0 * arch.n_params * EPS23 * c


KINDS = ["linear-fc", "linear-conv", "attn-m", "deep-linear", "fc-z-bias"]


@settings(max_examples=25)
@given(kind=st.sampled_from(KINDS), d_in=st.integers(1, 3), d_out=st.integers(1, 3), extra=st.integers(1, 6),
       scale=st.sampled_from([1e-6, 0.05, 0.5, 1.0]), seed=st.integers(0, 2**31 - 1))
def test_reduced_spectrum_is_the_full_spectrum(kind, d_in, d_out, extra, scale, seed):
    arch, task = _case(kind, max(d_in, 2) if kind == "attn-m" else d_in, d_out, extra, seed)
    assert R.rotation_reduces(arch) and R.hessian_order(arch) < arch.n_params
    th = scale * np.random.default_rng(seed + 1).standard_normal(arch.n_params)
    lam = R.hessian_eigenvalues(arch, task, th)
    ref = np.linalg.eigvalsh(N.hessian(arch, task, th))
    assert lam.shape == ref.shape
    np.testing.assert_allclose(lam, ref, rtol=0, atol=_tol(arch, task, th))


@settings(max_examples=25)
@given(kind=st.sampled_from(KINDS), extra=st.integers(1, 4), seed=st.integers(0, 2**31 - 1))
def test_the_zero_unit_decouples_with_a_symmetric_spectrum(kind, extra, seed):
    """The rotated point has m nonzero units and one zero unit; the zero unit's rows vanish outside its own block,
    and that block [[0, C], [Cᵀ, 0]] has eigenvalues ±σ(C) and zeros: a spectrum symmetric about 0."""
    arch, task = _case(kind, 2, 2, extra, seed)
    th = np.random.default_rng(seed).standard_normal(arch.n_params)
    p = R.rotate_units(arch, th)
    np.testing.assert_array_equal(p.theta[p.dormant], 0.0)
    assert p.copies == arch.unit_count - (p.reduced.unit_count - 1)
    # same loss (the rotation is a symmetry) and the same function
    np.testing.assert_allclose(N.loss(p.reduced, task, p.theta[None])[0], N.loss(arch, task, th[None])[0],
                               rtol=1e-12, atol=1e-12)
    h = N.hessian(p.reduced, task, p.theta)
    keep = np.setdiff1d(np.arange(h.shape[0]), p.dormant)
    tol = _tol(p.reduced, task, p.theta)
    assert np.abs(h[np.ix_(keep, p.dormant)]).max() <= tol
    block = np.linalg.eigvalsh(h[np.ix_(p.dormant, p.dormant)])
    np.testing.assert_allclose(block, -block[::-1], rtol=0, atol=tol)


def test_networks_without_the_symmetry_are_not_reduced():
    """ReLU units are exchangeable but not linear in u: a rotation of the units changes the loss, so the reduction
    would be wrong there. The guard refuses it; the diagonal net's units are not exchangeable at all."""
    rng = np.random.default_rng(3)
    relu = N.build_architecture("relu-fc", d_in=2, d_out=1, width=8)
    x = rng.standard_normal((15, 2))
    task = N.Dataset(x, rng.standard_normal((15, 1)))
    th = rng.standard_normal(relu.n_params)
    q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
    b = relu.unpack(th[None])
    rotated = relu.pack({k: np.einsum("ij,bj...->bi...", q, v) for k, v in b.items()})
    assert abs(N.loss(relu, task, rotated)[0] - N.loss(relu, task, th[None])[0]) > 1e-3
    for arch in (relu, N.build_architecture("quadratic", width=9), N.build_architecture("diagonal-linear", dim=9),
                 N.build_architecture("tanh-fc", width=9), N.build_architecture("fc", activation="sin(z)", width=9)):
        assert not R.rotation_invariant(arch) and R.rotate_units(arch, np.ones(arch.n_params)) is None
        assert R.hessian_order(arch) == arch.n_params
    lin = N.build_architecture("linear-fc", d_in=2, d_out=2, width=9)
    thl = rng.standard_normal(lin.n_params)
    q9, _ = np.linalg.qr(rng.standard_normal((9, 9)))
    rot = lin.pack({k: np.einsum("ij,bj...->bi...", q9, v) for k, v in lin.unpack(thl[None]).items()})
    task2 = N.whitened([3.0, 1.0])
    np.testing.assert_allclose(N.loss(lin, task2, rot), N.loss(lin, task2, thl[None]), rtol=1e-12)


@pytest.mark.parametrize("width", [2, 5])
def test_narrow_networks_use_the_full_hessian(width):
    """linear-fc 2 → 2 has m = 4 parameters per unit: at H ≤ m + 1 = 5 nothing is gained and nothing is rotated."""
    arch = N.build_architecture("linear-fc", d_in=2, d_out=2, width=width)
    task = N.whitened([3.0, 1.0])
    th = np.random.default_rng(0).standard_normal(arch.n_params)
    assert not R.rotation_reduces(arch) and R.rotate_units(arch, th) is None
    np.testing.assert_array_equal(R.hessian_eigenvalues(arch, task, th), np.linalg.eigvalsh(N.hessian(arch, task, th)))


def test_itinerary_indices_unchanged_by_the_reduction(monkeypatch):
    """The same trajectory described with and without the reduction: identical Morse indices and labels, and λ_min
    within the tolerance of the module docstring."""
    arch = N.build_architecture("linear-fc", d_in=3, d_out=3, width=12)
    task = N.whitened([3.0, 2.0, 1.0])
    res = N.gradient_flow(lambda t: N.loss_and_grad(arch, task, t), N.init_params(arch, 1e-4, seed=2), 40.0)
    fast = N.itinerary(arch, task, res)
    it = importlib.import_module("numerics.itinerary")  # the package re-exports a function of the same name
    assert R.rotation_reduces(arch)
    monkeypatch.setattr(it, "rotation_reduces", lambda arch: False)
    slow = N.itinerary(arch, task, res)
    assert [v.label for v in fast] == [v.label for v in slow] and len(fast) >= 3
    assert [v.info.morse_index for v in fast] == [v.info.morse_index for v in slow]
    for a, b in zip(fast, slow, strict=True):
        assert abs(a.info.min_eigenvalue - b.info.min_eigenvalue) <= _tol(arch, task, a.theta)


def test_max_hessian_params_bounds_the_matrix_actually_built():
    """A network of 2400 parameters (above the 1500 limit) whose reduced Hessian has order 42 gets its index."""
    arch = N.build_architecture("linear-fc", d_in=3, d_out=3, width=400)
    assert arch.n_params > MAX_HESSIAN_PARAMS and R.hessian_order(arch) == 42
    task = N.whitened([3.0, 2.0, 1.0])
    info = N.describe_point(arch, task, N.init_params(arch, 1e-6, seed=0)[0])
    # at the origin region: every zero unit escapes along each of the 3 modes (docs/theory.md §3.2)
    assert info.morse_index == 400 * 3


@pytest.mark.parametrize("expression, linear", [("z", True), ("2*z", True), ("-z/3", True), ("z + 1", False),
                                                ("z + z**2/2", False), ("(abs(z + 7) - abs(z - 7))/2", False),
                                                ("Min(Max(z, -7), 7)", False), ("1.5*z", True),
                                                ("(abs(z + 10000) - abs(z - 10000))/2", False)])
def test_only_units_linear_everywhere_are_reduced(expression, linear):
    """Linearity is decided on the expression. The measured homogeneity (``linear_in_u``) sees a clip at |z| = 7
    but not one at 10⁴, beyond its probes; a rotation of either unit's rows changes the loss once pre-activations
    pass the clip, so neither is reduced."""
    arch = N.build_architecture("fc", activation=expression, d_in=3, d_out=1, width=8)
    assert arch.activation.linear is linear
    assert R.rotation_invariant(arch) is linear
    if not linear and "abs" in expression or "Min" in expression:
        assert arch.linear_in_u is ("10000" in expression)  # what the probes see
        clip = 1e4 if "10000" in expression else 7.0
        rng = np.random.default_rng(3)
        task = N.Dataset(clip / 2 * rng.standard_normal((20, 3)), rng.standard_normal((20, 1)))
        th = 3.0 * rng.standard_normal(arch.n_params)
        q, _ = np.linalg.qr(rng.standard_normal((8, 8)))
        rot = arch.pack({k: np.einsum("ij,bj...->bi...", q, v) for k, v in arch.unpack(th[None]).items()})
        assert abs(N.loss(arch, task, rot)[0] - N.loss(arch, task, th[None])[0]) > 1.0
    assert N.build_architecture("linear-fc").activation.linear


# ------------------------------------------------------------------------------------------- the flow, reduced
# The rotation P of the units commutes with every step that uses only ∇L (∇L(Pθ) = P∇L(θ)), and a zero unit's
# gradient is zero: training the width-m network from (R, shared) and lifting (M = Q₁R) is training the width-H one.


def _flow_case(kind: str, extra: int, seed: int):
    """A rotation-invariant network with H = m + extra units (more units than parameters per unit)."""
    arch, task = _case(kind, 2, 2, extra, seed)
    m = R.reduced_architecture(arch).unit_count
    return arch.resized(**{arch.family.unit_size: m + extra}), task


@settings(max_examples=25)
@given(kind=st.sampled_from(KINDS), extra=st.integers(1, 5), seed=st.integers(0, 2**31 - 1))
def test_gradient_descent_of_the_reduced_network_is_the_full_one(kind, extra, seed):
    """GD steps commute with the rotation exactly: after 200 steps the lifted θ equals the full run's θ to the
    round-off that 200 steps accumulate (each step ~eps·(1 + η‖H‖)·|θ|; bound 200·64·eps relative, with ‖H‖ ≤ 1/η)."""
    arch, task = _flow_case(kind, extra, seed)
    th0 = 0.3 * np.random.default_rng(seed).standard_normal((2, arch.n_params))
    red = R.reduce_units(arch, th0)
    assert red is not None and red.reduced.unit_count < arch.unit_count
    assert red.reduced.n_params < arch.n_params
    np.testing.assert_allclose(red.lift(0, red.theta0[:1])[0], th0[0], rtol=0, atol=64 * EPS * np.abs(th0).max())
    lr = 0.5 / (1.0 + np.abs(np.linalg.eigvalsh(N.hessian(arch, task, th0[0]))).max())
    full = N.gradient_descent(lambda t: N.loss_and_grad(arch, task, t), th0, lr, n_steps=200, save_every=200)
    small = N.gradient_descent(lambda t: N.loss_and_grad(red.reduced, task, t), red.theta0, lr, n_steps=200,
                               save_every=200)
    for b in range(2):
        lifted = red.lift(b, small[b].theta)
        scale = 1.0 + np.abs(full[b].theta).max()
        np.testing.assert_allclose(lifted, full[b].theta, rtol=0, atol=200 * 64 * EPS * scale)
        np.testing.assert_allclose(small[b].loss, full[b].loss, rtol=200 * 64 * EPS, atol=200 * 64 * EPS)


EPS = np.finfo(float).eps


def test_flow_of_the_reduced_network_follows_the_full_flow():
    """Adaptive flow at rtol 1e-10 on both networks (different error norms, so different steps): drop times and
    final losses agree to the accuracy either run has, ~1e-9 relative here (the DOP853 law of
    numerics.integrate.pairs gives 1.7e-8 for drop times at this rtol)."""
    arch = N.build_architecture("linear-fc", d_in=3, d_out=3, width=20)
    task = N.whitened([3.0, 2.0, 1.0])
    th0 = N.init_params(arch, 1e-4, seed=5, n_seeds=3)
    red = R.reduce_units(arch, th0)
    assert red.reduced.unit_count == 6 and red.theta0.shape == (3, 36)
    f_full = N.gradient_function(arch, task)
    f_small = N.gradient_function(red.reduced, task)
    full = N.gradient_flow(f_full, th0, 30.0, stiff_method="krylov")
    small = N.gradient_flow(f_small, red.theta0, 30.0, stiff_method="krylov")
    accuracy = N.integrate.EXPLICIT_PAIRS["DOP853"].drop_time_accuracy(1e-10)
    for a, b in zip(N.staircases_from_result(full, fun=f_full), N.staircases_from_result(small, fun=f_small),
                    strict=True):
        assert a.n_drops == b.n_drops >= 2
        np.testing.assert_allclose(b.drop_times, a.drop_times, rtol=2 * accuracy)
    np.testing.assert_allclose(small.loss_final, full.loss_final, rtol=1e-8, atol=1e-12)


def test_a_framed_result_reads_as_the_full_network():
    """A reduced run carrying its reduction (``frame``) gives the itinerary and the complexity trace of the network
    asked for: the same as its lifted copy, and the same labels and indices as the full run."""
    from dataclasses import replace

    arch = N.build_architecture("linear-fc", d_in=3, d_out=3, width=12)
    task = N.whitened([3.0, 2.0, 1.0])
    th0 = N.init_params(arch, 1e-4, seed=2, n_seeds=2)
    red = R.reduce_units(arch, th0)
    small = N.gradient_flow(N.gradient_function(red.reduced, task), red.theta0, 40.0)
    framed = replace(small, frame=red)
    lifted = framed.lifted()
    assert lifted.frame is None and lifted[1].theta.shape[1] == arch.n_params
    plain = N.gradient_flow(N.gradient_function(arch, task), th0, 40.0)
    assert plain.lifted() is plain
    for b in range(2):
        a, c, full = N.itinerary(arch, task, framed, b), N.itinerary(arch, task, lifted, b), N.itinerary(arch, task,
                                                                                                         plain, b)
        assert [v.label for v in a] == [v.label for v in c] == [v.label for v in full] and len(a) >= 3
        assert [v.info.morse_index for v in a] == [v.info.morse_index for v in full]
        np.testing.assert_array_equal(N.complexity_along(arch, framed, task, member=b).effective_width,
                                      N.complexity_along(arch, lifted, task, member=b).effective_width)


def test_the_flow_is_not_reduced_where_it_would_be_wrong_or_useless():
    """No reduction without the symmetry (ReLU, quadratic, tanh units) or with H ≤ m units (nothing to gain)."""
    for arch in (N.build_architecture("relu-fc", d_in=2, d_out=1, width=8), N.build_architecture("quadratic", width=9),
                 N.build_architecture("tanh-fc", width=9), N.build_architecture("linear-fc", d_in=2, d_out=2, width=4)):
        assert not R.flow_reduces(arch) and R.reduced_architecture(arch) is None
        assert R.reduce_units(arch, np.ones((2, arch.n_params))) is None
    assert R.flow_reduces(N.build_architecture("linear-fc", d_in=2, d_out=2, width=5))


@pytest.mark.parametrize("kind", KINDS)
def test_spectra_of_many_points_are_those_of_each_point(kind, monkeypatch):
    """hessian_eigenvalues_many and numerics.hessians, several points at once and in several blocks, give each
    point's own Hessian and spectrum (batched gradients: equal to round-off)."""
    arch, task = _case(kind, 2, 2, 3, 7)
    rng = np.random.default_rng(1)
    thetas = rng.standard_normal((5, arch.n_params)) * np.array([1e-6, 0.05, 0.5, 1.0, 1.0])[:, None]
    monkeypatch.setattr(importlib.import_module("numerics.objective"), "HESSIAN_BLOCK",
                        2 * R.hessian_order(arch) ** 2)  # blocks of two points
    many = R.hessian_eigenvalues_many(arch, task, thetas)
    hs = N.hessians(arch, task, thetas)
    for th, lam, h in zip(thetas, many, hs, strict=True):
        np.testing.assert_allclose(lam, R.hessian_eigenvalues(arch, task, th), rtol=0, atol=_tol(arch, task, th))
        ref = N.hessian(arch, task, th)
        np.testing.assert_allclose(h, ref, rtol=0, atol=1e-12 * (1.0 + np.abs(ref).max()))
    narrow = N.build_architecture("relu-fc", d_in=2, d_out=1, width=3)  # no reduction: the full Hessians
    x = rng.standard_normal((12, 2))
    data = N.Dataset(x, np.abs(x[:, :1]))
    pts = rng.standard_normal((3, narrow.n_params))
    np.testing.assert_allclose(R.hessian_eigenvalues_many(narrow, data, pts),
                               [np.linalg.eigvalsh(N.hessian(narrow, data, p)) for p in pts], rtol=0, atol=1e-9)
    with pytest.raises(N.InputError, match="thetas"):
        R.hessian_eigenvalues_many(arch, task, thetas[:, :-1])
    with pytest.raises(N.InputError, match="thetas"):
        N.hessians(arch, task, thetas[0])


def test_width_traces_of_a_reduced_run_are_read_without_mapping_back(monkeypatch):
    """complexity_along_many: the traces of all members, in blocks, equal one member at a time; with
    ``measure_only`` a reduced run's rank is read on its own θ (rotation invariant), equal to the lifted run's, and
    the per-unit counts, which a rotation changes, are not reported."""
    from dataclasses import replace

    C = importlib.import_module("numerics.complexity")  # the package re-exports a function of the same name

    arch = N.build_architecture("linear-fc", d_in=3, d_out=3, width=12)
    task = N.whitened([3.0, 2.0, 1.0])
    th0 = N.init_params(arch, 1e-4, seed=2, n_seeds=3)
    red = R.reduce_units(arch, th0)
    framed = replace(N.gradient_flow(N.gradient_function(red.reduced, task), red.theta0, 40.0), frame=red)
    lifted = framed.lifted()
    monkeypatch.setattr(C, "ALONG_BLOCK", 40 * arch.n_params)  # several blocks, members split across none
    for res in (framed, lifted):
        many = N.complexity_along_many(arch, res, task, max_points=30)
        for b, tr in enumerate(many):
            one = N.complexity_along(arch, lifted, task, member=b, max_points=30)
            np.testing.assert_array_equal(tr.t, one.t)
            np.testing.assert_array_equal(tr.effective_width, one.effective_width)
            assert set(tr.details) == set(one.details) >= {"rank", "active_units"}
            for k in one.details:
                np.testing.assert_array_equal(tr.details[k], one.details[k])
    only = N.complexity_along_many(arch, framed, task, [2, 0], measure_only=True)
    for b, tr in zip([2, 0], only, strict=True):
        full = N.complexity_along(arch, lifted, task, member=b)
        assert set(tr.details) == {"rank"} and tr.measure == "rank"
        np.testing.assert_array_equal(tr.effective_width, full.effective_width)
        assert list(tr.effective_width[[0, -1]]) == [0, 3]
    # a measure that a rotation changes is read on the lifted θ: counting units of the reduced run would give at
    # most its m nonzero units
    monkeypatch.setattr(C, "ROTATION_INVARIANT_MEASURES", frozenset())
    units = N.complexity_along_many(replace(arch, measure="active_units"), framed, task, [0], measure_only=True)[0]
    ref = N.complexity_along(arch, lifted, task, member=0)
    np.testing.assert_array_equal(units.effective_width, ref.details["active_units"])
