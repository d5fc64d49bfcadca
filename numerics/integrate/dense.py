"""Dense output of a recorded gradient flow: θ(t) between steps and loss-level crossings (spec §0.7).

The result of :func:`~numerics.integrate.flow.gradient_flow` stores (t, L) at every accepted step but θ only at
every ``save_every``-th one, to bound memory. The interpolant of step j of the member's explicit pair (DOP853:
degree 7, error O(h⁸), Hairer's CONTD8, 3 extra evaluations; RK45: SciPy's degree-4 interpolant, no extra
evaluation) is rebuilt on demand by *replaying* the recorded steps h_i = t_{i+1} − t_i from the nearest stored θ
at or before t_j (≤ save_every − 1 replayed steps). Replaying with the recorded step sizes reproduces the original
trajectory up to round-off. For steps taken by the stiff fallback (after ``stiff_switch_time``) the interval is
re-integrated with the explicit pair instead.

:func:`refine_crossing` root-finds L(θ(t)) = level on that interpolant (safeguarded Newton with dL/dt = −‖∇L‖²,
loss and gradient evaluated by ``fun``). With δθ = O(rtol·|θ|) interpolation error the crossing time error is
δL/|dL/dt| ≈ ‖∇L‖·δθ/‖∇L‖², i.e. ~1e-10 relative or better during a drop at the default rtol = 1e-10 (tests check
1e-8 relative).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..errors import InputError
from ..roots import brent, newton_many
from ..validation import as_float_array, check_indices
from .dop853 import GradFun, evaluate
from .pairs import DOP853, EXPLICIT_PAIRS, ExplicitPair
from .result import IntegrationResult, MemberTrajectory


class StepInterpolant:
    """θ(t) on [t0, t1] for one member: the step polynomial of an explicit ``pair`` (DOP853 or RK45), or a chain
    of them (``pieces``)."""

    def __init__(self, t0: float, t1: float, y0: np.ndarray | None = None, F: np.ndarray | None = None,
                 pieces: list[StepInterpolant] | None = None, pair: ExplicitPair = DOP853):
        self.t0, self.t1, self.y0, self.F, self.pieces = float(t0), float(t1), y0, F, pieces
        self.pair = pair

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
            res = self.y0 + self.pair.dense_weights(x) @ self.F
        return res[0] if np.ndim(times) == 0 else res


def _member(result: IntegrationResult | MemberTrajectory, member: int | None) -> MemberTrajectory:
    if isinstance(result, MemberTrajectory):
        return result
    return result[check_indices("member", [member], len(result))[0]]


def _pair(m: MemberTrajectory) -> ExplicitPair:
    """The explicit pair a member was integrated with (its ``method``, e.g. "RK45+krylov"; DOP853 by default)."""
    return EXPLICIT_PAIRS.get(str(m.method).split("+")[0], DOP853)


def _stiff_from(m: MemberTrajectory) -> float:
    """The time from which the member's steps were taken by a stiff method (inf if never)."""
    return m.stiff_switch_time if m.stiff_switch_time is not None else math.inf


class _Stack:
    """Step interpolants of one explicit pair stacked for batched evaluation: :meth:`theta` gives θ of rows ``idx``
    at times ``tau`` (one per row), each on its own step's polynomial, as θ_old + Σ_i w_i(x) F_i with the pair's
    weights: one (1, degree) × (degree, n) product per row on the row's own contiguous coefficient block (half the
    passes of the nested evaluation after gathering the rows)."""

    def __init__(self, interps: list[StepInterpolant]):
        self.weights = interps[0].pair.dense_weights
        self.y0 = np.stack([p.y0 for p in interps])
        self.F = np.stack([p.F for p in interps])  # (rows, degree, n)
        self.t0 = np.array([p.t0 for p in interps])
        self.span = np.array([p.t1 - p.t0 for p in interps])

    def theta(self, idx: np.ndarray, tau: np.ndarray) -> np.ndarray:
        span = self.span[idx]
        x = np.where(span > 0, (tau - self.t0[idx]) / np.where(span > 0, span, 1.0), 0.0)
        w = self.weights(x)[:, None, :]
        if idx.size == self.span.size and (idx.size == 0 or (idx[0] == 0 and (np.diff(idx) == 1).all())):
            return self.y0 + np.matmul(w, self.F)[:, 0]  # every row in order: no gathered copy
        return self.y0[idx] + np.matmul(w, self.F[idx])[:, 0]


def _by_pair(interps: list[StepInterpolant]) -> list[list[int]]:
    """Row indices of ``interps`` grouped by explicit pair, each group one batch (a result has one pair)."""
    groups: dict[str, list[int]] = {}
    for r, p in enumerate(interps):
        groups.setdefault(p.pair.name, []).append(r)
    return list(groups.values())


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
    if m.t[j] >= _stiff_from(m):
        from .flow import gradient_flow  # local import: flow imports nothing from here

        # nearest stored theta at or before t_j (stored times are a subset of the recorded times)
        k = int(np.searchsorted(m.t_saved, m.t[j], side="right")) - 1
        i = int(np.searchsorted(m.t, m.t_saved[k], side="left"))
        y = m.theta[k][None, :].copy()

        if i < j:
            y = gradient_flow(fun, y, m.t[j] - m.t[i], rtol=rtol, atol=atol, gtol=0.0, save_every=None,
                              stiff_method=None, explicit=_pair(m))[0].theta_final[None, :]
        sub = gradient_flow(fun, y, m.t[j + 1] - m.t[j], rtol=rtol, atol=atol, gtol=0.0, save_every=1,
                            stiff_method=None, explicit=_pair(m))
        pieces = []
        for q in range(sub[0].t.size - 1):
            p = step_interpolant(fun, sub, 0, q, rtol=rtol, atol=atol)
            pieces.append(StepInterpolant(p.t0 + m.t[j], p.t1 + m.t[j], p.y0, p.F, pair=p.pair))
        return StepInterpolant(m.t[j], m.t[j + 1], pieces=pieces)
    return step_interpolants(fun, m, None, [j], rtol=rtol, atol=atol)[0]  # the explicit replay, one row


def step_interpolants(fun: GradFun, result: IntegrationResult | MemberTrajectory, member: int | None, steps, *,
                      rtol: float | None = None, atol: float | None = None) -> list[StepInterpolant]:
    """:func:`step_interpolant` of several recorded intervals ``steps`` (ints) of one member, in that order.

    The explicit replays of the intervals before ``stiff_switch_time`` run as one batch: row r starts from the stored
    θ nearest at or before its step and takes its recorded steps, rows leaving the batch as their own step is
    reached, so k interpolants cost the sequential gradient calls of the longest replay instead of k times that
    (each row's arithmetic is that of :func:`step_interpolant`; batched evaluation may differ by round-off).
    """
    m = _member(result, member)
    js = [int(j) for j in np.asarray(steps, dtype=np.int64).reshape(-1)]
    for j in js:
        if not 0 <= j < m.t.size - 1:
            raise InputError(f"steps: step index must be in [0, {m.t.size - 1}), got {j}")
    return _interpolants(fun, result, [(m, j) for j in js], rtol, atol)


def _interpolants(fun: GradFun, result, rows: list[tuple[MemberTrajectory, int]], rtol: float | None,
                  atol: float | None) -> list[StepInterpolant]:
    """The interpolants of recorded steps (member m, step j), possibly of several members, in that order: each
    distinct step once, the explicit ones in one batched replay (:func:`_replay`), the stiff ones re-integrated."""
    rtol, atol = _tols(result, rtol, atol)
    keys = {(id(m), j): (m, j) for m, j in rows}
    batch = [mj for mj in keys.values() if mj[0].t[mj[1]] < _stiff_from(mj[0])]
    out = {(id(m), j): step_interpolant(fun, m, None, j, rtol=rtol, atol=atol)
           for m, j in keys.values() if m.t[j] >= _stiff_from(m)}  # stiff part: re-integrated per interval
    out.update(zip([(id(m), j) for m, j in batch], _replay(fun, batch), strict=True))
    return [out[(id(m), j)] for m, j in rows]


#: rows replayed together: the stage arrays of a block (16·rows·n numbers for DOP853) should stay near the cache size,
#: like the integrator's chunks (sweep.BATCH_ELEMENTS; benchmarks/RESULTS.md, "Staircase on the dense output")
REPLAY_BLOCK = 64


def _replay(fun: GradFun, rows: list[tuple[MemberTrajectory, int]]) -> list[StepInterpolant]:
    """The explicit-pair interpolants of recorded steps (member m, step j) before m's stiff switch, as one batch
    per pair (all members of a result share one): row r
    starts from the stored θ of its member nearest at or before t_j and takes the member's recorded steps, leaving
    the batch once its own step is reached (rows of different members and steps run side by side)."""
    if not rows:
        return []
    if len(rows) > REPLAY_BLOCK:  # blocks that keep the stage arrays in cache, as the integrator's chunks do
        return [s for k in range(0, len(rows), REPLAY_BLOCK)
                for s in _replay(fun, rows[k : k + REPLAY_BLOCK])]
    n = rows[0][0].theta.shape[1]
    jj = np.array([j for _, j in rows], dtype=np.int64)
    y = np.empty((len(rows), n))
    q = np.empty(len(rows), dtype=np.int64)  # current step index of each row
    for r, (m, j) in enumerate(rows):
        if m.t_saved.size == m.t.size and m.t_saved[j] == m.t[j]:  # θ stored at every step (save_every=1)
            k = q[r] = j
        else:
            k = int(np.searchsorted(m.t_saved, m.t[j], side="right")) - 1
            q[r] = int(np.searchsorted(m.t, m.t_saved[k], side="left"))
        y[r] = m.theta[k]
    f = -evaluate(fun, y)[1]
    pairs = [_pair(m) for m, _ in rows]
    out: list[StepInterpolant | None] = [None] * len(rows)
    for pair in {p.name: p for p in pairs}.values():
        live = np.array([r for r in range(len(rows)) if pairs[r] is pair], dtype=np.int64)
        work = np.empty((live.size, pair.work_rows, n))  # the stage array, reused by every replayed step
        while live.size:
            h = np.array([rows[r][0].t[q[r] + 1] - rows[r][0].t[q[r]] for r in live])
            # the recorded step sizes were accepted: only the stages are needed, not the error estimate
            y_new, _, f_new, Z = pair.step_stages(fun, y[live], f[live], h, work)
            done = q[live] == jj[live]
            if done.any():
                # with θ stored at every step every row is done after one step: no gathered copies then
                ends = (y_new, Z, h) if done.all() else (y_new[done], Z[done], h[done])
                F = pair.dense_coefficients(fun, *ends)
                starts = y[live[done]]  # a fresh gather: each row keeps a view of its own start
                for c, r in enumerate(live[done]):
                    m, j = rows[r]
                    # views: each batch's F and starts are fresh arrays, so the rows share them instead of copying
                    out[r] = StepInterpolant(m.t[j], m.t[j + 1], starts[c], F[:, c, :], pair=pair)
            y[live], f[live] = y_new, f_new
            q[live] += 1
            live = live[~done]
    return out  # type: ignore[return-value]


def interpolate(fun: GradFun, result: IntegrationResult | MemberTrajectory, member: int | None, times, *,
                rtol: float | None = None, atol: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """θ and L at arbitrary ``times`` in [0, t_final] of one member (the ``save_at`` of other solvers).

    A time at which θ was stored returns the stored θ (the interpolant of the step starting there evaluates to it
    exactly, x = 0); the other times are read on the step interpolants, built in one batch
    (:func:`step_interpolants`). Returns (theta (k, n), loss (k,)).
    """
    return interpolate_many(fun, result, [(member, times)], rtol=rtol, atol=atol)[0]


def interpolate_many(fun: GradFun, result: IntegrationResult | MemberTrajectory, requests, *,
                     rtol: float | None = None, atol: float | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`interpolate` for many members at once: ``requests`` is a sequence of (member, times) and the answer
    the list of their (theta (k, n), loss (k,)), in that order.

    The interpolants of every step involved, across members, are built in one batched replay and the losses come
    from one batched evaluation; each row's arithmetic is that of :func:`interpolate` (batched evaluation may differ
    by round-off).
    """
    plan = []  # per request: (member, times, θ out, rows read on interpolants, their steps)
    rows: list[tuple[MemberTrajectory, int]] = []
    if not isinstance(requests, list | tuple):
        raise InputError(f"requests: must be a list of (member, times) pairs, got {requests!r:.60}")
    for request in requests:
        if not (isinstance(request, tuple | list) and len(request) == 2):
            raise InputError(f"requests: each must be a (member, times) pair, got {request!r:.60}")
        member, times = request
        m = _member(result, member)
        tt = as_float_array("times", times, finite=False).reshape(-1)
        out = np.empty((tt.size, m.theta.shape[1]))
        if tt.size and (not np.isfinite(tt).all() or tt.min() < m.t[0] or tt.max() > m.t[-1]):
            raise InputError(f"times: must lie in [{m.t[0]:g}, {m.t[-1]:g}]")
        free = np.zeros(tt.size, dtype=bool)
        steps = np.empty(0, dtype=np.int64)
        if tt.size and m.t.size == 1:
            out[:] = m.theta[0]
        elif tt.size:
            k = np.minimum(np.searchsorted(m.t_saved, tt), m.t_saved.size - 1)
            stored = m.t_saved[k] == tt
            out[stored] = m.theta[k[stored]]
            free = ~stored
            steps = np.clip(np.searchsorted(m.t, tt[free], side="right") - 1, 0, max(m.t.size - 2, 0))
            rows += [(m, int(j)) for j in np.unique(steps)]
        plan.append((m, tt, out, free, steps))
    interps = iter(_interpolants(fun, result, rows, rtol, atol))
    for _, tt, out, free, steps in plan:
        where = np.flatnonzero(free)
        for j in np.unique(steps):
            sel = where[steps == j]
            out[sel] = next(interps)(tt[sel])
    thetas = [out for _, _, out, _, _ in plan]
    stacked = np.concatenate(thetas) if thetas else np.empty((0, 0))
    losses = evaluate(fun, stacked)[0] if stacked.shape[0] else np.empty(0)
    bounds = np.cumsum([0, *(th.shape[0] for th in thetas)])
    return [(th, losses[bounds[q]: bounds[q + 1]]) for q, th in enumerate(thetas)]


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

    The crossing step is located on the recorded losses, then L(θ(t)) − level is root-found (safeguarded Newton
    with the flow's dL/dt = −‖∇L‖², time tolerance max(4 ulp, :data:`TOLERANCE_SHARE`·rtol·t)) on the dense
    interpolant of that step.
    Returns 0.0 if L(0) ≤ level and NaN if the recorded loss never reaches ``level``.
    """
    return float(refine_crossings(fun, result, member, [level], rtol=rtol, atol=atol)[0])


def refine_crossings(fun: GradFun, result: IntegrationResult | MemberTrajectory, member: int | None, levels, *,
                     rtol: float | None = None, atol: float | None = None) -> np.ndarray:
    """:func:`refine_crossing` for several ``levels`` of one member (:func:`refine_crossings_many` with one
    request). Returns the times (k,)."""
    return refine_crossings_many(fun, result, [(member, levels)], rtol=rtol, atol=atol)[0]


def refine_crossings_many(fun: GradFun, result: IntegrationResult | MemberTrajectory, requests, *,
                          rtol: float | None = None, atol: float | None = None, recheck: bool = True
                          ) -> list[np.ndarray]:
    """:func:`refine_crossings` for many members at once: ``requests`` is a sequence of (member, levels) and the
    answer the list of their crossing times, in that order.

    The interpolants of all crossing steps of all members are built in one batched replay, and the roots are found
    by :func:`~numerics.roots.newton_many` with one batched loss-and-gradient evaluation per iteration.  Crossings
    inside a stiff-method stretch (a chain of re-integrated pieces) are refined one by one (Brent on the pieces).
    A crossing where the interpolant's loss slope disagrees with the flow's (:data:`SLOPE_MISMATCH`) is re-timed on
    a re-integration of its step (``recheck``).  ``rtol``/``atol``: those of the re-integrations (a stiff stretch, a
    re-timing) and of the refinements' stop (default: the result's own).
    """
    rtol, atol = _tols(result, rtol, atol)
    plan = []  # per request: (member trajectory, levels, found step or final answer)
    for member, levels in requests:
        m = _member(result, member)
        lv = [_level(x) for x in np.asarray(levels, dtype=np.float64).reshape(-1)]
        plan.append((m, lv, [_crossing_step(m, x) for x in lv]))
    keys: dict[tuple[int, int], int] = {}
    for m, _, found in plan:
        for j in found:
            if isinstance(j, int) and m.t[j] < _stiff_from(m):
                keys.setdefault((id(m), j), len(keys))
    members = {id(m): m for m, _, _ in plan}
    rows = sorted(keys, key=keys.get)
    interps = _replay(fun, [(members[i], j) for i, j in rows])
    # one root-finding row per (request, level) crossing in an explicit step
    row_of, r_interp, r_level, r_a, r_b = [], [], [], [], []
    answers = [np.array([math.nan if isinstance(j, int) else j for j in found], dtype=np.float64)
               for _, _, found in plan]
    for q, (m, lv, found) in enumerate(plan):
        for i, (j, x) in enumerate(zip(found, lv, strict=True)):
            if not isinstance(j, int):
                continue
            key = keys.get((id(m), j))
            if key is None:  # stiff stretch: the scalar path
                answers[q][i] = _root_in_step(fun, m, step_interpolant(fun, m, None, j, rtol=rtol, atol=atol), j, x)
                continue
            row_of.append((q, i))
            r_interp.append(interps[key])
            r_level.append(x)
            r_a.append(float(m.t[j]))
            r_b.append(float(m.t[j + 1]))
    for rows_p in _by_pair(r_interp):
        roots, suspect = _roots(fun, [r_interp[r] for r in rows_p], np.array(r_level)[rows_p],
                                np.array(r_a)[rows_p], np.array(r_b)[rows_p], rtol)
        for r, t, bad in zip(rows_p, roots, suspect, strict=True):
            q, i = row_of[r]
            again = _retimed(fun, r_interp[r], r_level[r], rtol, atol) if bad and recheck else math.nan
            # the re-integrated step may end above the level when the recorded end was below it only by the
            # step's own error: then the interpolant's root is all there is
            answers[q][i] = again if math.isfinite(again) else t
    return answers


def _retimed(fun: GradFun, interp: StepInterpolant, level: float, rtol: float, atol: float) -> float:
    """The crossing of ``level`` in the step of ``interp``, re-timed on a re-integration of that step from its
    start at rtol × :data:`REINTEGRATE_RTOL` (its own short steps follow the flow)."""
    from .flow import gradient_flow  # local import: flow imports nothing from here

    fine = max(rtol * REINTEGRATE_RTOL, 100 * np.finfo(float).eps)
    sub = gradient_flow(fun, interp.y0[None, :], interp.t1 - interp.t0, rtol=fine, atol=atol * REINTEGRATE_RTOL,
                        gtol=0.0, save_every=1, stiff_method=None, explicit=interp.pair)
    t = refine_crossings_many(fun, sub, [(0, [level])], recheck=False)[0][0]
    return interp.t0 + t


#: |L − level| below this many ulp of the level is round-off of the loss itself: Newton stops there (the crossing
#: time is then as exact as the loss can say)
LOSS_NOISE = 64 * np.finfo(float).eps
#: A crossing is re-timed on a re-integration of its step (at rtol × REINTEGRATE_RTOL) when the loss slope of the
#: step's interpolant at the crossing (a central difference over SLOPE_PROBE of the step) differs from the flow's
#: dL/dt = −‖∇L‖² there by a relative μ with μ > SLOPE_MISMATCH, or μ·h/2 > SLOPE_TIME_FACTOR·rtol·t (the time
#: error such an interpolant may leave, against the one the tolerance allows): the interpolant then does not follow
#: the flow, which happens when one long step at a loose tolerance crosses a whole drop (the error control watches
#: the step's end, not its middle).  Interpolants that follow the flow agree to 1e-2 or better even at rtol 1e-3
#: (benchmarks/RESULTS.md).
SLOPE_MISMATCH = 0.05
SLOPE_TIME_FACTOR = 10.0
SLOPE_PROBE = 1e-4
REINTEGRATE_RTOL = 1e-3


def _roots(fun: GradFun, interps: list[StepInterpolant], level: np.ndarray, a: np.ndarray, b: np.ndarray,
           rtol: float) -> tuple[np.ndarray, np.ndarray]:
    """Crossing times of L(θ_r(t)) = level_r on [a_r, b_r] for step interpolants of one pair, all rows at once
    (the end rules of :func:`_root_in_step`, then :func:`~numerics.roots.newton_many`)."""
    stack = _Stack(interps)

    def g(idx: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        loss, grad = evaluate(fun, stack.theta(idx, tau))
        return loss - level[idx], -np.einsum("ij,ij->i", grad, grad)  # dL/dt = −‖∇L‖² along the flow

    every = np.arange(a.size)
    ga, gb = g(every, a)[0], g(every, b)[0]
    roots = np.where(ga <= 0, a, b)  # round-off at an end: that end (as _root_in_step)
    inner = np.flatnonzero((ga > 0) & (gb <= 0))
    if inner.size:
        # Newton from the secant point, with the flow's dL/dt as the derivative (off from the interpolant's own by
        # the interpolation error, so each step gains that factor); bisection keeps it bracketed
        ai, bi, fa, fb = a[inner], b[inner], ga[inner], gb[inner]
        roots[inner] = newton_many(lambda idx, tau: g(inner[idx], tau), ai, bi, fa, ai + fa * (bi - ai) / (fa - fb),
                                   xtol=np.maximum(4 * np.spacing(np.maximum(np.abs(bi), 1.0)),
                                                   TOLERANCE_SHARE * rtol * np.abs(bi)),
                                   ftol=LOSS_NOISE * np.maximum(np.abs(level[inner]), np.finfo(float).tiny),
                                   maxiter=200)
    # Does the interpolant follow the flow at the root?  Its loss slope must be dL/dt = −‖∇L‖² there.
    suspect = np.zeros(a.size, dtype=bool)
    if inner.size:
        tr, d = roots[inner], SLOPE_PROBE * (b[inner] - a[inner])
        lo = np.maximum(tr - d, a[inner])
        hi = np.minimum(tr + d, b[inner])
        _, flow_slope = g(inner, tr)
        interp_slope = (g(inner, hi)[0] - g(inner, lo)[0]) / np.where(hi > lo, hi - lo, 1.0)
        mismatch = np.abs(interp_slope - flow_slope) / np.maximum(np.abs(flow_slope), np.finfo(float).tiny)
        # the time error this may leave is of order mismatch × half the step: re-time when that is far above the
        # error the tolerance allows (SLOPE_TIME_FACTOR × rtol × t), or the interpolant is plainly off the flow
        suspect[inner] = (mismatch > SLOPE_MISMATCH) | (
            0.5 * mismatch * (b[inner] - a[inner]) > SLOPE_TIME_FACTOR * rtol * np.maximum(np.abs(tr), 1.0))
    return roots, suspect


#: the search of :func:`rate_extremes_many` stops once its bracket is this fraction of the two recorded steps
#: around the sample, or (if larger) :func:`_extreme_stop`'s share of the tolerance.  A level read at a slowest
#: point t* moves by r_min·δt*, which shifts the next midpoint crossing by (r_min/r_mid)·δt*/2 ≤ δt*/20 (a drop's
#: rate r_mid is at least ten times the plateau's r_min): 5e-6·h is below the crossing's own interpolation error
#: at the steps where it matters.  A peak's or valley's *rate* is off by only O(δt*²) (it is an extremum).
EXTREME_BRACKET = 1e-4
#: The refinements on the dense output (crossing times, slowest and fastest points) stop once what is left can move
#: a drop time by at most this share of the time error the run's rtol allows (rtol·t): solving the interpolant
#: beyond its own accuracy buys nothing (docs/theory.md §0.7).  At rtol 1e-12 this is ~1e-14·t, i.e. the round-off
#: limit the crossings had before; at rtol 1e-3 it saves about half of the Newton and search evaluations.
TOLERANCE_SHARE = 1e-2
_INV_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def rate_extremes_many(fun: GradFun, result: IntegrationResult, requests
                       ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The slowest (or fastest) point of the flow around recorded samples, for many members at once.

    ``requests`` is a sequence of (member, sample indices i, fastest flags); the answer is, per request, the times
    t*, losses L(θ(t*)) and rates r(t*) = ‖∇L(θ(t*))‖² (= |dL/dt| on the flow) where r is smallest (largest where
    the flag is set) on [t_{i−1}, t_{i+1}], read on the dense output.  Where θ(t_i) was stored, the slope of log r
    along the flow there, −2 ĝᵀHĝ (one Hessian-vector product along ĝ = ∇L/‖∇L‖), says on which of the two steps
    the extremum lies, and only that step is replayed and searched, starting from the vertex of the parabola with
    that slope through the two recorded ends; otherwise both steps are, starting from the three recorded samples.
    The search is a batched safeguarded parabolic interpolation (one loss-and-gradient evaluation of all rows per
    iteration) down to :data:`EXTREME_BRACKET` of the steps; the recorded sample is kept if nothing on the
    interpolant is more extreme.  A sample at either end of the record, or whose steps were taken by a stiff
    method, is returned as recorded.  This is how :mod:`numerics.plateaus` reads plateau levels and judges
    doubtful drops independently of where the steps fell.
    """
    rtol, _ = _tols(result, None, None)
    answers, rows = [], []
    for q, (member, idx, fastest) in enumerate(requests):
        m = _member(result, member)
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        sign = np.where(np.broadcast_to(np.asarray(fastest, dtype=bool), idx.shape), -1.0, 1.0)
        answers.append((m.t[idx].astype(np.float64), m.loss[idx].astype(np.float64),
                        m.grad_norm[idx].astype(np.float64) ** 2))
        for i, p in enumerate(idx):
            if 0 < p < m.t.size - 1 and m.t[p] < _stiff_from(m) and m.grad_norm[p] > 0:
                rows.append((q, i, m, int(p), float(sign[i])))
    stored = [_stored_theta(m, p) for _, _, m, p, _ in rows]
    one = [r for r, th in enumerate(stored) if th is not None]
    two = [r for r, th in enumerate(stored) if th is None]
    found: dict[int, tuple[float, float, float]] = {}
    if one:
        sign = np.array([rows[r][4] for r in one])
        slope = _log_rate_slope(fun, np.stack([stored[r] for r in one]), sign)
        right = slope < 0  # f = sign·log r decreases into the right step
        steps = [rows[r][3] if go else rows[r][3] - 1 for r, go in zip(one, right, strict=True)]
        interps = _replay(fun, [(rows[r][2], j) for r, j in zip(one, steps, strict=True)])
        for sel in _by_pair(interps):
            res = _one_sided(fun, [interps[k] for k in sel], sign[sel], slope[sel], right[sel],
                             [rows[one[k]] for k in sel], rtol)
            found.update({one[k]: v for k, v in zip(sel, zip(*res, strict=True), strict=True)})
    if two:
        both = _replay(fun, [(rows[r][2], j) for r in two for j in (rows[r][3] - 1, rows[r][3])])
        left, right_ = both[0::2], both[1::2]
        for sel in _by_pair(left):
            res = _two_sided(fun, [left[k] for k in sel], [right_[k] for k in sel],
                             np.array([rows[two[k]][4] for k in sel]), [rows[two[k]] for k in sel], rtol)
            found.update({two[k]: v for k, v in zip(sel, zip(*res, strict=True), strict=True)})
    for r, (t_, l_, r_) in found.items():
        q, i = rows[r][0], rows[r][1]
        answers[q][0][i], answers[q][1][i], answers[q][2][i] = t_, l_, r_
    return answers


def _stored_theta(m: MemberTrajectory, p: int) -> np.ndarray | None:
    """θ at the recorded step p if it was stored (every step with the default ``save_every=1``), else None."""
    k = int(np.searchsorted(m.t_saved, m.t[p]))
    return m.theta[k] if k < m.t_saved.size and m.t_saved[k] == m.t[p] else None


def _log_rate_slope(fun: GradFun, theta: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """d/dt of sign·log ‖∇L‖² along the flow at θ (rows): −2 sign ĝᵀHĝ, with Hĝ by a central difference
    (:func:`~numerics.integrate.krylov.central_hvp`, error ~eps^(2/3) relative)."""
    from .krylov import central_hvp  # local: krylov is only needed here

    _, g = evaluate(fun, theta)
    gn = np.linalg.norm(g, axis=1)
    v = g / np.where(gn > 0, gn, 1.0)[:, None]
    return -2.0 * sign * np.einsum("ij,ij->i", v, central_hvp(fun, theta, g, v))


def _search(value: Callable, x0, x1, x2, f0, f1, f2, l1, stop) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Safeguarded successive parabolic interpolation on bracketing triples x0 < x1 < x2 with f1 ≤ f0, f2;
    ``value(rows, t)`` returns (f, loss) at t.  A golden-section step replaces a vertex outside the bracket (the
    safeguard of Brent's minimiser).  When the parabola's vertex falls within ``stop``/2 of the best point, the
    points ``stop``/2 on either side of it are probed: if neither is lower, the minimum lies within ``stop``/2 of
    the best point and the row is done; else the search goes on from the lower probe (a three-point parabola can
    settle on a point that only its symmetry puts there, when the function is flatter than a parabola).  A row
    whose bracket is below ``stop`` is done too; at most 60 rounds.  Returns (x1, loss at x1, f1)."""
    live = np.flatnonzero(x2 - x0 > stop)
    for _ in range(60):
        if live.size == 0:
            break
        a, b, c = x0[live], x1[live], x2[live]
        fa, fb, fc = f0[live], f1[live], f2[live]
        num = (b - a) ** 2 * (fb - fc) - (b - c) ** 2 * (fb - fa)
        den = (b - a) * (fb - fc) - (b - c) * (fb - fa)
        with np.errstate(divide="ignore", invalid="ignore"):
            u = b - 0.5 * num / den
        tol = 0.5 * stop[live]
        settled = np.isfinite(u) & (np.abs(u - b) < tol)
        golden = np.where(c - b > b - a, b + (1 - _INV_GOLDEN) * (c - b), b - (1 - _INV_GOLDEN) * (b - a))
        u = np.where(~np.isfinite(u) | (u <= a + tol) | (u >= c - tol), golden, u)
        # settled rows: probe b − tol (here, as u) and b + tol (below); the others: their vertex
        u = np.where(settled, np.maximum(b - tol, 0.5 * (a + b)), u)
        probe = live[settled]
        plus = np.minimum(b[settled] + tol[settled], 0.5 * (b[settled] + c[settled]))
        fu_all, lu_all = value(np.concatenate([live, probe]), np.concatenate([u, plus]))
        fu, lu = fu_all[: live.size], lu_all[: live.size]
        fp, lp = fu_all[live.size :], lu_all[live.size :]
        # a settled row whose probes are both no lower is done
        done = np.zeros(live.size, dtype=bool)
        done[settled] = (fu[settled] >= fb[settled]) & (fp >= fb[settled])
        # a settled row whose right probe is the lower one continues from it
        take_plus = np.zeros(live.size, dtype=bool)
        take_plus[settled] = (fp < fb[settled]) & (fp < fu[settled])
        u_plus, f_plus, l_plus = (np.zeros(live.size) for _ in range(3))
        u_plus[settled], f_plus[settled], l_plus[settled] = plus, fp, lp
        u = np.where(take_plus, u_plus, u)
        fu = np.where(take_plus, f_plus, fu)
        lu = np.where(take_plus, l_plus, lu)
        better = (fu < fb) & ~done
        right_of = u > b
        # the new triple: the better point in the middle, bracketed by its neighbours
        x0[live] = np.where(better, np.where(right_of, b, a), np.where(right_of | done, a, u))
        f0[live] = np.where(better, np.where(right_of, fb, fa), np.where(right_of | done, fa, fu))
        x2[live] = np.where(better, np.where(right_of, c, b), np.where(right_of & ~done, u, c))
        f2[live] = np.where(better, np.where(right_of, fc, fb), np.where(right_of & ~done, fu, fc))
        x1[live] = np.where(better, u, b)
        f1[live] = np.where(better, fu, fb)
        l1[live] = np.where(better, lu, l1[live])
        live = live[~done & (x2[live] - x0[live] > stop[live])]
    return x1, l1, f1


def _log_rates(sign: np.ndarray, grad: np.ndarray) -> np.ndarray:
    return sign * np.log(np.maximum(np.einsum("ij,ij->i", grad, grad), 1e-300))


def _sampled_log_rates(rows: list, sign: np.ndarray, k: int) -> np.ndarray:
    """sign·log r at the recorded sample p + k of each row (the rates recorded by the integrator, exact)."""
    return np.array([sg * math.log(max(m.grad_norm[p + k] ** 2, 1e-300))
                     for (_, _, m, p, _), sg in zip(rows, sign, strict=True)])


def _extreme_stop(span: np.ndarray, t: np.ndarray, rtol: float) -> np.ndarray:
    """Bracket at which the extremum search stops: :data:`EXTREME_BRACKET` of the steps, or δt* = 0.2·rtol·t if
    larger, which moves a drop time by at most δt*/20 = :data:`TOLERANCE_SHARE`·rtol·t (:data:`EXTREME_BRACKET`)."""
    return np.maximum(EXTREME_BRACKET * span, 20 * TOLERANCE_SHARE * rtol * np.abs(t))


def _one_sided(fun: GradFun, interps: list[StepInterpolant], sign: np.ndarray, slope: np.ndarray,
               right: np.ndarray, rows: list, rtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The extremum on one recorded step per row, which starts (``right``) or ends at the sample t_p where
    f = sign·log r has ``slope`` (pointing into the step).  The first trial point is the vertex of the parabola
    with that slope at t_p through the step's other recorded end; while a trial point is no better than the
    sample, the step is cut there (f falls from t_p, so the extremum lies between); then :func:`_search`."""
    stack = _Stack(interps)
    t0, span = stack.t0, stack.span

    def value(idx: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        loss, grad = evaluate(fun, stack.theta(idx, tau))
        return _log_rates(sign[idx], grad), loss

    tp = np.array([m.t[p] for _, _, m, p, _ in rows])
    fp, lp = _sampled_log_rates(rows, sign, 0), np.array([m.loss[p] for _, _, m, p, _ in rows])
    to = np.where(right, t0 + span, t0)
    fo = np.where(right, _sampled_log_rates(rows, sign, 1), _sampled_log_rates(rows, sign, -1))
    every = np.arange(tp.size)
    best_t, best_f, best_l = tp.copy(), fp.copy(), lp.copy()
    bracketed = np.zeros(tp.size, dtype=bool)
    u, fu, lu = tp.copy(), fp.copy(), lp.copy()
    for _ in range(8):
        todo = every[~bracketed]
        if todo.size == 0:
            break
        d = to[todo] - tp[todo]
        curv = (fo[todo] - fp[todo] - slope[todo] * d) / (d * d)
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(curv > 0, -slope[todo] / (2 * curv), 0.5 * d)
        x = np.clip(x / d, 0.02, 0.98) * d  # fraction of the (possibly cut) step, away from its ends
        f_new, l_new = value(todo, tp[todo] + x)
        u[todo], fu[todo], lu[todo] = tp[todo] + x, f_new, l_new
        good = f_new < fp[todo]
        bracketed[todo[good]] = True
        to[todo[~good]], fo[todo[~good]] = tp[todo[~good]] + x[~good], f_new[~good]  # cut the step there
    ok = every[bracketed]
    if ok.size:
        lo = np.where(right[ok], tp[ok], to[ok])
        hi = np.where(right[ok], to[ok], tp[ok])
        f_lo = np.where(right[ok], fp[ok], fo[ok])
        f_hi = np.where(right[ok], fo[ok], fp[ok])
        def sub(idx: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return value(ok[idx], tau)

        x1, l1, f1 = _search(sub, lo, u[ok].copy(), hi, f_lo, fu[ok].copy(), f_hi, lu[ok].copy(),
                             _extreme_stop(span[ok], tp[ok], rtol))
        best_t[ok], best_f[ok], best_l[ok] = x1, f1, l1
    return best_t, best_l, np.exp(sign * best_f)


def _two_sided(fun: GradFun, left: list[StepInterpolant], right: list[StepInterpolant], sign: np.ndarray,
               rows: list, rtol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The extremum of f = sign·log ‖∇L(θ(t))‖² over [t_{i−1}, t_{i+1}] per row (θ on the left step's interpolant
    up to t_i, on the right one after), by :func:`_search` from the three recorded samples (exact rates, no
    evaluation; the middle one is the sampled extremum, so they bracket).  Returns (times, losses, rates)."""
    lhs, rhs = _Stack(left), _Stack(right)

    def value(idx: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # both interpolants for the rows (cheaper than choosing each row's coefficients), then the one whose step
        # holds tau
        theta = np.where((tau > rhs.t0[idx])[:, None], rhs.theta(idx, tau), lhs.theta(idx, tau))
        loss, grad = evaluate(fun, theta)
        return _log_rates(sign[idx], grad), loss

    x0, x1, x2 = lhs.t0.copy(), rhs.t0.copy(), rhs.t0 + rhs.span
    l1 = np.array([m.loss[p] for _, _, m, p, _ in rows])
    x1, l1, f1 = _search(value, x0, x1, x2, *(_sampled_log_rates(rows, sign, k) for k in (-1, 0, 1)), l1,
                         _extreme_stop(x2 - x0, x1, rtol))
    return x1, l1, np.exp(sign * f1)
