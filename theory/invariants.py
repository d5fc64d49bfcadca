"""Theorem 3 invariant sets for every architecture, generated from φ's properties and proved symbolically
(spec §4.1, §4.4; paper Thm 3).

For a spec of width H the candidate sets relate the last unit i = H to the first units j = 1 (and 2):

* (i)   equal units, θ_i = θ_j                               — any φ (not unit-specific);
* (ii)  zero unit, v_i = 0, u_i = u_zero = 0                  — φ has a zero unit;
* (iii) proportional units, θ_i = γθ_j with one γ on u and v — φ 1-homogeneous over F (γ ≥ 0 for ReLU);
* (iv)  linearly dependent unit, θ_i = γ_1θ_1 + γ_2θ_2       — φ linear in u (needs H ≥ 3);
* sign flip, θ_i = (v_j, −u_j)                                — φ even in u (§4.4);
* γ = −1 for odd degree p, θ_i = (−v_j, −u_j)                 — φ p-homogeneous over R with p odd (the γ^{2p−2} = 1
  case of §4.4 with p = 3; for even p it is the sign flip).

Sets the theory does **not** promise are generated too and must be refuted with a point: (iii) with γ < 0 for
ReLU, (iii) for φ that is not homogeneous (tanh, x·tanh x: "rank-one weights are not invariant"), the degree-p
analogue u_i = γu_j, v_i = γ^p v_j with generic γ for p ≥ 2 (γ ∉ {±1}), (iv) for φ that is not linear, and every
inter-unit relation for unit-specific φ (diagonal nets).

Each set is a parametrisation handed to :func:`theory.verify.verify_parametrisation`, which substitutes it into
the symbolic flow of :func:`theory.derive` and simplifies the tangency residual to 0 (proof), or evaluates it at a
point of the set (refutation: the size of the normal component of the flow there), or reports "undecided".
By default the task is symbolic (:func:`default_task`): whitened regression with a symbolic Σ_yx, a quadratic
target with symbolic A, in-context regression with symbolic Λ and N, or a dataset of P symbolic samples, so a
proof holds for every task of that family, not just one instance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .derive import Derivation, derive
from .errors import InputError, SymbolicTimeout
from .populations import POPULATIONS
from .spec import NetworkSpec
from .tasks import Dataset, ICLDataset
from .verify import DEFAULT_TIMEOUT, Undecided, Verdict, verify_parametrisation


@dataclass(frozen=True)
class CandidateSet:
    """A candidate invariant set: θ = θ(γ) (``mapping`` fixes the dependent unit, the rest stay free) and whether
    the theory says it is invariant (``expected``), with the reason."""

    key: str
    name: str
    formula: str
    expected: bool
    reason: str
    mapping: dict[sp.Symbol, sp.Expr] = field(repr=False)
    parameters: tuple[sp.Symbol, ...] = ()
    # True: γ is a fixed constant (Thm 3's literal statement), not a coordinate of the set; used when units have
    # at most 2 parameters, where "θ_i in the span of θ_1, θ_2" would be all of parameter space.
    gamma_fixed: bool = False


@dataclass(frozen=True)
class InvariantSet:
    """A candidate set with the verifier's verdict; ``agrees`` says whether proof/refutation matches the theory."""

    candidate: CandidateSet
    verdict: Verdict

    @property
    def key(self) -> str:
        return self.candidate.key

    @property
    def status(self) -> str:
        return self.verdict.status

    @property
    def agrees(self) -> bool | None:
        if self.verdict.invariant is None:
            return None
        return self.verdict.invariant == self.candidate.expected

    def line(self) -> str:
        c = self.candidate
        promise = "theory: invariant" if c.expected else "theory: not invariant"
        return f"({c.key}) {c.name}: {c.formula} [{promise} - {c.reason}] -> {self.verdict.summary()}"


# ------------------------------------------------------------------------------------------- default tasks
def default_task(spec: NetworkSpec, samples: int = 2) -> Any:
    """A symbolic task of the family that fits ``spec`` (see the module docstring): its population form's
    (:data:`theory.populations.POPULATIONS`), else a dataset of ``samples`` symbolic samples."""
    if spec.population is not None:
        return POPULATIONS[spec.population].default_task(spec)
    x = sp.Matrix(samples, spec.input_dim, lambda m, a: sp.Symbol(f"x{m + 1}_{a + 1}", real=True))
    y = sp.Matrix(samples, spec.output_dim, lambda m, o: sp.Symbol(f"y{m + 1}_{o + 1}", real=True))
    return Dataset(x, y)


def default_icl_dataset(spec: NetworkSpec, samples: int = 2) -> ICLDataset:
    """A symbolic in-context dataset (β_μ, x_q,μ, y_q,μ) for attention specs."""
    d = spec.input_dim
    beta = sp.Matrix(samples, d, lambda m, a: sp.Symbol(f"b{m + 1}_{a + 1}", real=True))
    xq = sp.Matrix(samples, d, lambda m, a: sp.Symbol(f"q{m + 1}_{a + 1}", real=True))
    yq = sp.Matrix(samples, 1, lambda m, _: sp.Symbol(f"yq{m + 1}", real=True))
    return ICLDataset(beta, xq, yq)


# ------------------------------------------------------------------------------------------ candidate sets
def _unit_map(spec: NetworkSpec, i: int, v_expr, u_expr) -> dict[sp.Symbol, sp.Expr]:
    unit = spec.units[i]
    out = {s: sp.sympify(v_expr(k)) for k, s in enumerate(unit.v)}
    out.update({s: sp.sympify(u_expr(k)) for k, s in enumerate(unit.u)})
    return out


def phi_is_odd(spec: NetworkSpec) -> bool:
    """φ(z; −u) = −φ(z; u), decided symbolically on the output of unit 1 alone (other units set to 0).

    Phi declares evenness but not oddness, so it is proved here from the builder's formula."""
    from .spec import input_symbols

    keep = set(spec.units[0].v) | set(spec.units[0].u)
    zero = {p: sp.Integer(0) for p in spec.params if p not in keep}
    flip = {s: -s for s in spec.units[0].u}
    out = spec.output(input_symbols(spec, "odd")).xreplace(zero)
    total = out + out.xreplace(flip)
    total = total.applyfunc(lambda e: sp.expand(e.replace(lambda t: isinstance(t, sp.tanh),
                                                          lambda t: sp.tanh(sp.expand(t.args[0])))))
    return all(e == 0 for e in total)


def theorem3_candidates(spec: NetworkSpec) -> list[CandidateSet]:
    """The Theorem 3 / §4.4 candidate sets for ``spec``, those the theory promises and those it does not."""
    phi = spec.phi
    H = spec.width
    out: list[CandidateSet] = []
    i, j = H - 1, 0
    vj, uj = spec.units[j].v, spec.units[j].u
    ii, jj = i + 1, j + 1
    inter = not phi.unit_specific
    why_specific = "phi differs between units (unit-specific), so relations between units are not preserved"
    if H >= 2:
        out.append(CandidateSet("i", "equal units", f"theta_{ii} = theta_{jj}", inter,
                                "equal units receive equal gradients" if inter else why_specific,
                                _unit_map(spec, i, lambda k: vj[k], lambda k: uj[k])))
    out.append(CandidateSet("ii", "zero unit", f"v_{ii} = 0, u_{ii} = 0", phi.zero_unit,
                            "phi(z; 0) = 0 and u-dot is linear in v" if phi.zero_unit else "phi has no zero unit",
                            _unit_map(spec, i, lambda k: 0, lambda k: 0)))
    if H >= 2:
        deg1 = phi.degree == 1 and inter
        if phi.field == "R>=0":
            g = sp.Symbol("gamma", positive=True)
            out.append(CandidateSet("iii", "proportional units (gamma > 0)", f"theta_{ii} = gamma theta_{jj}, "
                                    "gamma > 0", deg1, "phi positively 1-homogeneous, grad_u phi 0-homogeneous",
                                    _unit_map(spec, i, lambda k: g * vj[k], lambda k: g * uj[k]), (g,)))
            gn = sp.Symbol("gamma", negative=True)
            out.append(CandidateSet("iii-neg", "proportional units (gamma < 0)", f"theta_{ii} = gamma theta_{jj}, "
                                    "gamma < 0", False, "relu(gamma z) != gamma relu(z) for gamma < 0",
                                    _unit_map(spec, i, lambda k: gn * vj[k], lambda k: gn * uj[k]), (gn,)))
        else:
            g = sp.Symbol("gamma", real=True)
            if deg1:
                reason = "phi 1-homogeneous over R, grad_u phi 0-homogeneous"
            elif phi.unit_specific:
                reason = why_specific
            elif phi.degree:
                reason = f"degree p = {phi.degree}: the ratio of u and v would have to change like gamma^p"
            else:
                reason = "phi is not homogeneous (tanh-like: rank-one weights are not invariant)"
            out.append(CandidateSet("iii", "proportional units", f"theta_{ii} = gamma theta_{jj}", deg1, reason,
                                    _unit_map(spec, i, lambda k: g * vj[k], lambda k: g * uj[k]), (g,)))
        if phi.degree is not None and phi.degree >= 2 and phi.field == "R" and inter:
            p = phi.degree
            g = sp.Symbol("gamma", real=True)
            out.append(CandidateSet(
                "iii-p", f"degree-{p} proportional units, generic gamma",
                f"u_{ii} = gamma u_{jj}, v_{ii} = gamma^{p} v_{jj}", False,
                "u-dot_i = gamma^(2p-1) u-dot_j breaks the ratio unless gamma^(2p-2) = 1, i.e. gamma = +-1 (§4.4)",
                _unit_map(spec, i, lambda k: g**p * vj[k], lambda k: g * uj[k]), (g,)))
    if H >= 2 and inter and not phi.linear_in_u and phi_is_odd(spec):
        # Odd φ (cubic, tanh): θ_i = −θ_j.  For p-homogeneous φ this is the γ^(2p−2) = 1 case of §4.4 with odd p;
        # for tanh it is the one proportional relation that survives (γ = −1), although rank-one weights do not.
        out.append(CandidateSet("iii-m1", "negated unit (odd phi)", f"theta_{ii} = -theta_{jj}", True,
                                "phi(-u) = -phi(u) (proved on the spec's output) and grad_u phi even",
                                _unit_map(spec, i, lambda k: -vj[k], lambda k: -uj[k])))
    if phi.even and inter and H >= 2:
        out.append(CandidateSet("sign-flip", "sign-flipped unit", f"v_{ii} = v_{jj}, u_{ii} = -u_{jj}", True,
                                "phi even in u: equal v-dot, and grad_u phi odd gives u-dot_i = -u-dot_j (§4.4)",
                                _unit_map(spec, i, lambda k: vj[k], lambda k: -uj[k])))
    if H >= 3:
        g1, g2 = sp.Symbol("gamma_1", real=True), sp.Symbol("gamma_2", real=True)
        v2, u2 = spec.units[1].v, spec.units[1].u
        lin = phi.linear_in_u and inter
        small = len(vj) + len(uj) <= 2
        out.append(CandidateSet(
            "iv", "linearly dependent unit", f"theta_{ii} = gamma_1 theta_1 + gamma_2 theta_2"
            + (" (fixed gamma)" if small else ""), lin,
            "phi linear in u: the unit's gradient is linear in its own parameters" if lin else
            (why_specific if phi.unit_specific else "phi is not linear in u"),
            _unit_map(spec, i, lambda k: g1 * vj[k] + g2 * v2[k], lambda k: g1 * uj[k] + g2 * u2[k]), (g1, g2),
            gamma_fixed=small))
    return out


def prove_theorem3(spec: NetworkSpec, task: Any = None, *, derivation: Derivation | None = None,
                   keys: list[str] | None = None, timeout: float | None = DEFAULT_TIMEOUT) -> list[InvariantSet]:
    """Prove (or refute, with a point) every candidate set of :func:`theorem3_candidates` for ``spec``.

    ``task`` defaults to :func:`default_task`; a derivation that exceeds ``timeout`` makes every set "undecided".
    """
    if spec.width < 2:
        raise InputError(f"{spec.name}: width {spec.width}; Theorem 3 relates units, use width >= 2 (>= 3 for (iv))")
    cands = theorem3_candidates(spec)
    if keys is not None:
        cands = [c for c in cands if c.key in keys]
    if derivation is None:
        try:
            derivation = derive(spec, default_task(spec) if task is None else task, timeout=timeout)
        except SymbolicTimeout as exc:
            return [InvariantSet(c, Undecided(c.formula, ("derivation of the flow",), str(exc))) for c in cands]
    out = []
    for c in cands:
        params = tuple(p for p in spec.params if p not in c.mapping)
        if not c.gamma_fixed:
            params += tuple(c.parameters)
        verdict = verify_parametrisation(derivation, c.mapping, parameters=params, description=c.formula,
                                         timeout=timeout)
        out.append(InvariantSet(c, verdict))
    return out
