"""``s2s derive ARCH``: the spec, φ's properties, the loss, the flow equations and the applicable theorems."""

from __future__ import annotations

import sympy as sp

import theory
from theory.spec import latex_names


def _task_for(spec: theory.NetworkSpec, args) -> tuple[object, str]:
    kind = args.task
    if kind == "auto":
        kind = {"linear-fc": "linear", "linear-conv": "linear", "deep-linear": "linear",
                "diagonal-linear": "linear", "quadratic": "quadratic", "attn-s": "icl",
                "attn-m": "icl"}.get(spec.name, "dataset")
        if spec.name == "quadratic" and spec.output_dim != 1:
            kind = "dataset"
    if kind == "linear":
        d_in, d_out = spec.input_dim, spec.output_dim
        if args.singular_values:
            s = [sp.nsimplify(v) for v in args.singular_values]
            return theory.LinearRegressionTask.whitened(s, d_in, d_out), f"whitened linear regression, s = {s}"
        return (theory.LinearRegressionTask.symbolic(min(d_in, d_out), d_in, d_out),
                "whitened linear regression, Sigma_yx = diag(s_k) (symbolic)")
    if kind == "quadratic":
        d = spec.input_dim
        a = ([sp.nsimplify(v) for v in args.target_eigs] if args.target_eigs
             else list(sp.symbols(f"a_1:{d + 1}", real=True)))
        if len(a) != d:
            raise theory.InputError(f"--target-eigs: {len(a)} values for input dimension {d}")
        return theory.QuadraticGaussianTask.diagonal(a), f"x ~ N(0, I), y = x^T diag({a}) x"
    if kind == "icl":
        d = spec.input_dim
        lam = ([sp.nsimplify(v) for v in args.cov_eigs] if args.cov_eigs
               else list(sp.symbols(f"lambda_1:{d + 1}", positive=True)))
        if len(lam) != d:
            raise theory.InputError(f"--cov-eigs: {len(lam)} values for dimension {d}")
        n = args.context if args.context is not None else sp.Symbol("N", positive=True, integer=True)
        return theory.ICLTask(sp.diag(*lam), n), f"in-context regression, Lambda = diag({lam}), N = {n}"
    if args.samples < 1:
        raise theory.InputError(f"--samples={args.samples}: must be >= 1")
    p = args.samples
    if spec.input_kind == "icl":
        beta = sp.Matrix(p, spec.input_dim, lambda m, a: sp.Symbol(f"beta^{{({m + 1})}}_{{{a + 1}}}", real=True))
        xq = sp.Matrix(p, spec.input_dim, lambda m, a: sp.Symbol(f"xq^{{({m + 1})}}_{{{a + 1}}}", real=True))
        yq = sp.Matrix(p, 1, lambda m, _: sp.Symbol(f"y^{{({m + 1})}}", real=True))
        return theory.ICLDataset(beta, xq, yq), f"symbolic in-context dataset of {p} samples"
    x = sp.Matrix(p, spec.input_dim, lambda m, a: sp.Symbol(f"x^{{({m + 1})}}_{{{a + 1}}}", real=True))
    y = sp.Matrix(p, spec.output_dim, lambda m, o: sp.Symbol(f"y^{{({m + 1})}}_{{{o + 1}}}", real=True))
    return theory.Dataset(x, y), f"symbolic dataset of {p} samples"


def run_derive(args) -> int:
    if args.list or not args.arch:
        for name in theory.ARCHITECTURE_NAMES:
            spec = theory.build(name)
            print(f"{name:16s} {spec.phi.name:20s} defaults {dict(spec.sizes)}")
        return 0
    from .cli import CONVENTION, SIZE_OPTIONS

    sizes = {k: getattr(args, k) for k in SIZE_OPTIONS if getattr(args, k) is not None}
    spec = theory.build(args.arch, **sizes)
    task, task_text = _task_for(spec, args)
    der = theory.derive(spec, task, timeout=args.timeout)
    tex = args.latex
    names = latex_names()

    def fmt(expr):
        return sp.latex(expr, symbol_names=names) if tex else sp.sstr(expr)

    print(f"# {spec.name}  sizes={dict(spec.sizes)}  ({CONVENTION})")
    print(f"model (LaTeX): {spec.formula}")
    print(f"g_in: {spec.g_in};  parameters ({spec.n_params}): "
          + ", ".join(f"{b.name}{b.shape}" for b in spec.blocks))
    print(f"phi: {spec.phi.latex if tex else spec.phi.name}: " + "; ".join(spec.phi.describe()))
    print(f"task: {task_text}")
    print("\n## loss")
    print(("L = " if not tex else r"L(\theta) = ") + fmt(sp.factor_terms(der.loss)))
    print("\n## gradient flow  (theta' = -grad L)")
    for p, rhs in zip(der.params, der.flow, strict=True):
        lhs = (r"\dot{" + names[p] + "}") if tex else f"d/dt {p}"
        print(f"{lhs} = {fmt(sp.factor_terms(rhs))}")
    print("\n## theorems")
    for c in (theory.theorem1_constructions(spec) + theory.theorem3_invariant_sets(spec)
              + theory.conservation_laws(spec)):
        mark = "applies" if c.applies else "does not apply"
        print(f"{c.theorem} ({c.key}) {c.formula}: {mark} - {c.reason}")
    if args.fixed_points:
        from .fixed_points_report import fixed_points_report

        print("\n## fixed points")
        print(fixed_points_report(spec, task, latex=tex))
    if args.manifolds:
        from .manifolds_report import manifolds_report

        print("\n## invariant manifolds and reduced dynamics")
        print(manifolds_report(spec, task, latex=tex))
    print(f"\n(derived in {der.seconds:.2f} s)")
    return 0
