"""Decide whether a candidate set of weights is invariant under gradient flow (spec §4.1, §4.4).

A set S is **invariant** when every trajectory of θ̇ = F(θ) = −∇L(θ) that starts on S stays on S.  Two ways to
describe S are accepted:

* **implicit polynomial equations** g_1(θ) = … = g_m(θ) = 0.  S is invariant when the ideal I = ⟨g_1, …, g_m⟩ is
  closed under the Lie derivative, L_F g_k = ∇g_k · F ∈ I for every k: then d g/dt vanishes on S and the
  trajectory cannot leave (the classical tangency criterion for polynomial vector fields).  Membership is decided
  by reduction modulo a grevlex Groebner basis of I (:func:`verify_equations`).  A non-polynomial flow (ReLU,
  tanh) is handled by solving the equations for some coordinates and substituting (the parametrisation route);
* **a parametrisation** θ = θ(γ) (:func:`verify_parametrisation`).  S is invariant when the flow on S lies in the
  tangent space, F(θ(γ)) = J(γ) w(γ) with J = ∂θ/∂γ.  w is solved from an invertible k×k block of J and the
  residual F − J w is simplified to 0.  The solution w = γ̇ is the **reduced dynamics** on S (used by
  :mod:`theory.reduced`).

Simplification knows the identities the theorems use: relu(c z) = c relu(z) and H(c z) = H(z) for c > 0 (positive
homogeneity, Thm 3 (iii)), relu(z) = z H(z) (the Euler identity for ReLU, §4.5), and SymPy's own tanh(−z) =
−tanh(z).  When the residual does not simplify to 0 it is evaluated at random points of S: a point with a violation
above round-off is a **counterexample** (starting there, dg/dt ≠ 0, so the trajectory leaves S); if no violation
is found the answer is **undecided**, with what was tried.  The points are drawn with entries of size 0.4–1.6 and,
if none of those violates, of ten times that (:data:`SAMPLE_SCALES`; parameters, set parameters and the task's
symbols alike, integers excepted): a unit that only departs from a law away from the origin (the identity clipped
at |z| = 7) is refuted there instead of left undecided.  A point where the flow's norm overflows float64 (an
exp-like unit at the larger scale) is left out, and a float64 violation counts only when the exact residual at
that rational point is nonzero.  Every symbolic step
runs under :func:`theory.timebound.time_bound`; a timeout also gives "undecided".

>>> import sympy as sp
>>> from theory import build, LinearRegressionTask, derive
>>> spec = build("linear-fc", d_in=2, d_out=2, width=3)
>>> der = derive(spec, LinearRegressionTask.whitened([3, 1]))
>>> V, U = spec.block("V"), spec.block("U")
>>> # my candidate set: unit 3 is 0.6 times unit 1 (Thm 3 (iii))
>>> eqs = [V.entry(2, k) - sp.Rational(3, 5) * V.entry(0, k) for k in range(2)]
>>> eqs += [U.entry(2, k) - sp.Rational(3, 5) * U.entry(0, k) for k in range(2)]
>>> verify_equations(der, eqs).status
'invariant'
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .derive import Derivation, derive
from .errors import InputError, SymbolicTimeout
from .functions import Relu
from .spec import NetworkSpec
from .timebound import time_bound

DEFAULT_TIMEOUT = 30.0
# A sampled violation counts as real when it exceeds this multiple of the float64 round-off of the flow at that
# point (|F|·eps·n): the residual is an exact expression evaluated once, so round-off is the only error source.
ROUNDOFF_FACTOR = 1e4
#: Magnitudes of the sampled points' entries, tried in turn (module docstring); integers (a context length) keep
#: their own range
SAMPLE_SCALES = (1, 10)
_EPS = float(np.finfo(float).eps)


# ----------------------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class Certificate:
    """Proof that the set is invariant.

    ``method`` is "substitution" (the flow restricted to the parametrisation lies in its tangent space: residual
    F − J w simplified to 0) or "groebner" (each ∇g_k·F reduced to 0 modulo ``groebner_basis``).  For a
    parametrisation, ``reduced_flow`` maps each set parameter to its derivative γ̇ on the set.
    """

    method: str
    description: str
    equations: tuple[sp.Expr, ...] = ()
    parametrisation: tuple[sp.Expr, ...] | None = None
    reduced_flow: Mapping[sp.Symbol, sp.Expr] = field(default_factory=dict)
    groebner_basis: tuple[sp.Expr, ...] | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    status = "invariant"
    invariant = True

    def summary(self) -> str:
        return f"invariant (proved by {self.method}; {self.seconds:.2f} s)"


@dataclass(frozen=True)
class Counterexample:
    """A point of the set where the flow is not tangent: the trajectory started there leaves the set.

    ``point`` gives every free symbol (θ entries, set parameters γ, task symbols) at the point; ``violation`` is
    the size of the normal component of the flow there (max_k |∇g_k·F| for equations, ‖F − J J⁺F‖ for a
    parametrisation) and ``relative_violation`` the same divided by ‖F‖ (and ‖∇g_k‖), i.e. the sine of the angle
    between the flow and the set.  ``residual`` is the symbolic expression that failed to vanish.
    """

    method: str
    description: str
    point: Mapping[sp.Symbol, float]
    violation: float
    relative_violation: float
    residual: sp.Expr | None = None
    seconds: float = 0.0
    notes: tuple[str, ...] = ()

    status = "not invariant"
    invariant = False

    def summary(self) -> str:
        pt = ", ".join(f"{k}={v:.4g}" for k, v in list(self.point.items())[:8])
        more = ", ..." if len(self.point) > 8 else ""
        return (f"NOT invariant: at ({pt}{more}) the normal component of the flow is {self.violation:.3e} "
                f"(relative {self.relative_violation:.3e})")


@dataclass(frozen=True)
class Undecided:
    """Neither a proof nor a counterexample within the time bound; ``tried`` lists what was attempted."""

    description: str
    tried: tuple[str, ...]
    reason: str
    max_sampled_violation: float | None = None
    seconds: float = 0.0

    status = "undecided"
    invariant = None

    def summary(self) -> str:
        extra = "" if self.max_sampled_violation is None else \
            f"; largest relative violation at sampled points {self.max_sampled_violation:.2e}"
        return f"undecided: {self.reason} (tried: {'; '.join(self.tried)}){extra}"


Verdict = Certificate | Counterexample | Undecided


# --------------------------------------------------------------------------------------- simplification
def _split_positive(arg: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """arg = c · rest with c > 0 collecting every factor of known sign (a negative one leaves its sign in rest)."""
    # Rational content first (a/2 + b = (a + 2b)/2), then symbolic common factors (γa + γb = γ(a + b)).
    content, prim = sp.expand(arg).as_content_primitive()
    arg = sp.factor_terms(prim)
    factors = arg.args if isinstance(arg, sp.Mul) else (arg,)
    pos, rest = [abs(content)], ([] if content > 0 else [sp.Integer(-1)])
    for f in factors:
        if f.is_positive:
            pos.append(f)
        elif f.is_negative:
            pos.append(-f)
            rest.append(sp.Integer(-1))
        else:
            rest.append(f)
    return sp.Mul(*pos), sp.Mul(*rest)


def homogenise(expr: sp.Expr) -> sp.Expr:
    """Apply relu(c z) = c relu(z) and H(c z) = H(z) for every factor c of known positive sign (§1.2: ReLU is
    positively 1-homogeneous, its derivative H is 0-homogeneous); a negative factor moves inside as −z."""

    def relu(e):
        c, r = _split_positive(e.args[0])
        return c * Relu(r)

    def heav(e):
        _, r = _split_positive(e.args[0])
        return sp.Heaviside(r, *e.args[1:])

    expr = expr.replace(lambda e: isinstance(e, Relu), relu)
    return expr.replace(lambda e: isinstance(e, sp.Heaviside), heav)


def _relu_to_heaviside(expr: sp.Expr) -> sp.Expr:
    # relu(z) = z·H(z) exactly (H(0) is irrelevant since it multiplies 0): turns the Euler identity into algebra.
    return expr.replace(lambda e: isinstance(e, Relu), lambda e: e.args[0] * sp.Heaviside(e.args[0]))


def _expand_zero(expr: sp.Expr) -> bool:
    """Fast test: 0 after the homogeneity rewrites, relu = z·H(z) and expansion (tanh arguments expanded so SymPy
    can pull out a −1: tanh(−z) = −tanh(z))."""
    e = sp.expand(_relu_to_heaviside(homogenise(expr)))
    if e != 0 and e.has(sp.tanh):
        e = sp.expand(e.replace(lambda t: isinstance(t, sp.tanh), lambda t: sp.tanh(sp.expand(t.args[0]))))
    return e == 0


def simplify_to_zero(expr: sp.Expr) -> bool:
    """True when ``expr`` is proved identically 0: :func:`_expand_zero`, then ``sympy.simplify`` (slow)."""
    if _expand_zero(expr):
        return True
    return bool(sp.simplify(sp.expand(_relu_to_heaviside(homogenise(expr)))) == 0)


# ------------------------------------------------------------------------------------------ input checks
def _derivation(spec_or_derivation: NetworkSpec | Derivation, task: Any, timeout: float | None) -> Derivation:
    if isinstance(spec_or_derivation, Derivation):
        return spec_or_derivation
    if not isinstance(spec_or_derivation, NetworkSpec):
        raise InputError(f"spec: expected a NetworkSpec or a Derivation, got {type(spec_or_derivation).__name__}")
    if task is None:
        raise InputError("task: required when a NetworkSpec (not a Derivation) is given")
    return derive(spec_or_derivation, task, timeout=timeout)


def _as_expr(item: Any, what: str) -> sp.Expr:
    try:
        e = sp.sympify(item)
    except (sp.SympifyError, TypeError) as exc:
        raise InputError(f"{what}: not a SymPy expression ({exc})") from None
    if isinstance(e, sp.Equality):
        e = e.lhs - e.rhs
    if isinstance(e, sp.logic.boolalg.BooleanAtom) or not isinstance(e, sp.Expr):
        raise InputError(f"{what}: {item!r} is not an equation or expression")
    # Floats would make Groebner bases inexact; 0.6 is meant as 3/5.
    return sp.nsimplify(e, rational=True) if e.has(sp.Float) else e


def _check_equations(spec: NetworkSpec, equations: Sequence[Any]) -> list[sp.Expr]:
    if isinstance(equations, (sp.Basic, str)) or not isinstance(equations, Sequence):
        equations = [equations]
    eqs = [_as_expr(e, f"equation {k + 1}") for k, e in enumerate(equations)]
    eqs = [e for e in eqs if e != 0]
    if not eqs:
        raise InputError("equations: no nontrivial equation given (the set would be all of parameter space)")
    params = set(spec.params)
    for k, e in enumerate(eqs):
        bad = e.free_symbols - params
        if bad:
            names = ", ".join(sorted(str(s) for s in bad))
            raise InputError(f"equation {k + 1} ({e} = 0): symbol(s) {names} are not parameters of {spec.name}; "
                             f"use the spec's parameters, e.g. {', '.join(str(p) for p in spec.params[:4])}, ...")
        if not e.is_polynomial(*spec.params):
            raise InputError(f"equation {k + 1} ({e} = 0): must be polynomial in the parameters")
        if e.is_number:
            raise InputError(f"equation {k + 1}: {e} = 0 is inconsistent (the set is empty)")
    return eqs


def _full_parametrisation(spec: NetworkSpec, parametrisation: Sequence[Any] | Mapping[Any, Any]) -> list[sp.Expr]:
    params = spec.params
    if isinstance(parametrisation, Mapping):
        out = list(params)
        index = {p: k for k, p in enumerate(params)}
        for key, value in parametrisation.items():
            sym = sp.sympify(key) if isinstance(key, str) else key
            if sym not in index:
                raise InputError(f"parametrisation: key {key!r} is not a parameter of {spec.name}")
            out[index[sym]] = _as_expr(value, f"parametrisation[{key}]")
        return out
    if isinstance(parametrisation, (str, sp.Basic)) or not isinstance(parametrisation, Sequence):
        raise InputError("parametrisation: give a sequence of n_params expressions or a mapping {parameter: expr}")
    if len(parametrisation) != len(params):
        raise InputError(f"parametrisation: {len(parametrisation)} entries, but {spec.name} has {len(params)} "
                         f"parameters ({', '.join(str(p) for p in params)})")
    return [_as_expr(v, f"parametrisation[{k}]") for k, v in enumerate(parametrisation)]


# ---------------------------------------------------------------------------------------- numeric points
def _sample_value(sym: sp.Symbol, rng: np.random.Generator) -> float:
    mag = float(rng.uniform(0.4, 1.6))
    if sym.is_positive or sym.is_nonnegative:
        return mag
    if sym.is_negative or sym.is_nonpositive:
        return -mag
    if sym.is_integer:
        return float(rng.integers(1, 6))
    return mag * float(rng.choice([-1.0, 1.0]))


def _lambdify(symbols: Sequence[sp.Symbol], exprs: Any):
    return sp.lambdify(list(symbols), exprs, modules=[{"Heaviside": lambda z, h0=0.5: np.heaviside(z, h0)},
                                                      "numpy"])


def _real_array(values: Any) -> np.ndarray | None:
    """float array of ``values``, or None when any entry is complex (nonzero imaginary part), NaN or infinite:
    such a sample is not a real point of the set and must neither refute nor support invariance."""
    arr = np.array(values, dtype=complex)
    if np.any(arr.imag != 0) or not np.all(np.isfinite(arr.real)):
        return None
    return arr.real.astype(float)


def _normal_component(F: np.ndarray, J: np.ndarray) -> tuple[float, float]:
    """‖F − J J⁺ F‖ and the same over ‖F‖: the part of the flow that leaves the set."""
    if J.size == 0:
        r = F
    else:
        coef, *_ = np.linalg.lstsq(J, F, rcond=None)
        r = F - J @ coef
    norm = float(np.linalg.norm(F))
    v = float(np.linalg.norm(r))
    return v, (v / norm if norm > 0 else 0.0)


# ----------------------------------------------------------------------------------- parametrisation route
def _select_block(J: sp.Matrix, gammas: Sequence[sp.Symbol], rng: np.random.Generator) -> tuple[list[int], list[int]]:
    """Rows R and columns C with J[R, C] invertible at a random point (greedy, numerically), k = rank J."""
    syms = list(gammas) + sorted(J.free_symbols - set(gammas), key=str)
    f = _lambdify(syms, J)
    Jn = np.full(J.shape, np.nan)
    for _ in range(20):  # a branch with a square root may be undefined (complex) at some samples
        with np.errstate(all="ignore"):
            arr = _real_array(f(*[_sample_value(g, rng) for g in syms]))
        if arr is not None:
            Jn = arr.reshape(J.shape)
            break
    else:
        raise InputError("parametrisation: its Jacobian is complex or undefined at 20 random real samples; "
                         "the parametrised set has no (generic) real points")
    rank = np.linalg.matrix_rank(Jn)
    cols: list[int] = []
    for c in range(Jn.shape[1]):
        if np.linalg.matrix_rank(Jn[:, cols + [c]]) > len(cols):
            cols.append(c)
    rows: list[int] = []
    for r in range(Jn.shape[0]):
        if np.linalg.matrix_rank(Jn[rows + [r]][:, cols]) > len(rows):
            rows.append(r)
        if len(rows) == rank:
            break
    return rows, cols


def verify_parametrisation(spec_or_derivation: NetworkSpec | Derivation,
                           parametrisation: Sequence[Any] | Mapping[Any, Any], task: Any = None, *,
                           parameters: Sequence[sp.Symbol] | None = None, description: str = "",
                           timeout: float | None = DEFAULT_TIMEOUT, samples: int = 6, seed: int = 0) -> Verdict:
    """Decide invariance of S = {θ(γ)} (a sequence of n_params expressions, or a mapping {θ_k: expr} that fixes
    some coordinates and leaves the others free).

    Tangency test: F(θ(γ)) = J(γ)w(γ), J = ∂θ/∂γ; w (the reduced flow γ̇) is solved on an invertible block of J
    and the residual F − J w must simplify to 0.  ``parameters`` are the set parameters γ (default: every free
    symbol of θ(γ), which for a mapping includes the free θ coordinates).  Declare γ ≥ 0 / γ < 0 with SymPy
    assumptions (``positive=True`` / ``negative=True``): they are used by the simplification and the sampling.
    """
    start = time.perf_counter()
    der = _derivation(spec_or_derivation, task, timeout)
    spec = der.spec
    theta = _full_parametrisation(spec, parametrisation)
    if parameters is None:
        gammas = sorted(set().union(*(e.free_symbols for e in theta)), key=str)
    else:
        gammas = list(parameters)
        missing = set().union(*(e.free_symbols for e in theta)) - set(gammas)
        if missing & set(spec.params):
            raise InputError(f"parametrisation: uses parameter symbol(s) {sorted(map(str, missing))} that are not "
                             "listed in parameters=")
    desc = description or "θ = θ(γ)"
    rng = np.random.default_rng(seed)
    tried: list[str] = []
    worst = 0.0
    theta_m = sp.Matrix(theta)
    sub = dict(zip(spec.params, theta, strict=True))
    try:
        with time_bound(timeout, f"tangency check of {desc} for {spec.name}"):
            F = homogenise(der.flow.xreplace(sub))
            J = theta_m.jacobian(gammas) if gammas else sp.zeros(len(theta), 0)
            rows, cols = _select_block(J, gammas, rng) if gammas else ([], [])
            if rows:
                w = J.extract(rows, cols).LUsolve(F.extract(rows, [0]))
                residual = F - J.extract(list(range(J.rows)), cols) * w
            else:
                w = sp.zeros(0, 1)
                residual = F
            notes = ()
            if len(cols) == len(theta):
                notes = ("the set is full-dimensional (it is all of parameter space near generic points), so its "
                         "invariance is trivial",)
            # Sample first: a refutation needs only one point, while expanding a non-invariant residual can be
            # slow.  Points are rationals k/16 so the same point can be evaluated exactly by SymPy.
            tried.append(f"normal component of the flow at {samples} random rational points of the set per "
                         f"scale {SAMPLE_SCALES}")
            extra = sorted((F.free_symbols | J.free_symbols) - set(gammas), key=str)
            allsyms = list(gammas) + extra
            fF, fJ = _lambdify(allsyms, F), _lambdify(allsyms, J)
            worst = 0.0
            overflowed = unconfirmed = 0
            for scale in [s for s in SAMPLE_SCALES for _ in range(samples)]:  # each scale's points in turn
                vals = [_rational_sample(s, rng, scale) for s in allsyms]
                fvals = [float(v) for v in vals]
                with np.errstate(all="ignore"):  # a branch with a square root may be undefined at this sample
                    Fn = _real_array(fF(*fvals))
                    Jn = _real_array(fJ(*fvals))
                if Fn is None or Jn is None:
                    continue
                Fn, Jn = Fn.reshape(-1), Jn.reshape(J.shape)
                with np.errstate(all="ignore"):
                    v, rel = _normal_component(Fn, Jn)
                    size = float(np.linalg.norm(Fn))
                if not (math.isfinite(v) and math.isfinite(size)):
                    # the flow there is finite but its norm overflows (an exp-like unit at the larger scale): the
                    # point can neither refute (the threshold is inf) nor count as checked
                    overflowed += 1
                    continue
                worst = max(worst, rel)
                if v > ROUNDOFF_FACTOR * _EPS * len(Fn) * max(size, 1e-300):
                    point = dict(zip(allsyms, vals, strict=True))
                    exact = _exact_residual(residual, point)
                    if exact[2] == 0:  # the exact residual vanishes at this rational point: it was round-off
                        unconfirmed += 1
                        continue
                    # Report θ itself (every parameter, dependent ones evaluated) before the set parameters γ.
                    full = {p: float(sp.N(e.xreplace(point))) for p, e in zip(spec.params, theta, strict=True)}
                    full.update({k: float(x) for k, x in point.items() if k not in full})
                    return Counterexample(
                        "sampling at a point of the set", desc, full, v, rel,
                        exact[1], time.perf_counter() - start,
                        (f"exact value of the tangency residual (row {spec.params[exact[0]]}) at this rational "
                         f"point: {exact[2]}",))
            if overflowed:
                tried.append(f"{overflowed} of those points left out: the flow's norm there overflows float64")
            if unconfirmed:
                tried.append(f"{unconfirmed} of those points violated tangency in float64 only (the exact residual "
                             "there is 0)")
            tried.append("substitution of the parametrisation into the flow, tangency F = J w, expansion")
            bad = [k for k in range(residual.rows) if not _expand_zero(residual[k])]
            if not bad:
                reduced = {gammas[c]: sp.factor_terms(sp.expand(homogenise(w[k]))) for k, c in enumerate(cols)}
                return Certificate("substitution", desc, (), tuple(theta), reduced, None,
                                   time.perf_counter() - start, notes)
            tried.append(f"expansion left {len(bad)} nonzero residual entries; sympy.simplify on them")
            if all(simplify_to_zero(residual[k]) for k in bad):
                reduced = {gammas[c]: sp.factor_terms(sp.expand(homogenise(w[k]))) for k, c in enumerate(cols)}
                return Certificate("substitution + simplify", desc, (), tuple(theta), reduced, None,
                                   time.perf_counter() - start, notes)
    except SymbolicTimeout as exc:
        tried.append(str(exc))
        return Undecided(desc, tuple(tried), "time bound exceeded", None, time.perf_counter() - start)
    return Undecided(desc, tuple(tried), "the residual did not simplify to 0 but vanishes numerically at the "
                     "sampled points", worst, time.perf_counter() - start)


def _rational_sample(sym: sp.Symbol, rng: np.random.Generator, scale: int = 1) -> sp.Rational:
    value = _sample_value(sym, rng) * (1 if sym.is_integer else scale)
    return sp.Rational(round(value * 16), 16) or sp.Rational(1, 16)


def _exact_residual(residual: sp.Matrix, point: Mapping[sp.Symbol, sp.Expr]) -> tuple[int, sp.Expr, sp.Expr]:
    """First residual row that is nonzero at ``point`` (exact SymPy evaluation, 15 digits shown)."""
    for k in range(residual.rows):
        val = residual[k].xreplace(dict(point))
        num = sp.N(val, 15)
        if num != 0:
            return k, residual[k], num
    return 0, residual[0], sp.Integer(0)


# -------------------------------------------------------------------------------------- equations route
def _lie_derivatives(eqs: Sequence[sp.Expr], params: Sequence[sp.Symbol], flow: sp.Matrix) -> list[sp.Expr]:
    return [sp.expand(sum((sp.diff(g, p) * flow[k] for k, p in enumerate(params) if g.has(p)), sp.Integer(0)))
            for g in eqs]


def _points_on_set(eqs: Sequence[sp.Expr], params: Sequence[sp.Symbol], rng: np.random.Generator,
                   n: int) -> list[dict[sp.Symbol, float]]:
    """Real points of {g = 0} by Gauss–Newton from random starts (points that do not converge are dropped)."""
    syms = list(params)
    g = _lambdify(syms, list(eqs))
    jac = _lambdify(syms, sp.Matrix(eqs).jacobian(syms))
    out = []
    for _ in range(8 * n):
        x = rng.standard_normal(len(syms))
        for _ in range(60):
            r = np.array(g(*x), dtype=float)
            if np.max(np.abs(r)) < 1e-14 * max(1.0, np.max(np.abs(x))):
                break
            Jn = np.array(jac(*x), dtype=float).reshape(len(eqs), len(syms))
            dx, *_ = np.linalg.lstsq(Jn, -r, rcond=None)
            x = x + dx
        r = np.array(g(*x), dtype=float)
        if np.all(np.isfinite(x)) and np.max(np.abs(r)) < 1e-12 * max(1.0, np.max(np.abs(x))):
            out.append(dict(zip(syms, x.tolist(), strict=True)))
            if len(out) == n:
                break
    return out


def verify_equations(spec_or_derivation: NetworkSpec | Derivation, equations: Sequence[Any], task: Any = None, *,
                     description: str = "", timeout: float | None = DEFAULT_TIMEOUT, samples: int = 6,
                     seed: int = 0) -> Verdict:
    """Decide invariance of S = {θ : g_1(θ) = … = g_m(θ) = 0} (polynomial g_k in the spec's parameters).

    Polynomial flow: reduce each Lie derivative ∇g_k·F modulo a grevlex Groebner basis of ⟨g⟩ (remainder 0 for
    every k proves invariance).  Non-polynomial flow (ReLU, tanh): solve the equations for some coordinates and
    check each solution branch with :func:`verify_parametrisation`.  Raises :class:`InputError` for symbols that
    are not parameters, non-polynomial equations and inconsistent equations (Groebner basis [1]: S is empty).
    """
    start = time.perf_counter()
    der = _derivation(spec_or_derivation, task, timeout)
    spec = der.spec
    eqs = _check_equations(spec, equations)
    desc = description or ", ".join(f"{e} = 0" for e in eqs)
    flow = der.flow
    params = list(spec.params)
    extra = sorted(flow.free_symbols - set(params), key=str)
    rng = np.random.default_rng(seed)
    tried: list[str] = []
    polynomial = all(e.is_polynomial(*params) for e in flow)
    with time_bound(timeout, f"Groebner basis of the constraints {desc}"):
        gb = sp.groebner(eqs, *params, order="grevlex")
    if list(gb.exprs) == [1]:
        raise InputError(f"equations {desc}: inconsistent, they have no common (complex) solution "
                         "(the Groebner basis is [1]); the set is empty")
    if polynomial:
        try:
            with time_bound(timeout, f"Groebner reduction of the Lie derivatives for {desc}"):
                lies = _lie_derivatives(eqs, params, flow)
                gens = params + extra
                gbx = sp.groebner(eqs, *gens, order="grevlex") if extra else gb
                remainders = [gbx.reduce(lie)[1] if lie != 0 else sp.Integer(0) for lie in lies]
            tried.append("reduction of each Lie derivative grad(g)·F modulo a grevlex Groebner basis")
            if all(r == 0 for r in remainders):
                return Certificate("groebner", desc, tuple(eqs), None, {}, tuple(gb.exprs),
                                   time.perf_counter() - start)
            tried.append("nonzero remainder (the ideal is not closed under the flow; looking for a point)")
        except SymbolicTimeout as exc:
            tried.append(str(exc))
            lies = None
    else:
        lies = None
    # Non-polynomial flow, or a nonzero remainder (e.g. a non-radical ideal such as ⟨(v_3 − v_1)²⟩): solve for
    # some coordinates and check every solution branch by substitution.
    try:
        with time_bound(timeout, f"solving {desc}"):
            branches = sp.solve(eqs, params, dict=True)
        tried.append(f"solved the equations with sympy.solve ({len(branches)} branch(es)); substitution per branch")
    except (SymbolicTimeout, NotImplementedError) as exc:
        branches = []
        tried.append(f"solving failed: {exc}")
    if not branches and "solving failed" not in tried[-1] and all(p.is_real for p in params):
        raise InputError(f"equations {desc}: sympy.solve finds no real solution (the parameters are real "
                         "symbols), so the set is empty over R")
    if branches:
        verdicts = []
        for k, b in enumerate(branches):
            try:
                verdicts.append(verify_parametrisation(der, b, description=f"{desc} (branch {k + 1})",
                                                       timeout=timeout, samples=samples, seed=seed))
            except (TypeError, ValueError) as exc:  # complex branch (e.g. sqrt of a negative): no real sample
                verdicts.append(Undecided(f"branch {k + 1}", (f"branch {k + 1} could not be sampled: {exc}",),
                                          "complex branch"))
        for v in verdicts:
            if isinstance(v, Counterexample):
                return v
        if all(isinstance(v, Certificate) for v in verdicts):
            return Certificate("solve + substitution", desc, tuple(eqs), None, {}, tuple(gb.exprs),
                               time.perf_counter() - start,
                               tuple(f"branch {k + 1}: {b}" for k, b in enumerate(branches))
                               + ("complete only as far as sympy.solve returns every branch of the set",))
        tried.extend(t for v in verdicts if isinstance(v, Undecided) for t in v.tried)
    # No proof: search real points of S for a violation of tangency.
    if lies is None:
        lies = _lie_derivatives(eqs, params, flow)
    pts = _points_on_set(eqs, params, rng, samples)
    if not pts:
        tried.append("Gauss-Newton found no real point of the set (it may be empty over R)")
        return Undecided(desc, tuple(tried), "no real point found", None, time.perf_counter() - start)
    fl = _lambdify(params + extra, lies)
    fF = _lambdify(params + extra, flow)
    grads = _lambdify(params, sp.Matrix(eqs).jacobian(params))
    worst = 0.0
    for pt in pts:
        vals = [pt[p] for p in params] + [_sample_value(s, rng) for s in extra]
        L = np.abs(np.array(fl(*vals), dtype=float).reshape(-1))
        Fn = np.array(fF(*vals), dtype=float).reshape(-1)
        G = np.array(grads(*vals[:len(params)]), dtype=float).reshape(len(eqs), len(params))
        scale = np.linalg.norm(G, axis=1) * max(np.linalg.norm(Fn), 1e-300)
        rel = L / np.where(scale > 0, scale, 1.0)
        worst = max(worst, float(rel.max()))
        k = int(np.argmax(rel))
        if L[k] > ROUNDOFF_FACTOR * _EPS * len(params) * scale[k]:
            point = dict(zip(params + extra, vals, strict=True))
            return Counterexample("tangency at a point of the set", desc, point, float(L[k]), float(rel[k]),
                                  lies[k], time.perf_counter() - start)
    tried.append(f"{len(pts)} real points of the set (no violation above round-off)")
    return Undecided(desc, tuple(tried), "no proof and no counterexample", worst, time.perf_counter() - start)


def verify(spec_or_derivation: NetworkSpec | Derivation, task: Any = None, *, equations: Sequence[Any] | None = None,
           parametrisation: Sequence[Any] | Mapping[Any, Any] | None = None,
           parameters: Sequence[sp.Symbol] | None = None, description: str = "",
           timeout: float | None = DEFAULT_TIMEOUT) -> Verdict:
    """Front door: give exactly one of ``equations`` (polynomial in θ) or ``parametrisation`` (θ = θ(γ))."""
    if (equations is None) == (parametrisation is None):
        raise InputError("give exactly one of equations= or parametrisation=")
    der = _derivation(spec_or_derivation, task, timeout)
    if equations is not None:
        return verify_equations(der, equations, description=description, timeout=timeout)
    return verify_parametrisation(der, parametrisation, parameters=parameters, description=description,
                                  timeout=timeout)


# Alias for re-export from ``theory`` (``theory.verify`` is this module's name, so the function should not be
# re-exported under it).
verify_set = verify


# ------------------------------------------------------------------------------------- numeric drift
def measure_drift(derivation: Derivation, theta0: Sequence[float], equations: Sequence[Any], *, t_max: float = 1.0,
                  lr: float | None = None, steps: int = 0, rtol: float = 1e-12,
                  atol: float = 1e-14) -> dict[str, float]:
    """Numeric companion of the verifier: start on the set at ``theta0`` and measure max_t max_k |g_k(θ(t))|
    (relative to max(1, ‖θ‖)) along gradient flow (SciPy DOP853 on the lambdified flow) and, if ``lr`` and
    ``steps`` are given, along gradient descent.  For an invariant set both are round-off (spec §0.6, §4.2)."""
    from scipy.integrate import solve_ivp

    spec = derivation.spec
    eqs = _check_equations(spec, equations)
    params = list(spec.params)
    if derivation.flow.free_symbols - set(params):
        raise InputError("measure_drift: the flow has free task symbols; use a numeric task")
    f = _lambdify(params, list(derivation.flow))
    g = _lambdify(params, eqs)
    th0 = np.asarray(theta0, dtype=float)
    if th0.shape != (len(params),):
        raise InputError(f"theta0: shape {th0.shape}, expected ({len(params)},)")

    def dev(th):
        return float(np.max(np.abs(np.array(g(*th), dtype=float)))) / max(1.0, float(np.linalg.norm(th)))

    out = {"initial": dev(th0)}
    sol = solve_ivp(lambda _t, y: np.array(f(*y), dtype=float), (0.0, t_max), th0, method="DOP853", rtol=rtol,
                    atol=atol, dense_output=False)
    out["flow"] = max(dev(y) for y in sol.y.T)
    if lr is not None and steps > 0:
        th = th0.copy()
        worst = 0.0
        for _ in range(steps):
            th = th + lr * np.array(f(*th), dtype=float)
            worst = max(worst, dev(th))
        out["gd"] = worst
    return out
