"""docs/theory.md is the spec the code cites: every "spec §x.y" in the code names one of its numbered headings, and
its claims section (§8) covers C1–C35.

Headings are numbered as ``## §6 Title`` / ``### §6.8 Title``. A reference resolves only to a heading with exactly
that number (``spec §6`` needs a ``§6`` heading, ``spec §6.8`` a ``§6.8`` heading). Continuations of one reference
are resolved too: ``spec §2.2, §2.4, §8`` cites three sections and a range ``spec §2.5–2.7`` cites both ends.
Reads files only; no network.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "theory.md"
CODE_DIRS = ("theory", "numerics", "proofs_check", "tests", "benchmarks")
N_CLAIMS = 35

_NUM = r"\d+(?:\.\d+)*"
HEADING = re.compile(rf"^(#{{1,6}})[ \t]+§({_NUM})(?=[\s.:]|$)", re.M)
# "spec §a", then any number of ", §b" (a list: § required) or "–b" / "-§b" (a range: § optional).
REFERENCE = re.compile(rf"\bspec\s+§\s*({_NUM})((?:\s*,\s*§\s*{_NUM}|\s*[-–]\s*§?\s*{_NUM})*)", re.I)
CONTINUATION = re.compile(rf"§?\s*({_NUM})")


def headings(text: str) -> dict[str, int]:
    """Section number → heading level (number of #) of every numbered heading ``#… §x.y Title``."""
    out: dict[str, int] = {}
    for hashes, number in HEADING.findall(text):
        out.setdefault(number, len(hashes))
    return out


def references(text: str) -> set[str]:
    """Section numbers cited as "spec §x.y" (with list and range continuations) in ``text``."""
    found: set[str] = set()
    for m in REFERENCE.finditer(text):
        found.add(m.group(1))
        found.update(CONTINUATION.findall(m.group(2)))
    return found


def missing(refs: set[str], sections: dict[str, int] | set[str]) -> list[str]:
    """The references that name no numbered heading, sorted numerically."""
    return sorted((r for r in refs if r not in sections), key=lambda r: [int(x) for x in r.split(".")])


def section_text(text: str, number: str) -> str:
    """Body of the heading numbered ``number``, up to the next heading of the same or a higher level."""
    matches = list(HEADING.finditer(text))
    for i, m in enumerate(matches):
        if m.group(2) == number:
            level = len(m.group(1))
            end = next((n.start() for n in matches[i + 1:] if len(n.group(1)) <= level), len(text))
            return text[m.end():end]
    raise KeyError(number)


@pytest.fixture(scope="module")
def doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def code_references() -> dict[str, set[str]]:
    """Cited section → the files citing it, over every .py file under CODE_DIRS."""
    cited: dict[str, set[str]] = {}
    for d in CODE_DIRS:
        for path in sorted((ROOT / d).rglob("*.py")):
            for ref in references(path.read_text(encoding="utf-8")):
                cited.setdefault(ref, set()).add(str(path.relative_to(ROOT)))
    return cited


def test_doc_starts_by_explaining_the_citations(doc):
    head = doc[: doc.index("\n## ")]
    assert "spec §x.y" in head and "this file" in head


def test_headings_are_numbered_uniquely(doc):
    numbers = [n for _, n in HEADING.findall(doc)]
    assert numbers, "no numbered headings found"
    assert len(numbers) == len(set(numbers)), sorted(n for n in set(numbers) if numbers.count(n) > 1)
    # a subsection x.y sits under its parent x
    for n in numbers:
        if "." in n:
            assert n.rsplit(".", 1)[0] in numbers, n


def test_every_code_reference_resolves(doc, code_references):
    assert code_references, "no 'spec §' references found in the code: the scan is broken"
    sections = headings(doc)
    bad = missing(set(code_references), sections)
    assert not bad, {r: sorted(code_references[r]) for r in bad}


def test_claims_section_covers_c1_to_c35(doc):
    body = section_text(doc, "8")
    absent = [f"C{k}" for k in range(1, N_CLAIMS + 1) if not re.search(rf"\bC{k}\b(?!\.\d)", body)]
    assert not absent, absent
    no_entry = [f"C{k}" for k in range(1, N_CLAIMS + 1) if not re.search(rf"^\*\*C{k} ", body, re.M)]
    assert not no_entry, no_entry


def test_resolver_reports_a_made_up_reference(doc):
    fake = "spec " + "\u00a7" + "99.9"  # built at run time so that this file itself cites nothing missing
    sections = headings(doc)
    assert references(f"see {fake} for details") == {"99.9"}
    assert missing(references(fake), sections) == ["99.9"]
    assert missing(references("spec \u00a76.8"), sections) == []


def test_parser_handles_lists_ranges_and_exact_numbers():
    text = "spec \u00a72.2, \u00a72.4, \u00a78 C1; spec \u00a72.5\u20132.7; spec \u00a76.3-\u00a76.6 and \u00a79 alone"
    assert references(text) == {"2.2", "2.4", "8", "2.5", "2.7", "6.3", "6.6"}
    toy = "## \u00a76 Closed forms\n### \u00a76.8 Attention\n"
    assert headings(toy) == {"6": 2, "6.8": 3}
    assert missing({"6", "6.8", "6.80", "6.1"}, headings(toy)) == ["6.1", "6.80"]


ISSUE_NUMBER = re.compile(r"\bissues?\s*(?:#\s*)?\d+|\bfoundation issue\b", re.I)


def test_code_cites_sections_not_issue_numbers():
    # Issue numbers mean nothing to a reader of the repository and go stale; the theory is cited by section.
    offenders = []
    for d in CODE_DIRS:
        for path in sorted((ROOT / d).rglob("*.py")):
            if path == Path(__file__).resolve():
                continue  # the detector's own examples
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ISSUE_NUMBER.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_issue_number_detector():
    assert ISSUE_NUMBER.search("(issue 4 item 2)") and ISSUE_NUMBER.search("issue #13")
    assert ISSUE_NUMBER.search("foundation issue, item 7")
    assert not ISSUE_NUMBER.search("a known issue with stiff solvers") and not ISSUE_NUMBER.search("spec §1.4 #11")
