"""The per-seed analyses of ``s2s simulate`` (``--analysis``), registered by name.

Each :class:`Analysis` names the analyses it needs first, a summary for ``--help``, what it adds to a seed's JSON
object (``add``) and, optionally, work done at once for a part of a chunk's seeds before (``batch``: their
staircases refined together on the dense output, their itineraries and width traces described together).
:data:`ANALYSES` is the registry, in the order they run; :func:`parse_analyses` reads ``--analysis``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import guards
import numerics
from numerics.complexity import complexity_along_many
from numerics.itinerary import MAX_HESSIAN_PARAMS, itineraries

from .problem import Problem
from .settle import Settler, finite_or_none, settle

WIDTH_POINTS = 400  # effective-width samples per member in the JSON output


@dataclass
class Seed:
    """What the analyses of one member read (and the staircase they share): member ``b`` of ``res``, which is
    row ``row`` of the chunk until the seed's count is settled on a new integration (``settler``, None: never;
    :mod:`proofs_check.settle`, whose record is ``settling``); ``visits``, ``width``: its itinerary and width
    trace, once computed."""

    problem: Problem
    fun: Callable
    res: Any
    b: int
    analyses: frozenset[str]
    morse_cache: Any
    status: str
    row: int
    sc: Any = None
    settler: Settler | None = None
    settling: dict[str, Any] | None = None
    visits: list | None = None
    width: Any = None


def _staircases(seeds: list[Seed]) -> None:
    """The staircases of a part of a chunk at once: their drop times are refined in one batch
    (:func:`numerics.staircases_from_result`)."""
    if seeds:
        res = seeds[0].res
        found = numerics.staircases_from_result(res, [s.b for s in seeds],
                                                fun=seeds[0].fun if res.is_flow else None)
        for s, sc in zip(seeds, found, strict=True):
            s.sc = sc
        if seeds[0].settler is not None:
            settle(seeds, seeds[0].settler)


def _add_staircase(s: Seed, out: dict[str, Any]) -> None:
    m, sc = s.res[s.b], s.sc
    if sc is not None:
        levels, drops, durations = sc.levels.tolist(), sc.drop_times.tolist(), sc.durations.tolist()
        # The --json contract: first = initial loss, last = final loss (a run without drops: both).
        levels = [float(m.loss[0]), *levels[1:-1], m.loss_final] if len(levels) > 1 else [float(m.loss[0]),
                                                                                          m.loss_final]
    else:  # fewer than 3 recorded points (e.g. NaN at the first step)
        levels, drops, durations = [float(m.loss[0]), m.loss_final], [], []
    margin = None if sc is None else finite_or_none(sc.prominence_margin)
    out.update(plateau_levels=levels, drop_times=drops, plateau_durations=durations, n_drops=len(drops),
               prominence_margin=margin, count_settling=s.settling)


def _runs(seeds: list[Seed]) -> Iterator[list[Seed]]:
    """The seeds in order, in maximal runs that share one integration (a seed settled on a re-integration has its
    own), so that batched analyses see them in the order of the seeds."""
    for _, run in itertools.groupby(seeds, key=lambda s: id(s.res)):
        yield list(run)


def _itineraries(seeds: list[Seed]) -> None:
    """The one call site of :func:`numerics.itineraries`: the itineraries of a part of a chunk at once, the Morse index
    (numeric Hessian per plateau) only when ``morse`` was asked.  ``morse_cache`` is the Morse-index cache of the
    chunk's point of the sweep in this process (:func:`proofs_check.simulate_cmd.run_chunk`)."""
    for run in _runs([s for s in seeds if s.sc is not None]):
        first = run[0]
        found = itineraries(first.problem.arch, first.problem.task, first.res, [s.b for s in run],
                            staircases=[s.sc for s in run], dense=first.res.is_flow,
                            hessian_index="morse" in first.analyses, max_hessian_params=MAX_HESSIAN_PARAMS,
                            morse_cache=first.morse_cache, sources=[s.problem.seeds[s.row] for s in run])
        for s, visits in zip(run, found, strict=True):
            s.visits = visits


def _add_itinerary(s: Seed, out: dict[str, Any]) -> None:
    out["itinerary"] = [v.to_dict() for v in s.visits] if s.sc is not None else []


def _widths(seeds: list[Seed]) -> None:
    """The effective-width traces of a part of a chunk at once (:func:`numerics.complexity_along_many`; only the
    measure is reported, so a reduced run is read without mapping its θ back)."""
    for run in _runs(seeds):
        first = run[0]
        found = complexity_along_many(first.problem.arch, first.res, first.problem.task, [s.b for s in run],
                                      max_points=WIDTH_POINTS, measure_only=True)
        for s, trace in zip(run, found, strict=True):
            s.width = trace


def _add_width(s: Seed, out: dict[str, Any]) -> None:
    trace = s.width
    out["effective_width"] = {"measure": trace.measure, "t": trace.t.tolist(),
                              "width": trace.effective_width.tolist(),
                              "changes": [list(c) for c in trace.changes()]}
    out["final_effective_width"] = int(trace.effective_width[-1])


@dataclass(frozen=True)
class Analysis:
    """A per-seed analysis: the analyses it ``needs`` first, a ``summary`` for ``--help``, ``add`` (None: it only
    changes how another analysis runs) and ``batch``, run on a part of a chunk's seeds before the ``add`` of any
    of them (work that is cheaper batched across seeds; :func:`proofs_check.simulate_cmd.run_chunk`)."""

    needs: tuple[str, ...]
    summary: str
    add: Callable[[Seed, dict[str, Any]], None] | None
    batch: Callable[[list[Seed]], None] | None = None


# Run in this order; --analysis selects among them (default: all).
ANALYSES: dict[str, Analysis] = {
    "staircase": Analysis((), "plateau levels, drop times, durations", _add_staircase, _staircases),
    "itinerary": Analysis(("staircase",), "the near-fixed point of each plateau", _add_itinerary, _itineraries),
    "morse": Analysis(("itinerary",), "numeric Hessian Morse index per itinerary point (2n gradients each)", None),
    "width": Analysis((), f"effective width over time ({WIDTH_POINTS} points)", _add_width, _widths),
}
DEFAULT_ANALYSES = tuple(ANALYSES)


def parse_analyses(text: str | None, no_hessian: bool = False) -> tuple[str, ...]:
    """``--analysis`` (a comma list of :data:`ANALYSES` names, or ``none``; None: all) minus ``morse`` under
    ``--no-hessian``, in registry order; unknown names or a missing prerequisite raise ``InputError``."""
    if text is None:
        chosen = set(DEFAULT_ANALYSES)
    else:
        names = [t.strip() for t in text.split(",")]
        chosen = set() if names == ["none"] else set(names)
        unknown = sorted(chosen - set(ANALYSES))
        if unknown or "" in names:
            raise guards.invalid("--analysis", text, f"unknown analysis {unknown[0] if unknown else '(empty)'!r}; "
                                 f"a comma list of {', '.join(ANALYSES)}, or none")
        for name in chosen:
            missing = [n for n in ANALYSES[name].needs if n not in chosen]
            if missing:
                raise guards.invalid("--analysis", text, f"{name} needs {missing[0]}; add it to the list")
    if no_hessian:
        chosen.discard("morse")
    return tuple(n for n in ANALYSES if n in chosen)
