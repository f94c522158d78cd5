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
    fallback = Path("/work/shared/schemas")
    if fallback.is_dir():
        return fallback
    raise FileNotFoundError("shared/schemas not found beside the repository")


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test with the repository root as the working directory."""
    monkeypatch.chdir(REPO)
    return REPO


def _register_hypothesis_profiles() -> None:
    """``ci`` (the default: bounded, no deadline) and ``deep`` (many examples, run by hand).

    Pick one with ``HYPOTHESIS_PROFILE=deep python -m pytest tests/test_fuzz_*.py``.
    """
    import os

    from hypothesis import HealthCheck, settings

    quiet = [HealthCheck.too_slow, HealthCheck.data_too_large,
             HealthCheck.function_scoped_fixture]
    settings.register_profile("ci", max_examples=40, deadline=None,
                              suppress_health_check=quiet, derandomize=False)
    settings.register_profile("deep", max_examples=2000, deadline=None,
                              suppress_health_check=quiet)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_register_hypothesis_profiles()
