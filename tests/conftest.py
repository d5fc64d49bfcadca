"""Test configuration: a derandomised, deadline-free hypothesis profile for CI (selected when CI=true)."""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else os.environ.get("HYPOTHESIS_PROFILE",
                                                                                                   "dev"))
