"""Judges of C2, C2-all, C3, C17, C24, C28 (proofs_check/claims/manifolds.py), phi-properties and
grad-consistency:<arch>: each is fed a true measurement shaped like the claim's real output (numbers from a real
run) and must PASS, and measurements a wrong theory would give (a leaking set, a wrong power or exponent, a wrong
constant, a missing run or drop, a NaN, a wrong gradient or Hessian entry) and must FAIL.  The judges are pure, so
no simulation runs here.
"""

from __future__ import annotations

import copy
import math

import pytest

from proofs_check.claims import grad_consistency as G
from proofs_check.claims import manifolds as M
from proofs_check.claims import phi_properties as P
from proofs_check.registry import REGISTRY, WrongTheory, resolving_power

INV, NOT = "invariant", "not invariant"
CONS, NCONS = "conserved", "not conserved"


def _rows(table: dict[str, dict[str, str]]) -> dict[str, dict[str, dict[str, str]]]:
    """Symbolic verdicts that agree with the theory: {network: {set: promise}} → {network: {set: row}}."""
    return {n: {k: {"theory": t, "verdict": t} for k, t in sets.items()} for n, sets in table.items()}


def _wrong(claim_id: str, name: str) -> WrongTheory:
    return next(w for w in REGISTRY[claim_id].wrong if w.name == name)


# ----------------------------------------------------------------------------------------------------------- C2
def _c2() -> dict:
    sym = _rows({"relu-fc": {"i": INV, "ii": INV, "iii": INV, "iii-neg": NOT, "iv": NOT},
                 "linear-fc": {"i": INV, "ii": INV, "iii": INV, "iv": INV},
                 "quadratic": {"i": INV, "ii": INV, "iii": NOT, "iii-p": NOT, "sign-flip": INV},
                 "tanh-fc": {"i": INV, "ii": INV, "iii": NOT, "iii-m1": INV}})
    r = M.C2_RUNS
    gd = {r[0]: {"relation": "theta_3 = 0.6 theta_1", "theory": INV, "steps": 20000,
                 "max_relative_drift": 8.873293325426586e-15, "final_loss": 0.16341704669874538},
          r[1]: {"relation": "theta_3 = -0.6 theta_1", "theory": NOT, "steps": 500,
                 "max_relative_drift": 0.6686167495909583, "final_loss": 0.15692825997576101},
          r[2]: {"relation": "theta_3 = 0.5 theta_1 - 0.3 theta_2", "theory": INV, "steps": 2000,
                 "max_relative_drift": 4.005603941383349e-15},
          r[3]: {"relation": "theta_3 = (v_1, -u_1)", "theory": INV, "steps": 2000, "max_relative_drift": 0.0},
          r[4]: {"relation": "theta_2 = 0", "theory": INV, "steps": 2000, "max_abs": 0.0},
          r[5]: {"relation": "theta_2 = 0.6 theta_1", "theory": NOT, "steps": 500,
                 "max_relative_drift": 0.06920746516158038}}
    return {"symbolic": sym, "gd": gd}


def _c2_with(label: str, **row) -> dict:
    m = _c2()
    m["gd"][label] = dict(m["gd"][label], **row)
    return m


def test_c2_passes_the_true_measurement():
    v = M.judge_c2(_c2())
    assert v.passed, v.reason


@pytest.mark.parametrize("wrong", [
    lambda: _c2_with(M.C2_RUNS[0], max_relative_drift=2e-12),            # the ReLU relation leaks
    lambda: _c2_with(M.C2_RUNS[2], max_relative_drift=math.nan),         # a NaN drift
    lambda: _c2_with(M.C2_RUNS[4], max_abs=1e-300),                      # the zero unit moves at all
    lambda: _c2_with(M.C2_RUNS[5], max_relative_drift=1e-5),             # tanh proportional units kept: refutation lost
    lambda: _c2_with(M.C2_RUNS[1], theory=INV),                          # a theory promising ReLU gamma < 0
    lambda: {**_c2(), "gd": {k: v for k, v in _c2()["gd"].items() if k != M.C2_RUNS[3]}},  # a run missing
    lambda: {**_c2(), "symbolic": {k: v for k, v in _c2()["symbolic"].items() if k != "tanh-fc"}},
])
def test_c2_rejects_wrong_measurements(wrong):
    assert not M.judge_c2(wrong()).passed


def test_c2_symbolic_verdict_against_the_theory_fails():
    m = _c2()
    m["symbolic"]["quadratic"]["sign-flip"]["verdict"] = "undecided"
    assert not M.judge_c2(m).passed
    assert not M.judge_c2(M._theory_flipped(INV, NOT)(_c2(), 0.0)).passed


def test_c2_resolves_a_leak_at_the_round_off_tolerance():
    assert not M.judge_c2(M._c2_leak(_c2(), 2 * M.GD_EXACT_TOL)).passed
    assert M.judge_c2(M._c2_leak(_c2(), 0.5 * M.GD_EXACT_TOL)).passed
    assert not M.judge_c2(M._c2_zero_leak(_c2(), 1e-9)).passed


def test_c2_all_judge():
    from theory import ARCHITECTURE_NAMES

    true = {"symbolic": _rows({n: {"i": INV, "ii": INV} for n in ARCHITECTURE_NAMES})}
    assert M.judge_c2_all(true).passed
    assert not M.judge_c2_all(M._theory_flipped(INV, NOT)(true, 0.0)).passed
    missing = {"symbolic": {k: v for k, v in true["symbolic"].items() if k != "cubic"}}
    assert not M.judge_c2_all(missing).passed
    empty = copy.deepcopy(true)
    empty["symbolic"]["cubic"] = {}
    assert not M.judge_c2_all(empty).passed


# ----------------------------------------------------------------------------------------------------------- C3
def _flow(drift: float, growth: float, p: int, n: int, steps: int, peak: float, **more: float) -> dict:
    return {"relative_drift": drift, "v_growth": growth, "p": p, "n_params": n, "n_accepted": steps, "rtol": 1e-12,
            "atol": 1e-14, "min_peak_magnitude": peak, "t_max": 10.0, "t_final": 10.0, "status": "t_max", **more}


def _c3() -> dict:
    sym = _rows({"linear-fc": {"unit": CONS, "matrix": CONS}, "relu-fc": {"unit": CONS, "matrix": NCONS},
                 "quadratic": {"unit": CONS, "matrix": NCONS}, "cubic": {"unit": CONS, "matrix": NCONS},
                 "attn-s": {"unit": CONS, "matrix": NCONS, "group-K": CONS, "group-Q": CONS},
                 "deep-linear": {"unit": CONS, "matrix": CONS, "chain-1": CONS, "chain-2": CONS},
                 "tanh-fc": {"unit": NCONS, "matrix": NCONS}})
    flow = {"linear-fc": _flow(4.501015074004923e-15, 0.4635, 1, 18, 76, 2.6547,
                               matrix_relative_drift=2.213233586490994e-15),
            "deep-linear": _flow(6.688124287295337e-15, 0.2678, 1, 42, 83, 0.8135,
                                 matrix_relative_drift=1.4086326003048298e-15,
                                 deep_layer12_relative_drift=1.7431246925041997e-15),
            "quadratic": _flow(7.51279206894101e-15, 0.2481, 2, 12, 155, 3.0775),
            "relu-fc": _flow(4.331391178710661e-15, 0.4680, 1, 12, 202, 1.5015)}
    gd = {"etas": [0.01, 0.005, 0.0025, 0.00125], "p": 2, "unit_entries": 4, "Q_magnitude": 3.757897343727849,
          "dQdt_at_theta": 7.105427357601002e-15, "predicted_exponent": 2.0,
          "dQ": [[-0.005104705598760306, -0.0014107187488635597, 0.02163720259411539],
                 [-0.001276176399690021, -0.0003526796872159732, 0.0054093006485285144],
                 [-0.00031904409992233873, -8.816992180404881e-05, 0.0013523251621319066],
                 [-7.976102498041815e-05, -2.2042480451123225e-05, 0.00033808129053358726]],
          "eta2_Q(grad)": [[-0.005104705598760293, -0.0014107187488634082, 0.021637202594114845],
                           [-0.0012761763996900733, -0.00035267968721585204, 0.005409300648528711],
                           [-0.00031904409992251833, -8.816992180396301e-05, 0.0013523251621321778],
                           [-7.976102498062958e-05, -2.2042480450990753e-05, 0.00033808129053304446]]}
    return {"symbolic": sym, "flow": flow, "gd": gd}


def test_c3_passes_the_true_measurement():
    v = M.judge_c3(_c3())
    assert v.passed, v.reason


def _c3_flow(name: str, **row) -> dict:
    m = _c3()
    m["flow"][name] = dict(m["flow"][name], **row)
    return m


def _c3_without(name: str, key: str) -> dict:
    m = _c3()
    m["flow"][name] = {k: v for k, v in m["flow"][name].items() if k != key}
    return m


@pytest.mark.parametrize("wrong", [
    lambda: _c3_flow("quadratic", relative_drift=1e-8),                   # the spec's old 1e-8 is above the bound
    lambda: _c3_flow("deep-linear", deep_layer12_relative_drift=math.nan),
    lambda: _c3_flow("linear-fc", status="nan", t_final=3.0),             # a run that stopped early
    lambda: {**_c3(), "flow": {k: v for k, v in _c3()["flow"].items() if k != "relu-fc"}},
    lambda: _c3_without("linear-fc", "matrix_relative_drift"),           # a conservation law not measured
    lambda: M._c3_power(_c3(), 0.01),                                     # balance with p = 1.01
    lambda: M._c3_gd_exponent(_c3(), 0.01),                               # dQ ~ eta^2.01
    lambda: M._c3_gd_constant(_c3(), 1e-6),                               # dQ = 1.000001 eta^2 Q(g)
    lambda: M._theory_flipped(CONS, NCONS)(_c3(), 0.0),
])
def test_c3_rejects_wrong_measurements(wrong):
    assert not M.judge_c3(wrong()).passed


def test_c3_gd_nan_and_shape():
    m = _c3()
    m["gd"] = dict(m["gd"], dQ=[*m["gd"]["dQ"][:3], [math.nan, 0.0, 0.0]])
    assert not M.judge_c3(m).passed
    m = _c3()
    m["gd"] = dict(m["gd"], dQ=m["gd"]["dQ"][:3])
    assert not M.judge_c3(m).passed


def test_c3_budgets():
    # the flow bound is ~1e-9 for these runs (spec 1e-8), the GD round-off budget ~4e-15 absolute
    assert 1e-10 < M.flow_budget(_c3()["flow"]["quadratic"]) < 1e-8
    assert max(M._gd_budgets(_c3()["gd"])) < 1e-14
    power = resolving_power(M.judge_c3, _c3(), _wrong("C3", "balance with power p + d"))
    assert power is not None and power < 1e-7


# ---------------------------------------------------------------------------------------------------------- C17
def _c17() -> dict:
    return {"symbolic toy": {"ansatz invariance certified": True, "v(t)": True, "Eq. 16 right-hand side": True,
                             "ODE residual dv/dt - v^2": True},
            "derived from quadratic flow": {"ansatz invariance certified": True, "dv/dt": True, "dw/dt": True,
                                            "dv/dt on w = sqrt(2) v": True, "dv/dtau, tau = 2 sigma_k t": True},
            "balanced reduced equation": "6*a_1*v**2 + 2*a_2*v**2 - 12*v**5",
            "numeric": {"v0": [0.5, 0.3], "t": 1.8, "simulated": [4.999999999994727, 0.652173913043391],
                        "eq15_predicted": [5.000000000000001, 0.6521739130434783],
                        "eq16_predicted": 0.6521739130433885, "n_accepted": [35, 13], "status": ["t_max", "t_max"],
                        "rtol": 1e-12, "atol": 1e-14}}


def _c17_num(**kw) -> dict:
    m = _c17()
    m["numeric"] = dict(m["numeric"], **kw)
    return m


def test_c17_judge():
    v = M.judge_c17(_c17())
    assert v.passed, v.reason
    bad = _c17()
    bad["symbolic toy"]["v(t)"] = False
    assert not M.judge_c17(bad).passed
    assert not M.judge_c17(_c17_num(simulated=[5.0, math.nan])).passed
    assert not M.judge_c17(_c17_num(simulated=[5.0])).passed
    assert not M.judge_c17(_c17_num(status=["t_max", "nan"])).passed
    assert not M.judge_c17(M._c17_scaled(_c17(), 1e-6)).passed           # v(t) 1e-6 off
    assert not M.judge_c17(M._c17_blowup(_c17(), 1e-7)).passed           # blow-up time 1e-7 off
    assert M.toy_budget(35, 0.5, 5.0) < 1e-9                              # tighter than the spec's 1e-9


# ---------------------------------------------------------------------------------------------------------- C24
def _c24() -> dict:
    vstar = [0.7368062997280773, 0.8939035350965676]
    matches = {"ansatz invariance certified": True, "dv/dt": True, "fixed point v*^3": True}
    return {"symbolic m=0": {"dv/dt": "...", "matches": dict(matches)},
            "symbolic m=1": {"dv/dt": "...", "matches": dict(matches)},
            "lambda": [2.0, 1.0], "N": 10, "c": [1.25, 1.4],
            "numeric m=0": {"m": 0, "start": [0.36840314986403866, 0.0], "v*_predicted": vstar,
                            "v_final": [0.7368062997280708, 0.0], "k_final": [0.7368062997280708, 0.0],
                            "trajectory_error": 1.4845037620666035e-12, "loss": 0.7000000000000001,
                            "loss_predicted": 0.7, "t_final": 3.819827337710411, "status": "converged",
                            "points": 48},
            "numeric m=1": {"m": 1, "start": [0.7368062997280773, 0.05], "v*_predicted": vstar,
                            "v_final": [0.7368062997280773, 0.8939035350965598],
                            "k_final": [0.7368062997280773, 0.8939035350965598],
                            "trajectory_error": 1.2288290821508663e-12, "loss": 0.34285714285714297,
                            "loss_predicted": 0.34285714285714275, "t_final": 30.81573553948474,
                            "status": "converged", "points": 78}}


def _c24_run(name: str, **kw) -> dict:
    m = _c24()
    m[f"numeric {name}"] = dict(m[f"numeric {name}"], **kw)
    return m


def test_c24_judge():
    v = M.judge_c24(_c24())
    assert v.passed, v.reason
    for wrong in (_c24_run("m=0", trajectory_error=2e-9),                  # the trajectory leaves the ODE
                  _c24_run("m=1", v_final=[0.7368062997280773, math.nan]),
                  _c24_run("m=1", v_final=[0.70, 0.8939035350965598]),    # head 1 left its fixed point
                  _c24_run("m=0", v_final=[0.7368062997280708, 1e-3]),    # the zero head moved
                  _c24_run("m=0", status="t_max"), _c24_run("m=1", points=5),
                  {k: v for k, v in _c24().items() if k != "numeric m=1"},
                  M._c24_c_off(_c24(), 1e-6), M._c24_power_off(_c24(), 1e-6), M._c24_level_off(_c24(), 1e-6)):
        assert not M.judge_c24(wrong).passed
    bad = _c24()
    bad["symbolic m=1"]["matches"]["fixed point v*^3"] = False
    assert not M.judge_c24(bad).passed


# ---------------------------------------------------------------------------------------------------------- C28
def _c28() -> dict:
    return {"tanh": {"sigma2/sigma1 at |U| = 0.1": 0.006114188232335138, "sigma2/sigma1 at t = 0": 0.7767419591420587,
                     "n_drops": 1, "levels": [1.0726872362752813, 0.034696506524078734],
                     "drop_times": [4.715669332586685], "active-unit steps": [[3.707, 0, 2], [3.941, 2, 3]]},
            "xtanh": {"n_drops": 2, "levels": [2.4328716759190203, 0.1902935635479301, 0.026768784416807547],
                      "drop_times": [260.48176561153014, 660.8199615684956],
                      "active-unit steps (t, from, to)": [[259.65, 0, 1], [657.715, 1, 2]],
                      "runner-up/leader at first drop": 0.004075126648847737}}


def test_c28_judge():
    v = M.judge_c28(_c28())
    assert v.passed, v.reason
    one_drop = _c28()
    one_drop["xtanh"] = dict(one_drop["xtanh"], n_drops=1, drop_times=[260.48176561153014])
    missing_time = _c28()
    missing_time["xtanh"] = dict(missing_time["xtanh"], drop_times=[260.48176561153014])   # n_drops says 2
    nan = _c28()
    nan["tanh"] = dict(nan["tanh"], **{"sigma2/sigma1 at |U| = 0.1": math.nan})
    late = _c28()
    late["xtanh"] = dict(late["xtanh"], **{"active-unit steps (t, from, to)": [[1.0, 1, 2], [2.0, 2, 3]]})
    for wrong in (one_drop, missing_time, nan, late, M._c28_tanh_staircase(_c28(), 0.0),
                  M._c28_together(_c28(), 0.0), M._c28_plus("tanh", "sigma2/sigma1 at |U| = 0.1")(_c28(), 0.05),
                  M._c28_plus("xtanh", "runner-up/leader at first drop")(_c28(), 0.1)):
        assert not M.judge_c28(wrong).passed


# ------------------------------------------------------------------------------------------------ phi-properties
_DECL = {"linear-fc": (1, "R", False), "linear-conv": (1, "R", False), "relu-fc": (1, "R>=0", False),
         "relu-conv": (1, "R>=0", False), "quadratic": (2, "R", True), "attn-s": (2, "R", True),
         "attn-m": (1, "R", False), "tanh-fc": (None, None, False), "xtanh-fc": (None, None, True),
         "cubic": (3, "R", False), "deep-linear": (1, "R", False), "diagonal-linear": (1, "R", False)}


def _phi() -> dict:
    out: dict = {"architectures": list(_DECL)}
    for name, (p, field, even) in _DECL.items():
        num = {}
        if p is not None:
            num["scale_+1.7"] = {"rel": 8.770200842929172e-16, "alpha": 1.7, "p": p, "f_max": 2.0254460202384172}
            if field == "R":
                num["scale_-1.3"] = {"rel": 3.4647603433974663e-16, "alpha": -1.3, "p": p, "f_max": 0.2722911637987328}
        if even:
            num["sign_flip"] = {"rel": 0.0, "alpha": -1.0, "p": 0, "f_max": 1.1689318559914066}
        out[name] = {"symbolic_consistent": True, "declarations_agree": True, "degree": p, "field": field,
                     "even": even, "numeric": num}
    return out


def test_phi_properties_judge():
    v = P.judge_phi_properties(_phi())
    assert v.passed, v.reason
    disagree = _phi()
    disagree["cubic"] = dict(disagree["cubic"], declarations_agree=False)
    no_flip = _phi()
    no_flip["quadratic"] = dict(no_flip["quadratic"], numeric={k: t for k, t in no_flip["quadratic"]["numeric"]
                                                               .items() if k != "sign_flip"})
    nan = _phi()
    nan["attn-m"]["numeric"]["scale_+1.7"] = dict(nan["attn-m"]["numeric"]["scale_+1.7"], rel=math.nan)
    missing = _phi()
    del missing["relu-fc"]
    for wrong in (disagree, no_flip, nan, missing, P._degree_off(_phi(), 1e-9), P._odd_part(_phi(), 1e-9)):
        assert not P.judge_phi_properties(wrong).passed


# ------------------------------------------------------------------------------------------- grad-consistency
def _gc() -> dict:
    """grad-consistency:attn-s and :cubic as measured (cubic has the largest Hessian, |H| = 343)."""
    icl = {"points": 3, "loss_rel": 1.2174800262660644e-15, "grad_rel": 1.2397116198256386e-15,
           "hess_rel": 1.7424914282032893e-11, "fd_asymmetry": 1.9319957890567155e-11,
           "loss_abs": [1.6414244186446778, 7.424017562434798, 1.435655125191876],
           "grad_max": [1.7801202241678566, 15.94518951037324, 1.5224340174598185],
           "hess_max": [2.6096963894286094, 58.36466155088696, 4.0287967512872225],
           "h": [6.055454452393343e-06, 1.1492124633091373e-05, 6.985890891865746e-06],
           "step_doubling": 1.4050932610575887e-11, "hessian_points": 3, "symbolic_seconds": 27.725}
    cubic = {"points": 3, "loss_rel": 4.123260477844427e-15, "grad_rel": 1.110469903811519e-14,
             "hess_rel": 1.2474301820800439e-10, "fd_asymmetry": 1.129599627326783e-10,
             "loss_abs": [1.160580359830616, 1.1710676261812845, 26.710445443502962],
             "grad_max": [5.598755010433975, 1.587296840452846, 101.12623935517843],
             "hess_max": [45.510089542649354, 7.547309618423823, 342.6656762057348],
             "h": [6.055454452393343e-06] * 3, "step_doubling": 3.6096389890468405e-10, "hessian_points": 3,
             "symbolic_seconds": 2.168}
    return {"cases": ["icl", "dataset"], "icl": icl, "dataset": cubic}


def _gc_with(kind: str, **kw) -> dict:
    m = _gc()
    m[kind] = dict(m[kind], **kw)
    return m


def test_grad_consistency_passes_the_true_measurement():
    v = G.judge_grad_consistency(_gc())
    assert v.passed, v.reason


@pytest.mark.parametrize("wrong", [
    lambda: G._gradient_scaled(_gc(), 1e-9),        # a gradient 1e-9 off: seen through the Hessian budget
    lambda: G._hessian_entry(_gc(), 1e-8),           # one Hessian entry 1e-8 off (|H| up to 343 at cubic)
    lambda: G._loss_scaled(_gc(), 1e-8),
    lambda: _gc_with("icl", grad_rel=2e-9),
    lambda: _gc_with("icl", hess_rel=1e-10),         # 7x the step-doubling estimate of the error
    lambda: _gc_with("dataset", fd_asymmetry=3e-9),
    lambda: _gc_with("dataset", hess_rel=math.nan),
    lambda: _gc_with("icl", hessian_points=0),       # the Hessian was never compared (all points at kinks)
    lambda: _gc_with("icl", step_doubling=0.0),      # no error estimate, no budget
    lambda: _gc_with("icl", grad_max=[1.0, 1.0]),    # a point's scales missing
    lambda: {k: v for k, v in _gc().items() if k != "dataset"},   # a case missing
    lambda: {**_gc(), "cases": []},
])
def test_grad_consistency_rejects_wrong_measurements(wrong):
    assert not G.judge_grad_consistency(wrong()).passed


def test_grad_consistency_hessian_budget_is_near_the_measured_error():
    m = _gc()
    for kind in m["cases"]:
        assert m[kind]["hess_rel"] <= G.hessian_budget(m[kind]) <= 20 * m[kind]["hess_rel"]
    claim = REGISTRY["grad-consistency:attn-s"]
    for w in claim.wrong:
        power = resolving_power(claim.judge, m, w)
        assert power is not None and power <= 1e-7, w.name
