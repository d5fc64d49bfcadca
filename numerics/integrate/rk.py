"""The parts of a batched explicit Runge–Kutta step that every pair of :mod:`~numerics.integrate.pairs` shares.

Gradient flow θ̇ = F(θ) := −∇L(θ) is autonomous, so the stage times never enter.  The work array Z (m, rows, n)
holds, per member, row 0 = y and rows 1.. = the stages already multiplied by h, so each stage point
y + h Σ a_ij K_j is ONE stacked product [1, a_i·] @ Z[:, :i+1] (m small single-threaded BLAS calls on
cache-resident blocks; a single (i+1, m·n) gemv would be multi-threaded by OpenBLAS, which measured 5–20× slower
on a shared 2-core machine).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # annotations only: dop853 imports this module
    from .dop853 import GradFun


def run_stages(fun: GradFun, y: np.ndarray, f: np.ndarray, h: np.ndarray, stage_coef: np.ndarray, rows: int,
               work: np.ndarray | None):
    """The stages of one explicit step of size h (m,) from y (m, n) with F(y) = f.

    ``stage_coef`` (s + 1, s + 1): row i < s holds [1, a_i0, …] of stage i, row s the weights [1, b]; the last
    stage (index s) is the FSAL evaluation at the new point.  Returns ``(Z, pt, y_new, loss_new, g_new)``: the
    filled work array (m, rows, n) (``work`` (M ≥ m, ≥ rows, n) reused if given: a fresh array per step costs page
    faults that measured several times the arithmetic for m = 256, n = 500), the last stage point, the new point,
    its loss (m,) and gradient."""
    m, n = y.shape
    s = stage_coef.shape[0] - 1
    Z = work[:m, :rows] if work is not None else np.empty((m, rows, n))
    Z[:, 0] = y
    hcol = -h[:, None]
    np.multiply(f, -hcol, out=Z[:, 1])
    pt = y
    for i in range(1, s):
        pt = np.matmul(stage_coef[i, : i + 1], Z[:, : i + 1])
        np.multiply(fun(pt)[1], hcol, out=Z[:, i + 1])
    y_new = np.matmul(stage_coef[s], Z[:, : s + 1])
    loss_new, g_new = fun(y_new)
    loss_new = np.asarray(loss_new, dtype=np.float64).reshape(m)
    np.multiply(g_new, hcol, out=Z[:, s + 1])
    return Z, pt, y_new, loss_new, g_new


def hairer_hlambda(Z: np.ndarray, last: int, y_new: np.ndarray, pt: np.ndarray) -> np.ndarray:
    """Hairer's stiffness estimate h·λ (m,): the last stage (row ``last`` of Z, at c = 1) and the FSAL stage (row
    ``last + 1``, at the new point) are both at t + h, so ‖h(K_fsal − K_last)‖/‖θ_new − θ_last‖ estimates h times
    the dominant Lipschitz constant along the step (DOP853's and DOPRI5's "HLAMB")."""
    dk = Z[:, last + 1] - Z[:, last]
    dy = y_new - pt
    num = np.einsum("mn,mn->m", dk, dk)
    den = np.einsum("mn,mn->m", dy, dy)
    return np.where(den > 0, np.sqrt(num / np.where(den > 0, den, 1.0)), 0.0)


def error_scale(y: np.ndarray, y_new: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Componentwise sc = atol + rtol·max(|y|, |y_new|) of the error norms (Hairer's and SciPy's)."""
    scale = np.maximum(np.abs(y), np.abs(y_new))
    scale *= rtol
    scale += atol
    return scale


def finite_error(err: np.ndarray, loss_new: np.ndarray) -> np.ndarray:
    """The error norm, inf where it or the new loss is not finite (the step is then rejected)."""
    return np.where(np.isfinite(err) & np.isfinite(loss_new), err, np.inf)
