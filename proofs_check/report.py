"""The report folder of ``s2s check``: ``report.md``, ``results.json`` and the claims' PNG figures.

The folder is built under a temporary sibling name and swapped into place only when the run completes, so an
interrupted, failed or out-of-disk rerun leaves the previous report intact.  Only a folder that carries the
:data:`MARKER` file (one this tool wrote) or an empty one is ever replaced; anything else is refused before the run.
"""

from __future__ import annotations

import ctypes
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from guards import InputError, invalid

from .registry import ClaimResult, summarize

PACKAGES = ("s2s-workbench", "numpy", "scipy", "sympy", "networkx", "matplotlib")


MARKER = ".s2s-report"
"""File that marks a folder as a report written by ``s2s check``: only such a folder is ever replaced."""


def _refuse(directory: str, rule: str) -> InputError:
    return invalid("--report", directory, rule)


def check_target(directory: str) -> str:
    """Return the absolute report path, or raise an :class:`~guards.InputError` naming ``--report`` when the target
    is not a folder this tool may replace: the working directory or one containing it, a file, a symlink, or an
    existing non-empty folder without the :data:`MARKER` file."""
    if not str(directory).strip():
        raise _refuse(directory, "must name a report folder")
    final = os.path.abspath(directory)
    here = os.path.abspath(os.getcwd())
    if final == here or here.startswith(final.rstrip(os.sep) + os.sep) or final == os.sep:
        raise _refuse(directory, "is the working directory or contains it; name a new folder for the report")
    if os.path.islink(final):
        raise _refuse(directory, "is a symbolic link; name a new folder or a previous s2s report")
    if os.path.exists(final):
        if not os.path.isdir(final):
            raise _refuse(directory, "exists and is not a folder; a report replaces only a previous s2s report")
        if os.listdir(final) and not os.path.isfile(os.path.join(final, MARKER)):
            raise _refuse(directory, f"exists and is not an s2s report (no {MARKER} file); name a new folder or "
                                     "remove this one yourself")
    return final


def prepare(directory: str) -> str:
    """Check the target (:func:`check_target`) and create the temporary folder beside it that the run writes into;
    return its path.  An unwritable location is an :class:`~guards.InputError` naming ``--report``."""
    final = check_target(directory)
    parent = os.path.dirname(final)
    try:
        os.makedirs(parent, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(final)}.tmp-", dir=parent)
        with open(os.path.join(tmp, MARKER), "w") as fh:
            fh.write("written by s2s check; s2s replaces this folder on its next run with the same --report\n")
    except OSError as exc:
        raise _refuse(directory, f"cannot write there ({exc.strerror or exc})") from None
    return tmp


def discard(tmp: str) -> None:
    """Remove a temporary report folder made by :func:`prepare` (only if it carries the marker)."""
    if os.path.isfile(os.path.join(tmp, MARKER)):
        shutil.rmtree(tmp, ignore_errors=True)


def _exchange(a: str, b: str) -> bool:
    """Atomically swap two paths with Linux ``renameat2(RENAME_EXCHANGE)``; False where it is unavailable."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap_in(tmp: str, directory: str) -> str:
    """Put the finished folder ``tmp`` at ``directory``: atomically exchanged with a previous report (checked again,
    since the run may have taken hours), or renamed into place; the previous report is removed afterwards."""
    final = check_target(directory)
    if os.path.exists(final):
        if not _exchange(tmp, final):
            backup = tempfile.mkdtemp(prefix=f".{os.path.basename(final)}.old-", dir=os.path.dirname(final))
            os.rmdir(backup)
            os.replace(final, backup)
            os.replace(tmp, final)
            tmp = backup
        discard(tmp)
    else:
        os.replace(tmp, final)
    return final


def versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def results_object(results: Sequence[ClaimResult], convention: str) -> dict[str, Any]:
    """The ``--json`` object: {"convention", "claims": [...], "summary": {...}}."""
    return {"convention": convention, "claims": [r.as_json() for r in results], "summary": summarize(results)}


def finish(tmp: str, directory: str, results: Sequence[ClaimResult], convention: str, *, argv: Sequence[str],
           seconds: float, dumps) -> str:
    """Write report.md and results.json into ``tmp`` and swap it in at ``directory`` (:func:`swap_in`); return the
    final path.  An ``OSError`` (disk full, permissions changed) propagates with the previous report intact."""
    obj = results_object(results, convention)
    obj["run"] = {
        "argv": list(argv), "seconds": round(seconds, 2),
        "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(), "versions": versions(),
    }
    obj["tolerances"] = {r.id: {"tolerance": r.tolerance, "justification": r.justification} for r in results}
    obj["figures"] = {r.id: list(r.figures) for r in results if r.figures}
    with open(os.path.join(tmp, "results.json"), "w") as fh:
        fh.write(dumps(obj))
    with open(os.path.join(tmp, "report.md"), "w") as fh:
        fh.write(markdown(results, convention, obj["run"]))
    return swap_in(tmp, directory)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_fmt(v) for v in value[:12]) + (", …" if len(value) > 12 else "") + "]"
    return str(value)


def _measured_lines(measured: dict[str, Any], indent: str = "") -> list[str]:
    lines = []
    for key, value in measured.items():
        if isinstance(value, dict):
            lines.append(f"{indent}- **{key}**")
            lines.extend(_measured_lines(value, indent + "  "))
        else:
            lines.append(f"{indent}- {key}: `{_fmt(value)}`")
    return lines


def markdown(results: Sequence[ClaimResult], convention: str, run: dict[str, Any]) -> str:
    s = summarize(results)
    icon = {"pass": "PASS", "fail": "**FAIL**", "error": "**ERROR**", "skip": "skip"}
    out = ["# s2s check report", "",
           f"Conventions: {convention}.", "",
           f"**{s['passed']} passed, {s['failed']} failed, {s['errors']} errors, {s['skipped']} skipped** "
           f"in {run['seconds']} s on {run['platform']} ({run['cpus']} CPUs), {run['finished']}.", "",
           "| claim | status | seconds | statement |", "|---|---|---|---|"]
    for r in results:
        stmt = r.statement.replace("|", "\\|")
        out.append(f"| [{r.id}](#{_anchor(r.id)}) | {icon[r.status]} | {r.seconds:.2f} | {stmt} |")
    for r in results:
        out += ["", f"## {r.id}", "", f"*{r.statement}*", "",
                f"- status: {icon[r.status]} ({r.seconds:.2f} s)", f"- source: {r.source}",
                f"- tolerance: {r.tolerance}", f"- why this tolerance: {r.justification}"]
        if r.measured:
            out += ["", "Measured:", ""] + _measured_lines(r.measured)
        if r.resolving_power:
            out += ["", "Resolving power (the smallest error of each wrong theory the judge rejects):", ""]
            out += [f"- {name}: " + (f"{size:.3g}" if size is not None else "not rejected up to 1")
                    for name, size in r.resolving_power.items()]
        for fig in r.figures:
            out += ["", f"![{r.id}]({fig})"]
        if r.details:
            out += ["", "```", r.details.strip(), "```"]
    out += ["", "## Versions", "", "```", json.dumps(run["versions"], indent=2), "```", ""]
    return "\n".join(out)


def _anchor(cid: str) -> str:
    return "".join(ch for ch in cid.lower().replace(" ", "-") if ch.isalnum() or ch in "-_")
