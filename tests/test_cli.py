"""The s2s command line: derive, check (--json, --only, exit codes) and one-line errors with exit code 2."""

import json
import subprocess
import sys

import pytest

from proofs_check import cli
from proofs_check.registry import REGISTRY, Claim, Measurement


def run(*args):
    return subprocess.run([sys.executable, "-m", "proofs_check", *args], capture_output=True, text=True, timeout=300)


def test_derive_prints_spec_loss_flow_and_theorems():
    r = run("derive", "quadratic", "--d-in", "2", "--width", "1", "--target-eigs", "1,-1")
    assert r.returncode == 0, r.stderr
    for fragment in ("quadratic", "homogeneous of degree p = 2", "## loss", "## gradient flow", "Thm 1 (iii)",
                     "does not apply", "1/2 E||y - f||^2"):
        assert fragment in r.stdout


def test_derive_latex():
    r = run("derive", "attn-s", "--dim", "2", "--width", "1", "--latex")
    assert r.returncode == 0, r.stderr
    assert r"\dot{" in r.stdout and r"\lambda" in r.stdout


@pytest.mark.parametrize("args,fragment", [
    (("derive", "resnet"), "architecture 'resnet': unknown"),
    (("derive", "linear-fc", "--width", "0"), "width=0"),
    (("derive", "quadratic", "--d-in", "2", "--target-eigs", "1,2,3"), "--target-eigs"),
    (("derive", "linear-fc", "--kernel", "2"), "unknown size"),
    (("check", "--only", "no-such-claim*"), "matches no claim"),
])
def test_bad_input_is_one_line_exit_2(args, fragment):
    r = run(*args)
    assert r.returncode == 2
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_check_json_object(capsys):
    code = cli.main(["check", "--json", "--only", "grad-consistency:diagonal-linear"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(out["summary"]) == {"passed", "failed", "errors", "skipped"}
    (claim,) = out["claims"]
    assert set(claim) >= {"id", "statement", "source", "status", "measured", "tolerance", "seconds"}
    assert claim["status"] == "pass" and out["summary"]["passed"] == 1


@pytest.fixture
def temporary_claims():
    added = []

    def add(claim):
        REGISTRY.add(claim)
        added.append(claim.id)

    yield add
    for cid in added:
        del REGISTRY._claims[cid]


def test_check_exit_code_and_error_status(temporary_claims, capsys, tmp_path):
    from proofs_check import claims  # noqa: F401 - make sure the real claims are registered first

    temporary_claims(Claim("zz-fails", "a claim that fails", "test", "none", "none",
                           lambda: Measurement(passed=False, measured={"x": 1.0})))

    def boom():
        raise RuntimeError("kaboom")

    temporary_claims(Claim("zz-raises", "a claim that raises", "test", "none", "none", boom))
    temporary_claims(Claim("zz-passes", "a claim that passes", "test", "none", "none",
                           lambda: Measurement(passed=True)))
    code = cli.main(["check", "--json", "--only", "zz-*"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    status = {c["id"]: c["status"] for c in out["claims"]}
    assert status == {"zz-fails": "fail", "zz-raises": "error", "zz-passes": "pass"}
    assert out["summary"] == {"passed": 1, "failed": 1, "errors": 1, "skipped": 0}
    assert cli.main(["check", "--only", "zz-passes", "--report", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "report.md").is_file()


def test_json_error_names_the_option_the_user_typed(capsys):
    # An error raised inside the API names its parameter (init_scale); the message and the JSON argument both give
    # the option the user typed.
    import guards
    from proofs_check.cli import _fail

    assert _fail("simulate", 2, guards.invalid("init_scale", 0.0, "must be > 0"), True, "error") == 2
    out = capsys.readouterr()
    err = json.loads(out.out)["error"]
    assert err["argument"] == "--init-scale" and err["message"].startswith("--init-scale")
    assert "--init-scale" in out.err


def test_simulate_json_is_one_line_per_seed_and_errors_one_line(capsys):
    assert cli.main(["simulate", "linear-fc", "--singular-values", "2,1", "--width", "2", "--seeds", "3", "--json",
                     "--analysis", "staircase"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["seed"] for line in out] == [0, 1, 2]
    assert cli.main(["simulate", "linear-fc", "--chunk", "0", "--json"]) == 2
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and json.loads(out[0])["error"]["argument"] == "--chunk"


def test_every_derive_task_kind_has_a_builder():
    """Each task kind the derive command offers (TASK_OPTIONS) is built by its registered builder, and a symbolic
    dataset exists for every input kind of the specs."""
    import theory
    from proofs_check import derive_cmd

    assert set(derive_cmd.TASK_BUILDERS) == set(derive_cmd.TASK_OPTIONS)
    kinds = {theory.build(name).input_kind for name in theory.ARCHITECTURE_NAMES}
    assert kinds <= set(derive_cmd.DATASETS)


def test_json_writes_non_finite_values_as_strings_and_numpy_scalars_as_numbers():
    """``dumps``: finite objects are encoded as they are, the others cleaned first; both give the same text for
    the values they share (a NumPy float is written with the repr of the Python float)."""
    import numpy as np

    from proofs_check.cli import dumps

    finite = {"a": np.float64(0.1), "b": [1.5, 2], "c": (3, None), "d": {"e": np.float64(2.5e-22)}}
    assert dumps(finite, indent=None) == '{"a": 0.1, "b": [1.5, 2], "c": [3, null], "d": {"e": 2.5e-22}}'
    mixed = {"a": np.float64(0.1), "n": float("nan"), "i": [np.inf, -np.inf], "k": np.int64(3), "t": np.bool_(True)}
    assert dumps(mixed, indent=None) == '{"a": 0.1, "n": "nan", "i": ["inf", "-inf"], "k": 3, "t": true}'
    assert json.loads(dumps(mixed)) == {"a": 0.1, "n": "nan", "i": ["inf", "-inf"], "k": 3, "t": True}
