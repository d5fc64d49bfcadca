"""Population forms of the numeric side: how a model's output depends on its input through M(θ) (docs/theory.md §1.3).

A model with a population form has an effective matrix M(θ) through which the closed-form population losses are
evaluated (:mod:`numerics.objective`).  Each form is one registered :class:`Population` in :data:`POPULATIONS`,
keyed by the name an architecture registration gives (``Registration.population``); what depends on the form —
the population task it has a closed form for, whether f is linear in x, the shape of M, whether it needs a scalar
output — is read off that object, never decided by comparing its name.

Example
-------
>>> from numerics.populations import POPULATIONS
>>> POPULATIONS["linear"].matrix_shape(3, 2)
(2, 3)
>>> POPULATIONS["quadratic"].scalar_output
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import MappingProxyType

from .tasks import ICLTask, LinearRegressionTask, QuadraticGaussianTask


def _out_by_in(input_dim: int, output_dim: int) -> tuple[int, int]:
    return (output_dim, input_dim)


def _in_by_in(input_dim: int, output_dim: int) -> tuple[int, int]:
    return (input_dim, input_dim)


@dataclass(frozen=True)
class Population:
    """One population form (module docstring).

    Attributes
    ----------
    name : str
        The key in :data:`POPULATIONS` (and the architecture's ``population_kind``).
    task : type
        The population task whose loss has a closed form in M (LinearRegressionTask for f = M x, ...).
    linear_in_x : bool
        f = M(θ) x: the forward pass goes through M, and a loss on any dataset depends on its second moments only.
    scalar_output : bool
        The form exists only for d_out = 1 (f = xᵀ M x); an architecture with a vector output has no population form.
    matrix_shape : callable
        ``matrix_shape(input_dim, output_dim)`` → the shape (rows, columns) of M.
    """

    name: str
    task: type
    linear_in_x: bool = False
    scalar_output: bool = False
    matrix_shape: Callable[[int, int], tuple[int, int]] = field(default=_in_by_in, repr=False)


LINEAR = Population("linear", LinearRegressionTask, linear_in_x=True, matrix_shape=_out_by_in)
QUADRATIC = Population("quadratic", QuadraticGaussianTask, scalar_output=True)
ICL = Population("icl", ICLTask)

POPULATIONS: MappingProxyType[str, Population] = MappingProxyType({p.name: p for p in (LINEAR, QUADRATIC, ICL)})
