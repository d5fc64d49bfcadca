"""Batched adaptive gradient flow θ̇ = −∇L(θ) (spec §0.4, §0.6).

One vectorised run integrates B trajectories with the explicit Dormand–Prince 8(5,3) pair (DOP853, the spec's
default): every member has its own time t_b, step h_b and error control (accept/reject per member), all members
still running are evaluated together in one call of ``fun`` per stage, and finished members are frozen and no
longer passed to ``fun``. With B = 1 the step sequence is the one of ``scipy.integrate.solve_ivp(method="DOP853")``
(same tableau, error norm, controller and initial-step heuristic).  ``explicit="RK45"`` swaps in the Dormand–Prince
5(4) pair (:mod:`~numerics.integrate.pairs`; then the sequence is that of ``solve_ivp(method="RK45")``), which
needs fewer gradients at loose tolerances.

Stopping rule per member (whichever comes first):

* ``"t_max"``: t_b reached t_max (the last step is shortened to land on it exactly);
* ``"converged"``: after an accepted step, ‖∇L(θ)‖ ≤ gtol·sqrt(L_scale) **and** |L_new − L_old| ≤ ftol·L_scale,
  where L_scale = L(θ₀) (1 if L(θ₀) = 0). Near a minimum with curvature λ, L − L* ≈ ‖∇L‖²/(2λ), so the first
  condition bounds the remaining loss decrease by gtol²·L_scale/(2λ) (1e-20·L_scale/(2λ) by default). It is a local
  rule: it cannot tell a minimum from a saddle whose unstable component is below gtol, so keep gtol well below
  the gradient on the plateaus (≈ s·ε for small-init nets; ε ≥ 1e-8 is safe with the default 1e-10);
  ``gtol=0`` disables it;
* ``"budget"``: ``max_steps`` attempted steps (accepted + rejected) for that member, or ``time_budget_s`` of
  wall-clock for the whole call;
* ``"nan"`` / ``"step_too_small"``: the step size fell below 10 ulp of t; ``"nan"`` when the last attempt
  produced non-finite values (the last finite state is kept).

Stiffness: plateaus are accuracy-limited (near-exponential motion, large steps) but the approach to a minimum
(and a plateau next to an already learned unit) can be stiff (step limited by stability, h·λ_max ≈ 6). Hairer's
DOP853 test estimates h·λ from the last two stages of every accepted step; after ``stiff_steps`` (15, Hairer's
value) accepted steps with h·λ > 6.1 (3.25 for RK45), counted as Hairer counts them (only 6 consecutive non-stiff
steps reset the count, :func:`stiffness_counts`), the member leaves the explicit batch and the strategy
``STIFF_METHODS[stiff_method]`` (:mod:`numerics.integrate.stiff_methods`) continues it at the same rtol/atol and
with the same stopping rule (``method`` of the member becomes e.g. ``"DOP853+krylov"``, ``stiff_switch_time``
records the first switch). ``stiff_method=None`` never switches. The strategies:

* ``"Radau"``, ``"BDF"``, ``"LSODA"``: SciPy's implicit solvers, one member at a time, with a dense n×n
  finite-difference Jacobian (n + 1 gradients each; LSODA builds its own, one call per column). Cheap for small n
  (quadratic benchmark (c), n = 40: LSODA 16 k gradients vs 85 k for Krylov), hopeless for large n (n = 20 000:
  a 3.2 GB Jacobian, O(n³) factorisations);
* ``"krylov"``: the members that went stiff stay *batched* and are advanced together by the exponential
  Rosenbrock method exprb32 with Lanczos Hessian-vector products (:mod:`numerics.integrate.krylov`): no n×n matrix,
  O(sqrt(h·λ_max)) gradients per step, exact for a quadratic loss. When it costs more gradients per unit time than
  DOP853 at its stability limit (2·12·λ_max/6, i.e. where the motion is accuracy-limited again) it hands the member
  back to the DOP853 batch; each hand-back doubles that member's ``stiff_steps`` so it cannot ping-pong;
* ``"auto"``: the dense BDF for n ≤ 100 parameters (LSODA can run out of steps there), Krylov above
  (:class:`~.stiff_methods.AutoStiff`); and with ``gtol = 0`` it does not switch at all while finishing the run with
  DOP853 at the stability limit costs at most 3× the gradients used so far (the 8th-order batched method is then
  cheaper in wall time). With ``gtol > 0`` it always switches: at the stability limit DOP853 leaves noise of
  ~rtol·|θ|·λ_max in the gradient, which can keep ‖∇L‖ above gtol forever (measured: 150 of 256 seeds of linear-fc H
  = 50 never converge without a switch).

Dense output: (t, L, ‖∇L‖) are recorded at every accepted step (so dL/dt = −‖∇L‖² is known there exactly) and θ
at every ``save_every``-th accepted step (plus the first and last). :mod:`numerics.integrate.dense` rebuilds the
7th-order DOP853 interpolant of any step by replaying the recorded steps from the nearest stored θ, which gives
loss-level crossings to ~1e-12 relative (:func:`~numerics.integrate.dense.refine_crossing`).

Reproducibility and cost: a member's trajectory does not depend on the batch it runs in up to round-off (the stage
sums are BLAS products whose last bits depend on the batch size, and the error estimate amplifies that into
~1e-6 relative changes of later step sizes; solutions agree to the tolerance). Per step and member the kernel
reads ~100 stored stage vectors, so for large batches it is memory-bound: measured ≈ 3–5 µs per member-evaluation
at n = 500, B = 256 (2 shared cores), on top of the cost of ``fun``.
"""

from __future__ import annotations

import time as _time

import numpy as np

from . import checks
from .dop853 import GradFun, evaluate
from .pairs import ExplicitPair, resolve_pair
from .record import Recorder
from .result import IntegrationResult, MemberTrajectory
from .stiff_methods import STIFF_METHODS

DEFAULT_RTOL = 1e-10
DEFAULT_ATOL = 1e-14
DEFAULT_GTOL = 1e-10
DEFAULT_FTOL = 1e-12
#: Hairer's DOP853: this many consecutive accepted steps with h·λ ≤ 6.1 reset the stiff-step count.
NONSTIFF_RESET = 6


def gradient_flow(
    fun: GradFun,
    theta0,
    t_max: float,
    *,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    gtol: float = DEFAULT_GTOL,
    ftol: float = DEFAULT_FTOL,
    save_every: int | None = 1,
    max_steps: int = 200_000,
    time_budget_s: float | None = None,
    first_step: float | None = None,
    max_step: float = np.inf,
    stiff_method: str | None = "Radau",
    stiff_steps: int = 15,
    memory_budget: float | None = None,
    explicit: str | ExplicitPair = "DOP853",
) -> IntegrationResult:
    """Integrate θ̇ = −∇L(θ) for a batch θ₀ (B, n) from t = 0 to ``t_max`` (spec §0.4, §0.6).

    Parameters
    ----------
    fun : callable
        ``fun(theta (m, n)) -> (loss (m,), grad (m, n))`` for any m ≤ B (rows are independent members).
    theta0 : (B, n) array
        Initial parameters, finite.
    t_max : float
        Final time (> 0, finite).
    rtol, atol : float
        DOP853 tolerances; defaults 1e-10 / 1e-14 (spec §0.6; use rtol 1e-12 for conservation-law checks).
    gtol, ftol : float
        Convergence rule (module docstring); ``gtol=0`` integrates to ``t_max``.
    save_every : int or None
        Store θ every ``save_every`` accepted steps (always the first and last point); None: ends only.
        Memory ≈ 8·n·(steps/save_every) bytes per member.
    max_steps : int
        Attempted steps per member before status ``"budget"``.
    time_budget_s : float or None
        Wall-clock budget for the whole call; members still running get status ``"budget"``.
    first_step, max_step : float
        Optional initial step (default: Hairer's heuristic) and step cap.
    stiff_method : str or None
        Strategy after stiffness is detected: a key of ``STIFF_METHODS`` ("Radau", "BDF", "LSODA", "krylov",
        "auto"; module docstring); None: never switch. The default stays "Radau" for compatibility; "auto" is the
        one that scales to large n.
    stiff_steps : int
        Stiff-looking accepted steps that trigger the switch (:func:`stiffness_counts`).
    memory_budget : float or None
        Bytes the run may hold (None: :func:`guards.memory_limit`). The working arrays must fit before the start
        (else ``InputError``); when the recorded trajectory outgrows it, the running members stop with status
        ``"budget"``.
    explicit : str or ExplicitPair
        The explicit pair: a key of :data:`~numerics.integrate.pairs.EXPLICIT_PAIRS` ("DOP853", the default, or
        "RK45" for loose tolerances) or the pair object itself.

    Returns
    -------
    IntegrationResult
        ``kind="gradient_flow"``; one :class:`MemberTrajectory` per row of θ₀.
    """
    start = _time.perf_counter()
    y = checks.check_theta0(theta0)
    t_max = checks.check_positive("t_max", t_max)
    rtol = checks.check_positive("rtol", rtol)
    atol = checks.check_nonnegative("atol", atol)
    gtol = checks.check_nonnegative("gtol", gtol)
    ftol = checks.check_nonnegative("ftol", ftol)
    save_every = checks.check_int("save_every", save_every, allow_none=True)
    max_steps = checks.check_int("max_steps", max_steps)
    time_budget_s = checks.check_positive("time_budget_s", time_budget_s, allow_none=True)
    first_step = checks.check_positive("first_step", first_step, allow_none=True)
    max_step = checks.check_positive("max_step", max_step, allow_inf=True)
    stiff_steps = checks.check_int("stiff_steps", stiff_steps)
    pair = resolve_pair(explicit)
    if stiff_method is not None and (not isinstance(stiff_method, str) or stiff_method not in STIFF_METHODS):
        names = ", ".join(repr(k) for k in STIFF_METHODS)
        raise checks.InputError(f"stiff_method: must be one of {names} or None, got {stiff_method!r}")
    if rtol < 100 * np.finfo(float).eps:
        raise checks.InputError(f"rtol: must be >= 100 machine epsilon (2.2e-14), got {rtol!r}")

    B, n = y.shape
    memory_budget = checks.check_memory_budget(memory_budget, B, n, working_arrays=24)
    loss, grad = evaluate(fun, y)
    f = -grad
    n_eval = np.ones(B, dtype=np.int64)
    gnorm = np.linalg.norm(grad, axis=1)
    l_scale = np.where(loss > 0, loss, 1.0)
    t = np.zeros(B)
    status = np.array([""] * B, dtype=object)
    message = np.array([""] * B, dtype=object)
    where = np.zeros((B, 3))  # status time, loss, step
    rec = Recorder(B)
    n_acc = np.zeros(B, dtype=np.int64)
    n_rej = np.zeros(B, dtype=np.int64)
    rejected_before = np.zeros(B, dtype=bool)
    stiff_count = np.zeros(B, dtype=np.int64)
    calm_count = np.zeros(B, dtype=np.int64)
    stiff_members: list[int] = []
    last_bad = np.zeros(B, dtype=bool)
    all_idx = np.arange(B)
    rec.add(all_idx, np.zeros(B, dtype=np.int64), t, loss, gnorm)
    for b in range(B):
        rec.save_theta(b, 0.0, y[b])

    bad0 = ~(np.isfinite(loss) & np.isfinite(grad).all(axis=1))
    active = ~bad0
    for b in np.flatnonzero(bad0):
        status[b], message[b] = "nan", "loss or gradient not finite at theta0"
        where[b] = (0.0, loss[b], 0)

    h = np.zeros(B)
    if active.any():
        ia = np.flatnonzero(active)
        if first_step is None:
            h[ia] = pair.initial_step(fun, y[ia], f[ia], np.full(ia.size, t_max), rtol, atol, max_step)
            n_eval[ia] += 1
        else:
            h[ia] = min(first_step, t_max, max_step)
        h = np.where(np.isfinite(h) & (h > 0), h, 1e-6)

    stiff_on = stiff_method is not None
    g_lim = gtol * np.sqrt(l_scale)  # convergence thresholds per member
    f_lim = ftol * l_scale
    work = np.empty((B, pair.work_rows, n))  # stage storage reused by every step (see attempt_step)
    # Members handed back by the stiff strategy rejoin the DOP853 batch; each hand-back doubles the member's
    # stiff-step threshold so that a borderline member cannot ping-pong (module docstring).
    stiff_need = np.full(B, stiff_steps, dtype=np.int64)
    chooser = STIFF_METHODS[stiff_method] if stiff_on else None
    strategy = chooser.resolve(n) if stiff_on else None
    stiff_label = "" if strategy is None else strategy.label
    switch_time: dict[int, float] = {}
    while True:
        with np.errstate(all="ignore"):
            while True:
                ia = np.flatnonzero(active)
                if ia.size == 0:
                    break
                if time_budget_s is not None and _time.perf_counter() - start > time_budget_s:
                    for b in ia:
                        status[b], message[b] = "budget", f"time budget {time_budget_s:g} s exhausted"
                        where[b] = (t[b], loss[b], n_acc[b])
                    active[:] = False
                    break
                if rec.nbytes > memory_budget:
                    for b in ia:
                        status[b], message[b] = "budget", checks.memory_stop(rec.nbytes, memory_budget)
                        where[b] = (t[b], loss[b], n_acc[b])
                    active[:] = False
                    break
                full = ia.size == B
                sel = slice(None) if full else ia  # views instead of gathers when the whole batch is running
                ta = t[sel]
                ha = np.minimum(np.maximum(h[sel], 10 * np.spacing(ta)), max_step)
                t_new = np.minimum(ta + ha, t_max)
                ha = t_new - ta
                y_new, l_new, f_new, err, hlam, _ = pair.attempt_step(fun, y[sel], f[sel], ha, rtol, atol,
                                                                      stiff=stiff_on, work=work)
                n_eval[sel] += pair.evals_per_step
                acc = err < 1
                h[sel] = ha * pair.step_factor(err, rejected_before[sel])
                all_acc = bool(acc.all())
                if all_acc:
                    rejected_before[sel] = False
                    ja, asel, ha_acc = ia, sel, ha
                    if full:  # common case: swap in the new arrays instead of copying rows
                        y, f, l_old, loss = y_new, f_new, loss, l_new.copy()
                    else:
                        y[ia], f[ia], l_old = y_new, f_new, loss[ia]
                        loss[ia] = l_new
                    gn = np.sqrt(np.einsum("ij,ij->i", f_new, f_new))
                    t[sel] = t_new
                else:
                    rejected_before[sel] = ~acc
                    last_bad[sel] = ~np.isfinite(err)
                    ja = asel = ia[acc]
                    n_rej[ia[~acc]] += 1
                    l_old = loss[ja]
                    if full:  # a few rows rejected: put their old rows into the new arrays and swap them in
                        rej = ~acc  # (y_new, f_new are the kernel's fresh arrays; l_new may be fun's own: not written)
                        y_new[rej], f_new[rej] = y[rej], f[rej]
                        y, f, loss = y_new, f_new, np.where(acc, l_new, loss)
                    else:
                        y[ja] = y_new[acc]
                        f[ja] = f_new[acc]
                        loss[ja] = l_new[acc]
                    gn = np.linalg.norm(f_new, axis=1)[acc]
                    t[ja] = t_new[acc]
                    hlam = hlam[acc]
                    ha_acc = ha[acc]
                if ja.size:
                    n_acc[asel] += 1
                    rec.add(ja, n_acc[asel], t[asel], loss[asel], gn)
                    # Member finished?
                    at_end = t[asel] >= t_max
                    # gtol = 0 disables the rule: an exactly zero gradient (a start on a saddle) is not convergence
                    conv = (gtol > 0) & (gn <= g_lim[asel]) & (np.abs(l_old - loss[asel]) <= f_lim[asel])
                    done = conv | at_end
                    if stiff_on:
                        sc, calm_count[asel] = stiffness_counts(hlam > pair.stiff_hlambda, stiff_count[asel],
                                                                calm_count[asel])
                        stiff_count[asel] = sc
                        to_stiff = (sc >= stiff_need[asel]) & ~done
                        if to_stiff.any():
                            # explicit cost left at the stability limit: the pair's gradients per step of
                            # stiff_hlambda/λ_max
                            left = (pair.evals_per_step * (t_max - t[asel]) * hlam
                                    / (pair.stiff_hlambda * ha_acc))
                            stay = to_stiff & chooser.stay_explicit(left, n_eval[asel], gtol)
                            stiff_count[ja[stay]] = 0
                            to_stiff &= ~stay
                        done |= to_stiff
                    if save_every is not None:
                        due = ja if save_every == 1 else ja[n_acc[asel] % save_every == 0]
                        rec.save_thetas(due, t[due], y[due], copy=False)  # y[due] is a fresh gather
                    if done.any():
                        for k in np.flatnonzero(done):
                            b = ja[k]
                            if conv[k]:
                                status[b] = "converged"
                                message[b] = (f"|grad L| = {gn[k]:.3g} <= gtol*sqrt(L_scale) and |dL| <= "
                                              f"ftol*L_scale at t = {t[b]:.6g}")
                            elif at_end[k]:
                                status[b], message[b] = "t_max", f"reached t_max = {t_max:g}"
                            else:
                                stiff_members.append(int(b))
                            active[b] = False
                            where[b] = (t[b], loss[b], n_acc[b])
                            rec.save_theta(b, t[b], y[b])
                # Budget and step-size collapse (after rejections).
                used = n_acc[ia] + n_rej[ia]  # attempted steps per member, over all phases
                if not all_acc or used.max() >= max_steps:
                    # only the members out of steps or with a collapsed step (the rest go on), found in one pass
                    flagged = active[ia] & ((used >= max_steps) | ~(h[ia] >= 10 * np.spacing(t[ia])))
                    for b in ia[flagged]:
                        if n_acc[b] + n_rej[b] >= max_steps:
                            status[b], message[b] = "budget", f"max_steps = {max_steps} attempted steps used"
                        elif last_bad[b]:
                            status[b], message[b] = "nan", f"non-finite loss/gradient near t = {t[b]:.6g}"
                        else:
                            status[b], message[b] = "step_too_small", f"step size collapsed at t = {t[b]:.6g}"
                        active[b] = False
                        where[b] = (t[b], loss[b], n_acc[b])
                        rec.save_theta(b, t[b], y[b])
        if not stiff_members:
            break
        back = _stiff_phase(pair, strategy, fun, stiff_members, y, t, h, loss, f, t_max, rtol, atol, gtol, ftol,
                            l_scale, None if time_budget_s is None else time_budget_s - (_time.perf_counter() - start),
                            max_steps, save_every, rec, n_acc, n_rej, n_eval, status, message, where, switch_time)
        stiff_members = []
        for b in back:
            active[b] = True
            stiff_count[b] = calm_count[b] = 0
            stiff_need[b] *= 2
            rejected_before[b] = False

    members: list[MemberTrajectory | None] = [None] * B

    for b in range(B):
        tt, ll, gg, ss = rec.arrays(b)
        members[b] = MemberTrajectory(
            t=tt, loss=ll, grad_norm=gg, t_saved=np.array(rec.theta_t[b]), theta=np.array(rec.theta[b]),
            step_index=ss, status=str(status[b]), message=str(message[b]), status_time=float(where[b, 0]),
            status_loss=float(where[b, 1]), status_step=int(where[b, 2]), gradient_evaluations=int(n_eval[b]),
            n_accepted=int(n_acc[b]), n_rejected=int(n_rej[b]),
            method=pair.name if b not in switch_time else f"{pair.name}+{stiff_label}",
            stiff_switch_time=switch_time.get(b),
        )
    return IntegrationResult(
        members=tuple(members), kind="gradient_flow", seconds=_time.perf_counter() - start,
        options=dict(rtol=rtol, atol=atol, gtol=gtol, ftol=ftol, t_max=t_max, save_every=save_every,
                     stiff_method=stiff_method, explicit=pair.name),
    )


def stiffness_counts(hot: np.ndarray, stiff_count: np.ndarray, calm_count: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Hairer's stiffness counters after one accepted step per member: ``hot`` (h·λ above the pair's threshold)
    adds one to the stiff count; only :data:`NONSTIFF_RESET` consecutive non-stiff steps reset it (an isolated
    accuracy-limited step next to the stability limit does not).  Returns the new (stiff, calm) counts."""
    calm = np.where(hot, 0, calm_count + 1)
    return np.where(hot, stiff_count + 1, np.where(calm >= NONSTIFF_RESET, 0, stiff_count)), calm


def _stiff_phase(pair, strategy, fun, members, y, t, h, loss, f, t_max, rtol, atol, gtol, ftol, l_scale, time_budget_s,
                 max_steps, save_every, rec, n_acc, n_rej, n_eval, status, message, where, switch_time) -> list[int]:
    """Run the stiff strategy on ``members`` (updating the records and state arrays in place); returns the members
    it handed back to DOP853 (status ``"explicit"`` of :class:`~numerics.integrate.stiff.StiffOutput`)."""
    sb = np.array(members)
    # h: the stability-limited DOP853 step (the controller's next proposal), a safe first step for any method
    outs = strategy.finish(fun, y[sb], t[sb], h[sb], t_max, rtol=rtol, atol=atol, gtol=gtol, ftol=ftol,
                           l_scale=l_scale[sb], time_budget_s=time_budget_s,
                           max_steps=np.maximum(1, max_steps - (n_acc[sb] + n_rej[sb])), explicit=pair)
    back = []
    for b, out in zip(members, outs, strict=True):
        switch_time.setdefault(b, float(t[b]))
        n_eval[b] += out.evaluations
        n_rej[b] += out.rejected
        rec.extend(b, np.arange(1, out.t.size + 1) + n_acc[b], out.t, out.loss, out.grad_norm)
        if save_every is not None:
            for k in range(save_every - 1, out.t.size, save_every):
                rec.save_theta(b, out.t[k], out.theta[k])
        n_acc[b] += out.t.size
        if out.t.size:
            y[b], t[b], loss[b] = out.theta[-1], out.t[-1], out.loss[-1]
        rec.save_theta(b, float(t[b]), y[b])
        where[b] = (t[b], loss[b], n_acc[b])
        if out.status == "explicit":
            back.append(b)
            h[b] = out.h_next
        else:
            status[b] = out.status
            message[b] = f"stiff at t = {switch_time[b]:.6g}, switched to {strategy.label}; {out.message}"
    if back:
        f[back] = -evaluate(fun, y[back])[1]
        n_eval[back] += 1
    return back
