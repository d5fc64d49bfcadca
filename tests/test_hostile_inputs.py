"""The corpus of bad, huge and hostile inputs (``docs/reliability.md``): every case is run through ``s2s`` (in this
process, as ``cli.main``) in a working directory holding canary files, and must end with the documented exit code,
one line on stderr naming the argument, no traceback, valid JSON on stdout where ``--json`` was asked, the canaries
intact, and within its time bound plus 10 s.  A second group calls the Python API with the same kinds of input.
"""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

import guards
import numerics
import theory
from proofs_check import cli, executor

MANY = ",".join(["1"] * 30001)
QUICK = 10.0  # a refusal (exit 2) must come within this many seconds

# (argv, exit code, fragment the one-line message must contain)
CLI_CASES = [
    # ---- derive
    (["derive", "resnet"], 2, "architecture"),
    (["derive", "linear-fc", "--width", "0"], 2, "width"),
    (["derive", "linear-fc", "--width", "-3"], 2, "width"),
    (["derive", "linear-fc", "--width", "x"], 2, "--width"),
    (["derive", "linear-fc", "--d-in", "100000"], 2, "--d-in"),
    (["derive", "linear-fc", "--d-in", "10000000", "--timeout", "10"], 2, "--d-in"),
    (["derive", "linear-fc", "--singular-values=-1,2"], 2, "--singular-values"),
    (["derive", "linear-fc", "--singular-values", ""], 2, "--singular-values"),
    (["derive", "linear-fc", "--singular-values", "nan"], 2, "--singular-values"),
    (["derive", "linear-fc", "--singular-values", "1,inf"], 2, "--singular-values"),
    (["derive", "linear-fc", "--singular-values", "a,b"], 2, "--singular-values"),
    (["derive", "linear-fc", "--singular-values", "3,2,1", "--d-in", "2"], 2, "--singular-values"),
    (["derive", "relu-fc", "--task", "quadratic"], 2, "--task"),
    (["derive", "relu-fc", "--fixed-points"], 2, "--fixed-points"),
    (["derive", "linear-fc", "--target-eigs", "1,2"], 2, "--target-eigs"),
    (["derive", "linear-fc", "--cov-eigs", "1"], 2, "--cov-eigs"),
    (["derive", "linear-fc", "--context", "3"], 2, "--context"),
    (["derive", "linear-fc", "--samples", "3"], 2, "--samples"),
    (["derive", "relu-fc", "--samples", "0"], 2, "--samples"),
    (["derive", "linear-fc", "--timeout", "0"], 2, "--timeout"),
    (["derive", "linear-fc", "--timeout", "-1"], 2, "--timeout"),
    (["derive", "linear-fc", "--timeout", "nan"], 2, "--timeout"),
    (["derive", "linear-fc", "--kernel", "2"], 2, "kernel"),
    (["derive", "quadratic", "--d-in", "2", "--target-eigs", "1,2,3"], 2, "--target-eigs"),
    (["derive", "quadratic", "--target-eigs", "1,x"], 2, "--target-eigs"),
    (["derive", "attn-s", "--cov-eigs", "1,-1"], 2, "--cov-eigs"),
    (["derive", "attn-s", "--context", "0"], 2, "--context"),
    (["derive", "linear-fc", "--task", "bogus"], 2, "--task"),
    (["derive", "--bogus-flag"], 2, "--bogus-flag"),
    (["derive", "linear-fc", "--d-in", "300", "--timeout", "3"], 3, "time bound"),
    # ---- simulate
    (["simulate"], 2, "arch"),
    (["simulate", "no-such-net"], 2, "architecture"),
    (["simulate", "linear-fc", "--init-scale", "0"], 2, "--init-scale"),
    (["simulate", "linear-fc", "--init-scale", "-1"], 2, "--init-scale"),
    (["simulate", "linear-fc", "--init-scale", "nan"], 2, "--init-scale"),
    (["simulate", "linear-fc", "--init-scale", "inf"], 2, "--init-scale"),
    (["simulate", "linear-fc", "--init-scale", "1e300"], 2, "--init-scale"),
    (["simulate", "linear-fc", "--init-scale", "1e-320"], 2, "--init-scale"),
    (["simulate", "cubic", "--init-scale", "1e-200"], 2, "--init-scale"),
    (["simulate", "linear-fc", "--seeds", "0"], 2, "--seeds"),
    (["simulate", "linear-fc", "--seed", "-1"], 2, "--seed"),
    (["simulate", "linear-fc", "--seeds", "1000000", "--max-steps", "2"], 2, "--seeds"),
    (["simulate", "linear-fc", "--singular-values", ""], 2, "--singular-values"),
    (["simulate", "linear-fc", "--singular-values", MANY], 2, "--singular-values"),
    (["simulate", "linear-fc", "--singular-values=-1"], 2, "--singular-values"),
    (["simulate", "linear-fc", "--target-eigs", "1,2"], 2, "--target-eigs"),
    (["simulate", "linear-fc", "--cov-eigs", "1,2"], 2, "--cov-eigs"),
    (["simulate", "linear-fc", "--target-coefs", "1,2"], 2, "--target-coefs"),
    (["simulate", "linear-fc", "--data", "x.npz"], 2, "--data"),
    (["simulate", "linear-fc", "--samples", "10"], 2, "--samples"),
    (["simulate", "relu-fc", "--data", "missing.npz"], 2, "--data"),
    (["simulate", "relu-fc", "--data", "garbage.npz"], 2, "--data"),
    (["simulate", "relu-fc", "--data", "pickled.npz"], 2, "--data"),
    (["simulate", "relu-fc", "--data", "no_y.npz"], 2, "--data"),
    (["simulate", "relu-fc", "--data", "complex.npz"], 2, "--data"),
    (["simulate", "relu-fc", "--data", "nan.npz"], 2, "--data"),
    (["simulate", "relu-fc", "--data", "good.npz", "--samples", "5"], 2, "--samples"),
    (["simulate", "linear-fc", "--method", "gd"], 2, "--lr"),
    (["simulate", "linear-fc", "--method", "gd", "--lr", "-1"], 2, "--lr"),
    (["simulate", "linear-fc", "--method", "gd", "--lr", "nan"], 2, "--lr"),
    (["simulate", "linear-fc", "--lr", "0.1"], 2, "--lr"),
    (["simulate", "linear-fc", "--method", "newton"], 2, "--method"),
    (["simulate", "linear-fc", "--stiff-method", "foo"], 2, "--stiff-method"),
    (["simulate", "linear-fc", "--t-max", "0"], 2, "--t-max"),
    (["simulate", "linear-fc", "--t-max", "-1"], 2, "--t-max"),
    (["simulate", "linear-fc", "--t-max", "inf"], 2, "--t-max"),
    (["simulate", "linear-fc", "--max-steps", "0"], 2, "--max-steps"),
    (["simulate", "linear-fc", "--time-budget", "0"], 2, "--time-budget"),
    (["simulate", "linear-fc", "--rtol", "0"], 2, "--rtol"),
    (["simulate", "linear-fc", "--atol", "-1"], 2, "--atol"),
    (["simulate", "linear-fc", "--plot", "out.pdf"], 2, "--plot"),
    (["simulate", "linear-fc", "--plot", "/nonexistent/x.png"], 2, "--plot"),
    (["simulate", "linear-fc", "--plot", "adir.png"], 2, "--plot"),
    (["simulate", "linear-fc", "--log-time"], 2, "--log-time"),
    (["simulate", "linear-fc", "--width", "0"], 2, "--width"),
    (["simulate", "linear-fc", "--d-in", "0"], 2, "--d-in"),
    (["simulate", "linear-fc", "--kernel", "2"], 2, "kernel"),
    (["simulate", "linear-conv", "--target-coefs", "1,2", "--d-in", "3"], 2, "--target-coefs"),
    (["simulate", "quadratic", "--target-eigs", "1,2", "--d-in", "3"], 2, "--target-eigs"),
    (["simulate", "attn-s", "--cov-eigs", "1,-1"], 2, "--cov-eigs"),
    (["simulate", "attn-s", "--context", "0"], 2, "--context"),
    (["simulate", "relu-fc", "--samples", "0"], 2, "--samples"),
    (["simulate", "relu-fc", "--teacher-width", "0"], 2, "--teacher-width"),
    (["simulate", "relu-fc", "--data-seed", "-1"], 2, "--data-seed"),
    (["simulate", "relu-fc", "--samples", "100000000"], 2, "--samples"),
    (["simulate", "linear-fc", "--width", "100000000"], 2, "--width"),
    (["simulate", "linear-fc", "--seeds", "3000", "--time-budget", "3"], 3, "time"),
    # ---- predict
    (["predict", "no-such-net"], 2, "architecture"),
    (["predict", "linear-fc", "--t-max=-1"], 2, "--t-max"),
    (["predict", "linear-fc", "--t-max", "nan"], 2, "--t-max"),
    (["predict", "linear-fc", "--time-budget", "0"], 2, "--time-budget"),
    (["predict", "linear-fc", "--max-drops", "0"], 2, "--max-drops"),
    # finite values whose powers overflow inside the task (the message named the API's sigma_yy)
    (["simulate", "linear-fc", "--singular-values", "1e200"], 2, "--singular-values"),
    (["simulate", "quadratic", "--target-eigs", "1e100"], 2, "--target-eigs"),
    (["predict", "attn-s", "--cov-eigs", "1e90,1"], 2, "--cov-eigs"),
    (["simulate", "linear-conv", "--target-coefs", "1e160"], 2, "--target-coefs"),
    (["predict", "linear-fc", "--init-scale", "1e300", "--compare"], 2, "--init-scale"),
    (["predict", "linear-fc", "--seeds", "0"], 2, "--seeds"),
    (["predict", "linear-fc", "--singular-values", ""], 2, "--singular-values"),
    (["predict", "linear-fc", "--target-eigs", "1"], 2, "--target-eigs"),
    (["predict", "attn-s", "--cov-eigs", "0,1"], 2, "--cov-eigs"),
    (["predict", "cubic", "--init-scale", "1e-200"], 2, "--init-scale"),
    (["predict", "linear-fc", "--data", "good.npz"], 2, "--data"),
    (["predict", "relu-fc", "--samples", "-5"], 2, "--samples"),
    (["predict", "linear-fc", "--bogus"], 2, "--bogus"),
    (["predict", "linear-fc", "--seeds", "1000000"], 2, "--seeds"),
    (["predict", "cubic", "--seeds", "40", "--time-budget", "3"], 3, "--time-budget"),
    # ---- check
    (["check", "--report", ""], 2, "--report"),
    (["check", "--report", "."], 2, "--report"),
    (["check", "--report", ".."], 2, "--report"),
    (["check", "--report", "/"], 2, "--report"),
    (["check", "--report", "canary.txt"], 2, "--report"),
    (["check", "--report", "userdir"], 2, "--report"),
    (["check", "--report", "link"], 2, "--report"),
    (["check", "--report", "canary.txt/sub"], 2, "--report"),
    (["check", "--only", "zz-nothing*"], 2, "--only"),
    (["check", "--scheduler", "tcp://127.0.0.1:9"], 2, "--scheduler"),
    (["check", "--jobs", "0"], 2, "--jobs"),
    (["check", "--jobs", "-1"], 2, "--jobs"),
    (["check", "--executor", "foo"], 2, "--executor"),
    (["check", "--time-budget", "0"], 2, "--time-budget"),
    (["check", "--report", "r", "--no-report"], 2, "--report"),
    (["check", "--only", "fig*", "--jobs", "2", "--time-budget", "2", "--report", "new-report"], 3, "--time-budget"),
    # ---- a user's unit (--activation), on every command
    *[([cmd, *pre, "--activation", expr, *post], 2, "--activation")
      for cmd, pre, post in (("derive", ["fc"], []), ("simulate", ["fc"], []), ("predict", ["fc"], []),
                             ("check", [], ["--no-report"]))
      for expr in ("log(z)", "x + z", "abs(z)", "1/z", "sqrt(z)", "", "z <", "__import__('os')", "z.real",
                   "I*z", "7", "foo(z)", "exp(-1/z**2)")],
    (["simulate", "tanh-fc", "--activation", "z"], 2, "--activation"),
    (["simulate", "fc"], 2, "--activation"),
    (["derive", "fc"], 2, "--activation"),
    (["simulate", "conv", "--activation", "z", "--bias"], 2, "--bias"),
    (["check", "--activation", "sin(z)", "--bias", "--architecture", "conv", "--no-report"], 2, "--bias"),
    (["check", "--width", "3", "--no-report"], 2, "--width"),
    (["check", "--activation", "sin(z)", "--executor", "dask", "--no-report"], 2, "--executor"),
    (["derive", "fc", "--activation", "sin(z)", "--fixed-points"], 2, "--activation"),
    (["derive", "fc", "--activation", "z + z**2", "--width", "4", "--d-in", "4", "--fixed-points", "--timeout",
      "3"], 3, "--timeout"),
    # ---- the command itself
    ([], 2, "command"),
    (["bogus"], 2, "bogus"),
]
JSON_COMMANDS = ("simulate", "predict", "check")


def _case_id(argv: list[str]) -> str:
    return " ".join(a if len(a) < 30 else a[:27] + "..." for a in argv)


def _cases():
    for argv, code, fragment in CLI_CASES:
        yield pytest.param(argv, code, fragment, id=_case_id(argv))
        if argv and argv[0] in JSON_COMMANDS:
            yield pytest.param([*argv, "--json"], code, fragment, id=_case_id([*argv, "--json"]))


@pytest.fixture
def hostile_dir(tmp_path):
    """The working directory: canaries, a user's folder, a symlink and data files good and bad."""
    (tmp_path / "canary.txt").write_text("keep me")
    (tmp_path / "userdir").mkdir()
    (tmp_path / "userdir" / "keep.txt").write_text("a user's file")
    (tmp_path / "adir.png").mkdir()
    os.symlink(tmp_path / "userdir", tmp_path / "link")
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file at all")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "good.npz", X=rng.standard_normal((8, 2)), Y=rng.standard_normal((8, 1)))
    np.savez(tmp_path / "no_y.npz", X=rng.standard_normal((8, 2)))
    np.savez(tmp_path / "pickled.npz", X=np.array([{"a": 1}] * 8, dtype=object), Y=np.zeros((8, 1)))
    np.savez(tmp_path / "complex.npz", X=np.ones((8, 2)) * 1j, Y=np.zeros((8, 1)))
    np.savez(tmp_path / "nan.npz", X=np.full((8, 2), np.nan), Y=np.zeros((8, 1)))
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and not p.is_symlink()}
    yield tmp_path
    after = {p: p.read_bytes() for p in before if p.exists()}
    assert after == before, "a canary or data file was changed or removed"
    assert (tmp_path / "link").is_symlink()


def _bound(argv: list[str]) -> float:
    for flag in ("--timeout", "--time-budget"):
        if flag in argv:
            return float(argv[argv.index(flag) + 1])
    return QUICK


# Commands whose --json prints JSON lines (one object per seed); the others print one JSON document.
JSON_LINES = ("simulate", "predict")


def _json_output(command: str, out: str) -> list:
    if command in JSON_LINES:
        return [json.loads(line) for line in out.splitlines() if line.strip()]
    return [json.loads(out)]


@pytest.mark.parametrize("argv,code,fragment", list(_cases()))
def test_cli_case(argv, code, fragment, hostile_dir, capfd):
    start = time.monotonic()
    got = cli.main(argv)
    elapsed = time.monotonic() - start
    out, err = capfd.readouterr()
    assert got == code, (got, err[-2000:])
    assert "Traceback" not in err and "Traceback" not in out
    message = [line for line in err.splitlines() if line.startswith("s2s")]
    assert message and fragment in message[-1], err[-2000:]
    if code == 2:
        assert len(err.strip().splitlines()) == 1, err  # the one-line message and nothing else
        assert elapsed < QUICK
    else:
        assert elapsed < _bound(argv) + 10.0
    if "--json" in argv:
        obj = _json_output(argv[0], out)[-1]  # stdout is JSON on every exit path; an error is the last object
        if code == 2:
            assert obj["error"]["exit_code"] == 2 and fragment in obj["error"]["message"]
    elif code == 2:
        assert out == ""
    assert not [p for p in os.listdir(hostile_dir) if ".tmp-" in p or ".old-" in p]


def test_corpus_size():
    assert len(list(_cases())) >= 120


# ------------------------------------------------------------------------------------------------ Python API

def _flow_fun(theta):
    return 0.5 * np.sum(theta**2, axis=1), theta


def _fc_run():
    """(arch, task, a two-member flow) of a small linear net, for the batched analyses' refusals."""
    arch = numerics.build_architecture("linear-fc", d_in=2, d_out=2, width=2)
    task = numerics.whitened([2.0, 1.0])
    return arch, task, numerics.gradient_flow(numerics.gradient_function(arch, task),
                                              numerics.init_params(arch, 1e-3, seed=0, n_seeds=2), 5.0)


API_CASES = [
    (lambda: theory.derive(theory.build("linear-fc"), None), "task"),
    (lambda: theory.derive(None, None), "spec"),
    (lambda: theory.build("resnet"), "resnet"),
    (lambda: theory.build("linear-fc", width=0), "width"),
    (lambda: theory.build("linear-fc", kernel=2), "kernel"),
    (lambda: numerics.gradient_flow(_flow_fun, np.ones((1, 2)) * 1j, 1.0), "theta0"),
    (lambda: numerics.gradient_flow(_flow_fun, np.ones((1, 2)), -1.0), "t_max"),
    (lambda: numerics.gradient_flow(_flow_fun, np.full((1, 2), np.nan), 1.0), "theta0"),
    (lambda: numerics.gradient_flow(_flow_fun, np.ones(2), 1.0), "theta0"),
    (lambda: numerics.gradient_flow(_flow_fun, np.ones((1, 2)), 1.0, memory_budget=10), "theta0"),
    (lambda: numerics.gradient_flow(_flow_fun, np.ones((1, 2)), 1.0, stiff_method="Euler"), "stiff_method"),
    (lambda: numerics.gradient_descent(_flow_fun, np.ones((1, 2)), 0.0, n_steps=3), "lr"),
    (lambda: numerics.gradient_descent(_flow_fun, np.ones((1, 2)), 0.1), "t_max"),
    (lambda: numerics.init_params(numerics.build_architecture("linear-fc"), -1.0), "init_scale"),
    (lambda: numerics.init_params(numerics.build_architecture("linear-fc"), 1e-3, n_seeds=0), "n_seeds"),
    (lambda: numerics.build_architecture("linear-fc", width=0), "width"),
    (lambda: numerics.build_architecture("no-such"), "no-such"),
    (lambda: numerics.whitened([]), "singular_values"),
    (lambda: numerics.whitened([-1.0]), "singular_values"),
    (lambda: numerics.ICLTask(np.diag([1.0, -1.0]), 4), "lam"),
    (lambda: guards.Deadline(0), "time bound"),
    (lambda: guards.check_memory("--seeds", 10**9, 1e30, "a test"), "--seeds"),
    (lambda: guards.real_list("values", []), "values"),
    (lambda: guards.integer("n", 1.5), "n"),
    (lambda: numerics.itineraries(*_fc_run(), [2]), "members"),
    (lambda: numerics.itineraries(*_fc_run(), [0, True]), "members"),
    (lambda: numerics.itineraries(*_fc_run(), [0], staircases=[None, None]), "staircases"),
    (lambda: numerics.complexity_along_many(*_fc_run()[::2], _fc_run()[1], 1), "members"),
    (lambda: numerics.interpolate_many(_flow_fun, _fc_run()[2], [(0, [1e9])]), "times"),
    (lambda: numerics.hessians(*_fc_run()[:2], np.zeros(3)), "thetas"),
    (lambda: numerics.hessian_eigenvalues_many(*_fc_run()[:2], np.zeros((1, 3))), "thetas"),
    (lambda: numerics.hessian_eigenvalues_many(*_fc_run()[:2], "abc"), "thetas"),
    (lambda: numerics.itinerary(*_fc_run(), 5), "member"),
    (lambda: numerics.itineraries(*_fc_run(), [0], staircases=(s for s in [None, None])), "staircases"),
    (lambda: numerics.itineraries(*_fc_run(), [0], sources=[1, 2]), "sources"),
    (lambda: numerics.complexity_along(*_fc_run()[::2], _fc_run()[1], member=1.0), "member"),
    (lambda: numerics.complexity_along(*_fc_run()[::2], _fc_run()[1], max_points=0), "max_points"),
    (lambda: numerics.interpolate_many(_flow_fun, _fc_run()[2], None), "requests"),
    (lambda: numerics.interpolate_many(_flow_fun, _fc_run()[2], [0]), "requests"),
    (lambda: numerics.interpolate_many(_flow_fun, _fc_run()[2], [("a", [1.0])]), "member"),
    (lambda: numerics.interpolate_many(_flow_fun, _fc_run()[2], [(0, ["x"])]), "times"),
    (lambda: numerics.function_labels(*_fc_run()[:2], np.zeros((2, 8)), [1.0], [0, 0], 1.0), "losses"),
]


@pytest.mark.parametrize("call,fragment", API_CASES, ids=[f"api-{k}" for k in range(len(API_CASES))])
def test_api_case(call, fragment):
    with pytest.raises(guards.InputError) as info:
        call()
    message = str(info.value)
    assert fragment in message and "\n" not in message


def test_memory_budget_stops_a_run_with_status_budget():
    res = numerics.gradient_flow(lambda th: (0.5 * np.sum(th**2, axis=1), th), np.ones((2, 50)), 1e6, gtol=0,
                                 ftol=0, rtol=1e-12, memory_budget=8 * 2 * 50 * 24 + 40_000)
    assert {m.status for m in res} == {"budget"} and "memory budget" in res[0].message


def test_memory_limit_from_the_environment(monkeypatch, capfd):
    monkeypatch.setenv("S2S_MEMORY_LIMIT", "1M")
    assert cli.main(["simulate", "linear-fc", "--width", "3000"]) == 2
    assert "memory limit 1.0 MiB" in capfd.readouterr().err
    monkeypatch.setenv("S2S_MEMORY_LIMIT", "lots")
    assert cli.main(["simulate", "linear-fc"]) == 2
    assert "S2S_MEMORY_LIMIT" in capfd.readouterr().err


def test_outer_time_bound_is_not_swallowed_by_an_inner_one():
    from theory.errors import SymbolicTimeout

    start = time.monotonic()
    with pytest.raises(SymbolicTimeout, match="outer"):
        with theory.time_bound(0.3, "outer"):
            try:
                with theory.time_bound(30, "inner"):
                    while True:
                        pass
            except SymbolicTimeout:  # a routine tolerating its own time-out must not eat the outer one
                pytest.fail("the outer bound was reported as the inner one")
    assert time.monotonic() - start < 5
    with pytest.raises(SymbolicTimeout, match="inner"):  # and an inner bound still fires on its own
        with theory.time_bound(30, "outer"), theory.time_bound(0.2, "inner"):
            while True:
                pass


def test_unreachable_dask_scheduler_is_exit_3(monkeypatch, capfd, tmp_path):
    pytest.importorskip("distributed")
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", 2.0)
    monkeypatch.setattr(executor.run_claims, "__kwdefaults__",
                        {**executor.run_claims.__kwdefaults__, "connect_timeout": 2.0})
    start = time.monotonic()
    code = cli.main(["check", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9", "--only", "phi-properties",
                     "--json", "--report", str(tmp_path / "r")])
    out, err = capfd.readouterr()
    assert code == 3 and "--scheduler" in err.splitlines()[-1] and "Traceback" not in err
    assert json.loads(out)["error"]["exit_code"] == 3
    assert time.monotonic() - start < 30
    assert not (tmp_path / "r").exists() and not list(tmp_path.glob(".r.tmp-*"))


def test_a_stop_dropped_inside_a_finaliser_is_raised_again_and_not_reported(monkeypatch):
    """Python runs signal handlers at any safe point, including inside ``__del__``, where an exception is dropped;
    the bound must still end the body (this hung a Groebner enumeration under ``--timeout``).  The dropped stop is
    not reported as an unraisable exception (the hook in force before sees nothing of it), while another exception
    dropped in a finaliser under the bound still reaches that hook."""
    import sys

    from guards.alarm import within

    reported = []

    def hook(unraisable):
        reported.append(type(unraisable.exc_value).__name__)

    monkeypatch.setattr(sys, "unraisablehook", hook)

    class SlowFinaliser:
        def __del__(self):
            t = time.monotonic()
            while time.monotonic() - t < 0.3:  # the bound expires in here
                pass

    class FailingFinaliser:
        def __del__(self):
            raise ValueError("a finaliser's own error")

    start = time.monotonic()
    with pytest.raises(TimeoutError), within(0.1, lambda: TimeoutError("stop")):
        obj = FailingFinaliser()
        del obj
        obj = SlowFinaliser()
        del obj
        while time.monotonic() - start < 30:
            pass
    assert time.monotonic() - start < 5
    assert reported == ["ValueError"]
    assert sys.unraisablehook is hook  # restored once no bound is armed


def test_the_bounds_unraisable_hook_survives_callers_that_swap_hooks(monkeypatch, capsys):
    """A caller that keeps the bound's hook past the bound's end still gets other errors reported (by the default
    hook); a hook a caller installs inside the bound is left in place when the bound ends."""
    import sys

    from guards.alarm import within

    class FailingFinaliser:
        def __del__(self):
            raise ValueError("late")

    monkeypatch.setattr(sys, "unraisablehook", sys.__unraisablehook__)
    with within(5.0, lambda: TimeoutError("stop")):
        kept = sys.unraisablehook
    sys.unraisablehook = kept  # the caller puts the bound's hook back after the bound ended
    obj = FailingFinaliser()
    del obj  # reported by the default hook, not lost in an IndexError of the bound's hook
    assert "ValueError: late" in capsys.readouterr().err

    def mine(unraisable):
        pass

    with within(5.0, lambda: TimeoutError("stop")):
        sys.unraisablehook = mine
    assert sys.unraisablehook is mine
