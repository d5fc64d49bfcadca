"""Time bounds for symbolic work that can explode (expansion, differentiation, Groebner bases).

SymPy offers no cancellation hook, so the bound is a ``SIGALRM`` timer that raises :class:`SymbolicTimeout` inside
the computation.  The timer is the process-wide one of :mod:`guards.alarm`, so bounds nest with each other and with
a command's deadline: an inner bound that runs out raises where its caller expects it (and may be caught, e.g. to
report a set as undecided), while an outer bound that runs out first passes through every inner ``except
SymbolicTimeout`` and stops the whole outer computation: a command-wide ``--timeout`` cannot be swallowed by a
routine that tolerates its own time-outs.

Signals can only be installed from the main thread; elsewhere (for example inside a worker thread) the work runs
unbounded and :func:`time_bound` says so through :data:`BoundInfo.enforced`.  A foreign SIGALRM timer that is
already running (not one of ours) is left alone, and the body then runs under it unenforced by us.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from guards import alarm

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

    ``seconds=None`` means no bound of its own (an enclosing bound still applies).

    >>> with time_bound(5, "a tiny expansion"):
    ...     pass
    """
    if seconds is not None and not seconds > 0:
        raise InputError(f"time bound seconds={seconds!r}: must be positive or None")
    if seconds is None:
        yield BoundInfo(seconds, enforced=alarm.enforcing())
        return
    with alarm.within(seconds, lambda: SymbolicTimeout(f"{what} exceeded its time bound of {seconds:g} s")) as own:
        yield BoundInfo(seconds, enforced=own or alarm.enforcing())
