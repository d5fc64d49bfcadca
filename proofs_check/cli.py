"""The ``s2s`` command: ``derive`` (symbolic model, loss, flow, applicable theorems, fixed points, invariant
sets), ``simulate`` (batched gradient flow / GD), ``predict`` (closed-form staircases) and ``check`` (claims).

Exit codes (``docs/reliability.md``):

* 0 success;
* 1 a claim failed or errored (``check``);
* 2 bad input: nothing was run; one line on stderr ``s2s <command>: error: <argument>=<value>: <rule>``;
* 3 a bound or a resource ran out: the time bound (``--timeout``, ``--time-budget``), a simulation that diverged,
  hit NaN or used its step budget, the disk, an unreachable cluster; what was finished is printed;
* 130 / 143 interrupted by SIGINT / SIGTERM; what was finished is printed, earlier reports are left intact.

stdout carries the result and only the result: while a command runs, file descriptor 1 is pointed at stderr, so
whatever a library prints there (LAPACK's ``** On entry to …`` lines, say) lands on stderr, and the command's own
output goes to the original stdout.  With ``--json`` stdout is one JSON document on every exit path; on exit 2 or
a failure before any result it is ``{"error": {...}}`` (on one line).  ``s2s simulate --json`` prints JSON lines,
one object per seed, flushed as each chunk finishes; a failure after some lines adds the ``{"error": ...}`` line.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from types import MappingProxyType

import guards

from .executor import EXECUTORS
from .problem import SIZE_OPTIONS, floats

CONVENTION = ("loss = 1/2 E||y - f||^2; gradient-flow time (theta' = -grad L, one GD step = lr); "
              "init iid N(0, eps^2); float64; drop time = first crossing of the midpoint between plateau levels")

class _Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (no usage block), exit code 2."""

    def error(self, message: str):
        raise guards.InputError(" ".join(message.split()))

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", _Parser)
        return super().add_subparsers(**kwargs)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="s2s", description="Saddle-to-saddle learning-dynamics workbench. "
                                "Conventions: " + CONVENTION)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("derive", help="print a network spec, its loss, gradient flow and applicable theorems")
    d.add_argument("arch", help="architecture name, or a family (fc, conv) with --activation (see `s2s derive --list`)",
                   nargs="?")
    d.add_argument("--list", action="store_true", help="list the architectures and exit")
    d.add_argument("--activation", default=None, metavar="EXPR",
                   help="fc/conv: the unit sigma(z) in SymPy syntax, e.g. 'sin(z)' or 'z + z**2/2'")
    d.add_argument("--bias", action="store_true", default=False, help="fc: add a bias to the pre-activation z")
    for name in SIZE_OPTIONS:
        d.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=None)
    d.add_argument("--task", choices=["auto", "linear", "quadratic", "icl", "dataset"], default="auto",
                   help="task (auto: the architecture's population task, else a symbolic dataset)")
    d.add_argument("--singular-values", type=floats, help="linear task: whitened, Sigma_yx = diag(s)")
    d.add_argument("--target-eigs", type=floats, help="quadratic task: y = x^T diag(a) x, x ~ N(0, I)")
    d.add_argument("--cov-eigs", type=floats, help="in-context task: Lambda = diag(lambda)")
    d.add_argument("--context", type=int, help="in-context task: context length N (default: a symbol N)")
    d.add_argument("--samples", type=int, default=None, help="dataset task: number of symbolic samples P (default 2)")
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
    c.add_argument("--report", default=None, metavar="DIR",
                   help="report folder (default: s2s-report); replaced only if it is a previous s2s report")
    c.add_argument("--no-report", action="store_true", help="write no report folder")
    c.add_argument("--jobs", type=int, default=None, help="parallel workers (default: number of CPUs, at most 8)")
    c.add_argument("--executor", choices=list(EXECUTORS), default="local",
                   help="local processes, or a Dask cluster (needs the dask extra)")
    c.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address (default: a new LocalCluster)")
    c.add_argument("--time-budget", type=float, default=None, metavar="SECONDS",
                   help="wall-clock bound of the run: unfinished claims are reported as skipped, exit 3")
    u = c.add_argument_group("your own unit", "run the model-generic claims on a network of your unit instead")
    u.add_argument("--activation", default=None, metavar="EXPR",
                   help="the unit sigma(z) in SymPy syntax, e.g. 'sin(z)'")
    u.add_argument("--architecture", choices=["fc", "conv"], default=None, help="family of the network (default fc)")
    u.add_argument("--bias", action="store_true", default=False, help="fc: add a bias to the pre-activation z")
    for name in ("d_in", "d_out", "width", "kernel"):
        u.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=None)
    u.add_argument("--samples", type=int, default=None, help="teacher dataset: samples P (default 64)")
    u.add_argument("--teacher-width", type=int, default=None, help="teacher dataset: teacher units (default 2)")
    u.add_argument("--data-seed", type=int, default=None, help="teacher dataset: seed (default 12345)")
    return p


@contextlib.contextmanager
def _stdout_for_results() -> Iterator[None]:
    """Point file descriptor 1 at stderr for the body, keeping ``sys.stdout`` on the original stdout."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:  # no fd 1 at all: nothing to protect
        yield
        return
    original = sys.stdout
    try:
        is_fd1 = original.fileno() == 1
    except (AttributeError, OSError, io.UnsupportedOperation):
        is_fd1 = False
    if is_fd1:
        # A BufferedWriter between the text layer and the file: a write(2) to a full pipe that a signal interrupts
        # returns a partial count, which TextIOWrapper does not retry on a raw file (the rest of the block was lost
        # and a JSON line cut); the buffered writer writes on until every byte is out.
        sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(os.dup(saved), "w")), encoding=original.encoding,
                                      errors=original.errors, line_buffering=original.line_buffering)
    os.dup2(2, 1)
    try:
        yield
    finally:
        try:
            sys.stdout.flush()
        except (OSError, ValueError):
            pass
        if is_fd1:
            with contextlib.suppress(OSError, ValueError):
                sys.stdout.close()
            sys.stdout = original
        os.dup2(saved, 1)
        os.close(saved)


_API_NAMES = (*SIZE_OPTIONS, "singular_values", "target_eigs", "target_coefs", "cov_eigs", "context", "init_scale",
              "samples", "t_max")


def _as_option(name: str) -> str:
    """An API parameter the user typed as an option (``init_scale`` → ``--init-scale``); other names unchanged."""
    return "--" + name.replace("_", "-") if name in _API_NAMES else name


def _cli_spelling(message: str) -> str:
    """A message from the API names ``init_scale``; on the command line the user typed ``--init-scale``."""
    for name in _API_NAMES:
        for sep in (":", "=", " "):
            if message.startswith(name + sep):
                return _as_option(name) + message[len(name):]
    return message


def _fail(command: str, code: int, exc: BaseException, json_out: bool, kind: str) -> int:
    message = _cli_spelling(" ".join(str(exc).split()) or type(exc).__name__)
    print(f"s2s{' ' + command if command else ''}: {kind}: {message}", file=sys.stderr)
    if json_out:
        err = {"exit_code": code, "kind": kind, "message": message}
        if isinstance(exc, guards.InputError) and exc.argument is not None:
            value = exc.value if isinstance(exc.value, str | int | float | bool | None) else guards.show(exc.value)
            # the argument as the message names it: the option the user typed, not the API's parameter
            err.update(argument=_as_option(exc.argument), value=value, rule=exc.rule)
        print(dumps({"error": err}, indent=None))  # one line: a valid last line of a JSON-lines stream too
    return code


# Each command's runner, imported when the command runs (the parser already imports simulate_cmd and predict_cmd for
# their options; derive_cmd and check_cmd are loaded only by their own command).
def _derive(args) -> int:
    from .derive_cmd import run_derive

    return run_derive(args)


def _simulate(args) -> int:
    from .simulate_cmd import run

    return run(args)


def _predict(args) -> int:
    from .predict_cmd import run

    return run(args)


def _check(args) -> int:
    from .check_cmd import run_check

    args.report_given = args.report is not None
    args.report = args.report if args.report is not None else "s2s-report"
    return run_check(args)


COMMANDS: MappingProxyType[str, Callable[[argparse.Namespace], int]] = MappingProxyType({
    "derive": _derive, "simulate": _simulate, "predict": _predict, "check": _check})


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``s2s`` command; returns its exit code (module docstring)."""
    from .signals import Interrupted, interruptible

    argv = list(sys.argv[1:] if argv is None else argv)
    json_out = "--json" in argv
    command = next((a for a in argv if not a.startswith("-")), "")
    with _stdout_for_results(), interruptible():
        try:
            args = _parser().parse_args(argv)
            return COMMANDS[args.command](args)
        except BrokenPipeError:
            # Output piped into `head` and closed: not an error of ours.
            with contextlib.suppress(OSError):
                sys.stderr.close()
            return 0
        except guards.InputError as exc:
            return _fail(command, 2, exc, json_out, "error")
        except (TimeoutError, guards.ResourceError) as exc:
            return _fail(command, 3, exc, json_out, "stopped")
        except MemoryError:
            return _fail(command, 3, MemoryError("out of memory (the estimate before the run was too low; lower the "
                                                 "sizes or seeds)"), json_out, "stopped")
        except Interrupted as exc:
            return _fail(command, exc.exit_code, exc, json_out, "stopped")
        except ValueError as exc:  # a rule enforced by a library (SymPy, NumPy) on the user's values
            return _fail(command, 2, exc, json_out, "error")


def dumps(obj, *, indent: int | None = 2) -> str:
    """JSON with NaN/inf written as strings, so the output is valid JSON for any measured value; ``indent=None``
    writes it on one line (a JSON-lines record).

    Most objects hold only finite Python numbers (NumPy floats are floats to json, written with the same repr):
    they are encoded as they are, and only an object that holds NaN/inf or another NumPy scalar is walked and
    cleaned first (a sweep writes one object per seed)."""
    try:
        return json.dumps(obj, indent=indent, allow_nan=False)
    except (ValueError, TypeError):
        pass

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

    return json.dumps(clean(obj), indent=indent)
