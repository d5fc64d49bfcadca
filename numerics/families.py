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
# (M(blocks), dM ↦ {block: ∂⟨dM, M⟩/∂block}) of one population form.
Effective = tuple[Callable[[Any, Blocks], np.ndarray], Callable[[Any, Blocks, np.ndarray], Blocks]]


@dataclass(frozen=True)
class Family:
    """One architecture family (module docstring).

    ``layout(sizes, bias)`` gives the (name, shape) blocks of θ in order; ``dims(sizes)`` gives (input_dim,
    output_dim, unit_count); ``check(sizes)`` raises on sizes the family cannot take; ``forward_pullback(arch,
    blocks, xs)`` returns F (B, P, d_out) and its pull-back; ``effective`` maps a population kind ("linear",
    "quadratic", "icl") to its effective-matrix pair; ``takes_unit``: whether the family is built with a unit σ;
    ``extra_order``: factors of θ in f beyond v and the unit (1 for the depth-3 chain's W1), so that the total degree
    of f in θ at 0 is 1 + q + extra_order.
    """

    name: str
    defaults: Mapping[str, int]
    input_kind: str
    layout: Callable[[Mapping[str, int], bool], Layout] = field(repr=False)
    dims: Callable[[Mapping[str, int]], tuple[int, int, int]] = field(repr=False)
    forward_pullback: Callable[[Any, Blocks, tuple[np.ndarray, ...]], tuple[np.ndarray, Pullback]] = field(
        repr=False)
    effective: Mapping[str, Effective] = field(default_factory=dict, repr=False)
    check: Callable[[Mapping[str, int]], None] = field(default=lambda sizes: None, repr=False)
    takes_unit: bool = False
    extra_order: int = 0

    @property
    def sizes(self) -> tuple[str, ...]:
        return tuple(self.defaults)


def _pair(names: tuple[str, ...], f: Callable[..., tuple[np.ndarray, ...]]):
    """Adapt a kernel's tuple of block gradients to a {block: gradient} dict (unrolled: this is on the per-gradient
    hot path, where a generator costs a measurable fraction of a microsecond)."""
    if len(names) == 2:
        n0, n1 = names

        def vjp2(arch, b: Blocks, dM: np.ndarray) -> Blocks:
            g0, g1 = f(b[n0], b[n1], dM)
            return {n0: g0, n1: g1}
        return vjp2
    n0, n1, n2 = names

    def vjp3(arch, b: Blocks, dM: np.ndarray) -> Blocks:
        g0, g1, g2 = f(b[n0], b[n1], b[n2], dM)
        return {n0: g0, n1: g1, n2: g2}
    return vjp3


def _through_matrix(arch, b: Blocks, xs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, Pullback]:
    """Models linear in x (or bilinear in (β, x_q)) pull dF back through their effective matrix: O(P d²), not
    O(P n)."""
    fn, vjp = arch.family.effective[arch.population_kind]
    M = fn(arch, b)
    if arch.family.input_kind == "icl":
        return (attention.bilinear_forward(M, xs[0], xs[1]),
                lambda dF: vjp(arch, b, attention.bilinear_cotangent(xs[0], xs[1], dF)))
    return linear.apply_matrix(M, xs[0]), lambda dF: vjp(arch, b, linear.matrix_cotangent(xs[0], dF))


# ------------------------------------------------------------------------------------------- fully connected
def _fc_forward(arch, b: Blocks, xs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, Pullback]:
    if arch.population_kind == "linear":
        return _through_matrix(arch, b, xs)
    F, pull = pointwise.fc_forward_pullback(b["V"], b["U"], xs[0], arch.activation, arch.bias)
    return F, lambda dF: dict(zip(("V", "U"), pull(dF), strict=True))


FC = Family(
    "fc", MappingProxyType({"d_in": 2, "d_out": 1, "width": 2}), "vector",
    layout=lambda s, bias: (("V", (s["width"], s["d_out"])), ("U", (s["width"], s["d_in"] + int(bias)))),
    dims=lambda s: (s["d_in"], s["d_out"], s["width"]),
    forward_pullback=_fc_forward,
    effective=MappingProxyType({
        "linear": (lambda a, b: linear.fc_matrix(b["V"], b["U"]), _pair(("V", "U"), linear.fc_matrix_vjp)),
        "quadratic": (lambda a, b: quadratic.quadratic_matrix(b["V"], b["U"]),
                      _pair(("V", "U"), quadratic.quadratic_matrix_vjp)),
    }),
    takes_unit=True,
)


# ------------------------------------------------------------------------------------------------ conv
def _conv_check(s: Mapping[str, int]) -> None:
    if s["kernel"] > s["d_in"]:
        raise InputError(f"kernel: must be <= d_in = {s['d_in']} (got {s['kernel']})")


def _conv_forward(arch, b: Blocks, xs: tuple[np.ndarray, ...]) -> tuple[np.ndarray, Pullback]:
    if arch.population_kind == "linear":
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
        "linear": (lambda a, b: conv.linear_conv_matrix(b["V"], b["U"], a.input_dim),
                   _pair(("V", "U"), conv.linear_conv_matrix_vjp)),
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
        "icl": (lambda a, b: attention.separate_matrix(b["V"], b["K"], b["Q"]),
                _pair(("V", "K", "Q"), attention.separate_matrix_vjp)),
    }),
)
ATTN_M = Family(
    "attn-m", MappingProxyType({"dim": 2, "width": 2}), "icl",
    layout=lambda s, bias: (("V", (s["width"], 1)), ("U", (s["width"], s["dim"], s["dim"]))),
    dims=lambda s: (s["dim"], 1, s["width"]),
    forward_pullback=_through_matrix,
    effective=MappingProxyType({
        "icl": (lambda a, b: attention.merged_matrix(b["V"], b["U"]), _pair(("V", "U"), attention.merged_matrix_vjp)),
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
        "linear": (lambda a, b: deep.deep_matrix(b["V"], b["U"], b["W1"]),
                   _pair(("V", "U", "W1"), deep.deep_matrix_vjp)),
    }),
    extra_order=1,
)
DIAGONAL = Family(
    "diagonal-linear", MappingProxyType({"dim": 2}), "vector",
    layout=lambda s, bias: (("V", (s["dim"], 1)), ("U", (s["dim"], 1))),
    dims=lambda s: (s["dim"], 1, s["dim"]),
    forward_pullback=_through_matrix,
    effective=MappingProxyType({
        "linear": (lambda a, b: deep.diagonal_matrix(b["V"], b["U"]), _pair(("V", "U"), deep.diagonal_matrix_vjp)),
    }),
)

FAMILIES: Mapping[str, Family] = MappingProxyType({f.name: f for f in (FC, CONV, ATTN_S, ATTN_M, DEEP_LINEAR,
                                                                        DIAGONAL)})


def n_params(layout: Layout) -> int:
    return sum(math.prod(shape) for _, shape in layout)
