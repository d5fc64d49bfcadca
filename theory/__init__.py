"""Symbolic side of the workbench (SymPy), written independently of :mod:`numerics`.

Describe a network once (:func:`build`), pick a task, then derive its loss, gradient flow and Hessian
(:func:`derive`), in the way ``sympy.physics.mechanics`` derives equations of motion from a system description.
"""

from .applicability import Construction, conservation_laws, theorem1_constructions, theorem3_invariant_sets
from .architectures import ARCHITECTURE_NAMES, BUILDERS, build
from .derive import Derivation, derive, gradient_flow, hessian, loss
from .errors import InputError, SymbolicTimeout
from .evaluate import NumericDerivation, lambdify_derivation
from .moments import GaussianGroup, SampleCovarianceGroup, expectation, isserlis, sample_covariance_group
from .phi import Phi
from .spec import Block, NetworkSpec, Unit, input_symbols
from .tasks import Dataset, ICLDataset, ICLTask, LinearRegressionTask, QuadraticGaussianTask, Task
from .timebound import time_bound

__all__ = [
    "ARCHITECTURE_NAMES", "BUILDERS", "Block", "Construction", "Dataset", "Derivation", "GaussianGroup",
    "ICLDataset", "ICLTask", "InputError", "LinearRegressionTask", "NetworkSpec", "NumericDerivation", "Phi",
    "QuadraticGaussianTask", "SampleCovarianceGroup", "SymbolicTimeout", "Task", "Unit", "build",
    "conservation_laws", "derive", "expectation", "gradient_flow", "hessian", "input_symbols", "isserlis",
    "lambdify_derivation", "loss", "sample_covariance_group", "theorem1_constructions", "theorem3_invariant_sets",
    "time_bound",
]
