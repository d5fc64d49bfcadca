"""Initial weights (spec §0.5, conventions.md "Initial weights and seeds"): every parameter iid N(0, ε²)."""

from __future__ import annotations

import numpy as np

from .architectures import Architecture
from .errors import InputError
from .validation import check_nonnegative_int, check_positive_int, check_positive_scalar

__all__ = ["init_params"]


def init_params(arch: Architecture, init_scale: float, seed: int = 0, n_seeds: int = 1) -> np.ndarray:
    """Initial θ for seeds seed, seed+1, …, seed+n_seeds−1: shape (n_seeds, n_params).

    Row k is ``numpy.random.default_rng(seed + k).standard_normal(n_params) * ε`` with ε = ``init_scale``, one
    generator per seed, so a seed means the same weights whatever the batch (spec §0.5).
    """
    if not isinstance(arch, Architecture):
        raise InputError(f"arch: must be an Architecture (got {type(arch).__name__})")
    eps = check_positive_scalar("init_scale", init_scale)
    s0 = check_nonnegative_int("seed", seed)
    k = check_positive_int("n_seeds", n_seeds)
    out = np.empty((k, arch.n_params))
    for i in range(k):
        out[i] = np.random.default_rng(s0 + i).standard_normal(arch.n_params) * eps
    return out
