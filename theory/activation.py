"""A user's unit σ(z), given as a SymPy expression, and the properties of φ it implies, proved from the expression.

``--activation EXPR`` lets a user bring their own pointwise unit φ(x; u) = σ(u·x).  The theorems do not take a
declaration on trust: :func:`analyse_activation` *proves* each property of docs/theory.md §1.2 from σ itself, or
refutes it with a witness, and records one line per property in :attr:`UnitFunction.proofs`.  A property that
holds at every sampled point but that ``simplify`` cannot prove is reported as *not proved* and is not declared:
a missing declaration only withholds a construction, a wrong one would enable a theorem that does not hold.

The properties of σ and what they give φ (docs/theory.md §1.2, §5.3):

* σ(0) = 0                  — u = 0 is a zero unit (Thm 1 (ii), Thm 3 (ii), Type III);
* parity, σ(−z) = ±σ(z)     — even σ makes φ even in u (the sign-flip invariant set of §4.4);
* σ(αz) = α^p σ(z), α ∈ R   — φ homogeneous of degree p (Euler's identity, balancedness §4.5); p = 1 is σ = a z,
  φ linear in u (Type I);
* σ a polynomial            — the loss is a polynomial and exact (Groebner) fixed-point enumeration applies;
* Taylor order q            — σ(z) = σ(0) + a z^q + o(z^q): φ is of order q in u at the zero unit, which sets the
  escape law, ln(1/ε) for q = 1 and ε^{−(q−1)} for q ≥ 2 (docs/theory.md §5.3, §6.9).

>>> unit = analyse_activation("z*tanh(z)")
>>> unit.order, unit.coefficient, unit.parity, unit.zero_unit
(2, 1, 'even', True)
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from types import MappingProxyType

import sympy as sp

import guards
from guards.expression import Z, parse_activation

from .errors import InputError, SymbolicTimeout
from .phi import Phi
from .timebound import time_bound

__all__ = ["MAX_ORDER", "UnitFunction", "analyse_activation"]

MAX_ORDER = 12
"""Highest Taylor order searched for q; a unit with no non-zero coefficient up to here is refused."""

PROOF_SECONDS = 5.0
"""Bound on one ``simplify`` proof attempt: when it runs out the property is reported as not proved."""

_POINTS = 6  # rational sample points per refutation attempt
_DIGITS = 40  # working precision of a numeric sample
_RELATIVE_ZERO = 1e-25  # a numeric sample this small (relative to σ's size there) counts as zero, never as proof
_SERIES_ORDERS = (4, 8, MAX_ORDER + 1)  # most units have q <= 3: expand further only when needed

_T = sp.Symbol("t", positive=True)  # |z| for the one-sided expansions z = +t and z = -t


@dataclass(frozen=True)
class UnitFunction:
    """A pointwise unit σ(z) and its proved properties (docs/theory.md §1.2, §5.3).

    Attributes
    ----------
    text : str
        The user's text (or ``str(expr)`` for a SymPy input).
    expr : sympy.Expr
        σ(z) in the real symbol :data:`guards.expression.Z`.
    value_at_zero : sympy.Expr
        σ(0), exact.
    zero_unit : bool
        σ(0) = 0 proved: u = 0 is a zero unit.
    parity : str
        ``"even"`` or ``"odd"`` when σ(−z) ∓ σ(z) ≡ 0 is proved, else ``"neither"`` (refuted with a witness, or
        not proved; :attr:`proofs` says which).
    degree : int or None
        p when σ(αz) = α^p σ(z) for every real α is proved (σ = a z^p), else None.
    field : str or None
        ``"R"`` when :attr:`degree` is set, else None.
    linear : bool
        σ(z) = a z.
    polynomial : bool
        σ is proved to be a polynomial in z.
    order : int
        q, the lowest k >= 1 with σ^(k)(0) != 0.
    coefficient : sympy.Expr
        a = σ^(q)(0) / q!, exact.
    proofs : Mapping[str, str]
        Property name -> one line saying how it was proved or refuted.

    Notes
    -----
    Theorems read the booleans; they are True only when proved.  Keys of :attr:`proofs`: ``zero_unit``,
    ``order``, ``parity``, ``degree``, ``linear``, ``polynomial``.
    """

    text: str
    expr: sp.Expr
    value_at_zero: sp.Expr
    zero_unit: bool
    parity: str
    degree: int | None
    field: str | None
    linear: bool
    polynomial: bool
    order: int
    coefficient: sp.Expr
    proofs: Mapping[str, str] = dataclass_field(compare=False)  # derived text: not part of equality

    def phi(self, *, bias: bool = False) -> Phi:
        r"""The :class:`~theory.phi.Phi` of the fully connected unit φ(x; u) = σ(w·x [+ b]), u = (w[, b]).

        Parameters
        ----------
        bias : bool
            Whether the unit has a bias, u = (w, b).

        Returns
        -------
        Phi
            Its properties, every one of which follows from a proved property of σ.

        Notes
        -----
        With a bias, w·x + b = u·(x, 1) is still linear in u = (w, b), so each property of σ carries over
        unchanged (docs/theory.md §1.2):

        * zero unit: φ(x; 0) = σ(0) for every x, so u = 0 is a zero unit exactly when σ(0) = 0.  (With a bias
          a root σ(b₀) = 0, b₀ != 0, would make u = (0, b₀) a zero unit too; it is not declared, because the
          theorems and the order q refer to u = 0.)
        * homogeneity: σ = a z^p gives φ(x; αu) = a (α u·(x, 1))^p = α^p φ(x; u) for every real α, with or
          without the bias;
        * linear in u: σ = a z gives φ(x; u) = a u·(x, 1), linear in u = (w, b) (the feature map is (x, 1));
        * even: σ(−u·(x, 1)) = σ(u·(x, 1)) when σ is even;
        * order and coefficient: φ(x; u) − σ(0) = a (u·(x, 1))^q + o(|u|^q), the same q and a (§5.3).

        Examples
        --------
        >>> analyse_activation("z**2").phi(bias=True).degree
        2
        """
        sigma = sp.latex(self.expr)
        if bias:
            latex = rf"\phi(x; u) = \sigma(w^\top x + b),\ u = (w, b),\ \sigma(z) = {sigma}"
        else:
            latex = rf"\phi(x; u) = \sigma(u^\top x),\ \sigma(z) = {sigma}"
        return Phi("sigma=" + self.text, latex, linear_in_u=self.linear, degree=self.degree, field=self.field,
                   zero_unit=self.zero_unit, even=self.parity == "even", order=self.order,
                   coefficient=self.coefficient, expression=self.expr)

    def describe(self) -> list[str]:
        """Human-readable lines: each property of σ and what it means for the theorems.

        Examples
        --------
        >>> analyse_activation("sin(z)").describe()[:2]
        ['sigma(0) = 0: u = 0 is a zero unit', 'lowest Taylor order q = 1, a = 1: escape time ∝ ln(1/eps)']
        """
        out = []
        if self.zero_unit:
            out.append("sigma(0) = 0: u = 0 is a zero unit")
        else:
            out.append(f"sigma(0) = {self.value_at_zero}: u = 0 is not a zero unit (Thm 1 (ii), Thm 3 (ii) "
                       "do not apply)")
        law = "ln(1/eps)" if self.order == 1 else f"eps^-{self.order - 1}"
        out.append(f"lowest Taylor order q = {self.order}, a = {self.coefficient}: escape time ∝ {law}")
        if self.parity != "neither":
            out.append(self.parity)
        else:
            out.append("neither even nor odd" + _unproved_remark(self.proofs["parity"]))
        if self.linear:
            out.append(f"linear: sigma(z) = {self.coefficient}*z")
        elif self.degree is not None:
            out.append(f"homogeneous of degree p = {self.degree} over R")
        else:
            out.append("not homogeneous" + _unproved_remark(self.proofs["degree"]))
        if self.polynomial:
            out.append("polynomial: exact (Groebner) fixed-point enumeration applies")
        else:
            out.append("not a polynomial: exact (Groebner) fixed-point enumeration does not apply")
        return out


def _unproved_remark(line: str) -> str:
    # The theorems treat an unproved identity as false; the reader should know it held at every sample.
    return " (it holds at every sampled point but is not proved; see proofs)" if "not proved" in line else ""


# --- exact and sampled zero tests -----------------------------------------------------------------------------


def _is_zero(value: sp.Expr) -> bool | None:
    """Whether an exact constant is zero: True/False when SymPy decides it, None when it cannot."""
    value = sp.sympify(value)
    if value.is_zero is not None:
        return bool(value.is_zero)
    try:
        return value.equals(0)
    except (TypeError, ValueError, NotImplementedError, RecursionError):
        return None


def _sample(expr: sp.Expr, parts: tuple[sp.Expr, ...], point: Mapping[sp.Symbol, sp.Rational]
            ) -> tuple[bool, float] | None:
    """(vanishes at the point, value), or None when the point is outside σ's real domain (a value of σ there is
    not finite and real, e.g. a pole of tan or log of a negative number): such a point proves nothing.

    Exact when the value is a number (polynomials with exact coefficients); otherwise high-precision evaluation,
    where a value below ``_RELATIVE_ZERO`` of the size of ``parts`` counts as zero: evalf returns values such as
    ``0.e-165`` for exact cancellations, which must not be read as a witness."""
    try:
        sizes = [complex(sp.N(part.xreplace(point), 15)) for part in parts]
        if not all(math.isfinite(abs(v)) and abs(v.imag) <= 1e-12 * max(1.0, abs(v)) for v in sizes):
            return None
        value = expr.xreplace(point)
        if value.is_Number:
            return value == 0, float(value)
        numeric = complex(sp.N(value, _DIGITS))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    if not math.isfinite(abs(numeric)):
        return None
    return abs(numeric) <= _RELATIVE_ZERO * max(1.0, sum(abs(v) for v in sizes)), numeric.real


def _points(symbols: tuple[sp.Symbol, ...], seed: int) -> list[dict[sp.Symbol, sp.Rational]]:
    # The first point is z = 1/2 (with α = 2), a readable witness; the others are random signed rationals.
    rng = random.Random(seed)
    first = {s: sp.Rational(1, 2) if s == Z else sp.Integer(2) for s in symbols}
    rest = [{s: sp.Rational(rng.choice((-1, 1)) * rng.randint(1, 9), rng.randint(1, 5)) for s in symbols}
            for _ in range(_POINTS - 1)]
    return [first, *rest]


def _simplifies_to_zero(expr: sp.Expr) -> tuple[bool | None, str]:
    """Try to prove expr ≡ 0 (cheapest first); (True, how) or (None, why not).  Each ``simplify`` runs under its
    own bound so that a stubborn identity is reported as not proved instead of using up the caller's time."""
    if expr == 0:
        return True, "is identically 0"
    try:
        if sp.expand(expr) == 0:
            return True, "expands to 0"
        with time_bound(PROOF_SECONDS, "simplify"):
            if sp.simplify(expr) == 0:
                return True, "simplifies to 0"
    except SymbolicTimeout:
        return None, f"simplify exceeded {PROOF_SECONDS:g} s"
    except (TypeError, ValueError, NotImplementedError, RecursionError, ZeroDivisionError) as exc:
        return None, f"simplify failed ({type(exc).__name__})"
    return None, "simplify did not reduce it to 0"


def _identity(expr: sp.Expr, parts: tuple[sp.Expr, ...], label, seed: int) -> tuple[bool, str]:
    """Decide expr ≡ 0 in z (and α), where expr combines the values ``parts`` of σ: refute at rational points,
    else prove symbolically.

    ``label(point)`` renders the left-hand side at a point for the witness.  Returns (proved, line); a failed
    proof of an identity that holds at every sample is (False, "... not proved ...").
    """
    symbols = tuple(sorted(expr.free_symbols | {Z}, key=str))
    checked = 0
    for point in _points(symbols, seed):
        sample = _sample(expr, parts, point)
        if sample is None:
            continue
        checked += 1
        if not sample[0]:
            return False, f"witness: {label(point)} = {sample[1]:.4g}"
    proved, how = _simplifies_to_zero(expr)
    if proved:
        return True, f"{label(None)} {how}"
    return False, (f"{label(None)} vanishes at {checked} rational points but is not proved ({how}); "
                   "treated as not holding")


# --- the Taylor order ---------------------------------------------------------------------------------------


def _one_sided(expr: sp.Expr, sign: int, n: int, argument: str, text: str) -> dict[sp.Expr, sp.Expr]:
    """Coefficients {exponent: c} of σ(sign·t) = Σ c t^exponent + O(t^n), t > 0.

    Expanding in t > 0 on each side separately is what makes Abs, sign, Max and sqrt(z**2 …) expand correctly
    (|z| = t on one side and −z = t on the other), where a series in z would silently assume one branch."""
    try:
        series = sp.series(expr.xreplace({Z: sign * _T}), _T, 0, n).removeO()
    except (ValueError, TypeError, NotImplementedError, ZeroDivisionError, sp.PoleError) as exc:
        raise guards.invalid(argument, text, f"SymPy could not expand sigma in a series at z = 0 "
                             f"({type(exc).__name__}); the escape law needs its Taylor order", cls=InputError) from None
    out: dict[sp.Expr, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(series)):
        coeff, exponent = term.as_coeff_exponent(_T)
        if coeff.has(_T):
            raise guards.invalid(argument, text, f"sigma has the term {term.xreplace({_T: Z})} near z = 0, not a "
                                 "Taylor series; the escape law needs sigma(z) = sigma(0) + a*z**q + o(z**q)",
                                 cls=InputError)
        out[exponent] = out.get(exponent, sp.Integer(0)) + coeff
    return out


def _taylor(expr: sp.Expr, argument: str, text: str) -> tuple[int, sp.Expr, str]:
    """(q, a, proof line) from the one-sided expansions of σ at 0, up to ``MAX_ORDER``."""
    for n in _SERIES_ORDERS:
        right = _one_sided(expr, 1, n, argument, text)
        left = _one_sided(expr, -1, n, argument, text)
        exponents = sorted({e for e in (*right, *left) if e > 0}, key=float)
        undecided = []
        for e in exponents:
            # σ(−t) = c⁻ t^e means σ(z) = c⁻ (−z)^e for z < 0: compare (−1)^e c⁻ with c⁺.
            c_right, c_left = right.get(e, sp.Integer(0)), left.get(e, sp.Integer(0))
            zero_right, zero_left = _coefficient_is_zero(c_right, e, undecided), _coefficient_is_zero(c_left, e,
                                                                                                       undecided)
            if zero_right and zero_left:
                continue
            if not (e.is_Integer and _is_zero(c_right - (-1) ** e * c_left)):
                # σ(z) − σ(0) ~ c⁺|z|^e for z > 0 and c⁻|z|^e for z < 0: no single a z^q fits both sides.
                shape = f"a*z**{e} on both sides" if e.is_Integer else "a*z**q for an integer q"
                rule = (f"has no Taylor term at its lowest order: sigma(z) - sigma(0) ~ {c_right}*|z|**{e} for z > 0 "
                        f"and ~ {c_left}*|z|**{e} for z < 0, which is not {shape}; the escape law "
                        "(docs/theory.md §5.3) needs sigma(z) = sigma(0) + a*z**q + o(z**q)")
                raise guards.invalid(argument, text, rule, cls=InputError)
            q = int(e)
            a = c_right if c_right.is_Number else sp.simplify(c_right)
            return q, a, _series_line(expr, right, left, q, n) + "".join("; " + u for u in undecided)
    rule = (f"sigma - sigma(0) has no non-zero Taylor coefficient up to order {MAX_ORDER} (flat at z = 0, or of "
            f"order > {MAX_ORDER}); the escape law (docs/theory.md §5.3) needs a finite Taylor order q")
    raise guards.invalid(argument, text, rule, cls=InputError)


def _coefficient_is_zero(c: sp.Expr, e: sp.Expr, notes: list[str]) -> bool:
    """Whether a Taylor coefficient is zero; one SymPy cannot decide counts as zero only when it vanishes to
    ``_DIGITS`` digits, and that is noted (a q taken past such a coefficient is not a proof)."""
    decided = _is_zero(c)
    if decided is not None:
        return decided
    if abs(complex(sp.N(c, _DIGITS))) < 10.0 ** (5 - _DIGITS):
        notes.append(f"the z**{e} coefficient {c} is 0 to {_DIGITS - 5} digits but not proved 0")
        return True
    return False


def _series_line(expr, right, left, q, n) -> str:
    # Show the whole expansion when both sides agree term by term (σ smooth to that order), else up to order q.
    agree = all(e.is_Integer and _is_zero(right.get(e, 0) - (-1) ** e * left.get(e, 0)) for e in {*right, *left})
    top = n if agree else q + 1
    terms = sp.Add(*(c * Z**e for e, c in right.items() if e.is_Integer and e < top))
    shown = sp.Add(terms, sp.Order(Z**top, (Z, 0)))
    line = f"series: {expr} = {shown}"
    return line if agree else line + " (the one-sided expansions agree up to this order only)"


# --- the analysis ---------------------------------------------------------------------------------------------


def analyse_activation(source: str | sp.Basic, *, argument: str = "--activation",
                       timeout: float | None = 30) -> UnitFunction:
    """Parse σ(z) and prove the properties of φ(x; u) = σ(u·x) that the theorems use.

    Parameters
    ----------
    source : str or sympy.Basic
        σ as text in SymPy syntax in the variable ``z`` (``"tanh(z)"``) or a SymPy expression in one symbol
        named ``z``; the rules are those of :func:`guards.expression.parse_activation`.
    argument : str
        The name the caller gave the input (``--activation`` on the command line, ``activation`` in the API);
        every refusal names it.
    timeout : float or None
        Wall-clock bound in seconds on the whole analysis (None: no bound of its own).

    Returns
    -------
    UnitFunction
        σ with its value at 0, parity, homogeneity, polynomiality, Taylor order q and coefficient a, and a proof
        line for each.

    Raises
    ------
    theory.errors.InputError
        σ is refused by the parser, has no Taylor expansion at its lowest order (e.g. ``Abs(z)**3``), or no
        non-zero Taylor coefficient up to order ``MAX_ORDER`` (flat at 0).
    theory.errors.SymbolicTimeout
        The analysis exceeded ``timeout``.

    Notes
    -----
    docs/theory.md §1.2 lists the properties of φ the theorems use; for φ(x; u) = σ(u·x) they reduce to
    properties of σ:

    * **zero unit** — σ(0) = 0, decided exactly;
    * **order** — the lowest k >= 1 with a non-zero coefficient in σ(z) = σ(0) + a z^q + o(z^q), from the two
      one-sided series σ(±t), t > 0 (they must agree at order q, which refuses |z|^3, z|z|, |z|^(5/2)); it sets the
      escape law ln(1/ε) for q = 1 and ε^{−(q−1)} for q >= 2 (§5.3, §6.9);
    * **parity** — even: σ(−z) − σ(z) ≡ 0, odd: σ(−z) + σ(z) ≡ 0;
    * **homogeneity** — σ(αz) = α^p σ(z) for all real α forces σ(0) = 0 (α = 0) and σ(z) = σ(1) z^p, hence
      p = q: only σ(αz) − α^q σ(z) ≡ 0 needs checking.  p = 1 is σ = a z (linear);
    * **polynomial** — σ, after ``cancel`` or ``simplify``, is a polynomial in z.

    Each identity is refuted by its value at rational points (exact for polynomials, else to 40 digits), which
    gives the witness, and proved by ``expand``/``simplify``.  An identity that vanishes at every point but is not
    proved is recorded as "not proved" and the property is not declared.

    Examples
    --------
    >>> unit = analyse_activation("z + z**2/2")
    >>> unit.order, unit.coefficient, unit.parity, unit.polynomial
    (1, 1, 'neither', True)
    >>> unit.proofs["parity"]
    'not even: witness: sigma(-1/2) - sigma(1/2) = -1; not odd: witness: sigma(-1/2) + sigma(1/2) = 0.25'
    >>> analyse_activation("erf(z)").coefficient
    2/sqrt(pi)
    """
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int | float)
                                or not math.isfinite(timeout) or timeout <= 0):
        raise guards.invalid("timeout", timeout, "must be a finite number of seconds > 0, or None", cls=InputError)
    text = source.strip() if isinstance(source, str) else str(source)
    with time_bound(timeout, f"analysing {argument}={text[:60]!r}"):
        try:
            expr = parse_activation(source, argument)
        except InputError:
            raise
        except guards.InputError as exc:
            if exc.rule is None:
                raise InputError(str(exc)) from None
            raise guards.invalid(exc.argument or argument, exc.value, exc.rule, cls=InputError) from None
        except guards.BoundExceeded as exc:
            raise SymbolicTimeout(str(exc)) from None
        return _analyse(expr, text, argument)


def _analyse(expr: sp.Expr, text: str, argument: str) -> UnitFunction:
    proofs: dict[str, str] = {}
    at_zero = sp.sympify(expr.xreplace({Z: 0}))  # xreplace of a bare symbol returns a Python int
    value_at_zero = sp.simplify(at_zero) if not at_zero.is_Number else at_zero
    zero = _is_zero(value_at_zero)
    zero_unit = zero is True
    if zero is None:
        proofs["zero_unit"] = f"sigma(0) = {value_at_zero} is not proved to be 0; treated as no zero unit"
    else:
        proofs["zero_unit"] = f"sigma(0) = {value_at_zero}" + (" exactly" if zero else " != 0")

    q, a, proofs["order"] = _taylor(expr, argument, text)

    # A proved polynomial form P ≡ σ is easier to reason about than σ as written (sign(z)**2*z**2): prove the
    # identities on P, which is sound because σ ≡ P is itself proved.
    polynomial, proofs["polynomial"], form = _polynomial(expr)
    work = form if polynomial else expr
    via = f" (on sigma = {form}, see polynomial)" if polynomial and form != expr else ""

    minus = work.xreplace({Z: -Z})
    even, even_line = _identity(minus - work, (minus, work), lambda p: _pair(p, "-"), 11)
    odd, odd_line = (False, "") if even else _identity(minus + work, (minus, work), lambda p: _pair(p, "+"), 12)
    parity = "even" if even else "odd" if odd else "neither"
    proofs["parity"] = (f"even: {even_line}{via}" if even else f"odd: {odd_line}{via}" if odd
                        else f"not even: {even_line}; not odd: {odd_line}")

    degree, field = None, None
    if not zero_unit:
        proofs["degree"] = f"not homogeneous: alpha = 0 needs sigma(0) = 0, but sigma(0) = {value_at_zero}"
    else:
        alpha = sp.Symbol("alpha", real=True)
        scaled = work.xreplace({Z: alpha * Z})
        homogeneous, line = _identity(scaled - alpha**q * work, (scaled, work), lambda p: _scaled(p, alpha, q), 13)
        # Homogeneity of degree p forces σ = σ(1) z^p, which has Taylor order p: only p = q can hold.
        proofs["degree"] = (f"homogeneous of degree {q}: {line}{via}" if homogeneous
                            else f"not homogeneous (only p = q = {q} could hold): {line}")
        if homogeneous:
            degree, field = q, "R"
    linear = degree == 1
    proofs["linear"] = (f"sigma(z) = {a * Z}: homogeneous of degree 1 over R" if linear
                        else f"not a*z: homogeneous of degree {degree}" if degree is not None
                        else "not a*z: not homogeneous of degree 1 (see degree)")
    return UnitFunction(text, expr, value_at_zero, zero_unit, parity, degree, field, linear, polynomial, q, a,
                        MappingProxyType(proofs))


def _pair(point, op: str) -> str:
    if point is None:
        return f"sigma(-z) {op} sigma(z)"
    z = point[Z]
    return f"sigma({-z}) {op} sigma({z})"


def _scaled(point, alpha: sp.Symbol, q: int) -> str:
    head = f"sigma(alpha*z) - alpha**{q}*sigma(z)"
    return head if point is None else f"at alpha = {point[alpha]}, z = {point[Z]}: {head}"


def _polynomial(expr: sp.Expr) -> tuple[bool, str, sp.Expr]:
    """Prove σ is a polynomial in z (as written, after ``cancel``, or after ``simplify``), else say none was found;
    (proved, line, the polynomial form or σ).

    Point values cannot refute polynomiality (finitely many values always fit some polynomial), so the negative
    answer is "no polynomial form found", and the exact fixed-point methods are not used.
    """
    candidates = [("as written", lambda: expr), ("after cancel", lambda: sp.cancel(expr))]
    candidates.append(("after simplify", lambda: sp.simplify(expr)))
    for how, make in candidates:
        try:
            if how == "after simplify":
                with time_bound(PROOF_SECONDS, "simplify"):
                    form = make()
            else:
                form = make()
        except SymbolicTimeout:
            break
        except (TypeError, ValueError, NotImplementedError, RecursionError, sp.PolynomialError):
            continue
        if form.is_polynomial(Z):
            poly = sp.Poly(form, Z)
            return True, f"polynomial of degree {poly.degree()} {how}: {poly.as_expr()}", poly.as_expr()
    atoms = sorted({str(f) for f in expr.atoms(sp.Function) if f.has(Z)}
                   | {str(p) for p in expr.atoms(sp.Pow) if p.has(Z) and not (p.exp.is_Integer and p.exp >= 0)})
    found = ("it contains " + ", ".join(atoms[:3])) if atoms else "no polynomial form"
    return False, (f"no polynomial form found (as written, after cancel, after simplify; {found}): treated as not "
                   "a polynomial"), expr
