"""The README's ```pycon examples run as doctests, from the repository root, so they show
real output of real fixtures."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest
from conftest import REPO

README = REPO / "README.md"
BLOCK = re.compile(r"^```pycon\n(.*?)^```", re.MULTILINE | re.DOTALL)


def pycon_blocks() -> list[tuple[int, str]]:
    """(first line number, text) of every ```pycon block of the README."""
    text = README.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def test_readme_has_a_library_example() -> None:
    assert any("from azbackup_policy import" in block for _, block in pycon_blocks())


@pytest.mark.parametrize(
    ("line", "block"),
    [pytest.param(line, block, id=f"README.md:{line}") for line, block in pycon_blocks()],
)
def test_readme_example_runs(line: int, block: str, in_repo: Path) -> None:
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block, {}, f"README.md:{line}", str(README), line - 1)
    assert test.examples, "a pycon block without examples"
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "".join(failures)
