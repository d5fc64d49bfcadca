"""Loss, gradient flow and Hessian of a :class:`~theory.spec.NetworkSpec` on a task (spec §1.1 Eq. 3, §3.1).

One entry function, :func:`derive`, composes the pieces and returns an immutable :class:`Derivation`:

* L(θ) — the task's exact loss ½E‖y − f‖² (:mod:`theory.tasks`);
* the gradient-flow vector field θ̇ = −∇_θ L (Eq. 3, no time constant, spec §0.4);
* optionally the Hessian ∇²L (the flow's Jacobian is −∇²L, spec §3.1).

Everything runs under a time bound (:func:`theory.timebound.time_bound`): a derivation that explodes raises
:class:`~theory.errors.SymbolicTimeout` instead of hanging.

>>> from theory.architectures import build
>>> from theory.tasks import LinearRegressionTask
>>> d = derive(build("linear-fc", d_in=1, d_out=1, width=1), LinearRegressionTask.whitened([3]))
>>> sp.factor(d.flow[0])
-u_{1}*(u_{1}*v_{1} - 3)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sympy as sp

from .errors import InputError
from .spec import NetworkSpec, latex_names
from .tasks import Task
from .timebound import DEFAULT_SECONDS, time_bound


@dataclass(frozen=True, eq=False)
class Derivation:
    """The result of :func:`derive`: symbolic loss, gradient, flow and (optional) Hessian, with timing."""

    spec: NetworkSpec
    task: Task
    loss: sp.Expr
    gradient: sp.Matrix
    hessian: sp.Matrix | None
    seconds: float

    @property
    def params(self) -> tuple[sp.Symbol, ...]:
        return self.spec.params

    @property
    def flow(self) -> sp.Matrix:
        """θ̇ = −∇L, one entry per parameter in layout order."""
        return -self.gradient

    def flow_equations(self) -> list[sp.Eq]:
        t = sp.Symbol("t", real=True)
        return [sp.Eq(sp.Derivative(sp.Function(p.name)(t), t), rhs) for p, rhs in zip(self.params, self.flow,
                                                                                             strict=True)]

    def latex(self) -> str:
        """LaTeX of the loss and of the flow equations (dot notation)."""
        names = latex_names()
        lines = [r"L(\theta) = " + sp.latex(self.loss, symbol_names=names)]
        for p, rhs in zip(self.params, self.flow, strict=True):
            lines.append(r"\dot{" + names[p] + "} = " + sp.latex(sp.factor_terms(rhs), symbol_names=names))
        return "\n".join(lines)


def derive(spec: NetworkSpec, task: Task, *, hessian: bool = False,
           timeout: float | None = DEFAULT_SECONDS) -> Derivation:
    """Derive L, ∇L (and ∇²L when ``hessian``) for ``spec`` on ``task`` within ``timeout`` seconds."""
    if not isinstance(spec, NetworkSpec):
        raise InputError(f"spec={type(spec).__name__}: must be a NetworkSpec (from theory.build)")
    if not callable(getattr(task, "loss", None)):
        raise InputError(f"task={type(task).__name__}: must be a theory task (LinearRegressionTask, "
                         "QuadraticGaussianTask, ICLTask, Dataset, ICLDataset)")
    start = time.perf_counter()
    with time_bound(timeout, f"derivation of {spec.name} on {type(task).__name__}"):
        loss = task.loss(spec)
        params = spec.params
        grad = sp.Matrix([sp.diff(loss, p) for p in params])
        hess = None
        if hessian:
            n = len(params)
            hess = sp.zeros(n, n)
            for a in range(n):
                for b in range(a, n):
                    hess[a, b] = hess[b, a] = sp.diff(grad[a], params[b])
    return Derivation(spec, task, loss, grad, hess, time.perf_counter() - start)


def loss(spec: NetworkSpec, task: Task, *, timeout: float | None = DEFAULT_SECONDS) -> sp.Expr:
    """The loss L(θ) = ½E‖y − f‖² as a SymPy expression."""
    with time_bound(timeout, f"loss of {spec.name}"):
        return task.loss(spec)


def gradient_flow(spec: NetworkSpec, task: Task, *, timeout: float | None = DEFAULT_SECONDS) -> sp.Matrix:
    """The gradient-flow vector field θ̇ = −∇_θ L (Eq. 3)."""
    return derive(spec, task, timeout=timeout).flow


def hessian(spec: NetworkSpec, task: Task, *, timeout: float | None = DEFAULT_SECONDS) -> sp.Matrix:
    """The Hessian ∇²L (symmetric by construction: only the upper triangle is differentiated)."""
    return derive(spec, task, hessian=True, timeout=timeout).hessian
