"""``s2s check``: run the registered claims, show progress, write the report folder, print a summary or JSON."""

from __future__ import annotations

import sys
import time

from . import report
from .executor import run_claims
from .registry import REGISTRY, summarize


def run_check(args) -> int:
    from . import claims  # noqa: F401 - registers the workbench's claims
    from .cli import CONVENTION, dumps

    selected = REGISTRY.select(args.only, full=args.full)
    if args.only and not selected:
        raise ValueError(f"--only {' '.join(args.only)}: matches no claim (see `s2s check --list`)")
    if args.list:
        for c in selected:
            print(f"{c.id:34s} [{c.source}] {c.statement}")
        return 0
    tmp = None if args.no_report else report.prepare(args.report)
    tty = sys.stderr.isatty() and not args.json
    start = time.perf_counter()

    def progress(r, done, total):
        if args.json:
            return
        line = f"[{done}/{total}] {r.status.upper():5s} {r.id:34s} {r.seconds:7.2f} s"
        print(("\r" if tty else "") + line.ljust(72))
        if r.status in ("fail", "error"):
            print("      measured: " + dumps(r.measured).replace("\n", "\n      "))
            if r.details:
                print("      " + r.details.strip().replace("\n", "\n      "))
        if tty and done < total:
            print(f"\r... {total - done} claim(s) running", end="", file=sys.stderr, flush=True)

    try:
        results = run_claims(selected, jobs=args.jobs, executor=args.executor, scheduler=args.scheduler,
                             figure_dir=tmp, on_result=progress)
    except BaseException:
        if tmp:
            report.discard(tmp)
        raise
    summary = summarize(results)
    where = None
    if tmp:
        where = report.finish(tmp, args.report, results, CONVENTION, argv=sys.argv, seconds=time.perf_counter() - start,
                              dumps=dumps)
    if args.json:
        print(dumps(report.results_object(results, CONVENTION)))
    else:
        print(f"\n{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} errors, "
              f"{summary['skipped']} skipped  ({CONVENTION})")
        if where:
            print(f"report: {where}/report.md")
    return 0 if summary["failed"] == 0 and summary["errors"] == 0 else 1
