"""theory.activation: σ(z) from the user's text, its properties proved (docs/theory.md §1.2, §5.3)."""

from __future__ import annotations

import time

import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import guards
from guards.expression import Z
from theory import activation
from theory.activation import MAX_ORDER, UnitFunction, analyse_activation
from theory.errors import InputError, SymbolicTimeout
from theory.phi import Phi

PI = sp.pi

# text -> (σ(0), zero unit, parity, degree, linear, polynomial, q, a)
EXAMPLES = {
    "z + z**2/2": (0, True, "neither", None, False, True, 1, 1),
    "sin(z)": (0, True, "odd", None, False, False, 1, 1),
    "log(1+exp(z)) - log(2)": (0, True, "neither", None, False, False, 1, sp.Rational(1, 2)),
    "z**2 + z**3": (0, True, "neither", None, False, True, 2, 1),
    "z**3 - z**5/10": (0, True, "odd", None, False, True, 3, 1),
    "erf(z)": (0, True, "odd", None, False, False, 1, 2 / sp.sqrt(PI)),
    "tanh(z)": (0, True, "odd", None, False, False, 1, 1),
    "z*tanh(z)": (0, True, "even", None, False, False, 2, 1),
    "z**2": (0, True, "even", 2, False, True, 2, 1),
    "3*z": (0, True, "odd", 1, True, True, 1, 3),
    "cos(z)": (1, False, "even", None, False, False, 2, sp.Rational(-1, 2)),
    "exp(z) - 1": (0, True, "neither", None, False, False, 1, 1),
    "2*z**3": (0, True, "odd", 3, False, True, 3, 2),
    "log(1+exp(z)) - z/2": (sp.log(2), False, "even", None, False, False, 2, sp.Rational(1, 8)),
    # Abs beyond the lowest order is allowed: σ = z² + |z|³ has q = 2 and is even.
    "z**2 + Abs(z)**3": (0, True, "even", None, False, False, 2, 1),
    # Polynomials written otherwise are found, and the identities proved on the polynomial form.
    "(z**3 + z)/(z**2 + 1)": (0, True, "odd", 1, True, True, 1, 1),
    "cosh(z)**2 - sinh(z)**2 - 1 + z**2": (0, True, "even", 2, False, True, 2, 1),
}


def _same(a, b) -> bool:
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


@pytest.mark.parametrize("text", list(EXAMPLES))
def test_examples_exact(text):
    value, zero_unit, parity, degree, linear, polynomial, q, a = EXAMPLES[text]
    unit = analyse_activation(text)
    assert isinstance(unit, UnitFunction)
    assert unit.text == text
    assert unit.expr.free_symbols == {Z}
    assert _same(unit.value_at_zero, value)
    assert unit.zero_unit is zero_unit
    assert unit.parity == parity
    assert unit.degree == degree
    assert unit.field == ("R" if degree is not None else None)
    assert unit.linear is linear
    assert unit.polynomial is polynomial
    assert unit.order == q
    assert _same(unit.coefficient, a)
    assert set(unit.proofs) == {"zero_unit", "order", "parity", "degree", "linear", "polynomial"}
    assert all(isinstance(line, str) and "\n" not in line and line for line in unit.proofs.values())


def test_coefficients_are_exact_not_floats():
    assert analyse_activation("erf(z)").coefficient == 2 / sp.sqrt(PI)
    assert analyse_activation("log(1+exp(z)) - log(2)").coefficient == sp.Rational(1, 2)
    assert analyse_activation("cos(z)").coefficient == sp.Rational(-1, 2)
    assert analyse_activation("cos(z)").value_at_zero == 1


def test_sympy_expression_input():
    unit = analyse_activation(sp.sin(sp.Symbol("z")))
    assert unit.text == "sin(z)"
    assert unit.expr == sp.sin(Z)
    assert (unit.order, unit.coefficient, unit.parity, unit.zero_unit) == (1, 1, "odd", True)


def test_proof_lines_say_how():
    unit = analyse_activation("z + z**2/2")
    # refuted with witnesses at z = 1/2: σ(−1/2) − σ(1/2) = −1 and σ(−1/2) + σ(1/2) = 1/4
    assert "witness: sigma(-1/2) - sigma(1/2) = -1" in unit.proofs["parity"]
    assert "witness: sigma(-1/2) + sigma(1/2) = 0.25" in unit.proofs["parity"]
    assert "witness" in unit.proofs["degree"]
    assert unit.proofs["polynomial"].startswith("polynomial of degree 2")
    assert analyse_activation("sin(z)").proofs["order"].startswith("series: sin(z) = z - z**3/6")
    assert analyse_activation("tanh(z)").proofs["parity"].startswith("odd: sigma(-z) + sigma(z)")
    assert "homogeneous of degree 2" in analyse_activation("z**2").proofs["degree"]
    # an exact refutation of a tiny difference, not a numerically "zero" one
    assert "not odd: witness" in analyse_activation("1e-25*z**2 + z").proofs["parity"]


def test_describe():
    lines = analyse_activation("z**3 - z**5/10").describe()
    assert "sigma(0) = 0: u = 0 is a zero unit" in lines
    assert "lowest Taylor order q = 3, a = 1: escape time ∝ eps^-2" in lines
    assert "odd" in lines and "not homogeneous" in lines
    assert "polynomial: exact (Groebner) fixed-point enumeration applies" in lines
    lines = analyse_activation("sin(z)").describe()
    assert "lowest Taylor order q = 1, a = 1: escape time ∝ ln(1/eps)" in lines
    assert "not a polynomial: exact (Groebner) fixed-point enumeration does not apply" in lines
    assert any("not a zero unit" in line for line in analyse_activation("cos(z)").describe())
    assert "linear: sigma(z) = 3*z" in analyse_activation("3*z").describe()
    assert "homogeneous of degree p = 2 over R" in analyse_activation("z**2").describe()


# --- honesty: an identity that holds but is not proved is not declared -------------------------------------


def test_unprovable_identity_is_reported_not_declared():
    # asinh(sinh(z)) = z for real z, but simplify does not show it: it must not be declared linear.
    unit = analyse_activation("asinh(sinh(z))")
    assert (unit.order, unit.coefficient, unit.parity) == (1, 1, "odd")
    assert unit.degree is None and not unit.linear and not unit.polynomial
    assert "not proved" in unit.proofs["degree"] and "witness" not in unit.proofs["degree"]
    assert any("not proved" in line for line in unit.describe())
    assert unit.phi().degree is None and not unit.phi().linear_in_u


def test_failed_proofs_are_not_declared(monkeypatch):
    monkeypatch.setattr(activation, "_simplifies_to_zero", lambda expr: (None, "simplify did not reduce it to 0"))
    unit = analyse_activation("sin(z)")
    assert unit.parity == "neither"
    assert "not proved" in unit.proofs["parity"] and "witness" not in unit.proofs["parity"].split(";")[1]
    unit = analyse_activation("z**2")
    assert unit.degree is None and unit.field is None and unit.parity == "neither"
    assert "not proved" in unit.proofs["degree"]
    assert unit.polynomial  # a polynomial as written needs no simplify
    assert not unit.phi().even and unit.phi().degree is None


# --- Phi ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bias", [False, True])
def test_phi(bias):
    unit = analyse_activation("z*tanh(z)")
    phi = unit.phi(bias=bias)
    assert isinstance(phi, Phi)
    assert phi.name == "sigma=z*tanh(z)"
    assert sp.latex(unit.expr) in phi.latex
    assert (r"\sigma(w^\top x + b)" in phi.latex) is bias and (r"\sigma(u^\top x)" in phi.latex) is not bias
    assert (phi.linear_in_u, phi.degree, phi.field, phi.zero_unit, phi.even) == (False, None, None, True, True)
    assert (phi.order, phi.coefficient, phi.expression) == (2, 1, unit.expr)
    assert not phi.unit_specific


@pytest.mark.parametrize("bias", [False, True])
def test_phi_carries_homogeneity_and_linearity_with_or_without_bias(bias):
    # a (w·x + b)^p = a (u·(x, 1))^p: homogeneous of degree p in u = (w, b), and linear for p = 1.
    linear = analyse_activation("3*z").phi(bias=bias)
    assert (linear.linear_in_u, linear.degree, linear.field, linear.zero_unit) == (True, 1, "R", True)
    square = analyse_activation("z**2").phi(bias=bias)
    assert (square.linear_in_u, square.degree, square.field, square.even) == (False, 2, "R", True)
    cosine = analyse_activation("cos(z)").phi(bias=bias)
    assert not cosine.zero_unit and cosine.even and cosine.order == 2 and cosine.coefficient == sp.Rational(-1, 2)


def test_phi_properties_hold_on_the_unit():
    # φ(x; u) = σ(u·x) for u, x in R²: check the declared properties directly on φ.
    u, w, x = sp.symbols("u0:2", real=True), sp.symbols("w0:2", real=True), sp.symbols("x0:2", real=True)
    alpha = sp.Symbol("alpha", real=True)
    for text in ("z**2", "3*z", "z*tanh(z)", "2*z**3"):
        unit = analyse_activation(text)
        phi = unit.phi()

        def f(params, unit=unit):
            return unit.expr.xreplace({Z: sum(p * xi for p, xi in zip(params, x, strict=True))})

        if phi.degree is not None:
            assert sp.expand(f([alpha * p for p in u]) - alpha**phi.degree * f(u)) == 0
        if phi.linear_in_u:
            assert sp.expand(f([a + b for a, b in zip(u, w, strict=True)]) - f(u) - f(w)) == 0
        if phi.even:
            assert sp.simplify(f([-p for p in u]) - f(u)) == 0
        assert (f([0, 0]) == 0) is phi.zero_unit


# --- refusals -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, fragment", [
    ("exp(-1/z**2)", "finite at z = 0"),          # flat, refused by the parser already
    ("abs(z)", "differentiable"),
    ("sqrt(z)", "real"),
    ("y + z", "only variable is z"),
    ("", "expression in z"),
    ("sin(z)**2 + cos(z)**2 - 1", f"up to order {MAX_ORDER}"),   # ≡ 0 written otherwise: flat
    ("z**13", f"up to order {MAX_ORDER}"),
    ("Abs(z)**3", "no Taylor term"),                # |z|³ is not a z³ on both sides
    ("z*Abs(z)", "no Taylor term"),
    ("Max(z, 0)**2", "no Taylor term"),
    ("Abs(z)**2.5", "integer q"),
])
def test_refusals_are_input_errors_naming_the_argument(text, fragment):
    with pytest.raises(InputError) as info:
        analyse_activation(text)
    message = str(info.value)
    assert isinstance(info.value, guards.InputError)
    assert message.startswith("--activation=") and fragment in message and "\n" not in message
    assert info.value.argument == "--activation" and info.value.rule


def test_refusal_uses_the_callers_argument_name():
    with pytest.raises(InputError, match=r"^activation='z\*\*13': "):
        analyse_activation("z**13", argument="activation")
    with pytest.raises(InputError, match=r"^activation="):
        analyse_activation("log(z)", argument="activation")
    with pytest.raises(InputError, match=r"^activation="):
        analyse_activation(3, argument="activation")  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan"), float("inf"), True])
def test_bad_timeout(timeout):
    with pytest.raises(InputError, match="^timeout="):
        analyse_activation("sin(z)", timeout=timeout)


def test_pathological_expression_is_bounded():
    nested = "z"
    for _ in range(14):
        nested = f"tanh({nested})"
    start = time.monotonic()
    with pytest.raises((SymbolicTimeout, InputError)):
        analyse_activation(nested, timeout=1.0)
    assert time.monotonic() - start < 4.0
    # the bound leaves no timer behind: a normal analysis afterwards runs and is not interrupted
    assert analyse_activation("tanh(z)", timeout=5).order == 1


def test_identity_unit():
    unit = analyse_activation("z")
    assert unit.linear and unit.degree == 1 and unit.order == 1 and unit.coefficient == 1


def test_export():
    import theory

    assert theory.analyse_activation is analyse_activation and theory.UnitFunction is UnitFunction
    assert {"analyse_activation", "UnitFunction"} <= set(theory.__all__)


# --- property-based: polynomials, where every answer is known in closed form -------------------------------


@given(st.dictionaries(st.integers(0, 6), st.integers(-4, 4).filter(bool), min_size=1, max_size=4)
       .filter(lambda c: any(k >= 1 for k in c)),
       st.integers(1, 3))
def test_polynomials(coefficients, denominator):
    sigma = sum((sp.Rational(c, denominator) * Z**k for k, c in coefficients.items()), sp.Integer(0))
    unit = analyse_activation(str(sigma))
    q = min(k for k in coefficients if k >= 1)
    assert unit.order == q and unit.coefficient == sp.Rational(coefficients[q], denominator)
    assert unit.value_at_zero == sp.Rational(coefficients.get(0, 0), denominator)
    assert unit.zero_unit is (0 not in coefficients)
    assert unit.polynomial
    even, odd = all(k % 2 == 0 for k in coefficients), all(k % 2 == 1 for k in coefficients)
    assert unit.parity == ("even" if even else "odd" if odd else "neither")
    monomial = len(coefficients) == 1
    assert unit.degree == (q if monomial else None)
    assert unit.linear is (monomial and q == 1)


def test_points_outside_the_real_domain_are_no_witness():
    # log(z) at z = -1 and tan(z) at a pole are not values of a real σ: such a sample neither refutes nor counts.
    assert activation._sample(sp.log(Z), (sp.log(Z),), {Z: sp.Integer(-1)}) is None
    assert activation._sample(sp.tan(Z), (sp.tan(Z),), {Z: PI / 2}) is None
    assert activation._sample(Z**2 - Z**2, (Z**2,), {Z: sp.Rational(1, 3)}) == (True, 0.0)
