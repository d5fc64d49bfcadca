"""Exhaustive enumeration of the fixed points of tiny polynomial nets by Groebner bases (spec §2.8, claim C33).

The fixed-point sets are positive-dimensional (rescaling, GL(H) for linear nets, Thm 1 families), so the gradient
equations ∇L = 0 are completed by **gauge equations** that pick finitely many representatives per orbit:

* ``balance``        Q_i = ‖u_i‖² − p‖v_i‖² = c_i per unit (conserved, spec §4.5; p = degree of φ);
* ``matrix-balance`` UᵀU − VᵀV = C (linear nets, spec §4.5), which reduces GL(H) to O(H);
* ``v-orthogonal``   v_i·v_j = 0 (i < j): VᵀV diagonal, removes the residual O(H) of linear nets (§2.8);
* ``u-orthogonal``   u_i·u_j = 0 (i < j): the analogue for quadratic nets, whose M = Σ v_i u_i u_iᵀ keeps a
  residual O(2) / O(1,1) freedom when two units share an eigenspace.

The ideal is reduced to a grevlex Groebner basis (SymPy's Buchberger on a sparse polynomial ring over Q) under
:func:`theory.time_bound`; a timeout yields a result with ``complete=False`` instead of hanging.  From the basis:

* dimension: the largest set of variables containing no leading monomial (the Krull dimension of the initial
  ideal, equal to that of the ideal);
* zero-dimensional ⇔ every variable has a pure power among the leading monomials; then the N standard monomials
  form a basis of the quotient algebra A = Q[x]/I and N counts complex solutions with multiplicity;
* **Hermite's theorem**: the trace form T(f, g) = Tr(m_{fg}) on A has rank = number of distinct complex
  solutions and signature = number of distinct real solutions.  Both are read exactly off the characteristic
  polynomial of T (real-rooted, so Descartes' rule of signs counts its positive and negative roots exactly);
* the real solutions themselves (floats) from the eigenvectors of a random multiplication matrix (Stickelberger),
  used only to match them against the catalog.

>>> from theory import build, LinearRegressionTask
>>> e = enumerate_fixed_points(build("linear-fc", d_in=2, d_out=2, width=1), LinearRegressionTask.whitened([3, 1]))
>>> (e.zero_dimensional, e.n_standard_monomials, e.n_complex, e.n_real)
(True, 9, 9, 5)
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.polys.domains import QQ
from sympy.polys.groebnertools import groebner as _ring_groebner
from sympy.polys.matrices import DomainMatrix
from sympy.polys.rings import ring

from ..derive import derive
from ..errors import InputError, SymbolicTimeout
from ..spec import NetworkSpec
from ..tasks import Task
from ..timebound import time_bound

GAUGES = ("balance", "matrix-balance", "v-orthogonal", "u-orthogonal")


@dataclass(frozen=True, eq=False)
class Enumeration:
    """Result of :func:`enumerate_fixed_points` (spec §2.8).

    ``complete`` is False when the Groebner basis (or the counting) did not finish within the time bound; then
    the counts that were not reached are None.  ``dimension`` is the dimension of the solution variety (0 when
    finitely many solutions).  ``n_standard_monomials`` counts complex solutions with multiplicity,
    ``n_complex``/``n_real`` the distinct complex/real ones (Hermite), ``real_points`` the real solutions as a
    float array (rows in layout order of ``variables``).
    """

    description: str
    variables: tuple[sp.Symbol, ...]
    equations: tuple[sp.Expr, ...]
    gauges: tuple[str, ...]
    complete: bool
    zero_dimensional: bool | None = None
    dimension: int | None = None
    n_basis: int | None = None
    leading_monomials: tuple[sp.Expr, ...] | None = None
    n_standard_monomials: int | None = None
    n_complex: int | None = None
    n_real: int | None = None
    real_points: np.ndarray | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    message: str = ""

    @property
    def all_simple(self) -> bool | None:
        if self.n_complex is None or self.n_standard_monomials is None:
            return None
        return self.n_complex == self.n_standard_monomials

    def summary(self) -> str:
        if not self.complete:
            return f"{self.description}: INCOMPLETE ({self.message})"
        if not self.zero_dimensional:
            return (f"{self.description}: not zero-dimensional, dimension {self.dimension} "
                    f"({self.n_basis} basis elements)")
        return (f"{self.description}: zero-dimensional, {self.n_standard_monomials} standard monomials, "
                f"{self.n_complex} distinct complex and {self.n_real} real solutions")


def _require_polynomial(spec: NetworkSpec, expr: sp.Expr) -> None:
    if not expr.is_polynomial(*spec.params):
        raise InputError(f"exact enumeration needs a polynomial phi; {spec.name} (phi = {spec.phi.name}) is not "
                         "polynomial in its parameters")


def _rational(expr: sp.Expr, what: str) -> sp.Expr:
    expr = sp.nsimplify(expr) if isinstance(expr, sp.Float) else expr
    if not (expr.is_Rational or expr.is_Integer):
        raise InputError(f"{what}: exact enumeration needs rational data, got {expr}")
    return expr


def default_gauges(spec: NetworkSpec) -> tuple[str, ...]:
    """Balancedness per unit, or the matrix version for linear nets (spec §2.8)."""
    if spec.phi.degree is None:
        return ()
    if spec.phi.linear_in_u and not spec.phi.unit_specific:
        return ("matrix-balance",)
    return ("balance",)


def fixed_point_system(spec: NetworkSpec, task: Task, *, gauges: Sequence[str] | None = None,
                       balance: sp.Expr | int = 0, timeout: float | None = 60) -> tuple[list[sp.Symbol], list[sp.Expr]]:
    """Variables and equations: ∇L = 0 plus the gauge equations (module docstring); ``balance`` is c in Q_i = c."""
    gauges = default_gauges(spec) if gauges is None else tuple(gauges)
    for g in gauges:
        if g not in GAUGES:
            raise InputError(f"gauge {g!r}: unknown; choose from {', '.join(GAUGES)}")
    if gauges and spec.phi.degree is None and any(g in ("balance", "matrix-balance") for g in gauges):
        raise InputError(f"gauge balance: phi of {spec.name} is not homogeneous, no conserved balancedness")
    if "matrix-balance" in gauges and not (spec.phi.linear_in_u and not spec.phi.unit_specific):
        raise InputError("gauge matrix-balance: only for nets linear in u (U^T U - V^T V conserved)")
    der = derive(spec, task, timeout=timeout)
    _require_polynomial(spec, der.loss)
    c = sp.sympify(balance)
    eqs = [sp.expand(g) for g in der.gradient]
    units = spec.units
    p = spec.phi.degree
    dot = lambda a, b: sum((x * y for x, y in zip(a, b, strict=True)), sp.Integer(0))  # noqa: E731
    if "balance" in gauges:
        eqs += [sp.expand(dot(u.u, u.u) - p * dot(u.v, u.v) - c) for u in units]
    if "matrix-balance" in gauges:
        for i, j in itertools.combinations_with_replacement(range(len(units)), 2):
            target = c if i == j else 0
            eqs.append(sp.expand(dot(units[i].u, units[j].u) - dot(units[i].v, units[j].v) - target))
    for key, attr in (("v-orthogonal", "v"), ("u-orthogonal", "u")):
        if key in gauges:
            for i, j in itertools.combinations(range(len(units)), 2):
                eqs.append(sp.expand(dot(getattr(units[i], attr), getattr(units[j], attr))))
    eqs = [e for e in eqs if e != 0]
    return list(spec.params), eqs


def _dimension(lead: list[tuple[int, ...]], n: int) -> int:
    # dim of the monomial ideal = max |S| such that no leading monomial uses only variables of S.
    supports = [frozenset(k for k, e in enumerate(m) if e) for m in lead]
    for size in range(n, -1, -1):
        for subset in itertools.combinations(range(n), size):
            s = frozenset(subset)
            if not any(sup <= s for sup in supports):
                return size
    return 0


def _standard_monomials(lead: list[tuple[int, ...]], n: int) -> list[tuple[int, ...]]:
    def divisible(m):
        return any(all(a >= b for a, b in zip(m, lm, strict=True)) for lm in lead)

    out, frontier, seen = [], [tuple([0] * n)], set()
    while frontier:
        m = frontier.pop()
        if m in seen or divisible(m):
            continue
        seen.add(m)
        out.append(m)
        for k in range(n):
            frontier.append(tuple(e + (1 if i == k else 0) for i, e in enumerate(m)))
    return sorted(out, key=lambda m: (sum(m), tuple(-e for e in m)))


def _descartes(coeffs: list) -> int:
    signs = [c > 0 for c in coeffs if c != 0]
    return sum(1 for a, b in zip(signs, signs[1:], strict=False) if a != b)


def enumerate_fixed_points(spec: NetworkSpec, task: Task, *, gauges: Sequence[str] | None = None,
                           balance: sp.Expr | int = 0, timeout: float | None = 120,
                           real_points: bool = True, seed: int = 0) -> Enumeration:
    """All fixed points of a tiny polynomial net in the given gauge (spec §2.8): counts, dimension, real points.

    Raises :class:`InputError` for non-polynomial φ (ReLU, tanh) or non-rational data; a time-out returns a
    partial result with ``complete=False``.
    """
    gauges = default_gauges(spec) if gauges is None else tuple(gauges)
    desc = f"{spec.name} {dict(spec.sizes)} gauges={list(gauges)} c={balance}"
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    try:
        variables, eqs = fixed_point_system(spec, task, gauges=gauges, balance=balance, timeout=timeout)
    except SymbolicTimeout as exc:
        return Enumeration(desc, tuple(spec.params), (), gauges, complete=False,
                           seconds={"equations": time.perf_counter() - t0}, message=str(exc))
    seconds["equations"] = time.perf_counter() - t0
    n = len(variables)
    R, *_ = ring([str(v) for v in variables], QQ, "grevlex")
    polys = []
    for e in eqs:
        terms = {}
        for monom, coeff in sp.Poly(e, *variables).as_dict().items():
            coeff = _rational(coeff, "equation coefficient")
            terms[monom] = QQ(int(coeff.p), int(coeff.q))
        polys.append(R.from_dict(terms))
    base = dict(description=desc, variables=tuple(variables), equations=tuple(eqs), gauges=gauges)
    t1 = time.perf_counter()
    try:
        with time_bound(timeout, f"Groebner basis of {desc}"):
            G = _ring_groebner(polys, R)
    except SymbolicTimeout as exc:
        seconds["groebner"] = time.perf_counter() - t1
        return Enumeration(**base, complete=False, seconds=seconds, message=str(exc))
    seconds["groebner"] = time.perf_counter() - t1
    lead = [g.LM for g in G]
    lead_exprs = tuple(sp.Mul(*[v**e for v, e in zip(variables, m, strict=True)]) for m in lead)
    dim = _dimension(lead, n)
    zero_dim = dim == 0 and len(G) > 0 and G != [R.one] and any(lead)
    if G == [R.one]:
        return Enumeration(**base, complete=True, zero_dimensional=True, dimension=-1, n_basis=1,
                           leading_monomials=lead_exprs, n_standard_monomials=0, n_complex=0, n_real=0,
                           real_points=np.zeros((0, n)), seconds=seconds, message="no solutions (I = (1))")
    if not zero_dim:
        return Enumeration(**base, complete=True, zero_dimensional=False, dimension=dim, n_basis=len(G),
                           leading_monomials=lead_exprs, seconds=seconds,
                           message=f"positive-dimensional (dimension {dim}): a continuous family remains")
    t2 = time.perf_counter()
    try:
        with time_bound(timeout, f"Hermite counting for {desc}"):
            std = _standard_monomials(lead, n)
            N = len(std)
            index = {m: k for k, m in enumerate(std)}

            def coords(poly) -> list:
                vec = [QQ(0)] * N
                for m, c in poly.rem(G).terms():
                    vec[index[m]] = c
                return vec

            def sparse(poly) -> dict[int, object]:
                return {index[m]: c for m, c in poly.rem(G).terms()}

            # NF(b_j b_k) depends only on the product monomial: cache by exponent vector (many pairs share it).
            cache: dict[tuple[int, ...], dict[int, object]] = {}
            keys = {}
            for j in range(N):
                for k in range(j, N):
                    key = tuple(a + b for a, b in zip(std[j], std[k], strict=True))
                    if key not in cache:
                        cache[key] = sparse(R({key: QQ(1)}))
                    keys[j, k] = key
            # Tr(m_{b_l}) = Σ_k [b_k-coefficient of NF(b_l b_k)].
            tr = [sum((cache[keys[min(l, k), max(l, k)]].get(k, QQ(0)) for k in range(N)), QQ(0)) for l in range(N)]
            value = {key: sum((c * tr[i] for i, c in nf.items()), QQ(0)) for key, nf in cache.items()}
            T = [[QQ(0)] * N for _ in range(N)]
            for (j, k), key in keys.items():
                T[j][k] = T[k][j] = value[key]
            cp = DomainMatrix(T, (N, N), QQ).charpoly()  # leading coefficient first
            low = next(i for i, c in enumerate(reversed(cp)) if c != 0)  # multiplicity of the root 0
            rank = N - low
            pos = _descartes(list(cp))
            neg = _descartes([c * (-1) ** (N - i) for i, c in enumerate(cp)])
            n_real = pos - neg
    except SymbolicTimeout as exc:
        seconds["counting"] = time.perf_counter() - t2
        return Enumeration(**base, complete=False, zero_dimensional=True, dimension=0, n_basis=len(G),
                           leading_monomials=lead_exprs, seconds=seconds, message=str(exc))
    seconds["counting"] = time.perf_counter() - t2
    points = None
    if real_points:
        t3 = time.perf_counter()
        points = _real_points(R, G, std, index, coords, n, seed, polys)
        seconds["real_points"] = time.perf_counter() - t3
    return Enumeration(**base, complete=True, zero_dimensional=True, dimension=0, n_basis=len(G),
                       leading_monomials=lead_exprs, n_standard_monomials=N, n_complex=rank, n_real=n_real,
                       real_points=points, seconds=seconds)


def _real_points(R, G, std, index, coords, n, seed, polys) -> np.ndarray:
    """Real solutions from the eigenvectors of a random multiplication matrix (Stickelberger's theorem).

    Left eigenvectors of m_ℓ are the evaluation vectors (b(ζ))_b; normalised at b = 1, x_k(ζ) is the 1-entry of
    eᵀ m_{x_k}.  The exact real count comes from Hermite; this only locates the points.  At a root of
    multiplicity m the eigenvalue problem is defective and the computed points scatter by O(eps^(1/m)), so a
    candidate is kept when its imaginary part is below 1e-4 of its size, then polished by Newton steps
    on the original equations (until the step is below 1e-15) and kept only if they then hold to 1e-9; points
    closer than 1e-4 are merged.
    """
    N = len(std)
    one = index[tuple([0] * n)]
    mats = []
    for k in range(n):
        x = R.gens[k]
        cols = [coords(x * R({m: QQ(1)})) for m in std]
        mats.append(np.array([[float(c) for c in col] for col in cols]).T)
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.5, 1.5, n)
    M = sum(w * m for w, m in zip(weights, mats, strict=True))
    _, vecs = np.linalg.eig(M.T)
    # (eᵀ m_{x_k})[1] = e · (column "1" of m_{x_k}).
    ones = np.array([m[:, one] for m in mats])
    pts = []
    for col in range(N):
        e = vecs[:, col]
        if abs(e[one]) < 1e-12:
            continue
        e = e / e[one]
        z = ones @ e
        if np.all(np.abs(z.imag) <= 1e-4 * max(1.0, float(np.max(np.abs(z))))):
            pts.append(z.real)
    gens = [str(g) for g in R.gens]
    syms = sp.symbols(gens)
    exprs = [sp.sympify(str(p.as_expr()), locals=dict(zip(gens, syms, strict=True))) for p in polys]
    fun = sp.lambdify([syms], exprs, "numpy")
    jac = sp.lambdify([syms], sp.Matrix(exprs).jacobian(syms).tolist(), "numpy")
    # Merge the cluster that a multiple root scatters into (spread ~ eps^(1/m) << 1e-3) before polishing.
    seeds: list[np.ndarray] = []
    for p in pts:
        if not any(np.max(np.abs(p - q)) < 1e-3 * max(1.0, float(np.max(np.abs(p)))) for q in seeds):
            seeds.append(p)
    out: list[np.ndarray] = []
    for p in seeds:
        # Newton converges only linearly at a multiple root (rate (m-1)/m), hence up to 200 steps.
        for _ in range(200):
            r = np.array(fun(p), dtype=float)
            step = np.linalg.lstsq(np.array(jac(p), dtype=float), r, rcond=None)[0]
            p = p - step
            if np.max(np.abs(step)) < 1e-15 * max(1.0, float(np.max(np.abs(p)))):
                break
        if np.max(np.abs(np.array(fun(p), dtype=float))) > 1e-9:
            continue
        # Deduplicate (a multiple root appears once per eigenvector).
        if not any(np.max(np.abs(p - q)) < 1e-4 * max(1.0, float(np.max(np.abs(p)))) for q in out):
            out.append(p)
    return np.array(out) if out else np.zeros((0, n))


@dataclass(frozen=True)
class Completeness:
    """Both directions of spec §2.8 step 3: catalog ⊆ enumeration (exact) and enumeration ⊆ catalog (counts).

    ``catalog_found``: every gauge representative of every catalog entry satisfies all equations exactly.
    ``counts_equal``: the number of distinct representatives equals the exact real count (Hermite), so the real
    solutions are exactly the catalog representatives.  ``numeric_match``: each numeric real point lies within
    1e-8 of a representative (a cross-check of the count argument).
    """

    catalog_found: bool
    counts_equal: bool
    numeric_match: bool | None
    n_representatives: int
    n_real: int | None

    @property
    def complete(self) -> bool:
        return self.catalog_found and self.counts_equal and self.numeric_match is not False


def check_completeness(enumeration: Enumeration, catalog) -> Completeness:
    """Compare a zero-dimensional :class:`Enumeration` with a catalog (balanced gauge, c = 0)."""
    from .catalogs import gauge_representatives

    if not enumeration.complete or not enumeration.zero_dimensional:
        raise InputError(f"completeness: the enumeration is not a finished zero-dimensional one "
                         f"({enumeration.summary()})")
    reps = gauge_representatives(catalog)
    distinct = {tuple(sp.nsimplify(x) for x in r) for r in reps}
    found = all(all(sp.expand(eq.xreplace(dict(zip(enumeration.variables, r, strict=True)))) == 0
                    or sp.simplify(eq.xreplace(dict(zip(enumeration.variables, r, strict=True)))) == 0
                    for eq in enumeration.equations) for r in distinct)
    numeric = None
    if enumeration.real_points is not None:
        arr = np.array([[float(x) for x in r] for r in distinct])
        numeric = len(enumeration.real_points) == len(arr) and all(
            np.min(np.max(np.abs(arr - p), axis=1)) <= 1e-8 for p in enumeration.real_points)
    return Completeness(found, len(distinct) == enumeration.n_real, numeric, len(distinct), enumeration.n_real)
