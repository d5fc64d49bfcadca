"""Architectures are described once: no code outside the registries compares an architecture's name to a literal.

Everything that depends on the network (its task, predictor, catalog, measure, horizon, conservation laws) is read
off the registered objects (docs/conventions.md "How an architecture is described").  This test parses every
module of the packages and fails on a comparison (``==``, ``!=``, ``in``, ``not in``) of a string literal that names
an architecture or a family, and on ``.startswith``/``.endswith`` with a prefix of one, outside the registry modules.

"quadratic" is also the name of a population form and a task kind; comparing ``.population``/``.population_kind``/
``.kind``/``--task`` values with it is about those, not about the architecture, and is allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numerics
import theory

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("theory", "numerics", "proofs_check", "guards")
REGISTRIES = {"theory/architectures.py", "numerics/architectures.py", "numerics/families.py"}
NAMES = frozenset({*theory.ARCHITECTURE_NAMES, *numerics.ARCHITECTURE_NAMES, *theory.FAMILIES, *numerics.FAMILIES})
# Attributes whose values are population forms or task kinds, which share the word "quadratic" with an architecture.
NOT_A_NAME = {"population", "population_kind", "kind", "task"}


def _literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def _about_a_form(node: ast.AST) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr in NOT_A_NAME) or (
        isinstance(node, ast.Name) and node.id in NOT_A_NAME)


def violations(source: str, filename: str) -> list[str]:
    """Name comparisons in ``source`` (one line each: file:line: code)."""
    out = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            hits = [s for o in operands for s in _literals(o) if s in NAMES]
            if hits and not any(_about_a_form(o) for o in operands):
                out.append(f"{filename}:{node.lineno}: compares with {hits}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith") and node.args):
            prefixes = [s for s in _literals(node.args[0])
                        if len(s) >= 2 and any(n.startswith(s) or n.endswith(s) for n in NAMES)]
            if prefixes:
                out.append(f"{filename}:{node.lineno}: {node.func.attr}({prefixes})")
    return out


def test_no_architecture_name_is_compared_outside_the_registries():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in REGISTRIES:
                found += violations(path.read_text(encoding="utf-8"), rel)
    assert not found, "architecture names compared outside the registries:\n" + "\n".join(found)


def test_the_detector_finds_each_kind_of_name_comparison():
    """The judge must be able to fail: each forbidden form is found, the allowed ones are not."""
    bad = ['if arch.name == "relu-fc": pass', 'x = name in ("attn-s", "attn-m")', 'y = spec.name != "cubic"',
           'z = case.arch.startswith("relu")', 'w = "fc" == family_name']
    for code in bad:
        assert violations(code, "t.py"), code
    good = ['if spec.population == "quadratic": pass', 'k = kind == "quadratic"', 'b = build("relu-fc")',
            'r = REGISTRY["tanh-fc"]', 's = text.startswith("v_")']
    for code in good:
        assert not violations(code, "t.py"), code
