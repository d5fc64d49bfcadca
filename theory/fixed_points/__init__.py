"""Fixed points (spec §2, §3): Thm 1 embeddings, closed-form catalogs, Groebner enumeration, classification."""

from .catalogs import Catalog, CatalogEntry, catalog_kind, fixed_point_catalog, gauge_representatives
from .classify import (
    Classification,
    Inertia,
    charpoly_matches,
    classify_catalog,
    classify_entry,
    classify_point,
    dormant_form,
    exact_inertia,
    linear_morse_index,
    linear_saddle_spectrum,
)
from .embeddings import Embedding, EmbeddingProof, embed, prove_embedding, theorem1_families, wide_spec
from .enumerate import (
    Completeness,
    Enumeration,
    check_completeness,
    default_gauges,
    enumerate_fixed_points,
    fixed_point_system,
)

__all__ = [
    "Catalog", "CatalogEntry", "Classification", "Completeness", "Embedding", "EmbeddingProof", "Enumeration",
    "Inertia", "catalog_kind", "charpoly_matches", "check_completeness", "classify_catalog", "classify_entry",
    "classify_point", "default_gauges", "dormant_form", "embed", "enumerate_fixed_points", "exact_inertia",
    "fixed_point_catalog", "fixed_point_system", "gauge_representatives", "linear_morse_index",
    "linear_saddle_spectrum", "prove_embedding", "theorem1_families", "wide_spec",
]
