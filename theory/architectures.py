"""The model catalogue of spec §1.4, as :class:`~theory.spec.NetworkSpec` objects: families and registrations.

A :class:`Family` is described once: its size keywords and defaults, and a builder that writes f symbolically in
the parameter layout of ``docs/conventions.md`` for any sizes (the same builder serves width 1 and width 50).  The
families ``fc`` and ``conv`` take a unit σ(z).  Each built-in architecture is one :class:`Registration` of a family
with its unit, its declared φ (:class:`~theory.phi.Phi`, proved by :mod:`theory.properties`) and its population
form (docs/theory.md §1.3); :func:`build` looks it up in :data:`REGISTRY`.  ``build("fc", activation="sin(z)")``
builds a network of a user's unit, whose φ properties are *proved* from the expression
(:func:`theory.activation.analyse_activation`).  Everything else (which catalog, which conservation laws, which
default task) is read off the spec and its family, never off its name.

>>> spec = build("linear-fc", d_in=2, d_out=2, width=1)
>>> spec.params
(v_1_1, v_1_2, u_1_1, u_1_2)
>>> build("fc", activation="sin(z)", width=1).phi.order
1
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import sympy as sp

import guards

from .errors import InputError
from .functions import Relu
from .phi import Phi
from .populations import POPULATIONS
from .spec import NetworkSpec, Unit, make_block

_Z = sp.Symbol("z", real=True)
LINEAR = Phi("linear", r"\phi(z; u) = u^\top z", linear_in_u=True, degree=1, field="R", zero_unit=True, order=1,
             coefficient=sp.Integer(1), expression=_Z)
RELU = Phi("relu", r"\phi(z; u) = \mathrm{relu}(w^\top z + b),\ u = (w, b)", degree=1, field="R>=0",
           zero_unit=True, order=1, coefficient=sp.Integer(1), expression=Relu(_Z))
QUADRATIC = Phi("quadratic", r"\phi(z; u) = (u^\top z)^2", degree=2, field="R", zero_unit=True, even=True, order=2,
                coefficient=sp.Integer(1), expression=_Z**2)
CUBIC = Phi("cubic", r"\phi(z; u) = (u^\top z)^3", degree=3, field="R", zero_unit=True, order=3,
            coefficient=sp.Integer(1), expression=_Z**3)
TANH = Phi("tanh", r"\phi(z; u) = \tanh(u^\top z)", zero_unit=True, order=1, coefficient=sp.Integer(1),
           expression=sp.tanh(_Z))
XTANH = Phi("xtanh", r"\phi(z; u) = (u^\top z)\tanh(u^\top z)", zero_unit=True, even=True, order=2,
            coefficient=sp.Integer(1), expression=_Z * sp.tanh(_Z))
ATTN_S = Phi("attention-separate", r"\phi(\beta, x_q; K, Q) = \sum_r (\beta^\top k_r)(q_r^\top x_q)",
             degree=2, field="R", zero_unit=True, even=True, order=2, coefficient=sp.Integer(1))
ATTN_M = Phi("attention-merged", r"\phi(\beta, x_q; U) = \beta^\top U x_q", linear_in_u=True, degree=1,
             field="R", zero_unit=True, order=1, coefficient=sp.Integer(1))
DIAGONAL = Phi("diagonal", r"\phi_i(x; u_i) = u_i x_i", linear_in_u=True, degree=1, field="R", zero_unit=True,
               unit_specific=True, order=1, coefficient=sp.Integer(1))


def _check_sizes(name: str, **sizes: int) -> None:
    for key, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name}: size {key}={value!r} must be an integer >= 1")


@dataclass(frozen=True)
class UnitSpec:
    """What a registration or a user gives a family: φ, σ (SymPy, for families that take a unit), the bias flag, the
    printed formula, the population form and the analysed user unit (None for built-ins)."""

    phi: Phi
    sigma: Callable[[sp.Expr], sp.Expr] | None = None
    bias: bool = False
    formula: str = ""
    population: str | None = None
    analysed: Any = None


@dataclass(frozen=True)
class Family:
    """One architecture family (module docstring).

    ``build(name, unit, sizes)`` writes the network; ``defaults`` are its size keywords; ``takes_unit``: built with
    a unit σ; ``takes_bias``: its units can take a bias (an input coordinate fixed at 1); ``extra_order``:
    factors of θ in f beyond v and the unit (1 for the depth-3 chain's W1), so that f has total degree
    1 + q + extra_order at 0; ``u_groups``: the blocks that make up u_i and in each of which f is
    separately 1-homogeneous when there are several (attention's K and Q: each is balanced against v on its own,
    docs/theory.md §4.5); ``chain``: the layers of a deep linear chain, input side first (layer-balance laws).
    """

    name: str
    defaults: Mapping[str, int]
    build: Callable[[str, UnitSpec, dict[str, int]], NetworkSpec] = field(repr=False)
    takes_unit: bool = False
    takes_bias: bool = False
    extra_order: int = 0
    u_groups: tuple[str, ...] = ("U",)
    chain: tuple[str, ...] = ()


def _spec(name, sizes, unit: UnitSpec, blocks, unit_blocks, input_kind, input_dim, output_dim, g_in, output,
          family_name: str) -> NetworkSpec:
    v_block, u_blocks = unit_blocks
    width = v_block.shape[0]
    units = []
    for i in range(width):
        n_v = len(v_block.symbols) // width
        v = v_block.symbols[i * n_v:(i + 1) * n_v]
        u = ()
        for ub in u_blocks:
            n_u = len(ub.symbols) // width
            u += ub.symbols[i * n_u:(i + 1) * n_u]
        units.append(Unit(tuple(v), tuple(u)))
    # Some population forms (f = xᵀMx) are defined for a scalar output only (docs/theory.md §1.3).
    population = unit.population
    if population is not None and POPULATIONS[population].scalar_output and output_dim != 1:
        population = None
    return NetworkSpec(name, MappingProxyType(dict(sizes)), unit.phi, tuple(blocks), tuple(units), input_kind,
                       input_dim, output_dim, unit.formula, g_in, output, FAMILIES.get(family_name),
                       population, unit.bias, unit.analysed)


def _fc(name: str, unit: UnitSpec, s: dict[str, int]) -> NetworkSpec:
    d_in, d_out, width, bias, sigma = s["d_in"], s["d_out"], s["width"], unit.bias, unit.sigma
    _check_sizes(name, d_in=d_in, d_out=d_out, width=width)
    V = make_block("V", (width, d_out), "v")
    U = make_block("U", (width, d_in + (1 if bias else 0)), "u")

    def output(x: sp.Matrix) -> sp.Matrix:
        f = sp.zeros(d_out, 1)
        for i in range(width):
            pre = sum((U.entry(i, k) * x[k] for k in range(d_in)), sp.Integer(0))
            if bias:
                pre += U.entry(i, d_in)
            act = sigma(pre)
            for o in range(d_out):
                f[o] += V.entry(i, o) * act
        return f

    return _spec(name, s, unit, (V, U), (V, (U,)), "vector", d_in, d_out, "identity", output, "fc")


def _conv(name: str, unit: UnitSpec, s: dict[str, int]) -> NetworkSpec:
    d_in, kernel, width, sigma = s["d_in"], s["kernel"], s["width"], unit.sigma
    _check_sizes(name, d_in=d_in, kernel=kernel, width=width)
    if kernel > d_in:
        raise InputError(f"{name}: kernel={kernel} must be <= d_in={d_in} (valid convolution)")
    if unit.bias:
        raise InputError(f"bias: the conv family has no bias (got bias with {name})")
    n_patch = d_in - kernel + 1
    V = make_block("V", (width, n_patch), "v")
    U = make_block("U", (width, kernel), "u")

    def output(x: sp.Matrix) -> sp.Matrix:
        f = sp.Integer(0)
        for i in range(width):
            for p in range(n_patch):
                pre = sum((U.entry(i, k) * x[p + k] for k in range(kernel)), sp.Integer(0))
                f += V.entry(i, p) * sigma(pre)
        return sp.Matrix([[f]])

    return _spec(name, s, unit, (V, U), (V, (U,)), "vector", d_in, 1, "patches x[p:p+K]", output, "conv")


def _attn_s(name: str, unit: UnitSpec, s: dict[str, int]) -> NetworkSpec:
    """Linear self-attention with separate rank-R key/query heads (spec §1.4 #6, [ICL] Eq. 12).

    f = Σ_i v_i Σ_r (βᵀk_{i,r})(q_{i,r}ᵀx_q) = βᵀMx_q with M = Σ_i v_i Σ_r k_{i,r} q_{i,r}ᵀ; u_i = [vec K_i; vec Q_i].
    """
    dim, width, rank = s["dim"], s["width"], s["rank"]
    _check_sizes(name, dim=dim, width=width, rank=rank)
    V = make_block("V", (width, 1), "v")
    K = make_block("K", (width, rank, dim), "k")
    Q = make_block("Q", (width, rank, dim), "q")

    def output(inputs) -> sp.Matrix:
        beta, xq = inputs
        f = sp.Integer(0)
        for i in range(width):
            for r in range(rank):
                bk = sum((beta[a] * K.entry(i, r, a) for a in range(dim)), sp.Integer(0))
                qx = sum((Q.entry(i, r, a) * xq[a] for a in range(dim)), sp.Integer(0))
                f += V.entry(i, 0) * bk * qx
        return sp.Matrix([[f]])

    return _spec(name, s, unit, (V, K, Q), (V, (K, Q)), "icl", dim, 1, "(beta, x_q)", output, "attn-s")


def _attn_m(name: str, unit: UnitSpec, s: dict[str, int]) -> NetworkSpec:
    """Merged key-query linear attention, f = Σ_i v_i βᵀU_i x_q (spec §1.4 #7, [ICL] Eq. 6): linear in u."""
    dim, width = s["dim"], s["width"]
    _check_sizes(name, dim=dim, width=width)
    V = make_block("V", (width, 1), "v")
    U = make_block("U", (width, dim, dim), "u")

    def output(inputs) -> sp.Matrix:
        beta, xq = inputs
        f = sp.Integer(0)
        for i in range(width):
            f += V.entry(i, 0) * sum((beta[a] * U.entry(i, a, b) * xq[b] for a in range(dim) for b in range(dim)),
                                     sp.Integer(0))
        return sp.Matrix([[f]])

    return _spec(name, s, unit, (V, U), (V, (U,)), "icl", dim, 1, "(beta, x_q)", output, "attn-m")


def _deep(name: str, unit: UnitSpec, s: dict[str, int]) -> NetworkSpec:
    """Depth-3 linear net f(x) = W3 W2 W1 x (spec §1.4 #11), seen from its second hidden layer.

    Unit i has u_i = row i of W2 and v_i = column i of W3, with g_in(x) = W1 x, so f = Σ_i v_i u_iᵀ(W1 x).
    """
    d_in, hidden, width, d_out = s["d_in"], s["hidden"], s["width"], s["d_out"]
    _check_sizes(name, d_in=d_in, hidden=hidden, width=width, d_out=d_out)
    V = make_block("V", (width, d_out), "v")
    U = make_block("U", (width, hidden), "u")
    W1 = make_block("W1", (hidden, d_in), "w1", "w^{(1)}")

    def output(x: sp.Matrix) -> sp.Matrix:
        z = W1.matrix() * x
        return V.matrix().T * (U.matrix() * z)

    return _spec(name, s, unit, (V, U, W1), (V, (U,)), "vector", d_in, d_out, "W1 x", output, "deep-linear")


def _diagonal(name: str, unit: UnitSpec, s: dict[str, int]) -> NetworkSpec:
    """Diagonal linear net f(x) = Σ_i u_i v_i x_i = ⟨u ⊙ v, x⟩ (spec §1.4 #12): unit i reads only x_i."""
    dim = s["dim"]
    _check_sizes(name, dim=dim)
    V = make_block("V", (dim, 1), "v")
    U = make_block("U", (dim, 1), "u")

    def output(x: sp.Matrix) -> sp.Matrix:
        return sp.Matrix([[sum((U.entry(i, 0) * V.entry(i, 0) * x[i] for i in range(dim)), sp.Integer(0))]])

    return _spec(name, s, unit, (V, U), (V, (U,)), "vector", dim, 1, "x_i for unit i", output, "diagonal-linear")


FAMILIES: Mapping[str, Family] = MappingProxyType({f.name: f for f in (
    Family("fc", MappingProxyType({"d_in": 2, "d_out": 1, "width": 2}), _fc, takes_unit=True, takes_bias=True),
    Family("conv", MappingProxyType({"d_in": 3, "kernel": 2, "width": 2}), _conv, takes_unit=True),
    Family("attn-s", MappingProxyType({"dim": 2, "width": 2, "rank": 1}), _attn_s, u_groups=("K", "Q")),
    Family("attn-m", MappingProxyType({"dim": 2, "width": 2}), _attn_m),
    Family("deep-linear", MappingProxyType({"d_in": 2, "hidden": 2, "width": 2, "d_out": 2}), _deep,
           extra_order=1, chain=("W1", "U", "V")),
    Family("diagonal-linear", MappingProxyType({"dim": 2}), _diagonal),
)})


@dataclass(frozen=True)
class Registration:
    """A built-in architecture: a family, the unit it is built with, and size defaults that differ from the
    family's."""

    name: str
    family: Family
    unit: UnitSpec
    defaults: Mapping[str, int] = field(default_factory=dict)
    doc: str = ""

    @property
    def sizes(self) -> dict[str, int]:
        return {**self.family.defaults, **self.defaults}


def _r(name: str, family: str, phi: Phi, formula: str, doc: str, *, sigma=None, bias: bool = False,
       population: str | None = None, **defaults: int) -> Registration:
    return Registration(name, FAMILIES[family], UnitSpec(phi, sigma, bias, formula, population), defaults, doc)


REGISTRY: Mapping[str, Registration] = MappingProxyType({r.name: r for r in (
    _r("linear-fc", "fc", LINEAR, r"f(x) = \sum_i v_i u_i^\top x", "Linear FC, f = VᵀU x (spec §1.4 #1): Type I",
       sigma=lambda z: z, population="linear", d_out=2),
    _r("linear-conv", "conv", LINEAR, r"f(x) = \sum_i \sum_p v_{i,p}\, u_i^\top x_{[p]}",
       "Linear conv (spec §1.4 #2): Type I, rank Σ_i v_i u_iᵀ", sigma=lambda z: z, population="linear"),
    _r("relu-fc", "fc", RELU, r"f(x) = \sum_i v_i\,\mathrm{relu}(w_i^\top x + b_i)",
       "ReLU FC with bias, u_i = (w_i, b_i) (spec §1.4 #3): Type II", sigma=Relu, bias=True),
    _r("relu-conv", "conv", RELU, r"f(x) = \sum_i \sum_p v_{i,p}\,\mathrm{relu}(u_i^\top x_{[p]})",
       "ReLU conv (spec §1.4 #4): Type II, kernel rays", sigma=Relu),
    _r("quadratic", "fc", QUADRATIC, r"f(x) = \sum_i v_i (u_i^\top x)^2",
       "Quadratic net (spec §1.4 #5, Eq. 13 with Z = xxᵀ): Type III", sigma=lambda z: z**2, population="quadratic"),
    _r("attn-s", "attn-s", ATTN_S, r"f = \sum_i v_i \sum_r (\beta^\top k_{i,r})(q_{i,r}^\top x_q)",
       "Linear attention, separate rank-R K, Q heads (spec §1.4 #6)", population="icl"),
    _r("attn-m", "attn-m", ATTN_M, r"f = \sum_i v_i \beta^\top U_i x_q",
       "Merged key-query linear attention (spec §1.4 #7): linear in u", population="icl"),
    _r("tanh-fc", "fc", TANH, r"f(x) = \sum_i v_i \tanh(u_i^\top x)",
       "tanh FC (spec §1.4 #8): no saddle-to-saddle (Fig. 4D)", sigma=sp.tanh),
    _r("xtanh-fc", "fc", XTANH, r"f(x) = \sum_i v_i (u_i^\top x)\tanh(u_i^\top x)",
       "x·tanh x FC (spec §1.4 #9): unit separation (Fig. 4F)", sigma=lambda z: z * sp.tanh(z)),
    _r("cubic", "fc", CUBIC, r"f(x) = \sum_i v_i (u_i^\top x)^3", "Cubic net (spec §1.4 #10): p = 3 (Fig. 4G)",
       sigma=lambda z: z**3),
    _r("deep-linear", "deep-linear", LINEAR, r"f(x) = W_3 W_2 W_1 x = \sum_i v_i u_i^\top (W_1 x)",
       "Depth-3 linear net seen from its second hidden layer (spec §1.4 #11)", population="linear"),
    _r("diagonal-linear", "diagonal-linear", DIAGONAL, r"f(x) = \sum_i u_i v_i x_i",
       "Diagonal linear net (spec §1.4 #12): unit i reads only x_i", population="linear"),
)})
ARCHITECTURE_NAMES: tuple[str, ...] = tuple(REGISTRY)
UNIT_FAMILIES: tuple[str, ...] = tuple(name for name, fam in FAMILIES.items() if fam.takes_unit)


def _user_unit(name: str, activation: Any, bias: bool, timeout: float | None) -> UnitSpec:
    from .activation import analyse_activation  # the parser and prover are needed only for user units

    unit = analyse_activation(activation, argument="activation", timeout=timeout)
    expr = unit.expr
    z = expr.free_symbols.pop()
    sigma = sp.Lambda(z, expr)
    pre = r"w^\top x + b" if bias else r"u^\top x"
    formula = rf"f(x) = \sum_i v_i\,\sigma({pre}),\ \sigma(z) = {sp.latex(expr)}"
    return UnitSpec(unit.phi(bias=bias), sigma, bias, formula, None, unit)


def build(name: str, *, activation: Any = None, bias: bool | None = None, timeout: float | None = 30,
          **sizes: int) -> NetworkSpec:
    """Build the registered architecture ``name`` (a key of :data:`REGISTRY`), or the family ``fc``/``conv`` with a
    user's unit ``activation`` (a SymPy-syntax string or expression in z; ``bias`` adds a bias to z, fc only;
    ``timeout`` bounds the analysis of the unit), with the given sizes.

    Unknown names and unknown or invalid sizes, and a bad expression, raise :class:`~theory.errors.InputError`.
    """
    registration = REGISTRY.get(name)
    family = FAMILIES.get(name) if registration is None else registration.family
    if family is None or (registration is None and not family.takes_unit):
        raise InputError(f"architecture {name!r}: unknown; choose one of "
                         f"{', '.join((*ARCHITECTURE_NAMES, *UNIT_FAMILIES))}")
    if registration is not None:
        if activation is not None or bias is not None:
            which, value = ("activation", activation) if activation is not None else ("bias", bias)
            raise guards.invalid(which, value, f"{name} has its own unit; a unit of your own goes with "
                                 f"the families {', '.join(UNIT_FAMILIES)} (e.g. fc --activation 'tanh(z)')",
                                 cls=InputError)
        unit, defaults = registration.unit, registration.sizes
    else:
        if activation is None:
            raise guards.invalid("activation", None, f"the {name} family needs a unit, an expression in z such as "
                                 "'tanh(z)'", cls=InputError)
        if bias and not family.takes_bias:
            takers = [n for n, f in FAMILIES.items() if f.takes_bias]
            raise guards.invalid("bias", True, f"only the {' and '.join(takers)} family takes a bias (not {name})",
                                 cls=InputError)
        unit, defaults = _user_unit(name, activation, bool(bias), timeout), dict(family.defaults)
    unknown = set(sizes) - set(defaults)
    if unknown:
        raise InputError(f"architecture {name!r}: unknown size(s) {sorted(unknown)}; allowed: {sorted(defaults)}")
    return family.build(name, unit, {**defaults, **sizes})


BUILDERS: Mapping[str, Callable[..., NetworkSpec]] = MappingProxyType(
    {name: (lambda n: lambda **sizes: build(n, **sizes))(name) for name in ARCHITECTURE_NAMES})
