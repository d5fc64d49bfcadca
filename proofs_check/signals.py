"""SIGINT and SIGTERM as an exception the commands can answer with partial results.

:func:`interruptible` turns both signals into :class:`Interrupted` (a ``BaseException``, so no ``except
Exception`` inside a claim swallows it) for the duration of a command; the command catches it, reports what it
has, keeps every earlier artefact (a previous report) intact and exits with ``128 + signal number`` (130 for
SIGINT, 143 for SIGTERM), the shell's convention.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Interrupted(BaseException):  # noqa: N818 - reads as the event, like KeyboardInterrupt
    """The process received ``signum``; ``results`` may carry what was finished before it."""

    def __init__(self, signum: int, results=None):
        super().__init__(f"interrupted by {signal.Signals(signum).name}")
        self.signum = signum
        self.results = results

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


@contextmanager
def _handled(handler) -> Iterator[None]:
    """SIGINT and SIGTERM go to ``handler`` for the duration of the body, the previous handlers come back after it
    (Python lets only the main thread set handlers: elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


@contextmanager
def interruptible() -> Iterator[None]:
    """Raise :class:`Interrupted` on SIGINT/SIGTERM inside the body (main thread only; elsewhere a no-op)."""

    def _raise(signum, _frame):
        raise Interrupted(signum)

    with _handled(_raise):
        yield


@contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM back for the duration of the body and deliver them after it (main thread only; elsewhere
    a no-op): a block of output lines is then written whole, so an interrupted JSON-lines stream never ends in half
    a line.  The signals are caught by a handler that only records them and raised again, once each, when the body
    is done.  (Blocking them with ``pthread_sigmask`` is not enough: the kernel then delivers a process-wide signal
    to another thread, e.g. one of a worker pool's, and Python still runs the handler in the main thread between
    two writes.)  Keep the body to the write itself: while a reader that has stopped reading keeps the pipe full,
    the signal waits too (a reader that exits closes the pipe, and the write ends with ``BrokenPipeError``)."""
    caught: list[int] = []
    try:
        with _handled(lambda signum, _frame: caught.append(signum)):
            yield
    finally:
        for s in dict.fromkeys(caught):  # after the previous handlers are back, also when the body raised
            signal.raise_signal(s)
