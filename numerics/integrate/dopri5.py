"""Batched Dormand–Prince 5(4) ("RK45") kernel: one attempted step and its dense output for m members at once.

The lower-order partner of :mod:`~numerics.integrate.dop853`, for loose tolerances: 6 gradient evaluations per
step (7 stages, the last one FSAL) instead of 12, and 8 stored stage vectors instead of 14, so each step reads
about a quarter of the memory.  At rtol ≳ 1e-6 it reaches the same drop-time accuracy with fewer evaluations
(docs/theory.md §0.6 and benchmarks/RESULTS.md); at tight tolerances the 8th-order pair takes far fewer steps.

Coefficients, error norm and controller are those of SciPy's ``RK45`` (``scipy/integrate/_ivp/rk.py``, BSD-3-Clause;
Dormand & Prince 1980; Hairer, Nørsett & Wanner, *Solving ODEs I*, Sec. II.5): with sc = atol + rtol·max(|θ|,
|θ_new|) componentwise, err = RMS(h Σ E_i K_i / sc) over the n parameters, a step is accepted when err < 1, and
the step factor is 0.9·err^(−1/5) clipped to [0.2, 10].  Stiffness is estimated as in Hairer's DOPRI5: the last
stage (c = 1) and the FSAL stage at the new point give h·λ ≈ h‖K_7 − K_6‖/‖θ_new − θ_6‖, and the real stability
interval of the pair ends near −3.3 (threshold 3.25).  The dense output is SciPy's 4th-order interpolant,
θ(t_old + x h) = θ_old + Σ_k F_k x^{k+1}, F = (h K)ᵀ P, with no extra evaluation.
"""

from __future__ import annotations

import numpy as np

from .dop853 import GradFun
from .rk import error_scale, finite_error, hairer_hlambda, run_stages

N_STAGES = 6  # evaluations per step (stage 7 is the FSAL evaluation at the new point)
ERROR_ESTIMATOR_ORDER = 4
ORDER = 5
#: Hairer's DOPRI5 stiffness threshold on the estimated h·λ.
STIFF_HLAMBDA = 3.25

_C = np.array([0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1])
_A = np.array([
    [0, 0, 0, 0, 0],
    [1 / 5, 0, 0, 0, 0],
    [3 / 40, 9 / 40, 0, 0, 0],
    [44 / 45, -56 / 15, 32 / 9, 0, 0],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729, 0],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
])
_B = np.array([35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84])
_E = np.array([-71 / 57600, 0, 71 / 16695, -71 / 1920, 17253 / 339200, -22 / 525, 1 / 40])
_P = np.array([
    [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0, 0, 0, 0],
    [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
    [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
    [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423],
])
#: rows of the work array: [y, h·K_1, …, h·K_7]
WORK_ROWS = N_STAGES + 2
# [1, a_i0, …, a_i,i−1] per stage i (row 6 holds the 5th-order weights b): coefficients on [y, hK_1, …].
_STAGE_COEF = np.zeros((N_STAGES + 1, N_STAGES + 1))
_STAGE_COEF[:, 0] = 1.0
_STAGE_COEF[:N_STAGES, 1:N_STAGES] = _A
_STAGE_COEF[N_STAGES, 1:] = _B
_PT = np.ascontiguousarray(_P.T)  # (4, 7)


def step_stages(fun: GradFun, y: np.ndarray, f: np.ndarray, h: np.ndarray, work: np.ndarray | None = None):
    """The stages of one step of size h from y without the error estimate (the replay of a recorded step for its
    dense output, whose size the controller already accepted): ``(y_new, loss_new, f_new, Z)`` as
    :func:`attempt_step` returns them."""
    Z, _, y_new, loss_new, g_new = run_stages(fun, y, f, h, _STAGE_COEF, WORK_ROWS, work)
    return y_new, loss_new, -g_new, Z


def attempt_step(fun: GradFun, y: np.ndarray, f: np.ndarray, h: np.ndarray, rtol: float, atol: float,
                 stiff: bool = True, work: np.ndarray | None = None):
    """One DOPRI5 step of size h (m,) from y (m, n) with F(y) = f; the contract of
    :func:`numerics.integrate.dop853.attempt_step` (returns ``(y_new, loss_new, f_new, err, hlam, Z)``, Z (m, 8, n)
    = [y, h·K_1, …, h·K_7]; ``work`` (M ≥ m, ≥ 8, n) is reused for Z)."""
    n = y.shape[1]
    Z, pt, y_new, loss_new, g_new = run_stages(fun, y, f, h, _STAGE_COEF, WORK_ROWS, work)
    with np.errstate(all="ignore"):
        scale = error_scale(y, y_new, rtol, atol)
        e = np.matmul(_E, Z[:, 1:])
        e /= scale
        err = np.sqrt(np.einsum("mn,mn->m", e, e) / n)
        hlam = hairer_hlambda(Z, N_STAGES, y_new, pt) if stiff else np.zeros(y.shape[0])
    err = finite_error(err, loss_new)
    return y_new, loss_new, -g_new, err, hlam, Z


def dense_coefficients(fun: GradFun, y_new: np.ndarray, Z: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Coefficients F (4, m, n) of the 4th-order interpolant of an accepted step (no extra evaluation); evaluate
    with :func:`dense_weights`.  ``fun``, ``y_new`` and ``h`` are unused (the stages already carry h); they keep the
    signature of :func:`numerics.integrate.dop853.dense_coefficients`."""
    return np.matmul(_PT, Z[:, 1:WORK_ROWS]).transpose(1, 0, 2).copy()


def dense_weights(x: np.ndarray) -> np.ndarray:
    """The interpolant as θ_old + Σ_k w_k(x) F_k: the weights (m, 4) = (x, x², x³, x⁴) at fractions x (m,)."""
    xc = np.asarray(x, dtype=np.float64)[:, None]
    return np.cumprod(np.broadcast_to(xc, (xc.shape[0], 4)), axis=1)
