"""Numeric side of the workbench (NumPy/SciPy), written independently of :mod:`theory`.

Models, tasks and the batched loss/gradient follow ``docs/conventions.md`` (loss ½E‖y − f‖², θ flat in the
documented block layout, a leading batch axis of parameter sets).
"""

from .architectures import ARCHITECTURE_NAMES, Architecture, build_architecture
from .errors import InputError, SimulationError
from .init import init_params
from .objective import check_compatible, finite_difference_gradient, hessian, loss, loss_and_grad
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
    "ARCHITECTURE_NAMES", "Architecture", "Dataset", "ICLDataset", "ICLTask", "InputError", "LinearRegressionTask",
    "QuadraticGaussianTask", "SimulationError", "build_architecture", "check_compatible",
    "finite_difference_gradient", "hessian", "init_params", "loss", "loss_and_grad", "sample_icl_dataset", "whitened",
]
