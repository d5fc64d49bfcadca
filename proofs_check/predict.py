"""Per-seed predictions of the whole loss staircase from the initial weights (spec §6), composing the closed forms of
:mod:`theory.closed_forms` with the problems of :mod:`proofs_check.problem` (``numerics`` never imports ``theory``).

For every architecture :func:`predict` returns a :class:`Prediction`: per seed, every plateau level and every drop
time, each labelled by how it was obtained:

* ``closed-form`` — a formula of spec §6 evaluated on the seed's θ_0 (e.g. the projections p^{(k)} of §6.3);
* ``semi-analytic`` — exact one-unit solutions composed piecewise (later unit-separation escapes: Eq. 14 with G
  frozen at each saddle's G*), or an integrated reduced ODE: the frozen-residual flow of deep linear nets, and for
  every architecture without a closed form (ReLU, tanh, x·tanh x, cubic, linear conv, anisotropic merged
  attention, quadratic/attention on datasets) the escape-and-join reduced dynamics of
  :func:`numerics.reduced_staircase`; the method is named in ``notes``;
* ``none`` — not predicted (deep-linear drop times with non-whitened input); the numbers are NaN.

Violated assumptions (non-whitened input for a whitened-only formula, repeated singular values where distinctness is
assumed, init too large for a small-init formula) are listed in ``violations``; the affected numbers are then NaN
(refused) or kept and flagged, as stated in each message — never silently wrong.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.integrate import solve_ivp

import numerics
from theory.closed_forms import (
    attention,
    deep_chain,
    diagonal,
    linear_modes,
    quadratic_levels,
    riccati,
    saxe,
    unit_escape,
)

from . import local_laws
from .problem import Problem, power_law_horizon, require_target_scale

# Small-init validity: ũ_k/s_k (linear) or the ratio of the O(1) midpoint lead to t* (unit separation) above this
# is flagged, because the neglected terms are of that relative order.
SMALL_INIT_RATIO = 1e-2
# Relative tolerance for "equal" singular values / eigenvalues.
EQUAL_RTOL = 1e-9
# ReLU nets: the reduced system is stepped like gradient descent (discontinuous field), with this step.
RELU_STEP = 0.01


@dataclass
class Prediction:
    """Predicted staircase per seed.  ``plateau_levels[b]`` = [L_0, L_1, …], ``drop_times[b]`` = [t_1, …];
    ``kinds[b][k]`` labels drop k ("closed-form" / "semi-analytic"); ``formulas``: name → LaTeX."""

    architecture: str
    description: str
    seeds: tuple[int, ...]
    init_scale: float
    plateau_levels: list[list[float]] = field(default_factory=list)
    drop_times: list[list[float]] = field(default_factory=list)
    kinds: list[list[str]] = field(default_factory=list)
    formulas: dict[str, str] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    # extra entries holding one value per seed (the others describe the whole prediction)
    PER_SEED_EXTRA = frozenset({"local_law", "level_ends", "reduced", "taylor_escape", "single_mode_drop_times",
                                "escapes"})

    def seed_records(self) -> list[dict[str, Any]]:
        """One JSON-ready object per seed, with the field names of ``s2s simulate``'s per-seed objects
        (``seed``, ``init_scale``, ``plateau_levels``, ``drop_times``) and this seed's share of ``extra``."""
        n = len(self.seeds)
        for key in self.PER_SEED_EXTRA & self.extra.keys():
            if len(self.extra[key]) != n:
                raise ValueError(f"extra[{key!r}] has {len(self.extra[key])} entries for {n} seeds")
        shared = {k: v for k, v in self.extra.items() if k not in self.PER_SEED_EXTRA}
        return [{
            "architecture": self.architecture, "task": self.description, "seed": seed, "init_scale": self.init_scale,
            "plateau_levels": self.plateau_levels[b], "drop_times": self.drop_times[b], "drop_kinds": self.kinds[b],
            "formulas": self.formulas, "assumptions": self.assumptions, "violations": self.violations,
            "notes": self.notes,
            **({"extra": {**shared, **{k: self.extra[k][b] for k in self.PER_SEED_EXTRA & self.extra.keys()}}}
               if self.extra else {}),
        } for b, seed in enumerate(self.seeds)]


def _add(pred: Prediction, *forms) -> None:
    for f in forms:
        pred.formulas[f.name] = f.latex
        for a in f.assumptions:
            if a not in pred.assumptions:
                pred.assumptions.append(a)


def _flag(pred: Prediction, text: str) -> None:
    if text not in pred.violations:
        pred.violations.append(text)


def predict(problem: Problem, max_drops: int | None = None, t_max: float | None = None) -> Prediction:
    """Predict plateau levels and drop times for every seed of ``problem`` (see module docstring).

    ``max_drops`` limits the number of drops predicted per seed (closed forms: each later unit-separation escape
    costs root-finding of every dormant unit's state; reduced dynamics: the integration stops at the first escape
    onset after that many drops, which for q ≥ 3 units saves integrating to the horizon ∝ ε^{1−q}); None: all.
    ``t_max``: horizon of the reduced-dynamics predictions (architectures without a closed form; default
    :func:`reduced_horizon`).
    """
    arch, task = problem.arch, problem.task
    pred = Prediction(arch.label, problem.description, problem.seeds, problem.init_scale)
    pred.extra["max_drops"] = max_drops
    predictor = predictor_for(arch, task)
    if predictor is None:
        _reduced(problem, pred, t_max)
        if arch.expression is not None:
            _taylor_first_drop(problem, pred)
        else:
            for family, law in LOCAL_LAWS:
                if arch.family is family:
                    law(problem, pred)
    else:
        predictor(problem, pred)
    if max_drops is not None:
        ends = []  # a comparison reads each seed's last kept level before the next (untold) drop begins
        for b, drops in enumerate(pred.drop_times):
            ends.append(0.5 * (drops[max_drops - 1] + drops[max_drops]) if len(drops) > max_drops else math.inf)
            del drops[max_drops:], pred.kinds[b][max_drops:], pred.plateau_levels[b][max_drops + 1:]
        pred.extra["level_ends"] = ends
    return pred


def merge(first: Prediction, later: Prediction) -> Prediction:
    """One prediction for the seeds of ``first`` then ``later`` (the same problem predicted in seed chunks)."""
    first.seeds = (*first.seeds, *later.seeds)
    first.plateau_levels += later.plateau_levels
    first.drop_times += later.drop_times
    first.kinds += later.kinds
    first.formulas.update({k: v for k, v in later.formulas.items() if k not in first.formulas})
    for name in ("assumptions", "violations", "notes"):
        mine = getattr(first, name)
        mine += [x for x in getattr(later, name) if x not in mine]
    # Every per-seed entry follows its seeds into the merged prediction.
    for key in Prediction.PER_SEED_EXTRA & later.extra.keys():
        first.extra.setdefault(key, []).extend(later.extra[key])
    if "reduced_horizon" in later.extra:
        first.extra["reduced_horizon"] = max(first.extra.get("reduced_horizon", 0.0), later.extra["reduced_horizon"])
    return first


# ------------------------------------------------------------------------------------------------ reduced dynamics
def reduced_horizon(problem: Problem) -> float:
    """Default horizon of a reduced prediction: 40·ln(1/ε)/c for p = 1, 40/(c·ε^{p−1}) for p ≥ 2, with c the
    task's target scale (numerics.target_scale), i.e. a few times the slowest escape time scale."""
    p = problem.arch.total_degree - 1  # escape time ~ ln(1/ε) for p = 1, ε^{1−p} for p ≥ 2 (docs/theory.md §5)
    c = numerics.target_scale(problem.arch, problem.task)
    eps = problem.init_scale
    require_target_scale(problem, c)
    if p == 1:
        return 40.0 * max(-math.log(eps), 1.0) / c
    return power_law_horizon(problem, c, 40.0, p - 1, f"the reduced horizon 40/(c eps^{p - 1})")


def stepped_like_gd(arch) -> bool:
    """ReLU nets: their flow's field is discontinuous at kinks, so the reduced system (and ``--compare``'s
    simulation) are stepped like gradient descent with step :data:`RELU_STEP`."""
    return arch.homogeneity_field == "R>=0"  # positively homogeneous: a kinked unit (docs/theory.md §1.2)


def _reduced(problem: Problem, pred: Prediction, t_max: float | None) -> None:
    """Levels and drop times per seed from :func:`_reduced_runs`."""
    for r in _reduced_runs(problem, pred, t_max):
        pred.plateau_levels.append(list(r.levels))
        pred.drop_times.append(list(r.drop_times))
        pred.kinds.append(["semi-analytic"] * len(r.drop_times))


def _reduced_runs(problem: Problem, pred: Prediction, t_max: float | None) -> list:
    """Per seed, :func:`numerics.reduced_staircase` (escape-and-join reduced dynamics, spec §3.3 / Thm 3), with its
    formula, assumptions, notes, flags and details recorded in ``pred``."""
    arch = problem.arch
    horizon = reduced_horizon(problem) if t_max is None else float(t_max)
    relu = stepped_like_gd(arch)
    pred.formulas["reduced_dynamics"] = (r"\dot N = -\nabla_N L(N),\quad \dot d_i = -\nabla_{d_i} L(N \oplus d_i),"
                                         r"\quad d_i \to N \text{ when } L(N \oplus D) \le (1 - 10^{-3}) L(N)")
    for a in ("dormant units do not interact with each other and do not act back on the escaped ones "
              "(neglected terms O(||theta_D||^2p) relative)",
              "escaped units (norm >= 0.1 x the largest dormant norm at the escape onset) keep their own full "
              "dynamics (zero units invariant, Thm 3)",
              "small init: L(theta_0) within 1e-2 of L(0)"):
        if a not in pred.assumptions:
            pred.assumptions.append(a)
    pred.notes.append(f"{arch.label} with this task: no closed form (spec §6 covers linear-FC, quadratic, attention, "
                      "diagonal and deep-linear nets on their population tasks). Levels and drop times are "
                      "SEMI-ANALYTIC: the integrated reduced ODE of escape-and-join (numerics.reduced_staircase): "
                      "escaped units N follow their own flow, each dormant unit follows the flow it would have "
                      "alone with N, and joins N at its escape onset; drop times are midpoint crossings of the "
                      f"reduced loss curve (horizon t = {horizon:.4g}).")
    if relu:
        pred.notes.append(f"ReLU: the reduced system is stepped like gradient descent with step {RELU_STEP:g} (the "
                          "field is discontinuous at kinks); compare with gradient descent at that learning rate.")
    zero = numerics.loss_and_grad(arch, problem.task, np.zeros_like(problem.theta0[:1]))[0][0]
    L0 = _initial_levels(problem)
    runs = []
    for b in range(len(problem.seeds)):
        if abs(L0[b] - zero) > 1e-2 * abs(zero):
            _flag(pred, f"init too large for the reduced dynamics: L(theta_0) differs from L(0) by "
                        f"{abs(L0[b] - zero) / abs(zero):.3g} relative (> 1e-2); numbers kept, flagged.")
        r = numerics.reduced_staircase(arch, problem.task, problem.theta0[b], t_max=horizon,
                                       max_drops=pred.extra.get("max_drops"),
                                       method="euler" if relu else "LSODA", step=RELU_STEP)
        if r.status == "no_unit_separation":
            _flag(pred, f"seed {problem.seeds[b]}: " + r.message + ".")
        runs.append(r)
        pred.extra.setdefault("reduced", []).append({
            "status": r.status, "message": r.message, "t_end": r.t_end,
            "escapes": [{"onset": s_.onset_time, "drop_time": s_.drop_time, "units": list(s_.escaped_units)}
                        for s_ in r.stages]})
    # --compare simulates to where the reduced curves end (t_max, or earlier once the fit is complete)
    pred.extra["reduced_horizon"] = max((r.t_end for r in runs), default=horizon)
    return runs


# ------------------------------------------------------------------------------------------------ user units
def taylor_first_escape(arch, unit, theta0: np.ndarray, x: np.ndarray, y: np.ndarray, eps: float):
    """The escape law of the Taylor order (docs/theory.md §6.12) for an fc unit from one θ_0 = ε θ̂, with q and a
    from ``unit`` (``order``, ``coefficient``: :func:`theory.analyse_activation` for a user's unit, the registered
    properties for a built-in) and the network's own σ, σ′."""
    from numerics.models.pointwise import augment
    from theory.closed_forms import taylor_escape

    blocks = arch.unpack(theta0[None, :])
    act = arch.activation
    return taylor_escape.first_escape(unit.order, float(unit.coefficient), act.sigma, act.derivative,
                                      blocks["V"][0], blocks["U"][0], augment(x, arch.bias), y, eps)


@dataclass(frozen=True)
class _DeclaredUnit:
    """A built-in unit's registered Taylor order q and coefficient a at the zero unit (docs/theory.md §1.2)."""

    order: int
    coefficient: float


def _taylor_laws(problem: Problem, pred: Prediction, unit) -> list[dict]:
    """Per seed, the escape law of the Taylor order from θ_0 (nothing of the network is integrated), with the units
    whose blow-up integral hit its cap noted."""
    arch, task = problem.arch, problem.task
    out = []
    for b in range(len(problem.seeds)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            law = taylor_first_escape(arch, unit, problem.theta0[b], task.x, task.y, problem.init_scale)
        capped = sum("integration cap" in str(w.message) for w in caught)
        if capped:
            pred.notes.append(f"seed {problem.seeds[b]}: {capped} unit(s) showed no blow-up within the blow-up "
                              "integral's integration cap and count as never escaping (t* = inf); the first drop is "
                              "the earliest finite t*.")
        out.append({"t_escape": law.t_escape, "q": unit.order, "a": law.a, "rate": law.rate, "slope": law.slope,
                    "intercept": law.intercept, "tau": law.tau, "unit": law.unit})
    return out


def _law_text(q: int, a) -> str:
    return (f"the escape law of the Taylor order q = {q}, a = {a} (docs/theory.md §6.12, "
            + ("t* = ln(1/eps)/(a s_1) + b, b from the aligned-mode reduced model" if q == 1
               else "t* = tau/(a eps^(q-1))") + ")")


def _local_law(problem: Problem, pred: Prediction) -> None:
    """A built-in smooth fc unit (a kinked one has no Taylor series) with a zero unit on a dataset: the first drop
    from the escape law of its registered Taylor order, recorded beside the reduced dynamics' drop times (which stay
    the prediction) as a non-integrating prediction of the first drop (``extra["local_law"]``, compared by
    ``--compare``)."""
    from theory.closed_forms import taylor_escape

    arch = problem.arch
    q, a = arch.order, arch.coefficient
    # The family (fc) and the built-in unit (no user expression) are settled by LOCAL_LAWS and predict().
    if (not isinstance(problem.task, numerics.Dataset) or q is None or a is None or stepped_like_gd(arch)
            or abs(float(arch.activation.sigma(np.zeros(1))[0])) > 0):
        return
    _add(pred, taylor_escape.ESCAPE_LINEAR_ORDER if q == 1 else taylor_escape.ESCAPE_POWER_LAW)
    laws = _taylor_laws(problem, pred, _DeclaredUnit(int(q), float(a)))
    pred.extra["local_law"] = [law["t_escape"] for law in laws]
    pred.extra["taylor_escape"] = laws
    pred.notes.append("local law: " + _law_text(int(q), a) + " evaluated from each seed's θ_0 without integrating "
                      "the network, in extra.local_law (and in --compare); the drop times above stay the reduced "
                      "dynamics'.")


def _linear_conv_law(problem: Problem, pred: Prediction) -> None:
    """Linear conv on a linear-regression population task: the first drop from the top mode at the origin saddle
    (docs/theory.md §5.1, §6.1), recorded as ``extra["local_law"]`` beside the reduced dynamics.

    The end-to-end map is w = S vec(W), W = Σ_i v_i u_iᵀ (v_i over patches, u_i the kernel), S summing the taps
    that read the same input coordinate. At θ = 0 the gradient in W is G_0 = reshape(S Σ_yxᵀ); its top singular
    pair (s_1; r, q) is the fastest-growing mode. Along W = A r qᵀ the loss is ½(m A² − 2 s_1 A) + const with
    m = hᵀ Σ_xx h, h = S vec(r qᵀ), so A follows the Saxe ODE Ȧ = 2A(s_1 − m A) from u_0 = ¼ Σ_i (rᵀv_i + qᵀu_i)²
    (the balanced part of each unit's projection), and the drop is its loss midpoint. Neglected: the leak of the
    mode into others (SᵀΣ_xxS is not the identity on rank-one matrices) and the O(u_0) unbalanced part.
    """
    from numerics.models.conv import patch_index

    arch, task = problem.arch, problem.task
    if not arch.linear_in_x or arch.order != 1 or stepped_like_gd(arch):
        return
    sxx, syx, _ = _linear_moments(task)
    syx = np.asarray(syx, dtype=float).reshape(-1)
    idx = patch_index(sxx.shape[0], arch.sizes["kernel"])
    n_patches, kernel = idx.shape
    S = np.zeros((idx.size, sxx.shape[0]))
    S[np.arange(idx.size), idx.ravel()] = 1.0
    U_, s_, Vt_ = np.linalg.svd((S @ syx).reshape(n_patches, kernel))
    r, q, s1 = U_[:, 0], Vt_[0], float(s_[0])
    h = S.T @ np.outer(r, q).ravel()
    m = float(h @ sxx @ h)
    blocks = arch.unpack(problem.theta0)
    p = np.einsum("bhl,l->bh", blocks["V"], r) + np.einsum("bhk,k->bh", blocks["U"], q)
    u0 = 0.25 * np.sum(p**2, axis=1)
    pred.extra["local_law"] = [float(t) for t in saxe.t_mid(s1, u0, m)]
    pred.notes.append(f"local law: the top mode of the origin saddle (s_1 = {s1:.6g}, the top singular value of the "
                      f"tap correlation; curvature m = {m:.6g}) follows one Saxe sigmoid from u_0 = ¼ Σ_i p_i², "
                      "evaluated without integrating the network, in extra.local_law (and in --compare); the drop "
                      "times above stay the reduced dynamics'.")


def _taylor_first_drop(problem: Problem, pred: Prediction) -> None:
    """A user's unit: the first drop time from the closed-form escape law of its Taylor order (docs/theory.md §6.12),
    with q and a proved from the expression; the later drops and every level stay the reduced dynamics'."""
    from theory import analyse_activation
    from theory.closed_forms import taylor_escape

    task = problem.task
    unit = analyse_activation(problem.arch.expression, argument="--activation")
    if not unit.zero_unit:
        pred.notes.append(f"sigma(0) = {unit.value_at_zero} != 0: u = 0 is not a zero unit, so the escape law of "
                          "the Taylor order (docs/theory.md §6.12) does not apply; every drop is from the reduced "
                          "dynamics.")
        return
    if not isinstance(task, numerics.Dataset):
        pred.notes.append("the escape law of the Taylor order is evaluated on samples; this task has none")
        return
    q = unit.order
    _add(pred, taylor_escape.ESCAPE_LINEAR_ORDER if q == 1 else taylor_escape.ESCAPE_POWER_LAW)
    pred.notes.append("first drop: CLOSED FORM, " + _law_text(q, unit.coefficient) + "; later drops and the "
                      "levels: the reduced dynamics (semi-analytic), as labelled per drop.")
    escapes = _taylor_laws(problem, pred, unit)
    for b, law in enumerate(escapes):
        if not np.isfinite(law["t_escape"]):
            _flag(pred, f"seed {problem.seeds[b]}: the escape law predicts no escape (every unit's blow-up time is "
                        "infinite); the first drop is left to the reduced dynamics.")
            continue
        if pred.drop_times[b]:
            pred.drop_times[b][0] = law["t_escape"]
            pred.kinds[b][0] = "closed-form"
        else:
            _flag(pred, f"seed {problem.seeds[b]}: the reduced dynamics show no drop; the escape law's time "
                        f"{law['t_escape']:.6g} has no level to go with it.")
    pred.extra["taylor_escape"] = escapes


# ------------------------------------------------------------------------------------------------ helpers
def _initial_levels(problem: Problem) -> np.ndarray:
    """L(θ_0) per seed: the first plateau level up to O(ε²) (exact value of the loss at the initial weights)."""
    loss, _ = numerics.loss_and_grad(problem.arch, problem.task, problem.theta0)
    return np.asarray(loss)


def _linear_moments(task) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if isinstance(task, numerics.LinearRegressionTask):
        return task.sigma_xx, task.sigma_yx, task.sigma_yy
    return task.moments


# ------------------------------------------------------------------------------------------------ linear
def _svd_modes(sxx, syx, pred: Prediction) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """(s, Q, R, whitened) of Σ_yx (whitened) or of Σ_yxΣ_xx^{-1/2} (non-whitened, levels only)."""
    white = bool(np.allclose(sxx, np.eye(sxx.shape[0]), rtol=0, atol=1e-12))
    if white:
        Uq, s, Vt = np.linalg.svd(syx)
    else:
        w, E = np.linalg.eigh(sxx)
        inv_sqrt = E @ np.diag(1 / np.sqrt(w)) @ E.T
        Uq, s, Vt = np.linalg.svd(syx @ inv_sqrt)
        _flag(pred, "non-whitened input (Sigma_xx != I): the per-seed drop-time formula (spec §6.3) assumes "
                    "Sigma_xx = I; drop times refused (NaN). Plateau levels use the SVD of "
                    "Sigma_yx Sigma_xx^(-1/2) (spec §2.5, valid).")
    keep = s > 1e-12 * max(s.max(), 1e-300)
    return s[keep], Uq[:, : keep.sum()], Vt[: keep.sum()].T, white


def _linear_staircase(pred: Prediction, s: np.ndarray, u_tilde: np.ndarray, trace_syy: float, eps: float,
                      c: float = 1.0, label: str = "closed-form") -> tuple[list[float], list[float], list[str]]:
    """Levels and drop times of a set of independent Saxe modes (s sorted decreasingly, equal values grouped)."""
    groups = linear_modes.group_equal(s, EQUAL_RTOL)
    learned = [g for g in groups if np.all(u_tilde[g] > 0)]
    partial = [g for g in groups if np.any(u_tilde[g] > 0) and not np.all(u_tilde[g] > 0)]
    if partial or len(learned) < len(groups):
        pred.notes.append("width below the number of modes: modes beyond the hidden width are never learned "
                          "(u_tilde = 0); the staircase stops at rank H.")
    levels = [0.5 * trace_syy]
    guesses = []
    for g in groups:
        ok = [k for k in g if u_tilde[k] > 0]
        if not ok:
            continue
        levels.append(levels[-1] - 0.5 * float(np.sum(s[ok] ** 2)) / c)  # mode optimum a = s/c removes s²/(2c)
        guesses.append(float(np.nanmean(linear_modes.t_drop_single(s[ok], u_tilde[ok], c))))
    lv = np.array(levels)
    drops = linear_modes.drop_times_superposed(s, u_tilde, trace_syy, lv, np.array(guesses), c) \
        if len(lv) > 1 else np.array([])
    return list(map(float, lv)), list(map(float, drops)), [label] * len(drops)


def _check_linear_assumptions(pred: Prediction, s: np.ndarray, u_tilde: np.ndarray, eps: float) -> None:
    groups = linear_modes.group_equal(s, EQUAL_RTOL)
    if any(len(g) > 1 for g in groups):
        _flag(pred, "repeated singular values: modes of an equal block are not individually defined; each block "
                    "is predicted as ONE drop (strengths start at the eigenvalues of the block's projected Gram "
                    "matrix, spec C7/C12), not one drop per mode.")
    for a, b in zip(groups[:-1], groups[1:], strict=False):
        sa, sb = s[a[0]], s[b[0]]
        gap = math.log(1 / eps) * (1 / sb - 1 / sa)
        if gap < 2.0 / sb:
            _flag(pred, f"nearly equal singular values {sa:g}, {sb:g}: predicted plateau {gap:.3g} is shorter than "
                        f"the sigmoid width ~{2 / sb:.3g}; the well-separated-modes assumption fails and the two "
                        "drops may merge in simulation.")
    ratio = np.max(u_tilde / s) if u_tilde.size else 0.0
    if ratio > SMALL_INIT_RATIO:
        _flag(pred, f"init too large for the small-init formula: max u_tilde_k/s_k = {ratio:.3g} > "
                    f"{SMALL_INIT_RATIO:g} (neglected terms are O(u_tilde/s) relative); numbers kept but flagged.")


def _linear_fc(problem: Problem, pred: Prediction) -> None:
    sxx, syx, syy = _linear_moments(problem.task)
    s, Q, R, white = _svd_modes(sxx, syx, pred)
    _add(pred, linear_modes.T_DROP_PROJECTED, linear_modes.T_HALF_PROJECTED, linear_modes.LOSS_LEVEL, saxe.SIGMOID)
    pred.notes.append("drop times: midpoint crossings of the superposed loss ½trΣyy − Σ_k(s_k a_k − ½a_k²) with "
                      "independent Saxe sigmoids a_k(t) started at u_tilde_k (spec §6.3 projection); the single-mode "
                      "value t_half − ln(1+√2)/(2s_k) is in extra.single_mode_drop_times.")
    blocks = problem.arch.unpack(problem.theta0)
    V, U = blocks["V"], blocks["U"]
    trace_syy = float(np.trace(syy))
    singles = []
    for b in range(len(problem.seeds)):
        P = linear_modes.mode_projections(V[b], U[b], Q, R)
        u_t = linear_modes.effective_u0(P, linear_modes.group_equal(s, EQUAL_RTOL))
        _check_linear_assumptions(pred, s, u_t, problem.init_scale)
        lv, dt, kinds = _linear_staircase(pred, s, u_t, trace_syy, problem.init_scale)
        if not white:
            dt = [math.nan] * len(dt)
        pred.plateau_levels.append(lv)
        pred.drop_times.append(dt)
        pred.kinds.append(kinds)
        singles.append([float(x) for x in linear_modes.t_drop_single(s, u_t)])
    pred.extra["singular_values"] = [float(x) for x in s]
    pred.extra["single_mode_drop_times"] = singles


# ------------------------------------------------------------------------------------------------ deep linear
def _deep_linear(problem: Problem, pred: Prediction) -> None:
    """Levels as for linear nets (same fixed points); first drop: blow-up time of the frozen-residual flow."""
    sxx, syx, syy = _linear_moments(problem.task)
    s, Q, R, white = _svd_modes(sxx, syx, pred)
    _add(pred, linear_modes.LOSS_LEVEL, deep_chain.BLOWUP)
    pred.notes.append("deep-linear (depth 3): plateau levels are the linear-net levels (spec §6.5). First drop: "
                      "SEMI-ANALYTIC, the time at which the small-init flow with the residual frozen at Sigma_yx "
                      "(integrated reduced ODE, which blows up in finite time ∝ 1/eps) reaches ||W||_2 = s_1/2. "
                      "Later drops: SEMI-ANALYTIC, decoupled modes: drop k is the time at which the flow with the "
                      "residual frozen at s_k q_k r_k^T alone (mode k of Sigma_yx) brings q_k^T W r_k to s_k/2, "
                      "from the same theta_0 (the modes interact through the shared layers once one is learned; "
                      "neglected, so this is crude: measured median 1.5 %, worst 14.5 %, docs/accuracy.md).")
    pred.notes.append("balanced-chain law t* = w_0^-(N-2)/((N-2)s) (spec §6.9) applies only to balanced "
                      "equal-layer init; random init is not balanced, so it is given for reference in extra.")
    arch = problem.arch
    trace_syy = float(np.trace(syy))
    levels = list(map(float, linear_modes.plateau_levels(s, trace_syy, min(len(s), arch.sizes["width"],
                                                                            arch.sizes["hidden"]))))
    blocks = arch.unpack(problem.theta0)
    firsts = []
    n_drops = len(levels) - 1
    for b in range(len(problem.seeds)):
        args = (blocks["V"][b], blocks["U"][b], blocks["W1"][b])
        t1 = _frozen_residual_blowup(*args, syx, s[0]) if white else math.nan
        later = [_frozen_residual_blowup(*args, s[k] * np.outer(Q[:, k], R[:, k]), s[k],
                                         probe=(Q[:, k], R[:, k])) if white else math.nan
                 for k in range(1, n_drops)]
        firsts.append(t1)
        pred.plateau_levels.append(levels)
        pred.drop_times.append([t1] + later)
        pred.kinds.append(["semi-analytic"] * n_drops if white else ["none"] * n_drops)
    pred.extra["balanced_chain_reference"] = deep_chain.blowup_time(3, float(s[0]), problem.init_scale**3)


def _frozen_residual_blowup(V, U, W1, G, s1: float, probe=None) -> float:
    """Time at which the depth-3 product W = VᵀU W1 reaches s_1/2 along the flow Ẇ_l = (∂/∂W_l)⟨G, W⟩ (residual
    frozen at G): a quadratic ODE that blows up in finite time ∝ 1/ε. With ``probe`` = (q, r) the size measured is
    qᵀW r instead of ‖W‖₂ (one mode of a multi-mode target)."""
    shapes = (V.shape, U.shape, W1.shape)
    sizes = [int(np.prod(x)) for x in shapes]

    def split(y):
        a, b = sizes[0], sizes[0] + sizes[1]
        return y[:a].reshape(shapes[0]), y[a:b].reshape(shapes[1]), y[b:].reshape(shapes[2])

    def rhs(_t, y):
        v, u, w = split(y)
        # f = vᵀ u w x: d⟨G, vᵀuw⟩ = ⟨G, dvᵀ uw⟩ + ⟨G, vᵀ du w⟩ + ⟨G, vᵀu dw⟩
        dv = (u @ w) @ G.T
        du = v @ G @ w.T
        dw = (v.T @ u).T @ G
        return np.concatenate([dv.ravel(), du.ravel(), dw.ravel()])

    def event(_t, y):
        v, u, w = split(y)
        prod = v.T @ u @ w
        size = np.linalg.norm(prod, 2) if probe is None else abs(float(probe[0] @ prod @ probe[1]))
        return size - 0.5 * s1

    event.terminal = True
    y0 = np.concatenate([V.ravel(), U.ravel(), W1.ravel()])
    scale = np.linalg.norm(y0)
    r = solve_ivp(rhs, [0, 1e4 / max(scale, 1e-300)], y0, method="DOP853", rtol=1e-10, atol=1e-14 * scale,
                  events=event)
    return float(r.t_events[0][0]) if r.t_events[0].size else math.nan


# ------------------------------------------------------------------------------------------------ diagonal
def _diagonal(problem: Problem, pred: Prediction) -> None:
    sxx, syx, syy = _linear_moments(problem.task)
    beta_star = syx[0]
    blocks = problem.arch.unpack(problem.theta0)
    Uu, Vv = blocks["U"][:, :, 0], blocks["V"][:, :, 0]
    white = bool(np.allclose(sxx, np.eye(sxx.shape[0]), rtol=0, atol=1e-12))
    trace_syy = float(np.trace(syy))
    if white:
        _add(pred, riccati.SOLUTION, riccati.STRENGTH, linear_modes.LOSS_LEVEL)
        pred.notes.append("diagonal-linear, Sigma_xx = I: every coordinate is an exact one-mode Riccati problem "
                          "(spec §6.2) with s_i = |beta*_i|; drop times are midpoint crossings of the sum of the exact "
                          "coordinate losses (closed form per coordinate, coordinates do not interact).")
        for b in range(len(problem.seeds)):
            s_i, al, be = diagonal.coordinate_strength_params(Uu[b], Vv[b], beta_star)
            order = np.argsort(-s_i, kind="stable")
            s_o, al_o, be_o = s_i[order], al[order], be[order]
            groups = linear_modes.group_equal(s_o, EQUAL_RTOL)
            if any(len(g) > 1 for g in groups):
                _flag(pred, "equal |beta*_i|: those coordinates rise within O(1) of each other and are predicted as "
                            "one drop.")
            levels = [0.5 * trace_syy]
            for g in groups:
                levels.append(levels[-1] - 0.5 * float(np.sum(s_o[g] ** 2)))

            def loss_at(tt, s_o=s_o, al_o=al_o, be_o=be_o):
                a = riccati.strength(tt, s_o, al_o, be_o)
                return 0.5 * trace_syy - float(np.sum(s_o * a - 0.5 * a * a))

            drops = []
            for j in range(len(levels) - 1):
                mid = 0.5 * (levels[j] + levels[j + 1])
                drops.append(_first_crossing(loss_at, mid, s_o))
            ratio = float(np.max(al / np.maximum(s_i, 1e-300)))
            if ratio > SMALL_INIT_RATIO:
                _flag(pred, f"init large: max alpha_i/s_i = {ratio:.3g}; the Riccati solution is exact for each "
                            "coordinate, but coordinates then start near their own midpoint.")
            pred.plateau_levels.append(levels)
            pred.drop_times.append(drops)
            pred.kinds.append(["closed-form"] * len(drops))
        return
    _add(pred, diagonal.RECURSION, diagonal.FIRST_JUMP)
    _flag(pred, "Sigma_xx != I: coordinates interact; using the Pesme-Flammarion recursion (spec §6.10), which "
                "assumes u_0 = sqrt(2) alpha, v_0 = 0 and alpha -> 0. With random N(0, eps^2) init it is used with "
                "alpha = eps: drop times are LEADING ORDER (relative error O(1/ln(1/eps))).")
    times, betas = diagonal.jump_recursion(sxx, syx[0])
    levels = [0.5 * trace_syy] + [float(0.5 * trace_syy - syx[0] @ bb + 0.5 * bb @ sxx @ bb) for bb in betas]
    drops = [float(t * math.log(1 / problem.init_scale)) for t in times]
    for _ in problem.seeds:
        pred.plateau_levels.append(levels)
        pred.drop_times.append(drops)
        pred.kinds.append(["semi-analytic"] * len(drops))


def _first_crossing(loss_at, level: float, s: np.ndarray) -> float:
    """First t with loss_at(t) ≤ level, by doubling then bisection (loss_at is monotone decreasing)."""
    lo, hi = 0.0, 1.0 / float(s.max())
    while loss_at(hi) > level:
        lo, hi = hi, 2 * hi
        if hi > 1e12:
            return math.nan
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if loss_at(mid) > level:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-14 * hi:
            break
    return 0.5 * (lo + hi)


# ------------------------------------------------------------------------------------------------ unit separation
def _greedy_escapes(units: list[tuple[float, np.ndarray]], g_of_set, level_of_set, direction_of, n_dirs: int,
                    eps: float, pred: Prediction, per_escape: int = 1, multiplicity: int = 1):
    """Piecewise Eq. 14: at saddle S every dormant unit follows the exact one-unit solution with G = G*_S; the unit
    with the smallest t* escapes, S grows by its direction(s), the others are advanced to that time, repeat.

    Returns (levels, drop times, kinds, details)."""
    S: list[int] = []
    levels = [level_of_set(S)]
    drops, kinds, details = [], [], []
    t_now = 0.0
    dormant = list(range(len(units)))
    state = {i: units[i] for i in dormant}
    max_drops = pred.extra.get("max_drops") or n_dirs
    while dormant and len(S) < n_dirs and len(drops) < max_drops:
        G = g_of_set(S)
        best = None
        for i in dormant:
            v, u = state[i]
            esc = unit_escape.escape_time_matrix(v, u, G)
            if best is None or esc.t_star < best[1].t_star:
                best = (i, esc)
        if best is None or not np.isfinite(best[1].t_star):
            break
        i_win, esc = best
        lam, E = np.linalg.eigh(G)
        new_dirs = direction_of(E[:, esc.direction], S, per_escape)
        if not new_dirs:
            break
        # (rank-R attention: every eigenvalue of I_R ⊗ D has multiplicity R without any ambiguity of direction)
        if np.sum(np.isclose(lam, lam[esc.direction], rtol=1e-9, atol=1e-12)) > multiplicity:
            _flag(pred, "degenerate escape eigenvalue of G*: the escape direction within the eigenspace is "
                        "ambiguous; the level assumes the direction with the largest component.")
        t_esc = t_now + esc.t_star
        dormant.remove(i_win)
        if dormant and len(drops) + 1 < max_drops:  # states are only needed for a further escape
            _advance(state, dormant, G, esc.t_star)
        S = S + new_dirs
        levels.append(level_of_set(S))
        drops.append(t_esc)
        kinds.append("closed-form" if not details else "semi-analytic")
        details.append({"unit": int(i_win), "case": esc.case, "directions": [int(d) for d in new_dirs],
                        "t_star": float(t_esc)})
        t_now = t_esc
    return levels, drops, kinds, details


def _advance(state: dict, units: list[int], G: np.ndarray, duration: float) -> None:
    """Advance the dormant units by ``duration`` under Eq. 14 with G frozen (v̇ = uᵀGu, u̇ = 2vGu), all at once.

    This is the exact one-unit solution of :func:`theory.closed_forms.unit_escape.state_at`, evaluated by DOP853
    (rtol 1e-11) because one vectorised integration is much cheaper than per-unit root-finding on the quadrature.
    """
    n = len(units)
    d = G.shape[0]
    y0 = np.concatenate([[state[i][0] for i in units], np.concatenate([state[i][1] for i in units])])

    def rhs(_t, y):
        v, u = y[:n], y[n:].reshape(n, d)
        Gu = u @ G
        return np.concatenate([np.einsum("ij,ij->i", u, Gu), (2 * v[:, None] * Gu).ravel()])

    scale = np.abs(y0).max()
    r = solve_ivp(rhs, [0, duration], y0, method="DOP853", rtol=1e-11, atol=1e-14 * scale)
    y = r.y[:, -1]
    for j, i in enumerate(units):
        state[i] = (float(y[j]), y[n + j * d: n + (j + 1) * d].copy())


def _check_unit_separation(pred: Prediction, first_drop: float, lead: float = 0.2) -> None:
    if np.isfinite(first_drop) and lead / first_drop > SMALL_INIT_RATIO:
        _flag(pred, f"init too large for the first-escape integral: the midpoint crossing precedes t* by O(1) "
                    f"(~{lead:g}), i.e. {lead / first_drop:.2g} relative > {SMALL_INIT_RATIO:g}; numbers kept, "
                    "flagged.")


def _quadratic(problem: Problem, pred: Prediction) -> None:
    task = problem.task
    if not np.allclose(task.sigma, np.eye(task.dim), rtol=0, atol=1e-12):
        _flag(pred, "quadratic task with Sigma != I: the L(S) levels and G* of spec §2.6 assume x ~ N(0, I); "
                    "closed forms refused, SEMI-ANALYTIC reduced dynamics used instead.")
        _reduced(problem, pred, None)
        return
    a_eig, E = np.linalg.eigh(task.a)
    _add(pred, unit_escape.CASE_A, unit_escape.CASE_B, unit_escape.G_DEF, quadratic_levels.LEVEL, quadratic_levels.TAU)
    pred.notes.append("first drop: closed-form first-escape integral t* = min_i t*_i (spec §6.7, Case A/B); the "
                      "midpoint crossing precedes it by O(1) (~0.18 in the test bed). Later drops: SEMI-ANALYTIC, "
                      "Eq. 14 with G frozen at each saddle's G*_S (spec §3.3), exact one-unit solutions composed "
                      "piecewise; levels L(S) of spec §2.6.")
    blocks = problem.arch.unpack(problem.theta0)
    V, U = blocks["V"][:, :, 0], blocks["U"]
    for b in range(len(problem.seeds)):
        units = [(float(V[b, i]), E.T @ U[b, i]) for i in range(V.shape[1])]

        def direction(vec, S, _n):
            order = np.argsort(-np.abs(vec))
            return [int(k) for k in order[:1] if int(k) not in S]

        levels, drops, kinds, details = _greedy_escapes(
            units, lambda S: quadratic_levels.residual_g(a_eig, S), lambda S: quadratic_levels.level(a_eig, S),
            direction, task.dim, problem.init_scale, pred)
        _check_unit_separation(pred, drops[0] if drops else math.nan)
        pred.plateau_levels.append(levels)
        pred.drop_times.append(drops)
        pred.kinds.append(kinds)
        pred.extra.setdefault("escapes", []).append(details)


def _attention_separate(problem: Problem, pred: Prediction) -> None:
    task, arch = problem.task, problem.arch
    lam, E = np.linalg.eigh(task.lam)
    lam, E = lam[::-1], E[:, ::-1]
    N, D, R = task.context, task.dim, arch.sizes["rank"]
    if np.any(np.isclose(lam[:-1], lam[1:], rtol=EQUAL_RTOL)):
        _flag(pred, "repeated eigenvalues of Lambda: [ICL] assumes distinct eigenvalues; equal ones keep their "
                    "plateaus (C19) but the learned order within an equal block is seed-dependent.")
    _add(pred, attention.LEVEL, unit_escape.CASE_A, unit_escape.CASE_B, attention.RANK_R)
    pred.notes.append("our ½-loss: levels are half of [ICL] Eq. 19. First drop: closed-form first-escape integral "
                      "(attn-s is quadratic in u = [k; q] with Sigma_yZ = ½[[0, Λ²], [Λ², 0]], spec §6.8). Later "
                      "drops: SEMI-ANALYTIC, Eq. 14 with G frozen at each saddle's G*.")
    if R > 1:
        pred.notes.append(f"rank R = {R}: a head's R key-query pairs share one value weight, so after a head escapes "
                          "it learns up to R directions without a new plateau; conspicuous plateaus only at "
                          "L(M_m) with R | m (C25). Drops are predicted at head escapes only.")
    blocks = arch.unpack(problem.theta0)
    V, K, Qm = blocks["V"][:, :, 0], blocks["K"], blocks["Q"]

    def g_of_set(S):
        Dm = E.T @ (E @ attention.residual_d(lam, N, S) @ E.T) @ E  # diagonal in the eigenbasis
        Z = np.zeros((R * D, R * D))
        blk = np.kron(np.eye(R), Dm)
        return 0.5 * np.block([[Z, blk], [blk.T, Z]])

    def direction(vec, S, n):
        w = np.sum(vec.reshape(2, R, D) ** 2, axis=(0, 1))
        order = [int(d) for d in np.argsort(-w) if int(d) not in S]
        # A rank-R head fills up to R directions: the largest remaining eigenvalues after its first one.
        rest = [d for d in np.argsort(-lam) if int(d) not in S and int(d) != order[0]] if order else []
        return (order[:1] + [int(d) for d in rest[: n - 1]]) if order else []

    for b in range(len(problem.seeds)):
        units = []
        for i in range(V.shape[1]):
            k_e = K[b, i] @ E  # (R, D) in the eigenbasis
            q_e = Qm[b, i] @ E
            units.append((float(V[b, i]), np.concatenate([k_e.ravel(), q_e.ravel()])))
        levels, drops, kinds, details = _greedy_escapes(
            units, g_of_set, lambda S: attention.level_of_set(lam, N, S), direction, D, problem.init_scale, pred,
            per_escape=R, multiplicity=R)
        _check_unit_separation(pred, drops[0] if drops else math.nan)
        pred.plateau_levels.append(levels)
        pred.drop_times.append(drops)
        pred.kinds.append(kinds)
        pred.extra.setdefault("escapes", []).append(details)
    pred.extra["learned_order_rule"] = [int(d) for d in attention.learned_order(lam)]


def _attention_merged(problem: Problem, pred: Prediction) -> None:
    task, arch = problem.task, problem.arch
    lam = np.linalg.eigvalsh(task.lam)
    D, N = task.dim, task.context
    final = attention.level_of_set(lam, N, range(D))
    L0 = 0.5 * float(lam.sum())
    _add(pred, attention.MERGED, saxe.T_MID)
    blocks = arch.unpack(problem.theta0)
    V, U = blocks["V"][:, :, 0], blocks["U"]
    iso = bool(np.allclose(lam, lam[0], rtol=1e-12))
    if not iso:
        _flag(pred, "Lambda not proportional to I: Eq. 10 (one Saxe mode) assumes isotropic tokens "
                    "(Sigma_zz = lambda^3 c I); the closed-form drop time is refused and the SEMI-ANALYTIC reduced "
                    "dynamics (escape-and-join) give it instead. Levels L_0 = ½ tr Λ and the final level "
                    "(M = diag(1/(λ_d c_d))) are exact.")
        runs = _reduced_runs(problem, pred, None)
        _merged_attention_law(problem, pred)
    s_m, c_m = attention.merged_mode(float(lam[0]), D, N)
    r = np.eye(D).ravel() / math.sqrt(D)
    for b in range(len(problem.seeds)):
        p = V[b] + U[b].reshape(U.shape[1], -1) @ r
        u0 = 0.25 * float(p @ p)
        t = float(saxe.t_mid(s_m, u0, c_m)) if iso else (runs[b].drop_times or [math.nan])[0]
        if iso and u0 * c_m / s_m > SMALL_INIT_RATIO:
            _flag(pred, f"init too large: u_0 c/s = {u0 * c_m / s_m:.3g} > {SMALL_INIT_RATIO:g}")
        pred.plateau_levels.append([L0, final])
        pred.drop_times.append([t])
        pred.kinds.append(["closed-form" if iso else "semi-analytic"])
    pred.notes.append("attn-m: one abrupt drop (fully expressive with one unit, spec §5.4); Eq. 10 sigmoid with "
                      "s = λ²√D, c = λ³(1 + (1 + D)/N), u_0 = ¼‖p‖², p_i = v_i + ⟨U_i, I⟩/√D.")


def _merged_attention_law(problem: Problem, pred: Prediction) -> None:
    """Merged attention with anisotropic Λ: the first drop from the top mode of the origin saddle as one Saxe
    sigmoid (docs/theory.md §6.13), recorded as ``extra["local_law"]`` beside the reduced dynamics' drop time."""
    mode = local_laws.merged_attention_mode(problem.arch, problem.task)
    u0 = local_laws.merged_attention_amplitudes(problem.arch, mode, problem.theta0)
    pred.extra["local_law"] = [float(t) for t in saxe.t_mid(mode.s, u0, mode.c)]
    ratio = float(np.max(u0)) * mode.c / mode.s
    if ratio > SMALL_INIT_RATIO:
        _flag(pred, f"init too large for the local law: u_0 c/s = {ratio:.3g} > {SMALL_INIT_RATIO:g}")
    pred.notes.append(f"local law: the top mode of the origin saddle (s = ||Lambda^2||_F = {mode.s:.6g}, direction "
                      f"R = Lambda^2/s, curvature c = {mode.c:.6g} along it) as one Saxe sigmoid from u_0 = ¼ Σ_i "
                      "(v_i + <U_i, R>)², evaluated without integrating the network, in extra.local_law (and in "
                      "--compare); the drop time above stays the reduced dynamics'.")


def _kinked_law(problem: Problem, pred: Prediction) -> None:
    """A unit positively homogeneous of degree 1 (ReLU; fc or conv) on a dataset: the first drop from each unit's
    normalised frozen-residual map and a multi-mode Saxe saturation (docs/theory.md §6.13), stepped like the
    gradient descent it is compared with, recorded as ``extra["local_law"]`` beside the reduced dynamics."""
    arch = problem.arch
    if not (stepped_like_gd(arch) and arch.degree == 1 and isinstance(problem.task, numerics.Dataset)):
        return
    laws = local_laws.kinked_first_drop(arch, problem.task, problem.theta0, RELU_STEP)
    pred.extra["local_law"] = [law.t_drop for law in laws]
    for b, law in enumerate(laws):
        if law.init_ratio > SMALL_INIT_RATIO:
            _flag(pred, f"seed {problem.seeds[b]}: init too large for the local law: the initial units already "
                        f"remove {law.init_ratio:.3g} of the largest one-unit drop (> {SMALL_INIT_RATIO:g}).")
    pred.notes.append(f"local law: each unit's direction follows its own normalised frozen-residual map (degree-1 "
                      f"homogeneous: the direction moves independently of the norm), its norm the one-unit growth "
                      f"less the residual's change along the units' directions, stepped like gradient descent "
                      f"(step {RELU_STEP:g}); nothing of the network is integrated; in extra.local_law (and in "
                      "--compare); the drop times above stay the reduced dynamics'.")


# Non-integrating first-drop laws recorded beside the reduced dynamics, registered by family (several per family:
# each checks the unit properties and the task it needs itself, so exactly one applies): docs/theory.md §6.12 for
# smooth fc units, §5.1 and §6.1 for the linear conv's top mode, §6.13 for kinked units of either family (the
# merged attention's law is recorded by its closed-form predictor, whose isotropic case it reduces to).
LOCAL_LAWS: tuple[tuple[Any, Callable[[Problem, Prediction], None]], ...] = (
    (numerics.FAMILIES["fc"], _local_law),
    (numerics.FAMILIES["fc"], _kinked_law),
    (numerics.FAMILIES["conv"], _linear_conv_law),
    (numerics.FAMILIES["conv"], _kinked_law),
)


# Closed-form predictors registered against (family, population form, task type) (docs/theory.md §6); every other
# architecture and task pair falls back on the reduced escape-and-join dynamics (:func:`_reduced`).
PREDICTORS: tuple[tuple[Any, str, type, Callable[[Problem, Prediction], None]], ...] = (
    # Linear nets read the task's second moments, so a dataset is predicted as well as the population task.
    (numerics.FAMILIES["fc"], "linear", object, _linear_fc),
    (numerics.FAMILIES["deep-linear"], "linear", object, _deep_linear),
    (numerics.FAMILIES["diagonal-linear"], "linear", object, _diagonal),
    (numerics.FAMILIES["fc"], "quadratic", numerics.QuadraticGaussianTask, _quadratic),
    (numerics.FAMILIES["attn-s"], "icl", numerics.ICLTask, _attention_separate),
    (numerics.FAMILIES["attn-m"], "icl", numerics.ICLTask, _attention_merged),
)


def predictor_for(arch, task) -> Callable[[Problem, Prediction], None] | None:
    """The closed-form predictor registered for ``arch``'s family and population form on ``task`` (None: reduced)."""
    for family, population, task_type, fn in PREDICTORS:
        if arch.family is family and arch.population_kind == population and isinstance(task, task_type):
            return fn
    return None
