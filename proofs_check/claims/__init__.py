"""The workbench's claims; importing this package registers them all in :data:`proofs_check.registry.REGISTRY`."""

from . import (
    grad_consistency,  # noqa: F401 - registers claims
    paper_fig1,  # noqa: F401 - registers claims
    phi_properties,  # noqa: F401 - registers claims
)
