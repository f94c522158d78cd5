"""The reports of one scan of the whole ``fixtures/`` folder, as a CI job would make them.

SARIF: the SARIF Multitool (``@microsoft/sarif-multitool`` from npm) finds no error or
warning under its GitHub (``Gh``, ``Ghas``) and Azure DevOps (``Ado``) rule sets. The test
runs when ``npx`` is available; ``.ci/run`` sets ``AZBACKUP_POLICY_REQUIRE_MULTITOOL=1``
so that CI fails instead of skipping. JUnit: valid against the Ant XSD and small enough
for a CI server (one suite per unit, one case per rule).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import REPO
from report_factory import validate_junit, validate_sarif

from azbackup_policy.pipeline import ScanOptions, scan
from azbackup_policy.reporters import RenderOptions, load_reporter, sarif

MULTITOOL = "@microsoft/sarif-multitool@5.7.0"


# What an Azure Pipelines job sets (the values are examples of their documented shapes).
AZURE_PIPELINES = {
    "TF_BUILD": "True", "SYSTEM_COLLECTIONURI": "https://dev.azure.com/contoso/",
    "SYSTEM_TEAMPROJECT": "infra", "SYSTEM_DEFINITIONID": "42",
    "BUILD_DEFINITIONNAME": "infra-ci", "SYSTEM_PHASEID": "3dc8fd7e-4368-5a92-293e-d53cefc8c4c3",
    "SYSTEM_PHASENAME": "scan", "BUILD_SOURCEBRANCH": "refs/heads/main", "BUILD_BUILDID": "1017",
}


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One scan of fixtures/, rendered for GitHub, for Azure Pipelines and as JUnit."""
    out = tmp_path_factory.mktemp("reports")
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        report = scan(["fixtures"], ScanOptions(cwd=str(REPO)))
    finally:
        os.chdir(cwd)
    assert report.findings and report.errors  # findings and deliberately broken inputs
    base = RenderOptions(cwd=str(REPO), repository_root=str(REPO),
                         sarif_category=sarif.default_category(["fixtures"]),
                         environment={"SOURCE_DATE_EPOCH": "1790000000"})
    ado = dataclasses.replace(base, environment={**base.environment, **AZURE_PIPELINES})
    paths = {"github": out / "github.sarif", "ado": out / "ado.sarif",
             "junit": out / "fixtures.junit.xml"}
    paths["github"].write_text(sarif.render(report, base), encoding="utf-8")
    paths["ado"].write_text(sarif.render(report, ado), encoding="utf-8")
    paths["junit"].write_text(load_reporter("junit")(report, base), encoding="utf-8")
    return paths


def test_junit_of_the_fixtures_is_small_and_valid(reports: dict[str, Path]) -> None:
    text = reports["junit"].read_text(encoding="utf-8")
    assert len(text.encode("utf-8")) < 1_000_000
    validate_junit(text)


def _npx() -> str | None:
    found = shutil.which("npx")
    if found is None and os.environ.get("AZBACKUP_POLICY_REQUIRE_MULTITOOL") == "1":
        pytest.fail("npx is required here (AZBACKUP_POLICY_REQUIRE_MULTITOOL=1)")
    return found


def _multitool(log: Path, rule_kinds: str, tmp_path: Path) -> list[str]:
    """The errors and warnings the SARIF Multitool reports on ``log`` for ``rule_kinds``."""
    npx = _npx()
    if npx is None:
        pytest.skip("npx is not installed (CI runs this through .ci/run)")
    out = tmp_path / f"{log.stem}.validation.sarif"
    # The npm wrapper starts the tool through a shell: the ';' list must stay quoted.
    command = [npx, "-y", MULTITOOL, "validate", str(log), "--rule-kind", f'"{rule_kinds}"',
               "--output", str(out), "--log", "ForceOverwrite"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert out.is_file(), run.stdout + run.stderr
    validation = json.loads(out.read_text(encoding="utf-8-sig"))["runs"][0]
    ran = {rule["id"] for rule in validation["tool"]["driver"].get("rules", [])}
    assert any(rule.startswith("GH") for rule in ran) or "Analysis completed" in run.stdout
    return [f"{r['ruleId']}: {r['message']}" for r in validation.get("results", [])
            if r.get("level", "warning") in ("error", "warning")]


def test_sarif_for_github_passes_the_multitool_github_rules(
        reports: dict[str, Path], tmp_path: Path) -> None:
    log = json.loads(reports["github"].read_text(encoding="utf-8"))
    validate_sarif(json.dumps(log))
    assert log["runs"][0]["automationDetails"] == {"id": "azbackup-policy/fixtures/"}
    assert _multitool(reports["github"], "Gh;Ghas", tmp_path) == []


def test_sarif_in_azure_pipelines_passes_github_and_azure_devops_rules(
        reports: dict[str, Path], tmp_path: Path) -> None:
    validate_sarif(reports["ado"].read_text(encoding="utf-8"))
    assert _multitool(reports["ado"], "Gh;Ghas;Ado", tmp_path) == []
