"""numerics.activation: built-in units, units compiled from expressions, user callables, measured properties.

The measured properties are the numeric half of a cross-check (docs/theory.md §1.2, §5.3), so they are tested
against values known in closed form here, never against ``theory``.
"""

from __future__ import annotations

import doctest
import math
import warnings

import numpy as np
import pytest
import scipy.special
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import guards
import numerics
from numerics import activation as units
from numerics.activation import (
    BUILTIN_ACTIVATIONS,
    CUBE,
    IDENTITY,
    RELU,
    SQUARE,
    TANH,
    XTANH,
    Activation,
    compile_activation,
    measure_unit,
)

GRID = np.linspace(-4.0, 4.0, 161)


def _prime(act: Activation, z: np.ndarray) -> np.ndarray:
    if act.prime is None:
        return np.ones_like(z)
    return np.asarray(act.prime(z, act.sigma(z)), dtype=np.float64)


def _close(x, y, tol):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1.0, np.abs(y)))) <= tol


# --- built-ins ------------------------------------------------------------------------------------------------------

def test_builtin_table():
    assert list(BUILTIN_ACTIVATIONS) == ["identity", "relu", "square", "cube", "tanh", "xtanh"]
    assert [BUILTIN_ACTIVATIONS[n] for n in BUILTIN_ACTIVATIONS] == [IDENTITY, RELU, SQUARE, CUBE, TANH, XTANH]
    for name, act in BUILTIN_ACTIVATIONS.items():
        assert act.name == name and act.expression is None
    assert IDENTITY.prime is None
    with pytest.raises(TypeError):
        BUILTIN_ACTIVATIONS["mine"] = TANH  # read-only mapping


@pytest.mark.parametrize("name, text", [("square", "z**2"), ("cube", "z**3"), ("tanh", "tanh(z)"),
                                        ("xtanh", "z*tanh(z)")])
def test_builtin_matches_its_expression(name, text):
    hand, compiled = BUILTIN_ACTIVATIONS[name], compile_activation(text)
    assert _close(hand.sigma(GRID), compiled.sigma(GRID), 1e-12)
    assert _close(_prime(hand, GRID), _prime(compiled, GRID), 1e-12)
    assert _close(hand.second(GRID), compiled.second(GRID), 1e-12)


def test_identity_matches_its_expression():
    compiled = compile_activation("z")
    assert compiled.prime is None  # σ = z compiles to the identity's skip-the-multiplication form
    assert _close(compiled.sigma(GRID), IDENTITY.sigma(GRID), 1e-12)
    assert _close(compiled.second(GRID), IDENTITY.second(GRID), 1e-12)
    doubled = compile_activation("2*z")  # any other linear unit keeps a (constant) σ′
    assert doubled.prime is not None
    assert _close(_prime(doubled, GRID), np.full_like(GRID, 2.0), 0.0)


def test_builtin_second_derivatives_match_finite_differences():
    h = 1e-5
    for act in (SQUARE, CUBE, TANH, XTANH, IDENTITY):
        fd = (_prime(act, GRID + h) - _prime(act, GRID - h)) / (2 * h)
        assert _close(act.second(GRID), fd, 1e-8), act.name


def test_relu_conventions_and_refusal_as_expression():
    z = np.array([-1.0, 0.0, 2.0])
    assert np.array_equal(RELU.sigma(z), [0.0, 0.0, 2.0])
    assert np.array_equal(RELU.prime(z, RELU.sigma(z)), [0.0, 0.0, 1.0])  # relu'(0) = 0
    assert np.array_equal(RELU.second(z), np.zeros(3))
    for text in ("Max(z, 0)", "Max(0, z)"):
        with pytest.raises(guards.InputError, match="differentiable at z = 0"):
            compile_activation(text)


# --- compiling ------------------------------------------------------------------------------------------------------

def test_compiled_functions_return_float_arrays_of_the_input_shape():
    act = compile_activation("2*z + 1")  # σ′ = 2 and σ″ = 0 are constants in SymPy
    z = np.arange(12.0).reshape(3, 4)
    for out in (act.sigma(z), act.prime(z, None), act.second(z)):
        assert out.shape == (3, 4) and out.dtype == np.float64 and out.flags.writeable
    assert np.array_equal(act.prime(z, None), np.full((3, 4), 2.0))
    assert np.array_equal(act.second(z), np.zeros((3, 4)))
    assert act.sigma(np.arange(3)).dtype == np.float64  # integer input
    assert act.second(np.float64(0.5)).shape == ()
    assert act.name == "2*z + 1" and act.expression == "2*z + 1"


def test_compiled_expression_text_round_trips_and_sympy_input():
    act = compile_activation("  log(1+exp(z)) - log(2) ")
    assert act.name == "log(1+exp(z)) - log(2)"
    again = compile_activation(act.expression)
    assert _close(again.sigma(GRID), act.sigma(GRID), 0.0)
    from_sympy = compile_activation(sp.tanh(sp.Symbol("z")))
    assert from_sympy.name == "tanh(z)"
    assert _close(from_sympy.sigma(GRID), np.tanh(GRID), 0.0)


def test_erf_uses_scipy_and_kinks_use_classical_derivatives():
    act = compile_activation("erf(z)")
    assert _close(act.sigma(GRID), scipy.special.erf(GRID), 0.0)
    assert _close(_prime(act, GRID), 2 / math.sqrt(math.pi) * np.exp(-GRID**2), 1e-14)
    cubic_abs = compile_activation("Abs(z)**3")  # σ″ = 6|z|; SymPy's DiracDelta terms are dropped
    assert _close(cubic_abs.second(GRID), 6 * np.abs(GRID), 1e-14)
    heaviside = compile_activation("z**2*Heaviside(z)")
    # SymPy's Heaviside(0) = 1/2 carries over: σ″(0) = 1, the mean of the one-sided values
    assert _close(heaviside.second(GRID), np.where(GRID > 0, 2.0, np.where(GRID == 0, 1.0, 0.0)), 0.0)


def test_overflow_propagates_without_raising():
    act = compile_activation("log(1+exp(z))")
    with np.errstate(all="ignore"):
        out = act.sigma(np.array([0.0, 1e3]))
    assert out[0] == pytest.approx(math.log(2)) and np.isinf(out[1])


def test_parser_refusals_keep_the_argument_name():
    with pytest.raises(guards.InputError, match=r"^activation='sqrt\(z\)': must be real"):
        compile_activation("sqrt(z)", argument="activation")


# --- user callables -------------------------------------------------------------------------------------------------

def test_correct_user_callables_are_used():
    calls = {"sigma": 0, "prime": 0, "second": 0}

    def my_sigma(z):
        calls["sigma"] += 1
        return np.tanh(z)

    def my_prime(z):
        calls["prime"] += 1
        return 1.0 / np.cosh(z) ** 2

    def my_second(z):
        calls["second"] += 1
        return -2.0 * np.tanh(z) / np.cosh(z) ** 2

    act = compile_activation("tanh(z)", sigma=my_sigma, prime=my_prime, second=my_second)
    assert act.sigma is my_sigma and act.second is my_second
    before = dict(calls)
    z = np.linspace(-1, 1, 7)
    assert _close(act.prime(z, act.sigma(z)), TANH.prime(z, np.tanh(z)), 1e-14)
    act.second(z)
    assert {k: calls[k] - before[k] for k in calls} == {"sigma": 1, "prime": 1, "second": 1}


def test_user_callable_returning_a_scalar_is_broadcast():
    act = compile_activation("3*z", prime=lambda z: 3.0, second=lambda z: 0)
    z = np.ones((2, 5))
    assert act.prime(z, None).shape == (2, 5) and act.second(z).shape == (2, 5)
    assert act.second(z).dtype == np.float64


@pytest.mark.parametrize("kw, bad", [("prime", lambda z: 1 - np.tanh(z)), ("sigma", lambda z: np.tanh(z) + 1e-6),
                                     ("second", lambda z: -2 * np.tanh(z))])
def test_wrong_user_callable_is_refused_by_name(kw, bad):
    with pytest.raises(numerics.InputError, match=rf"^{kw}=.*disagrees with") as info:
        compile_activation("tanh(z)", **{kw: bad})
    assert info.value.argument == kw
    assert isinstance(info.value, guards.InputError)


def test_user_callable_that_fails_or_is_not_callable():
    def broken(z):
        raise RuntimeError("nope")

    with pytest.raises(numerics.InputError, match=r"^sigma=.*RuntimeError: nope"):
        compile_activation("sin(z)", sigma=broken)
    with pytest.raises(numerics.InputError, match=r"^second=.*must be a callable"):
        compile_activation("sin(z)", second=0.0)
    with pytest.raises(numerics.InputError, match=r"^prime=.*disagrees"):
        compile_activation("sin(z)", prime=lambda z: np.where(np.abs(z) < 2.9, np.cos(z), np.nan))


# --- measured properties --------------------------------------------------------------------------------------------

CASES = [
    # text, σ(0), parity, q, a, degree
    ("z + z**2/2", 0.0, "neither", 1, 1.0, None),
    ("sin(z)", 0.0, "odd", 1, 1.0, None),
    ("log(1+exp(z)) - log(2)", 0.0, "neither", 1, 0.5, None),
    ("z**2 + z**3", 0.0, "neither", 2, 1.0, None),
    ("z**3 - z**5/10", 0.0, "odd", 3, 1.0, None),
    ("erf(z)", 0.0, "odd", 1, 2 / math.sqrt(math.pi), None),
    ("z*tanh(z)", 0.0, "even", 2, 1.0, None),
    ("z**2", 0.0, "even", 2, 1.0, 2),
    ("cos(z)", 1.0, "even", 2, -0.5, None),
    ("tanh(z)", 0.0, "odd", 1, 1.0, None),
    ("z**3", 0.0, "odd", 3, 1.0, 3),
    ("-2*z", 0.0, "odd", 1, -2.0, 1),
    ("z - 10*z**2", 0.0, "neither", 1, 1.0, None),
    ("3*sin(2*z)**3", 0.0, "odd", 3, 24.0, None),
    ("z**8 + z**9", 0.0, "neither", 8, 1.0, None),
]


@pytest.mark.parametrize("text, v0, parity, q, a, degree", CASES)
def test_measured_properties(text, v0, parity, q, a, degree):
    m = measure_unit(compile_activation(text))
    assert (m.value_at_zero, m.parity, m.order, m.degree) == (v0, parity, q, degree)
    assert m.coefficient == pytest.approx(a, rel=1e-9)
    d = m.details
    assert abs(d["slope"] - q) < 1e-3
    # a smooth unit: the same a from the left, from σ′ and (q ≥ 2) from σ″
    assert d["coefficient_left"] == pytest.approx(a, rel=1e-9)
    assert d["coefficient_from_prime"] == pytest.approx(a, rel=1e-9)
    if q >= 2:
        assert d["coefficient_from_second"] == pytest.approx(a, rel=1e-9)
    else:
        assert math.isnan(d["coefficient_from_second"])
    assert (d["even_deviation"] <= units.SYMMETRY_TOLERANCE) == (parity == "even")
    with pytest.raises(TypeError):
        d["slope"] = 0.0  # read-only


@pytest.mark.parametrize("act, parity, q, a, degree", [
    (IDENTITY, "odd", 1, 1.0, 1), (RELU, "neither", 1, 1.0, None), (SQUARE, "even", 2, 1.0, 2),
    (CUBE, "odd", 3, 1.0, 3), (TANH, "odd", 1, 1.0, None), (XTANH, "even", 2, 1.0, None),
])
def test_measured_builtins(act, parity, q, a, degree):
    m = measure_unit(act)
    assert (m.value_at_zero, m.parity, m.order, m.degree) == (0.0, parity, q, degree)
    assert m.coefficient == pytest.approx(a, rel=1e-9)


def test_relu_is_measured_on_its_active_side():
    d = measure_unit(RELU).details
    assert d["coefficient_left"] == 0.0  # z → 0⁻: relu is 0, so q = 1, a = 1 hold for z → 0⁺ only
    assert d["coefficient_from_prime"] == 1.0  # relu′(h) = 1 for h > 0
    assert d["positive_degree"] == 1.0  # positively homogeneous (α ≥ 0), not homogeneous over R
    assert measure_unit(compile_activation("Abs(z)**3")).details["positive_degree"] == 3.0


@pytest.mark.parametrize("text, degree_near_zero", [
    ("(abs(z + 7) - abs(z - 7))/2", 1),  # the identity clipped at |z| = 7
    ("((abs(z + 50) - abs(z - 50))/2)**2", 2),  # z² until |z| = 50
    ("(abs(z + 1000) - abs(z - 1000))/2", 1),  # clipped far out, inside the probed 6e3
    ("z + sign(z)*Max(0, 5 - Abs(Abs(z) - 25))", 1),  # the identity but for a bump on 20 < |z| < 30
])
def test_a_unit_homogeneous_only_near_zero_has_no_degree(text, degree_near_zero):
    """Homogeneity is a property of σ on all of R (docs/theory.md §1.2: conservation laws and the rotation of
    units rely on it along the whole trajectory). Each of these units is σ = z^p on a ball around 0, where the
    order and coefficient are measured as usual; once |z| leaves it, σ(αz) ≠ α^p σ(z)."""
    m = measure_unit(compile_activation(text))
    assert (m.order, m.degree) == (degree_near_zero, None)
    assert math.isnan(m.details["positive_degree"])
    assert m.details["homogeneity_deviation"] > 1e-3
    # the same polynomial without the clip is homogeneous at every scale probed
    assert measure_unit(compile_activation(f"z**{degree_near_zero}")).degree == degree_near_zero


@pytest.mark.parametrize("text, degree", [("(z+1)**3 - 3*z**2 - 3*z - 1", 3),
                                          ("(z+1)**4 - 4*z**3 - 6*z**2 - 4*z - 1", 4), ("1e-8*z**2", 2),
                                          ("1e8*z**3", 3), ("z*exp(z/2)", None), ("cosh(z/2.85) - 1", None)])
def test_homogeneity_at_every_scale_keeps_rounding_and_overflow_out(text, degree):
    """Written with cancelling terms, z³ and z⁴ stay homogeneous (a probe scale where σ is as small as its rounding
    would lose them); σ that overflows at the largest probes is no homogeneous unit, and says so without a
    warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert measure_unit(compile_activation(text)).degree == degree


def test_measure_needs_only_callables():
    act = Activation("mine", np.sin, lambda z, a: np.cos(z), lambda z: -np.sin(z))
    m = measure_unit(act)
    assert (m.parity, m.order, m.degree) == ("odd", 1, None)
    assert m.coefficient == pytest.approx(1.0, rel=1e-10)


def test_measure_refusals():
    with pytest.raises(numerics.InputError, match="numerically constant"):
        measure_unit(compile_activation("sin(z)**2 + cos(z)**2"))
    with pytest.raises(numerics.InputError, match="not an integer order q in 1..8"):
        measure_unit(compile_activation("z**10"))
    assert measure_unit(compile_activation("z**10"), max_order=10).order == 10
    with pytest.raises(guards.InputError, match="^max_order=0"):
        measure_unit(TANH, max_order=0)


@settings(max_examples=30)
@given(q=st.integers(1, 4), a=st.floats(0.2, 5.0), negative=st.booleans(), b=st.floats(-3.0, 3.0),
       c=st.floats(-3.0, 3.0))
def test_measured_order_and_coefficient_of_polynomials(q, a, negative, b, c):
    a = -a if negative else a
    text = f"{a!r}*z**{q} + {b!r}*z**{q + 1} + {c!r}*z**{q + 2}"
    m = measure_unit(compile_activation(text))
    assert m.order == q
    assert m.coefficient == pytest.approx(a, rel=1e-8)
    assert m.details["coefficient_error"] < 1e-6 * abs(a)
    if b == 0.0 and c == 0.0:
        assert m.degree == q and m.parity == ("even" if q % 2 == 0 else "odd")
    elif abs(b) > 1e-6:
        assert m.parity == "neither" and m.degree is None


# --- module surface -------------------------------------------------------------------------------------------------

def test_exports_and_doctests():
    for name in ("Activation", "BUILTIN_ACTIVATIONS", "compile_activation", "MeasuredUnit", "measure_unit"):
        assert getattr(numerics, name) is getattr(units, name)
        assert name in numerics.__all__
    assert doctest.testmod(units, optionflags=doctest.ELLIPSIS).failed == 0
