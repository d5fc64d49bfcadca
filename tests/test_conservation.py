"""Conservation laws (spec §4.5): symbolic proofs/refutations and the exact GD identity ΔQ = η² Q(∇L)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics
import theory
from theory.conservation import candidate_laws, check_law, prove_conservation, unit_balance
from theory.errors import InputError


@pytest.mark.parametrize("name, sizes, expected", [
    ("linear-fc", {"width": 2}, {"unit": "conserved", "matrix": "conserved"}),
    ("linear-conv", {"width": 2}, {"unit": "conserved", "matrix": "conserved"}),
    ("relu-fc", {"d_in": 1, "width": 2}, {"unit": "conserved", "matrix": "not conserved"}),
    ("quadratic", {"width": 2}, {"unit": "conserved", "matrix": "not conserved"}),
    ("cubic", {"width": 2}, {"unit": "conserved", "matrix": "not conserved"}),
    ("attn-m", {"width": 2}, {"unit": "conserved", "matrix": "conserved"}),
    ("attn-s", {"width": 2}, {"unit": "conserved", "matrix": "not conserved", "group-K": "conserved",
                              "group-Q": "conserved"}),
    ("tanh-fc", {"width": 2}, {"unit": "not conserved", "matrix": "not conserved"}),
    ("xtanh-fc", {"width": 2}, {"unit": "not conserved", "matrix": "not conserved"}),
    ("diagonal-linear", {"dim": 2}, {"unit": "conserved", "matrix": "not conserved"}),
    ("deep-linear", {}, {"unit": "conserved", "matrix": "conserved", "chain-1": "conserved",
                         "chain-2": "conserved"}),
])
def test_laws(name, sizes, expected):
    results = prove_conservation(theory.build(name, **sizes), timeout=30)
    assert {r.law.key: r.status for r in results} == expected
    for r in results:
        assert r.agrees
        if r.status == "not conserved":
            assert r.rate > 0 and r.point and "exact dQ/dt" in r.details


def test_attention_uses_p_2():
    spec = theory.build("attn-s", width=2)
    law = candidate_laws(spec)[0]
    k, q, v = spec.units[0].u[0], spec.units[0].u[2], spec.units[0].v[0]
    assert law.quantities[0].coeff(v**2) == -2 and law.quantities[0].coeff(k**2) == 1
    assert law.quantities[0].coeff(q**2) == 1


def test_unit_balance_requires_degree():
    with pytest.raises(InputError):
        unit_balance(theory.build("tanh-fc"))
    assert unit_balance(theory.build("tanh-fc"), p=1)
    assert len(unit_balance(theory.build("quadratic", width=3))) == 3


def test_population_and_dataset_agree_for_relu_symbolic_data():
    # The default task of relu-fc is a symbolic dataset, so the proof holds for any 2-sample dataset.
    spec = theory.build("relu-fc", d_in=2, width=2)
    der = theory.derive(spec, theory.Dataset(sp.Matrix([[1, 2], [-1, sp.Rational(1, 3)]]), sp.Matrix([1, -1])))
    assert check_law(der, candidate_laws(spec)[0]).status == "conserved"


def _q(arch, theta, p):
    b = arch.unpack(theta)
    v = b["V"].reshape(theta.shape[0], b["V"].shape[1], -1)
    u = b["U"].reshape(theta.shape[0], b["U"].shape[1], -1)
    return np.sum(u**2, axis=2) - p * np.sum(v**2, axis=2)


@settings(max_examples=50)
@given(seed=st.integers(0, 10_000), eta=st.floats(1e-4, 5e-2))
def test_gd_step_changes_q_by_eta_squared_q_of_gradient(seed, eta):
    """Q(θ − ηg) − Q(θ) = −η ∇Q·g + η² Q(g) and ∇Q·g = 0, so exactly η² Q(g) (spec §4.5 'O(η²) per step')."""
    arch = numerics.build_architecture("quadratic", d_in=2, d_out=1, width=3)
    task = numerics.QuadraticGaussianTask(np.diag([1.5, -1.0]))
    th = np.random.default_rng(seed).standard_normal((1, arch.n_params)) * 0.7
    _, g = numerics.loss_and_grad(arch, task, th)
    dq = _q(arch, th - eta * g, 2) - _q(arch, th, 2)
    pred = eta**2 * _q(arch, g, 2)
    scale = np.max(np.abs(_q(arch, th, 2))) + np.max(np.abs(pred)) + 1e-300
    assert np.max(np.abs(dq - pred)) <= 1e-13 * max(scale, 1.0)
