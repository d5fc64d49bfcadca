"""Inertia of a symmetric matrix by an LDLᵀ factorisation, and the numeric Morse index from it (spec §3.1).

The numeric Morse index of the itineraries (:func:`numerics.describe_point`) is the number of Hessian
eigenvalues below −τ with τ = max(rtol · ‖H‖₂, atol). It needs a count, not the spectrum:

* :func:`inertia` — the numbers of negative, zero and positive eigenvalues of A − σI from the Bunch–Kaufman
  factorisation P(A − σI)Pᵀ = L D Lᵀ (LAPACK ``?sytrf``, as in :func:`scipy.linalg.ldl`; n³/3 flops against
  ≈ 4n³/3 for the tridiagonal reduction of ``eigvalsh``: 2.8 ms against 11 ms for n = 500, one thread);
* :func:`count_below` — #{λ < x}, the negative inertia of A − xI;
* :func:`spectral_norm_bounds` — ℓ ≤ ‖A‖₂ ≤ u from a few power steps (ℓ) and min(‖A‖_F, ‖A‖_∞) (u);
* :func:`morse_count` — the index at τ = max(rtol‖A‖₂, atol), certified from the bounds (Notes there).

Notes
-----
Sylvester's law of inertia: congruent matrices have the same inertia, and A − σI = (P⁻¹L) D (P⁻¹L)ᵀ, so the
inertia of A − σI is that of the block-diagonal D: a 1 × 1 block contributes the sign of its entry, a 2 × 2 block
the signs of its two eigenvalues. Bunch–Kaufman pivoting is backward stable: the computed factors are exact for
A − σI + E with ‖E‖ = O(n·eps·‖A‖) (times a growth factor that is small in practice), the same order as the
backward error of ``eigvalsh``. Both methods therefore agree on every eigenvalue farther than O(n·eps·‖A‖) from
the shift; an eigenvalue within round-off of the shift can fall on either side for either method.

Example
-------
>>> import numpy as np
>>> a = np.diag([-2.0, -0.5, 0.0, 3.0])
>>> inertia(a)
Inertia(negative=2, zero=1, positive=1)
>>> count_below(a, -1.0), morse_count(a, rtol=1e-3, atol=0.6).index
(1, 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

__all__ = ["Inertia", "MorseCount", "count_below", "inertia", "morse_count", "morse_from_spectrum",
           "spectral_norm_bounds"]

POWER_STEPS = 8  # power steps for the lower bound on ‖A‖₂ (each one matrix-vector product)


@dataclass(frozen=True)
class Inertia:
    """Numbers of ``negative``, ``zero`` (exactly zero pivots) and ``positive`` eigenvalues."""

    negative: int
    zero: int
    positive: int


@dataclass(frozen=True)
class MorseCount:
    """Result of :func:`morse_count`: the ``index`` #{λ < −τ}; ``tolerance`` the interval [τ_lo, τ_hi] of τ
    allowed by the bounds on ‖A‖₂ (one point when atol decides τ, or after the ``eigvalsh`` fallback);
    ``method``: ``"ldl"`` (one factorisation), ``"ldl-bracket"`` (two, equal counts) or ``"eigvalsh"``;
    ``isolated``: with a ``margin`` K, True when no eigenvalue lies in [−K·τ_hi, −τ_lo/K] (None without)."""

    index: int
    tolerance: tuple[float, float]
    method: str
    isolated: bool | None = None


def _symmetric(name: str, a: object) -> np.ndarray:
    m = np.asarray(a, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1]:
        raise InputError(f"{name}: must be a square matrix (got shape {m.shape})")
    if not np.isfinite(m).all():
        raise InputError(f"{name}: contains NaN or infinity")
    # LDLᵀ reads one triangle only: a non-symmetric input would be silently misread. Probed with two fixed random
    # vectors, xᵀAy − yᵀAx = xᵀ(A − Aᵀ)y, which is nonzero for almost every (x, y) unless A = Aᵀ: two contiguous
    # matrix-vector products instead of a strided pass over Aᵀ (which cost as much as the factorisation).
    if m.size:
        x, y = np.random.default_rng(0).standard_normal((2, m.shape[0]))
        ax, ay = m @ x, m @ y
        asym = abs(float(x @ ay - y @ ax))
        if asym > 1e-10 * float(np.linalg.norm(ax) * np.linalg.norm(y) + np.linalg.norm(ay) * np.linalg.norm(x)):
            raise InputError(f"{name}: must be symmetric (x^T (A - A^T) y = {asym:.3g} for random x, y)")
    return m


def _inertia_of(m: np.ndarray, overwrite: bool = False) -> Inertia:
    """Inertia of a symmetric, finite matrix (no checks); ``overwrite`` lets LAPACK factorise ``m`` in place."""
    n = m.shape[0]
    if n == 0:
        return Inertia(0, 0, 0)
    # LAPACK ?sytrf directly: scipy.linalg.ldl builds the full L and D afterwards, which measured as long as the
    # factorisation itself for n = 500. A symmetric C-ordered matrix is its own transpose, so m.T is the
    # Fortran-ordered view LAPACK can overwrite without a copy.
    import scipy.linalg  # here: importing it costs every command ≈ 0.3 s at start-up

    sytrf, sytrf_lwork = scipy.linalg.get_lapack_funcs(("sytrf", "sytrf_lwork"), (m,))
    lwork = max(int(sytrf_lwork(n, lower=1)[0]), n)
    ldu, ipiv, info = sytrf(m.T if m.flags.c_contiguous else m, lower=1, lwork=lwork, overwrite_a=overwrite)
    if info < 0:  # an argument error of the LAPACK call itself, never a property of the matrix
        raise RuntimeError(f"LAPACK ?sytrf: illegal argument {-info}")
    d = np.diag(ldu).copy()
    # ipiv[k] = ipiv[k+1] < 0 marks a 2 × 2 block D[k:k+2, k:k+2] (lower storage: off-diagonal at ldu[k+1, k]).
    firsts, k = [], 0
    for j in np.flatnonzero(ipiv < 0):
        if j >= k:
            firsts.append(int(j))
            k = j + 2
    vals = d
    if firsts:
        f = np.array(firsts)
        a, b, c = d[f], ldu[f + 1, f], d[f + 1]
        # Eigenvalues of [[a, b], [b, c]]: (a + c)/2 ± hypot((a − c)/2, b), the smaller one written as det/larger
        # to avoid cancellation.
        mid, rad = 0.5 * (a + c), np.hypot(0.5 * (a - c), b)
        big = np.where(mid >= 0, mid + rad, mid - rad)
        small = np.divide(a * c - b * b, big, out=np.zeros_like(big), where=big != 0)
        keep = np.ones(n, dtype=bool)
        keep[f] = keep[f + 1] = False
        vals = np.concatenate([d[keep], big, small])
    return Inertia(int((vals < 0).sum()), int((vals == 0).sum()), int((vals > 0).sum()))


def _shifted(m: np.ndarray, shift: float) -> np.ndarray:
    """A new array m − shift·I."""
    out = m.copy()
    out.flat[:: m.shape[0] + 1] -= shift
    return out


def inertia(a: object, shift: float = 0.0) -> Inertia:
    """Inertia of A − ``shift``·I for a real symmetric matrix A (module docstring, Notes)."""
    m = _symmetric("a", a)
    s = float(shift)
    if not np.isfinite(s):
        raise InputError(f"shift={shift!r}: must be finite")
    return _inertia_of(_shifted(m, s), overwrite=True) if s != 0.0 else _inertia_of(m)


def count_below(a: object, x: float) -> int:
    """#{eigenvalues λ of the symmetric matrix A with λ < x}: the negative inertia of A − xI."""
    return inertia(a, x).negative


def spectral_norm_bounds(a: object, steps: int = POWER_STEPS) -> tuple[float, float]:
    """Bounds ℓ ≤ ‖A‖₂ = max|λ| ≤ u for a symmetric matrix A.

    Notes
    -----
    u = min(‖A‖_F, ‖A‖_∞): ‖A‖₂ ≤ ‖A‖_F always, and ‖A‖₂ ≤ √(‖A‖₁‖A‖_∞) = ‖A‖_∞ for symmetric A. ℓ is the largest
    ‖Ax‖/‖x‖ over ``steps`` power iterates started from the column of A with the largest norm: every vector gives a
    lower bound, and the power iteration drives x towards the eigenvectors of the largest |λ| (eigenvalues of
    equal magnitude and opposite sign, as ±s_k at the origin of a linear net, do not slow it down).
    """
    return _norm_bounds(_symmetric("a", a), steps)


def _norm_bounds(m: np.ndarray, steps: int) -> tuple[float, float]:
    if m.size == 0:
        return 0.0, 0.0
    col2 = np.einsum("ij,ij->j", m, m)  # squared column norms (= row norms: A is symmetric), one pass
    upper = min(float(np.sqrt(col2.sum())), float(np.abs(m).sum(axis=1).max()))
    j = int(np.argmax(col2))
    x = m[:, j].copy()
    lower = float(np.sqrt(col2[j]))
    for _ in range(int(steps)):
        nx = float(np.linalg.norm(x))
        if nx == 0.0:
            break
        x /= nx
        x = m @ x
        lower = max(lower, float(np.linalg.norm(x)))
    return min(lower, upper), upper


def morse_count(a: object, *, rtol: float, atol: float, steps: int = POWER_STEPS,
                margin: float | None = None) -> MorseCount:
    """#{λ < −τ}, τ = max(``rtol``·‖A‖₂, ``atol``), for a symmetric matrix A, without its spectrum.

    ``margin`` K > 1 also reports whether the threshold is *isolated*: no eigenvalue within a factor K of −τ, so
    that any symmetric perturbation of A smaller than (1 − 1/K)·τ in norm leaves the index unchanged (Weyl).

    Notes
    -----
    The count c(τ) = #{λ < −τ} = negative inertia of A + τI is non-increasing in τ. With ℓ ≤ ‖A‖₂ ≤ u from
    :func:`spectral_norm_bounds`, the τ of the rule lies in [τ_lo, τ_hi] = [max(rtol·ℓ, atol), max(rtol·u, atol)],
    so c(τ_hi) ≤ c(τ) ≤ c(τ_lo):

    * when atol decides both ends (τ_lo = τ_hi, the usual case for Hessians whose spread rtol·‖H‖ is below the
      absolute floor) one factorisation gives the index exactly;
    * otherwise c(τ_lo) = c(τ_hi) (no eigenvalue in [−τ_hi, −τ_lo)) certifies the index with two;
    * otherwise an eigenvalue lies in the bracket and only the exact ‖A‖₂ settles it: the rule is then evaluated
      on the spectrum (``eigvalsh``), exactly as it was before this module.

    The result equals ``int((eigvalsh(A) < -τ).sum())`` up to the round-off of either method (module Notes).
    Isolation costs two more factorisations: c(τ_lo/K) − c(K·τ_hi) counts the eigenvalues in the window.

    Why a bracket rather than one estimate of ‖A‖₂: a bound alone (Frobenius, Gershgorin) can exceed ‖A‖₂ by √n
    and so move τ past an eigenvalue, changing the index; a few power or Lanczos steps give only a lower bound
    (Ritz values lie inside the spectrum), and ARPACK (``eigsh``) did not converge with ``tol=0`` on the
    H-fold clustered spectra of these Hessians. The bracket uses both kinds of bound and checks, by counting, that
    no eigenvalue lies between the two thresholds they imply; on the Hessians of tests/test_inertia.py the
    fallback is taken only when τ is set within 1e-6 of an eigenvalue through rtol.
    """
    m = _symmetric("a", a)
    if not (np.isfinite(rtol) and rtol >= 0 and np.isfinite(atol) and atol >= 0):
        raise InputError(f"rtol={rtol!r}, atol={atol!r}: both must be finite and >= 0")
    if margin is not None and not (np.isfinite(margin) and margin > 1):
        raise InputError(f"margin={margin!r}: must be finite and > 1 (or None)")
    lower, upper = _norm_bounds(m, steps)
    lo, hi = max(rtol * lower, atol), max(rtol * upper, atol)

    def below(x: float) -> int:  # #{λ < −x}
        return _inertia_of(_shifted(m, -x), overwrite=True).negative

    c_hi = below(hi)
    if lo == hi:
        index, tol, method = c_hi, (lo, hi), "ldl"
    elif below(lo) == c_hi:
        index, tol, method = c_hi, (lo, hi), "ldl-bracket"
    else:
        return morse_from_spectrum(np.linalg.eigvalsh(m), rtol=rtol, atol=atol, margin=margin)
    if margin is None:
        return MorseCount(index, tol, method)
    # eigenvalues in [−K·τ_hi, −τ_lo/K] = #{λ ≤ −τ_lo/K} − #{λ < −K·τ_hi}; "≤" read as "<" at round-off
    isolated = below(tol[0] / margin) == below(margin * tol[1])
    return MorseCount(index, tol, method, isolated)


def morse_from_spectrum(lam: np.ndarray, *, rtol: float, atol: float, margin: float | None = None) -> MorseCount:
    """The rule of :func:`morse_count` read on a known spectrum ``lam``: #{λ < −τ}, τ = max(rtol·max|λ|, atol), and
    with ``margin`` K whether no eigenvalue lies in [−K·τ, −τ/K] (method ``"eigvalsh"``)."""
    lam = np.asarray(lam, dtype=np.float64)
    tau = max(rtol * float(np.abs(lam).max()), atol)
    isolated = None if margin is None else not bool(((lam >= -margin * tau) & (lam <= -tau / margin)).any())
    return MorseCount(int((lam < -tau).sum()), (tau, tau), "eigvalsh", isolated)
