"""Numeric side of the workbench (NumPy/SciPy), written independently of :mod:`theory`."""

from .errors import InputError, SimulationError

__all__ = ["InputError", "SimulationError"]
