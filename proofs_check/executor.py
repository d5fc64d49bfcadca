"""Where claims run: in this process, in local worker processes (default), or on a Dask cluster.

Claims are sent by id: a worker imports :mod:`proofs_check.claims` (which registers the workbench's claims) and
looks the id up, so nothing but strings and plain result objects crosses process boundaries.  Local workers are
forked, so claims a user registered in their own script are visible to them too; Dask workers only know the
workbench's claims and the modules they import.  Results come back in the registry's order whatever the order of
completion.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

from .registry import REGISTRY, Claim, ClaimResult, run_claim

EXECUTORS = ("local", "dask")


def _run_by_id(claim_id: str, figure_dir: str | None) -> ClaimResult:
    from . import claims  # noqa: F401 - registers the workbench's claims in a fresh worker

    try:
        claim = REGISTRY[claim_id]
    except KeyError:
        return ClaimResult(claim_id, "", "", "error", {}, "", "", 0.0,
                           f"claim {claim_id!r} is not registered on this worker (register it in an importable "
                           "module, or run with --jobs 1)")
    return run_claim(claim, figure_dir)


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 8))


def run_claims(claims: Sequence[Claim], *, jobs: int | None = None, executor: str = "local",
               scheduler: str | None = None, figure_dir: str | None = None,
               on_result: Callable[[ClaimResult, int, int], None] | None = None) -> list[ClaimResult]:
    """Run ``claims`` and return their results in the given order.

    ``executor="local"`` with ``jobs=1`` runs in this process; with more jobs, in forked worker processes.
    ``executor="dask"`` submits to the scheduler at ``scheduler`` or, when None, to a new ``LocalCluster`` with
    ``jobs`` single-threaded worker processes (needs the optional ``dask`` extra).  ``on_result(result, done,
    total)`` is called as each claim finishes (progress display).
    """
    if executor not in EXECUTORS:
        raise ValueError(f"executor {executor!r}: choose one of {', '.join(EXECUTORS)}")
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError(f"jobs={jobs}: must be >= 1")
    ids = [c.id for c in claims]
    results: dict[str, ClaimResult] = {}

    def done(r: ClaimResult) -> None:
        results[r.id] = r
        if on_result:
            on_result(r, len(results), len(ids))

    if executor == "dask":
        _run_dask(ids, jobs, scheduler, figure_dir, done)
    elif jobs == 1 or len(ids) <= 1:
        for c in claims:
            done(run_claim(c, figure_dir))
    else:
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(jobs, len(ids)), mp_context=ctx) as pool:
            futures = {pool.submit(_run_by_id, i, figure_dir): i for i in ids}
            for fut in as_completed(futures):
                try:
                    done(fut.result())
                except Exception as exc:  # noqa: BLE001 - a crashed worker must not lose the other results
                    cid = futures[fut]
                    done(ClaimResult(cid, REGISTRY[cid].statement, REGISTRY[cid].source, "error", {},
                                     REGISTRY[cid].tolerance, REGISTRY[cid].justification, 0.0,
                                     f"worker failed: {exc!r}"))
    return [results[i] for i in ids]


def _run_dask(ids, jobs, scheduler, figure_dir, done) -> None:
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ValueError("--executor dask needs the optional extra: pip install 's2s-workbench[dask]'") from None
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
    try:
        futures = [client.submit(_run_by_id, i, figure_dir, key=f"claim-{i}", pure=False) for i in ids]
        for fut in dask_completed(futures):
            done(fut.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
