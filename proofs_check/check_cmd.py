"""``s2s check``: run the registered claims, show progress, print the results, then write the report folder.

Order matters for the user's data: the results are printed (text or ``--json``) before the report is written, so a
report that cannot be written (disk full) loses nothing but the report; the report folder is built beside its
target and swapped in only when complete (:mod:`proofs_check.report`), so an interrupted, timed-out or failed run
leaves the previous report as it was.
"""

from __future__ import annotations

import sys
import time

import guards
from guards import BoundExceeded, Deadline, invalid

from . import report
from .executor import EXECUTORS, resolve_executor, run_claims
from .registry import REGISTRY, summarize
from .signals import Interrupted


def _validate(args) -> None:
    resolve_executor(args.executor, args.scheduler, options=True)
    if args.jobs is not None and args.jobs < 1:
        raise invalid("--jobs", args.jobs, "must be >= 1")
    if args.no_report and args.report_given:
        raise invalid("--report", args.report, "contradicts --no-report")


UNIT_OPTIONS = ("architecture", "bias", "d_in", "d_out", "width", "kernel", "samples", "teacher_width", "data_seed")


def _unit_registry(args):
    """The registry of claims to run: the workbench's, or the model-generic claims on ``--activation``'s network."""
    given = [k for k in UNIT_OPTIONS if getattr(args, k, None) not in (None, False)]
    if args.activation is None:
        if given:
            raise invalid("--" + given[0].replace("_", "-"), getattr(args, given[0]), "applies only with --activation")
        return REGISTRY
    if not EXECUTORS[args.executor].forked:
        raise invalid("--executor", args.executor, "the claims of --activation are built for this run; "
                      f"{args.executor} workers only know the workbench's claims (use the local executor)")
    if args.full:
        raise invalid("--full", True, "does not apply with --activation (its claims have one profile)")
    from .claims.unit import UnitNetwork, unit_claims

    family = args.architecture or "fc"
    sizes = {k: guards.integer("--" + k.replace("_", "-"), getattr(args, k), minimum=1)
             for k in ("d_in", "d_out", "width", "kernel") if getattr(args, k) is not None}
    net = UnitNetwork(args.activation, family, bool(args.bias), sizes,
                      samples=guards.integer("--samples", args.samples if args.samples is not None else 64, minimum=2),
                      teacher_width=guards.integer("--teacher-width", args.teacher_width if args.teacher_width
                                                   is not None else 2, minimum=1),
                      data_seed=guards.integer("--data-seed", args.data_seed if args.data_seed is not None
                                               else 12345, minimum=0))
    from .problem import spelled_as_options

    with spelled_as_options():
        try:
            net.architecture()
            net.spec()
        except guards.InputError as exc:
            if exc.argument in ("activation", "bias"):
                raise
            raise invalid("--architecture", family, str(exc)) from None
    return unit_claims(net)


def run_check(args) -> int:
    from . import claims  # noqa: F401 - registers the workbench's claims
    from .cli import CONVENTION, dumps

    _validate(args)
    deadline = Deadline(args.time_budget, "--time-budget")
    registry = _unit_registry(args)
    selected = registry.select(args.only, full=args.full)
    if args.only and not selected:
        raise invalid("--only", " ".join(args.only), "matches no claim (see `s2s check --list`)")
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
        print(("\r" if tty else "") + line.ljust(72), flush=True)
        if r.status in ("fail", "error"):
            print("      measured: " + dumps(r.measured).replace("\n", "\n      "))
            if r.details:
                print("      " + r.details.strip().replace("\n", "\n      "))
        if tty and done < total:
            print(f"\r... {total - done} claim(s) running", end="", file=sys.stderr, flush=True)

    stopped = None
    try:
        results = run_claims(selected, jobs=args.jobs, executor=args.executor, scheduler=args.scheduler,
                             figure_dir=tmp, on_result=progress, deadline=deadline)
    except (Interrupted, BoundExceeded) as exc:
        if exc.results is None:
            raise
        results, stopped = exc.results, exc
    except BaseException:
        if tmp:
            report.discard(tmp)
        raise
    summary = summarize(results)
    obj = report.results_object(results, CONVENTION)
    if stopped is not None:
        code = stopped.exit_code if isinstance(stopped, Interrupted) else 3
        obj["stopped"] = {"reason": str(stopped), "exit_code": code}
    if args.json:
        print(dumps(obj), flush=True)
    else:
        print(f"\n{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} errors, "
              f"{summary['skipped']} skipped  ({CONVENTION})", flush=True)
    if stopped is not None:
        if tmp:
            report.discard(tmp)
        where = f"; the report {args.report} was left as it was" if tmp else ""
        print(f"s2s check: stopped: {stopped}; {summary['skipped']} claim(s) not run{where}", file=sys.stderr)
        return obj["stopped"]["exit_code"]
    if tmp:
        try:
            where = report.finish(tmp, args.report, results, CONVENTION, argv=sys.argv,
                                  seconds=time.perf_counter() - start, dumps=dumps)
        except OSError as exc:  # the results are printed already: one message, exit 3, no second JSON document
            report.discard(tmp)
            print(f"s2s check: stopped: --report={args.report}: the results above are complete but the report could "
                  f"not be written ({exc.strerror or exc}); a previous report there is intact", file=sys.stderr)
            return 3
        except BaseException:
            report.discard(tmp)
            raise
        if not args.json:
            print(f"report: {where}/report.md")
    return 0 if summary["failed"] == 0 and summary["errors"] == 0 else 1
