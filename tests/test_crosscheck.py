"""The two independent derivations agree: lambdified SymPy loss, gradient and Hessian
versus the NumPy loss and gradient and central finite differences, at hypothesis-drawn points.

Tolerances (see proofs_check.crosscheck): exact formulas in float64 agree to round-off (1e-9 relative is
generous); central differences with h = eps^(1/3) have O(h²) + O(eps/h) ≈ 1e-10 error (1e-6 bound).
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import numerics
from proofs_check.cases import reference_cases, relu_kink_margin
from proofs_check.crosscheck import GRAD_RTOL, HESS_RTOL, check_case, random_points

CASES = [c for cs in reference_cases().values() for c in cs]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([0.1, 0.7, 2.0]))
def test_symbolic_and_numeric_derivations_agree(case, seed, scale):
    n = case.numeric()[0].n_params
    theta = scale * np.random.default_rng(seed).standard_normal(n)
    assume(relu_kink_margin(case, theta) > 1e-3)
    r = check_case(case, theta[None])
    assert r.loss_rel <= GRAD_RTOL and r.grad_rel <= GRAD_RTOL, r
    assert r.hess_rel <= HESS_RTOL and r.fd_asymmetry <= HESS_RTOL, r


def _gradient_of_other_data(right, case):
    """The gradient of a task whose Σ_yx is 0.1 % off (a slip in one moment), returned with the right loss."""
    _, other = replace(case, data={**case.data, "sigma_yx": case.data["sigma_yx"] * 1.001}).numeric()
    return lambda arch, task, theta: (right(arch, task, theta)[0], right(arch, other, theta)[1])


def _gradient_off_by_100_tolerances(right, case):
    """One component off by 100 x GRAD_RTOL of the gradient's scale, a hundred times what the check tolerates.
    The offset hardly varies with θ, so the finite-difference Hessian moves by ~1e-7 < HESS_RTOL and only the
    gradient comparison can flag it."""
    def wrong(arch, task, theta):
        loss, grad = right(arch, task, theta)
        grad = grad.copy()
        grad[:, 0] += 100 * GRAD_RTOL * np.maximum(1.0, np.max(np.abs(grad), axis=1))
        return loss, grad
    return wrong


@pytest.mark.parametrize("make_wrong", [_gradient_of_other_data, _gradient_off_by_100_tolerances])
def test_a_wrong_gradient_is_caught(monkeypatch, make_wrong):
    # The check must be able to fail: at the same points, the right NumPy gradient passes and a wrong one (its loss
    # kept right) is reported as not passed by the gradient comparison.
    case = reference_cases()["linear-fc"][0]
    points = random_points(case, 3)
    right = check_case(case, points)
    assert right.passed, right
    monkeypatch.setattr(numerics, "loss_and_grad", make_wrong(numerics.loss_and_grad, case))
    wrong = check_case(case, points)
    assert not wrong.passed, wrong
    assert wrong.grad_rel > GRAD_RTOL and wrong.loss_rel <= GRAD_RTOL, wrong
