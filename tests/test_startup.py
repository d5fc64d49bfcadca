"""Start-up imports: a command that does not need SymPy, scipy.signal or scipy.stats never imports them.

They cost every ``s2s`` invocation about a second before any work is done; only a user's expression
(``--activation``) and the symbolic side (``derive``, ``check``) need SymPy.  Each test runs a fresh interpreter,
since this test session has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sympy", "scipy.signal", "scipy.stats")


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _imported(importtime_stderr: str) -> set[str]:
    """Module names listed by ``-X importtime`` (lines ``import time: self | cumulative | name``)."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def _heavy(names: set[str]) -> list[str]:
    return sorted(h for h in HEAVY if h in names or any(n.startswith(h + ".") for n in names))


def test_importing_the_cli_and_numerics_imports_no_sympy_or_scipy_signal(tmp_path):
    code = ("import proofs_check.cli, numerics; import sys; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = _run(["-c", code], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_lazy_names_still_importable(tmp_path):
    code = ("import sys; from guards.expression import Z, FUNCTIONS; import numerics; "
            "print(Z, 'sin' in FUNCTIONS, 'sympy' in sys.modules, callable(numerics.saddle_connections), "
            "callable(numerics.saddle_graph))")
    out = _run(["-c", code], tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["z", "True", "True", "True", "True"]


def test_simulate_builtin_imports_no_sympy(tmp_path):
    out = _run(["-X", "importtime", "-m", "proofs_check", "simulate", "linear-fc", "--width", "4", "--json"],
               tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    record = json.loads(out.stdout.splitlines()[0])
    assert record["architecture"] == "linear-fc"
    names = _imported(out.stderr)
    assert "numerics.plateaus" in names  # the staircase ran, without scipy.signal
    assert _heavy(names) == []


def test_building_the_parser_imports_no_sympy_or_scipy_signal(tmp_path):
    # every command builds the whole parser, which imports the simulate and predict command modules
    out = _run(["-X", "importtime", "-c", "import proofs_check.cli as c; c._parser()"], tmp_path)
    assert out.returncode == 0, out.stderr
    assert _heavy(_imported(out.stderr)) == []


def test_user_expression_still_compiles_and_imports_sympy(tmp_path):
    out = _run(["-X", "importtime", "-m", "proofs_check", "simulate", "fc", "--activation", "sin(z)", "--width", "3",
                "--d-in", "2", "--d-out", "1", "--json"], tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    record = json.loads(out.stdout.splitlines()[0])
    assert record["architecture"] == "fc[sigma=sin(z)]"
    assert "sympy" in _heavy(_imported(out.stderr))  # the detector sees SymPy when it is imported

