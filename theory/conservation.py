"""Conservation laws (balancedness) of gradient flow, derived and proved symbolically (spec §4.5, claim C3).

* Per unit, φ homogeneous of degree p in u_i:  Q_i = ‖u_i‖² − p‖v_i‖²,  dQ_i/dt = 0.
  Proof: d‖v_i‖²/dt = 2E[δᵀφ v_i]; the Euler identity u_iᵀ∇_uφ = pφ gives d‖u_i‖²/dt = 2pE[δᵀφ v_i].
* φ linear in u (Eq. 8 form):  UᵀU − VᵀV (H×H, entries u_i·u_j − v_i·v_j) is conserved.
* Deep linear (f = W3 W2 W1 x):  W_{l+1}ᵀW_{l+1} − W_l W_lᵀ for l = 1, 2 (W2 = U, W3 = Vᵀ).

Each law is proved by differentiating Q along the symbolic flow of :func:`theory.derive`, dQ/dt = ∇Q·θ̇, and
simplifying to 0 (with relu(z) = z·H(z) for ReLU: the Euler identity made algebraic).  Where a law does not hold
(tanh: no homogeneity; unit-specific φ for the matrix law) dQ/dt is evaluated at a random rational point and the
point and the value are reported.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from .derive import Derivation, derive
from .errors import InputError, SymbolicTimeout
from .spec import NetworkSpec
from .timebound import time_bound
from .verify import DEFAULT_TIMEOUT, _expand_zero, _lambdify, _rational_sample, homogenise


@dataclass(frozen=True)
class ConservationLaw:
    """A candidate conserved quantity Q(θ) (scalar, or the entries of a matrix) and whether theory says it holds."""

    key: str
    name: str
    formula: str
    expected: bool
    reason: str
    quantities: tuple[sp.Expr, ...] = field(repr=False)


@dataclass(frozen=True)
class ConservationResult:
    """Outcome: ``status`` is "conserved" (dQ/dt simplified to 0 for every entry), "not conserved" (with
    ``point`` and ``rate`` = |dQ/dt| there, ``relative_rate`` = |dQ/dt| / (‖∇Q‖‖θ̇‖)) or "undecided"."""

    law: ConservationLaw
    status: str
    derivatives: tuple[sp.Expr, ...] = field(repr=False, default=())
    point: dict[sp.Symbol, float] | None = None
    rate: float | None = None
    relative_rate: float | None = None
    seconds: float = 0.0
    details: str = ""

    @property
    def agrees(self) -> bool | None:
        if self.status == "undecided":
            return None
        return (self.status == "conserved") == self.law.expected

    def line(self) -> str:
        law = self.law
        promise = "theory: conserved" if law.expected else "theory: not conserved"
        if self.status == "conserved":
            res = f"conserved (dQ/dt simplifies to 0; {self.seconds:.2f} s)"
        elif self.status == "not conserved":
            pt = ", ".join(f"{k}={v:.4g}" for k, v in list((self.point or {}).items())[:6])
            res = f"NOT conserved: dQ/dt = {self.rate:.3e} (relative {self.relative_rate:.3e}) at ({pt}, ...)"
        else:
            res = f"undecided: {self.details}"
        return f"[{law.key}] {law.name}: {law.formula} [{promise} - {law.reason}] -> {res}"


def _sq(symbols) -> sp.Expr:
    return sum((s**2 for s in symbols), sp.Integer(0))


def candidate_laws(spec: NetworkSpec) -> list[ConservationLaw]:
    """The balancedness laws of §4.5 for ``spec``, plus the ones that fail (for a refutation)."""
    phi = spec.phi
    out: list[ConservationLaw] = []
    p = phi.degree
    # For non-homogeneous φ the natural guess uses the lowest Taylor order in u (tanh: 1, x·tanh x: 2).
    guess = p if p is not None else (2 if phi.even else 1)
    qs = tuple(_sq(u.u) - guess * _sq(u.v) for u in spec.units)
    if p is not None:
        reason = f"Euler identity u^T grad_u phi = {p} phi ({'positive ' if phi.field == 'R>=0' else ''}homogeneity)"
    else:
        reason = f"phi is not homogeneous (no Euler identity); p = {guess} is its lowest Taylor order"
    out.append(ConservationLaw("unit", "per-unit balance", f"Q_i = |u_i|^2 - {guess}|v_i|^2", p is not None,
                               reason, qs))
    if spec.width >= 2:
        H = spec.width
        entries = tuple(sum((a * b for a, b in zip(spec.units[i].u, spec.units[j].u, strict=True)), sp.Integer(0))
                        - sum((a * b for a, b in zip(spec.units[i].v, spec.units[j].v, strict=True)), sp.Integer(0))
                        for i in range(H) for j in range(i, H))
        lin = phi.linear_in_u and not phi.unit_specific
        out.append(ConservationLaw("matrix", "matrix balance", "U^T U - V^T V (H x H)", lin,
                                   "phi linear in u: d(U^T U)/dt = d(V^T V)/dt = V^T G U + U^T G^T V" if lin else
                                   ("phi differs between units" if phi.unit_specific else "phi is not linear in u"),
                                   entries))
    groups = [spec.unit_groups(i) for i in range(spec.width)]
    if len(groups[0]) > 1:
        # f is 1-homogeneous in each group (attention's K_i and Q_i): rescaling one group by α and v_i by 1/α leaves
        # f unchanged, so each group is balanced against v_i on its own; Q_i above is their sum (docs/theory.md §4.5).
        for g, block in enumerate(spec.family.u_groups):
            out.append(ConservationLaw(f"group-{block}", f"{block}/v balance", f"|{block}_i|^2 - v_i^2", True,
                                       f"f invariant under {block}_i -> a {block}_i, v_i -> v_i / a",
                                       tuple(_sq(groups[i][g]) - _sq(unit.v) for i, unit in enumerate(spec.units))))
    layers = spec.chain_matrices()
    names = spec.family.chain if layers else ()
    for k in range(len(layers) - 1):
        # f = M_L ⋯ M_1 x is invariant under M_k -> A M_k, M_{k+1} -> M_{k+1} A^-1 (docs/theory.md §4.5).
        D = layers[k + 1].T * layers[k + 1] - layers[k] * layers[k].T
        out.append(ConservationLaw(f"chain-{k + 1}", f"layer balance {names[k]}|{names[k + 1]}",
                                   f"M_{k + 2}^T M_{k + 2} - M_{k + 1} M_{k + 1}^T", True,
                                   f"f invariant under M_{k + 1} -> A M_{k + 1}, M_{k + 2} -> M_{k + 2} A^-1",
                                   tuple(D[r, c] for r in range(D.rows) for c in range(r, D.cols))))
    return out


def check_law(derivation: Derivation, law: ConservationLaw, *, timeout: float | None = DEFAULT_TIMEOUT,
              samples: int = 6, seed: int = 0) -> ConservationResult:
    """Prove dQ/dt = ∇Q·θ̇ ≡ 0, or find a rational point where it is not 0."""
    start = time.perf_counter()
    params = list(derivation.params)
    flow = derivation.flow
    rng = np.random.default_rng(seed)
    try:
        with time_bound(timeout, f"d/dt of {law.formula}"):
            rates = [sum((sp.diff(q, p) * flow[k] for k, p in enumerate(params) if q.has(p)), sp.Integer(0))
                     for q in law.quantities]
            syms = params + sorted(set().union(*(r.free_symbols for r in rates)) - set(params), key=str)
            f_rate = _lambdify(syms, rates)
            f_flow = _lambdify(syms, list(flow))
            grads = _lambdify(syms, sp.Matrix(law.quantities).jacobian(params))
            # Sample first: one point refutes; expanding a nonzero rate can be slow.
            for _ in range(samples):
                vals = [_rational_sample(s, rng) for s in syms]
                fv = [float(v) for v in vals]
                r = np.abs(np.array(f_rate(*fv), dtype=float).reshape(-1))
                Fn = float(np.linalg.norm(np.array(f_flow(*fv), dtype=float)))
                G = np.linalg.norm(np.array(grads(*fv), dtype=float).reshape(len(rates), len(params)), axis=1)
                k = int(np.argmax(r))
                if r[k] > 1e4 * np.finfo(float).eps * len(params) * max(G[k] * Fn, 1e-300):
                    exact = sp.N(homogenise(rates[k]).xreplace(dict(zip(syms, vals, strict=True))), 15)
                    return ConservationResult(
                        law, "not conserved", tuple(rates), {s: float(v) for s, v in zip(syms, vals, strict=True)},
                        float(r[k]), float(r[k] / max(G[k] * Fn, 1e-300)), time.perf_counter() - start,
                        f"entry {k}: exact dQ/dt at this rational point = {exact}")
            if all(_expand_zero(r) for r in rates):
                return ConservationResult(law, "conserved", tuple(sp.Integer(0) for _ in rates),
                                          seconds=time.perf_counter() - start)
            return ConservationResult(law, "undecided", tuple(rates), seconds=time.perf_counter() - start,
                                      details="dQ/dt did not expand to 0 but vanished at the sampled points")
    except SymbolicTimeout as exc:
        return ConservationResult(law, "undecided", seconds=time.perf_counter() - start,
                                  details=f"{exc}; tried: dQ/dt along the flow, sampling, expansion")


def prove_conservation(spec: NetworkSpec, task: Any = None, *, derivation: Derivation | None = None,
                       timeout: float | None = DEFAULT_TIMEOUT) -> list[ConservationResult]:
    """Check every law of :func:`candidate_laws` for ``spec`` (task defaults to
    :func:`theory.invariants.default_task`, a symbolic task of the family)."""
    from .invariants import default_task

    if derivation is None:
        if not isinstance(spec, NetworkSpec):
            raise InputError(f"spec: expected a NetworkSpec, got {type(spec).__name__}")
        derivation = derive(spec, default_task(spec) if task is None else task, timeout=timeout)
    return [check_law(derivation, law, timeout=timeout) for law in candidate_laws(derivation.spec)]


def unit_balance(spec: NetworkSpec, p: int | None = None) -> tuple[sp.Expr, ...]:
    """Q_i = ‖u_i‖² − p‖v_i‖² for every unit (p defaults to φ's degree)."""
    deg = spec.phi.degree if p is None else p
    if deg is None:
        raise InputError(f"{spec.name}: phi is not homogeneous; give p explicitly")
    return tuple(_sq(u.u) - deg * _sq(u.v) for u in spec.units)
