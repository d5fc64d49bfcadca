"""Settling threshold ties: a seed whose drop count lies within its run's error of changing is integrated again.

The number of drops is a threshold decision (a dip of the log rate counts when its prominence reaches ln 10), so a
seed whose deciding prominence lies within the run's own error of ln 10 can count one drop more or less at another
tolerance (docs/theory.md §0.7).  Each staircase says how accurate the drop times must be for none of its
prominence decisions to change (``count_tolerance``).  After a chunk's staircases, every seed whose run is not that
accurate (the pair's :meth:`~numerics.integrate.ExplicitPair.drop_time_accuracy` at the run's rtol) is integrated
again at the rtol whose accuracy is a quarter of its ``count_tolerance`` (:func:`_next_rtol`), and again, until the
run is accurate enough or the tolerance reaches :data:`RTOL_FLOOR` (then it is reported unsettled).  atol is
scaled with rtol.  The analyses of a settled seed read its last trajectory; its JSON object says what was done
(``count_settling``).  Cost: only those seeds are integrated again, together, one batch per round
(benchmarks/RESULTS.md, "Threshold ties settled").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numerics
from numerics.integrate import ExplicitPair

MIN_STEP, MAX_STEP = 4.0, 1e4  # each run divides rtol by at least / at most this (_next_rtol)
RTOL_FLOOR = 1e-13  # below this the error of the run is round-off, not the tolerance: stop, unsettled
FINISHED = ("converged", "t_max")  # statuses of a run whose whole staircase was seen


@dataclass
class Settler:
    """How to integrate some seeds of a chunk again: ``rerun(rows, rtol)`` → (fun, result, statuses) for the rows
    (indices into the chunk) at ``rtol`` (atol scaled alike); the chunk's ``rtol``; the explicit ``pair`` it was
    integrated with, whose :meth:`~numerics.integrate.ExplicitPair.drop_time_accuracy` says what a run delivers;
    ``expired()`` says the time budget is used up.  ``seconds``: wall time spent in ``rerun`` so far (integration
    time, reported as such)."""

    rerun: Callable[[list[int], float], tuple[Any, Any, list[str]]]
    rtol: float
    pair: ExplicitPair
    expired: Callable[[], bool]
    seconds: float = 0.0


def finite_or_none(x: float) -> float | None:
    """``x``, or None (JSON null) where it is infinite or NaN: JSON has no inf."""
    return x if math.isfinite(x) else None


def _next_rtol(settler: Settler, rtol: float, count_tolerance: float) -> float:
    """The tolerance of a seed's next run: the one whose drop-time accuracy is a quarter of the ``count_tolerance``
    its last run showed, so that a tolerance that moves by up to three quarters of itself is settled in one more
    run; between 1/:data:`MAX_STEP` and 1/:data:`MIN_STEP` of the last tolerance."""
    wanted = settler.pair.rtol_for_accuracy(0.25 * count_tolerance) if count_tolerance > 0 else 0.0
    return min(max(wanted, rtol / MAX_STEP), rtol / MIN_STEP)


def _record(record: dict[str, Any], rtol: float, status: str, sc: Any, accuracy: float, evals: int) -> None:
    record["rtol"].append(rtol)
    record["status"].append(status)
    record["prominence_margin"].append(None if sc is None else finite_or_none(sc.prominence_margin))
    record["count_tolerance"].append(None if sc is None else finite_or_none(sc.count_tolerance))
    record["drop_time_accuracy"].append(accuracy)
    record["gradient_evaluations"].append(int(evals))


def settle(seeds: list, settler: Settler) -> None:
    """Integrate again, at decreasing rtol, the ``seeds`` (analyses' :class:`~proofs_check.analyses.Seed`, with
    their staircase ``sc``) whose count is a tie at their tolerance; each such seed gets ``settling`` (the JSON
    ``count_settling``, one entry per run in each list) and, once integrated again to a finished run, the new
    ``res``/``b``/``status``/``sc``; ``row`` (the seed's index in the chunk) says which initial point to integrate
    again.  A run that does not finish is recorded (its status) and ends the seed's settling, unsettled."""
    rtol = settler.rtol
    accuracy = settler.pair.drop_time_accuracy(rtol)
    open_ = [s for s in seeds if s.sc is not None and s.status in FINISHED and s.sc.count_tolerance < accuracy]
    for s in open_:
        s.settling = {"rtol": [], "status": [], "prominence_margin": [], "count_tolerance": [],
                      "drop_time_accuracy": [], "gradient_evaluations": [], "settled": False}
        _record(s.settling, rtol, s.status, s.sc, accuracy, s.res[s.b].gradient_evaluations)
    while open_:
        tighter = max(min(_next_rtol(settler, rtol, s.sc.count_tolerance) for s in open_), RTOL_FLOOR)
        if tighter >= rtol or settler.expired():  # at the floor already, or out of time
            return
        rtol = tighter
        accuracy = settler.pair.drop_time_accuracy(rtol)
        mark = time.perf_counter()
        fun, res, statuses = settler.rerun([s.row for s in open_], rtol)
        settler.seconds += time.perf_counter() - mark
        found = numerics.staircases_from_result(res, fun=fun)
        still = []
        for i, (s, sc) in enumerate(zip(open_, found, strict=True)):
            finished = sc is not None and statuses[i] in FINISHED
            _record(s.settling, rtol, statuses[i], sc if finished else None, accuracy, res[i].gradient_evaluations)
            if not finished:
                continue  # the earlier run stands; settled stays False
            s.res, s.b, s.status, s.sc, s.fun = res, i, statuses[i], sc, fun
            if sc.count_tolerance >= accuracy:
                s.settling["settled"] = True
            else:
                still.append(s)
        open_ = still
