"""Loss L(θ) and its gradient for every architecture × task pair (spec §0.3, §2.5, §2.6, §6.8).

L = ½ E‖y − f(x)‖² (population) or the mean of ½‖y_μ − f(x_μ)‖² over a dataset. Population tasks are evaluated
through the model's effective matrix (W, or M) in closed form, at a cost independent of any sample size:

* linear regression, f = W x: L = ½ tr Σ_yy − tr(W Σ_xy) + ½ tr(W Σ_xx Wᵀ), ∂L/∂W = W Σ_xx − Σ_yx;
* quadratic Gaussian, f = xᵀ M x, D = A − M: L = tr(DΣDΣ) + ½ (tr DΣ)², ∂L/∂M = −(2 ΣDΣ + tr(DΣ) Σ);
* in-context regression, f = βᵀ M x_q: L = ½[tr Λ − 2 tr(ΛMΛ) + (1 + 1/N) tr(Λ²MΛMᵀ) + (tr Λ/N) tr(ΛMΛMᵀ)],
  ∂L/∂M = −Λ² + (1 + 1/N) Λ² M Λ + (tr Λ/N) Λ M Λ.

The gradient in θ is ∂L/∂M pulled back by :meth:`Architecture.effective_matrix_vjp`. Datasets use the forward pass
and :meth:`Architecture.vjp`, except that models linear in x use the empirical moments of the dataset (the same
closed form, O(d²) per parameter set instead of O(P d)); their loss then carries an absolute round-off of about
1e-16 · tr Σ_yy instead of a relative one.

All functions are batched: θ has shape (B, n_params), except :func:`hessian` and
:func:`finite_difference_gradient`, which take one parameter vector.
"""

from __future__ import annotations

import numpy as np

from . import architectures as _arch
from .architectures import Architecture
from .errors import InputError
from .tasks import Dataset, ICLDataset, ICLTask, LinearRegressionTask, QuadraticGaussianTask
from .validation import as_float_array, check_positive_scalar

__all__ = ["loss_and_grad", "loss", "check_compatible", "hessian", "finite_difference_gradient", "Task"]

Task = LinearRegressionTask | QuadraticGaussianTask | ICLTask | Dataset | ICLDataset

# Machine epsilon of float64; the finite-difference steps below are balanced against it.
_EPS = float(np.finfo(np.float64).eps)
# Largest batch handed to loss_and_grad by the finite-difference helpers, to bound memory.
_FD_BATCH = 256


class _Where:
    # Formats "architecture ... and task ..." only when an error is raised: this check runs on every gradient call.
    __slots__ = ("arch", "tname")

    def __init__(self, arch: Architecture, tname: str) -> None:
        self.arch, self.tname = arch, tname

    def __format__(self, spec: str) -> str:
        return f"architecture {self.arch.name!r} (sizes {self.arch.sizes}) and task {self.tname}"


def check_compatible(arch: Architecture, task: Task) -> None:
    """Raise InputError naming both when ``task`` does not fit ``arch`` (conventions.md "Which task fits").

    linear regression — linear-fc, linear-conv, deep-linear, diagonal-linear with Σ_yx of shape (d_out, d_in);
    quadratic Gaussian — quadratic with d_out = 1 and A of size d_in; in-context regression and in-context
    datasets — attn-s, attn-m with matching dim; dataset — every non-attention architecture with matching d_in, d_out.
    """
    if not isinstance(arch, Architecture):
        raise InputError(f"arch: must be an Architecture (got {type(arch).__name__})")
    tname = type(task).__name__
    where = _Where(arch, tname)
    if isinstance(task, LinearRegressionTask):
        if arch.population_kind != "linear":
            raise InputError(f"{where}: incompatible; linear regression needs a model linear in x "
                             "(linear-fc, linear-conv, deep-linear, diagonal-linear)")
        want = (arch.output_dim, arch.input_dim)
        if task.sigma_yx.shape != want:
            raise InputError(f"{where}: dimension mismatch, sigma_yx has shape {task.sigma_yx.shape}, "
                             f"the model maps d_in={want[1]} to d_out={want[0]}")
    elif isinstance(task, QuadraticGaussianTask):
        if arch.population_kind != "quadratic":
            raise InputError(f"{where}: incompatible; the quadratic Gaussian task needs quadratic with d_out=1")
        if task.dim != arch.input_dim:
            raise InputError(f"{where}: dimension mismatch, A is {task.dim}x{task.dim}, d_in={arch.input_dim}")
    elif isinstance(task, ICLTask | ICLDataset):
        if not arch.is_attention:
            raise InputError(f"{where}: incompatible; in-context tasks need attn-s or attn-m")
        if task.dim != arch.input_dim:
            raise InputError(f"{where}: dimension mismatch, task dim={task.dim}, model dim={arch.input_dim}")
    elif isinstance(task, Dataset):
        if arch.is_attention:
            raise InputError(f"{where}: incompatible; attention models take an ICLDataset (beta, x_query, y_query)")
        if (task.d_in, task.d_out) != (arch.input_dim, arch.output_dim):
            raise InputError(f"{where}: dimension mismatch, data have d_in={task.d_in}, d_out={task.d_out}, "
                             f"model has d_in={arch.input_dim}, d_out={arch.output_dim}")
    else:
        raise InputError(f"task: unknown task type {tname} for architecture {arch.name!r}")


# ------------------------------------------------------------------------------------ closed forms in M


def _linear_population(task: LinearRegressionTask, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Completed square L = L* + ½ tr((W − W*) Σ_xx (W − W*)ᵀ): algebraically the conventions formula, but it
    # keeps relative accuracy as L → L*, where the expanded form cancels O(1) terms.
    E = W - task.optimal_matrix
    G = np.matmul(E, task.sigma_xx)
    return task.min_loss + 0.5 * np.sum(G * E, axis=(1, 2)), G


def _linear_moments(sxx: np.ndarray, syx: np.ndarray, syy: np.ndarray, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Expanded form: valid also when the empirical Σ_xx is singular (fewer samples than inputs).
    WS = np.matmul(W, sxx)
    loss = 0.5 * float(np.trace(syy)) + np.sum((0.5 * WS - syx) * W, axis=(1, 2))
    return loss, WS - syx


def _quadratic_population(task: QuadraticGaussianTask, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    S = task.sigma
    DS = np.matmul(task.a - M, S)
    tr = np.trace(DS, axis1=1, axis2=2)
    loss = np.sum(DS * DS.transpose(0, 2, 1), axis=(1, 2)) + 0.5 * tr * tr
    grad = -(2.0 * np.matmul(S, DS) + tr[:, None, None] * S)
    return loss, grad


def _icl_population(task: ICLTask, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lam, lam2, tr_lam = task.lam, task.lam_squared, task.trace_lam
    n = float(task.context)
    S = np.matmul(np.matmul(lam, M), lam)  # Λ M Λ
    LS = np.matmul(lam, S)  # Λ² M Λ
    a, c = 1.0 + 1.0 / n, tr_lam / n
    loss = 0.5 * tr_lam + np.sum((0.5 * a * LS + 0.5 * c * S - lam2) * M, axis=(1, 2))
    return loss, a * LS + c * S - lam2


# ------------------------------------------------------------------------------------ public API


def _theta(arch: Architecture, theta: object) -> np.ndarray:
    return arch._theta(theta)


def loss_and_grad(arch: Architecture, task: Task, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L(θ_b), ∇_θ L(θ_b)) for each row θ_b of θ (B, n_params): shapes (B,) and (B, n_params).

    Population tasks use the closed forms of the module docstring (spec §2.5, §2.6, §6.8) chained through the
    effective matrix; datasets use L = (1/2P) Σ_μ ‖y_μ − f(x_μ)‖² with ∇L = vjp of dF = (f − y)/P (spec §0.3).
    """
    check_compatible(arch, task)
    th = _theta(arch, theta)
    blocks = arch.unpack(th)
    if isinstance(task, LinearRegressionTask | QuadraticGaussianTask | ICLTask):
        M = _arch._effective(arch, blocks)
        if isinstance(task, LinearRegressionTask):
            value, dM = _linear_population(task, M)
        elif isinstance(task, QuadraticGaussianTask):
            value, dM = _quadratic_population(task, M)
        else:
            value, dM = _icl_population(task, M)
        return value, _arch._pack(arch, _arch._effective_vjp(arch, blocks, dM), th.shape[0])
    if isinstance(task, Dataset) and arch.population_kind == "linear":
        M = _arch._effective(arch, blocks)
        value, dM = _linear_moments(*task.moments, M)
        return value, _arch._pack(arch, _arch._effective_vjp(arch, blocks, dM), th.shape[0])
    if isinstance(task, ICLDataset):
        xs: tuple[np.ndarray, ...] = (task.beta, task.x_query)
        y = task.y_query[:, None]
    else:
        xs, y = (task.x,), task.y
    F, pullback = _arch._forward_pullback(arch, blocks, xs)
    residual = F - y
    p = y.shape[0]
    value = 0.5 / p * np.einsum("bpo,bpo->b", residual, residual)
    return value, _arch._pack(arch, pullback(residual / p), th.shape[0])


def loss(arch: Architecture, task: Task, theta: np.ndarray) -> np.ndarray:
    """L(θ_b) for each row of θ (B, n_params): shape (B,). Same formulas as :func:`loss_and_grad`."""
    return loss_and_grad(arch, task, theta)[0]


def _steps(theta: np.ndarray, step: float | None) -> np.ndarray:
    if step is not None:
        return np.full(theta.shape, check_positive_scalar("step", step))
    # Central differences of a function g: truncation ≈ h² |g'''| / 6, round-off ≈ eps |g| / h. With |g|, |g'''|
    # of the same size this is smallest at h ≈ eps^(1/3) ≈ 6e-6 (total error ≈ eps^(2/3) ≈ 4e-11 relative);
    # scaling by max(1, |θ_j|) keeps θ_j ± h representable to the same relative accuracy for large entries.
    return _EPS ** (1.0 / 3.0) * np.maximum(1.0, np.abs(theta))


def _theta_1d(arch: Architecture, theta_1d: object) -> np.ndarray:
    th = as_float_array("theta_1d", theta_1d, ndim=1)
    if th.shape[0] != arch.n_params:
        raise InputError(f"theta_1d: must have length {arch.n_params} for {arch.name} (got {th.shape[0]})")
    return th


def _perturbed(th: np.ndarray, h: np.ndarray) -> np.ndarray:
    # Rows 2j and 2j+1 are θ + h_j e_j and θ − h_j e_j.
    n = th.shape[0]
    pts = np.repeat(th[None, :], 2 * n, axis=0)
    idx = np.arange(n)
    pts[2 * idx, idx] += h
    pts[2 * idx + 1, idx] -= h
    return pts


def finite_difference_gradient(
    arch: Architecture, task: Task, theta_1d: np.ndarray, step: float | None = None
) -> np.ndarray:
    """Central-difference gradient (L(θ + h_j e_j) − L(θ − h_j e_j)) / 2h_j, shape (n_params,).

    ``step=None`` chooses h_j = eps^(1/3) max(1, |θ_j|) ≈ 6e-6 max(1, |θ_j|), the balance of the O(h²) truncation
    against the O(eps/h) round-off; a float ``step`` is used as the absolute h for every coordinate.
    """
    check_compatible(arch, task)
    th = _theta_1d(arch, theta_1d)
    h = _steps(th, step)
    pts = _perturbed(th, h)
    vals = np.concatenate([loss(arch, task, pts[i : i + _FD_BATCH]) for i in range(0, len(pts), _FD_BATCH)])
    return (vals[0::2] - vals[1::2]) / (2.0 * h)


def hessian(arch: Architecture, task: Task, theta_1d: np.ndarray, step: float | None = None) -> np.ndarray:
    """Hessian ∇²L(θ) (n × n) by central differences of the analytic gradient, symmetrised: column j is
    (∇L(θ + h_j e_j) − ∇L(θ − h_j e_j)) / 2h_j, and the result is ½(H + Hᵀ).

    ``step=None`` chooses h_j = eps^(1/3) max(1, |θ_j|): the truncation error h²|∇⁴L|/6 and the round-off
    eps|∇L|/h balance at h ∝ eps^(1/3), giving ≈ eps^(2/3) ≈ 4e-11 relative accuracy. A float ``step`` is used as
    the absolute h for every coordinate. Costs 2n gradient evaluations, batched.
    """
    check_compatible(arch, task)
    th = _theta_1d(arch, theta_1d)
    h = _steps(th, step)
    pts = _perturbed(th, h)
    grads = np.concatenate(
        [loss_and_grad(arch, task, pts[i : i + _FD_BATCH])[1] for i in range(0, len(pts), _FD_BATCH)]
    )
    H = (grads[0::2] - grads[1::2]) / (2.0 * h[:, None])  # row j = column j of the Hessian
    return 0.5 * (H + H.T)
