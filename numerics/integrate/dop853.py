"""Batched DOP853 kernel: one attempted step and its dense output for m members at once.

Gradient flow θ̇ = F(θ) := −∇L(θ) is autonomous, so the stage times c_i never enter. Each member b has its own
step h_b; the stages are K_i = F(θ + h Σ_{j<i} a_ij K_j) (h broadcast per row), all m members in one call of
``fun`` per stage (spec §0.6: DOP853 with tight tolerances). The error norm is Hairer's DOP853 one (as in SciPy):
with sc = atol + rtol·max(|θ|, |θ_new|) componentwise and RMS norms over the n parameters,

    err = |h| · ‖e5/sc‖² / sqrt(‖e5/sc‖² + 0.01‖e3/sc‖²),   e5 = Σ E5_i K_i,  e3 = Σ E3_i K_i,

and a step is accepted when err < 1. The dense output (Hairer's CONTD8) is a degree-7 polynomial in
x = (t − t_old)/h built from the 12 stages, the FSAL stage and three extra stages.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import InputError
from . import tableau as tb
from .rk import error_scale, finite_error, hairer_hlambda, run_stages

GradFun = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]

N_STAGES = tb.N_STAGES  # 12
_A = tb.A[:N_STAGES, :N_STAGES]
_B = tb.B
_E3 = tb.E3
_E5 = tb.E5
_A_EXTRA = tb.A[N_STAGES + 1 :]
_D = tb.D
# [1, a_i0, …, a_i,i−1] per stage i (row 12 holds the 8th-order weights b): coefficients on [y, hK_1, …].
_STAGE_COEF = np.zeros((N_STAGES + 1, N_STAGES + 1))
_STAGE_COEF[:, 0] = 1.0
_STAGE_COEF[:N_STAGES, 1:] = _A
_STAGE_COEF[N_STAGES, 1:] = _B

# SciPy's / Hairer's step-size controller constants.
SAFETY = 0.9
MIN_FACTOR = 0.2
MAX_FACTOR = 10.0
ERROR_EXPONENT = -1.0 / (tb.ERROR_ESTIMATOR_ORDER + 1)
#: Hairer's stiffness test threshold: h·λ estimated from the last two stages above this value means the step
#: is limited by stability (DOP853's real stability interval ends near −6), not by accuracy.
STIFF_HLAMBDA = 6.1


def evaluate(fun: GradFun, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Call ``fun`` and check shapes; returns (loss (m,), grad (m, n)) as float64 arrays.

    The integrators check ``fun`` this way once, at θ₀; inside the stage loop it is called bare.
    """
    out = fun(theta)
    try:
        loss, grad = out
    except (TypeError, ValueError):
        raise InputError("fun: must return a pair (loss (B,), grad (B, n))") from None
    loss = np.asarray(loss, dtype=np.float64)
    grad = np.asarray(grad, dtype=np.float64)
    if loss.shape != (theta.shape[0],) or grad.shape != theta.shape:
        raise InputError(f"fun: returned loss {loss.shape} and gradient {grad.shape} for theta {theta.shape}; "
                         f"expected ({theta.shape[0]},) and {theta.shape}")
    return loss, grad


def step_stages(fun: GradFun, y: np.ndarray, f: np.ndarray, h: np.ndarray, work: np.ndarray | None = None):
    """The stages of one step of size h from y without the error estimate (the replay of a recorded step for its
    dense output, whose size the controller already accepted): ``(y_new, loss_new, f_new, Z)`` as
    :func:`attempt_step` returns them."""
    Z, _, y_new, loss_new, g_new = run_stages(fun, y, f, h, _STAGE_COEF, N_STAGES + 2, work)
    return y_new, loss_new, -g_new, Z


def attempt_step(fun: GradFun, y: np.ndarray, f: np.ndarray, h: np.ndarray, rtol: float, atol: float,
                 stiff: bool = True, work: np.ndarray | None = None):
    """One DOP853 step of size h (m,) from y (m, n) with F(y) = f.

    Returns ``(y_new, loss_new, f_new, err, hlam, Z)``: the 8th-order solution, its loss and F, the scaled error
    norm err (m,) (inf where anything was non-finite), Hairer's stiffness estimate h·λ (m,) (zeros unless
    ``stiff``) and the work array Z (m, 14, n) = [y, h·K_1, …, h·K_13] per member (for the dense output).
    ``work`` (M ≥ m, 14, n) is reused for Z if given: a fresh 14·m·n array per step costs page faults that
    measured several times the arithmetic for m = 256, n = 500.

    Layout and stage loop: :mod:`numerics.integrate.rk`.
    """
    n = y.shape[1]
    Z, pt, y_new, loss_new, g_new = run_stages(fun, y, f, h, _STAGE_COEF, N_STAGES + 2, work)
    with np.errstate(all="ignore"):
        # h·e5 and h·e3 (two stacked gemv; one (2, 13) gemm per member measured 2x slower); h cancels in
        # Hairer's ratio below.
        scale = error_scale(y, y_new, rtol, atol)
        e5 = np.matmul(_E5, Z[:, 1:])
        e5 /= scale
        e3 = np.matmul(_E3, Z[:, 1:])
        e3 /= scale
        e5n = np.einsum("mn,mn->m", e5, e5)
        denom = np.sqrt((e5n + 0.01 * np.einsum("mn,mn->m", e3, e3)) * n)
        err = np.where(denom > 0, e5n / np.where(denom > 0, denom, 1.0), 0.0)
        hlam = hairer_hlambda(Z, N_STAGES, y_new, pt) if stiff else np.zeros(y.shape[0])
    err = finite_error(err, loss_new)
    return y_new, loss_new, -g_new, err, hlam, Z


def new_step_factor(err: np.ndarray, rejected_before: np.ndarray, exponent: float = ERROR_EXPONENT) -> np.ndarray:
    """SciPy/Hairer controller: factor = clip(0.9·err^exponent, 0.2, 10), and ≤ 1 right after a rejection;
    exponent = −1/(q + 1) for an error estimator of order q (−1/8 here)."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        raw = SAFETY * err**exponent
    raw = np.where(err == 0, MAX_FACTOR, raw)
    raw = np.where(np.isfinite(err), raw, MIN_FACTOR)
    accepted = err < 1
    fac_acc = np.minimum(MAX_FACTOR, raw)
    fac_acc = np.where(rejected_before, np.minimum(1.0, fac_acc), fac_acc)
    fac_rej = np.maximum(MIN_FACTOR, raw)
    return np.where(accepted, fac_acc, fac_rej)


def dense_coefficients(fun: GradFun, y_new: np.ndarray, Z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Coefficients F (7, m, n) of the 7th-order DOP853 interpolant of an accepted step (3 extra evaluations).

    ``Z`` is the work array of :func:`attempt_step`; mirrors SciPy's ``DOP853._dense_output_impl``. Evaluate with
    :func:`dense_weights`.
    """
    m, _, n = Z.shape
    y = Z[:, 0]
    Kx = np.empty((m, tb.N_STAGES_EXTENDED, n))  # h·K, 16 stages
    Kx[:, : N_STAGES + 1] = Z[:, 1:]
    hcol = h[:, None]
    for s, a in enumerate(_A_EXTRA, start=N_STAGES + 1):
        pt = y + np.matmul(a[:s], Kx[:, :s])
        Kx[:, s] = -evaluate(fun, pt)[1] * hcol
    F = np.empty((tb.INTERPOLATOR_POWER, m, n))
    dlt = y_new - y
    F[0] = dlt
    F[1] = Kx[:, 0] - dlt
    F[2] = 2 * dlt - (Kx[:, N_STAGES] + Kx[:, 0])
    F[3:] = np.matmul(_D, Kx).transpose(1, 0, 2)
    return F


def dense_weights(x: np.ndarray) -> np.ndarray:
    """The interpolant at fractions x (k,) of the step (x = (t − t_old)/h ∈ [0, 1]) as θ_old + Σ_i w_i(x) F_i:
    the weights (k, 7), the products of the alternating factors x, 1 − x, x, … of SciPy's nested form
    θ_old + x(F_0 + (1 − x)(F_1 + x(F_2 + …)))."""
    xc = np.asarray(x, dtype=np.float64)[:, None]
    factors = np.where(np.arange(7) % 2 == 0, xc, 1.0 - xc)
    return np.cumprod(factors, axis=1)


def initial_step(fun: GradFun, y: np.ndarray, f: np.ndarray, t_span: np.ndarray, rtol: float, atol: float,
                 max_step: float, order: int = tb.ERROR_ESTIMATOR_ORDER) -> np.ndarray:
    """Hairer's initial-step heuristic (SciPy ``select_initial_step``) for an error estimator of ``order``, per
    member, one extra evaluation."""
    n = y.shape[1]
    scale = atol + np.abs(y) * rtol
    d0 = np.linalg.norm(y / scale, axis=1) / np.sqrt(n)
    d1 = np.linalg.norm(f / scale, axis=1) / np.sqrt(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.where(d1 > 0, d1, 1.0))
    h0 = np.minimum(h0, t_span)
    f1 = -evaluate(fun, y + h0[:, None] * f)[1]
    d2 = np.linalg.norm((f1 - f) / scale, axis=1) / np.sqrt(n) / h0
    with np.errstate(divide="ignore"):
        h1 = np.where((d1 <= 1e-15) & (d2 <= 1e-15), np.maximum(1e-6, h0 * 1e-3),
                      (0.01 / np.maximum(d1, d2)) ** (1 / (order + 1)))
    return np.minimum.reduce([100 * h0, h1, t_span, np.full_like(h0, max_step)])
