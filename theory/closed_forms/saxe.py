"""Saxe sigmoid of one balanced, decoupled mode (spec §0.7, §6.1; C13, C32) [classical, derived ✓].

With the ½-loss and plain gradient-flow time, a mode of strength a (singular value s, input variance c along it)
started balanced at a(0) = u_0 obeys ȧ = 2a(s − ca), solved by

    a(t) = s e^{2st} / (c (e^{2st} − 1) + s/u_0).

Derived times:
    time from u_0 to u_f:      (1/2s) ln[u_f (s − c u_0) / (u_0 (s − c u_f))]
    half-strength time:        t_half = (1/2s) ln(s/(c u_0) − 1)              (a = s/(2c))
    loss-midpoint (drop) time: t_mid  = t_half − ln(1 + √2)/(2s)             (ℓ = s²/(4c))

with the mode loss ℓ(a) = ½(c a² − 2 s a) + s²/(2c).

Assumptions: whitened input (or known c > 0); mode-aligned, balanced init; one mode (or modes that do not
interact); 0 < u_0 < s/c.

>>> round(float(t_mid(3.0, 1e-8)), 5)    # spec §0.7 bisection value
3.10632
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ._common import ClosedForm, is_zero

t, s, c, u0, uf = sp.symbols("t s c u_0 u_f", positive=True)
a = sp.Symbol("a", positive=True)

ASSUMPTIONS = (
    "whitened input along the mode (input variance c known, c > 0)",
    "mode-aligned, balanced initialisation (a(0) = u_0 > 0)",
    "a single mode, or modes that do not interact (well separated in time)",
    "0 < u_0 < s/c",
)
SOURCE = "spec §6.1, §0.7 [classical: Saxe et al. 2014; derived ✓]"

SIGMOID_EXPR = s * sp.exp(2 * s * t) / (c * (sp.exp(2 * s * t) - 1) + s / u0)
ODE_RHS = 2 * a * (s - c * a)
MODE_LOSS = (c * a**2 - 2 * s * a) / 2 + s**2 / (2 * c)
TIME_BETWEEN_EXPR = sp.log(uf * (s - c * u0) / (u0 * (s - c * uf))) / (2 * s)
T_HALF_EXPR = sp.log(s / (c * u0) - 1) / (2 * s)
T_MID_EXPR = (sp.log(s / (c * u0) - 1) - sp.log(1 + sp.sqrt(2))) / (2 * s)

SIGMOID = ClosedForm("saxe_sigmoid", sp.Eq(sp.Function("a")(t), SIGMOID_EXPR), ASSUMPTIONS, SOURCE)
TIME_BETWEEN = ClosedForm("saxe_time_between", sp.Eq(sp.Symbol("T"), TIME_BETWEEN_EXPR), ASSUMPTIONS, SOURCE)
T_HALF = ClosedForm("saxe_t_half", sp.Eq(sp.Symbol("t_{half}"), T_HALF_EXPR), ASSUMPTIONS, SOURCE)
T_MID = ClosedForm("saxe_t_mid", sp.Eq(sp.Symbol("t_{drop}"), T_MID_EXPR), ASSUMPTIONS, SOURCE)

LN_1P_SQRT2 = float(np.log1p(np.sqrt(2.0)))


def sigmoid(time, s_val, u0_val, c_val=1.0):
    """a(t) of the Saxe sigmoid (NumPy, broadcasting); overflow-safe for large 2st."""
    time, s_val, u0_val, c_val = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (time, s_val, u0_val,
                                                                                             c_val)))
    e = np.exp(-2 * s_val * time)
    return s_val / (c_val * (1 - e) + s_val / u0_val * e)


def time_between(u0_val, uf_val, s_val, c_val=1.0):
    """Time for a Saxe mode to go from u_0 to u_f (both in (0, s/c))."""
    return np.log(uf_val * (s_val - c_val * u0_val) / (u0_val * (s_val - c_val * uf_val))) / (2 * s_val)


def t_half(s_val, u0_val, c_val=1.0):
    """Half-strength time (1/2s) ln(s/(c u_0) − 1); NaN when u_0 ≥ s/(2c) (already past half strength)."""
    arg = np.asarray(s_val / (c_val * np.asarray(u0_val, dtype=float)) - 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(arg > 1, np.log(np.where(arg > 0, arg, 1.0)) / (2 * s_val), np.nan)


def t_mid(s_val, u0_val, c_val=1.0):
    """Loss-midpoint (drop) time t_half − ln(1 + √2)/(2s); NaN when the mode starts past the midpoint."""
    arg = np.asarray(s_val / (c_val * np.asarray(u0_val, dtype=float)) - 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = (np.log(np.where(arg > 0, arg, 1.0)) - LN_1P_SQRT2) / (2 * s_val)
    return np.where(val > 0, val, np.nan)


def mode_loss(a_val, s_val, c_val=1.0):
    """ℓ(a) = ½(c a² − 2 s a) + s²/(2c): the mode's loss contribution above its optimum."""
    return 0.5 * (c_val * a_val**2 - 2 * s_val * a_val) + s_val**2 / (2 * c_val)


def symbolic_checks() -> dict[str, bool]:
    """The derivation checks of spec §0.7/§6.1, each True when the identity simplifies exactly."""
    sig = SIGMOID_EXPR
    a_mid = (s / c) * (1 - 1 / sp.sqrt(2))
    E = sp.exp(-2 * s * t)
    return {
        "ode_residual_zero": is_zero(sp.diff(sig, t) - ODE_RHS.subs(a, sig)),
        "initial_value": is_zero(sig.subs(t, 0) - u0),
        "reaches_u_f_at_time_between": is_zero(sig.subs(t, TIME_BETWEEN_EXPR) - uf),
        "half_strength_at_t_half": is_zero(sig.subs(t, T_HALF_EXPR) - s / (2 * c)),
        "a_mid_at_t_mid": is_zero(sig.subs(t, T_MID_EXPR) - a_mid),
        "loss_midpoint_at_t_mid": is_zero(MODE_LOSS.subs(a, sig.subs(t, T_MID_EXPR)) - s**2 / (4 * c)),
        "t_half_minus_t_mid": is_zero(T_HALF_EXPR - T_MID_EXPR - sp.log(1 + sp.sqrt(2)) / (2 * s)),
        # t → ∞: with E = e^{−2st} the sigmoid is s/(c(1 − E) + (s/u_0)E), which is s/c at E = 0.
        "limit_t_to_infinity_is_s_over_c": is_zero(sig - s / (c * (1 - E) + s / u0 * E)) and
        is_zero((s / (c * (1 - E) + s / u0 * E)).subs(E, 0) - s / c),
        # c = 1 special case quoted in spec §0.7.
        "t_mid_c1": is_zero(T_MID_EXPR.subs(c, 1) - (sp.log(s / u0 - 1) - sp.log(1 + sp.sqrt(2))) / (2 * s)),
    }
