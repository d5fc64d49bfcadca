"""Escape law from the Taylor order q of a unit: first-escape time of f(x) = Σ_i v_i σ(u_i·x̃) from small init
(docs/theory.md §6.12) [derived].

Near the origin saddle, with σ(z) = a z^q + O(z^{q+1}) (σ(0) = 0, so u = 0 is a zero unit, docs/theory.md §1.2) and
the residual still ≈ y (f(θ_0) = O(ε^{q+1})), every unit follows the frozen-residual unit ODE (units decoupled)

    v̇ = a E[y (u·x̃)^q],        u̇ = a q E[(v·y) (u·x̃)^{q−1} x̃].

* q = 1: linear, d/dt (v; u) = a [[0, C], [Cᵀ, 0]] (v; u) with C = E[y x̃ᵀ]; eigenvalues ±a s_k. The first drop
  comes at t* = ln(1/ε)/(|a| s_1) + b; the intercept b comes from the aligned-mode reduced model (2H scalars).
* q ≥ 2: homogeneous of degree q; (v, u, t) → (εv, εu, ε^{−(q−1)} t/a) maps normalised solutions (a = 1) to
  solutions, so unit i blows up at t*_i = τ_i/(|a| ε^{q−1}), τ_i the blow-up time of the normalised ODE from θ̂_i.

Accuracy (docs/theory.md §6.12): q ≥ 2, relative O(ε^{q−1}) (times ln(1/ε) when the next Taylor term has relative
order q − 1); q = 1, O(ε² ln(1/ε)) when the aligned subspace is invariant under the full flow. Otherwise the q = 1
slope is still exact but b carries an O(1) error: the reduced model settles at the best fit inside the aligned
subspace, which need not be a plateau of the full network (σ = sin, generic data: 0.151 at every ε).

>>> round(blowup_time(lambda z: z**3, [0.5], 3), 10)      # toy v̇ = v³: v_0^{−2}/2
2.0
>>> import numpy as np
>>> X, Y = np.array([[1.0]]), np.array([[1.0]])           # v̇ = u², u̇ = 2vu: balanced u = √2 v gives v̇ = 2v²
>>> e = first_escape(2, 1.0, None, None, np.array([[1e-3]]), np.array([[np.sqrt(2) * 1e-3]]), X, Y, eps=1e-3)
>>> round(e.tau, 8), round(e.t_escape, 4), e.exponent    # τ = 1/(2 v̂_0) = 0.5, t* = τ/ε
(0.5, 500.0, 1.0)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from scipy.signal import find_peaks

from ._common import ClosedForm, is_zero

SOURCE = "docs/theory.md §6.12 [derived]"

ASSUMPTIONS_COMMON = (
    "sigma(0) = 0 and sigma(z) = a z^q + O(z^{q+1}) with finite Taylor order q >= 1 (u = 0 is a zero unit)",
    "residual ~ y before the first escape (frozen-residual unit ODE; f(theta_0) = O(eps^{q+1}))",
    "small initialisation theta_0 = eps * theta_hat, eps -> 0 at fixed direction theta_hat",
    "squared loss 1/2 E||y - f||^2 and plain gradient flow (docs/theory.md §0.3, §0.4)",
)
ASSUMPTIONS_LINEAR = ASSUMPTIONS_COMMON + (
    "q = 1: top singular value s_1 of C = E[y x~^T] simple (s_1 > s_2)",
    "q = 1: intercept b from the aligned-mode reduced model (v_i = nu_i e_v, u_i = mu_i e_u): exact when that "
    "subspace is invariant under the full flow, otherwise an O(1) modelling error in b (not in the slope)",
    "q = 1: corrections o(1) in eps (O(eps^{1 - s_2/s_1}) from a second mode, O(eps^2) when the aligned subspace "
    "is invariant)",
)
ASSUMPTIONS_POWER = ASSUMPTIONS_COMMON + (
    "q >= 2: first drop = first blow-up min_i t*_i; the O(1) blow-up-to-midpoint offset is neglected: relative "
    "error O(eps^{q-1}), times ln(1/eps) if the next Taylor term has relative order m = q - 1 (e.g. z^{2q-1}), "
    "O(eps^m) if m < q - 1",
    "q >= 2: a unit whose normalised ODE never blows up gets t* = inf",
)

# --- symbolic forms (docs/theory.md §6.12) -----------------------------------------------------------------------
eps_s, a_s, s1_s, b_s, tau_s = sp.symbols("epsilon a s_1 b tau", positive=True)
q_s = sp.Symbol("q", integer=True, positive=True)
t_star = sp.Symbol("t^*")
ESCAPE_LINEAR_ORDER = ClosedForm("taylor_escape_linear_order",
                                 sp.Eq(t_star, sp.log(1 / eps_s) / (a_s * s1_s) + b_s), ASSUMPTIONS_LINEAR, SOURCE)
ESCAPE_POWER_LAW = ClosedForm("taylor_escape_power_law",
                              sp.Eq(t_star, tau_s / (a_s * eps_s ** (q_s - 1))), ASSUMPTIONS_POWER, SOURCE)


def _unit_rhs_symbolic(q: int | sp.Symbol, a, v: sp.Matrix, u: sp.Matrix, xs: list[sp.Matrix], ys: list[sp.Matrix]):
    """Frozen-residual unit field (v̇, u̇) of docs/theory.md §6.12 on a symbolic dataset (mean over the samples)."""
    n = len(xs)
    vdot = sum((a * y * (u.dot(x)) ** q for x, y in zip(xs, ys, strict=True)), sp.zeros(v.rows, 1)) / n
    udot = sum((a * q * v.dot(y) * (u.dot(x)) ** (q - 1) * x for x, y in zip(xs, ys, strict=True)),
               sp.zeros(u.rows, 1)) / n
    return vdot, udot


def derive_scaling(q: int | sp.Symbol = q_s, d_out: int = 2, d_in: int = 2, n_samples: int = 2, *,
                   time_exponent: int | sp.Expr | None = None) -> sp.Matrix:
    """Residual of the scaling (v, u, t) → (εv, εu, a ε^{q−1} t) applied to the frozen-residual unit ODE.

    Let (v(s), u(s)) solve the normalised ODE (a = 1). The candidate V(t) = ε v(c t), U(t) = ε u(c t) with
    c = a ε^{q−1} is substituted into the ODE with coefficient a: the returned vector dV/dt − a F_v(V, U),
    dU/dt − a F_u(V, U), with v'(s), u'(s) replaced by the normalised field, must simplify to 0. The dataset is
    generic (symbolic samples x_μ ∈ R^{d_in}, y_μ ∈ R^{d_out}); since E is a sum of per-sample terms, each of which
    scales the same way, this proves the scaling for every dataset. Hence unit i blows up at t*_i = τ_i/(a ε^{q−1}).

    ``time_exponent`` replaces q − 1 in c (default): any other value leaves a nonzero residual, which shows that
    the check can fail.

    Returns
    -------
    sympy.Matrix
        The simplified residual, (d_out + d_in) × 1; all zero.

    Examples
    --------
    >>> derive_scaling(3).is_zero_matrix
    True
    """
    s, t = sp.symbols("s t", positive=True)
    e, a = sp.symbols("epsilon a", positive=True)
    vf = [sp.Function(f"v_{k}") for k in range(d_out)]
    uf = [sp.Function(f"u_{k}") for k in range(d_in)]
    xs = [sp.Matrix(sp.symbols(f"x_{m}_0:{d_in}", real=True)) for m in range(n_samples)]
    ys = [sp.Matrix(sp.symbols(f"y_{m}_0:{d_out}", real=True)) for m in range(n_samples)]
    c = a * e ** ((q - 1) if time_exponent is None else time_exponent)
    # Normalised ODE in the variable s: v'(s) = F_v(v(s), u(s)) with a = 1.
    v_s = sp.Matrix([f(s) for f in vf])
    u_s = sp.Matrix([f(s) for f in uf])
    fv1, fu1 = _unit_rhs_symbolic(q, 1, v_s, u_s, xs, ys)
    ode = {sp.Derivative(f(s), s): fv1[k] for k, f in enumerate(vf)}
    ode.update({sp.Derivative(f(s), s): fu1[k] for k, f in enumerate(uf)})
    # Candidate solution with coefficient a and scale ε.
    V = sp.Matrix([e * f(c * t) for f in vf])
    U = sp.Matrix([e * f(c * t) for f in uf])
    fv, fu = _unit_rhs_symbolic(q, a, V, U, xs, ys)
    dV = sp.Matrix([sp.diff(V[k], t) for k in range(d_out)])
    dU = sp.Matrix([sp.diff(U[k], t) for k in range(d_in)])
    res = sp.Matrix.vstack(dV - fv, dU - fu)
    # Chain rule: d/dt f(c t) = c f'(c t), which SymPy writes Subs(f'(ξ), ξ, c t); replace f'(ξ) by the normalised
    # field at s = c t.
    field = {f: fv1[k] for k, f in enumerate(vf)}
    field.update({f: fu1[k] for k, f in enumerate(uf)})

    def chain(sub: sp.Subs) -> sp.Expr:
        (fn,) = sub.expr.atoms(sp.core.function.AppliedUndef)
        return field[fn.func].subs(s, sub.point[0])

    res = res.replace(lambda ex: isinstance(ex, sp.Subs), chain)
    # (ε w)^k = ε^k w^k for ε > 0 (force: w is a real-valued function, k possibly symbolic).
    def split(r: sp.Expr) -> sp.Expr:
        r = r.replace(lambda ex: isinstance(ex, sp.Pow), lambda ex: sp.factor_terms(ex.base) ** ex.exp)
        return sp.simplify(sp.expand(sp.expand_power_base(r, force=True), power_exp=False))

    return res.applyfunc(split)


def derive_linear_rate() -> tuple[sp.Expr, sp.Expr]:
    """Nonzero eigenvalues of the q = 1 unit matrix a[[0, C], [Cᵀ, 0]] for a generic C (d_out = 1, d_in' = 2).

    The eigenvalues are found by SymPy and rewritten in terms of the singular value s = ‖C‖; they are ±a s, so the
    dormant state grows like e^{a s_1 t} (docs/theory.md §6.12). (For a general C, M² = a² diag(C Cᵀ, Cᵀ C), so
    the eigenvalues of M are ± a times the singular values; :func:`symbolic_checks` verifies the 2 × 2 case.)

    Examples
    --------
    >>> derive_linear_rate()
    (a*s, -a*s)
    """
    a = sp.Symbol("a", positive=True)
    s = sp.Symbol("s", positive=True)
    c1, c2 = sp.symbols("c_1 c_2", real=True)
    C = sp.Matrix([[c1, c2]])
    M = a * sp.Matrix(sp.BlockMatrix([[sp.zeros(1, 1), C], [C.T, sp.zeros(2, 2)]]))
    eig = [sp.simplify(ev) for ev in M.eigenvals(multiple=True) if not sp.simplify(ev) == 0]
    # s² = c_1² + c_2²: substitute c_2² = s² − c_1² (the sign of c_2 is irrelevant, eigenvalues depend on c_2²).
    sub = [sp.simplify(sp.sqrt(sp.factor(ev**2).subs(c2**2, s**2 - c1**2)) * sp.sign(ev.subs({c1: 1, c2: 1, a: 1})))
           for ev in eig]
    return tuple(sorted(sub, key=lambda ev: -float(ev.subs({a: 1, s: 1}))))


def symbolic_checks() -> dict[str, bool]:
    """The derivation checks of docs/theory.md §6.12, each True when the identity simplifies exactly."""
    a, s, v0, t, x = sp.symbols("a s v_0 t x", positive=True)
    checks: dict[str, bool] = {}
    for q in (2, 3, 4):
        checks[f"scaling_invariance_q{q}"] = bool(derive_scaling(q, d_out=1, d_in=2, n_samples=2).is_zero_matrix)
    checks["scaling_invariance_symbolic_q"] = bool(derive_scaling(q_s, d_out=1, d_in=1, n_samples=1).is_zero_matrix)
    checks["linear_rate_pm_a_s"] = derive_linear_rate() == (a * s, -a * s)
    # General C (2 × 2): det(λ − M) = det(λ² − a² C Cᵀ), eigenvalues ± a s_k.
    lam = sp.Symbol("lambda")
    C = sp.Matrix(2, 2, sp.symbols("c_0:4", real=True))
    M = a * sp.Matrix(sp.BlockMatrix([[sp.zeros(2, 2), C], [C.T, sp.zeros(2, 2)]]))
    checks["charpoly_is_det_lambda2_minus_a2_CCt"] = is_zero(
        M.charpoly(lam).as_expr() - (lam**2 * sp.eye(2) - a**2 * C * C.T).det())
    # Toy v̇ = v^q: v(t) = (v_0^{−(q−1)} − (q−1)t)^{−1/(q−1)} solves it; it blows up at v_0^{−(q−1)}/(q−1).
    ok = True
    for q in (2, 3, 4):
        w = sp.Symbol("w", positive=True)  # w = v_0^{−(q−1)} − (q − 1) t > 0 before the blow-up
        sol = (v0 ** (-(q - 1)) - (q - 1) * t) ** sp.Rational(-1, q - 1)
        res = sp.diff(sol, t) - sol**q
        ok &= is_zero(res.subs(t, (v0 ** (-(q - 1)) - w) / (q - 1))) and is_zero(sol.subs(t, 0) - v0)
        ok &= is_zero(sp.solve(sp.Eq(v0 ** (-(q - 1)) - (q - 1) * t, 0), t)[0] - v0 ** (-(q - 1)) / (q - 1))
    checks["toy_blowup"] = bool(ok)
    # Conservation ‖v‖² − ‖u‖²/q for the q-homogeneous unit (one sample, d = 1): d/dt = 2Φ − 2Φ = 0.
    vv, uu, xx, yy = sp.symbols("v u x y", real=True)
    for q in (2, 3):
        vdot, udot = yy * (uu * xx) ** q, q * vv * yy * (uu * xx) ** (q - 1) * xx
        checks[f"balance_conserved_q{q}"] = is_zero(2 * vv * vdot - 2 * uu * udot / q)
    # Tail of the blow-up integral: with ρ' ≥ g > 0, ∫_0^∞ e^{−(q−1)(ρ + g s)} ds = e^{−(q−1)ρ}/((q−1) g).
    g, rho = sp.symbols("g rho", positive=True)
    qq = sp.Symbol("q", positive=True)
    checks["tail_integral"] = is_zero(sp.integrate(sp.exp(-(qq - 1) * (rho + g * x)), (x, 0, sp.oo), conds="none")
                                      - sp.exp(-(qq - 1) * rho) / ((qq - 1) * g))
    return checks


# --- blow-up of a homogeneous field (q >= 2) ---------------------------------------------------------------------
def blowup_time(field: Callable[[np.ndarray], np.ndarray], x0, q: int, *, rtol: float = 1e-12,
                tail_tol: float = 1e-13, max_chunks: int = 400) -> float:
    """Blow-up time of ẋ = F(x), F homogeneous of degree q ≥ 2 (F(λx) = λ^q F(x)); inf if it never blows up.

    Parameters
    ----------
    field : callable
        F, maps an array of shape (D,) to shape (D,).
    x0 : array_like
        Initial state (D,).
    q : int
        Degree of homogeneity, q ≥ 2.
    rtol, tail_tol, max_chunks : float, float, int
        ODE tolerance; the neglected tail relative to the time; safety cap on the integration length.

    Notes
    -----
    With r = ‖x‖, n = x/r and the time change dt = r^{−(q−1)} ds (docs/theory.md §6.12; the analogue of the
    clock dτ = 2v dt of §6.7),

        n' = F(n) − (n·F(n)) n,      ρ' = n·F(n)   (ρ = ln r),      t' = e^{−(q−1)ρ},

    an autonomous flow on the sphere without blow-up. The state blows up when ρ → ∞ as s → ∞ and then
    t(∞) = τ < ∞. When F = ∇Φ (the unit ODE: Φ = E[(v·y)(u·x̃)^q]) the sphere flow is the projected gradient
    ascent of Φ, so ρ' = (q + 1)Φ(n) never decreases and the remaining time is bounded by
    e^{−(q−1)ρ}/((q−1)ρ'); the integration stops when this bound is below ``tail_tol``·t and adds it. A state whose
    direction settles where ρ' ≤ 0, or that shrinks by e^{−30}, never blows up (inf).

    Examples
    --------
    >>> round(blowup_time(lambda z: z**2, [0.25], 2), 10)          # v̇ = v²: 1/v_0
    4.0
    >>> blowup_time(lambda z: z**2, [-0.25], 2)                    # v_0 < 0 decays
    inf
    """
    if q < 2:
        raise ValueError(f"blowup_time: q >= 2 required, got {q}")
    x0 = np.asarray(x0, dtype=np.float64).reshape(-1)
    r0 = float(np.linalg.norm(x0))
    if not np.isfinite(r0):
        raise ValueError("blowup_time: x0 must be finite")
    if r0 == 0.0:
        return math.inf
    D = x0.size
    p = q - 1

    def rhs(_s, y):
        n = y[:D] / np.linalg.norm(y[:D])
        F = np.asarray(field(n), dtype=np.float64).reshape(-1)
        g = float(n @ F)
        return np.concatenate([F - g * n, [g, math.exp(-p * y[D])]])

    def tail(y) -> float:
        n = y[:D] / np.linalg.norm(y[:D])
        g = float(n @ np.asarray(field(n), dtype=np.float64).reshape(-1))
        return math.exp(-p * y[D]) / (p * g) if g > 0 else math.inf

    def done(_s, y):  # ln(tail_tol · t) − ln(tail bound): crosses 0 upwards once the remaining time is negligible
        n = y[:D] / np.linalg.norm(y[:D])
        g = float(n @ np.asarray(field(n), dtype=np.float64).reshape(-1))
        if g <= 0:
            return -1e3
        return math.log(tail_tol * max(y[D + 1], 1e-300)) + p * y[D] + math.log(p * g)

    done.terminal = True
    done.direction = 1.0
    rho0 = math.log(r0)

    def shrunk(_s, y):
        return y[D] - (rho0 - 30.0)

    shrunk.terminal = True
    shrunk.direction = -1.0
    # Size of the field on the unit sphere (at the start, the axes and a few fixed directions): sets the s-time unit
    # and the "direction has settled" threshold.
    probes = np.vstack([x0 / r0, np.eye(D), np.random.default_rng(0).standard_normal((4, D))])
    f_ref = max(float(np.linalg.norm(np.asarray(field(w / np.linalg.norm(w)), dtype=np.float64))) for w in probes)
    if f_ref == 0.0:
        return math.inf
    scale = 1.0 / f_ref  # s-time unit
    y = np.concatenate([x0 / r0, [rho0, 0.0]])
    for _ in range(max_chunks):
        sol = solve_ivp(rhs, (0.0, 50.0 * scale), y, method="DOP853", rtol=rtol, atol=1e-14,
                        events=(done, shrunk))
        if not sol.success:
            raise RuntimeError(f"blowup_time: integration failed: {sol.message}")
        y = sol.y[:, -1]
        if sol.t_events[0].size:
            return float(y[D + 1] + tail(y))
        if sol.t_events[1].size:
            return math.inf
        d = rhs(0.0, y)
        if d[D] <= 0 and np.linalg.norm(d[:D]) <= 1e-10 * f_ref:
            return math.inf  # direction settled where ρ' ≤ 0 (Φ cannot rise any more): the state never grows
        y[:D] /= np.linalg.norm(y[:D])
    warnings.warn("blowup_time: no blow-up within the integration cap; returning inf", RuntimeWarning, stacklevel=2)
    return math.inf


def unit_field(q: int, X: np.ndarray, Y: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The normalised (a = 1) frozen-residual unit field θ = (v, u) ↦ (E[y (u·x̃)^q], q E[(v·y)(u·x̃)^{q−1} x̃]).

    Parameters
    ----------
    q : int
        Taylor order.
    X, Y : arrays (P, d_in'), (P, d_out)
        The task as samples (X with its bias column, if any).

    Returns
    -------
    callable
        θ (d_out + d_in',) ↦ θ̇; it is ∇Φ with Φ(v, u) = E[(v·y)(u·x̃)^q] (docs/theory.md §6.12), homogeneous of
        degree q.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    P, d_out = Y.shape

    def field(theta: np.ndarray) -> np.ndarray:
        v, u = theta[:d_out], theta[d_out:]
        z = X @ u
        vdot = Y.T @ z**q / P
        udot = q * X.T @ ((Y @ v) * z ** (q - 1)) / P
        return np.concatenate([vdot, udot])

    return field


def unit_tau(q: int, v_hat, u_hat, X, Y, **kwargs) -> float:
    """Blow-up time τ of the normalised unit ODE (a = 1) from (v̂, û); inf if it never blows up.

    Parameters
    ----------
    q : int
        Taylor order, q ≥ 2.
    v_hat, u_hat : arrays (d_out,), (d_in')
        The unit's normalised initial weights θ̂_i = θ_i(0)/ε.
    X, Y : arrays (P, d_in'), (P, d_out)
        The task as samples.
    **kwargs
        Passed to :func:`blowup_time`.

    Returns
    -------
    float
        τ; with coefficient a and scale ε the unit blows up at τ/(|a| ε^{q−1}) (docs/theory.md §6.12), after
        v̂ → sign(a) v̂ when a < 0.

    Examples
    --------
    >>> import numpy as np
    >>> round(unit_tau(3, [0.5], [np.sqrt(3) * 0.5], [[1.0]], [[1.0]]), 10)   # balanced: v̇ = 3^{3/2} v³
    0.3849001795
    """
    X, Y = _check_data(X, Y)
    theta = np.concatenate([np.asarray(v_hat, float).reshape(-1), np.asarray(u_hat, float).reshape(-1)])
    if theta.size != Y.shape[1] + X.shape[1]:
        raise ValueError("unit_tau: v_hat/u_hat sizes do not match Y/X")
    return blowup_time(unit_field(q, X, Y), theta, q, **kwargs)


# --- q = 1: the aligned-mode reduced model ------------------------------------------------------------------------
@dataclass(frozen=True)
class _LinearLaw:
    rate: float
    intercept: float
    levels: tuple[float, float]


def _first_drop(t: np.ndarray, L: np.ndarray, rate: np.ndarray) -> tuple[float, float, int] | None:
    """(L_0, L_1, index to search the crossing from) of the first drop, by the rules of docs/theory.md §0.7 as
    ``numerics/plateaus.py`` applies them: drops are peaks of log|dL/dt| with prominence ≥ ln 10 that remove at
    least 1e-3 of the initial loss; each level is the loss where |dL/dt| is smallest between consecutive drops."""
    top = rate.max()
    if top <= 0:
        return None
    logr = np.log(np.maximum(rate, top * 1e-250))
    peaks = list(find_peaks(logr, prominence=math.log(10.0))[0])
    scale = abs(L[0]) if L[0] != 0 else 1.0
    while peaks:
        bounds = [0, *peaks, t.size - 1]
        pts = [lo + int(np.argmin(logr[lo:hi + 1])) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
        removed = L[pts][:-1] - L[pts][1:]
        if removed.min() >= 1e-3 * scale:
            return float(L[pts[0]]), float(L[pts[1]]), pts[0]
        del peaks[int(np.argmin(removed))]
    return None


def _reduced_model(sigma, sigma_prime, z: np.ndarray, yv: np.ndarray, const: float):
    """Loss ℓ(ν, μ), its rate |dℓ/dt| = ‖∇ℓ‖² and the gradient flow of the aligned-mode model
    f = e_v Σ_i ν_i σ(μ_i z), z = e_u·x̃, yv = e_v·y; ``curve`` evaluates ℓ and the rate on states (2H, G)."""
    P = z.size

    def grad(th: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        H = th.shape[0] // 2
        nu, mu = th[:H], th[H:]
        zz = z.reshape((P,) + (1,) * th.ndim) * mu  # (P, H[, G])
        s = sigma(zz)
        r = yv.reshape((P,) + (1,) * (th.ndim - 1)) - np.einsum("ph...,h...->p...", s, nu)
        gnu = np.einsum("ph...,p...->h...", s, r) / P
        gmu = nu * np.einsum("ph...,p,p...->h...", sigma_prime(zz), z, r) / P
        return r, gnu, gmu

    def flow(_t: float, th: np.ndarray) -> np.ndarray:  # one state: plain matrix products (fast path of grad)
        H = th.size // 2
        nu, mu = th[:H], th[H:]
        zz = np.multiply.outer(z, mu)
        s = sigma(zz)
        r = yv - s @ nu
        return np.concatenate([s.T @ r, nu * ((sigma_prime(zz) * z[:, None]).T @ r)]) / P

    def curve(TH: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        r, gnu, gmu = grad(TH)
        return 0.5 * np.mean(r * r, axis=0) + const, np.sum(gnu**2, axis=0) + np.sum(gmu**2, axis=0)

    return curve, flow


def _linear_law(a: float, sigma, sigma_prime, V_hat, U_hat, X, Y, delta: float) -> _LinearLaw:
    """Rate |a| s_1 and intercept b of t* = ln(1/ε)/(|a| s_1) + b (docs/theory.md §6.12, q = 1)."""
    P = X.shape[0]
    C = Y.T @ X / P
    Uc, S, Vt = np.linalg.svd(C)
    s1 = float(S[0])
    if not s1 > 0:
        raise ValueError("first_escape: C = E[y x~^T] = 0, no linear escape (q = 1)")
    if S.size > 1 and S[1] > (1 - 1e-8) * s1:
        raise ValueError("first_escape: s_1 of C = E[y x~^T] is degenerate; the aligned mode is not defined")
    e_v, e_u = Uc[:, 0], Vt[0]
    sg = 1.0 if a > 0 else -1.0
    lam = abs(a) * s1
    # Growing eigenvector (e_v; sg e_u)/√2 of a[[0, C], [Cᵀ, 0]]: unit i carries p̂_i = e_v·v̂_i + sg e_u·û_i and,
    # once the mode dominates, v_i = ν_i e_v, u_i = sg ν_i e_u with ν_i = ε e^{λt} p̂_i/2.
    p_hat = V_hat @ e_v + sg * (U_hat @ e_u)
    if not np.any(p_hat != 0):
        raise ValueError("first_escape: the initial direction has no component on the growing mode")
    # Amplitude δ at the start of the reduced model: normalised so that the largest unit has |ν| = δ.
    amp = delta / float(np.max(np.abs(p_hat)))
    nu0 = amp * p_hat / 2
    th0 = np.concatenate([nu0, sg * nu0])
    z = X @ e_u
    yv = Y @ e_v
    const = 0.5 * float(np.mean(np.sum(Y * Y, axis=1) - yv * yv))
    curve, flow = _reduced_model(sigma, sigma_prime, z, yv, const)
    # Linear phase from ε to the reduced model's start: ν = ε e^{λt} p̂/2 reaches amp·p̂/2 after ln(amp/ε)/λ; so
    # t*(ε) = ln(amp/ε)/λ + T_mid, i.e. b = T_mid + ln(amp)/λ.
    T_mid, L0, L1 = _reduced_drop_time(curve, flow, th0, lam)
    return _LinearLaw(rate=lam, intercept=T_mid + math.log(amp) / lam, levels=(L0, L1))


# The reduced model has reached its next plateau when |dℓ/dt| is this far below its peak: the level it still has to
# fall moves the midpoint, hence the drop time, by a relative amount of this order (slowly converging reduced models,
# e.g. sin on generic data, otherwise run for minutes).
SETTLED = 1e-8
# A model that approaches its next level very slowly stops once its clock reaches this multiple of the time at which
# its first drop became identifiable: a deterministic bound (a wall-clock one made the level, hence the intercept,
# depend on the machine's speed). On data where the aligned subspace is invariant the level has settled to SETTLED
# well before 30x (3x was too early: the intercept moved by 1e-5 against a 1e-7 tolerance in
# tests/test_taylor_escape.py); on generic data, where the model has no true next plateau, the level read at 30x
# differs from the one at 300x by ~2e-4 relative in t* (tanh-fc), inside that case's O(1) modelling error.
SETTLE_FACTOR = 30.0


def _reduced_drop_time(curve, flow, th0: np.ndarray, lam: float, max_chunks: int = 30) -> tuple[float, float, float]:
    """First midpoint crossing (docs/theory.md §0.7) of the reduced model's loss curve from th0, and its levels
    (time, L_0, L_1).

    The flow is integrated in chunks (DOP853, rtol 1e-10, docs/theory.md §0.6) until the first drop is over: the
    rate |dℓ/dt| has fallen below :data:`SETTLED` of its peak (the next plateau is reached), or it has risen
    tenfold from a valley at least tenfold below the peak (the next drop has begun), or a second drop is complete.
    The levels follow ``_first_drop``; the crossing is refined on the dense output.
    """
    chunk = (math.log(1.0 / max(float(np.max(np.abs(th0))), 1e-300)) + 20.0) / lam
    t0, y0 = 0.0, th0
    ts, Ls, rs, sols = [], [], [], []
    identified_at = math.inf
    for k in range(max_chunks):
        # Chunks grow geometrically after the first two: later plateaus can be long.
        sol = solve_ivp(flow, (t0, t0 + chunk * 1.5 ** max(k - 1, 0)), y0, method="DOP853", rtol=1e-10,
                        atol=1e-14 * max(1.0, lam), dense_output=True)
        if not sol.success:
            raise RuntimeError(f"first_escape: reduced-model integration failed: {sol.message}")
        # Solver steps plus three points inside each step (the dense output is accurate there).
        grid = (sol.t[:-1, None] + np.diff(sol.t)[:, None] * np.array([0.0, 0.25, 0.5, 0.75])).ravel()
        grid = np.append(grid, sol.t[-1])[(1 if k else 0):]
        Lg, rg = curve(sol.sol(grid))
        ts.append(grid)
        Ls.append(Lg)
        rs.append(rg)
        sols.append(sol)
        t0, y0 = float(sol.t[-1]), sol.y[:, -1]
        t_all, L_all, r_all = np.concatenate(ts), np.concatenate(Ls), np.concatenate(rs)
        ipk = int(np.argmax(r_all))
        if ipk < r_all.size - 1 and r_all[-1] < SETTLED * r_all[ipk]:
            break
        # A valley after the first drop (rate ≥ 10× below the peak, then ≥ 10× up again): the next drop has begun
        # and the level L_1 (the valley floor) is fixed.
        jm = ipk + int(np.argmin(r_all[ipk:]))
        if r_all[jm] <= 0.1 * r_all[ipk] and r_all[-1] >= 10.0 * r_all[jm]:
            break
        logr = np.log(np.maximum(r_all, r_all.max() * 1e-250))
        if len(find_peaks(logr, prominence=math.log(10.0))[0]) >= 2 and _first_drop(t_all, L_all, r_all):
            break
        if math.isinf(identified_at) and _first_drop(t_all, L_all, r_all):
            identified_at = t0
        if t0 >= SETTLE_FACTOR * identified_at:
            break
    fd = _first_drop(t_all, L_all, r_all)
    if fd is None:
        raise RuntimeError("first_escape: the reduced model shows no drop")
    L0, L1, i0 = fd
    mid = 0.5 * (L0 + L1)
    j = i0 + int(np.flatnonzero(L_all[i0:] <= mid)[0])
    lo, hi = float(t_all[j - 1]), float(t_all[j])
    sol = next(s for s in sols if s.t[0] <= lo and hi <= s.t[-1])
    t_mid = brentq(lambda tt: curve(sol.sol(tt)[:, None])[0][0] - mid, lo, hi, xtol=1e-13, rtol=1e-14)
    return float(t_mid), L0, L1


# --- public API -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TaylorEscape:
    """First escape from the origin saddle predicted from the Taylor order q (docs/theory.md §6.12).

    Attributes
    ----------
    q, a : int, float
        Taylor order and leading coefficient, σ(z) = a z^q + O(z^{q+1}).
    rate : float or None
        |a| s_1, growth rate of the dormant mode (q = 1).
    exponent : float
        d ln t*/d ln(1/ε): 0 for q = 1 (log law), q − 1 for q ≥ 2.
    slope : float or None
        d t*/d ln(1/ε) = 1/(|a| s_1) (q = 1).
    intercept : float or None
        b of t* = ln(1/ε)/(|a| s_1) + b (q = 1): the first-drop time at ε = 1 on the log law.
    tau : float or None
        min_i τ_i (q ≥ 2), the earliest blow-up time of the normalised unit ODE.
    t_escape : float
        Predicted first-drop time at the given ε.
    unit : int
        Index of the unit that escapes first (q ≥ 2), −1 for the collective q = 1 mode (or when none escapes).
    assumptions : tuple of str
    levels : tuple of float or None
        (L_0, L_1), the plateau levels on either side of the first drop of the q = 1 reduced model, whose midpoint
        defines its drop time (docs/theory.md §0.7); None for q ≥ 2.
    """

    q: int
    a: float
    rate: float | None
    exponent: float
    slope: float | None
    intercept: float | None
    tau: float | None
    t_escape: float
    unit: int
    assumptions: tuple[str, ...]
    levels: tuple[float, float] | None = None


def _check_data(X, Y) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[:, None]
    if X.ndim != 2 or Y.ndim != 2 or X.shape[0] != Y.shape[0] or X.shape[0] == 0:
        raise ValueError(f"X (P, d_in') and Y (P, d_out) must have the same P >= 1; got {X.shape}, {Y.shape}")
    if not (np.isfinite(X).all() and np.isfinite(Y).all()):
        raise ValueError("X/Y must be finite")
    return X, Y


def _check_sigma(q: int, a: float, sigma) -> None:
    """σ(0) = 0 and σ(h) ≈ a h^q at h = ±1e-2 (relative 0.1): catches a wrong q or a passed by the caller."""
    if sigma is None:
        return
    if abs(float(sigma(np.float64(0.0)))) > 1e-12:
        raise ValueError("sigma(0) != 0: u = 0 is not a zero unit, the Taylor-order law does not apply")
    for h in (1e-2, -1e-2):
        ratio = float(sigma(np.float64(h))) / (a * h**q)
        if not abs(ratio - 1.0) < 0.1:
            raise ValueError(f"sigma(z) is not a z^q + O(z^(q+1)) with q = {q}, a = {a}: sigma({h})/(a h^q) = {ratio}")


def _laws(q: int, a: float, sigma, sigma_prime, V_hat, U_hat, X, Y, delta: float):
    if not (isinstance(q, int | np.integer) and q >= 1):
        raise ValueError(f"q must be an integer >= 1, got {q!r}")
    if not (np.isfinite(a) and a != 0):
        raise ValueError(f"a must be finite and nonzero, got {a!r}")
    X, Y = _check_data(X, Y)
    V_hat = np.asarray(V_hat, dtype=np.float64)
    U_hat = np.asarray(U_hat, dtype=np.float64)
    if V_hat.ndim == 1:
        V_hat = V_hat[:, None]
    if V_hat.shape[1] != Y.shape[1] or U_hat.ndim != 2 or U_hat.shape[1] != X.shape[1] or \
            U_hat.shape[0] != V_hat.shape[0]:
        raise ValueError(f"V (H, d_out) / U (H, d_in') do not match Y {Y.shape} / X {X.shape}: "
                         f"{V_hat.shape}, {U_hat.shape}")
    _check_sigma(int(q), float(a), sigma)
    if q == 1:
        if sigma is None or sigma_prime is None:
            raise ValueError("q = 1 needs sigma and sigma_prime (the aligned-mode reduced model)")
        return _linear_law(float(a), sigma, sigma_prime, V_hat, U_hat, X, Y, delta)
    sg = 1.0 if a > 0 else -1.0  # a < 0 is a > 0 with v → −v (docs/theory.md §6.12)
    taus = np.array([unit_tau(int(q), sg * V_hat[i], U_hat[i], X, Y) for i in range(V_hat.shape[0])])
    return taus


def first_escape(q: int, a: float, sigma, sigma_prime, V0, U0, X, Y, eps: float, *,
                 delta: float = 1e-6) -> TaylorEscape:
    """Predicted first-drop time of f(x) = Σ_i v_i σ(u_i·x̃) from the Taylor order q of σ (docs/theory.md §6.12).

    Parameters
    ----------
    q : int
        Taylor order, σ(z) = a z^q + O(z^{q+1}), q ≥ 1.
    a : float
        Leading Taylor coefficient (nonzero).
    sigma, sigma_prime : callable or None
        σ and σ′ of the full unit (NumPy, elementwise); used only by the q = 1 reduced model (None allowed for
        q ≥ 2). σ(0) = 0 and σ(±1e-2) ≈ a(±1e-2)^q are checked.
    V0, U0 : arrays (H, d_out), (H, d_in')
        The actual initial blocks θ_0 = ε θ̂.
    X, Y : arrays (P, d_in'), (P, d_out)
        The task as samples; X carries the bias column when there is one.
    eps : float
        The initialisation scale ε > 0 (θ̂ = θ_0/ε).
    delta : float
        Amplitude at which the q = 1 reduced model takes over from the linear phase (its effect is O(δ²)).

    Returns
    -------
    TaylorEscape

    Notes
    -----
    q = 1: t* = ln(1/ε)/(|a| s_1) + b, b from the aligned-mode reduced model ℓ(ν, μ) (2H scalars) started at the
    linear-phase amplitudes, drop time = midpoint crossing of its loss (docs/theory.md §0.7). q ≥ 2:
    t* = min_i τ_i/(|a| ε^{q−1}). The full network is never integrated.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.5], [-0.5, 1.0], [0.3, -1.2]]); Y = (X @ [1.0, -0.4])[:, None]
    >>> V0, U0 = 1e-3 * np.array([[1.0], [-0.5]]), 1e-3 * np.array([[0.2, 0.7], [1.0, -0.3]])
    >>> e = first_escape(1, 1.0, lambda z: z, lambda z: np.ones_like(z), V0, U0, X, Y, eps=1e-3)
    >>> e.unit, e.exponent, round(e.slope * e.rate, 12)
    (-1, 0.0, 1.0)
    """
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be positive and finite, got {eps!r}")
    V0 = np.asarray(V0, dtype=np.float64)
    U0 = np.asarray(U0, dtype=np.float64)
    law = _laws(q, a, sigma, sigma_prime, V0 / eps, U0 / eps, X, Y, delta)
    return _result(q, a, law, eps)


def _result(q: int, a: float, law, eps: float) -> TaylorEscape:
    if q == 1:
        return TaylorEscape(q=1, a=float(a), rate=law.rate, exponent=0.0, slope=1.0 / law.rate,
                            intercept=law.intercept, tau=None, t_escape=math.log(1.0 / eps) / law.rate + law.intercept,
                            unit=-1, assumptions=ASSUMPTIONS_LINEAR, levels=law.levels)
    taus = law
    i = int(np.argmin(taus))
    tau = float(taus[i])
    return TaylorEscape(q=int(q), a=float(a), rate=None, exponent=float(q - 1), slope=None, intercept=None, tau=tau,
                        t_escape=tau / (abs(a) * eps ** (q - 1)), unit=i if np.isfinite(tau) else -1,
                        assumptions=ASSUMPTIONS_POWER)


def escape_curve(q: int, a: float, sigma, sigma_prime, V_hat, U_hat, X, Y, eps_values: Sequence[float] | np.ndarray,
                 *, delta: float = 1e-6) -> np.ndarray:
    """Predicted first-drop times t*(ε) for each ε from the same normalised direction (V̂, Û) = θ_0/ε.

    q = 1: ln(1/ε)/(|a| s_1) + b; q ≥ 2: min_i τ_i/(|a| ε^{q−1}) (docs/theory.md §6.12). τ_i or b is computed once.

    Examples
    --------
    >>> import numpy as np
    >>> X, Y = np.array([[1.0]]), np.array([[1.0]])
    >>> escape_curve(2, 2.0, None, None, [[1.0]], [[np.sqrt(2)]], X, Y, [1e-2, 1e-3]).round(6).tolist()
    [25.0, 250.0]
    """
    eps_values = np.asarray(eps_values, dtype=np.float64)
    if not (np.isfinite(eps_values).all() and (eps_values > 0).all()):
        raise ValueError("eps_values must be positive and finite")
    law = _laws(q, a, sigma, sigma_prime, V_hat, U_hat, X, Y, delta)
    return np.array([_result(q, a, law, float(e)).t_escape for e in eps_values.reshape(-1)]).reshape(eps_values.shape)


__all__ = ["ASSUMPTIONS_LINEAR", "ASSUMPTIONS_POWER", "ESCAPE_LINEAR_ORDER", "ESCAPE_POWER_LAW", "SOURCE",
           "TaylorEscape", "blowup_time", "derive_linear_rate", "derive_scaling", "escape_curve", "first_escape",
           "symbolic_checks", "unit_field", "unit_tau"]
