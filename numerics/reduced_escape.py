"""Semi-analytic staircase by escape-and-join: the reduced dynamics of spec §3.3 for any unit-based architecture.

The units are split into escaped units N (initially none) and dormant units D, and the full flow of H units is
replaced by a one-way coupled reduced system (spec §3.3: a dormant unit sees the residual of the network that has
escaped; Thm 3: zero units are invariant, so N evolves on its own):

    Ṅ = −∇_N L(N)                 the escaped units alone, with their full nonlinear dynamics;
    ḋ_i = −∇_{d_i} L(N ⊕ d_i)     each dormant unit as if it were alone with N.

Dormant units neither see each other nor act back on N; those terms are O(‖θ_D‖^{2p}) relative to the kept ones.
A dormant escape starts (onset) when the dormant units together have lowered the loss by ``onset``·L(N):
L(N ⊕ D) ≤ (1 − onset)·L(N). The units whose norm is then ≥ ``active_rel`` × the largest dormant norm (the spec §1.4
active-unit rule) join N, and the integration goes on. Drops are internal to N too (an escape along a direction of
N's own saddle). The predicted loss curve is L(N ⊕ D)(t); its plateau levels and midpoint-crossing drop times
(spec §0.7) come from :func:`numerics.detect_staircase`.

Validity: the reduction is exact in the limit ε → 0 when units separate (quadratic, x·tanh x, cubic, attention:
one unit escapes per drop) or rays separate (ReLU: all units of one ray escape together). The onset shifts each
drop by O(1) in time, relative O(ε^{p−1}) for degree p ≥ 2 and O(1/ln(1/ε)) for p = 1. When every unit reaches
the first onset together (linear-in-u nets separate *directions*, not units: linear conv, tanh with equal units),
N is the whole network from then on and only the first drop is predicted; ``status`` is ``"no_unit_separation"``.

Example
-------
>>> import numpy as np, numerics
>>> arch = numerics.build_architecture("quadratic", d_in=2, width=4)
>>> task = numerics.QuadraticGaussianTask(np.diag([2.0, -1.0]))
>>> th0 = numerics.init_params(arch, 1e-3, seed=0)[0]
>>> r = reduced_staircase(arch, task, th0, t_max=5e4)
>>> len(r.drop_times), round(r.drop_times[0], 1), round(r.levels[-1], 6)  # the full flow: one drop at 194.05
(1, 194.0, 1.333333)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .architectures import Architecture
from .complexity import unit_params
from .errors import InputError
from .objective import loss_and_grad
from .plateaus import detect_staircase

REDUCED_STATUSES = ("complete", "no_unit_separation", "max_drops")


@dataclass(frozen=True)
class ReducedStage:
    """One escape: onset t_η, drop time (midpoint crossing), levels before/after, the units that escaped."""

    onset_time: float
    drop_time: float
    level_before: float
    level_after: float
    escaped_units: tuple[int, ...]


@dataclass(frozen=True)
class ReducedStaircase:
    """Predicted staircase of one member: ``levels`` L_0 > L_1 > …, ``drop_times`` t_1 < t_2 < …, the stages, and
    ``status`` (one of :data:`REDUCED_STATUSES`) with a ``message`` saying why the prediction stopped; ``t_end``
    is where the reduced curve ends (t_max, or earlier once the loss is below ``floor``·L_0)."""

    levels: tuple[float, ...]
    drop_times: tuple[float, ...]
    stages: tuple[ReducedStage, ...]
    status: str
    message: str
    t_end: float


def _pack_rows(arch_w: Architecture, rows: np.ndarray) -> np.ndarray:
    """Inverse of :func:`numerics.complexity.unit_params`: unit rows (B, w, n_unit) → θ (B, n_params)."""
    out, offset = {}, 0
    for name, shape in arch_w.blocks:
        size = math.prod(shape[1:])
        out[name] = rows[:, :, offset: offset + size].reshape((rows.shape[0], *shape))
        offset += size
    return arch_w.pack(out)


class _Narrow:
    """Networks of the same architecture and sizes with a different width (cached)."""

    def __init__(self, arch: Architecture):
        self.arch = arch
        self.cache: dict[int, Architecture] = {}

    def __call__(self, width: int) -> Architecture:
        if width not in self.cache:
            self.cache[width] = self.arch.resized(width=width)
        return self.cache[width]


def _loss(narrow: _Narrow, task: Any, rows: np.ndarray) -> float:
    a = narrow(rows.shape[0])
    return float(loss_and_grad(a, task, _pack_rows(a, rows[None]))[0][0])


class _Reduced:
    """Right-hand side of the one-way coupled reduced system for a split (narrow units N, dormant units D):

    Ṅ = −∇_N L(N)                 (the narrow network alone: zero units are invariant, Thm 3)
    ḋ_i = −∇_{d_i} L(N ⊕ d_i)     (each dormant unit sees the narrow network, not the other dormant units)
    """

    def __init__(self, narrow: _Narrow, task: Any, n_narrow: int, n_dormant: int, n_unit: int):
        self.narrow, self.task = narrow, task
        self.n_s, self.n_d, self.n_u = n_narrow, n_dormant, n_unit
        self.arch_s = narrow(n_narrow) if n_narrow else None
        self.arch_m = narrow(n_narrow + 1)
        self.arch_all = narrow(n_narrow + n_dormant)
        self._last: tuple[np.ndarray, tuple[float, float]] | None = None

    def split(self, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = self.n_s * self.n_u
        return y[:k].reshape(self.n_s, self.n_u), y[k:].reshape(self.n_d, self.n_u)

    def narrow_loss_grad(self, s_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """L(N) and ∇_N L(N) for a batch of narrow states (B, n_s, n_u)."""
        loss, g = loss_and_grad(self.arch_s, self.task, _pack_rows(self.arch_s, s_rows))
        return loss, unit_params(self.arch_s, g)

    def __call__(self, _t: float, y: np.ndarray) -> np.ndarray:
        s_rows, d_rows = self.split(y)
        out = []
        if self.n_s:
            out.append(-self.narrow_loss_grad(s_rows[None])[1][0].ravel())
        if self.n_d:
            base = np.broadcast_to(s_rows, (self.n_d, self.n_s, self.n_u))
            rows = np.concatenate([base, d_rows[:, None, :]], axis=1)
            g = unit_params(self.arch_m, loss_and_grad(self.arch_m, self.task, _pack_rows(self.arch_m, rows))[1])
            out.append(-g[:, self.n_s, :].ravel())
        return np.concatenate(out)

    def state_losses(self, y: np.ndarray, zero_loss: float) -> tuple[float, float]:
        """(L(N), L(N ⊕ D)) at one state, remembered for the last state: the onset and the convergence events
        are evaluated at the same points."""
        if self._last is None or not np.array_equal(self._last[0], y):
            l_s, l_all = self.losses(y[None], zero_loss)
            self._last = (y.copy(), (float(l_s[0]), float(l_all[0])))
        return self._last[1]

    def losses(self, ys: np.ndarray, zero_loss: float) -> tuple[np.ndarray, np.ndarray]:
        """(L(N), L(N ⊕ D)) at a batch of states ys (m, dim)."""
        m = ys.shape[0]
        s_rows = ys[:, : self.n_s * self.n_u].reshape(m, self.n_s, self.n_u)
        all_rows = ys.reshape(m, self.n_s + self.n_d, self.n_u)
        l_all = loss_and_grad(self.arch_all, self.task, _pack_rows(self.arch_all, all_rows))[0]
        l_s = self.narrow_loss_grad(s_rows)[0] if self.n_s else np.full(m, zero_loss)
        return np.asarray(l_s), np.asarray(l_all)


@dataclass
class _EulerSolution:
    t: np.ndarray
    y: np.ndarray
    t_events: list
    y_events: list
    status: int = 0
    message: str = ""


def _euler(system: _Reduced, t0: float, t_max: float, y0: np.ndarray, step: float, event, done,
           record: int = 20):
    """Explicit Euler (= gradient descent with learning rate ``step``) with a sign-change event check per step and
    a convergence check (``done(t, y) <= 0``) every ``record`` steps."""
    n = int(math.ceil((t_max - t0) / step))
    ts, ys = [t0], [y0]
    y, g_prev = y0.copy(), event(t0, y0) if event else None
    for k in range(1, n + 1):
        y = y + step * system(0.0, y)
        t = t0 + k * step
        if not np.all(np.isfinite(y)):
            return _EulerSolution(np.array(ts), np.array(ys).T, [np.array([])], [np.array([])], -1,
                                  f"non-finite state (step {step:g} too large?)")
        if event is not None:
            g = event(t, y)
            if g_prev > 0 >= g:
                ts.append(t)
                ys.append(y)
                return _EulerSolution(np.array(ts), np.array(ys).T, [np.array([t])], [np.array([y])])
            g_prev = g
        if k % record == 0 or k == n:
            ts.append(t)
            ys.append(y.copy())
            if done(t, y) <= 0:
                break
    return _EulerSolution(np.array(ts), np.array(ys).T, [np.array([])], [np.array([])])


#: The fixed-step methods of :func:`reduced_staircase` (any other ``method`` is a ``solve_ivp`` method): the name and
#: the stepper ``(system, t0, t_max, y0, step, event, done) -> solution`` with ``solve_ivp``'s fields.
FIXED_STEP: MappingProxyType[str, Callable[..., _EulerSolution]] = MappingProxyType({"euler": _euler})


def _staircase(curve_t: list[float], curve_l: list[float]):
    ct, cl = np.asarray(curve_t), np.asarray(curve_l)
    keep = np.concatenate([[True], np.diff(ct) > 0])
    return detect_staircase(ct[keep], cl[keep])


def _drops_so_far(curve_t: list[float], curve_l: list[float]) -> int:
    """Drops complete in the curve so far (an escape onset can fall inside the previous drop, so joins are not
    drops one for one)."""
    return len(_staircase(curve_t, curve_l).drop_times)


def reduced_staircase(arch: Architecture, task: Any, theta0, *, t_max: float, max_drops: int | None = None,
                      onset: float = 1e-3, active_rel: float = 0.1, rtol: float = 1e-9,
                      method: str = "LSODA", step: float = 0.01, floor: float = 1e-10) -> ReducedStaircase:
    """Predict the loss staircase of one member with the reduced escape-and-join dynamics (module docstring).

    Parameters
    ----------
    arch, task : the network (unit-based: every block's row i belongs to unit i) and its task.
    theta0 : (n_params,) initial weights (one member).
    t_max : end of the predicted curve.
    max_drops : keep at most this many drops (None: all); the integration stops at the first escape onset after
        that many drops are complete (status "max_drops"), so later, slower escapes cost nothing.
    onset : a dormant escape starts when the dormant units lower the loss by onset·L(N) (module docstring).
    active_rel : units that join N have norm ≥ active_rel × the largest dormant norm then (spec §1.4 rule).
    rtol : tolerance of the reduced integration (atol is 1e-6·rtol·max|θ_0|, below every dormant unit's scale).
    method : a ``scipy.integrate.solve_ivp`` method ("LSODA", the default, switches to BDF once the narrow network
        sits at a minimum, where the explicit step is stability-bound for a horizon ∝ 1/ε), or "euler": explicit
        steps of size ``step``, i.e. gradient descent with learning rate ``step`` (ReLU nets: their field is
        discontinuous where a pre-activation changes sign, which stalls adaptive methods; error O(step)).
    floor : the curve stops once the reduced loss is below floor·L_0 (the fit is complete).
    """
    if arch.family.shared_blocks:
        raise InputError(f"{arch.name}: escape-and-join needs a one-hidden-layer unit decomposition (no shared "
                         f"block such as {arch.family.shared_blocks[0]})")
    th = np.asarray(theta0, dtype=float).reshape(-1)
    if th.size != arch.n_params or not np.all(np.isfinite(th)):
        raise InputError(f"theta0: need {arch.n_params} finite values, got shape {np.shape(theta0)}")
    if not (np.isfinite(t_max) and t_max > 0):
        raise InputError(f"t_max={t_max}: must be finite and > 0")
    if not (0 < onset < 0.5 and 0 < active_rel < 1):
        raise InputError(f"onset={onset}, active_rel={active_rel}: need 0 < onset < 0.5 and 0 < active_rel < 1")
    fixed = FIXED_STEP.get(method)
    if fixed is not None and not (np.isfinite(step) and 0 < step < t_max):
        raise InputError(f"step={step}: must lie in (0, t_max)")
    if not (np.isfinite(rtol) and 0 < rtol < 1):
        raise InputError(f"rtol={rtol}: must lie in (0, 1)")
    narrow = _Narrow(arch)
    rows = unit_params(arch, th[None])[0]
    H, n_u = rows.shape
    zero_loss = _loss(narrow, task, np.zeros_like(rows))
    atol = 1e-6 * rtol * max(float(np.abs(rows).max()), 1e-300)
    n_idx: list[int] = []
    d_idx = list(range(H))
    y, t = rows.ravel().copy(), 0.0
    curve_t, curve_l = [0.0], [_loss(narrow, task, rows)]
    joins: list[tuple[float, tuple[int, ...]]] = []
    separated, enough = True, False
    while t < t_max:
        system = _Reduced(narrow, task, len(n_idx), len(d_idx), n_u)

        def done(_t, yy, system=system):
            return system.state_losses(yy, zero_loss)[1] - floor * curve_l[0]

        done.terminal = True
        events = []
        if d_idx:
            def event(_t, yy, system=system):
                l_s, l_all = system.state_losses(yy, zero_loss)
                return l_all - (1 - onset) * l_s

            event.terminal, event.direction = True, -1
            events.append(event)
        if fixed is not None:
            sol = fixed(system, t, t_max, y, step, events[0] if events else None, done)
        else:
            from scipy.integrate import solve_ivp  # here: scipy.integrate costs every command ≈ 0.3 s at start-up

            sol = solve_ivp(system, (t, t_max), y, method=method, rtol=rtol, atol=atol, events=[*events, done])
        if sol.status == -1:
            raise InputError(f"reduced dynamics: integration failed at t = {sol.t[-1]:.6g} ({sol.message})")
        curve_t.extend(sol.t[1:].tolist())
        curve_l.extend(system.losses(sol.y[:, 1:].T, zero_loss)[1].tolist())
        if not (events and sol.t_events[0].size):
            break
        t, y = float(sol.t_events[0][0]), sol.y_events[0][0].copy()
        s_rows, d_rows = system.split(y)
        norms = np.linalg.norm(d_rows, axis=1)
        esc = norms >= active_rel * norms.max()
        new = [d_idx[k] for k in np.nonzero(esc)[0]]
        if not joins and len(new) == H and H > 1:
            separated = False
        joins.append((t, tuple(new)))
        if max_drops is not None and len(joins) > max_drops and _drops_so_far(curve_t, curve_l) >= max_drops:
            enough = True  # the next escape starts after the kept drops: the rest of the curve is not needed
            break
        n_idx += new
        d_idx = [d_idx[k] for k in np.nonzero(~esc)[0]]
        y = np.concatenate([s_rows.ravel(), d_rows[esc].ravel(), d_rows[~esc].ravel()])
    st = _staircase(curve_t, curve_l)
    # Units that do not separate leave only the first drop predicted (below), like max_drops = 1.
    keep = 1 if not separated else max_drops
    cut = keep is not None and (enough or len(st.drop_times) > keep)
    if cut:
        # Keep the curve to half way along the last kept plateau: it ends where the next drop (or, stopped early, the
        # next escape's onset, which for an abrupt q >= 2 escape is all but the drop) begins, and the last level
        # must be read on the plateau (here and by a comparison run to t_end).
        t_next = t if enough else st.drop_times[keep]
        t_cut = 0.5 * (st.drop_times[keep - 1] + t_next)
        n_keep = int(np.searchsorted(curve_t, t_cut, side="right"))
        curve_t, curve_l = curve_t[:n_keep], curve_l[:n_keep]
        st = _staircase(curve_t, curve_l)
    ct = np.asarray(curve_t)
    levels, drops = list(map(float, st.levels)), list(map(float, st.drop_times))
    status, message = "complete", ("integrated to t_max" if ct[-1] >= t_max * (1 - 1e-12)
                                   else f"loss below {floor:g}·L_0 at t = {ct[-1]:.6g}: fit complete")
    if not separated:
        levels, drops = levels[:2], drops[:1]
        status, message = "no_unit_separation", (
            "every unit escaped at the first onset (direction separation, not unit separation): later drops happen "
            "inside the same units and this unit-level reduction does not predict them; first drop only")
    if cut and status == "complete":
        levels, drops = levels[: max_drops + 1], drops[:max_drops]
        status, message = "max_drops", (f"kept the first {max_drops} drops (max_drops); curve kept to t = "
                                         f"{ct[-1]:.6g}" + (f" (the next escape's onset is t = {t:.6g})" if enough
                                                            else ""))
    stages = []
    for k, td in enumerate(drops):
        prior = [j for j in joins if j[0] <= td]
        stages.append(ReducedStage(prior[-1][0] if prior else math.nan, td, levels[k], levels[k + 1],
                                   prior[-1][1] if prior else ()))
    return ReducedStaircase(tuple(levels), tuple(drops), tuple(stages), status, message, float(ct[-1]))
