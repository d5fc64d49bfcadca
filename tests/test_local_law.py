"""The non-integrating first-drop prediction of the built-in smooth fc units: the escape law of the registered Taylor
order (docs/theory.md §6.12), evaluated from θ_0 alone, next to the reduced dynamics' drop times, which it leaves
unchanged.

Budgets (§6.12): for q ≥ 2 the law neglects the O(1) blow-up-to-midpoint offset and the next Taylor term, relative
O(eps^{q-1}) (times ln(1/eps) when that term has relative order q − 1), so eps^{q-1} ln(1/eps) bounds both cases;
for q = 1 the intercept from the aligned-mode model carries an O(1) modelling error on generic data, a few per cent
of t ~ ln(1/eps) (docs/accuracy.md: 1.7–3.4 % for sin), bounded here by 5 %.

Kinked units and the anisotropic merged attention (docs/theory.md §6.13): the laws neglect the saturation's leak out
of the law's directions, an ε-independent O(1/λ) shift of the drop (λ the escape rate), which bounds the drop-time
tests; their linear phase is exact up to the residual's change, which the curve test bounds tightly.
"""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest

import guards
import numerics
from proofs_check import local_laws, predict_cmd
from proofs_check.predict import LOCAL_LAWS, RELU_STEP, Prediction, _kinked_law, predict
from proofs_check.predict_cmd import compare
from proofs_check.problem import add_problem_arguments, build_problem
from theory.closed_forms import attention, saxe

EPS = 1e-3


def _compare(arch: str, capsys) -> dict:
    p = argparse.ArgumentParser()
    predict_cmd.configure_parser(p)
    code = predict_cmd.run(p.parse_args([arch, "--init-scale", str(EPS), "--max-drops", "1", "--compare", "--json"]))
    assert code == 0
    return _lines(capsys)


def _lines(capsys) -> list[dict]:
    """``predict --json`` prints one object per seed (JSON lines)."""
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("arch, q", [("tanh-fc", 1), ("xtanh-fc", 2), ("cubic", 3)])
def test_local_law_predicts_the_first_drop_without_integrating(arch, q, capsys):
    (data,) = _compare(arch, capsys)
    law = data["extra"]["local_law"]
    assert math.isfinite(law)
    assert data["drop_kinds"] == ["semi-analytic"]  # the reduced dynamics stay the prediction
    row = data["comparison"]["local_law"]
    budget = EPS ** (q - 1) * math.log(1 / EPS) if q >= 2 else 0.05
    assert row["predicted"] == law and float(row["rel_error"]) < budget, row


def test_no_local_law_for_a_population_task(capsys):
    # The prediction alone says it: no --compare simulation is needed to see that no law was recorded.
    p = argparse.ArgumentParser()
    predict_cmd.configure_parser(p)
    assert predict_cmd.run(p.parse_args(["quadratic", "--init-scale", str(EPS), "--max-drops", "1", "--json"])) == 0
    (data,) = _lines(capsys)
    assert "local_law" not in data["extra"]


def test_linear_conv_top_mode_law(capsys):
    # The top mode of the origin saddle as one Saxe sigmoid (docs/theory.md §5.1, §6.1): it neglects the mode's leak
    # into the others, an O(1) shift in the mode's own clock 1/s_1 (s_1 = 2 + sqrt 5 for beta* = (3, 2, 1), kernel 2);
    # measured 0.012, against 1/s_1 = 0.236.
    p = argparse.ArgumentParser()
    predict_cmd.configure_parser(p)
    assert predict_cmd.run(p.parse_args(["linear-conv", "--seeds", "2", "--compare", "--json"])) == 0
    data = _lines(capsys)
    s1 = 2 + math.sqrt(5)
    assert len(data) == 2 and all(math.isfinite(d["extra"]["local_law"]) for d in data)
    for d in data:
        law = d["comparison"]["local_law"]
        assert abs(law["predicted"] - law["simulated"]) < 1 / s1, law


# ------------------------------------------------------------------------------ kinked units, merged attention
def _problem(*argv):
    p = argparse.ArgumentParser(add_help=False)
    add_problem_arguments(p)
    return build_problem(p.parse_args([str(a) for a in argv]))


def _recorded_law(problem) -> Prediction:
    """The local laws LOCAL_LAWS registers for the problem's family, run alone (no reduced dynamics)."""
    pred = Prediction(problem.arch.label, problem.description, problem.seeds, problem.init_scale)
    for family, law in LOCAL_LAWS:
        if problem.arch.family is family:
            law(problem, pred)
    return pred


def _simulate_gd(problem, t_max: float):
    fun = lambda th: numerics.loss_and_grad(problem.arch, problem.task, th)  # noqa: E731
    return numerics.gradient_descent(fun, problem.theta0, RELU_STEP, t_max=t_max, record_every=1, save_every=None)


def _linear_phase_error(law, member) -> float:
    """Largest error of the law's removed loss L_0 − L(t) against gradient descent's, relative to the removed loss,
    over the law's linear phase (removed loss below 1e-3 of the drop)."""
    L0 = float(member.loss[0])
    removed_law = L0 - law.losses
    removed_sim = L0 - np.interp(law.times, member.t, member.loss)
    drop = law.levels[0] - law.levels[1]
    keep = (removed_law > 1e-3 * drop * 1e-3) & (removed_law < 1e-3 * drop)
    assert keep.sum() > 20
    return float(np.max(np.abs(removed_law[keep] - removed_sim[keep]) / removed_sim[keep]))


@pytest.mark.parametrize("arch, extra", [("relu-fc", ()), ("relu-conv", ("--d-in", 5))])
def test_kinked_law_linear_phase_is_the_networks(arch, extra):
    # Linear phase: each unit's normalised map is exact up to the residual's change (docs/theory.md §6.13 (i)); while
    # the removed loss is below 1e-3 of the drop that change is below ~1e-3 relative in the field, so the removed
    # loss agrees to 1e-2 (10x margin). A law whose field is 2 % too strong grows 2 % faster: ~0.2 relative off at
    # t ~ ln(1/eps)/lambda, and fails (below).
    problem = _problem(arch, *extra, "--init-scale", EPS, "--seeds", 1)
    law = local_laws.kinked_first_drop(problem.arch, problem.task, problem.theta0, RELU_STEP)[0]
    sim = _simulate_gd(problem, law.t_drop)
    assert _linear_phase_error(law, sim[0]) < 1e-2


def test_kinked_law_with_a_wrong_rate_fails(monkeypatch):
    problem = _problem("relu-fc", "--init-scale", EPS, "--seeds", 1)
    right = local_laws._unit_field
    monkeypatch.setattr(local_laws, "_unit_field", lambda one, task: (lambda n: 1.02 * right(one, task)(n)))
    law = local_laws.kinked_first_drop(problem.arch, problem.task, problem.theta0, RELU_STEP)[0]
    sim = _simulate_gd(problem, law.t_drop + 1.0)
    assert _linear_phase_error(law, sim[0]) > 1e-2


def test_kinked_law_is_recorded_and_predicts_the_first_drop():
    # relu-fc on its default data: the drop is one fixed direction's Saxe sigmoid, whose saturation the law models
    # without the directions' response to the residual: an eps-independent O(1/lambda) shift (docs/theory.md §6.13
    # (ii)); lambda is the law's own rate. Measured: 3e-3 at eps = 1e-3, against 1/lambda = 0.47.
    problem = _problem("relu-fc", "--init-scale", EPS, "--seeds", 1)
    pred = _recorded_law(problem)
    assert len(pred.extra["local_law"]) == 1 and math.isfinite(pred.extra["local_law"][0])
    law = local_laws.kinked_first_drop(problem.arch, problem.task, problem.theta0, RELU_STEP)[0]
    assert pred.extra["local_law"][0] == law.t_drop
    sim = _simulate_gd(problem, 1.5 * law.t_drop)
    st = numerics.staircase_from_result(sim, 0, levels=list(law.levels))
    assert abs(law.t_drop - float(st.drop_times[0])) < 1 / law.rate


def test_kinked_law_applies_to_kinked_units_only():
    # Dispatch on unit properties, not names: smooth units of both families get their own laws, not this one.
    for arch in ("tanh-fc", "linear-conv"):
        problem = _problem(arch, "--init-scale", EPS, "--seeds", 1)
        pred = Prediction(arch, "", problem.seeds, EPS)
        _kinked_law(problem, pred)
        assert "local_law" not in pred.extra, arch


def test_merged_attention_law_reproduces_the_isotropic_closed_form():
    # Lambda = lambda I: the top mode of the origin saddle is Eq. 10 of [ICL] (docs/theory.md §6.8, §6.13), number for
    # number, and the law's drop time is the closed-form prediction's.
    problem = _problem("attn-m", "--cov-eigs", "0.7,0.7,0.7", "--init-scale", 1e-4, "--seeds", 2)
    mode = local_laws.merged_attention_mode(problem.arch, problem.task)
    s_m, c_m = attention.merged_mode(0.7, 3, problem.task.context)
    assert mode.s == pytest.approx(s_m, rel=1e-13) and mode.c == pytest.approx(c_m, rel=1e-12)
    np.testing.assert_allclose(mode.direction, np.eye(3) / math.sqrt(3), rtol=0, atol=1e-15)
    law = saxe.t_mid(mode.s, local_laws.merged_attention_amplitudes(problem.arch, mode, problem.theta0), mode.c)
    closed = predict(problem).drop_times
    np.testing.assert_allclose(law, [d[0] for d in closed], rtol=1e-12)


def test_merged_attention_mode_is_the_population_formula():
    # Read off the model's own loss, the mode is s = ||Lambda^2||_F, R = Lambda^2/s, c = <R, E[hat Lambda^2] R Lambda>
    # (docs/theory.md §6.13 (a)) to rounding; the curvature without the finite-context terms (N -> inf) is off.
    lam, N = np.diag([1.0, 0.5, 0.3]), 7
    problem = _problem("attn-m", "--cov-eigs", "1,0.5,0.3", "--context", N, "--seeds", 1)
    mode = local_laws.merged_attention_mode(problem.arch, problem.task)
    e2 = lam @ lam + (lam @ lam + np.trace(lam) * lam) / N
    R = lam @ lam / np.linalg.norm(lam @ lam)
    assert mode.s == pytest.approx(np.linalg.norm(lam @ lam), rel=1e-13)
    np.testing.assert_allclose(mode.direction, R, rtol=0, atol=1e-15)
    assert mode.c == pytest.approx(np.trace(R @ e2 @ R @ lam), rel=1e-12)
    assert mode.c != pytest.approx(np.trace(R @ lam @ lam @ R @ lam), rel=1e-2)


def test_merged_attention_anisotropic_law():
    # Lambda = diag(1, 0.5): the mode leaks towards M* = diag(1/(lambda_d c_d)) during the saturation, an
    # eps-independent O(1/s) shift of the drop (docs/theory.md §6.13 (a)(i)); measured -0.258 against 1/s = 0.97.
    # The rest is O(eps/s) (the off-mode components; 8e-4 measured at eps = 1e-3): the shift is the same at
    # eps = 1e-4 and 1e-6 within 1e-3 (measured 8e-5), while a law with a rate 2 % off moves it by
    # 0.02 ln(100)/s = 0.09 between them, and fails.
    shifts, wrong = [], []
    for eps in (1e-4, 1e-6):
        problem = _problem("attn-m", "--cov-eigs", "1,0.5", "--init-scale", eps, "--seeds", 1)
        pred = predict(problem, max_drops=1)
        assert pred.kinds == [["semi-analytic"]]  # the reduced dynamics stay the prediction
        row = compare(problem, pred)[0]["local_law"]
        mode = local_laws.merged_attention_mode(problem.arch, problem.task)
        u0 = local_laws.merged_attention_amplitudes(problem.arch, mode, problem.theta0)
        assert row["predicted"] == float(saxe.t_mid(mode.s, u0, mode.c)[0])
        shifts.append(row["predicted"] - row["simulated"])
        wrong.append(float(saxe.t_mid(0.98 * mode.s, u0, mode.c)[0]) - row["simulated"])
    assert all(abs(d) < 1 / mode.s for d in shifts), shifts
    assert abs(shifts[0] - shifts[1]) < 1e-3, shifts
    assert abs(wrong[0] - wrong[1]) > 1e-3, wrong


def test_kinked_law_without_signal_has_no_drop_and_refuses_a_bad_step():
    # y = 0: every unit's frozen-residual field vanishes, nothing grows; the law says "no drop" at once, not a hang.
    problem = _problem("relu-fc", "--init-scale", EPS, "--seeds", 1)
    silent = numerics.Dataset(problem.task.x, np.zeros_like(problem.task.y))
    law = local_laws.kinked_first_drop(problem.arch, silent, problem.theta0, RELU_STEP)[0]
    assert math.isnan(law.t_drop) and law.rate <= 0 and law.times.size < 10
    for bad in (0.0, -0.01, math.nan):
        with pytest.raises(guards.InputError, match="^step="):
            local_laws.kinked_first_drop(problem.arch, problem.task, problem.theta0, bad)
