"""``s2s check``: run the registered claims, show progress, print a summary or one JSON object."""

from __future__ import annotations

import sys

from .registry import REGISTRY, run_claim, summarize


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
    tty = sys.stderr.isatty() and not args.json
    results = []
    for k, claim in enumerate(selected, 1):
        if tty:
            print(f"\r[{k}/{len(selected)}] {claim.id} ...".ljust(70), end="", file=sys.stderr, flush=True)
        r = run_claim(claim)
        results.append(r)
        if not args.json:
            print(("\r" if tty else "") + f"{r.status.upper():5s} {r.id:34s} {r.seconds:7.2f} s".ljust(70))
            if r.status in ("fail", "error"):
                print("      measured: " + dumps(r.measured).replace("\n", "\n      "))
                if r.details:
                    print("      " + r.details.strip().replace("\n", "\n      "))
    summary = summarize(results)
    if args.json:
        print(dumps({"convention": CONVENTION, "claims": [r.as_json() for r in results], "summary": summary}))
    else:
        print(f"\n{summary['passed']} passed, {summary['failed']} failed, {summary['errors']} errors, "
              f"{summary['skipped']} skipped  ({CONVENTION})")
    return 0 if summary["failed"] == 0 and summary["errors"] == 0 else 1
