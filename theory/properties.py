"""Symbolic verification of φ's declared properties (spec §1.2) on a built network.

A builder *declares* what φ is (:class:`~theory.phi.Phi`); this module *proves* each declared property on the
spec's own output expression, and refutes each undeclared one with an explicit witness, so a mistyped
declaration cannot silently enable a theorem that does not hold.

Unit 1 is isolated by zeroing every other unit's v; with fresh symbols α (positive when the field is R≥0) and a
second parameter vector w:

* homogeneous of degree p:   f(αu) − α^p f(u) ≡ 0;
* linear in u:               f(u + w) − f(u) − f(w) ≡ 0;
* zero unit:                 f(u = 0) ≡ 0;
* even:                      f(−u) − f(u) ≡ 0.

A property is refuted by a nonzero value at a random rational point (the witness) and proved by ``simplify``.

>>> from theory.architectures import build
>>> check_phi_properties(build("quadratic"))["degree"].holds
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp

from .spec import NetworkSpec, input_symbols
from .timebound import time_bound


@dataclass(frozen=True)
class PropertyCheck:
    """Whether a property holds for the spec's φ, whether it was declared, and the witness when it fails."""

    name: str
    declared: bool
    holds: bool
    witness: str = ""

    @property
    def consistent(self) -> bool:
        return self.declared == self.holds


def _unit_output(spec: NetworkSpec, inputs) -> tuple[sp.Expr, tuple[sp.Symbol, ...]]:
    others = {s: 0 for unit in spec.units[1:] for s in unit.v}
    f = spec.output(inputs)
    return sum((e for e in f), sp.Integer(0)).xreplace(others), spec.units[0].u


# Digits of the evaluation that decides a refutation, and the relative size a difference must exceed: an exact
# cancellation of terms of size S leaves ~10^-50 S at 50 digits (sp.N at its default precision prints it as
# "0.e-125", which compares unequal to 0), while a real difference at a rational point is far above 10^-30 S.
REFUTE_DIGITS, REFUTE_RELATIVE = 50, 1e-30


def _nonzero_value(value: sp.Expr) -> sp.Float | None:
    """The value at a point if it is certainly not zero (relative to the size of its terms), else None."""
    if value == 0:
        return None
    n = sp.N(value, REFUTE_DIGITS)
    if not n.is_number or n.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None  # undefined at this point: it decides nothing
    scale = sum(abs(sp.N(term, REFUTE_DIGITS)) for term in sp.Add.make_args(sp.expand(value)))
    return n if abs(n) > REFUTE_RELATIVE * max(scale, 1) else None


def _identically_zero(expr: sp.Expr, seed: int, points: int = 6) -> tuple[bool, str]:
    """Refute by evaluation at random rational points (cheap, and it gives a witness); otherwise prove by
    ``simplify``.  An identity that holds at every point but that simplify cannot reduce is reported as holding
    with the remark "numerically", never as proved."""
    rng = random.Random(seed)
    symbols = sorted(expr.free_symbols, key=str)
    for _ in range(points):
        # Respect assumptions: a positive symbol (α over R≥0) gets a positive value.
        point = {s: sp.Rational(rng.randint(1, 9) if s.is_positive else (rng.randint(-9, 9) or 1), rng.randint(1, 5))
                 for s in symbols}
        value = _nonzero_value(expr.xreplace(point))
        if value is not None:
            return False, f"difference {float(value):.4g} at the rational point " + ", ".join(
                f"{k}={v}" for k, v in list(point.items())[:6]) + (" ..." if len(point) > 6 else "")
    if sp.simplify(expr) == 0:
        return True, "proved (simplifies to 0)"
    return True, f"holds at {points} random points; simplify did not reduce it to 0"


def check_phi_properties(spec: NetworkSpec, *, timeout: float | None = 60) -> dict[str, PropertyCheck]:
    """Prove or refute each property of spec §1.2 for ``spec``'s φ; keys: degree, linear_in_u, zero_unit, even."""
    phi = spec.phi
    with time_bound(timeout, f"phi properties of {spec.name}"):
        f, u = _unit_output(spec, input_symbols(spec))
        out: dict[str, PropertyCheck] = {}
        alpha = sp.Symbol("alpha", positive=True) if phi.field == "R>=0" else sp.Symbol("alpha", real=True)
        p = phi.degree if phi.degree is not None else 1
        scaled = f.xreplace({s: alpha * s for s in u})
        holds, witness = _identically_zero(scaled - alpha**p * f, 1)
        out["degree"] = PropertyCheck(f"homogeneous of degree {p} over {phi.field or 'R'}", phi.degree is not None,
                                      holds, witness)
        w = sp.symbols(f"w0:{len(u)}", real=True)
        shifted = f.xreplace({s: s + t for s, t in zip(u, w, strict=True)})
        other = f.xreplace(dict(zip(u, w, strict=True)))
        holds, witness = _identically_zero(shifted - f - other, 2)
        out["linear_in_u"] = PropertyCheck("linear in u", phi.linear_in_u, holds, witness)
        holds, witness = _identically_zero(f.xreplace({s: 0 for s in u}), 3)
        out["zero_unit"] = PropertyCheck("zero unit u = 0", phi.zero_unit, holds, witness)
        holds, witness = _identically_zero(f.xreplace({s: -s for s in u}) - f, 4)
        out["even"] = PropertyCheck("even in u", phi.even, holds, witness)
    return out
