"""Claims C1, C4, C5, C20, C21, C33, C34, C35 of spec §8: fixed points, their embeddings, enumeration and Hessians.

Each claim pairs a symbolic part (:mod:`theory.fixed_points`) with a numeric part (:mod:`numerics` only). The
tolerances state where they come from; none was tuned to make a claim pass.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp
from scipy.integrate import solve_ivp
from scipy.optimize import minimize

import numerics as nm
import theory as th
from numerics.fixed_points import dormant_unit_form, hessian_spectrum, refine_fixed_point, unit_indices
from theory.fixed_points.catalogs import fixed_point_catalog, gauge_representatives, is_zero
from theory.fixed_points.classify import (
    charpoly_matches,
    classify_point,
    dormant_form,
    exact_inertia,
    linear_morse_index,
    linear_saddle_spectrum,
)
from theory.fixed_points.embeddings import embed, prove_embedding
from theory.fixed_points.enumerate import enumerate_fixed_points

from ..registry import REGISTRY, Measurement

EPS = float(np.finfo(float).eps)
# Tolerance for eigenvalues of central-difference Hessians: entry errors ≈ eps^(2/3) ≈ 4e-11 times the derivative
# scale (h = eps^(1/3)); Weyl bounds the eigenvalue error by n times that; sqrt(eps)·‖H‖ ≈ 1.5e-8‖H‖ is above it.
FD_EIG_RTOL = float(np.sqrt(EPS))
TESTBED_A = (2, 1, -1, -2)


@functools.cache
def _derivation(name: str, sizes: tuple, task_key: str, hessian: bool) -> th.Derivation:
    return th.derive(th.build(name, **dict(sizes)), _task(task_key), hessian=hessian, timeout=120)


def _task(key: str):
    if key == "testbed":
        return th.QuadraticGaussianTask.diagonal(TESTBED_A)
    if key.startswith("lin:"):
        s = [sp.Rational(x) for x in key[4:].split(",")]
        return th.LinearRegressionTask.whitened(s)
    raise KeyError(key)


def _f(x) -> np.ndarray:
    return np.array([float(v) for v in x])


# ------------------------------------------------------------------------------------------------------- C1


def _embed_numeric(narrow: nm.Architecture, wide: nm.Architecture, theta: np.ndarray, key: str, gu: float,
                   gv: float, unit: int = 0) -> np.ndarray:
    """Thm 1 constructions on a float θ* (numeric twin of theory.fixed_points.embeddings.embed)."""
    ni, wi = unit_indices(narrow), unit_indices(wide)
    out = np.zeros(wide.n_params)
    H1 = narrow.unit_count
    vs = [theta[v].copy() for v, _ in ni]
    us = [theta[u].copy() for _, u in ni]
    if key == "i":
        vH, uH = gv * vs[unit], us[unit].copy()
        vs[unit] = (1 - gv) * vs[unit]
    elif key == "ii":
        vH, uH = np.zeros_like(vs[0]), np.zeros_like(us[0])
    elif key == "iii":
        vH, uH = gv * vs[unit], gu * us[unit]
        vs[unit] = (1 - gu * gv) * vs[unit]
    else:  # (iv) with γ_{u_j} = gu·(j+1), γ_{v_j} = gv·(j+1)
        cu = [gu * (j + 1) for j in range(H1)]
        cv = [gv * (j + 1) for j in range(H1)]
        sv = sum(cv[j] * vs[j] for j in range(H1))
        uH = sum(cu[j] * us[j] for j in range(H1))
        vs = [vs[j] - cu[j] * sv for j in range(H1)]
        vH = sv
    for j in range(H1):
        out[wi[j][0]], out[wi[j][1]] = vs[j], us[j]
    out[wi[H1][0]], out[wi[H1][1]] = vH, uH
    return out


def _fit(arch: nm.Architecture, task, seeds=range(10)) -> tuple[np.ndarray, int | None]:
    """BFGS then Newton until |grad L| < 1e-9 (spec §2.4); ReLU fits that end on a kink (no smooth fixed point)
    do not converge, so successive seeds are tried; (θ, seed) or (last θ, None) when none converged."""

    def f(x):
        value, grad = nm.loss_and_grad(arch, task, x[None])
        return value[0], grad[0]

    ref = None
    for seed in seeds:
        rng = np.random.default_rng(seed)
        x = minimize(f, 0.5 * rng.standard_normal(arch.n_params), jac=True, method="BFGS",
                     options={"gtol": 1e-12, "maxiter": 5000}).x
        ref = refine_fixed_point(arch, task, x, gtol=1e-9)
        if ref.converged:
            return refine_fixed_point(arch, task, ref.theta, gtol=1e-13).theta, seed
    return ref.theta, None


@REGISTRY.claim(
    "C1",
    statement="Thm 1: constructions (i)-(iv) of a converged width-(H-1) fixed point are fixed points of width H "
              "(|grad L| <= 10 |grad L|_narrow, map unchanged); (iii) with gamma_u < 0 fails for ReLU",
    source="[paper], [derived ✓] (spec §2.2, §2.4, §8 C1)",
    tolerance="symbolic: exact identities; numeric: |grad L_wide| <= 10 max(|grad L_narrow|, 100 eps (1+|theta|^2)"
              "(1+sqrt(2L))), map max|f_wide - f_narrow| <= 1e-12 (1+max|f|); control |grad L| > 1e-3",
    justification="the wide gradient is C(gamma)·g_narrow exactly, so only float round-off of the gradient sums "
                  "(terms bounded by |theta|^2 sqrt(2L)) separates it from 10x the narrow one; the forced ReLU "
                  "construction moves the map, so its gradient is O(1)",
)
def _c1() -> Measurement:
    measured: dict = {"symbolic": {}, "numeric": {}}
    ok = True
    sym_cases = [
        ("linear-fc", {"d_in": 2, "d_out": 2, "width": 1}, th.LinearRegressionTask.symbolic(2), "i ii iii iv"),
        ("quadratic", {"d_in": 2, "width": 1}, th.QuadraticGaussianTask.diagonal([2, -1]), "i ii"),
        ("relu-fc", {"d_in": 1, "width": 1},
         th.Dataset(sp.Matrix([[1], [-2], [sp.Rational(1, 2)]]), sp.Matrix([[1], [0], [2]])), "i ii iii"),
    ]
    for name, sizes, task, keys in sym_cases:
        spec = th.build(name, **sizes)
        for k in keys.split():
            p = prove_embedding(spec, task, k)
            measured["symbolic"][f"{name} ({k})"] = p.proved
            ok = ok and p.proved
    # Refusals name the reason; a forced inapplicable construction must fail the same identity.
    for name, k in (("relu-fc", "iv"), ("quadratic", "iii")):
        try:
            embed(th.build(name, width=1), k)
            measured["symbolic"][f"{name} ({k}) refused"] = False
            ok = False
        except th.InputError as exc:
            measured["symbolic"][f"{name} ({k}) refused"] = str(exc)
    forced = prove_embedding(th.build("quadratic", d_in=2, width=1), th.QuadraticGaussianTask.diagonal([2, -1]),
                             "iii", force=True, groebner=False)
    measured["symbolic"]["quadratic (iii) forced: identity holds"] = forced.identity_holds
    ok = ok and not forced.identity_holds
    # Numeric: spec §2.4 recipe.
    rng = np.random.default_rng(1)
    X = rng.standard_normal((64, 3))
    y_relu = (np.maximum(X @ [1.0, -0.5, 0.3] + 0.2, 0) - 0.7 * np.maximum(X @ [-0.2, 0.8, 0.5] - 0.1, 0))[:, None]
    y_relu = y_relu + 0.1 * rng.standard_normal((64, 1))
    y_lin = X @ rng.standard_normal((3, 2)) + 0.1 * rng.standard_normal((64, 2))
    for name, sizes, y, keys in (("relu-fc", {"d_in": 3, "width": 2}, y_relu, ("i", "ii", "iii")),
                                 ("linear-fc", {"d_in": 3, "d_out": 2, "width": 1}, y_lin, ("i", "ii", "iii", "iv"))):
        narrow = nm.build_architecture(name, **sizes)
        wide = nm.build_architecture(name, **{**sizes, "width": sizes["width"] + 1})
        task = nm.Dataset(X, y)
        theta, seed = _fit(narrow, task)
        Ln, gn = nm.loss_and_grad(narrow, task, theta[None])
        gn_norm = float(np.linalg.norm(gn))
        measured["numeric"][f"{name} narrow fit"] = {"seed": seed, "grad": gn_norm}
        ok = ok and seed is not None and gn_norm < 1e-9
        f_n = narrow.forward(theta[None], X)[0]
        for k in keys:
            tw = _embed_numeric(narrow, wide, theta, k, 0.7, 0.4)
            Lw, gw = nm.loss_and_grad(wide, task, tw[None])
            floor = 100 * EPS * (1 + float(tw @ tw)) * (1 + np.sqrt(2 * float(Lw[0])))
            gw_norm = float(np.linalg.norm(gw))
            dmap = float(np.max(np.abs(wide.forward(tw[None], X)[0] - f_n)))
            passed = gw_norm <= 10 * max(gn_norm, floor) and dmap <= 1e-12 * (1 + float(np.max(np.abs(f_n))))
            measured["numeric"][f"{name} ({k})"] = {"grad_narrow": gn_norm, "grad_wide": gw_norm, "map_change": dmap,
                                                    "pass": bool(passed)}
            ok = ok and passed
        if narrow.homogeneity_field == "R>=0":  # positive homogeneity only: gamma_u < 0 must break (iii)
            tw = _embed_numeric(narrow, wide, theta, "iii", -0.7, 0.4)
            gw_norm = float(np.linalg.norm(nm.loss_and_grad(wide, task, tw[None])[1]))
            measured["numeric"]["relu-fc (iii) gamma_u=-0.7 (control)"] = gw_norm
            ok = ok and gw_norm > 1e-3
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------------- C4


@REGISTRY.claim(
    "C4",
    statement="Linear two-layer net: spec(Hessian at 0) = {±s_k, multiplicity H} ∪ {0}",
    source="[derived ✓] (spec §3.2, §8 C4)",
    tolerance="symbolic: characteristic polynomial identity with symbolic s_k; numeric: |lambda_FD - lambda| <= "
              "sqrt(eps) max|lambda|",
    justification="central-difference Hessian error ~ eps^(2/3) times the derivative scale (Weyl)",
)
def _c4() -> Measurement:
    measured: dict = {}
    ok = True
    for d_in, d_out, H in ((3, 3, 2), (3, 2, 2)):
        spec = th.build("linear-fc", d_in=d_in, d_out=d_out, width=H)
        task = th.LinearRegressionTask.symbolic(min(d_in, d_out), d_in, d_out)
        der = th.derive(spec, task, hessian=True)
        s = [task.sigma_yx[k, k] for k in range(min(d_in, d_out))]
        Hx = der.hessian.xreplace(dict.fromkeys(spec.params, 0))
        pred = [x for k in s for x in (k, -k)] * H
        pred += [0] * (spec.n_params - len(pred))
        match = charpoly_matches(Hx, pred)
        measured[f"symbolic {d_out}x{d_in} H={H}"] = match
        ok = ok and match
    rng = np.random.default_rng(4)
    worst = 0.0
    for trial in range(6):
        D, H = int(rng.integers(2, 5)), int(rng.integers(1, 4))
        s = np.sort(rng.uniform(0.2, 5.0, D))[::-1]
        arch = nm.build_architecture("linear-fc", d_in=D, d_out=D, width=H)
        spec_ = hessian_spectrum(arch, nm.whitened(s), np.zeros(arch.n_params))
        pred = np.sort(np.concatenate([np.tile(s, H), -np.tile(s, H)]))
        err = float(np.max(np.abs(spec_.eigenvalues - pred)))
        worst = max(worst, err / float(s.max()))
        ok = ok and err <= FD_EIG_RTOL * float(s.max())
        if trial == 0:
            measured["numeric example"] = {"s": s.round(4).tolist(), "H": H, "max_abs_err": err}
    measured["numeric worst relative error (6 random s, H)"] = worst
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------------- C5


@REGISTRY.claim(
    "C5",
    statement="At a top-r linear saddle with a zero unit the most negative Hessian eigenvalue is -s_{r+1}; a "
              "saddle that learned a non-top set S has extra negative eigenvalues s_i - s_j (s_j > s_i)",
    source="[derived ✓] (spec §3.2, §8 C5)",
    tolerance="symbolic: exact characteristic polynomial; numeric: sqrt(eps) max|lambda| (FD Hessian)",
    justification="exact arithmetic for the symbolic part; central-difference error bound for the numeric part",
)
def _c5() -> Measurement:
    measured: dict = {}
    ok = True
    s = [3, 2, 1]
    spec = th.build("linear-fc", d_in=3, d_out=3, width=2)
    task = th.LinearRegressionTask.whitened(s)
    der = _derivation("linear-fc", (("d_in", 3), ("d_out", 3), ("width", 2)), "lin:3,2,1", True)
    cat = fixed_point_catalog(spec, task)
    arch = nm.build_architecture("linear-fc", d_in=3, d_out=3, width=2)
    ntask = nm.whitened(np.array(s, float))
    for e in cat.entries:
        if len(e.support) == spec.width:
            continue  # no zero unit
        Hx = der.hessian.xreplace(dict(zip(spec.params, e.theta, strict=True)))
        pred = linear_saddle_spectrum(s, e.support, 2)
        exact = charpoly_matches(Hx, pred)
        rest = [j for j in (1, 2, 3) if j not in e.support]
        lowest_pred = -max(s[j - 1] for j in rest)
        extra = sorted(s[i - 1] - s[j - 1] for i in e.support for j in rest if s[j - 1] > s[i - 1])
        numeric = hessian_spectrum(arch, ntask, _f(e.theta))
        lam = numeric.eigenvalues
        tol = FD_EIG_RTOL * float(np.max(np.abs(lam)))
        top = list(e.support) == list(range(1, len(e.support) + 1))
        ok_min = abs(lam[0] - lowest_pred) <= tol and float(min(pred)) == lowest_pred
        negs = lam[lam < -tol]
        # the extra (rotation) negatives are present with their multiplicity (once each)
        ok_extra = all(np.sum(np.abs(negs - x) <= tol) >= 1 for x in extra)
        measured[e.label] = {"top": top, "exact_multiset": exact, "lambda_min": float(lam[0]),
                             "predicted_min": lowest_pred, "extra_negative_predicted": extra,
                             "negatives_numeric": negs.round(10).tolist()}
        ok = ok and exact and ok_min and ok_extra
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------------- C20


def _level_formula(a, S) -> sp.Expr:
    a = [sp.sympify(x) for x in a]
    r = len(S)
    tau = (sum(a) - sum(a[k - 1] for k in S)) / (1 + sp.Rational(r, 2))
    rest = sum(a[k] ** 2 for k in range(len(a)) if k + 1 not in S)
    return rest + sp.Rational(1, 2) * tau**2 * (1 + sp.Rational(r, 2))


@REGISTRY.claim(
    "C20",
    statement="Quadratic Gaussian plateau levels L(S) = sum_{k not in S} a_k^2 + tau_S^2 (1 + |S|/2)/2; "
              "test bed A = diag(2,1,-1,-2): 10 -> 7.333 -> 2.000 (then 1.2, 0)",
    source="[derived ✓] (spec §2.6, §8 C20)",
    tolerance="symbolic: exact; numeric: refined fixed point |grad L| <= 1e-10 and |L - L(S)| <= 1e-9 (1 + L(S))",
    justification="exact rational levels; Newton refinement to the round-off floor of the gradient",
)
def _c20() -> Measurement:
    measured: dict = {}
    ok = True
    rng = np.random.default_rng(20)
    for a, H in ((TESTBED_A, 3), ((3, sp.Rational(1, 2), -2), 3)):
        spec = th.build("quadratic", d_in=len(a), width=H)
        task = th.QuadraticGaussianTask.diagonal(a)
        cat = fixed_point_catalog(spec, task)
        if a == TESTBED_A:  # S = {1,2,3,4} needs four units: certified on the width-4 net, level only
            full = fixed_point_catalog(th.build("quadratic", d_in=4, width=4), task, certify=False).entry((1, 2, 3, 4))
            ok = ok and full.loss == 0 and _level_formula(a, (1, 2, 3, 4)) == 0
            arch4 = nm.build_architecture("quadratic", d_in=4, width=4)
            ntask4 = nm.QuadraticGaussianTask(np.diag([float(x) for x in a]))
            ref4 = refine_fixed_point(arch4, ntask4, _f(full.theta))
            measured["S={1,2,3,4} (width 4)"] = {"level": str(full.loss), "refined_grad": ref4.grad_norm,
                                                 "numeric": float(nm.loss(arch4, ntask4, ref4.theta[None])[0])}
            ok = ok and ref4.converged and abs(measured["S={1,2,3,4} (width 4)"]["numeric"]) <= 1e-9
        arch = nm.build_architecture("quadratic", d_in=len(a), width=H)
        ntask = nm.QuadraticGaussianTask(np.diag([float(x) for x in a]))
        for e in cat.entries:
            exact = e.certified and is_zero(e.loss - _level_formula(a, e.support))
            start = _f(e.theta) + 1e-4 * rng.standard_normal(arch.n_params) * (np.abs(_f(e.theta)) > 0)
            ref = refine_fixed_point(arch, ntask, start)
            lv = float(nm.loss(arch, ntask, ref.theta[None])[0])
            num = ref.converged and abs(lv - float(e.loss)) <= 1e-9 * (1 + float(e.loss))
            ok = ok and bool(exact) and num
            if a == TESTBED_A:
                measured[e.label] = {"level": str(e.loss), "formula_ok": bool(exact), "numeric": lv,
                                     "refined_grad": ref.grad_norm}
            elif not (exact and num):
                measured[f"A={a} {e.label}"] = {"level": str(e.loss), "numeric": lv}
    seq = [str(fixed_point_catalog(th.build("quadratic", d_in=4, width=2), th.QuadraticGaussianTask.diagonal(
        TESTBED_A), certify=False).entry(S).loss) for S in ((), (1,), (1, 4))]
    measured["test bed sequence"] = seq
    ok = ok and seq == ["10", "22/3", "2"]
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------------- C21


@REGISTRY.claim(
    "C21",
    statement="Quadratic-in-u nets (Eq. 13): the Hessian at 0 vanishes, and the Hessian rows of any zero unit at "
              "any fixed point are 0",
    source="[derived ✓] (spec §3.3, §8 C21)",
    tolerance="symbolic: exact zeros; numeric: FD rows <= sqrt(eps) max(1, |H|)",
    justification="exact substitution; central-difference error bound",
)
def _c21() -> Measurement:
    measured: dict = {}
    ok = True
    for name, sizes, task in (("quadratic", {"d_in": 2, "width": 2}, th.QuadraticGaussianTask.diagonal([2, -1])),
                              ("attn-s", {"dim": 2, "width": 2}, th.ICLTask(sp.diag(2, 1), 5))):
        spec = th.build(name, **sizes)
        der = th.derive(spec, task, hessian=True)
        zero = all(is_zero(x) for x in der.hessian.xreplace(dict.fromkeys(spec.params, 0)))
        measured[f"{name} Hessian(0) == 0"] = zero
        ok = ok and zero
    # Test bed at width 2 (every entry with |S| <= 1 has a zero unit); C35 repeats the check at width 3.
    spec = th.build("quadratic", d_in=4, width=2)
    task = th.QuadraticGaussianTask.diagonal(TESTBED_A)
    der = _derivation("quadratic", (("d_in", 4), ("width", 2)), "testbed", True)
    cat = fixed_point_catalog(spec, task, derivation=der)
    arch = nm.build_architecture("quadratic", d_in=4, width=2)
    ntask = nm.QuadraticGaussianTask(np.diag(np.array(TESTBED_A, float)))
    worst = 0.0
    n_checked = 0
    for e in cat.entries:
        zero_units = [i for i in range(spec.width) if i not in e.units]
        if not zero_units:
            continue
        Hx = der.hessian.xreplace(dict(zip(spec.params, e.theta, strict=True)))
        Hf = nm.hessian(arch, ntask, _f(e.theta))
        for i in zero_units:
            idx = [spec.params.index(p) for p in spec.units[i].v + spec.units[i].u]
            exact = all(is_zero(Hx[r, c]) for r in idx for c in range(spec.n_params))
            row = float(np.max(np.abs(Hf[idx, :])))
            worst = max(worst, row)
            n_checked += 1
            good = exact and row <= FD_EIG_RTOL * max(1.0, float(np.max(np.abs(Hf))))
            ok = ok and good
            if not good:
                measured[f"{e.label} unit {i + 1}"] = {"exact_zero": exact, "fd_row_max": row}
    measured["zero units checked (test bed, H=2)"] = n_checked
    measured["numeric max |FD row| of zero units"] = worst
    arch0 = nm.build_architecture("quadratic", d_in=4, width=3)
    h0 = float(np.max(np.abs(nm.hessian(arch0, ntask, np.zeros(arch0.n_params)))))
    measured["numeric max |FD Hessian(0)|"] = h0
    ok = ok and h0 <= FD_EIG_RTOL
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------------- C33


@REGISTRY.claim(
    "C33",
    statement="Groebner enumeration: H=1, D=2, Sigma=diag(3,1), balanced: zero-dimensional, 9 complex (simple), 5 "
              "real; with c != 0: 8 (4 real). H=2 with U^TU - V^TV = 0: not zero-dimensional; + v1.v2 = 0: 49 "
              "complex, 17 real",
    source="[derived ✓] (spec §2.8, §8 C33)",
    tolerance="exact counts (Hermite trace form); numeric: real solutions satisfy |grad L| <= 1e-9 and match the "
              "catalog gauge representatives to 1e-8",
    justification="counts are exact integers; the real points come from an eigen-solver polished by Newton, "
                  "accurate to ~1e-12",
)
def _c33() -> Measurement:
    measured: dict = {}
    ok = True
    task = th.LinearRegressionTask.whitened([3, 1])
    s1 = th.build("linear-fc", d_in=2, d_out=2, width=1)
    s2 = th.build("linear-fc", d_in=2, d_out=2, width=2)
    e = enumerate_fixed_points(s1, task)
    measured["H=1 c=0"] = [e.zero_dimensional, e.n_standard_monomials, e.n_complex, e.n_real]
    ok = ok and measured["H=1 c=0"] == [True, 9, 9, 5]
    for c in (1, sp.Rational(1, 2), -2):
        ec = enumerate_fixed_points(s1, task, balance=c, real_points=False)
        measured[f"H=1 c={c}"] = [ec.zero_dimensional, ec.n_complex, ec.n_real]
        ok = ok and measured[f"H=1 c={c}"] == [True, 8, 4]
    e2 = enumerate_fixed_points(s2, task)
    measured["H=2 matrix-balance"] = {"zero_dimensional": e2.zero_dimensional, "dimension": e2.dimension}
    ok = ok and e2.zero_dimensional is False and e2.dimension == 1
    e3 = enumerate_fixed_points(s2, task, gauges=("matrix-balance", "v-orthogonal"))
    measured["H=2 + v1.v2=0"] = [e3.zero_dimensional, e3.n_complex, e3.n_real]
    ok = ok and measured["H=2 + v1.v2=0"] == [True, 49, 17]
    # Numeric part and completeness against the catalog.
    for spec, en, width in ((s1, e, 1), (s2, e3, 2)):
        arch = nm.build_architecture("linear-fc", d_in=2, d_out=2, width=width)
        ntask = nm.whitened([3.0, 1.0])
        gmax = max(float(np.linalg.norm(nm.loss_and_grad(arch, ntask, p[None])[1])) for p in en.real_points)
        reps = np.array([_f(r) for r in gauge_representatives(fixed_point_catalog(spec, task))])
        matched = all(np.min(np.max(np.abs(reps - p), axis=1)) <= 1e-8 for p in en.real_points)
        found = all(np.min(np.max(np.abs(en.real_points - r), axis=1)) <= 1e-8 for r in reps)
        measured[f"H={width} numeric"] = {"max_grad": gmax, "real_points": len(en.real_points),
                                          "catalog_reps": len(reps), "all_in_catalog": matched,
                                          "catalog_all_found": found}
        ok = ok and gmax <= 1e-9 and matched and found and len(reps) == en.n_real
    measured["seconds"] = {k: round(sum(x.seconds.values()), 3) for k, x in (("H=1", e), ("H=2", e2), ("H=2+g", e3))}
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------------- C34


def _rotate(arch: nm.Architecture, theta: np.ndarray, A: np.ndarray) -> np.ndarray:
    """V → A V, U → A^{-T} U (rows are units): W = VᵀU unchanged (the GL(H) symmetry of spec §2.8)."""
    b = arch.unpack(theta[None])
    return arch.pack({"V": (A @ b["V"][0])[None], "U": (np.linalg.inv(A).T @ b["U"][0])[None]})[0]


@REGISTRY.claim(
    "C34",
    statement="Hessian at W*_S (balanced, mode-aligned, whitened) is the §3.2 multiset; Morse index = "
              "(H - r)#{j not in S: s_j > 0} + #{(i,j): i in S, j not in S, s_j > s_i}; inertia unchanged by "
              "rescaling, spectrum unchanged by O(H) rotation",
    source="[derived ✓] (spec §3.2, §8 C34)",
    tolerance="symbolic: characteristic-polynomial identity and exact inertia; numeric: sqrt(eps) max|lambda| "
              "(FD Hessian)",
    justification="exact arithmetic; central-difference error bound (Weyl)",
)
def _c34() -> Measurement:
    measured: dict = {}
    ok = True
    refs = {((3, 2, 1), 2, (1,)): [-2, -1, 0, 0, 0, 1, 1, 2, 2, 4, 5, 6],
            ((5, 3, 2), 2, (1,)): [-3, -2, 0, 0, 0, 2, 2, 3, 3, 7, 8, 10],
            ((5, 3, 2), 3, (1, 2)): [-2] + [0] * 8 + [1, 2, 3, 5, 6, 7, 8, 8, 10]}
    configs = [((3, 2, 1), 2, 3, 3), ((5, 3, 2), 2, 3, 3), ((5, 3, 2), 3, 3, 3), ((3, 2, 1), 2, 3, 4)]
    for s, H, d_in, d_out in configs:
        spec = th.build("linear-fc", d_in=d_in, d_out=d_out, width=H)
        task = th.LinearRegressionTask.whitened(s, d_in, d_out)
        der = th.derive(spec, task, hessian=True)
        cat = fixed_point_catalog(spec, task, certify=False)
        for e in cat.entries:
            Hx = der.hessian.xreplace(dict(zip(spec.params, e.theta, strict=True)))
            pred = linear_saddle_spectrum(s, e.support, H, d_in, d_out)
            exact = charpoly_matches(Hx, pred)
            inertia = exact_inertia(Hx)
            morse = linear_morse_index(s, e.support, H)
            good = exact and inertia.negative == morse
            key = (tuple(s), H, tuple(e.support))
            if d_in == d_out and key in refs:
                good = good and [int(x) for x in pred] == refs[key]
                measured[f"reference s={s} H={H} S={e.support}"] = [str(x) for x in pred]
            ok = ok and good
            if not good:
                measured[f"FAIL s={s} H={H} {d_out}x{d_in} {e.label}"] = {"exact": exact, "inertia": str(inertia),
                                                                          "morse_formula": morse}
        measured[f"s={s} H={H} {d_out}x{d_in}: entries checked exactly"] = len(cat.entries)
    # Numeric: random spectra, rescaling and rotation.
    rng = np.random.default_rng(34)
    n_ok = 0
    trials = 12
    for _ in range(trials):
        D, H = int(rng.integers(2, 4)), int(rng.integers(1, 4))
        s = np.sort(rng.choice(np.arange(1, 20), size=D, replace=False) / 4.0)[::-1]
        S = sorted(rng.choice(np.arange(1, D + 1), size=int(rng.integers(0, min(H, D) + 1)), replace=False).tolist())
        arch = nm.build_architecture("linear-fc", d_in=D, d_out=D, width=H)
        ntask = nm.whitened(s)
        theta = np.zeros(arch.n_params)
        b = arch.unpack(theta[None])
        V, U = b["V"][0].copy(), b["U"][0].copy()
        for j, k in enumerate(S):
            V[j, k - 1] = U[j, k - 1] = np.sqrt(s[k - 1])
        theta = arch.pack({"V": V[None], "U": U[None]})[0]
        pred = np.array(sorted(float(x) for x in linear_saddle_spectrum(s.tolist(), S, H)))
        base = hessian_spectrum(arch, ntask, theta)
        tol = FD_EIG_RTOL * float(np.max(np.abs(pred)))
        good = float(np.max(np.abs(base.eigenvalues - pred))) <= tol
        good = good and base.morse_index == linear_morse_index(s.tolist(), S, H)
        Q, _ = np.linalg.qr(rng.standard_normal((H, H)))
        rot = hessian_spectrum(arch, ntask, _rotate(arch, theta, Q))
        good = good and float(np.max(np.abs(rot.eigenvalues - pred))) <= tol
        scale = np.eye(H)
        scale[: len(S), : len(S)] *= 1.7
        resc = hessian_spectrum(arch, ntask, _rotate(arch, theta, scale))
        good = good and (resc.morse_index, resc.n_zero) == (base.morse_index, base.n_zero)
        n_ok += int(good)
        if not good:
            measured.setdefault("numeric failures", []).append({"s": s.tolist(), "H": H, "S": S})
    measured["numeric random configurations passing"] = f"{n_ok}/{trials}"
    ok = ok and n_ok == trials
    return Measurement(passed=bool(ok), measured=measured)


# ------------------------------------------------------------------------------------------------------- C35


@REGISTRY.claim(
    "C35",
    statement="Quadratic test bed, S={1}, H=3: Hessian PSD (nonzero eigenvalues ≈ 3.266, 9.798, 13.064, 21.064 at "
              "the §2.6 representative), G* = diag(0, 2/3, -10/3, -16/3); next escape along e_4 with v < 0, "
              "towards L({1,4}) = 2",
    source="[derived ✓] (Hessian, G*), [derived] (escape rule) (spec §3.3, §8 C35)",
    tolerance="symbolic: exact G* and exact inertia; eigenvalues to 5e-4 (the spec quotes 4 significant digits); "
              "flow end point |L - 2| <= 1e-6",
    justification="the spec's numbers are rounded to 3 decimals; the flow is integrated at rtol 1e-10 and run to "
                  "|grad L| < 1e-8, so the level is within ~1e-12 of the fixed point's",
)
def _c35() -> Measurement:
    measured: dict = {}
    spec = th.build("quadratic", d_in=4, width=3)
    task = th.QuadraticGaussianTask.diagonal(TESTBED_A)
    der = _derivation("quadratic", (("d_in", 4), ("width", 3)), "testbed", True)
    m = sp.Rational(4, 3)
    # The §2.6 representative: u = rho e_1, v = sqrt(m/2), rho^2 = 2|v| (NOT balanced: |u|^2 != 2 v^2).
    v26 = sp.sqrt(m / 2)
    theta26 = [v26, 0, 0] + [sp.sqrt(2 * v26), 0, 0, 0] + [0] * 8
    cat = fixed_point_catalog(spec, task, derivation=der)
    bal = cat.entry((1,)).theta
    # zero-unit rows (C21) at width 3 as well
    sub1 = dict(zip(spec.params, bal, strict=True))
    H1 = der.hessian.xreplace(sub1)
    rows = [spec.params.index(p) for i in (1, 2) for p in spec.units[i].v + spec.units[i].u]
    measured["zero-unit Hessian rows exactly 0"] = all(is_zero(H1[r, c]) for r in rows for c in range(spec.n_params))
    out = {}
    ok = bool(measured["zero-unit Hessian rows exactly 0"])
    for name, theta in (("spec §2.6 representative", theta26), ("balanced representative", bal)):
        sub = dict(zip(spec.params, theta, strict=True))
        grad0 = all(is_zero(g.xreplace(sub)) for g in der.gradient)
        Hx = der.hessian.xreplace(sub)
        inertia = exact_inertia(Hx)
        lam = np.linalg.eigvalsh(np.array(Hx.evalf(), dtype=float))
        nz = lam[np.abs(lam) > 1e-9]
        out[name] = {"fixed_point": grad0, "inertia(-,0,+)": [inertia.negative, inertia.zero, inertia.positive],
                     "nonzero_eigenvalues": nz.round(4).tolist()}
        ok = ok and grad0 and inertia.negative == 0
    target = np.array([3.266, 9.798, 13.064, 21.064])
    nz26 = np.array(out["spec §2.6 representative"]["nonzero_eigenvalues"])
    ok = ok and nz26.size == 4 and float(np.max(np.abs(nz26 - target))) <= 5e-4
    measured["hessian"] = out
    B = dormant_form(der, bal, 1)
    G = -B  # dL/dv = -u^T G* u for a dormant unit
    measured["G*"] = [str(G[k, k]) for k in range(4)]
    ok = ok and G == sp.diag(0, sp.Rational(2, 3), sp.Rational(-10, 3), sp.Rational(-16, 3))
    cls = classify_point(spec, task, bal, derivation=der, label="S={1}")
    measured["class"] = cls.kind
    ok = ok and cls.kind == "degenerate saddle"
    # Numeric: dormant form, then gradient flow from the saddle nudged along the escape direction.
    arch = nm.build_architecture("quadratic", d_in=4, width=3)
    ntask = nm.QuadraticGaussianTask(np.diag(np.array(TESTBED_A, float)))
    t0 = _f(bal)
    Bn = dormant_unit_form(arch, ntask, t0, 1)
    mu, w = np.linalg.eigh(Bn)
    k = int(np.argmax(np.abs(mu)))
    direction_u = w[:, k] * np.sign(w[np.argmax(np.abs(w[:, k])), k])
    v_sign = -np.sign(mu[k])
    measured["numeric escape"] = {"u": direction_u.round(6).tolist(), "v_sign": float(v_sign),
                                  "G*_diag": (-np.diag(Bn)).round(10).tolist()}
    ok = ok and abs(abs(direction_u[3]) - 1) < 1e-9 and v_sign < 0
    vi, ui = unit_indices(arch)[1]
    start = t0.copy()
    start[vi] = 1e-3 * v_sign
    start[ui] = 1e-3 * np.sqrt(2) * direction_u  # balanced small unit

    def flow(_t, x):
        return -nm.loss_and_grad(arch, ntask, x[None])[1][0]

    def settled(_t, x):
        return float(np.linalg.norm(flow(0, x))) - 1e-8 if _t > 10 else 1.0

    settled.terminal = True
    sol = solve_ivp(flow, (0, 5000), start, method="DOP853", rtol=1e-10, atol=1e-14, events=settled)
    end = sol.y[:, -1]
    level = float(nm.loss(arch, ntask, end[None])[0])
    measured["flow"] = {"t_end": float(sol.t[-1]), "final_loss": level,
                        "final_grad": float(np.linalg.norm(flow(0, end)))}
    ok = ok and abs(level - 2.0) <= 1e-6
    return Measurement(passed=bool(ok), measured=measured)

