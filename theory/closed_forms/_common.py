"""Shared shape of a closed form: a SymPy expression, its LaTeX, its assumptions and its source (spec §6)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp


@dataclass(frozen=True)
class ClosedForm:
    """One formula of spec §6: ``expr`` (SymPy), ``assumptions`` (plain text), ``source`` (spec section, tag).

    >>> t, s = sp.symbols("t s", positive=True)
    >>> ClosedForm("demo", sp.Eq(sp.Symbol("T"), 1 / s), ("s > 0",), "none").latex
    'T = \\\\frac{1}{s}'
    """

    name: str
    expr: sp.Basic
    assumptions: tuple[str, ...]
    source: str

    @cached_property
    def latex(self) -> str:
        # Rendered once per formula: every prediction lists its formulas, and sp.latex costs ≈ 0.1 s for the longer
        # ones (the expression is immutable, so the text cannot go stale).
        return sp.latex(self.expr)


def is_zero(expr: sp.Basic) -> bool:
    """True when ``expr`` simplifies to 0 (simplify, then a rewrite to exp as a fallback)."""
    e = sp.simplify(expr)
    if e == 0:
        return True
    return sp.simplify(sp.expand(e.rewrite(sp.exp))) == 0
