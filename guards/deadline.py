"""A wall-clock deadline that every stage of a command shares (setup, derivation, integration, analysis, output).

A command creates one :class:`Deadline` from the user's bound (``--timeout`` / ``--time-budget``) and passes it
down; each stage asks :meth:`Deadline.remaining` for its own budget or calls :meth:`Deadline.check` between units
of work, so the whole command, not just its longest stage, stays inside the bound.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .alarm import within
from .errors import BoundExceeded, invalid


class Deadline:
    """``seconds`` from now (None or inf: no deadline); ``what`` names the bound in messages (e.g. ``--timeout``).

    >>> d = Deadline(10.0, "--time-budget")
    >>> 0 < d.remaining() <= 10.0 and not d.expired()
    True
    """

    def __init__(self, seconds: float | None, what: str = "time bound"):
        if seconds is not None and not (isinstance(seconds, int | float) and seconds > 0 and not math.isnan(seconds)):
            raise invalid(what, seconds, "must be a number of seconds > 0")
        self.seconds = None if seconds is None or math.isinf(seconds) else float(seconds)
        self.what = what
        self.start = time.monotonic()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def remaining(self) -> float:
        """Seconds left (inf without a deadline; never below a tiny positive number, so it can be passed on as a
        budget to a routine that requires one > 0)."""
        if self.seconds is None:
            return math.inf
        return max(self.seconds - self.elapsed(), 1e-3)

    def expired(self) -> bool:
        return self.seconds is not None and self.elapsed() >= self.seconds

    def check(self, stage: str) -> None:
        """Raise :class:`~guards.errors.BoundExceeded` when the deadline has passed, naming ``stage``."""
        if self.expired():
            raise self._exceeded(stage)

    def _exceeded(self, stage: str) -> BoundExceeded:
        return BoundExceeded(f"{self.what}={self.seconds:g} s exceeded during {stage} (after {self.elapsed():.1f} s)")

    @contextmanager
    def alarm(self, stage: str) -> Iterator[None]:
        """Raise :class:`~guards.errors.BoundExceeded` inside the body when the deadline passes, even in the middle
        of a long library call that returns to Python (a SciPy integration, a SymPy expansion): the process-wide
        timer of :mod:`guards.alarm`, so it nests with any bound inside the body.  Where no timer can be set (off
        the main thread, under a foreign timer) the body runs and :meth:`check` afterwards is the bound."""
        if self.seconds is None:
            yield
            return
        self.check(stage)
        with within(self.remaining(), lambda: self._exceeded(stage)) as enforced:
            yield
        if not enforced:
            self.check(stage)
