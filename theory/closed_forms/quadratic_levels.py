"""Quadratic net, Gaussian input, quadratic target: plateau levels L(S) and the saddle's residual G* (spec §2.6,
§3.3, §6.5) [derived ✓].

x ~ N(0, I), y = xᵀAx, A = Σ_k a_k e_k e_kᵀ, one eigencomponent per active unit (m_k = a_k + τ_S/2 for k ∈ S):

    τ_S = (tr A − Σ_{k∈S} a_k) / (1 + |S|/2),    L(S) = Σ_{k∉S} a_k² + ½ τ_S² (1 + |S|/2),
    G*_S = 2(A − M*_S) + tr(A − M*_S) I.

Test bed A = diag(2, 1, −1, −2): 10 → 7.333 → 2 → 1.2 → 0.

Assumptions: Σ = I; A diagonal in the basis used; each active unit carries one eigencomponent.

>>> [round(level([2, 1, -1, -2], S), 4) for S in ([], [0], [0, 3], [0, 1, 3], [0, 1, 2, 3])]
[10.0, 7.3333, 2.0, 1.2, 0.0]
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ._common import ClosedForm

n_S = sp.Symbol("|S|", nonnegative=True, integer=True)
tau_S = sp.Symbol(r"\tau_S")
LEVEL = ClosedForm(
    "quadratic_level",
    sp.Eq(sp.Symbol("L(S)"), sp.Symbol(r"\sum_{k\notin S}a_k^2") + tau_S**2 * (1 + n_S / 2) / 2),
    ("x ~ N(0, I), y = x^T A x", "one eigencomponent of A per active unit"), "spec §2.6 [derived ✓]")
TAU = ClosedForm("quadratic_tau",
                 sp.Eq(tau_S, (sp.Symbol(r"\operatorname{tr}A") - sp.Symbol(r"\sum_{k\in S}a_k")) / (1 + n_S / 2)),
                 LEVEL.assumptions, "spec §2.6")


def tau(a, S) -> float:
    a = np.asarray(a, float)
    S = list(S)
    return float((a.sum() - a[S].sum()) / (1 + len(S) / 2))


def level(a, S) -> float:
    """L(S) for eigenvalues a of A and a set S of represented eigen-directions (indices)."""
    a = np.asarray(a, float)
    S = list(S)
    rest = np.setdiff1d(np.arange(a.size), S)
    ts = tau(a, S)
    return float(np.sum(a[rest] ** 2) + 0.5 * ts**2 * (1 + len(S) / 2))


def saddle_matrix(a, S) -> np.ndarray:
    """M*_S = Σ_{k∈S} (a_k + τ_S/2) e_k e_kᵀ."""
    a = np.asarray(a, float)
    m = np.zeros_like(a)
    ts = tau(a, S)
    for k in S:
        m[k] = a[k] + ts / 2
    return np.diag(m)


def residual_g(a, S) -> np.ndarray:
    """G*_S = E[(y − f*)Z] = 2(A − M*) + tr(A − M*) I at the saddle S (spec §3.3)."""
    d = np.diag(np.asarray(a, float)) - saddle_matrix(a, S)
    return 2 * d + np.trace(d) * np.eye(d.shape[0])


def population_loss(a, M) -> float:
    """½[2‖A − M‖² + (tr(A − M))²] (Σ = I), for checking L(S) against the loss at M*_S."""
    d = np.diag(np.asarray(a, float)) - M
    return float(0.5 * (2 * np.sum(d * d) + np.trace(d) ** 2))
