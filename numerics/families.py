"""Architecture families of the numeric side: how a network of each kind lays out θ, evaluates f and pulls back.

A :class:`Family` is described once (docs/conventions.md "How an architecture is described"): its size keywords
and defaults, the block layout of θ, the input kind (vector x or the in-context pair (β, x_q)), the dimensions it
derives from the sizes, the forward pass with its pull-back, and the effective matrix of each population form it
has (docs/theory.md §1.3).  Each built-in architecture is one registration of a family with a unit
(:mod:`numerics.architectures`); the families that take a unit σ (``fc``, ``conv``) accept any
:class:`~numerics.activation.Activation`, including one compiled from a user's expression.

The chain rule of every family is written by hand here and in :mod:`numerics.models`; nothing is derived
symbolically on this side, so the cross-check with :mod:`theory` compares two derivations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from .errors import InputError
from .models import attention, conv, deep, linear, pointwise, quadratic

Blocks = dict[str, np.ndarray]
Layout = tuple[tuple[str, tuple[int, ...]], ...]
Pullback = Callable[[np.ndarray], Blocks]


@dataclass(frozen=True)
class EffectiveForm:
    """The effective matrix M(θ) of one population form (docs/theory.md §1.3) as kernels on positional blocks.

    ``blocks``: the names of the θ blocks M depends on, in the kernels' argument order; ``matrix(*blocks)`` gives
    M (B, r, c); ``vjp(*blocks, dM, out=None)`` gives the gradients of Σ_b ⟨dM_b, M(θ_b)⟩_F, one per block in
    ``blocks`` order, written into ``out`` (arrays of the blocks' shapes) when it is given.  Positional kernels
    keep dictionaries off the per-gradient hot path (:func:`numerics.objective.gradient_function`).
    """

    blocks: tuple[str, ...]
    matrix: Callable[..., np.ndarray] = field(repr=False)
    vjp: Callable[..., tuple[np.ndarray, ...]] = field(repr=False)

    def matrix_of(self, b: Blocks) -> np.ndarray:
        """M from a {block: array} mapping."""
        return self.matrix(*[b[name] for name in self.blocks])

    def vjp_of(self, b: Blocks, dM: np.ndarray) -> Blocks:
        """{block: ∂⟨dM, M⟩/∂block} from a {block: array} mapping."""
        return dict(zip(self.blocks, self.vjp(*[b[name] for name in self.blocks], dM), strict=True))


@dataclass(frozen=True)
class Family:
    """One architecture family (module docstring).

    ``layout(sizes, bias)`` gives the (name, shape) blocks of θ in order; ``dims(sizes)`` gives (input_dim,
    output_dim, unit_count); ``check(sizes)`` raises on sizes the family cannot take; ``forward_pullback(arch,
    blocks, xs)`` returns F (B, P, d_out) and its pull-back; ``effective`` maps a population kind ("linear",
    "quadratic", "icl") to its :class:`EffectiveForm`; ``takes_unit``: whether the family is built with a unit σ;
    ``takes_bias``: whether its units can take a bias column (an input coordinate fixed at 1);
    ``input_kind``: a key of :data:`INPUT_KINDS`;
    ``extra_order``: factors of θ in f beyond v and the unit (1 for the depth-3 chain's W1), so that the total degree
    of f in θ at 0 is 1 + q + extra_order; ``shared_blocks``: the blocks that belong to no unit (the chain's W1),
    every other block has the units along its first axis; ``unit_size``: the size keyword that counts the units
    when they are *exchangeable* (every unit the same φ, so that permuting units leaves f unchanged), None when
    they are not (the diagonal net's unit i reads x_i only).
    """

    name: str
    defaults: Mapping[str, int]
    input_kind: str
    layout: Callable[[Mapping[str, int], bool], Layout] = field(repr=False)
    dims: Callable[[Mapping[str, int]], tuple[int, int, int]] = field(repr=False)
    forward_pullback: Callable[[Any, Blocks, tuple[np.ndarray, ...]], tuple[np.ndarray, Pullback]] = field(
        repr=False)
    effective: Mapping[str, EffectiveForm] = field(default_factory=dict, repr=False)
    check: Callable[[Mapping[str, int]], None] = field(default=lambda sizes: None, repr=False)
    takes_unit: bool = False
    takes_bias: bool = False
    extra_order: int = 0
    shared_blocks: tuple[str, ...] = ()
    unit_size: str | None = "width"

    @property
    def sizes(self) -> tuple[str, ...]:
        return tuple(self.defaults)

    def __reduce__(self):
        """Pickled by reference to :data:`FAMILIES` (its fields hold functions and read-only mappings)."""
        if FAMILIES.get(self.name) is self:
            return _registered_family, (self.name,)
        raise TypeError(f"Family {self.name!r} is not the one registered under that name and cannot be pickled")


@dataclass(frozen=True)
class InputKind:
    """What a family's input is: one vector x (``"vector"``) or the in-context pair (β, x_q) (``"icl"``), and how
    a model linear in it maps it through its effective matrix M: ``apply(M, xs)`` → F (B, P, d_out) and
    ``cotangent(xs, dF)`` → ∂⟨dF, F⟩/∂M."""

    name: str
    in_context: bool
    apply: Callable[[np.ndarray, tuple[np.ndarray, ...]], np.ndarray] = field(repr=False)
    cotangent: Callable[[tuple[np.ndarray, ...], np.ndarray], np.ndarray] = field(repr=False)


INPUT_KINDS: Mapping[str, InputKind] = MappingProxyType({k.name: k for k in (
    InputKind("vector", False, lambda M, xs: linear.apply_matrix(M, xs[0]),
              lambda xs, dF: linear.matrix_cotangent(xs[0], dF)),
    InputKind("icl", True, lambda M, xs: attention.bilinear_forward(M, xs[0], xs[1]),
              lambda xs, dF: attention.bilinear_cotangent(xs[0], xs[1], dF)),
)})


def _through_matrix(arch, b: Blocks, xs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, Pullback]:
    """Models linear in x (or bilinear in (β, x_q)) pull dF back through their effective matrix: O(P d²), not
    O(P n)."""
    form = arch.family.effective[arch.population_kind]
    M = form.matrix_of(b)
    kind = INPUT_KINDS[arch.family.input_kind]
    return kind.apply(M, xs), lambda dF: form.vjp_of(b, kind.cotangent(xs, dF))


# ------------------------------------------------------------------------------------------- fully connected
def _fc_forward(arch, b: Blocks, xs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, Pullback]:
    if arch.linear_in_x:
        return _through_matrix(arch, b, xs)
    F, pull = pointwise.fc_forward_pullback(b["V"], b["U"], xs[0], arch.activation, arch.bias)
    return F, lambda dF: dict(zip(("V", "U"), pull(dF), strict=True))


FC = Family(
    "fc", MappingProxyType({"d_in": 2, "d_out": 1, "width": 2}), "vector",
    layout=lambda s, bias: (("V", (s["width"], s["d_out"])), ("U", (s["width"], s["d_in"] + int(bias)))),
    dims=lambda s: (s["d_in"], s["d_out"], s["width"]),
    forward_pullback=_fc_forward,
    effective=MappingProxyType({
        "linear": EffectiveForm(("V", "U"), linear.fc_matrix, linear.fc_matrix_vjp),
        "quadratic": EffectiveForm(("V", "U"), quadratic.quadratic_matrix, quadratic.quadratic_matrix_vjp),
    }),
    takes_unit=True,
    takes_bias=True,
)


# ------------------------------------------------------------------------------------------------ conv
def _conv_check(s: Mapping[str, int]) -> None:
    if s["kernel"] > s["d_in"]:
        raise InputError(f"kernel: must be <= d_in = {s['d_in']} (got {s['kernel']})")


def _conv_forward(arch, b: Blocks, xs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, Pullback]:
    if arch.linear_in_x:
        return _through_matrix(arch, b, xs)
    if arch.bias:
        raise InputError("bias: the conv family has no bias column")
    F, pull = conv.conv_forward_pullback(b["V"], b["U"], xs[0], arch.activation)
    return F, lambda dF: dict(zip(("V", "U"), pull(dF), strict=True))


CONV = Family(
    "conv", MappingProxyType({"d_in": 3, "kernel": 2, "width": 2}), "vector",
    layout=lambda s, bias: (("V", (s["width"], s["d_in"] - s["kernel"] + 1)), ("U", (s["width"], s["kernel"]))),
    dims=lambda s: (s["d_in"], 1, s["width"]),
    forward_pullback=_conv_forward,
    effective=MappingProxyType({
        # d_in = L + K − 1 is read off the block shapes V (B, H, L), U (B, H, K).
        "linear": EffectiveForm(("V", "U"),
                                lambda V, U: conv.linear_conv_matrix(V, U, V.shape[2] + U.shape[2] - 1),
                                conv.linear_conv_matrix_vjp),
    }),
    check=_conv_check,
    takes_unit=True,
)

# ------------------------------------------------------------------------------------------------ attention
ATTN_S = Family(
    "attn-s", MappingProxyType({"dim": 2, "width": 2, "rank": 1}), "icl",
    layout=lambda s, bias: (("V", (s["width"], 1)), ("K", (s["width"], s["rank"], s["dim"])),
                            ("Q", (s["width"], s["rank"], s["dim"]))),
    dims=lambda s: (s["dim"], 1, s["width"]),
    forward_pullback=_through_matrix,
    effective=MappingProxyType({
        "icl": EffectiveForm(("V", "K", "Q"), attention.separate_matrix, attention.separate_matrix_vjp),
    }),
)
ATTN_M = Family(
    "attn-m", MappingProxyType({"dim": 2, "width": 2}), "icl",
    layout=lambda s, bias: (("V", (s["width"], 1)), ("U", (s["width"], s["dim"], s["dim"]))),
    dims=lambda s: (s["dim"], 1, s["width"]),
    forward_pullback=_through_matrix,
    effective=MappingProxyType({
        "icl": EffectiveForm(("V", "U"), attention.merged_matrix, attention.merged_matrix_vjp),
    }),
)

# ------------------------------------------------------------------------------------------------ deep / diagonal
DEEP_LINEAR = Family(
    "deep-linear", MappingProxyType({"d_in": 2, "hidden": 2, "width": 2, "d_out": 2}), "vector",
    layout=lambda s, bias: (("V", (s["width"], s["d_out"])), ("U", (s["width"], s["hidden"])),
                            ("W1", (s["hidden"], s["d_in"]))),
    dims=lambda s: (s["d_in"], s["d_out"], s["width"]),
    forward_pullback=_through_matrix,
    effective=MappingProxyType({
        "linear": EffectiveForm(("V", "U", "W1"), deep.deep_matrix, deep.deep_matrix_vjp),
    }),
    extra_order=1,
    shared_blocks=("W1",),
)
DIAGONAL = Family(
    "diagonal-linear", MappingProxyType({"dim": 2}), "vector",
    layout=lambda s, bias: (("V", (s["dim"], 1)), ("U", (s["dim"], 1))),
    dims=lambda s: (s["dim"], 1, s["dim"]),
    forward_pullback=_through_matrix,
    effective=MappingProxyType({
        "linear": EffectiveForm(("V", "U"), deep.diagonal_matrix, deep.diagonal_matrix_vjp),
    }),
    unit_size=None,
)

def _registered_family(name: str) -> Family:
    return FAMILIES[name]


FAMILIES: Mapping[str, Family] = MappingProxyType({f.name: f for f in (FC, CONV, ATTN_S, ATTN_M, DEEP_LINEAR,
                                                                        DIAGONAL)})


def n_params(layout: Layout) -> int:
    return sum(math.prod(shape) for _, shape in layout)
