"""Stiff strategies of gradient_flow: the batched Krylov path (exprb32 + Lanczos), "auto", the registry."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from numerics.errors import InputError
from numerics.integrate import STIFF_METHODS, gradient_flow, refine_crossing
from numerics.integrate.krylov import ExpRosenbrock, central_hvp, forward_hvp, phi

S = np.array([40.0, 10.0, 0.3])  # λ_max ≈ 80 against a 0.3 plateau: DOP853 goes stiff before the last drop
H = 20  # n = 2·H·3 = 120 > the dense limit of "auto"
T_MAX = 80.0
LEVELS = [0.5 * float((S[k:] ** 2).sum()) for k in range(S.size + 1)]
MIDS = [0.5 * (a + b) for a, b in zip(LEVELS[:-1], LEVELS[1:], strict=True)]


def linear_net(sig: np.ndarray, h: int):
    """L = ½‖Σ − VᵀU‖², θ = [V (h, d), U (h, d)] (docs/conventions.md layout); also its exact Hessian-vector product."""
    do, di = sig.shape

    def split(th):
        b = th.shape[0]
        return th[:, : h * do].reshape(b, h, do), th[:, h * do :].reshape(b, h, di)

    def fun(th):
        V, U = split(th)
        R = sig - np.matmul(V.transpose(0, 2, 1), U)
        gV = -np.matmul(U, R.transpose(0, 2, 1))
        gU = -np.matmul(V, R)
        return 0.5 * np.einsum("bij,bij->b", R, R), np.concatenate([gV.reshape(len(th), -1),
                                                                    gU.reshape(len(th), -1)], 1)

    def hvp(th, v):
        V, U = split(th)
        dV, dU = split(v)
        R = sig - np.matmul(V.transpose(0, 2, 1), U)
        dR = -(np.matmul(dV.transpose(0, 2, 1), U) + np.matmul(V.transpose(0, 2, 1), dU))
        hV = -(np.matmul(dU, R.transpose(0, 2, 1)) + np.matmul(U, dR.transpose(0, 2, 1)))
        hU = -(np.matmul(dV, R) + np.matmul(V, dR))
        return np.concatenate([hV.reshape(len(th), -1), hU.reshape(len(th), -1)], 1)

    return fun, hvp


FUN, HVP = linear_net(np.diag(S), H)
THETA0 = np.random.default_rng(0).standard_normal((2, 2 * H * S.size)) * 1e-3


@pytest.fixture(scope="module")
def reference():
    """Tight reference: DOP853 alone at rtol 1e-12 (no stiff switch)."""
    return gradient_flow(FUN, THETA0, T_MAX, rtol=1e-12, gtol=0.0, stiff_method=None)


@pytest.fixture(scope="module")
def krylov_run():
    return gradient_flow(FUN, THETA0, T_MAX, gtol=0.0, stiff_method="krylov")


def test_phi_functions_match_high_precision():
    z = np.array([-1e3, -37.0, -1.0, -0.5, -0.49, -1e-3, 0.0, 1e-6, 0.3, 0.5, 2.0])
    mpmath.mp.dps = 40
    for p in range(5):
        ref = []
        for zz in z:
            zz = mpmath.mpf(float(zz))
            val = mpmath.e**zz
            if zz == 0:
                ref.append(1.0 / math.factorial(p))
                continue
            for k in range(p):
                val = (val - mpmath.mpf(1) / math.factorial(k)) / zz
            ref.append(float(val))
        np.testing.assert_allclose(phi(p, z), ref, rtol=5e-14, atol=0)
    # a wrong recursion (e.g. φ₂ = (φ₁ − 1)/z² ) fails the same check
    assert not np.allclose((phi(1, z[:3]) - 1) / z[:3] ** 2, phi(2, z[:3]), rtol=1e-6)


@pytest.mark.parametrize("hvp_fd", [central_hvp, forward_hvp])
def test_finite_difference_hvp_matches_exact(hvp_fd):
    rng = np.random.default_rng(1)
    th = rng.standard_normal((3, THETA0.shape[1]))
    v = rng.standard_normal(th.shape)
    exact = HVP(th, v)
    got = hvp_fd(FUN, th, FUN(th)[1], v)
    tol = 1e-6 if hvp_fd is forward_hvp else 1e-8  # sqrt(eps) vs eps^(2/3), times the curvature scale
    assert np.abs(got - exact).max() <= tol * np.abs(exact).max()
    # a sign-flipped product is caught by the same comparison
    assert np.abs(-got - exact).max() > 1.0 * np.abs(exact).max()


def test_krylov_path_taken_and_agrees_with_tight_reference(krylov_run, reference):
    for b in range(THETA0.shape[0]):
        m, r = krylov_run[b], reference[b]
        assert m.method == "DOP853+krylov" and m.status == "t_max" and m.t_final == T_MAX
        # the switch comes before the last drop (the 0.3 plateau), so that drop is integrated by the stiff path
        assert m.stiff_switch_time < refine_crossing(FUN, reference, b, MIDS[-1])
        np.testing.assert_allclose(m.theta_final, r.theta_final, rtol=0, atol=1e-9)
        assert abs(m.loss_final - r.loss_final) <= 1e-18
        # drop times (dense-output crossings of the mid levels) to the integrator tolerance (measured ≤ 4e-11 rel.)
        for level in MIDS:
            t_k, t_r = refine_crossing(FUN, krylov_run, b, level), refine_crossing(FUN, reference, b, level)
            assert abs(t_k - t_r) <= 1e-8 * t_r
        assert np.all(np.diff(m.loss) <= 1e-12 * m.loss[0])  # the flow's loss is monotone
        # cheaper than DOP853 at the same tolerance (measured 6.8 k vs 13.5 k gradients)
    explicit = gradient_flow(FUN, THETA0, T_MAX, gtol=0.0, stiff_method=None)
    assert krylov_run.gradient_evaluations < 0.7 * explicit.gradient_evaluations


def test_auto_picks_krylov_for_large_n_and_converges(reference):
    res = gradient_flow(FUN, THETA0, T_MAX, stiff_method="auto")
    for b, m in enumerate(res):
        assert m.method == "DOP853+krylov" and m.status == "converged", m.message
        g_lim = 1e-10 * math.sqrt(m.loss[0])
        assert m.grad_norm[-1] <= g_lim
        # converged means the loss is at the minimum to the gradient rule's resolution: near the balanced global
        # minimum L ≈ ½δᵀHδ, so ‖∇L‖² ≥ 2μL with μ = 2·s_min the smallest non-zero Hessian eigenvalue (the slowest
        # mode's own direction; the others are symmetries and unused hidden units): L ≤ g_lim²/(2μ) ≈ 7e-18
        # (the cubic remainder is relative O(‖δ‖) ~ 1e-9)
        assert m.loss_final <= (1 + 1e-6) * g_lim**2 / (2 * 2 * S.min())
        t_r = refine_crossing(FUN, reference, b, MIDS[-1])
        assert abs(refine_crossing(FUN, res, b, MIDS[-1]) - t_r) <= 1e-8 * t_r


def test_auto_resolution_and_registry():
    auto = STIFF_METHODS["auto"]
    assert auto.resolve(auto.dense_max_n).label == "BDF"
    assert auto.resolve(auto.dense_max_n + 1).label == "krylov"
    assert {"Radau", "BDF", "LSODA", "krylov", "auto"} <= set(STIFF_METHODS)
    for bad in ("Euler", "KRYLOV", 3):
        with pytest.raises(InputError, match="stiff_method"):
            gradient_flow(FUN, THETA0[:1], 1.0, stiff_method=bad)


def test_auto_small_n_uses_dense_and_stays_explicit_when_affordable():
    lam = np.array([1.0, 1e4])

    def quad(th):
        return 0.5 * (lam * th**2).sum(1), lam * th

    m = gradient_flow(quad, np.ones((1, 2)), 5.0, gtol=1e-10, stiff_method="auto")[0]
    assert m.method == "DOP853+BDF"
    # gtol = 0 and a short remaining horizon: finishing explicitly is cheaper than switching
    m = gradient_flow(quad, np.ones((1, 2)), 0.03, gtol=0.0, stiff_method="auto")[0]
    assert m.method == "DOP853" and m.status == "t_max"
    # ... but not when the explicit remainder is long (12·λ·t/6 gradients)
    m = gradient_flow(quad, np.ones((1, 2)), 5.0, gtol=0.0, stiff_method="auto")[0]
    assert m.method == "DOP853+BDF"


def test_krylov_budgets():
    m = gradient_flow(FUN, THETA0[:1], T_MAX, gtol=0.0, stiff_method="krylov", max_steps=300)[0]
    assert m.method == "DOP853+krylov" and m.status == "budget" and "max_steps" in m.message
    assert m.n_accepted + m.n_rejected <= 300
    # time budget inside the stiff solver (0 s: exhausted at once, no timing involved)
    out = ExpRosenbrock().finish(FUN, THETA0[:1].copy(), np.zeros(1), np.full(1, 1e-3), 1.0, rtol=1e-10,
                                 atol=1e-14, gtol=0.0, ftol=0.0, l_scale=np.ones(1), time_budget_s=0.0,
                                 max_steps=np.array([10]))
    assert out[0].status == "budget" and "time budget" in out[0].message and out[0].t.size == 0


def test_krylov_nan_status():
    lam = np.linspace(1.0, 1e4, 150)

    def quad_nan(th):  # NaN once the slowest coordinate has decayed below 0.5
        g = lam * th
        g[np.abs(th[:, 0]) < 0.5] = np.nan
        return 0.5 * (lam * th**2).sum(1), g

    m = gradient_flow(quad_nan, np.ones((1, lam.size)), 5.0, gtol=0.0, stiff_method="krylov")[0]
    assert m.method == "DOP853+krylov" and m.status == "nan", m.message
    assert np.isfinite(m.theta_final).all() and m.theta_final[0] >= 0.5
    assert m.t_final < math.log(2.0) + 1e-9


def test_wrong_hessian_vector_product_is_caught(monkeypatch, krylov_run, reference):
    """A sign-flipped product: the error control rejects the exponential steps, the member is handed back to
    DOP853 (accuracy kept), and the Krylov advantage disappears, so the cost test above would fail."""
    monkeypatch.setitem(STIFF_METHODS, "krylov", ExpRosenbrock(hvp=lambda f, th, g, v: -central_hvp(f, th, g, v)))
    res = gradient_flow(FUN, THETA0, T_MAX, gtol=0.0, stiff_method="krylov")
    np.testing.assert_allclose(res.theta_final, reference.theta_final, rtol=0, atol=1e-8)
    assert res.gradient_evaluations > 1.5 * krylov_run.gradient_evaluations
    # the correct run finishes in the Krylov phase, the wrong one back in DOP853
    assert all("switched to krylov" in k.message for k in krylov_run)
    assert all("switched to krylov" not in m.message and m.method == "DOP853+krylov" for m in res)


def test_exponential_steps_are_exact_on_a_quadratic_with_one_and_two_krylov_vectors():
    # L = ½ Σ λ_i θ_i²: exprb32 is exact for a quadratic whatever h (krylov module docstring), so the stiff run must
    # give θ(t) = exp(−λ t)·θ₀ up to the Hessian-vector products' round-off (central differences: ~eps^(2/3) ≈ 4e-11
    # of ‖θ‖ per product, over a dozen steps: 1e-10).  Row 0 starts on one eigenvector (a one-vector Krylov space
    # for every φ-product, the scalar path of the Lanczos loop), row 1 on two (two vectors, the eigh path), in one
    # batch.
    lam = np.array([50.0, 0.7, 3.0])

    def fun(th):
        return 0.5 * (th * th * lam).sum(1), th * lam

    theta0 = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 1.0]])
    t0 = np.zeros(2)
    outs = ExpRosenbrock().finish(fun, theta0, t0, np.full(2, 0.05), 12.0, rtol=1e-8, atol=1e-14, gtol=0.0,
                                  ftol=0.0, l_scale=np.ones(2), time_budget_s=None, max_steps=np.full(2, 1000))
    for row, out in enumerate(outs):
        assert out.status == "t_max" and out.t[-1] == 12.0
        np.testing.assert_allclose(out.theta, np.exp(-np.outer(out.t, lam)) * theta0[row], rtol=0, atol=1e-10)
        # exact steps grow ×5 until t_max: a handful, not the ~12/(2/50) = 300 of an explicit pair at its limit
        assert out.t.size <= 12
