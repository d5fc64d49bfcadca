"""Judges of the prediction claims C6, C7, C9, C12–C15, C18-pred, C19, C22–C24-trend, C30, C31
(proofs_check/claims/predictions.py): each is fed a true measurement, shaped like the claim's own output and with
the numbers a real run gives, and must PASS; the measurements a wrong theory would give — times × 1.02, a level
1 % of L_0 off, a missing drop, a NaN, an extra drop, a wrong exponent, constant or initial value — must FAIL.
The judges are pure, so no simulation runs here (closed forms are evaluated to build the curves of C13, C14, C30).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from proofs_check.claims import predictions as P
from proofs_check.registry import REGISTRY, resolving_power
from theory.closed_forms import riccati, saxe


def _power(claim_id: str, measured: dict, name: str) -> float | None:
    claim = REGISTRY[claim_id]
    (wrong,) = [w for w in claim.wrong if w.name == name]
    return resolving_power(claim.judge, measured, wrong)


def _every_wrong_theory_is_resolved(claim_id: str, measured: dict) -> None:
    claim = REGISTRY[claim_id]
    assert claim.judge(measured).passed, claim.judge(measured).reason
    assert claim.wrong, f"{claim_id} names no wrong theory"
    for w in claim.wrong:
        assert resolving_power(claim.judge, measured, w) is not None, (claim_id, w.name)


# ------------------------------------------------------------------------------------------------ C6
def _c6():
    # draws 0 and 1 of the real run (eps in [1e-10, 1e-6] and [1e-10, 1e-2])
    neg0 = [[5 / 3, 0.1339], [4 / 3, 0.1703], [1.0, 0.7025], [5 / 6, 1.7098], [2 / 3, 3.6079], [2 / 3, 11.6657],
            [0.5, 6.0910], [1 / 3, 31.4429]]
    neg1 = [[5 / 3, 0.1295], [4 / 3, 0.0631], [1.0, 0.3661], [5 / 6, 1.7999], [2 / 3, 0.1404], [2 / 3, 0.0914],
            [0.5, 0.2868], [1 / 3, 0.0244]]
    eps = [10.0**k for k in range(-10, -1)]
    return {"symbolic": {"remainder_power": True}, "predicted": 1 / 3, "n_draws": 2,
            "small_fit_eps": eps[:5], "whole_fit_eps": eps,
            "draws": [{"small_slope": 0.3334836854, "whole_slope": 0.3504671975, "neglected": neg0},
                      {"small_slope": 0.3333334633, "whole_slope": 0.3334177934, "neglected": neg1}]}


def test_c6_judge():
    m = _c6()
    assert P.judge_c6(m).passed
    assert not P.judge_c6(P._c6_exponent(m, 0.02)).passed                  # exponent x 1.02
    assert not P.judge_c6(P._c6_exponent(m, 1e-4)).passed                  # far below the spec's 0.01
    assert not P.judge_c6(P._c6_ratio(m, 1e-4)).passed                     # s_2/s_1 slightly off
    assert not P.judge_c6(dict(m, predicted=1 - 1 / 3)).passed             # 1 - s_3/s_1: the wrong neighbour
    assert not P.judge_c6(dict(m, symbolic={"remainder_power": False})).passed
    nan = [dict(m["draws"][0], small_slope=math.nan), m["draws"][1]]
    assert not P.judge_c6(dict(m, draws=nan)).passed                       # a NaN slope
    assert not P.judge_c6(dict(m, draws=m["draws"][:1])).passed            # a draw left out
    # a draw whose neglected terms were dropped has only the float64 floor left: its bias must then fail
    assert not P.judge_c6(dict(m, draws=[dict(m["draws"][0], neglected=[]), m["draws"][1]])).passed
    _every_wrong_theory_is_resolved("C6", m)
    assert _power("C6", m, "exponent x (1 + d)") <= 1e-4


# ------------------------------------------------------------------------------------------------ C7 / C12
def _c7():
    return {"s": [2.0, 2.0, 1.0], "eps": 1e-6, "budget": P.block_budget([2.0, 2.0, 1.0], 1e-6)[:2],
            "escape_time": math.log(1e6) / 2,
            "seed0": {"predicted": [6.688126216525121, 7.512706247553002],
                      "simulated": [6.688126232554049, 7.5127062760190615], "detected_drops": 2}}


def _c12():
    return {"s": [2.0, 2.0, 2.0], "eps": 1e-6, "budget": P.block_budget([2.0, 2.0, 2.0], 1e-6),
            "escape_time": math.log(1e6) / 2,
            "seed0": {"predicted": [6.682905046073191, 7.320721645460385, 7.555275065893438],
                      "simulated": [6.682905046867052, 7.320721646271473, 7.555275066714741], "detected_drops": 1},
            "seed1": {"predicted": [6.76283993219434, 6.891491954594813, 7.515846037516056],
                      "simulated": [6.76283993297362, 6.891491955372743, 7.515846038299613], "detected_drops": 1}}


def _with_row(m, name, **changes):
    return dict(m, **{name: dict(m[name], **changes)})


@pytest.mark.parametrize(("claim_id", "make"), [("C7", _c7), ("C12", _c12)])
def test_block_judge(claim_id, make):
    m = make()
    assert P.judge_block(m).passed
    row = m["seed0"]
    assert not P.judge_block(P._scaled_predictions("predicted")(m, 0.02)).passed           # times x 1.02
    assert not P.judge_block(P._block_offsets(m, 0.02)).passed                             # Gram ratio 2 % off
    assert not P.judge_block(_with_row(m, "seed0", simulated=[*row["simulated"][:-1], math.nan])).passed
    assert not P.judge_block(_with_row(m, "seed0", simulated=row["simulated"][:-1])).passed  # a missing crossing
    assert not P.judge_block(_with_row(m, "seed0", predicted=[*row["predicted"], 9.0])).passed  # an extra one
    assert not P.judge_block(_with_row(m, "seed0", detected_drops=row["detected_drops"] + 1)).passed  # a plateau
    # modes separated by a plateau ln(1/eps)/s long (no multiplicity) are refused even if predicted so
    late = [row["simulated"][0] + k * m["escape_time"] for k in range(len(row["simulated"]))]
    assert not P.judge_block(_with_row(m, "seed0", predicted=late, simulated=late)).passed
    assert not P.judge_block({k: v for k, v in m.items() if not k.startswith("seed")}).passed  # no run
    _every_wrong_theory_is_resolved(claim_id, m)


def test_block_budget_uses_the_next_distinct_value():
    assert P.block_budget([2.0, 2.0, 1.0], 1e-6) == pytest.approx([1e-6 + 1e-8, 1e-6 + 1e-8, 1e-8])
    assert P.block_budget([2.0, 2.0, 2.0], 1e-6) == pytest.approx([1e-8] * 3)


# ------------------------------------------------------------------------------------------------ C9
def _c9():
    return {"s": [3.0, 2.0, 1.0], "eps": [1e-4, 1e-6, 1e-8], "predicted": [1 / 3, 0.5, 1.0],
            "drop_times": [[2.986578813245044, 4.547657849798961, 10.05846380449429],
                           [4.522040201466766, 6.850205501774923, 14.663634003201736],
                           [6.057115817670646, 9.152790223897714, 19.268804189291128]]}


def test_c9_judge():
    m = _c9()
    assert P.judge_c9(m).passed
    assert not P.judge_c9(P._c9_slopes(m, 0.02)).passed                   # slopes x 1.02
    assert not P.judge_c9(P._c9_slopes(m, 1e-3)).passed                   # 20x inside the spec's 2 %
    assert not P.judge_c9(P._c9_exponent(m, 0.02)).passed                 # ln(1/eps)/s^1.02
    assert not P.judge_c9(dict(m, predicted=[1 / 6, 1 / 4, 1 / 2])).passed  # 1/(2 s_k): the half-strength slip
    t = [list(r) for r in m["drop_times"]]
    t[1][2] = math.nan
    assert not P.judge_c9(dict(m, drop_times=t)).passed                   # a NaN drop
    assert not P.judge_c9(dict(m, drop_times=[r[:2] for r in m["drop_times"]])).passed  # a missing drop
    assert not P.judge_c9(dict(m, drop_times=[[*r, 30.0] for r in m["drop_times"]])).passed  # an extra drop
    assert not P.judge_c9(dict(m, eps=m["eps"][:2])).passed               # an eps without its run
    _every_wrong_theory_is_resolved("C9", m)
    assert _power("C9", m, "slopes 1/s_k x (1 + d)") <= 1e-6


# ------------------------------------------------------------------------------------------------ C13 / C14
def _c13():
    cases = []
    for s_v, c_v, u0, steps in ((3.0, 1.0, 1e-8, 184.0), (1.5, 1.3, 1e-4, 117.0), (0.7, 2.0, 1e-3, 98.0)):
        t_max = 3 * math.log(s_v / u0) / s_v
        pred = saxe.sigmoid(np.linspace(0, t_max, 50), s_v, u0, c_v)
        sim = pred * (1 + 4e-11 * np.sin(np.arange(50)))                  # the integrator's error, ~5e-11
        uf = 0.9 * s_v / c_v
        tb = float(saxe.time_between(u0, uf, s_v, c_v))
        cases.append({"s": s_v, "c": c_v, "u0": u0, "t_max": t_max, "steps": steps, "predicted": pred.tolist(),
                      "simulated": sim.tolist(), "u_f": uf, "t_between": tb,
                      "time_formula_error": abs(float(saxe.sigmoid(tb, s_v, u0, c_v)) - uf) / uf})
    return {"symbolic": {"ode_residual_zero": True, "t_half_minus_t_mid": True}, "n_cases": 3, "cases": cases}


def test_c13_judge():
    m = _c13()
    assert P.judge_c13(m).passed
    assert not P.judge_c13(P._c13_u0(m, 1e-8)).passed                      # u_0 off by 1e-8
    assert not P.judge_c13(P._c13_time(m, 1e-10)).passed                   # the time formula off by 1e-10
    assert not P.judge_c13(dict(m, symbolic={"ode_residual_zero": False})).passed
    c0 = m["cases"][0]
    for bad in ([*c0["simulated"][:-1], math.nan], c0["simulated"][:-1]):  # a NaN, a missing point
        assert not P.judge_c13(dict(m, cases=[dict(c0, simulated=bad), *m["cases"][1:]])).passed
    assert not P.judge_c13(dict(m, cases=m["cases"][:2])).passed           # a case left out
    nan_time = dict(c0, time_formula_error=math.nan)
    assert not P.judge_c13(dict(m, cases=[nan_time, *m["cases"][1:]])).passed
    # a rate 2s x 1.02 (the sigmoid with s·1.02 everywhere)
    wrong = [dict(c, predicted=saxe.sigmoid(np.linspace(0, c["t_max"], 50), c["s"] * 1.02, c["u0"], c["c"]).tolist())
             for c in m["cases"]]
    assert not P.judge_c13(dict(m, cases=wrong)).passed
    _every_wrong_theory_is_resolved("C13", m)


def _c14():
    cases = []
    for c_v, al, be, steps in ((1.0, 0.021622119704643256, 0.012590846728732466, 72.0),
                               (1.3, 0.0012331413593829246, 0.0027833667632340127, 81.0)):
        tt = np.linspace(0, 6, 40)
        pred = riccati.strength(tt, 2.0, al, be, c_v)
        sim = pred + 3e-12 * np.max(np.abs(pred)) * np.cos(np.arange(40))
        cases.append({"s": 2.0, "c": c_v, "alpha": al, "beta": be, "t_max": 6.0, "steps": steps,
                      "predicted": pred.tolist(), "simulated": sim.tolist()})
    return {"symbolic": {"riccati_residual_zero": True}, "n_cases": 2, "cases": cases}


def test_c14_judge():
    m = _c14()
    assert P.judge_c14(m).passed
    assert not P.judge_c14(P._c14_param("alpha")(m, 1e-6)).passed         # |p_0|^2/4 off by 1e-6
    assert not P.judge_c14(P._c14_param("beta")(m, 1e-3)).passed          # |m_0|^2/4 off by 1e-3
    assert not P.judge_c14(P._c14_param("beta")(m, -1.0)).passed           # the balanced Saxe form (beta = 0)
    assert not P.judge_c14(dict(m, symbolic={"riccati_residual_zero": False})).passed
    c0 = m["cases"][0]
    assert not P.judge_c14(dict(m, cases=[dict(c0, simulated=[math.nan, *c0["simulated"][1:]]), m["cases"][1]])).passed
    assert not P.judge_c14(dict(m, cases=[dict(c0, predicted=c0["predicted"][:-1]), m["cases"][1]])).passed
    _every_wrong_theory_is_resolved("C14", m)


# ------------------------------------------------------------------------------------------------ C15
def _c15():
    pred = 1.004847091859027
    rows = [(1.0048523692660023, 0.003232348147914571, 2.2361287430899297e-05),
            (1.0051853836510942, 0.004594338407443768, 0.0014293121572179484),
            (1.0051835678380838, 0.006411139517989419, 0.0014219724143479196),
            (1.008114703829734, 0.006691160466559922, 0.013869954997890704)]
    return {"eps": 1e-3, "n_seeds": 4, "seeds": [{"leader_norm": a, "runner_up": b, "axis": 0, "off_axis": c,
                                                  "predicted_norm": pred} for a, b, c in rows]}


def test_c15_judge():
    m = _c15()
    assert P.judge_c15(m).passed
    assert not P.judge_c15(P._c15_leader(m, 0.02)).passed                 # the leader's norm 2 % off
    assert not P.judge_c15(P._c15_no_separation(m, 0.02)).passed          # the runner-up 2 % of the leader
    assert not P.judge_c15(dict(m, seeds=m["seeds"][:3])).passed           # a seed left out
    assert not P.judge_c15(dict(m, seeds=[dict(m["seeds"][0], runner_up=math.nan), *m["seeds"][1:]])).passed
    assert not P.judge_c15(dict(m, seeds=[dict(m["seeds"][0], leader_norm=math.nan), *m["seeds"][1:]])).passed
    # the old range check [0.5, 3] would have accepted a leader 1.5x too large
    assert not P.judge_c15(P._c15_leader(m, -1 / 3)).passed
    _every_wrong_theory_is_resolved("C15", m)


def test_c15_single_unit_norm_is_the_midpoint_unit_of_the_test_bed():
    # w = (4 - 2 sqrt 2)/3 solves L(w e_1 e_1^T) = 26/3 for A = diag(2, 1, -1, -2); norm = sqrt 3 (w/2)^(1/3)
    w = (4 - 2 * math.sqrt(2)) / 3
    assert P._single_unit_norm([2.0, 1.0, -1.0, -2.0], 0, 26 / 3) == pytest.approx(math.sqrt(3) * (w / 2) ** (1 / 3))
    assert P._single_unit_norm([2.0, 1.0, -1.0, -2.0], 3, 26 / 3) == pytest.approx(1.004847091859027)


# ------------------------------------------------------------------------------------------------ C18-pred
def test_c18_pred_is_judged_like_c18():
    gaps = {"4": [60.9 + k for k in range(48)], "16": [16.7 + 0.1 * k for k in range(48)],
            "64": [12.6 + 0.1 * k for k in range(48)]}
    m = {"widths": [4, 16, 64], "seeds": 48, "gaps": gaps}
    claim = REGISTRY["C18-pred"]
    assert claim.judge(m).passed
    assert not claim.judge(P._c18_longer(m, 0.02)).passed
    inf = dict(gaps, **{"16": [math.inf, *gaps["16"][1:]]})              # a seed without a second recruitment
    assert not claim.judge(dict(m, gaps=inf)).passed


# ------------------------------------------------------------------------------------------------ C19
def _c19():
    return {"D": 2, "predicted_exponent": 1.0, "offset_bound": P._crossing_offset_bound([1.0, 1.0], 32),
            "runs": [{"eps": 0.01, "detected_drops": 2, "drop_times": [96.40517694545517, 122.49829868585167]},
                     {"eps": 0.001, "detected_drops": 2, "drop_times": [975.6616401698237, 1232.8252066361772]}]}


def test_c19_judge():
    m = _c19()
    assert P.judge_c19(m).passed
    assert m["offset_bound"] == pytest.approx(1.5514, abs=1e-4)
    assert not P.judge_c19(P._c19_exponent(m, 0.1)).passed                # a plateau ~ eps^-1.1
    assert not P.judge_c19(P._c19_exponent(m, -1.0)).passed               # plateau eps-independent (removed)
    r0, r1 = m["runs"]
    assert not P.judge_c19(dict(m, runs=[dict(r0, detected_drops=1), r1])).passed  # the plateau merged
    assert not P.judge_c19(dict(m, runs=[dict(r0, drop_times=[96.4, math.nan]), r1])).passed
    assert not P.judge_c19(dict(m, runs=[dict(r0, drop_times=[96.4]), r1])).passed  # a missing drop
    assert not P.judge_c19(dict(m, runs=[dict(r0, drop_times=[96.4, 122.5, 130.0]), r1])).passed  # an extra one
    assert not P.judge_c19(dict(m, runs=[r0])).passed                     # one eps only
    # a plateau that lengthens only like ln(1/eps) is refused
    short = dict(r1, drop_times=[975.66, 975.66 + 26.09 * math.log(1e3) / math.log(1e2)])
    assert not P.judge_c19(dict(m, runs=[r0, short])).passed
    _every_wrong_theory_is_resolved("C19", m)


# ------------------------------------------------------------------------------------------------ C22
def _c22():
    rows = [{"predicted": 5.09416041983182, "simulated": 5.09416055227056, "theta0_sq": 2.4928689692091957e-07,
             "final_level": 0.16666666666667407, "predicted_level": 1 / 6, "L0": 1.5, "tail": 3.65e-15},
            {"predicted": 4.999705372529992, "simulated": 4.999705697707483, "theta0_sq": 3.459060287577958e-07,
             "final_level": 0.16666666666667473, "predicted_level": 1 / 6, "L0": 1.5, "tail": 1.90e-15}]
    return {"symbolic": {"merged_is_saxe": True}, "s": math.sqrt(3), "c": 1.125, "n_seeds": 2, "seeds": rows}


def test_c22_judge():
    m = _c22()
    assert P.judge_c22(m).passed
    assert not P.judge_c22(P._c22_times(m, 0.02)).passed                  # drop times x 1.02
    assert not P.judge_c22(P._c22_times(m, 1e-5)).passed                  # 100x inside the spec's 1e-3
    assert not P.judge_c22(P._c22_c(m, (1 + 4 / 32) ** -1 - 1)).passed     # c = 1 (the N -> infinity form)
    assert not P.judge_c22(P._c22_level(m, 0.01)).passed                  # final level 1 % of L_0 off
    assert not P.judge_c22(dict(m, symbolic={"merged_is_saxe": False})).passed
    assert not P.judge_c22(dict(m, seeds=[dict(m["seeds"][0], simulated=math.nan), m["seeds"][1]])).passed
    assert not P.judge_c22(dict(m, seeds=m["seeds"][:1])).passed            # a seed left out
    _every_wrong_theory_is_resolved("C22", m)


def test_c22_c_theory_keeps_the_prediction_at_d_zero():
    m = _c22()
    assert [r["predicted"] for r in P._c22_c(m, 0.0)["seeds"]] == pytest.approx([r["predicted"] for r in m["seeds"]],
                                                                                 rel=1e-12)


# ------------------------------------------------------------------------------------------------ C23
def _c23():
    return {"L0": 0.875, "predicted": [0.875, 0.414568345323741, 0.19539026313196017, 0.0953902631319602],
            "seed0": {"simulated": [0.8749996293493694, 0.4145634937083658, 0.19539025442491964, 0.0953902631319602]},
            "detected_drops": 3, "D": 3, "order": [0, 1, 2], "predicted_order": [0, 1, 2], "lam": [1.0, 0.5, 0.25],
            "N": 32}


def test_c23_judge():
    m = _c23()
    assert P.judge_c23(m).passed
    assert P._c23_finite_n(m, 0.0)["predicted"] == pytest.approx(m["predicted"], rel=1e-12)
    assert not P.judge_c23(P._levels_shifted(m, 0.01)).passed              # a level 1 % of L_0 off
    assert not P.judge_c23(P._c23_finite_n(m, -1.0)).passed                # the N -> infinity levels
    assert not P.judge_c23(dict(m, predicted=[2 * x for x in m["predicted"]])).passed  # [ICL]'s full-loss levels
    sim = m["seed0"]["simulated"]
    assert not P.judge_c23(dict(m, seed0={"simulated": [sim[0], math.nan, *sim[2:]]})).passed  # max(0, nan) = 0
    assert not P.judge_c23(dict(m, seed0={"simulated": sim[:-1]})).passed  # a missing level
    assert not P.judge_c23(dict(m, detected_drops=2)).passed               # a missing drop
    assert not P.judge_c23(dict(m, detected_drops=4)).passed               # an extra drop
    assert not P.judge_c23(dict(m, order=[1, 0, 2])).passed                # learned in the wrong order
    assert not P.judge_c23(dict(m, order=[0, 1])).passed                   # a direction never learned
    _every_wrong_theory_is_resolved("C23", m)


# ------------------------------------------------------------------------------------------------ C24-trend
def _c24():
    return {"lam": [1.0, 0.5, 0.25], "drop_times": [174.94459667309405, 378.4138280027769, 1655.0896418369082],
            "heuristic_exponent": -2}


def test_c24_trend_judge():
    m = _c24()
    assert P.judge_c24_trend(m).passed
    assert not P.judge_c24_trend(P._c24_no_slower(m, 0.0)).passed          # equal durations
    assert not P.judge_c24_trend(P._c24_no_slower(m, 0.5)).passed          # later eigenvectors faster
    assert not P.judge_c24_trend(dict(m, drop_times=[174.9, 378.4, math.nan])).passed
    assert not P.judge_c24_trend(dict(m, drop_times=[174.9, 378.4])).passed  # a missing drop
    assert not P.judge_c24_trend(dict(m, drop_times=[174.9, 378.4, 1655.1, 2000.0])).passed  # an extra drop
    assert not P.judge_c24_trend(dict(m, drop_times=[174.9, 160.0, 1655.1])).passed  # drops out of order
    _every_wrong_theory_is_resolved("C24-trend", m)


# ------------------------------------------------------------------------------------------------ C30
def _c30():
    g, al = 1.5, 1e-6
    t = np.linspace(0, math.asinh(1e-4 * g / al**2) / (2 * g), 48)
    pred = al**2 * np.sinh(2 * g * t)
    sim = pred / (1 + pred / g) * (1 - 1e-10)                                # the logistic flow + integrator
    rec = {"times": [1.6129032258064517, 2.3809523809523805, 3.6082474226804138], "alphas": [1e-4, 1e-8, 1e-12],
           "exponents": [0.5161290322580643] * 3,
           "simulated": [[14.304481562115257, 20.02223476681443, 32.94041769417665],
                         [29.173347896602817, 41.96225113054567, 66.17359237363937],
                         [44.02885383071008, 63.891728531035156, 99.40677928044947]]}
    return {"scalar": {"g": g, "alpha": al, "t": t.tolist(), "simulated": sim.tolist(), "predicted": pred.tolist()},
            "recursion": rec}


def test_c30_judge():
    m = _c30()
    assert P.judge_c30(m).passed
    assert not P.judge_c30(P._c30_times(m, 0.02)).passed                   # jump times x 1.02
    assert not P.judge_c30(P._c30_times(m, 0.01)).passed                   # inside the spec's 10 % at 1e-12
    assert not P.judge_c30(P._c30_scalar("pre")(m, 1e-6)).passed          # alpha^2 off by 1e-6
    assert not P.judge_c30(P._c30_scalar("rate")(m, 1e-6)).passed         # rate 2g off by 1e-6
    sc = m["scalar"]
    assert not P.judge_c30(dict(m, scalar=dict(sc, simulated=[*sc["simulated"][:-1], math.nan]))).passed
    rec = m["recursion"]
    missing = [rec["simulated"][0], rec["simulated"][1][:2], rec["simulated"][2]]
    assert not P.judge_c30(dict(m, recursion=dict(rec, simulated=missing))).passed  # a missing jump
    extra = [rec["simulated"][0], [*rec["simulated"][1], 80.0], rec["simulated"][2]]
    assert not P.judge_c30(dict(m, recursion=dict(rec, simulated=extra))).passed    # an extra jump
    nan = [rec["simulated"][0], [math.nan, *rec["simulated"][1][1:]], rec["simulated"][2]]
    assert not P.judge_c30(dict(m, recursion=dict(rec, simulated=nan))).passed
    assert not P.judge_c30(dict(m, recursion=dict(rec, simulated=rec["simulated"][:2]))).passed  # an alpha lost
    # every pair of alphas has its own budget: jump 1 moved by 0.01 at alpha = 1e-12 is refused against alpha = 1e-8
    # (budget 2.2e-3), although alpha = 1e-4's budget (0.12) would hide it. (The first version's atol-limited run
    # moved it by 6.9e-4, inside that budget: the atol was found by looking, not by the judge.)
    shifted = [rec["simulated"][0], rec["simulated"][1], [44.02885383071008 + 0.01, *rec["simulated"][2][1:]]]
    assert not P.judge_c30(dict(m, recursion=dict(rec, simulated=shifted))).passed
    _every_wrong_theory_is_resolved("C30", m)


def test_c30_jump_exponents():
    sxx = np.array([[1.0, 0.6, 0.2], [0.6, 1.0, 0.3], [0.2, 0.3, 1.0]])
    sxy = sxx @ np.array([1.0, -0.8, 0.5])
    from theory.closed_forms import diagonal

    times, betas = diagonal.jump_recursion(sxx, sxy)
    # after the first jump coordinate 3 has |s| = 23/31: strength alpha^(2(1 - 23/31)), carried to later jumps
    assert P._jump_exponents(sxx, sxy, times, betas) == pytest.approx([16 / 31] * 3)


# ------------------------------------------------------------------------------------------------ C31
def _c31():
    return {"symbolic": {"chain_rule_flow": True}, "s": 1.0, "w0": 1e-3, "t_sim": 999.1497488167274,
            "N3": {"u0": 1e-9, "t_star": 1000.0000000000008, "t_half": 999.149748807862, "limit": 0.8502506921408279},
            "N4": {"u0": 1e-12, "t_star": 500000.0, "t_half": 499999.7335795122, "limit": 0.26641998767677605}}


def test_c31_judge():
    m = _c31()
    assert P.judge_c31(m).passed
    assert not P.judge_c31(P._c31_tstar(m, 1e-6)).passed                   # t* off by 1e-6
    assert not P.judge_c31(P._c31_exponent(m, 1e-6)).passed                # the exponent (1 - 2/N) off by 1e-6
    assert not P.judge_c31(P._c31_time(m, 1e-6)).passed                    # time to s/2 off by 1e-6
    assert not P.judge_c31(dict(m, t_sim=m["t_sim"] * 1.02)).passed        # the simulation 2 % late
    assert not P.judge_c31(dict(m, t_sim=math.nan)).passed
    assert not P.judge_c31(dict(m, N3=dict(m["N3"], limit=0.86))).passed    # a wrong limit offset
    assert not P.judge_c31(dict(m, N4=dict(m["N4"], t_half=m["N4"]["t_half"] - 0.01))).passed  # N = 4 offset off
    assert not P.judge_c31(dict(m, symbolic={"chain_rule_flow": False})).passed
    _every_wrong_theory_is_resolved("C31", m)


def test_c31_limit_is_the_integral_of_section_6_9():
    assert P._chain_offset_limit(3, 1.0) == pytest.approx(0.8502506921408, rel=1e-10)
    assert P._chain_offset_limit(4, 1.0) == pytest.approx(0.2664199876768, rel=1e-10)


# ------------------------------------------------------------------------------------------------ all
def test_every_converted_claim_has_a_judge_and_wrong_theories():
    for cid in ("C6", "C7", "C9", "C12", "C13", "C14", "C15", "C18-pred", "C19", "C22", "C23", "C24-trend", "C30",
                "C31"):
        claim = REGISTRY[cid]
        assert claim.judge is not None and claim.wrong, cid
