"""Closed-form predictions of spec §6 (one concept per module), each a SymPy expression with a NumPy evaluator,
its assumptions and a ``symbolic_checks()`` that re-verifies its derivation (ODE residuals, limits, special cases).

Modules: :mod:`.saxe` (§0.7, §6.1), :mod:`.riccati` (§6.2), :mod:`.linear_modes` (§6.3–§6.6), :mod:`.theorem4`
(§5.1), :mod:`.unit_escape` (§6.7, Eqs. 15–16), :mod:`.quadratic_levels` (§2.6, §6.5), :mod:`.attention` (§6.8),
:mod:`.diagonal` (§6.10), :mod:`.deep_chain` (§6.9), :mod:`.taylor_escape` (§6.12).
"""

from . import (
    attention,
    deep_chain,
    diagonal,
    linear_modes,
    quadratic_levels,
    riccati,
    saxe,
    taylor_escape,
    theorem4,
    unit_escape,
)
from ._common import ClosedForm

MODULES = (saxe, riccati, linear_modes, theorem4, unit_escape, quadratic_levels, attention, diagonal, deep_chain,
           taylor_escape)


def symbolic_checks() -> dict[str, dict[str, bool]]:
    """Every module's derivation checks: {module: {check: passed}}."""
    return {m.__name__.rsplit(".", 1)[-1]: m.symbolic_checks() for m in MODULES if hasattr(m, "symbolic_checks")}


__all__ = ["ClosedForm", "MODULES", "attention", "deep_chain", "diagonal", "linear_modes", "quadratic_levels",
           "riccati", "saxe", "symbolic_checks", "taylor_escape", "theorem4", "unit_escape"]
