"""``s2s derive ARCH --fixed-points [--latex]``: the fixed-point catalog with levels, Morse indices, classes and
escape directions (spec §2, §3), plus the Theorem 1 families that apply to φ and the refused ones."""

from __future__ import annotations

import sympy as sp

import theory
from theory.fixed_points.catalogs import fixed_point_catalog
from theory.fixed_points.classify import classify_catalog, linear_morse_index, linear_saddle_spectrum
from theory.fixed_points.embeddings import theorem1_families


def _numeric_task(catalog) -> bool:
    exprs = [e.loss for e in catalog.entries] + [x for e in catalog.entries for x in e.theta]
    return all(sp.sympify(x).is_number for x in exprs)


def _multiset(values) -> str:
    counts: dict[str, int] = {}
    for v in values:
        key = sp.sstr(v)
        counts[key] = counts.get(key, 0) + 1
    return "{" + ", ".join(k if n == 1 else f"{k} (x{n})" for k, n in counts.items()) + "}"


def fixed_points_report(spec: theory.NetworkSpec, task: object, latex: bool = False) -> str:
    """The catalog of ``spec`` on ``task``: each point, level, Morse index, class and escape directions.

    Numeric tasks are classified from the exact Hessian (theory.fixed_points.classify); symbolic linear tasks
    get the closed-form §3.2 spectrum and Morse index (s_1 > s_2 > … assumed); other symbolic tasks list the
    points and levels and ask for numbers.  InputError when no closed-form catalog exists for the pair.
    """
    fmt = sp.latex if latex else sp.sstr
    cat = fixed_point_catalog(spec, task)
    lines = [f"## fixed points of {spec.name} {dict(spec.sizes)} ({cat.kind} catalog)", f"formula: {cat.formula}"]
    numeric = _numeric_task(cat)
    classes = classify_catalog(cat) if numeric else None
    for k, e in enumerate(cat.entries):
        cert = "certified" if e.certified else "NOT CERTIFIED"
        fn = fmt(e.function) if latex else sp.sstr(e.function.tolist())
        lines.append(f"\n{e.label}: level L = {fmt(e.loss)}" + (f" = {float(e.loss):.6g}" if numeric else "")
                     + f"  [{cert} by substitution into grad L]")
        lines.append(f"  function: {fn}")
        lines.append("  representative: " + ", ".join(f"{fmt(p)}={fmt(v)}" for p, v in zip(spec.params, e.theta,
                                                                                            strict=True) if v != 0)
                     if any(v != 0 for v in e.theta) else "  representative: theta = 0")
        if classes is not None:
            c = classes[k]
            lines.append(f"  Hessian: Morse index {c.morse_index}, {c.n_zero} zero (orbit dimension "
                         f"{c.orbit_dimension}), {c.n_positive} positive; eigenvalue tolerance {c.tolerance:.2g}")
            if c.predicted_spectrum is not None:
                lines.append(f"  spec 3.2 spectrum: {_multiset(c.predicted_spectrum)}; exact check "
                             f"{'passed' if c.exact_spectrum_verified else 'FAILED'}; Morse formula "
                             f"{c.predicted_morse_index}")
            lines.append(f"  class: {c.kind}" + (f" ({c.note})" if c.note else ""))
            lines.append(f"  escape: {c.describe_escape(spec, top=2)}")
        elif cat.rule.saxe_spectrum:
            s = [task.sigma_yx[j, j] for j in range(min(task.sigma_yx.shape))]
            pred = linear_saddle_spectrum(s, e.support, spec.width, spec.input_dim, spec.output_dim)
            morse = linear_morse_index(s, e.support, spec.width)
            lines.append(f"  spec 3.2 spectrum (s_1 > s_2 > ...): {_multiset(pred)}; Morse index {morse}")
            lines.append("  class: " + ("minimum" if morse == 0 else "strict saddle"))
        else:
            lines.append("  class: give numeric task parameters to classify")
    fams, refused = theorem1_families(spec) if "width" in spec.sizes else ([], [("all", "width cannot grow")])
    lines.append("\n## Theorem 1 families (weight-space lifts to width H+1)")
    for f in fams:
        lines.append(f"  ({f.key}) applies, parameters {', '.join(map(str, f.gammas)) or 'none'}; {f.constraint}")
    for key, reason in refused:
        lines.append(f"  ({key}) refused: {reason}")
    return "\n".join(lines)


def enumeration_report(spec: theory.NetworkSpec, samples: int, timeout: float | None) -> str:
    """All fixed points of a polynomial user unit's tiny net by Groebner enumeration (docs/theory.md §2.8) on a
    rational dataset: x_m with entries in {-2, ..., 2} and y_m in {-2, ..., 2} from a fixed seed (printed), since
    no closed-form catalog is registered for a user's unit."""
    import numpy as np

    from theory.fixed_points.enumerate import enumerate_fixed_points

    rng = np.random.default_rng(0)
    x = sp.Matrix(rng.integers(-2, 3, size=(samples, spec.input_dim)).tolist())
    y = sp.Matrix(rng.integers(-2, 3, size=(samples, spec.output_dim)).tolist())
    e = enumerate_fixed_points(spec, theory.Dataset(x, y), timeout=timeout)
    lines = [f"## fixed points of {spec.label} {dict(spec.sizes)} (Groebner enumeration, docs/theory.md §2.8)",
             f"data: x = {x.tolist()}, y = {y.tolist()} (rational, seed 0)", e.summary()]
    if e.real_points is not None:
        for k, row in enumerate(e.real_points):
            pairs = ", ".join(f"{p}={v:.6g}" for p, v in zip(e.variables, row, strict=False))
            lines.append(f"  real solution {k + 1}: {pairs}")
    return "\n".join(lines)
