"""Local laws at the origin saddle for the architectures whose unit has no Taylor series or whose saddle has no closed
form: the kinked (ReLU) units of the fc and conv families, and the merged-attention saddle with anisotropic tokens
(docs/theory.md §6.13).

A local law predicts the first drop from θ_0 and the task alone, without integrating the network; it is recorded
beside the reduced dynamics' drop times (which stay the prediction) as ``extra["local_law"]``, one time per seed.

* :func:`kinked_first_drop`: a unit that is positively homogeneous of degree 1 in u (φ(x; κu) = κ φ(x; u), κ ≥ 0)
  makes the frozen-residual one-unit equation homogeneous of degree 1 in θ_i, so each unit's direction moves
  independently of its size while its norm grows exponentially at a rate set by the direction. The law steps each
  unit's normalised map (a few scalars per unit, on the task's samples) and its norm: the one-unit growth less the
  residual's change along the units' directions, a multi-mode Saxe system that saturates the drop.
* :func:`merged_attention_mode`: the top mode of the dormant (value, key-query) block of the Hessian at θ = 0 of
  the merged attention and the curvature along it: one Saxe sigmoid, which for Λ ∝ I is Eq. 10 of [ICL].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

import guards
import numerics

# Frozen-residual field of a unit: ∇Φ(n) = −∇L(κn)/κ up to a relative O(κ²‖f(n)‖/‖y‖); at κ = 1e-9 the network's
# output κ² f(n) is below the rounding of y, so the residual is exactly y in float64.
FIELD_SCALE = 1e-9
# The law's curve counts as linear (one-unit growth, residual ≈ y) while the loss it has removed is below this
# fraction of the largest one-unit drop Φ_i²/(2G_ii): the rate reported is the fastest unit's there, and the peak of
# |dL/dt| that ends the curve is looked for only after it (an alignment transient is not the drop).
SWITCH_FRACTION = 1e-4
# The curve stops once |dL/dt| has fallen below SETTLED of its peak (the next plateau is reached), or at
# SATURATION_SPAN times the time of the peak (a deterministic bound: the level of a slowly settling drop, read as
# numerics.detect_staircase reads it, then depends on this span, inside the law's O(1/λ) budget).
SETTLED = 1e-8
SATURATION_SPAN = 4.0
# Guard on the number of steps (2000 time units at η = 0.01): units that still grow by then escape at a rate below
# ~ln(1/ε)/2000, far beyond any horizon the reduced dynamics or the simulation use.
MAX_STEPS = 200_000


@dataclass(frozen=True)
class KinkedEscape:
    """First drop of a degree-1 positively homogeneous unit from one θ_0 (docs/theory.md §6.13).

    Attributes
    ----------
    t_drop : float
        Midpoint crossing of the law's loss curve between its first two plateau levels (NaN: no drop).
    rate : float
        Growth rate ln‖n + η∇Φ(n)‖/η (→ 2Φ(n) as η → 0) of the fastest unit at the end of the linear phase.
    levels : tuple of float
        (L_0, L_1) of the law's curve, read as ``numerics.detect_staircase`` reads them.
    init_ratio : float
        Loss already removed at t = 0 relative to the largest one-unit drop (the small-init assumption needs ≪ 1).
    times, losses : (m,) arrays
        The law's loss curve on the gradient-descent grid (the exact loss of the law's state θ_i = ρ_i n_i).
    """

    t_drop: float
    rate: float
    levels: tuple[float, float]
    init_ratio: float
    times: np.ndarray
    losses: np.ndarray


def _unit_field(one, task):
    """∇Φ of the frozen-residual one-unit equation at directions n (rows of a width-1 θ)."""
    def field(n: np.ndarray) -> np.ndarray:
        return -numerics.loss_and_grad(one, task, FIELD_SCALE * n)[1] / FIELD_SCALE
    return field


def _features(one, task, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Φ_i = E[y·w_i] and G_ij = E[w_i·w_j] of the unit outputs w_i = f(x; n_i) (rows of one seed's directions)."""
    w = one.forward(n, task.x)  # (H, P, d_out)
    P = task.x.shape[0]
    phi = np.einsum("hpo,po->h", w, task.y) / P
    gram = np.einsum("hpo,kpo->hk", w, w) / P
    return phi, gram


def kinked_first_drop(arch, task, theta0: np.ndarray, step: float) -> list[KinkedEscape]:
    """The local law of a kinked unit (docs/theory.md §6.13) for each row of ``theta0`` (B, n_params).

    Parameters
    ----------
    arch : numerics.Architecture
        A unit network (fc or conv family) whose unit is positively homogeneous of degree 1 in u.
    task : numerics.Dataset
        The samples.
    theta0 : (B, n_params) array
        Initial weights, one row per seed.
    step : float
        Gradient-descent step η of the run the law predicts (the flow's field is discontinuous at the kinks, so
        the network is trained, simulated and predicted by gradient descent; η → 0 is the flow).

    Returns
    -------
    list of KinkedEscape
        One per row.

    Notes
    -----
    With the residual frozen at y, unit i = (v_i, u_i) follows gradient ascent of Φ(θ_i) = E[y·f(x; θ_i)], which is
    homogeneous of degree 2, so ∇Φ is of degree 1. A gradient-descent step θ ← θ + η∇Φ(θ) maps the direction
    n = θ/‖θ‖ to (n + η∇Φ(n))/‖n + η∇Φ(n)‖ and multiplies the norm by ‖n + η∇Φ(n)‖, whatever the norm: each unit's
    direction is stepped alone, and ln‖θ_i‖ is a sum of known increments (the linear phase, exact up to the
    neglected O(‖θ‖²) change of the residual). Along a fixed direction n* (∇Φ(n*) = λ n*, λ = 2Φ(n*)) the norm
    grows by 1 + ηλ per step, i.e. at the rate λ of the flow up to O(ηλ²).

    Saturation: the law keeps each unit's direction on its own normalised map and changes only the norms. With
    θ_i = ρ_i n_i and w_i = f(x; n_i), the network's loss is exactly L0 − Σ_i a_i Φ_i + ½ aᵀ G a (a_i = ρ_i²,
    Φ_i = E[y·w_i] = Φ(n_i), G_ij = E[w_i·w_j]), and the component along n_i of the full gradient step is
    ρ_i ← ρ_i (‖n_i + η∇Φ(n_i)‖ − 2η (G a)_i): the one-unit growth less the residual's change. Units on one
    fixed direction then follow one Saxe sigmoid (A = Σ_i a_i/2 obeys Ȧ = 2A(λ − mA), m = 4G_ii, in the flow
    limit); units on different directions compete through G. The drop time is the first midpoint crossing of this
    loss curve between its first two levels (``numerics.detect_staircase``). Neglected: the response of the
    directions to the residual's change (O(a) relative in the direction field), which shifts the drop by an
    ε-independent O(1/λ) time; and the drop's level can differ from the network's when the network's first drop
    merges two of the law's (docs/theory.md §6.13, error budget).
    """
    if not (math.isfinite(step) and step > 0):
        raise guards.invalid("step", step, "must be finite and > 0 (the gradient-descent step of the compared run)")
    if not isinstance(task, numerics.Dataset):
        raise guards.invalid("task", type(task).__name__, "the kinked law needs samples (a numerics.Dataset)")
    one = arch.resized(width=1)
    field = _unit_field(one, task)
    blocks = arch.unpack(theta0)
    B, H = theta0.shape[0], arch.unit_count
    # every unit of every seed as one width-1 parameter set, seed-major
    rows = one.pack({k: v.reshape(B * H, 1, *v.shape[2:]) for k, v in blocks.items()})
    L0 = float(numerics.loss_and_grad(one, task, np.zeros((1, one.n_params)))[0][0])
    return [_kinked_curve(one, task, field, rows[b * H:(b + 1) * H], L0, step) for b in range(B)]


def _one_unit_drop(phi: np.ndarray, gram: np.ndarray) -> float:
    """The largest one-unit drop Φ_i²/(2G_ii) over the units with Φ_i > 0 (a Saxe sigmoid's depth): the scale of
    "small" for the removed loss."""
    g_ii = np.diag(gram)
    drops = np.divide(np.maximum(phi, 0.0) ** 2, 2 * g_ii, out=np.zeros_like(phi), where=g_ii > 0)
    return float(np.max(drops))


def _kinked_curve(one, task, field, th: np.ndarray, L0: float, step: float) -> KinkedEscape:
    """The law's loss curve and first drop from one seed's units ``th`` (H, n) (see :func:`kinked_first_drop`)."""
    r = np.linalg.norm(th, axis=1)
    live = r > 0
    n = np.where(live[:, None], th / np.where(live, r, 1.0)[:, None], 0.0)
    a = r * r  # a_i = ρ_i²
    phi, gram = _features(one, task, n)
    scale = _one_unit_drop(phi, gram)
    init_ratio = float(a @ phi) / scale if scale > 0 else 0.0
    ts, Ls = [0.0], [L0 - float(a @ phi) + 0.5 * float(a @ gram @ a)]
    peak, t_peak, rate = 0.0, math.inf, 0.0
    for k in range(1, MAX_STEPS + 1):
        coupling = gram @ a
        speed = float(np.sum(4 * a * (phi - coupling) ** 2))  # ‖∇L‖² along the units' directions
        linear = float(a @ phi) < SWITCH_FRACTION * scale or not scale > 0
        if not linear and speed > peak:  # the peak of the first drop, not a transient of the alignment
            peak, t_peak = speed, ts[-1]
        if peak > 0 and (speed < SETTLED * peak or ts[-1] > SATURATION_SPAN * t_peak):
            break
        w = n + step * field(n)
        norm = np.linalg.norm(w, axis=1)
        ok = norm > 0
        new_n = np.where(ok[:, None], w / np.where(ok, norm, 1.0)[:, None], n)
        if linear:
            rate = float(np.max(np.log(np.where(ok, norm, 1.0)))) / step
            # no unit grows and no direction moves: the frozen-residual flow has no escape from this θ_0
            if rate <= 0 and float(np.max(np.abs(new_n - n))) < 1e-13:
                break
        a = a * (norm - 2 * step * coupling) ** 2  # the one-unit step's norm factor, less the residual's change
        n = new_n
        phi, gram = _features(one, task, n)
        scale = max(scale, _one_unit_drop(phi, gram))  # directions that turn towards y open larger drops
        ts.append(k * step)
        Ls.append(L0 - float(a @ phi) + 0.5 * float(a @ gram @ a))
    times, losses = np.asarray(ts), np.asarray(Ls)
    st = numerics.detect_staircase(times, losses) if times.size >= 3 else None
    if st is None or not st.n_drops:
        return KinkedEscape(math.nan, rate, (L0, math.nan), init_ratio, times, losses)
    return KinkedEscape(float(st.drop_times[0]), rate, (float(st.levels[0]), float(st.levels[1])), init_ratio,
                        times, losses)

@dataclass(frozen=True)
class MergedMode:
    """The top mode of the merged-attention origin saddle (docs/theory.md §6.13).

    Attributes
    ----------
    s : float
        Escape rate: the top singular value ‖C‖_F of the value/key-query cross block C = E[y_q β x_qᵀ] of −H.
    c : float
        Curvature along the mode: L(A) = L(0) − sA + ½cA² for M = A R.
    direction : (D, D) array
        R = C/‖C‖_F, the key-query direction of the mode (each unit is v_i = ν_i, U_i = ν_i R on it).
    """

    s: float
    c: float
    direction: np.ndarray


def merged_attention_mode(arch, task) -> MergedMode:
    """The escape rate, direction and curvature of the single mode of the merged attention at θ = 0.

    Parameters
    ----------
    arch : numerics.Architecture
        A merged-attention network (blocks V (H, 1) and U (H, D, D), f = βᵀ(Σ_i v_i U_i)x_q).
    task : numerics.ICLTask or numerics.ICLDataset
        Any task the architecture's loss accepts.

    Returns
    -------
    MergedMode

    Notes
    -----
    At θ = 0 the gradient vanishes and the Hessian has only the cross blocks ∂²L/∂v_i∂U_i = −C, the same for every
    unit, with C = −∂L/∂U at v = 1, U = 0 (there f = 0, so this is exact: C = E[y_q β x_qᵀ] = Λ² on the population
    task). Per unit the dormant block of −H is [[0, vec C ᵀ], [vec C, 0]], of rank two, with eigenvalues ±‖C‖_F:
    the growing mode is (1; R)/√2, R = C/‖C‖_F, at rate s = ‖C‖_F; every other direction has rate 0. On the mode
    M = Σ_i v_i U_i = A R with A = Σ_i ν_i², and the loss is a polynomial of degree 2 in A, L0 − sA + ½cA², so that
    c = 2(L(v = 1, U = R) − L0 + s) (two loss evaluations). For Λ = λI, R = I/√D, s = λ²√D and
    c = λ³(1 + (1 + D)/N): Eq. 10 of [ICL] (docs/theory.md §6.8).
    """
    one = arch.resized(width=1)
    D = dict(one.blocks)["U"][-1]
    probe = one.pack({"V": np.ones((1, 1, 1)), "U": np.zeros((1, 1, D, D))})
    L0, grad = numerics.loss_and_grad(one, task, probe)
    C = -one.unpack(grad)["U"][0, 0]
    s = float(np.linalg.norm(C))
    if not s > 0:
        raise guards.invalid("task", "E[y_q beta x_q^T] = 0", "the merged attention has no escaping mode")
    R = C / s
    on_mode = one.pack({"V": np.ones((1, 1, 1)), "U": R[None, None]})
    L_mode = float(numerics.loss_and_grad(one, task, on_mode)[0][0])
    return MergedMode(s=s, c=2.0 * (L_mode - float(L0[0]) + s), direction=R)


def merged_attention_amplitudes(arch, mode: MergedMode, theta0: np.ndarray) -> np.ndarray:
    """u_0 = ¼ Σ_i p_i², p_i = v_i + ⟨U_i, R⟩, per row of ``theta0``: the balanced part of each unit's projection
    on the growing mode (1; R)/√2 (docs/theory.md §6.1, §6.13)."""
    blocks = arch.unpack(theta0)
    p = blocks["V"][:, :, 0] + np.einsum("bhij,ij->bh", blocks["U"], mode.direction)
    return 0.25 * np.sum(p * p, axis=1)
