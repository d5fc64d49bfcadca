"""Stiffness fallback: finish one member with an implicit SciPy solver (Radau, BDF or LSODA).

Used by :func:`numerics.integrate.flow.gradient_flow` once Hairer's test says DOP853 is stability-limited. The
Jacobian of F = −∇L is the negative Hessian; it is approximated by forward differences of the gradient, all n
perturbed points in ONE batched call of ``fun`` (δ_i = √eps·max(|θ_i|, 1e-8·max(1, ‖θ‖_∞))), so a Jacobian
costs n + 1 gradient evaluations but one Python call (LSODA estimates its own Jacobian). The solver's step API
is driven directly so that every accepted step is recorded and the flow's convergence rule, ``max_steps`` and
the wall-clock budget apply.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass

import numpy as np

from .dop853 import GradFun, evaluate


@dataclass
class StiffOutput:
    """One member's stiff continuation: every accepted step (t, L, ‖∇L‖, θ), why it stopped and its cost.

    ``status`` is a final status of :mod:`numerics.integrate.result`, or ``"explicit"``: handed back to DOP853
    (cheaper there again) with the suggested step ``h_next``."""

    t: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    theta: np.ndarray
    status: str
    message: str
    evaluations: int
    rejected: int = 0
    h_next: float = float("nan")


def continue_stiff(fun: GradFun, theta: np.ndarray, t0: float, t_max: float, *, rtol: float, atol: float,
                   gtol: float, ftol: float, l_scale: float, method: str, time_budget_s: float | None,
                   max_steps: int) -> StiffOutput:
    """Integrate one member from (t0, θ) to t_max with ``method``; records every accepted step."""
    start = _time.perf_counter()
    n = theta.size
    count = [0]

    def rhs(_t, y):
        count[0] += 1
        return -evaluate(fun, y[None, :])[1][0]

    def jac(_t, y):
        # Forward differences; the step balances truncation O(δ) against round-off O(eps/δ).
        d = np.sqrt(np.finfo(float).eps) * np.maximum(np.abs(y), 1e-8 * max(1.0, float(np.abs(y).max())))
        pts = np.vstack([y[None, :], y[None, :] + np.diag(d)])
        g = evaluate(fun, pts)[1]
        count[0] += n + 1
        return -((g[1:] - g[0]) / d[:, None]).T

    kwargs = {"jac": jac} if method in ("Radau", "BDF") else {}
    import scipy.integrate  # here, on the first stiff switch: importing it costs every command ≈ 0.3 s at start-up

    solver = getattr(scipy.integrate, method)(rhs, t0, theta.copy(), t_max, rtol=rtol, atol=atol, **kwargs)
    ts, ls, gs, ths = [], [], [], []
    l_old = evaluate(fun, theta[None, :])[0][0]
    count[0] += 1
    status, message = "t_max", f"reached t_max = {t_max:g}"
    steps = 0
    while True:
        if time_budget_s is not None and _time.perf_counter() - start > time_budget_s:
            status, message = "budget", "time budget exhausted in the stiff solver"
            break
        if steps >= max_steps:
            status, message = "budget", "max_steps used in the stiff solver"
            break
        msg = solver.step()
        steps += 1
        if solver.status == "failed":
            bad = not np.isfinite(solver.y).all()
            status, message = ("nan" if bad else "step_too_small"), f"{method} failed: {msg}"
            break
        loss, grad = evaluate(fun, solver.y[None, :])
        count[0] += 1
        if not (np.isfinite(loss[0]) and np.isfinite(grad).all()):
            status, message = "nan", f"non-finite loss/gradient at t = {solver.t:.6g}"
            break
        gn = float(np.linalg.norm(grad[0]))
        ts.append(solver.t)
        ls.append(float(loss[0]))
        gs.append(gn)
        ths.append(solver.y.copy())
        if gtol > 0 and gn <= gtol * np.sqrt(l_scale) and abs(l_old - loss[0]) <= ftol * l_scale:
            status = "converged"
            message = f"|grad L| = {gn:.3g} <= gtol*sqrt(L_scale) and |dL| <= ftol*L_scale at t = {solver.t:.6g}"
            break
        l_old = loss[0]
        if solver.status == "finished":
            break
    return StiffOutput(t=np.array(ts), loss=np.array(ls), grad_norm=np.array(gs),
                       theta=np.array(ths).reshape(len(ts), n), status=status, message=message,
                       evaluations=count[0])


class ConcreteStrategy:
    """A strategy that is its own choice for every n and, once a member is stiff, always takes it over (the
    opposite of :class:`~.stiff_methods.AutoStiff`, which may resolve to another one or stay explicit)."""

    def resolve(self, n: int):
        return self

    def stay_explicit(self, left: np.ndarray, spent: np.ndarray, gtol: float) -> np.ndarray:
        return np.zeros(np.shape(left), dtype=bool)


@dataclass(frozen=True)
class ScipyImplicit(ConcreteStrategy):
    """Strategy "Radau", "BDF" or "LSODA": finish each stiff member alone with :func:`continue_stiff`.

    Radau and BDF get the batched forward-difference Jacobian (n + 1 gradients in one call per Jacobian, an n×n
    matrix); LSODA builds its own, one gradient call per column. Meant for small n (docs: module docstring of
    :mod:`numerics.integrate.flow`).
    """

    label: str

    def finish(self, fun: GradFun, theta: np.ndarray, t0: np.ndarray, h0: np.ndarray, t_max: float, *,
               rtol: float, atol: float, gtol: float, ftol: float, l_scale: np.ndarray,
               time_budget_s: float | None, max_steps: np.ndarray, explicit=None) -> list[StiffOutput]:
        """The members θ (m, n) one after the other from their times t0 (``h0`` and ``explicit`` unused: SciPy
        picks its own steps and never hands back)."""
        start = _time.perf_counter()
        out = []
        for b in range(theta.shape[0]):
            remaining = None if time_budget_s is None else time_budget_s - (_time.perf_counter() - start)
            out.append(continue_stiff(fun, theta[b], float(t0[b]), t_max, rtol=rtol, atol=atol, gtol=gtol,
                                      ftol=ftol, l_scale=float(l_scale[b]), method=self.label,
                                      time_budget_s=remaining, max_steps=int(max_steps[b])))
        return out
