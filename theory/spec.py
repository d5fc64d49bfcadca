"""One symbolic description of a layer f(x) = g_out(Σ_i φ(g_in(x); u_i) v_i) (paper Eq. 1, spec §1.1).

A :class:`NetworkSpec` is built once (see :mod:`theory.architectures`) and then handed to the derivation
functions of :mod:`theory.derive` (loss, gradient flow, Hessian), in the way ``sympy.physics.mechanics``
describes a system once and derives its equations from the description.

The parameter symbols follow the layout of ``docs/conventions.md``: named blocks in a fixed order, each
flattened row-major, the first axis indexing the units.  ``spec.params`` is θ in that order, so a NumPy vector in
the numeric layout can be substituted position by position.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product
from types import MappingProxyType
from typing import Any

import sympy as sp

from .phi import Phi


@dataclass(frozen=True)
class Block:
    """A named block of parameters: ``symbols`` in row-major order for ``shape``."""

    name: str
    shape: tuple[int, ...]
    symbols: tuple[sp.Symbol, ...]

    def entry(self, *index: int) -> sp.Symbol:
        flat = 0
        for size, i in zip(self.shape, index, strict=True):
            flat = flat * size + i
        return self.symbols[flat]

    def matrix(self) -> sp.Matrix:
        """The block as a 2-D matrix (3-D blocks are flattened after the first axis)."""
        rows = self.shape[0]
        cols = len(self.symbols) // rows
        return sp.Matrix(rows, cols, list(self.symbols))


def make_block(name: str, shape: Sequence[int], base: str, latex_base: str | None = None) -> Block:
    """Create real symbols ``base_i_j…`` (1-based) for a block of the given shape.

    Names are valid Python identifiers so that ``lambdify`` need not rename them (renaming rebuilds every
    expression and dominated compile time); :func:`latex_names` maps them to ``latex_base_{i,j}`` for printing.
    """
    shape = tuple(int(s) for s in shape)
    symbols = []
    for index in product(*(range(s) for s in shape)):
        # Singleton axes after the unit axis (e.g. v_i of shape (H, 1)) are dropped from the printed index.
        shown = [i + 1 for axis, (i, s) in enumerate(zip(index, shape, strict=True)) if s > 1 or axis == 0]
        symbol = sp.Symbol(base + "_" + "_".join(str(i) for i in shown), real=True)
        _LATEX[symbol] = (latex_base or base) + "_{" + ",".join(str(i) for i in shown) + "}"
        symbols.append(symbol)
    return Block(name, shape, tuple(symbols))


_LATEX: dict[sp.Symbol, str] = {}


def latex_names() -> dict[sp.Symbol, str]:
    """LaTeX names of parameter symbols (``v_1_2`` → ``v_{1,2}``), for ``sympy.latex(..., symbol_names=...)``."""
    return dict(_LATEX)


@dataclass(frozen=True)
class Unit:
    """The parameters θ_i = (v_i, u_i) of one unit (spec §0.2)."""

    v: tuple[sp.Symbol, ...]
    u: tuple[sp.Symbol, ...]


@dataclass(frozen=True, eq=False)
class NetworkSpec:
    """A two-layer (or deeper, via g_in) network of the form of Eq. 1, with symbolic parameters.

    ``output(inputs)`` returns f as a column matrix of length ``output_dim``.  ``inputs`` is a column matrix x
    (``input_kind == "vector"``) or a pair (β, x_q) of column matrices (``input_kind == "icl"``, attention).
    ``family`` is the :class:`~theory.architectures.Family` it was built from, ``population`` its population form
    (docs/theory.md §1.3: "linear", "quadratic", "icl" or None), ``unit`` the analysed user unit
    (:class:`~theory.activation.UnitFunction`) when it was built from an expression.
    """

    name: str
    sizes: MappingProxyType
    phi: Phi
    blocks: tuple[Block, ...]
    units: tuple[Unit, ...]
    input_kind: str
    input_dim: int
    output_dim: int
    formula: str
    g_in: str
    _output: Callable[[Any], sp.Matrix] = field(repr=False)
    family: Any = field(default=None, repr=False)
    population: str | None = None
    bias: bool = False
    unit: Any = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """The name a user reads: the registration, or ``fc[sigma=sin(z)]`` for a user's unit."""
        if self.unit is None:
            return self.name
        return f"{self.name}[sigma={self.unit.text}{', bias' if self.bias else ''}]"

    def resized(self, **sizes: int) -> NetworkSpec:
        """The same architecture (registration, or family and unit) with some sizes changed."""
        from .architectures import build  # the builders import this module

        merged = {**self.sizes, **sizes}
        if self.unit is None:
            return build(self.name, **merged)
        return build(self.name, activation=self.unit.expr, bias=self.bias, **merged)

    @property
    def total_degree(self) -> int | None:
        """Lowest total degree of f in θ at θ = 0 (v · φ ~ u^q, times the chain's extra layers), or None when φ's
        order is not known: the gradient at scale ε is O(ε^(total_degree − 1)) (docs/theory.md §5)."""
        if self.phi.order is None:
            return None
        return 1 + self.phi.order + (self.family.extra_order if self.family is not None else 0)

    @property
    def params(self) -> tuple[sp.Symbol, ...]:
        """θ in the documented layout order."""
        return tuple(s for b in self.blocks for s in b.symbols)

    @property
    def n_params(self) -> int:
        return sum(len(b.symbols) for b in self.blocks)

    @property
    def width(self) -> int:
        return len(self.units)

    def block(self, name: str) -> Block:
        for b in self.blocks:
            if b.name == name:
                return b
        raise KeyError(name)

    def output(self, inputs: Any) -> sp.Matrix:
        """f(inputs) as a ``(output_dim, 1)`` matrix, polynomial in θ except for ReLU/tanh φ."""
        return self._output(inputs)

    def unit_groups(self, i: int) -> list[tuple[sp.Symbol, ...]]:
        """u_i split by the blocks the family composes it of (``family.u_groups``): one group for most families, the
        key and the query of a separate-attention head (f is 1-homogeneous in each; docs/theory.md §4.5)."""
        names = self.family.u_groups if self.family is not None else ()
        groups = []
        for name in names:
            block = self.block(name)
            n = len(block.symbols) // self.width
            groups.append(block.symbols[i * n:(i + 1) * n])
        return groups if len(groups) > 1 else [self.units[i].u]

    def chain_matrices(self) -> list[sp.Matrix]:
        """The layers M_1, …, M_L of a deep linear chain f = M_L ⋯ M_1 x (``family.chain``), input side first.  The
        read-out block V is stored unit-major (row i = v_i), so its layer is Vᵀ."""
        names = self.family.chain if self.family is not None else ()
        return [self.block(n).matrix().T if n == "V" else self.block(n).matrix() for n in names]

    def unit_slices(self) -> list[tuple[list[int], list[int]]]:
        """Positions in θ of (v_i, u_i) for each unit, for building constructions and invariant sets."""
        pos = {s: k for k, s in enumerate(self.params)}
        return [([pos[s] for s in unit.v], [pos[s] for s in unit.u]) for unit in self.units]


def _column(prefix: str, d: int, tag: str) -> sp.Matrix:
    return sp.Matrix(d, 1, [sp.Symbol(f"{prefix}{tag}_{{{a + 1}}}", real=True) for a in range(d)])


#: What a spec's input is (``NetworkSpec.input_kind``), as the fresh symbols of one input of dimension d with a tag:
#: a vector x, or the in-context pair (β, x_q).
INPUT_KINDS: MappingProxyType[str, Callable[[int, str], Any]] = MappingProxyType({
    "vector": lambda d, tag: _column("x", d, tag),
    "icl": lambda d, tag: (_column("beta", d, tag), _column("xq", d, tag)),
})


def input_symbols(spec: NetworkSpec, tag: str = "") -> Any:
    """Fresh real symbols for one input of ``spec`` (x, or the pair (β, x_q); :data:`INPUT_KINDS`)."""
    return INPUT_KINDS[spec.input_kind](spec.input_dim, tag)
