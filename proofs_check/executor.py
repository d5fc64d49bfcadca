"""Where claims run: in this process, in local worker processes (default), or on a Dask cluster.

Each place is a registered :class:`Executor` in :data:`EXECUTORS` (the ``--executor`` choices): how it runs claims
and streams ``s2s simulate``'s chunks, and what it implies (forked workers, a scheduler address, an optional extra)
are read off that object.

Claims are sent by id: a worker imports :mod:`proofs_check.claims` (which registers the workbench's claims) and
looks the id up, so nothing but strings and plain result objects crosses process boundaries.  Local workers are
forked, so claims a user registered in their own script are visible to them too; Dask workers only know the
workbench's claims and the modules they import.  Results come back in the registry's order whatever the order of
completion.

Failures of the machinery are results, never a lost run:

* a local worker process that dies (killed, out of memory, ``os._exit``) breaks its pool; the claims that had not
  finished are run again, each in a fresh single-worker pool, and a claim whose own worker dies is an ``error``
  naming the worker's exit (:func:`stream_ordered`, which runs ``s2s simulate``'s chunks, does the same with the
  items in flight);
* on Dask, a worker that dies is replaced by the scheduler (its claims rescheduled); a claim that keeps killing
  workers comes back as an ``error`` (``KilledWorker``);
* an unreachable scheduler raises :class:`~guards.errors.ResourceError` after ``connect_timeout`` seconds;
* the deadline passing, or SIGINT/SIGTERM (:mod:`proofs_check.signals`), stops the run: the workers are ended, the
  finished results are kept and every unfinished claim is returned as ``skip`` with the reason.  The deadline
  raises :class:`~guards.errors.BoundExceeded`, a signal :class:`~proofs_check.signals.Interrupted`, each carrying
  the full result list in ``.results``.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from guards import BoundExceeded, Deadline, ResourceError, invalid

from .registry import REGISTRY, Claim, ClaimResult, run_claim
from .signals import Interrupted

CONNECT_TIMEOUT = 10.0


# Claims handed to run_claims that live outside REGISTRY (e.g. those built for a user's unit): forked local workers
# inherit this table, so they can run them by id too.
_SUBMITTED: dict[str, Claim] = {}


def _run_by_id(claim_id: str, figure_dir: str | None) -> ClaimResult:
    from . import claims  # noqa: F401 - registers the workbench's claims in a fresh worker

    try:
        claim = _SUBMITTED.get(claim_id) or REGISTRY[claim_id]
    except KeyError:
        return ClaimResult(claim_id, "", "", "error", {}, "", "", 0.0,
                           f"claim {claim_id!r} is not registered on this worker (register it in an importable "
                           "module, or run with --jobs 1)")
    return run_claim(claim, figure_dir)


def _worker_init() -> None:
    """Workers leave signals to the parent: SIGINT (a terminal's Ctrl-C reaches the whole group) is ignored, SIGTERM
    (the parent ending them) ends them quietly."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8))


def _placeholder(cid: str, status: str, details: str) -> ClaimResult:
    c = _SUBMITTED.get(cid) or REGISTRY._claims.get(cid)
    return ClaimResult(cid, c.statement if c else "", c.source if c else "", status, {},
                       c.tolerance if c else "", c.justification if c else "", 0.0, details)


def run_claims(claims: Sequence[Claim], *, jobs: int | None = None, executor: str = "local",
               scheduler: str | None = None, figure_dir: str | None = None,
               on_result: Callable[[ClaimResult, int, int], None] | None = None,
               deadline: Deadline | None = None, connect_timeout: float = CONNECT_TIMEOUT) -> list[ClaimResult]:
    """Run ``claims`` and return their results in the given order.

    ``executor="local"`` with ``jobs=1`` runs in this process; with more jobs, in forked worker processes.
    ``executor="dask"`` submits to the scheduler at ``scheduler`` or, when None, to a new ``LocalCluster`` with
    ``jobs`` single-threaded worker processes (needs the optional ``dask`` extra).  ``on_result(result, done,
    total)`` is called as each claim finishes (progress display).  ``deadline`` bounds the whole run (module
    docstring: what happens when it passes or a signal arrives).
    """
    where = resolve_executor(executor, scheduler)
    jobs = default_jobs() if jobs is None else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise invalid("jobs", jobs, "must be an integer >= 1")
    deadline = deadline or Deadline(None)
    ids = [c.id for c in claims]
    _SUBMITTED.update({c.id: c for c in claims if REGISTRY._claims.get(c.id) is not c})
    results: dict[str, ClaimResult] = {}

    def done(r: ClaimResult) -> None:
        results[r.id] = r
        if on_result:
            on_result(r, len(results), len(ids))

    def ordered(reason: str) -> list[ClaimResult]:
        return [results.get(i) or _placeholder(i, "skip", f"not run: {reason}") for i in ids]

    try:
        where.run_claims(claims, jobs, scheduler, figure_dir, done, deadline, connect_timeout)
    except (Interrupted, BoundExceeded) as exc:
        exc.results = ordered(str(exc))
        raise
    return [results[i] for i in ids]


def _end(pool: ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel what has not started and end the workers that run."""
    procs = list(getattr(pool, "_processes", {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def _fork_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` forked processes that leave signals to the parent (:func:`_worker_init`)."""
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=_worker_init)


def _pool_round(ids: Sequence[str], workers: int, figure_dir, done, deadline: Deadline) -> list[str]:
    """Run ``ids`` on one pool; return the ids whose results were lost because a worker died."""
    pool = _fork_pool(min(workers, len(ids)))
    lost: list[str] = []
    try:
        pending = {pool.submit(_run_by_id, i, figure_dir): i for i in ids}
        while pending:
            if deadline.expired():
                deadline.check("the claims still running")
            finished, _ = wait(pending, timeout=min(deadline.remaining(), 1.0), return_when=FIRST_COMPLETED)
            for fut in finished:
                cid = pending.pop(fut)
                try:
                    done(fut.result())
                except BrokenProcessPool:
                    lost.append(cid)
                except Exception as exc:  # noqa: BLE001 - a failing worker must not lose the other results
                    done(_placeholder(cid, "error", f"worker failed: {exc!r}"))
    except BaseException:
        _end(pool)
        raise
    pool.shutdown(wait=True)
    return lost


def _run_local(claims: Sequence[Claim], jobs: int, scheduler, figure_dir, done, deadline: Deadline,
               connect_timeout: float) -> None:
    """In this process (one job, or one claim), else on forked workers."""
    if jobs == 1 or len(claims) <= 1:
        for c in claims:
            deadline.check(f"claim {c.id}")
            done(run_claim(c, figure_dir))
        return
    ids = [c.id for c in claims]
    lost = _pool_round(ids, jobs, figure_dir, done, deadline)
    for cid in lost:  # each alone, so a claim that kills its worker takes no other claim with it
        if _pool_round([cid], 1, figure_dir, done, deadline):
            done(_placeholder(cid, "error", "worker process died while running this claim (killed, out of memory "
                                            "or exited); the other claims were not affected"))


@contextmanager
def dask_client(jobs: int, scheduler: str | None, connect_timeout: float = CONNECT_TIMEOUT) -> Iterator[Any]:
    """A ``distributed.Client`` on ``scheduler`` or, when None, on a new ``LocalCluster`` of ``jobs``
    single-threaded worker processes; both are closed on exit.  Raises :class:`~guards.errors.InputError`
    (argument ``executor``) when the optional ``dask`` extra is missing and :class:`~guards.errors.ResourceError`
    when the scheduler does not answer within ``connect_timeout`` seconds."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise invalid("executor", "dask", "needs the optional extra: pip install 's2s-workbench[dask]'") from None
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ResourceError(f"--scheduler={scheduler}: no Dask scheduler answered within {connect_timeout:g} s "
                                f"({type(exc).__name__}: {' '.join(str(exc).split())[:160]})") from None
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _run_dask(claims: Sequence[Claim], jobs: int, scheduler, figure_dir, done, deadline: Deadline,
              connect_timeout: float) -> None:
    from distributed import as_completed as dask_completed

    ids = [c.id for c in claims]
    with dask_client(jobs, scheduler, connect_timeout) as client:
        futures = {client.submit(_run_by_id, i, figure_dir, key=f"claim-{i}", pure=False): i for i in ids}
        remaining = dask_completed(list(futures), timeout=None if deadline.seconds is None else deadline.remaining())
        try:
            for fut in remaining:
                try:
                    done(fut.result())
                except Exception as exc:  # noqa: BLE001 - KilledWorker and friends become this claim's error
                    done(_placeholder(futures[fut], "error", f"Dask worker failed: {type(exc).__name__}: {exc}"))
        except TimeoutError:
            deadline.check("the claims still running on Dask")
            raise


class TaskFailed:
    """What :func:`stream_ordered` yields in place of a result whose task raised on its worker (a ``KilledWorker``,
    an exception of the task): ``error`` is ``"<type>: <message>"``, so one lost task never loses the others."""

    def __init__(self, exc: BaseException):
        self.error = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


def stream_ordered(fn: Callable[[Any], Any], items: Iterable[Any], *, executor: str = "local",
                   jobs: int | None = None, scheduler: str | None = None, window: int | None = None,
                   connect_timeout: float = CONNECT_TIMEOUT) -> Iterator[tuple[int, Any]]:
    """Yield ``(k, fn(items[k]))`` for every item, **in the order of** ``items``, as soon as each is available.

    ``executor="local"`` with ``jobs=1`` calls ``fn`` in this process, one item at a time (``items`` may be a lazy
    iterator); with more jobs, in that many forked worker processes (:func:`_stream_local_pool`).
    ``executor="dask"`` submits ``fn`` to the cluster of :func:`dask_client`.  Both pickle ``fn`` (an importable
    function) and the items and keep at most ``window`` items in flight (default ``2 * jobs``), so that neither
    the queue nor the results waiting for an earlier item grow with the number of items; a result that finishes
    early waits for its turn.  An item whose task raised on a worker (Dask or a local worker process) yields a
    :class:`TaskFailed` instead of a result.  Exceptions of ``fn`` run in this process (``jobs=1``) propagate.
    Leaving the iteration early (an exception in the consumer, a signal) ends the local workers.
    """
    where = resolve_executor(executor, scheduler)
    jobs = default_jobs() if jobs is None else jobs
    window = max(1, 2 * jobs if window is None else window)
    yield from where.stream(fn, items, jobs, scheduler, window, connect_timeout)


def _stream_local(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int, scheduler, window: int,
                  connect_timeout: float) -> Iterator[tuple[int, Any]]:
    """In this process with one job, else on forked workers (:func:`_stream_local_pool`)."""
    if jobs == 1:
        for k, item in enumerate(items):
            yield k, fn(item)
        return
    yield from _stream_local_pool(fn, items, jobs, window)


def _stream_dask(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int, scheduler, window: int,
                 connect_timeout: float) -> Iterator[tuple[int, Any]]:
    with dask_client(jobs, scheduler, connect_timeout) as client:
        from distributed import as_completed as dask_completed

        source = enumerate(items)
        pending: dict[Any, int] = {}
        finished: dict[int, Any] = {}
        flow = dask_completed()

        def submit_next() -> None:
            for k, item in source:
                fut = client.submit(fn, item, pure=False)
                pending[fut] = k
                flow.add(fut)
                return

        for _ in range(window):
            submit_next()
        following = 0
        for fut in flow:
            k = pending.pop(fut)
            try:
                finished[k] = fut.result()
            except Exception as exc:  # noqa: BLE001 - a lost task is reported, the others go on
                finished[k] = TaskFailed(exc)
            fut.release()
            submit_next()
            while following in finished:
                yield following, finished.pop(following)
                following += 1


def _stream_local_pool(fn: Callable[[Any], Any], items: Iterable[Any], jobs: int, window: int
                       ) -> Iterator[tuple[int, Any]]:
    """:func:`stream_ordered` on forked worker processes.  A worker that dies breaks the pool: the items in flight
    then run again one at a time, each in a fresh single-worker pool, so that only an item that kills its own
    worker becomes a :class:`TaskFailed`; the others go on in a new pool."""
    source = enumerate(items)
    pending: dict[Any, tuple[int, Any]] = {}
    finished: dict[int, Any] = {}
    following = 0
    pool = _fork_pool(jobs)
    try:
        while True:
            while len(pending) < window:
                nxt = next(source, None)
                if nxt is None:
                    break
                pending[pool.submit(fn, nxt[1])] = nxt
            if not pending:
                break
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            lost = []
            for fut in done:
                k, item = pending.pop(fut)
                try:
                    finished[k] = fut.result()
                except BrokenProcessPool:
                    lost.append((k, item))
                except Exception as exc:  # noqa: BLE001 - a failing item is reported, the others go on
                    finished[k] = TaskFailed(exc)
            if lost:
                lost += list(pending.values())  # the whole pool is gone with its worker
                pending.clear()
                _end(pool)
                for k, item in sorted(lost, key=lambda p: p[0]):
                    finished[k] = _alone(fn, item)
                pool = _fork_pool(jobs)
            while following in finished:
                yield following, finished.pop(following)
                following += 1
    finally:
        _end(pool)


def _alone(fn: Callable[[Any], Any], item: Any) -> Any:
    """``fn(item)`` in a fresh single-worker pool: its result, or a :class:`TaskFailed` if it raised or its worker
    died."""
    pool = _fork_pool(1)
    try:
        return pool.submit(fn, item).result()
    except BrokenProcessPool:
        return TaskFailed(RuntimeError("the worker process died while running this item (killed, out of memory or "
                                       "exited); the other items were not affected"))
    except Exception as exc:  # noqa: BLE001 - reported as this item's failure
        return TaskFailed(exc)
    finally:
        _end(pool)


def _dask_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("distributed") is not None


@dataclass(frozen=True)
class Executor:
    """Where claims and chunks run (module docstring), as the ``--executor`` choice names it.

    ``run_claims(claims, jobs, scheduler, figure_dir, done, deadline, connect_timeout)`` calls ``done(result)``
    per claim; ``stream(fn, items, jobs, scheduler, window, connect_timeout)`` yields ``(k, fn(items[k]))`` in
    order (:func:`stream_ordered`); ``forked``: its workers are forked from this process (they see the claims
    registered in it, no more of them than items is useful, and with one job it runs in this process);
    ``takes_scheduler``: it connects to a ``--scheduler`` address; ``available()``: its optional dependencies are
    installed (``extra``: the package extra that brings them)."""

    run_claims: Callable[..., None]
    stream: Callable[..., Iterator[tuple[int, Any]]]
    forked: bool = False
    takes_scheduler: bool = False
    available: Callable[[], bool] = lambda: True
    extra: str = ""

    def in_process(self, jobs: int) -> bool:
        """Whether work runs in this process (BLAS keeps its threads there; workers cap it at one per core)."""
        return self.forked and jobs == 1


EXECUTORS: MappingProxyType[str, Executor] = MappingProxyType({
    "local": Executor(_run_local, _stream_local, forked=True),
    "dask": Executor(_run_dask, _stream_dask, takes_scheduler=True, available=_dask_installed, extra="dask"),
})


def resolve_executor(name: str, scheduler: str | None, *, options: bool = False) -> Executor:
    """The registered executor ``name``, refusing a ``scheduler`` it does not take; ``options``: name the arguments
    as the command-line options ``--executor``/``--scheduler`` rather than the API's parameters."""
    if name not in EXECUTORS:
        raise invalid("--executor" if options else "executor", name, f"choose one of {', '.join(EXECUTORS)}")
    where = EXECUTORS[name]
    if scheduler is not None and not where.takes_scheduler:
        takers = " or ".join(k for k, e in EXECUTORS.items() if e.takes_scheduler)
        argument, rule = (("--scheduler", f"applies only with --executor {takers}") if options else
                          ("scheduler", f"applies only to the {takers} executor"))
        raise invalid(argument, scheduler, rule)
    return where
