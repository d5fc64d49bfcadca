"""Public hypothesis strategies for property-testing claims against the simulation engine.

Use them in your own tests (``pip install hypothesis``)::

    from hypothesis import given, settings
    from proofs_check.strategies import distinct_spectra, init_scales, seeds, widths

    @settings(max_examples=5, deadline=None)
    @given(s=distinct_spectra(n=3), eps=init_scales(1e-8, 1e-5), width=widths(3, 8), seed=seeds())
    def test_my_claim(s, eps, width, seed):
        ...

* :func:`distinct_spectra` — decreasing positive values with a minimum relative gap (the "distinct s_k" and
  "well-separated modes" assumptions of spec §6.3; the gap bounds s_{k+1}/s_k away from 1);
* :func:`repeated_spectra` — spectra with at least one block of exactly equal values (spec C7, C12, C19);
* :func:`init_scales` — log-uniform ε (init scales span decades, so uniform sampling would ignore small ε);
* :func:`widths`, :func:`seeds` — hidden widths H and seeds with the project's seed semantics
  (``default_rng(seed + k)``, docs/conventions.md).
"""

from __future__ import annotations

import math

from hypothesis import strategies as st

__all__ = ["distinct_spectra", "init_scales", "repeated_spectra", "seeds", "widths"]


def _round(x: float) -> float:
    return float(f"{x:.6g}")


@st.composite
def distinct_spectra(draw, n: int | tuple[int, int] = 3, low: float = 0.5, high: float = 5.0,
                     min_ratio_gap: float = 0.25) -> list[float]:
    """n values s_1 > … > s_n in [low, high] with s_{k+1} ≤ (1 − min_ratio_gap)·s_k (decreasing order).

    ``n`` may be an int or a (min, max) range.  The ratio gap makes the modes' plateaus last
    ≥ ln(1/ε)·min_ratio_gap/s_k, i.e. well separated at small ε.
    """
    k = n if isinstance(n, int) else draw(st.integers(*n))
    if low * (1 - min_ratio_gap) ** -(k - 1) > high:
        raise ValueError("distinct_spectra: the range cannot hold n values with that gap")
    top_min = low / (1 - min_ratio_gap) ** (k - 1)
    s = [draw(st.floats(top_min, high))]
    for j in range(1, k):
        floor = low / (1 - min_ratio_gap) ** (k - 1 - j)
        s.append(draw(st.floats(floor, s[-1] * (1 - min_ratio_gap))))
    return [_round(x) for x in s]


@st.composite
def repeated_spectra(draw, n: int = 3, low: float = 0.5, high: float = 5.0) -> list[float]:
    """n decreasing values in [low, high] containing at least one block of ≥ 2 exactly equal values."""
    if n < 2:
        raise ValueError("repeated_spectra: n >= 2")
    block = draw(st.integers(2, n))
    rest = n - block
    values = draw(distinct_spectra(n=rest + 1, low=low, high=high)) if rest else [draw(st.floats(low, high))]
    pos = draw(st.integers(0, rest))
    out = values[:pos] + [values[pos]] * block + values[pos + 1:]
    return [_round(x) for x in sorted(out, reverse=True)]


def init_scales(low: float = 1e-8, high: float = 1e-3) -> st.SearchStrategy[float]:
    """ε log-uniform in [low, high]."""
    return st.floats(math.log10(low), math.log10(high)).map(lambda x: _round(10.0**x))


def widths(low: int = 1, high: int = 16) -> st.SearchStrategy[int]:
    """Hidden widths H in [low, high]."""
    return st.integers(low, high)


def seeds(high: int = 2**31 - 1) -> st.SearchStrategy[int]:
    """Seeds (first seed S; member k uses default_rng(S + k))."""
    return st.integers(0, high)
