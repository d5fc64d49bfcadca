"""Time bounds for symbolic work that can explode (expansion, differentiation, Groebner bases).

SymPy offers no cancellation hook, so the bound is a ``SIGALRM`` timer that raises :class:`SymbolicTimeout` inside
the computation.  Signals can only be installed from the main thread; elsewhere (for example inside a worker
thread) the work runs unbounded and :func:`time_bound` says so through :data:`BoundInfo.enforced`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .errors import InputError, SymbolicTimeout

DEFAULT_SECONDS = 60.0


@dataclass
class BoundInfo:
    """What :func:`time_bound` did: the bound in seconds and whether a timer enforced it."""

    seconds: float | None
    enforced: bool


@contextmanager
def time_bound(seconds: float | None, what: str = "symbolic derivation") -> Iterator[BoundInfo]:
    """Run the body with a wall-clock bound; raise :class:`SymbolicTimeout` naming ``what`` when it is exceeded.

    ``seconds=None`` means no bound.  Nested bounds keep the tighter outer timer running: the inner one is only
    installed when no timer is active, because SIGALRM has a single slot per process.

    >>> with time_bound(5, "a tiny expansion"):
    ...     pass
    """
    if seconds is not None and not seconds > 0:
        raise InputError(f"time bound seconds={seconds!r}: must be positive or None")
    in_main = threading.current_thread() is threading.main_thread()
    active = in_main and signal.getitimer(signal.ITIMER_REAL)[0] > 0
    if seconds is None or not in_main or active:
        yield BoundInfo(seconds, enforced=active)
        return

    def _raise(signum, frame):  # noqa: ARG001 - signal handler signature
        raise SymbolicTimeout(f"{what} exceeded its time bound of {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield BoundInfo(seconds, enforced=True)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
