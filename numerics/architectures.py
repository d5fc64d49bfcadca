"""The architectures of the workbench: each one a registration of a family with a unit (docs/conventions.md).

The layout is the contract of ``docs/conventions.md`` (spec §1.4): θ is the concatenation of named blocks, each
flattened in row-major order; the first axis of every block except ``W1`` indexes the units i = 1..H, so row i of
``V`` is v_i and row i of ``U`` (``K``, ``Q``) belongs to u_i.

:data:`REGISTRY` holds the built-in architectures, each a :class:`Registration` of a :class:`~numerics.families.Family`
with its unit, its declared φ properties (docs/theory.md §1.2), its complexity measure (§1.4) and its population form
(§1.3).  The families that take a unit (``fc``, ``conv``) also build networks of a user's unit, given as an
expression in z (``build_architecture("fc", activation="sin(z)")``): σ, σ′, σ″ are compiled from it and φ's
properties are *measured* numerically (:func:`numerics.activation.measure_unit`).  Everything that used to be decided
by comparing architecture names is read off the :class:`Architecture` built here.

Every method is batched: θ has shape (B, n_params), one parameter set per row, and results carry the same leading
axis B. A 1-D θ is rejected (``InputError``) rather than silently promoted, so that shapes never change meaning.
θ is not checked for finiteness: an integrator that diverges gets NaN back, not an exception.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, Literal

import numpy as np

import guards

from . import activation as units
from .errors import InputError
from .families import ATTN_M, ATTN_S, CONV, DEEP_LINEAR, DIAGONAL, FAMILIES, FC, INPUT_KINDS, Family, n_params
from .populations import POPULATIONS, Population
from .validation import as_float_array, check_positive_int

__all__ = ["ARCHITECTURE_NAMES", "Architecture", "REGISTRY", "Registration", "UNIT_FAMILIES", "UnitProperties",
           "build_architecture"]

PopulationKind = Literal["linear", "quadratic", "icl"]  # the keys of numerics.populations.POPULATIONS


@dataclass(frozen=True)
class UnitProperties:
    """φ's properties of docs/theory.md §1.2: linear in u, homogeneity degree p over ``field`` ("R" or "R>=0"),
    zero unit, even in u, the lowest order q of φ in u at the zero unit and its coefficient a (φ ≈ a (u·x)^q)."""

    linear_in_u: bool
    degree: int | None
    field: str | None
    zero_unit: bool
    even: bool
    order: int
    coefficient: float = 1.0


@dataclass(frozen=True)
class Registration:
    """A built-in architecture: a family, its unit (families that take one), bias, size defaults that differ from the
    family's, the declared φ properties, the complexity measure (a key of :data:`numerics.complexity.MEASURES`) and
    the population form (docs/theory.md §1.3), if any."""

    name: str
    family: Family
    properties: UnitProperties
    measure: str
    population: PopulationKind | None = None
    unit: units.Activation | None = None
    bias: bool = False
    defaults: Mapping[str, int] = field(default_factory=dict)

    @property
    def sizes(self) -> dict[str, int]:
        return {**self.family.defaults, **self.defaults}


def _props(linear=False, degree=None, field_=None, zero=True, even=False, order=1, a=1.0) -> UnitProperties:
    return UnitProperties(linear, degree, field_, zero, even, order, a)


_LINEAR = _props(linear=True, degree=1, field_="R")
REGISTRY: Mapping[str, Registration] = MappingProxyType({r.name: r for r in (
    Registration("linear-fc", FC, _LINEAR, "rank", "linear", units.IDENTITY, defaults={"d_out": 2}),
    Registration("linear-conv", CONV, _LINEAR, "kernel_rank", "linear", units.IDENTITY),
    Registration("relu-fc", FC, _props(degree=1, field_="R>=0"), "rays", unit=units.RELU, bias=True),
    Registration("relu-conv", CONV, _props(degree=1, field_="R>=0"), "rays", unit=units.RELU),
    Registration("quadratic", FC, _props(degree=2, field_="R", even=True, order=2), "active_units", "quadratic",
                 units.SQUARE),
    Registration("attn-s", ATTN_S, _props(degree=2, field_="R", even=True, order=2), "active_units", "icl"),
    Registration("attn-m", ATTN_M, _LINEAR, "rank", "icl"),
    Registration("tanh-fc", FC, _props(), "rank", unit=units.TANH),
    Registration("xtanh-fc", FC, _props(even=True, order=2), "active_units", unit=units.XTANH),
    Registration("cubic", FC, _props(degree=3, field_="R", order=3), "active_units", unit=units.CUBE),
    Registration("deep-linear", DEEP_LINEAR, _LINEAR, "rank", "linear"),
    Registration("diagonal-linear", DIAGONAL, _LINEAR, "support", "linear"),
)})
ARCHITECTURE_NAMES: tuple[str, ...] = tuple(REGISTRY)
# Families that build a network of any unit σ given as an expression (``activation=``).
UNIT_FAMILIES: tuple[str, ...] = tuple(name for name, fam in FAMILIES.items() if fam.takes_unit)
# Complexity measure of a user unit by its order q (docs/theory.md §5: q = 1 separates directions, q >= 2 units).
_USER_MEASURE = {("fc", True): "rank", ("conv", True): "kernel_rank"}


@dataclass(frozen=True)
class Architecture:
    """One network with fixed sizes; build it with :func:`build_architecture`.

    Fields: ``name`` (the registration, or the family for a user unit); ``family``; ``activation`` (the unit σ of
    the families that take one) and ``bias``; ``sizes`` (every size keyword, defaults filled in); ``blocks``
    ((name, shape) in θ order); ``n_params``; the φ properties of spec §1.2 — ``linear_in_u``, ``degree``
    (homogeneity degree p in u, or None), ``homogeneity_field`` ("R", "R>=0" or None), ``zero_unit``, ``even``,
    ``order`` (q, the lowest order of φ in u at the zero unit) and ``coefficient`` (a); ``input_dim`` (d_in, or dim
    for attention: the length of β and of x_q), ``output_dim`` and ``unit_count`` H; ``population_kind``: which
    population task the model has a closed form for ("linear", "quadratic", "icl" or None); ``measure``: its
    complexity measure (spec §1.4).
    """

    name: str
    sizes: dict[str, int] = field(hash=False)
    blocks: tuple[tuple[str, tuple[int, ...]], ...]
    n_params: int
    linear_in_u: bool
    degree: int | None
    homogeneity_field: str | None
    zero_unit: bool
    even: bool
    input_dim: int
    output_dim: int
    unit_count: int
    population_kind: PopulationKind | None
    family: Family = field(default=FC, compare=False, hash=False, repr=False)
    activation: units.Activation | None = field(default=None, compare=False, hash=False, repr=False)
    bias: bool = False
    order: int = 1
    coefficient: float = 1.0
    measure: str = "rank"
    expression: str | None = None

    @property
    def label(self) -> str:
        """The name a user reads: the registration, or ``fc[sigma=sin(z)]`` for a user unit."""
        if self.expression is None:
            return self.name
        return f"{self.name}[sigma={self.expression}{', bias' if self.bias else ''}]"

    @property
    def total_degree(self) -> int:
        """Lowest total degree of f in θ at θ = 0 (v · φ ~ u^q, times W1 for the depth-3 chain): the gradient at
        scale ε is O(ε^(total_degree − 1)) (docs/theory.md §5)."""
        return 1 + self.order + self.family.extra_order

    def resized(self, **sizes: int) -> Architecture:
        """The same architecture (registration, or family and unit) with some sizes changed."""
        if self.expression is None:
            return build_architecture(self.name, **{**self.sizes, **sizes})
        return build_architecture(self.name, activation=self.activation, bias=self.bias, **{**self.sizes, **sizes})

    @property
    def is_attention(self) -> bool:
        """True for the in-context families, whose input is the pair (β, x_q)."""
        return INPUT_KINDS[self.family.input_kind].in_context

    @property
    def population(self) -> Population | None:
        """The registered population form (:mod:`numerics.populations`), or None."""
        return None if self.population_kind is None else POPULATIONS[self.population_kind]

    @property
    def population_task(self) -> type | None:
        """The population task type whose loss this model has in closed form, or None."""
        return None if self.population is None else self.population.task

    @property
    def linear_in_x(self) -> bool:
        """f = M(θ) x (docs/theory.md §1.3): the forward pass goes through M and a dataset enters only through its
        second moments."""
        return self.population is not None and self.population.linear_in_x

    # ----------------------------------------------------------------------------------------- layout
    @cached_property
    def block_spans(self) -> tuple[tuple[str, slice, tuple[int, ...]], ...]:
        """(name, columns of θ, shape) of each block in θ order: block ``name`` of θ (B, n_params) is
        ``theta[:, columns].reshape((B, *shape))`` (computed once per architecture)."""
        spans, offset = [], 0
        for block, shape in self.blocks:
            size = math.prod(shape)
            spans.append((block, slice(offset, offset + size), shape))
            offset += size
        return tuple(spans)

    @cached_property
    def unit_blocks(self) -> tuple[str, ...]:
        """The blocks whose first axis indexes the units, in θ order: every block but the family's
        ``shared_blocks`` (the chain's W1); ``V`` (the v_i) first."""
        return tuple(name for name, _ in self.blocks if name not in self.family.shared_blocks)

    @cached_property
    def u_blocks(self) -> tuple[str, ...]:
        """The unit blocks that hold the u_i (``U``, or ``K`` and ``Q``): :attr:`unit_blocks` without ``V``."""
        return tuple(name for name in self.unit_blocks if name != "V")

    def _theta(self, theta: object, name: str = "theta") -> np.ndarray:
        try:
            arr = np.asarray(theta, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise InputError(f"{name}: must be an array of real numbers ({exc})") from None
        if arr.ndim != 2 or arr.shape[1] != self.n_params:
            raise InputError(
                f"{name}: must have shape (B, {self.n_params}) for {self.name} (got {arr.shape}); "
                "use theta[None, :] for a single parameter vector"
            )
        return arr

    def unpack(self, theta: np.ndarray) -> dict[str, np.ndarray]:
        """Named blocks of θ, each of shape (B, *block_shape) (views of θ when θ is C-contiguous float64)."""
        return _unpack(self, self._theta(theta))

    def pack(self, blocks: Mapping[str, np.ndarray]) -> np.ndarray:
        """Inverse of :meth:`unpack`: concatenate the blocks (each (B, *shape)) into θ of shape (B, n_params)."""
        names = [b for b, _ in self.blocks]
        if set(blocks) != set(names):
            raise InputError(f"blocks: {self.name} needs exactly the blocks {names} (got {sorted(blocks)})")
        parts = []
        batch = None
        for block, shape in self.blocks:
            arr = np.asarray(blocks[block], dtype=np.float64)
            if arr.shape[1:] != shape or arr.ndim != len(shape) + 1:
                raise InputError(f"blocks[{block!r}]: must have shape (B, {', '.join(map(str, shape))}) "
                                 f"(got {arr.shape})")
            if batch is not None and arr.shape[0] != batch:
                raise InputError(f"blocks[{block!r}]: batch size {arr.shape[0]} differs from {batch}")
            batch = arr.shape[0]
            parts.append(arr.reshape(batch, -1))
        return np.concatenate(parts, axis=1)

    # ----------------------------------------------------------------------------------------- inputs
    def _inputs(self, inputs: Any) -> tuple[np.ndarray, ...]:
        if self.is_attention:
            if hasattr(inputs, "beta") and hasattr(inputs, "x_query"):
                pair = (inputs.beta, inputs.x_query)
            elif isinstance(inputs, tuple | list) and len(inputs) == 2:
                pair = tuple(inputs)
            else:
                raise InputError(f"inputs: {self.name} takes the pair (beta, x_query), each of shape (P, dim)")
            d = self.input_dim
            beta = as_float_array("inputs beta", pair[0], shape=(None, d))
            xq = as_float_array("inputs x_query", pair[1], shape=(beta.shape[0], d))
            return beta, xq
        return (as_float_array("inputs X", inputs, shape=(None, self.input_dim)),)

    # ----------------------------------------------------------------------------------------- model
    def forward(self, theta: np.ndarray, inputs: Any) -> np.ndarray:
        """Network output f(x_μ; θ_b) of spec §1.4 for each parameter set b: shape (B, P, d_out).

        ``inputs`` is X (P, d_in), or for attention the pair (β (P, dim), x_q (P, dim)) (or an ICLDataset).
        """
        return _forward(self, self.unpack(theta), self._inputs(inputs))

    def vjp(self, theta: np.ndarray, inputs: Any, d_out_array: np.ndarray) -> np.ndarray:
        """∇_θ Σ_{b,μ,o} dF[b,μ,o] f_o(x_μ; θ_b), hand-derived (relu' = 1[z > 0]): shape (B, n_params)."""
        arr = self._theta(theta)
        xs = self._inputs(inputs)
        dF = as_float_array("d_out_array", d_out_array, shape=(arr.shape[0], xs[0].shape[0], self.output_dim))
        return _pack(self, _vjp(self, self.unpack(arr), xs, dF), arr.shape[0])

    def _require_population(self) -> None:
        if self.population_kind is None:
            raise InputError(
                f"architecture {self.name!r} (sizes {self.sizes}) has no population form for task "
                "linear/quadratic/in-context regression; use a Dataset task"
            )

    def effective_matrix(self, theta: np.ndarray) -> np.ndarray:
        """Effective matrix of the population form (spec §1.3), shape (B, r, c).

        linear-in-x nets (linear-fc, linear-conv, deep-linear, diagonal-linear): W with f = W x (d_out × d_in);
        quadratic (d_out = 1): M = Σ_i v_i u_i u_iᵀ with f = xᵀ M x; attn-s / attn-m: M with f = βᵀ M x_q.
        """
        self._require_population()
        return _effective(self, self.unpack(theta))

    def effective_matrix_vjp(self, theta: np.ndarray, dM: np.ndarray) -> np.ndarray:
        """∇_θ Σ_b ⟨dM_b, M(θ_b)⟩_F, the pull-back of the effective matrix: shape (B, n_params)."""
        self._require_population()
        arr = self._theta(theta)
        shape = _effective_shape(self)
        g = as_float_array("dM", dM, shape=(arr.shape[0], *shape))
        return _pack(self, _effective_vjp(self, self.unpack(arr), g), arr.shape[0])


# --------------------------------------------------------------------------------------------- dispatch
# Internal, unchecked entry points used by numerics.objective on already-validated arrays.


def _effective_shape(arch: Architecture) -> tuple[int, int]:
    return arch.population.matrix_shape(arch.input_dim, arch.output_dim)


def _effective(arch: Architecture, b: dict[str, np.ndarray]) -> np.ndarray:
    return arch.family.effective[arch.population_kind].matrix_of(b)


def _effective_vjp(arch: Architecture, b: dict[str, np.ndarray], dM: np.ndarray) -> dict[str, np.ndarray]:
    return arch.family.effective[arch.population_kind].vjp_of(b, dM)


def _unpack(arch: Architecture, theta: np.ndarray) -> dict[str, np.ndarray]:
    """Unchecked :meth:`Architecture.unpack` of a float64 (B, n_params) array (views when θ is C-contiguous)."""
    m = theta.shape[0]
    return {name: theta[:, cols].reshape((m, *shape)) for name, cols, shape in arch.block_spans}


def _pack(arch: Architecture, blocks: Mapping[str, np.ndarray], batch: int) -> np.ndarray:
    """Unchecked :meth:`Architecture.pack` for block dicts produced by this module: one (B, n_params) array,
    filled by slice assignment."""
    out = np.empty((batch, arch.n_params))
    for name, cols, _ in arch.block_spans:
        out[:, cols] = blocks[name].reshape(batch, cols.stop - cols.start)
    return out


def _forward_pullback(arch: Architecture, b: dict[str, np.ndarray], xs: tuple[np.ndarray, ...]):
    """F (B, P, d_out) and dF ↦ {block: ∂/∂block Σ dF·F}, sharing the forward intermediates."""
    return arch.family.forward_pullback(arch, b, xs)


def _forward(arch: Architecture, b: dict[str, np.ndarray], xs: tuple[np.ndarray, ...]) -> np.ndarray:
    return _forward_pullback(arch, b, xs)[0]


def _vjp(
    arch: Architecture, b: dict[str, np.ndarray], xs: tuple[np.ndarray, ...], dF: np.ndarray
) -> dict[str, np.ndarray]:
    return _forward_pullback(arch, b, xs)[1](dF)


# --------------------------------------------------------------------------------------------- builder


def _user_unit(family: Family, activation: Any, bias: bool, user: Mapping[str, Any]) -> tuple[
        units.Activation, UnitProperties, str]:
    try:
        act = activation if isinstance(activation, units.Activation) else units.compile_activation(
            activation, argument="activation", **{k: v for k, v in user.items() if v is not None})
    except guards.InputError as exc:  # the shared parser's refusal, in this package's error class
        if isinstance(exc, InputError):
            raise
        raise InputError(str(exc), argument=exc.argument, value=exc.value, rule=exc.rule) from None
    m = units.measure_unit(act)
    props = UnitProperties(linear_in_u=m.degree == 1, degree=m.degree, field="R" if m.degree else None,
                           zero_unit=m.value_at_zero == 0.0, even=m.parity == "even", order=m.order,
                           coefficient=m.coefficient)
    if bias and not family.takes_unit:
        raise InputError(f"bias: the {family.name} family has no bias")
    measure = _USER_MEASURE.get((family.name, m.order == 1), "active_units")
    return act, props, measure


def build_architecture(name: str, *, activation: Any = None, bias: bool | None = None, sigma: Any = None,
                       prime: Any = None, second: Any = None, **sizes: int | None) -> Architecture:
    """Build a registered architecture (:data:`ARCHITECTURE_NAMES`), or a family of :data:`UNIT_FAMILIES` with a
    user's unit, with the sizes of docs/conventions.md (spec §1.4).

    Size keywords (defaults in brackets): linear-fc d_in, d_out, width [2, 2, 2]; linear-conv / relu-conv / conv
    d_in, kernel, width [3, 2, 2] (kernel <= d_in); relu-fc, quadratic, tanh-fc, xtanh-fc, cubic, fc d_in, d_out,
    width [2, 1, 2]; attn-s dim, width, rank [2, 2, 1]; attn-m dim, width [2, 2]; deep-linear d_in, hidden, width,
    d_out [2, 2, 2, 2]; diagonal-linear dim [2]. A keyword passed as None takes its default.

    ``activation`` (``fc`` and ``conv`` only): σ(z) as a SymPy-syntax string, a SymPy expression or an
    :class:`~numerics.activation.Activation`; ``bias`` adds a bias to z (``fc``); ``sigma``, ``prime``, ``second``:
    the user's own NumPy σ, σ′(z), σ″(z), checked against the expression.  Unknown names or keywords, sizes that are
    not integers >= 1, kernel > d_in and a bad expression raise InputError.

    >>> build_architecture("fc", activation="sin(z)", d_in=3).label
    'fc[sigma=sin(z)]'
    """
    registration = REGISTRY.get(name)
    family = FAMILIES.get(name) if registration is None else registration.family
    if family is None or (registration is None and not family.takes_unit):
        known = ", ".join((*ARCHITECTURE_NAMES, *UNIT_FAMILIES))
        raise InputError(f"architecture name: unknown {name!r} (known: {known})")
    user = {"sigma": sigma, "prime": prime, "second": second}
    if registration is not None:
        if activation is not None or bias is not None or any(v is not None for v in user.values()):
            which, value = ("activation", activation) if activation is not None else ("bias", bias)
            raise guards.invalid(which, value, f"{name} has its own unit; a unit of your own goes with "
                                 f"the families {', '.join(UNIT_FAMILIES)} (e.g. fc --activation 'tanh(z)')",
                                 cls=InputError)
        defaults, act, use_bias = registration.sizes, registration.unit, registration.bias
        props, measure, population = registration.properties, registration.measure, registration.population
        expression = None
    else:
        if activation is None:
            raise guards.invalid("activation", None, f"the {name} family needs a unit, an expression in z such as "
                                 "'tanh(z)'", cls=InputError)
        use_bias = bool(bias)
        if use_bias and not family.takes_bias:
            takers = [n for n, f in FAMILIES.items() if f.takes_bias]
            raise guards.invalid("bias", True, f"only the {' and '.join(takers)} family takes a bias (not {name})",
                                 cls=InputError)
        act, props, measure = _user_unit(family, activation, use_bias, user)
        defaults, population, expression = dict(family.defaults), None, act.expression or act.name
    unknown = sorted(set(sizes) - set(defaults))
    if unknown:
        raise InputError(
            f"sizes: {name} does not take {', '.join(unknown)} (its sizes are {', '.join(defaults)})"
        )
    s = {key: check_positive_int(key, sizes[key]) if sizes.get(key) is not None else val
         for key, val in defaults.items()}
    family.check(s)
    blocks = family.layout(s, use_bias)
    input_dim, output_dim, unit_count = family.dims(s)
    if population is not None and POPULATIONS[population].scalar_output and output_dim != 1:
        population = None
    return Architecture(
        name=name, sizes=s, blocks=blocks, n_params=n_params(blocks), linear_in_u=props.linear_in_u,
        degree=props.degree, homogeneity_field=props.field, zero_unit=props.zero_unit, even=props.even,
        input_dim=input_dim, output_dim=output_dim, unit_count=unit_count, population_kind=population,
        family=family, activation=act, bias=use_bias, order=props.order, coefficient=props.coefficient,
        measure=measure, expression=expression,
    )
