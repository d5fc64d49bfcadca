"""Batched gradient descent θ ← θ − η∇L(θ), time t = η × steps (spec §0.4).

All running members take one step per call of ``fun`` (the gradient at the new point also gives its loss, so a
run of N steps costs N + 1 evaluations per member). ``lr`` may differ per member; time is computed as η·k (not
accumulated), so it is exact.

Stopping rule per member (first that applies):

* ``"nan"``: the loss or gradient at the new point is NaN/inf; the state before that step is kept and
  ``status_step``/``status_time``/``status_loss`` give the failing step, its time and (non-finite) loss;
* ``"diverged"``: L > ``divergence_factor`` · L_scale (L_scale = L(θ₀), 1 if that is 0); the diverging state is
  recorded and kept;
* ``"converged"``: ‖∇L‖ ≤ gtol·sqrt(L_scale) and |L_k − L_{k−1}| ≤ ftol·L_scale (as for the flow; ``gtol=0``
  disables it);
* ``"t_max"``: k reached ``n_steps`` or ceil(t_max/η) (whichever is smaller when both are given);
* ``"budget"``: ``time_budget_s`` of wall-clock exhausted.

(t, L, ‖∇L‖) are recorded every ``record_every`` steps and θ at every ``save_every``-th record; the first and the
final state are always recorded.
"""

from __future__ import annotations

import math
import time as _time

import numpy as np

from . import checks
from .dop853 import GradFun, evaluate
from .flow import DEFAULT_FTOL, DEFAULT_GTOL
from .record import Recorder
from .result import IntegrationResult, MemberTrajectory


def gradient_descent(
    fun: GradFun,
    theta0,
    lr,
    *,
    t_max: float | None = None,
    n_steps: int | None = None,
    record_every: int = 1,
    save_every: int | None = 1,
    gtol: float = DEFAULT_GTOL,
    ftol: float = DEFAULT_FTOL,
    divergence_factor: float = 1e3,
    time_budget_s: float | None = None,
    memory_budget: float | None = None,
) -> IntegrationResult:
    """Run GD with learning rate ``lr`` (scalar or (B,)) on a batch θ₀ (B, n).

    Parameters
    ----------
    fun : callable
        ``fun(theta (m, n)) -> (loss (m,), grad (m, n))``.
    theta0 : (B, n) array
    lr : float or (B,) array
        Learning rate(s) η > 0; one step advances time by η.
    t_max, n_steps : optional
        Stop after ceil(t_max/η − 1e-9) steps and/or ``n_steps`` steps; at least one is required.
    record_every, save_every : int
        Record (t, L, ‖∇L‖) every ``record_every`` steps, θ at every ``save_every``-th record (None: ends only).
    gtol, ftol : float
        Convergence rule (module docstring).
    divergence_factor : float
        Loss growth (relative to L(θ₀)) that counts as divergence.
    time_budget_s : float or None
        Wall-clock budget for the call.
    memory_budget : float or None
        Bytes the run may hold (None: :func:`guards.memory_limit`), as in :func:`gradient_flow`.
    """
    start = _time.perf_counter()
    y = checks.check_theta0(theta0)
    B, n = y.shape
    try:
        eta = np.array(lr, dtype=np.float64)
    except (TypeError, ValueError):
        raise checks.InputError(f"lr: not a real number or array ({lr!r})") from None
    if eta.ndim == 0:
        eta = np.full(B, float(eta))
    if eta.shape != (B,):
        raise checks.InputError(f"lr: must be a scalar or have shape ({B},), got {eta.shape}")
    if not (np.isfinite(eta).all() and (eta > 0).all()):
        raise checks.InputError(f"lr: must be finite and > 0, got {lr!r}")
    t_max = checks.check_positive("t_max", t_max, allow_none=True)
    n_steps = checks.check_int("n_steps", n_steps, allow_none=True)
    if t_max is None and n_steps is None:
        raise checks.InputError("t_max/n_steps: give at least one of them")
    record_every = checks.check_int("record_every", record_every)
    save_every = checks.check_int("save_every", save_every, allow_none=True)
    gtol = checks.check_nonnegative("gtol", gtol)
    ftol = checks.check_nonnegative("ftol", ftol)
    divergence_factor = checks.check_positive("divergence_factor", divergence_factor)
    time_budget_s = checks.check_positive("time_budget_s", time_budget_s, allow_none=True)

    k_max = np.full(B, np.iinfo(np.int64).max, dtype=np.int64)
    if t_max is not None:
        k_max = np.array([math.ceil(t_max / e - 1e-9) for e in eta], dtype=np.int64)
    if n_steps is not None:
        k_max = np.minimum(k_max, n_steps)

    memory_budget = checks.check_memory_budget(memory_budget, B, n, working_arrays=8)
    loss, grad = evaluate(fun, y)
    n_eval = np.ones(B, dtype=np.int64)
    gn = np.linalg.norm(grad, axis=1)
    l_scale = np.where(np.isfinite(loss) & (loss > 0), loss, 1.0)
    k = np.zeros(B, dtype=np.int64)
    rec = Recorder(B)
    rec.add(np.arange(B), k, np.zeros(B), loss, gn)
    n_rec = np.ones(B, dtype=np.int64)
    for b in range(B):
        rec.save_theta(b, 0.0, y[b])
    status = np.array([""] * B, dtype=object)
    message = np.array([""] * B, dtype=object)
    where = np.zeros((B, 3))
    bad0 = ~(np.isfinite(loss) & np.isfinite(grad).all(axis=1))
    active = ~bad0
    for b in np.flatnonzero(bad0):
        status[b], message[b], where[b] = "nan", "loss or gradient not finite at theta0", (0.0, loss[b], 0)

    def finish(b: int, st: str, msg: str, record: bool) -> None:
        active[b] = False
        status[b], message[b] = st, msg
        where[b] = (k[b] * eta[b], loss[b], k[b])
        if record and rec.t[b, rec.count[b] - 1] != k[b] * eta[b]:
            rec.add(np.array([b]), k[b : b + 1], k[b : b + 1] * eta[b], loss[b : b + 1], gn[b : b + 1])
        rec.save_theta(b, k[b] * eta[b], y[b])

    while active.any():
        if time_budget_s is not None and _time.perf_counter() - start > time_budget_s:
            for b in np.flatnonzero(active):
                finish(b, "budget", f"time budget {time_budget_s:g} s exhausted", True)
            break
        if rec.nbytes > memory_budget:
            for b in np.flatnonzero(active):
                finish(b, "budget", checks.memory_stop(rec.nbytes, memory_budget), True)
            break
        ia = np.flatnonzero(active)
        y_new = y[ia] - eta[ia, None] * grad[ia]
        l_new, g_new = evaluate(fun, y_new)
        n_eval[ia] += 1
        ok = np.isfinite(l_new) & np.isfinite(g_new).all(axis=1) & np.isfinite(y_new).all(axis=1)
        for q in np.flatnonzero(~ok):  # keep the last finite state; report the failing step
            b = ia[q]
            active[b] = False
            status[b] = "nan"
            message[b] = f"non-finite loss/gradient at step {k[b] + 1} (t = {(k[b] + 1) * eta[b]:.6g})"
            where[b] = ((k[b] + 1) * eta[b], l_new[q], k[b] + 1)
            if rec.t[b, rec.count[b] - 1] != k[b] * eta[b]:
                rec.add(np.array([b]), k[b : b + 1], k[b : b + 1] * eta[b], loss[b : b + 1], gn[b : b + 1])
            rec.save_theta(b, k[b] * eta[b], y[b])
        ia, y_new, l_new, g_new = ia[ok], y_new[ok], l_new[ok], g_new[ok]
        l_old = loss[ia]
        y[ia], loss[ia], grad[ia] = y_new, l_new, g_new
        gn[ia] = np.linalg.norm(g_new, axis=1)
        k[ia] += 1
        rec_now = ia[k[ia] % record_every == 0]
        rec.add(rec_now, k[rec_now], k[rec_now] * eta[rec_now], loss[rec_now], gn[rec_now])
        n_rec[rec_now] += 1
        if save_every is not None:
            for b in rec_now[(n_rec[rec_now] - 1) % save_every == 0]:
                rec.save_theta(b, k[b] * eta[b], y[b])
        div = loss[ia] > divergence_factor * l_scale[ia]
        conv = (gtol > 0) & (gn[ia] <= gtol * np.sqrt(l_scale[ia])) & (np.abs(l_old - loss[ia]) <= ftol * l_scale[ia])
        end = k[ia] >= k_max[ia]
        for q in np.flatnonzero(div | conv | end):
            b = ia[q]
            if div[q]:
                finish(b, "diverged", f"loss {loss[b]:.6g} > {divergence_factor:g} x L_scale at step {k[b]} "
                                      f"(t = {k[b] * eta[b]:.6g})", True)
            elif conv[q]:
                finish(b, "converged", f"|grad L| = {gn[b]:.3g} <= gtol*sqrt(L_scale) at step {k[b]}", True)
            else:
                finish(b, "t_max", f"reached step {k[b]} (t = {k[b] * eta[b]:.6g})", True)

    members = []
    for b in range(B):
        tt, ll, gg, ss = rec.arrays(b)
        members.append(MemberTrajectory(
            t=tt, loss=ll, grad_norm=gg, t_saved=np.array(rec.theta_t[b]), theta=np.array(rec.theta[b]),
            step_index=ss, status=str(status[b]), message=str(message[b]), status_time=float(where[b, 0]),
            status_loss=float(where[b, 1]), status_step=int(where[b, 2]), gradient_evaluations=int(n_eval[b]),
            n_accepted=int(k[b]), n_rejected=0, method="GD",
        ))
    return IntegrationResult(members=tuple(members), kind="gradient_descent", seconds=_time.perf_counter() - start,
                             options=dict(lr=eta.copy(), t_max=t_max, n_steps=n_steps, gtol=gtol, ftol=ftol,
                                          divergence_factor=divergence_factor, record_every=record_every))
