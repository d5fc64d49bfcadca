"""The two independent derivations agree (foundation issue item 7): lambdified SymPy loss, gradient and Hessian
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
from proofs_check.crosscheck import GRAD_RTOL, HESS_RTOL, check_case, compiled

CASES = [c for cs in reference_cases().values() for c in cs]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
@settings(max_examples=4, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([0.1, 0.7, 2.0]))
def test_symbolic_and_numeric_derivations_agree(case, seed, scale):
    n = case.numeric()[0].n_params
    theta = scale * np.random.default_rng(seed).standard_normal(n)
    assume(relu_kink_margin(case, theta) > 1e-3)
    r = check_case(case, theta[None])
    assert r.loss_rel <= GRAD_RTOL and r.grad_rel <= GRAD_RTOL, r
    assert r.hess_rel <= HESS_RTOL and r.fd_asymmetry <= HESS_RTOL, r


def test_a_wrong_gradient_is_caught():
    # The check must be able to fail: perturb the numeric task data and the comparison must break.
    case = reference_cases()["linear-fc"][0]
    bad = replace(case, data={**case.data, "sigma_yx": case.data["sigma_yx"] * 1.001})
    arch, task = bad.numeric()
    good_sym = check_case(case, np.ones((1, arch.n_params)))
    assert good_sym.passed
    sym, _ = compiled(case)
    _, g = numerics.loss_and_grad(arch, task, np.ones((1, arch.n_params)))
    assert np.max(np.abs(sym.gradient(np.ones(arch.n_params)) - g[0])) > 1e-6
