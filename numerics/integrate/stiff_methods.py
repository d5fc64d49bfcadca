"""Registry of the stiffness strategies of :func:`numerics.integrate.flow.gradient_flow` (``stiff_method``).

Every entry has ``label`` (the suffix of the member's ``method``, e.g. ``"DOP853+krylov"``), ``resolve(n)`` (the
concrete strategy for n parameters) and ``finish(fun, theta (m, n), t0, h0, t_max, ...)`` (integrate the m
members that left the DOP853 batch, returning one :class:`~numerics.integrate.stiff.StiffOutput` each).

* ``"Radau"``, ``"BDF"``, ``"LSODA"``: SciPy's implicit solvers, one member at a time, with a dense n×n
  finite-difference Jacobian (:mod:`numerics.integrate.stiff`);
* ``"krylov"``: batched exponential Rosenbrock with Lanczos Hessian-vector products, no n×n matrix
  (:mod:`numerics.integrate.krylov`);
* ``"auto"``: :class:`AutoStiff`, the dense solver up to ``dense_max_n`` parameters, Krylov above.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .krylov import ExpRosenbrock
from .stiff import ScipyImplicit


@dataclass(frozen=True)
class AutoStiff:
    """Choose by the number of parameters n: ``small`` for n ≤ ``dense_max_n``, else ``large``.

    A dense Jacobian costs n + 1 gradients and O(n²) memory (LSODA: n separate calls, O(n³) per factorisation);
    the Krylov step costs O(sqrt(h·λ_max)) gradients and O(k·n) memory whatever n (threshold measured in
    benchmarks/bench_stiff.py).
    """

    small: object
    large: object
    dense_max_n: int
    explicit_factor: float = 3.0
    label: str = "auto"

    def resolve(self, n: int):
        return self.small if n <= self.dense_max_n else self.large

    def stay_explicit(self, left: np.ndarray, spent: np.ndarray, gtol: float) -> np.ndarray:
        """Stay with DOP853 when the run goes to t_max (``gtol = 0``) and finishing it explicitly at the stability
        limit costs at most ``explicit_factor`` times the gradients (``left``) the member has used so far
        (``spent``): a bounded extra cost that keeps the batched 8th-order method (measured on claim C18, where the
        first trigger comes at left/spent = 1.1–2.1 and DOP853 alone is 3x faster in wall time than the switch).
        Not with ``gtol > 0``: at the stability limit the stiff components carry noise of
        ~rtol·|θ|·λ_max in the gradient, which can keep ‖∇L‖ above gtol forever."""
        return (gtol == 0) & (np.asarray(left) <= self.explicit_factor * np.asarray(spent))


STIFF_METHODS = {
    "Radau": ScipyImplicit("Radau"),
    "BDF": ScipyImplicit("BDF"),
    "LSODA": ScipyImplicit("LSODA"),
    "krylov": ExpRosenbrock(),
}
# Small n: BDF with the batched finite-difference Jacobian. LSODA was 1.7x faster on the quadratic test bed (n = 40,
# 1.0 s vs 1.7 s) but exhausted 200 000 steps on cubic width 3 seed 1 (n = 9), which BDF finishes in 1.2 s
# (benchmarks/RESULTS.md, "Stiffness").
STIFF_METHODS["auto"] = AutoStiff(small=STIFF_METHODS["BDF"], large=STIFF_METHODS["krylov"], dense_max_n=100)
