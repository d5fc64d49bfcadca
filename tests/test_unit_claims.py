"""The claims of ``s2s check --activation``: their judges fail on wrong inputs and pass on right ones, and the claims
run end to end on a unit that is not built in."""

from __future__ import annotations

import math

import numpy as np
import pytest

from proofs_check.claims.unit import UnitNetwork, error_order, judge_escape, unit_claims
from proofs_check.registry import run_claim

EPS = [1e-3, 1e-4, 1e-5, 1e-6]


def _power_law(q: int, next_order: int | None, c: float = 3.0, tau: float = 0.7, a: float = 1.0) -> dict:
    """A measurement where the simulation follows the law up to the error the asymptotics allow."""
    m = error_order(q, next_order)
    t_pred = [tau / (a * e ** (q - 1)) for e in EPS]
    t_sim = [t * (1 + c * e**m * (1 + math.log(1 / e))) for t, e in zip(t_pred, EPS, strict=True)]
    return {"q": q, "next_order": next_order, "eps": EPS, "t_pred": t_pred, "t_sim": t_sim}


def _log_law(next_order: int | None, c: float = 0.5, rate: float = 1.3, b: float = 0.8) -> dict:
    m = error_order(1, next_order)
    t_pred = [math.log(1 / e) / rate + b for e in EPS]
    t_sim = [t + c * e**m * (1 + math.log(1 / e)) ** 2 for t, e in zip(t_pred, EPS, strict=True)]
    return {"q": 1, "next_order": next_order, "eps": EPS, "t_pred": t_pred, "t_sim": t_sim, "rate": rate,
            "intercept_pred": b}


@pytest.mark.parametrize("q,k", [(2, 3), (2, None), (3, 5), (3, 4), (4, None)])
def test_power_law_judge_passes_the_law_and_fails_wrong_ones(q, k):
    right = _power_law(q, k)
    assert judge_escape(right)[0]
    wrong = {
        "constant x1.02": [t * 1.02 for t in right["t_sim"]],
        "exponent q instead of q-1": [t / e for t, e in zip(right["t_sim"], EPS, strict=True)],
        "a instead of 1/a (a = 2)": [t * 4 for t in right["t_sim"]],
        "a missing drop": [*right["t_sim"][:-1], float("nan")],
        "an extra early drop at a small eps": [*right["t_sim"][:2], right["t_sim"][2] * 0.5, right["t_sim"][3]],
    }
    for name, t_sim in wrong.items():
        assert not judge_escape({**right, "t_sim": t_sim})[0], name


@pytest.mark.parametrize("k", [2, 3, None])
def test_log_law_judge_passes_the_law_and_fails_wrong_ones(k):
    right = _log_law(k)
    assert judge_escape(right)[0]
    wrong = {
        "intercept + 0.01": [t + 0.01 for t in right["t_sim"]],
        "slope x 1.01": [t + 0.01 * math.log(1 / e) / right["rate"] for t, e in zip(right["t_sim"], EPS, strict=True)],
        "a NaN": [float("nan"), *right["t_sim"][1:]],
        "a 1/eps law": [1 / e for e in EPS],
    }
    for name, t_sim in wrong.items():
        assert not judge_escape({**right, "t_sim": t_sim})[0], name


def test_judge_needs_three_decades_and_every_time():
    right = _power_law(2, 3)
    assert not judge_escape({**right, "eps": EPS[:2], "t_pred": right["t_pred"][:2], "t_sim": right["t_sim"][:2]})[0]
    assert not judge_escape({**right, "t_sim": right["t_sim"][:3]})[0]


def test_the_integrator_floor_passes_errors_below_it():
    right = _log_law(3)
    t = np.asarray(right["t_pred"])
    t_sim = t + np.array([1e-4, 5e-8, 5e-8, 5e-8]) * t  # below 1e-7 relative after the first
    assert judge_escape({**right, "t_sim": t_sim.tolist()})[0]


def test_unit_claims_run_on_a_unit_that_is_not_built_in():
    results = {c.id: run_claim(c) for c in unit_claims(UnitNetwork("z + z**2/2")) if c.id != "unit:escape-law"}
    assert {r.status for r in results.values()} == {"pass"}, {k: (r.status, r.details[-500:]) for k, r in
                                                              results.items()}


def test_a_unit_without_a_zero_unit_skips_the_escape_law_with_its_reason():
    claim = next(c for c in unit_claims(UnitNetwork("cos(z)")) if c.id == "unit:escape-law")
    r = run_claim(claim)
    assert r.status == "skip" and "zero unit" in r.details
