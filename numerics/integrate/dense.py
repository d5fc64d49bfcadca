"""Dense output of a recorded gradient flow: θ(t) between steps and loss-level crossings (spec §0.7).

The result of :func:`~numerics.integrate.flow.gradient_flow` stores (t, L) at every accepted step but θ only at
every ``save_every``-th one, to bound memory. The interpolant of step j of the member's explicit pair (DOP853:
degree 7, error O(h⁸), Hairer's CONTD8, 3 extra evaluations; RK45: SciPy's degree-4 interpolant, no extra
evaluation) is rebuilt on demand by *replaying* the recorded steps h_i = t_{i+1} − t_i from the nearest stored θ
at or before t_j (≤ save_every − 1 replayed steps). Replaying with the recorded step sizes reproduces the original
trajectory up to round-off. For steps taken by the stiff fallback (after ``stiff_switch_time``) the interval is
re-integrated with the explicit pair instead.

:func:`refine_crossing` root-finds L(θ(t)) = level on that interpolant (Brent's method, loss evaluated by
``fun``). With δθ = O(rtol·|θ|) interpolation error the crossing time error is δL/|dL/dt| ≈ ‖∇L‖·δθ/‖∇L‖²,
i.e. ~1e-10 relative or better during a drop at the default rtol = 1e-10 (tests check 1e-8 relative).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import InputError
from ..roots import brent, brent_many
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
            k = tt.size
            res = self.pair.dense_eval(np.broadcast_to(self.y0, (k, self.y0.size)),
                                       self.F[:, None, :].repeat(k, 1), x)
        return res[0] if np.ndim(times) == 0 else res


def _member(result: IntegrationResult | MemberTrajectory, member: int | None) -> MemberTrajectory:
    if isinstance(result, MemberTrajectory):
        return result
    if member is None or not 0 <= member < len(result):
        raise InputError(f"member: must be an index in [0, {len(result)}), got {member!r}")
    return result[member]


def _pair(m: MemberTrajectory) -> ExplicitPair:
    """The explicit pair a member was integrated with (its ``method``, e.g. "RK45+krylov"; DOP853 by default)."""
    return EXPLICIT_PAIRS.get(str(m.method).split("+")[0], DOP853)


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
    out.update(zip(batch, _replay(fun, [(m, j) for j in batch], rtol, atol), strict=True))
    return [out[j] for j in js]


def _replay(fun: GradFun, rows: list[tuple[MemberTrajectory, int]], rtol: float, atol: float
            ) -> list[StepInterpolant]:
    """The explicit-pair interpolants of recorded steps (member m, step j) before m's stiff switch, as one batch
    per pair (all members of a result share one): row r
    starts from the stored θ of its member nearest at or before t_j and takes the member's recorded steps, leaving
    the batch once its own step is reached (rows of different members and steps run side by side)."""
    if not rows:
        return []
    n = rows[0][0].theta.shape[1]
    jj = np.array([j for _, j in rows], dtype=np.int64)
    y = np.empty((len(rows), n))
    q = np.empty(len(rows), dtype=np.int64)  # current step index of each row
    for r, (m, j) in enumerate(rows):
        k = int(np.searchsorted(m.t_saved, m.t[j], side="right")) - 1
        q[r] = int(np.searchsorted(m.t, m.t_saved[k], side="left"))
        y[r] = m.theta[k]
    f = -evaluate(fun, y)[1]
    pairs = [_pair(m) for m, _ in rows]
    out: list[StepInterpolant | None] = [None] * len(rows)
    for pair in {p.name: p for p in pairs}.values():
        live = np.array([r for r in range(len(rows)) if pairs[r] is pair], dtype=np.int64)
        while live.size:
            h = np.array([rows[r][0].t[q[r] + 1] - rows[r][0].t[q[r]] for r in live])
            y_new, _, f_new, _, _, Z = pair.attempt_step(fun, y[live], f[live], h, rtol, atol, stiff=False)
            done = q[live] == jj[live]
            if done.any():
                F = pair.dense_coefficients(fun, y_new[done], Z[done], h[done])
                for c, r in enumerate(live[done]):
                    m, j = rows[r]
                    out[r] = StepInterpolant(m.t[j], m.t[j + 1], y[r].copy(), F[:, c, :].copy(), pair=pair)
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


def refine_crossings_many(fun: GradFun, result: IntegrationResult, requests) -> list[np.ndarray]:
    """:func:`refine_crossings` for many members at once: ``requests`` is a sequence of (member, levels) and the
    answer the list of their crossing times, in that order.

    The interpolants of all crossing steps of all members are built in one batched replay, and the roots are found
    by :func:`~numerics.roots.brent_many` with one batched loss evaluation per iteration, the rows taking Brent's
    steps (the same root as :func:`refine_crossing` up to the round-off of the batched loss).  Crossings inside a
    stiff-method stretch (a chain of re-integrated pieces) are refined one by one, as in :func:`refine_crossing`.
    """
    rtol, atol = _tols(result, None, None)
    plan = []  # per request: (member trajectory, levels, found step or final answer)
    for member, levels in requests:
        m = _member(result, member)
        lv = [_level(x) for x in np.asarray(levels, dtype=np.float64).reshape(-1)]
        plan.append((m, lv, [_crossing_step(m, x) for x in lv]))
    keys: dict[tuple[int, int], int] = {}
    for m, _, found in plan:
        stiff_from = m.stiff_switch_time if m.stiff_switch_time is not None else math.inf
        for j in found:
            if isinstance(j, int) and m.t[j] < stiff_from:
                keys.setdefault((id(m), j), len(keys))
    members = {id(m): m for m, _, _ in plan}
    rows = sorted(keys, key=keys.get)
    interps = _replay(fun, [(members[i], j) for i, j in rows], rtol, atol)
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
    for name in {p.pair.name for p in r_interp}:  # one batch per explicit pair (one for a whole result)
        rows_p = [r for r, p in enumerate(r_interp) if p.pair.name == name]
        roots = _roots(fun, [r_interp[r] for r in rows_p], np.array(r_level)[rows_p], np.array(r_a)[rows_p],
                       np.array(r_b)[rows_p])
        for r, t in zip(rows_p, roots, strict=True):
            q, i = row_of[r]
            answers[q][i] = t
    return answers


def _roots(fun: GradFun, interps: list[StepInterpolant], level: np.ndarray, a: np.ndarray, b: np.ndarray
           ) -> np.ndarray:
    """Crossing times of L(θ_r(t)) = level_r on [a_r, b_r] for step interpolants of one pair, all rows at once
    (the end rules of :func:`_root_in_step`, then :func:`~numerics.roots.brent_many`)."""
    dense_eval = interps[0].pair.dense_eval
    y0 = np.stack([p.y0 for p in interps])
    F = np.stack([p.F for p in interps], axis=1)  # (degree, rows, n)
    t0 = np.array([p.t0 for p in interps])
    span = np.array([p.t1 - p.t0 for p in interps])

    def g(idx: np.ndarray, tau: np.ndarray) -> np.ndarray:
        x = np.where(span[idx] > 0, (tau - t0[idx]) / np.where(span[idx] > 0, span[idx], 1.0), 0.0)
        return evaluate(fun, dense_eval(y0[idx], F[:, idx], x))[0] - level[idx]

    every = np.arange(a.size)
    ga, gb = g(every, a), g(every, b)
    roots = np.where(ga <= 0, a, b)  # round-off at an end: that end (as _root_in_step)
    inner = np.flatnonzero((ga > 0) & (gb <= 0))
    if inner.size:
        roots[inner] = brent_many(lambda idx, tau: g(inner[idx], tau), a[inner], b[inner],
                                  xtol=4 * np.spacing(np.maximum(np.abs(b[inner]), 1.0)),
                                  rtol=4 * np.finfo(float).eps, maxiter=200)
    return roots


#: the golden-section search of :func:`slowest_points_many` stops once its bracket is this fraction of the two
#: recorded steps around the sample (29 iterations): the level then moves by at most rate_min·1e-6·h, far below
#: the interpolation error
SLOWEST_BRACKET = 1e-6
_INV_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def slowest_points_many(fun: GradFun, result: IntegrationResult, requests) -> list[tuple[np.ndarray, np.ndarray]]:
    """The slowest point of the flow around recorded samples, for many members at once.

    ``requests`` is a sequence of (member, sample indices i); the answer is, per request, the times t* and losses
    L(θ(t*)) where the descent rate ‖∇L(θ(t))‖² (= |dL/dt| on the flow) is smallest on [t_{i−1}, t_{i+1}], read on
    the dense output of the two recorded steps (a batched golden-section search, one loss-and-gradient evaluation of
    all rows per iteration, started from the recorded sample, which is kept if nothing on the interpolant is
    slower).  A sample at either end of the record, or whose steps were taken by a stiff method, is returned as
    recorded.  This is how :mod:`numerics.plateaus` reads plateau levels independently of where the steps fell.
    """
    rtol, atol = _tols(result, None, None)
    answers, rows = [], []
    for q, (member, idx) in enumerate(requests):
        m = _member(result, member)
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        answers.append((m.t[idx].astype(np.float64), m.loss[idx].astype(np.float64)))
        stiff_from = m.stiff_switch_time if m.stiff_switch_time is not None else math.inf
        for i, p in enumerate(idx):
            if 0 < p < m.t.size - 1 and m.t[p] < stiff_from:
                rows.append((q, i, m, int(p)))
    if not rows:
        return answers
    steps = list(dict.fromkeys((id(m), j) for _, _, m, p in rows for j in (p - 1, p)))
    members = {id(m): m for _, _, m, _ in rows}
    built = dict(zip(steps, _replay(fun, [(members[i], j) for i, j in steps], rtol, atol), strict=True))
    left = [built[(id(m), p - 1)] for _, _, m, p in rows]
    right = [built[(id(m), p)] for _, _, m, p in rows]
    for name in {s.pair.name for s in left}:
        sel = [r for r, s in enumerate(left) if s.pair.name == name]
        t_best, l_best = _golden(fun, [left[r] for r in sel], [right[r] for r in sel],
                                 np.array([rows[r][2].grad_norm[rows[r][3]] ** 2 for r in sel]),
                                 np.array([rows[r][2].loss[rows[r][3]] for r in sel]))
        for r, tb_, lb_ in zip(sel, t_best, l_best, strict=True):
            q, i = rows[r][0], rows[r][1]
            answers[q][0][i], answers[q][1][i] = tb_, lb_
    return answers


def _golden(fun: GradFun, left: list[StepInterpolant], right: list[StepInterpolant], rate0: np.ndarray,
            loss0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched golden-section minimisation of ‖∇L(θ(t))‖² over [left.t0, right.t1] per row (θ on the left step's
    interpolant up to its end, on the right one after); the recorded middle sample (rate0, loss0) is the initial
    best.  Returns (times, losses) of the best point seen per row."""
    dense_eval = left[0].pair.dense_eval
    y0 = np.stack([[s.y0 for s in left], [s.y0 for s in right]])  # (2, rows, n)
    F = np.stack([np.stack([s.F for s in left], axis=1), np.stack([s.F for s in right], axis=1)])  # (2, deg, rows, n)
    t0 = np.array([[s.t0 for s in left], [s.t0 for s in right]])
    span = np.array([[s.t1 - s.t0 for s in left], [s.t1 - s.t0 for s in right]])
    split = t0[1]

    def rate(idx: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        side = (tau > split[idx]).astype(np.int64)
        sp = span[side, idx]
        x = np.where(sp > 0, (tau - t0[side, idx]) / np.where(sp > 0, sp, 1.0), 0.0)
        theta = dense_eval(y0[side, idx], F[side, :, idx].transpose(1, 0, 2), x)
        loss, grad = evaluate(fun, theta)
        return np.einsum("ij,ij->i", grad, grad), loss

    a, b = t0[0].copy(), t0[1] + span[1]
    stop = SLOWEST_BRACKET * (b - a)
    c, d = b - _INV_GOLDEN * (b - a), a + _INV_GOLDEN * (b - a)
    every = np.arange(a.size)
    fc, lc = rate(every, c)
    fd, ld = rate(every, d)
    best_t, best_f, best_l = split.copy(), rate0.astype(np.float64).copy(), loss0.astype(np.float64).copy()
    for tt, ff, ll in ((c, fc, lc), (d, fd, ld)):
        better = ff < best_f
        best_t[better], best_f[better], best_l[better] = tt[better], ff[better], ll[better]
    live = np.flatnonzero(b - a > stop)
    while live.size:
        go_left = fc[live] < fd[live]  # the minimum is in [a, d]
        la, lb = live[go_left], live[~go_left]
        b[la], d[la], fd[la], ld[la] = d[la], c[la], fc[la], lc[la]
        a[lb], c[lb], fc[lb], lc[lb] = c[lb], d[lb], fd[lb], ld[lb]
        new = np.where(go_left, b[live] - _INV_GOLDEN * (b[live] - a[live]),
                       a[live] + _INV_GOLDEN * (b[live] - a[live]))
        f_new, l_new = rate(live, new)
        c[la], fc[la], lc[la] = new[go_left], f_new[go_left], l_new[go_left]
        d[lb], fd[lb], ld[lb] = new[~go_left], f_new[~go_left], l_new[~go_left]
        better = f_new < best_f[live]
        hit = live[better]
        best_t[hit], best_f[hit], best_l[hit] = new[better], f_new[better], l_new[better]
        live = live[b[live] - a[live] > stop[live]]
    return best_t, best_l
