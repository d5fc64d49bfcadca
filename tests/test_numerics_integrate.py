"""Tests of numerics.integrate: batched DOP853 gradient flow, gradient descent, dense output, results.

Self-contained gradient functions only (no numerics.objective): the scalar Saxe mode (exact sigmoid solution,
spec §6.1), a whitened two-layer linear net (§5.1) and diagonal quadratics (exact exponentials / GD powers).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import solve_ivp

from numerics.errors import InputError
from numerics.integrate import (
    DEFAULT_ATOL,
    gradient_descent,
    gradient_flow,
    interpolate,
    interpolate_many,
    refine_crossing,
)

SQ2 = math.sqrt(2.0)


def saxe_fun(s: float):
    """One balanced mode θ = (v, u), a = v·u, L = ½(s − a)²: with v = u = √a0, ȧ = 2a(s − a) exactly."""

    def fun(th):
        v, u = th[:, 0], th[:, 1]
        r = s - v * u
        return 0.5 * r**2, np.stack([-r * u, -r * v], axis=1)

    return fun


def saxe_a(t, s, a0):
    return s * np.exp(2 * s * t) / (np.exp(2 * s * t) - 1 + s / a0)


def t_mid(s, a0):
    return (math.log(s / a0 - 1) - math.log(1 + SQ2)) / (2 * s)


def linear_net(sig: np.ndarray, H: int):
    """Two-layer linear net on a whitened task: L = ½‖Σ − VᵀU‖², grad_V = −U Rᵀ, grad_U = −V R (R = Σ − VᵀU)."""
    do, di = sig.shape

    def fun(th):
        B = th.shape[0]
        V = th[:, : H * do].reshape(B, H, do)
        U = th[:, H * do :].reshape(B, H, di)
        R = sig[None] - np.einsum("bho,bhi->boi", V, U)
        gV = -np.einsum("bhi,boi->bho", U, R)
        gU = -np.einsum("bho,boi->bhi", V, R)
        return 0.5 * (R**2).sum(axis=(1, 2)), np.concatenate([gV.reshape(B, -1), gU.reshape(B, -1)], axis=1)

    return fun


def quad_fun(lam):
    lam = np.asarray(lam, dtype=float)

    def fun(th):
        return 0.5 * (lam * th**2).sum(axis=1), lam * th

    return fun


# ---------------------------------------------------------------- gradient flow


def test_flow_reproduces_scipy_dop853_step_sequence():
    # Same tableau, error norm, controller and initial step as scipy's DOP853 => the same accepted times while
    # the error estimate is meaningful. Not bitwise: we sum h-scaled stages (one gemv per stage), so the last
    # bits differ, and once converged (L < 1e-6 here) the estimate is round-off noise and the sequences drift.
    s, a0 = 3.0, 1e-8
    fun = saxe_fun(s)
    th0 = np.array([[math.sqrt(a0), math.sqrt(a0)]])
    res = gradient_flow(fun, th0, 10.0, gtol=0)
    sol = solve_ivp(lambda t, y: -fun(y[None])[1][0], (0, 10), th0[0], method="DOP853", rtol=1e-10, atol=1e-14)
    m = res[0]
    assert m.status == "t_max" and m.t_final == 10.0
    assert abs(m.t.size - sol.t.size) <= 2
    k = int(np.argmax(m.loss < 1e-6))
    assert k > 40
    np.testing.assert_allclose(m.t[:k], sol.t[:k], rtol=1e-6, atol=0)
    np.testing.assert_allclose(m.theta[-1], sol.y[:, -1], rtol=1e-10)
    assert abs(m.gradient_evaluations - sol.nfev) <= 2 * 12


def test_flow_matches_saxe_sigmoid():
    # Global error of an 8th-order method at rtol 1e-10 over ~60 steps; the exponential phase amplifies relative
    # errors only mildly (they stay relative), measured 1.3e-10 -> assert 1e-8.
    s, a0 = 3.0, 1e-8
    res = gradient_flow(saxe_fun(s), np.array([[math.sqrt(a0)] * 2]), 8.0, gtol=0)
    m = res[0]
    a = m.theta[:, 0] * m.theta[:, 1]
    np.testing.assert_allclose(a, saxe_a(m.t, s, a0), rtol=1e-8)
    # near convergence L = ½(s − a)² loses relative accuracy: δL ≈ |s − a|·δa ≤ s²·rtol-level -> atol 1e-12
    np.testing.assert_allclose(m.loss, 0.5 * (s - saxe_a(m.t, s, a0)) ** 2, rtol=1e-8, atol=1e-12)
    assert np.all(np.diff(m.loss) <= 0)


def test_batch_members_are_independent():
    s = 2.0
    a0s = [1e-10, 1e-6, 1e-3]
    th0 = np.array([[math.sqrt(a)] * 2 for a in a0s])
    batch = gradient_flow(saxe_fun(s), th0, 12.0, gtol=0)
    for b, a0 in enumerate(a0s):
        single = gradient_flow(saxe_fun(s), th0[b : b + 1], 12.0, gtol=0)[0]
        # Own step-size control per member: same step sequence as a run alone. Not bitwise: the stage sums are
        # BLAS gemv calls whose rounding depends on the array length, and the error estimate (a cancellation
        # ~1e-10 of the stages) turns last-bit differences into ~1e-6 relative changes of the next step.
        assert abs(batch[b].n_accepted - single.n_accepted) <= 1
        np.testing.assert_allclose(batch[b].t[:-1], single.t[: batch[b].t.size - 1], rtol=1e-4)
        np.testing.assert_allclose(batch[b].theta_final, single.theta_final, rtol=1e-9)
        np.testing.assert_allclose(batch[b].theta_final[0] ** 2, saxe_a(12.0, s, a0), rtol=1e-9)
    assert len({m.n_accepted for m in batch}) > 1


@settings(max_examples=25, deadline=None, database=None)
@given(s=st.floats(0.5, 5.0), log_a0=st.floats(-10.0, -3.0), save_every=st.sampled_from([1, 3, None]))
def test_refine_crossing_hits_analytic_midpoint(s, log_a0, save_every):
    # Dense output is 7th order: interpolation error ~ rtol*|theta| -> crossing error ~1e-10 relative (measured
    # 1e-12); spec §0.7 asks 1e-8.
    a0 = 10.0**log_a0
    res = gradient_flow(saxe_fun(s), np.array([[math.sqrt(a0)] * 2]), t_mid(s, a0) + 5.0 / s, gtol=0,
                        save_every=save_every)
    tc = refine_crossing(saxe_fun(s), res, 0, s**2 / 4)
    assert abs(tc - t_mid(s, a0)) <= 1e-8 * t_mid(s, a0)


def test_refine_crossing_edge_cases():
    s, a0 = 3.0, 1e-8
    fun = saxe_fun(s)
    res = gradient_flow(fun, np.array([[math.sqrt(a0)] * 2]), 2.0, gtol=0)
    assert math.isnan(refine_crossing(fun, res, 0, 1.0))  # never reached before t_max
    assert refine_crossing(fun, res, 0, 100.0) == 0.0  # already below at t = 0
    with pytest.raises(InputError, match="member"):
        refine_crossing(fun, res, 3, 1.0)


def test_interpolate_between_saved_points():
    s, a0 = 2.0, 1e-6
    fun = saxe_fun(s)
    res = gradient_flow(fun, np.array([[math.sqrt(a0)] * 2]), 8.0, gtol=0, save_every=7)
    times = np.linspace(0.0, 8.0, 23)
    th, L = interpolate(fun, res, 0, times)
    # interpolant error O(h^8) ~ rtol-level; relative accuracy of a(t) 1e-8 (measured ~1e-10)
    np.testing.assert_allclose(th[:, 0] * th[:, 1], saxe_a(times, s, a0), rtol=1e-8)
    np.testing.assert_allclose(L, 0.5 * (s - saxe_a(times, s, a0)) ** 2, rtol=1e-7, atol=1e-12)
    with pytest.raises(InputError, match="times"):
        interpolate(fun, res, 0, [9.0])


def test_interpolate_many_equals_one_member_at_a_time():
    # members with different amplitudes (different step sequences), stored θ every 3rd step, a member asked twice
    fun = saxe_fun(2.0)
    res = gradient_flow(fun, np.sqrt([[1e-6] * 2, [1e-3] * 2, [0.3] * 2]), 8.0, gtol=0, save_every=3)
    rng = np.random.default_rng(0)
    requests = [(2, rng.uniform(0, 8, 5)), (0, np.array([res[0].t_saved[4], 3.3, 0.0])), (1, np.array([])),
                (2, np.array([8.0, 1.25]))]
    got = interpolate_many(fun, res, requests)
    for (b, times), (th, L) in zip(requests, got, strict=True):
        ref_th, ref_L = interpolate(fun, res, b, times)
        assert th.shape == ref_th.shape == (times.size, 2) and L.shape == (times.size,)
        np.testing.assert_allclose(th, ref_th, rtol=1e-14, atol=1e-300)
        np.testing.assert_allclose(L, ref_L, rtol=1e-13, atol=1e-300)
    assert np.array_equal(got[1][0][0], res[0].theta[4])  # a stored time returns the stored θ
    assert interpolate_many(fun, res, []) == []
    with pytest.raises(InputError, match="times"):
        interpolate_many(fun, res, [(0, [1.0]), (1, [-0.5])])


def test_linear_net_converges_and_conserves_balance():
    rng = np.random.default_rng(0)
    sig = np.diag([3.0, 2.0, 1.0])
    H = 4
    fun = linear_net(sig, H)
    th0 = rng.standard_normal((3, 2 * H * 3)) * 1e-3
    res = gradient_flow(fun, th0, 60.0, rtol=1e-12)
    for m in res:
        assert m.status == "converged", m.message
        assert np.all(np.diff(m.loss) <= 1e-15)  # gradient flow is monotone
        assert m.loss_final < 1e-18
        V0, U0 = m.theta[0][: 3 * H].reshape(H, 3), m.theta[0][3 * H :].reshape(H, 3)
        V1, U1 = m.theta[-1][: 3 * H].reshape(H, 3), m.theta[-1][3 * H :].reshape(H, 3)
        # V Vᵀ − U Uᵀ is conserved (spec §4.5); at rtol 1e-12 the drift is ~1e-12 of |W| ~ 3 (measured 2e-13).
        np.testing.assert_allclose(V1 @ V1.T - U1 @ U1.T, V0 @ V0.T - U0 @ U0.T, atol=1e-10)


def test_stiff_fallback_switches_and_stays_accurate():
    lam = np.array([1.0, 1e4])
    fun = quad_fun(lam)
    th0 = np.array([[1.0, 1.0]])
    res = gradient_flow(fun, th0, 5.0, gtol=0, stiff_method="LSODA")
    m = res[0]
    assert m.method == "DOP853+LSODA" and m.stiff_switch_time is not None and m.stiff_switch_time < 0.1
    assert m.status == "t_max" and m.t_final == 5.0
    # explicit DOP853 alone needs ~h*1e4 <= 6 -> > 8000 steps (~1e5 evaluations); the switch costs far less
    assert m.gradient_evaluations < 20_000
    # LSODA at rtol 1e-10 on e^{-t}: relative error ~1e-8 at t = 5 (measured 1e-8) -> 1e-6
    np.testing.assert_allclose(m.theta_final[0], math.exp(-5.0), rtol=1e-6)
    assert abs(m.theta_final[1]) < 1e-12
    # crossing in the stiff part is re-integrated with DOP853: L = ½e^{-2t} (+ negligible) hits ½e^{-6} at t = 3
    assert abs(refine_crossing(fun, res, 0, 0.5 * math.exp(-6.0)) - 3.0) < 1e-8


def test_statuses_budget_and_nan():
    fun = saxe_fun(2.0)
    th0 = np.array([[1e-3, 1e-3], [1e-2, 1e-2]])
    res = gradient_flow(fun, th0, 50.0, gtol=0, max_steps=5)
    assert res.status == ("budget", "budget")
    assert all(m.n_accepted + m.n_rejected == 5 for m in res)

    def blow(th):  # L = −½θ², θ̇ = θ; NaN once |θ| > 2
        loss = -0.5 * (th**2).sum(1)
        g = -th.copy()
        g[np.abs(th).max(1) > 2] = np.nan
        return loss, g

    m = gradient_flow(blow, np.array([[1.0]]), 5.0)[0]
    assert m.status == "nan"
    assert np.isfinite(m.theta_final).all() and abs(m.theta_final[0]) <= 2
    assert m.t_final < math.log(2) + 1e-6


def test_max_step_and_first_step():
    m = gradient_flow(quad_fun([1.0]), np.ones((1, 1)), 5.0, gtol=0, max_step=0.1, first_step=1e-3)[0]
    assert m.t[1] == pytest.approx(1e-3) and np.diff(m.t).max() <= 0.1 + 1e-15 and m.n_accepted >= 50


def test_time_budget():
    res = gradient_flow(saxe_fun(2.0), np.array([[1e-3, 1e-3]] * 2), 50.0, time_budget_s=1e-9)
    assert res.status == ("budget", "budget") and "time budget" in res[0].message


def _dop853_growth(z: np.ndarray) -> np.ndarray:
    """|R(−z)| of DOP853 on the test equation y' = −y with step z: the factor one step multiplies a component by."""
    from numerics.integrate import dop853

    zz = np.asarray(z, dtype=float).reshape(-1)
    y = np.ones((zz.size, 1))
    return np.abs(dop853.attempt_step(lambda th: (0.5 * (th**2).sum(1), th), y, -y, zz, 1e-10, 0.0,
                                      stiff=False)[0][:, 0]).reshape(np.shape(z))


@settings(max_examples=25, deadline=None, database=None)
@given(lam=st.lists(st.floats(0.01, 20.0), min_size=1, max_size=6), seed=st.integers(0, 100),
       t_max=st.floats(0.1, 5.0))
def test_linear_flow_matches_exponential(lam, seed, t_max):
    # θ(t) = e^{−λt}θ₀ exactly. DOP853's local error control at rtol 1e-10 keeps the global relative error at
    # ~steps·rtol (≤ 1e-8 here). A component that decayed to ~0 has the error scale atol = 1e-14, so each step may
    # leave up to √n·atol in it (RMS norm ≤ 1 over n components), and a stiff component whose steps sit at the
    # stability limit (|R(hλ)| ≈ 1) does not damp it: the absolute floor is steps·√n·atol (measured 1.0e-12 against
    # 1.3e-12 for λ = (0.25, 0.25, 18, 13), seed 0, t = 4.625: 66 steps).  Once every stiff component is below its
    # error scale, nothing stops h·λ from passing the stability limit (the combined estimator err5²/√(err5² +
    # 0.01·err3²) accepts such steps), and a step with |R(hλ)| > 1 multiplies what an earlier step left: the floor
    # propagates each step's √n·atol through the later steps' growth factors, max(1, |R(h_i λ_j)|) (λ = (14, 20, 0.5,
    # 12.6875, 19.25), seed 0, t = 3.875: the last two steps, h·λ = 9.3 and 9.0 for λ = 14 with |R| = 60 and 42,
    # turn a residue of 6e-16 into 1.5e-12; steps·√n·atol is 1.48e-12).
    lam = np.array(lam)
    th0 = np.random.default_rng(seed).standard_normal((2, lam.size))
    res = gradient_flow(quad_fun(lam), th0, t_max, gtol=0)
    exact = th0 * np.exp(-lam * t_max)
    for b, m in enumerate(res):
        growth = np.maximum(_dop853_growth(np.diff(m.t)[:, None] * lam[None, :]), 1.0)  # (steps, components)
        after = np.flip(np.cumprod(np.flip(np.vstack([growth[1:], np.ones((1, lam.size))]), 0), 0), 0)
        floor = (m.n_rejected + after.sum(axis=0)) * math.sqrt(lam.size) * DEFAULT_ATOL
        assert np.all(np.abs(res.theta_final[b] - exact[b]) <= 1e-8 * np.abs(exact[b]) + floor), (
            b, res.theta_final[b] - exact[b], floor)
    assert np.all(res.t_final == t_max)


def test_converged_status_and_default_rule():
    fun = quad_fun([1.0, 2.0])
    m = gradient_flow(fun, np.array([[1.0, -1.0]]), 1e3)[0]
    assert m.status == "converged"
    # ‖∇L‖ ≤ 1e-10·sqrt(L0) with L0 = 1.5 -> |θ_1| e^{-t} ≤ 1.22e-10 -> t ≈ 22.8
    assert 20 < m.t_final < 26


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(theta0=np.zeros(3), t_max=1.0), "theta0"),
        (dict(theta0=np.array([[np.nan, 0.0]]), t_max=1.0), "theta0"),
        (dict(theta0=np.zeros((1, 2)), t_max=0.0), "t_max"),
        (dict(theta0=np.zeros((1, 2)), t_max=float("nan")), "t_max"),
        (dict(theta0=np.zeros((1, 2)), t_max=1.0, rtol=-1.0), "rtol"),
        (dict(theta0=np.zeros((1, 2)), t_max=1.0, save_every=0), "save_every"),
    ],
)
def test_flow_input_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        gradient_flow(quad_fun([1.0, 1.0]), **kwargs)


def test_bad_fun_is_reported():
    with pytest.raises(InputError, match="fun"):
        gradient_flow(lambda th: (th.sum(1), th[:, :1]), np.ones((2, 3)), 1.0)
    with pytest.raises(InputError, match="fun"):
        gradient_descent(lambda th: th, np.ones((2, 3)), 0.1, n_steps=2)


def test_result_is_immutable():
    res = gradient_flow(quad_fun([1.0]), np.array([[1.0]]), 1.0, gtol=0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.seconds = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        res[0].status = "x"
    with pytest.raises(ValueError):
        res[0].loss[0] = 1.0
    with pytest.raises(TypeError):
        res.options["rtol"] = 1.0
    assert res.kind == "gradient_flow" and res.success and res.gradient_evaluations > 0
    assert res.options["rtol"] == 1e-10 and res.options["atol"] == 1e-14


# ---------------------------------------------------------------- gradient descent


def test_gd_exact_on_quadratic_with_per_member_lr():
    lam = np.array([1.0, 3.0])
    th0 = np.ones((2, 2))
    res = gradient_descent(quad_fun(lam), th0, [0.1, 0.25], t_max=5.0, record_every=3, gtol=0)
    for m, eta in zip(res, (0.1, 0.25), strict=True):
        k = round(5.0 / eta)
        assert m.status == "t_max" and m.n_accepted == k and m.gradient_evaluations == k + 1
        np.testing.assert_allclose(m.theta_final, (1 - eta * lam) ** k, rtol=1e-13)
        assert m.t_final == pytest.approx(5.0, rel=1e-15)
        assert np.all(m.step_index[1:-1] % 3 == 0)  # recorded every 3 steps, plus the final one
        np.testing.assert_allclose(m.t, m.step_index * eta, rtol=1e-15)


def test_gd_divergence_and_nan_keep_partial_results():
    fun = quad_fun([1.0, 3.0])
    m = gradient_descent(fun, np.ones((1, 2)), 0.8, n_steps=1000)[0]  # |1 − 2.4| = 1.4 > 1: diverges
    assert m.status == "diverged"
    # L ≈ ½·3·1.4^{2k} > 1e3·L0 = 2000 first at k = 11
    assert m.status_step == 11 and m.status_time == pytest.approx(8.8)
    assert m.status_loss > 2000 and m.loss[-1] == m.status_loss and m.t.size == 12

    def nanfun(th):
        loss, g = fun(th)
        loss = np.where(np.abs(th).max(1) < 0.5, np.nan, loss)
        return loss, g

    m = gradient_descent(nanfun, np.ones((1, 2)), 0.1, n_steps=100, gtol=0)[0]
    assert m.status == "nan" and math.isnan(m.status_loss)
    assert np.isfinite(m.loss).all() and m.status_step == m.n_accepted + 1


def test_gd_converges():
    m = gradient_descent(quad_fun([1.0, 2.0]), np.ones((1, 2)), 0.3, n_steps=10_000)[0]
    assert m.status == "converged" and m.n_accepted < 200


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=0.0, n_steps=3), "lr"),
        (dict(lr=-1.0, n_steps=3), "lr"),
        (dict(lr=float("nan"), n_steps=3), "lr"),
        (dict(lr=[0.1, 0.2, 0.3], n_steps=3), "lr"),
        (dict(lr=0.1), "t_max"),
        (dict(lr=0.1, t_max=-1.0), "t_max"),
        (dict(lr=0.1, n_steps=0), "n_steps"),
    ],
)
def test_gd_input_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        gradient_descent(quad_fun([1.0]), np.ones((2, 1)), **kwargs)


def test_a_read_only_loss_from_fun_is_never_written():
    # when some members of a full batch reject their step, the integrator swaps in the kernel's new arrays after
    # restoring those rows; the loss array fun returned belongs to fun (e.g. a read-only view) and is not written
    import numerics as N

    arch = N.build_architecture("linear-fc", d_in=5, d_out=5, width=50)
    base = N.gradient_function(arch, N.whitened(np.array([5.0, 4.0, 3.0, 2.0, 1.0])))

    def read_only(theta):
        loss, grad = base(theta)
        loss.setflags(write=False)
        return loss, grad

    th = N.init_params(arch, 1e-6, seed=0, n_seeds=16)
    a = gradient_flow(read_only, th, 16.0, rtol=1e-3, explicit="RK45", stiff_method=None)
    b = gradient_flow(base, th, 16.0, rtol=1e-3, explicit="RK45", stiff_method=None)
    assert sum(m.n_rejected for m in b) > 0
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.t, y.t) and np.array_equal(x.loss, y.loss) and np.array_equal(x.theta, y.theta)
