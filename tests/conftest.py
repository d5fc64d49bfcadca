"""Test configuration.

* Hypothesis: a derandomised, deadline-free ``ci`` profile (selected when CI=true), a
  ``dev`` profile otherwise; neither writes an example database into the working directory.
* Every test runs in its own temporary working directory, so a command that writes to a default path (``s2s check``
  writes ``s2s-report/``) can never touch the checkout or a user's report.  At the end of the session the checkout's
  top level is compared with its state at the start: anything new fails the run.
"""

import os
import tempfile
from pathlib import Path

# Hypothesis's own storage (.hypothesis/) would go into the working directory at import: send it to a temp folder.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "s2s-hypothesis"))

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
IGNORED = {".venv", "__pycache__", ".ruff_cache", "build", "s2s_workbench.egg-info"}

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          database=DirectoryBasedExampleDatabase(os.path.join(tempfile.gettempdir(),
                                                                              "s2s-hypothesis-examples")))
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else os.environ.get("HYPOTHESIS_PROFILE",
                                                                                                   "dev"))

_BEFORE = {p.name for p in ROOT.iterdir()} - IGNORED


@pytest.fixture(autouse=True)
def _work_in_a_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def pytest_sessionfinish(session, exitstatus):
    new = sorted({p.name for p in ROOT.iterdir()} - IGNORED - _BEFORE)
    if new:
        print(f"\nthe test session wrote into the checkout {ROOT}: {', '.join(new)}")
        session.exitstatus = 1
