"""Reduced dynamics derived by SymPy from the full flow restricted to an ansatz (spec §5.2, §6.1, §6.8).

Nothing here is typed in: each function builds a network, derives its gradient flow with :func:`theory.derive`,
restricts it to an ansatz θ = θ(γ) with :func:`theory.verify.verify_parametrisation` (which proves the ansatz is
an invariant set and returns the reduced flow γ̇ = w(γ)), and only then compares the result with the textbook
equation, which is stored next to it as ``expected`` with ``matches`` = (difference simplifies to 0).

* :func:`saxe_mode` — linear net, balanced one-mode ansatz v_1 = b q, u_1 = b r, other units 0, input variance c:
  ḃ = b(s − c b²), hence for the mode strength a = b²:  ȧ = 2a(s − c a)  (spec §0.4 table, §6.1).
* :func:`quadratic_unit_equations` — quadratic net on x ~ N(0, I), y = xᵀAx: the full flow equals the §5.2 form
  v̇_i = u_iᵀGu_i, u̇_i = 2v_iGu_i, G = Σ_yZ − Σ_j v_j E[(u_jᵀZu_j)Z] with Z = xxᵀ (checked for every unit).
* :func:`quadratic_one_unit` — one active unit aligned with e_k, u = w e_k: (v̇, ẇ) = (w², 2vw)·(σ_k − 3vw²) with
  σ_k = 2a_k + tr A; on the balanced branch w = √2 v (Q = w² − 2v² = 0, §4.5) v̇ = 2σ_k v² − 12 v⁵, whose small-v
  leading order after the time change τ = 2σ_k t is the paper's toy dv/dτ = v² (Eq. 14–15).
* :func:`toy_solution` — v̇ = v² gives v(t) = (1/v_0 − t)⁻¹ (Eq. 15) and the two-unit relation Eq. 16.
* :func:`attention_reduced` — ATTN_S on in-context regression, head m+1 on e_{m+1} with k = q = v e, value v, earlier
  heads at their fixed points: v̇ = λ²v² − λ³c_λ v⁵, c_λ = 1 + (1 + tr Λ/λ)/N, fixed point v*³ = 1/(λ c_λ)
  ([ICL] Eq. 21, spec §6.8).  Convention: our loss is ½E(y − ŷ)² with θ̇ = −∇L and no τ; [ICL] writes
  L_ICL = E(y − ŷ)² and τẆ = −½∂L_ICL/∂W = −∂L/∂W, so the equation is *identical* with t = t_ICL/τ
  (only the plateau loss values are halved).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .architectures import build
from .derive import Derivation, derive
from .errors import InputError
from .tasks import ICLTask, LinearRegressionTask, QuadraticGaussianTask
from .verify import DEFAULT_TIMEOUT, Certificate, Verdict, verify_parametrisation


@dataclass(frozen=True)
class ReducedDynamics:
    """Reduced equations γ̇ = ``equations[γ]`` on an invariant ansatz, with the proof of invariance.

    ``derived`` holds further SymPy results (changes of variable, fixed points, leading orders); ``expected`` the
    textbook forms they are compared with and ``matches`` whether each difference simplified to 0.
    """

    name: str
    ansatz: Mapping[sp.Symbol, sp.Expr] = field(repr=False)
    variables: tuple[sp.Symbol, ...]
    equations: Mapping[sp.Symbol, sp.Expr]
    verdict: Verdict
    derived: Mapping[str, sp.Expr] = field(default_factory=dict)
    expected: Mapping[str, sp.Expr] = field(default_factory=dict)
    matches: Mapping[str, bool] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def proved(self) -> bool:
        return isinstance(self.verdict, Certificate) and all(self.matches.values())

    def lines(self, latex: bool = False) -> list[str]:
        fmt = sp.latex if latex else sp.sstr
        dot = (lambda s: r"\dot{" + sp.latex(s) + "}") if latex else (lambda s: f"d{s}/dt")
        out = [f"{self.name}: ansatz {self.verdict.status}"]
        out += [f"  {dot(g)} = {fmt(sp.factor_terms(e))}" for g, e in self.equations.items()]
        for key, val in self.derived.items():
            mark = "" if key not in self.matches else (" [matches]" if self.matches[key] else " [MISMATCH]")
            out.append(f"  {key}: {fmt(val)}{mark}")
        out += [f"  note: {n}" for n in self.notes]
        return out


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    return sp.simplify(sp.expand(a - b)) == 0


def restrict(derivation: Derivation, ansatz: Mapping[Any, Any] | Sequence[Any], variables: Sequence[sp.Symbol], *,
             name: str = "reduced dynamics", timeout: float | None = DEFAULT_TIMEOUT) -> ReducedDynamics:
    """Restrict the flow to θ = θ(γ) (γ = ``variables``; other free symbols are constants) and return γ̇.

    Raises :class:`InputError` when the ansatz is not invariant (the verdict is attached to the message), since
    a reduced equation on a set the flow leaves would be meaningless.
    """
    verdict = verify_parametrisation(derivation, ansatz, parameters=list(variables), description=name,
                                     timeout=timeout)
    if not isinstance(verdict, Certificate):
        raise InputError(f"{name}: the ansatz is not a proved invariant set ({verdict.summary()})")
    mapping = dict(ansatz) if isinstance(ansatz, Mapping) else dict(zip(derivation.params, ansatz, strict=True))
    eqs = {g: sp.factor(verdict.reduced_flow[g]) for g in variables if g in verdict.reduced_flow}
    return ReducedDynamics(name, mapping, tuple(variables), eqs, verdict)


def _zero_all(spec) -> dict[sp.Symbol, sp.Expr]:
    return {p: sp.Integer(0) for p in spec.params}


# --------------------------------------------------------------------------------------------- Saxe mode
def saxe_mode(*, timeout: float | None = DEFAULT_TIMEOUT) -> ReducedDynamics:
    """Linear FC (2→2, H = 2), Σ_xx = diag(c_1, c_2), Σ_yx = diag(s_1, s_2); ansatz v_1 = u_1 = (b, 0), unit 2 = 0.

    Derives ḃ from the flow, then ȧ for a = b² (= q_1ᵀWr_1, the mode strength) and compares with 2a(s − ca).
    """
    s1, s2, c1, c2 = sp.symbols("s_1 s_2 c_1 c_2", positive=True)
    sxx, syx = sp.diag(c1, c2), sp.diag(s1, s2)
    task = LinearRegressionTask(sxx, syx, syx * sxx.inv() * syx.T)
    spec = build("linear-fc", d_in=2, d_out=2, width=2)
    der = derive(spec, task, timeout=timeout)
    b = sp.Symbol("b", positive=True)
    V, U = spec.block("V"), spec.block("U")
    ansatz = _zero_all(spec) | {V.entry(0, 0): b, U.entry(0, 0): b}
    red = restrict(der, ansatz, [b], name="linear net, balanced one-mode ansatz v_1 = u_1 = b e_1",
                   timeout=timeout)
    a = sp.Symbol("a", positive=True)
    a_dot = sp.factor(sp.expand((2 * b * red.equations[b]).subs(b, sp.sqrt(a))))
    expected = 2 * a * (s1 - c1 * a)
    return ReducedDynamics(red.name, red.ansatz, red.variables, red.equations, red.verdict,
                           {"da/dt (a = b^2)": a_dot, "fixed point a*": sp.Integer(0) + s1 / c1},
                           {"da/dt (a = b^2)": expected},
                           {"da/dt (a = b^2)": _same(a_dot, expected),
                            "fixed point a*": sp.simplify(a_dot.subs(a, s1 / c1)) == 0},
                           ("Saxe et al. 2014 mode equation, convention L = 1/2 E|y - f|^2, tau = 1 (spec §0.4)",))


# ------------------------------------------------------------------------------------------ quadratic nets
def _quadratic_task(d: int):
    a = sp.symbols(f"a_1:{d + 1}", real=True)
    return a, QuadraticGaussianTask.diagonal(list(a))


def quadratic_unit_equations(*, d: int = 2, width: int = 2, timeout: float | None = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """Check the §5.2 form of the full quadratic flow against the derived flow, for every unit.

    For x ~ N(0, I), Z = xxᵀ and y = xᵀAx: Σ_yZ = E[y Z] = 2A + tr(A) I and E[(uᵀZu)Z] = 2uuᵀ + ‖u‖²I (Isserlis),
    which are *not* assumed: they are computed here from the derived flow's own moments by comparing
    v̇_i = u_iᵀGu_i, u̇_i = 2v_iGu_i entry by entry, with G built from those two moment formulas.
    """
    a, task = _quadratic_task(d)
    spec = build("quadratic", d_in=d, d_out=1, width=width)
    der = derive(spec, task, timeout=timeout)
    A = sp.diag(*a)
    G = 2 * A + A.trace() * sp.eye(d)
    for unit in spec.units:
        u = sp.Matrix(unit.u)
        G -= unit.v[0] * (2 * u * u.T + (u.T * u)[0, 0] * sp.eye(d))
    index = {p: k for k, p in enumerate(spec.params)}
    ok = True
    for unit in spec.units:
        u = sp.Matrix(unit.u)
        vdot = (u.T * G * u)[0, 0]
        udot = 2 * unit.v[0] * G * u
        ok &= _same(der.flow[index[unit.v[0]]], vdot)
        ok &= all(_same(der.flow[index[s]], udot[k]) for k, s in enumerate(unit.u))
    return {"matches": bool(ok), "G": G, "spec": spec}


def quadratic_one_unit(*, k: int = 0, d: int = 2, timeout: float | None = DEFAULT_TIMEOUT) -> ReducedDynamics:
    """One active unit of a width-2 quadratic net aligned with e_k (u_1 = w e_k, unit 2 = 0), then the balanced
    branch w = √2 v and its small-v leading order, the toy v̇ = v² after τ = 2σ_k t (spec §5.2, Eq. 14–15)."""
    a, task = _quadratic_task(d)
    spec = build("quadratic", d_in=d, d_out=1, width=2)
    der = derive(spec, task, timeout=timeout)
    v, w = sp.symbols("v w", real=True)
    V, U = spec.block("V"), spec.block("U")
    ansatz = _zero_all(spec) | {V.entry(0, 0): v, U.entry(0, k): w}
    red = restrict(der, ansatz, [v, w], name=f"quadratic net, one unit along e_{k + 1}", timeout=timeout)
    sigma = 2 * a[k] + sum(a)
    exp_v = w**2 * (sigma - 3 * v * w**2)
    exp_w = 2 * v * w * (sigma - 3 * v * w**2)
    # Balanced branch Q = w^2 - 2 v^2 = 0 (conserved, §4.5): a one-parameter invariant set of its own.
    bal = restrict(der, _zero_all(spec) | {V.entry(0, 0): v, U.entry(0, k): sp.sqrt(2) * v}, [v],
                   name="balanced branch w = sqrt(2) v", timeout=timeout)
    vdot_bal = sp.expand(bal.equations[v])
    poly = sp.Poly(vdot_bal, v)
    low = min(m[0] for m in poly.monoms())
    leading = poly.coeff_monomial(v**low) * v**low
    toy = sp.simplify(leading / (2 * sigma))  # dv/dτ = (dv/dt)/(dτ/dt) with τ = 2σ_k t
    derived = {"dv/dt": red.equations[v], "dw/dt": red.equations[w], "dv/dt on w = sqrt(2) v": vdot_bal,
               "small-v leading order": leading, "dv/dtau, tau = 2 sigma_k t": toy}
    expected = {"dv/dt": exp_v, "dw/dt": exp_w, "dv/dt on w = sqrt(2) v": 2 * sigma * v**2 - 12 * v**5,
                "dv/dtau, tau = 2 sigma_k t": v**2}
    matches = {key: _same(derived[key], val) for key, val in expected.items()}
    notes = (f"sigma_{k + 1} = 2 a_{k + 1} + tr A is the eigenvalue of Sigma_yZ = 2A + tr(A) I along e_{k + 1}",
             f"toy time tau = ({sp.sstr(2 * sigma)}) t")
    return ReducedDynamics(red.name, red.ansatz, red.variables, red.equations, red.verdict, derived, expected,
                           matches, notes)


def toy_solution() -> ReducedDynamics:
    """v̇ = v² solved by ``dsolve``: v(t) = (1/v_0 − t)⁻¹ (Eq. 15), and the Eq. 16 relation between two units,
    v_i(t) = [ (1/v_j(0))(v_j(0)/v_i(0) − 1) + 1/v_j(t) ]⁻¹, checked by substituting both solutions."""
    t = sp.Symbol("t", real=True)
    v0, vi0, vj0 = sp.symbols("v_0 v_i0 v_j0", positive=True)
    f = sp.Function("v")
    sol = sp.dsolve(sp.Eq(f(t).diff(t), f(t) ** 2), f(t), ics={f(0): v0}).rhs
    eq15 = 1 / (1 / v0 - t)

    def vsol(x0):
        return sol.subs(v0, x0)

    eq16 = 1 / ((1 / vj0) * (vj0 / vi0 - 1) + 1 / vsol(vj0))
    derived = {"v(t)": sp.simplify(sol), "Eq. 16 right-hand side": sp.simplify(eq16),
               "ODE residual dv/dt - v^2": sp.simplify(sol.diff(t) - sol**2)}
    expected = {"v(t)": eq15, "Eq. 16 right-hand side": vsol(vi0), "ODE residual dv/dt - v^2": sp.Integer(0)}
    matches = {k: _same(derived[k], expected[k]) for k in expected}
    v = sp.Symbol("v", real=True)
    from .verify import Certificate as _C

    cert = _C("dsolve", "toy model v' = v^2", reduced_flow={v: v**2})
    return ReducedDynamics("toy model dv/dt = v^2 (paper Eq. 15-16)", {}, (v,), {v: v**2}, cert, derived, expected,
                           matches, ("blow-up at t* = 1/v_0: escape time proportional to 1/(initial size)",))


# -------------------------------------------------------------------------------------------- attention
def attention_reduced(*, m: int = 0, dim: int = 2, timeout: float | None = DEFAULT_TIMEOUT) -> ReducedDynamics:
    """ATTN_S (rank-one heads, width dim) on in-context regression with Λ = diag(λ_1..λ_dim), N symbolic.

    Heads 1..m sit at their fixed points k = q = v_d* e_d (v_d*³ = 1/(λ_d c_d)), head m+1 follows k = q = v e_{m+1}
    with value v, the other heads are 0.  Derives v̇, compares with λ²v² − λ³c v⁵ and solves v̇ = 0 (v ≠ 0).
    """
    if not 0 <= m < dim:
        raise InputError(f"m={m}: must satisfy 0 <= m < dim={dim}")
    lam = sp.symbols(f"lambda_1:{dim + 1}", positive=True)
    N = sp.Symbol("N", positive=True, integer=True)
    spec = build("attn-s", dim=dim, width=dim, rank=1)
    der = derive(spec, ICLTask(sp.diag(*lam), N), timeout=timeout)
    tr = sum(lam)

    def c_of(d: int) -> sp.Expr:
        return 1 + (1 + tr / lam[d]) / N

    v = sp.Symbol("v", positive=True)
    V, K, Q = spec.block("V"), spec.block("K"), spec.block("Q")
    ansatz = _zero_all(spec)
    for d in range(m):
        vstar = (1 / (lam[d] * c_of(d))) ** sp.Rational(1, 3)
        ansatz.update({V.entry(d, 0): vstar, K.entry(d, 0, d): vstar, Q.entry(d, 0, d): vstar})
    ansatz.update({V.entry(m, 0): v, K.entry(m, 0, m): v, Q.entry(m, 0, m): v})
    fixed = f"heads 1..{m} at their fixed points, " if m else "other heads 0, "
    red = restrict(der, ansatz, [v], name=f"ATTN_S, {fixed}head {m + 1}: k = q = v e_{m + 1}, value v",
                   timeout=timeout)
    lm, cm = lam[m], c_of(m)
    expected = lm**2 * v**2 - lm**3 * cm * v**5
    vdot = red.equations[v]
    roots = [r for r in sp.solve(sp.factor(vdot / v**2), v) if r != 0]
    vstar3 = sp.simplify(roots[0] ** 3) if roots else sp.nan
    # Small-v leading order c_2 v^2 blows up at t* = 1/(c_2 v_0) (as the toy v' = v^2 after rescaling).
    poly = sp.Poly(sp.expand(vdot), v)
    c2 = poly.coeff_monomial(v**2)
    derived = {"dv/dt": vdot, "c_lambda": cm, "fixed point v*^3": vstar3,
               "small-v blow-up time t* (v_0)": 1 / (c2 * sp.Symbol("v_0", positive=True))}
    exp = {"dv/dt": expected, "fixed point v*^3": 1 / (lm * cm)}
    matches = {k: _same(derived[k], exp[k]) for k in exp}
    notes = ("our convention: L = 1/2 E(y - yhat)^2, theta' = -grad L (tau = 1); [ICL]: tau W' = -1/2 dL_ICL/dW with "
             "L_ICL = 2L, so the equation is the same with t = t_ICL / tau",)
    return ReducedDynamics(red.name, red.ansatz, red.variables, red.equations, red.verdict, derived, exp, matches,
                           notes)


# Reduced models registered against a family and population form (docs/theory.md §6); :func:`reduced_models` falls
# back on φ's properties: the Saxe mode for nets linear in u, the toy blow-up for units of order q >= 2.
REDUCED_MODELS: tuple[tuple[str, str | None, Callable[[], list[ReducedDynamics]]], ...] = (
    ("fc", "quadratic", lambda: [quadratic_one_unit(), toy_solution()]),
    ("attn-s", "icl", lambda: [attention_reduced(m=0), attention_reduced(m=1)]),
)


def reduced_models(spec) -> list[ReducedDynamics]:
    """The reduced dynamics that describe ``spec``'s plateaus (registered, else from φ's properties)."""
    family = spec.family.name if spec.family is not None else None
    for fam, population, models in REDUCED_MODELS:
        if family == fam and spec.population == population:
            return models()
    phi = spec.phi
    if phi.linear_in_u and not phi.unit_specific:
        return [saxe_mode()]
    if phi.order is not None and phi.order >= 2:
        return [toy_solution()]
    return []
