"""Theorem 4's exponent (spec §5.1; C6) [paper, derived ✓].

For the linearised flow (Eq. 10) from iid N(0, ε²) weights, at the time the top-r component reaches O(1) the
remainder is O(ε^{1 − s_{r+1}/s_1}): components along (q_k, r_k) grow like e^{s_k t}, the top reaches 1 at
t ≈ ln(1/ε)/s_1, when the next one is ε e^{s_{r+1} t} = ε^{1 − s_{r+1}/s_1}.

Assumptions: Eq. 10 (residual frozen at Σ_yz); s_1 of multiplicity r < D; ε → 0 (the null-space part of θ stays
O(ε) and is dominated when s_{r+1} > 0).

>>> exponent([3.0, 2.0, 1.0, 0.5])
0.33333333333333337
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ._common import ClosedForm, is_zero

s1, sr1, eps, t = sp.symbols("s_1 s_{r+1} varepsilon t", positive=True)
EXPONENT = ClosedForm("theorem4_exponent", sp.Eq(sp.Symbol("e"), 1 - sr1 / s1),
                      ("linearised flow (Eq. 10)", "s_1 has multiplicity r < D", "small eps"),
                      "spec §5.1 Theorem 4 [paper]")


def exponent(s) -> float:
    """1 − s_{r+1}/s_1 with r the multiplicity of the top value of s (sorted here)."""
    s = np.sort(np.asarray(s, float))[::-1]
    r = int(np.sum(np.isclose(s, s[0], rtol=1e-12)))
    if r >= s.size:
        raise ValueError("exponent: s_1 has full multiplicity; Theorem 4 needs r < D")
    return float(1 - s[r] / s[0])


def symbolic_checks() -> dict[str, bool]:
    """ε e^{s_{r+1} t} at t = ln(1/ε)/s_1 equals ε^{1 − s_{r+1}/s_1}."""
    t_top = sp.log(1 / eps) / s1
    return {"remainder_power": is_zero(sp.expand_log(sp.log(eps * sp.exp(sr1 * t_top))
                                                     - sp.log(eps ** (1 - sr1 / s1)), force=True))}
