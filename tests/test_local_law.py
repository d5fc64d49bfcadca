"""The non-integrating first-drop prediction of the built-in smooth fc units: the escape law of the registered Taylor
order (docs/theory.md §6.12), evaluated from θ_0 alone, next to the reduced dynamics' drop times, which it leaves
unchanged.

Budgets (§6.12): for q ≥ 2 the law neglects the O(1) blow-up-to-midpoint offset and the next Taylor term, relative
O(eps^{q-1}) (times ln(1/eps) when that term has relative order q − 1), so eps^{q-1} ln(1/eps) bounds both cases;
for q = 1 the intercept from the aligned-mode model carries an O(1) modelling error on generic data, a few per cent
of t ~ ln(1/eps) (docs/accuracy.md: 1.7–3.4 % for sin), bounded here by 5 %.
"""

from __future__ import annotations

import argparse
import json
import math

import pytest

from proofs_check import predict_cmd

EPS = 1e-3


def _compare(arch: str, capsys) -> dict:
    p = argparse.ArgumentParser()
    predict_cmd.configure_parser(p)
    code = predict_cmd.run(p.parse_args([arch, "--init-scale", str(EPS), "--max-drops", "1", "--compare", "--json"]))
    assert code == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("arch, q", [("tanh-fc", 1), ("xtanh-fc", 2), ("cubic", 3)])
def test_local_law_predicts_the_first_drop_without_integrating(arch, q, capsys):
    data = _compare(arch, capsys)
    law = data["extra"]["local_law"]
    assert len(law) == 1 and math.isfinite(law[0])
    assert data["drop_kinds"] == [["semi-analytic"]]  # the reduced dynamics stay the prediction
    row = data["comparison"][0]["local_law"]
    budget = EPS ** (q - 1) * math.log(1 / EPS) if q >= 2 else 0.05
    assert row["predicted"] == law[0] and float(row["rel_error"]) < budget, row


def test_no_local_law_for_a_kinked_unit_or_a_population_task(capsys):
    # The prediction alone says it: no --compare simulation is needed to see that no law was recorded.
    p = argparse.ArgumentParser()
    predict_cmd.configure_parser(p)
    for arch in ("relu-fc", "relu-conv", "quadratic"):
        assert predict_cmd.run(p.parse_args([arch, "--init-scale", str(EPS), "--max-drops", "1", "--json"])) == 0
        assert "local_law" not in json.loads(capsys.readouterr().out)["extra"]


def test_linear_conv_top_mode_law(capsys):
    # The top mode of the origin saddle as one Saxe sigmoid (docs/theory.md §5.1, §6.1): it neglects the mode's leak
    # into the others, an O(1) shift in the mode's own clock 1/s_1 (s_1 = 2 + sqrt 5 for beta* = (3, 2, 1), kernel 2);
    # measured 0.012, against 1/s_1 = 0.236.
    p = argparse.ArgumentParser()
    predict_cmd.configure_parser(p)
    assert predict_cmd.run(p.parse_args(["linear-conv", "--seeds", "2", "--compare", "--json"])) == 0
    data = json.loads(capsys.readouterr().out)
    s1 = 2 + math.sqrt(5)
    assert len(data["extra"]["local_law"]) == 2
    for row in data["comparison"]:
        law = row["local_law"]
        assert abs(law["predicted"] - law["simulated"]) < 1 / s1, law
