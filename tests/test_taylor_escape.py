"""Escape law from the Taylor order (theory/closed_forms/taylor_escape.py, docs/theory.md §6.12).

The symbolic derivations, the blow-up integrator against the §6.7 first-escape integral and the toy v̇ = v^q, and
the law t*(ε) against direct gradient-flow simulations of tiny full networks f(x) = Σ_i v_i σ(u_i·x̃) (H = 2,
d_in = 2, d_out = 1, P = 64, teacher of the same form) at ε = 1e-2, 1e-3, 1e-4. The network's gradient is written
here with NumPy (the project's numerics package is not used), and the simulated first-drop time is read with the
rules of docs/theory.md §0.7 (drops are peaks of log|dL/dt| of prominence ≥ ln 10, each level is the loss where
|dL/dt| is smallest, the drop time is the midpoint crossing, refined on the dense output).

Tolerances, from the terms the law neglects (W = (L_0 − L_1)/max|dL/dt|, the width of the simulated drop, is the
time scale of the nonlinear phase; 1e-8·t covers the two rtol = 1e-10 integrations):

* q ≥ 2: |t_sim − t_pred| ≤ W (1 + ln(1/ε)) + 1e-8 t. The law drops (i) the O(1) time between the loss midpoint and
  the blow-up of the frozen-residual ODE — the duration of the nonlinear phase, i.e. of order W; (ii) the next
  Taylor term (here z^{2q−1}, relative order r^{q−1} in the amplitude r), which shifts the blow-up by
  (β/A) ln(1/ε) with β/A again the nonlinear time scale (the correction is O(1) exactly where the drop happens);
  (iii) the change of the residual, relative O(r^{q+1}), which only acts in the O(1) phase. Relative to
  t* ∝ ε^{−(q−1)} this is O(ε^{q−1} ln(1/ε)).
* q = 1 with the aligned subspace invariant (data symmetric under the reflection across the teacher's direction,
  teacher along one direction): |t_sim − t_pred| ≤ ε²‖θ̂‖² (W + ln(1/ε)/(|a| s_1)) + 1e-8 t. The neglected parts of
  θ_0 (zero and decaying modes, O(ε)) act on the aligned dynamics only at second order, a relative O(ε²‖θ̂‖²)
  change of the growth rate over the linear phase (duration ln(1/ε)/(|a| s_1)) and over the O(1) phase (W); the
  reduced model's start at δ = 1e-6 adds O(δ²).
* q = 1, generic data: the same comparison of *differences* t(ε_i) − t(ε_j) (the slope 1/(|a| s_1)), with the
  first-order O(ε‖θ̂‖) coupling of the off-mode components: 2 ε_max ‖θ̂‖ (W + ln(1/ε_max)/(|a| s_1)). The intercept
  is not predicted to o(1) there (known limitation, marked xfail): the reduced model's next level is the minimum
  in the aligned subspace, which the full network does not stop at.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.optimize import brentq
from scipy.signal import find_peaks

from theory.closed_forms import taylor_escape as te
from theory.closed_forms import unit_escape

EPS = (1e-2, 1e-3, 1e-4)


# --- symbolic ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("q", [2, 3, 4])
def test_scaling_leaves_unit_ode_invariant(q):
    assert te.derive_scaling(q).is_zero_matrix


def test_scaling_for_symbolic_q_and_a_wrong_exponent_is_caught():
    assert te.derive_scaling(d_out=1, d_in=2, n_samples=1).is_zero_matrix  # q a symbol
    for wrong in (3, 1):  # ε^q or ε^{q−2} instead of ε^{q−1}
        assert not te.derive_scaling(3, d_out=1, d_in=1, n_samples=1, time_exponent=wrong).is_zero_matrix


def test_linear_rate_is_plus_minus_a_s():
    a, s = sp.symbols("a s", positive=True)
    assert te.derive_linear_rate() == (a * s, -a * s)


def test_symbolic_checks_and_closed_forms():
    checks = te.symbolic_checks()
    assert checks and all(checks.values()), checks
    for form in (te.ESCAPE_LINEAR_ORDER, te.ESCAPE_POWER_LAW):
        assert form.latex and form.assumptions and form.source == "docs/theory.md §6.12 [derived]"
    assert sp.simplify(te.ESCAPE_POWER_LAW.expr.rhs.subs(te.q_s, 3) - te.tau_s / (te.a_s * te.eps_s**2)) == 0


# --- blow-up integrator ------------------------------------------------------------------------------------------
def test_q2_tau_matches_the_first_escape_integral():
    """Quadratic unit σ = z² on a quadratic Gaussian task: the normalised unit ODE is Eq. 14 with G = E[y x xᵀ]."""
    rng = np.random.default_rng(0)
    P, d = 400, 3
    X = rng.standard_normal((P, d))
    Y = np.einsum("pi,ij,pj->p", X, np.diag([2.0, -1.0, 0.5]), X)[:, None]
    G = X.T @ (Y[:, 0, None] * X) / P
    cases = set()
    for seed in range(10):
        r = np.random.default_rng(seed)
        v, u = r.standard_normal(1), r.standard_normal(d)
        ref = unit_escape.escape_time_matrix(float(v[0]), u, G)
        cases.add(ref.case)
        assert te.unit_tau(2, v, u, X, Y) == pytest.approx(ref.t_star, rel=1e-6)
    assert cases == {"A", "B"}  # both branches of §6.7 are exercised


@pytest.mark.parametrize("q", [2, 3, 4])
def test_toy_blowup(q):
    for v0 in (0.3, 1.0, 1.7):
        assert te.blowup_time(lambda z, q=q: z**q, [v0], q) == pytest.approx(v0 ** (-(q - 1)) / (q - 1), rel=1e-9)
    # The same toy as a balanced one-sample unit (x = y = 1): u = √q v gives v̇ = q^{q/2} v^q.
    X = Y = np.array([[1.0]])
    v0 = 0.4
    assert te.unit_tau(q, [v0], [math.sqrt(q) * v0], X, Y) == pytest.approx(
        v0 ** (-(q - 1)) / ((q - 1) * q ** (q / 2)), rel=1e-9)


def test_units_that_never_blow_up_get_inf():
    assert te.blowup_time(lambda z: z**2, [-0.5], 2) == math.inf
    X, Y = np.sqrt(2.0) * np.eye(2), np.array([[1.0], [2.0]])  # G = diag(1, 2) > 0 and v < 0: u decays (§6.7)
    assert te.unit_tau(2, [-1.0], [0.1, 0.1], X, Y) == math.inf
    assert unit_escape.escape_time_matrix(-1.0, [0.1, 0.1], np.diag([1.0, 2.0])).case == "none"


def test_power_law_scaling_and_sign_of_a():
    rng = np.random.default_rng(3)
    X, Y = rng.standard_normal((20, 3)), rng.standard_normal((20, 2))
    Vh, Uh = rng.standard_normal((3, 2)), rng.standard_normal((3, 3))
    curve = te.escape_curve(3, 2.0, None, None, Vh, Uh, X, Y, EPS)
    one = te.first_escape(3, 2.0, None, None, 1e-3 * Vh, 1e-3 * Uh, X, Y, eps=1e-3)
    assert one.exponent == 2.0 and one.t_escape == pytest.approx(one.tau / (2.0 * 1e-6), rel=1e-12)
    np.testing.assert_allclose(curve, one.tau / (2.0 * np.asarray(EPS) ** 2), rtol=1e-12)
    # σ → −σ with v → −v leaves f unchanged: a < 0 is handled by that symmetry.
    neg = te.first_escape(3, -2.0, None, None, -1e-3 * Vh, 1e-3 * Uh, X, Y, eps=1e-3)
    assert (neg.tau, neg.unit) == (one.tau, one.unit)


def test_linear_law_sign_of_a_and_delta_independence():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((30, 2))
    Y = (np.sin(X @ [1.0, 0.4]) - 0.5 * np.sin(X @ [-0.3, 0.8]))[:, None]
    Vh, Uh = rng.standard_normal((2, 1)), rng.standard_normal((2, 2))
    e = te.first_escape(1, 1.0, np.sin, np.cos, 1e-3 * Vh, 1e-3 * Uh, X, Y, eps=1e-3)
    C = Y.T @ X / 30
    assert e.rate == pytest.approx(np.linalg.svd(C, compute_uv=False)[0], rel=1e-12)
    assert e.slope == pytest.approx(1 / e.rate) and e.unit == -1 and e.exponent == 0.0
    assert e.t_escape == pytest.approx(math.log(1e3) / e.rate + e.intercept, rel=1e-12)
    neg = te.first_escape(1, -1.0, lambda z: -np.sin(z), lambda z: -np.cos(z), -1e-3 * Vh, 1e-3 * Uh, X, Y, 1e-3)
    assert neg.t_escape == pytest.approx(e.t_escape, rel=1e-9)
    # The hand-over amplitude δ only enters at O(δ²).
    e2 = te.first_escape(1, 1.0, np.sin, np.cos, 1e-3 * Vh, 1e-3 * Uh, X, Y, eps=1e-3, delta=1e-4)
    assert e2.t_escape == pytest.approx(e.t_escape, abs=1e-6)


def test_bad_input_is_refused():
    X, Y = np.ones((4, 2)), np.ones((4, 1))
    V, U = np.ones((2, 1)), np.ones((2, 2))
    with pytest.raises(ValueError, match="sigma"):
        te.first_escape(1, 1.0, np.cos, np.sin, V, U, X, Y, 1e-3)  # σ(0) ≠ 0: no zero unit
    with pytest.raises(ValueError, match="a z\\^q"):
        te.first_escape(1, 1.0, lambda z: z**3, lambda z: 3 * z**2, V, U, X, Y, 1e-3)  # wrong q
    with pytest.raises(ValueError, match="eps"):
        te.first_escape(3, 1.0, None, None, V, U, X, Y, 0.0)
    with pytest.raises(ValueError):
        te.first_escape(3, 1.0, None, None, V, np.ones((2, 3)), X, Y, 1e-3)


# --- full networks, simulated ----------------------------------------------------------------------------------------
def _loss_grad(sig, dsig, X, Y, H):
    """L = ½ mean‖y − Σ_i v_i σ(u_i·x̃)‖² and its gradient, θ = (V (H, d_out), U (H, d_in')) flattened."""
    P, d_in = X.shape
    d_out = Y.shape[1]

    def f(th):
        V, U = th[:H * d_out].reshape(H, d_out), th[H * d_out:].reshape(H, d_in)
        Z = X @ U.T
        S = sig(Z)
        R = Y - S @ V
        gV = -S.T @ R / P
        gU = -((R @ V.T) * dsig(Z)).T @ X / P
        return 0.5 * np.mean(np.sum(R * R, axis=1)), np.concatenate([gV.ravel(), gU.ravel()])

    return f


def _simulate_first_drop(loss_grad, th0):
    """First drop of the full gradient flow (DOP853, rtol 1e-10): (t_mid, L_0, L_1, width W, ‖θ_i‖ at t_mid)."""
    fun = lambda t, th: -loss_grad(th)[1]  # noqa: E731
    L_start = loss_grad(th0)[0]

    def onset(t, th):
        return loss_grad(th)[0] - 0.99 * L_start

    onset.terminal, onset.direction = True, -1
    kw = dict(method="DOP853", rtol=1e-10, atol=1e-14, dense_output=True)
    sols = [solve_ivp(fun, (0.0, 1e15), th0, events=onset, **kw)]
    assert sols[0].status == 1, "no drop"
    r_max = 0.0
    for _ in range(400):  # past the drop until |dL/dt| has fallen 1e9-fold (the next plateau)
        sols.append(solve_ivp(fun, (sols[-1].t[-1], sols[-1].t[-1] + 5.0), sols[-1].y[:, -1], **kw))
        rates = [float(np.sum(loss_grad(y)[1] ** 2)) for y in sols[-1].y.T]
        r_max = max(r_max, *rates)
        if rates[-1] < 1e-9 * r_max:
            break
    t = np.unique(np.concatenate([np.concatenate([s.t[:-1], (s.t[:-1] + s.t[1:]) / 2]) for s in sols]
                                 + [sols[-1].t[-1:]]))

    def at(tt):
        return next(s for s in sols if s.t[0] <= tt <= s.t[-1]).sol(tt)

    LR = np.array([loss_grad(at(tt)) for tt in t], dtype=object)
    L = np.array([x[0] for x in LR])
    rate = np.array([float(np.sum(x[1] ** 2)) for x in LR])  # |dL/dt| = ‖∇L‖² under gradient flow
    logr = np.log(np.maximum(rate, rate.max() * 1e-250))
    peaks = find_peaks(logr, prominence=math.log(10.0))[0]
    k0 = int(np.argmin(logr[:peaks[0] + 1]))
    k1 = peaks[0] + int(np.argmin(logr[peaks[0]:(peaks[1] if peaks.size > 1 else t.size)]))
    L0, L1 = L[k0], L[k1]
    assert L0 - L1 > 1e-3 * L0
    mid = 0.5 * (L0 + L1)
    j = k0 + int(np.flatnonzero(L[k0:] <= mid)[0])
    t_mid = brentq(lambda tt: loss_grad(at(tt))[0] - mid, t[j - 1], t[j], xtol=1e-12, rtol=1e-15)
    return t_mid, L0, L1, (L0 - L1) / rate.max(), at(t_mid)


class Task:
    """One tiny task: σ = A·σ_0, teacher of the same form, and a fixed normalised initial direction θ̂."""

    def __init__(self, q, A, kind, seed=1):
        rng = np.random.default_rng(seed)
        P, H = 64, 2
        if q == 3:  # σ = A(z³ − z⁵/10), fc with bias: x̃ = [x; 1]
            self.sig = lambda z: A * (z**3 - z**5 / 10)
            self.dsig = lambda z: A * (3 * z**2 - z**4 / 2)
            x = rng.standard_normal((P, 2))
            self.X = np.hstack([x, np.ones((P, 1))])
            teacher_U = np.array([[1.0, 0.3, 0.2], [-0.4, 0.9, -0.1]])
        else:  # σ = A sin z, no bias
            self.sig = lambda z: A * np.sin(z)
            self.dsig = lambda z: A * np.cos(z)
            if kind == "symmetric":  # teacher along w, data closed under the reflection across w
                w = np.array([math.cos(0.7), math.sin(0.7)])
                n = np.array([-w[1], w[0]])
                x = rng.standard_normal((P // 2, 2))
                self.X = np.vstack([x, x - 2 * np.outer(x @ n, n)])
                teacher_U = np.array([1.3 * w, 0.5 * w])
            else:  # two teacher directions, Gaussian data
                self.X = rng.standard_normal((P, 2))
                teacher_U = np.array([[1.0, 0.3], [-0.4, 0.9]])
        teacher_V = np.array([[1.5], [-1.0]]) if kind != "symmetric" else np.array([[1.0], [0.7]])
        self.Y = self.sig(self.X @ teacher_U.T) @ teacher_V
        self.q, self.A, self.H = q, A, H
        self.Vh, self.Uh = rng.standard_normal((H, 1)), rng.standard_normal((H, self.X.shape[1]))
        self.norm2 = float(np.sum(self.Vh**2) + np.sum(self.Uh**2))
        self.law = te.escape_curve(q, A, self.sig, self.dsig, self.Vh, self.Uh, self.X, self.Y, EPS)
        self.first = te.first_escape(q, A, self.sig, self.dsig, 1e-3 * self.Vh, 1e-3 * self.Uh, self.X, self.Y, 1e-3)
        lg = _loss_grad(self.sig, self.dsig, self.X, self.Y, H)
        self.sim = [_simulate_first_drop(lg, e * np.concatenate([self.Vh.ravel(), self.Uh.ravel()])) for e in EPS]

    def tolerance(self, i):
        eps, (t_sim, _, _, W, _) = EPS[i], self.sim[i]
        if self.q >= 2:
            return W * (1 + math.log(1 / eps)) + 1e-8 * t_sim
        return eps**2 * self.norm2 * (W + math.log(1 / eps) * self.first.slope) + 1e-8 * t_sim

    def agrees(self, t_pred) -> list[bool]:
        """The comparison the law is judged by: each ε within its derived tolerance."""
        return [abs(self.sim[i][0] - t_pred[i]) <= self.tolerance(i) for i in range(len(EPS))]


@pytest.fixture(scope="module")
def cubic():
    return Task(3, 1.0, "teacher")


@pytest.fixture(scope="module")
def cubic_a2():
    return Task(3, 2.0, "teacher")


@pytest.fixture(scope="module")
def sine():
    return Task(1, 1.0, "symmetric")


@pytest.fixture(scope="module")
def sine_a2():
    return Task(1, 2.0, "symmetric")


@pytest.fixture(scope="module")
def sine_generic():
    return Task(1, 1.0, "generic")


def _report(task):
    rows = enumerate(zip(EPS, task.sim, task.law, strict=True))
    return [(e, s[0], p, s[0] - p, task.tolerance(i)) for i, (e, s, p) in rows]


@pytest.mark.parametrize("name", ["cubic", "cubic_a2"])
def test_power_law_matches_simulation(name, request):
    task = request.getfixturevalue(name)
    assert all(task.agrees(task.law)), _report(task)
    # The unit predicted to escape first is the one that is large at the simulated drop (unit separation).
    d_out = 1
    for *_, th in task.sim:
        U = th[task.H * d_out:].reshape(task.H, -1)
        V = th[:task.H * d_out].reshape(task.H, d_out)
        norms = np.sqrt(np.sum(U**2, axis=1) + np.sum(V**2, axis=1))
        assert int(np.argmax(norms)) == task.first.unit
    # The law is a power law in ε with exponent q − 1 = 2: relative error shrinks ~100-fold per decade.
    rel = [abs(s[0] - p) / s[0] for s, p in zip(task.sim, task.law, strict=True)]
    assert rel[0] < 1e-2 and rel[2] < 1e-5


@pytest.mark.parametrize("name", ["sine", "sine_a2"])
def test_log_law_matches_simulation(name, request):
    task = request.getfixturevalue(name)
    assert all(task.agrees(task.law)), _report(task)
    # Both curves go to the same next level (the aligned subspace is invariant here).
    for _, _, L1, _, _ in task.sim:
        assert abs(L1 - task.first.levels[1]) <= 1e-6 * task.first.levels[0]


def test_log_law_slope_on_generic_data(sine_generic):
    task = sine_generic
    t_sim = np.array([s[0] for s in task.sim])
    W = max(s[3] for s in task.sim)
    tol = 2 * EPS[0] * math.sqrt(task.norm2) * (W + math.log(1 / EPS[0]) * task.first.slope)
    for i in range(len(EPS) - 1):
        d_sim = t_sim[i + 1] - t_sim[i]
        assert abs(d_sim - task.first.slope * math.log(10.0)) <= tol, (d_sim, task.first.slope * math.log(10.0))
    # The offset t_sim − t_pred is the same at every ε: an O(1) error in b, not a wrong law.
    off = t_sim - task.law
    assert np.ptp(off) <= tol


@pytest.mark.xfail(strict=True, reason="generic data: the aligned-mode reduced model stops at the best fit inside "
                                       "the aligned subspace, which is no plateau of the full network, so the "
                                       "intercept b carries an O(1) error (docs/theory.md §6.12)")
def test_log_law_intercept_on_generic_data(sine_generic):
    assert all(sine_generic.agrees(sine_generic.law)), _report(sine_generic)


def test_wrong_laws_are_detected(cubic_a2, sine_a2):
    """The same comparison rejects the laws one gets by the usual slips (with a = 2 so that a and 1/a differ)."""
    c, a = cubic_a2, cubic_a2.A
    eps = np.asarray(EPS)
    assert all(c.agrees(c.law))
    tau = c.first.tau
    tau_units = [te.unit_tau(3, c.Vh[i], c.Uh[i], c.X, c.Y) for i in range(c.H)]
    wrong = {
        "exponent q instead of q - 1": tau / (a * eps**3),
        "a instead of 1/a": a * tau / eps**2,
        "no a": tau / eps**2,
        "last unit instead of first": max(tau_units) / (a * eps**2),
    }
    for name, law in wrong.items():
        assert not any(c.agrees(law)), name
    s = sine_a2
    assert all(s.agrees(s.law))
    b, rate = s.first.intercept, s.first.rate
    L = np.log(1 / eps)
    wrong = {
        "a instead of 1/a": L * a * a / rate + b,  # slope a/s_1 instead of 1/(a s_1)
        "slope 1/(2 a s_1)": L / (2 * rate) + b,
        "no intercept": L / rate,
        "power law 1/eps": 1 / (rate * eps),
    }
    for name, law in wrong.items():
        assert not any(s.agrees(law)), name
