"""Symbolic side of the workbench (SymPy), written independently of :mod:`numerics`.

Describe a network once (:func:`build`), pick a task, then derive its loss, gradient flow and Hessian
(:func:`derive`), in the way ``sympy.physics.mechanics`` derives equations of motion from a system description.
"""

from .activation import UnitFunction, analyse_activation
from .applicability import Construction, conservation_laws, theorem1_constructions, theorem3_invariant_sets
from .architectures import ARCHITECTURE_NAMES, BUILDERS, FAMILIES, REGISTRY, UNIT_FAMILIES, Family, Registration, build
from .conservation import ConservationLaw, ConservationResult, candidate_laws, prove_conservation
from .derive import Derivation, derive, gradient_flow, hessian, loss
from .errors import InputError, SymbolicTimeout
from .evaluate import NumericDerivation, lambdify_derivation
from .fixed_points import (
    check_completeness,
    classify_catalog,
    classify_point,
    embed,
    enumerate_fixed_points,
    fixed_point_catalog,
    linear_morse_index,
    linear_saddle_spectrum,
    prove_embedding,
    theorem1_families,
)
from .invariants import CandidateSet, InvariantSet, default_task, prove_theorem3, theorem3_candidates
from .moments import GaussianGroup, SampleCovarianceGroup, expectation, isserlis, sample_covariance_group
from .phi import Phi
from .properties import PropertyCheck, check_phi_properties
from .reduced import ReducedDynamics, attention_reduced, quadratic_one_unit, restrict, saxe_mode, toy_solution
from .spec import Block, NetworkSpec, Unit, input_symbols
from .tasks import Dataset, ICLDataset, ICLTask, LinearRegressionTask, QuadraticGaussianTask, Task
from .timebound import time_bound
from .verify import (
    Certificate,
    Counterexample,
    Undecided,
    measure_drift,
    verify_equations,
    verify_parametrisation,
    verify_set,
)

__all__ = [
    "UnitFunction", "analyse_activation",
    "CandidateSet", "Certificate", "ConservationLaw", "ConservationResult", "Counterexample", "InvariantSet",
    "PropertyCheck", "ReducedDynamics", "Undecided", "attention_reduced", "candidate_laws", "check_completeness",
    "check_phi_properties", "classify_catalog", "classify_point", "default_task", "embed", "enumerate_fixed_points",
    "fixed_point_catalog", "linear_morse_index", "linear_saddle_spectrum", "measure_drift", "prove_conservation",
    "prove_embedding", "prove_theorem3", "quadratic_one_unit", "restrict", "saxe_mode", "theorem1_families",
    "theorem3_candidates", "toy_solution", "verify_equations", "verify_parametrisation", "verify_set",
    "ARCHITECTURE_NAMES", "BUILDERS", "FAMILIES", "Family", "REGISTRY", "Registration", "UNIT_FAMILIES",
    "Block", "Construction", "Dataset", "Derivation", "GaussianGroup",
    "ICLDataset", "ICLTask", "InputError", "LinearRegressionTask", "NetworkSpec", "NumericDerivation", "Phi",
    "QuadraticGaussianTask", "SampleCovarianceGroup", "SymbolicTimeout", "Task", "Unit", "build",
    "conservation_laws", "derive", "expectation", "gradient_flow", "hessian", "input_symbols", "isserlis",
    "lambdify_derivation", "loss", "sample_covariance_group", "theorem1_constructions", "theorem3_invariant_sets",
    "time_bound",
]
