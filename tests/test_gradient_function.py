"""The prepared objective numerics.gradient_function (docs/theory.md §0.3, §1.3): equal to loss_and_grad on every
architecture and task kind, to an independent reference (forward pass, effective matrix), row by row, with fresh
arrays per call, and refusing an incompatible (arch, task) when it is prepared."""

from __future__ import annotations

import numpy as np
import pytest

import numerics
from numerics import (
    ARCHITECTURE_NAMES,
    Dataset,
    ICLTask,
    InputError,
    LinearRegressionTask,
    QuadraticGaussianTask,
    build_architecture,
    gradient_function,
    init_params,
    loss_and_grad,
    sample_icl_dataset,
)

# Small sizes (conventions' keywords); every built-in appears.
SIZES: dict[str, dict[str, int]] = {
    "linear-fc": {"d_in": 3, "d_out": 2, "width": 4},
    "linear-conv": {"d_in": 5, "kernel": 2, "width": 3},
    "relu-fc": {"d_in": 2, "d_out": 2, "width": 3},
    "relu-conv": {"d_in": 4, "kernel": 3, "width": 2},
    "quadratic": {"d_in": 3, "width": 3},
    "attn-s": {"dim": 3, "width": 2, "rank": 2},
    "attn-m": {"dim": 2, "width": 3},
    "tanh-fc": {"d_in": 2, "d_out": 2, "width": 3},
    "xtanh-fc": {"d_in": 3, "width": 2},
    "cubic": {"d_in": 2, "d_out": 2, "width": 2},
    "deep-linear": {"d_in": 3, "hidden": 2, "width": 3, "d_out": 2},
    "diagonal-linear": {"dim": 4},
}
USER_UNITS = {
    "fc[sin]": lambda: build_architecture("fc", activation="sin(z)", d_in=2, d_out=1, width=3),
    "fc[tanh, bias]": lambda: build_architecture("fc", activation="tanh(z)", bias=True, d_in=2, width=2),
    "conv[z*tanh(z)]": lambda: build_architecture("conv", activation="z*tanh(z)", d_in=4, kernel=2, width=2),
}


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    g = rng.standard_normal((d, d + 3))
    return g @ g.T / (d + 3) + 0.2 * np.eye(d)


def _tasks(arch, rng: np.random.Generator) -> list:
    """The population task of ``arch`` (if it has one) and a dataset: every task kind it takes."""
    if arch.is_attention:
        lam = _spd(rng, arch.input_dim)
        return [ICLTask(lam, 4), sample_icl_dataset(lam, 4, 9, rng)]
    out: list = []
    if arch.population_kind == "linear":
        joint = _spd(rng, arch.output_dim + arch.input_dim)  # noisy target: L* > 0
        o = arch.output_dim
        out.append(LinearRegressionTask(joint[o:, o:], joint[:o, o:], joint[:o, :o]))
    if arch.population_kind == "quadratic":
        a = rng.standard_normal((arch.input_dim,) * 2)
        out.append(QuadraticGaussianTask(a + a.T, _spd(rng, arch.input_dim)))
    out.append(Dataset(rng.standard_normal((11, arch.input_dim)), rng.standard_normal((11, arch.output_dim))))
    return out


def _cases():
    archs = {name: (lambda n=name: build_architecture(n, **SIZES[n])) for name in ARCHITECTURE_NAMES}
    for label, build in {**archs, **USER_UNITS}.items():
        arch = build()
        for k, task in enumerate(_tasks(arch, np.random.default_rng(len(label)))):
            yield pytest.param(arch, task, id=f"{label}-{type(task).__name__}-{k}")


CASES = list(_cases())


def test_every_architecture_has_a_case():
    names = {p.values[0].name for p in CASES}
    assert set(ARCHITECTURE_NAMES) <= names
    kinds = {type(p.values[1]).__name__ for p in CASES}
    assert kinds == {"LinearRegressionTask", "QuadraticGaussianTask", "ICLTask", "Dataset", "ICLDataset"}


def _reference(arch, task, theta):
    """(L, ∇L) by the public, validating building blocks: the conventions' expanded closed forms on
    arch.effective_matrix with arch.effective_matrix_vjp, or arch.forward / arch.vjp on a dataset."""
    if isinstance(task, LinearRegressionTask):
        W = arch.effective_matrix(theta)
        sxx, syx, syy = task.sigma_xx, task.sigma_yx, task.sigma_yy
        L = 0.5 * np.trace(syy) - np.einsum("bij,ij->b", W, syx) + 0.5 * np.einsum("bij,jk,bik->b", W, sxx, W)
        return L, arch.effective_matrix_vjp(theta, W @ sxx - syx)
    if isinstance(task, QuadraticGaussianTask):
        M = arch.effective_matrix(theta)
        DS = (task.a - M) @ task.sigma
        tr = np.trace(DS, axis1=1, axis2=2)
        L = np.einsum("bij,bji->b", DS, DS) + 0.5 * tr**2
        return L, arch.effective_matrix_vjp(theta, -(2 * task.sigma @ DS + tr[:, None, None] * task.sigma))
    if isinstance(task, ICLTask):
        M = arch.effective_matrix(theta)
        lam, n = task.lam, task.context
        a, c = 1 + 1 / n, np.trace(lam) / n
        # ½[tr Λ − 2 tr(ΛMΛ) + a tr(Λ²MΛMᵀ) + c tr(ΛMΛMᵀ)], each trace tr(X Mᵀ) as Σ X ⊙ M.
        L = 0.5 * np.trace(lam) - np.einsum("ij,bjk,ki->b", lam, M, lam) + 0.5 * a * np.einsum(
            "bin,bin->b", lam @ lam @ M @ lam, M) + 0.5 * c * np.einsum("bin,bin->b", lam @ M @ lam, M)
        dM = -lam @ lam + a * lam @ lam @ M @ lam + c * lam @ M @ lam
        return L, arch.effective_matrix_vjp(theta, dM)
    if arch.is_attention:
        inputs, y = task, task.y_query[:, None]
    else:
        inputs, y = task.x, task.y
    r = arch.forward(theta, inputs) - y
    p = y.shape[0]
    return 0.5 / p * np.sum(r * r, axis=(1, 2)), arch.vjp(theta, inputs, r / p)


@pytest.mark.parametrize("arch, task", CASES)
@pytest.mark.parametrize("batch", [1, 7])
def test_equals_loss_and_grad_and_the_reference(arch, task, batch):
    theta = init_params(arch, 0.7, seed=3, n_seeds=batch)
    fun = gradient_function(arch, task)
    value, grad = fun(theta)
    want_value, want_grad = loss_and_grad(arch, task, theta)
    assert value.shape == (batch,) and grad.shape == (batch, arch.n_params)
    assert value.dtype == grad.dtype == np.float64
    np.testing.assert_array_equal(value, want_value)
    np.testing.assert_array_equal(grad, want_grad)
    ref_value, ref_grad = _reference(arch, task, theta)
    scale = 1.0 + np.max(np.abs(ref_grad))
    np.testing.assert_allclose(value, ref_value, rtol=1e-11, atol=1e-12 * (1.0 + np.max(np.abs(ref_value))))
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-11, atol=1e-12 * scale)


@pytest.mark.parametrize("arch, task", CASES[::2])
def test_rows_are_independent_and_layouts_agree(arch, task):
    theta = init_params(arch, 0.9, seed=11, n_seeds=5)
    fun = gradient_function(arch, task)
    value, grad = fun(theta)
    for b in range(theta.shape[0]):
        v1, g1 = fun(theta[b : b + 1])
        np.testing.assert_allclose(v1, value[b : b + 1], rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(g1, grad[b : b + 1], rtol=1e-13, atol=1e-15)
    # A Fortran-ordered θ (blocks are then copies, not views) gives the same numbers.
    vf, gf = fun(np.asfortranarray(theta))
    np.testing.assert_allclose(vf, value, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gf, grad, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("arch, task", CASES[:4])
def test_each_call_returns_new_arrays(arch, task):
    # The integrators keep (and update in place) the arrays fun returns: a call must not reuse an earlier one's.
    fun = gradient_function(arch, task)
    theta = init_params(arch, 0.5, seed=1, n_seeds=3)
    v1, g1 = fun(theta)
    keep_v, keep_g = v1.copy(), g1.copy()
    v2, g2 = fun(2.0 * theta)
    assert not np.shares_memory(g1, g2) and not np.shares_memory(v1, v2)
    assert not np.shares_memory(g1, theta)
    np.testing.assert_array_equal(v1, keep_v)
    np.testing.assert_array_equal(g1, keep_g)
    g2[...] = np.nan  # the caller's edits do not reach the next call
    np.testing.assert_array_equal(fun(theta)[1], keep_g)


def test_task_subclass_uses_its_base_type():
    class Mine(LinearRegressionTask):
        pass

    arch = build_architecture("linear-fc", **SIZES["linear-fc"])
    base = LinearRegressionTask.whitened([2.0, 1.0], d_in=3, d_out=2)
    mine = Mine(base.sigma_xx, base.sigma_yx, base.sigma_yy)
    theta = init_params(arch, 0.3, n_seeds=2)
    np.testing.assert_array_equal(gradient_function(arch, mine)(theta)[1], gradient_function(arch, base)(theta)[1])


def test_it_is_the_integrators_fun():
    arch = build_architecture("linear-fc", d_in=2, d_out=2, width=2)
    task = numerics.whitened([2.0, 1.0])
    theta0 = init_params(arch, 0.1, n_seeds=2)
    prepared = numerics.gradient_flow(gradient_function(arch, task), theta0, 3.0)
    direct = numerics.gradient_flow(lambda th: loss_and_grad(arch, task, th), theta0, 3.0)
    for a, b in zip(prepared, direct, strict=True):
        np.testing.assert_array_equal(a.theta_final, b.theta_final)


def _rng_task(kind: str, d: int):
    rng = np.random.default_rng(0)
    return {
        "linear": LinearRegressionTask.whitened([1.0], d_in=d, d_out=1),
        "quadratic": QuadraticGaussianTask(np.eye(d)),
        "icl": ICLTask(np.eye(d), 3),
        "data": Dataset(rng.standard_normal((5, d)), rng.standard_normal(5)),
        "icl-data": sample_icl_dataset(np.eye(d), 3, 4, rng),
    }[kind]


@pytest.mark.parametrize("name, sizes, kind, words", [
    ("relu-fc", {"d_in": 2}, "linear", "incompatible"),
    ("tanh-fc", {"d_in": 2}, "quadratic", "incompatible"),
    ("linear-fc", {"d_in": 2, "d_out": 1}, "icl", "in-context tasks need"),
    ("attn-m", {"dim": 2}, "data", "ICLDataset"),
    ("attn-s", {"dim": 2}, "icl-data", "dimension mismatch"),  # the task below has dim 3
    ("linear-fc", {"d_in": 2, "d_out": 1}, "linear", "dimension mismatch"),  # task d_in 3
    ("quadratic", {"d_in": 2, "d_out": 2}, "quadratic", "incompatible"),  # d_out = 2: no population form
])
def test_incompatible_pair_is_refused_when_prepared(name, sizes, kind, words):
    arch = build_architecture(name, **sizes)
    d = arch.input_dim + 1 if "mismatch" in words else arch.input_dim
    with pytest.raises(InputError) as err:
        gradient_function(arch, _rng_task(kind, d))
    msg = str(err.value)
    assert words in msg and arch.name in msg and "\n" not in msg


def test_not_an_architecture_or_task():
    arch = build_architecture("linear-fc")
    with pytest.raises(InputError, match="arch: must be an Architecture"):
        gradient_function("linear-fc", numerics.whitened([1.0], 2, 2))
    with pytest.raises(InputError, match="task: unknown task type dict"):
        gradient_function(arch, {"sigma_xx": np.eye(2)})


def test_loss_and_grad_still_validates_theta():
    arch = build_architecture("linear-fc")
    task = numerics.whitened([1.0], 2, 2)
    with pytest.raises(InputError, match=r"theta: must have shape \(B, 8\)"):
        loss_and_grad(arch, task, np.zeros(arch.n_params))
    with pytest.raises(InputError, match="theta: must be an array of real numbers"):
        loss_and_grad(arch, task, [["a"] * arch.n_params])


def test_non_finite_rows_stay_in_their_rows():
    arch = build_architecture("tanh-fc", **SIZES["tanh-fc"])
    task = _tasks(arch, np.random.default_rng(2))[0]
    theta = init_params(arch, 0.5, n_seeds=3)
    theta[1, 0] = np.nan
    value, grad = gradient_function(arch, task)(theta)
    assert np.isnan(value[1]) and np.isfinite(value[[0, 2]]).all() and np.isfinite(grad[[0, 2]]).all()


def test_loss_and_grad_follows_the_pair_it_is_given():
    # loss_and_grad keeps the last prepared pair; alternating pairs must never get the other pair's objective.
    a1 = build_architecture("linear-fc", d_in=2, d_out=2, width=3)
    a2 = build_architecture("linear-fc", d_in=2, d_out=2, width=3)
    t1, t2 = numerics.whitened([2.0, 1.0]), numerics.whitened([3.0, 0.5])
    theta = init_params(a1, 0.4, n_seeds=2)
    want = {(i, j): gradient_function(a, t)(theta) for i, a in enumerate((a1, a2)) for j, t in enumerate((t1, t2))}
    for i, j in [(0, 0), (0, 1), (1, 1), (0, 0), (1, 0), (1, 0)]:
        got = loss_and_grad((a1, a2)[i], (t1, t2)[j], theta)
        np.testing.assert_array_equal(got[0], want[(i, j)][0])
        np.testing.assert_array_equal(got[1], want[(i, j)][1])
    assert not np.array_equal(want[(0, 0)][0], want[(0, 1)][0])
