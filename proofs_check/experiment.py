"""One batched simulation with everything the figure claims read off it: the loss staircase (plateau levels and
drop times, spec §0.7) and the effective width over time (spec §1.4) per seed.

Gradient flow (batched DOP853) is the default; ReLU nets use gradient descent with a small step instead, because
their vector field is discontinuous where a preactivation changes sign on a sample, which makes an adaptive
high-order method crawl (measured: 165 000 gradient evaluations for t = 5 on a 20-unit ReLU net), while GD with
η = 0.01 follows the same piecewise-smooth flow to O(η).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

import numerics
from numerics.complexity import ComplexityTrace, complexity_along


@dataclass(frozen=True)
class Experiment:
    """The simulation result, the staircase and the effective-width trace of each member."""

    arch: Any
    task: Any
    result: Any
    staircases: tuple
    widths: tuple[ComplexityTrace, ...]
    init_scale: float

    def theta_at(self, member: int, t: float) -> np.ndarray:
        """θ (1, n) at the saved time closest to t."""
        m = self.result.members[member]
        return m.theta[int(np.argmin(np.abs(m.t_saved - t)))][None]

    def width_at(self, member: int, t: float) -> int:
        """Effective width at the saved time closest to t."""
        w = self.widths[member]
        return int(w.effective_width[int(np.argmin(np.abs(w.t - t)))])

    def final_width(self, member: int) -> int:
        return int(self.widths[member].effective_width[-1])

    def plateau_times(self, member: int) -> list[float]:
        """The middle (in log-time: geometric mean of the two drop times) of each plateau between drops, then the
        last saved time: where the saddles visited and the end point are read."""
        drops = list(self.staircases[member].drop_times)
        mids = [float(np.sqrt(a * b)) for a, b in zip(drops[:-1], drops[1:], strict=False)]
        return mids + [float(self.result.members[member].t_saved[-1])]

    def plateau_widths(self, member: int) -> list[int]:
        """Effective width in the middle of each plateau between drops, then at the end."""
        times = self.plateau_times(member)
        return [self.width_at(member, t) for t in times[:-1]] + [self.final_width(member)]


# How run_experiment trains, by ``method``: gradient flow at ``rtol``, or gradient descent at ``lr`` (θ saved every
# 20 steps at least: a run of t_max/lr steps).
RUNS: MappingProxyType[str, Callable[..., Any]] = MappingProxyType({
    "flow": lambda fun, th0, t_max, *, rtol, lr, save_every: numerics.gradient_flow(
        fun, th0, t_max, rtol=rtol, save_every=save_every),
    "gd": lambda fun, th0, t_max, *, rtol, lr, save_every: numerics.gradient_descent(
        fun, th0, lr, t_max=t_max, record_every=1, save_every=max(save_every, 20)),
})


def run_experiment(arch, task, init_scale: float, *, seeds: int = 1, seed: int = 0, t_max: float,
                   method: str = "flow", lr: float = 0.01, theta0: np.ndarray | None = None,
                   rtol: float = 1e-10, save_every: int = 1, levels=None) -> Experiment:
    """Simulate ``seeds`` members from iid N(0, ε²) weights (or ``theta0``) and analyse each one."""
    th0 = numerics.init_params(arch, init_scale, seed=seed, n_seeds=seeds) if theta0 is None else theta0

    def fun(t):
        return numerics.loss_and_grad(arch, task, t)

    if method not in RUNS:
        raise numerics.InputError(f"method: {method!r} is not one of {', '.join(RUNS)}")
    res = RUNS[method](fun, th0, t_max, rtol=rtol, lr=lr, save_every=save_every)
    # gradient flow locates drops on its dense output (fun); descent on its recorded steps
    dense = fun if res.is_flow else None
    staircases = tuple(numerics.staircase_from_result(res, m, fun=dense, levels=levels) for m in range(th0.shape[0]))
    widths = tuple(complexity_along(arch, res, task, member=m) for m in range(th0.shape[0]))
    return Experiment(arch, task, res, staircases, widths, init_scale)


def plot_experiment(exp: Experiment, title: str, predicted_levels=None, *, log_time: bool = True):
    """Two panels: the loss staircase (with predicted levels as dashed lines) and the effective width."""
    from .figures import new_figure

    fig, (ax1, ax2) = new_figure(2, width=4.6, height=3.3)
    for m, member in enumerate(exp.result.members):
        t = np.maximum(member.t, 1e-3) if log_time else member.t
        ax1.plot(t, member.loss, lw=1.4, label=f"seed {m}")
        for td in exp.staircases[m].drop_times:
            ax1.axvline(td, color="0.8", lw=0.7, zorder=0)
        w = exp.widths[m]
        ax2.step(np.maximum(w.t, 1e-3) if log_time else w.t, w.effective_width, where="post", lw=1.4)
    for lv in (predicted_levels if predicted_levels is not None else []):
        ax1.axhline(lv, ls="--", color="k", lw=0.8)
    for ax in (ax1, ax2):
        if log_time:
            ax.set_xscale("log")
        ax.set_xlabel("t (gradient-flow time)")
    ax1.set_ylabel("loss  ½E‖y−f‖²")
    ax2.set_ylabel(f"effective width ({exp.widths[0].measure})")
    ax1.set_title(title, fontsize=9)
    ax2.set_title(f"ε = {exp.init_scale:g}", fontsize=9)
    if predicted_levels is not None:
        ax1.plot([], [], "k--", lw=0.8, label="predicted levels")
    ax1.legend(fontsize=7)
    return fig
