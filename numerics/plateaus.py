"""Plateaus and drops of one loss curve (spec §0.7).

Definitions (spec §0.7, project convention):

* plateau levels L_0 > L_1 > … : the loss at the minimum of the rate r(t) = |dL/dt| between two consecutive drops
  (before the first drop: on [t_0, first drop]; after the last: up to the end of the curve). The spec uses dL/dt,
  not dL/d ln t: near a saddle the loss moves as e^{2λt} in plain time, so |dL/dt| is smallest where the curve is
  flattest independently of the time origin, whereas t·|dL/dt| would favour early points of each plateau;
* drop k (k = 1..n): a local maximum of log r whose topographic prominence is at least ``min_log_dip``
  (:func:`numerics.peaks.find_peaks`: separated from higher maxima by valleys that deep; in natural log; default
  ln 10, i.e. the rate must fall ten-fold between two distinct drops) **and** removing at least
  ``min_drop_fraction`` (default 1e-3) of the initial loss: L_{k−1} − L_k ≥ min_drop_fraction·|L(t_0)| (the
  smallest offending drop is merged with its neighbours and the levels are re-read, until all pass). A peak of r at
  the first or last sample is not a drop (a curve that starts dropping at t_0, e.g. a pure exponential, has no
  plateau and no drop);
* drop time t_k = inf{t : L(t) ≤ (L_{k−1} + L_k)/2} searched from the (k−1)-th plateau on; refined by ``crossing``
  (e.g. :func:`numerics.integrate.refine_crossing` on the dense output) if given, else by cubic Hermite
  interpolation when dL/dt is given, else linearly;
* durations Δ_1 = t_1 − t_0 (t_0 = first time of the curve), Δ_k = t_k − t_{k−1}.

With a dense interpolant (:func:`staircase_from_result` with ``fun``) the peaks and valleys are those of the
interpolated rate, not of the samples (docs/theory.md §0.7): every sampled peak with prominence at least
:data:`CANDIDATE_FRACTION` · ``min_log_dip`` is a candidate, its top and the bottom of each valley between
candidates are located on the interpolant, and the prominence test, the drop-fraction merge and the levels use
those values, so the staircase does not depend on where the steps fell.

When the ``levels`` are known (e.g. the closed forms of §6.5) only the drop times are computed; drops whose
midpoint is never reached get NaN and are not counted in ``n_drops``. A curve without drops has one level, the
loss where |dL/dt| is smallest (for a monotone exponential: its last point).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .peaks import find_peaks
from .roots import brent

# The drop time is the first crossing of the midpoint between two plateau levels (docs/theory.md §0.7): the
# fraction of the way down from the lower level. A module constant, so that a test can show that a detector crossing
# elsewhere (e.g. the 55 % point) fails the claims that time drops.
MIDPOINT = 0.5


@dataclass(frozen=True)
class Staircase:
    """Plateau levels, drop times and durations of one loss curve (spec §0.7).

    ``levels`` (n_drops + 1,) decreasing; ``drop_times``, ``durations``, ``midpoints`` (n_drops,);
    ``plateau_times`` (n_drops + 1,) where each level was read (NaN for known levels); ``levels_known``;
    ``prominence_margin``: how close the number of drops came to changing, min |prominence − ``min_log_dip``| over
    the candidate drops whose prominence decides the count (the kept drops, and the candidates the drop-fraction
    merge would keep were they prominent enough; natural log; inf when there is none, e.g. known levels).  The
    count is a threshold decision: a dip whose prominence lies within the run's own error of ln 10 can count as one
    drop at one tolerance and two at another (docs/theory.md §0.7).  From samples alone only the peaks at or above
    the threshold are seen, so there the margin is an upper bound.  ``count_tolerance``: the relative drop-time
    accuracy δ below which no prominence decision can change, min over the same candidates of
    |prominence − ``min_log_dip``| / (2·S·t), S the steepest sampled |d ln r/dt| between the candidate's two valleys
    and t its time (docs/theory.md §0.7, "Settling a tie"; inf when there is no such candidate).  A run whose drop
    times are within δ < ``count_tolerance`` of the exact flow's counts the drops the exact flow counts.
    """

    levels: np.ndarray
    drop_times: np.ndarray
    durations: np.ndarray
    n_drops: int
    midpoints: np.ndarray
    plateau_times: np.ndarray
    levels_known: bool
    prominence_margin: float = math.inf
    count_tolerance: float = math.inf

    def __post_init__(self) -> None:
        for name in ("levels", "drop_times", "durations", "midpoints", "plateau_times"):
            a = np.array(getattr(self, name), dtype=np.float64)
            a.setflags(write=False)
            object.__setattr__(self, name, a)


def _check_curve(t, loss, dloss):
    t = np.asarray(t, dtype=np.float64).reshape(-1)
    L = np.asarray(loss, dtype=np.float64).reshape(-1)
    if t.size != L.size:
        raise InputError(f"loss: length {L.size} differs from t ({t.size})")
    if t.size < 3:
        raise InputError(f"t: need at least 3 points, got {t.size}")
    if not (np.isfinite(t).all() and np.isfinite(L).all()):
        raise InputError("t/loss: contain NaN or inf")
    if not (np.diff(t) > 0).all():
        raise InputError("t: must be strictly increasing")
    d = None
    if dloss is not None:
        d = np.asarray(dloss, dtype=np.float64).reshape(-1)
        if d.size != t.size or not np.isfinite(d).all():
            raise InputError("dloss: must be finite with the length of t")
    return t, L, d


def _cross(t, L, d, level: float, i0: int, crossing: Callable[[float], float] | None) -> float:
    """First t ≥ t[i0] with L(t) ≤ level (NaN if never)."""
    below = np.flatnonzero(L[i0:] <= level)
    if below.size == 0:
        return math.nan
    j1 = i0 + int(below[0])
    if crossing is not None:
        return float(crossing(level))
    if j1 == 0:
        return float(t[0])
    j = j1 - 1
    a, b, La, Lb = t[j], t[j1], L[j], L[j1]
    if d is None or La == Lb:
        return float(a + (La - level) * (b - a) / (La - Lb)) if La != Lb else float(b)
    h = b - a

    def hermite(tau: float) -> float:
        x = (tau - a) / h
        h00, h10 = (1 + 2 * x) * (1 - x) ** 2, x * (1 - x) ** 2
        h01, h11 = x * x * (3 - 2 * x), x * x * (x - 1)
        return h00 * La + h10 * h * d[j] + h01 * Lb + h11 * h * d[j1] - level

    if hermite(a) * hermite(b) > 0:
        return float(a + (La - level) * h / (La - Lb))

    return brent(hermite, a, b, xtol=1e-15 * max(1.0, abs(b)))


def _crosses(t, L, d, mids: np.ndarray, starts: np.ndarray, crossing) -> np.ndarray:
    """Drop times of all ``mids`` (searched from ``starts``)."""
    return np.array([_cross(t, L, d, m, int(i0), crossing) for m, i0 in zip(mids, starts, strict=True)])


def detect_staircase(
    t,
    loss,
    *,
    dloss=None,
    levels=None,
    crossing: Callable[[float], float] | None = None,
    min_drop_fraction: float = 1e-3,
    min_log_dip: float = math.log(10.0),
) -> Staircase:
    """Plateau levels, drop times and durations of the curve (t, L) (spec §0.7; rules in the module docstring).

    Parameters
    ----------
    t, loss : (m,) arrays
        Times (strictly increasing) and losses.
    dloss : (m,) array, optional
        dL/dt at the same points (gradient flow: −‖∇L‖², exact); default: ``np.gradient`` (2nd order).
    levels : sequence, optional
        Known plateau levels L_0 > L_1 > … (then only the crossings are computed).
    crossing : callable, optional
        ``level -> first time L ≤ level`` on a dense interpolant, used to refine each drop time.
    min_drop_fraction, min_log_dip : float
        Detection thresholds (module docstring).
    """
    t, L, d = _check_curve(t, loss, dloss)
    plan = _plan(t, L, d, levels, min_drop_fraction, min_log_dip, refine=False)
    if isinstance(plan, Staircase):
        return plan
    plan.select()
    return plan.finish(_crosses(t, L, d, plan.mids, plan.starts, crossing))


def _prominences(peaks: np.ndarray, valleys: np.ndarray) -> np.ndarray:
    """Topographic prominence of each peak of the alternating profile v_0, p_1, v_1, …, p_K, v_K (log rates): its
    height above the higher of the lowest valleys on either side before a higher peak (or the end)."""
    out = np.empty(peaks.size)
    for i, h in enumerate(peaks):
        lo_left = valleys[i]
        for j in range(i - 1, -1, -1):
            if peaks[j] > h:
                break
            lo_left = min(lo_left, valleys[j])
        lo_right = valleys[i + 1]
        for j in range(i + 1, peaks.size):
            if peaks[j] > h:
                break
            lo_right = min(lo_right, valleys[j + 1])
        out[i] = h - max(lo_left, lo_right)
    return out


def _nearest(kept: list[int], rejected: list[int], value: np.ndarray, decides: Callable[[int], bool]) -> float:
    """min ``value`` over the candidates whose prominence decides the count: the ``kept`` drops, and each rejected
    candidate the drop-fraction merge would keep were it prominent enough (``decides``; not one the merge removes
    anyway, e.g. a ripple of the converged tail); inf if there is none.  Rejected candidates are tried in increasing
    ``value``, so the search stops at the first that decides (or once none is below the kept drops' minimum)."""
    best = float(value[kept].min()) if kept else math.inf
    for c in sorted(rejected, key=value.__getitem__):
        if value[c] >= best:
            break
        if decides(c):
            return float(value[c])
    return best


class _Plan:
    """One curve on its way to a :class:`Staircase`, shared by :func:`detect_staircase` and
    :func:`staircases_from_result` (which refines many curves' candidates, then their crossings, in batches).

    Unknown levels: candidate drops (sampled peaks of log r) with the slowest sample between each two as the valley.
    With a dense interpolant (``judge``) a provisional selection on the samples (every candidate kept, then the
    drop-fraction merge) says which points matter: the doubtful peaks that survive it (sampled prominence below
    the threshold, which the samples can only underestimate) and the slowest valley of each surviving stretch.
    :meth:`refine` replaces those samples by the interpolant's extremes; :meth:`select` keeps the drops
    (prominence on the refined values, then the drop-fraction merge) and reads the levels at the slowest point
    between kept drops.  Candidates in the noise after the last drop never survive the merge, so they cost
    nothing."""

    def __init__(self, t, L, d, *, logr=None, candidates=None, prominences=None, levels=None,
                 min_drop_fraction=0.0, min_log_dip=0.0, judge=False):
        self.t, self.L, self.d = t, L, d
        self.known = levels is not None
        self.min_drop_fraction, self.min_log_dip, self.judge = min_drop_fraction, min_log_dip, judge
        self.asked = np.zeros(0, dtype=np.int64)
        self.fastest = np.zeros(0, dtype=bool)
        self.margin, self.tolerance = math.inf, math.inf
        if self.known:
            self.levels = np.asarray(levels, dtype=np.float64)
            self.times = np.full(self.levels.size, np.nan)
            self.starts = np.zeros(self.levels.size - 1, dtype=np.int64)
            self.n = 0
            return
        self.logr = logr
        self.peaks = np.asarray(candidates, dtype=np.int64)
        bounds = [0, *self.peaks.tolist(), t.size - 1]
        self.valleys = np.array([lo + int(np.argmin(logr[lo : hi + 1]))
                                 for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)], dtype=np.int64)
        self.peak_logr = logr[self.peaks].astype(np.float64)
        self.valley_logr = logr[self.valleys].astype(np.float64)
        self.valley_t, self.valley_L = t[self.valleys].astype(np.float64), L[self.valleys].astype(np.float64)
        self.sampled_prominences = np.asarray(prominences if prominences is not None else np.zeros(0), dtype=float)
        self.doubtful = self.sampled_prominences < min_log_dip if prominences is not None else \
            np.zeros(self.peaks.size, dtype=bool)
        if judge:
            kept, pick = self._merge(list(range(self.peaks.size)))
            self.ask_peaks = np.array([i for i in kept if self.doubtful[i]], dtype=np.int64)
            self.ask_valleys = np.array([v for v in pick if 0 < self.valleys[v] < t.size - 1], dtype=np.int64)
            self.asked = np.concatenate([self.peaks[self.ask_peaks], self.valleys[self.ask_valleys]])
            self.fastest = np.concatenate([np.ones(self.ask_peaks.size, bool), np.zeros(self.ask_valleys.size, bool)])

    def refine(self, times: np.ndarray, losses: np.ndarray, rates: np.ndarray) -> None:
        """Take the interpolant's extremes (in the order of ``asked``) for the points that matter."""
        k = self.ask_peaks.size
        with np.errstate(divide="ignore"):
            logr = np.log(np.maximum(rates, 1e-300))
        self.peak_logr[self.ask_peaks] = np.maximum(self.peak_logr[self.ask_peaks], logr[:k])
        lower = logr[k:] < self.valley_logr[self.ask_valleys]
        pick = self.ask_valleys[lower]
        self.valley_logr[pick] = logr[k:][lower]
        self.valley_t[pick] = times[k:][lower]
        self.valley_L[pick] = losses[k:][lower]

    def _merge(self, kept: list[int]) -> tuple[list[int], list[int]]:
        """The drop-fraction merge (module docstring) of the candidate peaks ``kept``: the surviving peaks and the
        slowest candidate valley of each stretch between them."""
        limit = self.min_drop_fraction * (abs(self.L[0]) if self.L[0] != 0 else 1.0)
        # Python lists: a handful of candidates per curve, where one NumPy call per stretch costs more than the work.
        # The valleys are finite (sampled, or replaced only by a lower, hence finite, refined value), so min() and
        # index() pick what argmin would (the first smallest).
        vlog, vL = self.valley_logr.tolist(), self.valley_L.tolist()
        while True:
            edges = [0, *[i + 1 for i in kept], self.peaks.size + 1]
            pick = [min(range(lo, hi), key=vlog.__getitem__) for lo, hi in zip(edges[:-1], edges[1:], strict=True)]
            lv = [vL[v] for v in pick]
            removed = [a - b for a, b in zip(lv[:-1], lv[1:], strict=True)]
            if not kept or min(removed) >= limit:
                return kept, pick
            del kept[removed.index(min(removed))]  # merge the weakest drop into its neighbours

    def select(self) -> None:
        """Keep the drops and read the levels (class docstring); a no-op for known levels."""
        if self.known:
            return
        keep = np.ones(self.peaks.size, bool)
        if self.judge and self.peaks.size:
            prominence = _prominences(self.peak_logr, self.valley_logr)
            keep = prominence >= self.min_log_dip
        else:  # the sampled peaks that passed find_peaks' floor (= min_log_dip)
            prominence = self.sampled_prominences
        kept, pick = self._merge(list(np.flatnonzero(keep)))
        self.n = len(kept)
        self.levels, self.times = self.valley_L[pick].copy(), self.valley_t[pick].copy()
        self.starts = self.valleys[pick][:-1]
        if not self.peaks.size:
            return
        gap = np.abs(np.asarray(prominence, dtype=float) - self.min_log_dip)
        # the drop-time accuracy each decision tolerates: gap / (2·S·t) (docs/theory.md §0.7, "Settling a tie")
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = gap / (2.0 * self._flank_slopes() * self.t[self.peaks])
        ratio = np.where(np.isnan(ratio), math.inf, ratio)
        rejected = np.flatnonzero(~keep).tolist()
        decides = functools.cache(lambda c: c in self._merge(sorted([*kept, c]))[0])  # one merge per candidate
        self.margin = _nearest(kept, rejected, gap, decides)
        self.tolerance = _nearest(kept, rejected, ratio, decides)

    def _flank_slopes(self) -> np.ndarray:
        """Per candidate, the steepest sampled |d ln r/dt| between its two valleys (the flanks whose relative
        position sets its prominence)."""
        v = self.valleys
        slope = np.abs(np.diff(self.logr[: v[-1] + 1]) / np.diff(self.t[: v[-1] + 1]))
        return np.maximum.reduceat(slope, v[:-1])

    @property
    def mids(self) -> np.ndarray:
        lv = self.levels
        return lv[1:] + MIDPOINT * (lv[:-1] - lv[1:])

    def reached(self) -> np.ndarray:
        return np.array([bool((self.L[i0:] <= m).any()) for m, i0 in zip(self.mids, self.starts, strict=True)],
                        dtype=bool)

    def finish(self, drops: np.ndarray) -> Staircase:
        n = int(np.isfinite(drops).sum()) if self.known else self.n
        return Staircase(levels=self.levels, drop_times=drops,
                         durations=np.diff(np.concatenate([[self.t[0]], drops])), n_drops=n, midpoints=self.mids,
                         plateau_times=self.times, levels_known=self.known, prominence_margin=self.margin,
                         count_tolerance=self.tolerance)


#: With a dense interpolant, sampled peaks of log r down to this fraction of ``min_log_dip`` are candidates: the
#: samples can only underestimate a drop's prominence (they miss the top of its peak and the bottom of its
#: valleys), so a drop whose sampled prominence fell below the threshold is judged again on the interpolant.
CANDIDATE_FRACTION = 0.5


def _plan(t, L, d, levels, min_drop_fraction: float, min_log_dip: float, refine: bool) -> _Plan | Staircase:
    """The candidates of a checked curve (or the finished staircase of a flat one)."""
    if levels is not None:
        lv = np.asarray(levels, dtype=np.float64).reshape(-1)
        if lv.size < 1 or not np.isfinite(lv).all() or (lv.size > 1 and not (np.diff(lv) < 0).all()):
            raise InputError("levels: must be finite and strictly decreasing")
        return _Plan(t, L, d, levels=lv)
    if not (0 <= min_drop_fraction < 1):
        raise InputError(f"min_drop_fraction: must be in [0, 1), got {min_drop_fraction}")
    rate = np.abs(d) if d is not None else np.abs(np.gradient(L, t))
    top = rate.max()
    if top == 0:  # perfectly flat curve: one plateau, no drop
        return Staircase(levels=L[:1], drop_times=np.empty(0), durations=np.empty(0), n_drops=0,
                         midpoints=np.empty(0), plateau_times=t[:1], levels_known=False)
    logr = np.log(np.maximum(rate, top * 1e-250))
    floor = min_log_dip * (CANDIDATE_FRACTION if refine else 1.0)
    candidates, prominences = find_peaks(logr, prominence=floor)
    return _Plan(t, L, d, logr=logr, candidates=candidates, prominences=prominences,
                 min_drop_fraction=min_drop_fraction, min_log_dip=min_log_dip, judge=refine)


def staircase_from_result(result, member: int = 0, *, fun=None, levels=None, **kwargs) -> Staircase:
    """:func:`detect_staircase` on one member of an :class:`~numerics.integrate.IntegrationResult`.

    For gradient flow dL/dt = −‖∇L‖² is exact at the recorded points; with ``fun`` the drops are located and the
    plateau levels read on the dense output (:func:`numerics.integrate.rate_extremes_many`) and each drop time is
    refined there (:func:`numerics.integrate.refine_crossings_many`; ~1e-10 relative at the default rtol).  The
    same computation as :func:`staircases_from_result` for one member.
    """
    return staircases_from_result(result, [member], fun=fun, levels=levels, _raise=True, **kwargs)[0]


def staircases_from_result(result, members=None, *, fun=None, levels=None, _raise: bool = False,
                           **kwargs) -> list[Staircase | None]:
    """:func:`staircase_from_result` for several ``members`` (default: all) at once.

    The candidate drops are found member by member on the recorded samples; with ``fun`` (gradient flow) the peaks
    and valleys of all members' rates, then all their drop times, are refined together on the dense output (one
    batched replay of the steps involved and one batched loss-and-gradient evaluation per iteration of the
    extremum search and of Newton's method, instead of one call per point and iteration).  A member with
    fewer than 3 recorded points (nothing to detect) gets None.
    """
    from .integrate.dense import rate_extremes_many, refine_crossings_many

    members = range(len(result)) if members is None else list(members)
    flow = result.is_flow
    refine = flow and fun is not None
    min_drop_fraction = kwargs.pop("min_drop_fraction", 1e-3)
    min_log_dip = kwargs.pop("min_log_dip", math.log(10.0))
    if kwargs:
        raise InputError(f"{next(iter(kwargs))}: not an option of staircases_from_result")
    plans: list[_Plan | Staircase | None] = []
    for b in members:
        m = result[b]
        try:
            t, L, d = _check_curve(m.t, m.loss, -m.grad_norm**2 if flow else None)
            plans.append(_plan(t, L, d, levels, min_drop_fraction, min_log_dip, refine))
        except InputError:
            if _raise:
                raise
            plans.append(None)
    work = [(b, p) for b, p in zip(members, plans, strict=True) if isinstance(p, _Plan)]
    if refine:
        asked = [(b, p) for b, p in work if p.asked.size]
        found = rate_extremes_many(fun, result, [(b, p.asked, p.fastest) for b, p in asked])
        for (_, p), extremes in zip(asked, found, strict=True):
            p.refine(*extremes)
    for _, p in work:
        p.select()
    out_of: dict[int, Staircase] = {}
    requests, owners = [], []
    for b, p in work:
        if not refine:
            out_of[id(p)] = p.finish(_crosses(p.t, p.L, p.d, p.mids, p.starts, None))
            continue
        hit = p.reached()
        owners.append((p, hit))
        requests.append((b, p.mids[hit]))
    if requests:
        for (p, hit), times in zip(owners, refine_crossings_many(fun, result, requests), strict=True):
            drops = np.full(hit.size, math.nan)
            drops[hit] = times
            out_of[id(p)] = p.finish(drops)
    return [p if (p is None or isinstance(p, Staircase)) else out_of[id(p)] for p in plans]
