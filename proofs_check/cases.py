"""Small reference instances (architecture × task) built on both sides from the same numbers.

Each :class:`Case` holds the architecture name, sizes, and the task data as NumPy arrays; ``symbolic()`` and
``numeric()`` turn them into a :mod:`theory` and a :mod:`numerics` object.  The two packages never import each
other; this module is where they meet (spec "map to packages").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any

import numpy as np
import sympy as sp

import numerics
import theory


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T / d + 0.5 * np.eye(d)


def _sym(arr: np.ndarray) -> sp.Matrix:
    return sp.Matrix(np.asarray(arr, dtype=float).tolist())


@dataclass(frozen=True)
class Case:
    """One architecture × task instance: ``kind`` is a key of :data:`TASK_KINDS` (linear, quadratic, icl, dataset
    or icl-dataset)."""

    arch: str
    sizes: dict[str, int]
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    unit: dict[str, Any] = field(default_factory=dict)  # activation= (and bias=) for the families fc, conv

    @property
    def label(self) -> str:
        return f"{self.arch}/{self.kind}"

    def architecture(self) -> Any:
        """The numeric architecture (no task)."""
        return numerics.build_architecture(self.arch, **self.unit, **self.sizes)

    def symbolic(self) -> tuple[theory.NetworkSpec, Any]:
        return theory.build(self.arch, **self.unit, **self.sizes), TASK_KINDS[self.kind].symbolic(self.data)

    def numeric(self) -> tuple[Any, Any]:
        return self.architecture(), TASK_KINDS[self.kind].numeric(self.data)


@dataclass(frozen=True)
class TaskKind:
    """How a case's task data (NumPy arrays by name) becomes the task on each side."""

    symbolic: Callable[[dict[str, Any]], Any]
    numeric: Callable[[dict[str, Any]], Any]


TASK_KINDS: MappingProxyType[str, TaskKind] = MappingProxyType({
    "linear": TaskKind(
        lambda d: theory.LinearRegressionTask(_sym(d["sigma_xx"]), _sym(d["sigma_yx"]), _sym(d["sigma_yy"])),
        lambda d: numerics.LinearRegressionTask(d["sigma_xx"], d["sigma_yx"], d["sigma_yy"])),
    "quadratic": TaskKind(lambda d: theory.QuadraticGaussianTask(_sym(d["a"]), _sym(d["sigma"])),
                          lambda d: numerics.QuadraticGaussianTask(d["a"], d["sigma"])),
    "icl": TaskKind(lambda d: theory.ICLTask(_sym(d["lam"]), d["context"]),
                    lambda d: numerics.ICLTask(d["lam"], d["context"])),
    "dataset": TaskKind(lambda d: theory.Dataset(_sym(d["x"]), _sym(d["y"])),
                        lambda d: numerics.Dataset(d["x"], d["y"])),
    "icl-dataset": TaskKind(
        lambda d: theory.ICLDataset(_sym(d["beta"]), _sym(d["x_query"]), _sym(d["y_query"].reshape(-1, 1))),
        lambda d: numerics.ICLDataset(d["beta"], d["x_query"], d["y_query"])),
})


def _linear_data(rng, d_in: int, d_out: int) -> dict[str, np.ndarray]:
    sxx = _spd(rng, d_in)
    syx = rng.standard_normal((d_out, d_in))
    # Σ_yy ⪰ Σ_yx Σ_xx⁻¹ Σ_xy keeps the joint covariance PSD; the extra 0.3 I is irreducible noise.
    syy = syx @ np.linalg.solve(sxx, syx.T) + 0.3 * np.eye(d_out)
    return {"sigma_xx": sxx, "sigma_yx": syx, "sigma_yy": syy}


def _dataset(rng, n: int, d_in: int, d_out: int) -> dict[str, np.ndarray]:
    return {"x": rng.standard_normal((n, d_in)), "y": rng.standard_normal((n, d_out))}


def _icl_dataset(rng, n: int, dim: int) -> dict[str, np.ndarray]:
    return {"beta": rng.standard_normal((n, dim)), "x_query": rng.standard_normal((n, dim)),
            "y_query": rng.standard_normal(n)}


@lru_cache(maxsize=4)
def reference_cases(seed: int = 0) -> dict[str, list[Case]]:
    """Per architecture, the tiny instances used by the ``grad-consistency:<arch>`` claims and the tests.

    Cached, so every caller in a process shares the case objects and each symbolic derivation is compiled once.
    """
    rng = np.random.default_rng(seed)
    c: dict[str, list[Case]] = {}
    c["linear-fc"] = [Case("linear-fc", {"d_in": 3, "d_out": 2, "width": 2}, "linear", _linear_data(rng, 3, 2)),
                      Case("linear-fc", {"d_in": 3, "d_out": 2, "width": 2}, "dataset", _dataset(rng, 3, 3, 2))]
    c["linear-conv"] = [Case("linear-conv", {"d_in": 4, "kernel": 2, "width": 2}, "linear", _linear_data(rng, 4, 1)),
                        Case("linear-conv", {"d_in": 4, "kernel": 2, "width": 2}, "dataset", _dataset(rng, 3, 4, 1))]
    c["relu-fc"] = [Case("relu-fc", {"d_in": 2, "d_out": 2, "width": 3}, "dataset", _dataset(rng, 4, 2, 2))]
    c["relu-conv"] = [Case("relu-conv", {"d_in": 4, "kernel": 2, "width": 2}, "dataset", _dataset(rng, 3, 4, 1))]
    a = rng.standard_normal((3, 3))
    c["quadratic"] = [Case("quadratic", {"d_in": 3, "d_out": 1, "width": 2}, "quadratic",
                           {"a": (a + a.T) / 2, "sigma": _spd(rng, 3)}),
                      Case("quadratic", {"d_in": 3, "d_out": 1, "width": 2}, "dataset", _dataset(rng, 3, 3, 1))]
    c["attn-s"] = [Case("attn-s", {"dim": 2, "width": 2, "rank": 2}, "icl", {"lam": _spd(rng, 2), "context": 5}),
                   Case("attn-s", {"dim": 2, "width": 2, "rank": 2}, "icl-dataset", _icl_dataset(rng, 3, 2))]
    c["attn-m"] = [Case("attn-m", {"dim": 2, "width": 2}, "icl", {"lam": _spd(rng, 2), "context": 7}),
                   Case("attn-m", {"dim": 2, "width": 2}, "icl-dataset", _icl_dataset(rng, 3, 2))]
    for name in ("tanh-fc", "xtanh-fc", "cubic"):
        c[name] = [Case(name, {"d_in": 2, "d_out": 2, "width": 2}, "dataset", _dataset(rng, 3, 2, 2))]
    c["deep-linear"] = [Case("deep-linear", {"d_in": 2, "hidden": 3, "width": 2, "d_out": 2}, "linear",
                             _linear_data(rng, 2, 2)),
                        Case("deep-linear", {"d_in": 2, "hidden": 3, "width": 2, "d_out": 2}, "dataset",
                             _dataset(rng, 3, 2, 2))]
    c["diagonal-linear"] = [Case("diagonal-linear", {"dim": 3}, "linear", _linear_data(rng, 3, 1)),
                            Case("diagonal-linear", {"dim": 3}, "dataset", _dataset(rng, 3, 3, 1))]
    return c


def relu_kink_margin(case: Case, theta: np.ndarray) -> float:
    """Smallest |preactivation| over the dataset for ReLU cases (inf otherwise): finite differences of the
    gradient are only valid when every preactivation stays farther than the step from its kink."""
    arch = case.architecture()
    if arch.homogeneity_field != "R>=0":  # only kinked (positively homogeneous) units have a kink
        return float("inf")
    blocks = arch.unpack(theta.reshape(1, -1))
    x = case.data["x"]
    u = blocks["U"][0]
    if arch.bias:
        pre = x @ u[:, :-1].T + u[:, -1]
    else:
        k = u.shape[1]
        patches = np.stack([x[:, p:p + k] for p in range(x.shape[1] - k + 1)], axis=1)
        pre = np.einsum("npk,ik->npi", patches, u)
    return float(np.min(np.abs(pre)))
