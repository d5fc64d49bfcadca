"""The ``s2s`` command: ``derive`` (symbolic model, loss, flow, applicable theorems, fixed points, invariant
sets), ``simulate`` (batched gradient flow / GD), ``predict`` (closed-form staircases) and ``check`` (claims).

Exit codes: 0 success; 1 a claim failed or errored (``check``); 2 bad input (the message names the argument and
the rule); 3 a symbolic derivation exceeded its time bound, or a simulation diverged, hit NaN or ran out of budget.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from .problem import SIZE_OPTIONS, floats

CONVENTION = ("loss = 1/2 E||y - f||^2; gradient-flow time (theta' = -grad L, one GD step = lr); "
              "init iid N(0, eps^2); float64; drop time = first crossing of the midpoint between plateau levels")

def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="s2s", description="Saddle-to-saddle learning-dynamics workbench. "
                                "Conventions: " + CONVENTION)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("derive", help="print a network spec, its loss, gradient flow and applicable theorems")
    d.add_argument("arch", help="architecture name (see `s2s derive --list`)", nargs="?")
    d.add_argument("--list", action="store_true", help="list the architectures and exit")
    for name in SIZE_OPTIONS:
        d.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=None)
    d.add_argument("--task", choices=["auto", "linear", "quadratic", "icl", "dataset"], default="auto",
                   help="task (auto: the architecture's population task, else a symbolic dataset)")
    d.add_argument("--singular-values", type=floats, help="linear task: whitened, Sigma_yx = diag(s)")
    d.add_argument("--target-eigs", type=floats, help="quadratic task: y = x^T diag(a) x, x ~ N(0, I)")
    d.add_argument("--cov-eigs", type=floats, help="in-context task: Lambda = diag(lambda)")
    d.add_argument("--context", type=int, help="in-context task: context length N (default: a symbol N)")
    d.add_argument("--samples", type=int, default=2, help="dataset task: number of symbolic samples P")
    d.add_argument("--latex", action="store_true", help="print LaTeX instead of plain text")
    d.add_argument("--fixed-points", action="store_true",
                   help="also print the fixed-point catalog: loss levels, Morse index, class, escape directions")
    d.add_argument("--manifolds", action="store_true",
                   help="also print the invariant sets with their proof status and the reduced equations")
    d.add_argument("--timeout", type=float, default=60.0, help="time bound for the derivation, seconds")

    from . import predict_cmd, simulate_cmd

    simulate_cmd.configure_parser(sub.add_parser(
        "simulate", help="simulate gradient flow / GD: staircase, drop times, effective width, itinerary"))
    predict_cmd.configure_parser(sub.add_parser(
        "predict", help="closed-form (or labelled semi-analytic) staircase per seed; --compare with simulation"))

    c = sub.add_parser("check", help="verify the registered claims of the theory")
    c.add_argument("--json", action="store_true", help="print exactly one JSON object with all results")
    c.add_argument("--only", action="append", metavar="PATTERN", help="glob on claim ids (repeatable)")
    c.add_argument("--full", action="store_true", help="also run the large sweeps")
    c.add_argument("--list", action="store_true", help="list the claims and exit")
    c.add_argument("--report", default="s2s-report", metavar="DIR", help="report folder (default: s2s-report)")
    c.add_argument("--no-report", action="store_true", help="write no report folder")
    c.add_argument("--jobs", type=int, default=None, help="parallel workers (default: number of CPUs, at most 8)")
    c.add_argument("--executor", choices=["local", "dask"], default="local",
                   help="local processes, or a Dask cluster (needs the dask extra)")
    c.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a new LocalCluster)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "derive":
            from .derive_cmd import run_derive
            return run_derive(args)
        if args.command == "simulate":
            from .simulate_cmd import run
            return run(args)
        if args.command == "predict":
            from .predict_cmd import run
            return run(args)
        from .check_cmd import run_check
        return run_check(args)
    except BrokenPipeError:
        # Output piped into `head` and closed: not an error of ours.
        sys.stderr.close()
        return 0
    except TimeoutError as exc:
        print(f"s2s: time bound exceeded: {exc}", file=sys.stderr)
        return 3
    except ValueError as exc:
        print(f"s2s: error: {exc}", file=sys.stderr)
        return 2


def dumps(obj) -> str:
    """JSON with NaN/inf written as strings, so the output is valid JSON for any measured value."""

    def clean(o):
        if isinstance(o, float) and (o != o or o in (float("inf"), float("-inf"))):
            return str(o)
        if isinstance(o, dict):
            return {k: clean(v) for k, v in o.items()}
        if isinstance(o, list | tuple):
            return [clean(v) for v in o]
        if hasattr(o, "item") and callable(o.item):
            return clean(o.item())
        return o

    return json.dumps(clean(obj), indent=2)
