"""A built-in pointwise architecture and its family written with the unit's expression are the same network.

``tanh-fc`` is the ``fc`` family with the hand-written unit tanh; ``fc --activation 'tanh(z)'`` is the same family
with σ, σ′, σ″ compiled from the text (numerics) or σ written from the parsed expression (theory).  For each pair
below both sides must agree:

* numerics: loss, gradient, forward pass and Hessian at random θ (batched, B = 3) on one dataset to 1e-12 relative,
  a short gradient flow from ε = 1e-2 to 1e-9 relative, and the φ properties (order, total degree, zero unit, even,
  homogeneity, measure) together with the layout (n_params, blocks);
* theory: ``derive`` gives the same loss and gradient (same parameter symbols, position by position), and the
  properties a registration declares are the ones :func:`theory.analyse_activation` proves for the expression;
* the CLI: ``s2s simulate`` of both spellings gives the same drop times and levels, and bad units exit 2 with one
  line naming ``--activation``.

ReLU has no pair: ``Max(z, 0)`` is not differentiable at the zero unit and the parser refuses it.

The linear built-ins (``linear-fc``, ``linear-conv``) have a population form and evaluate a Dataset through its
moments / effective matrix, whereas ``fc``/``conv`` with σ = z go through the pointwise kernels: the two agree to
round-off, not bit for bit, which is why the tolerances are relative (1e-12) rather than exact equality.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import guards
import numerics
import theory

# (built-in, family, unit expression, sizes used for both)
PAIRS = [
    ("tanh-fc", "fc", "tanh(z)", {"d_in": 2, "d_out": 1, "width": 3}),
    ("xtanh-fc", "fc", "z*tanh(z)", {"d_in": 2, "d_out": 1, "width": 3}),
    ("cubic", "fc", "z**3", {"d_in": 2, "d_out": 1, "width": 3}),
    ("quadratic", "fc", "z**2", {"d_in": 3, "d_out": 1, "width": 3}),
    ("linear-fc", "fc", "z", {"d_in": 3, "d_out": 2, "width": 3}),
    ("linear-conv", "conv", "z", {"d_in": 4, "kernel": 2, "width": 3}),
]
IDS = [p[0] for p in PAIRS]
SAMPLES = 20
RTOL = 1e-12


def _rel(a, b) -> float:
    """max |a − b| / max |b| (relative to the array's scale, so entries near 0 are not over-weighted)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    scale = float(np.max(np.abs(b)))
    return float(np.max(np.abs(a - b))) / (scale if scale > 0 else 1.0)


def _numeric_pair(name, family, expr, sizes):
    return numerics.build_architecture(name, **sizes), numerics.build_architecture(family, activation=expr, **sizes)


def _dataset(arch, seed: int, noise: float = 0.1):
    """X ~ N(0, I), Y from a 2-unit teacher of the same architecture plus noise (so the loss stays > 0)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((SAMPLES, arch.input_dim))
    teacher = arch.resized(width=2)
    y = teacher.forward(rng.standard_normal((1, teacher.n_params)), x)[0]
    return numerics.Dataset(x, y + noise * rng.standard_normal(y.shape))


# --- numerics --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name,family,expr,sizes", PAIRS, ids=IDS)
def test_numeric_properties_and_layout_agree(name, family, expr, sizes):
    a, b = _numeric_pair(name, family, expr, sizes)
    assert b.family is a.family and b.expression is not None and a.expression is None
    for attr in ("n_params", "blocks", "order", "total_degree", "zero_unit", "even", "degree", "homogeneity_field",
                 "linear_in_u", "measure", "input_dim", "output_dim", "unit_count", "sizes", "bias"):
        assert getattr(b, attr) == getattr(a, attr), attr
    # Declared a = 1 against a measured one (measure_unit: ≲ 1e-11 relative for q ≤ 2, ≲ 2e-9 for q = 3).
    assert b.coefficient == pytest.approx(a.coefficient, rel=1e-8)
    # A user's unit gets no population form (the closed forms are registered with the built-ins).
    assert b.population_kind is None


@pytest.mark.parametrize("name,family,expr,sizes", PAIRS, ids=IDS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_numeric_loss_gradient_forward_hessian_agree(name, family, expr, sizes, seed):
    a, b = _numeric_pair(name, family, expr, sizes)
    task = _dataset(a, seed)
    rng = np.random.default_rng(100 + seed)
    theta = rng.standard_normal((3, a.n_params))  # B = 3 random points
    la, ga = numerics.loss_and_grad(a, task, theta)
    lb, gb = numerics.loss_and_grad(b, task, theta)
    assert la.shape == lb.shape == (3,) and ga.shape == gb.shape == (3, a.n_params)
    np.testing.assert_allclose(lb, la, rtol=RTOL, atol=0)
    for k in range(3):
        assert _rel(gb[k], ga[k]) <= RTOL
    assert _rel(b.forward(theta, task.x), a.forward(theta, task.x)) <= RTOL
    # numerics.hessian is central differences of the analytic gradient, which divide the gradients' round-off
    # difference (~1e-16 between the moment path of linear-fc and the pointwise path of fc) by the step h.  With
    # the default h ≈ 6e-6 that is ~3e-11; a fixed h = 1e-3 keeps the comparison at 1e-12 (both sides use the same
    # h, so the truncation error is the same function of θ on both).
    for k in range(3):
        ha = numerics.hessian(a, task, theta[k], step=1e-3)
        hb = numerics.hessian(b, task, theta[k], step=1e-3)
        assert ha.shape == (a.n_params, a.n_params)
        assert _rel(hb, ha) <= RTOL


@pytest.mark.parametrize("name,family,expr,sizes", PAIRS, ids=IDS)
def test_numeric_gradient_flow_agrees(name, family, expr, sizes):
    a, b = _numeric_pair(name, family, expr, sizes)
    task = _dataset(a, 1)  # data seed 1: every pair leaves its first plateau within t_max
    theta0 = numerics.init_params(a, 1e-2, seed=3, n_seeds=3)
    t_max = 300.0

    def fa(th):
        return numerics.loss_and_grad(a, task, th)

    def fb(th):
        return numerics.loss_and_grad(b, task, th)

    # rtol 1e-12: the two runs may take different steps (round-off flips an accept/reject), so they are compared
    # on the dense output at common times, where each is within ~1e-12 of the exact flow.  gtol = 0 runs to t_max,
    # except where the gradient is exactly 0.0 in floating point (the moment path of linear-conv can reach that at
    # its minimum): that member stops "converged", and the curves are compared up to the earlier end.
    # DOP853 throughout (no stiff switch): the dense output of a Radau segment costs seconds per call to rebuild.
    ra = numerics.gradient_flow(fa, theta0, t_max, rtol=1e-12, gtol=0.0, stiff_method=None)
    rb = numerics.gradient_flow(fb, theta0, t_max, rtol=1e-12, gtol=0.0, stiff_method=None)
    for k in range(3):
        ma, mb = ra.members[k], rb.members[k]
        assert {ma.status, mb.status} <= {"t_max", "converged"}, (ma.message, mb.message)
        times = np.linspace(0.0, min(ma.t[-1], mb.t[-1]), 31)
        assert times[-1] > 0.5 * t_max
        _, loss_a = numerics.interpolate(fa, ra, k, times)
        _, loss_b = numerics.interpolate(fb, rb, k, times)
        assert np.all(loss_a > 0)
        np.testing.assert_allclose(loss_b, loss_a, rtol=1e-9, atol=0)
    # Something happens in the window: at least one member leaves the plateau of its initial loss.
    drops = [m.loss[-1] / m.loss[0] for m in ra.members]
    assert min(drops) < 0.5, drops


def test_relu_is_not_an_admissible_expression():
    for build in (numerics.build_architecture, theory.build):
        with pytest.raises(guards.InputError) as info:
            build("fc", activation="Max(z, 0)")
        assert info.value.argument == "activation" and "differentiable" in str(info.value)


# --- theory ----------------------------------------------------------------------------------------------------------

def _theory_sizes(sizes):
    # Smaller than the numeric sizes: the symbolic loss of a dataset grows with width × samples.
    return {**sizes, "width": 2}


def _theory_dataset(spec, seed: int):
    rng = np.random.default_rng(seed)
    x = sp.Matrix(3, spec.input_dim, [sp.Rational(int(v), 4) for v in rng.integers(-8, 9, 3 * spec.input_dim)])
    y = sp.Matrix(3, spec.output_dim, [sp.Rational(int(v), 3) for v in rng.integers(-6, 7, 3 * spec.output_dim)])
    return theory.Dataset(x, y)


@pytest.mark.parametrize("name,family,expr,sizes", PAIRS, ids=IDS)
def test_theory_loss_and_gradient_are_the_same_expressions(name, family, expr, sizes):
    s = _theory_sizes(sizes)
    reg, usr = theory.build(name, **s), theory.build(family, activation=expr, **s)
    assert [p.name for p in usr.params] == [p.name for p in reg.params]
    assert [(blk.name, blk.shape) for blk in usr.blocks] == [(blk.name, blk.shape) for blk in reg.blocks]
    task = _theory_dataset(reg, 5)
    dr, du = theory.derive(reg, task), theory.derive(usr, task)
    swap = dict(zip(usr.params, reg.params, strict=True))  # position by position
    assert sp.simplify(du.loss.xreplace(swap) - dr.loss) == 0
    assert len(du.gradient) == len(dr.gradient) == reg.n_params
    for gu, gr in zip(du.gradient, dr.gradient, strict=True):
        assert sp.simplify(gu.xreplace(swap) - gr) == 0
    # And not vacuously: the loss depends on every parameter.
    assert dr.loss.free_symbols == set(reg.params)


@pytest.mark.parametrize("name,family,expr,sizes", PAIRS, ids=IDS)
def test_theory_declared_properties_are_the_proved_ones(name, family, expr, sizes):
    s = _theory_sizes(sizes)
    reg, usr = theory.build(name, **s), theory.build(family, activation=expr, **s)
    unit = usr.unit  # proved from the expression by theory.analyse_activation
    assert unit is not None and reg.unit is None
    declared = reg.phi
    assert declared.order == unit.order == usr.phi.order
    assert declared.even == (unit.parity == "even") == usr.phi.even
    assert declared.zero_unit == unit.zero_unit == usr.phi.zero_unit
    assert declared.degree == unit.degree == usr.phi.degree
    assert declared.field == unit.field == usr.phi.field
    assert declared.linear_in_u == unit.linear == usr.phi.linear_in_u
    assert sp.simplify(declared.coefficient - unit.coefficient) == 0
    # The registration's σ is the expression's σ.
    z = next(iter(unit.expr.free_symbols))
    assert sp.simplify(declared.expression.xreplace({next(iter(declared.expression.free_symbols)): z})
                       - unit.expr) == 0
    assert usr.total_degree == reg.total_degree and usr.n_params == reg.n_params


# --- CLI -------------------------------------------------------------------------------------------------------------

def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "proofs_check", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


@pytest.mark.parametrize("name,expr", [("tanh-fc", "tanh(z)"), ("xtanh-fc", "z*tanh(z)")])
def test_cli_simulate_builtin_and_expression_agree(name, expr, tmp_path):
    common = ["--seeds", "1", "--seed", "2", "--width", "4", "--samples", "32", "--init-scale", "1e-2", "--json"]
    ra = run("simulate", name, *common, cwd=tmp_path)
    rb = run("simulate", "fc", "--activation", expr, *common, cwd=tmp_path)
    assert ra.returncode == 0, ra.stderr
    assert rb.returncode == 0, rb.stderr
    a, b = json.loads(ra.stdout), json.loads(rb.stdout)
    assert a["architecture"] == name and b["architecture"] == f"fc[sigma={expr}]"
    assert len(a["drop_times"]) == len(b["drop_times"]) >= 1
    assert len(a["plateau_levels"]) == len(b["plateau_levels"])
    np.testing.assert_allclose(b["drop_times"], a["drop_times"], rtol=1e-9, atol=0)
    np.testing.assert_allclose(b["plateau_levels"], a["plateau_levels"], rtol=1e-9, atol=0)
    assert b["final_loss"] == pytest.approx(a["final_loss"], rel=1e-9)


@pytest.mark.parametrize("args", [
    ("fc", "--activation", "log(z)"),
    ("fc", "--activation", "x + z"),
    ("fc", "--activation", "1/z"),
    ("fc", "--activation", "abs(z)"),
    ("fc", "--activation", '__import__("os")'),
    ("fc", "--activation", ""),
    ("fc", "--activation", "Max(z, 0)"),
    ("tanh-fc", "--activation", "z"),
    ("fc",),
], ids=["log", "other-symbol", "pole", "abs", "import", "empty", "relu", "registered-has-its-unit", "missing"])
def test_cli_bad_unit_is_one_line_naming_the_option(args, tmp_path):
    r = run("simulate", *args, cwd=tmp_path)
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "--activation" in lines[0], lines[0]
    assert r.stdout == ""


def test_architectures_pickle_by_reference_and_compute_the_same():
    """Every registered architecture and a user's unit survive pickling (multiprocessing, joblib): families and
    built-in units travel by their registered names, a compiled unit by its expression, compiled again on load."""
    import pickle

    import numpy as np

    import numerics as N

    archs = [N.build_architecture(name) for name in N.ARCHITECTURE_NAMES]
    archs.append(N.build_architecture("fc", activation="z + z**2/2", width=3, bias=True))
    for arch in archs:
        back = pickle.loads(pickle.dumps(arch))
        assert back == arch and back.family is arch.family
    user, back = archs[-1], pickle.loads(pickle.dumps(archs[-1]))
    rng = np.random.default_rng(2)
    task = N.Dataset(rng.standard_normal((8, user.input_dim)), rng.standard_normal((8, user.output_dim)))
    theta = N.init_params(user, 0.3, seed=1, n_seeds=2)
    np.testing.assert_array_equal(N.loss_and_grad(back, task, theta)[1], N.loss_and_grad(user, task, theta)[1])
    compiled = user.activation
    again = pickle.loads(pickle.dumps(compiled))
    z = np.linspace(-2.0, 2.0, 9)
    np.testing.assert_array_equal(again.sigma(z), compiled.sigma(z))
    raw = N.activation.Activation("mine", np.sin, None, np.sin)
    with pytest.raises(TypeError, match="compile_activation"):
        pickle.dumps(raw)
