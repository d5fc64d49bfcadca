"""Symbolic tasks and their exact population losses L = ½ E‖y − f‖² (spec §0.3, conventions §Tasks).

Each task derives its loss from the model output by exact expectation (:mod:`theory.moments`), so the closed
forms written by hand in :mod:`numerics` are checked against an independent derivation.  Entries of the task
matrices may be numbers or SymPy symbols; numeric matrices are validated (symmetric, positive (semi)definite),
symbolic ones only structurally (positivity of symbols cannot be decided in general).

>>> from theory.architectures import build
>>> task = LinearRegressionTask.whitened([3, 1])
>>> loss = task.loss(build("linear-fc", d_in=2, d_out=2, width=1))
>>> loss.subs({s: 0 for s in loss.free_symbols})
5
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from .errors import InputError
from .moments import GaussianGroup, expectation, sample_covariance_group
from .spec import NetworkSpec, input_symbols


def _matrix(name: str, value: Any, shape: tuple[int, int] | None = None) -> sp.Matrix:
    try:
        mat = sp.Matrix(value)
    except Exception as exc:  # noqa: BLE001 - any construction failure is bad input
        raise InputError(f"{name}: not convertible to a matrix ({exc})") from None
    if shape is not None and mat.shape != shape:
        raise InputError(f"{name}: shape {mat.shape}, expected {shape}")
    for entry in mat:
        if entry.has(sp.nan, sp.oo, -sp.oo, sp.zoo) or (entry.is_number and not entry.is_finite):
            raise InputError(f"{name}: contains NaN or infinity")
        if entry.is_number and not entry.is_real:
            raise InputError(f"{name}: contains a non-real entry {entry}")
    return mat


def _is_numeric(mat: sp.Matrix) -> bool:
    return all(e.is_number for e in mat)


def _check_symmetric(name: str, mat: sp.Matrix) -> None:
    if mat.rows != mat.cols:
        raise InputError(f"{name}: must be square, got shape {mat.shape}")
    diff = mat - mat.T
    if _is_numeric(mat):
        worst = max((abs(float(e)) for e in diff), default=0.0)
        scale = max((abs(float(e)) for e in mat), default=0.0)
        if worst > 1e-12 * max(scale, 1.0):
            raise InputError(f"{name}: not symmetric (max |A - A^T| = {worst:.3g})")
    elif any(sp.simplify(e) != 0 for e in diff):
        raise InputError(f"{name}: not symmetric")


def _check_definite(name: str, mat: sp.Matrix, strict: bool) -> None:
    if not _is_numeric(mat):
        return
    eig = np.linalg.eigvalsh(np.array(mat.evalf(), dtype=float))
    scale = max(float(np.max(np.abs(eig))), 1.0) if eig.size else 1.0
    tol = 1e-12 * scale
    if strict and eig.min() <= tol:
        raise InputError(f"{name}: must be positive definite (smallest eigenvalue {eig.min():.3g})")
    if not strict and eig.min() < -tol:
        raise InputError(f"{name}: must be positive semidefinite (smallest eigenvalue {eig.min():.3g})")


def _half_squared_error(y: sp.Matrix, f: sp.Matrix) -> sp.Expr:
    r = y - f
    return sp.Rational(1, 2) * sum((e**2 for e in r), sp.Integer(0))


def _require(spec: NetworkSpec, kind: str, dim: int, out: int, task: str) -> None:
    if spec.input_kind != kind:
        raise InputError(f"task {task} does not fit architecture {spec.name!r} (input kind {spec.input_kind})")
    if spec.input_dim != dim:
        raise InputError(f"task {task}: input dimension {dim} != architecture {spec.name!r} input {spec.input_dim}")
    if spec.output_dim != out:
        raise InputError(f"task {task}: output dimension {out} != architecture {spec.name!r} output "
                         f"{spec.output_dim}")


@dataclass(frozen=True, eq=False)
class LinearRegressionTask:
    """x, y jointly Gaussian, zero mean, with second moments Σ_xx, Σ_yx, Σ_yy (spec §0.2, §2.5).

    The loss is E over that Gaussian of ½‖y − f(x)‖²; for a model linear in x, f = Wx, this is
    ½ tr Σ_yy − tr(WΣ_xy) + ½ tr(WΣ_xxWᵀ), but it is derived by Isserlis from f, not assumed.
    """

    sigma_xx: sp.Matrix
    sigma_yx: sp.Matrix
    sigma_yy: sp.Matrix

    def __post_init__(self) -> None:
        sxx = _matrix("sigma_xx", self.sigma_xx)
        _check_symmetric("sigma_xx", sxx)
        _check_definite("sigma_xx", sxx, strict=True)
        syx = _matrix("sigma_yx", self.sigma_yx)
        if syx.cols != sxx.rows:
            raise InputError(f"sigma_yx: has {syx.cols} columns, sigma_xx is {sxx.rows}x{sxx.rows}")
        syy = _matrix("sigma_yy", self.sigma_yy, (syx.rows, syx.rows))
        _check_symmetric("sigma_yy", syy)
        joint = sp.BlockMatrix([[syy, syx], [syx.T, sxx]]).as_explicit()
        _check_definite("joint covariance [[sigma_yy, sigma_yx], [sigma_xy, sigma_xx]]", joint, strict=False)
        object.__setattr__(self, "sigma_xx", sxx)
        object.__setattr__(self, "sigma_yx", syx)
        object.__setattr__(self, "sigma_yy", syy)

    @classmethod
    def whitened(cls, singular_values: Sequence[Any], d_in: int | None = None,
                 d_out: int | None = None) -> LinearRegressionTask:
        """Σ_xx = I, Σ_yx = diag(s) (rectangular when d_out ≠ d_in), y = Σ_yx x so Σ_yy = Σ_yx Σ_yxᵀ."""
        s = [sp.sympify(v) for v in singular_values]
        d_in = len(s) if d_in is None else d_in
        d_out = len(s) if d_out is None else d_out
        if len(s) > min(d_in, d_out):
            raise InputError(f"singular_values: {len(s)} values do not fit a {d_out}x{d_in} sigma_yx")
        syx = sp.zeros(d_out, d_in)
        for k, value in enumerate(s):
            syx[k, k] = value
        return cls(sp.eye(d_in), syx, syx * syx.T)

    @classmethod
    def symbolic(cls, rank: int, d_in: int | None = None, d_out: int | None = None) -> LinearRegressionTask:
        """Whitened task with positive symbols s_1, …, s_rank as singular values (for printing derivations)."""
        return cls.whitened(sp.symbols(f"s_1:{rank + 1}", positive=True), d_in, d_out)

    def loss(self, spec: NetworkSpec) -> sp.Expr:
        d_out, d_in = self.sigma_yx.shape
        _require(spec, "vector", d_in, d_out, "linear-regression")
        x = input_symbols(spec)
        y = sp.Matrix(d_out, 1, [sp.Symbol(f"y_{{{o + 1}}}", real=True) for o in range(d_out)])
        cov = sp.BlockMatrix([[self.sigma_yy, self.sigma_yx], [self.sigma_yx.T, self.sigma_xx]]).as_explicit()
        group = GaussianGroup(tuple(y) + tuple(x), cov)
        return expectation(_half_squared_error(y, spec.output(x)), [group])


@dataclass(frozen=True, eq=False)
class QuadraticGaussianTask:
    """x ~ N(0, Σ) (default Σ = I), y = xᵀAx with A symmetric (spec §2.6)."""

    a: sp.Matrix
    sigma: sp.Matrix | None = None

    def __post_init__(self) -> None:
        a = _matrix("a", self.a)
        _check_symmetric("a", a)
        sigma = sp.eye(a.rows) if self.sigma is None else _matrix("sigma", self.sigma, a.shape)
        _check_symmetric("sigma", sigma)
        _check_definite("sigma", sigma, strict=True)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "sigma", sigma)

    @classmethod
    def diagonal(cls, eigenvalues: Sequence[Any]) -> QuadraticGaussianTask:
        return cls(sp.diag(*[sp.sympify(v) for v in eigenvalues]))

    def loss(self, spec: NetworkSpec) -> sp.Expr:
        _require(spec, "vector", self.a.rows, 1, "quadratic-gaussian")
        x = input_symbols(spec)
        y = (x.T * self.a * x)[0, 0]
        return expectation(_half_squared_error(sp.Matrix([[y]]), spec.output(x)),
                           [GaussianGroup(tuple(x), self.sigma)])


@dataclass(frozen=True, eq=False)
class ICLTask:
    """In-context linear regression of [ICL] (spec §6.8): x_n, x_q ~ N(0, Λ), w ~ N(0, I), y = wᵀx, N tokens.

    β = (1/N)Σ_n y_n x_n = Λ̂w, so the loss ½E(wᵀx_q − f(β, x_q))² is an expectation over w, x_q and the
    sample covariance Λ̂; each is taken exactly (:mod:`theory.moments`).
    """

    lam: sp.Matrix
    context: Any

    def __post_init__(self) -> None:
        lam = _matrix("lam", self.lam)
        _check_symmetric("lam", lam)
        _check_definite("lam", lam, strict=True)
        n = sp.sympify(self.context)
        if n.is_number and (not n.is_integer or n < 1):
            raise InputError(f"context={self.context!r}: must be an integer >= 1")
        object.__setattr__(self, "lam", lam)
        object.__setattr__(self, "context", n)

    def loss(self, spec: NetworkSpec) -> sp.Expr:
        d = self.lam.rows
        _require(spec, "icl", d, 1, "in-context-regression")
        w = sp.Matrix(d, 1, [sp.Symbol(f"w_{{{a + 1}}}", real=True) for a in range(d)])
        xq = sp.Matrix(d, 1, [sp.Symbol(f"xq_{{{a + 1}}}", real=True) for a in range(d)])
        lhat, lgroup = sample_covariance_group(d, self.lam, self.context)
        beta = lhat * w
        yq = (w.T * xq)[0, 0]
        integrand = _half_squared_error(sp.Matrix([[yq]]), spec.output((beta, xq)))
        groups = [GaussianGroup(tuple(w), sp.eye(d)), GaussianGroup(tuple(xq), self.lam), lgroup]
        return expectation(integrand, groups)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A finite dataset {(x_μ, y_μ)}: L = (1/2P) Σ_μ ‖y_μ − f(x_μ)‖² (spec §0.3)."""

    x: sp.Matrix
    y: sp.Matrix

    def __post_init__(self) -> None:
        x = _matrix("x", self.x)
        y = _matrix("y", self.y)
        if y.cols == 1 and y.rows != x.rows and y.rows == 1:
            y = y.T
        if y.rows != x.rows:
            raise InputError(f"y: {y.rows} samples but x has {x.rows}")
        object.__setattr__(self, "x", x)
        object.__setattr__(self, "y", y)

    def loss(self, spec: NetworkSpec) -> sp.Expr:
        _require(spec, "vector", self.x.cols, self.y.cols, "dataset")
        n = self.x.rows
        total = sp.Integer(0)
        for mu in range(n):
            total += _half_squared_error(self.y[mu, :].T, spec.output(self.x[mu, :].T))
        return total / n


@dataclass(frozen=True, eq=False)
class ICLDataset:
    """A finite in-context sample {(β_μ, x_q,μ, y_q,μ)}: L = (1/2P) Σ_μ (y_q,μ − f(β_μ, x_q,μ))²."""

    beta: sp.Matrix
    x_query: sp.Matrix
    y_query: sp.Matrix

    def __post_init__(self) -> None:
        beta = _matrix("beta", self.beta)
        xq = _matrix("x_query", self.x_query, beta.shape)
        yq = _matrix("y_query", self.y_query)
        if yq.rows == 1 and yq.cols == beta.rows:
            yq = yq.T
        if yq.shape != (beta.rows, 1):
            raise InputError(f"y_query: shape {yq.shape}, expected ({beta.rows}, 1)")
        object.__setattr__(self, "beta", beta)
        object.__setattr__(self, "x_query", xq)
        object.__setattr__(self, "y_query", yq)

    def loss(self, spec: NetworkSpec) -> sp.Expr:
        _require(spec, "icl", self.beta.cols, 1, "in-context dataset")
        total = sp.Integer(0)
        for mu in range(self.beta.rows):
            f = spec.output((self.beta[mu, :].T, self.x_query[mu, :].T))
            total += _half_squared_error(self.y_query[mu, :], f)
        return total / self.beta.rows


Task = LinearRegressionTask | QuadraticGaussianTask | ICLTask | Dataset | ICLDataset
