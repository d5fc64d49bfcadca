"""``s2s derive ARCH --manifolds [--latex]``: each Theorem 3 invariant set with its proof status, the
conservation laws, and the reduced equations that apply to the architecture (spec §4, §5.2, §6.8).

The invariant sets and conservation laws are proved for the spec *and task* given (the CLI's task); the reduced
equations are derived on their own canonical instances (:mod:`theory.reduced`), listed for the architectures
they belong to.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

import theory
from theory.conservation import prove_conservation
from theory.errors import SymbolicTimeout
from theory.invariants import prove_theorem3
from theory.reduced import reduced_models
from theory.verify import Certificate, Counterexample


def _tex(text: str) -> str:
    """Plain text for LaTeX text mode."""
    return text.replace("_", r"\_").replace("^", r"\^{}")


def _math(formula: str) -> str:
    """A formula of :mod:`theory.invariants` / :mod:`theory.conservation` as LaTeX math."""
    out = formula
    for word in ("theta", "gamma", "lambda"):
        out = out.replace(word, "\\" + word + " ")
    return out.replace("|", r"\|").replace(" x ", r" \times ")


def manifolds_report(spec: theory.NetworkSpec, task: Any, latex: bool = False, *, timeout: float = 30.0) -> str:
    """Text (or LaTeX when ``latex``) report: invariant sets with proof status, conservation laws, reduced ODEs.

    Theorem 3 relates units, so widths below 2 (3 for set (iv)) give fewer sets; a derivation that exceeds
    ``timeout`` reports every set as undecided instead of failing.
    """
    lines: list[str] = []
    head = f"# invariant manifolds of {spec.label} (sizes {dict(spec.sizes)}), task {type(task).__name__}"
    lines.append(_tex(head) if latex else head)
    try:
        der = theory.derive(spec, task, timeout=timeout)
    except SymbolicTimeout as exc:
        lines.append(f"derivation undecided: {exc}")
        return "\n".join(lines)
    lines.append("\n## Theorem 3 invariant sets (spec §4.1, §4.4)")
    if spec.width < 2:
        lines.append("width 1: Theorem 3 relates units; rebuild with --width 2 (or 3 for set (iv))")
        sets = []
    else:
        sets = prove_theorem3(spec, task, derivation=der, timeout=timeout)
    for s in sets:
        c, v = s.candidate, s.verdict
        agree = {True: "agrees with theory", False: "CONTRADICTS theory", None: "undecided"}[s.agrees]
        if latex:
            status = {"invariant": r"\textbf{proved invariant}", "not invariant": r"\textbf{refuted}",
                      "undecided": r"\textbf{undecided}"}[v.status]
            lines.append(rf"\item ({_tex(c.key)}) {_tex(c.name)}: ${_math(c.formula)}$ -- {status} ({agree})")
        else:
            lines.append(f"({c.key}) {c.name}: {c.formula}")
            lines.append(f"    theory: {'invariant' if c.expected else 'not invariant'} ({c.reason})")
            lines.append(f"    result: {v.summary()} [{agree}]")
        if isinstance(v, Counterexample) and v.notes:
            lines.append(f"    {_tex(v.notes[0]) if latex else v.notes[0]}")
        if isinstance(v, Certificate) and v.reduced_flow and not latex:
            nz = {g: e for g, e in v.reduced_flow.items() if not str(g).startswith(("v_", "u_", "k_", "q_", "w1_"))}
            if nz:
                lines.append("    set parameters on the set: " + ", ".join(f"d{g}/dt = {e}" for g, e in nz.items()))
    lines.append("\n## conservation laws (spec §4.5)")
    for r in prove_conservation(spec, derivation=der, timeout=timeout):
        if latex:
            status = {"conserved": r"\textbf{proved conserved}", "not conserved": r"\textbf{refuted}",
                      "undecided": r"\textbf{undecided}"}[r.status]
            extra = "" if r.status != "not conserved" else f" (dQ/dt = {r.rate:.3e} at a rational point)"
            lines.append(rf"\item {_tex(r.law.name)}: ${_math(r.law.formula)}$ -- {status}{extra}")
        else:
            lines.append(r.line())
    reduced = reduced_models(spec)
    if reduced:
        lines.append("\n## reduced equations (derived from the flow restricted to an invariant ansatz)")
        for red in reduced:
            if latex:
                lines.append(r"\begin{align*}")
                lines.append(r"\text{" + _tex(red.name) + r"}\\")
                for g, e in red.equations.items():
                    lines.append(r"\dot{" + sp.latex(g) + "} &= " + sp.latex(sp.factor_terms(e)) + r"\\")
                for key, val in red.derived.items():
                    lines.append(r"\text{" + _tex(key) + "} &: " + sp.latex(val) + r"\\")
                lines.append(r"\end{align*}")
            else:
                lines.extend(red.lines())
    return "\n".join(lines)
