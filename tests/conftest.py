"""Test configuration.

* Hypothesis profiles. ``HYPOTHESIS_PROFILE=<name>`` selects one; without it, ``ci`` when CI=true, else ``dev``.
  None writes an example database into the working directory.

  - ``ci``: derandomised (the same examples on every run), deadline-free, no example database. Every property test
    runs at least :data:`MIN_EXAMPLES` ``["ci"]`` = 25 examples, even one whose own ``@settings(max_examples=N)``
    asks for fewer: a handful of examples seldom reaches a strategy's edges, where a tolerance is tightest.
  - ``thorough``: 200 examples for every property test whatever its own ``max_examples``, random rather than
    derandomised (each run tries new points), deadline-free; a failure prints its ``@reproduce_failure`` blob.
    Expect many times the ``ci`` run time; for a release or after changing a model or a tolerance::

        HYPOTHESIS_PROFILE=thorough .venv/bin/python -m pytest -q tests

  - ``dev``: the local default: each test's own counts, failing examples kept in a temp-folder database.
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

# Fewest examples a property test runs under each profile (a test's own larger max_examples is kept).
MIN_EXAMPLES = {"ci": 25, "thorough": 200}

settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=MIN_EXAMPLES["thorough"], deadline=None, print_blob=True,
                          database=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow],
                          database=DirectoryBasedExampleDatabase(os.path.join(tempfile.gettempdir(),
                                                                              "s2s-hypothesis-examples")))
PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
settings.load_profile(PROFILE)

_BEFORE = {p.name for p in ROOT.iterdir()} - IGNORED


def pytest_collection_modifyitems(config, items):
    """Raise every property test's max_examples to the profile's floor (:data:`MIN_EXAMPLES`).

    A test's own ``@settings`` override the profile, and Hypothesis offers no public way to lift them; it reads a
    test's settings from ``_hypothesis_internal_use_settings`` when the test is called, so the floor is set there.
    Should that attribute ever disappear, collection stops here instead of running fewer examples in silence."""
    floor = MIN_EXAMPLES.get(PROFILE)
    if floor is None:
        return
    for item in items:
        test = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        if not getattr(test, "is_hypothesis_test", False):
            continue
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is None:
            raise pytest.UsageError(f"{item.nodeid}: cannot read its Hypothesis settings to apply the {PROFILE!r} "
                                    f"profile's floor of {floor} examples (Hypothesis changed its internals?)")
        if own.max_examples < floor:
            test._hypothesis_internal_use_settings = settings(own, max_examples=floor)


@pytest.fixture(autouse=True)
def _work_in_a_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def pytest_sessionfinish(session, exitstatus):
    new = sorted({p.name for p in ROOT.iterdir()} - IGNORED - _BEFORE)
    if new:
        print(f"\nthe test session wrote into the checkout {ROOT}: {', '.join(new)}")
        session.exitstatus = 1
