"""Shared problem options of ``s2s simulate`` and ``s2s predict``: architecture, sizes, task, width, init scale
and seeds, so that the same command-line options mean the same initial weights in both commands.

Task options (spec §7.2 defaults):

* linear-fc, deep-linear: ``--singular-values 5,4,3,2,1`` → whitened input, y = Σ_yx x, Σ_yx = diag(s);
* linear-conv, diagonal-linear: ``--target-coefs 1,0.5,...`` → x ~ N(0, I), y = β*ᵀx;
* quadratic: ``--target-eigs 2,1,-1,-2`` → x ~ N(0, I), y = xᵀ diag(a) x;
* attn-s, attn-m: ``--cov-eigs 1,0.5,... --context N [--rank R]`` → in-context regression with Λ = diag(λ);
* every other architecture (or ``--task dataset``): a teacher dataset, ``--samples P`` inputs x ~ N(0, I) (or
  ``--data FILE.npz`` with arrays X, Y), labels from a teacher of the same architecture with ``--teacher-width``
  units whose weights are N(0, 1) from ``--data-seed``.

Seeds: member k of ``--seeds K`` starting at ``--seed S`` has θ_0 = default_rng(S + k).standard_normal(n)·ε.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

import numpy as np

import numerics

LINEAR_ARCHS = ("linear-fc", "deep-linear")
COEF_ARCHS = ("linear-conv", "diagonal-linear")
ATTENTION_ARCHS = ("attn-s", "attn-m")
SIZE_OPTIONS = ("d_in", "d_out", "width", "kernel", "dim", "rank", "hidden")


def floats(text: str) -> list[float]:
    """Parse ``"5,4,3"`` into floats (argparse type)."""
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None


def add_problem_arguments(p: argparse.ArgumentParser) -> None:
    """The options shared by ``simulate`` and ``predict``."""
    p.add_argument("arch", help="architecture name (see `s2s derive --list`)")
    for name in SIZE_OPTIONS:
        if name != "width":
            p.add_argument("--" + name.replace("_", "-"), dest=name, type=int, default=None)
    p.add_argument("--width", type=int, default=None, help="number of units H")
    p.add_argument("--init-scale", type=float, default=1e-3, help="epsilon: init iid N(0, eps^2)")
    p.add_argument("--seed", type=int, default=0, help="first seed")
    p.add_argument("--seeds", type=int, default=1, help="number of seeds (one batched run)")
    p.add_argument("--task", choices=["auto", "dataset"], default="auto")
    p.add_argument("--singular-values", type=floats, help="linear task: whitened, Sigma_yx = diag(s)")
    p.add_argument("--target-coefs", type=floats, help="linear-conv/diagonal task: y = beta*^T x, x ~ N(0, I)")
    p.add_argument("--target-eigs", type=floats, help="quadratic task: y = x^T diag(a) x, x ~ N(0, I)")
    p.add_argument("--cov-eigs", type=floats, help="in-context task: Lambda = diag(lambda)")
    p.add_argument("--context", type=int, default=32, help="in-context task: context length N")
    p.add_argument("--samples", type=int, default=64, help="dataset task: number of samples P")
    p.add_argument("--teacher-width", type=int, default=2, help="dataset task: teacher units")
    p.add_argument("--data-seed", type=int, default=12345, help="dataset task: seed of inputs and teacher")
    p.add_argument("--data", help="dataset task: .npz file with arrays X (P, d_in) and Y (P, d_out)")


@dataclass(frozen=True)
class Problem:
    """An architecture, a task, a batch of initial weights and the text that describes them."""

    arch: Any
    task: Any
    theta0: np.ndarray
    seeds: tuple[int, ...]
    init_scale: float
    description: str


def _sizes(args) -> dict[str, int]:
    return {k: getattr(args, k) for k in SIZE_OPTIONS if getattr(args, k, None) is not None}


def build_problem(args) -> Problem:
    """Architecture, task and initial weights from parsed options; bad values raise ``numerics.InputError``."""
    name = args.arch
    if name not in numerics.ARCHITECTURE_NAMES:
        raise numerics.InputError(f"architecture {name!r}: unknown; choose one of "
                                  + ", ".join(numerics.ARCHITECTURE_NAMES))
    if not np.isfinite(args.init_scale) or args.init_scale <= 0:
        raise numerics.InputError(f"--init-scale={args.init_scale}: must be finite and > 0")
    if args.seeds < 1 or args.seed < 0:
        raise numerics.InputError(f"--seed={args.seed} --seeds={args.seeds}: need seed >= 0 and seeds >= 1")
    sizes = _sizes(args)
    use_dataset = args.task == "dataset" or name not in LINEAR_ARCHS + COEF_ARCHS + ATTENTION_ARCHS + ("quadratic",)
    if name in LINEAR_ARCHS and not use_dataset:
        s = args.singular_values or [5.0, 4.0, 3.0, 2.0, 1.0]
        sizes.setdefault("d_in", len(s))
        sizes.setdefault("d_out", len(s))
        if name == "deep-linear":
            sizes.setdefault("hidden", max(sizes.get("width", 8), len(s)))
        sizes.setdefault("width", 8)
        task = numerics.whitened(s, sizes["d_in"], sizes["d_out"])
        text = f"whitened linear regression, Sigma_yx = diag({', '.join(f'{v:g}' for v in s)})"
    elif name in COEF_ARCHS and not use_dataset:
        b = np.asarray(args.target_coefs or [3.0, 2.0, 1.0], dtype=float)
        key = "dim" if name == "diagonal-linear" else "d_in"
        sizes.setdefault(key, b.size)
        if sizes[key] != b.size:
            raise numerics.InputError(f"--target-coefs: {b.size} values for input dimension {sizes[key]}")
        if name == "linear-conv":
            sizes.setdefault("kernel", min(2, b.size))
            sizes.setdefault("width", 4)
        task = numerics.LinearRegressionTask(np.eye(b.size), b[None, :], b[None, :] @ b[:, None])
        text = f"linear regression x ~ N(0, I), y = beta*^T x, beta* = ({', '.join(f'{v:g}' for v in b)})"
    elif name == "quadratic" and not use_dataset:
        a = np.asarray(args.target_eigs or [2.0, 1.0, -1.0, -2.0], dtype=float)
        sizes.setdefault("d_in", a.size)
        sizes.setdefault("width", 8)
        task = numerics.QuadraticGaussianTask(np.diag(a))
        text = f"x ~ N(0, I), y = x^T diag({', '.join(f'{v:g}' for v in a)}) x"
    elif name in ATTENTION_ARCHS and not use_dataset:
        lam = np.asarray(args.cov_eigs or [1.0, 0.5, 0.25], dtype=float)
        sizes.setdefault("dim", lam.size)
        sizes.setdefault("width", 5)
        task = numerics.ICLTask(np.diag(lam), args.context)
        text = f"in-context regression, Lambda = diag({', '.join(f'{v:g}' for v in lam)}), N = {args.context}"
    else:
        sizes.setdefault("width", 8)
        task, text = _dataset_task(name, sizes, args)
    arch = numerics.build_architecture(name, **sizes)
    numerics.check_compatible(arch, task)
    theta0 = numerics.init_params(arch, args.init_scale, seed=args.seed, n_seeds=args.seeds)
    seeds = tuple(range(args.seed, args.seed + args.seeds))
    return Problem(arch, task, theta0, seeds, float(args.init_scale), text)


def _dataset_task(name: str, sizes: dict[str, int], args) -> tuple[Any, str]:
    if args.data:
        try:
            with np.load(args.data) as z:
                x, y = np.asarray(z["X"], dtype=float), np.asarray(z["Y"], dtype=float)
        except (OSError, KeyError, ValueError) as exc:
            raise numerics.InputError(f"--data {args.data}: cannot read arrays X and Y ({exc})") from None
        return numerics.Dataset(x, y), f"dataset {args.data} ({x.shape[0]} samples)"
    if args.samples < 1 or args.teacher_width < 1:
        raise numerics.InputError(f"--samples={args.samples} --teacher-width={args.teacher_width}: must be >= 1")
    rng = np.random.default_rng(args.data_seed)
    teacher_sizes = dict(sizes, width=args.teacher_width)
    teacher = numerics.build_architecture(name, **teacher_sizes)
    if teacher.is_attention:
        lam = np.asarray(args.cov_eigs or [1.0] * teacher.input_dim, dtype=float)
        data = numerics.sample_icl_dataset(np.diag(lam), args.context, args.samples, rng)
        return data, f"sampled in-context dataset, {args.samples} sequences"
    x = rng.standard_normal((args.samples, teacher.input_dim))
    theta_t = rng.standard_normal((1, teacher.n_params))
    y = teacher.forward(theta_t, x)[0]
    return numerics.Dataset(x, y), (f"teacher dataset: {args.samples} samples x ~ N(0, I), labels from a "
                                    f"{args.teacher_width}-unit {name} teacher (data seed {args.data_seed})")
