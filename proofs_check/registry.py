"""The claims registry: every checkable statement of the theory, each with a symbolic and a numeric part.

A claim is a plain function that returns a :class:`Measurement` (the numbers it measured, whether they meet the
tolerance) and is registered under an id with its statement, source tag (spec §8) and tolerance with its
justification.  Users register their own claims the same way:

>>> from proofs_check.registry import Registry, Measurement
>>> reg = Registry()
>>> @reg.claim("my-claim", statement="1 + 1 = 2", source="arithmetic", tolerance="exact",
...            justification="integers add exactly")
... def _check():
...     return Measurement(passed=(1 + 1 == 2), measured={"sum": 2})
>>> reg.run(["my-claim"])[0].status
'pass'
"""

from __future__ import annotations

import fnmatch
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("pass", "fail", "error", "skip")


@dataclass(frozen=True)
class Measurement:
    """What a claim's check returns: pass/fail, the measured numbers, optional skip reason and figure paths."""

    passed: bool
    measured: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    details: str = ""
    figures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Claim:
    """A registered claim (spec §8): id, statement, source tag, tolerance and why that tolerance."""

    id: str
    statement: str
    source: str
    tolerance: str
    justification: str
    check: Callable[[], Measurement]
    profile: str = "default"


@dataclass(frozen=True)
class ClaimResult:
    """The outcome of running one claim: status is one of pass/fail/error/skip."""

    id: str
    statement: str
    source: str
    status: str
    measured: dict[str, Any]
    tolerance: str
    justification: str
    seconds: float
    details: str = ""
    figures: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "statement": self.statement, "source": self.source, "status": self.status,
                "measured": self.measured, "tolerance": self.tolerance, "seconds": round(self.seconds, 4)}


class Registry:
    """An ordered collection of claims, selectable by glob patterns on the id."""

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}

    def claim(self, id: str, *, statement: str, source: str, tolerance: str, justification: str,
              profile: str = "default") -> Callable[[Callable[[], Measurement]], Callable[[], Measurement]]:
        """Decorator registering ``check`` under ``id``; a duplicate id is an error."""

        def deco(check: Callable[[], Measurement]) -> Callable[[], Measurement]:
            self.add(Claim(id, statement, source, tolerance, justification, check, profile))
            return check

        return deco

    def add(self, claim: Claim) -> None:
        if claim.id in self._claims:
            raise ValueError(f"claim id {claim.id!r}: already registered")
        self._claims[claim.id] = claim

    def __iter__(self):
        return iter(self._claims.values())

    def __len__(self) -> int:
        return len(self._claims)

    def __getitem__(self, id: str) -> Claim:
        return self._claims[id]

    def select(self, patterns: Iterable[str] | None = None, *, full: bool = False) -> list[Claim]:
        """Claims whose id matches any glob pattern (all when None); ``full`` adds the large-sweep claims."""
        pats = list(patterns) if patterns else None
        chosen = []
        for c in self._claims.values():
            if c.profile == "full" and not full and not pats:
                continue
            if pats is None or any(fnmatch.fnmatchcase(c.id, p) or c.id == p for p in pats):
                chosen.append(c)
        return chosen

    def run(self, ids: Iterable[str] | None = None) -> list[ClaimResult]:
        """Run the named claims (all when None) in order; see :func:`run_claim`."""
        claims = [self._claims[i] for i in ids] if ids is not None else list(self._claims.values())
        return [run_claim(c) for c in claims]


def run_claim(claim: Claim, figure_dir: str | None = None) -> ClaimResult:
    """Run one claim; an exception becomes status ``error`` with its traceback, never a crash of the run.

    ``figure_dir``: where the claim's figures go (see :mod:`proofs_check.figures`); None draws nothing.
    """
    from .figures import figure_directory

    start = time.perf_counter()
    figures: tuple[str, ...] = ()
    try:
        with figure_directory(figure_dir):
            m = claim.check()
        if not isinstance(m, Measurement):
            raise TypeError(f"claim {claim.id} returned {type(m).__name__}, expected Measurement")
        status = "skip" if m.skipped else ("pass" if m.passed else "fail")
        measured, details = dict(m.measured), (m.skipped or m.details)
        figures = tuple(f for f in m.figures if f)
    except Exception:  # noqa: BLE001 - a failing claim must not stop the others
        status, measured, details = "error", {}, traceback.format_exc()
    return ClaimResult(claim.id, claim.statement, claim.source, status, measured, claim.tolerance,
                       claim.justification, time.perf_counter() - start, details, figures)


def summarize(results: Iterable[ClaimResult]) -> dict[str, int]:
    """Counts per status, with the keys of the JSON summary (passed, failed, errors, skipped)."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    key = {"pass": "passed", "fail": "failed", "error": "errors", "skip": "skipped"}
    for r in results:
        counts[key[r.status]] += 1
    return counts


REGISTRY = Registry()
"""The workbench's own claims; :mod:`proofs_check.claims` fills it on import."""
