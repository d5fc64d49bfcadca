"""The report folder of ``s2s check``: ``report.md``, ``results.json`` and the claims' PNG figures.

The folder is built under a temporary sibling name and swapped into place only when the run completes, so an
interrupted rerun leaves the previous report intact.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import sys
from collections.abc import Sequence
from importlib import metadata
from typing import Any

from .registry import ClaimResult, summarize

PACKAGES = ("s2s-workbench", "numpy", "scipy", "sympy", "networkx", "matplotlib")


def prepare(directory: str) -> str:
    """Create and return the temporary folder the run writes into; an unwritable location is a ValueError."""
    parent = os.path.dirname(os.path.abspath(directory)) or "."
    tmp = os.path.join(parent, f".{os.path.basename(os.path.abspath(directory))}.tmp-{os.getpid()}")
    try:
        os.makedirs(parent, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        probe = os.path.join(tmp, ".probe")
        with open(probe, "w") as fh:
            fh.write("ok")
        os.remove(probe)
    except OSError as exc:
        raise ValueError(f"--report {directory}: cannot write there ({exc.strerror or exc})") from None
    return tmp


def discard(tmp: str) -> None:
    shutil.rmtree(tmp, ignore_errors=True)


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
    """Write report.md and results.json into ``tmp`` and move it to ``directory``; return the final path."""
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
    final = os.path.abspath(directory)
    backup = final + f".old-{os.getpid()}"
    if os.path.exists(final):
        os.replace(final, backup)
    os.replace(tmp, final)
    shutil.rmtree(backup, ignore_errors=True)
    return final


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
        for fig in r.figures:
            out += ["", f"![{r.id}]({fig})"]
        if r.details:
            out += ["", "```", r.details.strip(), "```"]
    out += ["", "## Versions", "", "```", json.dumps(run["versions"], indent=2), "```", ""]
    return "\n".join(out)


def _anchor(cid: str) -> str:
    return "".join(ch for ch in cid.lower().replace(" ", "-") if ch.isalnum() or ch in "-_")
