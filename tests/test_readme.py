"""The README's Python examples run as written, and its Quickstart holds exactly the two command lines that
.ci/run uses (the second byte-identical)."""

import re
from pathlib import Path

import pytest

from proofs_check.registry import REGISTRY, run_claim

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def test_quickstart_has_two_lines_and_ci_runs_the_second():
    m = re.search(r"^## Quickstart\s*$.*?```bash\n(.*?)```", README, re.S | re.M)
    lines = [ln for ln in m.group(1).splitlines() if ln.strip()]
    assert len(lines) == 2 and "s2s check" in lines[0] and "pytest" in lines[1]
    assert lines[1] in (ROOT / ".ci" / "run").read_text().splitlines()


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_examples_run(index):
    namespace: dict = {}
    try:
        exec(compile(BLOCKS[index], f"README block {index}", "exec"), namespace)  # noqa: S102 - our own README
        if "my:saxe-time" in REGISTRY._claims:
            assert run_claim(REGISTRY["my:saxe-time"]).status == "pass"
    finally:
        REGISTRY._claims.pop("my:saxe-time", None)


def _console_examples() -> list[tuple[str, list[str]]]:
    """(command, expected output lines) from the ```console blocks of the README."""
    out: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                out.append((line[2:], []))
            elif line.strip() and line.strip() != "..." and out:
                out[-1][1].append(line.strip())
    return out


@pytest.mark.parametrize("command,expected", _console_examples(), ids=[c for c, _ in _console_examples()])
def test_readme_console_examples_print_what_the_readme_shows(command, expected, tmp_path):
    import shlex
    import subprocess
    import sys

    argv = shlex.split(command)
    assert argv[0] == "s2s"
    done = subprocess.run([sys.executable, "-m", "proofs_check", *argv[1:]], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [" ".join(x.split()) for x in done.stdout.splitlines()]
    for want in expected:
        assert any(" ".join(want.split()) in line for line in lines), (want, done.stdout[-3000:])


def test_readme_names_every_field_of_a_simulate_json_line(capsys):
    # The README's simulate paragraph is the schema users read: every key of a JSON line must be named there.
    import json

    from proofs_check import cli

    para = README[README.index("`s2s simulate --json` prints"):README.index("Exit codes (`docs/reliability.md`)")]
    named = set(re.findall(r"`([a-z_]+)`", para))
    code = cli.main(["simulate", "linear-fc", "--singular-values", "2,1", "--width", "2", "--init-scale", "1e-4",
                     "--seeds", "2", "--json"])
    objs = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and len(objs) == 2
    for obj in objs:
        assert set(obj) - named == set() and set(obj["timing"]) - named == set()
        assert set(obj["analyses"]) <= named
