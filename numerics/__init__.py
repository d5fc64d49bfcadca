"""Numeric side of the workbench (NumPy/SciPy), written independently of :mod:`theory`.

Models, tasks and the batched loss/gradient follow ``docs/conventions.md`` (loss ½E‖y − f‖², θ flat in the
documented block layout, a leading batch axis of parameter sets).
"""

from .activation import BUILTIN_ACTIVATIONS, Activation, MeasuredUnit, compile_activation, measure_unit
from .architectures import (
    ARCHITECTURE_NAMES,
    REGISTRY,
    UNIT_FAMILIES,
    Architecture,
    Registration,
    UnitProperties,
    build_architecture,
)
from .blas import blas_threads
from .complexity import (
    ROTATION_INVARIANT_MEASURES,
    Complexity,
    ComplexityTrace,
    Thresholds,
    complexity,
    complexity_along,
    complexity_along_many,
    count_rays,
    effective_width,
    icl_optimum,
    numerical_rank,
    target_scale,
    thresholds,
    unit_norms,
)
from .errors import InputError, SimulationError
from .families import FAMILIES, INPUT_KINDS, Family, InputKind
from .fixed_points import (
    NumericSpectrum,
    Refinement,
    dormant_unit_form,
    gradient_norm,
    hessian_spectrum,
    morse_index,
    refine_fixed_point,
    unit_indices,
)
from .inertia import Inertia, MorseCount, count_below, inertia, morse_count, spectral_norm_bounds
from .init import init_params
from .integrate import (
    IntegrationResult,
    MemberTrajectory,
    gradient_descent,
    gradient_flow,
    interpolate,
    interpolate_many,
    refine_crossing,
)
from .itinerary import (
    MorseCache,
    MorseRecord,
    PointInfo,
    Visit,
    describe_point,
    function_label,
    function_labels,
    itineraries,
    itinerary,
    labels_by_modes,
)
from .manifolds import (
    WidthTolerance,
    effective_width_trajectory,
    equal_unit_distance,
    proportional_distance,
    rank_distance,
    ratio_deviation,
    unit_matrix,
    zero_unit_distance,
)
from .objective import (
    check_compatible,
    finite_difference_gradient,
    gradient_function,
    hessian,
    hessians,
    loss,
    loss_and_grad,
)
from .peaks import find_peaks, local_maxima, peak_prominences
from .plateaus import Staircase, detect_staircase, staircase_from_result, staircases_from_result
from .populations import POPULATIONS, Population
from .reduced_escape import REDUCED_STATUSES, ReducedStage, ReducedStaircase, reduced_staircase
from .tasks import (
    Dataset,
    ICLDataset,
    ICLTask,
    LinearRegressionTask,
    QuadraticGaussianTask,
    sample_icl_dataset,
    whitened,
)
from .unit_rotation import (
    RotatedPoint,
    UnitReduction,
    flow_reduces,
    hessian_eigenvalues,
    hessian_eigenvalues_many,
    hessian_order,
    reduce_units,
    reduced_architecture,
    rotate_units,
    rotation_invariant,
    rotation_reduces,
)

__all__ = [
    "find_peaks", "local_maxima", "peak_prominences",
    "Activation", "BUILTIN_ACTIVATIONS", "MeasuredUnit", "compile_activation", "measure_unit",
    "REDUCED_STATUSES", "ReducedStage", "ReducedStaircase", "reduced_staircase",
    "Complexity", "ComplexityTrace", "PointInfo", "ROTATION_INVARIANT_MEASURES", "Thresholds", "Visit",
    "complexity", "complexity_along", "complexity_along_many", "count_rays", "describe_point", "effective_width",
    "function_label", "function_labels", "graph_to_dict", "icl_optimum", "itineraries", "itinerary",
    "numerical_rank", "saddle_connections", "saddle_graph", "target_scale", "thresholds",
    "unit_norms", "unstable_directions",
    "Inertia", "MorseCache", "MorseCount", "MorseRecord", "blas_threads", "count_below", "inertia",
    "labels_by_modes", "morse_count", "spectral_norm_bounds",
    "RotatedPoint", "UnitReduction", "flow_reduces", "hessian_eigenvalues", "hessian_eigenvalues_many",
    "hessian_order", "reduce_units",
    "reduced_architecture", "rotate_units", "rotation_invariant", "rotation_reduces",
    "NumericSpectrum", "Refinement", "WidthTolerance", "dormant_unit_form", "effective_width_trajectory",
    "equal_unit_distance", "gradient_norm", "hessian_spectrum", "morse_index", "proportional_distance",
    "rank_distance", "ratio_deviation", "refine_fixed_point", "unit_indices", "unit_matrix", "zero_unit_distance",
    "ARCHITECTURE_NAMES", "FAMILIES", "Family", "INPUT_KINDS", "InputKind", "POPULATIONS", "Population",
    "REGISTRY", "Registration", "UNIT_FAMILIES", "UnitProperties",
    "Architecture", "Dataset", "ICLDataset", "ICLTask", "InputError", "IntegrationResult",
    "LinearRegressionTask", "MemberTrajectory", "QuadraticGaussianTask", "SimulationError", "Staircase",
    "build_architecture", "check_compatible", "detect_staircase", "finite_difference_gradient", "gradient_descent",
    "gradient_flow", "gradient_function", "hessian", "hessians", "init_params", "interpolate", "interpolate_many",
    "loss", "loss_and_grad", "refine_crossing", "sample_icl_dataset", "staircase_from_result",
    "staircases_from_result", "whitened",
]

# The saddle graph needs networkx (≈ 0.2 s to import) and only the claims use it: its names are imported on first
# access (PEP 562).  The submodule shares its name with the function saddle_graph, so all four names are bound
# here, over the submodule that the import binds as an attribute of this package.
_LAZY_SADDLE_GRAPH = ("graph_to_dict", "saddle_connections", "saddle_graph", "unstable_directions")


def __getattr__(name: str):
    if name in _LAZY_SADDLE_GRAPH:
        import importlib

        module = importlib.import_module(".saddle_graph", __name__)
        for lazy in _LAZY_SADDLE_GRAPH:
            globals()[lazy] = getattr(module, lazy)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_SADDLE_GRAPH})
