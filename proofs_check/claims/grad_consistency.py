"""``grad-consistency:<arch>``: the symbolic and the numeric derivation of L, ∇L and ∇²L agree.

For every architecture of spec §1.4 and every task it supports, at 3 random points θ ~ N(0, 0.7²): loss and
gradient to relative 1e-9, Hessian against central differences to 1e-6 (see :mod:`proofs_check.crosscheck` for
why these tolerances follow from round-off and the O(h²) truncation error).
"""

from __future__ import annotations

from ..cases import reference_cases
from ..crosscheck import GRAD_RTOL, HESS_RTOL, check_case, random_points
from ..registry import REGISTRY, Measurement

_CASES = reference_cases()


def _make(arch: str):
    def check() -> Measurement:
        measured = {}
        ok = True
        for case in _CASES[arch]:
            r = check_case(case, random_points(case, 3))
            measured[case.kind] = {"loss_rel": r.loss_rel, "grad_rel": r.grad_rel, "hess_rel": r.hess_rel,
                                   "fd_asymmetry": r.fd_asymmetry, "symbolic_seconds": round(r.symbolic_seconds, 3)}
            ok = ok and r.passed
        return Measurement(passed=ok, measured=measured)

    return check


for _arch in _CASES:
    REGISTRY.claim(
        f"grad-consistency:{_arch}",
        statement=f"The SymPy and NumPy derivations of L, grad L and the Hessian agree for {_arch} "
                  f"({', '.join(c.kind for c in _CASES[_arch])})",
        source="spec §1.4, §0.3 (the two derivations of every architecture agree)",
        tolerance=f"loss, grad rel <= {GRAD_RTOL:g}; Hessian vs central differences rel <= {HESS_RTOL:g}",
        justification="float64 round-off for exact formulas; O(h^2) truncation + O(eps/h) round-off for "
                      "central differences with h = eps^(1/3)",
    )(_make(_arch))
