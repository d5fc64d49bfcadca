"""Sweeps in ``s2s simulate``: JSON lines per seed, chunks, progress on stderr, ε × width sweeps, analysis selection,
the time budget mid-sweep, bounded memory and the Dask path (proofs_check/simulate_cmd.py, proofs_check/sweep.py)."""

from __future__ import annotations

import gc
import json
import os
import signal as signal_module
import sys
import time
import weakref

import numpy as np
import pytest

import numerics
from proofs_check import cli, simulate_cmd
from proofs_check.executor import TaskFailed, stream_ordered
from proofs_check.sweep import Point, default_chunk, plan_chunks

TINY = ["simulate", "linear-fc", "--singular-values", "2,1", "--width", "2", "--init-scale", "1e-4"]
IDENTITY = {"architecture", "sizes", "width", "task", "convention", "seed", "init_scale", "method", "lr", "t_max"}


def lines(argv, capfd):
    code = cli.main(argv)
    out, err = capfd.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_chunks_change_nothing_but_round_off(capfd):
    code, one_chunk, err = lines([*TINY, "--seeds", "5", "--chunk", "5", "--json", "--no-hessian"], capfd)
    assert code == 0 and err == ""
    code, chunked, _ = lines([*TINY, "--seeds", "5", "--chunk", "2", "--json", "--no-hessian"], capfd)
    assert code == 0 and [r["seed"] for r in chunked] == [0, 1, 2, 3, 4]
    assert [r["chunk"] for r in chunked] == [0, 0, 1, 1, 2] and [r["chunk_size"] for r in chunked] == [2, 2, 2, 2, 1]
    for a, b in zip(one_chunk, chunked, strict=True):
        assert set(a) == set(b)
        np.testing.assert_allclose(a["drop_times"], b["drop_times"], rtol=1e-7)
        np.testing.assert_allclose(a["plateau_levels"], b["plateau_levels"], rtol=1e-7, atol=1e-12)
        assert [v["label"] for v in a["itinerary"]] == [v["label"] for v in b["itinerary"]]
        ca, cb = np.array(a["effective_width"]["changes"]), np.array(b["effective_width"]["changes"])
        assert ca.shape == cb.shape and (ca[:, 1] == cb[:, 1]).all()
        np.testing.assert_allclose(ca[:, 0], cb[:, 0], rtol=1e-6)
    # One seed alone: one line, the same object as that seed in the sweep.
    code, (single,), _ = lines([*TINY, "--seed", "3", "--json", "--no-hessian"], capfd)
    assert code == 0 and single["seed"] == 3 and set(single) == set(chunked[3])
    np.testing.assert_allclose(single["drop_times"], chunked[3]["drop_times"], rtol=1e-7)
    same = IDENTITY | {"integrator", "status", "gradient_evaluations", "steps", "analyses", "n_drops"}
    assert {k: single[k] for k in same} == {k: chunked[3][k] for k in same}


def test_progress_lines_go_to_stderr_only(capfd):
    code, rs, err = lines([*TINY, "--seeds", "5", "--chunk", "2", "--json", "--analysis", "none", "--progress"],
                          capfd)
    assert code == 0 and len(rs) == 5  # stdout: only the JSON lines
    progress = err.strip().splitlines()
    assert len(progress) == 3 and progress[-1].startswith("s2s simulate: 5/5 seeds (100%)")
    assert all("seeds/s" in p and "ETA" in p for p in progress)
    # Not a terminal and no --progress: nothing on stderr.
    _, _, err = lines([*TINY, "--seeds", "2", "--json", "--analysis", "none"], capfd)
    assert err == ""


def test_init_scale_by_width_sweep(capfd):
    code, rs, _ = lines(["simulate", "linear-fc", "--singular-values", "2,1", "--init-scale", "1e-3,1e-6",
                         "--width", "1,3", "--seeds", "2", "--json", "--analysis", "staircase"], capfd)
    assert code == 0 and len(rs) == 8
    # ε outer, H inner, seeds ascending; every object names its point.
    assert [(r["init_scale"], r["width"], r["seed"]) for r in rs] == [
        (e, h, s) for e in (1e-3, 1e-6) for h in (1, 3) for s in (0, 1)]
    assert all(r["sizes"]["width"] == r["width"] for r in rs)
    # Width 1 learns one mode (one drop), width 3 both at ε = 1e-6; the first drop moves like ln(1/ε)/s_1
    # (docs/theory.md §6.4): by ln(1e3)/2 from ε = 1e-3 to 1e-6.
    assert [r["n_drops"] for r in rs if r["width"] == 1] == [1, 1, 1, 1]
    assert [r["n_drops"] for r in rs[6:]] == [2, 2]
    t1 = {(r["init_scale"], r["width"], r["seed"]): r["drop_times"][0] for r in rs}
    for h in (1, 3):
        assert t1[(1e-6, h, 0)] - t1[(1e-3, h, 0)] == pytest.approx(np.log(1e3) / 2.0, rel=0.02)


@pytest.mark.parametrize("extra,fragment", [
    (["--chunk", "0"], "--chunk=0"),
    (["--chunk", "-3"], "--chunk"),
    (["--width", "2,,4"], "--width"),
    (["--width", "2,x"], "--width"),
    (["--width", "2,0"], "--width=0"),
    (["--init-scale", "1e-2,1e-2"], "--init-scale"),
    (["--init-scale", "1e-2,-1"], "--init-scale=-1"),
    (["--init-scale", "1e-2,nan"], "--init-scale"),
    (["--analysis", "staircase,hessian"], "--analysis"),
    (["--analysis", "itinerary"], "needs staircase"),
    (["--analysis", "staircase,morse"], "needs itinerary"),
    (["--seeds", "100001"], "--seeds"),
    (["--scheduler", "tcp://127.0.0.1:9"], "--scheduler"),
    (["--jobs", "0"], "--jobs=0"),
    (["--integrator", "RK23"], "--integrator"),
])
def test_bad_sweep_values_are_one_line_exit_2(extra, fragment, capfd):
    argv = ["simulate", "linear-fc", "--singular-values", "2,1", *extra]
    argv = argv if "--width" in extra else [*argv, "--width", "2"]
    code = cli.main([*argv, "--json"])
    out, err = capfd.readouterr()
    assert code == 2 and fragment in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert len(out.strip().splitlines()) == 1 and json.loads(out)["error"]["exit_code"] == 2


def test_missing_dask_is_one_line_exit_2(monkeypatch, capfd):
    from dataclasses import replace
    from types import MappingProxyType

    from proofs_check import executor

    dask = replace(executor.EXECUTORS["dask"], available=lambda: False)
    missing = MappingProxyType({**executor.EXECUTORS, "dask": dask})
    monkeypatch.setattr(executor, "EXECUTORS", missing)
    code = cli.main([*TINY, "--executor", "dask"])
    err = capfd.readouterr().err
    assert code == 2 and "--executor=" in err and "pip install" in err and len(err.strip().splitlines()) == 1


def test_analysis_selection(capfd):
    _, (full,), _ = lines([*TINY, "--json"], capfd)
    assert full["analyses"] == ["staircase", "itinerary", "morse", "width"]
    assert all(isinstance(v["morse_index"], int) for v in full["itinerary"])
    _, (no_h,), _ = lines([*TINY, "--json", "--no-hessian"], capfd)
    assert no_h["analyses"] == ["staircase", "itinerary", "width"]
    assert all(v["morse_index"] is None for v in no_h["itinerary"])
    _, (stairs,), _ = lines([*TINY, "--json", "--analysis", "staircase"], capfd)
    assert stairs["drop_times"] == pytest.approx(full["drop_times"], rel=1e-12)
    assert "itinerary" not in stairs and "effective_width" not in stairs and "final_effective_width" not in stairs
    _, (bare,), _ = lines([*TINY, "--json", "--analysis", "none"], capfd)
    assert bare["analyses"] == [] and "drop_times" not in bare and bare["status"] == "converged"


def test_time_budget_mid_sweep_reports_unreached_seeds(monkeypatch, capfd):
    real = simulate_cmd.run_chunk

    def slow_after_first(job, chunk, *a, **k):
        out = real(job, chunk, *a, **k)
        if chunk.index == 0:  # let the budget run out between the first and the second chunk
            time.sleep(max(0.0, job.deadline_at - time.time()) + 0.05)
        return out

    monkeypatch.setattr(simulate_cmd, "run_chunk", slow_after_first)  # in this process: --jobs 1
    code, rs, err = lines([*TINY, "--seeds", "5", "--chunk", "2", "--time-budget", "3", "--json", "--analysis",
                           "staircase", "--jobs", "1"], capfd)
    assert code == 3 and [r["seed"] for r in rs] == [0, 1, 2, 3, 4]
    assert [r["status"] for r in rs[:2]] == ["converged", "converged"] and all("drop_times" in r for r in rs[:2])
    assert all(r["status"] == "skipped" and r["analysis"].startswith("skipped: --time-budget=3 s") for r in rs[2:])
    assert all(r["init_scale"] == 1e-4 and r["width"] == 2 for r in rs)
    assert "--time-budget=3 s used before seed 2" in err.strip().splitlines()[-1]


def test_finished_chunks_release_their_trajectories(monkeypatch, capfd):
    results: list[weakref.ref] = []
    real = numerics.gradient_flow

    def watched(*a, **k):
        gc.collect()
        alive = [r for r in results if r() is not None]
        assert not alive, "a finished chunk's trajectories are still held"
        res = real(*a, **k)
        results.append(weakref.ref(res))
        return res

    monkeypatch.setattr(numerics, "gradient_flow", watched)
    code, rs, _ = lines([*TINY, "--seeds", "3", "--chunk", "1", "--json", "--no-hessian", "--jobs", "1"], capfd)
    assert code == 0 and len(rs) == 3 and len(results) == 3


def test_plot_of_a_sweep_draws_the_first_seeds(tmp_path, capfd):
    png = tmp_path / "sweep.png"
    code = cli.main([*TINY, "--seeds", "3", "--chunk", "2", "--init-scale", "1e-3,1e-4", "--analysis", "staircase",
                     "--plot", str(png)])
    out = capfd.readouterr().out
    assert code == 0 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.count("seed ") == 6
    points = [Point(0, 1e-3, 2), Point(1, 1e-4, 2)]
    plan = plan_chunks(points, 0, 5, {0: 2, 1: 3}, trace_first=simulate_cmd.PLOT_SEEDS)
    assert [(c.first_seed, c.size, c.trace) for c in plan] == [(0, 2, 2), (2, 2, 2), (4, 1, 1), (0, 3, 3),
                                                               (3, 2, 0)]


def _dies_on_two(k: int) -> int:
    """A task for forked local workers: item 2 kills its worker process."""
    if k == 2:
        os._exit(7)
    return k * k


def test_local_workers_stream_in_order_and_a_dead_worker_costs_only_its_item():
    got = list(stream_ordered(_dies_on_two, range(7), executor="local", jobs=2))
    assert [k for k, _ in got] == list(range(7))
    assert [v for _, v in got if not isinstance(v, TaskFailed)] == [0, 1, 9, 16, 25, 36]
    assert isinstance(got[2][1], TaskFailed) and "worker process died" in got[2][1].error
    # An exception of the task is that item's TaskFailed too; jobs=1 runs in this process and lets it propagate.
    got = list(stream_ordered(_fails_on_two, range(4), executor="local", jobs=2))
    assert isinstance(got[2][1], TaskFailed) and "RuntimeError: lost" in got[2][1].error and got[3][1] == 9
    with pytest.raises(RuntimeError, match="lost"):
        list(stream_ordered(_fails_on_two, range(4), executor="local", jobs=1))


def test_worker_processes_give_the_in_process_results(capfd):
    argv = [*TINY, "--seeds", "5", "--chunk", "2", "--json", "--analysis", "staircase,itinerary,morse"]
    code, alone, _ = lines([*argv, "--jobs", "1"], capfd)
    code2, pooled, err = lines([*argv, "--jobs", "2"], capfd)
    assert code == code2 == 0 and err == "" and [r["seed"] for r in pooled] == [0, 1, 2, 3, 4]
    for a, b in zip(alone, pooled, strict=True):
        np.testing.assert_allclose(a["drop_times"], b["drop_times"], rtol=1e-9)
        assert [v["morse_index"] for v in a["itinerary"]] == [v["morse_index"] for v in b["itinerary"]]


def test_rk45_integrator_gives_the_same_drops(capfd):
    # Both pairs' drop times carry their own interpolation error (rtol-level, docs/accuracy.md); at rtol 1e-8 for
    # RK45 against DOP853's 1e-10 the difference was measured 2e-9 relative: asserted 1e-6.
    argv = [*TINY, "--seeds", "3", "--json", "--analysis", "staircase"]
    code, ref, _ = lines(argv, capfd)
    code2, rk, _ = lines([*argv, "--integrator", "RK45", "--rtol", "1e-8"], capfd)
    assert code == code2 == 0
    for a, b in zip(ref, rk, strict=True):
        assert a["integrator"].startswith("DOP853") and b["integrator"].startswith("RK45")
        assert b["gradient_evaluations"] != a["gradient_evaluations"]
        np.testing.assert_allclose(b["drop_times"], a["drop_times"], rtol=1e-6)


def test_default_chunk_follows_the_memory_limit(monkeypatch):
    assert default_chunk(500, 1) == 1
    assert default_chunk(10, 100_000) == 256 and default_chunk(500, 100_000) == 66  # C·n ≈ 32768
    monkeypatch.setenv("S2S_MEMORY_LIMIT", "100M")
    assert 1 <= default_chunk(500, 1000) == int(0.5 * 100 * 2**20 // (8 * 500 * 2026 + 50_000))


@pytest.fixture(scope="module")
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
        yield c.scheduler_address


def _fails_on_two(k: int) -> int:
    """A task for the workers (this test module is sent by value: the workers cannot import it)."""
    if k == 2:
        raise RuntimeError("lost")
    return k * k


def test_dask_streams_chunks_in_seed_order(dask_scheduler, capfd):
    argv = [*TINY, "--seeds", "5", "--chunk", "2", "--json", "--analysis", "staircase"]
    code, local, _ = lines(argv, capfd)
    code_d, remote, _ = lines([*argv, "--executor", "dask", "--scheduler", dask_scheduler], capfd)
    assert code == code_d == 0 and [r["seed"] for r in remote] == [0, 1, 2, 3, 4]
    for a, b in zip(local, remote, strict=True):
        np.testing.assert_allclose(a["drop_times"], b["drop_times"], rtol=1e-7)
    # A task that raises on its worker comes back as TaskFailed in its place; the others are unaffected.
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    got = list(stream_ordered(_fails_on_two, range(5), executor="dask", scheduler=dask_scheduler, window=2))
    assert [k for k, _ in got] == [0, 1, 2, 3, 4]
    assert [v for _, v in got if not isinstance(v, TaskFailed)] == [0, 1, 9, 16]
    assert isinstance(got[2][1], TaskFailed) and "RuntimeError: lost" in got[2][1].error


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry))
    return out


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process table from /proc")
@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_a_signal_mid_sweep_ends_the_workers_and_keeps_the_lines(sig, tmp_path):
    import signal
    import subprocess

    argv = [sys.executable, "-m", "proofs_check", *TINY, "--seeds", "4000", "--chunk", "20", "--jobs", "2",
            "--json", "--analysis", "staircase"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    first = proc.stdout.readline()  # the workers are running once the first chunk is printed
    workers = _children(proc.pid)
    proc.send_signal(getattr(signal, sig))
    rest, err = proc.stdout.read(), proc.stderr.read()  # (communicate would skip what readline buffered)
    proc.wait(timeout=60)
    lines = [first, *rest.splitlines()]
    assert proc.returncode in (130, 143) and f"interrupted by {sig}" in err
    assert json.loads(lines[-1])["error"]["exit_code"] == proc.returncode
    assert all(json.loads(x)["status"] == "converged" for x in lines[:-1]) and len(lines) > 1
    time.sleep(0.5)
    assert workers and not [w for w in workers if os.path.exists(f"/proc/{w}")]


_WRITER = """
import sys
from proofs_check.cli import _stdout_for_results
from proofs_check.signals import deferred, interruptible

with _stdout_for_results(), interruptible():
    try:
        print("ready", file=sys.stderr, flush=True)
        with deferred():
            print("\\n".join(["x" * 999] * 2000), flush=True)
    except BaseException as exc:
        print(f"interrupted {type(exc).__name__}", file=sys.stderr, flush=True)
"""


@pytest.mark.skipif(not hasattr(signal_module, "SIGTERM") or os.name != "posix", reason="POSIX signals")
def test_a_signal_during_a_write_to_a_full_pipe_loses_no_output(tmp_path):
    """The block of lines is 2 MB, the pipe holds 64 kB and nobody reads it until the signal has arrived: the
    interrupted write(2) returns a partial count, and every byte must still come out (a raw file under the text
    layer dropped the rest and cut a JSON line), before the command answers the signal."""
    import subprocess

    proc = subprocess.Popen([sys.executable, "-c", _WRITER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=tmp_path)
    assert proc.stderr.readline().strip() == b"ready"
    time.sleep(0.3)  # the writer is now blocked on the full pipe
    proc.send_signal(signal_module.SIGTERM)
    out, err = proc.stdout.read(), proc.stderr.read()
    proc.wait(timeout=60)
    assert out == ("\n".join(["x" * 999] * 2000) + "\n").encode()
    assert b"interrupted Interrupted" in err


@pytest.mark.skipif(not hasattr(os, "kill"), reason="sends a signal to this process")
def test_deferred_holds_a_signal_while_another_thread_could_take_it():
    # a worker pool's helper threads do not block SIGINT: with the signal only masked in the main thread, the kernel
    # delivered it to one of them and Python ran the handler in the main thread in the middle of the held block
    # (a JSON line cut before its newline, then the error object glued to it)
    import signal
    import threading

    from proofs_check.signals import deferred

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    done = []
    arrived = threading.Event()
    # Python's own SIGINT handler is what deferred hands the signal back to (earlier tests of this process may have
    # left another); and "arrived" is awaited rather than a fixed sleep: on a loaded machine the thread the kernel
    # chose can take longer than any fixed wait to run the C-level handler.
    original = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with deferred():
                record = signal.getsignal(signal.SIGINT)

                def noting(signum, frame):
                    record(signum, frame)
                    arrived.set()

                signal.signal(signal.SIGINT, noting)
                os.kill(os.getpid(), signal.SIGINT)
                end = time.monotonic() + 30.0
                while not arrived.is_set() and time.monotonic() < end:
                    time.sleep(0.01)  # returning to the interpreter lets the main thread run a pending handler
                assert arrived.is_set(), "SIGINT not received within 30 s"
                done.append("body")  # the body runs to its end although the signal has arrived
            done.append("after")  # never: the held signal is raised when the body ends
    finally:
        signal.signal(signal.SIGINT, original)
        stop.set()
        other.join()
    assert done == ["body"]


def test_default_chunk_leaves_no_worker_idle_and_follows_the_integrated_network(capsys):
    """At most ⌈K/(2W)⌉ seeds per chunk for W workers, but not cut below 16 for it; a reduced run (linear-fc 5 → 5,
    H = 50: 10 units, n = 100) is chunked by the n it integrates (C·n ≈ 32768, capped at 256), a full one by its own
    (66 at n = 500)."""
    assert default_chunk(100, 256, 2) == 64 and default_chunk(100, 100_000, 2) == 256
    assert default_chunk(500, 512, 2) == 66 and default_chunk(500, 100, 2) == 25
    assert default_chunk(500, 3, 4) == 3 and default_chunk(500, 40, 2) == 16
    base = ["simulate", "linear-fc", "--singular-values", "5,4,3,2,1", "--width", "50", "--init-scale", "1e-2",
            "--seeds", "600", "--json", "--analysis", "none", "--t-max", "0.5", "--jobs", "1", "--no-progress"]
    for extra, size in (([], 256), (["--no-reduction"], 66)):
        assert cli.main(base + extra) == 0
        objs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
        assert objs[0]["chunk_size"] == size and len(objs) == 600
