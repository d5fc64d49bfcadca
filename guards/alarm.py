"""One SIGALRM timer shared by every time bound of the process, so bounds nest.

SIGALRM has a single slot per process, and two libraries of ours bound time with it: SymPy work
(:func:`theory.timebound.time_bound`) and whole commands (:meth:`guards.Deadline.alarm`).  Each :func:`within` pushes
its deadline on one stack, the timer is armed for the earliest, and when a deadline passes the signal raises an
internal ``BaseException`` that only the bound owning that deadline turns into its own error.  An inner bound that
runs out raises where its caller expects it (and may be caught, e.g. to report a set as undecided); an outer bound
that runs out first passes through every inner ``except`` of the inner bound's error and stops the outer work.

Signals can only be installed from the main thread; elsewhere the body runs unbounded.  A timer that is already
running and not ours (a caller's own SIGALRM) is left alone and the body runs under it.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class _Expired(BaseException):  # noqa: N818 - internal signal, turned into the owner's error by within()
    def __init__(self, token: object):
        super().__init__("time bound expired")
        self.token = token


RETRY_SECONDS = 0.05
_STACK: list[tuple[float, object]] = []  # (monotonic deadline, owner token), outermost first
_PREVIOUS: list = []
_PREVIOUS_HOOKS: list = []


def _drop_quietly(unraisable) -> None:
    """``sys.unraisablehook`` while a bound is armed: a stop raised inside a finaliser or a gc callback is dropped by
    Python and raised again by the re-armed timer (:func:`_on_alarm`), so its drop is not reported as an error;
    every other unraisable exception goes to the hook that was installed before."""
    if isinstance(unraisable.exc_value, _Expired):
        return
    # a caller may have kept this hook past the bound's end: then the default hook reports the others
    (_PREVIOUS_HOOKS[-1] if _PREVIOUS_HOOKS else sys.__unraisablehook__)(unraisable)


def _arm() -> None:
    left = min(d for d, _ in _STACK) - time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4))


def _on_alarm(_signum, _frame) -> None:
    now = time.monotonic()
    expired = [tok for d, tok in _STACK if d <= now + 1e-4]
    if not expired:
        _arm()
        return
    # Python runs handlers at any safe point, including inside a finaliser (__del__, a weakref callback during garbage
    # collection), where an exception is dropped (and not reported: _drop_quietly).  Re-arm before raising, so a dropped
    # stop is raised again shortly; the owning bound's exit disarms or re-arms the timer.
    signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)
    raise _Expired(expired[0])  # the outermost expired bound owns the stop


def _in_main() -> bool:
    return threading.current_thread() is threading.main_thread()


def enforcing() -> bool:
    """Whether a timer (one of ours, or a caller's) is running for the current thread's work."""
    return bool(_STACK) or (_in_main() and signal.getitimer(signal.ITIMER_REAL)[0] > 0)


@contextmanager
def within(seconds: float, error: Callable[[], BaseException]) -> Iterator[bool]:
    """Run the body with a wall-clock bound of ``seconds``; when it passes, raise ``error()`` from the body.

    Yields whether this bound is enforced (False off the main thread or under a foreign timer).

    >>> with within(5.0, lambda: TimeoutError("too slow")) as enforced:
    ...     enforced
    True
    """
    foreign = _in_main() and not _STACK and signal.getitimer(signal.ITIMER_REAL)[0] > 0
    if not _in_main() or foreign:
        yield False
        return
    token = object()
    entry = (time.monotonic() + seconds, token)
    if not _STACK:
        _PREVIOUS.append(signal.signal(signal.SIGALRM, _on_alarm))
        _PREVIOUS_HOOKS.append(sys.unraisablehook)
        sys.unraisablehook = _drop_quietly
    _STACK.append(entry)
    _arm()
    try:
        yield True
    except _Expired as exc:
        if exc.token is token:
            raise error() from None
        raise
    finally:
        _STACK.remove(entry)
        if _STACK:
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _PREVIOUS.pop())
            previous = _PREVIOUS_HOOKS.pop()
            if sys.unraisablehook is _drop_quietly:  # a hook installed inside the bound stays
                sys.unraisablehook = previous
