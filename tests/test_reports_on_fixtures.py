"""The SARIF and JUnit of every fixture validate against the shared schemas.

Each fixture folder is scanned on its own (with strict mode, so review findings are
exercised too); folders holding deliberately broken inputs give reports with input
errors, which must validate as well.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES
from report_factory import validate_junit, validate_sarif

from azbackup_policy.pipeline import ScanOptions, scan
from azbackup_policy.reporters import RenderOptions, load_reporter


def fixture_folders() -> list[Path]:
    """Every folder that holds one case: two levels below fixtures/, plus the example."""
    folders = [FIXTURES / "example"]
    for group in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name != "example"):
        for case in sorted(p for p in group.iterdir() if p.is_dir() and p.name != "_generate"):
            folders.append(case)
    return folders


@pytest.mark.parametrize("folder", fixture_folders(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_sarif_and_junit_of_fixture_validate(folder: Path, in_repo: Path) -> None:
    report = scan([str(folder.relative_to(in_repo))], ScanOptions(strict=True))
    assert report.units or report.errors, "nothing was scanned"
    options = RenderOptions(fail_on="warning", cwd=str(in_repo),
                            environment={"SOURCE_DATE_EPOCH": "1790000000"})
    sarif = validate_sarif(load_reporter("sarif")(report, options))
    (run,) = sarif["runs"]
    assert len(run["results"]) == len(report.findings)
    validate_junit(load_reporter("junit")(report, options))
