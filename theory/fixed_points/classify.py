"""Hessian spectra, Morse indices, escape directions and the class of fixed points (spec §3).

* :func:`linear_saddle_spectrum` — the closed-form multiset of spec §3.2 at a balanced, mode-aligned
  representative of W*_S (whitened, distinct s): per zero unit ±s_j (j ∉ S) and 2r zeros; per active i ∈ S,
  s_i ± s_j (j ∉ S), 2s_i and one 0; per pair i < i' in S, s_i + s_i' twice and two 0s; each of the
  |d_out − d_in| unpartnered directions adds 0 per zero unit and s_i per active unit.  The origin is S = ∅.
* :func:`linear_morse_index` — (H − r)·#{j ∉ S : s_j > 0} + #{(i, j) : i ∈ S, j ∉ S, s_j > s_i} (spec §3.2).
* :func:`exact_inertia` — inertia of an exact symmetric matrix from its characteristic polynomial: it is
  real-rooted, so Descartes' rule of signs counts positive and negative eigenvalues exactly.
* :func:`classify_point` — the exact Hessian at a point (symbolic substitution), its spectrum in float64, the
  Morse index with tolerance τ = 100·n·eps·max(1, ‖H‖₂) (Weyl: rounding the exact entries and a backward-stable
  symmetric eigensolver move each eigenvalue by at most c·n·eps·‖H‖₂ with c = O(1); 100 is the margin on c),
  the symmetry-orbit dimension (rank of the generators of rescaling / GL(H), spec §2.8), and the class:

  - **strict saddle**: λ_min < −τ; escape directions = eigenvectors of the negative eigenvalues, the first one
    of the most negative (spec §3.1);
  - **minimum**: no negative eigenvalue and either the level is the lowest of the (complete) catalog, or every
    zero eigenvalue is explained by the symmetry orbit (Morse–Bott);
  - **degenerate saddle**: Hessian PSD, a dormant unit (v_i = 0, u_i = 0) of a degree-p ≥ 2 net, and the form
    u ↦ ∂L/∂v_i(u) = uᵀBu is nonzero: L(θ* + t(v, u)) = L* + t^{p+1} v uᵀBu + O(t^{2p+2}), so the cubic term
    descends along u = the eigenvector of B with the largest |μ| and v = −sign μ (spec §3.3);
  - **degenerate (undetermined)**: PSD with unexplained zeros and no dormant-unit descent found.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp

from ..derive import Derivation, derive
from ..errors import InputError
from ..spec import NetworkSpec
from ..tasks import Task
from .catalogs import Catalog, CatalogEntry

EPS = float(np.finfo(float).eps)


def linear_saddle_spectrum(s: Sequence, S: Sequence[int], H: int, d_in: int | None = None,
                           d_out: int | None = None) -> list[sp.Expr]:
    """Spec §3.2 multiset (2·(d_in + d_out)/2·H … exactly (d_in + d_out)·H eigenvalues) at W*_S; S is 1-based."""
    s = [sp.sympify(x) for x in s]
    d_in = len(s) if d_in is None else d_in
    d_out = len(s) if d_out is None else d_out
    D = min(d_in, d_out)
    if len(s) > D:
        raise InputError(f"s: {len(s)} singular values for a {d_out}x{d_in} map")
    s = s + [sp.Integer(0)] * (D - len(s))
    S = sorted(int(k) for k in S)
    if any(k < 1 or k > D for k in S) or len(set(S)) != len(S):
        raise InputError(f"S={S}: must be distinct indices in 1..{D}")
    r = len(S)
    if r > H:
        raise InputError(f"S={S}: |S| = {r} exceeds the width H = {H}")
    out: list[sp.Expr] = []
    rest = [j for j in range(1, D + 1) if j not in S]
    extra = abs(d_out - d_in)
    for _ in range(H - r):
        for j in rest:
            out += [-s[j - 1], s[j - 1]]
        out += [sp.Integer(0)] * (2 * r + extra)
    for i in S:
        for j in rest:
            out += [s[i - 1] - s[j - 1], s[i - 1] + s[j - 1]]
        out += [2 * s[i - 1], sp.Integer(0)] + [s[i - 1]] * extra
    for i, i2 in itertools.combinations(S, 2):
        out += [s[i - 1] + s[i2 - 1]] * 2 + [sp.Integer(0)] * 2
    return sorted(out, key=lambda e: float(e)) if all(e.is_number for e in out) else out



def _greater(a: sp.Expr, b: sp.Expr, ia: int, ib: int) -> bool:
    # Symbolic singular values: undecidable comparisons fall back to the labelling s_1 > s_2 > … (> 0).
    rel = sp.sympify(a > b)
    if rel in (sp.true, sp.false):
        return bool(rel)
    return ia < ib


def linear_morse_index(s: Sequence, S: Sequence[int], H: int) -> int:
    """(H − r)·#{j ∉ S : s_j > 0} + #{(i, j) : i ∈ S, j ∉ S, s_j > s_i} (spec §3.2); S is 1-based.

    Symbolic s_k are taken in their labelled order s_1 > s_2 > … > 0 when SymPy cannot compare them.
    """
    s = [sp.sympify(x) for x in s]
    S = [int(k) for k in S]
    rest = [j for j in range(1, len(s) + 1) if j not in S]
    n = (H - len(S)) * sum(1 for j in rest if _greater(s[j - 1], sp.Integer(0), 0, 1))
    return n + sum(1 for i in S for j in rest if _greater(s[j - 1], s[i - 1], j, i))


@dataclass(frozen=True)
class Inertia:
    negative: int
    zero: int
    positive: int


def exact_inertia(matrix: sp.Matrix) -> Inertia:
    """Exact inertia of a real symmetric matrix via its characteristic polynomial and Descartes' rule."""
    if matrix.rows != matrix.cols:
        raise InputError(f"matrix: must be square, got {matrix.shape}")
    lam = sp.Symbol("lambda_")
    coeffs = [sp.nsimplify(sp.simplify(c)) for c in matrix.charpoly(lam).all_coeffs()]
    n = len(coeffs) - 1
    zero = next(i for i, c in enumerate(reversed(coeffs)) if c != 0)

    def changes(cs):
        signs = [bool(c > 0) for c in cs if c != 0]
        return sum(1 for a, b in zip(signs, signs[1:], strict=False) if a != b)

    pos = changes(coeffs)
    neg = changes([c * (-1) ** (n - i) for i, c in enumerate(coeffs)])
    return Inertia(neg, zero, pos)


def charpoly_matches(matrix: sp.Matrix, multiset: Sequence[sp.Expr]) -> bool:
    """Exact test that ``multiset`` is the spectrum of ``matrix``: det(λI − H) ≡ Π(λ − μ)."""
    lam = sp.Symbol("lambda_")
    if len(multiset) != matrix.rows:
        return False
    target = sp.Mul(*[lam - m for m in multiset])
    return sp.expand(matrix.charpoly(lam).as_expr() - target) == 0


@dataclass(frozen=True, eq=False)
class Classification:
    """Spectrum and class of one fixed point (module docstring for the rules and the tolerance)."""

    label: str
    loss: float
    eigenvalues: np.ndarray
    tolerance: float
    morse_index: int
    n_zero: int
    n_positive: int
    orbit_dimension: int
    kind: str
    escape_eigenvalues: np.ndarray
    escape_directions: np.ndarray
    predicted_spectrum: list | None = None
    predicted_morse_index: int | None = None
    exact_spectrum_verified: bool | None = None
    note: str = ""

    def describe_escape(self, spec: NetworkSpec, top: int = 1) -> str:
        if self.escape_directions.size == 0:
            return "none"
        parts = []
        for k in range(min(top, self.escape_directions.shape[1])):
            vec = self.escape_directions[:, k]
            big = np.argsort(-np.abs(vec))[:4]
            terms = ", ".join(f"{float(vec[j]):+.3f} {spec.params[j]}" for j in big if abs(vec[j]) > 1e-8)
            parts.append(f"lambda={float(self.escape_eigenvalues[k]):.4g}: {terms}")
        return "; ".join(parts)


def _orbit_generators(spec: NetworkSpec, theta: np.ndarray) -> np.ndarray:
    """Tangent vectors of the continuous symmetries at θ (spec §2.8): GL(H) for nets linear in u,
    per-unit rescaling otherwise (two rescalings per separate-attention head: k and q independently).

    Rank-R attention heads (R > 1) also have a GL(R) mixing of their key/query pairs, not included here, so their
    orbit dimension is a lower bound.
    """
    pos = {p: k for k, p in enumerate(spec.params)}
    n = len(theta)
    gens = []
    units = spec.units
    if spec.phi.linear_in_u and not spec.phi.unit_specific:
        for a, b in itertools.product(range(len(units)), repeat=2):
            # V → (I + εE_ab) V, U → (I − εE_baᵀ…): dv_a = v_b, du_b = −u_a.
            t = np.zeros(n)
            for sa, sb in zip(units[a].v, units[b].v, strict=True):
                t[pos[sa]] += theta[pos[sb]]
            for sb, sa in zip(units[b].u, units[a].u, strict=True):
                t[pos[sb]] -= theta[pos[sa]]
            gens.append(t)
    elif spec.phi.degree is not None:
        p = spec.phi.degree
        for i, unit in enumerate(units):
            groups = spec.unit_groups(i)
            # Several groups (attention's K, Q): f is 1-homogeneous in each, so each rescales against v alone.
            p_group = 1 if len(groups) > 1 else p
            for group in groups:
                t = np.zeros(n)
                for sv in unit.v:
                    t[pos[sv]] = -p_group * theta[pos[sv]]
                for su in group:
                    t[pos[su]] = theta[pos[su]]
                gens.append(t)
    return np.array(gens) if gens else np.zeros((0, n))


def _dormant_units(spec: NetworkSpec, theta: np.ndarray) -> list[int]:
    pos = {p: k for k, p in enumerate(spec.params)}
    return [i for i, u in enumerate(spec.units) if all(theta[pos[s]] == 0 for s in u.v + u.u)]


def dormant_form(derivation: Derivation, theta: Sequence, unit: int) -> sp.Matrix:
    """B with ∂L/∂v_i = u_iᵀ B u_i at θ with unit i dormant (v_i = 0), u_i free (degree-2 φ, scalar v_i; §3.3)."""
    spec = derivation.spec
    u = spec.units[unit]
    if len(u.v) != 1 or spec.phi.degree != 2:
        raise InputError(f"dormant_form: needs a degree-2 phi with scalar v_i (got {spec.name})")
    sub = {p: t for p, t in zip(spec.params, theta, strict=True) if p not in u.u}
    sub[u.v[0]] = 0
    k = spec.params.index(u.v[0])
    g = sp.expand(derivation.gradient[k].xreplace(sub))
    return sp.hessian(g, u.u) / 2


def classify_point(spec: NetworkSpec, task: Task, theta: Sequence, *, derivation: Derivation | None = None,
                   label: str = "", lowest_level: float | None = None, timeout: float | None = 120,
                   gradient_tolerance: float = 1e-10) -> Classification:
    """Classify the fixed point θ (exact or float, layout order) of ``spec`` on ``task`` (module docstring).

    Raises InputError when θ has the wrong length or is not a fixed point (‖∇L‖ > ``gradient_tolerance``).
    """
    if len(theta) != spec.n_params:
        raise InputError(f"theta: {len(theta)} values, {spec.name} of width {spec.width} has {spec.n_params}")
    der = derivation if derivation is not None and derivation.hessian is not None else derive(
        spec, task, hessian=True, timeout=timeout)
    sub = dict(zip(spec.params, [sp.sympify(t) for t in theta], strict=True))
    grad = np.array([float(g.xreplace(sub)) for g in der.gradient])
    gnorm = float(np.linalg.norm(grad))
    if not gnorm <= gradient_tolerance:
        raise InputError(f"theta: not a fixed point of {spec.name}, |grad L| = {gnorm:.3g} > {gradient_tolerance:g}")
    Hx = der.hessian.xreplace(sub)
    Hf = np.array(Hx.evalf(), dtype=float)
    lam, vec = np.linalg.eigh(Hf)
    n = len(lam)
    tol = 100 * n * EPS * max(1.0, float(np.max(np.abs(lam))))
    neg = lam < -tol
    zero = np.abs(lam) <= tol
    th = np.array([float(t) for t in sub.values()])
    gens = _orbit_generators(spec, th)
    orbit = int(np.linalg.matrix_rank(gens, tol=1e-9 * max(1.0, float(np.max(np.abs(th))))) if gens.size else 0)
    level = float(der.loss.xreplace(sub))
    note = ""
    if neg.any():
        kind = "strict saddle"
        esc_l, esc_v = lam[neg], vec[:, neg]
    else:
        esc_l, esc_v = np.zeros(0), np.zeros((n, 0))
        if lowest_level is not None and abs(level - lowest_level) <= 1e-12 * max(1.0, abs(lowest_level)):
            kind = "minimum"
            note = "lowest level of the complete catalog (global minimum)"
        elif int(zero.sum()) == orbit:
            kind = "minimum"
            note = "every zero eigenvalue is a symmetry direction (Morse-Bott)"
        else:
            kind = "degenerate (undetermined)"
            if spec.phi.degree == 2 and spec.phi.zero_unit:
                best = None
                for i in _dormant_units(spec, th):
                    B = np.array(dormant_form(der, list(sub.values()), i).evalf(), dtype=float)
                    mu, w = np.linalg.eigh(B)
                    k = int(np.argmax(np.abs(mu)))
                    if abs(mu[k]) > tol and (best is None or abs(mu[k]) > abs(best[0])):
                        best = (mu[k], w[:, k], i)
                if best is not None:
                    mu, w, i = best
                    d = np.zeros(n)
                    unit = spec.units[i]
                    d[spec.params.index(unit.v[0])] = -np.sign(mu)
                    for s_, wk in zip(unit.u, w, strict=True):
                        d[spec.params.index(s_)] = wk
                    kind = "degenerate saddle"
                    esc_l, esc_v = np.array([-abs(mu)]), (d / np.linalg.norm(d))[:, None]
                    note = (f"dormant unit {i + 1}: dL/dv = u^T B u with |mu|max = {abs(mu):.4g}; cubic descent "
                            f"along u = eigenvector, v = {-np.sign(mu):+.0f} (escape_eigenvalue = -|mu|)")
    order = np.argsort(esc_l)
    return Classification(label, level, lam, tol, int(neg.sum()), int(zero.sum()), int((lam > tol).sum()), orbit,
                          kind, esc_l[order], esc_v[:, order], note=note)


def classify_entry(catalog: Catalog, entry: CatalogEntry, *, derivation: Derivation | None = None) -> Classification:
    """Classify one catalog entry; for linear catalogs attach the §3.2 prediction and its exact verification."""
    spec, task = catalog.spec, catalog.task
    lowest = min(float(e.loss) for e in catalog.entries)
    c = classify_point(spec, task, entry.theta, derivation=derivation, label=entry.label, lowest_level=lowest)
    if catalog.rule.saxe_spectrum:
        s = [task.sigma_yx[k, k] for k in range(min(task.sigma_yx.shape))]
        pred = linear_saddle_spectrum(s, entry.support, spec.width, spec.input_dim, spec.output_dim)
        der = derivation if derivation is not None and derivation.hessian is not None else derive(
            spec, task, hessian=True)
        Hx = der.hessian.xreplace(dict(zip(spec.params, entry.theta, strict=True)))
        ok = charpoly_matches(Hx, pred)
        return Classification(c.label, c.loss, c.eigenvalues, c.tolerance, c.morse_index, c.n_zero, c.n_positive,
                              c.orbit_dimension, c.kind, c.escape_eigenvalues, c.escape_directions, pred,
                              linear_morse_index(s, entry.support, spec.width), ok, c.note)
    return c


def classify_catalog(catalog: Catalog) -> list[Classification]:
    """Classify every entry of ``catalog`` (one Hessian derivation shared by all entries)."""
    der = derive(catalog.spec, catalog.task, hessian=True)
    return [classify_entry(catalog, e, derivation=der) for e in catalog.entries]
