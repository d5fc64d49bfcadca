"""What this machine can hold, and refusing work that would not fit before allocating it.

The limit is a fraction of the memory available now (``MemAvailable`` of ``/proc/meminfo``, else the physical
memory), lowered by an address-space rlimit if one is set; ``S2S_MEMORY_LIMIT`` (bytes, or with a K/M/G/T suffix)
overrides it.  The fraction leaves room for the interpreter, the libraries and the analysis after a run: an
estimate counts the large arrays only, so a run that is estimated at the limit still fits.
"""

from __future__ import annotations

import os
import resource
from typing import Any

from .errors import invalid

FRACTION = 0.7
ENV = "S2S_MEMORY_LIMIT"
_SUFFIX = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def _parse_bytes(text: str) -> int:
    t = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = t[-1] if t and t[-1] in _SUFFIX else ""
    try:
        value = float(t[: len(t) - len(unit)] if unit else t)
    except ValueError:
        raise invalid(ENV, text, "must be a number of bytes, optionally with a K, M, G or T suffix") from None
    if not value > 0:
        raise invalid(ENV, text, "must be > 0")
    return int(value * _SUFFIX[unit])


def _available() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def memory_limit() -> int:
    """Bytes a single run may plan to use (module docstring)."""
    env = os.environ.get(ENV)
    if env:
        return _parse_bytes(env)
    limit = int(FRACTION * _available())
    for which in (resource.RLIMIT_AS, resource.RLIMIT_DATA):
        soft, _hard = resource.getrlimit(which)
        if soft != resource.RLIM_INFINITY:
            limit = min(limit, int(FRACTION * soft))
    return limit


def format_bytes(n: float) -> str:
    """``1.5 GiB`` style."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} PiB"


def check_memory(argument: str, value: Any, estimate_bytes: float, what: str, *, hint: str = "") -> None:
    """Raise an :class:`~guards.errors.InputError` naming ``argument=value`` when ``estimate_bytes`` exceeds
    :func:`memory_limit`; the message gives the estimate, what it is for and the limit.

    >>> check_memory("--seeds", 1, 1e3, "the trajectories")
    """
    limit = memory_limit()
    if not estimate_bytes <= limit:
        extra = f"; {hint}" if hint else ""
        raise invalid(argument, value, f"{what} needs an estimated {format_bytes(estimate_bytes)}, more than the "
                      f"memory limit {format_bytes(limit)} of this machine ({ENV} overrides it){extra}")
