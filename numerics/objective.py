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

:func:`gradient_function` prepares the objective of one (architecture, task) pair once — compatibility checked, the
closed form of the task's type (:data:`PREPARERS`) bound to its matrices, the block layout resolved — and returns the
unchecked θ ↦ (L, ∇L) an integrator calls at every stage; :func:`loss_and_grad` is the same function behind a check
of its arguments on every call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from . import architectures as _arch
from .architectures import Architecture
from .errors import InputError
from .tasks import Dataset, ICLDataset, ICLTask, LinearRegressionTask, QuadraticGaussianTask
from .validation import as_float_array, check_positive_scalar

__all__ = ["GradientFunction", "PREPARERS", "Task", "check_compatible", "finite_difference_gradient",
           "gradient_function", "HESSIAN_BLOCK", "hessian", "hessian_blocks", "hessians", "loss", "loss_and_grad"]

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
        if arch.population_task is not LinearRegressionTask:
            raise InputError(f"{where}: incompatible; linear regression needs a model linear in x "
                             "(linear-fc, linear-conv, deep-linear, diagonal-linear)")
        want = (arch.output_dim, arch.input_dim)
        if task.sigma_yx.shape != want:
            raise InputError(f"{where}: dimension mismatch, sigma_yx has shape {task.sigma_yx.shape}, "
                             f"the model maps d_in={want[1]} to d_out={want[0]}")
    elif isinstance(task, QuadraticGaussianTask):
        if arch.population_task is not QuadraticGaussianTask:
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
# Each binds a task once and returns its closed form M (m, r, c) ↦ (L (m,), ∂L/∂M (m, r, c)).

GradientFunction = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
ClosedForm = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def _linear_population(task: LinearRegressionTask) -> ClosedForm:
    w_opt, sxx, l_min = task.optimal_matrix, task.sigma_xx, task.min_loss

    def closed(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Completed square L = L* + ½ tr((W − W*) Σ_xx (W − W*)ᵀ): algebraically the conventions formula, but it
        # keeps relative accuracy as L → L*, where the expanded form cancels O(1) terms.
        E = W - w_opt
        G = np.matmul(E, sxx)
        return l_min + 0.5 * np.einsum("bij,bij->b", G, E), G

    return closed


def _linear_moments(moments: tuple[np.ndarray, np.ndarray, np.ndarray]) -> ClosedForm:
    sxx, syx, syy = moments
    half_tr = 0.5 * float(np.trace(syy))

    def closed(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Expanded form: valid also when the empirical Σ_xx is singular (fewer samples than inputs).
        WS = np.matmul(W, sxx)
        return half_tr + np.einsum("bij,bij->b", 0.5 * WS - syx, W), WS - syx

    return closed


def _quadratic_population(task: QuadraticGaussianTask) -> ClosedForm:
    S, A = task.sigma, task.a

    def closed(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        DS = np.matmul(A - M, S)
        tr = np.trace(DS, axis1=1, axis2=2)
        loss = np.einsum("bij,bji->b", DS, DS) + 0.5 * tr * tr
        grad = np.matmul(S, DS)
        grad *= -2.0
        grad -= tr[:, None, None] * S  # = −(2 Σ DΣ + tr(DΣ) Σ) bit for bit (negation is exact), fewer temporaries
        return loss, grad

    return closed


def _icl_population(task: ICLTask) -> ClosedForm:
    lam, lam2, tr_lam = task.lam, task.lam_squared, task.trace_lam
    n = float(task.context)
    a, c = 1.0 + 1.0 / n, tr_lam / n

    def closed(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        S = np.matmul(np.matmul(lam, M), lam)  # Λ M Λ
        LS = np.matmul(lam, S)  # Λ² M Λ
        grad = a * LS + c * S - lam2
        # ½[tr Λ + ⟨a Λ²MΛ + c ΛMΛ − 2Λ², M⟩_F] = ½[tr Λ + ⟨∂L/∂M − Λ², M⟩_F]
        return 0.5 * (tr_lam + np.einsum("bij,bij->b", grad - lam2, M)), grad

    return closed


# ------------------------------------------------------------------------------------ prepared objectives


def _through_effective(arch: Architecture, closed: ClosedForm) -> GradientFunction:
    """θ ↦ (L, ∇L) for a loss that depends on θ only through the effective matrix M (docs/theory.md §1.3): the
    blocks are views of θ, and the pull-back of ∂L/∂M writes each block gradient straight into its columns of ∇L."""
    form = arch.family.effective[arch.population_kind]
    spans = {name: (cols, shape) for name, cols, shape in arch.block_spans}
    used = tuple(spans[name] for name in form.blocks)
    # A block M does not depend on has gradient zero (no built-in form has one; the check costs nothing per call).
    new = np.empty if len(used) == len(spans) else np.zeros
    matrix, vjp, n = form.matrix, form.vjp, arch.n_params

    def gradient(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = theta.shape[0]
        blocks = [theta[:, cols].reshape((m, *shape)) for cols, shape in used]
        value, dM = closed(matrix(*blocks))
        grad = new((m, n))
        # Splitting the last axis of a column slice of a C-contiguous array is always a view, so the kernels fill
        # ``grad`` itself.
        vjp(*blocks, dM, [grad[:, cols].reshape((m, *shape)) for cols, shape in used])
        return value, grad

    return gradient


def _through_forward(arch: Architecture, xs: tuple[np.ndarray, ...], y: np.ndarray) -> GradientFunction:
    """θ ↦ (L, ∇L) of a dataset by the forward pass: L = (1/2P) Σ_μ ‖f(x_μ) − y_μ‖², ∇L = vjp of (f − y)/P."""
    forward_pullback, spans, p = arch.family.forward_pullback, arch.block_spans, y.shape[0]

    def gradient(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = theta.shape[0]
        F, pullback = forward_pullback(arch, {name: theta[:, cols].reshape((m, *shape))
                                              for name, cols, shape in spans}, xs)
        residual = F - y
        value = 0.5 / p * np.einsum("bpo,bpo->b", residual, residual)
        return value, _arch._pack(arch, pullback(residual / p), m)

    return gradient


def _population(bind: Callable[[Any], ClosedForm]) -> Callable[[Architecture, Any], GradientFunction]:
    return lambda arch, task: _through_effective(arch, bind(task))


def _dataset(arch: Architecture, task: Dataset) -> GradientFunction:
    # Models linear in x need only the empirical moments: the population closed form, O(d²) per parameter set
    # instead of O(P d).
    if arch.linear_in_x:
        return _through_effective(arch, _linear_moments(task.moments))
    return _through_forward(arch, (task.x,), task.y)


def _icl_dataset(arch: Architecture, task: ICLDataset) -> GradientFunction:
    return _through_forward(arch, (task.beta, task.x_query), task.y_query[:, None])


# How each task type's objective is prepared for an architecture already checked to fit it.
PREPARERS: Mapping[type, Callable[[Architecture, Any], GradientFunction]] = MappingProxyType({
    LinearRegressionTask: _population(_linear_population),
    QuadraticGaussianTask: _population(_quadratic_population),
    ICLTask: _population(_icl_population),
    Dataset: _dataset,
    ICLDataset: _icl_dataset,
})


# ------------------------------------------------------------------------------------ public API


def gradient_function(arch: Architecture, task: Task) -> GradientFunction:
    """The objective of ``task`` for ``arch``, prepared once: a function θ (m, n_params) ↦ (L (m,), ∇_θ L (m,
    n_params)) for any number m of parameter sets, equal (bitwise) to :func:`loss_and_grad`.

    Compatibility is checked here, once (``InputError`` naming both, as :func:`check_compatible`); the task's
    closed form (or its data) and the block layout are bound here too.  The returned function does **no**
    validation: θ must be a float64 array of shape (m, n_params) (C-contiguous is fastest; any other layout works
    but its blocks are copied).  A wrong shape is not diagnosed (the integrators check the shapes of ``fun``'s
    results once, at θ₀); NaN or ±inf entries give non-finite L and ∇L for those rows, not an exception.  Every
    call returns **new** arrays, never a buffer reused by the next call: callers keep them (the integrators'
    ``loss`` and ``grad`` arrays are updated in place across calls).  This is the ``fun`` every integrator takes::

        fun = numerics.gradient_function(arch, task)
        numerics.gradient_flow(fun, theta0, t_max)

    Notes
    -----
    Population tasks are evaluated through the effective matrix M(θ) (docs/theory.md §1.3): L and ∂L/∂M in closed
    form (module docstring), then ∇_θ L = (∂M/∂θ)ᵀ ∂L/∂M, the pull-back of
    :class:`numerics.families.EffectiveForm`, written block by block into the columns of the result.  Datasets of
    models linear in x use the same route with the empirical moments; other datasets use the forward pass and its
    pull-back (docs/theory.md §0.3).
    """
    check_compatible(arch, task)
    for cls in type(task).__mro__:  # check_compatible accepted task, so one of its classes is registered
        if cls in PREPARERS:
            return PREPARERS[cls](arch, task)
    raise InputError(f"task: unknown task type {type(task).__name__} for architecture {arch.name!r}")


def loss_and_grad(arch: Architecture, task: Task, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L(θ_b), ∇_θ L(θ_b)) for each row θ_b of θ (B, n_params): shapes (B,) and (B, n_params).

    Population tasks use the closed forms of the module docstring (spec §2.5, §2.6, §6.8) chained through the
    effective matrix; datasets use L = (1/2P) Σ_μ ‖y_μ − f(x_μ)‖² with ∇L = vjp of dF = (f − y)/P (spec §0.3).
    Checks its arguments on every call; a caller that evaluates one (arch, task) many times (an integrator)
    should prepare it once with :func:`gradient_function`, which computes the same numbers.
    """
    global _last_prepared
    last = _last_prepared
    if last is not None and last[0] is arch and last[1] is task:
        fun = last[2]
    else:
        fun = gradient_function(arch, task)
        _last_prepared = (arch, task, fun)
    return fun(arch._theta(theta))


# The pair loss_and_grad prepared last, reused while the very same (arch, task) objects come back (both are
# immutable: frozen, read-only arrays): callers that loop over loss_and_grad (refinement, itineraries) then pay the
# check of θ but not the preparation (≈ 2–5 µs, a sixth of a small gradient).  One entry only, so it keeps at most
# one architecture and one task alive.
_last_prepared: tuple[Architecture, Any, GradientFunction] | None = None


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
    fun = gradient_function(arch, task)
    th = _theta_1d(arch, theta_1d)
    h = _steps(th, step)
    pts = _perturbed(th, h)
    vals = np.concatenate([fun(pts[i : i + _FD_BATCH])[0] for i in range(0, len(pts), _FD_BATCH)])
    return (vals[0::2] - vals[1::2]) / (2.0 * h)


def hessian(arch: Architecture, task: Task, theta_1d: np.ndarray, step: float | None = None) -> np.ndarray:
    """Hessian ∇²L(θ) (n × n) by central differences of the analytic gradient, symmetrised: column j is
    (∇L(θ + h_j e_j) − ∇L(θ − h_j e_j)) / 2h_j, and the result is ½(H + Hᵀ).

    ``step=None`` chooses h_j = eps^(1/3) max(1, |θ_j|): the truncation error h²|∇⁴L|/6 and the round-off
    eps|∇L|/h balance at h ∝ eps^(1/3), giving ≈ eps^(2/3) ≈ 4e-11 relative accuracy. A float ``step`` is used as
    the absolute h for every coordinate. Costs 2n gradient evaluations, batched (:func:`hessians` of one point).
    """
    return hessians(arch, task, _theta_1d(arch, theta_1d)[None, :], step)[0]


def hessians(arch: Architecture, task: Task, thetas: np.ndarray, step: float | None = None) -> np.ndarray:
    """:func:`hessian` at each row of ``thetas`` (k, n): shape (k, n, n), 2kn gradient evaluations.

    The perturbed points of all rows are streamed through the gradient in batches of the same size as for one
    point (rows θ_p + h_j e_j, then θ_p − h_j e_j, for consecutive (p, j)), so k Hessians cost the gradient calls
    of one k-times-larger one; the arithmetic of each column is that of :func:`hessian`.
    """
    fun = gradient_function(arch, task)
    th = as_float_array("thetas", thetas, ndim=2)
    if th.shape[1] != arch.n_params:
        raise InputError(f"thetas: must have {arch.n_params} columns for {arch.name} (got {th.shape[1]})")
    k, n = th.shape
    hf = _steps(th, step).reshape(-1)
    out = np.empty((k, n, n))
    flat = out.reshape(k * n, n)  # row p·n + j = column j of the Hessian at θ_p
    c = _FD_BATCH // 2
    pts = np.empty((2 * min(c, k * n), n))
    # Streamed in chunks of c (point, coordinate) pairs: the same arithmetic as one 2kn × n array, without building
    # it; building and striding through it cost twice the gradient calls at n = 500.
    for q0 in range(0, k * n, c):
        q = np.arange(q0, min(k * n, q0 + c))
        p, j = np.divmod(q, n)
        m, idx = q.size, np.arange(q.size)
        pts[:m] = th[p]
        pts[m : 2 * m] = th[p]
        pts[idx, j] += hf[q]
        pts[m + idx, j] -= hf[q]
        g = fun(pts[: 2 * m])[1]
        np.subtract(g[:m], g[m:], out=flat[q0 : q0 + m])
        flat[q0 : q0 + m] /= 2.0 * hf[q, None]
    return 0.5 * (out + out.transpose(0, 2, 1))


# hessian_blocks builds the Hessians of at most this many numbers at a time (2 MiB)
HESSIAN_BLOCK = 1 << 18


def hessian_blocks(arch: Architecture, task: Task, thetas: np.ndarray) -> Iterator[tuple[slice, np.ndarray]]:
    """:func:`hessians` of the rows of ``thetas`` (k, n), a block of rows at a time: (the block's rows, their
    Hessians), each block at most :data:`HESSIAN_BLOCK` numbers, so that memory does not grow with k."""
    step = max(1, HESSIAN_BLOCK // arch.n_params**2)
    for a in range(0, len(thetas), step):
        rows = slice(a, a + step)
        yield rows, hessians(arch, task, thetas[rows])
