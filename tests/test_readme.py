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
