"""Dense output of a recorded gradient flow: θ(t) between steps and loss-level crossings (spec §0.7).

The result of :func:`~numerics.integrate.flow.gradient_flow` stores (t, L) at every accepted step but θ only at
every ``save_every``-th one, to bound memory. The DOP853 interpolant of step j (degree 7, error O(h⁸), Hairer's
CONTD8) is rebuilt on demand by *replaying* the recorded steps h_i = t_{i+1} − t_i from the nearest stored θ at
or before t_j (≤ save_every − 1 replayed steps of 12 evaluations each, plus 3 extra evaluations for the
interpolant). Replaying with the recorded step sizes reproduces the original trajectory up to round-off.
For steps taken by the stiff fallback (after ``stiff_switch_time``) the interval is re-integrated with DOP853
instead.

:func:`refine_crossing` root-finds L(θ(t)) = level on that interpolant (Brent's method, loss evaluated by
``fun``). With δθ = O(rtol·|θ|) interpolation error the crossing time error is δL/|dL/dt| ≈ ‖∇L‖·δθ/‖∇L‖²,
i.e. ~1e-10 relative or better during a drop at the default rtol = 1e-10 (tests check 1e-8 relative).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..roots import brent
from .dop853 import GradFun, attempt_step, dense_coefficients, dense_eval, evaluate
from .result import IntegrationResult, MemberTrajectory


class StepInterpolant:
    """θ(t) on [t0, t1] for one member: a DOP853 step polynomial, or a chain of them (``pieces``)."""

    def __init__(self, t0: float, t1: float, y0: np.ndarray | None = None, F: np.ndarray | None = None,
                 pieces: list[StepInterpolant] | None = None):
        self.t0, self.t1, self.y0, self.F, self.pieces = float(t0), float(t1), y0, F, pieces

    def __call__(self, times) -> np.ndarray:
        """θ at ``times`` (scalar → (n,), array (k,) → (k, n))."""
        tt = np.atleast_1d(np.asarray(times, dtype=np.float64))
        if self.pieces is not None:
            out = []
            ends = np.array([p.t1 for p in self.pieces])
            which = np.minimum(np.searchsorted(ends, tt, side="left"), len(self.pieces) - 1)
            for k, tau in zip(which, tt, strict=True):
                out.append(self.pieces[k](tau))
            res = np.array(out)
        else:
            h = self.t1 - self.t0
            x = (tt - self.t0) / h if h > 0 else np.zeros_like(tt)
            k = tt.size
            res = dense_eval(np.broadcast_to(self.y0, (k, self.y0.size)), self.F[:, None, :].repeat(k, 1), x)
        return res[0] if np.ndim(times) == 0 else res


def _member(result: IntegrationResult | MemberTrajectory, member: int | None) -> MemberTrajectory:
    if isinstance(result, MemberTrajectory):
        return result
    if member is None or not 0 <= member < len(result):
        raise InputError(f"member: must be an index in [0, {len(result)}), got {member!r}")
    return result[member]


def _tols(result, rtol, atol):
    opts = getattr(result, "options", {}) or {}
    return (rtol if rtol is not None else opts.get("rtol", 1e-10),
            atol if atol is not None else opts.get("atol", 1e-14))


def step_interpolant(fun: GradFun, result: IntegrationResult | MemberTrajectory, member: int | None, j: int, *,
                     rtol: float | None = None, atol: float | None = None) -> StepInterpolant:
    """Interpolant of θ on the recorded interval [t_j, t_{j+1}] of one gradient-flow member."""
    m = _member(result, member)
    rtol, atol = _tols(result, rtol, atol)
    if not 0 <= j < m.t.size - 1:
        raise InputError(f"j: step index must be in [0, {m.t.size - 1}), got {j}")
    stiff_from = m.stiff_switch_time if m.stiff_switch_time is not None else math.inf
    if m.t[j] >= stiff_from:
        from .flow import gradient_flow  # local import: flow imports nothing from here

        # nearest stored theta at or before t_j (stored times are a subset of the recorded times)
        k = int(np.searchsorted(m.t_saved, m.t[j], side="right")) - 1
        i = int(np.searchsorted(m.t, m.t_saved[k], side="left"))
        y = m.theta[k][None, :].copy()

        if i < j:
            y = gradient_flow(fun, y, m.t[j] - m.t[i], rtol=rtol, atol=atol, gtol=0.0, save_every=None,
                              stiff_method=None)[0].theta_final[None, :]
        sub = gradient_flow(fun, y, m.t[j + 1] - m.t[j], rtol=rtol, atol=atol, gtol=0.0, save_every=1,
                            stiff_method=None)
        pieces = []
        for q in range(sub[0].t.size - 1):
            p = step_interpolant(fun, sub, 0, q, rtol=rtol, atol=atol)
            pieces.append(StepInterpolant(p.t0 + m.t[j], p.t1 + m.t[j], p.y0, p.F))
        return StepInterpolant(m.t[j], m.t[j + 1], pieces=pieces)
    return step_interpolants(fun, m, None, [j], rtol=rtol, atol=atol)[0]  # the DOP853 replay, one row


def step_interpolants(fun: GradFun, result: IntegrationResult | MemberTrajectory, member: int | None, steps, *,
                      rtol: float | None = None, atol: float | None = None) -> list[StepInterpolant]:
    """:func:`step_interpolant` of several recorded intervals ``steps`` (ints) of one member, in that order.

    The DOP853 replays of the intervals before ``stiff_switch_time`` run as one batch: row r starts from the stored
    θ nearest at or before its step and takes its recorded steps, rows leaving the batch as their own step is
    reached, so k interpolants cost the sequential gradient calls of the longest replay instead of k times that
    (each row's arithmetic is that of :func:`step_interpolant`; batched evaluation may differ by round-off).
    """
    m = _member(result, member)
    rtol, atol = _tols(result, rtol, atol)
    js = [int(j) for j in np.asarray(steps, dtype=np.int64).reshape(-1)]
    for j in js:
        if not 0 <= j < m.t.size - 1:
            raise InputError(f"steps: step index must be in [0, {m.t.size - 1}), got {j}")
    stiff_from = m.stiff_switch_time if m.stiff_switch_time is not None else math.inf
    out: dict[int, StepInterpolant] = {}
    batch = sorted({j for j in js if m.t[j] < stiff_from})
    for j in set(js) - set(batch):  # stiff part: re-integrated per interval (step_interpolant)
        out[j] = step_interpolant(fun, m, None, j, rtol=rtol, atol=atol)
    if batch:
        jj = np.array(batch)
        k = np.searchsorted(m.t_saved, m.t[jj], side="right") - 1
        q = np.searchsorted(m.t, m.t_saved[k], side="left")  # current step index of each row
        y = m.theta[k].copy()
        f = -evaluate(fun, y)[1]
        live = np.arange(jj.size)
        while live.size:
            h = m.t[q[live] + 1] - m.t[q[live]]
            y_new, _, f_new, _, _, Z = attempt_step(fun, y[live], f[live], h, rtol, atol, stiff=False)
            done = q[live] == jj[live]
            if done.any():
                F = dense_coefficients(fun, y_new[done], Z[done], h[done])
                for c, r in enumerate(live[done]):
                    j = int(jj[r])
                    out[j] = StepInterpolant(m.t[j], m.t[j + 1], y[r].copy(), F[:, c, :].copy())
            y[live], f[live] = y_new, f_new
            q[live] += 1
            live = live[~done]
    return [out[j] for j in js]


def interpolate(fun: GradFun, result: IntegrationResult | MemberTrajectory, member: int | None, times, *,
                rtol: float | None = None, atol: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """θ and L at arbitrary ``times`` in [0, t_final] of one member (the ``save_at`` of other solvers).

    A time at which θ was stored returns the stored θ (the interpolant of the step starting there evaluates to it
    exactly, x = 0); the other times are read on the step interpolants, built in one batch
    (:func:`step_interpolants`). Returns (theta (k, n), loss (k,)).
    """
    m = _member(result, member)
    tt = np.asarray(times, dtype=np.float64).reshape(-1)
    if tt.size == 0:
        return np.empty((0, m.theta.shape[1])), np.empty(0)
    if not np.isfinite(tt).all() or tt.min() < m.t[0] or tt.max() > m.t[-1]:
        raise InputError(f"times: must lie in [{m.t[0]:g}, {m.t[-1]:g}]")
    j_of = np.clip(np.searchsorted(m.t, tt, side="right") - 1, 0, max(m.t.size - 2, 0))
    out = np.empty((tt.size, m.theta.shape[1]))
    if m.t.size == 1:
        out[:] = m.theta[0]
    else:
        k = np.minimum(np.searchsorted(m.t_saved, tt), m.t_saved.size - 1)
        stored = m.t_saved[k] == tt
        out[stored] = m.theta[k[stored]]
        steps = np.unique(j_of[~stored])
        for j, interp in zip(steps, step_interpolants(fun, m, None, steps, rtol=rtol, atol=atol), strict=True):
            sel = (j_of == j) & ~stored
            out[sel] = interp(tt[sel])
    return out, evaluate(fun, out)[0]


def _crossing_step(m: MemberTrajectory, level: float) -> int | float:
    """Index j of the recorded step [t_j, t_j+1] where the loss first reaches ``level``; or the answer itself
    (t_0 if L(0) ≤ level, NaN if never)."""
    below = np.flatnonzero(m.loss <= level)
    if below.size == 0:
        return math.nan
    j1 = int(below[0])
    return float(m.t[0]) if j1 == 0 else j1 - 1


def _root_in_step(fun: GradFun, m: MemberTrajectory, interp: StepInterpolant, j: int, level: float) -> float:
    def g(tau: float) -> float:
        return float(evaluate(fun, interp(np.array([tau])))[0][0]) - level

    a, b = float(m.t[j]), float(m.t[j + 1])
    ga, gb = g(a), g(b)
    if ga <= 0:  # round-off at the left end
        return a
    if gb > 0:  # round-off at the right end: the recorded loss is ≤ level there
        return b
    return brent(g, a, b, xtol=4 * np.spacing(max(abs(b), 1.0)), rtol=4 * np.finfo(float).eps, maxiter=200)


def _level(level: float) -> float:
    level = float(level)
    if not math.isfinite(level):
        raise InputError(f"level: must be finite, got {level!r}")
    return level


def refine_crossing(fun: GradFun, result: IntegrationResult | MemberTrajectory, member: int | None,
                    level: float, *, rtol: float | None = None, atol: float | None = None) -> float:
    """First time the loss of one member reaches ``level``: inf{t : L(t) ≤ level} (spec §0.7 drop time).

    The crossing step is located on the recorded losses, then L(θ(t)) − level is root-found (Brent, absolute
    time tolerance 4 ulp) on the 7th-order dense interpolant of that step. Returns 0.0 if L(0) ≤ level and
    NaN if the recorded loss never reaches ``level``.
    """
    return float(refine_crossings(fun, result, member, [level], rtol=rtol, atol=atol)[0])


def refine_crossings(fun: GradFun, result: IntegrationResult | MemberTrajectory, member: int | None, levels, *,
                     rtol: float | None = None, atol: float | None = None) -> np.ndarray:
    """:func:`refine_crossing` for several ``levels`` of one member; the interpolants of the crossing steps are
    built in one batch (:func:`step_interpolants`). Returns the times (k,)."""
    m = _member(result, member)
    lv = [_level(x) for x in np.asarray(levels, dtype=np.float64).reshape(-1)]
    found = [_crossing_step(m, x) for x in lv]
    steps = sorted({j for j in found if isinstance(j, int)})
    rtol, atol = _tols(result, rtol, atol)  # the result's options (a bare member has none)
    interps = dict(zip(steps, step_interpolants(fun, m, None, steps, rtol=rtol, atol=atol), strict=True))
    return np.array([_root_in_step(fun, m, interps[j], j, x) if isinstance(j, int) else j
                     for j, x in zip(found, lv, strict=True)], dtype=np.float64)
