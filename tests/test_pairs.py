"""The explicit pairs of numerics.integrate (DOP853, RK45), Hairer's stiffness counters, and the batched drop-time
refinement (refine_crossings_many, staircases_from_result) against their one-member forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from test_numerics_integrate import linear_net, quad_fun, saxe_a, saxe_fun, t_mid

import numerics as N
from numerics.errors import InputError
from numerics.integrate import EXPLICIT_PAIRS, gradient_flow, interpolate, refine_crossing
from numerics.integrate.flow import NONSTIFF_RESET, stiffness_counts
from numerics.integrate.pairs import resolve_pair


def test_rk45_reproduces_scipy_rk45_step_sequence():
    # Same tableau, error norm, controller and initial step as SciPy's RK45: the same accepted times while the
    # error estimate is meaningful (not bitwise: the stage sums are BLAS products; after convergence the estimate
    # is round-off and the sequences drift, as for DOP853 in test_numerics_integrate).
    s, a0 = 3.0, 1e-8
    fun = saxe_fun(s)
    th0 = np.array([[math.sqrt(a0), math.sqrt(a0)]])
    m = gradient_flow(fun, th0, 10.0, gtol=0, rtol=1e-7, atol=1e-12, explicit="RK45")[0]
    sol = solve_ivp(lambda t, y: -fun(y[None])[1][0], (0, 10), th0[0], method="RK45", rtol=1e-7, atol=1e-12)
    assert m.status == "t_max" and m.method == "RK45"
    k = int(np.argmax(m.loss < 1e-6))
    assert k > 40
    np.testing.assert_allclose(m.t[:k], sol.t[:k], rtol=1e-6, atol=0)
    assert abs(m.gradient_evaluations - sol.nfev) <= 2 * 6


@pytest.mark.parametrize("save_every", [1, 4])
def test_rk45_dense_output_and_crossing(save_every):
    # 4th-order interpolant, 5th-order solution at rtol 1e-9: a(t) relative error measured 3e-9 at the grid of
    # times; the bound 1e-7 is 100 rtol (the global error of ~200 steps, each ≤ rtol). The crossing inherits it
    # divided by the relative slope, measured 2e-10 relative; asserted 1e-7.
    s, a0 = 2.0, 1e-6
    fun = saxe_fun(s)
    res = gradient_flow(fun, np.array([[math.sqrt(a0)] * 2]), 8.0, gtol=0, rtol=1e-9, atol=1e-14,
                        explicit="RK45", save_every=save_every)
    times = np.linspace(0.0, 8.0, 37)
    th, _ = interpolate(fun, res, 0, times)
    np.testing.assert_allclose(th[:, 0] * th[:, 1], saxe_a(times, s, a0), rtol=1e-7)
    tc = refine_crossing(fun, res, 0, s**2 / 4)
    assert abs(tc - t_mid(s, a0)) <= 1e-7 * t_mid(s, a0)


@pytest.mark.parametrize("explicit", list(EXPLICIT_PAIRS))
def test_each_pair_switches_on_a_stiff_problem_and_converges(explicit):
    fun = quad_fun([2000.0, 1.0])
    res = gradient_flow(fun, np.array([[1.0, 1.0]]), 50.0, rtol=1e-6, atol=1e-12, gtol=1e-10,
                        stiff_method="krylov", explicit=explicit)
    m = res[0]
    # The fast mode is gone by t ≈ 0.01; from then on every step sits at the stability limit.  DOP853 counts 15
    # stiff steps at once (switch at t ≈ 0.05); RK45's controller settles at h·λ ≈ 3.2–3.3, around Hairer's
    # threshold 3.25, so its count grows more slowly (switch at t ≈ 4.8): both long before the slow mode
    # (rate 1) reaches gtol at t ≈ 23.
    assert m.method == f"{explicit}+krylov" and m.status == "converged"
    assert m.stiff_switch_time < (1.0 if explicit == "DOP853" else 10.0)
    explicit_only = gradient_flow(fun, np.array([[1.0, 1.0]]), m.t_final, rtol=1e-6, atol=1e-12, gtol=0,
                                  stiff_method=None, explicit=explicit)[0]
    assert m.gradient_evaluations < explicit_only.gradient_evaluations / 10


def test_unknown_pair_is_one_line_error():
    assert resolve_pair(EXPLICIT_PAIRS["RK45"]) is EXPLICIT_PAIRS["RK45"]
    with pytest.raises(InputError, match="explicit: must be one of 'DOP853', 'RK45'"):
        gradient_flow(quad_fun([1.0]), np.ones((1, 1)), 1.0, explicit="RK23")


def test_hairers_counters_survive_an_isolated_calm_step():
    stiff, calm = np.zeros(2, dtype=int), np.zeros(2, dtype=int)
    # member 0: stiff, stiff, calm, stiff -> count 3 (a calm step does not reset);
    # member 1: stiff, then NONSTIFF_RESET calm steps -> reset to 0
    pattern0 = [True, True, False, True]
    pattern1 = [True] + [False] * NONSTIFF_RESET
    for k in range(max(len(pattern0), len(pattern1))):
        hot = np.array([pattern0[k] if k < len(pattern0) else True, pattern1[k] if k < len(pattern1) else False])
        stiff, calm = stiffness_counts(hot, stiff, calm)
        if k == len(pattern0) - 1:
            assert stiff[0] == 3
    assert stiff[1] == 0 and calm[1] == NONSTIFF_RESET
    # member 0 went on being stiff after its pattern: 3 + the remaining steps (a rule that reset on every calm
    # step would have given 1 at the fourth step)
    assert stiff[0] == 3 + (len(pattern1) - len(pattern0))


@pytest.mark.parametrize("explicit,save_every", [("DOP853", 1), ("DOP853", 3), ("RK45", 3)])
def test_batched_staircases_equal_the_one_member_ones(explicit, save_every):
    sig = np.diag([3.0, 2.0, 1.0])
    fun = linear_net(sig, 4)
    th0 = np.stack([np.random.default_rng(k).standard_normal(2 * 4 * 3) * 1e-4 for k in range(5)])
    res = gradient_flow(fun, th0, 25.0, rtol=1e-7, gtol=1e-12, stiff_method="krylov", explicit=explicit,
                        save_every=save_every)
    together = N.staircases_from_result(res, fun=fun)
    for b, sc in enumerate(together):
        alone = N.staircase_from_result(res, b, fun=fun)
        assert sc.n_drops == alone.n_drops >= 2
        np.testing.assert_array_equal(sc.levels, alone.levels)
        # the same Brent steps on losses evaluated in a batch of rows instead of one: equal up to the batch's
        # round-off in the loss (measured bitwise equal here)
        np.testing.assert_allclose(sc.drop_times, alone.drop_times, rtol=1e-12)
        np.testing.assert_allclose(sc.durations, alone.durations, rtol=1e-12)
    # members may be chosen and ordered; a member with too few points has None
    picked = N.staircases_from_result(res, [3, 1], fun=fun)
    np.testing.assert_array_equal(picked[0].drop_times, together[3].drop_times)
    short = gradient_flow(fun, th0[:1], 1e-9, gtol=0)
    assert N.staircases_from_result(short, fun=fun) == [None]


def test_rate_extremes_find_the_saxe_peak_between_samples():
    # One Saxe mode: |dL/dt| ∝ X/(a0 X + s − a0)³ with X = e^{2st}, largest at X = (s − a0)/(2 a0) (docs/theory.md
    # §0.7 gives dℓ/dt). The search stops when its bracket, or its last move, is below EXTREME_BRACKET (1e-4) of
    # the two recorded steps around the sample (2h ≈ 0.2 here): the time is known to ≈ 1e-5 (3e-6 relative);
    # asserted 1e-5 relative. (A drop's peak only decides its prominence, where the error enters squared.)
    s, a0 = 2.0, 1e-6
    fun = saxe_fun(s)
    res = gradient_flow(fun, np.array([[math.sqrt(a0)] * 2]), 8.0, gtol=0, rtol=1e-10, save_every=3)
    m = res[0]
    k = int(np.argmax(m.grad_norm))
    (t, loss, rate), = N.integrate.rate_extremes_many(fun, res, [(0, [k], [True])])
    t_peak = math.log((s - a0) / (2 * a0)) / (2 * s)
    assert abs(t[0] - t_peak) <= 1e-5 * t_peak
    assert rate[0] >= m.grad_norm[k] ** 2 and loss[0] == pytest.approx(0.5 * (s - saxe_a(t[0], s, a0)) ** 2,
                                                                        rel=1e-8)
    # the slowest point searched around a sample at the end of the record is the sample itself
    (t_end, _, _), = N.integrate.rate_extremes_many(fun, res, [(0, [m.t.size - 1], [False])])
    assert t_end[0] == m.t[-1]


def test_prominences_of_an_alternating_profile():
    from numerics.plateaus import _prominences

    # valleys 0 | peak 5 | valley 4 | peak 6 | valley 1: the first peak's base on the right is 4 (then a higher
    # peak), on the left 0 -> prominence 5 - 4 = 1; the second: bases 0 (left, past the lower peak) and 1 -> 5
    np.testing.assert_array_equal(_prominences(np.array([5.0, 6.0]), np.array([0.0, 4.0, 1.0])), [1.0, 5.0])


def _sweep_case(seed: int, **flow):
    """The sweep benchmark's network (linear-fc, s = 5..1, H = 50, ε = 1e-6) at one seed, integrated to t = 40 with
    the krylov stiff strategy and the options ``flow``: (fun, result)."""
    arch = N.build_architecture("linear-fc", d_in=5, d_out=5, width=50)
    fun = N.gradient_function(arch, N.whitened(np.array([5.0, 4.0, 3.0, 2.0, 1.0])))
    th = N.init_params(arch, 1e-6, seed=seed, n_seeds=1)
    return fun, gradient_flow(fun, th, 40.0, gtol=1e-10, stiff_method="krylov", **flow)


def test_the_staircase_does_not_depend_on_where_the_steps_fell():
    # linear-fc, s = 5..1, H = 50, eps = 1e-6, seed 70: modes 5 and 4 drop 0.6 apart and the dip between them is
    # about ln 10 deep. On the samples the dip looks shallower (they miss the top of the peaks and the bottom of
    # the valley), so a sample-only detector merges the two drops, or not, depending on where the steps fell;
    # located on the dense output, both runs see the same 4 drops, with drop times equal up to the integration
    # error (RK45 at rtol 1e-5 against DOP853 at 1e-12: measured 4.5e-6; asserted 1e-4, 10 rtol).
    fun, tight = _sweep_case(70, rtol=1e-12, atol=1e-16)
    _, loose = _sweep_case(70, rtol=1e-5, explicit="RK45")
    a, b = N.staircase_from_result(tight, 0, fun=fun), N.staircase_from_result(loose, 0, fun=fun)
    assert a.n_drops == b.n_drops == 4
    np.testing.assert_allclose(b.drop_times, a.drop_times, rtol=1e-4)
    np.testing.assert_allclose(b.levels[1:-1], a.levels[1:-1], rtol=1e-4)
    # the samples alone (no dense output) merge the pair here, even at rtol 1e-12 (3 drops in both runs)
    assert [N.staircase_from_result(r, 0).n_drops for r in (tight, loose)] == [3, 3]


@pytest.mark.parametrize("seed,unchecked_error", [(685, 1e-3), (994, 1e-4)])
def test_a_crossing_inside_a_step_that_leaves_the_flow_is_re_timed(seed, unchecked_error):
    # linear-fc, s = 5..1, H = 50, eps = 1e-6 at DOP853 rtol 1e-6: one 2.4-long step crosses the whole last drop,
    # and its interpolant's loss slope at the midpoint differs from −‖∇L‖² by 13 % (seed 685) or 2.3 % (seed 994;
    # interpolants that follow the flow: 1e-5 here). Timed on that interpolant the drop is 3.3e-3 / 1.7e-4 late;
    # re-timed on a re-integration of the step it is within the run's own error (measured 2.7e-7 / 2.6e-7 against
    # DOP853 at rtol 1e-12; asserted 1e-5).
    fun, tight = _sweep_case(seed, rtol=1e-12, atol=1e-16)
    _, loose = _sweep_case(seed, rtol=1e-6)
    a, b = N.staircase_from_result(tight, 0, fun=fun), N.staircase_from_result(loose, 0, fun=fun)
    assert a.n_drops == b.n_drops == 3
    np.testing.assert_allclose(b.drop_times, a.drop_times, rtol=1e-5)
    unchecked = N.integrate.refine_crossings_many(fun, loose, [(0, b.midpoints)], recheck=False)[0]
    assert np.max(np.abs(unchecked - a.drop_times) / a.drop_times) > unchecked_error


def test_a_flat_bottomed_plateau_is_read_at_its_slowest_point():
    # seed 908 of the same staircase: around t = 4.93 the rate is flat to 1e-4 over ±0.01, and at rtol 1e-10 two
    # samples 0.12 apart straddle the minimum with nearly equal rates. A three-point parabola through them is
    # symmetric and settles on the wrong point (4.9337, 0.0043 late: the level 1.8e-4 off); probing either side of
    # a settled point finds the true minimum. Levels then agree with rtol 1e-12 to 1.4e-7 (asserted 1e-6; the
    # level moves by r_min·δt = 0.1·δt).
    a, b = (N.staircase_from_result(res, 0, fun=f) for f, res in (_sweep_case(908, rtol=r, atol=1e-14)
                                                                  for r in (1e-12, 1e-10)))
    assert a.n_drops == b.n_drops
    np.testing.assert_allclose(b.levels[1:-1], a.levels[1:-1], rtol=1e-6)
    np.testing.assert_allclose(b.drop_times, a.drop_times, rtol=1e-7)


def test_a_re_timing_that_finds_no_crossing_keeps_the_interpolants_root(monkeypatch):
    import numerics.integrate.dense as dense

    fun, loose = _sweep_case(685, rtol=1e-6)
    mids = N.staircase_from_result(loose, 0, fun=fun).midpoints
    unchecked = N.integrate.refine_crossings_many(fun, loose, [(0, mids)], recheck=False)[0]
    monkeypatch.setattr(dense, "_retimed", lambda *a: math.nan)
    assert N.integrate.refine_crossings_many(fun, loose, [(0, mids)])[0].tolist() == unchecked.tolist()


@pytest.mark.parametrize("seed", [70, 908])
def test_refinements_stop_at_their_share_of_the_tolerance(monkeypatch, seed):
    # at rtol 1e-3 the crossings stop once Newton's step is below TOLERANCE_SHARE·rtol·t and the slowest points once
    # their bracket is below 20·TOLERANCE_SHARE·rtol·t (a level read δt* off moves the next crossing by ≤ δt*/20):
    # together a drop time moves by at most 2·TOLERANCE_SHARE·rtol·t against refinements run to round-off
    import numerics.integrate.dense as dense

    share_of_tolerance = dense.TOLERANCE_SHARE
    rtol = 1e-3
    fun, res = _sweep_case(seed, rtol=rtol, explicit="RK45")
    share = N.staircase_from_result(res, 0, fun=fun)
    monkeypatch.setattr(dense, "TOLERANCE_SHARE", 0.0)
    full = N.staircase_from_result(res, 0, fun=fun)
    assert share.n_drops == full.n_drops >= 3
    moved = np.abs(share.drop_times - full.drop_times)
    assert np.all(moved <= 2 * share_of_tolerance * rtol * full.drop_times), moved / full.drop_times


def test_a_count_that_changes_with_the_tolerance_is_flagged_by_its_margin():
    # seed 1644: the dip between the drops of modes 5 and 4 has prominence 2.2997 against the ln 10 = 2.3026
    # threshold at rtol 1e-12 (3 drops) and measures 2.3058 at RK45 rtol 1e-3 (4 drops: the first drop splits).
    # The staircase says how close it was (prominence_margin ~3e-3), while a count that stands far from the
    # threshold (seed 0) has a margin ~0.5; s2s simulate settles such ties by integrating again (test_simulate_cli)
    fun, tight = _sweep_case(1644, rtol=1e-12, atol=1e-16)
    _, loose = _sweep_case(1644, rtol=1e-3, explicit="RK45")
    a, b = N.staircase_from_result(tight, 0, fun=fun), N.staircase_from_result(loose, 0, fun=fun)
    assert (a.n_drops, b.n_drops) == (3, 4)
    assert a.prominence_margin < 5e-3 and b.prominence_margin < 5e-3
    steady = N.staircase_from_result(_sweep_case(0, rtol=1e-3, explicit="RK45")[1], 0, fun=fun)
    assert steady.n_drops == 3 and steady.prominence_margin > 0.1
    # the drop-time accuracy the count needs, gap / (2·S·t) at the dip near t = 4.2 (S ≈ 9–11 there: a mode's rate
    # goes as σ(1 − σ)² with σ the logistic of 2s(t − t_s), so |d ln r/dt| ≤ 4 s_max = 20): ~3e-3 / 80 for the tie,
    # below what RK45 at rtol 1e-3 delivers (5.1e-4), and 0.5 / 80 for seed 0, above it
    pair = EXPLICIT_PAIRS["RK45"]
    assert max(a.count_tolerance, b.count_tolerance) < pair.drop_time_accuracy(1e-3) < steady.count_tolerance
    for sc in (a, b, steady):
        assert sc.prominence_margin / (2 * 20 * 5.0) < sc.count_tolerance < sc.prominence_margin / (2 * 5 * 3.5)


def test_the_margin_of_a_sample_only_staircase_is_its_weakest_kept_peak():
    from numerics.peaks import find_peaks

    _, res = _sweep_case(0, rtol=1e-6)
    m = res[0]
    sc = N.staircase_from_result(res, 0)  # no fun: the samples alone
    rate = m.grad_norm**2
    _, prominences = find_peaks(np.log(np.maximum(rate, rate.max() * 1e-250)), prominence=math.log(10.0))
    assert sc.prominence_margin == pytest.approx(prominences.min() - math.log(10.0), abs=0.0)
    known = N.staircase_from_result(res, 0, levels=[sc.levels[0], sc.levels[-1]])
    assert known.prominence_margin == math.inf and known.count_tolerance == math.inf


@pytest.mark.parametrize("explicit", list(EXPLICIT_PAIRS))
def test_dense_weights_give_the_nested_interpolant(explicit):
    # θ_old + Σ w_i(x) F_i equals each pair's interpolant in its source's nested form to round-off, ends included:
    # RK45 Horner in x (SciPy's RkDenseOutput), DOP853 x(F_0 + (1 − x)(F_1 + x(F_2 + …))) (SciPy's Dop853DenseOutput)
    pair = EXPLICIT_PAIRS[explicit]
    rng = np.random.default_rng(1)
    degree = {"DOP853": 7, "RK45": 4}[explicit]
    y, F = rng.standard_normal((5, 30)), rng.standard_normal((degree, 5, 30))
    x = np.array([0.0, 0.25, 0.5, 0.9, 1.0])
    xc = x[:, None]
    nested = np.zeros_like(y)
    for i, Fi in enumerate(reversed(F)):
        nested += Fi
        nested *= (1 - xc) if explicit == "DOP853" and i % 2 else xc
    w = pair.dense_weights(x)
    assert w.shape == (5, degree)
    np.testing.assert_allclose(y + np.einsum("kd,dkn->kn", w, F), y + nested, rtol=0, atol=1e-13)
    np.testing.assert_array_equal(pair.dense_weights(np.zeros(2)), 0.0)
