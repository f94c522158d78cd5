"""The Hypothesis profiles: CI is reproducible, the deep profile keeps what it finds."""

from __future__ import annotations

from conftest import HYPOTHESIS_EXAMPLES, hypothesis_profile
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase


def test_ci_is_the_default_and_what_ci_selects() -> None:
    assert hypothesis_profile({}) == "ci"
    assert hypothesis_profile({"CI": "true"}) == "ci"
    assert hypothesis_profile({"CI": "true", "HYPOTHESIS_PROFILE": "deep"}) == "deep"


def test_ci_profile_is_derandomized() -> None:
    ci = settings.get_profile("ci")
    assert ci.derandomize is True and ci.database is None
    assert ci.max_examples <= 100 and ci.deadline is None


def test_deep_profile_saves_failures_in_the_repository() -> None:
    deep = settings.get_profile("deep")
    assert deep.derandomize is False and deep.max_examples >= 1000
    assert isinstance(deep.database, DirectoryBasedExampleDatabase)
    assert deep.database.path == HYPOTHESIS_EXAMPLES
    assert (HYPOTHESIS_EXAMPLES / "README.md").is_file()
    assert HYPOTHESIS_EXAMPLES.parent.name == "tests"
