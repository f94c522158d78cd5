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
