"""Settling threshold ties: a seed whose drop count lies within its run's error of changing is integrated again.

The number of drops is a threshold decision (a dip of the log rate counts when its prominence reaches ln 10), so a
seed whose deciding prominence lies within the run's own error of ln 10 can count one drop more or less at another
tolerance (docs/theory.md §0.7).  After a chunk's staircases, every seed whose ``prominence_margin`` is below
:func:`numerics.count_band` at the run's rtol is integrated again at a tighter rtol (where its band would be a
quarter of its margin, :func:`_next_rtol`), and again, until its margin clears the band of the tolerance it was
integrated at or the tolerance reaches :data:`RTOL_FLOOR` (then it is reported unsettled).  The analyses of a
settled seed read its last trajectory; its JSON object says what was done (``count_settling``).  Cost: only the
seeds in the band are integrated again, together, one batch per round (benchmarks/RESULTS.md: about 1 % of the
seeds at RK45 rtol 1e-3, most settled in one run).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numerics

MIN_STEP, MAX_STEP = 4.0, 1e4  # each run divides rtol by at least / at most this (_next_rtol)
RTOL_FLOOR = 1e-13  # below this the error of the run is round-off, not the tolerance: stop, unsettled


@dataclass
class Settler:
    """How to integrate some seeds of a chunk again: ``rerun(rows, rtol)`` → (fun, result, statuses) for the rows
    (indices into the chunk) at ``rtol``; the chunk's ``rtol`` and the pair's ``drop_time_error``
    (:class:`numerics.integrate.ExplicitPair`); ``expired()`` says the time budget is used up.  ``seconds``: wall
    time spent in ``rerun`` so far (integration time, reported as such)."""

    rerun: Callable[[list[int], float], tuple[Any, Any, list[str]]]
    rtol: float
    drop_time_error: float
    expired: Callable[[], bool]
    seconds: float = 0.0

    def band(self, sc: Any, rtol: float) -> float:
        return numerics.count_band(sc, rtol, self.drop_time_error)


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None  # JSON has no inf


def _next_rtol(record: dict[str, Any]) -> float:
    """The tolerance of a seed's next run: the one at which its band would be a quarter of the margin it showed
    (the band is proportional to rtol), so that a margin that moves by up to three quarters of itself is settled in
    one more run; between 1/:data:`MAX_STEP` and 1/:data:`MIN_STEP` of the last tolerance."""
    rtol, margin, band = record["rtol"][-1], record["prominence_margin"][-1], record["band"][-1]
    ratio = 0.25 * margin / band if margin is not None and band else 1.0 / MIN_STEP
    return rtol * min(max(ratio, 1.0 / MAX_STEP), 1.0 / MIN_STEP)


def settle(seeds: list, settler: Settler) -> None:
    """Integrate again, at decreasing rtol, the ``seeds`` (analyses' :class:`~proofs_check.analyses.Seed`, with
    their staircase ``sc``) whose count is a tie at their tolerance; each such seed gets ``settling`` (the JSON
    ``count_settling``) and, once integrated again, the new ``res``/``b``/``status``/``sc``; ``row`` (the seed's
    index in the chunk) says which initial point to integrate again."""
    rtol = settler.rtol
    open_ = [s for s in seeds if s.sc is not None and s.sc.prominence_margin < settler.band(s.sc, rtol)]
    for s in open_:
        s.settling = {"rtol": [rtol], "prominence_margin": [s.sc.prominence_margin],
                      "band": [_finite(settler.band(s.sc, rtol))],
                      "gradient_evaluations": [s.res[s.b].gradient_evaluations], "settled": False}
    while open_:
        tighter = max(min(_next_rtol(s.settling) for s in open_), RTOL_FLOOR)
        if tighter >= rtol or settler.expired():  # at the floor already, or out of time
            return
        rtol = tighter
        mark = time.perf_counter()
        fun, res, statuses = settler.rerun([s.row for s in open_], rtol)
        settler.seconds += time.perf_counter() - mark
        found = numerics.staircases_from_result(res, fun=fun)
        still = []
        for i, (s, sc) in enumerate(zip(open_, found, strict=True)):
            if sc is None or statuses[i] not in ("converged", "t_max"):
                continue  # the earlier run stands; settled stays False
            band = settler.band(sc, rtol)
            s.res, s.b, s.status, s.sc, s.fun = res, i, statuses[i], sc, fun
            record = s.settling
            record["rtol"].append(rtol)
            record["prominence_margin"].append(_finite(sc.prominence_margin))
            record["band"].append(_finite(band))
            record["gradient_evaluations"].append(res[i].gradient_evaluations)
            if sc.prominence_margin >= band:
                record["settled"] = True
            else:
                still.append(s)
        open_ = still
