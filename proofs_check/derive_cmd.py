"""``s2s derive ARCH``: the spec, φ's properties, the loss, the flow equations and the applicable theorems.

Everything after parsing runs inside the one ``--timeout`` bound (:func:`theory.timebound.time_bound`): building
the symbols, the task, the derivation, the fixed-point catalog, the manifolds report and the printing.  The text is
assembled first and printed at the end; when the bound is hit, the sections finished so far are printed, then the
one-line message, and the exit code is 3.  Sizes whose symbols and matrices could not fit in memory are refused
before anything is built (exit 2), and so are options that the chosen task does not read and ``--fixed-points``
where no catalog exists.
"""

from __future__ import annotations

import math
import sys
import time

import sympy as sp

import guards
import theory
from theory.fixed_points.catalogs import catalog_kind
from theory.spec import latex_names

# Per-kind task options; any other task option given is an error, not ignored.  The kinds are the population forms
# of docs/theory.md §1.3 (a spec's ``population``) and "dataset".
TASK_OPTIONS = {"linear": ("singular_values",), "quadratic": ("target_eigs",), "icl": ("cov_eigs", "context"),
                "dataset": ("samples",)}
# The dimensions a task list fixes unless they are given, by population form (as in `s2s simulate`).
LIST_DIMS = {"singular_values": ("linear", ("d_in", "d_out")), "target_eigs": ("quadratic", ("d_in",)),
             "cov_eigs": ("icl", ("dim",))}
BYTES_PER_ENTRY = 1_000  # a SymPy symbol or matrix entry with its expression tree, as a planning figure


def _linear_task(spec: theory.NetworkSpec, args) -> tuple[object, str]:
    d_in, d_out = spec.input_dim, spec.output_dim
    if args.singular_values:
        s = [sp.nsimplify(v) for v in args.singular_values]
        return theory.LinearRegressionTask.whitened(s, d_in, d_out), f"whitened linear regression, s = {s}"
    return (theory.LinearRegressionTask.symbolic(min(d_in, d_out), d_in, d_out),
            "whitened linear regression, Sigma_yx = diag(s_k) (symbolic)")


def _diagonal(values, option: str, symbol: str, d: int, **assumptions) -> list:
    """The d diagonal entries given with ``option`` (exact rationals), else d symbols ``symbol``_1..d."""
    out = [sp.nsimplify(v) for v in values] if values else list(sp.symbols(f"{symbol}_1:{d + 1}", **assumptions))
    if len(out) != d:
        raise theory.InputError(f"{option}: {len(out)} values for input dimension {d}")
    return out


def _quadratic_task(spec: theory.NetworkSpec, args) -> tuple[object, str]:
    a = _diagonal(args.target_eigs, "--target-eigs", "a", spec.input_dim, real=True)
    return theory.QuadraticGaussianTask.diagonal(a), f"x ~ N(0, I), y = x^T diag({a}) x"


def _icl_task(spec: theory.NetworkSpec, args) -> tuple[object, str]:
    lam = _diagonal(args.cov_eigs, "--cov-eigs", "lambda", spec.input_dim, positive=True)
    n = args.context if args.context is not None else sp.Symbol("N", positive=True, integer=True)
    return theory.ICLTask(sp.diag(*lam), n), f"in-context regression, Lambda = diag({lam}), N = {n}"


def _vector_dataset(spec: theory.NetworkSpec, p: int) -> tuple[object, str]:
    x = sp.Matrix(p, spec.input_dim, lambda m, a: sp.Symbol(f"x^{{({m + 1})}}_{{{a + 1}}}", real=True))
    y = sp.Matrix(p, spec.output_dim, lambda m, o: sp.Symbol(f"y^{{({m + 1})}}_{{{o + 1}}}", real=True))
    return theory.Dataset(x, y), f"symbolic dataset of {p} samples"


def _icl_dataset(spec: theory.NetworkSpec, p: int) -> tuple[object, str]:
    beta = sp.Matrix(p, spec.input_dim, lambda m, a: sp.Symbol(f"beta^{{({m + 1})}}_{{{a + 1}}}", real=True))
    xq = sp.Matrix(p, spec.input_dim, lambda m, a: sp.Symbol(f"xq^{{({m + 1})}}_{{{a + 1}}}", real=True))
    yq = sp.Matrix(p, 1, lambda m, _: sp.Symbol(f"y^{{({m + 1})}}", real=True))
    return theory.ICLDataset(beta, xq, yq), f"symbolic in-context dataset of {p} samples"


# A symbolic dataset by the spec's input kind (docs/theory.md §1.4: a vector x, or the in-context pair (β, x_q)).
DATASETS = {"vector": _vector_dataset, "icl": _icl_dataset}


def _dataset_task(spec: theory.NetworkSpec, args) -> tuple[object, str]:
    p = guards.integer("--samples", args.samples if args.samples is not None else 2, minimum=1)
    return DATASETS[spec.input_kind](spec, p)


# The task of each kind of TASK_OPTIONS: (task, description) from the spec and the parsed options.
TASK_BUILDERS = {"linear": _linear_task, "quadratic": _quadratic_task, "icl": _icl_task, "dataset": _dataset_task}


def _task_for(spec: theory.NetworkSpec, args) -> tuple[object, str]:
    return TASK_BUILDERS[task_kind(spec, args)](spec, args)


def task_kind(spec: theory.NetworkSpec, args) -> str:
    """The task kind (``--task``, or the architecture's population task for ``auto``)."""
    return (spec.population or "dataset") if args.task == "auto" else args.task


def _validate(args) -> None:
    if not (math.isfinite(args.timeout) and args.timeout > 0):
        raise guards.invalid("--timeout", args.timeout, "must be a finite number of seconds > 0")
    if args.singular_values is not None:
        guards.real_list("--singular-values", args.singular_values, nonnegative=True, power=2)
    if args.cov_eigs is not None:
        guards.real_list("--cov-eigs", args.cov_eigs, positive=True, power=4)
    if args.context is not None:
        guards.integer("--context", args.context, minimum=1)


def _check_options(spec: theory.NetworkSpec, kind: str, args) -> None:
    for k, opts in TASK_OPTIONS.items():
        for o in opts:
            if k != kind and getattr(args, o) is not None:
                raise guards.invalid("--" + o.replace("_", "-"), getattr(args, o),
                                     f"does not apply to the {kind} task of {spec.label}")


def _check_symbol_budget(args, sizes: dict[str, int]) -> None:
    """Refuse sizes whose symbols and task matrices cannot fit in memory, before SymPy builds any of them."""
    if not sizes:
        return
    big = max(sizes, key=lambda k: sizes[k])
    d = sum(sizes.values())
    samples = args.samples if args.samples is not None else 2
    entries = float(d) ** 2 * 4 + samples * d + math.prod(float(v) for v in sizes.values())
    guards.check_memory("--" + big.replace("_", "-"), sizes[big], BYTES_PER_ENTRY * entries,
                        f"the symbols and task matrices of sizes {sizes}")


def _render(spec, task, task_text, der, args, sections: list[str]) -> None:
    from .cli import CONVENTION

    tex = args.latex
    names = latex_names()

    def fmt(expr):
        return sp.latex(expr, symbol_names=names) if tex else sp.sstr(expr)

    sections.append(f"# {spec.label}  sizes={dict(spec.sizes)}  ({CONVENTION})\n"
                    f"model (LaTeX): {spec.formula}\n"
                    f"g_in: {spec.g_in};  parameters ({spec.n_params}): "
                    + ", ".join(f"{b.name}{b.shape}" for b in spec.blocks) + "\n"
                    f"phi: {spec.phi.latex if tex else spec.phi.name}: " + "; ".join(spec.phi.describe()) + "\n"
                    + ("".join(f"unit: {line}\n" for line in spec.unit.describe()) if spec.unit is not None else "")
                    +
                    f"task: {task_text}")
    sections.append("\n## loss\n" + ("L = " if not tex else r"L(\theta) = ") + fmt(sp.factor_terms(der.loss)))
    lines = ["\n## gradient flow  (theta' = -grad L)"]
    for p, rhs in zip(der.params, der.flow, strict=True):
        lhs = (r"\dot{" + names[p] + "}") if tex else f"d/dt {p}"
        lines.append(f"{lhs} = {fmt(sp.factor_terms(rhs))}")
    sections.append("\n".join(lines))
    lines = ["\n## theorems"]
    for c in (theory.theorem1_constructions(spec) + theory.theorem3_invariant_sets(spec)
              + theory.conservation_laws(spec)):
        mark = "applies" if c.applies else "does not apply"
        lines.append(f"{c.theorem} ({c.key}) {c.formula}: {mark} - {c.reason}")
    sections.append("\n".join(lines))


def build_spec(args, sizes: dict[str, int]) -> theory.NetworkSpec:
    """The spec the options describe: a registered architecture, or a family with ``--activation`` [``--bias``]."""
    from .problem import spelled_as_options, unit_options

    # timeout=None: the analysis of a user's unit runs under derive's own --timeout bound.
    with spelled_as_options():
        return theory.build(args.arch, timeout=None, **unit_options(args), **sizes)


def run_derive(args) -> int:
    if args.list or not args.arch:
        for name in theory.ARCHITECTURE_NAMES:
            spec = theory.build(name)
            print(f"{name:16s} {spec.phi.name:20s} defaults {dict(spec.sizes)}")
        for name in theory.UNIT_FAMILIES:
            print(f"{name:16s} {'--activation EXPR':20s} defaults {dict(theory.FAMILIES[name].defaults)}")
        return 0
    from .cli import SIZE_OPTIONS

    _validate(args)
    sizes = {k: getattr(args, k) for k in SIZE_OPTIONS if getattr(args, k) is not None}
    for k, v in sizes.items():
        guards.integer("--" + k.replace("_", "-"), v, minimum=1)
    # A task list fixes the dimensions it describes unless they are given (as in `s2s simulate`).
    registration = theory.REGISTRY.get(args.arch)
    defaults = registration.sizes if registration is not None else {}
    population = registration.unit.population if registration is not None else None
    for opt, (form, keys) in LIST_DIMS.items():
        values = getattr(args, opt)
        if values is not None and population == form:
            for key in keys:
                if key in defaults:
                    sizes.setdefault(key, len(values))
    _check_symbol_budget(args, sizes)
    sections: list[str] = []
    start = time.perf_counter()
    try:
        with theory.time_bound(args.timeout, f"s2s derive {args.arch} (--timeout)"):
            spec = build_spec(args, sizes)
            kind = task_kind(spec, args)
            _check_options(spec, kind, args)
            task, task_text = _task_for(spec, args)
            if args.fixed_points and spec.unit is not None and not spec.unit.polynomial:
                raise guards.invalid("--activation", args.activation, "is not a polynomial, so the loss is not "
                                     "polynomial and the exact fixed-point methods (closed-form catalogs, Groebner "
                                     "enumeration) do not apply; what remains: numeric fixed points "
                                     "(numerics.refine_fixed_point), the Theorem 1 embeddings and the claims of "
                                     "`s2s check --activation`")
            if args.fixed_points and spec.unit is None:
                try:
                    catalog_kind(spec, task)
                except theory.InputError as exc:
                    raise guards.invalid("--fixed-points", True, str(exc)) from None
            try:
                der = theory.derive(spec, task, timeout=None)
            except theory.InputError as exc:
                if "not polynomial" not in str(exc):
                    raise
                raise guards.invalid("--task", kind, f"{spec.label}'s output is not polynomial in x (phi = "
                                     f"{spec.phi.name}), so its population loss has no closed form; use --task "
                                     "dataset") from None
            _render(spec, task, task_text, der, args, sections)
            if args.fixed_points and spec.unit is not None:
                from .fixed_points_report import enumeration_report

                samples = args.samples if args.samples is not None else 2
                sections.append("\n## fixed points\n" + enumeration_report(spec, samples, timeout=None))
            elif args.fixed_points:
                from .fixed_points_report import fixed_points_report

                sections.append("\n## fixed points\n" + fixed_points_report(spec, task, latex=args.latex))
            if args.manifolds:
                from .manifolds_report import manifolds_report

                sections.append("\n## invariant manifolds and reduced dynamics\n"
                                + manifolds_report(spec, task, latex=args.latex, timeout=args.timeout))
    except TimeoutError:
        if sections:
            print("\n".join(sections), flush=True)
            print("s2s derive: the sections above are complete; the rest did not finish in time", file=sys.stderr)
        raise
    print("\n".join(sections))
    print(f"\n(derived in {time.perf_counter() - start:.2f} s)")
    return 0
