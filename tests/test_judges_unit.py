"""Judges of `s2s check --activation` (proofs_check/claims/unit.py), fed true and wrong measurements; no network is
integrated here. The true measurements are shaped like the claims' output for z**2 + z**3 (docs/accuracy.md)."""

from __future__ import annotations

import math

from proofs_check.claims import unit as U
from proofs_check.registry import resolving_power


def _gradients(**kw):
    return {"loss_rel": 4e-15, "grad_rel": 2e-15, "hess_rel": 4e-11, "fd_asymmetry": 3e-11, **kw}


def test_gradients_judge():
    assert U.judge_gradients(_gradients()).passed
    assert not U.judge_gradients(U._plus("grad_rel")(_gradients(), 1e-6)).passed   # a gradient 1e-6 off
    assert not U.judge_gradients(U._plus("hess_rel")(_gradients(), 1e-4)).passed   # a Hessian 1e-4 off
    assert not U.judge_gradients(_gradients(hess_rel=math.nan)).passed


def _phi(**agree):
    return {"coefficient_rel_error": 4e-16, "coefficient_rtol": 1e-7,
            "agree": {"zero unit": True, "parity": True, "order": True, "degree": True, "network-level": True,
                      **agree}}


def test_phi_properties_judge():
    assert U.judge_phi_properties(_phi()).passed
    assert not U.judge_phi_properties(_phi(order=False)).passed                 # q proved 2, measured 3
    assert not U.judge_phi_properties(U._plus("coefficient_rel_error")(_phi(), 1e-3)).passed
    assert not U.judge_phi_properties(dict(_phi(), coefficient_rel_error=math.nan)).passed


def _t3(**numeric):
    runs = {"i": {"max_drift": 0.0, "final_loss": 1.2}, "ii": {"max_drift": 3e-16, "final_loss": 1.3}}
    return {"symbolic_agrees": True, "numeric": {**runs, **numeric}}


def test_theorem3_judge():
    assert U.judge_theorem3(_t3()).passed
    assert not U.judge_theorem3(U._drift_plus(_t3(), 1e-8)).passed               # a set that leaks
    assert not U.judge_theorem3(_t3(i={"max_drift": 0.0, "final_loss": math.nan})).passed  # a diverged run
    assert not U.judge_theorem3({"symbolic_agrees": True, "numeric": {}}).passed  # nothing checked numerically
    assert not U.judge_theorem3(dict(_t3(), symbolic_agrees=False)).passed


def _t1():
    c = {"grad_wide": 4e-14, "map_change": 1.4e-14, "grad_floor": 1e-13, "map_scale": 3.0}
    return {"narrow fit": {"seed": 0, "grad_norm": 5e-14}, "constructions": {"i": dict(c), "ii": dict(c)}}


def test_theorem1_judge():
    assert U.judge_theorem1(_t1()).passed
    assert not U.judge_theorem1(U._wide_grad_plus(_t1(), 1e-8)).passed           # the embedding is not a fixed point
    bad_map = _t1()
    bad_map["constructions"]["ii"]["map_change"] = 1e-6                           # the embedding changes the map
    assert not U.judge_theorem1(bad_map).passed
    assert not U.judge_theorem1(dict(_t1(), **{"narrow fit": {"seed": None, "grad_norm": math.nan}})).passed
    assert not U.judge_theorem1(dict(_t1(), constructions={})).passed


def _escape():
    eps = [1e-3, 1e-4, 1e-5, 1e-6]
    t_pred = [0.25 / e for e in eps]
    # relative errors 0.2, 0.025, 0.003, 3.4e-4: O(eps ln(1/eps)) as for z**2 + z**3 (q = 2, next order 3)
    err = [0.2, 0.0249, 0.00297, 0.000344]
    return {"eps": eps, "q": 2, "next_order": 3, "t_pred": t_pred,
            "t_sim": [t * (1 + r) for t, r in zip(t_pred, err, strict=True)]}


def test_escape_law_judge():
    m = _escape()
    assert U.judge_escape_law(m).passed
    assert not U.judge_escape_law(U._law_scaled(m, 0.02)).passed                  # a constant 2 % off
    assert not U.judge_escape_law(dict(m, t_sim=[*m["t_sim"][:-1], math.nan])).passed
    assert not U.judge_escape_law(dict(m, eps=m["eps"][:2], t_pred=m["t_pred"][:2], t_sim=m["t_sim"][:2])).passed
    power = resolving_power(U.judge_escape_law, m, U.JUDGES["unit:escape-law"][1][0])
    assert power is not None and power < 0.01
