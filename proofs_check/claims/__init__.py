"""The workbench's claims; importing this package registers them all in :data:`proofs_check.registry.REGISTRY`."""

from . import (
    fixed_points,  # noqa: F401 - registers claims C1, C4, C5, C20, C21, C33, C34, C35
    grad_consistency,  # noqa: F401 - registers claims
    manifolds,  # noqa: F401 - registers C2, C2-all, C3, C17, C24, C28
    paper_fig1,  # noqa: F401 - registers claims
    phi_properties,  # noqa: F401 - registers claims
)
