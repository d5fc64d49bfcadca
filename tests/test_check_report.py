"""s2s check: the report folder (atomic, with results.json and report.md), parallel and Dask executors."""

import json
import os

import pytest

from proofs_check import cli
from proofs_check.executor import run_claims
from proofs_check.figures import new_figure, save_figure
from proofs_check.registry import REGISTRY, Claim, Measurement


def _drawing_claim():
    fig, (ax,) = new_figure()
    ax.plot([0, 1], [1, 0])
    return Measurement(passed=True, measured={"value": 1.5}, figures=(save_figure(fig, "zz line"),))


def _raising_claim():
    raise RuntimeError("kaboom in a claim")


@pytest.fixture
def extra_claims():
    from proofs_check import claims  # noqa: F401 - the real claims first, so ids do not collide later

    added = [Claim("zz-draws", "draws a figure", "test", "exact", "none", _drawing_claim),
             Claim("zz-raises", "raises", "test", "exact", "none", _raising_claim)]
    for c in added:
        REGISTRY.add(c)
    yield
    for c in added:
        del REGISTRY._claims[c.id]


def test_report_folder_is_written_and_replaced(tmp_path, extra_claims, capsys):
    out = tmp_path / "rep"
    code = cli.main(["check", "--only", "zz-*", "--report", str(out), "--jobs", "1"])
    assert code == 1  # zz-raises errors
    files = sorted(os.listdir(out))
    assert files == [".s2s-report", "report.md", "results.json", "zz_line.png"]
    res = json.loads((out / "results.json").read_text())
    assert res["summary"] == {"passed": 1, "failed": 0, "errors": 1, "skipped": 0}
    assert {"versions", "platform", "argv"} <= set(res["run"]) and "zz-draws" in res["tolerances"]
    md = (out / "report.md").read_text()
    assert "kaboom in a claim" in md and "![zz-draws](zz_line.png)" in md and "1/2 E||y - f||^2" in md
    # A rerun replaces the folder: the old figure disappears when the new run draws none.
    cli.main(["check", "--only", "zz-raises", "--report", str(out), "--jobs", "1"])
    assert sorted(os.listdir(out)) == [".s2s-report", "report.md", "results.json"]
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".rep")]


def test_unwritable_report_folder_is_a_clear_error(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert cli.main(["check", "--only", "phi-properties", "--report", str(blocker / "sub")]) == 2
    assert "cannot write there" in capsys.readouterr().err


def test_parallel_processes_keep_registry_order(extra_claims):
    claims = [REGISTRY["zz-raises"], REGISTRY["zz-draws"], REGISTRY["grad-consistency:diagonal-linear"]]
    results = run_claims(claims, jobs=2)
    assert [r.id for r in results] == ["zz-raises", "zz-draws", "grad-consistency:diagonal-linear"]
    assert [r.status for r in results] == ["error", "pass", "pass"]
    assert "kaboom" in results[0].details


def test_dask_local_cluster_runs_claims():
    pytest.importorskip("distributed")
    from proofs_check import claims  # noqa: F401

    results = run_claims([REGISTRY["grad-consistency:diagonal-linear"], REGISTRY["phi-properties"]],
                         executor="dask", jobs=2)
    assert [r.status for r in results] == ["pass", "pass"]
    assert results[0].measured["linear"]["grad_rel"] <= 1e-9
