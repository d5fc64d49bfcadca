"""Errors raised by :mod:`theory`.

Bad input raises :class:`InputError` (a ``ValueError``) with a one-line message naming the argument and the rule.
Symbolic work that exceeds its time bound raises :class:`SymbolicTimeout`, which says what was being derived and
the bound, so a caller can fall back to a numeric check instead of hanging.
"""

from __future__ import annotations

import guards


class InputError(guards.InputError):
    """Bad input to a symbolic routine: the message names the argument and the rule."""


class SymbolicTimeout(TimeoutError):
    """A symbolic derivation did not finish within its time bound."""
