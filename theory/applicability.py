"""Which constructions of Theorems 1 and 3 (and which conservation laws) apply to a given φ (spec §1.2, §2.2,
§4.1, §4.4, §4.5).

The answer is read off φ's declared properties; each entry says why it applies or why not, so the CLI can print
it and other commands can refuse inapplicable constructions with the same reason.

>>> from theory.architectures import build
>>> [c.key for c in theorem1_constructions(build("relu-fc")) if c.applies]
['i', 'ii', 'iii']
"""

from __future__ import annotations

from dataclasses import dataclass

from .phi import Phi
from .spec import NetworkSpec


@dataclass(frozen=True)
class Construction:
    """One construction of a theorem: its key, formula, whether it applies to this φ and why."""

    theorem: str
    key: str
    formula: str
    applies: bool
    reason: str


def _phi(spec_or_phi: NetworkSpec | Phi) -> Phi:
    return spec_or_phi.phi if isinstance(spec_or_phi, NetworkSpec) else spec_or_phi


def theorem1_constructions(spec: NetworkSpec | Phi) -> list[Construction]:
    """Thm 1 (spec §2.2): embeddings of a width-(H−1) fixed point into width H."""
    phi = _phi(spec)
    out = []
    if phi.unit_specific:
        out.append(Construction("Thm 1", "i", "u_H = u_i*, v_H = γ_v v_i*, v_i = (1 − γ_v) v_i*", False,
                                "phi differs between units, so a unit cannot be duplicated into another"))
    else:
        out.append(Construction("Thm 1", "i", "u_H = u_i*, v_H = γ_v v_i*, v_i = (1 − γ_v) v_i*", True,
                                "duplication needs nothing of phi"))
    out.append(Construction("Thm 1", "ii", "u_H = u_zero, v_H = 0", phi.zero_unit,
                            "phi has a zero unit (u = 0)" if phi.zero_unit else "phi has no zero unit"))
    deg1 = phi.degree == 1 and not phi.unit_specific
    field = "γ_u ≥ 0 only" if phi.field == "R>=0" else "γ_u ∈ R"
    out.append(Construction(
        "Thm 1", "iii", "u_H = γ_u u_i*, v_H = γ_v v_i*, v_i = (1 − γ_u γ_v) v_i*", deg1,
        f"phi is homogeneous of degree 1 ({field})" if deg1 else
        ("phi differs between units" if phi.unit_specific else
         f"phi is not 1-homogeneous (degree {phi.degree})" if phi.degree else "phi is not homogeneous")))
    lin = phi.linear_in_u and not phi.unit_specific
    out.append(Construction(
        "Thm 1", "iv", "u_H = Σ γ_{u_i} u_i*, v_H = Σ γ_{v_i} v_i*, v_i = v_i* − γ_{u_i} Σ_j γ_{v_j} v_j*", lin,
        "phi is linear in u" if lin else
        ("phi differs between units" if phi.unit_specific else "phi is not linear in u")))
    return out


def theorem3_invariant_sets(spec: NetworkSpec | Phi) -> list[Construction]:
    """Thm 3 (spec §4.1) and the sign-flip set for even φ (§4.4): sets kept by gradient flow."""
    phi = _phi(spec)
    out = [Construction("Thm 3", "i", "θ_i = θ_j (equal units)", not phi.unit_specific,
                        "equal units receive equal gradients" if not phi.unit_specific else
                        "phi differs between units")]
    out.append(Construction("Thm 3", "ii", "v_i = 0, u_i = u_zero (zero unit)", phi.zero_unit,
                            "phi has a zero unit" if phi.zero_unit else "phi has no zero unit"))
    deg1 = phi.degree == 1 and not phi.unit_specific
    out.append(Construction(
        "Thm 3", "iii", "θ_i = γ θ_j" + (" (γ ≥ 0)" if phi.field == "R>=0" else ""), deg1,
        "phi is 1-homogeneous and grad_u phi is 0-homogeneous" if deg1 else
        (f"degree {phi.degree} ≠ 1: u̇_i = γ^(2p−1) u̇_j breaks the ratio unless γ^(2p−2) = 1 (spec §4.4)"
         if phi.degree else "phi is not homogeneous (e.g. tanh: rank-one weights are not invariant)")))
    lin = phi.linear_in_u and not phi.unit_specific
    out.append(Construction("Thm 3", "iv", "θ_i = Σ_{j≠i} γ_j θ_j (linearly dependent units)", lin,
                            "phi is linear in u" if lin else "phi is not linear in u"))
    out.append(Construction("§4.4", "sign-flip", "θ_i = (v_j, −u_j)", phi.even and not phi.unit_specific,
                            "phi is even in u" if phi.even else "phi is not even in u"))
    return out


def conservation_laws(spec: NetworkSpec | Phi) -> list[Construction]:
    """Balancedness (spec §4.5): Q_i = ‖u_i‖² − p‖v_i‖² when φ is p-homogeneous; UᵀU − VᵀV when linear."""
    phi = _phi(spec)
    out = []
    if phi.degree is not None:
        p = f"{phi.degree}" if phi.degree != 1 else ""
        out.append(Construction("§4.5", "balance", f"‖u_i‖² − {p}‖v_i‖² conserved for each unit", True,
                                f"Euler identity uᵀ∇_u φ = {phi.degree} φ"))
    else:
        out.append(Construction("§4.5", "balance", "‖u_i‖² − p‖v_i‖²", False,
                                "phi is not homogeneous: no Euler identity"))
    lin = phi.linear_in_u and not phi.unit_specific
    out.append(Construction("§4.5", "matrix-balance", "UᵀU − VᵀV conserved (H×H)", lin,
                            "linear in u: d(UᵀU)/dt = d(VᵀV)/dt" if lin else "phi is not linear in u"))
    return out
