"""Real stability interval against error constant in Dormand and Prince's family of 5(4) pairs with 6 evaluations.

Why a longer interval for the same 6 gradients does not pay on the sweep benchmark (benchmarks/RESULTS.md, "A
stabilised explicit pair"). An explicit 6-stage method of order 5 has the stability polynomial
R(z) = Σ_{k≤5} z^k/k! + γ z⁶, with γ = bᵀA⁵e. DOPRI5 has γ = 1/600 and the real interval [-3.31, 0]. The best γ
(0.000726) gives [-6.26, 0]. So the question is whether a method with that γ exists, and what its error constant
is. The family searched here is the one DOPRI5 belongs to. It satisfies the simplifying assumptions that give it a
4th-order embedded estimator over the FSAL stage and a 4th-order dense output:

* b₂ = 0;
* C(2) and C(3) for stages 3 to 6;
* D(1);
* quadrature of order 5.

Given (c₃, c₄, c₅), with c₂ = 2c₃/3 and c₆ = 1, these conditions are linear in A and leave one direction free. The
tall-tree condition bᵀA⁴e = 1/120 (a quartic along that direction) fixes it. Over a grid of (c₃, c₄, c₅), the
script reports, for each lower bound on the interval, the smallest 6th-order error norm
‖τ⁽⁶⁾‖₂ = sqrt(Σ_{|t|=6} ((Φ(t) − 1/γ(t))/σ(t))²).

Usage: ``python benchmarks/pair_family.py`` (about a minute; writes nothing).
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from functools import lru_cache

import numpy as np

TRI = [(i, j) for i in range(1, 6) for j in range(i)]


@lru_cache(None)
def trees(n: int) -> tuple:
    """Rooted trees with n vertices, each a sorted tuple of its children."""
    if n == 1:
        return ((),)
    smaller = [(k, t) for k in range(1, n) for t in trees(k)]

    def multisets(rest: int, start: int):
        if rest == 0:
            yield ()
            return
        for i in range(start, len(smaller)):
            k, t = smaller[i]
            if k <= rest:
                for tail in multisets(rest - k, i):
                    yield (t, *tail)

    return tuple(sorted({tuple(sorted(ch)) for ch in multisets(n - 1, 0)}))


def density(t) -> int:
    return (1 + sum(_size(c) for c in t)) * math.prod(density(c) for c in t)


def _size(t) -> int:
    return 1 + sum(_size(c) for c in t)


def symmetry(t) -> int:
    return math.prod(symmetry(c) ** k * math.factorial(k) for c, k in Counter(t).items())


def weights(a: np.ndarray, t) -> np.ndarray:
    """The stage vector of tree t: the product over its children of A times theirs (all ones for a leaf)."""
    v = np.ones(a.shape[0])
    for c in t:
        v = v * (a @ weights(a, c))
    return v


def error_norm(a: np.ndarray, b: np.ndarray, order: int) -> float:
    return math.sqrt(sum(((b @ weights(a, t) - 1 / density(t)) / symmetry(t)) ** 2 for t in trees(order)))


def order_residual(a: np.ndarray, b: np.ndarray, order: int) -> float:
    return max(abs(b @ weights(a, t) - 1 / density(t)) for n in range(1, order + 1) for t in trees(n))


def interval(gamma: float, xmax: float = 12.0) -> float:
    x = -np.linspace(0.0, xmax, 120_001)
    r = np.polyval([gamma, *(1 / math.factorial(k) for k in range(5, -1, -1))], x)
    bad = np.flatnonzero(np.abs(r) > 1 + 1e-12)
    return float(-x[bad[0] - 1]) if bad.size else xmax


def member(c3: float, c4: float, c5: float) -> tuple[np.ndarray, np.ndarray] | None:
    """(A, b) of the family member with nodes (0, 2c₃/3, c₃, c₄, c₅, 1), or None where none exists."""
    c = np.array([0.0, 2 * c3 / 3, c3, c4, c5, 1.0])
    nodes = c[[0, 2, 3, 4, 5]]
    b = np.zeros(6)
    b[[0, 2, 3, 4, 5]] = np.linalg.solve(np.vstack([nodes**k for k in range(5)]), [1 / (k + 1) for k in range(5)])
    rows, rhs = [], []
    for i in range(1, 6):  # row sums
        rows.append([1.0 if ii == i else 0.0 for ii, _ in TRI])
        rhs.append(c[i])
    for i in range(2, 6):  # C(2), C(3)
        for p in (1, 2):
            rows.append([c[j] ** p if ii == i else 0.0 for ii, j in TRI])
            rhs.append(c[i] ** (p + 1) / (p + 1))
    for j in range(1, 5):  # D(1)
        rows.append([b[i] if jj == j else 0.0 for i, jj in TRI])
        rhs.append(b[j] * (1 - c[j]))
    m, r = np.array(rows), np.array(rhs)
    x = np.linalg.lstsq(m, r, rcond=None)[0]
    free = np.linalg.svd(m)[2][-1]

    def tableau(s: float) -> np.ndarray:
        a = np.zeros((6, 6))
        for k, (i, j) in enumerate(TRI):
            a[i, j] = x[k] + s * free[k]
        return a

    tall = [b @ np.linalg.matrix_power(tableau(s), 4) @ np.ones(6) - 1 / 120 for s in np.linspace(-2, 2, 9)]
    roots = [z.real for z in np.roots(np.polyfit(np.linspace(-2, 2, 9), tall, 4)) if abs(z.imag) < 1e-9]
    if not roots:
        return None
    a = min((tableau(s) for s in roots), key=lambda t: np.abs(t).max())
    return (a, b) if order_residual(a, b, 5) < 1e-9 and np.abs(m @ x - r).max() < 1e-9 else None


def main() -> None:
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    from numerics.integrate import dopri5

    a5 = np.zeros((6, 6))
    a5[:, :5] = dopri5._A
    ref = error_norm(a5, dopri5._B, 6)
    print(f"DOPRI5: interval {interval(float(dopri5._B @ np.linalg.matrix_power(a5, 5) @ np.ones(6))):.3f}, "
          f"6th-order error norm {ref:.3e}")
    found = []
    for c3 in np.linspace(0.1, 0.7, 25):
        for c4 in np.linspace(0.2, 0.98, 27):
            for c5 in np.linspace(0.3, 0.99, 24):
                if min(abs(c3 - c4), abs(c4 - c5), abs(c3 - c5), 1 - c5) < 1e-3:
                    continue
                with np.errstate(all="ignore"):
                    ab = member(c3, c4, c5)
                if ab is None or np.abs(ab[0]).max() > 20:  # coefficients above 20 amplify round-off
                    continue
                gamma = float(ab[1] @ np.linalg.matrix_power(ab[0], 5) @ np.ones(6))
                found.append((interval(gamma), error_norm(*ab, 6), gamma, c3, c4, c5))
    print(f"{len(found)} members with coefficients <= 20")
    print("| interval at least | smallest error norm | x DOPRI5 | at interval | gamma | (c3, c4, c5) |")
    print("|---|---|---|---|---|---|")
    for lo in (3.3, 3.6, 3.9, 4.2, 4.5, 4.8, 5.1, 5.4, 5.7, 6.0):
        sel = [f for f in found if f[0] >= lo]
        if sel:
            beta, err, gamma, c3, c4, c5 = min(sel, key=lambda f: f[1])
            print(f"| {lo:.1f} | {err:.2e} | {err / ref:.1f} | {beta:.2f} | {gamma:.6f} | "
                  f"({c3:.3f}, {c4:.3f}, {c5:.3f}) |")


if __name__ == "__main__":
    main()
