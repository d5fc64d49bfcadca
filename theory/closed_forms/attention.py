"""Linear attention for in-context regression (spec §6.8; [ICL] Eqs. 10, 19–21; C22–C25).

Conventions: this workbench's ½-loss L = ½E(y_q − ŷ_q)² and θ̇ = −∇L.  [ICL] uses L_ICL = E(·)² with
τẆ = −½∇L_ICL = −∇L, so times agree (τ = 1) and **our plateau levels are half of [ICL] Eq. 19**:

    L(M_m) = ½[tr Λ − Σ_{d≤m} λ_d / c_d],   c_d = 1 + (1 + tr Λ/λ_d)/N     (Λ = diag(λ), λ decreasing).

(Derived: for diagonal M the loss is ½Σ_d[λ_d − 2λ_d² m_d + λ_d³ c_d m_d²], minimised by m_d = 1/(λ_d c_d), which
removes ½λ_d/c_d.)

ATTN_M (merged key-query), Λ = λI (Eq. 10 for λ = 1): a two-layer linear net on z = vec(βx_qᵀ) with
Σ_zz = λ³c I, c = 1 + (1 + D)/N, and Σ_yz = λ² vec(I)ᵀ, i.e. one Saxe mode with s = λ²√D and strength
a = ⟨M, I⟩/√D:  ŷ = σ(t) βᵀx_q with σ(t) = a(t)/√D = e^{2st}/(c'(e^{2st} − 1) + s/u_0), c' = λ³c.

ATTN_S (separate K, Q, rank one): Σ_yZ = ½[[0, Λ²], [Λ², 0]] with eigenvalues ±λ_d²/2 (unit separation, Prop. 5);
eigenvectors are learned in decreasing λ; reduced ODE (Eq. 21) v̇ = λ²v² − λ³c_λv⁵ with fixed point
v*³ = 1/(λc_λ); small-v escape t ≈ 1/(λ²v_0) ⇒ later eigenvectors take ∝ λ_m^{−2} longer (heuristic, C24).
Rank R: conspicuous plateaus only at L(M_m) with R | m (C25).

>>> [round(float(x), 6) for x in separate_levels([1.0, 0.5], 10**12)]
[0.75, 0.25, 0.0]
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ._common import ClosedForm, is_zero

lam, N, D, t, u0, v, trL = sp.symbols("lambda N D t u_0 v \\operatorname{tr}\\Lambda", positive=True)
C_LAMBDA = 1 + (1 + trL / lam) / N
LEVEL = ClosedForm(
    "attention_level",
    sp.Eq(sp.Symbol("L(M_m)"), sp.Rational(1, 2) * (trL - sp.Sum(sp.Symbol(r"\lambda_d") / (
        1 + (1 + trL / sp.Symbol(r"\lambda_d")) / N), (sp.Symbol("d"), 1, sp.Symbol("m"))))),
    ("in-context regression, Lambda diagonal with distinct eigenvalues", "rank-one heads, H >= D",
     "our 1/2-loss: half of [ICL] Eq. 19"), "spec §6.8 [ICL] Eq. 19 (halved, derived here)")
s_m = sp.sqrt(D) * lam**2
c_m = lam**3 * (1 + (1 + D) / N)
MERGED_SIGMOID_EXPR = sp.exp(2 * s_m * t) / (c_m * (sp.exp(2 * s_m * t) - 1) + s_m / u0)
MERGED = ClosedForm("attention_merged_sigmoid",
                    sp.Eq(sp.Function(r"\sigma")(t), MERGED_SIGMOID_EXPR * s_m / sp.sqrt(D) / lam**2),
                    ("Lambda = lambda I", "small init; u_0 = |p|^2/4 projected on vec(I)/sqrt(D)",
                     "one Saxe mode with s = lambda^2 sqrt(D), c = lambda^3 (1 + (1+D)/N)"),
                    "spec §6.8 Eq. 10 [ICL, derived ✓]")
FIXED_POINT = ClosedForm("attention_reduced_fixed_point", sp.Eq(sp.Symbol("v^{*3}"), 1 / (lam * C_LAMBDA)),
                         ("Eq. 20 ansatz",), "spec §6.8 Eq. 21 [derived ✓]")
HEURISTIC = ClosedForm("attention_escape_heuristic", sp.Eq(sp.Symbol("t_m"), 1 / (lam**2 * sp.Symbol("v_0"))),
                       ("small v, Eq. 21 without the v^5 term",), "spec §6.8 [derived] heuristic")
RANK_R = ClosedForm("attention_rank_R", sp.Eq(sp.Symbol("plateau\\ at\\ m"), sp.Symbol("R \\mid m")),
                    ("rank-R heads",), "spec §6.8 [ICL examples]")


def c_factors(lam_vals, context: int) -> np.ndarray:
    """c_d = 1 + (1 + tr Λ/λ_d)/N."""
    lv = np.asarray(lam_vals, float)
    return 1 + (1 + lv.sum() / lv) / context


def separate_levels(lam_vals, context: int) -> list[float]:
    """L(M_0), …, L(M_D) in our ½-loss, eigenvalues learned in decreasing order."""
    lv = np.sort(np.asarray(lam_vals, float))[::-1]
    gains = lv / c_factors(lv, context)
    return [float(x) for x in 0.5 * (lv.sum() - np.concatenate([[0.0], np.cumsum(gains)]))]


def level_of_set(lam_vals, context: int, S) -> float:
    """L(M_S) for any learned set S (indices into lam_vals)."""
    lv = np.asarray(lam_vals, float)
    S = list(S)
    return float(0.5 * (lv.sum() - np.sum(lv[S] / c_factors(lv, context)[S])))


def learned_order(lam_vals) -> list[int]:
    """Eigenvector indices in the order they are learned: decreasing λ ([ICL], C23)."""
    return list(np.argsort(-np.asarray(lam_vals, float), kind="stable"))


def rank_r_plateaus(D_val: int, R: int) -> list[int]:
    """m = 0..D−1 at which a conspicuous plateau L(M_m) occurs for rank-R heads: R divides m (C25)."""
    return [m for m in range(D_val) if m % R == 0]


def residual_d(lam_vals, context: int, S) -> np.ndarray:
    """Λ² − E[Λ̂²] M*_S Λ (diagonal) at the saddle M*_S; G* = ½[[0, D], [D, 0]]."""
    lv = np.asarray(lam_vals, float)
    m = np.zeros_like(lv)
    S = list(S)
    m[S] = 1 / (lv[S] * c_factors(lv, context)[S])
    e2 = lv**2 * c_factors(lv, context)
    return np.diag(lv**2 - e2 * m * lv)


def merged_mode(lam_scalar: float, dim: int, context: int) -> tuple[float, float]:
    """(s, c) of the single ATTN_M mode for Λ = λI."""
    return float(lam_scalar**2 * np.sqrt(dim)), float(lam_scalar**3 * (1 + (1 + dim) / context))


def escape_heuristic(lam_vals, v0: float) -> np.ndarray:
    """t_m ≈ 1/(λ_m² v_0) (C24 heuristic: ordering and the λ^{−2} trend only)."""
    return 1.0 / (np.asarray(lam_vals, float) ** 2 * v0)


def symbolic_checks() -> dict[str, bool]:
    """v*³ = 1/(λc_λ) is a fixed point of Eq. 21; the small-v solution v_0/(1 − λ²v_0t) solves v̇ = λ²v²; the
    per-direction optimum of the ½-loss gives the halved Eq. 19 gain; the merged sigmoid is Saxe's."""
    from .saxe import SIGMOID_EXPR
    from .saxe import c as c_s
    from .saxe import s as s_s
    from .saxe import u0 as u0_s

    vstar = (1 / (lam * C_LAMBDA)) ** sp.Rational(1, 3)
    rhs21 = lam**2 * v**2 - lam**3 * C_LAMBDA * v**5
    v0, tt = sp.symbols("v_0 t", positive=True)
    small = v0 / (1 - lam**2 * v0 * tt)
    m = sp.Symbol("m")
    loss_d = (lam - 2 * lam**2 * m + lam**3 * C_LAMBDA * m**2) / 2
    mopt = sp.solve(sp.diff(loss_d, m), m)[0]
    saxe = SIGMOID_EXPR.subs({s_s: s_m, c_s: c_m, u0_s: u0})
    return {
        "reduced_fixed_point": is_zero(rhs21.subs(v, vstar)),
        "small_v_blowup": is_zero(sp.diff(small, tt) - lam**2 * small**2),
        "halved_eq19_gain": is_zero(loss_d.subs(m, mopt) - (lam - lam / C_LAMBDA) / 2),
        "merged_is_saxe": is_zero(MERGED_SIGMOID_EXPR * s_m - saxe),
    }
