"""The twelve architectures of the workbench: parameter layout, forward pass and hand-derived gradients.

The layout is the contract of ``docs/conventions.md`` (spec §1.4): θ is the concatenation of named blocks, each
flattened in row-major order; the first axis of every block except ``W1`` indexes the units i = 1..H, so row i of
``V`` is v_i and row i of ``U`` (``K``, ``Q``) belongs to u_i.

Every method is batched: θ has shape (B, n_params), one parameter set per row, and results carry the same leading
axis B. A 1-D θ is rejected (``InputError``) rather than silently promoted, so that shapes never change meaning.
θ is not checked for finiteness: an integrator that diverges gets NaN back, not an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from .errors import InputError
from .models import attention, conv, deep, linear, pointwise, quadratic
from .validation import as_float_array, check_positive_int

__all__ = ["ARCHITECTURE_NAMES", "Architecture", "build_architecture"]

ARCHITECTURE_NAMES: tuple[str, ...] = (
    "linear-fc",
    "linear-conv",
    "relu-fc",
    "relu-conv",
    "quadratic",
    "attn-s",
    "attn-m",
    "tanh-fc",
    "xtanh-fc",
    "cubic",
    "deep-linear",
    "diagonal-linear",
)

# Size names and defaults of docs/conventions.md.
_DEFAULT_SIZES: dict[str, dict[str, int]] = {
    "linear-fc": {"d_in": 2, "d_out": 2, "width": 2},
    "linear-conv": {"d_in": 3, "kernel": 2, "width": 2},
    "relu-fc": {"d_in": 2, "d_out": 1, "width": 2},
    "relu-conv": {"d_in": 3, "kernel": 2, "width": 2},
    "quadratic": {"d_in": 2, "d_out": 1, "width": 2},
    "attn-s": {"dim": 2, "width": 2, "rank": 1},
    "attn-m": {"dim": 2, "width": 2},
    "tanh-fc": {"d_in": 2, "d_out": 1, "width": 2},
    "xtanh-fc": {"d_in": 2, "d_out": 1, "width": 2},
    "cubic": {"d_in": 2, "d_out": 1, "width": 2},
    "deep-linear": {"d_in": 2, "hidden": 2, "width": 2, "d_out": 2},
    "diagonal-linear": {"dim": 2},
}

# φ properties of spec §1.2 / §1.4: (linear_in_u, degree p, homogeneity field F, zero unit, even in u).
_PHI: dict[str, tuple[bool, int | None, str | None, bool, bool]] = {
    "linear-fc": (True, 1, "R", True, False),
    "linear-conv": (True, 1, "R", True, False),
    "relu-fc": (False, 1, "R>=0", True, False),
    "relu-conv": (False, 1, "R>=0", True, False),
    "quadratic": (False, 2, "R", True, True),
    "attn-s": (False, 2, "R", True, True),
    "attn-m": (True, 1, "R", True, False),
    "tanh-fc": (False, None, None, True, False),
    "xtanh-fc": (False, None, None, True, True),
    "cubic": (False, 3, "R", True, False),
    "deep-linear": (True, 1, "R", True, False),
    "diagonal-linear": (True, 1, "R", True, False),
}

# Activation of the pointwise families (name -> (activation, has bias column)).
_POINTWISE: dict[str, tuple[str, bool]] = {
    "relu-fc": ("relu", True),
    "quadratic": ("square", False),
    "tanh-fc": ("tanh", False),
    "xtanh-fc": ("xtanh", False),
    "cubic": ("cube", False),
}

PopulationKind = Literal["linear", "quadratic", "icl"]


def _layout(name: str, s: Mapping[str, int]) -> tuple[tuple[str, tuple[int, ...]], ...]:
    if name in ("linear-fc", "quadratic", "tanh-fc", "xtanh-fc", "cubic"):
        return (("V", (s["width"], s["d_out"])), ("U", (s["width"], s["d_in"])))
    if name == "relu-fc":
        return (("V", (s["width"], s["d_out"])), ("U", (s["width"], s["d_in"] + 1)))
    if name in ("linear-conv", "relu-conv"):
        n_patches = s["d_in"] - s["kernel"] + 1
        return (("V", (s["width"], n_patches)), ("U", (s["width"], s["kernel"])))
    if name == "attn-s":
        shape = (s["width"], s["rank"], s["dim"])
        return (("V", (s["width"], 1)), ("K", shape), ("Q", shape))
    if name == "attn-m":
        return (("V", (s["width"], 1)), ("U", (s["width"], s["dim"], s["dim"])))
    if name == "deep-linear":
        return (
            ("V", (s["width"], s["d_out"])),
            ("U", (s["width"], s["hidden"])),
            ("W1", (s["hidden"], s["d_in"])),
        )
    # diagonal-linear
    return (("V", (s["dim"], 1)), ("U", (s["dim"], 1)))


@dataclass(frozen=True)
class Architecture:
    """One network of spec §1.4 with fixed sizes; build it with :func:`build_architecture`.

    Fields: ``name``; ``sizes`` (every size keyword, defaults filled in); ``blocks`` ((name, shape) in θ order);
    ``n_params``; the φ properties of spec §1.2 — ``linear_in_u``, ``degree`` (homogeneity degree p in u, or None),
    ``homogeneity_field`` ("R", "R>=0" or None), ``zero_unit``, ``even``; ``input_dim`` (d_in, or dim for
    attention: the length of β and of x_q), ``output_dim`` and ``unit_count`` H; ``population_kind``: which
    population task the model has a closed form for ("linear", "quadratic", "icl" or None).
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

    # ----------------------------------------------------------------------------------------- layout
    @property
    def is_attention(self) -> bool:
        """True for attn-s / attn-m, whose input is the pair (β, x_q)."""
        return self.name in ("attn-s", "attn-m")

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
        arr = self._theta(theta)
        out: dict[str, np.ndarray] = {}
        offset = 0
        for block, shape in self.blocks:
            size = math.prod(shape)
            out[block] = arr[:, offset : offset + size].reshape((arr.shape[0], *shape))
            offset += size
        return out

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
    if arch.population_kind == "linear":
        return (arch.output_dim, arch.input_dim)
    return (arch.input_dim, arch.input_dim)


def _effective(arch: Architecture, b: dict[str, np.ndarray]) -> np.ndarray:
    name = arch.name
    if name == "linear-fc":
        return linear.fc_matrix(b["V"], b["U"])
    if name == "linear-conv":
        return conv.linear_conv_matrix(b["V"], b["U"], arch.input_dim)
    if name == "deep-linear":
        return deep.deep_matrix(b["V"], b["U"], b["W1"])
    if name == "diagonal-linear":
        return deep.diagonal_matrix(b["V"], b["U"])
    if name == "quadratic":
        return quadratic.quadratic_matrix(b["V"], b["U"])
    if name == "attn-s":
        return attention.separate_matrix(b["V"], b["K"], b["Q"])
    if name == "attn-m":
        return attention.merged_matrix(b["V"], b["U"])
    raise InputError(f"architecture {name!r} has no population form")


def _effective_vjp(arch: Architecture, b: dict[str, np.ndarray], dM: np.ndarray) -> dict[str, np.ndarray]:
    name = arch.name
    if name == "linear-fc":
        return dict(zip(("V", "U"), linear.fc_matrix_vjp(b["V"], b["U"], dM), strict=True))
    if name == "linear-conv":
        return dict(zip(("V", "U"), conv.linear_conv_matrix_vjp(b["V"], b["U"], dM), strict=True))
    if name == "deep-linear":
        return dict(zip(("V", "U", "W1"), deep.deep_matrix_vjp(b["V"], b["U"], b["W1"], dM), strict=True))
    if name == "diagonal-linear":
        return dict(zip(("V", "U"), deep.diagonal_matrix_vjp(b["V"], b["U"], dM), strict=True))
    if name == "quadratic":
        return dict(zip(("V", "U"), quadratic.quadratic_matrix_vjp(b["V"], b["U"], dM), strict=True))
    if name == "attn-s":
        return dict(zip(("V", "K", "Q"), attention.separate_matrix_vjp(b["V"], b["K"], b["Q"], dM), strict=True))
    if name == "attn-m":
        return dict(zip(("V", "U"), attention.merged_matrix_vjp(b["V"], b["U"], dM), strict=True))
    raise InputError(f"architecture {name!r} has no population form")


def _pack(arch: Architecture, blocks: Mapping[str, np.ndarray], batch: int) -> np.ndarray:
    """Unchecked :meth:`Architecture.pack` for block dicts produced by this module."""
    out = np.empty((batch, arch.n_params))
    offset = 0
    for name, shape in arch.blocks:
        size = math.prod(shape)
        out[:, offset : offset + size] = blocks[name].reshape(batch, size)
        offset += size
    return out


Pullback = Callable[[np.ndarray], dict[str, np.ndarray]]


def _forward_pullback(
    arch: Architecture, b: dict[str, np.ndarray], xs: tuple[np.ndarray, ...]
) -> tuple[np.ndarray, Pullback]:
    """F (B, P, d_out) and dF ↦ {block: ∂/∂block Σ dF·F}, sharing the forward intermediates."""
    name = arch.name
    # Models linear in x or bilinear in (β, x_q) pull dF back through their effective matrix: O(P d²), not O(P n).
    if arch.is_attention:
        M = _effective(arch, b)

        def pull_attention(dF: np.ndarray) -> dict[str, np.ndarray]:
            return _effective_vjp(arch, b, attention.bilinear_cotangent(xs[0], xs[1], dF))

        return attention.bilinear_forward(M, xs[0], xs[1]), pull_attention
    if arch.population_kind == "linear":
        W = _effective(arch, b)

        def pull_linear(dF: np.ndarray) -> dict[str, np.ndarray]:
            return _effective_vjp(arch, b, linear.matrix_cotangent(xs[0], dF))

        return linear.apply_matrix(W, xs[0]), pull_linear
    if name == "relu-conv":
        F, pull = conv.conv_forward_pullback(b["V"], b["U"], xs[0], "relu")
    else:
        act, bias = _POINTWISE[name]
        F, pull = pointwise.fc_forward_pullback(b["V"], b["U"], xs[0], act, bias)

    def pull_units(dF: np.ndarray) -> dict[str, np.ndarray]:
        return dict(zip(("V", "U"), pull(dF), strict=True))

    return F, pull_units


def _forward(arch: Architecture, b: dict[str, np.ndarray], xs: tuple[np.ndarray, ...]) -> np.ndarray:
    return _forward_pullback(arch, b, xs)[0]


def _vjp(
    arch: Architecture, b: dict[str, np.ndarray], xs: tuple[np.ndarray, ...], dF: np.ndarray
) -> dict[str, np.ndarray]:
    return _forward_pullback(arch, b, xs)[1](dF)


# --------------------------------------------------------------------------------------------- builder


def build_architecture(name: str, **sizes: int | None) -> Architecture:
    """Build one of :data:`ARCHITECTURE_NAMES` with the sizes of docs/conventions.md (spec §1.4).

    Size keywords (defaults in brackets): linear-fc d_in, d_out, width [2, 2, 2]; linear-conv / relu-conv
    d_in, kernel, width [3, 2, 2] (kernel <= d_in); relu-fc, quadratic, tanh-fc, xtanh-fc, cubic d_in, d_out, width
    [2, 1, 2]; attn-s dim, width, rank [2, 2, 1]; attn-m dim, width [2, 2]; deep-linear d_in, hidden, width, d_out
    [2, 2, 2, 2]; diagonal-linear dim [2]. A keyword passed as None takes its default. Unknown names or keywords,
    sizes that are not integers >= 1, and kernel > d_in raise InputError.
    """
    if name not in _DEFAULT_SIZES:
        raise InputError(f"architecture name: unknown {name!r} (known: {', '.join(ARCHITECTURE_NAMES)})")
    defaults = _DEFAULT_SIZES[name]
    unknown = sorted(set(sizes) - set(defaults))
    if unknown:
        raise InputError(
            f"sizes: {name} does not take {', '.join(unknown)} (its sizes are {', '.join(defaults)})"
        )
    s = {key: check_positive_int(key, sizes[key]) if sizes.get(key) is not None else val
         for key, val in defaults.items()}
    if "kernel" in s and s["kernel"] > s["d_in"]:
        raise InputError(f"kernel: must be <= d_in = {s['d_in']} (got {s['kernel']})")
    blocks = _layout(name, s)
    linear_in_u, degree, hom_field, zero_unit, even = _PHI[name]
    if name in ("attn-s", "attn-m"):
        input_dim, output_dim, population = s["dim"], 1, "icl"
    elif name == "diagonal-linear":
        input_dim, output_dim, population = s["dim"], 1, "linear"
    elif name in ("linear-conv", "relu-conv"):
        input_dim, output_dim = s["d_in"], 1
        population = "linear" if name == "linear-conv" else None
    else:
        input_dim, output_dim = s["d_in"], s["d_out"]
        if name in ("linear-fc", "deep-linear"):
            population = "linear"
        elif name == "quadratic" and output_dim == 1:
            population = "quadratic"
        else:
            population = None
    return Architecture(
        name=name,
        sizes=s,
        blocks=blocks,
        n_params=sum(math.prod(shape) for _, shape in blocks),
        linear_in_u=linear_in_u,
        degree=degree,
        homogeneity_field=hom_field,
        zero_unit=zero_unit,
        even=even,
        input_dim=input_dim,
        output_dim=output_dim,
        unit_count=s["dim"] if name == "diagonal-linear" else s["width"],
        population_kind=population,  # type: ignore[arg-type]
    )

