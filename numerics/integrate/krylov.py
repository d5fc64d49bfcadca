"""Jacobian-free stiff integrator for gradient flow: batched exponential Rosenbrock (exprb32) with Lanczos.

Used by :func:`numerics.integrate.flow.gradient_flow` (strategy ``"krylov"``, and ``"auto"`` for large n) once
Hairer's test says DOP853 is stability-limited. No n×n matrix is ever formed: the Jacobian of F = −∇L is −H (H the
Hessian of L, symmetric), and it enters only through Hessian-vector products by a central directional difference,

    H v ≈ (∇L(θ + δ v) − ∇L(θ − δ v)) / (2δ),   δ = eps^(1/3)·(1 + ‖θ‖) / ‖v‖,

two gradients each (one call of ``fun`` on 2m rows for all m stiff members of the batch), error ~eps^(2/3) ≈ 4e-11
relative, below the default rtol 1e-10, so the step's error estimate does not see differencing noise. The forward
difference (:func:`forward_hvp`, one gradient, error ~sqrt(eps) ≈ 1e-8) gave the same accuracy and 5 % fewer
gradients on the test problem of tests/test_stiff.py (12.5 k vs 13.1 k), but its noise is 100× the tolerance.

Notes
-----
One step of size h from θ with F₀ = F(θ) and J = −H(θ) (Hochbruck, Ostermann & Schweitzer's exprb32):

    U      = θ + h φ₁(hJ) F₀,
    D      = F(U) − F₀ − J (U − θ)            (nonlinear remainder; zero when L is quadratic),
    θ_new  = U + 2h φ₃(hJ) D,

with φ₁(z) = (e^z − 1)/z and φ₃(z) = (e^z − 1 − z − z²/2)/z³. The method is of order 3 with the exact Jacobian and
exact for a quadratic L whatever h, so near a minimum the step is limited by the nonlinearity, not by stability
(DOP853's h·λ_max ≤ 6). The embedded exponential Euler solution is U, so e = 2h φ₃(hJ) D estimates the local error;
it is measured in DOP853's norm (RMS of e / (atol + rtol·max(|θ|, |θ_new|))) and the step accepted when it is < 1,
with the controller h ← h·clip(0.9·err^(−1/3), 0.2, 5).

φ_p(hJ) w is computed on the Lanczos space of H and w (full reorthogonalisation): with H V_k = V_k T_k + β_k v_{k+1}
e_kᵀ, φ_p(hJ) w ≈ ‖w‖ V_k φ_p(−h T_k) e₁ (T_k symmetric tridiagonal, φ_p of its eigenvalues). The Krylov error is
estimated by ‖w‖ β_k |e_kᵀ φ_{p+1}(−h T_k) e₁| · h (Saad; Hochbruck, Lubich & Selhofer) in the same norm and the
Lanczos loop stops when it is below a tenth of the step tolerance; a step whose space does not converge within
``max_krylov`` vectors is rejected and halved. For H with eigenvalues in [0, λ] the needed dimension grows like
sqrt(h·λ) (Hochbruck & Lubich), so a step of length h costs O(sqrt(h·λ)) gradients where DOP853 needs 12·h·λ/6.

A wrong Hessian-vector product is not silently absorbed: the method with any J is consistent, but the error
estimate e is then O(h²) with a large constant, so steps are rejected and shrink (and the ``max_steps`` or
``time_budget_s`` budget runs out) instead of producing a wrong trajectory at the usual cost.
"""

from __future__ import annotations

import math
import time as _time
from dataclasses import dataclass

import numpy as np

from .dop853 import GradFun
from .pairs import DOP853
from .stiff import ConcreteStrategy, StiffOutput

_EPS = np.finfo(float).eps
#: Krylov dimensions at which the φ-product and its error are evaluated (each costs a small eigh and φ calls)
_CHECKS = frozenset({1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 18, 22, 26, 30, 35, 40, 46, 53, 60, 70, 80, 90, 100})


def phi(p: int, z: np.ndarray) -> np.ndarray:
    """φ_p(z) = Σ_k z^k/(k+p)! for real z (φ₀ = exp): the recursion φ_k = (φ_{k−1} − 1/(k−1)!)/z for |z| ≥ 1/2,
    the Taylor series (17 terms by Horner, truncation < 1e-19) below, where the recursion would cancel."""
    z = np.asarray(z, dtype=np.float64)
    small = np.abs(z) < 0.5
    zb = np.where(small, 1.0, z)
    with np.errstate(over="ignore"):
        out = np.exp(np.where(small, 0.0, z))
    for k in range(p):
        out = (out - _INV_FACT[k]) / zb
    ser = np.full_like(z, _INV_FACT[p + 16])
    for k in range(15, -1, -1):
        ser = ser * z + _INV_FACT[p + k]
    return np.where(small, ser, out)


_INV_FACT = [1.0 / math.factorial(k) for k in range(40)]


@dataclass(frozen=True)
class ExpRosenbrock(ConcreteStrategy):
    """Batched exprb32 with Lanczos φ-functions (module docstring); registered as ``"krylov"``.

    Attributes
    ----------
    max_krylov : int
        Lanczos vectors per φ-product before the step is rejected and halved.
    hvp : callable or None
        ``hvp(fun, theta (m, n), grad (m, n), v (m, n)) -> H v (m, n)``; None: :func:`central_hvp`.
    hvp_evals : int
        Gradients per product (2 for the central difference; the count reported in ``gradient_evaluations``).
    hand_back : bool
        Return a member to DOP853 when that is cheaper again (module docstring of :mod:`~.flow`).
    max_bytes : float
        Memory for the Lanczos bases of one batch (members beyond it run in the next batch).
    """

    max_krylov: int = 60
    hvp: object = None
    hvp_evals: int = 2
    hand_back: bool = True
    max_bytes: float = 5e8
    label: str = "krylov"

    def finish(self, fun: GradFun, theta: np.ndarray, t0: np.ndarray, h0: np.ndarray, t_max: float, *,
               rtol: float, atol: float, gtol: float, ftol: float, l_scale: np.ndarray,
               time_budget_s: float | None, max_steps: np.ndarray, explicit=None) -> list[StiffOutput]:
        """Integrate the members θ (m, n) from their times t0 to t_max together; see :class:`StiffOutput`.
        ``explicit``: the :class:`~.pairs.ExplicitPair` the members came from (default DOP853), whose cost at its
        stability limit decides a hand-back.

        The Lanczos basis takes 8·(max_krylov + 1)·n bytes per member, so the members run in consecutive batches
        of at most ``max_bytes`` of basis (all at once for n = 500, B = 256: 62 MB)."""
        m, n = theta.shape
        chunk = max(1, int(self.max_bytes // (8 * (self.max_krylov + 1) * n)))
        start = _time.perf_counter()
        out: list[StiffOutput] = []
        for i in range(0, m, chunk):
            sl = slice(i, i + chunk)
            left = None if time_budget_s is None else time_budget_s - (_time.perf_counter() - start)
            out += _Run(self, fun, theta[sl], t0[sl], h0[sl], t_max, rtol, atol, gtol, ftol, l_scale[sl], left,
                        max_steps[sl], explicit).run()
        return out


def forward_hvp(fun: GradFun, theta: np.ndarray, grad: np.ndarray, v: np.ndarray) -> np.ndarray:
    """H v by the forward difference (∇L(θ + δv) − ∇L(θ))/δ, δ = sqrt(eps·(1 + ‖θ‖))/‖v‖: one gradient, error
    ~sqrt(eps) relative."""
    vn = np.linalg.norm(v, axis=1)
    d = np.sqrt(_EPS * (1.0 + np.linalg.norm(theta, axis=1))) / np.where(vn > 0, vn, 1.0)
    g = np.asarray(fun(theta + d[:, None] * v)[1], dtype=np.float64)
    return (g - grad) / d[:, None]


def central_hvp(fun: GradFun, theta: np.ndarray, grad: np.ndarray, v: np.ndarray) -> np.ndarray:
    """H v by the central difference (∇L(θ + δv) − ∇L(θ − δv))/(2δ), δ = eps^(1/3)·(1 + ‖θ‖)/‖v‖: two gradients
    (one call of ``fun`` on 2m rows), error ~eps^(2/3) ≈ 4e-11 relative."""
    m = theta.shape[0]
    vn = np.linalg.norm(v, axis=1)
    d = np.cbrt(_EPS) * (1.0 + np.linalg.norm(theta, axis=1)) / np.where(vn > 0, vn, 1.0)
    dv = d[:, None] * v
    g = np.asarray(fun(np.concatenate([theta + dv, theta - dv]))[1], dtype=np.float64)
    return (g[:m] - g[m:]) / (2 * d[:, None])


class _Run:
    """State of one batched run of the exponential integrator (lock-step attempts, per-member h and status)."""

    def __init__(self, strat, fun, theta, t0, h0, t_max, rtol, atol, gtol, ftol, l_scale, time_budget_s, max_steps,
                 explicit=None):
        self.s, self.fun = strat, fun
        self.pair = DOP853 if explicit is None else explicit
        self.hvp_fun = strat.hvp if strat.hvp is not None else central_hvp
        self.y = np.array(theta, dtype=np.float64)
        m, self.n = self.y.shape
        self.t = np.array(t0, dtype=np.float64)
        self.h = np.array(h0, dtype=np.float64)
        # λ_max seen by the explicit pair when it switched (its step sat at the stability limit h ≈ limit/λ_max):
        # the Lanczos space of F alone misses stiff modes that have already decayed, which it would excite again
        self.lam_floor = self.pair.stability_limit / np.where(self.h > 0, self.h, np.inf)
        self.t_max, self.rtol, self.atol = t_max, rtol, atol
        self.g_lim = gtol * np.sqrt(l_scale)
        self.f_lim = ftol * l_scale
        self.gtol = gtol
        self.budget = time_budget_s
        self.max_steps = np.asarray(max_steps)
        self.evals = np.zeros(m, dtype=np.int64)
        self.attempts = np.zeros(m, dtype=np.int64)
        self.rejected = np.zeros(m, dtype=np.int64)
        self.rec: list[list[tuple[float, float, float, np.ndarray]]] = [[] for _ in range(m)]
        self.evals_at_acc = np.zeros(m, dtype=np.int64)
        self.slow = np.zeros(m, dtype=np.int64)
        self.h_next = np.full(m, np.nan)
        self.ritz_max = np.zeros(m)
        self.status = [""] * m
        self.message = [""] * m
        self.start = _time.perf_counter()
        self._basis: np.ndarray | None = None
        self._tri: np.ndarray | None = None

    def _eval(self, idx: np.ndarray, pts: np.ndarray):
        loss, grad = self.fun(pts)
        self.evals[idx] += 1
        return np.asarray(loss, dtype=np.float64).reshape(-1), np.asarray(grad, dtype=np.float64)

    def _hvp(self, idx, theta, grad, v):
        self.evals[idx] += self.s.hvp_evals
        return self.hvp_fun(self.fun, theta, grad, v)

    def _phi_apply(self, idx, theta, grad, w, h, p, pref, scale):
        """pref·h·φ_p(−hH) w for the rows idx (lock-step Lanczos, converged rows leave the gradient calls).

        Returns (result, Krylov error estimate in the step norm, converged flag)."""
        m, n = w.shape
        beta0 = np.linalg.norm(w, axis=1)
        kmax = min(self.s.max_krylov, n)
        # one basis buffer per run: a fresh (m, kmax + 1, n) array per call (16 MB at m = 66, n = 500) costs its
        # page faults on every call; only the vectors written in this call are read
        if self._basis is None or self._basis.shape[0] < m:
            self._basis = np.empty((self.y.shape[0], kmax + 1, n))
            self._tri = np.zeros((self.y.shape[0], kmax + 1, kmax + 1))
        V = self._basis[:m]
        # tridiagonal Lanczos matrices (dense: batched eigh below), zero outside the band: the run's buffer, whose
        # corner written by a call is cleared before it returns
        T = self._tri[:m]
        used = 1
        V[:, 0] = w / np.where(beta0 > 0, beta0, 1.0)[:, None]
        out = np.zeros_like(w)
        est = np.zeros(m)
        ritz = np.zeros(m)  # largest Ritz value of H: the λ_max that limits DOP853's step
        done = ~(beta0 > 0)
        for k in range(kmax):
            rows = np.flatnonzero(~done)
            if rows.size == 0:
                break
            whole = rows.size == m  # views, not gathered copies of the basis, while every row is running
            Vr = V[:, : k + 1] if whole else V[rows, : k + 1]
            vk = Vr[:, k]
            Av = self._hvp(idx[rows], theta if whole else theta[rows], grad if whole else grad[rows], vk)
            T[rows, k, k] = np.einsum("mn,mn->m", Av, vk)
            # full reorthogonalisation, twice (Kahan's "twice is enough"): finite-difference noise and round-off
            # would otherwise duplicate the extreme Ritz values and stall the error estimate. Batched BLAS products
            # (einsum here measured several times the cost of a gradient at n = 20 000).
            for _ in range(2):
                c = np.matmul(Vr, Av[:, :, None])
                Av -= np.matmul(c.transpose(0, 2, 1), Vr)[:, 0]
            bk = np.linalg.norm(Av, axis=1)
            v_next = Av / np.where(bk > 0, bk, 1.0)[:, None]
            V[rows, k + 1] = v_next
            T[rows, k + 1, k] = T[rows, k, k + 1] = bk
            kk = k + 1
            used = kk + 1
            small = (bk <= 1e-14 * beta0[rows]) | (kk == n)
            if kk not in _CHECKS and kk < kmax and not small.any():
                continue
            hr = h if whole else h[rows]
            if kk == 1:
                # one vector (most products near a minimum): T = [α₀], eigenvector 1, so φ_p(−hT)e₁ is the scalar
                # φ_p(−hα₀) — what eigh and the contractions below give for a 1×1 T, without their calls
                a0 = T[rows, 0, 0]
                ritz[rows] = a0
                z = -hr * a0
                coef = phi(p, z)[:, None]
                nxt = phi(p + 1, z)
            else:
                mu, Q = np.linalg.eigh(T[rows, :kk, :kk])
                ritz[rows] = mu[:, -1]
                z = -hr[:, None] * mu
                q0 = Q[:, 0, :]
                coef = np.einsum("mij,mj->mi", Q, phi(p, z) * q0)
                nxt = np.einsum("mj,mj->m", Q[:, -1, :], phi(p + 1, z) * q0)
            # the Krylov residual lies along v_{k+1}: its size in the step's norm
            vs = np.sqrt(np.mean((v_next / (scale if whole else scale[rows])) ** 2, axis=1))
            e = pref * hr * beta0[rows] * bk * np.abs(nxt) * vs
            est[rows] = e
            fin = (e <= 0.1) | small
            if fin.any():
                r = rows[fin]
                out[r] = (pref * h[r] * beta0[r])[:, None] * np.matmul(coef[fin][:, None, :], Vr[fin])[:, 0]
                done[r] = True
        self.ritz_max = ritz
        T[:, :used, :used] = 0.0
        return out, est, done

    def run(self) -> list[StiffOutput]:
        m = self.y.shape[0]
        idx_all = np.arange(m)
        loss, grad = self._eval(idx_all, self.y)
        running = np.isfinite(loss) & np.isfinite(grad).all(axis=1)
        for b in np.flatnonzero(~running):
            self.status[b], self.message[b] = "nan", f"non-finite loss/gradient at t = {self.t[b]:.6g}"
        l_old = loss.copy()
        while running.any():
            ia = np.flatnonzero(running)
            if self.budget is not None and _time.perf_counter() - self.start > self.budget:
                for b in ia:
                    self.status[b], self.message[b] = "budget", "time budget exhausted in the stiff solver"
                break
            over = self.attempts[ia] >= self.max_steps[ia]
            for b in ia[over]:
                self.status[b], self.message[b] = "budget", "max_steps used in the stiff solver"
                running[b] = False
            ia = ia[~over]
            if ia.size == 0:
                break
            self._attempt(ia, loss, grad, l_old, running)
        return [StiffOutput(t=np.array([r[0] for r in rec]), loss=np.array([r[1] for r in rec]),
                            grad_norm=np.array([r[2] for r in rec]),
                            theta=np.array([r[3] for r in rec]).reshape(len(rec), self.n),
                            status=self.status[b] or "budget", message=self.message[b],
                            evaluations=int(self.evals[b]), rejected=int(self.rejected[b]),
                            h_next=float(self.h_next[b]))
                for b, rec in enumerate(self.rec)]

    def _attempt(self, ia, loss, grad, l_old, running):
        y, g = self.y[ia], grad[ia]
        t = self.t[ia]
        h = np.minimum(np.maximum(self.h[ia], 10 * np.spacing(t)), self.t_max - t)
        self.attempts[ia] += 1
        scale0 = self.atol + self.rtol * np.abs(y)
        with np.errstate(all="ignore"):
            u_inc, est1, conv1 = self._phi_apply(ia, y, g, -g, h, 1, 1.0, scale0)
            lam = np.maximum(self.ritz_max, self.lam_floor[ia])
            U = y + u_inc
            lu, gu = self._eval(ia, U)
            Ju = -self._hvp(ia, y, g, u_inc)
            Dn = (-gu) - (-g) - Ju
            scale_u = self.atol + self.rtol * np.maximum(np.abs(y), np.abs(U))
            corr, est2, conv2 = self._phi_apply(ia, y, g, Dn, h, 3, 2.0, scale_u)
            y_new = U + corr
            l_new, g_new = self._eval(ia, y_new)
            sc = self.atol + self.rtol * np.maximum(np.abs(y), np.abs(y_new))
            err = np.sqrt(np.mean((corr / sc) ** 2, axis=1)) + est1 + est2
            finite = np.isfinite(err) & np.isfinite(l_new) & np.isfinite(g_new).all(axis=1)
            err = np.where(finite & conv1 & conv2, err, np.inf)
            acc = err < 1
            fac = np.where(err == 0, 5.0, 0.9 * err ** (-1.0 / 3.0))
            fac = np.where(acc, np.clip(fac, 0.2, 5.0), np.where(np.isfinite(err), np.clip(fac, 0.2, 0.9), 0.5))
        self.h[ia] = h * fac
        for j in np.flatnonzero(~acc):
            b = ia[j]
            self.rejected[b] += 1
            if self.h[b] < 10 * np.spacing(self.t[b]):
                bad = not finite[j]
                self.status[b] = "nan" if bad else "step_too_small"
                self.message[b] = (f"non-finite loss/gradient near t = {self.t[b]:.6g}" if bad
                                   else f"step size collapsed at t = {self.t[b]:.6g} in the stiff solver")
                running[b] = False
        ja = np.flatnonzero(acc)
        if ja.size == 0:
            return
        b_acc = ia[ja]
        t_acc = t[ja] + h[ja]
        t_acc[self.t_max - t_acc <= 4 * np.spacing(self.t_max)] = self.t_max
        y_acc, l_acc, g_acc = y_new[ja], l_new[ja], g_new[ja]
        self.y[b_acc], self.t[b_acc] = y_acc, t_acc
        loss[b_acc], grad[b_acc] = l_acc, g_acc
        gn = np.sqrt(np.einsum("ij,ij->i", g_acc, g_acc))
        conv = (self.gtol > 0) & (gn <= self.g_lim[b_acc]) & (np.abs(l_old[b_acc] - l_acc) <= self.f_lim[b_acc])
        at_end = ~conv & (t_acc >= self.t_max)
        l_old[b_acc] = l_acc
        # cost per unit time here vs the explicit pair at its stability limit (DOP853: 12 gradients per step of
        # 6/λ_max); a member slower here twice in a row goes back
        limit = self.pair.stability_limit
        slow = ((self.evals[b_acc] - self.evals_at_acc[b_acc]) / h[ja]
                > 2.0 * self.pair.evals_per_step * np.maximum(lam[ja], 0.0) / limit)
        going = ~conv & ~at_end & self.s.hand_back
        self.slow[b_acc] = np.where(going & slow, self.slow[b_acc] + 1, np.where(going, 0, self.slow[b_acc]))
        back = going & (self.slow[b_acc] >= 2)
        self.evals_at_acc[b_acc] = self.evals[b_acc]
        for k, b in enumerate(b_acc):
            self.rec[b].append((float(t_acc[k]), float(l_acc[k]), float(gn[k]), y_acc[k]))
        for k in np.flatnonzero(conv | at_end | back):
            b = b_acc[k]
            running[b] = False
            if conv[k]:
                self.status[b] = "converged"
                self.message[b] = (f"|grad L| = {gn[k]:.3g} <= gtol*sqrt(L_scale) and |dL| <= ftol*L_scale at "
                                   f"t = {t_acc[k]:.6g}")
            elif at_end[k]:
                self.status[b], self.message[b] = "t_max", f"reached t_max = {self.t_max:g}"
            else:
                self.status[b], self.message[b] = "explicit", f"handed back to {self.pair.name} at t = {t_acc[k]:.6g}"
                self.h_next[b] = min(self.h[b], 0.9 * limit / max(lam[ja[k]], 1e-300))
