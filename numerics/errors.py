"""Errors raised by :mod:`numerics` on bad input.

Every check of user input raises :class:`InputError`, a ``ValueError`` subclass whose one-line message names the
argument and the rule it broke (for example ``"covariance sigma_xx: not symmetric (max |A - A^T| = 0.3)"``), so the
CLI can print it and exit with code 2 instead of showing a traceback from deep inside NumPy.
"""

from __future__ import annotations

import guards


class InputError(guards.InputError):
    """Bad input to a numeric routine: the message names the argument and the rule."""


class SimulationError(RuntimeError):
    """A simulation could not proceed (kept for callers that prefer exceptions to a status field)."""
