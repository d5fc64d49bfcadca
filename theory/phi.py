"""The unit nonlinearity φ(z; u) of Eq. 1 and the properties the theorems use (spec §1.2).

A :class:`Phi` carries its formula (as LaTeX, for printing) and the declared properties that decide which
constructions of Theorems 1 and 3 apply:

* ``linear_in_u``     — φ(z; αu + βu') = αφ(z; u) + βφ(z; u') (Type I, Thm 1 (iv), Thm 3 (iv));
* ``degree``          — homogeneous of degree p: φ(z; αu) = α^p φ(z; u) for α in ``field``;
* ``field``           — ``"R"`` (all real α) or ``"R>=0"`` (positive homogeneity only, e.g. ReLU);
* ``zero_unit``       — some u_zero has φ(z; u_zero) = 0 for every z (Thm 1 (ii), Thm 3 (ii), Type III);
* ``even``            — φ(z; −u) = φ(z; u) (quadratic, x·tanh x: the sign-flip invariant set of §4.4);
* ``unit_specific``   — φ differs from unit to unit (diagonal linear nets), so relations *between* units
  (Thm 1 (i), (iii), (iv)) are not defined;
* ``order``           — q, the lowest order of φ(z; u) in u at the zero unit (φ ~ a (u·z)^q): it sets the escape
  law, ln(1/ε) for q = 1 and ε^{−(q−1)} for q ≥ 2 (docs/theory.md §5.3, §6.12);
* ``coefficient``     — a, the coefficient of that lowest-order term (σ(z) = a z^q + … for pointwise units);
* ``expression``      — σ(z) for pointwise units (a SymPy expression in the real symbol z), else None.

The properties are declarations; :mod:`theory.properties` proves them symbolically for each builder.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any


@dataclass(frozen=True)
class Phi:
    """Declared properties of φ (spec §1.2)."""

    name: str
    latex: str
    linear_in_u: bool = False
    degree: int | None = None
    field: str | None = None
    zero_unit: bool = False
    even: bool = False
    unit_specific: bool = False
    order: int | None = None
    coefficient: Any = None
    expression: Any = dataclass_field(default=None, compare=False)

    def __post_init__(self) -> None:
        if (self.degree is None) != (self.field is None):
            raise ValueError("Phi: degree and field go together (both None or both set)")
        if self.field not in (None, "R", "R>=0"):
            raise ValueError(f"Phi.field={self.field!r}: must be 'R', 'R>=0' or None")
        if self.linear_in_u and (self.degree != 1 or self.field != "R"):
            raise ValueError("Phi: linear in u implies homogeneous of degree 1 over R")

    @property
    def homogeneous(self) -> bool:
        return self.degree is not None

    def describe(self) -> list[str]:
        """Human-readable list of the declared properties."""
        out = []
        if self.linear_in_u:
            out.append("linear in u")
        if self.degree is not None:
            kind = "homogeneous" if self.field == "R" else "positively homogeneous (alpha >= 0 only)"
            out.append(f"{kind} of degree p = {self.degree}")
        else:
            out.append("not homogeneous in u")
        out.append("has a zero unit (u = 0)" if self.zero_unit else "no zero unit")
        if self.even:
            out.append("even in u")
        if self.unit_specific:
            out.append("unit-specific (phi differs between units)")
        return out
