"""Symbolic network specs: layout, sizes, φ properties, time bounds, bad input."""

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import numerics
import theory
from theory.properties import check_phi_properties

SIZE_KEYS = {
    "linear-fc": ("d_in", "d_out", "width"), "relu-fc": ("d_in", "d_out", "width"),
    "quadratic": ("d_in", "d_out", "width"), "tanh-fc": ("d_in", "d_out", "width"),
    "xtanh-fc": ("d_in", "d_out", "width"), "cubic": ("d_in", "d_out", "width"),
    "linear-conv": ("d_in", "kernel", "width"), "relu-conv": ("d_in", "kernel", "width"),
    "attn-s": ("dim", "width", "rank"), "attn-m": ("dim", "width"),
    "deep-linear": ("d_in", "hidden", "width", "d_out"), "diagonal-linear": ("dim",),
}


def test_every_architecture_has_a_builder():
    assert set(theory.ARCHITECTURE_NAMES) == set(SIZE_KEYS) == set(numerics.ARCHITECTURE_NAMES)


@settings(max_examples=40)
@given(name=st.sampled_from(sorted(SIZE_KEYS)), data=st.data())
def test_layout_matches_numeric_layout(name, data):
    # The same sizes give the same blocks (names, shapes, order) on both sides: the layout contract.
    sizes = {k: data.draw(st.integers(1, 4), label=k) for k in SIZE_KEYS[name]}
    if "kernel" in sizes:
        sizes["kernel"] = min(sizes["kernel"], sizes["d_in"])
    spec = theory.build(name, **sizes)
    arch = numerics.build_architecture(name, **sizes)
    assert [(b.name, b.shape) for b in spec.blocks] == [(n, tuple(s)) for n, s in arch.blocks]
    assert spec.n_params == arch.n_params == len(set(spec.params))
    assert spec.output_dim == arch.output_dim and spec.input_dim == arch.input_dim


def test_width_50_builds_as_width_1():
    small, big = theory.build("linear-fc", d_in=3, d_out=2, width=1), theory.build("linear-fc", d_in=3, d_out=2,
                                                                                    width=50)
    assert big.n_params == 50 * small.n_params and big.width == 50


@pytest.mark.parametrize("name", sorted(SIZE_KEYS))
def test_declared_phi_properties_are_proved(name):
    checks = check_phi_properties(theory.build(name))
    for key, c in checks.items():
        assert c.consistent, (name, key, c)


def test_forward_agrees_with_numeric_forward_at_a_point():
    rng = np.random.default_rng(3)
    for name in SIZE_KEYS:
        spec, arch = theory.build(name), numerics.build_architecture(name)
        theta = rng.standard_normal(arch.n_params)
        sub = dict(zip(spec.params, theta, strict=True))
        if spec.input_kind == "icl":
            beta, xq = rng.standard_normal((1, spec.input_dim)), rng.standard_normal((1, spec.input_dim))
            f_sym = spec.output((sp.Matrix(beta.T), sp.Matrix(xq.T))).xreplace(sub)
            f_num = arch.forward(theta[None], (beta, xq))[0, 0]
        else:
            x = rng.standard_normal((1, spec.input_dim))
            f_sym = spec.output(sp.Matrix(x.T)).xreplace(sub)
            f_num = arch.forward(theta[None], x)[0, 0]
        np.testing.assert_allclose(np.array(f_sym.evalf(), dtype=float).ravel(), f_num, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name,sizes,fragment", [
    ("nope", {}, "unknown"),
    ("linear-fc", {"width": 0}, "width=0"),
    ("linear-fc", {"kernel": 2}, "unknown size"),
    ("linear-conv", {"d_in": 2, "kernel": 3}, "kernel=3"),
    ("attn-s", {"rank": -1}, "rank=-1"),
    ("quadratic", {"d_in": 2.5}, "d_in=2.5"),
])
def test_bad_sizes_raise_input_error(name, sizes, fragment):
    with pytest.raises(theory.InputError, match=fragment):
        theory.build(name, **sizes)


def test_time_bound_interrupts_an_exploding_expansion():
    x = sp.symbols("x0:12")
    with pytest.raises(theory.SymbolicTimeout, match="time bound"):
        with theory.time_bound(0.3, "a huge expansion"):
            sp.expand(sum(x) ** 40)


def test_derive_gives_flow_and_latex():
    d = theory.derive(theory.build("linear-fc", d_in=1, d_out=1, width=1),
                      theory.LinearRegressionTask.whitened([3]), hessian=True)
    v, u = d.params
    assert sp.simplify(d.flow[0] - u * (3 - u * v)) == 0
    assert d.hessian == d.hessian.T
    assert r"\dot{v_{1}} = " in d.latex() and r"\dot{u_{1}} = " in d.latex()


def test_an_exact_cancellation_is_not_a_refutation():
    # sp.N at default precision prints sin²+cos²−1 at x = −1 as "-0.e-124", which compares unequal to 0: a false
    # witness. A difference must exceed 1e-30 of its terms at 50 digits to refute.
    import sympy as sp

    from theory.properties import _identically_zero

    x = sp.Symbol("x", real=True)
    assert _identically_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1, 1)[0]
    assert _identically_zero(sp.tanh(x) ** 2 + 1 / sp.cosh(x) ** 2 - 1, 1)[0]
    holds, witness = _identically_zero(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1 + sp.Rational(1, 10**12), 1)
    assert not holds and "1e-12" in witness  # a small real difference is still found
