"""Quadratic-in-u nets (Eq. 13/14): one unit's first-escape (blow-up) time t*, Cases A and B (spec §6.7; C16).

Small-init dynamics of one unit (Eq. 14) with a frozen symmetric G = Σ_k λ_k e_k e_kᵀ:
v̇ = uᵀGu, u̇ = 2vGu.  With c_k = e_kᵀu(0), the time change dτ/dt = 2v gives c_k(τ) = c_k e^{λ_kτ} and the
conserved v² − ½‖u‖² gives v² = g(τ) = v_0² + ½ Σ_k c_k²(e^{2λ_kτ} − 1).  Put σ = sign v_0, τ′ = στ, λ′_k = σλ_k.

* Case A (g > 0 on τ′ ≥ 0):      t* = ∫_0^∞ dτ′ / (2√g(τ′)).
* Case B (g(τ′_0) = 0, τ′_0 > 0): t* = ∫_0^{τ′_0} dτ′/(2√g) + ∫_{−∞}^{τ′_0} dτ′/(2√g)  (v changes sign, τ′ turns back).

The unit escapes along e_k with k = argmax λ′_k (Case A) or argmin λ′_k (Case B), with sign(v) = sign(λ_k).
Balanced and aligned (‖u_0‖² = 2v_0², u_0 ∥ e_1): t* = 1/(2λ_1 v_0).  t* ∝ 1/ε for u_0, v_0 ∝ ε.

Assumptions: Eq. 14 (residual ≈ Σ_yZ, i.e. before the first escape, or G frozen at a saddle's G*); G symmetric with
both signs of eigenvalues (Prop. 5); small ε.

>>> round(escape_time(0.01, [0.01 * 2**0.5, 0.0], [2.0, -1.0]).t_star, 6)   # 1/(2·2·0.01)
25.0
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.integrate import IntegrationWarning
from scipy.integrate import quad as _quad
from scipy.optimize import brentq

from ._common import ClosedForm, is_zero

tau, lam, v0, c0, t = sp.symbols("tau' lambda' v_0 c_k t", real=True)
G_SYMBOL = sp.Function("g")(tau)
CASE_A = ClosedForm("quadratic_escape_case_A",
                    sp.Eq(sp.Symbol("t^*_i"), sp.Integral(1 / (2 * sp.sqrt(G_SYMBOL)), (tau, 0, sp.oo))),
                    ("Eq. 14 dynamics (frozen G)", "g > 0 on tau' >= 0", "small eps"), "spec §6.7 [derived ✓]")
CASE_B = ClosedForm("quadratic_escape_case_B",
                    sp.Eq(sp.Symbol("t^*_i"), sp.Integral(1 / (2 * sp.sqrt(G_SYMBOL)), (tau, 0, sp.Symbol("tau'_0")))
                          + sp.Integral(1 / (2 * sp.sqrt(G_SYMBOL)), (tau, -sp.oo, sp.Symbol("tau'_0")))),
                    ("Eq. 14 dynamics (frozen G)", "g(tau'_0) = 0: v changes sign", "small eps"),
                    "spec §6.7 [derived ✓]")
G_DEF = ClosedForm("quadratic_escape_g",
                   sp.Eq(G_SYMBOL, v0**2 + sp.Rational(1, 2) * sp.Sum(c0**2 * (sp.exp(2 * lam * tau) - 1),
                                                                        (sp.Symbol("k"), 1, sp.Symbol("D")))),
                   ("conservation of v^2 - |u|^2/2",), "spec §6.7")
v = sp.Function("v")(t)
TOY_SOLUTION = ClosedForm("toy_v_squared", sp.Eq(v, 1 / (1 / v0 - t)), ("v' = v^2",), "spec §5.2 Eq. 15 [paper]")
vi0, vj0, vj = sp.symbols("v_i(0) v_j(0) v_j(t)", positive=True)
EQ16 = ClosedForm("toy_eq16", sp.Eq(sp.Symbol("v_i(t)"), 1 / ((vj0 / vi0 - 1) / vj0 + 1 / vj)), ("v' = v^2",),
                  "spec §5.2 Eq. 16 [paper]")


@dataclass(frozen=True)
class Escape:
    """One unit's escape: ``t_star`` (inf if it never blows up), ``case`` "A"/"B"/"none", ``direction`` (index of
    the eigenvector it blows up along), ``sign`` (sign of v at the blow-up)."""

    t_star: float
    case: str
    direction: int
    sign: float
    tau0: float = float("nan")


def quad(*args, **kwargs):
    """scipy quad without its warnings: the integrands here have an integrable 1/√ endpoint or an exponential
    tail, where quad's heuristics warn although the result is accurate (checked against ODE integration in tests)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IntegrationWarning)
        return _quad(*args, **kwargs)


def _g(x, v0v, c2, lp):
    with np.errstate(over="ignore"):  # g → ∞ in the tail is the intended blow-up; the integrand becomes 0
        return v0v**2 + 0.5 * np.sum(c2 * np.expm1(2 * lp * x))


def _integral(v0v, c2, lp, a: float, direction: int) -> float:
    """∫ dτ′/(2√g) from τ′ = a to ±∞ (direction ±1) with g > 0 there; substitution for an endpoint zero of g."""
    scale = v0v**2 + 0.5 * c2.sum()
    ga = _g(a, v0v, c2, lp)
    if ga > 1e-8 * scale:
        f = lambda x: 0.5 / np.sqrt(max(_g(a + direction * x, v0v, c2, lp), 1e-300))  # noqa: E731
        # Split where g has grown a lot so quad sees the exponential tail separately.
        rates = np.abs(lp[c2 > 0]) if np.any(c2 > 0) else np.array([1.0])
        x1 = 10.0 / max(rates.max(), 1e-12)
        i1, _ = quad(f, 0, x1, limit=400, epsabs=0, epsrel=1e-13)
        i2, _ = quad(f, x1, np.inf, limit=400, epsabs=0, epsrel=1e-13)
        return i1 + i2
    # g(a) = 0: put τ′ = a + direction·w², dτ′ = 2w dw, integrand w/√g, regular at w = 0.
    f = lambda w: w / np.sqrt(max(_g(a + direction * w * w, v0v, c2, lp), 1e-300))  # noqa: E731
    i1, _ = quad(f, 0, 1.0, limit=400, epsabs=0, epsrel=1e-13)
    f2 = lambda x: 0.5 / np.sqrt(max(_g(a + direction * (1.0 + x), v0v, c2, lp), 1e-300))  # noqa: E731
    i2, _ = quad(f2, 0, np.inf, limit=400, epsabs=0, epsrel=1e-13)
    return i1 + i2


def _segment(v0v, c2, lp, a: float, b: float) -> float:
    """∫_a^b dτ′/(2√g) for a < b with g(b) = 0 (substitution τ′ = b − w²)."""
    f = lambda w: w / np.sqrt(max(_g(b - w * w, v0v, c2, lp), 1e-300))  # noqa: E731
    val, _ = quad(f, 0, np.sqrt(b - a), limit=400, epsabs=0, epsrel=1e-13)
    return val


def escape_time(v0_val: float, c_vals, lam_vals) -> Escape:
    """t* of one unit with v(0) = v0_val and u(0) coordinates c_vals in the eigenbasis of G (eigenvalues lam_vals)."""
    c2 = np.asarray(c_vals, float) ** 2
    lam_arr = np.asarray(lam_vals, float)
    # Round-off eigenvalues (e.g. −4e−16 for a learned direction of G*) are exactly 0: they neither grow nor decay.
    lam_arr = np.where(np.abs(lam_arr) <= 1e-12 * max(np.abs(lam_arr).max(), 1e-300), 0.0, lam_arr)
    sigma = 1.0 if v0_val >= 0 else -1.0
    lp = sigma * lam_arr
    active = c2 > 0
    if v0_val == 0 and not active.any():
        return Escape(np.inf, "none", -1, 0.0)
    slope0 = float(np.sum(c2 * lp))
    tau0 = np.nan
    case = "A"
    if slope0 < 0:
        # g convex: find its minimiser on τ′ ≥ 0, then the first zero before it (if any).
        dg = lambda x: float(np.sum(c2 * lp * np.exp(2 * lp * x)))  # noqa: E731
        if np.any(lp[active] > 0):
            hi = 1.0
            while dg(hi) < 0:
                hi *= 2
            xm = brentq(dg, 0, hi, xtol=1e-14)
            gmin = _g(xm, v0_val, c2, lp)
        else:
            xm, gmin = np.inf, v0_val**2 - 0.5 * np.sum(c2[lp < 0])
        if gmin <= 0:
            case = "B"
            hi = xm if np.isfinite(xm) else 1.0
            while np.isinf(xm) and _g(hi, v0_val, c2, lp) > 0:
                hi *= 2
            tau0 = brentq(lambda x: _g(x, v0_val, c2, lp), 0, hi, xtol=1e-15, rtol=1e-15)
    if case == "A":
        if not np.any(lp[active] > 0):
            return Escape(np.inf, "none", -1, sigma)
        k = int(np.flatnonzero(active)[np.argmax(lp[active])])
        return Escape(_integral(v0_val, c2, lp, 0.0, +1), "A", k, sigma)
    if not np.any(lp[active] < 0):
        return Escape(np.inf, "none", -1, -sigma, tau0)
    k = int(np.flatnonzero(active)[np.argmin(lp[active])])
    first = _segment(v0_val, c2, lp, 0.0, tau0)
    second = _integral(v0_val, c2, lp, tau0, -1)
    return Escape(first + second, "B", k, -sigma, tau0)


def escape_time_matrix(v0_val: float, u0_vec, G: np.ndarray) -> Escape:
    """:func:`escape_time` with u(0) and G given as a vector and a symmetric matrix (the direction indexes eigh(G))."""
    lam_vals, E = np.linalg.eigh(G)
    return escape_time(v0_val, E.T @ np.asarray(u0_vec, float), lam_vals)


def state_at(time: float, v0_val: float, u0_vec, G: np.ndarray) -> tuple[float, np.ndarray]:
    """(v, u) of a unit at ``time`` < its t* under Eq. 14 with G frozen (exact solution, τ′ found by root-finding)."""
    lam_vals, E = np.linalg.eigh(G)
    c = E.T @ np.asarray(u0_vec, float)
    esc = escape_time(v0_val, c, lam_vals)
    if not time < esc.t_star:
        raise ValueError("state_at: time is past the unit's blow-up")
    c2 = c**2
    sigma = 1.0 if v0_val >= 0 else -1.0
    lp = sigma * lam_vals
    f = lambda x: 0.5 / np.sqrt(max(_g(x, v0_val, c2, lp), 1e-300))  # noqa: E731

    def t_of(x: float, branch: int) -> float:
        if branch == 0:
            if np.isfinite(esc.tau0) and x >= esc.tau0 - 1e-15:
                return _segment(v0_val, c2, lp, 0.0, esc.tau0)
            return quad(f, 0, x, limit=400, epsabs=0, epsrel=1e-12)[0]
        return _segment(v0_val, c2, lp, 0.0, esc.tau0) + _segment(v0_val, c2, lp, x, esc.tau0)

    t_first = t_of(esc.tau0, 0) if esc.case == "B" else np.inf
    branch = 0 if time <= t_first else 1
    if branch == 0:
        hi = 1.0 if esc.case != "B" else esc.tau0
        while esc.case != "B" and t_of(hi, 0) < time:
            hi *= 2
        x = brentq(lambda x: t_of(x, 0) - time, 0, hi, xtol=1e-14, rtol=1e-13)
        vv = sigma * np.sqrt(max(_g(x, v0_val, c2, lp), 0.0))
    else:
        lo = esc.tau0 - 1.0
        while t_of(lo, 1) < time:
            lo = esc.tau0 - 2 * (esc.tau0 - lo)
        x = brentq(lambda x: t_of(x, 1) - time, lo, esc.tau0, xtol=1e-14, rtol=1e-13)
        vv = -sigma * np.sqrt(max(_g(x, v0_val, c2, lp), 0.0))
    return float(vv), E @ (c * np.exp(lam_vals * sigma * x))


def toy_escape(v0_vals) -> np.ndarray:
    """Toy v̇ = v²: t*_i = 1/v_i(0) for v_i(0) > 0 (inf otherwise)."""
    v = np.asarray(v0_vals, float)
    with np.errstate(divide="ignore"):
        return np.where(v > 0, 1.0 / np.where(v > 0, v, 1.0), np.inf)


def symbolic_checks() -> dict[str, bool]:
    """Toy solution solves v̇ = v² (Eq. 15); Eq. 16 follows by eliminating t; the balanced aligned Case-A integral
    equals 1/(2λ_1 v_0); g'(τ) = Σλ_k c_k² e^{2λ_kτ} matches d(v²)/dτ = uᵀGu."""
    tv = sp.Symbol("t", positive=True)
    toy = 1 / (1 / v0 - tv)
    vi_t = 1 / (1 / vi0 - tv)
    vj_t = 1 / (1 / vj0 - tv)
    eq16 = is_zero(EQ16.expr.rhs.subs(vj, vj_t) - vi_t)
    lam1, w0 = sp.symbols("lambda_1 w_0", positive=True)
    # Balanced aligned: c_1² = 2v_0², so g = v_0² e^{2λ_1τ} and t* = ∫ e^{−λ_1τ}/(2v_0) dτ.
    g_bal = w0**2 + sp.Rational(1, 2) * 2 * w0**2 * (sp.exp(2 * lam1 * tau) - 1)
    tstar = sp.integrate(sp.simplify(1 / (2 * sp.sqrt(g_bal))).subs(tau, sp.Symbol("x", positive=True)),
                         (sp.Symbol("x", positive=True), 0, sp.oo))
    return {
        "toy_solves_ode": is_zero(sp.diff(toy, tv) - toy**2) and is_zero(toy.subs(tv, 0) - v0),
        "eq16_eliminates_t": eq16,
        "balanced_aligned_case_A": is_zero(tstar - 1 / (2 * lam1 * w0)),
        "g_derivative": is_zero(sp.diff(v0**2 + c0**2 * (sp.exp(2 * lam * tau) - 1) / 2, tau)
                                - lam * (c0 * sp.exp(lam * tau)) ** 2),
    }
