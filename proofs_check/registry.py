"""The claims registry: every checkable statement of the theory, each with a symbolic and a numeric part.

A claim is a plain function that returns a :class:`Measurement` (the numbers it measured, whether they meet the
tolerance) and is registered under an id with its statement, source tag (spec §8) and tolerance with its
justification.  A claim may instead separate *measuring* from *judging*: its function returns the measured numbers
(a dict, or a Measurement whose ``passed`` is ignored) and a pure ``judge`` turns them into a :class:`Verdict`.
Such a claim can be shown to fail: its :class:`WrongTheory` families say how a prediction wrong by a given amount
would change the measured numbers, and :func:`resolving_power` finds the smallest amount its judge rejects (in the
report and ``results.json``).  Users register their own claims the same way:

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
import math
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
class Verdict:
    """A judge's decision on measured numbers: pass or fail, and why (the numbers that decided it)."""

    passed: bool
    reason: str


@dataclass(frozen=True)
class WrongTheory:
    """A family of wrong predictions, ``apply(measured, size)`` → the measured numbers a prediction wrong by ``size``
    would have produced (e.g. every predicted drop time × (1 + size)); ``unit`` says what ``size`` measures."""

    name: str
    apply: Callable[[dict[str, Any], float], dict[str, Any]]
    unit: str = "relative"


Judge = Callable[[dict[str, Any]], Verdict]


@dataclass(frozen=True)
class Claim:
    """A registered claim (spec §8): id, statement, source tag, tolerance and why that tolerance; optionally a pure
    judge of its measured numbers and the wrong theories it must reject."""

    id: str
    statement: str
    source: str
    tolerance: str
    justification: str
    check: Callable[[], Any]
    profile: str = "default"
    judge: Judge | None = None
    wrong: tuple[WrongTheory, ...] = ()


# Sizes tried by resolving_power: 1e-9 … 1 in steps of 10^(1/4) (a factor 1.78).
SIZES = tuple(10.0 ** (k / 4) for k in range(-36, 1))


def resolving_power(judge: Judge, measured: dict[str, Any], wrong: WrongTheory) -> float | None:
    """The smallest size in :data:`SIZES` at which ``judge`` rejects ``wrong.apply(measured, size)``, provided the
    judge also rejects every larger size tried (a judge that accepts a larger error again does not resolve it);
    None when no size up to 1 is rejected that way.

    Notes
    -----
    The judge is pure, so this costs one judge call per size and never re-runs the measurement.  A claim whose
    judge passes the true measurement and whose resolving power for a wrong theory is r will reject that theory
    whenever it is wrong by r or more.

    Examples
    --------
    >>> j = lambda m: Verdict(abs(m["t"] - 1.0) < 0.01, "")
    >>> w = WrongTheory("t x (1 + d)", lambda m, d: {"t": m["t"] * (1 + d)})
    >>> resolving_power(j, {"t": 1.0}, w)   # 1 % off is rejected, 10^-2.25 = 0.56 % is not
    0.01
    """
    found = None
    for size in reversed(SIZES):
        if judge(wrong.apply(measured, size)).passed:
            break
        found = size
    return found


def finite(*values: Any) -> bool:
    """True when every value is a real finite number (bools and None are not): a judge's explicit check, since
    ``max(0.0, nan)`` is 0.0 and a missing value must fail, not vanish."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in values)


def worst_of(items: Iterable[tuple[float, str]]) -> tuple[float, str]:
    """The largest (value, label) of ``items``; the first NaN wins, and nothing at all is NaN (a running
    ``if not x <= worst`` would let a later finite value overwrite a NaN).

    >>> worst_of([(0.5, "a"), (math.nan, "b"), (2.0, "c")])
    (nan, 'b')
    """
    best, label = math.nan, "nothing measured"
    for v, lab in items:
        if math.isnan(v):
            return math.nan, lab
        if not v <= best:  # the first value replaces the initial NaN
            best, label = v, lab
    return best, label


def worse(acc: tuple[float, str], value: float, where: str) -> tuple[float, str]:
    """:func:`worst_of` as a running fold from ``(0.0, "")``: the first pair is taken as it comes (a NaN included),
    then the larger one, a NaN staying once seen."""
    return (value, where) if not acc[1] else worst_of([acc, (value, where)])


def judged(claim: Claim, m: Measurement) -> tuple[Measurement, dict[str, float | None]]:
    """Apply ``claim``'s judge to a measurement (its ``passed`` replaced by the verdict, the reason in ``details``)
    and compute the resolving power of each wrong theory; unchanged for a claim without a judge."""
    if claim.judge is None or m.skipped:
        return m, {}
    verdict = claim.judge(m.measured)
    power = {w.name: resolving_power(claim.judge, m.measured, w) for w in claim.wrong} if verdict.passed else {}
    return Measurement(verdict.passed, m.measured, m.skipped, verdict.reason, m.figures), power


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
    resolving_power: dict[str, float | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out = {"id": self.id, "statement": self.statement, "source": self.source, "status": self.status,
               "measured": self.measured, "tolerance": self.tolerance, "seconds": round(self.seconds, 4)}
        if self.resolving_power:
            out["verdict"] = self.details
            out["resolving_power"] = self.resolving_power
        return out


class Registry:
    """An ordered collection of claims, selectable by glob patterns on the id."""

    def __init__(self) -> None:
        self._claims: dict[str, Claim] = {}

    def claim(self, id: str, *, statement: str, source: str, tolerance: str, justification: str,
              profile: str = "default", judge: Judge | None = None, wrong: Iterable[WrongTheory] = ()
              ) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
        """Decorator registering ``check`` under ``id``; a duplicate id is an error.  With ``judge``, ``check`` only
        measures (returns a dict or a Measurement) and ``judge`` decides; ``wrong``: the wrong theories whose
        resolving power is reported."""

        def deco(check: Callable[[], Any]) -> Callable[[], Any]:
            self.add(Claim(id, statement, source, tolerance, justification, check, profile, judge, tuple(wrong)))
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
    power: dict[str, float | None] = {}
    try:
        with figure_directory(figure_dir):
            m = claim.check()
        if isinstance(m, dict) and claim.judge is not None:
            m = Measurement(False, m)
        if not isinstance(m, Measurement):
            raise TypeError(f"claim {claim.id} returned {type(m).__name__}, expected Measurement")
        m, power = judged(claim, m)
        status = "skip" if m.skipped else ("pass" if m.passed else "fail")
        measured, details = dict(m.measured), (m.skipped or m.details)
        figures = tuple(f for f in m.figures if f)
    except Exception:  # noqa: BLE001 - a failing claim must not stop the others
        status, measured, details = "error", {}, traceback.format_exc()
    return ClaimResult(claim.id, claim.statement, claim.source, status, measured, claim.tolerance,
                       claim.justification, time.perf_counter() - start, details, figures, power)


def summarize(results: Iterable[ClaimResult]) -> dict[str, int]:
    """Counts per status, with the keys of the JSON summary (passed, failed, errors, skipped)."""
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    key = {"pass": "passed", "fail": "failed", "error": "errors", "skip": "skipped"}
    for r in results:
        counts[key[r.status]] += 1
    return counts


REGISTRY = Registry()
"""The workbench's own claims; :mod:`proofs_check.claims` fills it on import."""
