"""Symbolic fixed-point tools (spec §2, §3.2, §3.3): Thm 1 proofs, catalogs, Groebner enumeration, classification.

Exact arithmetic throughout, so the assertions are equalities; the only tolerance is the float eigenvalue
threshold of :func:`theory.fixed_points.classify_point` (100·n·eps·‖H‖, Weyl), used where classes are compared.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import theory as th
from theory.fixed_points import (
    charpoly_matches,
    check_completeness,
    classify_catalog,
    classify_point,
    embed,
    enumerate_fixed_points,
    exact_inertia,
    fixed_point_catalog,
    linear_morse_index,
    linear_saddle_spectrum,
    prove_embedding,
    theorem1_families,
)

LIN = th.LinearRegressionTask.whitened([3, 1])
QUAD2 = th.QuadraticGaussianTask.diagonal([2, -1])
DIAG_TASK = th.LinearRegressionTask(sp.Matrix([[1, sp.Rational(1, 2)], [sp.Rational(1, 2), 1]]), sp.Matrix([[3, 1]]),
                                    sp.Matrix([[10]]))


# ------------------------------------------------------------------------------------------------ Theorem 1


@pytest.mark.parametrize("name,sizes,task,keys", [
    ("linear-fc", {"d_in": 2, "d_out": 2, "width": 1}, LIN, "i ii iii iv"),
    ("linear-fc", {"d_in": 2, "d_out": 2, "width": 2}, th.LinearRegressionTask.symbolic(2), "i iv"),
    ("quadratic", {"d_in": 2, "width": 1}, QUAD2, "i ii"),
    ("attn-s", {"dim": 2, "width": 1}, th.ICLTask(sp.diag(2, 1), 5), "i ii"),
    ("deep-linear", {"d_in": 2, "hidden": 2, "width": 1, "d_out": 2}, LIN, "iv"),
])
def test_thm1_families_are_fixed_points_identically_in_gamma(name, sizes, task, keys):
    spec = th.build(name, **sizes)
    for key in keys.split():
        proof = prove_embedding(spec, task, key)
        assert proof.identity_holds and proof.output_holds, (name, key)
        assert proof.groebner_holds in (True, None), (name, key)


def test_thm1_proof_is_not_vacuous():
    # (iii) on a 2-homogeneous phi is not a theorem: the same identity must fail.
    proof = prove_embedding(th.build("quadratic", d_in=2, width=1), QUAD2, "iii", force=True, groebner=False)
    assert not proof.applies
    assert not proof.identity_holds


def test_thm1_relu_symbolic_and_refusals():
    data = th.Dataset(sp.Matrix([[1], [-2], [sp.Rational(1, 2)]]), sp.Matrix([[1], [0], [2]]))
    spec = th.build("relu-fc", d_in=1, width=1)
    assert prove_embedding(spec, data, "iii").proved
    fams, refused = theorem1_families(spec)
    assert [f.key for f in fams] == ["i", "ii", "iii"]
    assert refused == [("iv", "phi is not linear in u")]
    with pytest.raises(th.InputError, match="not linear in u"):
        embed(spec, "iv")
    with pytest.raises(th.InputError, match="gamma_u >= 0"):
        embed(spec, "iii").at([-0.7, 0.4])
    assert embed(spec, "iii").at([-0.7, 0.4], force=True)  # forcing is allowed for the numeric control


def test_thm1_bad_input():
    spec = th.build("linear-fc", d_in=2, d_out=2, width=1)
    with pytest.raises(th.InputError, match="wrong width"):
        embed(spec, "i", [1, 2, 3])
    with pytest.raises(th.InputError, match="width 2"):
        embed(spec, "i", wide=th.build("linear-fc", d_in=2, d_out=2, width=3))
    with pytest.raises(th.InputError, match="cannot grow"):
        embed(th.build("diagonal-linear", dim=2), "ii")
    with pytest.raises(th.InputError, match="unknown"):
        embed(spec, "v")


# ------------------------------------------------------------------------------------------------ catalogs


def test_linear_catalog_levels_and_certificates():
    task = th.LinearRegressionTask.whitened([3, 2, 1])
    cat = fixed_point_catalog(th.build("linear-fc", d_in=3, d_out=3, width=2), task)
    assert len(cat.entries) == 1 + 3 + 3  # |S| <= H = 2
    for e in cat.entries:
        assert e.certified
        assert e.loss == sp.Rational(14, 2) - sp.Rational(1, 2) * sum([3, 2, 1][k - 1] ** 2 for k in e.support)


def test_quadratic_catalog_testbed():
    task = th.QuadraticGaussianTask.diagonal([2, 1, -1, -2])
    cat = fixed_point_catalog(th.build("quadratic", d_in=4, width=3), task)
    assert all(e.certified for e in cat.entries)
    # Width 4 only adds S = {1,2,3,4}; its level is read without re-deriving (certified in claim C20).
    levels = {e.support: e.loss for e in fixed_point_catalog(th.build("quadratic", d_in=4, width=4), task,
                                                             certify=False).entries}
    assert [levels[()], levels[(1,)], levels[(4,)], levels[(1, 4)]] == [10, sp.Rational(22, 3), sp.Rational(22, 3), 2]
    assert levels[(1, 2, 4)] == levels[(1, 3, 4)] == sp.Rational(6, 5) and levels[(1, 2, 3, 4)] == 0


def test_quadratic_representative_is_balanced():
    # spec §2.6 states rho^2 = 2|v|, which is not balanced (|u|^2 = 2 v^2, spec §4.5); ours is.
    spec = th.build("quadratic", d_in=4, width=1)
    e = fixed_point_catalog(spec, th.QuadraticGaussianTask.diagonal([2, 1, -1, -2])).entry((1,))
    v, u = e.theta[0], e.theta[1:]
    assert sp.simplify(sum(x**2 for x in u) - 2 * v**2) == 0
    assert sp.simplify(v * sum(x**2 for x in u) - sp.Rational(4, 3)) == 0


def test_icl_levels_are_half_of_eq19():
    # Symbolic Lambda and N: the level is the derived loss at the certified representative (reduced modulo
    # c^3 = m_d), and it equals half of [ICL] Eq. 19 identically.
    lam = sp.symbols("lambda_1:3", positive=True)
    N = sp.Symbol("N", positive=True)
    cat = fixed_point_catalog(th.build("attn-s", dim=2, width=2), th.ICLTask(sp.diag(*lam), N))
    tr = sum(lam)
    for e in cat.entries:
        eq19 = tr - sum(lam[d - 1] / (1 + (1 + tr / lam[d - 1]) / N) for d in e.support)
        assert e.certified and sp.simplify(e.loss - eq19 / 2) == 0
    assert len(cat.entries) == 2**2


def test_diagonal_catalog():
    cat = fixed_point_catalog(th.build("diagonal-linear", dim=2), DIAG_TASK)
    assert [e.support for e in cat.entries] == [(), (1,), (2,), (1, 2)]
    assert all(e.certified for e in cat.entries)
    assert cat.entry((1, 2)).function == sp.Matrix([sp.Rational(10, 3), sp.Rational(-2, 3)])


def test_catalog_bad_input():
    with pytest.raises(th.InputError, match="no closed-form"):
        fixed_point_catalog(th.build("relu-fc"), th.Dataset(sp.Matrix([[1, 2]]), sp.Matrix([[1]])))
    with pytest.raises(th.InputError, match="distinct"):
        fixed_point_catalog(th.build("linear-fc"), th.LinearRegressionTask.whitened([2, 2]))
    with pytest.raises(th.InputError, match="diagonal"):
        fixed_point_catalog(th.build("linear-fc"), th.LinearRegressionTask(sp.eye(2), sp.Matrix([[1, 1], [0, 1]]),
                                                                          sp.Matrix([[2, 1], [1, 1]])))


# ------------------------------------------------------------------------------------------------ enumeration


def test_c33_counts_and_completeness_linear():
    s1 = th.build("linear-fc", d_in=2, d_out=2, width=1)
    e = enumerate_fixed_points(s1, LIN)
    assert (e.zero_dimensional, e.n_standard_monomials, e.n_complex, e.n_real) == (True, 9, 9, 5)
    assert check_completeness(e, fixed_point_catalog(s1, LIN)).complete
    ec = enumerate_fixed_points(s1, LIN, balance=-2, real_points=False)  # c = 1, 1/2 as well in claim C33
    assert (ec.n_complex, ec.n_real) == (8, 4)
    s2 = th.build("linear-fc", d_in=2, d_out=2, width=2)
    e2 = enumerate_fixed_points(s2, LIN)
    assert (e2.zero_dimensional, e2.dimension) == (False, 1)
    e3 = enumerate_fixed_points(s2, LIN, gauges=("matrix-balance", "v-orthogonal"))
    assert (e3.n_complex, e3.n_real) == (49, 17)
    assert check_completeness(e3, fixed_point_catalog(s2, LIN)).complete


def test_enumeration_quadratic_and_diagonal():
    q1 = th.build("quadratic", d_in=2, width=1)
    e = enumerate_fixed_points(q1, QUAD2)
    # The origin is a multiple root (grad L = O(theta^2) there, spec §3.3): 18 with multiplicity, 13 distinct.
    assert (e.n_standard_monomials, e.n_complex, e.n_real) == (18, 13, 5)
    assert check_completeness(e, fixed_point_catalog(q1, QUAD2)).complete
    q2 = th.build("quadratic", d_in=2, width=2)
    # Without u1.u2 = 0 the set has dimension 1 (O(2)/O(1,1) freedom, collinear Thm 1 families): see the report.
    e2 = enumerate_fixed_points(q2, QUAD2, gauges=("balance", "u-orthogonal"), real_points=False)
    assert (e2.zero_dimensional, e2.n_complex, e2.n_real) == (True, 97, 17)
    assert check_completeness(e2, fixed_point_catalog(q2, QUAD2)).complete
    d = th.build("diagonal-linear", dim=2)
    ed = enumerate_fixed_points(d, DIAG_TASK)
    assert (ed.n_complex, ed.n_real) == (25, 9)
    assert check_completeness(ed, fixed_point_catalog(d, DIAG_TASK)).complete


def test_enumeration_bad_input_and_timeout():
    relu = th.build("relu-fc", d_in=1, width=1)
    with pytest.raises(th.InputError, match="polynomial"):
        enumerate_fixed_points(relu, th.Dataset(sp.Matrix([[1], [2]]), sp.Matrix([[1], [0]])), gauges=())
    tanh = th.build("tanh-fc", d_in=1, width=1)
    with pytest.raises(th.InputError, match="not homogeneous"):
        enumerate_fixed_points(tanh, th.Dataset(sp.Matrix([[1], [2]]), sp.Matrix([[1], [0]])), gauges=("balance",))
    with pytest.raises(th.InputError, match="polynomial"):
        enumerate_fixed_points(tanh, th.Dataset(sp.Matrix([[1], [2]]), sp.Matrix([[1], [0]])), gauges=())
    slow = enumerate_fixed_points(th.build("linear-fc", d_in=2, d_out=2, width=2), LIN, timeout=1e-3)
    assert slow.complete is False and slow.n_real is None and "time bound" in slow.message


# ------------------------------------------------------------------------------------------------ Hessians


def test_reference_spectra_spec_3_2():
    assert [int(x) for x in linear_saddle_spectrum([3, 2, 1], [1], 2)] == [-2, -1, 0, 0, 0, 1, 1, 2, 2, 4, 5, 6]
    assert [int(x) for x in linear_saddle_spectrum([5, 3, 2], [1, 2], 3)] == [-2] + [0] * 8 + [1, 2, 3, 5, 6, 7, 8,
                                                                                               8, 10]
    assert sorted(int(x) for x in linear_saddle_spectrum([3, 2, 1], [], 2)) == sorted([-3, -3, -2, -2, -1, -1, 1, 1,
                                                                                       2, 2, 3, 3])
    with pytest.raises(th.InputError, match="exceeds the width"):
        linear_saddle_spectrum([3, 2, 1], [1, 2], 1)


@settings(max_examples=25)
@given(st.lists(st.integers(1, 30), min_size=2, max_size=3, unique=True), st.integers(1, 3), st.data(),
       st.integers(0, 1))
def test_spectrum_formula_exact_on_random_spectra(svals, H, data, extra_out):
    s = sorted((sp.Rational(x, 4) for x in svals), reverse=True)
    D = len(s)
    r = data.draw(st.integers(0, min(H, D)))
    S = sorted(data.draw(st.permutations(range(1, D + 1)))[:r])
    d_out = D + extra_out
    spec = th.build("linear-fc", d_in=D, d_out=d_out, width=H)
    task = th.LinearRegressionTask.whitened(s, D, d_out)
    der = th.derive(spec, task, hessian=True)
    entry = fixed_point_catalog(spec, task, certify=False).entry(S)
    Hx = der.hessian.xreplace(dict(zip(spec.params, entry.theta, strict=True)))
    assert charpoly_matches(Hx, linear_saddle_spectrum(s, S, H, D, d_out))
    assert exact_inertia(Hx).negative == linear_morse_index(s, S, H)


def test_classification_quadratic_testbed():
    spec = th.build("quadratic", d_in=4, width=2)
    task = th.QuadraticGaussianTask.diagonal([2, 1, -1, -2])
    cat = fixed_point_catalog(spec, task)
    cls = {c.label: c for c in classify_catalog(cat)}
    assert cls["S={}"].kind == "degenerate saddle" and np.allclose(cls["S={}"].eigenvalues, 0)
    c1 = cls["S={1}"]
    assert c1.kind == "degenerate saddle" and c1.morse_index == 0
    d = c1.escape_directions[:, 0]
    v_pos = spec.params.index(spec.units[1].v[0])
    u_pos = [spec.params.index(p) for p in spec.units[1].u]
    assert d[v_pos] < 0 and abs(abs(d[u_pos[3]]) - max(abs(d[u_pos]))) < 1e-12  # along e_4 with v < 0
    assert cls["S={1,4}"].kind == "minimum" and cls["S={2}"].kind == "strict saddle"


def test_classify_bad_input():
    spec = th.build("linear-fc", d_in=2, d_out=2, width=1)
    with pytest.raises(th.InputError, match="not a fixed point"):
        classify_point(spec, LIN, [1, 0, 1, 0])
    with pytest.raises(th.InputError, match="3 values"):
        classify_point(spec, LIN, [0, 0, 0])
