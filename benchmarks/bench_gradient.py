"""Per-member cost of one gradient: ``loss_and_grad``, the prepared ``gradient_function``, and a plain-NumPy floor.

Run by hand: ``python benchmarks/bench_gradient.py [--repeat 5] [--rounds 3] [--min-time 0.05] [--only CASE ...]``.

For each case (architecture, task, sizes) and batch size B in 1, 16, 256 it times, side by side in one process:

(a) ``numerics.loss_and_grad(arch, task, theta)`` — the validating entry (checks arch/task and θ on every call);
(b) ``fun(theta)`` with ``fun = numerics.gradient_function(arch, task)`` — prepared once, no per-call checks;
(c) the floor: the same gradient formula written here as plain batched NumPy (blocks as views of θ, the effective
    matrix, the closed form, the pull-back written with ``out=`` into one fresh (B, n) array), with the same
    operation choices as the library's kernels (``einsum`` for the per-member losses, small transposed right
    operands of ``matmul`` copied to C order) and no layer of the library in between, so (b)/(c) is the library's
    overhead alone.  Before timing, (c) is checked against (b) (``allclose``, rtol 1e-10): the floor computes the
    same numbers, it does not skip work.

On the dataset cases the floor is the pointwise network written out by hand: pre-activations laid out units ×
samples, the unit's σ and σ′ in place on the floor's own arrays, the pull-back over blocks of members whose
temporaries stay at 64 KB (fresh megabyte arrays cost more in page faults than their arithmetic at B = 256).  These
cases also time

(d) the library's previous dataset path (samples × units layout, the public σ′ formulas with their temporaries,
    e.g. ``1.0 - a*a``), kept here as a copy, so (d)/(b) is the speed-up of the in-place kernels in one run.

Cases: linear-fc H = 50, D = 5 on a whitened task (the per-call cost quoted in benchmarks/RESULTS.md), linear-conv,
deep-linear, quadratic, attn-s and attn-m on their population tasks (sizes of ``s2s simulate ARCH``'s defaults, as in
``bench_families.py``), and tanh-fc, relu-fc, xtanh-fc, cubic (width 8) and relu-conv (d_in 3, kernel 2, width 4) on
a dataset of P = 64 samples.  Each number is the minimum over ``--rounds`` interleaved rounds (for each case and B
the variants take turns, so a burst of load hits all of them) of the minimum over ``--repeat`` repeats of the mean
per call, divided by B (µs per member).  The columns (b)/(c) and (a)/(c) are the overheads over the floor.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

import numerics

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_families import _best, _calibrate  # noqa: E402  (the same timing rules as the per-call table)

SEED = 20261126
SAMPLES = 64
BATCHES = (1, 16, 256)
LINEAR_S = (5.0, 4.0, 3.0, 2.0, 1.0)
COEFS = (3.0, 2.0, 1.0)
QUAD_A = (2.0, 1.0, -1.0, -2.0)
ICL_LAMBDA, ICL_CONTEXT = (1.0, 0.5, 0.25), 32


# ------------------------------------------------------------------------------------------------- tasks
def _whitened(arch):
    return numerics.whitened(list(LINEAR_S), arch.input_dim, arch.output_dim)


def _coefs(arch):
    b = np.asarray(COEFS)
    return numerics.LinearRegressionTask(np.eye(b.size), b[None, :], b[None, :] @ b[:, None])


def _quadratic(arch):
    return numerics.QuadraticGaussianTask(np.diag(QUAD_A))


def _icl(arch):
    return numerics.ICLTask(np.diag(ICL_LAMBDA), ICL_CONTEXT)


def _dataset(arch):
    rng = np.random.default_rng(SEED)
    return numerics.Dataset(rng.standard_normal((SAMPLES, arch.input_dim)),
                            rng.standard_normal((SAMPLES, arch.output_dim)))


# ------------------------------------------------------------------------------------------------- floors
# Each floor(arch, task, B) returns a closure theta -> (loss, grad): the gradient formula of the library written as
# plain batched NumPy; constants of the task are bound outside the closure, as a hand-written integrator would.
def _views(arch, theta, m):
    return [theta[:, cols].reshape((m, *shape)) for _, cols, shape in arch.block_spans]


def _linear_closed(task):
    w_opt, sxx, l_min = task.optimal_matrix, task.sigma_xx, task.min_loss

    def closed(W):
        E = W - w_opt
        G = np.matmul(E, sxx)
        return l_min + 0.5 * np.einsum("bij,bij->b", G, E), G
    return closed


def _icl_closed(task):
    lam, lam2, n = task.lam, task.lam @ task.lam, float(task.context)
    tr = float(np.trace(lam))
    a, c = 1.0 + 1.0 / n, tr / n

    def closed(M):
        S = np.matmul(np.matmul(lam, M), lam)
        LS = np.matmul(lam, S)
        grad = a * LS + c * S - lam2
        return 0.5 * (tr + np.einsum("bij,bij->b", grad - lam2, M)), grad
    return closed


def floor_linear_fc(arch, task):
    closed, n = _linear_closed(task), arch.n_params

    def f(theta):
        m = theta.shape[0]
        V, U = _views(arch, theta, m)
        loss, G = closed(np.matmul(V.transpose(0, 2, 1), U))
        g = np.empty((m, n))
        gV, gU = _views(arch, g, m)
        np.matmul(U, np.ascontiguousarray(G.transpose(0, 2, 1)), out=gV)
        np.matmul(V, G, out=gU)
        return loss, g
    return f


def floor_linear_conv(arch, task):
    closed, n, d, k = _linear_closed(task), arch.n_params, arch.input_dim, arch.sizes["kernel"]
    idx = np.arange(d - k + 1)[:, None] + np.arange(k)[None, :]
    S = np.zeros((idx.size, d))
    S[np.arange(idx.size), idx.ravel()] = 1.0

    def f(theta):
        m = theta.shape[0]
        V, U = _views(arch, theta, m)
        T = np.matmul(V.transpose(0, 2, 1), U)
        loss, G = closed(np.matmul(T.reshape(m, -1), S)[:, None, :])
        dT = G[:, 0, :][:, idx]
        g = np.empty((m, n))
        gV, gU = _views(arch, g, m)
        np.matmul(U, np.ascontiguousarray(dT.transpose(0, 2, 1)), out=gV)
        np.matmul(V, dT, out=gU)
        return loss, g
    return f


def floor_deep_linear(arch, task):
    closed, n = _linear_closed(task), arch.n_params

    def f(theta):
        m = theta.shape[0]
        V, U, W1 = _views(arch, theta, m)
        A = np.matmul(U, W1)
        loss, G = closed(np.matmul(V.transpose(0, 2, 1), A))
        dA = np.matmul(V, G)
        g = np.empty((m, n))
        gV, gU, gW1 = _views(arch, g, m)
        np.matmul(A, np.ascontiguousarray(G.transpose(0, 2, 1)), out=gV)
        np.matmul(dA, np.ascontiguousarray(W1.transpose(0, 2, 1)), out=gU)
        np.matmul(U.transpose(0, 2, 1), dA, out=gW1)
        return loss, g
    return f


def floor_quadratic(arch, task):
    S, A, n = task.sigma, task.a, arch.n_params

    def f(theta):
        m = theta.shape[0]
        V, U = _views(arch, theta, m)
        M = np.matmul((U * V).transpose(0, 2, 1), U)
        DS = np.matmul(A - M, S)
        tr = np.trace(DS, axis1=1, axis2=2)
        loss = np.einsum("bij,bji->b", DS, DS) + 0.5 * tr * tr
        dM = -(2.0 * np.matmul(S, DS) + tr[:, None, None] * S)
        US = np.matmul(U, dM + dM.transpose(0, 2, 1))
        g = np.empty((m, n))
        gV, gU = _views(arch, g, m)
        np.multiply(np.sum(U * US, axis=2, keepdims=True), 0.5, out=gV)
        np.multiply(V, US, out=gU)
        return loss, g
    return f


def floor_attn_m(arch, task):
    closed, n = _icl_closed(task), arch.n_params

    def f(theta):
        m = theta.shape[0]
        V, U = _views(arch, theta, m)
        loss, dM = closed(np.einsum("bh,bhde->bde", V[:, :, 0], U))
        g = np.empty((m, n))
        gV, gU = _views(arch, g, m)
        gV[:, :, 0] = np.einsum("bhde,bde->bh", U, dM)
        np.multiply(V[:, :, :, None], dM[:, None, :, :], out=gU)
        return loss, g
    return f


def floor_attn_s(arch, task):
    closed, n = _icl_closed(task), arch.n_params

    def f(theta):
        m = theta.shape[0]
        V, K, Q = _views(arch, theta, m)
        _, H, R, D = K.shape
        Kv = (K * V[:, :, :, None]).reshape(m, H * R, D)
        loss, dM = closed(np.matmul(Kv.transpose(0, 2, 1), Q.reshape(m, H * R, D)))
        G = np.matmul(Q.reshape(m, H * R, D), np.ascontiguousarray(dM.transpose(0, 2, 1))).reshape(m, H, R, D)
        GT = np.matmul(K.reshape(m, H * R, D), dM).reshape(m, H, R, D)
        g = np.empty((m, n))
        gV, gK, gQ = _views(arch, g, m)
        gV[:, :, 0] = np.sum(K * G, axis=(2, 3))
        v = V[:, :, :, None]
        np.multiply(v, G, out=gK)
        np.multiply(v, GT, out=gQ)
        return loss, g
    return f


# Units of the dataset floors: name -> (forward(z) -> (a, saved), may overwrite z; scale(dz, a, *saved): dz *= σ′).
# The same operations as the library's units, written out in plain NumPy on the floor's own arrays; the pull-back
# runs over blocks of members whose temporaries have at most CHUNK elements (64 KB: cached, no fresh pages).
CHUNK = 8192


def _tanh_fwd(z):
    return np.tanh(z, out=z), ()


def _tanh_scale(dz, a):
    s = a * a
    np.subtract(1.0, s, out=s)
    dz *= s


def _relu_fwd(z):
    return np.maximum(z, 0.0, out=z), ()


def _relu_scale(dz, a):
    dz *= a > 0.0


def _xtanh_fwd(z):
    t = np.tanh(z)
    return z * t, (z, t)


def _xtanh_scale(dz, a, z, t):
    s = t * t
    np.subtract(1.0, s, out=s)
    s *= z
    s += t
    dz *= s


def _cube_fwd(z):
    a = z * z
    a *= z
    return a, (z,)


def _cube_scale(dz, a, z):
    s = 3.0 * z
    s *= z
    dz *= s


FLOOR_UNITS = {"tanh": (_tanh_fwd, _tanh_scale), "relu": (_relu_fwd, _relu_scale),
               "xtanh": (_xtanh_fwd, _xtanh_scale), "cube": (_cube_fwd, _cube_scale)}


def floor_fc_dataset(arch, task):
    """Two-layer fc net on a dataset: z (B, H, P) = U x̃ᵀ, a = σ(z), F = Vᵀ a, dV = a r, dU = (v r ⊙ σ′) x̃."""
    X, y, n = task.x, task.y, arch.n_params
    if arch.bias:
        X = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1)
    XT = X.T
    p = X.shape[0]
    forward, scale = FLOOR_UNITS[arch.activation.name]

    def f(theta):
        m = theta.shape[0]
        V, U = _views(arch, theta, m)
        a, saved = forward(np.matmul(U, XT))
        r = np.matmul(V.transpose(0, 2, 1), a).transpose(0, 2, 1) - y
        loss = 0.5 / p * np.einsum("bpo,bpo->b", r, r)
        r /= p
        g = np.empty((m, n))
        gV, gU = _views(arch, g, m)
        np.matmul(a, r, out=gV)
        rT = r.transpose(0, 2, 1)
        step = max(1, CHUNK // (a.shape[1] * p))  # members per block: temporaries of <= CHUNK elements
        for lo in range(0, m, step):
            k = slice(lo, lo + step)
            dz = V[k] * rT[k] if V.shape[2] == 1 else np.matmul(V[k], rT[k])
            scale(dz, a[k], *(x[k] for x in saved))
            np.matmul(dz, X, out=gU[k])
        return loss, g
    return f


def floor_conv_dataset(arch, task):
    """1-D conv net on a dataset: z (B, H·L, P) over patches (position-major), the rest as in floor_fc_dataset."""
    X, y, n, k = task.x, task.y, arch.n_params, arch.sizes["kernel"]
    p, d = X.shape
    L = d - k + 1
    idx = np.arange(L)[:, None] + np.arange(k)[None, :]
    Xf = np.ascontiguousarray(X.T[idx].transpose(0, 2, 1)).reshape(L * p, k)
    XfT = Xf.T
    forward, scale = FLOOR_UNITS[arch.activation.name]

    def f(theta):
        m = theta.shape[0]
        V, U = _views(arch, theta, m)
        H = U.shape[1]
        Vr = V.reshape(m, H * L, 1)
        a, saved = forward(np.matmul(U, XfT).reshape(m, H * L, p))
        r = np.matmul(Vr.transpose(0, 2, 1), a).transpose(0, 2, 1) - y
        loss = 0.5 / p * np.einsum("bpo,bpo->b", r, r)
        r /= p
        g = np.empty((m, n))
        gV, gU = _views(arch, g, m)
        np.matmul(a, r, out=gV.reshape(m, H * L, 1))
        rT = r.transpose(0, 2, 1)
        step = max(1, CHUNK // (H * L * p))
        for lo in range(0, m, step):
            k = slice(lo, lo + step)
            dz = Vr[k] * rT[k]
            scale(dz, a[k], *(x[k] for x in saved))
            np.matmul(dz.reshape(-1, H, L * p), Xf, out=gU[k])
        return loss, g
    return f


# ------------------------------------------------------------------------------------------------- before
# The library's dataset path as it was before its units ran in place (samples × units layout, the public σ′
# formulas with their temporaries), kept to time the change side by side: (d) in the table.
_OLD_UNITS = {"tanh": (np.tanh, lambda z, a: 1.0 - a * a), "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: z > 0.0),
              "xtanh": (lambda z: z * np.tanh(z), lambda z, a: np.tanh(z) + z * (1.0 - np.tanh(z) * np.tanh(z))),
              "cube": (lambda z: z * z * z, lambda z, a: 3.0 * z * z)}


def _old_fc(V, U, X, unit, bias):
    sigma, prime = unit
    Xa = np.concatenate([X, np.ones((X.shape[0], 1))], axis=1) if bias else X
    z = np.matmul(Xa, U.transpose(0, 2, 1))
    a = sigma(z)
    F = np.matmul(a, V)

    def pullback(dF):
        dV = np.matmul(a.transpose(0, 2, 1), dF)
        dz = dF * V[:, None, :, 0] if V.shape[2] == 1 else np.matmul(dF, V.transpose(0, 2, 1))
        dz *= prime(z, a)
        return dV, np.matmul(dz.transpose(0, 2, 1), Xa)
    return F, pullback


def _old_conv(V, U, X, unit, bias):
    sigma, prime = unit
    B, H, K = U.shape
    d = X.shape[1]
    idx = np.arange(d - K + 1)[:, None] + np.arange(K)[None, :]
    Xp = X[:, idx]
    P, L, _ = Xp.shape
    z = np.matmul(Xp.reshape(P * L, K), U.transpose(0, 2, 1)).reshape(B, P, L * H)
    a = sigma(z)
    Vt = np.ascontiguousarray(V.transpose(0, 2, 1)).reshape(B, L * H, 1)
    F = np.matmul(a, Vt)

    def pullback(dF):
        dV = np.matmul(dF.transpose(0, 2, 1), a).reshape(B, L, H).transpose(0, 2, 1)
        dz = dF * Vt.transpose(0, 2, 1)
        dz *= prime(z, a)
        dU = np.matmul(dz.reshape(B, P * L, H).transpose(0, 2, 1), Xp.reshape(P * L, K))
        return dV, dU
    return F, pullback


def before_dataset(arch, task):
    """The previous numerics._through_forward with the previous fc/conv kernels (as of this benchmark's change)."""
    X, y, p = task.x, task.y, task.y.shape[0]
    unit = _OLD_UNITS[arch.activation.name]
    model = _old_conv if arch.family is numerics.FAMILIES["conv"] else _old_fc
    spans = arch.block_spans

    def f(theta):
        m = theta.shape[0]
        b = {name: theta[:, cols].reshape((m, *shape)) for name, cols, shape in spans}
        F, pullback = model(b["V"], b["U"], X, unit, arch.bias)
        residual = F - y
        value = 0.5 / p * np.einsum("bpo,bpo->b", residual, residual)
        dV, dU = pullback(residual / p)
        g = np.empty((m, arch.n_params))
        gV, gU = _views(arch, g, m)
        gV[...] = dV
        gU[...] = dU
        return value, g
    return f


# label -> (architecture name, sizes, task builder, floor builder)
CASES = {
    "linear-fc H=50 D=5": ("linear-fc", {"d_in": 5, "d_out": 5, "width": 50}, _whitened, floor_linear_fc),
    "linear-fc": ("linear-fc", {"d_in": 5, "d_out": 5, "width": 8}, _whitened, floor_linear_fc),
    "linear-conv": ("linear-conv", {"d_in": 3, "kernel": 2, "width": 4}, _coefs, floor_linear_conv),
    "deep-linear": ("deep-linear", {"d_in": 5, "d_out": 5, "hidden": 8, "width": 8}, _whitened, floor_deep_linear),
    "quadratic": ("quadratic", {"d_in": 4, "width": 8}, _quadratic, floor_quadratic),
    "attn-s": ("attn-s", {"dim": 3, "width": 5}, _icl, floor_attn_s),
    "attn-m": ("attn-m", {"dim": 3, "width": 5}, _icl, floor_attn_m),
    "tanh-fc (P=64)": ("tanh-fc", {"width": 8}, _dataset, floor_fc_dataset),
    "relu-fc (P=64)": ("relu-fc", {"width": 8}, _dataset, floor_fc_dataset),
    "xtanh-fc (P=64)": ("xtanh-fc", {"width": 8}, _dataset, floor_fc_dataset),
    "cubic (P=64)": ("cubic", {"width": 8}, _dataset, floor_fc_dataset),
    "relu-conv (P=64)": ("relu-conv", {"d_in": 3, "kernel": 2, "width": 4}, _dataset, floor_conv_dataset),
}
# Cases that also time the previous dataset path, (d).
BEFORE = {label: before_dataset for label, case in CASES.items() if case[3] in (floor_fc_dataset, floor_conv_dataset)}


# ------------------------------------------------------------------------------------------------- timing
def _load() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5, help="timed repeats per variant (minimum reported)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (minimum over rounds)")
    p.add_argument("--min-time", type=float, default=0.05, help="seconds per repeat (sets the calls per repeat)")
    p.add_argument("--only", nargs="+", metavar="CASE", help=f"time only these cases (of: {', '.join(CASES)})")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.rounds < 1 or not args.min_time > 0:
        p.error("--repeat and --rounds must be >= 1 and --min-time > 0")
    labels = list(CASES)
    if args.only:
        unknown = sorted(set(args.only) - set(labels))
        if unknown:
            p.error(f"--only: unknown case(s) {', '.join(unknown)}")
        labels = [label for label in labels if label in args.only]

    load_before, start = _load(), time.strftime("%Y-%m-%d %H:%M:%S %Z")
    calls: dict[tuple[str, int], dict[str, tuple]] = {}
    n_params: dict[str, int] = {}
    for label in labels:
        name, sizes, make_task, make_floor = CASES[label]
        arch = numerics.build_architecture(name, **sizes)
        task = make_task(arch)
        n_params[label] = arch.n_params
        fun, floor = numerics.gradient_function(arch, task), make_floor(arch, task)
        for batch in BATCHES:
            theta = 0.5 * np.random.default_rng(SEED + batch).standard_normal((batch, arch.n_params))
            got, want = fun(theta), floor(theta)
            for x, y in zip(got, want, strict=True):
                if not np.allclose(x, y, rtol=1e-10, atol=1e-12 * (1.0 + np.max(np.abs(y)))):
                    raise SystemExit(f"{label}, B = {batch}: the floor does not compute the prepared gradient")
            variants = {"a": lambda a=arch, t=task, th=theta: numerics.loss_and_grad(a, t, th),
                        "b": lambda f=fun, th=theta: f(th), "c": lambda f=floor, th=theta: f(th)}
            if label in BEFORE:
                old = BEFORE[label](arch, task)
                for x, y in zip(got, old(theta), strict=True):
                    if not np.allclose(x, y, rtol=1e-10, atol=1e-12 * (1.0 + np.max(np.abs(y)))):
                        raise SystemExit(f"{label}, B = {batch}: the previous path computes another gradient")
                variants["d"] = lambda f=old, th=theta: f(th)
            calls[(label, batch)] = {k: (f, _calibrate(f, args.min_time)) for k, f in variants.items()}

    best: dict[tuple[str, int, str], float] = {}
    order = ["a", "b", "c", "d"]
    for rnd in range(args.rounds):
        print(f"round {rnd + 1}/{args.rounds} ...", file=sys.stderr, flush=True)
        for i, key in enumerate(calls):
            here = [v for v in order if v in calls[key]]
            turn = here[(rnd + i) % len(here):] + here[: (rnd + i) % len(here)]  # who goes first rotates
            for v in turn:
                f, n = calls[key][v]
                best[(*key, v)] = min(best.get((*key, v), math.inf), _best(f, n, args.repeat))
    load_after = _load()

    print(f"gradient per member [us]: min over {args.rounds} interleaved rounds x {args.repeat} repeats "
          f"(>= {args.min_time:g} s per repeat), divided by B")
    print(f"date {start}; Python {sys.version.split()[0]}, NumPy {np.__version__}; nproc {os.cpu_count()}; "
          f"load average (1, 5, 15 min) before {load_before}, after {load_after}")
    print()
    header = ["case", "n", "B", "(a) loss_and_grad", "(b) prepared", "(c) floor", "(b)/(c)", "(a)/(c)",
              "(d) before", "(d)/(b)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for label, batch in calls:
        a, b, c, d = (best.get((label, batch, v), math.nan) / batch * 1e6 for v in order)
        before = "- | -" if math.isnan(d) else f"{d:.2f} | {d / b:.2f}"
        print(f"| {label} | {n_params[label]} | {batch} | {a:.2f} | {b:.2f} | {c:.2f} | {b / c:.2f} | {a / c:.2f} "
              f"| {before} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
