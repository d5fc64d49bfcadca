"""Exact population losses derived by Isserlis/Wick moments (theory.tasks, theory.moments)."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import theory
from theory.moments import GaussianGroup, expectation, isserlis, sample_covariance_group


def test_isserlis_fourth_moments():
    c = sp.Matrix([[2, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]])
    assert isserlis([0, 0, 0, 0], c) == 3 * 4
    assert isserlis([0, 0, 1, 1], c) == 2 * 1 + 2 * sp.Rational(1, 4)
    assert isserlis([0, 1, 1], c) == 0


def test_sample_covariance_second_moment_matches_closed_form():
    # E[Λ̂ B Λ̂] = (1 + 1/N) Λ B Λ + tr(BΛ) Λ / N for Gaussian tokens (Wishart second moment).
    lam = sp.Matrix([[2, 1], [1, 3]])
    n = sp.Symbol("N", positive=True)
    lhat, group = sample_covariance_group(2, lam, n)
    b = sp.Matrix([[1, 2], [2, -1]])
    got = (lhat * b * lhat).applyfunc(lambda e: expectation(e, [group]))
    want = (1 + 1 / n) * lam * b * lam + (b * lam).trace() * lam / n
    assert sp.simplify(got - want) == sp.zeros(2, 2)


@settings(max_examples=15)
@given(seed=st.integers(0, 10_000))
def test_linear_task_loss_equals_moment_formula(seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((3, 3))
    sxx = a @ a.T + np.eye(3)
    syx = rng.standard_normal((2, 3))
    syy = syx @ np.linalg.solve(sxx, syx.T) + 0.1 * np.eye(2)
    spec = theory.build("linear-fc", d_in=3, d_out=2, width=2)
    task = theory.LinearRegressionTask(sp.Matrix(sxx), sp.Matrix(syx), sp.Matrix(syy))
    theta = rng.standard_normal(spec.n_params)
    v, u = theta[:4].reshape(2, 2), theta[4:].reshape(2, 3)
    w = v.T @ u
    want = 0.5 * np.trace(syy) - np.trace(w @ syx.T) + 0.5 * np.trace(w @ sxx @ w.T)
    got = float(task.loss(spec).xreplace(dict(zip(spec.params, theta, strict=True))))
    assert abs(got - want) <= 1e-10 * max(1.0, abs(want))


def test_quadratic_task_level_at_origin_is_ten():
    # Spec §2.6 test bed: L(∅) = ½(2‖A‖² + (tr A)²) = 10 for A = diag(2, 1, −1, −2).
    spec = theory.build("quadratic", d_in=4, width=1)
    loss = theory.QuadraticGaussianTask.diagonal([2, 1, -1, -2]).loss(spec)
    assert loss.xreplace({p: 0 for p in spec.params}) == 10


def test_icl_loss_matches_closed_form_with_symbolic_context():
    spec = theory.build("attn-m", dim=2, width=1)
    lam = sp.diag(*sp.symbols("l1 l2", positive=True))
    n = sp.Symbol("N", positive=True)
    loss = theory.ICLTask(lam, n).loss(spec)
    ub = spec.block("U")
    m = sp.Matrix(2, 2, lambda a, b: spec.params[0] * ub.entry(0, a, b))
    want = sp.Rational(1, 2) * (lam.trace() - 2 * (lam * m * lam).trace()
                                + (1 + 1 / n) * (lam**2 * m * lam * m.T).trace()
                                + lam.trace() / n * (lam * m * lam * m.T).trace())
    assert sp.simplify(loss - want) == 0


def test_nonpolynomial_model_on_population_task_is_refused():
    with pytest.raises(theory.InputError, match="not polynomial"):
        theory.LinearRegressionTask.whitened([1, 1]).loss(theory.build("tanh-fc", d_in=2, d_out=2))


def test_expectation_refuses_non_polynomial_integrand():
    x = sp.Symbol("x")
    with pytest.raises(theory.InputError):
        expectation(sp.tanh(x), [GaussianGroup((x,), sp.Matrix([[1]]))])


@pytest.mark.parametrize("make,fragment", [
    (lambda: theory.LinearRegressionTask([[1, 2], [0, 1]], [[1, 0]], [[1]]), "sigma_xx: not symmetric"),
    (lambda: theory.LinearRegressionTask([[1, 0], [0, -1]], [[1, 0]], [[1]]), "positive definite"),
    (lambda: theory.LinearRegressionTask([[1, 0], [0, 1]], [[5, 0]], [[1]]), "joint covariance"),
    (lambda: theory.LinearRegressionTask([[1, 0], [0, 1]], [[1, 0, 0]], [[1]]), "sigma_yx"),
    (lambda: theory.LinearRegressionTask([[sp.nan, 0], [0, 1]], [[1, 0]], [[1]]), "NaN"),
    (lambda: theory.QuadraticGaussianTask([[1, 2], [3, 1]]), "a: not symmetric"),
    (lambda: theory.ICLTask([[1, 0], [0, 1]], 0), "context"),
    (lambda: theory.ICLTask([[1, 0], [0, 0]], 3), "positive definite"),
    (lambda: theory.Dataset([[1, 2], [3, 4]], [[1], [2], [3]]), "samples"),
    (lambda: theory.LinearRegressionTask.whitened([1, 2, 3], d_in=2, d_out=2), "singular_values"),
])
def test_bad_task_input(make, fragment):
    with pytest.raises(theory.InputError, match=fragment):
        make()


def test_task_architecture_mismatch_is_refused():
    with pytest.raises(theory.InputError, match="does not fit"):
        theory.ICLTask(sp.eye(2), 3).loss(theory.build("linear-fc"))
    with pytest.raises(theory.InputError, match="input dimension"):
        theory.LinearRegressionTask.whitened([1, 1, 1]).loss(theory.build("linear-fc"))
