"""Immutable results of :func:`gradient_flow` and :func:`gradient_descent` (one object per batch).

Modelled on SciPy's ``solve_ivp`` result: named fields, a status per member and a message. A batch of B
trajectories gives one :class:`IntegrationResult` holding B :class:`MemberTrajectory` objects, because the members
have their own (ragged) time grids. All arrays are read-only.

Status values (field ``status`` of a member):

* ``"converged"``: the convergence rule of the integrator fired (see :mod:`numerics.integrate.flow`);
* ``"t_max"``: reached ``t_max`` (or ``n_steps`` for gradient descent);
* ``"budget"``: ``max_steps`` or ``time_budget_s`` exhausted before ``t_max``;
* ``"diverged"``: gradient descent only, the loss exceeded ``divergence_factor`` × its initial value;
* ``"nan"``: the loss or gradient became NaN/inf (the last finite state is kept);
* ``"step_too_small"``: the adaptive step collapsed below 10 ulp of t (gradient flow only).

``status_time``, ``status_loss`` and ``status_step`` say where the status was reached (for ``"diverged"`` and
``"nan"``: the offending loss and step; the recorded arrays stop at the last good state).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import numpy as np

STATUSES = ("converged", "t_max", "budget", "diverged", "nan", "step_too_small")


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class MemberTrajectory:
    """One member of a batch.

    Attributes
    ----------
    t, loss, grad_norm : (m,) arrays
        Time, loss L and gradient norm ‖∇L‖ at every recorded point (gradient flow: every accepted step, so
        dL/dt = −grad_norm² exactly there; gradient descent: every ``record_every``-th step). ``t[0] = 0``.
    t_saved, theta : (k,) and (k, n) arrays
        Times at which θ was stored and θ there (always includes the first and the last recorded point).
    step_index : (m,) int array
        Gradient flow: accepted-step number of each record (0 = initial point). Gradient descent: GD step number.
    status, message, status_time, status_loss, status_step
        Why and where the member stopped (see module docstring).
    gradient_evaluations : int
        Number of evaluations of ``fun`` on this member (including rejected stages and the stiff fallback).
    n_accepted, n_rejected : int
        Accepted / rejected steps (gradient descent: n_accepted = number of steps, n_rejected = 0).
    method : str
        ``"DOP853"``, ``"DOP853+<strategy>"`` (stiff strategy "Radau", "BDF", "LSODA" or "krylov" engaged at
        ``stiff_switch_time``; with ``stiff_method="auto"`` the concrete one it chose) or ``"GD"``.
    """

    t: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    t_saved: np.ndarray
    theta: np.ndarray
    step_index: np.ndarray
    status: str
    message: str
    status_time: float
    status_loss: float
    status_step: int
    gradient_evaluations: int
    n_accepted: int
    n_rejected: int
    method: str
    stiff_switch_time: float | None = None

    def __post_init__(self) -> None:
        for name in ("t", "loss", "grad_norm", "t_saved", "theta", "step_index"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} not one of {STATUSES}")

    @property
    def theta_final(self) -> np.ndarray:
        """θ at the last recorded point."""
        return self.theta[-1]

    @property
    def loss_final(self) -> float:
        return float(self.loss[-1])

    @property
    def t_final(self) -> float:
        return float(self.t[-1])

    @property
    def success(self) -> bool:
        """True for ``"converged"`` and ``"t_max"``."""
        return self.status in ("converged", "t_max")


@dataclass(frozen=True)
class IntegrationResult:
    """Result of one batched run: ``members[b]`` is trajectory b (also ``result[b]``).

    ``kind`` is ``"gradient_flow"`` or ``"gradient_descent"``; ``options`` records the tolerances / learning rate
    used; ``seconds`` is the wall-clock time of the whole call.  ``frame`` is None when the stored θ are the
    network's own; else the run integrated an equivalent narrower network (:class:`numerics.UnitReduction`) and
    ``frame.lift(b, theta)`` maps member b's θ back: :meth:`lifted` gives the result in the network's own
    coordinates (t, loss and ‖∇L‖ are the same in both).
    """

    members: tuple[MemberTrajectory, ...]
    kind: str
    seconds: float
    options: Mapping = field(default_factory=dict)
    frame: Any = None

    def __post_init__(self) -> None:
        opts = {k: (_frozen(np.array(v)) if isinstance(v, np.ndarray) else v) for k, v in dict(self.options).items()}
        object.__setattr__(self, "options", MappingProxyType(opts))
        object.__setattr__(self, "members", tuple(self.members))

    def __len__(self) -> int:
        return len(self.members)

    def lifted(self) -> IntegrationResult:
        """Every member with θ in the network's own coordinates (``self`` when it has no ``frame``)."""
        if self.frame is None:
            return self
        return replace(self, members=tuple(replace(m, theta=self.frame.lift(b, m.theta))
                                           for b, m in enumerate(self.members)), frame=None)

    def __getitem__(self, b: int) -> MemberTrajectory:
        return self.members[b]

    def __iter__(self):
        return iter(self.members)

    @property
    def status(self) -> tuple[str, ...]:
        return tuple(m.status for m in self.members)

    @property
    def is_flow(self) -> bool:
        """Gradient flow (not gradient descent): dL/dt = −‖∇L‖² holds exactly at the recorded points and θ(t) has
        a dense output between them (:mod:`numerics.integrate.dense`)."""
        return self.kind == "gradient_flow"

    @property
    def success(self) -> bool:
        return all(m.success for m in self.members)

    @property
    def theta_final(self) -> np.ndarray:
        """(B, n) final parameters."""
        return np.stack([m.theta_final for m in self.members])

    @property
    def loss_final(self) -> np.ndarray:
        return np.array([m.loss_final for m in self.members])

    @property
    def t_final(self) -> np.ndarray:
        return np.array([m.t_final for m in self.members])

    @property
    def gradient_evaluations(self) -> int:
        """Total per-member gradient evaluations over the batch."""
        return int(sum(m.gradient_evaluations for m in self.members))

    @property
    def message(self) -> str:
        counts: dict[str, int] = {}
        for m in self.members:
            counts[m.status] = counts.get(m.status, 0) + 1
        return ", ".join(f"{k}: {v}" for k, v in counts.items())
