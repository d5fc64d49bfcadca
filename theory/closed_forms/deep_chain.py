"""Balanced depth-N linear chain (spec §6.9; C31) [derived ✓].

With equal layer weights w and a = w^N, gradient flow on ½(s − a)² gives ẇ = (s − a) w^{N−1}, hence

    ȧ = N a^{2 − 2/N} (s − a).

For N ≥ 3 the small-a blow-up time (dropping the −a term) is

    t* = u_0^{−(1 − 2/N)} / ((N − 2) s) = w_0^{−(N−2)} / ((N − 2) s);


the time to reach s/2 is t* − O(1) (spec: −0.85 for N = 3, s = 1).  N = 2 is the Saxe sigmoid (logarithmic escape).

Assumptions: balanced (equal) layer weights; one mode; whitened input; 0 < u_0 ≪ s.

>>> round(blowup_time(3, 1.0, 1e-9), 6)   # w_0 = 1e-3
1000.0
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from scipy.integrate import quad

from ._common import ClosedForm, is_zero

N, s, u0, a, t, w = sp.symbols("N s u_0 a t w", positive=True)
FLOW_RHS = N * a ** (2 - 2 / N) * (s - a)
BLOWUP_EXPR = u0 ** (-(1 - 2 / N)) / ((N - 2) * s)
BLOWUP = ClosedForm("deep_chain_blowup", sp.Eq(sp.Symbol("t^*"), BLOWUP_EXPR),
                    ("balanced equal layer weights", "one mode, whitened", "N >= 3", "0 < u_0 << s"), "spec §6.9")


def blowup_time(n: int, s_val: float, u0_val: float) -> float:
    """t* = u_0^{−(1−2/N)} / ((N − 2) s), N ≥ 3."""
    if n < 3:
        raise ValueError("blowup_time: N >= 3 (N = 2 is the Saxe sigmoid)")
    return float(u0_val ** (-(1 - 2 / n)) / ((n - 2) * s_val))


def time_to(n: int, s_val: float, u0_val: float, target: float) -> float:
    """Exact time for the chain to go from u_0 to ``target`` < s: ∫ da / (N a^{2−2/N}(s − a)), by quadrature in
    ln a (smooth integrand)."""
    f = lambda x: np.exp(x) / (n * np.exp(x * (2 - 2 / n)) * (s_val - np.exp(x)))  # noqa: E731
    val, _ = quad(f, np.log(u0_val), np.log(target), limit=400, epsabs=0, epsrel=1e-12)
    return float(val)


def symbolic_checks() -> dict[str, bool]:
    """The flow follows from the chain rule for N = 3 and general N; t* solves the s-only blow-up ODE exactly."""
    L = (s - w**N) ** 2 / 2
    # Each of the N layers gets ∂L/∂w_l = −(s − a) Π_{j≠l} w_j = −(s − a) w^{N−1} at equal weights, i.e. 1/N of
    # the derivative of L(w, …, w) with respect to the shared w.
    wdot = -sp.diff(L, w) / N
    adot = N * w ** (N - 1) * wdot
    chain = is_zero(adot - FLOW_RHS.subs(a, w**N))
    # ȧ = N s a^{2−2/N} blows up at t* from u_0: a(t) = (u_0^{−(1−2/N)} − (N−2) s t)^{−N/(N−2)}.
    sol = (u0 ** (-(1 - 2 / N)) - (N - 2) * s * t) ** (-N / (N - 2))
    tt = sp.Symbol("tau", positive=True)  # tau = u_0^{-(1-2/N)} - (N-2) s t > 0 before the blow-up
    ode = True
    for n in (3, 4, 5):
        sol_n = sol.subs(N, n)
        res = sp.diff(sol_n, t) - n * s * sol_n ** sp.Rational(2 * n - 2, n)
        ode = ode and is_zero(sp.powsimp(res.subs(u0 ** (-(1 - sp.Rational(2, n))), tt + (n - 2) * s * t),
                                         force=True))
    zero_at = is_zero(u0 ** (-(1 - 2 / N)) - (N - 2) * s * BLOWUP_EXPR)
    return {"chain_rule_flow": chain, "blowup_ode_N3_N4_N5": ode, "blowup_denominator_vanishes": zero_at,
            "initial_value": is_zero(sol.subs(t, 0) - u0)}
