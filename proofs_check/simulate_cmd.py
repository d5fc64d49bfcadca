"""``s2s simulate``: gradient flow (or GD) of one architecture on one task, with plateaus, drops, itinerary and
effective width over time (spec §0.6, §0.7, §1.4, §4.3), for one seed or a sweep of up to 10⁵ seeds × init scales
× widths.

Usage::

    s2s simulate ARCH [task options] --width H[,H...] --init-scale EPS[,EPS...] --seed S [--seeds K] [--chunk C]
                 [--method flow|gd] [--lr ETA] [--t-max T] [--analysis staircase,itinerary,morse,width|none]
                 [--json] [--progress|--no-progress] [--executor local|dask [--scheduler ADDRESS] [--jobs N]]
                 [--plot FILE.png [--log-time]]

Task options and seed semantics are those of :mod:`proofs_check.problem` (shared with ``s2s predict``).

Sweeps (:mod:`proofs_check.sweep`): the points of the sweep are the cross product of the ``--init-scale`` list and
the ``--width`` list, ε outer and H inner (``--init-scale 1e-2,1e-4 --width 2,4`` runs (1e-2, 2), (1e-2, 4),
(1e-4, 2), (1e-4, 4)), each with the same seeds S … S+K−1.  Each point's seeds are integrated in chunks of
``--chunk C`` members (default ⌈32768/n⌉ for the n parameters integrated, at most 256, at most ⌈K/(2 jobs)⌉, within
the memory limit; :mod:`proofs_check.sweep`), one
batched integration per chunk; the chunk's seeds are analysed, printed and flushed, and its trajectories dropped
before the next chunk, so memory is bounded by a chunk, not by K.  Chunking changes a seed's results by round-off
only (the batch's BLAS sums).

Output.  ``--json`` prints **JSON lines**: one object per seed per line, in sweep order (points in order, seeds
ascending), for one seed too.  Each object has the fields

* identity: ``architecture``, ``sizes`` (all sizes), ``width`` (H, null if the architecture has none), ``task``,
  ``convention``, ``seed``, ``init_scale``, ``method``, ``lr``, ``t_max``, ``chunk`` (its index in the sweep)
  and ``chunk_size``;
* integration: ``integrator``, ``status`` (converged, t_max, budget, diverged, nan, step_too_small; ``skipped``:
  never integrated, the time budget ran out first; ``error``: its worker failed), ``message``,
  ``status_time``, ``status_loss``, ``t_final``, ``final_loss``, ``gradient_evaluations``, ``steps``, ``seconds``
  (the chunk's batched integration), ``reduced_units`` (null, or the m units of the narrower network the flow was
  integrated as: a rotation-invariant network with H > m units, m its parameters per unit, is exactly one of m
  units after rotating its units, docs/theory.md §3.4; ``--no-reduction`` integrates all H);
* ``analyses``: the analyses computed for it, then their fields: staircase → ``plateau_levels`` (first = initial
  loss, last = final loss), ``drop_times``, ``plateau_durations``, ``n_drops``, ``prominence_margin`` (how close
  the count came to changing: min |prominence − ln 10| over the candidates that decide it, null if none; a margin
  of the order of the run's prominence error, up to ~0.03 at rtol 1e-3, may count one drop more or less at
  another tolerance, docs/theory.md §0.7), ``count_settling`` (null, or for a seed whose count was a tie at its
  tolerance and which was therefore integrated again at tighter ones: one entry per run, the first included, in
  ``rtol``, ``status``, ``prominence_margin``, ``count_tolerance`` (the drop-time accuracy the count needs; null
  where a run did not finish or had no deciding candidate), ``drop_time_accuracy`` (what the run has) and
  ``gradient_evaluations``, and ``settled``; the integration fields and every analysis then describe the last
  finished run; ``--no-settle`` keeps the first count, :mod:`proofs_check.settle`); itinerary → ``itinerary`` (one
  object per plateau: index, label, t, loss, effective_width, morse_index (null without ``morse``), grad_norm,
  degenerate, ...); width → ``effective_width`` ({measure, t, width, changes}) and ``final_effective_width``;
  a seed whose analysis did not fit in ``--time-budget`` has ``"analysis": "skipped: <why>"`` instead;
* ``timing``: wall seconds of ``setup`` (the command's), ``integration``, ``analysis`` and ``output`` (this seed's
  chunk), ``analysis_this_seed``, and ``total`` (from the start of the command to this line).

Analyses (``--analysis``, a comma list, or ``none``; default all four, as before sweeps existed): ``staircase``,
``itinerary`` (needs staircase), ``morse`` (the numeric Hessian Morse index of each itinerary point, 2n gradients
each; needs itinerary; ``--no-hessian`` removes it) and ``width`` (the effective-width trace, 400 points).

Progress: one line per chunk on stderr (seeds done / total, elapsed, rate, ETA) when stderr is a terminal or with
``--progress``; ``--no-progress`` silences it.  Never on stdout.

Executors (:func:`proofs_check.executor.stream_ordered`): ``local`` (default) integrates the chunks on ``--jobs``
forked worker processes of this machine (default: one per CPU, at most 8, and never more than there are chunks;
``--jobs 1`` or a one-chunk run: in this process); ``--executor dask`` sends chunks to the workers of
``--scheduler ADDRESS`` or of a new ``LocalCluster`` of ``--jobs`` processes (needs the ``dask`` extra).  At most
2 × jobs chunks are in flight; each worker pins its BLAS to one thread and returns only the per-seed objects, and
lines are still printed **in seed order** (a chunk that finishes early waits for the earlier ones).  A worker
that dies costs only the chunk it was running (status ``error``).  Dask workers rebuild the problem from the
options, so ``--data FILE`` must be readable on them.

``--plot``: the first :data:`PLOT_SEEDS` seeds of the output are drawn (their (t, loss) records are kept, nothing
else).

Default horizon (``--t-max`` omitted): long enough for the slowest predicted escape, from the task's smallest
target strength c (:func:`numerics.complexity.target_scale`) and ε (spec §6.4, §6.7, §6.8, §6.9):

* escape logarithmic in ε (φ linear in u at lowest order: linear-fc, linear-conv, diagonal-linear, attn-m, relu-fc,
  tanh-fc): t_max = 1.5 · (2/c) · ln(1/ε) + 25/c (twice the leading-order time ln(1/ε)/c of the last mode,
  × 1.5, plus the time for its residual, decaying like e^{−2ct}, to fall by ≈ e^{−50} to the convergence level);
  attn-m uses c = λ_min(Λ)², the rate of its slowest direction;
* power law (degenerate saddles, lowest order q = p + 1 ≥ 3 in θ: quadratic, xtanh-fc, attn-s, deep-linear,
  cubic): t_max = 40 / (c · ε^{q−2}) (the toy blow-up time 1/(c·v_0^{q−2}) with v_0 = ε, × 40); attn-s uses
  c = λ_min(Λ)² (spec §6.8: escape ∝ 1/(λ² v_0));
* dataset tasks: c is only the RMS of the labels, a crude rate (weak directions of the data escape later), so the
  horizon is 10× the above.

Each point of a sweep gets its own default horizon (it depends on ε).  Runs stop earlier once converged
(‖∇L‖ ≤ gtol·√L(θ₀) and |ΔL| ≤ ftol·L(θ₀), see :func:`numerics.gradient_flow`); gtol = min(1e-10, 1e-3·ε^{q−1})
stays below the plateau gradient ≈ ε^{q−1} so that the initial saddle is never mistaken for a minimum.

``--time-budget`` bounds the whole command: setup, every chunk's integration and analysis, and the output share
one :class:`guards.Deadline`.  A chunk's seeds are analysed in parts (batched within a part, each part about
``ANALYSIS_SLICE`` seconds) and the deadline is looked at before each part, so an expired budget overruns by at most
one part.  Seeds whose analysis did not fit are reported with their integration results and
``"analysis": "skipped: ..."``; seeds never reached are reported with ``"status": "skipped"``.

Exit codes: 0 all members finished (converged or t_max); 3 some member diverged, hit NaN, exhausted its
step/time/memory budget, was skipped or lost with its worker, or the analysis or ``--plot`` could not be finished
(its ``status``, ``status_time`` and ``status_loss`` say where; the results are printed first); bad input raises
:class:`guards.InputError` (exit 2 in the CLI's main) before anything is integrated.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

import guards
import numerics
from numerics.complexity import target_scale

from .analyses import ANALYSES, Seed, parse_analyses
from .executor import EXECUTORS, TaskFailed, default_jobs, resolve_executor, stream_ordered
from .problem import (
    Problem,
    add_problem_arguments,
    build_problem,
    power_law_horizon,
    require_target_scale,
)
from .settle import Settler
from .signals import deferred
from .sweep import MAX_SEEDS, Chunk, Point, Progress, default_chunk, plan_chunks

BAD_STATUSES = ("budget", "diverged", "nan", "step_too_small", "skipped", "error")
PLOT_SEEDS = 8  # --plot draws the first this many seeds of the output


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the ``simulate`` options (problem options from :func:`proofs_check.problem.add_problem_arguments`)."""
    add_problem_arguments(parser, sweep=True)
    parser.add_argument("--method", choices=list(METHODS), default="flow",
                        help="; ".join(f"{k}: {m.help}" for k, m in METHODS.items()))
    parser.add_argument("--lr", type=float, default=None, help="learning rate of --method gd (required there)")
    parser.add_argument("--t-max", type=float, default=None,
                        help="final time (default: from the task scale and eps, see the module docstring)")
    parser.add_argument("--rtol", type=float, default=numerics.integrate.DEFAULT_RTOL,
                        help="flow: relative tolerance of the explicit pair")
    parser.add_argument("--atol", type=float, default=numerics.integrate.DEFAULT_ATOL,
                        help="flow: absolute tolerance of the explicit pair")
    parser.add_argument("--integrator", choices=list(numerics.integrate.EXPLICIT_PAIRS), default="DOP853",
                        help="flow: the explicit pair (DOP853: 8th order, the default; RK45: Dormand-Prince 5(4), "
                             "fewer gradients at loose tolerances such as --rtol 1e-5, see benchmarks/RESULTS.md)")
    parser.add_argument("--stiff-method", choices=[*numerics.integrate.STIFF_METHODS, "none"], default="auto",
                        help="flow: strategy once DOP853 is stability-limited (default auto: BDF with a dense "
                             "Jacobian for n <= 100 parameters, else the Jacobian-free Krylov exponential method; "
                             "see numerics.integrate.flow)")
    parser.add_argument("--no-reduction", action="store_true",
                        help="train every unit even where the network is exactly a narrower one (a rotation-invariant "
                             "net with more units than parameters per unit, docs/theory.md §3.4; default: trained as "
                             "that narrower net, the JSON field reduced_units)")
    parser.add_argument("--max-steps", type=int, default=200_000,
                        help="budget: flow attempted steps / GD steps per member (status 'budget', exit 3)")
    parser.add_argument("--time-budget", type=float, default=300.0, metavar="SECONDS",
                        help="wall-clock budget of the whole command, sweep included (default 300; unfinished "
                             "seeds are reported as skipped, exit 3)")
    parser.add_argument("--analysis", default=None, metavar="LIST",
                        help="per-seed analyses, a comma list of " + "; ".join(
                            f"{k} ({a.summary})" for k, a in ANALYSES.items()) + "; or none. Default: all four")
    parser.add_argument("--no-settle", action="store_true",
                        help="flow: keep each seed's first count even where it is a threshold tie (default: such seeds "
                             "are integrated again at a tighter rtol until the count is settled, field count_settling)")
    parser.add_argument("--no-hessian", action="store_true",
                        help="drop 'morse' from the analyses (the numeric Morse index; saves 2n gradients each)")
    parser.add_argument("--chunk", type=int, default=None, metavar="C",
                        help="seeds per batched integration (default: about 32768/n for the n parameters "
                             "integrated, at most 256 and K/(2 jobs), within the memory limit)")
    parser.add_argument("--json", action="store_true",
                        help="JSON lines: one object per seed per line, printed as each chunk finishes")
    parser.add_argument("--progress", action="store_true", default=None,
                        help="one progress line per chunk on stderr (default: only when stderr is a terminal)")
    parser.add_argument("--no-progress", dest="progress", action="store_false", help="no progress lines")
    parser.add_argument("--executor", choices=list(EXECUTORS), default="local",
                        help="local: chunks on this machine (default); dask: chunks on a Dask cluster (dask extra)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a new LocalCluster)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="worker processes: local (default: number of CPUs, at most 8 and at most the number "
                             "of chunks; 1 = in this process) or of the Dask LocalCluster (default: number of CPUs, "
                             "at most 8)")
    parser.add_argument("--plot", metavar="FILE.png",
                        help=f"draw the loss staircase and the effective width of the first {PLOT_SEEDS} seeds")
    parser.add_argument("--log-time", action="store_true", help="--plot: logarithmic time axis")


# ------------------------------------------------------------------------------------------------ horizon


def _rate_scale(problem: Problem) -> float:
    arch, task = problem.arch, problem.task
    if arch.is_attention and isinstance(task, numerics.ICLTask):
        return float(np.linalg.eigvalsh(task.lam).min() ** 2)
    return target_scale(arch, task)


def default_t_max(problem: Problem) -> float:
    """Horizon long enough for the slowest predicted escape (module docstring)."""
    c, eps = _rate_scale(problem), problem.init_scale
    q = problem.arch.total_degree
    crude = 10.0 if isinstance(problem.task, numerics.Dataset | numerics.ICLDataset) else 1.0
    require_target_scale(problem, c)
    if q == 2:
        return crude * (1.5 * (2.0 / c) * max(-math.log(eps), 1.0) + 25.0 / c)
    return power_law_horizon(problem, c, crude * 40.0, q - 2, f"the default horizon 40/(c eps^{q - 2})")


def default_gtol(problem: Problem) -> float:
    """min(1e-10, 1e-3·ε^{q−1}): below the plateau gradient ≈ ε^{q−1} (module docstring)."""
    return min(numerics.integrate.DEFAULT_GTOL, 1e-3 * problem.init_scale ** (problem.arch.total_degree - 1))


# ------------------------------------------------------------------------------------------------ one chunk


def _integrate(problem: Problem, args, t_max: float, deadline: guards.Deadline):
    """(gradient function, result, each member's status) of the chunk ``problem`` by ``--method``."""
    return METHODS[args.method].integrate(problem, args, t_max, deadline)


def _framed(res, reduction):
    """The result carrying the map back to the network asked for (IntegrationResult.frame), if it was reduced."""
    return res if reduction is None else replace(res, frame=reduction)


def _flow(problem: Problem, args, t_max: float, deadline: guards.Deadline):
    arch, theta0, reduction = problem.narrowed(not args.no_reduction)
    fun = numerics.gradient_function(arch, problem.task)
    # the stiff strategy chosen for the network asked for: the reduction changes coordinates, not the method
    stiff = None if args.stiff_method == "none" else (
        numerics.integrate.STIFF_METHODS[args.stiff_method].resolve(problem.arch.n_params).label)
    res = numerics.gradient_flow(fun, theta0, t_max, rtol=args.rtol, atol=args.atol,
                                 gtol=default_gtol(problem), max_steps=args.max_steps,
                                 time_budget_s=deadline.remaining(), stiff_method=stiff, explicit=args.integrator)
    return fun, _framed(res, reduction), [m.status for m in res]


def _descent(problem: Problem, args, t_max: float, deadline: guards.Deadline):
    arch, theta0, reduction = problem.narrowed(not args.no_reduction)
    fun = numerics.gradient_function(arch, problem.task)
    gtol = default_gtol(problem)
    wanted = math.ceil(t_max / args.lr - 1e-9)
    n_steps = min(wanted, args.max_steps)
    record_every = max(1, n_steps // 20_000)
    save_every = max(1, n_steps // record_every // 2_000)
    res = numerics.gradient_descent(fun, theta0, args.lr, n_steps=n_steps, record_every=record_every,
                                    save_every=save_every, gtol=gtol, time_budget_s=deadline.remaining())
    # Hitting the step cap before t_max is a budget stop, not a finished run.
    statuses = ["budget" if (m.status == "t_max" and n_steps < wanted) else m.status for m in res]
    return fun, _framed(res, reduction), statuses


@dataclass(frozen=True)
class Method:
    """A ``--method``: how a chunk is trained (``integrate``), the JSON ``method`` it reports (``result``), whether
    it takes ``--lr`` (required then, refused otherwise) and whether a threshold tie can be settled by integrating
    again at a tighter rtol (``settles``: the flow's tolerance is the only knob of its accuracy)."""

    integrate: Callable[[Problem, Any, float, guards.Deadline], tuple[Any, Any, list[str]]]
    result: str
    takes_lr: bool = False
    settles: bool = False
    help: str = ""


METHODS: MappingProxyType[str, Method] = MappingProxyType({
    "flow": Method(_flow, "gradient_flow", settles=True, help="gradient flow (adaptive explicit pair, default)"),
    "gd": Method(_descent, "gradient_descent", takes_lr=True, help="gradient descent (time = lr x steps)"),
})


def _settler(problem: Problem, args, t_max: float, deadline: guards.Deadline) -> Settler:
    """How this chunk integrates some of its seeds again at a tighter rtol (:mod:`proofs_check.settle`)."""

    def rerun(rows: list[int], rtol: float):
        sub = replace(problem, theta0=problem.theta0[rows], seeds=tuple(problem.seeds[r] for r in rows))
        # atol scaled alike: where it dominates the error scale (θ ~ ε on the first plateau) a tighter rtol alone
        # would not make the run more accurate
        tighter = argparse.Namespace(**{**vars(args), "rtol": rtol, "atol": args.atol * (rtol / args.rtol)})
        return _integrate(sub, tighter, t_max, deadline)

    return Settler(rerun, args.rtol, numerics.integrate.EXPLICIT_PAIRS[args.integrator], deadline.expired)


@dataclass(frozen=True)
class Job:
    """What every chunk needs, picklable for Dask workers: the parsed options (``init_scale``/``width`` as lists),
    the analyses, each point's horizon and the command's deadline as a wall-clock instant (``time.time()``)."""

    args: argparse.Namespace
    analyses: tuple[str, ...]
    t_max: dict[int, float]
    deadline_at: float
    key: str


@dataclass
class ChunkOutput:
    """A finished chunk as it comes back from a worker: per-seed objects (no trajectories), wall seconds of its
    integration and analysis, each seed's analysis seconds, and (t, loss) of its first ``chunk.trace`` members for
    ``--plot``.  ``reports`` is None when the deadline had passed before the chunk started (``stopped`` says why)."""

    chunk: Chunk
    reports: list[dict[str, Any]] | None
    integration: float = 0.0
    analysis: float = 0.0
    per_seed: list[float] = field(default_factory=list)
    traces: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    stopped: str | None = None


def _point_args(args, point: Point, first_seed: int, size: int) -> argparse.Namespace:
    """The options of one point of the sweep, as :func:`build_problem` reads them (single values)."""
    return argparse.Namespace(**{**vars(args), "init_scale": point.init_scale, "width": point.width,
                                 "seed": first_seed, "seeds": size})


# Per process (this one, a local worker or a Dask worker) and per point of a sweep: the problem (architecture,
# task; θ₀ of one seed), built in this process by run() and elsewhere by the first chunk of the point, and the
# Morse-index cache, so that each distinct saddle gets one Hessian per process (numerics.MorseCache: a label's
# index is reused only where it is settled, so the reported indices are those of a Hessian per plateau).
_TEMPLATES: dict[tuple[str, int], Problem] = {}
_MORSE_CACHES: dict[tuple[str, int], Any] = {}
_MAX_PER_PROCESS = 64  # entries kept per cache: a long-lived Dask worker sees many sweeps


def _per_point(cache: dict[tuple[str, int], Any], job: Job, point: Point, make: Callable[[], Any]) -> Any:
    """``cache``'s entry for this point of this sweep, made on first use (the oldest entries go first)."""
    key = (job.key, point.index)
    if key not in cache:
        while len(cache) >= _MAX_PER_PROCESS:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


def _template(job: Job, point: Point) -> Problem:
    return _per_point(_TEMPLATES, job, point, lambda: build_problem(_point_args(job.args, point, job.args.seed, 1)))


def _identity(problem: Problem, args, seed: int, t_max: float, chunk: Chunk) -> dict[str, Any]:
    arch = problem.arch
    return {"architecture": arch.label, "sizes": dict(arch.sizes), "width": arch.sizes.get("width"),
            "task": problem.description, "convention": _convention(), "seed": seed,
            "init_scale": problem.init_scale,
            "method": METHODS[args.method].result,
            "lr": args.lr if METHODS[args.method].takes_lr else None, "t_max": t_max, "chunk": chunk.index,
            "chunk_size": chunk.size}


def _integration_fields(args, res, b: int, status: str) -> dict[str, Any]:
    m = res[b]
    return {"integrator": m.method, "status": status,
            "message": m.message if status == m.status else f"step budget --max-steps={args.max_steps} used before "
                                                            "t_max",
            "status_time": m.status_time, "status_loss": m.status_loss, "t_final": m.t_final,
            "final_loss": m.loss_final, "gradient_evaluations": m.gradient_evaluations, "steps": m.n_accepted,
            "seconds": res.seconds,
            "reduced_units": None if res.frame is None else res.frame.reduced.unit_count}


def _member_report(job: Job, seed: Seed, chunk: Chunk) -> dict[str, Any]:
    out = _identity(seed.problem, job.args, seed.problem.seeds[seed.row], job.t_max[chunk.point.index], chunk)
    out.update(_integration_fields(job.args, seed.res, seed.b, seed.status))
    out["analyses"] = list(job.analyses)
    for name in job.analyses:
        add = ANALYSES[name].add
        if add is not None:
            add(seed, out)
    return out


def run_chunk(job: Job, chunk: Chunk, blas_limit: int | None = None) -> ChunkOutput:
    """Integrate, analyse and describe one chunk (in this process or on a worker); the trajectories never leave
    this function."""
    remaining = job.deadline_at - time.time()
    args = job.args
    if remaining <= 0:
        return ChunkOutput(chunk, None, stopped=f"--time-budget={args.time_budget:g} s used before seed "
                                                f"{chunk.first_seed}{_where(chunk.point)} was reached")
    deadline = guards.Deadline(remaining if math.isfinite(remaining) else None, "--time-budget")
    morse_cache = _per_point(_MORSE_CACHES, job, chunk.point, numerics.MorseCache)
    template = _template(job, chunk.point)
    theta0 = numerics.init_params(template.arch, template.init_scale, seed=chunk.first_seed, n_seeds=chunk.size)
    problem = replace(template, theta0=theta0, seeds=tuple(chunk.seeds))
    # A worker process caps BLAS at one thread (one worker per core); in this process blas_limit is None, the
    # library default (the analysis pins its own small dense algebra, numerics.itinerary).
    with numerics.blas_threads(blas_limit):
        mark = time.perf_counter()
        fun, res, statuses = _integrate(problem, args, job.t_max[chunk.point.index], deadline)
        out = ChunkOutput(chunk, [], integration=time.perf_counter() - mark)
        mark = time.perf_counter()
        settler = _settler(problem, args, job.t_max[chunk.point.index], deadline) if (
            METHODS[args.method].settles and "staircase" in job.analyses and not args.no_settle) else None
        seeds = [Seed(problem, fun, res, b, frozenset(job.analyses), morse_cache, statuses[b], b, settler=settler)
                 for b in range(len(res))]
        again = 0.0  # re-integrations that settled threshold ties are integration time, not analysis
        for part in _parts(seeds):
            if out.stopped is None and deadline.expired():
                out.stopped = (f"--time-budget={args.time_budget:g} s used before the analysis of seed "
                               f"{problem.seeds[part[0].row]}{_where(chunk.point)}")
            shared = 0.0
            if out.stopped is None:
                start, settled = time.perf_counter(), settler.seconds if settler is not None else 0.0
                for name in job.analyses:
                    if ANALYSES[name].batch is not None:
                        ANALYSES[name].batch(part)
                settled = (settler.seconds if settler is not None else 0.0) - settled
                again += settled
                shared = (time.perf_counter() - start - settled) / len(part)  # the batched part, shared equally
            for s in part:
                seed_start = time.perf_counter()
                if out.stopped is not None:
                    report = _identity(problem, args, problem.seeds[s.row], job.t_max[chunk.point.index], chunk)
                    report.update(_integration_fields(args, s.res, s.b, s.status),
                                  analysis=f"skipped: {out.stopped}")
                else:
                    report = _member_report(job, s, chunk)
                out.reports.append(report)
                out.per_seed.append(shared + time.perf_counter() - seed_start)
        out.integration += again
        out.analysis = time.perf_counter() - mark - again
    drawn = [seeds[b].res[seeds[b].b] for b in range(chunk.trace)]  # a settled seed: its last run
    out.traces = [(np.array(m.t), np.array(m.loss)) for m in drawn]
    return out


# A chunk's seeds are analysed in parts, batched within a part; --time-budget is looked at before each part, so a
# part should cost about this many seconds (an expired budget overruns by at most one part).
ANALYSIS_SLICE = 0.25
MAX_PART = 64  # seeds per part at most: enough to amortise a batch's Python round trips


def _parts(seeds: list[Seed]) -> Iterator[list[Seed]]:
    """The seeds in consecutive parts: the first of one seed, each next of as many as the last part's cost per seed
    (measured from yield to resume: its batches and reports) fits in ``ANALYSIS_SLICE``, between 1 and ``MAX_PART``."""
    start, size = 0, 1
    while start < len(seeds):
        part = seeds[start : start + size]
        began = time.perf_counter()
        yield part
        per_seed = (time.perf_counter() - began) / len(part)
        start += len(part)
        size = int(min(MAX_PART, max(1.0, ANALYSIS_SLICE / max(per_seed, 1e-9))))


def _where(point: Point) -> str:
    return f" (eps={point.init_scale:g}" + ("" if point.width is None else f", width={point.width}") + ")"


def _unreached(template: Problem, args, chunk: Chunk, t_max: float, status: str, why: str) -> list[dict[str, Any]]:
    """Objects for seeds that were never integrated (``skipped``: the deadline; ``error``: the worker failed)."""
    out = []
    for seed in chunk.seeds:
        r = _identity(template, args, seed, t_max, chunk)
        r.update(integrator=None, status=status, message=why, status_time=None, status_loss=None, t_final=None,
                 final_loss=None, gradient_evaluations=0, steps=0, seconds=0.0, reduced_units=None,
                 analysis=f"skipped: {why}")
        out.append(r)
    return out


def _convention() -> str:
    from .cli import CONVENTION

    return CONVENTION


# ------------------------------------------------------------------------------------------------ the command


def _validate(args) -> None:
    if args.t_max is not None and not (math.isfinite(args.t_max) and args.t_max > 0):
        raise guards.invalid("--t-max", args.t_max, "must be finite and > 0")
    guards.integer("--max-steps", args.max_steps, minimum=1)
    if not (math.isfinite(args.time_budget) and args.time_budget > 0):
        raise guards.invalid("--time-budget", args.time_budget, "must be a finite number of seconds > 0")
    if not 1 <= args.seeds <= MAX_SEEDS:
        raise guards.invalid("--seeds", args.seeds, f"must be between 1 and {MAX_SEEDS} (every seed prints a line of "
                             f"10-50 kB); continue a longer sweep with --seed {args.seed + MAX_SEEDS}")
    if args.chunk is not None:
        guards.integer("--chunk", args.chunk, minimum=1)
    for opt in ("rtol", "atol"):
        v = getattr(args, opt)
        if not (math.isfinite(v) and v >= 0) or (opt == "rtol" and v <= 0):
            raise guards.invalid("--" + opt, v, "must be finite and " + ("> 0" if opt == "rtol" else ">= 0"))
    with_lr = [k for k, m in METHODS.items() if m.takes_lr]
    if METHODS[args.method].takes_lr:
        if args.lr is None:
            raise guards.invalid("--lr", None, f"required with --method {args.method}")
        if not (math.isfinite(args.lr) and args.lr > 0):
            raise guards.invalid("--lr", args.lr, "must be finite and > 0")
    elif args.lr is not None:
        raise guards.invalid("--lr", args.lr, f"applies only with --method {' or '.join(with_lr)}")
    where = resolve_executor(args.executor, args.scheduler, options=True)
    if not where.available():
        raise guards.invalid("--executor", args.executor,
                             f"needs the optional extra: pip install 's2s-workbench[{where.extra}]'")
    if args.jobs is not None:
        guards.integer("--jobs", args.jobs, minimum=1)
    if args.log_time and not args.plot:
        raise guards.invalid("--log-time", True, "applies only with --plot")
    if args.plot:
        check_png_target(args.plot)


def check_png_target(path: str) -> None:
    """A ``--plot`` target must be a .png in an existing, writable folder, and not an existing folder itself."""
    if not str(path).lower().endswith(".png"):
        raise guards.invalid("--plot", path, "must name a .png file")
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise guards.invalid("--plot", path, "is a folder; name a .png file")
    if not os.path.isdir(folder):
        raise guards.invalid("--plot", path, f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise guards.invalid("--plot", path, "is not writable")



def _setup(args, key: str) -> tuple[list[Point], dict[int, Problem], dict[int, float], dict[int, int]]:
    """Every point's problem (validated before anything runs), horizon and chunk size."""
    widths = args.width if args.width is not None else [None]
    points = [Point(i, eps, w) for i, (eps, w) in enumerate(itertools.product(args.init_scale, widths))]
    templates, t_max, chunks = {}, {}, {}
    for point in points:
        probe = build_problem(_point_args(args, point, args.seed, 1))
        trained = None if args.no_reduction else numerics.reduced_architecture(probe.arch)
        workers = args.jobs if args.jobs is not None else default_jobs()
        size = min(args.chunk if args.chunk is not None else default_chunk((trained or probe.arch).n_params,
                                                                          args.seeds, workers), args.seeds)
        while size > 1:  # the problem's own memory estimate for a batch of `size` seeds
            try:
                build_problem(_point_args(args, point, args.seed, size))
                break
            except guards.InputError as exc:
                if exc.argument != "--seeds":
                    raise
                if args.chunk is not None:
                    raise guards.invalid("--chunk", size, exc.rule.replace("run fewer seeds at a time",
                                                                           "use a smaller --chunk")) from None
                size //= 2
        templates[point.index] = probe
        _TEMPLATES[(key, point.index)] = probe
        t_max[point.index] = float(args.t_max) if args.t_max is not None else default_t_max(probe)
        chunks[point.index] = size
    return points, templates, t_max, chunks


class _Output:
    """Prints each chunk's seeds as soon as the chunk is done: JSON lines, or the text summary."""

    def __init__(self, args, start: float, setup: float):
        self.json, self.start, self.setup = args.json, start, setup
        self.headed: set[int] = set()

    def emit(self, chunk: Chunk, reports: list[dict[str, Any]], integration: float, analysis: float,
             per_seed: list[float]) -> None:
        if not self.json:
            with deferred():
                self._text(chunk, reports)
            return
        from .cli import dumps

        # The output phase is the serialisation of the chunk's objects; the timing is then spliced into each line.
        mark = time.perf_counter()
        bodies = [dumps(r, indent=None) for r in reports]
        output = time.perf_counter() - mark
        total = time.perf_counter() - self.start
        lines = []
        for body, a in zip(bodies, per_seed, strict=True):
            timing = {"setup": round(self.setup, 4), "integration": round(integration, 4),
                      "analysis": round(analysis, 4), "analysis_this_seed": round(a, 4), "output": round(output, 4),
                      "total": round(total, 4)}
            lines.append(body[:-1] + ', "timing": ' + dumps(timing, indent=None) + "}")
        with deferred():  # whole lines only: a signal waits until the chunk's lines are out
            print("\n".join(lines), flush=True)

    def _text(self, chunk: Chunk, reports: list[dict[str, Any]]) -> None:
        if chunk.point.index not in self.headed:
            self.headed.add(chunk.point.index)
            r = reports[0]
            print(f"{r['architecture']} {', '.join(f'{k}={v}' for k, v in r['sizes'].items())}; {r['task']}; "
                  f"eps = {r['init_scale']:g}; t_max = {r['t_max']:.6g}")
        for r in reports:
            _print_seed(r)
        sys.stdout.flush()

    def close(self) -> None:
        if not self.json:
            print(f"total {time.perf_counter() - self.start:.2f} s")


def _print_seed(r: dict[str, Any]) -> None:
    if r["integrator"] is None:
        print(f"seed {r['seed']}: {r['status']}: {r['message']}")
        return
    print(f"seed {r['seed']}: {r['status']} at t = {r['t_final']:.6g} (loss {r['final_loss']:.6g}); "
          f"{r['gradient_evaluations']} gradient evaluations, {r['steps']} steps [{r['integrator']}]")
    if "analysis" in r:
        print(f"  analysis {r['analysis']}")
        return
    if r["status"] in BAD_STATUSES:
        print(f"  !! {r['message']} (t = {r['status_time']:.6g}, loss = {r['status_loss']:.6g})")
    if "plateau_levels" in r:
        print("  plateau levels: " + ", ".join(f"{v:.6g}" for v in r["plateau_levels"]))
        print("  drop times:     " + ", ".join(f"{v:.6g}" for v in r["drop_times"]))
    if "effective_width" in r:
        w = r["effective_width"]
        print(f"  {w['measure']} over time: " + ", ".join(f"{int(c[1])} from t={c[0]:.4g}" for c in w["changes"]))
    for v in r.get("itinerary", []):
        idx = "-" if v["morse_index"] is None else v["morse_index"]
        print(f"  visit {v['index']}: {v['label']:<16} t={v['t']:<10.5g} loss={v['loss']:<10.5g} "
              f"width={v['effective_width']} index={idx} |grad|={v['grad_norm']:.2e}"
              + (" (degenerate)" if v["degenerate"] else ""))


def _progress_enabled(args) -> bool:
    return bool(args.progress) if args.progress is not None else sys.stderr.isatty()


def run(args) -> int:
    """Run ``s2s simulate`` for parsed ``args``, printing each chunk's seeds as it finishes; returns the exit code
    (0, or 3 for a failed, skipped or unanalysed member, module docstring)."""
    start = time.perf_counter()
    _validate(args)
    analyses = parse_analyses(args.analysis, args.no_hessian)
    deadline = guards.Deadline(args.time_budget, "--time-budget")
    _TEMPLATES.clear()
    _MORSE_CACHES.clear()
    key = f"{os.getpid()}-{time.time_ns()}"
    points, templates, t_max, chunks = _setup(args, key)
    deadline.check("setup (building the tasks and the initial weights)")
    job = Job(args, analyses, t_max, time.time() + deadline.remaining(), key)
    plan = plan_chunks(points, args.seed, args.seeds, chunks, PLOT_SEEDS if args.plot else 0)
    sink = _Output(args, start, time.perf_counter() - start)
    progress = Progress(len(points) * args.seeds, _progress_enabled(args))
    jobs = args.jobs or default_jobs()
    where = EXECUTORS[args.executor]
    if where.forked:  # no more forked workers than chunks
        jobs = min(jobs, len(plan))
    # Worker processes (Dask, or local with jobs > 1) each cap BLAS at one thread: one worker per core.
    fn = functools.partial(run_chunk, job, blas_limit=None if where.in_process(jobs) else 1)
    code, stopped, drawn, lost = 0, None, [], 0
    for k, out in stream_ordered(fn, plan, executor=args.executor, jobs=jobs, scheduler=args.scheduler):
        chunk = plan[k]
        template, horizon = templates[chunk.point.index], t_max[chunk.point.index]
        if isinstance(out, TaskFailed):
            out = ChunkOutput(chunk, _unreached(template, args, chunk, horizon, "error",
                                                f"worker failed: {out.error}"))
        elif out.reports is None:
            out.reports = _unreached(template, args, chunk, horizon, "skipped", out.stopped)
        stopped = stopped or out.stopped
        lost += out.reports[0]["status"] == "error"
        sink.emit(chunk, out.reports, out.integration, out.analysis, out.per_seed or [0.0] * chunk.size)
        progress.update(chunk.size, f"at{_where(chunk.point)}, chunk {k + 1}/{len(plan)}")
        if any(r["status"] in BAD_STATUSES or "analysis" in r for r in out.reports):
            code = 3
        drawn += list(zip(out.reports, out.traces, strict=False))
    sink.close()
    if lost:
        print(f"s2s simulate: stopped: {lost} chunk(s) lost with their worker; their seeds are reported with "
              "status 'error'", file=sys.stderr)
    if stopped is not None:
        print(f"s2s simulate: stopped: {stopped}; the seeds before it are complete, the others are reported as "
              "skipped", file=sys.stderr)
    if args.plot:
        try:
            plot_runs([(r, t, loss) for r, (t, loss) in drawn], args.plot, log_time=args.log_time)
        except (OSError, ValueError, RuntimeError) as exc:
            print(f"s2s simulate: stopped: --plot={args.plot}: the results above are complete but the figure could "
                  f"not be written ({' '.join(str(exc).split())[:160]})", file=sys.stderr)
            code = 3
    return code


def plot_runs(runs: list[tuple[dict[str, Any], np.ndarray, np.ndarray]], path: str, *,
              log_time: bool = False) -> None:
    """Two panels: the loss staircase (recorded loss, plateau levels dotted, drop times dashed) and the effective
    width over time, one colour per ``(report, t, loss)`` of ``runs`` (matplotlib, Agg backend)."""
    if not runs:
        raise ValueError("no seed was integrated")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(8, 6.5), sharex=True, gridspec_kw={"height_ratios": [3, 2]})
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    sweep = len({(r["init_scale"], r["width"]) for r, _, _ in runs}) > 1
    for b, (r, t, loss) in enumerate(runs):
        c = colours[b % len(colours)]
        keep = t > 0 if log_time else np.ones(t.size, dtype=bool)
        label = f"seed {r['seed']}" + (f", eps={r['init_scale']:g}, H={r['width']}" if sweep else "")
        ax1.plot(t[keep], loss[keep], color=c, lw=1.5, label=f"{label} ({r['status']})")
        for td in r.get("drop_times", []):
            if np.isfinite(td):
                ax1.axvline(td, color=c, ls="--", lw=0.7, alpha=0.6)
        if b == 0:
            for lv in r.get("plateau_levels", []):
                ax1.axhline(lv, color="0.5", ls=":", lw=0.8)
        if "effective_width" in r:
            w = r["effective_width"]
            tw, ww = np.asarray(w["t"]), np.asarray(w["width"])
            keep = tw > 0 if log_time else np.ones(tw.size, dtype=bool)
            ax2.step(tw[keep], ww[keep] + 0.04 * b, where="post", color=c, lw=1.5)
    r0 = runs[0][0]
    ax1.set_ylabel("loss L (1/2 E||y - f||^2)")
    ax1.set_title(f"{r0['architecture']}: {r0['task']}, eps = {r0['init_scale']:g} ({r0['method']})"
                  + (f"; first {len(runs)} runs of the sweep" if sweep else ""), fontsize=9)
    ax1.legend(fontsize=8, loc="upper right")
    measure = r0["effective_width"]["measure"] if "effective_width" in r0 else "not computed: --analysis"
    ax2.set_ylabel(f"effective width ({measure})")
    ax2.set_xlabel("time t (gradient-flow units" + (", log scale)" if log_time else ")"))
    ax2.yaxis.get_major_locator().set_params(integer=True)
    if log_time:
        ax2.set_xscale("log")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
