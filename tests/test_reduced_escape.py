"""Escape-and-join reduced dynamics (numerics.reduced_staircase) against the full flow, and its bad input.

Tolerances (module docstring of numerics.reduced_escape): the reduction neglects dormant–dormant and dormant→escaped
interactions, whose share of the loss at the escape onset is O(onset) = 1e-3, and shifts each drop by O(1) time;
relative to escape times ∝ 1/ε (p = 2) or ∝ ln(1/ε) (p = 1) that is ≤ 1e-2 at the ε used here.
"""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import numerics
from proofs_check.experiment import run_experiment

REL = 1e-2


def _full(arch, task, th0, t_max, method="flow"):
    exp = run_experiment(arch, task, 1.0, t_max=t_max, method=method, theta0=th0)
    return exp.staircases[0]


def test_quadratic_units_escape_one_by_one():
    arch = numerics.build_architecture("quadratic", d_in=2, width=3)
    task = numerics.QuadraticGaussianTask(np.diag([2.0, -1.0]))
    th0 = numerics.init_params(arch, 1e-3, seed=3)
    red = numerics.reduced_staircase(arch, task, th0[0], t_max=4000.0)
    full = _full(arch, task, th0, 4000.0)
    assert len(red.drop_times) == len(full.drop_times) == 2
    np.testing.assert_allclose(red.drop_times, full.drop_times, rtol=REL)
    np.testing.assert_allclose(red.levels, full.levels, atol=1e-3 * full.levels[0])
    assert all(len(s.escaped_units) == 1 for s in red.stages)  # unit separation


def test_max_drops_stops_at_the_next_onset_and_keeps_the_plateau():
    # Stopping at the second escape's onset must not change the first drop or its level (same integration up to
    # there), must end the curve on the plateau between the drops, and must cost less than the full run.
    arch = numerics.build_architecture("quadratic", d_in=2, width=3)
    task = numerics.QuadraticGaussianTask(np.diag([2.0, -1.0]))
    th0 = numerics.init_params(arch, 1e-3, seed=3)
    whole = numerics.reduced_staircase(arch, task, th0[0], t_max=4000.0)
    one = numerics.reduced_staircase(arch, task, th0[0], t_max=4000.0, max_drops=1)
    assert one.status == "max_drops" and "next escape's onset" in one.message
    assert len(one.drop_times) == 1 and len(one.levels) == 2
    np.testing.assert_allclose(one.drop_times[0], whole.drop_times[0], rtol=1e-9)
    np.testing.assert_allclose(one.levels, whole.levels[:2], atol=1e-6 * whole.levels[0])
    assert whole.drop_times[0] < one.t_end < whole.stages[1].onset_time


def test_relu_rays_escape_as_groups():
    arch = numerics.build_architecture("relu-fc", d_in=4, d_out=1, width=12)
    task = numerics.Dataset(2.0 * np.eye(4), np.array([[3.0], [2.0], [-1.0], [-0.5]]))
    th0 = numerics.init_params(arch, 1e-4, seed=1)
    red = numerics.reduced_staircase(arch, task, th0[0], t_max=60.0, method="euler", step=0.01)
    full = _full(arch, task, th0, 60.0, method="gd")
    assert len(red.drop_times) == len(full.drop_times) == 2
    np.testing.assert_allclose(red.drop_times, full.drop_times, rtol=REL)
    np.testing.assert_allclose(red.levels, full.levels, atol=1e-3 * full.levels[0])


def test_identical_units_do_not_separate():
    # θ_1 = θ_2 (an invariant set, Thm 3): both units reach the onset together, so the reduction is the full
    # network and only the first drop is predicted, with that status.
    arch = numerics.build_architecture("tanh-fc", d_in=2, d_out=1, width=2)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 2))
    task = numerics.Dataset(x, np.tanh(x @ np.array([[1.0], [-0.5]])))
    unit = 1e-3 * rng.standard_normal(3)
    blocks = {"V": np.array([[[unit[0]], [unit[0]]]]), "U": np.array([[unit[1:], unit[1:]]])}
    red = numerics.reduced_staircase(arch, task, arch.pack(blocks)[0], t_max=200.0)
    assert red.status == "no_unit_separation" and len(red.drop_times) <= 1


@pytest.mark.parametrize("kwargs, match", [
    (dict(t_max=-1.0), "t_max"),
    (dict(t_max=10.0, onset=0.7), "onset"),
    (dict(t_max=10.0, method="euler", step=0.0), "step"),
    (dict(t_max=10.0, rtol=0.0), "rtol"),
])
def test_bad_options(kwargs, match):
    arch = numerics.build_architecture("quadratic", d_in=2, width=2)
    task = numerics.QuadraticGaussianTask(np.diag([1.0, -1.0]))
    with pytest.raises(numerics.InputError, match=match):
        numerics.reduced_staircase(arch, task, numerics.init_params(arch, 1e-3)[0], **kwargs)


def test_bad_weights_and_architecture():
    arch = numerics.build_architecture("quadratic", d_in=2, width=2)
    task = numerics.QuadraticGaussianTask(np.diag([1.0, -1.0]))
    with pytest.raises(numerics.InputError, match="theta0"):
        numerics.reduced_staircase(arch, task, np.full(arch.n_params, np.nan), t_max=1.0)
    with pytest.raises(numerics.InputError, match="theta0"):
        numerics.reduced_staircase(arch, task, np.zeros(3), t_max=1.0)
    deep = numerics.build_architecture("deep-linear", d_in=2, d_out=2, width=2, hidden=2)
    with pytest.raises(numerics.InputError, match="W1"):
        numerics.reduced_staircase(deep, numerics.whitened([2.0, 1.0]), np.zeros(deep.n_params), t_max=1.0)


def test_module_example_runs():
    import numerics.reduced_escape as module

    assert doctest.testmod(module).failed == 0
