"""The workbench's claims; importing this package registers them all in :data:`proofs_check.registry.REGISTRY`."""

from . import (
    fixed_points,  # noqa: F401 - registers claims C1, C4, C5, C20, C21, C33, C34, C35
    grad_consistency,  # noqa: F401 - registers claims
    manifolds,  # noqa: F401 - registers C2, C2-all, C3, C17, C24, C28
    paper_fig1,  # noqa: F401 - registers claims
    paper_fig2,  # noqa: F401 - registers Fig. 2, 4G, 5 claims and C26, C27, C29
    phi_properties,  # noqa: F401 - registers claims
    predictions,  # noqa: F401 - registers C6-C16, C18, C19, C22-C25, C30-C32
)
