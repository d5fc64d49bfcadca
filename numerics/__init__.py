"""Numeric side of the workbench (NumPy/SciPy), written independently of :mod:`theory`.

Models, tasks and the batched loss/gradient follow ``docs/conventions.md`` (loss ½E‖y − f‖², θ flat in the
documented block layout, a leading batch axis of parameter sets).
"""

from .architectures import ARCHITECTURE_NAMES, Architecture, build_architecture
from .errors import InputError, SimulationError
from .init import init_params
from .integrate import (
    IntegrationResult,
    MemberTrajectory,
    gradient_descent,
    gradient_flow,
    interpolate,
    refine_crossing,
)
from .objective import check_compatible, finite_difference_gradient, hessian, loss, loss_and_grad
from .plateaus import Staircase, detect_staircase, staircase_from_result
from .tasks import (
    Dataset,
    ICLDataset,
    ICLTask,
    LinearRegressionTask,
    QuadraticGaussianTask,
    sample_icl_dataset,
    whitened,
)

__all__ = [
    "ARCHITECTURE_NAMES", "Architecture", "Dataset", "ICLDataset", "ICLTask", "InputError", "IntegrationResult",
    "LinearRegressionTask", "MemberTrajectory", "QuadraticGaussianTask", "SimulationError", "Staircase",
    "build_architecture", "check_compatible", "detect_staircase", "finite_difference_gradient", "gradient_descent",
    "gradient_flow", "hessian", "init_params", "interpolate", "loss", "loss_and_grad", "refine_crossing",
    "sample_icl_dataset", "staircase_from_result", "whitened",
]
