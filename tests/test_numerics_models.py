"""Numeric models: layout contract, forward pass, hand-derived gradients, population losses (spec §1.4, §2.5, §2.6,
§6.8; docs/conventions.md)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from numerics.architectures import ARCHITECTURE_NAMES, Architecture, build_architecture
from numerics.errors import InputError
from numerics.init import init_params
from numerics.objective import finite_difference_gradient, hessian, loss, loss_and_grad
from numerics.tasks import (
    Dataset,
    ICLDataset,
    ICLTask,
    LinearRegressionTask,
    QuadraticGaussianTask,
    sample_icl_dataset,
    whitened,
)

# --------------------------------------------------------------------------------------------- fixtures

SIZES: dict[str, dict[str, int]] = {
    "linear-fc": {"d_in": 3, "d_out": 2, "width": 3},
    "linear-conv": {"d_in": 4, "kernel": 2, "width": 2},
    "relu-fc": {"d_in": 2, "d_out": 2, "width": 3},
    "relu-conv": {"d_in": 4, "kernel": 3, "width": 2},
    "quadratic": {"d_in": 3, "d_out": 1, "width": 3},
    "attn-s": {"dim": 3, "width": 2, "rank": 2},
    "attn-m": {"dim": 2, "width": 2},
    "tanh-fc": {"d_in": 2, "d_out": 2, "width": 3},
    "xtanh-fc": {"d_in": 3, "d_out": 1, "width": 2},
    "cubic": {"d_in": 2, "d_out": 2, "width": 2},
    "deep-linear": {"d_in": 3, "hidden": 2, "width": 3, "d_out": 2},
    "diagonal-linear": {"dim": 4},
}


def random_spd(rng: np.random.Generator, d: int, extra: int = 3) -> np.ndarray:
    g = rng.standard_normal((d, d + extra))
    return g @ g.T / (d + extra) + 0.2 * np.eye(d)


def random_linear_task(rng: np.random.Generator, d_in: int, d_out: int) -> LinearRegressionTask:
    # A generic (non-realisable) joint covariance: y has noise not explained by x.
    joint = random_spd(rng, d_out + d_in)
    return LinearRegressionTask(joint[d_out:, d_out:], joint[:d_out, d_out:], joint[:d_out, :d_out])


def tasks_for(arch: Architecture, rng: np.random.Generator) -> list:
    """Every compatible task kind for ``arch``: its population task (if any) and a dataset."""
    out: list = []
    if arch.is_attention:
        lam = random_spd(rng, arch.input_dim)
        out.append(ICLTask(lam, 4))
        out.append(sample_icl_dataset(lam, 4, 25, rng))
        return out
    if arch.population_kind == "linear":
        out.append(random_linear_task(rng, arch.input_dim, arch.output_dim))
    if arch.population_kind == "quadratic":
        a = rng.standard_normal((arch.input_dim,) * 2)
        out.append(QuadraticGaussianTask(a + a.T, random_spd(rng, arch.input_dim)))
    x = rng.standard_normal((20, arch.input_dim))
    out.append(Dataset(x, rng.standard_normal((20, arch.output_dim))))
    return out


CASES = [(name, kind) for name in ARCHITECTURE_NAMES for kind in range(2)]


def case(name: str, kind: int, seed: int):
    rng = np.random.default_rng(seed)
    arch = build_architecture(name, **SIZES[name])
    tasks = tasks_for(arch, rng)
    return arch, tasks[kind] if kind < len(tasks) else None, rng


def relu_margin(arch: Architecture, task, theta: np.ndarray) -> float:
    """Smallest |pre-activation| over samples and units (∞ for smooth models)."""
    if arch.name not in ("relu-fc", "relu-conv"):
        return np.inf
    b = arch.unpack(theta[None, :])
    X = task.x
    if arch.name == "relu-fc":
        U = b["U"][0]
        z = X @ U[:, :-1].T + U[:, -1]
    else:
        U = b["U"][0]
        K = U.shape[1]
        idx = np.arange(X.shape[1] - K + 1)[:, None] + np.arange(K)
        z = X[:, idx] @ U.T
    return float(np.min(np.abs(z)))


# --------------------------------------------------------------------------------------------- naive reference


def naive_output(arch: Architecture, theta_row: np.ndarray, sample) -> np.ndarray:
    """f for one parameter vector and one sample, by explicit sums over units (conventions.md table)."""
    b = {k: v[0] for k, v in arch.unpack(theta_row[None, :]).items()}
    s = arch.sizes
    name = arch.name
    if name == "attn-s":
        beta, xq = sample
        return np.array([sum(b["V"][i, 0] * sum((beta @ b["K"][i, r]) * (b["Q"][i, r] @ xq)
                                                  for r in range(s["rank"])) for i in range(s["width"]))])
    if name == "attn-m":
        beta, xq = sample
        return np.array([sum(b["V"][i, 0] * (beta @ b["U"][i] @ xq) for i in range(s["width"]))])
    x = sample
    if name == "deep-linear":
        return b["V"].T @ b["U"] @ b["W1"] @ x
    if name == "diagonal-linear":
        return np.array([sum(b["U"][i, 0] * b["V"][i, 0] * x[i] for i in range(s["dim"]))])
    if name in ("linear-conv", "relu-conv"):
        K = s["kernel"]
        act = (lambda z: z) if name == "linear-conv" else (lambda z: max(z, 0.0))
        L = s["d_in"] - K + 1
        return np.array([sum(b["V"][i, p] * act(b["U"][i] @ x[p : p + K]) for i in range(s["width"])
                             for p in range(L))])
    act = {
        "linear-fc": lambda z: z,
        "quadratic": lambda z: z**2,
        "tanh-fc": np.tanh,
        "xtanh-fc": lambda z: z * np.tanh(z),
        "cubic": lambda z: z**3,
        "relu-fc": lambda z: max(z, 0.0),
    }[name]
    out = np.zeros(s["d_out"])
    for i in range(s["width"]):
        if name == "relu-fc":
            z = b["U"][i, :-1] @ x + b["U"][i, -1]
        else:
            z = b["U"][i] @ x
        out += b["V"][i] * act(z)
    return out


@pytest.mark.parametrize("name", ARCHITECTURE_NAMES)
def test_forward_matches_conventions_table(name: str) -> None:
    arch, task, rng = case(name, 1, 3)
    if task is None:
        task = tasks_for(arch, rng)[0]
    theta = rng.standard_normal((3, arch.n_params))
    if arch.is_attention:
        inputs = (task.beta, task.x_query)
        samples = list(zip(task.beta, task.x_query, strict=True))
    else:
        inputs = task.x
        samples = list(task.x)
    F = arch.forward(theta, inputs)
    assert F.shape == (3, len(samples), arch.output_dim)
    for bi in range(3):
        ref = np.array([naive_output(arch, theta[bi], smp) for smp in samples])
        np.testing.assert_allclose(F[bi], ref, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------------- gradients

# Central differences with h = eps^(1/3) max(1, |θ_j|) ≈ 6e-6 have truncation h²|L'''|/6 ≈ 6e-12 |L'''| and
# round-off eps|L|/h ≈ 4e-11 |L|. With O(1) parameters and data, |L'''| is at most O(10^3) for these polynomial
# and tanh models, so 1e-7 relative to max(1, |L|, ‖∇L‖∞) leaves a margin of > 10 over the expected error.
FD_RTOL = 1e-7


@pytest.mark.parametrize(("name", "kind"), CASES)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), scale=st.sampled_from([0.3, 0.7]))
def test_gradient_matches_finite_differences(name: str, kind: int, seed: int, scale: float) -> None:
    arch, task, rng = case(name, kind, seed)
    if task is None:
        return
    theta = scale * rng.standard_normal(arch.n_params)
    assume(relu_margin(arch, task, theta) > 1e-3)
    value, grad = loss_and_grad(arch, task, theta[None, :])
    fd = finite_difference_gradient(arch, task, theta)
    bound = FD_RTOL * max(1.0, abs(value[0]), float(np.max(np.abs(grad))))
    assert np.max(np.abs(grad[0] - fd)) < bound


@pytest.mark.parametrize("name", ARCHITECTURE_NAMES)
def test_vjp_matches_finite_differences_of_forward(name: str) -> None:
    arch, task, rng = case(name, 1, 11)
    if task is None:
        task = tasks_for(arch, rng)[0]
    inputs = (task.beta, task.x_query) if arch.is_attention else task.x
    theta = 0.6 * rng.standard_normal(arch.n_params)
    while not arch.is_attention and relu_margin(arch, task, theta) < 1e-3:
        theta = 0.6 * rng.standard_normal(arch.n_params)  # keep every ReLU pre-activation off its kink
    n_samples = task.n_samples
    dF = rng.standard_normal((1, n_samples, arch.output_dim))
    g = arch.vjp(theta[None, :], inputs, dF)[0]
    h = 1e-6
    fd = np.empty(arch.n_params)
    for j in range(arch.n_params):
        e = np.zeros(arch.n_params)
        e[j] = h
        fp = arch.forward((theta + e)[None, :], inputs)
        fm = arch.forward((theta - e)[None, :], inputs)
        fd[j] = np.sum(dF * (fp - fm)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6 * max(1.0, np.max(np.abs(g))))


@pytest.mark.parametrize(("name", "kind"), CASES)
def test_batched_equals_rowwise(name: str, kind: int) -> None:
    arch, task, rng = case(name, kind, 5)
    if task is None:
        return
    theta = rng.standard_normal((5, arch.n_params))
    value, grad = loss_and_grad(arch, task, theta)
    for bi in range(5):
        v1, g1 = loss_and_grad(arch, task, theta[bi : bi + 1])
        np.testing.assert_allclose(v1[0], value[bi], rtol=1e-13, atol=1e-14)
        np.testing.assert_allclose(g1[0], grad[bi], rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", [n for n in ARCHITECTURE_NAMES if build_architecture(n).population_kind])
def test_effective_matrix_vjp_is_adjoint(name: str) -> None:
    """⟨dM, J δθ⟩ = ⟨J* dM, δθ⟩ with J δθ by central differences (M is at most cubic in θ, so exact to O(h²))."""
    rng = np.random.default_rng(2)
    arch = build_architecture(name, **SIZES[name])
    theta = rng.standard_normal((2, arch.n_params))
    M = arch.effective_matrix(theta)
    dM = rng.standard_normal(M.shape)
    dth = rng.standard_normal(theta.shape)
    h = 1e-5
    jvp = (arch.effective_matrix(theta + h * dth) - arch.effective_matrix(theta - h * dth)) / (2 * h)
    lhs = np.sum(dM * jvp, axis=(1, 2))
    rhs = np.sum(arch.effective_matrix_vjp(theta, dM) * dth, axis=1)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-8)


def test_unpack_pack_roundtrip_and_views() -> None:
    arch = build_architecture("attn-s", dim=3, width=2, rank=2)
    theta = np.arange(2 * arch.n_params, dtype=float).reshape(2, -1)
    blocks = arch.unpack(theta)
    assert [k for k, _ in arch.blocks] == ["V", "K", "Q"]
    assert blocks["K"].shape == (2, 2, 2, 3)
    assert blocks["V"][1, 0, 0] == arch.n_params  # row-major, V first
    assert np.shares_memory(blocks["Q"], theta)
    np.testing.assert_array_equal(arch.pack(blocks), theta)


def test_quadratic_effective_matrix_gives_forward() -> None:
    rng = np.random.default_rng(0)
    arch = build_architecture("quadratic", d_in=3, width=4)
    theta = rng.standard_normal((2, arch.n_params))
    x = rng.standard_normal((6, 3))
    M = arch.effective_matrix(theta)
    np.testing.assert_allclose(arch.forward(theta, x)[:, :, 0], np.einsum("pd,bde,pe->bp", x, M, x), rtol=1e-12)


# --------------------------------------------------------------------------------------------- population vs MC


def mc_check(per_sample: np.ndarray, exact: float, n_se: float = 5.0) -> None:
    mean = float(per_sample.mean())
    se = float(per_sample.std(ddof=1) / np.sqrt(per_sample.size))
    assert abs(exact - mean) < n_se * se, (exact, mean, se)


@pytest.mark.parametrize("name", ["linear-fc", "linear-conv", "deep-linear", "diagonal-linear"])
@pytest.mark.parametrize("realisable", [True, False])
def test_linear_population_matches_monte_carlo(name: str, realisable: bool) -> None:
    rng = np.random.default_rng(7)
    arch = build_architecture(name, **SIZES[name])
    d_in, d_out = arch.input_dim, arch.output_dim
    if realisable:
        sxx = random_spd(rng, d_in)
        task = LinearRegressionTask(sxx, rng.standard_normal((d_out, d_in)))
        x = rng.multivariate_normal(np.zeros(d_in), sxx, size=100_000)
        y = x @ np.linalg.solve(sxx, task.sigma_yx.T)
    else:
        task = random_linear_task(rng, d_in, d_out)
        joint = np.block([[task.sigma_yy, task.sigma_yx], [task.sigma_yx.T, task.sigma_xx]])
        z = rng.multivariate_normal(np.zeros(d_in + d_out), joint, size=100_000)
        y, x = z[:, :d_out], z[:, d_out:]
    theta = 0.7 * rng.standard_normal((1, arch.n_params))
    F = arch.forward(theta, x)[0]
    per_sample = 0.5 * np.sum((y - F) ** 2, axis=1)
    mc_check(per_sample, float(loss(arch, task, theta)[0]))
    # The dataset path (empirical moments) is the same estimator as the per-sample mean.
    np.testing.assert_allclose(loss(arch, Dataset(x, y), theta)[0], per_sample.mean(), rtol=1e-10)


def test_quadratic_population_matches_monte_carlo() -> None:
    rng = np.random.default_rng(8)
    arch = build_architecture("quadratic", d_in=3, width=3)
    a = rng.standard_normal((3, 3))
    sigma = random_spd(rng, 3)
    task = QuadraticGaussianTask(a + a.T, sigma)
    x = rng.multivariate_normal(np.zeros(3), sigma, size=200_000)
    y = np.einsum("pd,de,pe->p", x, task.a, x)
    theta = rng.standard_normal((1, arch.n_params))
    per_sample = 0.5 * (y - arch.forward(theta, x)[0, :, 0]) ** 2
    mc_check(per_sample, float(loss(arch, task, theta)[0]))


@pytest.mark.parametrize("name", ["attn-s", "attn-m"])
def test_icl_population_matches_monte_carlo(name: str) -> None:
    rng = np.random.default_rng(9)
    arch = build_architecture(name, **SIZES[name])
    lam = random_spd(rng, arch.input_dim)
    task = ICLTask(lam, 5)
    data = sample_icl_dataset(lam, 5, 200_000, rng)
    theta = 0.8 * rng.standard_normal((1, arch.n_params))
    f = arch.forward(theta, data)[0, :, 0]
    per_sample = 0.5 * (data.y_query - f) ** 2
    mc_check(per_sample, float(loss(arch, task, theta)[0]))
    np.testing.assert_allclose(loss(arch, data, theta)[0], per_sample.mean(), rtol=1e-12)


def test_sample_icl_dataset_statistics() -> None:
    """E[y_q β x_qᵀ] = Λ² (spec §6.8, "E[y_q z] = vec(Λ²)"), and an integer seed equals default_rng(seed)."""
    lam = np.diag([2.0, 0.5])
    data = sample_icl_dataset(lam, 3, 200_000, 1)
    assert data.beta.shape == (200_000, 2) and data.y_query.shape == (200_000,)
    est = np.einsum("p,pd,pe->de", data.y_query, data.beta, data.x_query) / 200_000
    np.testing.assert_allclose(est, lam @ lam, atol=0.1)
    again = sample_icl_dataset(lam, 3, 1000, np.random.default_rng(1))
    np.testing.assert_array_equal(again.beta, sample_icl_dataset(lam, 3, 1000, 1).beta)


# --------------------------------------------------------------------------------------------- known values


def test_known_values_at_zero() -> None:
    s = np.array([3.0, 2.0, 0.5])
    task = whitened(s, d_in=4, d_out=3)
    assert task.sigma_yx.shape == (3, 4)
    for name, sizes in (("linear-fc", {"d_in": 4, "d_out": 3}), ("deep-linear", {"d_in": 4, "d_out": 3})):
        arch = build_architecture(name, **sizes)
        value, grad = loss_and_grad(arch, task, np.zeros((1, arch.n_params)))
        assert value[0] == pytest.approx(0.5 * np.sum(s**2), rel=1e-14)
        assert np.all(grad == 0.0)
    lam = np.diag([3.0, 1.0, 0.25])
    arch = build_architecture("attn-s", dim=3)
    assert loss(arch, ICLTask(lam, 7), np.zeros((1, arch.n_params)))[0] == pytest.approx(0.5 * 4.25)
    arch = build_architecture("quadratic", d_in=4, width=3)
    q = QuadraticGaussianTask(np.diag([2.0, 1.0, -1.0, -2.0]))
    assert loss(arch, q, np.zeros((1, arch.n_params)))[0] == pytest.approx(10.0)


def test_quadratic_plateau_level_single_unit() -> None:
    """Spec §2.6: the S = {1} fixed point of A = diag(2, 1, -1, -2) has L = 7.333 and zero gradient."""
    arch = build_architecture("quadratic", d_in=4, width=2)
    task = QuadraticGaussianTask(np.diag([2.0, 1.0, -1.0, -2.0]))
    m = 2.0 + 0.5 * (-2.0 / 1.5)  # m_1 = a_1 + τ/2 with τ = (tr A − a_1)/(1 + 1/2)
    v = np.sign(m) * np.sqrt(abs(m) / 2)
    rho = np.sqrt(2 * abs(v))
    blocks = {"V": np.array([[[v], [0.0]]]), "U": np.array([[[rho, 0, 0, 0], [0, 0, 0, 0]]])}
    value, grad = loss_and_grad(arch, task, arch.pack(blocks))
    assert value[0] == pytest.approx(22.0 / 3.0, rel=1e-13)
    assert np.max(np.abs(grad)) < 1e-13


def test_icl_plateau_level_one_head() -> None:
    """Spec §6.8 Eq. 19 (halved, our ½ convention): L(M_1) = ½[tr Λ − λ_1 / (1 + (1 + tr Λ/λ_1)/N)]."""
    lam_v = np.array([2.0, 1.0, 0.5])
    n = 6
    arch = build_architecture("attn-s", dim=3, width=2)
    c = 1 + (1 + lam_v.sum() / lam_v[0]) / n
    v = (1.0 / (lam_v[0] * c)) ** (1 / 3)
    blocks = {"V": np.array([[[v], [0.0]]]), "K": np.zeros((1, 2, 1, 3)), "Q": np.zeros((1, 2, 1, 3))}
    blocks["K"][0, 0, 0, 0] = v
    blocks["Q"][0, 0, 0, 0] = v
    value, grad = loss_and_grad(arch, ICLTask(np.diag(lam_v), n), arch.pack(blocks))
    assert value[0] == pytest.approx(0.5 * (lam_v.sum() - lam_v[0] / c), rel=1e-13)
    assert np.max(np.abs(grad)) < 1e-13


def test_hessian_at_origin_linear_fc() -> None:
    """At θ = 0, L = ½‖Σ_yx − VᵀU‖² (whitened) has Hessian ∂²L/∂V_io∂U_ij = −Σ_yx[o, j], all other blocks 0."""
    s = np.array([2.0, 1.0])
    task = whitened(s)
    arch = build_architecture("linear-fc", d_in=2, d_out=2, width=2)
    H = hessian(arch, task, np.zeros(arch.n_params))
    expected = np.zeros((8, 8))
    syx = task.sigma_yx
    for i in range(2):
        for o in range(2):
            for j in range(2):
                expected[i * 2 + o, 4 + i * 2 + j] = expected[4 + i * 2 + j, i * 2 + o] = -syx[o, j]
    np.testing.assert_allclose(H, expected, atol=1e-9)
    assert np.array_equal(H, H.T)


def test_hessian_matches_finite_differences_of_gradient_elsewhere() -> None:
    rng = np.random.default_rng(4)
    arch = build_architecture("tanh-fc", d_in=2, d_out=1, width=2)
    data = Dataset(rng.standard_normal((15, 2)), rng.standard_normal(15))
    theta = 0.5 * rng.standard_normal(arch.n_params)
    H = hessian(arch, data, theta)
    H2 = hessian(arch, data, theta, step=1e-4)
    np.testing.assert_allclose(H, H2, atol=1e-7)


# --------------------------------------------------------------------------------------------- init


def test_init_params_contract() -> None:
    arch = build_architecture("relu-fc", d_in=3, width=4)
    th = init_params(arch, 1e-3, seed=5, n_seeds=3)
    assert th.shape == (3, arch.n_params)
    for k in range(3):
        np.testing.assert_array_equal(th[k], np.random.default_rng(5 + k).standard_normal(arch.n_params) * 1e-3)
    np.testing.assert_array_equal(init_params(arch, 1e-3, seed=6)[0], th[1])


# --------------------------------------------------------------------------------------------- architecture props


def test_phi_properties_and_sizes() -> None:
    a = build_architecture("relu-fc")
    assert (a.degree, a.homogeneity_field, a.linear_in_u, a.zero_unit, a.even) == (1, "R>=0", False, True, False)
    assert build_architecture("quadratic").even and build_architecture("attn-s").degree == 2
    assert build_architecture("tanh-fc").degree is None and build_architecture("attn-m").linear_in_u
    assert build_architecture("cubic").degree == 3 and build_architecture("xtanh-fc").even
    d = build_architecture("diagonal-linear", dim=5)
    assert d.unit_count == 5 and d.n_params == 10 and d.output_dim == 1
    c = build_architecture("linear-conv", d_in=5, kernel=3, width=4)
    assert c.blocks == (("V", (4, 3)), ("U", (4, 3))) and c.output_dim == 1
    deep = build_architecture("deep-linear", d_in=3, hidden=4, width=5, d_out=2)
    assert deep.blocks == (("V", (5, 2)), ("U", (5, 4)), ("W1", (4, 3)))
    assert build_architecture("linear-fc").sizes == {"d_in": 2, "d_out": 2, "width": 2}
    assert build_architecture("linear-fc", width=None).sizes["width"] == 2
    hash(build_architecture("linear-fc"))
    assert build_architecture("quadratic", d_out=2).population_kind is None


# --------------------------------------------------------------------------------------------- bad inputs

BAD_ARCH = [
    (lambda: build_architecture("mlp"), "architecture name"),
    (lambda: build_architecture("linear-fc", kernel=2), "sizes"),
    (lambda: build_architecture("linear-fc", width=0), "width"),
    (lambda: build_architecture("linear-fc", width=2.5), "width"),
    (lambda: build_architecture("linear-fc", d_in=True), "d_in"),
    (lambda: build_architecture("relu-conv", d_in=3, kernel=4), "kernel"),
    (lambda: build_architecture("linear-fc").unpack(np.zeros(8)), "theta"),
    (lambda: build_architecture("linear-fc").unpack(np.zeros((1, 7))), "theta"),
    (lambda: build_architecture("linear-fc").forward(np.zeros((1, 8)), np.zeros((3, 3))), "inputs X"),
    (lambda: build_architecture("linear-fc").forward(np.zeros((1, 8)), np.full((3, 2), np.nan)), "inputs X"),
    (lambda: build_architecture("attn-m").forward(np.zeros((1, 10)), np.zeros((3, 2))), "inputs"),
    (lambda: build_architecture("linear-fc").vjp(np.zeros((1, 8)), np.zeros((3, 2)), np.zeros((1, 3, 1))),
     "d_out_array"),
    (lambda: build_architecture("relu-fc").effective_matrix(np.zeros((1, 8))), "no population form"),
    (lambda: build_architecture("linear-fc").effective_matrix_vjp(np.zeros((1, 8)), np.zeros((1, 2, 3))), "dM"),
    (lambda: build_architecture("linear-fc").pack({"V": np.zeros((1, 2, 2))}), "blocks"),
]

BAD_TASK = [
    (lambda: LinearRegressionTask(np.array([[1.0, 0.5], [0.0, 1.0]]), np.eye(2)), "sigma_xx"),
    (lambda: LinearRegressionTask(np.diag([1.0, -1.0]), np.eye(2)), "sigma_xx"),
    (lambda: LinearRegressionTask(np.eye(2), np.eye(3)), "sigma_yx"),
    (lambda: LinearRegressionTask(np.eye(2), np.eye(2), np.eye(2) * 0.5), "joint covariance"),
    (lambda: LinearRegressionTask(np.eye(2), np.eye(2), np.eye(3)), "sigma_yy"),
    (lambda: LinearRegressionTask(np.eye(2) * np.nan, np.eye(2)), "sigma_xx"),
    (lambda: LinearRegressionTask(np.eye(2), np.array([[np.inf, 0.0], [0.0, 1.0]])), "sigma_yx"),
    (lambda: whitened([1.0, -1.0]), "singular_values"),
    (lambda: whitened([1.0, 2.0], d_in=1), "singular_values"),
    (lambda: QuadraticGaussianTask(np.array([[1.0, 2.0], [0.0, 1.0]])), "a"),
    (lambda: QuadraticGaussianTask(np.eye(2), np.zeros((2, 2))), "sigma"),
    (lambda: QuadraticGaussianTask(np.eye(2), np.eye(3)), "sigma"),
    (lambda: ICLTask(np.eye(2), 0), "context"),
    (lambda: ICLTask(np.eye(2), 2.0), "context"),
    (lambda: ICLTask(np.diag([1.0, 0.0]), 3), "lam"),
    (lambda: Dataset(np.zeros((3, 2)), np.zeros(4)), "y"),
    (lambda: Dataset(np.zeros(3), np.zeros(3)), "x"),
    (lambda: Dataset(np.array([[np.nan, 0.0]]), np.zeros(1)), "x"),
    (lambda: ICLDataset(np.zeros((3, 2)), np.zeros((3, 3)), np.zeros(3)), "x_query"),
    (lambda: ICLDataset(np.zeros((3, 2)), np.zeros((3, 2)), np.zeros(2)), "y_query"),
    (lambda: sample_icl_dataset(np.eye(2), 0, 10, 0), "context"),
    (lambda: sample_icl_dataset(np.eye(2), 2, 0, 0), "n_samples"),
    (lambda: sample_icl_dataset(np.eye(2), 2, 10, -1), "rng"),
    (lambda: sample_icl_dataset(-np.eye(2), 2, 10, 0), "lam"),
]

BAD_OBJECTIVE = [
    (lambda: loss(build_architecture("relu-fc"), whitened([1.0, 2.0]), np.zeros((1, 8))), "relu-fc"),
    (lambda: loss(build_architecture("linear-fc", d_in=3), whitened([1.0, 2.0]), np.zeros((1, 12))), "linear-fc"),
    (lambda: loss(build_architecture("attn-s"), Dataset(np.zeros((2, 2)), np.zeros(2)), np.zeros((1, 10))),
     "Dataset"),
    (lambda: loss(build_architecture("quadratic", d_out=2), QuadraticGaussianTask(np.eye(2)), np.zeros((1, 8))),
     "QuadraticGaussianTask"),
    (lambda: loss(build_architecture("attn-m", dim=3), ICLTask(np.eye(2), 2), np.zeros((1, 21))), "ICLTask"),
    (lambda: loss(build_architecture("linear-fc"), whitened([1.0, 2.0]), np.zeros((1, 3))), "theta"),
    (lambda: hessian(build_architecture("linear-fc"), whitened([1.0, 2.0]), np.zeros((1, 8))), "theta_1d"),
    (lambda: finite_difference_gradient(build_architecture("linear-fc"), whitened([1.0, 2.0]), np.zeros(8),
                                        step=-1.0), "step"),
    (lambda: init_params(build_architecture("linear-fc"), 0.0), "init_scale"),
    (lambda: init_params(build_architecture("linear-fc"), float("nan")), "init_scale"),
    (lambda: init_params(build_architecture("linear-fc"), 1e-3, seed=-1), "seed"),
    (lambda: init_params(build_architecture("linear-fc"), 1e-3, n_seeds=0), "n_seeds"),
]


@pytest.mark.parametrize(("fn", "word"), BAD_ARCH + BAD_TASK + BAD_OBJECTIVE)
def test_bad_input_raises_named_input_error(fn, word: str) -> None:
    with pytest.raises(InputError) as info:
        fn()
    msg = str(info.value)
    assert word in msg and "\n" not in msg


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e3, max_value=1e3), min_size=4,
                max_size=4))
def test_symmetry_check_is_relative(vals: list[float]) -> None:
    """A matrix symmetric up to 1e-12 relative is accepted; an asymmetry of 1e-6 relative is rejected."""
    a = np.array(vals).reshape(2, 2)
    a = a + a.T
    scale = float(np.max(np.abs(a)))
    assume(scale > 1e-6)
    b = a.copy()
    b[0, 1] += 1e-12 * scale
    QuadraticGaussianTask(b)
    c = a.copy()
    c[0, 1] += 1e-6 * scale
    with pytest.raises(InputError, match="^a: not symmetric"):
        QuadraticGaussianTask(c)
