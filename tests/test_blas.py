"""numerics.blas_threads: the BLAS thread cap is applied inside the block, to every loaded BLAS, and restored."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

import numerics as N


def _blas_threads() -> dict[str, int]:
    return {i["filepath"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_cap_applies_inside_and_is_restored():
    before = _blas_threads()
    assert before, "no BLAS library found: the test would prove nothing"
    with N.blas_threads(1):
        inside = _blas_threads()
        lam = np.linalg.eigvalsh(np.diag([2.0, -1.0]))
    assert set(inside) == set(before) and set(inside.values()) == {1}
    assert lam.tolist() == [-1.0, 2.0]
    assert _blas_threads() == before


def test_cap_is_restored_after_an_exception_and_nests():
    before = _blas_threads()
    with pytest.raises(ZeroDivisionError):
        with N.blas_threads(1):
            raise ZeroDivisionError
    assert _blas_threads() == before
    with N.blas_threads(2):
        outer = _blas_threads()
        with N.blas_threads(1):
            assert set(_blas_threads().values()) == {1}
        assert _blas_threads() == outer  # the inner block restores the outer cap, not the process default
    assert _blas_threads() == before


def test_none_leaves_the_thread_count_alone():
    before = _blas_threads()
    with N.blas_threads(None):
        assert _blas_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1"])
def test_bad_limits_are_rejected(bad):
    with pytest.raises(N.InputError, match="limit"):
        with N.blas_threads(bad):
            pass
