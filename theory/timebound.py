"""Time bounds for symbolic work that can explode (expansion, differentiation, Groebner bases).

SymPy offers no cancellation hook, so the bound is a ``SIGALRM`` timer that raises inside the computation.  Bounds
nest: each :func:`time_bound` pushes its deadline, the timer is armed for the earliest one, and when a deadline
passes the signal raises an internal ``BaseException`` that only the bound owning that deadline turns into
:class:`SymbolicTimeout`.  So an inner bound that runs out raises where its caller expects it (and may be caught,
e.g. to report a set as undecided), while an outer bound that runs out first passes through every inner ``except
SymbolicTimeout`` and stops the whole outer computation: a command-wide ``--timeout`` cannot be swallowed by a
routine that tolerates its own time-outs.

Signals can only be installed from the main thread; elsewhere (for example inside a worker thread) the work runs
unbounded and :func:`time_bound` says so through :data:`BoundInfo.enforced`.  A foreign SIGALRM timer that is
already running (not one of ours) is left alone, and the body then runs under it unenforced by us.
"""

from __future__ import annotations

import signal
import threading
import time
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


class _Expired(BaseException):  # noqa: N818 - internal signal, never seen outside this module's owners
    def __init__(self, token: object):
        super().__init__("time bound expired")
        self.token = token


_STACK: list[tuple[float, object]] = []  # (monotonic deadline, owner token), outermost first
_PREVIOUS: list = []


def _arm() -> None:
    left = min(d for d, _ in _STACK) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4))


def _on_alarm(_signum, _frame) -> None:
    now = time.monotonic()
    expired = [tok for d, tok in _STACK if d <= now + 1e-4]
    if not expired:
        _arm()
        return
    raise _Expired(expired[0])  # the outermost expired bound owns the stop


@contextmanager
def time_bound(seconds: float | None, what: str = "symbolic derivation") -> Iterator[BoundInfo]:
    """Run the body with a wall-clock bound; raise :class:`SymbolicTimeout` naming ``what`` when it is exceeded.

    ``seconds=None`` means no bound of its own (an enclosing bound still applies).

    >>> with time_bound(5, "a tiny expansion"):
    ...     pass
    """
    if seconds is not None and not seconds > 0:
        raise InputError(f"time bound seconds={seconds!r}: must be positive or None")
    in_main = threading.current_thread() is threading.main_thread()
    foreign = in_main and not _STACK and signal.getitimer(signal.ITIMER_REAL)[0] > 0
    if seconds is None or not in_main or foreign:
        yield BoundInfo(seconds, enforced=bool(_STACK) or foreign)
        return
    token = object()
    entry = (time.monotonic() + seconds, token)
    if not _STACK:
        _PREVIOUS.append(signal.signal(signal.SIGALRM, _on_alarm))
    _STACK.append(entry)
    _arm()
    try:
        yield BoundInfo(seconds, enforced=True)
    except _Expired as exc:
        if exc.token is token:
            raise SymbolicTimeout(f"{what} exceeded its time bound of {seconds:g} s") from None
        raise
    finally:
        _STACK.remove(entry)
        if _STACK:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _PREVIOUS.pop())
