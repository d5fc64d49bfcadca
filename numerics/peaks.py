"""Local maxima of a sampled curve and their topographic prominence, in NumPy (docs/theory.md §0.7).

The drops of a loss curve are the prominent maxima of log |dL/dt| (:mod:`numerics.plateaus`).  SciPy's
``scipy.signal.find_peaks`` computes them, but importing ``scipy.signal`` pulls ``scipy.stats`` and costs every
command about 0.6 s at start-up; this module reproduces exactly the two definitions the staircase uses, with the
same results (index for index, and the same floating-point prominences; ``tests/test_peaks.py`` compares them).

* **Local maximum** (SciPy's ``_local_maxima_1d``): a run of one or more equal samples x[l] = … = x[r] with a
  strictly smaller sample on each side, x[l−1] < x[l] and x[r+1] < x[r].  The first and last samples are never
  maxima, nor is a plateau that touches either end.  The maximum is reported at the run's midpoint ⌊(l + r)/2⌋.
* **Prominence** (SciPy's ``_peak_prominences`` with no window): from a peak p, walk left while the samples stay
  ≤ x[p] (stopping before the first strictly higher one, or at the start); the left base level is the smallest
  sample met; the same to the right.  The prominence is x[p] minus the higher of the two base levels.

>>> x = np.array([0.0, 2.0, 1.0, 3.0, 3.0, 0.5, 1.5, 0.0])
>>> find_peaks(x)
(array([1, 3, 6]), array([1., 3., 1.]))
>>> find_peaks(x, prominence=1.5)[0]
array([3])
"""

from __future__ import annotations

import numpy as np

from .errors import InputError


def _as_curve(x) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise InputError(f"x: must be a 1-D array, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise InputError("x: contains NaN or inf")
    return a


def local_maxima(x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Local maxima of a finite 1-D array, flat plateaus included (module docstring).

    Parameters
    ----------
    x : (n,) array_like
        Finite samples.

    Returns
    -------
    midpoints, left_edges, right_edges : (k,) intp arrays
        For each maximum, in increasing order: ⌊(l + r)/2⌋, l and r, where x[l..r] is its run of equal samples.

    Raises
    ------
    numerics.InputError
        ``x`` is not 1-D or not finite.

    Notes
    -----
    Split x into maximal runs of equal samples, with values v_0, v_1, …, v_m.  Run j (samples l_j..r_j) is a maximum
    iff 0 < j < m and v_{j−1} < v_j > v_{j+1}: this is SciPy's scan (a rise into the run, then a fall after it),
    written over runs so that it needs no Python loop.
    """
    a = _as_curve(x)
    empty = np.empty(0, dtype=np.intp)
    if a.size < 3:
        return empty, empty, empty
    starts = np.flatnonzero(np.concatenate(([True], a[1:] != a[:-1])))
    ends = np.concatenate((starts[1:] - 1, [a.size - 1]))
    v = a[starts]
    inner = (v[1:-1] > v[:-2]) & (v[1:-1] > v[2:])
    left = starts[1:-1][inner].astype(np.intp)
    right = ends[1:-1][inner].astype(np.intp)
    return (left + right) // 2, left, right


def peak_prominences(x, peaks) -> np.ndarray:
    """Topographic prominence of each peak of x, as SciPy's ``peak_prominences`` with no window.

    Parameters
    ----------
    x : (n,) array_like
        Finite samples.
    peaks : (k,) array_like of int
        Indices into x (usually from :func:`local_maxima`).

    Returns
    -------
    (k,) float64 array
        x[p] − max(left base level, right base level) for each peak p.

    Raises
    ------
    numerics.InputError
        ``x`` is not 1-D and finite, or a peak index is outside [0, n).

    Notes
    -----
    With a_p the last index < p where x > x[p] (or −1) and b_p the first index > p where x > x[p] (or n), the base
    levels are min x[a_p+1 .. p] and min x[p .. b_p−1]; SciPy finds the same minima by walking from p, which costs
    O(n) per peak.  Here sparse tables of range maxima and minima over windows of 2^j samples (O(n log n) to build)
    give a_p and b_p by binary lifting and the minima in O(1), for all peaks at once: O((n + k) log n) NumPy work,
    whether the curve has a handful of peaks (the staircase) or thousands (a noisy curve).
    """
    a = _as_curve(x)
    p = np.asarray(peaks)
    if p.ndim != 1 or (p.size and not np.issubdtype(p.dtype, np.integer)):
        raise InputError(f"peaks: must be a 1-D array of indices, got {p!r}")
    p = p.astype(np.intp)
    if p.size and (p.min() < 0 or p.max() >= a.size):
        raise InputError(f"peaks: indices must lie in [0, {a.size}), got {p.min()}..{p.max()}")
    if p.size == 0:
        return np.empty(0, dtype=np.float64)
    return (_prominences_dense if p.size * a.size <= DENSE_LIMIT else _prominences_sparse)(a, p)


def _prominences_sparse(a: np.ndarray, p: np.ndarray) -> np.ndarray:
    """:func:`peak_prominences` by sparse tables and binary lifting (Notes there), for many peaks × samples."""
    highest, lowest = _sparse_tables(a)
    height = a[p]
    n = a.size
    first, last = p.copy(), p.copy()  # x[first..p] and x[p..last] stay <= height (first/last grow outwards)
    for j in range(len(highest) - 1, -1, -1):
        w = 1 << j
        # the window of w samples just outside [first, last], where it exists and lies wholly <= height
        go = first >= w
        go[go] = highest[j][first[go] - w] <= height[go]
        first[go] -= w
        go = last + w <= n - 1
        go[go] = highest[j][last[go] + 1] <= height[go]
        last[go] += w
    return height - np.maximum(_range_min(lowest, first, p), _range_min(lowest, p, last))


#: peaks × samples up to which the prominences are read off one (peaks, samples) comparison table: a staircase's
#: log-rate curve (~50–500 samples, a few to a few dozen maxima) then costs about ten NumPy calls instead of the
#: sparse tables' hundred or so; both read the same minima, so the prominences are equal to the bit
DENSE_LIMIT = 1 << 16


def _prominences_dense(a: np.ndarray, p: np.ndarray) -> np.ndarray:
    """:func:`peak_prominences` for few peaks × samples: a_p, b_p and the two base levels (Notes there) as masked
    reductions over the table of samples against each peak."""
    i = np.arange(a.size)[None, :]
    pc = p[:, None]
    height = a[p]
    higher = a[None, :] > height[:, None]
    first = np.where(higher & (i < pc), i, -1).max(axis=1)[:, None] + 1  # x[first..p] <= height
    last = np.where(higher & (i > pc), i, a.size).min(axis=1)[:, None] - 1  # x[p..last] <= height
    left = np.where((i >= first) & (i <= pc), a[None, :], np.inf).min(axis=1)
    right = np.where((i >= pc) & (i <= last), a[None, :], np.inf).min(axis=1)
    return height - np.maximum(left, right)


def _sparse_tables(a: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """highest[j][i] = max a[i : i + 2^j] and lowest[j][i] = min a[i : i + 2^j], for 2^j <= a.size."""
    highest, lowest = [a], [a]
    w = 1
    while 2 * w <= a.size:
        highest.append(np.maximum(highest[-1][:-w], highest[-1][w:]))
        lowest.append(np.minimum(lowest[-1][:-w], lowest[-1][w:]))
        w *= 2
    return highest, lowest


def _range_min(lowest: list[np.ndarray], lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """min a[lo .. hi] (inclusive, lo <= hi) for arrays of bounds: two overlapping windows of 2^j samples."""
    length = hi - lo + 1
    level = np.zeros(length.size, dtype=np.intp)
    while True:  # level = floor(log2(length)), in integers (no rounding of a float log)
        up = (2 << level) <= length
        if not up.any():
            break
        level += up
    out = np.empty(length.size, dtype=np.float64)
    for j in np.unique(level):
        sel = level == j
        t = lowest[j]
        out[sel] = np.minimum(t[lo[sel]], t[hi[sel] - (1 << j) + 1])
    return out


def find_peaks(x, *, prominence: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of x with their prominences, keeping those at least ``prominence`` prominent.

    Equals ``scipy.signal.find_peaks(x, prominence=prominence)`` (peaks, and ``properties["prominences"]``) for
    finite 1-D x and a scalar minimum; with ``prominence=None`` all local maxima are returned.

    Parameters
    ----------
    x : (n,) array_like
        Finite samples.
    prominence : float, optional
        Smallest prominence kept (inclusive, as in SciPy).

    Returns
    -------
    peaks : (k,) intp array
        Indices of the kept maxima (plateau midpoints), increasing.
    prominences : (k,) float64 array
        Their prominences.

    Raises
    ------
    numerics.InputError
        ``x`` is not 1-D and finite, or ``prominence`` is not a real number.
    """
    peaks, _, _ = local_maxima(x)
    prom = peak_prominences(x, peaks)
    if prominence is not None:
        try:
            floor = float(prominence)
        except (TypeError, ValueError):
            raise InputError(f"prominence: must be a real number, got {prominence!r}") from None
        if floor != floor:
            raise InputError("prominence: must be a real number, got nan")
        keep = prom >= floor
        peaks, prom = peaks[keep], prom[keep]
    return peaks, prom
