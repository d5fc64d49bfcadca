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

import pytest

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


def _named(node: ast.AST, attributes: frozenset[str] | set[str]) -> bool:
    """``node`` is an attribute or a variable called one of ``attributes``."""
    return (isinstance(node, ast.Attribute) and node.attr in attributes) or (
        isinstance(node, ast.Name) and node.id in attributes)


def _compared(node: ast.AST, names: frozenset[str]) -> tuple[list[str], list[ast.AST]]:
    """For a comparison: the string literals among ``names`` it compares with, and its operands."""
    if not isinstance(node, ast.Compare):
        return [], []
    operands = [node.left, *node.comparators]
    return [s for o in operands for s in _literals(o) if s in names], operands


def violations(source: str, filename: str) -> list[str]:
    """Name comparisons in ``source`` (one line each: file:line: code)."""
    out = []
    for node in ast.walk(ast.parse(source, filename)):
        hits, operands = _compared(node, NAMES)
        if hits and not any(_named(o, NOT_A_NAME) for o in operands):
            out.append(f"{filename}:{node.lineno}: compares with {hits}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("startswith", "endswith") and node.args):
            prefixes = [s for s in _literals(node.args[0])
                        if len(s) >= 2 and any(n.startswith(s) or n.endswith(s) for n in NAMES)]
            if prefixes:
                out.append(f"{filename}:{node.lineno}: {node.func.attr}({prefixes})")
    return out


def _scan(find, skip: set[str]) -> list[str]:
    """``find(source, filename)`` over every module of the packages but those in ``skip``."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in skip:
                found += find(path.read_text(encoding="utf-8"), rel)
    return found


def test_no_architecture_name_is_compared_outside_the_registries():
    found = _scan(violations, REGISTRIES)
    assert not found, "architecture names compared outside the registries:\n" + "\n".join(found)


# Other variants are registered objects too: population forms and input kinds (numerics.POPULATIONS / INPUT_KINDS,
# theory.populations.POPULATIONS, theory.spec.INPUT_KINDS), catalog kinds (CatalogRule), case task kinds
# (proofs_check.cases.TASK_KINDS), result kinds (IntegrationResult.is_flow), Theorem 1/3 constructions
# (theory.fixed_points.embeddings.CONSTRUCTIONS and their numeric twins), training methods (simulate_cmd.METHODS,
# experiment.RUNS, reduced_escape.FIXED_STEP), executors (executor.EXECUTORS), commands (cli.COMMANDS) and
# effective-width kinds (manifolds.WIDTH_KINDS).  What depends on them is read off the object, so no code compares
# such an attribute with one of their names, except the result class reading its own kind.
KIND_ATTRIBUTES = frozenset({"population", "population_kind", "input_kind", "kind", "key", "method", "executor",
                             "command"})
KIND_NAMES = frozenset({"linear", "quadratic", "icl", "vector", "diagonal", "dataset", "icl-dataset",
                        "gradient_flow", "gradient_descent", "i", "ii", "iii", "iv", "sign-flip", "flow", "gd",
                        "euler", "local", "dask", "derive", "simulate", "predict", "check", "units", "rays", "rank"})
KIND_OWNERS = {"numerics/integrate/result.py"}


def kind_violations(source: str, filename: str) -> list[str]:
    """Comparisons of a kind attribute with a kind's name in ``source`` (one line each: file:line: code)."""
    out = []
    for node in ast.walk(ast.parse(source, filename)):
        hits, operands = _compared(node, KIND_NAMES)
        if hits and any(_named(o, KIND_ATTRIBUTES) for o in operands):
            out.append(f"{filename}:{node.lineno}: compares a kind with {hits}")
    return out


def test_no_registered_kind_is_compared_with_its_name():
    found = _scan(kind_violations, KIND_OWNERS)
    assert not found, "kinds compared by name instead of read off their registered objects:\n" + "\n".join(found)


JUDGED = [
    (violations,  # architecture and family names
     ['if arch.name == "relu-fc": pass', 'x = name in ("attn-s", "attn-m")', 'y = spec.name != "cubic"',
      'z = case.arch.startswith("relu")', 'w = "fc" == family_name'],
     ['if spec.population == "quadratic": pass', 'k = kind == "quadratic"', 'b = build("relu-fc")',
      'r = REGISTRY["tanh-fc"]', 's = text.startswith("v_")']),
    (kind_violations,  # registered kinds
     ['if arch.population_kind == "linear": pass', 'y = spec.input_kind != "icl"',
      'z = catalog.kind in ("linear", "diagonal")', 'w = res.kind == "gradient_flow"', 'v = "quadratic" == population',
      'if emb.key == "iii": pass', 'u = key in ("i", "iii")', 'm = args.method == "gd"', 'e = method != "euler"',
      'x = args.executor == "dask"', 'c = args.command == "derive"'],
     ['k = dtype.kind in "iu"', 'p = spec.population == rule.population', 'q = name == "linear"',
      'r = POPULATIONS["linear"]', 's = cat.rule.saxe_spectrum', 'c = CONSTRUCTIONS["iv"]', 't = key == "testbed"']),
]


@pytest.mark.parametrize(("detector", "bad", "good"), JUDGED, ids=["names", "kinds"])
def test_each_detector_finds_each_forbidden_form_and_spares_the_allowed(detector, bad, good):
    """The judges must be able to fail: each forbidden form is found, the allowed ones are not."""
    for code in bad:
        assert detector(code, "t.py"), code
    for code in good:
        assert not detector(code, "t.py"), code


def test_numeric_twins_name_the_same_constructions_as_the_theory():
    """A construction added on the theory side without its numeric twin would fail inside a claim."""
    from proofs_check.claims.fixed_points import _NUMERIC_CONSTRUCTIONS
    from proofs_check.claims.unit import _SET_IMAGES
    from theory.fixed_points.embeddings import CONSTRUCTIONS

    assert set(_NUMERIC_CONSTRUCTIONS) == set(CONSTRUCTIONS)
    spec = theory.build("quadratic", d_in=2, width=3)  # even φ: the sign-flip set is a candidate too
    assert set(_SET_IMAGES) <= {c.key for c in theory.theorem3_candidates(spec)}
