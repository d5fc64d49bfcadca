"""Exact expectations of polynomials in Gaussian variables (Isserlis/Wick) and in sample covariances.

Population losses are derived here from the model, not typed in: the integrand ½‖y − f‖² is expanded as a
polynomial in the random variables and every monomial is replaced by its moment.

* Zero-mean Gaussian vector with covariance C (Isserlis): E[z_{a1}⋯z_{a2k}] = Σ over perfect pairings of
  Π C_{a b}; odd moments vanish.
* Sample covariance Λ̂ = (1/N) Σ_n x_n x_nᵀ of N iid tokens x_n ~ N(0, Λ) (used by the in-context task):
  E[Π_{j=1..k} Λ̂_{a_j b_j}] = N^{−k} Σ_{set partitions π of {1..k}} N(N−1)⋯(N−|π|+1) Π_{B∈π} E[Π_{j∈B} x_{a_j} x_{b_j}],
  because products over distinct tokens factorise and each block of equal token indices is one Gaussian moment.

>>> import sympy as sp
>>> x1, x2 = sp.symbols("x1 x2")
>>> expectation(x1**2 * x2**2, [GaussianGroup((x1, x2), sp.Matrix([[1, 0], [0, 2]]))])
2
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import sympy as sp
from sympy.utilities.iterables import multiset_partitions

from .errors import InputError


def isserlis(indices: Sequence[int], cov: sp.Matrix) -> sp.Expr:
    """E[z_{i1} z_{i2} ⋯] for z ~ N(0, cov), by Isserlis' theorem (sum over perfect pairings)."""

    @cache
    def rec(idx: tuple[int, ...]) -> sp.Expr:
        if not idx:
            return sp.Integer(1)
        if len(idx) % 2:
            return sp.Integer(0)
        first, rest = idx[0], idx[1:]
        total = sp.Integer(0)
        for k, j in enumerate(rest):
            total += cov[first, j] * rec(tuple(sorted(rest[:k] + rest[k + 1:])))
        return total

    return sp.expand(rec(tuple(sorted(indices))))


@dataclass(frozen=True, eq=False)
class GaussianGroup:
    """A zero-mean Gaussian vector: its symbols and covariance matrix."""

    symbols: tuple[sp.Symbol, ...]
    cov: sp.Matrix

    def moment(self, exponents: Sequence[int]) -> sp.Expr:
        indices = [a for a, e in enumerate(exponents) for _ in range(e)]
        return isserlis(indices, self.cov)


@dataclass(frozen=True, eq=False)
class SampleCovarianceGroup:
    """Entries Λ̂_{ab} (a ≤ b) of the sample covariance of ``context`` iid N(0, Λ) tokens."""

    symbols: tuple[sp.Symbol, ...]
    pairs: tuple[tuple[int, int], ...]
    lam: sp.Matrix
    context: sp.Expr
    _cache: dict = field(default_factory=dict, repr=False)

    def moment(self, exponents: Sequence[int]) -> sp.Expr:
        key = tuple(exponents)
        if key not in self._cache:
            factors = [self.pairs[a] for a, e in enumerate(exponents) for _ in range(e)]
            k = len(factors)
            n = self.context
            total = sp.Integer(0)
            for partition in (multiset_partitions(list(range(k))) if k else [[]]):
                falling = sp.Integer(1)
                for m in range(len(partition)):
                    falling *= n - m
                term = falling
                for block in partition:
                    term *= isserlis([i for j in block for i in factors[j]], self.lam)
                total += term
            self._cache[key] = sp.simplify(total / n**k) if k else sp.Integer(1)
        return self._cache[key]


def sample_covariance_group(dim: int, lam: sp.Matrix, context: sp.Expr,
                            name: str = "lhat") -> tuple[sp.Matrix, SampleCovarianceGroup]:
    """A symmetric matrix of symbols Λ̂ (entries Λ̂_{ab} = Λ̂_{ba}) and its moment group for N = ``context``."""
    pairs = tuple((a, b) for a in range(dim) for b in range(a, dim))
    syms = tuple(sp.Symbol(f"{name}_{{{a + 1},{b + 1}}}", real=True) for a, b in pairs)
    mat = sp.zeros(dim, dim)
    for s, (a, b) in zip(syms, pairs, strict=True):
        mat[a, b] = mat[b, a] = s
    return mat, SampleCovarianceGroup(syms, pairs, lam, sp.sympify(context))


def expectation(expr: sp.Expr, groups: Sequence[GaussianGroup | SampleCovarianceGroup]) -> sp.Expr:
    """E[expr] where ``expr`` is a polynomial in the groups' symbols (independent groups).

    Coefficients may contain any other symbols (the network parameters).  A non-polynomial dependence on a
    random variable (ReLU, tanh) raises :class:`InputError`: no exact population loss exists for it here.
    """
    variables = [s for g in groups for s in g.symbols]
    try:
        poly = sp.Poly(sp.expand(expr), *variables)
    except sp.PolynomialError as exc:
        raise InputError(f"expectation: integrand is not polynomial in the random variables ({exc})") from None
    total = sp.Integer(0)
    for monom, coeff in poly.terms():
        value = sp.Integer(1)
        start = 0
        for g in groups:
            exps = monom[start:start + len(g.symbols)]
            start += len(g.symbols)
            if any(exps):
                value *= g.moment(exps)
            if value == 0:
                break
        if value != 0:
            total += coeff * value
    return sp.expand(total)
