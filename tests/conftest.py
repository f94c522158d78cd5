"""Shared test helpers: paths to the repository, fixtures and the shared schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures"


def find_shared_schemas() -> Path:
    """``shared/schemas`` beside the repository (CI) or above it; fail loudly if missing."""
    for parent in [REPO, *REPO.parents]:
        candidate = parent / "shared" / "schemas"
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("shared/schemas not found beside the repository or above it")


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test with the repository root as the working directory."""
    monkeypatch.chdir(REPO)
    return REPO


HYPOTHESIS_EXAMPLES = Path(__file__).resolve().parent / ".hypothesis-examples"


def hypothesis_profile(environ: dict[str, str]) -> str:
    """``HYPOTHESIS_PROFILE`` when set, else ``ci`` (also what ``CI=true`` selects)."""
    return environ.get("HYPOTHESIS_PROFILE") or "ci"


def _register_hypothesis_profiles() -> None:
    """Two profiles (see CONTRIBUTING.md, "Property tests"):

    ``ci`` -- the default, and what CI runs (``CI=true``): derandomized, so every run of a
    property test draws the same examples (two runs give the same result); no database.
    ``deep`` -- opt-in (``HYPOTHESIS_PROFILE=deep``): 2000 random examples per test, failures
    saved to the example database ``tests/.hypothesis-examples`` that is kept in the
    repository. A failure found there becomes an explicit ``@example`` of its test.
    """
    import os

    from hypothesis import HealthCheck, settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large,
             HealthCheck.function_scoped_fixture]
    settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                              suppress_health_check=quiet, print_blob=True)
    settings.register_profile("deep", max_examples=2000, deadline=None, derandomize=False,
                              suppress_health_check=quiet, print_blob=True,
                              database=DirectoryBasedExampleDatabase(HYPOTHESIS_EXAMPLES))
    settings.load_profile(hypothesis_profile(dict(os.environ)))


_register_hypothesis_profiles()
