"""Exact one-mode solution for any (unbalanced, random) initialisation: Riccati form (spec §6.2; C14) [derived ✓].

Within one mode, a, b ∈ R^H obey ȧ = (s − c a·b) b and ḃ = (s − c a·b) a. With p = a + b, m = a − b,
α = ‖p_0‖²/4, β = ‖m_0‖²/4 and X = e^{2ρ}, ρ = ∫(s − c a·b):

    a·b = α X − β / X,     Ẋ = 2sX − 2cαX² + 2cβ,   X(0) = 1,
    X(t) = [X₊(1 − X₋) − X₋(1 − X₊) e^{−κt}] / [(1 − X₋) − (1 − X₊) e^{−κt}],
    X± = [s ± √(s² + 4c²αβ)] / (2cα),   κ = 2√(s² + 4c²αβ).

As β → 0 this is the Saxe sigmoid with u_0 = α = ‖p_0‖²/4.  Assumptions: a single mode (cross-mode couplings
ignored), c > 0, α > 0.

>>> import numpy as np
>>> float(np.round(strength(0.0, 2.0, 1e-3, 1e-4), 12))      # a·b(0) = α − β
0.0009
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ._common import ClosedForm, is_zero
from .saxe import SIGMOID_EXPR

t, s, c, al, be = sp.symbols("t s c alpha beta", positive=True)
X = sp.Symbol("X", positive=True)

ASSUMPTIONS = ("a single mode: couplings to other modes ignored", "c > 0, alpha = |p0|^2/4 > 0, beta = |m0|^2/4 >= 0")
SOURCE = "spec §6.2 [derived ✓]"

ROOT = sp.sqrt(s**2 + 4 * c**2 * al * be)
X_PLUS = (s + ROOT) / (2 * c * al)
X_MINUS = (s - ROOT) / (2 * c * al)
KAPPA = 2 * ROOT
X_EXPR = ((X_PLUS * (1 - X_MINUS) - X_MINUS * (1 - X_PLUS) * sp.exp(-KAPPA * t))
          / ((1 - X_MINUS) - (1 - X_PLUS) * sp.exp(-KAPPA * t)))
RICCATI_RHS = 2 * s * X - 2 * c * al * X**2 + 2 * c * be
STRENGTH_EXPR = al * X_EXPR - be / X_EXPR

SOLUTION = ClosedForm("riccati_X", sp.Eq(sp.Function("X")(t), X_EXPR), ASSUMPTIONS, SOURCE)
STRENGTH = ClosedForm("riccati_strength", sp.Eq(sp.Symbol(r"\mathbf{a}\cdot\mathbf{b}"), al * X - be / X),
                      ASSUMPTIONS, SOURCE)


def _roots(s_val, alpha, beta, c_val):
    root = np.sqrt(s_val**2 + 4 * c_val**2 * alpha * beta)
    return (s_val + root) / (2 * c_val * alpha), (s_val - root) / (2 * c_val * alpha), 2 * root


def x_of_t(time, s_val, alpha, beta, c_val=1.0):
    """X(t) (NumPy); written with e^{−κt} so it stays finite for large t."""
    xp, xm, kappa = _roots(s_val, alpha, beta, c_val)
    e = np.exp(-kappa * np.asarray(time, dtype=float))
    return (xp * (1 - xm) - xm * (1 - xp) * e) / ((1 - xm) - (1 - xp) * e)


def strength(time, s_val, alpha, beta, c_val=1.0):
    """Mode strength a·b(t) = αX − β/X."""
    x = x_of_t(time, s_val, alpha, beta, c_val)
    return alpha * x - beta / x


def time_to_strength(target, s_val, alpha, beta, c_val=1.0):
    """First t with a·b(t) = target (target between a·b(0) and the fixed point s/c); NaN if never reached.

    Inverts a·b = αX − β/X (X > 0 root) and then X(t): e^{−κt} = (X₊ − X)(1 − X₋) / ((1 − X₊)(X₋ − X)).
    """
    xp, xm, kappa = _roots(s_val, alpha, beta, c_val)
    x = (target + np.sqrt(target**2 + 4 * alpha * beta)) / (2 * alpha)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = (xp - x) * (1 - xm) / ((1 - xp) * (xm - x))
        out = -np.log(e) / kappa
    return np.where((e > 0) & (e <= 1), out, np.nan)


def symbolic_checks() -> dict[str, bool]:
    """Riccati residual, X(0) = 1, the derivation of Ẋ from the reduced system, and the β → 0 limit (Saxe)."""
    u0 = sp.Symbol("u_0", positive=True)
    # d(a·b)/dt = (s − c a·b)(‖a‖² + ‖b‖²) and ‖a‖² + ‖b‖² = (‖p‖² + ‖m‖²)/2 = 2(αX + β/X) in the X variables.
    ab = al * X - be / X
    dab_dx = sp.diff(ab, X)
    flow_ab = (s - c * ab) * 2 * (al * X + be / X)
    saxe = SIGMOID_EXPR.subs({sp.Symbol("u_0", positive=True): al})
    return {
        "riccati_residual_zero": is_zero(sp.diff(X_EXPR, t) - RICCATI_RHS.subs(X, X_EXPR)),
        "initial_value_one": is_zero(X_EXPR.subs(t, 0) - 1),
        "strength_flow_consistent": is_zero(dab_dx * RICCATI_RHS - flow_ab),
        "beta_to_zero_is_saxe": is_zero(sp.limit(STRENGTH_EXPR, be, 0) - saxe.subs(u0, al)),
    }
