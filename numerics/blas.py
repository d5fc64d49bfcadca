"""A cap on BLAS threads around small dense linear algebra (the per-seed analysis of a sweep).

OpenBLAS (the BLAS of the NumPy and SciPy wheels) runs every level-3 call on as many threads as there are cores.
For the small matrices of the analysis (a 500 × 500 Hessian factorised for its inertia, batches of 5 × 5 SVDs for
the effective width) the threads spin-wait on each other, and when another process occupies the cores each
synchronisation costs a scheduler time slice: on the shared 2-core machine ``numpy.linalg.eigvalsh`` of a
500 × 500 matrix measured 3.8 s with the default two threads and 18 ms with one (benchmarks/bench_analysis.py).
:func:`blas_threads` caps the thread count of every loaded BLAS for the duration of a ``with`` block, through
threadpoolctl (which talks to each BLAS library's own ``set_num_threads``), and restores it afterwards.

The cap is process-wide (BLAS has one thread count per library, not per Python thread): code running concurrently
in another Python thread of the same process sees it too.

Example
-------
>>> import numpy as np
>>> with blas_threads(1):
...     lam = np.linalg.eigvalsh(np.eye(3))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .errors import InputError

__all__ = ["blas_threads"]

_controller = None


def _blas_controller():
    """One threadpoolctl controller for the process, built on first use.

    Building it scans the loaded shared libraries (≈ 1 ms); it is built after NumPy's and SciPy's linear algebra
    are imported so that both OpenBLAS copies (NumPy's 64-bit-integer one and SciPy's) are under its control.
    """
    global _controller
    if _controller is None:
        import numpy.linalg  # noqa: F401  (load NumPy's BLAS before the scan)
        import scipy.linalg  # noqa: F401  (and SciPy's, a separate library)
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


@contextmanager
def blas_threads(limit: int | None = 1) -> Iterator[None]:
    """Cap the BLAS thread count at ``limit`` inside the ``with`` block (module docstring).

    Parameters
    ----------
    limit : int or None
        Threads each BLAS library may use (≥ 1); ``None`` leaves them unchanged (a no-op, so that callers can
        pass an option straight through).

    Notes
    -----
    Exceptions raised inside the block propagate; the previous thread counts are restored either way.
    """
    if limit is None:
        yield
        return
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InputError(f"limit={limit!r}: must be an integer >= 1 (or None for no cap)")
    with _blas_controller().limit(limits=limit, user_api="blas"):
        yield
