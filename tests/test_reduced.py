"""Reduced dynamics derived from the full flow (spec §5.2, §6.1, §6.8): every comparison must match."""

from __future__ import annotations

import pytest
import sympy as sp

import theory
from theory.errors import InputError
from theory.reduced import (
    attention_reduced,
    quadratic_one_unit,
    quadratic_unit_equations,
    restrict,
    saxe_mode,
    toy_solution,
)


def test_saxe_mode_equation():
    red = saxe_mode()
    assert red.proved
    a, s1, c1 = sp.Symbol("a", positive=True), sp.Symbol("s_1", positive=True), sp.Symbol("c_1", positive=True)
    assert sp.expand(red.derived["da/dt (a = b^2)"] - 2 * a * (s1 - c1 * a)) == 0


def test_quadratic_equations_of_section_5_2():
    assert quadratic_unit_equations()["matches"]
    red = quadratic_one_unit(k=1)
    assert red.proved, red.matches
    assert red.derived["dv/dtau, tau = 2 sigma_k t"] == sp.Symbol("v", real=True) ** 2


def test_toy_solution_and_eq16():
    red = toy_solution()
    assert red.proved
    assert all(red.matches.values())


@pytest.mark.parametrize("m", [0, 1])
def test_attention_reduced_equation_and_fixed_point(m):
    red = attention_reduced(m=m)
    assert red.proved, red.matches
    lam = sp.Symbol(f"lambda_{m + 1}", positive=True)
    v = sp.Symbol("v", positive=True)
    c = red.derived["c_lambda"]
    assert sp.simplify(red.equations[v] - (lam**2 * v**2 - lam**3 * c * v**5)) == 0
    assert sp.simplify(red.derived["fixed point v*^3"] * lam * c - 1) == 0
    assert red.lines(latex=True)[1].startswith(r"  \dot{v}")


def test_restrict_refuses_a_non_invariant_ansatz():
    spec = theory.build("linear-fc", d_in=2, d_out=2, width=1)
    der = theory.derive(spec, theory.LinearRegressionTask.whitened([3, 1]))
    b = sp.Symbol("b", real=True)
    V, U = spec.block("V"), spec.block("U")
    # v = (b, 0), u = (0, b): mixes the two modes, not invariant.
    ansatz = {V.entry(0, 0): b, V.entry(0, 1): 0, U.entry(0, 0): 0, U.entry(0, 1): b}
    with pytest.raises(InputError, match="not a proved invariant set"):
        restrict(der, ansatz, [b])


def test_attention_bad_m():
    with pytest.raises(InputError):
        attention_reduced(m=2, dim=2)
