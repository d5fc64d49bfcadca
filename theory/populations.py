"""Population forms of the symbolic side: how a model's output depends on its input through M(θ) (docs/theory.md §1.3).

Each form is one registered :class:`Population` in :data:`POPULATIONS`, keyed by the name a registration gives
(``NetworkSpec.population``).  What depends on the form — whether it needs a scalar output, and the symbolic task
of its family that proofs run on by default (:func:`theory.invariants.default_task`) — is read off that object,
never decided by comparing its name.  Written independently of :mod:`numerics.populations`.

>>> from theory.architectures import build
>>> spec = build("linear-fc", d_in=2, d_out=1, width=1)
>>> type(POPULATIONS[spec.population].default_task(spec)).__name__
'LinearRegressionTask'
>>> POPULATIONS["quadratic"].scalar_output
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import sympy as sp

from .spec import NetworkSpec
from .tasks import ICLTask, LinearRegressionTask, QuadraticGaussianTask


def _symbolic_linear(spec: NetworkSpec) -> LinearRegressionTask:
    """Whitened regression with a symbolic Σ_yx."""
    d_out, d_in = spec.output_dim, spec.input_dim
    syx = sp.Matrix(d_out, d_in, lambda o, a: sp.Symbol(f"S_{o + 1}_{a + 1}", real=True))
    return LinearRegressionTask(sp.eye(d_in), syx, syx * syx.T)


def _symbolic_quadratic(spec: NetworkSpec) -> QuadraticGaussianTask:
    """A quadratic target with a symbolic symmetric A."""
    d = spec.input_dim
    a = sp.Matrix(d, d, lambda r, c: sp.Symbol(f"A_{min(r, c) + 1}_{max(r, c) + 1}", real=True))
    return QuadraticGaussianTask(a)


def _symbolic_icl(spec: NetworkSpec) -> ICLTask:
    """In-context regression with a symbolic diagonal Λ and context length N."""
    lam = sp.diag(*sp.symbols(f"lambda_1:{spec.input_dim + 1}", positive=True))
    return ICLTask(lam, sp.Symbol("N", positive=True, integer=True))


@dataclass(frozen=True)
class Population:
    """One population form (module docstring): ``scalar_output``, the form exists only for d_out = 1
    (f = xᵀMx); ``default_task(spec)``, the symbolic population task of its family."""

    name: str
    default_task: Callable[[NetworkSpec], Any] = field(repr=False)
    scalar_output: bool = False


POPULATIONS: MappingProxyType[str, Population] = MappingProxyType({p.name: p for p in (
    Population("linear", _symbolic_linear),
    Population("quadratic", _symbolic_quadratic, scalar_output=True),
    Population("icl", _symbolic_icl),
)})
