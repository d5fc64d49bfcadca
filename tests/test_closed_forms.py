"""Closed forms of spec §6 (theory.closed_forms): each derivation re-checked symbolically (ODE residuals, limits,
special cases) and each NumPy evaluator checked against its SymPy expression or an ODE integration."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp

from theory.closed_forms import (
    attention,
    deep_chain,
    diagonal,
    linear_modes,
    quadratic_levels,
    riccati,
    saxe,
    theorem4,
    unit_escape,
)

MODULES = [saxe, riccati, linear_modes, theorem4, unit_escape, attention, diagonal, deep_chain]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_symbolic_derivation_checks(module):
    checks = module.symbolic_checks()
    assert checks and all(checks.values()), checks


def test_every_closed_form_prints_latex():
    from theory.closed_forms import ClosedForm

    forms = [v for m in MODULES + [quadratic_levels] for v in vars(m).values() if isinstance(v, ClosedForm)]
    assert len(forms) >= 20
    for f in forms:
        assert isinstance(f.latex, str) and f.latex and f.assumptions and f.source


def test_saxe_numeric_matches_sympy_and_spec_value():
    # spec §0.7: bisection at s = 3, u_0 = 1e-8 gives t_mid = 3.10632
    assert round(float(saxe.t_mid(3.0, 1e-8)), 5) == 3.10632
    f = sp.lambdify((saxe.t, saxe.s, saxe.c, saxe.u0), saxe.SIGMOID_EXPR)
    for tt in (0.0, 1.0, 4.0):
        assert saxe.sigmoid(tt, 2.0, 1e-3, 1.3) == pytest.approx(f(tt, 2.0, 1.3, 1e-3), rel=1e-13)
    # time between: reaching u_f
    tb = saxe.time_between(1e-4, 0.5, 1.0, 1.0)
    assert saxe.sigmoid(tb, 1.0, 1e-4) == pytest.approx(0.5, rel=1e-12)
    # refused outside the domain: starting past the midpoint gives NaN, not a negative time
    assert np.isnan(saxe.t_mid(1.0, 0.45))


def test_riccati_matches_reduced_ode_and_inverse():
    rng = np.random.default_rng(1)
    a0, b0 = rng.standard_normal(4) * 0.1, rng.standard_normal(4) * 0.1
    s, c = 1.7, 0.8
    al, be = np.sum((a0 + b0) ** 2) / 4, np.sum((a0 - b0) ** 2) / 4

    def rhs(_t, y):
        r = s - c * y[:4] @ y[4:]
        return np.concatenate([r * y[4:], r * y[:4]])

    tt = np.linspace(0, 8, 30)
    sol = solve_ivp(rhs, [0, 8], np.concatenate([a0, b0]), t_eval=tt, method="DOP853", rtol=1e-12, atol=1e-15)
    ab = np.sum(sol.y[:4] * sol.y[4:], axis=0)
    # exact closed form: only the integrator's ~1e-11 error remains
    assert np.max(np.abs(riccati.strength(tt, s, al, be, c) - ab)) < 1e-9
    t_target = riccati.time_to_strength(1.0, s, al, be, c)
    assert riccati.strength(t_target, s, al, be, c) == pytest.approx(1.0, rel=1e-10)


def test_linear_effective_u0_projection_and_blocks():
    rng = np.random.default_rng(0)
    P = rng.standard_normal((5, 3))
    u = linear_modes.effective_u0(P)
    # ¼‖Π⊥ p_k‖² equals ¼ R_kk² of the QR factorisation
    r = np.linalg.qr(P, mode="r")
    assert np.allclose(u, np.diag(r) ** 2 / 4)
    # block of equal values: Gram eigenvalues (basis independent)
    ub = linear_modes.effective_u0(P, [[0, 1], [2]])
    assert np.allclose(np.sort(ub[:2]), np.sort(np.linalg.eigvalsh(P[:, :2].T @ P[:, :2]) / 4))
    # width below the number of modes: later modes are never learned
    assert linear_modes.effective_u0(P[:2])[2] == 0.0


def test_expected_time_is_chi_square_average():
    # Monte Carlo of the per-seed formula vs the digamma expectation (neglects only O(u/s))
    rng = np.random.default_rng(2)
    H, eps, s = 6, 1e-6, np.array([3.0, 2.0])
    ts = []
    for _ in range(4000):
        P = rng.standard_normal((H, 2)) * eps * math.sqrt(2)
        ts.append(linear_modes.t_half(s, linear_modes.effective_u0(P)))
    ts = np.array(ts)
    for k in (1, 2):
        exp = linear_modes.expected_t_half(s[k - 1], eps, H, k)
        # 4000 samples: standard error ~ std/63
        assert abs(ts[:, k - 1].mean() - exp) < 4 * ts[:, k - 1].std() / math.sqrt(4000)


def test_quadratic_levels_are_losses_at_the_saddles():
    a = [2.0, 1.0, -1.0, -2.0]
    for S in ([], [0], [3], [0, 3], [0, 1, 3], [0, 1, 2, 3]):
        M = quadratic_levels.saddle_matrix(a, S)
        assert quadratic_levels.population_loss(a, M) == pytest.approx(quadratic_levels.level(a, S), abs=1e-12)
        # stationarity on S: G*_kk = 0 for k in S
        assert np.allclose(np.diag(quadratic_levels.residual_g(a, S))[S], 0, atol=1e-12)
    assert np.allclose(np.diag(quadratic_levels.residual_g(a, [0])), [0, 2 / 3, -10 / 3, -16 / 3])


@pytest.mark.parametrize("v0,c", [(0.01, [0.005, 0.02]), (-0.001, [0.02, 0.001]), (0.003, [0.001, 0.01])])
def test_escape_integral_matches_unit_ode(v0, c):
    G = np.diag([2.0, -1.0])
    esc = unit_escape.escape_time(v0, c, [2.0, -1.0])

    def f(_t, y):
        return np.concatenate([[y[1:] @ G @ y[1:]], 2 * y[0] * G @ y[1:]])

    big = 1e4

    def ev(_t, y):
        return np.linalg.norm(y) - big

    ev.terminal = True
    r = solve_ivp(f, [0, 1e6], np.concatenate([[v0], c]), method="DOP853", rtol=1e-12, atol=1e-16, events=ev)
    # the ODE stops at norm 1e4, ~1/(2 λ_max · 1e4) before the blow-up: neglected order 1e-4 absolute
    assert esc.t_star - r.t[-1] == pytest.approx(0.0, abs=2e-4)
    T = 0.6 * esc.t_star
    v, u = unit_escape.state_at(T, v0, c, G)
    r2 = solve_ivp(f, [0, T], np.concatenate([[v0], c]), method="DOP853", rtol=1e-12, atol=1e-16)
    assert np.allclose([v, *u], r2.y[:, -1], rtol=1e-7, atol=1e-12)


def test_escape_scales_as_one_over_eps():
    c, lam = np.array([0.3, -0.7, 1.1]), np.array([2.0, 1.0, -1.5])
    t1 = unit_escape.escape_time(0.4e-3, c * 1e-3, lam).t_star
    t2 = unit_escape.escape_time(0.4e-4, c * 1e-4, lam).t_star
    assert t2 / t1 == pytest.approx(10.0, rel=1e-9)  # Eq. 14 is exactly homogeneous: t*(κθ) = t*(θ)/κ


def test_toy_and_eq16():
    assert np.allclose(unit_escape.toy_escape([0.5, 2.0, -1.0]), [2.0, 0.5, np.inf])


def test_attention_levels_halved_eq19_and_rules():
    lam, N = [1.0, 0.5, 0.25], 32
    L = attention.separate_levels(lam, N)
    icl = [sum(lam) - sum(l / (1 + (1 + sum(lam) / l) / N) for l in lam[:m]) for m in range(4)]
    assert np.allclose(L, np.array(icl) / 2)
    assert attention.learned_order([0.3, 1.0, 0.5]) == [1, 2, 0]
    assert attention.rank_r_plateaus(8, 2) == [0, 2, 4, 6] and attention.rank_r_plateaus(8, 4) == [0, 4]


def test_diagonal_recursion_whitened_and_scalar():
    t, b = diagonal.jump_recursion(np.eye(3), np.array([2.0, -1.0, 0.5]))
    assert np.allclose(t, [0.5, 1.0, 2.0]) and np.allclose(b[-1], [2.0, -1.0, 0.5])


def test_theorem4_and_deep_chain_values():
    assert theorem4.exponent([3, 2, 1, 0.5]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        theorem4.exponent([1, 1])
    # spec §6.9: t* − t(s/2) = 0.85 (N = 3) and 0.27 (N = 4), s = 1
    assert deep_chain.blowup_time(3, 1, 1e-9) - deep_chain.time_to(3, 1, 1e-9, 0.5) == pytest.approx(0.85, abs=0.01)
    assert deep_chain.blowup_time(4, 1, 1e-12) - deep_chain.time_to(4, 1, 1e-12, 0.5) == pytest.approx(0.27, abs=0.01)
