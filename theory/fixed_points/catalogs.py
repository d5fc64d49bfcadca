"""Closed-form catalogs of function-space fixed points, their loss levels and balanced weight representatives.

Four families (spec §2.5–2.7, §6.8, §6.10):

* **linear** two-layer nets (``linear-fc``), whitened task Σ_xx = I, Σ_yx = diag(s) with distinct s_k > 0:
  for every index set S with |S| ≤ H, W*_S = Σ_{k∈S} s_k q_k r_kᵀ and L(S) = ½ tr Σ_yy − ½ Σ_{k∈S} s_k² (§2.5);
  representative: unit j carries mode S_j as v = √s q, u = √s r (balanced: ‖u‖ = ‖v‖), other units zero.
* **quadratic** net on Gaussian input, A = diag(a) with distinct a_k, Σ = I: M_S = Σ_{k∈S} m_k e_ke_kᵀ with
  m_k = a_k + τ_S/2, τ_S = (tr A − Σ_{k∈S} a_k)/(1 + |S|/2) and L(S) = Σ_{k∉S} a_k² + ½τ_S²(1 + |S|/2) (§2.6);
  representative: v = (m_k/2)^{1/3} (real cube root), u = √2|v| e_k, so that v‖u‖² = m_k **and** ‖u‖² = 2v²
  (balanced with p = 2, §4.5).  Sets with some m_k = 0 coincide with a smaller set and are skipped.
* **ICL** separate-head attention (``attn-s``), Λ = diag(λ) distinct: M_S = Σ_{d∈S} m_d e_de_dᵀ with
  m_d = λ_d⁻¹(1 + (1 + tr Λ/λ_d)/N)⁻¹ (§2.7).  With our ½-loss (conventions.md),
  L(S) = ½[tr Λ − Σ_{d∈S} λ_d²m_d] = ½[tr Λ − Σ_{d∈S} λ_d/(1 + (1 + tr Λ/λ_d)/N)], **half** of [ICL] Eq. 19; this
  is derived here by substituting M_S into the exact symbolic loss, not assumed.  Representative: k = q = v e_d,
  v = m_d^{1/3} (balanced: ‖k‖² + ‖q‖² = 2v²).
* **diagonal** linear nets, any SPD Σ_xx, c = Σ_xy: for every support S, β_S = Σ_SS⁻¹ c_S (zero elsewhere) and
  L(S) = ½ Σ_yy − ½ c_Sᵀ Σ_SS⁻¹ c_S; supports where β_S has a zero entry coincide with a smaller one and are
  skipped.  Representative: u_i = √|β_i|, v_i = sign(β_i)√|β_i|.

Each entry is **certified**: its representative is substituted into the gradient derived by :func:`theory.derive`
and every component must simplify to 0; the loss level is the derived loss at the representative, compared with
the closed form.  Function-space completeness (every fixed point is one of these) is checked on tiny instances
by :mod:`theory.fixed_points.enumerate`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from ..architectures import FAMILIES, Family
from ..derive import Derivation, derive
from ..errors import InputError
from ..spec import NetworkSpec
from ..tasks import ICLTask, LinearRegressionTask, QuadraticGaussianTask, Task


@dataclass(frozen=True, eq=False)
class CatalogEntry:
    """One function-space fixed point: support S (1-based), the function (W, M or β), its level, a representative.

    ``theta`` is the balanced representative in layout order (exact SymPy numbers or expressions);
    ``units`` maps each active unit (0-based) to the mode it carries; ``certified`` says the derived gradient
    vanishes there identically and the derived loss equals ``loss``.  With symbolic task data a cube root has no
    usable closed form, so the representative is written with a symbol c and ``relations`` holds (c, c³ − m):
    certification then reduces modulo c³ = m (polynomial remainder), which is exact.
    """

    kind: str
    support: tuple[int, ...]
    function: sp.Matrix
    loss: sp.Expr
    theta: tuple[sp.Expr, ...]
    units: dict[int, int]
    certified: bool | None = None
    gradient_residual: tuple[sp.Expr, ...] = ()
    note: str = ""
    relations: tuple[tuple[sp.Symbol, sp.Expr], ...] = ()

    @property
    def label(self) -> str:
        return "S={" + ",".join(str(k) for k in self.support) + "}"


@dataclass(frozen=True, eq=False)
class Catalog:
    """All catalog entries of a spec/task pair, the :class:`CatalogRule` that built them (``kind`` is its name) and
    the derivation used to certify them."""

    spec: NetworkSpec
    task: Task
    rule: CatalogRule = field(repr=False)
    entries: tuple[CatalogEntry, ...]
    formula: str
    derivation: Derivation | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return self.rule.kind

    def lowest_level(self) -> sp.Expr | None:
        """The lowest loss level (None with symbolic task data, where levels cannot be ordered)."""
        if not all(_numeric(e.loss) for e in self.entries):
            return None
        return min(self.entries, key=lambda e: float(e.loss)).loss

    def entry(self, support: Sequence[int]) -> CatalogEntry:
        key = tuple(sorted(support))
        for e in self.entries:
            if e.support == key:
                return e
        raise InputError(f"support {key}: not in the catalog of {self.spec.name}")


def _numeric(x) -> bool:
    return bool(getattr(sp.sympify(x), "is_number", False))


def _real_cbrt(x: sp.Expr) -> sp.Expr:
    x = sp.sympify(x)
    if x.is_number:
        return sp.sign(x) * sp.Abs(x) ** sp.Rational(1, 3)
    return sp.real_root(x, 3)


def _cube_root(c: sp.Expr, index: int, relations: list) -> sp.Expr:
    """The real v with v³ = c: exact when c is a number, else the symbol c_index, with the relation v³ − c = 0
    appended to ``relations`` (a balanced unit of a 2-homogeneous net carries v = (m/2)^{1/3}, spec §2.6)."""
    if sp.sympify(c).is_number:
        return _real_cbrt(c)
    v = sp.Symbol(f"c_{index}", real=True)
    relations.append((v, v**3 - c))
    return v


def _diag_values(mat: sp.Matrix, what: str) -> list[sp.Expr]:
    for i in range(mat.rows):
        for j in range(mat.cols):
            if i != j and sp.simplify(mat[i, j]) != 0:
                raise InputError(f"{what}: the closed-form catalog needs a diagonal matrix (entry ({i},{j}) = "
                                 f"{mat[i, j]})")
    return [mat[k, k] for k in range(min(mat.rows, mat.cols))]


def _distinct(values: Sequence[sp.Expr], what: str, positive: bool) -> None:
    for a, b in itertools.combinations(values, 2):
        if sp.simplify(a - b) == 0:
            raise InputError(f"{what}: values must be distinct for a finite catalog (got {a} twice)")
    if positive:
        for a in values:
            if a.is_positive is False or a.is_zero:
                raise InputError(f"{what}: values must be > 0 (got {a})")


def _theta_from_units(spec: NetworkSpec, assign: dict[int, tuple[Sequence[sp.Expr], Sequence[sp.Expr]]]):
    values = dict.fromkeys(spec.params, sp.Integer(0))
    for i, (v, u) in assign.items():
        unit = spec.units[i]
        if len(v) != len(unit.v) or len(u) != len(unit.u):
            raise InputError(f"unit {i}: wrong lengths ({len(v)}, {len(u)}) for ({len(unit.v)}, {len(unit.u)})")
        values.update(zip(unit.v, v, strict=True))
        values.update(zip(unit.u, u, strict=True))
    return tuple(values[p] for p in spec.params)


def _linear(spec: NetworkSpec, task: LinearRegressionTask):
    if task.sigma_xx != sp.eye(task.sigma_xx.rows):
        raise InputError("linear catalog: needs a whitened task (sigma_xx = I); reparametrise U' = Σ^{1/2}U (§2.5)")
    s = _diag_values(task.sigma_yx, "sigma_yx")
    _distinct(s, "singular values", positive=True)
    d_out, d_in = task.sigma_yx.shape
    H = spec.width
    base = sp.Rational(1, 2) * task.sigma_yy.trace()
    entries = []
    for r in range(min(H, len(s)) + 1):
        for S in itertools.combinations(range(len(s)), r):
            W = sp.zeros(d_out, d_in)
            assign = {}
            for j, k in enumerate(S):
                W[k, k] = s[k]
                root = sp.sqrt(s[k])
                assign[j] = ([root if a == k else 0 for a in range(d_out)],
                             [root if a == k else 0 for a in range(d_in)])
            level = base - sp.Rational(1, 2) * sum((s[k] ** 2 for k in S), sp.Integer(0))
            entries.append(CatalogEntry("linear", tuple(k + 1 for k in S), W, sp.simplify(level),
                                        _theta_from_units(spec, assign), {j: k + 1 for j, k in enumerate(S)}))
    formula = "W*_S = sum_{k in S} s_k q_k r_k^T, L(S) = 1/2 tr Sigma_yy - 1/2 sum_{k in S} s_k^2 (spec 2.5)"
    return entries, formula


def _quadratic(spec: NetworkSpec, task: QuadraticGaussianTask):
    if task.sigma != sp.eye(task.a.rows):
        raise InputError("quadratic catalog: needs x ~ N(0, I) (sigma = I)")
    a = _diag_values(task.a, "A")
    _distinct(a, "eigenvalues of A", positive=False)
    H, D = spec.width, len(a)
    tr = sum(a, sp.Integer(0))
    entries = []
    for r in range(min(H, D) + 1):
        for S in itertools.combinations(range(D), r):
            tau = (tr - sum((a[k] for k in S), sp.Integer(0))) / (1 + sp.Rational(r, 2))
            m = {k: sp.simplify(a[k] + tau / 2) for k in S}
            if any(v == 0 for v in m.values()):
                continue  # coincides with a smaller support (spec §2.6 needs m_k ≠ 0 for an active unit)
            M = sp.zeros(D, D)
            assign = {}
            rels: list = []
            for j, k in enumerate(S):
                M[k, k] = m[k]
                v = _cube_root(m[k] / 2, k + 1, rels)
                # u → −u is a symmetry (even φ), so the sign of rho is free for a symbolic v
                rho = sp.sqrt(2) * (sp.Abs(v) if m[k].is_number else v)
                assign[j] = ([v], [rho if b == k else 0 for b in range(D)])
            level = sum((a[k] ** 2 for k in range(D) if k not in S), sp.Integer(0)) + \
                sp.Rational(1, 2) * tau**2 * (1 + sp.Rational(r, 2))
            entries.append(CatalogEntry("quadratic", tuple(k + 1 for k in S), M, sp.simplify(level),
                                        _theta_from_units(spec, assign), {j: k + 1 for j, k in enumerate(S)},
                                        relations=tuple(rels)))
    formula = ("M_S = sum_{k in S} (a_k + tau_S/2) e_k e_k^T, tau_S = (tr A - sum_S a_k)/(1 + |S|/2), "
               "L(S) = sum_{k not in S} a_k^2 + 1/2 tau_S^2 (1 + |S|/2) (spec 2.6)")
    return entries, formula


def _icl(spec: NetworkSpec, task: ICLTask):
    lam = _diag_values(task.lam, "Lambda")
    _distinct(lam, "eigenvalues of Lambda", positive=True)
    H, D, N = spec.width, len(lam), task.context
    R = spec.sizes["rank"]
    tr = sum(lam, sp.Integer(0))
    entries = []
    for r in range(min(H, D) + 1):
        for S in itertools.combinations(range(D), r):
            M = sp.zeros(D, D)
            assign = {}
            rels = []
            for j, d in enumerate(S):
                m = 1 / (lam[d] * (1 + (1 + tr / lam[d]) / N))
                M[d, d] = sp.simplify(m)
                v = _cube_root(M[d, d], d + 1, rels)
                e = [v if b == d else 0 for b in range(D)] + [0] * (D * (R - 1))
                # u = [vec K; vec Q], the first key/query pair carries e_d.
                assign[j] = ([v], e + e)
            level = sp.Rational(1, 2) * (tr - sum((lam[d] / (1 + (1 + tr / lam[d]) / N) for d in S), sp.Integer(0)))
            entries.append(CatalogEntry("icl", tuple(d + 1 for d in S), M, sp.simplify(level),
                                        _theta_from_units(spec, assign), {j: d + 1 for j, d in enumerate(S)},
                                        relations=tuple(rels)))
    formula = ("M_S = sum_{d in S} lambda_d^-1 (1 + (1 + tr Lambda/lambda_d)/N)^-1 e_d e_d^T, "
               "L(S) = 1/2 [tr Lambda - sum_S lambda_d/(1 + (1 + tr Lambda/lambda_d)/N)] = half of [ICL] Eq. 19")
    return entries, formula


def _diagonal(spec: NetworkSpec, task: LinearRegressionTask):
    sxx, c = task.sigma_xx, task.sigma_yx.T
    D = spec.width
    base = sp.Rational(1, 2) * task.sigma_yy[0, 0]
    entries = []
    for r in range(D + 1):
        for S in itertools.combinations(range(D), r):
            beta = sp.zeros(D, 1)
            level = base
            if S:
                sub = sxx.extract(list(S), list(S))
                cs = c.extract(list(S), [0])
                bs = sub.inv() * cs
                if any(sp.simplify(b) == 0 for b in bs):
                    continue
                for j, k in enumerate(S):
                    beta[k] = sp.simplify(bs[j])
                level = base - sp.Rational(1, 2) * (cs.T * bs)[0, 0]
            assign = {k: ([sp.sign(beta[k]) * sp.sqrt(sp.Abs(beta[k]))], [sp.sqrt(sp.Abs(beta[k]))]) for k in S}
            entries.append(CatalogEntry("diagonal", tuple(k + 1 for k in S), beta, sp.simplify(level),
                                        _theta_from_units(spec, assign), {k: k + 1 for k in S}))
    formula = "beta_S = Sigma_SS^-1 c_S, L(S) = 1/2 Sigma_yy - 1/2 c_S^T Sigma_SS^-1 c_S (Pesme-Flammarion saddles)"
    return entries, formula


@dataclass(frozen=True)
class CatalogRule:
    """A closed-form catalog registered against a family, a population form and a task type.

    Its gauge (:func:`gauge_representatives`): ``permutes_units``, the active modes may sit on any units (False:
    unit i carries mode i, the diagonal net); ``flips_v``, the sign symmetry of a unit is (v, u) → (−v, −u) (φ odd
    in u) rather than u → −u (φ even).  ``saxe_spectrum``: the Hessian spectrum of docs/theory.md §3.2 (linear FC,
    s = diag Σ_yx) predicts each entry's (:func:`~theory.fixed_points.classify.classify_entry`)."""

    kind: str
    family: Family
    population: str
    task: type
    build: Callable[[NetworkSpec, Any], tuple[list[CatalogEntry], str]]
    described: str
    permutes_units: bool = True
    flips_v: bool = True
    saxe_spectrum: bool = False


CATALOGS: tuple[CatalogRule, ...] = (
    CatalogRule("linear", FAMILIES["fc"], "linear", LinearRegressionTask, _linear, "linear FC + linear regression",
                saxe_spectrum=True),
    CatalogRule("quadratic", FAMILIES["fc"], "quadratic", QuadraticGaussianTask, _quadratic,
                "quadratic net (d_out = 1) + quadratic Gaussian", flips_v=False),
    CatalogRule("icl", FAMILIES["attn-s"], "icl", ICLTask, _icl, "attn-s + in-context regression", flips_v=False),
    CatalogRule("diagonal", FAMILIES["diagonal-linear"], "linear", LinearRegressionTask, _diagonal,
                "diagonal-linear + linear regression", permutes_units=False),
)


def catalog_rule(spec: NetworkSpec, task: Task) -> CatalogRule:
    """The closed-form catalog registered for ``spec``'s family and population form on ``task``, or InputError
    naming why none applies."""
    for rule in CATALOGS:
        if spec.family is rule.family and spec.population == rule.population and isinstance(task, rule.task):
            return rule
    raise InputError(f"no closed-form fixed-point catalog for {spec.label} on {type(task).__name__}; available: "
                     + ", ".join(r.described for r in CATALOGS))


def catalog_kind(spec: NetworkSpec, task: Task) -> str:
    """Which closed-form catalog applies (:data:`CATALOGS`), or InputError naming why none does."""
    return catalog_rule(spec, task).kind


def is_zero(expr: sp.Expr) -> bool:
    """Exact zero test for the algebraic numbers of the catalogs (expand, then simplify as a fallback)."""
    e = sp.expand(expr)
    if e == 0:
        return True
    return sp.simplify(e) == 0


def fixed_point_catalog(spec: NetworkSpec, task: Task, *, certify: bool = True,
                        timeout: float | None = 120, derivation: Derivation | None = None) -> Catalog:
    """The closed-form catalog of ``spec`` on ``task`` (module docstring), certified against :func:`derive`.

    ``derivation`` reuses an existing derivation of the same spec and task (it must match; it is not re-checked).
    """
    rule = catalog_rule(spec, task)
    entries, formula = rule.build(spec, task)
    der = None
    if certify:
        der = derivation if derivation is not None else derive(spec, task, timeout=timeout)
        if der.spec is not spec and der.spec.params != spec.params:
            raise InputError("derivation: belongs to a different spec")
        out = []
        for e in entries:
            sub = dict(zip(spec.params, e.theta, strict=True))

            def reduce(expr, rels=e.relations):
                expr = sp.expand(expr)
                for sym, rel in rels:  # exact reduction modulo c³ = m
                    expr = sp.rem(expr, rel, sym)
                return expr

            grad = tuple(reduce(g.xreplace(sub)) for g in der.gradient)
            level = reduce(der.loss.xreplace(sub))
            ok = all(is_zero(g) for g in grad) and is_zero(level - e.loss)
            out.append(CatalogEntry(e.kind, e.support, e.function, e.loss, e.theta, e.units, ok,
                                    tuple(g for g in grad if not is_zero(g)),
                                    "" if ok else "NOT certified: gradient or level mismatch", e.relations))
        entries = out
    return Catalog(spec, task, rule, tuple(entries), formula, der)


def gauge_representatives(catalog: Catalog) -> list[tuple[sp.Expr, ...]]:
    """All balanced representatives of every entry in the gauge of :mod:`~theory.fixed_points.enumerate`.

    Linear and quadratic nets: every injective assignment of the active modes to units and every sign flip of an
    active unit (v, u) → (−v, −u) (linear: A = −1 in GL(1)) or u → −u (even φ); diagonal nets: sign flips.  These
    are the isolated real solutions of the gauged system (VᵀV or UᵀU diagonal, balanced).
    """
    spec = catalog.spec
    out = []
    for e in catalog.entries:
        active = list(e.units.items())  # (unit, mode)
        per_unit = {}
        for j, _mode in active:
            unit = spec.units[j]
            pos = {p: k for k, p in enumerate(spec.params)}
            per_unit[j] = ([e.theta[pos[s]] for s in unit.v], [e.theta[pos[s]] for s in unit.u])
        units = list(per_unit)
        targets = (itertools.permutations(range(spec.width), len(units)) if catalog.rule.permutes_units
                   else [units])
        for target in targets:
            for signs in itertools.product((1, -1), repeat=len(units)):
                assign = {}
                for src, dst, sg in zip(units, target, signs, strict=True):
                    v, u = per_unit[src]
                    if catalog.rule.flips_v:
                        assign[dst] = ([sg * x for x in v], [sg * x for x in u])
                    else:
                        assign[dst] = (list(v), [sg * x for x in u])
                out.append(_theta_from_units(spec, assign))
    return out
