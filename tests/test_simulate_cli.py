"""``s2s simulate`` through its own parser (``configure_parser`` + ``run``), as the CLI's main will wire it."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pytest

import guards
from numerics.integrate import EXPLICIT_PAIRS
from proofs_check import simulate_cmd
from proofs_check.cli import CONVENTION

KEYS = {"architecture", "convention", "plateau_levels", "drop_times", "itinerary", "status", "gradient_evaluations",
        "seconds", "effective_width", "timing"}


def simulate(argv, capsys):
    """Exit code and the output: with --json the list of JSON-lines objects (one per seed), else the text."""
    p = argparse.ArgumentParser(prog="s2s simulate")
    simulate_cmd.configure_parser(p)
    code = simulate_cmd.run(p.parse_args(argv))
    out = capsys.readouterr().out
    return code, ([json.loads(line) for line in out.splitlines()] if "--json" in argv else out)


def simulate_one(argv, capsys):
    """A one-seed run: its JSON output is exactly one line."""
    code, (r,) = simulate(argv, capsys)
    return code, r


def test_linear_json(capsys):
    code, r = simulate_one(["linear-fc", "--singular-values", "3,2,1", "--width", "4", "--init-scale", "1e-6",
                            "--json"], capsys)
    assert code == 0 and KEYS <= set(r)
    assert r["architecture"] == "linear-fc" and r["convention"] == CONVENTION and r["status"] == "converged"
    # Levels ½ Σ_{j>k} s_j² (spec §6.5); first = initial loss, last = final loss.
    np.testing.assert_allclose(r["plateau_levels"], [7.0, 2.5, 0.5, 0.0], rtol=1e-2, atol=1e-8)
    assert r["plateau_levels"][0] == pytest.approx(7.0, rel=1e-9) and r["plateau_levels"][-1] == r["final_loss"]
    # Drop times: leading order t_k ≈ ln(1/ε)/s_k + O(1/s_k) (spec §6.4): ordered and within the O(1) band.
    t = np.array(r["drop_times"])
    assert (np.diff(t) > 0).all() and np.all(np.abs(t - np.log(1e6) / np.array([3.0, 2.0, 1.0])) < 2.0)
    assert [v["label"] for v in r["itinerary"]] == ["modes{}", "modes{1}", "modes{1,2}", "modes{1,2,3}"]
    assert r["effective_width"]["measure"] == "rank"
    assert [c[1] for c in r["effective_width"]["changes"]] == [0, 1, 2, 3] and r["final_effective_width"] == 3


def test_seeds_give_one_line_each_matching_single_runs(capsys):
    base = ["linear-fc", "--singular-values", "2,1", "--width", "3", "--init-scale", "1e-4", "--json",
            "--no-hessian"]
    code, rs = simulate(base + ["--seed", "5", "--seeds", "2"], capsys)
    assert code == 0 and [r["seed"] for r in rs] == [5, 6]
    _, single = simulate_one(base + ["--seed", "6"], capsys)
    # Same seed, same initial weights; the batch only changes round-off (flow.py: agreement to the tolerance).
    np.testing.assert_allclose(rs[1]["drop_times"], single["drop_times"], rtol=1e-6)


def test_quadratic_plateau_levels(capsys):
    # Spec §6.5: 10 → 7.333 → 2 → 1.2 → 0 for A = diag(2, 1, −1, −2), H = 8, ε = 1e-3 (one unit per drop).
    code, r = simulate_one(["quadratic", "--init-scale", "1e-3", "--json", "--no-hessian"], capsys)
    assert code == 0 and r["status"] == "converged"
    np.testing.assert_allclose(r["plateau_levels"], [10.0, 22 / 3, 2.0, 1.2, 0.0], rtol=1e-4, atol=1e-8)
    assert [c[1] for c in r["effective_width"]["changes"]] == [0, 1, 2, 3, 4]


def test_gd_divergence_exit_3(capsys):
    code, r = simulate_one(["linear-fc", "--singular-values", "3,2,1", "--width", "4", "--method", "gd", "--lr",
                            "2.0", "--init-scale", "0.1", "--json", "--no-hessian"], capsys)
    assert code == 3 and r["status"] == "diverged"
    assert r["status_loss"] > 1e3 * 7.0 * 0.99 and r["status_time"] > 0 and len(r["plateau_levels"]) >= 2


def test_gd_runs_and_step_budget(capsys):
    argv = ["linear-fc", "--singular-values", "2,1", "--width", "2", "--method", "gd", "--lr", "0.01",
            "--init-scale", "1e-4", "--json", "--no-hessian"]
    code, r = simulate_one(argv, capsys)
    assert code == 0 and r["method"] == "gradient_descent" and r["status"] == "converged"
    code, r = simulate_one(argv + ["--max-steps", "50"], capsys)
    assert code == 3 and r["status"] == "budget" and r["t_final"] == pytest.approx(0.5)


def test_flow_step_budget_keeps_partial_results(capsys):
    code, r = simulate_one(["linear-fc", "--singular-values", "2,1", "--width", "2", "--max-steps", "20", "--json"],
                           capsys)
    assert code == 3 and r["status"] == "budget" and r["t_final"] > 0 and r["plateau_levels"]


def test_text_output_and_plot(capsys, tmp_path):
    png = tmp_path / "run.png"
    code, out = simulate(["linear-fc", "--singular-values", "2,1", "--width", "2", "--seeds", "2",
                          "--plot", str(png), "--log-time"], capsys)
    assert code == 0 and "plateau levels" in out and "seed 1" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv", [
    ["linear-fc", "--method", "gd"],  # GD without a learning rate
    ["linear-fc", "--method", "gd", "--lr", "-1"],
    ["linear-fc", "--t-max", "0"],
    ["no-such-net"],
    ["linear-fc", "--plot", "out.pdf"],
])
def test_bad_input_raises_input_error(argv, capsys):
    with pytest.raises(guards.InputError):
        simulate(argv, capsys)


def test_default_horizons():
    from proofs_check.problem import add_problem_arguments, build_problem

    p = argparse.ArgumentParser()
    add_problem_arguments(p)  # single values: one point of a sweep, as simulate builds each

    lin = build_problem(p.parse_args(["linear-fc", "--init-scale", "1e-6"]))
    assert simulate_cmd.default_t_max(lin) == pytest.approx(1.5 * 2 * np.log(1e6) + 25)  # s_min = 1
    quad = build_problem(p.parse_args(["quadratic", "--init-scale", "1e-3"]))
    assert simulate_cmd.default_t_max(quad) == pytest.approx(4e4)  # 40 / (min|a| ε)
    assert simulate_cmd.default_gtol(quad) == pytest.approx(1e-10)
    assert simulate_cmd.default_gtol(build_problem(p.parse_args(["quadratic", "--init-scale", "1e-5"]))) == (
        pytest.approx(1e-13))


def test_timing_accounts_for_every_phase(capsys):
    code, rs = simulate(["linear-fc", "--singular-values", "3,2,1", "--width", "4", "--seeds", "3", "--json"], capsys)
    assert code == 0 and len(rs) == 3
    for r in rs:
        t = r["timing"]
        phases = t["setup"] + t["integration"] + t["analysis"] + t["output"]
        assert all(t[k] >= 0 for k in t) and t["integration"] == pytest.approx(r["seconds"], abs=0.05)
        # the phases cover the command's run up to the final print; the total cannot be shorter than them
        assert phases <= t["total"] + 1e-3 and t["analysis_this_seed"] <= t["analysis"] + 1e-4
    assert sum(r["timing"]["analysis_this_seed"] for r in rs) == pytest.approx(rs[0]["timing"]["analysis"], abs=1e-3)


TIE = ["linear-fc", "--singular-values", "5,4,3,2,1", "--width", "50", "--init-scale", "1e-6", "--seed", "1643",
       "--seeds", "2", "--integrator", "RK45", "--rtol", "1e-3", "--json", "--jobs", "1"]
# seed 1644's drop times at DOP853 rtol 1e-12 (3 drops; test_pairs); seed 1643's differ by 0.6 % (2.7741, 6.0539, ...)
REFERENCE_1644 = [2.7584, 6.0850, 11.6219]


def test_a_threshold_tie_is_settled_by_integrating_that_seed_again(capsys):
    # seed 1644 counts 3 drops at rtol 1e-12 and 4 at RK45 1e-3 (a dip of prominence 2.2997 / 2.3058 against
    # ln 10 = 2.3026, test_pairs): its count needs drop times within ~4e-5 (count_tolerance), RK45 at 1e-3 gives
    # 5.1e-4, so it is integrated again at the rtol whose accuracy is a quarter of that need (≈ 1e-5), where the
    # count is the reference's 3 and the run accurate enough.  Seed 1643 (margin 0.27) is not touched.
    code, (far, tie) = simulate(TIE, capsys)
    assert code == 0 and far["count_settling"] is None and far["n_drops"] == 3
    record = tie["count_settling"]
    assert tie["seed"] == 1644 and record["settled"] is True and tie["n_drops"] == 3
    assert record["count_tolerance"][0] < record["drop_time_accuracy"][0] == pytest.approx(5.1e-4, rel=1e-9)
    a, p = EXPLICIT_PAIRS["RK45"].accuracy_law
    assert record["rtol"][:2] == pytest.approx([1e-3, (record["count_tolerance"][0] / 4 / a) ** (1 / p)], rel=1e-9)
    assert record["count_tolerance"][-1] >= record["drop_time_accuracy"][-1]
    assert all(s in ("converged", "t_max") for s in record["status"])
    np.testing.assert_allclose(tie["drop_times"], REFERENCE_1644, rtol=1e-4)
    # the integration fields and the other analyses are those of the run the staircase was read on; a Morse index
    # taken from the cache names a seed of this chunk
    assert tie["gradient_evaluations"] == record["gradient_evaluations"][-1] > record["gradient_evaluations"][0]
    assert len(tie["itinerary"]) == tie["n_drops"] + 1
    assert tie["itinerary"][-1]["loss"] == pytest.approx(tie["final_loss"], rel=1e-6, abs=1e-12)
    sources = {v["morse_from"]["source"] for r in (far, tie) for v in r["itinerary"] if v.get("morse_from")}
    assert sources <= {1643, 1644}
    assert tie["final_effective_width"] == 5
    code, (_, kept) = simulate([*TIE, "--analysis", "staircase", "--no-settle"], capsys)
    assert code == 0 and kept["count_settling"] is None and kept["n_drops"] == 4


def test_settling_over_several_runs_integrates_the_seeds_own_start(capsys, monkeypatch):
    # rtol divided by exactly 4 per run: the tie (row 1 of the chunk) takes several runs, and from the second one on
    # its result index (0 in the re-integration) differs from its row; every run must start from seed 1644's θ₀
    from proofs_check import settle

    monkeypatch.setattr(settle, "MAX_STEP", 4.0)
    code, (_, tie) = simulate([*TIE, "--analysis", "staircase"], capsys)
    record = tie["count_settling"]
    assert code == 0 and tie["seed"] == 1644 and record["settled"] is True and len(record["rtol"]) >= 3
    assert record["rtol"] == pytest.approx([1e-3 / 4**k for k in range(len(record["rtol"]))], rel=1e-12)
    np.testing.assert_allclose(tie["drop_times"], REFERENCE_1644, rtol=1e-3)


def test_a_tie_that_no_tolerance_above_the_floor_settles_is_reported_unsettled(capsys, monkeypatch):
    from proofs_check import settle

    # one run at the floor 2e-4, whose drop-time accuracy (~1.3e-4) is far from what the count needs (~4e-5), then
    # no tighter tolerance is allowed
    monkeypatch.setattr(settle, "RTOL_FLOOR", 2e-4)
    code, (_, tie) = simulate([*TIE, "--analysis", "staircase"], capsys)
    record = tie["count_settling"]
    assert code == 0 and record["settled"] is False
    assert record["rtol"] == pytest.approx([1e-3, 2e-4], rel=1e-12)
    assert record["count_tolerance"][-1] < record["drop_time_accuracy"][-1]


def test_a_re_integration_that_does_not_finish_is_recorded_and_the_earlier_run_stands(capsys, monkeypatch):
    real = simulate_cmd._integrate

    def failing(problem, args, t_max, deadline):
        fun, res, statuses = real(problem, args, t_max, deadline)
        return fun, res, statuses if args.rtol == 1e-3 else ["budget"] * len(statuses)

    monkeypatch.setattr(simulate_cmd, "_integrate", failing)
    code, (_, tie) = simulate([*TIE, "--analysis", "staircase"], capsys)
    record = tie["count_settling"]
    assert code == 0 and record["settled"] is False and record["status"][-1] == "budget"
    assert record["count_tolerance"][-1] is None and len(record["gradient_evaluations"]) == 2
    assert tie["n_drops"] == 4 and tie["gradient_evaluations"] == record["gradient_evaluations"][0]


@pytest.mark.parametrize("method", [[], ["--method", "gd", "--lr", "0.05"]])
def test_a_wide_linear_net_is_trained_as_the_narrower_one_it_is(capsys, method):
    """linear-fc 3 → 3 with H = 12 units has m = 6 parameters per unit: it is trained as 6 units (``reduced_units``)
    and reports what training all 12 reports (``--no-reduction``), within the accuracy of the runs: GD steps commute
    with the rotation, so to round-off (1e-9 relative on the losses); the adaptive flow at rtol 1e-10 to its drop-time
    accuracy (twice the DOP853 law, 3.4e-8).  Labels and widths are those of the full network."""
    base = ["linear-fc", "--singular-values", "3,2,1", "--width", "12", "--init-scale", "1e-4", "--json",
            "--seeds", "3", "--t-max", "30", *method]
    code, small = simulate(base, capsys)
    code_full, full = simulate(base + ["--no-reduction"], capsys)
    assert code == code_full == 0
    tol = 1e-9 if method else 2 * EXPLICIT_PAIRS["DOP853"].drop_time_accuracy(1e-10)
    for a, b in zip(small, full, strict=True):
        assert a["reduced_units"] == 6 and b["reduced_units"] is None
        assert a["n_drops"] == b["n_drops"] >= 2
        np.testing.assert_allclose(a["drop_times"], b["drop_times"], rtol=tol)
        np.testing.assert_allclose(a["final_loss"], b["final_loss"], rtol=1e-8, atol=1e-12)
        assert [v["label"] for v in a["itinerary"]] == [v["label"] for v in b["itinerary"]]
        assert [v["morse_index"] for v in a["itinerary"]] == [v["morse_index"] for v in b["itinerary"]]
        assert a["final_effective_width"] == b["final_effective_width"] == 3


def test_networks_without_the_rotation_symmetry_are_trained_as_they_are(capsys):
    code, (r,) = simulate(["relu-fc", "--width", "8", "--init-scale", "1e-3", "--json", "--t-max", "5",
                           "--analysis", "none"], capsys)
    assert code == 0 and r["reduced_units"] is None


def test_batched_analyses_take_the_seeds_in_order_by_integration():
    # The chunk's batched analyses (itinerary, width) describe the seeds in runs that share one integration, in
    # seed order: a seed settled on its own re-integration splits the run (and keeps the Morse cache's order).
    from types import SimpleNamespace

    from proofs_check.analyses import _runs

    main, again = object(), object()
    seeds = [SimpleNamespace(res=r, n=k) for k, r in enumerate([main, main, again, main, main, main])]
    assert [[s.n for s in run] for run in _runs(seeds)] == [[0, 1], [2], [3, 4, 5]]
    assert list(_runs([])) == []


def test_the_analysis_stops_between_parts_when_the_budget_runs_out(capsys, monkeypatch):
    # A chunk's seeds are analysed in parts (batched within a part) and --time-budget is looked at before each: the
    # first part (one seed) is complete, the budget runs out after it, and every later seed is reported skipped,
    # not analysed and thrown away.
    from dataclasses import replace

    from proofs_check import analyses

    parts = []
    staircase = analyses.ANALYSES["staircase"]
    monkeypatch.setitem(analyses.ANALYSES, "staircase",
                        replace(staircase, batch=lambda part: parts.append(len(part)) or staircase.batch(part)))
    monkeypatch.setattr(guards.Deadline, "expired", lambda self: bool(parts))
    code, objs = simulate(["linear-fc", "--singular-values", "3,2,1", "--width", "4", "--init-scale", "1e-4",
                           "--seeds", "5", "--jobs", "1", "--json", "--time-budget", "600"], capsys)
    assert parts == [1] and code == 3 and len(objs) == 5
    assert "analysis" not in objs[0] and objs[0]["itinerary"] and objs[0]["effective_width"]["width"]
    assert all(o["analysis"].startswith("skipped: --time-budget=600 s used before the analysis of seed") and
               "itinerary" not in o for o in objs[1:])


def test_parts_grow_to_a_slice_of_analysis_time(monkeypatch):
    # one seed first, then as many as the last part's cost per seed fits in ANALYSIS_SLICE (1 ... MAX_PART)
    clock = [0.0]
    monkeypatch.setattr(simulate_cmd.time, "perf_counter", lambda: clock[0])
    sizes = []
    for part in simulate_cmd._parts(list(range(300))):
        sizes.append(len(part))
        clock[0] += len(part) * (0.1 if len(sizes) < 3 else 0.001)  # 0.1 s per seed, then 1 ms
    assert sizes[:4] == [1, 2, 2, simulate_cmd.MAX_PART] and sum(sizes) == 300
