"""Builders for the model catalogue of spec §1.4, as :class:`~theory.spec.NetworkSpec` objects.

Every builder takes its sizes as keywords (the same builder serves width 1 and width 50) and returns a spec whose
parameter layout is the one of ``docs/conventions.md``.  :func:`build` dispatches on the CLI name.

>>> spec = build("linear-fc", d_in=2, d_out=2, width=1)
>>> spec.params
(v_1_1, v_1_2, u_1_1, u_1_2)
"""

from __future__ import annotations

from collections.abc import Callable
from types import MappingProxyType

import sympy as sp

from .errors import InputError
from .functions import Relu
from .phi import Phi
from .spec import NetworkSpec, Unit, make_block

LINEAR = Phi("linear", r"\phi(z; u) = u^\top z", linear_in_u=True, degree=1, field="R", zero_unit=True)
RELU = Phi("relu", r"\phi(z; u) = \mathrm{relu}(w^\top z + b),\ u = (w, b)", degree=1, field="R>=0",
           zero_unit=True)
QUADRATIC = Phi("quadratic", r"\phi(z; u) = (u^\top z)^2", degree=2, field="R", zero_unit=True, even=True)
CUBIC = Phi("cubic", r"\phi(z; u) = (u^\top z)^3", degree=3, field="R", zero_unit=True)
TANH = Phi("tanh", r"\phi(z; u) = \tanh(u^\top z)", zero_unit=True)
XTANH = Phi("xtanh", r"\phi(z; u) = (u^\top z)\tanh(u^\top z)", zero_unit=True, even=True)
ATTN_S = Phi("attention-separate", r"\phi(\beta, x_q; K, Q) = \sum_r (\beta^\top k_r)(q_r^\top x_q)",
             degree=2, field="R", zero_unit=True, even=True)
ATTN_M = Phi("attention-merged", r"\phi(\beta, x_q; U) = \beta^\top U x_q", linear_in_u=True, degree=1,
             field="R", zero_unit=True)
DIAGONAL = Phi("diagonal", r"\phi_i(x; u_i) = u_i x_i", linear_in_u=True, degree=1, field="R", zero_unit=True,
               unit_specific=True)


def _check_sizes(name: str, **sizes: int) -> None:
    for key, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InputError(f"{name}: size {key}={value!r} must be an integer >= 1")


def _spec(name, sizes, phi, blocks, unit_blocks, input_kind, input_dim, output_dim, formula, g_in, output):
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
    return NetworkSpec(name, MappingProxyType(dict(sizes)), phi, tuple(blocks), tuple(units), input_kind,
                       input_dim, output_dim, formula, g_in, output)


def _pointwise_fc(name: str, phi: Phi, sigma: Callable[[sp.Expr], sp.Expr], formula: str, *, d_in: int,
                  d_out: int, width: int, bias: bool = False) -> NetworkSpec:
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

    sizes = {"d_in": d_in, "d_out": d_out, "width": width}
    return _spec(name, sizes, phi, (V, U), (V, (U,)), "vector", d_in, d_out, formula, "identity", output)


def linear_fc(*, d_in: int = 2, d_out: int = 2, width: int = 2) -> NetworkSpec:
    """Linear FC, f(x) = Σ_i v_i u_iᵀx = VᵀU x (spec §1.4 #1): φ linear, Type I."""
    return _pointwise_fc("linear-fc", LINEAR, lambda z: z, r"f(x) = \sum_i v_i u_i^\top x",
                         d_in=d_in, d_out=d_out, width=width)


def relu_fc(*, d_in: int = 2, d_out: int = 1, width: int = 2) -> NetworkSpec:
    """ReLU FC with bias, f(x) = Σ_i v_i relu(w_iᵀx + b_i), u_i = (w_i, b_i) (spec §1.4 #3): Type II."""
    return _pointwise_fc("relu-fc", RELU, Relu, r"f(x) = \sum_i v_i\,\mathrm{relu}(w_i^\top x + b_i)",
                         d_in=d_in, d_out=d_out, width=width, bias=True)


def quadratic(*, d_in: int = 2, d_out: int = 1, width: int = 2) -> NetworkSpec:
    """Quadratic net, f(x) = Σ_i v_i (u_iᵀx)² (spec §1.4 #5, Eq. 13 with Z = xxᵀ): Type III."""
    return _pointwise_fc("quadratic", QUADRATIC, lambda z: z**2, r"f(x) = \sum_i v_i (u_i^\top x)^2",
                         d_in=d_in, d_out=d_out, width=width)


def tanh_fc(*, d_in: int = 2, d_out: int = 1, width: int = 2) -> NetworkSpec:
    """tanh FC, f(x) = Σ_i v_i tanh(u_iᵀx) (spec §1.4 #8): no saddle-to-saddle (Fig. 4D)."""
    return _pointwise_fc("tanh-fc", TANH, sp.tanh, r"f(x) = \sum_i v_i \tanh(u_i^\top x)",
                         d_in=d_in, d_out=d_out, width=width)


def xtanh_fc(*, d_in: int = 2, d_out: int = 1, width: int = 2) -> NetworkSpec:
    """x·tanh x FC, f(x) = Σ_i v_i (u_iᵀx) tanh(u_iᵀx) (spec §1.4 #9): unit separation (Fig. 4F)."""
    return _pointwise_fc("xtanh-fc", XTANH, lambda z: z * sp.tanh(z),
                         r"f(x) = \sum_i v_i (u_i^\top x)\tanh(u_i^\top x)", d_in=d_in, d_out=d_out, width=width)


def cubic(*, d_in: int = 2, d_out: int = 1, width: int = 2) -> NetworkSpec:
    """Cubic net, f(x) = Σ_i v_i (u_iᵀx)³ (spec §1.4 #10): p = 3 (Fig. 4G)."""
    return _pointwise_fc("cubic", CUBIC, lambda z: z**3, r"f(x) = \sum_i v_i (u_i^\top x)^3",
                         d_in=d_in, d_out=d_out, width=width)


def _conv(name: str, phi: Phi, sigma, formula: str, *, d_in: int, kernel: int, width: int) -> NetworkSpec:
    _check_sizes(name, d_in=d_in, kernel=kernel, width=width)
    if kernel > d_in:
        raise InputError(f"{name}: kernel={kernel} must be <= d_in={d_in} (valid convolution)")
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

    sizes = {"d_in": d_in, "kernel": kernel, "width": width}
    return _spec(name, sizes, phi, (V, U), (V, (U,)), "vector", d_in, 1, formula, "patches x[p:p+K]", output)


def linear_conv(*, d_in: int = 3, kernel: int = 2, width: int = 2) -> NetworkSpec:
    """Linear conv, f(x) = Σ_i Σ_p v_{i,p} u_iᵀx_[p] (spec §1.4 #2): Type I, rank Σ_i v_i u_iᵀ."""
    return _conv("linear-conv", LINEAR, lambda z: z, r"f(x) = \sum_i \sum_p v_{i,p}\, u_i^\top x_{[p]}",
                 d_in=d_in, kernel=kernel, width=width)


def relu_conv(*, d_in: int = 3, kernel: int = 2, width: int = 2) -> NetworkSpec:
    """ReLU conv, f(x) = Σ_i Σ_p v_{i,p} relu(u_iᵀx_[p]) (spec §1.4 #4): Type II, kernel rays."""
    return _conv("relu-conv", RELU, Relu,
                 r"f(x) = \sum_i \sum_p v_{i,p}\,\mathrm{relu}(u_i^\top x_{[p]})", d_in=d_in, kernel=kernel,
                 width=width)


def attn_s(*, dim: int = 2, width: int = 2, rank: int = 1) -> NetworkSpec:
    """Linear self-attention with separate rank-R key/query heads (spec §1.4 #6, [ICL] Eq. 12).

    f = Σ_i v_i Σ_r (βᵀk_{i,r})(q_{i,r}ᵀx_q) = βᵀMx_q with M = Σ_i v_i Σ_r k_{i,r} q_{i,r}ᵀ; u_i = [vec K_i; vec Q_i].
    """
    _check_sizes("attn-s", dim=dim, width=width, rank=rank)
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

    sizes = {"dim": dim, "width": width, "rank": rank}
    return _spec("attn-s", sizes, ATTN_S, (V, K, Q), (V, (K, Q)), "icl", dim, 1,
                 r"f = \sum_i v_i \sum_r (\beta^\top k_{i,r})(q_{i,r}^\top x_q)", "(beta, x_q)", output)


def attn_m(*, dim: int = 2, width: int = 2) -> NetworkSpec:
    """Merged key-query linear attention, f = Σ_i v_i βᵀU_i x_q (spec §1.4 #7, [ICL] Eq. 6): linear in u."""
    _check_sizes("attn-m", dim=dim, width=width)
    V = make_block("V", (width, 1), "v")
    U = make_block("U", (width, dim, dim), "u")

    def output(inputs) -> sp.Matrix:
        beta, xq = inputs
        f = sp.Integer(0)
        for i in range(width):
            f += V.entry(i, 0) * sum((beta[a] * U.entry(i, a, b) * xq[b] for a in range(dim) for b in range(dim)),
                                     sp.Integer(0))
        return sp.Matrix([[f]])

    sizes = {"dim": dim, "width": width}
    return _spec("attn-m", sizes, ATTN_M, (V, U), (V, (U,)), "icl", dim, 1,
                 r"f = \sum_i v_i \beta^\top U_i x_q", "(beta, x_q)", output)


def deep_linear(*, d_in: int = 2, hidden: int = 2, width: int = 2, d_out: int = 2) -> NetworkSpec:
    """Depth-3 linear net f(x) = W3 W2 W1 x (spec §1.4 #11), seen from its second hidden layer.

    Unit i has u_i = row i of W2 and v_i = column i of W3, with g_in(x) = W1 x, so f = Σ_i v_i u_iᵀ(W1 x).
    """
    _check_sizes("deep-linear", d_in=d_in, hidden=hidden, width=width, d_out=d_out)
    V = make_block("V", (width, d_out), "v")
    U = make_block("U", (width, hidden), "u")
    W1 = make_block("W1", (hidden, d_in), "w1", "w^{(1)}")

    def output(x: sp.Matrix) -> sp.Matrix:
        z = W1.matrix() * x
        return V.matrix().T * (U.matrix() * z)

    sizes = {"d_in": d_in, "hidden": hidden, "width": width, "d_out": d_out}
    return _spec("deep-linear", sizes, LINEAR, (V, U, W1), (V, (U,)), "vector", d_in, d_out,
                 r"f(x) = W_3 W_2 W_1 x = \sum_i v_i u_i^\top (W_1 x)", "W1 x", output)


def diagonal_linear(*, dim: int = 2) -> NetworkSpec:
    """Diagonal linear net f(x) = Σ_i u_i v_i x_i = ⟨u ⊙ v, x⟩ (spec §1.4 #12): unit i reads only x_i."""
    _check_sizes("diagonal-linear", dim=dim)
    V = make_block("V", (dim, 1), "v")
    U = make_block("U", (dim, 1), "u")

    def output(x: sp.Matrix) -> sp.Matrix:
        return sp.Matrix([[sum((U.entry(i, 0) * V.entry(i, 0) * x[i] for i in range(dim)), sp.Integer(0))]])

    return _spec("diagonal-linear", {"dim": dim}, DIAGONAL, (V, U), (V, (U,)), "vector", dim, 1,
                 r"f(x) = \sum_i u_i v_i x_i", "x_i for unit i", output)


BUILDERS: dict[str, Callable[..., NetworkSpec]] = {
    "linear-fc": linear_fc,
    "linear-conv": linear_conv,
    "relu-fc": relu_fc,
    "relu-conv": relu_conv,
    "quadratic": quadratic,
    "attn-s": attn_s,
    "attn-m": attn_m,
    "tanh-fc": tanh_fc,
    "xtanh-fc": xtanh_fc,
    "cubic": cubic,
    "deep-linear": deep_linear,
    "diagonal-linear": diagonal_linear,
}
ARCHITECTURE_NAMES: tuple[str, ...] = tuple(BUILDERS)


def build(name: str, **sizes: int) -> NetworkSpec:
    """Build the architecture called ``name`` (a key of :data:`BUILDERS`) with the given sizes.

    Unknown names and unknown or invalid sizes raise :class:`~theory.errors.InputError`.
    """
    if name not in BUILDERS:
        raise InputError(f"architecture {name!r}: unknown; choose one of {', '.join(ARCHITECTURE_NAMES)}")
    builder = BUILDERS[name]
    allowed = set(builder.__kwdefaults__ or {})
    unknown = set(sizes) - allowed
    if unknown:
        raise InputError(f"architecture {name!r}: unknown size(s) {sorted(unknown)}; allowed: {sorted(allowed)}")
    return builder(**sizes)
