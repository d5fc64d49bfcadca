"""Tasks of docs/conventions.md: population tasks with closed-form losses, and finite datasets (spec §0.2, §2.5,
§2.6, §6.8).

Every task is a frozen dataclass that validates its fields in ``__post_init__`` and stores them as float64
read-only copies, so a task can be shared by many integrators without defensive copies. Equality is identity
(``eq=False``): comparing arrays element-wise inside ``==`` would be ambiguous.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .errors import InputError
from .validation import (
    as_float_array,
    check_nonnegative_int,
    check_positive_definite,
    check_positive_int,
    check_positive_semidefinite,
    check_square,
    check_symmetric,
)

__all__ = [
    "LinearRegressionTask",
    "QuadraticGaussianTask",
    "ICLTask",
    "Dataset",
    "ICLDataset",
    "whitened",
    "sample_icl_dataset",
]


def _frozen(a: np.ndarray) -> np.ndarray:
    out = np.array(a, dtype=np.float64, copy=True)
    out.setflags(write=False)
    return out


def _set(obj: object, name: str, value: object) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True, eq=False)
class LinearRegressionTask:
    """Linear regression with population second moments (spec §2.5, conventions "linear regression").

    Fields: Σ_xx (d_in × d_in, symmetric positive definite), Σ_yx (d_out × d_in), Σ_yy (d_out × d_out); the joint
    covariance [[Σ_yy, Σ_yx], [Σ_xy, Σ_xx]] must be positive semidefinite. ``sigma_yy=None`` means the realisable
    target y = Σ_yx Σ_xx⁻¹ x, i.e. Σ_yy = Σ_yx Σ_xx⁻¹ Σ_xy. For f = W x the loss is
    L(W) = ½ tr Σ_yy − tr(W Σ_xy) + ½ tr(W Σ_xx Wᵀ).
    """

    sigma_xx: np.ndarray
    sigma_yx: np.ndarray
    sigma_yy: np.ndarray | None = None

    def __post_init__(self) -> None:
        sxx = as_float_array("sigma_xx", self.sigma_xx, ndim=2)
        check_positive_definite("sigma_xx", sxx)
        d_in = sxx.shape[0]
        syx = as_float_array("sigma_yx", self.sigma_yx, ndim=2)
        if syx.shape[1] != d_in or syx.shape[0] == 0:
            raise InputError(f"sigma_yx: must have shape (d_out, {d_in}) to match sigma_xx (got {syx.shape})")
        d_out = syx.shape[0]
        if self.sigma_yy is None:
            syy = syx @ np.linalg.solve(sxx, syx.T)
            syy = 0.5 * (syy + syy.T)
        else:
            syy = as_float_array("sigma_yy", self.sigma_yy, shape=(d_out, d_out))
            check_symmetric("sigma_yy", syy)
        joint = np.block([[syy, syx], [syx.T, sxx]])
        check_positive_semidefinite("joint covariance [[sigma_yy, sigma_yx], [sigma_xy, sigma_xx]]", joint)
        _set(self, "sigma_xx", _frozen(sxx))
        _set(self, "sigma_yx", _frozen(syx))
        _set(self, "sigma_yy", _frozen(syy))

    @classmethod
    def whitened(
        cls, singular_values: object, d_in: int | None = None, d_out: int | None = None
    ) -> LinearRegressionTask:
        """Whitened task (spec §0.2): Σ_xx = I, Σ_yx = rectangular diag(s), Σ_yy = Σ_yx Σ_yxᵀ (y = Σ_yx x).

        d_in and d_out default to len(s); both must be >= len(s). The s_k must be >= 0 (any order).
        """
        s = as_float_array("singular_values", singular_values, ndim=1)
        if s.size == 0:
            raise InputError("singular_values: must not be empty")
        if np.any(s < 0):
            raise InputError(f"singular_values: must be >= 0 (got min {float(s.min()):.3g})")
        k = s.size
        d_in = k if d_in is None else check_positive_int("d_in", d_in)
        d_out = k if d_out is None else check_positive_int("d_out", d_out)
        if k > min(d_in, d_out):
            raise InputError(f"singular_values: at most min(d_in, d_out) = {min(d_in, d_out)} values (got {k})")
        syx = np.zeros((d_out, d_in))
        syx[np.arange(k), np.arange(k)] = s
        return cls(np.eye(d_in), syx, syx @ syx.T)

    @property
    def d_in(self) -> int:
        return int(self.sigma_xx.shape[0])

    @property
    def d_out(self) -> int:
        return int(self.sigma_yx.shape[0])

    @cached_property
    def optimal_matrix(self) -> np.ndarray:
        """W* = Σ_yx Σ_xx⁻¹, the unconstrained minimiser of L(W)."""
        return _frozen(np.linalg.solve(self.sigma_xx, self.sigma_yx.T).T)

    @cached_property
    def min_loss(self) -> float:
        """L(W*) = ½ tr(Σ_yy − Σ_yx Σ_xx⁻¹ Σ_xy) >= 0 (a Schur complement of the PSD joint covariance)."""
        value = 0.5 * float(np.trace(self.sigma_yy) - np.sum(self.optimal_matrix * self.sigma_yx))
        return max(value, 0.0)


def whitened(singular_values: object, d_in: int | None = None, d_out: int | None = None) -> LinearRegressionTask:
    """Function form of :meth:`LinearRegressionTask.whitened` (spec §0.2 whitened case)."""
    return LinearRegressionTask.whitened(singular_values, d_in=d_in, d_out=d_out)


@dataclass(frozen=True, eq=False)
class QuadraticGaussianTask:
    """x ~ N(0, Σ), y = xᵀ A x (spec §2.6). For f = xᵀ M x (M symmetric), with D = A − M,
    L = ½[2 tr(DΣDΣ) + (tr DΣ)²]. A is d × d symmetric; Σ is d × d symmetric positive definite (default I)."""

    a: np.ndarray
    sigma: np.ndarray | None = None

    def __post_init__(self) -> None:
        a = as_float_array("a", self.a, ndim=2)
        check_symmetric("a", a)
        d = a.shape[0]
        if self.sigma is None:
            sigma = np.eye(d)
        else:
            sigma = as_float_array("sigma", self.sigma, shape=(d, d))
            check_positive_definite("sigma", sigma)
        # Symmetrise: the closed form assumes exact symmetry, the check allowed 1e-10 relative slack.
        _set(self, "a", _frozen(0.5 * (a + a.T)))
        _set(self, "sigma", _frozen(0.5 * (sigma + sigma.T)))

    @property
    def dim(self) -> int:
        return int(self.a.shape[0])


@dataclass(frozen=True, eq=False)
class ICLTask:
    """In-context linear regression (spec §6.8): x_n, x_q ~ N(0, Λ), w ~ N(0, I), y = wᵀx, N = ``context`` tokens.

    For f = βᵀ M x_q: L = ½[tr Λ − 2 tr(ΛMΛ) + (1 + 1/N) tr(Λ² M Λ Mᵀ) + (tr Λ / N) tr(Λ M Λ Mᵀ)].
    """

    lam: np.ndarray
    context: int

    def __post_init__(self) -> None:
        lam = as_float_array("lam", self.lam, ndim=2)
        check_positive_definite("lam", lam)
        _set(self, "context", check_positive_int("context", self.context))
        _set(self, "lam", _frozen(0.5 * (lam + lam.T)))

    @property
    def dim(self) -> int:
        return int(self.lam.shape[0])

    @cached_property
    def lam_squared(self) -> np.ndarray:
        """Λ², cached: the population loss needs it on every call."""
        return _frozen(self.lam @ self.lam)

    @cached_property
    def trace_lam(self) -> float:
        """tr Λ."""
        return float(np.trace(self.lam))


@dataclass(frozen=True, eq=False)
class Dataset:
    """A finite dataset {(x_μ, y_μ)}, μ = 1..P (spec §0.2): x (P, d_in), y (P, d_out); a 1-D y becomes (P, 1).

    L = (1/2P) Σ_μ ‖y_μ − f(x_μ)‖².
    """

    x: np.ndarray
    y: np.ndarray

    def __post_init__(self) -> None:
        x = as_float_array("x", self.x, ndim=2)
        if x.shape[0] == 0 or x.shape[1] == 0:
            raise InputError(f"x: must have at least one sample and one feature (got shape {x.shape})")
        y = as_float_array("y", self.y)
        if y.ndim == 1:
            y = y[:, None]
        if y.ndim != 2 or y.shape[0] != x.shape[0] or y.shape[1] == 0:
            raise InputError(f"y: must have shape ({x.shape[0]},) or ({x.shape[0]}, d_out) to match x "
                             f"(got {np.shape(self.y)})")
        _set(self, "x", _frozen(x))
        _set(self, "y", _frozen(y))

    @property
    def n_samples(self) -> int:
        return int(self.x.shape[0])

    @property
    def d_in(self) -> int:
        return int(self.x.shape[1])

    @property
    def d_out(self) -> int:
        return int(self.y.shape[1])

    @cached_property
    def moments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Empirical (Σ_xx, Σ_yx, Σ_yy) = (1/P)(XᵀX, YᵀX, YᵀY) of spec §0.2."""
        p = self.n_samples
        return (_frozen(self.x.T @ self.x / p), _frozen(self.y.T @ self.x / p), _frozen(self.y.T @ self.y / p))


@dataclass(frozen=True, eq=False)
class ICLDataset:
    """In-context samples (spec §6.8): β (P, dim), x_q (P, dim), y_q (P,) (a (P, 1) y_query is flattened).

    L = (1/2P) Σ_μ (y_q,μ − f(β_μ, x_q,μ))².
    """

    beta: np.ndarray
    x_query: np.ndarray
    y_query: np.ndarray

    def __post_init__(self) -> None:
        beta = as_float_array("beta", self.beta, ndim=2)
        if beta.shape[0] == 0 or beta.shape[1] == 0:
            raise InputError(f"beta: must have at least one sample and one coordinate (got shape {beta.shape})")
        xq = as_float_array("x_query", self.x_query, shape=beta.shape)
        yq = as_float_array("y_query", self.y_query)
        if yq.ndim == 2 and yq.shape[1] == 1:
            yq = yq[:, 0]
        if yq.shape != (beta.shape[0],):
            raise InputError(
                f"y_query: must have shape ({beta.shape[0]},) to match beta (got {np.shape(self.y_query)})"
            )
        _set(self, "beta", _frozen(beta))
        _set(self, "x_query", _frozen(xq))
        _set(self, "y_query", _frozen(yq))

    @property
    def n_samples(self) -> int:
        return int(self.beta.shape[0])

    @property
    def dim(self) -> int:
        return int(self.beta.shape[1])


# Samples are drawn in chunks of at most this many context coordinates, to bound memory for long contexts.
_CHUNK_ELEMENTS = 1 << 22


def sample_icl_dataset(
    lam: object, context: int, n_samples: int, rng: np.random.Generator | int
) -> ICLDataset:
    """Draw P = n_samples in-context samples (spec §6.8): w ~ N(0, I), x_n ~ N(0, Λ) for n = 1..N,
    y_n = w·x_n, x_q ~ N(0, Λ), y_q = w·x_q, β = (1/N) Σ_n y_n x_n.

    ``rng`` is a ``numpy.random.Generator`` or an integer seed >= 0. Samples are drawn in fixed-size chunks
    (w, then the contexts, then the queries, per chunk), so the result depends only on the generator state and
    the arguments.
    """
    lam_arr = as_float_array("lam", lam, ndim=2)
    check_square("lam", lam_arr)
    check_positive_definite("lam", lam_arr)
    n_ctx = check_positive_int("context", context)
    n = check_positive_int("n_samples", n_samples)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(check_nonnegative_int("rng", rng))
    d = lam_arr.shape[0]
    chol = np.linalg.cholesky(0.5 * (lam_arr + lam_arr.T))
    chunk = max(1, _CHUNK_ELEMENTS // (n_ctx * d))
    betas, xqs, yqs = [], [], []
    for start in range(0, n, chunk):
        c = min(chunk, n - start)
        w = rng.standard_normal((c, d))
        xs = rng.standard_normal((c, n_ctx, d)) @ chol.T
        xq = rng.standard_normal((c, d)) @ chol.T
        ys = np.einsum("cnd,cd->cn", xs, w)
        betas.append(np.einsum("cn,cnd->cd", ys, xs) / n_ctx)
        xqs.append(xq)
        yqs.append(np.einsum("cd,cd->c", xq, w))
    return ICLDataset(np.concatenate(betas), np.concatenate(xqs), np.concatenate(yqs))
