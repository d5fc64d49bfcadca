"""The built-in units' kernels and the pointwise models' forward/pull-back (docs/theory.md §1.1): σ, σ′, σ″ equal to
the formulas the models always used (bitwise) and to finite differences; the in-place kernels equal to the public
ones and never writing into what the caller owns; the fc and conv gradients equal to an independent einsum
reference in the previous samples × units layout, block by block or whole."""

from __future__ import annotations

import numpy as np
import pytest

import numerics
from numerics import Dataset, build_architecture, gradient_function, init_params, loss_and_grad
from numerics.activation import BUILTIN_ACTIVATIONS, TANH, Activation, InPlace
from numerics.models import conv, pointwise

# The formulas of the built-ins before their kernels ran in place (σ, σ′(z, a), σ″), written out independently.
PREVIOUS = {
    "identity": (lambda z: z, None, lambda z: np.zeros(np.shape(z))),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: z > 0.0, lambda z: np.zeros(np.shape(z))),
    "square": (np.square, lambda z, a: 2.0 * z, lambda z: np.full(np.shape(z), 2.0)),
    "cube": (lambda z: z * z * z, lambda z, a: 3.0 * z * z, lambda z: 6.0 * z),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a, lambda z: -2.0 * np.tanh(z) * (1.0 - np.tanh(z) * np.tanh(z))),
    "xtanh": (lambda z: z * np.tanh(z),
              lambda z, a: np.tanh(z) + z * (1.0 - np.tanh(z) * np.tanh(z)),
              lambda z: 2.0 * (1.0 - np.tanh(z) ** 2) * (1.0 - z * np.tanh(z))),
}
UNITS = list(BUILTIN_ACTIVATIONS.values())


def _grid() -> np.ndarray:
    rng = np.random.default_rng(5)
    special = [0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 20.0, -20.0, 1e3, -1e3]
    return np.concatenate([special, np.linspace(-4.0, 4.0, 81), 3.0 * rng.standard_normal(329)]).reshape(3, 7, 20)


def _prime(act: Activation, z: np.ndarray) -> np.ndarray:
    return np.ones_like(z) if act.prime is None else np.asarray(act.prime(z, act.sigma(z)), dtype=np.float64)


def test_every_builtin_has_its_previous_formula():
    assert set(PREVIOUS) == set(BUILTIN_ACTIVATIONS)


@pytest.mark.parametrize("act", UNITS, ids=lambda a: a.name)
def test_public_kernels_equal_the_previous_formulas_bitwise_and_leave_inputs_alone(act):
    sigma, prime, second = PREVIOUS[act.name]
    z = _grid()
    keep = z.copy()
    a = act.sigma(z)
    a_keep = np.array(a, copy=True)
    np.testing.assert_array_equal(a, sigma(keep))
    np.testing.assert_array_equal(act.second(z), second(keep))
    if prime is None:
        assert act.prime is None
    else:
        np.testing.assert_array_equal(act.prime(z, a), prime(keep, a_keep))
    np.testing.assert_array_equal(z, keep)  # the caller's z and a are read, never written
    np.testing.assert_array_equal(a, a_keep)


@pytest.mark.parametrize("act", UNITS, ids=lambda a: a.name)
def test_public_kernels_take_scalars_and_zero_d_arrays(act):
    sigma, prime, second = PREVIOUS[act.name]
    for z in (0.7, np.float64(-1.3), np.array(0.4)):
        a = act.sigma(z)
        assert np.shape(a) == () and float(a) == float(sigma(z))
        assert float(act.second(z)) == float(second(z))
        if prime is not None:
            assert float(act.prime(z, a)) == float(prime(z, a))


@pytest.mark.parametrize("act", UNITS, ids=lambda a: a.name)
def test_derivatives_match_finite_differences(act):
    z = np.linspace(-3.0, 3.0, 121)
    z = z[np.abs(z) > 1e-3]  # relu's kink
    h = 1e-5
    fd1 = (act.sigma(z + h) - act.sigma(z - h)) / (2 * h)
    fd2 = (_prime(act, z + h) - _prime(act, z - h)) / (2 * h)
    np.testing.assert_allclose(_prime(act, z), fd1, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(act.second(z), fd2, rtol=1e-7, atol=1e-7)


def test_a_wrong_derivative_fails_the_finite_difference_check():
    wrong = Activation("tanh", np.tanh, lambda z, a: 1.0 - a, TANH.second)
    with pytest.raises(AssertionError):
        test_derivatives_match_finite_differences(wrong)


@pytest.mark.parametrize("act", UNITS, ids=lambda a: a.name)
def test_in_place_kernels_equal_the_public_ones(act):
    z = _grid()
    a_pub = act.sigma(z.copy())
    a, saved = act.activate(z.copy())
    np.testing.assert_array_equal(a, a_pub)
    dz = np.random.default_rng(1).standard_normal(z.shape)
    want = dz * _prime(act, z) if act.prime is not None else dz.copy()
    a_keep, saved_keep = a.copy(), [s.copy() for s in saved]
    got = act.pull_back(dz.copy(), a, saved)
    np.testing.assert_array_equal(got, want)
    # a and saved are only read: a second pull-back, and one on matching slices, give the same numbers.
    np.testing.assert_array_equal(a, a_keep)
    for s, k in zip(saved, saved_keep, strict=True):
        np.testing.assert_array_equal(s, k)
    np.testing.assert_array_equal(act.pull_back(dz.copy(), a, saved), want)
    rows = slice(1, 3)
    np.testing.assert_array_equal(act.pull_back(dz[rows].copy(), a[rows], tuple(s[rows] for s in saved)),
                                  want[rows])


def test_compiled_units_run_their_own_callables():
    act = numerics.compile_activation("sin(z)")
    assert act.inplace is None
    z = _grid()
    a, saved = act.activate(z.copy())
    np.testing.assert_array_equal(a, np.sin(z))
    dz = np.ones_like(z)
    np.testing.assert_array_equal(act.pull_back(dz, a, saved), np.cos(z))
    assert isinstance(TANH.inplace, InPlace)


# --- the models ------------------------------------------------------------------------------------------------

def _reference(arch, X, y, theta):
    """(L, ∇L) in the previous samples × units layout, by einsum, with the PREVIOUS formulas (or the compiled
    callables of a user's unit)."""
    name = arch.activation.name
    sigma, prime = PREVIOUS[name][:2] if name in PREVIOUS else (arch.activation.sigma, arch.activation.prime)
    m, p = theta.shape[0], X.shape[0]
    b = {n: theta[:, cols].reshape((m, *shape)) for n, cols, shape in arch.block_spans}
    V, U = b["V"], b["U"]
    if arch.family is numerics.FAMILIES["conv"]:
        K = U.shape[2]
        idx = np.arange(X.shape[1] - K + 1)[:, None] + np.arange(K)[None, :]
        Xp = X[:, idx]  # (P, L, K)
        z = np.einsum("plk,bhk->bplh", Xp, U)
        a = sigma(z)
        r = np.einsum("bplh,bhl->bp", a, V)[:, :, None] - y
        dz = r[:, :, 0, None, None] / p * np.transpose(V, (0, 2, 1))[:, None] * prime(z, a)
        gV = np.einsum("bp,bplh->bhl", r[:, :, 0] / p, a)
        gU = np.einsum("bplh,plk->bhk", dz, Xp)
    else:
        Xa = np.concatenate([X, np.ones((p, 1))], axis=1) if arch.bias else X
        z = np.einsum("pd,bhd->bph", Xa, U)
        a = sigma(z)
        r = np.einsum("bph,bho->bpo", a, V) - y
        dz = np.einsum("bpo,bho->bph", r / p, V) * prime(z, a)
        gV = np.einsum("bph,bpo->bho", a, r / p)
        gU = np.einsum("bph,pd->bhd", dz, Xa)
    grad = np.empty_like(theta)
    for n, cols, _ in arch.block_spans:
        grad[:, cols] = {"V": gV, "U": gU}[n].reshape(m, -1)
    return 0.5 / p * np.sum(r * r, axis=(1, 2)), grad


ARCHS = {
    "tanh-fc": lambda: build_architecture("tanh-fc", d_in=3, d_out=2, width=4),
    "relu-fc": lambda: build_architecture("relu-fc", d_in=2, width=5),
    "xtanh-fc": lambda: build_architecture("xtanh-fc", d_in=3, width=3),
    "cubic": lambda: build_architecture("cubic", d_in=2, d_out=2, width=3),
    "relu-conv": lambda: build_architecture("relu-conv", d_in=5, kernel=2, width=3),
    "fc[square]": lambda: build_architecture("fc", activation=BUILTIN_ACTIVATIONS["square"], d_in=2, width=3),
    "fc[sin]": lambda: build_architecture("fc", activation="sin(z)", d_in=2, d_out=2, width=3),
    "conv[z*tanh(z)]": lambda: build_architecture("conv", activation="z*tanh(z)", d_in=4, kernel=2, width=2),
}


@pytest.mark.parametrize("label", list(ARCHS))
@pytest.mark.parametrize("chunk", [None, 7])
def test_gradient_equals_the_reference_and_inputs_are_untouched(label, chunk, monkeypatch):
    if chunk is not None:  # a block of at most 7 elements: one member per block
        monkeypatch.setattr(pointwise, "CHUNK_ELEMENTS", chunk)
    arch = ARCHS[label]()
    rng = np.random.default_rng(len(label))
    X, y = rng.standard_normal((13, arch.input_dim)), rng.standard_normal((13, arch.output_dim))
    task = Dataset(X, y)
    theta = init_params(arch, 0.8, seed=2, n_seeds=6)
    keep = (theta.copy(), task.x.copy(), task.y.copy())
    value, grad = gradient_function(arch, task)(theta)
    want_value, want_grad = loss_and_grad(arch, task, theta)
    np.testing.assert_array_equal(value, want_value)
    np.testing.assert_array_equal(grad, want_grad)
    ref_value, ref_grad = _reference(arch, X, y, theta)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-11, atol=1e-13 * (1.0 + np.max(np.abs(ref_grad))))
    for now, before in zip((theta, task.x, task.y), keep, strict=True):
        np.testing.assert_array_equal(now, before)


def test_blocks_change_no_number(monkeypatch):
    arch = build_architecture("xtanh-fc", d_in=2, d_out=2, width=4)
    task = Dataset(*(np.random.default_rng(3).standard_normal((9, k)) for k in (2, 2)))
    theta = init_params(arch, 0.6, seed=4, n_seeds=10)
    whole = gradient_function(arch, task)(theta)
    monkeypatch.setattr(pointwise, "CHUNK_ELEMENTS", 3 * 4 * 9)  # blocks of 3 members, the last one of 1
    blocked = gradient_function(arch, task)(theta)
    for w, b in zip(whole, blocked, strict=True):
        np.testing.assert_array_equal(w, b)


@pytest.mark.parametrize("which", ["fc", "conv"])
def test_forward_pullback_leaves_blocks_data_and_cotangent_alone(which):
    rng = np.random.default_rng(9)
    V, U = rng.standard_normal((4, 3, 2 if which == "fc" else 3)), rng.standard_normal((4, 3, 2))
    X, dF = rng.standard_normal((6, 2 if which == "fc" else 4)), rng.standard_normal((4, 6, 2 if which == "fc" else 1))
    arrays = (V, U, X, dF)
    keep = [x.copy() for x in arrays]
    for act in UNITS:
        if which == "fc":
            F, pull = pointwise.fc_forward_pullback(V, U, X, act, False)
        else:
            F, pull = conv.conv_forward_pullback(V, U, X, act)
        first = pull(dF)
        second = pull(dF)  # the pull-back may run twice: it reads a and saved only
        for g1, g2 in zip(first, second, strict=True):
            np.testing.assert_array_equal(g1, g2)
        for x, k in zip(arrays, keep, strict=True):
            np.testing.assert_array_equal(x, k)
